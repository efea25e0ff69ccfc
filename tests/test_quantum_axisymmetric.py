"""The Schrödinger problem of bodies of revolution (mqm_fem.quantum.axisymmetric).

Reference: a cylinder (radius R = 1 L₀, height 0.5 L₀, natural boundary on every face) in an
axial field has z-independent lowest states, so its eigenvalues per angular momentum L are
those of the disk, −f'' − f'/r + (L/r − br/2)²f = εf, f'(R) = 0, from the independent 1D
radial solver of tests/gl_reference.py. Measured at b = 10, L = 0…5 (P2): largest relative
error 8.2e-5 / 1.4e-5 / 1.1e-6 / 6.7e-8 at h = 0.2 / 0.1 / 0.05 / 0.025 (order 3.5–4.0
between the last three). Nucleation with R/ξ = 10: B*/B_c2 −1.5e-3 / −2.3e-4 / −1.8e-5 from
Saint-James's 1.75389685504 at h = 0.1 / 0.05 / 0.025, nucleating in L = 78.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mqm_fem.errors import MqmFemError, MqmFemWarning, ParameterError
from mqm_fem.mesh import geometry
from mqm_fem.mesh.meridian import meridian
from mqm_fem.quantum import axisymmetric_nucleation_field, solve_axisymmetric
from mqm_fem.units import PHI0

sys.path.insert(0, str(Path(__file__).parent))
from gl_reference import disk_lowest_eigenvalue  # noqa: E402

SAINT_JAMES_R10 = 1.75389685504  # B_c3/B_c2 of a disk with R = 10ξ


def _cylinder(h_body):
    return meridian(bodies=[("rectangle", "sc", 0, 1.0, -0.25, 0.25)], radius=2, h=0.5,
                    h_body=h_body)


def test_cylinder_eigenvalues_against_the_radial_reference_at_order_four():
    b = 10.0
    field = b * PHI0 / (2 * np.pi * 1e-12)  # L₀ = 1 µm
    reference = np.array([disk_lowest_eigenvalue(1.0, b, L) for L in range(6)])
    errors = []
    for h_body in (0.1, 0.05):
        states = solve_axisymmetric(_cylinder(h_body), field, angular_momenta=range(6), k=2)
        assert states.b == pytest.approx(b, rel=1e-12)
        errors.append(np.abs(states.eigenvalues[:, 0] / reference - 1).max())
        assert np.all(np.diff(states.eigenvalues, axis=1) >= 0)  # ascending per L
    print(f"largest relative eigenvalue errors {errors}")
    assert errors[1] < 2e-6
    assert np.log2(errors[0] / errors[1]) > 3.3
    assert states.lowest == (3, pytest.approx(reference[3], rel=2e-6))
    assert states.eigenvalues_si[3, 0] == pytest.approx(reference[3] / 1e-12, rel=2e-6)


def test_states_are_normalised_and_vanish_on_the_axis_for_nonzero_l():
    states = solve_axisymmetric(_cylinder(0.1), "2 mT", angular_momenta=[0, 3])
    basis = states.basis
    on_axis = np.abs(basis.doflocs[0]) < 1e-12
    assert np.abs(states.states[3][on_axis]).max() == 0
    assert np.abs(states.states[0][on_axis]).max() > 0
    density = states.density(0)
    assert density.shape == (states.domain.mesh.nvertices,) and density.max() > 0


def test_cylinder_nucleation_field_is_the_disk_saint_james_value():
    """R/ξ = 10: surface nucleation in L = 78 within 3e-4 of 1.75389685504 B_c2 at h = 0.05,
    and the error estimate of B*/B_c2 (two-level eigenvalue estimate / dε/db) predicts the true
    error: measured +4.133e-4 against +4.110e-4 (effectivity 1.006; h = 0.1: 1.09)."""
    xi = 1e-7
    result = axisymmetric_nucleation_field(_cylinder(0.05), "100 nm")
    field, momentum = result  # unpacks as (field, L)
    ratio = field / (PHI0 / (2 * np.pi * xi**2))
    print(f"B*/B_c2 = {ratio:.9f}, L* = {momentum}, estimate {result.estimate.error:+.3e}, "
          f"true {SAINT_JAMES_R10 - ratio:+.3e}")
    assert ratio == pytest.approx(SAINT_JAMES_R10, rel=3e-4)
    assert result.ratio == pytest.approx(ratio, rel=1e-12)
    assert momentum == 78 and result.angular_momentum == 78
    assert result.estimate.quantity == "B_nuc/B_c2" and result.estimate.unit == "1"
    assert 0.8 < result.estimate.error / (SAINT_JAMES_R10 - ratio) < 1.25
    assert abs(result.estimate.parts["root finding"]) < 1e-8


def test_eigenvalue_estimate_effectivity_on_three_meshes():
    """The two-level P2/P3 estimate of the lowest state (L = 3 at b = 10) against the 1D radial
    reference: measured effectivities 0.995 / 0.998 / 0.999 at h = 0.2 / 0.1 / 0.05 (true
    errors −4.0e-4 / −5.0e-5 / −3.8e-6: the estimate is exact − computed, so both negative)."""
    b = 10.0
    field = b * PHI0 / (2 * np.pi * 1e-12)
    reference = disk_lowest_eigenvalue(1.0, b, 3)
    for h_body in (0.2, 0.1, 0.05):
        states = solve_axisymmetric(_cylinder(h_body), field, angular_momenta=range(6), k=2)
        L, eps = states.lowest
        assert L == 3
        effectivity = states.estimate.error / (reference - eps)
        print(f"h = {h_body}: true {reference - eps:+.3e}, estimate "
              f"{states.estimate.error:+.3e}, effectivity {effectivity:.3f}")
        assert 0.9 < effectivity < 1.1
        assert len(states.estimates[3]) == 2 and states.estimates[3][1].error < 0
    assert solve_axisymmetric(_cylinder(0.2), field, angular_momenta=[3],
                              estimate=False).estimate is None


def test_under_resolved_magnetic_length_warns():
    """b = 400 (ℓ_B = 0.05 L₀) on elements of 0.2 L₀: one warning naming ℓ_B and the state;
    h = 0.04 resolves it (no warning, the check stored)."""
    field = 400 * PHI0 / (2 * np.pi * 1e-12)
    with pytest.warns(MqmFemWarning, match="does not resolve the magnetic length"):
        coarse = solve_axisymmetric(_cylinder(0.2), field, angular_momenta=[190])
    assert not coarse.resolution[0].ok
    with warnings.catch_warnings():
        warnings.simplefilter("error", MqmFemWarning)
        fine = solve_axisymmetric(_cylinder(0.04), field, angular_momenta=[190])
    assert fine.resolution[0].ok


@pytest.mark.parametrize(("call", "match"), [
    (lambda d: solve_axisymmetric(d, "0 0 1 mT"), "one value"),
    (lambda d: solve_axisymmetric(d, "1 mT", angular_momenta=[0.5]), "integers"),
    (lambda d: solve_axisymmetric(d, "1 mT", k=0), "k: a positive integer"),
    (lambda d: solve_axisymmetric(geometry.disk(1.0, h=0.5), "1 mT"), "reaches x < 0"),
    (lambda d: axisymmetric_nucleation_field(d, "10 um"), "small against"),
])
def test_refusals(call, match):
    with pytest.raises(ParameterError, match=match) as info:
        call(_cylinder(0.2))
    assert isinstance(info.value, MqmFemError)
