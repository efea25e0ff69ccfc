"""Progress reporting shared by every long step (meshing, solves, sweeps).

A ``progress`` argument is a callable receiving one-line messages (the CLI passes its
timestamped logger), ``True`` (print them to stderr, prefixed with the function's name) or
``None``/``False`` (silent). :func:`reporter` turns any of these into a callable and refuses
anything else before work starts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from .errors import ParameterError

__all__ = ["ProgressLike", "is_terminal", "reporter"]

#: What a ``progress`` parameter accepts.
ProgressLike = Callable[[str], object] | bool | None


def reporter(progress: ProgressLike, who: str) -> Callable[[str], None]:
    """A callable taking one-line messages, from ``progress`` (see the module docstring);
    ``who`` prefixes the lines printed for ``progress=True``."""
    if progress is None or progress is False:
        return lambda message: None
    if progress is True:
        return lambda message: print(f"{who}: {message}", file=sys.stderr, flush=True)
    if isinstance(progress, bool) or not callable(progress):
        raise ParameterError(
            f"progress: expected a callable (e.g. print), True or None, got {progress!r}"
        )
    return progress


def is_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (progress bars) rather than a log file or
    pipe (one line per step)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
