"""2D eigenproblem benchmark: mqm_fem vs NGSolve on the same P2 disk mesh (docs/theory.md §2).

Problem (scaled units, lengths in L₀ = 1 µm, disk radius R = 1):

    ∫ (∇ − ia)ψ · conj((∇ − ia)w) dx = ε ∫ ψ w̄ dx   for all w,   ψ = 0 on r = R,

the 6 lowest eigenvalues ε (dimensionless; E = ħ²ε/(2mL₀²)). Zero field (a = 0): analytic
ε = j_{m,n}²/R² with the Bessel zeros j₀₁, j₁₁ (×2), j₂₁ (×2), j₀₂. With ``--field b``: uniform
scaled field b = 2πBL₀²/Φ₀ in the symmetric gauge a = (b/2)(−y, x) (no analytic value; the two
codes are compared with each other).

Both codes get the same gmsh mesh (``mqm_fem.geometry.disk``, written once to a .msh file) and
Lagrange P2 elements. Each solver runs in its own subprocess so that its peak resident set
size is its own: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the worker at the end (Linux,
KiB → GB), which includes the interpreter, the imports and the mesh.

* mqm_fem: ``solve_schrodinger(domain, k=6, bc="dirichlet")`` (``--eigensolver``: auto =
  shift-invert ARPACK with an MKL PARDISO LDLᵀ/LDLᴴ factorisation when ``pypardiso`` is
  installed, else a nested-dissection SuperLU one; the "backend" column says which ran).
  "assembly" = everything before the eigen-solve (basis, potentials, K, M, Dirichlet
  reduction), "solve" = eigen-solve.
* NGSolve: ``H1(order=2, dirichlet="outer")``, ``BilinearForm`` + ``Preconditioner(a, "bddc")``,
  ``ngsolve.solvers.PINVIT(num=10, maxit=20)`` (``--ngsolve-solver pinvit``; PINVIT runs a
  fixed number of iterations, ``--ngsolve-maxit``: 20 converges at zero field, the field case
  needs more — check the "|dε|" column), or the
  shift-invert ``ArnoldiSolver`` with NGSolve's sparse Cholesky (``--ngsolve-solver arnoldi``;
  it misses partners of degenerate pairs, see README). "assembly" = space, forms,
  preconditioner set-up and matrix assembly; "solve" = the eigen-solve. The mesh conversion
  (skfem arrays → netgen mesh) is reported separately ("conv").

Times are wall-clock seconds ("cpu": process CPU seconds of assembly+solve, robust against
other load on a shared machine); "ratio" = mqm_fem/NGSolve wall time of assembly+solve,
"r_cpu" the same in CPU time; "|dε|" = max relative difference of the two codes' eigenvalues
(same mesh and element: should be ≪ the discretisation error). Threads: BLAS and NGSolve's task
manager use ``--threads`` (default 1; SuperLU/ARPACK are serial).

Usage::

    python benchmarks/eigen_disk.py --quick            # ≈50k unknowns, < 60 s
    python benchmarks/eigen_disk.py                    # 50k, 200k, 1M P2 unknowns
    python benchmarks/eigen_disk.py --sizes 200000 --field 20
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

from machine import machine_info  # benchmarks/machine.py (script directory)

# Bessel zeros j_{m,n} of the 6 lowest Dirichlet disk eigenvalues (with multiplicity)
BESSEL = [2.404825557695773, 3.831705970207512, 3.831705970207512, 5.135622301840683,
          5.135622301840683, 5.520078110286311]
#: P2 unknowns ≈ C_DOFS / h² on the unit disk (gmsh, measured: h = 0.02 gives 36 826)
C_DOFS = 14.73
K_STATES = 6


def _rss_gb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB


# ---------------------------------------------------------------------------------------------
# workers (run in a subprocess; print one JSON line)
def worker_mqm(mesh_path: str, field_b: float, eigensolver: str) -> dict:
    from mqm_fem.mesh import load_mesh
    from mqm_fem.quantum.schrodinger import solve_schrodinger
    from mqm_fem.units import HBAR, Q

    dom = load_mesh(mesh_path, length_unit="um")
    b1 = HBAR / (Q * 1e-12)  # field for b = 1 with L0 = 1 um
    t0 = time.perf_counter()
    sol = solve_schrodinger(dom, field_b * b1 if field_b else None, k=K_STATES,
                            bc="dirichlet", center=(0, 0), eigensolver=eigensolver)
    total = time.perf_counter() - t0
    info = sol.info
    return {"ndofs": info["ndofs"], "free": info["free_dofs"],
            "assembly": info["time_assembly_s"], "solve": info["time_eigen_s"], "total": total,
            "cpu_assembly": info["cpu_assembly_s"], "cpu_solve": info["cpu_eigen_s"],
            "eigenvalues": [float(x) for x in sol.eigenvalues], "rss_gb": _rss_gb(),
            "detail": {k: v for k, v in info.items()
                       if k in ("eigensolver", "factorization", "ordering", "factor_fill",
                                "solves", "iterations", "time_factor_s")},
            "backend": info.get("factorization", info["eigensolver"])}


def _netgen_mesh(mesh):
    """The skfem triangle mesh as a netgen mesh (same vertices/triangles, boundary 'outer')."""
    import numpy as np
    from netgen.meshing import FaceDescriptor
    from netgen.meshing import Mesh as NGMesh

    ngm = NGMesh(dim=2)
    ngm.Add(FaceDescriptor(surfnr=1, domin=1, bc=1))
    ngm.SetMaterial(1, "superconductor")
    pts = np.zeros((mesh.nvertices, 3))
    pts[:, :2] = mesh.p.T
    ngm.AddPoints(np.ascontiguousarray(pts))
    ngm.AddElements(dim=2, index=1, data=np.ascontiguousarray(mesh.t.T, dtype=np.int32), base=0)
    bf = mesh.boundary_facets()
    ngm.AddElements(dim=1, index=1,
                    data=np.ascontiguousarray(mesh.facets[:, bf].T, dtype=np.int32), base=0)
    ngm.SetBCName(0, "outer")
    return ngm


def worker_ngsolve(mesh_path: str, field_b: float, solver: str, threads: int,
                   maxit: int = 20) -> dict:
    import ngsolve as ngs
    import numpy as np

    from mqm_fem.mesh import load_mesh

    dom = load_mesh(mesh_path, length_unit="um")
    t0 = time.perf_counter()
    mesh = ngs.Mesh(_netgen_mesh(dom.mesh))
    t_conv = time.perf_counter() - t0
    ngs.SetNumThreads(threads)
    nev = K_STATES + 4  # as mqm_fem: a few extra states to resolve degenerate levels
    with ngs.TaskManager():
        t0, c0 = time.perf_counter(), time.process_time()
        cplx = bool(field_b) or solver == "arnoldi"
        fes = ngs.H1(mesh, order=2, dirichlet="outer", complex=cplx)
        u, v = fes.TnT()
        if field_b:
            a = ngs.CF((-0.5 * field_b * ngs.y, 0.5 * field_b * ngs.x))
            # real basis functions: K_ij = ∫ (∇φ_j − iaφ_j)·(∇φ_i + iaφ_i), Hermitian
            form = (ngs.grad(u) - 1j * a * u) * (ngs.grad(v) + 1j * a * v) * ngs.dx
        else:
            form = ngs.grad(u) * ngs.grad(v) * ngs.dx
        abf = ngs.BilinearForm(form)
        mbf = ngs.BilinearForm(u * v * ngs.dx)
        pre = ngs.Preconditioner(abf, "bddc") if solver == "pinvit" else None
        abf.Assemble()
        mbf.Assemble()
        t_asm, c_asm = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        if solver == "pinvit":
            lams, _ = ngs.solvers.PINVIT(abf.mat, mbf.mat, pre.mat, num=nev, maxit=maxit,
                                         printrates=False)
            vals = np.array([float(np.real(x)) for x in lams])
        else:
            gfu = ngs.GridFunction(fes, multidim=nev)
            lams = ngs.ArnoldiSolver(abf.mat, mbf.mat, fes.FreeDofs(), list(gfu.vecs),
                                     shift=0.0 if not field_b else 0.9 * field_b)
            vals = np.array([complex(x).real for x in lams])
        t_solve, c_solve = time.perf_counter() - t0, time.process_time() - c0
    return {"ndofs": fes.ndof, "conv": t_conv, "assembly": t_asm, "solve": t_solve,
            "cpu_assembly": c_asm, "cpu_solve": c_solve,
            "total": t_asm + t_solve,
            "eigenvalues": [float(x) for x in np.sort(vals)[:K_STATES]], "rss_gb": _rss_gb()}


def _run_worker(args: list[str], threads: int) -> dict:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


# ---------------------------------------------------------------------------------------------
def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smallest size only (< 60 s)")
    ap.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")],
                    default=[50_000, 200_000, 1_000_000], help="target P2 unknowns")
    ap.add_argument("--field", type=float, default=0.0, help="scaled field b (0: analytic case)")
    ap.add_argument("--eigensolver", default="auto", help="mqm_fem eigensolver")
    ap.add_argument("--ngsolve-solver", default="pinvit", choices=["pinvit", "arnoldi"])
    ap.add_argument("--ngsolve-maxit", type=int, default=20,
                    help="PINVIT iterations (no convergence test in NGSolve's PINVIT)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-ngsolve", action="store_true")
    ap.add_argument("--json", default=None,
                    help="also write {machine, threads, field, rows} to this file "
                         "(benchmarks/plot_scaling.py reads it)")
    ap.add_argument("--worker", choices=["mqm", "ngsolve"], help=argparse.SUPPRESS)
    ap.add_argument("--mesh", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker == "mqm":
        print(json.dumps(worker_mqm(args.mesh, args.field, args.eigensolver)))
        return []
    if args.worker == "ngsolve":
        print(json.dumps(worker_ngsolve(args.mesh, args.field, args.ngsolve_solver,
                                        args.threads, args.ngsolve_maxit)))
        return []

    import numpy as np

    from mqm_fem import geometry

    sizes = args.sizes[:1] if args.quick else args.sizes
    ngs_reason = None
    if args.no_ngsolve:
        ngs_reason = "--no-ngsolve"
    else:
        try:
            import ngsolve  # noqa: F401  (lazy: only to decide whether to run the column)
        except ImportError as exc:
            ngs_reason = f"ngsolve not importable ({exc}); pip install 'mqm_fem[bench]'"
    if ngs_reason:
        print(f"NGSolve column skipped: {ngs_reason}")
    print("machine/versions:", json.dumps(machine_info()))
    ref = np.array(BESSEL) ** 2
    field_note = f"b = {args.field:g} (errors: mqm_fem vs NGSolve)" if args.field else \
        "zero field (errors vs j_mn^2)"
    print(f"Dirichlet unit disk, P2, {K_STATES} lowest states, {field_note}, "
          f"threads = {args.threads}, mqm_fem eigensolver = {args.eigensolver}, "
          f"NGSolve = {args.ngsolve_solver}"
          + (f" (maxit {args.ngsolve_maxit})" if args.ngsolve_solver == "pinvit" else ""))
    head = (f"{'target':>8} {'ndofs':>8} {'mesh':>6} | {'mqm asm':>7} {'solve':>7} {'cpu':>7} "
            f"{'RSS':>5} {'err':>8} | {'ngs asm':>7} {'solve':>7} {'cpu':>7} {'RSS':>5} "
            f"{'err':>8} | {'ratio':>5} {'r_cpu':>5} {'|dε|':>8} | backend")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in sizes:
            h = float(np.sqrt(C_DOFS / target))
            path = Path(tmp) / f"disk_{target}.msh"
            t0 = time.perf_counter()
            geometry.disk(1.0, h=h, path=path)
            t_mesh = time.perf_counter() - t0
            common = ["--mesh", str(path), "--field", str(args.field)]
            mq = _run_worker(["--worker", "mqm", "--eigensolver", args.eigensolver, *common],
                             args.threads)
            ng = ({"error": ngs_reason} if ngs_reason else
                  _run_worker(["--worker", "ngsolve", "--ngsolve-solver", args.ngsolve_solver,
                               "--threads", str(args.threads),
                               "--ngsolve-maxit", str(args.ngsolve_maxit), *common],
                              args.threads))
            row = {"target": target, "h": h, "mesh_s": t_mesh, "mqm": mq, "ngsolve": ng}
            rows.append(row)
            print(head)
            print(_format(row, ref, bool(args.field)))
            for name, res in (("mqm_fem", mq), ("NGSolve", ng)):
                if "error" in res:
                    print(f"  {name}: {res['error']}")
                else:
                    print(f"  {name} eigenvalues: "
                          f"{np.array2string(np.array(res['eigenvalues']), precision=8)}"
                          + (f"  {res['detail']}" if "detail" in res else "")
                          + (f"  (mesh conversion {res['conv']:.2f} s)" if "conv" in res
                             else ""))
            sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine_info(), "threads": args.threads,
                                               "field": args.field, "rows": rows}, indent=1))
        print(f"wrote {args.json}")
    return rows


def _format(row, ref, field) -> str:
    import numpy as np

    mq, ng = row["mqm"], row["ngsolve"]

    def err(res):
        if "error" in res or field:
            return float("nan")
        return float(np.max(np.abs(np.array(res["eigenvalues"]) / ref - 1)))

    def cols(res):
        cpu = res["cpu_assembly"] + res["cpu_solve"]
        return (f"{res['assembly']:7.2f} {res['solve']:7.2f} {cpu:7.2f} {res['rss_gb']:5.2f} "
                f"{err(res):8.1e}")

    ok_m, ok_n = "error" not in mq, "error" not in ng
    ndofs = mq["ndofs"] if ok_m else (ng["ndofs"] if ok_n else 0)
    m_part = cols(mq) if ok_m else f"{'failed':>39}"
    n_part = cols(ng) if ok_n else f"{'skipped':>39}"
    if ok_m and ok_n:
        ratio = (mq["assembly"] + mq["solve"]) / (ng["assembly"] + ng["solve"])
        r_cpu = ((mq["cpu_assembly"] + mq["cpu_solve"])
                 / (ng["cpu_assembly"] + ng["cpu_solve"]))
        diff = float(np.max(np.abs(np.array(mq["eigenvalues"]) / np.array(ng["eigenvalues"])
                                   - 1)))
        tail = f"{ratio:5.2f} {r_cpu:5.2f} {diff:8.1e}"
    else:
        tail = f"{'-':>5} {'-':>5} {'-':>8}"
    return (f"{row['target']:8d} {ndofs:8d} {row['mesh_s']:6.1f} | {m_part} | {n_part} | "
            f"{tail} | {mq.get('backend', '-')}")


if __name__ == "__main__":
    main()
