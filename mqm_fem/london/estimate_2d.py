r"""A-posteriori error estimates of the 2D London formulations (docs/theory.md, "Error
estimates (2D)").

Both formulations solve a symmetric positive-definite problem a(u, v) = F(v) for a reduced
unknown u (out-of-plane: w = B_z − B_a with one tied value per hole; in-plane: the reaction
potential A_r and one floating constant c_k per conductor). Every output is either linear in u
(moment, hole field) or quadratic (energies), so its error is written through an adjoint
(dual) solution z_J of the *same* matrix, a(z_J, v) = J′(u_h)[v]:

    J(u) − J(u_h) = a(u − u_h, z_J − z_J,h)   (+ ½J″[e, e] for the quadratic outputs).

Discretisation part
  * P1: ZZ recovery. ∇(u − u_h) ≈ G∇u_h − ∇u_h (L² projection onto continuous P1), so
    a(e, e_z) ≈ Σ_K ∫_K κ (G∇u_h − ∇u_h)·(G∇z_h − ∇z_h) (κ = λ² out of plane, 1 in plane; the
    reaction/mass part of a(e, e_z) is of higher order and left out).
  * P2: two-level P2/P3 by a hierarchical correction (:mod:`mqm_fem.fem.hierarchical`), not a
    full P3 solve: P3 = ΠP2 ⊕ C with C the P3 nodal functions at one interior node of every edge
    and at the centroid; δc = Acc⁻¹r_c (r_c: the P2 solution's residual tested with the free
    complement functions; Jacobi-CG to 1e-3), then δ₂ = A₂₂⁻¹(−A₂cδc) with the P2 factorisation
    (one back-substitution), and error ≈ value(u₂ + δ) − value(u₂) for every output. Out of
    plane only the complement block is assembled (``ElementTriP3Complement``, 4 functions per
    triangle); in plane the P3 system is assembled and restricted. Measured cost 0.4–0.95× the
    assembly + solve + derive from 6k to 200k unknowns (was 1.9–4.4× with a P3 solve); for
    compliant outputs the estimate is r_cᵀAcc⁻¹r_c ≤ a(e₃, e₃), about 0.8× the full two-level
    value (strengthened Cauchy–Schwarz constant of the splitting). The element indicators are
    the element energies of δ (distributed over the headline's error).

Compliant outputs. Out of plane, with no fluxoids, a(w, v) = −B_a(1, v) so the moment
m′ = (ℓ²/μ₀)(1, w) = −(ℓ²/μ₀B_a) a(w, w) and, by Galerkin orthogonality,
m′ − m′_h = −(ℓ²/μ₀B_a) a(e, e) ≤ 0 (the adjoint is z = −w/B_a); the Gibbs energy
G = (ℓ²/2μ₀) a(w, w) has G − G_h = +(ℓ²/2μ₀) a(e, e) with or without fluxoids. In plane, with no
net or external currents and the field B applied in the box, m′·B = (a(u, u) − C)/(μ₀ℓ) with
C = ∫A_a²/λ² fixed, so m′·B − m′_h·B = +a(e, e)/μ₀ (the adjoint of m′_x is the response to a unit
field along x divided by μ₀), and G = E_kin + E_field has G − G_h = −a(e, e)/(2μ₀).

Geometry part (straight-sided meshes; zero when ``domain.curved`` is set): the mesh's boundary
differs from the true one by δn = :func:`mqm_fem.mesh.curvature.boundary_gaps` (outward from the
superconductor); Hadamard's shape derivative of the Lagrangian J(u) + F(z) − a(u, z) gives
J_true − J_mesh ≈ Σ_F δn_F ∫_F g ds with

  * out of plane (w and z constant along the outer boundary, where w = 0, and along each hole
    rim): g = λ²∂_nw ∂_nz_J for the moment, a hole's field and E_field; g = ½λ²|∂_nw|² for the
    Gibbs energy (its energy principle); E_kin = G − E_field; a hole's area changes by
    −∫_{rim} δn, which enters its flux. Natural (∂_nB_z = 0) facets are not included.
  * in plane (a transmission interface; A and ∇A continuous): g = j_s(u) − (A − c)(z_A − z_c)/λ²
    with j_s the output's density in the superconductor (moment −A_a(ê)(A − c)/(μ₀λ²), E_kin
    (A − c)²/(2μ₀λ²), E_field 0); for the moment g = −(A − c)(A^ê − c^ê)/(μ₀λ²) with A^ê the
    response to a unit field.

Headline output: the moment (m_z, or m′·B̂_a in plane) when a field is applied; without one the
first hole's field (out of plane, fluxoids only) or the Gibbs energy. Indicators: per element of
the mesh, |discretisation contribution| of the headline plus |δn_F ∫_F g| of its facets.

Limits: the P1 estimate recovers ∇u, not λ²∇u (regions with different λ meet with a kink that
the recovery smooths: an overestimate near such interfaces); the far-field dipole correction of
the in-plane formulation is taken as exact (its own error is O((R/L)⁴)).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from ..fem.estimate import ErrorEstimate
from ..fem.forms import london_scalar, mass, weighted_load
from ..fem.hierarchical import (
    complement_basis,
    complement_dofs,
    embedding,
    two_level_correction,
)
from ..fem.recovery import recover
from ..linalg.linear import factorize_2d, solve_spd
from ..mesh.curvature import boundary_gaps
from ..units import MU0
from .solution import Estimates

__all__ = ["estimate_in_plane", "estimate_out_of_plane"]

METHOD_P1 = ("ZZ gradient recovery (P1), dual-weighted with an adjoint solve on the same "
             "matrix for non-compliant outputs")
METHOD_P2 = ("two-level P2/P3 hierarchical correction on the same mesh (edge/bubble "
             "complement, one CG solve on its block and one P2 back-substitution)")
#: how the complement block is solved ("cg" or "diagonal", mqm_fem.fem.hierarchical)
HIERARCHICAL_METHOD = "cg"
METHOD_GEOMETRY = "; geometry: Hadamard shape derivative with the boundary gaps δn"


# ---------------------------------------------------------------------------------------------
# shared pieces
def _sc_boundary_facets(mesh, sc):
    """Facets with a superconducting element on exactly one side, and that element."""
    is_sc = np.zeros(mesh.nelements, dtype=bool)
    is_sc[sc] = True
    a, b = mesh.f2t
    sc_a = is_sc[a]
    sc_b = (b >= 0) & is_sc[np.maximum(b, 0)]
    facets = np.flatnonzero(sc_a ^ sc_b)
    owner = np.where(sc_a[facets], a[facets], b[facets])
    return facets, owner, sc_a[facets]


def _facet_bases(mesh, element, facets, first_side):
    """FacetBasis pieces evaluated from the superconducting side: [(basis, positions)]."""
    from skfem import FacetBasis

    out = []
    for side, sel in ((0, first_side), (1, ~first_side)):
        pos = np.flatnonzero(sel)
        if len(pos):
            out.append((FacetBasis(mesh, element, facets=facets[pos], side=side), pos))
    return out


def _gaps(problem, facets, sc, order: int):
    """δn per facet (mesh units), zero where the solve was isoparametric (a curved domain at
    order 2; order 1 solves on the straight mesh)."""
    if (order == 2 and getattr(problem.domain, "curved", None)) or len(facets) == 0:
        return np.zeros(len(facets))
    return boundary_gaps(problem.domain.mesh, facets, sc)


def _distribute(weights, total, nelements, elements):
    """Non-negative indicators on ``elements`` proportional to ``weights``, summing to
    |total|."""
    out = np.zeros(nelements)
    s = float(np.sum(weights))
    if s > 0:
        np.add.at(out, elements, np.abs(total) * weights / s)
    return out


def _estimate(quantity, value, unit, method, discretisation, geometry):
    return ErrorEstimate.from_parts(quantity, value, unit, method,
                                    discretisation=discretisation, geometry=geometry)


def _two_level_energy(basis3, difference, kappa, mass_weight):
    """Per element of ``basis3``: ∫ κ|∇d|² + s d² for the P3 function d = u₃ − Πu₂."""
    fd = basis3.interpolate(difference)
    d_grad = np.sum(fd.grad**2, axis=0)
    d_val = np.asarray(fd) ** 2
    return np.sum((kappa[:, None] * d_grad + mass_weight[:, None] * d_val) * basis3.dx, axis=1)


def _reduced_embedding(Pi, P2, P3):
    """Π in reduced coordinates: y₂ (P2 unknowns, P2 @ y₂ = full DOFs) -> y₃ with
    P3 @ y₃ = Π P2 @ y₂ on the P3 unknowns (each tied group takes its common value), and the
    map full P3 DOFs -> reduced P3 unknowns."""
    counts = np.asarray(P3.sum(axis=0)).ravel()
    restrict = (sp.diags(1.0 / np.maximum(counts, 1)) @ P3.T).tocsr()
    return (restrict @ Pi @ P2).tocsr(), restrict


def _complement_positions(basis3, position, free):
    """Positions (in reduced P3 coordinates) of the complement functions that are free
    unknowns; ``position``: full P3 DOF -> reduced position (−1: fixed or removed), ``free``:
    which reduced positions are single free DOFs (not tied or extra unknowns)."""
    pos = position[complement_dofs(basis3)]
    pos = pos[pos >= 0]
    return np.sort(pos[free[pos]])


def _correction(matrix3, load3, y3, complement, Pi, coarse_solve):
    """δ from the two-level correction of :mod:`mqm_fem.fem.hierarchical`."""
    residual = load3 - matrix3 @ y3
    return two_level_correction(matrix3, residual, complement, embedding_matrix=Pi,
                                coarse_solve=coarse_solve, method=HIERARCHICAL_METHOD).delta


# ---------------------------------------------------------------------------------------------
# out of plane
def _spd_solver(system, options):
    """b -> A⁻¹b: the solve's own factorisation when it made one, else one sparse
    factorisation for all adjoints (cheap in 2D), or the formulation's iterative solver when
    the factorisation would not fit in memory."""
    if getattr(system, "factor", None) is not None:
        return system.factor
    try:
        return factorize_2d(system.matrix, "the out-of-plane error estimate")
    except SolverError:
        return lambda b: solve_spd(system.matrix, b, method=options.solver,
                                   tol=options.solver_tol)[0]


def _london_action(lam2):
    """LinearForm v ↦ ∫ λ²∇u·∇v + u v for a field u given at the quadrature points."""
    from skfem import LinearForm
    from skfem.helpers import dot

    @LinearForm
    def action(v, w):
        return lam2 * dot(w.u.grad, v.grad) + w.u * v

    return action


def _hierarchical_out_of_plane(problem, system, x, solve):
    """Two-level correction δ = δ₂ + δc of the P2 solution (module doc) assembled on the
    complement functions only (:func:`mqm_fem.fem.hierarchical.complement_basis`): δc solves
    Acc δc = r_c (r_c: the P2 solution's residual tested with the free complement functions),
    δ₂ = A₂₂⁻¹(−A₂cδc) with the P2 solver. Returns the P2 and P3 fields at the quadrature
    points of the superconductor, the hole values' change Δb_k and the element energies of δ."""
    from skfem import Basis

    mesh = system.basis.mesh
    sc = problem.superconducting
    basis_c = complement_basis(mesh, elements=sc)
    basis_2 = Basis(mesh, system.basis.elem, elements=sc, quadrature=basis_c.quadrature)
    P2, n_free = system.prolongation, system.n_free
    col = np.full(P2.shape[0], -1)
    rows, cols = P2.nonzero()
    col[rows] = cols
    # a complement function is free where the P2 edge DOF of its edge is (not fixed or tied)
    edge_col = col[system.basis.facet_dofs[0]]
    free = np.zeros(basis_c.N, dtype=bool)
    free[basis_c.facet_dofs[0]] = (edge_col >= 0) & (edge_col < n_free)
    in_sc = np.zeros(mesh.nelements, dtype=bool)
    in_sc[sc] = True
    free[basis_c.interior_dofs[0]] = in_sc
    c = np.flatnonzero(free)
    lam2 = np.repeat((problem.element_lambda[sc] ** 2)[:, None], basis_c.dx.shape[1], axis=1)
    action = _london_action(lam2)
    u2 = basis_2.interpolate(x)
    A = london_scalar.assemble(basis_c, lam2=lam2).tocsr()
    residual = -action.assemble(basis_c, u=u2)
    delta_c = np.zeros(basis_c.N)
    delta_c[c] = two_level_correction(A[c][:, c], residual[c], np.arange(len(c)),
                                      method=HIERARCHICAL_METHOD).delta
    d_c = basis_c.interpolate(delta_c)
    delta_2 = solve(-(P2.T @ action.assemble(basis_2, u=d_c)))
    d_2 = basis_2.interpolate(P2 @ delta_2)
    d_val = np.asarray(d_2) + np.asarray(d_c)
    d_grad = d_2.grad + d_c.grad
    energy = np.sum((lam2 * np.sum(d_grad**2, axis=0) + d_val**2) * basis_c.dx, axis=1)
    return basis_c, u2, d_val, d_grad, delta_2[n_free:], energy


def _output_changes_out_of_plane(problem, system, basis, u2, d_val, d_grad, d_hole, b2):
    """Changes of the outputs of :func:`mqm_fem.london.outofplane.derive` (moment m′_z,
    energies, hole fields) from u₂ to u₂ + δ: integrals over the superconductor; a hole holds
    the constant b_k, so its share is |h_k|·Δb_k (|h_k| from the straight mesh for a meshed
    hole: the curved area differs at O(h³) and multiplies Δb_k)."""
    ell, b_a = problem.length_unit, problem.applied_field[2]
    sc = problem.superconducting
    area = np.array([h["area"] for h in system.holes])
    v2 = np.asarray(u2) - b_a
    v3 = v2 + d_val
    b3 = b2 + d_hole
    d_moment = float(np.sum(d_val * basis.dx) + np.sum(area * d_hole))
    d_field = float(np.sum((v3**2 - v2**2) * basis.dx)
                    + np.sum(area * ((b3 - b_a) ** 2 - (b2 - b_a) ** 2)))
    lam2 = problem.element_lambda[sc, None] ** 2
    g2 = u2.grad
    d_kin = float(np.sum(lam2 * np.sum((g2 + d_grad) ** 2 - g2**2, axis=0) * basis.dx))
    s = ell**2 / (2 * MU0)
    return {"moment": d_moment * ell**2 / MU0, "kinetic": d_kin * s, "field": d_field * s,
            "gibbs": (d_kin + d_field) * s, "holes": d_hole}


def estimate_out_of_plane(problem, options, system, x, outputs) -> Estimates:
    """Estimates of m′_z, the energies and each hole's field, flux and fluxoid."""
    from skfem import Basis


    mesh, ell = problem.domain.mesh, problem.length_unit
    b_a = float(problem.applied_field[2])
    sc, sc_basis = problem.superconducting, system.sc_basis
    P, n_free, holes = system.prolongation, system.n_free, system.holes
    names = [h["name"] for h in holes]
    lam2_el = problem.element_lambda[sc] ** 2
    b_hole = np.array([outputs.holes[n].field for n in names])
    area = np.array([h["area"] for h in holes])  # mesh units²

    # adjoint loads (reduced unknowns) and scales to SI
    union_basis = Basis(mesh, system.basis.elem, elements=system.union)
    M_u = mass.assemble(union_basis)
    hole_pad = np.concatenate([np.zeros(n_free), system.unmeshed_area])
    w = x - b_a
    loads = {"moment": P.T @ (M_u @ np.ones(len(x))) + hole_pad,
             "field_energy": P.T @ (M_u @ w) + np.concatenate(
                 [np.zeros(n_free), system.unmeshed_area * (b_hole - b_a)])}
    for k, name in enumerate(names):
        e_k = np.zeros(P.shape[1])
        e_k[n_free + k] = 1.0
        loads[f"hole_field_{name}"] = e_k
    solve = _spd_solver(system, options)
    adjoint = {key: P @ solve(load) for key, load in loads.items()}
    scale = {"moment": ell**2 / MU0, "field_energy": ell**2 / MU0}
    scale.update({f"hole_field_{n}": 1.0 for n in names})

    # discretisation part and its element contributions
    disc, contrib = {}, {}
    if options.order == 1:
        keys = list(adjoint)
        grads = [sc_basis.interpolate(x).grad] + [sc_basis.interpolate(adjoint[k]).grad
                                                  for k in keys]
        stacked = np.concatenate(grads, axis=0)
        recovered, rec_dofs = recover(sc_basis, stacked, coefficients=True)
        diff = recovered - stacked
        d_u = diff[:2]
        lam2_q = lam2_el[:, None]

        def eta(d_z):
            return np.sum(lam2_q * np.sum(d_u * d_z, axis=0) * sc_basis.dx, axis=1)

        contrib["gibbs_energy"] = ell**2 / (2 * MU0) * eta(d_u)
        for i, key in enumerate(keys):
            contrib[key] = scale[key] * eta(diff[2 + 2 * i: 4 + 2 * i])
        disc = {key: float(np.sum(c)) for key, c in contrib.items()}
        disc["kinetic_energy"] = disc["gibbs_energy"] - disc["field_energy"]
        method = METHOD_P1
    else:
        basis_c, u2, d_val, d_grad, d_hole, energy = _hierarchical_out_of_plane(
            problem, system, x, solve)
        change = _output_changes_out_of_plane(problem, system, basis_c, u2, d_val, d_grad,
                                              d_hole, b_hole)
        disc["moment"] = change["moment"]
        for key in ("kinetic", "field", "gibbs"):
            disc[f"{key}_energy"] = change[key]
        for k, name in enumerate(names):
            disc[f"hole_field_{name}"] = float(change["holes"][k])
        method = METHOD_P2

    # geometry part: Hadamard on the Dirichlet boundary and the hole rims
    facets, owner, first_side = _sc_boundary_facets(mesh, sc)
    col = np.full(P.shape[0], -1)
    rows, cols = P.nonzero()
    col[rows] = cols
    fdofs = system.basis.nodal_dofs[:, mesh.facets[:, facets]].reshape(-1, len(facets))
    if system.basis.facet_dofs.size:
        fdofs = np.concatenate([fdofs, system.basis.facet_dofs[:, facets]])
    fcol = col[fdofs]
    constrained = np.all((fcol == -1) | (fcol >= n_free), axis=0)
    facets, owner, first_side = facets[constrained], owner[constrained], first_side[constrained]
    hole_of_facet = np.max(fcol[:, constrained], axis=0) - n_free  # < 0 on the outer boundary
    gaps = _gaps(problem, facets, sc, options.order)
    lam2_f = problem.element_lambda[owner] ** 2
    grad_products = {key: np.zeros(len(facets)) for key in [*adjoint, "gibbs_energy"]}
    lengths = np.zeros(len(facets))
    for fb, pos in _facet_bases(mesh, system.basis.elem, facets, first_side):
        n = fb.normals

        def normal_derivative(i, v, fb=fb, n=n):
            """∂_n of field i (0: B_z, then the adjoints): the recovered gradient for P1
            (the element gradient is only O(h) at the facet), the element's for P2."""
            if options.order == 1:
                return sum(np.asarray(fb.interpolate(rec_dofs[2 * i + c])) * n[c]
                           for c in range(2))
            return np.sum(fb.interpolate(v).grad * n, axis=0)

        dx = normal_derivative(0, x)
        lengths[pos] = np.sum(fb.dx, axis=1)
        grad_products["gibbs_energy"][pos] = 0.5 * np.sum(dx * dx * fb.dx, axis=1)
        for i, (key, z) in enumerate(adjoint.items()):
            dz = normal_derivative(i + 1, z)
            grad_products[key][pos] = np.sum(dx * dz * fb.dx, axis=1)
    scale["gibbs_energy"] = ell**2 / MU0
    geo_facet = {key: scale[key] * gaps * lam2_f * g for key, g in grad_products.items()}
    geo = {key: float(np.sum(v)) for key, v in geo_facet.items()}
    geo["kinetic_energy"] = geo["gibbs_energy"] - geo["field_energy"]

    # assemble the estimates
    unit_e = "J/m"
    results = {}
    geometry_method = method + METHOD_GEOMETRY
    results["moment"] = _estimate("m_z", outputs.moment[2], "A·m", geometry_method,
                                  disc["moment"], geo["moment"])
    for name_e in ("gibbs_energy", "kinetic_energy", "field_energy"):
        value = getattr(outputs.energies, name_e.split("_")[0])
        results[name_e] = _estimate(name_e.replace("_", " "), value, unit_e, geometry_method,
                                    disc[name_e], geo[name_e])
    for k, name in enumerate(names):
        key = f"hole_field_{name}"
        hole = outputs.holes[name]
        results[key] = _estimate(f"B_hole[{name}]", hole.field, "T", geometry_method,
                                 disc[key], geo[key])
        d_area = -float(np.sum(gaps[hole_of_facet == k] * lengths[hole_of_facet == k]))
        a_si = area[k] * ell**2
        results[f"hole_flux_{name}"] = _estimate(
            f"Φ_hole[{name}]", hole.flux, "Wb", geometry_method, disc[key] * a_si,
            geo[key] * a_si + hole.field * d_area * ell**2)
        results[f"fluxoid_{name}"] = _estimate(
            f"fluxoid[{name}]", hole.fluxoid, "1",
            "imposed (quantised): exact up to the solver tolerance", 0.0, 0.0)

    if b_a != 0 or not names:
        headline = "moment" if b_a != 0 else "gibbs_energy"
    else:
        headline = f"hole_field_{names[0]}"
    ordered = {headline: results[headline], **results}

    indicators = np.zeros(mesh.nelements)
    if options.order == 1:
        np.add.at(indicators, sc, np.abs(contrib[headline]))
    else:
        indicators += _distribute(energy, disc[headline], mesh.nelements, sc)
    np.add.at(indicators, owner, np.abs(geo_facet.get(headline, np.zeros(len(owner)))))
    return Estimates(outputs=ordered, indicators=indicators)


# ---------------------------------------------------------------------------------------------
# in plane
def _hierarchical_in_plane(system, system3, solved, options):
    """The full P3 vector (A_r DOFs, then the constants c_k) Πu₂ + δ (module doc)."""
    ncomp = len(system.names)
    Pi_full = sp.block_diag([embedding(system.basis, system3.basis), sp.eye(ncomp)]).tocsr()
    Pi = Pi_full[system3.keep][:, system.keep].tocsr()
    y3 = Pi @ solved.y[system.keep]
    n3 = system3.basis.N + ncomp
    position = np.full(n3, -1)
    position[system3.keep] = np.arange(len(system3.keep))
    free = system3.keep < system3.basis.N
    complement = _complement_positions(system3.basis, position, free)
    load3 = system3.rhs(solved.box_field, True)[system3.keep]
    delta = _correction(system3.matrix, load3, y3, complement, Pi, solved.factor)
    out, embedded = np.zeros(n3), np.zeros(n3)
    out[system3.keep] = y3 + delta
    embedded[system3.keep] = y3
    return out, embedded


def _outputs_in_plane(system3, y3, field_box):
    """m′ and the energies of :func:`mqm_fem.london.inplane.derive` for the P3 vector."""
    basis = system3.basis
    a_r = y3[: basis.N]
    j_q = system3.currents_at_quadrature(y3, field_box)
    e_field = float(a_r @ (system3.laplace @ a_r)) / (2 * MU0)
    ell = system3.ell
    e_kin = MU0 * ell**2 / 2 * float(np.sum(j_q**2 / system3.inv_lam2 * ell**2
                                            * system3.sc_basis.dx))
    work = 0.0 if system3.j_ext is None else float(system3.j_ext(basis) @ a_r) * ell**2
    return {"moment": system3.moment(y3, field_box), "kinetic": e_kin, "field": e_field,
            "gibbs": e_kin + e_field - work}


def estimate_in_plane(problem, options, system, solved, outputs) -> Estimates:
    """Estimates of the moment m′ (components and along B_a) and the energies."""
    from skfem import ElementTriP3

    from . import inplane

    mesh, ell = problem.domain.mesh, system.ell
    basis, sc_basis = system.basis, system.sc_basis
    sc = problem.superconducting
    N, ncomp = basis.N, len(system.names)
    u = solved.y
    field_box = solved.box_field
    applied = np.asarray(problem.applied_field[:2], dtype=float)

    def adjoint(load):
        y = np.zeros(N + ncomp)
        y[system.keep] = solved.factor(load[system.keep])
        return y

    # (A − c)/λ² at the superconductor's quadrature points (T·m per mesh unit²)
    a_minus_c_w = -system.currents_at_quadrature(u, field_box) * MU0 * ell**2
    kin_load_v = weighted_load.assemble(sc_basis, f=a_minus_c_w) / MU0
    kin_load_c = np.array([-float(np.sum(a_minus_c_w[pos] * sc_basis.dx[pos]))
                           for pos in system.comp_pos]) / MU0
    a_r = u[:N]
    loads = {"m_x": system.rhs(np.array([1.0, 0.0]), False) / MU0,
             "m_y": system.rhs(np.array([0.0, 1.0]), False) / MU0,
             "field_energy": np.concatenate([system.laplace @ a_r, np.zeros(ncomp)]) / MU0,
             "kinetic_energy": np.concatenate([kin_load_v, kin_load_c])}
    if system.j_ext is not None:
        loads["work"] = np.concatenate([system.j_ext(basis) * ell**2, np.zeros(ncomp)])
    z = {key: adjoint(load) for key, load in loads.items()}
    values = {"m_x": outputs.moment[0], "m_y": outputs.moment[1],
              "kinetic_energy": outputs.energies.kinetic,
              "field_energy": outputs.energies.field, "gibbs_energy": outputs.energies.gibbs}

    disc, contrib = {}, {}
    if options.order == 1:
        keys = list(z)
        stacked = np.concatenate([basis.interpolate(a_r).grad]
                                 + [basis.interpolate(z[k][:N]).grad for k in keys], axis=0)
        diff = recover(basis, stacked) - stacked
        d_u = diff[:2]

        def eta(d_z):
            return np.sum(np.sum(d_u * d_z, axis=0) * basis.dx, axis=1)

        for i, key in enumerate(keys):
            contrib[key] = eta(diff[2 + 2 * i: 4 + 2 * i])
        # E_kin + E_field = (a(u, u) − 2F_a(u) + C)/(2μ₀) (F_a: the applied-field load), so
        # with Galerkin orthogonality its error is (a(e, e) − 2a(e, R))/(2μ₀), R = μ₀(B′_x z_x
        # + B′_y z_y) the response to the box field; a(e, e)/(2μ₀) is also E_field's ½J″.
        quadratic = eta(d_u) / (2 * MU0)
        work = contrib.get("work", 0.0)
        contrib["gibbs_energy"] = (quadratic - field_box[0] * contrib["m_x"]
                                   - field_box[1] * contrib["m_y"] - work)
        contrib["field_energy"] = contrib["field_energy"] + quadratic
        contrib["kinetic_energy"] = contrib["gibbs_energy"] + work - contrib["field_energy"]
        disc = {key: float(np.sum(c)) for key, c in contrib.items()}
        method = METHOD_P1
    else:
        system3 = inplane.assemble(problem, options, element=ElementTriP3())
        y3, y_embedded = _hierarchical_in_plane(system, system3, solved, options)
        out3 = _outputs_in_plane(system3, y3, field_box)
        disc["m_x"] = float(out3["moment"][0] - outputs.moment[0])
        disc["m_y"] = float(out3["moment"][1] - outputs.moment[1])
        for key in ("kinetic", "field", "gibbs"):
            disc[f"{key}_energy"] = out3[key] - getattr(outputs.energies, key)
        s = np.zeros(mesh.nelements)
        s[sc] = 1.0 / problem.element_lambda[sc] ** 2
        energy = _two_level_energy(system3.basis, (y3 - y_embedded)[: system3.basis.N],
                                   np.ones(mesh.nelements), s)
        method = METHOD_P2

    # geometry: the superconductor/vacuum interface
    facets, owner, first_side = _sc_boundary_facets(mesh, sc)
    gaps = _gaps(problem, facets, sc, options.order)
    elem_pos = np.full(mesh.nelements, -1)
    elem_pos[sc] = np.arange(len(sc))
    comp_of = np.full(len(sc), -1)
    for k, pos in enumerate(system.comp_pos):
        comp_of[pos] = k
    owner_comp = comp_of[elem_pos[owner]]
    inv_lam2_f = 1.0 / problem.element_lambda[owner] ** 2
    r_c = system.center
    g = {key: np.zeros(len(facets)) for key in [*z, "gibbs_energy"]}
    for fb, pos in _facet_bases(mesh, basis.elem, facets, first_side):
        xq = np.asarray(fb.global_coordinates())

        def applied_potential(f, xq=xq):
            return ell * (f[0] * (xq[1] - r_c[1]) - f[1] * (xq[0] - r_c[0]))

        c_u = u[N + owner_comp[pos]][:, None]
        amc = applied_potential(field_box) + np.asarray(fb.interpolate(a_r)) - c_u
        w2 = inv_lam2_f[pos][:, None]
        dens = {}
        for key, zk in z.items():
            zmc = np.asarray(fb.interpolate(zk[:N])) - zk[N + owner_comp[pos]][:, None]
            dens[key] = -amc * zmc * w2
        for key, unit_field in (("m_x", (1.0, 0.0)), ("m_y", (0.0, 1.0))):
            dens[key] = dens[key] - applied_potential(unit_field) * amc * w2 / MU0
        dens["kinetic_energy"] = dens["kinetic_energy"] + amc**2 * w2 / (2 * MU0)
        for key, d in dens.items():
            g[key][pos] = np.sum(d * fb.dx, axis=1)
    geo_facet = {key: gaps * v for key, v in g.items()}
    geo_facet["gibbs_energy"] = (geo_facet["kinetic_energy"] + geo_facet["field_energy"]
                                 - geo_facet.get("work", 0.0))
    geo = {key: float(np.sum(v)) for key, v in geo_facet.items()}

    geometry_method = method + METHOD_GEOMETRY
    results = {}
    b_norm = float(np.linalg.norm(applied))
    if b_norm > 0:
        b_hat = applied / b_norm
        results["moment"] = _estimate(
            "m'·B̂_a", float(outputs.moment[:2] @ b_hat), "A·m", geometry_method,
            disc["m_x"] * b_hat[0] + disc["m_y"] * b_hat[1],
            geo["m_x"] * b_hat[0] + geo["m_y"] * b_hat[1])
        if options.order == 1:
            contrib["moment"] = contrib["m_x"] * b_hat[0] + contrib["m_y"] * b_hat[1]
        geo_facet["moment"] = geo_facet["m_x"] * b_hat[0] + geo_facet["m_y"] * b_hat[1]
        disc["moment"] = results["moment"].error - results["moment"].parts["geometry"]
    for key in ("m_x", "m_y", "gibbs_energy", "kinetic_energy", "field_energy"):
        unit = "A·m" if key.startswith("m_") else "J/m"
        results[key] = _estimate(key.replace("_energy", " energy"), values[key], unit,
                                 geometry_method, disc[key], geo[key])
    headline = "moment" if b_norm > 0 else "gibbs_energy"
    indicators = np.zeros(mesh.nelements)
    if options.order == 1:
        indicators += np.abs(contrib[headline])
    else:
        indicators += _distribute(energy, disc[headline], mesh.nelements,
                                  np.arange(mesh.nelements))
    np.add.at(indicators, owner, np.abs(geo_facet[headline]))
    return Estimates(outputs={headline: results[headline], **results}, indicators=indicators)
