"""Nucleation of superconductivity: the linearised Ginzburg–Landau phase boundary (physics.md §2).

Superconductivity nucleates where the lowest eigenvalue of the gauge-covariant Schrödinger
operator (scaled, :func:`mqm_fem.quantum.schrodinger.solve_schrodinger`) reaches

    ε₀(b) = (L₀/ξ(T))²,        ξ(T) = ξ₀/√(1 − T/T_c),   b = 2πBL₀²/Φ₀.

In the bulk ε₀ = b, so B_c2 = Φ₀/(2πξ²); with a natural (superconductor/insulator) boundary a
large sample nucleates at B_c3 = B_c2/Θ₀ = 1.6946 B_c2 (Θ₀ = 0.5901061249). The phase boundary
at fixed field is T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b).

Validation: ``tests/test_nucleation.py`` (bulk B_c2 of a large Dirichlet disk, H_c3/H_c2 of
natural-BC disks, the Little–Parks oscillation of T_c in a ring).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from ..errors import ParameterError, SolverError
from ..mesh import Domain
from ..units import HBAR, PHI0, Q, parse_length, parse_quantity, parse_vector
from .schrodinger import lowest_eigenvalue

THETA0 = 0.5901061249
"""de Gennes' Θ₀: the half-plane ground state ε₀ = Θ₀b with a natural boundary."""


def coherence_length(temperature, xi0, tc) -> float:
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
    ``ratio`` = field / B_c2; ``evaluations`` the (b, ε₀) pairs computed.
    """

    field: float
    b: float
    target: float
    coherence_length: float
    length_scale: float
    direction: np.ndarray
    upper_critical_field: float
    evaluations: list = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.field / self.upper_critical_field


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


def nucleation_field(domain: Domain, coherence_length, *, bc=None, direction=None,
                     length_scale=None, order: int = 2, xtol: float = 1e-5,
                     max_steps: int = 40, **solver_options) -> NucleationResult:
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

    Raises
    ------
    ParameterError
        If ε₀(0) ≥ (L₀/ξ)² already: the sample is too small to superconduct at this ξ.
    SolverError
        If no crossing is found within ``max_steps`` steps.
    """
    xi = parse_length(coherence_length, "coherence_length")
    length0 = domain.length_unit if length_scale is None else parse_length(length_scale,
                                                                            "length_scale")
    d = _direction(domain, direction)
    target = (length0 / xi) ** 2
    evaluations = []

    def eps0(b):
        value = lowest_eigenvalue(domain, _applied(domain, _field_from_b(b, length0), d),
                                  bc=bc, order=order, length_scale=length0, **solver_options)
        evaluations.append((float(b), value))
        return value

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
    b_star = brentq(lambda b: eps0(b) - target, lo, hi, xtol=xtol * hi, rtol=1e-12)
    return NucleationResult(field=_field_from_b(b_star, length0), b=b_star, target=target,
                            coherence_length=xi, length_scale=length0, direction=d,
                            upper_critical_field=upper_critical_field(xi),
                            evaluations=evaluations)


def hc3_over_hc2(domain: Domain, coherence_length, **kwargs) -> float:
    """B_c3/B_c2: the nucleation field with natural boundary (unless ``bc`` given) over the
    bulk B_c2 = Φ₀/(2πξ²). Tends to 1/Θ₀ = 1.6946 for samples much larger than ξ."""
    return nucleation_field(domain, coherence_length, **kwargs).ratio


@dataclass
class PhaseBoundary:
    """T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b) at the given fields (T, magnitudes along direction)."""

    fields: np.ndarray
    eigenvalues: np.ndarray
    tc_ratio: np.ndarray
    xi0: float
    length_scale: float

    @property
    def flux_scale(self) -> float:
        """b per tesla: b = 2πBL₀²/Φ₀ (the field in units of one flux quantum per 2πL₀²)."""
        return 1.0 / _field_from_b(1.0, self.length_scale)  # = 2πL₀²/Φ₀ = qL₀²/ħ

    def summary(self) -> str:
        lines = [f"phase boundary: ξ₀ = {self.xi0:.4g} m, L₀ = {self.length_scale:.4g} m",
                 f"{'B (T)':>14} {'b':>12} {'eps0':>12} {'Tc/Tc0':>10}"]
        for f, e, t in zip(self.fields, self.eigenvalues, self.tc_ratio, strict=True):
            lines.append(f"{f:14.6g} {f * self.flux_scale:12.6g} {e:12.6g} {t:10.6f}")
        return "\n".join(lines)

    def write(self, path, png: bool = True, provenance=None) -> list:
        """Write a CSV (columns ``B_T, b, eps0, Tc_over_Tc0``), its JSON sidecar
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
        rows = ["B_T,b,eps0,Tc_over_Tc0"] + [
            f"{f:.10g},{f * self.flux_scale:.10g},{e:.10g},{t:.10g}"
            for f, e, t in zip(self.fields, self.eigenvalues, self.tc_ratio, strict=True)]
        record = make_provenance(problem="phase_boundary", xi0_m=float(self.xi0),
                                 length_scale_m=float(self.length_scale),
                                 nfields=len(self.fields))
        if provenance:
            record.update(check_provenance(provenance))
        sidecar = {"format": "mqm_fem-csv-sidecar-1", "csv": path.name,
                   "columns": {"B_T": "T", "b": "1 (2 pi B L0^2 / Phi0)",
                               "eps0": "1 (lowest scaled eigenvalue)", "Tc_over_Tc0": "1"},
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


def phase_boundary(domain: Domain, xi0, fields, *, bc=None, direction=None, length_scale=None,
                   order: int = 2, progress: bool = True, **solver_options) -> PhaseBoundary:
    """T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b) for each field in ``fields`` (T or strings).

    A progress display is shown on stderr (tqdm if installed, else a counter) unless
    ``progress=False``. Values ≤ 0 mean no superconductivity at that field.
    """
    xi0 = parse_length(xi0, "xi0")
    length0 = domain.length_unit if length_scale is None else parse_length(length_scale,
                                                                            "length_scale")
    d = _direction(domain, direction)
    values = [parse_quantity(f, "magnetic_field", f"fields[{i}]") for i, f in enumerate(fields)]
    if not values:
        raise ParameterError("fields: give at least one field value")
    eigen = []
    for _, value in _progress(values, progress):
        eigen.append(lowest_eigenvalue(domain, _applied(domain, value, d), bc=bc, order=order,
                                       length_scale=length0, **solver_options))
    eigen = np.array(eigen)
    return PhaseBoundary(fields=np.array(values), eigenvalues=eigen,
                         tc_ratio=1.0 - (xi0 / length0) ** 2 * eigen, xi0=xi0,
                         length_scale=length0)


def _progress(values, enabled):
    items = list(enumerate(values))
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:
        n = len(items)
        for i, v in items:
            sys.stderr.write(f"\rphase_boundary: field {i + 1}/{n}")
            sys.stderr.flush()
            yield i, v
        sys.stderr.write("\n")
        return
    yield from tqdm(items, desc="phase_boundary", unit="field")
