"""Theorem B.3 sweep: incremental evaluation against naive recomputation (ratio printed).

    python -m benchmarks.bench_collapse            # all three
    python -m benchmarks.bench_collapse million    # only N = 10^6, old path against the new one

One BLAS thread (set below, before numpy loads): the sweep's products are small
(1024 x 64 by 64 x 256), and on a shared two-core machine a second OpenBLAS thread made
the batched sweep 4x slower in wall time (103 s against 27 s at N = 10^6, load ~5).
"""

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from benchmarks._timing import best_of, report  # noqa: E402
from theory.collapse import (  # noqa: E402
    SyntheticTransformer,
    collapse_sweep,
    collapse_sweep_all,
    collapse_sweep_naive,
    geometric_lengths,
    random_tokens,
)


def bench_all_lengths(n_max=400):
    """Every n <= n_max: running sums O(N d) vs a full forward pass per n, O(N^3 d)."""
    m = SyntheticTransformer(d=64, encoding="none", seed=0)
    x = random_tokens(n_max, 64, seed=1)
    ns = np.arange(1, n_max + 1)
    t_naive, ref = best_of(lambda: collapse_sweep_naive(m, x[:-1], x[-1], ns), repeat=1)
    t_fast, fast = best_of(lambda: collapse_sweep_all(m, x[:-1], x[-1], n_max), repeat=3)
    assert np.allclose(fast["l1"], ref["l1"], rtol=1e-9, atol=1e-12)  # n=1: exactly 0 vs rounding
    report(f"collapse sweep, every n <= {n_max} (NoPE)", "naive recomputation", t_naive, t_fast)


def bench_grid(n_max=4096, layers=2):
    """A geometric grid with a cached prefix vs naive recomputation, RoPE, two layers."""
    m = SyntheticTransformer(d=64, num_layers=layers, encoding="rope", seed=0)
    x = random_tokens(n_max, 64, seed=1)
    ns = geometric_lengths(2, n_max, 4)
    t_naive, ref = best_of(lambda: collapse_sweep_naive(m, x[:-1], x[-1], ns), repeat=1)
    t_fast, fast = best_of(lambda: collapse_sweep(m, x[:-1], x[-1], ns), repeat=1)
    assert np.allclose(fast["l1"], ref["l1"], rtol=1e-8, atol=1e-12)
    report(f"collapse sweep, grid to {n_max}, {layers} layers (RoPE)", "naive recomputation", t_naive, t_fast)


def _timed(func):
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def bench_million(n_max=10**6, goal=5.0):
    """Every n <= 10^6 (NoPE, running sums): the per-block tail (old) against the batched one.

    Both paths share the running sums (the attention outputs are bit-identical); they
    differ in the O(N d^2) MLP and norms. ``y`` agrees to ~1e-15 relative; the distance
    ``||y_n - y*_(n+1)||_1`` is a difference of two nearly equal vectors (``~1e-5 |y|`` at
    N = 10^6), so its relative agreement is ~1e-11: the rounding of ``y`` (1e-16) over
    the distance, the same for both paths against exact arithmetic
    (tests/test_theory_collapse_speed.py holds both to an extended-precision reference).
    """
    m = SyntheticTransformer(d=64, encoding="none", seed=0)
    x = random_tokens(n_max, 64, seed=1)
    w_old, c_old, old = _timed(lambda: collapse_sweep_all(m, x[:-1], x[-1], n_max, batched=False))
    w_new, c_new, new = _timed(lambda: collapse_sweep_all(m, x[:-1], x[-1], n_max))
    print(f"collapse sweep, every n <= {n_max:.0e} (NoPE): old (per-block tail) {w_old:.3g} s wall / "
          f"{c_old:.3g} s CPU, new (batched) {w_new:.3g} s wall / {c_new:.3g} s CPU; ratio "
          f"{w_old / w_new:.1f}x wall, {c_old / c_new:.1f}x CPU; goal <= {goal:g} s: "
          f"{'met' if w_new <= goal else 'NOT met'} (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)", flush=True)
    scale = np.abs(new["scale"] - old["scale"]).max() / old["scale"].max()
    attn = all(np.array_equal(new[k], old[k]) for k in ("attn_l1", "attn_factor", "attn_identity"))
    rel = np.abs(new["l1"][1:] - old["l1"][1:]) / old["l1"][1:]
    print(f"  agreement: attention outputs identical: {attn}; max|y| to {scale:.1e} relative; "
          f"||y_n - y*_(n+1)||_1 to {rel.max():.1e} relative (its value at n=10^6: {new['l1'][-1]:.3g})",
          flush=True)


if __name__ == "__main__":
    which = sys.argv[1:] or ["all_lengths", "grid", "million"]
    for name in which:
        globals()[f"bench_{name}"]()
