"""Post-processing every solver shares: L2 projection of element fields onto vertex values,
element means and exact integrals of fields that are linear on each tetrahedron.

All functions are unit-agnostic (they return what they are given, projected or integrated).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .forms import mass, weighted_load

__all__ = ["cell_average", "dot_last", "integrate_linear_product", "project_linear",
           "project_to_vertices", "solve_mass"]


def project_to_vertices(mesh, values, basis) -> np.ndarray:
    """L2 projection (consistent P1 mass matrix M) of quadrature values (ncomp, nelem, nqp) on
    the elements of ``basis`` onto vertex values (nvertices, ncomp): M u = (f, v). Vertices not
    touched by those elements get zero. Triangles or tetrahedra."""
    from skfem import Basis, ElementTetP1, ElementTriP1

    element = ElementTriP1() if mesh.p.shape[0] == 2 else ElementTetP1()
    p1 = Basis(mesh, element, elements=getattr(basis, "tind", None),
               quadrature=basis.quadrature)
    touched = np.unique(p1.element_dofs)
    M = mass.assemble(p1).tocsr()
    rhs = np.column_stack([weighted_load.assemble(p1, f=values[i])
                           for i in range(values.shape[0])])
    return solve_mass(M, rhs, touched)


def solve_mass(M, rhs: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Solve M u = rhs (columns) on the ``active`` rows/columns of a P1 mass matrix, zero
    elsewhere. M is well conditioned: Jacobi-CG to 1e-12, a direct solve if CG ever fails."""
    Ma = M[active][:, active].tocsr()
    jacobi = sp.diags(1.0 / Ma.diagonal())
    out = np.zeros(rhs.shape)
    for k in range(rhs.shape[1]):
        b = rhs[active, k]
        if not np.any(b):
            continue
        u, status = spla.cg(Ma, b, rtol=1e-12, atol=0.0, M=jacobi, maxiter=1000)
        out[active, k] = u if status == 0 else spla.spsolve(Ma.tocsc(), b)
    return out


def cell_average(values, dx) -> np.ndarray:
    """(ncomp, nelem, nqp) quadrature values with weights dx -> (nelem, ncomp) element means."""
    return np.einsum("ikq,kq->ki", values, dx) / dx.sum(axis=1)[:, None]


def integrate_linear_product(product, f, g, volume, total=True):
    """∫ product(F, G) dV over tetrahedra for fields linear on each element.

    ``f``, ``g``: vertex values (ne, 4, 3); ``product``: ``np.cross`` or :func:`dot_last`
    (acting on the last axis). Uses ∫λ_iλ_j dV = |T|(1 + δ_ij)/20, so the result is exact.
    Returns the sum over elements, or per-element values when ``total`` is False.
    """
    per = (product(f, g, axis=-1).sum(axis=1)
           + product(f.sum(axis=1), g.sum(axis=1), axis=-1))
    per = per * (volume / 20.0).reshape((-1,) + (1,) * (per.ndim - 1))
    return per.sum(axis=0) if total else per


def dot_last(a, b, axis=-1):
    """Dot product along ``axis`` (the signature of ``np.cross`` for
    :func:`integrate_linear_product`)."""
    return np.sum(a * b, axis=axis)


def project_linear(mesh, volume, elements, values):
    """L2 projection onto P1 vertex values of a field linear on each of ``elements``
    (tetrahedra).

    ``values``: vertex values per element (len(elements), 4, 3); P1 mass and load in closed
    form (∫λ_iλ_j = |T|(1+δ_ij)/20). Vertices not touched by ``elements`` get zero. Returns
    (nvertices, 3). Equals :func:`project_to_vertices` with exact quadrature.
    """
    t = mesh.t[:, elements]
    vol = volume[elements] / 20.0
    local = vol[:, None, None] * (1.0 + np.eye(4))[None]
    rows = np.broadcast_to(t.T[:, :, None], local.shape).ravel()
    cols = np.broadcast_to(t.T[:, None, :], local.shape).ravel()
    M = sp.coo_matrix((local.ravel(), (rows, cols)),
                      shape=(mesh.nvertices, mesh.nvertices)).tocsr()
    load = vol[:, None, None] * (values + values.sum(axis=1, keepdims=True))  # ∫ F λ_i
    rhs = np.zeros((mesh.nvertices, 3))
    for k in range(3):
        rhs[:, k] = np.bincount(t.T.ravel(), weights=load[:, :, k].ravel(),
                                minlength=mesh.nvertices)
    return solve_mass(M, rhs, np.unique(t))
