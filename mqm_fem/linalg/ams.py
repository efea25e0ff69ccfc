r"""The Hiptmair–Xu auxiliary-space (AMS) preconditioner for lowest-order Nédélec curl-curl
systems K = C + M_σ, assembled from pyamg pieces (see :mod:`mqm_fem.linalg.linear` for the
systems and the choice between direct and iterative solves)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ParameterError
from ..fem.nedelec import discrete_gradient, edge_dofs, nedelec_interpolation

__all__ = ["ams_preconditioner", "amg_preconditioner"]


# --------------------------------------------------------------------------------------------
# The AMS (Hiptmair–Xu) preconditioner
# --------------------------------------------------------------------------------------------


def amg_preconditioner(A: sp.csr_matrix, B=None, max_coarse: int = 100):
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


def _interpolation_components(basis, free, vertices):
    """The three blocks Π_k (len(free) × len(vertices), k = x, y, z) of the Nédélec
    interpolation Π restricted to the ``free`` DOFs (rows) and ``vertices`` (columns), built
    directly (entries t_{e,k}/2 at both endpoints of edge e) without the full Π."""
    mesh = basis.mesh
    dof = edge_dofs(basis)
    edges = np.sort(mesh.edges, axis=0)
    row_of = np.full(basis.N, -1, dtype=np.int64)
    row_of[free] = np.arange(len(free))
    col_of = np.full(mesh.nvertices, -1, dtype=np.int64)
    col_of[vertices] = np.arange(len(vertices))
    rows = np.concatenate([row_of[dof], row_of[dof]])
    cols = np.concatenate([col_of[edges[0]], col_of[edges[1]]])
    ok = (rows >= 0) & (cols >= 0)
    rows, cols = rows[ok], cols[ok]
    tvec = mesh.p[:, edges[1]] - mesh.p[:, edges[0]]
    shape = (len(free), len(vertices))
    return [sp.csr_matrix((0.5 * np.concatenate([tvec[k], tvec[k]])[ok], (rows, cols)),
                          shape=shape) for k in range(3)]


def _galerkin(K, P, rows_per_block: int = 262144) -> sp.csr_matrix:
    """PᵀKP (CSR) accumulated over blocks of rows of K: the intermediate K P (≈ 20 entries
    per row) is never held whole (−240 MB at 1M unknowns)."""
    P = sp.csr_matrix(P)
    out = None
    for start in range(0, K.shape[0], rows_per_block):
        rows = slice(start, min(start + rows_per_block, K.shape[0]))
        part = (P[rows].T @ (K[rows] @ P)).tocsr()
        out = part if out is None else out + part
    out.sum_duplicates()
    return out


def ams_preconditioner(K, basis, free_dofs=None, *, vacuum_tol: float = 1e-10,
                       smoothing_sweeps: int = 2, vector_space: str = "components"):
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
    vector_space : ``"nodal"`` — one smoothed-aggregation hierarchy for ΠᵀKΠ (3 unknowns per
        vertex, 9 near-kernel fields); ``"components"`` — three scalar hierarchies for the
        diagonal blocks Π_kᵀKΠ_k (k = x, y, z; constants and the linear field as near kernel),
        applied additively.

    Returns a symmetric positive-definite :class:`scipy.sparse.linalg.LinearOperator`;
    ``op.info`` holds the space sizes and the set-up time of each part (``setup_times``).
    """
    import time

    import pyamg.relaxation.relaxation as relax

    times = {}
    t_last = [time.process_time()]

    def lap(name):
        now = time.process_time()
        times[name] = times.get(name, 0.0) + now - t_last[0]
        t_last[0] = now

    K = sp.csr_matrix(K, dtype=float)
    n = K.shape[0]
    free = np.arange(basis.N) if free_dofs is None else np.asarray(free_dofs)
    if free.shape[0] != n:
        raise ParameterError(f"K has {n} rows but free_dofs has {free.shape[0]} entries")
    if vector_space not in ("nodal", "components"):
        raise ParameterError(f"vector_space: {vector_space!r} is not 'nodal' or 'components'")
    G_all = discrete_gradient(basis)
    # vertices whose full gradient lies in the free space: all incident edges free
    n_edges_all = np.bincount(G_all.indices, minlength=G_all.shape[1])
    G = G_all[free]
    n_edges_free = np.bincount(G.indices, minlength=G.shape[1])
    interior = n_edges_free == n_edges_all
    lap("operators")

    # gradient space: interior vertices that are not in pure vacuum (σ = 0 ⇒ ∇p is in the
    # kernel of K)
    AG = _galerkin(K, G)
    AG_diag = AG.diagonal()
    scale = abs(G).T @ abs(K.diagonal())
    keep_g = np.flatnonzero(interior & (AG_diag > vacuum_tol * scale))
    G = G.tocsc()[:, keep_g].tocsr()
    AG = AG[keep_g][:, keep_g].tocsr()
    AG, G, pinned = _pin_floating_components(AG, G)
    lap("gradient_product")
    solve_g = amg_preconditioner(AG) if G.shape[1] else None
    del AG
    lap("gradient_amg")

    # vector P1 space: interior vertices (H¹₀ fields; including the boundary vertices makes
    # ΠᵀKΠ singular and the iteration counts grow on unstructured meshes)
    keep_v = np.flatnonzero(interior)
    pts = basis.mesh.p[:, keep_v]
    if vector_space == "nodal":
        keep_p = (3 * keep_v[:, None] + np.arange(3)).ravel()
        Ps = [nedelec_interpolation(basis)[free][:, keep_p].tocsr()]
        AP = [_galerkin(K, Ps[0])]
        B = [_near_kernel_vector_fields(pts)] if len(keep_v) >= 9 else None
    else:
        Ps = _interpolation_components(basis, free, keep_v)
        AP = [_galerkin(K, Pk) for Pk in Ps]
        x = pts - pts.mean(axis=1, keepdims=True)
        B = [np.column_stack([np.ones(len(keep_v)), x[k]]) for k in range(3)] \
            if len(keep_v) >= 2 else None
    lap("vector_product")
    solve_p = None if B is None else [amg_preconditioner(A, b)
                                      for A, b in zip(AP, B, strict=True)]
    del AP
    lap("vector_amg")
    GT = G.T.tocsr()
    PT = [Pk.T.tocsr() for Pk in Ps]

    def correct_p(x, r):
        res = r - K @ x
        for Pk, PTk, solve in zip(Ps, PT, solve_p, strict=True):
            x += Pk @ solve(PTk @ res)

    def apply(r):
        r = np.asarray(r, dtype=float).ravel()
        x = np.zeros_like(r)
        relax.gauss_seidel(K, x, r, iterations=smoothing_sweeps, sweep="forward")
        if solve_p is not None:
            correct_p(x, r)
        if solve_g is not None:
            x += G @ solve_g(GT @ (r - K @ x))
        if solve_p is not None:
            correct_p(x, r)
        relax.gauss_seidel(K, x, r, iterations=smoothing_sweeps, sweep="backward")
        return x

    op = spla.LinearOperator((n, n), matvec=apply, dtype=float)
    lap("finish")
    op.info = {"gradient_vertices": G.shape[1], "vector_vertices": len(keep_v),
               "pinned_vertices": pinned, "setup_times": times}
    return op
