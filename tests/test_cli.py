"""The ``mqm-fem`` command line: every verb's help, the main jobs on shipped meshes, and errors
as one line (no traceback) with exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mqm_fem.cli import main
from mqm_fem.io.vtk import read_sidecar, read_vtu
from mqm_fem.mesh.geometry import GEOMETRIES
from mqm_fem.units import MU0, PHI0

MESHES = Path(__file__).resolve().parents[1] / "meshes"


@pytest.mark.parametrize(
    "argv",
    [[], ["mesh"], ["info"], ["london"], ["schrodinger"], ["nucleation"]]
    + [["mesh", kind] for kind in GEOMETRIES],
)
def test_help_on_every_verb(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: mqm-fem")
    assert "--debug" in out or not argv


def test_console_script_is_installed_and_runs():
    """The entry point from pyproject.toml (what users type), not just the function."""
    exe = Path(sys.executable).with_name("mqm-fem")
    if not exe.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "london" in result.stdout


def test_mesh_sphere_in_box_then_info(tmp_path, capsys):
    out = tmp_path / "sphere.msh"
    assert main(["mesh", "sphere-in-box", "--radius", "1", "--box-size", "4", "--h", "0.6",
                 "--h-sc", "0.3", "-o", str(out)]) == 0
    assert out.exists()
    assert "superconductor" in capsys.readouterr().out
    assert main(["info", str(out), "--length-unit", "nm"]) == 0
    text = capsys.readouterr().out
    for word in ("superconductor", "vacuum", "outer", "surface", "tetra", "nm"):
        assert word in text, (word, text)


def test_london_3d_on_shipped_sphere(tmp_path, capsys):
    """The README's main job: Meissner screening of the shipped sphere-in-ball mesh, whose
    moment is compared with the analytic London sphere (physics.md §1a)."""
    out = tmp_path / "sphere.vtu"
    assert main(["london", str(MESHES / "sphere_in_ball.msh"), "--penetration-depth", "0.1um",
                 "--field", "0", "0", "1mT", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "magnetic_moment" in text and "far_field: image" in text
    grid = read_vtu(out)
    for name in ("A", "B", "J", "region"):
        assert name in grid.array_names, (name, grid.array_names)
    m = np.asarray(grid.field_data["magnetic_moment"])
    radius, lam, field = 1e-6, 1e-7, 1e-3
    exact = -2 * np.pi * radius**3 * field / MU0 * (
        1 - 3 * lam / radius / np.tanh(radius / lam) + 3 * lam**2 / radius**2)
    # coarse shipped mesh (h = λ at the surface): +2 % (the validation tests refine)
    assert m[2] == pytest.approx(exact, rel=0.03, abs=0)
    assert np.hypot(m[0], m[1]) < 1e-3 * abs(m[2])
    assert read_sidecar(out)["units"]["magnetic_moment"] == "A*m^2"


def test_london_3d_box_mesh_reports_uncorrected_moment(tmp_path, capsys):
    """A box-shaped vacuum has no image correction: the summary says so (far_field: none)."""
    out = tmp_path / "ring3d.vtu"
    assert main(["london", str(MESHES / "ring_in_box.msh"), "--lambda", "100nm", "--field",
                 "0", "0", "1", "mT", "--superconductor", "superconductor", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "far_field: none" in text
    m = np.asarray(read_vtu(out).field_data["magnetic_moment"])
    assert m[2] < 0 and np.hypot(m[0], m[1]) < 1e-3 * abs(m[2])


def test_london_2d_ring_with_fluxoid(tmp_path, capsys):
    out = tmp_path / "ring.vtu"
    assert main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "0.1 um",
                 "--field", "0", "--fluxoid", "hole_0=1", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "hole_0" in text
    grid = read_vtu(out)
    assert {"B", "J", "region"} <= set(grid.array_names)
    # zero applied field, one trapped fluxoid: the hole carries a fraction of Φ0 (< 1)
    flux = float(np.asarray(grid.field_data["hole_flux_hole_0"]).ravel()[0])
    assert 0.5 * PHI0 < flux < PHI0
    fluxoid = float(np.asarray(grid.field_data["fluxoid_hole_0"]).ravel()[0])
    assert fluxoid == pytest.approx(1.0, abs=1e-6)


def test_schrodinger_on_shipped_disk(tmp_path, capsys):
    out = tmp_path / "modes.vtu"
    assert main(["schrodinger", str(MESHES / "disk.msh"), "--field", "0.1mT", "--k", "3",
                 "--bc", "outer=dirichlet", "--xi", "0.2um", "--eigensolver", "lobpcg",
                 "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "mode 2" in text and "nucleation field" in text
    grid = read_vtu(out)
    for i in range(3):
        for name in ("psi_re", "psi_im", "density", "phase", "J_s"):
            assert f"{name}_{i}" in grid.array_names
    eps = np.asarray(grid.field_data["eigenvalues"])
    assert eps.shape == (3,) and np.all(np.diff(eps) >= -1e-9)
    # weak field (b = 2πBR²/Φ0 = 0.3), Dirichlet disk R = 1 µm = L0: ε0 ≈ j01² = 5.7832
    assert eps[0] == pytest.approx(5.7832, rel=0.01, abs=0)


def test_nucleation_writes_csv_and_png(tmp_path, capsys):
    out = tmp_path / "tc.csv"
    assert main(["nucleation", str(MESHES / "disk.msh"), "--xi", "0.1um", "--fields", "0", "5",
                 "10", "mT", "-o", str(out)]) == 0
    assert "Tc/Tc0" in capsys.readouterr().out
    rows = np.loadtxt(out, delimiter=",", skiprows=1)
    assert rows.shape == (3, 4)
    assert np.allclose(rows[:, 0], [0, 5e-3, 10e-3])
    assert rows[0, 3] == pytest.approx(1.0, abs=1e-8)  # natural BC, zero field: ε0 = 0
    assert np.all(np.diff(rows[:, 3]) < 0)  # the field suppresses T_c
    assert out.with_suffix(".png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["info", "no_such.msh"], "no_such.msh"),
        (["london", "MESH", "--penetration-depth=-1um", "--field", "1mT", "-o", "x.vtu"],
         "penetration"),
        (["london", "MESH", "--penetration-depth", "0.1um", "--field", "1mT",
          "--superconductor", "niobium", "-o", "x.vtu"], "niobium"),
        (["london", "MESH", "--penetration-depth", "0.1um", "--field", "1mT", "-o", "x.txt"],
         ".vtu"),
        (["schrodinger", "MESH", "--k", "0", "-o", "x.vtu"], "k"),
        (["schrodinger", "MESH", "--eigensolver", "arpack", "-o", "x.vtu"], "lobpcg"),
        (["london", "CROSS", "--penetration-depth", "0.1um", "--field", "1mT", "0mT",
          "--solver", "ams-cg", "-o", "x.vtu"], "solver not taken by the 'in-plane' formulation"),
        (["schrodinger", "MESH", "--bc", "rim=dirichlet", "-o", "x.vtu"], "rim"),
    ],
)
def test_errors_are_one_line_without_traceback(argv, message, tmp_path, capsys):
    meshes = {"MESH": "disk.msh", "CROSS": "cylinder_cross_section.msh"}
    argv = [str(MESHES / meshes[a]) if a in meshes else a for a in argv]
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"mqm-fem {argv[0]}: error:"), err
    assert message in err[-1]
    assert not any("Traceback" in line for line in err)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_debug_shows_the_traceback():
    from mqm_fem import MqmFemError

    with pytest.raises(MqmFemError):
        main(["info", "no_such.msh", "--debug"])
