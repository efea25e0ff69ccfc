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

import numpy as np

from ..errors import ParameterError
from ..units import parse_length
from .options import values_by_name

__all__ = ["PEARL_MODELS", "pearl_length", "pearl_lengths"]

PEARL_MODELS = ("thin", "effective")


def pearl_length(penetration_depth: float, thickness: float, model: str = "thin") -> float:
    """Λ in metres from λ and d in metres (``model`` as in the module docstring)."""
    if model == "thin":
        return penetration_depth ** 2 / thickness
    if model == "effective":
        return penetration_depth / np.tanh(thickness / penetration_depth)
    raise ParameterError(f"pearl_model: {model!r} is not one of {', '.join(PEARL_MODELS)}")


def pearl_lengths(films: dict, thickness, model: str = "thin") -> dict:
    """Film name -> Λ (m), from ``films`` (name -> λ in m, :attr:`LondonProblem.films`) and
    ``thickness`` (one length for every film, or a mapping film name -> length)."""
    if not films:
        return {}
    if thickness is None:
        raise ParameterError(
            f"thickness: the film(s) {', '.join(films)} need a thickness (e.g. "
            f"thickness='25 nm', or a mapping film -> thickness) to give their sheet "
            "inductance Λ = λ²/d")
    names = list(films)
    if isinstance(thickness, dict):
        given = values_by_name(thickness, names, "thickness", "film",
                               lambda key, v: parse_length(v, f"thickness[{key!r}]"))
        d = dict(zip(names, given, strict=True))
    else:
        d = dict.fromkeys(names, parse_length(thickness, "thickness"))
    out = {}
    for name, lam in films.items():
        if not d[name] > 0:
            raise ParameterError(f"thickness[{name!r}]: {d[name]!r} m, needs > 0")
        out[name] = pearl_length(lam, d[name], model)
    return out
