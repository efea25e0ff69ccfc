"""Sweep scaling: the same sweep in 1 and 2 local worker processes, and the time saved by reusing
the mesh across the points of one process (docs/sweeps.md).

The sweep: the T–B phase boundary of a superconducting disk (radius 1 µm, natural boundary,
ξ₀ = 250 nm), task kind ``"phase"`` — one P2 eigen-solve of the gauge-covariant Schrödinger
operator per applied field (docs/theory.md §2) — at ``--points`` fields from 0 to 2 B_c2(0),
the mesh rebuilt from its geometry (``mqm_fem.geometry.disk``, gmsh) as a sweep would.

After a warm-up (2 points in this process: imports and first calls, so the timed runs and the
workers forked from this process start warm), four runs of the same points, each into a fresh
store and each starting with an empty mesh
cache (also in the driver: forked workers would otherwise inherit its meshes):

* ``1 worker``  — ``workers=1``: in this process, one point after the other;
* ``2 workers`` — ``workers=2``: two local processes (``concurrent.futures``);
* the same two with ``rebuild``: the per-process mesh cache is emptied before every point, so
  every point builds its mesh again (what a sweep without reuse would cost).

Columns: wall = seconds of the whole ``mqm_fem.sweep`` call (pool start-up, store writes and
table included), the fastest of ``--repeat`` interleaved runs (the machine may be shared);
CPU = user + system seconds of this process and its workers during that run; solve = sum of
the per-point seconds the workers measured; speed-up = wall of ``1 worker`` / wall of the row;
reuse saves = wall(rebuild) − wall(cache) at the same number of workers (speed-up is against
the 1-worker run of the same mode). All runs must give
the same ε₀ at every point (to round-off: 1e-9 relative).
BLAS/OpenMP threads are set to 1 before numpy loads (inherited by the workers), so one point
uses one core. Peak RSS: this (driver) process and the largest worker process
(``getrusage``, RUSAGE_SELF / RUSAGE_CHILDREN).

Usage::

    python benchmarks/sweep_scaling.py                 # 48 points, 2 x 4 runs, ≈ 2.5 min
    python benchmarks/sweep_scaling.py --points 96 --json out.json
    python benchmarks/sweep_scaling.py --quick         # 8 small points: correctness only
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy: one core per point, in every worker

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import mqm_fem  # noqa: E402
from mqm_fem.studies import task as _task_module  # noqa: E402
from mqm_fem.units import PHI0  # noqa: E402

XI0 = 250e-9  # m
GEOMETRY = {"kind": "disk", "radius": 1.0, "h": 0.08, "h_surface": 0.03, "surface_layer": 0.3}
QUICK_GEOMETRY = {"kind": "disk", "radius": 1.0, "h": 0.2}


def _clear_mesh_cache() -> None:
    """Empty this process's mesh cache (``mqm_fem.studies.task``: one lru_cache of Domains)."""
    _task_module._cached_domain.cache_clear()


def rebuild_each_point(task, parameters):
    """The sweep's own point function, but every point builds its mesh again (no reuse).
    Module level, so it pickles into the worker processes."""
    _clear_mesh_cache()
    return _task_module.evaluate(task, parameters)


#: configuration name -> the function of (task) that a run sweeps (None: the task itself)
MODES = {"cache": None, "rebuild": rebuild_each_point}


def _rss_mib(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB -> MiB (Linux)


def run(points: int, workers: int, mode: str, directory: Path, quick: bool) -> dict:
    from functools import partial

    bc2 = PHI0 / (2 * np.pi * XI0**2)
    task = mqm_fem.Task(kind="phase", geometry=QUICK_GEOMETRY if quick else GEOMETRY,
                        length_unit="um", fixed={"xi0": XI0, "order": 1 if quick else 2})
    grid = mqm_fem.product(field=[float(f) for f in np.linspace(0, 2 * bc2, points)])
    func = task if MODES[mode] is None else partial(MODES[mode], task)
    _clear_mesh_cache()
    before = os.times()
    start = time.perf_counter()
    result = mqm_fem.sweep(func, grid, directory, workers=workers, progress=False)
    wall = time.perf_counter() - start
    after = os.times()  # children: the pool's workers, reaped when the sweep ends
    cpu = sum(after[i] - before[i] for i in range(4))
    return {"workers": workers, "mode": mode, "reuse": mode != "rebuild",
            "points": len(result.records),
            "failed": len(result.failed), "wall_s": wall, "cpu_s": cpu,
            "solve_s": float(sum(r["seconds"] for r in result.records)),
            "eps0": [r["outputs"].get("eps0") for r in result.records],
            "report_ok": result.report.ok, "report": str(result.report),
            "processes": len({r["worker"] for r in result.records})}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=None,
                        help="grid points (default 48; --quick 8)")
    parser.add_argument("--quick", action="store_true",
                        help="8 points on a coarse P1 mesh: checks, no meaningful timing")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each configuration, interleaved; the fastest is kept "
                        "(default 2; --quick 1): the machine may be shared")
    parser.add_argument("--workdir", default=None, help="where the stores go (default: temp)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    points = args.points or (8 if args.quick else 48)
    repeat = args.repeat or (1 if args.quick else 2)
    if points < 2 or repeat < 1:
        parser.error("--points: at least 2; --repeat: at least 1")
    with tempfile.TemporaryDirectory(prefix="sweep_scaling_") as tmp:
        base = Path(args.workdir or tmp)
        run(2, 1, "cache", base / f"warm-up_{time.time_ns()}", args.quick)  # imports, 1st calls
        best: dict = {}
        configurations = [(w, mode) for mode in MODES for w in (1, 2)]
        for attempt in range(repeat):
            for workers, mode in configurations:
                name = f"w{workers}_{mode}_{time.time_ns()}"
                r = run(points, workers, mode, base / name, args.quick)
                r["walls_s"] = best.get((workers, mode), {}).get("walls_s", []) + [r["wall_s"]]
                if (workers, mode) not in best or r["wall_s"] < best[(workers, mode)]["wall_s"]:
                    best[(workers, mode)] = r
                best[(workers, mode)]["walls_s"] = r["walls_s"]
                print(f"  run {attempt + 1}/{repeat}: {workers} worker(s), {mode}: "
                      f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU", file=sys.stderr,
                      flush=True)
        rows = [best[c] for c in configurations]
    reference = np.array(rows[0]["eps0"], dtype=float)
    scale = 1e-6 * np.max(np.abs(reference))  # ε₀(B = 0) = 0: compare it on the scale of ε₀
    serial = {r["mode"]: r["wall_s"] for r in rows if r["workers"] == 1}
    by_key = {(r["workers"], r["mode"]): r["wall_s"] for r in rows}
    for r in rows:
        r["max_rel_diff"] = float(np.max(np.abs(np.array(r["eps0"], dtype=float) - reference)
                                         / np.maximum(np.abs(reference), scale)))
        r["speedup"] = serial[r["mode"]] / r["wall_s"]
        r["speedup_vs_serial_cache"] = serial["cache"] / r["wall_s"]
        r["reuse_saves_s"] = by_key[(r["workers"], "rebuild")] - by_key[(r["workers"], "cache")]
    rss = {"driver_mib": _rss_mib(resource.RUSAGE_SELF),
           "largest_worker_mib": _rss_mib(resource.RUSAGE_CHILDREN)}
    from machine import machine_info  # benchmarks/machine.py (script directory)

    info = machine_info()
    print(f"\nsweep scaling: disk phase boundary, {points} points "
          f"({'quick, P1 h=0.2' if args.quick else 'P2, h = 0.08/0.03 µm'}); "
          f"{info['cpu']}, {info['cores']} cores, Python {info['python']}")
    print(f"(best of {repeat} interleaved runs; all runs' wall times in the last column)")
    print("| workers | mesh | wall s | CPU s | solve s (sum) | speed-up | reuse saves s | "
          "processes | max rel. diff ε₀ | all walls s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['mode']} | {r['wall_s']:.1f} "
              f"| {r['cpu_s']:.1f} | {r['solve_s']:.1f} | {r['speedup']:.2f} | "
              f"{r['reuse_saves_s']:.1f} | {r['processes']} | {r['max_rel_diff']:.1e} | "
              f"{', '.join(f'{w:.1f}' for w in r['walls_s'])} |")
    print(f"peak RSS: driver {rss['driver_mib']:.0f} MiB, largest worker "
          f"{rss['largest_worker_mib']:.0f} MiB")
    for r in rows:
        r["rss"] = rss
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
    return rows


if __name__ == "__main__":
    if str(Path(__file__).resolve().parent) not in sys.path:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
