"""T–B phase diagrams of a ring (Little–Parks) and of a disk (surface superconductivity), as two
parameter sweeps run in parallel (docs/sweeps.md; the physics in docs/theory.md §2).

Each point of a sweep is one eigen-solve of the gauge-covariant Schrödinger operator at an
applied field B (task kind ``"phase"``): its lowest scaled eigenvalue ε₀(b), b = 2πBL₀²/Φ₀
(L₀ = 1 µm), gives the nucleation temperature

    T_c(B)/T_c0 = 1 − (ξ₀/L₀)² ε₀(b)        (GL: ξ(T) = ξ₀/√(1 − T/T_c0)),

which is the T–B phase boundary: superconducting below the curve. ξ₀ = 250 nm for both samples.

* Ring, radii 0.95 and 1.05 µm (mean R = 1 µm, width w = 0.1 µm), natural boundaries, P2: for
  a thin ring ε₀ ≈ min_n (n − Φ/Φ₀)²/R² + b²w²/12 with Φ = πR²B (the second term, from the
  spread of radii across the width, is the slowly growing envelope) — T_c oscillates with
  period ΔB = Φ₀/(πR²) = 0.658 mT (Little–Parks), with maxima near integer flux and cusps of
  depth (ξ₀/R)²/4 = 0.0156 at half-integer flux.
* Disk, radius R = 1 µm, natural boundary, P2: near T_c0 (small B, ξ(T) ≫ R) the L = 0 state
  gives ε₀ = b²R²/8, the parabola 1 − T_c/T_c0 = (ξ₀/L₀)²b²R²/8; at larger fields
  superconductivity nucleates at the edge, ε₀ < b (at flat surfaces ε₀ = Θ₀b, Θ₀ = 0.5901, and
  the curvature of the edge lowers it further), so the disk's boundary lies above the bulk line
  T_c/T_c0 = 1 − B/B_c2(0), B_c2(0) = Φ₀/(2πξ₀²) = 5.27 mT, and above the flat-surface line
  1 − Θ₀B/B_c2(0) (B_c3 = B_c2/Θ₀), with small cusps where the vorticity L of the nucleus
  changes by one.

Each sweep writes a store (``ring_sweep/``, ``disk_sweep/``: ``results.csv``, one JSON file per
point, ``spec.json``); rerunning the script resumes from them (finished points are skipped).
The two panels go to ``phase_diagram_sweep.png``. Checked by
tests/test_studies_example.py::test_example_phase_diagram_sweep.

Run:  python examples/phase_diagram_sweep.py [output_dir]   (default ./out; about 15 s on 2
cores with the default 2 worker processes)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

import mqm_fem
from mqm_fem.quantum.nucleation import THETA0
from mqm_fem.units import PHI0

XI0 = 0.25  # µm: zero-temperature GL coherence length
L0 = 1e-6  # m: length unit of the meshes (the scale of b and ε₀)
R_IN, R_OUT = 0.95, 1.05  # µm: the ring
R_DISK = 1.0  # µm
RING = {"kind": "annulus", "inner_radius": R_IN, "outer_radius": R_OUT, "h": 0.05}
DISK = {"kind": "disk", "radius": R_DISK, "h": 0.15, "h_surface": 0.06, "surface_layer": 0.3}


def thin_ring_eps0(field):
    """min_n (n − Φ/Φ₀)²/R² + b²w²/12 (L₀ = 1 µm): the thin-ring ε₀ with its O(w²) envelope."""
    radius, width = 0.5 * (R_IN + R_OUT), R_OUT - R_IN
    flux = np.atleast_1d(np.asarray(field, dtype=float)) / ring_period()
    fluxoid = np.round(flux)
    return (fluxoid - flux) ** 2 / radius**2 + b_of(field) ** 2 * width**2 / 12


def ring_period() -> float:
    """Little–Parks period ΔB = Φ₀/(πR²) in T, R the mean radius."""
    radius = 0.5 * (R_IN + R_OUT) * L0
    return PHI0 / (np.pi * radius**2)


def bulk_bc2() -> float:
    """B_c2(T = 0) = Φ₀/(2πξ₀²) in T."""
    return PHI0 / (2 * np.pi * (XI0 * L0) ** 2)


def b_of(field):
    """Scaled field b = 2πBL₀²/Φ₀."""
    return 2 * np.pi * np.asarray(field) * L0**2 / PHI0


def run_sweeps(outdir, *, workers=2, n_ring=240, n_disk=200, progress=False):
    """The two sweeps (ring over 4.5 Little–Parks periods, disk up to 2.1 B_c2(0))."""
    outdir = Path(outdir)
    fields_ring = np.linspace(0.0, 4.5 * ring_period(), n_ring)
    fields_disk = np.linspace(0.0, 2.1 * bulk_bc2(), n_disk)
    fixed = {"xi0": f"{XI0} um", "order": 2}
    ring = mqm_fem.sweep(mqm_fem.Task(kind="phase", geometry=RING, length_unit="um",
                                      fixed=fixed),
                         mqm_fem.product(field=[float(f) for f in fields_ring]),
                         outdir / "ring_sweep", workers=workers, progress=progress)
    disk = mqm_fem.sweep(mqm_fem.Task(kind="phase", geometry=DISK, length_unit="um",
                                      fixed=fixed),
                         mqm_fem.product(field=[float(f) for f in fields_disk]),
                         outdir / "disk_sweep", workers=workers, progress=progress)
    return ring, disk


def _curve(result):
    """(field T, ε₀, T_c/T_c0) of a sweep's finished points, in field order."""
    rows = sorted((r for r in result.table() if r["status"] == "ok"), key=lambda r: r["field"])
    return (np.array([r["field"] for r in rows]), np.array([r["eps0"] for r in rows]),
            np.array([r["tc_ratio"] for r in rows], dtype=float))


def analyse_ring(field, eps0):
    """Little–Parks numbers: positions of the T_c maxima (vertex of a parabola through the 7
    samples around each local minimum of ε₀), the period fitted through them, and the depth of
    the first cusp, against the thin-ring values."""
    period = ring_period()
    tc = 1.0 - XI0**2 * eps0
    maxima = []
    for i in range(3, len(field) - 3):
        if eps0[i] <= eps0[i - 1] and eps0[i] <= eps0[i + 1]:
            window = slice(i - 3, i + 4)
            c = np.polyfit(field[window] / period, eps0[window], 2)
            maxima.append(-c[1] / (2 * c[0]) * period)
    maxima = np.array(maxima)
    n = np.round(maxima / period)
    fitted = float(np.polyfit(n, maxima, 1)[0]) if len(maxima) >= 2 else float("nan")
    flux = field / period  # Φ/Φ₀ through πR²
    first = (flux > 0.3) & (flux < 0.7)
    cusp = float(np.max(1.0 - tc[first])) if np.any(first) else float("nan")
    return {"period": period, "maxima": maxima, "maxima_flux": maxima / period,
            "fitted_period": fitted, "cusp_depth": cusp,
            "cusp_depth_thin_ring": 0.25 * XI0**2 / (0.5 * (R_IN + R_OUT)) ** 2,
            "thin_ring_max_error": float(np.max(np.abs(eps0 - thin_ring_eps0(field))))}


def analyse_disk(field, eps0):
    """Surface superconductivity: ε₀ against the bulk (ε₀ = b), the flat surface (Θ₀b) and,
    at small flux, the L = 0 parabola b²R²/8."""
    b = b_of(field)
    inside = b > 0
    low = (b > 0) & (b * R_DISK**2 <= 1.0)
    return {"b": b, "eps_over_b": np.where(inside, eps0 / np.where(inside, b, 1), np.nan),
            "max_eps_over_b": float(np.max(eps0[inside] / b[inside])),
            "low_field_parabola_error": float(np.max(np.abs(
                eps0[low] / (b[low] ** 2 * R_DISK**2 / 8) - 1))),
            "bc2": bulk_bc2()}


def plot(png, ring, disk):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (fr, _, tr), (fd, _, td) = ring, disk
    period, bc2 = ring_period(), bulk_bc2()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    flux = fr / period
    fine = np.linspace(0, flux.max(), 1000)
    ax1.fill_between(flux, 0, np.nan_to_num(tr), color="C0", alpha=0.15, lw=0)
    ax1.plot(flux, tr, ".", ms=3, color="C0", label=f"FEM sweep, {len(fr)} points")
    ax1.plot(fine, 1 - XI0**2 * thin_ring_eps0(fine * period), "-", color="k", lw=0.8,
             label="thin ring + b²w²/12")
    ax1.set_ylim(1 - 0.03, 1.002)
    ax1.set_xlabel("B / (Φ₀/πR²)   (Φ₀/πR² = %.3f mT)" % (period * 1e3))
    ax1.set_ylabel("T / T_c0")
    ax1.set_title("ring, R = 1 µm, w = 0.1 µm: Little–Parks")
    ax1.text(0.05, 0.08, "superconducting", transform=ax1.transAxes)
    ax1.legend(loc="lower right", fontsize=8)
    x = fd / bc2
    ax2.fill_between(x, 0, np.nan_to_num(np.clip(td, 0, None)), color="C1", alpha=0.15, lw=0)
    ax2.plot(x, td, ".", ms=3, color="C1", label=f"disk R = 1 µm, {len(fd)} points")
    ax2.plot(x, 1 - x, "--", color="k", lw=0.8, label="bulk B_c2(T)")
    ax2.plot(x, 1 - THETA0 * x, ":", color="k", lw=0.8, label="flat surface B_c3 = B_c2/Θ₀")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlim(0, x.max())
    ax2.set_xlabel("B / B_c2(0)   (B_c2(0) = %.2f mT)" % (bc2 * 1e3))
    ax2.set_ylabel("T / T_c0")
    ax2.set_title("disk: surface superconductivity")
    ax2.legend(loc="upper right", fontsize=8)
    fig.suptitle(f"T–B phase diagrams by mqm_fem.sweep (ξ₀ = {XI0 * 1e3:.0f} nm)")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return png


def main(outdir="out", workers=2, n_ring=240, n_disk=200, progress=False):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ring, disk = run_sweeps(outdir, workers=workers, n_ring=n_ring, n_disk=n_disk,
                            progress=progress)
    ring_curve, disk_curve = _curve(ring), _curve(disk)
    lp = analyse_ring(ring_curve[0], ring_curve[1])
    sc = analyse_disk(disk_curve[0], disk_curve[1])
    print(f"ring: {len(ring.records)} points, {len(ring.failed)} failed; Little-Parks period "
          f"{lp['fitted_period'] * 1e3:.4f} mT (Phi0/piR^2 = {lp['period'] * 1e3:.4f} mT); "
          f"Tc maxima at Phi/Phi0 = {np.array2string(lp['maxima_flux'], precision=4)}; first "
          f"cusp depth {lp['cusp_depth']:.5f} (thin ring {lp['cusp_depth_thin_ring']:.5f}); eps0 "
          f"within {lp['thin_ring_max_error']:.4f} of the thin-ring formula")
    print(f"disk: {len(disk.records)} points, {len(disk.failed)} failed; max eps0/b = "
          f"{sc['max_eps_over_b']:.4f} (< 1: above the bulk Bc2 line; flat surface Theta0 = "
          f"{THETA0:.4f}); low-field parabola b^2R^2/8 within {sc['low_field_parabola_error']:.2e}")
    png = plot(outdir / "phase_diagram_sweep.png", ring_curve, disk_curve)
    print(f"wrote {png}, {ring.csv_path}, {disk.csv_path}")
    return {"ring": ring, "disk": disk, "ring_curve": ring_curve, "disk_curve": disk_curve,
            "little_parks": lp, "surface": sc, "png": png}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"),
         progress=True)
