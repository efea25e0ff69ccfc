r"""Linear solvers for the curl-curl systems of the 3D London problem and for scalar H1 problems.

Curl-curl systems (physics.md §1a/§1b)
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
* ``"auto"`` — ``"direct"`` up to ``DIRECT_LIMIT`` (10 000) free unknowns when the estimated LU
  memory (:func:`estimate_direct_memory`) fits, otherwise ``"ams-cg"`` (falling back to
  ``"direct"`` if CG fails and the factorisation fits). SuperLU fill grows like n^(5/3) on 3D
  meshes, so the direct solve is only the faster choice for small systems.

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

import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

# The eigen-solvers (shift-invert / LOBPCG, same memory guard) live in mqm_fem.eigen; they are
# re-exported here so that every solver choice of the package is reachable from this module.
from .eigen import EIGENSOLVERS, lowest_eigenpairs
from .errors import ParameterError, SolverError

__all__ = [
    "EIGENSOLVERS",
    "lowest_eigenpairs",
    "DIRECT_LIMIT",
    "DIRECT_LIMIT_SPD",
    "NedelecTet",
    "SolverError",
    "ams_preconditioner",
    "discrete_gradient",
    "estimate_direct_memory",
    "factorized",
    "nedelec_interpolation",
    "prepare_tet_edges",
    "solve_curl_curl",
    "solve_spd",
]

#: Largest number of free Nédélec unknowns for which ``solve_curl_curl(method="auto")`` factorises.
#: SuperLU fill grows like n^(5/3) on 3D meshes (benchmarks/ams_scaling.py, sphere in box):
#: 17.5k unknowns 3.4 s (AMS-CG 0.2 s), 92k unknowns 166 s and ~4 GB (AMS-CG 1.0 s), 289k would
#: need ~25–40 GB (AMS-CG 3.7 s); so direct is only the faster choice for small systems.
DIRECT_LIMIT = 10_000

#: Same for :func:`solve_spd` (scalar P1 matrices have ~4x fewer nonzeros per row).
DIRECT_LIMIT_SPD = 20_000

#: Default memory ceiling (bytes) for a direct factorisation (refused above with SolverError).
DEFAULT_MAX_DIRECT_MEMORY = 4 * 2**30


# --------------------------------------------------------------------------------------------
# Discrete operators between the Nédélec space and the vertex (P1) spaces
# --------------------------------------------------------------------------------------------


def _edge_dofs(basis) -> np.ndarray:
    """Global DOF index of every mesh edge for a lowest-order Nédélec basis on tetrahedra.

    skfem's ``ElementTetN0`` has one DOF per edge, the line integral
    :math:`\\int_e u\\cdot\\mathrm{d}l` along the edge from its lower to its higher global vertex
    index (``ElementHcurl.orient`` flips the reference basis function where ``t[i] > t[j]``;
    ``mesh.edges`` is stored sorted, so ``edges[0] < edges[1]`` gives that direction).
    """
    from skfem import ElementTetN0, MeshTet

    if isinstance(basis, NedelecTet):
        return np.arange(basis.N)
    if not isinstance(basis.mesh, MeshTet) or not isinstance(basis.elem, ElementTetN0):
        raise ParameterError(
            "basis: expected a skfem Basis of ElementTetN0 (lowest-order Nédélec) on MeshTet, "
            f"got {type(basis.elem).__name__} on {type(basis.mesh).__name__}"
        )
    mesh = basis.mesh
    dof = np.empty(mesh.nedges, dtype=np.int64)
    dof[mesh.t2e.ravel()] = basis.element_dofs.ravel()
    return dof


def _edge_vectors(basis):
    mesh = basis.mesh
    edges = np.sort(mesh.edges, axis=0)  # skfem stores them sorted; be explicit
    return edges, mesh.p[:, edges[1]] - mesh.p[:, edges[0]]


def discrete_gradient(basis) -> sp.csr_matrix:
    r"""Discrete gradient :math:`G` (basis.N × nvertices): Nédélec DOFs of :math:`\nabla p`.

    For a P1 function with vertex values p, the DOF of edge e = (a→b), a < b, is
    :math:`\int_e \nabla p\cdot dl = p_b - p_a`, so :math:`G_{e,b} = +1`, :math:`G_{e,a} = -1`.
    Exact: :math:`C G = 0` for the curl-curl matrix (``test_discrete_gradient_kernel``).
    """
    dof = _edge_dofs(basis)
    edges, _ = _edge_vectors(basis)
    ne = edges.shape[1]
    rows = np.concatenate([dof, dof])
    cols = np.concatenate([edges[1], edges[0]])
    vals = np.concatenate([np.ones(ne), -np.ones(ne)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(basis.N, basis.mesh.nvertices))


def nedelec_interpolation(basis) -> sp.csr_matrix:
    r"""Nédélec interpolation :math:`\Pi` (basis.N × 3·nvertices) of continuous vector P1 fields.

    Column ``3*v + k`` is component k at vertex v. For a linear field on edge e = (a→b) with
    edge vector :math:`t_e = x_b - x_a`, :math:`\int_e u\cdot dl = t_e\cdot(u_a + u_b)/2`, hence
    :math:`\Pi_{e,(v,k)} = t_{e,k}/2` for both endpoints v. Exact for every field
    :math:`a + b\times x` (``test_nedelec_interpolation_exact``).
    """
    dof = _edge_dofs(basis)
    edges, tvec = _edge_vectors(basis)
    rows = np.tile(dof, 6)
    cols = np.concatenate([3 * edges[j] + k for j in (0, 1) for k in range(3)])
    vals = np.concatenate([0.5 * tvec[k] for _ in (0, 1) for k in range(3)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(basis.N, 3 * basis.mesh.nvertices))


# --------------------------------------------------------------------------------------------
# Fast lowest-order Nédélec assembly (closed-form Whitney element matrices)
# --------------------------------------------------------------------------------------------

#: skfem's local edge numbering of a tetrahedron (``RefTet.edges``).
TET_EDGES = np.array([[0, 1], [1, 2], [0, 2], [0, 3], [1, 3], [2, 3]])


def prepare_tet_edges(mesh) -> None:
    """Build skfem's edge tables ``mesh.edges`` / ``mesh.t2e`` with an int64-key ``np.unique``.

    skfem builds them lazily with ``np.unique(..., axis=1)`` on a (2, 6·nelements) array,
    which sorts structured rows and took 2.2 s of a 14 s solve at 82k edges (3.9 s at 190k).
    Encoding an edge (a < b) as a·nvertices + b gives the same lexicographic order, hence the
    identical tables (``tests/test_solvers.py::test_fast_nedelec_assembly``), 5–10x faster.
    Does nothing if the tables exist already.
    """
    if hasattr(mesh, "_t2e") or mesh.t.shape[0] != 4:
        return
    t = mesh.t
    nv = np.int64(mesh.nvertices)
    a, b = t[TET_EDGES[:, 0]].astype(np.int64), t[TET_EDGES[:, 1]].astype(np.int64)
    key = np.minimum(a, b) * nv + np.maximum(a, b)
    uniq, inverse = np.unique(key.ravel(), return_inverse=True)
    mesh._edges = np.ascontiguousarray(np.vstack([uniq // nv, uniq % nv]).astype(t.dtype))
    mesh._t2e = inverse.reshape(key.shape)


class NedelecTet:
    r"""Closed-form lowest-order Nédélec (Whitney) element data on a tetrahedral mesh.

    The basis function of edge (a → b), a < b in global vertex numbering, is
    :math:`\varphi = \lambda_a\nabla\lambda_b - \lambda_b\nabla\lambda_a` (line integral 1
    along a → b), exactly skfem's ``ElementTetN0`` with its orientation, and the DOF of edge i is
    i (``mesh.t2e``). With barycentric gradients :math:`\nabla\lambda` and volume |T|:

    * :math:`\nabla\times\varphi_{ab} = 2\nabla\lambda_a\times\nabla\lambda_b` (constant),
      curl-curl entries :math:`|T|\,(\nabla\times\varphi_k)\cdot(\nabla\times\varphi_l)`;
    * mass entries from :math:`\int_T\lambda_i\lambda_j = |T|(1+\delta_{ij})/20`.

    Units: lengths in mesh units; curl-curl entries scale as length⁻¹, mass entries as length.
    Replaces skfem's quadrature assembly for the London A-formulation (≈5x faster, no
    basis-function arrays in memory); agreement with skfem to round-off is tested in
    ``tests/test_solvers.py::test_fast_nedelec_assembly``.
    """

    def __init__(self, mesh):
        prepare_tet_edges(mesh)
        t = mesh.t
        p = mesh.p
        self.mesh = mesh
        self.N = mesh.nedges
        self.dofs = np.asarray(mesh.t2e)  # (6, nelements)
        a, b = t[TET_EDGES[:, 0]], t[TET_EDGES[:, 1]]
        self.signs = np.where(a < b, 1.0, -1.0).T  # (nelements, 6)
        # (ne, 3, 3): column k−1 is the edge vector x_k − x_0
        jac = np.stack([p[:, t[k]] - p[:, t[0]] for k in (1, 2, 3)], axis=-1).transpose(1, 0, 2)
        det = np.linalg.det(jac)
        self.volume = np.abs(det) / 6.0
        grads = np.empty((t.shape[1], 4, 3))
        grads[:, 1:] = np.linalg.inv(jac)  # rows: ∇λ_1..3
        grads[:, 0] = -grads[:, 1:].sum(axis=1)
        self.grads = grads
        ga, gb = grads[:, TET_EDGES[:, 0]], grads[:, TET_EDGES[:, 1]]
        self.curls = 2.0 * np.cross(ga, gb) * self.signs[:, :, None]  # (ne, 6, 3)

    def _mass_elements(self, elements=None):
        """Element mass matrices (n, 6, 6) of the given elements (all if None)."""
        sel = slice(None) if elements is None else elements
        g = self.grads[sel]
        dots = np.einsum("eik,ejk->eij", g, g)  # ∇λ_i·∇λ_j
        ia, ib = TET_EDGES[:, 0], TET_EDGES[:, 1]
        a, b, c, d = ia[:, None], ib[:, None], ia[None, :], ib[None, :]
        m = ((1 + (a == c)) * dots[:, b, d] - (1 + (a == d)) * dots[:, b, c]
             - (1 + (b == c)) * dots[:, a, d] + (1 + (b == d)) * dots[:, a, c])
        s = self.signs[sel]
        return m * (self.volume[sel] / 20.0)[:, None, None] * s[:, :, None] * s[:, None, :]

    def assemble(self, sigma=None) -> sp.csr_matrix:
        r"""K = C + M_σ as CSR: curl-curl over all elements plus σ-weighted mass.

        ``sigma``: per-element coefficient (mesh units⁻², e.g. λ⁻² in superconductors, 0 in
        vacuum) or None for the curl-curl matrix alone.
        """
        ke = np.einsum("eki,eli->ekl", self.curls, self.curls) * self.volume[:, None, None]
        if sigma is not None:
            sigma = np.asarray(sigma, dtype=float)
            on = np.flatnonzero(sigma)
            ke[on] += sigma[on, None, None] * self._mass_elements(on)
        return self._scatter(ke)

    def mass(self, sigma=None) -> sp.csr_matrix:
        """σ-weighted (or plain, sigma=None) Nédélec mass matrix."""
        if sigma is None:
            return self._scatter(self._mass_elements())
        sigma = np.asarray(sigma, dtype=float)
        me = np.zeros((len(sigma), 6, 6))
        on = np.flatnonzero(sigma)
        me[on] = sigma[on, None, None] * self._mass_elements(on)
        return self._scatter(me)

    def mass_apply(self, sigma, vec) -> np.ndarray:
        """M_σ @ vec element by element (no global matrix)."""
        sigma = np.asarray(sigma, dtype=float)
        on = np.flatnonzero(sigma)
        dofs = self.dofs[:, on]
        local = np.einsum("ekl,le->ek", sigma[on, None, None] * self._mass_elements(on),
                          vec[dofs])
        return np.bincount(dofs.T.ravel(), weights=local.ravel(), minlength=self.N)

    def vertex_values(self, vec) -> np.ndarray:
        """Values (nelements, 4, 3) of the Nédélec field ``vec`` at each element's vertices.

        On an element the field is linear: at vertex j, φ_ab = δ_aj ∇λ_b − δ_bj ∇λ_a.
        """
        xs = vec[self.dofs].T * self.signs  # (ne, 6)
        out = np.zeros(self.grads.shape)
        for k, (a, b) in enumerate(TET_EDGES):
            out[:, a] += xs[:, k, None] * self.grads[:, b]
            out[:, b] -= xs[:, k, None] * self.grads[:, a]
        return out

    def element_curls(self, vec) -> np.ndarray:
        """∇×u per element (nelements, 3) for Nédélec DOFs ``vec`` (constant for N0)."""
        return np.einsum("ek,eki->ei", vec[self.dofs].T, self.curls)

    def boundary_dofs(self, facets) -> np.ndarray:
        """DOFs (edge indices) of the edges of the given boundary facets (indices)."""
        tri = np.sort(self.mesh.facets[:, facets], axis=0).astype(np.int64)
        nv = np.int64(self.mesh.nvertices)
        keys = np.concatenate([tri[0] * nv + tri[1], tri[1] * nv + tri[2], tri[0] * nv + tri[2]])
        edge_keys = self.mesh.edges[0].astype(np.int64) * nv + self.mesh.edges[1]
        return np.unique(np.searchsorted(edge_keys, np.unique(keys)))

    def _scatter(self, local) -> sp.csr_matrix:
        ne = local.shape[0]
        idx_type = np.int32 if self.N < 2**31 else np.int64
        dofs = self.dofs.T.astype(idx_type)  # (ne, 6)
        rows = np.broadcast_to(dofs[:, :, None], (ne, 6, 6)).ravel()
        cols = np.broadcast_to(dofs[:, None, :], (ne, 6, 6)).ravel()
        mat = sp.coo_matrix((local.ravel(), (rows, cols)), shape=(self.N, self.N)).tocsr()
        mat.sum_duplicates()
        return mat


# --------------------------------------------------------------------------------------------
# The AMS (Hiptmair–Xu) preconditioner
# --------------------------------------------------------------------------------------------


def _amg(A: sp.csr_matrix, B=None, max_coarse: int = 100):
    """One smoothed-aggregation V-cycle as a LinearOperator (deterministic set-up).

    ``improve_candidates=None``: the near-nullspace vectors passed in (constants, gradients of
    quadratics) are exact algebraic near-kernel vectors, so pyamg's default 4 block-GS sweeps
    on them only cost set-up time (−20 % set-up at 180k unknowns, same iteration counts).

    pyamg estimates spectral radii from ``np.random`` start vectors; the global generator is
    seeded for the set-up and restored afterwards, so equal inputs give equal preconditioners.
    """
    import pyamg

    state = np.random.get_state()  # noqa: NPY002 (pyamg draws from the legacy generator)
    try:
        np.random.seed(20261124)  # noqa: NPY002
        ml = pyamg.smoothed_aggregation_solver(A, B=B, max_coarse=max_coarse,
                                               improve_candidates=None)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return ml.aspreconditioner(cycle="V")


def _near_kernel_vector_fields(points) -> np.ndarray:
    """Near-nullspace of ΠᵀKΠ for smoothed aggregation (3·nvertices × 9, interleaved x,y,z).

    The three constant fields and the six gradients of quadratics, (x,0,0), (0,y,0), (0,0,z),
    (y,x,0), (z,0,x), (0,z,y): curl-free, hence of near-zero energy wherever σ is small. With
    the constants alone the CG iterations grew by 1.7 from h to h/4 (box mesh, boundary
    vertices in the Π space); with these they stay flat.
    """
    x, y, z = points - points.mean(axis=1, keepdims=True)
    o = np.zeros_like(x)
    one = np.ones_like(x)
    fields = [(one, o, o), (o, one, o), (o, o, one), (x, o, o), (o, y, o), (o, o, z),
              (y, x, o), (z, o, x), (o, z, y)]
    return np.column_stack([np.column_stack(f).ravel() for f in fields])


def _pin_floating_components(AG, G, tol: float = 1e-8):
    r"""Remove the floating-potential kernel of the gradient-space matrix :math:`G^T K G`.

    A superconductor that does not touch the Dirichlet boundary is surrounded by σ = 0 vacuum,
    so :math:`p = 1` on its vertices (0 elsewhere) gives :math:`K G p = 0`: the gradient of
    its "floating" potential jumps only across vacuum edges. :math:`G^T K G` is then singular
    with one constant null vector per such component. pyamg's smoothed aggregation carries
    that null vector to the coarsest level, where ``pinv`` meets an eigenvalue that is zero only
    up to round-off and may invert it (×1e14): the G-correction then injects a huge
    kernel-plus-round-off component and CG stalls. This happened on strongly graded meshes
    (sphere with h_sc = 0.03 in a box with h = 5: 300 iterations, relative residual 1e-7
    instead of 9 iterations; ``tests/test_solvers.py::test_ams_graded_mesh``).

    Fix: in every connected component of the graph of :math:`G^T K G` whose constant vector
    is a null vector (‖A 1‖_∞ ≤ tol · max diag), drop one vertex (the one with the largest
    diagonal) from the gradient space. The spanned gradients are unchanged modulo the kernel of
    K, and the matrix becomes positive definite. Returns (AG, G, number of dropped vertices).
    """
    from scipy.sparse.csgraph import connected_components

    n = AG.shape[0]
    if n == 0:
        return AG, G, 0
    ncomp, label = connected_components(AG, directed=False)
    # A 1_c restricted to component c is the row sums there (no couplings between components)
    defect = np.zeros(ncomp)
    np.maximum.at(defect, label, np.abs(AG @ np.ones(n)))
    diag = AG.diagonal()
    dmax = np.zeros(ncomp)
    np.maximum.at(dmax, label, diag)
    floating = defect <= tol * dmax
    if not floating.any():
        return AG, G, 0
    order = np.lexsort((-diag, label))  # by component, largest diagonal first
    first = order[np.r_[0, np.flatnonzero(np.diff(label[order])) + 1]]
    drop = first[floating[label[first]]]
    keep = np.setdiff1d(np.arange(n), drop)
    return AG[keep][:, keep].tocsr(), G[:, keep].tocsr(), len(drop)


def ams_preconditioner(K, basis, free_dofs=None, *, vacuum_tol: float = 1e-10,
                       smoothing_sweeps: int = 2):
    r"""Hiptmair–Xu auxiliary-space preconditioner for the free-free block of K.

    Parameters
    ----------
    K : sparse matrix, the condensed system (len(free_dofs) square).
    basis : skfem Basis(MeshTet, ElementTetN0) the system was assembled on.
    free_dofs : indices of the free (non-Dirichlet) Nédélec DOFs; all DOFs if None.
    vacuum_tol : vertices whose σ-Laplacian diagonal (GᵀKG)_vv is below vacuum_tol × the
        curl scale (Gᵀ|diag K|)_v carry only kernel directions of K and are left out of the
        gradient space.
    smoothing_sweeps : Gauss–Seidel sweeps on K before (forward) and after (backward) the
        auxiliary corrections.

    Returns a symmetric positive-definite :class:`scipy.sparse.linalg.LinearOperator`.
    """
    import pyamg.relaxation.relaxation as relax

    K = sp.csr_matrix(K, dtype=float)
    n = K.shape[0]
    free = np.arange(basis.N) if free_dofs is None else np.asarray(free_dofs)
    if free.shape[0] != n:
        raise ParameterError(f"K has {n} rows but free_dofs has {free.shape[0]} entries")
    G_all = discrete_gradient(basis)
    G = G_all[free].tocsc()
    P = nedelec_interpolation(basis)[free].tocsc()

    # gradient space: vertices whose full gradient lies in the free space (all incident edges
    # free) and that are not in pure vacuum (σ = 0 ⇒ ∇p is in the kernel of K)
    n_edges_all = np.asarray(abs(G_all).sum(axis=0)).ravel()
    n_edges_free = np.asarray(abs(G).sum(axis=0)).ravel()
    AG_diag = np.asarray((G.multiply(K @ G)).sum(axis=0)).ravel()
    scale = abs(G).T @ abs(K.diagonal())
    keep_g = np.nonzero((n_edges_free == n_edges_all) & (AG_diag > vacuum_tol * scale))[0]
    G = G[:, keep_g].tocsr()
    AG = (G.T @ K @ G).tocsr()
    AG, G, pinned = _pin_floating_components(AG, G)
    # vector P1 space: interior vertices (H¹₀ fields; including the boundary vertices makes
    # ΠᵀKΠ singular and the iteration counts grow on unstructured meshes)
    keep_v = np.nonzero(n_edges_free == n_edges_all)[0]
    keep_p = (3 * keep_v[:, None] + np.arange(3)).ravel()
    P = P[:, keep_p].tocsr()

    AP = (P.T @ K @ P).tocsr()
    solve_g = _amg(AG) if G.shape[1] else None
    solve_p = _amg(AP, _near_kernel_vector_fields(basis.mesh.p[:, keep_v])) \
        if len(keep_v) >= 9 else None
    GT = G.T.tocsr()
    PT = P.T.tocsr()

    def apply(r):
        r = np.asarray(r, dtype=float).ravel()
        x = np.zeros_like(r)
        relax.gauss_seidel(K, x, r, iterations=smoothing_sweeps, sweep="forward")
        if solve_p is not None:
            x += P @ solve_p(PT @ (r - K @ x))
        if solve_g is not None:
            x += G @ solve_g(GT @ (r - K @ x))
        if solve_p is not None:
            x += P @ solve_p(PT @ (r - K @ x))
        relax.gauss_seidel(K, x, r, iterations=smoothing_sweeps, sweep="backward")
        return x

    op = spla.LinearOperator((n, n), matvec=apply, dtype=float)
    op.info = {"gradient_vertices": G.shape[1], "vector_vertices": len(keep_v),
               "pinned_vertices": pinned}
    return op


# --------------------------------------------------------------------------------------------
# Direct-solve memory guard
# --------------------------------------------------------------------------------------------


def estimate_direct_memory(A, dim: int = 3) -> int:
    r"""Rough estimate (bytes) of the memory a SuperLU factorisation of A needs (3D FEM matrix).

    Empirical model: the LU factors hold about :math:`0.2\,\mathrm{nnz}(A)\,n^{2/3}` entries,
    i.e. fill growing like :math:`n^{5/3}`. Fitted to scipy's ``splu`` (COLAMD ordering) on
    Nédélec sphere-in-box systems: measured coefficient 0.13–0.15 on structured box meshes from
    1.2k to 92k unknowns (92k: 2.98e8 factor entries), 0.10 on a gmsh mesh
    (``benchmarks/ams_scaling.py`` prints measured vs estimated). 16 bytes per factor entry
    (value, index, SuperLU workspace), so the estimate errs on the safe side by about 2x;
    2D matrices fill far less, so it is pessimistic there. Meant to refuse factorisations
    that cannot fit, not to predict exactly: 289k Nédélec unknowns → 43 GiB.

    ``dim=2`` (triangle meshes) uses the nested-dissection fill of planar graphs instead,
    :math:`12\,n\log_2 n` entries (measured 5.8–10.4 × n log₂n for P2 at 197k unknowns,
    :mod:`mqm_fem.eigen`).
    """
    A = sp.csr_matrix(A)
    n = max(A.shape[0], 2)
    if dim <= 2:
        return int(16 * 12 * n * np.log2(n))
    return int(16 * 0.2 * A.nnz * n ** (2.0 / 3.0))


def _check_direct_memory(A, max_memory, dim: int = 3, what: str = "direct solve",
                         hint: str = "use the iterative method (method='ams-cg' / 'amg-cg') "
                         "or a coarser mesh") -> None:
    need = estimate_direct_memory(A, dim)
    if need > max_memory:
        raise SolverError(
            f"{what} refused: LU of a {A.shape[0]}-unknown matrix needs about "
            f"{need / 2**30:.1f} GiB (> max_direct_memory = {max_memory / 2**30:.1f} GiB); "
            f"{hint}"
        )


def _info(method, iterations, A, x, b, t0, **extra):
    nb = np.linalg.norm(b)
    res = np.linalg.norm(b - A @ x) / nb if nb > 0 else np.linalg.norm(A @ x)
    out = {"method": method, "iterations": iterations, "residual": float(res),
           "time_s": time.perf_counter() - t0}
    out.update(extra)
    return out


def _pcg(A, b, M, tol, maxiter, x0, what):
    iterations = [0]

    def count(_):
        iterations[0] += 1

    x, flag = spla.cg(A, b, x0=x0, rtol=tol, atol=0.0, maxiter=maxiter, M=M, callback=count)
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


def _split_system(K, b, n_all, free_dofs, x0):
    """Return (K_ff, b_f, x0_f, free, expand) for a full or an already condensed system."""
    K = sp.csr_matrix(K, dtype=float)
    b = np.asarray(b, dtype=float).ravel()
    if K.shape[0] != K.shape[1]:
        raise ParameterError(f"K must be square, got shape {K.shape}")
    if b.shape[0] != K.shape[0]:
        raise ParameterError(f"b has {b.shape[0]} entries but K is {K.shape[0]}×{K.shape[1]}")
    n = K.shape[0]
    if x0 is not None:
        x0 = np.asarray(x0, dtype=float).ravel()
        if x0.shape[0] != n:
            raise ParameterError(f"x0 has {x0.shape[0]} entries, expected {n} (like b)")
    if free_dofs is None:
        if n_all is not None and n != n_all:
            raise ParameterError(f"K is {n}×{n} but the basis has {n_all} DOFs; pass free_dofs "
                                 "for a condensed system")
        return K, b, x0, np.arange(n), (lambda xf: xf)
    free = np.asarray(free_dofs, dtype=np.int64).ravel()
    if n == len(free):  # already condensed
        return K, b, x0, free, (lambda xf: xf)
    if n_all is not None and n != n_all:
        raise ParameterError(f"K is {n}×{n}: expected the full system ({n_all} DOFs) or the "
                             f"condensed one ({len(free)} = len(free_dofs))")
    if free.size and (free.min() < 0 or free.max() >= n):
        raise ParameterError(f"free_dofs must be indices in [0, {n})")
    # full system: eliminate the fixed DOFs with their values from x0 (zero if x0 is None)
    fixed = np.setdiff1d(np.arange(n), free)
    x_full = np.zeros(n) if x0 is None else x0.copy()
    Kff = K[free][:, free].tocsr()
    bf = b[free] - K[free][:, fixed] @ x_full[fixed]
    x0f = None if x0 is None else x_full[free]

    def expand(xf):
        out = x_full.copy()
        out[free] = xf
        return out

    return Kff, bf, x0f, free, expand


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
    _check_direct_memory(A, max_direct_memory, dim, what, "use a coarser mesh or order=1")
    try:
        lu = spla.splu(sp.csc_matrix(A))
    except (RuntimeError, MemoryError) as err:
        raise SolverError(f"{what}: the factorisation failed ({err}); {_hint(what)}") from err
    return lu.solve


def _hint(what):
    if "curl" in what:
        return "try method='ams-cg'"
    return "is the matrix singular (missing Dirichlet condition)? try method='amg-cg'"


def solve_curl_curl(K, b, basis, *, free_dofs=None, method: str = "auto", tol: float = 1e-10,
                    maxiter: int = 500, x0=None, regularization: float = 1e-12,
                    max_direct_memory: float = DEFAULT_MAX_DIRECT_MEMORY):
    r"""Solve the Nédélec curl-curl system :math:`K x = b`, :math:`K = C + M_\sigma` (module doc).

    Parameters
    ----------
    K, b : the system, either full (basis.N unknowns; then ``free_dofs`` selects the unknowns and
        the other DOFs are fixed to ``x0`` there, zero by default — homogeneous n×A = 0) or
        already condensed to ``free_dofs`` (len(free_dofs) unknowns, e.g. from skfem's
        ``condense(K, b, D=D, expand=False)``).
    basis : skfem ``Basis(MeshTet, ElementTetN0)`` on which K was assembled.
    free_dofs : indices of the free (interior, non-Dirichlet) DOFs; None = all DOFs free.
    method : ``"direct"`` (LU of K + εM, see module doc), ``"ams-cg"`` (CG with the AMS
        preconditioner) or ``"auto"``: direct up to ``DIRECT_LIMIT`` free unknowns (if the memory
        estimate fits), AMS-CG above; if AMS-CG fails, auto falls back to direct when that fits.
    tol : relative residual ‖b − Kx‖/‖b‖ for CG.
    maxiter : CG iteration limit.
    x0 : initial guess / Dirichlet values (same length as b).
    regularization : relative ε of the direct method's shift (module doc).
    max_direct_memory : bytes; a direct solve whose :func:`estimate_direct_memory` exceeds it
        raises SolverError.

    Returns
    -------
    x : solution (same length as b; the fixed DOFs of a full system carry x0, or 0).
    info : dict with ``method``, ``iterations`` (0 for direct), ``residual`` (relative residual of
        the unregularised condensed system), ``time_s``; plus ``setup_s`` (AMS-CG) or
        ``regularization`` (absolute ε) and ``factor_nnz`` (entries of L + U) for direct.

    Raises
    ------
    SolverError if CG does not converge or a direct factorisation fails / would not fit.
    ParameterError for inconsistent shapes or an unknown method.
    """
    t0 = time.perf_counter()
    if method not in ("auto", "direct", "ams-cg"):
        raise ParameterError(f"method must be 'auto', 'direct' or 'ams-cg', got {method!r}")
    Kf, bf, x0f, free, expand = _split_system(K, b, basis.N, free_dofs, x0)
    fits = estimate_direct_memory(Kf) <= max_direct_memory
    requested = method
    if method == "auto":
        method = "direct" if Kf.shape[0] <= DIRECT_LIMIT and fits else "ams-cg"
    if np.linalg.norm(bf) == 0.0:
        xf = np.zeros_like(bf)
        return expand(xf), _info(method, 0, Kf, xf, bf, t0)
    if method == "ams-cg":
        try:
            prec = ams_preconditioner(Kf, basis, free)
            t_setup = time.perf_counter() - t0
            xf, its = _pcg(Kf, bf, prec, tol, maxiter, x0f, "solve_curl_curl (AMS-CG)")
            return expand(xf), _info("ams-cg", its, Kf, xf, bf, t0, setup_s=t_setup)
        except SolverError:
            if requested != "auto" or not fits:
                raise
    _check_direct_memory(Kf, max_direct_memory)
    M = _nedelec_mass(basis)[free][:, free]
    eps = regularization * Kf.diagonal().mean() / M.diagonal().mean()
    xf, factor_nnz = _lu_solve(Kf + eps * M, bf, "solve_curl_curl")
    return expand(xf), _info("direct", 0, Kf, xf, bf, t0, regularization=float(eps),
                             factor_nnz=factor_nnz)


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
    if method not in ("auto", "direct", "amg-cg"):
        raise ParameterError(f"method must be 'auto', 'direct' or 'amg-cg', got {method!r}")
    A, b, x0, _, _ = _split_system(A, b, None, None, x0)
    fits = estimate_direct_memory(A) <= max_direct_memory
    requested = method
    if method == "auto":
        method = "direct" if A.shape[0] <= DIRECT_LIMIT_SPD and fits else "amg-cg"
    if np.linalg.norm(b) == 0.0:
        return np.zeros_like(b), _info(method, 0, A, np.zeros_like(b), b, t0)
    if method == "amg-cg":
        try:
            x, its = _pcg(A, b, _amg(A), tol, maxiter, x0, "solve_spd (AMG-CG)")
            return x, _info("amg-cg", its, A, x, b, t0)
        except SolverError:
            if requested != "auto" or not fits:
                raise
    _check_direct_memory(A, max_direct_memory)
    x, factor_nnz = _lu_solve(A, b, "solve_spd")
    return x, _info("direct", 0, A, x, b, t0, factor_nnz=factor_nnz)
