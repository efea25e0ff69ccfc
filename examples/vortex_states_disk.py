"""Vortex states of a mesoscopic disk: phase winding of the nucleating state (docs/theory.md §2).

Disk of radius 1 µm, natural boundary, fields b = 2, 8, 15, 25 (L₀ = 1 µm, B = b·ħ/(qL₀²)).
The lowest eigenstate ψ ~ f(r)e^{iLθ} carries a (giant) vortex of winding L at the centre that
grows with the field; the winding around the edge equals the sum of the vortex windings found
inside (zeros of ψ with a phase winding). Writes vortex_states_disk_b<b>.vtu per field.

Run:  python examples/vortex_states_disk.py [output_dir]   (default ./out)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mqm_fem import geometry
from mqm_fem.quantum.schrodinger import solve_schrodinger
from mqm_fem.units import HBAR, Q


def main(outdir="out", fields_b=(2.0, 8.0, 15.0, 25.0), h=0.08):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = geometry.disk(1.0, h=h)
    b_unit = HBAR / (Q * domain.length_unit**2)
    states = []
    for b in fields_b:
        sol = solve_schrodinger(domain, b * b_unit, k=2)
        edge = sol.boundary_windings(0)["outer"]
        vortices = sol.vortices(0)
        states.append({"b": b, "eps0": float(sol.eigenvalues[0]), "edge_winding": edge,
                       "vortices": vortices})
        cores = ", ".join(f"L={v['winding']} at ({v['position'][0] * 1e6:+.2f}, "
                          f"{v['position'][1] * 1e6:+.2f}) um" for v in vortices) or "none"
        print(f"b = {b:5.1f}: eps0 = {sol.eigenvalues[0]:.4f}, winding around the edge {edge}, "
              f"vortices: {cores}")
        sol.write(outdir / f"vortex_states_disk_b{b:g}.vtu")
    return states


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
