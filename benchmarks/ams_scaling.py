"""AMS-CG vs scipy's sparse direct solve on the London sphere-in-box curl-curl system.

Problem (docs/theory.md §1a): box [-2, 2]³ (mesh units) split into n³ cubes × 6 tetrahedra,
lowest-order Nédélec, σ = λ⁻² (λ = 0.2) on the elements whose centroid is in the unit ball and
σ = 0 elsewhere, n×A = 0 on the box, right-hand side −(σ A_a, v) with A_a = ½ ẑ × r.

For each size it prints the number of edges / free unknowns, AMS-CG iterations, set-up and total
time, and the direct solve's time, factor size (measured nnz(L+U) vs the
:func:`mqm_fem.linalg.memory.estimate_direct_memory` model) and its difference to AMS-CG on the
superconducting edges. Direct solves whose estimate exceeds ``--max-direct-gib`` are refused.

Usage: python benchmarks/ams_scaling.py [n ...] [--max-direct-gib 12] [--gmsh h ...]
(defaults n = 14 24 35: about 20k, 100k and 300k edges). ``--gmsh 0.35 0.2 0.12`` runs the same
problem on unstructured gmsh meshes of the unit ball in the box [-2, 2]³ with mesh size h.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from skfem import Basis, BilinearForm, ElementTetN0, MeshTet, asm
from skfem.helpers import curl, dot

from mqm_fem.errors import SolverError
from mqm_fem.fem.nedelec import nedelec_interpolation
from mqm_fem.linalg.linear import solve_curl_curl
from mqm_fem.linalg.memory import estimate_direct_memory

PENETRATION_DEPTH = 0.2


@BilinearForm
def curl_curl(u, v, _):
    return dot(curl(u), curl(v))


@BilinearForm
def vector_mass(u, v, _):
    return dot(u, v)


def box_sphere_in_box(n):
    """Structured mesh: n³ cubes × 6 tetrahedra; σ on elements with centroid in the ball."""
    x = np.linspace(-2.0, 2.0, n + 1)
    mesh = MeshTet.init_tensor(x, x, x)
    sc = np.nonzero(np.linalg.norm(mesh.p[:, mesh.t].mean(axis=1), axis=0) < 1.0)[0]
    return mesh, sc


def gmsh_sphere_in_box(h):
    """The same problem on an unstructured gmsh mesh (mesh size h, unit ball in [-2, 2]³)."""
    import tempfile
    from pathlib import Path

    import gmsh

    from mqm_fem.mesh import load_mesh

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "ball.msh")
        gmsh.initialize(interruptible=False)
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            occ = gmsh.model.occ
            _, parent = occ.fragment([(3, occ.addBox(-2, -2, -2, 4, 4, 4))],
                                     [(3, occ.addSphere(0, 0, 0, 1.0))])
            occ.synchronize()
            ball = parent[1][0][1]
            gmsh.model.addPhysicalGroup(3, [ball], name="superconductor")
            gmsh.model.addPhysicalGroup(3, [t for _, t in parent[0] if t != ball], name="vacuum")
            gmsh.option.setNumber("Mesh.MeshSizeMax", h)
            gmsh.model.mesh.generate(3)
            gmsh.write(path)
        finally:
            gmsh.finalize()
        domain = load_mesh(path, length_unit="um")
    return domain.mesh, domain.region("superconductor")


def london_system(mesh, sc):
    """K = C + M_σ, b = −M_σ Π(½ ẑ × r), free DOFs and superconducting DOFs."""
    basis = Basis(mesh, ElementTetN0())
    M_sc = asm(vector_mass, Basis(mesh, ElementTetN0(), elements=sc)) / PENETRATION_DEPTH**2
    K = asm(curl_curl, basis) + M_sc
    px, py, _ = mesh.p
    a = nedelec_interpolation(basis) @ np.column_stack([-py / 2, px / 2, 0 * px]).ravel()
    free = basis.complement_dofs(basis.get_dofs())
    return basis, K, -M_sc @ a, free, np.unique(basis.element_dofs[:, sc])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="*", default=[14, 24, 35])
    parser.add_argument("--max-direct-gib", type=float, default=12.0)
    parser.add_argument("--gmsh", type=float, nargs="*", default=[], metavar="h")
    args = parser.parse_args(argv)
    cases = [(f"box n={n}", box_sphere_in_box, n) for n in args.n]
    cases += [(f"gmsh h={h}", gmsh_sphere_in_box, h) for h in args.gmsh]
    rows = []
    for name, make_mesh, size in cases:
        t0 = time.perf_counter()
        basis, K, b, free, sc = london_system(*make_mesh(size))
        t_asm = time.perf_counter() - t0
        x_ams, ams = solve_curl_curl(K, b, basis, free_dofs=free, method="ams-cg", tol=1e-10)
        row = {"mesh": name, "edges": basis.N, "unknowns": len(free), "assembly_s": t_asm,
               "ams_iterations": ams["iterations"], "ams_setup_s": ams["setup_s"],
               "ams_s": ams["time_s"], "ams_residual": ams["residual"]}
        K_ff = K[free][:, free]
        row["lu_estimate_gib"] = estimate_direct_memory(K_ff) / 2**30
        try:
            x_lu, lu = solve_curl_curl(K, b, basis, free_dofs=free, method="direct",
                                       max_direct_memory=args.max_direct_gib * 2**30)
            row.update(direct_s=lu["time_s"], direct_residual=lu["residual"],
                       factor_nnz=lu["factor_nnz"],
                       fill_coefficient=lu["factor_nnz"] / (K_ff.nnz * len(free) ** (2 / 3)),
                       difference=np.linalg.norm(x_lu[sc] - x_ams[sc]) / np.linalg.norm(x_lu[sc]))
        except SolverError as err:
            row["direct"] = f"refused/failed: {err}"
        rows.append(row)
        print(row, flush=True)
    print("\nmesh            edges  unknowns  AMS its  AMS setup  AMS total   direct  LU est.  "
          "fill c  diff")
    for r in rows:
        direct = (f"{r['direct_s']:7.1f}s  {r['lu_estimate_gib']:5.1f}GiB  "
                  f"{r['fill_coefficient']:.3f}  {r['difference']:.1e}"
                  if "direct_s" in r else f"refused  {r['lu_estimate_gib']:5.1f}GiB")
        print(f"{r['mesh']:12s} {r['edges']:8d} {r['unknowns']:9d} {r['ams_iterations']:8d} "
              f"{r['ams_setup_s']:9.2f}s {r['ams_s']:9.2f}s {direct}")
    return rows


if __name__ == "__main__":
    main()
