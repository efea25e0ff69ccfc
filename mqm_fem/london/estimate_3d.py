r"""A-posteriori error estimates of the 3D London formulations "A" and "B" (docs/theory.md,
"Error estimates (3D)").

**A-formulation (compliance).** In mesh units with Ã = A/ℓ (tesla) the reaction potential
minimises Φ[Ã_r] = ½a(Ã_r, Ã_r) + (σÃ_a, Ã_r) − (μ₀ℓJ_ext, Ã_r), with
a(u, v) = (∇×u, ∇×v) + (σu, v), σ = χ_s/λ'². The Gibbs energy is G = (ℓ³/μ₀)(Φ + ½(σÃ_a, Ã_a)),
and the Galerkin minimiser over the Nédélec subspace satisfies Φ_h − Φ = ½a(e, e) exactly
(e = Ã_r − Ã_{r,h}; Ã_a = ½B_a×(r − r_c) lies in the space), so

    G_h − G = ℓ³ a(e, e) / (2μ₀),     m_h·B̂ − m·B̂ = −ℓ³ a(e, e) / (μ₀ |B_a|)

(G = −½m·B_a for J_ext = 0): the computed moment is too large in magnitude, never too small.
a(e, e) is estimated by recovery (ZZ): B_h = ∇×Ã_h (constant per element) projected onto
continuous P1 over the whole mesh, Ã_h (linear per element) projected onto continuous P1
over the superconductors,

    η_K² = ‖G(B_h) − B_h‖²_K + σ_K ‖G(Ã_h) − Ã_h‖²_K,     a(e, e) ≈ Σ_K η_K².

**Geometry (Hadamard).** The straight-sided mesh meshes a body smaller than the true one by the
normal gap δn (:func:`mqm_fem.mesh.curvature.boundary_gaps`). G is the minimum of an energy
whose only Ω_s-dependent density is the kinetic one, |A|²/(2μ₀λ²) = ½μ₀λ²|J|² (B is continuous
across Γ, so the field energy has no jump; with trapped fluxoids A − w replaces A, w the
winding field), hence dG = ∫_Γ δn |A|²/(2μ₀λ²) dS and
d(m·B̂) = −(2/|B_a|) dG. Checked by scaling a sphere's mesh (``tests/test_estimate_london_3d``).

**Curved domains.** On an isoparametric domain (``domain.curved``, solved on the quadratic
elements by :mod:`mqm_fem.london.avector`) the body is the curved one: the geometric part is 0
and the recovery uses quadrature on the curved mesh (continuous isoparametric P1, the same
η_K²). The load −a(Ã_a, v) keeps e in the homogeneous space, so the compliance identity holds
unchanged.

**Box.** With ``far_field="none"`` the truncation estimate τ (m_box/m − 1, see
:func:`mqm_fem.london.avector.box_truncation_estimate`) becomes the signed part
m/(1 + τ) − m. With ``far_field="image"`` the moment is m_free = m_box/(1 − c m_box·B̂), and
the parts are scaled by dm_free/dm_box = 1/(1 − c m_box·B̂)².

**B-formulation.** Unknown B in the superconductor only, n×B prescribed on Γ_D. With exact
boundary data (a uniform field), e ∈ V₀ and E_h − E = ℓ³a_B(e, e)/(2μ₀) for
E = E_kin + E_sc,field and a_B(u, v) = λ'²(∇×u, ∇×v) + (u, v). If moreover n×B = n×B_a on the
*whole* surface, the moment along B̂ is compliant with the opposite sign of the
A-formulation: the adjoint of m·B̂ is z = ℓ³(B̂ − B/|B_a|)/μ₀, so
m·B̂ − m_h·B̂ = −ℓ³a_B(e, e)/(μ₀|B_a|). Recovery as above with λ'² weighting the curl. No
geometric part (the body's own Hadamard derivative with Dirichlet data is not derived here).

Indicators: per element, the discretisation contribution ℓ³η_K²/(μ₀|B_a|) plus, on each
element with a surface facet, that facet's |geometry contribution|, in the unit of the
headline output; zero where nothing is solved.
"""

from __future__ import annotations

import numpy as np

from ..fem.estimate import ErrorEstimate
from ..fem.nedelec import NedelecTet
from ..fem.projection import dot_last, integrate_linear_product, project_linear
from ..fem.recovery import recovery_indicators
from ..mesh.curvature import boundary_gaps
from ..mesh.topology import surface_facets
from ..units import MU0
from .solution import Estimates

__all__ = ["estimate_a", "estimate_b", "recovery_indicators_linear", "surface_kinetic"]

METHOD_A = ("compliant moment: m_h·B̂ − m·B̂ = −ℓ³a(e,e)/(μ₀|B_a|), a(e,e) by ZZ recovery of "
            "B = ∇×A (whole mesh) and A (superconductors) onto continuous P1; Hadamard term "
            "∫δn|A|²/(μ₀λ²|B_a|) dS for the straight-sided surface; box truncation")
METHOD_A_CURVED = ("compliant moment: m_h·B̂ − m·B̂ = −ℓ³a(e,e)/(μ₀|B_a|), a(e,e) by ZZ "
                   "recovery of B = ∇×A (whole mesh) and A (superconductors) onto continuous "
                   "isoparametric P1 (quadrature); curved (quadratic) elements: no geometric "
                   "part; box truncation")
METHOD_B = ("compliant moment (n×B = n×B_a on the whole surface): m·B̂ − m_h·B̂ = "
            "−ℓ³a(e,e)/(μ₀|B_a|), a(e,e) by ZZ recovery of ∇×B and B onto continuous P1; "
            "no geometric part")


def recovery_indicators_linear(mesh, volume, elements, vertex_values) -> np.ndarray:
    """‖G(u) − u‖²_K per element of ``elements`` for a field linear (or constant) on each
    element, given by its vertex values (len(elements), 4, 3); G = L² projection onto
    continuous P1 over ``elements``. Exact integration."""
    rec = project_linear(mesh, volume, elements, vertex_values)  # (nvertices, 3)
    diff = rec[mesh.t[:, elements].T] - vertex_values
    return integrate_linear_product(dot_last, diff, diff, volume[elements], total=False)


def surface_kinetic(mesh, facets, sc, vertex_values, weight) -> np.ndarray:
    """Per facet of ``facets`` (on the surface of the element set ``sc``): ∫_f weight|u|² dS for
    the field u linear on the superconducting element owning the facet; ``vertex_values``
    (nelements, 4, 3) over the whole mesh, ``weight`` per element (mesh units)."""
    member = np.zeros(mesh.nelements, dtype=bool)
    member[sc] = True
    first, second = mesh.f2t[0, facets], mesh.f2t[1, facets]
    owner = np.where(member[first], first, second)
    nodes = mesh.facets[:, facets].T                               # (nf, 3)
    local = np.argmax(mesh.t[:, owner].T[:, None, :] == nodes[:, :, None], axis=2)  # (nf, 3)
    u = vertex_values[owner[:, None], local]                        # (nf, 3, 3)
    p = mesh.p
    area = 0.5 * np.linalg.norm(np.cross((p[:, nodes[:, 1]] - p[:, nodes[:, 0]]).T,
                                         (p[:, nodes[:, 2]] - p[:, nodes[:, 0]]).T), axis=1)
    integral = area / 12.0 * (np.sum(u**2, axis=(1, 2)) + np.sum(u.sum(axis=1) ** 2, axis=1))
    return weight[owner] * integral, owner


def _headline(moment, field):
    """Quantity name, value and sign s with value = s·(m·B̂): "m_z" for a field along an axis,
    else "m·B̂"."""
    b_hat = field / np.linalg.norm(field)
    axis = np.flatnonzero(np.abs(b_hat) > 1 - 1e-12)
    if axis.size == 1:
        k = int(axis[0])
        sign = float(np.sign(b_hat[k]))
        return f"m_{'xyz'[k]}", float(moment[k]), sign
    return "m·B̂", float(moment @ b_hat), 1.0


def _indicators(mesh, per_element, elements=None):
    out = np.zeros(mesh.nelements)
    if elements is None:
        out += per_element
    else:
        np.add.at(out, elements, per_element)
    return out


def estimate_a(problem, options, system, x, outputs) -> Estimates:
    """Estimates of the A-formulation: the moment along B_a (headline) and the Gibbs energy."""
    mesh, ell, sc = problem.domain.mesh, problem.length_unit, problem.superconducting
    ned: NedelecTet = system.nedelec
    sigma, field = system.sigma, problem.applied_field
    curved = getattr(system, "curved", None)
    if curved is not None:
        # isoparametric elements: the body is the curved one, no geometric part; recovery by
        # quadrature on the curved mesh (isoparametric P1)
        eta2 = recovery_indicators(curved.p1, curved.curl)
        eta2[sc] += sigma[sc] * recovery_indicators(curved.p1_sc, curved.a_total[:, sc])
        d_gibbs_facet, owner = np.zeros(0), np.zeros(0, dtype=np.int64)
    else:
        every = np.arange(mesh.nelements)
        # discretisation: ZZ recovery of B_h (piecewise constant) and of Ã_h on the
        # superconductors
        curls = ned.element_curls(x)
        eta_b = recovery_indicators_linear(mesh, ned.volume, every,
                                           np.repeat(curls[:, None, :], 4, axis=1))
        a_vert = ned.vertex_values(x)
        a_vert += 0.5 * np.cross(field, (mesh.p[:, mesh.t] - system.center[:, None, None])
                                 .transpose(2, 1, 0))
        eta_a = recovery_indicators_linear(mesh, ned.volume, sc, a_vert[sc])
        eta2 = eta_b.copy()
        eta2[sc] += sigma[sc] * eta_a
        # geometry: Hadamard dG = ∫δn |A|²/(2μ₀λ²) dS on the superconductors' surface
        facets = surface_facets(mesh, sc)
        facets = facets[mesh.f2t[1, facets] >= 0]  # not on the outer boundary
        gaps = boundary_gaps(mesh, facets, sc)
        winding = getattr(system, "winding", None)
        if winding is not None:  # trapped fluxoids: the kinetic density is σ|Ã − w̃|²
            a_vert -= ned.vertex_values(winding)
        kinetic, owner = surface_kinetic(mesh, facets, sc, a_vert, sigma)
        d_gibbs_facet = ell**3 / (2 * MU0) * gaps * kinetic        # J per facet
    energy_error = ell**3 * float(eta2.sum()) / (2 * MU0)       # ≈ G_h − G (J)
    d_gibbs = float(d_gibbs_facet.sum())
    gibbs = outputs.energies.gibbs
    method = METHOD_A if curved is None else METHOD_A_CURVED
    box_gibbs, estimates = 0.0, {}
    b_norm = float(np.linalg.norm(field))
    # m·B̂ = −2G/|B_a| (the compliant moment) holds only for the linear response to B_a; a
    # trapped fluxoid adds a field-independent moment, so then only G carries an estimate
    trapped = getattr(system, "winding", None)
    compliant_moment = b_norm > 0 and (trapped is None or not np.any(trapped))
    if compliant_moment:
        m_box = outputs.scalars["magnetic_moment_box"][0]
        b_hat = field / b_norm
        factor = 1.0
        if system.far_field == "image":
            radius = outputs.scalars["outer_radius"][0]
            c = MU0 * b_norm / (2 * np.pi * radius**3) / b_norm**2
            factor = 1.0 / (1.0 - c * float(m_box @ b_hat)) ** 2
        name, value, sign = _headline(outputs.moment, field)
        disc = sign * factor * 2 * energy_error / b_norm          # exact − value
        geom = -sign * factor * 2 * d_gibbs / b_norm if d_gibbs else 0.0
        box = 0.0
        if outputs.truncation_estimate is not None:
            tau = outputs.truncation_estimate
            box = value * (1.0 / (1.0 + tau) - 1.0)
            box_gibbs = -0.5 * b_norm * sign * box
        estimates[name] = ErrorEstimate.from_parts(
            name, value, "A*m^2", method, discretisation=disc, geometry=geom,
            box_truncation=box)
        scale = factor * 2 / b_norm
    else:
        scale = 1.0  # indicators in J (Gibbs energy) without an applied field
    estimates["gibbs_energy"] = ErrorEstimate.from_parts(
        "G", gibbs, "J", method.replace("compliant moment", "compliant Gibbs energy"),
        discretisation=-energy_error, geometry=d_gibbs, box_truncation=box_gibbs)
    if not compliant_moment:  # headline first: the energy is the only compliant output
        estimates = {"gibbs_energy": estimates["gibbs_energy"]}
    indicators = ell**3 / (2 * MU0) * eta2
    indicators += _indicators(mesh, np.abs(d_gibbs_facet), owner)
    return Estimates(outputs=estimates, indicators=scale * indicators)


def estimate_b(problem, options, system, x, outputs) -> Estimates:
    """Estimates of the B-formulation: the superconductor's energy E_kin + E_sc,field, and the
    moment along B_a when it is compliant (uniform field imposed on the whole surface)."""
    mesh, ell, sc = problem.domain.mesh, problem.length_unit, problem.superconducting
    ned = NedelecTet(mesh)
    lam2 = problem.element_lambda[sc] ** 2
    curls = ned.element_curls(x)[sc]
    b_vert = ned.vertex_values(x)[sc]
    eta_c = recovery_indicators_linear(mesh, ned.volume, sc, np.repeat(curls[:, None, :], 4,
                                                                        axis=1))
    eta_b = recovery_indicators_linear(mesh, ned.volume, sc, b_vert)
    eta2 = lam2 * eta_c + eta_b
    energy_error = ell**3 * float(eta2.sum()) / (2 * MU0)
    energy = outputs.energies.kinetic + outputs.scalars["superconductor_field_energy"][0]
    estimates = {}
    field = problem.applied_field
    b_norm = float(np.linalg.norm(field)) if field is not None else 0.0
    compliant = (options.boundaries is None and options.boundary_field is None and b_norm > 0)
    if compliant:
        name, value, sign = _headline(outputs.moment, field)
        estimates[name] = ErrorEstimate.from_parts(
            name, value, "A*m^2", METHOD_B, discretisation=-sign * 2 * energy_error / b_norm)
    estimates["superconductor_energy"] = ErrorEstimate.from_parts(
        "E_kin + E_sc", energy, "J", "compliant energy: E_h − E = ℓ³a(e,e)/(2μ₀), a(e,e) by ZZ "
        "recovery of ∇×B and B onto continuous P1; no geometric part",
        discretisation=-energy_error)
    scale = 2 / b_norm if compliant else 1.0
    indicators = _indicators(mesh, scale * ell**3 / (2 * MU0) * eta2, sc)
    return Estimates(outputs=estimates, indicators=indicators)
