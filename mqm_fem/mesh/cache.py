"""On-disk cache of parsed meshes, so that loading a large gmsh file a second time is a read of
a few uncompressed arrays instead of a parse.

An entry is one ``.npz`` file (uncompressed, no pickles) named by the SHA-256 of the mesh file's
bytes and a tag of everything else the parsed arrays depend on (requested dimension, mqm_fem
and scikit-fem versions, this module's entry format). Entries are written atomically (temporary
file in the cache directory, then :func:`os.replace`), so a reader never sees half an entry. An
entry that cannot be read is ignored (and rewritten by the caller); a cache directory that
cannot be created or written just means no cache — the cache never raises.

Where: ``$MQM_FEM_CACHE`` if set (``off``, ``0``, ``false``, ``no`` or ``none`` disables the
cache), else ``$XDG_CACHE_HOME/mqm_fem``, else ``~/.cache/mqm_fem``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

#: environment variable naming the cache directory (or switching the cache off)
CACHE_ENV = "MQM_FEM_CACHE"
#: values of ``$MQM_FEM_CACHE`` that disable the cache
OFF_VALUES = frozenset({"off", "0", "false", "no", "none"})
#: layout of an entry; bump when the stored arrays change meaning
ENTRY_FORMAT = 1


def cache_dir() -> Path | None:
    """The cache directory, or None if the cache is switched off (``MQM_FEM_CACHE=off``)."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() in OFF_VALUES:
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):  # no home directory: no cache
            return None
    return Path(base) / "mqm_fem"


def entry_path(directory: Path, sha256: str, **depends) -> Path:
    """The entry for a file with content hash ``sha256``; ``depends`` are the other inputs of
    the parse (JSON-serialisable), folded into a short tag of the file name."""
    from .._version import __version__

    try:
        from importlib.metadata import version

        skfem_version = version("scikit-fem")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        skfem_version = "?"
    tag = json.dumps({"format": ENTRY_FORMAT, "mqm_fem": __version__, "skfem": skfem_version,
                      **depends}, sort_keys=True)
    return directory / f"mesh-{sha256}-{hashlib.sha256(tag.encode()).hexdigest()[:16]}.npz"


def read_entry(path: Path) -> tuple[dict, dict[str, np.ndarray]] | None:
    """``(metadata, arrays)`` of an entry, or None if it is missing, unreadable or corrupt."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(str(arrays.pop("meta")[()]))
        if not isinstance(meta, dict) or meta.get("format") != ENTRY_FORMAT:
            return None
        return meta, arrays
    except Exception:  # missing, truncated, not a zip, bad JSON, ...: a miss
        return None


def write_entry(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> bool:
    """Write an entry atomically; False (and nothing left behind) if that is not possible."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps({**meta, "format": ENTRY_FORMAT})),
                     **arrays)
        os.replace(tmp, path)
        return True
    except (OSError, ValueError):  # read-only or full disk, ...: no cache, no error
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
