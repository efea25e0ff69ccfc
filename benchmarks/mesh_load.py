r"""Side-by-side benchmark: loading a gmsh tetrahedral mesh, mqm_fem vs meshio vs NGSolve.

Meshes: the sphere-in-a-ball meshes of ``benchmarks/london_sphere.py`` (``sphere_<size>.msh``,
ASCII msh 2.2, physical volumes "superconductor"/"vacuum" and surfaces "surface"/"outer"), from
``--meshes`` (default ``/work/bench-meshes``; sizes whose file is missing are skipped — make
them with ``london_sphere.py --worker mesh H PATH``). Each is also written as binary msh 4.1
(gmsh's own writer, in a separate process) into ``--workdir``.

Every (size, reader) pair runs in its own subprocess, so "peak RSS" is that process's
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (interpreter, imports and the mesh), read once
right after the load ("RSS load") and at the end, after the tables ("peak RSS"). Times are
wall and CPU (``time.process_time``) seconds of the load alone, imports excluded (reported
separately):

* ``mqm_fem 2.2`` / ``mqm_fem 4.1``: :func:`mqm_fem.load_mesh` with the cache off
  (``cache=False``): parse, merge, orient, regions, named boundaries and the facet tables
  (``mesh.facets``/``t2f``/``f2t``, built by load_mesh). The column "tables" is what a solver
  adds right after: the edge tables of the Nédélec formulations
  (:func:`mqm_fem.fem.nedelec.prepare_tet_edges`) and any facet table still missing.
* ``mqm_fem cached``: the same ASCII 2.2 file a second time, from the on-disk cache (written by
  an untimed earlier process into ``<workdir>/cache``).
* ``meshio 2.2`` / ``meshio 4.1``: plain ``meshio.read`` (arrays only, no facets/regions).
* ``netgen 2.2``: NGSolve's ``netgen.read_gmsh.ReadGmsh`` (reads ASCII msh 2 only) plus
  ``ngsolve.Mesh(...)`` (its topology tables), in "tables".

Usage::

    python benchmarks/mesh_load.py --quick      # 50k only
    python benchmarks/mesh_load.py              # 50k, 200k, 1M (and 2M if its file exists)
    python benchmarks/mesh_load.py --sizes 1M --extra other.msh   # any ASCII msh 2.2 too
    python benchmarks/mesh_load.py --json mesh_load.json   # also the rows as JSON

``--json FILE`` writes ``{"machine": ..., "rows": [...]}``, one row per (mesh, reader) with the
keys of the table (``size``, ``reader``, ``tets``, ``load_s``, ``load_cpu_s``, ``tables_s``,
``peak_rss_mib``, ...; ``error`` for a failed reader), read by ``benchmarks/plot_scaling.py``.
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

from machine import machine_info  # benchmarks/machine.py (script directory)

SIZES = ("50k", "200k", "1M", "2M")
READERS = ("mqm_fem 2.2", "mqm_fem 4.1", "mqm_fem cached", "meshio 2.2", "meshio 4.1",
           "netgen 2.2")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def worker(reader: str, path: str) -> dict:
    """Load ``path`` with ``reader`` in this process; times and peak RSS."""
    start = _clock()
    if reader.startswith("mqm_fem"):
        import mqm_fem  # noqa: F401
        from mqm_fem.fem.nedelec import prepare_tet_edges
        from mqm_fem.mesh import load_mesh
    elif reader.startswith("meshio"):
        import meshio
    else:
        import ngsolve
        from netgen.read_gmsh import ReadGmsh
    import_s, _ = _since(start)
    start = _clock()
    out: dict = {}
    if reader.startswith("mqm_fem"):
        domain = load_mesh(path, cache=reader.endswith("cached"))
        load = _since(start)
        out["load_rss_mib"] = peak_rss_mib()
        start = _clock()
        mesh = domain.mesh
        mesh.facets, mesh.t2f, mesh.f2t  # noqa: B018 - built by load_mesh: free
        prepare_tet_edges(mesh)
        out.update(tets=int(mesh.nelements), vertices=int(mesh.p.shape[1]),
                   edges=int(mesh.edges.shape[1]))
    elif reader.startswith("meshio"):
        raw = meshio.read(path)
        load = _since(start)
        out["load_rss_mib"] = peak_rss_mib()
        start = _clock()
        out.update(tets=int(sum(len(b.data) for b in raw.cells if b.type == "tetra")),
                   vertices=int(len(raw.points)))
    else:
        ngmesh = ReadGmsh(path)
        load = _since(start)
        out["load_rss_mib"] = peak_rss_mib()
        start = _clock()
        mesh = ngsolve.Mesh(ngmesh)
        out.update(tets=int(mesh.ne), vertices=int(mesh.nv), edges=int(mesh.nedge))
    tables = _since(start)
    out.update(import_s=import_s, load_s=load[0], load_cpu_s=load[1], tables_s=tables[0],
               tables_cpu_s=tables[1], peak_rss_mib=peak_rss_mib())
    return out


def write_binary(src: Path, dst: Path) -> None:
    """``src`` re-written by gmsh as binary msh 4.1 (in this process)."""
    import gmsh

    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.open(str(src))
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.option.setNumber("Mesh.Binary", 1)
        tmp = dst.with_suffix(".tmp.msh")
        gmsh.write(str(tmp))
        os.replace(tmp, dst)
    finally:
        gmsh.finalize()


def _run(args: list[str], env: dict, timeout: float = 1800) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"error": tail[:120]}


def main(argv=None) -> list[dict] | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50k only")
    parser.add_argument("--sizes", nargs="+", choices=SIZES, help="sizes to run")
    parser.add_argument("--meshes", type=Path, default=Path("/work/bench-meshes"),
                        help="directory with sphere_<size>.msh (ASCII msh 2.2)")
    parser.add_argument("--workdir", type=Path,
                        default=Path(os.environ.get("TMPDIR", "/tmp")) / "mqm_fem_mesh_load",
                        help="binary copies and the cache go here")
    parser.add_argument("--extra", nargs="+", type=Path, default=[],
                        help="more ASCII msh 2.2 files (3D, tetrahedra) to load")
    parser.add_argument("--readers", nargs="+", choices=READERS, default=list(READERS))
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument("--worker", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--write-binary", nargs=2, metavar=("SRC", "DST"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(*args.worker)), flush=True)
        return
    if args.write_binary:
        write_binary(*map(Path, args.write_binary))
        return

    sizes = ["50k"] if args.quick else (args.sizes or list(SIZES))
    args.workdir.mkdir(parents=True, exist_ok=True)
    cache = args.workdir / "cache"
    env = {**os.environ, "MQM_FEM_CACHE": str(cache), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    rows = []
    meshes = [(size, args.meshes / f"sphere_{size}.msh") for size in sizes]
    meshes += [(path.stem, path) for path in args.extra]
    for size, ascii_path in meshes:
        if not ascii_path.exists():
            print(f"{size}: {ascii_path} missing, skipped", file=sys.stderr)
            continue
        binary = args.workdir / f"{ascii_path.stem}_bin41.msh"
        if not binary.exists() or binary.stat().st_mtime < ascii_path.stat().st_mtime:
            _run(["--write-binary", str(ascii_path), str(binary)], env)
        for reader in args.readers:
            path = binary if reader.endswith("4.1") else ascii_path
            if reader.endswith("cached"):  # warm the cache, untimed
                _run(["--worker", "mqm_fem cached", str(path)], env)
            res = _run(["--worker", reader, str(path)], env)
            res.update(size=size, reader=reader, file_mib=path.stat().st_size / 2**20)
            print(json.dumps(res), file=sys.stderr, flush=True)
            rows.append(res)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_info(), "rows": rows}, indent=1))
    return rows


def _fmt(row, key, spec, missing="—"):
    value = row.get(key)
    return missing if value is None else format(value, spec)


def print_table(rows) -> None:
    info = machine_info()
    print(f"\nMachine: {info.get('cpu')}, {info.get('cores')} cores, {info.get('ram', '?')}; "
          f"numpy {info['numpy']}, scikit-fem {info['scikit-fem']}, ngsolve {info['ngsolve']}")
    print("\n| mesh | tets | reader | file MiB | load wall s | load CPU s | + tables s "
          "| imports s | RSS load MiB | peak RSS MiB |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if "error" in row:
            print(f"| {row['size']} | — | {row['reader']} | {row['file_mib']:.0f} | "
                  f"failed: {row['error']} | | | | | |")
            continue
        print(f"| {row['size']} | {row.get('tets', 0):,} | {row['reader']} | "
              f"{row['file_mib']:.0f} | {_fmt(row, 'load_s', '.2f')} | "
              f"{_fmt(row, 'load_cpu_s', '.2f')} | {_fmt(row, 'tables_s', '.2f')} | "
              f"{_fmt(row, 'import_s', '.2f')} | {_fmt(row, 'load_rss_mib', '.0f')} | "
              f"{_fmt(row, 'peak_rss_mib', '.0f')} |")


if __name__ == "__main__":
    main()
