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
import re
from functools import lru_cache

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

_DIMENSIONS = {
    "length": ("[length]", "m"),
    "magnetic_field": ("[mass] / [current] / [time] ** 2", "T"),
    "current": ("[current]", "A"),
    "current_density": ("[current] / [length] ** 2", "A/m^2"),
    "energy": ("[length] ** 2 * [mass] / [time] ** 2", "J"),
    "magnetic_flux": ("[length] ** 2 * [mass] / [current] / [time] ** 2", "Wb"),
    "temperature": ("[temperature]", "K"),
}


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
                f"(expected a number in {si} or a string like '100 nm', '1 mT')"
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


def parse_length(value, name: str = "length", *, positive: bool = True) -> float:
    """A length in metres; strictly positive unless ``positive=False``."""
    number = parse_quantity(value, "length", name)
    if positive and number <= 0:
        raise ParameterError(f"{name}: must be a positive length, got {value!r}")
    return number


def parse_vector(value, kind: str, name: str, dim: int | None = None) -> np.ndarray:
    """A vector quantity (e.g. an applied field) in SI, as a float array.

    Accepts a sequence of numbers/strings, or a single string ``"0 0 1 mT"`` whose last token
    is the unit of every component (also glued to the last number: ``"0 0 1mT"``). ``dim``
    enforces the number of components.
    """
    if isinstance(value, str):
        tokens = value.replace(",", " ").split()
        unit = ""
        # one unit for all components only when every token before the last is a bare number
        # ("0 0 1 mT", "0 0 1mT"); "1mT 0mT" gives each component its own unit
        if tokens and all(map(_is_number, tokens[:-1])) and not _is_number(tokens[-1]):
            glued = _NUMBER_UNIT.match(tokens[-1])
            if glued:  # "0 0 1mT": the unit applies to all components
                tokens[-1], unit = glued.group(1), glued.group(2)
            else:
                unit = tokens.pop()
        value = [f"{t} {unit}".strip() for t in tokens]
        if not value:
            raise ParameterError(f"{name}: expected numbers and a unit like '0 0 1 mT', "
                                 f"got {' '.join(tokens + [unit])!r}")
    try:
        comps = [parse_quantity(v, kind, f"{name}[{i}]") for i, v in enumerate(value)]
    except TypeError as exc:
        raise ParameterError(f"{name}: expected a vector, got {value!r}") from exc
    arr = np.asarray(comps, dtype=float)
    if dim is not None and arr.shape != (dim,):
        raise ParameterError(
            f"{name}: expected {dim} components, got {arr.size} ({value!r})"
        )
    return arr


_NUMBER_UNIT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-zµμΩ°].*)$")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
