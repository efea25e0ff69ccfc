r"""The magnetic polarizability tensor of superconductors in the London limit, in one call.

London screening is linear in the applied field, so the magnetic moment of a body in a uniform
field B_a is

.. math::  m = \alpha\, B_a / \mu_0, \qquad \alpha \in \mathbb{R}^{3\times 3} \text{ (m³)},

with α symmetric (reciprocity: α_ij = α_ji). For a sphere of radius R,
α = −2πR³ f(R/λ) I, f(x) = 1 − 3coth(x)/x + 3/x² (docs/theory.md §1a).

:func:`polarizability` solves the 3D A-formulation (:mod:`mqm_fem.london.avector`) for the three
unit fields B_a = e_j (1 T): the matrix K = C + M_σ does not depend on B_a, only the load
−(σÃ_a, v) does, so K is assembled once and the linear solver is set up once
(:class:`mqm_fem.linalg.linear.CurlCurlSolver`: the AMS preconditioner or the LU factors);
each direction then costs one load, one preconditioned CG solve and the post-processing.
Column j of α is μ₀ m(e_j)/(1 T), with m(e_j) exactly what ``solve_london(domain, λ, e_j,
formulation="A", **options)`` returns (with ``far_field="image"`` each direction's moment is
image-corrected as there, which is exact for a sphere and leading order otherwise).

Reuse beyond the three directions: a field sweep at fixed λ and geometry needs no further
solve, m(B_a) = α·B_a/μ₀; an adaptive step or a sweep over λ changes K, so it sets up anew.
Measured set-up and per-direction times: docs/user-guide.md ("Polarizability tensor").

Error bars: the compliance estimate of each direction's moment along its field
(:func:`mqm_fem.london.estimate_3d.estimate_a`) is the error of the diagonal entry α_jj; the
off-diagonal entries carry none. Max |α − αᵀ| / ‖α‖ is reported as ``asymmetry``: the discrete
operator is symmetric, so α_h is symmetric up to the solver tolerance and the image correction
(which acts per column).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import MqmFemWarning, ParameterError
from ..linalg.linear import CurlCurlSolver
from ..mesh import Domain
from ..mesh.resolution import warn_unresolved
from ..progress import ProgressLike, reporter
from ..units import MU0
from . import avector
from .problem import prepare
from .registry import get
from .skeleton import ESTIMATE_TOLERANCE, TRUNCATION_TOLERANCE
from .solution import LondonSolution, Timings

__all__ = ["Polarizability", "polarizability"]

#: The applied field of each direction's solve (tesla); the response is linear, so α does not
#: depend on it.
UNIT_FIELD = 1.0


@dataclass
class Polarizability:
    """Result of :func:`polarizability` (SI).

    Attributes
    ----------
    tensor : ndarray (3, 3)
        α in m³: m = α·B_a/μ₀; column j is the response to a field along axis j.
    tensor_box : ndarray (3, 3)
        The same from the moments of the computed (truncated-box) problems, before the
        image correction (equal to ``tensor`` with ``far_field="none"``).
    errors : ndarray (3,) or None
        Estimated signed errors of the diagonal α_jj (m³; exact ≈ α_jj + errors[j]).
    asymmetry : float
        max |α_ij − α_ji| / ‖α‖ (Frobenius norm).
    solutions : tuple of LondonSolution
        The three solves (applied field 1 T along x, y, z): fields, moments, energies.
    timings : dict
        Seconds: ``assembly_s`` (once), ``setup_s`` (solver set-up, once), ``solve_s`` (per
        direction, CG / triangular solves only), ``derive_s`` and ``estimate_s`` (all
        directions), ``total_s``.
    solver : dict
        ``method``, ``setups`` (1: the set-up was shared), ``iterations`` per direction,
        ``nfree``.
    """

    tensor: np.ndarray
    tensor_box: np.ndarray
    errors: np.ndarray | None
    asymmetry: float
    solutions: tuple
    timings: dict = field(default_factory=dict)
    solver: dict = field(default_factory=dict)

    @property
    def moments(self) -> np.ndarray:
        """(3, 3) A·m²: column j is the moment in a field of 1 T along axis j."""
        return self.tensor / MU0 * UNIT_FIELD

    def as_dict(self) -> dict:
        """Plain JSON-able numbers (what ``mqm-fem polarizability --json`` writes)."""
        return {"polarizability_m3": self.tensor.tolist(),
                "polarizability_box_m3": self.tensor_box.tolist(),
                "diagonal_errors_m3": None if self.errors is None else self.errors.tolist(),
                "asymmetry": self.asymmetry, "moments_per_tesla_Am2": self.moments.tolist(),
                "timings_s": self.timings, "solver": self.solver,
                "penetration_depth_m": self.solutions[0].penetration_depth,
                "far_field": self.solutions[0].outputs.state.get("far_field")}

    def summary(self) -> str:
        """The tensor, its error bars, the symmetry check and the timings, as printed."""
        rows = [" ".join(f"{v: .6e}" for v in row) for row in self.tensor]
        lines = ["magnetic polarizability α (m³), m = α·B_a/μ₀:", *(f"  [{r}]" for r in rows)]
        if self.errors is not None:
            pairs = zip("xyz", self.errors, strict=True)
            lines.append("diagonal error estimates (m³): "
                         + ", ".join(f"α_{a}{a} {e:+.2e}" for a, e in pairs))
        t, s = self.timings, self.solver
        lines += [f"asymmetry max|α − αᵀ|/‖α‖ = {self.asymmetry:.2e}",
                  f"solver: {s['method']}, {s['setups']} set-up(s), iterations "
                  f"{s['iterations']}, {s['nfree']} unknowns",
                  f"time: {t['total_s']:.2f} s (assembly {t['assembly_s']:.2f} s once, solver "
                  f"set-up {t['setup_s']:.2f} s once, solves "
                  + ", ".join(f"{v:.2f}" for v in t["solve_s"]) + " s)"]
        return "\n".join(lines)


def polarizability(domain: Domain, penetration_depth, *, superconductors: list[str] | None = None,
                   formulation: str = "A", progress: ProgressLike = None,
                   **options) -> Polarizability:
    r"""The magnetic polarizability tensor α (m³, m = α·B_a/μ₀) of the superconductors of a 3D
    ``domain`` with a vacuum region, from one assembly and one solver set-up (module doc).

    Parameters
    ----------
    domain : Domain
        A 3D mesh with a vacuum region around the superconductors.
    penetration_depth : length or dict
        λ (``"100 nm"`` or metres), or a mapping superconducting region -> λ.
    superconductors : list of str, optional
        As in :func:`mqm_fem.london.solve_london`.
    formulation : str
        Only ``"A"`` (the vacuum potential formulation) is available.
    progress : callable, optional
        Receives one-line stage messages.
    **options
        Options of the A-formulation (``far_field``, ``solver``, ``solver_tol``, ``center``);
        ``current_density`` is refused (α is the response to a uniform field).
    """
    started = time.perf_counter()
    say = reporter(progress, "polarizability")
    opts = _check(domain, formulation, options)
    problem = prepare(domain, penetration_depth, np.array([UNIT_FIELD, 0.0, 0.0]),
                      superconductors)
    checks = _resolution_checks(problem)
    t0 = time.perf_counter()
    say(f"assembling (A formulation, {domain.mesh.nelements} elements, once)")
    system = avector.assemble(problem, opts)
    problems = [dataclasses.replace(problem, applied_field=UNIT_FIELD * e) for e in np.eye(3)]
    loads = [system.load] + [avector.applied_load(p, system) for p in problems[1:]]
    free = np.setdiff1d(np.arange(system.nedelec.N), system.dirichlet)
    solver = CurlCurlSolver(system.matrix, system.nedelec, free_dofs=free, method=opts.solver,
                            tol=opts.solver_tol, gradient_energy=system.gradient_energy)
    t1 = time.perf_counter()
    solves = [_solve_direction(solver, load, j, say) for j, load in enumerate(loads)]
    system.matrix, solver = None, None  # free the operator and the preconditioner early
    return _pack(problems, opts, system, solves, checks, (started, t0, t1), say)


def _check(domain, formulation, options):
    """Refuse what α cannot be computed for, before any assembly; the parsed options."""
    if not isinstance(domain, Domain):
        raise ParameterError(f"domain: expected an mqm_fem Domain, got {type(domain).__name__}")
    if domain.dim != 3:
        raise ParameterError(f"domain: the polarizability tensor needs a 3D (tetrahedral) mesh "
                             f"with a vacuum region; this mesh is {domain.dim}D (for a 2D "
                             "cross-section use solve_london with each field direction)")
    if formulation != "A":
        get(formulation)  # an unknown name is refused listing the valid ones
        raise ParameterError(f"formulation: {formulation!r} is not available for the "
                             "polarizability; only 'A' (vacuum potential formulation) is")
    opts = get("A").options.from_kwargs(options)
    if opts.current_density is not None:
        raise ParameterError("current_density: the polarizability is the response to a uniform "
                             "applied field; solve an external current with solve_london")
    return opts


def _resolution_checks(problem):
    """λ against the surface elements (one warning per unresolved superconductor)."""
    from .problem import penetration_depth_checks

    checks = penetration_depth_checks(problem)
    warn_unresolved(checks, "polarizability", stacklevel=4)
    return checks


def _solve_direction(solver, load, j, say):
    say(f"solving for B_a along {'xyz'[j]}"
        + (" (solver set-up once)" if solver.setups == 0 else " (set-up reused)"))
    t0 = time.perf_counter()
    x, info = solver.solve(load)
    info["solve_only_s"] = time.perf_counter() - t0 - info.get("setup_s", 0.0)
    info["nfree"] = solver.n
    return x, info


def _pack(problems, opts, system, solves, checks, times, say) -> Polarizability:
    """Derive, estimate and pack each direction; the tensor from the three moments."""
    started, t0, t1 = times
    solutions = [_direction(problem, opts, system, x, info, checks, (started, (t1 - t0) / 3),
                            say) for problem, (x, info) in zip(problems, solves, strict=True)]
    result = _tensor(solutions)
    result.timings = {"assembly_s": t1 - t0, "setup_s": sum(i["setup_s"] for _, i in solves),
                      "solve_s": [i["solve_only_s"] for _, i in solves],
                      "derive_s": sum(s.timings.derive_s for s in solutions),
                      "estimate_s": sum(s.timings.estimate_s for s in solutions),
                      "total_s": time.perf_counter() - started}
    result.solver = {"method": solves[-1][1]["method"], "setups": solves[-1][1]["setups"],
                     "iterations": [i["iterations"] for _, i in solves],
                     "nfree": solves[0][1]["nfree"]}
    _warn(result)
    return result


def _direction(problem, opts, system, x, info, checks, times, say) -> LondonSolution:
    """The LondonSolution of one direction (derive and estimate as in solve_london); its
    ``timings.assembly_s`` is a third of the shared assembly."""
    started, assembly_s = times
    formulation = get("A")
    say(f"deriving fields for B_a along {'xyz'[int(np.argmax(problem.applied_field))]}")
    t3 = time.perf_counter()
    outputs = formulation.derive(problem, opts, system, x)
    t4 = time.perf_counter()
    estimates = formulation.estimate(problem, opts, system, x, outputs)
    t5 = time.perf_counter()
    timings = Timings(assembly_s=assembly_s, solve_s=info["time_s"], derive_s=t4 - t3,
                      total_s=t5 - started, estimate_s=t5 - t4)
    return LondonSolution(
        domain=problem.domain, formulation="A", options=opts,
        penetration_depth=problem.penetration_depth, applied_field=problem.applied_field,
        outputs=outputs, solver=dict(info), timings=timings, resolution=checks,
        truncation_estimate=outputs.truncation_estimate, estimates=estimates)


def _tensor(solutions) -> Polarizability:
    """α from the three unit-field moments, the diagonal errors and the asymmetry."""
    scale = MU0 / UNIT_FIELD
    tensor = scale * np.column_stack([s.magnetic_moment for s in solutions])
    tensor_box = scale * np.column_stack(
        [np.asarray(s.outputs.scalars["magnetic_moment_box"][0]) for s in solutions])
    heads = [s.estimate for s in solutions]
    errors = None if any(h is None for h in heads) else scale * np.array([h.error
                                                                          for h in heads])
    norm = float(np.linalg.norm(tensor))
    asymmetry = float(np.abs(tensor - tensor.T).max() / norm) if norm > 0 else 0.0
    return Polarizability(tensor=tensor, tensor_box=tensor_box, errors=errors,
                          asymmetry=asymmetry, solutions=tuple(solutions))


def _warn(result: Polarizability) -> None:
    """One warning for a truncated box or a diagonal error bar above 1 % (as solve_london)."""
    first = result.solutions[0]
    if first.truncation_estimate is not None and first.truncation_estimate > TRUNCATION_TOLERANCE:
        warnings.warn(f"polarizability: {first.outputs.state.get('truncation', '')}",
                      MqmFemWarning, stacklevel=3)
    heads = [s.estimate for s in result.solutions]
    if any(h is None for h in heads):
        return
    relative = max(h.relative for h in heads)  # the error bar, as solve_london's ±
    if relative > ESTIMATE_TOLERANCE:
        warnings.warn(f"polarizability: the estimated error of the diagonal reaches "
                      f"{100 * relative:.2g} % (> {100 * ESTIMATE_TOLERANCE:g} %); "
                      "refine the mesh near the superconductors' surface", MqmFemWarning,
                      stacklevel=3)
