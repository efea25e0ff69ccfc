"""The eigen-solver layer: memory guard before a factorisation, and the LOBPCG fallback."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mqm_fem.errors import ParameterError, SolverError
from mqm_fem.linalg.eigen import lowest_eigenpairs
from mqm_fem.linalg.memory import available_memory, estimate_factor_memory


def _laplacian_2d(n):
    """5-point Dirichlet Laplacian on an n × n grid of the unit square (h = 1/(n+1))."""
    h = 1.0 / (n + 1)
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)) / h**2
    eye = sp.identity(n)
    K = (sp.kron(t, eye) + sp.kron(eye, t)).tocsr()
    x = (np.arange(n) + 1) * h
    coords = np.array(np.meshgrid(x, x, indexing="ij")).reshape(2, -1)
    return K, sp.identity(n * n, format="csr"), coords


def test_memory_estimate_grows_like_n_log_n_and_is_positive():
    K, _, _ = _laplacian_2d(20)
    K4, _, _ = _laplacian_2d(40)
    small, big = estimate_factor_memory(K, 2), estimate_factor_memory(K4, 2)
    assert 0 < small < big and 4 < big / small < 6
    assert estimate_factor_memory(K.astype(complex), 2) == pytest.approx(1.5 * small, rel=1e-9,
                                                                          abs=0)
    assert available_memory() > 2**20


def test_auto_falls_back_to_lobpcg_when_the_factor_would_not_fit():
    K, M, coords = _laplacian_2d(30)
    exact = np.sort([(np.pi**2) * (i * i + j * j) for i in range(1, 5) for j in range(1, 5)])[:3]
    direct = lowest_eigenpairs(K, M, 3, sigma=-1.0, coords=coords)
    fallback = lowest_eigenpairs(K, M, 3, sigma=-1.0, coords=coords, max_direct_memory=1)
    assert direct[2]["eigensolver"] == "shift-invert"
    assert fallback[2]["eigensolver"] == "lobpcg"
    assert np.allclose(fallback[0], direct[0], rtol=1e-7, atol=0)
    assert np.allclose(direct[0], exact, rtol=0.02, atol=0)  # 5-point stencil, h = 1/31
    with pytest.raises(SolverError, match="shift-invert refused.*lobpcg"):
        lowest_eigenpairs(K, M, 3, sigma=-1.0, method="shift-invert", coords=coords,
                          max_direct_memory=1)


# --------------------------------------------------------------------------------------------
# Sparse direct backends of shift-invert: MKL PARDISO (pypardiso, extra "fast") vs SuperLU
import mqm_fem.linalg.eigen as eigen_module  # noqa: E402

needs_pardiso = pytest.mark.skipif(not eigen_module._pardiso_available(),
                                   reason="pypardiso (MKL PARDISO) not installed")


def _magnetic_laplacian(n, b):
    """Complex Hermitian PD 5-point magnetic Laplacian (Peierls phases, Landau gauge a = (0, bx))
    on an n × n Dirichlet grid of the unit square; b = 0 gives the real Laplacian."""
    K, M, coords = _laplacian_2d(n)
    h = 1.0 / (n + 1)
    x = coords[0]
    K = K.tolil().astype(complex)
    for i in range(n * n):  # y-neighbours: index i ± 1 within a column of fixed x
        if (i + 1) % n:
            phase = np.exp(1j * b * x[i] * h)
            K[i, i + 1] = -phase / h**2
            K[i + 1, i] = -np.conj(phase) / h**2
    return K.tocsr(), M, coords


@needs_pardiso
@pytest.mark.parametrize("b", [0.0, 40.0])
def test_pardiso_and_superlu_agree_real_and_complex(b):
    K, M, coords = _magnetic_laplacian(24, b)
    if b == 0:
        K = K.real.tocsr()
    runs = {f: lowest_eigenpairs(K, M, 6, sigma=-1.0, coords=coords, factorization=f)
            for f in ("pardiso", "superlu")}
    (vp, xp, ip), (vs, _, is_) = runs["pardiso"], runs["superlu"]
    assert ip["factorization"] == "pardiso" and is_["factorization"] == "superlu"
    assert np.iscomplexobj(xp) == (b != 0)
    assert np.allclose(vp, vs, rtol=1e-10, atol=0)
    # residuals of the PARDISO pairs, M-orthonormal
    assert np.linalg.norm(K @ xp - M @ xp * vp) < 1e-8 * np.max(vp)
    assert np.allclose(xp.conj().T @ (M @ xp), np.eye(6), atol=1e-10)
    if b == 0:  # the square's degenerate pairs (1,2)/(2,1) and (1,3)/(3,1) both come out
        assert vp[1] == pytest.approx(vp[2], rel=1e-10) and vp[3] < vp[4]
        assert vp[4] == pytest.approx(vp[5], rel=1e-10)
    else:  # diamagnetic inequality: above the zero-field 5-point ground state 8 sin²(πh/2)/h²
        h = 1.0 / 25
        assert vp[0] > 1.01 * 8 * np.sin(np.pi * h / 2) ** 2 / h**2
    again = lowest_eigenpairs(K, M, 6, sigma=-1.0, coords=coords, factorization="pardiso")
    assert np.array_equal(again[0], vp)  # deterministic (fixed ARPACK start vector)


def test_superlu_fallback_when_pypardiso_is_absent(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pypardiso(name, *args, **kwargs):
        if name == "pypardiso":
            raise ImportError("No module named 'pypardiso' (test)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pypardiso)
    monkeypatch.setattr(eigen_module, "_mkl_path", eigen_module._mkl_path.__wrapped__)
    K, M, coords = _laplacian_2d(12)
    vals, _, info = lowest_eigenpairs(K, M, 3, sigma=-1.0, coords=coords)
    assert info["factorization"] == "superlu" and info["eigensolver"] == "shift-invert"
    assert vals[0] == pytest.approx(2 * np.pi**2, rel=0.01)
    with pytest.raises(ParameterError, match="factorization='pardiso' needs pypardiso"):
        lowest_eigenpairs(K, M, 3, sigma=-1.0, factorization="pardiso")
    with pytest.raises(ParameterError, match="unknown factorization 'umfpack'"):
        lowest_eigenpairs(K, M, 3, sigma=-1.0, factorization="umfpack")


def test_pardiso_memory_estimate_is_below_superlu():
    K, _, _ = _laplacian_2d(30)
    assert (estimate_factor_memory(K, 2, "pardiso")
            == pytest.approx(estimate_factor_memory(K, 2) / 3, rel=1e-5))
    assert (estimate_factor_memory(K, 3, "pardiso")
            == pytest.approx(estimate_factor_memory(K, 3) / 2, rel=1e-5))


@needs_pardiso
def test_schrodinger_in_a_field_same_with_pardiso_and_superlu(monkeypatch):
    from mqm_fem import geometry
    from mqm_fem.quantum.schrodinger import solve_schrodinger
    from mqm_fem.units import HBAR, Q

    d = geometry.disk(1.0, h=0.12)
    field = 5.0 * HBAR / (Q * 1e-12)  # b = 5 with L0 = 1 µm
    monkeypatch.setattr(eigen_module, "PARDISO_MIN_UNKNOWNS", 0)  # auto: PARDISO at any size
    fast = solve_schrodinger(d, field, k=4, bc="dirichlet", center=(0, 0))
    monkeypatch.setattr(eigen_module, "_pardiso_available", lambda: False)
    slow = solve_schrodinger(d, field, k=4, bc="dirichlet", center=(0, 0))
    assert (fast.info["factorization"], slow.info["factorization"]) == ("pardiso", "superlu")
    assert np.allclose(fast.eigenvalues, slow.eigenvalues, rtol=1e-10, atol=0)
    assert fast.eigenvalues[0] < fast.eigenvalues[1]


def test_upper_triangle_matches_scipy_triu():
    rng = np.random.default_rng(3)
    A = sp.random(40, 40, density=0.2, random_state=rng, format="csr")
    A = (A + A.T + sp.identity(40)).tolil()
    A[5, :] = 0  # an empty row
    A = A.tocsr()
    A.eliminate_zeros()
    U = eigen_module._upper_triangle(A)
    assert U.has_sorted_indices
    assert (U != sp.triu(A)).nnz == 0 and U.nnz == sp.triu(A).nnz


@needs_pardiso
@pytest.mark.parametrize("b", [0.0, 40.0])
def test_handed_over_matrices_are_released_before_the_factorisation(monkeypatch, b):
    """K and M given as callables: K is freed before PARDISO factorises, M is applied through
    its upper triangle, and the pairs equal SuperLU's with the full matrices."""
    import gc
    import weakref

    K, _, coords = _magnetic_laplacian(20, b)
    if b == 0:
        K = K.real.tocsr()
    n = K.shape[0]
    M = (sp.diags([4.0], [0], shape=(n, n)) + sp.diags([1.0, 1.0], [-1, 1], shape=(n, n))
         + sp.diags([0.5, 0.5], [-20, 20], shape=(n, n))).tocsc() / 6  # SPD, not diagonal
    ref = lowest_eigenpairs(K, M, 6, sigma=-1.0, coords=coords, factorization="superlu")
    held = {"K": K.copy(), "M": M.copy()}
    k_ref = weakref.ref(held["K"])
    seen = []

    class Spy(eigen_module._Pardiso):
        def __init__(self, A):
            gc.collect()
            seen.append(k_ref() is None)
            super().__init__(A)

    monkeypatch.setattr(eigen_module, "_Pardiso", Spy)
    vals, vecs, info = lowest_eigenpairs(lambda: held.pop("K"), lambda: held.pop("M"), 6,
                                         sigma=-1.0, coords=coords, factorization="pardiso")
    assert info["factorization"] == "pardiso" and not held
    assert seen == [True]  # K was gone when the factorisation started
    assert np.allclose(vals, ref[0], rtol=1e-10, atol=0)
    assert np.linalg.norm(K @ vecs - M @ vecs * vals) < 1e-8 * np.max(vals)
    assert np.allclose(vecs.conj().T @ (M @ vecs), np.eye(6), atol=1e-10)
