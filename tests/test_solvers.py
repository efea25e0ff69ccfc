"""Tests of mqm_fem.linalg: discrete operators G and Π, AMS-CG vs direct, flat iteration counts.

The model problem is the London sphere-in-box of docs/theory.md §1a on a structured tetrahedral box
[-2, 2]³ (mesh units): elements whose centroid lies in the unit ball get σ = λ⁻² (λ = 0.2),
the others σ = 0 (semidefinite vacuum block), n×A = 0 on the box, applied field B_a = ẑ so
A_a = ½ B_a × r and the right-hand side is −(σ A_a, v) (consistent with the vacuum kernel).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from skfem import Basis, BilinearForm, ElementTetN0, ElementTetP1, LinearForm, MeshTet, asm
from skfem.helpers import curl, dot, grad

from mqm_fem.errors import ParameterError, SolverError
from mqm_fem.fem.nedelec import discrete_gradient, nedelec_interpolation
from mqm_fem.linalg.linear import CurlCurlSolver, solve_curl_curl, solve_spd
from mqm_fem.linalg.memory import estimate_direct_memory
from mqm_fem.mesh import load_mesh

PENETRATION_DEPTH = 0.2  # mesh units
BALL_RADIUS = 1.0


@BilinearForm
def curl_curl(u, v, _):
    return dot(curl(u), curl(v))


@BilinearForm
def vector_mass(u, v, _):
    return dot(u, v)


def _box(n):
    x = np.linspace(-2.0, 2.0, n + 1)
    return MeshTet.init_tensor(x, x, x)


def london_sphere_in_box(n, vacuum_sigma=0.0):
    """K = C + M_σ, b = −M_σ a(A_a), free DOFs, on an n³-cell box; returns a dict."""
    mesh = _box(n)
    basis = Basis(mesh, ElementTetN0())
    centroids = mesh.p[:, mesh.t].mean(axis=1)
    sc = np.nonzero(np.linalg.norm(centroids, axis=0) < BALL_RADIUS)[0]
    C = asm(curl_curl, basis)
    M_sc = asm(vector_mass, Basis(mesh, ElementTetN0(), elements=sc)) / PENETRATION_DEPTH**2
    K = C + M_sc
    if vacuum_sigma:
        K = K + vacuum_sigma * (asm(vector_mass, basis) - M_sc * PENETRATION_DEPTH**2)
    # A_a = ½ ẑ × r = (−y/2, x/2, 0) at the vertices, interpolated exactly (linear field)
    x, y, _z = mesh.p
    A_applied = np.column_stack([-y / 2, x / 2, 0 * x]).ravel()
    a = nedelec_interpolation(basis) @ A_applied
    b = -M_sc @ a
    free = basis.complement_dofs(basis.get_dofs())
    sc_dofs = np.unique(basis.element_dofs[:, sc])
    return {"mesh": mesh, "basis": basis, "K": K, "C": C, "b": b, "free": free,
            "sc_dofs": sc_dofs}


@pytest.fixture(scope="module")
def small_problem():
    return london_sphere_in_box(10)


# ------------------------------------------------------------------------------------------
# Discrete gradient and Nédélec interpolation against skfem's own edge DOFs
# ------------------------------------------------------------------------------------------


def test_discrete_gradient_kernel(small_problem):
    """C G = 0 to round-off, and G p is the Nédélec field of ∇p (checked at quadrature points)."""
    basis, C = small_problem["basis"], small_problem["C"]
    G = discrete_gradient(basis)
    assert G.shape == (basis.N, basis.mesh.nvertices)
    CG = abs(C @ G).max()
    print(f"max |C G| = {CG:.2e}  (max |C| = {abs(C).max():.2e})")
    assert CG < 1e-12 * abs(C).max()
    # a linear p = 1 + 2x − 3y + 0.5z has ∇p = (2, −3, 0.5) everywhere
    x, y, z = basis.mesh.p
    field = np.asarray(basis.interpolate(G @ (1 + 2 * x - 3 * y + 0.5 * z)))
    err = np.abs(field - np.array([2.0, -3.0, 0.5])[:, None, None]).max()
    print(f"grad of linear p through G: max error {err:.2e}")
    assert err < 1e-12
    # a random p: G p must equal skfem's P1→N0 L2 projection of ∇p (N0 contains ∇P1 exactly)
    p = np.random.default_rng(0).standard_normal(basis.mesh.nvertices)
    p1 = Basis(basis.mesh, ElementTetP1(), quadrature=basis.quadrature)
    grad_p = p1.interpolate(p).grad
    projected = basis.project(grad_p)
    print(f"random p: |G p − project(∇p)|_max = {np.abs(G @ p - projected).max():.2e}")
    np.testing.assert_allclose(G @ p, projected, atol=1e-9 * np.abs(projected).max())


def test_nedelec_interpolation_exact(small_problem):
    """Π reproduces constant fields and ½B×r exactly, with skfem's DOF signs and scaling."""
    basis = small_problem["basis"]
    mesh = basis.mesh
    P = nedelec_interpolation(basis)
    assert P.shape == (basis.N, 3 * mesh.nvertices)
    constant = np.array([0.3, -1.2, 0.7])
    dofs = P @ np.tile(constant, mesh.nvertices)
    # exact Nédélec DOFs of a constant field: t_e · c with t_e from lower to higher vertex index
    edges = mesh.edges
    dof_of_edge = np.empty(mesh.nedges, dtype=int)
    dof_of_edge[mesh.t2e.ravel()] = basis.element_dofs.ravel()
    t_e = mesh.p[:, edges[1]] - mesh.p[:, edges[0]]
    np.testing.assert_allclose(dofs[dof_of_edge], constant @ t_e, atol=1e-14)
    # and the finite-element function is that constant everywhere
    err_c = np.abs(np.asarray(basis.interpolate(dofs)) - constant[:, None, None]).max()
    # a rotation field a + b × r lies in N0 too: Π must agree with skfem's L2 projection
    x, y, z = mesh.p
    B = np.array([0.2, -0.5, 1.0])
    nodal = 0.5 * np.cross(B, np.column_stack([x, y, z])) + constant
    interp = P @ nodal.ravel()
    projected = basis.project(lambda X: 0.5 * np.cross(B, X, axisa=0, axisb=0, axisc=0)
                              + constant[:, None, None])
    err_r = np.abs(interp - projected).max()
    print(f"constant field error {err_c:.2e}, rotation field |Π − project| {err_r:.2e}")
    assert err_c < 1e-12
    assert err_r < 1e-9 * np.abs(projected).max()


def test_rejects_other_elements():
    with pytest.raises(ParameterError, match="ElementTetN0"):
        discrete_gradient(Basis(_box(2), ElementTetP1()))


# ------------------------------------------------------------------------------------------
# solve_curl_curl
# ------------------------------------------------------------------------------------------


def test_direct_and_ams_agree(small_problem):
    """Direct (LU of K + εM) and AMS-CG on the singular K give the same physical solution."""
    pb = small_problem
    kw = {"free_dofs": pb["free"], "tol": 1e-11}
    x_direct, info_d = solve_curl_curl(pb["K"], pb["b"], pb["basis"], method="direct", **kw)
    x_ams, info_a = solve_curl_curl(pb["K"], pb["b"], pb["basis"], method="ams-cg", **kw)
    print(f"direct: {info_d}\nams-cg: {info_a}")
    assert info_d["method"] == "direct" and info_a["method"] == "ams-cg"
    assert info_a["residual"] < 1e-11
    assert info_d["residual"] < 1e-9
    sc = pb["sc_dofs"]
    diff_sc = np.linalg.norm(x_direct[sc] - x_ams[sc]) / np.linalg.norm(x_direct[sc])
    # B = ∇×A is unique even where A is not (vacuum gauge): compare curls
    d = x_direct - x_ams
    diff_curl = np.sqrt(abs(d @ pb["C"] @ d) / (x_direct @ pb["C"] @ x_direct))
    print(f"relative difference: superconducting DOFs {diff_sc:.2e}, curl (energy) {diff_curl:.2e}")
    assert diff_sc < 1e-8
    assert diff_curl < 1e-6
    # Dirichlet DOFs stay zero
    fixed = np.setdiff1d(np.arange(pb["basis"].N), pb["free"])
    assert np.all(x_ams[fixed] == 0.0)
    # the regularisation's effect is O(ε): 100 times larger ε moves the solution 100 times more
    shifts = []
    for eps in (1e-10, 1e-8):
        x_eps, _ = solve_curl_curl(pb["K"], pb["b"], pb["basis"], method="direct",
                                   regularization=eps, **kw)
        shifts.append(np.linalg.norm(x_eps[sc] - x_ams[sc]) / np.linalg.norm(x_ams[sc]))
    print(f"regularization 1e-10 / 1e-8 moves the superconducting DOFs by {shifts[0]:.2e} / "
          f"{shifts[1]:.2e}")
    assert 30 < shifts[1] / shifts[0] < 300


def test_full_and_condensed_systems_agree(small_problem):
    pb = small_problem
    free = pb["free"]
    x_full, _ = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=free, method="ams-cg")
    K_ff = pb["K"][free][:, free]
    x_cond, info = solve_curl_curl(K_ff, pb["b"][free], pb["basis"], free_dofs=free,
                                   method="ams-cg")
    assert x_cond.shape == (len(free),)
    # the AMG set-up is deterministic, so the iterates are the same up to round-off
    np.testing.assert_allclose(x_cond, x_full[free], rtol=0, atol=1e-12 * abs(x_full).max())
    # auto on 1.4k unknowns: hybrid Jacobi-CG (set-up one product; faster than AMS and LU)
    _, info_auto = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=free)
    assert info_auto["method"] == "hybrid-cg" and info_auto["residual"] < 1e-9


def test_gmsh_sphere_in_box(ball_msh):
    """Unstructured gmsh sphere-in-box (regions 'superconductor'/'vacuum'): AMS-CG = direct."""
    domain = load_mesh(ball_msh, length_unit="um")
    mesh = domain.mesh
    basis = Basis(mesh, ElementTetN0())
    sc = domain.region("superconductor")
    M_sc = asm(vector_mass, Basis(mesh, ElementTetN0(), elements=sc)) / PENETRATION_DEPTH**2
    K = asm(curl_curl, basis) + M_sc
    x, y, _z = mesh.p
    b = -M_sc @ (nedelec_interpolation(basis) @ np.column_stack([-y / 2, x / 2, 0 * x]).ravel())
    free = basis.complement_dofs(basis.get_dofs())
    x_ams, info = solve_curl_curl(K, b, basis, free_dofs=free, method="ams-cg")
    x_lu, _ = solve_curl_curl(K, b, basis, free_dofs=free, method="direct")
    sc_dofs = np.unique(basis.element_dofs[:, sc])
    diff = np.linalg.norm(x_ams[sc_dofs] - x_lu[sc_dofs]) / np.linalg.norm(x_lu[sc_dofs])
    print(f"gmsh ball: {len(free)} unknowns, {info['iterations']} iterations, "
          f"difference to direct {diff:.1e}")
    assert info["iterations"] <= 20
    assert diff < 1e-8


def test_auto_falls_back_to_direct(small_problem, monkeypatch):
    """auto: AMS-CG above JACOBI_LIMIT; if CG fails, the (affordable) direct solve is used."""
    import mqm_fem.linalg.linear as solvers

    pb = small_problem
    monkeypatch.setattr(solvers, "JACOBI_LIMIT", 100)
    _, info = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"])
    assert info["method"] == "ams-cg"
    x, info = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"], maxiter=1)
    assert info["method"] == "direct" and info["residual"] < 1e-9


@pytest.mark.parametrize("method", ["ams-cg", "direct"])
def test_curl_curl_solver_sets_up_once(small_problem, method):
    """CurlCurlSolver: one set-up (AMS or LU) for several loads; each solve equals the one-shot
    solve_curl_curl, a scaled load gives the scaled solution, solve_many the same columns."""
    pb = small_problem
    kw = {"free_dofs": pb["free"], "method": method}
    solver = CurlCurlSolver(pb["K"], pb["basis"], **kw)
    assert solver.setups == 0  # set up lazily, by the first non-zero load
    x1, info1 = solver.solve(pb["b"])
    x2, info2 = solver.solve(-2.0 * pb["b"])
    assert solver.setups == 1 and info1["setups"] == info2["setups"] == 1
    assert info1["setup_s"] > 0 and info2["setup_s"] == 0.0
    x_ref, info_ref = solve_curl_curl(pb["K"], pb["b"], pb["basis"], **kw)
    np.testing.assert_allclose(x1, x_ref, rtol=0, atol=1e-12 * np.abs(x_ref).max())
    assert info1["method"] == info_ref["method"] == method
    # compare on the superconducting edges: in vacuum x is defined up to gradients, which the
    # ε-regularised LU amplifies from round-off (a gauge, no change of B = ∇×A)
    sc = pb["sc_dofs"]
    scale = np.abs(x1[sc]).max()
    np.testing.assert_allclose(x2[sc], -2.0 * x1[sc], rtol=0, atol=1e-8 * scale)
    X, infos = solver.solve_many(np.column_stack([pb["b"], 3.0 * pb["b"]]))
    assert solver.setups == 1 and len(infos) == 2
    np.testing.assert_allclose(X[:, 0], x1, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(X[sc, 1], 3.0 * x1[sc], rtol=0, atol=1e-8 * scale)


def test_gradient_energy_closed_form(small_problem):
    """NedelecTet.gradient_energy(σ) = diag(GᵀKG) of K = C + M_σ (C G = 0), exactly 0 in the
    vacuum; the hybrid Jacobi-CG given it (the product K·G only for the vertices that the
    Dirichlet condition cuts) converges to the same solution in as many iterations."""
    from mqm_fem.fem.nedelec import NedelecTet

    pb = small_problem
    mesh = pb["mesh"]
    ned = NedelecTet(mesh)
    np.testing.assert_array_equal(ned.dofs, pb["basis"].element_dofs)
    centroids = mesh.p[:, mesh.t].mean(axis=1)
    sigma = np.where(np.linalg.norm(centroids, axis=0) < BALL_RADIUS,
                     PENETRATION_DEPTH**-2, 0.0)
    energy = ned.gradient_energy(sigma)
    G = discrete_gradient(pb["basis"])
    reference = np.asarray((G.T @ pb["K"] @ G).diagonal())
    np.testing.assert_allclose(energy, reference, rtol=0, atol=1e-10 * reference.max())
    screened = np.zeros(mesh.nvertices, dtype=bool)
    screened[mesh.t[:, sigma > 0]] = True
    assert np.all(energy[~screened] == 0.0) and np.all(energy[screened] > 0)
    runs = {}
    for name, given in (("product", None), ("closed form", energy),
                        ("closed form, on demand", lambda: energy)):
        solver = CurlCurlSolver(pb["K"], pb["basis"], free_dofs=pb["free"], method="hybrid-cg",
                                tol=1e-10, gradient_energy=given)
        runs[name] = solver.solve(pb["b"])
    (x0, info0), *others = runs.values()
    print({k: info["iterations"] for k, (_, info) in runs.items()})
    sc = pb["sc_dofs"]
    for x1, info1 in others:
        assert abs(info1["iterations"] - info0["iterations"]) <= 1
        np.testing.assert_allclose(x1[sc], x0[sc], rtol=0, atol=1e-8 * np.abs(x0[sc]).max())


def test_cg_thread_limit_skipped_when_pinned(monkeypatch):
    """CG's one-BLAS-thread limit costs threadpoolctl's library scan; it is skipped only when
    OpenBLAS loaded pinned to one thread (OPENBLAS_NUM_THREADS, then GOTO_NUM_THREADS, then
    OMP_NUM_THREADS: the first one set decides), otherwise applied (and lifted again)."""
    import contextlib

    import mqm_fem.linalg.linear as solvers

    monkeypatch.setattr(solvers.os, "cpu_count", lambda: 2)
    cases = [({"OPENBLAS_NUM_THREADS": "1"}, True), ({"OMP_NUM_THREADS": "1"}, True),
             ({"GOTO_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}, False),
             ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}, True),
             ({"OPENBLAS_NUM_THREADS": "2"}, False), ({}, False)]
    for environment, pinned in cases:
        values = dict.fromkeys(solvers.OPENBLAS_THREAD_VARIABLES) | environment
        monkeypatch.setattr(solvers, "_THREAD_ENVIRONMENT", values)
        context = solvers._one_blas_thread()
        with context:  # a threadpoolctl limit is lifted on leaving
            pass
        assert isinstance(context, contextlib.nullcontext) is pinned, environment


def test_auto_jacobi_continues_with_ams_when_slow(small_problem, monkeypatch):
    """auto: a system the hybrid Jacobi-CG does not solve within JACOBI_MAXITER iterations
    continues with AMS-CG, and says so; the answer equals AMS-CG's. Explicitly requested, the
    hybrid preconditioner has no such cap and needs fewer iterations than plain Jacobi."""
    import mqm_fem.linalg.linear as solvers

    pb = small_problem
    monkeypatch.setattr(solvers, "JACOBI_MAXITER", 5)
    x, info = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"])
    assert info["method"] == "ams-cg" and "Jacobi-CG needed more than 5" in info["fallback"]
    x_h, info_h = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"],
                                  method="hybrid-cg")  # explicit: no iteration cap
    _, info_j = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"],
                                method="cg")
    assert info_h["method"] == "hybrid-cg" and info_h["iterations"] < info_j["iterations"]
    x_ams, _ = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"],
                               method="ams-cg")
    sc = pb["sc_dofs"]
    np.testing.assert_allclose(x[sc], x_ams[sc], rtol=0, atol=1e-8 * np.abs(x_ams[sc]).max())


def test_curl_curl_solver_fallback_persists(small_problem, monkeypatch):
    """auto: after AMS-CG failed once, the later loads go straight to the direct solve."""
    import mqm_fem.linalg.linear as solvers

    pb = small_problem
    monkeypatch.setattr(solvers, "JACOBI_LIMIT", 100)
    solver = CurlCurlSolver(pb["K"], pb["basis"], free_dofs=pb["free"], maxiter=1)
    _, info1 = solver.solve(pb["b"])
    _, info2 = solver.solve(2.0 * pb["b"])
    assert info1["method"] == info2["method"] == "direct"
    assert "AMS-CG failed" in info2["fallback"]
    assert solver.setups == 2 and info2["setup_s"] == 0.0  # AMS, then LU once
    with pytest.raises(ParameterError, match="2D array"):
        solver.solve_many(pb["b"])


def test_inhomogeneous_dirichlet_b_formulation():
    """§1b-type system λ²(∇×B, ∇×v) + (B, v) = 0, n×B = n×B_a: the Dirichlet values come in x0."""
    mesh = _box(8)
    basis = Basis(mesh, ElementTetN0())
    K = PENETRATION_DEPTH**2 * asm(curl_curl, basis) + asm(vector_mass, basis)
    boundary = basis.get_dofs().all()
    free = basis.complement_dofs(boundary)
    B_applied = nedelec_interpolation(basis) @ np.tile([0.0, 0.0, 1.0], mesh.nvertices)
    x0 = np.zeros(basis.N)
    x0[boundary] = B_applied[boundary]
    kw = {"free_dofs": free, "x0": x0}
    x_ams, info = solve_curl_curl(K, np.zeros(basis.N), basis, method="ams-cg", **kw)
    x_lu, _ = solve_curl_curl(K, np.zeros(basis.N), basis, method="direct", **kw)
    diff = np.linalg.norm(x_ams - x_lu) / np.linalg.norm(x_lu)
    print(f"B-formulation: {info['iterations']} iterations, difference to direct {diff:.1e}")
    np.testing.assert_array_equal(x_ams[boundary], B_applied[boundary])
    assert diff < 1e-9
    # screening: at the centre, 10λ from the faces, B ≈ e^{-10} B_a (here: discretisation-limited)
    centre = basis.interpolator(x_ams)(np.zeros((3, 1)))
    print(f"B at the box centre: {np.ravel(centre)}")
    assert abs(np.ravel(centre)[2]) < 1e-3


def test_tiny_vacuum_conductivity():
    """σ = 1e-6 (instead of 0) in vacuum: no exact kernel, AMS-CG still converges fast."""
    pb = london_sphere_in_box(8, vacuum_sigma=1e-6)
    x, info = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"],
                              method="ams-cg")
    x_d, _ = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"],
                             method="direct")
    sc = pb["sc_dofs"]
    diff = np.linalg.norm(x[sc] - x_d[sc]) / np.linalg.norm(x_d[sc])
    print(f"σ_vac = 1e-6: {info['iterations']} iterations, difference to direct {diff:.1e}")
    assert info["iterations"] < 30
    assert diff < 1e-7


def test_solver_errors(small_problem):
    pb = small_problem
    with pytest.raises(SolverError, match="did not converge"):
        solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"], method="ams-cg",
                        maxiter=2)
    with pytest.raises(SolverError, match="max_direct_memory"):
        solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"], method="direct",
                        max_direct_memory=1e3)
    with pytest.raises(ParameterError,
                       match="gmres.*not one of auto, direct, ams-cg, hybrid-cg, cg"):
        solve_curl_curl(pb["K"], pb["b"], pb["basis"], method="gmres")
    with pytest.raises(ParameterError, match="b has"):
        solve_curl_curl(pb["K"], pb["b"][:-1], pb["basis"])
    with pytest.raises(ParameterError, match="condensed"):
        solve_curl_curl(pb["K"][:-1, :-1], pb["b"][:-1], pb["basis"], free_dofs=pb["free"])


@pytest.mark.slow
def test_ams_iterations_flat():
    """CG iterations with AMS stay flat under two refinements (h → h/4, 1.2k → 92k unknowns)."""
    iterations, sizes = [], []
    for n in (6, 12, 24):
        pb = london_sphere_in_box(n)
        _, info = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=pb["free"],
                                  method="ams-cg", tol=1e-10)
        iterations.append(info["iterations"])
        sizes.append(len(pb["free"]))
        print(f"n = {n:3d}: {sizes[-1]:7d} unknowns, {info['iterations']:3d} iterations, "
              f"{info['time_s']:.2f} s (setup {info['setup_s']:.2f} s)")
    ratio = iterations[-1] / iterations[0]
    print(f"iteration ratio finest/coarsest = {ratio:.2f}")
    assert ratio < 1.6


# ------------------------------------------------------------------------------------------
# solve_spd and the memory estimate
# ------------------------------------------------------------------------------------------


@BilinearForm
def screened_laplace(u, v, _):
    return PENETRATION_DEPTH**2 * dot(grad(u), grad(v)) + u * v


@LinearForm
def source(v, w):
    return (np.sin(w.x[0]) * np.cos(w.x[1]) + w.x[2] ** 2) * v


def test_solve_spd_amg_and_direct():
    """−λ²Δu + u = f on a box, u = 0 on the boundary: AMG-CG matches LU, flat iterations."""
    iterations = []
    for n in (16, 24, 32):
        basis = Basis(_box(n), ElementTetP1())
        A = asm(screened_laplace, basis)
        b = asm(source, basis)
        free = basis.complement_dofs(basis.get_dofs())
        A_ff, b_f = A[free][:, free], b[free]
        x_amg, info = solve_spd(A_ff, b_f, method="amg-cg", tol=1e-10)
        iterations.append(info["iterations"])
        line = (f"n = {n}: {len(free)} unknowns, AMG-CG {info['iterations']} iterations "
                f"{info['time_s']:.2f} s")
        if n < 32:  # LU of the 30k-unknown 3D matrix alone would take most of the budget
            x_lu, info_lu = solve_spd(A_ff, b_f, method="direct")
            err = np.linalg.norm(x_amg - x_lu) / np.linalg.norm(x_lu)
            line += f", LU {info_lu['time_s']:.2f} s, difference {err:.1e}"
            assert err < 1e-8
        print(line)
    assert iterations[-1] / iterations[0] < 1.6
    _, info_auto = solve_spd(A_ff, b_f)
    assert info_auto["method"] == "amg-cg"  # 29791 unknowns > DIRECT_LIMIT_SPD
    _, info_auto = solve_spd(A_ff[:1000, :1000], b_f[:1000])
    assert info_auto["method"] == "direct"
    with pytest.raises(SolverError, match="did not converge"):
        solve_spd(A_ff, b_f, method="amg-cg", maxiter=1)


def test_estimate_direct_memory_grows_superlinearly():
    small = sp.diags([-1.0, 3.0, -1.0], [-1, 0, 1], shape=(1000, 1000), format="csr")
    big = sp.diags([-1.0, 3.0, -1.0], [-1, 0, 1], shape=(100_000, 100_000), format="csr")
    m_small, m_big = estimate_direct_memory(small), estimate_direct_memory(big)
    print(f"estimated LU memory: {m_small / 2**20:.1f} MiB vs {m_big / 2**30:.1f} GiB")
    assert m_big > 1000 * m_small  # 100x the unknowns and nonzeros: faster than linear growth
    with pytest.raises(SolverError, match="ams-cg|amg-cg"):
        solve_spd(big, np.ones(100_000), method="direct", max_direct_memory=2**20)


def test_benchmark_script_runs():
    """benchmarks/ams_scaling.py on a tiny box: AMS and direct agree, fill model in range."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "ams_scaling.py"
    spec = importlib.util.spec_from_file_location("ams_scaling", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (row,) = module.main(["6"])
    assert row["ams_iterations"] <= 20
    assert row["difference"] < 1e-8
    assert 0.05 < row["fill_coefficient"] < 0.3  # the estimate_direct_memory model uses 0.2


# ------------------------------------------------------------------------------------------
# Closed-form Nédélec assembly and the graded-mesh AMS regression
# ------------------------------------------------------------------------------------------


def test_fast_nedelec_assembly(ball_msh):
    """NedelecTet (closed-form Whitney matrices) = skfem's quadrature assembly to round-off:
    edge tables, DOF map, curl-curl + σ-mass, mass action, element curls, vertex values and
    the Dirichlet (outer-facet) DOFs, on an unstructured gmsh mesh."""
    from skfem import MeshTet

    from mqm_fem.fem.nedelec import NedelecTet

    domain = load_mesh(ball_msh, length_unit="um")
    mesh = domain.mesh
    reference = MeshTet(mesh.p, mesh.t)  # skfem builds its own edge tables here
    ned = NedelecTet(mesh)
    np.testing.assert_array_equal(mesh.edges, reference.edges)
    np.testing.assert_array_equal(mesh.t2e, reference.t2e)
    basis = Basis(mesh, ElementTetN0())
    np.testing.assert_array_equal(ned.dofs, basis.element_dofs)
    sc = domain.region("superconductor")
    sigma = np.zeros(mesh.nelements)
    sigma[sc] = PENETRATION_DEPTH**-2
    M_sc = asm(vector_mass, Basis(mesh, ElementTetN0(), elements=sc)) / PENETRATION_DEPTH**2
    K_ref = asm(curl_curl, basis) + M_sc
    K = ned.assemble(sigma)
    assert abs(K - K_ref).max() < 1e-13 * abs(K_ref).max()
    assert abs(ned.mass() - asm(vector_mass, basis)).max() < 1e-13
    vec = np.random.default_rng(1).standard_normal(basis.N)
    np.testing.assert_allclose(ned.mass_apply(sigma, vec), M_sc @ vec, rtol=0,
                               atol=1e-12 * abs(M_sc @ vec).max())
    field = basis.interpolate(vec)
    np.testing.assert_allclose(ned.element_curls(vec), np.asarray(field.curl)[:, :, 0].T,
                               rtol=0, atol=1e-12 * abs(ned.element_curls(vec)).max())
    # vertex values: the element-wise linear field at the vertices (probe inside, then extend)
    centroid_values = ned.vertex_values(vec).mean(axis=1)
    centroids = mesh.p[:, mesh.t].mean(axis=1)
    probed = (basis.probes(centroids[:, :50]) @ vec).reshape(3, -1).T
    np.testing.assert_allclose(centroid_values[:50], probed, rtol=0,
                               atol=1e-12 * abs(probed).max())
    outer = basis.get_dofs().all()
    np.testing.assert_array_equal(ned.boundary_dofs(mesh.boundary_facets()), np.sort(outer))


def test_ams_graded_mesh(tmp_path):
    """Strongly graded gmsh mesh (sphere R = 0.3 with h_sc = 0.03 in a cube of side 30 with
    h = 5, element sizes 1:170): AMS-CG converges in a flat number of iterations.

    The superconductor floats in σ = 0 vacuum, so p = 1 on its vertices is a null vector of
    GᵀKG. Before solvers._pin_floating_components removed it, pyamg's pinv coarse solve could
    invert its round-off eigenvalue: with this skfem-assembled K, CG stalled at a relative
    residual of 1e-7 after 300 iterations (the A-formulation solve then fell back to Jacobi-CG,
    406 iterations); with the fix it needs 10. Also checks the A-formulation through
    ``solve_london`` (closed-form assembly) on the same mesh."""
    from mqm_fem import geometry, solve_london
    from mqm_fem.linalg.ams import ams_preconditioner

    domain = geometry.sphere_in_box(0.3, 30.0, h=5.0, h_sc=0.03, length_unit="um",
                                    path=tmp_path / "graded.msh")
    mesh = domain.mesh
    sc = domain.region("superconductor")
    basis = Basis(mesh, ElementTetN0())
    sc_basis = Basis(mesh, ElementTetN0(), elements=sc)
    kappa = 1.0 / 0.1**2  # λ = 0.1 mesh units
    M_sc = asm(vector_mass, sc_basis) * kappa
    K = (asm(curl_curl, basis) + M_sc).tocsr()
    x, y, _z = mesh.p
    b = -M_sc @ (nedelec_interpolation(basis) @ np.column_stack([-y / 2, x / 2, 0 * x]).ravel())
    free = basis.complement_dofs(basis.get_dofs())
    _, info = solve_curl_curl(K, b, basis, free_dofs=free, method="ams-cg", tol=1e-10,
                              maxiter=100)
    prec = ams_preconditioner(K[free][:, free], basis, free)
    print(f"graded sphere-in-box: {len(free)} unknowns, {info['iterations']} iterations, "
          f"residual {info['residual']:.1e}, {info['time_s']:.1f} s; {prec.info}")
    assert prec.info["pinned_vertices"] == 1  # one floating superconductor
    assert info["iterations"] <= 15
    sol = solve_london(domain, "100 nm", [0, 0, 1e-3], formulation="A", solver="ams-cg",
                       solver_tol=1e-10)
    print(f"solve_london (A): {sol.solver['iterations']} iterations, {sol.timings}")
    assert sol.formulation == "A" and sol.solver["method"] == "ams-cg"
    assert "fallback" not in sol.solver
    assert sol.solver["iterations"] <= 15


def test_factorized_guards_memory_before_factorising():
    """The reusable direct solve (2D in-plane London) refuses before SuperLU starts, naming the
    caller, and otherwise solves; the 2D fill model is far below the 3D one."""
    from mqm_fem.linalg.linear import factorized
    from mqm_fem.linalg.memory import estimate_direct_memory

    t = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(100, 100))
    A = (sp.kron(t, sp.identity(100)) + sp.kron(sp.identity(100), t)).tocsr()  # 2D stencil
    b = np.ones(A.shape[0])
    assert np.allclose(A @ factorized(A, what="test", dim=2)(b), b, rtol=0, atol=1e-12)
    assert estimate_direct_memory(A, dim=2) < estimate_direct_memory(A, dim=3)
    with pytest.raises(SolverError, match="the in-plane London system refused.*coarser"):
        factorized(A, what="the in-plane London system", dim=2, max_direct_memory=1)


def test_ams_vector_spaces_and_jacobi_agree(small_problem):
    """Both Π-space variants of the AMS preconditioner ("components": three scalar
    hierarchies, the default; "nodal": one 3-unknown-per-vertex hierarchy) and the one-level
    Jacobi preconditioner give the direct solution; an unknown variant is refused."""
    import scipy.sparse.linalg as spla

    from mqm_fem.linalg.ams import ams_preconditioner
    from mqm_fem.linalg.preconditioners import jacobi_preconditioner

    pb = small_problem
    free = pb["free"]
    K = pb["K"][free][:, free].tocsr()
    b = pb["b"][free]
    x_direct, _ = solve_curl_curl(pb["K"], pb["b"], pb["basis"], free_dofs=free,
                                  method="direct")
    sc = np.searchsorted(free, np.intersect1d(pb["sc_dofs"], free))
    ref = x_direct[free][sc]
    for name, prec in [("components", ams_preconditioner(K, pb["basis"], free)),
                       ("nodal", ams_preconditioner(K, pb["basis"], free,
                                                    vector_space="nodal")),
                       ("jacobi", jacobi_preconditioner(K))]:
        its = []
        x, flag = spla.cg(K, b, rtol=1e-11, atol=0.0, M=prec, maxiter=2000,
                          callback=lambda _, its=its: its.append(1))
        err = np.linalg.norm(x[sc] - ref) / np.linalg.norm(ref)
        print(f"{name}: {len(its)} iterations, superconducting DOFs differ by {err:.1e}")
        assert flag == 0 and err < 1e-8
        if name != "jacobi":
            assert len(its) < 25
    with pytest.raises(ParameterError, match="vector_space"):
        ams_preconditioner(K, pb["basis"], free, vector_space="blocks")


def test_nedelec_mass_apply_and_curls_match_matrices(ball_msh):
    """NedelecTet's matrix-free pieces (chunked): M_σ v element by element equals the
    assembled M_σ @ v, and K = C + M_σ; element curls sum to zero against gradients."""
    from mqm_fem.fem.nedelec import NedelecTet

    mesh = load_mesh(ball_msh, length_unit="um").mesh
    ned = NedelecTet(mesh)
    ned.CHUNK = 1000  # several chunks on this small mesh
    rng = np.random.default_rng(1)
    sigma = np.where(rng.random(mesh.nelements) < 0.4, 7.0, 0.0)
    v = rng.standard_normal(ned.N)
    M = ned.mass(sigma)
    assert np.allclose(ned.mass_apply(sigma, v), M @ v, rtol=0, atol=1e-12 * abs(M @ v).max())
    K = ned.assemble(sigma)
    assert abs(K - ned.assemble() - M).max() < 1e-12 * abs(K).max()
    assert abs(K - K.T).max() == 0.0 and K.has_canonical_format
    grad_p = discrete_gradient(ned) @ rng.standard_normal(mesh.nvertices)
    assert np.abs(ned.element_curls(grad_p)).max() < 1e-10 * np.abs(grad_p).max()
