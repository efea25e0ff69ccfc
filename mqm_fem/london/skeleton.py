"""One solve skeleton for every London formulation: prepare → assemble → solve → derive → pack.

* **prepare** (:func:`mqm_fem.london.problem.prepare`): λ per region and element, the applied
  field — the same for every formulation;
* **assemble** ``(problem, options) -> system``: matrices, loads and DOF maps, in the
  formulation's scaled units;
* **solve** ``(system, options) -> (x, solver_info)``: the linear algebra
  (:mod:`mqm_fem.linalg`);
* **derive** ``(problem, options, system, x) -> Outputs``: fields and integrals in SI;
* **pack**: the typed :class:`~mqm_fem.london.solution.LondonSolution` with timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .problem import LondonProblem
from .registry import Formulation
from .solution import LondonSolution, Timings

__all__ = ["run"]


def run(formulation: Formulation, problem: LondonProblem, options, started: float,
        say: Callable[[str], None]) -> LondonSolution:
    """Run the three steps of ``formulation`` on ``problem`` and pack the result.

    ``started`` is the ``time.perf_counter()`` when preparing began (for ``total_s``);
    ``say`` receives one-line stage messages (:func:`mqm_fem.progress.reporter`).
    """
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
    timings = Timings(assembly_s=t1 - t0, solve_s=t2 - t1, derive_s=t3 - t2,
                      total_s=t3 - started)
    return LondonSolution(domain=problem.domain, formulation=formulation.name, options=options,
                          penetration_depth=problem.penetration_depth,
                          applied_field=problem.applied_field, outputs=outputs,
                          solver=dict(solver_info), timings=timings)
