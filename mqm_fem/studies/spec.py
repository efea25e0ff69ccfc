"""Sweeps described in TOML (``mqm-fem sweep spec.toml``).

Example::

    store = "ring_sweep"            # the store directory, relative to this file

    [task]
    kind = "phase"                  # london | phase | nucleation | schrodinger
    geometry = { kind = "annulus", inner_radius = 0.9, outer_radius = 1.1, h = 0.05 }
    # mesh = "ring.msh"             # instead of geometry (relative to this file)
    length_unit = "um"

    [task.fixed]                    # solver keyword arguments common to every point
    xi0 = "100 nm"
    order = 1

    [temperature]                   # optional: lets the grid vary "temperature" (K)
    tc = 9.2
    lambda0 = "50 nm"
    xi0 = "100 nm"

    [grid]
    mode = "product"                # or "zip"
    field = { start = 0, stop = 4, num = 201, unit = "mT" }   # or a list [0, "1 mT", ...]
    "geometry.inner_radius" = [0.8, 0.9]

    [options]                       # all optional
    workers = 2                     # (--workers on the command line runs locally instead)
    scheduler = "tcp://host:8786"
    on_change = "refuse"            # or "restart"
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from ..parallel import Grid, product, zipped
from ..temperature import TemperatureModel
from ..units import as_path
from .task import Task

__all__ = ["load_spec"]

_OPTIONS = {"workers", "scheduler", "on_change"}


def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ParameterError(f"{path}: reading TOML on Python 3.10 needs tomli "
                                 "(pip install tomli)") from None
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ParameterError(f"spec: {path} does not exist") from None
    except OSError as exc:
        raise ParameterError(f"spec: cannot read {path} ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"spec {path}: not valid TOML ({exc})") from None


def _values(path, name, value) -> list:
    if isinstance(value, dict):
        unknown = set(value) - {"start", "stop", "num", "unit"}
        if unknown or not {"start", "stop", "num"} <= set(value):
            raise ParameterError(
                f"{path} [grid] {name}: a range is {{start = ..., stop = ..., num = ...}} with "
                f"an optional unit, got {value!r}")
        import numpy as np

        num = value["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ParameterError(f"{path} [grid] {name}: num must be a whole number >= 1, got "
                                 f"{num!r}")
        for end in ("start", "stop"):
            if isinstance(value[end], bool) or not isinstance(value[end], (int, float)):
                raise ParameterError(f"{path} [grid] {name}: {end} must be a number (the unit "
                                     f"goes in unit = ...), got {value[end]!r}")
        numbers = [float(v) for v in np.linspace(value["start"], value["stop"], num)]
        unit = value.get("unit")
        return [f"{v:.12g} {unit}" for v in numbers] if unit else numbers
    if isinstance(value, list):
        return value
    return [value]


def load_spec(path) -> tuple[Task, Grid, Path, dict]:
    """Read a sweep specification (TOML, see the module docstring).

    Returns ``(task, grid, store_directory, options)``; relative paths (mesh, store) are taken
    relative to the specification's directory. Every problem is a :class:`ParameterError`
    naming the file and the entry.
    """
    path = as_path(path, "spec")
    data = _toml(path)
    base = path.parent
    unknown = set(data) - {"store", "task", "temperature", "grid", "options"}
    if unknown:
        raise ParameterError(f"{path}: unknown entries {sorted(unknown)} (expected store, "
                             "[task], [temperature], [grid], [options])")
    if "task" not in data or "grid" not in data:
        raise ParameterError(f"{path}: needs a [task] and a [grid] table")
    for table in ("task", "temperature", "grid", "options"):
        if table in data and not isinstance(data[table], dict):
            raise ParameterError(f"{path}: {table} must be a table [{table}], got "
                                 f"{data[table]!r}")
    if "store" in data and not isinstance(data["store"], str):
        raise ParameterError(f"{path}: store must be a directory name (a string), got "
                             f"{data['store']!r}")
    t = dict(data["task"])
    unknown = set(t) - {"kind", "mesh", "geometry", "length_unit", "fixed", "write_fields"}
    if unknown:
        raise ParameterError(f"{path} [task]: unknown entries {sorted(unknown)} (expected "
                             "kind, mesh, geometry, length_unit, fixed, write_fields)")
    if "kind" not in t:
        raise ParameterError(f"{path} [task]: give kind (london, phase, nucleation, "
                             "schrodinger)")
    model = None
    if "temperature" in data:
        temp = dict(data["temperature"])
        unknown = set(temp) - {"tc", "lambda0", "xi0"}
        if unknown or "tc" not in temp:
            raise ParameterError(f"{path} [temperature]: expected tc and optional lambda0, xi0, "
                                 f"got {sorted(temp)}")
        model = TemperatureModel(tc=temp["tc"], penetration_depth_0=temp.get("lambda0"),
                                 coherence_length_0=temp.get("xi0"))
    mesh = t.get("mesh")
    if mesh is not None:
        mesh = base / str(mesh)
        if not mesh.is_file():
            raise ParameterError(f"{path} [task] mesh: {mesh} does not exist")
        mesh = str(mesh)
    task = Task(kind=t["kind"], mesh=mesh, geometry=t.get("geometry"),
                length_unit=t.get("length_unit", "um"), fixed=t.get("fixed", {}),
                temperature=model, write_fields=t.get("write_fields", False))
    g = dict(data["grid"])
    mode = g.pop("mode", "product")
    if mode not in ("product", "zip"):
        raise ParameterError(f"{path} [grid] mode: expected 'product' or 'zip', got {mode!r}")
    if not g:
        raise ParameterError(f"{path} [grid]: give at least one parameter list")
    lists = {name: _values(path, name, value) for name, value in g.items()}
    grid = (product if mode == "product" else zipped)(**lists)
    task.check_parameters(grid.names)
    task.check_values(grid)
    store = data.get("store", path.stem)
    options = dict(data.get("options", {}))
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ParameterError(f"{path} [options]: unknown entries {sorted(unknown)} (expected "
                             f"{', '.join(sorted(_OPTIONS))})")
    return task, grid, base / store, options
