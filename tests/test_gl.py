"""The stationary Ginzburg–Landau stage through its public API (mqm_fem.solve_gl):
self-consistent screening against London and an independent 1D GL slab, thermodynamic and
3D checks, output, and the refusal of bad input (docs/theory.md §5, docs/validation.md)."""

from __future__ import annotations

import gl_reference as ref
import numpy as np
import pytest

import mqm_fem
from mqm_fem import PHI0, ParameterError, geometry, read_vtu, solve_gl, solve_london
from mqm_fem.mesh import domain_from_skfem

XI = 10e-9                       # ξ = 10 nm; meshes in µm
KAPPA = 20.0
LAM = KAPPA * XI
BC2 = PHI0 / (2 * np.pi * XI**2)


def _um(length_in_xi: float) -> float:
    return length_in_xi * XI * 1e6


# -- self-consistent screening (κ ≥ 20, weak field): the London moment ---------------------------
def test_screened_cylinder_moment_equals_london():
    """Long cylinder R = 2λ at h = 1e-3: m(GL, screening) = m(London, same mesh) within 1e-3."""
    domain = geometry.disk(_um(2 * KAPPA), h=_um(3.2))
    gl = solve_gl(domain, 1e-3 * BC2, coherence_length=XI, kappa=KAPPA, screening=True,
                  stability=False)
    london = solve_london(domain, LAM, 1e-3 * BC2)
    ratio = gl.magnetic_moment[2] / london.moment[2]
    assert abs(ratio - 1) < 1e-3
    assert gl.magnetisation < 0 and gl.energy.field > 0
    assert gl.info["screening_rounds"] >= 2


@pytest.fixture(scope="module")
def slab():
    """A long strip 2a × 12a (a = 10ξ = λ/2): around y = 0 it is the slab (the ends' corrections
    have decayed; with 2a × 6a the surface |ψ|² is still 7e-4 off)."""
    a = 10.0
    return a, geometry.rectangle(_um(2 * a), _um(12 * a), h=_um(2.0), h_surface=_um(0.5),
                                 surface_layer=_um(3.0))


def test_screened_slab_moment_equals_london(slab):
    _, domain = slab
    gl = solve_gl(domain, 1e-3 * BC2, coherence_length=XI, kappa=KAPPA, screening=True,
                  stability=False)
    london = solve_london(domain, LAM, 1e-3 * BC2)
    assert abs(gl.magnetic_moment[2] / london.moment[2] - 1) < 1e-3


def test_screened_slab_surface_suppression_matches_1d_gl(slab):
    """|ψ|² at the slab surface (x = a, y = 0) at h = 0.02 against the independent 1D
    self-consistent GL solution (tests/gl_reference.py): within 1e-3 of the suppression."""
    a, domain = slab
    h = 0.02
    gl = solve_gl(domain, h * BC2, coherence_length=XI, kappa=KAPPA, screening=True,
                  stability=False)
    p = gl.domain.mesh.p * gl.domain.length_unit / XI
    surface = np.argmin((p[0] - a) ** 2 + p[1] ** 2)
    expected = ref.slab_state(a, KAPPA, h).f_surface_sq
    assert 0.9 < expected < 0.99  # a real suppression, not round-off
    assert abs(gl.density[surface] - expected) < 1e-3 * (1 - expected)
    # and the field at the surface is the applied one, inside it is screened
    b = gl.field_vertex
    assert b[surface] == pytest.approx(h, rel=1e-2)
    centre = np.argmin(p[0] ** 2 + p[1] ** 2)
    assert b[centre] == pytest.approx(h / np.cosh(a / KAPPA), rel=2e-2)


# -- thermodynamics of the frozen-field states --------------------------------------------------
def test_moment_is_minus_half_the_field_derivative_of_f():
    """−∂F/∂h = 2 m_z for a frozen field (m = ½∫r × j): central differences on one branch."""
    domain = geometry.disk(_um(4.0), h=_um(0.4))
    h, dh = 0.4, 1e-4
    mid = solve_gl(domain, h * BC2, coherence_length=XI, tol=1e-11)
    up = solve_gl(domain, (h + dh) * BC2, coherence_length=XI, guess=mid, tol=1e-11)
    down = solve_gl(domain, (h - dh) * BC2, coherence_length=XI, guess=mid, tol=1e-11)
    derivative = (up.free_energy - down.free_energy) / (2 * dh)
    assert derivative == pytest.approx(-2 * mid.moment[2], rel=1e-5)
    assert mid.moment[2] < 0  # diamagnetic Meissner state


def test_three_dimensional_frozen_field():
    """A cube of side 4ξ: F = −½|Ω| at zero field; in a field the state is diamagnetic,
    lower than the normal state and a stable minimum, and its moment is along the field."""
    import skfem

    mesh = skfem.MeshTet.init_tensor(*[np.linspace(0, 4.0, 7)] * 3)
    domain = domain_from_skfem(mesh, length_unit=XI)
    zero = solve_gl(domain, [0, 0, 0], coherence_length=XI, order=1)
    assert zero.free_energy == pytest.approx(-0.5 * zero.area, rel=1e-10)
    s = solve_gl(domain, [0, 0, 0.5 * BC2], coherence_length=XI, order=1)
    assert -0.5 * s.area < s.free_energy < 0 and s.stability == "stable"
    assert s.moment[2] < 0 and abs(s.moment[0]) < 5e-3 * abs(s.moment[2])  # mesh asymmetry
    assert s.vortices() == []  # vortex detection is 2D only


# -- output -------------------------------------------------------------------------------------
def test_written_state_reads_back(tmp_path):
    domain = geometry.disk(_um(4.0), h=_um(0.5))
    s = solve_gl(domain, 0.3 * BC2, coherence_length=XI, penetration_depth=LAM)
    path = s.write(tmp_path / "state.vtu")
    grid = read_vtu(path)
    assert np.allclose(grid.point_data["density"], s.density)
    assert float(np.ravel(grid.field_data["free_energy"])[0]) == pytest.approx(s.free_energy)
    assert float(np.ravel(grid.field_data["free_energy_si"])[0]) == pytest.approx(
        s.free_energy_si)
    assert grid.point_data["J_s"].shape == (domain.mesh.nvertices, 3)
    summary = s.summary()
    assert "F =" in summary and "stability: stable" in summary and "J/m" in summary


# -- bad input: one clear error before any work -------------------------------------------------
@pytest.fixture(scope="module")
def small_disk():
    return geometry.disk(_um(3.0), h=_um(1.0))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"coherence_length": "-1 nm"}, "coherence_length"),
    ({"coherence_length": XI, "kappa": 0}, "kappa"),
    ({"coherence_length": XI, "kappa": 2, "penetration_depth": LAM}, "one of them"),
    ({"coherence_length": XI, "screening": True}, "screening"),
    ({"coherence_length": XI, "guess": "meissner"}, "guess"),
    ({"coherence_length": XI, "vortices": [((0, 0), 1.5)]}, "vortices[0]"),
    ({"coherence_length": XI, "tol": 2.0}, "tol"),
    ({"coherence_length": XI, "order": 3}, "order"),
    ({"coherence_length": XI, "max_iterations": 0}, "max_iterations"),
])
def test_bad_input_is_refused_with_the_parameter_named(small_disk, kwargs, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        solve_gl(small_disk, 0.1 * BC2, **kwargs)


def test_missing_field_and_3d_screening_are_refused(small_disk):
    import skfem

    with pytest.raises(ParameterError, match="applied_field"):
        solve_gl(small_disk, coherence_length=XI)
    cube = domain_from_skfem(skfem.MeshTet.init_tensor(*[np.linspace(0, 1, 3)] * 3),
                             length_unit=XI)
    with pytest.raises(ParameterError, match="2D"):
        solve_gl(cube, [0, 0, 0.1 * BC2], coherence_length=XI, kappa=KAPPA, screening=True)


# -- review regressions -------------------------------------------------------------------------
def test_screening_refuses_an_unmeshed_hole():
    """The field inside an unmeshed hole cannot be found: one clear error, before any solve."""
    import skfem

    disk = skfem.MeshTri.init_circle(3)
    centres = disk.p[:, disk.t].mean(axis=1)
    ring = domain_from_skfem(disk.remove_elements(np.flatnonzero(
        np.hypot(*centres) < 0.4)), length_unit=8 * XI)  # the hole is not meshed
    with pytest.raises(ParameterError, match="unmeshed hole"):
        solve_gl(ring, 0.1 * BC2, coherence_length=XI, kappa=KAPPA, screening=True)


def test_two_bodies_have_no_holes():
    """Two separate disks: each has its own outer boundary — no hole fluxoids, and the
    vorticity sums both bodies (a vortex in one of them)."""
    import skfem

    one = skfem.MeshTri.init_circle(3)
    two = skfem.MeshTri(one.p + np.array([[6.0], [0.0]]), one.t)
    both = domain_from_skfem(one + two, length_unit=4 * XI)  # two disks of radius 4ξ
    s = solve_gl(both, 0.2 * BC2, coherence_length=XI)
    assert s.hole_fluxoids == [] and s.vorticity == 0
    v = solve_gl(both, 0.6 * BC2, coherence_length=XI, vortices=[((0.0, 0.0), 1)])
    assert v.hole_fluxoids == [] and v.vorticity == v.vortex_count >= 1


def test_sweep_keeps_the_sign_of_the_field():
    domain = geometry.disk(_um(4.0), h=_um(0.8))
    sweep = mqm_fem.gl_sweep(domain, [0.3 * BC2, -0.3 * BC2], coherence_length=XI)
    assert np.allclose(sweep.reduced_fields, [0.3, -0.3])
    assert np.all(sweep.reduced_fields * sweep.moments < 0)  # diamagnetic at both signs
    assert sweep.directions == ["up", "down"]


def test_state_just_below_nucleation_is_stable_and_below_normal():
    """At h = h_n(1 − 1e-6) the order parameter is tiny: F < 0 and stable (a residual relative
    to the size of ψ converges its amplitude)."""
    domain = geometry.disk(_um(4.0), h=_um(0.5))
    h_n = mqm_fem.nucleation_field(domain, coherence_length=XI, xtol=1e-9).ratio
    s = solve_gl(domain, h_n * (1 - 1e-6) * BC2, coherence_length=XI, guess="linear")
    assert s.free_energy < 0 and s.stability == "stable"
    assert 0 < np.max(s.density) < 1e-3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"guess": "random", "seed": -1}, "seed"),
    ({"guess": "linear", "mode": 1.5}, "mode"),
    ({"guess": "linear", "mode": 10**6}, "mode"),
])
def test_guess_controls_are_checked(small_disk, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        solve_gl(small_disk, 0.1 * BC2, coherence_length=XI, **kwargs)


def test_sweep_refuses_unknown_options_before_the_first_point(small_disk):
    with pytest.raises(ParameterError, match="unknown option"):
        mqm_fem.gl_sweep(small_disk, [0.1 * BC2], coherence_length=XI, tolerance=1e-6)


def test_write_refuses_a_provenance_that_is_not_a_dict(small_disk, tmp_path):
    s = solve_gl(small_disk, 0.1 * BC2, coherence_length=XI)
    with pytest.raises(ParameterError, match="provenance"):
        s.write(tmp_path / "x.vtu", provenance=[1, 2])
    assert not list(tmp_path.iterdir())


def test_screening_refuses_a_curved_domain():
    """The Nédélec field solver is straight-sided: screening on an order=2 domain is one clear
    error naming the way out, not an internal failure."""
    from mqm_fem import geometry

    disk = geometry.disk(4.0, h=1.0, order=2, length_unit=XI)
    with pytest.raises(ParameterError, match="curved"):
        solve_gl(disk, 0.1 * BC2, coherence_length=XI, kappa=KAPPA, screening=True)
