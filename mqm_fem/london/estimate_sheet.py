r"""A-posteriori error estimate of the sheet-film formulation (docs/theory.md §4a).

The reaction potential minimises, over the Nédélec space, the energy with the bilinear form

    a(u, v) = (∇×u, ∇×v) + (σu, v) + Σ_films ∫_Γ (ℓ/Λ) u_t·v_t dS     (mesh units, Ã = A/ℓ),

and Ã_a = ½B_a×(r − r_c) and the winding field w̃ lie in the space, so the Galerkin error
e = Ã_r − Ã_{r,h} gives exactly

* in an applied field, no fluxoids (compliance, as for the A-formulation):
  G_h − G = ℓ³a(e, e)/(2μ₀) and m_h·B̂ − m·B̂ = −ℓ³a(e, e)/(μ₀|B_a|): the computed moment is
  too large in magnitude;
* with fluxoids and no field: E_h − E = ℓ³a(e, e)/(2μ₀) ≥ 0 with E = ½Σ_h n_hΦ₀I_h; for one
  hole holding n fluxoids, I_h − I = ℓ³a(e, e)/(μ₀ nΦ₀): the current is too large, the
  inductance L = nΦ₀/I too small.

a(e, e) is estimated by recovery (ZZ): the piecewise-constant B_h = ∇×Ã_h projected onto P1
that is continuous everywhere *except across the films* (the film vertices are doubled, one
copy per side: B_t jumps by μ₀K there), and the tangential trace (Ã − w̃)_t on each film
projected onto continuous P1 on the film:

    a(e, e) ≈ Σ_K ‖G(B_h) − B_h‖²_K + Σ_T (ℓ/Λ)‖G_Γ(u_t) − u_t‖²_T (+ σ-term of any volume
    superconductor).

The films are flat facets of the mesh, so there is no geometric part; the box part is the
A-formulation's (truncation estimate for far_field='none'; the image-corrected moment's
derivative for 'image'). Indicators per tetrahedron (a film triangle's share goes to a
tetrahedron on one side), in the headline output's unit.
"""

from __future__ import annotations

import numpy as np

from ..fem.estimate import ErrorEstimate
from ..fem.projection import dot_last
from ..fem.surface import integrate_triangles, project_triangles, surface_vertex_values
from ..units import MU0, PHI0
from .estimate_3d import _headline, recovery_indicators_linear
from .solution import Estimates

__all__ = ["estimate_sheet"]

METHOD = ("compliant {what}: ZZ recovery of B = ∇×A onto P1 continuous except across the "
          "films, and of (A − w)_t onto P1 on each film; box truncation")


def estimate_sheet(problem, options, system, x, outputs) -> Estimates:
    """Estimates of the sheet formulation (module docstring): the moment in a field, or the
    current of the one hole holding fluxoids without a field; and the energy."""
    mesh, ell = problem.domain.mesh, problem.length_unit
    eta2, film_part = _eta_squared(problem, system, x)
    energy_error = ell**3 * float(eta2.sum() + sum(p.sum() for p in film_part)) / (2 * MU0)
    field = problem.applied_field
    b_norm = float(np.linalg.norm(field))
    trapped = {h: n for h, n in system.fluxoids.items() if n}
    estimates = {}
    if b_norm > 0 and not trapped:
        factor = 1.0
        m_box = outputs.scalars["magnetic_moment_box"][0]
        if system.far_field == "image":
            radius = outputs.scalars["outer_radius"][0]
            c = MU0 / (2 * np.pi * radius**3 * b_norm)
            factor = 1.0 / (1.0 - c * float(m_box @ (field / b_norm))) ** 2
        name, value, sign = _headline(outputs.moment, field)
        box = 0.0
        if outputs.truncation_estimate is not None:
            box = value * (1.0 / (1.0 + outputs.truncation_estimate) - 1.0)
        estimates[name] = ErrorEstimate.from_parts(
            name, value, "A*m^2", METHOD.format(what="moment"),
            discretisation=sign * factor * 2 * energy_error / b_norm, box_truncation=box)
        scale = factor * 2 / b_norm
    elif b_norm == 0 and len(trapped) == 1:
        (hole, n), = trapped.items()
        current = outputs.holes[hole].current
        estimates[f"I_{hole}"] = ErrorEstimate.from_parts(
            f"I_{hole}", current, "A", METHOD.format(what=f"current of {hole!r}"),
            discretisation=-2 * energy_error / (n * PHI0))
        scale = 2 / abs(n * PHI0)
    else:
        scale = 1.0  # indicators in J
    energies = outputs.energies
    energy = energies.kinetic + energies.field
    estimates["energy"] = ErrorEstimate.from_parts(
        "E", energy, "J", METHOD.format(what="energy"), discretisation=-energy_error)
    indicators = eta2.copy()
    for film, part in zip(system.films, film_part, strict=True):
        facets = problem.domain.boundaries[film.name]
        np.add.at(indicators, mesh.f2t[0, facets], part)
    return Estimates(outputs=estimates, indicators=scale * ell**3 / (2 * MU0) * indicators)


def _eta_squared(problem, system, x):
    """(η_K² per tetrahedron, [η_T² per triangle of each film]) in mesh units."""
    mesh, ned = problem.domain.mesh, system.nedelec
    curls = np.repeat(ned.element_curls(x)[:, None, :], 4, axis=1)
    split = _SplitMesh(mesh, system.films)
    every = np.arange(mesh.nelements)
    eta2 = recovery_indicators_linear(split, ned.volume, every, curls)
    sc = problem.superconducting
    if sc.size:
        a_vert = ned.vertex_values(x + system.applied_dofs)[sc]
        eta2[sc] += system.sigma[sc] * recovery_indicators_linear(mesh, ned.volume, sc, a_vert)
    source = x + system.applied_dofs - system.winding_dofs
    parts = []
    for film in system.films:
        u = surface_vertex_values(film, source)
        verts, local = np.unique(film.tri, return_inverse=True)
        local = local.reshape(film.tri.shape)
        diff = project_triangles(local, film.area, u, len(verts))[local.T] - u
        weight = problem.length_unit / film.pearl
        parts.append(weight * integrate_triangles(dot_last, diff, diff, film.area,
                                                  total=False))
    return eta2, parts


class _SplitMesh:
    """The connectivity ``t`` and ``nvertices`` of ``mesh`` with every film vertex doubled:
    the tetrahedra on the side of a film opposite to its normal use the copy, so a projection
    onto P1 is continuous everywhere except across the films (what
    :func:`~mqm_fem.fem.projection.project_linear` needs of a mesh)."""

    def __init__(self, mesh, films):
        t = mesh.t.copy()
        n = mesh.nvertices
        centroids = mesh.p[:, mesh.t].mean(axis=1)
        for film in films:
            verts = np.unique(film.tri)
            copy = np.full(mesh.nvertices, -1, dtype=np.int64)
            copy[verts] = n + np.arange(verts.size)
            n += verts.size
            on = copy[mesh.t] >= 0                                  # (4, nelements)
            below = ((centroids - mesh.p[:, film.tri[0, 0], None]).T @ film.normal) < 0
            swap = on & below[None, :]
            t[swap] = copy[mesh.t[swap]]
        self.t, self.nvertices = t, n
