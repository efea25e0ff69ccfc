r"""2D London screening with the field in the plane (transverse field, docs/theory.md §1d).

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
in the box, B_a' (field data ``box_applied_field``): near the conductors they are the free-space
solution for B_a, near the wall they are the box's. A net current I_k (a line monopole) needs
no correction when the conductor is centred in a circular boundary (A_r ∝ ln(r/L) vanishes
there).

Scaling: coordinates in mesh units ℓ, λ' = λ/ℓ, A in T·m: −Δ'A + χ(A − c)/λ'² = μ₀J_ext ℓ²,
B = (∂_y'A, −∂_x'A)/ℓ, J_z = −(A − c)/(μ₀λ'²ℓ²).

Outputs (:class:`~mqm_fem.london.solution.LondonSolution`, SI, per unit length along z): point data
``A`` = (0, 0, A_z) (T·m, vertex values), ``B`` = (B_x, B_y, 0) (T, L2 projection of the
gradient), ``J`` = (0, 0, J_z) (A/m², projected from the superconductors, zero elsewhere); cell data
``B`` and ``J`` (element means); field data ``magnetic_moment`` m' = ∫ (r − r_c) × J dA =
(∫ y J_z dA, −∫ x J_z dA) about r_c (A·m; independent of r_c when the net current vanishes),
``current_<component>`` (A), ``kinetic_energy`` (μ₀λ²/2)∫J_z² dA, ``field_energy``
(1/2μ₀)∫|∇A_r|² dA over the mesh and ``gibbs_energy`` = E_kin + E_field − ∫J_ext A_r dA (J/m; with
no net or external current and ``far_field="dirichlet"`` it equals −½ m'·B_a).
The sign convention of m' (no ½ for z-directed currents: the return currents at z = ±∞ supply the
other half) is checked against the transverse cylinder m' = −2πR²H₀ g(R), g = 1 − 2I₁(R)/(R I₀(R)).

Error estimates (:mod:`mqm_fem.london.estimate_2d`, docs/theory.md "Error estimates (2D)"): m′·B̂_a
(headline in an applied field; else the Gibbs energy), m′_x, m′_y and the energies.

Validation: ``tests/test_london_2d.py`` (transverse cylinder, field at several angles, net
current, far-field correction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError
from ..fem.forms import laplace, weighted_load, weighted_mass
from ..fem.projection import cell_average, project_to_vertices
from ..linalg.linear import factorized
from ..mesh import Domain
from ..units import MU0, parse_quantity
from .estimate_2d import estimate_in_plane
from .options import (
    FormulationOptions,
    check_mapping,
    check_names,
    check_order,
    option,
    values_by_name,
)
from .outofplane import basis_mesh, lagrange_element
from .problem import named_facets
from .registry import Formulation, register
from .solution import Energies, Outputs

__all__ = ["FAR_FIELDS", "InPlaneOptions", "superconducting_components"]

FAR_FIELDS = ("dipole", "dirichlet")


@dataclass(frozen=True)
class InPlaneOptions(FormulationOptions):
    """Options of the 2D in-plane (transverse-field) formulation."""

    source_options = ("currents", "current_density")

    currents: dict | None = option(
        None, cli="--current", repeat=True, metavar="CONDUCTOR=AMPS",
        help="net current of a superconducting component (A or '1 mA'; default 0)")
    current_density: dict | None = option(
        None, help="vacuum/normal region name -> uniform external J_z (A/m² or a string)")
    order: int = option(2, cli="--order", choices=(1, 2), help="Lagrange degree, 1 or 2")
    far_field: str = option(
        "dipole", cli="--far-field", choices=FAR_FIELDS,
        help="remove the outer wall's (R/L)² image error ('dipole', default) or not")
    outer_boundary: list | str | None = option(
        None, help="named boundaries where A_r = 0 (default: every boundary facet)")

    def validate(self):
        check_order(self.order)
        check_mapping(self.currents, "currents", "superconducting component")
        check_mapping(self.current_density, "current_density", "region")
        check_names(self.outer_boundary, "outer_boundary")



@dataclass
class _System:
    """[[L + M_s, C], [Cᵀ, D]] on the free DOFs and the floating constants c_k."""

    matrix: sp.csc_matrix
    keep: np.ndarray
    laplace: sp.csr_matrix
    dirichlet: np.ndarray
    basis: object
    sc_basis: object
    inv_lam2: np.ndarray
    x_q: np.ndarray
    center: np.ndarray
    names: list
    comp_pos: list
    net_current: np.ndarray
    j_ext: object
    ell: float
    applied: np.ndarray

    def applied_potential(self, field):
        """A_a (T·m) at the superconductor's quadrature points for (B_x, B_y)."""
        x_q, r_c = self.x_q, self.center
        return self.ell * (field[0] * (x_q[1] - r_c[1]) - field[1] * (x_q[0] - r_c[0]))

    def rhs(self, field, with_sources: bool) -> np.ndarray:
        """Load for the applied field ``field`` (+ J_ext and net currents)."""
        a_q = self.applied_potential(field)
        f = -weighted_load.assemble(self.sc_basis, f=self.inv_lam2 * a_q)
        g = np.array([float(np.sum(self.inv_lam2[e] * a_q[e] * self.sc_basis.dx[e]))
                      for e in self.comp_pos])
        if with_sources:
            if self.j_ext is not None:
                f = f + MU0 * self.ell**2 * self.j_ext(self.basis)
            g = g + MU0 * self.net_current
        return np.concatenate([f, g])

    def currents_at_quadrature(self, y, field):
        """J_z (A/m²) at the superconductor's quadrature points."""
        a_q = self.applied_potential(field) + np.asarray(
            self.sc_basis.interpolate(y[: self.basis.N]))
        c_q = np.zeros_like(a_q)
        for k, pos in enumerate(self.comp_pos):
            c_q[pos] = y[self.basis.N + k]
        return -(a_q - c_q) * self.inv_lam2 / (MU0 * self.ell**2)

    def moment(self, y, field) -> np.ndarray:
        """m' = (∫ y J_z dA, −∫ x J_z dA) about the centroid (A·m)."""
        j_q = self.currents_at_quadrature(y, field)
        dx = self.sc_basis.dx * self.ell**2
        rel = (self.x_q - self.center[:, None, None]) * self.ell
        return np.array([np.sum(rel[1] * j_q * dx), -np.sum(rel[0] * j_q * dx)])


@dataclass
class _Solved:
    y: np.ndarray
    box_field: np.ndarray
    image: np.ndarray
    factor: object = None  # the factorised matrix, b -> K⁻¹b (adjoint solves of the estimate)


def in_plane_field(field: np.ndarray) -> np.ndarray:
    """(B_x, B_y, 0) from (B_x, B_y) or a 3-vector with B_z = 0."""
    if field.size == 1 and field[0] == 0:  # no applied field (other sources drive it)
        return np.zeros(3)
    if field.size == 1 or (field.size == 3 and field[2] != 0):
        raise ParameterError(
            f"applied_field: {field.tolist()} T has a z component; the in-plane formulation "
            "takes (B_x, B_y) or (B_x, B_y, 0) — use formulation='out-of-plane' for B_z (the "
            "two problems are independent and their fields add)"
        )
    return np.array([field[0], field[1], 0.0])


def assemble(problem, options: InPlaneOptions, element=None) -> _System:
    """(∇A_r, ∇v) + (χ_s(A_r − c_k)/λ², v) with one floating constant c_k per conductor.

    ``element``: a Lagrange element overriding ``options.order`` (the error estimate's P3
    solve, :mod:`mqm_fem.london.estimate_2d`)."""
    from skfem import Basis

    domain, ell, mesh = problem.domain, problem.length_unit, problem.domain.mesh
    sc, lam = problem.superconducting, problem.element_lambda
    element = lagrange_element(options.order) if element is None else element
    names, comp_elements = superconducting_components(domain, problem.penetration_depth)
    net = values_by_name(options.currents, names, "currents", "superconducting component",
                         lambda key, v: parse_quantity(v, "current", f"currents[{key!r}]"))
    j_ext = _external_current(domain, options.current_density, sc)
    outer = _outer_facets(domain, options.outer_boundary)
    if np.all(np.isfinite(lam[mesh.f2t[0, outer]])):
        raise ParameterError(
            "domain: the in-plane formulation needs vacuum around the conductors (A_r = 0 on "
            "the outer boundary of a vacuum region), but every outer boundary facet belongs to a "
            "superconductor; mesh a vacuum region (e.g. geometry.circle_in_box)"
        )
    geometry = basis_mesh(domain, options.order)  # curved (isoparametric) at order 2
    basis = Basis(geometry, element)
    sc_basis = Basis(geometry, element, elements=sc)
    inv_lam2 = np.repeat((1.0 / lam[sc] ** 2)[:, None], sc_basis.X.shape[1], axis=1)
    L = laplace.assemble(basis).tocsr()
    M_s = weighted_mass.assemble(sc_basis, s=inv_lam2).tocsr()
    elem_pos = np.full(mesh.nelements, -1)
    elem_pos[sc] = np.arange(len(sc))
    comp_pos = [elem_pos[e] for e in comp_elements]
    C = np.zeros((basis.N, len(names)))
    D = np.zeros(len(names))
    for k, pos in enumerate(comp_pos):
        s_k = np.zeros_like(inv_lam2)
        s_k[pos] = inv_lam2[pos]
        C[:, k] = -weighted_load.assemble(sc_basis, f=s_k)
        D[k] = float(np.sum(s_k * sc_basis.dx))
    dirichlet = basis.get_dofs(facets=outer).all()
    free = np.setdiff1d(np.arange(basis.N), dirichlet)
    K = sp.bmat([[L + M_s, sp.csr_matrix(C)], [sp.csr_matrix(C.T), sp.diags(D)]]).tocsr()
    keep = np.concatenate([free, basis.N + np.arange(len(names))])
    return _System(matrix=K[keep][:, keep].tocsc(), keep=keep, laplace=L, dirichlet=dirichlet,
                   basis=basis, sc_basis=sc_basis, inv_lam2=inv_lam2,
                   x_q=np.asarray(sc_basis.global_coordinates()), center=problem.centroid(),
                   names=names, comp_pos=comp_pos, net_current=net, j_ext=j_ext, ell=ell,
                   applied=problem.applied_field[:2])


def solve(system: _System, options: InPlaneOptions):
    """One factorisation; with ``far_field="dipole"`` the field applied in the box, B_a',
    solves B_a' + Γ m'(B_a') = B_a (Γ: the wall's image field per unit dipole)."""
    lu = factorized(system.matrix, what="the in-plane London system", dim=2)
    n = system.basis.N + len(system.names)

    def solution(field, with_sources=True):
        y = np.zeros(n)
        y[system.keep] = lu(system.rhs(field, with_sources)[system.keep])
        return y

    box_field, image = system.applied.copy(), np.zeros((2, 2))
    if options.far_field == "dipole":
        image = _image_field_matrix(system.basis, system.sc_basis, system.laplace,
                                    system.dirichlet, system.center, system.ell)
        response = np.stack([system.moment(solution(e, False), e) for e in np.eye(2)], axis=1)
        m_sources = system.moment(solution(np.zeros(2), True), np.zeros(2))
        box_field = np.linalg.solve(np.eye(2) + image @ response,
                                    system.applied - image @ m_sources)
    info = {"method": "direct", "iterations": 0, "box_applied_field": box_field.tolist()}
    return _Solved(solution(box_field), box_field, image, lu), info


def derive(problem, options, system: _System, solved: _Solved) -> Outputs:
    """A_z, B = (∂_yA_z, −∂_xA_z), J_z, m', net currents and energies (per unit length)."""

    mesh, ell, basis = problem.domain.mesh, system.ell, system.basis
    y, field_box = solved.y, solved.box_field
    j_q = system.currents_at_quadrature(y, field_box)
    a_r = y[: basis.N]
    dx = system.sc_basis.dx
    currents = {name: float(np.sum(j_q[pos] * dx[pos]) * ell**2)
                for name, pos in zip(system.names, system.comp_pos, strict=True)}
    e_field = float(a_r @ (system.laplace @ a_r)) / (2 * MU0)
    e_kin = MU0 * ell**2 / 2 * float(np.sum(j_q**2 / system.inv_lam2 * ell**2 * dx))
    work = 0.0 if system.j_ext is None else float(system.j_ext(basis) @ a_r) * ell**2
    r_c = system.center
    vertex_a = a_r[basis.nodal_dofs[0]] + (field_box[0] * (mesh.p[1] - r_c[1])
                                           - field_box[1] * (mesh.p[0] - r_c[0])) * ell
    g = basis.interpolate(a_r).grad / ell
    b_q = np.stack([g[1] + field_box[0], -g[0] + field_box[1]])
    point_b, cell_b = np.zeros((mesh.nvertices, 3)), np.zeros((mesh.nelements, 3))
    point_b[:, :2] = project_to_vertices(basis.mesh, b_q, basis)
    cell_b[:, :2] = cell_average(b_q, basis.dx)
    point_j, cell_j = np.zeros((mesh.nvertices, 3)), np.zeros((mesh.nelements, 3))
    point_j[:, 2] = project_to_vertices(basis.mesh, j_q[None], system.sc_basis)[:, 0]
    cell_j[problem.superconducting, 2] = cell_average(j_q[None], dx)[:, 0]
    point_a = np.zeros((mesh.nvertices, 3))
    point_a[:, 2] = vertex_a
    moment = system.moment(y, field_box)
    scalars = {"far_field": (options.far_field, "")}
    if options.far_field == "dipole":
        scalars["box_applied_field"] = (np.append(field_box, 0.0), "T")
    return Outputs(
        point_data={"A": point_a, "B": point_b, "J": point_j},
        cell_data={"B": cell_b, "J": cell_j}, moment=np.array([moment[0], moment[1], 0.0]),
        energies=Energies(kinetic=e_kin, field=e_field, gibbs=e_kin + e_field - work,
                          unit="J/m"),
        ndofs=int(basis.N), net_currents=currents, scalars=scalars,
        state={"basis": basis, "reaction_dofs": a_r, "center": r_c,
               "components": dict(zip(system.names, system.comp_pos, strict=True)),
               "image_matrix": solved.image})


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


def _external_current(domain, current_density, sc):
    if current_density is None:
        return None
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

    def load(basis):
        nq = basis.X.shape[1]
        return weighted_load.assemble(basis, f=np.repeat(jz[:, None], nq, axis=1))

    return load


def _outer_facets(domain, names) -> np.ndarray:
    """Facets where A_r = 0: the named boundaries, or every boundary facet."""
    if names is None:
        return domain.mesh.boundary_facets()
    return named_facets(domain, names, "outer_boundary")


def _image_field_matrix(basis, sc_basis, L, dirichlet, r_c, ell) -> np.ndarray:
    """Γ (T per A·m): the wall's image field at the conductors of a unit line dipole at r_c.

    The free dipole A_d = (μ₀/2π)(m × (r − r_c))_z/|r − r_c|² violates A_r = 0 on the wall; the
    harmonic correction h (Δh = 0 inside, h = −A_d on the wall) is the image, and its field
    (∂_y h, −∂_x h) averaged over the superconductors is the uniform image field.
    """
    d = basis.doflocs[:, dirichlet] - r_c[:, None]
    r2 = np.sum(d**2, axis=0)
    free = np.setdiff1d(np.arange(basis.N), dirichlet)
    solve = factorized(L[free][:, free].tocsc(), what="the in-plane image field", dim=2)
    area = sc_basis.dx.sum()
    gamma = np.zeros((2, 2))
    for j, m in enumerate(np.eye(2)):
        h = np.zeros(basis.N)
        h[dirichlet] = -MU0 / (2 * np.pi) * (m[0] * d[1] - m[1] * d[0]) / (r2 * ell)  # T·m
        h[free] = solve(-(L[free][:, dirichlet] @ h[dirichlet]))
        g = sc_basis.interpolate(h).grad / ell
        gamma[:, j] = [np.sum(g[1] * sc_basis.dx) / area, -np.sum(g[0] * sc_basis.dx) / area]
    return gamma


register(Formulation(
    name="in-plane", dim=2,
    equation="−ΔA_z + χ_s(A_z − c_k)/λ² = μ₀J_ext, a net current per conductor",
    auto_rule="2D mesh, field in the plane ((B_x, B_y) or (B_x, B_y, 0))",
    auto=lambda domain, field: field.size == 2 or (field.size == 3 and field[2] == 0
                                                   and bool(np.any(field[:2]))),
    applied=in_plane_field, options=InPlaneOptions,
    assemble=assemble, solve=solve, derive=derive, estimate=estimate_in_plane))
