"""Every sweep on a real 2-worker Dask LocalCluster (tiny random models, real weights files, no mock).

The prescription grid and the real-model export: equal to a serial run byte for byte, a worker
killed in the middle does not stop them, a killed sweep resumes from the store, a scheduler that
does not answer is one clear error and leaves nothing behind.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.models_fixtures import tiny_model_dir  # noqa: F401
from verify.models.sources import models_available

pytest.importorskip("dask.distributed")
HAVE, WHY = models_available()
pytestmark = [pytest.mark.models, pytest.mark.skipif(not HAVE, reason=WHY)]

GRID = dict(dtypes=["fp32", "bf16"], max_length=48, separators=["none", "comma", "comma-space"], spacings=[1, 3])


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client

    from verify.sweep import local_cluster

    with local_cluster(2) as c, Client(c) as client:
        yield c, client


def _files(root):
    return {os.path.relpath(os.path.join(d, f), root): open(os.path.join(d, f), "rb").read()
            for d, _, fs in os.walk(root) for f in fs}


def _doc_bytes(doc):
    from verify.prescribe import to_json

    return json.dumps(to_json(doc), sort_keys=True).encode()


def test_the_accuracy_column_on_its_own_local_cluster_equals_serial(tiny_model_dir, tmp_path,  # noqa: F811
                                                                     monkeypatch):
    """scheduler=None: one local cluster serves every accuracy request; the answers are the serial ones."""
    from verify.prescribe import prescribe
    from verify.tasks import task_accuracy

    model, grid = [tiny_model_dir("llama")], dict(GRID, dtypes=["fp32"], theory=False, accuracy_at=[4, 8])
    monkeypatch.setenv("TNG_CACHE", str(tmp_path / "serial-cache"))
    serial = prescribe(model, store=str(tmp_path / "s"), scheduler="serial", accuracy=task_accuracy, **grid)
    monkeypatch.setenv("TNG_CACHE", str(tmp_path / "dask-cache"))  # a cold task store: computed on the workers
    local = prescribe(model, store=str(tmp_path / "p"), scheduler=None, accuracy=task_accuracy, **grid)
    assert serial["accuracy"]["status"] == "computed" and len(serial["accuracy"]["rows"]) >= 2
    assert serial["accuracy"] == local["accuracy"]
    assert os.listdir(tmp_path / "dask-cache" / "tasks")


def test_prescription_on_two_workers_equals_serial(tiny_model_dir, cluster, tmp_path):  # noqa: F811
    from verify.prescribe import prescribe

    model = [tiny_model_dir("llama")]
    serial = prescribe(model, store=str(tmp_path / "s"), scheduler="serial", **GRID)
    parallel = prescribe(model, store=str(tmp_path / "p"), scheduler=cluster[0].scheduler_address, **GRID)
    assert _doc_bytes(serial) == _doc_bytes(parallel)
    assert _files(tmp_path / "s") == _files(tmp_path / "p")
    cells = serial["models"][0]["cells"]
    assert len(cells) == 5 and all(c["dtypes"]["fp32"]["status"] == "ok" for c in cells)
    assert set(serial["theory"]["encodings"]) == {"none", "alibi", "rope"}


def test_a_worker_killed_mid_sweep_does_not_stop_it(tiny_model_dir, cluster, tmp_path):  # noqa: F811
    from verify.prescribe import prescribe

    _, client = cluster
    victim = next(iter(client.run(os.getpid).values()))
    killed = []

    def kill_after_first(done, total):  # SIGKILL one worker as soon as the first pass has arrived
        if done >= 1 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(done)

    model = [tiny_model_dir("llama")]
    grid = dict(GRID, max_length=200, spacings=[1, 2, 3, 4])
    doc = prescribe(model, store=str(tmp_path / "k"), scheduler=cluster[0].scheduler_address, progress=kill_after_first,
                    **grid)
    assert killed and killed[0] < 50
    reference = prescribe(model, store=str(tmp_path / "r"), scheduler="serial", **grid)
    assert _doc_bytes(doc) == _doc_bytes(reference)


def test_a_killed_prescription_resumes_and_writes_nothing_half(tiny_model_dir, tmp_path):  # noqa: F811
    from verify.prescribe import prescribe

    model, store, out = tiny_model_dir("llama"), tmp_path / "store", tmp_path / "out"
    argv = ["--model", model, "--dtype", "fp32", "bf16", "--max-length", "400", "--scheduler", "serial",
            "--store", str(store), "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "verify.prescribe", *argv], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and sum(len(f) for _, _, f in os.walk(store)) < 5:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    stored = sum(len(f) for _, _, f in os.walk(store))
    assert 5 <= stored and not out.exists()
    assert not [f for _, _, fs in os.walk(store) for f in fs if f.startswith(".tmp-")]
    seen = []
    doc = prescribe([model], dtypes=["fp32", "bf16"], max_length=400, store=str(store), scheduler="serial",
                    progress=lambda d, t: seen.append((d, t)))
    assert seen[0][0] == stored < seen[0][1]
    reference = prescribe([model], dtypes=["fp32", "bf16"], max_length=400, store=str(tmp_path / "ref"),
                          scheduler="serial")
    assert _doc_bytes(doc) == _doc_bytes(reference)


def test_an_unreachable_scheduler_is_one_clear_error(tiny_model_dir, tmp_path, capsys):  # noqa: F811
    from verify.prescribe.__main__ import main

    start = time.time()
    rc = main(["--model", tiny_model_dir("llama"), "--max-length", "16", "--scheduler", "tcp://127.0.0.1:9",
               "--timeout", "2", "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "no Dask scheduler answered within 2 s" in err and err.count("\n") == 1
    assert time.time() - start < 60
    assert not (tmp_path / "store").exists() and not (tmp_path / "out").exists()


def test_the_export_sweep_on_two_workers_equals_serial_and_resumes(tiny_model_dir, cluster, tmp_path):  # noqa: F811
    from verify.models.export import export_sweep

    args = dict(sets=["fig5a", "fig5d"], lengths=[3, 8], model=tiny_model_dir("qwen2"), sensitivity_tokens=20)
    export_sweep(str(tmp_path / "serial"), store=str(tmp_path / "s"), scheduler="serial", **args)
    export_sweep(str(tmp_path / "dask"), store=str(tmp_path / "d"), scheduler=cluster[0].scheduler_address, **args)
    reference = _files(tmp_path / "serial")
    assert reference == _files(tmp_path / "dask")
    assert "manifest.json" in reference and "structure-fp32.safetensors" in reference
    # A blob that disappeared from the store is recomputed; the export is the same file for file.
    blobs = [os.path.join(d, f) for d, _, fs in os.walk(tmp_path / "s" / "blobs") for f in fs]
    os.unlink(blobs[0])
    seen = []
    export_sweep(str(tmp_path / "again"), store=str(tmp_path / "s"), scheduler="serial",
                 progress=seen.append, **args)
    assert _files(tmp_path / "again") == reference and len(seen) == len(reference) // 2  # every stem, once
