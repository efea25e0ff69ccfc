"""Physical constants of the macroscopic quantum model and unit parsing.

Constants (SI, from :mod:`scipy.constants`): the superelectron is a Cooper pair with charge
``Q = 2e`` and mass ``M = 2 m_e``; the flux quantum is ``PHI0 = h / Q``; ``MU0`` is the vacuum
permeability.

Quantities may be given as plain numbers in SI (metres, tesla, ...) or as strings with a unit,
``"100 nm"``, ``"1 mT"``, ``"0.1um"``, parsed with pint. Every parser names the parameter in its
error message.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import constants as _c

from .errors import ParameterError

Q: float = 2 * _c.e
"""Charge of a Cooper pair (C)."""
M: float = 2 * _c.m_e
"""Mass of a Cooper pair (kg)."""
HBAR: float = _c.hbar
PHI0: float = _c.h / Q
"""Superconducting flux quantum h/2e (Wb)."""
MU0: float = _c.mu_0
"""Vacuum permeability (H/m)."""

#: What a length-valued parameter accepts: metres as a number, or a string with a unit.
LengthLike = float | str
#: What a field-valued parameter accepts: tesla as a number, a string ``"0 0 1 mT"``, or a
#: sequence of numbers / strings with units.
FieldLike = float | str | Sequence[float | str]
#: A file name: a string or a :class:`pathlib.Path`.
PathLike = str | os.PathLike

_DIMENSIONS = {
    "length": ("[length]", "m"),
    "magnetic_field": ("[mass] / [current] / [time] ** 2", "T"),
    "current": ("[current]", "A"),
    "current_density": ("[current] / [length] ** 2", "A/m^2"),
    "energy": ("[length] ** 2 * [mass] / [time] ** 2", "J"),
    "magnetic_flux": ("[length] ** 2 * [mass] / [current] / [time] ** 2", "Wb"),
    "temperature": ("[temperature]", "K"),
}


#: An example of a valid string per kind, for error messages.
_EXAMPLES = {"length": "'100 nm'", "magnetic_field": "'1 mT'", "temperature": "'4.2 K'",
             "current": "'1 mA'", "current_density": "'1e10 A/m^2'", "energy": "'1 meV'",
             "magnetic_flux": "'2.07e-15 Wb'"}

_GAUSS_PREFIX = {None: 1e-4, "k": 1e-1, "m": 1e-7, "u": 1e-10}


@lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


def parse_quantity(value, kind: str, name: str) -> float:
    """Return ``value`` in SI base units of ``kind`` (``"length"``, ``"magnetic_field"``, ...).

    ``value`` is a number (taken as SI) or a string such as ``"100 nm"``. ``name`` is the
    parameter's name, used in error messages.
    """
    dim, si = _DIMENSIONS[kind]
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}: expected a number in {si} or a string with units, "
                             f"got {value!r}")
    if isinstance(value, str):
        ureg = _registry()
        text = value.strip().replace("µ", "u").replace("μ", "u")
        if kind == "magnetic_field":  # pint's gauss is Gaussian-CGS; users mean 1 G = 1e-4 T
            text = re.sub(r"(?<![A-Za-z])(k|m|u)?(G|gauss)$",
                          lambda m: f" * {_GAUSS_PREFIX[m.group(1)]} T", text)
        try:
            q = ureg.Quantity(text)
        except Exception as exc:  # pint raises a zoo of exception types
            raise ParameterError(
                f"{name}: cannot parse {value!r} as a {kind.replace('_', ' ')} "
                f"(expected a number in {si} or a string like {_EXAMPLES[kind]})"
            ) from exc
        if q.dimensionless and not isinstance(q.magnitude, str):
            number = float(q.magnitude)
        else:
            if q.dimensionality != ureg.Quantity(1, si).dimensionality:
                raise ParameterError(
                    f"{name}: {value!r} has units of {q.units:~} but a "
                    f"{kind.replace('_', ' ')} in {si} (or compatible) is required"
                )
            number = float(q.to(si).magnitude)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"{name}: expected a number in {si} or a string with units, got {value!r}"
            ) from exc
    if not math.isfinite(number):
        raise ParameterError(f"{name}: must be finite, got {value!r}")
    return number


def as_path(value, name: str) -> Path:
    """A file name (str or os.PathLike) as a :class:`~pathlib.Path`; anything else is refused
    naming ``name``."""
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        return Path(value)
    raise ParameterError(f"{name}: expected a file name (str or Path), got {value!r}")


def parse_number(value, name: str) -> float:
    """A finite plain number (no unit); ``name`` is used in the error message."""
    if isinstance(value, bool):
        raise ParameterError(f"{name}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ParameterError(f"{name}: must be finite, got {value!r}")
    return number


def parse_length(value, name: str = "length", *, positive: bool = True) -> float:
    """A length in metres; strictly positive unless ``positive=False``."""
    number = parse_quantity(value, "length", name)
    if positive and number <= 0:
        raise ParameterError(f"{name}: must be a positive length, got {value!r}")
    return number


def parse_values(value, kind: str, name: str) -> np.ndarray:
    """A list of quantities of one ``kind`` in SI, as a float array — the one parser behind
    every vector and list of values (applied fields, field sweeps, gauge centres).

    ``value`` is a number, a sequence of numbers / strings with units, or one string. In a
    string a unit applies to the bare numbers just before it: ``"0 0 1 mT"`` and ``"0 0 1mT"``
    are three values in mT, ``"1 mT 2 mT"`` and ``"1mT, 2mT"`` two, ``"0 0.5 1 mT 2 T"``
    four. A string without any unit is SI. A number after the last unit (``"1 mT 2"``) or a
    unit with no number before it (``"mT"``) is refused, naming ``name``.
    """
    if isinstance(value, str):
        return np.asarray(_split_with_units(value, kind, name), dtype=float)
    if np.ndim(value) == 0:
        return np.array([parse_quantity(value, kind, name)])
    try:
        items = list(value)
    except TypeError as exc:
        raise ParameterError(f"{name}: expected numbers or a string like '0 0 1 mT', "
                             f"got {value!r}") from exc
    return np.asarray([parse_quantity(v, kind, f"{name}[{i}]") for i, v in enumerate(items)],
                      dtype=float)


def parse_vector(value, kind: str, name: str, dim: int | None = None) -> np.ndarray:
    """A vector quantity (e.g. an applied field) in SI, as a float array
    (:func:`parse_values`); ``dim`` enforces the number of components."""
    arr = parse_values(value, kind, name)
    if dim is not None and arr.shape != (dim,):
        raise ParameterError(
            f"{name}: expected {dim} components, got {arr.size} ({value!r})"
        )
    return arr


def parse_field(value, name: str = "applied_field") -> np.ndarray:
    """A uniform magnetic field in tesla with 1, 2 or 3 components: ``1e-3`` or ``"1 mT"``
    (one value, B_z of a 2D cross-section), ``"1 0 mT"`` (in-plane), ``(0, 0, 1e-3)`` or
    ``"0 0 1 mT"``. Which components a solver takes is the solver's business."""
    field = parse_values(value, "magnetic_field", name)
    if field.size not in (1, 2, 3):
        raise ParameterError(
            f"{name}: expected 1 (B_z of a 2D cross-section), 2 (in-plane B_x, B_y) or 3 "
            f"components in tesla, got {field.size} ({value!r})"
        )
    return field


def _split_with_units(text: str, kind: str, name: str) -> list[float]:
    tokens = text.replace(",", " ").split()
    if not tokens:
        raise ParameterError(f"{name}: expected numbers and a unit like '0 0 1 mT', got {text!r}")
    values: list[float] = []
    pending: list[str] = []  # bare numbers waiting for the next unit
    seen_unit = False
    for token in tokens:
        glued = _NUMBER_UNIT.match(token)
        if _is_number(token):
            pending.append(token)
            continue
        if glued:  # "1mT": the unit also applies to the bare numbers before it
            pending.append(glued.group(1))
            unit = glued.group(2)
        else:
            unit = token
            if not pending:
                raise ParameterError(
                    f"{name}: unit {token!r} in {text!r} follows no number; write a number "
                    "before each unit, e.g. '0 0 1 mT' or '1 mT 2 mT'"
                )
        values += [parse_quantity(f"{v} {unit}", kind, f"{name}[{len(values) + i}]")
                   for i, v in enumerate(pending)]
        pending, seen_unit = [], True
    if pending and seen_unit:
        raise ParameterError(
            f"{name}: {' '.join(pending)!r} at the end of {text!r} has no unit; give its unit "
            "(e.g. '1 mT 2 mT') or one unit at the end for all values ('1 2 mT')"
        )
    values += [parse_quantity(v, kind, f"{name}[{len(values) + i}]")
               for i, v in enumerate(pending)]
    return values


_NUMBER_UNIT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-zµμΩ°].*)$")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
