"""Sweeps of solver tasks (mqm_fem.sweep, Task, load_spec) and phase_boundary through the same
machinery. Small 2D meshes (h = 0.15 µm), order 1 where the kind allows it."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mqm_fem
from mqm_fem import Task, TemperatureModel, geometry, product, solve_london, sweep, zipped
from mqm_fem.errors import ParameterError
from mqm_fem.parallel import Store
from mqm_fem.quantum import phase_boundary
from mqm_fem.studies import load_spec
from mqm_fem.studies.task import _cached_domain

RING = {"kind": "annulus", "inner_radius": 0.5, "outer_radius": 1.0, "h": 0.15}
DISK = {"kind": "disk", "radius": 1.0, "h": 0.15}


def test_london_sweep_equals_direct_solves_and_reuses_the_mesh(tmp_path):
    task = Task(kind="london", geometry=RING, fixed={"applied_field": "1 mT"})
    _cached_domain.cache_clear()
    result = sweep(task, product(penetration_depth=["50 nm", "100 nm", "200 nm"]),
                   tmp_path / "s", workers=1, progress=False)
    assert _cached_domain.cache_info().misses == 1  # one mesh for the three points
    assert _cached_domain.cache_info().hits == 2
    ring = geometry.annulus(0.5, 1.0, h=0.15)
    for row, lam in zip(result.table(), ["50 nm", "100 nm", "200 nm"], strict=True):
        direct = solve_london(ring, lam, "1 mT")
        assert row["penetration_depth"] == lam and row["status"] == "ok"
        np.testing.assert_allclose([row["moment_x"], row["moment_y"], row["moment_z"]],
                                   direct.moment, rtol=1e-12, atol=0)
        assert row["gibbs_energy"] == pytest.approx(direct.energies.gibbs, rel=1e-12, abs=0)
        assert row["fluxoid_hole_0"] == pytest.approx(direct.fluxoid("hole_0"), abs=1e-12)
    assert result.report.ok and result.failed == []
    assert result.csv_path.read_text().splitlines()[0].startswith(
        "index,penetration_depth,moment_x,moment_y,moment_z,")


def test_temperature_grid_uses_the_model(tmp_path):
    model = TemperatureModel(tc=9.2, penetration_depth_0="50 nm")
    task = Task(kind="london", geometry=RING, fixed={"applied_field": "1 mT"},
                temperature=model)
    result = sweep(task, product(temperature=[0.0, 6.0]), tmp_path / "s", workers=1,
                   progress=False)
    ring = geometry.annulus(0.5, 1.0, h=0.15)
    for row, t in zip(result.table(), [0.0, 6.0], strict=True):
        direct = solve_london(ring, model.penetration_depth_at(t), "1 mT")
        assert row["moment_z"] == pytest.approx(direct.moment[2], rel=1e-12, abs=0)
    assert result.table()[1]["moment_z"] > result.table()[0]["moment_z"]  # less screening


def test_phase_sweep_two_workers_equal_serial_and_geometry_parameters(tmp_path):
    task = Task(kind="phase", geometry=RING, fixed={"xi0": "100 nm", "order": 1})
    grid = product(**{"geometry.inner_radius": [0.4, 0.5]},
                   field=[0.0, "0.5 mT", "1 mT", "1.5 mT", "2 mT"])
    serial = sweep(task, grid, tmp_path / "one", workers=1, progress=False)
    parallel = sweep(task, grid, tmp_path / "two", workers=2, progress=False)
    assert len(grid) == 10
    # ARPACK starts from a random vector that advances with every call in a process, so even
    # two serial solves of one point differ in the last bits: equal to solver precision
    _assert_same_eigen(parallel, serial)
    assert len({r["worker"] for r in parallel.records}) == 2
    assert parallel.report.ok
    eps = np.array(serial.column("eps0")).reshape(2, 5)
    assert eps[0, 0] == pytest.approx(0, abs=1e-9)
    assert not np.allclose(eps[0], eps[1])  # the hole radius was varied
    png = serial.plot("field", "tc_ratio")
    assert png == tmp_path / "one" / "summary.png" and png.stat().st_size > 1000


def _assert_same_eigen(a, b):
    assert [r["parameters"] for r in a.records] == [r["parameters"] for r in b.records]
    np.testing.assert_allclose(a.column("eps0"), b.column("eps0"), rtol=1e-12, atol=1e-13)
    assert a.column("superconducting") == b.column("superconducting")


def test_london_sweep_two_workers_identical_to_serial(tmp_path):
    """Direct solves are deterministic: 2 local processes give bit-identical outputs."""
    task = Task(kind="london", geometry=RING)
    grid = product(penetration_depth=["50 nm", "100 nm", "200 nm", "400 nm"],
                   applied_field=["1 mT", "-2 mT"])
    serial = sweep(task, grid, tmp_path / "one", workers=1, progress=False)
    parallel = sweep(task, grid, tmp_path / "two", workers=2, progress=False)
    assert len(grid) == 8 and parallel.report.ok
    assert [r["outputs"] for r in parallel.records] == [r["outputs"] for r in serial.records]
    assert len({r["worker"] for r in parallel.records}) == 2


def test_phase_boundary_with_two_workers_equals_serial(tmp_path):
    disk = geometry.disk(1.0, h=0.15)
    fields = np.linspace(0, 4e-3, 6)
    serial = phase_boundary(disk, "100 nm", fields, order=1, progress=False)
    parallel = phase_boundary(disk, "100 nm", fields, order=1, progress=False, workers=2)
    np.testing.assert_allclose(parallel.eigenvalues, serial.eigenvalues, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(parallel.tc_ratio, serial.tc_ratio, rtol=1e-12, atol=1e-13)
    # a task of kind "phase" gives the same numbers
    task = Task(kind="phase", geometry=DISK, fixed={"xi0": "100 nm", "order": 1})
    result = sweep(task, product(field=list(fields)), tmp_path / "s", workers=1,
                   progress=False)
    np.testing.assert_allclose(result.column("eps0"), serial.eigenvalues, rtol=1e-12, atol=1e-13)


def test_mesh_file_task_and_its_contents_in_the_hash(tmp_path):
    import shutil
    from pathlib import Path

    meshes = Path(__file__).resolve().parents[1] / "meshes"
    mesh = tmp_path / "sample.msh"
    shutil.copy(meshes / "disk.msh", mesh)
    task = Task(kind="phase", mesh=str(mesh), fixed={"xi0": "100 nm", "order": 1})
    first = sweep(task, product(field=[0.0, "1 mT"]), tmp_path / "s", workers=1,
                  progress=False)
    assert first.report.ok and first.failed == []
    assert sweep(task, product(field=[0.0, "1 mT"]), tmp_path / "s", workers=1,
                 progress=False).records == first.records  # resumed, nothing recomputed
    geometry.annulus(0.5, 1.0, h=0.3, path=mesh)  # same file name, another mesh
    with pytest.raises(ParameterError, match="the sweep specification changed"):
        sweep(task, product(field=[0.0, "1 mT"]), tmp_path / "s", workers=1, progress=False)
    with pytest.raises(ParameterError, match="missing.msh is not a readable file"):
        sweep(Task(kind="phase", mesh=str(tmp_path / "missing.msh"), fixed={"xi0": 1e-7}),
              product(field=[0.0]), tmp_path / "t")


def test_user_function_task_and_failed_points(tmp_path):
    result = sweep(_ratio, zipped(a=[1.0, 2.0, 3.0], b=[2.0, 0.0, 4.0]), tmp_path / "s",
                   workers=1, progress=False)
    assert [r["status"] for r in result.records] == ["ok", "error", "ok"]
    assert [r["index"] for r in result.failed] == [1]
    assert "ZeroDivisionError" in result.failed[0]["error"]
    assert result.column("q") == [0.5, None, 0.75]


def _ratio(point):
    return {"q": point["a"] / point["b"]}


def test_bad_tasks_refused_before_solving(tmp_path):
    with pytest.raises(ParameterError, match="task kind: expected one of london, phase"):
        Task(kind="heat", geometry=DISK)
    with pytest.raises(ParameterError, match="exactly one of mesh"):
        Task(kind="phase")
    with pytest.raises(ParameterError, match="task geometry kind: expected one of disk"):
        Task(kind="phase", geometry={"kind": "donut"})
    task = Task(kind="phase", geometry=DISK, fixed={"xi0": "100 nm"})
    with pytest.raises(ParameterError, match="'temperature' needs a temperature model"):
        sweep(task, product(temperature=[1.0]), tmp_path / "s")
    with pytest.raises(ParameterError, match="geometry.radious is not an argument of the 'disk'"):
        sweep(task, product(**{"geometry.radious": [1.0]}), tmp_path / "s")
    with pytest.raises(ParameterError, match="'feild' is not a parameter of a 'phase' task"):
        sweep(task, product(feild=[1.0]), tmp_path / "s")
    with pytest.raises(ParameterError, match="london task: give penetration_depth .*"
                                             "or temperature with a TemperatureModel"):
        sweep(Task(kind="london", geometry=RING), product(applied_field=["1 mT"]),
              tmp_path / "s")
    with pytest.raises(ParameterError, match="phase task: give xi0"):
        sweep(Task(kind="phase", geometry=RING), product(field=[0.0]), tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_load_spec_reads_task_temperature_grid_and_options(tmp_path):
    spec = tmp_path / "ring.toml"
    spec.write_text(
        'store = "out"\n'
        "[task]\n"
        'kind = "phase"\n'
        'geometry = { kind = "annulus", inner_radius = 0.5, outer_radius = 1.0, h = 0.15 }\n'
        "[task.fixed]\n"
        'xi0 = "100 nm"\n'
        "order = 1\n"
        "[temperature]\n"
        "tc = 9.2\n"
        'xi0 = "100 nm"\n'
        "[grid]\n"
        'mode = "product"\n'
        'field = { start = 0, stop = 2, num = 5, unit = "mT" }\n'
        '"geometry.inner_radius" = [0.4, 0.5]\n'
        "[options]\n"
        "workers = 2\n")
    task, grid, store, options = load_spec(spec)
    assert task.kind == "phase" and task.geometry["inner_radius"] == 0.5
    assert task.temperature.tc == 9.2 and task.fixed == {"xi0": "100 nm", "order": 1}
    assert len(grid) == 10 and grid[3].parameters == {"field": "0.5 mT",
                                                       "geometry.inner_radius": 0.5}
    assert store == tmp_path / "out" and options == {"workers": 2}
    result = sweep(task, grid, store, workers=1, progress=False)
    assert result.report.ok and np.isfinite(result.column("tc")).all()
    spec.write_text(spec.read_text().replace('mode = "product"', 'mode = "grid"'))
    with pytest.raises(ParameterError, match=r"ring.toml \[grid\] mode: expected 'product'"):
        load_spec(spec)


def test_top_level_exports():
    for name in ("sweep", "Task", "product", "zipped", "TemperatureModel"):
        assert name in mqm_fem.__all__ and hasattr(mqm_fem, name)


def test_write_fields_stores_each_points_vtu_with_the_point(tmp_path):
    from mqm_fem import read_vtu

    task = Task(kind="london", geometry=RING, fixed={"penetration_depth": "100 nm"},
                write_fields=True)
    result = sweep(task, product(applied_field=["1 mT", "2 mT"]), tmp_path / "s", workers=1,
                   progress=False)
    assert result.report.ok, result.report
    assert result.records[1]["files"] == ["fields/000001.vtu", "fields/000001.vtu.json"]
    b1 = read_vtu(tmp_path / "s" / "fields" / "000000.vtu")
    b2 = read_vtu(tmp_path / "s" / "fields" / "000001.vtu")
    np.testing.assert_allclose(b2.point_data["B"], 2 * b1.point_data["B"], rtol=1e-9,
                               atol=1e-12)
    sidecar = json.loads((tmp_path / "s" / "fields" / "000001.vtu.json").read_text())
    assert sidecar["vtu"] == "000001.vtu"
    pvd = (tmp_path / "s" / "fields.pvd").read_text()
    assert 'file="fields/000000.vtu"' in pvd and 'file="fields/000001.vtu"' in pvd
    (tmp_path / "s" / "fields" / "000001.vtu").unlink()
    assert [p.name for p in Store(tmp_path / "s").verify().corrupt] == ["000001.json"]
    with pytest.raises(ParameterError, match="a 'phase' task has no fields to write"):
        Task(kind="phase", geometry=RING, write_fields=True)
