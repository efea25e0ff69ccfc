"""Fields on triangulated surfaces inside a tetrahedral mesh: the tangential trace of a
lowest-order Nédélec (Whitney) field on a film's triangles, exact integrals of products of
fields linear on each triangle, and their L² projection onto continuous P1 on the surface.

Used by the sheet-film formulation (:mod:`mqm_fem.london.sheet`) and its error estimate.
A film object carries ``tri`` (3, nf) vertex indices, ``dofs``/``signs`` (3, nf) of the
local edges :data:`TRI_EDGES` and the in-plane barycentric gradients ``grads`` (3, 3, nf).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["TRI_EDGES", "integrate_triangles", "project_triangles", "surface_vertex_values"]

#: local edges of a triangle (vertex pairs), the order of a film's ``dofs``
TRI_EDGES = np.array([[0, 1], [1, 2], [0, 2]])


def surface_vertex_values(film, x) -> np.ndarray:
    """Values (nf, 3 vertices, 3 components) of the tangential trace of the Nédélec field
    ``x`` on the film's triangles: at vertex j, φ_ab = δ_aj g_b − δ_bj g_a."""
    nf = film.tri.shape[1]
    out = np.zeros((nf, 3, 3))
    for k, (a, b) in enumerate(TRI_EDGES):
        xs = (x[film.dofs[k]] * film.signs[k])[:, None]
        out[:, a] += xs * film.grads[b].T
        out[:, b] -= xs * film.grads[a].T
    return out


def integrate_triangles(product, f, g, area, total=True):
    """∫ product(F, G) dS over triangles for fields linear on each (vertex values (nf, 3, 3)):
    ∫λ_iλ_j dS = |T|(1+δ_ij)/12, exact."""
    per = product(f, g, axis=-1).sum(axis=1) + product(f.sum(axis=1), g.sum(axis=1), axis=-1)
    per = per * (area / 12.0).reshape((-1,) + (1,) * (per.ndim - 1))
    return per.sum(axis=0) if total else per


def project_triangles(tri, area, values, nvertices: int) -> np.ndarray:
    """L² projection onto continuous P1 on the triangles ``tri`` (3, nf) (indices < nvertices,
    every one used) of a field linear on each, given by its vertex values (nf, 3, ncomp);
    closed-form mass and load. Returns (nvertices, ncomp)."""
    rows = np.repeat(tri.T, 3, axis=1).ravel()
    cols = np.tile(tri.T, (1, 3)).ravel()
    local = (area / 12.0)[:, None, None] * (1.0 + np.eye(3))[None]
    mass = sp.coo_matrix((local.ravel(), (rows, cols)), shape=(nvertices, nvertices)).tocsc()
    rhs = np.zeros((nvertices, values.shape[2]))
    for c in range(values.shape[2]):
        w = (area / 12.0)[:, None] * (values[:, :, c] + values[:, :, c].sum(axis=1,
                                                                           keepdims=True))
        rhs[:, c] = np.bincount(tri.T.ravel(), weights=w.ravel(), minlength=nvertices)
    return np.asarray(spla.spsolve(mass, rhs)).reshape(nvertices, -1)
