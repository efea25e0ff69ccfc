r"""2D London screening with the field in the plane (transverse field, physics.md §1d).

Infinitely long conductors along z in vacuum, uniform applied field B_a(cos α, sin α) in the
plane: the vector potential is A = A_z(x, y) ẑ and (SI)::

    −ΔA_z + χ_s (A_z − c_k)/λ² = μ₀ J_ext            in the plane (χ_s = 1 in conductor k),
    I_k = −∫_k (A_z − c_k)/(μ₀λ²) dA                 net current of conductor k (default 0),
    A_z = A_a + A_r,  A_a = B_a (y cos α − x sin α)  (ΔA_a = 0, curl A_a = B_a),
    A_r = 0                                          on the outer boundary of the mesh.

B = (∂_y A_z, −∂_x A_z), J_z = −(A_z − c_k)/(μ₀λ²) in conductor k. The constants c_k float: one
per *connected* set of superconducting elements (a component; two touching regions form one
component named ``"a+b"``, a region in several pieces gives ``"name_0"``, ``"name_1"``, …).
Weak form (P1/P2 Lagrange) with the c_k as extra unknowns — the stationarity conditions of the
convex energy ½∫|∇A_r|² + ½∫χ_s(A_r + A_a − c_k)²/λ² − μ₀∫J_ext A_r − μ₀Σ I_k c_k, so the matrix is
symmetric positive definite::

    (∇A_r, ∇v) + (χ_s(A_r − c_k)/λ², v) = −(χ_s A_a/λ², v) + μ₀(J_ext, v),
    −∫_k (A_r − c_k)/λ² = ∫_k A_a/λ² + μ₀ I_k.

A_a is taken about the superconductors' centroid r_c (a constant shift is absorbed by the c_k).

Outer boundary. A_r = 0 there makes the outer boundary flux-conserving (B_r·n = 0). A conductor
without net current responds like a line dipole m' (per unit length),
A_r ≈ (μ₀/2π)(m' × (r − r_c))_z/|r − r_c|², and the wall's image of it is a nearly uniform field
B_u = Γm' at the conductor (Γ = −μ₀/(2πL²) for a circle of radius L centred on it). With the
polarisability α (m' = αB) the plain truncation gives m'_L = αB_a/(1 + μ₀α/(2πL²)): for a
cylinder of radius R (α = −2πR²g/μ₀) the relative error is g(R/L)²/(1 − g(R/L)²), so a plain
outer circle needs L ≳ 10R for 1 % when R ≫ λ (g → 1; L ≈ 5.5R at R = 2λ, g = 0.30).
``far_field="dipole"`` (default) removes this leading error: Γ is computed for the actual outer
boundary (two Laplace solves with A = −A_dipole on it: exactly −μ₀/(2πL²) for a centred circle,
any shape works), the 2×2 response X of the conductors in the box is computed from unit
applied fields (one factorisation, three right-hand sides), and the field actually applied in
the box, B_a', is chosen such that B_a' + Γm'(B_a') = B_a. What remains falls as (R/L)⁴ (the
quadrupole's image, the dipole's offset from the box centre): even L = 2R leaves < 1e-4
(``tests/test_london_2d.py::test_transverse_far_field_correction``). ``far_field="dirichlet"``
is the plain truncation. With ``"dipole"`` the output fields A, B contain the field applied
in the box, B_a' (``info["box_applied_field"]``): near the conductors they are the free-space
solution for B_a, near the wall they are the box's. A net current I_k (a line monopole) needs
no correction when the conductor is centred in a circular boundary (A_r ∝ ln(r/L) vanishes
there).

Scaling: coordinates in mesh units ℓ, λ' = λ/ℓ, A in T·m: −Δ'A + χ(A − c)/λ'² = μ₀J_ext ℓ²,
B = (∂_y'A, −∂_x'A)/ℓ, J_z = −(A − c)/(μ₀λ'²ℓ²).

Outputs (:class:`~mqm_fem.london.common.LondonSolution`, SI, per unit length along z): point data
``A`` = (0, 0, A_z) (T·m, vertex values), ``B`` = (B_x, B_y, 0) (T, L2 projection of the
gradient), ``J`` = (0, 0, J_z) (A/m², projected from the superconductors, zero elsewhere); cell data
``B`` and ``J`` (element means); field data ``magnetic_moment`` m' = ∫ (r − r_c) × J dA =
(∫ y J_z dA, −∫ x J_z dA) about r_c (A·m; independent of r_c when the net current vanishes),
``current_<component>`` (A), ``kinetic_energy`` (μ₀λ²/2)∫J_z² dA, ``field_energy``
(1/2μ₀)∫|∇A_r|² dA over the mesh and ``energy`` = their sum (J/m; with no net or external current
and ``far_field="dirichlet"`` it equals −½ m'·B_a, the linear-response Gibbs energy).
The sign convention of m' (no ½ for z-directed currents: the return currents at z = ±∞ supply the
other half) is checked against the transverse cylinder m' = −2πR²H₀ g(R), g = 1 − 2I₁(R)/(R I₀(R)).

Validation: ``tests/test_london_2d.py`` (transverse cylinder, field at several angles, net
current, far-field correction).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from ..mesh import Domain, element_measures
from ..units import MU0, parse_quantity, parse_vector
from .common import (
    LondonSolution,
    cell_average,
    element_lambda,
    project_to_vertices,
    resolve_penetration_depth,
    values_by_name,
)
from .outofplane import check_2d, lagrange_element

__all__ = ["FAR_FIELDS", "solve_in_plane", "superconducting_components"]

FAR_FIELDS = ("dipole", "dirichlet")


def solve_in_plane(domain: Domain, penetration_depth, applied_field, *, superconductors=None,
                   currents=None, current_density=None, order: int = 2,
                   far_field: str = "dipole", outer_boundary=None) -> LondonSolution:
    """Solve −ΔA_z + χ_s(A_z − c_k)/λ² = μ₀J_ext for conductors in a transverse field.

    Parameters
    ----------
    domain : Domain
        2D triangle mesh: superconducting regions inside vacuum regions (``vacuum*``/``air*``).
    penetration_depth : str, float or dict
        λ (``"100 nm"`` or metres), or a mapping superconducting region -> λ.
    applied_field : sequence or str
        (B_x, B_y) in tesla, ``"1 0 mT"``, or a 3-vector with B_z = 0 (a field along z is
        :func:`mqm_fem.london.outofplane.solve_out_of_plane`'s problem).
    superconductors : list of str, optional
        Superconducting regions (default: every region not named vacuum*/air*/hole*).
    currents : dict, optional
        Component name (see :func:`superconducting_components`) -> net current I_k (A or
        ``"1 mA"``); default 0 for every component.
    current_density : dict, optional
        Vacuum/normal region name -> external current density J_ext along z (A/m² or a string
        with units), uniform in the region.
    order : 1 or 2
        Lagrange degree (default 2).
    far_field : {"dipole", "dirichlet"}
        Correct the leading (R/L)² truncation error (default) or not; see the module docstring.
    outer_boundary : str or list of str, optional
        Named boundaries where A_r = 0; default every boundary facet of the mesh.
    """
    start = time.perf_counter()
    from skfem import Basis, BilinearForm, LinearForm
    from skfem.helpers import dot, grad

    check_2d(domain, "solve_in_plane")
    element = lagrange_element(order)
    b_applied = in_plane_field(applied_field)
    if far_field not in FAR_FIELDS:
        raise ParameterError(f"far_field: must be one of {FAR_FIELDS}, got {far_field!r}")
    lambdas = resolve_penetration_depth(domain, penetration_depth, superconductors)
    mesh = domain.mesh
    ell = domain.length_unit
    lam = element_lambda(domain, lambdas)
    sc = np.flatnonzero(np.isfinite(lam))
    names, comp_elements = superconducting_components(domain, lambdas)
    net = _net_currents(currents, names)
    j_ext = _external_current(domain, current_density, sc)
    outer = _outer_facets(domain, outer_boundary)
    if np.all(np.isfinite(lam[mesh.f2t[0, outer]])):
        raise ParameterError(
            "domain: the in-plane formulation needs vacuum around the conductors (A_r = 0 on "
            "the outer boundary of a vacuum region), but every outer boundary facet belongs to a "
            "superconductor; mesh a vacuum region (e.g. geometry.circle_in_box)"
        )

    basis = Basis(mesh, element)
    sc_basis = Basis(mesh, element, elements=sc)
    nq = sc_basis.X.shape[1]
    inv_lam2 = np.repeat((1.0 / lam[sc] ** 2)[:, None], nq, axis=1)
    x_q = np.asarray(sc_basis.global_coordinates())
    measures = element_measures(mesh)
    r_c = (mesh.p[:, mesh.t[:, sc]].mean(axis=1) @ measures[sc]) / measures[sc].sum()

    @BilinearForm
    def laplace(u, v, _):
        return dot(grad(u), grad(v))

    @BilinearForm
    def screening(u, v, w):
        return w["s"] * u * v

    @LinearForm
    def weighted(v, w):
        return w["f"] * v

    L = laplace.assemble(basis).tocsr()
    M_s = screening.assemble(sc_basis, s=inv_lam2).tocsr()
    n_comp = len(names)
    # coupling to the floating constants: column k = −∫_k φ_i/λ², diagonal ∫_k 1/λ²
    elem_pos = np.full(mesh.nelements, -1)
    elem_pos[sc] = np.arange(len(sc))
    C = np.zeros((basis.N, n_comp))
    D = np.zeros(n_comp)
    for k, elems in enumerate(comp_elements):
        s_k = np.zeros_like(inv_lam2)
        s_k[elem_pos[elems]] = inv_lam2[elem_pos[elems]]
        C[:, k] = -weighted.assemble(sc_basis, f=s_k)
        D[k] = float(np.sum(s_k * sc_basis.dx))

    def applied_potential(field):  # A_a in T·m at the superconductor's quadrature points
        return field[0] * ell * (x_q[1] - r_c[1]) - field[1] * ell * (x_q[0] - r_c[0])

    def rhs(field, with_sources):
        a_q = applied_potential(field)
        f = -weighted.assemble(sc_basis, f=inv_lam2 * a_q)
        g = np.array([float(np.sum(inv_lam2[elem_pos[e]] * a_q[elem_pos[e]]
                                   * sc_basis.dx[elem_pos[e]])) for e in comp_elements])
        if with_sources:
            if j_ext is not None:
                f = f + MU0 * ell**2 * j_ext(basis)
            g = g + MU0 * net
        return np.concatenate([f, g])

    dirichlet = basis.get_dofs(facets=outer).all()
    free = np.setdiff1d(np.arange(basis.N), dirichlet)
    K = sp.bmat([[L + M_s, sp.csr_matrix(C)], [sp.csr_matrix(C.T), sp.diags(D)]]).tocsr()
    keep = np.concatenate([free, basis.N + np.arange(n_comp)])
    K_free = K[keep][:, keep].tocsc()
    solve = _factorize(K_free)

    def solution(field, with_sources=True):
        y = np.zeros(basis.N + n_comp)
        y[keep] = solve(rhs(field, with_sources)[keep])
        return y

    def moment_of(y, field):
        a_q = applied_potential(field) + np.asarray(sc_basis.interpolate(y[: basis.N]))
        c_q = np.zeros_like(a_q)
        for k, elems in enumerate(comp_elements):
            c_q[elem_pos[elems]] = y[basis.N + k]
        j_q = -(a_q - c_q) * inv_lam2 / (MU0 * ell**2)
        dx = sc_basis.dx * ell**2
        m = np.array([np.sum((x_q[1] - r_c[1]) * ell * j_q * dx),
                      -np.sum((x_q[0] - r_c[0]) * ell * j_q * dx)])
        return m, j_q

    field_box = b_applied.copy()
    image = np.zeros((2, 2))
    if far_field == "dipole":
        image = _image_field_matrix(basis, sc_basis, L, dirichlet, r_c, ell)
        response = np.stack([moment_of(solution(e, False), e)[0] for e in np.eye(2)], axis=1)
        m_sources = moment_of(solution(np.zeros(2), True), np.zeros(2))[0]
        field_box = np.linalg.solve(np.eye(2) + image @ response,
                                    b_applied - image @ m_sources)
    y = solution(field_box)
    moment, j_q = moment_of(y, field_box)
    a_r = y[: basis.N]
    c = y[basis.N:]

    # --- derived fields --------------------------------------------------------------------------
    dx = sc_basis.dx
    currents_back = [float(np.sum(j_q[elem_pos[e]] * dx[elem_pos[e]]) * ell**2)
                     for e in comp_elements]
    e_field = float(a_r @ (L @ a_r)) / (2 * MU0)
    e_kin = MU0 * ell**2 / 2 * float(np.sum(j_q**2 / inv_lam2 * ell**2 * dx))
    vertex_a = a_r[basis.nodal_dofs[0]] + (field_box[0] * (mesh.p[1] - r_c[1])
                                           - field_box[1] * (mesh.p[0] - r_c[0])) * ell
    all_basis = Basis(mesh, element)
    g = all_basis.interpolate(a_r).grad / ell
    b_q = np.stack([g[1] + field_box[0], -g[0] + field_box[1]])
    point_b = np.zeros((mesh.nvertices, 3))
    point_b[:, :2] = project_to_vertices(mesh, b_q, all_basis)
    cell_b = np.zeros((mesh.nelements, 3))
    cell_b[:, :2] = cell_average(b_q, all_basis.dx)
    point_j = np.zeros((mesh.nvertices, 3))
    point_j[:, 2] = project_to_vertices(mesh, j_q[None], sc_basis)[:, 0]
    cell_j = np.zeros((mesh.nelements, 3))
    cell_j[sc, 2] = cell_average(j_q[None], dx)[:, 0]
    zeros = np.zeros(mesh.nvertices)

    field_data = {"magnetic_moment": moment, "kinetic_energy": e_kin, "field_energy": e_field,
                  "energy": e_kin + e_field}
    units = {"A": "T*m", "B": "T", "J": "A/m^2", "magnetic_moment": "A*m",
             "kinetic_energy": "J/m", "field_energy": "J/m", "energy": "J/m"}
    for name, current in zip(names, currents_back, strict=True):
        field_data[f"current_{name}"] = current
        units[f"current_{name}"] = "A"
    info = {"ndofs": int(basis.N), "nfree": int(len(keep)), "order": order,
            "components": names, "far_field": far_field, "center": r_c * ell,
            "box_applied_field": field_box, "image_matrix": image,
            "time_s": round(time.perf_counter() - start, 3)}
    return LondonSolution(
        domain=domain, formulation="in-plane", penetration_depth=lambdas,
        applied_field=np.array([b_applied[0], b_applied[1], 0.0]),
        point_data={"A": np.stack([zeros, zeros, vertex_a], axis=1), "B": point_b,
                    "J": point_j},
        cell_data={"B": cell_b, "J": cell_j}, field_data=field_data, units=units, info=info,
        extras={"basis": basis, "reaction_dofs": a_r, "constants": c, "length_unit": ell,
                "superconducting_elements": sc, "components": dict(zip(names, comp_elements,
                                                                       strict=True))},
    )


def in_plane_field(applied_field) -> np.ndarray:
    """(B_x, B_y) in tesla from a 2-vector, ``"1 0 mT"`` or a 3-vector with B_z = 0."""
    if np.ndim(applied_field) == 0 and not (isinstance(applied_field, str)
                                            and len(applied_field.replace(",", " ").split()) > 2):
        raise ParameterError(
            f"applied_field: the in-plane formulation needs (B_x, B_y), got the single value "
            f"{applied_field!r}; a field along z is solve_out_of_plane's problem"
        )
    field = parse_vector(applied_field, "magnetic_field", "applied_field")
    if field.size not in (2, 3):
        raise ParameterError(
            f"applied_field: the in-plane formulation takes (B_x, B_y) or (B_x, B_y, 0); got "
            f"{field.size} components ({applied_field!r})"
        )
    if field.size == 3 and field[2] != 0:
        raise ParameterError(
            f"applied_field: {field.tolist()} T has a z component; solve_in_plane handles "
            "(B_x, B_y) only — use mqm_fem.london.outofplane.solve_out_of_plane for B_z (the "
            "two problems are independent and their fields add)"
        )
    return field[:2].astype(float)


def superconducting_components(domain: Domain, lambdas) -> tuple[list[str], list[np.ndarray]]:
    """Connected sets of superconducting elements (sharing an edge) and their names."""
    from scipy.sparse.csgraph import connected_components

    mesh = domain.mesh
    is_sc = np.zeros(mesh.nelements, dtype=bool)
    region_of = np.full(mesh.nelements, -1)
    names = list(lambdas)
    for i, name in enumerate(names):
        elems = domain.region(name)
        is_sc[elems] = True
        region_of[elems] = i
    f2t = mesh.f2t
    inner = (f2t[1] >= 0)
    a, b = f2t[0, inner], f2t[1, inner]
    both = is_sc[a] & is_sc[b]
    graph = sp.coo_matrix((np.ones(both.sum()), (a[both], b[both])),
                          shape=(mesh.nelements,) * 2)
    _, label = connected_components(graph, directed=False)
    sc = np.flatnonzero(is_sc)
    comps = [sc[label[sc] == lab] for lab in np.unique(label[sc])]
    bases = ["+".join(names[i] for i in sorted(set(region_of[c]))) for c in comps]
    comps_sorted = sorted(zip(bases, comps, strict=True),
                          key=lambda bc: (bc[0], *mesh.p[:, mesh.t[:, bc[1]]].mean(axis=(1, 2))))
    count = {base: sum(b == base for b, _ in comps_sorted) for base, _ in comps_sorted}
    index = dict.fromkeys(count, 0)
    out_names = []
    for base, _ in comps_sorted:
        out_names.append(base if count[base] == 1 else f"{base}_{index[base]}")
        index[base] += 1
    return out_names, [elems for _, elems in comps_sorted]


def _net_currents(currents, names) -> np.ndarray:
    return values_by_name(currents, names, "currents", "superconducting component",
                          lambda key, v: parse_quantity(v, "current", f"currents[{key!r}]"))


def _external_current(domain, current_density, sc):
    if current_density is None:
        return None
    if not isinstance(current_density, dict):
        raise ParameterError("current_density: expected a dict region name -> J_z (A/m^2)")
    from skfem import LinearForm

    mesh = domain.mesh
    jz = np.zeros(mesh.nelements)
    for name, value in current_density.items():
        elems = domain.region(name)
        if np.isin(elems, sc).any():
            raise ParameterError(
                f"current_density: region {name!r} is superconducting; the current of a "
                "superconductor is set by currents={component: I} (its density follows London)"
            )
        jz[elems] = parse_quantity(value, "current_density", f"current_density[{name!r}]")

    @LinearForm
    def source(v, w):
        return w["j"] * v

    def load(basis):
        nq = basis.X.shape[1]
        return source.assemble(basis, j=np.repeat(jz[:, None], nq, axis=1))

    return load


def _outer_facets(domain, names) -> np.ndarray:
    if names is None:
        return domain.mesh.boundary_facets()
    names = [names] if isinstance(names, str) else list(names)
    return np.unique(np.concatenate([np.asarray(domain.boundary(n)) for n in names]))


def _factorize(A):
    from ..linalg.linear import factorized

    return factorized(A, what="solve_in_plane", dim=2)


def _image_field_matrix(basis, sc_basis, L, dirichlet, r_c, ell) -> np.ndarray:
    """Γ (T per A·m): the wall's image field at the conductors of a unit line dipole at r_c.

    The free dipole A_d = (μ₀/2π)(m × (r − r_c))_z/|r − r_c|² violates A_r = 0 on the wall; the
    harmonic correction h (Δh = 0 inside, h = −A_d on the wall) is the image, and its field
    (∂_y h, −∂_x h) averaged over the superconductors is the uniform image field.
    """
    d = basis.doflocs[:, dirichlet] - r_c[:, None]
    r2 = np.sum(d**2, axis=0)
    free = np.setdiff1d(np.arange(basis.N), dirichlet)
    solve = _factorize(L[free][:, free].tocsc())
    area = sc_basis.dx.sum()
    gamma = np.zeros((2, 2))
    for j, m in enumerate(np.eye(2)):
        h = np.zeros(basis.N)
        h[dirichlet] = -MU0 / (2 * np.pi) * (m[0] * d[1] - m[1] * d[0]) / (r2 * ell)  # T·m
        h[free] = solve(-(L[free][:, dirichlet] @ h[dirichlet]))
        g = sc_basis.interpolate(h).grad / ell
        gamma[:, j] = [np.sum(g[1] * sc_basis.dx) / area, -np.sum(g[0] * sc_basis.dx) / area]
    return gamma
