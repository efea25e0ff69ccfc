"""What every a-posteriori error estimate returns: :class:`ErrorEstimate`.

An estimate belongs to one output (a magnetic moment, an eigenvalue, a hole's field, a
nucleation field). It carries the computed value, the estimated signed error
``error ≈ exact − value`` and its parts (discretisation, geometry of a straight-sided mesh,
truncation of the box), each signed. The error bar :attr:`ErrorEstimate.bound` adds the parts'
magnitudes, so parts that happen to cancel do not shrink it. Solvers attach their estimates to
their results; element indicators for adaptivity live next to them on the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["ErrorEstimate"]


@dataclass(frozen=True)
class ErrorEstimate:
    """An estimate of the error of one computed output.

    Attributes
    ----------
    quantity : str
        The output, as printed (``"m_z"``, ``"eigenvalue 0"``, ``"B_hole[hole_0]"``).
    value : float
        The computed value, in ``unit``.
    error : float
        Estimated signed error, in ``unit``: the exact value ≈ ``value + error``.
    unit : str
        Unit of ``value`` and ``error`` (SI, or ``"1"`` for dimensionless outputs).
    method : str
        How the estimate was made, in words (for provenance and the docs).
    parts : dict[str, float]
        Signed contributions in ``unit`` (``"discretisation"``, ``"geometry"``,
        ``"box truncation"``); ``error`` is their sum.
    """

    quantity: str
    value: float
    error: float
    unit: str
    method: str
    parts: dict = field(default_factory=dict)

    @classmethod
    def from_parts(cls, quantity: str, value: float, unit: str, method: str,
                   **parts: float) -> ErrorEstimate:
        """An estimate whose error is the sum of the named signed ``parts``."""
        parts = {name.replace("_", " "): float(v) for name, v in parts.items()}
        return cls(quantity, float(value), float(sum(parts.values())), unit, method, parts)

    @property
    def bound(self) -> float:
        """The error bar in ``unit``: the sum of the parts' magnitudes (|error| when there are
        no parts)."""
        return sum(abs(v) for v in self.parts.values()) if self.parts else abs(self.error)

    @property
    def relative(self) -> float:
        """The error bar relative to the value, |bound / value|: 0 when the bar is 0, inf for
        a zero value with a nonzero bar."""
        if self.bound == 0:
            return 0.0
        return self.bound / abs(self.value) if self.value else math.inf

    @property
    def corrected(self) -> float:
        """The value with the estimated error added, ``value + error``."""
        return self.value + self.error

    def as_dict(self) -> dict:
        """Plain values for JSON sidecars and VTU field data."""
        return {"quantity": self.quantity, "value": self.value, "error": self.error,
                "bound": self.bound,
                "relative": self.relative if math.isfinite(self.relative) else None,
                "unit": self.unit,
                "method": self.method, "parts": dict(self.parts)}

    def __str__(self) -> str:
        unit = "" if self.unit in ("", "1") else f" {self.unit}"
        return f"{self.quantity} = {self.value:.4g}{unit} (± {100 * self.relative:.2g} %)"
