r"""The weak forms of every equation mqm_fem solves, as scikit-fem forms.

Each form is written at module level so that it reads like the equation in
``docs/theory.md``; the solvers assemble them against a :class:`skfem.Basis` and pass the
coefficients as keyword arguments (``form.assemble(basis, lam2=...)``). Coefficients are in
the scaled units of the solver that uses them: lengths in mesh units ℓ, fields in tesla.

London screening (docs/theory.md §1)
------------------------------------
=========================  =============================================  =====================
form                       bilinear / linear form                         equation
=========================  =============================================  =====================
:data:`london_scalar`      λ²(∇u, ∇v) + (u, v)                            −λ²ΔB_z + B_z = 0 (§1c)
:data:`laplace`            (∇u, ∇v)                                       −ΔA_z (§1d)
:data:`weighted_mass`      (s u, v)                                       χ_s A_z/λ² (§1d)
:data:`weighted_load`      (f, v)                                         loads, moments
:data:`london_b`           λ²(∇×u, ∇×v) + (u, v)                          λ²∇×∇×B + B = 0 (§1b)
:data:`london_a`           (∇×u, ∇×v) + (σ u, v), σ = χ_s/λ²              ∇×∇×A + χ_sλ⁻²A (§1a)
:data:`vector_mass`        (u, v)                                         Nédélec mass
:data:`vector_load`        (f, v)                                         −(σA_a, v), μ₀J_ext
=========================  =============================================  =====================

The 3D A-formulation is assembled in closed form by :class:`mqm_fem.fem.nedelec.NedelecTet`
(no quadrature arrays, ≈5x faster); :data:`london_a` is its reference definition, and
``tests/test_fem.py::test_closed_form_a_formulation_equals_the_form`` checks that the two
matrices agree to round-off.

Gauge-covariant Schrödinger operator (docs/theory.md §2)
-------------------------------------------------------
With real basis functions the sesquilinear form
∫(∇ − ia)ψ·conj((∇ − ia)w) + vψw̄ dx splits into K = K₀ + iK₁:
:data:`schrodinger_real` (K₀, symmetric) and :data:`schrodinger_imag` (K₁, antisymmetric), with
the mass :data:`mass`.

Stationary Ginzburg–Landau (docs/theory.md §5)
----------------------------------------------
ψ = u + iw is carried as the real 2-vector ψ = (u, w) (``ElementVector`` of two Lagrange
components); multiplication by i is the rotation Jψ = (−w, u). In reduced units (lengths in ξ,
A in B_c2ξ) the GL free energy is
F[ψ] = ∫ |(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ dx = xᵀ(K − M)x + ½∫|ψ|⁴, its half-gradient
G = (K − M)x + (|ψ|²ψ, v) and half-Hessian H = K − M + T(ψ):

=========================  =============================================  =====================
form                       bilinear / linear form                         term of F
=========================  =============================================  =====================
:data:`gl_kinetic`         ((∇ − iA)ψ, (∇ − iA)v) (real 2-vector form)    |(∇ − iA)ψ|²
:data:`gl_mass`            (ψ, v)                                         −|ψ|² (with a minus)
:data:`gl_cubic`           (|ψ|²ψ, v)                                     ½|ψ|⁴ (half-gradient)
:data:`gl_cubic_tangent`   (|ψ|²δψ + 2(ψ·δψ)ψ, v)                         ½|ψ|⁴ (half-Hessian)
=========================  =============================================  =====================
"""

from __future__ import annotations

import numpy as np
from skfem import BilinearForm, LinearForm
from skfem.helpers import curl, dot, grad

__all__ = ["gl_cubic", "gl_cubic_tangent", "gl_kinetic", "gl_mass", "laplace", "london_a",
           "london_b", "london_scalar", "mass", "schrodinger_imag",
           "schrodinger_real", "vector_load", "vector_mass", "weighted_load", "weighted_mass"]


# -- scalar H¹ forms --------------------------------------------------------------------------
@BilinearForm
def mass(u, v, _):
    """(u, v)."""
    return u * v


@BilinearForm
def laplace(u, v, _):
    """(∇u, ∇v): −Δ."""
    return dot(grad(u), grad(v))


@BilinearForm
def london_scalar(u, v, w):
    """λ²(∇u, ∇v) + (u, v): the out-of-plane London operator −λ²ΔB_z + B_z
    (``lam2`` = λ² in mesh units² at the quadrature points)."""
    return w["lam2"] * dot(grad(u), grad(v)) + u * v


@BilinearForm
def weighted_mass(u, v, w):
    """(s u, v) with a coefficient ``s`` at the quadrature points (e.g. χ_s/λ²)."""
    return w["s"] * u * v


@LinearForm
def weighted_load(v, w):
    """(f, v) with ``f`` at the quadrature points."""
    return w["f"] * v


# -- H(curl) forms ----------------------------------------------------------------------------
@BilinearForm
def london_b(u, v, w):
    """λ²(∇×u, ∇×v) + (u, v): the B-formulation λ²∇×∇×B + B = 0 (``lam2`` = λ²)."""
    return w["lam2"] * dot(curl(u), curl(v)) + dot(u, v)


@BilinearForm
def london_a(u, v, w):
    """(∇×u, ∇×v) + (σ u, v): the A-formulation ∇×∇×A + χ_s λ⁻² A (``sigma`` = χ_s/λ², zero
    in vacuum)."""
    return dot(curl(u), curl(v)) + w["sigma"] * dot(u, v)


@BilinearForm
def vector_mass(u, v, _):
    """(u, v) for vector fields."""
    return dot(u, v)


@LinearForm
def vector_load(v, w):
    """(f, v) for a vector field ``f`` at the quadrature points."""
    return dot(w["f"], v)


# -- gauge-covariant Schrödinger --------------------------------------------------------------
@BilinearForm
def schrodinger_real(u, v, w):
    """K₀: ∇u·∇v + (|a|² + V) u v, the real part of (∇ − ia)u·conj((∇ − ia)v) + V u v̄
    (``a``: scaled vector potential (3, …), ``v``: scaled scalar potential)."""
    return dot(u.grad, v.grad) + (np.sum(w.a**2, axis=0) + w.v) * u * v


@BilinearForm
def schrodinger_imag(u, v, w):
    """K₁: (a·∇u) v − u (a·∇v), the imaginary part (antisymmetric)."""
    dim = u.grad.shape[0]
    a = w.a[:dim]
    return dot(a, u.grad) * v - u * dot(a, v.grad)


# -- stationary Ginzburg–Landau (real 2-vector ψ = (u, w)) -------------------------------------
def _covariant_gradient(psi, a):
    """(∇ − iA)ψ as (real part ∇u + Aw, imaginary part ∇w − Au) for ψ = (u, w)."""
    g = grad(psi)
    return g[0] + a * psi[1], g[1] - a * psi[0]


@BilinearForm
def gl_kinetic(u, v, w):
    """((∇ − iA)u, (∇ − iA)v) + A_z²(u, v): the kinetic term |(∇ − iA)ψ|² (``a``: reduced
    vector potential (3 or dim, …); a z-component of a 2D cross-section adds A_z²|ψ|²)."""
    dim = u.grad.shape[1]
    a = w.a[:dim]
    ur, ui = _covariant_gradient(u, a)
    vr, vi = _covariant_gradient(v, a)
    az2 = np.sum(w.a[dim:] ** 2, axis=0)
    return dot(ur, vr) + dot(ui, vi) + az2 * dot(u, v)


@BilinearForm
def gl_mass(u, v, _):
    """(ψ, v) for the 2-vector ψ: the condensation term −|ψ|² enters as −(ψ, v)."""
    return dot(u, v)


@LinearForm
def gl_cubic(v, w):
    """(|ψ|²ψ, v): half the gradient of ½∫|ψ|⁴ (``psi``: ψ = (u, w) at the quadrature
    points)."""
    return np.sum(w.psi**2, axis=0) * dot(w.psi, v)


@BilinearForm
def gl_cubic_tangent(u, v, w):
    """(|ψ|²δψ + 2(ψ·δψ)ψ, v): half the Hessian of ½∫|ψ|⁴ at ψ (positive semi-definite:
    eigenvalues |ψ|² and 3|ψ|² pointwise)."""
    rho = np.sum(w.psi**2, axis=0)
    return rho * dot(u, v) + 2 * dot(w.psi, u) * dot(w.psi, v)
