"""Graph rewiring against over-squashing: SDRF, FoSR and greedy total-resistance rewiring.

Each function takes a graph in any form of :mod:`graphs.convert` and returns a dict:

- ``graph``: the rewired graph as a networkx ``Graph`` (node labels kept);
- ``edge_index``: its edges as a ``(2, 2m)`` int64 array over node indices (both
  directions, sorted), ready for PyG;
- ``added`` / ``removed``: the edges changed, as ``(u, v)`` label pairs, in order;
- a per-step trace of the quantity the method acts on.

Implemented from the papers' algorithms (no code of the authors' repositories is used):

- :func:`sdrf`: Stochastic Discrete Ricci Flow, Topping et al. (2022), Algorithm 1, on the
  balanced Forman curvature;
- :func:`fosr`: First-order Spectral Rewiring, Karhadkar et al. (2023), Algorithm 1;
- :func:`greedy_resistance_rewiring`: add, one at a time, the edge that lowers the total
  effective resistance the most (Black et al. 2023), each gain exact by Sherman-Morrison.
"""

import heapq
import math

import networkx as nx
import numpy as np
import scipy.sparse as sps

from graphs.curvature import bfc_edge
from graphs.decorators import combinatorial, create_rng, not_implemented_for
from graphs.resistance import _connected, _dense_inverse
from graphs.validate import (
    DEFAULT_MAX_MEMORY,
    check_bool,
    check_cost,
    check_positive_int,
    check_positive_real,
    check_real,
)

__all__ = ["sdrf", "fosr", "greedy_resistance_rewiring"]


def _result(g, nbr, weights, added, removed, **trace):
    """The rewired graph from neighbour sets (and conductances) in every output form."""
    lab = g.nodes
    H = nx.Graph()
    H.add_nodes_from(lab)
    rows, cols = [], []
    for i, ns in enumerate(nbr):
        for j in ns:
            rows.append(i)
            cols.append(j)
            if i < j:
                w = weights.get((i, j), 1.0) if weights is not None else None
                H.add_edge(lab[i], lab[j], **({} if w is None else {"weight": w}))
    ei = np.array([rows, cols], dtype=np.int64).reshape(2, -1)
    ei = ei[:, np.lexsort((ei[1], ei[0]))]
    return {"graph": H, "edge_index": ei,
            "added": [(lab[i], lab[j]) for i, j in added],
            "removed": [(lab[i], lab[j]) for i, j in removed], **trace}


# ----------------------------------------------------------------------------- SDRF

def _key(i, j):
    return (i, j) if i < j else (j, i)


def _refresh(curv, nbr, nodes):
    """Recompute the curvature of every edge with an endpoint in ``nodes``."""
    for a in nodes:
        for b in nbr[a]:
            curv[_key(a, b)] = bfc_edge(nbr, a, b)


def _touched(nbr, k, l):
    """Edges whose curvature can change when the edge (k, l) changes: an endpoint in B1(k) u B1(l)."""
    return nbr[k] | nbr[l] | {k, l}


@combinatorial
def sdrf(G, max_iterations=10, *, tau=1.0, removal_bound=0.5, remove_edges=True, seed=None,
         num_nodes=None, max_seconds=60.0):
    """Stochastic Discrete Ricci Flow (Topping et al. 2022, Algorithm 1).

    Each iteration finds the edge ``(i, j)`` of least balanced Forman curvature, scores
    every candidate edge ``(k, l)`` with ``k in B1(i)``, ``l in B1(j)`` (not yet an edge) by
    the increase of ``Ric(i, j)`` it would bring, adds one drawn with probability
    ``softmax(tau * increase)`` (``tau = inf``: the best, ties to the first in sorted
    order), and then, if ``remove_edges``, removes the edge of largest curvature when it
    exceeds ``removal_bound``. Curvatures are updated locally: an edge change at ``(k, l)``
    can only change the curvature of edges touching ``B1(k) u B1(l)``.

    Parameters
    ----------
    G : graph-like, undirected, simple, unweighted
    max_iterations : int
        Number of iterations (>= 0).
    tau : float
        Softmax temperature (> 0, ``float("inf")`` for the greedy choice).
    removal_bound : float
        ``C+`` of the algorithm.
    remove_edges : bool
    seed : None, int or numpy.random.Generator
    num_nodes : int, optional
        For ``edge_index`` input.
    max_seconds : float
        Refuse, before starting, a run estimated to take longer.

    Returns
    -------
    dict
        ``graph``, ``edge_index``, ``added``, ``removed`` (see the module docstring) and
        ``min_curvature``: the least curvature before each iteration and at the end.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs, multigraphs, self-loops or weights.
    ValueError
        On bad parameters.

    References
    ----------
    Topping et al. (2022), Understanding over-squashing and bottlenecks on graphs via
    curvature, Algorithm 1 (SDRF) and Definition 1.

    Examples
    --------
    >>> r = sdrf(nx.barbell_graph(4, 1), 1, tau=float("inf"), remove_edges=False)
    >>> r["added"], [round(c, 3) for c in r["min_curvature"]]
    ([(3, 5)], [-0.5, -0.6])
    """
    iters = check_positive_int(max_iterations, "max_iterations", minimum=0)
    tau = math.inf if isinstance(tau, float) and tau == math.inf else check_positive_real(tau, "tau")
    removal_bound = check_real(removal_bound, "removal_bound")
    remove_edges = check_bool(remove_edges, "remove_edges")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    rng = create_rng(seed)
    nbr = G.neighbour_sets()
    dmax = max((len(s) for s in nbr), default=0)
    # Per iteration: (dmax + 1)^2 candidates and as many local curvature updates, each a few
    # set operations on neighbourhoods of size dmax (~1 us each), plus the scans for the extremes.
    check_cost(iters * (1e-6 * (dmax + 1) ** 4 + 2e-7 * G.adjacency.nnz), max_seconds,
               f"sdrf with max_iterations={iters}", "max_seconds", unit="s")
    curv = {}
    _refresh(curv, nbr, range(G.n))
    added, removed, trace = [], [], []
    for _ in range(iters):
        if not curv:
            break
        (i, j), c_ij = min(curv.items(), key=lambda kv: (kv[1], kv[0]))
        trace.append(c_ij)
        cands = sorted((k, l) for k in nbr[i] | {i} for l in nbr[j] | {j}
                       if k != l and l not in nbr[k])
        if cands:
            gains = np.empty(len(cands))
            for c, (k, l) in enumerate(cands):
                nbr[k].add(l)
                nbr[l].add(k)
                gains[c] = bfc_edge(nbr, i, j) - c_ij
                nbr[k].discard(l)
                nbr[l].discard(k)
            if tau == math.inf:
                pick = int(np.argmax(gains))
            else:
                z = tau * (gains - gains.max())
                prob = np.exp(z) / np.exp(z).sum()
                pick = int(rng.choice(len(cands), p=prob))
            k, l = cands[pick]
            nbr[k].add(l)
            nbr[l].add(k)
            added.append(_key(k, l))
            _refresh(curv, nbr, _touched(nbr, k, l))
        elif not remove_edges:
            break
        if remove_edges and curv:
            (p, q), c_pq = max(curv.items(), key=lambda kv: (kv[1], kv[0]))
            if c_pq > removal_bound:
                near = _touched(nbr, p, q)
                nbr[p].discard(q)
                nbr[q].discard(p)
                del curv[(p, q)]
                removed.append((p, q))
                _refresh(curv, nbr, near)
            elif not cands:
                break
    trace.append(min(curv.values()) if curv else math.nan)
    return _result(G, nbr, None, added, removed, min_curvature=trace)


# ----------------------------------------------------------------------------- FoSR

def _power_step(x, adjacency_times, deg):
    """One step of power iteration on ``I + D^-1/2 A D^-1/2`` orthogonal to ``D^1/2 1``."""
    s = np.sqrt(deg)
    top = s / np.linalg.norm(s)
    x = x - (x @ top) * top
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
    y = x + inv * adjacency_times(inv * x)
    norm = np.linalg.norm(y)
    return y / norm if norm > 0 else y


def _min_product_non_edge(y, nbr):
    """The non-edge ``u != v`` minimising ``y_u y_v`` (exact).

    Opposite-sign pairs, most negative first, come out of a heap over the two sorted
    lists; only if every such pair is an edge does the search fall back to a full scan.
    """
    pos = np.flatnonzero(y > 0)
    neg = np.flatnonzero(y < 0)
    pos = pos[np.argsort(-y[pos], kind="stable")]
    neg = neg[np.argsort(y[neg], kind="stable")]
    if pos.size and neg.size:
        heap = [(y[pos[0]] * y[neg[0]], 0, 0)]
        seen = {(0, 0)}
        while heap:
            val, a, b = heapq.heappop(heap)
            u, v = int(pos[a]), int(neg[b])
            if v not in nbr[u]:
                return (u, v) if u < v else (v, u)
            for a2, b2 in ((a + 1, b), (a, b + 1)):
                if a2 < pos.size and b2 < neg.size and (a2, b2) not in seen:
                    seen.add((a2, b2))
                    heapq.heappush(heap, (y[pos[a2]] * y[neg[b2]], a2, b2))
    best, arg = math.inf, None
    n = y.size
    for u in range(n):
        prods = y[u] * y[u + 1:]
        for off in np.argsort(prods, kind="stable"):
            v = u + 1 + int(off)
            if v not in nbr[u]:
                if prods[off] < best:
                    best, arg = prods[off], (u, v)
                break
    return arg


class _GrowingAdjacency:
    """``A x`` for the input graph plus the edges added so far, without rebuilding ``A``."""

    def __init__(self, A):
        self.A = A
        self.u, self.v = [], []

    def add(self, u, v):
        self.u.append(u)
        self.v.append(v)

    def __call__(self, x):
        y = self.A @ x
        if self.u:
            u, v = np.array(self.u), np.array(self.v)
            y += np.bincount(u, weights=x[v], minlength=x.size)
            y += np.bincount(v, weights=x[u], minlength=x.size)
        return y


def _check_additions(g, k, name, seconds_each, max_seconds):
    """At most the number of non-edges, and within the time budget."""
    free = g.n * (g.n - 1) // 2 - (g.adjacency.nnz - g.selfloops.size) // 2
    if k > free:
        raise ValueError(f"{name}={k}, but the graph has only {free} non-edges to add")
    check_cost(k * seconds_each, max_seconds, f"{name}={k}", "max_seconds", unit="s")


@combinatorial
def fosr(G, num_iterations=10, *, initial_power_iters=50, seed=None, num_nodes=None,
         max_seconds=60.0):
    """First-order Spectral Rewiring (Karhadkar et al. 2023, Algorithm 1).

    Keeps an estimate ``x`` of the eigenvector of the second largest eigenvalue of
    ``D^-1/2 A D^-1/2`` (power iteration on ``I + D^-1/2 A D^-1/2``, orthogonal to the top
    eigenvector ``D^1/2 1``), and at each step adds the non-edge ``(u, v)`` minimising
    ``x_u x_v / sqrt((1 + d_u)(1 + d_v))`` (the first-order change of that eigenvalue), then
    refreshes ``x`` with one power step. Lowering that eigenvalue raises the spectral gap
    of the normalised Laplacian (:func:`graphs.expansion.spectral_gap`).

    Parameters
    ----------
    G : graph-like, undirected, simple, unweighted
    num_iterations : int
        Edges to add (>= 0).
    initial_power_iters : int
        Power iterations before the first addition (>= 0).
    seed : None, int or numpy.random.Generator
        The random start of the power iteration.
    num_nodes : int, optional
        For ``edge_index`` input.
    max_seconds : float
        Refuse, before starting, a run estimated to take longer.

    Returns
    -------
    dict
        ``graph``, ``edge_index``, ``added``, ``removed`` (empty) and ``scores``: the
        criterion of each added edge.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs, multigraphs, self-loops or weights.
    ValueError
        On bad parameters, or more additions than non-edges.

    References
    ----------
    Karhadkar, Banerjee and Montufar (2023), FoSR: First-order spectral rewiring for
    addressing oversquashing in GNNs, Algorithm 1.

    Examples
    --------
    >>> r = fosr(nx.path_graph(6), 1, seed=0)
    >>> r["added"]
    [(0, 5)]
    """
    steps = check_positive_int(num_iterations, "num_iterations", minimum=0)
    power = check_positive_int(initial_power_iters, "initial_power_iters", minimum=0)
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    per_step = 2e-8 * (G.n + G.adjacency.nnz) + 1e-6
    _check_additions(G, steps, "num_iterations", per_step, max_seconds)
    check_cost(power * per_step, max_seconds, f"initial_power_iters={power}", "max_seconds", unit="s")
    rng = create_rng(seed)
    nbr = G.neighbour_sets()
    n = G.n
    deg = np.array([len(s) for s in nbr], dtype=float)
    x = rng.uniform(-1.0, 1.0, size=n)
    A = _GrowingAdjacency(sps.csr_array(G.adjacency != 0, dtype=float))
    for _ in range(power):
        x = _power_step(x, A, deg)
    added, scores = [], []
    for _ in range(steps):
        y = x / np.sqrt(deg + 1.0)
        pair = _min_product_non_edge(y, nbr)
        if pair is None:
            raise ValueError("fosr: the graph is complete, there is no edge left to add")
        u, v = pair
        scores.append(float(y[u] * y[v]))
        nbr[u].add(v)
        nbr[v].add(u)
        deg[u] += 1
        deg[v] += 1
        added.append(pair)
        A.add(u, v)
        x = _power_step(x, A, deg)
    return _result(G, nbr, None, added, [], scores=scores)


# ----------------------------------------------------------------------------- greedy resistance

@not_implemented_for("selfloops")
@not_implemented_for("multigraph")
@not_implemented_for("directed")
def greedy_resistance_rewiring(G, num_edges=1, weight="weight", *, new_weight=1.0,
                               num_nodes=None, edge_weight=None, max_memory=DEFAULT_MAX_MEMORY,
                               max_seconds=60.0):
    """Add, one at a time, the edge that lowers the total effective resistance the most.

    Adding an edge ``(u, v)`` of conductance ``w`` lowers the total effective resistance
    (Kirchhoff index, :func:`graphs.resistance.kirchhoff_index`) ``n tr(L^+)`` by exactly
    ``n w ||L^+ b||^2 / (1 + w R_uv)`` with ``b = e_u - e_v`` (Sherman-Morrison); every
    non-edge is scored at once from ``L^+`` and ``(L^+)^2``, the best is added, and both
    matrices are updated in ``O(n^2)``. By Rayleigh's monotonicity every step lowers the
    total resistance.

    Parameters
    ----------
    G : graph-like, undirected, connected (weights are conductances)
    num_edges : int
        Edges to add (>= 0).
    weight : str or None
        Conductance attribute of a networkx graph.
    new_weight : float
        Conductance of the added edges (> 0).
    num_nodes, edge_weight
        For ``edge_index`` input.
    max_memory : int
        Dense ``n x n`` matrices are used; refused above this many bytes.
    max_seconds : float
        Refuse, before starting, a run estimated to take longer.

    Returns
    -------
    dict
        ``graph`` (with ``weight`` attributes), ``edge_index``, ``added``, ``removed``
        (empty) and ``total_resistance``: the Kirchhoff index before and after each step.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs, multigraphs or self-loops.
    ValueError
        For a disconnected graph, bad parameters, more additions than non-edges, or more
        than ``max_memory``.

    References
    ----------
    Black, Wan, Nayyeri and Wang (2023), Understanding oversquashing in GNNs through the lens
    of effective resistance, Section 5 (greedy total resistance rewiring).

    Examples
    --------
    >>> r = greedy_resistance_rewiring(nx.path_graph(5), 1)
    >>> r["added"], [round(t, 4) for t in r["total_resistance"]]
    ([(0, 4)], [20.0, 10.0])
    """
    k = check_positive_int(num_edges, "num_edges", minimum=0)
    w = check_positive_real(new_weight, "new_weight")
    max_memory = check_positive_real(max_memory, "max_memory")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    _connected(G, "greedy_resistance_rewiring")
    n = G.n
    _check_additions(G, k, "num_edges", 2e-8 * n * n, max_seconds)
    X = _dense_inverse(G, max_memory / 2) - 1.0 / n  # L^+
    X2 = X @ X
    A = G.adjacency.toarray() != 0
    free = np.triu(~A, 1)
    total = float(n * np.trace(X))
    totals, added = [total], []
    upper = sps.triu(G.adjacency, 1).tocoo()
    weights = {(int(i), int(j)): float(c) for i, j, c in zip(upper.row, upper.col, upper.data)}
    for _ in range(k):
        if not free.any():
            raise ValueError("greedy_resistance_rewiring: the graph is complete")
        dX, dX2 = np.diag(X), np.diag(X2)
        R = dX[:, None] + dX[None, :] - 2 * X
        num = dX2[:, None] + dX2[None, :] - 2 * X2
        gain = np.where(free, n * w * num / (1.0 + w * R), -np.inf)
        u, v = (int(t) for t in np.unravel_index(np.argmax(gain), gain.shape))
        c = X[:, u] - X[:, v]
        s = 1.0 + w * R[u, v]
        Xc = X @ c
        X2 = X2 - (w / s) * (np.outer(Xc, c) + np.outer(c, Xc)) + (w / s) ** 2 * (c @ c) * np.outer(c, c)
        X = X - (w / s) * np.outer(c, c)
        free[u, v] = False
        total -= float(gain[u, v])
        totals.append(total)
        added.append((u, v))
        weights[(u, v)] = w
    nbr = G.neighbour_sets()
    for u, v in added:
        nbr[u].add(v)
        nbr[v].add(u)
    return _result(G, nbr, weights, added, [], total_resistance=totals)
