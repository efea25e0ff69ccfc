"""The benchmarks' ``--quick`` modes, run by CI (the full sizes are not: see benchmarks/README.md).

Without the optional ``bench`` extra (NGSolve) the NGSolve column is skipped with its reason;
the mqm_fem column must still reproduce the analytic values at the smallest size.
"""

from __future__ import annotations

import importlib.util
import json
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
    """≈50k Nédélec unknowns with the package's default solver: hybrid Jacobi-CG (below
    JACOBI_LIMIT),
    converged without a fallback to AMS, moment within 0.1 % of London's sphere; the second run
    reuses the mesh and its sidecar from --workdir."""
    bench = _load("london_sphere")
    (row,) = bench.main(["--quick", "--no-ngsolve", "--workdir", str(tmp_path)])
    assert 40_000 < row["mqm_unknowns"] < 60_000
    assert row["mqm_method"] == "hybrid-cg" and "mqm_fallback" not in row
    assert 50 < row["mqm_iterations"] < 300  # measured 202 (plain Jacobi 346)
    assert abs(row["mqm_error"]) < 1e-3
    assert row["threads"] == 1 and "mesh_reused" not in row
    assert (tmp_path / "sphere_50k.msh.json").exists()
    (again,) = bench.main(["--quick", "--no-ngsolve", "--workdir", str(tmp_path),
                           "--ngsolve-threads", "1", "--repeat", "2"])  # old name of --threads
    assert again["mesh_reused"] and again["tets"] == row["tets"]
    assert again["mqm_unknowns"] == row["mqm_unknowns"]
    assert again["repeat"] == 2 and len(again["mqm_totals_s"]) == 2


def test_london_sphere_median_run():
    """--repeat keeps each code's median run (assembly + solve), skipping failed runs, and the
    NGSolve regularisation check that only the first run makes."""
    median = _load("london_sphere")._median_run
    runs = [{"assembly_s": 1.0, "solve_s": 3.0, "reg_effect": 1e-9},
            {"failed": "killed"},
            {"assembly_s": 0.5, "solve_s": 1.0},
            {"assembly_s": 1.0, "solve_s": 1.0}]
    out = median(runs)
    assert out["assembly_s"] + out["solve_s"] == 2.0  # totals 4, 1.5, 2: the median is 2
    assert out["totals_s"] == [4.0, 1.5, 2.0] and out["reg_effect"] == 1e-9
    assert out["failed_runs"] == 1
    assert median([{"failed": "x"}]) == {"failed": "x"}


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


def _london_rows(threads, scale):
    rows = []
    for size, n in (("50k", 49_062), ("200k", 180_000), ("1M", 950_000)):
        rows.append({"size": size, "threads": threads, "edges": n + 5000, "mqm_unknowns": n,
                     "mqm_method": "hybrid-cg" if n < 300_000 else "ams-cg",
                     "mqm_assembly_s": 2e-6 * n * scale, "mqm_solve_s": 6e-6 * n * scale,
                     "mqm_peak_rss_mib": 100 + 2e-3 * n,
                     "ng_local_assembly_s": 3e-6 * n * scale, "ng_local_solve_s": 9e-6 * n * scale,
                     "ng_local_unknowns": n, "ng_local_peak_rss_mib": 150 + 1e-3 * n,
                     "ng_hcurlamg_failed": "MemoryError",  # a failed variant: skipped
                     "ng_bddc_assembly_s": 0.1, "ng_bddc_solve_s": 0.2, "ng_bddc_unknowns": n,
                     "ng_bddc_converged": False})  # stopped at the iteration cap: skipped
    rows.append({"size": "2M", "threads": threads, "mqm_failed": "timeout"})  # skipped too
    return {"machine": {}, "threads": threads, "tol": 1e-8, "rows": rows}


def test_plot_scaling_synthetic(tmp_path, capsys):
    """plot_scaling.py on small synthetic inputs of the three benchmarks (1- and 2-thread London
    runs, an eigen run with a failed NGSolve row, a mesh-load run with a failed reader) writes
    the four PNGs; a missing file and a file of the wrong kind are skipped with a note, and a
    figure without usable rows is not drawn."""
    import json

    import matplotlib.image

    files = {"t1.json": _london_rows(1, 1.0), "t2.json": _london_rows(2, 0.6),
             "eigen.json": {"threads": 1, "rows": [
                 {"target": n, "mqm": {"ndofs": n, "assembly": 1e-5 * n, "solve": 2e-5 * n,
                                       "rss_gb": 1e-6 * n},
                  "ngsolve": {"ndofs": n, "assembly": 2e-5 * n, "solve": 3e-5 * n,
                              "rss_gb": 2e-6 * n} if n < 10**6 else {"error": "killed"}}
                 for n in (50_000, 200_000, 1_000_000)]},
             "mesh.json": {"rows": [
                 {"size": s, "reader": r, "tets": n, "load_s": f * n / 1e6}
                 for s, n in (("50k", 44_052), ("1M", 858_848))
                 for r, f in (("mqm_fem 2.2", 4.0), ("mqm_fem 4.1", 1.5), ("netgen 2.2", 3.0))]
                 + [{"size": "1M", "reader": "meshio 4.1", "error": "boom"}]}}
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
    out = tmp_path / "png"
    bench = _load("plot_scaling")
    written = bench.main(["--london", str(tmp_path / "t1.json"), str(tmp_path / "t2.json"),
                          str(tmp_path / "missing.json"), "--eigen", str(tmp_path / "eigen.json"),
                          "--mesh-load", str(tmp_path / "mesh.json"), str(tmp_path / "t1.json"),
                          "--out", str(out)])
    assert set(written) == {"london_scaling", "london_memory", "eigen_scaling", "mesh_load"}
    for path in written.values():
        assert path.parent == out and matplotlib.image.imread(path).shape[0] > 100
    text = capsys.readouterr().out
    assert "missing.json missing, skipped" in text
    assert "t1.json skipped (rows are london rows, expected mesh_load)" in text
    # the series: per (code, threads), failed variants and rows left out
    time, rss = bench.london_series([bench.load(tmp_path / "t1.json"),
                                     bench.load(tmp_path / "t2.json")])
    assert set(time) == {("mqm_fem", 1), ("mqm_fem", 2), ("NGSolve local", 1),
                         ("NGSolve local", 2)}
    assert [n for n, _ in time[("mqm_fem", 1)]] == [49_062, 180_000, 950_000]
    assert time[("mqm_fem", 1)][0][1] == pytest.approx(8e-6 * 49_062)
    # only unusable input: nothing drawn, exit normally with a note
    (tmp_path / "bad.json").write_text("{not json")
    assert bench.main([str(tmp_path / "bad.json"), "--out", str(tmp_path / "none")]) == {}
    assert not (tmp_path / "none").exists()
    assert "bad.json skipped" in capsys.readouterr().out


def test_film_washer_small_both_meshers():
    """The washer scale benchmark on a small device: HXT and Delaunay meshes of the same film
    give the same moment within 3 % (the measured gap is 1.3 % at 13k film vertices)."""
    bench = _load("film_washer")
    small = ["--outer", "6", "--hole", "2", "--slit", "0.5", "--h-film", "0.4", "--h-far", "3"]
    hxt = bench.main(small)
    delaunay = bench.main([*small, "--algorithm", "delaunay"])
    assert hxt["film_vertices"] > 300 and hxt["moment_Am2"] < 0
    assert hxt["moment_Am2"] == pytest.approx(delaunay["moment_Am2"], rel=0.03)


def test_films_superscreen_mqm_column():
    """The film benchmark's mqm_fem worker on the smallest disk: within 3 % of the sheet
    reference (the SuperScreen column needs the optional bench extra and is not run here)."""
    bench = _load("films_superscreen")
    (row,) = bench.main(["--codes", "mqm_fem", "--cases", "disk", "--sizes", "1000"])
    assert "failed" not in row, row
    assert abs(row["error"]) < 0.03 and row["film_vertices"] > 500


def test_film_limits_coarse(tmp_path):
    """The film-limit accuracy benchmark on coarse meshes (the full sizes take minutes and
    GiB: benchmarks/README.md): the Λ → 0 disk above −(8/3)(B/μ₀)R³ and the Λ → 0 ring below
    the ring kernel, both within 8 % (measured +5.9 % and −5.4 %); the 100 nm solid disk within
    3 % of the (r, z) solver and, like it, about 6 % above the sheet. Rows append to --json."""
    bench = _load("film_limits")
    out = tmp_path / "limits.json"
    coarse = ["--h-film", "0.1", "--h-edge", "0.03", "--grading", "0.3", "--json", str(out)]
    disk = bench.main(["ideal-disk", *coarse])
    ring = bench.main(["ideal-ring", *coarse])
    solid = bench.main(["solid", "--thickness", "0.1", "--layers", "1", *coarse])
    assert 0 < disk["error"] < 0.08 and -0.08 < ring["error"] < 0
    assert ring["reference"] == pytest.approx(1.6047e-12, rel=1e-3)
    assert abs(solid["error"]) < 0.03
    assert solid["reference_vs_sheet"] == pytest.approx(0.0592, abs=2e-3)
    assert len(json.loads(out.read_text())["rows"]) == 3
