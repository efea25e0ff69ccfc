r"""Linear solvers for the curl-curl systems of the 3D London problem and for scalar H1 problems.

Curl-curl systems (docs/theory.md §1a/§1b)
--------------------------------------
Lowest-order Nédélec (``ElementTetN0``) discretisation of

.. math::  (\nabla\times A, \nabla\times v) + (\sigma A, v) = \ell(v), \qquad n\times A = 0
           \text{ on the Dirichlet boundary},

gives :math:`K = C + M_\sigma` with :math:`C_{ij} = (\nabla\times\varphi_j, \nabla\times\varphi_i)`
over the whole mesh and :math:`(M_\sigma)_{ij} = (\sigma\varphi_j, \varphi_i)`, where
:math:`\sigma = \lambda^{-2}` (mesh units⁻²) in the superconductor and :math:`\sigma = 0` (or a
tiny ε) in vacuum. With σ = 0 the vacuum block is only positive *semi*definite: its kernel is
:math:`\{\nabla p : p \in P_1,\ p = 0 \text{ outside the vacuum}\}`. The London right-hand side
:math:`-(\sigma A_a, v)` vanishes on that kernel (consistent), so the system has solutions that
differ only by vacuum gradients (a gauge freedom: B = ∇×A is unique).

:func:`solve_curl_curl` offers

* ``"direct"`` — sparse LU (SuperLU) of :math:`K + \varepsilon M` with the Nédélec mass matrix
  :math:`M` over the whole mesh and :math:`\varepsilon` = ``regularization`` × (mean diagonal of
  K / mean diagonal of M) (default 1e-12). On a consistent right-hand side this selects the
  solution that is M-orthogonal to the vacuum gradients (a discrete Coulomb gauge); the
  perturbation of the physical part (superconducting edges, curl everywhere) is linear in ε:
  ``tests/test_solvers.py::test_direct_and_ams_agree`` measures 1.5e-9 relative for
  regularization = 1e-10 and 1.5e-7 for 1e-8, so ≈ 1.5e-11 at the default, far below any
  discretisation error. LU of the semidefinite K without the shift fails or returns noise, so
  the shift is always applied.
* ``"ams-cg"`` — conjugate gradients on the *unregularised* K, preconditioned by the
  Hiptmair–Xu auxiliary-space (AMS) preconditioner built from

  - the discrete gradient :math:`G` (edges × vertices, :func:`discrete_gradient`),
  - the Nédélec interpolation :math:`\Pi` of continuous vector P1 fields
    (edges × 3·vertices, :func:`nedelec_interpolation`),
  - pyamg smoothed-aggregation V-cycles on the Galerkin auxiliary matrices :math:`G^T K G` (the
    σ-weighted vertex Laplacian; vertices where it vanishes — pure σ = 0 vacuum — are dropped:
    their gradients span the kernel of K, which a consistent right-hand side never excites, so
    no shift is needed anywhere) and :math:`\Pi^T K \Pi` (positive definite on the interior
    vertices even with σ = 0; near-nullspace: constant vector fields and gradients of
    quadratics, nearly free where σ is small),
  - Gauss–Seidel on K (two sweeps),

  combined multiplicatively into one symmetric cycle (GS forward, Π-, G-, Π-corrections,
  GS backward), i.e. a fixed SPD linear operator usable in CG. Π acts on the interior
  vertices only (H¹₀ vector fields), G on the interior non-vacuum vertices. This variant was
  chosen by CG iteration counts on the sphere-in-box problem (structured box meshes and gmsh
  meshes) over an additive cycle, a G-Π-G cycle, the vector Laplacian in the Π space, boundary
  vertices in the Π space, constants-only near-nullspace and one GS sweep: it needs 11–13
  iterations for a relative residual of 1e-10 from 1.2k to 289k unknowns on box meshes and
  from 8k to 196k on gmsh meshes (``test_ams_iterations_flat``, ``benchmarks/ams_scaling.py``;
  289k unknowns: 3.7 s in total, 2.3 s of it set-up).
* ``"auto"`` — ``"hybrid-cg"`` up to ``JACOBI_LIMIT`` (300 000) free unknowns: CG with Jacobi
  on the edges plus Jacobi on the gradients (set-up one sparse product: faster than AMS there,
  measured crossover in :data:`JACOBI_LIMIT`), continuing with AMS-CG if it needs more than
  ``JACOBI_MAXITER`` iterations; above, ``"ams-cg"`` (falling back
  to ``"direct"`` if CG fails and the factorisation fits). SuperLU fill grows like n^(5/3) on
  3D meshes, so the direct solve is never the faster choice, only the last resort.

Floating superconductors: a superconductor surrounded by σ = 0 vacuum has a floating potential
(p = 1 on its vertices gives K G p = 0), so :math:`G^T K G` is singular. One vertex per such
component is removed from the gradient space (:func:`_pin_floating_components`); without this
pyamg's coarsest-level pinv could invert a round-off eigenvalue and CG stalled on strongly
graded meshes (``test_ams_graded_mesh``: 300 iterations at 1e-7 → 10 iterations).

Assembly: :class:`NedelecTet` assembles K = C + M_σ, M_σ v, element curls and vertex values
with closed-form Whitney element matrices (identical to skfem's ``ElementTetN0`` quadrature
assembly to round-off, ``test_fast_nedelec_assembly``); :func:`prepare_tet_edges` builds
skfem's edge tables with an int64-key sort. Together ≈10x faster than the skfem path and
without the basis-function arrays (≈1 GB at 1M unknowns). Timings and memory on the
sphere-in-ball problem up to 1M unknowns, side by side with NGSolve:
``benchmarks/london_sphere.py`` and ``benchmarks/README.md``.

Validation: ``tests/test_solvers.py`` (G, Π checked against skfem's own edge DOFs; direct and
AMS agree; flat CG iteration counts; graded mesh). Benchmark: ``benchmarks/ams_scaling.py``.
"""


from __future__ import annotations

import contextlib
import functools
import os
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from threadpoolctl import ThreadpoolController

from ..errors import ParameterError, SolverError
from ..fem.nedelec import NedelecTet
from .ams import amg_preconditioner, ams_preconditioner
from .memory import DEFAULT_MAX_DIRECT_MEMORY, check_direct_memory, estimate_direct_memory
from .preconditioners import hybrid_jacobi_preconditioner

__all__ = [
    "CURL_CURL_METHODS",
    "CurlCurlSolver",
    "DIRECT_LIMIT",
    "JACOBI_LIMIT",
    "DIRECT_LIMIT_SPD",
    "SPD_METHODS",
    "factorize_2d",
    "factorized",
    "solve_curl_curl",
    "solve_spd",
    "solve_spd_2d",
]

#: Largest number of free Nédélec unknowns for which ``solve_curl_curl(method="auto")`` uses
#: CG with the hybrid Jacobi preconditioner (edges + gradients,
#: :func:`~mqm_fem.linalg.preconditioners.hybrid_jacobi_preconditioner`; ~0.6× plain Jacobi's
#: iterations and time); above it AMS-CG. The crossover was measured with plain Jacobi
#: on the sphere-in-ball benchmark (λ = R/3,
#: tol 1e-8, one thread, CPU s of set-up + CG): 3.4k unknowns Jacobi 0.03 s (160 iterations),
#: AMS 0.17 s, direct (SuperLU) 0.21 s; 9k 0.11 / 0.18 / 1.9 s; 21k 0.23 / 0.38 / 8.4 s;
#: 49k 0.25 / 0.41 s (346 / 12 iterations); 179k 1.56 / 1.88 s (527 / 13). Jacobi's iterations
#: grow like n^(1/3) (and with λ/h: 207 → 711 → 1174 at 9k for λ = R/3, 3R, 30R) while AMS's stay
#: at 9–14, so AMS wins above a few hundred thousand unknowns; the direct solve is never the
#: faster choice in 3D (fill ∝ n^(5/3)) and is only a fallback.
JACOBI_LIMIT = 300_000
#: Under ``"auto"`` the hybrid Jacobi-CG gets at most this many iterations (about 1.5× what
#: plain Jacobi needs at the largest size on the benchmark); a harder system (λ ≫ h) continues
#: with AMS-CG.
JACOBI_MAXITER = 800
#: Largest system ``"auto"`` would factorise first: none (see :data:`JACOBI_LIMIT`); kept for
#: the fallback rule's documentation and for callers that set it.
DIRECT_LIMIT = 0

#: Same for :func:`solve_spd` (scalar P1 matrices have ~4x fewer nonzeros per row).
DIRECT_LIMIT_SPD = 20_000

#: The methods of :func:`solve_curl_curl` and :func:`solve_spd` (``solver=`` of the solvers).
CURL_CURL_METHODS = ("auto", "direct", "ams-cg", "hybrid-cg", "cg")
SPD_METHODS = ("auto", "direct", "amg-cg")


def _info(method, iterations, A, x, b, t0, **extra):
    nb = np.linalg.norm(b)
    res = np.linalg.norm(b - A @ x) / nb if nb > 0 else np.linalg.norm(A @ x)
    out = {"method": method, "iterations": iterations, "residual": float(res),
           "time_s": time.perf_counter() - t0}
    out.update(extra)
    return out


@functools.lru_cache(maxsize=1)
def _blas_threads() -> ThreadpoolController:
    """The BLAS libraries loaded in this process, scanned once (a scan per CG call cost ~7 ms
    once MKL was loaded too; numpy's OpenBLAS, the one CG uses, is loaded with numpy)."""
    return ThreadpoolController()


#: the variables OpenBLAS takes its thread count from when it loads, the first one set deciding
OPENBLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
#: their values when this module was imported (numpy, hence OpenBLAS, is loaded by then)
_THREAD_ENVIRONMENT = {name: os.environ.get(name) for name in OPENBLAS_THREAD_VARIABLES}


def _openblas_pinned_to_one_thread() -> bool:
    """True when numpy's BLAS is OpenBLAS and the environment it loaded with gives it one
    thread (the first of :data:`OPENBLAS_THREAD_VARIABLES` that is set is "1"), or the machine
    has one core. Other BLAS libraries (MKL, Accelerate), an unset or other value: False."""
    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {}).get("name", "")
    if "openblas" not in str(blas).lower():
        return False
    if os.cpu_count() == 1:
        return True
    for name in OPENBLAS_THREAD_VARIABLES:
        value = _THREAD_ENVIRONMENT[name]
        if value:
            return value.strip() == "1"
    return False


def _one_blas_thread():
    """Context in which numpy's BLAS runs on one thread: a threadpoolctl limit, except when
    OpenBLAS is pinned to one thread already (:func:`_openblas_pinned_to_one_thread`): then
    nothing, which saves threadpoolctl's scan of the loaded libraries (7 ms once per process,
    4 % of a 50k-unknown solve). A limit raised later by hand (threadpoolctl) is not seen; it
    only makes CG's vector operations slower, not its result different."""
    if _openblas_pinned_to_one_thread():
        return contextlib.nullcontext()
    return _blas_threads().limit(limits=1, user_api="blas")


def _pcg(A, b, M, tol, maxiter, x0, what):
    iterations = [0]

    def count(_):
        iterations[0] += 1

    # one BLAS thread: CG's dot products on vectors of 10⁴–10⁶ entries run 5–10x slower with
    # two OpenBLAS threads here (50k unknowns: 0.3 s → 3.2 s), and the sparse products are
    # single-threaded anyway
    with _one_blas_thread():
        x, flag = spla.cg(A, b, x0=x0, rtol=tol, atol=0.0, maxiter=maxiter, M=M,
                          callback=count)
    if flag != 0 or not np.all(np.isfinite(x)):
        nb = np.linalg.norm(b)
        res = np.linalg.norm(b - A @ x) / (nb if nb > 0 else 1.0)
        raise SolverError(
            f"{what}: CG did not converge in {iterations[0]} iterations (relative residual "
            f"{res:.2e}, tol {tol:.1e}); try method='direct' for small problems, a larger maxiter "
            "or looser tol, check that the matrix is symmetric positive (semi)definite and the "
            "right-hand side consistent (no load on vacuum gradients)"
        )
    return x, iterations[0]


# --------------------------------------------------------------------------------------------
# Public solvers
# --------------------------------------------------------------------------------------------


def _nedelec_mass(basis) -> sp.csr_matrix:
    if isinstance(basis, NedelecTet):
        return basis.mass()
    from skfem import BilinearForm, asm
    from skfem.helpers import dot

    @BilinearForm
    def mass(u, v, _):
        return dot(u, v)

    return asm(mass, basis).tocsr()


def _lu_solve(A, b, what):
    """SuperLU solve; returns (x, number of nonzeros in the factors L + U)."""
    try:
        lu = spla.splu(sp.csc_matrix(A))
        x = lu.solve(b)
    except (RuntimeError, MemoryError) as err:  # SuperLU: singular matrix, out of memory ...
        raise SolverError(f"{what}: direct solve failed ({err}); {_hint(what)}") from err
    if not np.all(np.isfinite(x)):
        raise SolverError(f"{what}: direct solve returned non-finite values; {_hint(what)}")
    return x, int(lu.L.nnz + lu.U.nnz)


def factorized(A, *, what: str, dim: int = 3,
               max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY):
    """A reusable direct solve ``x = solve(b)`` of a sparse matrix (SuperLU, COLAMD ordering),
    for systems solved with many right-hand sides. The factorisation is refused with a
    :class:`SolverError` before it starts when :func:`estimate_direct_memory` exceeds
    ``max_direct_memory``; ``what`` names the caller in messages."""
    check_direct_memory(A, max_direct_memory, dim, what, "use a coarser mesh or order=1")
    try:
        lu = spla.splu(sp.csc_matrix(A))
    except (RuntimeError, MemoryError) as err:
        raise SolverError(f"{what}: the factorisation failed ({err}); {_hint(what)}") from err
    return lu.solve


def factorize_2d(matrix, what: str, max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY):
    """b -> A⁻¹b for a symmetric positive-definite 2D (triangle-mesh) matrix: SuperLU after a
    fill-reducing nested-dissection order (:func:`mqm_fem.linalg.ordering.fill_reducing_order`:
    METIS when installed), symmetric mode. On 2D P2 systems of 150k unknowns it is 2× faster
    than SuperLU's COLAMD with 2.7× less fill (measured: 2.3 s vs 5.0 s). The returned
    function carries ``nnz`` (entries of L + U). Raises SolverError before factorising when the
    2D memory estimate (:func:`estimate_direct_memory` with ``dim=2``) exceeds
    ``max_direct_memory``, or when the factorisation fails."""
    from .ordering import fill_reducing_order

    check_direct_memory(matrix, max_direct_memory, 2, what, "use a coarser mesh or order=1")
    perm, _ = fill_reducing_order(matrix)
    if perm is None:
        return factorized(matrix, what=what, dim=2, max_direct_memory=max_direct_memory)
    try:
        lu = spla.splu(sp.csc_matrix(matrix[perm][:, perm]), permc_spec="NATURAL",
                       diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    except (RuntimeError, MemoryError) as err:
        raise SolverError(f"{what}: the factorisation failed ({err})") from err

    def solve(b):
        x = np.empty_like(np.asarray(b, dtype=float))
        x[perm] = lu.solve(np.asarray(b, dtype=float)[perm])
        return x

    solve.nnz = int(lu.L.nnz + lu.U.nnz)
    return solve


def solve_spd_2d(A, b, *, method: str = "auto", tol: float = 1e-10, what: str = "the system",
                 max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY):
    """A symmetric positive-definite 2D (triangle-mesh) system: :func:`factorize_2d` when
    ``method`` is ``"direct"``, or ``"auto"`` and the 2D memory estimate fits — on 2D P2
    systems the factorisation beats AMG-CG at every measured size (50k unknowns 0.5 s vs 1.0 s,
    200k 2.5 s vs 5 s) and serves further loads (adjoints) by back-substitution —, otherwise
    :func:`solve_spd` (AMG-CG). Returns ``(x, info, factor)``: ``factor`` is the b -> A⁻¹b
    function of the direct path (None otherwise)."""
    direct = method == "direct" or (
        method == "auto" and estimate_direct_memory(A, dim=2) <= max_direct_memory)
    if direct and np.linalg.norm(b) > 0:
        t0 = time.perf_counter()
        factor = factorize_2d(A, what, max_direct_memory)
        x = factor(b)
        info = {"method": "direct", "iterations": 0,
                "residual": float(np.linalg.norm(b - A @ x) / np.linalg.norm(b)),
                "time_s": time.perf_counter() - t0, "factor_nnz": factor.nnz}
        return x, info, factor
    x, info = solve_spd(A, b, method=method, tol=tol)
    return x, info, None


def _hint(what):
    if "curl" in what:
        return "try method='ams-cg'"
    return "is the matrix singular (missing Dirichlet condition)? try method='amg-cg'"


class CurlCurlSolver:
    r"""Set-up once, solve many: the curl-curl solver of :func:`solve_curl_curl` for one matrix K.

    ``CurlCurlSolver(K, basis, free_dofs=..., method=...)`` condenses K to the free DOFs and
    chooses the method (the rule of :func:`solve_curl_curl`); the first :meth:`solve` with a
    non-zero load builds the AMS preconditioner, the LU factors of K + εM or the Jacobi
    diagonal, and every later solve reuses them — only CG iterations (or two triangular
    solves) per right-hand side. Use it whenever the operator stays and only the load changes:
    the three field directions of a polarizability tensor
    (:func:`mqm_fem.london.polarizability`), a sweep over the applied field, the loads of an
    adjoint or a current source (an adaptive step changes the mesh, hence K: a new solver). A
    fallback (AMS-CG failed under ``method="auto"``) switches the
    solver for the later solves too. ``setups`` counts the set-ups done, ``setup_s`` their wall
    time.

    Parameters are those of :func:`solve_curl_curl` without the load; ``b`` and ``x0`` go to
    :meth:`solve`. ``gradient_energy`` (optional, per mesh vertex, or a function returning it,
    called only if the hybrid preconditioner is set up): diag(GᵀKG) in closed form for
    :func:`~mqm_fem.linalg.preconditioners.hybrid_jacobi_preconditioner`, e.g.
    :meth:`mqm_fem.fem.nedelec.NedelecTet.gradient_energy` when K = C + M_σ.
    """

    def __init__(self, K, basis, *, free_dofs=None, method: str = "auto", tol: float = 1e-10,
                 maxiter: int = 500, regularization: float = 1e-12,
                 max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY, gradient_energy=None):
        if method not in CURL_CURL_METHODS:
            raise ParameterError(f"solver: {method!r} is not one of "
                                 f"{', '.join(CURL_CURL_METHODS)}")
        self.basis, self.tol, self.maxiter = basis, tol, maxiter
        self.regularization, self.max_direct_memory = regularization, max_direct_memory
        self.requested, self.gradient_energy = method, gradient_energy
        self._condensed = _Condensed(K, basis.N, free_dofs)
        self.matrix = self._condensed.matrix
        self.fits = estimate_direct_memory(self.matrix) <= max_direct_memory
        if method == "auto":
            n = self.matrix.shape[0]
            method = ("direct" if n <= DIRECT_LIMIT and self.fits
                      else "hybrid-cg" if n <= JACOBI_LIMIT else "ams-cg")
        self.method = method
        self.setups, self.setup_s, self.fallback = 0, 0.0, None
        self._apply = None  # the set-up: preconditioner (CG) or LU solve (direct)
        self._extra: dict = {}

    @property
    def n(self) -> int:
        """Number of free unknowns (the size of the condensed system)."""
        return self.matrix.shape[0]

    def solve(self, b, x0=None):
        """Solve K x = b (full or condensed ``b`` like the matrix given); returns ``(x, info)``
        with the keys of :func:`solve_curl_curl` plus ``setup_s`` (set-up time spent in this
        call, 0 when reused) and ``setups`` (set-ups so far)."""
        t0 = time.perf_counter()
        bf, x0f, expand = self._condensed.load(b, x0)
        if np.linalg.norm(bf) == 0.0:
            xf = np.zeros_like(bf)
            return expand(xf), _info(self.method, 0, self.matrix, xf, bf, t0)
        before = self.setup_s
        xf, its = self._solve_condensed(bf, x0f)
        extra = dict(self._extra, setup_s=self.setup_s - before, setups=self.setups)
        if self.fallback:
            extra["fallback"] = self.fallback
        method = "jacobi-cg" if self.method == "cg" else self.method
        return expand(xf), _info(method, its, self.matrix, xf, bf, t0, **extra)

    def solve_many(self, B, x0=None):
        """Solve for the columns of ``B`` (n × k) with one set-up; returns ``(X, infos)``."""
        B = np.asarray(B, dtype=float)
        if B.ndim != 2:
            raise ParameterError(f"B must be a 2D array (one right-hand side per column), got "
                                 f"shape {B.shape}")
        out = [self.solve(B[:, j], None if x0 is None else np.asarray(x0)[:, j])
               for j in range(B.shape[1])]
        return np.column_stack([x for x, _ in out]), [info for _, info in out]

    def _solve_condensed(self, bf, x0f):
        if self.method == "hybrid-cg":
            try:
                maxiter = JACOBI_MAXITER if self.requested == "auto" else 20 * self.n
                return self._cg(bf, x0f, maxiter, "solve_curl_curl (hybrid Jacobi-CG)")
            except SolverError:
                if self.requested != "auto":
                    raise
                self.method, self._apply = "ams-cg", None
                self.fallback = (f"hybrid Jacobi-CG needed more than {JACOBI_MAXITER} "
                                 "iterations; AMS-CG used")
        if self.method == "ams-cg":
            try:
                return self._cg(bf, x0f, self.maxiter, "solve_curl_curl (AMS-CG)")
            except SolverError as err:
                if self.requested != "auto":
                    raise
                self.method, self._apply = ("direct" if self.fits else "cg"), None
                self.fallback = f"AMS-CG failed ({err}); {self.method} used"
        if self.method == "cg":
            return self._cg(bf, x0f, 20 * self.n, "solve_curl_curl (Jacobi-CG)")
        self._set_up()
        xf = self._apply(bf)
        if not np.all(np.isfinite(xf)):
            raise SolverError(f"solve_curl_curl: direct solve returned non-finite values; "
                              f"{_hint('curl')}")
        return xf, 0

    def _cg(self, bf, x0f, maxiter, what):
        self._set_up()
        return _pcg(self.matrix, bf, self._apply, self.tol, maxiter, x0f, what)

    def _set_up(self) -> None:
        """Build the method's preconditioner / factors once (timed and counted)."""
        if self._apply is not None:
            return
        t0 = time.perf_counter()
        Kf = self.matrix
        if self.method == "ams-cg":
            self._apply = ams_preconditioner(Kf, self.basis, self._condensed.free)
        elif self.method == "cg":
            self._apply = sp.diags(1.0 / np.where(Kf.diagonal() == 0, 1.0, Kf.diagonal()))
        elif self.method == "hybrid-cg":
            self._apply = hybrid_jacobi_preconditioner(Kf, self.basis, self._condensed.free,
                                                       self.gradient_energy)
        else:
            self._apply = self._factorise()
        self.setups += 1
        self.setup_s += time.perf_counter() - t0

    def _factorise(self):
        """LU of K + εM (module doc); records ε and the factors' size in ``info``."""
        Kf = self.matrix
        check_direct_memory(Kf, self.max_direct_memory)
        M = _nedelec_mass(self.basis)[self._condensed.free][:, self._condensed.free]
        eps = self.regularization * Kf.diagonal().mean() / M.diagonal().mean()
        try:
            lu = spla.splu(sp.csc_matrix(Kf + eps * M))
        except (RuntimeError, MemoryError) as err:
            raise SolverError(f"solve_curl_curl: direct solve failed ({err}); "
                              f"{_hint('curl')}") from err
        self._extra = {"regularization": float(eps), "factor_nnz": int(lu.L.nnz + lu.U.nnz)}
        return lu.solve


class _Condensed:
    """K restricted to the free DOFs, and the matching load / initial guess / expansion for a
    full or an already condensed system, kept for many loads."""

    def __init__(self, K, n_all, free_dofs):
        K = sp.csr_matrix(K, dtype=float)
        if K.shape[0] != K.shape[1]:
            raise ParameterError(f"K must be square, got shape {K.shape}")
        n = K.shape[0]
        self.n_full, self.coupling, self.fixed = n, None, None
        if free_dofs is None:
            if n_all is not None and n != n_all:
                raise ParameterError(f"K is {n}×{n} but the basis has {n_all} DOFs; pass "
                                     "free_dofs for a condensed system")
            self.matrix, self.free = K, np.arange(n)
            return
        free = np.asarray(free_dofs, dtype=np.int64).ravel()
        self.free = free
        if n == len(free):  # already condensed
            self.matrix = K
            return
        if n_all is not None and n != n_all:
            raise ParameterError(f"K is {n}×{n}: expected the full system ({n_all} DOFs) or "
                                 f"the condensed one ({len(free)} = len(free_dofs))")
        if free.size and (free.min() < 0 or free.max() >= n):
            raise ParameterError(f"free_dofs must be indices in [0, {n})")
        mask = np.ones(n, dtype=bool)
        mask[free] = False
        self.fixed = np.flatnonzero(mask)
        rows = K[free]
        self.matrix = rows[:, free].tocsr()
        self.coupling = rows[:, self.fixed].tocsr()

    def load(self, b, x0):
        """(b_f, x0_f, expand) for a load ``b`` and initial guess / Dirichlet values ``x0``."""
        n = self.n_full
        b = np.asarray(b, dtype=float).ravel()
        if b.shape[0] != n:
            raise ParameterError(f"b has {b.shape[0]} entries but K is {n}×{n}")
        if x0 is not None:
            x0 = np.asarray(x0, dtype=float).ravel()
            if x0.shape[0] != n:
                raise ParameterError(f"x0 has {x0.shape[0]} entries, expected {n} (like b)")
        if self.fixed is None:
            return b, x0, (lambda xf: xf)
        x_full = np.zeros(n) if x0 is None else x0.copy()
        bf = b[self.free] - self.coupling @ x_full[self.fixed]

        def expand(xf):
            out = x_full.copy()
            out[self.free] = xf
            return out

        return bf, (None if x0 is None else x_full[self.free]), expand


def solve_curl_curl(K, b, basis, *, free_dofs=None, method: str = "auto", tol: float = 1e-10,
                    maxiter: int = 500, x0=None, regularization: float = 1e-12,
                    max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY):
    r"""Solve the Nédélec curl-curl system :math:`K x = b`, :math:`K = C + M_\sigma` (module doc).

    This is the one place where a curl-curl solver is chosen (``method="auto"``):

    1. ``"hybrid-cg"`` (CG, Jacobi on edges and gradients) when the free unknowns are at most
       ``JACOBI_LIMIT``; if it needs more than ``JACOBI_MAXITER`` iterations, AMS-CG;
    2. else ``"ams-cg"``; if CG does not converge, ``"direct"`` when it fits, otherwise
       Jacobi-preconditioned CG. A fallback is recorded in ``info["fallback"]``.

    One-shot form of :class:`CurlCurlSolver` (set-up and one solve); for several loads on the
    same K build the solver once and call its ``solve``.

    Parameters
    ----------
    K, b : the system, either full (basis.N unknowns; then ``free_dofs`` selects the unknowns and
        the other DOFs are fixed to ``x0`` there, zero by default — homogeneous n×A = 0) or
        already condensed to ``free_dofs`` (len(free_dofs) unknowns, e.g. from skfem's
        ``condense(K, b, D=D, expand=False)``).
    basis : skfem ``Basis(MeshTet, ElementTetN0)`` or :class:`~mqm_fem.fem.nedelec.NedelecTet`
        on which K was assembled.
    free_dofs : indices of the free (interior, non-Dirichlet) DOFs; None = all DOFs free.
    method : one of ``CURL_CURL_METHODS``: ``"auto"`` (above), ``"direct"`` (LU of K + εM, see
        module doc), ``"ams-cg"`` (CG with the AMS preconditioner), ``"hybrid-cg"`` (CG with
        Jacobi on the edges and the gradients), ``"cg"`` (Jacobi-CG on the
        singular consistent system; slow, for comparison).
    tol : relative residual ‖b − Kx‖/‖b‖ for CG.
    maxiter : CG iteration limit (AMS-CG; Jacobi-CG may take 20·n).
    x0 : initial guess / Dirichlet values (same length as b).
    regularization : relative ε of the direct method's shift (module doc).
    max_direct_memory : bytes; a direct solve whose :func:`estimate_direct_memory` exceeds it
        raises SolverError.

    Returns
    -------
    x : solution (same length as b; the fixed DOFs of a full system carry x0, or 0).
    info : dict with ``method``, ``iterations`` (0 for direct), ``residual`` (relative residual of
        the unregularised condensed system), ``time_s`` (including the set-up), ``setup_s``
        (AMS set-up, factorisation or Jacobi diagonal) and ``setups``; plus ``regularization``
        (absolute ε) and ``factor_nnz`` (entries of L + U) for direct.

    Raises
    ------
    SolverError if CG does not converge or a direct factorisation fails / would not fit.
    ParameterError for inconsistent shapes or an unknown method.
    """
    t0 = time.perf_counter()
    solver = CurlCurlSolver(K, basis, free_dofs=free_dofs, method=method, tol=tol,
                            maxiter=maxiter, regularization=regularization,
                            max_direct_memory=max_direct_memory)
    x, info = solver.solve(b, x0)
    info["time_s"] = time.perf_counter() - t0
    return x, info


def solve_spd(A, b, *, method: str = "auto", tol: float = 1e-10, maxiter: int = 500, x0=None,
              max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY):
    r"""Solve a symmetric positive-definite system (scalar H1 problems, e.g. −λ²Δu + u = f).

    A must already carry its boundary conditions (e.g. ``condense(A, b, D=D, expand=False)``).
    method : ``"direct"`` (SuperLU), ``"amg-cg"`` (CG preconditioned by one pyamg
        smoothed-aggregation V-cycle) or ``"auto"``: direct up to ``DIRECT_LIMIT_SPD`` unknowns
        (if the memory estimate fits), AMG-CG above, falling back to direct if CG fails and
        the factorisation fits. Returns ``(x, info)`` like :func:`solve_curl_curl`.
    Raises SolverError when CG does not converge or the factorisation fails or would not fit.
    """
    t0 = time.perf_counter()
    if method not in SPD_METHODS:
        raise ParameterError(f"solver: {method!r} is not one of {', '.join(SPD_METHODS)}")
    condensed = _Condensed(A, None, None)
    b, x0, _ = condensed.load(b, x0)
    A = condensed.matrix
    fits = estimate_direct_memory(A) <= max_direct_memory
    requested = method
    if method == "auto":
        method = "direct" if A.shape[0] <= DIRECT_LIMIT_SPD and fits else "amg-cg"
    if np.linalg.norm(b) == 0.0:
        return np.zeros_like(b), _info(method, 0, A, np.zeros_like(b), b, t0)
    if method == "amg-cg":
        try:
            x, its = _pcg(A, b, amg_preconditioner(A), tol, maxiter, x0, "solve_spd (AMG-CG)")
            return x, _info("amg-cg", its, A, x, b, t0)
        except SolverError:
            if requested != "auto" or not fits:
                raise
    check_direct_memory(A, max_direct_memory)
    x, factor_nnz = _lu_solve(A, b, "solve_spd")
    return x, _info("direct", 0, A, x, b, t0, factor_nnz=factor_nnz)
