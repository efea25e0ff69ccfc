"""The benchmarks' ``--quick`` modes, run by CI (the full sizes are not: see benchmarks/README.md).

Without the optional ``bench`` extra (NGSolve) the NGSolve column is skipped with its reason;
the mqm_fem column must still reproduce the analytic values at the smallest size.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import jn_zeros

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    if str(BENCHMARKS) not in sys.path:  # the scripts import their sibling machine.py
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_london_sphere_quick(tmp_path):
    """≈50k Nédélec unknowns: flat AMS iteration count, moment within 0.1 % of London's sphere."""
    (row,) = _load("london_sphere").main(["--quick", "--no-ngsolve", "--workdir", str(tmp_path)])
    assert 40_000 < row["mqm_unknowns"] < 60_000
    assert row["mqm_iterations"] <= 15
    assert abs(row["mqm_error"]) < 1e-3


@pytest.mark.slow
def test_eigen_disk_quick():
    """≈50k P2 unknowns, Dirichlet unit disk: the 6 lowest ε against the Bessel zeros."""
    (row,) = _load("eigen_disk").main(["--quick", "--no-ngsolve"])
    mq = row["mqm"]
    assert 40_000 < mq["ndofs"] < 60_000
    zeros = np.sort(np.concatenate([jn_zeros(0, 2), jn_zeros(1, 2), jn_zeros(1, 2),
                                    jn_zeros(2, 1), jn_zeros(2, 1)]))[:6]
    eps = np.asarray(mq["eigenvalues"])
    assert np.all(np.abs(eps / zeros**2 - 1) < 1e-4)
    assert row["ngsolve"]["error"]  # skipped with a reason, not silently


def test_machine_info_names_the_stack():
    info = _load("machine").machine_info()
    assert info["numpy"] != "absent" and info["scikit-fem"] != "absent"
    assert info["cores"] >= 1 and info["python"].count(".") == 2


@pytest.mark.slow
def test_sweep_scaling_quick(tmp_path):
    """8 points of the disk phase-boundary sweep with 1 and 2 workers, with the mesh cache and
    rebuilding the mesh at every point: every run complete and clean, 2 worker processes used,
    the same ε₀ everywhere (correctness only; the timings are in benchmarks/README.md)."""
    rows = _load("sweep_scaling").main(["--quick", "--workdir", str(tmp_path)])
    assert [(r["workers"], r["mode"]) for r in rows] == [
        (1, "cache"), (2, "cache"), (1, "rebuild"), (2, "rebuild")]
    for r in rows:
        assert r["points"] == 8 and r["failed"] == 0 and r["report_ok"], r["report"]
        assert r["max_rel_diff"] < 1e-9
        assert r["processes"] == r["workers"]
        assert r["wall_s"] > 0 and r["cpu_s"] > 0 and r["rss"]["driver_mib"] > 50
    eps0 = np.array(rows[0]["eps0"], dtype=float)
    assert eps0[0] == pytest.approx(0, abs=1e-9) and np.all(np.diff(eps0) > 0)


@pytest.mark.slow
def test_gl_disk_quick():
    """The mqm_fem side of the pyTDGL comparison on a coarse mesh: the 5-vortex state (the one
    pyTDGL reaches) exists, is a stable minimum, and the benchmark's own numpy evaluation of F
    (the evaluator applied to pyTDGL's ψ), given the P2 nodal values as a P1 field on the
    refined mesh, agrees with solve_gl's F to that interpolation error, from above."""
    bench = _load("gl_disk_tdgl")
    reference = _load("tdgl_reference")
    out = bench.run_mqm_fem(element_um=0.1, scan=(), target_vortices=5, keep_state=True)
    target = out["target"]
    assert target["vortex_count"] == 5 and target["stability"] == "stable"
    assert -104.6 < target["free_energy"] < -103.8  # converged value ≈ −104.3 (finer meshes)
    state = out["target_state"]
    # P1 on the once-refined mesh whose vertices are the P2 nodes (vertices, then midpoints)
    fine = state.basis.mesh.refined()
    assert np.allclose(fine.p, state.basis.doflocs)
    f_p1 = reference.free_energy_on_their_mesh(fine.p.T, fine.t.T, state.modes[0], out["h"])
    assert f_p1 == pytest.approx(target["free_energy"], rel=2e-2)  # measured 1.1 %
    assert f_p1 > target["free_energy"]  # the P1 interpolant of a P2 minimiser lies above it
    # the pyTDGL side (minutes) runs only in the benchmark itself: benchmarks/README.md
