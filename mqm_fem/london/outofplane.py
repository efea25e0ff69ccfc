r"""2D London screening with the field out of the plane (physics.md §1c).

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

Outputs (:class:`~mqm_fem.london.common.LondonSolution`, SI, per unit length along z):

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
  ``energy`` = their sum, the Gibbs energy relative to the normal state. With zero fluxoids
  and B_z = B_a on the whole outer boundary, ``energy`` = −½ m'_z B_a (linear response).

Regions with different λ meet with B_z and λ²∂_nB_z continuous (the natural interface condition
of the weak form). Limitation: boundary loops touching at a single vertex are merged into one.

Validation: ``tests/test_london_2d.py`` — slab B₀cosh(x/λ)/cosh(d/2λ) (P1 order 2, P2 order 3),
bilayer slab with two λ (P2 order 3), cylinder B₀I₀(r/λ)/I₀(R/λ) (order 2: polygonal circle),
hollow cylinder with fluxoids n = 0, 1, 2 against the Bessel solution (meshed and unmeshed
hole; b_h, fluxoid read-back, moment).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..errors import MeshError, ParameterError
from ..mesh import Domain, element_measures
from ..units import MU0, PHI0
from .common import (
    LondonSolution,
    applied_field_vector,
    cell_average,
    element_lambda,
    project_to_vertices,
    require_dimension,
    resolve_penetration_depth,
    values_by_name,
)

__all__ = ["boundary_loops", "solve_out_of_plane"]


def solve_out_of_plane(domain: Domain, penetration_depth, applied_field, *, superconductors=None,
                       fluxoids=None, order: int = 2, dirichlet_boundaries=None,
                       solver: str = "auto", tol: float = 1e-12) -> LondonSolution:
    """Solve −λ²ΔB_z + B_z = 0 in the superconducting cross-section with fluxoids in the holes.

    Parameters
    ----------
    domain : Domain
        2D triangle mesh of the cross-section. Superconducting regions, optional meshed holes
        ``hole_*`` (vacuum, field uniform), optional unmeshed holes (interior boundary loops);
        other vacuum regions (``vacuum*``, ``air*``) are ignored (field B_a there).
    penetration_depth : str, float or dict
        λ (``"100 nm"`` or metres), or a mapping superconducting region -> λ.
    applied_field : float, str or sequence
        B_a in tesla along z: ``1e-3``, ``"1 mT"`` or ``(0, 0, 1e-3)`` (x/y components must be
        zero: an in-plane field is :func:`mqm_fem.london.inplane.solve_in_plane`'s problem).
    superconductors : list of str, optional
        Superconducting regions (default: every region not named vacuum*/air*/hole*).
    fluxoids : dict, optional
        Hole name -> integer fluxoid number n_k (default 0 for every hole: zero-field cooled).
    order : 1 or 2
        Lagrange polynomial degree (default 2).
    dirichlet_boundaries : str or list of str, optional
        Named boundaries where B_z = B_a is imposed; default the whole outer boundary of the
        superconductor. Outer facets left out carry the natural condition ∂_nB_z = 0 (no
        current through them: a slab cut out of an infinite one).
    solver, tol
        Passed to :func:`mqm_fem.linalg.solve_spd` (``"auto"``, ``"direct"``, ``"amg-cg"``).
    """
    start = time.perf_counter()
    from skfem import Basis, BilinearForm
    from skfem.helpers import dot, grad

    from ..linalg.linear import solve_spd

    check_2d(domain, "solve_out_of_plane")
    element = lagrange_element(order)
    b_applied = out_of_plane_field(applied_field)
    lambdas = resolve_penetration_depth(domain, penetration_depth, superconductors)
    mesh = domain.mesh
    ell = domain.length_unit
    lam = element_lambda(domain, lambdas)
    sc = np.flatnonzero(np.isfinite(lam))
    hole_regions = [n for n in domain.hole_names() if n not in lambdas]
    meshed = {n: np.asarray(domain.region(n)) for n in hole_regions}
    union = np.unique(np.concatenate([sc, *meshed.values()]))

    loops = boundary_loops(mesh, union)
    outer_facets = np.concatenate([lp["facets"] for lp in loops if lp["area"] > 0]
                                  + [np.zeros(0, dtype=np.int64)])
    dirichlet_facets = _dirichlet_facets(domain, dirichlet_boundaries, outer_facets)
    holes = _holes(domain, meshed, [lp for lp in loops if lp["area"] < 0])
    n_fluxoid = _fluxoid_numbers(fluxoids, [h["name"] for h in holes])

    basis = Basis(mesh, element)
    sc_basis = Basis(mesh, element, elements=sc)
    lam2 = np.repeat((lam[sc] ** 2)[:, None], sc_basis.X.shape[1], axis=1)

    @BilinearForm
    def london(u, v, w):
        return w["lam2"] * dot(grad(u), grad(v)) + u * v

    @BilinearForm
    def mass(u, v, _):
        return u * v

    K = london.assemble(sc_basis, lam2=lam2)
    meshed_elements = np.concatenate([h["elements"] for h in holes if h["meshed"]]
                                     + [np.zeros(0, dtype=np.int64)])
    if len(meshed_elements):
        K = K + mass.assemble(Basis(mesh, element, elements=meshed_elements))
    K = K.tocsr()

    # --- prolongation: free DOFs one by one, each hole's DOFs tied into one unknown ----------
    role = np.full(basis.N, -3)  # -3 inactive, -2 Dirichlet, -1 free, k >= 0 hole k
    role[np.unique(basis.element_dofs[:, union])] = -1
    dirichlet = basis.get_dofs(facets=dirichlet_facets).all() if len(dirichlet_facets) else []
    role[dirichlet] = -2
    for k, hole in enumerate(holes):
        if hole["meshed"]:
            dofs = np.unique(basis.element_dofs[:, hole["elements"]])
        else:
            dofs = basis.get_dofs(facets=hole["facets"]).all()
        clash = role[dofs] != -1
        if clash.any():
            other = role[dofs][clash][0]
            what = "the outer boundary where B_z = B_a" if other == -2 else (
                f"hole {holes[other]['name']!r}" if other >= 0 else "no superconductor")
            raise MeshError(
                f"hole {hole['name']!r} touches {what}: a hole must be enclosed by "
                "superconductor (separate holes and the outer boundary by at least one element)"
            )
        role[dofs] = k
        hole["dofs"] = dofs
    free = np.flatnonzero(role == -1)
    n_free, n_holes = len(free), len(holes)
    col = np.full(basis.N, -1)
    col[free] = np.arange(n_free)
    tied = role >= 0
    col[tied] = n_free + role[tied]
    rows = np.flatnonzero(col >= 0)
    P = sp.csr_matrix((np.ones(len(rows)), (rows, col[rows])), shape=(basis.N, n_free + n_holes))

    x0 = np.zeros(basis.N)
    x0[role == -2] = b_applied
    A_red = (P.T @ K @ P).tocsr()
    hole_area = np.array([h["area"] for h in holes])  # mesh units²
    unmeshed_area = np.array([0.0 if h["meshed"] else h["area"] for h in holes])
    if n_holes:
        A_red = A_red + sp.diags(np.concatenate([np.zeros(n_free), unmeshed_area])).tocsr()
    load = -(P.T @ (K @ x0))
    load[n_free:] += n_fluxoid * PHI0 / ell**2
    y, solve_info = solve_spd(A_red, load, method=solver, tol=tol)
    x = P @ y + x0
    b_hole = y[n_free:]

    # --- derived quantities ----------------------------------------------------------------------
    fluxoid_back = ((P.T @ (K @ x))[n_free:] + unmeshed_area * b_hole) * ell**2 / PHI0
    fields = sc_basis.interpolate(x)
    dx = sc_basis.dx
    g = fields.grad  # T per mesh unit
    j_q = np.stack([g[1], -g[0]]) / (MU0 * ell)
    b_q = np.asarray(fields)
    union_basis = Basis(mesh, element, elements=union)
    u_q = np.asarray(union_basis.interpolate(x))
    excess = float(np.sum((u_q - b_applied) * union_basis.dx))
    excess += float(np.sum(unmeshed_area * (b_hole - b_applied)))
    moment = excess * ell**2 / MU0
    e_kin = float(np.sum(lam2 * np.sum(g**2, axis=0) * dx)) * ell**2 / (2 * MU0)
    e_field = (float(np.sum((u_q - b_applied) ** 2 * union_basis.dx))
               + float(np.sum(unmeshed_area * (b_hole - b_applied) ** 2))) * ell**2 / (2 * MU0)

    vertex_b = _vertex_field(mesh, basis, x, union, holes, b_hole, b_applied)
    cell_b = np.full(mesh.nelements, b_applied)
    cell_b[union] = cell_average(u_q[None], union_basis.dx)[:, 0]
    for k, hole in enumerate(holes):
        if not hole["meshed"]:
            cell_b[hole["enclosed_elements"]] = b_hole[k]
    cell_j = np.zeros((mesh.nelements, 3))
    cell_j[sc, :2] = cell_average(j_q, dx)
    point_j = np.zeros((mesh.nvertices, 3))
    point_j[:, :2] = project_to_vertices(mesh, j_q, sc_basis)
    zeros_p, zeros_c = np.zeros(mesh.nvertices), np.zeros(mesh.nelements)

    field_data = {"magnetic_moment": moment,
                  "mean_field": float(np.sum(b_q * dx) / np.sum(dx)),
                  "kinetic_energy": e_kin, "field_energy": e_field, "energy": e_kin + e_field}
    units = {"B": "T", "J": "A/m^2", "magnetic_moment": "A*m", "mean_field": "T",
             "kinetic_energy": "J/m", "field_energy": "J/m", "energy": "J/m"}
    for k, hole in enumerate(holes):
        name = hole["name"]
        field_data[f"hole_field_{name}"] = float(b_hole[k])
        field_data[f"hole_flux_{name}"] = float(b_hole[k] * hole_area[k] * ell**2)
        field_data[f"hole_area_{name}"] = float(hole_area[k] * ell**2)
        field_data[f"fluxoid_{name}"] = float(fluxoid_back[k])
        units.update({f"hole_field_{name}": "T", f"hole_flux_{name}": "Wb",
                      f"hole_area_{name}": "m^2", f"fluxoid_{name}": "Phi0"})
    info = {**solve_info, "solve_time_s": solve_info.get("time_s"),
            "ndofs": int(np.sum(role >= -2)), "nfree": n_free + n_holes, "order": order,
            "holes": [h["name"] for h in holes],
            "unmeshed_holes": [h["name"] for h in holes if not h["meshed"]],
            "time_s": round(time.perf_counter() - start, 3)}
    return LondonSolution(
        domain=domain, formulation="out-of-plane", penetration_depth=lambdas,
        applied_field=np.array([0.0, 0.0, b_applied]),
        point_data={"B": np.stack([zeros_p, zeros_p, vertex_b], axis=1), "J": point_j},
        cell_data={"B": np.stack([zeros_c, zeros_c, cell_b], axis=1), "J": cell_j},
        field_data=field_data, units=units, info=info,
        extras={"basis": basis, "dofs": x, "prolongation": P, "length_unit": ell,
                "superconducting_elements": sc, "holes": holes,
                "dirichlet_facets": dirichlet_facets},
    )


# ----------------------------------------------------------------------------------------------
# helpers shared with the in-plane formulation
def check_2d(domain, who: str) -> None:
    require_dimension(domain, 2, who)


def lagrange_element(order):
    from skfem import ElementTriP1, ElementTriP2

    if order not in (1, 2) or isinstance(order, bool):
        raise ParameterError(f"order: must be 1 (P1) or 2 (P2, the default), got {order!r}")
    return ElementTriP1() if order == 1 else ElementTriP2()


def out_of_plane_field(applied_field) -> float:
    """B_a (tesla) along z from a number, ``"1 mT"`` or a 3-vector with zero x/y components."""
    if isinstance(applied_field, str) and len(applied_field.replace(",", " ").split()) <= 2:
        return float(applied_field_vector(applied_field, 1)[0])
    if np.ndim(applied_field) == 0 and not isinstance(applied_field, str):
        return float(applied_field_vector(applied_field, 1)[0])
    from ..units import parse_vector

    field = parse_vector(applied_field, "magnetic_field", "applied_field")
    if field.size == 1:
        return float(field[0])
    if field.size != 3:
        raise ParameterError(
            f"applied_field: the out-of-plane formulation takes B_z (a number, '1 mT') or a "
            f"3-vector (0, 0, B_z); got {field.size} components ({applied_field!r})"
        )
    if np.any(field[:2] != 0):
        raise ParameterError(
            f"applied_field: {field.tolist()} T has in-plane components; solve_out_of_plane "
            "handles B_z only — use mqm_fem.london.inplane.solve_in_plane for (B_x, B_y) "
            "(the two problems are independent and their fields add)"
        )
    return float(field[2])


def boundary_loops(mesh, elements) -> list[dict]:
    """Closed loops of the boundary of the union of ``elements`` (triangle indices).

    Each facet is oriented with its element on the left, so an outer boundary runs
    counter-clockwise (positive shoelace area) and the boundary of a hole clockwise (negative).
    Returns dicts with ``facets`` (indices into ``mesh.facets``), ``edges`` (2, n) oriented
    vertex pairs, ``area`` (signed, mesh units²) and ``centroid`` (of the enclosed polygon).
    """
    from scipy.sparse.csgraph import connected_components

    elements = np.asarray(elements)
    if elements.size == 0:
        return []
    t2f = mesh.t2f[:, elements]
    ids, counts = np.unique(t2f.ravel(), return_counts=True)
    facets = ids[counts == 1]
    is_boundary = np.isin(t2f, facets)
    owner = np.broadcast_to(elements, t2f.shape)[is_boundary]
    fac = t2f[is_boundary]
    a, b = mesh.facets[0, fac], mesh.facets[1, fac]
    c = mesh.t[:, owner].sum(axis=0) - a - b
    p = mesh.p
    cross = ((p[0, b] - p[0, a]) * (p[1, c] - p[1, a])
             - (p[1, b] - p[1, a]) * (p[0, c] - p[0, a]))
    swap = cross < 0
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    graph = sp.coo_matrix((np.ones(len(fac)), (a, b)), shape=(mesh.nvertices,) * 2)
    _, label = connected_components(graph, directed=False)
    loops = []
    for lab in np.unique(label[a]):
        sel = label[a] == lab
        xa, ya, xb, yb = p[0, a[sel]], p[1, a[sel]], p[0, b[sel]], p[1, b[sel]]
        w = xa * yb - xb * ya
        area = 0.5 * w.sum()
        centroid = np.array([np.sum((xa + xb) * w), np.sum((ya + yb) * w)]) / (6 * area)
        loops.append({"facets": fac[sel], "edges": np.stack([a[sel], b[sel]]),
                      "area": float(area), "centroid": centroid})
    return loops


def _dirichlet_facets(domain, names, outer_facets) -> np.ndarray:
    if names is None:
        return np.asarray(outer_facets, dtype=np.int64)
    names = [names] if isinstance(names, str) else list(names)
    parts = []
    for name in names:
        facets = np.asarray(domain.boundary(name), dtype=np.int64)
        off = np.setdiff1d(facets, outer_facets)
        if len(off):
            raise ParameterError(
                f"dirichlet_boundaries: {len(off)} facets of {name!r} are not on the outer "
                "boundary of the superconductor (B_z = B_a is imposed there only; hole "
                "boundaries carry the fluxoid condition)"
            )
        parts.append(facets)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


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


def _fluxoid_numbers(fluxoids, names) -> np.ndarray:
    return values_by_name(fluxoids, names, "fluxoids", "hole", _fluxoid_number)


def _fluxoid_number(key, value) -> float:
    try:
        n = float(value)
    except (TypeError, ValueError):
        n = np.nan
    if not np.isfinite(n) or n != round(n) or isinstance(value, bool):
        raise ParameterError(f"fluxoids[{key!r}]: must be an integer, got {value!r}")
    return n


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
