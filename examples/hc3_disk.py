"""Surface superconductivity: H_c3/H_c2 of disks, extrapolated to the half-plane 1/Θ₀ = 1.6946.

With a natural (superconductor/insulator) boundary superconductivity nucleates at the edge
where ε₀(b) = (L₀/ξ)² (docs/theory.md §2). One eigen-solve at field b gives one point of the
nucleation curve directly: ξ = L₀/√ε₀ and H_c3/H_c2 = b/ε₀ (B_c2 = Φ₀/(2πξ²) is where the
bulk ε₀ = b reaches (L₀/ξ)²), for a disk of radius R/ξ = R√ε₀/L₀.
Units: L₀ = magnetic length (b = 1), radii R = 8, 10, 12 magnetic lengths. For large R,
b/ε₀ = 1/(Θ₀ − C₁/R + O(R⁻²)): fitting ε₀/b in 1/R and extrapolating gives Θ₀.

Numerics (as in tests/test_schrodinger.py::test_theta0_by_extrapolation): the nucleus lives
within a few magnetic lengths of the edge, so the disk is replaced by the annulus R − 6 < r < R
with ψ = 0 on the inner circle (changes ε₀ by ~e^{-18}), in the gauge A − (ħ/q) n∇θ with
n ≈ bR²/2 that removes the fast e^{inθ} phase winding, and ε₀/b is averaged over flux offsets
to remove the angular-momentum oscillation.

Run:  python examples/hc3_disk.py [output_dir]   (default ./out; writes hc3_disk.png)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from mqm_fem import geometry
from mqm_fem.quantum.nucleation import THETA0
from mqm_fem.quantum.schrodinger import solve_schrodinger
from mqm_fem.units import HBAR, Q


def edge_eigenvalue(radius, b, n, b_unit):
    """ε₀ of the natural-BC disk of ``radius`` (magnetic lengths) at field b."""
    domain = geometry.annulus(radius - 6, radius, h=0.8, h_surface=0.3, surface_layer=2.5)

    def vector_potential(x):  # symmetric gauge minus (ħ/q) n ∇θ, x in metres
        r2 = x[0] ** 2 + x[1] ** 2
        return (0.5 * b * b_unit - HBAR / Q * n / r2) * np.stack([-x[1], x[0]])

    sol = solve_schrodinger(domain, vector_potential=vector_potential, k=1,
                            bc={"hole_0_boundary": "dirichlet"})
    return sol.eigenvalues[0]


def main(outdir="out", radii=(8, 10, 12), offsets=(0.0, 1 / 3, 2 / 3)):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    b_unit = HBAR / (Q * 1e-12)  # b = 1 with L0 = 1 µm (the magnetic length)
    rows = []
    for radius in radii:
        n = round(radius**2 / 2 - np.sqrt(THETA0) * radius)
        ratios = [edge_eigenvalue(radius, 1 + 2 * f / radius**2, n, b_unit)
                  / (1 + 2 * f / radius**2) for f in offsets]
        eps_over_b = float(np.mean(ratios))
        r_over_xi = radius * np.sqrt(eps_over_b)
        rows.append((radius, eps_over_b, r_over_xi, 1 / eps_over_b))
        print(f"R = {radius:4.1f} l_B (R/xi = {r_over_xi:.3f}): eps0/b = {eps_over_b:.6f}, "
              f"Hc3/Hc2 = {1 / eps_over_b:.5f}")
    rows = np.array(rows)
    deg = min(2, len(radii) - 1)
    fit = np.polyfit(1 / rows[:, 0], rows[:, 1], deg)
    theta0 = float(fit[-1])
    print(f"extrapolated Theta0 = {theta0:.6f} (exact {THETA0}); Hc3/Hc2 -> {1 / theta0:.5f} "
          f"(exact {1 / THETA0:.5f})")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    x = np.linspace(0, 1 / rows[:, 0].min(), 50)
    ax.plot(1 / rows[:, 0], 1 / rows[:, 1], "o", label="FEM disks")
    ax.plot(x, 1 / np.polyval(fit, x), "-", label="fit in 1/R")
    ax.axhline(1 / THETA0, color="k", ls=":", label="1/Θ₀")
    ax.set_xlabel("l_B / R")
    ax.set_ylabel("H_c3 / H_c2")
    ax.legend()
    fig.tight_layout()
    png = outdir / "hc3_disk.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return {"theta0": theta0, "hc3_over_hc2": 1 / theta0, "rows": rows, "png": png}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
