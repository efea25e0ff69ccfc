"""A sweep's store: a directory that never loses a finished point.

Layout::

    spec.json            {"format", "hash", "spec", "grid"}: what the points belong to
    points/000000.json   one file per finished point, written atomically when it finishes:
                         {"index", "key", "parameters", "status": "ok"|"error", "outputs",
                          "error", "seconds", "worker"[, "files"]}
    fields/000000.vtu    optional fields of the point (with its .vtu.json sidecar), written
                         together with its point file; fields.pvd collects them
    results.csv          tidy table rebuilt from the point files (one row per point: index,
                         parameters, outputs, status, error, seconds, worker; an output named
                         like a parameter or one of these columns gets the column ``out_<name>``)
    points.<time>/       old points put aside by ``open(..., on_change="restart")``, with the
                         old table, spec, fields/, fields.pvd(.json) and summary.png

A non-finite output (NaN, ±Inf) is written as ``null`` in the point's JSON (which stays valid
JSON for any tool) and as an empty cell in ``results.csv``; the returned records hold ``None``.

Only the driver process writes (workers return their results to it), through
:func:`mqm_fem.io.files.atomic_write`: a point file is either complete or absent; a process
killed while writing leaves at most a hidden ``.mqm-*.tmp*`` file, which :meth:`Store.verify`
reports and :meth:`Store.clean` removes. Rerunning the same sweep resumes: the finished points
(``ok`` or ``error``) are skipped. A changed specification (its SHA-256 hash differs) is refused,
or started anew with ``on_change="restart"``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError, ParameterError
from ..io.files import atomic_write
from ..units import as_path
from .grid import Grid, canonical_json

__all__ = ["Store", "StoreReport", "spec_hash"]

FORMAT = "mqm_fem-sweep-store-1"
#: the table is rewritten at most this often during a sweep (seconds); always at the end
TABLE_INTERVAL = 1.0
_BASE_COLUMNS = ("status", "error", "seconds", "worker")


def spec_hash(spec: dict, grid: Grid) -> str:
    """SHA-256 (hex) of the canonical JSON of the specification and the grid."""
    return hashlib.sha256(canonical_json({"spec": spec, "grid": grid.describe()}).encode()
                          ).hexdigest()


@dataclass(frozen=True)
class StoreReport:
    """What :meth:`Store.verify` found; empty everywhere (``ok``) for a complete, clean store.

    ``missing``: grid indices without a point file; ``duplicates``: indices claimed by more than
    one point file; ``partial_files``: leftover temporary files of interrupted writes;
    ``corrupt``: point files that cannot be read or do not belong to the grid; ``table``:
    problems of ``results.csv`` (stale, duplicate or missing rows); ``unclaimed_files``: files in
    ``fields/`` that no valid point file lists (stale leftovers).
    """

    missing: tuple = ()
    duplicates: tuple = ()
    partial_files: tuple = ()
    corrupt: tuple = ()
    table: tuple = ()
    unclaimed_files: tuple = ()

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicates or self.partial_files or self.corrupt
                    or self.table or self.unclaimed_files)

    @property
    def integrity_ok(self) -> bool:
        """No partial, duplicate or corrupt file (points may still be missing)."""
        return not (self.duplicates or self.partial_files or self.corrupt)

    def __str__(self) -> str:
        if self.ok:
            return "store ok: every point exactly once, no partial file"
        parts = []
        for name in ("missing", "duplicates", "partial_files", "corrupt", "table",
                     "unclaimed_files"):
            items = getattr(self, name)
            if items:
                shown = ", ".join(str(i) for i in items[:10])
                more = f" (+{len(items) - 10} more)" if len(items) > 10 else ""
                parts.append(f"{name.replace('_', ' ')}: {shown}{more}")
        return "; ".join(parts)


class Store:
    """A sweep directory (see the module docstring). ``Store(directory)`` does not touch the
    disk; :meth:`open` creates or resumes it."""

    def __init__(self, directory):
        self.directory = as_path(directory, "store").expanduser()
        self.grid: Grid | None = None
        self.hash: str | None = None
        self.spec: dict | None = None
        self._records: dict[int, dict] = {}
        self._lock = None
        self._table_written = 0.0

    def __repr__(self) -> str:
        return f"Store({str(self.directory)!r})"

    # ----------------------------------------------------------------------------- paths
    @property
    def spec_path(self) -> Path:
        return self.directory / "spec.json"

    @property
    def points_dir(self) -> Path:
        return self.directory / "points"

    @property
    def csv_path(self) -> Path:
        return self.directory / "results.csv"

    def point_path(self, index: int) -> Path:
        return self.points_dir / f"{index:06d}.json"

    # ------------------------------------------------------------------------------ open
    def open(self, spec: dict, grid: Grid, *, on_change: str = "refuse") -> Store:
        """Create the store for ``spec`` and ``grid``, or resume it if it holds the same
        specification (same hash). A different one is refused (:class:`ParameterError` naming
        both hashes) or, with ``on_change="restart"``, its points, table and spec are moved to
        ``points.<time>/`` and the sweep starts anew. Returns ``self``."""
        if on_change not in ("refuse", "restart"):
            raise ParameterError(
                f"on_change: expected 'refuse' or 'restart', got {on_change!r}")
        if not isinstance(grid, Grid):
            raise ParameterError(f"grid: expected a Grid (product/zipped), got {grid!r}")
        new_hash = spec_hash(spec, grid)
        if self.directory.exists() and not self.directory.is_dir():
            raise ParameterError(f"store: {self.directory} is a file, not a directory")
        self._acquire_lock()
        stored = self._read_spec()
        if stored is None and self.points_dir.exists() and any(self.points_dir.iterdir()):
            raise ParameterError(
                f"store {self.directory}: has points/ but no spec.json; it is not a sweep store "
                "of this version (give another directory)")
        if stored is not None and stored.get("hash") != new_hash:
            if on_change == "refuse":
                raise ParameterError(
                    f"store {self.directory}: the sweep specification changed (stored hash "
                    f"{stored.get('hash')}, new hash {new_hash}); rerun with "
                    "on_change='restart' (CLI: --restart) to start anew, keeping the old points "
                    "in points.<time>/, or give another store directory")
            self._put_aside()
            stored = None
        self.spec, self.grid, self.hash = spec, grid, new_hash
        if stored is None:
            document = {"format": FORMAT, "hash": new_hash, "spec": spec,
                        "grid": grid.describe(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
            text = json.dumps(document, indent=1, default=str)
            atomic_write([(self.spec_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))])
        self.clean()  # leftovers of a killed run: this process holds the lock, nobody writes
        self._records = self._load_valid()
        return self

    def _acquire_lock(self) -> None:
        """One driver per store: an exclusive ``flock`` on ``.lock`` (released by the system
        when the process ends, also on SIGKILL)."""
        if self._lock is not None:
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"store {self.directory}: cannot create or write the directory "
                              f"({exc.strerror or exc}); give a writable directory") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ParameterError(
                f"store {self.directory}: another sweep is running on it (locked); wait for it "
                "or give another directory") from None
        self._lock = fd

    def close(self) -> None:
        """Release the store's lock (also done when the process ends)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_spec(self) -> dict | None:
        if not self.spec_path.is_file():
            return None
        try:
            return json.loads(self.spec_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ParameterError(f"store {self.directory}: spec.json unreadable ({exc}); "
                                 "give another directory") from None

    def _put_aside(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.directory / f"points.{stamp}"
        n = 1
        while aside.exists():
            aside = self.directory / f"points.{stamp}-{n}"
            n += 1
        if self.points_dir.exists():
            os.replace(self.points_dir, aside)
        else:
            aside.mkdir()
        for path in (self.spec_path, self.csv_path, self.directory / "fields",
                     self.directory / "fields.pvd", self.directory / "fields.pvd.json",
                     self.directory / "summary.png"):
            if path.exists():
                os.replace(path, aside / path.name)

    def _loaded_grid(self) -> Grid | None:
        if self.grid is not None:
            return self.grid
        stored = self._read_spec()
        if stored is None:
            return None
        g = stored.get("grid", {})
        return Grid(points=tuple(g.get("points", ())), names=tuple(g.get("names", ())))

    # ---------------------------------------------------------------------------- points
    def _scan(self):
        """(records by file, partial files, unreadable files) of points/."""
        found, partial, corrupt = [], [], []
        for folder in (self.directory, self.points_dir, self.directory / "fields"):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.name.startswith(".mqm-"):
                    partial.append(path)
                elif folder == self.points_dir and path.suffix == ".json":
                    try:
                        record = json.loads(path.read_text(encoding="utf-8"))
                        int(record["index"])
                    except (OSError, ValueError, KeyError, TypeError):
                        corrupt.append(path)
                        continue
                    found.append((path, record))
        return found, partial, corrupt

    def _valid(self, record: dict, grid: Grid | None) -> bool:
        """A point file's record belongs to the grid, has a final status and its field files
        exist (the checks of :meth:`verify`; a resume redoes a point that fails them)."""
        i = int(record["index"])
        if grid is not None and (i >= len(grid) or i < 0 or record.get("key") != grid.keys[i]
                                 or record.get("status") not in ("ok", "error")):
            return False
        return all((self.directory / f).is_file() for f in record.get("files") or ())

    def _load_valid(self) -> dict[int, dict]:
        grid = self._loaded_grid()
        records = {}
        for path, record in self._scan()[0]:
            i = int(record["index"])
            if path == self.point_path(i) and self._valid(record, grid):
                records[i] = record
        return records

    def done(self) -> set:
        """Indices of the finished points (status ok or error)."""
        return set(self._records)

    def records(self) -> list[dict]:
        """The finished points' records in index order."""
        return [self._records[i] for i in sorted(self._records)]

    def write_point(self, record: dict, files: dict | None = None) -> None:
        """Write one finished point atomically (driver only) and remember it. ``files``
        (suffix -> bytes, e.g. the point's ``.vtu``) are written as ``fields/<index><suffix>``
        together with the point file, all or nothing; the record lists them under ``files``.
        Non-finite numbers (NaN, ±Inf) become ``None`` (JSON ``null``), in ``record`` too."""
        record.update(_finite(record))
        i = int(record["index"])
        jobs = []
        if files:
            record["files"] = []
            for suffix, data in sorted(files.items()):
                name = f"fields/{i:06d}{suffix}"
                if suffix == ".vtu.json":  # the sidecar names its .vtu: now the stored one
                    doc = json.loads(data)
                    doc["vtu"] = f"{i:06d}.vtu"
                    data = json.dumps(doc, indent=2).encode()
                record["files"].append(name)
                jobs.append((self.directory / name, lambda tmp, data=data: tmp.write_bytes(data)))
        text = json.dumps(record, indent=1, default=str, allow_nan=False)
        jobs.append((self.point_path(i), lambda tmp: tmp.write_text(text, encoding="utf-8")))
        atomic_write(jobs)
        self._records[i] = record

    def write_collection(self) -> Path | None:
        """``fields.pvd``: the points' ``.vtu`` files as a ParaView collection (the point index
        as timestep), if any point has one. Returns its path."""
        entries = [(r["index"], self.directory / f) for r in self.records()
                   for f in r.get("files") or () if f.endswith(".vtu")]
        if not entries:  # no stale collection of an earlier sweep
            for name in ("fields.pvd", "fields.pvd.json"):
                (self.directory / name).unlink(missing_ok=True)
            return None
        from ..io.vtk import write_pvd

        return write_pvd(self.directory / "fields.pvd", entries)

    # ----------------------------------------------------------------------------- table
    def _layout(self, records) -> tuple[list[str], dict[str, str]]:
        """(parameter names, output name -> its column): an output named like a parameter or
        a fixed column (index, status, error, seconds, worker) is the column ``out_<name>``
        (``out_out_<name>`` if that is taken too), so it never overwrites them."""
        grid = self._loaded_grid()
        names = list(grid.names) if grid is not None else []
        outputs: list[str] = []
        for r in records:
            names += [n for n in r.get("parameters", {}) if n not in names]
            outputs += [n for n in r.get("outputs") or {} if n not in outputs]
        taken = {"index", *names, *_BASE_COLUMNS, *outputs}
        column = {}
        for n in outputs:
            c = n
            if n in names or n in _BASE_COLUMNS or n == "index":
                c = f"out_{n}"
                while c in taken:
                    c = f"out_{c}"
                taken.add(c)
            column[n] = c
        return names, column

    def columns(self, records=None) -> list[str]:
        records = self.records() if records is None else records
        names, column = self._layout(records)
        return ["index"] + names + list(column.values()) + list(_BASE_COLUMNS)

    def table(self) -> list[dict]:
        """One flat dict per finished point (index, parameters, outputs, status, error, ...);
        an output named like a parameter or a fixed column is ``out_<name>``; a non-finite
        output is ``None`` (an empty cell in ``results.csv``)."""
        records = self.records()
        _, column = self._layout(records)
        rows = []
        for r in records:
            row = {"index": r["index"], **r.get("parameters", {})}
            row.update({column[k]: v for k, v in (r.get("outputs") or {}).items()})
            row.update({c: r.get(c) for c in _BASE_COLUMNS})
            rows.append(_finite(row))
        return rows

    def write_table(self, force: bool = True) -> Path | None:
        """Rewrite ``results.csv`` from the records (atomically); without ``force`` at most
        once per :data:`TABLE_INTERVAL` seconds. Returns the path if written."""
        now = time.monotonic()
        if not force and now - self._table_written < TABLE_INTERVAL:
            return None
        records = self.records()
        columns = self.columns(records)
        rows = self.table()  # from self.records() too: the same layout

        def write(tmp):
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: _cell(v) for k, v in row.items()})

        atomic_write([(self.csv_path, write)])
        self._table_written = time.monotonic()
        return self.csv_path

    # ------------------------------------------------------------------------ integrity
    def verify(self) -> StoreReport:
        """Check the store against its grid; raises nothing (see :class:`StoreReport`)."""
        grid = self._loaded_grid()
        found, partial, corrupt = self._scan()
        claims: dict[int, list[Path]] = {}
        claimed: set = set()
        for path, record in found:
            if not self._valid(record, grid):  # not of the grid, or its field files are gone
                corrupt.append(path)
                continue
            claims.setdefault(int(record["index"]), []).append(path)
            claimed.update(record.get("files") or ())
        fields = self.directory / "fields"
        unclaimed = tuple(
            path for path in (sorted(fields.iterdir()) if fields.is_dir() else ())
            if not path.name.startswith(".mqm-") and f"fields/{path.name}" not in claimed)
        n = len(grid) if grid is not None else (max(claims) + 1 if claims else 0)
        missing = tuple(i for i in range(n) if i not in claims)
        duplicates = tuple(sorted(i for i, paths in claims.items() if len(paths) > 1))
        return StoreReport(missing=missing, duplicates=duplicates,
                           partial_files=tuple(partial), corrupt=tuple(corrupt),
                           table=tuple(self._check_table(set(claims))),
                           unclaimed_files=unclaimed)

    def _check_table(self, finished: set) -> list[str]:
        if not self.csv_path.is_file():
            return ["results.csv is missing"] if finished else []
        try:
            with open(self.csv_path, newline="", encoding="utf-8") as f:
                indices = [int(row["index"]) for row in csv.DictReader(f)]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return [f"results.csv unreadable ({exc})"]
        problems = []
        seen = set()
        repeated = sorted({i for i in indices if i in seen or seen.add(i)})
        if repeated:
            problems.append(f"results.csv repeats rows of points {repeated}")
        if set(indices) != finished:
            problems.append(f"results.csv has {len(set(indices))} points, the point files "
                            f"{len(finished)} (stale: rebuild with Store.write_table())")
        return problems

    def clean(self) -> list[Path]:
        """Remove the leftover temporary files of interrupted writes; returns them."""
        partial = self._scan()[1]
        for path in partial:
            path.unlink(missing_ok=True)
        return partial


def _finite(value):
    """``value`` with every non-finite float (NaN, ±Inf), also inside lists and dicts, as
    None: JSON has no NaN/Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _cell(value):
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return "" if value is None else value
