r"""Lowest eigenpairs of the generalised Hermitian eigenproblem :math:`Kx = \varepsilon Mx`.

Used by :func:`mqm_fem.quantum.schrodinger.solve_schrodinger`: :math:`K` is the complex
Hermitian, positive semidefinite matrix of
:math:`\int(\nabla - ia)\psi\cdot\overline{(\nabla - ia)w} + v\psi\bar w\,dx` (+ Robin terms),
:math:`M` the real SPD mass matrix :math:`\int\psi\bar w\,dx`; both in scaled units
(lengths in L₀, ε = 2mL₀²E/ħ², dimensionless). The functions here are unit-agnostic: the
eigenvalues come back in the units of :math:`K/M`.

Methods (:func:`lowest_eigenpairs`)
-----------------------------------
* ``"shift-invert"`` — ARPACK (``scipy.sparse.linalg.eigsh``, mode 3) on
  :math:`(K - \sigma M)^{-1}M` with a shift σ below the spectrum, so :math:`K - \sigma M` is
  Hermitian positive definite. It is factorised once by SuperLU *without pivoting*
  (``SymmetricMode``, diagonal pivots) after a **nested-dissection** ordering of the unknowns
  (:func:`fill_reducing_order`): METIS (``pymetis``, optional extra) if installed, else a
  geometric nested dissection (:func:`nested_dissection`: recursive median bisection of the
  DOF coordinates along the longest axis; the separators — nodes of one half coupled to the
  other half — are ordered after both halves). This is what makes the direct solve scale on
  2D P2 meshes; SuperLU's own orderings are much worse. Measured on the Dirichlet unit disk,
  zero field, 1 thread (CPU seconds; machine in ``benchmarks/README.md``):

  ==========  =====================  =====================  =====================
  unknowns    SuperLU MMD_AT_PLUS_A  SuperLU COLAMD         geometric ND / METIS
  ==========  =====================  =====================  =====================
  36k         16.3 s                 0.66 s, fill 6.8M      0.45 s, 6.0M / —
  197k        —                      27.3 s, fill 57M       2.5 s, 36M / 1.2 s, 20M
  ==========  =====================  =====================  =====================

  (MMD's ordering step itself is the slow part.) Without coordinates or pymetis, COLAMD.
  ARPACK then needs ≈ 45–65 solves with the factors for 10 pairs (k + 4) — at large n these
  solves cost about as much as the factorisation.
* ``"lobpcg"`` — ``scipy.sparse.linalg.lobpcg`` (block size = number of requested pairs, so
  degenerate levels are resolved) preconditioned by a pyamg smoothed-aggregation V-cycle on
  :math:`K - \sigma M` (complex Hermitian AMG when the field is nonzero). Memory O(n), but
  measured slower than the direct shift-invert on 2D P2 problems up to 1M unknowns
  (≈ 65–70 iterations independent of the mesh size; 36k unknowns: 8.0 s vs 1.5 s, 197k
  unknowns: 52 s vs 12.5 s). Needs ``pyamg``.
* ``"auto"`` — ``"shift-invert"`` (the faster one at every measured size) unless the
  factorisation's estimated memory (:func:`estimate_factor_memory`) exceeds
  ``max_direct_memory`` (default: 70 % of the memory available now), then ``"lobpcg"``. An
  explicit ``"shift-invert"`` that would not fit is refused with a :class:`SolverError`.

All methods return eigenvalues ascending and M-orthonormal eigenvectors.
"""

from __future__ import annotations

import gc
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import (
    ArpackError,
    ArpackNoConvergence,
    LinearOperator,
    eigsh,
    splu,
)

from ..errors import ParameterError, SolverError
from .memory import available_memory, estimate_factor_memory
from .ordering import fill_reducing_order

__all__ = ["EIGENSOLVERS", "lowest_eigenpairs"]

EIGENSOLVERS = ("auto", "shift-invert", "lobpcg")


def lowest_eigenpairs(K, M, nev: int, *, sigma: float, method: str = "auto", coords=None,
                      scale: float | None = None, maxiter: int | None = None,
                      tol: float = 0.0, max_direct_memory: float | None = None,
                      progress=None):
    r"""The ``nev`` smallest eigenpairs of :math:`Kx = \varepsilon Mx` (K Hermitian, M SPD).

    Parameters
    ----------
    K, M : sparse (n × n)
        Hermitian (real symmetric or complex) and real SPD.
    sigma : float
        Shift strictly below the lowest eigenvalue (same units as ε).
    method : ``"auto"``, ``"shift-invert"`` or ``"lobpcg"`` (module docstring).
    coords : array (dim, n), optional
        DOF coordinates for the nested-dissection ordering (shift-invert).
    scale : float, optional
        Typical eigenvalue magnitude (ε units), sets LOBPCG's absolute residual tolerance.
    maxiter, tol :
        ARPACK / LOBPCG controls; ``tol = 0`` means machine precision for ARPACK and a relative
        residual of 1e-8 for LOBPCG (eigenvalue error ~1e-16 relative).
    max_direct_memory : bytes, optional
        Limit for the shift-invert factorisation (default 70 % of the available memory).
    progress : callable, optional
        Receives one-line messages while the solve runs (after the factorisation, then every
        few seconds of ARPACK iterations), so long solves show they are alive.

    Returns
    -------
    vals (nev,), vecs (n, nev), info dict (``eigensolver``, timings in s).
    """
    if method not in EIGENSOLVERS:
        raise ParameterError(f"eigensolver: unknown method {method!r}; valid: "
                             f"{', '.join(EIGENSOLVERS)}")
    c0 = time.process_time()
    if method != "lobpcg":
        limit = (0.7 * available_memory() if max_direct_memory is None
                 else float(max_direct_memory))
        dim = 2 if coords is None else int(np.shape(coords)[0])
        need = estimate_factor_memory(K, dim)
        if need > limit:
            if method == "shift-invert":
                raise SolverError(
                    f"shift-invert refused: factorising the {K.shape[0]}-unknown matrix needs "
                    f"about {need / 2**30:.1f} GiB (> {limit / 2**30:.1f} GiB); use "
                    "eigensolver='lobpcg' (memory O(n)), order=1 or a coarser mesh"
                )
            method = "lobpcg"
    if method == "lobpcg":
        vals, vecs, info = _lobpcg(K, M, nev, sigma, scale, maxiter, tol)
    else:
        vals, vecs, info = _shift_invert(K, M, nev, sigma, coords, maxiter, tol,
                                         progress or (lambda message: None))
    info["cpu_eigen_s"] = round(time.process_time() - c0, 3)  # CPU time of this process
    # SciPy's eigsh wrapper leaves a reference cycle holding K, M and the factorisation: free
    # them now, not when the garbage collector happens to run (+30 MiB per solve in sweeps)
    gc.collect(0)
    o = np.argsort(np.real(vals))
    return np.real(vals)[o], vecs[:, o], info


def _shift_invert(K, M, nev, sigma, coords, maxiter, tol, say):
    t0 = time.perf_counter()
    shifted = (K - sigma * M).tocsr()
    try:
        perm, ordering = fill_reducing_order(shifted, coords)
        if perm is not None:
            inv = np.empty_like(perm)
            inv[perm] = np.arange(perm.size)
            t_order = time.perf_counter() - t0
            lu = splu(shifted[perm][:, perm].tocsc(), permc_spec="NATURAL",
                      diag_pivot_thresh=0.001, options={"SymmetricMode": True})

            def solve(x):
                return lu.solve(np.asarray(x).reshape(-1)[perm])[inv]
        else:
            t_order = 0.0
            lu = splu(shifted.tocsc(), permc_spec="COLAMD")
            solve = lu.solve
    except RuntimeError as exc:
        raise SolverError(
            f"factorising K − σM failed ({exc}); try a different shift (sigma, now {sigma:.4g})"
        ) from exc
    t_fact = time.perf_counter() - t0
    say(f"factorised K − σM ({shifted.shape[0]} unknowns, {ordering} ordering, fill "
        f"{lu.L.nnz + lu.U.nnz:.3g}) in {t_fact:.1f} s; ARPACK iterating")
    nsolves, last = [0], [time.perf_counter()]

    def counted(x):
        nsolves[0] += 1
        if time.perf_counter() - last[0] > 5.0:  # a line every few seconds, not per solve
            last[0] = time.perf_counter()
            say(f"ARPACK: {nsolves[0]} solves, {last[0] - t0:.1f} s")
        return solve(x)

    opinv = LinearOperator(shifted.shape, matvec=counted, dtype=shifted.dtype)
    # a fixed start vector: the same problem gives the same bits in every process (sweeps on
    # several workers equal the serial run exactly); ARPACK's default start is random
    v0 = np.random.default_rng(12345).standard_normal(shifted.shape[0]).astype(shifted.dtype)
    try:
        vals, vecs = eigsh(K, k=nev, M=M, sigma=sigma, which="LM", maxiter=maxiter, tol=tol,
                           OPinv=opinv, v0=v0)
    except ArpackNoConvergence as exc:
        raise SolverError(
            f"eigen-solve did not converge ({len(exc.eigenvalues)} of {nev} eigenpairs after "
            f"maxiter={maxiter}); try more iterations (maxiter), a different shift (sigma, "
            f"now {sigma:.4g}: just below the lowest eigenvalue), a looser tol, or a coarser "
            "mesh / order=1"
        ) from exc
    except (ArpackError, RuntimeError, ValueError) as exc:
        raise SolverError(
            f"eigen-solve failed ({exc}); try a different shift (sigma, now {sigma:.4g}), "
            "more iterations (maxiter) or a coarser mesh"
        ) from exc
    info = {"eigensolver": "shift-invert", "ordering": ordering,
            "factor_fill": int(lu.L.nnz + lu.U.nnz), "solves": nsolves[0],
            "time_ordering_s": round(t_order, 3), "time_factor_s": round(t_fact, 3),
            "time_eigen_s": round(time.perf_counter() - t0, 3)}
    return vals, vecs, info


def _lobpcg(K, M, nev, sigma, scale, maxiter, tol):
    try:
        import pyamg
    except ImportError as exc:  # pragma: no cover - pyamg is a dependency of the 3D solvers
        raise ParameterError("eigensolver='lobpcg' needs pyamg (pip install pyamg)") from exc
    from scipy.sparse.linalg import lobpcg

    t0 = time.perf_counter()
    K = sp.csr_matrix(K)
    M = sp.csr_matrix(M)
    shifted = (K - sigma * M).tocsr()
    complex_ = np.iscomplexobj(shifted.data)
    ml = pyamg.smoothed_aggregation_solver(
        shifted, symmetry="hermitian" if complex_ else "symmetric", max_coarse=500)
    pre = ml.aspreconditioner(cycle="V")
    t_setup = time.perf_counter() - t0
    n = K.shape[0]
    rng = np.random.default_rng(12345)
    X = rng.standard_normal((n, nev))
    if complex_:
        X = X + 1j * rng.standard_normal((n, nev))
    rtol = 1e-8 if tol <= 0 else tol
    typical = abs(scale) if scale else max(abs(sigma), 1.0)
    abs_tol = rtol * typical * np.sqrt(M.diagonal().mean())
    its = maxiter if maxiter is not None else 500
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        vals, vecs, hist = lobpcg(K, X, B=M, M=pre, tol=abs_tol, maxiter=its, largest=False,
                                  retResidualNormsHistory=True)
    res = np.asarray(hist[-1]) if hist else np.array([np.inf])
    if not np.all(res <= abs_tol * 10):
        raise SolverError(
            f"eigen-solve (lobpcg) did not converge after maxiter={its} iterations (largest "
            f"residual {np.max(res):.2e}, tolerance {abs_tol:.2e}); try more iterations "
            "(maxiter), a looser tol, or eigensolver='shift-invert'"
        )
    info = {"eigensolver": "lobpcg", "iterations": len(hist),
            "time_amg_setup_s": round(t_setup, 3),
            "time_eigen_s": round(time.perf_counter() - t0, 3)}
    return np.real(vals), vecs, info
