r"""Validation of the stationary Ginzburg–Landau solver (``solve_gl``, ``gl_sweep``) against
independent references, through the public API only.

Reduced units: lengths in ξ (here ξ = 1 µm, so mesh coordinates in µm are lengths in ξ), fields
h = B/B_c2 with B_c2 = Φ₀/(2πξ²), free energy F = ∫|(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ in B_c²ξ²/μ₀
per unit length, frozen field A = h r/2 e_φ about the centroid.

* Depairing current of a thin ring (width 0.1ξ, mean radius 5ξ): followed in the flux from the
  fluxoid-0 state, the mean azimuthal current is k(1 − k²), k = hR/2, up to the maximum
  2/(3√3) (``gl_reference.ring_depairing``), past which the fluxoid slips.
* Giant-vortex states of a disk R = 2ξ: F_L(h) for L = 0, 1, 2 and the transition fields
  L → L + 1 against ``gl_reference.radial_disk_state`` / ``transition_field`` (two meshes).
* Bifurcation: ∫|ψ|² of the states just below ``nucleation_field`` (same mesh, order 2)
  extrapolates to zero at that field; just above it solve_gl returns the normal state.
* Newton converges quadratically; gauge covariance (P2 interpolation rate); the virial identity
  F = −½∫|ψ|⁴ of stationary states; hysteresis of a field sweep.
"""

from __future__ import annotations

import dataclasses

import gl_reference as ref
import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

import mqm_fem
from mqm_fem import gauge_transform, geometry, gl_sweep, nucleation_field, solve_gl
from mqm_fem.quantum.gauge import transformed_potential, uniform_field_potential

XI = 1e-6  # ξ = 1 µm: the µm coordinates of the generated meshes are in units of ξ
BC2 = mqm_fem.PHI0 / (2 * np.pi * XI**2)  # T


def _field(h: float) -> float:
    """Applied field in T for the reduced field h = B/B_c2."""
    return h * BC2


def _densities(sol) -> np.ndarray:
    """|ψ|² at the quadrature points of the solution's basis."""
    u = np.asarray(sol.basis.interpolate(np.real(sol.modes[0])))
    w = np.asarray(sol.basis.interpolate(np.imag(sol.modes[0])))
    return u**2 + w**2


def _integral(sol, values) -> float:
    return float(np.sum(values * sol.basis.dx))


def _mean_azimuthal_current(sol) -> float:
    """Area average of j_φ = (x j_y − y j_x)/r over the superconductor (reduced units)."""
    j = sol.current_at_quadrature()
    x, y = np.asarray(sol.basis.global_coordinates())
    jphi = (x * j[1] - y * j[0]) / np.hypot(x, y)
    return _integral(sol, jphi) / _integral(sol, 1.0)


# -- 1. depairing current of a thin ring ----------------------------------------------------------
RING_RADIUS, RING_WIDTH = 5.0, 0.1


def test_thin_ring_depairing_current():
    """Mean j_φ follows k(1 − k²) (k = hR/2, fluxoid 0) and peaks at 2/(3√3) before the slip."""
    domain = geometry.annulus(RING_RADIUS - RING_WIDTH / 2, RING_RADIUS + RING_WIDTH / 2,
                              h=5.0, h_sc=RING_WIDTH)
    hs = np.array([0.0, 0.1, 0.2, 0.22, 0.24])
    sweep = gl_sweep(domain, _field(hs), coherence_length=XI, tol=1e-10)
    kc, jc = ref.ring_depairing()
    # on the fluxoid-0 branch |j| = k(1 − k²): curvature corrections are O((w/R)²)
    for s, h in zip(sweep.states[:-1], hs[:-1], strict=True):
        assert s.hole_fluxoids == [0] and s.vorticity == 0
        k = h * RING_RADIUS / 2
        assert abs(abs(_mean_azimuthal_current(s)) - ref.uniform_current(k)) < 2e-3 * jc
    # past the maximum (k = 0.6 > 1/√3) the fluxoid-0 state is gone: the phase slips
    assert sweep.states[-1].hole_fluxoids == [1]
    assert abs(_mean_azimuthal_current(sweep.states[-1])) < 0.95 * jc

    # golden-section search of max |j| in h, each solve continued from the last fluxoid-0 state
    last = {"state": sweep.states[-2]}
    slipped = []

    def minus_current(h):
        s = solve_gl(domain, _field(h), coherence_length=XI, guess=last["state"], tol=1e-10)
        if s.hole_fluxoids == [0]:
            last["state"] = s
        else:
            slipped.append(h)
        return -abs(_mean_azimuthal_current(s))

    h_c = 2 * kc / RING_RADIUS
    res = minimize_scalar(minus_current, bracket=(0.22, h_c, 0.24), method="golden", tol=3e-3)
    j_max = -res.fun
    assert abs(j_max - jc) / jc < 1e-3
    assert abs(res.x * RING_RADIUS / 2 - kc) < 0.01  # at k = 1/√3
    assert slipped and min(slipped) > res.x  # the slip happens past the maximum


# -- 2. giant-vortex states of a small disk -------------------------------------------------------
DISK_R = 2.0
STATES = [(0, 0.8), (1, 1.2), (2, 1.7)]  # (L, h): F_L(h) compared with the radial reference


def _giant_vortex(domain, h, L, guess="uniform"):
    vortices = [((0.0, 0.0), L)] if (L and isinstance(guess, str)) else None
    s = solve_gl(domain, _field(h), coherence_length=XI, guess=guess, vortices=vortices,
                 escape_saddles=False, stability=False, tol=1e-10)
    assert s.vorticity == L
    return s


def test_disk_giant_vortex_energies_and_transitions():
    """F_L(h) within 1e-3 of the radial reference (converging under refinement of the
    polygonal boundary) and the transition fields L → L+1 within 1e-3."""
    coarse = geometry.disk(DISK_R, h=0.3, h_surface=0.1)
    fine = geometry.disk(DISK_R, h=0.15, h_surface=0.03)
    errors = {}
    for name, domain in (("coarse", coarse), ("fine", fine)):
        for L, h in STATES:
            F_ref = ref.radial_disk_state(DISK_R, h, L).F
            F = _giant_vortex(domain, h, L).free_energy
            errors[name, L] = abs(F - F_ref) / abs(F_ref)
    for L, _ in STATES:
        assert errors["fine", L] < 6e-4
        assert errors["fine", L] < errors["coarse", L] / 3  # converging (≈ h_surface²)

    last = {}  # the latest state of each L, to continue from

    def energy(h, L):
        s = _giant_vortex(coarse, h, L, guess=last.get(L, "uniform"))
        last[L] = s
        return s.free_energy

    for L, (lo, hi) in ((0, (0.9, 1.1)), (1, (1.6, 1.8))):
        h_ref = ref.transition_field(DISK_R, L, lo, hi)
        h_t = brentq(lambda h, L=L: energy(h, L) - energy(h, L + 1), h_ref - 0.01, h_ref + 0.01,
                     xtol=1e-6)
        assert abs(h_t - h_ref) / h_ref < 1e-3


# -- 3. bifurcation from the normal state at the nucleation field ---------------------------------
def _check_bifurcation(domain, bc=None):
    """∫|ψ|² → 0 linearly at nucleation_field (same mesh, P2, same bc); normal just above."""
    h_n = nucleation_field(domain, coherence_length=XI, xtol=1e-7, bc=bc).ratio
    hs, n2 = [], []
    for delta in (1e-3, 2e-3, 3e-3):
        s = solve_gl(domain, _field(h_n * (1 - delta)), coherence_length=XI, guess="linear",
                     stability=False, tol=1e-10, bc=bc)
        hs.append(s.reduced_field)
        n2.append(_integral(s, _densities(s)))
    assert min(n2) > 0
    slope, intercept = np.polyfit(hs, n2, 1)
    assert slope < 0
    h_zero = -intercept / slope
    assert abs(h_zero - h_n) / h_n < 1e-3
    above = solve_gl(domain, _field(h_n * 1.002), coherence_length=XI, guess="linear", tol=1e-10,
                     bc=bc)
    assert above.stability == "normal"
    assert above.free_energy == pytest.approx(0.0, abs=1e-12)
    return h_n, h_zero


def test_bifurcation_at_nucleation_field_disk_4xi():
    _check_bifurcation(geometry.disk(4.0, h=0.4))


def test_bifurcation_with_de_gennes_boundary():
    """The de Gennes condition n·(∇ − iA)ψ = −ψ/ℓ (ℓ = 2ξ, a suppressing surface) enters GL as
    the boundary term (1/ℓ)∮|ψ|²: the GL branch still ends at that problem's nucleation field,
    which lies below the natural-boundary one."""
    domain = geometry.disk(4.0, h=0.4)
    h_robin, _ = _check_bifurcation(domain, bc={"outer": ("robin", 2 * XI)})
    assert h_robin < nucleation_field(domain, coherence_length=XI).ratio


def test_bifurcation_at_nucleation_field_disk_10xi():
    # surface states of winding ~70 on a coarse interior: only the rim is refined (the same
    # mesh serves both sides, so the discrete bifurcation is what is checked)
    _check_bifurcation(geometry.disk(10.0, h=2.0, h_surface=0.25, surface_layer=0.3))


# -- 4. quadratic convergence of Newton -----------------------------------------------------------
def test_newton_converges_quadratically():
    domain = geometry.disk(4.0, h=0.4)
    s = solve_gl(domain, _field(0.3), coherence_length=XI, guess="uniform", tol=1e-12)
    r = np.array([step.residual for step in s.newton])
    assert r[-1] < 1e-12
    tail = r[r > 1e-14]
    tail = tail[np.argmax(tail < 1e-1):]  # the Newton regime: residual below 0.1
    assert tail.size >= 3
    for a, b in zip(tail[:-1], tail[1:], strict=True):
        assert np.log(b) / np.log(a) >= 1.8
        assert b <= 10 * a**2


# -- 5. gauge covariance --------------------------------------------------------------------------
def _chi(x):
    return np.sin(x[0] / XI) * np.cos(x[1] / (2 * XI))


def test_gauge_transformation_converges_at_p2_rate():
    h = 0.5
    B = np.array([0.0, 0.0, _field(h)])
    a_prime = transformed_potential(
        lambda x: uniform_field_potential(B, x, center=np.zeros(2)), _chi)
    sizes, f_err, rho_err = [], [], []
    for size in (0.4, 0.2):
        domain = geometry.disk(3.0, h=size)
        s = solve_gl(domain, _field(h), coherence_length=XI, center=(0.0, 0.0), tol=1e-11)
        g = gauge_transform(s, _chi)
        # |ψ|² at the nodes is untouched; between them it changes by the interpolation error
        assert np.max(np.abs(g.density - s.density)) < 1e-12
        sizes.append(size)
        f_err.append(abs(g.free_energy - s.free_energy) / abs(s.free_energy))
        rho_err.append(_integral(s, np.abs(_densities(g) - _densities(s))))
        # the transformed state in the transformed problem (A' = A + (ħ/q)∇χ given as a
        # callable): gauge_transform's A' is the one solve_gl builds, and Newton from it stays
        t = solve_gl(domain, vector_potential=a_prime, coherence_length=XI, guess=g, tol=1e-11)
        assert np.max(np.abs(t.a_quad - g.a_quad)) < 1e-7 * np.max(np.abs(g.a_quad))
        same = dataclasses.replace(t, modes=g.modes, _cache={})
        assert same.free_energy == pytest.approx(g.free_energy, rel=1e-10)
        assert t.free_energy <= g.free_energy + 1e-12
        assert t.vorticity == s.vorticity
        assert abs(t.free_energy - s.free_energy) / abs(s.free_energy) < 2 * f_err[-1] + 1e-9
    order_f = np.log(f_err[0] / f_err[1]) / np.log(sizes[0] / sizes[1])
    order_rho = np.log(rho_err[0] / rho_err[1]) / np.log(sizes[0] / sizes[1])
    assert f_err[-1] < 1e-4 and rho_err[-1] < 2e-3
    assert order_f >= 2.5 and order_rho >= 2.5


# -- 6. sweeps: Meissner state, virial identity, hysteresis ---------------------------------------
def _check_virial(s):
    """Stationary states with the natural bc: ∫|(∇−iA)ψ|² − |ψ|² = −∫|ψ|⁴, F = −½∫|ψ|⁴.

    Exactly at a stationary point; at a state left with the residual r (a vortex pattern in a
    disk converged up to its almost free rotation) the identity's defect is ⟨½∇F, ψ⟩, bounded
    by Cauchy–Schwarz by r·√|Ω|·‖ψ‖ — so the reported residual is checked too."""
    quartic = _integral(s, _densities(s) ** 2)
    e = s.energy
    quadratic = e.kinetic + _integral(s, -_densities(s))
    norm = np.sqrt(_integral(s, _densities(s)))
    bound = s.newton[-1].residual * np.sqrt(s.area) * norm + 1e-9 * abs(quartic)
    assert abs(quadratic + quartic) <= bound
    assert abs(s.free_energy + 0.5 * quartic) <= bound
    if not s.info["stagnated"]:
        assert quadratic == pytest.approx(-quartic, rel=1e-6)


def test_sweep_meissner_state_and_virial():
    domain = geometry.disk(4.0, h=0.4)
    sweep = gl_sweep(domain, _field(np.array([0.0, 0.2, 0.4, 0.2, 0.0])), coherence_length=XI)
    first = sweep.states[0]
    assert first.vorticity == 0 and first.stability == "stable"
    assert first.free_energy == pytest.approx(-0.5 * first.area, rel=1e-9)
    assert np.allclose(first.density, 1.0, atol=1e-9)
    for s in sweep.states:
        _check_virial(s)


def test_sweep_hysteresis():
    """Up through vortex entry and back down: the vorticity differs at some field."""
    domain = geometry.disk(4.0, h=0.5)
    up = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
    sweep = gl_sweep(domain, _field(np.array(up + up[-2::-1])), coherence_length=XI)
    n = len(up)
    up_v, down_v = sweep.vorticities[:n], sweep.vorticities[n - 1:][::-1]
    assert up_v[0] == 0 and max(up_v) >= 1
    assert np.any(up_v != down_v)  # hysteresis
    assert np.all(np.diff(up_v) >= 0)
    assert "metastable" in sweep.stabilities
    for s in sweep.states:
        _check_virial(s)


def test_vortex_entry_from_meissner_state_converges():
    """Continuing the Meissner state of the R = 4ξ disk from h = 0.3 to 0.6 (past its stability
    limit: the saddle escape lets vortices in) must end in a converged state with the default
    tolerance, as a sweep through vortex entry needs."""
    domain = geometry.disk(4.0, h=0.4)
    meissner = solve_gl(domain, _field(0.3), coherence_length=XI)
    s = solve_gl(domain, _field(0.6), coherence_length=XI, guess=meissner)
    assert s.vorticity >= 1 and s.stability in ("stable", "metastable")
    assert s.newton[-1].residual < 1e-8 or s.info["stagnated"]
    _check_virial(s)


def test_free_energy_converges_at_order_two_under_refinement():
    """Disk R = 2ξ, h = 0.8, the L = 0 state through solve_gl on three uniform meshes against the
    1D radial reference: the error of F falls at order 2 (measured 2.00, 2.01 — the polygonal
    boundary limits P2 to h²)."""
    exact = ref.radial_disk_state(2.0, 0.8, 0).F
    sizes = np.array([0.4, 0.2, 0.1])
    errors = np.array([abs(solve_gl(geometry.disk(2.0, h=size), _field(0.8), coherence_length=XI,
                                    tol=1e-11).free_energy / exact - 1) for size in sizes])
    orders = np.log(errors[:-1] / errors[1:]) / np.log(sizes[:-1] / sizes[1:])
    assert np.all(orders > 1.8), orders
    assert errors[-1] < 1e-4
