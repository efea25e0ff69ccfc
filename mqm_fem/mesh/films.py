"""Thin-film devices: a description (layers, films with holes) and its 3D mesh for the sheet
formulation (:mod:`mqm_fem.london.sheet`, docs/theory.md §4a).

A :class:`Device` holds :class:`Layer` s (a name, a height z and the film material: λ and d,
or the Pearl length Λ directly) and :class:`FilmShape` s (a name, the layer, an outline and
holes, each a polygon — a list of (x, y) — or a :class:`Circle`, which gmsh's OpenCASCADE
kernel keeps a true circle: its mesh vertices lie on it). :meth:`Device.mesh` embeds the film
surfaces (OCC fragment) in a vacuum ball and meshes it with tetrahedra whose faces include the
film triangles:

* regions: ``vacuum`` (the ball); boundaries: one facet group per film (``film_<name>``, or
  the name itself when it starts with ``film``/``sheet``), ``outer`` (the sphere, so the
  sheet formulation's image correction applies);
* sizes (in ``length_unit``): ``h_edge`` at the film edges (outer edges and hole rims),
  growing by ``grading`` per unit distance to ``h_film`` on the film, and from the film to
  ``h_far`` in the vacuum (gmsh ``Distance`` + ``Threshold`` fields, combined by ``Min``);
  ``edge_layer``: a band of that width along the edges kept at ``h_edge``.

A film's holes are found again by the sheet formulation as the interior boundary loops of its
triangles and named ``<film>_hole_<k>`` in the order of their centroids (x, then y, then z);
:meth:`Device.hole_names` lists those names for the device.

The CLI kinds ``film-disk`` and ``film-ring`` (``mqm-fem mesh film-disk --radius 1 ...``) are
:func:`film_disk` and :func:`film_ring`; a user's own gmsh file with a 2D physical group named
``film*`` inside a 3D mesh works as well (:func:`mqm_fem.load_mesh`).
"""

from __future__ import annotations

import itertools
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from ..errors import MeshError, ParameterError
from ..progress import ProgressLike, reporter
from ..units import LengthLike, PathLike, parse_length
from .domain import Domain
from .geometry import (
    _check_path,
    _gmsh_session,
    _graded_field,
    _Groups,
    _holes,
    _inside_polygon,
    _occ_polygon,
    _polygons_cross,
    _positive,
    _recorded,
    _vertices,
    _write_and_load,
)

__all__ = ["Circle", "Device", "FilmShape", "Layer", "film_disk", "film_ring"]

#: default growth of the element size per unit distance from the film edges and surfaces
GRADING = 0.3


@dataclass(frozen=True)
class Circle:
    """A circle of ``radius`` about ``center`` (x, y), in the device's length unit."""

    radius: float
    center: tuple = (0.0, 0.0)

    def polygon(self, n: int = 64) -> np.ndarray:
        """An inscribed n-gon (for the containment checks only; gmsh meshes the circle)."""
        phi = 2 * np.pi * np.arange(n) / n
        return np.column_stack([self.center[0] + self.radius * np.cos(phi),
                                self.center[1] + self.radius * np.sin(phi)])


@dataclass(frozen=True)
class Layer:
    """A film layer at height ``z``: the material by ``penetration_depth`` λ and
    ``thickness`` d (lengths with units or metres), or by the Pearl length ``pearl_length`` Λ
    directly (passed on as the sheet formulation's ``pearl_length`` option by
    :meth:`Device.options`, so every pearl model gives exactly that Λ)."""

    name: str
    z: float = 0.0
    penetration_depth: LengthLike | None = None
    thickness: LengthLike | None = None
    pearl_length: LengthLike | None = None

    def material(self) -> tuple[float, float | None]:
        """(λ, d) in metres; (Λ, None) for a layer given by its Pearl length."""
        if self.pearl_length is not None:
            if self.penetration_depth is not None or self.thickness is not None:
                raise ParameterError(f"layer {self.name!r}: give pearl_length or "
                                     "(penetration_depth, thickness), not both")
            return parse_length(self.pearl_length, f"layer {self.name!r}: pearl_length"), None
        if self.penetration_depth is None or self.thickness is None:
            raise ParameterError(f"layer {self.name!r}: needs penetration_depth and thickness "
                                 "(e.g. '50 nm', '25 nm'), or pearl_length")
        return (parse_length(self.penetration_depth, f"layer {self.name!r}: penetration_depth"),
                parse_length(self.thickness, f"layer {self.name!r}: thickness"))


@dataclass(frozen=True)
class FilmShape:
    """A film in ``layer``: ``outline`` and ``holes``, each a polygon (list of (x, y)) or a
    :class:`Circle`, in the device's length unit."""

    name: str
    layer: str
    outline: object
    holes: tuple = ()

    @property
    def group(self) -> str:
        """Its physical-group name: ``name`` if it starts with film/sheet, else film_<name>."""
        return self.name if self.name.lower().startswith(("film", "sheet")) else \
            f"film_{self.name}"


@dataclass
class Device:
    """Layers and films of a thin-film device (lengths in ``length_unit``)."""

    layers: list
    films: list
    length_unit: LengthLike = "um"

    def __post_init__(self):
        self.geometry()  # a bad shape is refused here, not minutes later at mesh()

    def geometry(self) -> tuple[list, list, list]:
        """(outlines as (n, 2) arrays, hole tuples, layer heights) of the films, after checking
        that there are films with unique names, each in a known layer, with valid outlines,
        holes inside them, and no two films of one plane overlapping."""
        if not self.films:
            raise ParameterError("device: has no films")
        names = [f.group for f in self.films]
        if len(set(names)) != len(names):
            raise ParameterError(f"device: film names must be unique, got {names}")
        outlines, hole_sets, heights = [], [], []
        for film in self.films:
            z = float(self.layer(film.layer).z)
            outline = _shape_points(film.outline, f"film {film.name!r}: outline")
            for k, hole in enumerate(film.holes):
                _shape_points(hole, f"film {film.name!r}: holes[{k}]")
            _holes([_shape_points(h, "holes") for h in film.holes], outline,
                   f"film {film.name!r}: holes")
            outlines.append(outline)
            hole_sets.append(film.holes)
            heights.append(z)
        _check_films_disjoint(self.films, outlines, heights)
        return outlines, hole_sets, heights

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ParameterError(f"layer {name!r} not found; layers are: "
                             f"{', '.join(lay.name for lay in self.layers) or '(none)'}")

    def penetration_depth(self) -> dict:
        """Film group -> λ (m), for ``solve_london(domain, device.penetration_depth(), ...)``
        (for a layer given by Λ: Λ, a stand-in that its ``pearl_length`` option overrides)."""
        return {f.group: self.layer(f.layer).material()[0] for f in self.films}

    def thickness(self) -> dict:
        """Film group -> d (m) of the films of layers given by (λ, d): the sheet
        formulation's ``thickness`` option."""
        return {f.group: d for f in self.films
                if (d := self.layer(f.layer).material()[1]) is not None}

    def pearl_length(self) -> dict:
        """Film group -> Λ (m) of the films of layers given by their Pearl length: the sheet
        formulation's ``pearl_length`` option."""
        out = {}
        for film in self.films:
            value, thickness = self.layer(film.layer).material()
            if thickness is None:
                out[film.group] = value
        return out

    def options(self) -> dict:
        """The film options of the sheet (or axisymmetric) formulation for this device:
        ``solve_london(domain, device.penetration_depth(), field, **device.options())``
        (``thickness`` and/or ``pearl_length``, whichever the layers need)."""
        out = {"thickness": self.thickness(), "pearl_length": self.pearl_length()}
        return {key: value for key, value in out.items() if value}

    def hole_names(self) -> list[str]:
        """The names the sheet formulation gives the holes, in the order of ``film.holes``
        film by film: ``<group>_hole_<k>``, k the rank of the hole's centre (x, then y, on a
        grid of 1e-4 of the film's size, as the formulation sorts them)."""
        names = []
        for film in self.films:
            size = float(np.ptp(_shape_points(film.outline, film.name), axis=0).max())
            keys = [tuple(np.round(np.asarray(_centre(h)) / (1e-4 * size)).astype(np.int64))
                    for h in film.holes]
            order = sorted(range(len(keys)), key=lambda k: keys[k])
            rank = {k: r for r, k in enumerate(order)}
            names += [f"{film.group}_hole_{rank[k]}" for k in range(len(keys))]
        return names

    def mesh(self, *, h_film: float, h_edge: float | None = None, grading: float = GRADING,
             h_far: float | None = None, ball_radius: float | None = None,
             edge_layer: float = 0.0, algorithm: str = "delaunay", path: PathLike | None = None,
             msh_version: float = 4.1, progress: ProgressLike = None) -> Domain:
        """Mesh the device: film surfaces embedded in a vacuum ball (module docstring).

        ``h_film``: element size on the films; ``h_edge`` (default h_film/4) at the film edges;
        ``grading``: size growth per unit distance; ``h_far`` (default min(8 h_film,
        ball_radius/4)): the largest size, in the far vacuum; ``ball_radius``: radius of the
        vacuum ball about the films' centre (default 4× the films' bounding radius);
        ``edge_layer``: width of the band along the edges kept at h_edge; ``algorithm``:
        gmsh's 3D mesher, ``"delaunay"`` (default; follows the size field closely) or
        ``"hxt"`` (gmsh's parallel Delaunay: ~15× faster on large devices, elements somewhat
        larger than the size field asks — measured on a 13k-vertex washer: 150k tetrahedra in
        3.5 s against 233k in 48 s, moment 1.3 % further from the fine-mesh value).
        """
        return mesh_device(self, h_film=h_film, h_edge=h_edge, grading=grading, h_far=h_far,
                           ball_radius=ball_radius, edge_layer=edge_layer, algorithm=algorithm,
                           path=path, msh_version=msh_version, progress=progress)


def _centre(shape) -> np.ndarray:
    if isinstance(shape, Circle):
        return np.asarray(shape.center, dtype=float)
    pts = np.asarray(shape, dtype=float)
    x, y = pts[:, 0], pts[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    area = cross.sum() / 2
    return np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / (6 * area)


def _shape_points(shape, name) -> np.ndarray:
    if isinstance(shape, Circle):
        _positive(f"{name}: radius", shape.radius)
        return shape.polygon()
    return _vertices(name, shape)


def _occ_shape(gmsh, shape, z) -> int:
    if isinstance(shape, Circle):
        cx, cy = shape.center
        return gmsh.model.occ.addDisk(float(cx), float(cy), float(z), float(shape.radius),
                                      float(shape.radius))
    return _occ_polygon(gmsh, np.asarray(shape, dtype=float), z=float(z))


#: gmsh Mesh.Algorithm3D by name (:meth:`Device.mesh`'s ``algorithm``)
ALGORITHMS_3D = {"delaunay": 1, "hxt": 10}


def mesh_device(device: Device, *, h_film, h_edge=None, grading=GRADING, h_far=None,
                ball_radius=None, edge_layer=0.0, algorithm="delaunay", path=None,
                msh_version=4.1, progress=None) -> Domain:
    """:meth:`Device.mesh` (see there)."""
    if algorithm not in ALGORITHMS_3D:
        raise ParameterError(f"algorithm: {algorithm!r} is not one of "
                             f"{', '.join(ALGORITHMS_3D)}")
    outlines, hole_sets, heights = device.geometry()  # the films may have changed since
    h_film = _positive("h_film", h_film)
    h_edge = h_film / 4 if h_edge is None else _positive("h_edge", h_edge)
    if h_edge > h_film:
        raise ParameterError(f"h_edge ({h_edge:g}) must not exceed h_film ({h_film:g})")
    grading = _positive("grading", grading)
    edge_layer = float(edge_layer)
    if edge_layer < 0:
        raise ParameterError(f"edge_layer must be >= 0, got {edge_layer!r}")
    allpts = np.vstack([np.column_stack([o, np.full(len(o), z)])
                        for o, z in zip(outlines, heights, strict=True)])
    centre = 0.5 * (allpts.min(axis=0) + allpts.max(axis=0))
    reach = float(np.linalg.norm(allpts - centre, axis=1).max())
    ball = 4 * reach if ball_radius is None else _positive("ball_radius", ball_radius)
    if ball <= 1.05 * reach:
        raise ParameterError(f"ball_radius ({ball:g}) must exceed the films' bounding radius "
                             f"({reach:g}) about their centre, by 5 % at least")
    h_far = min(8 * h_film, ball / 4) if h_far is None else _positive("h_far", h_far)
    h_far = max(h_far, h_film)
    parse_length(device.length_unit, "length_unit")
    report = reporter(progress, "films.mesh")
    if path is not None:
        path = _check_path(path)
    with _gmsh_session("film_device") as gmsh:
        # Netgen's optimiser crashes (segfault, gmsh 4.15) on volumes with embedded surfaces;
        # gmsh's own optimiser alone: the films are zero-thickness, no slivers to remove
        gmsh.option.setNumber("Mesh.OptimizeNetgen", 0)
        gmsh.option.setNumber("Mesh.Algorithm3D", ALGORITHMS_3D[algorithm])
        if algorithm == "hxt":
            gmsh.option.setNumber("General.NumThreads", os.cpu_count() or 1)
        occ = gmsh.model.occ
        groups = _Groups(gmsh)
        tools = []
        for film, z, holes in zip(device.films, heights, hole_sets, strict=True):
            surface = _occ_shape(gmsh, film.outline, z)
            dimtags = [(2, surface)]
            if holes:
                dimtags, _ = occ.cut(dimtags, [(2, _occ_shape(gmsh, h, z)) for h in holes])
                dimtags = [dt for dt in dimtags if dt[0] == 2]
            tools.append(dimtags)
        sphere = occ.addSphere(*centre, ball)
        _, out_map = occ.fragment([(3, sphere)], [dt for part in tools for dt in part])
        occ.synchronize()
        volumes = sorted({t for d, t in out_map[0] if d == 3})
        k = 1
        film_tags = []
        for part in tools:
            tags = set()
            for _ in part:
                tags |= {t for d, t in out_map[k] if d == 2}
                k += 1
            film_tags.append(sorted(tags))
        groups.add(3, "vacuum", volumes)
        all_film = {t for tags in film_tags for t in tags}
        boundary = gmsh.model.getBoundary([(3, v) for v in volumes], combined=True,
                                          oriented=False)
        outer = sorted({abs(t) for d, t in boundary if d == 2} - all_film)
        if not outer:
            raise MeshError("geometry construction failed: no outer sphere found")
        for film, tags in zip(device.films, film_tags, strict=True):
            if not tags:
                raise MeshError(f"film {film.name!r} was lost when embedding it in the ball "
                                "(does it overlap another film?)")
            groups.add(2, film.group, tags)
        groups.add(2, "outer", outer)
        _film_sizes(gmsh, sorted(all_film), h_film, h_edge, grading, h_far, edge_layer)
        report(f"meshing the film device: {len(device.films)} film(s), h_film {h_film:g}, "
               f"h_edge {h_edge:g}, h_far {h_far:g}, ball radius {ball:g}")
        start = time.perf_counter()
        domain = _write_and_load(gmsh, 3, groups, path, msh_version, device.length_unit)
        report(f"meshed {domain.mesh.nelements} tetrahedra in {time.perf_counter() - start:.1f} s")
    return domain


def _film_sizes(gmsh, film_tags, h_film, h_edge, grading, h_far, edge_layer) -> None:
    """Background size: h_edge within edge_layer of the film edges, growing by ``grading`` per
    unit distance to h_film (on the film) and from the film surfaces to h_far."""
    fieldapi = gmsh.model.mesh.field
    gmsh.option.setNumber("Mesh.MeshSizeMax", h_far)
    curves = sorted({abs(t) for d, t in gmsh.model.getBoundary(
        [(2, t) for t in film_tags], combined=False, oriented=False) if d == 1})
    length = sum(gmsh.model.occ.getMass(1, c) for c in curves)
    edge_dist = fieldapi.add("Distance")
    fieldapi.setNumbers(edge_dist, "CurvesList", curves)
    fieldapi.setNumber(edge_dist, "Sampling",
                       int(min(max(50, math.ceil(3 * length / h_edge / len(curves))), 200000)))
    at_edge = _graded_field(gmsh, edge_dist, h_edge, h_far, grading, start=edge_layer)
    area = sum(gmsh.model.occ.getMass(2, t) for t in film_tags)
    film_dist = fieldapi.add("Distance")
    fieldapi.setNumbers(film_dist, "SurfacesList", film_tags)
    fieldapi.setNumber(film_dist, "Sampling",
                       int(min(max(20, math.ceil(3 * math.sqrt(area) / h_film)), 1000)))
    near_film = _graded_field(gmsh, film_dist, h_film, h_far, grading)
    smallest = fieldapi.add("Min")
    fieldapi.setNumbers(smallest, "FieldsList", [at_edge, near_film])
    fieldapi.setAsBackgroundMesh(smallest)


_FILM_PARAMETERS = """
    height : float
        Height z of the film plane, in length_unit (default 0).
    ball_radius : float, optional
        Radius of the vacuum ball about the film's centre, in length_unit (default 4× the
        film's radius); its surface is the boundary 'outer'.
    h : float
        Largest element size, in the far vacuum, in length_unit (required).
    h_sc : float, optional
        Element size on the film, in length_unit (default h).
    h_surface : float, optional
        Element size at the film's edges (outer edge and hole rims), in length_unit (default
        h_sc/4); the size grows by grading per unit distance from there.
    surface_layer : float, optional
        Width of the band along the film's edges kept at h_surface, in length_unit (default 0).
    grading : float
        Growth of the element size per unit distance from the edges and the film (default 0.3).
    length_unit : str or float
        What one coordinate unit is: 'um' (default), 'nm', '1 mm', or metres as a number.
    path : str or Path, optional
        Keep the mesh in this .msh file (written atomically); default: not kept.
    msh_version : float
        gmsh file format of path: 4.1 (default) or 2.2.
    progress : callable, optional
        Called with one-line progress messages, e.g. print.
"""


def _film_doc(func):
    func.__doc__ = func.__doc__.rstrip() + "\n" + _FILM_PARAMETERS
    return _recorded(func)


def _check_films_disjoint(films, outlines, heights) -> None:
    """Films in one plane must not overlap: one may lie in another's hole, nothing else."""
    def overlap(a, b):
        return _polygons_cross(a, b) or _inside_polygon(a[0], b) or _inside_polygon(b[0], a)

    def in_a_hole(a, film):
        holes = (_shape_points(hole, "holes") for hole in film.holes)
        return any(not _polygons_cross(a, h) and _inside_polygon(a[0], h) for h in holes)

    for i, j in itertools.combinations(range(len(films)), 2):
        if abs(heights[i] - heights[j]) > 0 or not overlap(outlines[i], outlines[j]):
            continue
        if in_a_hole(outlines[i], films[j]) or in_a_hole(outlines[j], films[i]):
            continue
        raise ParameterError(
            f"films {films[i].name!r} and {films[j].name!r} overlap in the layer plane "
            f"z = {heights[i]:g}; films in one plane must be disjoint (one may lie in a hole "
            "of another): merge them into one outline, or put them in different layers")


def _one_film(name, outline, holes, height, ball_radius, h, h_sc, h_surface, surface_layer,
              grading, length_unit, path, msh_version, progress) -> Domain:
    h = _positive("h", h)
    h_sc = h if h_sc is None else _positive("h_sc", h_sc)
    device = Device(layers=[Layer("layer", z=float(height), pearl_length=1.0)],
                    films=[FilmShape(name, "layer", outline, tuple(holes))],
                    length_unit=length_unit)
    return device.mesh(h_film=min(h_sc, h), h_edge=h_surface, grading=grading, h_far=h,
                       ball_radius=ball_radius, edge_layer=surface_layer or 0.0, path=path,
                       msh_version=msh_version, progress=progress)


@_film_doc
def film_disk(radius: float, *, height: float = 0.0, ball_radius: float | None = None,
              h: float, h_sc: float | None = None, h_surface: float | None = None,
              surface_layer: float | None = None, grading: float = GRADING,
              length_unit: LengthLike = "um", path: PathLike | None = None,
              msh_version: float = 4.1, progress: ProgressLike = None) -> Domain:
    """A round film (true circle) embedded in a vacuum ball, for the sheet formulation.

    Boundaries ``film`` (the disk's triangles) and ``outer`` (the sphere); region ``vacuum``.

    Parameters
    ----------
    radius : float
        Radius of the disk, in length_unit.
    """
    radius = _positive("radius", radius)
    return _one_film("film", Circle(radius), [], height, ball_radius, h, h_sc, h_surface,
                     surface_layer, grading, length_unit, path, msh_version, progress)


@_film_doc
def film_ring(inner_radius: float, outer_radius: float, *, height: float = 0.0,
              ball_radius: float | None = None, h: float, h_sc: float | None = None,
              h_surface: float | None = None, surface_layer: float | None = None,
              grading: float = GRADING, length_unit: LengthLike = "um",
              path: PathLike | None = None, msh_version: float = 4.1,
              progress: ProgressLike = None) -> Domain:
    """A flat ring (annulus, true circles) embedded in a vacuum ball, for the sheet formulation.

    Boundaries ``film`` and ``outer``; region ``vacuum``; the sheet formulation names the hole
    ``film_hole_0`` (e.g. ``fluxoids={"film_hole_0": 1}``).

    Parameters
    ----------
    inner_radius : float
        Radius of the hole, in length_unit.
    outer_radius : float
        Outer radius of the ring, in length_unit.
    """
    a, b = _positive("inner_radius", inner_radius), _positive("outer_radius", outer_radius)
    if a >= b:
        raise ParameterError(f"inner_radius ({a:g}) must be smaller than outer_radius ({b:g})")
    return _one_film("film", Circle(b), [Circle(a)], height, ball_radius, h, h_sc, h_surface,
                     surface_layer, grading, length_unit, path, msh_version, progress)
