"""The banded attention and the recomputed attention rows against transformers' eager attention.

Real weights (Gemma 3 270M past its 512-token window, SmolLM2-135M) and tiny random
Llama/Qwen2 models (a 16-key window); the long path at a few thousand tokens.
"""

import numpy as np
import pytest

from tests.models_fixtures import real_model, tiny_model, tiny_model_dir  # noqa: F401
from verify.models.sources import models_available

pytestmark = pytest.mark.models
HAVE, WHY = models_available()
needs_models = pytest.mark.skipif(not HAVE, reason=WHY)


def eager_reference(lm, ids):
    """Final hidden states and [L, H, n, n] attention from transformers' own eager attention."""
    import torch

    lm.with_attention("eager")
    try:
        with torch.no_grad():
            out = lm.adapter.backbone(lm.model)(input_ids=ids, output_attentions=True)
    finally:
        lm.with_attention("tng_banded")
    return out.last_hidden_state[0], torch.stack([a[0] for a in out.attentions]).numpy()


def banded_run(lm, ids):
    import torch

    from verify.models.attention import AttentionRows
    from verify.models.export import forward_states

    with torch.no_grad():
        y, _, cap = forward_states(lm, ids, keep_queries_keys=True)
    return y, AttentionRows(cap)


def assert_matches_eager(lm, ids):
    y_eager, att_eager = eager_reference(lm, ids)
    y, rows = banded_run(lm, ids)
    scale = float(y_eager.abs().max())
    # fp32 kernels summing in a different order: a few units in the 6th digit of the scale.
    assert float((y - y_eager).abs().max()) <= 1e-5 * scale
    assert np.abs(rows.full() - att_eager).max() <= 2e-5
    return y, rows


@needs_models
@pytest.mark.parametrize("name, ones", [("gemma3-270m", 600), ("smollm2-135m", 300)])
def test_real_models_match_eager(real_model, name, ones):
    lm = real_model(name)
    ids = lm.encode("How many ones are in the following sequences? " + "1" * ones)
    assert_matches_eager(lm, ids)


@needs_models
@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma2"])
def test_tiny_models_match_eager(tiny_model, family):
    lm = tiny_model(family)
    ids = lm.encode("How many ones? " + "1" * 70)
    _, rows = assert_matches_eager(lm, ids)
    if family != "llama":  # layer 0 slides over 16 keys: nothing outside the band
        A = rows.full()[0]
        i = np.arange(A.shape[-1])
        assert A[:, (i[:, None] - i[None, :]) >= 16].max() == 0


@needs_models
def test_row_recursions_equal_graphs_on_full_matrices(tiny_model):
    """Block-by-block rollout row and B.5 path sum = graphs' functions on the full matrices."""
    from graphs.paths import last_token_sensitivity, rollout
    from verify.models.attention import reverse_row_recursions, rollout_rule, sensitivity_rule

    lm = tiny_model("qwen2")
    _, rows = banded_run(lm, lm.encode("How many ones? " + "1" * 70))
    full = rows.full().astype(np.float64)
    got = reverse_row_recursions(rows, {"rollout": rollout_rule, "bound": sensitivity_rule()})
    mean = list(full.mean(axis=1))
    assert np.allclose(got["rollout"], rollout(mean, atol=1e-4)[-1], rtol=1e-9, atol=1e-12)
    assert np.allclose(got["bound"] * 2 ** rows.num_layers, last_token_sensitivity(mean, atol=1e-4), rtol=1e-9)
    assert np.array_equal(got["diag"], np.diagonal(full, axis1=-2, axis2=-1).astype(np.float32))
    assert np.array_equal(got["target_row"], full[:, :, -1, :].astype(np.float32))


@needs_models
def test_long_prompt_agrees_with_its_prefix(real_model):
    """A few thousand tokens through the long path: causality makes its first 500 rows those of the short prompt."""
    from verify.models.attention import reverse_row_recursions, rollout_rule

    lm = real_model("smollm2-135m")
    head = "How many ones are in the following sequences? "
    long_ids = lm.encode(head + "1" * 3000)
    short_ids = long_ids[:, :500]
    y_long, rows_long = banded_run(lm, long_ids)
    y_short, att_short = eager_reference(lm, short_ids)
    scale = float(y_short.abs().max())
    assert float((y_long[:500] - y_short).abs().max()) <= 1e-5 * scale
    for layer in (0, rows_long.num_layers - 1):
        block = rows_long.block(layer, 0, 500)[:, :, :500].numpy()
        assert np.abs(block - att_short[layer]).max() <= 2e-5
    stats = reverse_row_recursions(rows_long, {"rollout": rollout_rule})
    n = long_ids.shape[1]
    assert stats["diag"].shape == (rows_long.num_layers, rows_long.num_heads, n)
    # A row of a product of row-stochastic matrices; fp32 rows sum to 1 within n u per layer.
    assert abs(stats["rollout"].sum() - 1) <= rows_long.num_layers * n * 2.0 ** -24


def test_visible_keys_window_convention():
    import torch

    from verify.models.attention import visible_keys

    ok = visible_keys(torch.arange(6), torch.arange(6), window=3)
    assert ok.sum(1).tolist() == [1, 2, 3, 3, 3, 3]  # a query sees `window` keys, itself included


@needs_models
@pytest.mark.parametrize("family", ["qwen2", "gemma2"])
def test_greedy_generation_with_kv_cache_matches_eager(tiny_model, family):
    """Decoding with a KV cache (queries shorter than keys, sliding caches) gives eager's tokens and logits."""
    import torch

    lm = tiny_model(family)
    ids = lm.encode("How many ones? " + "1" * 40)
    outs = {}
    for impl in ("eager", "tng_banded"):
        lm.with_attention(impl)
        with torch.no_grad():
            outs[impl] = lm.model.generate(ids, max_new_tokens=12, do_sample=False, output_logits=True,
                                           return_dict_in_generate=True, pad_token_id=0)
    lm.with_attention("tng_banded")
    assert torch.equal(outs["eager"].sequences, outs["tng_banded"].sequences)
    for a, b in zip(outs["eager"].logits, outs["tng_banded"].logits):
        assert float((a - b).abs().max()) <= 1e-4
