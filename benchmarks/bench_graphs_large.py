"""100,000-node graphs: every edge's effective resistance and balanced Forman curvature,
with wall time and peak memory (each task in its own process, peak RSS from the OS).

    python -m benchmarks.bench_graphs_large

Two graphs of 100,000 nodes: a 316 x 316 grid (bandwidth 316 after reverse Cuthill-McKee, so
the exact banded method applies) and a random 4-regular graph (an expander: bandwidth ~40,000,
so the exact methods would need ~30 GB and the sketch is used, values within 1 +- 0.3 of the
truth with probability 0.99). The anchors cannot run at this size: nx.resistance_distance and
the SDRF authors' curvature both build dense n x n matrices (80 GB).
"""

import multiprocessing as mp
import resource
import sys
import time


def _task(name, queue):
    import networkx as nx
    import numpy as np

    import graphs

    if name.startswith("grid"):
        G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(316, 316))
    else:
        G = nx.random_regular_graph(4, 100_000, seed=1)
    ei = np.array(list(G.edges)).T
    ei = np.concatenate([ei, ei[::-1]], axis=1)
    g = graphs.as_graph_data(ei, num_nodes=G.number_of_nodes())
    t0 = time.perf_counter()
    if name.endswith("resistance"):
        method = "sparse" if name.startswith("grid") else "sketch"
        vals = graphs.effective_resistance(g, pairs=ei, method=method, eps=0.3, delta=0.01, seed=0)
        # Foster's theorem, sum over edges of R_e = n - 1, as a check on the whole result.
        check = f"Foster sum {vals[: ei.shape[1] // 2].sum():.1f} (exact: {g.n - 1})"
    else:
        vals = graphs.balanced_forman_curvature(g, edges=ei)
        check = f"mean curvature {vals.mean():.4f}"
    seconds = time.perf_counter() - t0
    queue.put({"task": name, "seconds": seconds, "values": int(vals.size), "check": check,
               "method": method if name.endswith("resistance") else "sets",
               "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20})


def run(name):
    queue = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=_task, args=(name, queue))
    p.start()
    out = queue.get()
    p.join()
    return out


if __name__ == "__main__":
    tasks = sys.argv[1:] or ["grid resistance", "grid curvature", "regular resistance",
                             "regular curvature"]
    for t in tasks:
        r = run(t)
        print(f"{r['task']:20s} {r['method']:7s} {r['seconds']:8.1f} s  peak RSS "
              f"{r['peak_rss_gib']:.2f} GiB (whole process, graph building included)  "
              f"({r['values']} values; {r['check']})", flush=True)
