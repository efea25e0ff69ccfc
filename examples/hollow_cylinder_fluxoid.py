"""A hollow superconducting cylinder with trapped fluxoids n = 0, 1, 2 (docs/theory.md §1c).

Cross-section a < r < b (a = 100 nm, b = 200 nm, λ = 100 nm) in B₀ = 10 mT along z; the hole
(meshed, region ``hole_0``) carries a uniform field b_h fixed by fluxoid quantisation
b_h πa² + λ²∮∂_nB ds = nΦ₀. Reference: B = αI₀(r/λ) + βK₀(r/λ) with B(b) = B₀, B(a) = b_h.

Run:  python examples/hollow_cylinder_fluxoid.py [output_dir]   (default ./out; writes
hollow_cylinder_n0.vtu ... for ParaView). Checked by
tests/test_london_2d.py::test_example_hollow_cylinder_fluxoid.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from scipy.special import i0, i1, k0, k1

from mqm_fem import geometry, solve_london
from mqm_fem.units import PHI0

LAMBDA = 100e-9  # m; the mesh unit is λ
INNER, OUTER = 1.0, 2.0  # radii in units of λ
APPLIED_FIELD = 10e-3  # T


def bessel_hole_field(n: int) -> float:
    """b_h of the London solution (2×2 system for α, β in units of λ)."""
    a, b = INNER, OUTER
    matrix = np.array([[i0(b), k0(b)],
                       [np.pi * a**2 * i0(a) - 2 * np.pi * a * i1(a),
                        np.pi * a**2 * k0(a) + 2 * np.pi * a * k1(a)]])
    alpha, beta = np.linalg.solve(matrix, [APPLIED_FIELD, n * PHI0 / LAMBDA**2])
    return float(alpha * i0(a) + beta * k0(a))


def main(outdir="out") -> list[float]:
    """Solve for n = 0, 1, 2; print b_h vs Bessel; return the relative errors."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = geometry.annulus(INNER, OUTER, h=0.1, length_unit=LAMBDA)
    errors = []
    for n in (0, 1, 2):
        solution = solve_london(domain, LAMBDA, APPLIED_FIELD, fluxoids={"hole_0": n})
        b_h = solution.hole("hole_0").field
        ref = bessel_hole_field(n)
        errors.append(abs(b_h / ref - 1))
        print(f"n = {n}: hole field {b_h * 1e3:9.5f} mT, Bessel {ref * 1e3:9.5f} mT "
              f"(rel. error {b_h / ref - 1:+.2e}), fluxoid read back "
              f"{solution.fluxoid('hole_0'):.10f}, "
              f"m' = {solution.moment[2]:.4e} A·m")
        try:
            solution.write(outdir / f"hollow_cylinder_n{n}.vtu")
        except ImportError:  # mqm_fem.io not available
            pass
    return errors


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
