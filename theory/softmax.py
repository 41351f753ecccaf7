"""Softmax lemmas of Appendix B.1: Lemma B.1, Lemma 4.1/B.2 and the alternating sequences B.4.

Each statement comes in four forms: the exact quantity in sympy, an explicit rate and
threshold under a bound on the entries, a numeric evaluation in mpmath at a chosen
number of digits, and a rigorous interval enclosure (``mpmath.iv``) where the quantity
is a finite closed form. The enclosures treat their float arguments as the exact binary
numbers they are (not as the decimal strings they print as), so the enclosure holds for
the arguments actually given.

Statements (quoted from Appendix B.1 of the paper)
--------------------------------------------------
Lemma B.1 (p. 13). "Consider a vector a in R^{n-1} and two scalars b, c in R. Let
x = [a c]^T in R^n and x* = [a b c]^T in R^{n+1} with all entries bounded. Then
softmax(x)_n > softmax(x*)_{n+1}. Moreover for any p > 0 we can find large enough n in N+
such that |softmax(x)_n - softmax(x*)_{n+1}| < p."

Lemma B.2 (p. 14; main text: Lemma 4.1, p. 7). "Consider two sequences x, x* in R^n such
that lim_{n->oo} |x_n - x*_n| = 0, with x_i, x*_i bounded. Let y, y* in R^n be the softmax
of x and x* respectively. Then, as n -> oo the total variation tends to 0, i.e.
lim_{n->oo} delta(y, y*) = 0."

Proposition B.4 (p. 16; Lemma B.4 in v1). "Consider two sequences x = (1 0 1 0 ...) in R^n
and x* = (0 1 0 1 ...) in R^n for n even. Let y and y* be the softmax of x and x*,
respectively. Then the total variation delta(y, y*) does not tend to 0 as n -> oo."

Conventions follow the paper: the "total variation" ``delta(mu, nu)`` is the full L1
distance ``sum |mu - nu|`` (no factor 1/2, Appendix B.1, Eq. (2), p. 13).

Costs: every arbitrary-precision function checks ``dps`` against the ``dps`` limit and
its total work (terms x digits) against ``mp_digits``; the symbolic identity checks its
size against ``symbolic_size`` (see :func:`theory.search.set_limits`).
"""

import contextlib
import math

import mpmath
import numpy as np
import sympy as sp

from theory import _validate as chk
from theory.precision import DTYPES, machine_epsilon, ulp
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

#: Exact limit of Proposition B.4, ``2 (e - 1) / (e + 1)``.
ALTERNATING_TV_LIMIT = 2 * (sp.E - 1) / (sp.E + 1)

#: Natural log of the largest float64 (``exp`` of anything above it overflows), and the
#: smallest normal float64.
_LOG_FLOAT_MAX, _FLOAT_TINY = chk._LOG_FLOAT_MAX, chk._FLOAT_TINY

#: Largest threshold or onset the searches return: far beyond any sequence length, and
#: still a float64 (the bounds are compared in float64).
_MAX_THRESHOLD = 2**62


def _mpf(value):
    """The exact binary value of a float as an mpf (no decimal round trip)."""
    return mpmath.mpf(float(value))


@contextlib.contextmanager
def _iv_precision(dps):
    """``mpmath.iv`` at ``dps`` digits for the block, restored afterwards."""
    iv = mpmath.iv
    old = iv.dps
    iv.dps = dps
    try:
        yield iv
    finally:
        iv.dps = old


def _outward(interval, low=0.0, high=2.0):
    """``(lower, upper)`` floats that contain the interval: nearest float, then one step out.

    The result is intersected with ``[low, high]``, the range the quantity is known to lie
    in (a gap in [0, 1], a total variation in [0, 2]): cancellation at low precision can
    widen an enclosure past 0, which stays rigorous but says less.
    """
    lo = float(mpmath.mpf(interval.a))
    hi = float(mpmath.mpf(interval.b))
    return (max(low, math.nextafter(lo, -math.inf)), min(high, math.nextafter(hi, math.inf)))


def _check_scalars(**values):
    return [chk.check_real(v, name) for name, v in values.items()]


def softmax(x):
    """Numerically stable softmax of a 1-D array (float64).

    Parameters
    ----------
    x : array_like of float, shape (n,)
        Finite reals (n >= 1).

    Returns
    -------
    ndarray of float64, shape (n,)
        Non-negative, summing to 1 up to rounding.

    Raises
    ------
    ValueError
        If ``x`` is empty, not 1-D, or has a NaN or infinite entry; a TypeError (also a
        ValueError) for booleans, strings or complex entries.

    References
    ----------
    Barbero et al. (2024), Section 2 (attention weights alpha_ij), p. 3.

    Examples
    --------
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    x = chk.check_real_array(x, "x", ndim=1)
    # Entries far below the maximum underflow to 0, which is their correctly rounded weight.
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(x - x.max())
    return e / e.sum()


def _check_distribution(p, name, atol):
    p = chk.check_real_array(p, name, ndim=1)
    if p.min() < -atol:
        raise ValueError(f"{name} must be a probability vector: entry {int(p.argmin())} is {p.min():g}")
    total = float(p.sum())  # pairwise summation: error ~ log2(n) ulp, far inside atol
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must be a probability vector: its entries sum to {total:.12g}, not 1 "
                         f"within atol={atol:g}")
    return p


def total_variation(p, q, atol=1e-6):
    """The paper's total variation ``delta(p, q) = sum_i |p_i - q_i|`` of two distributions.

    Parameters
    ----------
    p, q : array_like of float, shape (n,)
        Probability vectors: entries ``>= -atol`` summing to 1 within ``atol``.
    atol : float
        Tolerance of the two checks, in ``[0, 0.5)``.

    Returns
    -------
    float
        In ``[0, 2]`` (up to ``atol``): no factor 1/2, as in the paper.

    Raises
    ------
    ValueError
        If ``p`` or ``q`` is not a probability vector, they differ in length, or ``atol``
        is not a finite real in ``[0, 0.5)``.

    References
    ----------
    Barbero et al. (2024), Appendix B.1, Eq. (2), p. 13.

    Examples
    --------
    >>> total_variation([1.0, 0.0], [0.0, 1.0])
    2.0
    """
    atol = chk.check_real(atol, "atol", minimum=0.0)
    if atol >= 0.5:
        raise ValueError(f"atol must be < 0.5 (a larger tolerance accepts non-distributions), got {atol!r}")
    p = _check_distribution(p, "p", atol)
    q = _check_distribution(q, "q", atol)
    if len(p) != len(q):
        raise ValueError(f"p and q must have the same length, got {len(p)} and {len(q)}")
    return float(np.abs(p - q).sum())


# --------------------------------------------------------------------------- B.1


def _softmax_last(a, tail, first=False):
    """``e^t / (sum_k e^(a_k) + sum e^tail)`` for ``t`` the last (or first) entry of ``tail``."""
    ref = max(a.max() if a.size else -math.inf, *tail)
    with np.errstate(under="ignore"):
        s = float(np.exp(a - ref).sum()) if a.size else 0.0
    e = [math.exp(t - ref) for t in tail]
    return (e[0] if first else e[-1]) / (s + sum(e))


def last_entry_gap(a, b, c):
    """Lemma B.1: ``softmax([a, c])_n - softmax([a, b, c])_{n+1}``, computed stably.

    The exact value is ``e^(b+c) / ((S + e^c)(S + e^b + e^c))`` with
    ``S = sum_k e^(a_k)``; it is always > 0, which is the first claim of Lemma B.1.

    Parameters
    ----------
    a : array_like of float, shape (n-1,)
        The common prefix (may be empty).
    b, c : float
        The inserted entry and the final entry.

    Returns
    -------
    float
        The gap in ``[0, 1)``; it is > 0 unless it underflows float64 (below about
        ``5e-324``; :func:`last_entry_gap_prefix_mp` has no such floor).

    Raises
    ------
    ValueError
        If ``a`` is not 1-D or has a non-finite entry, or ``b`` or ``c`` is not finite;
        a TypeError (also a ValueError) for arguments that are not real numbers.

    References
    ----------
    Barbero et al. (2024), Lemma B.1, p. 13.

    Examples
    --------
    >>> round(last_entry_gap([0.0], 0.0, 0.0), 12)   # 1/2 - 1/3
    0.166666666667
    """
    a = chk.check_real_array(a, "a", ndim=1, allow_empty=True)
    b, c = _check_scalars(b=b, c=c)
    # The gap is the product of two softmax values, e^c/(S + e^c) and e^b/(S + e^b + e^c);
    # each is computed against its own largest exponent, so neither is 0/0 (one common
    # reference made b = 746, a = c = 0 return NaN: e^c and S both underflowed).
    return _softmax_last(a, [c]) * _softmax_last(a, [b, c], first=True)


def last_entry_gap_symbolic():
    """Lemma B.1 in sympy: the exact gap, its sign and its limit.

    Parameters
    ----------
    None
        (the symbols S >= 0 and real b, c are made inside)

    Returns
    -------
    dict
        ``gap``: the difference as a single fraction in ``S = sum e^{a_k}``, ``b``, ``c``;
        ``difference_minus_gap``: the two softmax values minus ``gap`` (simplifies to 0);
        ``positive``: whether sympy proves ``gap > 0`` for real ``b, c`` and ``S >= 0``;
        ``limit``: ``gap`` as ``S -> oo`` (0);
        ``order``: the leading term ``e^(b+c)/S**2``; and the symbols ``S``, ``b``, ``c``.

    Raises
    ------
    None
        There is no input to check; whether sympy proves the sign is reported in
        ``positive``, not raised.

    References
    ----------
    Barbero et al. (2024), Lemma B.1 and its proof, p. 13.

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
        Bound on the absolute value of every entry, uniform in ``n`` (``M >= 0``).

    Returns
    -------
    float
        A normal positive float64.

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 2 or ``M`` not a finite real >= 0, or the bound
        leaves the float64 range (it overflows for ``4M - 2 log(n-1)`` above 709.78;
        it is refused rather than rounded to 0 below the smallest normal float).

    References
    ----------
    Barbero et al. (2024), Lemma B.1 (second claim) and its proof, p. 13.

    Examples
    --------
    >>> last_entry_gap_bound(11, 0.0)
    0.01
    >>> last_entry_gap_bound(2, 1000.0)
    Traceback (most recent call last):
    ...
    ValueError: M and n: e^(4M)/(n-1)^2 = e^4000 exceeds the float64 range
    """
    n = chk.check_int(n, "n", minimum=2)
    M = chk.check_real(M, "M", minimum=0.0)
    return chk.exp_over_power(M, 4, n - 1, 2, "M and n", "e^(4M)/(n-1)^2")


def last_entry_gap_threshold(eps, M):
    """Smallest ``n0`` such that ``last_entry_gap_bound(n, M) < eps`` for all ``n >= n0``.

    ``n0 = floor(e^(2M) / sqrt(eps)) + 2`` in exact arithmetic; the estimate (at 50 digits)
    is then settled against the float bound that callers compare with, by galloping
    from it and bisecting (``O(log)`` evaluations, never a walk).

    Parameters
    ----------
    eps : float
        The target, a normal positive float64 (``>= 2.2e-308``).
    M : float
        Bound on the entries, ``>= 0``.

    Returns
    -------
    int
        ``n0 >= 2`` with ``last_entry_gap_bound(n0, M) < eps`` and, unless ``n0 == 2``,
        ``last_entry_gap_bound(n0 - 1, M) >= eps``.

    Raises
    ------
    ValueError
        If ``eps`` or ``M`` is out of range, or ``n0`` would exceed ``2**500`` (below it
        ``(n-1)**2`` is a float64 and the bound is exactly monotone in ``n``).

    References
    ----------
    Barbero et al. (2024), Lemma B.1 ("for any p > 0 we can find large enough n"), p. 13.

    Examples
    --------
    >>> last_entry_gap_threshold(1e-4, 0.0)
    102
    >>> last_entry_gap_bound(102, 0.0) < 1e-4 <= last_entry_gap_bound(101, 0.0)
    True
    >>> n0 = last_entry_gap_threshold(1e-50, 0.0)   # about 10**25, found in ~100 evaluations
    >>> last_entry_gap_bound(n0, 0.0) < 1e-50 <= last_entry_gap_bound(n0 - 1, 0.0)
    True
    """
    eps = chk.check_real(eps, "eps", minimum=_FLOAT_TINY)
    M = chk.check_real(M, "M", minimum=0.0)
    with mpmath.workdps(50):
        r = mpmath.exp(2 * _mpf(M)) / mpmath.sqrt(_mpf(eps))
        if r > 2**500:
            raise ValueError(f"eps={eps!r} and M={M!r} put the threshold e^(2M)/sqrt(eps) = {mpmath.nstr(r, 6)} "
                             f"beyond 2**500")
        guess = int(mpmath.floor(r)) + 2
    return smallest_satisfying(lambda n: last_entry_gap_bound(n, M) < eps, start=2, limit=2**500 + 2,
                               guess=guess)


def last_entry_gap_mp(n, a, b, c, dps=50):
    """Lemma B.1 gap for a constant prefix ``a_k = a`` at ``dps`` significant digits.

    With a constant prefix ``S = (n-1) e^a`` in closed form, so ``n`` may be as large as
    ``10**12`` (or any integer) at no cost. The float arguments are taken exactly.

    Parameters
    ----------
    n : int
        Length of ``x`` (``n >= 1``; ``n = 1`` is the empty prefix).
    a, b, c : float
        The prefix value, the inserted entry and the final entry (finite reals).
    dps : int
        Significant digits, ``1 <= dps <=`` the ``dps`` limit (10**4 by default).

    Returns
    -------
    mpmath.mpf
        The gap, positive.

    Raises
    ------
    ValueError
        For an argument out of its domain, or ``dps`` over the limit (the message says
        how to raise it).

    References
    ----------
    Barbero et al. (2024), Lemma B.1, p. 13.

    Examples
    --------
    >>> float(last_entry_gap_mp(2, 0, 0, 0))   # 1/2 - 1/3
    0.16666666666666666
    """
    n = chk.check_int(n, "n", minimum=1)
    a, b, c = _check_scalars(a=a, b=b, c=c)
    with mpmath.workdps(chk.check_dps(dps)):
        a, b, c = _mpf(a), _mpf(b), _mpf(c)
        S = (n - 1) * mpmath.exp(a)
        return mpmath.exp(b + c) / ((S + mpmath.exp(c)) * (S + mpmath.exp(b) + mpmath.exp(c)))


def last_entry_gap_prefix_mp(a, lengths, b, c, dps=50):
    """Lemma B.1 gaps for one prefix at several lengths, at ``dps`` digits, in one pass.

    For length ``n`` the sequences are ``x = [a_1 .. a_{n-1}, c]`` and
    ``x* = [a_1 .. a_{n-1}, b, c]``; the partition sums of the prefix are accumulated
    once, so all lengths cost ``O(max(lengths))`` exponentials.

    Parameters
    ----------
    a : array_like of float, shape (N - 1,)
        The prefix; length ``n`` uses its first ``n - 1`` entries.
    lengths : sequence of int
        Values of ``n`` (``2 <= n <= N``), not empty.
    b, c : float
        The inserted and the final entry.
    dps : int
        Significant digits (at most the ``dps`` limit).

    Returns
    -------
    list of mpmath.mpf
        The gaps, in the order of ``lengths``.

    Raises
    ------
    ValueError
        For arguments out of their domain, lengths beyond the prefix, or work
        (``max(lengths) * dps``) over the ``mp_digits`` limit.

    References
    ----------
    Barbero et al. (2024), Lemma B.1, p. 13.

    Examples
    --------
    >>> g = last_entry_gap_prefix_mp([0.0, 0.0], [2, 3], 0.0, 0.0)
    >>> [round(float(v), 12) for v in g]     # 1/2 - 1/3, 1/3 - 1/4
    [0.166666666667, 0.083333333333]
    """
    a = chk.check_real_array(a, "a", ndim=1, allow_empty=True)
    ns = chk.check_int_array(lengths, "lengths", minimum=2).tolist()
    b, c = _check_scalars(b=b, c=c)
    dps = chk.check_dps(dps)
    if max(ns) - 1 > a.size:
        raise ValueError(f"lengths reach {max(ns)} but a has only {a.size} entries")
    chk.check_cost(max(ns) * dps, "mp_digits", "lengths", "terms x digits")
    want = {n - 1 for n in ns}
    sums = {}
    with mpmath.workdps(dps):
        acc = mpmath.mpf(0)
        for k in range(max(want) + 1):
            if k in want:
                sums[k] = +acc
            if k < a.size:
                acc += mpmath.exp(_mpf(a[k]))
        eb, ec = mpmath.exp(_mpf(b)), mpmath.exp(_mpf(c))
        return [eb * ec / ((sums[n - 1] + ec) * (sums[n - 1] + eb + ec)) for n in ns]


def gap_onset_sufficient(M, dtype):
    """A length from which every Lemma B.1 gap under ``|entries| <= M`` is below one ulp.

    The gap is at most ``e^(4M)/(n-1)^2`` and the last softmax value at least
    ``e^(-2M)/(n+1)``, whose ulp exceeds ``value * eps_mach / 2``; so the gap is below
    the ulp of the value once ``(n-1)^2/(n+1) >= 2 e^(6M) / eps_mach``. This length is
    *sufficient*: it is not claimed to be attained by any instance.

    Parameters
    ----------
    M : float
        Bound on the entries, ``>= 0``.
    dtype : str
        One of :data:`theory.precision.DTYPES`.

    Returns
    -------
    int
        The smallest ``n >= 2`` with ``(n-1)^2/(n+1) >= 2 e^(6M)/eps_mach``.

    Raises
    ------
    ValueError
        If ``M`` is out of range or so large that the length exceeds ``2**62``.

    References
    ----------
    Barbero et al. (2024), Lemma B.1, p. 13, and Section 4 (bf16), p. 7.

    Examples
    --------
    >>> gap_onset_sufficient(0.0, "bf16")
    259
    """
    M = chk.check_real(M, "M", minimum=0.0)
    eps = machine_epsilon(chk.check_choice(dtype, "dtype", DTYPES))
    if 6 * M - math.log(eps / 2) > math.log(_MAX_THRESHOLD):
        raise ValueError(f"M={M!r}: the onset 2 e^(6M)/eps_mach for {dtype} exceeds 2**62")
    target = 2 * math.exp(6 * M) / eps
    return smallest_satisfying(lambda n: (n - 1) ** 2 / (n + 1) >= target, limit=_MAX_THRESHOLD,
                               guess=int(target) + 3)


def gap_onset_constant_prefix(b, c, dtype, a=0.0, dps=50):
    """First length from which the constant-prefix gap stays below the ulp of the last softmax value.

    The instance ``a_k = a`` of Lemma B.1, evaluated at ``dps`` digits. The gap shrinks
    monotonically in ``n`` but the ulp of the softmax value halves at every power of two
    it crosses, so "gap < ulp" can hold, fail, and hold again (for bf16 with
    ``b = 0.3, c = -0.2`` it holds at n = 190, fails at 209 and holds from 269 on). The
    search finds the length from which it holds for good: "gap < ulp" is guaranteed once
    ``gap / value = e^b / ((n-1) e^a + e^c) < eps_mach / 4``; below that length it walks
    down the binades of the softmax value, bisecting in each, where the ulp is constant
    and the condition monotone.

    Parameters
    ----------
    b, c : float
        The inserted and the final entry.
    dtype : str
        One of :data:`theory.precision.DTYPES`.
    a : float
        The constant prefix value.
    dps : int
        Significant digits of each evaluation (``>= 20``).

    Returns
    -------
    int
        ``n0 >= 2``: the gap is below the ulp at every ``n >= n0`` and not at ``n0 - 1``.

    Raises
    ------
    ValueError
        For arguments out of their domain, or an onset beyond ``2**62`` (about
        ``4 e^(b - a) / eps_mach``).

    References
    ----------
    Barbero et al. (2024), Lemma B.1, p. 13, and Section 4 (bf16), p. 7.

    Examples
    --------
    >>> gap_onset_constant_prefix(0.0, 0.0, "bf16")
    181
    >>> gap_onset_constant_prefix(0.3, -0.2, "bf16")
    269
    """
    b, c, a = _check_scalars(b=b, c=c, a=a)
    eps = machine_epsilon(chk.check_choice(dtype, "dtype", DTYPES))
    dps = chk.check_dps(dps)
    if dps < 20:
        raise ValueError(f"dps must be >= 20 here (each gap is compared with a float64 ulp, which needs "
                         f"17 correct digits), got {dps}")
    with mpmath.workdps(dps + 10):
        # gap/value = e^b / ((n-1) e^a + e^c) < eps/4 for every n >= n_sure.
        x = (4 * mpmath.exp(_mpf(b)) / eps - mpmath.exp(_mpf(c))) / mpmath.exp(_mpf(a))
        if x > _MAX_THRESHOLD:
            raise ValueError(f"b={b!r} and a={a!r}: the onset (about 4 e^(b-a)/eps_mach = {mpmath.nstr(x, 6)}) "
                             f"exceeds 2**62 for {dtype}")
        # (int() of a hugely negative x would build a number with billions of digits.)
        n_sure = 2 if x < 0 else int(mpmath.floor(x)) + 2

    def value(n):
        with mpmath.workdps(dps):
            return float(mpmath.exp(_mpf(c)) / ((n - 1) * mpmath.exp(_mpf(a)) + mpmath.exp(_mpf(b))
                                                + mpmath.exp(_mpf(c))))

    def below(n):
        return float(last_entry_gap_mp(n, a, b, c, dps)) < ulp(value(n), dtype)

    hi = n_sure  # "below" holds at every n >= hi
    while hi > 2:
        if not below(hi - 1):
            return hi
        u = ulp(value(hi - 1), dtype)
        # The binade of the value at hi - 1 starts at s (the ulp is monotone in n).
        s = smallest_satisfying(lambda n, u=u: ulp(value(n), dtype) <= u, start=2, limit=hi - 1)
        m = smallest_satisfying(below, start=s, limit=hi - 1)
        if m > s:
            return m
        hi = s
    return 2


def last_entry_gap_interval(n, a, b, c, dps=30):
    """Rigorous enclosure (``mpmath.iv``) of the constant-prefix Lemma B.1 gap.

    The float arguments enter as the exact binary numbers they are, so the enclosure
    holds for them (a decimal round trip would not: with ``a = 300.1`` it misses the
    value by far more than its width).

    Parameters
    ----------
    n : int
        Length of ``x`` (``n >= 1``).
    a, b, c : float
        Finite reals, as in :func:`last_entry_gap_mp`.
    dps : int
        Working digits of the interval arithmetic (at most the ``dps`` limit).

    Returns
    -------
    tuple of float
        ``(lower, upper)``, rounded outward: ``lower <= gap <= upper``.

    Raises
    ------
    ValueError
        For arguments out of their domain (a NaN ``a`` is refused; it used to give
        ``[0.5, 0.5]``).

    References
    ----------
    Barbero et al. (2024), Lemma B.1, p. 13.

    Examples
    --------
    >>> lo, hi = last_entry_gap_interval(2, 0, 0, 0)
    >>> lo <= 1/6 <= hi
    True
    """
    n = chk.check_int(n, "n", minimum=1)
    a, b, c = _check_scalars(a=a, b=b, c=c)
    with _iv_precision(chk.check_dps(dps)) as iv:
        a, b, c = iv.mpf(a), iv.mpf(b), iv.mpf(c)
        S = (n - 1) * iv.exp(a)
        g = iv.exp(b + c) / ((S + iv.exp(c)) * (S + iv.exp(b) + iv.exp(c)))
        return _outward(g, high=1.0)


# --------------------------------------------------------------------------- B.2


def _check_pair(x, x_star):
    x = chk.check_real_array(x, "x", ndim=1)
    xs = chk.check_real_array(x_star, "x_star", ndim=1)
    if len(x) != len(xs):
        raise ValueError(f"x and x_star must have the same length, got {len(x)} and {len(xs)}")
    return x, xs


def total_variation_mp(x, x_star, dps=50):
    """``delta(softmax(x), softmax(x*))`` at ``dps`` significant digits (mpmath).

    The reference for the float64 sweeps: each exponential and both partition sums
    are exact to ``dps`` digits.

    Parameters
    ----------
    x, x_star : array_like of float, shape (n,)
        Finite reals of one length.
    dps : int
        Significant digits (at most the ``dps`` limit; ``2 n dps`` at most ``mp_digits``).

    Returns
    -------
    mpmath.mpf
        In ``[0, 2]``.

    Raises
    ------
    ValueError
        For arrays of different lengths or with non-finite entries, or work over a limit.

    References
    ----------
    Barbero et al. (2024), Lemma B.2, p. 14, and Eq. (2), p. 13.

    Examples
    --------
    >>> float(total_variation_mp([0.0, 0.0], [0.0, 0.0]))
    0.0
    """
    x, xs = _check_pair(x, x_star)
    dps = chk.check_dps(dps)
    chk.check_cost(2 * len(x) * dps, "mp_digits", "x", "terms x digits")
    with mpmath.workdps(dps):
        ex = [mpmath.exp(_mpf(v)) for v in x]
        es = [mpmath.exp(_mpf(v)) for v in xs]
        Z, Zs = mpmath.fsum(ex), mpmath.fsum(es)
        return mpmath.fsum(abs(u / Z - v / Zs) for u, v in zip(ex, es))


def perturbed_prefix_tv(n_max, k=200, eta=0.1, seeds=(0, 1, 2, 3, 4), points=24,
                        setting="fig9"):
    """Figure 9: TV between ``softmax(x)`` and ``softmax(x*)`` on a geometric grid of lengths.

    ``x ~ U[0,1]^n`` and ``x* = x + U[0, eta]`` on the first ``k`` entries, one draw per
    seed (a ``numpy.random.Generator`` seeded with it); ``setting="alternating"`` uses
    the sequences of Proposition B.4 instead, where Lemma B.2's hypothesis fails.

    Parameters
    ----------
    n_max : int
        Longest length (``>= k``).
    k : int
        Number of perturbed entries (``>= 1``).
    eta : float
        Perturbation size (``0 < eta <= 700``: beyond, the rate overflows float64).
    seeds : sequence of int
        One draw per seed (non-negative integers, at least one).
    points : int
        Grid points from ``k`` to ``n_max``.
    setting : {"fig9", "alternating"}
        Figure 9's perturbation, or Proposition B.4's sequences.

    Returns
    -------
    tuple of ndarray
        ``(ns, tv, certificate, rate)``: the lengths, and per seed and length the total
        variation, :func:`tv_certificate` and :func:`tv_bound`.

    Raises
    ------
    ValueError
        For arguments out of their domain, or a draw of more than the ``elements``
        limit.

    References
    ----------
    Barbero et al. (2024), Figure 9 and Appendix C.3, p. 22; Lemma B.2, p. 14.

    Examples
    --------
    >>> ns, tv, cert, rate = perturbed_prefix_tv(1000, k=10, seeds=(0,), points=3)
    >>> ns.tolist(), bool((tv <= cert).all() and (cert <= rate).all())
    ([10, 100, 1000], True)
    """
    n_max = chk.check_int(n_max, "n_max", minimum=1)
    k = chk.check_int(k, "k", minimum=1)
    if n_max < k:
        raise ValueError(f"n_max must be >= k={k}, got {n_max}")
    # x* reaches 1 + eta, so the rate 2 e^(1 + eta) mean|x - x*| must stay a float64.
    eta = chk.check_real(eta, "eta", minimum=0.0, maximum=700.0, open_min=True)
    seeds = chk.check_int_array(seeds, "seeds", minimum=0).tolist()
    points = chk.check_int(points, "points", minimum=1)
    setting = chk.check_choice(setting, "setting", ("fig9", "alternating"))
    chk.check_elements([n_max], "n_max")
    chk.check_elements([points], "points")
    ns = np.unique(np.round(np.logspace(math.log10(k), math.log10(n_max), points)).astype(int))
    # About ten float64 passes over each length (two softmaxes, the certificate, the rate).
    chk.check_cost(10 * len(seeds) * int(ns.sum()), "work", "n_max", "float64 entries processed")
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

    Parameters
    ----------
    x, x_star : array_like of float, shape (n,)
        Finite reals of one length.

    Returns
    -------
    float
        In ``[0, 4]`` (``D <= Z + Z*``), at least the total variation.

    Raises
    ------
    ValueError
        For arrays of different lengths or with non-finite entries.

    References
    ----------
    Barbero et al. (2024), proof of Lemma B.2, Eq. (3) and the last display, p. 14.

    Examples
    --------
    >>> x = np.zeros(4); xs = x.copy(); xs[0] = 0.1
    >>> total_variation(softmax(x), softmax(xs)) <= tv_certificate(x, xs)
    True
    """
    x, xs = _check_pair(x, x_star)
    ref = max(x.max(), xs.max())
    with np.errstate(under="ignore"):
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

    Parameters
    ----------
    abs_differences : array_like of float, shape (n,)
        ``|x_i - x*_i|``: finite and non-negative.
    spread : float
        ``>= 0``.

    Returns
    -------
    float
        A finite upper bound.

    Raises
    ------
    ValueError
        For a negative or non-finite difference, a spread out of range, or a bound
        beyond the float64 range.

    References
    ----------
    Barbero et al. (2024), Lemma B.2 and its proof, p. 14.

    Examples
    --------
    >>> tv_bound([0.1, 0.0, 0.0, 0.0], 0.0)
    0.05
    """
    diff = chk.check_real_array(abs_differences, "abs_differences", ndim=1, minimum=0.0)
    spread = chk.check_real(spread, "spread", minimum=0.0)
    if spread > _LOG_FLOAT_MAX:
        raise ValueError(f"spread={spread!r}: e^spread exceeds the float64 range")
    with np.errstate(over="ignore"):
        value = float(2 * math.exp(spread) * np.abs(diff).mean())
    if not math.isfinite(value):
        raise ValueError(f"spread={spread!r} and abs_differences: the bound exceeds the float64 range")
    return value


def tv_threshold(eps, spread, total_abs_difference):
    """Smallest ``n0`` with ``2 e^spread * total / n < eps`` for every ``n >= n0``.

    For the Figure 9 setting (``k`` entries perturbed by at most ``eta``) the total
    absolute difference is at most ``k * eta`` whatever ``n``, so the bound of
    :func:`tv_bound` is ``2 e^spread k eta / n``.

    Parameters
    ----------
    eps : float
        The target (``> 0``).
    spread : float
        ``>= 0``.
    total_abs_difference : float
        ``sum_i |x_i - x*_i|``, ``>= 0``.

    Returns
    -------
    int
        ``floor(2 e^spread total / eps) + 1``.

    Raises
    ------
    ValueError
        For arguments out of range, or a threshold beyond the float64 range.

    References
    ----------
    Barbero et al. (2024), Lemma B.2, p. 14.

    Examples
    --------
    >>> tv_threshold(0.01, 0.0, 1.0)
    201
    """
    eps = chk.check_real(eps, "eps", minimum=0.0, open_min=True)
    spread = chk.check_real(spread, "spread", minimum=0.0)
    total = chk.check_real(total_abs_difference, "total_abs_difference", minimum=0.0)
    if spread > _LOG_FLOAT_MAX:
        raise ValueError(f"spread={spread!r}: e^spread exceeds the float64 range")
    with np.errstate(over="ignore"):
        x = 2 * math.exp(spread) * total / eps
    if not math.isfinite(x):
        raise ValueError(f"spread={spread!r}, total_abs_difference={total!r}, eps={eps!r}: the threshold "
                         "exceeds the float64 range")
    return int(math.floor(x)) + 1


def shifted_prefix_tv_symbolic():
    """Exact total variation for ``x = 0`` and ``x*_i = eta`` on the first ``k`` entries.

    The closed-form case of Lemma B.2 used for arbitrary-precision checks:
    ``Z = n``, ``Z* = n - k + k e^eta``.

    Parameters
    ----------
    None
        (n, k and eta are positive symbols)

    Returns
    -------
    dict
        ``tv``: delta(n) for ``eta > 0``; ``limit``: its limit as ``n -> oo`` (0);
        ``leading``: ``lim n * delta(n)`` (``2 k (e^eta - 1)``); and the symbols.

    Raises
    ------
    None
        (nothing to validate)

    References
    ----------
    Barbero et al. (2024), Lemma B.2, p. 14.

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


def _check_shifted(n, k, eta):
    n = chk.check_int(n, "n", minimum=1)
    k = chk.check_int(k, "k", minimum=1)
    if k > n:
        raise ValueError(f"k must be <= n, got k={k}, n={n}")
    return n, k, chk.check_real(eta, "eta", minimum=0.0, open_min=True)


def _shifted_tv(one, e, n, k):
    """The closed form ``k (e/Z* - 1/n) + (n-k)(1/n - 1/Z*)`` in the arithmetic of ``one``."""
    Zs = n - k + k * e
    return k * (e / Zs - one / n) + (n - k) * (one / n - one / Zs)


def shifted_prefix_tv_mp(n, k, eta, dps=50):
    """The closed form of :func:`shifted_prefix_tv_symbolic` at ``dps`` digits.

    Parameters
    ----------
    n : int
        Length (``>= 1``).
    k : int
        Shifted entries, ``1 <= k <= n``.
    eta : float
        The shift, ``> 0``.
    dps : int
        Significant digits.

    Returns
    -------
    mpmath.mpf
        In ``[0, 2)``; exactly 0 when ``k = n`` (both softmaxes are uniform).

    Raises
    ------
    ValueError
        If ``k > n``, ``eta`` is not a finite real > 0, or ``dps`` is out of range.

    References
    ----------
    Barbero et al. (2024), Lemma B.2 (the closed-form instance), p. 14.

    Examples
    --------
    >>> x = np.zeros(10); xs = x.copy(); xs[:3] = 0.5
    >>> abs(float(shifted_prefix_tv_mp(10, 3, 0.5)) - total_variation(softmax(x), softmax(xs))) < 1e-15
    True
    """
    n, k, eta = _check_shifted(n, k, eta)
    with mpmath.workdps(chk.check_dps(dps)):
        # For k = n the two softmaxes are equal and the closed form cancels to a rounding
        # error of either sign; a total variation is never negative.
        return max(_shifted_tv(mpmath.mpf(1), mpmath.exp(_mpf(eta)), n, k), mpmath.mpf(0))


def shifted_prefix_tv_interval(n, k, eta, dps=30):
    """Rigorous enclosure of :func:`shifted_prefix_tv_mp` as ``(lower, upper)``.

    Parameters
    ----------
    n, k : int
        ``1 <= k <= n`` (a ``k > n`` used to give a negative total variation).
    eta : float
        ``> 0``, taken as its exact binary value.
    dps : int
        Working digits of the interval arithmetic.

    Returns
    -------
    tuple of float
        ``(lower, upper)`` rounded outward, inside ``[0, 2]``.

    Raises
    ------
    ValueError
        For ``k > n`` (the closed form would be negative there), or an argument out of
        its domain.

    References
    ----------
    Lemma B.2 of Barbero et al. (2024), p. 14.

    Examples
    --------
    >>> lo, hi = shifted_prefix_tv_interval(10, 3, 0.5)
    >>> lo <= float(shifted_prefix_tv_mp(10, 3, 0.5)) <= hi
    True
    """
    n, k, eta = _check_shifted(n, k, eta)
    with _iv_precision(chk.check_dps(dps)) as iv:
        return _outward(_shifted_tv(iv.mpf(1), iv.exp(iv.mpf(eta)), n, k))


def normaliser_identity_symbolic(size=3):
    """The identity behind the last display of the proof of Lemma B.2, for ``size`` entries.

    ``sum_i |Z* e^(x_i) - Z e^(x_i)| / (Z Z*) = |Z - Z*| / Z*``: the sum over ``i``
    contributes a factor ``Z``. The paper's display writes ``eps min(Z, Z*) / (Z Z*)``,
    which drops this factor (see the errata of check B.2).

    Parameters
    ----------
    size : int
        Number of entries, ``1 <= size <=`` the ``symbolic_size`` limit (16 by default).

    Returns
    -------
    sympy expression
        ``lhs - rhs`` simplified (0 when the identity holds).

    Raises
    ------
    ValueError
        If ``size`` is not a positive integer or is over the limit.

    References
    ----------
    Barbero et al. (2024), proof of Lemma B.2, p. 14.

    Examples
    --------
    >>> normaliser_identity_symbolic(3)
    0
    """
    size = chk.check_int(size, "size", minimum=1)
    chk.check_cost(size, "symbolic_size", "size", "symbolic entries")
    e = sp.symbols(f"e1:{size + 1}", positive=True)
    es = sp.symbols(f"f1:{size + 1}", positive=True)
    Z, Zs = sum(e), sum(es)
    lhs = sum(ei * sp.Abs(Zs - Z) / (Z * Zs) for ei in e)
    rhs = sp.Abs(Z - Zs) / Zs
    return sp.simplify(lhs - rhs)


# --------------------------------------------------------------------------- B.4


def alternating_tv_symbolic():
    """Proposition B.4 exactly: delta(softmax(1010...), softmax(0101...)) as a function of n.

    Parameters
    ----------
    None
        (m is a positive integer symbol; n = 2m or 2m + 1)

    Returns
    -------
    dict
        ``even``: the value for even ``n`` (constant, ``2(e-1)/(e+1)`` for *every* even
        n, not only in the limit); ``odd``: the closed form for odd ``n = 2m + 1``;
        ``limit``: the common limit; ``even_minus_limit`` and ``odd_limit_minus_limit``:
        both simplify to 0.

    Raises
    ------
    None
        (it reads no argument)

    References
    ----------
    Barbero et al. (2024), Proposition B.4 and its proof, p. 16.

    Examples
    --------
    >>> sorted(k for k, v in alternating_tv_symbolic().items() if v == 0)
    ['even_minus_limit', 'odd_limit_minus_limit']
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

    Parameters
    ----------
    n : int
        Length, ``1 <= n <=`` the ``elements`` limit.

    Returns
    -------
    tuple of ndarray
        ``(x, x_star)``, float64 of shape ``(n,)``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer, or the two arrays would exceed the
        ``elements`` limit.

    References
    ----------
    Barbero et al. (2024), Proposition B.4, p. 16.

    Examples
    --------
    >>> [v.tolist() for v in alternating_pair(4)]
    [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """
    n = chk.check_int(n, "n", minimum=1)
    chk.check_elements([2, n], "n")
    x = (np.arange(n) % 2 == 0).astype(float)
    return x, 1.0 - x


def _alternating_tv(e, n, one):
    """Proposition B.4's total variation at length ``n`` in the arithmetic of ``one``."""
    ones_x = (n + 1) // 2
    ones_s = n // 2
    Zx = ones_x * e + (n - ones_x)
    Zs = ones_s * e + (n - ones_s)
    # Positions where x = 1 (and x* = 0), then where x = 0 (and x* = 1).
    return ones_x * abs(e / Zx - one / Zs) + (n - ones_x) * abs(one / Zx - e / Zs)


def alternating_tv_mp(n, dps=50):
    """Proposition B.4 total variation for length ``n`` at ``dps`` digits (closed form).

    Parameters
    ----------
    n : int
        Length, any positive integer (the closed form costs the same for 10**12).
    dps : int
        Significant digits.

    Returns
    -------
    mpmath.mpf
        In ``(0, 2)``; equal to ``2(e-1)/(e+1)`` for every even ``n``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or ``dps`` is out of range.

    References
    ----------
    Barbero et al. (2024), Proposition B.4, p. 16.

    Examples
    --------
    >>> x = np.arange(6) % 2 == 0
    >>> abs(float(alternating_tv_mp(6)) - total_variation(softmax(x * 1.0), softmax(~x * 1.0))) < 1e-15
    True
    """
    n = chk.check_int(n, "n", minimum=1)
    with mpmath.workdps(chk.check_dps(dps)):
        return _alternating_tv(mpmath.e, n, mpmath.mpf(1))


def alternating_tv_interval(n=None, dps=30):
    """Rigorous enclosure of Proposition B.4's value: at length ``n``, or its limit when ``n`` is None.

    Parameters
    ----------
    n : int, optional
        Length (``>= 1``); None encloses the limit ``2(e-1)/(e+1)``.
    dps : int
        Working digits of the interval arithmetic.

    Returns
    -------
    tuple of float
        ``(lower, upper)`` rounded outward.

    Raises
    ------
    ValueError
        If ``n`` is not None or a positive integer, or ``dps`` is out of range.

    References
    ----------
    Barbero et al. (2024), Proposition B.4, p. 16.

    Examples
    --------
    >>> lo, hi = alternating_tv_interval()
    >>> lo < 0.9242343145200195 < hi
    True
    """
    if n is not None:
        n = chk.check_int(n, "n", minimum=1)
    with _iv_precision(chk.check_dps(dps)) as iv:
        e = iv.e
        if n is None:
            return _outward(2 * (e - 1) / (e + 1))
        return _outward(_alternating_tv(e, n, iv.mpf(1)))
