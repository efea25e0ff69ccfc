"""The one place where a London formulation declares itself.

A formulation is a module that defines its options (a :class:`FormulationOptions` subclass)
and the three steps of the solve skeleton (:mod:`mqm_fem.london.skeleton`), and registers a
:class:`Formulation`::

    register(Formulation(
        name="out-of-plane", dim=2,
        equation="−λ²ΔB_z + B_z = 0 in Ω_s, a fluxoid per hole",
        auto_rule="2D mesh, field along z",
        auto=lambda domain, field: domain.dim == 2 and not np.any(field[:2]),
        applied=out_of_plane_field, options=OutOfPlaneOptions,
        assemble=assemble, solve=solve, derive=derive))

``solve_london``, the CLI's ``--formulation`` choices, its option flags and help texts, and
the option checks all read this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain
from .options import FormulationOptions

__all__ = ["FORMULATIONS", "Formulation", "choose", "get", "register"]


@dataclass(frozen=True)
class Formulation:
    """A registered London formulation.

    Attributes
    ----------
    name : str
        What users pass as ``formulation=`` / ``--formulation``.
    dim : int
        Mesh dimension it needs (2: triangles, 3: tetrahedra).
    equation : str
        The equation in one line (help texts, docs).
    auto_rule : str
        When ``formulation="auto"`` picks it, in words.
    auto : callable (domain, field) -> bool
        The same rule as code; ``field`` is the parsed applied field (1–3 components, T).
    applied : callable (field) -> ndarray (3,)
        The applied field this formulation takes, as a 3-vector in tesla, or a
        :class:`ParameterError` saying which components it cannot take.
    options : type[FormulationOptions]
        Its options dataclass.
    assemble, solve, derive : callables
        The three steps (see :mod:`mqm_fem.london.skeleton`).
    estimate : callable or None
        ``(problem, options, system, x, outputs) -> Estimates``: the a-posteriori error
        estimates of the outputs and the element indicators (``None``: the formulation has
        none; its solutions then carry no error bars).
    films : bool
        Whether it carries thin films (facet groups ``film*``) as current sheets; the others
        refuse a mesh with films rather than ignore them.
    holes : callable or None
        ``(problem, options) -> list[str]``: the holes a solve would report (the keys of
        ``solution.holes``, in that order), found from the mesh without solving (``None``:
        :func:`mqm_fem.inductance` finds them by a zero-field solve).
    """

    name: str
    dim: int
    equation: str
    auto_rule: str
    auto: Callable[[Domain, np.ndarray], bool]
    applied: Callable[[np.ndarray], np.ndarray]
    options: type[FormulationOptions]
    assemble: Callable
    solve: Callable
    derive: Callable
    estimate: Callable | None = None
    films: bool = False
    holes: Callable | None = None


#: Formulation name -> :class:`Formulation`, in registration order.
FORMULATIONS: dict[str, Formulation] = {}


def register(formulation: Formulation) -> Formulation:
    """Add ``formulation`` to :data:`FORMULATIONS` (names must be unique)."""
    if formulation.name in FORMULATIONS or formulation.name == "auto":
        raise ValueError(f"a formulation named {formulation.name!r} is already registered")
    formulation.options.formulation = formulation.name
    FORMULATIONS[formulation.name] = formulation
    return formulation


def get(name: str) -> Formulation:
    """The formulation called ``name`` (the message lists the valid names)."""
    try:
        return FORMULATIONS[name]
    except (KeyError, TypeError):
        raise ParameterError(
            f"formulation: {name!r} is not one of auto, {', '.join(FORMULATIONS)}"
        ) from None


def choose(domain: Domain, field: np.ndarray, name: str = "auto") -> Formulation:
    """The formulation ``name``, or for ``"auto"`` the one whose rule matches, checking the
    mesh dimension either way."""
    if name != "auto":
        formulation = get(name)
        if formulation.dim != domain.dim:
            others = [f.name for f in FORMULATIONS.values() if f.dim == domain.dim]
            raise ParameterError(
                f"formulation {name!r} needs a {formulation.dim}D mesh; this mesh is "
                f"{domain.dim}D (use {' or '.join(map(repr, others))}, or formulation='auto')"
            )
        return formulation
    matches = [f for f in FORMULATIONS.values() if f.dim == domain.dim and f.auto(domain, field)]
    if len(matches) > 1 and domain.film_names():  # films: the formulation that carries them
        matches = [f for f in matches if f.films] or matches
    if len(matches) != 1:
        rules = "; ".join(f"{f.name!r}: {f.auto_rule}" for f in FORMULATIONS.values()
                          if f.dim == domain.dim)
        raise ParameterError(
            f"applied_field: {np.asarray(field).tolist()} T on a {domain.dim}D mesh matches "
            f"{'no' if not matches else 'more than one'} formulation ({rules}); a 2D "
            "cross-section takes a field along z or in the plane, not both — solve them "
            "separately (the two problems are independent and their fields add)"
            if domain.dim == 2 else
            f"applied_field: {np.asarray(field).tolist()} T on a {domain.dim}D mesh: no "
            f"formulation applies ({rules})"
        )
    return matches[0]
