"""Benchmarks of graphs/ against the anchors named in the issues (ratios printed, nothing asserted).

    python -m benchmarks.bench_graphs              # networkx and our previous paths as anchors
    python -m benchmarks.bench_graphs_anchors      # the FoSR/SDRF authors' own code, if fetched
    python -m benchmarks.bench_graphs_large        # 100,000-node graphs: time and peak memory
"""

import networkx as nx
import numpy as np

from benchmarks._timing import best_of, report
from graphs.causal import random_attention
from graphs.flow import attention_flow, attention_flow_networkx
from graphs.paths import last_token_sensitivity
from graphs.resistance import effective_resistance


def full_matrix_rollout(attns):
    """Anchor: attention rollout as Abnar and Zuidema compute it, a full n x n product per layer.

    Residual-augmented, row-normalised matrices multiplied left to right, every layer's
    joint attention kept; the last token's row is read at the end.
    """
    att = np.asarray(attns)
    aug = att + np.eye(att.shape[1])[None]
    aug = aug / aug.sum(axis=-1, keepdims=True)
    joint = np.zeros_like(aug)
    joint[0] = aug[0]
    for i in range(1, len(aug)):
        joint[i] = aug[i] @ joint[i - 1]
    return joint[-1][-1]


def bare_chain(attns):
    """The floor: L vector-matrix products r <- r A + r, with no validation at all."""
    r = np.zeros(attns[0].shape[0])
    r[-1] = 1.0
    for a in reversed(attns):
        r = r @ a + r
    return r


def bench_sensitivity(n=2048, layers=18):
    rng = np.random.default_rng(0)
    attns = [random_attention(n, rng) for _ in range(layers)]
    t_anchor, ref = best_of(lambda: full_matrix_rollout(attns), repeat=1)
    t_ours, ours = best_of(lambda: last_token_sensitivity(attns, beta1=1.0, sigma_psi=1.0), repeat=5)
    t_bare, bare = best_of(lambda: bare_chain(attns), repeat=5)
    assert np.allclose(ours / 2.0 ** layers, bare, rtol=1e-10)
    # Validation is fused into the pass (each block of rows checked while in cache).
    print(f"last-token sensitivity n={n}, L={layers}: ours {t_ours:.4g} s, bare chain of {layers} "
          f"vector-matrix products {t_bare:.4g} s, ours/bare {t_ours / t_bare:.2f}x (goal <= 2x: "
          f"{'met' if t_ours <= 2 * t_bare else 'NOT met'})", flush=True)
    # Same quantity up to the constant: rollout uses (A+I)/2, the bound (A+I) times C = 2^L.
    assert np.allclose(ours / 4.0 ** layers, ref, rtol=1e-8, atol=1e-300)
    report(f"last-token sensitivity n={n}, L={layers}", "full-matrix rollout", t_anchor, t_ours, 50)
    big = [random_attention(8192, rng) for _ in range(2)]
    t_big, _ = best_of(lambda: last_token_sensitivity(big * 9), repeat=1)
    print(f"last-token sensitivity n=8192, L=18: ours {t_big:.3g} s (finishes)", flush=True)


def bench_flow(n=32, layers=18):
    rng = np.random.default_rng(1)
    attns = [random_attention(n, rng) for _ in range(layers)]
    t_anchor, ref = best_of(lambda: attention_flow_networkx(attns), repeat=1)
    t_ours, ours = best_of(lambda: attention_flow(attns), repeat=3)
    assert np.all(ref - ours["flow"] <= ours["error_bound"] + 1e-12)
    report(f"attention flow n={n}, L={layers}", "networkx Edmonds-Karp", t_anchor, t_ours, 100)


def pinv_resistance(G):
    """Our previous path, kept here as an anchor: the Hermitian pseudo-inverse of the Laplacian."""
    Lp = np.linalg.pinv(nx.laplacian_matrix(G).toarray().astype(float), hermitian=True)
    d = np.diag(Lp)
    return d[:, None] + d[None, :] - 2 * Lp


def bench_resistance(n=1000):
    G = nx.random_regular_graph(4, n, seed=2)
    t_anchor, ref = best_of(lambda: nx.resistance_distance(G), repeat=1)
    t_pinv, old = best_of(lambda: pinv_resistance(G), repeat=3)
    t_ours, ours = best_of(lambda: effective_resistance(G), repeat=3)
    assert abs(ours[0, n - 1] - ref[0][n - 1]) < 1e-8 and np.allclose(ours, old, atol=1e-9)
    report(f"all-pairs effective resistance, {n} nodes", "nx.resistance_distance", t_anchor, t_ours, 5)
    report(f"all-pairs effective resistance, {n} nodes", "previous pinv path", t_pinv, t_ours)
    edges = np.array(list(G.edges)).T
    t_edges, vals = best_of(lambda: effective_resistance(G, pairs=edges, method="sparse"), repeat=3)
    grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(40, 25))
    ge = np.array(list(grid.edges)).T
    t_dense, full = best_of(lambda: effective_resistance(grid), repeat=1)
    t_band, band = best_of(lambda: effective_resistance(grid, pairs=ge, method="sparse"), repeat=3)
    assert np.allclose(band, full[ge[0], ge[1]])
    report("edge resistances of a 40 x 25 grid", "all-pairs dense inverse", t_dense, t_band)


if __name__ == "__main__":
    bench_sensitivity()
    bench_flow()
    bench_resistance()
