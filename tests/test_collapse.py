"""Theorem B.3 machinery: the incremental sweeps agree with full recomputation."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory import collapse as C


@pytest.mark.parametrize("encoding", ["none", "rope", "alibi", "sinusoidal", "sinusoidal_input"])
@pytest.mark.parametrize("layers", [1, 2])
def test_cached_sweep_equals_naive(encoding, layers):
    m = C.SyntheticTransformer(d=16, num_layers=layers, encoding=encoding, seed=1)
    x = C.random_tokens(80, 16, seed=2)
    ns = [1, 2, 7, 33, 80]
    fast = C.collapse_sweep(m, x[:-1], x[-1], ns)
    slow = C.collapse_sweep_naive(m, x[:-1], x[-1], ns)
    assert np.allclose(fast["l1"], slow["l1"], rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("encoding", ["none", "alibi"])
def test_running_sums_equal_grid(encoding):
    m = C.SyntheticTransformer(d=16, encoding=encoding, seed=3, alibi=0.05 if encoding == "alibi" else None)
    x = C.random_tokens(3000, 16, seed=4)
    allr = C.collapse_sweep_all(m, x[:-1], x[-1], 3000, block=256)
    ns = [2, 3, 255, 256, 257, 1000, 3000]
    grid = C.collapse_sweep(m, x[:-1], x[-1], ns)
    assert np.allclose(allr["l1"][np.array(ns) - 1], grid["l1"], rtol=1e-9, atol=1e-14)
    assert np.allclose(allr["attn_l1"][1:], allr["attn_identity"][1:], rtol=1e-9)


def test_nope_collapses_at_rate_one_over_n_and_absolute_input_pe_does_not():
    x = C.random_tokens(20000, 32, seed=5)
    m = C.SyntheticTransformer(d=32, encoding="none", seed=0)
    r = C.collapse_sweep_all(m, x[:-1], x[-1], 20000)
    assert r["l1"][19999] < r["l1"][199] / 30  # ~1/n: factor 100 in n
    s = C.collapse_sweep(C.SyntheticTransformer(d=32, encoding="sinusoidal_input", seed=0),
                         x[:-1], x[-1], [200, 20000])
    assert s["l1"][1] > s["l1"][0] / 5  # no collapse


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["fp16", "bf16", "fp8_e4m3"]), st.integers(0, 1000))
def test_low_precision_outputs_are_representable(dtype, seed):
    from theory.precision import round_to
    m = C.SyntheticTransformer(d=8, encoding="rope", dtype=dtype, seed=seed)
    y = m.forward(C.random_tokens(12, 8, seed=seed + 1))
    assert np.array_equal(round_to(y, dtype), y)


def test_separator_sequence_shape():
    s = C.separator_sequence(9, np.ones(2), np.zeros(2))
    assert s.shape == (11, 2)


@pytest.mark.parametrize("call, name", [
    (lambda: C.SyntheticTransformer(d=7), "d"),
    (lambda: C.SyntheticTransformer(encoding="xpos"), "encoding"),
    (lambda: C.SyntheticTransformer(dtype="int8"), "dtype"),
    (lambda: C.SyntheticTransformer(init="he"), "init"),
    (lambda: C.SyntheticTransformer(num_layers=0), "num_layers"),
    (lambda: C.SyntheticTransformer(d=8).forward(np.ones((3, 4))), "x"),
    (lambda: C.SyntheticTransformer(d=8).forward(np.full((3, 8), np.nan)), "x"),
    (lambda: C.collapse_sweep(C.SyntheticTransformer(d=8), np.ones((3, 8)), np.ones(8), [10]), "prefix"),
    (lambda: C.collapse_sweep_all(C.SyntheticTransformer(d=8, encoding="rope"), np.ones((3, 8)), np.ones(8), 3), "encoding"),
    (lambda: C.random_tokens(0), "n"),
    (lambda: C.geometric_lengths(10, 5), "n_max"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 300))
def test_b3_one_layer_identity_property(seed, n_max):
    """Theorem B.3, first layer, NoPE: ||z_n - z*_(n+1)||_1 = w'/(S+w+w') ||z_n - v_a||_1 <= e^(2M)/(n+1) ..."""
    m = C.SyntheticTransformer(d=8, encoding="none", seed=seed % 1000)
    x = C.random_tokens(n_max, 8, seed=seed)
    r = C.collapse_sweep_all(m, x[:-1], x[-1], n_max)
    assert np.allclose(r["attn_l1"], r["attn_identity"], rtol=1e-9, atol=1e-15)
    bound = np.exp(2 * r["logit_bound"]) / (r["n"] + 1)
    assert np.all(r["attn_factor"] <= bound * (1 + 1e-12))
