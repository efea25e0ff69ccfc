r"""Scale benchmark: a square washer SQUID with a slit, 10⁵ film vertices, sheet formulation.

Device (lengths in µm): a square washer of side ``--outer`` (default 20) with a square hole of
side ``--hole`` (default 6) at its centre and a slit of width ``--slit`` (default 1) from the
hole to the outer edge along +x, so the film is simply connected; Λ = λ²/d = 0.1 µm (λ = 50 nm,
d = 25 nm) at z = 0, in a vacuum ball; applied field 1 mT along z. Solved with
``solve_london(..., formulation="sheet")`` (lowest-order Nédélec, AMS-CG above 300k unknowns).

Reports film vertices, tetrahedra, unknowns, the wall time of meshing, solving (assembly +
solver) and in total, the magnetic moment, and the peak RSS of the process
(``ru_maxrss``: gmsh meshing in-process, the mesh, the matrices, the AMS hierarchy, the fields).
The issue-11 target: 10⁵ film vertices in under 4 GB and 5 minutes on this machine.

Usage::

    python benchmarks/film_washer.py                     # h_film 0.065 µm: ≈ 10⁵ film vertices
    python benchmarks/film_washer.py --h-film 0.2        # small (≈ 1.3·10⁴ film vertices)
    python benchmarks/film_washer.py --algorithm delaunay  # gmsh's default 3D mesher

Meshing uses gmsh's HXT mesher (``Device.mesh(algorithm="hxt")``) with h_far = 8 µm and
grading 0.5: the default Delaunay mesher takes ~14× longer on these sizes.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np


def washer(outer: float, hole: float, slit: float) -> list:
    """The washer's outline with the slit cut in: one simple polygon (counter-clockwise)."""
    a, b, s = outer / 2, hole / 2, slit / 2
    return [(-a, -a), (a, -a), (a, -s), (b, -s), (b, -b), (-b, -b), (-b, b), (b, b), (b, s),
            (a, s), (a, a), (-a, a)]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--outer", type=float, default=20.0)
    p.add_argument("--hole", type=float, default=6.0)
    p.add_argument("--slit", type=float, default=1.0)
    p.add_argument("--h-film", type=float, default=0.065)
    p.add_argument("--grading", type=float, default=0.5)
    p.add_argument("--h-far", type=float, default=8.0)
    p.add_argument("--algorithm", default="hxt", choices=["hxt", "delaunay"],
                   help="gmsh 3D mesher (Device.mesh's algorithm)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from machine import machine_info

    import mqm_fem
    from mqm_fem.mesh.films import Device, FilmShape, Layer

    t0 = time.perf_counter()
    device = Device(layers=[Layer("base", z=0.0, penetration_depth="50 nm",
                                  thickness="25 nm")],
                    films=[FilmShape("film_washer", "base",
                                     washer(args.outer, args.hole, args.slit))])
    domain = device.mesh(h_film=args.h_film, h_edge=args.h_film / 3, grading=args.grading,
                         h_far=args.h_far, algorithm=args.algorithm,
                         progress=lambda m: print(m, flush=True))
    film_vertices = int(np.unique(domain.mesh.facets[:, domain.boundaries["film_washer"]]).size)
    t1 = time.perf_counter()
    print(f"meshed: {film_vertices} film vertices, {domain.mesh.nelements} tetrahedra, "
          f"{t1 - t0:.1f} s", flush=True)
    solution = mqm_fem.solve_london(domain, device.penetration_depth(), "0 0 1 mT",
                                    formulation="sheet", **device.options(),
                                    progress=lambda m: print(m, flush=True))
    t2 = time.perf_counter()
    row = {"film_vertices": film_vertices, "tetrahedra": int(domain.mesh.nelements),
           "unknowns": int(solution.ndofs), "mesh_s": t1 - t0, "solve_s": t2 - t1,
           "total_s": t2 - t0, "moment_Am2": float(solution.moment[2]),
           "solver": {k: v for k, v in solution.solver.items() if np.isscalar(v)},
           "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2}
    print(json.dumps(row, indent=1))
    print(json.dumps(machine_info()))
    if args.json:
        Path(args.json).write_text(json.dumps({"row": row, "machine": machine_info()},
                                              indent=2))
    return row


if __name__ == "__main__":
    main()
