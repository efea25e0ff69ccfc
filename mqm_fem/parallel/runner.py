"""Run independent points in parallel: local worker processes or a Dask cluster.

:func:`run_points` calls ``func(parameters) -> dict`` once for every grid point that a store
does not already hold. Where it runs is chosen by the arguments only:

* ``workers=1`` (or 0): in this process, one point after the other;
* ``workers=N`` (default: the number of CPUs): N local processes
  (:class:`concurrent.futures.ProcessPoolExecutor`). A worker that dies (segfault, out of
  memory, SIGKILL) breaks the pool: it is rebuilt and the points that were running are rerun
  one at a time, so a crash is counted only against a point that ran alone; a point that
  crashed alone :data:`CRASH_LIMIT` times is given up (left unfinished, see below);
* ``client=`` a :class:`distributed.Client` or ``scheduler=`` an address
  (``"tcp://host:8786"``) or a cluster object: Dask distributed, which reschedules the tasks of
  a killed worker itself (``pip install 'mqm-fem[sweep]'``).

Every result comes back to this (driver) process, which writes it to the store at once, so each
point is written exactly once, by one process. A point whose ``func`` raises is recorded with
status ``"error"`` and the message, and the sweep goes on (``on_error="raise"`` re-raises it
instead). A point lost for a reason of the machinery, not of ``func`` (a cancelled Dask
future, ``KilledWorker``, a lost connection or cluster, a local worker crashing
:data:`CRASH_LIMIT` times), is *not* recorded: it stays missing from the returned records and
the store (:meth:`Store.verify` lists it under ``missing``), a
:class:`~mqm_fem.errors.MqmFemWarning` names it, and rerunning the sweep retries it. ``func``
must be picklable: a module-level function or a :func:`functools.partial`
of one.
"""

from __future__ import annotations

import functools
import math
import os
import socket
import sys
import time
import traceback
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Mapping

from ..errors import MqmFemWarning, ParameterError
from ..progress import ProgressLike, is_terminal
from .grid import Grid
from .store import Store

__all__ = ["CRASH_LIMIT", "FILES_KEY", "ProgressBar", "describe_callable", "run_points"]

#: an output of this name, ``{suffix: bytes}``, is files of the point (e.g. ``{".vtu": ...}``):
#: the driver stores them as ``fields/<index><suffix>`` together with the point
FILES_KEY = "_files"

#: a point that ran alone in a local worker process which died this many times is given up
#: (left unfinished: a rerun of the sweep retries it)
CRASH_LIMIT = 3

#: names of exception classes that mean the machinery lost a point (not an error of the point)
_INFRASTRUCTURE = frozenset({
    "CancelledError", "FutureCancelledError", "KilledWorker", "CommClosedError",
    "BrokenProcessPool", "BrokenExecutor", "StreamClosedError", "WorkerCrash",
})


def _is_infrastructure(exc: BaseException) -> bool:
    """True for an exception of the machinery (Dask, the process pool, the network)."""
    return any(cls.__name__ in _INFRASTRUCTURE for cls in type(exc).__mro__)


# ============================================================================== progress
class ProgressBar:
    """Progress of a sweep with an ETA.

    ``progress``: ``True`` — on a terminal a tqdm bar (if tqdm is installed) or a ``\\r``
    counter, else (stderr redirected to a file) one line at the first and last point and at
    most one every ``interval`` seconds in between; a callable receives those lines instead;
    ``False``/``None``: silent. Lines read ``"{name}: {unit} k/n (describe(point)) done,
    t s elapsed, ETA s"``.
    """

    def __init__(self, progress: ProgressLike, total: int, *, name: str = "sweep",
                 unit: str = "point", describe: Callable[[Mapping], str] | None = None,
                 interval: float = 2.0):
        if progress is not None and not isinstance(progress, bool) and not callable(progress):
            raise ParameterError(
                f"progress: expected True, False or a callable, got {progress!r}")
        self.total, self.name, self.unit, self.interval = total, name, unit, interval
        self.describe = describe or _describe_parameters
        self.count = self.already = 0
        self.start = self.last = time.perf_counter()
        self._emit = self._bar = None
        self._counter = False
        if not progress:
            return
        if callable(progress) and not isinstance(progress, bool):
            self._emit = progress
        elif not is_terminal(sys.stderr):
            self._emit = _stderr_line
        else:
            try:
                from tqdm import tqdm
            except ImportError:
                self._counter = True
            else:
                self._bar = tqdm(total=total, desc=name, unit=unit)

    def start_at(self, already: int) -> None:
        """Points already finished before this run (resumed): counted, not timed."""
        self.count = self.already = already
        self.start = self.last = time.perf_counter()
        if self._bar is not None:
            self._bar.update(already)
        elif self._emit is not None and already:
            self._emit(f"{self.name}: resuming, {already}/{self.total} {self.unit}s already "
                       "done")

    def update(self, parameters: Mapping) -> None:
        self.count += 1
        now = time.perf_counter()
        if self._bar is not None:
            self._bar.update(1)
            return
        elapsed = now - self.start
        new = self.count - self.already
        left = self.total - self.count
        eta = f", ETA {_duration(elapsed / new * left)}" if left and new > 0 else ""
        if self._counter:
            sys.stderr.write(f"\r{self.name}: {self.unit} {self.count}/{self.total}{eta}   ")
            sys.stderr.flush()
            return
        if self._emit is None:
            return
        if new == 1 or left == 0 or now - self.last >= self.interval:
            text = self.describe(parameters)
            text = f" ({text})" if text else ""
            self._emit(f"{self.name}: {self.unit} {self.count}/{self.total}{text} done, "
                       f"{elapsed:.1f} s elapsed{eta}")
            self.last = now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._counter:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _describe_parameters(parameters: Mapping) -> str:
    return ", ".join(f"{k} = {v}" for k, v in parameters.items())


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ================================================================================ points
def describe_callable(func) -> str:
    """``module.qualname`` of a function (with the arguments of a ``functools.partial``): what
    a specification hash records of a user function."""
    if isinstance(func, functools.partial):
        args = ", ".join([describe_callable(func.func)] + [repr(a) for a in func.args]
                         + [f"{k}={v!r}" for k, v in sorted(func.keywords.items())])
        return f"functools.partial({args})"
    module = getattr(func, "__module__", None) or type(func).__module__
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}.{name}"


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _plain(name, value):
    """An output value as JSON: numbers, booleans, strings, None, lists of them."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None and isinstance(value, np.ndarray):
        return value.tolist()
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(name, v) for v in value]
    raise TypeError(f"output {name!r} is a {type(value).__name__}; return numbers, strings or "
                    "lists of them")


def call_point(func, index: int, key: str, parameters: dict, raise_errors: bool) -> dict:
    """Run ``func(parameters)`` for one point (in a worker) and return its record. Anything
    ``func`` raises (also :class:`SystemExit`; not :class:`KeyboardInterrupt`) makes an
    ``"error"`` record with the exception's type and message, unless ``raise_errors``."""
    start = time.perf_counter()
    try:
        result = func(dict(parameters))
        if not isinstance(result, Mapping):
            raise TypeError(f"the task returned a {type(result).__name__}, expected a dict "
                            "name -> number")
        result = dict(result)
        files = _files(result.pop(FILES_KEY, None))
        outputs = {str(k): _plain(k, v) for k, v in result.items()}
        status, error = "ok", None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit of a func calling sys.exit is its error too
        if raise_errors:
            raise
        outputs, status, files = {}, "error", None
        error = f"{type(exc).__name__}: {exc}"
        if not str(exc):
            error += " " + traceback.format_exc(limit=-1).strip().splitlines()[-1]
    record = {"index": index, "key": key, "parameters": dict(parameters), "status": status,
              "outputs": outputs, "error": error, "seconds": time.perf_counter() - start,
              "worker": _worker_id()}
    if files:
        record[FILES_KEY] = files
    return record


def _files(files) -> dict | None:
    if files is None:
        return None
    if not isinstance(files, Mapping) or not all(
            isinstance(k, str) and k.startswith(".") and "/" not in k and isinstance(v, bytes)
            for k, v in files.items()):
        raise TypeError(f"output {FILES_KEY!r} must map file suffixes ('.vtu') to bytes")
    return dict(files)


def _check_workers(workers) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ParameterError(f"workers: expected a whole number >= 0 (1 or 0: serial), got "
                             f"{workers!r}")
    return max(workers, 1)


def run_points(func: Callable[[dict], Mapping], points, *, store: Store | None = None,
               client=None, scheduler=None, workers: int | None = None,
               progress: ProgressLike | ProgressBar = True,
               on_error: str = "record") -> list[dict]:
    """Evaluate ``func(parameters) -> dict`` at every point; returns the records in index order.

    Parameters
    ----------
    func : callable
        Picklable; takes a point's parameters (dict) and returns outputs (name -> number or
        list of numbers).
    points : Grid or list of dict
        The points (:func:`~mqm_fem.parallel.product`, :func:`~mqm_fem.parallel.zipped`).
    store : Store, optional
        Where finished points are written (by this process, atomically, at once); points it
        already holds are skipped and returned from it. A store not yet opened is opened for
        ``{"function": module.qualname of func}``.
    client, scheduler :
        A :class:`distributed.Client`, or a scheduler address / cluster to connect to: run on
        Dask. Otherwise local processes.
    workers : int, optional
        Local worker processes (default ``os.cpu_count()``; 1 or 0: serial in this process).
    progress : bool, callable or ProgressBar
        See :class:`ProgressBar`.
    on_error : "record" or "raise"
        A point whose ``func`` raises: record it with status ``"error"`` and go on (default),
        or re-raise the exception here.

    Returns
    -------
    list of dict
        One record per finished point: ``index, key, parameters, status, outputs, error,
        seconds, worker`` (and ``files``, the stored files of the point; without a store, files
        a ``func`` returned under :data:`FILES_KEY` stay in the record under that key). A point
        lost by the machinery (see the module docstring) has no record: the list is then
        shorter than the grid, a :class:`~mqm_fem.errors.MqmFemWarning` names the missing
        indices, and a rerun retries them.
    """
    if not callable(func):
        raise ParameterError(f"func: expected a callable parameters -> dict, got {func!r}")
    if on_error not in ("record", "raise"):
        raise ParameterError(f"on_error: expected 'record' or 'raise', got {on_error!r}")
    grid = points if isinstance(points, Grid) else Grid.from_points(points)
    n_workers = _check_workers(workers)
    if client is None and scheduler is not None:
        client_factory = _dask_client(scheduler)
    elif client is not None:
        _dask_client(None)  # dask importable?
        client_factory = None
    else:
        client_factory = None
    opened_here = False
    if store is not None:
        if not isinstance(store, Store):
            raise ParameterError(f"store: expected a mqm_fem Store, got {store!r}")
        if store.grid is None:
            store.open({"function": describe_callable(func)}, grid)
            opened_here = True
        elif len(store.grid) != len(grid) or store.grid.keys != grid.keys:
            raise ParameterError(f"store {store.directory}: opened for another grid "
                                 f"({len(store.grid)} points, this one {len(grid)})")
    bar = progress if isinstance(progress, ProgressBar) else ProgressBar(progress, len(grid))
    results: dict[int, dict] = {}
    if store is not None:
        for record in store.records():
            results[int(record["index"])] = record
    bar.start_at(len(results))
    pending = [p for p in grid if p.index not in results]

    def finish(record: dict) -> None:
        if store is not None:
            store.write_point(record, record.pop(FILES_KEY, None))
            store.write_table(force=False)
        results[record["index"]] = record
        bar.update(record["parameters"])

    raise_errors = on_error == "raise"
    try:
        if pending:
            if client is not None or client_factory is not None:
                own = client is None
                dask_client = client if client is not None else client_factory()
                try:
                    _run_dask(dask_client, func, pending, raise_errors, finish)
                finally:
                    if own:
                        dask_client.close()
            elif n_workers == 1 or len(pending) == 1:
                for p in pending:
                    finish(call_point(func, p.index, p.key, p.parameters, raise_errors))
            else:
                _run_local(func, pending, min(n_workers, len(pending)), raise_errors, finish)
    finally:
        bar.close()
        if store is not None and store.grid is not None:
            store.write_table(force=True)
            store.write_collection()
            if opened_here:
                store.close()
    missing = [p.index for p in grid if p.index not in results]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        more = f" (+{len(missing) - 10} more)" if len(missing) > 10 else ""
        warnings.warn(f"sweep incomplete: {len(missing)} of {len(grid)} points not finished "
                      f"(lost by the workers or the cluster, not failed): {shown}{more}; rerun "
                      "the sweep to retry them", MqmFemWarning, stacklevel=2)
    return [results[i] for i in sorted(results)]


def _run_local(func, pending, n_workers, raise_errors, finish) -> None:
    """Local process pool, rebuilt after a worker died; at most ``n_workers`` points in flight,
    so the points running when a worker died are known. They become suspects and are rerun one
    at a time: a crash is counted only against a point that ran alone, and such a point is
    given up (left unfinished) after :data:`CRASH_LIMIT` crashes."""
    import multiprocessing
    import pickle
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if multiprocessing.get_start_method() != "fork":  # spawn/forkserver pickle func
        try:
            pickle.dumps(func)
        except Exception as exc:
            raise ParameterError(
                f"func: cannot be sent to worker processes ({type(exc).__name__}: {exc}); give "
                "a module-level function or a functools.partial of one, or workers=1"
            ) from None

    queue = deque(pending)
    suspects: deque = deque()  # were running when the pool broke: rerun alone
    crashes: Counter = Counter()

    def new_pool():  # func goes to each worker once, not with every point (it may hold a mesh)
        return ProcessPoolExecutor(n_workers, initializer=_install, initargs=(func,))

    def collect(fut, p, broken: list) -> None:
        try:
            record = fut.result()
        except BrokenProcessPool:
            broken.append(p)
            return
        except Exception as exc:  # the func raised (raise mode), or the machinery failed
            if raise_errors and not _is_infrastructure(exc):
                raise
            return  # not a result of the point: left unfinished, a rerun retries it
        finish(record)

    pool = new_pool()
    inflight: dict = {}
    try:
        while queue or suspects or inflight:
            if suspects:
                if not inflight:
                    p = suspects.popleft()
                    inflight[pool.submit(_call_installed, p.index, p.key, p.parameters,
                                         raise_errors)] = p
            else:
                while queue and len(inflight) < n_workers:
                    p = queue.popleft()
                    inflight[pool.submit(_call_installed, p.index, p.key, p.parameters,
                                         raise_errors)] = p
            running = len(inflight)
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken: list = []
            for fut in done:
                collect(fut, inflight.pop(fut), broken)
            if broken:
                # the other points in flight fail with the pool, or finished just before
                wait(inflight)
                for fut, p in list(inflight.items()):
                    collect(fut, p, broken)
                inflight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                if running == 1:  # it ran alone: the crash is its own
                    p = broken[0]
                    crashes[p.index] += 1
                    if crashes[p.index] < CRASH_LIMIT:
                        suspects.appendleft(p)
                else:
                    suspects.extend(broken)
                pool = new_pool()
    finally:
        pool.shutdown(wait=not inflight, cancel_futures=True)


_INSTALLED = None


def _install(func) -> None:
    """Pool initializer: keep the task function in the worker process, and end the worker when
    the driver is gone (killed with SIGKILL, its workers would otherwise wait forever)."""
    global _INSTALLED
    _INSTALLED = func
    import threading

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="mqm-parent-watch", daemon=True).start()


def _call_installed(index, key, parameters, raise_errors) -> dict:
    return call_point(_INSTALLED, index, key, parameters, raise_errors)


def _dask_client(scheduler):
    """A factory of a Client for ``scheduler`` (None: only check that dask is installed)."""
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError(
            "client/scheduler: running on Dask needs the distributed package; install it with "
            "pip install 'mqm-fem[sweep]', or leave client and scheduler unset to use local "
            "processes") from None
    if scheduler is None:
        return None
    if not isinstance(scheduler, str) and not hasattr(scheduler, "scheduler_address"):
        raise ParameterError(f"scheduler: expected an address like 'tcp://host:8786' or a "
                             f"cluster, got {scheduler!r}")
    return lambda: Client(scheduler)


def _run_dask(client, func, pending, raise_errors, finish) -> None:
    """Submit every point to Dask; the scheduler reschedules the tasks of a killed worker. A
    point whose future fails for a reason of the machinery (cancelled, ``KilledWorker``, lost
    connection or cluster) is left unfinished; so are the rest if the cluster is lost."""
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    futures = {}
    try:
        for p in pending:
            try:
                fut = client.submit(call_point, func, p.index, p.key, p.parameters,
                                    raise_errors, key=f"mqm-point-{run}-{p.index}", pure=False)
            except Exception as exc:
                if _is_infrastructure(exc) or isinstance(exc, OSError):
                    break  # the cluster is lost: the points not submitted stay missing
                raise
            futures[fut] = p
        completed = as_completed(futures)
        while True:
            try:
                fut = next(completed)
            except StopIteration:
                break
            except BaseException as exc:  # asyncio's CancelledError is no Exception
                if _is_infrastructure(exc) or isinstance(exc, OSError):
                    break  # the cluster is lost: the unfinished points stay missing
                raise
            p = futures[fut]
            try:
                record = fut.result()
            except BaseException as exc:  # raise mode, or the machinery lost the point
                if not _is_infrastructure(exc) and (raise_errors
                                                    or not isinstance(exc, Exception)):
                    raise
                continue  # not a result of the point: left unfinished, a rerun retries it
            finally:
                try:
                    fut.release()
                except Exception:  # a closed client
                    pass
            finish(record)
    finally:
        for fut in futures:
            try:
                if not fut.done():
                    fut.cancel()
            except Exception:  # a closed client
                pass
