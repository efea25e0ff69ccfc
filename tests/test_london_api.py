"""The public London API refuses bad input with one MqmFemError naming the parameter (never a
TypeError or a silent zero result), and reports progress the way every long step does."""

from __future__ import annotations

import numpy as np
import pytest

from mqm_fem import MqmFemError, geometry, solve_london
from mqm_fem.errors import ParameterError


@pytest.fixture(scope="module")
def ring():
    return geometry.annulus(0.5, 1.0, h=0.15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"fluxoids": 1}, "fluxoids: expected a dict hole name -> value, got int"),
     ({"dirichlet_boundaries": 5}, "dirichlet_boundaries: expected a name or a list of names"),
     ({"order": 2.0}, "order: must be 1 .P1. or 2"),
     ({"order": True}, "order: must be 1 .P1. or 2"),
     ({"superconductors": []}, "superconductors: no superconducting region given; the regions"),
     ({"solver_tol": -1.0}, "solver_tol: expected a positive number")],
)
def test_bad_options_are_one_error(ring, kwargs, message):
    with pytest.raises(MqmFemError, match=message):
        solve_london(ring, "100 nm", "1 mT", **kwargs)


def test_bad_values_are_one_error(ring):
    with pytest.raises(ParameterError, match="applied_field.*expected a number in T"):
        solve_london(ring, "100 nm", True)  # once a silent 1 T
    with pytest.raises(ParameterError, match="penetration_depth.*expected a number in m"):
        solve_london(ring, True, "1 mT")  # once a silent 1 m
    with pytest.raises(ParameterError, match="superconductors: no superconducting region"):
        solve_london(ring, {}, "1 mT")  # once a silent zero moment
    with pytest.raises(ParameterError, match="outer_boundary: expected a name or a list of names"):
        solve_london(geometry.circle_in_box(0.5, 4.0, h=0.5, h_sc=0.2), "100 nm", "1 0 mT",
                     outer_boundary=3)


def test_missing_fields_and_paths_are_named(ring, tmp_path):
    sol = solve_london(ring, "100 nm", "1 mT")
    with pytest.raises(ParameterError, match="A: the 'out-of-plane' formulation does not compute "
                       "it; its vertex arrays are B, J"):
        sol.A  # noqa: B018
    with pytest.raises(ParameterError, match="path: expected a file name"):
        sol.write(None)
    from mqm_fem import load_mesh

    with pytest.raises(ParameterError, match="path: expected a file name"):
        load_mesh(None)


def test_progress_true_prints_each_stage(ring, capsys):
    """progress=True (as the type promises) prints the stages on stderr; a callable gets the
    same lines; anything else is refused before work starts."""
    solve_london(ring, "100 nm", "1 mT", progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert [ln.split(" (")[0] for ln in lines] == [
        "solve_london: assembling", "solve_london: solving", "solve_london: deriving fields"]
    seen = []
    solve_london(ring, "100 nm", "1 mT", progress=seen.append)
    assert len(seen) == 3 and seen[0].startswith("assembling (out-of-plane formulation")
    with pytest.raises(ParameterError, match="progress: expected a callable"):
        solve_london(ring, "100 nm", "1 mT", progress="yes")


def test_energies_and_moment_are_consistent(ring):
    """G = E_kin + E_field = −½ m·B_a for the zero-fluxoid ring (linear response)."""
    sol = solve_london(ring, "100 nm", "1 mT")
    e = sol.energies
    assert e.gibbs == pytest.approx(e.kinetic + e.field, rel=1e-12, abs=0)
    assert e.gibbs == pytest.approx(-0.5 * sol.moment @ sol.applied_field, rel=1e-8, abs=0)
    assert np.all(sol.moment[:2] == 0) and e.unit == "J/m"


def test_error_bar_above_one_percent_warns_and_below_is_silent():
    """The headline estimate is printed with the result and a bar above 1 % is one warning
    naming the output and the way out (tol=); a fine enough mesh stays silent."""
    import warnings

    from mqm_fem.errors import MqmFemWarning

    coarse = geometry.disk(1.0, h=0.25)
    with pytest.warns(MqmFemWarning, match=r"m_z = .*\(± .* %\).*exceeds 1 %.*tol=0.01"):
        solve_london(coarse, "0.3 um", "1 mT")
    fine = geometry.disk(1.0, h=0.03)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MqmFemWarning)
        sol = solve_london(fine, "0.3 um", "1 mT", order=2)
    assert sol.estimate.relative < 0.01
