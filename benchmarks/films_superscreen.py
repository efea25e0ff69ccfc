r"""Side-by-side benchmark: thin-film London screening, mqm_fem vs SuperScreen.

Problems (docs/theory.md §4; lengths in µm): a film of Pearl length Λ = λ²/d = 0.1 µm
(λ = 50 nm, d = 25 nm) at z = 0,

* ``disk``: radius R = 1 µm in a uniform field B = 1 mT along z; output the moment m_z
  (µA·µm²) against the axisymmetric sheet reference −1189.65 µA·µm² (the ring-current integral
  equation of tests/ring_kernel.py, converged to < 1e-5);
* ``ring``: inner radius 0.5 µm, outer 1 µm, one fluxoid, no field; output the self-inductance
  L (pH) against the sheet reference 2.8799 pH.

Codes, each case and size in its own subprocess (peak RSS = that process's
``ru_maxrss``: interpreter, imports, mesh, matrices, solution):

* mqm_fem: the ``sheet`` formulation (3D vacuum ball with the film embedded,
  lowest-order Nédélec, ``solve_london`` / ``inductance``), meshed by
  :func:`mqm_fem.mesh.films.film_disk` / ``film_ring`` (true circles, graded towards the
  edges, vacuum ball of radius 4 µm, image correction); "film vertices" = vertices on the
  film.
* SuperScreen 0.13 (optional ``bench`` extra): ``Device`` with one ``Layer(Lambda=0.1)``, the
  film as a 2D mesh with ``max_edge_length`` chosen for the vertex count; the disk moment is
  m_z = ∫ g dA (g the stream function, ``vertex_areas`` weights), the ring inductance
  ``device.mutual_inductance_matrix()`` (fluxoid / circulating current).

Usage::

    python benchmarks/films_superscreen.py --quick            # small meshes only (< 2 min)
    python benchmarks/films_superscreen.py --json out.json    # 2k … 16k film vertices
    python benchmarks/films_superscreen.py --codes superscreen --sizes 2000

The table lists, per case, code and film-vertex target: film vertices, unknowns, wall time,
peak RSS and the relative error against the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

#: Reference values (sheet, Λ = 0.1 µm): the disk's moment (µA·µm²) in 1 mT, the ring's L (pH).
REFERENCE = {"disk": -1189.65, "ring": 2.8799}
LAMBDA_PEARL = 0.1  # µm
RADIUS, INNER = 1.0, 0.5  # µm
FIELD_MT = 1.0
SIZES = (2000, 4000, 8000, 16000)
QUICK_SIZES = (1000, 2000)


def _superscreen_device(case: str, edge: float):
    import numpy as np
    import superscreen as sc

    points = max(64, int(2 * np.pi * RADIUS / edge))
    layer = sc.Layer("base", Lambda=LAMBDA_PEARL, z0=0.0)
    film = sc.Polygon("film", layer="base", points=sc.geometry.circle(RADIUS, points=points))
    holes = []
    if case == "ring":
        inner_points = max(32, int(2 * np.pi * INNER / edge))
        holes = [sc.Polygon("hole", layer="base",
                            points=sc.geometry.circle(INNER, points=inner_points))]
    device = sc.Device(case, layers=[layer], films=[film], holes=holes, length_units="um")
    device.make_mesh(max_edge_length=edge, smooth=20)
    return device


def run_superscreen(case: str, target: int) -> dict:
    """One SuperScreen solve with about ``target`` film vertices."""
    import numpy as np
    import superscreen as sc

    area = np.pi * (RADIUS ** 2 - (INNER ** 2 if case == "ring" else 0.0))
    # calibrated: meshpy's max_edge_length with 20 smoothing steps gives ≈ target vertices
    edge = 1.32 * float(np.sqrt(4 * area / (np.sqrt(3) * target)))
    t0 = time.perf_counter()
    device = _superscreen_device(case, edge)
    mesh = device.meshes["film"]
    t1 = time.perf_counter()
    if case == "disk":
        solution = sc.solve(device, applied_field=sc.sources.ConstantField(FIELD_MT),
                            field_units="mT", current_units="uA", progress_bar=False)[-1]
        stream = solution.film_solutions["film"].stream
        value = float(np.sum(stream * mesh.vertex_areas))  # µA·µm²
    else:
        matrix = device.mutual_inductance_matrix(units="pH")
        value = float(np.asarray(getattr(matrix, "magnitude", matrix))[0, 0])
    t2 = time.perf_counter()
    return {"code": "superscreen", "case": case, "target": target,
            "film_vertices": int(mesh.sites.shape[0]), "unknowns": int(mesh.sites.shape[0]),
            "mesh_s": t1 - t0, "solve_s": t2 - t1, "value": value}


def run_mqm(case: str, target: int) -> dict:
    """One mqm_fem sheet solve with about ``target`` film vertices: the meshes of
    tests/test_sheet.py scaled by s (film/edge/grading/far sizes s × 0.1/0.03/0.3/1 µm, ball
    radius 4 µm), s chosen from the target (about 1000 film vertices at s = 1 on the disk)."""
    import numpy as np

    import mqm_fem
    from mqm_fem.mesh.films import film_disk, film_ring

    s = float(np.sqrt(1000.0 / target))
    sizes = {"h": s, "h_sc": 0.1 * s, "h_surface": 0.03 * s, "grading": 0.3 * s,
             "ball_radius": 4.0}
    t0 = time.perf_counter()
    domain = (film_disk(RADIUS, **sizes) if case == "disk"
              else film_ring(INNER, RADIUS, **sizes))
    film_vertices = int(np.unique(domain.mesh.facets[:, domain.boundaries["film"]]).size)
    t1 = time.perf_counter()
    lam = f"{np.sqrt(LAMBDA_PEARL * 0.025):.9g} um"  # λ with Λ = λ²/d at d = 25 nm
    if case == "disk":
        solution = mqm_fem.solve_london(domain, lam, f"0 0 {FIELD_MT} mT", formulation="sheet",
                                        thickness="25 nm")
        value, unknowns = float(solution.moment[2]) * 1e18, solution.ndofs  # A·m² → µA·µm²
    else:
        result = mqm_fem.inductance(domain, lam, holes=["film_hole_0"], formulation="sheet",
                                    thickness="25 nm", split=False)
        value = float(result.matrix[0, 0]) * 1e12
        unknowns = next(iter(result.solutions.values())).ndofs
    t2 = time.perf_counter()
    return {"code": "mqm_fem", "case": case, "target": target, "film_vertices": film_vertices,
            "unknowns": int(unknowns), "mesh_s": t1 - t0, "solve_s": t2 - t1, "value": value}


def _worker(args) -> None:
    runner = {"superscreen": run_superscreen, "mqm_fem": run_mqm}[args.worker]
    row = runner(args.case, args.target)
    row["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["error"] = row["value"] / REFERENCE[args.case] - 1
    print(json.dumps(row))


def _spawn(code: str, case: str, target: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", code, "--case", case, "--target", str(target)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        return {"code": code, "case": case, "target": target,
                "failed": out.stderr.strip().splitlines()[-1:] or ["?"]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(rows) -> str:
    lines = [f"{'case':<5} {'code':<12} {'film vtx':>8} {'unknowns':>9} {'mesh s':>7} "
             f"{'solve s':>8} {'RSS MiB':>8} {'value':>12} {'error':>9}"]
    for r in rows:
        if "failed" in r:
            lines.append(f"{r['case']:<5} {r['code']:<12} failed: {r['failed'][0]}")
            continue
        lines.append(f"{r['case']:<5} {r['code']:<12} {r['film_vertices']:>8d} "
                     f"{r['unknowns']:>9d} {r['mesh_s']:>7.2f} {r['solve_s']:>8.2f} "
                     f"{r['peak_rss_mib']:>8.0f} {r['value']:>12.6g} {r['error']:>+9.2e}")
    return "\n".join(lines)


def main(argv=None) -> list | None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small meshes only")
    p.add_argument("--sizes", nargs="+", type=int, default=None, help="film-vertex targets")
    p.add_argument("--cases", nargs="+", default=["disk", "ring"], choices=["disk", "ring"])
    p.add_argument("--codes", nargs="+", default=["mqm_fem", "superscreen"],
                   choices=["mqm_fem", "superscreen"])
    p.add_argument("--json", default=None, help="write the rows as JSON")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--case", default=None, help=argparse.SUPPRESS)
    p.add_argument("--target", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args)
        return None
    sys.path.insert(0, str(Path(__file__).parent))
    from machine import machine_info

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    rows = []
    for case in args.cases:
        for size in sizes:
            for code in args.codes:
                rows.append(_spawn(code, case, size))
                print(_table(rows[-1:]).splitlines()[-1], flush=True)
    print(_table(rows))
    print(json.dumps(machine_info()))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "machine": machine_info()},
                                              indent=2))
    return rows


if __name__ == "__main__":
    main()
