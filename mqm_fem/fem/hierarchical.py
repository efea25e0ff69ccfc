r"""Two-level (hierarchical) P2/P3 error estimation on one mesh (docs/theory.md, "Error
estimates (2D)").

The P3 Lagrange space on a triangle mesh (straight or isoparametric, the same reference map for
both degrees) splits as P3 = Π P2 ⊕ C:

* Π: P2 → P3 is the exact embedding (a P2 function evaluated at the P3 nodes), a sparse matrix
  (:func:`embedding`);
* C is spanned by the nodal P3 functions at *one* of the two interior nodes of every edge and at
  the element's centroid (:func:`complement_dofs`). It is a complement: a P2 function that
  vanishes at the vertices and at one third-point of an edge vanishes on that edge (a quadratic
  with three zeros), hence on the element's boundary, so it is c·b with b the cubic bubble —
  not quadratic unless c = 0.

For a symmetric positive-definite problem A₃u₃ = f₃ whose P2 solution u₂ satisfies Galerkin
orthogonality, the residual r = f₃ − A₃Πu₂ vanishes on the P2 part (Πᵀr = 0) and the
correction δ = u₃ − Πu₂ solves, in the hierarchical basis,

    [A₂₂  A₂c] [δ₂]   [0  ]
    [Ac₂  Acc] [δc] = [r_c],     A₂₂ = ΠᵀA₃Π (the P2 matrix), A₂c = ΠᵀA₃E_c, Acc = E_cᵀA₃E_c.

:func:`two_level_correction` approximates it by one block Gauss–Seidel sweep: δc = Acc⁻¹r_c
(Jacobi-preconditioned CG — Acc is well conditioned, its functions vanish at the vertices — or
its diagonal only), then δ₂ = A₂₂⁻¹(Πᵀr − A₂cδc) with the P2 solver (one back-substitution when
the P2 factorisation is at hand). The squared energy norm of the P2 error is estimated by
η² = r_cᵀ Acc⁻¹ r_c (the classical hierarchical estimator; r_cᵀ Acc⁻¹ r_c ≤ a(δ, δ) ≤
r_cᵀ Acc⁻¹ r_c /(1 − γ²), γ the strengthened Cauchy–Schwarz constant of the splitting). With the
δ₂ step, a linear output ℓ with ℓ = f₃ (compliance) changes by exactly r_cᵀδc.

Eigenvalues (:func:`eigen_correction`): for a Ritz pair (λ_h, ψ_h) of A ψ = λ M ψ in P2,
r = λ_hMΠψ_h − AΠψ_h (Πψ_h normalised in M) and (Acc − λ_hMcc)δc = r_c give
λ_h − λ ≈ r_cᵀδc.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["Correction", "ElementTriP3Complement", "NotPositiveDefinite", "complement_basis",
           "complement_dofs", "eigen_correction", "embedding", "jacobi_cg",
           "two_level_correction"]


def _p3_complement_element():
    from skfem import ElementTriP3
    from skfem.element import ElementH1
    from skfem.refdom import RefTri

    p3 = ElementTriP3()
    local = [3, 5, 7, 9]  # first node of each edge (from its lower-numbered vertex), centroid

    class ElementTriP3Complement(ElementH1):
        """The complement functions C alone (module doc): the P3 nodal functions at the first
        interior node of every edge and at the centroid, 1 DOF per edge + 1 per element. The
        edge DOF is globally consistent because scikit-fem keeps each triangle's vertices
        sorted (the same convention that makes ElementTriP3 conforming); DOF k of the edge f is
        DOF ``facet_dofs[0, f]`` of ElementTriP3 (:func:`complement_dofs`)."""

        nodal_dofs = 0
        facet_dofs = 1
        interior_dofs = 1
        maxdeg = 3
        dofnames = ["u", "u"]
        doflocs = p3.doflocs[local]
        refdom = RefTri

        def lbasis(self, X, i):
            return p3.lbasis(X, local[i])

    return ElementTriP3Complement


ElementTriP3Complement = _p3_complement_element()


def complement_basis(mesh, elements=None, intorder: int = 6):
    """A scikit-fem basis of the complement functions only (4 per triangle instead of P3's
    10): assembling the complement block Acc and the residual r_c on it costs a fraction of
    the full P3 assembly. Works on straight (MeshTri) and curved (MeshTri2) meshes."""
    from skfem import Basis

    return Basis(mesh, ElementTriP3Complement(), elements=elements, intorder=intorder)


def embedding(basis_low, basis_high) -> sp.csr_matrix:
    """Π (basis_high.N × basis_low.N): the coefficients in ``basis_high`` of a function of
    ``basis_low`` (same mesh, nested Lagrange elements, e.g. P2 ⊂ P3): each high-order DOF takes
    the low-order function's value at its node, evaluated on the reference element (exact on
    isoparametric meshes too, both spaces share the reference map). DOFs outside the elements of
    ``basis_high`` get empty rows."""
    low, high = basis_low.elem, basis_high.elem
    nodes = np.asarray(high.doflocs, dtype=float).T  # (dim, n_high_local)
    local = np.stack([np.asarray(low.lbasis(nodes, i)[0]) for i in range(len(low.doflocs))], axis=1)
    local[np.abs(local) < 1e-14] = 0.0
    rows = np.asarray(basis_high.element_dofs)  # (n_high_local, nel)
    cols = np.asarray(basis_low.element_dofs)   # (n_low_local, nel)
    nel = rows.shape[1]
    r = np.repeat(rows[:, None, :], cols.shape[0], axis=1).ravel()
    c = np.repeat(cols[None, :, :], rows.shape[0], axis=0).ravel()
    v = np.repeat(local[:, :, None], nel, axis=2).ravel()
    keep = v != 0
    P = sp.csr_matrix((v[keep], (r[keep], c[keep])), shape=(basis_high.N, basis_low.N))
    # every element holding a DOF adds the same row: divide by the multiplicity
    mult = np.bincount(rows.ravel(), minlength=basis_high.N).astype(float)
    return (sp.diags(1.0 / np.maximum(mult, 1)) @ P).tocsr()


def complement_dofs(basis_high) -> np.ndarray:
    """DOFs of ``basis_high`` (P3 Lagrange on triangles) spanning a complement of P2: the first
    interior node of every edge and the element's centroid node (module doc)."""
    facet = np.asarray(basis_high.facet_dofs)
    interior = np.asarray(basis_high.interior_dofs)
    if facet.shape[0] != 2 or interior.shape[0] != 1:
        raise ValueError(f"complement_dofs: expected P3 triangles (2 DOFs per edge, 1 interior), "
                         f"got {facet.shape[0]} per edge and {interior.shape[0]} interior")
    return np.sort(np.concatenate([facet[0], interior[0]]))


class Correction:
    """Result of :func:`two_level_correction`: ``delta`` (the P3 correction, in the
    coordinates of the matrix), ``eta2`` = r_cᵀδc (≈ a(δ, δ)), ``delta_c`` and
    ``iterations`` (CG steps on Acc)."""

    def __init__(self, delta, eta2, delta_c, iterations):
        self.delta, self.eta2, self.delta_c, self.iterations = delta, eta2, delta_c, iterations


class NotPositiveDefinite(ArithmeticError):
    """CG met a non-positive diagonal entry or a direction of non-positive curvature."""


def jacobi_cg(A, b, tol: float, maxiter: int, *, check_definite: bool = False):
    """Jacobi-preconditioned CG for a real symmetric or complex Hermitian positive definite
    ``A``; returns ``(x, iterations)`` (``maxiter`` if ‖r‖ ≤ tol‖b‖ was not reached).

    With ``check_definite`` it raises :class:`NotPositiveDefinite` on a non-positive diagonal
    entry or a search direction p with pᴴAp ≤ 0 (A indefinite); otherwise zero diagonal
    entries are preconditioned by 1."""
    d = np.real(A.diagonal())
    if check_definite and np.any(d <= 0):
        raise NotPositiveDefinite("non-positive diagonal")
    inv = 1.0 / np.where(d != 0, d, 1.0)
    x = np.zeros_like(b)
    r = b.copy()
    z = inv * r
    p = z.copy()
    rz = np.real(np.vdot(r, z))
    nb = float(np.linalg.norm(b))
    if nb == 0:
        return x, 0
    for it in range(1, maxiter + 1):
        q = A @ p
        curvature = np.real(np.vdot(p, q))
        if check_definite and curvature <= 0:
            raise NotPositiveDefinite("direction of non-positive curvature")
        alpha = rz / curvature
        x += alpha * p
        r -= alpha * q
        if np.linalg.norm(r) <= tol * nb:
            return x, it
        z = inv * r
        rz_new = np.real(np.vdot(r, z))
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, maxiter


def two_level_correction(A, residual, complement, *, embedding_matrix=None, coarse_solve=None,
                         method: str = "cg", tol: float = 1e-3, maxiter: int = 200
                         ) -> Correction:
    """Approximate P3 correction of a P2 Galerkin solution (module doc).

    Parameters
    ----------
    A : sparse (n₃ × n₃), the P3 matrix (with its boundary conditions / tied unknowns).
    residual : (n₃,) r = f₃ − A Π u₂.
    complement : indices (into 0..n₃−1) of the complement functions C.
    embedding_matrix : sparse (n₃ × n₂) Π in the same coordinates; with ``coarse_solve``
        (b ↦ A₂₂⁻¹b) the P2 part δ₂ = A₂₂⁻¹(Πᵀr − A₂cδc) is added; else δ = E_cδc.
    method : "cg" (δc = Acc⁻¹r_c, Jacobi-preconditioned CG to ``tol``) or "diagonal"
        (δc = diag(Acc)⁻¹ r_c).
    """
    A = sp.csr_matrix(A)
    c = np.asarray(complement)
    r_c = residual[c]
    A_c = A[c]
    Acc = A_c[:, c].tocsr()
    if method == "cg":
        delta_c, its = jacobi_cg(Acc, r_c, tol, maxiter)
    elif method == "diagonal":
        delta_c, its = r_c / Acc.diagonal(), 0
    else:
        raise ValueError(f"two_level_correction: method {method!r} is not 'cg' or 'diagonal'")
    delta = np.zeros(A.shape[0])
    delta[c] = delta_c
    if embedding_matrix is not None and coarse_solve is not None:
        rhs = embedding_matrix.T @ (residual - A_c.T @ delta_c)
        delta += embedding_matrix @ coarse_solve(rhs)
    return Correction(delta, float(r_c @ delta_c), delta_c, its)


def eigen_correction(A, M, eigenvalue: float, mode, complement, *, tol: float = 1e-8,
                     maxiter: int = 500):
    """λ_h − λ ≈ r_cᵀδc for a P2 Ritz pair embedded in P3 (module doc).

    ``A``, ``M``: the P3 stiffness and mass matrices (Hermitian, boundary conditions applied);
    ``mode``: Πψ_h in the same coordinates (normalised here in M); ``eigenvalue``: λ_h.
    Solves (Acc − λ_hMcc)δc = r_c by MINRES (positive definite on fine enough meshes; the
    complement functions are high-frequency). Returns (estimate of λ_h − λ, δ in P3 coords).
    """
    psi = np.asarray(mode)
    psi = psi / np.sqrt(abs(np.vdot(psi, M @ psi)))
    r = eigenvalue * (M @ psi) - A @ psi
    c = np.asarray(complement)
    B = (sp.csr_matrix(A)[c][:, c] - eigenvalue * sp.csr_matrix(M)[c][:, c]).tocsr()
    d = B.diagonal().real
    pre = spla.LinearOperator(B.shape, matvec=lambda v: v / d, dtype=B.dtype)
    r_c = r[c]
    try:
        delta_c, _ = spla.minres(B, r_c, M=pre, rtol=tol, maxiter=maxiter)
    except TypeError:  # older scipy
        delta_c, _ = spla.minres(B, r_c, M=pre, tol=tol, maxiter=maxiter)
    delta = np.zeros(A.shape[0], dtype=np.result_type(psi, delta_c))
    delta[c] = delta_c
    return float(np.real(np.vdot(r_c, delta_c))), delta
