r"""Log–log scaling plots of the side-by-side benchmarks (mqm_fem vs NGSolve and other peers).

Reads the JSON files the benchmarks write and draws, into ``--out`` (default
``benchmarks/out/``), with matplotlib's Agg backend:

* ``london_scaling.png`` — 3D London sphere (``london_sphere.py --json``): wall time of
  assembly + solve vs Nédélec unknowns for mqm_fem and every NGSolve preconditioner, one colour
  per code/variant and one marker per thread count (several files, e.g. a 1-thread and a
  2-thread run, go on the same axes), with an O(N) reference line;
* ``london_memory.png`` — the same runs' peak RSS (whole worker process) vs unknowns, O(N) line;
* ``eigen_scaling.png`` — 2D P2 eigenproblem (``eigen_disk.py``): time (assembly + solve) and
  peak RSS vs unknowns, both codes, O(N) lines;
* ``mesh_load.png`` — mesh loading (``mesh_load.py --json``): load wall time vs tetrahedra per
  reader (mqm_fem 2.2 / 4.1 / cached, meshio, netgen), O(N) line and the 5 s target.

The O(N) lines pass through mqm_fem's largest-N point: points of smaller N above the line mean
better than linear growth towards large N, below it worse. Peak RSS includes the interpreter and
the imports (≈ 100–200 MiB), which flattens the small-N end.

Input formats: ``{"rows": [...], ...}`` or a bare list of rows. ``london_sphere.py --json``
and ``mesh_load.py --json`` write the former. ``eigen_disk.py`` has no ``--json`` (its
``main()`` returns the rows): dump them with::

    python -c "import sys, json; sys.path.insert(0, 'benchmarks'); import eigen_disk; \
json.dump({'threads': 1, 'rows': eigen_disk.main(sys.argv[1:])}, open('eigen.json', 'w'))" \
--threads 1

Missing files, unreadable files and rows without the needed keys (failed runs) are skipped with a
printed note; a figure without any data is not drawn (also with a note).

Usage::

    python benchmarks/plot_scaling.py --london t1.json t2.json --eigen eigen.json \
        --mesh-load mesh_load.json [--out benchmarks/out]
    python benchmarks/plot_scaling.py t1.json t2.json eigen.json   # kinds told by the rows
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
MARKERS = {1: "o", 2: "s", 4: "^", 8: "D"}
COLOURS = {"mqm_fem": "C0", "NGSolve hcurlamg": "C1", "NGSolve local": "C2",
           "NGSolve bddc": "C3", "mqm_fem 2.2": "C0", "mqm_fem 4.1": "C4",
           "mqm_fem cached": "C9", "meshio 2.2": "C5", "meshio 4.1": "C6",
           "netgen 2.2": "C1", "NGSolve": "C1"}


def _kind(rows: list) -> str | None:
    """'london', 'eigen' or 'mesh_load' from the keys of the rows (None: unknown)."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        if "reader" in row:
            return "mesh_load"
        if isinstance(row.get("mqm"), dict):
            return "eigen"
        if any(key.startswith(("mqm_", "ng_")) for key in row):
            return "london"
    return None


def load(path: Path) -> tuple[dict, list[dict]] | None:
    """(file header, rows) of one benchmark JSON file, or None (with a note) if unusable."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        print(f"note: {path} skipped ({type(err).__name__}: {err})")
        return None
    header, rows = ({k: v for k, v in data.items() if k != "rows"}, data.get("rows")) \
        if isinstance(data, dict) else ({}, data)
    if not isinstance(rows, list):
        print(f"note: {path} skipped (no list of rows)")
        return None
    return header, [row for row in rows if isinstance(row, dict)]


def _num(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out > 0 and out == out else None  # positive and not NaN (log axes)


# -- series: {(label, threads): [(N, value), ...]} ---------------------------------------------
def london_series(files: list[tuple[dict, list[dict]]]):
    time, rss = defaultdict(list), defaultdict(list)
    for header, rows in files:
        for row in rows:
            threads = row.get("threads", header.get("threads", 1))
            n = _num(row.get("mqm_unknowns"))
            t = _num((row.get("mqm_assembly_s") or 0) + (row.get("mqm_solve_s") or 0)) \
                if "mqm_solve_s" in row else None
            if n and t:
                time[("mqm_fem", threads)].append((n, t))
            if n and _num(row.get("mqm_peak_rss_mib")):
                rss[("mqm_fem", threads)].append((n, row["mqm_peak_rss_mib"]))
            for pc in sorted({key.split("_")[1] for key in row if key.startswith("ng_")}):
                g = {key[len(f"ng_{pc}_"):]: val for key, val in row.items()
                     if key.startswith(f"ng_{pc}_")}
                n_ng = _num(g.get("unknowns")) or n
                if not n_ng or "solve_s" not in g or g.get("converged") is False:
                    continue  # failed, or stopped at the iteration cap: no solve time
                t = _num((g.get("assembly_s") or 0) + (g.get("solve_s") or 0))
                if t:
                    time[(f"NGSolve {pc}", threads)].append((n_ng, t))
                if _num(g.get("peak_rss_mib")):
                    rss[(f"NGSolve {pc}", threads)].append((n_ng, g["peak_rss_mib"]))
    return time, rss


def eigen_series(files: list[tuple[dict, list[dict]]]):
    time, rss = defaultdict(list), defaultdict(list)
    for header, rows in files:
        threads = header.get("threads")
        for row in rows:
            for label, key in (("mqm_fem", "mqm"), ("NGSolve", "ngsolve")):
                res = row.get(key)
                if not isinstance(res, dict) or "error" in res:
                    continue
                n = _num(res.get("ndofs"))
                t = _num((res.get("assembly") or 0) + (res.get("solve") or 0))
                if n and t:
                    time[(label, threads)].append((n, t))
                if n and _num(res.get("rss_gb")):
                    rss[(label, threads)].append((n, 1024.0 * res["rss_gb"]))
    return time, rss


def mesh_load_series(files: list[tuple[dict, list[dict]]]):
    time = defaultdict(list)
    for _header, rows in files:
        for row in rows:
            n, t = _num(row.get("tets")), _num(row.get("load_s"))
            if "error" not in row and n and t:
                time[(row.get("reader", "?"), None)].append((n, t))
    return time


# -- drawing -----------------------------------------------------------------------------------
def _draw(ax, series: dict, ylabel: str, xlabel: str, reference: str = "mqm_fem",
          target: float | None = None):
    """One log–log panel: a line per (label, threads), O(N) through the reference's last point."""
    from matplotlib.ticker import NullFormatter

    def order(item):  # the reference code first in the legend, then by name and threads
        (label, threads), _ = item
        return not label.startswith(reference), label, threads or 0

    for (label, threads), points in sorted(series.items(), key=order):
        points = sorted(points)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        name = label if threads is None else f"{label}, {threads} thread{'s' * (threads != 1)}"
        ax.loglog(xs, ys, marker=MARKERS.get(threads, "o"), color=COLOURS.get(label),
                  linestyle="-" if threads in (None, 1) else "--", label=name)
    anchors = [max(points) for (label, _t), points in series.items()
               if label.startswith(reference) and points]
    if not anchors:
        anchors = [max(points) for points in series.values() if points]
    xs = [p[0] for points in series.values() for p in points]
    if anchors and xs:
        n0, y0 = max(anchors)
        lo, hi = min(xs), max(xs)
        ax.loglog([lo, hi], [y0 * lo / n0, y0 * hi / n0], color="0.5", linestyle=":",
                  label="O(N)")
    if target:
        ax.axhline(target, color="r", linewidth=0.8, linestyle="-.", label=f"target {target:g} s")
    ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only (no overlaps)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)


def _figure(path: Path, panels: list[tuple], title: str) -> Path | None:
    """Draw the panels (series, ylabel, xlabel, reference[, target]) that have data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in panels if any(p[0].values())]
    if not panels:
        print(f"note: {path.name} not drawn (no usable rows)")
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.8), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        _draw(ax, *panel)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")
    return path


def main(argv=None) -> dict[str, Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="benchmark JSON files of any kind (told by their rows)")
    parser.add_argument("--london", nargs="+", type=Path, default=[],
                        help="london_sphere.py --json files (e.g. 1- and 2-thread runs)")
    parser.add_argument("--eigen", nargs="+", type=Path, default=[],
                        help="eigen_disk.py rows as JSON")
    parser.add_argument("--mesh-load", nargs="+", type=Path, default=[],
                        help="mesh_load.py --json files")
    parser.add_argument("--out", type=Path, default=OUT, help="directory of the PNGs")
    args = parser.parse_args(argv)

    inputs: dict[str, list] = {"london": [], "eigen": [], "mesh_load": []}
    given = [(None, p) for p in args.files] + [("london", p) for p in args.london] \
        + [("eigen", p) for p in args.eigen] + [("mesh_load", p) for p in args.mesh_load]
    for kind, path in given:
        if not path.exists():
            print(f"note: {path} missing, skipped")
            continue
        loaded = load(path)
        if loaded is None:
            continue
        found = _kind(loaded[1])
        if found is None or (kind and found != kind):
            print(f"note: {path} skipped (rows are "
                  f"{'not recognised' if found is None else found + ' rows'}"
                  f"{'' if kind is None else ', expected ' + kind})")
            continue
        inputs[found].append(loaded)

    written: dict[str, Path] = {}
    time, rss = london_series(inputs["london"])
    for name, series, ylabel in (("london_scaling", time, "assembly + solve, wall s"),
                                 ("london_memory", rss, "peak RSS, MiB")):
        path = _figure(args.out / f"{name}.png",
                       [(series, ylabel, "Nédélec unknowns (free)", "mqm_fem")],
                       "3D London sphere, lowest-order Nédélec")
        if path:
            written[name] = path
    time, rss = eigen_series(inputs["eigen"])
    path = _figure(args.out / "eigen_scaling.png",
                   [(time, "assembly + solve, wall s", "P2 unknowns", "mqm_fem"),
                    (rss, "peak RSS, MiB", "P2 unknowns", "mqm_fem")],
                   "2D P2 eigenproblem, 6 states")
    if path:
        written["eigen_scaling"] = path
    series = mesh_load_series(inputs["mesh_load"])
    path = _figure(args.out / "mesh_load.png",
                   [(series, "load wall s", "tetrahedra", "mqm_fem 4.1", 5.0)],
                   "Mesh loading (gmsh .msh)")
    if path:
        written["mesh_load"] = path
    return written


if __name__ == "__main__":
    main()
