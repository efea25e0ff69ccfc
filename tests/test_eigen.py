"""The eigen-solver layer: memory guard before a factorisation, and the LOBPCG fallback."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mqm_fem.errors import SolverError
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
