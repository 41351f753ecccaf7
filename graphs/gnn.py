"""Over-squashing utilities for message-passing GNNs, and their causal-attention counterparts.

- :func:`jacobian_bound`: sensitivity bounds ``|d h_v^(L) / d x_u|`` of Topping et al.
  (2022), with ``Ahat = D~^(-1/2) (A + I) D~^(-1/2)``, and of Di Giovanni et al. (2023),
  with ``S = c_r I + c_a A``.
- :func:`effective_resistance`, :func:`commute_times`, :func:`hitting_times`: the random
  walk quantities that govern over-squashing (Di Giovanni et al. 2024), all pairs at once.
- :func:`balanced_forman_curvature`: the exact Definition 1 of Topping et al. (2022).
- :func:`compare_decay`: the last node's sensitivity to every node on a causal-attention
  graph beside path, ring, tree and grid graphs of the same size.

Inputs: a networkx graph, a dense or scipy sparse adjacency matrix, or an ``edge_index``
array of shape (2, m) (the PyTorch Geometric convention, read without importing PyG).
Functions that only make sense for undirected graphs reject directed ones instead of
symmetrising them silently.
"""

import math

import networkx as nx
import numpy as np
import scipy.sparse as sps

from graphs.validate import check_positive_int, check_positive_real

__all__ = [
    "as_graph",
    "from_edge_index",
    "jacobian_bound",
    "effective_resistance",
    "commute_times",
    "hitting_times",
    "balanced_forman_curvature",
    "compare_decay",
]


def from_edge_index(edge_index, num_nodes=None, directed=False):
    """Graph from a PyG-style ``edge_index`` (2 x m integer array of source, target rows).

    Examples
    --------
    >>> G = from_edge_index(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
    >>> sorted(G.edges())
    [(0, 1), (1, 2)]
    """
    ei = np.asarray(edge_index)
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, m), got {ei.shape}")
    if ei.size and (not np.issubdtype(ei.dtype, np.integer) or ei.min() < 0):
        raise ValueError("edge_index must hold non-negative integer node ids")
    n = int(ei.max()) + 1 if ei.size else 0
    if num_nodes is not None:
        num_nodes = check_positive_int(num_nodes, "num_nodes", minimum=0)
        if num_nodes < n:
            raise ValueError(f"num_nodes={num_nodes} but edge_index mentions node {n - 1}")
        n = num_nodes
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(ei[0].tolist(), ei[1].tolist()))
    return G


def as_graph(obj, name="G"):
    """Accept a networkx graph, an adjacency matrix (dense or sparse) or an edge_index.

    A square array is an adjacency matrix (directed if not symmetric); a (2, m)
    integer array with ``m != 2`` is an edge_index (use :func:`from_edge_index` for
    the ambiguous 2 x 2 case).

    Examples
    --------
    >>> as_graph(np.array([[0, 1], [1, 0]])).number_of_edges()
    1
    """
    if isinstance(obj, nx.Graph):
        return obj
    if sps.issparse(obj):
        a = obj.tocsr()
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"{name}: a sparse adjacency matrix must be square, got {a.shape}")
        sym = (abs(a - a.T) > 1e-12).nnz == 0
        return nx.from_scipy_sparse_array(a, create_using=nx.Graph if sym else nx.DiGraph)
    arr = np.asarray(obj)
    if arr.ndim == 2 and arr.shape[0] == 2 and arr.shape[1] != 2 and np.issubdtype(arr.dtype, np.integer):
        return from_edge_index(arr)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a networkx graph, a square adjacency matrix or a "
                         f"(2, m) edge_index; got an array of shape {arr.shape}")
    if not np.isfinite(arr.astype(float)).all():
        raise ValueError(f"{name}: adjacency matrix has non-finite entries")
    sym = np.allclose(arr, arr.T)
    return nx.from_numpy_array(arr, create_using=nx.Graph if sym else nx.DiGraph)


def _undirected(G, func):
    G = as_graph(G)
    if G.is_directed():
        raise ValueError(f"{func} needs an undirected graph, got a directed one; pass "
                         "G.to_undirected() if symmetrising is what you mean")
    if G.number_of_nodes() == 0:
        raise ValueError(f"{func}: the graph has no nodes")
    return G


def _connected(G, func):
    if not nx.is_connected(G):
        raise ValueError(f"{func} needs a connected graph ({nx.number_connected_components(G)} components)")


def jacobian_bound(G, num_layers, model="gcn", alpha=1.0, beta=1.0, c_r=1.0, c_a=1.0,
                   c_sigma=1.0, w=1.0, p=1.0):
    """Upper bounds on ``|d h_v^(L) / d x_u|`` for all node pairs (``out[v, u]``).

    Parameters
    ----------
    G : graph-like
        Undirected, or directed (messages flow along edges ``u -> v``; the degree is the
        in-degree plus 1).
    num_layers : int
    model : {"gcn", "mpnn"}
        ``"gcn"``: Topping et al. (2022), Lemma 1: ``(alpha beta)^L Ahat^L`` with
        ``Ahat = D~^(-1/2)(A + I)D~^(-1/2)``. ``"mpnn"``: Di Giovanni et al. (2023),
        Theorem 3.2: ``(c_sigma w p)^L S^L`` with ``S = c_r I + c_a A``.

    Returns
    -------
    ndarray, shape (N, N), rows and columns in ``list(G)`` order

    Examples
    --------
    >>> J = jacobian_bound(nx.path_graph(3), 2)
    >>> np.round(J[0], 4).tolist()
    [0.4167, 0.3402, 0.1667]
    """
    G = as_graph(G)
    L = check_positive_int(num_layers, "num_layers")
    A = nx.to_numpy_array(G, weight=None)
    if G.is_directed():
        A = A.T  # row v aggregates from its in-neighbours u
    n = len(A)
    if model == "gcn":
        At = A + np.eye(n)
        d = At.sum(axis=1)
        Ahat = At / np.sqrt(np.outer(d, d))
        return (check_positive_real(alpha, "alpha") * check_positive_real(beta, "beta")) ** L \
            * np.linalg.matrix_power(Ahat, L)
    if model == "mpnn":
        S = check_positive_real(c_r, "c_r", allow_zero=True) * np.eye(n) \
            + check_positive_real(c_a, "c_a", allow_zero=True) * A
        factor = check_positive_real(c_sigma, "c_sigma") * check_positive_real(w, "w") \
            * check_positive_real(p, "p")
        return factor ** L * np.linalg.matrix_power(S, L)
    raise ValueError(f"model must be 'gcn' or 'mpnn', got {model!r}")


def _laplacian_pinv(G, weight):
    Lap = nx.laplacian_matrix(G, weight=weight).toarray().astype(float)
    return np.linalg.pinv(Lap, hermitian=True)


def effective_resistance(G, weight=None):
    """All-pairs effective resistance from one pseudo-inverse of the Laplacian.

    ``R[u, v] = Lp[u, u] + Lp[v, v] - 2 Lp[u, v]`` with ``Lp`` the Moore-Penrose inverse
    of ``nx.laplacian_matrix(G)``: the quantity ``nx.resistance_distance`` computes
    pair by pair (with ``invert_weight=False``), here vectorised.

    Examples
    --------
    >>> np.round(effective_resistance(nx.path_graph(3)), 6).tolist()
    [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]
    """
    G = _undirected(G, "effective_resistance")
    _connected(G, "effective_resistance")
    Lp = _laplacian_pinv(G, weight)
    d = np.diag(Lp)
    R = d[:, None] + d[None, :] - 2 * Lp
    np.fill_diagonal(R, 0.0)
    return np.maximum(R, 0.0)


def commute_times(G, weight=None):
    """All-pairs commute times ``2 |E| R[u, v]`` (``|E|`` the total edge weight).

    Examples
    --------
    >>> round(float(commute_times(nx.path_graph(3))[0, 2]), 9)   # 2 |E| R = 2 * 2 * 2
    8.0
    """
    G = _undirected(G, "commute_times")
    vol = G.size(weight=weight)
    return 2.0 * vol * effective_resistance(G, weight)


def hitting_times(G, weight=None):
    """All-pairs expected hitting times ``H[u, v]`` of the simple random walk from ``u`` to ``v``.

    From the fundamental matrix ``Z = (I - P + 1 pi^T)^(-1)``:
    ``H[u, v] = (Z[v, v] - Z[u, v]) / pi[v]``. ``H + H.T`` equals :func:`commute_times`.

    Examples
    --------
    >>> np.round(hitting_times(nx.path_graph(3)), 6)[0].tolist()
    [0.0, 1.0, 4.0]
    """
    G = _undirected(G, "hitting_times")
    _connected(G, "hitting_times")
    A = nx.to_numpy_array(G, weight=weight)
    deg = A.sum(axis=1)
    P = A / deg[:, None]
    pi = deg / deg.sum()
    n = len(A)
    Z = np.linalg.inv(np.eye(n) - P + np.outer(np.ones(n), pi))
    H = (np.diag(Z)[None, :] - Z) / pi[None, :]
    np.fill_diagonal(H, 0.0)
    return H


def balanced_forman_curvature(G):
    """Balanced Forman curvature of every edge (Topping et al. 2022, Definition 1).

    For an edge ``i ~ j`` with degrees ``d_i, d_j``: 0 if ``min(d_i, d_j) = 1``, else

        2/d_i + 2/d_j - 2 + 2 |T|/max + |T|/min
          + (|Q_i| + |Q_j|) / (gamma_max * max(d_i, d_j))

    where ``T`` are the triangles on the edge, ``Q_i = {k in S1(i) minus B1(j) : some
    w in S1(k) & S1(j) is outside B1(i)}`` are the neighbours of ``i`` that start a
    4-cycle through ``j`` with no diagonal, and ``gamma_max`` is the largest number of
    such cycles through a common node (the last term is 0 when there are none).

    Returns
    -------
    dict
        ``{(i, j): curvature}`` for every edge.

    Examples
    --------
    >>> round(balanced_forman_curvature(nx.complete_graph(5))[(0, 1)], 6)   # n/(n-1)
    1.25
    >>> balanced_forman_curvature(nx.cycle_graph(4))[(0, 1)]
    1.0
    >>> balanced_forman_curvature(nx.cycle_graph(6))[(0, 1)]
    0.0
    """
    G = _undirected(G, "balanced_forman_curvature")
    if nx.number_of_selfloops(G):
        raise ValueError("balanced_forman_curvature: G has self-loops; remove them first")
    nbr = {v: set(G[v]) for v in G}
    out = {}
    for i, j in G.edges():
        di, dj = len(nbr[i]), len(nbr[j])
        if min(di, dj) == 1:
            out[(i, j)] = 0.0
            continue
        tri = len(nbr[i] & nbr[j])
        Bi, Bj = nbr[i] | {i}, nbr[j] | {j}

        def squares(a, b, Ba, Bb):
            # k in S1(a) \ B1(b) with some w in S1(k) & S1(b), w not in B1(a)
            qs, gam = set(), 0
            for k in nbr[a] - Bb:
                ws = (nbr[k] & nbr[b]) - Ba
                if ws:
                    qs.add(k)
                    gam = max(gam, len(ws))
            return qs, gam

        qi, gi = squares(i, j, Bi, Bj)
        qj, gj = squares(j, i, Bj, Bi)
        dmax, dmin = max(di, dj), min(di, dj)
        val = 2 / di + 2 / dj - 2 + 2 * tri / dmax + tri / dmin
        gamma_max = max(gi, gj)
        if gamma_max > 0:
            val += (len(qi) + len(qj)) / (gamma_max * dmax)
        out[(i, j)] = float(val)
    return out


def _tree(n):
    return nx.balanced_tree(2, max(1, math.ceil(math.log2(n + 1)) - 1)).subgraph(range(n)).copy()


def _grid(n):
    side = max(2, int(round(math.sqrt(n))))
    return nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))


def compare_decay(n=64, num_layers=8, attn=None):
    """The last node's sensitivity to every node: causal attention beside GNN graphs of the same size.

    Causal: :func:`graphs.paths.last_token_sensitivity` with ``attn`` (default uniform
    causal attention) at every layer, normalised to sum 1. GNNs: the last node's row
    of :func:`jacobian_bound` (GCN normalisation) for a path, a ring, a balanced binary
    tree and a square grid with about ``n`` nodes, normalised to sum 1. "Last node" is
    the highest-numbered node (for the path, an end; for the tree, a leaf).

    Returns
    -------
    dict
        ``{name: {"nodes": int, "profile": ndarray, "distance": ndarray (hops, or n-1-i
        for the causal graph), "min_over_max": float}}``.

    Examples
    --------
    >>> r = compare_decay(16, 4)
    >>> sorted(r)
    ['causal', 'grid', 'path', 'ring', 'tree']
    """
    from graphs.causal import causal_mask, uniform_attention
    from graphs.paths import last_token_sensitivity

    n = check_positive_int(n, "n", minimum=4)
    L = check_positive_int(num_layers, "num_layers")
    A = uniform_attention(causal_mask(n)) if attn is None else attn
    s = last_token_sensitivity([A] * L)
    out = {"causal": {"nodes": n, "profile": s / s.sum(), "distance": np.arange(n)[::-1].astype(float)}}
    for name, G in (("path", nx.path_graph(n)), ("ring", nx.cycle_graph(n)),
                    ("tree", _tree(n)), ("grid", _grid(n))):
        J = jacobian_bound(G, L)
        last = G.number_of_nodes() - 1
        prof = J[last] / J[last].sum()
        dist = nx.single_source_shortest_path_length(G, last)
        out[name] = {"nodes": G.number_of_nodes(), "profile": prof,
                     "distance": np.array([dist[v] for v in range(G.number_of_nodes())], float)}
    for v in out.values():
        p = v["profile"]
        v["min_over_max"] = float(p.min() / p.max())
    return out
