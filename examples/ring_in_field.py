"""A superconducting ring (torus) in an axial field: screening currents, moment, hole flux.

docs/theory.md §1a (3D A-formulation, London gauge). The torus (major radius 1 µm, minor radius
0.25 µm, λ = 100 nm) sits in a 4 µm vacuum box; 1 mT is applied along its axis.
Solving for A with ∇θ = 0 everywhere gives the zero-fluxoid (zero-field-cooled) state: the
ring screens its hole, so the flux through a circle inside the hole is a small fraction of
B_a·area, and the moment is diamagnetic. The mesh is ``meshes/ring_in_box.msh`` (physical
groups superconductor / vacuum / outer / surface, µm), or the same geometry generated with
``geometry.torus_in_box`` when the file is missing. The box (n×A_r = 0 on its faces) is about
4 ring radii wide, so the moment carries a box error of a few per cent (see avector.py).

Run:  python examples/ring_in_field.py [output_dir]    (default ./out; writes ring_in_field.vtu
with A, B, J). Checked by tests/test_london_3d.py::test_example_ring_in_field.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from mqm_fem import geometry, solve_london
from mqm_fem.london.avector import evaluate_fields
from mqm_fem.mesh import load_mesh

MAJOR_RADIUS_UM = 1.0  # as in meshes/ring_in_box.msh (meshes/generate.py)
MINOR_RADIUS_UM = 0.25
BOX_SIZE_UM = 4.0
PENETRATION_DEPTH = "100 nm"
APPLIED_FIELD = "0 0 1 mT"


def load_ring():
    """The shipped ``meshes/ring_in_box.msh`` or the same geometry from geometry.torus_in_box."""
    shipped = Path(__file__).resolve().parents[1] / "meshes" / "ring_in_box.msh"
    if shipped.exists():
        return load_mesh(shipped, length_unit="um")
    return geometry.torus_in_box(MAJOR_RADIUS_UM, MINOR_RADIUS_UM, BOX_SIZE_UM, h=0.5, h_sc=0.1,
                                 length_unit="um")


def hole_flux(solution, radius_m, n=400):
    """Φ = ∮ A·dl around a circle of radius ``radius_m`` in the plane z = 0 (Wb)."""
    phi = np.linspace(0, 2 * np.pi, n, endpoint=False)
    points = np.stack([radius_m * np.cos(phi), radius_m * np.sin(phi), 0 * phi])
    a, _ = evaluate_fields(solution, points)
    tangent = np.stack([-np.sin(phi), np.cos(phi), 0 * phi])
    return float(np.sum(a * tangent) * radius_m * 2 * np.pi / n)


def main(outdir="out"):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    domain = load_ring()
    solution = solve_london(domain, PENETRATION_DEPTH, APPLIED_FIELD, formulation="A")
    b_a = solution.applied_field
    moment = solution.magnetic_moment
    radius = 0.5 * (MAJOR_RADIUS_UM - MINOR_RADIUS_UM) * 1e-6
    flux = hole_flux(solution, radius)
    fraction = flux / (b_a[2] * np.pi * radius**2)
    vtu = solution.write(outdir / "ring_in_field.vtu")
    print(solution.summary())
    image = "image_field" in solution.field_data  # far_field="auto": only for a spherical wall
    print(f"moment m = {np.array2string(moment, precision=4)} A·m² "
          f"({'image-corrected' if image else 'moment of the box, no image correction'})")
    print(f"flux through the hole (circle r = {radius * 1e6:.2f} µm): {flux:.4e} Wb = "
          f"{fraction:.3f} × B_a·πr²")
    print(f"wrote {vtu}")
    return {"magnetic_moment": moment, "applied_field": b_a, "hole_flux": flux,
            "hole_flux_fraction": fraction, "vtu": vtu}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MQM_FEM_OUT", "out"))
