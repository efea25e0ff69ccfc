"""Polarizability tensor (mqm_fem.london.polarizability): one assembly and one solver set-up for
the three field directions; each column equals solve_london's moment for that direction."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import mqm_fem
from mqm_fem import geometry, polarizability, solve_london
from mqm_fem.cli import main
from mqm_fem.errors import ParameterError
from mqm_fem.units import MU0

RADIUS_UM, LAMBDA = 0.3, "100 nm"


def sphere_alpha(radius_m, lam_m):
    """α = −2πR³ f(R/λ) (m³), f(x) = 1 − 3coth(x)/x + 3/x²."""
    x = radius_m / lam_m
    return -2 * np.pi * radius_m**3 * (1 - 3 / (np.tanh(x) * x) + 3 / x**2)


@pytest.fixture(scope="module")
def sphere_msh(tmp_path_factory):
    """R = 3λ in a vacuum ball of radius 4.5λ, h = 0.7λ near the surface (~3k elements)."""
    path = tmp_path_factory.mktemp("polarizability") / "sphere.msh"
    geometry.sphere_in_box(RADIUS_UM, 3 * RADIUS_UM, outer="sphere", h=0.2, h_sc=0.15,
                           h_surface=0.07, surface_layer=0.1, length_unit="um", path=path)
    return path


@pytest.fixture(scope="module")
def sphere(sphere_msh):
    return mqm_fem.load_mesh(sphere_msh, length_unit="um")


@pytest.fixture(scope="module")
def result(sphere):
    with warnings.catch_warnings():  # coarse on purpose: λ under-resolved, error bar > 1 %
        warnings.simplefilter("ignore", mqm_fem.MqmFemWarning)
        return polarizability(sphere, LAMBDA, solver="ams-cg")


def test_columns_equal_solve_london(sphere, result):
    """Column j is μ₀ m(e_j)/1 T of solve_london on the same mesh (same solver, same load)."""
    for j, e in enumerate(np.eye(3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mqm_fem.MqmFemWarning)
            single = solve_london(sphere, LAMBDA, e, formulation="A", solver="ams-cg")
        column = MU0 * single.magnetic_moment
        diff = np.abs(column - result.tensor[:, j]).max() / abs(result.tensor[j, j])
        print(f"direction {'xyz'[j]}: column {column}, difference {diff:.1e}")
        assert diff < 1e-8
        np.testing.assert_allclose(result.solutions[j].magnetic_moment, single.magnetic_moment,
                                   rtol=1e-8, atol=1e-8 * abs(single.magnetic_moment[j]))


def test_sphere_isotropic_and_symmetric(result):
    alpha = sphere_alpha(RADIUS_UM * 1e-6, 1e-7)
    diagonal = np.diag(result.tensor)
    print(result.summary())
    print(f"analytic α = {alpha:.6e} m³; diagonal {diagonal}")
    assert np.all(np.abs(diagonal / alpha - 1) < 0.03)
    off = result.tensor - np.diag(diagonal)
    assert np.abs(off).max() < 0.01 * abs(alpha)
    assert result.asymmetry < 1e-6
    assert result.asymmetry == pytest.approx(
        np.abs(result.tensor - result.tensor.T).max() / np.linalg.norm(result.tensor))
    # the error bars are the diagonal's: each direction's compliance estimate, times μ₀/1 T
    assert result.errors is not None and result.errors.shape == (3,)
    for j, solution in enumerate(result.solutions):
        assert result.errors[j] == pytest.approx(MU0 * solution.estimate.error)


def test_setup_once(result):
    """One AMS set-up shared by the three directions: only the first solve pays it."""
    assert result.solver["setups"] == 1
    assert result.solver["method"] == "ams-cg"
    setups = [s.solver["setup_s"] for s in result.solutions]
    assert setups[0] > 0 and setups[1] == 0 and setups[2] == 0
    assert result.timings["setup_s"] == pytest.approx(setups[0])
    assert len(result.timings["solve_s"]) == 3
    assert all(its > 0 for its in result.solver["iterations"])


def test_refusals(sphere, half_disk):
    with pytest.raises(ParameterError, match="domain: .*3D.*2D"):
        polarizability(half_disk, LAMBDA)
    with pytest.raises(ParameterError, match="formulation: 'B' is not available"):
        polarizability(sphere, LAMBDA, formulation="B")
    with pytest.raises(ParameterError, match="formulation: 'C' is not one of"):
        polarizability(sphere, LAMBDA, formulation="C")
    with pytest.raises(ParameterError, match="current_density"):
        polarizability(sphere, LAMBDA, current_density=lambda p: 0 * p)
    with pytest.raises(ParameterError, match="order"):
        polarizability(sphere, LAMBDA, order=2)


def test_cli_prints_and_writes_json(sphere_msh, tmp_path, capsys):
    out = tmp_path / "alpha.json"
    status = main(["polarizability", str(sphere_msh), "--lambda", "100nm", "--solver",
                   "ams-cg", "--json", str(out)])
    captured = capsys.readouterr()
    print(captured.out)
    assert status == 0
    assert "magnetic polarizability α (m³)" in captured.out
    assert "1 set-up(s)" in captured.out
    data = json.loads(out.read_text())
    tensor = np.array(data["polarizability_m3"])
    assert tensor.shape == (3, 3)
    assert abs(np.trace(tensor) / 3 / sphere_alpha(RADIUS_UM * 1e-6, 1e-7) - 1) < 0.03
    assert data["solver"]["setups"] == 1 and data["asymmetry"] < 1e-6


def test_cli_refuses_2d_mesh(annulus_msh, capsys):
    status = main(["polarizability", str(annulus_msh), "--lambda", "100nm"])
    err = capsys.readouterr().err
    assert status == 2
    assert "mqm-fem polarizability: error: domain:" in err and "2D" in err


def test_cli_refuses_bad_json_suffix(sphere_msh, tmp_path, capsys):
    status = main(["polarizability", str(sphere_msh), "--lambda", "100nm", "--json",
                   str(tmp_path / "alpha.txt")])
    assert status == 2
    assert "--json" in capsys.readouterr().err


def test_example_polarizability(tmp_path, example):
    """A short cylinder is uniaxial: α_xx = α_yy, |α_zz| larger (flat body, axial field)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mqm_fem.MqmFemWarning)
        result = example("polarizability").main(tmp_path)
    alpha = result["tensor"]
    print(alpha, result["timings"])
    assert np.all(np.diag(alpha) < 0)  # diamagnetic
    assert abs(alpha[0, 0] / alpha[1, 1] - 1) < 0.02
    assert alpha[2, 2] / alpha[0, 0] > 1.3
    assert result["asymmetry"] < 1e-5 and result["setups"] == 1
    assert json.loads(result["json"].read_text())["solver"]["setups"] == 1


def test_curved_domain_columns_equal_solve_london():
    """Isoparametric (order=2) sphere: the loads of the other directions are assembled by
    quadrature like avector's; column y equals solve_london's moment along y."""
    domain = geometry.sphere_in_box(RADIUS_UM, 3 * RADIUS_UM, outer="sphere", h=0.25,
                                    h_sc=0.2, h_surface=0.1, surface_layer=0.1,
                                    length_unit="um", order=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mqm_fem.MqmFemWarning)
        result = polarizability(domain, LAMBDA, solver="ams-cg")
        single = solve_london(domain, LAMBDA, [0, 1, 0], formulation="A", solver="ams-cg")
    diff = np.abs(MU0 * single.magnetic_moment - result.tensor[:, 1]).max()
    assert diff < 1e-8 * abs(result.tensor[1, 1])
    assert result.solver["setups"] == 1
