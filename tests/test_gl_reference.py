"""Checks of the independent 1D Ginzburg–Landau references in tests/gl_reference.py.

Each reference is checked against closed forms, limits, refinement and energy identities that
do not use its own discretisation (nodal values are re-interpolated element by element here).
"""

from __future__ import annotations

import math

import gl_reference as ref
import numpy as np
import pytest
from numpy.polynomial import Polynomial
from numpy.polynomial.legendre import leggauss
from scipy.integrate import solve_bvp
from scipy.optimize import minimize_scalar

DEGREE = 8  # the default element degree of gl_reference (nodes come in groups of DEGREE + 1)


def _piecewise(x, y, p=DEGREE, nq=2 * DEGREE + 2):
    """Interpolate nodal values element by element (p + 1 nodes each); return quadrature
    points, weights and the interpolant's value, first and second derivative there."""
    xg, wg = leggauss(nq)
    pts, wts, v, d1, d2 = [], [], [], [], []
    for e in range((len(x) - 1) // p):
        xs, ys = x[e * p:e * p + p + 1], y[e * p:e * p + p + 1]
        poly = Polynomial.fit(xs, ys, p)
        lo, hi = xs[0], xs[-1]
        xq = 0.5 * (lo + hi) + 0.5 * (hi - lo) * xg
        pts.append(xq)
        wts.append(0.5 * (hi - lo) * wg)
        v.append(poly(xq))
        d1.append(poly.deriv(1)(xq))
        d2.append(poly.deriv(2)(xq))
    return tuple(np.concatenate(a) for a in (pts, wts, v, d1, d2))


# --------------------------------------------------------------------------------------------
# disk in a frozen field
# --------------------------------------------------------------------------------------------

def test_disk_zero_field_is_uniform():
    s = ref.radial_disk_state(3.0, 0.0, 0)
    assert s.exists
    np.testing.assert_allclose(s.f, 1.0, atol=1e-12)
    assert s.F == pytest.approx(-0.5 * np.pi * 3.0 ** 2, rel=1e-12)
    assert abs(s.m) < 1e-12


@pytest.mark.parametrize("R, h, L", [(2.0, 1.0, 1), (2.0, 1.5, 2), (5.0, 1.0, 3)])
def test_disk_energy_converges_under_refinement(R, h, L):
    """The discrete energy is an upper bound converging at O(Δ^{2p}): default, twice as many
    elements and a lower degree agree to ≪ 1e-7."""
    base = ref.radial_disk_state(R, h, L)
    fine = ref.radial_disk_state(R, h, L, n=2 * round(2 * R))
    coarse = ref.radial_disk_state(R, h, L, degree=5)
    assert base.exists and fine.exists
    assert abs(base.F - fine.F) <= 1e-10 * abs(fine.F)
    assert abs(coarse.F - fine.F) <= 1e-7 * abs(fine.F)
    assert coarse.F >= fine.F - 1e-13 * abs(fine.F)  # Galerkin energy from above


@pytest.mark.parametrize("R, h, L", [(2.0, 1.0, 0), (2.0, 1.5, 1), (4.0, 1.2, 6)])
def test_disk_state_solves_the_ode_and_virial_identity(R, h, L):
    """Strong form f'' + f'/r − (L/r − hr/2)² f + f − f³ = 0 inside the disk, and for a
    stationary state ∫(−f² + f'² + (L/r − hr/2)² f²) r dr = −∫f⁴ r dr, so F = −π∫f⁴ r dr."""
    s = ref.radial_disk_state(R, h, L)
    assert s.exists
    r, w, f, df, d2f = _piecewise(s.r, s.f)
    pot = (L / r - 0.5 * h * r) ** 2
    res = d2f + df / r - pot * f + f - f ** 3
    inner = r > 0.2
    assert np.max(np.abs(res[inner])) < 1e-6
    last = Polynomial.fit(s.r[-DEGREE - 1:], s.f[-DEGREE - 1:], DEGREE)
    assert abs(last.deriv(1)(R)) < 1e-6                          # natural BC f'(R) = 0
    quad = np.sum(w * (-f ** 2 + df ** 2 + pot * f ** 2) * r)
    quart = np.sum(w * f ** 4 * r)
    assert quad == pytest.approx(-quart, rel=1e-9)
    assert s.F == pytest.approx(-np.pi * quart, rel=1e-9)
    assert s.F == pytest.approx(2 * np.pi * (quad + 0.5 * quart), rel=1e-9)


def test_disk_moment_is_minus_half_field_derivative():
    """Hellmann–Feynman: dF_L/dh = −2π∫ r² j_φ dr = −2m."""
    R, L, h, d = 2.0, 1, 1.2, 1e-4
    s = ref.radial_disk_state(R, h, L)
    dF = (ref.disk_energy(R, h + d, L) - ref.disk_energy(R, h - d, L)) / (2 * d)
    assert dF == pytest.approx(-2 * s.m, rel=1e-6)
    assert s.m < 0  # diamagnetic at this field


def test_disk_state_vanishes_at_the_nucleation_field():
    """Above the L-state's nucleation field only the normal state exists; just below, F ∝
    −(h_n − h)² (supercritical bifurcation)."""
    R, L = 2.0, 1
    hn = ref.radial_nucleation_field(R, L)
    above = ref.radial_disk_state(R, hn + 1e-3, L)
    assert not above.exists and above.F == 0.0 and above.lambda_min > 1.0
    F1 = ref.disk_energy(R, hn - 1e-3, L)
    F2 = ref.disk_energy(R, hn - 2e-3, L)
    assert F1 < 0 and F2 < 0
    assert F2 / F1 == pytest.approx(4.0, rel=0.01)


@pytest.mark.parametrize("R, L", [(2.0, 0), (2.0, 1), (2.0, 2), (5.0, 3), (10.0, 78)])
def test_nucleation_field_matches_kummer_closed_form(R, L):
    hn = ref.radial_nucleation_field(R, L)
    assert ref.disk_lowest_eigenvalue(R, hn, L) == pytest.approx(1.0, abs=1e-12)
    assert ref.kummer_nucleation_field(R, L, hn) == pytest.approx(hn, rel=1e-10)


def test_nucleation_field_absent_for_too_large_L():
    assert math.isnan(ref.radial_nucleation_field(2.0, 3))
    assert math.isnan(ref.radial_nucleation_field(10.0, 80))


def test_saint_james_field_of_disk_R10():
    """The disk R = 10ξ: the maximum over L of the nucleation fields is 1.75389685504 (L = 78)."""
    h, L = ref.disk_nucleation_field(10.0)
    assert L == 78
    assert h == pytest.approx(1.75389685504, abs=1e-6)
    assert h == pytest.approx(1.75389685504, abs=1e-10)


def test_large_disk_limits():
    """Surface state: h_c3(R) decreases towards 1/Θ₀ with the curvature correction
    Θ₀h − 1 ≈ C₁√h/R, C₁ ≈ 0.25; the L = 0 state is the lowest Landau level (h_n → 1)."""
    h10, _ = ref.disk_nucleation_field(10.0)
    h20, _ = ref.disk_nucleation_field(20.0)
    h40, _ = ref.disk_nucleation_field(40.0)
    assert 1 / ref.THETA0 < h40 < h20 < h10
    for R, h in ((10.0, h10), (20.0, h20), (40.0, h40)):
        c1 = R * (ref.THETA0 * h - 1.0) / math.sqrt(h)
        assert 0.25 < c1 < 0.27
    assert 2 * h20 - h10 == pytest.approx(1 / ref.THETA0, abs=3e-3)
    assert 2 * h40 - h20 == pytest.approx(1 / ref.THETA0, abs=5e-4)
    assert ref.radial_nucleation_field(10.0, 0) == pytest.approx(1.0, abs=1e-9)


def test_transition_field_R2():
    R = 2.0
    h01 = ref.transition_field(R, 0, 0.9, 1.1)
    h12 = ref.transition_field(R, 1, 1.5, 1.8)
    assert 0.9 < h01 < 1.1 and 1.5 < h12 < 1.8
    for L, ht in ((0, h01), (1, h12)):
        assert ref.disk_energy(R, ht, L) == pytest.approx(ref.disk_energy(R, ht, L + 1),
                                                          rel=1e-10)
        assert ref.disk_energy(R, ht - 0.01, L) < ref.disk_energy(R, ht - 0.01, L + 1)
        assert ref.disk_energy(R, ht + 0.01, L) > ref.disk_energy(R, ht + 0.01, L + 1)


def test_disk_rejects_bad_input():
    with pytest.raises(ValueError, match="disk radius R"):
        ref.radial_disk_state(-1.0, 0.5, 0)
    with pytest.raises(ValueError, match="winding number L"):
        ref.radial_disk_state(2.0, 0.5, 1.5)


# --------------------------------------------------------------------------------------------
# slab
# --------------------------------------------------------------------------------------------

def test_slab_zero_field():
    s = ref.slab_state(5.0, 10.0, 0.0)
    np.testing.assert_allclose(s.f, 1.0, atol=1e-12)
    np.testing.assert_allclose(s.A, 0.0, atol=1e-14)
    assert s.F_per_area == pytest.approx(-0.5, rel=1e-12)
    assert s.M == 0.0 and s.f_surface_sq == pytest.approx(1.0, abs=1e-12)


def test_slab_london_limit_and_quadratic_suppression():
    """Small h, large κ: M → London h(κ/a)tanh(a/κ) − h, with deviations and the surface
    suppression 1 − f(a)² both growing like h²."""
    a, kappa = 10.0, 20.0
    dev, supp = [], []
    for h in (1e-3, 2e-3):
        s = ref.slab_state(a, kappa, h)
        ml = ref.london_slab_moment(a, kappa, h)
        assert ml == pytest.approx(h * (kappa / a) * math.tanh(a / kappa) - h, rel=1e-14)
        assert s.M == pytest.approx(ml, rel=3e-4)
        dev.append(s.M / ml - 1.0)
        supp.append(1.0 - s.f_surface_sq)
        assert s.B[-1] == pytest.approx(h, rel=1e-8) and s.B[0] == pytest.approx(h, rel=1e-8)
    assert dev[1] / dev[0] == pytest.approx(4.0, rel=0.01)
    assert supp[1] / supp[0] == pytest.approx(4.0, rel=0.01)


def test_slab_london_field_profile_for_large_kappa():
    a, kappa, h = 3.0, 200.0, 1e-4
    s = ref.slab_state(a, kappa, h)
    np.testing.assert_allclose(s.B, h * np.cosh(s.x / kappa) / np.cosh(a / kappa), rtol=1e-7)


@pytest.mark.parametrize("h", [0.02, 0.1])
def test_slab_refinement(h):
    a, kappa = 10.0, 20.0
    base = ref.slab_state(a, kappa, h)
    fine = ref.slab_state(a, kappa, h, n=40)
    assert abs(base.F_per_area - fine.F_per_area) <= 1e-10 * abs(fine.F_per_area)
    assert abs(base.M - fine.M) <= 1e-9 * abs(fine.M)
    assert abs(base.f_surface_sq - fine.f_surface_sq) <= 1e-9


@pytest.mark.parametrize("h", [0.02, 0.1])
def test_slab_agrees_with_collocation_solver(h):
    """Same boundary-value problem by scipy's solve_bvp (a different method): f(a)², M."""
    a, kappa = 10.0, 20.0
    s = ref.slab_state(a, kappa, h)
    k2 = kappa * kappa

    def fun(x, y):
        return np.vstack([y[1], -y[0] + y[0] ** 3 + y[2] ** 2 * y[0], y[3], y[0] ** 2 * y[2] / k2])

    def bc(ya, yb):
        return np.array([ya[1], ya[2], yb[1], yb[3] - h])

    x = np.linspace(0.0, a, 50)
    y0 = np.vstack([np.ones_like(x), np.zeros_like(x), h * x, np.full_like(x, h)])
    sol = solve_bvp(fun, bc, x, y0, tol=1e-10, max_nodes=100000)
    assert sol.status == 0
    assert sol.y[0, -1] ** 2 == pytest.approx(s.f_surface_sq, rel=1e-8)
    assert sol.y[2, -1] / a - h == pytest.approx(s.M, rel=1e-8)


def test_slab_energy_identities():
    """Virial: F = −½∫f⁴ + κ²∫(B − h)²; and d(F/2a)/dh = −2κ²M."""
    a, kappa, h, d = 10.0, 20.0, 0.05, 1e-5
    s = ref.slab_state(a, kappa, h)
    _, w, f, df, _ = _piecewise(s.x, s.f)
    _, _, b, _, _ = _piecewise(s.x, s.B)
    _, _, aa, _, _ = _piecewise(s.x, s.A)
    full = np.sum(w * (-f ** 2 + 0.5 * f ** 4 + df ** 2 + aa ** 2 * f ** 2)) \
        + kappa ** 2 * np.sum(w * (b - h) ** 2)
    virial = -0.5 * np.sum(w * f ** 4) + kappa ** 2 * np.sum(w * (b - h) ** 2)
    assert full / (2 * a) == pytest.approx(s.F_per_area, rel=1e-9)
    assert virial / (2 * a) == pytest.approx(s.F_per_area, rel=1e-8)
    assert np.sum(w * (b - h)) / (2 * a) == pytest.approx(s.M, rel=1e-8)
    dF = (ref.slab_state(a, kappa, h + d).F_per_area
          - ref.slab_state(a, kappa, h - d).F_per_area) / (2 * d)
    assert dF == pytest.approx(-2 * kappa ** 2 * s.M, rel=1e-6)


def test_slab_rejects_bad_input():
    with pytest.raises(ValueError, match="kappa"):
        ref.slab_state(5.0, 0.0, 0.01)


# --------------------------------------------------------------------------------------------
# uniform current
# --------------------------------------------------------------------------------------------

def test_ring_depairing():
    """The uniform state's |ψ|² = 1 − k² minimises −f² + ½f⁴ + k²f², and j = k f² is maximal
    at k = 1/√3 with j = 2/(3√3)."""
    k = 0.4
    opt = minimize_scalar(lambda f2: -f2 + 0.5 * f2 ** 2 + k * k * f2, bounds=(0, 1),
                          method="bounded", options={"xatol": 1e-12})
    assert opt.x == pytest.approx(1 - k * k, abs=1e-8)
    assert ref.uniform_current(k) == pytest.approx(k * opt.x, rel=1e-8)
    best = minimize_scalar(lambda q: -ref.uniform_current(q), bounds=(0, 1), method="bounded",
                           options={"xatol": 1e-12})
    kc, jc = ref.ring_depairing()
    assert kc == pytest.approx(best.x, abs=1e-6)
    assert jc == pytest.approx(-best.fun, rel=1e-12)
    assert jc == pytest.approx(0.384900179, rel=1e-8)
