"""Real-model tests: export from Gemma 3 270M (the PyPI package), damaged files, and the gemma.* checks.

Skipped when the optional 'gemma' extra is not installed; CI installs it.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from verify.gemma.model import gemma_available

pytestmark = pytest.mark.gemma
HAVE_GEMMA, WHY = gemma_available()
needs_gemma = pytest.mark.skipif(not HAVE_GEMMA, reason=WHY)


def run_gemma(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "verify.gemma", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def small_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    proc = run_gemma("export", "--prompt-set", "fig5a", "--prompt-set", "fig5d", "--lengths", "3", "12",
                     "--dtype", "fp32", "bf16", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@needs_gemma
def test_export_files_and_tokenisation(small_export):
    from verify.gemma.export import load_export

    man = json.loads((small_export / "manifest.json").read_text())
    assert man["weights_sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert "fig5a-all-fp32" in man["files"] and "fig5d-n12-B-bf16" in man["files"]
    t, meta = load_export(str(small_export / "fig5a-all-fp32.safetensors"))
    assert meta["digits_are_single_tokens"]
    assert meta["tokens"][-13:] == ["1"] * 13
    assert meta["library_versions"]["torch"] and meta["seed"] == 0
    L, H, n, _ = t["attention"].shape
    assert (L, H) == (18, 4) and n == meta["num_tokens"]
    assert np.allclose(t["attention"].sum(-1), 1, atol=1e-5)
    assert np.abs(np.triu(t["attention"], 1)).max() == 0
    assert t["last_layer_heads"].shape == (n, 4, 256)
    assert np.array_equal(t["last_hidden"], t["final_hidden"][-1])
    tb, _ = load_export(str(small_export / "fig5a-all-bf16.safetensors"))
    assert not np.array_equal(tb["final_hidden"], t["final_hidden"])  # a genuinely different run


@needs_gemma
def test_damaged_exports_are_rejected(small_export, tmp_path):
    from verify.gemma.export import load_export

    src = small_export / "fig5d-n3-A-fp32"
    data = (src.with_suffix(".safetensors")).read_bytes()
    bad = tmp_path / "cut"
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "cut.json").write_text((src.with_suffix(".json")).read_text())
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_export(str(bad) + ".safetensors")
    meta = json.loads((src.with_suffix(".json")).read_text())
    meta["tensors"]["final_hidden"][0] += 1
    (tmp_path / "shape.safetensors").write_bytes(data)
    (tmp_path / "shape.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="has shape"):
        load_export(str(tmp_path / "shape.safetensors"))


@needs_gemma
@pytest.mark.parametrize("args, needle", [
    (["export", "--prompt-set", "fig5a", "--out", "/tmp/x", "--model", "/nonexistent/model.gguf"], "does not exist"),
    (["export", "--prompt-set", "fig99", "--out", "/tmp/x", "--lengths", "3"], "unknown"),
    (["export", "--prompt-set", "fig5a", "--out", "/tmp/x", "--lengths", "0"], "--lengths"),
    (["info", "--model", ROOT], "config.json"),
])
def test_bad_input_one_line(args, needle):
    proc = run_gemma(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


@needs_gemma
def test_not_a_gguf_file(tmp_path):
    from verify.gemma.model import resolve_model

    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(ValueError, match="not a GGUF file"):
        resolve_model(str(fake))


@needs_gemma
def test_prompt_longer_than_context_leaves_no_file(tmp_path):
    from verify.gemma.export import run_prompt
    from verify.gemma.model import load_model
    from verify.gemma.prompts import build_prompts

    model, tok, _ = load_model()
    old = model.config.max_position_embeddings
    model.config.max_position_embeddings = 20
    try:
        with pytest.raises(ValueError, match="more than the model's context"):
            run_prompt(model, tok, build_prompts("fig5a", [40])[0], "fp32")
    finally:
        model.config.max_position_embeddings = old
    assert list(tmp_path.iterdir()) == []


@needs_gemma
def test_gemma_checks_pass_and_controls_fail(tmp_path):
    from verify.checks import gemma_checks as G
    from verify.registry import Context

    ctx = Context(quick=True, out_dir=str(tmp_path))
    assert G.prepare(ctx) == ""
    for func in (G.check_structure, G.check_gemma_b6, G.check_gemma_b8, G.check_gemma_b5,
                 G.check_gemma_collapse, G.check_gemma_b1):
        res = func.run(ctx)
        assert res.status == "pass", (res.id, res.reason)
    controls = [
        (G.check_structure, {"perturb": True}),
        (G.check_gemma_b6, {"one_hot_row": 5}),
        (G.check_gemma_b8, {"identity_layers": True}),
        (G.check_gemma_b5, {"sigma_psi": 0.1, "normalisation": "statement"}),
        (G.check_gemma_collapse, {"collapse_set": "fig5d"}),
        (G.check_gemma_b1, {"layers": "sliding"}),
    ]
    for func, params in controls:
        res = func.run(ctx, **params)
        assert res.status == "fail", (res.id, params)


def test_missing_extra_gives_skip_with_install_command(monkeypatch, tmp_path):
    from verify.checks import gemma_checks as G
    from verify.gemma import model as M
    from verify.registry import Context

    monkeypatch.setattr(M, "gemma_available", lambda: (False, "the optional 'gemma' extra is not installed; "
                                                              f"install it with: {M.GEMMA_EXTRA_INSTALL}"))
    res = G.check_gemma_collapse.run(Context(quick=True, out_dir=str(tmp_path)))
    assert res.status == "skip" and "pip install" in res.reason and ".[gemma]" in res.reason


@needs_gemma
def test_local_hugging_face_directory_works_as_model(tmp_path):
    """--model accepts a local HF directory: the cached conversion is one, so load it that way."""
    import torch

    from verify.gemma.model import _converted_dir, load_model, resolve_model

    ref, tok, spec = load_model(None)
    hf_dir = _converted_dir(spec)
    hf_spec = resolve_model(hf_dir)
    assert hf_spec.kind == "hf"
    other, tok2, _ = load_model(hf_dir)
    ids = tok("Can you copy the following number? 1,111", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        a = ref.model(input_ids=ids).last_hidden_state
        b = other.model(input_ids=ids).last_hidden_state
    assert torch.equal(a, b)
