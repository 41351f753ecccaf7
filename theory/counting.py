"""Counting: Proposition 6.1/B.9 and Corollary 6.2/B.10.

Proposition B.9 (p. 19; main text: Proposition 6.1, p. 9), quoted: "A Transformer without positional
encodings and a causal attention mechanism is immediately unable to solve the counting problem."

Corollary B.10 (p. 20; main text: Corollary 6.2, p. 10), quoted: "Consider a task in which the goal is to
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

from theory import _validate as chk
from theory.collapse import SyntheticTransformer

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

    Parameters
    ----------
    None
        (n0, n1, t, r > 0 and real a, b, v0, v1, v_self are symbols)

    Returns
    -------
    dict
        ``z``: that expression; ``scaled_minus_z``: ``z(t n0, t n1) - z(n0, n1)``
        simplified (0 for every ``t > 0``); ``in_ratio``: ``z`` rewritten with
        ``n1 = r n0`` (free of ``n0``); and the symbols ``n0``, ``n1``.

    Raises
    ------
    None
        (symbolic only)

    References
    ----------
    Barbero et al. (2024), Proposition B.9 and its proof, p. 19.

    Examples
    --------
    >>> ratio_attention_symbolic()["scaled_minus_z"]
    0
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


def _check_pattern(pattern):
    if not isinstance(pattern, str):
        raise chk.ArgumentTypeError(f"pattern must be a string of '0' and '1', got {pattern!r}")
    if not pattern or set(pattern) - {"0", "1"}:
        raise ValueError(f"pattern must be a non-empty string of '0' and '1', got {pattern!r}")
    return pattern


def count_sequence(pattern, repeats, zero, one, rng=None):
    """Token vectors for ``pattern`` (a string of '0'/'1') repeated ``repeats`` times.

    With ``rng`` the order is shuffled (Proposition B.9 also covers permutations).

    Parameters
    ----------
    pattern : str
        A non-empty string of the characters '0' and '1'.
    repeats : int
        ``>= 1``.
    zero, one : array_like of float, shape (d,)
        The two token vectors (same width).
    rng : numpy.random.Generator, optional
        Shuffles the order when given.

    Returns
    -------
    ndarray, shape (len(pattern) * repeats, d)

    Raises
    ------
    ValueError
        For a pattern that is not such a string, tokens of different widths or with
        non-finite entries, or an output over the ``elements`` limit.
    TypeError
        For an ``rng`` that is not a Generator, or a pattern that is not a string (also
        a ValueError).

    References
    ----------
    Barbero et al. (2024), Proposition B.9, p. 19.

    Examples
    --------
    >>> count_sequence("10", 2, np.zeros(2), np.ones(2))[:, 0].tolist()
    [1.0, 0.0, 1.0, 0.0]
    """
    pattern = _check_pattern(pattern)
    repeats = chk.check_int(repeats, "repeats", minimum=1)
    zero = chk.check_real_array(zero, "zero", ndim=1)
    one = chk.check_real_array(one, "one", ndim=1)
    chk.check_same_width(zero, one, "zero", "one")
    if rng is not None:
        chk.check_rng(rng, "rng")
    chk.check_elements([len(pattern) * repeats, len(zero)], "repeats")
    bits = np.array([c == "1" for c in pattern * repeats])
    if rng is not None:
        bits = rng.permutation(bits)
    return np.where(bits[:, None], one[None, :], zero[None, :])


def _check_model(model):
    if not isinstance(model, SyntheticTransformer):
        raise chk.ArgumentTypeError(f"model must be a SyntheticTransformer, got {type(model).__name__}")
    return model


def ratio_invariance_gap(model, pattern="10", repeats=(1, 2, 4, 8, 16), seed=0, shuffle=True):
    """Largest distance between same-token representations across sequences of equal ratio.

    Runs ``model`` on ``pattern * k`` for each ``k`` in ``repeats`` (shuffled when
    ``shuffle``) and compares, token type by token type, the final representation of
    every occurrence with that of the first sequence. Proposition B.9 says the gap is
    0 for a bidirectional model without positional encodings.

    Parameters
    ----------
    model : theory.collapse.SyntheticTransformer
        Typically bidirectional (``causal=False``) without positional encodings.
    pattern : str
        A non-empty string of '0' and '1'.
    repeats : sequence of int
        Positive repeat counts, not empty.
    seed : int
        Non-negative; seeds the token vectors (``seed + 1``) and the shuffles (``seed``).
    shuffle : bool
        Shuffle each sequence (a real bool).

    Returns
    -------
    dict
        ``max_gap`` (L-infinity, over all tokens and sequences), ``scale``
        (largest ``|y|``), ``per_repeat`` gaps and ``repeats``.

    Raises
    ------
    ValueError
        For arguments out of their domain, or forward passes over the ``work`` limit.
    TypeError
        If ``model`` is not a SyntheticTransformer or ``shuffle`` not a bool (also a
        ValueError).

    References
    ----------
    Barbero et al. (2024), Proposition B.9, p. 19 (main text: Proposition 6.1, p. 9).

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, num_layers=2, encoding="none", causal=False, seed=0)
    >>> ratio_invariance_gap(m)["max_gap"] < 1e-12
    True
    >>> m = SyntheticTransformer(d=8, num_layers=2, encoding="none", causal=True, seed=0)
    >>> ratio_invariance_gap(m)["max_gap"] > 1e-3
    True
    """
    _check_model(model)
    pattern = _check_pattern(pattern)
    repeats = chk.check_int_array(repeats, "repeats", minimum=1).tolist()
    seed = chk.check_int(seed, "seed", minimum=0)
    shuffle = chk.check_bool(shuffle, "shuffle")
    chk.check_cost(model.num_layers * sum((len(pattern) * k) ** 2 for k in repeats), "work", "repeats",
                   "attention scores")
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

    Parameters
    ----------
    model : theory.collapse.SyntheticTransformer
        A causal model; its ``dtype`` is the format under test.
    prompt : array_like, shape (p, d)
        The prompt (``p >= 1``).
    one : array_like, shape (d,)
        The counted token.
    lengths : sequence of int
        Positive counts ``n`` (sorted on output), not empty.

    Returns
    -------
    dict
        ``n``, ``linf`` (distance in the model's format), ``identical`` (bool array)
        and ``witness`` (smallest ``n`` with identical representations, or None).

    Raises
    ------
    ValueError
        For a bidirectional model, tokens of the wrong width or with non-finite entries,
        lengths that are not positive integers (``"12"``, ``[2.9, 5.5]`` and booleans
        are refused), or work over the limit.

    References
    ----------
    Barbero et al. (2024), Corollary B.10, p. 20 (main text: Corollary 6.2, p. 10).

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", dtype="fp8_e5m2", seed=0)
    >>> x = np.random.default_rng(0).normal(size=(3, 8))
    >>> r = count_collapse_witness(m, x[:2], x[2], [2, 64, 512])
    >>> r["n"].tolist(), r["witness"]
    ([2, 64, 512], 512)
    """
    _check_model(model)
    if not model.causal:
        raise ValueError("model must be causal (causal=True): the witness compares cached prefixes")
    prompt = model._check_tokens(prompt, "prompt")
    one = chk.check_real_array(one, "one", shape=(model.d,))
    ns = sorted(chk.check_int_array(lengths, "lengths", minimum=1).tolist())
    n_max = ns[-1]
    rows = prompt.shape[0] + n_max
    chk.check_elements([rows, model.d], "lengths")
    chk.check_cost(model.num_layers * rows**2, "work", "lengths", "attention scores (layers x n**2)")
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
