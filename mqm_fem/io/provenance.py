"""Provenance of a result file: which program, version, command, mesh file and settings made it.

:func:`provenance` returns a plain JSON-ready dict. The writers
(:func:`~mqm_fem.io.write_vtu`, :func:`~mqm_fem.io.write_series`, :func:`~mqm_fem.io.write_pvd`)
put it into the JSON sidecar under ``"provenance"`` and into the ``.vtu`` field data as one
text array ``provenance_<key>`` per entry (strings as they are, anything else JSON-encoded), so
it travels with the file into ParaView, pyvista and meshio.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import shlex
import sys
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import ParameterError
from ..mesh.domain import file_sha256

#: the keys :func:`provenance` always fills in (details may not reuse them)
BASE_KEYS = ("mqm_fem_version", "python_version", "platform", "command_line", "created_utc",
             "mesh_file", "mesh_sha256")



def provenance(domain=None, **details) -> dict:
    """The provenance record of a result computed on ``domain``.

    Returns a dict with

    * ``mqm_fem_version`` (package version), ``python_version``, ``platform``;
    * ``command_line``: ``shlex.join(sys.argv)`` (the ``mqm-fem`` command, or the script);
    * ``created_utc``: the current time, ISO 8601 with offset (``2025-01-31T12:00:00+00:00``);
    * ``mesh_file`` (absolute path) and ``mesh_sha256`` (hex digest of its bytes) when
      ``domain.source`` is an existing file — a mesh generated or built in memory has neither;
      the hash is cached per path, modification time and size, so repeated writes of a series do
      not read the mesh again;
    * every keyword of ``details`` (formulation, solver, ndofs, timings ...): numbers, strings,
      booleans, None, lists and small dicts of these; numpy scalars and arrays become numbers and
      lists, a non-finite float the string ``"nan"``/``"inf"``/``"-inf"`` (JSON has none).

    Raises :class:`ParameterError` for a detail that reuses a key above or whose value cannot be
    written as JSON (the message names the key).
    """
    record = {
        "mqm_fem_version": __version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "command_line": shlex.join(sys.argv),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
    }
    source = getattr(domain, "source", None)
    if source:
        mesh_file = Path(source).absolute()
        record["mesh_file"] = str(mesh_file)
        digest = getattr(domain, "source_sha256", None) or file_sha256(mesh_file)
        if digest is not None:
            record["mesh_sha256"] = digest
    for key, value in details.items():
        if key in BASE_KEYS:
            raise ParameterError(
                f"provenance: detail {key!r} would replace the recorded {key}; use another name"
            )
        record[key] = jsonable(value, f"provenance[{key!r}]")
    return record


def check_provenance(record, label: str = "provenance") -> dict:
    """A provenance dict made JSON-ready (keys strings, values as in :func:`provenance`)."""
    if not isinstance(record, dict):
        raise ParameterError(
            f"{label} must be a dict (see mqm_fem.io.provenance), got {type(record).__name__}"
        )
    return jsonable(record, label)


def jsonable(value, label: str):
    """``value`` as plain JSON types (dict with str keys, list, str, int, float, bool, None)."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.size > 10_000:
            raise ParameterError(
                f"{label}: arrays in the provenance must be real numbers and small (at most "
                f"10000 entries), got dtype {value.dtype}, size {value.size}"
            )
        return [jsonable(v, label) for v in value.tolist()] if value.ndim else \
            jsonable(value.item(), label)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, f"{label}[{k}]") for k, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise ParameterError(f"{label}: keys must be non-empty strings, got {key!r}")
            out[key] = jsonable(item, f"{label}[{key!r}]")
        return out
    raise ParameterError(
        f"{label}: a {type(value).__name__} cannot be recorded; give numbers, strings, lists or "
        "dicts of these"
    )
