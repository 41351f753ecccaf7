"""Side-by-side timing: run the anchor and ours in one process, print both and the ratio."""

import time

__all__ = ["best_of", "report"]


def best_of(func, repeat=3):
    """Best wall time of ``repeat`` calls (the least disturbed by other load) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def report(name, anchor_name, t_anchor, t_ours, target=None):
    ratio = t_anchor / t_ours
    line = f"{name}: anchor ({anchor_name}) {t_anchor:.4g} s, ours {t_ours:.4g} s, ratio {ratio:.1f}x"
    if target is not None:
        line += f" (target >= {target}x: {'met' if ratio >= target else 'NOT met'})"
    print(line, flush=True)
    return ratio
