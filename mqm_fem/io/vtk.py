"""Results as VTK files for ParaView: ``.vtu`` meshes with named arrays and ``.pvd`` series.

The last step of the data flow mesh → problem → solve → solution → derived fields → **export**
(physics.md §3). A :func:`write_vtu` file holds

* the mesh: points in **metres** (mesh coordinates × ``domain.length_unit``; 2D meshes get
  z = 0), linear triangles (2D) or tetrahedra (3D), positively oriented;
* ``point_data`` (one row per mesh vertex) and ``cell_data`` (one row per element), in SI, with
  the names of physics.md §3 (``A``, ``B``, ``J``; ``psi_re``, ``psi_im``, ``density``, ...).
  Scalars are written as they are; vectors of 2 or 3 components as 3-component VTK vectors
  (2D vectors padded with z = 0) so that ParaView's glyphs and stream tracers accept them;
* a cell array ``region`` (int: the index of the element's region in ``domain.regions``, -1 if
  unassigned) and a string field array ``region_names`` giving the name of each index;
* ``field_data``: scalar and small-array results (``magnetic_moment``, ``eigenvalues``, energies,
  fluxoids), numbers or strings;
* ``units``: a string field array of ``"name=unit"`` entries, repeated in a JSON sidecar
  ``<file>.vtu.json`` (``{"units": {...}, "length_unit": "m", "field_data": {...}, ...}``) that
  also holds the field data in plain JSON.

Complex arrays are refused (write ``psi_re``/``psi_im``), as are non-finite values and arrays of
the wrong length; every error is a :class:`~mqm_fem.errors.ParameterError` naming the array.
Files are written atomically: to a temporary file in the target directory, then ``os.replace``;
after an error no partial file is left behind. Validated by ``tests/test_export.py`` (read-back
with pyvista, integrals with ``integrate_data``, and ParaView's ``pvbatch`` when installed).
"""

from __future__ import annotations

import json
import math
import os
import uuid
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from ..errors import MeshError, MqmFemWarning, ParameterError
from ..mesh import Domain

RESERVED_CELL_ARRAY = "region"
SIDECAR_FORMAT = "mqm_fem-vtu-sidecar-1"
_VTK_TRIANGLE = 5
_VTK_TETRA = 10


# ----------------------------------------------------------------------------------------------
# public API
def write_vtu(path, domain: Domain, point_data=None, cell_data=None, field_data=None,
              units=None) -> Path:
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
        arrays, or strings.
    units : dict[str, str], optional
        Array name -> unit string (``{"B": "T", "J": "A/m^2"}``). Written as the string field
        array ``units`` (``"B=T"``) and to the sidecar ``<path>.json``.

    Returns
    -------
    Path
        The written ``.vtu`` file. The sidecar is ``path.with_name(path.name + ".json")``.

    Raises
    ------
    ParameterError
        Wrong suffix, wrong array length or shape, complex or non-finite values, bad names.
    """
    path = _check_suffix(path, ".vtu", "path")
    grid, sidecar = _build(domain, point_data, cell_data, field_data, units, vtu_name=path.name)
    _atomic_write([
        (path, lambda tmp: _write_grid(grid, tmp)),
        (sidecar_path(path), lambda tmp: _write_text(tmp, json.dumps(sidecar, indent=2))),
    ])
    return path


def write_pvd(path, entries) -> Path:
    """Write a ParaView collection ``path`` (``.pvd``) of ``.vtu`` files.

    ``entries`` is a sequence of ``(parameter_value, vtu_path)``; the value becomes the
    collection's ``timestep`` (the field, the temperature ... of a sweep), files are referenced
    relative to the ``.pvd``'s directory. Values must be real, finite and distinct (use the frame
    index as value for a sweep that returns to an earlier value, e.g. a hysteresis loop); the
    ``.vtu`` files must exist. Written atomically.
    """
    path = _check_suffix(path, ".pvd", "path")
    entries = list(entries)
    if not entries:
        raise ParameterError("write_pvd: entries is empty; give a list of (value, vtu_path)")
    base = os.path.abspath(path.parent)
    rows, seen = [], {}
    for k, entry in enumerate(entries):
        try:
            value, vtu = entry
        except (TypeError, ValueError):
            raise ParameterError(
                f"write_pvd: entries[{k}] must be a pair (parameter_value, vtu_path), "
                f"got {entry!r}"
            ) from None
        value = _real_scalar(value, f"entries[{k}] parameter value")
        if value in seen:
            raise ParameterError(
                f"write_pvd: parameter value {value!r} appears twice (entries[{seen[value]}] and "
                f"entries[{k}]); ParaView needs distinct time steps: use the frame index instead"
            )
        seen[value] = k
        vtu = Path(vtu)
        if vtu.suffix.lower() != ".vtu":
            raise ParameterError(f"write_pvd: entries[{k}] file {vtu} is not a .vtu file")
        if not vtu.is_file():
            raise ParameterError(f"write_pvd: entries[{k}] file {vtu} does not exist")
        rel = Path(os.path.relpath(os.path.abspath(vtu), base)).as_posix()
        rows.append(f'    <DataSet timestep="{value!r}" group="" part="0" file={quoteattr(rel)}/>')
    text = "\n".join([
        '<?xml version="1.0"?>',
        '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
        "  <Collection>",
        *rows,
        "  </Collection>",
        "</VTKFile>",
        "",
    ])
    _atomic_write([(path, lambda tmp: _write_text(tmp, text))])
    return path


def write_series(path_pvd, domain: Domain, frames, units=None) -> Path:
    """Write one ``.vtu`` per frame next to ``path_pvd`` and the ``.pvd`` collecting them.

    ``frames`` is a sequence of dicts with optional keys ``point_data``, ``cell_data``,
    ``field_data``, ``units`` (merged over the common ``units``) and ``value`` (the parameter
    value, default the frame index). Frame ``k`` is written as ``<stem>_<k:04d>.vtu`` in the
    directory of ``path_pvd``. All files appear together or not at all (every frame is validated
    and written to a temporary file before any is renamed). Returns the ``.pvd`` path.
    """
    path_pvd = _check_suffix(path_pvd, ".pvd", "path_pvd")
    frames = list(frames)
    if not frames:
        raise ParameterError("write_series: frames is empty")
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
                                   vtu_name=vtu.name)
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
    _atomic_write(jobs)
    return write_pvd(path_pvd, entries)


def read_vtu(path):
    """Read a ``.vtu`` file as a :class:`pyvista.UnstructuredGrid` (units: see
    :func:`read_sidecar`)."""
    path = Path(path)
    if path.suffix.lower() != ".vtu":
        raise ParameterError(f"read_vtu: {path} is not a .vtu file")
    if not path.is_file():
        raise MeshError(f"read_vtu: {path} does not exist")
    import pyvista as pv

    try:
        grid = pv.read(path)
    except Exception as exc:  # vtk/pyvista raise several types
        raise MeshError(f"read_vtu: cannot read {path}: {exc}") from exc
    if grid.n_points == 0:
        raise MeshError(f"read_vtu: {path} holds no points (empty or not a VTK XML file)")
    return grid


def sidecar_path(path) -> Path:
    """The JSON sidecar of a ``.vtu``: ``result.vtu`` -> ``result.vtu.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def read_sidecar(path) -> dict:
    """The JSON sidecar (units, length unit, field data, region names) of a ``.vtu``."""
    side = sidecar_path(path)
    if not side.is_file():
        raise MeshError(f"no sidecar {side} next to {path} (was it written by mqm_fem?)")
    return json.loads(side.read_text())


# ----------------------------------------------------------------------------------------------
# building the grid
def _build(domain, point_data, cell_data, field_data, units, vtu_name):
    """Validate everything and return ``(pyvista grid, sidecar dict)``; writes nothing."""
    import pyvista as pv

    if not isinstance(domain, Domain):
        raise ParameterError(f"domain must be a mqm_fem Domain, got {type(domain).__name__}")
    mesh = domain.mesh
    dim = mesh.dim()
    nv, ne = mesh.nvertices, mesh.nelements
    points = np.zeros((nv, 3))
    points[:, :dim] = np.asarray(mesh.p, dtype=float).T * domain.length_unit
    cells = _oriented_cells(np.asarray(mesh.p, dtype=float), np.asarray(mesh.t))
    nn = cells.shape[1]
    vtk_cells = np.hstack([np.full((ne, 1), nn, dtype=np.int64), cells]).ravel()
    celltypes = np.full(ne, _VTK_TRIANGLE if dim == 2 else _VTK_TETRA, dtype=np.uint8)
    grid = pv.UnstructuredGrid(vtk_cells, celltypes, points)

    point_data = _as_dict(point_data, "point_data")
    cell_data = _as_dict(cell_data, "cell_data")
    field_data = _as_dict(field_data, "field_data")
    if RESERVED_CELL_ARRAY in cell_data:
        raise ParameterError(
            f"cell_data: the name {RESERVED_CELL_ARRAY!r} is reserved for the region index that "
            "write_vtu adds itself; rename your array"
        )
    for reserved in ("region_names", "units"):
        if reserved in field_data:
            raise ParameterError(
                f"field_data: the name {reserved!r} is reserved (write_vtu adds it); rename it"
            )

    info = {"point_data": {}, "cell_data": {}, "field_data": {}}
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

    json_fields = {}
    for name, value in field_data.items():
        arr, plain = _field_array(value, f"field_data[{name!r}]")
        grid.field_data[name] = arr
        json_fields[name] = plain
    region_names = [str(n) for n in domain.regions]
    grid.field_data["region_names"] = np.array(region_names or [""], dtype=str)

    units = _check_units(units)
    known = set(point_data) | set(cell_data) | set(field_data) | {RESERVED_CELL_ARRAY}
    stray = sorted(set(units) - known)
    if stray:
        warnings.warn(f"units given for {stray}, which are not arrays of this file "
                      f"(arrays: {sorted(known)})", MqmFemWarning, stacklevel=3)
    all_units = {"coordinates": "m", **units}
    grid.field_data["units"] = np.array([f"{k}={v}" for k, v in all_units.items()], dtype=str)
    for kind in ("point_data", "cell_data"):
        for name, entry in info[kind].items():
            if name in units:
                entry["unit"] = units[name]

    sidecar = {
        "format": SIDECAR_FORMAT,
        "vtu": vtu_name,
        "length_unit": "m",
        "mesh_length_unit": float(domain.length_unit),
        "dimension": int(dim),
        "nvertices": int(nv),
        "nelements": int(ne),
        "units": all_units,
        "region_names": region_names,
        "point_data": info["point_data"],
        "cell_data": info["cell_data"],
        "field_data": json_fields,
    }
    return grid, sidecar


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
    if isinstance(value, str):
        return np.array([value], dtype=str), value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return np.array(value, dtype=str), list(value)
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


def _check_suffix(path, suffix, label):
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise ParameterError(f"{label}: {path} must end in {suffix} (got {path.suffix!r})")
    if path.exists() and path.is_dir():
        raise ParameterError(f"{label}: {path} is a directory")
    return path


# ----------------------------------------------------------------------------------------------
# atomic writing
def _write_grid(grid, tmp):
    import vtk

    writer = vtk.vtkXMLUnstructuredGridWriter()
    writer.SetFileName(str(tmp))
    writer.SetInputData(grid)
    writer.SetDataModeToAppended()
    writer.EncodeAppendedDataOff()  # raw binary
    writer.SetCompressorTypeToZLib()
    if writer.Write() != 1:
        raise OSError(f"VTK could not write {tmp}")


def _write_text(tmp, text):
    Path(tmp).write_text(text, encoding="utf-8")


def _atomic_write(jobs):
    """``jobs``: list of ``(final_path, write(tmp_path))``. Every file is written to a temporary
    file in its target directory; only when all succeeded are they renamed into place. On any
    error the temporary files are removed and the exception propagates."""
    temps = []
    try:
        for final, write in jobs:
            final = Path(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            # a fresh name (not mkstemp: its 0600 mode would survive the rename; this honours
            # the umask like any other file the user writes)
            tmp = final.parent / f".{final.name}.{uuid.uuid4().hex[:12]}.tmp"
            temps.append((tmp, final))
            write(tmp)
        for tmp, final in temps:
            os.replace(tmp, final)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
