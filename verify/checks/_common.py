"""Helpers shared by the check modules: sympy-verified steps, table numbers, table samples."""


import numpy as np
import sympy as sp

__all__ = ["sympy_step", "fmt", "every_kth"]


def sympy_step(claim, expr, expected=0):
    """A derivation step verified by sympy: ``expr`` must simplify to ``expected``.

    ``verified`` is True when ``sympy.simplify(expr - expected)`` is exactly 0. False
    means sympy did not find the difference to be zero, not that it is non-zero
    (zero-equivalence of expressions is undecidable in general): a check that reads
    the flag fails rather than passes on an unproven step.

    Parameters
    ----------
    claim : str
        The step in words, as the appendix prints it.
    expr : sympy.Expr
        The left-hand side.
    expected : sympy.Expr or number
        The right-hand side (default 0: ``expr`` is a difference that must vanish).

    Returns
    -------
    dict
        ``{"claim": claim, "latex": "<expr> = <expected>", "verified": bool}``, an
        entry of a check's ``symbolic`` list (and of ``results.json``).

    Raises
    ------
    TypeError
        If ``expr - expected`` is not defined (a string ``expr``, ``expected=None``).
    sympy.SympifyError
        If ``expected`` cannot be turned into a sympy expression.

    References
    ----------
    Meurer et al. (2017), "SymPy: symbolic computing in Python", PeerJ Computer
    Science 3:e103 (``simplify``); Richardson (1968), "Some undecidable problems
    involving elementary functions of a real variable", J. Symbolic Logic 33(4).

    Examples
    --------
    >>> a, b = sp.symbols("a b")
    >>> step = sympy_step("binomial square", (a + b) ** 2, a**2 + 2 * a * b + b**2)
    >>> step["verified"], step["latex"]
    (True, '\\\\left(a + b\\\\right)^{2} = a^{2} + 2 a b + b^{2}')
    >>> sympy_step("wrong", (a + b) ** 2, a**2 + b**2)["verified"]
    False
    """
    value = sp.simplify(expr - expected)
    return {
        "claim": claim,
        "latex": sp.latex(expr) + (" = " + sp.latex(expected) if expected is not None else ""),
        "verified": bool(value == 0),
    }


def fmt(x, digits=3):
    """Compact string for the results table.

    Parameters
    ----------
    x : None, int, float or numpy scalar
        The number; integers (Python or numpy, and booleans) are printed exactly.
    digits : int
        Significant digits of a float (format ``g``).

    Returns
    -------
    str
        ``"none"`` for None, the integer's digits, or the float in ``g`` format.

    Raises
    ------
    ValueError
        If ``x`` is a string that is not a number, or ``digits`` is negative.
    TypeError
        If ``x`` is not a number (a list, a dict, ...).

    References
    ----------
    Python Library Reference, "Format Specification Mini-Language" (presentation
    type ``"g"``).

    Examples
    --------
    >>> fmt(None), fmt(np.int64(7391)), fmt(8.0234e-09), fmt(0.924234, 6)
    ('none', '7391', '8.02e-09', '0.924234')
    """
    if x is None:
        return "none"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.{digits}g}"


def every_kth(rows, count, keep_last=True):
    """About ``count`` evenly spaced rows of a table (and the last row), for the appendix.

    Parameters
    ----------
    rows : list
        The table rows.
    count : int
        About how many rows to keep: every ``len(rows) // count``-th row from the
        first (every row when ``count`` exceeds the length).
    keep_last : bool
        Append the last row unless the stride already picked it.

    Returns
    -------
    list
        The picked rows, in order.

    Raises
    ------
    ValueError
        If ``count`` is not a positive integer.

    References
    ----------
    Python Language Reference, slicings (``rows[::step]``).

    Examples
    --------
    >>> every_kth(list(range(10)), 4)
    [0, 2, 4, 6, 8, 9]
    >>> every_kth(list(range(9)), 4)
    [0, 2, 4, 6, 8]
    >>> every_kth(list(range(9)), 4, keep_last=False)
    [0, 2, 4, 6, 8]
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    picked = list(rows[:: max(1, len(rows) // count)])
    if keep_last and rows and (len(rows) - 1) % max(1, len(rows) // count):
        picked.append(rows[-1])
    return picked
