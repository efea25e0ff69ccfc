"""Vector potentials and gauge transformations for the Schrödinger problem (docs/theory.md §2).

Gauge covariance: the substitution

    ψ → ψ e^{iχ},   A → A + (ħ/q) ∇χ        (scaled: a → a + ∇χ, a = (qL₀/ħ) A)

leaves the eigenvalues, the density |ψ|² and the supercurrent
J_s = (qħ/m) Im(ψ̄∇ψ) − (q²/m)|ψ|²A unchanged. In the discrete problem they are unchanged up to
discretisation error that vanishes under refinement (``tests/test_gauge.py`` measures the rate).

Units: points in metres, A in T·m, χ in radians, fields in tesla.

This module provides

* :func:`uniform_field_potential`: A of a uniform field in the symmetric gauge
  A = ½ B × (r − c) or the Landau gauge A = (B_y (z − c_z), B_z (x − c_x), B_x (y − c_y))
  (2D: A = (0, B_z (x − c_x))); both have ∇ × A = B and ∇·A = 0;
* :func:`vertex_vector_potential`: validation of A given on the mesh vertices (e.g. the ``A``
  point data of a :class:`~mqm_fem.london.common.LondonSolution`);
* :func:`gauge_transform`: ψ → ψe^{iχ} and A → A + (ħ/q)∇χ for a user χ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..errors import ParameterError
from ..units import HBAR, Q, parse_field

GAUGES = ("symmetric", "landau")


# ----------------------------------------------------------------------------------------------
# uniform applied field
def uniform_field_vector(applied_field, dim: int, name: str = "applied_field") -> np.ndarray:
    """A uniform field as a 3-vector in tesla.

    2D domains (an infinitely long prism along z): a scalar B_z (``"1 mT"``, 1e-3) or
    ``(0, 0, B_z)``; an in-plane component is refused (ψ would depend on z). 3D: a 3-vector.
    """
    if applied_field is None:
        return np.zeros(3)
    value = parse_field(applied_field, name)
    if value.size == 1:
        if dim == 3:
            raise ParameterError(
                f"{name}: a 3D domain needs a field vector (Bx, By, Bz) in T, got the scalar "
                f"{applied_field!r}"
            )
        value = np.array([0.0, 0.0, value[0]])
    elif value.size != 3:
        raise ParameterError(
            f"{name}: expected a scalar B_z or a 3-vector (Bx, By, Bz), got {applied_field!r}"
        )
    if dim == 2 and np.any(value[:2] != 0):
        raise ParameterError(
            f"{name}: a 2D domain (prism along z) takes a field along z only, got in-plane "
            f"components {value[:2]} T; use a 3D mesh for a tilted field"
        )
    return value


def uniform_field_potential(field, points, *, gauge: str = "symmetric", center=None) -> np.ndarray:
    """Vector potential (T·m) of the uniform field ``field`` (3-vector, T) at ``points``.

    ``points``: array (dim, ...) in metres, dim 2 or 3; ``center`` (dim,) in metres (default 0).
    Returns an array of the shape of ``points`` (2D: the in-plane components (A_x, A_y); the
    field must then point along z). ``gauge`` is ``"symmetric"`` (A = ½ B × (r − c)) or
    ``"landau"`` (A = (B_y (z − c_z), B_z (x − c_x), B_x (y − c_y))).
    """
    gauge = check_gauge(gauge)
    field = np.asarray(field, dtype=float).reshape(3)
    points = np.asarray(points, dtype=float)
    dim = points.shape[0]
    c = np.zeros(dim) if center is None else np.asarray(center, dtype=float).reshape(dim)
    r = points - c.reshape((dim,) + (1,) * (points.ndim - 1))
    if dim == 2:
        x, y = r
        if gauge == "symmetric":
            return 0.5 * field[2] * np.stack([-y, x])
        return field[2] * np.stack([np.zeros_like(x), x])
    x, y, z = r
    bx, by, bz = field
    if gauge == "symmetric":
        return 0.5 * np.stack([by * z - bz * y, bz * x - bx * z, bx * y - by * x])
    return np.stack([by * z, bz * x, bx * y])


def check_gauge(gauge) -> str:
    if not isinstance(gauge, str) or gauge.lower() not in GAUGES:
        raise ParameterError(f"gauge: must be one of {GAUGES}, got {gauge!r}")
    return gauge.lower()


# ----------------------------------------------------------------------------------------------
# fields on the mesh
def vertex_vector_potential(values, nvertices: int, dim: int,
                            name: str = "vector_potential") -> np.ndarray:
    """A vector potential given on the mesh vertices, validated: float array (nvertices, ncomp).

    ``values``: array (nvertices, 2 or 3) in T·m, or an object with ``point_data["A"]`` (a
    London solution). In 2D a third component A_z is kept: for ψ independent of z it enters as
    the potential a_z²|ψ|². Complex values (a non-Hermitian operator), NaN/inf and wrong shapes
    are refused.
    """
    if hasattr(values, "point_data") and "A" in getattr(values, "point_data", {}):
        values = values.point_data["A"]
    arr = check_potential_values(values, name)
    if arr.ndim != 2 or arr.shape[0] != nvertices or arr.shape[1] not in (dim, 3):
        raise ParameterError(
            f"{name}: expected an array of shape ({nvertices}, {dim}) or ({nvertices}, 3) in "
            f"T·m (one row per mesh vertex), got shape {arr.shape}"
        )
    return arr


def check_potential_values(values, name: str) -> np.ndarray:
    """Real, finite values of a user callable/array (A in T·m or φ in V)."""
    arr = np.asarray(values)
    if np.iscomplexobj(arr):
        if np.any(np.imag(arr) != 0):
            raise ParameterError(
                f"{name}: complex values; a potential must be real (A in T·m, φ in V) — a "
                "complex potential makes the operator non-Hermitian"
            )
        arr = np.real(arr)
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected real numbers, got {type(values).__name__}") from exc
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name}: contains NaN or inf values")
    return arr


# ----------------------------------------------------------------------------------------------
# gauge transformation
def gradient_of(chi, points, step: float | None = None) -> np.ndarray:
    """∇χ at ``points`` (dim, ...) in metres by central differences (χ callable, radians)."""
    points = np.asarray(points, dtype=float)
    dim = points.shape[0]
    if step is None:
        scale = float(np.max(np.abs(points))) if points.size else 1.0
        step = 1e-5 * (scale if scale > 0 else 1.0)
    grads = []
    for i in range(dim):
        e = np.zeros((dim,) + (1,) * (points.ndim - 1))
        e[i] = step
        grads.append((np.asarray(chi(points + e)) - np.asarray(chi(points - e))) / (2 * step))
    return check_potential_values(np.stack(grads), "chi")


def transformed_potential(vector_potential, chi, grad_chi=None):
    """The callable A'(x) = A(x) + (ħ/q)∇χ(x) (x in metres, A in T·m).

    ``vector_potential``: callable A(x). ``grad_chi``: callable ∇χ(x) in rad/m (default:
    central differences of ``chi``).
    """
    if not callable(vector_potential):
        raise ParameterError("vector_potential: expected a callable A(x) (x in m -> T·m)")
    if not callable(chi):
        raise ParameterError("chi: expected a callable χ(x) (x in m -> radians)")

    def a_prime(x):
        g = grad_chi(x) if grad_chi is not None else gradient_of(chi, x)
        a = np.asarray(vector_potential(x), dtype=float)
        g = np.asarray(g, dtype=float)
        return a + (HBAR / Q) * g[: a.shape[0]]

    return a_prime


def gauge_transform(solution_or_psi: object, chi: Callable, *, points: np.ndarray | None = None,
                    vector_potential: Callable | None = None, grad_chi: Callable | None = None):
    """Apply the gauge transformation ψ → ψ e^{iχ}, A → A + (ħ/q)∇χ.

    Parameters
    ----------
    solution_or_psi : SchrodingerSolution or complex array
        A solution (its modes' degrees of freedom are multiplied by e^{iχ} at the Lagrange nodes,
        i.e. the interpolant of ψe^{iχ}), or ψ values at ``points``.
    chi : callable
        χ(x), x an array (dim, ...) in metres, returning radians.
    points : array (dim, n), metres
        Where ``psi`` is given (only for a raw array).
    vector_potential : callable, optional
        A(x) in T·m; the transformed A'(x) = A(x) + (ħ/q)∇χ(x) is returned with it.
    grad_chi : callable, optional
        ∇χ(x) in rad/m (default: central differences).

    Returns
    -------
    For a solution: a new :class:`~mqm_fem.quantum.schrodinger.SchrodingerSolution` whose modes are
    ψe^{iχ} (derived fields recomputed with A' = A + (ħ/q)∇χ, so J_s is unchanged). For an array:
    ``psi * exp(i χ(points))``, or the pair ``(psi', A')`` when ``vector_potential`` is given.
    """
    if not callable(chi):
        raise ParameterError("chi: expected a callable χ(x) (x in metres -> radians)")
    if hasattr(solution_or_psi, "modes") and hasattr(solution_or_psi, "dof_points"):
        sol = solution_or_psi
        phase = np.exp(1j * check_potential_values(chi(sol.dof_points()), "chi"))
        xq = np.asarray(sol.basis.global_coordinates()) * sol.length_scale  # metres
        g = grad_chi(xq) if grad_chi is not None else gradient_of(chi, xq)
        g = check_potential_values(g, "grad_chi")
        a_quad = np.array(sol.a_quad, copy=True)
        a_quad[: g.shape[0]] += sol.length_scale * g  # scaled: a' = a + L0 ∇χ
        # eigenvalues and their errors do not depend on the gauge: keep the estimates
        estimates = getattr(sol, "error_estimates", None)  # a GL state has none
        kept = {key: sol._cache[key] for key in ("estimates", "indicators", "problem")
                if estimates and key in sol._cache}
        return dataclasses.replace(sol, modes=sol.modes * phase[None, :], a_quad=a_quad,
                                   gauge=f"{sol.gauge}+chi", _cache=kept)
    if points is None:
        raise ParameterError("points: needed to transform a raw ψ array (dim, n) in metres")
    psi = np.asarray(solution_or_psi)
    pts = np.asarray(points, dtype=float)
    out = psi * np.exp(1j * check_potential_values(chi(pts), "chi"))
    if vector_potential is not None:
        return out, transformed_potential(vector_potential, chi, grad_chi)
    return out
