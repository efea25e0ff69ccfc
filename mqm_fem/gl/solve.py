"""``solve_gl``: one stationary GL state from a guess (docs/theory.md §5).

mesh → :func:`~mqm_fem.gl.problem.prepare` (reduced units) →
:class:`~mqm_fem.gl.energy.GLFunctional` (forms) → :func:`~mqm_fem.gl.newton.minimise` (linear
algebra) → :class:`GLSolution`.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain
from ..mesh.resolution import ResolutionCheck, warn_unresolved
from ..progress import ProgressLike, reporter
from ..quantum.schrodinger import BoundaryConditions, largest_element, winding_checks
from ..units import FieldLike, LengthLike
from .energy import GLFunctional
from .guess import check_guess_controls, initial_guess
from .newton import NewtonOptions, minimise
from .problem import GLProblem, gl_parameters, prepare
from .selfconsistent import check_screening, minimise_coupled
from .solution import GLSolution
from .stability import classify, hessian_spectrum

#: Below this max|ψ|² a converged state is the normal state.
NORMAL_THRESHOLD = 1e-10
#: Elements per coherence length ξ needed in the superconductor, by Lagrange order.
COHERENCE_LENGTH_ELEMENTS = {2: 2.0, 1: 4.0}
#: How often a saddle is left along its unstable mode before the saddle is returned.
MAX_ESCAPES = 10


def solve_gl(domain: Domain, applied_field: FieldLike | None = None, *,
             coherence_length: LengthLike, penetration_depth: LengthLike | None = None,
             kappa: float | None = None, vector_potential: object = None,
             guess: object = "uniform", mode: int = 0, vortices: list | None = None,
             seed: int | None = None, order: int = 2, bc: BoundaryConditions = None,
             gauge: str = "symmetric", center: FieldLike | None = None,
             superconductors: list[str] | None = None, tol: float = 1e-8,
             max_iterations: int = 200, screening: bool = False, stability: bool = True,
             escape_saddles: bool = True, progress: ProgressLike = None) -> GLSolution:
    """A stationary state of the Ginzburg–Landau free energy in a frozen field.

    Minimises (docs/theory.md §5), in reduced units (lengths in ξ, h = B/B_c2, A in B_c2ξ),

        F[ψ] = ∫_Ω |(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ dx   (units B_c²ξᵈ/μ₀, normal state F = 0),

    whose stationarity is (∇ − iA)²ψ + ψ(1 − |ψ|²) = 0 with n·(∇ − iA)ψ = 0 on
    superconductor/insulator boundaries (default), ψ = 0 (``"dirichlet"``) or the de Gennes
    condition n·(∇ − iA)ψ = −ψ/ℓ (``("robin", ℓ)``). A is the applied field's (frozen: the
    large-κ / thin-film limit, no screening), or any given vector potential (e.g. a London
    solution's). Newton descent from ``guess`` finds a local minimum; its Hessian spectrum
    classifies it (stable / metastable / saddle / normal).

    Parameters
    ----------
    domain : Domain
        Triangles (2D cross-section, field along z) or tetrahedra; ψ lives on the
        superconducting regions.
    applied_field : float, str or 3-vector
        Uniform field in T (``"7 mT"``).
    coherence_length : length
        ξ (``"100 nm"``).
    penetration_depth, kappa : optional
        λ or κ = λ/ξ, for SI energies (J or J/m), currents (A/m²) and magnetisation.
    vector_potential : optional
        Instead of ``applied_field``: A(x) as for :func:`~mqm_fem.quantum.solve_schrodinger`.
    guess : ``"uniform"`` (default), ``"linear"``, ``"random"``, a GLSolution or an array
        The initial ψ (:mod:`mqm_fem.gl.guess`); ``mode`` picks the linear mode, ``seed`` the
        random field, ``vortices=[((x, y), n), ...]`` adds vortices (positions in m).
    order : 1 or 2
        Lagrange order of ψ (P2 default).
    bc, gauge, center, superconductors :
        As for :func:`~mqm_fem.quantum.solve_schrodinger`.
    tol : float
        Newton stops when the L² residual of the GL equation is below ``tol`` (default 1e-8;
        see :class:`~mqm_fem.gl.newton.NewtonOptions`).
    screening : bool
        2D only, needs κ: solve the field equation κ²∇×∇×A = Im(ψ̄∇ψ) − |ψ|²A with ψ
        (self-consistent; the field outside an infinitely long prism is h), adding
        κ²∫|∇×A − h|² to F (:mod:`mqm_fem.gl.selfconsistent`). Default False: the frozen field.
    stability : bool
        Compute the lowest Hessian eigenvalues and classify the state (one extra factorisation).
    escape_saddles : bool
        Leave saddles (default True): Newton steps along directions of negative curvature where
        the Hessian is indefinite, and when the converged state is still a saddle (a symmetric
        state past its stability limit, the normal state below the nucleation field) a step
        along its unstable eigenvector and a new descent, up to 10 times (needs ``stability``).
        False: damped Newton only, which may converge to a nearby saddle and returns it.
    progress : callable, True or None
        One line per Newton step.

    Returns
    -------
    GLSolution
    """
    t0 = time.perf_counter()
    options = NewtonOptions(tol=tol, max_iterations=max_iterations,
                            negative_curvature=bool(escape_saddles))
    report = reporter(progress, "solve_gl")
    parameters = gl_parameters(coherence_length, penetration_depth, kappa)
    if applied_field is None and vector_potential is None:
        raise ParameterError("applied_field: give the applied field (e.g. '7 mT', 0 for none) "
                             "or a vector_potential")
    check_guess_controls(guess, mode, seed)
    if screening:
        check_screening(domain, parameters, vector_potential)
        if getattr(domain, "curved", None) is not None and order == 2:
            raise ParameterError(
                "screening: the field solver is straight-sided and shares ψ's quadrature "
                "points, so it cannot run on a curved (order=2) domain; mesh with order=1 or "
                "pass dataclasses.replace(domain, curved=None)")
    problem = prepare(domain, applied_field, vector_potential, parameters, order=order, bc=bc,
                      gauge=gauge, center=center, superconductors=superconductors)
    functional = GLFunctional(problem)
    x0 = initial_guess(functional, guess, mode=mode, seed=seed, vortices=vortices)
    report(f"h = B/B_c2 = {problem.reduced_field:.6g}; P{order}, {functional.free.size} real "
           f"unknowns; Newton from guess {_describe(guess)} ...")
    if screening:
        result, field_state, rounds = minimise_coupled(problem, functional, x0, options, report)
        return _pack(problem, functional, result, _spectrum(functional, result.x, stability),
                     t0, field_state=field_state, rounds=rounds)
    result = minimise(functional, x0, options, report)
    spectrum, escapes = None, 0
    while stability:
        spectrum = hessian_spectrum(functional, result.x)
        if not (escape_saddles and spectrum[2] > 0 and escapes < MAX_ESCAPES):
            break
        escapes += 1
        report(f"saddle (Hessian eigenvalue {spectrum[0][0]:.3g}): stepping along the unstable "
               f"mode, descent {escapes + 1} ...")
        result = minimise(functional, _off_saddle(functional, result.x, spectrum[1][:, 0]),
                          options, report)
    sol = _pack(problem, functional, result, spectrum, t0)
    sol.info["saddle_escapes"] = escapes
    return sol


def _spectrum(functional, x, stability):
    return hessian_spectrum(functional, x) if stability else None


def _off_saddle(functional: GLFunctional, x: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """x + t·v along the unstable mode v, t the best of a few trial steps on either side."""
    M = functional.mass_free
    area = functional.problem.area
    size = np.sqrt(max(x @ (M @ x), 0.0) / area)
    v = mode / np.sqrt(mode @ (M @ mode) / area)
    trials = [x + t * v for t in np.outer([1, -1], [0.05, 0.1, 0.2, 0.4]).ravel()
              * max(size, 0.2)]
    return min(trials, key=lambda y: functional.energy(y).total)


def _describe(guess) -> str:
    return guess if isinstance(guess, str) else type(guess).__name__


def _pack(problem: GLProblem, functional: GLFunctional, result, spectrum, t0: float,
          field_state=None, rounds: int = 0) -> GLSolution:
    """The GLSolution of a converged Newton result (with its stability class)."""
    psi = functional.to_complex(result.x)
    normal = float(np.max(np.abs(psi)) ** 2) < NORMAL_THRESHOLD
    op = problem.operator
    sol = GLSolution(
        domain=op.sub, parent_domain=problem.parent, modes=psi[None, :], basis=op.basis,
        a_quad=functional.a_quad, length_scale=problem.parameters.coherence_length,
        applied_field=problem.applied_field, parameters=problem.parameters, gauge=problem.gauge,
        order=op.order, bc={"dirichlet_facets": op.dirichlet_facets, "robin": op.robin},
        field_energy=0.0 if field_state is None else field_state.field_energy,
        newton=result.history,
        field_vertex=None if field_state is None else field_state.b_vertex[
            problem.parent_vertices],
        info={"ndofs": int(op.basis.N), "unknowns": int(functional.free.size),
              "nelements": int(op.mesh.nelements), "newton_iterations": len(result.history) - 1,
              "factorisations": result.factorisations, "stagnated": result.stagnated,
              "soft_modes": result.soft_modes,
              "time_newton_s": round(result.seconds, 3)})
    if rounds:
        sol.info["screening_rounds"] = rounds
    if spectrum is not None:
        sol.hessian_eigenvalues = spectrum[0]
        norm2 = float(np.sum(np.abs(sol.psi) ** 2) / max(sol.psi.size, 1)) * sol.area
        sol.stability = classify(spectrum[2], sol.free_energy, normal, norm2)
        sol.info["unstable_directions"] = spectrum[2]
    elif normal:
        sol.stability = "normal"
    sol.resolution = resolution_checks(sol)
    warn_unresolved(sol.resolution, "solve_gl", stacklevel=4)
    sol.info["time_s"] = round(time.perf_counter() - t0, 3)
    return sol


def resolution_checks(sol: GLSolution) -> list[ResolutionCheck]:
    """ξ against the largest element of the superconductor and (2D, unless normal) the phase
    winding of ψ along each named boundary (:func:`~mqm_fem.quantum.schrodinger.winding_checks`),
    in metres."""
    checks = [ResolutionCheck("coherence length", "the superconductor",
                              scale=sol.coherence_length, element=largest_element(sol.domain),
                              required=COHERENCE_LENGTH_ELEMENTS[sol.order])]
    if sol.stability != "normal":
        checks += winding_checks(sol)
    return checks
