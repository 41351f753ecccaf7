"""Integer searches, length grids, and the cost limits of :mod:`theory`.

Every onset and threshold of the companion ("from which length on is the gap below the
format's resolution?") is a search for the smallest ``n`` at which a monotone condition
holds. Galloping from a guess (or doubling from the start) and then bisecting needs
``O(log n)`` evaluations, so thresholds near ``10**25`` cost a few hundred calls, never a
walk through every integer.

The cost limits bound what one call of any function of :mod:`theory` may attempt
(digits, array entries, work, symbolic size); a call over a limit is refused
before it starts, with a message naming the limit. :func:`set_limits` raises them.
"""

import math

import numpy as np

from theory import _validate as chk

__all__ = ["smallest_satisfying", "log_spaced_lengths", "set_limits", "get_limits"]

#: Largest length a grid may reach: every integer up to 2**53 is a float64, so the
#: grids (computed in float64, then rounded) hit their ends exactly.
MAX_GRID_LENGTH = 2**53


def get_limits():
    """The current cost limits of :mod:`theory`, as a new dict.

    Returns
    -------
    dict
        ``dps``: digits of one mpmath evaluation; ``mp_digits``: arbitrary-precision work
        of one call (terms x digits); ``elements``: entries of one array; ``work``: float64
        entries one call processes (a forward pass: layers x n**2 attention scores);
        ``symbolic_size``: entries of one symbolic identity.

    Parameters
    ----------
    None
        It takes no arguments.

    Raises
    ------
    None

    References
    ----------
    Not a statement of the paper: the limits keep every call to a bounded cost (issue 14
    of this project).

    Examples
    --------
    >>> get_limits()["dps"]
    10000
    """
    return dict(chk._LIMITS)


def set_limits(**limits):
    """Change cost limits of :mod:`theory`; return the previous values of those changed.

    A call whose estimated cost is over a limit raises ValueError before any work starts
    (issue 14: no hangs). Raise a limit when you do mean to wait or to use the memory.

    Parameters
    ----------
    **limits : int
        New values, by the names of :func:`get_limits`; each a positive integer.

    Returns
    -------
    dict
        The previous values, so ``set_limits(**old)`` restores them.

    Raises
    ------
    ValueError
        For an unknown limit name or a value that is not a positive integer.

    References
    ----------
    Not a statement of the paper: see :func:`get_limits`.

    Examples
    --------
    >>> old = set_limits(dps=20_000)
    >>> get_limits()["dps"], old
    (20000, {'dps': 10000})
    >>> _ = set_limits(**old)
    """
    for key, value in limits.items():
        chk.check_choice(key, "limit name", tuple(chk._LIMITS))
        chk.check_int(value, key, minimum=1)
    old = {key: chk._LIMITS[key] for key in limits}
    chk._LIMITS.update({key: int(value) for key, value in limits.items()})
    return old


def _holds(predicate, n):
    """``predicate(n)``, refusing answers that are not booleans (a NaN is not False)."""
    r = predicate(n)
    if not isinstance(r, (bool, np.bool_)):
        raise chk.ArgumentTypeError(f"predicate must return True or False, returned {r!r} at n={n}")
    return bool(r)


def smallest_satisfying(predicate, start=2, limit=2**62, guess=None):
    """Smallest integer ``n >= start`` with ``predicate(n)`` true, for a monotone predicate.

    The predicate must be false up to some ``n0 - 1`` and true from ``n0`` on; the search
    evaluates it ``O(log(n0 - start))`` times (``O(log |n0 - guess|)`` with a good guess)
    and never steps through the integers.

    Parameters
    ----------
    predicate : callable
        ``predicate(n) -> bool`` (a ``bool`` or ``numpy.bool_``; anything else is refused).
    start : int
        The smallest candidate.
    limit : int
        Give up (ValueError) if the predicate is still false at ``limit``.
    guess : int, optional
        An estimate of ``n0`` (clipped to ``[start, limit]``): the search gallops outward
        from it instead of doubling from ``start``.

    Returns
    -------
    int
        ``n0``: ``predicate(n0)`` is true and ``n0 == start`` or ``predicate(n0 - 1)`` is false.

    Raises
    ------
    ValueError
        If ``start``, ``limit`` or ``guess`` is not an integer, ``limit < start``, or no
        ``n <= limit`` satisfies the predicate.
    TypeError
        If ``predicate`` is not callable or returns something other than a boolean.

    References
    ----------
    Used for every threshold of Lemma B.1 (p. 13), Lemma B.2 (p. 14) and the collapse
    onsets of Theorem B.3 (p. 15) in Barbero et al. (2024).

    Examples
    --------
    >>> smallest_satisfying(lambda n: n * n >= 1000)
    32
    >>> smallest_satisfying(lambda n: True, start=5)
    5
    >>> smallest_satisfying(lambda n: n >= 10**30, limit=10**40, guess=10**30 - 7)
    1000000000000000000000000000000
    """
    chk.check_callable(predicate, "predicate")
    start = chk.check_int(start, "start")
    limit = chk.check_int(limit, "limit")
    if limit < start:
        raise ValueError(f"limit must be >= start={start}, got {limit}")
    if guess is None:
        lo, step = start - 1, 1  # lo: a point known false, or start - 1
        hi = start
    else:
        hi = min(max(chk.check_int(guess, "guess"), start), limit)
        lo, step = hi - 1, 1
        # Gallop downward while the guess is already true.
        while lo >= start and _holds(predicate, lo):
            hi = lo
            step *= 2
            lo = max(start - 1, hi - step)
        step = 1
    # Gallop (or double) upward until the predicate holds.
    while not _holds(predicate, hi):
        lo = hi
        if hi >= limit:
            raise ValueError(f"no n <= limit={limit} satisfies the condition; raise limit")
        if guess is None:
            hi = min(max(2 * hi, hi + 1), limit)
        else:
            step *= 2
            hi = min(hi + step, limit)
    # Invariant: predicate(hi) is true; lo < hi is false or start - 1.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _holds(predicate, mid):
            hi = mid
        else:
            lo = mid
    return hi


def log_spaced_lengths(n_min, n_max, points):
    """About ``points`` distinct integers from ``n_min`` to ``n_max``, evenly spaced in log n.

    Parameters
    ----------
    n_min, n_max : int
        The ends, both included (``1 <= n_min <= n_max <= 2**53``).
    points : int
        How many values to aim for (``>= 2``, or 1 when ``n_min == n_max``); rounding
        may merge neighbours at the small end.

    Returns
    -------
    ndarray of int64
        Sorted, distinct, starting at ``n_min`` and ending at ``n_max``.

    Raises
    ------
    ValueError
        For arguments that are not integers or out of range, or a grid of more than
        ``get_limits()["elements"]`` points.

    References
    ----------
    The length grids of the checks of Lemma B.1 (p. 13) and Proposition B.4 (p. 16),
    Barbero et al. (2024).

    Examples
    --------
    >>> log_spaced_lengths(2, 1000, 4).tolist()
    [2, 16, 126, 1000]
    """
    n_min = chk.check_int(n_min, "n_min", minimum=1, maximum=MAX_GRID_LENGTH)
    n_max = chk.check_int(n_max, "n_max", minimum=1, maximum=MAX_GRID_LENGTH)
    points = chk.check_int(points, "points", minimum=1)
    if n_max < n_min:
        raise ValueError(f"n_max must be >= n_min={n_min}, got {n_max}")
    if points == 1 and n_max > n_min:
        raise ValueError(f"points must be >= 2 to include both ends n_min={n_min} and n_max={n_max}, got 1")
    chk.check_elements([points], "points")
    grid = np.logspace(math.log10(n_min), math.log10(n_max), points)
    out = np.unique(np.round(grid).astype(np.int64))
    # logspace's ends are within a few ulp of n_min and n_max; rounding makes them exact
    # below 2**50 or so, and these two lines make them exact up to 2**53.
    out[0], out[-1] = n_min, n_max
    return out
