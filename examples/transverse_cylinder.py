"""A superconducting cylinder in a transverse field: moment per unit length (docs/theory.md §1d).

A cylinder of radius R = 2λ (λ = 100 nm) along z in B₀ = 1 mT at 30° in the xy-plane, inside a
vacuum disk of radius 3R (A_r = 0 on it, leading image error removed by ``far_field="dipole"``).
London: m' = −2πR²H₀ g(R/λ), g(x) = 1 − 2I₁(x)/(x I₀(x)), antiparallel to the field.

Run:  python examples/transverse_cylinder.py [output_dir]   (default ./out; writes
transverse_cylinder.vtu with A, B, J). Checked by
tests/test_london_2d.py::test_example_transverse_cylinder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from scipy.special import i0, i1

from mqm_fem import geometry, solve_london
from mqm_fem.units import MU0

LAMBDA = 100e-9  # m; the mesh unit is λ
RADIUS = 2.0  # λ
FIELD, ANGLE = 1e-3, 30.0  # T, degrees


def main(outdir="out") -> float:
    """Solve, print m' vs London, write a .vtu; return |m' − m'_London|/|m'_London|."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = geometry.circle_in_box(RADIUS, 6 * RADIUS, outer="disk", h=1.0, h_sc=0.12,
                                    length_unit=LAMBDA)
    direction = np.array([np.cos(np.radians(ANGLE)), np.sin(np.radians(ANGLE))])
    solution = solve_london(domain, LAMBDA, FIELD * direction)  # in-plane field: 'in-plane'
    moment = solution.moment[:2]
    g = 1 - 2 * i1(RADIUS) / (RADIUS * i0(RADIUS))
    reference = -2 * np.pi * (RADIUS * LAMBDA) ** 2 * FIELD / MU0 * g * direction
    error = float(np.linalg.norm(moment - reference) / np.linalg.norm(reference))
    print(f"m' = {moment} A·m, London {reference} A·m: relative error {error:.2e}; "
          f"angle {np.degrees(np.arctan2(moment[1], moment[0])):.3f}° (field at {ANGLE}°)")
    try:
        solution.write(outdir / "transverse_cylinder.vtu")
    except ImportError:  # mqm_fem.io not available
        pass
    return error


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
