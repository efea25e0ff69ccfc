"""A superconducting slab in a parallel field: London's cosh profile (docs/theory.md §1c).

A slab of thickness d = 4λ (λ = 100 nm) in B₀ = 1 mT along z, modelled as the 2D out-of-plane
problem on a rectangle |x| < d/2 (long in y): B_z = B₀ on the x-faces, natural (no current
through) on the y-faces, P2 elements. London: B = B₀cosh(x/λ)/cosh(d/2λ).

Run:  python examples/slab_profile.py [output_dir]     (default ./out; writes slab_profile.png
comparing B(x)/B₀ with the analytic profile). Checked by
tests/test_london_2d.py::test_example_slab_profile.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from skfem import MeshTri

from mqm_fem import solve_london
from mqm_fem.mesh import domain_from_skfem

PENETRATION_DEPTH = "100 nm"
THICKNESS = 4.0  # in units of λ (the mesh unit is 100 nm = λ)
APPLIED_FIELD = "1 mT"


def slab_domain(thickness, n_across=16):
    """Rectangle |x| < thickness/2, 0 < y < 1 in units of 100 nm, boundaries xmin/xmax."""
    mesh = MeshTri.init_tensor(np.linspace(-thickness / 2, thickness / 2, n_across + 1),
                               np.linspace(0.0, 1.0, 5))
    faces = {"xmin": mesh.facets_satisfying(lambda x: np.isclose(x[0], -thickness / 2)),
             "xmax": mesh.facets_satisfying(lambda x: np.isclose(x[0], thickness / 2))}
    return domain_from_skfem(mesh, "100 nm", {"superconductor": np.arange(mesh.nelements)},
                             faces)


def main(outdir="out") -> float:
    """Solve, plot, and return max |B_h − B|/B₀ over the mesh vertices."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = slab_domain(THICKNESS)
    solution = solve_london(domain, PENETRATION_DEPTH, APPLIED_FIELD,
                            formulation="out-of-plane", dirichlet_boundaries=["xmin", "xmax"])
    b0 = solution.applied_field[2]
    x = domain.mesh.p[0]
    profile = solution.point_data["B"][:, 2] / b0
    exact = np.cosh(x) / np.cosh(THICKNESS / 2)
    max_error = float(np.max(np.abs(profile - exact)))
    mean_ref = 2 / THICKNESS * np.tanh(THICKNESS / 2)
    print(f"slab d = {THICKNESS:g} λ, P2: max |B/B0 - cosh(x)/cosh(d/2)| = {max_error:.3e}; "
          f"<B>/B0 = {solution.mean_field[2] / b0:.8f} (London {mean_ref:.8f})")

    fine = np.linspace(-THICKNESS / 2, THICKNESS / 2, 400)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(fine, np.cosh(fine) / np.cosh(THICKNESS / 2), "k-", label="London, cosh(x)/cosh(d/2)")
    order = np.argsort(x)
    ax.plot(x[order], profile[order], "o", ms=3, label="FEM (P2), vertex values")
    ax.set_xlabel("x / λ")
    ax.set_ylabel("B_z / B₀")
    ax.set_title(f"slab d = {THICKNESS:g}λ, max error {max_error:.1e}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(outdir / "slab_profile.png", dpi=120)
    plt.close(fig)
    return max_error


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
