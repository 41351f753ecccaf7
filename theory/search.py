"""Integer searches: the smallest ``n`` at which a monotone condition starts to hold, and length grids.

Every onset and threshold of the companion ("from which length on is the gap below the
format's resolution?") is such a search. Doubling then bisection needs
``O(log n)`` evaluations, so thresholds near ``10**12`` cost a few dozen calls, never a
walk through every integer.
"""

import math
import numbers

import numpy as np

__all__ = ["smallest_satisfying", "log_spaced_lengths"]


def smallest_satisfying(predicate, start=2, limit=2**62):
    """Smallest integer ``n >= start`` with ``predicate(n)`` true, for a monotone predicate.

    The predicate must be false up to some ``n0 - 1`` and true from ``n0`` on.

    Parameters
    ----------
    predicate : callable
        ``predicate(n) -> bool``.
    start : int
        The smallest candidate.
    limit : int
        Give up (ValueError) if the predicate is still false at ``limit``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``start`` or ``limit`` is not an integer, or no ``n <= limit`` satisfies
        the predicate.

    Examples
    --------
    >>> smallest_satisfying(lambda n: n * n >= 1000)
    32
    >>> smallest_satisfying(lambda n: True, start=5)
    5
    """
    for name, value in (("start", start), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if limit < start:
        raise ValueError(f"limit must be >= start={start}, got {limit}")
    hi = start
    while not predicate(hi):
        if hi >= limit:
            raise ValueError(f"no n <= limit={limit} satisfies the condition; raise limit")
        hi = min(2 * hi, limit)
    lo = start
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def log_spaced_lengths(n_min, n_max, points):
    """About ``points`` distinct integers from ``n_min`` to ``n_max``, evenly spaced in log n.

    Parameters
    ----------
    n_min, n_max : int
        The ends, both included (``1 <= n_min <= n_max``).
    points : int
        How many values to aim for; rounding may merge neighbours at the small end.

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> log_spaced_lengths(2, 1000, 4).tolist()
    [2, 16, 126, 1000]
    """
    for name, value in (("n_min", n_min), ("n_max", n_max), ("points", points)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if n_max < n_min:
        raise ValueError(f"n_max must be >= n_min={n_min}, got {n_max}")
    grid = np.logspace(math.log10(n_min), math.log10(n_max), points)
    return np.unique(np.round(grid).astype(np.int64))
