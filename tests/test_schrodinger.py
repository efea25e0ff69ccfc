"""Validation of mqm_fem.quantum.schrodinger against the references of docs/theory.md §2.

Units: meshes in µm with L₀ = 1 µm, so the scaled field b = 1 is B₁ = ħ/(qL₀²) ≈ 0.33 mT.
Each validation prints its observed errors and fits a convergence order (log-log slope).
"""

from __future__ import annotations

import numpy as np
import pytest
import skfem

from mqm_fem import geometry
from mqm_fem.errors import ParameterError, RegionNotFoundError, SolverError
from mqm_fem.mesh import domain_from_skfem
from mqm_fem.quantum.schrodinger import SchrodingerSolution, parse_bc, solve_schrodinger
from mqm_fem.units import HBAR, Q

J01 = 2.404825557695773
THETA0 = 0.5901061249
L0 = 1e-6
B1 = HBAR / (Q * L0**2)  # b = 1


def _slope(h, err):
    return float(np.polyfit(np.log(h), np.log(err), 1)[0])


def test_dirichlet_disk_zero_field():
    """ε₀ = j₀₁²/R² (R = 1 µm); the polygonal boundary limits accuracy: refined boundary layer,
    error O(h_surface²)."""
    hs, errs = [0.04, 0.028, 0.02], []
    for h_surface in hs:
        d = geometry.disk(1.0, h=0.15, h_surface=h_surface, surface_layer=0.1)
        sol = solve_schrodinger(d, k=1, bc="dirichlet")
        errs.append(sol.eigenvalues[0] / J01**2 - 1)
        print(f"disk h_surface={h_surface}: {d.mesh.nelements} triangles, "
              f"rel. error {errs[-1]:.3e}")
    assert all(e > 0 for e in errs)  # conforming: upper bound
    assert errs[-1] < 1e-4
    order = _slope(hs, errs)
    print(f"observed order {order:.2f} (geometry, theory 2)")
    assert order >= 1.8


@pytest.mark.slow
def test_dirichlet_cube_zero_field():
    """ε₀ = 3π²/L² (unit cube, structured tetrahedra, P2: eigenvalue error O(h⁴))."""
    ns, errs = [4, 8, 13], []
    for n in ns:
        m = skfem.MeshTet.init_tensor(*(3 * [np.linspace(0, 1, n + 1)]))
        sol = solve_schrodinger(domain_from_skfem(m, "um"), k=1, bc="dirichlet")
        errs.append(sol.eigenvalues[0] / (3 * np.pi**2) - 1)
        print(f"cube n={n}: {m.nelements} tets, rel. error {errs[-1]:.3e}")
    assert errs[-1] < 1e-4
    order = _slope(1 / np.array(ns), errs)
    print(f"observed order {order:.2f} (theory 4)")
    assert order >= 3.8


def test_neumann_zero_field_constant_ground_state():
    d = geometry.disk(1.0, h=0.2)
    sol = solve_schrodinger(d, k=3)
    print("Neumann eigenvalues", sol.eigenvalues)
    assert abs(sol.eigenvalues[0]) < 1e-10
    assert np.allclose(sol.density[0], 1.0, atol=1e-8)  # ψ constant, max|ψ| = 1
    assert sol.eigenvalues[1] > 1.0


def test_landau_level_dirichlet_disk():
    """Bulk Landau level: Dirichlet disk R = 1 with b = 60 (magnetic length 0.13 R): ε₀ → b
    from above; P2 error O(h⁴)."""
    b = 60.0
    hs, errs = [0.12, 0.085, 0.06], []
    for h in hs:
        d = geometry.disk(1.0, h=h)
        sol = solve_schrodinger(d, b * B1, k=1, bc={"outer": "dirichlet"})
        errs.append(sol.eigenvalues[0] / b - 1)
        print(f"Landau h={h}: {sol.info['ndofs']} dofs, ε₀/b - 1 = {errs[-1]:.3e}")
    assert all(e > 0 for e in errs)
    assert errs[-1] < 5e-3
    order = _slope(hs, errs)
    print(f"observed order {order:.2f} (theory 4)")
    assert order >= 3.8
    assert sol.vortices(0) == []  # Gaussian ground state, no zeros inside


@pytest.mark.slow
def test_theta0_by_extrapolation():
    """Θ₀ = 0.5901061249 from natural-BC disks of radius R = 8..16 magnetic lengths.

    ε₀/b = Θ₀ − C₁/R + O(1/R²) with an O(1/R²) oscillation in the flux (angular momentum
    steps), removed by averaging over 3 flux offsets per R. The state lives within a few
    magnetic lengths of the edge: the disk is replaced by the annulus R − 6 < r < R with ψ = 0
    inside (error ~e^{-18}), in the gauge A − (ħ/q) n ∇θ (a singular gauge transformation,
    n ≈ bR²/2) that removes the e^{inθ} phase oscillation, so the mesh need not resolve it.
    """
    radii, means = [8, 10, 12, 16], []
    for radius in radii:
        d = geometry.annulus(radius - 6, radius, h=0.8, h_surface=0.3, surface_layer=2.5)
        n = round(radius**2 / 2 - np.sqrt(THETA0) * radius)
        vals = []
        for offset in (0, 1 / 3, 2 / 3):
            b = 1 + 2 * offset / radius**2

            def a_field(x, b=b, n=n):
                r2 = x[0] ** 2 + x[1] ** 2
                return (0.5 * b * B1 - HBAR / Q * n / r2) * np.stack([-x[1], x[0]])

            sol = solve_schrodinger(d, vector_potential=a_field, k=1,
                                    bc={"hole_0_boundary": "dirichlet"})
            vals.append(sol.eigenvalues[0] / b)
        means.append(np.mean(vals))
        print(f"R = {radius}: {d.mesh.nelements} triangles, ε₀/b = {vals}, mean {means[-1]:.6f}")
    fit = np.polyfit(1 / np.array(radii), means, 2)
    print(f"fit Θ₀ + c1/R + c2/R²: Θ₀ = {fit[-1]:.6f} (error {fit[-1] - THETA0:+.2e}), "
          f"c1 = {fit[-2]:.4f}")
    assert abs(fit[-1] - THETA0) < 2e-3
    assert all(m < THETA0 for m in means)  # curvature lowers the disk's ε₀


def test_little_parks_thin_ring():
    """Thin ring R = 1, w = 0.1, natural BC: ε₀ = min_n (n − Φ/Φ₀)²/R² + O(w²); fluxoid n."""
    d = geometry.annulus(0.95, 1.05, h=0.05)
    fluxes = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    eps, nw = [], []
    for f in fluxes:
        sol = solve_schrodinger(d, 2 * f * B1, k=2)  # Φ/Φ₀ = bR²/2
        eps.append(sol.eigenvalues[0])
        nw.append(sol.hole_windings(0)["hole_0_boundary"])
    eps = np.array(eps)
    ref = np.array([min((n - f) ** 2 for n in range(-2, 4)) for f in fluxes])
    err = np.abs(eps - ref)
    print("Φ/Φ₀", fluxes, "ε₀", eps, "reference", ref, "fluxoids", nw)
    assert np.max(err) < 0.01  # O(w²) corrections, w² = 0.01
    assert abs(eps[4] - eps[0]) < 0.01 and abs(eps[5] - eps[1]) < 0.01  # period Φ₀
    assert eps[0] < eps[1] < eps[2] and eps[4] < eps[3]  # minima at integer fluxoid
    assert nw[0] == 0 and nw[1] == 0 and nw[3] == 1 and nw[4] == 1 and nw[5] == 1


def test_winding_sign_and_vortex_count_disk():
    """Natural-BC disk in a field: the ground state's winding around the outer boundary equals
    the sum of the vortex windings inside, positive for b > 0."""
    d = geometry.disk(1.0, h=0.08)
    sol = solve_schrodinger(d, 15 * B1, k=2)
    outer = sol.boundary_windings(0)["outer"]
    vort = sol.vortices(0)
    print("outer winding", outer, "vortices", vort)
    assert outer > 0
    assert sum(v["winding"] for v in vort) == outer


def test_write_and_fields(tmp_path):
    from mqm_fem.io.vtk import read_sidecar

    d = geometry.disk(1.0, h=0.2)
    sol = solve_schrodinger(d, "1 mT", k=2, superfluid_density=1e27)
    assert isinstance(sol, SchrodingerSolution)
    assert np.all(np.diff(sol.eigenvalues) >= 0)
    assert np.isclose(np.abs(sol.modes).max(), 1.0)  # over all Lagrange nodes
    assert np.allclose(sol.energies, sol.eigenvalues * HBAR**2 / (2 * 2 * 9.1093837015e-31
                                                                     * L0**2), rtol=1e-6)
    path = sol.write(tmp_path / "modes.vtu")
    side = read_sidecar(path)
    assert "eigenvalues" in side["field_data"]
    import pyvista as pv

    grid = pv.read(path)
    for name in ("psi_re_1", "psi_im_1", "density_0", "phase_1", "J_s_0"):
        assert name in grid.point_data
    assert sol.info["hermiticity_error"] < 1e-14
    assert "mode 0" in sol.summary()


def test_robin_between_natural_and_dirichlet():
    d = geometry.disk(1.0, h=0.2)
    e_nat = solve_schrodinger(d, "1 mT", k=1).eigenvalues[0]
    e_rob = solve_schrodinger(d, "1 mT", k=1, bc={"outer": ("robin", "0.5 um")}).eigenvalues[0]
    e_rob2 = solve_schrodinger(d, "1 mT", k=1, bc="robin:0.5um").eigenvalues[0]
    e_dir = solve_schrodinger(d, "1 mT", k=1, bc={"outer": "dirichlet"}).eigenvalues[0]
    e_neg = solve_schrodinger(d, "1 mT", k=1, bc={"outer": ("robin", -2e-6)}).eigenvalues[0]
    print("natural, robin, dirichlet, robin(ℓ<0):", e_nat, e_rob, e_dir, e_neg)
    assert e_neg < e_nat < e_rob < e_dir
    assert e_rob == pytest.approx(e_rob2, rel=1e-12, abs=0)


def test_vertex_array_and_3d_tilted_field_agree_with_uniform():
    m = skfem.MeshTet.init_tensor(*(3 * [np.linspace(-0.5, 0.5, 5)]))
    d = domain_from_skfem(m, "um")
    field = np.array([0.3, 0.2, 0.9]) * 5 * B1
    s1 = solve_schrodinger(d, field, k=2)
    x = m.p * 1e-6
    a = 0.5 * np.cross(field, x.T)  # A = ½ B × r at the vertices (exact in P1)
    s2 = solve_schrodinger(d, vector_potential=a, k=2)
    s3 = solve_schrodinger(d, field, k=2, gauge="landau")
    print(s1.eigenvalues, s2.eigenvalues, s3.eigenvalues)
    assert np.allclose(s1.eigenvalues, s2.eigenvalues, rtol=1e-10)
    assert np.allclose(s1.eigenvalues, s3.eigenvalues, rtol=2e-2)


# ---------------------------------------------------------------------------------------------
# refusals
@pytest.fixture(scope="module")
def small_disk():
    return geometry.disk(1.0, h=0.3)


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_bad_k(small_disk, k):
    with pytest.raises(ParameterError, match="k"):
        solve_schrodinger(small_disk, k=k)


def test_unknown_boundary_lists_valid(small_disk):
    with pytest.raises(ParameterError, match="outer.*surface"):
        solve_schrodinger(small_disk, bc={"rim": "dirichlet"})


def test_bad_bc_kind(small_disk):
    with pytest.raises(ParameterError, match="natural"):
        solve_schrodinger(small_disk, bc={"outer": "soft"})
    with pytest.raises(ParameterError, match="robin"):
        parse_bc("robin", "outer")
    with pytest.raises(ParameterError, match="nonzero"):
        parse_bc(("robin", 0), "outer")


def test_complex_or_nan_potentials_refused(small_disk):
    n = small_disk.mesh.nvertices
    with pytest.raises(ParameterError, match="complex"):
        solve_schrodinger(small_disk, vector_potential=np.ones((n, 2)) * (1 + 1j) * 1e-9)
    with pytest.raises(ParameterError, match="complex"):
        solve_schrodinger(small_disk, vector_potential=lambda x: (1 + 1j) * x * 1e-3)
    with pytest.raises(ParameterError, match="NaN"):
        solve_schrodinger(small_disk, vector_potential=np.full((n, 2), np.nan))
    with pytest.raises(ParameterError, match="NaN"):
        solve_schrodinger(small_disk, scalar_potential=lambda x: np.nan * x[0])
    with pytest.raises(ParameterError, match="shape"):
        solve_schrodinger(small_disk, vector_potential=np.ones((n + 1, 2)))
    with pytest.raises(ParameterError, match="finite|parse"):
        solve_schrodinger(small_disk, float("nan"))
    with pytest.raises(ParameterError, match="one of them"):
        solve_schrodinger(small_disk, 1e-3, vector_potential=np.zeros((n, 2)))
    with pytest.raises(ParameterError, match="along z"):
        solve_schrodinger(small_disk, [1e-3, 0, 0])


def test_no_superconductor_region():
    m = skfem.MeshTri.init_circle(2)
    d = domain_from_skfem(m, "um", regions={"vacuum": np.arange(m.nelements)})
    with pytest.raises(RegionNotFoundError):
        solve_schrodinger(d)


def test_non_convergence_is_solver_error(small_disk):
    with pytest.raises(SolverError, match="maxiter"):
        solve_schrodinger(small_disk, "2 mT", k=4, maxiter=1, eigen_tol=1e-14)


def test_tol_is_not_the_eigen_solver_tolerance(small_disk):
    """tol= is the target accuracy of the adaptive loop (tests/test_adapt.py), never passed to
    ARPACK (it once was: nucleation_field(tol=1e-3) gave 0.9995 B_c2 silently); out of (0, 1)
    it is refused before any work."""
    from mqm_fem import nucleation_field, phase_boundary

    with pytest.raises(ParameterError, match=r"tol: the target relative error must be in"):
        solve_schrodinger(small_disk, "2 mT", tol=1.0)
    with pytest.raises(ParameterError, match=r"tol: the target relative error must be in"):
        nucleation_field(small_disk, "100 nm", tol=0)
    with pytest.raises(ParameterError, match=r"tol: the target relative error must be in"):
        phase_boundary(small_disk, "100 nm", "0 1 mT", tol=-1e-3)
    loose = solve_schrodinger(small_disk, "2 mT", k=1, eigen_tol=1e-6)
    tight = solve_schrodinger(small_disk, "2 mT", k=1)
    assert loose.eigenvalues[0] == pytest.approx(tight.eigenvalues[0], rel=1e-5)


def test_scalar_potential_shifts_spectrum(small_disk):
    """A constant φ shifts every ε by v = 2mL₀²qφ/ħ² (and E by qφ)."""
    s0 = solve_schrodinger(small_disk, "1 mT", k=2)
    s1 = solve_schrodinger(small_disk, "1 mT", k=2, scalar_potential=lambda x: 1e-6 + 0 * x[0])
    assert np.allclose(s1.energies - s0.energies, Q * 1e-6, rtol=1e-6)
    s2 = solve_schrodinger(small_disk, "1 mT", k=2,
                           scalar_potential=np.full(small_disk.mesh.nvertices, 1e-6))
    assert np.allclose(s2.eigenvalues, s1.eigenvalues, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# examples (executable documentation): run main() with a temporary output directory
def test_example_landau_level_disk(tmp_path, example):
    out = example("landau_level_disk").main(tmp_path)
    assert out["path"].exists()
    assert 1.0 < out["ratios"][60.0] < 1.005
    assert out["ratios"][20.0] > out["ratios"][60.0]  # finite-size lift decays with b


def test_example_little_parks_ring(tmp_path, example):
    out = example("little_parks_ring").main(tmp_path, fluxes=[0, 0.5, 1.0, 1.5, 2.0])
    assert out["png"].exists() and out["png"].stat().st_size > 1000
    assert np.max(np.abs(out["eps0"] - out["thin_ring"])) < 0.02
    assert out["fluxoid"] == [0, 0, 1, 1, 2] or out["fluxoid"] == [0, 1, 1, 2, 2]


def test_example_vortex_states_disk(tmp_path, example):
    states = example("vortex_states_disk").main(tmp_path, fields_b=(2.0, 15.0))
    assert states[0]["edge_winding"] == 0 and states[0]["vortices"] == []
    assert states[1]["edge_winding"] >= 3
    assert sum(v["winding"] for v in states[1]["vortices"]) == states[1]["edge_winding"]
    assert (tmp_path / "vortex_states_disk_b15.vtu").exists()


def test_example_cube_tilted_field(tmp_path, example):
    out = example("cube_tilted_field").main(tmp_path)
    assert out["path"].exists()
    assert np.allclose(out["symmetric"], out["landau"], rtol=5e-3)  # gauge invariance
    assert 0 < out["symmetric"][0] < THETA0 * 8.0


def test_ring_export_has_fluxoid_and_drops_hole(tmp_path):
    """The meshed hole is not part of Ω_s: ψ lives on the superconductor sub-mesh only."""
    from mqm_fem.io.vtk import read_sidecar

    d = geometry.annulus(0.5, 1.0, h=0.15)
    sol = solve_schrodinger(d, 4 * B1, k=2)
    assert sol.domain.mesh.nelements == d.region("superconductor").size
    assert set(sol.domain.boundaries) == {"outer", "hole_0_boundary", "surface"}
    side = read_sidecar(sol.write(tmp_path / "ring.vtu"))
    windings = side["field_data"]["winding_hole_0_boundary"]
    print("ring fluxoids per mode", windings)
    assert len(windings) == 2 and windings[0] == sol.hole_windings(0)["hole_0_boundary"]


def test_p1_dirichlet_square_order_two():
    """P1: ε₀ = 2π²/L² of the unit square with error O(h²) (structured triangles)."""
    ns, errs = [8, 16, 32], []
    for n in ns:
        m = skfem.MeshTri.init_tensor(np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1))
        sol = solve_schrodinger(domain_from_skfem(m, "um"), k=1, order=1, bc="dirichlet")
        errs.append(sol.eigenvalues[0] / (2 * np.pi**2) - 1)
    order = _slope(1 / np.array(ns), errs)
    print(f"P1 square: rel. errors {errs}, observed order {order:.2f} (theory 2)")
    assert errs[-1] < 3e-3 and order >= 1.8


def test_london_like_vertex_potential_on_domain_with_vacuum():
    """A given on all vertices of a mesh with vacuum (as a London solution's ``A`` point data,
    3 components): ψ lives on the superconductor only; same ε as the uniform-field solve."""
    from types import SimpleNamespace

    d = geometry.circle_in_box(1.0, 3.0, h=0.25, h_sc=0.12)
    field = 5 * B1
    x = d.mesh.p * 1e-6
    a = np.stack([-0.5 * field * x[1], 0.5 * field * x[0], 0 * x[0]], axis=1)  # centre 0
    fake_london = SimpleNamespace(point_data={"A": a})
    s1 = solve_schrodinger(d, vector_potential=fake_london, k=2)
    s2 = solve_schrodinger(d, field, k=2, center=(0, 0))
    print("vertex A:", s1.eigenvalues, "uniform:", s2.eigenvalues)
    assert s1.domain.mesh.nelements == d.region("superconductor").size
    assert np.allclose(s1.eigenvalues, s2.eigenvalues, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# eigen-solver choice (mqm_fem.linalg.eigen)
def test_eigensolvers_agree_with_field(monkeypatch):
    """Shift-invert ARPACK (nested-dissection SuperLU) and AMG-preconditioned LOBPCG give the
    same spectrum on a disk in a field (complex Hermitian K), natural and Dirichlet BC; the
    geometric nested dissection (used without pymetis) gives the same as METIS."""
    import mqm_fem.linalg.ordering

    d = geometry.disk(1.0, h=0.12)
    for bc in (None, "dirichlet"):
        s1 = solve_schrodinger(d, 8 * B1, k=5, bc=bc, eigensolver="shift-invert")
        s2 = solve_schrodinger(d, 8 * B1, k=5, bc=bc, eigensolver="lobpcg")
        s3 = solve_schrodinger(d, 8 * B1, k=5, bc=bc)
        print(bc, s1.eigenvalues, s2.eigenvalues, s2.info["iterations"])
        assert s1.info["eigensolver"] == "shift-invert" and s2.info["eigensolver"] == "lobpcg"
        assert s1.info["ordering"] in ("metis", "nested-dissection", "METIS (PARDISO)")
        assert np.allclose(s1.eigenvalues, s2.eigenvalues, rtol=1e-8, atol=0)
        assert s3.info["eigensolver"] == "shift-invert"  # auto
        assert np.allclose(s1.eigenvalues, s3.eigenvalues, rtol=1e-10, atol=0)
        # same ground state up to a phase (normalised identically: max|ψ| = 1, real there)
        assert np.allclose(s1.density[0], s2.density[0], atol=1e-5)
    import mqm_fem.linalg.eigen

    # the orderings are SuperLU's (PARDISO, the default when installed, orders by itself)
    monkeypatch.setattr(mqm_fem.linalg.eigen, "_pardiso_available", lambda: False)
    with monkeypatch.context() as mp:
        mp.setattr(mqm_fem.linalg.ordering, "metis_order", lambda A: None)
        s4 = solve_schrodinger(d, 8 * B1, k=5, eigensolver="shift-invert")
    assert s4.info["ordering"] == "nested-dissection"
    s5 = solve_schrodinger(d, 8 * B1, k=5, eigensolver="shift-invert")
    assert s5.info["factorization"] == "superlu"
    assert np.allclose(s4.eigenvalues, s5.eigenvalues, rtol=1e-10, atol=0)


def test_eigensolvers_resolve_degenerate_levels():
    """Zero-field Dirichlet disk: ε = j₁₁² and j₂₁² are doubly degenerate; both solvers
    return both partners with orthogonal modes."""
    d = geometry.disk(1.0, h=0.1)
    ref = np.array([2.404825557695773, 3.831705970207512, 3.831705970207512,
                    5.135622301840683, 5.135622301840683, 5.520078110286311]) ** 2
    for method in ("shift-invert", "lobpcg"):
        sol = solve_schrodinger(d, k=6, bc="dirichlet", eigensolver=method)
        print(method, sol.eigenvalues / ref - 1)
        assert np.all(sol.eigenvalues / ref - 1 > 0) and np.all(sol.eigenvalues / ref - 1 < 2e-3)
        assert abs(sol.eigenvalues[2] / sol.eigenvalues[1] - 1) < 1e-4
        assert abs(sol.eigenvalues[4] / sol.eigenvalues[3] - 1) < 1e-4
        m = sol.modes[1:3]
        overlap = abs(np.vdot(m[0], m[1])) / (np.linalg.norm(m[0]) * np.linalg.norm(m[1]))
        assert overlap < 0.2  # two independent partners, not one state twice


def test_unknown_eigensolver_refused(small_disk):
    with pytest.raises(ParameterError, match="eigensolver.*lobpcg"):
        solve_schrodinger(small_disk, eigensolver="arnoldi")


def test_nested_dissection_is_a_fill_reducing_permutation():
    from scipy.sparse.linalg import splu

    from mqm_fem.linalg.ordering import nested_dissection

    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, 61), np.linspace(0, 1, 61))
    basis = skfem.Basis(m, skfem.ElementTriP2())
    A = skfem.asm(skfem.BilinearForm(lambda u, v, _: u.grad[0] * v.grad[0]
                                     + u.grad[1] * v.grad[1] + u * v), basis).tocsr()
    perm = nested_dissection(A, basis.doflocs, leaf=32)
    assert np.array_equal(np.sort(perm), np.arange(A.shape[0]))
    nd = splu(A[perm][:, perm].tocsc(), permc_spec="NATURAL", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True})
    colamd = splu(A.tocsc(), permc_spec="COLAMD")
    fill_nd, fill_colamd = nd.L.nnz + nd.U.nnz, colamd.L.nnz + colamd.U.nnz
    print(f"fill: nested dissection {fill_nd}, SuperLU COLAMD {fill_colamd}")
    assert fill_nd < 1.05 * fill_colamd  # the gap grows with n: 197k unknowns 36M vs 57M


def test_progress_reports_the_phases(small_disk, capsys):
    """A long solve (`--k 500`: 105 s) said nothing: progress=callable/True reports assembly and
    the eigen-solve phases; the default stays silent."""
    messages = []
    solve_schrodinger(small_disk, "1 mT", k=2, eigensolver="shift-invert",
                      progress=messages.append)
    assert messages[0].startswith("assembling P2 on ") and "unknowns" in messages[0]
    assert messages[1].startswith("assembled in ") and "ARPACK" in messages[1]
    assert messages[2].startswith("factorised K − σM (") and "ARPACK iterating" in messages[2]
    assert messages[-1].startswith("eigen-solve done in ") and "factorisation" in messages[-1]
    assert "solves)" in messages[-1]
    solve_schrodinger(small_disk, k=2, eigensolver="lobpcg", progress=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("solve_schrodinger: ") for line in err)
    assert "iterations" in err[-1]
    solve_schrodinger(small_disk, k=2)
    assert capsys.readouterr().err == ""
    with pytest.raises(ParameterError, match="progress"):
        solve_schrodinger(small_disk, k=2, progress="loud")


# --------------------------------------------------------------------------------------------
# lean assembly (issue 14): chunks, real K at zero field, lazily built basis
@pytest.mark.parametrize("field_t", [None, 2e-3])
def test_chunked_assembly_equals_one_pass_assembly(monkeypatch, field_t):
    """K and M assembled in chunks of a few elements (and, at zero field on straight P2, with
    the exact order-4 rule) equal the one-pass assembly with the order-6 basis of a_quad."""
    from mqm_fem.fem.forms import mass, schrodinger_imag, schrodinger_real
    from mqm_fem.quantum import schrodinger as S

    dom = geometry.disk(1.0, h=0.25, length_unit="um")
    monkeypatch.setattr(S, "ASSEMBLY_CHUNK", 7)
    prob = S.prepare_operator(dom, field_t, None, None, 2, "dirichlet", "symmetric", (0, 0),
                              1e-6, None)
    assert prob.cached_basis is None  # not built for the assembly
    system = S.assemble_operator(prob, 3)
    basis = prob.basis  # the order-6 basis of a_quad, built on first use
    assert basis.X.shape[-1] == prob.a_quad.shape[-1] > 6
    K = (schrodinger_real.assemble(basis, a=prob.a_quad, v=prob.v_quad)
         + 1j * schrodinger_imag.assemble(basis, a=prob.a_quad)).tocsr()
    M = mass.assemble(basis).tocsr()
    free = system.free
    K, M = K[free][:, free], M[free][:, free]
    assert system.real == (field_t is None)
    assert np.iscomplexobj(system.stiffness.data) == (field_t is not None)
    scale_k = abs(K).max()
    assert abs(system.stiffness - K).max() < 1e-13 * scale_k
    assert abs(system.mass - M).max() < 1e-13 * abs(M).max()
    # handing the matrices over leaves none behind
    assert system.take("stiffness") is not None and system.stiffness is None


def test_solution_basis_matches_a_quad_and_eigenvalues_unchanged_by_chunking(monkeypatch):
    from mqm_fem.quantum import schrodinger as S

    dom = geometry.disk(1.0, h=0.2, length_unit="um")
    ref = solve_schrodinger(dom, "3 mT", k=4, bc="dirichlet", center=(0, 0))
    monkeypatch.setattr(S, "ASSEMBLY_CHUNK", 5)
    sol = solve_schrodinger(dom, "3 mT", k=4, bc="dirichlet", center=(0, 0))
    assert np.allclose(sol.eigenvalues, ref.eigenvalues, rtol=1e-12, atol=0)
    assert sol.basis.X.shape[-1] == sol.a_quad.shape[-1]
    assert sol.basis.dx.sum() == pytest.approx(np.pi, rel=1e-2)  # unit disk, L0 = 1 µm
    assert np.all(np.isfinite(sol.current)) and np.any(sol.current)
    zero = solve_schrodinger(dom, k=4, bc="dirichlet")
    assert not np.any(zero.a_quad) and zero.a_quad.shape == sol.a_quad.shape
    assert zero.eigenvalues[0] == pytest.approx(2.404825557695773**2, rel=2e-2)  # polygon
