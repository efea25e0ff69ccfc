r"""Thin films as current sheets in the 3D A-formulation (docs/theory.md §4a).

A film is a facet group ``film*``/``sheet*`` (triangles) inside a 3D vacuum mesh; it carries a
sheet current K (A/m) with the London relation of a thin film

    μ₀Λ K = (Φ₀/2π)∇_Γθ − A_t  on Γ,        Λ = λ²/d ("thin") or λ coth(d/λ) ("effective"),

(:func:`mqm_fem.london.films.pearl_lengths`). In the London gauge the single-valued part of θ
is absorbed into A; what is left is the winding of θ around each hole h of a film,
n_h Φ₀ ∇φ_h/2π =: w (φ_h the azimuth about an axis through the hole along the film normal,
:func:`mqm_fem.fem.winding.winding_form`). With A = A_a + A_r (A_a = ½B_a×(r − r_c)) the reaction
potential minimises (1/2μ₀)‖∇×A_r‖² + ∫_Γ |(A − w)_t|²/(2μ₀Λ) dS (+ the volume term of
superconducting regions, if the mesh has any), i.e. for all v in lowest-order Nédélec H(curl)::

    (∇×A_r, ∇×v) + (χ_s λ⁻² A_r, v) + ∫_Γ Λ⁻¹ A_r,t·v_t dS
        = −(χ_s λ⁻² A_a, v) − ∫_Γ Λ⁻¹ (A_a − w)_t·v_t dS,       n×A_r = 0 on ``outer``.

The tangential trace of a Whitney edge function on a face is the Whitney function of the
triangle, so the surface term is the triangle edge mass matrix, in closed form from the
in-plane barycentric gradients g_i and ∫λ_iλ_j dS = |T|(1+δ_ij)/12 (:func:`surface_mass`;
exact, ``tests/test_sheet.py::test_surface_mass_exact_for_affine_fields``). K = (w − A)_t/(μ₀Λ)
is then linear on each film triangle. The jump n×(H⁺ − H⁻) = K across Γ holds weakly.

The vacuum kernel is that of :mod:`mqm_fem.london.avector` with each connected film in the role
of a floating superconductor (gradients of P1 functions constant on the film); both loads
vanish on it (A_a and w are tested only against film traces, where a kernel gradient is 0),
so the consistent singular system goes to the same solvers (:class:`CurlCurlSolver`).

Scaling as in the A-formulation: lengths in mesh units ℓ, Ã = A/ℓ in tesla, Λ' = Λ/ℓ; the
surface term reads Λ'⁻¹(Ã_t, ṽ_t)_Γ', and the fluxoid DOFs are n Φ₀ (winding turns)/ℓ².

Outputs (SI):

* ``moment`` m = ½∫_Γ r×K dS (+ ½∫ r×J dV of volume superconductors); for a spherical outer
  wall (``far_field="image"``) the free-space value: the wall adds the uniform image field
  B_u = −μ₀m_box/(2πL³), and one more solve with the applied field B_u (same operator, the
  solver's set-up reused) gives the response that is subtracted (:func:`_image_correction`);
  the moment inside the wall is ``magnetic_moment_box``;
* ``energies``: kinetic ½∫μ₀Λ|K|² dS (+ volume), field (1/2μ₀)∫|∇×A_r|² dV over the ball;
  with fluxoids and no applied field the total is ½Σ_h n_hΦ₀ I_h exactly (discrete identity);
* ``holes``: per hole of a film ``<film>_hole_<k>`` (interior boundary loops of the film's
  triangles, numbered by their centroid, x then y then z): the imposed ``fluxoid`` n, the
  circulating ``current`` I = ∫_Γ K·ŵ dS (ŵ the unit winding form of the hole as a Whitney field
  on the film; K is weakly divergence-free, so this is the net current through any cut from the
  hole to the outer edge, positive counter-clockwise about the film normal), and the ``flux``
  ∮A·dl around the hole's rim (Wb). With ``far_field="image"`` the current is corrected by
  the same extra solve (I_h = I_h,box − δI_h, the response to B_u at fixed fluxoids), for
  every hole, any fluxoids and applied field; the box value is ``hole_current_box_<hole>``.
  The energies are those inside the wall;
* point data ``A`` and ``B`` in the volume, and K on the films: ``solution.write(path)`` writes
  ``<stem>_film.vtu`` next to ``path`` (triangles in metres, point data ``K`` (L2 projection onto
  P1, A/m), cell data ``K`` (centroid values) and ``film`` (index into the field data
  ``film_names``)).

Resolution: K varies on the scale of Λ near the film edges (for Λ → 0 it diverges as
(distance)^(−1/2)); a solve warns when the largest film-boundary segment exceeds
min(max(Λ, D/100), D/20) (D the film's diameter). With ``far_field="none"`` the truncation
estimate c (R/L)³ (R the films' bounding radius, c = 0.64 for a box and 1 for a sphere) is
recorded and warned about above 1 % as in the A-formulation.

Validation: ``tests/test_sheet.py`` (disk against the ring-kernel integral equation and the
Λ → 0 limit −(8/3)(B/μ₀)R³, ring inductance, energy identity, refusals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..errors import MeshError, ParameterError, RegionNotFoundError
from ..fem.nedelec import NedelecTet
from ..fem.projection import dot_last, integrate_linear_product
from ..fem.surface import TRI_EDGES, project_triangles, surface_vertex_values
from ..fem.surface import integrate_triangles as _integrate_triangles
from ..fem.winding import check_clearance, winding_form
from ..linalg.linear import CURL_CURL_METHODS
from ..mesh.resolution import ResolutionCheck, warn_unresolved
from ..units import MU0, PHI0, parse_vector
from .avector import (
    BOX_TRUNCATION_COEFFICIENT,
    SPHERE_TOLERANCE,
    _applied_potential,
    _outer_facets,
    _project_p1,
    _spherical_outer_boundary,
    solve_with_solver,
)
from .estimate_sheet import estimate_sheet
from .films import FilmOptions
from .options import (
    check_mapping,
    check_positive,
    fluxoid_number,
    option,
)
from .problem import three_component_field
from .registry import Formulation, register
from .solution import Energies, Hole, Outputs

__all__ = ["SheetOptions", "film_holes", "surface_mass"]

FAR_FIELD = ("auto", "none", "image")

#: film-edge resolution: boundary segments must not exceed min(max(Λ, D/EDGE_FLOOR), D/EDGE_CAP)
EDGE_FLOOR, EDGE_CAP = 100.0, 20.0


@dataclass(frozen=True)
class SheetOptions(FilmOptions):
    """Options of the sheet-film formulation (the film options: :class:`FilmOptions`)."""

    source_options = ("fluxoids",)

    fluxoids: dict | None = option(
        None, cli="--fluxoid", repeat=True, metavar="HOLE=N",
        help="fluxoid number n trapped in a film hole (<film>_hole_<k>; integer, default 0)")
    far_field: str = option(
        "auto", cli="--far-field", choices=FAR_FIELD,
        help="'image': remove the spherical outer boundary's image field from the moment; "
        "'none': the moment of the truncated box; 'auto': image when the outer boundary is a "
        "sphere")
    solver: str = option("auto", cli="--solver", choices=CURL_CURL_METHODS,
                         help="linear solver (mqm_fem.linalg.solve_curl_curl)")
    solver_tol: float = option(1e-10, help="relative residual of iterative solves")
    center: object = option(
        None, help="gauge centre r_c of A_a = ½B_a×(r − r_c) (3 lengths; default: the films' "
        "centroid)")

    def validate(self):
        super().validate()
        check_positive(self.solver_tol, "solver_tol")
        check_mapping(self.fluxoids, "fluxoids", "hole")
        for key, value in (self.fluxoids or {}).items():
            fluxoid_number(key, value)
        if self.center is not None:
            parse_vector(self.center, "length", "center", dim=3)


# ----------------------------------------------------------------------------------------------
# film geometry
# ----------------------------------------------------------------------------------------------
@dataclass
class FilmHole:
    """An interior boundary loop of a film: ``edges`` (2, k) vertex pairs running
    counter-clockwise about the film normal, the enclosed ``area`` (mesh units²), and
    ``centroid``: a point well inside the hole — the area centroid, or for a non-convex hole
    whose centroid lies in the film the point farthest from the rim (the winding axis passes
    through it along the normal)."""

    name: str
    edges: np.ndarray
    area: float
    centroid: np.ndarray


@dataclass
class Film:
    """One film: its triangles ``tri`` (3, nf) (vertex indices), global edge DOFs ``dofs`` and
    orientation ``signs`` (3, nf) of the local edges :data:`TRI_EDGES`, in-plane barycentric
    gradients ``grads`` (3, 3, nf), ``area`` (nf), the unit ``normal``, its ``edges`` (global
    edge indices), Λ (m) and its ``holes``."""

    name: str
    tri: np.ndarray
    dofs: np.ndarray
    signs: np.ndarray
    grads: np.ndarray
    area: np.ndarray
    normal: np.ndarray
    edges: np.ndarray
    pearl: float
    holes: list = field(default_factory=list)
    boundary_segment: float = 0.0
    diameter: float = 0.0


def _triangle_geometry(p, tri):
    """In-plane barycentric gradients (3 vertices, 3 components, nf) and areas of the
    triangles ``tri`` (3, nf) of points ``p`` (3, n): with e1 = x1 − x0, e2 = x2 − x0,
    ν = e1×e2: ∇λ1 = e2×ν/|ν|², ∇λ2 = ν×e1/|ν|², ∇λ0 = −∇λ1 − ∇λ2."""
    x0 = p[:, tri[0]]
    e1, e2 = p[:, tri[1]] - x0, p[:, tri[2]] - x0
    nu = np.cross(e1, e2, axis=0)
    nn = np.sum(nu * nu, axis=0)
    if np.any(nn <= 0):
        raise MeshError(f"a film has {int(np.sum(nn <= 0))} degenerate triangle(s) of zero area")
    g = np.empty((3, 3, tri.shape[1]))
    g[1] = np.cross(e2, nu, axis=0) / nn
    g[2] = np.cross(nu, e1, axis=0) / nn
    g[0] = -(g[1] + g[2])
    return g, 0.5 * np.sqrt(nn)


def _edge_index(mesh, a, b) -> np.ndarray:
    """Global edge index of the vertex pairs (a, b) (either order); mesh.edges sorted."""
    nv = np.int64(mesh.nvertices)
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    keys = lo * nv + hi
    edge_keys = mesh.edges[0].astype(np.int64) * nv + mesh.edges[1]
    idx = np.searchsorted(edge_keys, keys)
    if np.any(idx >= len(edge_keys)) or np.any(edge_keys[np.minimum(idx, len(edge_keys) - 1)]
                                               != keys):
        raise MeshError("a film triangle's edge is not an edge of the tetrahedra: the film "
                        "facets must be faces of the 3D mesh (embed the surface in gmsh)")
    return idx


def _film_normal(points) -> np.ndarray:
    """Unit normal of the best-fit plane of ``points`` (3, n), its largest component
    positive (so a film in the xy plane has normal +z)."""
    centred = points - points.mean(axis=1, keepdims=True)
    normal = np.linalg.svd(centred, full_matrices=False)[0][:, 2]
    return normal if normal[np.argmax(np.abs(normal))] > 0 else -normal


def film_holes(mesh, tri, normal, name: str) -> list[FilmHole]:
    """The holes of the film with triangles ``tri`` (3, nf): the boundary loops of the
    triangle set that run clockwise about ``normal`` (with each triangle turned
    counter-clockwise, the outer boundary runs counter-clockwise, a hole's rim clockwise),
    returned counter-clockwise, named ``<name>_hole_<k>`` in the order of their centroids
    (x, then y, then z; rounded to 1e-9 of the film's size)."""
    p = mesh.p
    nu = np.cross(p[:, tri[1]] - p[:, tri[0]], p[:, tri[2]] - p[:, tri[0]], axis=0)
    flip = normal @ nu < 0
    tri = tri.copy()
    tri[[1, 2]] = np.where(flip, tri[[2, 1]], tri[[1, 2]])
    a, b = np.concatenate([tri[0], tri[1], tri[2]]), np.concatenate([tri[1], tri[2], tri[0]])
    nv = np.int64(mesh.nvertices)
    key = np.minimum(a, b).astype(np.int64) * nv + np.maximum(a, b)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    rim = counts[inverse] == 1
    if np.any(counts > 2):
        raise MeshError(f"film {name!r}: {int(np.sum(counts > 2))} edge(s) shared by more than "
                        "two film triangles (a film must be a surface)")
    a, b = a[rim], b[rim]
    if not a.size:
        return []
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(mesh.nvertices,) * 2)
    _, label = connected_components(graph, directed=False)
    e1 = np.cross(normal, np.eye(3)[int(np.argmin(np.abs(normal)))])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    size = float(np.ptp(p[:, np.unique(tri)], axis=1).max())
    holes = []
    for lab in np.unique(label[a]):
        sel = label[a] == lab
        xa, ya = e1 @ p[:, a[sel]], e2 @ p[:, a[sel]]
        xb, yb = e1 @ p[:, b[sel]], e2 @ p[:, b[sel]]
        cross = xa * yb - xb * ya
        area = 0.5 * cross.sum()
        if area >= 0:  # an outer boundary
            continue
        cx = ((xa + xb) * cross).sum() / (6 * area)
        cy = ((ya + yb) * cross).sum() / (6 * area)
        plane = float(normal @ p[:, a[sel]].mean(axis=1))
        key = tuple(np.round((cx * e1 + cy * e2 + plane * normal) / (1e-4 * size))
                    .astype(np.int64))
        cx, cy = _inside_point((xa, ya, xb, yb), cx, cy)
        centroid = cx * e1 + cy * e2 + plane * normal
        holes.append((key, FilmHole("", np.vstack([b[sel], a[sel]]), -area, centroid)))
    # order by area centroid (x, then y, then z), compared on a 1e-4·size grid: meshed rims
    # move a centroid by ~1e-5 of the film's size, which must not reorder holes on one line
    holes = [hole for _, hole in sorted(holes, key=lambda item: item[0])]
    for k, hole in enumerate(holes):
        hole.name = f"{name}_hole_{k}"
    return holes


def _inside_point(segments, cx: float, cy: float) -> tuple[float, float]:
    """A point well inside the hole whose rim is ``segments`` (xa, ya, xb, yb) in the film's
    plane: the area centroid (cx, cy) when it lies inside and at least a quarter of the hole's
    inradius estimate from the rim, else the grid point farthest from the rim (a non-convex
    hole: an L-shape's centroid can lie in the film). The winding form's axis passes there."""
    xa, ya, xb, yb = segments

    def inside(x, y):  # crossing number over the rim's segments (any order)
        x, y = np.atleast_1d(x)[:, None], np.atleast_1d(y)[:, None]
        straddle = (ya > y) != (yb > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xs = xa + (y - ya) * (xb - xa) / (yb - ya)
        return (np.sum(straddle & (x < xs), axis=1) % 2) == 1

    def clearance(x, y):  # distance to the nearest rim segment
        x, y = np.atleast_1d(x)[:, None], np.atleast_1d(y)[:, None]
        dx, dy = xb - xa, yb - ya
        t = np.clip(((x - xa) * dx + (y - ya) * dy) / np.maximum(dx**2 + dy**2, 1e-300), 0, 1)
        return np.min(np.hypot(xa + t * dx - x, ya + t * dy - y), axis=1)

    gx, gy = np.meshgrid(np.linspace(xa.min(), xa.max(), 41), np.linspace(ya.min(), ya.max(), 41))
    gx, gy = gx.ravel(), gy.ravel()
    keep = inside(gx, gy)
    if not np.any(keep):
        return cx, cy
    gx, gy = gx[keep], gy[keep]
    dist = clearance(gx, gy)
    best = int(np.argmax(dist))
    if inside(cx, cy)[0] and clearance(cx, cy)[0] >= 0.25 * dist[best]:
        return cx, cy
    return float(gx[best]), float(gy[best])


def _films(problem, options, ned: NedelecTet) -> list[Film]:
    domain = problem.domain
    mesh, ell = domain.mesh, problem.length_unit
    pearl = options.pearl_lengths(problem.films)
    films = []
    for name, lam_pearl in pearl.items():
        facets = np.asarray(domain.boundaries[name], dtype=np.int64)
        tri = np.asarray(mesh.facets[:, facets], dtype=np.int64)
        grads, area = _triangle_geometry(mesh.p, tri)
        dofs = np.vstack([_edge_index(mesh, tri[i], tri[j]) for i, j in TRI_EDGES])
        signs = np.vstack([np.where(tri[i] < tri[j], 1.0, -1.0) for i, j in TRI_EDGES])
        verts = np.unique(tri)
        normal = _film_normal(mesh.p[:, verts])
        holes = film_holes(mesh, tri, normal, name)
        film = Film(name=name, tri=tri, dofs=dofs, signs=signs, grads=grads, area=area,
                    normal=normal, edges=np.unique(dofs), pearl=lam_pearl, holes=holes)
        rim = _rim_lengths(mesh, tri, normal)
        film.boundary_segment = float(rim.max()) * ell if rim.size else 0.0
        film.diameter = float(np.ptp(mesh.p[:, verts], axis=1).max()) * ell
        films.append(film)
    return films


def _rim_lengths(mesh, tri, normal) -> np.ndarray:
    """Lengths of the boundary edges (outer edge and holes) of a film."""
    a = np.concatenate([tri[0], tri[1], tri[2]])
    b = np.concatenate([tri[1], tri[2], tri[0]])
    nv = np.int64(mesh.nvertices)
    key = np.minimum(a, b).astype(np.int64) * nv + np.maximum(a, b)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    rim = counts[inverse] == 1
    return np.linalg.norm(mesh.p[:, a[rim]] - mesh.p[:, b[rim]], axis=0)


# ----------------------------------------------------------------------------------------------
# closed-form triangle (surface) Whitney element
# ----------------------------------------------------------------------------------------------
def surface_mass(film: Film, n_dofs: int, weight: float = 1.0) -> sp.csr_matrix:
    r"""``weight`` × ∫_Γ u_t·v_t dS on the Nédélec DOFs (n_dofs × n_dofs, nonzero on the film's
    edges): with φ_ab = λ_a g_b − λ_b g_a on each triangle (g the in-plane barycentric
    gradients; the tangential trace of the tetrahedra's Whitney function of edge a → b) and
    ∫λ_iλ_j dS = |T|(1+δ_ij)/12, entry (ab, cd) = |T|/12 [(1+δ_ac) g_b·g_d − (1+δ_ad) g_b·g_c
    − (1+δ_bc) g_a·g_d + (1+δ_bd) g_a·g_c], times the orientation signs."""
    g, w = film.grads, weight * film.area / 12.0
    dots = np.einsum("iae,jae->ije", g, g)  # g_i·g_j (3, 3, nf)
    rows, cols, vals = [], [], []
    for k, (a, b) in enumerate(TRI_EDGES):
        for m, (c, d) in enumerate(TRI_EDGES):
            mkl = ((1 + (a == c)) * dots[b, d] - (1 + (a == d)) * dots[b, c]
                   - (1 + (b == c)) * dots[a, d] + (1 + (b == d)) * dots[a, c])
            rows.append(film.dofs[k])
            cols.append(film.dofs[m])
            vals.append(w * film.signs[k] * film.signs[m] * mkl)
    mat = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(n_dofs, n_dofs)).tocsr()
    mat.sum_duplicates()
    return mat


# ----------------------------------------------------------------------------------------------
# the three steps
# ----------------------------------------------------------------------------------------------
@dataclass
class _System:
    matrix: sp.csr_matrix
    load: np.ndarray
    nedelec: NedelecTet
    dirichlet: np.ndarray
    sigma: np.ndarray
    center: np.ndarray
    outer: np.ndarray
    far_field: str
    films: list
    film_mass: list  # per film: Λ'⁻¹-weighted surface mass (csr)
    applied_dofs: np.ndarray
    winding_dofs: np.ndarray  # w̃: n Φ₀ turns / ℓ² on the film edges
    unit_windings: dict  # hole name -> (film index, turns on all DOFs (sparse on film edges))
    fluxoids: dict
    solver: object = None  # the CurlCurlSolver (set up once; the image correction reuses it)
    #: not known in closed form (the film masses add to GᵀKG): the solver computes it
    gradient_energy: None = None


def assemble(problem, options: SheetOptions) -> _System:
    """K = C + M_σ + Σ_films Λ'⁻¹ M_Γ; load −(M_σ + ΣΛ'⁻¹M_Γ)ã_a + ΣΛ'⁻¹M_Γ w̃."""
    domain, ell = problem.domain, problem.length_unit
    mesh = domain.mesh
    if not problem.films:
        raise MeshError(
            "the 'sheet' formulation needs at least one film (a facet group named film*/sheet* "
            f"inside the 3D mesh); the boundaries are: {', '.join(domain.boundaries)}")
    outer = _outer_facets(domain)
    far_field = _far_field(mesh, outer, options.far_field)
    ned = NedelecTet(mesh)
    films = _films(problem, options, ned)
    _check_films(mesh, films, outer)
    holes = {h.name: (k, h) for k, f in enumerate(films) for h in f.holes}
    fluxoids = _fluxoids(options.fluxoids, holes)
    r_c = (_centroid(problem, films) if options.center is None
           else parse_vector(options.center, "length", "center", dim=3) / ell)
    sigma = problem.screening
    matrix = ned.assemble(sigma if np.any(sigma) else None)
    masses = [surface_mass(f, ned.N, ell / f.pearl) for f in films]  # 1/Λ' = ℓ/Λ
    for m in masses:
        matrix = matrix + m
    a_dofs = _applied_dofs(mesh, problem.applied_field, r_c)
    winding = np.zeros(ned.N)
    unit = {}
    for name, (k, hole) in holes.items():
        film = films[k]
        pts_edges = mesh.edges[:, film.edges]
        check_clearance(mesh.p, pts_edges, hole.centroid, film.normal, f"hole {name!r}")
        turns = np.zeros(ned.N)
        turns[film.edges] = winding_form(mesh.p, pts_edges, hole.centroid, film.normal)
        unit[name] = (k, turns)
        if fluxoids.get(name):
            winding += fluxoids[name] * PHI0 / ell**2 * turns
    load = _field_load(ned, sigma, masses, a_dofs)
    for m in masses:
        load += m @ winding
    return _System(matrix=matrix.tocsr(), load=load, nedelec=ned,
                   dirichlet=ned.boundary_dofs(outer), sigma=sigma, center=r_c, outer=outer,
                   far_field=far_field, films=films, film_mass=masses, applied_dofs=a_dofs,
                   winding_dofs=winding, unit_windings=unit, fluxoids=fluxoids)


def _applied_dofs(mesh, field_, r_c) -> np.ndarray:
    """Edge DOFs of Ã_a = ½B_a×(r − r_c) (exact: Whitney elements hold a + b×r)."""
    edge_vec = mesh.p[:, mesh.edges[1]] - mesh.p[:, mesh.edges[0]]
    a_vert = _applied_potential(np.asarray(field_, dtype=float), mesh.p, r_c)
    return 0.5 * np.sum(edge_vec * (a_vert[:, mesh.edges[0]] + a_vert[:, mesh.edges[1]]), axis=0)


def _field_load(ned, sigma, masses, a_dofs) -> np.ndarray:
    """−(M_σ + Σ Λ'⁻¹M_Γ) ã_a: the load of a uniform applied field."""
    load = np.zeros(ned.N)
    if np.any(sigma):
        load -= ned.mass_apply(sigma, a_dofs)
    for m in masses:
        load -= m @ a_dofs
    return load


def solve(system: _System, options: SheetOptions):
    """The consistent semidefinite system by :class:`mqm_fem.linalg.CurlCurlSolver`; the
    set-up solver is kept for the image correction's second load."""
    x, info, system.solver = solve_with_solver(system, options)
    return x, info


def derive(problem, options, system: _System, x) -> Outputs:
    """K on the films, the moment, energies, hole currents and fluxes, A and B in the volume."""
    mesh, ell, ned = problem.domain.mesh, problem.length_unit, system.nedelec
    field_, r_c = problem.applied_field, system.center
    a_total = x + system.applied_dofs            # Ã (edge DOFs, mesh units)
    source = a_total - system.winding_dofs       # Ã − w̃
    moment_box = np.zeros(3)
    e_kin = 0.0
    surfaces = []
    for film, mass in zip(system.films, system.film_mass, strict=True):
        values = surface_vertex_values(film, source)          # (Ã − w̃)_t at the vertices, T
        k_vert = -ell * values / (MU0 * film.pearl)            # K (A/m)
        r_vert = (mesh.p[:, film.tri] - r_c[:, None, None]).transpose(2, 1, 0)
        moment_box += 0.5 * ell**3 * _integrate_triangles(np.cross, r_vert, k_vert, film.area)
        e_kin += ell**3 / (2 * MU0) * float(source @ (mass @ source))
        surfaces.append(k_vert)
    sc = problem.superconducting
    a_vert = ned.vertex_values(x)
    a_vert += _applied_potential(field_, mesh.p, r_c)[:, mesh.t].transpose(2, 1, 0)
    point_data = {}
    cell_j = None
    if sc.size:
        sigma = system.sigma
        vol_sc, a_sc = ned.volume[sc], a_vert[sc]
        j_sc = -sigma[sc, None, None] * a_sc / (MU0 * ell)
        r_sc = (mesh.p[:, mesh.t[:, sc]] - r_c[:, None, None]).transpose(2, 1, 0)
        moment_box += 0.5 * ell**4 * integrate_linear_product(np.cross, r_sc, j_sc, vol_sc)
        e_kin += ell**3 / (2 * MU0) * float(np.sum(
            sigma[sc] * integrate_linear_product(dot_last, a_sc, a_sc, vol_sc, total=False)))
        cell_j = np.zeros((mesh.nelements, 3))
        cell_j[sc] = j_sc.mean(axis=1)
        point_data["J"], = _project_p1(mesh, ned.volume, sc, [j_sc])
    curls = ned.element_curls(x)
    e_field = ell**3 / (2 * MU0) * float(np.sum(ned.volume * np.sum(curls**2, axis=1)))
    b_cells = curls + field_
    a_vert *= ell
    point_data.update(zip(("A", "B"), _project_p1(mesh, ned.volume, None, [a_vert, b_cells]),
                          strict=True))
    del a_vert
    scalars = {"magnetic_moment_box": (moment_box, "A*m^2"), "far_field": (system.far_field, "")}
    moment, image_currents = moment_box, None
    if system.far_field == "image":
        moment, image_currents = _image_correction(problem, system, moment_box, scalars)
    holes = _holes(system, source, a_total, ell, image_currents, scalars)
    truncation, note = None, ""
    if system.far_field == "none":
        truncation, note = _truncation_estimate(mesh, system, ell)
    _check_resolution(system.films)
    cell_data = {"B": b_cells}
    if cell_j is not None:
        cell_data["J"] = cell_j
    state = {"reaction_dofs": x, "center": r_c, "far_field": system.far_field,
             "truncation": note, "films": _film_surface(mesh, ell, system.films, surfaces),
             "companion_writer": write_films}
    gibbs = e_kin + e_field if not system.fluxoids else None
    return Outputs(point_data=point_data, cell_data=cell_data, moment=moment,
                   energies=Energies(kinetic=e_kin, field=e_field, gibbs=gibbs),
                   ndofs=int(ned.N), holes=holes, scalars=scalars, state=state,
                   truncation_estimate=truncation)


def _image_correction(problem, system, moment_box, scalars):
    """Free-space moment and the hole currents' image shifts for a spherical outer wall.

    Inside the wall (n×A_r = 0, radius L) the dipole m_box of the films sees the uniform image
    field B_u = −μ₀m_box/(2πL³) on top of B_a (:func:`~mqm_fem.london.avector.
    image_corrected_moment`). Everything is linear in the field at fixed fluxoids, so the
    free-space values are the box values minus the response to B_u: m = m_box − δm,
    I_h = I_h,box − δI_h, with δm, δI_h from one more solve with the applied field B_u (same
    operator: the solver's set-up is reused). Exact for the uniform image field, whatever the
    shape, the fluxoids and the applied field; the response's own image is O((μ₀α/2πL³)²).
    Returns (moment, hole name -> δI)."""
    ell = problem.length_unit
    radius, _ = _spherical_outer_boundary(problem.domain.mesh, system.outer)
    b_image = -MU0 * moment_box / (2 * np.pi * (radius * ell) ** 3)
    a_u = _applied_dofs(problem.domain.mesh, b_image, system.center)
    x_u, _ = system.solver.solve(_field_load(system.nedelec, system.sigma, system.film_mass,
                                             a_u))
    delta_m, delta_i = _response(problem, system, x_u + a_u)
    scalars.update(image_field=(b_image, "T"), outer_radius=(radius * ell, "m"))
    return moment_box - delta_m, delta_i


def _response(problem, system, a_total):
    """Moment (A·m²) and hole currents (A) of the total potential DOFs ``a_total`` without
    fluxoids (films and volume superconductors)."""
    mesh, ell, ned, r_c = problem.domain.mesh, problem.length_unit, system.nedelec, \
        system.center
    moment = np.zeros(3)
    for film in system.films:
        k_vert = -ell * surface_vertex_values(film, a_total) / (MU0 * film.pearl)
        r_vert = (mesh.p[:, film.tri] - r_c[:, None, None]).transpose(2, 1, 0)
        moment += 0.5 * ell**3 * _integrate_triangles(np.cross, r_vert, k_vert, film.area)
    sc = problem.superconducting
    if sc.size:
        # vertex values of the total field on the superconductors: the reaction part from the
        # DOFs, minus nothing (a_total already holds Ã_a's exact interpolant)
        a_sc = ned.vertex_values(a_total)[sc]
        j_sc = -system.sigma[sc, None, None] * a_sc / (MU0 * ell)
        r_sc = (mesh.p[:, mesh.t[:, sc]] - r_c[:, None, None]).transpose(2, 1, 0)
        moment += 0.5 * ell**4 * integrate_linear_product(np.cross, r_sc, j_sc, ned.volume[sc])
    currents = {name: -(ell / MU0) * float(turns @ (system.film_mass[k] @ a_total))
                for name, (k, turns) in system.unit_windings.items()}
    return moment, currents


def _holes(system, source, a_total, ell, image_currents, scalars) -> dict:
    """Hole -> :class:`Hole` (current ∫K·ŵ dS, flux ∮A·dl, imposed fluxoid); with
    ``image_currents`` (hole -> δI) the currents are image-corrected, the box values kept as
    ``hole_current_box_<hole>``."""
    out = {}
    for name, (k, turns) in system.unit_windings.items():
        film = system.films[k]
        hole = film.holes[[h.name for h in film.holes].index(name)]
        current = -(ell / MU0) * float(turns @ (system.film_mass[k] @ source))
        a, b = hole.edges
        idx = _edge_index(system.nedelec.mesh, a, b)
        flux = ell**2 * float(np.sum(a_total[idx] * np.where(a < b, 1.0, -1.0)))
        if image_currents is not None:
            scalars[f"hole_current_box_{name}"] = (current, "A")
            current -= image_currents[name]
        out[name] = Hole(field=None, flux=flux, area=hole.area * ell**2,
                         fluxoid=float(system.fluxoids.get(name, 0)), meshed=False,
                         current=current)
    return out


def _film_surface(mesh, ell, films, surfaces) -> dict:
    """Points (n, 3) in metres, triangles (m, 3), point/cell K and film index of all films."""
    tri = np.concatenate([f.tri for f in films], axis=1)
    verts, local = np.unique(tri, return_inverse=True)
    local = local.reshape(tri.shape)
    k_vert = np.concatenate(surfaces, axis=0)  # (m, 3, 3)
    area = np.concatenate([f.area for f in films])
    k_points = project_triangles(local, area, k_vert, len(verts))
    index = np.concatenate([np.full(f.tri.shape[1], i) for i, f in enumerate(films)])
    return {"points": mesh.p[:, verts].T * ell, "triangles": local.T,
            "point_data": {"K": k_points},
            "cell_data": {"K": k_vert.mean(axis=1), "film": index.astype(np.int32)},
            "names": [f.name for f in films]}


def film_path(path) -> Path:
    """``<stem>_film.vtu`` next to the volume file ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_film.vtu")


def write_films(solution, path) -> Path:
    """Write the films' K of a sheet solution to :func:`film_path` (``path``: the volume
    ``.vtu``); called by :meth:`LondonSolution.write`."""
    from ..io.vtk import write_surface_vtu

    films = solution.outputs.state["films"]
    fields = {"film_names": films["names"], **solution.field_data}
    units = {k: v for k, v in solution.units.items() if k in fields}
    return write_surface_vtu(film_path(path), films["points"], films["triangles"],
                             point_data=films["point_data"], cell_data=films["cell_data"],
                             field_data=fields, units={"K": "A/m", **units},
                             domain=solution.domain, provenance=solution.provenance())


# ----------------------------------------------------------------------------------------------
# checks
# ----------------------------------------------------------------------------------------------
def _far_field(mesh, outer, requested) -> str:
    if requested == "image":
        _spherical_outer_boundary(mesh, outer)
        return "image"
    if requested == "none":
        return "none"
    try:
        _spherical_outer_boundary(mesh, outer)
    except ParameterError:
        return "none"
    return "image"


def _check_films(mesh, films, outer) -> None:
    on_outer = np.unique(mesh.facets[:, outer])
    for film in films:
        touching = np.intersect1d(np.unique(film.tri), on_outer)
        if touching.size:
            raise MeshError(
                f"film {film.name!r} touches the outer boundary at {touching.size} vertices; the "
                "sheet formulation needs vacuum all around the films (n×A_r = 0 on the outer "
                "boundary): enlarge the vacuum ball")


def _fluxoids(given, holes) -> dict:
    out = {}
    for key, value in (given or {}).items():
        if key not in holes:
            raise RegionNotFoundError(
                f"fluxoids: no hole named {key!r}; the films' holes are: "
                f"{', '.join(holes) or '(none: no film has an interior boundary loop)'}")
        out[key] = int(fluxoid_number(key, value))
    return out


def _centroid(problem, films) -> np.ndarray:
    mesh = problem.domain.mesh
    weights = np.concatenate([f.area for f in films])
    mids = np.concatenate([mesh.p[:, f.tri].mean(axis=1) for f in films], axis=1)
    return (mids * weights).sum(axis=1) / weights.sum()


def _truncation_estimate(mesh, system, ell):
    films = system.films
    center = system.center
    verts = np.unique(np.concatenate([f.tri.ravel() for f in films]))
    radius = float(np.linalg.norm(mesh.p[:, verts] - center[:, None], axis=0).max())
    wall = np.linalg.norm(mesh.p[:, np.unique(mesh.facets[:, system.outer])] - center[:, None],
                          axis=0)
    distance = float(wall.min())
    shape = "sphere" if (wall.max() - distance) < SPHERE_TOLERANCE * wall.max() else "box"
    coeff = BOX_TRUNCATION_COEFFICIENT[shape]
    estimate = float(coeff * (radius / distance) ** 3)
    needed = radius * (coeff / 0.01) ** (1 / 3)
    note = (f"the outer boundary ({shape}) is L = {distance * ell:.3g} m from the centre of the "
            f"films (bounding radius R = {radius * ell:.3g} m): the moment is estimated "
            f"{100 * estimate:.2g} % too large ({coeff:g}·(R/L)³); an outer boundary ≥ "
            f"{needed * ell:.3g} m from the centre keeps it below 1 % (or a spherical one with "
            "far_field='image')")
    return estimate, note


def _check_resolution(films) -> None:
    checks = []
    for film in films:
        scale = min(max(film.pearl, film.diameter / EDGE_FLOOR), film.diameter / EDGE_CAP)
        checks.append(ResolutionCheck(
            quantity="film edge", where=f"film {film.name!r} (boundary segments)", scale=scale,
            element=film.boundary_segment, required=1.0,
            note=f"the sheet current varies on the scale of Λ = {film.pearl:.3g} m at the film "
                 "edges; grade the mesh towards the edges (mqm_fem.mesh.films: h_edge)"))
    warn_unresolved(checks, "solve_london", stacklevel=5)


def _has_films(domain, field_) -> bool:
    return domain.dim == 3 and bool(domain.film_names())


def hole_names(problem, options) -> list[str]:
    """The films' holes ``<film>_hole_<k>`` in the order a solve reports them (no solve)."""
    mesh = problem.domain.mesh
    names = []
    for name in problem.films:
        tri = np.asarray(mesh.facets[:, problem.domain.boundaries[name]], dtype=np.int64)
        normal = _film_normal(mesh.p[:, np.unique(tri)])
        names += [hole.name for hole in film_holes(mesh, tri, normal, name)]
    return names


register(Formulation(
    name="sheet", dim=3,
    equation="∇×∇×A_r + ∫_Γ Λ⁻¹(A − w)_t·v_t dS = 0: films (facets film*) as current sheets "
             "in vacuum, w = Σ n_h Φ₀∇φ_h/2π",
    auto_rule="3D mesh with film facet groups (film*/sheet*)",
    auto=_has_films, applied=three_component_field, options=SheetOptions,
    assemble=assemble, solve=solve, derive=derive, estimate=estimate_sheet, films=True,
    holes=hole_names))
