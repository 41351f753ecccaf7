"""Helpers shared by the check modules."""

import math

import numpy as np
import sympy as sp

__all__ = ["sympy_step", "loglog_slope", "fmt", "erratum"]


def sympy_step(claim, expr, expected=0):
    """A derivation step verified by sympy: ``expr`` must simplify to ``expected``."""
    value = sp.simplify(expr - expected)
    return {
        "claim": claim,
        "latex": sp.latex(expr) + (" = " + sp.latex(expected) if expected is not None else ""),
        "verified": bool(value == 0),
    }


def loglog_slope(ns, values, tail=0.5):
    """Least-squares slope of log(values) against log(n) over the last ``tail`` fraction of points."""
    ns = np.asarray(ns, dtype=float)
    values = np.asarray(values, dtype=float)
    k = max(2, int(math.ceil(len(ns) * tail)))
    x, y = ns[-k:], values[-k:]
    keep = y > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def fmt(x, digits=3):
    """Compact string for the results table."""
    if x is None:
        return "none"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.{digits}g}"


def erratum(where, issue, evidence, correction, kind="error"):
    """One errata entry. ``kind`` is 'error' (does not hold as written) or 'note' (holds; loose or unclear)."""
    return {"where": where, "kind": kind, "issue": issue, "evidence": evidence,
            "correction": correction}
