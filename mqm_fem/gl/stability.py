"""Stability of a stationary GL state: the lowest eigenvalues of the Hessian (docs/theory.md §6.3).

½∇²F v = μ M v with the mass matrix M of ψ. At a stationary state the phase rotation iψ is an
exact null vector (global gauge invariance); it is recognised by its overlap with iψ and removed.
The state is a local minimum when the lowest remaining μ is ≥ −``tol``, a saddle otherwise.
Since ½∇²F ≥ −M (the kinetic and quartic terms are non-negative), all μ ≥ −1 and the shift
σ = −1.05 lies below the spectrum.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from ..errors import SolverError
from .energy import GLFunctional

#: Below −STABILITY_TOL (in units of the bulk condensation stiffness) a Hessian eigenvalue
#: makes the state a saddle.
STABILITY_TOL = 1e-6


def hessian_spectrum(functional: GLFunctional, x: np.ndarray,
                     count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` lowest Hessian eigenvalues at ``x`` with the phase mode removed, and their
    eigenvectors (free DOFs, columns)."""
    H = functional.hessian(x)
    M = functional.mass_free
    n = H.shape[0]
    k = int(min(count + 1, n - 2))
    try:
        vals, vecs = spla.eigsh(H.tocsc(), k=k, M=M.tocsc(), sigma=-1.05, which="LM",
                                v0=np.ones(n))
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
    return vals[:count], vecs[:, :count]


def classify(eigenvalues: np.ndarray, free_energy: float, is_normal: bool) -> str:
    """``saddle`` for a negative Hessian eigenvalue (for ψ ≡ 0: the normal state is unstable,
    the lowest linear eigenvalue ε < 1), ``normal`` for a stable ψ ≡ 0, ``metastable`` for a
    local minimum above the normal state (F > 0), else ``stable`` (a sweep may demote a stable
    state to metastable when another state at the same field has lower F)."""
    if eigenvalues.size and eigenvalues[0] < -STABILITY_TOL:
        return "saddle"
    if is_normal:
        return "normal"
    return "metastable" if free_energy > 0 else "stable"
