"""Generic sweep machinery (mqm_fem.parallel): grids, the store, run_points locally and on a
real distributed.LocalCluster, crashes of workers and of the whole sweep process."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mqm_fem.errors import ParameterError
from mqm_fem.parallel import (
    Grid,
    ProgressBar,
    Store,
    product,
    run_points,
    spec_hash,
    zipped,
)

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- task functions (picklable)
def square(point):
    x = point["x"]
    return {"y": x * x, "pair": [x, 2 * x]}


def counting(counter, point):
    """square(), appending x to ``counter``: counts the calls across processes."""
    with open(counter, "a") as f:
        f.write(f"{point['x']}\n")
    return square(point)


def failing(point):
    if point["x"] == 2:
        raise ValueError("x = 2 is bad")
    return square(point)


def kill_once(marker, point):
    """SIGKILL this (worker) process at x = 3 the first time: whoever removes the marker dies."""
    if point["x"] == 3:
        try:
            os.remove(marker)
        except FileNotFoundError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.02)
    return {"y": point["x"] ** 2, "pid": os.getpid()}


def _counts(counter) -> list:
    path = Path(counter)
    return [int(v) for v in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _outputs(records):
    return [(r["index"], r["status"], r["outputs"]) for r in records]


# ===================================================================================== grid
def test_product_and_zip_sizes_and_order():
    g = product(T=[1, 2], field=[0, "1 mT", "2 mT"])
    assert len(g) == 6 and g.names == ("T", "field")
    assert [p.parameters for p in g][:4] == [{"T": 1, "field": 0}, {"T": 1, "field": "1 mT"},
                                             {"T": 1, "field": "2 mT"}, {"T": 2, "field": 0}]
    assert [p.index for p in g] == list(range(6))
    z = zipped(T=[1, 2, 3], field=[0.0, 1e-3, 2e-3])
    assert len(z) == 3 and z[2].parameters == {"T": 3, "field": 2e-3}
    assert len(product(x=5)) == 1  # a single value is a one-point list


def test_keys_are_stable_sha256_of_canonical_json():
    g = product(field=["1 mT"], T=[4.2])
    expected = hashlib.sha256(b'{"T":4.2,"field":"1 mT"}').hexdigest()
    assert g[0].key == expected
    # another interpreter with another hash seed makes the same keys
    code = ("from mqm_fem.parallel import product; "
            "print(' '.join(product(T=[1, 2], field=[0, '1 mT']).keys))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == list(product(T=[1, 2], field=[0, "1 mT"]).keys)


def test_bad_grids_refused():
    with pytest.raises(ParameterError, match=r"zipped\(\): the lists must have one length "
                                             r"\(T has 2, field has 3\)"):
        zipped(T=[1, 2], field=[0, 1, 2])
    with pytest.raises(ParameterError, match="x is an empty list"):
        product(x=[])
    with pytest.raises(ParameterError, match="must be finite"):
        product(x=[float("nan")])
    with pytest.raises(ParameterError, match="at least one parameter"):
        product()


# ==================================================================================== store
def test_point_files_are_atomic(tmp_path, monkeypatch):
    store = Store(tmp_path / "s").open({"f": 1}, product(x=[1, 2]))
    record = {"index": 0, "key": store.grid.keys[0], "parameters": {"x": 1}, "status": "ok",
              "outputs": {"y": 1}, "error": None, "seconds": 0.0, "worker": "w"}
    original = Path.write_text

    def half_then_fail(self, text, *args, **kwargs):
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_fail)
    with pytest.raises(OSError, match=r"cannot write .*000000\.json: No space left"):
        store.write_point(record)
    monkeypatch.undo()
    assert not store.point_path(0).exists()
    leftovers = os.listdir(store.points_dir) if store.points_dir.exists() else []
    assert leftovers == []  # no half-written or temporary file
    store.write_point(record)
    assert json.loads(store.point_path(0).read_text()) == record
    report = store.verify()
    assert report.missing == (1,) and report.integrity_ok


def test_resume_skips_finished_points(tmp_path):
    counter = tmp_path / "calls.txt"
    func = functools.partial(counting, str(counter))
    grid = product(x=list(range(6)))
    first = run_points(func, grid, store=Store(tmp_path / "s"), workers=1, progress=False)
    assert sorted(_counts(counter)) == list(range(6))
    # rerun: nothing computed again
    again = run_points(func, grid, store=Store(tmp_path / "s"), workers=1, progress=False)
    assert len(_counts(counter)) == 6
    assert _outputs(again) == _outputs(first)
    # two points lost: only they are computed
    for i in (1, 4):
        (tmp_path / "s" / "points" / f"{i:06d}.json").unlink()
    run_points(func, grid, store=Store(tmp_path / "s"), workers=1, progress=False)
    assert _counts(counter)[6:] == [1, 4]
    assert Store(tmp_path / "s").verify().ok


def test_changed_spec_refused_naming_both_hashes(tmp_path):
    Store(tmp_path / "s").open({"task": "a"}, product(x=[1, 2])).close()
    old = spec_hash({"task": "a"}, product(x=[1, 2]))
    new = spec_hash({"task": "a"}, product(x=[1, 2, 3]))
    with pytest.raises(ParameterError) as info:
        Store(tmp_path / "s").open({"task": "a"}, product(x=[1, 2, 3]))
    message = str(info.value)
    assert old in message and new in message and "on_change='restart'" in message
    assert old != new


def test_restart_keeps_the_old_points_aside(tmp_path):
    counter = tmp_path / "calls.txt"
    func = functools.partial(counting, str(counter))
    run_points(func, product(x=[1, 2]), store=Store(tmp_path / "s"), workers=1, progress=False)
    store = Store(tmp_path / "s").open({"other": True}, product(x=[1, 2, 3]),
                                       on_change="restart")
    aside = sorted((tmp_path / "s").glob("points.*"))
    assert len(aside) == 1
    assert sorted(p.name for p in aside[0].iterdir()) == [
        "000000.json", "000001.json", "results.csv", "spec.json"]
    assert store.done() == set()
    run_points(func, product(x=[1, 2, 3]), store=store, workers=1, progress=False)
    assert _counts(counter) == [1, 2, 1, 2, 3]  # started anew
    assert store.verify().ok


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    store = Store(tmp_path / "s")
    records = run_points(failing, product(x=[1, 2, 3]), store=store, workers=1, progress=False)
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    assert records[1]["error"] == "ValueError: x = 2 is bad"
    assert records[2]["outputs"] == {"y": 9, "pair": [3, 6]}
    table = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert table[0] == "index,x,y,pair,status,error,seconds,worker"
    assert table[2].startswith("1,2,,,error,ValueError: x = 2 is bad,")
    # on_error="raise" gives the exception itself
    with pytest.raises(ValueError, match="x = 2 is bad"):
        run_points(failing, product(x=[1, 2]), workers=1, progress=False, on_error="raise")


def test_verify_finds_leftover_duplicate_and_missing(tmp_path):
    store = Store(tmp_path / "s")
    run_points(square, product(x=list(range(4))), store=store, workers=1, progress=False)
    report = Store(tmp_path / "s").verify()
    assert report.ok and str(report).startswith("store ok")
    points = tmp_path / "s" / "points"
    (points / ".mqm-0123456789ab.tmp.json").write_text('{"index": 1, "ke')
    shutil.copy(points / "000001.json", points / "000001 (copy).json")
    (points / "000002.json").unlink()
    report = Store(tmp_path / "s").verify()
    assert [p.name for p in report.partial_files] == [".mqm-0123456789ab.tmp.json"]
    assert report.duplicates == (1,)
    assert report.missing == (2,)
    assert not report.ok and "missing: 2" in str(report)
    assert [p.name for p in Store(tmp_path / "s").clean()] == [".mqm-0123456789ab.tmp.json"]
    assert Store(tmp_path / "s").verify().partial_files == ()


def test_one_driver_per_store(tmp_path):
    first = Store(tmp_path / "s").open({}, product(x=[1]))
    with pytest.raises(ParameterError, match="another sweep is running on it"):
        Store(tmp_path / "s").open({}, product(x=[1]))
    first.close()
    Store(tmp_path / "s").open({}, product(x=[1])).close()


# ============================================================================ run_points
def test_local_processes_equal_serial_and_use_two_workers():
    grid = product(x=list(range(10)))
    serial = run_points(square, grid, workers=1, progress=False)
    parallel = run_points(slow_square, grid, workers=2, progress=False)
    assert _outputs(parallel) == _outputs(serial)
    assert len({r["worker"] for r in parallel}) == 2
    assert len({r["worker"] for r in serial}) == 1


def test_progress_lines_with_eta():
    lines = []
    bar = ProgressBar(lines.append, 4, name="demo", unit="point", interval=0.0)
    run_points(square, Grid.from_points([{"x": i} for i in range(4)]), workers=1, progress=bar)
    assert [line.split(" (")[0] for line in lines] == [f"demo: point {i}/4" for i in range(1, 5)]
    assert "ETA" in lines[0] and "ETA" not in lines[-1]
    with pytest.raises(ParameterError, match="progress: expected True, False or a callable"):
        run_points(square, product(x=[1]), progress="yes")


def test_bad_arguments_refused(monkeypatch):
    with pytest.raises(ParameterError, match="workers: expected a whole number"):
        run_points(square, product(x=[1]), workers=-1)
    with pytest.raises(ParameterError, match="on_error"):
        run_points(square, product(x=[1]), on_error="ignore")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask were not installed
    with pytest.raises(ParameterError, match=r"pip install 'mqm-fem\[sweep\]'"):
        run_points(square, product(x=[1]), scheduler="tcp://127.0.0.1:8786")


def test_local_worker_killed_pool_rebuilt_every_point_once(tmp_path):
    marker = tmp_path / "kill-me"
    marker.touch()
    store = Store(tmp_path / "s")
    records = run_points(functools.partial(kill_once, str(marker)), product(x=list(range(8))),
                         store=store, workers=2, progress=False)
    assert not marker.exists()  # a worker did die
    assert [r["status"] for r in records] == ["ok"] * 8
    assert [r["outputs"]["y"] for r in records] == [x * x for x in range(8)]
    report = Store(tmp_path / "s").verify()
    assert report.ok, report
    assert len({r["outputs"]["pid"] for r in records}) >= 3  # the pool was rebuilt


def test_sweep_process_killed_then_resumed(tmp_path):
    """SIGKILL of the driver (2 local workers) mid-sweep: its workers end, the rerun computes
    only the unfinished points, and the store ends complete and clean."""
    counter = tmp_path / "calls.txt"
    code = (
        "import functools, sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import test_parallel as t\n"
        "from mqm_fem.parallel import Store, product, run_points\n"
        "def slow(counter, point):\n"
        "    time.sleep(0.15)\n"
        "    return t.counting(counter, point)\n"
        "t.slow = slow\n"
        "slow.__module__ = 'test_parallel'\n"
        f"run_points(functools.partial(t.slow, {str(counter)!r}), product(x=list(range(12))),"
        f" store=Store({str(tmp_path / 's')!r}), workers=2, progress=False)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    points = tmp_path / "s" / "points"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if points.is_dir() and len(list(points.glob("0*.json"))) >= 3:
            break
        assert proc.poll() is None, "the sweep ended before it was killed"
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    # its worker processes notice and end (else they would finish points nobody stores)
    workers = {int(json.loads(p.read_text())["worker"].split(":")[1])
               for p in points.glob("0*.json")}
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
    finished = {int(p.stem) for p in points.glob("0*.json")}
    assert 3 <= len(finished) < 12
    calls_before = len(_counts(counter))
    (points / ".mqm-0123456789ab.tmp.json").write_text('{"index": 5')  # as if killed in a write
    rerun = subprocess.run([sys.executable, "-c", code], env=env, timeout=60)
    assert rerun.returncode == 0
    new_calls = _counts(counter)[calls_before:]
    assert sorted(new_calls) == sorted(set(range(12)) - finished)  # nothing finished redone
    report = Store(tmp_path / "s").verify()
    assert report.ok, report  # no partial file, no duplicate, no missing point
    rows = (tmp_path / "s" / "results.csv").read_text().splitlines()[1:]
    assert sorted(int(r.split(",")[0]) for r in rows) == list(range(12))


# ================================================================= Dask (LocalCluster)


def _dask():
    try:
        import distributed
    except ImportError:
        return None
    return distributed


needs_dask = pytest.mark.skipif(_dask() is None, reason="dask[distributed] is not installed "
                                "(pip install 'mqm-fem[sweep]')")


@pytest.fixture(scope="module")
def dask_client():
    distributed = _dask()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@needs_dask
def test_dask_equals_serial(dask_client):
    grid = product(x=list(range(10)))
    serial = run_points(square, grid, workers=1, progress=False)
    on_dask = run_points(square, grid, client=dask_client, progress=False)
    assert _outputs(on_dask) == _outputs(serial)
    failed = run_points(failing, product(x=[1, 2]), client=dask_client, progress=False)
    assert [r["status"] for r in failed] == ["ok", "error"]
    assert failed[1]["error"] == "ValueError: x = 2 is bad"


@needs_dask
def test_dask_worker_killed_every_point_once(tmp_path, dask_client):
    marker = tmp_path / "kill-me"
    marker.touch()
    records = run_points(functools.partial(kill_once, str(marker)), product(x=list(range(8))),
                         store=Store(tmp_path / "s"), client=dask_client, progress=False)
    assert not marker.exists()  # a worker did die
    assert [r["status"] for r in records] == ["ok"] * 8
    assert [r["outputs"]["y"] for r in records] == [x * x for x in range(8)]
    report = Store(tmp_path / "s").verify()
    assert report.ok, report


@needs_dask
def test_dask_sweep_of_a_solver_task_identical_to_serial(tmp_path, dask_client):
    """mqm_fem.sweep of London solves: the same outputs, bit for bit, on the LocalCluster (as a
    client or by the scheduler's address) as in this process."""
    from mqm_fem import Task, sweep

    task = Task(kind="london", geometry={"kind": "annulus", "inner_radius": 0.5,
                                         "outer_radius": 1.0, "h": 0.15})
    grid = product(penetration_depth=["50 nm", "100 nm", "200 nm", "400 nm"],
                   applied_field=["1 mT", "-2 mT"])
    serial = sweep(task, grid, tmp_path / "one", workers=1, progress=False)
    on_dask = sweep(task, grid, tmp_path / "dask", client=dask_client, progress=False)
    assert len(grid) == 8 and on_dask.report.ok
    assert [r["outputs"] for r in on_dask.records] == [r["outputs"] for r in serial.records]
    assert len({r["worker"] for r in on_dask.records}) == 2
    by_address = sweep(task, grid, tmp_path / "addr", scheduler=dask_client.scheduler.address,
                       progress=False)
    assert [r["outputs"] for r in by_address.records] == [r["outputs"] for r in serial.records]


def test_progress_of_a_resumed_sweep_counts_the_finished_points(tmp_path):
    run_points(square, product(x=[1, 2]), store=Store(tmp_path / "s"), progress=False)
    lines = []
    run_points(square, product(x=[1, 2]), store=Store(tmp_path / "s"), progress=lines.append)
    assert lines == ["sweep: resuming, 2/2 points already done"]  # nothing computed
    lines.clear()
    (tmp_path / "s" / "points" / "000001.json").unlink()
    run_points(square, product(x=[1, 2]), store=Store(tmp_path / "s"), progress=lines.append)
    assert lines[0] == "sweep: resuming, 1/2 points already done"
    assert lines[1].startswith("sweep: point 2/2 (x = 2) done, ")


def test_unpicklable_function_refused_when_workers_are_spawned(monkeypatch):
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, **k: "spawn")
    with pytest.raises(ParameterError, match="func: cannot be sent to worker processes"):
        run_points(lambda p: {"y": 1}, product(x=[1, 2]), workers=2, progress=False)


# ================================================================ review fixes (robustness)
def kill_at_zero(point):
    """x = 0 always kills its worker process (SIGKILL); the others take a moment."""
    if point["x"] == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.3)
    return {"y": point["x"] ** 2}


def exiting(point):
    if point["x"] == 2:
        sys.exit(3)
    return {"y": point["x"]}


def with_field(counter, point):
    """square() with a (fake) field file of the point."""
    with open(counter, "a") as f:
        f.write(f"{point['x']}\n")
    return {"y": point["x"] ** 2, "_files": {".vtu": b"<VTKFile/>"}}


def odd_outputs(point):
    return {"x": 10 * point["x"], "status": "fine", "bad": float("nan"),
            "list": [1.0, float("inf")]}


def slow_square(point):
    """square() taking 0.2 s: long enough that both workers of a pool get points even when
    starting a process is slow (on a loaded machine one worker once took all ten instant
    points of test_local_processes_equal_serial_and_use_two_workers before the other had
    started)."""
    time.sleep(0.2)
    return square(point)


def test_a_crash_counts_only_against_a_point_that_ran_alone(tmp_path):
    """x = 0 kills its worker every time, x = 1 runs beside it: only x = 0 is given up, and it
    is left missing (not an error record), so a resume retries it."""
    from mqm_fem.errors import MqmFemWarning

    store = Store(tmp_path / "s")
    with pytest.warns(MqmFemWarning, match=r"sweep incomplete: 1 of 3 points not finished .*: 0;"):
        records = run_points(kill_at_zero, product(x=[0, 1, 2]), store=store, workers=2,
                             progress=False)
    assert [(r["index"], r["status"]) for r in records] == [(1, "ok"), (2, "ok")]
    report = Store(tmp_path / "s").verify()
    assert report.missing == (0,) and report.integrity_ok
    assert not (tmp_path / "s" / "points" / "000000.json").exists()


@needs_dask
def test_a_lost_dask_cluster_leaves_points_missing_not_errors(tmp_path):
    """The cluster closed mid-sweep: the cancelled points are not recorded as errors; verify
    lists them missing and a resume computes them."""
    import distributed

    from mqm_fem.errors import MqmFemWarning

    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    client = distributed.Client(cluster)

    def close_on_first(line):
        client.close()
        cluster.close()

    grid = product(x=list(range(6)))
    try:
        with pytest.warns(MqmFemWarning, match="sweep incomplete"):
            records = run_points(slow_square, grid, store=Store(tmp_path / "s"), client=client,
                                 progress=close_on_first)
    finally:
        client.close()
        cluster.close()
    assert 1 <= len(records) < 6 and all(r["status"] == "ok" for r in records)
    report = Store(tmp_path / "s").verify()
    assert len(report.missing) == 6 - len(records) and report.integrity_ok
    again = run_points(slow_square, grid, store=Store(tmp_path / "s"), workers=2,
                       progress=False)
    assert [r["outputs"]["y"] for r in again] == [x * x for x in range(6)]
    assert Store(tmp_path / "s").verify().ok


@pytest.mark.parametrize("workers", [1, 2])
def test_sys_exit_in_a_point_is_recorded_as_its_error(workers):
    records = run_points(exiting, product(x=[1, 2, 3]), workers=workers, progress=False)
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    assert records[1]["error"].startswith("SystemExit: 3")


def test_unwritable_store_directory_is_an_output_error(tmp_path, monkeypatch):
    from mqm_fem.errors import OutputError

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OutputError, match=r"store .*a-file/s: cannot create or write the "
                                          r"directory \(Not a directory\)"):
        Store(blocker / "s").open({}, product(x=[1]))
    original = os.open

    def refuse_lock(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_lock)
    with pytest.raises(OutputError, match=r"store .*/ro: cannot create or write the directory "
                                          r"\(Permission denied\)") as info:
        Store(tmp_path / "ro").open({}, product(x=[1]))
    assert "\n" not in str(info.value)


def test_restart_puts_fields_aside_and_verify_reports_unclaimed_files(tmp_path):
    counter = tmp_path / "calls.txt"
    run_points(functools.partial(with_field, str(counter)), product(x=[1, 2]),
               store=Store(tmp_path / "s"), workers=1, progress=False)
    s = tmp_path / "s"
    assert (s / "fields.pvd").is_file() and (s / "fields" / "000001.vtu").is_file()
    (s / "summary.png").write_bytes(b"png")
    with Store(s).open({"new": 1}, product(x=[5]), on_change="restart") as store:
        run_points(square, product(x=[5]), store=store, workers=1, progress=False)
    aside = next(s.glob("points.*"))
    assert {"fields", "fields.pvd", "fields.pvd.json", "summary.png"} <= {
        p.name for p in aside.iterdir()}
    assert not (s / "fields").exists() and not (s / "fields.pvd").exists()
    assert not (s / "summary.png").exists()
    assert Store(s).verify().ok
    # a stale collection of an earlier sweep without files is removed
    (s / "fields.pvd").write_text("<VTKFile/>")
    with Store(s).open({"new": 1}, product(x=[5])) as store:
        run_points(square, product(x=[5]), store=store, workers=1, progress=False)
    assert not (s / "fields.pvd").exists()
    # a field file no record claims is reported
    (s / "fields").mkdir()
    (s / "fields" / "000007.vtu").write_bytes(b"x")
    report = Store(s).verify()
    assert [p.name for p in report.unclaimed_files] == ["000007.vtu"] and not report.ok
    assert "unclaimed files" in str(report)


def test_a_point_whose_field_files_are_gone_is_redone(tmp_path):
    counter = tmp_path / "calls.txt"
    func = functools.partial(with_field, str(counter))
    grid = product(x=[1, 2, 3])
    run_points(func, grid, store=Store(tmp_path / "s"), workers=1, progress=False)
    (tmp_path / "s" / "fields" / "000001.vtu").unlink()
    assert Store(tmp_path / "s").verify().corrupt != ()
    run_points(func, grid, store=Store(tmp_path / "s"), workers=1, progress=False)
    assert _counts(counter) == [1, 2, 3, 2]  # only the point without its field, again
    assert Store(tmp_path / "s").verify().ok


def test_table_prefixes_colliding_outputs_and_writes_nan_as_null(tmp_path):
    records = run_points(odd_outputs, product(x=[1]), store=Store(tmp_path / "s"), workers=1,
                         progress=False)
    assert records[0]["outputs"] == {"x": 10, "status": "fine", "bad": None,
                                     "list": [1.0, None]}
    text = (tmp_path / "s" / "points" / "000000.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["outputs"]["bad"] is None
    header, row = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert header == "index,x,out_x,out_status,bad,list,status,error,seconds,worker"
    assert row.startswith('0,1,10,fine,,"[1.0, null]",ok,,')
    table = Store(tmp_path / "s").open({"function": "test_parallel.odd_outputs"},
                                       product(x=[1])).table()
    assert table[0]["x"] == 1 and table[0]["out_x"] == 10 and table[0]["status"] == "ok"
