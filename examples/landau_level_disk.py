"""Bulk Landau level in a large Dirichlet disk: ε₀ → b (docs/theory.md §2).

A disk of radius 1 µm with ψ = 0 on its edge in fields b = 20, 40, 60 (b = 2πBL₀²/Φ₀,
L₀ = 1 µm, so B = b·ħ/(qL₀²) ≈ b × 0.33 mT). Once the magnetic length 1/√b is much smaller
than the radius the ground state is the lowest Landau level ψ ∝ exp(−b r²/4) at the gauge centre
and ε₀/b → 1 from above (docs/theory.md §2; validated in tests/test_schrodinger.py).
Writes landau_level_disk.vtu with ψ, |ψ|², phase, J_s for the three lowest modes at b = 60.

Run:  python examples/landau_level_disk.py [output_dir]   (default ./out)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mqm_fem import geometry
from mqm_fem.quantum.schrodinger import solve_schrodinger
from mqm_fem.units import HBAR, Q

RADIUS_UM = 1.0
FIELDS_B = (20.0, 40.0, 60.0)


def main(outdir="out", h=0.07):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = geometry.disk(RADIUS_UM, h=h)
    b_unit = HBAR / (Q * domain.length_unit**2)  # field (T) of b = 1
    ratios = {}
    for b in FIELDS_B:
        sol = solve_schrodinger(domain, b * b_unit, k=3, bc={"outer": "dirichlet"})
        ratios[b] = sol.eigenvalues[0] / b
        print(f"b = {b:5.1f} (B = {b * b_unit * 1e3:.3f} mT): eps0/b = {ratios[b]:.6f}, "
              f"E0 = {sol.energies_eV[0]:.4e} eV, lowest three eps/b = "
              f"{', '.join(f'{e / b:.4f}' for e in sol.eigenvalues)}")
    path = sol.write(outdir / "landau_level_disk.vtu")
    print(f"wrote {path}")
    return {"ratios": ratios, "path": path}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
