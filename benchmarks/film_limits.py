r"""Accuracy of the 3D film formulations in their limits (issue 11), one case per process.

Cases (disk R = 1 µm in B = 1 mT along z; ring a = 0.5 µm, b = 1 µm with one fluxoid; all in a
vacuum ball):

``ideal-disk``
    Sheet formulation at Λ = 1e-4 µm (Λ → 0) against the Meissner disk
    m_z = −(8/3)(B/μ₀)R³. The sheet current ∝ s^−1/2 at the rim (s: distance from it) is
    resolved by the edge size ``--h-edge`` and the growth ``--grading``.
``ideal-ring``
    Sheet formulation at Λ = 1e-4 µm: the geometric inductance L = Φ₀/I against the
    axisymmetric ring-kernel integral equation (tests/ring_kernel.py) at the same Λ and at Λ = 0.
``solid``
    A solid disk of thickness ``--thickness`` d at fixed Λ = λ²/d = 0.1 µm (λ = √(Λd)),
    A-formulation (``geometry.film_in_box``, ``--layers`` elements across d), against the
    (r, z) solver at the same d and the sheet value at the same Λ: as d → 0 the solid film tends
    to the sheet linearly in d.

Each run prints one JSON row (unknowns, value, reference, relative error, wall time of meshing
and solving, peak RSS) and appends it to ``--json``. Usage::

    python benchmarks/film_limits.py ideal-disk --h-film 0.05 --h-edge 0.002 --grading 0.1
    python benchmarks/film_limits.py ideal-ring --h-film 0.05 --h-edge 0.002 --grading 0.1
    python benchmarks/film_limits.py solid --thickness 0.05 --h-edge 0.006 --grading 0.2
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PEARL_IDEAL = 1e-10  # m: Λ → 0 (1e-4 of the radius)
PEARL_SOLID = 1e-7  # m: the film, λ = 50 nm, d = 25 nm
B_A = 1e-3  # T


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _device(hole: bool, pearl_um: float):
    from mqm_fem.mesh.films import Circle, Device, FilmShape, Layer

    holes = (Circle(0.5),) if hole else ()
    return Device(layers=[Layer("a", pearl_length=f"{pearl_um} um")],
                  films=[FilmShape("film", "a", Circle(1.0), holes)])


def _mesh_device(device, args):
    return device.mesh(h_film=args.h_film, h_edge=args.h_edge, grading=args.grading,
                       h_far=1.0, ball_radius=4.0, algorithm=args.algorithm)


def ideal_disk(args) -> dict:
    """Sheet disk at Λ → 0 against −(8/3)(B/μ₀)R³."""
    import mqm_fem
    from mqm_fem.units import MU0

    device = _device(False, PEARL_IDEAL * 1e6)
    t0 = time.perf_counter()
    domain = _mesh_device(device, args)
    t1 = time.perf_counter()
    sol = mqm_fem.solve_london(domain, device.penetration_depth(), f"0 0 {B_A} T",
                               formulation="sheet", **device.options())
    reference = -(8 / 3) * (B_A / MU0) * 1e-18
    return {"value": float(sol.moment[2]), "reference": reference, "unknowns": int(sol.ndofs),
            "tetrahedra": int(domain.mesh.nelements), "mesh_s": t1 - t0,
            "solve_s": time.perf_counter() - t1, "quantity": "m_z (A m^2)"}


def ideal_ring(args) -> dict:
    """Sheet ring at Λ → 0: the geometric inductance against the ring kernel."""
    from ring_kernel import ring_inductance

    import mqm_fem

    device = _device(True, PEARL_IDEAL * 1e6)
    t0 = time.perf_counter()
    domain = _mesh_device(device, args)
    t1 = time.perf_counter()
    result = mqm_fem.inductance(domain, device.penetration_depth(), formulation="sheet",
                                split=False, **device.options())
    value = float(result.matrix[0, 0])
    unknowns = int(next(iter(result.solutions.values())).ndofs)
    return {"value": value, "reference": ring_inductance(0.5e-6, 1e-6, PEARL_IDEAL),
            "reference_pearl_0": ring_inductance(0.5e-6, 1e-6, 0.0), "unknowns": unknowns,
            "tetrahedra": int(domain.mesh.nelements), "mesh_s": t1 - t0,
            "solve_s": time.perf_counter() - t1, "quantity": "L (H)"}


def solid(args) -> dict:
    """3D solid disk of thickness d at Λ = 0.1 µm against the (r, z) solid and the sheet."""
    from ring_kernel import disk_moment

    import mqm_fem
    from mqm_fem.mesh import geometry
    from mqm_fem.mesh.meridian import meridian

    d = args.thickness
    lam = f"{np.sqrt(PEARL_SOLID * 1e6 * d)} um"
    section = meridian(bodies=[("rectangle", "sc", 0, 1, -d / 2, d / 2)], radius=10, h=1,
                       h_body=d / 4, h_edge=d / 16, grading=0.3)
    meridional = mqm_fem.solve_london(section, lam, f"0 0 {B_A} T",
                                      formulation="axisymmetric").moment[2]
    t0 = time.perf_counter()
    domain = geometry.film_in_box(1.0, d, 8.0, outer="sphere", h=0.5, h_sc=d / args.layers,
                                  h_edge=args.h_edge, grading=args.grading)
    t1 = time.perf_counter()
    sol = mqm_fem.solve_london(domain, lam, f"0 0 {B_A} T", far_field="image")
    sheet = disk_moment(1e-6, PEARL_SOLID, B_A)
    return {"value": float(sol.moment[2]), "reference": float(meridional), "sheet": sheet,
            "reference_vs_sheet": float(meridional / sheet - 1),
            "value_vs_sheet": float(sol.moment[2] / sheet - 1), "unknowns": int(sol.ndofs),
            "tetrahedra": int(domain.mesh.nelements), "mesh_s": t1 - t0,
            "solve_s": time.perf_counter() - t1, "quantity": "m_z (A m^2)"}


CASES = {"ideal-disk": ideal_disk, "ideal-ring": ideal_ring, "solid": solid}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", choices=sorted(CASES))
    p.add_argument("--h-film", type=float, default=0.05, help="film element size (µm)")
    p.add_argument("--h-edge", type=float, default=0.002, help="size at the film edges (µm)")
    p.add_argument("--grading", type=float, default=0.1, help="size growth per unit distance")
    p.add_argument("--algorithm", default="hxt", choices=["hxt", "delaunay"])
    p.add_argument("--thickness", type=float, default=0.025, help="solid case: d (µm)")
    p.add_argument("--layers", type=int, default=2, help="solid case: elements across d")
    p.add_argument("--json", default=None, help="append the row to this JSON list")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "tests"))
    import warnings

    from machine import machine_info

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resolution warnings: the point is to measure
        row = CASES[args.case](args)
    row.update(case=args.case, error=row["value"] / row["reference"] - 1,
               peak_rss_gib=_peak_gib(),
               parameters={k: v for k, v in vars(args).items() if k not in ("case", "json")})
    print(json.dumps(row))
    if args.json:
        path = Path(args.json)
        rows = json.loads(path.read_text())["rows"] if path.exists() else []
        path.write_text(json.dumps({"rows": rows + [row], "machine": machine_info()},
                                   indent=1))
    return row


if __name__ == "__main__":
    main()
