"""Resolution diagnostics of the quantum and Ginzburg–Landau solves (issue 10, part 1): every
solve records its checks (``resolution``) and warns once per failed check."""

from __future__ import annotations

import json
import warnings

import pytest

from mqm_fem import geometry, nucleation_field, solve_gl, solve_schrodinger
from mqm_fem.errors import MqmFemWarning
from mqm_fem.quantum.schrodinger import STATE_WHERE
from mqm_fem.units import HBAR, Q

#: the field of b = 30 on L₀ = 1 µm (b = qBL₀²/ħ): about 11 windings around the unit disk
B30 = 30 * HBAR / (Q * 1e-12)


def _by_where(checks):
    return {(c.quantity, c.where.split(",")[0]): c for c in checks}


def test_schrodinger_coarse_rim_warns_and_records():
    # h = 0.1 on the unit disk: ~5.7 edges per winding of the 11-fold rim state (needs 10 in P2)
    with pytest.warns(MqmFemWarning, match=r"solve_schrodinger: .*boundary 'outer', mode 0"):
        sol = solve_schrodinger(geometry.disk(1.0, h=0.1), B30, k=2)
    checks = _by_where(sol.resolution)
    rim = checks[("phase winding", "boundary 'outer'")]
    assert not rim.ok and rim.required == 10
    assert 4.0 < rim.per_scale < 7.5
    assert abs(sol.boundary_windings(0)["outer"]) >= 10
    assert rim.scale == pytest.approx(2 * 3.14159e-6 / abs(sol.boundary_windings(0)["outer"]),
                                      rel=0.01)
    lb = checks[("magnetic length", STATE_WHERE)]
    assert lb.scale == pytest.approx((HBAR / (Q * B30)) ** 0.5)
    assert 1.2 < lb.per_scale < 1.8 and lb.ok  # P2 needs 1 per ℓ_B: the winding is the problem


def test_schrodinger_fine_mesh_does_not_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MqmFemWarning)
        sol = solve_schrodinger(geometry.disk(1.0, h=0.04), B30, k=1)
    qty = {c.quantity for c in sol.resolution}
    assert qty == {"phase winding", "magnetic length"}
    assert all(c.ok for c in sol.resolution)
    # the checks go to the sidecar provenance
    path = sol.write(tmp_path / "s.vtu")
    record = json.loads(path.with_name(path.name + ".json").read_text())["provenance"]
    assert {r["quantity"] for r in record["resolution"]} == qty
    assert all(r["ok"] for r in record["resolution"])


def test_schrodinger_zero_field_has_no_winding_or_field_checks():
    sol = solve_schrodinger(geometry.disk(1.0, h=0.2), 0.0, k=1)
    assert sol.resolution == []


def test_nucleation_coarse_disk_warns_about_the_rim():
    # R/ξ = 3 at h = 0.1: the nucleating state winds 5 times around ~19 rim edges
    with pytest.warns(MqmFemWarning, match=r"nucleation_field: .*boundary 'outer'"):
        result = nucleation_field(geometry.disk(0.3, h=0.1), coherence_length="100 nm")
    checks = _by_where(result.resolution)
    assert not checks[("phase winding", "boundary 'outer'")].ok
    xi = checks[("coherence length", STATE_WHERE)]
    assert xi.scale == pytest.approx(1e-7) and not xi.ok


def test_gl_coarse_mesh_warns_about_the_coherence_length():
    with pytest.warns(MqmFemWarning, match=r"solve_gl: .*coherence length"):
        sol = solve_gl(geometry.disk(0.5, h=0.15), "0 mT", coherence_length="100 nm")
    (check,) = sol.resolution  # no field: no windings
    assert check.quantity == "coherence length" and not check.ok
    assert check.element > 1e-7
