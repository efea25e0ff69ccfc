"""The GL problem in reduced units: lengths in ξ, fields in B_c2 = Φ₀/(2πξ²), A in B_c2ξ.

The inputs (mesh, applied field or vector potential, boundary conditions) are resolved by the
same :func:`~mqm_fem.quantum.schrodinger.prepare_operator` as the linear Schrödinger problem with
the length scale L₀ = ξ, so that the reduced vector potential is a = (2eξ/ħ)A = A/(B_c2ξ) and the
linearisation of GL at ψ = 0 is the Schrödinger operator on the same mesh with ε = 1 at the
nucleation field (docs/theory.md §5).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import skfem

from ..errors import MqmFemWarning, ParameterError
from ..mesh import Domain
from ..quantum.nucleation import upper_critical_field
from ..quantum.schrodinger import (
    BoundaryConditions,
    OperatorProblem,
    prepare_operator,
)
from ..units import FieldLike, LengthLike, parse_length


@dataclass(frozen=True)
class GLParameters:
    """The material lengths: ξ (required) and λ (optional; κ = λ/ξ).

    Without λ the energies and currents are available in reduced units only; the SI energy unit
    B_c²ξᵈ/μ₀ (B_c = B_c2/(√2κ)) and the current unit J₀ = Φ₀/(2πμ₀λ²ξ) need κ.
    """

    coherence_length: float
    penetration_depth: float | None = None

    @property
    def kappa(self) -> float | None:
        """κ = λ/ξ, or None."""
        if self.penetration_depth is None:
            return None
        return self.penetration_depth / self.coherence_length

    @property
    def upper_critical_field(self) -> float:
        """B_c2 = Φ₀/(2πξ²) in T."""
        return upper_critical_field(self.coherence_length)


def gl_parameters(coherence_length: LengthLike, penetration_depth: LengthLike | None = None,
                  kappa: float | None = None) -> GLParameters:
    """Check ξ > 0 and λ > 0 (or κ > 0, giving λ = κξ); one of λ or κ at most."""
    xi = parse_length(coherence_length, "coherence_length")
    if xi > 1e-3:
        warnings.warn(f"coherence_length = {xi:.3g} m is implausible for a superconductor (ξ is "
                      "nm to µm); a bare number is read in metres — give a unit ('100 nm')",
                      MqmFemWarning, stacklevel=3)
    if penetration_depth is not None and kappa is not None:
        raise ParameterError("penetration_depth and kappa: give one of them (κ = λ/ξ)")
    lam = None
    if penetration_depth is not None:
        lam = parse_length(penetration_depth, "penetration_depth")
    elif kappa is not None:
        try:
            k = float(kappa)
        except (TypeError, ValueError):
            k = float("nan")
        if isinstance(kappa, bool) or not np.isfinite(k) or k <= 0:
            raise ParameterError(f"kappa: must be a positive number (κ = λ/ξ), got {kappa!r}")
        lam = k * xi
    return GLParameters(coherence_length=xi, penetration_depth=lam)


@dataclass
class GLProblem:
    """Resolved inputs of one GL solve.

    ``operator`` holds the superconducting sub-domain, the scalar Lagrange basis (coordinates
    in ξ) and the reduced vector potential a at its quadrature points; ``basis`` is the
    2-component basis of ψ = (Re ψ, Im ψ) on the same mesh and quadrature; ``fixed`` are the
    Dirichlet DOFs of that basis (ψ = 0); element k (vertex v) of the sub-domain is element
    ``parent_elements[k]`` (vertex ``parent_vertices[v]``) of the domain given.
    """

    operator: OperatorProblem
    parent: Domain
    basis: skfem.CellBasis
    fixed: np.ndarray
    parameters: GLParameters
    gauge: str
    parent_elements: np.ndarray
    parent_vertices: np.ndarray

    @property
    def domain(self) -> Domain:
        return self.operator.sub

    @property
    def scalar_basis(self) -> skfem.CellBasis:
        return self.operator.basis

    @property
    def a_quad(self) -> np.ndarray:
        return self.operator.a_quad

    @property
    def applied_field(self) -> np.ndarray:
        """The uniform applied field in T (3-vector; zeros if A was given otherwise)."""
        return self.operator.field

    @property
    def reduced_field(self) -> float:
        """h = |B_a|/B_c2."""
        return float(np.linalg.norm(self.applied_field) / self.parameters.upper_critical_field)

    @property
    def area(self) -> float:
        """Area (2D) or volume (3D) of the superconductor in ξ units."""
        return float(np.sum(self.scalar_basis.dx))


def prepare(domain: Domain, applied_field: FieldLike | None, vector_potential: object,
            parameters: GLParameters, *, order: int, bc: BoundaryConditions, gauge: str,
            center: FieldLike | None, superconductors: list[str] | None) -> GLProblem:
    """Resolve the inputs (units, regions, gauge, boundary conditions) in reduced units."""
    if isinstance(order, bool) or order not in (1, 2):
        raise ParameterError(f"order: Lagrange order must be 1 or 2, got {order!r}")
    if vector_potential is not None and applied_field is not None:
        raise ParameterError("applied_field and vector_potential: give one of them")
    operator = prepare_operator(domain, applied_field, vector_potential, None, order, bc, gauge,
                                center, parameters.coherence_length, superconductors)
    scalar = operator.basis
    basis = skfem.Basis(operator.mesh, skfem.ElementVector(scalar.elem, 2),
                        quadrature=scalar.quadrature)
    fixed = (basis.get_dofs(operator.dirichlet_facets).all() if operator.dirichlet_facets.size
             else np.zeros(0, dtype=np.int64))
    return GLProblem(operator=operator, parent=domain, basis=basis, fixed=fixed,
                     parameters=parameters,
                     gauge=gauge if vector_potential is None else "given",
                     parent_elements=domain.elements(domain.superconductor_names(superconductors)),
                     parent_vertices=operator.vertex_map)
