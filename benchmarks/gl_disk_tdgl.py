"""Vortex state of a mesoscopic disk: pyTDGL (time-dependent GL to its steady state) vs mqm_fem.

Set-up (issue "stationary Ginzburg–Landau"): thin disk of radius R = 1 µm = 10ξ, ξ = 100 nm,
λ = 400 nm (κ = 4), d = 20 nm, uniform applied field B = 7 mT along z, i.e.
h = B/B_c2 = 0.2127 with B_c2 = Φ₀/(2πξ²) = 32.91 mT; no screening (the applied field is the
total field).

pyTDGL side (:func:`run_tdgl`, needs ``pip install tdgl``, in the ``bench`` extra):

* ``tdgl.Device`` with one ``tdgl.Layer(coherence_length=0.1, london_lambda=0.4,
  thickness=0.02)`` (µm; pyTDGL's defaults u = 5.79, γ = 10 for the dynamics) and the film
  ``tdgl.Polygon`` = a circle of radius 1 µm centred at 0, meshed by pyTDGL (meshpy/Triangle)
  with ``max_edge_length`` = ξ/2 (full) or ξ (``--quick``).
* ``tdgl.solve(device, SolverOptions(solve_time=T, field_units="mT", include_screening=False),
  applied_vector_potential=7.0)``: the float becomes ``tdgl.sources.ConstantField(7 mT)``,
  whose vector potential is A = (B/2)(−(y − y₀), x − x₀) about the centre (x₀, y₀) of the
  bounding box of the mesh-edge midpoints (not the origin in general), evaluated at the edge
  midpoints and scaled to A/(B_c2 ξ). pyTDGL's covariant derivative is (∇ − iA)ψ (link variable
  e^{−i A·Δr}), lengths in ξ, time in τ₀, ψ in ψ∞, screening off by default — the same reduced
  units as mqm_fem's. ψ is carried to the symmetric gauge about the disk centre (0, 0) by
  ψ → ψ e^{iχ}, χ = (h/2)(x₀y − y₀x) (``tdgl_reference.shift_gauge_center``; the stored
  edge vector potential is checked against the formula).
* The run starts from ψ = 1 (Meissner state); vortices enter through the edge. pyTDGL saves
  ψ every ``save_every`` steps with a wall-clock timestamp. The reported final state is the
  saved snapshot of lowest F among the last 10 % of the run (pyTDGL's adaptive explicit step
  leaves sporadic phase jitter at a few sites in some snapshots, raising F there by up to
  ~1 %; ``free_energy_last`` and ``free_energy_late_median`` are reported too). **Steady
  state**: the first saved snapshot from which on every snapshot has
  max_sites ||ψ|² − |ψ_final|²| < 10⁻² (ψ∞² units) and the final vortex count
  (``tdgl_reference.steady_index``); the time to steady state is its timestamp minus the wall
  clock at the call of ``tdgl.solve`` (operator set-up included, mesh generation reported
  separately). The run must be long enough that the final state is itself stationary: the
  script reports the trajectory (``traj_*``), the rate max||ψ_last|² − |ψ_prev|²| / Δt over
  the last save interval (1/τ₀) and the spread of F over the last 10 % of the run.
* Vortex count: phase winding of ψ around every triangle, nonzero triangles clustered within
  1ξ (``tdgl_reference.vortices``). Free energy: pyTDGL reports none, so
  ``tdgl_reference.free_energy_on_their_mesh`` evaluates the reduced
  F = ∫(−|ψ|² + ½|ψ|⁴ + |(∇ − iA)ψ|²) dx (units of ξ²; multiply by B_c²ξ²d/μ₀ for joules,
  B_c = B_c2/(√2 κ)) of the P1 interpolant of pyTDGL's vertex values on pyTDGL's mesh.

mqm_fem side (:func:`run_mqm_fem`): ``solve_gl`` on ``mqm_fem.geometry.disk(1.0, h=...)``
(µm). The issue's acceptance: same vortex count, both free energies, and mqm_fem's time to its
state ≥ 10× shorter than pyTDGL's time to its steady state.

Measured (pyTDGL 0.9.0, this 2-core VM shared with other jobs, ``nice``, three runs):
max edge ξ/2 → 4289 sites, 8338 triangles; 5 vortices (count final from τ = 262 τ₀, 21–23 s);
steady (criterion above) at τ = 1260 τ₀ after 81–87 s wall; tdgl.solve of 2000 τ₀ 129–135 s;
F = −103.6895 (ξ² units); peak RSS 269 MiB after tdgl.solve, 643 MiB with the analysis of the
1932 saved snapshots. The trajectory is deterministic (identical numbers in every run).

Usage (each code in its own process so that its peak RSS is its own)::

    nice python benchmarks/gl_disk_tdgl.py --code tdgl --out benchmarks/out/tdgl_full.npz
    python benchmarks/gl_disk_tdgl.py --code tdgl --quick     # smoke test, < 30 s, NOT the
                                                              # issue's run (coarse, too short)
    python benchmarks/gl_disk_tdgl.py --code both --out benchmarks/out/disk.npz
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tdgl_reference import (  # benchmarks/tdgl_reference.py (script directory)
    free_energy_on_their_mesh,
    shift_gauge_center,
    steady_index,
    vortex_count,
    vortices,
)

#: physical parameters of the issue's set-up
RADIUS_UM = 1.0
XI_UM = 0.1
LAMBDA_UM = 0.4
THICKNESS_UM = 0.02
FIELD_MT = 7.0
#: Φ₀ = h/2e in T·m²
PHI0 = 2.067833848e-15
BC2_MT = PHI0 / (2 * np.pi * (XI_UM * 1e-6) ** 2) * 1e3
H_REDUCED = FIELD_MT / BC2_MT
#: steady-state tolerance on |ψ|² (units of ψ∞²)
STEADY_TOL = 1e-2

#: run parameters: (max edge length in ξ, simulated time in τ₀, save every n steps)
FULL = {"edge_xi": 0.5, "solve_time": 2000.0, "save_every": 100}
QUICK = {"edge_xi": 1.0, "solve_time": 400.0, "save_every": 50}


def _peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _gauge_center(device) -> tuple[float, float]:
    """Centre of pyTDGL's ConstantField gauge: bounding-box centre of the edge midpoints (ξ)."""
    c = device.mesh.edge_mesh.centers
    mid = 0.5 * (c.min(axis=0) + c.max(axis=0))
    return float(mid[0]), float(mid[1])


def _check_gauge(applied_a: np.ndarray, centers: np.ndarray, h: float,
                 center: tuple[float, float]) -> float:
    """Max deviation of pyTDGL's stored edge vector potential from (h/2)(−(y−y₀), x−x₀)."""
    x0, y0 = center
    ref = 0.5 * h * np.column_stack([-(centers[:, 1] - y0), centers[:, 0] - x0])
    return float(np.max(np.abs(np.asarray(applied_a)[:, :2] - ref)))


def run_tdgl(quick: bool, *, solve_time: float | None = None, edge_xi: float | None = None,
             save_every: int | None = None, workdir: str | None = None) -> dict:
    """Run pyTDGL on the disk to (past) its steady state and analyse the trajectory.

    Returns a dict: ``time_to_steady_s`` (wall s from the call of tdgl.solve to the first
    steady snapshot), ``tau_to_steady`` (simulated time, τ₀), ``solve_s`` (whole tdgl.solve),
    ``time_to_final_count_s`` / ``tau_to_final_count`` (from when on the vortex count stays
    final), ``mesh_s`` (pyTDGL's mesh generation), ``total_s`` (set-up, mesh, solve, analysis),
    ``peak_rss_mib`` (whole run incl. the trajectory analysis), ``peak_rss_solve_mib`` (right
    after tdgl.solve: imports, mesh, solver, its HDF5 output), ``points`` (n, 2, units of ξ,
    disk centre at 0), ``triangles`` (m, 3),
    ``psi`` (n, complex, |ψ| ≤ 1, symmetric gauge about the disk centre), ``vortex_count``,
    ``vortices`` (list of dicts), ``free_energy`` (reduced F of the final state),
    ``h`` (B/B_c2), ``tdgl_version``, the trajectory (``traj_time``, ``traj_wall_s``,
    ``traj_count``, ``traj_F``, ``traj_drho`` = max||ψ|² − |ψ_final|²|), stationarity checks and
    the run parameters.
    """
    import h5py
    import tdgl
    from tdgl.geometry import circle

    t_start = time.perf_counter()
    par = dict(QUICK if quick else FULL)
    if solve_time is not None:
        par["solve_time"] = float(solve_time)
    if edge_xi is not None:
        par["edge_xi"] = float(edge_xi)
    if save_every is not None:
        par["save_every"] = int(save_every)
    edge_um = par["edge_xi"] * XI_UM
    layer = tdgl.Layer(coherence_length=XI_UM, london_lambda=LAMBDA_UM, thickness=THICKNESS_UM)
    n_boundary = int(np.ceil(2 * np.pi * RADIUS_UM / edge_um))
    film = tdgl.Polygon("film", points=circle(RADIUS_UM, points=n_boundary))
    device = tdgl.Device("disk", layer=layer, film=film, length_units="um")
    t0 = time.perf_counter()
    device.make_mesh(max_edge_length=edge_um)
    mesh_s = time.perf_counter() - t0
    bc2 = device.Bc2.to("mT").magnitude
    h = FIELD_MT / bc2
    points = np.asarray(device.mesh.sites, dtype=float)           # units of ξ
    triangles = np.asarray(device.mesh.elements, dtype=np.int64)
    center = _gauge_center(device)

    tmp = tempfile.TemporaryDirectory(dir=workdir)
    try:
        h5path = os.path.join(tmp.name, "tdgl.h5")
        options = tdgl.SolverOptions(
            solve_time=par["solve_time"], output_file=h5path, field_units="mT",
            include_screening=False, save_every=par["save_every"], progress_interval=10**9)
        wall0 = _dt.datetime.now()
        t0 = time.perf_counter()
        solution = tdgl.solve(device, options, applied_vector_potential=FIELD_MT)
        solve_s = time.perf_counter() - t0
        rss_solve = _peak_rss_mib()
        with h5py.File(solution.path, "r") as f:
            gauge_err = _check_gauge(f["applied_vector_potential"],
                                     device.mesh.edge_mesh.centers, h, center)
            keys = sorted(f["data"], key=int)
            traj_time, traj_wall, rho, counts, energies = [], [], [], [], []
            psis = []
            for k in keys:
                g = f["data"][k]
                psi_k = shift_gauge_center(points, np.asarray(g["psi"]), h, center)
                traj_time.append(float(g.attrs["time"]))
                stamp = _dt.datetime.fromisoformat(str(g.attrs["timestamp"]))
                traj_wall.append((stamp - wall0).total_seconds())
                rho.append(np.abs(psi_k) ** 2)
                counts.append(vortex_count(points, triangles, psi_k))
                energies.append(free_energy_on_their_mesh(points, triangles, psi_k, h))
                psis.append(psi_k)
    finally:
        tmp.cleanup()
    rho = np.asarray(rho)
    counts = np.asarray(counts)
    energies = np.asarray(energies)
    traj_time = np.asarray(traj_time)
    # pyTDGL's adaptive explicit step leaves sporadic local phase jitter at a few sites in some
    # snapshots (F up by up to ~1 % there); the reported state is the snapshot of lowest F
    # among the last 10 % of the run
    late = np.flatnonzero(traj_time >= 0.9 * traj_time[-1])
    best = int(late[np.argmin(energies[late])])
    psi_best = psis[best]
    drho = np.max(np.abs(rho - rho[best]), axis=1)
    k = steady_index(rho, counts, STEADY_TOL, ref=best)
    changed = np.flatnonzero(counts != counts[best])
    k_count = int(changed[-1] + 1) if changed.size else 0
    last_rate = (float(np.max(np.abs(rho[-1] - rho[-2])) / (traj_time[-1] - traj_time[-2]))
                 if len(rho) > 1 else float("nan"))
    vort = vortices(points, triangles, psi_best)
    return {
        "code": "pyTDGL", "tdgl_version": tdgl.__version__, "quick": quick, **par,
        "n_points": len(points), "n_triangles": len(triangles),
        "h": h, "bc2_mT": bc2, "gauge_center_xi": center, "gauge_check": gauge_err,
        "time_to_steady_s": float(traj_wall[k]), "tau_to_steady": float(traj_time[k]),
        "steady_index": k, "n_saved": len(keys),
        "time_to_final_count_s": float(traj_wall[k_count]),
        "tau_to_final_count": float(traj_time[k_count]),
        "mesh_s": mesh_s, "solve_s": solve_s, "total_s": time.perf_counter() - t_start,
        "pytdgl_total_seconds": float(solution.total_seconds),
        "peak_rss_mib": _peak_rss_mib(), "peak_rss_solve_mib": rss_solve,
        "vortex_count": int(counts[best]), "vortices": vort,
        "free_energy": float(energies[best]), "free_energy_last": float(energies[-1]),
        "free_energy_late_median": float(np.median(energies[late])),
        "best_index": best, "tau_best": float(traj_time[best]),
        "final_rate_drho_dt": last_rate,
        "late_dF": float(energies[late].max() - energies[late].min()),
        "points": points, "triangles": triangles, "psi": psi_best,
        "traj_time": traj_time, "traj_wall_s": np.asarray(traj_wall), "traj_count": counts,
        "traj_F": energies, "traj_drho": drho,
    }


def run_mqm_fem(*, element_um: float = 0.05, order: int = 2, guess=None,
                scan: tuple = tuple(range(3, 9)), target_vortices: int | None = None,
                keep_state: bool = False) -> dict:
    """mqm_fem's stationary GL states of the same disk, frozen field (no screening).

    1. The same start as pyTDGL: ``solve_gl(..., guess="uniform")`` (ψ = 1). Newton descent
       leaves the Meissner saddle along negative curvature and ends in a local minimum — the
       stationary counterpart of pyTDGL's relaxation; its time is the "time to the state".
    2. ``target_vortices`` (pyTDGL's count, in ``--code both``): the state from that many
       vortex cores on a ring of radius 0.45R — the state pyTDGL reached; its solve time is the
       time to that state.
    3. A scan: the states reached from N vortex cores on a ring of radius 0.45R (N in
       ``scan``), each solved separately — which states exist at this field, their F and which
       is lowest (the TDGL run reaches one of them, not necessarily the lowest).
    """
    from mqm_fem import geometry, solve_gl  # lazily: the pyTDGL child must not need mqm_fem

    t_start = time.perf_counter()
    domain = geometry.disk(RADIUS_UM, h=element_um)
    mesh_s = time.perf_counter() - t_start
    common = {"applied_field": f"{FIELD_MT:g} mT", "coherence_length": f"{XI_UM * 1e3:g} nm",
              "penetration_depth": f"{LAMBDA_UM * 1e3:g} nm", "order": order}
    t0 = time.perf_counter()
    sol = solve_gl(domain, guess="uniform" if guess is None else guess, **common)
    solve_s = time.perf_counter() - t0
    states = []
    radius = 0.45 * RADIUS_UM * 1e-6

    def cores(n):
        return [((radius * np.cos(2 * np.pi * k / n), radius * np.sin(2 * np.pi * k / n)), 1)
                for k in range(n)]

    target = target_state = None
    if target_vortices:
        t1 = time.perf_counter()
        state = solve_gl(domain, guess="uniform", vortices=cores(target_vortices), **common)
        target = {"guess_vortices": target_vortices, "vortex_count": state.vortex_count,
                  "free_energy": float(state.free_energy), "stability": state.stability,
                  "seconds": time.perf_counter() - t1}
        target_state = state
    for n in scan:
        t1 = time.perf_counter()
        try:
            state = solve_gl(domain, guess="uniform", vortices=cores(n), **common)
        except Exception as exc:  # noqa: BLE001 — a guess that finds no state is reported
            states.append({"guess_vortices": n, "error": str(exc)})
            continue
        states.append({"guess_vortices": n, "vortex_count": state.vortex_count,
                       "free_energy": float(state.free_energy), "stability": state.stability,
                       "seconds": time.perf_counter() - t1})
    found = [s for s in states if "error" not in s]
    lowest = min(found, key=lambda s: s["free_energy"]) if found else None
    extra = {"target_state": target_state} if keep_state and target else {}
    return {
        **extra,
        "code": "mqm_fem", "element_um": element_um, "order": order,
        "guess": "uniform" if guess is None else str(guess),
        "h": H_REDUCED, "mesh_s": mesh_s, "solve_s": solve_s,
        "descent_s": solve_s, "newton_steps": int(sol.info["newton_iterations"]),
        "time_to_state_s": target["seconds"] if target else solve_s, "target": target,
        "saddle_escapes": int(sol.info.get("saddle_escapes", 0)),
        "total_s": time.perf_counter() - t_start, "peak_rss_mib": _peak_rss_mib(),
        "vortex_count": int(sol.vortex_count), "stability": sol.stability,
        "free_energy": float(sol.free_energy), "unknowns": int(sol.info["unknowns"]),
        "scan": states, "lowest_scan": lowest,
    }


# ---------------------------------------------------------------------------------------------
def save_npz(result: dict, path: str | Path) -> Path:
    """Arrays as arrays, everything else as one JSON string ``meta``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: v for k, v in result.items() if isinstance(v, np.ndarray)}
    meta = {k: v for k, v in result.items() if not isinstance(v, np.ndarray)}
    np.savez_compressed(path, meta=json.dumps(meta, default=float), **arrays)
    return path


def summary(result: dict) -> dict:
    """The scalar numbers of a result (what is printed)."""
    keys = ("code", "tdgl_version", "quick", "edge_xi", "solve_time", "element_um", "order",
            "n_points", "n_triangles", "h", "gauge_center_xi", "gauge_check",
            "time_to_steady_s", "tau_to_steady", "time_to_final_count_s",
            "tau_to_final_count", "time_to_state_s", "mesh_s", "solve_s",
            "total_s", "peak_rss_mib", "peak_rss_solve_mib", "vortex_count", "vortices",
            "free_energy",
            "free_energy_last", "free_energy_late_median", "tau_best", "final_rate_drho_dt",
            "late_dF", "newton_steps", "saddle_escapes", "stability", "unknowns", "scan",
            "lowest_scan", "descent_s", "target")
    return {k: result[k] for k in keys if k in result}


def _run_child(code: str, args: argparse.Namespace, npz: Path, target=None) -> dict:
    cmd = [sys.executable, __file__, "--code", code, "--out", str(npz)]
    if target is not None:
        cmd += ["--target-vortices", str(target)]
    if args.quick:
        cmd.append("--quick")
    for opt in ("solve_time", "edge_xi", "element_um", "guess"):
        val = getattr(args, opt)
        if val is not None:
            cmd += [f"--{opt.replace('_', '-')}", str(val)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"code": code, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", choices=("tdgl", "mqm_fem", "both"), default="tdgl")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test (< 30 s): pyTDGL mesh ξ, 400 τ₀ — NOT the issue's run")
    ap.add_argument("--out", default="benchmarks/out/gl_disk.npz",
                    help="result .npz (with --code both: <stem>_tdgl.npz, <stem>_mqm_fem.npz)")
    ap.add_argument("--solve-time", type=float, default=None, help="pyTDGL simulated time, τ₀")
    ap.add_argument("--edge-xi", type=float, default=None, help="pyTDGL max edge length, ξ")
    ap.add_argument("--element-um", type=float, default=None, help="mqm_fem element size, µm")
    ap.add_argument("--guess", default=None, help="passed to solve_gl(guess=...)")
    ap.add_argument("--target-vortices", type=int, default=None,
                    help="mqm_fem: also solve from this many vortex cores (pyTDGL's count)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.code == "both":
        res = {}
        for code in ("tdgl", "mqm_fem"):
            target = res.get("tdgl", {}).get("vortex_count")
            res[code] = _run_child(code, args, out.with_name(f"{out.stem}_{code}.npz"), target)
            print(json.dumps(res[code]), flush=True)
        t, m = res["tdgl"], res["mqm_fem"]
        if "error" not in t and "error" not in m:
            ratio = t["time_to_steady_s"] / m["time_to_state_s"]
            tgt = m.get("target") or {}
            print(f"pyTDGL from psi = 1: {t['vortex_count']} vortices, F = "
                  f"{t['free_energy']:.4f} (P1 on its mesh), steady after "
                  f"{t['time_to_steady_s']:.1f} s, peak RSS {t['peak_rss_mib']:.0f} MiB")
            f_target = tgt.get("free_energy", float("nan"))
            print(f"mqm_fem, the {tgt.get('guess_vortices')}-vortex state: "
                  f"{tgt.get('vortex_count')} vortices, F = {f_target:.4f}"
                  f", {m['time_to_state_s']:.1f} s = {ratio:.1f}x faster (issue asks >= 10x)")
            print(f"mqm_fem descent from psi = 1: {m['vortex_count']} vortices, F = "
                  f"{m['free_energy']:.4f}, {m['descent_s']:.1f} s "
                  f"({t['time_to_steady_s'] / m['descent_s']:.1f}x); peak RSS "
                  f"{m['peak_rss_mib']:.0f} MiB")
            for row in m.get("scan", []):
                print(f"  mqm_fem scan: {row}")
        return res
    if args.quick:
        print("--quick: smoke test only (coarse mesh, short run); not the issue's set-up",
              file=sys.stderr)
    if args.code == "tdgl":
        result = run_tdgl(args.quick, solve_time=args.solve_time, edge_xi=args.edge_xi)
    else:
        kw = {"guess": args.guess, "target_vortices": args.target_vortices}
        if args.element_um is not None:
            kw["element_um"] = args.element_um
        elif args.quick:
            kw["element_um"] = 0.1
        result = run_mqm_fem(**kw)
    path = save_npz(result, out)
    s = summary(result)
    s["npz"] = str(path)
    print(json.dumps(s, default=float), flush=True)
    return result


if __name__ == "__main__":
    main()
