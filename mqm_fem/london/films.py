r"""Thin films carried as current sheets: the sheet inductance of each film.

A film of thickness d ≪ its lateral size carries a sheet current K (A/m) with
μ₀Λ K = (Φ₀/2π)∇θ − A_t on its mid-surface (docs/theory.md §4). Λ is the Pearl length:

* ``"thin"`` (default): Λ = λ²/d, the limit d ≪ λ;
* ``"effective"``: Λ = λ coth(d/λ), the sheet inductance μ₀Λ of a slab of thickness d carrying
  a uniform sheet current (its kinetic inductance per square), which tends to λ²/d for d ≪ λ
  and to λ for d ≫ λ — the finite-thickness correction.

A film is a facet group named ``film*`` (:attr:`mqm_fem.mesh.Domain.film_names`); its λ comes
from ``penetration_depth`` like any superconductor, its thickness from the formulation's
``thickness`` option.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import MqmFemWarning, ParameterError, RegionNotFoundError
from ..units import parse_length
from .options import FormulationOptions, option

__all__ = ["PEARL_MODELS", "FilmOptions", "check_film_lengths", "pearl_length",
           "pearl_lengths"]

PEARL_MODELS = ("thin", "effective")
#: film thicknesses and Pearl lengths outside this range (m) get a warning: a bare number is
#: read in metres (25 means 25 m, not 25 nm)
PLAUSIBLE_FILM_LENGTH = (1e-10, 1e-3)


def check_film_lengths(value, option: str) -> None:
    """``value`` of the ``thickness`` / ``pearl_length`` option: None, one length or a mapping
    film -> length, each positive (checked before any mesh is read)."""
    if value is None:
        return
    items = value.items() if isinstance(value, dict) else [(None, value)]
    for key, item in items:
        where = option if key is None else f"{option}[{key!r}]"
        if not parse_length(item, where) > 0:
            raise ParameterError(f"{where}: {item!r} needs to be > 0 (e.g. '25 nm')")


@dataclass(frozen=True)
class FilmOptions(FormulationOptions):
    """The film options of the formulations that carry films (sheet, axisymmetric): how each
    film's Λ is given (:func:`pearl_lengths`); subclasses call ``super().validate()``."""

    thickness: object = option(
        None, cli="--thickness", per_name=True, metavar="D",
        help="film thickness d (one length, e.g. '25 nm', or film -> length); Λ = λ²/d")
    pearl_length: object = option(
        None, cli="--pearl-length", per_name=True, metavar="LAMBDA",
        help="Pearl length Λ of the films given directly (one length or film -> length); "
        "replaces λ, d and pearl_model for the films it names")
    pearl_model: str = option(
        "thin", cli="--pearl-model", choices=PEARL_MODELS,
        help="sheet inductance of a film: 'thin' Λ = λ²/d, 'effective' Λ = λ coth(d/λ)")

    def validate(self) -> None:
        check_film_lengths(self.thickness, "thickness")
        check_film_lengths(self.pearl_length, "pearl_length")

    def pearl_lengths(self, films: dict) -> dict:
        """Film name -> Λ (m) for ``films`` (name -> λ in m) with these options."""
        return pearl_lengths(films, self.thickness, self.pearl_model, self.pearl_length)


def pearl_length(penetration_depth: float, thickness: float, model: str = "thin") -> float:
    """Λ in metres from λ and d in metres (``model`` as in the module docstring)."""
    if model == "thin":
        return penetration_depth ** 2 / thickness
    if model == "effective":
        return penetration_depth / np.tanh(thickness / penetration_depth)
    raise ParameterError(f"pearl_model: {model!r} is not one of {', '.join(PEARL_MODELS)}")


def pearl_lengths(films: dict, thickness, model: str = "thin", pearl=None) -> dict:
    """Film name -> Λ (m), from ``films`` (name -> λ in m, :attr:`LondonProblem.films`) and
    ``thickness`` (one length for every film, or a mapping film name -> length); ``pearl``
    (the ``pearl_length`` option: one length for every film, or film name -> length) gives Λ
    directly and overrides λ, d and ``model`` for the films it names."""
    if not films:
        return {}
    names = list(films)
    direct = _per_film(pearl, names, names, "pearl_length") if pearl is not None else {}
    rest = [name for name in names if name not in direct]
    if rest and thickness is None:
        raise ParameterError(
            f"thickness: the film(s) {', '.join(rest)} need a thickness (e.g. "
            f"thickness='25 nm', or a mapping film -> thickness) to give their sheet "
            "inductance Λ = λ²/d, or their Pearl length directly (pearl_length='0.1 um')")
    d = _per_film(thickness, rest, names, "thickness") if rest else {}
    out = {}
    for name in names:
        if name in direct:
            out[name] = direct[name]
            continue
        if name not in d:
            raise ParameterError(f"thickness: no value for film {name!r}; given for "
                                 f"{', '.join(d) or '(none)'}")
        out[name] = pearl_length(films[name], d[name], model)
    lo, hi = PLAUSIBLE_FILM_LENGTH
    for name, value in {**d, **direct}.items():
        if not lo <= value <= hi:
            what = "pearl_length" if name in direct else "thickness"
            warnings.warn(f"{what}[{name!r}] = {value:g} m is outside {lo:g}–{hi:g} m, the range "
                          "of real films; a number is read in metres (write '25 nm' for "
                          "nanometres)", MqmFemWarning, stacklevel=5)
    return out


def _per_film(value, names, films, option) -> dict:
    """One length for all ``names`` or a mapping film -> length (every key one of ``films``;
    the values for ``names``)."""
    if isinstance(value, dict):
        unknown = [key for key in value if key not in films]
        if unknown:
            raise RegionNotFoundError(f"{option}: no film named {unknown[0]!r}; films are: "
                                 f"{', '.join(films)}")
        return {key: parse_length(v, f"{option}[{key!r}]") for key, v in value.items()
                if key in names}
    length = parse_length(value, option)
    return dict.fromkeys(names, length)
