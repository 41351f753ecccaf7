"""Counting: Proposition 6.1/B.9 and Corollary 6.2/B.10.

Proposition B.9 (main text: Proposition 6.1), quoted: "A Transformer without positional
encodings and a causal attention mechanism is immediately unable to solve the counting problem."

Corollary B.10 (main text: Corollary 6.2), quoted: "Consider a task in which the goal is to
count how many v_a tokens there are in the sequence. Let v^(0) = [v v_a]^T in R^{n x d} and
v*^(0) = [v v_a v_a] in R^{(n+1) x d}. Due to representational collapse, at least one sequence
will be given the wrong count for large enough finite n."

In words, Proposition B.9: without positional encodings and without a causal mask, attention
only sees the *ratio* of token counts, so ``"10"`` and ``"1100"`` (and every
sequence with the same proportion of ones, in any order) get identical
representations, at every layer.

Corollary B.10: once representational collapse (Theorem B.3) brings ``y_n`` and
``y*_{n+1}`` (``n`` and ``n+1`` copies of the counted token) below the resolution of
the number format, they round to the same vector, and any readout must give at
least one of them the wrong count.
"""

import numpy as np
import sympy as sp

from graphs.validate import check_finite_array, check_positive_int
from theory.collapse import SyntheticTransformer  # noqa: F401  (the examples below use it)

__all__ = [
    "ratio_attention_symbolic",
    "count_sequence",
    "ratio_invariance_gap",
    "count_collapse_witness",
]


def ratio_attention_symbolic():
    """Proposition B.9 in sympy: the attention output of a token depends on ``n0, n1`` only via ``n1/n0``.

    For a sequence with ``n0`` zeros and ``n1`` ones, bidirectional attention without
    positional encodings maps a token with query ``q`` to
    ``(n0 e^{a} v0 + n1 e^{b} v1) / (n0 e^{a} + n1 e^{b}) + v_self``
    where ``a = q.k0`` and ``b = q.k1``.

    Returns
    -------
    dict
        ``z``: that expression; ``scaled_minus_z``: ``z(t n0, t n1) - z(n0, n1)``
        simplified (0 for every ``t > 0``); ``in_ratio``: ``z`` rewritten with
        ``n1 = r n0`` (free of ``n0``).

    Examples
    --------
    >>> r = ratio_attention_symbolic()
    >>> r["scaled_minus_z"], r["n0"] in r["in_ratio"].free_symbols
    (0, False)
    """
    n0, n1, t, r = sp.symbols("n0 n1 t r", positive=True)
    a, b, v0, v1, vs = sp.symbols("a b v0 v1 v_self", real=True)

    def z(m0, m1):
        return (m0 * sp.exp(a) * v0 + m1 * sp.exp(b) * v1) / (m0 * sp.exp(a) + m1 * sp.exp(b)) + vs

    return {
        "n0": n0, "n1": n1, "z": z(n0, n1),
        "scaled_minus_z": sp.simplify(z(t * n0, t * n1) - z(n0, n1)),
        "in_ratio": sp.simplify(z(n0, r * n0)),
    }


def count_sequence(pattern, repeats, zero, one, rng=None):
    """Token vectors for ``pattern`` (a string of '0'/'1') repeated ``repeats`` times.

    With ``rng`` the order is shuffled (Proposition B.9 also covers permutations).

    Examples
    --------
    >>> count_sequence("10", 2, np.zeros(2), np.ones(2))[:, 0].tolist()
    [1.0, 0.0, 1.0, 0.0]
    """
    repeats = check_positive_int(repeats, "repeats")
    if not pattern or set(pattern) - {"0", "1"}:
        raise ValueError(f"pattern must be a non-empty string of '0' and '1', got {pattern!r}")
    zero = check_finite_array(zero, "zero", ndim=1)
    one = check_finite_array(one, "one", ndim=1)
    bits = np.array([c == "1" for c in pattern * repeats])
    if rng is not None:
        bits = rng.permutation(bits)
    return np.where(bits[:, None], one[None, :], zero[None, :])


def ratio_invariance_gap(model, pattern="10", repeats=(1, 2, 4, 8, 16), seed=0, shuffle=True):
    """Largest distance between same-token representations across sequences of equal ratio.

    Runs ``model`` on ``pattern * k`` for each ``k`` in ``repeats`` (shuffled when
    ``shuffle``) and compares, token type by token type, the final representation of
    every occurrence with that of the first sequence. Proposition B.9 says the gap is
    0 for a bidirectional model without positional encodings.

    Returns
    -------
    dict
        ``max_gap`` (L-infinity, over all tokens and sequences), ``scale``
        (largest ``|y|``) and ``per_repeat`` gaps.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, num_layers=2, encoding="none", causal=False, seed=0)
    >>> ratio_invariance_gap(m)["max_gap"] < 1e-12
    True
    >>> m = SyntheticTransformer(d=8, num_layers=2, encoding="none", causal=True, seed=0)
    >>> ratio_invariance_gap(m)["max_gap"] > 1e-3
    True
    """
    rng = np.random.default_rng(seed)
    toks = np.random.default_rng(seed + 1).normal(size=(2, model.d))
    ref = {}
    gaps = []
    scale = 0.0
    for k in repeats:
        order = count_sequence(pattern, k, toks[0], toks[1], rng if shuffle else None)
        y = model.forward(order)
        is_one = order[:, 0] == toks[1, 0]
        scale = max(scale, float(np.abs(y).max()))
        gap = 0.0
        for label, mask in (("one", is_one), ("zero", ~is_one)):
            if not mask.any():
                continue
            ys = y[mask]
            if label not in ref:
                ref[label] = ys[0]
            gap = max(gap, float(np.abs(ys - ref[label]).max()))
        gaps.append(gap)
    return {"max_gap": max(gaps), "scale": scale, "per_repeat": gaps, "repeats": list(repeats)}


def count_collapse_witness(model, prompt, one, lengths):
    """Search for a counting failure forced by the number format (Corollary B.10).

    For each ``n`` in ``lengths`` the two sequences are ``prompt`` followed by ``n``
    and by ``n + 1`` copies of ``one``. A witness is an ``n`` at which the two final
    representations, computed in ``model.dtype``, are *bitwise identical*: then every
    readout returns the same answer for counts ``n`` and ``n + 1``, so at least one
    of them is wrong.

    Returns
    -------
    dict
        ``n``, ``linf`` (distance in the model's format), ``identical`` (bool array)
        and ``witness`` (smallest ``n`` with identical representations, or None).
    """
    prompt = check_finite_array(prompt, "prompt", ndim=2)
    one = check_finite_array(one, "one", ndim=1)
    ns = sorted(int(check_positive_int(int(n), "lengths")) for n in lengths)
    n_max = ns[-1]
    seq = np.concatenate([prompt, np.repeat(one[None], n_max - 1, axis=0)])
    cache = model.encode_prefix(seq)
    p = prompt.shape[0]
    linf, identical = [], []
    for n in ns:
        ya = model.last_token(cache, p + n - 1, one[None])
        yb = model.last_token(cache, p + n - 1, np.stack([one, one]))
        d = np.abs(ya - yb)
        linf.append(float(d.max()))
        identical.append(bool((d == 0).all()))
    witness = next((n for n, same in zip(ns, identical) if same), None)
    return {"n": np.array(ns), "linf": np.array(linf), "identical": np.array(identical),
            "witness": witness}
