"""The theory side of the glasses prescription (theory/prescription.py)."""

import numpy as np
import pytest

from theory.collapse import SyntheticTransformer, random_tokens
from theory.prescription import distinguishability_margin, prefix_closed_distances, separated_positions


def test_layout_matches_a_direct_construction():
    for n in (1, 2, 7, 30):
        for every in (None, 1, 2, 3, 8):
            mask, pos = separated_positions(n, every)
            body = []
            for i in range(n):
                body.append(0)
                if every and (i + 1) % every == 0 and i + 1 < n:
                    body.append(1)
            assert mask.astype(int).tolist() == body[: len(mask)] and len(body) == len(mask)
            assert (~mask[pos]).all() and len(pos) == n


def test_one_pass_equals_separate_prompts():
    """Causality: the state at the n-th copy equals the last state of the prompt that stops there."""
    m = SyntheticTransformer(d=16, num_layers=2, encoding="alibi", seed=1)
    x = random_tokens(6, 16, seed=2)
    r = prefix_closed_distances(m, x[:4], x[4], x[5], 12, every=3)
    mask, pos = separated_positions(12, 3)
    body = np.where(mask[:, None], x[5][None], x[4][None])
    for n in (1, 5, 11):
        ya = m.forward(np.concatenate([x[:4], body[: pos[n - 1] + 1]]))[-1]
        yb = m.forward(np.concatenate([x[:4], body[: pos[n] + 1]]))[-1]
        assert np.isclose(r["distance"][n - 1], np.abs(ya - yb).max(), rtol=1e-12)


def test_nope_collapses_with_separators_and_alibi_keeps_a_floor():
    """NoPE: separators change only the ratio, the distance keeps decaying; ALiBi: it levels off."""
    x = random_tokens(12, 32, seed=3)
    out = {}
    for enc in ("none", "alibi"):
        m = SyntheticTransformer(d=32, num_layers=1, encoding=enc, seed=0)
        r = prefix_closed_distances(m, x[:8], x[8], x[9], 2048, every=3)
        d = r["distance"]
        # Compare counts that sit at the same place in a separator group.
        out[enc] = d[3 * 200 - 1] / d[3 * 600 - 1]
    assert out["none"] > 2.5        # still decaying about like 1/n (3x for 3x the count)
    assert out["alibi"] < 1.2       # a floor set by the local context


def test_bad_input():
    m = SyntheticTransformer(d=8, encoding="none", seed=0, causal=False)
    x = random_tokens(3, 8, seed=1)
    with pytest.raises(ValueError, match="causal"):
        prefix_closed_distances(m, x[:1], x[1], x[2], 8)
    with pytest.raises(ValueError, match="every"):
        separated_positions(4, every=0)
    with pytest.raises(ValueError, match="same length"):
        distinguishability_margin([1.0], [1.0, 2.0], "bf16")
