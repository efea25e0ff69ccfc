"""The Ginzburg–Landau examples (executable documentation) run, and what they show holds: the
disk's lowest vortex state lies below the Meissner state with as many vortices inside as flux
quanta around its edge; the ring's fluxoid jumps by integers, later on the way up than on the
way down (hysteresis). Run with smaller settings than the examples' defaults, for speed."""

from __future__ import annotations

import numpy as np
import pytest

from mqm_fem import read_vtu
from mqm_fem.io.vtk import read_sidecar

# skfem's deprecation of `.value` in mqm_fem/gl (energy.psi_quad): not the examples' business
pytestmark = pytest.mark.filterwarnings("ignore:Writing 'u.value':DeprecationWarning")


def test_example_gl_vortex_states_disk(tmp_path, example):
    """Meissner guess and a 4-vortex guess on a coarser mesh (element ξ instead of 0.5ξ)."""
    out = example("gl_vortex_states_disk").main(tmp_path, windings=(4,), seeds=(), h=0.1)
    states = out["states"]
    meissner, lowest = states[0], states[out["lowest"]]
    assert meissner["guess"].startswith("Meissner") and meissner["converged"]
    assert meissner["vortex_count"] == 0 and meissner["vorticity"] == 0
    assert meissner["stability"] == "saddle"  # h ≈ 0.21 in a 10ξ disk: vortices enter
    assert lowest["F"] < meissner["F"] - 1.0  # in B_c²ξ²/μ₀; well below, not round-off
    assert lowest["vortex_count"] == lowest["vorticity"] == 4
    assert lowest["stability"] in ("stable", "metastable")
    assert lowest["F_si"] == pytest.approx(lowest["F"] * meissner["F_si"] / meissner["F"],
                                           rel=1e-9)  # one energy unit B_c²ξ²/μ₀ in J/m
    grid = read_vtu(out["vtu"])
    assert float(np.asarray(grid.field_data["free_energy"]).ravel()[0]) == \
        pytest.approx(lowest["F"], rel=1e-12)
    assert float(np.asarray(grid.field_data["vorticity"]).ravel()[0]) == 4
    density = np.asarray(grid.point_data["density"])
    assert density.min() < 0.05 and 0.3 < density.max() < 1.0  # cores and the condensate
    assert out["png"].stat().st_size > 5000


def test_example_gl_ring_hysteresis(tmp_path, example):
    """0 -> 25 -> 0 mT in 2.5 mT steps, P1."""
    out = example("gl_ring_hysteresis").main(tmp_path, step_mt=2.5, order=1)
    fluxoids = out["fluxoids"]
    assert fluxoids.dtype.kind == "i" and fluxoids[0] == 0
    up, down = out["up_jumps"], out["down_jumps"]
    assert up and down, (up, down)
    # fluxoid enters on the way up, leaves on the way down, by whole quanta
    assert all(new > old for _, old, new in up) and all(new < old for _, old, new in down)
    # hysteresis: every jump up happens at a higher field than any jump down
    assert min(b for b, _, _ in up) > max(b for b, _, _ in down)
    # at equal fields the down-sweep holds more flux than the up-sweep did
    fields, directions = out["fields_T"], out["directions"]
    n_up = {round(b, 9): n for b, n, d in zip(fields, fluxoids, directions, strict=True)
            if d == "up"}
    pairs = [(n_up[round(b, 9)], n) for b, n, d in zip(fields, fluxoids, directions, strict=True)
             if d == "down"]
    assert all(n_down >= n_upward for n_upward, n_down in pairs)
    assert any(n_down > n_upward for n_upward, n_down in pairs)
    # F is continuous along a branch and drops at each jump (a descent to a lower state)
    F = out["free_energies"]
    for k in range(1, fluxoids.size):
        if fluxoids[k] != fluxoids[k - 1]:
            assert F[k] < F[k - 1]
    # the files: one frame per field, read back with the fluxoid's free energy
    entries = read_sidecar(out["pvd"])["entries"]
    assert len(entries) == fields.size
    last = read_vtu(out["pvd"].with_name(f"gl_ring_hysteresis_{fields.size - 1:04d}.vtu"))
    assert float(np.asarray(last.field_data["free_energy"]).ravel()[0]) == \
        pytest.approx(F[-1], rel=1e-12)
    assert out["png"].stat().st_size > 5000
