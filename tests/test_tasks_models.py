"""Section 3 tasks on models: the plumbing on tiny random models, the store, the CLI, and the checks on the real ones.

The tiny models (``tests/tiny_models.py``) have random weights and SmolLM2's tokenizer and
chat template; they answer nonsense, which is what plumbing needs. The real-model tests
read the task store (``<cache>/tasks``): warm after one run of ``python -m verify.all``.
"""

import json
import os
import shutil

import numpy as np
import pytest

from tests.models_fixtures import real_model, tiny_model, tiny_model_dir  # noqa: F401
from verify.models.sources import models_available

pytestmark = pytest.mark.models
HAVE, WHY = models_available()
needs_models = pytest.mark.skipif(not HAVE, reason=WHY)


def _tiny_spec(path):
    from verify.models.sources import resolve_model

    return resolve_model(str(path))


# --------------------------------------------------------------------------- engine on tiny models


@needs_models
@pytest.mark.parametrize("family", ["llama", "gemma2"])
def test_readout_is_the_models_own_head(tiny_model, family):  # noqa: F811
    """Our readout (LM head, and Gemma 2's final soft-capping) gives the model's own logits."""
    import torch

    from verify.tasks.engine import _feed, readout

    lm = tiny_model(family)
    ids = lm.encode("How many ones? 1111")
    with torch.no_grad():
        want = lm.model(ids).logits[0, -1]
        states, _ = _feed(lm, ids[0].tolist(), None)
        got = readout(lm, states[-1:])[0]
    assert float((want - got).abs().max()) <= 1e-5


@needs_models
@pytest.mark.parametrize("family", ["qwen2", "gemma2"])
def test_greedy_decoding_matches_generate(tiny_model, family):  # noqa: F811
    """Our KV-cached greedy loop emits the tokens of transformers' generate(do_sample=False)."""
    import torch

    from verify.tasks.engine import _feed, greedy_decode

    lm = tiny_model(family)
    ids = lm.encode("Please count the ones: " + "1" * 40)
    with torch.no_grad():
        states, cache = _feed(lm, ids[0].tolist(), None)
        ours, _, _ = greedy_decode(lm, states, cache, 12, fmt="never appears: ")
        ref = lm.model.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=0)[0, ids.shape[1]:]
    assert ours == ref[: len(ours)].tolist()


@needs_models
def test_shared_prefix_states_equal_a_full_pass(tiny_model):  # noqa: F811
    """The B.10 pair computed from one shared prefix and its KV cache equals one full pass per member."""
    import torch

    from verify.tasks.engine import _feed, _probe_pair, encode_texts
    from verify.tasks.prompts import build_pair

    lm = tiny_model("qwen2")  # sliding-window layers of 16 keys: the cache crosses windows
    a, b = build_pair("count_ones", 40, "fewshot")
    with torch.no_grad():
        enc = [encode_texts(lm, p) for p in (a, b)]
        members, pair, _ = _probe_pair(lm, a, b, enc)
        full = [_feed(lm, e["probe"] + e["answer"][:1], None)[0][-1] for e in enc]
    assert abs(pair["linf"] - float((full[0] - full[1]).abs().max())) <= 1e-4
    assert pair["shared_digits"] == "4" and pair["correct"] == ["0", "1"] and pair["shared_prefix"] > 40


# --------------------------------------------------------------------------- the store, serial and Dask


@pytest.fixture(scope="module")
def tiny_copy(tiny_model_dir, tmp_path_factory):  # noqa: F811
    """A private copy of a tiny model (deleted by a test) and a fresh store."""
    src = tiny_model_dir("llama")
    dst = tmp_path_factory.mktemp("tiny-copy") / "model"
    shutil.copytree(src, dst)
    return dst, str(tmp_path_factory.mktemp("store"))


@needs_models
def test_store_rerun_computes_nothing_and_damage_is_recomputed(tiny_copy):
    from verify.tasks.run import plan_units, run_units

    path, store = tiny_copy
    spec = _tiny_spec(path)
    planned = plan_units([spec], ["fp32", "bf16"], ["b10"], lengths=[2, 3])
    first = run_units(planned, store=store, scheduler="serial")
    assert {r["generation"]["category"] for r in first} <= {"correct", "wrong", "unparsable"}
    entries = sorted(os.path.join(d, f) for d, _, fs in os.walk(store) for f in fs)
    assert len(entries) == len(planned)
    with open(entries[0], "w") as fh:  # a damaged entry
        fh.write('{"key": "trunc')
    again = run_units(planned, store=store, scheduler="serial")
    assert again == first  # recomputed, identical
    shutil.rmtree(path)  # the model is gone: a rerun must not need it
    assert run_units(planned, store=store, scheduler="serial") == first


@needs_models
def test_dask_run_equals_serial(tiny_model_dir, tmp_path):  # noqa: F811
    """Two worker processes of a LocalCluster give the serial results, in task order."""
    from verify.tasks.run import plan_units, run_units

    spec = _tiny_spec(tiny_model_dir("gemma2"))
    planned = plan_units([spec], ["fp32"], ["b10"], lengths=[2, 5, 9])
    serial = run_units(planned, store=str(tmp_path / "serial"), scheduler="serial")
    dask = run_units(planned, store=str(tmp_path / "dask"), scheduler=None, workers=2)
    assert json.dumps(serial, sort_keys=True) == json.dumps(dask, sort_keys=True)


@needs_models
def test_task_accuracy_interface(tiny_model_dir, tmp_path):  # noqa: F811
    from verify.tasks import task_accuracy

    r = task_accuracy(tiny_model_dir("llama"), "count_ones", [7, 3], separator=",", every=3, style="fewshot",
                      store=str(tmp_path))
    assert r["n"] == [3, 7] and r["truth"] == ["3", "7"]
    assert len(r["correct"]) == len(r["answers"]) == len(r["unparsable"]) == 2
    assert all(a is None for a, u in zip(r["answers"], r["unparsable"]) if u)
    json.dumps(r)
    with pytest.raises(ValueError, match="separator"):
        task_accuracy(tiny_model_dir("llama"), "count_ones", [3], separator="1", store=str(tmp_path))
    with pytest.raises(ValueError, match="dtype"):
        task_accuracy(tiny_model_dir("llama"), "count_ones", [3], dtype="fp8", store=str(tmp_path))


@needs_models
def test_cli_on_a_tiny_model(tiny_model_dir, tmp_path, capsys):  # noqa: F811
    from verify.tasks.__main__ import main

    args = ["--model", str(tiny_model_dir("llama")), "--grid", "copy", "--tasks", "copy_last", "copy_first",
            "--lengths", "2", "4", "--dtype", "fp32", "--scheduler", "serial", "--store", str(tmp_path / "s"),
            "--out", str(tmp_path / "report")]
    assert main(args) == 0
    first = (tmp_path / "report" / "summary.json").read_text()
    assert (tmp_path / "report" / "figures" / "copy-answer.png").is_file()
    assert "Beside the paper" in (tmp_path / "report" / "report.md").read_text()
    assert main(args) == 0 and (tmp_path / "report" / "summary.json").read_text() == first
    capsys.readouterr()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    assert main(args[:-1] + [str(tmp_path / "foreign")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "without summary.json" in err[0]
    assert (tmp_path / "foreign" / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------- real models


@needs_models
@pytest.mark.parametrize("name", ["gemma3-270m", "smollm2-135m"])
def test_real_greedy_loop_matches_generate(real_model, name):  # noqa: F811
    """On the real models too, our loop's tokens are generate's (the speed-up is not bought with other answers)."""
    import torch

    from verify.tasks.engine import _feed, encode_texts, greedy_decode
    from verify.tasks.prompts import build_prompt

    lm = real_model(name)
    ids = encode_texts(lm, build_prompt("count_ones", 12, "fewshot"))["generation"]
    with torch.no_grad():
        states, cache = _feed(lm, ids, None)
        ours, text, stop = greedy_decode(lm, states, cache, 6, fmt="never appears: ")
        ref = lm.model.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False,
                                pad_token_id=lm.tokenizer.pad_token_id or 0)[0, len(ids):]
    assert ours == ref[: len(ours)].tolist()


@pytest.fixture(scope="module")
def quick_ctx(tmp_path_factory):
    from verify.registry import Context

    return Context(quick=True, out_dir=str(tmp_path_factory.mktemp("tasks")))


@needs_models
@pytest.mark.parametrize("cid,control", [("real.B10", {"state": "shared-prefix"}), ("real.tasks", {"perturb": True})])
def test_real_checks_pass_and_their_controls_fail(quick_ctx, cid, control):
    from verify.registry import REGISTRY, all_checks

    all_checks()
    res = REGISTRY[cid].run(quick_ctx).to_json()
    assert res["status"] == "pass", res["reason"]
    assert set(res["evidence"]["models"]) == {"Gemma 3 270M", "SmolLM2-135M-Instruct"}
    assert res["evidence"]["paper_comparison"] and f"figures/{cid}.png" in res["figures"]
    neg = REGISTRY[cid].run(quick_ctx, **control).to_json()
    assert neg["status"] == "fail"
    if cid == "real.B10":  # fails for the stated reason: identical (shared-prefix) states, different answers
        assert "identical pairs answer differently" in neg["reason"]
        pairs = [p for p in res["evidence"]["per_pair"].values()]
        n = np.concatenate([p["curves"]["fp32"]["n"] for p in pairs])
        assert n.min() <= 5  # fp32 at small n is in the grid: states differ there
    else:
        assert "does not rise" in neg["reason"]


def test_missing_extra_gives_skip(monkeypatch, tmp_path):
    from verify.models import sources
    from verify.registry import REGISTRY, Context, all_checks

    all_checks()
    monkeypatch.setattr(sources, "models_available", lambda: (False, "the optional 'models' extra is not installed"))
    for cid in ("real.tasks", "real.B10"):
        res = REGISTRY[cid].run(Context(quick=True, out_dir=str(tmp_path)))
        assert res.status == "skip" and "models" in res.reason


@needs_models
def test_a_third_model_through_verify_all(tiny_model_dir, tmp_path):  # noqa: F811
    """--model DIR: both checks run on it alone, labelled with it, from a fresh cache."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = tiny_model_dir("qwen2")
    env = dict(os.environ, TNG_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "verify.all", "--quick", "--only", "real.tasks", "real.B10",
                           "--model", path, "--out", str(tmp_path / "out"), "--no-appendix"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    label = os.path.basename(path)
    for res in doc["checks"]:
        assert res["status"] == "pass" and list(res["evidence"]["models"]) == [label], res["id"]
    assert (tmp_path / "out" / "figures" / "real.B10.png").is_file()
