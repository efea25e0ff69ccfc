"""Geometry library: gmsh (OpenCASCADE) meshes with the named regions of the mqm_fem convention.

Every generator builds its geometry with the gmsh Python API, meshes it with linear simplices
(triangles in 2D, tetrahedra in 3D), writes a ``.msh`` file and reads it back with
:func:`mqm_fem.mesh.load_mesh`, so a generated mesh and a mesh file written by the gmsh app go
through the same loader. Coordinates are in ``length_unit`` (default micrometres); bodies are
centred at the origin.

Names (see :mod:`mqm_fem.mesh`): regions ``superconductor`` (``superconductor_0``, ... when there
are several), ``vacuum``, ``hole_0``, ... (meshed holes through a superconductor); boundaries
``outer`` (outermost boundary), ``surface`` (the superconductor's boundary / the
superconductor-vacuum interface), ``hole_k_boundary``, box faces ``xmin`` ... ``zmax``.

Size control, common to every generator (keyword-only, all in ``length_unit``):

``h``
    maximum element size everywhere (required);
``h_sc``
    element size inside the superconductor (default ``h``);
``h_surface``, ``surface_layer``
    element size ``h_surface`` within ``surface_layer`` of the superconductor's surface, on its
    inside (gmsh ``Distance`` + ``Threshold`` fields); beyond the layer the size grows linearly
    (by at most 0.5 per unit distance) to ``h_sc`` inside and to ``h`` outside. Use it to
    resolve a penetration depth λ: ``h_surface ≲ λ/3``, ``surface_layer ≈ 3λ``.

``path`` (optional) keeps the ``.msh`` file (written atomically: temporary file in the same
directory, then :func:`os.replace`; a directory that cannot take the file is refused before
meshing); ``msh_version`` is the gmsh file format (4.1 or 2.2); ``progress`` (a callable such
as ``print``) receives a size estimate before gmsh meshes (:func:`estimate_elements`: elements,
memory, time) and the meshing time after. Sizes whose estimate exceeds :data:`MAX_ELEMENTS`
are refused. Every generator's docstring documents its parameters in a numpy-style
"Parameters" section, which the CLI shows in ``mqm-fem mesh KIND --help``.
:data:`GEOMETRIES` maps the CLI kind names (``mqm-fem mesh KIND``) to the generators,
:data:`GEOMETRY_DIMENSION` to their dimension, :data:`OUTER_SHAPES` lists the outer boundaries.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import math
import numbers
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MeshError, ParameterError
from ..progress import ProgressLike, reporter
from ..units import LengthLike, PathLike, parse_length, parse_number
from .domain import Domain, Recipe, element_measures, load_mesh

__all__ = [
    "GEOMETRIES", "GEOMETRY_DIMENSION", "OUTER_SHAPES", "MeshEstimate", "annulus", "box",
    "circle_in_box", "cross_section_in_box", "cube_in_box", "cylinder", "cylinder_in_box", "disk",
    "estimate_elements", "film_in_box", "polygon", "recorded_holes", "rectangle",
    "sphere_in_box", "torus_in_box",
]

#: refuse to mesh when the estimated number of elements exceeds this
MAX_ELEMENTS = 20_000_000
#: size growth per unit distance away from a refined surface (dimensionless)
_GRADING = 0.5
#: elements per 2π of curvature on curved boundaries (keeps small circles round when h is coarse)
_CURVATURE_ELEMENTS = 12


# ============================================================================================
# gmsh session and pipeline
# ============================================================================================
_OPTIONS = {
    "General.Terminal": 0, "General.Verbosity": 2, "Mesh.ElementOrder": 1, "Mesh.SaveAll": 0,
    "Mesh.Binary": 0, "Mesh.MeshSizeFromPoints": 0,
    "Mesh.MeshSizeFromCurvature": _CURVATURE_ELEMENTS, "Mesh.MeshSizeExtendFromBoundary": 0,
    "Mesh.MeshSizeMin": 0.0, "Mesh.MeshSizeMax": 1e22, "Mesh.MshFileVersion": 4.1,
    # tetrahedra: gmsh's optimiser, then Netgen's (removes the slivers of thin films; ~2x time)
    "Mesh.Optimize": 1, "Mesh.OptimizeNetgen": 1,
}


@contextlib.contextmanager
def _gmsh_session(name: str):
    """A clean gmsh model: initialise (non-interruptible, no config files, silent) and finalise
    afterwards, also on errors. If the caller already runs gmsh, work in a separate model and
    restore the caller's current model and the options touched here."""
    import gmsh

    name = f"mqm_fem_{name}_{uuid.uuid4().hex[:8]}"  # never clashes with a caller's model
    own = not gmsh.isInitialized()
    saved, previous = {}, None
    if own:
        try:
            gmsh.initialize(readConfigFiles=False, interruptible=False)
        except TypeError:  # older gmsh without `interruptible`
            gmsh.initialize(readConfigFiles=False)
    else:
        with contextlib.suppress(Exception):
            previous = gmsh.model.getCurrent()
        saved = {k: gmsh.option.getNumber(k) for k in _OPTIONS}
    try:
        for key, value in _OPTIONS.items():
            gmsh.option.setNumber(key, value)
        gmsh.model.add(name)
        yield gmsh
    finally:
        if own:
            gmsh.finalize()
        else:
            with contextlib.suppress(Exception):
                gmsh.model.setCurrent(name)
                gmsh.model.remove()
            for key, value in saved.items():
                gmsh.option.setNumber(key, value)
            if previous:
                with contextlib.suppress(Exception):
                    gmsh.model.setCurrent(previous)


class _Groups:
    """Physical groups in creation order: dim, name, entity tags."""

    def __init__(self, gmsh):
        self.gmsh = gmsh
        self.items: list[tuple[int, str, tuple[int, ...]]] = []

    def add(self, dim: int, name: str, tags) -> None:
        tags = tuple(sorted({abs(int(t)) for t in tags}))
        if not tags:
            raise MeshError(f"geometry construction failed: physical group {name!r} is empty")
        self.gmsh.model.addPhysicalGroup(dim, list(tags), name=name)
        self.items.append((dim, name, tags))


def _boundary(gmsh, dim: int, tags) -> set[int]:
    """Entities of dimension dim-1 bounding the union of the given dim-entities."""
    if not tags:
        return set()
    out = gmsh.model.getBoundary([(dim, t) for t in tags], combined=True, oriented=False)
    return {abs(t) for d, t in out if d == dim - 1}


def _all_boundary(gmsh, dim: int, tags) -> set[int]:
    """All dim-1 entities touching the given dim-entities (internal interfaces included)."""
    if not tags:
        return set()
    out = gmsh.model.getBoundary([(dim, t) for t in tags], combined=False, oriented=False)
    return {abs(t) for d, t in out if d == dim - 1}


def _sizes(h, h_sc, h_surface, surface_layer, grading=None, h_edge=None):
    """Validate and resolve the size parameters -> (h, h_sc, h_surface|None, layer) plus, when
    ``grading`` or ``h_edge`` is given, (grading, h_edge|None)."""
    h = _positive("h", h)
    h_sc = h if h_sc is None else _positive("h_sc", h_sc)
    extra = ()
    if grading is not None or h_edge is not None:
        grading = _GRADING if grading is None else _positive("grading", grading)
        if grading > 2:
            raise ParameterError(f"grading: {grading:g} is too steep; the size may grow by at "
                                 "most 2 per unit distance (0.5 is the default, 0.1–0.3 grades "
                                 "gently)")
        if h_edge is not None:
            h_edge = _positive("h_edge", h_edge)
            if h_edge > h_sc:
                raise ParameterError(f"h_edge ({h_edge:g}) must not exceed h_sc ({h_sc:g}): it "
                                     "is the finer size at the superconductor's edges")
        extra = (grading, h_edge)
    if h_surface is None:
        if surface_layer not in (None, 0, 0.0):
            raise ParameterError("surface_layer is given but h_surface is not: give h_surface "
                                 "(the element size within surface_layer of the surface)")
        return (h, h_sc, None, 0.0) + extra
    h_surface = _positive("h_surface", h_surface)
    if h_surface > h_sc:
        raise ParameterError(f"h_surface ({h_surface:g}) must not exceed h_sc ({h_sc:g}): it is "
                             "the finer size near the superconductor surface")
    layer = 0.0 if surface_layer is None else _nonnegative("surface_layer", surface_layer)
    return (h, h_sc, h_surface, layer) + extra


def _graded_field(gmsh, distance: int, size_min: float, size_max: float, grading: float,
                 start: float = 0.0, floor: float = 1e-12) -> int:
    """A gmsh Threshold field on the Distance field ``distance``: ``size_min`` up to distance
    ``start``, growing by ``grading`` per unit distance to ``size_max`` (the ramp at least
    ``floor`` long). Returns its tag."""
    field = gmsh.model.mesh.field
    tag = field.add("Threshold")
    field.setNumber(tag, "InField", distance)
    field.setNumber(tag, "SizeMin", size_min)
    field.setNumber(tag, "SizeMax", size_max)
    field.setNumber(tag, "DistMin", start)
    field.setNumber(tag, "DistMax", start + max((size_max - size_min) / grading, floor))
    return tag


def _grading(sizes) -> float:
    """The size growth rate of ``sizes`` (:data:`_GRADING` unless given)."""
    return sizes[4] if len(sizes) > 4 else _GRADING


def _apply_sizes(gmsh, dim, sc_tags, surface_tags, sizes):
    """Background size field: h outside, h_sc inside the superconductor, h_surface in the
    surface layer (Distance + Threshold), graded linearly away from it."""
    h, h_sc, h_surface, layer = sizes[:4]
    grading = _grading(sizes)
    h_edge = sizes[5] if len(sizes) > 5 else None
    field = gmsh.model.mesh.field
    gmsh.option.setNumber("Mesh.MeshSizeMax", max(h, h_sc))
    volumes_key = "SurfacesList" if dim == 2 else "VolumesList"
    fields = []
    f = field.add("Constant")
    field.setNumber(f, "VIn", h_sc)
    field.setNumber(f, "VOut", h)
    field.setNumbers(f, volumes_key, sorted(sc_tags))
    field.setNumber(f, "IncludeBoundary", 1)
    fields.append(f)
    finest = h_sc if h_surface is None else h_surface
    if surface_tags and (h_surface is not None or h_sc < h):
        dist = _distance_field(gmsh, dim, surface_tags, finest)
        # grading away from the surface (vacuum side)
        fields.append(_graded_field(gmsh, dist, finest, h, grading))
    if surface_tags and h_surface is not None:
        inner = _graded_field(gmsh, dist, h_surface, h_sc, grading, start=layer)
        restricted = field.add("Restrict")
        field.setNumber(restricted, "InField", inner)
        field.setNumbers(restricted, volumes_key, sorted(sc_tags))
        field.setNumber(restricted, "IncludeBoundary", 1)
        fields.append(restricted)
    if h_edge is not None and dim == 3:
        # edge refinement: h_edge on the curves of the superconductor (a film's rims, a
        # polygon's corners), graded to h on both sides
        curves = sorted(_all_boundary(gmsh, 2, _all_boundary(gmsh, 3, sc_tags)))
        if curves:
            edge = field.add("Distance")
            field.setNumbers(edge, "CurvesList", curves)
            longest = max(gmsh.model.occ.getMass(1, t) for t in curves)
            field.setNumber(edge, "Sampling",
                            int(min(max(20, math.ceil(4 * longest / h_edge)), 20000)))
            fields.append(_graded_field(gmsh, edge, h_edge, h, grading))
    smallest = field.add("Min")
    field.setNumbers(smallest, "FieldsList", fields)
    field.setAsBackgroundMesh(smallest)


def _distance_field(gmsh, dim, tags, finest) -> int:
    """A field giving the distance to the curves (2D) / surfaces (3D) ``tags``.

    gmsh's Distance field samples each listed entity with ``Sampling`` points per parametric
    direction (Sampling² per surface) and keeps them all in a k-d tree. One Sampling for all
    entities, sized for the largest, made memory grow with the number of entities: the side
    walls of a 512-sided film (1024 faces of 12 nm × 50 nm) sampled like its 2 µm top face took
    0.8 GB. Each entity is sampled by its own extent instead — 4 points per ``finest`` along
    the longer of its longest bounding-box side and the square root of its area (curves: along
    its length; as before for the largest entity), at least 16 (20 in 2D), at most
    600 per direction (50000 along a curve); entities whose samplings lie within a factor of
    two share one Distance field (with the largest of their samplings), and a Min field
    combines them (the distance to a union is the smallest distance).
    """
    field = gmsh.model.mesh.field
    key, least, cap = ("CurvesList", 20, 50000) if dim == 2 else ("SurfacesList", 16, 600)
    groups: dict[int, list[tuple[int, int]]] = {}  # log2(sampling) -> [(sampling, tag)]
    for t in sorted(tags):
        if dim == 2:
            extent = gmsh.model.occ.getMass(1, t)
        else:
            box = np.array(gmsh.model.getBoundingBox(2, t))
            extent = max(float(np.max(box[3:] - box[:3])),
                         math.sqrt(gmsh.model.occ.getMass(2, t)))  # curved: more than the box
        need = min(max(least, math.ceil(4 * extent / finest)), cap)
        groups.setdefault(math.ceil(math.log2(need)), []).append((need, t))
    dists = []
    for _, group in sorted(groups.items()):
        dist = field.add("Distance")
        field.setNumbers(dist, key, [t for _, t in group])
        field.setNumber(dist, "Sampling", max(need for need, _ in group))
        dists.append(dist)
    if len(dists) == 1:
        return dists[0]
    nearest = field.add("Min")
    field.setNumbers(nearest, "FieldsList", dists)
    return nearest


def _write_and_load(gmsh, dim, groups, path, msh_version, length_unit, order=1) -> Domain:
    """Mesh, write atomically (or to a temporary file) and load with :func:`load_mesh`.

    ``order`` 2: second-order elements (gmsh ``setOrder(2)``: the mid-edge nodes are placed on
    the CAD curves and surfaces), read into ``Domain.curved``."""
    gmsh.option.setNumber("Mesh.MshFileVersion", msh_version)
    try:
        gmsh.model.mesh.generate(dim)
    except Exception as exc:
        raise MeshError(f"gmsh could not mesh the geometry: {exc}") from exc
    if order == 2:
        try:
            gmsh.model.mesh.setOrder(2)
        except Exception as exc:
            raise MeshError(f"gmsh could not make the mesh second-order: {exc}") from exc
    types, _, _ = gmsh.model.mesh.getElements(dim)
    if not len(types):
        raise MeshError("gmsh produced no elements (geometry too small for the sizes given?)")

    if path is None:
        with tempfile.TemporaryDirectory(prefix="mqm_fem_mesh_") as tmp:
            file = Path(tmp) / "mesh.msh"
            _gmsh_write(gmsh, file, file)
            domain = load_mesh(file, length_unit=length_unit, dim=dim)
        domain.source = None
    else:
        # a unique name next to the target (same file system for os.replace); gmsh creates it
        # with the usual permissions
        tmp = str(path.parent / f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:12]}.msh")
        try:
            _gmsh_write(gmsh, tmp, path)
            domain = load_mesh(tmp, length_unit=length_unit, dim=dim)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        domain.source = path
    _restore_overlapping_groups(domain, groups, dim)
    return domain


def _gmsh_write(gmsh, file, target) -> None:
    """``gmsh.write``, whose bare ``Exception("Unable to open file ...")`` becomes a
    :class:`MeshError` naming the file the user asked for (``target``)."""
    try:
        gmsh.write(str(file))
    except Exception as exc:
        raise MeshError(f"cannot write the mesh to {str(target)!r}: {exc} (is the directory "
                        "writable and the disk not full?)") from exc


def _restore_overlapping_groups(domain: Domain, groups: _Groups, dim: int) -> None:
    """Physical groups sharing entities (``outer`` and ``surface`` of a lone body, ``outer`` and
    the box faces): msh 4.1 stores one tag list per entity and a reader that keeps only the first
    tag loses the later groups. Rebuild such a group as the union of the groups that own its
    entities (they were created first), and order names as created."""
    for gdim, store in ((dim, domain.regions), (dim - 1, domain.boundaries)):
        items = [(name, set(tags)) for d, name, tags in groups.items if d == gdim]
        sets = dict(items)
        first: dict[int, str] = {}
        for name, tags in items:
            for t in tags:
                first.setdefault(t, name)
        for name, tags in items:
            if name in store:
                continue
            owners = {first[t] for t in tags}
            if not all(o in store and sets[o] <= tags for o in owners):
                raise MeshError(f"physical group {name!r} was lost when reading the mesh back")
            store[name] = np.unique(np.concatenate([np.asarray(store[o]) for o in owners]))
        ordered = {name: store[name] for name, _ in items if name in store}
        ordered.update({k: v for k, v in store.items() if k not in ordered})
        store.clear()
        store.update(ordered)


# ============================================================================================
# parameter checks
# ============================================================================================
def _positive(name, value) -> float:
    out = parse_number(value, name)
    if out <= 0:
        raise ParameterError(f"{name} must be positive, got {value!r}")
    return out


def _nonnegative(name, value) -> float:
    out = parse_number(value, name)
    if out < 0:
        raise ParameterError(f"{name} must be >= 0, got {value!r}")
    return out


def _box_half(box_size, dim, outer, name="box_size") -> np.ndarray:
    """Half extents of the outer box (or radius of the outer disk/sphere, repeated)."""
    if np.ndim(box_size) == 0:
        half = np.full(dim, _positive(name, box_size) / 2)
    else:
        sizes = list(np.ravel(np.asarray(box_size, dtype=object)))
        if len(sizes) != dim:
            raise ParameterError(f"{name} must be one number or {dim} numbers, got {box_size!r}")
        half = np.array([_positive(name, s) for s in sizes]) / 2
        if outer != "box" and not np.allclose(half, half[0]):
            raise ParameterError(f"{name}: an outer {outer} needs one number (its diameter), "
                                 f"got {box_size!r}")
    return half


#: the ``outer`` vacuum boundaries the in-box generators accept, per dimension
OUTER_SHAPES = {2: ("box", "disk"), 3: ("box", "sphere")}


def _outer_kind(outer, dim) -> str:
    valid = OUTER_SHAPES[dim]
    if outer not in valid:
        raise ParameterError(f"outer must be one of {', '.join(map(repr, valid))}, got {outer!r}")
    return outer


def _fits(points, half, outer, what, box_name="box_size"):
    """Check that points (n, dim) lie strictly inside the outer box / disk / sphere."""
    points = np.atleast_2d(points)
    if outer == "box":
        inside = np.all(np.abs(points) < half * (1 - 1e-9), axis=1)
    else:
        inside = np.linalg.norm(points, axis=1) < half[0] * (1 - 1e-9)
    if not inside.all():
        size = " x ".join(f"{2 * v:g}" for v in half) if outer == "box" else f"{2 * half[0]:g}"
        raise ParameterError(f"{box_name} too small: the outer {outer} (size {size}, centred at "
                             f"0) must contain {what} with a vacuum gap all around")


def _vertices(name, vertices) -> np.ndarray:
    """(n, 2) float array of a simple polygon's vertices (closing vertex dropped), CCW order."""
    try:
        pts = np.asarray(vertices, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a list of (x, y) vertices, "
                             f"got {vertices!r}") from None
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ParameterError(f"{name} must be a list of (x, y) vertices, got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ParameterError(f"{name}: vertices must be finite numbers")
    if len(pts) > 3 and np.allclose(pts[0], pts[-1]):
        pts = pts[:-1]
    if len(pts) < 3:
        raise ParameterError(f"{name} needs at least 3 vertices, got {len(pts)}")
    scale = float(np.ptp(pts, axis=0).max())
    step = np.linalg.norm(np.roll(pts, -1, axis=0) - pts, axis=1)
    if np.any(step <= 1e-12 * max(scale, 1e-300)):
        raise ParameterError(f"{name} has repeated consecutive vertices")
    area = _signed_area(pts)
    if abs(area) <= 1e-12 * scale**2:
        raise ParameterError(f"{name} has zero area")
    crossing = _first_crossing(pts, pts, same=True)
    if crossing is not None:
        i, j = crossing
        raise ParameterError(f"{name} is not a simple polygon: edges {i} and {j} cross")
    return pts if area > 0 else pts[::-1].copy()


def _signed_area(pts) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


#: segment pairs (or point-edge pairs) tested at once by the polygon checks below: their
#: temporaries take ~100 bytes per pair, so memory stays bounded for any number of sides
_PAIR_BLOCK = 1 << 18
#: consecutive edges (points) tested together against the bounding-box candidates
_RUN = 64


def _orient(a, b, c):
    """Twice the signed area of triangles (a, b, c); arrays (..., 2) broadcast."""
    return ((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
            - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))


def _segments_meet(p1, p2, q1, q2):
    """Closed segments p1p2 and q1q2 share a point (arrays (..., 2) broadcast): a proper
    crossing, or an end point on the other segment (touching or collinear overlap)."""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    meet = (((d1 > 0) != (d2 > 0)) & ((d3 > 0) != (d4 > 0))
            & (d1 != 0) & (d2 != 0) & (d3 != 0) & (d4 != 0))

    def on(d, a, b, c):  # c on segment ab, given d = orient(a, b, c)
        return ((d == 0) & (np.minimum(a[..., 0], b[..., 0]) <= c[..., 0])
                & (c[..., 0] <= np.maximum(a[..., 0], b[..., 0]))
                & (np.minimum(a[..., 1], b[..., 1]) <= c[..., 1])
                & (c[..., 1] <= np.maximum(a[..., 1], b[..., 1])))

    return meet | on(d1, q1, q2, p1) | on(d2, q1, q2, p2) | on(d3, p1, p2, q1) | on(d4, p1, p2, q2)


def _first_crossing(a, b, same=False):
    """The first pair (i, j), in row-major order, of edges a_i a_(i+1) of the closed polygon
    ``a`` (na, 2) and b_j b_(j+1) of ``b`` (nb, 2) that share a point, or None. ``same``: ``b``
    is ``a`` — only pairs j > i of non-adjacent edges count.

    Runs of consecutive edges of ``a`` are tested against the edges of ``b`` whose bounding
    boxes meet the run's bounding box (two segments that share a point do), at most
    :data:`_PAIR_BLOCK` pairs at a time: bounded memory, and about linear time for polygons
    whose consecutive edges stay close together (circles, outlines of devices)."""
    na = len(a)
    a2, b2 = np.roll(a, -1, axis=0), np.roll(b, -1, axis=0)
    (lo_bx, lo_by), (hi_bx, hi_by) = np.minimum(b, b2).T, np.maximum(b, b2).T
    for start in range(0, na, _RUN):
        i = np.arange(start, min(start + _RUN, na))
        lox, loy = np.minimum(a[i], a2[i]).min(axis=0)
        hix, hiy = np.maximum(a[i], a2[i]).max(axis=0)
        near = np.flatnonzero((lo_bx <= hix) & (hi_bx >= lox) & (lo_by <= hiy) & (hi_by >= loy))
        if same:
            near = near[near > i[0] + 1]
        best = None
        step = max(1, _PAIR_BLOCK // i.size)
        for first in range(0, near.size, step):
            j = near[first:first + step]
            hit = _segments_meet(a[i, None], a2[i, None], b[j][None], b2[j][None])
            if same:
                hit &= (j > i[:, None] + 1) & ~((i[:, None] == 0) & (j == na - 1))
            if hit.any():
                r, c = np.argwhere(hit)[0]
                best = min(best or (na, 0), (int(i[r]), int(j[c])))
        if best is not None:
            return best
    return None


def _points_inside(points, pts) -> np.ndarray:
    """Ray casting for points (m, 2) against the closed polygon ``pts`` (n, 2) (points on the
    boundary are caught separately by edge intersection). Runs of points are tested against
    the edges whose y-range meets theirs (the others do not cross their rays), at most
    :data:`_PAIR_BLOCK` point-edge pairs at a time."""
    points = np.atleast_2d(points)
    x1, y1 = pts[:, 0], pts[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    lo_y, hi_y = np.minimum(y1, y2), np.maximum(y1, y2)
    out = np.empty(len(points), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, len(points), _RUN):
            x = points[start:start + _RUN, 0:1]
            y = points[start:start + _RUN, 1:2]
            near = np.flatnonzero((hi_y >= y.min()) & (lo_y <= y.max()))
            count = np.zeros(len(x), dtype=np.int64)
            step = max(1, _PAIR_BLOCK // len(x))
            for first in range(0, near.size, step):
                e = near[first:first + step]
                spans = (y1[e] > y) != (y2[e] > y)
                left = x < x1[e] + (y - y1[e]) * (x2[e] - x1[e]) / (y2[e] - y1[e])
                count += np.count_nonzero(spans & left, axis=1)
            out[start:start + _RUN] = count % 2 == 1
    return out


def _inside_polygon(point, pts) -> bool:
    """Ray casting (points on the boundary are caught separately by edge intersection)."""
    return bool(_points_inside(np.asarray(point, dtype=float), pts)[0])


def _polygons_cross(a, b) -> bool:
    return _first_crossing(a, b) is not None


def _holes(holes, outline, name="holes") -> list[np.ndarray]:
    """Validate hole polygons: simple, strictly inside ``outline``, mutually disjoint. A single
    vertex list (e.g. from the CLI) is accepted as one hole."""
    if holes is None:
        return []
    holes = list(holes)
    if holes and _is_point(holes[0]):
        holes = [holes]  # one vertex list
    out = []
    for k, hole in enumerate(holes):
        pts = _vertices(f"{name}[{k}]", hole)
        if _polygons_cross(pts, outline) or not _points_inside(pts, outline).all():
            raise ParameterError(f"{name}[{k}] must lie strictly inside the polygon")
        for j, other in enumerate(out):
            if (_polygons_cross(pts, other) or _inside_polygon(pts[0], other)
                    or _inside_polygon(other[0], pts)):
                raise ParameterError(f"{name}[{k}] overlaps {name}[{j}]")
        out.append(pts)
    return out


# ============================================================================================
# OCC building blocks
# ============================================================================================
def _occ_polygon(gmsh, pts, z=0.0) -> int:
    occ = gmsh.model.occ
    points = [occ.addPoint(float(x), float(y), z) for x, y in pts]
    lines = [occ.addLine(points[i], points[(i + 1) % len(points)]) for i in range(len(points))]
    return occ.addPlaneSurface([occ.addCurveLoop(lines)])


def _occ_outer(gmsh, dim, half, outer) -> int:
    occ = gmsh.model.occ
    if dim == 2:
        if outer == "box":
            return occ.addRectangle(-half[0], -half[1], 0, 2 * half[0], 2 * half[1])
        return occ.addDisk(0, 0, 0, half[0], half[0])
    if outer == "box":
        return occ.addBox(*(-half), *(2 * half))
    return occ.addSphere(0, 0, 0, half[0])


def _fragment_in_box(gmsh, dim, bodies, half, outer):
    """Fragment the outer box with the bodies (each a list of dim-tags). Returns the
    per-body tags and the vacuum tags; overlapping bodies are refused."""
    occ = gmsh.model.occ
    box = _occ_outer(gmsh, dim, half, outer)
    tools = [dt for body in bodies for dt in body]
    _, out_map = occ.fragment([(dim, box)], tools)
    occ.synchronize()
    owners: dict[int, int] = {}
    per_body = []
    k = 1
    for b, body in enumerate(bodies):
        tags = set()
        for _ in body:
            tags |= {t for d, t in out_map[k] if d == dim}
            k += 1
        for t in tags:
            if owners.setdefault(t, b) != b:
                raise ParameterError(f"conductors {owners[t]} and {b} overlap; they must be "
                                     "disjoint (merge them into one polygon)")
        per_body.append(sorted(tags))
    used = set(owners)
    vacuum = sorted({t for d, t in out_map[0] if d == dim} - used)
    if not vacuum:
        raise ParameterError("box_size too small: no vacuum left around the conductors")
    return per_body, vacuum


def _sc_names(n: int) -> list[str]:
    return ["superconductor"] if n == 1 else [f"superconductor_{k}" for k in range(n)]


def _in_box_groups(gmsh, groups, dim, per_body, vacuum, parts_of_surface=None):
    """Regions superconductor(_k), vacuum; boundaries outer, surface. Returns (sc, surface).

    ``parts_of_surface(surface)`` may return extra (name, tags) boundary groups inside
    ``surface``; they are created before it (see :func:`_restore_overlapping_groups`)."""
    for name, tags in zip(_sc_names(len(per_body)), per_body, strict=True):
        groups.add(dim, name, tags)
    groups.add(dim, "vacuum", vacuum)
    sc = sorted(t for tags in per_body for t in tags)
    outer = _boundary(gmsh, dim, sc + vacuum)
    surface = _all_boundary(gmsh, dim, sc) - outer
    if _all_boundary(gmsh, dim, sc) & outer:
        raise ParameterError("box_size too small: a conductor touches the outer boundary")
    groups.add(dim - 1, "outer", outer)
    for name, tags in (parts_of_surface(surface) if parts_of_surface else []):
        groups.add(dim - 1, name, tags)
    groups.add(dim - 1, "surface", surface)
    return sc, surface


def _face_groups(gmsh, groups, dim, entities, names="xyz"):
    """Box faces xmin, xmax, ymin, ... among the given boundary entities (by bounding box)."""
    boxes = {t: np.array(gmsh.model.getBoundingBox(dim - 1, t)) for t in entities}
    lo = np.min([b[:3] for b in boxes.values()], axis=0)
    hi = np.max([b[3:] for b in boxes.values()], axis=0)
    tol = 1e-5 * float(np.max(hi - lo))  # OCC bounding boxes are slightly enlarged
    for axis in range(dim):
        for side, ref in (("min", lo[axis]), ("max", hi[axis])):
            tags = [t for t, b in boxes.items()
                    if abs(b[axis] - ref) < tol and abs(b[axis + 3] - ref) < tol]
            groups.add(dim - 1, f"{names[axis]}{side}", tags)


@dataclass(frozen=True)
class MeshEstimate:
    """What meshing a geometry will roughly cost, computed before gmsh meshes it.

    ``elements``: number of triangles (2D) or tetrahedra (3D); ``memory_bytes``: peak memory
    of the generator; ``seconds``: its wall time on one core. The element count is good to a
    factor of about 1.5 for the generators here (:func:`estimate_elements`), time and memory
    to a factor of a few.
    """

    elements: float
    memory_bytes: float
    seconds: float

    def describe(self) -> str:
        return (f"about {_round(self.elements)} elements, "
                f"{self.memory_bytes / 2**20:.0f} MiB and {_duration(self.seconds)} of meshing")


def _round(n: float) -> str:
    n = float(n)
    if n < 1e4:
        return f"{n:.0f}"
    return f"{n / 1e3:.0f}k" if n < 1e6 else f"{n / 1e6:.1f}M"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "< 1 s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


#: elements of a gmsh mesh per equilateral simplex of edge h filling the same measure, measured
#: with the options above on disks, rectangles, annuli, circles/spheres/tori/films in boxes
#: (700-500k elements): 2D 1.00-1.12; 3D 0.42 (thin film) - 0.79, typically 0.5-0.65 (gmsh's
#: tetrahedra are larger on average than the regular tetrahedron of edge h)
_DENSITY = {2: 1.05, 3: 0.6}
#: whole generator (gmsh meshing + optimisation, writing, reading back): peak memory per element
#: (bytes; measured 1.2-1.3 kB at 2e5-5e5 elements) and throughput (elements/s on one core of the
#: development machine: 2D 2e4, 3D 6.5e3-9e3 with the Netgen optimiser), plus a fixed start-up
_BYTES_PER_ELEMENT = {2: 1.5e3, 3: 1.5e3}
_ELEMENTS_PER_SECOND = {2: 2e4, 3: 7e3}
_STARTUP_SECONDS = 0.5


def estimate_elements(dim: int, total_measure: float, sc_measure: float,
                      surface_measure: float, sizes) -> MeshEstimate:
    """Rough size of the mesh for the size fields of :func:`_apply_sizes`.

    The number of elements is the integral of the element density over the domain,

        N ≈ κ_d ∫ dx / (c_d h(x)^d),   c_2 = √3/4, c_3 = 1/(6√2)  (equilateral simplex of
        edge h), κ_2 = 1.05, κ_3 = 0.6 (measured density of gmsh meshes),

    with the size h(x) a function of the distance s to the superconductor's surface: ``h`` in
    the vacuum and ``h_sc`` inside, refined to ``h_surface`` within ``surface_layer`` inside,
    and graded linearly (slope ``sizes[4]``, default 0.5) between the sizes. The measure at
    distance s is taken as that of a ball: inside with the same volume-to-surface ratio
    ρ = d·V_sc/S, dV = S (1 − s/ρ)^(d−1) ds; outside with the same surface, ρ_out =
    max(ρ, (S/|S^(d−1)|)^(1/(d−1))) (|S^(d−1)| = 2π, 4π), dV = S (1 + s/ρ_out)^(d−1) ds (both
    exact for a disk or a sphere; for a thin film ρ ≈ d_film, and growing the shells from it
    overestimated the vacuum elements 3–6×); capped at the vacuum and superconductor measures.
    ``total_measure``, ``sc_measure`` (area/volume) and
    ``surface_measure`` (length/area of the superconductor's surface) are in the same unit as
    the sizes. Memory and time scale linearly with N (1.5 kB per element; 2e4 triangles or 7e3
    tetrahedra per second, measured on one core including writing and reading the file back):
    rough, the machine and the geometry's complexity change them by a factor of a few.
    """
    h, h_sc, h_surface, layer = sizes[:4]
    grading = _grading(sizes)
    c = (math.sqrt(3) / 4 if dim == 2 else 1 / (6 * math.sqrt(2))) / _DENSITY[dim]
    vacuum = max(total_measure - sc_measure, 0.0)
    graded = surface_measure > 0 and (h_surface is not None or h_sc < h)
    if not graded:
        n = vacuum / (c * h**dim) + sc_measure / (c * h_sc**dim)
    else:
        finest = h_sc if h_surface is None else h_surface
        rho = dim * sc_measure / surface_measure if sc_measure > 0 else math.inf
        rho_out = max(rho, (surface_measure / (2 * math.pi * (dim - 1))) ** (1 / (dim - 1)))
        n = 0.0
        # vacuum side: size finest + g s up to h, on shells growing like a ball's
        width = (h - finest) / grading
        s = np.linspace(0.0, width, 401)
        shell = surface_measure * (1 + s / rho_out) ** (dim - 1)
        volume = _cumulative(shell, s)
        cut = np.minimum(volume, vacuum)
        density = 1 / (c * np.minimum(finest + grading * s, h) ** dim)
        n += float(np.sum(np.diff(cut) * 0.5 * (density[1:] + density[:-1])))
        n += max(vacuum - cut[-1], 0.0) / (c * h**dim)
        # superconductor side: h_surface within the layer, then graded to h_sc
        if h_surface is None:
            size = lambda s: np.minimum(finest + grading * s, h_sc)  # noqa: E731
            width = (h_sc - finest) / grading
        else:
            size = lambda s: np.minimum(  # noqa: E731
                h_surface + grading * np.maximum(s - layer, 0.0), h_sc)
            width = layer + (h_sc - h_surface) / grading
        s = np.linspace(0.0, min(width, rho), 401)
        shell = surface_measure * np.clip(1 - s / rho, 0.0, None) ** (dim - 1)
        cut = np.minimum(_cumulative(shell, s), sc_measure)
        density = 1 / (c * size(s) ** dim)
        n += float(np.sum(np.diff(cut) * 0.5 * (density[1:] + density[:-1])))
        n += max(sc_measure - cut[-1], 0.0) / (c * h_sc**dim)
    return MeshEstimate(elements=n, memory_bytes=n * _BYTES_PER_ELEMENT[dim],
                        seconds=_STARTUP_SECONDS + n / _ELEMENTS_PER_SECOND[dim])


def _cumulative(shell, s):
    return np.concatenate([[0.0], np.cumsum(np.diff(s) * 0.5 * (shell[1:] + shell[:-1]))])


def _estimate(gmsh, dim, sc, surface, sizes) -> MeshEstimate:
    """:func:`estimate_elements` from the measures of the built gmsh geometry."""
    total = sum(gmsh.model.occ.getMass(dim, t) for _, t in gmsh.model.getEntities(dim))
    inside = sum(gmsh.model.occ.getMass(dim, t) for t in sc)
    area = sum(gmsh.model.occ.getMass(dim - 1, t) for t in surface) if surface else 0.0
    estimate = estimate_elements(dim, total, inside, area, sizes)
    h_edge = sizes[5] if len(sizes) > 5 else None
    if h_edge is None or dim != 3:
        return estimate
    # edge refinement: a tube of size h_edge + g·s around the superconductor's curves holds
    # about ∫2πs ds/(c(h_edge + g s)³) ≈ π/(c g² h_edge) elements per unit length; half of it
    # (the tube overlaps the film and the surface refinement), measured on film rings
    curves = _all_boundary(gmsh, 2, _all_boundary(gmsh, 3, sc))
    length = sum(gmsh.model.occ.getMass(1, t) for t in curves)
    c = 1 / (6 * math.sqrt(2)) / _DENSITY[3]
    n = estimate.elements + length * math.pi / (2 * c * _grading(sizes) ** 2 * h_edge)
    return MeshEstimate(elements=n, memory_bytes=n * _BYTES_PER_ELEMENT[3],
                        seconds=_STARTUP_SECONDS + n / _ELEMENTS_PER_SECOND[3])


def _check_element_count(estimate: MeshEstimate) -> None:
    """Refuse sizes that would need more than :data:`MAX_ELEMENTS` elements, before gmsh
    tries."""
    if estimate.elements > MAX_ELEMENTS:
        raise ParameterError(
            f"h / h_sc / h_surface too small for this geometry: about {estimate.elements:.2g} "
            f"elements (limit {MAX_ELEMENTS:.0e}); use larger sizes")


def _run(name, dim, build, sizes, length_unit, path, msh_version, progress=None, *,
         order=1) -> Domain:
    """Shared pipeline: build (returns sc tags, surface tags), size fields, mesh, write, load.

    ``progress`` (callable or None) receives one-line messages: the size estimate
    (:func:`estimate_elements`) before gmsh meshes, and the timings after. ``order`` 2 writes
    second-order elements (:func:`_write_and_load`)."""
    parse_length(length_unit, "length_unit")
    if isinstance(order, bool) or order not in (1, 2):
        raise ParameterError(f"order: element (geometry) order must be 1 (straight-sided) or 2 "
                             f"(curved, isoparametric), got {order!r}")
    msh_version = parse_number(msh_version, "msh_version")
    if msh_version not in (2.2, 4.0, 4.1):
        raise ParameterError(f"msh_version must be 4.1, 4.0 or 2.2, got {msh_version!r}")
    report = reporter(progress, f"geometry.{name}")
    if path is not None:
        path = _check_path(path)
    with _gmsh_session(name) as gmsh:
        groups = _Groups(gmsh)
        sc, surface = build(gmsh, groups)
        estimate = _estimate(gmsh, dim, sc, surface, sizes)
        _check_element_count(estimate)
        background = _BACKGROUND.get()
        if background is not None:  # remeshing (mesh.adapt.remesh): sizes from the old mesh
            estimate = _background_estimate(background)
            _check_element_count(estimate)
        report(f"meshing {name} ({dim}D): {estimate.describe()} (estimate)")
        view = None
        if background is None:
            _apply_sizes(gmsh, dim, sc, surface, sizes)
        else:
            view = _apply_background(gmsh, dim, background)
        start = time.perf_counter()
        domain = _write_and_load(gmsh, dim, groups, path, msh_version, length_unit, order)
        if view is not None:
            gmsh.view.remove(view)
        report(f"meshed {domain.mesh.nelements} {'triangles' if dim == 2 else 'tetrahedra'} "
               f"in {time.perf_counter() - start:.1f} s")
        return domain


#: element sizes for a remesh: (old mesh, size per element), set by mesh.adapt.remesh; replaces
#: the generator's own size fields while set
_BACKGROUND: contextvars.ContextVar = contextvars.ContextVar("mqm_fem_background", default=None)


def _vertex_sizes(p, t, sizes) -> np.ndarray:
    """Per-vertex size: the smallest target size of the elements around the vertex."""
    out = np.full(p.shape[1], np.inf)
    for row in t:
        np.minimum.at(out, row, sizes)
    return out


def _background_estimate(background) -> MeshEstimate:
    """:func:`estimate_elements`' density rule applied to a size per old element."""
    mesh, sizes = background
    dim = mesh.dim()
    c = (math.sqrt(3) / 4 if dim == 2 else 1 / (6 * math.sqrt(2))) / _DENSITY[dim]
    n = float(np.sum(element_measures(mesh) / (c * sizes**dim)))
    return MeshEstimate(elements=n, memory_bytes=n * _BYTES_PER_ELEMENT[dim],
                        seconds=_STARTUP_SECONDS + n / _ELEMENTS_PER_SECOND[dim])


def _apply_background(gmsh, dim, background) -> int:
    """The background size field of a remesh: a list-based post-processing view of scalar
    simplices ("ST" triangles / "SS" tetrahedra) carrying the old mesh with the target size at
    its vertices (the smallest size of the elements around each vertex), used as a
    ``PostView`` field; points of the new geometry outside the old (polygonal) mesh take the
    closest value. Returns the view's tag (removed after meshing)."""
    mesh, sizes = background
    p, t = mesh.p, mesh.t
    values = _vertex_sizes(p, t, sizes)
    coords = np.vstack([p, np.zeros((3 - dim, p.shape[1]))])
    # per element: x of its vertices, then y, then z, then the values
    data = np.concatenate([coords[0][t].T, coords[1][t].T, coords[2][t].T, values[t].T], axis=1)
    view = gmsh.view.add("mqm_fem_sizes")
    gmsh.view.addListData(view, "ST" if dim == 2 else "SS", t.shape[1], data.ravel().tolist())
    field = gmsh.model.mesh.field
    f = field.add("PostView")
    field.setNumber(f, "ViewTag", view)
    field.setNumber(f, "UseClosest", 1)
    field.setAsBackgroundMesh(f)
    gmsh.option.setNumber("Mesh.MeshSizeMax", float(np.max(sizes)))
    return view


def _check_path(path) -> Path:
    """The output ``.msh`` path, refused before meshing if its directory cannot take a file
    (checked by creating and removing a probe file: permissions, read-only file systems)."""
    path = Path(path)
    if path.suffix.lower() != ".msh":
        raise ParameterError(f"path must end in .msh, got {str(path)!r}")
    if path.is_dir():
        raise ParameterError(f"path: {str(path)!r} is a directory, expected a .msh file name")
    if not path.parent.is_dir():
        raise ParameterError(f"path: directory {str(path.parent)!r} does not exist")
    probe = path.parent / f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:12]}.probe"
    try:
        probe.open("x").close()
        probe.unlink()
    except OSError as exc:
        raise ParameterError(f"path: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return path


_SIZE_PARAMETERS = """\
    h : float
        Maximum element size everywhere, in length_unit (required).
    h_sc : float, optional
        Element size inside the superconductor, in length_unit (default h).
    h_surface : float, optional
        Element size at the superconductor's surface and within surface_layer inside it, in
        length_unit; away from the layer the size grows by at most 0.5 per unit distance. To
        resolve a penetration depth λ: h_surface ≲ λ/3 (default: no surface refinement).
    surface_layer : float, optional
        Thickness of the h_surface layer inside the superconductor, in length_unit (default 0;
        ≈ 3λ for a London solve). Needs h_surface.
    length_unit : str or float
        What one coordinate unit is: 'um' (default), 'nm', '1 mm', or metres as a number.
    path : str or Path, optional
        Keep the mesh in this .msh file (written atomically); default: not kept.
    msh_version : float
        gmsh file format of path: 4.1 (default) or 2.2.
    progress : callable, optional
        Called with one-line progress messages (a size estimate before meshing: elements,
        memory, time; the meshing time after), e.g. print.
    order : {1, 2}
        Geometry order: 1 (default) straight-sided elements; 2 second-order elements whose
        mid-edge nodes lie on the curved boundaries (``Domain.curved``), used by the Lagrange
        solvers at order 2 (isoparametric P2: Schrödinger, nucleation, 2D London); the Nédélec
        solvers stay straight-sided.
"""


def _size_parameters(func):
    """Append the size/output parameters shared by every generator to the "Parameters"
    section of its docstring (which must end with that section)."""
    doc = inspect.cleandoc(func.__doc__ or "")
    if "\nParameters\n----------\n" not in doc:
        doc += "\n\nParameters\n----------\n"
    func.__doc__ = doc.rstrip("\n") + "\n" + inspect.cleandoc(
        "\n".join(line[4:] if line.startswith("    ") else line
                  for line in _SIZE_PARAMETERS.splitlines()))
    return _recorded(func)


def _recorded(func):
    """Wrap a generator so that its Domain remembers how it was made (:class:`Recipe`: the
    generator's name and every argument it received except ``path`` and ``progress``), which
    :func:`mqm_fem.mesh.adapt.remesh` replays with other element sizes."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def generator(*args, **kwargs):
        domain = func(*args, **kwargs)
        arguments = dict(signature.bind(*args, **kwargs).arguments)
        for skipped in ("path", "progress"):
            arguments.pop(skipped, None)
        domain.recipe = Recipe(func.__name__, arguments)
        return domain

    return generator


# ============================================================================================
# 2D generators
# ============================================================================================
@_size_parameters
def disk(radius: float, *, h: float, h_sc: float | None = None, h_surface: float | None = None,
         surface_layer: float | None = None, length_unit: LengthLike = "um",
         path: PathLike | None = None,
         msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """2D superconducting disk centred at 0.

    Region ``superconductor``; boundaries ``outer`` and ``surface`` (both the circle).
    Returns a :class:`~mqm_fem.mesh.Domain`.

    Parameters
    ----------
    radius : float
        Radius of the disk, in length_unit.
    """
    radius = _positive("radius", radius)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        s = gmsh.model.occ.addDisk(0, 0, 0, radius, radius)
        gmsh.model.occ.synchronize()
        curves = _boundary(gmsh, 2, [s])
        groups.add(2, "superconductor", [s])
        groups.add(1, "outer", curves)
        groups.add(1, "surface", curves)
        return [s], curves

    return _run("disk", 2, build, sizes, length_unit, path, msh_version, progress, order=order)


@_size_parameters
def annulus(inner_radius: float, outer_radius: float, *, h: float, h_sc: float | None = None,
            h_surface: float | None = None, surface_layer: float | None = None,
            length_unit: LengthLike = "um",
            path: PathLike | None = None, msh_version: float = 4.1,
            progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """2D superconducting ring (annulus) with its hole meshed as vacuum.

    Regions ``superconductor``, ``hole_0``; boundaries ``outer`` (outer circle),
    ``hole_0_boundary`` (inner circle), ``surface`` (both circles).

    Parameters
    ----------
    inner_radius : float
        Radius of the hole, in length_unit.
    outer_radius : float
        Outer radius of the ring, in length_unit (larger than inner_radius).
    """
    r_in = _positive("inner_radius", inner_radius)
    r_out = _positive("outer_radius", outer_radius)
    if r_in >= r_out:
        raise ParameterError(f"inner_radius ({r_in:g}) must be smaller than outer_radius "
                             f"({r_out:g})")
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        occ = gmsh.model.occ
        outer = occ.addDisk(0, 0, 0, r_out, r_out)
        inner = occ.addDisk(0, 0, 0, r_in, r_in)
        _, out_map = occ.fragment([(2, outer)], [(2, inner)])
        occ.synchronize()
        hole = sorted(t for d, t in out_map[1] if d == 2)
        ring = sorted({t for d, t in out_map[0] if d == 2} - set(hole))
        return _holed_groups(gmsh, groups, ring, [hole])

    return _run("annulus", 2, build, sizes, length_unit, path, msh_version, progress, order=order)


def _holed_groups(gmsh, groups, sc, holes):
    """Regions superconductor, hole_k; boundaries outer, hole_k_boundary, surface."""
    groups.add(2, "superconductor", sc)
    for k, hole in enumerate(holes):
        groups.add(2, f"hole_{k}", hole)
    outer = _boundary(gmsh, 2, sc + [t for hole in holes for t in hole])
    groups.add(1, "outer", outer)
    surface = set(outer)
    for k, hole in enumerate(holes):
        rim = _boundary(gmsh, 2, hole)
        groups.add(1, f"hole_{k}_boundary", rim)
        surface |= rim
    groups.add(1, "surface", surface)
    return sc, surface


@_size_parameters
def rectangle(width: float, height: float, *, h: float, h_sc: float | None = None,
              h_surface: float | None = None, surface_layer: float | None = None,
              length_unit: LengthLike = "um",
              path: PathLike | None = None, msh_version: float = 4.1,
              progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """2D superconducting rectangle ``width`` x ``height`` centred at 0.

    Region ``superconductor``; boundaries ``xmin``, ``xmax``, ``ymin``, ``ymax`` (the sides),
    ``outer`` and ``surface`` (all four sides).

    Parameters
    ----------
    width : float
        Side along x, in length_unit.
    height : float
        Side along y, in length_unit.
    """
    width = _positive("width", width)
    height = _positive("height", height)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        s = gmsh.model.occ.addRectangle(-width / 2, -height / 2, 0, width, height)
        gmsh.model.occ.synchronize()
        curves = _boundary(gmsh, 2, [s])
        groups.add(2, "superconductor", [s])
        _face_groups(gmsh, groups, 2, curves)
        groups.add(1, "outer", curves)
        groups.add(1, "surface", curves)
        return [s], curves

    return _run("rectangle", 2, build, sizes, length_unit, path, msh_version, progress, order=order)


@_size_parameters
def polygon(vertices, holes=None, *, h: float, h_sc: float | None = None,
            h_surface: float | None = None, surface_layer: float | None = None,
            length_unit: LengthLike = "um",
            path: PathLike | None = None, msh_version: float = 4.1,
            progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """2D superconducting polygon with polygonal holes meshed as vacuum.

    Regions ``superconductor``, ``hole_0``, ...; boundaries ``outer``, ``hole_k_boundary``,
    ``surface`` (outer and hole boundaries).

    Parameters
    ----------
    vertices : list of (x, y)
        Outline of the polygon in length_unit, either orientation, e.g. [(0, 0), (2, 0),
        (2, 1), (0, 1)] (command line: '0,0;2,0;2,1;0,1').
    holes : list of vertex lists, optional
        Polygonal holes in length_unit, each strictly inside the polygon and disjoint from the
        others; one vertex list is one hole (command line: '0.5,0.2;1.5,0.2;1,0.8').
    """
    outline = _vertices("vertices", vertices)
    hole_pts = _holes(holes, outline)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        occ = gmsh.model.occ
        body = _occ_polygon(gmsh, outline)
        hole_tags = [_occ_polygon(gmsh, pts) for pts in hole_pts]
        if hole_tags:
            _, out_map = occ.fragment([(2, body)], [(2, t) for t in hole_tags])
            holes_ = [sorted(t for d, t in m if d == 2) for m in out_map[1:]]
            inside = {t for hole in holes_ for t in hole}
            sc = sorted({t for d, t in out_map[0] if d == 2} - inside)
        else:
            holes_, sc = [], [body]
        occ.synchronize()
        return _holed_groups(gmsh, groups, sc, holes_)

    return _run("polygon", 2, build, sizes, length_unit, path, msh_version, progress, order=order)


def _is_scalar(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_point(value) -> bool:
    """(x, y) with two real numbers."""
    return (not isinstance(value, (str, bytes, dict)) and hasattr(value, "__len__")
            and len(value) == 2 and all(_is_scalar(v) for v in value))


def _conductor(k, item):
    """('circle', center, radius) or ('polygon', vertices) from a user conductor spec."""
    if isinstance(item, dict):
        if "radius" in item:
            return _conductor(k, (item.get("center", (0.0, 0.0)), item["radius"]))
        if "vertices" in item:
            return _conductor(k, item["vertices"])
        raise ParameterError(f"conductors[{k}]: a dict needs 'radius' (+'center') or 'vertices'")
    try:
        seq = list(item)
    except TypeError:
        raise ParameterError(f"conductors[{k}] must be (center, radius) or a vertex list, "
                             f"got {item!r}") from None
    if len(seq) == 2 and _is_scalar(seq[1]) and not _is_scalar(seq[0]):
        center = np.array([parse_number(c, f"conductors[{k}] center") for c in seq[0]])
        if center.shape != (2,):
            raise ParameterError(f"conductors[{k}]: center must be (x, y), got {seq[0]!r}")
        return ("circle", center, _positive(f"conductors[{k}] radius", seq[1]))
    return ("polygon", _vertices(f"conductors[{k}]", seq))


@_size_parameters
def cross_section_in_box(conductors, box_size, *, outer: str = "box", h: float,
                         h_sc: float | None = None, h_surface: float | None = None,
                         surface_layer: float | None = None, length_unit: LengthLike = "um",
                         path: PathLike | None = None,
                         msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """2D cross-section: conductors (circles, polygons) in a vacuum box or disk.

    One conductor is named ``superconductor``, several ``superconductor_0``,
    ``superconductor_1``, ... in order; the rest is ``vacuum``. Boundaries ``outer`` and
    ``surface`` (all conductor boundaries).

    Parameters
    ----------
    conductors : list
        Disjoint conductors inside the box, in length_unit: ``((cx, cy), radius)`` circles or
        ``[(x, y), ...]`` polygons (command line: one polygon '0,0;1,0;1,1').
    box_size : float or (lx, ly)
        Side of the square vacuum box centred at 0 (or its two sides), or the diameter of the
        outer disk when outer is 'disk', in length_unit.
    outer : {'box', 'disk'}
        Shape of the outer vacuum boundary (default 'box').
    """
    outer = _outer_kind(outer, 2)
    if conductors is None or len(conductors) == 0:
        raise ParameterError("conductors must list at least one circle or polygon")
    conductors = list(conductors)
    if len(conductors) == 2 and _is_scalar(conductors[1]) and _is_point(conductors[0]):
        conductors = [conductors]  # one circle ((cx, cy), r)
    elif len(conductors) >= 3 and all(_is_point(c) for c in conductors):
        conductors = [conductors]  # one polygon [(x, y), ...], e.g. from the CLI
    specs = [_conductor(k, c) for k, c in enumerate(conductors)]
    half = _box_half(box_size, 2, outer)
    for k, spec in enumerate(specs):
        if spec[0] == "circle":
            c, r = spec[1], spec[2]
            if outer == "box":
                pts = np.array([c + [r, 0], c - [r, 0], c + [0, r], c - [0, r]])
            else:
                pts = (c * (1 + r / max(np.linalg.norm(c), 1e-300)))[None] if np.any(c) \
                    else np.array([[r, 0.0]])
        else:
            pts = spec[1]
        _fits(pts, half, outer, f"conductors[{k}]")
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        occ = gmsh.model.occ
        bodies = []
        for spec in specs:
            if spec[0] == "circle":
                (cx, cy), r = spec[1], spec[2]
                bodies.append([(2, occ.addDisk(cx, cy, 0, r, r))])
            else:
                bodies.append([(2, _occ_polygon(gmsh, spec[1]))])
        per_body, vacuum = _fragment_in_box(gmsh, 2, bodies, half, outer)
        return _in_box_groups(gmsh, groups, 2, per_body, vacuum)

    return _run("cross_section_in_box", 2, build, sizes, length_unit, path, msh_version, progress,
                order=order)


@_size_parameters
def circle_in_box(radius: float, box_size: float, *, outer: str = "box", h: float,
                  h_sc: float | None = None, h_surface: float | None = None,
                  surface_layer: float | None = None, length_unit: LengthLike = "um",
                  path: PathLike | None = None,
                  msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """2D superconducting disk at the centre of a vacuum box or disk.

    Regions ``superconductor``, ``vacuum``; boundaries ``outer``, ``surface``.

    Parameters
    ----------
    radius : float
        Radius of the superconducting disk, in length_unit.
    box_size : float
        Side of the square vacuum box, or the diameter of the outer disk when outer is
        'disk', in length_unit.
    outer : {'box', 'disk'}
        Shape of the outer vacuum boundary (default 'box').
    """
    radius = _positive("radius", radius)
    return cross_section_in_box([((0.0, 0.0), radius)], box_size, outer=outer, h=h, h_sc=h_sc,
                                h_surface=h_surface, surface_layer=surface_layer,
                                length_unit=length_unit, path=path, msh_version=msh_version,
                                progress=progress, order=order)


# ============================================================================================
# 3D generators
# ============================================================================================
@_size_parameters
def box(lx: float, ly: float, lz: float, *, h: float, h_sc: float | None = None,
        h_surface: float | None = None, surface_layer: float | None = None,
        length_unit: LengthLike = "um",
        path: PathLike | None = None, msh_version: float = 4.1,
        progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D superconducting box ``lx`` x ``ly`` x ``lz`` centred at 0.

    Region ``superconductor``; boundaries ``xmin`` ... ``zmax`` (faces), ``outer``, ``surface``.

    Parameters
    ----------
    lx : float
        Side along x, in length_unit.
    ly : float
        Side along y, in length_unit.
    lz : float
        Side along z, in length_unit.
    """
    lx, ly, lz = (_positive(n, v) for n, v in (("lx", lx), ("ly", ly), ("lz", lz)))
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        v = gmsh.model.occ.addBox(-lx / 2, -ly / 2, -lz / 2, lx, ly, lz)
        gmsh.model.occ.synchronize()
        faces = _boundary(gmsh, 3, [v])
        groups.add(3, "superconductor", [v])
        _face_groups(gmsh, groups, 3, faces)
        groups.add(2, "outer", faces)
        groups.add(2, "surface", faces)
        return [v], faces

    return _run("box", 3, build, sizes, length_unit, path, msh_version, progress, order=order)


@_size_parameters
def cylinder(radius: float, length: float, *, h: float, h_sc: float | None = None,
             h_surface: float | None = None, surface_layer: float | None = None,
             length_unit: LengthLike = "um",
             path: PathLike | None = None, msh_version: float = 4.1,
             progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D superconducting cylinder along z, centred at 0.

    Region ``superconductor``; boundaries ``zmin``, ``zmax`` (end faces), ``side``, ``outer``
    and ``surface`` (the whole boundary).

    Parameters
    ----------
    radius : float
        Radius of the cylinder, in length_unit.
    length : float
        Length along z, in length_unit.
    """
    radius = _positive("radius", radius)
    length = _positive("length", length)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)

    def build(gmsh, groups):
        v = gmsh.model.occ.addCylinder(0, 0, -length / 2, 0, 0, length, radius)
        gmsh.model.occ.synchronize()
        faces = _boundary(gmsh, 3, [v])
        ends = {}
        for t in faces:
            b = gmsh.model.getBoundingBox(2, t)
            if abs(b[5] - b[2]) < 1e-5 * max(length, radius):
                ends.setdefault("zmin" if b[2] < 0 else "zmax", []).append(t)
        groups.add(3, "superconductor", [v])
        groups.add(2, "zmin", ends.get("zmin", []))
        groups.add(2, "zmax", ends.get("zmax", []))
        groups.add(2, "side", faces - set(ends["zmin"]) - set(ends["zmax"]))
        groups.add(2, "outer", faces)
        groups.add(2, "surface", faces)
        return [v], faces

    return _run("cylinder", 3, build, sizes, length_unit, path, msh_version, progress, order=order)


def _body_in_box(name, make, fit_points, box_size, outer, sizes, length_unit, path, msh_version,
                 progress, order=1):
    outer = _outer_kind(outer, 3)
    half = _box_half(box_size, 3, outer)
    _fits(fit_points, half, outer, "the superconductor")

    def build(gmsh, groups):
        per_body, vacuum = _fragment_in_box(gmsh, 3, [make(gmsh)], half, outer)
        return _in_box_groups(gmsh, groups, 3, per_body, vacuum)

    return _run(name, 3, build, sizes, length_unit, path, msh_version, progress, order=order)


@_size_parameters
def sphere_in_box(radius: float, box_size: float, *, outer: str = "box", h: float,
                  h_sc: float | None = None, h_surface: float | None = None,
                  surface_layer: float | None = None, length_unit: LengthLike = "um",
                  path: PathLike | None = None,
                  msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D superconducting sphere centred in a vacuum box or sphere.

    Regions ``superconductor``, ``vacuum``; boundaries ``outer``, ``surface``.

    Parameters
    ----------
    radius : float
        Radius of the superconducting sphere, in length_unit.
    box_size : float or (lx, ly, lz)
        Side of the vacuum cube (or its three sides), or the diameter of the outer sphere when
        outer is 'sphere', in length_unit.
    outer : {'box', 'sphere'}
        Shape of the outer vacuum boundary (default 'box'; 'sphere' allows the far-field image
        correction of the London moment).
    """
    radius = _positive("radius", radius)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)
    pts = radius * np.vstack([np.eye(3), -np.eye(3)])
    return _body_in_box("sphere_in_box",
                        lambda gmsh: [(3, gmsh.model.occ.addSphere(0, 0, 0, radius))],
                        pts, box_size, outer, sizes, length_unit, path, msh_version,
                        progress, order=order)


@_size_parameters
def cube_in_box(side: float, box_size: float, *, outer: str = "box", h: float,
                h_sc: float | None = None, h_surface: float | None = None,
                surface_layer: float | None = None, length_unit: LengthLike = "um",
                path: PathLike | None = None,
                msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D superconducting cube centred in a vacuum box or sphere.

    Regions ``superconductor``, ``vacuum``; boundaries ``outer``, ``surface``.

    Parameters
    ----------
    side : float
        Side of the superconducting cube, in length_unit.
    box_size : float or (lx, ly, lz)
        Side of the vacuum cube (or its three sides), or the diameter of the outer sphere when
        outer is 'sphere', in length_unit.
    outer : {'box', 'sphere'}
        Shape of the outer vacuum boundary (default 'box').
    """
    side = _positive("side", side)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)
    corners = side / 2 * np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)])
    return _body_in_box("cube_in_box",
                        lambda gmsh: [(3, gmsh.model.occ.addBox(*(3 * [-side / 2]),
                                                                side, side, side))],
                        corners, box_size, outer, sizes, length_unit, path, msh_version,
                        progress, order=order)


@_size_parameters
def cylinder_in_box(radius: float, length: float, box_size: float, *, outer: str = "box",
                    h: float, h_sc: float | None = None, h_surface: float | None = None,
                    surface_layer: float | None = None, length_unit: LengthLike = "um",
                    path: PathLike | None = None,
                    msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D superconducting cylinder along z centred in a vacuum box or sphere.

    Regions ``superconductor``, ``vacuum``; boundaries ``outer``, ``surface``.

    Parameters
    ----------
    radius : float
        Radius of the cylinder, in length_unit.
    length : float
        Length of the cylinder along z, in length_unit.
    box_size : float or (lx, ly, lz)
        Side of the vacuum cube (or its three sides), or the diameter of the outer sphere when
        outer is 'sphere', in length_unit.
    outer : {'box', 'sphere'}
        Shape of the outer vacuum boundary (default 'box').
    """
    radius = _positive("radius", radius)
    length = _positive("length", length)
    sizes = _sizes(h, h_sc, h_surface, surface_layer)
    ring = [(radius * math.cos(a), radius * math.sin(a), z)
            for a in np.linspace(0, 2 * math.pi, 16, endpoint=False) for z in (-length / 2,
                                                                               length / 2)]
    return _body_in_box("cylinder_in_box",
                        lambda gmsh: [(3, gmsh.model.occ.addCylinder(0, 0, -length / 2, 0, 0,
                                                                     length, radius))],
                        np.array(ring), box_size, outer, sizes, length_unit, path, msh_version,
                        progress, order=order)


@_size_parameters
def torus_in_box(major_radius: float, minor_radius: float, box_size: float, *,
                 outer: str = "box", h: float, h_sc: float | None = None,
                 h_surface: float | None = None, surface_layer: float | None = None,
                 grading: float | None = None, length_unit: LengthLike = "um",
                 path: PathLike | None = None, msh_version: float = 4.1,
                 progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D superconducting ring (torus about the z axis) in a vacuum box or sphere.

    Regions ``superconductor``, ``vacuum``; boundaries ``outer``, ``surface``. The ring's hole
    is ``hole_0`` (axis: the z axis, :func:`recorded_holes`): the London A-formulation takes
    ``fluxoids={"hole_0": n}``.

    Parameters
    ----------
    major_radius : float
        Distance from the z axis to the centre of the ring's cross-section, in length_unit.
    minor_radius : float
        Radius of the ring's circular cross-section, in length_unit (smaller than
        major_radius).
    box_size : float or (lx, ly, lz)
        Side of the vacuum cube (or its three sides), or the diameter of the outer sphere when
        outer is 'sphere', in length_unit.
    outer : {'box', 'sphere'}
        Shape of the outer vacuum boundary (default 'box').
    grading : float, optional
        Growth of the element size per unit distance away from the ring's surface (default
        0.5). The field of a current loop varies on the scale of the distance from the wire, so
        the vacuum's relative resolution is about this rate: ≈ 0.2 for an inductance to
        0.5 %.
    """
    big = _positive("major_radius", major_radius)
    small = _positive("minor_radius", minor_radius)
    if small >= big:
        raise ParameterError(f"minor_radius ({small:g}) must be smaller than major_radius "
                             f"({big:g})")
    sizes = _sizes(h, h_sc, h_surface, surface_layer, grading)
    pts = [((big + small) * math.cos(a), (big + small) * math.sin(a), 0.0)
           for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
    pts += [(big, 0.0, small), (big, 0.0, -small)]
    return _body_in_box("torus_in_box",
                        lambda gmsh: [(3, gmsh.model.occ.addTorus(0, 0, 0, big, small))],
                        np.array(pts), box_size, outer, sizes, length_unit, path, msh_version,
                        progress, order=order)


def recorded_holes(domain: Domain) -> dict:
    """Holes a generator knows without wall facets: hole name -> ((x, y, z), (dx, dy, dz)), a
    point in the hole and its axis in mesh units, from the domain's :class:`Recipe`. A torus
    (:func:`torus_in_box`) has one hole, ``hole_0``, around the z axis; the holes of
    :func:`film_in_box` are found from their wall groups ``hole_k_boundary`` instead. Empty
    for a domain read from a file (give the axis with the London option ``hole_axes``)."""
    recipe = getattr(domain, "recipe", None)
    if recipe is not None and recipe.generator == "torus_in_box":
        return {"hole_0": ((0.0, 0.0, 0.0), (0.0, 0.0, 1.0))}
    return {}


#: sides of the polygons that stand for circles in the geometry checks of :func:`film_in_box`
_CIRCLE_CHECK_SIDES = 64


def _circle_polygon(cx, cy, r, enclose: bool) -> np.ndarray:
    """A polygon standing for the circle in containment/overlap checks: circumscribed
    (``enclose``: it contains the circle) or inscribed."""
    n = _CIRCLE_CHECK_SIDES
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rr = r / math.cos(math.pi / n) if enclose else r
    return np.column_stack([cx + rr * np.cos(a), cy + rr * np.sin(a)])


def _film_outline(vertices):
    """``vertices``: a polygon, or one number R (a circle of radius R about the origin).
    Returns (polygon for the checks (inscribed for a circle), circle (0, 0, R) or None)."""
    if _is_scalar(vertices):
        radius = _positive("vertices (the film's radius)", vertices)
        return _circle_polygon(0.0, 0.0, radius, enclose=False), (0.0, 0.0, radius)
    return _vertices("vertices", vertices), None


def _film_holes(holes, outline):
    """Holes of :func:`film_in_box`: each a vertex list, a radius r (a circle about the origin)
    or (x, y, r) (a circle). Returns [(polygon for the checks, circle or None)]; a circle's
    polygon is circumscribed so the checks err on the safe side."""
    if holes is None:
        return []
    if _is_scalar(holes) or (len(holes) == 3 and all(map(_is_scalar, holes))):
        holes = [holes]  # one circle
    else:
        holes = list(holes)
        if holes and _is_point(holes[0]):
            holes = [holes]  # one vertex list
    out = []
    for k, hole in enumerate(holes):
        name = f"holes[{k}]"
        circle = None
        if _is_scalar(hole) or (len(hole) == 3 and all(map(_is_scalar, hole))):
            cx, cy, r = (0.0, 0.0, hole) if _is_scalar(hole) else hole
            r = _positive(f"{name} (radius)", r)
            cx, cy = float(cx), float(cy)
            if not (np.isfinite(cx) and np.isfinite(cy)):
                raise ParameterError(f"{name}: the centre must be finite, got ({cx}, {cy})")
            circle, pts = (cx, cy, r), _circle_polygon(cx, cy, r, enclose=True)
        else:
            pts = _vertices(name, hole)
        if _polygons_cross(pts, outline) or not all(_inside_polygon(p, outline) for p in pts):
            raise ParameterError(f"{name} must lie strictly inside the film's outline")
        for j, (other, _) in enumerate(out):
            if (_polygons_cross(pts, other) or _inside_polygon(pts[0], other)
                    or _inside_polygon(other[0], pts)):
                raise ParameterError(f"{name} overlaps holes[{j}]")
        out.append((pts, circle))
    return out


@_size_parameters
def film_in_box(vertices, thickness: float, box_size, holes=None, *, outer: str = "box",
                h: float, h_sc: float | None = None, h_surface: float | None = None,
                surface_layer: float | None = None, h_edge: float | None = None,
                grading: float | None = None, length_unit: LengthLike = "um",
                path: PathLike | None = None,
                msh_version: float = 4.1, progress: ProgressLike = None,
        order: int = 1) -> Domain:
    """3D thin film (polygon or disk with holes, extruded along z) in a vacuum box or sphere.

    The film spans ``-thickness/2 < z < thickness/2``. Regions ``superconductor``, ``vacuum``
    (the holes are part of it); boundaries ``outer``, ``surface``, and ``hole_k_boundary`` (the
    walls of hole k; the London A-formulation takes ``fluxoids={"hole_k": n}``). Circles are
    true circles (OpenCASCADE disks), not polygons.

    The error of a solid film is decided at its rim, where the current crowds (sheet current
    ∝ distance^−1/2): ``h_edge`` refines towards the film's edges (its rims and corners) and
    ``grading`` sets how fast elements grow away from the refined surfaces and edges. A
    spherical outer boundary (outer='sphere') lets the London solver remove the image field
    (far_field='image').

    Parameters
    ----------
    vertices : list of (x, y) or float
        Outline of the film in the xy plane, in length_unit, either orientation (command line:
        '0,0;2,0;2,1;0,1'); or one number R: a disk of radius R about the origin.
    thickness : float
        Thickness of the film along z, in length_unit.
    box_size : float or (lx, ly, lz)
        Side of the vacuum cube (or its three sides), or the diameter of the outer sphere when
        outer is 'sphere', in length_unit.
    holes : list, optional
        Holes through the film in length_unit, each strictly inside the outline and disjoint
        from the others: a vertex list (a polygon), a number r (a circle of radius r about the
        origin) or (x, y, r) (a circle; command line: '0,0,0.5'). A single vertex list or circle
        is one hole.
    outer : {'box', 'sphere'}
        Shape of the outer vacuum boundary (default 'box').
    h_edge : float, optional
        Element size at the film's edges (the curves bounding it: rims of the outline and of
        the holes, polygon corners), in length_unit, growing by ``grading`` per unit distance;
        default: no edge refinement. For a London film of thickness d ≈ λ: about d/5.
    grading : float, optional
        Growth of the element size per unit distance away from the refined surface and edges
        (default 0.5; 0.2–0.3 for accurate fields and inductances in the vacuum).
    """
    outline, outline_circle = _film_outline(vertices)
    hole_items = _film_holes(holes, outline)
    thickness = _positive("thickness", thickness)
    outer = _outer_kind(outer, 3)
    half = _box_half(box_size, 3, outer)
    t2 = thickness / 2
    rim = outline if outline_circle is None else _circle_polygon(*outline_circle, enclose=True)
    corners = np.array([(x, y, z) for x, y in rim for z in (-t2, t2)])
    _fits(corners, half, outer, "the film")
    sizes = _sizes(h, h_sc, h_surface, surface_layer, grading, h_edge)

    def shape(gmsh, pts, circle):
        if circle is None:
            return _occ_polygon(gmsh, pts, z=-t2)
        cx, cy, r = circle
        return gmsh.model.occ.addDisk(cx, cy, -t2, r, r)

    def build(gmsh, groups):
        occ = gmsh.model.occ
        plate = shape(gmsh, outline, outline_circle)
        if hole_items:
            cutters = [(2, shape(gmsh, pts, circle)) for pts, circle in hole_items]
            cut, _ = occ.cut([(2, plate)], cutters)
            base = [dt for dt in cut if dt[0] == 2]
        else:
            base = [(2, plate)]
        film = [dt for dt in occ.extrude(base, 0, 0, thickness) if dt[0] == 3]
        per_body, vacuum = _fragment_in_box(gmsh, 3, [film], half, outer)

        def hole_walls(surface):
            tol = 1e-5 * float(np.ptp(rim, axis=0).max())
            boxes = {t: np.array(gmsh.model.getBoundingBox(2, t)) for t in surface}
            for k, (pts, _) in enumerate(hole_items):
                lo, hi = pts.min(axis=0) - tol, pts.max(axis=0) + tol
                walls = [t for t, b in boxes.items() if b[5] - b[2] > 0.5 * thickness
                         and np.all(b[:2] >= lo) and np.all(b[3:5] <= hi)]
                yield f"hole_{k}_boundary", walls

        return _in_box_groups(gmsh, groups, 3, per_body, vacuum, hole_walls)

    return _run("film_in_box", 3, build, sizes, length_unit, path, msh_version, progress,
                order=order)


#: CLI kind name -> generator (``mqm-fem mesh KIND``)
GEOMETRIES = {
    "disk": disk,
    "annulus": annulus,
    "rectangle": rectangle,
    "polygon": polygon,
    "circle-in-box": circle_in_box,
    "cross-section-in-box": cross_section_in_box,
    "box": box,
    "cylinder": cylinder,
    "sphere-in-box": sphere_in_box,
    "cube-in-box": cube_in_box,
    "cylinder-in-box": cylinder_in_box,
    "torus-in-box": torus_in_box,
    "film-in-box": film_in_box,
}

#: CLI kind name -> dimension of the mesh it makes
GEOMETRY_DIMENSION = {kind: 2 if kind in ("disk", "annulus", "rectangle", "polygon",
                                          "circle-in-box", "cross-section-in-box") else 3
                      for kind in GEOMETRIES}

# thin films carried as sheets (mqm_fem.mesh.films; imported last: it builds on the helpers above)
from .films import film_disk, film_ring  # noqa: E402

GEOMETRIES.update({"film-disk": film_disk, "film-ring": film_ring})
GEOMETRY_DIMENSION.update({"film-disk": 3, "film-ring": 3})
