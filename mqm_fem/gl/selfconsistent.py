"""Self-consistent GL screening in 2D: ψ and the field together (docs/theory.md §5.4).

The full Gibbs functional of an infinitely long prism in an axial field h (reduced units),

    F[ψ, A] = ∫_Ω_s |(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ dx + κ² ∫_Ω |∇×A − h|² dx,

is minimised by alternating the two exact partial minimisations, starting with the field of the
guess (for ψ = 1 the London screening field): ψ by Newton descent at fixed A
(:mod:`mqm_fem.gl.newton`), then A at fixed ψ — a linear problem, κ²∇×∇×A + |ψ|²A = Im(ψ̄∇ψ) in
the whole mesh with ∇×A = h on its outer boundary (:class:`~mqm_fem.gl.field.FieldSolver`,
Nédélec elements of the order of ψ). Each half-step lowers F, so the iteration converges to a
stationary point of the coupled problem; it stops when the ψ-residual at the newly solved A (the
residual of the coupled problem) is below the Newton tolerance, or F changes by less than 1e-10
(relative) between rounds. Stability is judged from the ψ-Hessian at the final A (the field's
response is not included) and saddles are not escaped in this mode. Vacuum regions of the mesh
(meshed holes) carry the field with ρ = 0; an unmeshed hole gets ∇×A = h on its edge.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError, SolverError
from ..mesh.topology import boundary_loops
from .energy import GLFunctional
from .field import FieldSolver, FieldState
from .newton import NewtonOptions, NewtonResult, minimise
from .problem import GLProblem

#: Alternation stops when F changes by less than this (relative) between two rounds.
COUPLING_TOL = 1e-10
MAX_ROUNDS = 500


def check_screening(domain, parameters, vector_potential) -> None:
    """Self-consistent screening needs κ, a 2D mesh, a uniform applied field and no unmeshed
    holes (their field could not be found): refused before any work."""
    if parameters.kappa is None:
        raise ParameterError("screening: give penetration_depth or kappa (κ = λ/ξ sets the "
                             "field equation κ²∇×∇×A = j)")
    if domain.dim != 2:
        raise ParameterError("screening: self-consistent screening is implemented for 2D "
                             "cross-sections; in 3D solve_gl uses the frozen applied field "
                             "(screening=False)")
    if vector_potential is not None:
        raise ParameterError("screening: give applied_field, not vector_potential (the field "
                             "equation computes A)")
    loops = boundary_loops(domain.mesh)
    bodies = len({body for body, _ in loops})
    if len(loops) > bodies:
        raise ParameterError(
            f"screening: the mesh has {len(loops) - bodies} unmeshed hole(s); the field in a "
            "hole is set by the currents around it — mesh each hole as a vacuum region "
            "(e.g. 'vacuum_hole') so that the field equation covers it")


def minimise_coupled(problem: GLProblem, functional: GLFunctional, x0: np.ndarray,
                     options: NewtonOptions, report) -> tuple[NewtonResult, FieldState, int]:
    """Alternate ψ-descent and the A-solve until F is stationary; returns the last Newton
    result, the last field state and the number of rounds."""
    parent = problem.parent
    scale = parent.length_unit / problem.parameters.coherence_length
    mesh = parent.mesh if scale == 1.0 else parent.mesh.scaled(scale)
    scalar = problem.scalar_basis
    solver = FieldSolver(mesh, _intorder(problem), problem.parameters.kappa,
                         problem.operator.order)
    _check_points(solver, scalar, problem.parent_elements)
    h = float(problem.applied_field[2] / problem.parameters.upper_critical_field)
    elements = problem.parent_elements
    x, previous = x0, None

    def field_of(x):
        """The A-half-step: the field of ψ = x, installed in the ψ functional."""
        rho, s = _density_and_source(functional, x)
        rho_all = np.zeros((mesh.nelements,) + rho.shape[1:])
        s_all = np.zeros((2, mesh.nelements) + rho.shape[1:])
        rho_all[elements], s_all[:, elements] = rho, s
        state = solver.solve(rho_all, s_all, h)
        functional.set_vector_potential(_pad(state.a_quad[:, elements],
                                             functional.a_quad.shape[0]))
        return state

    field_of(x)  # the guess's own field first (for ψ = 1: London screening)
    result = minimise(functional, x, options)
    for rounds in range(1, MAX_ROUNDS + 1):
        x = result.x
        state = field_of(x)
        total = functional.energy(x).total + state.field_energy
        result = minimise(functional, x, options)  # ψ at the new A: its first residual is the
        coupled = result.history[0].residual       # residual of the coupled problem
        report(f"screening round {rounds}: F = {total:.12g} (field {state.field_energy:.6g}), "
               f"coupled residual {coupled:.3e}")
        settled = previous is not None and abs(total - previous) <= COUPLING_TOL * max(
            1.0, abs(total))
        if coupled < options.tol or settled:
            return result, state, rounds
        previous = total
    raise SolverError(f"solve_gl: the ψ–A alternation did not settle in {MAX_ROUNDS} rounds "
                      f"(coupled residual {coupled:.3g} > tol {options.tol:g}); raise tol, or "
                      "start from a converged frozen-field state (guess=...)")


def _intorder(problem: GLProblem) -> int:
    """The quadrature order of the ψ basis (prepare_operator: 2·order + 2)."""
    return 2 * problem.operator.order + 2


def _check_points(solver: FieldSolver, scalar, elements) -> None:
    """The field's quadrature points on the superconducting elements are ψ's."""
    mine = np.asarray(scalar.global_coordinates())
    theirs = np.asarray(solver.basis.global_coordinates())[:, elements]
    if mine.shape != theirs.shape or not np.allclose(mine, theirs, atol=1e-9 * (
            1 + np.abs(mine).max())):
        raise SolverError("solve_gl: the quadrature points of the field and of ψ differ "
                          "(internal: element order of the superconducting sub-mesh)")


def _pad(a: np.ndarray, ncomp: int) -> np.ndarray:
    if a.shape[0] == ncomp:
        return a
    out = np.zeros((ncomp,) + a.shape[1:])
    out[: a.shape[0]] = a
    return out


def _density_and_source(functional: GLFunctional, x: np.ndarray):
    """ρ = |ψ|² and s = Im(ψ̄∇ψ) at the quadrature points of the superconductor."""
    field = functional.problem.basis.interpolate(functional.full(x))
    psi = np.asarray(field)
    grad = np.asarray(field.grad)  # (2 components, dim, nel, nqp)
    rho = np.sum(psi**2, axis=0)
    s = psi[0] * grad[1] - psi[1] * grad[0]
    return rho, s
