r"""3D London screening in the field (B) formulation, inside the superconductor only (§1b).

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

Outputs (:class:`~mqm_fem.london.common.LondonSolution`, SI): point data ``B`` (T) and ``J``
(A/m²), L2-projected onto the vertices of the superconductor (zero elsewhere); cell data ``B``
(element average; NaN outside the superconductors) and ``J`` (constant per element; zero
outside); field data ``magnetic_moment`` m = ½∫(r − r_c)×J dV about the superconductors'
centroid r_c (A·m²; where J crosses a natural boundary, as in a slab cut from an infinite one,
m depends on r_c), ``mean_field`` ⟨B⟩ over Ω_s (T), ``magnetic_energy`` (1/2μ₀)∫_Ωs|B|² dV and
``kinetic_energy`` ½μ₀λ²∫_Ωs|J|² dV (J).

Validation: ``tests/test_london_3d.py`` — slab B = B₀cosh(x/λ)/cosh(d/2λ) and cylinder
B_z = B₀ I₀(r/λ)/I₀(R/λ), L2 error converging at order ≈ 1 (lowest-order Nédélec).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain
from ..units import MU0
from .avector import (
    _centroid,
    _check_domain,
    _solve_curl_curl,
)
from .common import (
    LondonSolution,
    applied_field_vector,
    cell_average,
    element_lambda,
    project_to_vertices,
    resolve_penetration_depth,
)

__all__ = ["solve_b_formulation", "superconductor_surface", "tangential_edge_values"]

#: Gauss–Legendre nodes (on [0, 1]) and weights for the edge integrals of a callable B_s.
_GAUSS_S = 0.5 + 0.5 * np.array([-np.sqrt(0.6), 0.0, np.sqrt(0.6)])
_GAUSS_W = np.array([5.0, 8.0, 5.0]) / 18.0


def solve_b_formulation(domain: Domain, penetration_depth, boundary_field, *,
                        superconductors=None, boundaries=None, solver: str = "auto",
                        tol: float = 1e-10) -> LondonSolution:
    """Solve λ²∇×∇×B + B = 0 in the superconductors with n×B = n×B_s on ``boundaries``.

    Parameters
    ----------
    domain : Domain
        3D tetrahedral mesh; only the superconducting elements are used (vacuum regions, if
        any, are ignored).
    penetration_depth : str, float or dict
        λ (``"100 nm"`` or metres) or a mapping superconducting region -> λ.
    boundary_field : sequence of 3, str or callable
        B_s in tesla: a constant vector (``(0, 0, 1e-3)``, ``"0 0 1 mT"``) or a callable taking
        points of shape (3, n) in metres and returning (3, n) tesla.
    superconductors : list of str, optional
        Superconducting regions (default: every region not named vacuum*/air*/hole*).
    boundaries : str or list of str, optional
        Named boundaries (facet groups) where n×B = n×B_s; default: the whole surface of the
        superconductors. Elsewhere the natural condition J×n = 0 holds.
    solver, tol
        As in :func:`mqm_fem.london.avector.solve_a_formulation`.
    """
    start = time.perf_counter()
    from skfem import Basis, BilinearForm, ElementTetN0
    from skfem.helpers import curl, dot

    _check_domain(domain, "the B-formulation")
    lambdas = resolve_penetration_depth(domain, penetration_depth, superconductors)
    mesh = domain.mesh
    ell = domain.length_unit
    lam = element_lambda(domain, lambdas)
    sc = np.flatnonzero(np.isfinite(lam))
    surface = superconductor_surface(mesh, sc)
    facets = _dirichlet_facets(domain, boundaries, surface)
    if callable(boundary_field):
        field_value = None
    else:
        field_value = applied_field_vector(boundary_field, 3, "boundary_field")

    basis = Basis(mesh, ElementTetN0())
    sc_basis = Basis(mesh, ElementTetN0(), elements=sc)
    lam2 = np.repeat((lam[sc] ** 2)[:, None], sc_basis.X.shape[1], axis=1)

    @BilinearForm
    def london_b(u, v, w):
        return w["lam2"] * dot(curl(u), curl(v)) + dot(u, v)

    K = london_b.assemble(sc_basis, lam2=lam2).tocsr()
    active = np.zeros(basis.N, dtype=bool)
    active[basis.element_dofs[:, sc].ravel()] = True
    edges = np.unique(mesh.f2e[:, facets]) if len(facets) else np.zeros(0, dtype=np.int64)
    edge_dof = np.empty(mesh.nedges, dtype=np.int64)
    edge_dof[mesh.t2e.ravel()] = basis.element_dofs.ravel()
    boundary_dofs = edge_dof[edges]
    values = tangential_edge_values(mesh, edges, boundary_field if field_value is None
                                    else field_value, ell)
    inactive = np.flatnonzero(~active)
    dirichlet = np.concatenate([boundary_dofs, inactive])
    x_dirichlet = np.concatenate([values, np.zeros(len(inactive))])
    x, solve_info = _solve_curl_curl(K, np.zeros(basis.N), basis, dirichlet, tol=tol,
                                     method=solver, x_dirichlet=x_dirichlet)

    fields = sc_basis.interpolate(x)
    b_q = np.asarray(fields)  # T
    j_q = fields.curl / (MU0 * ell)  # A/m²
    dx = sc_basis.dx
    x_q = np.asarray(sc_basis.global_coordinates())
    r_c = _centroid(mesh, sc)
    moment = 0.5 * ell**4 * np.einsum("ikq,kq->i", np.cross(x_q - r_c[:, None, None], j_q,
                                                            axis=0), dx)
    volume = dx.sum()
    mean_field = np.einsum("ikq,kq->i", b_q, dx) / volume
    e_mag = ell**3 / (2 * MU0) * float(np.sum(np.sum(b_q**2, axis=0) * dx))
    e_kin = ell**3 * MU0 / 2 * float(np.sum(lam2 * ell**2 * np.sum(j_q**2, axis=0) * dx))

    cell_b = np.full((mesh.nelements, 3), np.nan)
    cell_b[sc] = cell_average(b_q, dx)
    cell_j = np.zeros((mesh.nelements, 3))
    cell_j[sc] = cell_average(j_q, dx)
    point_data = {"B": project_to_vertices(mesh, b_q, sc_basis),
                  "J": project_to_vertices(mesh, j_q, sc_basis)}
    field_data = {"magnetic_moment": moment, "mean_field": mean_field,
                  "magnetic_energy": e_mag, "kinetic_energy": e_kin}
    units = {"B": "T", "J": "A/m^2", "magnetic_moment": "A*m^2", "mean_field": "T",
             "magnetic_energy": "J", "kinetic_energy": "J"}
    info = {**solve_info, "ndofs": int(active.sum()),
            "nfree": int(active.sum() - len(boundary_dofs)),
            "time_s": round(time.perf_counter() - start, 3), "center": r_c * ell,
            "solver": solve_info.get("method")}
    applied = field_value if field_value is not None else np.full(3, np.nan)
    return LondonSolution(
        domain=domain, formulation="B", penetration_depth=lambdas, applied_field=applied,
        point_data=point_data, cell_data={"B": cell_b, "J": cell_j}, field_data=field_data,
        units=units, info=info,
        extras={"basis": basis, "dofs": x, "dirichlet_facets": facets, "length_unit": ell},
    )


def superconductor_surface(mesh, elements) -> np.ndarray:
    """Facets on the boundary of the union of ``elements`` (facets used by exactly one)."""
    f = mesh.t2f[:, elements].ravel()
    ids, counts = np.unique(f, return_counts=True)
    return ids[counts == 1]


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
    if boundaries is None:
        return surface
    names = [boundaries] if isinstance(boundaries, str) else list(boundaries)
    parts = []
    for name in names:
        facets = np.asarray(domain.boundary(name))
        off = np.setdiff1d(facets, surface)
        if len(off):
            raise ParameterError(
                f"boundaries: {len(off)} facets of {name!r} are not on the surface of the "
                "superconductors; n×B = n×B_s is imposed on the superconductor's boundary only"
            )
        parts.append(facets)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
