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

from graphs.attention import AttentionLayers, attention_input
from graphs.causal import NORMALISATIONS, _check_mask, _check_windows, abar, normalised_layers
from graphs.causal import half_residual
from graphs.validate import (
    check_attention_rows,
    row_block,
    DEFAULT_ATOL,
    check_bool,
    check_choice,
    check_cost,
    check_index,
    check_positive_int,
    check_positive_real,
)

__all__ = [
    "path_count",
    "path_count_closed_form",
    "path_count_symbolic_proof",
    "path_count_dp",
    "path_count_windows",
    "path_count_profile",
    "last_token_sensitivity",
    "sensitivity_constant",
    "rollout",
    "eq4_as_printed",
]

#: Default refusal threshold of the path counts, in estimated seconds.
MAX_SECONDS = 10.0


def _digits(m, L):
    """Decimal digits of ``C(m + L - 1, L - 1)``, the full-causal count (an upper bound for all masks)."""
    if L == 1:
        return 1
    lg = math.lgamma(m + L) - math.lgamma(L) - math.lgamma(m + 1)
    return max(1, int(lg / math.log(10)) + 1)


# Rough costs on one core of a current CPU, in nanoseconds: math.comb of a D-digit result
# grows like D^1.6 (0.1 s at 30,000 digits); one big-integer addition in a Python loop costs
# about 150 ns of interpreter time plus 0.3 ns per digit. Only the refusal threshold uses them.
def _comb_seconds(digits):
    return 8e-9 * digits ** 1.6


def _dp_seconds(operations, digits):
    return operations * (150 + 0.3 * digits) * 1e-9


def _refuse_if_slow(seconds, max_seconds, what):
    check_cost(seconds, max_seconds, what, "max_seconds", unit="s")


def _check_n_i(n, i):
    return check_positive_int(n, "n", minimum=0), check_positive_int(i, "i", minimum=0)


def path_count_closed_form(n, i, num_layers, *, max_seconds=MAX_SECONDS):
    """Exact number of paths from input token ``i`` to token ``n`` through ``num_layers`` full causal layers.

    ``C(n - i + L - 1, L - 1)``: the non-decreasing choices of the ``L - 1`` intermediate
    tokens in ``[i, n]``. Exact Python int; instant for ``n = 10**6, L = 100``.

    Parameters
    ----------
    n, i : int
        0-based target and source tokens (0 when ``i > n``).
    num_layers : int
        ``L >= 1``.
    max_seconds : float
        Refuse, before starting, a count whose estimated time exceeds this (the count
        ``C(2 * 10**6 - 1, 10**6 - 1)`` has 602,059 digits and takes about half a minute).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        On negative or non-integer ``n``, ``i``; ``num_layers < 1``.
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Theorem 5.1, p. 8, and Figure 1 (b), p. 2.

    Examples
    --------
    >>> path_count_closed_form(4, 0, 2)   # intermediate token 0..4
    5
    >>> len(str(path_count_closed_form(10**6, 0, 100)))   # a 439-digit integer
    439
    """
    n, i = _check_n_i(n, i)
    L = check_positive_int(num_layers, "num_layers")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    if i > n:
        return 0
    d = _digits(n - i, L)
    _refuse_if_slow(_comb_seconds(d), max_seconds, f"path_count: a count of about {d:,} digits")
    return math.comb(n - i + L - 1, L - 1)


def _window_closed_form(m, L, w):
    """Paths with every layer a sliding window of width ``w``: inclusion-exclusion.

    The steps ``s_l = k_{l+1} - k_l`` lie in ``[0, w-1]`` and sum to ``m = n - i``:
    ``sum_j (-1)^j C(L, j) C(m - j w + L - 1, L - 1)``.
    """
    total = 0
    for j in range(0, min(L, m // w) + 1):
        total += (-1) ** j * math.comb(L, j) * math.comb(m - j * w + L - 1, L - 1)
    return total


def _check_masks(masks, n):
    if isinstance(masks, (str, bytes)) or not hasattr(masks, "__iter__"):
        raise ValueError(f"masks must be a list of boolean matrices, got {type(masks).__name__}")
    out = []
    for ell, m in enumerate(masks):
        m = _check_mask(m, f"masks layer {ell}")
        if m.shape[0] <= n:
            raise ValueError(f"masks layer {ell} has size {m.shape[0]}, needs > n = {n}")
        out.append(m)
    return out


def path_count_dp(n, i, masks, *, max_seconds=MAX_SECONDS):
    """Exact path count by dynamic programming over per-layer boolean masks (Python ints).

    ``masks[l][a, b]`` allows the edge ``b -> a`` at layer ``l``. Cost
    ``O(sum_l nnz(mask_l))`` big-int additions.

    Parameters
    ----------
    n, i : int
        0-based target and source tokens.
    masks : list of (N, N) boolean arrays, ``N > n``
    max_seconds : float
        Refuse, before starting, a count whose estimated time exceeds this.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        On bad tokens or masks (not square, not boolean, too small, a row with no key).
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Theorem 5.1, p. 8 (paths through arbitrary masks, Appendix C.6).

    Examples
    --------
    >>> from graphs.causal import causal_mask
    >>> path_count_dp(4, 0, [causal_mask(5)] * 2)
    5
    """
    n, i = _check_n_i(n, i)
    masks = _check_masks(masks, n)
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    if not masks:
        raise ValueError("masks must contain at least one layer")
    ops = sum(int(np.tril(m[i:n + 1, i:n + 1]).sum()) for m in masks)
    d = _digits(n - i, len(masks)) if i <= n else 1
    _refuse_if_slow(_dp_seconds(ops, d), max_seconds, f"path_count_dp over {ops:,} mask entries")
    if i > n:
        return 0
    v = {i: 1}
    for m in masks:
        nxt = {}
        for a in range(i, n + 1):
            s = 0
            for b in np.nonzero(m[a, i:a + 1])[0] + i:
                s += v.get(int(b), 0)
            if s:
                nxt[a] = s
        v = nxt
    return v.get(n, 0)


def path_count_windows(n, i, windows, *, max_seconds=MAX_SECONDS):
    """Exact path count for per-layer sliding windows (``None`` = global) by prefix sums.

    ``O(L (n - i))`` big-int additions: layer ``l`` maps counts ``v`` over tokens to
    ``v'[a] = sum_{b = max(i, a - w + 1)}^{a} v[b]``.

    Parameters
    ----------
    n, i : int
        0-based target and source tokens.
    windows : list of (int or None)
        One entry per layer: a window width (>= 1) or ``None`` for a global layer.
    max_seconds : float
        Refuse, before starting, a count whose estimated time exceeds this.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        On bad tokens or widths.
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Appendix C.6: local sliding-window attention.

    Examples
    --------
    >>> path_count_windows(9, 0, [4, None, 4])
    16
    """
    n, i = _check_n_i(n, i)
    if isinstance(windows, (str, bytes, int, float)) or not hasattr(windows, "__iter__"):
        raise ValueError(f"windows must be a list of widths (int) or None, got {windows!r}")
    windows = list(windows)
    windows = _check_windows(windows, len(windows))
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    if not windows:
        raise ValueError("windows must contain at least one layer")
    if i > n:
        return 0
    m = n - i + 1
    d = _digits(n - i, len(windows))
    _refuse_if_slow(_dp_seconds(len(windows) * m, d), max_seconds,
                    f"path_count over {len(windows)} layers x {m:,} tokens ({d:,}-digit counts)")
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
            v = [prefix[a + 1] - prefix[max(0, a - w + 1)] for a in range(m)]
    return v[-1]


def path_count_profile(n, windows, *, max_seconds=MAX_SECONDS):
    """Exact path counts from *every* token to the last one, through per-layer sliding windows.

    One backward pass of suffix sums, ``O(L n)`` big-int additions for all sources at
    once (:func:`path_count_windows` counts one source): the last row of the product of
    the 0/1 window masks.

    Parameters
    ----------
    n : int
        Number of tokens; the target is token ``n - 1``.
    windows : list of (int or None)
        One entry per layer, layer 0 first: a window width (>= 1) or ``None`` (global).
    max_seconds : float
        Refuse, before starting, a count whose estimated time exceeds this.

    Returns
    -------
    list of int
        ``counts[i]``: the number of paths from input token ``i`` to the last token.

    Raises
    ------
    ValueError
        On a bad ``n`` or width.
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Figure 1 (b), Theorem 5.1 and Appendix C.6 (pp. 2, 8, 23).

    Examples
    --------
    >>> path_count_profile(4, [None, None])    # global: C(n - i + L - 1, L - 1)
    [4, 3, 2, 1]
    >>> path_count_profile(6, [2, 2])          # two local layers of width 2 reach 2 steps back
    [0, 0, 0, 1, 2, 1]
    """
    n = check_positive_int(n, "n")
    if isinstance(windows, (str, bytes, int, float)) or not hasattr(windows, "__iter__"):
        raise ValueError(f"windows must be a list of widths (int) or None, got {windows!r}")
    windows = _check_windows(list(windows), len(list(windows)))
    if not windows:
        raise ValueError("windows must contain at least one layer")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    d = _digits(n - 1, len(windows))
    _refuse_if_slow(_dp_seconds(len(windows) * n, d), max_seconds,
                    f"path_count_profile over {len(windows)} layers x {n:,} tokens ({d:,}-digit counts)")
    r = [0] * n
    r[-1] = 1
    for w in reversed(windows):
        w = n if w is None else w
        # new[k] = sum_{q = k}^{min(k + w - 1, n - 1)} r[q]: a suffix-sum difference.
        suffix = [0] * (n + 1)
        for q in range(n - 1, -1, -1):
            suffix[q] = suffix[q + 1] + r[q]
        r = [suffix[k] - suffix[min(k + w, n)] for k in range(n)]
    return r


def path_count(n, i, num_layers, window=None, masks=None, *, max_seconds=MAX_SECONDS):
    """Exact number of paths from token ``i`` (input) to token ``n`` (last layer), as a Python int.

    Parameters
    ----------
    n, i : int
        0-based target and source tokens (0 paths when ``i > n``).
    num_layers : int
        ``L``.
    window : int or list, optional
        ``None``: full causal mask (closed form ``C(n-i+L-1, L-1)``); an int: every
        layer a sliding window of that width (inclusion-exclusion closed form); a
        list of per-layer widths with ``None`` for global layers (dynamic programming).
        Bools and floats are refused.
    masks : list of (N, N) bool arrays, optional
        Arbitrary per-layer masks (dynamic programming); excludes ``window``.
    max_seconds : float
        Refuse, before starting, a count whose estimated time exceeds this; the
        message names the estimate. ``path_count(10**6, 0, 10**6)`` (602,059 digits) is
        refused at the default.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        On bad tokens, layers, windows or masks, or both ``window`` and ``masks``.
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Figure 1 (b), p. 2, and Theorem 5.1, p. 8: earlier tokens have
    more paths to the last one.

    Examples
    --------
    >>> [path_count(9, i, 3) for i in (0, 5, 9)]
    [55, 15, 1]
    >>> path_count(9, 0, 3, window=4)   # each step moves at most 3 tokens: only 3+3+3
    1
    >>> path_count(9, 0, 3, window=[4, None, 4])
    16
    """
    n, i = _check_n_i(n, i)
    L = check_positive_int(num_layers, "num_layers")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    if masks is not None:
        if window is not None:
            raise ValueError("pass window or masks, not both")
        masks = _check_masks(masks, n) if i <= n else list(masks)
        if len(masks) != L:
            raise ValueError(f"masks has {len(masks)} layers, num_layers is {L}")
        return path_count_dp(n, i, masks, max_seconds=max_seconds)
    if isinstance(window, (bool, np.bool_, float, str, bytes)):
        raise ValueError(f"window must be None, an int >= 1 or a list of widths/None, got "
                         f"{window!r}")
    if window is None:
        return path_count_closed_form(n, i, L, max_seconds=max_seconds)
    if isinstance(window, (int, np.integer)):
        w, m = check_positive_int(window, "window"), n - i
        if i > n:
            return 0
        terms = min(L, m // w) + 1
        d = _digits(m, L)
        _refuse_if_slow(terms * _comb_seconds(d), max_seconds,
                        f"path_count: inclusion-exclusion over {terms:,} binomials of up to "
                        f"{d:,} digits")
        return _window_closed_form(m, L, w)
    windows = _check_windows(window, L)
    if i > n:
        return 0
    if all(w is None for w in windows):
        return path_count_closed_form(n, i, L, max_seconds=max_seconds)
    return path_count_windows(n, i, windows, max_seconds=max_seconds)


def path_count_symbolic_proof(max_layers=8):
    """Prove the closed form in sympy: it satisfies the path recurrence and its base case.

    Paths through ``L`` layers to ``n`` from ``i`` split on the first step
    ``i -> k`` (``i <= k <= n``): ``P_L(i) = sum_{k=i}^{n} P_{L-1}(k)``, ``P_1(i) = 1``.
    With ``P_L(i) = C(n - i + L - 1, L - 1)`` this is the hockey-stick identity,
    checked by sympy for symbolic ``n, i`` and each ``L <= max_layers``, and in
    general form ``sum_{t=0}^{N} C(t + r, r) = C(N + r + 1, r + 1)``.

    Parameters
    ----------
    max_layers : int
        Check the recurrence for ``L = 2 .. max_layers`` (at most 12: the symbolic sums
        grow quickly).

    Returns
    -------
    dict
        ``base``: P_1 == 1; ``recurrence``: list of (L, verified); ``hockey_stick``: bool.

    Raises
    ------
    ValueError
        If ``max_layers`` is not an integer in ``[1, 12]``.

    References
    ----------
    Barbero et al. (2024), Theorem 5.1, p. 8: the path sum.

    Examples
    --------
    >>> r = path_count_symbolic_proof(4)
    >>> r["base"], all(ok for _, ok in r["recurrence"]), r["hockey_stick"]
    (True, True, True)
    """
    max_layers = check_positive_int(max_layers, "max_layers", maximum=12)
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

    Parameters
    ----------
    num_layers : int
    beta2, beta3, sigma_psi : float
        Positive reals.
    normalisation : {"proof", "statement", "main"}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On non-positive factors or an unknown normalisation.

    References
    ----------
    Barbero et al. (2024), Theorem B.5 and its proof, p. 16.

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
    check_choice(normalisation, "normalisation", NORMALISATIONS)
    try:
        c = sigma_psi ** L if normalisation == "statement" else (sigma_psi / beta2 + 1.0) ** L / beta3
    except OverflowError:
        c = math.inf
    if not math.isfinite(c):
        raise ValueError(f"the constant overflows float64 for sigma_psi={sigma_psi!r}, "
                         f"beta2={beta2!r}, num_layers={L}")
    return float(c)


@attention_input("attns", validate=False)
def last_token_sensitivity(attns, beta1=1.0, beta2=1.0, beta3=1.0, sigma_psi=1.0,
                           normalisation="proof", target=-1, atol=DEFAULT_ATOL, *, heads=None,
                           batch=None):
    """Right-hand side of Theorem 5.1/B.5 for every input position ``i``.

    ``C * sum_paths prod abar`` computed from the target row only: ``r = e_n``,
    then ``r <- r Abar^(l)`` for ``l = L-1 .. 0``; ``L`` vector-matrix products,
    ``O(L n^2)``, never a matrix-matrix product.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
        Causal attention matrices, layer 0 first.
    beta1, beta2, beta3, sigma_psi : float
        The layer-norm factors and the MLP Lipschitz constant of the theorem (> 0).
    normalisation : {"proof", "statement", "main"}
        Which of the paper's three normalisations (see :func:`graphs.causal.normalised_layers`).
    target : int
        The output token (default: the last; negative values count from the end).
    atol : float
        Tolerance of the validation.
    heads, batch
        Head reduction and batch index (``heads="each"``: shape ``(heads, n)``).

    Returns
    -------
    ndarray, shape (n,)
        The bound on ``||d y_target / d v_i^(0)||`` for each ``i`` (0 for ``i > target``),
        in token order.

    Raises
    ------
    ValueError
        On invalid attention, factors, normalisation or target.

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16 (Theorem 5.1, p. 8).

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
    C = sensitivity_constant(len(attns), beta2, beta3, sigma_psi, normalisation)
    check_positive_real(beta1, "beta1")
    n = attns[0].shape[0]
    for ell, a in enumerate(attns):
        if a.shape != (n, n):
            raise ValueError(f"attns layer {ell} has shape {a.shape}, but layer 0 has shape {(n, n)}")
    t = check_index(target, "target", n)
    checked = isinstance(attns, AttentionLayers)
    r = np.zeros(n)
    r[t] = 1.0
    # r Abar without forming Abar: the same rule applied to (r alpha, r) instead of (alpha, I).
    # Each layer is read once: a block of rows is validated while it is in cache and its
    # share of r @ alpha added, so validation costs no extra pass over memory.
    step = row_block(n)
    for ell in range(len(attns) - 1, -1, -1):
        a = attns[ell]
        ra = np.zeros(n)
        for s in range(0, n, step):
            block = a[s:s + step]
            if not checked:
                check_attention_rows(block, s, f"attns layer {ell}", atol)
            # Causal: rows s..s+k-1 have no mass beyond column s+k-1 (just checked).
            end = min(n, s + step)
            ra[:end] += r[s:end] @ block[:, :end]
        r = abar(ra, r, beta1, beta2, normalisation)
    return C * r


@attention_input("attns")
def rollout(attns, residual=True, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """Attention rollout (Abnar and Zuidema 2020): ``prod_l ((A^(l) + I)/2)``, last layer on the left.

    Row ``t`` is the attribution of output token ``t`` to the input tokens. With
    ``residual=False`` the bare product of the attention matrices.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
    residual : bool
        Average each layer with the identity, ``(A + I)/2``, as the original method does.
    atol : float
    heads, batch
        Head reduction and batch index (``heads="each"``: shape ``(heads, n, n)``).

    Returns
    -------
    ndarray, shape (n, n)
        Row-stochastic and causal; rows and columns in token order.

    Raises
    ------
    ValueError
        On invalid attention or a non-bool ``residual``.

    References
    ----------
    Abnar and Zuidema (2020), Quantifying attention flow in Transformers, Section 3;
    Barbero et al. (2024), Theorem 5.1, p. 8 (the same matrix product, up to the constant).

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> rollout([A, A]).tolist()
    [[1.0, 0.0], [0.4375, 0.5625]]
    """
    residual = check_bool(residual, "residual")
    out = np.eye(attns[0].shape[0])
    for a in attns:
        out = (half_residual(a) if residual else a) @ out
    return out


@attention_input("attns")
def eq4_as_printed(attns, i, n=None, beta1=1.0, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """Equation (1)/(4) of the paper evaluated literally, indices and all (brute force, small n, L >= 3).

    The printed sum runs over ``L`` indices ``k_1 <= ... <= k_L`` but its product has
    only ``L`` factors linking ``L + 1`` indices plus ``i`` and ``n``:
    ``abar^(L-1)_{n,k_L} prod_{l=2}^{L-1} abar^(l-1)_{k_l,k_{l-1}} abar^(0)_{k_1,i}``.
    The link ``k_{L-1} -> k_L`` is missing, so ``k_L`` is summed freely over
    ``[k_{L-1}, n]``; the result differs from the matrix product ``(Abar^(L-1) ... Abar^(0))_{n,i}``
    that the proof of Proposition B.8 uses (see the errata of check B.5).

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`, at least 3 layers of size <= 12
    i : int
        Source token (0-based).
    n : int, optional
        Target token (default: the last).
    beta1 : float
    atol : float
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        With fewer than 3 layers, more than 12 tokens, or tokens out of range.

    References
    ----------
    Barbero et al. (2024), Equation (4) in Theorem B.5, p. 16 (Equation (1), p. 8).

    Examples
    --------
    >>> from graphs.causal import uniform_attention, causal_mask
    >>> A = uniform_attention(causal_mask(3))
    >>> literal = eq4_as_printed([A, A, A], 0)
    >>> product = last_token_sensitivity([A, A, A], sigma_psi=1.0)[0] / 8
    >>> bool(abs(literal - product) > 1e-6)
    True
    """
    import itertools

    layers = normalised_layers(attns, beta1, 1.0, "proof", atol)
    L = len(layers)
    if L < 3:
        raise ValueError("eq4_as_printed needs num_layers >= 3 (the product over l = 2..L-1)")
    size = layers[0].shape[0]
    if size > 12:
        raise ValueError(f"eq4_as_printed is a brute-force check; use n <= 12 tokens, got {size}")
    n = size - 1 if n is None else check_index(n, "n", size)
    i = check_index(i, "i", size)
    total = 0.0
    for ks in itertools.combinations_with_replacement(range(i, n + 1), L):
        # ks = (k_1, ..., k_L), non-decreasing
        term = layers[L - 1][n, ks[L - 1]] * layers[0][ks[0], i]
        for ell in range(2, L):
            term *= layers[ell - 1][ks[ell - 1], ks[ell - 2]]
        total += term
    return float(total)
