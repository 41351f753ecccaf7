"""The sweep layer on a real Dask LocalCluster: equal to serial, resumable, robust to a dead worker."""

import json
import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("dask.distributed")

from tests.conftest import ROOT  # noqa: E402
from verify.sweep import SweepError, Task, run_sweep, task_key  # noqa: E402

SQUARE = "verify.sweep:_demo_square"


def _tasks(n, delay=0.0):
    return [Task(SQUARE, {"n": i, "delay": delay}) for i in range(n)]


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client

    from verify.sweep import local_cluster

    with local_cluster(2) as c, Client(c) as client:
        yield c, client


def test_parallel_equals_serial_byte_for_byte(tmp_path, cluster):
    c, _ = cluster
    serial = run_sweep(_tasks(12), str(tmp_path / "s"), scheduler="serial")
    parallel = run_sweep(_tasks(12), str(tmp_path / "p"), scheduler=c.scheduler_address)
    assert json.dumps(serial) == json.dumps(parallel)
    assert [r["square"] for r in parallel] == [i * i for i in range(12)]
    files = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "s")
                   for d, _, fs in os.walk(tmp_path / "s") for f in fs)
    for rel in files:
        assert (tmp_path / "s" / rel).read_bytes() == (tmp_path / "p" / rel).read_bytes()


def test_stored_results_are_reused_and_damaged_ones_recomputed(tmp_path):
    store = str(tmp_path / "st")
    first = run_sweep(_tasks(4), store, scheduler="serial")
    key = task_key(SQUARE, {"n": 2, "delay": 0.0})
    path = os.path.join(store, key[:2], key + ".json")
    with open(path, "w") as fh:
        fh.write("{truncated")
    seen = []
    again = run_sweep(_tasks(4), store, scheduler="serial", progress=lambda d, t: seen.append(d))
    assert again == first
    assert seen[0] == 3  # three were stored, one recomputed


def test_each_worker_loads_its_model_once(tmp_path, cluster):
    c, _ = cluster
    out = run_sweep([Task("verify.sweep:_demo_worker_pid", {"n": i}) for i in range(8)],
                    str(tmp_path / "w"), scheduler=c.scheduler_address)
    assert max(r["loads"] for r in out) == 1
    assert len({r["pid"] for r in out}) >= 1


def test_a_dead_worker_does_not_stop_the_sweep(tmp_path, cluster):
    c, client = cluster
    workers = list(client.scheduler_info()["workers"])
    assert len(workers) == 2
    import signal
    import threading

    victim = client.run(os.getpid, workers=[workers[0]])[workers[0]]

    def kill_one():  # kill -9 a worker process in the middle of the sweep
        time.sleep(0.8)
        os.kill(victim, signal.SIGKILL)

    threading.Thread(target=kill_one, daemon=True).start()
    out = run_sweep(_tasks(10, delay=0.3), str(tmp_path / "k"), scheduler=c.scheduler_address)
    assert [r["square"] for r in out] == [i * i for i in range(10)]


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    start = time.time()
    with pytest.raises(SweepError, match="no Dask scheduler answered"):
        run_sweep(_tasks(2), str(tmp_path / "u"), scheduler="tcp://127.0.0.1:9", timeout=2)
    assert time.time() - start < 30
    assert not os.path.exists(tmp_path / "u")


def test_a_killed_sweep_resumes(tmp_path):
    store = tmp_path / "r"
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from verify.sweep import Task, run_sweep\n"
            "run_sweep([Task('verify.sweep:_demo_square', {'n': i, 'delay': 0.25}) for i in range(40)], %r,"
            " scheduler='serial')\n") % (ROOT, str(store))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        stored = sum(len(fs) for _, _, fs in os.walk(store)) if store.exists() else 0
        if stored >= 5:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    stored = sum(len(fs) for _, _, fs in os.walk(store))
    assert 5 <= stored < 40
    seen = []
    out = run_sweep([Task(SQUARE, {"n": i, "delay": 0.25}) for i in range(40)], str(store),
                    scheduler="serial", progress=lambda d, t: seen.append(d))
    assert seen[0] == stored
    assert [r["square"] for r in out] == [i * i for i in range(40)]


def test_a_shared_cluster_starts_only_for_missing_work_and_once(tmp_path):
    from verify.sweep import shared_cluster

    store = str(tmp_path / "store")
    stored = [Task("verify.sweep:_demo_square", {"n": n}) for n in (1, 2)]
    run_sweep(stored, store, scheduler="serial")
    with shared_cluster(workers=1) as shared:
        assert run_sweep(stored, store, scheduler=shared) == [{"n": 1, "square": 1}, {"n": 2, "square": 4}]
        assert not shared.started  # everything was stored: no cluster
        assert run_sweep([Task("verify.sweep:_demo_square", {"n": 3})], store, scheduler=shared) == [
            {"n": 3, "square": 9}]
        first = shared.address
        assert run_sweep([Task("verify.sweep:_demo_square", {"n": 4})], store, scheduler=shared) == [
            {"n": 4, "square": 16}]
        assert shared.address == first  # the second sweep ran on the same cluster
    assert not shared.started  # closed with the block


def test_bad_tasks_are_rejected(tmp_path):
    with pytest.raises(SweepError, match="Task"):
        run_sweep([{"n": 1}], str(tmp_path), scheduler="serial")
    with pytest.raises(SweepError, match="module:function"):
        run_sweep([Task("nonsense", {})], str(tmp_path), scheduler="serial")
    with pytest.raises(SweepError, match="workers"):
        run_sweep([], str(tmp_path), workers=0)
    with pytest.raises(SweepError, match="failed"):
        run_sweep([Task(SQUARE, {"n": 1, "bogus": 2})], str(tmp_path), scheduler="serial")
