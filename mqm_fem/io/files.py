"""Output paths: checked before any computation (:func:`check_writable`) and written atomically
(:func:`atomic_write`), so that a result file is either complete or absent.

Every failure is an :class:`~mqm_fem.errors.OutputError` (also an :class:`OSError`) whose
one-line message names the file the user asked for, never an internal temporary file.
"""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path

from ..errors import OutputError, ParameterError
from ..units import as_path


def check_writable(path, suffix: str, label: str = "path") -> Path:
    """Check, without writing the result, that ``path`` can be written; returns it as a Path.

    Checks in order, each failure a one-line error naming ``label`` and ``path``:

    * the suffix is ``suffix`` (case-insensitive) — else :class:`ParameterError`;
    * ``path`` is not an existing directory, and no parent of it is an existing non-directory
      (``results.txt/out.vtu``) — else :class:`OutputError`;
    * a file can be created and removed in the directory that will hold it — or, when that
      directory does not exist yet, in its nearest existing ancestor, where it would be created.
      This probe (a hidden empty file, removed at once) sees what the operating system really
      allows: read-only mounts, ``/proc``, ACLs, quotas and, unlike a permission-bit test, it is
      also right for root. Else :class:`OutputError` with the system's reason.

    Nothing is left behind, and no directory is created (that happens when the file is written).
    """
    path = as_path(path, label)
    if path.suffix.lower() != suffix.lower():
        raise ParameterError(f"{label}: {path} must end in {suffix} (got {path.suffix!r})")
    if path.is_dir():
        raise OutputError(f"{label}: cannot write {path}: it is a directory")
    directory = path.parent
    while not directory.exists():
        if directory == directory.parent:  # pragma: no cover - the root always exists
            break
        directory = directory.parent
    if not directory.is_dir():
        raise OutputError(
            f"{label}: cannot write {path}: {directory} is a file, not a directory"
        )
    probe = directory / f".mqm-probe-{uuid.uuid4().hex[:12]}"  # short: long names stay legal
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputError(
            f"{label}: cannot write {path}: cannot create files in {directory} "
            f"({_reason(exc)})"
        ) from None
    try:
        os.close(fd)
    finally:  # also on Ctrl-C
        os.unlink(probe)
    return path


def atomic_write(jobs) -> None:
    """Write several files all together or not at all.

    ``jobs``: list of ``(final_path, write(tmp_path))``. Missing parent directories are created;
    each file is written by ``write`` to a hidden temporary file in its target directory (same
    file system, so the rename is atomic; its name ends in the target's suffix, for writers that
    look at it), and only when every one succeeded are they renamed into place. On any error or
    interrupt (``KeyboardInterrupt`` included) the temporary files and the directories created
    here are removed and older files of the same names stay as they were. An :class:`OSError`
    becomes an :class:`OutputError` naming the final path; other exceptions propagate as they
    are.
    """
    temps, created = [], []
    current, done = None, False
    try:
        for final, write in jobs:
            current = final = Path(final)
            created.extend(_make_parents(final.parent))
            # a fresh name (not mkstemp: its 0600 mode would survive the rename; this honours
            # the umask like any other file the user writes)
            tmp = final.parent / f".mqm-{uuid.uuid4().hex[:12]}.tmp{final.suffix}"
            temps.append((tmp, final))
            write(tmp)
        _replace_all(temps)
        done = True
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {current}: {_reason(exc)}") from exc
    finally:
        if not done:
            for tmp, _ in temps:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            for directory in reversed(created):  # only if still empty
                try:
                    directory.rmdir()
                except OSError:
                    break


def _replace_all(temps) -> None:
    """Rename every ``(tmp, final)`` into place, all or none: an existing ``final`` is kept as a
    hard link (or copy) until every rename succeeded, and put back if one fails."""
    import shutil

    backups, renamed = [], []
    try:
        for _, final in temps:
            if final.is_file():
                backup = final.parent / f".mqm-{uuid.uuid4().hex[:12]}.bak"
                try:
                    os.link(final, backup)
                except OSError:
                    shutil.copy2(final, backup)
                backups.append((backup, final))
        for tmp, final in temps:
            try:
                os.replace(tmp, final)
            except OSError as exc:
                raise OutputError(f"cannot write {final}: {_reason(exc)}") from exc
            renamed.append(final)
    except BaseException:
        restored = {final for _, final in backups}
        for final in renamed:
            if final not in restored:
                final.unlink(missing_ok=True)
        for backup, final in backups:
            os.replace(backup, final)
        raise
    for backup, _ in backups:
        backup.unlink(missing_ok=True)


def _make_parents(directory: Path) -> list:
    """``mkdir -p directory``; returns the directories it created, outermost first."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    if directory.exists() and not directory.is_dir():
        raise OSError(errno.ENOTDIR, f"{directory} is a file, not a directory")
    made = []
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            continue
        made.append(d)
    return made


def _reason(exc: OSError) -> str:
    """The system's reason of an OSError, without the (possibly temporary) file name."""
    return exc.strerror or str(exc)
