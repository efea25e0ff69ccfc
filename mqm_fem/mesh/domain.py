"""Meshes with named regions: gmsh files (through meshio) into scikit-fem.

A :class:`Domain` is what every solver receives: a linear scikit-fem mesh (triangles in 2D,
tetrahedra in 3D) whose coordinates are in ``length_unit`` metres, plus the gmsh *physical group*
names as

* ``regions``: name -> element indices (physical surfaces in 2D, volumes in 3D), and
* ``boundaries``: name -> facet indices (physical curves in 2D, surfaces in 3D).

Region roles follow a naming convention that the geometry library uses and user meshes can use:
regions whose name starts with ``vacuum``, ``air`` or ``hole`` are vacuum (``hole*`` marks a hole
through a superconductor that can carry a fluxoid); every other region is superconducting unless
the caller names the superconductors explicitly.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import skfem

from ..errors import MeshError, MqmFemWarning, ParameterError, RegionNotFoundError
from ..units import LengthLike, PathLike, as_path, parse_length
from . import cache as _cache

VACUUM_PREFIXES = ("vacuum", "air", "hole")
#: Facet groups (surfaces inside a 3D mesh, curves inside an axisymmetric meridian mesh) named
#: like this are thin superconducting films carried as sheets (London sheet formulations).
FILM_PREFIXES = ("film", "sheet")
DEFAULT_REGION = "domain"
DEFAULT_BOUNDARY = "boundary"
#: unit strings resolved without pint (whose registry takes ~1 s to build); the same floats
#: :func:`~mqm_fem.units.parse_length` returns for them
_KNOWN_UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "μm": 1e-6, "nm": 1e-9}

_LINEAR = {2: "triangle", 3: "tetra"}
_FACET = {2: "line", 3: "triangle"}
#: second-order (quadratic, curved) simplices that are read: element and facet type per dimension
_QUADRATIC = {2: "triangle6", 3: "tetra10"}
_QUADRATIC_FACET = {2: "line3", 3: "triangle6"}
#: nodes per cell type
_NODES = {"line": 2, "triangle": 3, "tetra": 4, "line3": 3, "triangle6": 6, "tetra10": 10}
#: curved (higher-order) simplices -> dimension
_HIGHER_ORDER = {
    "triangle6": 2, "triangle7": 2, "triangle10": 2, "tetra10": 3, "tetra20": 3,
}
#: element shapes other than simplices (linear or not) -> dimension
_NOT_SIMPLEX = {
    "quad": 2, "quad8": 2, "quad9": 2, "hexahedron": 3, "hexahedron20": 3, "hexahedron27": 3,
    "wedge": 3, "wedge15": 3, "wedge18": 3, "pyramid": 3, "pyramid13": 3, "pyramid14": 3,
}
_SHAPE_NAMES = {"quad": "quadrilaterals", "hexahedron": "hexahedra", "wedge": "prisms (wedges)",
                "pyramid": "pyramids"}


@dataclass(frozen=True)
class Recipe:
    """How a geometry generator made a :class:`Domain`: ``generator`` is the name of the
    function in :mod:`mqm_fem.mesh.geometry`, ``arguments`` the arguments it received (by
    parameter name; ``path`` and ``progress`` left out). Picklable."""

    generator: str
    arguments: dict = field(default_factory=dict)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"geometry.{self.generator}({args})"


@dataclass
class Domain:
    """A scikit-fem mesh with named regions and boundaries and an explicit length unit.

    Attributes
    ----------
    mesh : skfem.MeshTri or skfem.MeshTet
        Linear simplex mesh (the vertices; straight-sided elements); coordinates in units of
        ``length_unit``. Every solver can use it.
    length_unit : float
        Metres per coordinate unit (1e-6 for micrometres, the default of :func:`load_mesh`).
    regions : dict[str, ndarray]
        Physical-group name -> indices of elements (``mesh.t`` columns).
    boundaries : dict[str, ndarray]
        Physical-group name -> indices of facets (``mesh.facets`` columns).
    source : Path or None
        The file the domain was read from.
    source_sha256 : str or None
        SHA-256 of that file's bytes when it was read (provenance records the mesh that was
        solved, even if the file changes later).
    curved : skfem.MeshTri2 or skfem.MeshTet2 or None
        The quadratic (curved) geometry of a second-order gmsh mesh (triangle6 / tetra10): the
        same elements in the same order and with the same vertices as ``mesh``, plus the
        mid-edge nodes of the file, which lie on the curved boundary. The Lagrange solvers
        (Schrödinger/nucleation, 2D London) use it at order 2 (isoparametric P2); the Nédélec
        solvers use the straight ``mesh``. None for a linear mesh.
    recipe : Recipe or None
        How a :mod:`mqm_fem.mesh.geometry` generator made the domain (its name and the
        arguments it received), so that :func:`mqm_fem.mesh.adapt.remesh` can mesh the same
        geometry again with other element sizes; None for a domain read from a file.
    """

    mesh: skfem.Mesh
    length_unit: float = 1e-6
    regions: dict[str, np.ndarray] = field(default_factory=dict)
    boundaries: dict[str, np.ndarray] = field(default_factory=dict)
    source: Path | None = None
    source_sha256: str | None = None
    curved: skfem.Mesh | None = None
    recipe: Recipe | None = None

    def __post_init__(self):
        self.length_unit = parse_length(self.length_unit, "length_unit")
        if not self.regions:
            self.regions = {DEFAULT_REGION: np.arange(self.mesh.nelements)}
        if not self.boundaries:
            self.boundaries = {DEFAULT_BOUNDARY: self.mesh.boundary_facets()}

    # -- basic facts -------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.mesh.dim()

    @property
    def bounding_box(self) -> np.ndarray:
        """(dim, 2) array of [min, max] per axis, in mesh units."""
        return np.stack([self.mesh.p.min(axis=1), self.mesh.p.max(axis=1)], axis=1)

    def describe(self) -> str:
        """A human-readable summary (used by ``mqm-fem info``)."""
        kind = "triangles" if self.dim == 2 else "tetrahedra"
        unit = _unit_name(self.length_unit)
        lines = [
            f"source: {self.source}" if self.source else "source: (in memory)",
            f"dimension: {self.dim}D, {self.mesh.nvertices} vertices, "
            f"{self.mesh.nelements} {kind}, {self.mesh.nfacets} facets",
            f"length unit: {unit} ({self.length_unit:g} m)",
            *(["geometry: curved (quadratic) geometry from the file's mid-edge nodes "
               "(isoparametric P2 in the Lagrange solvers; Nédélec solvers straight-sided)"]
              if self.curved is not None else []),
            "bounding box: " + ", ".join(
                f"{ax} [{lo:g}, {hi:g}]"
                for ax, (lo, hi) in zip("xyz", self.bounding_box, strict=False)
            ),
            "regions:",
        ]
        for name, elems in self.regions.items():
            role = "vacuum" if is_vacuum_name(name) else "superconductor"
            measure = self.measure(name)
            lines.append(f"  {name:<24s} {len(elems):>9d} elements  {role:<14s} "
                         f"{'area' if self.dim == 2 else 'volume'} {measure:.6g} {unit}^{self.dim}")
        lines.append("boundaries:")
        for name, facets in self.boundaries.items():
            lines.append(f"  {name:<24s} {len(facets):>9d} facets")
        return "\n".join(lines)

    # -- lookups -----------------------------------------------------------------------------
    def region(self, name: str) -> np.ndarray:
        """Element indices of region ``name`` (raises with the list of valid names)."""
        try:
            return self.regions[name]
        except KeyError:
            raise RegionNotFoundError(
                f"region {name!r} not found in {self._where()}; regions are: "
                f"{', '.join(self.regions) or '(none)'}"
            ) from None

    def boundary(self, name: str) -> np.ndarray:
        """Facet indices of boundary ``name`` (raises with the list of valid names)."""
        try:
            return self.boundaries[name]
        except KeyError:
            raise RegionNotFoundError(
                f"boundary {name!r} not found in {self._where()}; boundaries are: "
                f"{', '.join(self.boundaries) or '(none)'}"
            ) from None

    def elements(self, names) -> np.ndarray:
        """Union of element indices of several regions."""
        if isinstance(names, str):
            names = [names]
        idx = [self.region(n) for n in names]
        return np.unique(np.concatenate(idx)) if idx else np.zeros(0, dtype=np.int64)

    def superconductor_names(self, names=None) -> list[str]:
        """The superconducting regions: ``names`` validated, or all non-vacuum regions."""
        if names is None:
            found = [n for n in self.regions if not is_vacuum_name(n)]
            if not found:
                raise RegionNotFoundError(
                    f"no superconducting region in {self._where()}: every region "
                    f"({', '.join(self.regions)}) is named like vacuum "
                    f"({'/'.join(VACUUM_PREFIXES)}*); name the superconductors explicitly"
                )
            return found
        if isinstance(names, str):
            names = [names]
        for n in names:
            self.region(n)
        return list(names)

    def film_names(self) -> list[str]:
        """Facet groups named ``film*``/``sheet*`` (:data:`FILM_PREFIXES`): thin films carried
        as current sheets by the sheet formulations (a 2D physical group inside a 3D mesh, a
        1D group inside an axisymmetric meridian mesh)."""
        return [n for n in self.boundaries if n.lower().startswith(FILM_PREFIXES)]

    def hole_names(self) -> list[str]:
        """Regions named ``hole*``: vacuum holes through a superconductor."""
        return [n for n in self.regions if n.lower().startswith("hole")]

    def region_ids(self) -> np.ndarray:
        """Per-element integer id (order of ``regions``; -1 for unassigned elements)."""
        ids = np.full(self.mesh.nelements, -1, dtype=np.int32)
        for k, elems in enumerate(self.regions.values()):
            ids[elems] = k
        return ids

    def measure(self, name: str) -> float:
        """Area (2D) or volume (3D) of a region, in mesh units."""
        return float(element_measures(self.mesh)[self.region(name)].sum())

    def _where(self) -> str:
        return str(self.source) if self.source else "the mesh"


def is_vacuum_name(name: str) -> bool:
    return name.lower().startswith(VACUUM_PREFIXES)


def element_measures(mesh: skfem.Mesh, elements=None) -> np.ndarray:
    """Areas (2D) or volumes (3D) of all elements, or of the ``elements`` (indices) only
    (scikit-fem sorts element nodes, so the orientation of ``mesh.t`` carries no meaning and
    the absolute value is returned)."""
    t = mesh.t if elements is None else mesh.t[:, elements]
    return np.abs(_signed_measures(mesh.p, t))


# ----------------------------------------------------------------------------------------------
def load_mesh(path: PathLike, length_unit: LengthLike = "um", *, dim: int | None = None,
              cache: bool = True) -> Domain:
    """Read a gmsh ``.msh`` file (format 2 or 4) into a :class:`Domain`.

    Parameters
    ----------
    path : str or Path
        The mesh file. Linear or second-order (triangle6 / tetra10, gmsh ``-order 2``)
        triangles (2D) or tetrahedra (3D) with physical groups.
    length_unit : str or float
        What one coordinate unit is: a string (``"um"``, ``"nm"``, ``"1 mm"``) or metres.
        Default micrometre. gmsh files carry no unit, so this is explicit.
    dim : 2, 3 or None
        Required dimension; by default the highest present.

    A file without physical groups gets one region ``"domain"`` and one boundary ``"boundary"``
    (with a warning). A second-order mesh gives ``Domain.mesh`` from its vertices and
    ``Domain.curved`` with its mid-edge nodes (the curved geometry). Other higher-order elements
    (triangle10, tetra20, ...) are refused (re-mesh with ``Mesh.ElementOrder`` 1 or 2), and so
    are quadrilaterals, hexahedra, prisms and pyramids (re-mesh without recombination,
    ``Mesh.RecombineAll = 0``). Anything that is not a readable gmsh file is refused with a
    :class:`~mqm_fem.errors.MeshError` saying why (meshio's own printing is suppressed).

    cache : bool
        Keep the parsed arrays (vertices, elements, regions, boundaries, facet tables, curved
        geometry) in an on-disk cache keyed by the file's SHA-256, so that loading the same
        file again skips the parse (:mod:`mqm_fem.mesh.cache`: ``$MQM_FEM_CACHE``, default
        ``~/.cache/mqm_fem``; ``MQM_FEM_CACHE=off`` disables it). False: neither read nor write.

    The returned mesh has its facet tables (``mesh.facets``, ``t2f``, ``f2t``) already built,
    identical to scikit-fem's own, with int64 keys instead of scikit-fem's row-wise
    ``np.unique``.
    """
    path = as_path(path, "path")
    unit = parse_length(_KNOWN_UNITS.get(length_unit, length_unit)
                        if isinstance(length_unit, str) else length_unit, "length_unit")
    if not path.exists():
        raise MeshError(f"mesh file {path} does not exist")
    if path.is_dir():
        raise MeshError(f"mesh file {path} is a directory, expected a gmsh .msh file")
    if path.suffix.lower() != ".msh":
        raise MeshError(f"mesh file {path}: expected a gmsh .msh file (got suffix {path.suffix!r})")
    sha = file_sha256(path)
    entry = None
    if cache and sha is not None and (directory := _cache.cache_dir()) is not None:
        entry = _cache.entry_path(directory, sha, size=path.stat().st_size, dim=dim)
        hit = _cache.read_entry(entry)
        if hit is not None:
            domain = _domain_from_cache(*hit, path, unit)
            if domain is not None:
                domain.source_sha256 = sha
                return domain
    raw = _read_gmsh(path)

    types = {block.type for block in raw.cells}
    if dim is None:
        dim = (3 if types & {"tetra", "tetra10"} else 2 if types & {"triangle", "triangle6"}
               else None)
        if dim is None:
            shapes = {t: d for t, d in {**_HIGHER_ORDER, **_NOT_SIMPLEX}.items() if t in types}
            if shapes:
                _refuse_element_types(path, types, max(shapes.values()))
            raise MeshError(
                f"{path} has no triangles or tetrahedra "
                f"(found: {', '.join(sorted(types)) or 'no cells'}); "
                "mqm_fem needs a 2D triangle or 3D tetrahedral mesh"
            )
    if dim not in (2, 3):
        raise ParameterError(f"dim must be 2 or 3, got {dim!r}")
    _refuse_element_types(path, types, dim)
    if _LINEAR[dim] in types and _QUADRATIC[dim] in types:
        raise MeshError(
            f"{path} mixes linear ({_LINEAR[dim]}) and second-order ({_QUADRATIC[dim]}) "
            "elements; re-mesh with one 'Mesh.ElementOrder' (1 or 2) for the whole mesh"
        )
    if _LINEAR[dim] not in types and _QUADRATIC[dim] not in types:
        raise MeshError(
            f"{path} has no {_LINEAR[dim]} elements, so it is not a {dim}D mesh "
            f"(found: {', '.join(sorted(types))})"
        )
    info: dict = {}
    quadratic = _QUADRATIC[dim] in types
    parts = _meshio_parts(raw, dim, path, quadratic)
    del raw  # the parsed file is not needed any more: lower peak memory
    domain = _domain_from_parts(parts, dim, unit, path, quadratic=quadratic, info=info)
    domain.source_sha256 = sha
    if entry is not None:
        _cache.write_entry(entry, *_domain_to_cache(domain, sha, info["unnamed"]))
    return domain


#: file_sha256's cache: (absolute path, mtime_ns, size) -> digest
_HASHES: dict = {}


def file_sha256(path) -> str | None:
    """SHA-256 hex digest of a file (None if it is not a readable file), read in 1 MiB blocks
    and cached by absolute path, modification time and size."""
    import hashlib

    path = Path(path).absolute()
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _HASHES:
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            return None
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def _read_gmsh(path: Path):
    """meshio's gmsh reader, silenced: meshio prints its own errors (and may ``sys.exit``) —
    every failure becomes one :class:`MeshError`. A file that does not start like a gmsh file
    (``$MeshFormat``) is refused by its first line."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise MeshError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not head.strip():
        raise MeshError(f"cannot read {path}: the file is empty, expected a gmsh .msh file")
    first = head.lstrip().splitlines()[0].decode("utf-8", errors="replace").strip()
    if first != "$MeshFormat":
        shown = first if len(first) <= 60 else first[:57] + "..."
        hint = (" (gmsh's old format 1: re-save it from gmsh as version 4.1 or 2.2)"
                if first == "$NOD" else "")
        raise MeshError(f"cannot read {path}: not a gmsh .msh file: first line is {shown!r}, "
                        f"expected '$MeshFormat'{hint}")
    version = head.lstrip().splitlines()[1:2]
    if version and version[0].split()[:2] == [b"2.2", b"0"]:  # ASCII msh 2.2: try numpy first
        fast = _read_msh22_ascii(path)
        if fast is not None:
            return fast
    import meshio  # only here: its import alone takes ~0.2 s

    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            return meshio.gmsh.read(str(path))
    except (Exception, SystemExit) as exc:  # meshio: ReadError, ValueError, ..., even sys.exit
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        printed = [line.strip() for line in sink.getvalue().splitlines() if line.strip()]
        if (not detail or isinstance(exc, SystemExit)) and printed:
            detail = printed[0]
        detail = detail or type(exc).__name__
        raise MeshError(
            f"cannot read {path} as a gmsh mesh (truncated or corrupt?): {detail}"
        ) from exc


#: gmsh element type -> (meshio name, nodes) read by the fast msh 2.2 reader (linear only:
#: other types have node-order conventions that meshio's reader handles)
_MSH22_FAST_TYPES = {15: ("vertex", 1), 1: ("line", 2), 2: ("triangle", 3), 4: ("tetra", 4)}
_MSH22_SECTIONS = {b"MeshFormat", b"PhysicalNames", b"Nodes", b"Elements"}


@dataclass
class _CellBlock:
    type: str
    data: np.ndarray


@dataclass
class _RawMesh:
    """The part of a ``meshio.Mesh`` that :func:`_domain_from_meshio` reads."""

    points: np.ndarray
    cells: list
    cell_data: dict
    field_data: dict
    cell_sets: dict = field(default_factory=dict)


def _read_msh22_ascii(path: Path) -> _RawMesh | None:
    """A plain ASCII msh 2.2 file (sections MeshFormat, PhysicalNames, Nodes, Elements only;
    linear points/lines/triangles/tetrahedra with ≥ 2 tags) parsed with whole-section numpy
    conversions — meshio parses ASCII 2.2 elements line by line in Python (≈ 5 s at 1M
    tetrahedra). Gives what meshio would (cells in file order, ``gmsh:physical`` /
    ``gmsh:geometrical`` tags, ``$PhysicalNames`` as ``field_data``); None for anything else or
    anything unexpected, which then goes to meshio (and its error messages)."""
    import shlex

    try:
        text = path.read_bytes()
        sections = {}
        pos = 0
        while (start := text.find(b"$", pos)) >= 0:
            if text[pos:start].strip():  # stray text between sections: meshio refuses it
                return None
            line_end = text.find(b"\n", start)
            name = text[start + 1:line_end if line_end >= 0 else None].strip()
            if name not in _MSH22_SECTIONS:
                return None
            end = text.find(b"$End" + name, line_end)
            if end < 0 or name in sections:
                return None
            sections[name] = text[line_end + 1:end]
            pos = text.find(b"\n", end)
            if pos < 0:
                break
        if pos >= 0 and text[pos:].strip():
            return None
        header = sections[b"MeshFormat"].split()
        if header[:2] != [b"2.2", b"0"] or b"Nodes" not in sections or \
                b"Elements" not in sections:
            return None
        del text
        field_data = {}
        if b"PhysicalNames" in sections:
            lines = sections[b"PhysicalNames"].decode().strip().splitlines()
            for line in lines[1:1 + int(lines[0])]:
                words = shlex.split(line)
                field_data[words[2]] = np.array(words[1::-1], dtype=int)
        nodes_text = sections.pop(b"Nodes").lstrip()
        count_end = nodes_text.index(b"\n")
        nnodes = int(nodes_text[:count_end])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns when it stops at bad text
            nodes = np.fromstring(nodes_text[count_end:], dtype=float, sep=" ")
        del nodes_text
        if nodes.size != 4 * nnodes:
            return None
        nodes = nodes.reshape(nnodes, 4)
        ids = nodes[:, 0].astype(np.int64)
        if not np.array_equal(ids, nodes[:, 0]) or ids.min() < 1:
            return None
        remap = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
        remap[ids] = np.arange(nnodes)
        points = np.ascontiguousarray(nodes[:, 1:])
        del nodes
        elements_text = sections.pop(b"Elements").lstrip()
        count_end = elements_text.index(b"\n")
        nelements = int(elements_text[:count_end])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            flat = np.fromstring(elements_text[count_end:], dtype=np.int64, sep=" ")
        del elements_text
        blocks, physical, geometrical = [], [], []
        pos = done = 0
        while done < nelements:
            if len(blocks) > 256 or pos + 3 > flat.size:
                return None
            etype, ntags = int(flat[pos + 1]), int(flat[pos + 2])
            if etype not in _MSH22_FAST_TYPES or ntags < 2:
                return None
            cell_type, nn = _MSH22_FAST_TYPES[etype]
            width = 3 + ntags + nn
            rows = min(nelements - done, (flat.size - pos) // width)
            view = flat[pos:pos + rows * width].reshape(rows, width)
            same = (view[:, 1] == etype) & (view[:, 2] == ntags)
            rows = rows if same.all() else int(np.argmin(same))
            if rows == 0:
                return None
            view = view[:rows]
            conn = remap[view[:, 3 + ntags:]] if view[:, 3 + ntags:].max() < remap.size \
                else None
            if conn is None or conn.min() < 0:
                return None
            blocks.append(_CellBlock(cell_type, conn))
            physical.append(view[:, 3].astype(np.int32))
            geometrical.append(view[:, 4].astype(np.int32))
            pos += rows * width
            done += rows
        if pos != flat.size:
            return None
    except (ValueError, IndexError, KeyError, UnicodeDecodeError, OSError, Warning):
        return None
    return _RawMesh(points, blocks, {"gmsh:physical": physical, "gmsh:geometrical": geometrical},
                    field_data)


def _refuse_element_types(path, types, dim) -> None:
    """Refuse elements of dimension ``dim`` that are not linear simplices."""
    shapes = sorted(t for t in types if _NOT_SIMPLEX.get(t) == dim)
    if shapes:
        names = sorted({_SHAPE_NAMES[next(k for k in _SHAPE_NAMES if t.startswith(k))]
                        for t in shapes})
        raise MeshError(
            f"{path} contains {' and '.join(names)} ({', '.join(shapes)}): mqm_fem needs "
            f"{'triangles' if dim == 2 else 'tetrahedra'}; re-mesh without recombination "
            "(gmsh: 'Mesh.RecombineAll = 0', no 'Recombine Surface'/'Recombine Volume', "
            "'Mesh.SubdivisionAlgorithm = 0'; extruded layers without 'Recombine')"
        )
    higher = sorted(t for t in types if _HIGHER_ORDER.get(t) == dim and t != _QUADRATIC[dim])
    if higher:
        raise MeshError(_higher_order_message(path, higher))


def _higher_order_message(path, types) -> str:
    return (
        f"{path} contains higher-order elements ({', '.join(types)}); mqm_fem reads linear "
        "and second-order simplices only (triangle6, tetra10): re-mesh with "
        "'Mesh.ElementOrder = 1' (gmsh -order 1) — the solvers raise the polynomial order "
        "themselves (P2, Nédélec) — or 'Mesh.ElementOrder = 2' for curved boundaries"
    )


def _domain_from_meshio(raw, dim: int, unit: float, path: Path | None, *,
                        quadratic: bool = False, info: dict | None = None) -> Domain:
    """A :class:`Domain` from a meshio mesh: used vertices only, consistently oriented
    elements, physical groups as regions and boundaries; for a second-order mesh also the
    curved geometry (:func:`_curved_mesh`). ``info["unnamed"]`` (if given) tells whether the
    file had no physical groups for its elements."""
    return _domain_from_parts(_meshio_parts(raw, dim, path, quadratic), dim, unit, path,
                              quadratic=quadratic, info=info)


def _meshio_parts(raw, dim: int, path, quadratic: bool) -> dict:
    """What :func:`_domain_from_parts` needs of a meshio mesh: the points and the element and
    facet rows with their physical-group membership."""
    elem_type = _QUADRATIC[dim] if quadratic else _LINEAR[dim]
    facet_type = _QUADRATIC_FACET[dim] if quadratic else _FACET[dim]
    # element and facet blocks with their group membership. gmsh puts an entity in several
    # physical groups by (msh 2.2) writing its elements once per group, or (msh 4.1) listing
    # several tags per entity, which meshio keeps only in ``cell_sets``: read both, then merge
    # duplicate elements so each element/facet appears once and belongs to every named group.
    elem_rows, elem_members = _blocks_with_groups(raw, elem_type, dim)
    facet_rows, facet_members = _blocks_with_groups(raw, facet_type, dim - 1)
    return {"points": _planar_points(raw, dim, path), "elem_rows": elem_rows,
            "elem_members": elem_members, "facet_members": facet_members,
            "facet_rows": facet_rows[:, :dim]}  # a quadratic facet's mid-nodes are last


def _domain_from_parts(parts: dict, dim: int, unit: float, path: Path | None, *,
                       quadratic: bool = False, info: dict | None = None) -> Domain:
    """:func:`_domain_from_meshio` from :func:`_meshio_parts`. Consumes ``parts`` (its arrays
    are dropped as soon as they are used, which lowers the peak memory of a large load)."""
    points = parts.pop("points")
    elem_members, facet_members = parts.pop("elem_members"), parts.pop("facet_members")
    facet_rows = parts.pop("facet_rows")
    rows_all, elem_inverse = _unique_rows(parts.pop("elem_rows"), nkey=dim + 1)
    t_all = rows_all[:, :dim + 1]
    # keep only vertices used by elements (gmsh files may hold geometry points)
    is_used = np.zeros(points.shape[0], dtype=bool)
    is_used[t_all] = True
    used = np.flatnonzero(is_used)
    del is_used
    remap = np.full(points.shape[0], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    p = points[used].T.copy()
    t = _oriented(p, np.ascontiguousarray(remap[t_all].T, dtype=np.int32), dim, path)
    del t_all
    if not quadratic:  # the file's rows and points are needed for the curved geometry only
        del rows_all, points
    mesh = _skfem_mesh(p, t)
    regions = {name: index_set(elem_inverse[rows], t.shape[1])
               for name, rows in elem_members.items() if rows.size}
    boundaries = _named_boundaries(mesh, remap, facet_rows, facet_members)
    curved = (_curved_mesh(mesh, points, remap, rows_all, path) if quadratic else None)
    if not regions:
        _warn_unnamed(path, dim)
    if info is not None:
        info["unnamed"] = not regions
    return Domain(mesh, unit, regions, boundaries, Path(path) if path else None, curved=curved)


def _warn_unnamed(path, dim: int) -> None:
    """The warning for a file without physical groups (from a helper of :func:`load_mesh`:
    ``stacklevel`` points at load_mesh's caller)."""
    warnings.warn(
        f"{path or 'mesh'} has no physical groups for its {_LINEAR[dim]} elements: using one "
        f"region {DEFAULT_REGION!r} (treated as superconductor) and boundary "
        f"{DEFAULT_BOUNDARY!r}. Name regions with gmsh 'Physical Surface/Volume(\"name\")'.",
        MqmFemWarning,
        stacklevel=4,
    )


def _domain_to_cache(domain: Domain, sha256: str, unnamed: bool) -> tuple[dict, dict]:
    """(metadata, arrays) of a freshly parsed Domain for :mod:`mqm_fem.mesh.cache`; the
    length unit is not stored (the arrays are in file units whatever it is)."""
    mesh = domain.mesh
    arrays = {"p": mesh.p, "t": mesh.t, "facets": mesh.facets, "f2t": mesh.f2t,
              "t2f": mesh.t2f.astype(np.int32)}  # int64 in memory (as scikit-fem's): 16 B/tet
    arrays.update({f"region_{k}": v for k, v in enumerate(domain.regions.values())})
    arrays.update({f"boundary_{k}": v for k, v in enumerate(domain.boundaries.values())})
    if domain.curved is not None:
        arrays["curved_doflocs"] = domain.curved.doflocs
    meta = {"sha256": sha256, "regions": list(domain.regions),
            "boundaries": list(domain.boundaries), "unnamed": unnamed}
    return meta, arrays


def _domain_from_cache(meta: dict, arrays: dict, path: Path, unit: float) -> Domain | None:
    """The Domain of a cache entry (None if the entry does not hold a complete one)."""
    try:
        regions = {name: arrays[f"region_{k}"] for k, name in enumerate(meta["regions"])}
        boundaries = {name: arrays[f"boundary_{k}"]
                      for k, name in enumerate(meta["boundaries"])}
        p, t = arrays["p"], arrays["t"]
        if p.ndim != 2 or p.shape[0] not in (2, 3) or t.shape[0] != p.shape[0] + 1:
            return None
        t2f = arrays["t2f"].astype(np.intp)
        if t2f.shape != (t.shape[0], t.shape[1]):
            return None
        mesh = _skfem_mesh(p, t, (arrays["facets"], t2f, arrays["f2t"]))
        curved = None
        if "curved_doflocs" in arrays:
            cls = skfem.MeshTri2 if p.shape[0] == 2 else skfem.MeshTet2
            curved = cls(arrays["curved_doflocs"], mesh.t, validate=False)
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    if meta.get("unnamed"):
        _warn_unnamed(path, mesh.dim())
    return Domain(mesh, unit, regions, boundaries, Path(path), curved=curved)


def _skfem_mesh(p, t, tables=None):
    """``MeshTri``/``MeshTet`` from vertices and elements without scikit-fem's validation, with
    its facet tables set: ``tables`` = (facets, t2f, f2t) if known, else built by
    :func:`_facet_tables` (identical to scikit-fem's lazily built ones, much faster)."""
    mesh_cls = skfem.MeshTri if p.shape[0] == 2 else skfem.MeshTet
    try:
        mesh = mesh_cls(p, t, validate=False)
    except TypeError:
        mesh = mesh_cls(p, t)
    facets, t2f, f2t = tables if tables is not None else _facet_tables(
        mesh.t, p.shape[1], mesh.elem.refdom.facets)
    mesh._facets, mesh._t2f, mesh._f2t = facets, t2f, f2t
    return mesh


def index_set(indices: np.ndarray, size: int) -> np.ndarray:
    """``np.unique(indices)`` for indices in [0, size), by marking (O(size), no sort)."""
    mark = np.zeros(size, dtype=bool)
    mark[indices] = True
    return np.flatnonzero(mark)


def _pack_keys(columns, base: int) -> list[np.ndarray]:
    """int64 keys whose lexicographic order is that of the rows formed by ``columns`` (1D
    non-negative integer arrays, all < ``base``): as many columns packed into one key
    (c0·base + c1)·base + ... as fit below 2⁶², so usually one key."""
    keys = []
    j = 0
    while j < len(columns):
        key = np.asarray(columns[j], dtype=np.int64)
        span = base
        j += 1
        while j < len(columns) and span * base < 2**62:
            key = key * base + columns[j]
            span *= base
            j += 1
        keys.append(key)
    return keys


def _groups(keys: list[np.ndarray]):
    """Sort rows given as int64 ``keys`` (:func:`_pack_keys`): the sorting permutation, a flag
    per sorted position that starts a new group of equal rows, and row -> group index (groups
    numbered in sorted order)."""
    order = np.argsort(keys[0]) if len(keys) == 1 else np.lexsort(keys[::-1])
    new = np.ones(order.size, dtype=bool)
    ordered = np.empty(order.size, dtype=np.int64)  # one buffer: sorted keys, then group ids
    if order.size:
        new[1:] = False
        for key in keys:
            np.take(key, order, out=ordered)
            new[1:] |= ordered[1:] != ordered[:-1]
    np.cumsum(new, out=ordered)
    ordered -= 1
    group = np.empty(order.size, dtype=np.int64)
    group[order] = ordered
    return order, new, group


def _facet_tables(t: np.ndarray, nvertices: int, local_facets):
    """scikit-fem's ``facets`` (sorted vertex rows, lexicographic order), ``t2f`` and ``f2t``
    of elements ``t`` (nnodes, nel), equal to ``Mesh.build_entities`` + ``build_inverse``
    (which sort rows with ``np.unique(axis=1)``: seconds at 1M elements) but from one int64
    key per facet."""
    nel = t.shape[1]
    indexing = np.hstack([t[list(ix)] for ix in local_facets])  # (nfv, nlocal·nel)
    indexing.sort(axis=0)
    nfv, dtype = indexing.shape[0], indexing.dtype
    keys = _pack_keys(list(indexing), int(nvertices))
    if len(keys) > 1:  # huge vertex numbers: take the facets' vertices from the rows
        order, new, group = _groups(keys)
        del keys
        starts = np.flatnonzero(new)
        facets = np.ascontiguousarray(indexing[:, order[starts]])
    else:  # decode them from the sorted unique keys (the rows are not kept: less memory)
        del indexing
        order, new, group = _groups(keys)
        starts = np.flatnonzero(new)
        unique = keys.pop()[order[starts]]
        facets = np.empty((nfv, starts.size), dtype=dtype)
        for row in range(nfv - 1, -1, -1):
            unique, facets[row] = np.divmod(unique, nvertices)
    t2f = group.reshape(len(local_facets), nel)
    # f2t as build_inverse: the elements of a facet's first and last occurrence in t2f's flat
    # (local facet, element) order; -1 for the second of a boundary facet
    if order.size:
        first = np.minimum.reduceat(order, starts) % nel
        last = np.maximum.reduceat(order, starts) % nel
    else:
        first = last = np.zeros(0, dtype=np.int64)
    f2t = np.vstack([first, last]).astype(np.int32)
    f2t[1, f2t[0] == f2t[1]] = -1
    return facets, t2f, f2t


def _curved_mesh(mesh, points, remap, rows, path):
    """The quadratic mesh (skfem ``MeshTri2``/``MeshTet2``) of a second-order file.

    ``rows`` are the file's elements (vertices first, then one node per edge), in the order of
    ``mesh.t``. Each mid-edge node is assigned to its edge explicitly by the edge's two vertices
    — the node nearest to the edge's chord midpoint, which must give every edge of the element
    exactly one node — so no node-order convention (gmsh's, meshio's or scikit-fem's) is
    assumed. scikit-fem then takes, per element, the vertices (``mesh.t``, the same columns)
    and the edge nodes in the order of its reference edges."""
    dim = mesh.dim()
    nv = dim + 1
    refdom = (skfem.MeshTri2 if dim == 2 else skfem.MeshTet2).elem.refdom
    pairs = np.asarray(refdom.facets if dim == 2 else refdom.edges)
    nel = mesh.nelements
    verts = remap[rows[:, :nv]].T  # (nv, nel) in the file's vertex order, mesh numbering
    mids = points[rows[:, nv:]]  # (nel, nedges, dim)
    # the element's edges in mesh.t's vertex order (scikit-fem's reference edges)
    t = mesh.t
    ends = np.stack([t[pairs[:, 0]], t[pairs[:, 1]]])  # (2, nedges, nel)
    if not np.array_equal(np.sort(verts, axis=0), np.sort(t, axis=0)):
        raise MeshError(f"{path or 'mesh'}: internal: element vertices do not match the mesh")
    chord = 0.5 * (mesh.p[:, ends[0]] + mesh.p[:, ends[1]])  # (dim, nedges, nel)
    # distance of every file node (k) of each element to every edge midpoint (j)
    d = np.linalg.norm(mids.transpose(2, 0, 1)[:, :, :, None]
                       - chord.transpose(0, 2, 1)[:, :, None, :], axis=0)  # (nel, k, j)
    node_of_edge = np.argmin(d, axis=1)  # (nel, j): which file node sits on edge j
    ok = np.all(np.sort(node_of_edge, axis=1) == np.arange(pairs.shape[0]), axis=1)
    # the node must also be nearer to its own edge's midpoint than to any other edge's
    ok &= np.all(np.argmin(d, axis=2)[np.arange(nel)[:, None], node_of_edge]
                 == np.arange(pairs.shape[0]), axis=1)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise MeshError(
            f"{path or 'mesh'}: {int((~ok).sum())} second-order element(s) whose mid-edge "
            f"nodes cannot be matched to their edges (first: element {bad}); the elements "
            "are too strongly curved — refine the mesh near curved boundaries"
        )
    edge_nodes = mids[np.arange(nel)[:, None], node_of_edge]  # (nel, nedges, dim)
    return _quadratic_mesh(mesh.p, t, edge_nodes)


def _quadratic_mesh(p, t, edge_nodes):
    """``MeshTri2``/``MeshTet2`` from vertices ``p`` (dim, nv), elements ``t`` (dim+1, nel) and
    per element the coordinates of its edge nodes in scikit-fem's reference-edge order
    (nel, nedges, dim); the vertices keep their numbering and the elements their order."""
    dim = p.shape[0]
    cls = skfem.MeshTri2 if dim == 2 else skfem.MeshTet2
    nel, nedges = edge_nodes.shape[:2]
    doflocs = np.hstack([p, edge_nodes.reshape(-1, dim).T])
    extra = p.shape[1] + np.arange(nel * nedges).reshape(nel, nedges).T
    try:
        curved = cls(doflocs, np.vstack([t, extra]), validate=False)
    except TypeError:
        curved = cls(doflocs, np.vstack([t, extra]))
    # scikit-fem sized its node array by the input's node count (one node per element edge);
    # keep the vertices and one node per mesh edge
    curved = replace(curved, doflocs=np.ascontiguousarray(curved.doflocs[:, :curved.dofs.N]))
    if not np.array_equal(curved.t, t) or not np.array_equal(curved.p[:, :p.shape[1]], p):
        raise MeshError("internal: the curved mesh renumbered the vertices or elements")
    return curved


def curved_submesh(curved, elements, vertices):
    """The curved mesh restricted to ``elements`` (indices into ``curved.t``); ``vertices`` are
    the parent vertices kept, in the sub-mesh's vertex order (``np.unique`` of the selected
    elements' vertices, as for the linear sub-mesh), so the result matches that sub-mesh."""
    nv = curved.dim() + 1
    remap = np.full(curved.nvertices, -1, dtype=np.int64)
    remap[vertices] = np.arange(len(vertices))
    t = remap[curved.t[:, elements]]
    nodes = curved.dofs.element_dofs[nv:, elements]  # (nedges, nel), reference-edge order
    edge_nodes = curved.doflocs[:, nodes].transpose(2, 1, 0)  # (nel, nedges, dim)
    return _quadratic_mesh(np.ascontiguousarray(curved.p[:, vertices]), t, edge_nodes)


def _planar_points(raw, dim: int, path) -> np.ndarray:
    """Vertex coordinates (n, dim); a 2D mesh must lie in a plane z = const."""
    points = np.asarray(raw.points, dtype=float)
    if dim == 2:
        if points.shape[1] == 3:
            if np.ptp(points[:, 2]) > 1e-12 * max(np.ptp(points[:, :2]), 1.0):
                raise MeshError(f"{path}: 2D mesh does not lie in a plane z = const")
        points = points[:, :2]
    return points


def _oriented(p, t, dim: int, path) -> np.ndarray:
    """``t`` with every element positively oriented; degenerate (zero measure) or inverted
    (orientation disagreeing with the rest) elements are refused.

    An element is degenerate when its measure is zero against its *own* size (see
    :func:`_degenerate_tolerance`), so a tiny well-shaped element of a strongly graded mesh
    (5 nm in a 10 µm box) is accepted and a flat one of any size refused."""
    vol = _signed_measures(p, t)
    bad = np.flatnonzero(np.abs(vol) <= _degenerate_tolerance(p, t))
    if bad.size:
        raise MeshError(
            f"{path or 'mesh'}: {bad.size} degenerate element(s) with zero "
            f"{'area' if dim == 2 else 'volume'} (first: element {bad[0]}); fix the geometry "
            "or re-mesh"
        )
    neg = vol < 0
    if neg.any() and not neg.all():
        first = int(np.flatnonzero(neg)[0] if neg.sum() < (~neg).sum() else np.flatnonzero(~neg)[0])
        count = int(min(neg.sum(), (~neg).sum()))
        raise MeshError(
            f"{path or 'mesh'}: {count} inverted element(s) whose orientation disagrees with the "
            f"rest (first: element {first}); the mesh is folded or its node order is corrupt — "
            "re-mesh (gmsh: Mesh > Optimise, or 'Mesh.Optimize = 1')"
        )
    if neg.all():
        t[[1, 2]] = t[[2, 1]]  # consistently clockwise: just reorder
    return t


_FLAT_RATIO = 1e-10  # |measure| / (longest edge)^dim at or below which an element is flat


def _degenerate_tolerance(p, t) -> np.ndarray:
    """Per element, the measure at or below which it counts as having zero measure.

    ``max(1e-10 ℓ^d, 16 ε R ℓ^(d-1))`` with ℓ the element's longest edge, d the dimension,
    R the largest vertex coordinate of the element (in magnitude) and ε the machine epsilon.
    The first term is scale-free: a regular tetrahedron has V/ℓ³ = 1/(6√2) ≈ 0.12 and an
    equilateral triangle A/ℓ² = √3/4 ≈ 0.43, and even a very poor gmsh sliver (aspect ratio
    10⁴) sits near 1e-5, so 1e-10 refuses only elements whose vertices are coplanar
    (collinear) to ten digits, whatever the element's size relative to the mesh. The second
    term is the rounding of the measure of an element whose vertices lie exactly in a plane
    (on a line) that is not a coordinate plane: its coordinates are rounded to about ε R, so
    its computed measure is of order ε R ℓ^(d-1) rather than 0; this term takes over only for
    elements smaller than about 3e-5 R (their distance from the origin), where the first term
    alone could let a flat element through.
    """
    dim = p.shape[0]
    longest2 = np.zeros(t.shape[1])
    for i in range(dim + 1):
        for j in range(i + 1, dim + 1):
            d = p[:, t[j]] - p[:, t[i]]
            np.maximum(longest2, np.einsum("ij,ij->j", d, d), out=longest2)
    longest = np.sqrt(longest2)
    reach = np.zeros(t.shape[1])
    for i in range(dim + 1):
        np.maximum(reach, np.max(np.abs(p[:, t[i]]), axis=0), out=reach)
    eps = np.finfo(float).eps
    return np.maximum(_FLAT_RATIO * longest ** dim, 16 * eps * reach * longest ** (dim - 1))


def _named_boundaries(mesh, remap, facet_rows, facet_members) -> dict:
    """Boundary name -> mesh facet indices, from the file's named facet groups."""
    boundaries: dict[str, np.ndarray] = {}
    if facet_rows.shape[0] and facet_members:
        facet_index = _match_facets(mesh, remap[facet_rows])
        for name, rows in facet_members.items():
            idx = facet_index[rows]
            idx = idx[idx >= 0]
            if idx.size:
                boundaries[name] = np.unique(idx)
    return boundaries


def _signed_measures(p, t):
    """Signed areas (2D) / volumes (3D) of elements ``t``: the determinant of the edge vectors
    from the first vertex, written out (a batched ``np.linalg.det`` is several times slower)."""
    dim = p.shape[0]
    if dim == 2:
        a, b = p[:, t[1]] - p[:, t[0]], p[:, t[2]] - p[:, t[0]]
        return 0.5 * (a[0] * b[1] - a[1] * b[0])
    if dim == 3:
        a, b, c = (p[:, t[i]] - p[:, t[0]] for i in (1, 2, 3))
        return (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6.0
    edges = np.stack([p[:, t[i]] - p[:, t[0]] for i in range(1, dim + 1)], axis=1)
    return np.linalg.det(np.moveaxis(edges, -1, 0))


def _blocks_with_groups(raw, cell_type: str, gdim: int):
    """All cells of ``cell_type`` stacked, and physical-group name -> row indices into them.

    Names come from ``$PhysicalNames`` (meshio ``field_data``) of dimension ``gdim``; groups
    without a name are called ``"physical_<tag>"``. Membership is read from meshio's
    ``cell_sets`` when it has the name (msh 4.1: complete even when an entity is in several
    groups), otherwise from the ``gmsh:physical`` tag of each cell (msh 2.2).
    """
    nverts = _NODES[cell_type]
    blocks = [i for i, b in enumerate(raw.cells) if b.type == cell_type]
    sizes = [len(raw.cells[i].data) for i in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    rows = (np.concatenate([raw.cells[i].data for i in blocks], axis=0) if blocks
            else np.zeros((0, nverts), dtype=np.int64))
    names = {int(v[0]): k for k, v in raw.field_data.items() if int(v[1]) == gdim}
    phys = raw.cell_data.get("gmsh:physical")
    tags = (np.concatenate([np.asarray(phys[i]) for i in blocks]) if phys is not None and blocks
            else None)
    if tags is not None:  # groups without $PhysicalNames entry are still groups
        for tag in np.unique(tags):
            if int(tag) > 0:
                names.setdefault(int(tag), f"physical_{int(tag)}")
    cell_sets = getattr(raw, "cell_sets", None) or {}
    members: dict[str, np.ndarray] = {}
    for tag, name in names.items():
        sets = cell_sets.get(name)
        if sets is not None and len(sets) == len(raw.cells):
            parts = [offsets[j] + np.asarray(sets[i], dtype=np.int64)
                     for j, i in enumerate(blocks) if sets[i] is not None and len(sets[i])]
            idx = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        elif tags is not None:
            idx = np.flatnonzero(tags == tag)
        else:
            continue
        if idx.size:
            members[name] = idx
    return rows, members


def _unique_rows(rows: np.ndarray, nkey: int | None = None):
    """Unique cells (by vertex set — the first ``nkey`` columns, default all —, first
    occurrence's node order kept) and the map row -> cell."""
    key = np.sort(rows[:, :nkey], axis=1)
    if not key.size:
        return rows, np.zeros(rows.shape[0], dtype=np.int64)
    order, new, group = _groups(_pack_keys(list(key.T), int(key.max()) + 1))
    del key
    if new.all():  # no duplicates (the usual case): the rows as they are
        return rows, np.arange(rows.shape[0], dtype=np.int64)
    first = np.minimum.reduceat(order, np.flatnonzero(new))  # each group's first row
    keep = np.argsort(first)  # keep file order
    rank = np.empty_like(keep)
    rank[keep] = np.arange(keep.size)
    return rows[first[keep]], rank[group]


def _match_facets(mesh, facet_nodes: np.ndarray) -> np.ndarray:
    """Index into ``mesh.facets`` of each row of ``facet_nodes`` (-1 if not a mesh facet)."""
    mf = np.sort(mesh.facets, axis=0)
    q = np.sort(facet_nodes, axis=1)
    if not q.size or not mf.size:
        return np.full(q.shape[0], -1, dtype=np.int64)
    base = int(max(mf.max(), q.max())) + 1
    mkeys, qkeys = _pack_keys(list(mf), base), _pack_keys(list(q.T), base)
    if len(mkeys) > 1:  # huge vertex numbers: group the facets and the queries together
        nf = mf.shape[1]
        _, new, group = _groups([np.concatenate([a, b]) for a, b in zip(mkeys, qkeys,
                                                                       strict=True)])
        facet_of_group = np.full(int(new.sum()), -1, dtype=np.int64)
        facet_of_group[group[:nf]] = np.arange(nf)
        return facet_of_group[group[nf:]]
    mk, qk = mkeys[0], qkeys[0]
    order = None if np.all(mk[1:] > mk[:-1]) else np.argsort(mk)  # scikit-fem's are sorted
    pos = np.clip(np.searchsorted(mk, qk, sorter=order), 0, len(mk) - 1)
    if order is not None:
        pos = order[pos]
    return np.where(mk[pos] == qk, pos, -1)


def domain_from_skfem(mesh: skfem.Mesh, length_unit: LengthLike = "um", regions: dict | None = None,
                      boundaries: dict | None = None) -> Domain:
    """Wrap an in-memory scikit-fem mesh. ``regions``/``boundaries`` default to the mesh's
    ``subdomains``/``boundaries`` (skfem tags), else one region and one boundary."""
    unit = parse_length(length_unit, "length_unit")
    if regions is None:
        regions = dict(getattr(mesh, "subdomains", None) or {})
    if boundaries is None:
        boundaries = dict(getattr(mesh, "boundaries", None) or {})
    return Domain(mesh, unit, {k: np.asarray(v) for k, v in regions.items()},
                  {k: np.asarray(v) for k, v in boundaries.items()})


def _unit_name(length_unit: float) -> str:
    for name, value in (("m", 1.0), ("mm", 1e-3), ("um", 1e-6), ("nm", 1e-9)):
        if np.isclose(length_unit, value, rtol=1e-12):
            return name
    return f"{length_unit:g} m"
