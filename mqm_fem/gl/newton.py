"""Regularised Newton descent for the GL free energy (docs/theory.md §6.2).

Each step solves (H + μM) δ = −G with G = ½∇F, H = ½∇²F and M the mass matrix of ψ, and is
accepted when F decreases; μ (a Levenberg–Marquardt / trust-region damping in the L² metric)
follows Nielsen's rule from the gain ratio ρ = ΔF/(−2G·δ − δ·Hδ) (actual over predicted
decrease): μ ← μ·max(⅓, 1 − (2ρ − 1)³) after an accepted step, μ ← 2ᵏμ after the k-th rejection.
Near the solution μ reaches 0 and the iteration is Newton's method, converging quadratically.
Descent makes the iteration end in local minima (stable or metastable states); a saddle is
reached only from a guess that is already on it.

The global phase is fixed by pinning Im ψ at the node where |ψ| is largest (the guess is rotated
so that ψ is real there); this removes the null vector iψ of H (gauge fixing). The residual is the
L² norm of the PDE residual, ‖G‖_{M⁻¹}/√|Ω| (dimensionless: the terms of the GL equation are
O(1)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ParameterError, SolverError
from .energy import GLFunctional

#: The damping tried first after a rejected pure Newton step, and the one below which μ = 0.
MU_START, MU_FLOOR = 1e-4, 1e-9


@dataclass(frozen=True)
class NewtonOptions:
    """Controls of the Newton iteration (validated on construction).

    tol : float
        Stop when the residual ‖½∇F‖_{M⁻¹}/√|Ω| falls below ``tol`` (default 1e-8). The
        iteration also stops, flagged ``stagnated``, when F has changed by less than 1e-10
        (relative) over 20 steps with the residual below 100·``tol``: a state drifting along
        an almost free direction (the rotation of a vortex pattern in a disk, which only the
        mesh breaks), whose energy is converged.
    max_iterations : int
        Give up (``SolverError``) after this many steps (default 200).
    """

    tol: float = 1e-8
    max_iterations: int = 200

    def __post_init__(self):
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (
                np.isfinite(tol) and 0 < tol < 1):
            raise ParameterError(f"tol: Newton residual tolerance must be in (0, 1), got {tol!r}")
        n = self.max_iterations
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"max_iterations: must be a positive integer, got {n!r}")


@dataclass(frozen=True)
class NewtonStep:
    """One accepted Newton step: the energy and residual after it, the damping μ used and the
    L² size of the step."""

    iteration: int
    energy: float
    residual: float
    damping: float
    step: float


@dataclass
class NewtonResult:
    x: np.ndarray
    converged: bool
    history: list[NewtonStep] = field(default_factory=list)
    factorisations: int = 0
    seconds: float = 0.0
    stagnated: bool = False


def pin_phase(functional: GLFunctional, x: np.ndarray) -> tuple[np.ndarray, int | None]:
    """Rotate ψ to be real and positive at its largest node; return (x, index of that node's
    imaginary DOF among the free DOFs) or (x, None) for ψ ≈ 0."""
    psi = functional.to_complex(x)
    j = int(np.argmax(np.abs(psi)))
    if abs(psi[j]) < 1e-8:
        return x, None
    x = functional.from_complex(psi * np.conj(psi[j]) / abs(psi[j]))
    hit = np.flatnonzero(functional.free == 2 * j + 1)
    return x, (int(hit[0]) if hit.size else None)


def minimise(functional: GLFunctional, x0: np.ndarray, options: NewtonOptions,
             report=lambda message: None) -> NewtonResult:
    """Find a local minimiser of F from ``x0`` (free DOFs) by regularised Newton descent."""
    t0 = time.perf_counter()
    x, pin = pin_phase(functional, np.asarray(x0, dtype=float))
    keep = np.ones(x.size, dtype=bool)
    if pin is not None:
        keep[pin] = False
    M = functional.mass_free
    area = functional.problem.area

    def residual(g):
        return float(np.sqrt(max(g @ functional.mass_solve(g), 0.0) / area))

    energy = functional.energy(x).total
    g = functional.gradient(x)
    res = residual(g)
    result = NewtonResult(x=x, converged=res < options.tol,
                          history=[NewtonStep(0, energy, res, 0.0, 0.0)])
    mu, nu = 0.0, 2.0
    while not result.converged:
        if len(result.history) > options.max_iterations:
            raise SolverError(
                f"solve_gl: Newton did not converge in {options.max_iterations} iterations "
                f"(residual {res:.3g} > tol {options.tol:g}); raise max_iterations, try another "
                "guess, or refine the mesh")
        H = functional.hessian(x)
        while True:
            delta, result.factorisations = _step(H, M, g, mu, keep), result.factorisations + 1
            if delta is not None:
                x_try = x + delta
                e_try = functional.energy(x_try).total
                predicted = -(2.0 * g @ delta + delta @ (H @ delta))
                gain = (energy - e_try) / predicted if predicted > 0 else -1.0
                if e_try <= energy + 1e-13 * max(1.0, abs(energy)) and (
                        gain > 0 or abs(energy - e_try) <= 1e-12 * max(1.0, abs(energy))):
                    break
            mu, nu = (mu * nu if mu > 0 else MU_START), 2.0 * nu
            if mu > 1e8:
                raise SolverError("solve_gl: no descent step found (damping μ > 1e8); the "
                                  "guess may be a saddle point — try another guess")
        step = float(np.sqrt(delta @ (M @ delta) / area))
        x, energy = x_try, e_try
        g = functional.gradient(x)
        res = residual(g)
        result.history.append(NewtonStep(len(result.history), energy, res, mu, step))
        report(f"Newton {len(result.history) - 1}: F = {energy:.10g}, residual {res:.3e}, "
               f"damping {mu:.1e}")
        # Nielsen's update: shrink μ when the quadratic model predicted the decrease well
        mu = mu * max(1.0 / 3.0, 1.0 - (2.0 * min(gain, 1.0) - 1.0) ** 3)
        mu, nu = (0.0 if mu < MU_FLOOR else mu), 2.0
        result.x, result.converged = x, res < options.tol
        if not result.converged and _stagnated(result.history, options.tol):
            result.converged = result.stagnated = True
    result.seconds = time.perf_counter() - t0
    return result


def _stagnated(history: list[NewtonStep], tol: float, window: int = 20) -> bool:
    """F settled to 1e-10 over ``window`` steps with a residual below 100·tol."""
    if len(history) <= window or history[-1].residual > 100 * tol:
        return False
    change = abs(history[-1 - window].energy - history[-1].energy)
    return change <= 1e-10 * max(1.0, abs(history[-1].energy))


def _step(H, M, g, mu, keep) -> np.ndarray | None:
    """Solve (H + μM)δ = −g with the pinned DOF held at zero; None if singular."""
    A = (H + mu * M) if mu > 0 else H
    A = sp.csc_matrix(A[keep][:, keep])
    try:
        lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A")
        d = lu.solve(-g[keep])
    except RuntimeError:
        return None
    if not np.all(np.isfinite(d)):
        return None
    delta = np.zeros_like(g)
    delta[keep] = d
    return delta
