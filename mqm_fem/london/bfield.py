r"""3D London screening in the field (B) formulation, inside the superconductor only.

Equation (SI), Ω_s the superconducting regions (λ per region)::

    λ² ∇×∇×B + B = 0                     in Ω_s,
    n × B = n × B_s                      on the chosen boundary facets Γ_D,
    (∇×B) × n = 0   (i.e. J × n = 0)     on the rest of ∂Ω_s (natural condition),

J = ∇×B/μ₀; ∇·B = 0 follows from the equation. Weak form with lowest-order Nédélec fields
(``ElementTetN0``), for all v with n×v = 0 on Γ_D::

    (λ² ∇×B, ∇×v) + (B, v) = 0.

The tangential boundary data enter through the Nédélec degrees of freedom, the line integrals
∫_e B_s·dl along the boundary edges e ⊂ Γ_D (exact for a constant B_s, 3-point Gauss–Legendre
along the edge for a callable): these are exactly the tangential components, so only n×B_s
matters. B_s is the field just outside the surface, e.g. the applied field for a long sample
parallel to it (slab, cylinder), or a callable of points.

Scaling: lengths in mesh units ℓ (``domain.length_unit``), B in tesla: λ'²(∇'×B, ∇'×v) + (B, v)
= 0 with λ' = λ/ℓ, and J = ∇'×B/(μ₀ℓ).

Outputs (:class:`~mqm_fem.london.solution.LondonSolution`, SI): point data ``B`` (T) and ``J``
(A/m²), L2-projected onto the vertices of the superconductor (zero elsewhere); cell data ``B``
(element average; zero outside the superconductors, where no field is computed) and ``J``
(constant per element; zero outside); field data ``magnetic_moment`` m = ½∫(r − r_c)×J dV
about the superconductors' centroid r_c (A·m²; where J crosses a natural boundary, as in a
slab cut from an infinite one, m depends on r_c), ``mean_field`` ⟨B⟩ over Ω_s (T),
``kinetic_energy`` ½μ₀λ²∫_Ωs|J|² dV (J) and ``superconductor_field_energy``
(1/2μ₀)∫_Ωs|B|² dV (J). The field outside the superconductor is not solved for, so
:class:`Energies` has no ``field`` and no ``gibbs`` term here.

Validation: ``tests/test_london_3d.py`` — slab B = B₀cosh(x/λ)/cosh(d/2λ) and cylinder
B_z = B₀ I₀(r/λ)/I₀(R/λ), L2 error converging at order ≈ 1 (lowest-order Nédélec).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from ..fem.forms import london_b
from ..fem.projection import cell_average, project_to_vertices
from ..linalg.linear import CURL_CURL_METHODS, solve_curl_curl
from ..mesh import Domain, is_vacuum_name
from ..mesh.topology import surface_facets
from ..units import MU0
from .estimate_3d import estimate_b
from .options import FormulationOptions, check_callable, check_names, check_positive, option
from .problem import named_facets, three_component_field
from .registry import Formulation, register
from .solution import Energies, Outputs

__all__ = ["BFormulationOptions", "tangential_edge_values"]

#: Gauss–Legendre nodes (on [0, 1]) and weights for the edge integrals of a callable B_s.
_GAUSS_S = 0.5 + 0.5 * np.array([-np.sqrt(0.6), 0.0, np.sqrt(0.6)])
_GAUSS_W = np.array([5.0, 8.0, 5.0]) / 18.0


@dataclass(frozen=True)
class BFormulationOptions(FormulationOptions):
    """Options of the 3D B-formulation."""

    source_options = ("boundary_field",)

    boundaries: list | str | None = option(
        None, help="named boundaries where n×B = n×B_s (default: the whole surface of the "
        "superconductors; elsewhere J×n = 0)")
    boundary_field: object = option(
        None, help="B_s(points (3, n) in m) -> (3, n) T on the boundary (default: the uniform "
        "applied field)")
    solver: str = option("auto", cli="--solver", choices=CURL_CURL_METHODS,
                         help="linear solver (mqm_fem.linalg.solve_curl_curl)")
    solver_tol: float = option(1e-10, help="relative residual of iterative solves")

    def validate(self):
        check_positive(self.solver_tol, "solver_tol")
        check_names(self.boundaries, "boundaries")
        check_callable(self.boundary_field, "boundary_field",
                       "B_s(points) -> (3, n) tesla (points of shape (3, n) in m)")



@dataclass
class _System:
    matrix: sp.csr_matrix
    basis: object
    sc_basis: object
    dirichlet: np.ndarray
    x_dirichlet: np.ndarray
    active: np.ndarray


def assemble(problem, options: BFormulationOptions) -> _System:
    """λ'²(∇×B, ∇×v) + (B, v) on the superconducting elements; the Nédélec DOFs of the
    boundary edges are the line integrals ∫_e B_s·dl, the DOFs off Ω_s are zero."""
    from skfem import Basis, ElementTetN0

    mesh, sc, lam = problem.domain.mesh, problem.superconducting, problem.element_lambda
    facets = _dirichlet_facets(problem.domain, options.boundaries,
                               surface_facets(mesh, sc))
    boundary_field = (options.boundary_field if options.boundary_field is not None
                      else problem.applied_field)
    basis = Basis(mesh, ElementTetN0())
    sc_basis = Basis(mesh, ElementTetN0(), elements=sc)
    lam2 = np.repeat((lam[sc] ** 2)[:, None], sc_basis.X.shape[1], axis=1)
    K = london_b.assemble(sc_basis, lam2=lam2).tocsr()
    active = np.zeros(basis.N, dtype=bool)
    active[basis.element_dofs[:, sc].ravel()] = True
    edges = np.unique(mesh.f2e[:, facets]) if len(facets) else np.zeros(0, dtype=np.int64)
    edge_dof = np.empty(mesh.nedges, dtype=np.int64)
    edge_dof[mesh.t2e.ravel()] = basis.element_dofs.ravel()
    values = tangential_edge_values(mesh, edges, boundary_field, problem.length_unit)
    inactive = np.flatnonzero(~active)
    x0 = np.zeros(basis.N)
    x0[edge_dof[edges]] = values
    return _System(matrix=K, basis=basis, sc_basis=sc_basis,
                   dirichlet=np.concatenate([edge_dof[edges], inactive]), x_dirichlet=x0,
                   active=active)


def solve(system: _System, options: BFormulationOptions):
    """:func:`mqm_fem.linalg.solve_curl_curl` with the boundary values in ``x0``."""
    free = np.setdiff1d(np.arange(system.basis.N), system.dirichlet)
    return solve_curl_curl(system.matrix, np.zeros(system.basis.N), system.basis,
                           free_dofs=free, method=options.solver, tol=options.solver_tol,
                           x0=system.x_dirichlet)


def derive(problem, options, system: _System, x) -> Outputs:
    """B, J = ∇×B/μ₀, m = ½∫(r − r_c)×J dV, ⟨B⟩ and the energies inside Ω_s."""
    mesh, ell, sc = problem.domain.mesh, problem.length_unit, problem.superconducting
    sc_basis = system.sc_basis
    fields = sc_basis.interpolate(x)
    b_q = np.asarray(fields)  # T
    j_q = fields.curl / (MU0 * ell)  # A/m²
    dx = sc_basis.dx
    x_q = np.asarray(sc_basis.global_coordinates())
    r_c = problem.centroid()
    moment = 0.5 * ell**4 * np.einsum("ikq,kq->i", np.cross(x_q - r_c[:, None, None], j_q,
                                                            axis=0), dx)
    mean_field = np.einsum("ikq,kq->i", b_q, dx) / dx.sum()
    lam2 = problem.element_lambda[sc, None] ** 2
    e_sc_field = ell**3 / (2 * MU0) * float(np.sum(np.sum(b_q**2, axis=0) * dx))
    e_kin = ell**3 * MU0 / 2 * float(np.sum(lam2 * ell**2 * np.sum(j_q**2, axis=0) * dx))
    cell_b = np.zeros((mesh.nelements, 3))  # no field is computed outside Ω_s
    cell_b[sc] = cell_average(b_q, dx)
    cell_j = np.zeros((mesh.nelements, 3))
    cell_j[sc] = cell_average(j_q, dx)
    return Outputs(
        point_data={"B": project_to_vertices(mesh, b_q, sc_basis),
                    "J": project_to_vertices(mesh, j_q, sc_basis)},
        cell_data={"B": cell_b, "J": cell_j}, moment=moment,
        energies=Energies(kinetic=e_kin, field=None, gibbs=None),
        ndofs=int(system.active.sum()), mean_field=mean_field,
        scalars={"superconductor_field_energy": (e_sc_field, "J")},
        state={"basis": system.basis, "dofs": x})


def tangential_edge_values(mesh, edges, boundary_field, length_unit) -> np.ndarray:
    """Nédélec DOFs ∫_e B_s·dl (tesla × mesh units) of ``boundary_field`` on ``edges``.

    Edge e runs from ``mesh.edges[0, e]`` to ``mesh.edges[1, e]`` (lower to higher vertex index,
    the orientation of skfem's ``ElementTetN0`` DOFs). A constant 3-vector is integrated exactly;
    a callable (points (3, n) in metres -> (3, n) tesla) with 3-point Gauss–Legendre.
    """
    ends = np.sort(mesh.edges[:, edges], axis=0)
    a, b = mesh.p[:, ends[0]], mesh.p[:, ends[1]]
    tangent = b - a
    if not callable(boundary_field):
        return np.asarray(boundary_field, dtype=float) @ tangent
    total = np.zeros(len(edges))
    for s, w in zip(_GAUSS_S, _GAUSS_W, strict=True):
        pts = (a + s * tangent) * length_unit
        val = np.asarray(boundary_field(pts), dtype=float)
        if val.shape != pts.shape:
            raise ParameterError(
                "boundary_field: the callable must return an array of shape (3, n) = "
                f"{pts.shape} tesla for points of shape (3, n) in metres, got {val.shape}"
            )
        total += w * np.sum(val * tangent, axis=0)
    return total


def _dirichlet_facets(domain: Domain, boundaries, surface) -> np.ndarray:
    """The facets where n×B = n×B_s: the named ``boundaries`` or the whole surface."""
    if boundaries is None:
        return surface
    return named_facets(domain, boundaries, "boundaries", surface,
                        "the surface of the superconductors (n×B = n×B_s is imposed there only)")


register(Formulation(
    name="B", dim=3,
    equation="λ²∇×∇×B + B = 0 in the superconductor, n×B = n×B_s on its surface",
    auto_rule="3D mesh without a vacuum region (the superconductor alone)",
    auto=lambda domain, field: not any(map(is_vacuum_name, domain.regions)),
    applied=three_component_field, options=BFormulationOptions,
    assemble=assemble, solve=solve, derive=derive, estimate=estimate_b))
