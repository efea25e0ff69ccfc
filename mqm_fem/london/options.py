"""Options of the London formulations: dataclasses that validate themselves.

Each formulation declares one subclass of :class:`FormulationOptions`; its fields are declared
with :func:`option`, which records the help text and the command-line flag. ``solve_london``
builds the options from its keyword arguments with :meth:`FormulationOptions.from_kwargs`
(refusing unknown names, listing the valid ones), and the ``mqm-fem london`` verb derives its
flags and help texts from the same declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ParameterError, RegionNotFoundError

__all__ = ["FormulationOptions", "OptionSpec", "fluxoid_number", "formulation_note", "option",
           "values_by_name"]


@dataclass(frozen=True)
class OptionSpec:
    """How an option appears on the command line (``cli`` flag; ``None``: Python only),
    its help text, its valid ``choices``, ``repeat`` (``NAME=VALUE`` pairs collected into a
    dict) and ``per_name`` (one value, or repeated ``NAME=VALUE`` pairs: a dict)."""

    help: str
    cli: str | None = None
    choices: tuple | None = None
    repeat: bool = False
    metavar: str | None = None
    per_name: bool = False


def option(default, *, help: str, cli: str | None = None, choices: tuple | None = None,
           repeat: bool = False, metavar: str | None = None, per_name: bool = False) -> Any:
    """A dataclass field carrying an :class:`OptionSpec` (see :class:`FormulationOptions`)."""
    spec = OptionSpec(help=help, cli=cli, choices=choices, repeat=repeat, metavar=metavar,
                      per_name=per_name)
    return dataclasses.field(default=default, metadata={"spec": spec})


def formulation_note(name: str) -> str:
    """How a refused value names the formulation that refused it: ``(the 'A' formulation)``."""
    return f"(the {name!r} formulation)"


@dataclass(frozen=True)
class FormulationOptions:
    """Base class: the options of one formulation. Subclasses declare fields with
    :func:`option` and check their values in :meth:`validate`, which runs on construction."""

    formulation: ClassVar[str] = "?"
    #: Options that can drive the problem besides the applied field (trapped fluxoids,
    #: currents, a boundary field): a solve without an applied field needs one of them.
    source_options: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self):
        for f in dataclasses.fields(self):
            choices = f.metadata["spec"].choices
            value = getattr(self, f.name)
            if choices and value not in choices:
                raise ParameterError(
                    f"{f.name}: {value!r} is not one of {', '.join(map(str, choices))} "
                    f"{formulation_note(self.formulation)}"
                )
        self.validate()

    def validate(self) -> None:
        """Check the values (raise :class:`ParameterError` naming the option); the default
        checks only the declared choices."""

    def sources(self) -> list[str]:
        """The :attr:`source_options` that are given (a mapping counts when one of its values
        is nonzero)."""
        def given(value):
            if isinstance(value, dict):
                return any(v not in (0, "0", None) for v in value.values())
            return value is not None
        return [name for name in self.source_options if given(getattr(self, name))]

    @classmethod
    def specs(cls) -> dict[str, tuple[OptionSpec, Any]]:
        """Option name -> (spec, default), in declaration order."""
        return {f.name: (f.metadata["spec"], f.default) for f in dataclasses.fields(cls)}

    @classmethod
    def from_kwargs(cls, kwargs: dict) -> FormulationOptions:
        """Build from keyword arguments, refusing names the formulation does not take."""
        valid = list(cls.specs())
        unknown = sorted(set(kwargs) - set(valid))
        if unknown:
            raise ParameterError(
                f"option(s) {', '.join(unknown)} not taken by the {cls.formulation!r} "
                f"formulation; it takes: {', '.join(valid) or '(none)'}"
            )
        return cls(**kwargs)


def check_positive(value, name: str) -> None:
    """Refuse anything but a finite positive number (tolerances)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ParameterError(f"{name}: expected a positive number, got {value!r}")


def check_order(order) -> None:
    """Lagrange order 1 or 2 (an integer)."""
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order not in (1, 2):
        raise ParameterError(f"order: must be 1 (P1) or 2 (P2, the default), got {order!r}")


def check_mapping(value, name: str, what: str) -> None:
    """``None`` or a dict ``name -> value``."""
    if value is not None and not isinstance(value, dict):
        raise ParameterError(
            f"{name}: expected a dict {what} name -> value, got {type(value).__name__}"
        )


def check_names(value, name: str) -> None:
    """``None``, one boundary/region name or a list of names."""
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ParameterError(
            f"{name}: expected a name or a list of names, got {value!r}"
        )


def check_callable(value, name: str, signature: str) -> None:
    """``None`` or a callable."""
    if value is not None and not callable(value):
        raise ParameterError(f"{name}: expected a callable {signature}, got "
                             f"{type(value).__name__}")


def values_by_name(mapping, names: list, option: str, what: str,
                   convert: Callable[[str, Any], float]) -> np.ndarray:
    """``mapping`` (dict name -> value, or None) as an array aligned with ``names`` (missing
    names get 0). ``what`` names the kind of object (e.g. "hole"), ``convert(key, value)``
    validates one value."""
    out = np.zeros(len(names))
    if mapping is None:
        return out
    check_mapping(mapping, option, what)
    for key, value in mapping.items():
        if key not in names:
            raise RegionNotFoundError(
                f"{option}: no {what} named {key!r}; {what}s are: {', '.join(names) or '(none)'}"
            )
        out[names.index(key)] = convert(key, value)
    return out


def fluxoid_number(key, value) -> float:
    """A trapped fluxoid number n (an integer, given as int, float or string) for
    ``fluxoids[key]``; anything else is refused naming the key."""
    try:
        n = float(value)
    except (TypeError, ValueError):
        n = np.nan
    if isinstance(value, bool) or not np.isfinite(n) or n != round(n):
        raise ParameterError(f"fluxoids[{key!r}]: must be an integer, got {value!r}")
    return float(round(n))
