"""Theorem B.3 sweep: incremental evaluation against naive recomputation (ratio printed).

    python -m benchmarks.bench_collapse
"""

import numpy as np

from benchmarks._timing import best_of, report
from theory.collapse import (
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


def bench_million():
    m = SyntheticTransformer(d=64, encoding="none", seed=0)
    x = random_tokens(10**6, 64, seed=1)
    t, r = best_of(lambda: collapse_sweep_all(m, x[:-1], x[-1], 10**6), repeat=1)
    print(f"collapse sweep, every n <= 10^6 (NoPE, running sums): {t:.3g} s; "
          f"||y_n - y*_(n+1)||_1 at n=10^6: {r['l1'][-1]:.3g}", flush=True)


if __name__ == "__main__":
    bench_all_lengths()
    bench_grid()
    bench_million()
