"""VTK export: .vtu/.pvd written by mqm_fem.io, read back with pyvista, meshio and, when
installed, with ParaView's own pvbatch; output paths that cannot be written.

Reference values are computed independently from the scikit-fem mesh (element areas/volumes and
centroids with numpy): the integral of a linear function over a mesh is exact, so VTK's
``IntegrateAttributes`` must reproduce it to rounding.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import meshio
import numpy as np
import pytest
import pyvista as pv
import skfem

import mqm_fem
from mqm_fem import ParameterError
from mqm_fem.cli import main
from mqm_fem.errors import OutputError
from mqm_fem.io import check_writable, decode_text
from mqm_fem.io.plotting import plot_field, plot_profile
from mqm_fem.io.vtk import read_sidecar, read_vtu, sidecar_path, write_pvd, write_series, write_vtu
from mqm_fem.mesh import element_measures
from mqm_fem.quantum.nucleation import PhaseBoundary

UM = 1e-6
MESHES = Path(__file__).resolve().parents[1] / "meshes"


@pytest.fixture(scope="module")
def ball():
    return mqm_fem.domain_from_skfem(skfem.MeshTet.init_ball(2), "nm")


def _disk_arrays(domain):
    x, y = domain.mesh.p
    centroid = domain.mesh.p[:, domain.mesh.t].mean(axis=1)
    return {
        "point_data": {"density": 1.0 + x**2, "J": np.c_[-y, x], "B": np.c_[x, y, x * y]},
        "cell_data": {"phase": centroid[0] - centroid[1],
                      "A": np.c_[centroid[0], 2 * centroid[1]]},
        "field_data": {"magnetic_moment": np.array([0.0, 0.0, -1.5e-15]),
                       "eigenvalues": np.array([1.0, 2.5, 2.5]), "energy": 3.25e-19,
                       "formulation": "outofplane"},
        "units": {"density": "1", "J": "A/m^2", "B": "T", "A": "T*m",
                  "magnetic_moment": "A*m^2", "energy": "J"},
    }


def test_vtu_roundtrip_2d(half_disk, tmp_path):
    data = _disk_arrays(half_disk)
    out = write_vtu(tmp_path / "nested" / "dir" / "half_disk.vtu", half_disk, **data)
    assert out == tmp_path / "nested" / "dir" / "half_disk.vtu" and out.is_file()
    grid = read_vtu(out)
    mesh = half_disk.mesh
    assert isinstance(grid, pv.UnstructuredGrid)
    assert (grid.n_points, grid.n_cells) == (mesh.nvertices, mesh.nelements)
    # coordinates in metres, z = 0; triangles with the mesh's vertices
    np.testing.assert_allclose(grid.points[:, :2], mesh.p.T * UM, rtol=1e-15)
    assert np.all(grid.points[:, 2] == 0)
    tri = grid.cells_dict[pv.CellType.TRIANGLE]
    np.testing.assert_array_equal(np.sort(tri, axis=1), np.sort(mesh.t.T, axis=1))
    assert set(grid.point_data.keys()) == {"density", "J", "B"}
    assert set(grid.cell_data.keys()) == {"phase", "A", "region"}
    pd, cd = data["point_data"], data["cell_data"]
    np.testing.assert_array_equal(grid.point_data["density"], pd["density"])
    assert grid.point_data["J"].shape == (mesh.nvertices, 3)  # 2D vector padded with z = 0
    np.testing.assert_array_equal(grid.point_data["J"][:, :2], pd["J"])
    assert np.all(grid.point_data["J"][:, 2] == 0)
    np.testing.assert_array_equal(grid.point_data["B"], pd["B"])
    np.testing.assert_array_equal(grid.cell_data["phase"], cd["phase"])
    np.testing.assert_array_equal(grid.cell_data["A"][:, :2], cd["A"])
    # region ids follow domain.regions, names in the field data
    assert grid.cell_data["region"].dtype.kind == "i"
    np.testing.assert_array_equal(grid.cell_data["region"], half_disk.region_ids())
    assert set(np.unique(grid.cell_data["region"])) == {0, 1}
    assert list(grid.field_data["region_names"]) == ["superconductor", "vacuum"]
    # field data
    np.testing.assert_array_equal(grid.field_data["magnetic_moment"], [0.0, 0.0, -1.5e-15])
    np.testing.assert_array_equal(grid.field_data["eigenvalues"], [1.0, 2.5, 2.5])
    np.testing.assert_array_equal(grid.field_data["energy"], [3.25e-19])
    assert list(grid.field_data["formulation"]) == ["outofplane"]
    units = dict(entry.split("=", 1) for entry in grid.field_data["units"])
    assert units == {"coordinates": "m", **data["units"]}
    # sidecar
    side = read_sidecar(out)
    assert sidecar_path(out).name == "half_disk.vtu.json"
    assert side["length_unit"] == "m" and side["mesh_length_unit"] == UM
    assert side["units"]["J"] == "A/m^2" and side["units"]["magnetic_moment"] == "A*m^2"
    assert side["region_names"] == ["superconductor", "vacuum"]
    assert side["point_data"]["J"] == {"components": 3, "unit": "A/m^2"}
    assert side["field_data"]["magnetic_moment"] == [0.0, 0.0, -1.5e-15]
    assert side["field_data"]["energy"] == 3.25e-19
    assert side["vtu"] == "half_disk.vtu" and side["nelements"] == mesh.nelements
    # no temporary files left over
    assert sorted(p.name for p in out.parent.iterdir()) == ["half_disk.vtu", "half_disk.vtu.json"]


def test_vtu_integral_of_linear_field_2d(half_disk, tmp_path):
    """∫ (1 + 2x/L + 3y/L) dA and ∫ (y, -x) dA over the mesh and over the left-half region
    (selected through the written ``region`` array); exact for P1 data, so the reference is the
    sum of element area × value at the centroid."""
    mesh = half_disk.mesh
    x, y = mesh.p  # in µm = x/L with L = 1 µm
    area = element_measures(mesh) * UM**2
    cx, cy = mesh.p[:, mesh.t].mean(axis=1)
    f_elem = area * (1 + 2 * cx + 3 * cy)
    out = write_vtu(tmp_path / "lin.vtu", half_disk,
                    point_data={"f": 1 + 2 * x + 3 * y, "v": np.c_[y, -x] * UM})
    grid = read_vtu(out)
    whole = grid.integrate_data()
    left = grid.threshold((0, 0), scalars="region").integrate_data()
    sc = half_disk.region("superconductor")
    ref_left = float(f_elem[sc].sum())
    ref_v = [float(np.sum(area[sc] * cy[sc] * UM)), float(np.sum(-area[sc] * cx[sc] * UM)), 0.0]
    print(f"area {whole['Area'][0]:.12e} m^2 (reference {area.sum():.12e}, "
          f"pi R^2 = {np.pi * UM**2:.12e})")
    print(f"left half: integral f {left['f'][0]:.12e} (reference {ref_left:.12e}), "
          f"integral v {np.asarray(left['v'][0])} (reference {ref_v})")
    assert whole["Area"][0] == pytest.approx(area.sum(), rel=1e-12, abs=0)
    assert whole["f"][0] == pytest.approx(f_elem.sum(), rel=1e-12, abs=0)
    assert left["Area"][0] == pytest.approx(area[sc].sum(), rel=1e-12, abs=0)
    assert left["f"][0] == pytest.approx(ref_left, rel=1e-12, abs=0)
    assert ref_left < 0.6 * area[sc].sum()  # the x term matters: not just the area again
    np.testing.assert_allclose(left["v"][0], ref_v, rtol=1e-12, atol=1e-12 * abs(ref_v[1]))
    # the mesh polygon of the unit disk: area within the chord error of pi R^2
    assert whole["Area"][0] == pytest.approx(np.pi * UM**2, rel=0.02, abs=0)


def test_vtu_tetrahedra(ball, tmp_path):
    mesh = ball.mesh
    L = 1e-9
    x, y, z = mesh.p
    out = write_vtu(tmp_path / "ball.vtu", ball,
                    point_data={"phi": x + 2 * z, "B": mesh.p.T.copy()},
                    cell_data={"chi": np.ones(mesh.nelements)},
                    field_data={"magnetic_moment": [1e-20, 0, 0]}, units={"B": "T"})
    grid = read_vtu(out)
    tets = grid.cells_dict[pv.CellType.TETRA]
    assert tets.shape == (mesh.nelements, 4)
    # positively oriented (VTK convention), same vertex sets as the skfem mesh
    pts = grid.points
    det = np.linalg.det(np.stack([pts[tets[:, k]] - pts[tets[:, 0]] for k in (1, 2, 3)], axis=1))
    assert np.all(det > 0)
    np.testing.assert_array_equal(np.sort(tets, axis=1), np.sort(mesh.t.T, axis=1))
    np.testing.assert_allclose(pts, mesh.p.T * L, rtol=1e-15)
    assert grid.point_data["B"].shape == (mesh.nvertices, 3)
    np.testing.assert_array_equal(grid.cell_data["region"], np.zeros(mesh.nelements))
    assert list(grid.field_data["region_names"]) == ["domain"]
    vol = element_measures(mesh) * L**3
    cx, cz = mesh.p[[0, 2]][:, mesh.t].mean(axis=1)
    integral = grid.integrate_data()
    print(f"volume {integral['Volume'][0]:.12e} m^3 (reference {vol.sum():.12e})")
    assert integral["Volume"][0] == pytest.approx(vol.sum(), rel=1e-12, abs=0)
    assert integral["phi"][0] == pytest.approx(np.sum(vol * (cx + 2 * cz)), abs=1e-12 * vol.sum())
    assert integral["chi"][0] == pytest.approx(vol.sum(), rel=1e-12, abs=0)


def _nan_at(n, k):
    arr = np.ones(n)
    arr[k] = np.nan
    return arr


# (arguments built from nv = #vertices, ne = #elements, expected message)
_BAD_ARRAYS = [
    (lambda nv, ne: {"point_data": {"density": np.ones(7)}},
     "point_data['density'] has 7 rows; expected length {nv}, one per mesh vertex"),
    (lambda nv, ne: {"cell_data": {"phase": np.ones(5)}},
     "cell_data['phase'] has 5 rows; expected length {ne}, one per element"),
    (lambda nv, ne: {"point_data": {"A": np.ones(ne)}}, "is this array on the other entity"),
    (lambda nv, ne: {"point_data": {"psi": np.ones(nv) * 1j}},
     "point_data['psi'] is complex; VTK has no complex arrays"),
    (lambda nv, ne: {"point_data": {"J": np.ones((nv, 4))}},
     "point_data['J'] has shape ({nv}, 4); expected"),
    (lambda nv, ne: {"point_data": {"rho": _nan_at(nv, 3)}},
     "point_data['rho'] has 1 non-finite (NaN/inf) row(s), first at index 3"),
    (lambda nv, ne: {"cell_data": {"B": np.c_[np.ones(ne), np.full(ne, np.inf)]}},
     "cell_data['B'] has {ne} non-finite"),
    (lambda nv, ne: {"cell_data": {"region": np.ones(ne)}}, "'region' is reserved"),
    (lambda nv, ne: {"field_data": {"energy": float("inf")}},
     "field_data['energy'] contains non-finite"),
    (lambda nv, ne: {"field_data": {"z": 1 + 2j}}, "field_data['z'] is complex"),
    (lambda nv, ne: {"units": {"B": 1.0}}, "units['B'] must be a unit string"),
    (lambda nv, ne: {"point_data": {"": np.ones(nv)}}, "array names must be non-empty strings"),
]


@pytest.mark.parametrize(("make_kwargs", "message"), _BAD_ARRAYS)
def test_vtu_refuses_bad_arrays(half_disk, tmp_path, make_kwargs, message):
    nv, ne = half_disk.mesh.nvertices, half_disk.mesh.nelements
    target = tmp_path / "bad.vtu"
    with pytest.raises(ParameterError) as err:
        write_vtu(target, half_disk, **make_kwargs(nv, ne))
    assert message.format(nv=nv, ne=ne) in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_vtu_refuses_bad_path(half_disk, tmp_path):
    with pytest.raises(ParameterError, match=r"must end in \.vtu"):
        write_vtu(tmp_path / "out.vtk", half_disk)
    with pytest.raises(ParameterError, match="must be a mqm_fem Domain"):
        write_vtu(tmp_path / "out.vtu", half_disk.mesh)
    with pytest.raises(mqm_fem.MeshError, match="does not exist"):
        read_vtu(tmp_path / "missing.vtu")


@pytest.mark.filterwarnings("ignore")  # VTK's own reader complaints, turned into warnings
def test_read_vtu_refuses_garbage(tmp_path):
    bad = tmp_path / "garbage.vtu"
    bad.write_text("not a VTK file")
    with pytest.raises(mqm_fem.MeshError, match="holds no points"):
        read_vtu(bad)
    with pytest.raises(ParameterError, match="not a .vtu file"):
        read_vtu(tmp_path / "x.vtk")


def test_vtu_write_is_atomic(half_disk, tmp_path, monkeypatch):
    """An error while writing leaves no partial file and keeps an older file intact."""
    from mqm_fem.io import vtk as export

    target = tmp_path / "result.vtu"
    write_vtu(target, half_disk, point_data={"f": np.zeros(half_disk.mesh.nvertices)})
    before = target.read_bytes(), sidecar_path(target).read_bytes()

    def broken_writer(grid, tmp):  # writes half a file, then fails like a full disk would
        with open(tmp, "wb") as handle:
            handle.write(b"<VTKFile type=")
        raise OSError("No space left on device")

    monkeypatch.setattr(export, "_write_grid", broken_writer)
    # an OutputError (still an OSError) naming the file asked for, not the temporary one
    with pytest.raises(OutputError, match=f"cannot write {target}: No space left") as err:
        write_vtu(target, half_disk, point_data={"f": np.ones(half_disk.mesh.nvertices)})
    assert ".tmp" not in str(err.value) and isinstance(err.value, OSError)
    with pytest.raises(OutputError, match="No space left"):
        write_vtu(tmp_path / "fresh.vtu", half_disk)
    # directories made for the file are removed again
    with pytest.raises(OutputError, match="No space left"):
        write_vtu(tmp_path / "new" / "dirs" / "fresh.vtu", half_disk)
    assert (target.read_bytes(), sidecar_path(target).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.vtu", "result.vtu.json"]
    monkeypatch.undo()

    # the sidecar failing after the .vtu was written: neither file appears
    def broken_text(tmp, text):
        raise OSError("sidecar failed")

    monkeypatch.setattr(export, "_write_text", broken_text)
    with pytest.raises(OutputError, match="sidecar failed"):
        write_vtu(tmp_path / "other.vtu", half_disk)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.vtu", "result.vtu.json"]

    # Ctrl-C in the middle of a series: the interrupt propagates, nothing of it stays
    def interrupted(tmp, text):
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "_write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_series(tmp_path / "sweep" / "s.pvd", half_disk, [{}, {}])
    with pytest.raises(KeyboardInterrupt):
        write_vtu(target, half_disk)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.vtu", "result.vtu.json"]
    assert (target.read_bytes(), sidecar_path(target).read_bytes()) == before
    monkeypatch.undo()
    np.testing.assert_array_equal(read_vtu(target).point_data["f"], 0.0)


def test_pvd_and_series(half_disk, tmp_path):
    x = half_disk.mesh.p[0]
    fields = [0.0, 0.5e-3, 1.0e-3]
    frames = [{"point_data": {"B": b * (1 + x)}, "field_data": {"applied_field": b},
               "value": b} for b in fields]
    pvd = write_series(tmp_path / "sweep" / "sweep.pvd", half_disk, frames, units={"B": "T"},
                       provenance={"solver": "test", "fields_T": fields})
    names = sorted(p.name for p in pvd.parent.iterdir())
    assert names == ["sweep.pvd", "sweep.pvd.json", "sweep_0000.vtu", "sweep_0000.vtu.json",
                     "sweep_0001.vtu", "sweep_0001.vtu.json", "sweep_0002.vtu",
                     "sweep_0002.vtu.json"]
    # the provenance in the .pvd sidecar and in every frame
    side = read_sidecar(pvd)
    assert side["entries"] == [{"value": b, "file": f"sweep_{k:04d}.vtu"}
                               for k, b in enumerate(fields)]
    assert side["provenance"]["solver"] == "test"
    assert side["provenance"]["mqm_fem_version"] == mqm_fem.__version__
    frame = read_vtu(pvd.parent / "sweep_0002.vtu")
    assert list(frame.field_data["provenance_fields_T"]) == [json.dumps(fields)]
    datasets = ET.parse(pvd).getroot().find("Collection").findall("DataSet")
    assert [float(d.get("timestep")) for d in datasets] == fields
    assert [d.get("file") for d in datasets] == [f"sweep_{k:04d}.vtu" for k in range(3)]
    reader = pv.get_reader(str(pvd))
    assert list(reader.time_values) == fields
    reader.set_active_time_value(fields[2])
    block = reader.read()[0]
    np.testing.assert_allclose(block.point_data["B"], fields[2] * (1 + x))
    assert read_sidecar(pvd.parent / "sweep_0001.vtu")["units"]["B"] == "T"

    # write_pvd alone: paths relative to the .pvd, in another directory
    other = write_pvd(tmp_path / "index" / "all.pvd",
                      [(2.0, pvd.parent / "sweep_0001.vtu"), (1.0, pvd.parent / "sweep_0000.vtu")])
    files = [d.get("file") for d in ET.parse(other).getroot().iter("DataSet")]
    assert files == ["../sweep/sweep_0001.vtu", "../sweep/sweep_0000.vtu"]
    assert all((other.parent / f).is_file() for f in files)


def test_pvd_errors(half_disk, tmp_path):
    vtu = write_vtu(tmp_path / "a.vtu", half_disk)
    with pytest.raises(ParameterError, match="appears twice"):
        write_pvd(tmp_path / "s.pvd", [(1.0, vtu), (1.0, vtu)])
    with pytest.raises(ParameterError, match="does not exist"):
        write_pvd(tmp_path / "s.pvd", [(1.0, tmp_path / "missing.vtu")])
    with pytest.raises(ParameterError, match="finite real number"):
        write_pvd(tmp_path / "s.pvd", [(float("nan"), vtu)])
    with pytest.raises(ParameterError, match=r"must end in \.pvd"):
        write_pvd(tmp_path / "s.xml", [(1.0, vtu)])
    with pytest.raises(ParameterError, match="entries is empty"):
        write_pvd(tmp_path / "s.pvd", [])
    assert not (tmp_path / "s.pvd").exists()
    # a bad frame: nothing of the series is written
    good = {"point_data": {"f": np.ones(half_disk.mesh.nvertices)}}
    bad = {"point_data": {"f": np.ones(3)}}
    with pytest.raises(ParameterError, match=r"frames\[1\]: point_data\['f'\] has 3 rows"):
        write_series(tmp_path / "series" / "s.pvd", half_disk, [good, bad])
    with pytest.raises(ParameterError, match="unknown key"):
        write_series(tmp_path / "series" / "s.pvd", half_disk, [{"pointdata": {}}])
    with pytest.raises(ParameterError, match="not distinct"):
        write_series(tmp_path / "series" / "s.pvd", half_disk, [{"value": 1}, {"value": 1}])
    assert not (tmp_path / "series").exists() or list((tmp_path / "series").iterdir()) == []


def _meshio_text(mesh, name):
    return decode_text(mesh.field_data[name])


def test_meshio_reads_every_file(half_disk, ball, annulus_msh, tmp_path):
    """meshio's VTU reader opens 2D, 3D and series files (it exits the process on VTK String
    arrays and choked on raw appended data): same points, cells, arrays and text."""
    data = _disk_arrays(half_disk)
    mesh = half_disk.mesh
    m = meshio.read(write_vtu(tmp_path / "disk.vtu", half_disk, **data))
    np.testing.assert_allclose(m.points[:, :2], mesh.p.T * UM, rtol=1e-15)
    np.testing.assert_array_equal(np.sort(m.cells_dict["triangle"], axis=1),
                                  np.sort(mesh.t.T, axis=1))
    np.testing.assert_array_equal(m.point_data["density"], data["point_data"]["density"])
    np.testing.assert_array_equal(m.point_data["B"], data["point_data"]["B"])
    np.testing.assert_array_equal(m.cell_data["phase"][0], data["cell_data"]["phase"])
    np.testing.assert_array_equal(m.cell_data["region"][0], half_disk.region_ids())
    np.testing.assert_array_equal(m.field_data["magnetic_moment"], [0.0, 0.0, -1.5e-15])
    assert _meshio_text(m, "region_names") == ["superconductor", "vacuum"]
    assert _meshio_text(m, "formulation") == ["outofplane"]
    assert dict(e.split("=", 1) for e in _meshio_text(m, "units"))["J"] == "A/m^2"
    assert _meshio_text(m, "provenance_mqm_fem_version") == [mqm_fem.__version__]

    # 3D, with non-ASCII text (pyvista alone would refuse it in a string array)
    x = ball.mesh.p[0]
    out = write_vtu(tmp_path / "ball.vtu", ball, point_data={"phi": x},
                    field_data={"note": "ξ = 50 nm, Ω"}, units={"phi": "Ω"})
    m = meshio.read(out)
    assert m.cells_dict["tetra"].shape == (ball.mesh.nelements, 4)
    np.testing.assert_array_equal(m.point_data["phi"], x)
    assert _meshio_text(m, "note") == ["ξ = 50 nm, Ω"]
    grid = read_vtu(out)
    assert list(grid.field_data["note"]) == ["ξ = 50 nm, Ω"]
    assert "phi=Ω" in list(grid.field_data["units"])

    # every frame of a series, from a mesh file: provenance with the file's SHA-256
    domain = mqm_fem.load_mesh(annulus_msh)
    frames = [{"point_data": {"f": s * domain.mesh.p[0]}} for s in (1.0, 2.0)]
    pvd = write_series(tmp_path / "s" / "s.pvd", domain, frames)
    digest = hashlib.sha256(annulus_msh.read_bytes()).hexdigest()
    for k, s in enumerate((1.0, 2.0)):
        m = meshio.read(pvd.parent / f"s_{k:04d}.vtu")
        np.testing.assert_array_equal(m.point_data["f"], s * domain.mesh.p[0])
        assert _meshio_text(m, "provenance_mesh_sha256") == [digest]


def test_files_are_compressed(ball, tmp_path):
    """zlib-compressed: a smooth field on the 3D ball takes well under its raw float64 size
    (base64 alone would make it 4/3 of it)."""
    mesh = ball.mesh
    out = write_vtu(tmp_path / "ball.vtu", ball, point_data={"B": np.tile([0, 0, 1e-3],
                                                                           (mesh.nvertices, 1))},
                    provenance=False)
    raw = 8 * 3 * mesh.nvertices * 2 + 8 * 4 * mesh.nelements  # points, B, connectivity
    print(f"{out.stat().st_size} bytes for {raw} bytes of raw point/B/connectivity data")
    assert out.stat().st_size < 0.5 * raw
    assert b"vtkZLibDataCompressor" in out.read_bytes()[:400]


def _unwritable_cases(tmp_path):
    """(path, expected message part) that cannot be written, also as root."""
    a_file = tmp_path / "results.txt"
    a_file.write_text("not a directory")
    cases = [(a_file / "x.vtu", "is a file, not a directory"),
             (a_file / "deeper" / "x.vtu", "is a file, not a directory")]
    if Path("/proc/self").is_dir():
        cases.append((Path("/proc/x.vtu"), "cannot create files in /proc"))
    return cases


def test_check_writable(tmp_path):
    target = tmp_path / "new" / "dir" / "x.vtu"
    assert check_writable(target, ".vtu", "--output") == target
    assert not (tmp_path / "new").exists()  # checked, nothing created
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ParameterError, match=r"--output: x\.vtk must end in \.vtu"):
        check_writable("x.vtk", ".vtu", "--output")
    (tmp_path / "d.vtu").mkdir()
    with pytest.raises(OutputError, match="it is a directory"):
        check_writable(tmp_path / "d.vtu", ".vtu")
    for path, message in _unwritable_cases(tmp_path):
        with pytest.raises(OutputError) as err:
            check_writable(path, ".vtu", "--output")
        text = str(err.value)
        assert text.startswith(f"--output: cannot write {path}: ") and message in text, text
        assert "\n" not in text


def test_read_only_directory(half_disk, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        try:  # root (CAP_DAC_OVERRIDE) writes anyway: then there is nothing to refuse
            (locked / "probe").touch()
        except PermissionError:
            pass
        else:
            pytest.skip("running as root: permission bits do not stop this process, so a "
                        "read-only directory is writable (the /proc and parent-is-a-file cases "
                        "test the refusal)")
        with pytest.raises(OutputError, match=f"cannot create files in {locked} "
                           r"\(Permission denied\)"):
            check_writable(locked / "x.vtu", ".vtu", "--output")
        with pytest.raises(OutputError, match="Permission denied"):
            write_vtu(locked / "sub" / "x.vtu", half_disk)
        with pytest.raises(OutputError, match="Permission denied"):
            plot_profile([0, 1], [0, 1], locked / "p.png")
        assert list(locked.iterdir()) == []
        assert main(["info", str(MESHES / "disk.msh")]) == 0  # (the CLI itself is fine)
        assert main(["london", str(MESHES / "sphere_in_ball.msh"), "--penetration-depth",
                     "100nm", "--field", "0", "0", "1mT", "-o", str(locked / "x.vtu")]) == 2
    finally:
        locked.chmod(0o755)


def test_writers_refuse_unwritable_paths(half_disk, tmp_path, capfd):
    """Every writer raises OutputError up front, prints nothing (no VTK messages) and leaves
    nothing behind."""
    vtu = write_vtu(tmp_path / "ok.vtu", half_disk)
    cases = _unwritable_cases(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    capfd.readouterr()
    x = np.linspace(0.0, 1.0, 5)
    phase = PhaseBoundary(fields=x * 1e-3, eigenvalues=x, tc_ratio=1 - 0.1 * x, xi0=1e-7,
                          length_scale=1e-6)
    for path, message in cases:
        stem = path.with_suffix("")
        writers = [
            lambda p=path: write_vtu(p, half_disk, point_data={"f": half_disk.mesh.p[0]}),
            lambda p=stem: write_pvd(p.with_suffix(".pvd"), [(0.0, vtu)]),
            lambda p=stem: write_series(p.with_suffix(".pvd"), half_disk, [{}, {}]),
            lambda p=stem: plot_profile(x, x**2, p.with_suffix(".png")),
            lambda p=stem: plot_field(half_disk, "region", p.with_suffix(".png"),
                                      backend="matplotlib"),
            lambda p=stem: phase.write(p.with_suffix(".csv")),
        ]
        for write in writers:
            with pytest.raises(OutputError, match=message):
                write()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_vtk_failure_is_one_quiet_error(half_disk, tmp_path, monkeypatch, capfd):
    """If VTK itself fails to encode, its messages end up in the OutputError, not on stderr."""
    from mqm_fem.io import vtk as export

    real_build = export._build
    monkeypatch.setattr(export, "_build", lambda *a, **k: (None, real_build(*a, **k)[1]))
    with pytest.raises(OutputError, match=r"cannot write .*x\.vtu: VTK could not encode the "
                       r"grid \(No input provided!\)"):
        write_vtu(tmp_path / "x.vtu", half_disk)
    assert capfd.readouterr() == ("", "")
    assert list(tmp_path.iterdir()) == []


def test_phase_boundary_write_sidecar(tmp_path):
    x = np.linspace(0.0, 1.0, 3)
    phase = PhaseBoundary(fields=x * 1e-3, eigenvalues=x, tc_ratio=1 - 0.1 * x, xi0=1e-7,
                          length_scale=1e-6)
    paths = phase.write(tmp_path / "tc.csv", provenance={"mesh_file": "disk.msh"})
    assert [p.name for p in paths] == ["tc.csv", "tc.csv.json", "tc.png"]
    rows = np.loadtxt(paths[0], delimiter=",", skiprows=1)
    np.testing.assert_allclose(rows[:, 3], 1 - 0.1 * x)
    side = json.loads(paths[1].read_text())
    assert side["provenance"]["mqm_fem_version"] == mqm_fem.__version__
    assert side["provenance"]["xi0_m"] == 1e-7 and side["provenance"]["mesh_file"] == "disk.msh"
    assert side["columns"]["B_T"] == "T"


@pytest.mark.parametrize("where", ["proc", "file-parent"])
def test_cli_refuses_unwritable_output_before_solving(tmp_path, capsys, where):
    """`mqm-fem london ... -o <unwritable>` stops at once: status 2, one line on stderr
    naming the path and why, no traceback, no VTK messages."""
    if where == "proc":
        if not Path("/proc/self").is_dir():
            pytest.skip("no /proc on this system")
        out, why = "/proc/x.vtu", "cannot create files in /proc"
    else:
        blocker = tmp_path / "results.txt"
        blocker.write_text("")
        out, why = str(blocker / "x.vtu"), f"{blocker} is a file, not a directory"
    start = time.perf_counter()
    code = main(["london", str(MESHES / "sphere_in_ball.msh"), "--penetration-depth", "100nm",
                 "--field", "0", "0", "1mT", "-o", out])
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    print(f"refused in {elapsed:.3f} s: {lines}")
    assert code == 2
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"mqm-fem london: error: --output: cannot write {out}: ")
    assert why in lines[0] and "Traceback" not in captured.err
    assert elapsed < 2.0  # before the mesh is even read


_PVBATCH_SCRIPT = r'''
import json, sys
from paraview import servermanager
from paraview.simple import IntegrateVariables, PVDReader, XMLUnstructuredGridReader

def text(array):
    """mqm_fem's text field arrays: UInt8, UTF-8, NUL-terminated values."""
    raw = bytes(array.GetValue(i) for i in range(array.GetNumberOfValues()))
    return raw.decode("utf-8").split("\0")[:-1]

def arrays(data):
    pd, cd, fd = data.GetPointData(), data.GetCellData(), data.GetFieldData()
    moment = fd.GetArray("magnetic_moment")
    return {
        "points": data.GetNumberOfPoints(), "cells": data.GetNumberOfCells(),
        "cell_types": sorted({data.GetCellType(i) for i in range(data.GetNumberOfCells())}),
        "point_arrays": {pd.GetArrayName(i): pd.GetArray(i).GetNumberOfComponents()
                         for i in range(pd.GetNumberOfArrays())},
        "cell_arrays": [cd.GetArrayName(i) for i in range(cd.GetNumberOfArrays())],
        "field_arrays": [fd.GetAbstractArray(i).GetName() for i in range(fd.GetNumberOfArrays())],
        "text": {fd.GetAbstractArray(i).GetName(): text(fd.GetAbstractArray(i))
                 for i in range(fd.GetNumberOfArrays())
                 if fd.GetAbstractArray(i).GetComponentName(0) == "utf-8 text"},
        "moment": [moment.GetValue(i) for i in range(3)] if moment else None,
    }

def integrals(source):
    res = servermanager.Fetch(IntegrateVariables(Input=source))
    out = {}
    for attr in (res.GetPointData(), res.GetCellData()):
        for i in range(attr.GetNumberOfArrays()):
            arr = attr.GetArray(i)
            out[attr.GetArrayName(i)] = [arr.GetComponent(0, c)
                                         for c in range(arr.GetNumberOfComponents())]
    return out

*vtus, pvd = sys.argv[1:]
result = {"vtu": [], "vtu_integrals": []}
for vtu in vtus:
    reader = XMLUnstructuredGridReader(FileName=[vtu])
    reader.UpdatePipeline()
    result["vtu"].append(arrays(servermanager.Fetch(reader)))
    result["vtu_integrals"].append(integrals(reader))
series = PVDReader(FileName=pvd)
result["pvd_times"] = list(series.TimestepValues)
series.UpdatePipeline(result["pvd_times"][-1])
result["pvd_last_integrals"] = integrals(series)
print("MQM_FEM_JSON " + json.dumps(result))
'''


@pytest.mark.paraview
def test_paraview_reads_vtu_and_pvd(half_disk, ball, annulus_msh, tmp_path):
    """ParaView 5.x (pvbatch) opens our files (2D, 3D, a series): array names, components,
    field data, text and provenance, integrals."""
    pvbatch, xvfb = shutil.which("pvbatch"), shutil.which("xvfb-run")
    if not (pvbatch and xvfb):
        pytest.skip(f"needs pvbatch and xvfb-run on PATH (pvbatch: {pvbatch}, xvfb-run: {xvfb})")
    data = _disk_arrays(half_disk)
    vtu = write_vtu(tmp_path / "half_disk.vtu", half_disk, **data)
    x, y = half_disk.mesh.p
    frames = [{"point_data": {"f": s * (1 + 2 * x + 3 * y)}, "field_data": {
        "magnetic_moment": [0, 0, s]}, "value": s} for s in (0.5, 2.0)]
    pvd = write_series(tmp_path / "series" / "sweep.pvd", half_disk, frames)
    tet = write_vtu(tmp_path / "ball.vtu", ball, point_data={"phi": ball.mesh.p[0]},
                    field_data={"note": "ξ = 50 nm"})
    annulus = mqm_fem.load_mesh(annulus_msh)
    from_file = write_vtu(tmp_path / "annulus.vtu", annulus,
                          point_data={"f": annulus.mesh.p[0]},
                          provenance=mqm_fem.io.provenance(annulus, solver="direct", ndofs=42))
    script = tmp_path / "check.py"
    script.write_text(_PVBATCH_SCRIPT)
    proc = subprocess.run([xvfb, "-a", pvbatch, str(script), str(vtu), str(tet), str(from_file),
                           str(pvd)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ""}, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("MQM_FEM_JSON ")]
    assert proc.returncode == 0 and lines, (
        f"pvbatch failed (rc {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    result = json.loads(lines[-1].split(" ", 1)[1])
    print(json.dumps(result, indent=1), file=sys.stderr)
    mesh = half_disk.mesh
    info = result["vtu"][0]
    assert (info["points"], info["cells"]) == (mesh.nvertices, mesh.nelements)
    assert info["point_arrays"] == {"density": 1, "J": 3, "B": 3}
    assert set(info["cell_arrays"]) == {"phase", "A", "region"}
    assert {"magnetic_moment", "eigenvalues", "energy", "formulation", "region_names",
            "units", "provenance_mqm_fem_version"} <= set(info["field_arrays"])
    assert info["text"]["region_names"] == ["superconductor", "vacuum"]
    assert info["text"]["formulation"] == ["outofplane"]
    assert "J=A/m^2" in info["text"]["units"]
    assert info["text"]["provenance_mqm_fem_version"] == [mqm_fem.__version__]
    assert info["moment"] == [0.0, 0.0, -1.5e-15]
    # integrals against the exact sums over the mesh (P1 data: exact up to rounding)
    area = element_measures(mesh) * UM**2
    cx, cy = mesh.p[:, mesh.t].mean(axis=1)
    integ = result["vtu_integrals"][0]
    assert integ["Area"][0] == pytest.approx(area.sum(), rel=1e-12, abs=0)
    # ∫ J = ∫ (-y, x) dA
    np.testing.assert_allclose(integ["J"], [np.sum(area * -cy), np.sum(area * cx), 0.0],
                               atol=1e-12 * area.sum())
    # 3D: tetrahedra (VTK type 10), the volume, non-ASCII text
    info3 = result["vtu"][1]
    assert info3["cell_types"] == [10]
    assert (info3["points"], info3["cells"]) == (ball.mesh.nvertices, ball.mesh.nelements)
    assert result["vtu_integrals"][1]["Volume"][0] == pytest.approx(
        element_measures(ball.mesh).sum() * 1e-27, rel=1e-12, abs=0)
    assert info3["text"]["note"] == ["ξ = 50 nm"]
    # provenance of a mesh file, as ParaView sees it
    prov = result["vtu"][2]["text"]
    assert prov["provenance_mesh_sha256"] == [hashlib.sha256(annulus_msh.read_bytes()).hexdigest()]
    assert prov["provenance_mesh_file"] == [str(Path(annulus_msh).absolute())]
    assert prov["provenance_ndofs"] == ["42"] and prov["provenance_solver"] == ["direct"]
    # the series
    assert result["pvd_times"] == [0.5, 2.0]
    reference = 2.0 * float(np.sum(area * (1 + 2 * cx + 3 * cy)))
    print(f"ParaView integral {result['pvd_last_integrals']['f'][0]:.12e}, "
          f"reference {reference:.12e}")
    assert result["pvd_last_integrals"]["f"][0] == pytest.approx(reference, rel=1e-12, abs=0)


def test_result_and_sidecar_are_written_together_or_not_at_all(tmp_path, half_disk):
    """A sidecar path that cannot be written (a directory is in the way) is refused before
    anything is written, and an older result of the same name stays untouched."""
    from mqm_fem.errors import OutputError
    from mqm_fem.io.files import atomic_write

    out = tmp_path / "x.vtu"
    (tmp_path / "x.vtu.json").mkdir()
    with pytest.raises(OutputError, match=r"x\.vtu\.json: it is a directory"):
        write_vtu(out, half_disk)
    assert not out.exists()
    old, blocked = tmp_path / "old.txt", tmp_path / "blocked"
    old.write_text("old")
    blocked.mkdir()
    (blocked / "keep").write_text("")  # a non-empty directory: the rename onto it fails
    with pytest.raises(OutputError, match="cannot write .*blocked"):
        atomic_write([(old, lambda tmp: tmp.write_text("new")),
                      (blocked, lambda tmp: tmp.write_text("x"))])
    assert old.read_text() == "old"  # rolled back, not half-replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "old.txt", "x.vtu.json"]


def test_long_but_legal_file_names_are_accepted(tmp_path, half_disk):
    """The probe and temporary names are short: a 250-character file name still works."""
    out = tmp_path / ("a" * 246 + ".vtu")
    assert write_vtu(out, half_disk).exists()
