"""London–Maxwell screening (physics.md §1): one entry point, four formulations.

``solve_london(domain, penetration_depth, applied_field, ...)`` picks the formulation from the
mesh and the field:

=========================  ==================================================  ============
domain / field             equation                                            module
=========================  ==================================================  ============
2D, field along z          −λ²ΔB_z + B_z = 0 in Ω_s, fluxoid per hole (§1c)    outofplane
2D, field in the plane     −ΔA_z + χ_s(A_z − c_k)/λ² = μ₀J_ext (§1d)           inplane
3D with a vacuum region    ∇×∇×A + χ_s λ⁻² A = μ₀J_ext, A = A_a + A_r (§1a)    avector
3D superconductor only     λ²∇×∇×B + B = 0, n×B = n×B_a on ∂Ω_s (§1b)          bfield
=========================  ==================================================  ============
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain, is_vacuum_name
from ..units import parse_vector
from .common import LondonSolution

FORMULATIONS = ("auto", "out-of-plane", "in-plane", "A", "B")


def solve_london(domain: Domain, penetration_depth, applied_field, *, superconductors=None,
                 fluxoids=None, currents=None, formulation: str = "auto",
                 **options) -> LondonSolution:
    """Solve London screening on ``domain`` and return a :class:`LondonSolution` (SI units).

    Parameters
    ----------
    domain : Domain
        From :func:`mqm_fem.load_mesh` or :mod:`mqm_fem.geometry`.
    penetration_depth : str, float or dict
        λ (``"100 nm"`` or metres), or a mapping superconducting region -> λ.
    applied_field : str, float or sequence
        Uniform applied field B_a in tesla (``(0, 0, 1e-3)``, ``"0 0 1 mT"``); in 2D a scalar means
        B_z, a 2-vector the in-plane field.
    superconductors : list of str, optional
        Superconducting region names (default: every region not named vacuum*/air*/hole*).
    fluxoids : dict, optional
        2D out-of-plane only: hole name -> fluxoid number (default 0).
    currents : dict, optional
        2D in-plane only: superconductor name -> net current in A (default 0).
    formulation : {"auto", "out-of-plane", "in-plane", "A", "B"}
        ``auto`` chooses as in the module table.
    **options
        Passed to the formulation (e.g. ``order`` in 2D, ``solver`` in 3D). For the 3D
        A-formulation ``far_field`` defaults to ``"auto"``: ``"image"`` (the image field of the
        outer boundary is removed from the moment, :func:`.avector.image_corrected_moment`)
        when the outer boundary is a sphere and no external current is given, else ``"none"``
        (the moment of the truncated box; |m| is too large by ≈ 0.64 (R/L)³ for a body of
        size R in a box of half-side L).
    """
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    if formulation not in FORMULATIONS:
        raise ParameterError(f"formulation: {formulation!r} is not one of {FORMULATIONS}")
    field = _field_array(applied_field)
    if formulation == "auto":
        formulation = _choose(domain, field)
    if domain.dim == 3 and formulation in ("out-of-plane", "in-plane"):
        raise ParameterError(f"formulation {formulation!r} needs a 2D mesh; this mesh is 3D")
    if domain.dim == 2 and formulation in ("A", "B"):
        raise ParameterError(
            f"formulation {formulation!r} needs a 3D tetrahedral mesh; this mesh is 2D "
            "(use 'out-of-plane' or 'in-plane')"
        )
    if fluxoids and formulation != "out-of-plane":
        raise ParameterError("fluxoids: only the 2D out-of-plane formulation takes fluxoid numbers")
    if currents and formulation != "in-plane":
        raise ParameterError("currents: only the 2D in-plane formulation takes net currents")
    if formulation == "out-of-plane":
        from .outofplane import solve_out_of_plane

        _check_options(solve_out_of_plane, formulation, options)
        return solve_out_of_plane(domain, penetration_depth, _out_of_plane(field),
                                  superconductors=superconductors, fluxoids=fluxoids, **options)
    if formulation == "in-plane":
        from .inplane import solve_in_plane

        _check_options(solve_in_plane, formulation, options)
        return solve_in_plane(domain, penetration_depth, _in_plane(field),
                              superconductors=superconductors, currents=currents, **options)
    vector = _three(field)
    if formulation == "A":
        from .avector import solve_a_formulation

        if options.get("far_field", "auto") == "auto":
            options["far_field"] = _auto_far_field(domain, options)
        _check_options(solve_a_formulation, formulation, options)

        return solve_a_formulation(domain, penetration_depth, vector,
                                   superconductors=superconductors, **options)
    from .bfield import solve_b_formulation

    _check_options(solve_b_formulation, formulation, options)
    return solve_b_formulation(domain, penetration_depth, vector,
                               superconductors=superconductors, **options)


def _check_options(func, formulation: str, options: dict) -> None:
    """Refuse keyword options the chosen formulation does not take, listing those it does."""
    import inspect

    fixed = {"domain", "penetration_depth", "applied_field", "boundary_field", "superconductors",
             "fluxoids", "currents"}
    valid = [name for name, par in inspect.signature(func).parameters.items()
             if par.kind is inspect.Parameter.KEYWORD_ONLY and name not in fixed]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ParameterError(
            f"option(s) {', '.join(unknown)} not taken by the {formulation!r} formulation "
            f"({func.__name__}); it takes: {', '.join(valid) or '(none)'}"
        )


def _auto_far_field(domain: Domain, options) -> str:
    """``"image"`` when the A-formulation's outer boundary is a sphere (and no current), else
    ``"none"``."""
    from .avector import _outer_facets, _spherical_outer_boundary

    if options.get("current_density") is not None:
        return "none"
    try:
        _spherical_outer_boundary(domain.mesh, _outer_facets(domain))
    except ParameterError:
        return "none"
    return "image"


def _field_array(applied_field) -> np.ndarray:
    if np.ndim(applied_field) == 0 and not isinstance(applied_field, str):
        applied_field = [applied_field]  # a number: B_z (strings are parsed as vectors)
    field = parse_vector(applied_field, "magnetic_field", "applied_field")
    if field.size not in (1, 2, 3):
        raise ParameterError(
            "applied_field: expected 1 (B_z, 2D), 2 (in-plane, 2D) or 3 components, "
            f"got {field.size}"
        )
    return field


def _choose(domain: Domain, field: np.ndarray) -> str:
    if domain.dim == 3:
        if field.size != 3:
            raise ParameterError(
                f"applied_field: a 3D mesh needs a 3-component field, got {field.size} component(s)"
            )
        has_vacuum = any(is_vacuum_name(n) for n in domain.regions)
        return "A" if has_vacuum else "B"
    if field.size == 1:
        return "out-of-plane"
    if field.size == 2:
        return "in-plane"
    in_plane, normal = np.any(field[:2] != 0), field[2] != 0
    if in_plane and normal:
        raise ParameterError(
            "applied_field: a 2D cross-section takes either a field along z (out-of-plane) or in "
            f"the plane (in-plane), not both at once (got {field.tolist()} T); solve them "
            "separately — the two problems are independent and their fields add"
        )
    return "in-plane" if in_plane else "out-of-plane"


def _out_of_plane(field):
    if field.size == 3 and np.any(field[:2] != 0):
        raise ParameterError("applied_field: the out-of-plane formulation takes only B_z")
    return float(field[-1])


def _in_plane(field):
    if field.size == 1:
        raise ParameterError("applied_field: the in-plane formulation needs (B_x, B_y)")
    if field.size == 3 and field[2] != 0:
        raise ParameterError("applied_field: the in-plane formulation takes only (B_x, B_y)")
    return field[:2]


def _three(field):
    if field.size != 3:
        raise ParameterError(
            f"applied_field: a 3D solve needs 3 components (B_x, B_y, B_z), got {field.size}"
        )
    return field


__all__ = ["FORMULATIONS", "LondonSolution", "solve_london"]
