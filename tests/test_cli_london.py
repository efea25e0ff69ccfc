"""The ``mqm-fem london`` verb is generated from the formulation registry: every formulation,
its options and their refusals work from the command line (docs/theory.md §1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import i0, i1

from mqm_fem.cli import main
from mqm_fem.io.vtk import read_vtu
from mqm_fem.london import FORMULATIONS
from mqm_fem.units import MU0

MESHES = Path(__file__).resolve().parents[1] / "meshes"


def test_b_formulation_from_the_command_line(tmp_path, capsys):
    """A new user's first try (mesh a superconducting body, then solve it): the B-formulation
    once failed with "option(s) far_field not taken by the 'B' formulation". A cylinder
    R = 2λ in an axial field: with n×B = n×B_a on its whole surface the infinite cylinder's
    B_z = B₀I₀(r/λ)/I₀(R/λ) is exact, so ⟨B⟩ = 2B₀I₁(R/λ)/((R/λ)I₀(R/λ))."""
    mesh = tmp_path / "cyl.msh"
    assert main(["mesh", "cylinder", "--radius", "1", "--length", "3", "--h", "0.2",
                 "-o", str(mesh)]) == 0
    out = tmp_path / "cyl.vtu"
    assert main(["london", str(mesh), "--penetration-depth", "500nm", "--field", "0", "0", "1mT",
                 "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "London solve (B)" in text
    grid = read_vtu(out)
    mean = float(np.asarray(grid.field_data["mean_field"])[2])
    exact = 1e-3 * i1(2.0) / i0(2.0)
    print(f"\n  <B> = {mean:.6e} T vs {exact:.6e} T (h = 0.4 λ)")
    assert abs(mean / exact - 1) < 0.02
    m_z = float(np.asarray(grid.field_data["magnetic_moment"])[2])
    volume = np.pi * 1e-12 * 3e-6
    assert m_z == pytest.approx((exact - 1e-3) * volume / MU0, rel=0.05, abs=0)


def test_b_formulation_by_name_on_a_mesh_with_vacuum(tmp_path, capsys):
    """--formulation B on the shipped sphere-in-ball mesh (R = 10λ): the vacuum is ignored and
    n×B = n×B_a is imposed on the sphere. The screened sphere's true surface field is
    (3/2)B_a sinθ tangentially, so imposing B_a gives about 2/3 of London's moment
    (−3.65e-15 A·m²): the path works and the number is what this boundary condition implies."""
    out = tmp_path / "b.vtu"
    assert main(["london", str(MESHES / "sphere_in_ball.msh"), "--penetration-depth", "100nm",
                 "--field", "0", "0", "1mT", "--formulation", "B", "-o", str(out)]) == 0
    assert "London solve (B)" in capsys.readouterr().out
    m_z = float(np.asarray(read_vtu(out).field_data["magnetic_moment"])[2])
    ratio = m_z / -3.650e-15
    print(f"\n  m_z = {m_z:.4e} A·m², {ratio:.3f} of London's sphere (2/3 expected + O(λ/R, h))")
    assert 0.62 < ratio < 0.76


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--far-field", "image"], "option(s) far_field not taken by the 'out-of-plane'"),
     (["--fluxoid", "hole_0=1.5"], "fluxoids['hole_0']: must be an integer, got '1.5'"),
     (["--fluxoid", "hole_9=1"], "fluxoids: no hole named 'hole_9'; holes are: hole_0"),
     (["--order", "3"], "order: 3 is not one of 1, 2"),
     (["--order", "two"], "--order: 'two': the Lagrange order must be an integer"),
     (["--fluxoid", "hole_0=1", "--fluxoid", "hole_0=2"], "--fluxoid: 'hole_0' is given twice"),
     (["--solver", "ams-cg"], "solver: 'ams-cg' is not one of auto, direct, amg-cg"),
     (["--formulation", "A"], "formulation 'A' needs a 3D mesh; this mesh is 2D"),
     # under auto, a value two formulations refuse alike names both (it named the first tried)
     (["--pearl-model", "bogus"],
      "pearl_model: 'bogus' is not one of thin, effective (formulations 'axisymmetric', "
      "'sheet')")],
)
def test_options_refused_in_one_line(tmp_path, capsys, args, message):
    """Options are checked by the chosen formulation's options dataclass: one line, exit 2,
    nothing written (the --far-field of a 3D solve was once silently ignored in 2D)."""
    out = tmp_path / "ring.vtu"
    code = main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "100nm",
                 "--field", "1mT", *args, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if "error" in ln]
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err and not out.exists()


def test_every_registered_option_has_a_flag_or_is_python_only(capsys):
    """The verb's flags come from the registry: each option with a CLI flag appears in
    --help with the formulations that take it."""
    with pytest.raises(SystemExit):
        main(["london", "--help"])
    text = capsys.readouterr().out
    for name, formulation in FORMULATIONS.items():
        assert name in text and formulation.equation in text
        for spec, _ in formulation.options.specs().values():
            if spec.cli:
                assert spec.cli in text


def test_fluxoid_and_order_from_the_command_line(tmp_path):
    """--fluxoid and --order reach the out-of-plane formulation: the fluxoid read back from
    the written file is the imposed one."""
    out = tmp_path / "ring.vtu"
    assert main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "100nm",
                 "--field", "1mT", "--fluxoid", "hole_0=2", "--order", "1", "-o", str(out)]) == 0
    fd = read_vtu(out).field_data
    assert float(np.asarray(fd["fluxoid_hole_0"]).ravel()[0]) == pytest.approx(2, abs=1e-8)


def test_no_applied_field_needs_another_source():
    """applied_field=None once solved the zero problem silently; now it needs another source
    the formulation takes: a trapped fluxoid alone (no applied field) is a real problem, and
    so is a net current in the in-plane formulation."""
    from mqm_fem import geometry, solve_london
    from mqm_fem.errors import ParameterError
    from mqm_fem.units import PHI0

    ring = geometry.annulus(0.5, 1.0, h=0.1)
    with pytest.raises(ParameterError, match=r"applied_field: None \(no applied field\) leaves "
                       r"nothing to solve.*'out-of-plane' formulation takes \(fluxoids\)"):
        solve_london(ring, "100 nm", None)
    trapped = solve_london(ring, "100 nm", None, fluxoids={"hole_0": 1})
    assert trapped.fluxoid("hole_0") == pytest.approx(1, abs=1e-9)
    assert 0 < trapped.hole_flux("hole_0") < PHI0  # the kinetic term holds back part of Φ₀
    wire = geometry.circle_in_box(0.5, 4.0, h=0.25, h_sc=0.1)
    carrying = solve_london(wire, "100 nm", None, formulation="in-plane",
                            currents={"superconductor": "1 mA"})
    assert carrying.net_currents["superconductor"] == pytest.approx(1e-3, rel=1e-9, abs=0)


def test_penetration_depth_in_metres_by_mistake_warns(tmp_path, capsys):
    """`--penetration-depth 100` (meant as nm, read as 100 m) was accepted without a word (and
    on a film the solve crawled for minutes): now it is refused in one line naming the region,
    the value and how to write nanometres; an implausible but possible 5 mm only warns."""
    out = tmp_path / "ring.vtu"
    assert main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "100",
                 "--field", "1mT", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "penetration_depth['superconductor'] = 100 m: a number is read in metres" in err
    assert "'50 nm'" in err and not out.exists()
    assert main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "5mm",
                 "--field", "1mT", "-o", str(out)]) == 0
    warnings = [ln for ln in capsys.readouterr().err.splitlines()
                if "warning" in ln and "penetration_depth[" in ln]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("mqm-fem london: warning: penetration_depth['superconductor']")
    assert "0.005 m is outside 1e-09–0.001 m" in warnings[0] and "'100 nm'" in warnings[0]


def test_field_may_be_left_out_when_a_fluxoid_drives_the_problem(tmp_path, capsys):
    """--field is optional: a trapped fluxoid alone is a problem; nothing at all is refused
    with one line naming the missing source."""
    out = tmp_path / "ring.vtu"
    assert main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "100nm",
                 "--fluxoid", "hole_0=1", "--order", "1", "-o", str(out)]) == 0
    fd = read_vtu(out).field_data
    assert float(np.asarray(fd["fluxoid_hole_0"]).ravel()[0]) == pytest.approx(1, abs=1e-8)
    capsys.readouterr()
    assert main(["london", str(MESHES / "ring.msh"), "--penetration-depth", "100nm",
                 "-o", str(tmp_path / "none.vtu")]) == 2
    assert "applied_field: None" in capsys.readouterr().err
    assert not (tmp_path / "none.vtu").exists()
