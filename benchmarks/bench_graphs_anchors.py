"""Ours beside the over-squashing anchors' own code, side by side (ratios printed, nothing asserted).

The anchors are not part of this project: fetch kedar2/FoSR (it carries FoSR and a copy of
SDRF) and point ANCHORS at its preprocessing/ folder; they need numba and torch_geometric
(pure-Python wheel; its xxhash dependency), which can live in a separate folder on
ANCHOR_PACKAGES:

    ANCHORS=/tmp/anchors/fosr_repo ANCHOR_PACKAGES=/tmp/anchor-pkgs \\
        python -m benchmarks.bench_graphs_anchors

Their code is imported at run time from there, never copied here. Numba functions are timed
warm (after one call that compiles them). The SDRF copy's balanced Forman curvature leaves
its inner loop with ``break`` on the first non-edge of a row, so it skips most edges; the
benchmark prints how many of its edge curvatures differ from Definition 1. With edge removal
on, the same stale matrix makes it remove an edge twice (NetworkXError), so SDRF is timed
without removal on both sides.
"""

import os
import sys

import networkx as nx
import numpy as np

from benchmarks._timing import best_of, report
import graphs


def _anchor_modules():
    path = os.environ.get("ANCHORS", "/tmp/anchors/fosr_repo")
    extra = os.environ.get("ANCHOR_PACKAGES", "/tmp/anchor-pkgs")
    for p in (extra, path):
        if os.path.isdir(p) and p not in sys.path:
            sys.path.insert(0, p)
    try:
        import fosr  # noqa: F401
        import sdrf  # noqa: F401
    except ImportError as exc:
        print(f"anchors not available ({exc}); see this module's docstring")
        return None, None
    return sys.modules["fosr"], sys.modules["sdrf"]


def both_directions(G):
    ei = np.array(list(G.edges)).T
    return np.concatenate([ei, ei[::-1]], axis=1).astype(np.int64)


def bench_fosr(fosr, n_cliques=40, steps=200):
    G = nx.connected_caveman_graph(n_cliques, 8)
    ei = both_directions(G)
    fosr.edge_rewire(ei, num_iterations=1)  # compile
    t_anchor, out = best_of(lambda: fosr.edge_rewire(ei.copy(), num_iterations=steps,
                                                     initial_power_iters=50), repeat=2)
    t_ours, ours = best_of(lambda: graphs.fosr(ei, steps, initial_power_iters=50, seed=0), repeat=3)
    H = nx.Graph()
    H.add_edges_from(out[0].T.tolist())
    print(f"  spectral gap {graphs.spectral_gap(G):.4f} -> anchor {graphs.spectral_gap(H):.4f}, "
          f"ours {graphs.spectral_gap(ours['graph']):.4f}")
    report(f"FoSR, {steps} edges on a {G.number_of_nodes()}-node caveman graph",
           "kedar2/FoSR edge_rewire (numba)", t_anchor, t_ours)


def bench_bfc(sdrf, n=2000):
    G = nx.random_regular_graph(4, n, seed=0)
    A = nx.to_numpy_array(G)
    sdrf.balanced_forman_curvature(A[:10, :10].copy())  # compile
    t_anchor, C = best_of(lambda: sdrf.balanced_forman_curvature(A), repeat=2)
    t_ours, ours = best_of(lambda: graphs.balanced_forman_curvature(G), repeat=3)
    diff = sum(abs(C[u, v] - ours[(u, v)]) > 1e-9 for u, v in G.edges)
    print(f"  anchor curvature differs from Definition 1 on {diff} of {G.number_of_edges()} edges")
    report(f"balanced Forman curvature, {n}-node 4-regular graph", "SDRF copy in kedar2/FoSR (numba, dense)",
           t_anchor, t_ours)


def bench_sdrf(sdrf, loops=50):
    import torch
    from torch_geometric.data import Data

    class D(Data):  # the anchor reads data.keys as a list (PyG 1.x); PyG 2 made it a method
        @property
        def keys(self):
            return list(Data.keys(self))

    G = nx.connected_caveman_graph(10, 6)
    ei = both_directions(G)
    d = D(x=torch.zeros(G.number_of_nodes(), 1), edge_index=torch.tensor(ei))
    # Edge removal off on both sides: the anchor's stale curvature matrix makes it remove an
    # edge it already removed (NetworkXError) within a few iterations on this graph.
    sdrf.sdrf(d, loops=1, remove_edges=False, is_undirected=True)  # compile
    t_anchor, _ = best_of(lambda: sdrf.sdrf(d, loops=loops, remove_edges=False,
                                            is_undirected=True), repeat=3)
    t_ours, _ = best_of(lambda: graphs.sdrf(ei, loops, remove_edges=False, seed=0), repeat=3)
    report(f"SDRF (no removal), {loops} iterations on a {G.number_of_nodes()}-node caveman graph",
           "SDRF copy in kedar2/FoSR (numba, dense, buggy curvature)", t_anchor, t_ours)


if __name__ == "__main__":
    fosr_mod, sdrf_mod = _anchor_modules()
    if fosr_mod is not None:
        bench_fosr(fosr_mod)
        bench_bfc(sdrf_mod)
        bench_sdrf(sdrf_mod)
