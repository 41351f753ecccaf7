"""Path counts and weighted path sums on the unrolled causal graph (Theorem 5.1/B.5), and rollout.

Theorem B.5 (main text: Theorem 5.1), quoted: "Consider an input sequence v_1^(0), ..., v_n^(0)
(including CoT). Let sigma_psi be the maximal Lipschitz constant of any psi^(l), and
abar_{j,i}^(l) = (alpha_{j,i}^(l) + delta_{j,i}) / beta^(l) the normalized attention coefficient,
then ||d y_n / d v_i^(0)|| <= sigma_psi^L sum_{k_1>=i} ... sum_{k_L>=k_{L-1}}
abar_{n,k_L}^(L-1) prod_{l=2}^{L-1} abar_{k_l,k_{l-1}}^(l-1) abar_{k_1,i}^(0)."
(The normalisation differs between the statement, its proof and Theorem 5.1; see
:func:`graphs.causal.normalised_layers` and the errata of check B.5.)

A path from input token ``i`` to the last token ``n`` through ``L`` layers is a
sequence ``i = k_0 <= k_1 <= ... <= k_L = n`` in which each step stays inside the
layer's mask. Its weight is the product of the normalised coefficients
``abar^(l)_{k_{l+1}, k_l}``; the sum over all paths is the right-hand side of
Theorem 5.1/B.5 (up to the constant ``C``) and equals ``(Abar^(L-1) ... Abar^(0))_{n,i}``.

Token indices are 0-based here; the paper's ``n`` is ``n - 1`` and its ``i`` is ``i - 1``.
"""

import math

import numpy as np
import sympy as sp

from graphs.causal import NORMALISATIONS, abar, normalised_layers
from graphs.validate import check_attention_layers, check_positive_int, check_positive_real

__all__ = [
    "path_count",
    "path_count_closed_form",
    "path_count_symbolic_proof",
    "path_count_dp",
    "path_count_windows",
    "last_token_sensitivity",
    "sensitivity_constant",
    "rollout",
    "eq4_as_printed",
]


def path_count_closed_form(n, i, num_layers):
    """Exact number of paths from input token ``i`` to token ``n`` through ``num_layers`` full causal layers.

    ``C(n - i + L - 1, L - 1)``: the non-decreasing choices of the ``L - 1`` intermediate
    tokens in ``[i, n]``. Exact Python int; instant for ``n = 10**6, L = 100``.

    Examples
    --------
    >>> path_count_closed_form(4, 0, 2)   # intermediate token 0..4
    5
    >>> len(str(path_count_closed_form(10**6, 0, 100)))   # a 439-digit integer
    439
    """
    n = check_positive_int(n, "n", minimum=0)
    i = check_positive_int(i, "i", minimum=0)
    L = check_positive_int(num_layers, "num_layers")
    if i > n:
        return 0
    return math.comb(n - i + L - 1, L - 1)


def _window_closed_form(n, i, L, w):
    """Paths with every layer a sliding window of width ``w``: inclusion-exclusion.

    The steps ``s_l = k_{l+1} - k_l`` lie in ``[0, w-1]`` and sum to ``n - i``:
    ``sum_j (-1)^j C(L, j) C(n - i - j w + L - 1, L - 1)``.
    """
    m = n - i
    total = 0
    for j in range(0, min(L, m // w) + 1):
        total += (-1) ** j * math.comb(L, j) * math.comb(m - j * w + L - 1, L - 1)
    return total


def path_count_dp(n, i, masks):
    """Exact path count by dynamic programming over per-layer boolean masks (Python ints).

    ``masks[l][a, b]`` allows the edge ``b -> a`` at layer ``l``. Cost
    ``O(sum_l nnz(mask_l))`` big-int additions.

    Examples
    --------
    >>> from graphs.causal import causal_mask
    >>> path_count_dp(4, 0, [causal_mask(5)] * 2)
    5
    """
    n = check_positive_int(n, "n", minimum=0)
    i = check_positive_int(i, "i", minimum=0)
    v = {i: 1}
    for ell, m in enumerate(masks):
        m = np.asarray(m, dtype=bool)
        if m.shape[0] <= n:
            raise ValueError(f"masks layer {ell} has size {m.shape[0]}, needs > n = {n}")
        nxt = {}
        for a in range(i, n + 1):
            s = 0
            for b in np.nonzero(m[a, i:a + 1])[0] + i:
                s += v.get(int(b), 0)
            if s:
                nxt[a] = s
        v = nxt
    return v.get(n, 0)


def path_count_windows(n, i, windows):
    """Exact path count for per-layer sliding windows (``None`` = global) by prefix sums.

    ``O(L (n - i))`` big-int additions: layer ``l`` maps counts ``v`` over tokens to
    ``v'[a] = sum_{b = max(i, a - w + 1)}^{a} v[b]``.

    Examples
    --------
    >>> path_count_windows(9, 0, [4, None, 4])
    16
    """
    n = check_positive_int(n, "n", minimum=0)
    i = check_positive_int(i, "i", minimum=0)
    m = n - i + 1
    v = [1] + [0] * (m - 1)
    for w in windows:
        prefix = [0]
        acc = 0
        for x in v:
            acc += x
            prefix.append(acc)
        if w is None:
            v = prefix[1:]
        else:
            w = check_positive_int(int(w), "window")
            v = [prefix[a + 1] - prefix[max(0, a - w + 1)] for a in range(m)]
    return v[-1]


def path_count(n, i, num_layers, window=None, masks=None):
    """Exact number of paths from token ``i`` (input) to token ``n`` (last layer), as a Python int.

    Parameters
    ----------
    n, i : int
        0-based target and source tokens (``i <= n``).
    num_layers : int
        ``L``.
    window : int or list, optional
        ``None``: full causal mask (closed form ``C(n-i+L-1, L-1)``); an int: every
        layer a sliding window of that width (inclusion-exclusion closed form); a
        list of per-layer widths with ``None`` for global layers (dynamic programming).
    masks : list of (N, N) bool arrays, optional
        Arbitrary per-layer masks (dynamic programming); overrides ``window``.

    References
    ----------
    Figure 1 (b) and Theorem 5.1/B.5: earlier tokens have more paths to the last one.

    Examples
    --------
    >>> [path_count(9, i, 3) for i in (0, 5, 9)]
    [55, 15, 1]
    >>> path_count(9, 0, 3, window=4)   # each step moves at most 3 tokens: only 3+3+3
    1
    >>> path_count(9, 0, 3, window=[4, None, 4])
    16
    """
    n = check_positive_int(n, "n", minimum=0)
    i = check_positive_int(i, "i", minimum=0)
    L = check_positive_int(num_layers, "num_layers")
    if i > n:
        return 0
    if masks is not None:
        if len(masks) != L:
            raise ValueError(f"masks has {len(masks)} layers, num_layers is {L}")
        return path_count_dp(n, i, masks)
    if window is None:
        return path_count_closed_form(n, i, L)
    if isinstance(window, (int, np.integer)):
        w = check_positive_int(int(window), "window")
        return _window_closed_form(n, i, L, w)
    windows = list(window)
    if len(windows) != L:
        raise ValueError(f"window has {len(windows)} entries, num_layers is {L}")
    if all(w is None for w in windows):
        return path_count_closed_form(n, i, L)
    return path_count_windows(n, i, windows)


def path_count_symbolic_proof(max_layers=8):
    """Prove the closed form in sympy: it satisfies the path recurrence and its base case.

    Paths through ``L`` layers to ``n`` from ``i`` split on the first step
    ``i -> k`` (``i <= k <= n``): ``P_L(i) = sum_{k=i}^{n} P_{L-1}(k)``, ``P_1(i) = 1``.
    With ``P_L(i) = C(n - i + L - 1, L - 1)`` this is the hockey-stick identity,
    checked by sympy for symbolic ``n, i`` and each ``L <= max_layers``, and in
    general form ``sum_{t=0}^{N} C(t + r, r) = C(N + r + 1, r + 1)``.

    Returns
    -------
    dict
        ``base``: P_1 == 1; ``recurrence``: list of (L, verified); ``hockey_stick``: bool.

    Examples
    --------
    >>> r = path_count_symbolic_proof(4)
    >>> r["base"], all(ok for _, ok in r["recurrence"]), r["hockey_stick"]
    (True, True, True)
    """
    n, i, k = sp.symbols("n i k", integer=True, nonnegative=True)

    def P(L, src):
        return sp.binomial(n - src + L - 1, L - 1)

    base = sp.simplify(P(1, i) - 1) == 0
    rec = []
    for L in range(2, max_layers + 1):
        lhs = sp.expand_func(P(L, i))
        rhs = sp.summation(sp.expand_func(P(L - 1, k)), (k, i, n))
        rec.append((L, sp.simplify(sp.expand(lhs - rhs)) == 0))
    t, N, r = sp.symbols("t N r", integer=True, nonnegative=True)
    hs = sp.summation(sp.binomial(t + r, r), (t, 0, N))
    hockey = sp.simplify(sp.combsimp(hs - sp.binomial(N + r + 1, r + 1))) == 0
    return {"base": bool(base), "recurrence": rec, "hockey_stick": bool(hockey)}


def sensitivity_constant(num_layers, beta2=1.0, beta3=1.0, sigma_psi=1.0, normalisation="proof"):
    """The constant in front of the path sum.

    ``"proof"``: ``C = (1/beta3) prod_l (sigma_psi/beta2 + 1)``; ``"statement"``: the
    statement of B.5 writes ``sigma_psi**L``; ``"main"``: Theorem 5.1 leaves ``C`` free,
    taken here as the proof's value.

    Examples
    --------
    >>> sensitivity_constant(3, sigma_psi=1.0)
    8.0
    >>> sensitivity_constant(3, sigma_psi=1.0, normalisation="statement")
    1.0
    """
    L = check_positive_int(num_layers, "num_layers")
    beta2 = check_positive_real(beta2, "beta2")
    beta3 = check_positive_real(beta3, "beta3")
    sigma_psi = check_positive_real(sigma_psi, "sigma_psi")
    if normalisation == "statement":
        return float(sigma_psi ** L)
    return float((sigma_psi / beta2 + 1.0) ** L / beta3)


def last_token_sensitivity(attns, beta1=1.0, beta2=1.0, beta3=1.0, sigma_psi=1.0,
                           normalisation="proof", target=-1, atol=1e-5):
    """Right-hand side of Theorem 5.1/B.5 for every input position ``i``.

    ``C * sum_paths prod abar`` computed from the target row only: ``r = e_n``,
    then ``r <- r Abar^(l)`` for ``l = L-1 .. 0``; ``L`` vector-matrix products,
    ``O(L n^2)``, never a matrix-matrix product.

    Parameters
    ----------
    attns : sequence of (n, n) arrays, or array (L, n, n)
        Causal attention matrices, layer 0 first.
    beta1, beta2, beta3, sigma_psi : float
        The layer-norm factors and the MLP Lipschitz constant of the theorem.
    normalisation : {"proof", "statement", "main"}
        Which of the paper's three normalisations (see :func:`graphs.causal.normalised_layers`).
    target : int
        The output token (default: the last).

    Returns
    -------
    ndarray, shape (n,)
        The bound on ``||d y_target / d v_i^(0)||`` for each ``i`` (0 for ``i > target``).

    Examples
    --------
    >>> from graphs.causal import uniform_attention, causal_mask
    >>> A = uniform_attention(causal_mask(4))
    >>> s = last_token_sensitivity([A, A], sigma_psi=1.0)
    >>> bool(np.allclose(s, 4 * (np.eye(4) + A)[-1] @ (np.eye(4) + A)))   # C = (1 + 1)^2
    True
    >>> s.round(3).tolist()   # U-shape: the residual favours the last, paths the first
    [4.083, 3.083, 2.583, 6.25]
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    beta1 = check_positive_real(beta1, "beta1")
    beta2 = check_positive_real(beta2, "beta2")
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    n = layers[0].shape[0]
    t = range(n)[target]
    r = np.zeros(n)
    r[t] = 1.0
    # r Abar without forming Abar: the same rule applied to (r alpha, r) instead of (alpha, I).
    for a in reversed(layers):
        r = abar(r @ a, r, beta1, beta2, normalisation)
    return sensitivity_constant(len(layers), beta2, beta3, sigma_psi, normalisation) * r


def rollout(attns, residual=True, atol=1e-5):
    """Attention rollout (Abnar and Zuidema 2020): ``prod_l ((A^(l) + I)/2)``, last layer on the left.

    Row ``t`` is the attribution of output token ``t`` to the input tokens. With
    ``residual=False`` the bare product of the attention matrices.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> rollout([A, A]).tolist()
    [[1.0, 0.0], [0.4375, 0.5625]]
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    n = layers[0].shape[0]
    out = np.eye(n)
    for a in layers:
        step = (a + np.eye(n)) / 2 if residual else a
        out = step @ out
    return out


def eq4_as_printed(attns, i, n=None, beta1=1.0):
    """Equation (1)/(4) of the paper evaluated literally, indices and all (brute force, small n, L >= 3).

    The printed sum runs over ``L`` indices ``k_1 <= ... <= k_L`` but its product has
    only ``L`` factors linking ``L + 1`` indices plus ``i`` and ``n``:
    ``abar^(L-1)_{n,k_L} prod_{l=2}^{L-1} abar^(l-1)_{k_l,k_{l-1}} abar^(0)_{k_1,i}``.
    The link ``k_{L-1} -> k_L`` is missing, so ``k_L`` is summed freely over
    ``[k_{L-1}, n]``; the result differs from the matrix product ``(Abar^(L-1) ... Abar^(0))_{n,i}``
    that the proof of Proposition B.8 uses (see the errata of check B.5).

    Examples
    --------
    >>> from graphs.causal import uniform_attention, causal_mask
    >>> A = uniform_attention(causal_mask(3))
    >>> literal = eq4_as_printed([A, A, A], 0)
    >>> product = last_token_sensitivity([A, A, A], sigma_psi=1.0)[0] / 8
    >>> bool(abs(literal - product) > 1e-6)
    True
    """
    layers = normalised_layers(attns, beta1, 1.0, "proof")
    L = len(layers)
    if L < 3:
        raise ValueError("eq4_as_printed needs num_layers >= 3 (the product over l = 2..L-1)")
    size = layers[0].shape[0]
    n = size - 1 if n is None else n
    if size > 12:
        raise ValueError("eq4_as_printed is a brute-force check; use n <= 12")
    import itertools

    total = 0.0
    for ks in itertools.combinations_with_replacement(range(i, n + 1), L):
        # ks = (k_1, ..., k_L), non-decreasing
        term = layers[L - 1][n, ks[L - 1]] * layers[0][ks[0], i]
        for ell in range(2, L):
            term *= layers[ell - 1][ks[ell - 1], ks[ell - 2]]
        total += term
    return float(total)
