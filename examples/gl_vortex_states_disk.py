"""Vortex states of a mesoscopic disk from the nonlinear Ginzburg–Landau equation
(docs/theory.md §5).

What: a disk of radius R = 1 µm = 10ξ (ξ = 100 nm, κ = 4) in B = 7 mT (h = B/B_c2 ≈ 0.213,
B_c2 = Φ₀/(2πξ²) = 32.9 mT), frozen applied field (the thin-disk / large-κ limit). Newton
descent of F[ψ] = ∫|(∇ − iA)ψ|² − |ψ|² + ½|ψ|⁴ dx from different initial guesses ends in
different stationary states: the vortex-free Meissner state (guess ψ = 1), states with N vortices
(guess ψ = 1 times N vortex cores on a ring of radius 0.5–0.6R, with one more in the centre for
N = 6, 7: the shell structure of vortices in mesoscopic disks), and what
smooth random guesses fall into. Each state is classified by the Hessian of F: stable or
metastable (a local minimum) or saddle.

Why: in a mesoscopic disk many vortex states coexist at one field; which one is reached depends
on the history (here: the guess). Their free energies F (reduced, B_c²ξ²/μ₀ per unit length, and
in J/m), vortex counts and stability are what a field sweep or a measurement picks among. At
this field the Meissner state is a saddle (vortices enter), and the lowest state found holds
several vortices; its vortex count equals the phase winding around the edge (the vorticity).

Writes gl_vortex_states_disk.vtu (the lowest-F state: ψ, |ψ|², phase, current) and
gl_vortex_states_disk.png (|ψ|² of that state).

Run:  python examples/gl_vortex_states_disk.py [output_dir]   (default ./out; about a minute)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from mqm_fem import geometry
from mqm_fem.errors import SolverError
from mqm_fem.gl import solve_gl
from mqm_fem.io.plotting import plot_field
from mqm_fem.units import PHI0, parse_field, parse_length

RADIUS_UM = 1.0
XI = "100 nm"
KAPPA = 4.0
FIELD = "7 mT"


#: Initial vortex patterns: N -> (ring radius / R, one vortex in the centre). Near the
#: equilibrium shells (one ring for few vortices, a centre vortex inside a ring for more), so that
#: Newton converges in a few steps; far from them the vortices drift slowly.
SHELLS = {1: (0.0, False), 2: (0.6, False), 3: (0.5, False), 4: (0.5, False),
          5: (0.5, False), 6: (0.6, True), 7: (0.6, True), 8: (0.6, False)}


def vortex_guess(n: int, radius_m: float) -> list:
    """N unit vortices ((x, y) in m, winding 1) on the pattern of :data:`SHELLS` (default: a
    ring at 0.5R) in a disk of radius ``radius_m``."""
    fraction, centre = SHELLS.get(n, (0.5, False))
    ring = n - 1 if centre else n
    angles = 2 * np.pi * np.arange(ring) / max(ring, 1)
    cores = [((fraction * radius_m * np.cos(a), fraction * radius_m * np.sin(a)), 1)
             for a in angles]
    return cores + ([((0.0, 0.0), 1)] if centre else [])


def main(outdir="out", windings=range(1, 9), seeds=(0,), h=0.05, max_iterations=25):
    """Solve from the Meissner guess, the vortex guesses with N in ``windings`` and random
    guesses with ``seeds`` on a P2 mesh of element size ``h`` (µm); print the table and write
    the lowest state. Returns a list of dicts (guess, F, F_si, vortex_count, vorticity,
    stability, converged) and the key ``lowest`` (index of the lowest-F converged state)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    domain = geometry.disk(RADIUS_UM, h=h)
    radius = RADIUS_UM * domain.length_unit
    guesses = [("Meissner (uniform)", {"guess": "uniform"})]
    guesses += [(f"N = {n} vortex guess", {"vortices": vortex_guess(n, radius)})
                for n in windings]
    guesses += [(f"random, seed {s}", {"guess": "random", "seed": s}) for s in seeds]
    xi = parse_length(XI)
    h_reduced = abs(parse_field(FIELD)[0]) / (PHI0 / (2 * np.pi * xi**2))
    print(f"disk R = {RADIUS_UM} um = {radius / xi:.3g} xi, kappa = {KAPPA:g}, B = {FIELD} "
          f"(h = B/B_c2 = {h_reduced:.4f}), P2, {domain.mesh.nelements} triangles")
    print(f"{'guess':>22} {'F (B_c^2 xi^2/mu0)':>19} {'F (J/m)':>12} {'vortices':>8} "
          f"{'vorticity':>9}  stability")
    rows, states = [], []
    for label, kwargs in guesses:
        try:
            sol = solve_gl(domain, FIELD, coherence_length=XI, kappa=KAPPA, tol=1e-5,
                           max_iterations=max_iterations, escape_saddles=False, **kwargs)
        except SolverError as exc:  # a guess far from any state: Newton gives up
            rows.append({"guess": label, "converged": False, "error": str(exc)})
            states.append(None)
            print(f"{label:>22}   (no state within {max_iterations} Newton steps)")
            continue
        rows.append({"guess": label, "converged": True, "F": sol.free_energy,
                     "F_si": sol.free_energy_si, "vortex_count": sol.vortex_count,
                     "vorticity": sol.vorticity, "stability": sol.stability,
                     "newton": len(sol.newton) - 1})
        states.append(sol)
        print(f"{label:>22} {sol.free_energy:19.6f} {sol.free_energy_si:12.5g} "
              f"{sol.vortex_count:8d} {sol.vorticity:9d}  {sol.stability}", flush=True)
    lowest = min((k for k, s in enumerate(states) if s is not None),
                 key=lambda k: states[k].free_energy)
    best = states[lowest]
    print(f"lowest F: {rows[lowest]['guess']} -> {best.vortex_count} vortices at")
    for v in best.vortices():
        x, y = (c * 1e6 for c in v["position"][:2])
        print(f"    ({x:+.3f}, {y:+.3f}) um, winding {v['winding']:+d}, r = "
              f"{np.hypot(x, y):.3f} um")
    vtu = best.write(outdir / "gl_vortex_states_disk.vtu")
    png = plot_field(vtu, "density", outdir / "gl_vortex_states_disk.png",
                     title=f"|psi|^2, {best.vortex_count} vortices, h = {best.reduced_field:.3f}",
                     backend="matplotlib")  # a 2D map; no off-screen OpenGL needed
    print(f"wrote {vtu} and {png} ({time.perf_counter() - t0:.1f} s)")
    return {"states": rows, "lowest": lowest, "vtu": vtu, "png": png}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
