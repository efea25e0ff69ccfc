r"""The vector-potential half-step of the Ginzburg–Landau loop: A for a fixed order parameter ψ.

Units (dimensionless GL): lengths in ξ, the magnetic field in B_c2 (h = B_a/B_c2), the vector
potential in B_c2·ξ, κ = λ/ξ. The cross-section Ω of an infinitely long prism lies in the
(x, y) plane, the field is along z and A is in-plane; curl A = ∂_x A_y − ∂_y A_x = B.

Equation. The Gibbs free energy relative to the normal state,

    F[ψ, A] = ∫_Ω (−|ψ|² + ½|ψ|⁴ + |(∇ − iA)ψ|²) dx + κ² ∫_Ω |curl A − h|² dx,

is quadratic in A for a fixed ψ: |(∇ − iA)ψ|² = |∇ψ|² + ρ|A|² − 2A·s with the density
ρ = |ψ|² and the (paramagnetic) source s = Im(ψ̄∇ψ). Its minimiser solves

    κ² curl curl A + ρA = s                       in Ω,
    curl A = h                                    on ∂Ω (natural boundary condition),

i.e. the Ampère law κ²∇×B = j with the supercurrent j = s − ρA.

Weak form (Nédélec elements of the first kind, ``ElementTriN1`` or ``ElementTriN2``): find A in
H(curl) such that for all v

    κ²(curl A, curl v) + (ρA, v) = (s, v) + κ² h ∫_Ω curl v dx.

The last term is the natural boundary condition: κ²∮ h v·t ds = κ²h∫curl v dx (Stokes). It holds
on every boundary loop of the mesh, so an *unmeshed* hole gets curl A = h on its edge (the field
inside an empty hole cannot be set by its currents); for self-consistent runs holes must be
meshed. Elements outside the superconductor (meshed holes, vacuum) simply carry ρ = 0 and s = 0,
and the field there follows from the currents around them (flux through a meshed hole included).

Optionally (``fixed_boundary_facets``) the tangential trace of A is fixed on chosen boundary
facets to that of the applied potential A_a = (h/2) ẑ × (r − r_c) (r_c the mesh centroid):
the essential condition n×A = n×A_a replaces curl A = h there. On a whole outer boundary it
fixes the flux ∮A·t = h|Ω| (a flux-conserving boundary) instead of the boundary field.

Regularisation. Where ρ = 0 (normal state, meshed holes, vacuum) the operator
S = κ²K_curl + M_ρ is singular on gradient fields (curl ∇φ = 0), yet the system S A = b stays
consistent: s = Im(ψ̄∇ψ) vanishes wherever ρ = |ψ|² does, and ∫curl ∇φ = 0. It is solved by
*shift and correct*: factorise once the definite matrix S + δM (M the Nédélec mass) with

    δ = ε κ²/d²,    ε = :data:`REGULARISATION` = 1e-2,    d = diagonal of the mesh's bounding box,

and iterate A ← A + (S + δM)⁻¹(b − S A) from A₀ = A_a = (h/2) ẑ × (r − r_c) (r_c the mesh
centroid). Each step multiplies the error along an eigenvector S v = μ M v by δ/(μ + δ): the
field part converges geometrically (μ ≥ κ²j₀²/R² ≥ 17κ²/d² for a domain inside a disk of
radius R ≤ d/√3, so the factor is ≤ 6e-4 with the natural condition) until the correction is
below :data:`TOLERANCE` = 1e-12 of A in the S-norm (AᵀSA = κ²∫|curl A|² + ∫ρ|A|², the field
and the supercurrent; typically 3–5 back-substitutions). The result solves the *unshifted*
equation: the shift does not change the field (the normal state gives B = h to ~1e-13).
Kernel components (gradients supported where ρ = 0) are not excited beyond round-off: in a
ρ = 0 region A − A_a is M-orthogonal to the gradients there (a Coulomb gauge relative to A_a;
the normal state returns A = A_a up to ~1e-10 relative round-off in this gauge part). A tiny
fixed shift instead (δ ~ 1e-10κ²/d², needed to keep the field within 1e-10) would amplify
round-off in the gauge part by 1/δ: the matrix S + δM here has a condition number
~ (d/h)²/ε only.

Cost. The κ² curl-curl matrix, the load ∫curl v, the Nédélec mass, the basis values at the
quadrature points and the sparsity pattern are set up once per mesh (:class:`FieldSolver`);
each :meth:`FieldSolver.solve` only sums the element matrices (ρφ_j, φ_i) into that pattern,
forms (s, φ_i), and does one sparse direct factorisation (SuperLU in symmetric mode) followed
by a few back-substitutions.

Outputs (:class:`FieldState`): A and B = curl A at the quadrature points, B at the vertices
(lumped L2 projection), the moment per unit length m = ½∫(r − r_c) × j dx (reduced units), and
the field energy κ²∫(curl A − h)² dx. With the natural boundary condition on the whole boundary,
testing the weak form with v = ½ ẑ × (r − r_c) (curl v = 1; v lies in both Nédélec spaces) gives
the discrete identity m = κ²∫(B − h) dx: the moment is the magnetisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import skfem
from skfem.helpers import dot

from ..errors import ParameterError, SolverError

__all__ = ["MAX_ITERATIONS", "REGULARISATION", "TOLERANCE", "FieldSolver", "FieldState",
           "curl_curl", "curl_load", "density_mass", "source_load"]

#: ε in the mass shift δ = εκ²/d² of the factorised matrix (see the module docstring)
REGULARISATION = 1e-2
#: the shift-and-correct iteration stops when the last correction is below this fraction of A,
#: both in the S-norm (AᵀSA: κ²∫|curl A|² + ∫ρ|A|², blind to the gauge where ρ = 0)
TOLERANCE = 1e-12
#: at most this many back-substitutions per solve
MAX_ITERATIONS = 50
#: Below this relative correction a stalled refinement (less than 2x per step) is round-off.
ROUNDOFF_FLOOR = 1e-9

_ELEMENTS = {1: skfem.ElementTriN1, 2: skfem.ElementTriN2}


# -- the weak forms (reference definitions; FieldSolver assembles the same sums directly) ------
@skfem.BilinearForm
def curl_curl(u, v, w):
    """κ²(curl u, curl v): the κ² curl curl A term (``kappa2`` = κ²)."""
    return w["kappa2"] * u.curl * v.curl


@skfem.BilinearForm
def density_mass(u, v, w):
    """(ρ u, v): the ρA term, ρ = |ψ|² at the quadrature points (``rho``)."""
    return w["rho"] * dot(u, v)


@skfem.LinearForm
def source_load(v, w):
    """(s, v): the source s = Im(ψ̄∇ψ) at the quadrature points (``s``, shape (2, …))."""
    return dot(w["s"], v)


@skfem.LinearForm
def curl_load(v, _):
    """∫curl v dx = ∮ v·t ds: the natural boundary condition curl A = h (times κ²h)."""
    return v.curl


def _spd_factor(matrix: sp.spmatrix):
    """SuperLU factor of a symmetric positive-definite matrix in symmetric mode (minimum degree
    on A + Aᵀ, diagonal pivots): ~2x faster than the default COLAMD for these systems."""
    return spla.splu(sp.csc_matrix(matrix), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                     options={"SymmetricMode": True})


@dataclass
class FieldState:
    """The solution of one A half-step (dimensionless GL units).

    Attributes
    ----------
    a_quad : ndarray (2, nel, nqp)
        A at the quadrature points (the points of any CellBasis on the mesh with the same
        ``intorder``), units B_c2·ξ.
    b_quad : ndarray (nel, nqp)
        B = curl A at the quadrature points, units B_c2.
    b_vertex : ndarray (nvertices,)
        B at the mesh vertices (lumped L2 projection: Σ∫Bφ_v / Σ∫φ_v with P1 hats φ_v).
    moment : float
        m = ½∫((r − r_c) × j)_z dx with j = s − ρA (units B_c2·ξ³ per ξ along z, i.e. the
        reduced j times ξ³; equal to κ²∫(B − h) dx with the natural boundary condition).
    field_energy : float
        κ²∫(curl A − h)² dx.
    dofs : ndarray
        Nédélec degrees of freedom of A.
    h : float
        The applied field of this solve.
    iterations : int
        Shift-and-correct steps (one factorisation, this many back-substitutions).
    """

    a_quad: np.ndarray
    b_quad: np.ndarray
    b_vertex: np.ndarray
    moment: float
    field_energy: float
    dofs: np.ndarray
    h: float
    iterations: int


class FieldSolver:
    """Solves κ² curl curl A + ρA = s with curl A = h on the boundary, many times on one mesh.

    Parameters
    ----------
    mesh : skfem.MeshTri
        Linear triangle mesh, coordinates in units of ξ.
    intorder : int
        Quadrature order; ρ and s are given at the points of this rule (the same points as
        ``skfem.Basis(mesh, any_element, intorder=intorder)``).
    kappa : float
        κ = λ/ξ > 0.
    order : int
        1 (``ElementTriN1``) or 2 (``ElementTriN2``); use the order of the ψ element.
    """

    def __init__(self, mesh: skfem.MeshTri, intorder: int, kappa: float, order: int = 1):
        if not isinstance(mesh, skfem.MeshTri1):
            raise ParameterError(
                f"mesh: FieldSolver takes a linear skfem.MeshTri, got {type(mesh).__name__}")
        if order not in _ELEMENTS:
            raise ParameterError(f"order: {order!r} is not a Nédélec order; valid: 1 or 2")
        try:
            kappa = float(kappa)
        except (TypeError, ValueError):
            kappa = float("nan")
        if not (np.isfinite(kappa) and kappa > 0):
            raise ParameterError(f"kappa: {kappa!r} is not a positive finite number (κ = λ/ξ)")
        if not isinstance(intorder, (int, np.integer)) or intorder < 1:
            raise ParameterError(f"intorder: {intorder!r} is not a positive integer")
        self.mesh, self.kappa, self.order, self.intorder = mesh, kappa, order, int(intorder)
        self.basis = skfem.Basis(mesh, _ELEMENTS[order](), intorder=self.intorder)
        b = self.basis
        self.ndofs = b.N
        self.dx = np.asarray(b.dx)                                       # (nel, nqp)
        self.phi = np.stack([np.asarray(f[0]) for f in b.basis])         # (nloc, 2, nel, nqp)
        self.curl = np.stack([np.asarray(f[0].curl) for f in b.basis])   # (nloc, nel, nqp)
        self.element_dofs = np.asarray(b.element_dofs)                   # (nloc, nel)
        self.nel, self.nqp = self.dx.shape
        x = np.asarray(b.global_coordinates())                           # (2, nel, nqp)
        area = float(self.dx.sum())
        self.centroid = np.array([np.sum(x[0] * self.dx), np.sum(x[1] * self.dx)]) / area
        self.r = x - self.centroid[:, None, None]
        self.area = area
        extent = mesh.p.max(axis=1) - mesh.p.min(axis=1)
        #: δ = εκ²/d²: the mass shift of the factorised matrix (see the module docstring)
        self.shift = REGULARISATION * kappa**2 / float(extent @ extent)

        # sparsity pattern of the element matrices and each local entry's slot in the CSR data
        nloc = self.element_dofs.shape[0]
        rows = np.repeat(self.element_dofs[:, None, :], nloc, axis=1).ravel()
        cols = np.repeat(self.element_dofs[None, :, :], nloc, axis=0).ravel()
        pattern = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(b.N, b.N))
        pattern.sort_indices()
        self._indptr, self._indices = pattern.indptr, pattern.indices
        keys = np.repeat(np.arange(b.N, dtype=np.int64), np.diff(self._indptr)) * b.N \
            + self._indices
        self._slots = np.searchsorted(keys, rows.astype(np.int64) * b.N + cols)
        self._nnz = keys.size
        # κ²(curl φ_i, curl φ_j) and ∫curl φ_i: once per mesh
        local = kappa**2 * np.einsum("ieq,jeq,eq->ije", self.curl, self.curl, self.dx)
        self._stiffness = self._sum(local)
        self._curl_load = np.bincount(self.element_dofs.ravel(),
                                      weights=np.einsum("ieq,eq->ie", self.curl, self.dx).ravel(),
                                      minlength=b.N)
        # P1 hats at the quadrature points for the vertex projection of B
        X = np.asarray(b.X)
        self._hats = np.array([1.0 - X[0] - X[1], X[0], X[1]])           # (3, nqp)
        lumped = np.bincount(mesh.t.ravel(),
                             weights=np.einsum("kq,eq->ke", self._hats, self.dx).ravel(),
                             minlength=mesh.nvertices)
        self._lumped = lumped
        self._applied_dofs = None
        self._mass = self._sum(np.einsum("ikeq,jkeq,eq->ije", self.phi, self.phi, self.dx))
        self._shift_mass = self.shift * self._mass

    # ----------------------------------------------------------------------------------------
    def _sum(self, local: np.ndarray) -> np.ndarray:
        """CSR data of Σ_elements local[i, j, e] in the fixed pattern."""
        return np.bincount(self._slots, weights=local.ravel(), minlength=self._nnz)

    def _matrix(self, data: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(self.ndofs, self.ndofs))

    def _check(self, name: str, value, shape) -> np.ndarray:
        arr = np.asarray(value, dtype=float)
        if arr.shape != shape:
            raise ParameterError(
                f"{name}: shape {arr.shape} does not match the quadrature points of this mesh "
                f"and intorder={self.intorder}; expected {shape}")
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{name}: contains NaN or infinite values")
        return arr

    def applied_potential_dofs(self, h: float) -> np.ndarray:
        """Nédélec DOFs of A_a = (h/2) ẑ × (r − r_c) (exact: A_a lies in N1 ⊂ N2)."""
        if self._applied_dofs is None:
            mass = self._matrix(self._mass)
            f = 0.5 * np.array([-self.r[1], self.r[0]])
            rhs = np.bincount(self.element_dofs.ravel(),
                              weights=np.einsum("ikeq,keq,eq->ie", self.phi, f, self.dx).ravel(),
                              minlength=self.ndofs)
            self._applied_dofs = _spd_factor(mass).solve(rhs)
        return h * self._applied_dofs

    def assemble(self, rho: np.ndarray, s: np.ndarray, h: float):
        """The system κ²(curl φ_j, curl φ_i) + (ρφ_j, φ_i) (no shift) and the load
        (s, φ_i) + κ²h∫curl φ_i (checked inputs at the quadrature points)."""
        weight = rho * self.dx
        local = np.einsum("ikeq,jkeq,eq->ije", self.phi, self.phi, weight)
        matrix = self._matrix(self._stiffness + self._sum(local))
        load = np.bincount(self.element_dofs.ravel(),
                           weights=np.einsum("ikeq,keq,eq->ie", self.phi, s, self.dx).ravel(),
                           minlength=self.ndofs)
        load += self.kappa**2 * h * self._curl_load
        return matrix, load

    def solve(self, density_q, source_q, h: float, *, fixed_boundary_facets=None) -> FieldState:
        """A for the density ρ = |ψ|² (``density_q``, (nel, nqp), ≥ 0) and the source
        s = Im(ψ̄∇ψ) (``source_q``, (2, nel, nqp)) at the quadrature points, applied field h
        (units B_c2). ``fixed_boundary_facets``: boundary facet indices where n×A = n×A_a is
        imposed instead of curl A = h (default: none)."""
        rho = self._check("density_q", density_q, (self.nel, self.nqp))
        s = self._check("source_q", source_q, (2, self.nel, self.nqp))
        if np.any(rho < 0):
            raise ParameterError(
                f"density_q: min {rho.min():.3g} < 0; the density ρ = |ψ|² must be ≥ 0")
        try:
            h = float(h)
        except (TypeError, ValueError):
            h = float("nan")
        if not np.isfinite(h):
            raise ParameterError(f"h: {h!r} is not a finite number (B_a/B_c2)")

        matrix, load = self.assemble(rho, s, h)
        dofs = self.applied_potential_dofs(h)        # A_a: the starting point and the gauge
        free = np.arange(self.ndofs)
        if fixed_boundary_facets is not None and len(fixed_boundary_facets):
            facets = np.unique(np.asarray(fixed_boundary_facets, dtype=np.int64))
            boundary = set(self.mesh.boundary_facets().tolist())
            if facets.min() < 0 or not set(facets.tolist()) <= boundary:
                raise ParameterError(
                    "fixed_boundary_facets: not all indices are boundary facets of the mesh "
                    f"(0 ≤ index < {self.mesh.facets.shape[1]}, on the boundary)")
            free = np.setdiff1d(free, self.basis.get_dofs(facets).flatten())
        dofs, iterations = self._shifted_solve(matrix, load, dofs, free)
        return self._state(dofs, rho, s, h, iterations)

    def _shifted_solve(self, matrix, load, dofs, free):
        """Solve matrix·A = load on the free DOFs by iterative refinement with the shifted
        factor (matrix + δM)_ff (see the module docstring); returns (A, iterations)."""
        shifted = self._matrix(matrix.data + self._shift_mass)
        if free.size < self.ndofs:
            shifted = shifted[free][:, free]
        lu = _spd_factor(shifted)
        previous = np.inf
        for iteration in range(1, MAX_ITERATIONS + 1):
            step = np.zeros(self.ndofs)
            step[free] = lu.solve((load - matrix @ dofs)[free])
            dofs += step
            if not np.all(np.isfinite(dofs)):
                raise SolverError("FieldSolver.solve: the sparse solve returned non-finite "
                                  "values")
            # S-norms: field and supercurrent only (gauge parts where ρ = 0 carry none)
            change, size = step @ (matrix @ step), dofs @ (matrix @ dofs)
            if change <= TOLERANCE**2 * size:
                return dofs, iteration
            if change <= ROUNDOFF_FLOOR**2 * size and change >= 0.25 * previous:
                return dofs, iteration  # stalled at round-off (large or stretched meshes)
            previous = change
        raise SolverError(
            f"FieldSolver.solve: the shift-and-correct iteration did not reach {TOLERANCE:g} "
            f"in {MAX_ITERATIONS} steps (last correction {np.sqrt(change / size):.2e} of A in "
            f"the S-norm); the smallest curl eigenvalue is far below δ = {self.shift:.2e}")

    def _state(self, dofs, rho, s, h, iterations) -> FieldState:
        coeff = dofs[self.element_dofs]                                  # (nloc, nel)
        a = np.einsum("ie,ikeq->keq", coeff, self.phi)
        b = np.einsum("ie,ieq->eq", coeff, self.curl)
        j = s - rho * a
        moment = 0.5 * float(np.sum((self.r[0] * j[1] - self.r[1] * j[0]) * self.dx))
        energy = self.kappa**2 * float(np.sum((b - h) ** 2 * self.dx))
        weighted = np.einsum("kq,eq->ke", self._hats, b * self.dx)
        b_vertex = np.bincount(self.mesh.t.ravel(), weights=weighted.ravel(),
                               minlength=self.mesh.nvertices) / self._lumped
        return FieldState(a_quad=a, b_quad=b, b_vertex=b_vertex, moment=moment,
                          field_energy=energy, dofs=dofs, h=h,
                          iterations=iterations)
