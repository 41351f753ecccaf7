"""Sliding-window option of the synthetic Transformer (Appendix C.6): backward compatible and exact."""

import numpy as np
import pytest

from theory import collapse as C


@pytest.mark.parametrize("window", [3, [3, None], [None, 5]])
def test_windowed_cached_sweep_equals_naive(window):
    m = C.SyntheticTransformer(d=16, num_layers=2, encoding="rope", seed=1, window=window)
    x = C.random_tokens(80, 16, seed=2)
    ns = [1, 2, 7, 33, 80]
    fast = C.collapse_sweep(m, x[:-1], x[-1], ns)
    slow = C.collapse_sweep_naive(m, x[:-1], x[-1], ns)
    assert np.allclose(fast["l1"], slow["l1"], rtol=1e-9, atol=1e-13)


def test_window_wider_than_sequence_is_global():
    x = C.random_tokens(40, 16, seed=2)
    g = C.SyntheticTransformer(d=16, num_layers=2, encoding="rope", seed=1)
    w = C.SyntheticTransformer(d=16, num_layers=2, encoding="rope", seed=1, window=40)
    assert g.windows == (None, None)
    assert np.array_equal(g.forward(x), w.forward(x))


def test_window_one_ignores_every_other_token():
    # Width 1: each token attends only to itself, so the last output ignores the prefix.
    m = C.SyntheticTransformer(d=8, num_layers=2, encoding="none", seed=0, window=1)
    x = C.random_tokens(12, 8, seed=3)
    y = m.forward(x)[-1]
    x2 = x.copy()
    x2[:-1] += 1.0
    assert np.array_equal(y, m.forward(x2)[-1])


@pytest.mark.parametrize("bad", [0, [2], [2, 3, 4], "wide", [2, -1]])
def test_bad_window_raises_naming_it(bad):
    with pytest.raises(ValueError, match="window"):
        C.SyntheticTransformer(d=8, num_layers=2, encoding="none", window=bad)


def test_window_needs_causal_and_running_sums_need_global():
    with pytest.raises(ValueError, match="causal"):
        C.SyntheticTransformer(d=8, num_layers=1, encoding="none", causal=False, window=2)
    m = C.SyntheticTransformer(d=8, num_layers=1, encoding="none", window=4)
    x = C.random_tokens(10, 8, seed=1)
    with pytest.raises(ValueError, match="window=None"):
        C.collapse_sweep_all(m, x[:-1], x[-1], 10)
