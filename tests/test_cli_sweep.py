"""``mqm-fem sweep SPEC.toml`` and ``mqm-fem nucleation --workers``: the shipped example spec
runs and gives the Little–Parks boundary, stores resume only when asked, a changed spec is
refused or restarted, failing points are recorded, bad options are one-line errors (exit 2)
before anything is solved, ``--check`` finds a partial file, and ``--scheduler`` runs the same
sweep on a Dask cluster with identical numbers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from mqm_fem.cli import main
from mqm_fem.units import PHI0

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "sweep_ring.toml"


def _rows(store: Path) -> list[dict]:
    with open(store / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def _spec(tmp_path, text: str, name="spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


SMALL = """
store = "small"
[task]
kind = "phase"
geometry = {{ kind = "annulus", inner_radius = 0.95, outer_radius = 1.05, h = 0.15 }}
[task.fixed]
xi0 = "{xi0}"
order = 1
[grid]
field = {fields}
"""


def _small(tmp_path, xi0="250 nm", fields='[0, "0.3 mT", "0.6 mT"]', name="spec.toml"):
    return _spec(tmp_path, SMALL.format(xi0=xi0, fields=fields), name)


def _error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if "error" in line]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("mqm-fem sweep: error: ") or \
        lines[0].startswith("mqm-fem nucleation: error: ")
    assert "Traceback" not in captured.err
    return lines[0]


def test_sweep_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--workers", "--scheduler", "--resume", "--restart", "--store", "--check",
                   "SPEC.toml", "docs/sweeps.md"):
        assert option in out, option


def test_sweep_example_spec_little_parks(tmp_path, capsys):
    """examples/sweep_ring.toml in 2 processes: 34 points, T_c/T_c0 within 3e-3 of the thin ring
    1 − (ξ₀/R)²[(n − Φ/Φ₀)² + b²w²/12] (P1, h = 0.1 µm), a maximum back at T_c0 after one
    period Φ₀/(πR²), every point once, the table, the plot; rerun needs --resume and solves
    nothing."""
    store = tmp_path / "ring"
    assert main(["sweep", str(SPEC), "--store", str(store), "--workers", "2"]) == 0
    captured = capsys.readouterr()
    assert "34 points (34 ok, 0 failed)" in captured.out and "34 solved now" in captured.out
    assert "store ok: every point exactly once" in captured.out
    assert "sweep: point 34/34" in captured.err  # progress on stderr, not stdout
    rows = _rows(store)
    assert [int(r["index"]) for r in rows] == list(range(34))
    assert rows[3]["field"] == "0.15 mT"  # parameters stored as given
    field = np.array([float(r["field"].split()[0]) * 1e-3 for r in rows])
    tc = np.array([float(r["tc_ratio"]) for r in rows])
    flux = field / (PHI0 / (np.pi * 1e-12))
    thin = 1 - 0.25**2 * ((flux - np.round(flux)) ** 2 + (2 * flux) ** 2 * 0.1**2 / 12)
    assert np.max(np.abs(tc - thin)) < 3e-3
    top = np.argmax(np.where(flux > 0.7, tc, -1))
    assert abs(flux[top] - 1) < 0.05 and tc[top] > 0.999
    assert tc[np.argmin(np.abs(flux - 0.5))] < 0.99
    assert len(list((store / "points").glob("*.json"))) == 34
    assert (store / "summary.png").stat().st_size > 5_000
    spec = json.loads((store / "spec.json").read_text())
    assert spec["spec"]["task"]["kind"] == "phase" and len(spec["hash"]) == 64

    before = (store / "points" / "000007.json").read_text()
    assert main(["sweep", str(SPEC), "--store", str(store)]) == 2
    assert "add --resume" in _error_line(capsys)
    assert main(["sweep", str(SPEC), "--store", str(store), "--resume", "--workers", "1"]) == 0
    assert "0 solved now, 34 from the store" in capsys.readouterr().out
    assert (store / "points" / "000007.json").read_text() == before


def test_sweep_resume_finishes_a_partial_store(tmp_path, capsys):
    """Points deleted from a finished store (as if killed) are solved again with --resume, the
    others are kept; --check reports the store complete."""
    spec = _small(tmp_path)
    store = tmp_path / "small"
    assert main(["sweep", str(spec), "--workers", "1"]) == 0  # store relative to the spec
    kept = (store / "points" / "000000.json").read_text()
    (store / "points" / "000002.json").unlink()
    capsys.readouterr()
    assert main(["sweep", str(spec), "--check"]) == 1
    assert "missing: 2" in capsys.readouterr().out
    assert main(["sweep", str(spec), "--resume", "--workers", "1"]) == 0
    assert "1 solved now, 2 from the store" in capsys.readouterr().out
    assert (store / "points" / "000000.json").read_text() == kept
    assert main(["sweep", str(spec), "--check"]) == 0
    assert "store ok" in capsys.readouterr().out


def test_sweep_changed_spec_refused_or_restarted(tmp_path, capsys):
    spec = _small(tmp_path)
    assert main(["sweep", str(spec), "--workers", "1"]) == 0
    first = _rows(tmp_path / "small")
    changed = _small(tmp_path, xi0="200 nm")
    capsys.readouterr()
    for flags in ([], ["--resume"]):
        assert main(["sweep", str(changed), "--workers", "1", *flags]) == 2
        line = _error_line(capsys)
        assert "--restart" in line and "small" in line
    assert _rows(tmp_path / "small") == first  # untouched
    assert main(["sweep", str(changed), "--workers", "1", "--restart"]) == 0
    aside = list((tmp_path / "small").glob("points.*"))
    assert len(aside) == 1 and len(list(aside[0].glob("*.json"))) >= 3
    new = _rows(tmp_path / "small")
    # same eigenvalues, 1 − T_c/T_c0 = (ξ₀/L₀)² ε₀ scaled by (200/250)²
    assert np.allclose([float(r["eps0"]) for r in new], [float(r["eps0"]) for r in first],
                       rtol=1e-9, atol=1e-12)
    assert 1 - float(new[1]["tc_ratio"]) == pytest.approx(
        (1 - float(first[1]["tc_ratio"])) * (200 / 250) ** 2, rel=1e-6)


def test_sweep_failed_points_recorded_and_exit_1(tmp_path, capsys):
    """A point that cannot be solved (a Lagrange order 3 in the grid, which only the solver
    checks) is recorded with its error; the other points finish; exit status 1 and a one-line
    warning naming the point."""
    spec = _spec(tmp_path, SMALL.format(xi0="250 nm", fields='[0, "0.3 mT", "0.6 mT"]')
                 .replace("order = 1\n", "").replace("[grid]", '[grid]\nmode = "zip"\n'
                                                        "order = [1, 3, 1]"))
    assert main(["sweep", str(spec), "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "3 points (2 ok, 1 failed)" in captured.out
    warning = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warning) == 1 and warning[0].startswith("mqm-fem sweep: warning: point 1 ")
    assert "order" in warning[0]
    rows = _rows(tmp_path / "small")
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]
    assert "order" in rows[1]["error"] and rows[0]["error"] == ""


@pytest.mark.parametrize(("fixed", "fields", "message"), [
    ('xi0 = "250 mT"', '[0]', "task fixed: xi0: '250 mT' has units of mT but a length"),
    ('xi0 = "250 nm"\nordr = 1', '[0]', "task fixed: 'ordr' is not an argument of a 'phase'"),
    ('xi0 = "250 nm"', '[0, "0.3 parsec"]', "grid point 1: field: '0.3 parsec' has units"),
])
def test_sweep_bad_values_refused_before_any_point(tmp_path, capsys, fixed, fields, message):
    """A wrong unit or a misspelt solver argument once failed every point (and the failed
    points were stored as finished); now it is one error before anything is solved."""
    spec = _spec(tmp_path, SMALL.format(xi0="X", fields=fields).replace('xi0 = "X"', fixed))
    assert main(["sweep", str(spec)]) == 2
    assert message in _error_line(capsys)
    assert not (tmp_path / "small").exists()


def test_sweep_check_compares_with_the_given_spec(tmp_path, capsys):
    """--check of a store against a spec whose grid changed reports it (exit 1), not 'ok'."""
    spec = _small(tmp_path)
    assert main(["sweep", str(spec), "--workers", "1"]) == 0
    other = _small(tmp_path, fields='[0, "0.3 mT"]', name="other.toml")
    capsys.readouterr()
    assert main(["sweep", str(other), "--check"]) == 1
    assert "holds a different specification than" in capsys.readouterr().out


def test_phase_tc_is_at_most_one_and_needs_the_gl_law(tmp_path):
    """T_c/T_c0 at zero field is 1 (ε₀ = 0 up to round-off gave 1.0000000000000004); a phase
    task refuses a ξ(T) callable, whose T_c it could not compute."""
    from mqm_fem import Task, TemperatureModel, product, sweep
    from mqm_fem.errors import ParameterError

    ring = {"kind": "annulus", "inner_radius": 0.95, "outer_radius": 1.05, "h": 0.15}
    task = Task(kind="phase", geometry=ring, fixed={"xi0": "250 nm", "order": 1})
    result = sweep(task, product(field=[0.0]), tmp_path / "st", workers=1, progress=False)
    assert result.records[0]["outputs"]["tc_ratio"] == 1.0
    model = TemperatureModel(tc=9.2, coherence_length_0="250 nm",
                             coherence_length=lambda t: 250e-9 / (1 - (t / 9.2) ** 2) ** 0.5)
    with pytest.raises(ParameterError, match="needs a 'nucleation' task"):
        sweep(Task(kind="phase", geometry=ring, fixed={"order": 1}, temperature=model),
              product(field=[0.0]), tmp_path / "st2", workers=1, progress=False)


@pytest.mark.parametrize(("argv", "message"), [
    (["--workers", "0"], "--workers: the number of worker processes must be at least 1"),
    (["--workers", "two"], "--workers: 'two': the number of worker processes must be an integer"),
    (["--workers", "1.5"], "must be an integer"),
    (["--resume", "--restart"], "--resume and --restart: give one of them"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "does not apply with --scheduler"),
    (["--scheduler", "tcp://a b:1"], "--scheduler: expected an address"),
])
def test_sweep_bad_options_before_any_work(tmp_path, capsys, argv, message):
    spec = _small(tmp_path)
    assert main(["sweep", str(spec), *argv]) == 2
    assert message in _error_line(capsys)
    assert not (tmp_path / "small").exists()  # nothing written, nothing solved


@pytest.mark.parametrize(("text", "message"), [
    (None, "does not exist"),
    ("[task\nkind =", "not valid TOML"),
    ('[task]\nkind = "phase"\ngeometry = { kind = "annulus", inner_radius = 0.5, '
     'outer_radius = 1, h = 0.2 }\n[grid]\nfield = [0]\nwavelength = [1]\n',
     "'wavelength' is not a parameter of a 'phase' task"),
])
def test_sweep_bad_spec_one_line(tmp_path, capsys, text, message):
    path = tmp_path / "bad.toml"
    if text is not None:
        path.write_text(text)
    assert main(["sweep", str(path)]) == 2
    line = _error_line(capsys)
    assert message in line and "bad.toml" in line


def test_sweep_check_reports_a_partial_file(tmp_path, capsys):
    spec = _small(tmp_path)
    assert main(["sweep", str(spec), "--check"]) == 2
    assert "not a sweep store" in _error_line(capsys)
    assert main(["sweep", str(spec), "--workers", "1"]) == 0
    partial = tmp_path / "small" / "points" / ".mqm-000001.json.tmp123"
    partial.write_text('{"index": 1')  # what a write killed half-way would leave
    capsys.readouterr()
    assert main(["sweep", str(spec), "--check"]) == 1
    assert "partial files" in capsys.readouterr().out


def test_sweep_unreachable_scheduler_one_line(tmp_path, capsys):
    pytest.importorskip("distributed", reason="dask[distributed] not installed (extra 'sweep')")
    import dask

    spec = _small(tmp_path)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main(["sweep", str(spec), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--scheduler: cannot connect to tcp://127.0.0.1:9" in _error_line(capsys)
    assert not (tmp_path / "small" / "points").exists()


@pytest.mark.slow
def test_sweep_on_dask_scheduler_same_numbers(tmp_path, capsys):
    """The same spec through --scheduler (a LocalCluster with 2 worker processes) and in this
    process: identical outputs for every point."""
    pytest.importorskip("distributed", reason="dask[distributed] not installed (extra 'sweep')")
    from distributed import LocalCluster

    spec = _small(tmp_path, fields='[0, "0.2 mT", "0.4 mT", "0.6 mT", "0.8 mT", "1 mT"]')
    assert main(["sweep", str(spec), "--workers", "1", "--store", str(tmp_path / "a")]) == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        assert main(["sweep", str(spec), "--scheduler", cluster.scheduler_address,
                     "--store", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    assert "connected: 2 Dask worker(s)" in captured.err
    serial, dask_rows = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    # the same solves; ARPACK's start vector differs between processes: round-off only
    assert np.allclose([float(r["eps0"]) for r in dask_rows],
                       [float(r["eps0"]) for r in serial], rtol=1e-9, atol=1e-12)
    assert [r["field"] for r in dask_rows] == [r["field"] for r in serial]


def test_nucleation_workers_same_csv(tmp_path, capsys, annulus_msh):
    """`mqm-fem nucleation --workers 2` writes the same numbers as the serial run."""
    args = ["nucleation", str(annulus_msh), "--xi", "0.3um", "--fields", "0", "1", "2", "3",
            "mT"]
    assert main([*args, "-o", str(tmp_path / "serial.csv")]) == 0
    assert main([*args, "--workers", "2", "-o", str(tmp_path / "two.csv")]) == 0
    assert "in 2 worker processes" in capsys.readouterr().err
    serial = np.loadtxt(tmp_path / "serial.csv", delimiter=",", skiprows=1)
    two = np.loadtxt(tmp_path / "two.csv", delimiter=",", skiprows=1)
    assert serial.shape == (4, 5)
    assert np.allclose(two, serial, rtol=1e-9, atol=1e-12)  # round-off of ARPACK's start
    assert main([*args, "--workers", "0", "-o", str(tmp_path / "zero.csv")]) == 2
    assert "--workers: the number of worker processes must be at least 1" in _error_line(capsys)
    assert not (tmp_path / "zero.csv").exists()
