"""The GL free energy, its gradient and Hessian in the real 2N form (docs/theory.md §5).

In reduced units (lengths in ξ, fields in B_c2, A in B_c2ξ), relative to the normal state and in
units of B_c²ξᵈ/μ₀:

    F[ψ] = ∫_Ω |(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ dx  (+ (1/ℓ)∮|ψ|² ds on de Gennes boundaries)

with ψ = u + iw stored as the interleaved real vector x = (u₀, w₀, u₁, w₁, …) of the
two-component Lagrange basis. With the forms of :mod:`mqm_fem.fem.forms`:

    F(x) = xᵀ(K − M)x + ½∫|ψ|⁴,   ½∇F = (K − M)x + (|ψ|²ψ, v),   ½∇²F = K − M + T(ψ),

K = :data:`~mqm_fem.fem.forms.gl_kinetic` (+ Robin), M = :data:`~mqm_fem.fem.forms.gl_mass`,
T = :data:`~mqm_fem.fem.forms.gl_cubic_tangent`. The stationarity condition ½∇F = 0 is the weak
form of (∇ − iA)²ψ + ψ(1 − |ψ|²) = 0 with n·(∇ − iA)ψ = 0 (natural), ψ = 0 (Dirichlet) or
n·(∇ − iA)ψ = −ψ/ℓ (de Gennes). F is invariant under ψ → e^{iχ}ψ for constant χ, so the Hessian
at a solution has the null vector Jψ = iψ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import skfem

from ..fem.forms import gl_cubic, gl_cubic_tangent, gl_kinetic, gl_mass
from ..linalg.linear import factorized
from .problem import GLProblem


@dataclass
class EnergyParts:
    """The terms of the reduced free energy F = kinetic + condensation (+ field)."""

    kinetic: float
    condensation: float
    field: float = 0.0

    @property
    def total(self) -> float:
        return self.kinetic + self.condensation + self.field


class GLFunctional:
    """F, ½∇F and ½∇²F restricted to the free DOFs (Dirichlet DOFs are ψ = 0).

    K and M are assembled once; each evaluation assembles only the cubic terms.
    """

    def __init__(self, problem: GLProblem, a_quad: np.ndarray | None = None):
        self.problem = problem
        basis = problem.basis
        self.free = np.setdiff1d(np.arange(basis.N), problem.fixed)
        self.mass = gl_mass.assemble(basis).tocsr()
        self._mass_lu = None
        self.set_vector_potential(problem.a_quad if a_quad is None else a_quad)

    def set_vector_potential(self, a_quad: np.ndarray) -> None:
        """(Re)assemble K for the reduced A at the quadrature points (self-consistent loops)."""
        problem, basis = self.problem, self.problem.basis
        self.a_quad = a_quad
        K = gl_kinetic.assemble(basis, a=a_quad)
        for facets, ell in problem.operator.robin:
            fb = skfem.FacetBasis(basis.mesh, basis.elem, facets=facets,
                                  intorder=2 * problem.operator.order + 2)
            K = K + gl_mass.assemble(fb) / ell
        self.kinetic = K.tocsr()
        self.linear = (self.kinetic - self.mass).tocsr()
        f = self.free
        self._linear_free = self.linear[f][:, f].tocsr()
        self._mass_free = self.mass[f][:, f].tocsr()

    # -- vectors -------------------------------------------------------------------------------
    def full(self, x_free: np.ndarray) -> np.ndarray:
        """The full DOF vector (zeros at Dirichlet DOFs)."""
        x = np.zeros(self.problem.basis.N)
        x[self.free] = x_free
        return x

    def psi_quad(self, x_free: np.ndarray) -> np.ndarray:
        """ψ = (u, w) at the quadrature points, (2, nel, nqp)."""
        return np.asarray(self.problem.basis.interpolate(self.full(x_free)))

    # -- F, ½∇F, ½∇²F ----------------------------------------------------------------------
    def energy(self, x_free: np.ndarray) -> EnergyParts:
        """The reduced free energy F(x) split into kinetic and condensation parts."""
        x = self.full(x_free)
        rho = np.sum(self.psi_quad(x_free) ** 2, axis=0)
        dx = self.problem.basis.dx
        kinetic = float(x @ (self.kinetic @ x))
        condensation = float(np.sum((-rho + 0.5 * rho**2) * dx))
        return EnergyParts(kinetic=kinetic, condensation=condensation)

    def gradient(self, x_free: np.ndarray) -> np.ndarray:
        """½∇F at x (free DOFs)."""
        cubic = gl_cubic.assemble(self.problem.basis, psi=self.psi_quad(x_free))
        return self._linear_free @ x_free + cubic[self.free]

    def hessian(self, x_free: np.ndarray) -> sp.csr_matrix:
        """½∇²F at x (free DOFs), symmetric."""
        T = gl_cubic_tangent.assemble(self.problem.basis, psi=self.psi_quad(x_free))
        f = self.free
        return (self._linear_free + T[f][:, f]).tocsr()

    @property
    def mass_free(self) -> sp.csr_matrix:
        return self._mass_free

    def mass_solve(self, g: np.ndarray) -> np.ndarray:
        """M⁻¹g on the free DOFs (factorised once)."""
        if self._mass_lu is None:
            self._mass_lu = factorized(self._mass_free, what="GL mass matrix",
                                       dim=self.problem.domain.dim)
        return self._mass_lu(g)

    # -- complex view --------------------------------------------------------------------------
    def to_complex(self, x_free: np.ndarray) -> np.ndarray:
        """ψ at the scalar Lagrange DOFs (complex)."""
        x = self.full(x_free)
        return x[0::2] + 1j * x[1::2]

    def from_complex(self, psi: np.ndarray) -> np.ndarray:
        """The free part of the interleaved real vector of a complex ψ at the scalar DOFs."""
        x = np.empty(2 * psi.size)
        x[0::2], x[1::2] = psi.real, psi.imag
        return x[self.free]
