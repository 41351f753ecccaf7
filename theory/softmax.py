"""Softmax lemmas of Appendix B.1: Lemma B.1, Lemma 4.1/B.2 and the alternating sequences B.4.

Each statement comes in four forms: the exact quantity in sympy, an explicit rate and
threshold under a bound on the entries, a numeric evaluation in mpmath at a chosen
number of digits, and a rigorous interval enclosure (``mpmath.iv``) where the quantity
is a finite closed form.

Statements (quoted from Appendix B.1 of the paper)
--------------------------------------------------
Lemma B.1. "Consider a vector a in R^{n-1} and two scalars b, c in R. Let x = [a c]^T in R^n
and x* = [a b c]^T in R^{n+1} with all entries bounded. Then softmax(x)_n > softmax(x*)_{n+1}.
Moreover for any p > 0 we can find large enough n in N+ such that
|softmax(x)_n - softmax(x*)_{n+1}| < p."

Lemma B.2 (main text: Lemma 4.1). "Consider two sequences x, x* in R^n such that
lim_{n->oo} |x_n - x*_n| = 0, with x_i, x*_i bounded. Let y, y* in R^n be the softmax of x
and x* respectively. Then, as n -> oo the total variation tends to 0, i.e.
lim_{n->oo} delta(y, y*) = 0."

Lemma B.4. "Consider two sequences x = (1 0 1 0 ...) in R^n and x* = (0 1 0 1 ...) in R^n for
n even. Let y and y* be the softmax of x and x*, respectively. Then the total variation
delta(y, y*) does not tend to 0 as n -> oo."

Conventions follow the paper: the "total variation" ``delta(mu, nu)`` is the full L1
distance ``sum |mu - nu|`` (no factor 1/2, see Appendix B.1, Eq. 2).
"""

import math

import mpmath
import numpy as np
import sympy as sp

from graphs.validate import (
    check_choice,
    check_finite_array,
    check_positive_int,
    check_positive_real,
    check_same_length,
)
from theory.precision import machine_epsilon, ulp
from theory.search import smallest_satisfying

__all__ = [
    "softmax",
    "total_variation",
    "last_entry_gap",
    "last_entry_gap_symbolic",
    "last_entry_gap_bound",
    "last_entry_gap_threshold",
    "last_entry_gap_mp",
    "last_entry_gap_interval",
    "last_entry_gap_prefix_mp",
    "gap_onset_sufficient",
    "gap_onset_constant_prefix",
    "total_variation_mp",
    "perturbed_prefix_tv",
    "alternating_pair",
    "tv_bound",
    "tv_certificate",
    "tv_threshold",
    "shifted_prefix_tv_symbolic",
    "shifted_prefix_tv_mp",
    "shifted_prefix_tv_interval",
    "normaliser_identity_symbolic",
    "alternating_tv_symbolic",
    "alternating_tv_mp",
    "alternating_tv_interval",
    "ALTERNATING_TV_LIMIT",
]

#: Exact limit of Lemma B.4, ``2 (e - 1) / (e + 1)``.
ALTERNATING_TV_LIMIT = 2 * (sp.E - 1) / (sp.E + 1)


def _dps(dps):
    return check_positive_int(dps, "dps")


def softmax(x):
    """Numerically stable softmax of a 1-D array (float64).

    Raises
    ------
    ValueError
        If ``x`` is empty or has a NaN or infinite entry.

    Examples
    --------
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    x = check_finite_array(x, "x", ndim=1)
    e = np.exp(x - x.max())
    return e / e.sum()


def total_variation(p, q):
    """The paper's total variation ``delta(p, q) = sum_i |p_i - q_i|`` (Eq. 2, no 1/2).

    Examples
    --------
    >>> total_variation([1.0, 0.0], [0.0, 1.0])
    2.0
    """
    p = check_finite_array(p, "p", ndim=1)
    q = check_finite_array(q, "q", ndim=1)
    check_same_length(p, q, "p", "q")
    return float(np.abs(p - q).sum())


# --------------------------------------------------------------------------- B.1


def last_entry_gap(a, b, c):
    """Lemma B.1: ``softmax([a, c])_n - softmax([a, b, c])_{n+1}``, computed stably.

    The exact value is ``e^(b+c) / ((S + e^c)(S + e^b + e^c))`` with
    ``S = sum_k e^(a_k)``; it is always > 0, which is the first claim of Lemma B.1.

    Parameters
    ----------
    a : array_like, shape (n-1,)
        The common prefix (may be empty).
    b, c : float
        The inserted entry and the final entry.

    Returns
    -------
    float

    References
    ----------
    Lemma B.1 of Barbero et al. (2024).

    Examples
    --------
    >>> round(last_entry_gap([0.0], 0.0, 0.0), 12)   # 1/2 - 1/3
    0.166666666667
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    if a.size:
        check_finite_array(a, "a", ndim=1)
    b = float(check_finite_array([b], "b")[0])
    c = float(check_finite_array([c], "c")[0])
    ref = max(a.max() if a.size else -np.inf, b, c)
    s = np.exp(a - ref).sum() if a.size else 0.0
    eb, ec = math.exp(b - ref), math.exp(c - ref)
    return float(eb * ec / ((s + ec) * (s + eb + ec)))


def last_entry_gap_symbolic():
    """Lemma B.1 in sympy: the exact gap, its sign and its limit.

    Returns
    -------
    dict
        ``gap``: the difference as a single fraction in ``S = sum e^{a_k}``, ``b``, ``c``;
        ``difference_minus_gap``: the two softmax values minus ``gap`` (simplifies to 0);
        ``positive``: whether sympy proves ``gap > 0`` for real ``b, c`` and ``S >= 0``;
        ``limit``: ``gap`` as ``S -> oo`` (0);
        ``order``: the leading term ``e^(b+c)/S**2``.

    Examples
    --------
    >>> r = last_entry_gap_symbolic()
    >>> r["difference_minus_gap"], r["positive"], r["limit"]
    (0, True, 0)
    """
    S = sp.Symbol("S", nonnegative=True)
    b, c = sp.symbols("b c", real=True)
    first = sp.exp(c) / (S + sp.exp(c))
    second = sp.exp(c) / (S + sp.exp(b) + sp.exp(c))
    gap = sp.exp(b + c) / ((S + sp.exp(c)) * (S + sp.exp(b) + sp.exp(c)))
    diff = sp.simplify(first - second - gap)
    positive = bool(gap.is_positive)
    limit = sp.limit(gap, S, sp.oo)
    order = sp.limit(gap * S**2, S, sp.oo)
    return {
        "S": S, "b": b, "c": c, "gap": gap,
        "difference_minus_gap": diff, "positive": positive,
        "limit": limit, "order": order * S**-2,
    }


def last_entry_gap_bound(n, M):
    """Explicit rate for Lemma B.1: ``gap <= e^(4M) / (n-1)^2`` when every ``|entry| <= M``.

    Derivation: the numerator is ``e^(b+c) <= e^(2M)`` and each factor of the
    denominator exceeds ``S >= (n-1) e^(-M)``. The paper's proof bounds the gap by the
    sum of the two softmax values, which only gives ``O(1/n)``; the true rate is
    ``O(1/n^2)``.

    Parameters
    ----------
    n : int
        Length of the shorter sequence ``x = [a, c]`` (``n >= 2``).
    M : float
        Bound on the absolute value of every entry, uniform in ``n``.

    Examples
    --------
    >>> last_entry_gap_bound(11, 0.0)
    0.01
    """
    n = check_positive_int(n, "n", minimum=2)
    M = check_positive_real(M, "M", allow_zero=True)
    return math.exp(4 * M) / (n - 1) ** 2


def last_entry_gap_threshold(eps, M):
    """Smallest ``n0`` such that ``last_entry_gap_bound(n, M) < eps`` for all ``n >= n0``.

    ``n0 = floor(e^(2M) / sqrt(eps)) + 2``, computed in exact rational arithmetic
    when ``M = 0`` and at 50 digits otherwise.

    Examples
    --------
    >>> last_entry_gap_threshold(1e-4, 0.0)
    102
    >>> last_entry_gap_bound(102, 0.0) < 1e-4 <= last_entry_gap_bound(101, 0.0)
    True
    """
    eps = check_positive_real(eps, "eps")
    M = check_positive_real(M, "M", allow_zero=True)
    with mpmath.workdps(50):
        r = mpmath.exp(2 * M) / mpmath.sqrt(mpmath.mpf(eps))
        n0 = int(mpmath.floor(r)) + 2
    # The 50-digit estimate can sit on either side of an integer boundary: settle
    # it against the float bound that callers compare with.
    while last_entry_gap_bound(n0, M) >= eps:
        n0 += 1
    while n0 > 2 and last_entry_gap_bound(n0 - 1, M) < eps:
        n0 -= 1
    return n0


def last_entry_gap_mp(n, a, b, c, dps=50):
    """Lemma B.1 gap for a constant prefix ``a_k = a`` at ``dps`` significant digits.

    With a constant prefix ``S = (n-1) e^a`` in closed form, so ``n`` may be as large as
    ``10**12`` at no cost.

    Examples
    --------
    >>> float(last_entry_gap_mp(2, 0, 0, 0))   # 1/2 - 1/3
    0.16666666666666666
    """
    n = check_positive_int(n, "n")
    with mpmath.workdps(_dps(dps)):
        a, b, c = (mpmath.mpf(float(v)) for v in (a, b, c))
        S = (n - 1) * mpmath.exp(a)
        return mpmath.exp(b + c) / ((S + mpmath.exp(c)) * (S + mpmath.exp(b) + mpmath.exp(c)))


def last_entry_gap_prefix_mp(a, lengths, b, c, dps=50):
    """Lemma B.1 gaps for one prefix at several lengths, at ``dps`` digits, in one pass.

    For length ``n`` the sequences are ``x = [a_1 .. a_{n-1}, c]`` and
    ``x* = [a_1 .. a_{n-1}, b, c]``; the partition sums of the prefix are accumulated
    once, so all lengths cost ``O(max(lengths))`` exponentials.

    Parameters
    ----------
    a : array_like, shape (N - 1,)
        The prefix; length ``n`` uses its first ``n - 1`` entries.
    lengths : iterable of int
        Values of ``n`` (``2 <= n <= N``).
    b, c : float
    dps : int

    Returns
    -------
    list of mpmath.mpf
        The gaps, in the order of ``lengths``.

    Examples
    --------
    >>> g = last_entry_gap_prefix_mp([0.0, 0.0], [2, 3], 0.0, 0.0)
    >>> [round(float(v), 12) for v in g]     # 1/2 - 1/3, 1/3 - 1/4
    [0.166666666667, 0.083333333333]
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    if a.size:
        check_finite_array(a, "a", ndim=1)
    ns = [check_positive_int(n, "lengths", minimum=2) for n in lengths]
    if ns and max(ns) - 1 > a.size:
        raise ValueError(f"lengths reach {max(ns)} but a has only {a.size} entries")
    want = {n - 1: [] for n in ns}
    sums = {}
    with mpmath.workdps(_dps(dps)):
        acc = mpmath.mpf(0)
        for k in range(max(want) + 1 if want else 0):
            if k in want:
                sums[k] = +acc
            if k < a.size:
                acc += mpmath.exp(mpmath.mpf(float(a[k])))
        eb, ec = mpmath.exp(mpmath.mpf(float(b))), mpmath.exp(mpmath.mpf(float(c)))
        return [eb * ec / ((sums[n - 1] + ec) * (sums[n - 1] + eb + ec)) for n in ns]


def gap_onset_sufficient(M, dtype):
    """A length from which every Lemma B.1 gap under ``|entries| <= M`` is below one ulp.

    The gap is at most ``e^(4M)/(n-1)^2`` and the last softmax value at least
    ``e^(-2M)/(n+1)``, whose ulp exceeds ``value * eps_mach / 2``; so the gap is below
    the ulp of the value once ``(n-1)^2/(n+1) >= 2 e^(6M) / eps_mach``. This length is
    *sufficient*: it is not claimed to be attained by any instance.

    Examples
    --------
    >>> gap_onset_sufficient(0.0, "bf16")
    259
    """
    M = check_positive_real(M, "M", allow_zero=True)
    target = 2 * math.exp(6 * M) / machine_epsilon(dtype)
    return smallest_satisfying(lambda n: (n - 1) ** 2 / (n + 1) >= target)


def gap_onset_constant_prefix(b, c, dtype, a=0.0, dps=50):
    """First length at which the constant-prefix gap is below the ulp of the last softmax value.

    The instance ``a_k = a`` of Lemma B.1, evaluated at ``dps`` digits; the gap shrinks
    monotonically in ``n``, so the search is a bisection.

    Examples
    --------
    >>> gap_onset_constant_prefix(0.0, 0.0, "bf16")
    181
    """
    b, c, a = (float(check_finite_array([v], name)[0]) for v, name in ((b, "b"), (c, "c"), (a, "a")))

    def below(n):
        g = last_entry_gap_mp(n, a, b, c, dps)
        with mpmath.workdps(_dps(dps)):
            v = mpmath.exp(c) / ((n - 1) * mpmath.exp(a) + mpmath.exp(b) + mpmath.exp(c))
        return float(g) < ulp(float(v), dtype)

    return smallest_satisfying(below)


def last_entry_gap_interval(n, a, b, c, dps=30):
    """Rigorous enclosure (``mpmath.iv``) of the constant-prefix Lemma B.1 gap.

    Returns ``(lower, upper)`` as floats rounded outward.

    Examples
    --------
    >>> lo, hi = last_entry_gap_interval(2, 0, 0, 0)
    >>> lo <= 1/6 <= hi
    True
    """
    n = check_positive_int(n, "n")
    iv = mpmath.iv
    old = iv.dps
    iv.dps = _dps(dps)
    try:
        a, b, c = (iv.mpf(repr(float(v))) for v in (a, b, c))
        S = (n - 1) * iv.exp(a)
        g = iv.exp(b + c) / ((S + iv.exp(c)) * (S + iv.exp(b) + iv.exp(c)))
        return _outward(g)
    finally:
        iv.dps = old


def _outward(interval):
    lo = float(mpmath.mpf(interval.a))
    hi = float(mpmath.mpf(interval.b))
    return (math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf))


# --------------------------------------------------------------------------- B.2


def total_variation_mp(x, x_star, dps=50):
    """``delta(softmax(x), softmax(x*))`` at ``dps`` significant digits (mpmath).

    The reference for the float64 sweeps: each exponential and both partition sums
    are exact to ``dps`` digits.

    Examples
    --------
    >>> float(total_variation_mp([0.0, 0.0], [0.0, 0.0]))
    0.0
    """
    x = check_finite_array(x, "x", ndim=1)
    xs = check_finite_array(x_star, "x_star", ndim=1)
    check_same_length(x, xs, "x", "x_star")
    with mpmath.workdps(_dps(dps)):
        ex = [mpmath.exp(mpmath.mpf(float(v))) for v in x]
        es = [mpmath.exp(mpmath.mpf(float(v))) for v in xs]
        Z, Zs = mpmath.fsum(ex), mpmath.fsum(es)
        return mpmath.fsum(abs(u / Z - v / Zs) for u, v in zip(ex, es))


def perturbed_prefix_tv(n_max, k=200, eta=0.1, seeds=(0, 1, 2, 3, 4), points=24,
                        setting="fig9"):
    """Figure 9: TV between ``softmax(x)`` and ``softmax(x*)`` on a geometric grid of lengths.

    ``x ~ U[0,1]^n`` and ``x* = x + U[0, eta]`` on the first ``k`` entries, one draw per
    seed (a ``numpy.random.Generator`` seeded with it); ``setting="alternating"`` uses
    the sequences of Proposition B.4 instead, where Lemma B.2's hypothesis fails.

    Returns
    -------
    tuple of ndarray
        ``(ns, tv, certificate, rate)``: the lengths, and per seed and length the total
        variation, :func:`tv_certificate` and :func:`tv_bound`.

    Examples
    --------
    >>> ns, tv, cert, rate = perturbed_prefix_tv(1000, k=10, seeds=(0,), points=3)
    >>> ns.tolist(), bool((tv <= cert).all() and (cert <= rate).all())
    ([10, 100, 1000], True)
    """
    n_max = check_positive_int(n_max, "n_max")
    k = check_positive_int(k, "k")
    if n_max < k:
        raise ValueError(f"n_max must be >= k={k}, got {n_max}")
    eta = check_positive_real(eta, "eta")
    points = check_positive_int(points, "points")
    setting = check_choice(setting, "setting", ("fig9", "alternating"))
    ns = np.unique(np.round(np.logspace(math.log10(k), math.log10(n_max), points)).astype(int))
    tv = np.empty((len(seeds), len(ns)))
    cert = np.empty_like(tv)
    rate = np.empty_like(tv)
    for s, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        x_full = rng.uniform(0, 1, n_max)
        noise = rng.uniform(0, eta, k)
        for j, n in enumerate(ns):
            if setting == "alternating":
                x, xs = alternating_pair(n)
            else:
                x = x_full[:n]
                xs = x.copy()
                xs[:k] += noise
            tv[s, j] = total_variation(softmax(x), softmax(xs))
            cert[s, j] = tv_certificate(x, xs)
            spread = max(x.max(), xs.max()) - min(x.min(), xs.min())
            rate[s, j] = tv_bound(np.abs(x - xs), spread)
    return ns, tv, cert, rate


def tv_certificate(x, x_star):
    """Computable upper bound on ``delta(softmax(x), softmax(x*))`` from the proof of Lemma B.2.

    ``delta <= 2 D / max(Z, Z*)`` with ``D = sum_i |e^(x_i) - e^(x*_i)|``: the two
    terms of the paper's last display are each ``<= D / Z*`` (and ``<= D / Z`` by
    symmetry).

    Examples
    --------
    >>> x = np.zeros(4); xs = x.copy(); xs[0] = 0.1
    >>> total_variation(softmax(x), softmax(xs)) <= tv_certificate(x, xs)
    True
    """
    x = check_finite_array(x, "x", ndim=1)
    xs = check_finite_array(x_star, "x_star", ndim=1)
    check_same_length(x, xs, "x", "x_star")
    ref = max(x.max(), xs.max())
    e, es = np.exp(x - ref), np.exp(xs - ref)
    D = np.abs(e - es).sum()
    return float(2 * D / max(e.sum(), es.sum()))


def tv_bound(abs_differences, spread):
    """Explicit rate for Lemma B.2: ``delta <= 2 e^spread * mean_i |x_i - x*_i|``.

    Here ``spread`` bounds ``max - min`` over all entries of ``x`` and ``x*``
    (``spread = 2M`` when ``|entries| <= M``). Derivation: ``|e^u - e^v| <=
    e^max |u - v|`` and ``max(Z, Z*) >= n e^min``, put into :func:`tv_certificate`.
    The rate is therefore the Cesaro mean of the entrywise differences, which tends
    to 0 whenever ``|x_i - x*_i| -> 0`` as ``i -> oo``.

    Examples
    --------
    >>> tv_bound([0.1, 0.0, 0.0, 0.0], 0.0)
    0.05
    """
    diff = check_finite_array(abs_differences, "abs_differences", ndim=1)
    spread = check_positive_real(spread, "spread", allow_zero=True)
    return float(2 * math.exp(spread) * np.abs(diff).mean())


def tv_threshold(eps, spread, total_abs_difference):
    """Smallest ``n0`` with ``2 e^spread * total / n < eps`` for every ``n >= n0``.

    For the Figure 9 setting (``k`` entries perturbed by at most ``eta``) the total
    absolute difference is at most ``k * eta`` whatever ``n``, so the bound of
    :func:`tv_bound` is ``2 e^spread k eta / n``.

    Examples
    --------
    >>> tv_threshold(0.01, 0.0, 1.0)
    201
    """
    eps = check_positive_real(eps, "eps")
    spread = check_positive_real(spread, "spread", allow_zero=True)
    total = check_positive_real(total_abs_difference, "total_abs_difference", allow_zero=True)
    return int(math.floor(2 * math.exp(spread) * total / eps)) + 1


def shifted_prefix_tv_symbolic():
    """Exact total variation for ``x = 0`` and ``x*_i = eta`` on the first ``k`` entries.

    The closed-form case of Lemma B.2 used for arbitrary-precision checks:
    ``Z = n``, ``Z* = n - k + k e^eta``.

    Returns
    -------
    dict
        ``tv``: delta(n) for ``eta > 0``; ``limit``: its limit as ``n -> oo`` (0);
        ``leading``: ``lim n * delta(n)`` (``2 k (e^eta - 1)``).

    Examples
    --------
    >>> r = shifted_prefix_tv_symbolic()
    >>> r["limit"], r["leading"]
    (0, 2*k*(exp(eta) - 1))
    """
    n, k, eta = sp.symbols("n k eta", positive=True)
    Z, Zs = n, n - k + k * sp.exp(eta)
    # For eta > 0: e^eta / Z* > 1/n on the shifted entries, 1/Z* < 1/n elsewhere.
    tv = k * (sp.exp(eta) / Zs - 1 / Z) + (n - k) * (1 / Z - 1 / Zs)
    tv = sp.simplify(tv)
    return {
        "n": n, "k": k, "eta": eta, "tv": tv,
        "limit": sp.limit(tv, n, sp.oo),
        "leading": sp.simplify(sp.limit(n * tv, n, sp.oo)),
    }


def shifted_prefix_tv_mp(n, k, eta, dps=50):
    """The closed form of :func:`shifted_prefix_tv_symbolic` at ``dps`` digits.

    Examples
    --------
    >>> x = np.zeros(10); xs = x.copy(); xs[:3] = 0.5
    >>> abs(float(shifted_prefix_tv_mp(10, 3, 0.5)) - total_variation(softmax(x), softmax(xs))) < 1e-15
    True
    """
    n = check_positive_int(n, "n")
    k = check_positive_int(k, "k")
    if k > n:
        raise ValueError(f"k must be <= n, got k={k}, n={n}")
    eta = check_positive_real(eta, "eta")
    with mpmath.workdps(_dps(dps)):
        e = mpmath.exp(mpmath.mpf(eta))
        Zs = n - k + k * e
        return k * (e / Zs - mpmath.mpf(1) / n) + (n - k) * (mpmath.mpf(1) / n - 1 / Zs)


def shifted_prefix_tv_interval(n, k, eta, dps=30):
    """Rigorous enclosure of :func:`shifted_prefix_tv_mp` as ``(lower, upper)``.

    Examples
    --------
    >>> lo, hi = shifted_prefix_tv_interval(10, 3, 0.5)
    >>> lo <= float(shifted_prefix_tv_mp(10, 3, 0.5)) <= hi
    True
    """
    n = check_positive_int(n, "n")
    k = check_positive_int(k, "k")
    eta = check_positive_real(eta, "eta")
    iv = mpmath.iv
    old = iv.dps
    iv.dps = _dps(dps)
    try:
        e = iv.exp(iv.mpf(repr(eta)))
        Zs = n - k + k * e
        one = iv.mpf(1)
        return _outward(k * (e / Zs - one / n) + (n - k) * (one / n - one / Zs))
    finally:
        iv.dps = old


def normaliser_identity_symbolic(size=3):
    """The identity behind the last display of the proof of Lemma B.2, for ``size`` entries.

    ``sum_i |Z* e^(x_i) - Z e^(x_i)| / (Z Z*) = |Z - Z*| / Z*``: the sum over ``i``
    contributes a factor ``Z``. The paper's display writes ``eps min(Z, Z*) / (Z Z*)``,
    which drops this factor (see the errata of check B.2).

    Returns
    -------
    sympy expression
        ``lhs - rhs`` simplified (0 when the identity holds).

    Examples
    --------
    >>> normaliser_identity_symbolic(3)
    0
    """
    size = check_positive_int(size, "size")
    e = sp.symbols(f"e1:{size + 1}", positive=True)
    es = sp.symbols(f"f1:{size + 1}", positive=True)
    Z, Zs = sum(e), sum(es)
    lhs = sum(ei * sp.Abs(Zs - Z) / (Z * Zs) for ei in e)
    rhs = sp.Abs(Z - Zs) / Zs
    return sp.simplify(lhs - rhs)


# --------------------------------------------------------------------------- B.4


def alternating_tv_symbolic():
    """Lemma B.4 exactly: delta(softmax(1010...), softmax(0101...)) as a function of n.

    Returns
    -------
    dict
        ``even``: the value for even ``n`` (constant, ``2(e-1)/(e+1)`` for *every* even
        n, not only in the limit); ``odd``: the closed form for odd ``n``; ``limit``:
        the common limit; ``even_minus_limit``: simplifies to 0.

    Examples
    --------
    >>> r = alternating_tv_symbolic()
    >>> r["even_minus_limit"], r["odd_limit_minus_limit"]
    (0, 0)
    """
    m = sp.Symbol("m", positive=True, integer=True)
    e = sp.E
    # Even n = 2m: m ones and m zeros in each sequence, Z = Z* = m (e + 1).
    Z = m * (e + 1)
    even = sp.simplify(m * (e - 1) / Z + m * (e - 1) / Z)
    # Odd n = 2m + 1: x has m+1 ones, x* has m ones.
    Zx = (m + 1) * e + m
    Zs = m * e + (m + 1)
    odd = (m + 1) * sp.Abs(e / Zx - 1 / Zs) + m * sp.Abs(1 / Zx - e / Zs)
    odd = sp.simplify(odd)
    lim = ALTERNATING_TV_LIMIT
    return {
        "m": m, "even": even, "odd": odd, "limit": lim,
        "even_minus_limit": sp.simplify(even - lim),
        "odd_limit_minus_limit": sp.simplify(sp.limit(odd, m, sp.oo) - lim),
    }


def alternating_pair(n):
    """The sequences of Proposition B.4: ``x = (1 0 1 0 ...)`` and ``x* = (0 1 0 1 ...)``.

    Examples
    --------
    >>> [v.tolist() for v in alternating_pair(4)]
    [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """
    n = check_positive_int(n, "n")
    x = (np.arange(n) % 2 == 0).astype(float)
    return x, 1.0 - x


def alternating_tv_mp(n, dps=50):
    """Lemma B.4 total variation for length ``n`` at ``dps`` digits (closed form).

    Examples
    --------
    >>> x = np.arange(6) % 2 == 0
    >>> abs(float(alternating_tv_mp(6)) - total_variation(softmax(x * 1.0), softmax(~x * 1.0))) < 1e-15
    True
    """
    n = check_positive_int(n, "n")
    with mpmath.workdps(_dps(dps)):
        e = mpmath.e
        ones_x = (n + 1) // 2
        ones_s = n // 2
        Zx = ones_x * e + (n - ones_x)
        Zs = ones_s * e + (n - ones_s)
        # Positions where x = 1 (and x* = 0), then where x = 0 (and x* = 1).
        return ones_x * abs(e / Zx - 1 / Zs) + (n - ones_x) * abs(1 / Zx - e / Zs)


def alternating_tv_interval(n=None, dps=30):
    """Rigorous enclosure of Lemma B.4's value: at length ``n``, or its limit when ``n`` is None.

    Examples
    --------
    >>> lo, hi = alternating_tv_interval()
    >>> lo < 0.9242343145200195 < hi
    True
    """
    iv = mpmath.iv
    old = iv.dps
    iv.dps = _dps(dps)
    try:
        e = iv.e
        if n is None:
            return _outward(2 * (e - 1) / (e + 1))
        n = check_positive_int(n, "n")
        ones_x, ones_s = (n + 1) // 2, n // 2
        Zx = ones_x * e + (n - ones_x)
        Zs = ones_s * e + (n - ones_s)
        a = e / Zx - 1 / Zs
        b = 1 / Zx - e / Zs
        return _outward(ones_x * abs(a) + (n - ones_x) * abs(b))
    finally:
        iv.dps = old
