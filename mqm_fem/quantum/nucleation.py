"""Nucleation of superconductivity: the linearised Ginzburg–Landau phase boundary
(docs/theory.md §2).

Superconductivity nucleates where the lowest eigenvalue of the gauge-covariant Schrödinger
operator (scaled, :func:`mqm_fem.quantum.schrodinger.solve_schrodinger`) reaches

    ε₀(b) = (L₀/ξ(T))²,        ξ(T) = ξ₀/√(1 − T/T_c),   b = 2πBL₀²/Φ₀.

In the bulk ε₀ = b, so B_c2 = Φ₀/(2πξ²); with a natural (superconductor/insulator) boundary a
large sample nucleates at B_c3 = B_c2/Θ₀ = 1.6946 B_c2 (Θ₀ = 0.5901061249). The phase boundary
at fixed field is T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b); where ε₀(b) ≥ (L₀/ξ₀)² the field is above
the nucleation field even at T = 0 and the sample is not superconducting at all
(:attr:`PhaseBoundary.superconducting` False, ``tc_ratio`` NaN — never a negative T_c).

Validation: ``tests/test_nucleation.py`` (bulk B_c2 of a large Dirichlet disk, H_c3/H_c2 of
natural-BC disks, the Little–Parks oscillation of T_c in a ring).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
from scipy.optimize import brentq

from ..errors import MqmFemWarning, ParameterError, SolverError
from ..fem.estimate import ErrorEstimate
from ..mesh import Domain
from ..mesh.adapt import adapt, check_target
from ..mesh.domain import Recipe
from ..mesh.resolution import ResolutionCheck, warn_unresolved
from ..progress import ProgressLike, reporter
from ..units import (
    HBAR,
    PHI0,
    FieldLike,
    LengthLike,
    Q,
    parse_length,
    parse_quantity,
    parse_values,
    parse_vector,
)
from .schrodinger import (
    EIGEN_TOL_NOTE,
    STATE_WHERE,
    BoundaryConditions,
    SchrodingerSolution,
    check_budgets,
    residual_turns,
    resolution_checks,
    solve_schrodinger,
    state_elements,
)

#: Elements per coherence length ξ needed where the nucleating state has weight, by Lagrange
#: order: at the nucleation point ε₀ = (L₀/ξ)², so ξ is the state's length as ℓ_B is in
#: :data:`~mqm_fem.quantum.schrodinger.MAGNETIC_LENGTH_ELEMENTS` (the same thresholds).
COHERENCE_LENGTH_ELEMENTS = {2: 1.0, 1: 2.0}

#: the resolution warnings of intermediate solves (the caller warns once about the state it keeps)
UNRESOLVED = "solve_schrodinger: (the )?mesh does not resolve"

#: warm-started shift of the adaptive root search: at least this fraction of (L₀/ξ)² below ε₀
SHIFT_MARGIN = 0.02

THETA0 = 0.5901061249
"""de Gennes' Θ₀: the half-plane ground state ε₀ = Θ₀b with a natural boundary."""


def coherence_length(temperature: float | str, xi0: LengthLike, tc: float | str) -> float:
    """ξ(T) = ξ₀/√(1 − T/T_c) in metres (``temperature`` and ``tc`` in K, 0 ≤ T < T_c)."""
    t = parse_quantity(temperature, "temperature", "temperature")
    tc = parse_quantity(tc, "temperature", "tc")
    xi0 = parse_length(xi0, "xi0")
    if tc <= 0:
        raise ParameterError(f"tc: must be positive, got {tc!r}")
    if not 0 <= t < tc:
        raise ParameterError(f"temperature: must satisfy 0 <= T < Tc = {tc:g} K, got {t:g} K")
    return xi0 / np.sqrt(1.0 - t / tc)


def upper_critical_field(coherence_length) -> float:
    """Bulk B_c2 = Φ₀/(2πξ²) in T."""
    xi = parse_length(coherence_length, "coherence_length")
    return PHI0 / (2 * np.pi * xi**2)


@dataclass
class NucleationResult:
    """The nucleation field and how it was found.

    ``field`` (T) is the magnitude along ``direction``; ``b`` the scaled field; ``target`` the
    eigenvalue (L₀/ξ)² it matches; ``upper_critical_field`` the bulk B_c2 = Φ₀/(2πξ²);
    ``ratio`` = field / B_c2; ``evaluations`` the (b, ε₀) pairs computed; ``resolution`` the
    :class:`~mqm_fem.mesh.resolution.ResolutionCheck` list of the nucleating state (its phase
    winding along each boundary, the magnetic length) and of ξ.

    ``estimate``: the :class:`~mqm_fem.fem.estimate.ErrorEstimate` of ``ratio`` (quantity
    ``"B_nuc/B_c2"``, dimensionless; the error in tesla is ``estimate.error ×
    upper_critical_field``, the relative error is the same), propagated from the estimate
    δε of ε₀ at the root: δb = −δε/(∂ε₀/∂b), the slope from the root search's evaluations
    nearest the root, plus a ``root finding`` part for the residual ε₀(b*) − (L₀/ξ)².
    ``eigenvalue_estimate``: the estimate of ε₀ at the root; ``error_indicators``: the element
    indicators of the nucleating state (on the elements of the given domain's mesh);
    ``ndofs``: its degrees of freedom; ``slope``: dε₀/db at the root (secant of the two
    evaluations nearest it; None if unavailable).
    ``adaptivity``: the history of the adaptive loop when ``tol`` was given
    (:class:`mqm_fem.mesh.adapt.AdaptiveHistory`), else None.
    ``winding``: in the vortex gauge (``gauge="vortex"``), the phase winding of the nucleating
    state about the gauge's centre (the next mesh's solves start from it), else None.
    """

    field: float
    b: float
    target: float
    coherence_length: float
    length_scale: float
    direction: np.ndarray
    upper_critical_field: float
    evaluations: list = field(default_factory=list)
    resolution: list = field(default_factory=list)
    estimate: ErrorEstimate | None = None
    eigenvalue_estimate: ErrorEstimate | None = None
    error_indicators: np.ndarray | None = None
    ndofs: int | None = None
    adaptivity: object | None = None
    slope: float | None = None
    winding: int | None = None

    @property
    def ratio(self) -> float:
        return self.field / self.upper_critical_field

    def summary(self) -> str:
        """One line per result: the field, B/B_c2 with its error bar and the estimate's parts."""
        lines = [f"nucleation field B = {self.field:.6g} T (ξ = {self.coherence_length:.4g} m, "
                 f"B_c2 = {self.upper_critical_field:.6g} T)"]
        est = self.estimate
        if est is None:
            lines.append(f"B_nuc/B_c2 = {self.ratio:.6g}")
        else:
            parts = ", ".join(f"{name} {value:+.3g}" for name, value in est.parts.items())
            lines.append(f"B_nuc/B_c2 = {self.ratio:.5g} (± {100 * est.relative:.2g} %) "
                         f"(error {est.error:+.3g}: {parts}; "
                         f"± {est.bound * self.upper_critical_field:.3g} T)")
        return "\n".join(lines)


def root_slope(evaluations, b_star: float) -> float | None:
    """dε₀/db at the root b*: the secant through the two evaluations (b, ε₀) nearest b* that
    are at least 1e-7·b* apart (None if there are no two such, or the secant is flat)."""
    pts = sorted({(float(b), float(e)) for b, e in evaluations}, key=lambda p: abs(p[0] - b_star))
    if len(pts) < 2:
        return None
    b1, e1 = pts[0]
    other = [p for p in pts[1:] if abs(p[0] - b1) > 1e-7 * max(abs(b_star), 1e-300)]
    if not other:
        return None
    b2, e2 = other[0]
    slope = (e2 - e1) / (b2 - b1)
    return float(slope) if np.isfinite(slope) and slope != 0 else None


def field_estimate(eigen: ErrorEstimate, b_star: float, evaluations, target: float,
                   ratio_per_b: float, quantity: str = "B_nuc/B_c2") -> ErrorEstimate | None:
    """The estimate of a root b* of ε₀(b) = target, as ``ratio_per_b × b``: each signed part δε
    of the eigenvalue estimate moves the root by −δε/(∂ε₀/∂b); the slope is the secant through
    the two evaluations (b, ε₀) nearest b* that are at least 1e-7·b* apart. The residual
    ε₀(b*) − target adds a ``root finding`` part. None if no slope is available."""
    slope = root_slope(evaluations, b_star)
    if slope is None:
        return None
    parts = {name.replace(" ", "_"): -value / slope * ratio_per_b
             for name, value in eigen.parts.items()}
    parts["root_finding"] = -(eigen.value - target) / slope * ratio_per_b
    return ErrorEstimate.from_parts(
        quantity, b_star * ratio_per_b, "1",
        f"eigenvalue estimate / dε₀/db (secant, slope {slope:.6g}); {eigen.method}", **parts)


def _direction(domain: Domain, direction) -> np.ndarray:
    if domain.dim == 2:
        if direction is not None and not np.allclose(np.asarray(direction, float), [0, 0, 1]):
            raise ParameterError("direction: a 2D domain takes a field along z only, (0, 0, 1)")
        return np.array([0.0, 0.0, 1.0])
    if direction is None:
        return np.array([0.0, 0.0, 1.0])
    d = parse_vector(direction, "length", "direction", dim=3) if isinstance(direction, str) \
        else np.asarray(direction, dtype=float)
    if d.shape != (3,) or not np.all(np.isfinite(d)) or np.linalg.norm(d) == 0:
        raise ParameterError(f"direction: expected a nonzero 3-vector, got {direction!r}")
    return d / np.linalg.norm(d)


def _field_from_b(b, length0):
    return b * HBAR / (Q * length0**2)


def _applied(domain, magnitude, direction):
    return magnitude * direction if domain.dim == 3 else magnitude


def nucleation_field(domain: Domain, coherence_length: LengthLike, *, bc: BoundaryConditions = None,
                     direction: FieldLike | None = None,
                     length_scale: LengthLike | None = None, order: int = 2, xtol: float = 1e-5,
                     max_steps: int = 40, progress: ProgressLike = None,
                     start: NucleationResult | None = None,
                     **solver_options) -> NucleationResult:
    """The field at which superconductivity nucleates: ε₀(b) = (L₀/ξ)².

    ε₀(b) is computed at b = ½, 1, 3/2, ... × (L₀/ξ)² until it exceeds the target; the root is
    then bracketed and found with Brent's method (relative ``xtol`` in b). The first crossing
    is returned: for multiply connected samples ε₀(b) oscillates (Little–Parks) and
    superconductivity may re-enter above it — use :func:`phase_boundary` to see the whole curve.

    Parameters
    ----------
    domain : Domain
    coherence_length : length
        ξ at the temperature of interest (see :func:`coherence_length`).
    bc : boundary conditions as in :func:`~mqm_fem.quantum.schrodinger.solve_schrodinger` (default
        natural: superconductor/insulator, giving B_c3).
    direction : 3-vector, optional
        Field direction (3D; 2D is along z).
    progress : callable, optional
        Called with one line per eigenvalue computed (``"ε₀(B = ... T) = ..."``), e.g. print;
        with ``tol``, one line per adaptive step instead.
    start : NucleationResult, optional
        A previous result for the same sample and ξ (e.g. on a coarser mesh): its root and
        slope dε₀/db start a secant search (typically 2–3 eigen-solves instead of ~10; falls
        back to the full search if ε₀ is not increasing near it), and if its state was
        resolved the eigen-solver's shift is placed just below the expected ε₀ (faster ARPACK
        convergence among the crowded surface states). The adaptive loop (``tol``) starts each
        mesh from the previous one's result this way. The first crossing is then not searched
        for: the root nearest ``start`` is returned.
    tol : float, optional (keyword)
        Target relative error of the nucleation field (0 < tol < 1): the root search is
        repeated (warm-started, see ``start``) on meshes refined by
        :func:`mqm_fem.mesh.adapt.adapt` until the estimate meets it and the nucleating state is
        resolved (the resolution checks pass); a generated domain meshed at order 1 is remeshed
        at ``order=2`` for a P2 solve (:func:`isoparametric`: curved boundary, no polygon
        error); the first mesh is solved as given. A budget stops it with a warning;
        ``adaptivity={...}`` sets the budgets (``max_dofs``, ``max_memory``, ``max_steps``,
        ``fraction``). The history is ``result.adaptivity``.

    Raises
    ------
    ParameterError
        If ε₀(0) ≥ (L₀/ξ)² already: the sample is too small to superconduct at this ξ.
    SolverError
        If no crossing is found within ``max_steps`` steps.
    """
    tol = check_target(solver_options.pop("tol", None), NucleationResult, "nucleation_field",
                       note=EIGEN_TOL_NOTE)
    budgets = check_budgets(solver_options.pop("adaptivity", None), tol)
    xi = parse_length(coherence_length, "coherence_length")
    if length_scale is not None:
        parse_length(length_scale, "length_scale")
    _direction(domain, direction)
    if start is not None and not isinstance(start, NucleationResult):
        raise ParameterError(f"start: expected a NucleationResult (a previous nucleation_field "
                             f"result), got {type(start).__name__}")
    if tol is not None and domain.dim == 2 and "gauge" not in solver_options \
            and "vector_potential" not in solver_options:
        solver_options["gauge"] = "vortex"  # surface states wind ~flux/Φ₀ times: see there
    options = dict(bc=bc, direction=direction, length_scale=length_scale, order=order,
                   xtol=xtol, max_steps=max_steps, **solver_options)
    if tol is None:
        return _nucleation(domain, xi, progress=progress, **_warm(start, solver_options),
                           **options)
    previous = [start]

    def solve(mesh_domain):
        # warm start: the root of the previous mesh and its slope dε₀/db start a secant search
        previous[0] = _nucleation(mesh_domain, xi, **_warm(previous[0], solver_options),
                                  **options)
        return previous[0]

    result, history = adapt(solve, isoparametric(domain, order), tol, order=order,
                            progress=progress, who="nucleation_field", **budgets)
    result.adaptivity = history
    return result


def _warm(start: NucleationResult | None, solver_options) -> dict:
    """The warm start a previous result gives: its root b, slope dε₀/db and — if its state was
    resolved and estimated, and no shift was given — the eigen-solver shift margin
    max(SHIFT_MARGIN·(L₀/ξ)², 5 |δε₀|) below the expected ε₀."""
    if start is None or start.slope is None:
        return {}
    eigen = start.eigenvalue_estimate
    resolved = all(c.ok for c in start.resolution)
    margin = (max(SHIFT_MARGIN * start.target, 5 * abs(eigen.error))
              if eigen is not None and resolved and "sigma" not in solver_options else None)
    warm = {"guess": start.b, "slope": start.slope, "margin": margin}
    if start.winding is not None and solver_options.get("gauge") == "vortex":
        warm["winding"] = start.winding
    return warm


def isoparametric(domain: Domain, order: int) -> Domain:
    """The domain whose later meshes the adaptive loop makes: for a P2 solve (``order=2``) on a
    generated domain meshed at order 1, the same mesh with its recipe asking for ``order=2``,
    so every remeshed geometry is curved (isoparametric P2: no polygon error, which for a
    natural boundary moves the nucleation field by ~1 % at h = ξ/10 — more than a typical
    ``tol``). The first mesh is solved as given."""
    recipe = domain.recipe
    if order != 2 or recipe is None or recipe.arguments.get("order", 1) == 2:
        return domain
    import inspect

    from ..mesh import geometry

    generator = getattr(geometry, recipe.generator, None)
    if generator is None or "order" not in inspect.signature(generator).parameters:
        return domain
    return replace(domain, recipe=Recipe(recipe.generator, {**recipe.arguments, "order": 2}))


def _secant_root(eps0, target: float, b0: float, slope: float, xtol: float,
                 max_iter: int = 8) -> float | None:
    """Root of ε₀(b) = target from a warm start: ``b0`` (the previous mesh's root) and
    ``slope`` (its dε₀/db) give the first secant step; then secant steps through the last two
    evaluations, kept inside a bracket once one is known. Stops at the last evaluated b once
    the next correction would be below ``xtol``·b (that b is returned — its state is the
    nucleating one). None (the caller falls back to the full search) if ε₀ is not increasing
    between evaluations or ``max_iter`` evaluations do not converge. Typically 2–3 eigen-solves
    when the mesh changed the root by ≲ 1 %."""
    if not (np.isfinite(b0) and b0 > 0 and np.isfinite(slope) and slope > 0):
        return None
    lo, hi = 0.0, np.inf  # bracket: ε₀(lo) < target < ε₀(hi)
    b_prev = f_prev = None
    b, s = b0, slope
    for _ in range(max_iter):
        f = eps0(b) - target
        if f < 0:
            lo = max(lo, b)
        else:
            hi = min(hi, b)
        if f == 0:
            return b
        if b_prev is not None:
            s = (f - f_prev) / (b - b_prev)
            if not np.isfinite(s) or s <= 0:
                return None
        step = -f / s
        if b_prev is not None and abs(step) <= xtol * abs(b):
            return b
        new = b + float(np.clip(step, -0.5 * b, 0.5 * b))  # at most a factor 1.5 per step
        if not lo < new < hi:
            new = 0.5 * (lo + hi) if np.isfinite(hi) else max(new, 1.5 * lo)
        b_prev, f_prev, b = b, f, new
    return None


def _nucleation(domain: Domain, xi: float, *, bc, direction, length_scale, order, xtol,
                max_steps, progress=None, guess=None, slope=None, margin=None, winding=None,
                **solver_options) -> NucleationResult:
    """One root search of :func:`nucleation_field` on ``domain`` (``guess``/``slope``: a warm
    start, see :func:`_secant_root`).

    ``margin``: with a warm start, the eigen-solver's shift is put ``margin`` below the
    expected ε₀(b) ≈ target + slope·(b − guess) instead of far below the spectrum: the surface
    states of a large sample crowd together (L ± 1 differ by ~0.1 % in ε), and ARPACK's
    shift-invert converges as log((λ₁ − σ)/(λ₀ − σ)) — measured 174 → 47 operator solves at
    50k unknowns. If the solve returns ε₀ below the shift (the previous mesh misled), that
    evaluation is repeated with the safe default shift."""
    length0 = domain.length_unit if length_scale is None else parse_length(length_scale,
                                                                            "length_scale")
    d = _direction(domain, direction)
    report = reporter(progress, "nucleation_field")
    target = (length0 / xi) ** 2
    evaluations = []
    states = {}  # b -> solution of the last few evaluations (the root's state is reused)
    vortex = solver_options.get("gauge") == "vortex"
    turns = [(guess, winding)]  # (b, winding) of the last state: the next solve's first W

    def solve(b, sigma):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=UNRESOLVED, category=MqmFemWarning)
            extra = {} if sigma is None else {"sigma": sigma}
            if vortex:
                extra["winding"] = _winding_guess(turns[-1], b)
            sol = solve_schrodinger(domain, _applied(domain, _field_from_b(b, length0), d),
                                    bc=bc, order=order, length_scale=length0,
                                    **{**solver_options, "k": 1, **extra})
        if vortex:
            turns.append((b, sol.vortex_gauge.winding + residual_turns(sol)))
        return sol

    def eps0(b):
        start = time.perf_counter()
        sigma = None
        if margin is not None and guess is not None and slope is not None:
            sigma = target + min(0.0, slope * (b - guess)) - margin
        sol = solve(b, sigma)
        if sigma is not None and float(sol.eigenvalues[0]) <= sigma:
            sol = solve(b, None)  # the shift was not below the spectrum: the safe default
        value = float(sol.eigenvalues[0])
        states[float(b)] = sol
        while len(states) > 2:
            states.pop(next(iter(states)))
        evaluations.append((float(b), value))
        report(f"eigenvalue {len(evaluations)}: ε₀(B = {_field_from_b(b, length0):.6g} T) = "
               f"{value:.6g} (target {target:.6g}), {time.perf_counter() - start:.1f} s")
        return value

    b_star = None
    if guess is not None and slope is not None:
        b_star = _secant_root(eps0, target, float(guess), float(slope), xtol)
    if b_star is None:
        b_star = _bracketed_root(eps0, target, xtol, max_steps)
    sol = states.get(float(b_star))
    checks = _state_checks(domain, _applied(domain, _field_from_b(b_star, length0), d),
                           bc, order, length0, solver_options, xi, state=sol,
                           return_state=True)
    checks, state = checks
    warn_unresolved(checks, "nucleation_field")
    bc2 = upper_critical_field(xi)
    eigen = state.estimate
    estimate = (field_estimate(eigen, b_star, evaluations, target,
                               _field_from_b(1.0, length0) / bc2)
                if eigen is not None else None)
    return NucleationResult(field=_field_from_b(b_star, length0), b=b_star, target=target,
                            coherence_length=xi, length_scale=length0, direction=d,
                            upper_critical_field=bc2, evaluations=evaluations,
                            resolution=checks, estimate=estimate, eigenvalue_estimate=eigen,
                            error_indicators=state.error_indicators, ndofs=state.ndofs,
                            slope=root_slope(evaluations, b_star),
                            winding=(state.vortex_gauge.winding + residual_turns(state)
                                     if state.vortex_gauge is not None else None))


def _winding_guess(last, b: float) -> int | None:
    """The vortex gauge's first W at field b: the last state's winding scaled by the field
    ratio (a surface state's winding grows about linearly with the flux); None (from the
    flux) without a usable last state."""
    b_last, w_last = last
    if b_last is None or w_last is None or b_last <= 0 or w_last == 0:
        return None
    return int(round(w_last * b / b_last))


def _bracketed_root(eps0, target, xtol, max_steps) -> float:
    """The first crossing: ε₀ at b = 0, ½, 1, 3/2, ... × target until it exceeds the target,
    then Brent's method in the last interval (relative ``xtol``)."""
    e0 = eps0(0.0)
    if e0 >= target:
        raise ParameterError(
            f"coherence_length: ε₀(B=0) = {e0:.6g} ≥ (L₀/ξ)² = {target:.6g}: the sample is too "
            "small (or its boundary too restrictive) to superconduct at this ξ, at any field"
        )
    step = 0.5 * target
    lo, hi = 0.0, step
    for _ in range(max_steps):
        if eps0(hi) > target:
            break
        lo, hi = hi, hi + step
    else:
        raise SolverError(
            f"nucleation_field: ε₀(b) stayed below (L₀/ξ)² = {target:.6g} up to b = {hi:.6g}; "
            "increase max_steps or check the boundary conditions"
        )
    return brentq(lambda b: eps0(b) - target, lo, hi, xtol=xtol * hi, rtol=1e-12)


def _state_checks(domain, applied, bc, order, length0, solver_options,
                  xi=None, return_state=False, state=None):
    """The resolution checks of the lowest state at ``applied`` (one more eigen-solve, k = 1,
    its own warnings silenced: the caller warns under its name — or ``state``, that solution
    already computed), plus ξ if given; with ``return_state`` also that solution (its
    eigenvalue estimate)."""
    sol = state
    if sol is None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=UNRESOLVED, category=MqmFemWarning)
            sol = solve_schrodinger(domain, applied, bc=bc, order=order, length_scale=length0,
                                    **{**solver_options, "k": 1})
    checks = resolution_checks(sol)
    if xi is not None:
        element, parents = state_elements(sol, [0])
        checks.append(ResolutionCheck(
            "coherence length", STATE_WHERE, scale=xi, element=element,
            required=COHERENCE_LENGTH_ELEMENTS[order], elements=parents))
    return (checks, sol) if return_state else checks


def hc3_over_hc2(domain: Domain, coherence_length: LengthLike, **kwargs) -> float:
    """B_c3/B_c2: the nucleation field with natural boundary (unless ``bc`` given) over the
    bulk B_c2 = Φ₀/(2πξ²). Tends to 1/Θ₀ = 1.6946 for samples much larger than ξ."""
    return nucleation_field(domain, coherence_length, **kwargs).ratio


@dataclass
class PhaseBoundary:
    """T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b) at the given fields (T, magnitudes along direction).

    ``superconducting[i]`` is False where ε₀ ≥ (L₀/ξ₀)²: that field is above the nucleation
    field even at T = 0, so the sample is not superconducting at any temperature and
    ``tc_ratio[i]`` is NaN (never a negative T_c). ``eigenvalues`` keeps ε₀ at every field.
    ``resolution``: the :class:`~mqm_fem.mesh.resolution.ResolutionCheck` list of the state at
    the highest field (the most windings, the shortest magnetic length).

    ``eigenvalue_estimates``: per field the :class:`~mqm_fem.fem.estimate.ErrorEstimate` of ε₀
    (1/L₀²); ``estimates``: per field that of T_c/T_c0 = 1 − (ξ₀/L₀)²ε₀ (each part scaled by
    −(ξ₀/L₀)²), None where not superconducting. The estimate at a fixed field is the error of
    T_c at that field (the phase boundary read vertically); read horizontally, the error of the
    field at fixed T_c is δT_c divided by the slope dT_c/dB.
    ``adaptivity`` (with ``tol``): per field, the unknowns, estimate and steps of its own
    adapted mesh.
    """

    fields: np.ndarray
    eigenvalues: np.ndarray
    tc_ratio: np.ndarray
    xi0: float
    length_scale: float
    superconducting: np.ndarray | None = None
    resolution: list = field(default_factory=list)
    adaptivity: list | None = None
    eigenvalue_estimates: list = field(default_factory=list)

    @property
    def estimates(self) -> list:
        """Per field: the :class:`~mqm_fem.fem.estimate.ErrorEstimate` of T_c/T_c0 (None where
        not superconducting or without an eigenvalue estimate)."""
        factor = -(self.xi0 / self.length_scale) ** 2
        out = []
        for est, tc, sc in zip(self.eigenvalue_estimates, self.tc_ratio, self.superconducting,
                               strict=False):
            if est is None or not sc:
                out.append(None)
                continue
            parts = {name.replace(" ", "_"): factor * value for name, value in est.parts.items()}
            out.append(ErrorEstimate.from_parts("Tc/Tc0", tc, "1", est.method, **parts))
        return out

    def __post_init__(self):
        self.fields = np.asarray(self.fields, dtype=float)
        self.eigenvalues = np.asarray(self.eigenvalues, dtype=float)
        if self.superconducting is None:
            self.superconducting = self.eigenvalues < (self.length_scale / self.xi0) ** 2
        self.superconducting = np.asarray(self.superconducting, dtype=bool)
        self.tc_ratio = np.where(self.superconducting, np.asarray(self.tc_ratio, dtype=float),
                                 np.nan)

    @property
    def flux_scale(self) -> float:
        """b per tesla: b = 2πBL₀²/Φ₀ (the field in units of one flux quantum per 2πL₀²)."""
        return 1.0 / _field_from_b(1.0, self.length_scale)  # = 2πL₀²/Φ₀ = qL₀²/ħ

    def summary(self) -> str:
        lines = [f"phase boundary: ξ₀ = {self.xi0:.4g} m, L₀ = {self.length_scale:.4g} m",
                 f"{'B (T)':>14} {'b':>12} {'eps0':>12} {'Tc/Tc0':>10}"]
        for f, e, t, sc in zip(self.fields, self.eigenvalues, self.tc_ratio,
                               self.superconducting, strict=True):
            tc = f"{t:10.6f}" if sc else f"{'not superconducting':>10}"
            lines.append(f"{f:14.6g} {f * self.flux_scale:12.6g} {e:12.6g} {tc}")
        for f, est in zip(self.fields, self.estimates, strict=False):
            if est is not None:
                lines.append(f"  B = {f:.6g} T: {est} (error {est.error:+.3g})")
        if not np.all(self.superconducting):
            lines.append(f"not superconducting: ε₀ ≥ (L₀/ξ₀)² = "
                         f"{(self.length_scale / self.xi0) ** 2:.6g}, the field is above the "
                         "nucleation field even at T = 0 (Tc/Tc0 is NaN in the CSV)")
        return "\n".join(lines)

    def write(self, path, png: bool = True, provenance=None) -> list:
        """Write a CSV (columns ``B_T, b, eps0, Tc_over_Tc0, superconducting``), its JSON sidecar
        ``<path>.json`` (column units, ξ₀, L₀ and the provenance: version, command line, time,
        plus the entries of ``provenance`` — pass ``mqm_fem.io.provenance(domain)`` to record
        the mesh file and hash) and, unless ``png=False``, the plot T_c/T_c0 vs B beside it
        (same name, ``.png``). All written atomically, the paths checked before anything is
        written (:class:`~mqm_fem.errors.OutputError`); returns the paths."""
        import json

        from ..io.files import atomic_write, check_writable
        from ..io.plotting import plot_profile
        from ..io.provenance import check_provenance
        from ..io.provenance import provenance as make_provenance

        path = check_writable(path, ".csv", "path")
        plot = png and len(self.fields) >= 2
        if plot:
            check_writable(path.with_suffix(".png"), ".png", "path")
        rows = ["B_T,b,eps0,Tc_over_Tc0,superconducting"] + [
            f"{f:.10g},{f * self.flux_scale:.10g},{e:.10g},{t:.10g},{int(sc)}"
            for f, e, t, sc in zip(self.fields, self.eigenvalues, self.tc_ratio,
                                   self.superconducting, strict=True)]
        record = make_provenance(problem="phase_boundary", xi0_m=float(self.xi0),
                                 length_scale_m=float(self.length_scale),
                                 nfields=len(self.fields))
        if provenance:
            record.update(check_provenance(provenance))
        sidecar = {"format": "mqm_fem-csv-sidecar-1", "csv": path.name,
                   "columns": {"B_T": "T", "b": "1 (2 pi B L0^2 / Phi0)",
                               "eps0": "1 (lowest scaled eigenvalue)",
                               "Tc_over_Tc0": "1 (nan where not superconducting)",
                               "superconducting": "1 if superconductivity nucleates, else 0"},
                   "provenance": record}
        side = path.with_name(path.name + ".json")
        atomic_write([(path, lambda tmp: tmp.write_text("\n".join(rows) + "\n")),
                      (side, lambda tmp: tmp.write_text(json.dumps(sidecar, indent=2)))])
        written = [path, side]
        if plot:
            written.append(plot_profile(self.fields * 1e3, self.tc_ratio, path.with_suffix(".png"),
                                        xlabel="applied field B (mT)", ylabel="T_c(B) / T_c0",
                                        title=f"phase boundary, ξ₀ = {self.xi0 * 1e9:.4g} nm"))
        return written


def phase_boundary(domain: Domain, xi0: LengthLike, fields: FieldLike, *,
                   bc: BoundaryConditions = None, direction: FieldLike | None = None,
                   length_scale: LengthLike | None = None, order: int = 2,
                   progress: ProgressLike = True, workers: int | None = 1, client=None,
                   scheduler=None, **solver_options) -> PhaseBoundary:
    """T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b) for each field in ``fields``.

    ``fields``: magnitudes in T along ``direction`` — numbers, strings with units, or one string
    such as ``"0 1 2 mT"`` or ``"1 mT 2 mT"`` (:func:`mqm_fem.units.parse_values`: a unit
    applies to the bare numbers before it). Fields where ε₀ ≥ (L₀/ξ₀)² are above the nucleation
    field: :attr:`PhaseBoundary.superconducting` is False there and ``tc_ratio`` NaN.

    The eigenvalues are computed through :func:`mqm_fem.parallel.run_points`: serially in this
    process by default (``workers=1``), in ``workers`` local processes, or on a Dask cluster
    (``client`` or ``scheduler``); the numbers are the same. An eigen-solve that fails raises
    its error as in the serial loop.

    ``progress``: ``True`` (default) shows the progress on stderr — a tqdm bar or a ``\\r``
    counter on a terminal, one line per field (at most one every 2 s, plus the first and last)
    when stderr is redirected to a file; ``False`` is silent; a callable receives the lines
    instead.
    """
    from ..parallel import Grid, ProgressBar, run_points

    xi0 = parse_length(xi0, "xi0")
    length0 = domain.length_unit if length_scale is None else parse_length(length_scale,
                                                                            "length_scale")
    d = _direction(domain, direction)
    tol = check_target(solver_options.get("tol"), SchrodingerSolution, "phase_boundary",
                       note=EIGEN_TOL_NOTE)
    check_budgets(solver_options.get("adaptivity"), tol)  # each field adapts its own mesh
    values = parse_values(fields, "magnetic_field", "fields")
    if values.size == 0:
        raise ParameterError("fields: give at least one field value")
    bar = ProgressBar(progress, len(values), name="phase_boundary", unit="field",
                      describe=lambda p: f"B = {p['field']:.6g} T",
                      interval=PROGRESS_INTERVAL)
    grid = Grid(points=tuple({"field": float(v)} for v in values), names=("field",))
    func = partial(_phase_point, domain, tuple(d), bc, order, length0, solver_options)
    records = run_points(func, grid, workers=workers, client=client, scheduler=scheduler,
                         progress=bar, on_error="raise")
    solved = {r["index"] for r in records if r["status"] == "ok"}
    lost = [p for p in grid if p.index not in solved]  # a worker or the cluster was lost
    if lost:
        raise SolverError(
            f"phase_boundary: {len(lost)} field(s) not solved (first: "
            f"{lost[0].parameters['field']:g} T): the worker processes or the Dask cluster "
            "were lost; run again")
    eigen = np.array([r["outputs"]["eps0"] for r in records])
    eigen_estimates = [_eigen_estimate(r["outputs"]) for r in records]
    top = float(values[int(np.argmax(np.abs(values)))])
    # with tol every field's adaptive loop already refined until its state was resolved
    checks = _state_checks(domain, _applied(domain, top, d), bc, order, length0,
                           solver_options) if top != 0 and tol is None else []
    warn_unresolved(checks, "phase_boundary")
    adaptivity = None if tol is None else [
        {"field": float(values[r["index"]]),
         **{k: r["outputs"][k] for k in ("ndofs", "relative", "adaptive_steps")}}
        for r in records]
    return PhaseBoundary(fields=values, eigenvalues=eigen,
                         tc_ratio=1.0 - (xi0 / length0) ** 2 * eigen, xi0=xi0,
                         length_scale=length0, resolution=checks, adaptivity=adaptivity,
                         eigenvalue_estimates=eigen_estimates)


def _eigen_estimate(outputs: dict) -> ErrorEstimate | None:
    """The estimate of ε₀ from one point's plain outputs (``eps0``, ``eps0_<part>``)."""
    parts = {key[len("eps0_"):]: value for key, value in outputs.items()
             if key.startswith("eps0_")}
    if not parts:
        return None
    return ErrorEstimate.from_parts("eigenvalue 0", outputs["eps0"], "1/L0^2",
                                    "solve_schrodinger eigenvalue estimate", **parts)


def _phase_point(domain, direction, bc, order, length0, solver_options, point) -> dict:
    """ε₀ at one field of :func:`phase_boundary` (module level: runs in worker processes); with
    ``tol`` on its own adapted mesh, reporting its unknowns, estimate and steps too."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=UNRESOLVED, category=MqmFemWarning)
        sol = solve_schrodinger(domain, _applied(domain, point["field"], np.asarray(direction)),
                                bc=bc, order=order, length_scale=length0,
                                **{"k": 1, **solver_options})
    out = {"eps0": float(sol.eigenvalues[0])}
    est = sol.estimate
    if est is not None:
        out.update({f"eps0_{name.replace(' ', '_')}": float(value)
                    for name, value in est.parts.items()})
    if sol.adaptivity is not None:
        last = sol.adaptivity.steps[-1]
        out.update({"ndofs": last.ndofs, "relative": last.relative,
                    "adaptive_steps": len(sol.adaptivity.steps)})
    return out


#: redirected progress: at most one line every this many seconds (plus the first and last)
PROGRESS_INTERVAL = 2.0
