"""Exports: files, verified sidecars (tampering is an error, never a changed verdict), dtype copies, bad input."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.models_fixtures import real_model, tiny_model, tiny_model_dir  # noqa: F401
from verify.models.sources import models_available

pytestmark = pytest.mark.models
HAVE, WHY = models_available()
needs_models = pytest.mark.skipif(not HAVE, reason=WHY)


def run_export_cli(*args, module="verify.models", timeout=900):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def small_export(tmp_path_factory, real_model):  # noqa: F811
    """Gemma 3 270M: fig5a and fig5d at n = 3, 12 in fp32 and bf16 (plus structure and sensitivity)."""
    from verify.models.export import export_sweep

    out = tmp_path_factory.mktemp("export") / "gemma"
    export_sweep(str(out), sets=["fig5a", "fig5d"], lengths=[3, 12], model=real_model("gemma3-270m"),
                 sensitivity_tokens=20)
    return out


@needs_models
def test_export_files_sidecars_and_architecture(small_export, real_model):  # noqa: F811
    from verify.models.export import load_export, load_manifest

    lm = real_model("gemma3-270m")
    man = load_manifest(str(small_export))
    assert man["weights_sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert {"fig5a-all-fp32", "fig5d-n12-B-bf16", "structure-fp32", "sensitivity-fp32"} <= set(man["files"])
    t, meta = load_export(str(small_export / "fig5a-all-fp32"), man["files"]["fig5a-all-fp32"], lm.arch)
    assert meta["digits_are_single_tokens"] and meta["tokens"][-13:] == ["1"] * 13
    arch = meta["architecture"]
    assert (arch["family"], arch["num_layers"], arch["num_heads"], arch["adds_bos"]) == ("gemma3", 18, 4, True)
    assert arch["windows"].count(512) == 15 and arch["layer_types"].count("global") == 3
    assert meta["tensors"]["final_hidden"] == {"shape": [meta["num_tokens"], 640], "dtype": "float32"}
    assert t["last_layer_heads"].shape == (meta["num_tokens"], 4, 256)
    assert t["attention_self"].shape[:2] == (18, 4) and 12 in t["attention_self_n"].tolist()
    s, smeta = load_export(str(small_export / "structure-fp32"), man["files"]["structure-fp32"], lm.arch)
    assert smeta["num_tokens"] == 640 > 512  # sized from the window: past it by a quarter
    tb, bmeta = load_export(str(small_export / "fig5a-all-bf16"))
    assert bmeta["dtype"] == "bf16" and not np.array_equal(tb["final_hidden"], t["final_hidden"])


@needs_models
def test_fp32_after_bf16_is_fp32(small_export, real_model):  # noqa: F811
    """Every dtype pass runs on its own copy: an fp32 pass after a bf16 pass uses the fp32 weights."""
    import torch

    from verify.models.export import forward_states, load_export

    lm = real_model("gemma3-270m")
    ids = lm.encode("Can you copy the following number? 1,111")
    with torch.no_grad():
        before, _, _ = forward_states(lm, ids)
        half = lm.in_dtype("bf16")
        forward_states(half, ids)
        after, _, _ = forward_states(lm, ids)
    assert {p.dtype for p in lm.model.parameters()} == {torch.float32}
    assert {p.dtype for p in half.model.parameters()} == {torch.bfloat16}
    assert torch.equal(before, after)
    # The export ran bf16 passes before its fp32 sensitivity pass; that pass is fp32 and its
    # fp32 hidden states equal a fresh fp32 pass bit for bit.
    _, meta = load_export(str(small_export / "sensitivity-fp32"))
    assert meta["dtype"] == "fp32"
    t, m = load_export(str(small_export / "fig5d-n12-B-fp32"))
    from verify.sweep import one_thread

    with torch.no_grad(), one_thread():  # export passes run with one thread (Gemma's sums depend on it)
        fresh, _, _ = forward_states(lm, torch.as_tensor(t["token_ids"])[None])
    assert np.array_equal(fresh.numpy(), t["final_hidden"])


def _copy(src_dir, stem, dst_dir, name):
    for ext in (".safetensors", ".json"):
        shutil.copy(src_dir / (stem + ext), dst_dir / (name + ext))
    return dst_dir / name


@needs_models
def test_tampered_exports_are_rejected(small_export, tmp_path, real_model):  # noqa: F811
    from verify.models.export import load_export, load_manifest

    lm = real_model("gemma3-270m")
    man = load_manifest(str(small_export))
    stem = "fig5d-n3-A-fp32"
    sha = man["files"][stem]

    def tampered(edit_meta=None, edit_bytes=None):
        path = _copy(small_export, stem, tmp_path, f"t{len(os.listdir(tmp_path))}")
        if edit_bytes:
            data = path.with_suffix(".safetensors").read_bytes()
            path.with_suffix(".safetensors").write_bytes(edit_bytes(data))
        if edit_meta:
            meta = json.loads(path.with_suffix(".json").read_text())
            edit_meta(meta)
            path.with_suffix(".json").write_text(json.dumps(meta))
        return str(path)

    cases = [
        (tampered(edit_bytes=lambda d: d[: len(d) // 2]), None, None, "sha256"),
        (tampered(edit_bytes=lambda d: d[:-4] + b"\0\0\0\0"), None, None, "sha256"),
        (tampered(lambda m: m["tensors"]["final_hidden"].update(shape=[1, 640])), None, None, "sidecar says"),
        (tampered(lambda m: m["architecture"].update(layer_types=["global"] * 18)), None, lm.arch, "architecture"),
        (tampered(lambda m: m["architecture"].update(windows=[None] * 18)), None, lm.arch, "windows"),
        (tampered(lambda m: m.update(dtype="fp8")), None, None, "dtype"),
        (tampered(lambda m: m.update(covers=[[3, "A", -2]])), sha, None, "manifest"),
        (tampered(lambda m: m.update(schema=1)), None, None, "schema"),
        (tampered(lambda m: m.update(num_tokens=m["num_tokens"] + 1)), None, None, "tokens"),
    ]
    other = _copy(small_export, "fig5d-n12-A-fp32", tmp_path, "swapped")
    shutil.copy(small_export / f"{stem}.json", str(other) + ".json")  # a sidecar over another file's tensors
    cases.append((str(other), None, None, "sha256"))
    for path, expected_sha, arch, needle in cases:
        with pytest.raises(ValueError, match=needle):
            load_export(path, expected_sha=expected_sha, expected_arch=arch)


@needs_models
@pytest.mark.parametrize("args, needle", [
    (["export", "--prompt-set", "fig5a", "--out", "{tmp}/x", "--model", "/nonexistent/model.gguf"], "does not exist"),
    (["export", "--prompt-set", "fig99", "--out", "{tmp}/x", "--lengths", "3"], "unknown"),
    (["export", "--prompt-set", "fig5a", "--out", "{tmp}/x", "--lengths", "0"], "--lengths"),
    (["export", "--prompt-set", "fig5a", "--out", "{tmp}/x", "--attention-cap", "-5"], "--attention-cap"),
    (["export", "--prompt-set", "fig5a", "--out", "{tmp}/x", "--lengths", "2.5"], "--lengths"),
    (["export", "--prompt-set", "fig5a", "--out", "{tmp}/x", "--lengths", "40000", "--model", "smollm2-135m"],
     "context"),
    (["export", "--prompt-set", "fig5a", "--out", "{root}", "--lengths", "3"], "not an export directory"),
    (["info", "--model", "{root}"], "config.json"),
])
def test_bad_export_input_one_line_nothing_written(args, needle, tmp_path):
    args = [a.format(tmp=tmp_path, root=ROOT) for a in args]
    modules = ("verify.models", "verify.gemma") if needle == "unknown" else ("verify.models",)
    for module in modules:  # the former name is an alias
        proc = run_export_cli(*args, module=module)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], proc.stderr
        assert not (tmp_path / "x").exists()
        assert [f for f in os.listdir(tmp_path) if f.startswith(".")] == []


def test_unsupported_family_is_one_clear_error(tmp_path):
    from types import SimpleNamespace

    from verify.models.adapters import Gemma3Adapter, UnsupportedModel, adapter_for

    with pytest.raises(UnsupportedModel, match="'gpt2' .* not supported; supported: gemma3_text"):
        adapter_for(SimpleNamespace(model_type="gpt2"))
    cfg = SimpleNamespace(model_type="gemma3_text", num_hidden_layers=2, num_attention_heads=4, hidden_size=8,
                          max_position_embeddings=64, layer_types=["full_attention", "chunked_attention"])
    with pytest.raises(UnsupportedModel, match="layer 1 has type 'chunked_attention'"):
        Gemma3Adapter().architecture(cfg)
    del cfg.num_attention_heads
    with pytest.raises(UnsupportedModel, match="no 'num_attention_heads'"):
        Gemma3Adapter().architecture(cfg)


def test_sha256_memo_is_atomic_and_never_trusted_when_damaged(tmp_path, monkeypatch):
    """An empty or garbled memo means 'hash again'; it never deletes or poisons anything."""
    import hashlib

    from verify.models import sources

    monkeypatch.setenv("TNG_CACHE", str(tmp_path / "cache"))
    f = tmp_path / "weights.bin"
    f.write_bytes(b"abc" * 1000)
    truth = hashlib.sha256(f.read_bytes()).hexdigest()
    assert sources.file_sha256(str(f)) == truth
    (memo,) = (tmp_path / "cache" / "sha256").iterdir()
    converted = tmp_path / "cache" / "models" / truth[:16]
    converted.mkdir(parents=True)
    (converted / "model.safetensors").write_bytes(b"keep me")
    for damage in (b"", b"0123", b"z" * 64):
        memo.write_bytes(damage)
        assert sources.file_sha256(str(f)) == truth
        assert (converted / "model.safetensors").read_bytes() == b"keep me"
    assert memo.read_text().strip() == truth
    with pytest.raises(ValueError, match="sha256"):
        sources.ModelSpec("x", "x", "gguf", str(f), "", "x")
