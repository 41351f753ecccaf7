"""Helpers shared by the check modules."""


import numpy as np
import sympy as sp

__all__ = ["sympy_step", "fmt", "every_kth"]


def sympy_step(claim, expr, expected=0):
    """A derivation step verified by sympy: ``expr`` must simplify to ``expected``."""
    value = sp.simplify(expr - expected)
    return {
        "claim": claim,
        "latex": sp.latex(expr) + (" = " + sp.latex(expected) if expected is not None else ""),
        "verified": bool(value == 0),
    }


def fmt(x, digits=3):
    """Compact string for the results table."""
    if x is None:
        return "none"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.{digits}g}"


def every_kth(rows, count, keep_last=True):
    """About ``count`` evenly spaced rows of a table (and the last row), for the appendix.

    Examples
    --------
    >>> every_kth(list(range(10)), 4)
    [0, 2, 4, 6, 8, 9]
    """
    picked = rows[:: max(1, len(rows) // count)]
    return picked + [rows[-1]] if keep_last else picked
