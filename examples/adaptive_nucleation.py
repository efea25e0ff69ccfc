"""Adaptive vs uniform meshes for the surface nucleation field of a disk, with error bars.

The nucleation field of a natural-boundary disk of radius R = 10 ξ is B = 1.75389685504 B_c2
(the Bessel/Kummer reference of the test suite, max over the angular momentum L = 78). The
nucleus is a surface state a magnetic length thick whose phase winds ~78 times around the rim,
so a uniform mesh wastes most of its unknowns in the interior.

* adaptive: ``nucleation_field(geometry.disk(1.0, h=0.1), "100 nm", tol=1e-3)`` — each step
  finds the root ε₀(b) = (L₀/ξ)² (warm-started from the previous mesh), estimates its error
  (the two-level P2/P3 eigenvalue estimate divided by the slope dε₀/db), refines where the
  estimate's element indicators are large and where the resolution checks (phase winding,
  magnetic length, ξ) fail, and remeshes the disk with gmsh at order 2 (isoparametric P2);
* uniform: ``geometry.disk(1.0, h=H, order=2)`` for a list of H, each root warm-started from
  the previous (``start=``).

Writes ``adaptive_nucleation.csv`` (columns ``kind, ndofs, ratio, estimate, true_error,
seconds``: B/B_c2, the signed estimated error and the true error exact − value — same sign
convention, exact ≈ value + error —, wall time of that mesh) and
``adaptive_nucleation.png`` (|true error| and |estimate| vs unknowns, both kinds), and prints
the DOFs each kind needs for the target (uniform: fit of |error| ∝ DOFs^−p through its last
two points).

``--quick`` (used by the test suite): R = 2 ξ (exact 2.1080013041495 B_c2, L = 2), tol 1e-2,
two uniform meshes — seconds, not minutes.

Full run, measured when this example was written (R = 10 ξ, tol 1e-3; 2 cores shared with
other jobs, load 6–9 during the first steps, so those times are ~3× an idle machine's; true
error = exact − value and |estimate| in units of B_c2):

    kind       DOFs   B/B_c2       |estimate|  true error  time [s]
    adaptive    1574  0.99948432   5.1e-04     +7.54e-01      37  (bulk state: unresolved)
    adaptive   30760  1.50191856   9.6e-02     +2.52e-01     477  (phase winding unresolved)
    adaptive   68576  1.70473561   1.7e-02     +4.92e-02     572
    adaptive  118084  1.72303240   5.0e-03     +3.09e-02      74
    adaptive  215091  1.74302371   4.8e-03     +1.09e-02      87
    adaptive  401818  1.74975516   2.3e-03     +4.14e-03     216
    uniform    36826  1.52035494   1.18e-01    +2.34e-01     505  (h = 0.02, order 2)
    uniform    74848  1.65215519   1.06e-01    +1.02e-01     580  (h = 0.014)
    uniform   110702  1.69862148   5.01e-02    +5.53e-02      90  (h = 0.0115)

At equal unknowns the adaptive error is 1.8–2× smaller; extrapolating both (|error| ∝
DOFs^−1.55 from their last two points) to 1e-3 gives ~1.0M (adaptive) vs ~1.5M (uniform)
unknowns: a factor ~1.5, not the 3 of issue 10. The estimate underestimates the adaptive
meshes' error 2–6× (effectivity 0.16–0.56; uniform 0.5–1.0).

Run:  python examples/adaptive_nucleation.py [--quick] [output_dir]   (default ./out)
"""

from __future__ import annotations

import argparse
import csv
import os
import time
import warnings
from pathlib import Path

import numpy as np

from mqm_fem import geometry
from mqm_fem.quantum.nucleation import nucleation_field

#: (R/ξ, exact B/B_c2, tol, adaptive max_steps, uniform h list) per mode
CASES = {
    "full": (10.0, 1.75389685504, 1e-3, 10, (0.03, 0.02, 0.014, 0.0115)),
    "quick": (2.0, 2.1080013041495, 1e-2, 3, (0.35, 0.2)),
}

def run(mode: str = "full", progress=None):
    """The adaptive history and the uniform series as rows
    (kind, ndofs, ratio, estimate, true_error, seconds)."""
    ratio_r, exact, tol, steps, hs = CASES[mode]
    xi = 1e-6 / ratio_r  # the disk has radius 1 µm
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coarse meshes warn about their resolution
        result = nucleation_field(geometry.disk(1.0, h=0.1 if mode == "full" else 0.4), xi,
                                  tol=tol, adaptivity={"max_steps": steps}, progress=progress)
        for step in result.adaptivity.steps:
            rows.append(("adaptive", step.ndofs, step.value, step.error, exact - step.value,
                         step.seconds))
        previous = None
        for h in hs:
            start = time.perf_counter()
            uniform = nucleation_field(geometry.disk(1.0, h=h, order=2), xi, start=previous)
            previous = uniform
            est = uniform.estimate
            rows.append(("uniform", uniform.ndofs, uniform.ratio,
                         est.error if est is not None else float("nan"),
                         exact - uniform.ratio, time.perf_counter() - start))
            if progress:
                progress(f"uniform h = {h}: {uniform.ndofs} DOFs, B/B_c2 = {uniform.ratio:.8f}")
    return rows, tol


def dofs_needed(rows, kind: str, tol: float, exact: float) -> float:
    """Unknowns ``kind`` needs for |error| ≤ tol·exact: the first mesh that meets it
    (adaptive), or the power law through the last two points extrapolated (uniform)."""
    pts = [(n, abs(e)) for k, n, _, _, e, _ in rows if k == kind]
    goal = tol * exact
    met = [n for n, e in pts if e <= goal]
    if kind == "adaptive" or len(pts) < 2:
        return float(min(met)) if met else float("nan")
    (n1, e1), (n2, e2) = pts[-2:]
    if met and min(met) < n2:
        return float(min(met))
    if e1 <= 0 or e2 <= 0 or e1 == e2:
        return float("nan")
    p = -np.log(e2 / e1) / np.log(n2 / n1)
    return float(n2 * (e2 / goal) ** (1 / p)) if p > 0 else float("nan")


def write(rows, outdir: Path, title: str) -> tuple[Path, Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    csv_path = outdir / "adaptive_nucleation.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("kind", "ndofs", "ratio", "estimate", "true_error", "seconds"))
        writer.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for kind, color in (("adaptive", "C0"), ("uniform", "C1")):
        n = np.array([r[1] for r in rows if r[0] == kind], dtype=float)
        err = np.array([abs(r[4]) for r in rows if r[0] == kind])
        est = np.array([abs(r[3]) for r in rows if r[0] == kind])
        ax.loglog(n, err, "o-", color=color, label=f"{kind}: |true error|")
        ax.loglog(n, est, "x--", color=color, label=f"{kind}: |estimate|")
    ax.set_xlabel("unknowns (DOFs)")
    ax.set_ylabel("error of B/B_c2")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = outdir / "adaptive_nucleation.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return csv_path, png


def main(outdir="out", quick: bool = False, progress=print):
    mode = "quick" if quick else "full"
    ratio_r, exact, tol, _, _ = CASES[mode]
    rows, tol = run(mode, progress=progress)
    csv_path, png = write(rows, Path(outdir), f"disk R = {ratio_r:g} ξ: nucleation field")
    print(f"{'kind':>9} {'DOFs':>8} {'B/B_c2':>14} {'estimate':>10} {'true error':>11} "
          f"{'effectivity':>11} {'time [s]':>9}")
    for kind, n, value, est, err, sec in rows:
        eff = est / err if err else float("nan")
        print(f"{kind:>9} {n:>8d} {value:>14.10f} {est:>+10.3e} {err:>+11.3e} {eff:>11.2f} "
              f"{sec:>9.1f}")
    adaptive = dofs_needed(rows, "adaptive", tol, exact)
    uniform = dofs_needed(rows, "uniform", tol, exact)
    print(f"DOFs for |error| <= {tol:g} B/B_c2 (relative): adaptive {adaptive:.0f}, uniform "
          f"{uniform:.0f} -> ratio {uniform / adaptive:.2f}")
    return {"rows": rows, "csv": csv_path, "png": png, "adaptive_dofs": adaptive,
            "uniform_dofs": uniform, "exact": exact, "tol": tol}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default=os.environ.get("MQM_FEM_OUT", "out"))
    parser.add_argument("--quick", action="store_true", help="R = 2 ξ, tol 1e-2 (seconds)")
    args = parser.parse_args()
    main(args.outdir, quick=args.quick)
