"""One solve skeleton for every London formulation: prepare → assemble → solve → derive → pack.

* **prepare** (:func:`mqm_fem.london.problem.prepare`): λ per region and element, the applied
  field — the same for every formulation;
* **assemble** ``(problem, options) -> system``: matrices, loads and DOF maps, in the
  formulation's scaled units;
* **solve** ``(system, options) -> (x, solver_info)``: the linear algebra
  (:mod:`mqm_fem.linalg`);
* **derive** ``(problem, options, system, x) -> Outputs``: fields and integrals in SI;
* **pack**: the typed :class:`~mqm_fem.london.solution.LondonSolution` with timings and the
  resolution diagnostics: λ against the surface elements of every superconductor
  (:func:`~mqm_fem.london.problem.penetration_depth_checks`) and the formulation's estimate of
  the box-truncation error of the moment, each a one-line warning when it fails.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

from ..errors import MqmFemWarning, ParameterError
from ..mesh.resolution import warn_unresolved
from .problem import LondonProblem, penetration_depth_checks
from .registry import FORMULATIONS, Formulation
from .solution import LondonSolution, Timings

__all__ = ["ESTIMATE_TOLERANCE", "TRUNCATION_TOLERANCE", "run"]

#: Estimated relative moment error from the truncated box above which a solve warns.
TRUNCATION_TOLERANCE = 0.01
#: Error bar of the headline output (relative) above which a solve warns.
ESTIMATE_TOLERANCE = 0.01


def run(formulation: Formulation, problem: LondonProblem, options, started: float,
        say: Callable[[str], None]) -> LondonSolution:
    """Run the three steps of ``formulation`` on ``problem`` and pack the result.

    ``started`` is the ``time.perf_counter()`` when preparing began (for ``total_s``);
    ``say`` receives one-line stage messages (:func:`mqm_fem.progress.reporter`).
    """
    if problem.films and not formulation.films:
        raise ParameterError(
            f"the mesh has film(s) {', '.join(problem.films)} (facet groups named film*), which "
            f"the {formulation.name!r} formulation does not carry; choose a sheet formulation "
            f"({', '.join(f.name for f in FORMULATIONS.values() if f.films) or 'none yet'}) or "
            "rename the groups")
    checks = penetration_depth_checks(problem)
    warn_unresolved(checks, "solve_london", stacklevel=4)
    t0 = time.perf_counter()
    say(f"assembling ({formulation.name} formulation, {problem.domain.mesh.nelements} elements)")
    system = formulation.assemble(problem, options)
    t1 = time.perf_counter()
    say(f"solving ({t1 - t0:.1f} s to assemble)")
    x, solver_info = formulation.solve(system, options)
    t2 = time.perf_counter()
    say(f"deriving fields ({t2 - t1:.1f} s to solve)")
    outputs = formulation.derive(problem, options, system, x)
    t3 = time.perf_counter()
    estimates = (None if formulation.estimate is None
                 else formulation.estimate(problem, options, system, x, outputs))
    t4 = time.perf_counter()
    estimate = outputs.truncation_estimate
    if estimate is not None and estimate > TRUNCATION_TOLERANCE:
        warnings.warn(f"solve_london: {outputs.state.get('truncation', '')}", MqmFemWarning,
                      stacklevel=3)
    _warn_error_bar(estimates)
    timings = Timings(assembly_s=t1 - t0, solve_s=t2 - t1, derive_s=t3 - t2,
                      total_s=t4 - started, estimate_s=t4 - t3)
    return LondonSolution(domain=problem.domain, formulation=formulation.name, options=options,
                          penetration_depth=problem.penetration_depth,
                          applied_field=problem.applied_field, outputs=outputs,
                          solver=dict(solver_info), timings=timings, resolution=checks,
                          truncation_estimate=outputs.truncation_estimate,
                          estimates=estimates)


def _warn_error_bar(estimates) -> None:
    """One warning when the headline output's error bar exceeds :data:`ESTIMATE_TOLERANCE`."""
    if estimates is None or not estimates.outputs:
        return
    headline = next(iter(estimates.outputs.values()))
    if headline.relative > ESTIMATE_TOLERANCE:
        warnings.warn(
            f"solve_london: {headline} — the estimated error exceeds "
            f"{100 * ESTIMATE_TOLERANCE:g} %; refine where the 'error_indicator' cell array is "
            f"large, or pass tol={ESTIMATE_TOLERANCE:g} (CLI: --tol {ESTIMATE_TOLERANCE:g}) to "
            "refine adaptively", MqmFemWarning, stacklevel=4)
