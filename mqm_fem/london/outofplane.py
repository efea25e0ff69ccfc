r"""2D London screening with the field out of the plane (docs/theory.md §1c).

An infinitely long prism along z in a uniform field B_a ẑ: B = B_z(x, y) ẑ with (SI)::

    −λ² ΔB_z + B_z = 0                       in Ω_s (the superconducting cross-section),
    B_z = B_a                                on the outer boundary Γ_D of the superconductor,
    ∂_n B_z = 0  (no current across)         on outer facets outside Γ_D (``dirichlet_boundaries``),
    B_z = b_k (one unknown constant)         in each hole h_k, fixed by fluxoid quantisation
    b_k |h_k| + λ² ∮_{∂h_k} ∂_n B_z ds = n_k Φ₀      (n pointing out of the superconductor).

μ₀J = (∂_y B_z, −∂_x B_z). Outside an infinitely long prism the field is exactly B_a.

Weak form (continuous P1 or P2 Lagrange, ``order``): all degrees of freedom of a hole — every DOF
of a meshed hole region ``hole_*`` including its boundary with the superconductor, or the DOFs on
the boundary loop of an unmeshed hole — are tied into one unknown b_k by a prolongation matrix P
(reduced DOFs -> full DOFs). Testing the equation with the hole's tied test function φ_k (= 1 on
the hole) and using the fluxoid condition gives the symmetric positive-definite system::

    λ²(∇B, ∇v)_{Ω_s} + (B, v)_{Ω_s ∪ holes} = Σ_k n_k Φ₀ v_k,

i.e. the hole's mass term supplies b_k|h_k| and n_kΦ₀ is the load on the hole's unknown. For an
unmeshed hole |h_k| comes from the loop polygon (shoelace formula). The fluxoid is read back as
(b_k|h_k| + λ²∮∂_nB_z ds)/Φ₀ with the line integral taken from the weak residual
λ²(∇B, ∇φ_k) + (B, φ_k) over the superconductor, which is exact for the discrete solution.

Holes: the meshed hole regions keep their names; an unmeshed hole (an interior boundary loop of
the mesh with no elements inside, detected as a clockwise loop of boundary facets) is named after
a boundary group ``<name>_boundary`` that covers exactly its loop, else ``hole_0``, ``hole_1``, …
in order of the loop centroid (x, then y), skipping names already taken.

Scaling: coordinates in mesh units ℓ (``domain.length_unit``), λ' = λ/ℓ, B in tesla:
λ'²(∇'B, ∇'v) + (B, v) = Σ n_k (Φ₀/ℓ²) v_k; J = (∂_y'B, −∂_x'B)/(μ₀ℓ).

Outputs (:class:`~mqm_fem.london.solution.LondonSolution`, SI, per unit length along z):

* point data ``B`` = (0, 0, B_z) in T (vertex values; B_a outside the superconductor and holes, b_k
  inside a vacuum region enclosed by hole k) and ``J`` = (J_x, J_y, 0) in A/m² (L2
  projection of the superconductor's current onto its vertices, zero elsewhere); cell data ``B``
  (element mean) and ``J`` (element mean, zero outside the superconductors).
* field data ``magnetic_moment`` m'_z = ∫(B_z − B_a)/μ₀ dA over the whole cross-section including
  the holes (A·m): for a prism, m' = ½∫ r × J dA per unit length, and with μ₀J = ∇×((B_z − B_a)ẑ)
  (B_z − B_a vanishes outside) an integration by parts turns ½∫ r × ∇×(f ẑ) dA into ∫ f dA ẑ. It
  is the magnetisation per unit length; a region with natural facets (a slab cut from an infinite
  one) counts the field it holds. ``mean_field`` ⟨B_z⟩ over Ω_s (T); for each hole
  ``hole_field_<name>`` b_k (T), ``hole_flux_<name>`` b_k|h_k| (Wb), ``hole_area_<name>`` (m²),
  ``fluxoid_<name>`` (units of Φ₀); energies per unit length (J/m): ``kinetic_energy``
  (λ²/2μ₀)∫|∇B_z|², ``field_energy`` (1/2μ₀)∫(B_z − B_a)² over superconductor and holes, and
  ``gibbs_energy`` = their sum, the Gibbs energy relative to the unscreened state. With zero
  fluxoids and B_z = B_a on the whole outer boundary, ``gibbs_energy`` = −½ m'_z B_a.

Error estimates (:mod:`mqm_fem.london.estimate_2d`, docs/theory.md "Error estimates (2D)"): the
moment (headline in an applied field; else the first hole's field), the energies and each hole's
field, flux and fluxoid, with a discretisation and a geometry part.

Regions with different λ meet with B_z and λ²∂_nB_z continuous (the natural interface condition
of the weak form). Limitation: boundary loops touching at a single vertex are merged into one.

Validation: ``tests/test_london_2d.py`` — slab B₀cosh(x/λ)/cosh(d/2λ) (P1 order 2, P2 order 3),
bilayer slab with two λ (P2 order 3), cylinder B₀I₀(r/λ)/I₀(R/λ) (order 2: polygonal circle),
hollow cylinder with fluxoids n = 0, 1, 2 against the Bessel solution (meshed and unmeshed
hole; b_h, fluxoid read-back, moment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import MeshError, ParameterError
from ..fem.forms import london_scalar, mass
from ..fem.projection import cell_average, project_to_vertices
from ..linalg.linear import SPD_METHODS, solve_spd_2d
from ..mesh import element_measures
from ..mesh.topology import oriented_loops
from ..units import MU0, PHI0
from .estimate_2d import estimate_out_of_plane
from .options import (
    FormulationOptions,
    check_mapping,
    check_names,
    check_order,
    check_positive,
    fluxoid_number,
    option,
    values_by_name,
)
from .problem import named_facets
from .registry import Formulation, register
from .solution import Energies, Hole, Outputs

__all__ = ["OutOfPlaneOptions", "lagrange_element"]


@dataclass(frozen=True)
class OutOfPlaneOptions(FormulationOptions):
    """Options of the 2D out-of-plane formulation."""

    source_options = ("fluxoids",)

    fluxoids: dict | None = option(
        None, cli="--fluxoid", repeat=True, metavar="HOLE=N",
        help="fluxoid number n_k trapped in a hole (integer; default 0: zero-field cooled)")
    order: int = option(2, cli="--order", choices=(1, 2), help="Lagrange degree, 1 or 2")
    dirichlet_boundaries: list | str | None = option(
        None, help="named boundaries where B_z = B_a (default: the whole outer boundary of the "
        "superconductor; other outer facets carry ∂_nB_z = 0)")
    solver: str = option("auto", cli="--solver", choices=SPD_METHODS,
                         help="linear solver (mqm_fem.linalg.solve_spd)")
    solver_tol: float = option(1e-12, help="relative residual of iterative solves")

    def validate(self):
        check_order(self.order)
        check_positive(self.solver_tol, "solver_tol")
        check_names(self.dirichlet_boundaries, "dirichlet_boundaries")
        check_mapping(self.fluxoids, "fluxoids", "hole")
        if self.fluxoids is not None:
            values_by_name(self.fluxoids, list(self.fluxoids), "fluxoids", "hole",
                           fluxoid_number)



@dataclass
class _System:
    """The reduced SPD system P^T K P y = load, with the map back to all DOFs."""

    matrix: sp.csr_matrix
    load: np.ndarray
    prolongation: sp.csr_matrix
    x_dirichlet: np.ndarray
    stiffness: sp.csr_matrix
    basis: object
    sc_basis: object
    union: np.ndarray
    holes: list
    n_free: int
    unmeshed_area: np.ndarray
    ndofs: int
    factor: object = None  # b -> matrix⁻¹b when the solve factorised (reused by the estimate)


def out_of_plane_field(field: np.ndarray) -> np.ndarray:
    """(0, 0, B_z) from B_z or a 3-vector without x/y components."""
    if field.size == 2 or (field.size == 3 and np.any(field[:2] != 0)):
        raise ParameterError(
            f"applied_field: {field.tolist()} T has in-plane components; the out-of-plane "
            "formulation takes B_z only (a number, '1 mT' or (0, 0, B_z)) — use "
            "formulation='in-plane' for (B_x, B_y) (the two problems are independent and "
            "their fields add)"
        )
    return np.array([0.0, 0.0, float(field[-1])])


def assemble(problem, options: OutOfPlaneOptions, element=None) -> _System:
    """λ'²(∇B, ∇v) + (B, v) over Ω_s (+ the hole mass), each hole's DOFs tied into one
    unknown, B_z = B_a on the outer boundary, n_kΦ₀/ℓ² the load of hole k.

    ``element``: a Lagrange element overriding ``options.order`` (the error estimate's P3
    solve, :mod:`mqm_fem.london.estimate_2d`)."""
    from skfem import Basis

    domain, ell = problem.domain, problem.length_unit
    mesh, lam = domain.mesh, problem.element_lambda
    sc = problem.superconducting
    element = lagrange_element(options.order) if element is None else element
    meshed = {n: np.asarray(domain.region(n)) for n in domain.hole_names()
              if n not in problem.penetration_depth}
    union = np.unique(np.concatenate([sc, *meshed.values()]))
    loops = oriented_loops(mesh, union)
    outer = np.concatenate([lp["facets"] for lp in loops if lp["area"] > 0]
                           + [np.zeros(0, dtype=np.int64)])
    dirichlet_facets = _dirichlet_facets(domain, options.dirichlet_boundaries, outer)
    holes = _holes(domain, meshed, [lp for lp in loops if lp["area"] < 0])
    n_fluxoid = values_by_name(options.fluxoids, [h["name"] for h in holes], "fluxoids", "hole",
                               fluxoid_number)

    geometry = basis_mesh(domain, options.order)  # curved (isoparametric) at order 2
    basis = Basis(geometry, element)
    sc_basis = Basis(geometry, element, elements=sc)
    lam2 = np.repeat((lam[sc] ** 2)[:, None], sc_basis.X.shape[1], axis=1)
    K = london_scalar.assemble(sc_basis, lam2=lam2)
    meshed_elements = np.concatenate([h["elements"] for h in holes if h["meshed"]]
                                     + [np.zeros(0, dtype=np.int64)])
    if len(meshed_elements):
        K = K + mass.assemble(Basis(geometry, element, elements=meshed_elements))
    K = K.tocsr()
    role = _dof_roles(basis, union, dirichlet_facets, holes)
    P, n_free = _prolongation(role, len(holes))
    x0 = np.where(role == FIXED, problem.applied_field[2], 0.0)
    unmeshed_area = np.array([0.0 if h["meshed"] else h["area"] for h in holes])
    A_red = (P.T @ K @ P).tocsr()
    if holes:
        A_red = A_red + sp.diags(np.concatenate([np.zeros(n_free), unmeshed_area])).tocsr()
    load = -(P.T @ (K @ x0))
    load[n_free:] += n_fluxoid * PHI0 / ell**2
    return _System(matrix=A_red, load=load, prolongation=P, x_dirichlet=x0, stiffness=K,
                   basis=basis, sc_basis=sc_basis, union=union, holes=holes, n_free=n_free,
                   unmeshed_area=unmeshed_area, ndofs=int(np.sum(role != INACTIVE)))


def solve(system: _System, options: OutOfPlaneOptions):
    """SPD solve of the reduced system. ``solver="auto"``: a nested-dissection-ordered direct
    factorisation (:func:`mqm_fem.linalg.linear.factorize_2d`, kept in ``system.factor`` so
    that the error estimate's adjoints are back-substitutions) whenever the 2D memory estimate
    fits, at any size — measured on a P2 annulus: 50k unknowns direct 0.5 s vs AMG-CG 1.0 s,
    200k unknowns 2.5 s vs 5 s, and the estimate then needs no factorisation of its own;
    otherwise AMG-CG (:func:`mqm_fem.linalg.solve_spd`). ``"direct"`` / ``"amg-cg"`` force
    either."""
    y, info, factor = solve_spd_2d(system.matrix, system.load, method=options.solver,
                                   tol=options.solver_tol, what="the out-of-plane London system")
    if factor is not None:
        system.factor = factor
    return system.prolongation @ y + system.x_dirichlet, info


def derive(problem, options, system: _System, x) -> Outputs:
    """B_z, J = (∂_yB_z, −∂_xB_z)/μ₀, the moment ∫(B_z − B_a)/μ₀ dA, energies, holes."""
    from skfem import Basis

    mesh, ell = problem.domain.mesh, problem.length_unit
    b_applied = problem.applied_field[2]
    sc, sc_basis = problem.superconducting, system.sc_basis
    n_free, holes = system.n_free, system.holes
    b_hole = (system.prolongation.T @ x)[n_free:] / np.maximum(
        np.asarray(system.prolongation.sum(axis=0)).ravel()[n_free:], 1)
    fluxoid = ((system.prolongation.T @ (system.stiffness @ x))[n_free:]
               + system.unmeshed_area * b_hole) * ell**2 / PHI0
    fields = sc_basis.interpolate(x)
    g = fields.grad  # T per mesh unit
    j_q = np.stack([g[1], -g[0]]) / (MU0 * ell)
    union_basis = Basis(system.basis.mesh, system.basis.elem, elements=system.union)
    u_q = np.asarray(union_basis.interpolate(x)) - b_applied
    excess = float(np.sum(u_q * union_basis.dx) + np.sum(system.unmeshed_area
                                                          * (b_hole - b_applied)))
    lam2 = problem.element_lambda[sc, None] ** 2
    e_kin = float(np.sum(lam2 * np.sum(g**2, axis=0) * sc_basis.dx)) * ell**2 / (2 * MU0)
    e_field = (float(np.sum(u_q**2 * union_basis.dx))
               + float(np.sum(system.unmeshed_area * (b_hole - b_applied) ** 2))) \
        * ell**2 / (2 * MU0)
    point_b, cell_b = _field_arrays(mesh, system, x, union_basis, u_q + b_applied, b_hole,
                                    b_applied)
    point_j = np.zeros((mesh.nvertices, 3))
    point_j[:, :2] = project_to_vertices(sc_basis.mesh, j_q, sc_basis)
    cell_j = np.zeros((mesh.nelements, 3))
    cell_j[sc, :2] = cell_average(j_q, sc_basis.dx)
    mean = float(np.sum(np.asarray(fields) * sc_basis.dx) / np.sum(sc_basis.dx))
    hole_results = {h["name"]: Hole(field=float(b_hole[k]),
                                    flux=float(b_hole[k] * h["area"] * ell**2),
                                    area=float(h["area"] * ell**2),
                                    fluxoid=float(fluxoid[k]), meshed=bool(h["meshed"]))
                    for k, h in enumerate(holes)}
    return Outputs(
        point_data={"B": point_b, "J": point_j}, cell_data={"B": cell_b, "J": cell_j},
        moment=np.array([0.0, 0.0, excess * ell**2 / MU0]),
        energies=Energies(kinetic=e_kin, field=e_field, gibbs=e_kin + e_field, unit="J/m"),
        ndofs=system.ndofs, holes=hole_results, mean_field=np.array([0.0, 0.0, mean]),
        state={"basis": system.basis, "dofs": x, "superconducting_elements": sc,
               "prolongation": system.prolongation})


def _field_arrays(mesh, system, x, union_basis, b_q, b_hole, b_applied):
    """Vertex and cell arrays of B = (0, 0, B_z): B_a outside, b_k in enclosed vacuum."""
    vertex_b = _vertex_field(mesh, system.basis, x, system.union, system.holes, b_hole,
                             b_applied)
    cell_b = np.full(mesh.nelements, b_applied)
    cell_b[system.union] = cell_average(b_q[None], union_basis.dx)[:, 0]
    for k, hole in enumerate(system.holes):
        if not hole["meshed"]:
            cell_b[hole["enclosed_elements"]] = b_hole[k]
    zeros_p, zeros_c = np.zeros(mesh.nvertices), np.zeros(mesh.nelements)
    return (np.stack([zeros_p, zeros_p, vertex_b], axis=1),
            np.stack([zeros_c, zeros_c, cell_b], axis=1))


#: Roles of a DOF in the reduced system (k ≥ 0: tied into the unknown of hole k).
INACTIVE, FIXED, FREE = -3, -2, -1


def _dof_roles(basis, union, dirichlet_facets, holes) -> np.ndarray:
    """Per DOF: INACTIVE (outside superconductor and holes), FIXED (B_z = B_a), FREE, or
    k ≥ 0 (tied into hole k)."""
    role = np.full(basis.N, INACTIVE)
    role[np.unique(basis.element_dofs[:, union])] = FREE
    if len(dirichlet_facets):
        role[basis.get_dofs(facets=dirichlet_facets).all()] = FIXED
    for k, hole in enumerate(holes):
        if hole["meshed"]:
            dofs = np.unique(basis.element_dofs[:, hole["elements"]])
        else:
            dofs = basis.get_dofs(facets=hole["facets"]).all()
        clash = role[dofs] != FREE
        if clash.any():
            other = role[dofs][clash][0]
            what = "the outer boundary where B_z = B_a" if other == FIXED else (
                f"hole {holes[other]['name']!r}" if other >= 0 else "no superconductor")
            raise MeshError(
                f"hole {hole['name']!r} touches {what}: a hole must be enclosed by "
                "superconductor (separate holes and the outer boundary by at least one element)"
            )
        role[dofs] = k
    return role


def _prolongation(role, n_holes):
    """P: reduced unknowns (free DOFs one by one, then one per hole) -> all DOFs."""
    free = np.flatnonzero(role == FREE)
    n_free = len(free)
    col = np.full(role.size, -1)
    col[free] = np.arange(n_free)
    tied = role >= 0
    col[tied] = n_free + role[tied]
    rows = np.flatnonzero(col >= 0)
    P = sp.csr_matrix((np.ones(len(rows)), (rows, col[rows])),
                      shape=(role.size, n_free + n_holes))
    return P, n_free


def basis_mesh(domain, order):
    """The mesh of the Lagrange basis: the curved (quadratic) geometry of a second-order mesh
    (``Domain.curved``) at order 2 — isoparametric P2, the boundary represented to O(h³) —, the
    straight-sided ``Domain.mesh`` otherwise. Both have the same vertices and elements."""
    return domain.curved if order == 2 and domain.curved is not None else domain.mesh


def lagrange_element(order):
    """ElementTriP1 or ElementTriP2."""
    from skfem import ElementTriP1, ElementTriP2

    check_order(order)
    return ElementTriP1() if order == 1 else ElementTriP2()


def _dirichlet_facets(domain, names, outer_facets) -> np.ndarray:
    """Facets where B_z = B_a: the named boundaries, or the whole outer boundary."""
    if names is None:
        return np.asarray(outer_facets, dtype=np.int64)
    return named_facets(domain, names, "dirichlet_boundaries", outer_facets,
                        "the outer boundary of the superconductor (B_z = B_a is imposed there "
                        "only; hole boundaries carry the fluxoid condition)")


def _holes(domain, meshed, hole_loops) -> list[dict]:
    measures = element_measures(domain.mesh)
    holes = [{"name": name, "meshed": True, "elements": elems,
              "area": float(measures[elems].sum())} for name, elems in meshed.items()]
    taken = set(domain.regions)
    hole_loops = sorted(hole_loops, key=lambda lp: (round(lp["centroid"][0], 12),
                                                    round(lp["centroid"][1], 12)))
    named = {}
    for bname, bfacets in domain.boundaries.items():
        if bname.endswith("_boundary"):
            named[bname[: -len("_boundary")]] = np.unique(bfacets)
    counter = 0
    enclosed = _enclosed_vacuum(domain, hole_loops)
    for lp, inside in zip(hole_loops, enclosed, strict=True):
        facets = np.unique(lp["facets"])
        name = next((n for n, f in named.items() if n not in taken and len(f) == len(facets)
                     and np.array_equal(f, facets)), None)
        if name is None:
            while f"hole_{counter}" in taken:
                counter += 1
            name = f"hole_{counter}"
        taken.add(name)
        holes.append({"name": name, "meshed": False, "facets": lp["facets"],
                      "area": -lp["area"], "centroid": lp["centroid"],
                      "enclosed_elements": inside})
    return holes


def _enclosed_vacuum(domain, hole_loops) -> list[np.ndarray]:
    """Elements (of ignored vacuum regions) lying inside each unmeshed hole loop."""
    if not hole_loops:
        return []
    from matplotlib.path import Path as PolyPath

    mesh = domain.mesh
    centers = mesh.p[:, mesh.t].mean(axis=1).T
    out = []
    for lp in hole_loops:
        edges = lp["edges"]
        nxt = dict(zip(edges[0], edges[1], strict=True))
        start = edges[0, 0]
        order = [start]
        while nxt[order[-1]] != start and len(order) <= edges.shape[1]:
            order.append(nxt[order[-1]])
        poly = PolyPath(mesh.p[:, order].T)
        out.append(np.flatnonzero(poly.contains_points(centers)))
    return out


def _vertex_field(mesh, basis, x, union, holes, b_hole, b_applied) -> np.ndarray:
    values = np.full(mesh.nvertices, b_applied)
    vertex_dofs = basis.nodal_dofs[0]
    in_union = np.unique(mesh.t[:, union])
    values[in_union] = x[vertex_dofs[in_union]]
    for k, hole in enumerate(holes):
        if not hole["meshed"] and len(hole["enclosed_elements"]):
            inside = np.unique(mesh.t[:, hole["enclosed_elements"]])
            values[np.setdiff1d(inside, in_union)] = b_hole[k]
    return values


register(Formulation(
    name="out-of-plane", dim=2,
    equation="−λ²ΔB_z + B_z = 0 in the superconducting cross-section, a fluxoid per hole",
    auto_rule="2D mesh, field along z (one value, or (0, 0, B_z))",
    auto=lambda domain, field: field.size == 1 or (field.size == 3 and not np.any(field[:2])),
    applied=out_of_plane_field, options=OutOfPlaneOptions,
    assemble=assemble, solve=solve, derive=derive, estimate=estimate_out_of_plane))
