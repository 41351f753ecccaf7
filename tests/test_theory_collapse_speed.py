"""collapse_sweep_all: the batched tail against the per-block one and an extended-precision oracle.

The oracle recomputes the last-token output of both sequences from the model's weights in
``numpy.longdouble`` (64-bit significand on x86), independently of the sweep's running sums
and of its BLAS products. No timing here (benchmarks/bench_collapse.py prints the ratio).
"""

import numpy as np
import pytest

from theory import collapse as C

LD = np.longdouble
EXTENDED = np.finfo(LD).nmant > np.finfo(np.float64).nmant


def _norm(h):
    mu = h.mean(axis=-1, keepdims=True)
    var = ((h - mu) ** 2).mean(axis=-1, keepdims=True)
    return (h - mu) / np.sqrt(var + LD(C._LN_EPS))


def _last_output(model, tokens):
    """y of the last token of ``tokens`` for a one-layer NoPE model, in long double."""
    W = {k: v.astype(LD) for k, v in model.layers[0].items()}
    x = tokens.astype(LD)
    h = _norm(x)
    q, k, v = h[-1] @ W["WQ"], h @ W["WK"], h @ W["WV"]
    logits = (k @ q) / np.sqrt(LD(model.d))
    w = np.exp(logits - logits.max())
    z = (w / w.sum()) @ v @ W["WO"] + x[-1]
    a = _norm(z) @ W["W1"]
    g = LD(0.5) * a * (1 + np.tanh(LD(0.7978845608028654) * (a + LD(0.044715) * a**3)))
    return _norm(z + g @ W["W2"])


@pytest.mark.parametrize("seed", [0, 1])
def test_batched_equals_per_block_and_both_meet_the_oracle(seed):
    m = C.SyntheticTransformer(d=16, encoding="none", seed=seed)
    x = C.random_tokens(700, 16, seed=seed + 10)
    new = C.collapse_sweep_all(m, x[:-1], x[-1], 700, block=128)
    old = C.collapse_sweep_all(m, x[:-1], x[-1], 700, block=128, batched=False)
    for key in ("attn_l1", "attn_factor", "attn_identity", "n"):
        assert np.array_equal(new[key], old[key])  # the running sums are shared
    assert np.allclose(new["scale"], old["scale"], rtol=1e-14, atol=0)
    # The distance is a difference of nearly equal vectors: both paths round y to ~1e-16,
    # so they agree to ~1e-16 * |y| * d in absolute terms, not relative to the distance.
    tol = 4 * np.finfo(float).eps * old["scale"] * 16
    assert np.all(np.abs(new["l1"] - old["l1"]) <= tol)
    if not EXTENDED:
        pytest.skip("numpy.longdouble is float64 here; no extended-precision oracle")
    for n in (2, 17, 128, 129, 700):
        ya = _last_output(m, np.concatenate([x[: n - 1], x[-1:]]))
        yb = _last_output(m, np.concatenate([x[: n - 1], x[-1:], x[-1:]]))
        exact = float(np.abs(ya - yb).sum())
        for run in (new, old):
            assert abs(run["l1"][n - 1] - exact) <= tol[n - 1]


def test_batched_alibi_and_fp32_agree_with_the_grid():
    for dtype in ("fp64", "fp32"):
        m = C.SyntheticTransformer(d=16, encoding="alibi", alibi=0.05, dtype=dtype, seed=3)
        x = C.random_tokens(900, 16, seed=4)
        allr = C.collapse_sweep_all(m, x[:-1], x[-1], 900, block=100)
        ns = [2, 99, 100, 101, 900]
        grid = C.collapse_sweep(m, x[:-1], x[-1], ns)
        rtol = 1e-9 if dtype == "fp64" else 1e-3
        assert np.allclose(allr["l1"][np.array(ns) - 1], grid["l1"], rtol=rtol, atol=1e-6 if dtype == "fp32" else 1e-14)
