"""Provenance: every result file says which mqm_fem version, command, mesh file (with its
SHA-256) and settings made it — in the JSON sidecar and in the .vtu field data, as meshio,
pyvista and ParaView read it. The package version lives in one place, mqm_fem/_version.py."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shlex
import sys
from pathlib import Path

import meshio
import numpy as np
import pytest

import mqm_fem
from mqm_fem import ParameterError
from mqm_fem.cli import main
from mqm_fem.io import decode_text, file_sha256, provenance, read_sidecar, read_vtu, write_vtu

ROOT = Path(__file__).resolve().parents[1]
MESHES = ROOT / "meshes"


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_version_single_source():
    from mqm_fem._version import __version__

    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    assert mqm_fem.__version__ == __version__ == "0.2.0"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "mqm_fem._version.__version__"}


def test_provenance_record(annulus_msh, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["mqm-fem", "london", "my mesh.msh", "-o", "x.vtu"])
    domain = mqm_fem.load_mesh(annulus_msh)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    record = provenance(domain, formulation="out-of-plane", ndofs=np.int64(1234),
                        timings={"solve_s": 0.5, "assembly_s": np.float64(0.25)},
                        eigenvalues=np.array([1.0, 2.5]), residual=float("nan"),
                        options=("a", 2))
    after = datetime.datetime.now(datetime.timezone.utc)
    assert record["mqm_fem_version"] == mqm_fem.__version__
    assert record["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert record["platform"]
    assert record["command_line"] == "mqm-fem london 'my mesh.msh' -o x.vtu"
    assert record["command_line"] == shlex.join(sys.argv)
    created = datetime.datetime.fromisoformat(record["created_utc"])
    assert created.utcoffset() == datetime.timedelta(0) and before <= created <= after
    assert record["mesh_file"] == str(Path(annulus_msh).absolute())
    assert record["mesh_sha256"] == _sha256(annulus_msh)
    # details: plain JSON types
    assert record["ndofs"] == 1234 and type(record["ndofs"]) is int
    assert record["timings"] == {"solve_s": 0.5, "assembly_s": 0.25}
    assert record["eigenvalues"] == [1.0, 2.5] and record["options"] == ["a", 2]
    assert record["residual"] == "nan"
    json.dumps(record, allow_nan=False)  # strict JSON


def test_provenance_without_mesh_file(half_disk):
    record = provenance(half_disk)
    assert "mesh_file" not in record and "mesh_sha256" not in record
    assert set(provenance()) == {"mqm_fem_version", "python_version", "platform",
                                 "command_line", "created_utc"}


def test_provenance_refuses(half_disk):
    with pytest.raises(ParameterError, match="detail 'mqm_fem_version' would replace"):
        provenance(half_disk, mqm_fem_version="9")
    with pytest.raises(ParameterError, match=r"provenance\['solver'\]: a object cannot be"):
        provenance(half_disk, solver=object())
    with pytest.raises(ParameterError, match="keys must be non-empty strings"):
        provenance(half_disk, timings={1: 2.0})
    with pytest.raises(ParameterError, match="provenance must be a dict"):
        write_vtu("/tmp/never_written.vtu", half_disk, provenance=["not", "a", "dict"])
    with pytest.raises(ParameterError, match="'provenance_x' is reserved"):
        write_vtu("/tmp/never_written.vtu", half_disk, field_data={"provenance_x": 1.0})
    assert not Path("/tmp/never_written.vtu").exists()


def test_mesh_hash_cached_and_refreshed(tmp_path):
    mesh = tmp_path / "m.msh"
    mesh.write_bytes(b"first version")
    first = file_sha256(mesh)
    assert first == _sha256(mesh)
    assert file_sha256(mesh) == first  # from the cache
    mesh.write_bytes(b"second version, longer")  # new size (and mtime): hashed again
    assert file_sha256(mesh) == _sha256(mesh) != first
    assert file_sha256(tmp_path / "missing.msh") is None
    assert file_sha256(tmp_path) is None


def test_vtu_carries_provenance(annulus_msh, tmp_path):
    """The default record (no provenance given) in the sidecar and as field arrays, read back
    by meshio and by read_vtu; details given are added."""
    domain = mqm_fem.load_mesh(annulus_msh)
    digest = _sha256(annulus_msh)
    out = write_vtu(tmp_path / "a.vtu", domain, point_data={"f": domain.mesh.p[0]})
    side = read_sidecar(out)["provenance"]
    assert side["mqm_fem_version"] == mqm_fem.__version__
    assert side["mesh_sha256"] == digest
    assert side["mesh_file"] == str(Path(annulus_msh).absolute())
    m = meshio.read(out)
    assert decode_text(m.field_data["provenance_mqm_fem_version"]) == [mqm_fem.__version__]
    assert decode_text(m.field_data["provenance_mesh_sha256"]) == [digest]
    assert decode_text(m.field_data["provenance_created_utc"]) == [side["created_utc"]]

    details = provenance(domain, formulation="out-of-plane", ndofs=321,
                         timings={"solve_s": 1.5})
    out = write_vtu(tmp_path / "b.vtu", domain, provenance=details)
    grid = read_vtu(out)
    assert list(grid.field_data["provenance_formulation"]) == ["out-of-plane"]
    assert json.loads(grid.field_data["provenance_ndofs"][0]) == 321
    assert json.loads(grid.field_data["provenance_timings"][0]) == {"solve_s": 1.5}
    assert list(grid.field_data["provenance_mesh_sha256"]) == [digest]
    assert read_sidecar(out)["provenance"] == details

    # a partial record is completed; False records none
    out = write_vtu(tmp_path / "c.vtu", domain, provenance={"solver": "cg"})
    record = read_sidecar(out)["provenance"]
    assert record["solver"] == "cg" and record["mesh_sha256"] == digest
    out = write_vtu(tmp_path / "d.vtu", domain, provenance=False)
    assert "provenance" not in read_sidecar(out)
    assert not any(k.startswith("provenance_") for k in meshio.read(out).field_data)


def test_cli_schrodinger_records_solver_details(tmp_path, monkeypatch):
    """`mqm-fem schrodinger` → the .vtu records the command, the mesh hash and k, order,
    gauge, boundary conditions, ndofs, eigensolver and timings."""
    mesh = MESHES / "disk.msh"
    out = tmp_path / "modes.vtu"
    argv = ["schrodinger", str(mesh), "--field", "0", "0", "1mT", "--k", "2", "--order", "1",
            "--bc", "outer=dirichlet", "-o", str(out)]
    monkeypatch.setattr(sys, "argv", ["mqm-fem", *argv])
    assert main(argv) == 0
    record = read_sidecar(out)["provenance"]
    assert record["command_line"] == shlex.join(["mqm-fem", *argv])
    assert record["mesh_sha256"] == _sha256(mesh)
    assert record["problem"] == "schrodinger"
    assert (record["k"], record["order"], record["gauge"]) == (2, 1, "symmetric")
    assert record["bc"]["outer"] == "dirichlet"
    assert record["ndofs"] > 100 and record["free_dofs"] < record["ndofs"]
    assert record["eigensolver"]["eigensolver"] in ("shift-invert", "lobpcg")
    assert record["timings_s"]["time_s"] > 0
    assert record["applied_field_T"] == [0.0, 0.0, 1e-3]
    m = meshio.read(out)
    assert decode_text(m.field_data["provenance_mqm_fem_version"]) == [mqm_fem.__version__]
    assert decode_text(m.field_data["provenance_mesh_sha256"]) == [_sha256(mesh)]
    assert json.loads(decode_text(m.field_data["provenance_k"])[0]) == 2
    assert json.loads(decode_text(m.field_data["provenance_bc"])[0])["outer"] == "dirichlet"
    assert os.path.getsize(out) > 0


def test_mesh_hash_is_of_the_mesh_that_was_solved(annulus_msh, tmp_path):
    """The hash is taken when the mesh is read: overwriting the file before the result is
    written must not change what the provenance says was solved."""
    import shutil

    mesh = tmp_path / "m.msh"
    shutil.copy(annulus_msh, mesh)
    domain = mqm_fem.load_mesh(mesh)
    solved = _sha256(mesh)
    assert domain.source_sha256 == solved
    mesh.write_text(mesh.read_text().replace("$EndElements", "$EndElements\n"))
    out = write_vtu(tmp_path / "r.vtu", domain, point_data={"u": np.zeros(domain.mesh.nvertices)})
    assert read_sidecar(out)["provenance"]["mesh_sha256"] == solved != _sha256(mesh)
