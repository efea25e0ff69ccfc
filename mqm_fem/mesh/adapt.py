"""Adaptive meshes: marking, local refinement, remeshing, and the solve–estimate–refine loop.

The mesh layer knows no physics: a solver's result only has to expose

* ``estimate`` — an :class:`~mqm_fem.fem.estimate.ErrorEstimate`-like record of the headline
  output (``relative`` = error bar / |value|, ``error``, ``value``), or None;
* ``error_indicators`` — one non-negative number per element of ``result.domain.mesh``
  (the squared local error contributions, e.g. ‖G∇u_h − ∇u_h‖²_K); a result computed on a
  sub-domain (the superconducting part) is mapped back to the given domain's elements by
  their centroids;
* ``ndofs`` (or ``info["ndofs"]``) — the number of unknowns.

Steps of :func:`adapt`: solve; stop when ``estimate.relative <= tol`` and the result's
resolution checks (``result.resolution``, if any) pass; otherwise build the next mesh —

* domains made by :mod:`mqm_fem.mesh.geometry` (they carry a :class:`~mqm_fem.mesh.Recipe`)
  are meshed again by gmsh from the same geometry (:func:`remesh`), with the sizes of
  :func:`target_sizes` (equidistribution: every new element gets the same predicted share of
  ``TARGET_SAFETY`` × tol, a step reducing the estimate by at most ``MIN_REDUCTION``), capped
  where a resolution check fails (:func:`resolution_caps`; sizes shrink by at most
  ``MAX_REFINE`` per step): curved boundaries stay on the true curve;
* other domains (read from files) are refined locally (:func:`refine`, scikit-fem's
  red-green-blue bisection of triangles / bisection of tetrahedra) on the elements holding
  ``fraction`` of the total indicator (:func:`mark`, Dörfler) and those a failed resolution
  check is about; new vertices on a curved surface go onto the smooth surface reconstructed
  from the facet normals (the file's own vertices stay where they are).

The budgets ``max_dofs``, ``max_memory`` and ``max_steps`` stop the loop before a step that
would exceed them, with an :class:`~mqm_fem.errors.MqmFemWarning` giving the estimate reached.
The history (:class:`AdaptiveHistory`) has one row per solve and the final domain
(``history.final_domain``; to keep it as a file, call the generator of ``domain.recipe`` with
``path=`` or write ``result.domain`` with the result's own writer).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import skfem

from ..errors import MqmFemWarning, ParameterError
from ..progress import ProgressLike, reporter
from ..units import parse_number
from .domain import Domain, element_measures
from .resolution import elements_at
from .topology import surface_facets

__all__ = ["BUDGET_KEYS", "AdaptiveHistory", "AdaptiveStep", "adapt", "check_target", "check_tol",
           "element_sizes", "mark", "refine", "remesh", "resolution_caps", "supports_estimates",
           "target_sizes"]

#: default budgets of :func:`adapt`
MAX_DOFS = 2_000_000
MAX_STEPS = 12
#: Smallest target relative error ``tol`` accepted (a smaller one is a solver tolerance given
#: under the wrong name).
MIN_TOL = 1e-6
#: the loop asks each new mesh for safety × tol (the estimate's prediction is asymptotic)
TARGET_SAFETY = 0.7
#: ... but asks one step for at most this reduction of the estimate: a coarse mesh's indicators
#: are not asymptotic (e.g. a boundary layer thinner than its elements), and asking them for
#: the whole way refines everywhere; a partial step refines where they are largest first
MIN_REDUCTION = 0.1
#: per step an element size shrinks by at most MAX_REFINE and grows by at most MAX_COARSEN
MAX_REFINE = 4.0
MAX_COARSEN = 2.0
#: the keyword arguments of :func:`adapt` that public functions take as ``adaptivity={...}``
BUDGET_KEYS = ("max_dofs", "max_memory", "max_steps", "fraction")


# ============================================================================================
# marking and sizes
# ============================================================================================
def _indicators(indicators, n: int | None = None, name: str = "indicators") -> np.ndarray:
    eta = np.asarray(indicators, dtype=float)
    if eta.ndim != 1 or (n is not None and eta.size != n):
        want = f"({n},)" if n is not None else "one-dimensional"
        raise ParameterError(f"{name}: expected one value per element, shape {want}, got "
                             f"shape {eta.shape}")
    if not np.all(np.isfinite(eta)) or np.any(eta < 0):
        raise ParameterError(f"{name}: must be finite and non-negative (min {np.nanmin(eta):g})")
    return eta


def mark(indicators, fraction: float = 0.5) -> np.ndarray:
    """Dörfler (bulk) marking: the smallest set of elements whose indicators sum to at least
    ``fraction`` (0 < fraction ≤ 1) of the total, largest first. Returns sorted element indices
    (empty if every indicator is zero)."""
    eta = _indicators(indicators)
    fraction = parse_number(fraction, "fraction")
    if not 0 < fraction <= 1:
        raise ParameterError(f"fraction: must be in (0, 1], got {fraction!r}")
    total = float(eta.sum())
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-eta, kind="stable")
    cumulative = np.cumsum(eta[order])
    count = int(np.searchsorted(cumulative, fraction * total * (1 - 1e-12))) + 1
    return np.sort(order[:min(count, eta.size)])


def element_sizes(mesh: skfem.Mesh) -> np.ndarray:
    """Mean edge length of each element (mesh units): the ``h`` a gmsh size field asks for."""
    t, p = mesh.t, mesh.p
    pairs = [(i, j) for i in range(t.shape[0]) for j in range(i + 1, t.shape[0])]
    lengths = [np.linalg.norm(p[:, t[i]] - p[:, t[j]], axis=0) for i, j in pairs]
    return np.mean(lengths, axis=0)


def target_sizes(domain: Domain, indicators, *, reduction: float = 0.5, order: int = 1,
                 max_refine: float = MAX_REFINE, max_coarsen: float = MAX_COARSEN) -> np.ndarray:
    """Element sizes for the next mesh (mesh units, one per element of ``domain.mesh``):
    equidistribution of the error over the new elements.

    Model: the indicator η_K² of an element of size h_K is its (squared) contribution to the
    output's error; for P_p elements in d dimensions it scales like h_K^(2p+d) (a compliant
    output's error density ∝ h^(2p) per unit volume). Meshing K with elements of size h'
    makes (h_K/h')^d elements of indicator η_K²·(h'/h_K)^(2p+d) each. The rule gives every new
    element the same indicator η_t²:

        h'_K = h_K · (η_t² / η_K²)^(1/(2p+d)),

    so the new total is N'·η_t² with N' = Σ_K (η_K²/η_t²)^(d/(2p+d)). Asking for the total
    ``reduction`` × Σ_K η_K² (the loop uses safety × tol / estimate) fixes

        η_t² = (reduction·Σ η_K² / Σ_K (η_K²)^(d/(2p+d)))^((2p+d)/(2p)),

    i.e. the predicted total meets the target in one step when the indicators are
    asymptotic. Each size is then clipped to [h_K/``max_refine``, ``max_coarsen``·h_K]
    (default [h/4, 2h]: a coarse mesh's indicators are not asymptotic, so a step changes sizes
    by bounded factors and the next estimate corrects the prediction). Elements with a zero
    indicator coarsen by ``max_coarsen``. :func:`remesh` caps the sizes at the generator's
    ``h``.
    """
    eta = _indicators(indicators, domain.mesh.nelements)
    reduction = parse_number(reduction, "reduction")
    if not reduction > 0:
        raise ParameterError(f"reduction: the factor the total indicator should shrink by must "
                             f"be positive, got {reduction!r}")
    h = element_sizes(domain.mesh)
    total = float(eta.sum())
    if total <= 0:
        return h * max_coarsen
    rate = 2 * order + domain.dim  # η_K² ∝ h^(2p+d)
    positive = eta > 0
    spread = float(np.sum(eta[positive] ** (domain.dim / rate)))
    eta_t = (reduction * total / spread) ** (rate / (2 * order))
    sizes = h * max_coarsen
    sizes[positive] = h[positive] * (eta_t / eta[positive]) ** (1.0 / rate)
    return np.clip(sizes, h / max_refine, h * max_coarsen)


# ============================================================================================
# local refinement
# ============================================================================================
def refine(domain: Domain, marked) -> Domain:
    """Refine the ``marked`` elements of ``domain`` locally (scikit-fem's adaptive refinement:
    red-green-blue for triangles, bisection for tetrahedra; neighbours are refined as needed
    to keep the mesh conforming).

    Regions and boundaries are transferred: a child element inherits the region of the parent
    element containing its centroid, and a new facet belongs to a named boundary if its
    centroid lies on a facet of that boundary (new facets lying in an old facet are exactly
    those). Returns a new :class:`Domain` (same length unit and recipe, ``source`` None). New
    vertices on a region's curved surface are moved onto the smooth surface reconstructed from
    the facet normals (the model of the geometric error estimate), so the body converges to
    its curved shape; :func:`remesh` follows the exact geometry of a generated domain. A curved
    (quadratic) mesh is refined as its linear mesh.
    """
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    mesh = domain.mesh
    marked = np.unique(np.asarray(marked, dtype=np.int64).ravel())
    if marked.size and (marked[0] < 0 or marked[-1] >= mesh.nelements):
        raise ParameterError(f"marked: element indices must be in [0, {mesh.nelements}), got "
                             f"{marked[0] if marked[0] < 0 else marked[-1]}")
    if marked.size == 0:
        return Domain(mesh, domain.length_unit, dict(domain.regions), dict(domain.boundaries),
                      None, curved=domain.curved, recipe=domain.recipe)
    # linear and without tags (refined() would drop or warn about them); a quadratic mesh from
    # a file is refined as its linear mesh
    plain = (skfem.MeshTri1 if mesh.dim() == 2 else skfem.MeshTet1)(
        np.ascontiguousarray(mesh.p), np.ascontiguousarray(mesh.t))
    with _quiet_skfem():  # its refinement logs "Transforming over 1000 vertices ..."
        new = plain.refined(marked)
    parent = containing_elements(plain, new.p[:, new.t].mean(axis=1))
    regions = {}
    for name, elems in domain.regions.items():
        member = np.zeros(mesh.nelements, dtype=bool)
        member[elems] = True
        regions[name] = np.flatnonzero(member[parent])
    old_facet = _parent_facets(plain, new, parent)
    boundaries = {}
    for name, facets in domain.boundaries.items():
        member = np.zeros(mesh.nfacets, dtype=bool)
        member[facets] = True
        hit = old_facet >= 0
        boundaries[name] = np.flatnonzero(hit & member[np.where(hit, old_facet, 0)])
    new = _snapped(domain, plain, new)
    return Domain(new, domain.length_unit, regions, boundaries, None, recipe=domain.recipe)


@contextlib.contextmanager
def _quiet_skfem():
    """scikit-fem's mesh constructor logs a warning when it copies arrays into C order — an
    internal detail of its refinement that users should not see."""
    log = logging.getLogger("skfem")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _snapped(domain: Domain, old: skfem.Mesh, new: skfem.Mesh) -> skfem.Mesh:
    """``new`` with the vertices it added on the surfaces of ``domain``'s regions moved onto
    the smooth surface those facets approximate (:func:`~mqm_fem.mesh.curvature.snap_midpoints`;
    flat pieces and sharp edges stay), so a refined file mesh approaches a curved body instead
    of keeping its polygon; left unchanged if a move would invert an element."""
    from .curvature import snap_midpoints
    from .domain import _signed_measures
    from .topology import surface_facets

    surfaces = [(surface_facets(old, elems), elems) for elems in domain.regions.values()
                if len(elems)]
    points = snap_midpoints(old, new.p, surfaces)
    before, after = _signed_measures(new.p, new.t), _signed_measures(points, new.t)
    keeps_orientation = np.all(np.sign(before) == np.sign(after))
    return (type(new)(np.ascontiguousarray(points), np.ascontiguousarray(new.t))
            if keeps_orientation else new)


def containing_elements(mesh: skfem.Mesh, points: np.ndarray) -> np.ndarray:
    """Index of the element of ``mesh`` containing each of ``points`` (dim, n), -1 if none.

    Candidates are the elements with the nearest centroids (a k-d tree, widened for points not
    found), tested by barycentric coordinates: memory linear in the number of points (the
    element finder of scikit-fem tests every point against many elements at once and needs
    tens of GiB for ~10⁵ points in 3D)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(mesh.p[:, mesh.t].mean(axis=1).T)
    out = np.full(points.shape[1], -1, dtype=np.int64)
    todo = np.arange(points.shape[1])
    for k in (8, 32, 128):
        if todo.size == 0:
            break
        _, candidates = tree.query(points[:, todo].T, k=min(k, mesh.nelements))
        candidates = candidates.reshape(todo.size, -1)
        for j in range(candidates.shape[1]):
            elems = candidates[:, j]
            lam = _barycentric(mesh.p[:, mesh.t[:, elems]], points[:, todo])
            found = (lam.min(axis=0) > -1e-9) & (out[todo] < 0)
            out[todo[found]] = elems[found]
        todo = todo[out[todo] < 0]
    return out


def _parent_facets(old: skfem.Mesh, new: skfem.Mesh, parent) -> np.ndarray:
    """For each facet of ``new``: the facet of ``old`` containing its centroid, or -1. A new
    facet lies in the parent of an element it bounds, so only that parent's facets are
    candidates (``parent``: new element -> old element)."""
    c = new.p[:, new.facets].mean(axis=1)
    elems = parent[new.f2t[0]]
    verts = old.t[:, elems]  # (dim+1, nf)
    lam = _barycentric(old.p[:, verts], c)  # (dim+1, nf)
    out = np.full(new.nfacets, -1, dtype=np.int64)
    scale = 1e-8
    for k in range(old.t2f.shape[0]):
        f = old.t2f[k, elems]
        opposite = verts.sum(axis=0) - old.facets[:, f].sum(axis=0)
        local = np.argmax(verts == opposite, axis=0)
        on = np.abs(lam[local, np.arange(c.shape[1])]) < scale
        out = np.where(on & (out < 0), f, out)
    return out


def _barycentric(x, c) -> np.ndarray:
    """Barycentric coordinates of points ``c`` (dim, n) in simplices ``x`` (dim, dim+1, n)."""
    dim = x.shape[0]
    a = np.moveaxis(x[:, 1:, :] - x[:, :1, :], -1, 0)  # (n, dim, dim): columns = edges
    rhs = (c - x[:, 0, :]).T[..., None]
    rest = np.linalg.solve(a, rhs)[..., 0].T  # (dim, n)
    return np.vstack([1.0 - rest.sum(axis=0), rest]).reshape(dim + 1, -1)


# ============================================================================================
# remeshing a generated geometry
# ============================================================================================
def remesh(domain: Domain, sizes, *, caps=None, progress: ProgressLike = None) -> Domain:
    """Mesh the geometry of ``domain`` again with gmsh, with element sizes ``sizes`` (mesh
    units, one per element of ``domain.mesh``; e.g. :func:`target_sizes`).

    ``domain`` must come from a :mod:`mqm_fem.mesh.geometry` generator (``domain.recipe``): the
    generator is called again with the arguments it received, its own size fields replaced by
    a background field interpolating ``sizes`` on the old mesh (a gmsh list-based view used as
    a ``PostView`` field; each vertex takes the smallest size of its elements). Curved
    boundaries stay on the geometry (gmsh also keeps its 12 elements per 2π of curvature).
    The sizes are capped at the generator's ``h`` (its largest element size). ``caps`` (mesh
    units, one per element, ``inf`` where none; e.g. :func:`resolution_caps`) are bounds the
    new elements there must meet, while ``sizes`` are a density to follow on average (see
    :func:`_background`). Region and boundary names are those of the generator. Returns a new
    Domain with the same recipe.
    """
    from . import geometry

    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    if domain.recipe is None:
        raise ParameterError(
            "domain: has no geometry recipe (it was not made by mqm_fem.geometry, e.g. read from "
            f"{domain.source or 'a file'}), so it cannot be remeshed; use refine() instead")
    sizes = np.asarray(sizes, dtype=float)
    n = domain.mesh.nelements
    if sizes.shape != (n,) or not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ParameterError(f"sizes: expected {n} positive finite element sizes (mesh units), "
                             f"got shape {sizes.shape}"
                             + ("" if sizes.shape != (n,) else f", min {np.min(sizes):g}"))
    generator = getattr(geometry, domain.recipe.generator, None)
    if generator is None:
        raise ParameterError(f"domain.recipe: unknown geometry generator "
                             f"{domain.recipe.generator!r}")
    cap = domain.recipe.arguments.get("h")
    if cap is not None:
        sizes = np.minimum(sizes, parse_number(cap, "h"))
    if caps is not None:
        caps = np.asarray(caps, dtype=float)
        if caps.shape != (n,) or np.any(np.isnan(caps)) or np.any(caps <= 0):
            raise ParameterError(f"caps: expected {n} positive element sizes (mesh units, inf "
                                 f"where none), got shape {caps.shape}")
    new = _generate(generator, domain, sizes, caps, progress)
    ratio, relative = _delivery(domain.mesh, new.mesh, sizes)
    if relative < DELIVERY_TOLERANCE:  # a thin fine layer came out coarser than the rest: again
        dim = domain.mesh.dim()
        new = _generate(generator, domain, sizes * np.clip(ratio, MIN_DELIVERY, 1.0) ** (1 / dim),
                        caps, progress)
    return new


#: Where a remesh refines (≥ 4 new elements asked per old element), gmsh may deliver fewer
#: elements there than elsewhere: it interpolates the sizes linearly inside the background
#: elements, so a fine layer one old element thick comes out coarser (a sphere's surface layer
#: asked at 0.3 among 2: 0.37 of the elements asked there, 0.57 overall — gmsh's tetrahedra
#: come out somewhat larger than asked everywhere, which a uniform refinement shows alike and
#: which is left alone). A remesh whose refined elements got less than this fraction of the
#: delivery of the whole mesh is repeated once, with the sizes there reduced by their relative
#: shortfall (the adaptive sphere at R = 10λ stalled at 1.25e-3 for tol 1e-3: its next meshes
#: asked 2.3× the elements and got as many as before)
DELIVERY_TOLERANCE = 0.8
#: ... by at most this factor of elements per step
MIN_DELIVERY = 0.25


def _generate(generator, domain: Domain, sizes, caps, progress) -> Domain:
    """The generator run with the background sizes (replacing its own size fields)."""
    from . import geometry

    token = geometry._BACKGROUND.set(_background(domain.mesh, sizes, caps))
    try:
        return generator(**domain.recipe.arguments, progress=progress)
    finally:
        geometry._BACKGROUND.reset(token)


def _delivery(old: skfem.Mesh, new: skfem.Mesh, sizes) -> tuple[np.ndarray, float]:
    """How the refined elements of ``old`` (≥ 4 new elements asked, (h/size)^d) were served,
    relative to the whole mesh (new elements made / asked over all of ``old``): per element
    of ``old`` its own ratio (new elements with the nearest centroid, over asked) divided by
    the whole mesh's, 1 where not refined; and the ratio over all refined elements, divided
    alike (1 if none is refined)."""
    from scipy.spatial import cKDTree

    dim = old.dim()
    asked = (element_sizes(old) / np.asarray(sizes, dtype=float)) ** dim
    refined = asked >= 4.0
    if not refined.any() or refined.all():
        return np.ones(old.nelements), 1.0
    overall = new.nelements / float(asked.sum())
    _, nearest = cKDTree(old.p[:, old.t].mean(axis=1).T).query(new.p[:, new.t].mean(axis=1).T)
    made = np.bincount(nearest, minlength=old.nelements).astype(float)
    ratio = np.where(refined, made / (asked * overall), 1.0)
    return ratio, float(made[refined].sum() / (asked[refined].sum() * overall))


def _background(mesh: skfem.Mesh, sizes: np.ndarray,
                caps: np.ndarray | None = None) -> tuple[skfem.Mesh, np.ndarray]:
    """The (mesh, size per element) gmsh's background field interpolates, from the target
    ``sizes`` on ``mesh`` and the hard upper bounds ``caps`` (or None).

    The generator gives each vertex of the background mesh the smallest size of its elements;
    on the old mesh itself that would spread a fine size over every neighbouring coarse element
    (on a coarse 3D mesh: several times the elements asked for). So the mesh is refined once
    and each child gets

    * from ``sizes``: the size of the mean element density h^(-d) at its vertices, the density
      averaged to the old vertices with volume weights (so the number of elements is kept;
      edge midpoints take the mean of their ends): a smooth field;
    * at most its parent's ``caps``: a bound the new elements must meet (a resolution check),
      spread by the smallest-size rule over half an old element only.
    """
    dim = mesh.dim()
    plain = (skfem.MeshTri1 if dim == 2 else skfem.MeshTet1)(mesh.p, mesh.t)
    volume = element_measures(plain)
    density = np.zeros(plain.nvertices)
    weight = np.zeros(plain.nvertices)
    for row in plain.t:
        np.add.at(density, row, volume * sizes ** (-float(dim)))
        np.add.at(weight, row, volume)
    density /= weight
    fine, parent, ends = _split(plain)
    value = np.concatenate([density, density[ends].mean(axis=0)])
    child = value[fine.t].mean(axis=0) ** (-1.0 / dim)
    if caps is not None:
        child = np.minimum(child, np.asarray(caps, dtype=float)[parent])
    return fine, child


def _split(mesh: skfem.Mesh) -> tuple[skfem.Mesh, np.ndarray, np.ndarray]:
    """Each simplex of ``mesh`` split into 2^d children at its edge midpoints (triangles: 4;
    tetrahedra: 4 corners and the inner octahedron cut along one diagonal). Returns the split
    mesh (the old vertices first, then one vertex per edge), the parent of each child and the
    two end vertices of each new vertex's edge, shape (2, nedges)."""
    t = mesh.t
    n, nt = mesh.nvertices, t.shape[1]
    pairs = [(i, j) for i in range(t.shape[0]) for j in range(i + 1, t.shape[0])]
    keys = np.sort(np.stack([np.stack([t[i], t[j]]) for i, j in pairs]), axis=1)  # (np, 2, nt)
    flat = keys.transpose(1, 0, 2).reshape(2, -1)
    ends, index = np.unique(flat, axis=1, return_inverse=True)
    mid = {pair: n + index.reshape(len(pairs), nt)[k] for k, pair in enumerate(pairs)}

    def m(i, j):
        return mid[(min(i, j), max(i, j))]

    if mesh.dim() == 2:
        children = [(t[0], m(0, 1), m(0, 2)), (t[1], m(0, 1), m(1, 2)),
                    (t[2], m(0, 2), m(1, 2)), (m(0, 1), m(1, 2), m(0, 2))]
        cls = skfem.MeshTri1
    else:
        children = [(t[i], *(m(i, j) for j in range(4) if j != i)) for i in range(4)]
        ring = [m(0, 2), m(0, 3), m(1, 3), m(1, 2)]  # around the diagonal m01–m23
        children += [(m(0, 1), m(2, 3), ring[k], ring[(k + 1) % 4]) for k in range(4)]
        cls = skfem.MeshTet1
    p = np.hstack([mesh.p, mesh.p[:, ends].mean(axis=1)])
    new_t = np.hstack([np.vstack(c) for c in children])
    parent = np.tile(np.arange(nt), len(children))
    return cls(p, new_t), parent, ends


# ============================================================================================
# the loop
# ============================================================================================
@dataclass
class AdaptiveStep:
    """One solve of the adaptive loop: degrees of freedom, elements, the headline estimate
    (``relative`` error bar, signed ``error`` and ``value``) and the wall time (s) of the solve
    and of building the next mesh."""

    step: int
    ndofs: int
    elements: int
    relative: float
    error: float
    value: float
    seconds: float


@dataclass
class AdaptiveHistory:
    """The steps of :func:`adapt`, why it stopped, and the final domain.

    ``stopped``: ``"tol"`` (the target was met), ``"max_dofs"``, ``"max_memory"``,
    ``"max_steps"``, ``"no_marking"`` (nothing left to refine) or ``"no_change"`` (the
    refinement left the mesh as it was); ``method``: ``"remesh"``
    (gmsh from the geometry recipe) or ``"refine"`` (local refinement of a file's mesh).
    """

    tol: float
    method: str
    quantity: str = ""
    unit: str = ""
    steps: list[AdaptiveStep] = field(default_factory=list)
    stopped: str = ""
    final_domain: Domain | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        return self.stopped == "tol"

    HEADER = ("step", "ndofs", "elements", "relative", "error", "value", "seconds")

    def rows(self) -> list[tuple]:
        return [(s.step, s.ndofs, s.elements, s.relative, s.error, s.value, s.seconds)
                for s in self.steps]

    def table(self) -> str:
        """The history as aligned text (one line per step)."""
        value = f"value [{self.unit}]" if self.unit else "value"
        what = f" ({self.quantity})" if self.quantity else ""
        lines = [f"adaptive {self.method} to tol {self.tol:g}{what}: stopped by {self.stopped}",
                 f"{'step':>4s} {'DOFs':>10s} {'elements':>10s} {'estimate':>10s} "
                 f"{'error':>12s} {value:>16s} {'time [s]':>9s}"]
        for s in self.steps:
            lines.append(f"{s.step:>4d} {s.ndofs:>10d} {s.elements:>10d} {s.relative:>10.3g} "
                         f"{s.error:>12.4g} {s.value:>16.10g} {s.seconds:>9.2f}")
        return "\n".join(lines)

    def to_csv(self, path) -> Path:
        """Write the rows (header ``step,ndofs,elements,relative,error,value,seconds``)."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.HEADER)
            writer.writerows(self.rows())
        return path


def check_tol(tol, label: str = "tol") -> float:
    """Validate a target relative error: a number with 0 < tol < 1 (``label`` names it)."""
    value = parse_number(tol, label)
    if not 0 < value < 1:
        raise ParameterError(f"{label}: the target relative error must be in (0, 1), e.g. 1e-3, "
                             f"got {tol!r}")
    if value < MIN_TOL:
        raise ParameterError(
            f"{label}: {tol!r} is a target relative error of the result, below {MIN_TOL:g} no "
            "mesh reaches it; the tolerance of the linear or eigen solver is solver_tol "
            "(London) or eigen_tol (Schrödinger, nucleation)")
    return value


def adapt(solve: Callable[[Domain], object], domain: Domain, tol: float, *,
          fraction: float = 0.5, order: int = 1, max_dofs: int = MAX_DOFS,
          max_memory: float | None = None, max_steps: int = MAX_STEPS,
          progress: ProgressLike = None, who: str = "adapt"):
    """Solve, estimate and refine until the headline estimate meets ``tol``.

    Parameters
    ----------
    solve : callable
        ``solve(domain) -> result`` with ``result.estimate`` (``relative``, ``error``,
        ``value``), ``result.error_indicators`` and ``result.ndofs`` (see the module docstring).
    domain : Domain
        The first mesh. Generated domains are remeshed from their geometry, others refined
        locally (new surface vertices on the reconstructed smooth surface; the progress says
        so).
    tol : float
        Target relative error of the headline output, 0 < tol < 1.
    fraction : float
        Dörfler marking fraction of local refinement (domains without a recipe; default 0.5).
    order : int
        Polynomial order of the solver (the error model of :func:`target_sizes`).
    max_dofs : int
        Stop before a step whose mesh would have more unknowns (estimated from the elements).
    max_memory : float, optional
        Stop before a step whose resident memory would exceed this many bytes (rough: the
        growth of the process's peak memory per unknown, measured on the steps so far).
    max_steps : int
        At most this many solves.
    progress : callable, True or None
        One line per step.

    Returns
    -------
    (result, AdaptiveHistory)
        The last result and the history; if a budget stopped the loop first, an
        :class:`~mqm_fem.errors.MqmFemWarning` gives the estimate reached. Warnings of the
        intermediate solves (e.g. an unresolved length scale on a coarse mesh) are dropped;
        those of the last solve are issued.
    """
    tol = check_tol(tol)
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    max_dofs = int(parse_number(max_dofs, "max_dofs"))
    max_steps = int(parse_number(max_steps, "max_steps"))
    if max_dofs < 1 or max_steps < 1:
        raise ParameterError(f"max_dofs and max_steps must be at least 1, got {max_dofs}, "
                             f"{max_steps}")
    if max_memory is not None and parse_number(max_memory, "max_memory") <= 0:
        raise ParameterError(f"max_memory: must be positive (bytes), got {max_memory!r}")
    fraction = parse_number(fraction, "fraction")
    if not 0 < fraction <= 1:
        raise ParameterError(f"fraction: the Dörfler marking fraction must be in (0, 1], got "
                             f"{fraction!r}")
    say = reporter(progress, who)
    method = "remesh" if domain.recipe is not None else "refine"
    history = AdaptiveHistory(tol=tol, method=method)
    if method == "refine":
        say("the domain has no geometry recipe (read from a file): refining locally, new "
            "surface vertices on the smooth surface through the file's vertices")
    baseline = _resident_bytes()
    peak_before = _peak_bytes()  # the process may have peaked higher before this loop
    per_dof = 0.0
    step = 0
    while True:
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:  # only the final mesh's warnings
            warnings.simplefilter("always")
            result = solve(domain)
        estimate = getattr(result, "estimate", None)
        if estimate is None:
            raise ParameterError(
                f"tol: {who} computed no error estimate for this problem, so it cannot adapt "
                "the mesh to a target accuracy; solve without tol")
        ndofs = _ndofs(result)
        history.quantity = getattr(estimate, "quantity", "")
        history.unit = getattr(estimate, "unit", "")
        row = AdaptiveStep(step, ndofs, int(domain.mesh.nelements), float(estimate.relative),
                           float(estimate.error), float(estimate.value), 0.0)
        history.steps.append(row)
        history.final_domain = domain
        per_dof = max(per_dof, (_peak_bytes() - max(baseline, peak_before)) / max(ndofs, 1))
        checks = list(getattr(result, "resolution", None) or [])
        unresolved = [c for c in checks if not c.ok]
        if row.relative <= tol and not unresolved:
            history.stopped = "tol"
            row.seconds = time.perf_counter() - start
            say(_line(row, tol, "target met"))
            break
        if step + 1 >= max_steps:
            row.seconds = time.perf_counter() - start
            say(_line(row, tol, "step budget"))
            _stop(history, "max_steps", f"max_steps = {max_steps} solves", estimate, who)
            break
        eta = _indicators_on(result, domain)
        marked = mark(eta, fraction)
        caps = resolution_caps(checks, domain)
        too_large = np.flatnonzero(caps < element_sizes(domain.mesh))
        if not marked.size and not too_large.size:
            row.seconds = time.perf_counter() - start
            _stop(history, "no_marking", "every error indicator is zero", estimate, who)
            break
        if method == "remesh":
            reduction = min(1.0, max(MIN_REDUCTION,
                                      TARGET_SAFETY * tol / max(row.relative, 1e-300)))
            sizes = target_sizes(domain, eta, reduction=reduction, order=order)
            # the resolution caps too change a size by at most MAX_REFINE per step: a coarse
            # mesh's surface gets there in steps, with the estimate's sizes in between
            h = element_sizes(domain.mesh)
            following = remesh(domain, sizes, caps=np.maximum(caps, h / MAX_REFINE))
        else:
            following = refine(domain, np.union1d(marked, too_large))
        if (following.mesh.nelements == domain.mesh.nelements
                and np.array_equal(following.mesh.t, domain.mesh.t)):
            row.seconds = time.perf_counter() - start
            _stop(history, "no_change", f"the {method} left the mesh unchanged", estimate, who)
            break
        predicted = int(math.ceil(ndofs * following.mesh.nelements / domain.mesh.nelements))
        row.seconds = time.perf_counter() - start
        note = f"next: {following.mesh.nelements} elements"
        if unresolved:
            note += "; the mesh does not resolve the " + ", ".join(
                sorted({c.quantity for c in unresolved})) + ": refining there too"
        say(_line(row, tol, note))
        if predicted > max_dofs:
            _stop(history, "max_dofs", f"the next mesh would have about {predicted} unknowns "
                  f"(max_dofs = {max_dofs})", estimate, who)
            break
        if max_memory is not None and baseline + per_dof * predicted > float(max_memory):
            _stop(history, "max_memory", f"the next solve would need about "
                  f"{(baseline + per_dof * predicted) / 2**20:.0f} MiB (max_memory = "
                  f"{float(max_memory) / 2**20:.0f} MiB)", estimate, who)
            break
        domain = following
        step += 1
    for record in caught:  # the final solve's warnings (resolution checks ...), re-issued
        if history.stopped == "tol" and "estimated error exceeds" in str(record.message):
            continue  # the error bar met the target the user chose
        warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    return result, history


def resolution_caps(checks, domain: Domain) -> np.ndarray:
    """Largest element size (mesh units, per element of ``domain``, comparable with
    :func:`element_sizes`) that the resolution checks
    (:class:`~mqm_fem.mesh.resolution.ResolutionCheck`) allow on the elements each is about —
    its ``elements`` if given (e.g. where a state has weight), else ``where`` naming a
    ``boundary 'NAME'`` (the elements along it), a ``region 'NAME'`` (its elements;
    ``region 'NAME' (surface)``: those with a facet on its surface),
    ``the superconductor`` (the non-vacuum regions), anything else the whole mesh:

    * a failed check shrinks those elements by 0.9 × needed/measured size (its measure — the
      largest or the mean element — then meets the requirement on the next mesh);
    * a passed check keeps them from being coarsened (their present size);
    * infinite where no check applies.

    Until these checks pass the loop does not stop at ``tol``: an estimate computed on a mesh
    that misses the solution's length scale can miss the state itself (e.g. a surface state
    whose phase winds faster than the mesh resolves)."""
    caps = np.full(domain.mesh.nelements, np.inf)
    h = element_sizes(domain.mesh)
    for check in checks:
        factor = 1.0 if check.ok else 0.9 * min(check.needed_element / check.element, 1.0)
        where = str(check.where)
        boundary = re.search(r"boundary '([^']+)'", where)
        region = re.search(r"region '([^']+)'", where)
        given = getattr(check, "elements", None)
        if given is not None and np.size(given) and np.max(given) < domain.mesh.nelements:
            elements = np.asarray(given, dtype=np.int64)
        elif boundary and boundary.group(1) in domain.boundaries:
            elements = elements_at(domain.mesh, domain.boundaries[boundary.group(1)])
        elif region and region.group(1) in domain.regions:
            elements = np.asarray(domain.regions[region.group(1)], dtype=np.int64)
            if "(surface)" in where:  # the region's elements with a facet on its surface
                surface = surface_facets(domain.mesh, elements)
                elements = np.intersect1d(elements_at(domain.mesh, surface), elements)
        elif where.startswith("the superconductor"):
            try:
                elements = domain.elements(domain.superconductor_names())
            except ParameterError:
                elements = np.arange(domain.mesh.nelements)
        else:
            elements = np.arange(domain.mesh.nelements)
        caps[elements] = np.minimum(caps[elements], factor * h[elements])
    return caps


def _line(row: AdaptiveStep, tol: float, note: str) -> str:
    return (f"step {row.step}: {row.ndofs} DOFs, {row.elements} elements, estimate "
            f"{row.relative:.3g} (target {tol:g}), value {row.value:.10g}, {row.seconds:.1f} s; "
            f"{note}")


def _stop(history: AdaptiveHistory, reason: str, why: str, estimate, who: str) -> None:
    history.stopped = reason
    warnings.warn(
        f"{who}: stopped before reaching tol = {history.tol:g}: {why}; achieved {estimate} "
        f"(relative {float(estimate.relative):.3g}) with {history.steps[-1].ndofs} unknowns",
        MqmFemWarning, stacklevel=3)


def _ndofs(result) -> int:
    n = getattr(result, "ndofs", None)
    if n is None:
        n = (getattr(result, "info", None) or {}).get("ndofs")
    if n is None:
        raise ParameterError(f"adapt: the solver's result ({type(result).__name__}) has no "
                             "ndofs (number of unknowns)")
    return int(n)


def _indicators_on(result, domain: Domain) -> np.ndarray:
    """The result's element indicators on ``domain.mesh``: as they are if the result was
    computed on ``domain``; from a sub-domain (same vertices, a subset of the elements, e.g.
    the superconductor) by matching element centroids, zero on the other elements."""
    eta = getattr(result, "error_indicators", None)
    if eta is None:
        raise ParameterError(f"adapt: the solver's result ({type(result).__name__}) has no "
                             "error_indicators")
    eta = np.asarray(eta, dtype=float)
    n = domain.mesh.nelements
    if eta.shape == (n,):
        return _indicators(eta, n, "error_indicators")
    sub = getattr(getattr(result, "domain", None), "mesh", None)
    if sub is None or eta.shape != (sub.nelements,):
        raise ParameterError(f"adapt: error_indicators have shape {eta.shape}, expected one per "
                             f"element of the domain ({n}) or of the result's domain")
    from scipy.spatial import cKDTree

    parent = domain.mesh.p[:, domain.mesh.t].mean(axis=1).T
    child = sub.p[:, sub.t].mean(axis=1).T
    distance, index = cKDTree(parent).query(child)
    scale = float(np.max(np.ptp(domain.mesh.p, axis=1)))
    if np.any(distance > 1e-9 * scale):
        raise ParameterError("adapt: the result's domain is not a sub-mesh of the domain given "
                             "(element centroids differ)")
    out = np.zeros(n)
    out[index] = _indicators(eta, None, "error_indicators")
    return out


def _resident_bytes() -> float:
    """Current resident memory of this process (bytes; 0 where unknown)."""
    try:
        import os

        with open("/proc/self/statm", encoding="ascii") as handle:
            return float(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def _peak_bytes() -> float:
    """Peak resident memory of this process so far (bytes)."""
    try:
        import resource

        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024.0
    except (ImportError, OSError):
        return 0.0



def supports_estimates(result_type) -> bool:
    """Whether results of ``result_type`` (a class) carry an error estimate: an ``estimate``
    attribute/property or dataclass field (checked before any work)."""
    import dataclasses

    if hasattr(result_type, "estimate"):
        return True
    return dataclasses.is_dataclass(result_type) and any(
        f.name == "estimate" for f in dataclasses.fields(result_type))


def check_target(tol, result_type, who: str, label: str = "tol",
                 note: str = "") -> float | None:
    """``tol`` validated (None stays None), refused with a clear message when ``result_type``
    has no error estimator — before any work (``note`` is appended to that message)."""
    if tol is None:
        return None
    value = check_tol(tol, label)
    if not supports_estimates(result_type):
        raise ParameterError(
            f"{label}: {who} has no error estimator yet, so it cannot refine to a target accuracy; "
            f"solve without tol and refine the mesh by hand (watch the resolution warnings){note}")
    return value
