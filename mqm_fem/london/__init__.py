"""London–Maxwell screening (docs/theory.md §1): one entry point, registered formulations.

``solve_london(domain, penetration_depth, applied_field, ...)`` picks the formulation from the
mesh and the field (``formulation="auto"``) or by name. The formulations register themselves in
:mod:`mqm_fem.london.registry`:

=================  ===  ===================================================  ===============
formulation        dim  equation                                             auto picks it
=================  ===  ===================================================  ===============
``out-of-plane``   2    −λ²ΔB_z + B_z = 0 in Ω_s, fluxoid per hole (§1c)      field along z
``in-plane``       2    −ΔA_z + χ_s(A_z − c_k)/λ² = μ₀J_ext (§1d)             field in plane
``A``              3    ∇×∇×A + χ_s λ⁻² A = μ₀J_ext, A = A_a + A_r (§1a)       vacuum region
``B``              3    λ²∇×∇×B + B = 0, n×B = n×B_a on ∂Ω_s (§1b)             no vacuum
``axisymmetric``   2    ∇×∇×A + χ_s λ⁻²A = 0, A = A_φ(r, z)e_φ, axial B_a    only by name
``sheet``          3    ∇×∇×A_r + Λ⁻¹(A − w)_t δ_Γ = 0, films as sheets (§4a)  film groups
=================  ===  ===================================================  ===============

``polarizability(domain, penetration_depth, ...)`` returns the 3×3 magnetic polarizability
tensor α (m = α·B_a/μ₀) of a 3D domain from one assembly and one linear-solver set-up for the
three field directions (:mod:`mqm_fem.london.polarizability`).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain
from ..mesh.adapt import BUDGET_KEYS, adapt, check_tol
from ..progress import ProgressLike, reporter
from ..units import FieldLike, LengthLike, parse_field
from . import avector, axisymmetric, bfield, inplane, outofplane, sheet  # noqa: F401  (register)
from .inductance import Inductance, field_cooled, inductance
from .polarizability import Polarizability, polarizability
from .problem import LondonProblem, prepare
from .registry import FORMULATIONS, Formulation, choose, get, register
from .skeleton import run
from .solution import Energies, Hole, LondonSolution, Timings

__all__ = ["FORMULATIONS", "Energies", "Formulation", "Hole", "Inductance", "LondonProblem",
           "LondonSolution", "Polarizability", "Timings", "choose", "field_cooled", "get",
           "inductance", "polarizability", "register", "solve_london"]


def solve_london(domain: Domain, penetration_depth: LengthLike | dict,
                 applied_field: FieldLike | None,
                 *, superconductors: list[str] | None = None, formulation: str = "auto",
                 tol: float | None = None, adaptivity: dict | None = None,
                 progress: ProgressLike = None, **options) -> LondonSolution:
    """Solve London screening on ``domain`` and return a :class:`LondonSolution` (SI units).

    Parameters
    ----------
    domain : Domain
        From :func:`mqm_fem.load_mesh` or :mod:`mqm_fem.geometry`.
    penetration_depth : length or dict
        λ (``"100 nm"`` or metres), or a mapping superconducting region -> λ.
    applied_field : field
        Uniform applied field B_a in tesla (``(0, 0, 1e-3)``, ``"0 0 1 mT"``); on a 2D mesh a
        single value is B_z, two values the in-plane field. ``None`` (no applied field) only
        together with another source of the chosen formulation (its options' ``sources()``:
        trapped ``fluxoids``, ``currents``, a ``current_density`` or a ``boundary_field``).
    superconductors : list of str, optional
        Superconducting region names (default: every region not named vacuum*/air*/hole*).
    formulation : str
        ``"auto"`` or a registered name (``mqm_fem.london.FORMULATIONS``): ``"A"``, ``"B"``,
        ``"out-of-plane"``, ``"in-plane"``, ``"axisymmetric"`` (a meridian (r, z) mesh of a body
        of revolution, field along the axis; only by name).
    tol : float, optional
        Target relative error of the headline output (e.g. ``1e-3``; 0 < tol < 1): solve,
        estimate and refine the mesh (:func:`mqm_fem.mesh.adapt.adapt`: generated domains are
        remeshed from their geometry, others refined locally) until the estimate meets it or a
        budget stops the loop (then a warning gives the estimate reached). The history is
        ``solution.adaptivity``. Refused for a formulation without an error estimator.
    adaptivity : dict, optional
        Budgets and marking of the adaptive loop (with ``tol``): ``max_dofs``, ``max_memory``
        (bytes), ``max_steps``, ``fraction`` (see :func:`mqm_fem.mesh.adapt.adapt`).
    progress : callable, optional
        Receives one-line messages at each stage (the CLI prints them); with ``tol``, one line
        per adaptive step.
    **options
        The chosen formulation's options (its dataclass in ``FORMULATIONS[name].options``;
        e.g. ``fluxoids={"hole_0": 1}`` and ``order`` for ``out-of-plane``, ``far_field`` and
        ``solver`` for ``A``). An option the formulation does not take is refused, listing
        those it takes. ``solver_tol`` is the relative residual of iterative linear solves
        (``tol`` is the target accuracy above).
    """
    started = time.perf_counter()
    say = reporter(progress, "solve_london")
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    if tol is not None:
        return _solve_adaptive(domain, penetration_depth, applied_field, superconductors,
                               formulation, tol, adaptivity, progress, options)
    if adaptivity is not None:
        raise ParameterError("adaptivity: budgets of the adaptive loop need tol (the target "
                             "relative error); give tol or leave adaptivity out")
    field = (np.zeros(3 if domain.dim == 3 else 1) if applied_field is None
             else parse_field(applied_field))
    chosen = choose(domain, field, formulation)
    opts = _options(chosen, formulation, options)
    if applied_field is None and not opts.sources():
        raise ParameterError(
            f"applied_field: None (no applied field) leaves nothing to solve: give the field "
            f"(e.g. '0 0 1 mT') or a source the {chosen.name!r} formulation takes "
            f"({', '.join(chosen.options.source_options) or 'none'})"
        )
    problem = prepare(domain, penetration_depth, chosen.applied(field), superconductors)
    return run(chosen, problem, opts, started, say)


def _options(chosen, requested: str, options: dict):
    """``chosen``'s options from ``options``; when 'auto' chose a formulation that does not
    take them, the message names the formulations of the same dimension that do."""
    from .registry import FORMULATIONS

    try:
        return chosen.options.from_kwargs(options)
    except ParameterError as exc:
        if requested != "auto":
            raise
        takers = []
        for other in FORMULATIONS.values():
            if other.dim != chosen.dim or other is chosen:
                continue
            try:
                other.options.from_kwargs(options)
            except ParameterError:
                continue
            takers.append(other.name)
        if not takers:
            raise
        raise ParameterError(
            f"{exc}; chosen automatically — formulation {' or '.join(map(repr, takers))} takes "
            f"them (formulation=..., CLI --formulation {takers[0]})") from None


def _solve_adaptive(domain, penetration_depth, applied_field, superconductors, formulation, tol,
                    adaptivity, progress, options) -> LondonSolution:
    """``solve_london`` with a target accuracy: everything checked before the first solve."""
    tol = check_tol(tol)
    field = (np.zeros(3 if domain.dim == 3 else 1) if applied_field is None
             else parse_field(applied_field))
    chosen = choose(domain, field, formulation)
    opts = _options(chosen, formulation, options)
    if chosen.estimate is None:
        raise ParameterError(
            f"tol: the {chosen.name!r} London formulation has no error estimator, so it cannot "
            "refine to a target accuracy; solve without tol (and refine the mesh by hand)")
    if domain.film_names():
        raise ParameterError(
            f"tol: meshes with films ({', '.join(domain.film_names())}) are not refined "
            "adaptively (a remesh would not keep the film surfaces); solve without tol — the "
            "solution still carries its error estimate — and refine by hand (Device.mesh / "
            "film_disk sizes h_edge, grading)")
    budgets = dict(adaptivity or {})
    unknown = set(budgets) - set(BUDGET_KEYS)
    if unknown:
        raise ParameterError(f"adaptivity: unknown key(s) {', '.join(sorted(unknown))}; valid: "
                             f"{', '.join(BUDGET_KEYS)}")
    inner = dict(options)

    def solve(mesh_domain):
        return solve_london(mesh_domain, penetration_depth, applied_field,
                            superconductors=superconductors, formulation=chosen.name, **inner)

    solution, history = adapt(solve, domain, tol, order=int(getattr(opts, "order", 1)),
                              progress=progress, who="solve_london", **budgets)
    solution.adaptivity = history
    return solution
