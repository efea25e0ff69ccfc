r"""The GL vector-potential solve (mqm_fem.gl.field) against independent references.

Dimensionless GL units (lengths in ξ, fields in B_c2), κ²curl curl A + ρA = s, curl A = h on ∂Ω.

* London limit ρ = 1, s = 0 on a disk of radius R: B = h I₀(r/κ)/I₀(R/κ). The moment
  m = ½∫r × j dx with κ²∇×(Bẑ) = j and B = h on ∂Ω integrates by parts to
  m = κ²∫(B − h) dx = κ²πR²h(2κI₁(R/κ)/(R I₀(R/κ)) − 1).
* Strip |x| < a, long in y: B = h cosh(x/κ)/cosh(a/κ) on the mid-line.
* The same disk against ``mqm_fem.solve_london`` (out-of-plane, λ = κξ): the 2D moment
  m' = ∫(B − B_a)/μ₀ dA (A·m) is κ⁻²B_c2ξ²/μ₀ times the GL moment.
* A meshed hole (ρ = s = 0 there) against ``solve_london`` with the hole meshed, fluxoid 0.
* Pure gauge: s = ρ∇χ, h = 0 gives A = ∇χ, B = 0; normal state ρ = 0 gives B = h, A = A_a.
* ``fixed_boundary_facets`` (n×A = n×A_a): the flux h|Ω| is conserved.

Every check prints the observed errors; convergence orders are fitted log-log.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.special import i0, i1
from skfem import Basis, ElementTriP1, ElementTriP2, MeshTri

from mqm_fem import solve_london
from mqm_fem.errors import ParameterError
from mqm_fem.gl.field import REGULARISATION, FieldSolver
from mqm_fem.mesh import domain_from_skfem
from mqm_fem.units import MU0

KAPPA, R, H = 2.0, 6.0, 0.7
XI = 1e-8  # ξ = 10 nm for the comparison with solve_london (B_c2 = 1 T)


def _disk(nref: int, radius: float = R) -> MeshTri:
    m = MeshTri.init_circle(nref)
    return MeshTri(m.p * radius, m.t)


def _london_state(solver: FieldSolver, h: float = H, **kwargs):
    nel, nqp = solver.dx.shape
    return solver.solve(np.ones((nel, nqp)), np.zeros((2, nel, nqp)), h, **kwargs)


def _coords(solver: FieldSolver) -> np.ndarray:
    return np.asarray(solver.basis.global_coordinates())


def _order(h, err) -> float:
    return float(np.polyfit(np.log(h), np.log(err), 1)[0])


def _disk_moment() -> float:
    q = R / KAPPA
    return KAPPA**2 * np.pi * R**2 * H * (2 * i1(q) / (q * i0(q)) - 1)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("intorder", [2, 4, 5])
def test_quadrature_points_are_those_of_any_cell_basis(order, intorder):
    """ρ and s are passed at the quadrature points of the ψ basis: the solver's points and
    weights must be those of skfem.Basis(mesh, ElementTriP2(), intorder) (and P1)."""
    mesh = _disk(2)
    solver = FieldSolver(mesh, intorder, KAPPA, order)
    for element in (ElementTriP1(), ElementTriP2()):
        other = Basis(mesh, element, intorder=intorder)
        np.testing.assert_array_equal(_coords(solver), np.asarray(other.global_coordinates()))
        np.testing.assert_array_equal(solver.dx, other.dx)


@pytest.mark.parametrize("order", [1, 2])
def test_london_disk_moment_and_field_converge(order):
    """ρ = 1, s = 0 on the disk R = 3κ: moment against κ²πR²h(2κI₁/(RI₀) − 1) and B against
    hI₀(r/κ)/I₀(R/κ). The polygonal disk (chords O(h²) inside the circle) limits the moment to
    order 2 for both elements; B = curl A is P0 (N1, order 1) or P1 (N2, order 2) in L2."""
    m_ref = _disk_moment()
    refs = [2, 3, 4, 5]
    moment_err, field_err = [], []
    for nref in refs:
        solver = FieldSolver(_disk(nref), 4, KAPPA, order)
        state = _london_state(solver)
        x = _coords(solver)
        exact = H * i0(np.hypot(x[0], x[1]) / KAPPA) / i0(R / KAPPA)
        field_err.append(np.sqrt(np.sum((state.b_quad - exact) ** 2 * solver.dx)
                                 / np.sum(exact**2 * solver.dx)))
        moment_err.append(abs(state.moment / m_ref - 1))
        # the discrete identity m = κ²∫(B − h) (test function ½ẑ×r has curl 1)
        identity = KAPPA**2 * np.sum((state.b_quad - H) * solver.dx)
        assert abs(identity / state.moment - 1) < 1e-11
        assert state.iterations <= 6
        assert state.field_energy > 0
    hs = [R / 2**n for n in refs]
    m_rate, b_rate = _order(hs, moment_err), _order(hs, field_err)
    print(f"\nN{order} disk: moment rel. errors {np.array(moment_err)} order {m_rate:.3f}; "
          f"B L2 errors {np.array(field_err)} order {b_rate:.3f}")
    assert m_rate >= 1.8
    assert b_rate >= order - 0.15
    assert moment_err[-1] < 1e-3


@pytest.mark.parametrize("order", [1, 2])
def test_strip_midline_profile(order):
    """Strip |x| < a = 2κ, |y| < 15κ: on the mid-line (|y| < κ, 14κ from the ends, end effects
    ~ e⁻¹⁴) B = h cosh(x/κ)/cosh(a/κ)."""
    kappa, a, half_length = 1.0, 2.0, 15.0
    errors, hs = [], []
    for n in (10, 20, 40):
        dx = 2 * a / n
        mesh = MeshTri.init_tensor(np.linspace(-a, a, n + 1),
                                   np.linspace(-half_length, half_length,
                                               int(round(2 * half_length / (2 * dx))) + 1))
        # coarser in y (2 dx): the field does not vary along y in the middle
        solver = FieldSolver(mesh, 4, kappa, order)
        state = _london_state(solver)
        x = _coords(solver)
        mid = np.abs(x[1]) < kappa
        exact = H * np.cosh(x[0] / kappa) / np.cosh(a / kappa)
        errors.append(np.max(np.abs(state.b_quad - exact)[mid]) / H)
        hs.append(dx)
    rate = _order(hs, errors)
    print(f"\nN{order} strip mid-line max rel. errors {np.array(errors)}, order {rate:.3f}")
    assert rate >= order - 0.2
    assert errors[-1] < (6e-2 if order == 1 else 1e-3)  # N1: B is P0


@pytest.mark.parametrize("order, nref, tol", [(1, 5, 1e-3), (2, 4, 1e-4)])
def test_disk_moment_matches_solve_london(order, nref, tol):
    """The same polygonal disk with ρ = 1: the GL moment equals κ²μ₀m'/(B_c2ξ²) of the London
    out-of-plane solve (P2 Lagrange for B_z, mesh in units of ξ, λ = κξ, B_a = h·1 T)."""
    mesh = _disk(nref)
    london = solve_london(domain_from_skfem(mesh, XI), KAPPA * XI, H,
                          formulation="out-of-plane", order=2)
    m_london = KAPPA**2 * MU0 * london.moment[2] / XI**2
    state = _london_state(FieldSolver(mesh, 4, KAPPA, order))
    print(f"\nN{order}: GL moment {state.moment:.8f}, London {m_london:.8f}, "
          f"rel. difference {state.moment / m_london - 1:.2e}")
    assert abs(state.moment / m_london - 1) < tol


@pytest.mark.parametrize("order, field_tol, moment_tol", [(1, 2e-3, 1e-3), (2, 5e-4, 1e-4)])
def test_meshed_hole_field_matches_solve_london(order, field_tol, moment_tol):
    """Disk R = 6 with a meshed hole (the elements of the coarse disk with centroid r < 2.5,
    refined twice: the same polygonal hole on both meshes) where ρ = s = 0: the flux in the hole
    is set by the currents (zero fluxoid, s = 0). Compare the hole's field (uniform) and the
    moment with solve_london (hole region ``hole_0`` meshed, fluxoid 0); the differences shrink
    with the mesh (N1 b: 6e-3, 2.6e-3, 9e-4 relative on 256, 1024, 4096 triangles)."""
    coarse = _disk(3).with_subdomains({"hole_0": lambda x: np.hypot(x[0], x[1]) < 2.5})
    mesh = coarse.refined(2)
    hole = mesh.subdomains["hole_0"]
    sc = np.setdiff1d(np.arange(mesh.nelements), hole)
    domain = domain_from_skfem(mesh, XI, {"superconductor": sc, "hole_0": hole})
    london = solve_london(domain, KAPPA * XI, H, formulation="out-of-plane", order=2)
    solver = FieldSolver(mesh, 4, KAPPA, order)
    rho = np.ones(solver.dx.shape)
    rho[hole] = 0.0
    state = solver.solve(rho, np.zeros((2, *rho.shape)), H)
    b_hole = state.b_quad[hole]
    m_london = KAPPA**2 * MU0 * london.moment[2] / XI**2
    b_london = london.field_data["hole_field_hole_0"]
    print(f"\nN{order} meshed hole: B in hole {b_hole.min():.6f}..{b_hole.max():.6f} vs London "
          f"{b_london:.6f}; moment {state.moment:.6f} vs {m_london:.6f}")
    assert 0.1 * H < b_london < 0.5 * H  # screened, but not to zero: the hole holds flux
    assert np.ptp(b_hole) < 1e-8 * H  # no current in the hole: uniform field
    assert np.max(np.abs(b_hole / b_london - 1)) < field_tol
    assert abs(state.moment / m_london - 1) < moment_tol


@pytest.mark.parametrize("order", [1, 2])
def test_gradient_source_is_pure_gauge(order):
    """s = ρ∇χ with a varying ρ > 0 and h = 0: A = ∇χ, B = 0, zero field energy. Exact (to the
    shift δ) when ∇χ lies in the Nédélec space: constant for N1, linear for N2."""
    mesh = _disk(3)
    solver = FieldSolver(mesh, 4, KAPPA, order)
    x, y = _coords(solver)
    rho = 1.0 + 0.5 * np.sin(x) * np.cos(0.7 * y) ** 2
    if order == 1:
        grad_chi = np.array([0.4 + 0 * x, -0.3 + 0 * y])
    else:  # χ = 0.3x² − 0.2xy + 0.5y + 0.1y²
        grad_chi = np.array([0.6 * x - 0.2 * y, -0.2 * x + 0.5 + 0.2 * y])
    state = solver.solve(rho, rho * grad_chi, 0.0)
    rel = np.sqrt(np.sum((state.a_quad - grad_chi) ** 2 * solver.dx)
                  / np.sum(grad_chi**2 * solver.dx))
    print(f"\nN{order} pure gauge: ‖A − ∇χ‖/‖∇χ‖ = {rel:.2e}, max|B| = "
          f"{np.max(np.abs(state.b_quad)):.2e}, energy {state.field_energy:.2e}")
    assert rel < 1e-9
    assert np.max(np.abs(state.b_quad)) < 1e-9
    assert np.max(np.abs(state.b_vertex)) < 1e-9
    assert state.field_energy < 1e-16
    assert abs(state.moment) < 1e-8


@pytest.mark.parametrize("order", [1, 2])
def test_smooth_gradient_source_gives_vanishing_field(order):
    """s = ∇χ with χ = sin(x/2)cos(y/3) (not in the discrete space), ρ = 1, h = 0: B → 0 and
    A → ∇χ as the mesh is refined."""
    fields, errs = [], []
    for nref in (3, 4):
        solver = FieldSolver(_disk(nref), 4, KAPPA, order)
        x, y = _coords(solver)
        grad_chi = np.array([0.5 * np.cos(x / 2) * np.cos(y / 3),
                             -np.sin(x / 2) * np.sin(y / 3) / 3])
        state = solver.solve(np.ones(x.shape), grad_chi, 0.0)
        fields.append(np.sqrt(np.sum(state.b_quad**2 * solver.dx) / solver.area))
        errs.append(np.sqrt(np.sum((state.a_quad - grad_chi) ** 2 * solver.dx)
                            / np.sum(grad_chi**2 * solver.dx)))
    print(f"\nN{order} smooth gauge: rms B {np.array(fields)}, rel. A errors {np.array(errs)}")
    assert fields[1] < fields[0] / 1.8
    assert errs[1] < errs[0] / 1.8
    assert errs[1] < (0.1 if order == 1 else 5e-3)


@pytest.mark.parametrize("order", [1, 2])
def test_normal_state_gives_the_applied_field(order):
    """ρ = 0, s = 0 everywhere (S singular on all gradients): B = h everywhere (the shift δ does
    not change the field), A = A_a = (h/2)ẑ×(r − r_c) exactly (the gauge), zero moment and
    energy, no NaN. Also with a meshed normal hole next to ρ = 1: finite, B uniform there."""
    solver = FieldSolver(_disk(3), 4, KAPPA, order)
    zero = np.zeros(solver.dx.shape)
    state = solver.solve(zero, np.zeros((2, *zero.shape)), H)
    dev = max(np.max(np.abs(state.b_quad - H)), np.max(np.abs(state.b_vertex - H))) / H
    r = _coords(solver) - solver.centroid[:, None, None]
    gauge = np.max(np.abs(state.a_quad - 0.5 * H * np.array([-r[1], r[0]])))
    print(f"\nN{order} normal state: max|B − h|/h = {dev:.2e}, max|A − A_a| = {gauge:.2e}, "
          f"{state.iterations} iterations (ε = {REGULARISATION:g})")
    assert np.all(np.isfinite(state.a_quad)) and np.all(np.isfinite(state.dofs))
    assert dev < 1e-10
    assert gauge < 1e-8 * H * R  # round-off in the gauge part, amplified by 1/δ
    assert state.field_energy < 1e-18 * solver.area
    assert abs(state.moment) < 1e-9 * KAPPA**2 * solver.area * H


@pytest.mark.parametrize("order", [1, 2])
def test_fixed_boundary_facets_conserve_the_applied_flux(order):
    """n×A = n×A_a on the whole boundary fixes ∮A·t = h|Ω| (Stokes): the screened disk then
    keeps the applied flux, ∫B = h|Ω|, unlike the natural condition; ρ = 0 gives A = A_a."""
    mesh = _disk(3)
    solver = FieldSolver(mesh, 4, KAPPA, order)
    boundary = mesh.boundary_facets()
    screened = _london_state(solver, fixed_boundary_facets=boundary)
    flux = np.sum(screened.b_quad * solver.dx)
    assert abs(flux / (H * solver.area) - 1) < 1e-9
    assert np.sum(_london_state(solver).b_quad * solver.dx) < 0.6 * H * solver.area
    zero = np.zeros(solver.dx.shape)
    normal = solver.solve(zero, np.zeros((2, *zero.shape)), H, fixed_boundary_facets=boundary)
    r = _coords(solver) - solver.centroid[:, None, None]
    np.testing.assert_allclose(normal.a_quad, 0.5 * H * np.array([-r[1], r[0]]), atol=1e-9)
    with pytest.raises(ParameterError, match="fixed_boundary_facets"):
        solver.solve(zero, np.zeros((2, *zero.shape)), H,
                     fixed_boundary_facets=np.setdiff1d(np.arange(mesh.facets.shape[1]),
                                                        boundary)[:3])


def test_bad_inputs_are_refused():
    solver = FieldSolver(_disk(2), 2, KAPPA, 1)
    shape = solver.dx.shape
    with pytest.raises(ParameterError, match=r"density_q: shape .* expected"):
        solver.solve(np.ones((shape[0], shape[1] + 1)), np.zeros((2, *shape)), H)
    with pytest.raises(ParameterError, match=r"source_q: shape"):
        solver.solve(np.ones(shape), np.zeros(shape), H)
    with pytest.raises(ParameterError, match="density_q: min -1 < 0"):
        solver.solve(-np.ones(shape), np.zeros((2, *shape)), H)
    with pytest.raises(ParameterError, match="NaN"):
        solver.solve(np.full(shape, np.nan), np.zeros((2, *shape)), H)
    with pytest.raises(ParameterError, match="order: 3"):
        FieldSolver(_disk(2), 2, KAPPA, 3)
    with pytest.raises(ParameterError, match="kappa"):
        FieldSolver(_disk(2), 2, -1.0, 1)


def test_solve_time_on_20k_triangles():
    """One solve on 20 000 triangles (N1: 30k DOFs, N2: 100k DOFs); setup once, then solves
    reuse the curl-curl matrix and the sparsity pattern."""
    mesh = MeshTri.init_tensor(np.linspace(0, 20, 101), np.linspace(0, 20, 101))
    rng = np.random.default_rng(0)
    for order in (1, 2):
        started = time.perf_counter()
        solver = FieldSolver(mesh, 2 * order, KAPPA, order)
        setup = time.perf_counter() - started
        rho = rng.random(solver.dx.shape)
        s = rng.standard_normal((2, *rho.shape))
        times = []
        for _ in range(2):
            started = time.perf_counter()
            state = solver.solve(rho, s, H)
            times.append(time.perf_counter() - started)
        print(f"\nN{order}: {mesh.nelements} triangles, {solver.ndofs} DOFs, setup {setup:.3f} s,"
              f" solve {min(times):.3f} s")
        assert np.all(np.isfinite(state.dofs))
        assert min(times) < 3.0


@pytest.mark.parametrize("order", [1, 2])
def test_direct_assembly_equals_the_forms(order):
    """The solver sums the element matrices itself; they must equal the documented skfem forms
    κ²(curl u, curl v) + (ρu, v) and (s, v) + κ²h(1, curl v)."""
    from mqm_fem.gl.field import curl_curl, curl_load, density_mass, source_load

    solver = FieldSolver(_disk(2), 4, KAPPA, order)
    x, y = _coords(solver)
    rho = 1.0 + np.sin(x) * np.cos(y) ** 2
    s = np.array([np.cos(y), x * y])
    matrix, load = solver.assemble(rho, s, H)
    ref = (curl_curl.assemble(solver.basis, kappa2=KAPPA**2)
           + density_mass.assemble(solver.basis, rho=rho))
    ref_load = (source_load.assemble(solver.basis, s=s)
                + KAPPA**2 * H * curl_load.assemble(solver.basis))
    assert abs(matrix - ref).max() < 1e-12 * abs(ref).max()
    np.testing.assert_allclose(load, ref_load, rtol=0, atol=1e-12 * np.abs(ref_load).max())
