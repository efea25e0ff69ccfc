"""Fill-reducing orderings for sparse direct factorisations: METIS (optional ``pymetis``) or a
geometric nested dissection of the DOF coordinates (see :mod:`mqm_fem.linalg.eigen` for the
measured effect on 2D P2 eigenproblems)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["ND_LEAF", "fill_reducing_order", "metis_order", "nested_dissection"]

#: Largest part left unsplit by :func:`nested_dissection` (48 measured best of 16/48/64/256 on
#: 2D P2 meshes: smaller leaves give less fill but more, smaller supernodes).
ND_LEAF = 48


def nested_dissection(A, coords, leaf: int = ND_LEAF) -> np.ndarray:
    """Fill-reducing elimination order of the symmetric sparsity graph of ``A`` (n × n).

    Geometric nested dissection: the nodes (coordinates ``coords``, shape (dim, n), any length
    unit) are split recursively at the median of the longest bounding-box axis of each part;
    the nodes of the upper half that are coupled (a nonzero of ``A``) to the lower half form the
    separator. Parts with at most ``leaf`` nodes are not split. Returned permutation ``perm``:
    ``A[perm][:, perm]`` lists the leaves first, then the separators from the deepest level to
    the top one, so each separator is eliminated after both parts it separates.
    """
    A = sp.coo_matrix(A)
    n = A.shape[0]
    coords = np.asarray(coords, dtype=float).reshape(-1, n)
    upper = A.row < A.col  # the pattern is symmetric: one entry per edge
    itype = np.int32 if n < 2**31 - 1 else np.int64
    ri, ci = A.row[upper].astype(itype), A.col[upper].astype(itype)
    # invariant: (ri, ci) lists the edges inside one part between not-yet-ordered nodes
    part = np.zeros(n, dtype=np.int64)
    sep_level = np.full(n, -1, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    level = 0
    while True:
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        p = part[idx]
        counts = np.bincount(p)
        if counts.max() <= leaf:
            break
        by_part = np.argsort(p, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)])
        nonempty = counts > 0
        ext = np.zeros((coords.shape[0], counts.size))
        for d in range(coords.shape[0]):
            c = coords[d, idx[by_part]]
            s = starts[:-1][nonempty]
            ext[d, nonempty] = np.maximum.reduceat(c, s) - np.minimum.reduceat(c, s)
        axis = np.argmax(ext, axis=0)[p]
        key = coords[axis, idx]
        o = np.lexsort((key, p))
        rank = np.arange(idx.size) - starts[p[o]]
        side = np.empty(idx.size, dtype=np.int64)
        side[o] = rank >= counts[p[o]] // 2
        split = counts[p] > leaf
        part[idx] = 2 * p + np.where(split, side, 0)
        pr, pc = part[ri], part[ci]
        cut = pr != pc
        sep = np.unique(np.where(pr[cut] > pc[cut], ri[cut], ci[cut]))  # upper-half nodes
        sep_level[sep] = level
        active[sep] = False
        keep = ~cut & active[ri] & active[ci]
        ri, ci = ri[keep], ci[keep]
        level += 1
    rank_key = np.where(sep_level < 0, -1, level - sep_level)  # leaves, then deepest separators
    return np.lexsort((part, rank_key))


def metis_order(A) -> np.ndarray | None:
    """METIS nested-dissection order of the graph of ``A`` (``pymetis``), None if absent."""
    try:
        import pymetis
    except ImportError:
        return None
    G = sp.csr_matrix(A, copy=True)
    G.setdiag(0)
    G.eliminate_zeros()
    G = sp.csr_matrix((G + G.T).astype(bool))  # symmetric pattern, no self-loops
    if hasattr(pymetis, "CSRAdjacency"):  # pymetis >= 2025.2
        perm, _ = pymetis.nested_dissection(pymetis.CSRAdjacency(G.indptr, G.indices))
    else:  # pragma: no cover
        perm, _ = pymetis.nested_dissection(xadj=G.indptr, adjncy=G.indices)
    return np.asarray(perm, dtype=np.int64)


def fill_reducing_order(A, coords=None):
    """``(perm, name)``: METIS nested dissection if ``pymetis`` is installed, else the geometric
    :func:`nested_dissection` when ``coords`` are given, else ``(None, "COLAMD")`` (SuperLU's
    own column ordering)."""
    perm = metis_order(A)
    if perm is not None:
        return perm, "metis"
    if coords is not None:
        return nested_dissection(A, coords), "nested-dissection"
    return None, "COLAMD"
