r"""Meridian (r, z) meshes of bodies of revolution for the axisymmetric London formulation.

:func:`meridian` meshes the half-plane r ≥ 0 of a meridian cut (mesh x = r, y = z, in
``length_unit``): a vacuum half-disk of radius ``radius`` centred on the axis (a ball once
revolved), superconducting cross-sections inside it (rectangles: disks, cylinders, rings;
ellipses: spheres, spheroids, tori) and thin films as segments z = const, r0 ≤ r ≤ r1 embedded in
the vacuum (current sheets: a disk when r0 = 0, a ring otherwise). Element sizes: ``h`` far
away, ``h_body`` in and along the bodies and films, ``h_edge`` at the film ends and at the
corners of the cross-sections, where the currents are singular (a sheet current K ∝ dist^−1/2
at the edge of a film in the Λ → 0 limit); away from them the size grows linearly by
``grading`` per unit distance.

Physical groups: each body's ``name`` (bodies sharing a name form one region), ``vacuum`` for
the rest of the half-disk; each film's ``name`` (a curve, which must start with ``film`` or
``sheet`` to be read as a film); boundaries ``outer`` (the arc) and ``axis`` (r = 0).
"""

from __future__ import annotations

import math

from ..errors import ParameterError
from ..progress import ProgressLike, reporter
from ..units import LengthLike, PathLike, parse_length, parse_number
from .domain import FILM_PREFIXES, VACUUM_PREFIXES, Domain
from .geometry import (
    _check_element_count,
    _check_path,
    _gmsh_session,
    _graded_field,
    _Groups,
    _write_and_load,
    estimate_elements,
)

__all__ = ["meridian"]

#: relative tolerance of "on the axis" (r = 0) in units of ``radius``
_AXIS_TOLERANCE = 1e-9


def _number(value, name: str) -> float:
    out = parse_number(value, name)
    if not math.isfinite(out):
        raise ParameterError(f"{name}: expected a finite number, got {value!r}")
    return out


def _positive(value, name: str) -> float:
    out = _number(value, name)
    if out <= 0:
        raise ParameterError(f"{name}: must be positive, got {value!r}")
    return out


def _name(value, what: str, films: bool) -> str:
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{what}: the name must be a non-empty string, got {value!r}")
    low = value.lower()
    if films and not low.startswith(FILM_PREFIXES):
        raise ParameterError(f"{what}: film name {value!r} must start with "
                             f"{' or '.join(FILM_PREFIXES)} (films are read by that prefix)")
    if not films and (low.startswith(FILM_PREFIXES) or low.startswith(VACUUM_PREFIXES)):
        raise ParameterError(f"{what}: body name {value!r} must not start with "
                             f"{'/'.join(FILM_PREFIXES + VACUUM_PREFIXES)} (reserved for films "
                             "and vacuum)")
    return value


def _bodies(bodies, radius) -> list[tuple]:
    """Validated bodies: ("rectangle", name, r0, r1, z0, z1) or ("ellipse", name, rc, zc,
    semi_r, semi_z)."""
    out = []
    for k, body in enumerate(bodies):
        what = f"bodies[{k}]"
        if not isinstance(body, (tuple, list)) or len(body) != 6 or body[0] not in (
                "rectangle", "ellipse"):
            raise ParameterError(
                f"{what}: expected ('rectangle', name, r0, r1, z0, z1) or ('ellipse', name, "
                f"r_centre, z_centre, semi_axis_r, semi_axis_z), got {body!r}")
        kind, name = body[0], _name(body[1], what, films=False)
        a, b, c, d = (_number(v, f"{what}[{i + 2}]") for i, v in enumerate(body[2:]))
        if kind == "rectangle":
            if not 0 <= a < b or not c < d:
                raise ParameterError(f"{what}: rectangle needs 0 ≤ r0 < r1 and z0 < z1, got "
                                     f"r0={a:g}, r1={b:g}, z0={c:g}, z1={d:g}")
            far = max(math.hypot(r, z) for r in (a, b) for z in (c, d))
        else:
            if c <= 0 or d <= 0:
                raise ParameterError(f"{what}: ellipse semi-axes must be positive, got "
                                     f"{c:g}, {d:g}")
            if a < 0:
                raise ParameterError(f"{what}: ellipse centre r = {a:g} < 0; centre it on the "
                                     "axis (r = 0, a sphere) or off it (a torus)")
            far = math.hypot(a, abs(b)) + max(c, d)
        if far >= radius:
            raise ParameterError(f"{what}: {name!r} reaches {far:g} from the origin, outside "
                                 f"the vacuum half-disk of radius {radius:g}; enlarge radius")
        out.append((kind, name, a, b, c, d))
    return out


def _films(films, radius) -> list[tuple]:
    """Validated films: (name, r0, r1, z)."""
    out = []
    for k, film in enumerate(films):
        what = f"films[{k}]"
        if not isinstance(film, (tuple, list)) or len(film) != 4:
            raise ParameterError(f"{what}: expected (name, r0, r1, z), got {film!r}")
        name = _name(film[0], what, films=True)
        r0, r1, z = (_number(v, f"{what}[{i + 1}]") for i, v in enumerate(film[1:]))
        if not 0 <= r0 < r1:
            raise ParameterError(f"{what}: film {name!r} needs 0 ≤ r0 < r1, got r0={r0:g}, "
                                 f"r1={r1:g}")
        if math.hypot(r1, z) >= radius:
            raise ParameterError(f"{what}: film {name!r} reaches {math.hypot(r1, z):g} from the "
                                 f"origin, outside the vacuum half-disk of radius {radius:g}")
        out.append((name, r0, r1, z))
    return out


def _check_disjoint(bodies, films) -> None:
    """Films must not touch the bodies' bounding boxes (a film is a sheet in vacuum) nor
    each other (two films on one line that overlap or touch are one film)."""
    for k, (name, r0, r1, z) in enumerate(films):
        for other, s0, s1, y in films[k + 1:]:
            if abs(z - y) <= 1e-9 * max(abs(z), abs(y), r1, s1) and r0 <= s1 and s0 <= r1:
                raise ParameterError(
                    f"films: {name!r} (r {r0:g}…{r1:g}) and {other!r} (r {s0:g}…{s1:g}) overlap "
                    f"or touch at z = {z:g}; give one film, or separate them")
    for name, r0, r1, z in films:
        for kind, body, a, b, c, d in bodies:
            box = ((a, b, c, d) if kind == "rectangle"
                   else (max(a - c, 0.0), a + c, b - d, b + d))
            if r1 >= box[0] and r0 <= box[1] and box[2] <= z <= box[3]:
                raise ParameterError(f"films: film {name!r} (z = {z:g}, r {r0:g}…{r1:g}) meets "
                                     f"body {body!r}; a film is a current sheet in vacuum — "
                                     "move it or model it as a body")


def meridian(*, bodies=(), films=(), radius: float, h: float, h_body: float | None = None,
             h_edge: float | None = None, grading: float = 0.3, order: int = 2,
             length_unit: LengthLike = "um", path: PathLike | None = None,
             msh_version: float = 4.1, progress: ProgressLike = None) -> Domain:
    """Mesh a meridian half-plane (x = r ≥ 0, y = z) for ``formulation="axisymmetric"``.

    Returns a :class:`~mqm_fem.mesh.Domain` with the regions of the bodies (by name) and
    ``vacuum``, the film curves (by name) and the boundaries ``outer`` and ``axis``.

    Parameters
    ----------
    bodies : sequence of tuples
        Superconducting cross-sections: ``("rectangle", name, r0, r1, z0, z1)`` (a disk or
        cylinder when r0 = 0, a ring otherwise) or ``("ellipse", name, r_centre, z_centre,
        semi_axis_r, semi_axis_z)`` (a sphere/spheroid centred on the axis, cut at r = 0, or
        the cross-section of a torus when it stays off the axis). Bodies must not overlap.
    films : sequence of tuples
        Thin films ``(name, r0, r1, z)``: the segment z, r0 ≤ r ≤ r1 (a disk when r0 = 0, a
        ring otherwise); ``name`` starts with ``film`` or ``sheet``.
    radius : float
        Radius of the vacuum half-disk (a ball), centred at the origin, in length_unit.
    h : float
        Largest element size (far from the bodies), in length_unit.
    h_body : float, optional
        Element size in and along the bodies and films (default h).
    h_edge : float, optional
        Element size at the film ends and at the corners of the cross-sections (default
        h_body / 4).
    grading : float
        Growth of the element size per unit distance from the edges, bodies and films
        (default 0.3; smaller is smoother and costs more elements).
    order : {1, 2}
        Geometry order: 2 (default) second-order elements with mid-edge nodes on the curved
        boundaries (isoparametric P2 in the axisymmetric formulation), 1 straight-sided.
    length_unit : str or float
        What one coordinate unit is ('um' default, 'nm', or metres).
    path : str or Path, optional
        Keep the mesh in this .msh file (written atomically); default: not kept.
    msh_version : float
        gmsh file format of path: 4.1 (default) or 2.2.
    progress : callable, optional
        Called with one-line progress messages.
    """
    parse_length(length_unit, "length_unit")
    radius = _positive(radius, "radius")
    h = _positive(h, "h")
    h_body = h if h_body is None else _positive(h_body, "h_body")
    h_edge = h_body / 4 if h_edge is None else _positive(h_edge, "h_edge")
    grading = _positive(grading, "grading")
    if h_body > h or h_edge > h_body:
        raise ParameterError(f"sizes: need h_edge ≤ h_body ≤ h, got h_edge={h_edge:g}, "
                             f"h_body={h_body:g}, h={h:g}")
    if isinstance(order, bool) or order not in (1, 2):
        raise ParameterError(f"order: must be 1 (straight-sided) or 2 (curved), got {order!r}")
    msh_version = parse_number(msh_version, "msh_version")
    if msh_version not in (2.2, 4.0, 4.1):
        raise ParameterError(f"msh_version must be 4.1, 4.0 or 2.2, got {msh_version!r}")
    bodies = _bodies(bodies, radius)
    films = _films(films, radius)
    if not bodies and not films:
        raise ParameterError("bodies, films: nothing to mesh; give at least one body or film")
    names = [b[1] for b in bodies]
    clash = sorted(set(names) & {f[0] for f in films})
    film_names = [f[0] for f in films]
    if clash or len(set(film_names)) != len(film_names):
        raise ParameterError(f"films: names must be unique and differ from the bodies' "
                             f"(given {film_names}, bodies {names})")
    _check_disjoint(bodies, films)
    if path is not None:
        path = _check_path(path)
    report = reporter(progress, "meridian")

    with _gmsh_session("meridian") as gmsh:
        occ = gmsh.model.occ
        left = occ.addRectangle(-radius, -radius, 0, radius, 2 * radius)
        half, _ = occ.cut([(2, occ.addDisk(0, 0, 0, radius, radius))], [(2, left)])
        tools, owners = [], []
        for kind, name, a, b, c, d in bodies:
            if kind == "rectangle":
                tag = occ.addRectangle(a, c, 0, b - a, d - c)
                parts = [(2, tag)]
            else:
                big, small = max(c, d), min(c, d)
                tag = occ.addDisk(a, b, 0, big, small)
                if d > c:
                    occ.rotate([(2, tag)], a, b, 0, 0, 0, 1, math.pi / 2)
                parts = [(2, tag)]
                if a - c < 0:
                    cut = occ.addRectangle(a - 2 * big, b - 2 * big, 0, 2 * big - a, 4 * big)
                    parts, _ = occ.cut(parts, [(2, cut)])
            tools += parts
            owners += [("body", name)] * len(parts)
        for name, r0, r1, z in films:
            p0, p1 = occ.addPoint(r0, z, 0), occ.addPoint(r1, z, 0)
            tools.append((1, occ.addLine(p0, p1)))
            owners.append(("film", name))
        _, mapping = occ.fragment(half, tools)
        occ.synchronize()
        body_tags: dict[str, set] = {}
        film_tags: dict[str, set] = {}
        seen: dict[int, str] = {}
        for (role, name), pieces in zip(owners, mapping[len(half):], strict=True):
            for dim, tag in pieces:
                if role == "body" and dim == 2:
                    if tag in seen and seen[tag] != name:
                        raise ParameterError(f"bodies: {seen[tag]!r} and {name!r} overlap")
                    seen[tag] = name
                    body_tags.setdefault(name, set()).add(tag)
                elif role == "film" and dim == 1:
                    film_tags.setdefault(name, set()).add(tag)
        sc = set().union(*body_tags.values()) if body_tags else set()
        vacuum = [t for _, t in gmsh.model.getEntities(2) if t not in sc]
        groups = _Groups(gmsh)
        for name, tags in body_tags.items():
            groups.add(2, name, tags)
        groups.add(2, "vacuum", vacuum)
        for name, tags in film_tags.items():
            groups.add(1, name, tags)
        edges = gmsh.model.getBoundary([(2, t) for _, t in gmsh.model.getEntities(2)],
                                       combined=True, oriented=False)
        axis, wall = [], []
        for _, tag in edges:
            box = gmsh.model.getBoundingBox(1, abs(tag))
            on_axis = max(abs(box[0]), abs(box[3])) < 1e-6 * radius  # OCC pads the box
            (axis if on_axis else wall).append(abs(tag))
        groups.add(1, "outer", wall)
        groups.add(1, "axis", axis)

        body_curves = sorted({abs(t) for _, t in gmsh.model.getBoundary(
            [(2, t) for t in sc], combined=False, oriented=False)}) if sc else []
        film_curves = sorted(set().union(*film_tags.values())) if film_tags else []
        corners = set()
        for curve in body_curves + film_curves:
            for _, point in gmsh.model.getBoundary([(1, curve)], oriented=False):
                if abs(gmsh.model.getValue(0, point, [])[0]) > _AXIS_TOLERANCE * radius:
                    corners.add(point)  # film ends and corners off the axis
        area = math.pi * radius**2 / 2
        sc_area = sum(occ.getMass(2, t) for t in sc)
        length = sum(occ.getMass(1, c) for c in body_curves + film_curves)
        estimate = estimate_elements(2, area, sc_area, length, (h, h_body, None, 0.0))
        _check_element_count(estimate)
        report(f"meshing the meridian half-plane: {estimate.describe()} (estimate, before "
               "the edge grading)")
        _size_fields(gmsh, sc, body_curves + film_curves, sorted(corners), h, h_body, h_edge,
                     grading, radius)
        domain = _write_and_load(gmsh, 2, groups, path, msh_version, length_unit, order)
    report(f"meshed {domain.mesh.nelements} triangles")
    return domain


def _size_fields(gmsh, sc, curves, corners, h, h_body, h_edge, grading, radius) -> None:
    """h_body inside the bodies and along the body/film curves, h_edge at the corners, both
    growing linearly by ``grading`` per unit distance up to h."""
    field = gmsh.model.mesh.field
    gmsh.option.setNumber("Mesh.MeshSizeMax", h)
    fields = []

    def threshold(distance, smallest):
        fields.append(_graded_field(gmsh, distance, smallest, h, grading, floor=1e-12 * radius))

    if curves:
        dist = field.add("Distance")
        field.setNumbers(dist, "CurvesList", curves)
        longest = max(gmsh.model.occ.getMass(1, c) for c in curves)
        field.setNumber(dist, "Sampling", int(min(max(20, 4 * longest / h_body), 50000)))
        threshold(dist, h_body)
    if corners:
        dist = field.add("Distance")
        field.setNumbers(dist, "PointsList", corners)
        threshold(dist, h_edge)
    if sc:
        inside = field.add("Constant")
        field.setNumber(inside, "VIn", h_body)
        field.setNumber(inside, "VOut", h)
        field.setNumbers(inside, "SurfacesList", sorted(sc))
        field.setNumber(inside, "IncludeBoundary", 1)
        fields.append(inside)
    smallest = field.add("Min")
    field.setNumbers(smallest, "FieldsList", fields)
    field.setAsBackgroundMesh(smallest)

