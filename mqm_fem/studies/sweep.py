"""The public :func:`sweep`: a task over a grid, into a store, locally or on Dask."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..errors import ParameterError
from ..parallel import Grid, Store, StoreReport, describe_callable, run_points
from ..progress import ProgressLike
from .task import Task, evaluate

__all__ = ["SweepResult", "sweep", "sweep_spec"]


@dataclass
class SweepResult:
    """The outcome of :func:`sweep`.

    ``records``: one dict per point in index order (``index, key, parameters, status, outputs,
    error, seconds, worker``); ``csv_path``: the tidy table ``results.csv``; ``report``: the
    store's integrity check (:meth:`~mqm_fem.parallel.Store.verify`); ``names``: the grid's
    parameter names.
    """

    records: list
    csv_path: Path
    report: StoreReport
    names: tuple
    directory: Path

    def table(self) -> list[dict]:
        """One flat dict per point: index, parameters, outputs, status, error, seconds,
        worker."""
        rows = []
        for r in self.records:
            row = {"index": r["index"], **r["parameters"], **(r.get("outputs") or {})}
            row.update(status=r["status"], error=r["error"], seconds=r["seconds"],
                       worker=r["worker"])
            rows.append(row)
        return rows

    @property
    def failed(self) -> list[dict]:
        """Records of the points whose solve raised (status ``"error"``)."""
        return [r for r in self.records if r["status"] != "ok"]

    def column(self, name: str) -> list:
        """One column of :meth:`table` (None where a point lacks it)."""
        return [row.get(name) for row in self.table()]

    def plot(self, x: str, y: str, path=None, *, title: str | None = None) -> Path:
        """Plot output or parameter ``y`` against ``x`` (one curve per combination of the other
        grid parameters) as a PNG; default ``<store>/summary.png``. Failed points are left out.
        Returns the path."""
        from ..io.files import atomic_write, check_writable
        from ..units import parse_quantity

        path = check_writable(self.directory / "summary.png" if path is None else path,
                              ".png", "path")
        rows = [r for r in self.table() if r["status"] == "ok"]
        for name in (x, y):
            if rows and name not in rows[0]:
                raise ParameterError(f"plot: {name!r} is not a column (columns: "
                                     f"{', '.join(rows[0])})")
        others = [n for n in self.names if n not in (x, y)]
        curves: dict = {}
        for r in rows:
            label = ", ".join(f"{n} = {r[n]}" for n in others)
            curves.setdefault(label, []).append((_number(r[x], parse_quantity),
                                                 _number(r[y], parse_quantity)))
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        try:
            for label, pairs in curves.items():
                pairs.sort()
                ax.plot([p[0] for p in pairs], [p[1] for p in pairs], "o-", ms=3,
                        label=label or None)
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            if title:
                ax.set_title(title)
            if len(curves) > 1 and len(curves) <= 12:
                ax.legend(fontsize=7)
            fig.tight_layout()
            atomic_write([(path, lambda tmp: fig.savefig(tmp, dpi=120))])
        finally:
            plt.close(fig)
        return path


def _number(value, parse_quantity) -> float:
    if isinstance(value, str):
        for kind in ("magnetic_field", "length", "temperature"):
            try:
                return parse_quantity(value, kind, "value")
            except ParameterError:
                continue
        return math.nan
    return math.nan if value is None else float(value)


def sweep_spec(task) -> dict:
    """What a sweep's specification hash covers for ``task`` (with the grid)."""
    if isinstance(task, Task):
        spec = {"task": task.describe()}
        if task.mesh is not None:  # the same file name with other contents is another sweep
            from ..io import file_sha256

            spec["mesh_sha256"] = file_sha256(task.mesh)
            if spec["mesh_sha256"] is None:
                raise ParameterError(f"task mesh: {task.mesh} is not a readable file")
        return spec
    return {"function": describe_callable(task)}


def sweep(task: Task | Callable[[Mapping], Mapping], grid: Grid, store, *, client=None,
          scheduler=None, workers: int | None = None, on_change: str = "refuse",
          progress: ProgressLike = True) -> SweepResult:
    """Run ``task`` at every point of ``grid``, keeping every finished point in ``store``.

    Parameters
    ----------
    task : Task or callable
        A :class:`Task` (a solve specification), or a picklable function
        ``parameters (dict) -> outputs (dict of numbers)``.
    grid : Grid
        :func:`~mqm_fem.parallel.product` or :func:`~mqm_fem.parallel.zipped` of parameter
        lists.
    store : str, Path or Store
        The sweep directory (:class:`~mqm_fem.parallel.Store`). Rerunning the same sweep
        resumes it; a changed task or grid is refused (``on_change="refuse"``) or started anew
        with the old points put aside (``"restart"``).
    client, scheduler :
        Run on Dask: a :class:`distributed.Client`, or a scheduler address
        (``"tcp://host:8786"``) or cluster. Default: ``workers`` local processes
        (``os.cpu_count()``; 1 = serial in this process).
    progress : True, False or callable
        Progress with ETA (see :class:`~mqm_fem.parallel.ProgressBar`).

    Returns
    -------
    SweepResult
        The records, the table, the failed points and the store's integrity report. A point
        whose solve failed is recorded with its error; the sweep goes on.
    """
    if not isinstance(grid, Grid):
        raise ParameterError(f"grid: expected a Grid (mqm_fem.product or mqm_fem.zipped), got "
                             f"{type(grid).__name__}")
    if isinstance(task, Task):
        task.check_parameters(grid.names)
        func = partial(evaluate, task)
    elif callable(task):
        func = task
    else:
        raise ParameterError(f"task: expected a Task or a callable parameters -> dict, got "
                             f"{task!r}")
    store = store if isinstance(store, Store) else Store(store)
    store.open(sweep_spec(task), grid, on_change=on_change)
    try:
        records = run_points(func, grid, store=store, client=client, scheduler=scheduler,
                             workers=workers, progress=progress)
        report = store.verify()
    finally:
        store.close()
    return SweepResult(records=records, csv_path=store.csv_path, report=report,
                       names=tuple(grid.names), directory=store.directory)
