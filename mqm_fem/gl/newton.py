"""Regularised Newton descent for the GL free energy (docs/theory.md §5.2).

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

#: Stop as "stagnated" when F moved by less than STAGNATION_ENERGY (relative) over 10 steps
#: whose median residual stayed below STAGNATION_RESIDUAL.
STAGNATION_ENERGY, STAGNATION_RESIDUAL = 1e-9, 1e-3
#: Hessian eigenvalues below this (in units of the bulk stiffness) are soft modes; they are
#: searched along and frozen at most MAX_SOFT_REFRESHES times per descent; from then on the
#: steps are damped by at least SOFT_SHIFT (the mesh-level size of such modes).
SOFT_MODE, MAX_SOFT_REFRESHES, SOFT_SHIFT = 1e-3, 3, 1e-4
#: The damping tried first after a rejected pure Newton step, and the one below which μ = 0.
MU_START, MU_FLOOR = 1e-4, 1e-9


@dataclass(frozen=True)
class NewtonOptions:
    """Controls of the Newton iteration (validated on construction).

    tol : float
        Stop when the residual ‖½∇F‖_{M⁻¹}/√|Ω| falls below ``tol`` (default 1e-8). The
        iteration also stops, flagged ``stagnated``, when F has changed by less than 1e-9
        (relative) over 10 steps with residuals below 1e-3: a state drifting along an almost
        free direction (the rotation of a vortex pattern in a disk, which only the mesh
        breaks), whose energy is converged; its residual is kept in the history.
    max_iterations : int
        Give up (``SolverError``) after this many steps (default 200).
    negative_curvature : bool
        Where the Hessian is indefinite, search along a direction of negative curvature
        (default) — the iteration then leaves saddles; False damps such steps instead, and the
        iteration may converge to a nearby saddle (e.g. a symmetric state past its stability
        limit).
    """

    tol: float = 1e-8
    max_iterations: int = 200
    negative_curvature: bool = True

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
    soft_modes: int = 0


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

    soft = np.zeros((x.size, 0))  # M-orthonormal soft modes, frozen once found

    def target():
        """tol, scaled down with the L² size of ψ below 1 (near the nucleation field ψ → 0 and
        an absolute tolerance would leave its amplitude unconverged)."""
        size = np.sqrt(max(x @ (M @ x), 0.0) / area)
        return options.tol * min(1.0, max(size, 1e-6))

    def residual(g):
        """(full residual, residual without the frozen soft modes — the one tested)."""
        full = float(np.sqrt(max(g @ functional.mass_solve(g), 0.0) / area))
        if not soft.shape[1]:
            return full, full
        g = g - M @ (soft @ (soft.T @ g))
        return full, float(np.sqrt(max(g @ functional.mass_solve(g), 0.0) / area))

    energy = functional.energy(x).total
    g = functional.gradient(x)
    res, rest = residual(g)
    result = NewtonResult(x=x, converged=rest < target(),
                          history=[NewtonStep(0, energy, res, 0.0, 0.0)])
    mu, refreshes = 0.0, 0
    while not result.converged:
        if len(result.history) > options.max_iterations:
            raise SolverError(
                f"solve_gl: Newton did not converge in {options.max_iterations} iterations "
                f"(residual {rest:.3g} > tol {options.tol:g}); raise max_iterations, try another "
                "guess, or refine the mesh")
        x_new, e_new, mu, gain, count = _descent_step(functional, x, g, energy, mu, keep, soft,
                                                      SOFT_SHIFT if refreshes else 0.0,
                                                      options.negative_curvature)
        result.factorisations += count
        step = float(np.sqrt((x_new - x) @ (M @ (x_new - x)) / area))
        x, energy = x_new, e_new
        g = functional.gradient(x)
        res, rest = residual(g)
        result.history.append(NewtonStep(len(result.history), energy, res, mu, step))
        report(f"Newton {len(result.history) - 1}: F = {energy:.10g}, residual {res:.3e}, "
               f"damping {mu:.1e}")
        if gain is not None:  # Nielsen's update: shrink μ when the model predicted well
            mu = mu * max(1.0 / 3.0, 1.0 - (2.0 * min(gain, 1.0) - 1.0) ** 3)
            mu = 0.0 if mu < MU_FLOOR else mu
        result.x, result.converged = x, rest < target()
        if result.converged:
            break
        if _slow(result.history) and refreshes < MAX_SOFT_REFRESHES:
            # an almost free direction (the rotation of a vortex pattern in a disk, which only
            # the mesh breaks; a vortex in a shallow valley): search along the current soft
            # modes, then converge the rest with them frozen
            refreshes += 1
            modes, (x_soft, e_soft) = _soft_modes(functional, x, energy)
            if modes.shape[1]:
                soft, x, energy = modes, x_soft, e_soft
                g = functional.gradient(x)
                res, rest = residual(g)
                result.soft_modes = soft.shape[1]
                result.history.append(NewtonStep(len(result.history), energy, res, -1.0, 0.0))
                report(f"{soft.shape[1]} soft mode(s) searched and frozen: F = {energy:.10g}, "
                       f"residual {res:.3e} ({rest:.3e} without them)")
                result.x, result.converged, mu = x, rest < target(), 0.0
                continue
        if _stagnated(result.history):
            result.converged = result.stagnated = True
    result.seconds = time.perf_counter() - t0
    return result


def _descent_step(functional, x, g, energy, mu, keep, soft, shift, curvature=True):
    """One accepted step from x: a damped Newton step when H + μM is positive definite, else a
    line search along a direction of negative curvature; μ grows until a step lowers F. Steps
    are M-orthogonal to the frozen ``soft`` modes. Returns (x, F, μ, gain ratio or None for a
    curvature step, factorisations). ``shift`` (in the soft regime) keeps the soft modes of
    either sign out of the inertia."""
    H = functional.hessian(x)
    M = functional.mass_free

    def project(d):
        return d - soft @ (soft.T @ (M @ d)) if soft.shape[1] else d

    tiny = 1e-13 * max(1.0, abs(energy))
    for count in range(1, 200):
        damping = max(mu, shift)
        factor = SymmetricFactor.of(H + damping * M if damping > 0 else H, keep)
        if factor is not None and (factor.negative == 0 or not curvature):
            delta = project(factor.solve(-g))
            e_try = functional.energy(x + delta).total
            predicted = -(2.0 * g @ delta + delta @ (H @ delta))
            gain = (energy - e_try) / predicted if predicted > 0 else -1.0
            if e_try <= energy + tiny and (gain > 0 or abs(energy - e_try) <= 10 * tiny):
                return x + delta, e_try, mu, gain, count
        elif factor is not None:
            moved = line_search(functional, x, project(factor.negative_direction()), energy)
            if moved is not None:
                return moved[0], moved[1], mu, None, count
        mu = 2.0 * mu if mu > 0 else MU_START
        if mu > 1e8:
            break
    raise SolverError("solve_gl: no descent step found (damping μ > 1e8); the guess may be a "
                      "saddle point — try another guess")


def line_search(functional: GLFunctional, x: np.ndarray, direction: np.ndarray,
                energy: float) -> tuple[np.ndarray, float] | None:
    """The best of x + t·d over a ladder of steps t on both sides (d scaled to the L² size of ψ),
    or None if none lowers F."""
    M = functional.mass_free
    area = functional.problem.area
    size = max(np.sqrt(max(x @ (M @ x), 0.0) / area), 0.1)
    d = direction / np.sqrt(max(direction @ (M @ direction) / area, 1e-300))
    best = (x, energy)
    for t in size * np.outer([1.0, -1.0], [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]).ravel():
        e = functional.energy(x + t * d).total
        if e < best[1] - 1e-13 * max(1.0, abs(energy)):
            best = (x + t * d, e)
    return None if best[1] == energy else best


def _soft_modes(functional, x, energy):
    """The Hessian's soft modes (|μ| < SOFT_MODE, M-orthonormal columns) after a line search
    along each; returns (modes, (x, F))."""
    from .stability import hessian_spectrum

    values, vectors, _ = hessian_spectrum(functional, x, count=3)
    modes = vectors[:, np.abs(values) < SOFT_MODE]
    for vector in modes.T:
        found = line_search(functional, x, vector, energy)
        if found is not None:
            x, energy = found
    return modes, (x, energy)


class SymmetricFactor:
    """LDLᵀ of a symmetric sparse matrix by SuperLU with a symmetric ordering and diagonal
    pivots (Pᵀ A P = L D Lᵀ, D = diag U): solves, the inertia (number of negative pivots =
    number of negative eigenvalues, Sylvester) and a direction z of negative curvature
    (zᵀAz = D_kk < 0 for the most negative pivot k). DOFs outside ``keep`` are held at 0."""

    def __init__(self, lu, keep):
        self.lu, self.keep = lu, keep
        self.pivots = lu.U.diagonal()
        self.negative = int(np.sum(self.pivots < 0))

    @classmethod
    def of(cls, A, keep) -> SymmetricFactor | None:
        try:
            lu = spla.splu(sp.csc_matrix(A[keep][:, keep]), permc_spec="MMD_AT_PLUS_A",
                           diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        except RuntimeError:
            return None
        if not np.array_equal(lu.perm_r, lu.perm_c) or not np.all(np.isfinite(lu.U.diagonal())):
            return None
        return cls(lu, keep)

    def solve(self, b: np.ndarray) -> np.ndarray:
        out = np.zeros_like(b)
        out[self.keep] = self.lu.solve(b[self.keep])
        return out

    def negative_direction(self) -> np.ndarray:
        k = int(np.argmin(self.pivots))
        e = np.zeros(self.pivots.size)
        e[k] = 1.0
        y = spla.spsolve_triangular(self.lu.L.T.tocsr(), e, lower=False, unit_diagonal=True)
        out = np.zeros(self.keep.size)
        out[self.keep] = y[self.lu.perm_c]  # z = P_c y: zᵀAz = D_kk
        return out


def _slow(history: list[NewtonStep], window: int = 8) -> bool:
    """The residual fell by less than 10x over ``window`` steps while below 1e-3 (Newton would
    have converged: an almost free direction is being crawled along)."""
    if len(history) <= window or history[-1].residual > 1e-3:
        return False
    recent = [step for step in history[-1 - window:] if step.damping >= 0]
    return len(recent) > window and recent[-1].residual > 0.1 * recent[0].residual


def _stagnated(history: list[NewtonStep], window: int = 10) -> bool:
    """F settled to STAGNATION_ENERGY (relative) over ``window`` steps with the median residual
    of the window below STAGNATION_RESIDUAL."""
    if len(history) <= window:
        return False
    recent = history[-1 - window:]
    if np.median([step.residual for step in recent]) > STAGNATION_RESIDUAL:
        return False
    change = abs(recent[0].energy - recent[-1].energy)
    return change <= STAGNATION_ENERGY * max(1.0, abs(history[-1].energy))
