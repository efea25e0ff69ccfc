"""The ``mqm-fem gl`` verb: one Ginzburg–Landau state (.vtu) or a field sweep (.pvd + frames +
PNG) from the command line, the same numbers as :func:`mqm_fem.gl.solve_gl`, and every bad
option refused in one line (exit 2) before the mesh is read, with nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from mqm_fem import geometry, load_mesh, read_vtu
from mqm_fem.cli import main
from mqm_fem.gl import solve_gl
from mqm_fem.io.vtk import read_sidecar
from mqm_fem.units import PHI0

# skfem's deprecation of `.value` in mqm_fem/gl (energy.psi_quad): not a message of the CLI
pytestmark = pytest.mark.filterwarnings("ignore:Writing 'u.value':DeprecationWarning")

XI = 100e-9
B_C2 = PHI0 / (2 * np.pi * XI**2)  # 32.9 mT


@pytest.fixture(scope="module")
def disk_msh(tmp_path_factory):
    """A disk of radius 0.4 µm = 4ξ (206 triangles): small enough for sub-second solves."""
    path = tmp_path_factory.mktemp("gl_mesh") / "disk.msh"
    geometry.disk(0.4, h=0.08, path=path)
    return path


def _field(grid, name) -> float:
    return float(np.asarray(grid.field_data[name]).ravel()[0])


def test_one_field_writes_the_state_solve_gl_finds(disk_msh, tmp_path, capsys):
    """--field B with a vortex guess at the centre: the .vtu holds ψ, |ψ|² and the free energy
    of solve_gl for the same inputs (to round-off), and the summary reports the vortex, its
    position, the stability, the SI energy and the time."""
    out = tmp_path / "state.vtu"
    assert main(["gl", str(disk_msh), "--xi", "100nm", "--field", "20mT", "--kappa", "4",
                 "--vortex", "0", "0", "1", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    reference = solve_gl(load_mesh(disk_msh), "20 mT", coherence_length="100 nm", kappa=4,
                         vortices=[((0.0, 0.0), 1)])
    grid = read_vtu(out)
    psi_re, psi_im = np.asarray(grid.point_data["psi_re"]), np.asarray(grid.point_data["psi_im"])
    density = np.asarray(grid.point_data["density"])
    np.testing.assert_allclose(density, psi_re**2 + psi_im**2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.sort(density), np.sort(reference.density), rtol=1e-7,
                               atol=1e-9)
    assert _field(grid, "free_energy") == pytest.approx(reference.free_energy, rel=1e-10)
    assert _field(grid, "free_energy_si") == pytest.approx(reference.free_energy_si, rel=1e-10)
    assert _field(grid, "reduced_field") == pytest.approx(0.02 / B_C2, rel=1e-12)
    assert _field(grid, "vorticity") == 1 and _field(grid, "vortex_count") == 1
    assert reference.stability == "stable" and reference.free_energy < 0
    text = captured.out
    assert f"F = {reference.free_energy:.10g}" in text
    assert "vortices: 1, vorticity 1, stability: stable" in text
    assert "J/m" in text and "vortex +1 at (" in text and " um" in text and "time:" in text
    # progress on stderr with timestamps; the coarse test mesh (elements 1.3ξ) is named in one
    # warning line
    err = captured.err.strip().splitlines()
    warned = [line for line in err if not line.startswith("[")]
    assert len(warned) == 1 and warned[0].startswith("mqm-fem gl: warning: solve_gl: the mesh "
                                                     "does not resolve the coherence length")
    err = [line for line in err if line.startswith("[")]
    assert err
    assert any("Newton 1:" in line for line in err) and f"wrote {out}" in err[-1]


def test_vortex_positions_take_units_and_bare_numbers_in_the_length_unit(disk_msh, tmp_path,
                                                                        capsys):
    """--vortex X Y N: '0.1' is 0.1 µm (--length-unit), '-100nm' carries its unit, negative
    values are values (not options); the sidecar records the positions in metres."""
    out = tmp_path / "v.vtu"
    assert main(["gl", str(disk_msh), "--xi", "100nm", "--field", "25mT", "--vortex", "0.1",
                 "-100nm", "1", "--no-stability", "-o", str(out)]) == 0
    recorded = read_sidecar(out)["provenance"]["vortices"]
    np.testing.assert_allclose(recorded, [[1e-7, -1e-7, 1]], rtol=1e-12)
    assert "stability: None" in capsys.readouterr().out  # --no-stability: not classified


def test_negative_field_is_a_value_and_mirrors_the_state(disk_msh, tmp_path, capsys):
    """--field -20mT (negative-value pre-pass): the same F as +20 mT, the moment reversed."""
    out_p, out_m = tmp_path / "p.vtu", tmp_path / "m.vtu"
    for value, out in (("20mT", out_p), ("-20mT", out_m)):
        assert main(["gl", str(disk_msh), "--xi", "100nm", "--field", value, "--order", "1",
                     "-o", str(out)]) == 0
    assert "usage:" not in capsys.readouterr().err
    p, m = read_vtu(out_p), read_vtu(out_m)
    assert _field(m, "free_energy") == pytest.approx(_field(p, "free_energy"), rel=1e-9)
    mz_p = np.asarray(p.field_data["moment"]).ravel()[2]
    mz_m = np.asarray(m.field_data["moment"]).ravel()[2]
    assert mz_p < 0 and mz_m == pytest.approx(-mz_p, rel=1e-7)
    assert np.asarray(m.field_data["applied_field"]).ravel()[2] == pytest.approx(-0.02)


def test_sweep_writes_pvd_frames_table_and_plot(disk_msh, tmp_path, capsys):
    """--fields up and down: a .pvd with one frame per point, the table printed (one row per
    field, h = B/B_c2), the vorticity changes listed and the F(h)/moment(h) PNG written."""
    out = tmp_path / "sweep" / "loop.pvd"
    png = tmp_path / "sweep" / "loop.png"
    fields_mt = [0, 10, 20, 10, 0]
    assert main(["gl", str(disk_msh), "--xi", "100nm", "--fields", *map(str, fields_mt), "mT",
                 "--order", "1", "--plot", str(png), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("h = B/Bc2"))
    rows = [line.split() for line in lines[header + 1: header + 1 + len(fields_mt)]]
    h_table = np.array([float(r[0]) for r in rows])
    np.testing.assert_allclose(h_table, np.array(fields_mt) * 1e-3 / B_C2, rtol=1e-5)
    assert f"{len(fields_mt)} points in" in text
    entries = read_sidecar(out)["entries"]
    assert len(entries) == len(fields_mt)
    for k, row in enumerate(rows):
        grid = read_vtu(out.with_name(f"loop_{k:04d}.vtu"))
        assert _field(grid, "free_energy") == pytest.approx(float(row[1]), rel=1e-7)
        assert int(_field(grid, "vorticity")) == int(row[3])
        assert "density" in grid.point_data and "psi_re" in grid.point_data
    f = [float(r[1]) for r in rows]
    assert f[0] == pytest.approx(f[-1], rel=1e-9) and f[0] < f[1] < f[2] < 0
    assert png.stat().st_size > 5000


def test_screening_with_kappa_runs_self_consistently(disk_msh, tmp_path, capsys):
    """--screening --kappa: the field equation is solved with ψ; the field energy κ²∫|B − h|²
    is positive and the self-consistent field B (T) is written."""
    out = tmp_path / "sc.vtu"
    assert main(["gl", str(disk_msh), "--xi", "100nm", "--field", "10mT", "--kappa", "10",
                 "--screening", "--order", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    grid = read_vtu(out)
    assert _field(grid, "field_energy") > 0
    b = np.asarray(grid.point_data["B"])
    assert b.min() < 0.01 and b.max() <= 0.01 * (1 + 1e-6)  # screened inside, h at the edge


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--xi", "banana", "--field", "7mT"], "--xi: cannot parse 'banana'"),
        (["--xi", "-100nm", "--field", "7mT"], "--xi: must be a positive length"),
        (["--xi", "100nm", "--field", "seven", "mT"], "--field"),
        (["--xi", "100nm", "--field", "1", "mT", "2"], "--field: '2' at the end of '1 mT 2'"),
        (["--xi", "100nm", "--fields", "0", "1", "mT", "x"], "--fields"),
        (["--xi", "100nm"], "--field/--fields: give one field"),
        (["--xi", "100nm", "--field", "7mT", "--fields", "1", "2", "mT"], "not both"),
        (["--xi", "100nm", "--field", "7mT", "--guess", "vortex"],
         "--guess: unknown 'vortex'; valid: uniform, linear, random"),
        (["--xi", "100nm", "--field", "7mT", "--screening"],
         "--screening: needs --lambda or --kappa"),
        (["--xi", "100nm", "--field", "7mT", "--lambda", "400nm", "--kappa", "4"],
         "--lambda/--kappa: give one of them"),
        (["--xi", "100nm", "--field", "7mT", "--kappa", "-4"], "--kappa: κ = λ/ξ must be positive"),
        (["--xi", "100nm", "--field", "7mT", "--lambda", "-4nm"], "--lambda: must be a positive"),
        (["--xi", "100nm", "--field", "7mT", "--mode", "1"], "--mode: applies to --guess linear"),
        (["--xi", "100nm", "--field", "7mT", "--guess", "linear", "--mode", "-1"],
         "--mode: the linear mode index must be ≥ 0"),
        (["--xi", "100nm", "--field", "7mT", "--guess", "random", "--seed", "x"],
         "--seed: 'x': the random seed must be an integer"),
        (["--xi", "100nm", "--field", "7mT", "--vortex", "0", "0", "1.5"],
         "--vortex: '0 0 1.5': the vortex winding N must be an integer"),
        (["--xi", "100nm", "--field", "7mT", "--vortex", "0", "1kg", "1"], "--vortex"),
        (["--xi", "100nm", "--field", "7mT", "--vortex", "0", "0", "0"],
         "the winding N must be a nonzero integer"),
        (["--xi", "100nm", "--field", "7mT", "--order", "3"], "--order: the Lagrange order"),
        (["--xi", "100nm", "--field", "7mT", "--tol", "0"], "--tol: the Newton residual"),
        (["--xi", "100nm", "--field", "7mT", "--max-iterations", "0"], "--max-iterations"),
        (["--xi", "100nm", "--field", "7mT", "--bc", "outer=sticky"], "sticky"),
        (["--xi", "100nm", "--field", "7mT", "--direction", "0", "0", "1"],
         "--direction: applies to --fields"),
        (["--xi", "100nm", "--field", "7mT", "--plot", "x.pdf"], "--plot"),
        (["--xi", "100nm", "--field", "7mT", "--length-unit", "kg"], "--length-unit"),
        (["--xi", "100nm", "--fields", "1", "2", "mT", "-o", "x.vtu"],
         ("--output: ", "x.vtu must end in .pvd (with --fields")),
        (["--xi", "100nm", "--field", "7mT", "-o", "x.pvd"],
         ("--output: ", "x.pvd must end in .vtu (with --field:")),
        (["--xi", "100nm", "--field", "7mT", "-o", "FILE/x.vtu"], "--output: cannot write"),
    ],
)
def test_bad_options_are_refused_before_the_mesh_is_read(args, message, tmp_path, capsys):
    """One line 'mqm-fem gl: error: ...' naming the option, exit 2, no traceback, the (missing)
    mesh never read, nothing written."""
    blocker = tmp_path / "FILE"
    blocker.write_text("a file, not a directory")
    if "-o" not in args:
        args = [*args, "-o", "x.vtu"]
    args = [str(tmp_path / a) if a.startswith(("x.", "FILE/")) else a for a in args]
    code = main(["gl", str(tmp_path / "missing.msh"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("mqm-fem gl: error: "), err
    for part in (message,) if isinstance(message, str) else message:
        assert part in err[0], err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--vortex", "2um", "0", "1"], "--vortex: (2, 0) um lies outside the mesh"),
     (["--superconductor", "niobium"], "niobium")],
)
def test_options_that_need_the_mesh_are_refused_before_the_solve(disk_msh, tmp_path, capsys,
                                                                 args, message):
    """Checked right after reading the mesh, before any solve: a vortex outside the mesh, an
    unknown region."""
    out = tmp_path / "x.vtu"
    code = main(["gl", str(disk_msh), "--xi", "100nm", "--field", "7mT", *args, "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith("mqm-fem gl: error: ") and message in err[-1], err
    assert not any("Newton" in line or "Traceback" in line for line in err), err
    assert not list(tmp_path.iterdir())


def test_help_names_every_option_with_its_unit(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["gl", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: mqm-fem gl")
    for option in ("--xi", "--field", "--fields", "--lambda", "--kappa", "--guess", "--mode",
                   "--seed", "--vortex", "--order", "--bc", "--screening", "--tol",
                   "--no-stability", "--plot", "-o", "--length-unit", "--debug"):
        assert option in text, option
    assert "100nm" in text and "7 mT" in text and "B_c2 = Φ₀/(2πξ²)" in text
