r"""Side-by-side benchmark: 3D London sphere in a vacuum ball, mqm_fem vs NGSolve.

Problem (docs/theory.md §1a, SI; lengths in mesh units ℓ = 1 µm): a superconducting sphere of
radius R = 0.3 µm with penetration depth λ = 0.1 µm (R/λ = 3) in a uniform applied field
B_a = 1 mT ẑ, centred in a vacuum ball of radius L = 2R. Unknown: the reaction potential
Ã_r = A_r/ℓ (tesla) in lowest-order Nédélec H(curl) on tetrahedra,

    (∇×Ã_r, ∇×v) + (χ_s λ⁻² Ã_r, v) = −(χ_s λ⁻² Ã_a, v),   Ã_a = ½ B_a × r,
    n × Ã_r = 0 on the outer sphere (B_r·n = 0),

with λ⁻² in µm⁻² (χ_s = 1 in the sphere, 0 in vacuum). Output: the magnetic moment
m = ½∫ r × J dV (A·m²), J = −χ_s A/(μ₀λ²), corrected for the uniform image field of the
spherical B·n = 0 wall (:func:`mqm_fem.london.avector.image_corrected_moment`, exact for the
sphere) and compared with London's m_z = −2πR³(B_a/μ₀) f(R/λ), f(x) = 1 − 3coth(x)/x + 3/x².

Both codes solve the SAME discrete problem on the SAME mesh: the gmsh mesh is written once
(``geometry.sphere_in_box``, msh 2.2), read by :func:`mqm_fem.mesh.load_mesh`, and its arrays
(vertices, tetrahedra per region, outer facets) are handed to netgen/NGSolve unchanged.

* mqm_fem: :func:`mqm_fem.solve_london` with ``formulation="A"`` and the package's default
  solver (``"auto"``: CG on the singular consistent system, Jacobi-preconditioned up to
  :data:`mqm_fem.linalg.linear.JACOBI_LIMIT` free unknowns, above with the pyamg Hiptmair–Xu
  (AMS) preconditioner; the column "method" says which ran, a fallback is recorded in the
  JSON row as ``mqm_fallback``); timings from ``solution.timings`` (assembly = closed-form K,
  load, Dirichlet DOFs; solve = condensation, any AMS set-up and CG; post-processing =
  ``derive_s``: fields, moment, energies, vertex projections), iterations, residual and
  unknowns from ``solution.solver``.
* NGSolve: ``HCurl(order=0)``, same forms, CG (``ngsolve.krylovspace.CGSolver``) to the same
  relative tolerance (NGSolve measures it in the preconditioned norm; the true relative
  residual is recorded), with two preconditioners by default: ``hcurlamg`` (NGSolve's own
  H(curl) AMG, the scalable choice; its coarse LU needs a definite matrix, so ε·(u, v) with
  ε = 1e-8 λ⁻² is added in vacuum — the moment change this causes is printed, measured with
  an extra 100ε solve on the smallest mesh) and ``local`` (Jacobi; works on the singular
  system, cheap per iteration, iterations grow like 1/h). ``bddc`` is a direct solve for
  order 0 (2 iterations, 6 s set-up already at 50k). ``multigrid`` needs a refinement
  hierarchy, which an imported mesh does not have. The moment is computed with the same
  formula (exact quadrature of ½∫r×J).

Threads: ``--threads N`` (default 1) runs BOTH codes with N threads: the mqm_fem worker gets
``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` = N, NGSolve runs inside its
``TaskManager`` with ``SetNumThreads(N)`` (no TaskManager for N = 1). ``--ngsolve-threads`` is
the old name of the same option.

"ratio" = mqm_fem (assembly + solve) / the fastest NGSolve variant's (assembly + solve) of that
size, wall time; the per-variant ratios are in the JSON rows (``ng_<pc>_ratio``), as are the
process CPU seconds of every worker (``*_cpu_s``, imports included) and its peak RSS.

Every (size, code) pair runs in its own subprocess, so "peak RSS" is that process's
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (whole process: interpreter, imports, mesh,
matrices, preconditioner, solution and post-processing; gmsh meshing runs in a third process).

Usage::

    python benchmarks/london_sphere.py --quick          # ≈50k unknowns only (< 60 s)
    python benchmarks/london_sphere.py                  # 50k, 200k, 1M, 2M unknowns
    python benchmarks/london_sphere.py --sizes 50k 200k --no-ngsolve
    python benchmarks/london_sphere.py --threads 2 --workdir /work/bench-meshes --json t2.json

``--workdir DIR`` keeps the meshes as ``DIR/sphere_<size>.msh`` with a sidecar
``sphere_<size>.msh.json`` (the mesh worker's result: ``mesh_s``, ``vertices``, ``tets``,
``edges``) and reuses both on later runs; ``--json FILE`` writes ``{"machine", "threads",
"tol", "rows"}`` (read by ``benchmarks/plot_scaling.py``).

NGSolve is optional (``pip install ngsolve``, the ``bench`` extra); without it the NGSolve
columns are skipped with the reason printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import machine_info  # benchmarks/machine.py (script directory)

RADIUS = 0.3  # µm
PENETRATION_DEPTH = 0.1  # µm
OUTER_RADIUS = 2 * RADIUS  # µm
B_APPLIED = 1e-3  # T, along z
LENGTH_UNIT = 1e-6  # m per mesh unit
MU0 = 4e-7 * np.pi * 1.00000000055  # CODATA 2018 μ₀ (as mqm_fem.units.MU0)
#: target Nédélec unknowns -> element size in the sphere (vacuum: twice that), calibrated
SIZES = {"50k": 0.029, "200k": 0.0183, "1M": 0.0101, "2M": 0.0080}
NG_EPSILON = 1e-8  # vacuum regularisation of the NGSolve system, relative to λ⁻²
#: NGSolve CG iteration cap: Jacobi ("local") needed 909 at 1M and grows like 1/h (≈1150 at 2M);
#: a run that hits it is flagged (``converged`` False) rather than timed as a solve
NG_MAXITER = 10_000


def analytic_moment() -> float:
    x = RADIUS / PENETRATION_DEPTH
    f = 1 - 3 / (np.tanh(x) * x) + 3 / x**2
    return -2 * np.pi * (RADIUS * LENGTH_UNIT) ** 3 * B_APPLIED / MU0 * f


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ----------------------------------------------------------------------------------------------
# workers (each in its own process)
# ----------------------------------------------------------------------------------------------
def worker_mesh(h_sc: float, path: str) -> dict:
    from mqm_fem import geometry

    t0 = time.perf_counter()
    dom = geometry.sphere_in_box(RADIUS, 2 * OUTER_RADIUS, outer="sphere", h=2 * h_sc,
                                 h_sc=h_sc, length_unit="um", path=path, msh_version=2.2)
    return {"mesh_s": time.perf_counter() - t0, "vertices": int(dom.mesh.nvertices),
            "tets": int(dom.mesh.nelements), "edges": int(dom.mesh.nedges)}


def worker_mqm(path: str, tol: float) -> dict:
    from mqm_fem import solve_london
    from mqm_fem.mesh import load_mesh

    t0 = time.perf_counter()
    dom = load_mesh(path, length_unit="um")
    t_load = time.perf_counter() - t0
    c0 = time.process_time()
    sol = solve_london(dom, PENETRATION_DEPTH * LENGTH_UNIT, [0, 0, B_APPLIED], formulation="A",
                       far_field="image", solver_tol=tol)  # default solver ("auto")
    cpu_solve = time.process_time() - c0
    tm, info = sol.timings, sol.solver
    out = {"load_s": t_load, "assembly_s": tm.assembly_s, "solve_s": tm.solve_s,
           "setup_s": info.get("setup_s"), "postprocess_s": tm.derive_s,
           "method": info.get("method"), "iterations": info["iterations"],
           "residual": info["residual"], "unknowns": info["nfree"],
           "moment": float(sol.magnetic_moment[2]),
           "solve_london_cpu_s": cpu_solve, "cpu_s": time.process_time(),
           "peak_rss_mib": peak_rss_mib()}
    if info.get("fallback"):
        out["fallback"] = info["fallback"]
    return out


def _netgen_mesh(dom):
    """netgen mesh with the same vertices/tetrahedra/outer facets as the mqm_fem Domain."""
    import ngsolve as ngs
    from netgen.meshing import FaceDescriptor
    from netgen.meshing import Mesh as NetgenMesh

    mesh = dom.mesh
    ng = NetgenMesh(dim=3)
    ng.AddPoints(np.ascontiguousarray(mesh.p.T))
    for index, name in enumerate(("superconductor", "vacuum"), start=1):
        ng.SetMaterial(index, name)
        tets = np.ascontiguousarray(mesh.t[:, dom.regions[name]].T, dtype=np.int32)
        ng.AddElements(dim=3, index=index, data=tets, base=0)
    ng.Add(FaceDescriptor(surfnr=1, domin=2, domout=0, bc=1))
    ng.SetBCName(0, "outer")
    facets = np.ascontiguousarray(mesh.facets[:, dom.boundaries["outer"]].T, dtype=np.int32)
    ng.AddElements(dim=2, index=1, data=facets, base=0)
    return ngs.Mesh(ng)


def _ng_solve(mesh, tol, epsilon, preconditioner):
    import ngsolve as ngs
    from ngsolve.krylovspace import CGSolver

    kappa = 1.0 / PENETRATION_DEPTH**2
    fes = ngs.HCurl(mesh, order=0, dirichlet="outer")
    u, v = fes.TnT()
    r = ngs.CF((ngs.x, ngs.y, ngs.z))
    a_applied = 0.5 * ngs.Cross(ngs.CF((0, 0, B_APPLIED)), r)

    def forms(preconditioner=None):
        a = ngs.BilinearForm(fes, symmetric=True)
        a += ngs.curl(u) * ngs.curl(v) * ngs.dx + kappa * u * v * ngs.dx("superconductor")
        if epsilon:
            a += epsilon * kappa * u * v * ngs.dx("vacuum")
        pre = ngs.Preconditioner(a, preconditioner) if preconditioner else None
        f = ngs.LinearForm(fes)
        f += -kappa * a_applied * v * ngs.dx("superconductor")
        a.Assemble()
        f.Assemble()
        return a, f, pre

    # NGSolve sets a registered preconditioner up inside a.Assemble(); a first assembly
    # without it gives the assembly time, the set-up is the difference.
    t0 = time.perf_counter()
    forms()
    t1 = time.perf_counter()
    a, f, pre = forms(preconditioner)
    t2 = time.perf_counter()
    t_assembly, t_setup = t1 - t0, max((t2 - t1) - (t1 - t0), 0.0)
    gfu = ngs.GridFunction(fes)
    solver = CGSolver(a.mat, pre.mat, tol=tol, maxiter=NG_MAXITER)
    gfu.vec.data = solver * f.vec
    t3 = time.perf_counter()
    res = f.vec.CreateVector()
    res.data = f.vec - a.mat * gfu.vec
    free = np.array(fes.FreeDofs(), dtype=bool)
    rel = np.linalg.norm(res.FV().NumPy()[free]) / np.linalg.norm(f.vec.FV().NumPy()[free])
    # m = ½ ℓ⁴ ∫ r × J dV', J = −κ(Ã_r + Ã_a)/(μ₀ ℓ) in the sphere
    j = -kappa * (gfu + a_applied) / (MU0 * LENGTH_UNIT)
    m = 0.5 * LENGTH_UNIT**4 * np.array(
        ngs.Integrate(ngs.Cross(r, j), mesh, definedon=mesh.Materials("superconductor")))
    return {"assembly_s": t_assembly, "setup_s": t_setup, "solve_s": t_setup + t3 - t2,
            "postprocess_s": time.perf_counter() - t3,
            "iterations": solver.iterations, "converged": solver.iterations < NG_MAXITER,
            "residual": float(rel), "moment_box": m,
            "unknowns": int(sum(free))}


def worker_ngsolve(path: str, tol: float, threads: int, reg_check: bool,
                   preconditioner: str = "hcurlamg") -> dict:
    import ngsolve as ngs

    from mqm_fem.london.avector import image_corrected_moment
    from mqm_fem.mesh import load_mesh

    t0 = time.perf_counter()
    dom = load_mesh(path, length_unit="um")
    mesh = _netgen_mesh(dom)
    t_load = time.perf_counter() - t0
    outer_vertices = dom.mesh.p[:, np.unique(dom.mesh.facets[:, dom.boundaries["outer"]])]
    outer_radius = _fit_sphere_radius(outer_vertices)
    del dom

    def run(epsilon):
        if threads > 1:
            ngs.SetNumThreads(threads)
            with ngs.TaskManager():
                return _ng_solve(mesh, tol, epsilon, preconditioner)
        return _ng_solve(mesh, tol, epsilon, preconditioner)

    out = run(NG_EPSILON * 1.0)
    m_free, _ = image_corrected_moment([0, 0, out["moment_box"][2]], [0, 0, B_APPLIED],
                                       outer_radius * LENGTH_UNIT)
    out.update(load_s=t_load, moment=float(m_free[2]), cpu_s=time.process_time(),
               peak_rss_mib=peak_rss_mib())
    out.pop("moment_box")
    if reg_check:  # the moment is linear in ε: a solve with 100 ε measures its effect
        other = run(NG_EPSILON * 100)
        m_other, _ = image_corrected_moment([0, 0, other["moment_box"][2]], [0, 0, B_APPLIED],
                                            outer_radius * LENGTH_UNIT)
        out["reg_effect"] = float(abs(m_other[2] / m_free[2] - 1) / 100)
    return out


def _fit_sphere_radius(pts) -> float:
    """Least-squares sphere through the outer-boundary vertices (as mqm_fem does)."""
    design = np.column_stack([2 * pts.T, np.ones(pts.shape[1])])
    sol, *_ = np.linalg.lstsq(design, np.sum(pts**2, axis=0), rcond=None)
    return float(np.sqrt(sol[3] + sol[:3] @ sol[:3]))


# ----------------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------------
def _run_worker(args: list[str], timeout: float, threads: int = 1) -> dict:
    """Run one worker in a subprocess with ``threads`` BLAS/OpenMP threads; its RESULT row."""
    n = str(threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n)
    proc = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"failed": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}


def _median_run(rows: list[dict]) -> dict:
    """Of repeated runs of one worker, the run whose assembly + solve time is the median (the
    lower middle one for an even count), with every successful run's total in ``totals_s`` and
    the number of failed runs in ``failed_runs``; a failed run is returned as such if no run
    succeeded."""
    ok = [r for r in rows if "solve_s" in r and "assembly_s" in r]
    if not ok:
        return rows[-1]
    ok.sort(key=lambda r: r["assembly_s"] + r["solve_s"])
    out = dict(ok[(len(ok) - 1) // 2])
    out["totals_s"] = [round(r["assembly_s"] + r["solve_s"], 4) for r in rows if r in ok]
    out["failed_runs"] = len(rows) - len(ok)
    for r in rows:  # the vacuum-regularisation check runs in the first NGSolve run only
        if "reg_effect" in r:
            out.setdefault("reg_effect", r["reg_effect"])
    return out


def ngsolve_status() -> str | None:
    """None if NGSolve can be imported, else the reason it cannot."""
    try:
        import ngsolve  # noqa: F401
    except Exception as err:  # ImportError, or a broken binary install
        return f"NGSolve not available ({type(err).__name__}: {err}); pip install ngsolve"
    return None


def _mesh_sidecar(sidecar: Path) -> dict | None:
    """The mesh worker's row stored next to a reused mesh, or None if absent or unusable."""
    try:
        row = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict) or not all(k in row for k in ("vertices", "tets", "edges")):
        return None
    return row


def _mesh(name: str, workdir: Path, reuse: bool, timeout: float) -> tuple[str, dict]:
    """``workdir/sphere_<name>.msh`` and its mesh row: reused with its sidecar (``--workdir``)
    or made by a mesh worker (the sidecar is written only for a mesh that was made)."""
    path = workdir / f"sphere_{name}.msh"
    sidecar = Path(f"{path}.json")
    if reuse and path.exists():
        row = _mesh_sidecar(sidecar)
        if row is not None:
            return str(path), {**row, "mesh_reused": True}
        print(f"{path}: sidecar {sidecar.name} missing or unreadable; meshing again", flush=True)
    row = _run_worker(["mesh", str(SIZES[name]), str(path)], timeout)
    if "failed" not in row:
        sidecar.write_text(json.dumps(row) + "\n")
    return str(path), row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="smallest size only (< 60 s)")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--tol", type=float, default=1e-8, help="relative residual of CG")
    parser.add_argument("--no-ngsolve", action="store_true")
    parser.add_argument("--threads", "--ngsolve-threads", dest="threads", type=int, default=1,
                        help="threads of BOTH codes: BLAS/OpenMP of the mqm_fem worker, "
                             "NGSolve's TaskManager (--ngsolve-threads: old name)")
    parser.add_argument("--ngsolve-preconditioner", nargs="+", default=["hcurlamg", "local"],
                        help="NGSolve preconditioners to run (hcurlamg, local = Jacobi, bddc)")
    parser.add_argument("--workdir", default=None,
                        help="keep the .msh files (+ .msh.json sidecars) here and reuse them "
                             "on later runs (default: a temporary directory)")
    parser.add_argument("--json", default=None, help="write the rows to this file")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per worker, seconds")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every worker this many times, interleaved, and report each "
                             "code's median run (assembly + solve); the VM's timings vary by "
                             "±30 %% between runs")
    args = parser.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "mesh":
            res = worker_mesh(float(rest[0]), rest[1])
        elif kind == "mqm":
            res = worker_mqm(rest[0], float(rest[1]))
        else:
            res = worker_ngsolve(rest[0], float(rest[1]), int(rest[2]), rest[3] == "1", rest[4])
        print("RESULT " + json.dumps(res), flush=True)
        return res
    if args.threads < 1:
        parser.error(f"--threads: {args.threads} given, must be a positive integer")
    if args.repeat < 1:
        parser.error(f"--repeat: {args.repeat} given, must be a positive integer")

    sizes = ["50k"] if args.quick else args.sizes
    skip_ng = "--no-ngsolve given" if args.no_ngsolve else ngsolve_status()
    if skip_ng:
        print(f"NGSolve column skipped: {skip_ng}")
    print("machine:", json.dumps(machine_info()), f"threads: {args.threads}")
    exact = analytic_moment()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for k, name in enumerate(sizes):
            path, mesh_row = _mesh(name, workdir, bool(args.workdir), args.timeout)
            row = {"size": name, "threads": args.threads, "repeat": args.repeat, **mesh_row}
            pcs = [] if skip_ng else args.ngsolve_preconditioner
            runs = {"mqm": [], **{pc: [] for pc in pcs}}
            for _ in range(args.repeat):  # interleaved, so a drifting load hits both codes
                runs["mqm"].append(_run_worker(["mqm", path, str(args.tol)], args.timeout,
                                               args.threads))
                for pc in pcs:
                    runs[pc].append(_run_worker(
                        ["ngsolve", path, str(args.tol), str(args.threads),
                         "1" if k == 0 and pc == "hcurlamg" and not runs[pc] else "0", pc],
                        args.timeout, args.threads))
            mq = _median_run(runs["mqm"])
            row.update({f"mqm_{key}": val for key, val in mq.items()})
            mqm_total = row.get("mqm_assembly_s", np.nan) + row.get("mqm_solve_s", np.nan)
            best = None
            for pc in pcs:
                ng = _median_run(runs[pc])
                ng["error_vs_london"] = (ng["moment"] / exact - 1) if "moment" in ng else None
                if "solve_s" in ng and ng.get("converged", True):
                    ng_total = ng["assembly_s"] + ng["solve_s"]
                    ng["ratio"] = mqm_total / ng_total
                    if best is None or ng_total < best[1]:
                        best = (pc, ng_total, ng.get("peak_rss_mib"))
                row.update({f"ng_{pc}_{key}": val for key, val in ng.items()})
            if best is not None:  # mqm_fem vs the fastest NGSolve variant of this size
                row["fastest_ng"] = best[0]
                row["ratio"] = mqm_total / best[1]
                if best[2] and "mqm_peak_rss_mib" in row:
                    row["rss_ratio"] = row["mqm_peak_rss_mib"] / best[2]
            if "mqm_moment" in row:
                row["mqm_error"] = row["mqm_moment"] / exact - 1
            rows.append(row)
            print(json.dumps(row), flush=True)
    print_table(rows, skip_ng)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine_info(),
                                               "threads": args.threads, "tol": args.tol,
                                               "rows": rows}, indent=1))
    return rows


def _fmt(row, key, spec, missing="—"):
    val = row.get(key)
    return missing if val is None else format(val, spec)


def print_table(rows, skip_ng):
    print(f"\nthreads: {rows[0]['threads'] if rows else '?'}; ratio = mqm_fem (asm+solve) / "
          "that NGSolve variant's; 'vs fastest' = / the fastest NGSolve variant's")
    print("size  unknowns    edges mesh s | code              method     load   asm  solve "
          "(its)  post  total  RSS MiB  moment error | ratio")
    for r in rows:
        head = (f"{r['size']:5s} {_fmt(r, 'mqm_unknowns', '8d')} {_fmt(r, 'edges', '8d')} "
                f"{_fmt(r, 'mesh_s', '6.1f')} |")
        total = sum(r.get(f"mqm_{k}", 0.0) or 0.0
                    for k in ("load_s", "assembly_s", "solve_s", "postprocess_s"))
        print(f"{head} {'mqm_fem':17s} {str(r.get('mqm_method', '—')):9s} "
              f"{_fmt(r, 'mqm_load_s', '5.1f')} "
              f"{_fmt(r, 'mqm_assembly_s', '5.1f')} {_fmt(r, 'mqm_solve_s', '6.1f')} "
              f"({_fmt(r, 'mqm_iterations', '3d')}) {_fmt(r, 'mqm_postprocess_s', '5.1f')} "
              f"{total:6.1f} {_fmt(r, 'mqm_peak_rss_mib', '7.0f')}  "
              f"{_fmt(r, 'mqm_error', '+.3e')} |"
              + ("" if "mqm_moment" in r else f" failed: {r.get('mqm_failed')}")
              + (f" fallback: {r['mqm_fallback']}" if r.get("mqm_fallback") else ""))
        pad = f"{'':{len(head) - 1}s}|"
        if skip_ng:
            print(f"{pad} NGSolve skipped")
            continue
        pcs = sorted({key.split("_")[1] for key in r if key.startswith("ng_")})
        for pc in pcs:
            g = {key[len(f"ng_{pc}_"):]: val for key, val in r.items()
                 if key.startswith(f"ng_{pc}_")}
            if "solve_s" not in g:
                print(f"{pad} NGSolve {pc} failed: {g.get('failed')}")
                continue
            post = g.get("postprocess_s", 0.0)
            total = g["load_s"] + g["assembly_s"] + g["solve_s"] + post
            print(f"{pad} {'NGSolve ' + pc:17s} {'cg':9s} {g['load_s']:5.1f} "
                  f"{g['assembly_s']:5.1f} "
                  f"{g['solve_s']:6.1f} ({g['iterations']:3d}) {post:5.1f} {total:6.1f} "
                  f"{g['peak_rss_mib']:7.0f}  {g['error_vs_london']:+.3e} | "
                  + (f"{g['ratio']:.2f}" if "ratio" in g else
                     f"not converged in {NG_MAXITER} iterations"))
        if "ratio" in r:
            rss = f", peak RSS {r['rss_ratio']:.2f}×" if "rss_ratio" in r else ""
            print(f"{pad} mqm_fem vs fastest (NGSolve {r['fastest_ng']}): "
                  f"time {r['ratio']:.2f}×{rss}")
    for r in rows[:1]:
        if "ng_hcurlamg_reg_effect" in r:
            print(f"NGSolve vacuum regularisation ε = {NG_EPSILON:g} λ⁻²: moment change "
                  f"{r['ng_hcurlamg_reg_effect']:.1e} (relative, from an extra 100ε solve)")


if __name__ == "__main__":
    main()
