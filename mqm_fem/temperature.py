"""Temperature models: λ(T) and ξ(T) so that sweeps can be written in temperature.

* two-fluid penetration depth  λ(T) = λ₀ / √(1 − (T/T_c)⁴)
* Ginzburg–Landau coherence length  ξ(T) = ξ₀ / √(1 − T/T_c)

Both diverge at T_c: a temperature T ≥ T_c (no superconductivity, nothing to solve) is refused
with a :class:`~mqm_fem.errors.ParameterError` naming T and T_c. :class:`TemperatureModel`
bundles T_c with λ₀ and ξ₀, or with user callables ``T (K) -> metres`` that replace the
formulas (e.g. a measured λ(T) interpolated from a table).

Temperatures are kelvin as numbers or strings with a unit (``"4.2 K"``); lengths metres or
strings (``"100 nm"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ParameterError
from .units import parse_length, parse_quantity

__all__ = ["TemperatureModel", "gl_coherence_length", "two_fluid_penetration_depth"]


def _temperatures(temperature, tc) -> tuple[float, float]:
    t = parse_quantity(temperature, "temperature", "temperature")
    tc_k = parse_quantity(tc, "temperature", "tc")
    if tc_k <= 0:
        raise ParameterError(f"tc: the critical temperature must be positive, got {tc!r}")
    if t < 0:
        raise ParameterError(f"temperature: must be >= 0 K, got {temperature!r}")
    if t >= tc_k:
        raise ParameterError(
            f"temperature: T = {t:g} K is not below Tc = {tc_k:g} K: the sample is normal, "
            "λ and ξ diverge; give 0 <= T < Tc"
        )
    return t, tc_k


def two_fluid_penetration_depth(temperature, lambda0, tc) -> float:
    """λ(T) = λ₀ / √(1 − (T/T_c)⁴) in metres (Gorter–Casimir two-fluid model); 0 ≤ T < T_c."""
    t, tc_k = _temperatures(temperature, tc)
    return parse_length(lambda0, "lambda0") / math.sqrt(1.0 - (t / tc_k) ** 4)


def gl_coherence_length(temperature, xi0, tc) -> float:
    """ξ(T) = ξ₀ / √(1 − T/T_c) in metres (Ginzburg–Landau, near T_c); 0 ≤ T < T_c."""
    t, tc_k = _temperatures(temperature, tc)
    return parse_length(xi0, "xi0") / math.sqrt(1.0 - t / tc_k)


@dataclass(frozen=True)
class TemperatureModel:
    """λ(T) and ξ(T) of one superconductor.

    Attributes
    ----------
    tc : float or str
        Critical temperature (K).
    penetration_depth_0, coherence_length_0 : length, optional
        λ₀ and ξ₀ (T = 0) for the two-fluid and GL formulas.
    penetration_depth, coherence_length : callable, optional
        ``T (K) -> metres``; used instead of the formulas when given (T ≥ T_c is still refused).
        For sweeps in worker processes they must be picklable (module-level functions).
    """

    tc: float | str
    penetration_depth_0: float | str | None = None
    coherence_length_0: float | str | None = None
    penetration_depth: Callable[[float], float] | None = None
    coherence_length: Callable[[float], float] | None = None

    def __post_init__(self):
        _temperatures(0.0, self.tc)  # refuses a bad tc at once
        for name in ("penetration_depth_0", "coherence_length_0"):
            value = getattr(self, name)
            if value is not None:
                parse_length(value, name)
        for name in ("penetration_depth", "coherence_length"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise ParameterError(
                    f"{name}: expected a callable T (K) -> metres or None, got {value!r}")

    def penetration_depth_at(self, temperature) -> float:
        """λ(T) in metres: the user callable if given, else the two-fluid formula."""
        return self._length_at(temperature, "penetration_depth", "λ₀",
                               two_fluid_penetration_depth)

    def coherence_length_at(self, temperature) -> float:
        """ξ(T) in metres: the user callable if given, else the GL formula."""
        return self._length_at(temperature, "coherence_length", "ξ₀", gl_coherence_length)

    def _length_at(self, temperature, name: str, symbol: str, formula) -> float:
        """``name``(T): the callable field ``name`` if given, else ``formula`` from the field
        ``name``_0 and T_c; refused naming both when neither is given."""
        callable_ = getattr(self, name)
        if callable_ is not None:
            t, _ = _temperatures(temperature, self.tc)
            return parse_length(callable_(t), f"{name}(T)")
        at_zero = getattr(self, f"{name}_0")
        if at_zero is None:
            raise ParameterError(
                f"TemperatureModel: give {name}_0 ({symbol}) or a {name} callable to compute "
                f"{symbol[0]}(T)")
        return formula(temperature, at_zero, self.tc)
