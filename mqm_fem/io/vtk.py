"""Results as VTK files for ParaView: ``.vtu`` meshes with named arrays and ``.pvd`` series.

The last step of the data flow mesh → problem → solve → solution → derived fields → **export**.
A :func:`write_vtu` file holds

* the mesh: points in **metres** (mesh coordinates × ``domain.length_unit``; 2D meshes get
  z = 0), linear triangles (2D) or tetrahedra (3D), positively oriented;
* ``point_data`` (one row per mesh vertex) and ``cell_data`` (one row per element), in SI, with
  the names the solutions use (``A``, ``B``, ``J``; ``psi_re``, ``psi_im``, ``density``, ...).
  Scalars are written as they are; vectors of 2 or 3 components as 3-component VTK vectors
  (2D vectors padded with z = 0) so that ParaView's glyphs and stream tracers accept them;
* a cell array ``region`` (int: the index of the element's region in ``domain.regions``, -1 if
  unassigned) and a text field array ``region_names`` giving the name of each index;
* ``field_data``: scalar and small-array results (``magnetic_moment``, ``eigenvalues``, energies,
  fluxoids), numbers or text;
* ``units``: a text field array of ``"name=unit"`` entries;
* ``provenance_<key>``: one text field array per entry of the provenance record
  (:func:`mqm_fem.io.provenance`: package version, command line, creation time, mesh file and
  its SHA-256, solver settings ...), strings as they are, other values JSON-encoded;
* a JSON sidecar ``<file>.vtu.json`` (``{"units": {...}, "length_unit": "m", "field_data":
  {...}, "provenance": {...}, ...}``) repeating the units, field data and provenance in plain
  JSON.

Encoding: VTK XML version 1.0, every array inline as base64 of zlib-compressed blocks with
UInt64 headers (``format="binary"``, ``compressor="vtkZLibDataCompressor"``): well-formed XML
that VTK/pyvista, ParaView and meshio all read, about a third the size of plain base64.
**Text** field arrays are stored as ``UInt8`` arrays of UTF-8 bytes, each value terminated by a
NUL byte (the byte layout of VTK's own string arrays), marked by the component name
``utf-8 text``: meshio's VTU reader refuses VTK ``String`` arrays (the whole file!), so text in
that form would make our files unreadable there. :func:`read_vtu` turns them back into string
arrays; with other readers use :func:`decode_text` (``decode_text(mesh.field_data["units"])``).

Complex arrays are refused (write ``psi_re``/``psi_im``), as are non-finite values and arrays of
the wrong length; every such error is a :class:`~mqm_fem.errors.ParameterError` naming the
array. The output path is checked first (:func:`~mqm_fem.io.check_writable`), and files are
written atomically: to a temporary file in the target directory, then ``os.replace``; after an
error or an interrupt no partial file is left behind; a file that cannot be written raises
:class:`~mqm_fem.errors.OutputError` naming it. VTK prints nothing: it encodes into memory with
its message window captured. Validated by ``tests/test_export.py`` (read-back with pyvista and
meshio, integrals with ``integrate_data``, and ParaView's ``pvbatch`` when installed).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from ..errors import MeshError, MqmFemWarning, ParameterError
from ..mesh import Domain
from ..units import PathLike
from .files import atomic_write, check_writable
from .provenance import check_provenance
from .provenance import provenance as make_provenance

RESERVED_CELL_ARRAY = "region"
RESERVED_FIELD_ARRAYS = ("region_names", "units")
PROVENANCE_PREFIX = "provenance_"
SIDECAR_FORMAT = "mqm_fem-vtu-sidecar-1"
PVD_SIDECAR_FORMAT = "mqm_fem-pvd-sidecar-1"
#: component name marking a UInt8 field array as UTF-8 text (values NUL-terminated)
TEXT_MARKER = "utf-8 text"
_VTK_TRIANGLE = 5
_VTK_TETRA = 10


# ----------------------------------------------------------------------------------------------
# public API
def write_vtu(path: PathLike, domain: Domain, point_data: dict | None = None,
              cell_data: dict | None = None, field_data: dict | None = None,
              units: dict | None = None, provenance: dict | bool | None = None) -> Path:
    """Write ``domain`` with named arrays as a VTK unstructured grid ``path`` (``.vtu``).

    Parameters
    ----------
    path : str or Path
        Target file; suffix ``.vtu``. Parent directories are created.
    domain : Domain
        The mesh and its regions; points are written in metres.
    point_data, cell_data : dict[str, array_like], optional
        Arrays with ``domain.mesh.nvertices`` resp. ``domain.mesh.nelements`` rows: shape
        ``(n,)`` (scalar), ``(n, 1)``, ``(n, 2)`` or ``(n, 3)`` (vectors, written with 3
        components), real and finite. ``cell_data`` may not use the reserved name ``region``.
    field_data : dict[str, number | array_like | str | list[str]], optional
        Global results (``magnetic_moment``, ``eigenvalues`` ...): real finite numbers or small
        arrays, or text. The names ``region_names``, ``units`` and ``provenance_*`` are reserved.
    units : dict[str, str], optional
        Array name -> unit string (``{"B": "T", "J": "A/m^2"}``). Written as the text field
        array ``units`` (``"B=T"``) and to the sidecar ``<path>.json``.
    provenance : dict or False, optional
        The record of how the result was made, usually ``mqm_fem.io.provenance(domain,
        solver=..., ndofs=...)``; entries missing from it (version, time, command line, mesh
        file and hash) are filled in. Default: just those. ``False`` records none.

    Returns
    -------
    Path
        The written ``.vtu`` file. The sidecar is ``path.with_name(path.name + ".json")``.

    Raises
    ------
    ParameterError
        Wrong suffix, wrong array length or shape, complex or non-finite values, bad names.
    OutputError
        The file cannot be written (no such writable directory, a parent is a file, disk full);
        raised before anything is written where it can be foreseen.
    """
    path = check_writable(path, ".vtu", "path")
    check_writable(sidecar_path(path), ".json", "path (its sidecar)")
    record = _provenance_record(provenance, domain)
    grid, sidecar = _build(domain, point_data, cell_data, field_data, units, vtu_name=path.name,
                           provenance=record)
    atomic_write([
        (path, lambda tmp: _write_grid(grid, tmp)),
        (sidecar_path(path), lambda tmp: _write_text(tmp, json.dumps(sidecar, indent=2))),
    ])
    return path


def write_surface_vtu(path: PathLike, points, triangles, point_data: dict | None = None,
                      cell_data: dict | None = None, field_data: dict | None = None,
                      units: dict | None = None, domain: Domain | None = None,
                      provenance: dict | bool | None = None) -> Path:
    """Write a triangulated surface in 3D (e.g. the films of a sheet solution) as a ``.vtu``
    with the conventions of :func:`write_vtu` (arrays checked the same way, field data, units,
    provenance, JSON sidecar, atomic write).

    ``points``: (n, 3) coordinates in metres; ``triangles``: (m, 3) vertex indices;
    ``point_data`` / ``cell_data``: arrays with n / m rows; ``domain``: the volume domain the
    surface belongs to (its mesh file and hash go into the provenance), optional.
    """
    import pyvista as pv

    path = check_writable(path, ".vtu", "path")
    check_writable(sidecar_path(path), ".json", "path (its sidecar)")
    pts = np.asarray(points, dtype=float)
    tri = np.asarray(triangles, dtype=np.int64)
    if pts.ndim != 2 or pts.shape[1] != 3 or not np.all(np.isfinite(pts)):
        raise ParameterError(f"points: expected finite (n, 3) coordinates, got shape {pts.shape}")
    if tri.ndim != 2 or tri.shape[1] != 3 or (tri.size and (tri.min() < 0
                                                             or tri.max() >= len(pts))):
        raise ParameterError(f"triangles: expected (m, 3) indices into the {len(pts)} points, "
                             f"got shape {tri.shape}")
    point_data = _as_dict(point_data, "point_data")
    cell_data = _as_dict(cell_data, "cell_data")
    field_data = _as_dict(field_data, "field_data")
    _check_reserved({}, field_data)
    n, m = len(pts), len(tri)
    cells = np.hstack([np.full((m, 1), 3, dtype=np.int64), tri]).ravel()
    grid = pv.UnstructuredGrid(cells, np.full(m, _VTK_TRIANGLE, dtype=np.uint8), pts)
    info = {"point_data": {}, "cell_data": {}}
    for kind, data, rows, per, other in (("point_data", point_data, n, "point", m),
                                         ("cell_data", cell_data, m, "triangle", n)):
        for name, value in data.items():
            arr = _mesh_array(value, f"{kind}[{name!r}]", rows, per,
                              other=(other, "cell_data" if kind == "point_data" else
                                     "point_data"))
            getattr(grid, kind)[name] = arr
            info[kind][name] = {"components": 1 if arr.ndim == 1 else arr.shape[1]}
    json_fields = _add_field_arrays(grid, field_data)
    all_units = _add_units(grid, units, info, set(field_data))
    record = _provenance_record(provenance, domain)
    for key, value in (record or {}).items():
        _set_text(grid, PROVENANCE_PREFIX + key,
                  [value if isinstance(value, str) else json.dumps(value)])
    sidecar = {"format": SIDECAR_FORMAT, "vtu": path.name, "length_unit": "m",
               "dimension": 2, "nvertices": n, "nelements": m, "units": all_units,
               "point_data": info["point_data"], "cell_data": info["cell_data"],
               "field_data": json_fields}
    if record is not None:
        sidecar["provenance"] = record
    atomic_write([
        (path, lambda tmp: _write_grid(grid, tmp)),
        (sidecar_path(path), lambda tmp: _write_text(tmp, json.dumps(sidecar, indent=2))),
    ])
    return path


def write_pvd(path: PathLike, entries: list, provenance: dict | bool | None = None) -> Path:
    """Write a ParaView collection ``path`` (``.pvd``) of ``.vtu`` files, and its JSON sidecar
    ``<path>.json`` (the entries and the provenance).

    ``entries`` is a sequence of ``(parameter_value, vtu_path)``; the value becomes the
    collection's ``timestep`` (the field, the temperature ... of a sweep), files are referenced
    relative to the ``.pvd``'s directory. Values must be real, finite and distinct (use the frame
    index as value for a sweep that returns to an earlier value, e.g. a hysteresis loop); the
    ``.vtu`` files must exist. ``provenance`` as for :func:`write_vtu` (without a mesh: give
    ``mqm_fem.io.provenance(domain, ...)`` to record it). Written atomically.
    """
    path = check_writable(path, ".pvd", "path")
    record = _provenance_record(provenance, None)
    jobs = _pvd_jobs(path, entries, record, "write_pvd", check_files=True)
    atomic_write(jobs)
    return path


def write_series(path_pvd: PathLike, domain: Domain, frames: list, units: dict | None = None,
                 provenance: dict | bool | None = None) -> Path:
    """Write one ``.vtu`` per frame next to ``path_pvd`` and the ``.pvd`` collecting them.

    ``frames`` is a sequence of dicts with optional keys ``point_data``, ``cell_data``,
    ``field_data``, ``units`` (merged over the common ``units``) and ``value`` (the parameter
    value, default the frame index). Frame ``k`` is written as ``<stem>_<k:04d>.vtu`` in the
    directory of ``path_pvd``. ``provenance`` (as for :func:`write_vtu`) is recorded in every
    file. All files appear together or not at all (every frame is validated and written to a
    temporary file before any is renamed). Returns the ``.pvd`` path.
    """
    path_pvd = check_writable(path_pvd, ".pvd", "path_pvd")
    frames = list(frames)
    if not frames:
        raise ParameterError("write_series: frames is empty")
    record = _provenance_record(provenance, domain)
    allowed = {"point_data", "cell_data", "field_data", "units", "value"}
    jobs, entries = [], []
    for k, frame in enumerate(frames):
        if not isinstance(frame, dict):
            raise ParameterError(f"write_series: frames[{k}] must be a dict, got {type(frame)}")
        unknown = sorted(set(frame) - allowed)
        if unknown:
            raise ParameterError(
                f"write_series: frames[{k}] has unknown key(s) {unknown}; valid keys are "
                f"{sorted(allowed)}"
            )
        frame_units = {**(units or {}), **(frame.get("units") or {})}
        vtu = path_pvd.with_name(f"{path_pvd.stem}_{k:04d}.vtu")
        try:
            grid, sidecar = _build(domain, frame.get("point_data"), frame.get("cell_data"),
                                   frame.get("field_data"), frame_units or None,
                                   vtu_name=vtu.name, provenance=record)
        except ParameterError as exc:
            raise ParameterError(f"write_series: frames[{k}]: {exc}") from None
        value = frame.get("value", k)
        entries.append((_real_scalar(value, f"frames[{k}]['value']"), vtu))
        jobs.append((vtu, lambda tmp, g=grid: _write_grid(g, tmp)))
        jobs.append((sidecar_path(vtu),
                     lambda tmp, s=sidecar: _write_text(tmp, json.dumps(s, indent=2))))
    values = [v for v, _ in entries]
    if len(set(values)) != len(values):
        raise ParameterError(
            f"write_series: frame values {values} are not distinct; ParaView needs distinct "
            "time steps: leave 'value' out to use the frame index"
        )
    jobs += _pvd_jobs(path_pvd, entries, record, "write_series", check_files=False)
    atomic_write(jobs)
    return path_pvd


def read_vtu(path: PathLike):
    """Read a ``.vtu`` file as a :class:`pyvista.UnstructuredGrid` (units: see
    :func:`read_sidecar`). Text field arrays written by mqm_fem (``region_names``, ``units``,
    ``provenance_*`` ...) come back as string arrays."""
    path = Path(path)
    if path.suffix.lower() != ".vtu":
        raise ParameterError(f"read_vtu: {path} is not a .vtu file")
    if not path.is_file():
        raise MeshError(f"read_vtu: {path} does not exist")
    import pyvista as pv

    with open(path, "rb") as handle:
        head = handle.read(256).lstrip()
    if not head.startswith((b"<?xml", b"<VTKFile")):  # spare the user VTK's parser errors
        raise MeshError(f"read_vtu: {path} holds no points (not a VTK XML file)")
    with _vtk_messages():
        try:
            grid = pv.read(path)
        except Exception as exc:  # vtk/pyvista raise several types
            raise MeshError(f"read_vtu: cannot read {path}: {exc}") from exc
    if grid.n_points == 0:
        raise MeshError(f"read_vtu: {path} holds no points (empty or not a VTK XML file)")
    _text_arrays_to_strings(grid)
    return grid


def decode_text(values) -> list:
    """The strings of a text field array as any reader returns it: mqm_fem's UTF-8 ``UInt8``
    encoding (e.g. ``meshio.read(f).field_data["units"]`` or pyvista's ``pv.read``), or a string
    array (from :func:`read_vtu`). Returns a list of ``str``."""
    if isinstance(values, str):
        return [values]
    arr = np.asarray(values)
    if arr.dtype.kind in "USO":
        return [str(v) for v in arr.ravel()]
    if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
        raise ParameterError(
            f"decode_text: expected bytes (uint8) of a text array, got dtype {arr.dtype}"
        )
    raw = bytes(arr.astype(np.uint8).ravel())
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    try:
        return raw.decode("utf-8").split("\0")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"decode_text: the bytes are not UTF-8 text: {exc}") from None


def sidecar_path(path) -> Path:
    """The JSON sidecar of a ``.vtu`` or ``.pvd``: ``result.vtu`` -> ``result.vtu.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def read_sidecar(path) -> dict:
    """The JSON sidecar (units, length unit, field data, region names, provenance) of a
    ``.vtu``, or (entries, provenance) of a ``.pvd``."""
    side = sidecar_path(path)
    if not side.is_file():
        raise MeshError(f"no sidecar {side} next to {path} (was it written by mqm_fem?)")
    return json.loads(side.read_text(encoding="utf-8"))


def _provenance_record(given, domain):
    """The provenance to write: the minimal record, updated with ``given``; None for False."""
    if given is False:
        return None
    record = make_provenance(domain if isinstance(domain, Domain) else None)
    if given is not None:
        record.update(check_provenance(given))
    return record


def _pvd_jobs(path, entries, record, who, check_files):
    """The atomic-write jobs of a ``.pvd`` and its sidecar."""
    entries = list(entries)
    if not entries:
        raise ParameterError(f"{who}: entries is empty; give a list of (value, vtu_path)")
    base = os.path.abspath(path.parent)
    rows, listed, seen = [], [], {}
    for k, entry in enumerate(entries):
        try:
            value, vtu = entry
        except (TypeError, ValueError):
            raise ParameterError(
                f"{who}: entries[{k}] must be a pair (parameter_value, vtu_path), got {entry!r}"
            ) from None
        value = _real_scalar(value, f"entries[{k}] parameter value")
        if value in seen:
            raise ParameterError(
                f"{who}: parameter value {value!r} appears twice (entries[{seen[value]}] and "
                f"entries[{k}]); ParaView needs distinct time steps: use the frame index instead"
            )
        seen[value] = k
        vtu = Path(vtu)
        if vtu.suffix.lower() != ".vtu":
            raise ParameterError(f"{who}: entries[{k}] file {vtu} is not a .vtu file")
        if check_files and not vtu.is_file():
            raise ParameterError(f"{who}: entries[{k}] file {vtu} does not exist")
        rel = Path(os.path.relpath(os.path.abspath(vtu), base)).as_posix()
        rows.append(f'    <DataSet timestep="{value!r}" group="" part="0" file={quoteattr(rel)}/>')
        listed.append({"value": value, "file": rel})
    text = "\n".join([
        '<?xml version="1.0"?>',
        '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
        "  <Collection>",
        *rows,
        "  </Collection>",
        "</VTKFile>",
        "",
    ])
    sidecar = {"format": PVD_SIDECAR_FORMAT, "pvd": path.name, "entries": listed}
    if record is not None:
        sidecar["provenance"] = record
    return [(path, lambda tmp: _write_text(tmp, text)),
            (sidecar_path(path), lambda tmp: _write_text(tmp, json.dumps(sidecar, indent=2)))]


# ----------------------------------------------------------------------------------------------
# building the grid
def _build(domain, point_data, cell_data, field_data, units, vtu_name, provenance=None):
    """Validate everything and return ``(pyvista grid, sidecar dict)``; writes nothing."""
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain must be a mqm_fem Domain, got {type(domain).__name__}")
    point_data = _as_dict(point_data, "point_data")
    cell_data = _as_dict(cell_data, "cell_data")
    field_data = _as_dict(field_data, "field_data")
    _check_reserved(cell_data, field_data)
    grid = _empty_grid(domain)
    arrays = _add_mesh_arrays(grid, domain, point_data, cell_data)
    json_fields = _add_field_arrays(grid, field_data)
    region_names = [str(n) for n in domain.regions]
    _set_text(grid, "region_names", region_names or [""])
    all_units = _add_units(grid, units, arrays, set(field_data))
    for key, value in (provenance or {}).items():
        _set_text(grid, PROVENANCE_PREFIX + key,
                  [value if isinstance(value, str) else json.dumps(value)])
    mesh = domain.mesh
    sidecar = {
        "format": SIDECAR_FORMAT,
        "vtu": vtu_name,
        "length_unit": "m",
        "mesh_length_unit": float(domain.length_unit),
        "dimension": int(mesh.dim()),
        "nvertices": int(mesh.nvertices),
        "nelements": int(mesh.nelements),
        "units": all_units,
        "region_names": region_names,
        "point_data": arrays["point_data"],
        "cell_data": arrays["cell_data"],
        "field_data": json_fields,
    }
    if provenance is not None:
        sidecar["provenance"] = provenance
    return grid, sidecar


def _check_reserved(cell_data, field_data) -> None:
    """Refuse array names that write_vtu adds itself."""
    if RESERVED_CELL_ARRAY in cell_data:
        raise ParameterError(
            f"cell_data: the name {RESERVED_CELL_ARRAY!r} is reserved for the region index that "
            "write_vtu adds itself; rename your array"
        )
    for name in field_data:
        if name in RESERVED_FIELD_ARRAYS or name.startswith(PROVENANCE_PREFIX):
            raise ParameterError(
                f"field_data: the name {name!r} is reserved (write_vtu adds "
                f"{'it' if name in RESERVED_FIELD_ARRAYS else 'the provenance_* arrays'}); "
                "rename it"
            )


def _empty_grid(domain):
    """The mesh as a pyvista grid: coordinates in metres, positively oriented cells."""
    import pyvista as pv

    mesh = domain.mesh
    dim, ne = mesh.dim(), mesh.nelements
    points = np.zeros((mesh.nvertices, 3))
    points[:, :dim] = np.asarray(mesh.p, dtype=float).T * domain.length_unit
    cells = _oriented_cells(np.asarray(mesh.p, dtype=float), np.asarray(mesh.t))
    vtk_cells = np.hstack([np.full((ne, 1), cells.shape[1], dtype=np.int64), cells]).ravel()
    celltypes = np.full(ne, _VTK_TRIANGLE if dim == 2 else _VTK_TETRA, dtype=np.uint8)
    return pv.UnstructuredGrid(vtk_cells, celltypes, points)


def _add_mesh_arrays(grid, domain, point_data, cell_data) -> dict:
    """Checked point and cell arrays plus ``region``; returns their sidecar entries."""
    nv, ne = domain.mesh.nvertices, domain.mesh.nelements
    info = {"point_data": {}, "cell_data": {}}
    for name, value in point_data.items():
        arr = _mesh_array(value, f"point_data[{name!r}]", nv, "mesh vertex (nvertices)",
                          other=(ne, "cell_data"))
        grid.point_data[name] = arr
        info["point_data"][name] = {"components": 1 if arr.ndim == 1 else arr.shape[1]}
    for name, value in cell_data.items():
        arr = _mesh_array(value, f"cell_data[{name!r}]", ne, "element (nelements)",
                          other=(nv, "point_data"))
        grid.cell_data[name] = arr
        info["cell_data"][name] = {"components": 1 if arr.ndim == 1 else arr.shape[1]}
    grid.cell_data[RESERVED_CELL_ARRAY] = domain.region_ids().astype(np.int32)
    info["cell_data"][RESERVED_CELL_ARRAY] = {"components": 1}
    return info


def _add_field_arrays(grid, field_data) -> dict:
    """Checked field data (numbers or text); returns their plain JSON form."""
    json_fields = {}
    for name, value in field_data.items():
        arr, plain = _field_array(value, f"field_data[{name!r}]")
        if isinstance(arr, list):
            _set_text(grid, name, arr)
        else:
            grid.field_data[name] = arr
        json_fields[name] = plain
    return json_fields


def _add_units(grid, units, arrays, field_names) -> dict:
    """The ``units`` text array and the unit of each point/cell array in ``arrays``; warns
    about units of arrays the file does not have. Returns all units (with coordinates)."""
    units = _check_units(units)
    known = set(arrays["point_data"]) | set(arrays["cell_data"]) | field_names
    stray = sorted(set(units) - known)
    if stray:
        warnings.warn(f"units given for {stray}, which are not arrays of this file "
                      f"(arrays: {sorted(known)})", MqmFemWarning, stacklevel=4)
    all_units = {"coordinates": "m", **units}
    _set_text(grid, "units", [f"{k}={v}" for k, v in all_units.items()])
    for kind in ("point_data", "cell_data"):
        for name, entry in arrays[kind].items():
            if name in units:
                entry["unit"] = units[name]
    return all_units


def _set_text(grid, name, values):
    """Store the strings ``values`` as the text field array ``name``: UTF-8 bytes, each value
    NUL-terminated, in a UInt8 array with the component name :data:`TEXT_MARKER`."""
    data = "".join(f"{v}\0" for v in values).encode("utf-8")
    grid.field_data[name] = np.frombuffer(data, dtype=np.uint8).copy()
    grid.GetFieldData().GetAbstractArray(name).SetComponentName(0, TEXT_MARKER)


def _text_arrays_to_strings(grid):
    """Replace the text field arrays of a grid read back (UInt8 marked :data:`TEXT_MARKER`) by
    string arrays."""
    fd = grid.GetFieldData()
    names = []
    for i in range(fd.GetNumberOfArrays()):
        arr = fd.GetAbstractArray(i)
        if (arr is not None and arr.GetNumberOfComponents() == 1
                and arr.GetComponentName(0) == TEXT_MARKER):
            names.append(arr.GetName())
    if not names:
        return
    from vtkmodules.vtkCommonCore import vtkStringArray

    for name in names:
        values = decode_text(np.asarray(grid.field_data[name]))
        text = vtkStringArray()  # built directly: pyvista refuses non-ASCII strings
        text.SetName(name)
        text.SetNumberOfValues(len(values))
        for i, value in enumerate(values):
            text.SetValue(i, value)
        fd.RemoveArray(name)
        fd.AddArray(text)


def _oriented_cells(p, t):
    """Element connectivity (ne, nn) with positive orientation (ccw triangles, tets with
    positive volume) — VTK's convention."""
    cells = np.ascontiguousarray(t.T, dtype=np.int64)
    dim = p.shape[0]
    edges = np.stack([p[:, t[i]] - p[:, t[0]] for i in range(1, dim + 1)], axis=1)
    det = np.linalg.det(np.moveaxis(edges, -1, 0))
    flip = det < 0
    cells[flip, 1], cells[flip, 2] = cells[flip, 2].copy(), cells[flip, 1].copy()
    return cells


def _as_dict(data, name):
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{name} must be a dict name -> array, got {type(data).__name__}")
    for key in data:
        if not isinstance(key, str) or not key.strip():
            raise ParameterError(f"{name}: array names must be non-empty strings, got {key!r}")
    return data


def _mesh_array(value, label, n, per, other):
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise ParameterError(
            f"{label} is complex; VTK has no complex arrays: write the real and imaginary parts "
            "as separate arrays (e.g. psi_re, psi_im)"
        )
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int8)
    if arr.dtype.kind not in "iuf":
        raise ParameterError(f"{label} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[1] not in (2, 3)):
        raise ParameterError(
            f"{label} has shape {arr.shape}; expected ({n},) for a scalar or ({n}, 2) / ({n}, 3) "
            "for a vector"
        )
    if arr.shape[0] != n:
        hint = (f" (that is the length of {other[1]}: is this array on the other entity?)"
                if arr.shape[0] == other[0] else "")
        raise ParameterError(
            f"{label} has {arr.shape[0]} rows; expected length {n}, one per {per}{hint}"
        )
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float64, copy=False)
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1) if arr.ndim == 2 else bad)
            raise ParameterError(
                f"{label} has {rows.size} non-finite (NaN/inf) row(s), first at index {rows[0]}; "
                "refusing to write it"
            )
    if arr.ndim == 2 and arr.shape[1] == 2:
        arr = np.hstack([arr, np.zeros((n, 1), dtype=arr.dtype)])
    return np.ascontiguousarray(arr)


def _field_array(value, label):
    """A field-data value as a VTK-ready array plus its plain JSON form."""
    if isinstance(value, str) or (isinstance(value, (list, tuple)) and value
                                  and all(isinstance(v, str) for v in value)):
        texts = [value] if isinstance(value, str) else list(value)
        if any("\0" in t for t in texts):
            raise ParameterError(f"{label} contains a NUL character; text may not")
        return texts, value if isinstance(value, str) else texts
    if isinstance(value, dict):
        raise ParameterError(f"{label} is a dict; field data are numbers, arrays or strings")
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise ParameterError(
            f"{label} is complex; write the real and imaginary parts as separate entries"
        )
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int8)
    if arr.dtype.kind not in "iuf":
        raise ParameterError(f"{label} must be real numbers or strings, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ParameterError(f"{label} is empty")
    if arr.ndim > 2:
        raise ParameterError(f"{label} has shape {arr.shape}; at most 2 dimensions are allowed")
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float64, copy=False)
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{label} contains non-finite values (NaN/inf): {arr}")
    plain = arr.tolist()
    return np.atleast_1d(arr), plain


def _check_units(units):
    if units is None:
        return {}
    if not isinstance(units, dict):
        raise ParameterError(f"units must be a dict name -> unit string, got {type(units)}")
    for key, val in units.items():
        if not isinstance(key, str) or not key.strip() or "=" in key:
            raise ParameterError(f"units: bad array name {key!r} (non-empty, without '=')")
        if not isinstance(val, str):
            raise ParameterError(f"units[{key!r}] must be a unit string such as 'T', got {val!r}")
    return dict(units)


def _real_scalar(value, label):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{label} must be a real number, got {value!r}") from None
    if not math.isfinite(number) or isinstance(value, complex):
        raise ParameterError(f"{label} must be a finite real number, got {value!r}")
    return number


# ----------------------------------------------------------------------------------------------
# writing
def _grid_xml(grid) -> bytes:
    """The ``.vtu`` file of ``grid`` as bytes, encoded by VTK in memory (inline base64, zlib,
    UInt64 headers). VTK's messages are captured instead of printed; a failure raises
    :class:`OSError` with VTK's first message (the caller names the file)."""
    from vtkmodules.vtkIOXML import vtkXMLUnstructuredGridWriter

    writer = vtkXMLUnstructuredGridWriter()
    writer.SetInputData(grid)
    writer.SetDataModeToBinary()  # inline base64: plain XML, read by VTK, ParaView and meshio
    writer.SetCompressorTypeToZLib()
    writer.SetHeaderTypeToUInt64()  # arrays over 4 GiB
    writer.WriteToOutputStringOn()
    with _vtk_messages(writer, writer.GetExecutive()) as messages:
        ok = writer.Write() == 1
    text = writer.GetOutputString() if ok else ""
    if not ok or not text:
        reason = messages[0] if messages else "no output"
        raise OSError(f"VTK could not encode the grid ({reason})")
    return text.encode("utf-8")


@contextlib.contextmanager
def _vtk_messages(*sources):
    """Keep VTK quiet while the block runs. With ``sources`` (VTK objects): their errors and
    warnings are collected, one line each, into the list the block gets, instead of being printed
    (an observer takes them before VTK's log and output window would). Without: every VTK
    message is switched off (VTK's global warning display) for the block."""
    from vtkmodules.vtkCommonCore import vtkObject

    messages = []

    def collect(_obj, _event, text=None):
        lines = [ln.strip() for ln in str(text or "").splitlines() if ln.strip()]
        # "ERROR: In file, line N" then "Class (0x..): message": keep the message
        texts = [ln.split("): ", 1)[-1] for ln in lines if not ln.startswith(("ERROR: In",
                                                                            "Warning: In"))]
        messages.extend(texts or lines)

    collect.CallDataType = "string0"  # VTK passes the message text as call data
    tags = [(src, src.AddObserver(event, collect)) for src in sources
            for event in ("ErrorEvent", "WarningEvent")]
    display = vtkObject.GetGlobalWarningDisplay()
    if not sources:
        vtkObject.GlobalWarningDisplayOff()
    try:
        yield messages
    finally:
        vtkObject.SetGlobalWarningDisplay(display)
        for src, tag in tags:
            src.RemoveObserver(tag)


def _write_grid(grid, tmp):
    Path(tmp).write_bytes(_grid_xml(grid))


def _write_text(tmp, text):
    Path(tmp).write_text(text, encoding="utf-8")
