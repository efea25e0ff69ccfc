"""A superconducting sphere in a uniform field: magnetic moment vs London's result.

docs/theory.md §1a (3D A-formulation). A sphere of radius R = 3λ (λ = 100 nm) sits in a vacuum
ball of radius 1.5R (``geometry.sphere_in_box(..., outer="sphere")``, elements of 0.4λ within λ
of the surface); the applied field is 1 mT along z. The outer wall (n×A_r = 0) adds a
uniform image field, removed with ``far_field="image"``. The analytic moment is
m = −2πR³H₀ f(R/λ), f(x) = 1 − 3coth(x)/x + 3/x².

Run:  python examples/sphere_moment.py [output_dir]     (default ./out; writes sphere_moment.vtu
with A, B, J for ParaView). Checked by tests/test_london_3d.py::test_example_sphere_moment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from mqm_fem import geometry, solve_london
from mqm_fem.units import MU0, parse_length

RADIUS = "300 nm"
PENETRATION_DEPTH = "100 nm"
APPLIED_FIELD = "0 0 1 mT"


def main(outdir="out"):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    radius = parse_length(RADIUS)
    lam = parse_length(PENETRATION_DEPTH)
    um = 1e6  # geometry in micrometres
    domain = geometry.sphere_in_box(radius * um, 3 * radius * um, outer="sphere",
                                    h=0.4 * radius * um, h_sc=lam * um,
                                    h_surface=0.4 * lam * um, surface_layer=lam * um,
                                    length_unit="um")
    solution = solve_london(domain, PENETRATION_DEPTH, APPLIED_FIELD, formulation="A",
                            far_field="image")
    b_a = solution.applied_field
    x = radius / lam
    f = 1 - 3 / (np.tanh(x) * x) + 3 / x**2
    analytic = -2 * np.pi * radius**3 * b_a / MU0 * f
    moment = solution.magnetic_moment
    error = float(moment[2] / analytic[2] - 1)
    vtu = solution.write(outdir / "sphere_moment.vtu")
    print(solution.summary())
    m_box = solution.field_data["magnetic_moment_box"]
    print(f"R/λ = {x:g}: m_z = {moment[2]:.5e} A·m², analytic {analytic[2]:.5e} A·m² "
          f"(relative error {error:+.2%}); box moment {m_box[2]:.5e} A·m²")
    print(f"G = {solution.energies.gibbs:.5e} J, "
          f"−½ m_box·B_a = {-0.5 * m_box @ b_a:.5e} J")
    print(f"wrote {vtu}")
    return {"magnetic_moment": moment, "analytic": analytic, "relative_error": error,
            "vtu": vtu}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
