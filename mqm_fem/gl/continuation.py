"""Continuation of GL states in the applied field: sweeps up and down, branches, hysteresis.

``gl_sweep`` solves at each field of a list in turn, starting each Newton iteration from the
state at the previous field (natural continuation). Because every step is a descent, a state is
followed while it stays a local minimum; where it stops being one (a vortex enters or leaves, a
fluxoid jumps, the order parameter vanishes) the iteration falls to a state of lower energy, so a
list that goes up and down again traces the hysteresis loop. From the normal state the next step
starts from the lowest linear mode, so on the way down superconductivity nucleates where the
normal state becomes unstable (the nucleation field). A *branch* is a run of consecutive points
with the same vorticity.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..mesh import Domain
from ..progress import ProgressLike, reporter
from ..units import FieldLike, parse_values
from .solution import GLSolution
from .solve import solve_gl


@dataclass
class GLSweep:
    """The states of a field sweep, in the order solved.

    Attributes
    ----------
    states : list of GLSolution
    fields : ndarray (n,)
        Applied field magnitudes in T (signed along the sweep's direction).
    """

    states: list[GLSolution]
    fields: np.ndarray
    direction: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    info: dict = field(default_factory=dict)

    @property
    def reduced_fields(self) -> np.ndarray:
        """h = B/B_c2 of each point, signed along the sweep direction."""
        return np.asarray(self.fields) / self.states[0].upper_critical_field

    @property
    def free_energies(self) -> np.ndarray:
        """Reduced F of each point (B_c²ξᵈ/μ₀)."""
        return np.array([s.free_energy for s in self.states])

    @property
    def moments(self) -> np.ndarray:
        """Reduced moment of each point along the sweep direction (z in 2D)."""
        return np.array([s.moment @ self.direction for s in self.states])

    @property
    def vorticities(self) -> np.ndarray:
        return np.array([s.vorticity for s in self.states])

    @property
    def stabilities(self) -> list[str]:
        return [s.stability for s in self.states]

    @property
    def directions(self) -> list[str]:
        """``"up"`` or ``"down"``: whether B (signed along the direction) grew or shrank into
        each point."""
        out, previous = [], None
        for b in np.asarray(self.fields):
            out.append("up" if previous is None or b >= previous else "down")
            previous = b
        return out

    def branches(self) -> list[np.ndarray]:
        """Index arrays of the runs of consecutive points with the same vorticity and sweep
        direction."""
        keys = list(zip(self.vorticities, self.directions, strict=True))
        runs, start = [], 0
        for k in range(1, len(keys) + 1):
            if k == len(keys) or keys[k] != keys[start]:
                runs.append(np.arange(start, k))
                start = k
        return runs

    def table(self) -> str:
        """One line per point: h, F, moment, vorticity, vortices, stability."""
        lines = ["     h = B/Bc2              F         moment  vorticity  vortices  stability"]
        for s, h, m in zip(self.states, self.reduced_fields, self.moments, strict=True):
            lines.append(f"{h:14.6g} {s.free_energy:14.8g} {m:14.6g} "
                         f"{s.vorticity:10d} {s.vortex_count:9d}  {s.stability}")
        return "\n".join(lines)

    def write(self, path_pvd, provenance=None) -> Path:
        """One ``.vtu`` per point and a ``.pvd`` collection (the frame index is the time
        value, since a hysteresis loop revisits fields); all files or none."""
        from ..io.vtk import write_series

        frames = []
        for k, s in enumerate(self.states):
            fd, units = s.field_data()
            frames.append({"point_data": s.point_data(), "field_data": fd, "units": units,
                           "value": float(k)})
        return write_series(path_pvd, self.states[0].domain, frames, provenance=provenance)

    def plot(self, path_png) -> Path:
        """F(h) and moment(h), one line per branch (up solid, down dashed), as a PNG."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from ..io.files import atomic_write, check_writable

        path_png = check_writable(path_png, ".png", "path_png")
        fig = Figure(figsize=(9.6, 4.2), dpi=120)
        FigureCanvasAgg(fig)
        ax_f, ax_m = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        h, F, m, n = self.reduced_fields, self.free_energies, self.moments, self.vorticities
        directions = self.directions
        for run in self.branches():
            style = "-" if directions[run[0]] == "up" else "--"
            label = f"N = {n[run[0]]} ({directions[run[0]]})"
            ax_f.plot(h[run], F[run], style, marker="o", ms=3, label=label)
            ax_m.plot(h[run], m[run], style, marker="o", ms=3, label=label)
        ax_f.set(xlabel="h = B/B_c2", ylabel="F / (B_c² ξ^d / μ₀)", title="free energy")
        ax_m.set(xlabel="h = B/B_c2", ylabel="m (reduced)", title="magnetic moment")
        for ax in (ax_f, ax_m):
            ax.grid(True, alpha=0.3)
        ax_f.legend(fontsize=7)
        fig.tight_layout()
        atomic_write([(path_png, lambda tmp: fig.savefig(tmp, format="png"))])
        return path_png


def gl_sweep(domain: Domain, fields: FieldLike, *, coherence_length, guess: object = "uniform",
             direction: FieldLike | None = None, progress: ProgressLike = None,
             **solve_options) -> GLSweep:
    """Follow GL states through a list of applied fields (natural continuation).

    Parameters
    ----------
    domain : Domain
    fields : sequence of fields in T (or strings, ``"0 mT, 5 mT, 10 mT"``)
        Magnitudes along ``direction`` (default z), in the order to visit — up, then down for a
        hysteresis loop.
    coherence_length : length
        ξ.
    guess : the guess of the first point (default ``"uniform"``: the Meissner state).
    **solve_options :
        Passed to :func:`~mqm_fem.gl.solve.solve_gl` (``penetration_depth``, ``order``, ``bc``,
        ``vortices`` for the first point, ``tol``, ``stability`` ...).

    Returns
    -------
    GLSweep
        The states; at fields visited twice, the state of higher F is marked ``metastable``.
    """
    values = parse_values(fields, "magnetic_field", "fields").ravel()
    if values.size == 0:
        raise ParameterError("fields: give at least one field")
    _check_options(solve_options, guess)
    unit = _direction(domain, direction)
    report = reporter(progress, "gl_sweep")
    t0 = time.perf_counter()
    states: list[GLSolution] = []
    first_vortices = solve_options.pop("vortices", None)
    for k, b in enumerate(values):
        applied = b * unit if domain.dim == 3 else float(b)
        if not states:
            start, extra = guess, {"vortices": first_vortices}
        elif states[-1].stability == "normal":
            start, extra = "linear", {}
        else:
            start, extra = states[-1], {}
        state = solve_gl(domain, applied, coherence_length=coherence_length, guess=start,
                         **extra, **solve_options)
        states.append(state)
        report(f"point {k + 1}/{values.size}: h = {state.reduced_field:.6g}, "
               f"F = {state.free_energy:.8g}, vorticity {state.vorticity}, {state.stability}")
    _mark_metastable(states)
    return GLSweep(states=states, fields=values, direction=unit,
                   info={"time_s": round(time.perf_counter() - t0, 3)})


def _check_options(solve_options: dict, guess) -> None:
    """Unknown keywords and bad guess controls are refused before the first point."""
    import inspect

    from .guess import check_guess_controls

    allowed = set(inspect.signature(solve_gl).parameters) - {"domain", "applied_field", "guess"}
    unknown = sorted(set(solve_options) - allowed)
    if unknown:
        raise ParameterError(f"gl_sweep: unknown option(s) {', '.join(unknown)}; valid: "
                             f"{', '.join(sorted(allowed))}")
    check_guess_controls(guess, solve_options.get("mode", 0), solve_options.get("seed"))


def _direction(domain: Domain, direction) -> np.ndarray:
    if direction is None:
        return np.array([0.0, 0.0, 1.0])
    if domain.dim == 2:
        raise ParameterError("direction: a 2D cross-section takes fields along z only")
    try:
        d = np.asarray(direction, dtype=float).ravel()
    except (TypeError, ValueError):
        d = np.zeros(0)
    if d.shape != (3,) or not np.linalg.norm(d) > 0:
        raise ParameterError(f"direction: expected a nonzero 3-vector, got {direction!r}")
    return d / np.linalg.norm(d)


def _mark_metastable(states: list[GLSolution]) -> None:
    """At equal fields (up and down a loop), states above the lowest F found there become
    ``metastable``; a state at a field visited once keeps its label (``stable``: a local
    minimum below the normal state — the sweep knows no other state at that field)."""
    h = np.array([s.reduced_field for s in states])
    for s in states:
        if s.stability != "stable":
            continue
        same = [t for t, ht in zip(states, h, strict=True)
                if abs(ht - s.reduced_field) <= 1e-12 * max(1.0, ht)]
        if min(t.free_energy for t in same) < s.free_energy - 1e-9 * max(1.0, abs(s.free_energy)):
            s.stability = "metastable"
