"""Independent one-dimensional references for the stationary Ginzburg–Landau (GL) solver.

Written from scratch with numpy/scipy only (nothing from ``mqm_fem``), so that the finite-element
GL solver can be validated against numbers that do not share its code.

Dimensionless GL units: lengths in ξ, magnetic field h = B/B_c2, vector potential A in units
B_c2·ξ, κ = λ/ξ.  Free energy relative to the normal state (units B_c²ξ^d/μ₀)::

    F[ψ, A] = ∫_Ω ( −|ψ|² + ½|ψ|⁴ + |(∇ − iA)ψ|² ) dx + κ² ∫ |∇×A − h|² dx.

Stationarity::

    (∇ − iA)²ψ + ψ(1 − |ψ|²) = 0,     n·(∇ − iA)ψ = 0 on ∂Ω,
    κ² ∇×∇×A = j,                     j = Im(ψ̄∇ψ) − |ψ|² A.

Testing the first equation with ψ itself gives, for every stationary state with the natural
boundary condition, ∫(−|ψ|² + |(∇ − iA)ψ|²) = −∫|ψ|⁴, i.e. the condensation + kinetic part of F
equals −½∫|ψ|⁴.

References provided
-------------------
* :func:`radial_disk_state` — disk of radius R in a frozen field (A = h r/2 e_φ, the large-κ /
  thin-film limit), giant-vortex state ψ = f(r) e^{iLφ}, f'(R) = 0.  Energy::

      F_L(h) = 2π ∫₀^R [ −f² + ½f⁴ + f'² + (L/r − h r/2)² f² ] r dr.

  :func:`radial_nucleation_field` (the h where the lowest eigenvalue of the linear L-problem
  −f'' − f'/r + (L/r − h r/2)² f = λ f, f'(R) = 0, equals 1), :func:`kummer_nucleation_field`
  (the same from the closed form with Kummer's function M(a, b, x)),
  :func:`disk_nucleation_field` (maximum over L: the disk's surface nucleation field) and
  :func:`transition_field` (F_L = F_{L+1}).
* :func:`slab_state` — self-consistent slab |x| ≤ a with field h along z on both faces,
  ψ = f(x) real, A = A_y(x) ŷ, B = A'::

      f'' = −f + f³ + A² f,  f'(±a) = 0;      κ² A'' = f² A,  A'(±a) = h,

  and :func:`london_slab_moment` (f ≡ 1: B = h cosh(x/κ)/cosh(a/κ)).
* :func:`uniform_current` / :func:`ring_depairing` — the uniform current-carrying state
  ψ = √(1 − k²) e^{ikx}: j = k(1 − k²), maximal 2/(3√3) at k = 1/√3.

Method
------
Both nonlinear problems are solved as minimisation of the exact functional over continuous
piecewise polynomials of degree ``degree`` (Lagrange basis on Gauss–Lobatto nodes) on ``n``
elements, by Newton's method with an energy line search.  All integrals use Gauss quadrature
exact for the polynomial integrands, so the discrete energy is the true energy of the discrete
field and converges from above at rate O(Δ^{2·degree}).  The defaults give a relative accuracy
in F well below 1e-9 for the sizes used in the tests (checked by refinement there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.polynomial import legendre as leg
from scipy.linalg import eigh
from scipy.optimize import brentq, minimize_scalar
from scipy.sparse.linalg import eigsh, splu
from scipy.special import hyp1f1

THETA0 = 0.590106125  # lowest eigenvalue of the de Gennes half-line operator (h_c3 = h/Θ₀)

_DEFAULT_DEGREE = 8


# --------------------------------------------------------------------------------------------
# 1D high-order finite elements
# --------------------------------------------------------------------------------------------

class _Mesh1D:
    """Continuous Lagrange elements of degree p on the element breaks ``breaks``.

    Global nodes are the Gauss–Lobatto points of every element (shared at element ends).
    Quadrature: ``nq`` Gauss–Legendre points per element (exact to degree 2·nq − 1).
    """

    def __init__(self, breaks, degree, nq=None):
        breaks = np.asarray(breaks, dtype=float)
        p = int(degree)
        nq = 2 * p + 2 if nq is None else int(nq)
        ne = breaks.size - 1
        # Gauss–Lobatto nodes on [-1, 1]: ±1 and the roots of P_p'
        inner = leg.legroots(leg.legder([0] * p + [1])) if p > 1 else np.empty(0)
        ref = np.concatenate([[-1.0], np.sort(inner.real), [1.0]])
        coef = np.linalg.inv(leg.legvander(ref, p))  # Legendre coefficients of the basis
        xq, wq = leg.leggauss(nq)
        self.Bq = leg.legvander(xq, p) @ coef                     # (nq, p+1)
        dcoef = np.stack([leg.legder(coef[:, i]) for i in range(p + 1)], axis=1)
        dvander = leg.legvander(xq, p - 1)
        self.Dq_ref = dvander @ dcoef                             # (nq, p+1) d/dξ
        self._coef, self._dcoef = coef, dcoef
        jac = 0.5 * np.diff(breaks)                               # dx/dξ per element
        mid = 0.5 * (breaks[:-1] + breaks[1:])
        self.p, self.ne, self.nq = p, ne, nq
        self.breaks, self.jac = breaks, jac
        self.xq = mid[:, None] + jac[:, None] * xq[None, :]       # (ne, nq)
        self.wq = jac[:, None] * wq[None, :]                      # (ne, nq)
        self.Dq = self.Dq_ref[None, :, :] / jac[:, None, None]    # (ne, nq, p+1) d/dx
        self.conn = p * np.arange(ne)[:, None] + np.arange(p + 1)[None, :]
        self.ndof = p * ne + 1
        self.x = (mid[:, None] + jac[:, None] * ref[None, :-1]).ravel()
        self.x = np.append(self.x, breaks[-1])

    # values / derivatives at the quadrature points
    def at_q(self, u):
        """Values (ne, nq) of the field with nodal values ``u`` at the quadrature points."""
        return np.einsum("qi,ei->eq", self.Bq, u[self.conn])

    def dx_at_q(self, u):
        """Derivative (ne, nq) at the quadrature points."""
        return np.einsum("eqi,ei->eq", self.Dq, u[self.conn])

    def integrate(self, vals):
        """∫ vals dx for vals given at the quadrature points."""
        return float(np.sum(self.wq * vals))

    def mass(self, coef):
        """Sparse matrix ∫ coef φ_i φ_j dx (coef at the quadrature points)."""
        el = np.einsum("eq,qi,qj->eij", self.wq * coef, self.Bq, self.Bq)
        return self._assemble(el)

    def stiffness(self, coef):
        """Sparse matrix ∫ coef φ_i' φ_j' dx."""
        el = np.einsum("eq,eqi,eqj->eij", self.wq * coef, self.Dq, self.Dq)
        return self._assemble(el)

    def load(self, vals):
        """Vector ∫ vals φ_i dx."""
        el = np.einsum("eq,qi->ei", self.wq * vals, self.Bq)
        out = np.zeros(self.ndof)
        np.add.at(out, self.conn, el)
        return out

    def _assemble(self, el):
        rows = np.broadcast_to(self.conn[:, :, None], el.shape).ravel()
        cols = np.broadcast_to(self.conn[:, None, :], el.shape).ravel()
        return sp.csr_matrix((el.ravel(), (rows, cols)), shape=(self.ndof, self.ndof))

    def nodal_derivative(self, u):
        """Derivative at the global nodes (mean of the two one-sided values at element ends)."""
        ref = np.concatenate([[-1.0], np.sort(leg.legroots(leg.legder([0] * self.p + [1])).real)
                              if self.p > 1 else np.empty(0), [1.0]])
        dnode = leg.legvander(ref, self.p - 1) @ self._dcoef       # (p+1, p+1)
        de = np.einsum("ki,ei->ek", dnode, u[self.conn]) / self.jac[:, None]
        out = np.zeros(self.ndof)
        cnt = np.zeros(self.ndof)
        np.add.at(out, self.conn, de)
        np.add.at(cnt, self.conn, 1.0)
        return out / cnt


def _newton_minimise(energy, grad_hess, u0, *, tol, maxiter=60):
    """Minimise ``energy`` from ``u0`` by Newton steps with a backtracking energy line search.

    ``grad_hess(u)`` returns (gradient, sparse Hessian).  Falls back to a steepest-descent step
    when the Newton direction is not a descent direction.  Stops when the Newton step is below
    ``tol`` (max-norm, relative to max|u|) — quadratic convergence makes the last step tiny.
    Returns (u, converged).
    """
    u = u0.copy()
    e = energy(u)
    for _ in range(maxiter):
        g, h = grad_hess(u)
        try:
            d = -splu(h.tocsc()).solve(g)
        except RuntimeError:
            d = -g
        if not np.all(np.isfinite(d)) or g @ d >= 0:
            d = -g
        scale = max(1.0, float(np.max(np.abs(u))))
        if np.max(np.abs(d)) <= tol * scale:
            return u + d, True
        t = 1.0
        if np.max(np.abs(d)) <= 1e-6 * scale:
            # inside the quadratic-convergence region the energy change is at round-off level
            # and cannot judge the step: take it whole
            u = u + d
            e = energy(u)
            continue
        while t > 1e-12:
            e_new = energy(u + t * d)
            if e_new <= e + 1e-4 * t * (g @ d) or abs(e_new - e) <= 1e-15 * max(1.0, abs(e)):
                break
            t *= 0.5
        u = u + t * d
        e = e_new
    return u, False


# --------------------------------------------------------------------------------------------
# Disk in a frozen field: giant-vortex states ψ = f(r) e^{iLφ}
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiskState:
    """Giant-vortex state ψ = f(r) e^{iLφ} of a disk in the frozen field A = h r/2 e_φ.

    Attributes
    ----------
    R, h, L : disk radius (ξ), applied field (B_c2), winding number.
    r, f : radial grid (the finite-element nodes, 0 … R) and f(r) there.
    F : free energy of the whole disk relative to the normal state (units B_c²ξ²/μ₀ per unit
        length for a cylinder, or per thickness for a film).
    exists : False when only the normal state exists in the L-sector (λ_min ≥ 1): f ≡ 0, F = 0.
    j_phi : azimuthal current j_φ = f² (L/r − h r/2) on ``r`` (0 at r = 0).
    m : magnetic moment m = ½∫(r × j)_z dA = π ∫₀^R r² j_φ dr; dF/dh = −2m.
    lambda_min : lowest eigenvalue of the linear L-problem at this h.
    """

    R: float
    h: float
    L: int
    r: np.ndarray
    f: np.ndarray
    F: float
    exists: bool
    j_phi: np.ndarray
    m: float
    lambda_min: float


def _disk_mesh(R, n, degree):
    n = max(4, math.ceil(2.0 * R)) if n is None else int(n)
    return _Mesh1D(np.linspace(0.0, R, n + 1), degree)


def _disk_operators(mesh, h, L):
    """(K + V, M) on the free dofs (f(0) = 0 removed for L ≥ 1), weight r."""
    r = mesh.xq
    pot = (L / r - 0.5 * h * r) ** 2
    a = mesh.stiffness(r) + mesh.mass(pot * r)
    m = mesh.mass(r)
    free = np.arange(1 if L != 0 else 0, mesh.ndof)
    return a[free][:, free].tocsc(), m[free][:, free].tocsc(), free


def _lowest_eigen(a, m):
    """Lowest eigenpair of a u = λ m u.

    Shift-invert Lanczos (``eigsh``, shift −1 below the spectrum of the positive
    semi-definite a) gives the pair to an absolute error ~ ε‖a‖, which is poor for large L (the
    entries L²/r² near r = 0 are huge while the eigenvector is tiny there).  Two steps of
    shifted inverse iteration with a sparse LU and the Rayleigh quotient uᵀau/uᵀmu then give λ
    to round-off relative to λ itself.
    """
    if a.shape[0] <= 40:
        w, v = eigh(a.toarray(), m.toarray(), subset_by_index=[0, 0])
    else:
        w, v = eigsh(a, k=1, M=m, sigma=-1.0, which="LM", v0=np.ones(a.shape[0]), tol=1e-14)
    lam, u = float(w[0]), v[:, 0]
    shift = lam - 1e-6 * max(1.0, abs(lam))
    lu = splu((a - shift * m).tocsc())
    for _ in range(2):
        u = lu.solve(m @ u)
        u /= np.sqrt(u @ (m @ u))
    return float(u @ (a @ u)), u


def _check_disk_args(R, L):
    if not (np.isfinite(R) and R > 0):
        raise ValueError(f"disk radius R = {R!r}: must be a positive number (units of ξ)")
    if int(L) != L or L < 0:
        raise ValueError(f"winding number L = {L!r}: must be an integer ≥ 0")


def disk_lowest_eigenvalue(R, h, L, *, n=None, degree=_DEFAULT_DEGREE):
    """Lowest eigenvalue λ of −f'' − f'/r + (L/r − h r/2)² f = λ f on (0, R), f'(R) = 0.

    (The angular-momentum-L sector of −(∇ − iA)² on the disk, A = h r/2 e_φ.)  The normal state
    is unstable in this sector iff λ < 1.
    """
    _check_disk_args(R, L)
    mesh = _disk_mesh(R, n, degree)
    a, m, _ = _disk_operators(mesh, h, int(L))
    return _lowest_eigen(a, m)[0]


def radial_disk_state(R, h, L, *, n=None, degree=_DEFAULT_DEGREE, tol=1e-13):
    """Minimiser of F_L(h) = 2π∫₀^R [−f² + ½f⁴ + f'² + (L/r − h r/2)² f²] r dr (f ≥ 0).

    Frozen field A = h r/2 e_φ (symmetric gauge), natural boundary condition f'(R) = 0,
    f(0) = 0 for L ≥ 1 (f ~ r^L).  The minimiser is nontrivial iff the lowest eigenvalue λ of
    the linearised L-problem is below 1 (then unique among f ≥ 0); otherwise the normal state
    f ≡ 0, F = 0 is returned with ``exists=False``.

    ``n`` elements (default ⌈2R⌉, at least 4) of degree ``degree`` (default 8); Newton
    iteration to a step below ``tol``.  Returns a :class:`DiskState`.
    """
    _check_disk_args(R, L)
    L = int(L)
    R, h = float(R), float(h)
    mesh = _disk_mesh(R, n, degree)
    a, m, free = _disk_operators(mesh, h, L)
    lam, vec = _lowest_eigen(a, m)
    r_nodes = mesh.x
    if lam >= 1.0:
        zero = np.zeros(mesh.ndof)
        return DiskState(R, h, L, r_nodes, zero, 0.0, False, zero.copy(), 0.0, lam)
    k = (a - m).tocsc()
    rq = mesh.xq

    def full(u):
        out = np.zeros(mesh.ndof)
        out[free] = u
        return out

    def energy(u):
        fq = mesh.at_q(full(u))
        return 2 * np.pi * (u @ (k @ u) + 0.5 * mesh.integrate(fq ** 4 * rq))

    def grad_hess(u):
        fq = mesh.at_q(full(u))
        g = 2 * np.pi * (2 * (k @ u) + 2 * mesh.load(fq ** 3 * rq)[free])
        hs = 2 * np.pi * (2 * k + 6 * mesh.mass(fq ** 2 * rq)[free][:, free])
        return g, hs

    # start on the ray through the linear eigenvector, at the minimum of F along that ray
    vec = vec * np.sign(vec[np.argmax(np.abs(vec))])
    vq = mesh.at_q(full(vec))
    c2 = (1.0 - lam) * (vec @ (m @ vec)) / mesh.integrate(vq ** 4 * rq)
    u, ok = _newton_minimise(energy, grad_hess, np.sqrt(c2) * vec, tol=tol)
    if not ok:
        raise RuntimeError(f"radial_disk_state(R={R}, h={h}, L={L}): Newton did not converge")
    f = full(u)
    if f[np.argmax(np.abs(f))] < 0:
        f = -f
    F = energy(u)
    fq = mesh.at_q(f)
    jq = fq ** 2 * (L / rq - 0.5 * h * rq)
    moment = np.pi * mesh.integrate(rq ** 2 * jq)
    with np.errstate(divide="ignore", invalid="ignore"):
        j_phi = np.where(r_nodes > 0, f ** 2 * (L / r_nodes - 0.5 * h * r_nodes), 0.0)
    return DiskState(R, h, L, r_nodes, f, float(F), True, j_phi, float(moment), lam)


def disk_energy(R, h, L, **kw):
    """F_L(h) of :func:`radial_disk_state` (0 where only the normal state exists)."""
    return radial_disk_state(R, h, L, **kw).F


def radial_nucleation_field(R, L, *, n=None, degree=_DEFAULT_DEGREE, xtol=1e-13):
    """Upper nucleation field of the L-state: the largest h with λ_min(h) = 1.

    λ_min(h) is the lowest eigenvalue of −f'' − f'/r + (L/r − h r/2)² f = λ f, f'(R) = 0
    (:func:`disk_lowest_eigenvalue`); for h just below the returned value the normal state is
    unstable towards ψ = f(r) e^{iLφ} (the bifurcation point of :func:`radial_disk_state`).
    λ_min(h) has a single dip in h: it is minimised first (Brent), then the root above the
    minimum is bracketed and found by ``brentq``.  Returns nan when λ_min(h) ≥ 1 for every h
    (the L-state never nucleates in this disk).
    """
    _check_disk_args(R, L)
    L = int(L)
    mesh = _disk_mesh(R, n, degree)

    def lam(h):
        a, m, _ = _disk_operators(mesh, h, L)
        return _lowest_eigen(a, m)[0]

    # the dip lies where the flux hR²/2 is a little above L: search h in [0, h_top]
    h_top = 4.0 * (L + 1) / R ** 2 + 4.0
    res = minimize_scalar(lam, bounds=(0.0, h_top), method="bounded",
                          options={"xatol": 1e-6 * h_top})
    h_min = float(res.x)
    if lam(0.0) < res.fun:
        h_min = 0.0
    if lam(h_min) >= 1.0:
        return float("nan")
    step = 0.25 + 1.0 / R
    h_hi = h_min + step
    while lam(h_hi) < 1.0:
        step *= 2.0
        h_hi = h_min + step
    return float(brentq(lambda h: lam(h) - 1.0, h_min, h_hi, xtol=xtol, rtol=1e-15))


def kummer_nucleation_field(R, L, h_guess, *, width=0.05):
    """Nucleation field of the L-state from the closed-form solution (cross-check).

    With x = h r²/2, the regular solution of −f'' − f'/r + (L/r − h r/2)² f = λ f is
    f = r^L e^{−x/2} M(a, L+1, x), a = (h − λ)/(2h) (Kummer's function M = ₁F₁).  With λ = 1
    the Neumann condition f'(R) = 0 reads

        (L/R − hR/2) M(a, L+1, X) + hR · a/(L+1) · M(a+1, L+2, X) = 0,   X = hR²/2.

    The root closest to ``h_guess`` inside [h_guess − width, h_guess + width] is returned
    (the condition also has roots for the higher radial modes).  Accurate only where scipy's
    ``hyp1f1`` is (moderate L and X).
    """
    def cond(h):
        a = (h - 1.0) / (2.0 * h)
        x = 0.5 * h * R * R
        return ((L / R - 0.5 * h * R) * hyp1f1(a, L + 1, x)
                + h * R * a / (L + 1) * hyp1f1(a + 1, L + 2, x))

    hs = np.linspace(h_guess - width, h_guess + width, 41)
    vals = np.array([cond(h) for h in hs])
    roots = [brentq(cond, hs[i], hs[i + 1], xtol=1e-14)
             for i in range(len(hs) - 1) if vals[i] * vals[i + 1] < 0]
    if not roots:
        return float("nan")
    return float(min(roots, key=lambda x: abs(x - h_guess)))


def disk_nucleation_field(R, *, n=None, degree=_DEFAULT_DEGREE):
    """Surface nucleation field of the disk, max over L of :func:`radial_nucleation_field`.

    Above it the normal state is stable in every L-sector.  The optimal L is searched from the
    estimate hR²/2 − √Θ₀ R √h (flux minus the surface-state offset), walking to the neighbours
    while the field increases.  Returns (h_nucleation, L_optimal).
    """
    h_est = (1.0 / THETA0) * (1.0 + 0.25 / R)
    L0 = max(0, round(0.5 * h_est * R * R - math.sqrt(THETA0) * R * math.sqrt(h_est)))
    cache = {}

    def hn(L):
        if L not in cache:
            v = radial_nucleation_field(R, L, n=n, degree=degree)
            cache[L] = -np.inf if np.isnan(v) else v
        return cache[L]

    L = L0
    while True:
        if L > 0 and hn(L - 1) > hn(L):
            L -= 1
        elif hn(L + 1) > hn(L):
            L += 1
        else:
            return float(hn(L)), int(L)


def transition_field(R, L, h_lo, h_hi, **kw):
    """Field h in [h_lo, h_hi] where F_L(h) = F_{L+1}(h) (the L → L+1 transition), by brentq.

    Both states must exist (λ_min < 1) over the bracket and F_L − F_{L+1} must change sign.
    """
    def diff(h):
        return disk_energy(R, h, L, **kw) - disk_energy(R, h, L + 1, **kw)

    return float(brentq(diff, h_lo, h_hi, xtol=1e-12, rtol=1e-15))


# --------------------------------------------------------------------------------------------
# Self-consistent slab |x| ≤ a in a parallel field
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlabState:
    """Symmetric Meissner state of the slab |x| ≤ a (f even, A odd), field h on both faces.

    Attributes
    ----------
    a, kappa, h : half thickness (ξ), κ = λ/ξ, applied field (B_c2).
    x : grid on [−a, a];  f, A, B = A' : fields on ``x``.
    f_surface_sq : f(a)².
    F_per_area : F/(2a) with F = ∫(−f² + ½f⁴ + f'² + A²f²) dx + κ²∫(A' − h)² dx.
    M : magnetisation per unit area (1/(2a))∫(B − h) dx = A(a)/a − h; d(F/2a)/dh = −2κ² M.
    exists : False if Newton ended in the normal state (f ≈ 0).
    """

    a: float
    kappa: float
    h: float
    x: np.ndarray
    f: np.ndarray
    A: np.ndarray
    B: np.ndarray
    f_surface_sq: float
    F_per_area: float
    M: float
    exists: bool


def slab_state(a, kappa, h, *, n=None, degree=_DEFAULT_DEGREE, tol=1e-13):
    """Self-consistent slab: f'' = −f + f³ + A²f, f'(±a) = 0;  κ²A'' = f²A, A'(±a) = h.

    Solved on the half slab [0, a] (f'(0) = 0 natural, A(0) = 0 imposed) by minimising the
    Gibbs functional ∫₀^a(−f² + ½f⁴ + f'² + A²f²) + κ²∫₀^a(A' − h)², whose natural boundary
    conditions are f'(a) = 0 and A'(a) = h; Newton from f = 1 and the London A.  ``n`` elements
    (default ⌈2a⌉, at least 4) of degree ``degree``.  Returns a :class:`SlabState` on the whole
    slab.
    """
    for name, val in (("half thickness a", a), ("kappa", kappa)):
        if not (np.isfinite(val) and val > 0):
            raise ValueError(f"slab {name} = {val!r}: must be a positive number")
    a, kappa, h = float(a), float(kappa), float(h)
    n = max(4, math.ceil(2.0 * a)) if n is None else int(n)
    mesh = _Mesh1D(np.linspace(0.0, a, n + 1), degree)
    nd = mesh.ndof
    one = np.ones_like(mesh.xq)
    k = mesh.stiffness(one)
    mm = mesh.mass(one)
    k2 = kappa * kappa
    free_a = np.arange(1, nd)          # A(0) = 0
    kaa = k[free_a][:, free_a]
    kff_lin = (k - mm).tocsr()
    ea = np.zeros(nd - 1)
    ea[-1] = 1.0                       # ∫ φ_i' dx over [0, a] for the free A dofs

    def split(u):
        f = u[:nd]
        A = np.zeros(nd)
        A[1:] = u[nd:]
        return f, A

    def energy(u, h=h):
        f, A = split(u)
        fq, aq = mesh.at_q(f), mesh.at_q(A)
        aa = u[nd:]
        return (f @ (kff_lin @ f) + mesh.integrate(0.5 * fq ** 4 + aq ** 2 * fq ** 2)
                + k2 * (aa @ (kaa @ aa) - 2 * h * A[-1] + h * h * a))

    def grad_hess(u, h=h):
        f, A = split(u)
        fq, aq = mesh.at_q(f), mesh.at_q(A)
        aa = u[nd:]
        gf = 2 * (kff_lin @ f) + 2 * mesh.load(fq ** 3 + aq ** 2 * fq)
        ga = 2 * mesh.load(fq ** 2 * aq)[1:] + 2 * k2 * (kaa @ aa) - 2 * k2 * h * ea
        hff = 2 * kff_lin + mesh.mass(6 * fq ** 2 + 2 * aq ** 2)
        hfa = mesh.mass(4 * fq * aq)[:, free_a]
        haa = mesh.mass(2 * fq ** 2)[free_a][:, free_a] + 2 * k2 * kaa
        hs = sp.bmat([[hff, hfa], [hfa.T, haa]], format="csc")
        return np.concatenate([gf, ga]), hs

    x = mesh.x
    a_london = h * kappa * np.sinh(x / kappa) / np.cosh(a / kappa)
    u0 = np.concatenate([np.ones(nd), a_london[1:]])
    u, ok = _newton_minimise(energy, grad_hess, u0, tol=tol)
    steps = 4
    while not ok and steps <= 256:
        # continuation along the Meissner branch from h = 0 (f = 1, A = 0)
        u = np.concatenate([np.ones(nd), np.zeros(nd - 1)])
        for hk in np.linspace(0.0, h, steps + 1)[1:]:
            u, ok = _newton_minimise(lambda v, hk=hk: energy(v, hk),
                                     lambda v, hk=hk: grad_hess(v, hk), u, tol=tol)
            if not ok:
                break
        steps *= 4
    if not ok:
        raise RuntimeError(f"slab_state(a={a}, kappa={kappa}, h={h}): Newton did not converge")
    f, A = split(u)
    if f[-1] < 0:
        f = -f
    exists = bool(np.max(np.abs(f)) > 1e-8)
    B = mesh.nodal_derivative(A)
    F_half = energy(u)
    xs = np.concatenate([-x[:0:-1], x])
    fs = np.concatenate([f[:0:-1], f])
    As = np.concatenate([-A[:0:-1], A])
    Bs = np.concatenate([B[:0:-1], B])
    return SlabState(a, kappa, h, xs, fs, As, Bs, float(f[-1] ** 2), float(F_half / a),
                     float(A[-1] / a - h), exists)


def london_slab_moment(a, kappa, h):
    """London-limit (f ≡ 1) magnetisation of the slab: B = h cosh(x/κ)/cosh(a/κ), so

    M = (1/(2a))∫_{−a}^{a}(B − h) dx = h (κ/a) tanh(a/κ) − h.
    """
    return h * (kappa / a) * math.tanh(a / kappa) - h


# --------------------------------------------------------------------------------------------
# Uniform current-carrying state (thin ring / wire): depairing current
# --------------------------------------------------------------------------------------------

def uniform_current(k):
    """Supercurrent of the uniform state ψ = √(1 − k²) e^{ikx} (A = 0): j = k(1 − k²)."""
    k = np.asarray(k, dtype=float)
    return k * (1.0 - k * k)


def ring_depairing():
    """Depairing point of the uniform state: (k_c, j_c) = (1/√3, 2/(3√3))."""
    return 1.0 / math.sqrt(3.0), 2.0 / (3.0 * math.sqrt(3.0))
