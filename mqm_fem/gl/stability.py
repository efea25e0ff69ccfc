"""Stability of a stationary GL state: the lowest eigenvalues of the Hessian (docs/theory.md §5.3).

½∇²F v = μ M v with the mass matrix M of ψ. At a stationary state the phase rotation iψ is an
exact null vector (global gauge invariance); it is recognised by its overlap with iψ and removed.
The state is a local minimum when no eigenvalue lies below −``STABILITY_TOL``, a saddle otherwise;
the count of such eigenvalues is exact (:func:`unstable_directions`, inertia of an LDLᵀ
factorisation), the eigenvalues themselves come from ARPACK.
Since ½∇²F ≥ −M (the kinetic and quartic terms are non-negative), all μ ≥ −1 and the shift
σ = −1.05 lies below the spectrum.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from ..errors import SolverError
from .energy import GLFunctional
from .newton import SymmetricFactor, pin_phase

#: Below −STABILITY_TOL (in units of the bulk condensation stiffness) a Hessian eigenvalue
#: makes the state a saddle; smaller ones are neutral (the rotation of a vortex pattern in a
#: disk, which only the mesh breaks, has |μ| ~ 1e-6 … 1e-5).
STABILITY_TOL = 1e-4


def unstable_directions(functional: GLFunctional, x: np.ndarray) -> int:
    """The number of Hessian eigenvalues below −STABILITY_TOL (the Morse index), counted exactly
    as the negative pivots of a symmetric LDLᵀ factorisation of ½∇²F + STABILITY_TOL·M with the
    phase pinned (Sylvester's law of inertia; SuperLU with symmetric ordering and diagonal
    pivots)."""
    H = functional.hessian(x) + STABILITY_TOL * functional.mass_free
    keep = np.ones(H.shape[0], dtype=bool)
    _, pin = pin_phase(functional, x)
    if pin is not None:
        keep[pin] = False
    factor = SymmetricFactor.of(H, keep)
    if factor is None:  # exactly singular (a zero mode besides the phase) or not symmetric
        raise SolverError("solve_gl: the Hessian has no symmetric LDLᵀ factorisation (singular: "
                          "a zero mode besides the phase); the inertia cannot be counted")
    return factor.negative


def hessian_spectrum(functional: GLFunctional, x: np.ndarray,
                     count: int = 4) -> tuple[np.ndarray, np.ndarray, int]:
    """The ``count`` lowest Hessian eigenvalues at ``x`` with the phase mode removed, their
    eigenvectors (free DOFs, columns) and the number of unstable directions."""
    negative = unstable_directions(functional, x)
    H = functional.hessian(x)
    M = functional.mass_free
    n = H.shape[0]
    k = int(min(count + 1, n - 2))
    # near 0 when the state is a local minimum (fast, resolves the soft modes), else below the
    # whole spectrum (½∇²F ≥ −M) to reach the unstable modes
    sigma = -0.02 if negative == 0 else -1.05
    try:
        vals, vecs = spla.eigsh(H.tocsc(), k=k, M=M.tocsc(), sigma=sigma, which="LM",
                                v0=np.ones(n), tol=1e-9)
    except (RuntimeError, spla.ArpackError) as err:
        raise SolverError(f"solve_gl: Hessian eigenvalues failed ({err})") from err
    order = np.argsort(vals)
    vals, vecs = vals[order], vecs[:, order]
    psi = functional.to_complex(x)
    if np.max(np.abs(psi)) > 1e-8:
        phase_mode = functional.from_complex(1j * psi)
        norm = np.sqrt(phase_mode @ (M @ phase_mode))
        overlap = np.abs(vecs.T @ (M @ phase_mode)) / norm
        drop = int(np.argmax(overlap))
        if overlap[drop] > 0.5:
            vals, vecs = np.delete(vals, drop), np.delete(vecs, drop, axis=1)
    return vals[:count], vecs[:, :count], negative


def classify(negative: int, free_energy: float, is_normal: bool, norm2: float = 0.0) -> str:
    """``saddle`` for a negative Hessian eigenvalue (for ψ ≡ 0: the normal state is unstable,
    the lowest linear eigenvalue ε < 1), ``normal`` for a stable ψ ≡ 0, ``metastable`` for a
    local minimum above the normal state (F > 1e-9∫|ψ|², ``norm2``), else ``stable`` (a sweep
    may demote a stable state to metastable when another state at the same field has lower
    F)."""
    if negative > 0:
        return "saddle"
    if is_normal:
        return "normal"
    # above the normal state by more than round-off of the state's own size ∫|ψ|²
    return "metastable" if free_energy > 1e-9 * norm2 else "stable"
