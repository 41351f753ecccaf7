"""Attention in the formats models produce (HF tuples, TransformerLens stacks, lists), numpy or torch."""

import numpy as np
import pytest

import graphs
from graphs import causal as Cz


@pytest.fixture
def heads():
    """3 layers x 2 heads of 5 x 5 causal attention, as a (layers, heads, n, n) array."""
    rng = np.random.default_rng(0)
    return np.stack([np.stack([Cz.random_attention(5, rng) for _ in range(2)]) for _ in range(3)])


def hf_tuple(stack, batch=1):
    """HuggingFace output_attentions: one (batch, heads, n, n) array per layer."""
    return tuple(np.repeat(layer[None], batch, axis=0) for layer in stack)


def as_array(r):
    """Any result (graph, sparse matrix, flow dict, list over heads) as an array to compare."""
    if isinstance(r, list):
        return np.stack([as_array(x) for x in r])
    if isinstance(r, dict):
        return r["flow"]
    if hasattr(r, "edges"):
        return np.array([d["weight"] for *_, d in sorted(r.edges(data=True))])
    if hasattr(r, "toarray"):
        return r.toarray()
    return np.asarray(r)


FUNCS = [graphs.last_token_sensitivity, graphs.rollout, graphs.attention_flow,
         graphs.attention_flow_networkx, graphs.unrolled_graph, graphs.normalised_layers,
         graphs.flow_network]


@pytest.mark.parametrize("func", FUNCS)
def test_every_format_gives_the_list_answer(func, heads):
    func = (lambda f: lambda *a, **k: as_array(f(*a, **k)))(func)
    mean = [h.mean(axis=0) for h in heads]
    ref = func(mean)
    assert np.allclose(func(heads, heads="mean"), ref)                       # TransformerLens
    assert np.allclose(func(heads[:, None], heads="mean"), ref)              # (L, batch, H, n, n)
    assert np.allclose(func(hf_tuple(heads), heads="mean"), ref)             # HuggingFace
    assert np.allclose(func(hf_tuple(heads, 3), heads="mean", batch=2), ref)
    assert np.allclose(func(list(heads), heads="mean"), ref)                 # list of (H, n, n)
    each = func(heads, heads="each")
    for h in range(2):
        assert np.allclose(each[h], func([layer[h] for layer in heads]))
        assert np.allclose(func(heads, heads=h), func([layer[h] for layer in heads]))


def test_torch_tensors_of_any_precision(heads):
    torch = pytest.importorskip("torch")
    ref = graphs.last_token_sensitivity([h.mean(axis=0) for h in heads])
    t = tuple(torch.tensor(layer[None], dtype=torch.float32) for layer in heads)
    assert np.allclose(graphs.last_token_sensitivity(t, heads="mean"), ref, atol=1e-5)
    bf = torch.tensor(heads, dtype=torch.bfloat16)
    out = graphs.rollout(bf, heads="mean", atol=0.05)   # bf16 rows sum to 1 within ~1e-3
    assert np.allclose(out, graphs.rollout(heads, heads="mean"), atol=0.02)
    single = graphs.causal_graph(torch.tensor(heads[0][None]), heads=1)
    assert single.number_of_nodes() == 5


def test_max_reduction_is_renormalised(heads):
    A = graphs.attention_layers(heads, heads="max")[0]
    for ell, a in enumerate(A):
        mx = heads[ell].max(axis=0)
        assert np.allclose(a, mx / mx.sum(axis=1, keepdims=True))


def test_single_matrix_functions_take_one_layer_in_any_format(heads):
    layer = heads[1]
    ref = graphs.eigen_summary(layer.mean(axis=0))
    assert graphs.eigen_summary(layer, heads="mean") == ref
    assert graphs.eigen_summary(layer[None], heads="mean") == ref              # (batch, H, n, n)
    assert graphs.eigen_summary((layer[None],), heads="mean") == ref           # one-layer HF tuple
    assert np.allclose(graphs.lazy_walk(layer, heads="each")[1], graphs.lazy_walk(layer[1]))
    assert graphs.spectral_limit(layer, heads=0, eps=1e-3)["layers"] == \
        graphs.layers_to_eps(layer[0], eps=1e-3)
    r = graphs.compare_decay(5, 2, attn=layer, heads="mean")
    assert np.isclose(r["causal"]["profile"].sum(), 1.0)


@pytest.mark.parametrize("kwargs, match", [
    ({}, "has 2 heads; choose heads="),
    ({"heads": "sum"}, "heads must be None"),
    ({"heads": 2}, "heads must be an integer in \\[-2, 1\\]"),
    ({"heads": True}, "heads must be None"),
    ({"heads": "mean", "batch": 1}, "batch must be an integer in \\[-1, 0\\]"),
])
def test_head_and_batch_choices_are_explicit(heads, kwargs, match):
    with pytest.raises(ValueError, match=match):
        graphs.rollout(hf_tuple(heads), **kwargs)


def test_batch_must_be_picked_and_shapes_checked(heads):
    with pytest.raises(ValueError, match="batch size 3; pass batch="):
        graphs.rollout(hf_tuple(heads, 3), heads="mean")
    with pytest.raises(ValueError, match="holds 3 layers; pass one layer"):
        graphs.causal_graph(list(heads), heads="mean")
    with pytest.raises(ValueError, match="layer 1 has shape"):
        graphs.rollout([np.eye(3), np.eye(2)])
    with pytest.raises(ValueError, match="heads=0 selects a head, but attns has no head axis"):
        graphs.rollout([np.eye(3)], heads=0)
    bad = heads.copy()
    bad[1, 1, 0, 1] = 0.3
    with pytest.raises(ValueError, match="attns layer 1 head 1: entry \\(0, 1\\) above the diagonal"):
        graphs.rollout(bad, heads="each")
