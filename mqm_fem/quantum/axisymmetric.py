r"""The Schrödinger (linearised Ginzburg–Landau) problem of a body of revolution in an axial
field, one angular momentum L at a time (docs/theory.md §2, "Bodies of revolution").

With the field B along the axis z and the symmetric gauge A = (Br/2) e_φ, the operator
−(∇ − i(q/ħ)A)² commutes with rotations about the axis, so its eigenstates are
ψ = f(r, z) e^{iLφ} with integer L, and on the meridian half-plane (r ≥ 0) f solves, in units of
L₀ (the mesh unit; b = 2πBL₀²/Φ₀),

    −(1/r)∂_r(r ∂_r f) − ∂_z² f + (L/r − br/2)² f = ε f,

weak form ∫ r ∇f·∇g + ∫ (L/r − br/2)² r f g = ε ∫ r f g over the body's section (the measure
2πr dr dz of the revolved body). Boundary conditions: natural (∂_n f = 0, superconductor /
insulator) on the body's surface; on the axis f = 0 for L ≠ 0 (the centrifugal term L²/r),
natural for L = 0 (regularity). Superconductivity nucleates where the lowest ε over L reaches
(L₀/ξ)² (:func:`axisymmetric_nucleation_field`). Lagrange P1/P2 on the meridian mesh
(:func:`mqm_fem.mesh.meridian.meridian`; isoparametric P2 on its curved second-order meshes).

Error estimate (two-level P_p/P_{p+1}, :func:`two_level_estimates`): the states of the L that
holds the lowest state are lifted into P_{p+1} on the same (curved) mesh, one shifted
inverse-iteration step there (two for several states) and Rayleigh–Ritz give the P_{p+1} values,
and their difference to the computed ε estimates exact − computed (P_{p+1} converges two
orders faster). The nucleation field's error follows from dε/db (Hellmann–Feynman).

Validation: ``tests/test_quantum_axisymmetric.py`` (a cylinder in an axial field against the
disk's Saint-James value and a 1D radial reference; convergence order; effectivity of the
estimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import scipy.sparse.linalg as spla

from ..errors import ParameterError
from ..fem.estimate import ErrorEstimate
from ..linalg.eigen import lowest_eigenpairs
from ..london.outofplane import basis_mesh, lagrange_element
from ..mesh import Domain, is_vacuum_name
from ..mesh.resolution import ResolutionCheck, element_diameters, warn_unresolved
from ..progress import ProgressLike, reporter
from ..units import PHI0, FieldLike, LengthLike, parse_field, parse_length
from .schrodinger import MAGNETIC_LENGTH_ELEMENTS, STATE_WEIGHT, STATE_WHERE

__all__ = ["AxisymmetricNucleation", "AxisymmetricStates", "axisymmetric_nucleation_field",
           "solve_axisymmetric", "two_level_estimates"]

#: unit of the scaled eigenvalues and of their estimates
UNIT = "1/L0^2"


def _kinetic(u, v, w):
    """r ∇u·∇v (r = x[0])."""
    return w.x[0] * (u.grad[0] * v.grad[0] + u.grad[1] * v.grad[1])


def _inverse_r(u, v, w):
    """u v / r (the centrifugal part; no quadrature point lies on the axis)."""
    return u * v / w.x[0]


def _r3(u, v, w):
    """r³ u v (the diamagnetic part)."""
    return w.x[0] ** 3 * u * v


def _mass(u, v, w):
    """r u v."""
    return w.x[0] * u * v


@dataclass
class AxisymmetricStates:
    """Lowest eigenpairs per angular momentum.

    Attributes
    ----------
    angular_momenta : ndarray (nL,) of int
        The L solved for.
    eigenvalues : ndarray (nL, k)
        ε (units 1/L₀², ascending per L).
    field : float
        Applied field along the axis (T); ``b`` = 2πBL₀²/Φ₀.
    length_scale : float
        L₀ (m).
    states : dict
        L -> ndarray (ndofs, k): f on the Lagrange DOFs (normalised: ∫2πr f² = 1 in L₀³).
    resolution : list of ResolutionCheck
        The magnetic length ℓ_B = L₀/√b against the elements where the lowest state has
        weight (a warning when it fails).
    estimates : dict
        L -> list of :class:`~mqm_fem.fem.estimate.ErrorEstimate`, one per state of that L
        (unit 1/L₀²; exact ≈ value + error), for the L holding the lowest state (empty with
        ``estimate=False``).
    """

    domain: Domain
    angular_momenta: np.ndarray
    eigenvalues: np.ndarray
    field: float
    b: float
    length_scale: float
    states: dict
    basis: object
    resolution: list
    estimates: dict = dataclass_field(default_factory=dict)

    @property
    def estimate(self) -> ErrorEstimate | None:
        """The :class:`~mqm_fem.fem.estimate.ErrorEstimate` of the lowest eigenvalue over all
        L (None without estimates)."""
        L, _ = self.lowest
        return self.estimates[L][0] if L in self.estimates else None

    @property
    def lowest(self) -> tuple[int, float]:
        """(L, ε) of the lowest state over all L."""
        i, j = np.unravel_index(np.argmin(self.eigenvalues), self.eigenvalues.shape)
        return int(self.angular_momenta[i]), float(self.eigenvalues[i, j])

    @property
    def eigenvalues_si(self) -> np.ndarray:
        """ε/L₀² (1/m²): the state's (inverse length)², compare with 1/ξ²."""
        return self.eigenvalues / self.length_scale**2

    def density(self, angular_momentum: int, mode: int = 0) -> np.ndarray:
        """|ψ|² = f² at the mesh vertices (0 outside the superconductor)."""
        f = self.states[int(angular_momentum)][:, mode]
        return f[self.basis.nodal_dofs[0]] ** 2


class _Operator:
    """The matrices of (L/r − br/2)² r = L²/r − Lb r + b²r³/4, assembled once:
    K(L, b) = S + L² P₋₁ − Lb M + (b²/4) P₃ with M = ∫r u v; then one eigen-solve per (L, b)."""

    def __init__(self, basis):
        from skfem import BilinearForm

        self.basis = basis
        self.stiffness = BilinearForm(_kinetic).assemble(basis)
        self.mass = BilinearForm(_mass).assemble(basis)
        self.inverse_r = BilinearForm(_inverse_r).assemble(basis)
        self.r3 = BilinearForm(_r3).assemble(basis)
        used = np.unique(basis.element_dofs)
        self.free = {True: np.setdiff1d(used, _axis_dofs(basis)), False: used}

    def matrix(self, L: int, b: float):
        """K(L, b) = S + L² P₋₁ − Lb M + (b²/4) P₃."""
        return (self.stiffness + L**2 * self.inverse_r - L * b * self.mass
                + 0.25 * b**2 * self.r3)

    def slope(self, L: int, b: float, f: np.ndarray) -> float:
        """dε/db of the state f at (L, b) (Hellmann–Feynman): fᵀ(−L M + (b/2) P₃)f / fᵀMf."""
        return float(f @ (-L * (self.mass @ f) + 0.5 * b * (self.r3 @ f)) / (f @ (self.mass @ f)))

    def solve(self, L: int, b: float, k: int):
        """(ε (k,), f (N, k) normalised to ∫2πr f² = 1)."""
        K = self.matrix(L, b)
        keep = self.free[bool(L)]
        vals, vecs, _ = lowest_eigenpairs(K[keep][:, keep], self.mass[keep][:, keep], k,
                                          sigma=-1.0)
        order = np.argsort(vals)
        full = np.zeros((self.basis.N, k))
        full[keep] = vecs[:, order]
        full /= np.sqrt(2 * np.pi * np.einsum("ik,ik->k", full, self.mass @ full))
        return np.asarray(vals)[order], full


def solve_axisymmetric(domain: Domain, applied_field: FieldLike, *, angular_momenta=(0,),
                       k: int = 1, order: int = 2, superconductors=None,
                       length_scale: LengthLike | None = None, estimate: bool = True,
                       progress: ProgressLike = None) -> AxisymmetricStates:
    """Lowest ``k`` eigenpairs for each L in ``angular_momenta`` (module docstring).

    ``domain``: a meridian mesh (x = r ≥ 0, y = z, e.g. :func:`mqm_fem.mesh.meridian`);
    ``applied_field``: B along the axis (T, e.g. ``"20 mT"``; one value); ``superconductors``:
    region names (default: the regions not named vacuum/air/hole); ``estimate``: the two-level
    error estimate of the states of the L holding the lowest state (``result.estimate``,
    ``result.estimates``; one factorisation of the P_{p+1} operator of that L).
    """
    basis, field, b, ell = _setup(domain, applied_field, order, superconductors, length_scale)
    momenta = _momenta(angular_momenta)
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ParameterError(f"k: a positive integer, got {k!r}")
    return _solve(domain, _Operator(basis), order, momenta, field, b, ell, k, estimate,
                  reporter(progress, "solve_axisymmetric"))


def _solve(domain, operator: _Operator, order, momenta, field, b, ell, k, estimate,
           say) -> AxisymmetricStates:
    """:func:`solve_axisymmetric` on an assembled operator (arguments checked)."""
    basis = operator.basis
    values, states = [], {}
    for L in momenta:
        vals, states[int(L)] = operator.solve(int(L), b, k)
        values.append(vals)
        say(f"L = {L}: ε = {vals[0]:.6g}")
    result = AxisymmetricStates(domain=domain, angular_momenta=momenta,
                                eigenvalues=np.array(values), field=field, b=b,
                                length_scale=ell, states=states, basis=basis, resolution=[])
    result.resolution = _checks(result, order)
    warn_unresolved(result.resolution, "solve_axisymmetric", stacklevel=4)
    if estimate:
        L, _ = result.lowest
        i = int(np.flatnonzero(momenta == L)[0])
        errors = two_level_estimates(basis, order, L, b, result.eigenvalues[i], states[L])
        result.estimates[L] = [
            ErrorEstimate.from_parts(f"eigenvalue {j} (L = {L})", result.eigenvalues[i, j], UNIT,
                                     _method(domain, order), discretisation=errors[j])
            for j in range(k)]
    return result


def _method(domain, order) -> str:
    """The estimate sees the discretisation error only: the P_{p+1} step uses the same mesh,
    so the error of the boundary's representation (polygon: O(h²); isoparametric P2: O(h⁴),
    the order of P2's own error) is not in it."""
    return (f"two-level P{order}/P{order + 1} (shifted inverse iteration + Rayleigh–Ritz); "
            + ("the curved boundary's O(h⁴) geometry error is not included (it can dominate "
               "where the state is smooth, e.g. a torus's L = 6 state at b = 3)"
               if domain.curved is not None and order == 2 else
               "a curved boundary's polygon error is not included"))


def two_level_estimates(basis, order: int, L: int, b: float, eigenvalues, states) -> np.ndarray:
    """Signed estimates of (exact − computed) for the ``eigenvalues`` (k,) of angular momentum
    ``L`` at ``b``, with ``states`` (N, k) on ``basis`` (P``order``): the states lifted into
    P_{order+1} on the same mesh and elements (M₊Πf = B f, B = ∫r φ_p φ_{p+1}), one
    factorisation of K₊ − σM₊ with σ just below ε₀, Y₁ = (K₊ − σM₊)⁻¹M₊ΠF (and, for k > 1,
    Y₂ = (K₊ − σM₊)⁻¹M₊Y₁), Rayleigh–Ritz on their span: the k lowest Ritz values approximate
    the P_{order+1} eigenvalues, which converge two orders faster than P_order's."""
    from skfem import Basis, BilinearForm, ElementTriP2, ElementTriP3

    high = Basis(basis.mesh, ElementTriP2() if order == 1 else ElementTriP3(),
                 elements=basis.tind, intorder=2 * order + 5)  # r³φφ of degree 2p + 5
    operator = _Operator(high)
    keep = operator.free[bool(L)]
    Kf = operator.matrix(L, b)[keep][:, keep]
    Mf = operator.mass[keep][:, keep]
    low = Basis(basis.mesh, basis.elem, elements=basis.tind, quadrature=(high.X, high.W))
    lift = BilinearForm(_mass).assemble(low, high)  # (N₊, N): ∫ r φ_j φ⁺_i
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    k = eigenvalues.size
    extent = float(np.max(np.ptp(basis.mesh.p, axis=1)))
    sigma = eigenvalues[0] - 1e-7 * (float(np.abs(eigenvalues).max()) + 1.0 / extent**2)
    solve = spla.splu((Kf - sigma * Mf).tocsc(), permc_spec="MMD_AT_PLUS_A").solve
    Y = solve(np.asarray(lift @ states)[keep])
    Y /= np.linalg.norm(Y, axis=0)
    if k > 1:
        Y2 = solve(np.asarray(Mf @ Y))
        Y = np.concatenate([Y, Y2 / np.linalg.norm(Y2, axis=0)], axis=1)
    G = Y.T @ (Mf @ Y)
    w, V = np.linalg.eigh(0.5 * (G + G.T))  # Löwdin: drop dependent directions
    Q = Y @ (V[:, w > 1e-12 * w.max()] / np.sqrt(w[w > 1e-12 * w.max()]))
    A = Q.T @ (Kf @ Q)
    theta = np.linalg.eigvalsh(0.5 * (A + A.T))[:k]
    return theta - eigenvalues[:theta.size]


def _checks(result, order) -> list:
    """ℓ_B = L₀/√|b| against the largest element where the lowest state has weight."""
    if result.b == 0:
        return []
    L, _ = result.lowest
    weight = result.density(L)
    mesh = result.domain.mesh
    elements = result.basis.tind
    heavy = elements[(weight[mesh.t[:, elements]] >= STATE_WEIGHT * weight.max()).any(axis=0)]
    element = float(element_diameters(mesh, heavy).max()) * result.length_scale
    return [ResolutionCheck(
        quantity="magnetic length", where=f"{STATE_WHERE} (L = {L})",
        scale=result.length_scale / np.sqrt(abs(result.b)), element=element,
        required=MAGNETIC_LENGTH_ELEMENTS[order], elements=heavy,
        note="the eigenvalues come out too high (P2: ~0.1 % at 0.8 elements per ℓ_B)")]


@dataclass
class AxisymmetricNucleation:
    """The nucleation field of a body of revolution (:func:`axisymmetric_nucleation_field`).

    Unpacks as ``field, L = axisymmetric_nucleation_field(...)``.

    Attributes
    ----------
    field : float
        B* along the axis (T) at which the lowest ε over L reaches (L₀/ξ)².
    angular_momentum : int
        The L of the nucleating state.
    ratio : float
        B*/B_c2 with B_c2 = Φ₀/(2πξ²) (surface nucleation of a long cylinder: 1/Θ₀ = 1.6946).
    upper_critical_field : float
        B_c2 (T).
    estimate : ErrorEstimate or None
        The estimate of ``ratio`` (quantity ``"B_nuc/B_c2"``, dimensionless; exact ≈ ratio +
        error; in tesla multiply by ``upper_critical_field``): the eigenvalue estimate δε of
        the nucleating state moved to the field by −δε/(dε/db), dε/db from Hellmann–Feynman,
        plus the root finder's residual.
    states : AxisymmetricStates
        The nucleating L's states at B*.
    """

    field: float
    angular_momentum: int
    ratio: float
    upper_critical_field: float
    estimate: ErrorEstimate | None
    states: AxisymmetricStates

    def __iter__(self):
        return iter((self.field, self.angular_momentum))

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index):
        """``result[0]`` = field, ``result[1]`` = L, as the (field, L) tuple it replaces."""
        return (self.field, self.angular_momentum)[index]


def axisymmetric_nucleation_field(domain: Domain, coherence_length: LengthLike, *,
                                  angular_momenta=None, order: int = 2, superconductors=None,
                                  length_scale: LengthLike | None = None, xtol: float = 1e-9,
                                  progress: ProgressLike = None) -> AxisymmetricNucleation:
    """The axial field B* (T) at which the lowest ε over L reaches (L₀/ξ)², that L, B*/B_c2
    and its error estimate (:class:`AxisymmetricNucleation`; unpacks as ``field, L``).

    ``angular_momenta``: the L to scan (default 0 … the flux through the body's largest
    cross-section in Φ₀ at the bulk B_c3 estimate, plus 3). B_c2 = Φ₀/(2πξ²); B*/B_c2 is the
    enhancement (surface nucleation of a long cylinder: 1/Θ₀ = 1.6946).
    """
    from scipy.optimize import brentq

    xi = parse_length(coherence_length, "coherence_length")
    basis, _, _, ell = _setup(domain, 0.0, order, superconductors, length_scale)
    target = (ell / xi) ** 2
    r_max = float(basis.doflocs[0].max())
    b_hi = 1.2 * target / 0.59
    if angular_momenta is None:
        angular_momenta = range(0, int(np.ceil(0.5 * b_hi * r_max**2)) + 4)
    momenta = _momenta(angular_momenta)
    say = reporter(progress, "axisymmetric_nucleation_field")
    operator = _Operator(basis)
    best = {"L": None}
    stride = max(1, momenta.size // 12)

    def scan(b, window):
        eps = np.array([operator.solve(int(L), b, 1)[0][0] for L in window])
        i = int(np.argmin(eps))
        return int(window[i]), float(eps[i])

    def lowest(b):
        # ε(L) has one minimum in L: every stride-th L, then all L around the best of those
        L, _ = scan(b, np.unique(np.append(momenta[::stride], momenta[-1])))
        best["L"], eps = scan(b, momenta[np.abs(momenta - L) <= stride])
        say(f"b = {b:.6g}: lowest ε = {eps:.6g} (L = {best['L']})")
        return eps - target

    if lowest(b_hi) <= 0:
        raise ParameterError(
            f"coherence_length: even at b = {b_hi:.3g} the lowest state is below (L₀/ξ)² — "
            f"the body is small against ξ = {xi:g} m (no nucleation field) or the L range "
            f"{momenta[0]}…{momenta[-1]} is too short")
    b_star = brentq(lowest, 1e-9 * b_hi, b_hi, xtol=xtol * b_hi)
    lowest(b_star)
    field = b_star * PHI0 / (2 * np.pi * ell**2)
    # the nucleating state: its resolution (a warning when ℓ_B is under-resolved), its estimate
    states = _solve(domain, operator, order, _momenta([best["L"]]), field, b_star, ell, 1,
                    True, say)
    b_c2 = PHI0 / (2 * np.pi * xi**2)
    return AxisymmetricNucleation(
        field=field, angular_momentum=best["L"], ratio=field / b_c2, upper_critical_field=b_c2,
        estimate=_field_estimate(states, operator, target, field / b_c2), states=states)


def _field_estimate(states: AxisymmetricStates, operator: _Operator, target: float,
                    ratio: float) -> ErrorEstimate | None:
    """δ(B*/B_c2) = −(δε + ε_h(b*) − (L₀/ξ)²)/(dε/db) · (B*/B_c2)/b* for the nucleating state."""
    eigen = states.estimate
    L, eps = states.lowest
    slope = operator.slope(L, states.b, states.states[L][:, 0])
    if eigen is None or not np.isfinite(slope) or slope == 0:
        return None
    per_b = ratio / states.b
    return ErrorEstimate.from_parts(
        "B_nuc/B_c2", ratio, "1", f"eigenvalue estimate / dε/db (Hellmann–Feynman, "
        f"{slope:.6g}); {eigen.method}", discretisation=-eigen.error / slope * per_b,
        root_finding=-(eps - target) / slope * per_b)


# ----------------------------------------------------------------------------------------------
def _setup(domain, applied_field, order, superconductors, length_scale):
    if not isinstance(domain, Domain) or domain.dim != 2:
        raise ParameterError("domain: a 2D meridian mesh (x = r ≥ 0, y = z) is needed, e.g. "
                             "mqm_fem.mesh.meridian(bodies=[...])")
    if float(domain.mesh.p[0].min()) < -1e-9 * float(np.ptp(domain.mesh.p[0]) or 1.0):
        raise ParameterError("domain: a meridian mesh lies in r ≥ 0 (x is the distance to the "
                             "axis); this one reaches x < 0")
    field = parse_field(applied_field, "applied_field")
    if field.size != 1:
        raise ParameterError(f"applied_field: one value (B along the axis), got {field.size} "
                             "components")
    names = (superconductors if superconductors is not None
             else [n for n in domain.regions if not is_vacuum_name(n)])
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ParameterError(f"superconductors: none; the regions are {', '.join(domain.regions)}")
    elements = np.concatenate([np.asarray(domain.region(n), dtype=np.int64) for n in names])
    ell = domain.length_unit if length_scale is None else parse_length(length_scale,
                                                                      "length_scale")
    from skfem import Basis

    basis = Basis(basis_mesh(domain, order), lagrange_element(order), elements=elements)
    b = 2 * np.pi * float(field[0]) * ell**2 / PHI0
    return basis, float(field[0]), b, ell


def _momenta(values) -> np.ndarray:
    momenta = np.atleast_1d(np.asarray(list(values) if not np.isscalar(values) else [values]))
    if momenta.size == 0 or not np.all(np.mod(momenta, 1) == 0):
        raise ParameterError(f"angular_momenta: integers, got {values!r}")
    return momenta.astype(int)


def _axis_dofs(basis) -> np.ndarray:
    """DOFs on the axis r = 0 (vertices and mid-edge nodes)."""
    size = float(np.ptp(basis.doflocs[0])) or 1.0
    return np.flatnonzero(np.abs(basis.doflocs[0]) <= 1e-9 * size)


