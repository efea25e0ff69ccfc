r"""Lowest-order Nédélec (Whitney) elements on tetrahedra in closed form, and the discrete
operators between the Nédélec space and the vertex (P1) spaces.

* :class:`NedelecTet` — element curl-curl and mass matrices from barycentric gradients
  (exact, no quadrature arrays), the assembly behind the 3D London A-formulation;
  :func:`mqm_fem.fem.forms.london_a` is the same operator written as a scikit-fem form, and
  ``tests/test_fem.py`` checks the two against each other.
* :func:`discrete_gradient` G (edges × vertices) and :func:`nedelec_interpolation` Π
  (edges × 3·vertices), the pieces of the auxiliary-space preconditioner in
  :mod:`mqm_fem.linalg.ams`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from .sparse_build import symmetric_from_upper, unique_pairs

__all__ = ["TET_EDGES", "NedelecTet", "discrete_gradient", "edge_dofs", "nedelec_interpolation",
           "prepare_tet_edges"]


# --------------------------------------------------------------------------------------------
# Discrete operators between the Nédélec space and the vertex (P1) spaces
# --------------------------------------------------------------------------------------------


def edge_dofs(basis) -> np.ndarray:
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


def _sorted_edges(mesh) -> np.ndarray:
    """The mesh edges (2, nedges) with the lower vertex first."""
    return np.sort(mesh.edges, axis=0)  # skfem stores them sorted; be explicit


def _edge_vectors(basis):
    mesh = basis.mesh
    edges = _sorted_edges(mesh)
    return edges, mesh.p[:, edges[1]] - mesh.p[:, edges[0]]


def discrete_gradient(basis) -> sp.csr_matrix:
    r"""Discrete gradient :math:`G` (basis.N × nvertices): Nédélec DOFs of :math:`\nabla p`.

    For a P1 function with vertex values p, the DOF of edge e = (a→b), a < b, is
    :math:`\int_e \nabla p\cdot dl = p_b - p_a`, so :math:`G_{e,b} = +1`, :math:`G_{e,a} = -1`.
    Exact: :math:`C G = 0` for the curl-curl matrix (``test_discrete_gradient_kernel``).
    """
    dof = edge_dofs(basis)
    edges = _sorted_edges(basis.mesh)
    ne = edges.shape[1]
    edge_of_dof = np.empty(ne, dtype=np.int64)
    edge_of_dof[dof] = np.arange(ne)
    # CSR directly (no COO sort): row = DOF, columns (lower, higher vertex), values (−1, +1)
    indices = np.ascontiguousarray(edges[:, edge_of_dof].T).ravel()
    return sp.csr_matrix((np.tile([-1.0, 1.0], ne), indices, np.arange(0, 2 * ne + 1, 2)),
                         shape=(basis.N, basis.mesh.nvertices))


def nedelec_interpolation(basis) -> sp.csr_matrix:
    r"""Nédélec interpolation :math:`\Pi` (basis.N × 3·nvertices) of continuous vector P1 fields.

    Column ``3*v + k`` is component k at vertex v. For a linear field on edge e = (a→b) with
    edge vector :math:`t_e = x_b - x_a`, :math:`\int_e u\cdot dl = t_e\cdot(u_a + u_b)/2`, hence
    :math:`\Pi_{e,(v,k)} = t_{e,k}/2` for both endpoints v. Exact for every field
    :math:`a + b\times x` (``test_nedelec_interpolation_exact``).
    """
    dof = edge_dofs(basis)
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
    """Build skfem's edge tables ``mesh.edges`` / ``mesh.t2e`` by counting sorts.

    skfem builds them lazily with ``np.unique(..., axis=1)`` on a (2, 6·nelements) array,
    which sorts structured rows and took 2.2 s of a 14 s solve at 82k edges (3.9 s at 190k).
    :func:`mqm_fem.fem.sparse_build.unique_pairs` numbers the (lower, higher) vertex pairs in
    the same lexicographic order, hence the identical tables
    (``tests/test_solvers.py::test_fast_nedelec_assembly``), without a comparison sort.
    Does nothing if the tables exist already.
    """
    if hasattr(mesh, "_t2e") or mesh.t.shape[0] != 4:
        return
    t = mesh.t.astype(np.int32) if mesh.nvertices < 2**31 - 1 else mesh.t
    a, b = t[TET_EDGES[:, 0]], t[TET_EDGES[:, 1]]
    lo = np.minimum(a, b)
    np.maximum(a, b, out=b)
    edges, inverse = unique_pairs(lo, b, int(mesh.nvertices))
    mesh._edges = np.ascontiguousarray(edges.astype(mesh.t.dtype))
    mesh._t2e = inverse.reshape(a.shape)


def _cross(u, v):
    """u × v for arrays of shape (3, n)."""
    return np.stack([u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                     u[0] * v[1] - u[1] * v[0]])


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
        self._sign = np.where(a < b, 1, -1).astype(np.int8)  # (6, nelements)
        del a, b
        self.volume = np.empty(t.shape[1])
        for ch in self._chunks():
            x0 = p[:, t[0, ch]]
            e1, e2, e3 = (p[:, t[k, ch]] - x0 for k in (1, 2, 3))
            self.volume[ch] = np.abs(np.einsum("ie,ie->e", e1, _cross(e2, e3))) / 6.0

    #: elements per block of the chunked element loops (bounds the temporaries)
    CHUNK = 32768

    @property
    def signs(self) -> np.ndarray:
        """Orientation (nelements, 6): +1 where the local edge runs from the lower to the
        higher global vertex index, else −1 (stored as int8)."""
        return self._sign.T.astype(float)

    @property
    def grads(self) -> np.ndarray:
        """Barycentric gradients ∇λ_0..3 per element (nelements, 4, 3); computed on demand
        (not stored: 96 bytes per element)."""
        return self._grads_chunk(slice(None)).transpose(2, 0, 1)

    def _grads_chunk(self, ch) -> np.ndarray:
        """∇λ_0..3 of the elements ``ch``, shape (4, 3, n).

        With the edge vectors e_k = x_k − x_0 and det = e_1·(e_2×e_3):
        ∇λ_1 = e_2×e_3/det, ∇λ_2 = e_3×e_1/det, ∇λ_3 = e_1×e_2/det (the rows of the inverse
        Jacobian) and ∇λ_0 = −(∇λ_1 + ∇λ_2 + ∇λ_3).
        """
        t, p = self.mesh.t, self.mesh.p
        x0 = p[:, t[0, ch]]
        e1, e2, e3 = (p[:, t[k, ch]] - x0 for k in (1, 2, 3))
        g = np.empty((4, 3, x0.shape[1]))
        g[1] = _cross(e2, e3)
        det = np.einsum("ie,ie->e", e1, g[1])
        g[2] = _cross(e3, e1)
        g[3] = _cross(e1, e2)
        g[1:] /= det
        g[0] = -(g[1] + g[2] + g[3])
        return g

    @property
    def curls(self) -> np.ndarray:
        """∇×φ_k per element and local edge (nelements, 6, 3); computed on demand."""
        return self._curls_chunk(slice(None)).transpose(2, 0, 1)

    def _curls_chunk(self, ch) -> np.ndarray:
        """∇×φ_k = 2 s_k ∇λ_a×∇λ_b for the elements ``ch``, shape (6, 3, n)."""
        g = self._grads_chunk(ch)  # (4, 3, n)
        s = self._sign[:, ch]
        out = np.empty((6, 3, g.shape[2]))
        for k, (i, j) in enumerate(TET_EDGES):
            out[k] = (2.0 * s[k]) * _cross(g[i], g[j])
        return out

    def _chunks(self, elements=None):
        """Slices (or index arrays) of at most CHUNK elements covering ``elements``."""
        if elements is None:
            ne = self.mesh.nelements
            for start in range(0, ne, self.CHUNK):
                yield slice(start, min(start + self.CHUNK, ne))
        else:
            for start in range(0, len(elements), self.CHUNK):
                yield elements[start:start + self.CHUNK]

    def assemble(self, sigma=None) -> sp.csr_matrix:
        r"""K = C + M_σ as CSR: curl-curl over all elements plus σ-weighted mass.

        ``sigma``: per-element coefficient (mesh units⁻², e.g. λ⁻² in superconductors, 0 in
        vacuum) or None for the curl-curl matrix alone.
        """
        return self._scatter(self._local_upper(True, sigma))

    def mass(self, sigma=None) -> sp.csr_matrix:
        """σ-weighted (or plain, sigma=None) Nédélec mass matrix."""
        if sigma is None:
            sigma = np.ones(self.mesh.nelements)
        return self._scatter(self._local_upper(False, sigma))

    def _local_upper(self, curl: bool, sigma, elements=None) -> np.ndarray:
        """Entries k ≤ l (``np.triu_indices(6)`` order) of the element matrices
        curl·C_T + σ_T M_T of ``elements`` (all if None), shape (21, n), computed in element
        chunks (no (n, 6, 6) temporaries)."""
        ku, lu = np.triu_indices(6)
        n = self.mesh.nelements if elements is None else len(elements)
        out = np.zeros((len(ku), n))
        sigma = None if sigma is None else np.asarray(sigma, dtype=float)
        done = 0
        for ch in self._chunks(elements):
            vol = self.volume[ch]
            block = out[:, done:done + len(vol)]
            done += len(vol)
            if curl:
                c = self._curls_chunk(ch)  # (6, 3, n)
                for p, (k, m) in enumerate(zip(ku, lu, strict=True)):
                    block[p] = vol * (c[k, 0] * c[m, 0] + c[k, 1] * c[m, 1] + c[k, 2] * c[m, 2])
                del c
            if sigma is None:
                continue
            w = sigma[ch] * vol / 20.0
            if not w.any():
                continue
            g = self._grads_chunk(ch)  # (4, 3, n)
            dots = {}
            for i in range(4):
                for j in range(i, 4):
                    dots[i, j] = dots[j, i] = g[i, 0] * g[j, 0] + g[i, 1] * g[j, 1] \
                        + g[i, 2] * g[j, 2]
            s = self._sign[:, ch]
            for p, (k, m) in enumerate(zip(ku, lu, strict=True)):
                a, b = TET_EDGES[k]
                c_, d = TET_EDGES[m]
                mkl = ((1 + (a == c_)) * dots[b, d] - (1 + (a == d)) * dots[b, c_]
                       - (1 + (b == c_)) * dots[a, d] + (1 + (b == d)) * dots[a, c_])
                block[p] += (w * (s[k] * s[m])) * mkl
        return out

    def gradient_energy(self, sigma) -> np.ndarray:
        r"""Per vertex v, the energy of the gradient of its hat function,
        :math:`(G^T M_\sigma G)_{vv} = \sum_T \sigma_T |T|\,|\nabla\lambda_v|^2` (mesh
        units), in closed form over the elements with σ ≠ 0.

        Because the curl-curl part annihilates gradients exactly (C G = 0), this is
        diag(GᵀKG) of K = C + M_σ, the scaling of the gradient correction in
        :func:`mqm_fem.linalg.preconditioners.hybrid_jacobi_preconditioner`, without the
        sparse product K·G (8 of its 13 ms set-up at 50k edges); it is exactly 0 where σ = 0.
        """
        sigma = np.asarray(sigma, dtype=float)
        nv = self.mesh.nvertices
        out = np.zeros(nv)
        for ch in self._chunks(np.flatnonzero(sigma)):
            g = self._grads_chunk(ch)  # (4, 3, n)
            weight = (sigma[ch] * self.volume[ch]) * np.einsum("vin,vin->vn", g, g)
            out += np.bincount(self.mesh.t[:, ch].ravel(), weights=weight.ravel(), minlength=nv)
        return out

    def mass_apply(self, sigma, vec) -> np.ndarray:
        """M_σ @ vec element by element (no global matrix; elements with σ = 0 skipped)."""
        sigma = np.asarray(sigma, dtype=float)
        on = np.flatnonzero(sigma)
        ku, lu = np.triu_indices(6)
        out = np.zeros(self.N)
        for ch in self._chunks(on):
            upper = self._local_upper(False, sigma, ch)  # (21, n)
            dofs = self.dofs[:, ch]
            xs = vec[dofs]  # (6, n)
            local = np.zeros_like(xs)
            for p, (k, m) in enumerate(zip(ku, lu, strict=True)):
                local[k] += upper[p] * xs[m]
                if k != m:
                    local[m] += upper[p] * xs[k]
            out += np.bincount(dofs.ravel(), weights=local.ravel(), minlength=self.N)
        return out

    def vertex_values(self, vec) -> np.ndarray:
        """Values (nelements, 4, 3) of the Nédélec field ``vec`` at each element's vertices.

        On an element the field is linear: at vertex j, φ_ab = δ_aj ∇λ_b − δ_bj ∇λ_a.
        """
        out = np.zeros((self.mesh.nelements, 4, 3))
        for ch in self._chunks():
            g = self._grads_chunk(ch)  # (4, 3, n)
            o = out[ch]
            for k, (a, b) in enumerate(TET_EDGES):
                xs = (vec[self.dofs[k, ch]] * self._sign[k, ch])[:, None]
                o[:, a] += xs * g[b].T
                o[:, b] -= xs * g[a].T
        return out

    def element_curls(self, vec) -> np.ndarray:
        """∇×u per element (nelements, 3) for Nédélec DOFs ``vec`` (constant for N0)."""
        out = np.zeros((self.mesh.nelements, 3))
        for ch in self._chunks():
            c = self._curls_chunk(ch)  # (6, 3, n)
            out[ch] = np.einsum("kn,kin->ni", vec[self.dofs[:, ch]], c)
        return out

    def boundary_dofs(self, facets) -> np.ndarray:
        """DOFs (edge indices) of the edges of the given boundary facets (indices)."""
        tri = np.sort(self.mesh.facets[:, facets], axis=0).astype(np.int64)
        nv = np.int64(self.mesh.nvertices)
        keys = np.concatenate([tri[0] * nv + tri[1], tri[1] * nv + tri[2], tri[0] * nv + tri[2]])
        edge_keys = self.mesh.edges[0].astype(np.int64) * nv + self.mesh.edges[1]
        return np.unique(np.searchsorted(edge_keys, np.unique(keys)))

    def _scatter(self, upper) -> sp.csr_matrix:
        """Sum symmetric element matrices, given by their entries k ≤ l (21, ne) from
        :meth:`_local_upper`, into a canonical CSR matrix.

        Only the upper triangle is scattered (diagonal halved) and K = U + Uᵀ: 21 instead of 36
        entries per element to hold, grouped by two counting sorts
        (:func:`mqm_fem.fem.sparse_build.symmetric_from_upper`).
        """
        ku, lu = np.triu_indices(6)
        upper[ku == lu] *= 0.5
        dofs = self.dofs.astype(np.int32 if self.N < 2**31 - 1 else np.int64)
        dk, dl = dofs[ku], dofs[lu]  # (21, ne)
        rows = np.minimum(dk, dl)
        np.maximum(dk, dl, out=dl)
        del dk
        return symmetric_from_upper(rows, dl, upper, self.N)  # takes over rows and upper
