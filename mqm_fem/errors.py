"""One exception family for everything mqm_fem refuses.

Every error a user can trigger with bad input derives from :class:`MqmFemError`, so a script
(or the CLI) can catch the whole family in one place and print a one-line message.
"""

from __future__ import annotations


class MqmFemError(Exception):
    """Base class of all mqm_fem errors."""


class MeshError(MqmFemError):
    """A mesh file or mesh object that cannot be used (missing, unreadable, degenerate ...)."""


class RegionNotFoundError(MqmFemError, KeyError):
    """A physical-group (region or boundary) name that does not exist in the mesh."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ParameterError(MqmFemError, ValueError):
    """A physical or numerical parameter outside its valid range (unit, sign, NaN, shape)."""


class SolverError(MqmFemError, RuntimeError):
    """A linear or eigen-solve that did not succeed; the message says what to try."""


class OutputError(MqmFemError, OSError):
    """An output file that cannot be written: wrong kind of path, a parent that is a file, a
    directory without write permission, a full disk. The message names the file and the reason.
    Also an :class:`OSError`, so ``except OSError`` in older scripts still catches it."""

    def __str__(self) -> str:  # OSError would format (errno, strerror) pairs its own way
        return str(self.args[0]) if self.args else ""


class MqmFemWarning(UserWarning):
    """Warnings issued by mqm_fem (e.g. a mesh without physical groups)."""
