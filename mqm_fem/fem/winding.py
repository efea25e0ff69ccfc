r"""A closed 1-form that winds once around an axis: the phase gradient of a trapped fluxoid.

A superconducting loop holding n fluxoids has a phase θ that winds by 2πn around the hole, so
(ħ/2e)∇θ = (Φ₀/2π)∇θ is curl-free but not a gradient. In the London equations it enters as a
known field w = n Φ₀ ∇φ/(2π) with φ the azimuthal angle about an axis through the hole
(docs/theory.md §4): ∮ w·dl = nΦ₀ around the hole, 0 around any loop that does not enclose
the axis.

On lowest-order Nédélec (Whitney) edge elements a field is given by its line integrals along
the edges. :func:`winding_form` returns them for w = ∇φ/(2π), in turns: the angle swept from an
edge's first to its second vertex, seen along the axis, wrapped into (−½, ½]. The circulation of
these values around every triangle whose edges subtend less than half a turn is zero (the form
is closed, exactly, not only up to quadrature), and around a loop that encircles the axis once
it is ±1 exactly. Only the edges of the superconductor (or film) need it: the axis must keep
clear of them (:func:`check_clearance`).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["azimuth", "check_clearance", "winding_form"]


def _frame(axis_direction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.asarray(axis_direction, dtype=float).reshape(3)
    norm = np.linalg.norm(a)
    if not np.isfinite(norm) or norm == 0:
        raise ParameterError(f"axis direction: {axis_direction!r} is not a nonzero 3-vector")
    a = a / norm
    helper = np.eye(3)[int(np.argmin(np.abs(a)))]
    e1 = np.cross(a, helper)
    e1 /= np.linalg.norm(e1)
    return a, e1, np.cross(a, e1)


def azimuth(points: np.ndarray, axis_point, axis_direction) -> tuple[np.ndarray, np.ndarray]:
    """Angle φ (rad, right-handed about ``axis_direction``) and distance from the axis of each
    column of ``points`` (3, n) (2D points (2, n) lie in the plane z = 0)."""
    pts = np.asarray(points, dtype=float)
    if pts.shape[0] == 2:
        pts = np.vstack([pts, np.zeros(pts.shape[1])])
    a, e1, e2 = _frame(axis_direction)
    d = pts - np.asarray(axis_point, dtype=float).reshape(3, 1)
    x, y = e1 @ d, e2 @ d
    return np.arctan2(y, x), np.hypot(x, y)


def winding_form(points: np.ndarray, edges: np.ndarray, axis_point,
                 axis_direction) -> np.ndarray:
    """Line integrals of ∇φ/(2π) along ``edges`` (2, n_edges) from ``edges[0]`` to
    ``edges[1]``, in turns: the swept azimuth about the axis through ``axis_point`` along
    ``axis_direction`` (right-handed), wrapped into (−½, ½]."""
    phi, _ = azimuth(points, axis_point, axis_direction)
    turn = (phi[edges[1]] - phi[edges[0]]) / (2 * np.pi)
    return turn - np.ceil(turn - 0.5)


def check_clearance(points: np.ndarray, edges: np.ndarray, axis_point, axis_direction,
                    what: str, max_turn: float = 0.25) -> None:
    """Refuse an axis that passes through (or too close to) the edges carrying the form: every
    edge must sweep less than ``max_turn`` of a turn about it, else the wrapped angle no longer
    gives a closed form (the axis runs through the superconductor, not through the hole).
    ``what`` names the hole in the message."""
    turns = np.abs(winding_form(points, edges, axis_point, axis_direction))
    worst = float(turns.max()) if turns.size else 0.0
    if worst >= max_turn:
        raise ParameterError(
            f"{what}: the axis through {np.round(np.asarray(axis_point, float), 6).tolist()} "
            f"along {np.round(np.asarray(axis_direction, float), 6).tolist()} passes through or "
            f"next to the superconductor (an edge sweeps {worst:.2f} of a turn about it, needs "
            f"< {max_turn}); give an axis that runs through the hole")
