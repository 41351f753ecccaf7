"""Proposition B.9 (property-based) and Corollary B.10."""

import numpy as np
from hypothesis import given, settings, strategies as st

from theory import collapse as C
from theory import counting as K


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 500))
def test_same_ratio_same_representation(zeros, ones, seed):
    pattern = "0" * zeros + "1" * ones
    m = C.SyntheticTransformer(d=16, num_layers=2, encoding="none", causal=False, seed=seed)
    r = K.ratio_invariance_gap(m, pattern, (1, 3, 7), seed=seed)
    assert r["max_gap"] <= 1e-12 * r["scale"]


def test_causal_mask_breaks_ratio_invariance():
    m = C.SyntheticTransformer(d=16, num_layers=2, encoding="none", causal=True, seed=0)
    assert K.ratio_invariance_gap(m, "10", (1, 2, 4))["max_gap"] > 1e-3


def test_symbolic_ratio():
    r = K.ratio_attention_symbolic()
    assert r["scaled_minus_z"] == 0


def test_witness_only_in_low_precision():
    rng = np.random.default_rng(3)
    prompt, one = rng.normal(size=(4, 32)), rng.normal(size=32)
    ns = [4, 64, 1024]
    hi = K.count_collapse_witness(C.SyntheticTransformer(d=32, dtype="fp64"), prompt, one, ns)
    lo = K.count_collapse_witness(C.SyntheticTransformer(d=32, dtype="fp8_e5m2", num_layers=2), prompt, one, [256, 512, 1024])
    assert hi["witness"] is None and (hi["linf"] > 0).all()
    assert lo["witness"] is not None
