"""Recovered (smoothed) fields for error estimation: the ZZ idea.

A finite-element gradient ∇u_h jumps across element boundaries while the exact gradient does
not. Its L² projection G(∇u_h) onto the continuous space of the same element (each component
separately) is a better approximation, and the difference

    η_K² = ‖G(∇u_h) − ∇u_h‖²_K

estimates the gradient error on each element (Zienkiewicz–Zhu). The same applies to any field
given at quadrature points: a covariant gradient (∇ − iA)ψ, a curl, a current density.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from .forms import mass, weighted_load

__all__ = ["recover", "recovery_indicators"]


def recover(basis, values: np.ndarray, *, coefficients: bool = False):
    """L² projection of quadrature values onto the continuous space of ``basis``'s element,
    evaluated back at the same quadrature points.

    Parameters
    ----------
    basis : skfem.CellBasis
        A scalar Lagrange basis (P1 or P2, straight or isoparametric); it may cover a subset of
        the mesh's elements (the projection then lives on the DOFs of those elements).
    values : ndarray (ncomp, nelements, nqp), real or complex
        The field at the quadrature points of ``basis``.
    coefficients : bool
        Also return the DOF vectors of the recovered field, shape (ncomp, basis.N).

    Returns
    -------
    ndarray of the same shape as ``values``: the recovered field G(values) at the quadrature
    points (and the DOF vectors when ``coefficients`` is true).
    """
    values = np.asarray(values)
    M = mass.assemble(basis).tocsr()
    active = np.flatnonzero(M.diagonal() > 0)
    solve = spla.factorized(M[active][:, active].tocsc())
    out = np.empty_like(values)
    dofs = np.zeros((values.shape[0], basis.N), dtype=values.dtype)
    for i in range(values.shape[0]):
        parts = [values[i].real] + ([values[i].imag] if np.iscomplexobj(values) else [])
        smooth = [solve(weighted_load.assemble(basis, f=part)[active]) for part in parts]
        dofs[i, active] = smooth[0] if len(smooth) == 1 else smooth[0] + 1j * smooth[1]
        out[i] = np.asarray(basis.interpolate(dofs[i]))
    return (out, dofs) if coefficients else out


def recovery_indicators(basis, values: np.ndarray, weight: float | np.ndarray = 1.0,
                        recovered: np.ndarray | None = None) -> np.ndarray:
    """Per element of ``basis``: ∫_K weight |G(values) − values|² dx, shape (nelements,).

    ``weight``: a scalar or quadrature array (nelements, nqp) (a material coefficient such as
    λ²); ``recovered``: G(values) if already computed (:func:`recover`)."""
    smooth = recover(basis, values) if recovered is None else recovered
    diff = np.sum(np.abs(smooth - values) ** 2, axis=0)
    return np.sum(weight * diff * basis.dx, axis=1)
