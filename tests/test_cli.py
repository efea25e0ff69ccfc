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
    [[], ["mesh"], ["info"], ["london"], ["polarizability"], ["schrodinger"], ["nucleation"],
     ["sweep"], ["gl"]]
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
    moment is compared with the analytic London sphere (docs/theory.md §1a)."""
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
    assert rows.shape == (3, 5)
    assert np.allclose(rows[:, 0], [0, 5e-3, 10e-3])
    assert np.all(rows[:, 4] == 1)  # superconducting at every field
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


# -- regressions: what a new user hit ---------------------------------------------------------
def test_nucleation_reads_a_unit_after_each_field(tmp_path, capsys):
    """'--fields 1 mT 2 mT' was read as [1 T, 1 mT, 2 T, 1 mT] (and ran 58 s)."""
    out = tmp_path / "t.csv"
    assert main(["nucleation", str(MESHES / "disk.msh"), "--xi", "100nm", "--fields", "1", "mT",
                 "2", "mT", "-o", str(out)]) == 0
    rows = np.loadtxt(out, delimiter=",", skiprows=1)
    np.testing.assert_allclose(rows[:, 0], [1e-3, 2e-3], rtol=1e-12, atol=0)
    assert np.all((rows[:, 3] > 0.9) & (rows[:, 3] < 1.0))
    assert "not superconducting" not in capsys.readouterr().out


def test_nucleation_above_the_nucleation_field_is_not_superconducting(tmp_path, capsys):
    """ξ₀ = 100 nm: B_c2 = 33 mT, so 1 T is far above the nucleation field. It was reported as
    T_c/T_c0 = −30; now 'not superconducting' (summary), NaN (CSV), a gap (PNG). Negative
    fields starting with '-' are values, and ε₀(−B) = ε₀(B)."""
    out = tmp_path / "t.csv"
    assert main(["nucleation", str(MESHES / "disk.msh"), "--xi", "100nm", "--fields", "-1", "0",
                 "1", "mT", "1", "T", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    last = [line for line in text.splitlines() if line.split()[:1] == ["1"]]
    assert last and last[0].endswith("not superconducting"), text
    rows = np.genfromtxt(out, delimiter=",", skip_header=1)
    np.testing.assert_allclose(rows[:, 0], [-1e-3, 0, 1e-3, 1.0], rtol=1e-12, atol=0)
    assert rows[0, 3] == pytest.approx(rows[2, 3], rel=1e-9, abs=0)
    assert rows[1, 3] == pytest.approx(1.0, abs=1e-8)
    assert np.isnan(rows[3, 3]) and rows[3, 2] > 100  # ε₀ ≥ (L₀/ξ₀)² = 100
    assert "nan" in out.read_text().splitlines()[-1]
    assert out.with_suffix(".png").stat().st_size > 1000


def test_values_starting_with_minus_are_not_options(tmp_path, capsys):
    out = tmp_path / "s.vtu"
    assert main(["schrodinger", str(MESHES / "disk.msh"), "--field", "0", "0", "-1mT", "--k",
                 "2", "--order", "1", "-o", str(out)]) == 0
    field = np.asarray(read_vtu(out).field_data["applied_field"])
    np.testing.assert_allclose(field, [0, 0, -1e-3], rtol=1e-12, atol=0)
    err = capsys.readouterr().err
    assert "usage:" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # options checked before the mesh is read: the (missing) mesh is never reached
        (["schrodinger", "MISSING", "--xi", "banana", "-o", "x.vtu"], "--xi: cannot parse"),
        (["schrodinger", "MISSING", "--xi", "-50nm", "-o", "x.vtu"],
         "--xi: must be a positive length"),
        (["schrodinger", "MISSING", "--k", "-1", "-o", "x.vtu"], "--k: the number of states"),
        (["schrodinger", "MISSING", "--k", "2.5", "-o", "x.vtu"],
         "--k: '2.5': the number of states must be an integer"),
        (["schrodinger", "MISSING", "--order", "3", "-o", "x.vtu"], "--order: the Lagrange order"),
        (["schrodinger", "MISSING", "--gauge", "coulomb", "-o", "x.vtu"], "--gauge"),
        (["schrodinger", "MISSING", "--eigensolver", "arpack", "-o", "x.vtu"], "--eigensolver"),
        (["schrodinger", "MISSING", "--bc", "outer=sticky", "-o", "x.vtu"], "sticky"),
        (["schrodinger", "MISSING", "--field", "0", "0", "-1", "mT", "5", "-o", "x.vtu"],
         "--field"),
        (["schrodinger", "MISSING", "--length-unit", "kg", "-o", "x.vtu"], "--length-unit"),
        (["nucleation", "MISSING", "--xi", "-100nm", "--fields", "-1", "0", "1", "mT", "-o",
          "x.csv"], "--xi: must be a positive length"),
        (["nucleation", "MISSING", "--xi", "100nm", "--fields", "1", "mT", "2", "-o", "x.csv"],
         "--fields: '2' at the end of '1 mT 2' has no unit"),
        (["nucleation", "MISSING", "--xi", "100nm", "--fields", "1", "mT", "--direction", "0",
          "0", "0", "-o", "x.csv"], "--direction: must be a nonzero vector"),
        (["nucleation", "MISSING", "--xi", "100nm", "--fields", "1", "mT", "--direction", "0",
          "-1", "x", "-o", "x.csv"], "--direction: expected a number, got 'x'"),
        (["nucleation", "MISSING", "--xi", "100nm", "--fields", "1", "mT", "--bc", "dirichlet",
          "-o", "x.csv"], "--bc: expected NAME=KIND"),
        # reaches the london solver, which refuses the negative λ in one line
        (["london", "MESH", "--penetration-depth", "-1um", "--field", "1mT", "-o", "x.vtu"],
         "--penetration-depth: must be a positive length"),
        (["mesh", "disk", "--radius", "-1", "--h", "0.1", "-o", "x.msh"], "radius"),
        (["mesh", "disk", "--radius", "one", "--h", "0.1", "-o", "x.msh"], "--radius"),
    ],
)
def test_options_are_checked_before_any_work(argv, message, tmp_path, capsys):
    names = {"MESH": str(MESHES / "disk.msh"), "MISSING": str(tmp_path / "missing.msh")}
    argv = [names.get(a, a) for a in argv]
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"mqm-fem {argv[0]}: error:"), err
    assert message in err[-1], err[-1]
    assert not any("usage:" in line or "Traceback" in line for line in err), err
    if argv[0] != "london":  # the london verb (being rewritten) checks λ in the solver
        assert not any("reading" in line or "solving" in line for line in err), err
    assert not list(tmp_path.iterdir())


def test_cli_integer_names_the_option_and_the_item():
    from mqm_fem.cli import cli_integer
    from mqm_fem.errors import ParameterError

    assert cli_integer("3", "--fluxoid") == 3
    assert cli_integer(" -2 ", "--fluxoid") == -2
    assert cli_integer("+1", "--k") == 1
    assert cli_integer("2.0", "--fluxoid") == 2 and cli_integer("1e3", "--k") == 1000
    assert cli_integer(np.int64(4), "--k") == 4
    with pytest.raises(ParameterError) as info:
        cli_integer("1.5", "--fluxoid", item="hole_0=1.5")
    assert str(info.value) == "--fluxoid: 'hole_0=1.5': the fluxoid number must be an integer"
    for bad in ("two", "", "nan", "inf", True):
        with pytest.raises(ParameterError, match="--k: .*the number of states must be an int"):
            cli_integer(bad, "--k")
    with pytest.raises(ParameterError, match=r"^--steps: '0\.5': the value must be an integer$"):
        cli_integer("0.5", "--steps")
    with pytest.raises(ParameterError, match="the turn count must be an integer"):
        cli_integer("x", "--turns", what="turn count")


def test_version(capsys):
    import importlib.metadata

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"mqm-fem {importlib.metadata.version('mqm-fem')}"


def test_warnings_are_one_line(tmp_path, capsys):
    """A mesh without physical groups warns: one line 'mqm-fem info: warning: ...', no source
    line from Python's default warning display."""
    import warnings as _warnings

    import meshio

    path = tmp_path / "plain.msh"
    points = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0.5, 0.5, 0]], float)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        meshio.write(path, meshio.Mesh(points, [("triangle", np.array(
            [[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]]))]), file_format="gmsh22", binary=False)
    capsys.readouterr()  # meshio's own chatter while writing the file
    assert main(["info", str(path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("mqm-fem info: warning: ") and "no physical groups" in err[0]


def test_schrodinger_reports_the_eigen_solve_phases(tmp_path, capsys):
    out = tmp_path / "s.vtu"
    assert main(["schrodinger", str(MESHES / "disk.msh"), "--k", "2", "--order", "1",
                 "--eigensolver", "shift-invert", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    for phase in ("assembling P1", "eigen-solve (nested-dissection ordering", "factorisation",
                  "ARPACK"):
        assert phase in err, (phase, err)
    assert "\r" not in err


def test_mesh_help_explains_every_parameter(capsys):
    with pytest.raises(SystemExit):
        main(["mesh", "disk", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--radius RADIUS Radius of the disk, in --length-unit. (required)" in text
    assert "--h H Maximum element size everywhere, in --length-unit (required)" in text
    assert "(default None)" not in text
    with pytest.raises(SystemExit):
        main(["mesh", "circle-in-box", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--outer {box,disk} Shape of the outer vacuum boundary" in text
    with pytest.raises(SystemExit):
        main(["nucleation", "--help"])
    assert "Tc(B)/Tc0 = 1 − (ξ₀/L₀)² ε₀" in " ".join(capsys.readouterr().out.split())


def test_every_geometry_parameter_is_documented():
    import inspect

    from mqm_fem.cli import _numpy_doc

    for kind, func in GEOMETRIES.items():
        _, params = _numpy_doc(inspect.getdoc(func))
        missing = set(inspect.signature(func).parameters) - set(params)
        assert not missing, (kind, missing)
        assert all(len(text) > 10 for text in params.values()), kind


def test_mesh_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    assert main(["mesh", "disk", "--radius", "1", "--h", "0.3", "-o", "/proc/mqm_fem.msh"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("mqm-fem mesh: error:") and "/proc" in err[-1], err
    assert not any("Traceback" in line or "Exception" in line for line in err)


def test_mesh_prints_an_estimate_first(tmp_path, capsys):
    assert main(["mesh", "disk", "--radius", "1", "--h", "0.1", "-o",
                 str(tmp_path / "d.msh")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "(estimate)" in err[0] and "elements" in err[0] and "MiB" in err[0], err


def test_ctrl_c_stops_meshing_at_once(tmp_path):
    """gmsh's mesh generation is native code: Python would see Ctrl-C only when it returns.
    A 3D mesh that takes ~50 s is interrupted 1 s in: exit 130 within a second, no file."""
    import os
    import signal
    import time

    out = tmp_path / "big.msh"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    # the CLI (rightly) leaves Ctrl-C alone when it starts with SIGINT ignored, as in a
    # background job; an ignored disposition is inherited, and some native library loaded
    # earlier in the test process can leave one (the test passes alone, failed in the suite):
    # start the CLI as from a terminal, with the default disposition
    proc = subprocess.Popen(
        [sys.executable, "-m", "mqm_fem.cli", "mesh", "sphere-in-box", "--radius", "1",
         "--box-size", "4", "--h", "0.5", "--h-sc", "0.04", "-o", str(out)],
        stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()
        assert "(estimate)" in first, first
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        rest = proc.stderr.read()
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"stopped {time.perf_counter() - sent:.2f} s after SIGINT")
    assert code == 130 and rest.strip().splitlines()[-1] == "mqm-fem: interrupted", rest
    assert time.perf_counter() - sent < 3.0
    assert not list(tmp_path.iterdir())


def test_schrodinger_vortex_gauge(tmp_path, capsys):
    """--gauge vortex: the lowest state of the shipped disk at 20 mT (~22 windings) is lower
    (Rayleigh–Ritz: closer to the exact) than in the symmetric gauge on the same mesh, and the
    written windings are the physical ones; a 3D mesh is refused with exit 2."""
    eps = {}
    for gauge in ("symmetric", "vortex"):
        out = tmp_path / f"{gauge}.vtu"
        assert main(["schrodinger", str(MESHES / "disk.msh"), "--field", "20mT", "--k", "1",
                     "--gauge", gauge, "-o", str(out)]) == 0
        eps[gauge] = float(np.asarray(read_vtu(out).field_data["eigenvalues"]).ravel()[0])
    capsys.readouterr()
    assert eps["vortex"] < eps["symmetric"]
    assert main(["schrodinger", str(MESHES / "sphere_in_box.msh"), "--field", "0 0 1mT",
                 "--k", "1", "--gauge", "vortex", "-o", str(tmp_path / "s.vtu")]) == 2
    err = capsys.readouterr().err
    assert "gauge: 'vortex'" in err and "2D" in err
    assert not (tmp_path / "s.vtu").exists()
