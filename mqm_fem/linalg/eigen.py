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

  **MKL PARDISO** (``factorization="auto"`` when ``pypardiso`` is installed, optional extra
  ``fast``) replaces SuperLU: one-triangle :math:`LDL^T` / :math:`LDL^H` (real symmetric or
  complex Hermitian indefinite, matrix types −2 / −4, METIS ordering inside PARDISO), so the
  factor is about half of SuperLU's L + U and the complex case needs no real 2n × 2n form.
  Measured on the 2D P2 disk (``benchmarks/eigen_disk.py``, 1 thread, CPU s):

  ==================  =============================  =============================
  disk, P2            SuperLU (METIS ordering)       PARDISO
  ==================  =============================  =============================
  197k real           factor 3.1 s, fill 20.0M,      factor 2.1 s, fill 11.3M,
                      peak RSS 0.69 GiB              peak RSS 0.44 GiB
  197k complex b=20   factor 4.9 s, solve 0.092 s,   factor 2.4 s, solve 0.077 s,
                      peak RSS 1.09 GiB              peak RSS 0.62 GiB
  985k real           (5.0 GiB in the benchmark)     factor 9.5 s, fill 67M, solve
                                                     0.20 s, PARDISO's own 0.92 GiB
  985k complex b=20   —                              factor 14.9 s, solve 0.53 s,
                                                     PARDISO's own 1.47 GiB
  ==================  =============================  =============================

  (peak RSS of a process holding only K, M and the solver; eigenvalues equal to ~1e-13). In
  ``solve_schrodinger`` at 988k unknowns (real) the eigen-solve raises the resident memory from
  1.46 to 2.74 GiB (SuperLU: to 5.0 GiB).
  Without ``pypardiso`` (or with ``factorization="superlu"``) SuperLU runs as above;
  ``info["factorization"]`` says which one did.
"""

from __future__ import annotations

import functools
import gc
import os
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import (
    ArpackError,
    ArpackNoConvergence,
    LinearOperator,
    aslinearoperator,
    eigsh,
    splu,
)

from ..errors import ParameterError, SolverError
from .memory import available_memory, estimate_factor_memory
from .ordering import fill_reducing_order

__all__ = ["EIGENSOLVERS", "FACTORIZATIONS", "lowest_eigenpairs"]

EIGENSOLVERS = ("auto", "shift-invert", "lobpcg")
FACTORIZATIONS = ("auto", "pardiso", "superlu")


def lowest_eigenpairs(K, M, nev: int, *, sigma: float, method: str = "auto", coords=None,
                      scale: float | None = None, maxiter: int | None = None,
                      tol: float = 0.0, max_direct_memory: float | None = None,
                      progress=None, factorization: str = "auto"):
    r"""The ``nev`` smallest eigenpairs of :math:`Kx = \varepsilon Mx` (K Hermitian, M SPD).

    Parameters
    ----------
    K, M : sparse (n × n), or zero-argument callables returning them
        Hermitian (real symmetric or complex) and real SPD. Callables hand the matrices over:
        then only this function holds them, and with PARDISO it releases K once the upper
        triangle of K − σM is built and keeps only the upper triangle of M (ARPACK's products
        Mx use it symmetrically) — at 1M P2 unknowns about 0.2 GiB less at the memory peak.
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
    factorization : ``"auto"``, ``"pardiso"`` or ``"superlu"``
        Sparse direct solver of shift-invert: ``"auto"`` = MKL PARDISO when ``pypardiso`` is
        installed (optional extra ``fast``), else SuperLU; ``info["factorization"]`` says
        which one ran.

    Returns
    -------
    vals (nev,), vecs (n, nev), info dict (``eigensolver``, timings in s).
    """
    if method not in EIGENSOLVERS:
        raise ParameterError(f"eigensolver: unknown method {method!r}; valid: "
                             f"{', '.join(EIGENSOLVERS)}")
    if factorization not in FACTORIZATIONS:
        raise ParameterError(f"eigensolver: unknown factorization {factorization!r}; valid: "
                             f"{', '.join(FACTORIZATIONS)}")
    if factorization == "pardiso" and not _pardiso_available():
        raise ParameterError("eigensolver: factorization='pardiso' needs pypardiso (MKL): "
                             "pip install 'mqm_fem[fast]', or use factorization='superlu'")
    c0 = time.process_time()
    mats = [K() if callable(K) else K, M() if callable(M) else M]
    del K, M  # mats holds the only reference of handed-over matrices (see _shift_invert)
    K = mats[0]
    if factorization == "auto":
        large = K.shape[0] >= PARDISO_MIN_UNKNOWNS
        factorization = "pardiso" if large and _pardiso_available() else "superlu"
    if method != "lobpcg":
        limit = (0.7 * available_memory() if max_direct_memory is None
                 else float(max_direct_memory))
        dim = 2 if coords is None else int(np.shape(coords)[0])
        need = estimate_factor_memory(K, dim, factorization)
        if need > limit:
            if method == "shift-invert":
                raise SolverError(
                    f"shift-invert refused: factorising the {K.shape[0]}-unknown matrix needs "
                    f"about {need / 2**30:.1f} GiB (> {limit / 2**30:.1f} GiB); use "
                    "eigensolver='lobpcg' (memory O(n)), order=1 or a coarser mesh"
                )
            method = "lobpcg"
    del K
    if method == "lobpcg":
        vals, vecs, info = _lobpcg(*mats, nev, sigma, scale, maxiter, tol)
    else:
        vals, vecs, info = _shift_invert(mats, nev, sigma, coords, maxiter, tol,
                                         progress or (lambda message: None), factorization)
    info["cpu_eigen_s"] = round(time.process_time() - c0, 3)  # CPU time of this process
    # SciPy's eigsh wrapper leaves a reference cycle holding K, M and the factorisation: free
    # them now, not when the garbage collector happens to run (+30 MiB per solve in sweeps)
    gc.collect(0)
    o = np.argsort(np.real(vals))
    return np.real(vals)[o], vecs[:, o], info


#: ``factorization="auto"`` uses PARDISO from this many unknowns on (when installed): below,
#: its fixed cost (~0.15 s per factorisation) loses to SuperLU — measured on the P2 disk,
#: one state: 6k unknowns SuperLU 0.17 s vs PARDISO 0.31 s, 24k 0.85 vs 0.78 s, 102k 5.0 vs
#: 3.7 s — and its memory advantage only matters for large problems.
PARDISO_MIN_UNKNOWNS = 20_000


@functools.lru_cache(maxsize=1)
def _mkl_path() -> str | None:
    """The MKL library pypardiso finds, once per process (pypardiso's search takes ~0.25 s,
    which dominated small eigen-solves when repeated per solve); None without pypardiso."""
    try:
        import pypardiso

        return pypardiso.PyPardisoSolver().libmkl._name
    except (ImportError, OSError):
        return None


def _pardiso_available() -> bool:
    """True when MKL PARDISO can be loaded (``pypardiso`` installed and its MKL found)."""
    return _mkl_path() is not None


def _shift_invert(mats, nev, sigma, coords, maxiter, tol, say, factorization):
    """``mats`` = [K, M], emptied here: with PARDISO, K is released once the upper triangle of
    K − σM is built and M replaced by its upper triangle (no full matrix during the
    factorisation and ARPACK; the caller may still hold its own references)."""
    t0 = time.perf_counter()
    K, M = mats
    mats.clear()
    n = K.shape[0]
    dtype = np.result_type(K.dtype, M.dtype, np.float64)
    factor = None
    try:
        if factorization == "pardiso":
            t_order = 0.0  # PARDISO orders (METIS) inside its analysis phase
            # triu(K) − σ triu(M) = triu(K − σM) entry by entry, without the full K − σM
            m_upper = _upper_triangle(M)
            del M
            upper = (_upper_triangle(K) - sigma * m_upper).tocsr()
            del K
            upper.sort_indices()
            _return_free_heap()  # the caller's assembly left freed heap the factor can reuse
            factor = _Pardiso(upper)
            del upper
            M = _symmetric_operator(m_upper)
            solve, fill, ordering = factor.solve, factor.fill, "METIS (PARDISO)"
        else:
            shifted = (K - sigma * M).tocsr()
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
            fill = lu.L.nnz + lu.U.nnz
    except RuntimeError as exc:
        raise SolverError(
            f"factorising K − σM failed ({exc}); try a different shift (sigma, now {sigma:.4g})"
        ) from exc
    shifted = K = None  # PARDISO keeps its own upper triangle, SuperLU its factors
    try:
        return _arpack(n, dtype, M, nev, sigma, maxiter, tol, say, solve, t0, info={
            "eigensolver": "shift-invert", "factorization": factorization,
            "ordering": ordering, "factor_fill": int(fill),
            "time_ordering_s": round(t_order, 3),
            "time_factor_s": round(time.perf_counter() - t0, 3)},
            release=factor.free if factor is not None else lambda: None)
    finally:
        if factor is not None:
            factor.free()


def _upper_triangle(A):
    """Upper triangle (diagonal included) of a CSR matrix, with sorted indices, built from the
    CSR arrays directly: about half the transient memory of ``scipy.sparse.triu`` (which goes
    through COO), which matters next to the factorisation's peak at 1M unknowns."""
    A = sp.csr_matrix(A)
    A.sum_duplicates()  # also sorts the indices
    n = A.shape[0]
    itype = A.indices.dtype
    rows = np.repeat(np.arange(n, dtype=itype), np.diff(A.indptr))
    keep = A.indices >= rows
    counts = np.bincount(rows[keep], minlength=n)  # also right for empty (trailing) rows
    del rows
    indptr = np.zeros(n + 1, dtype=itype)
    np.cumsum(counts, out=indptr[1:])
    return sp.csr_matrix((A.data[keep], A.indices[keep], indptr), shape=A.shape)


def _return_free_heap() -> None:
    """Give the C heap's free memory back to the OS (glibc ``malloc_trim``) before the
    factorisation's peak. Arrays of up to 32 MiB come from the heap once NumPy has freed a few
    large ones (glibc's adaptive mmap threshold), so an assembly in chunks leaves ~0.1 GiB
    free-but-resident at 1M unknowns; PARDISO's allocations would not reuse all of it.
    Does nothing where glibc is not the C library."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _symmetric_operator(upper):
    """The symmetric matrix whose upper triangle is ``upper`` (CSR) as an operator:
    Ux + Uᵀx − diag(U)x, at about half the memory of the full matrix."""
    diag = upper.diagonal()
    lower = upper.T  # CSC view, no copy

    def real_matvec(x):
        return upper @ x + lower @ x - diag * x

    def matvec(x):
        x = np.asarray(x).reshape(-1)
        if np.iscomplexobj(x):  # real and imaginary parts: no complex copy of the matrix
            return real_matvec(np.ascontiguousarray(x.real)) \
                + 1j * real_matvec(np.ascontiguousarray(x.imag))
        return real_matvec(x)

    return LinearOperator(upper.shape, matvec=matvec, rmatvec=matvec, dtype=upper.dtype)


def _shift_invert_arpack(n, dtype, M, nev, sigma, maxiter, tol, opinv, v0, release):
    """``eigsh(K, M=M, sigma=sigma, OPinv=opinv, which="LM")`` (complex: ``eigs`` and the real
    part of the eigenvalues, as ``eigsh`` does), with ``release()`` called between ARPACK's
    convergence and the extraction of the eigenvectors, which needs no more solves: the
    factorisation is freed before the extraction allocates the n × nev eigenvectors (at 1M
    unknowns the peak is then the factor plus ARPACK's Lanczos basis, ≈ 0.15 GiB less).
    Shift-invert mode applies only OPinv and M, never K itself. Drives SciPy's ARPACK classes
    the way ``eigsh``/``eigs`` do; plain ``eigsh`` (no early release) if they moved."""
    unused = LinearOperator((n, n), matvec=_never, dtype=dtype)
    try:
        from scipy.sparse.linalg._eigen.arpack.arpack import (
            _SymmetricArpackParams,
            _UnsymmetricArpackParams,
        )
    except ImportError:  # pragma: no cover - a SciPy that reorganised its private modules
        return eigsh(unused, k=nev, M=M, sigma=sigma, which="LM", maxiter=maxiter, tol=tol,
                     OPinv=opinv, v0=v0)
    complex_ = np.issubdtype(dtype, np.complexfloating)
    try:
        params = (_UnsymmetricArpackParams if complex_ else _SymmetricArpackParams)(
            n, nev, np.dtype(dtype).char, unused.matvec if complex_ else None, 3,
            aslinearoperator(M).matvec,
            opinv.matvec, sigma, None, v0, maxiter, "LM", tol, np.random.default_rng(0))
    except TypeError:  # pragma: no cover - a SciPy whose private signature differs
        return eigsh(unused, k=nev, M=M, sigma=sigma, which="LM", maxiter=maxiter, tol=tol,
                     OPinv=opinv, v0=v0)
    while not params.converged:
        params.iterate()
    release()
    vals, vecs = params.extract(True)
    return (vals.real if complex_ else vals), vecs


def _arpack(n, dtype, M, nev, sigma, maxiter, tol, say, solve, t0, info, release=lambda: None):
    say(f"factorised K − σM ({n} unknowns, {info['factorization']}, {info['ordering']} "
        f"ordering, fill {info['factor_fill']:.3g}) in {info['time_factor_s']:.1f} s; "
        "ARPACK iterating")
    nsolves, last = [0], [time.perf_counter()]

    def counted(x):
        nsolves[0] += 1
        if time.perf_counter() - last[0] > 5.0:  # a line every few seconds, not per solve
            last[0] = time.perf_counter()
            say(f"ARPACK: {nsolves[0]} solves, {last[0] - t0:.1f} s")
        return solve(x)

    opinv = LinearOperator((n, n), matvec=counted, dtype=dtype)
    # a fixed start vector: the same problem gives the same bits in every process (sweeps on
    # several workers equal the serial run exactly); ARPACK's default start is random
    v0 = np.random.default_rng(12345).standard_normal(n).astype(dtype)
    try:
        vals, vecs = _shift_invert_arpack(n, dtype, M, nev, sigma, maxiter, tol, opinv, v0,
                                          release)
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
    info.update(solves=nsolves[0], time_eigen_s=round(time.perf_counter() - t0, 3))
    return vals, vecs, info


def _never(x):
    raise RuntimeError("shift-invert ARPACK applied K itself")


class _Pardiso:
    r"""MKL PARDISO factorisation of a Hermitian (complex) or real symmetric sparse matrix.

    Only the upper triangle is passed and factorised (:math:`LDL^H` with Bunch–Kaufman pivoting
    inside supernodes, matrix types −4 / −2, METIS ordering by PARDISO itself), so the factor
    is about half SuperLU's L + U. MKL is the one that ``pypardiso`` (optional extra ``fast``)
    installs and locates; this class calls ``pardiso`` directly with its own ctypes handle,
    because pypardiso's wrapper accepts real matrices only, keeps a copy of the matrix and
    converts the index arrays on every solve. Threads: MKL's (``MKL_NUM_THREADS`` /
    ``OMP_NUM_THREADS``, else ``OPENBLAS_NUM_THREADS``, the caller's BLAS setting), one if
    none is set (reproducible to the bit).
    ``A`` is the upper triangle (:func:`_upper_triangle`, CSR, sorted indices). Call
    :meth:`free` when done (releases PARDISO's internal memory).
    """

    def __init__(self, A):
        import ctypes

        self._lib = ctypes.CDLL(_mkl_path())  # own handle (callers check _pardiso_available)
        self._call = self._lib.pardiso
        ptr = ctypes.POINTER
        i32 = ctypes.c_int32
        self._call.argtypes = [ptr(ctypes.c_int64), ptr(i32), ptr(i32), ptr(i32), ptr(i32),
                               ptr(i32), ctypes.c_void_p, ptr(i32), ptr(i32), ptr(i32),
                               ptr(i32), ptr(i32), ptr(i32), ctypes.c_void_p, ctypes.c_void_p,
                               ptr(i32)]
        self._call.restype = None
        upper = sp.csr_matrix(A)  # the upper triangle (_upper_triangle), CSR, sorted
        self.complex = np.iscomplexobj(upper.data)
        self.dtype = np.complex128 if self.complex else np.float64
        self._data = np.ascontiguousarray(upper.data, dtype=self.dtype)
        self._ia = np.ascontiguousarray(upper.indptr, dtype=np.int32)
        self._ja = np.ascontiguousarray(upper.indices, dtype=np.int32)
        self.n = upper.shape[0]
        self.mtype = -4 if self.complex else -2  # Hermitian / real symmetric indefinite
        self._pt = np.zeros(64, dtype=np.int64)
        self._iparm = np.zeros(64, dtype=np.int32)
        ip = self._iparm
        ip[0] = 1    # user-set parameters
        ip[1] = 2    # METIS nested dissection ordering
        ip[9] = 8    # pivot perturbation 1e-8 (only for (near-)singular pivots)
        ip[17] = -1  # report the number of nonzeros in the factor
        ip[20] = 1   # Bunch–Kaufman 1x1/2x2 pivoting (symmetric indefinite)
        ip[34] = 1   # zero-based indices (scipy's arrays as they are)
        threads = next((os.environ[v] for v in ("MKL_NUM_THREADS", "OMP_NUM_THREADS",
                                                "OPENBLAS_NUM_THREADS") if
                        os.environ.get(v, "").isdigit()), None)
        # one thread unless the caller asks for more: bit-identical results in every process
        # (sweeps on several workers equal the serial run; MKL's threaded factorisation
        # need not be reproducible)
        self._threads = max(int(threads), 1) if threads else 1  # "0" is not "all cores"
        self._run(12, np.zeros(1, dtype=self.dtype))  # analysis + numerical factorisation
        self.fill = int(ip[17])
        # peak: max(symbolic peak, permanent symbolic + numeric) in KiB (MKL documentation)
        self.peak_bytes = int(max(ip[14], ip[15] + ip[16])) * 1024

    def _run(self, phase, b):
        import ctypes

        ptr = ctypes.POINTER
        i32 = ctypes.c_int32
        x = np.zeros_like(b)
        err = i32(0)
        nrhs = 1 if b.ndim == 1 else b.shape[1]
        prev = None
        if self._threads:
            prev = self._lib.MKL_Set_Num_Threads_Local(i32(self._threads))
        try:
            self._call(self._pt.ctypes.data_as(ptr(ctypes.c_int64)), ctypes.byref(i32(1)),
                       ctypes.byref(i32(1)), ctypes.byref(i32(self.mtype)),
                       ctypes.byref(i32(phase)), ctypes.byref(i32(self.n)),
                       self._data.ctypes.data, self._ia.ctypes.data_as(ptr(i32)),
                       self._ja.ctypes.data_as(ptr(i32)), None, ctypes.byref(i32(nrhs)),
                       self._iparm.ctypes.data_as(ptr(i32)), ctypes.byref(i32(0)),
                       b.ctypes.data, x.ctypes.data, ctypes.byref(err))
        finally:
            if prev is not None:
                self._lib.MKL_Set_Num_Threads_Local(i32(prev))
        if err.value != 0:
            raise RuntimeError(f"PARDISO error {err.value} in phase {phase}")
        return x

    def solve(self, b):
        b = np.ascontiguousarray(b, dtype=self.dtype).reshape(-1)
        return self._run(33, b)

    def free(self):
        if self._pt.any():
            self._run(-1, np.zeros(1, dtype=self.dtype))
            self._pt[:] = 0

    def __del__(self):  # a forgotten free() must not leak the factor
        try:
            self.free()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


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
