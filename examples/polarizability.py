"""The magnetic polarizability tensor of a superconducting disk in one call.

docs/theory.md §1a (3D A-formulation); mqm_fem.london.polarizability. London screening is
linear in the applied field: m = α·B_a/μ₀ with a symmetric 3×3 tensor α (m³). A short
cylinder (radius R = 300 nm, thickness 300 nm, λ = 100 nm) in a vacuum ball is uniaxial:
α_xx = α_yy (in-plane field) and α_zz (field along the axis), with |α_zz| > |α_xx| because
a flat body screens a perpendicular field over a larger cross-section.

``polarizability`` assembles the operator once, sets up the linear solver (AMS preconditioner
or LU) once, and solves the three field directions with it; the timings show the set-up paid
once and the three cheaper solves. The tensor, its diagonal error bars and the symmetry check
are printed and written to polarizability.json.

Run:  python examples/polarizability.py [output_dir]     (default ./out). Checked by
tests/test_polarizability.py::test_example_polarizability.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from mqm_fem import geometry, polarizability

RADIUS_UM, THICKNESS_UM = 0.3, 0.3
PENETRATION_DEPTH = "100 nm"


def main(outdir="out"):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = geometry.cylinder_in_box(RADIUS_UM, THICKNESS_UM, 4 * RADIUS_UM, outer="sphere",
                                      h=0.25, h_sc=0.1, h_surface=0.05, surface_layer=0.1,
                                      length_unit="um")
    result = polarizability(domain, PENETRATION_DEPTH, solver="ams-cg")
    print(result.summary())
    alpha = result.tensor
    principal = np.linalg.eigvalsh(0.5 * (alpha + alpha.T))
    print(f"principal values (m³): {principal}")
    print(f"in-plane α_xx = {alpha[0, 0]:.4e}, α_yy = {alpha[1, 1]:.4e}; "
          f"axial α_zz = {alpha[2, 2]:.4e} m³ (ratio α_zz/α_xx = {alpha[2, 2] / alpha[0, 0]:.3f})")
    path = outdir / "polarizability.json"
    path.write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
    print(f"wrote {path}")
    return {"tensor": alpha, "asymmetry": result.asymmetry, "setups": result.solver["setups"],
            "timings": result.timings, "json": path}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
