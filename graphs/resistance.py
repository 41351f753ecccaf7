"""Effective resistance, Kirchhoff index, commute and hitting times of undirected graphs.

Weights are conductances (see :mod:`graphs.convert`): ``R[u, v]`` is the resistance
between ``u`` and ``v`` when every edge of weight ``w`` is a resistor of ``1/w`` ohms, so
``R`` equals ``nx.resistance_distance(G, weight=..., invert_weight=False)``. Self-loops do
not change resistances; in random walks they add their weight to the degree (the walk stays
put), so that ``commute_times == hitting_times + hitting_times.T`` holds with loops too.

Three exact-or-guaranteed methods, chosen by ``method=``:

- ``"dense"``: one Cholesky inverse ``X = (L + J/n)^(-1) = L^+ + J/n`` (``O(n^3)``,
  ``8 n^2`` bytes), then ``R[u, v] = X_uu + X_vv - 2 X_uv``; faster than the Hermitian
  pseudo-inverse networkx uses (see ``benchmarks/bench_graphs.py``).
- ``"sparse"``: exact for graphs of small bandwidth after reverse Cuthill-McKee ordering
  (meshes, grids, road-like graphs): the Laplacian grounded at one node is block
  tridiagonal with blocks of the bandwidth ``b``; one forward and one backward sweep of
  dense ``b x b`` blocks (``O(n b^2)`` time, ``8 n b`` bytes) give every entry of its inverse
  within the band, hence the resistance of every edge, and block solves give other pairs.
  The memory is known before starting and refused above ``max_memory``.
- ``"sketch"``: the Johnson-Lindenstrauss estimate of Spielman and Srivastava (2011) for
  graphs of any structure: ``k`` Laplacian solves (conjugate gradients) give values that, with
  probability at least ``1 - delta``, are all within a factor ``1 +- eps`` of the truth, with
  ``k = ceil(2 ln(2 P / delta) / (eps^2/2 - eps^3/3))`` for ``P`` pairs (union bound with the
  Gaussian JL tail). It is the only approximate method; it says so in its result.

``"auto"`` picks ``"dense"`` up to 4,000 nodes (and within ``max_memory``), else
``"sparse"`` if its memory fits, else refuses with both memory figures and a pointer to
``"sketch"``.
"""

import math

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sps
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

from graphs.decorators import create_rng, not_implemented_for
from graphs.validate import (
    DEFAULT_MAX_MEMORY,
    check_choice,
    check_cost,
    check_positive_real,
    check_real,
)

__all__ = [
    "effective_resistance",
    "kirchhoff_index",
    "commute_times",
    "hitting_times",
]

METHODS = ("auto", "dense", "sparse", "sketch")
#: "auto" uses the dense inverse up to this many nodes.
DENSE_NODES = 4000


# ----------------------------------------------------------------------------- helpers

def _connected(g, func):
    if g.n == 0:
        raise ValueError(f"{func}: the graph has no nodes")
    k, labels = connected_components(g.adjacency, directed=False)
    if k > 1:
        lone = [g.nodes[i] for i in np.flatnonzero(labels != labels[0])[:1]]
        raise ValueError(f"{func} needs a connected graph; it has {k} components (node "
                         f"{g.nodes[0]!r} cannot reach node {lone[0]!r}); resistances across "
                         "components are infinite")


def _dense_bytes(n):
    return 3 * 8 * n * n  # the matrix, its inverse and one temporary


def _dense_inverse(g, max_memory):
    """``X = (L + J/n)^(-1)`` by Cholesky (``L + J/n`` is positive definite when connected)."""
    n = g.n
    check_cost(_dense_bytes(n), max_memory, f"a dense {n} x {n} inverse", "max_memory")
    M = g.laplacian().toarray()
    M += 1.0 / n
    c, info = sla.lapack.dpotrf(M, lower=False, overwrite_a=True)
    if info != 0:
        raise ValueError("effective_resistance: the Laplacian is numerically singular (weights "
                         "spanning too many orders of magnitude)")
    X, info = sla.lapack.dpotri(c, lower=False, overwrite_c=True)
    X = np.triu(X) + np.triu(X, 1).T
    return X


def _pairs_from_dense(X, u, v):
    return np.maximum(X[u, u] + X[v, v] - 2.0 * X[u, v], 0.0)


class _BandedGroundedInverse:
    """Selected inversion of the grounded Laplacian in RCM order, by dense blocks of the bandwidth.

    The Laplacian is permuted by reverse Cuthill-McKee, the last node of that order is
    grounded (its row and column removed), and the remaining matrix, of bandwidth ``b``,
    is cut into blocks of ``s >= b`` rows: it is then block tridiagonal. A forward sweep
    keeps the inverses ``g_k`` of the Schur complements; the backward sweep of the
    recursive Green's function method yields the diagonal and super-diagonal blocks of the
    inverse, which hold every entry within the band.
    """

    def __init__(self, g, max_memory):
        L = g.laplacian()
        n = g.n
        self.perm = np.asarray(reverse_cuthill_mckee(L.tocsr(), symmetric_mode=True))
        self.pos = np.empty(n, dtype=np.int64)
        self.pos[self.perm] = np.arange(n)
        P = L[self.perm][:, self.perm]
        self.m = m = n - 1  # grounded: the last node of the RCM order is removed
        Lg = sps.csr_array(P[:m, :m])
        coo = Lg.tocoo()
        b = int(np.abs(coo.row - coo.col).max()) if coo.nnz else 0
        self.s = s = max(b, 32)
        check_cost(8 * m * s + 64 * s * s, max_memory,
                   f"the banded exact method for {n} nodes (bandwidth {b} after reverse "
                   f"Cuthill-McKee ordering)", "max_memory")
        self.Lg = Lg
        self.K = -(-m // s)
        self.g = []
        for k in range(self.K):
            D = self._block(k, k)
            if k:
                U = self._block(k - 1, k)
                D = D - U.T @ self.g[k - 1] @ U
            c = sla.cho_factor(D, lower=False, check_finite=False)
            self.g.append(sla.cho_solve(c, np.eye(len(D)), check_finite=False))

    def _slice(self, k):
        return slice(k * self.s, min(self.m, (k + 1) * self.s))

    def _block(self, i, j):
        return self.Lg[self._slice(i)][:, self._slice(j)].toarray()

    def band(self, pu, pv):
        """``diag`` (m,) of the inverse, and its entries at the (grounded-order) pairs ``pu <= pv``
        that lie in the same or adjacent blocks."""
        diag = np.empty(self.m)
        vals = np.empty(len(pu))
        bu, bv = pu // self.s, pv // self.s
        order = np.argsort(bu, kind="stable")
        starts = np.searchsorted(bu[order], np.arange(self.K + 1))
        G_next = None
        for k in range(self.K - 1, -1, -1):
            if G_next is None:
                G_kk, G_off = self.g[k], None
            else:
                U = self._block(k, k + 1)
                W = self.g[k] @ U
                G_off = -W @ G_next
                G_kk = self.g[k] - G_off @ W.T
            lo = k * self.s
            diag[self._slice(k)] = np.diag(G_kk)
            idx = order[starts[k]:starts[k + 1]]
            same = idx[bv[idx] == k]
            vals[same] = G_kk[pu[same] - lo, pv[same] - lo]
            nxt = idx[bv[idx] == k + 1]
            if nxt.size:
                vals[nxt] = G_off[pu[nxt] - lo, pv[nxt] - lo - self.s]
            G_next = G_kk
        return diag, vals

    def solve(self, B):
        """``Lg^(-1) B`` for a dense (m, c) right-hand side, by block LDL^T solves."""
        Y = [B[self._slice(k)].copy() for k in range(self.K)]
        for k in range(1, self.K):
            Y[k] -= self._block(k - 1, k).T @ (self.g[k - 1] @ Y[k - 1])
        X = [None] * self.K
        X[-1] = self.g[-1] @ Y[-1]
        for k in range(self.K - 2, -1, -1):
            X[k] = self.g[k] @ (Y[k] - self._block(k, k + 1) @ X[k + 1])
        return np.vstack(X)


def _sparse_pairs(g, u, v, max_memory):
    """Exact resistances of the pairs (u, v) by the banded grounded inverse."""
    B = _BandedGroundedInverse(g, max_memory)
    m, s = B.m, B.s
    pu, pv = B.pos[u], B.pos[v]
    pu, pv = np.minimum(pu, pv), np.maximum(pu, pv)
    out = np.zeros(len(u))
    grounded_u = pv == m  # the grounded node has potential 0: R = X_uu
    near = (pv // s - pu // s <= 1) & ~grounded_u
    diag, vals = B.band(pu[near], pv[near])
    ext = np.append(diag, 0.0)  # grounded node: X = 0
    out[near] = ext[pu[near]] + ext[pv[near]] - 2.0 * vals
    out[grounded_u] = ext[pu[grounded_u]]
    far = np.flatnonzero(~near & ~grounded_u)
    for start in range(0, far.size, 256):
        sel = far[start:start + 256]
        rhs = np.zeros((m, sel.size))
        rhs[pu[sel], np.arange(sel.size)] = 1.0
        rhs[pv[sel], np.arange(sel.size)] -= 1.0
        x = B.solve(rhs)
        out[sel] = (x * rhs).sum(axis=0)
    out[u == v] = 0.0
    return np.maximum(out, 0.0), B


def _sketch_size(num_pairs, eps, delta):
    """JL dimension: every one of ``num_pairs`` squared norms within 1 +- eps w.p. >= 1 - delta."""
    return int(math.ceil(2.0 * math.log(2.0 * max(1, num_pairs) / delta)
                         / (eps ** 2 / 2 - eps ** 3 / 3)))


def _block_cg(L, B, rtol=1e-9, maxiter=None):
    """Jacobi-preconditioned conjugate gradients for ``L X = B``, columns in parallel.

    ``L`` is a connected graph's Laplacian (singular, positive semi-definite); every column
    of ``B`` sums to 0, so the system is consistent. Raises if a column does not reach the
    relative residual ``rtol`` within ``maxiter`` iterations.
    """
    n = L.shape[0]
    maxiter = maxiter or 20 * n
    dinv = 1.0 / L.diagonal()
    X = np.zeros_like(B)
    R = B.copy()
    Z = dinv[:, None] * R
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)
    bnorm = np.linalg.norm(B, axis=0)
    bnorm[bnorm == 0] = 1.0
    for _ in range(maxiter):
        AP = L @ P
        pap = np.einsum("ij,ij->j", P, AP)
        alpha = np.divide(rz, pap, out=np.zeros_like(rz), where=pap > 0)
        X += alpha * P
        R -= alpha * AP
        if (np.linalg.norm(R, axis=0) <= rtol * bnorm).all():
            return X
        Z = dinv[:, None] * R
        rz_new = np.einsum("ij,ij->j", R, Z)
        beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        P = Z + beta * P
        rz = rz_new
    raise ValueError(f"effective_resistance(method='sketch'): conjugate gradients did not reach "
                     f"relative residual {rtol:g} in {maxiter} iterations")


def _sketch_pairs(g, u, v, eps, delta, rng, max_memory):
    """Spielman-Srivastava estimate: R_uv ~ ||Z (e_u - e_v)||^2 with Z = Q W^(1/2) B L^+."""
    A = sps.triu(g.adjacency, k=1).tocoo()  # each undirected edge once, loops dropped
    n, me = g.n, A.nnz
    distinct = np.unique(np.stack([np.minimum(u, v), np.maximum(u, v)]), axis=1).shape[1]
    k = _sketch_size(distinct, eps, delta)  # the union bound runs over distinct pairs
    block = 128
    check_cost(8 * n * (6 * block + 2) + 8 * k * n + 64 * 2**20, max_memory,
               f"the sketch of {k} Laplacian solves on {n} nodes", "max_memory")
    L = g.laplacian()
    sqw = np.sqrt(A.data)
    Zt = np.empty((k, n))  # row j: the j-th projected potential
    for start in range(0, k, block):
        c = min(block, k - start)
        # Rademacher projections of the weighted incidence matrix: Y[:, j] = B^T W^(1/2) q_j.
        q = rng.choice((-1.0, 1.0), size=(me, c)) * sqw[:, None] / math.sqrt(k)
        Y = np.zeros((n, c))
        np.add.at(Y, A.row, q)
        np.add.at(Y, A.col, -q)
        Zt[start:start + c] = _block_cg(L, Y).T
    # Squared distances in chunks of pairs: a (k, pairs) difference at once would take
    # 8 k P bytes (3 GB for every edge of a 100,000-node graph).
    out = np.empty(len(u))
    step = max(1, (64 * 2**20) // (8 * k))
    for s in range(0, len(u), step):
        d = Zt[:, u[s:s + step]] - Zt[:, v[s:s + step]]
        out[s:s + step] = np.einsum("ij,ij->j", d, d)
    return out, k


def _edge_pairs(g):
    A = g.adjacency.tocoo()
    keep = A.row != A.col
    return A.row[keep], A.col[keep]


def _choose(method, n, max_memory):
    if method != "auto":
        return method
    if n <= DENSE_NODES and _dense_bytes(n) <= max_memory:
        return "dense"
    return "sparse"


# ----------------------------------------------------------------------------- public API

@not_implemented_for("directed")
def effective_resistance(G, weight="weight", pairs=None, *, nodelist=None, num_nodes=None,
                         edge_weight=None, method="auto", max_memory=DEFAULT_MAX_MEMORY,
                         eps=0.3, delta=0.01, seed=None):
    """Effective resistance: all pairs, given pairs, or every edge.

    Parameters
    ----------
    G : graph-like, undirected and connected
        Any form of :mod:`graphs.convert`. Weights are conductances.
    weight : str or None
        Edge attribute of a networkx graph holding the conductance (default ``"weight"``,
        missing attributes count as 1); ``None``: every edge has conductance 1 (for
        matrices too).
    pairs : None, "edges", array (2, k) or list of (u, v)
        ``None``: the all-pairs matrix. ``"edges"``: a dict over every edge, both
        orientations. An array in the edge_index layout or a list of node pairs: an array
        aligned with them.
    nodelist : list, optional
        Order of the rows and columns of the all-pairs matrix (every node once); default
        ``list(G)`` for networkx graphs, ``0..n-1`` otherwise.
    num_nodes, edge_weight
        For ``edge_index`` input (:func:`graphs.convert.as_graph_data`).
    method : {"auto", "dense", "sparse", "sketch"}
        See the module docstring; ``"sparse"`` and ``"sketch"`` need ``pairs``.
    max_memory : int
        Refuse, before starting, a method whose memory would exceed this many bytes.
    eps, delta : float
        Accuracy and failure probability of ``method="sketch"``: every value is within a
        factor ``1 +- eps`` of the truth with probability ``>= 1 - delta``
        (``0 < eps < 1``, ``0 < delta < 1``).
    seed : None, int or numpy.random.Generator
        Randomness of ``method="sketch"``.

    Returns
    -------
    ndarray (n, n), ndarray (k,) or dict
        All pairs (rows and columns in ``nodelist`` order), the given pairs, or
        ``{(u, v): R}`` for every edge in both orientations.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs (in any form: a ``DiGraph``, an asymmetric matrix, an
        ``edge_index`` without reverse edges).
    ValueError
        For an empty or disconnected graph, bad weights, pairs naming unknown nodes,
        an unknown method, or a method that does not fit ``max_memory``.

    References
    ----------
    Klein and Randic (1993), Resistance distance; Spielman and Srivastava (2011), Graph
    sparsification by effective resistances, Theorem 2; Di Giovanni et al. (2023), On
    over-squashing in MPNNs, Section 5 (resistance and commute time govern over-squashing).

    Examples
    --------
    >>> np.round(effective_resistance(nx.path_graph(3)), 6).tolist()
    [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]
    >>> G = nx.Graph([(0, 1, {"weight": 4.0}), (1, 2, {"weight": 0.25})])
    >>> float(effective_resistance(G, pairs=[(0, 2)])[0])   # 1/4 + 1/0.25 ohms
    4.25
    >>> effective_resistance(nx.cycle_graph(4), pairs="edges")[(1, 0)]
    0.75
    """
    g = G
    method = check_choice(method, "method", METHODS)
    max_memory = check_positive_real(max_memory, "max_memory")
    _connected(g, "effective_resistance")
    if pairs is None:
        if method in ("sparse", "sketch"):
            raise ValueError(f"method={method!r} computes given pairs (pairs='edges' or a list); "
                             "the all-pairs matrix needs method='dense'")
        order = g.order(nodelist)
        X = _dense_inverse(g, max_memory)[np.ix_(order, order)]
        d = np.diag(X).copy()
        R = d[:, None] + d[None, :] - 2.0 * X
        np.fill_diagonal(R, 0.0)
        return np.maximum(R, 0.0)
    as_dict = isinstance(pairs, str)
    if as_dict:
        check_choice(pairs, "pairs", ("edges",))
        u, v = _edge_pairs(g)
    else:
        u, v = g.pair_indices(pairs, "pairs")
    if nodelist is not None:
        g.order(nodelist)  # validated; pairs are named by node, so the order plays no part
    method = _choose(method, g.n, max_memory)
    if method == "dense":
        vals = _pairs_from_dense(_dense_inverse(g, max_memory), u, v)
    elif method == "sparse":
        try:
            vals, _ = _sparse_pairs(g, u, v, max_memory)
        except ValueError as exc:
            raise type(exc)(f"{exc}. For graphs of large bandwidth (expanders, social and "
                            "citation graphs) use method='sketch', whose values are within "
                            "1 +- eps of the truth with probability 1 - delta") from None
    else:
        eps = check_real(eps, "eps", 0, 1, low_open=True, high_open=True)
        delta = check_real(delta, "delta", 0, 1, low_open=True, high_open=True)
        vals, _ = _sketch_pairs(g, u, v, eps, delta, create_rng(seed), max_memory)
        vals[u == v] = 0.0
    if as_dict:
        lab = g.nodes
        return {(lab[a], lab[b]): float(r) for a, b, r in zip(u.tolist(), v.tolist(), vals)}
    return vals


@not_implemented_for("directed")
def kirchhoff_index(G, weight="weight", *, num_nodes=None, edge_weight=None, method="auto",
                    max_memory=DEFAULT_MAX_MEMORY):
    """Kirchhoff index: the total effective resistance ``sum_{u < v} R[u, v] = n tr(L^+)``.

    Black et al. (2023) call it the total effective resistance and rewire to lower it
    (:func:`graphs.rewiring.greedy_resistance_rewiring`); networkx computes it as
    ``effective_graph_resistance``.

    Parameters
    ----------
    G : graph-like, undirected and connected
    weight : str or None
        As in :func:`effective_resistance`.
    num_nodes, edge_weight
        For ``edge_index`` input.
    method : {"auto", "dense", "sparse"}
        ``"dense"``: ``n (tr X - 1)`` with ``X = (L + J/n)^(-1)``; ``"sparse"``: ``n tr(X_g)
        - 1^T X_g 1`` with ``X_g`` the grounded inverse (its diagonal from the banded sweep,
        ``X_g 1`` from one block solve).
    max_memory : int

    Returns
    -------
    float

    Raises
    ------
    NotImplementedForGraph
        For directed graphs.
    ValueError
        For an empty or disconnected graph, bad weights, or a method beyond ``max_memory``.

    References
    ----------
    Klein and Randic (1993); Black et al. (2023), Understanding oversquashing in GNNs
    through the lens of effective resistance, Section 3 (total effective resistance).

    Examples
    --------
    >>> round(kirchhoff_index(nx.path_graph(4)), 9)   # 1+2+3 + 1+2 + 1
    10.0
    """
    g = G
    method = check_choice(method, "method", ("auto", "dense", "sparse"))
    max_memory = check_positive_real(max_memory, "max_memory")
    _connected(g, "kirchhoff_index")
    n = g.n
    if _choose(method, n, max_memory) == "dense":
        X = _dense_inverse(g, max_memory)
        return float(n * (np.trace(X) - 1.0))
    if n == 1:
        return 0.0
    B = _BandedGroundedInverse(g, max_memory)
    diag, _ = B.band(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    ones = B.solve(np.ones((B.m, 1)))
    return float(n * diag.sum() - ones.sum())


@not_implemented_for("directed")
def commute_times(G, weight="weight", *, nodelist=None, num_nodes=None, edge_weight=None,
                  max_memory=DEFAULT_MAX_MEMORY):
    """All-pairs commute times ``vol(G) R[u, v]`` of the random walk ``P = D^-1 A``.

    ``vol(G) = sum_u deg(u)`` with a self-loop's weight counted once in its node's degree
    (the walk's own convention), so ``commute_times == hitting_times + hitting_times.T``
    holds with self-loops; without loops ``vol = 2 |E|`` (total edge weight).

    Parameters
    ----------
    G : graph-like, undirected and connected
    weight : str or None
    nodelist : list, optional
        Row and column order (every node once); default ``list(G)`` or ``0..n-1``.
    num_nodes, edge_weight
        For ``edge_index`` input.
    max_memory : int

    Returns
    -------
    ndarray, shape (n, n)

    Raises
    ------
    NotImplementedForGraph
        For directed graphs.
    ValueError
        For an empty or disconnected graph, bad weights, or more than ``max_memory``.

    References
    ----------
    Chandra et al. (1989), The electrical resistance of a graph captures its commute and
    cover times; Di Giovanni et al. (2023), Theorem 5.2 (commute time and over-squashing).

    Examples
    --------
    >>> round(float(commute_times(nx.path_graph(3))[0, 2]), 9)   # 2 |E| R = 2 * 2 * 2
    8.0
    """
    g = G
    vol = float(g.adjacency.sum())
    return vol * effective_resistance(g, nodelist=nodelist, method="dense", max_memory=max_memory)


@not_implemented_for("directed")
def hitting_times(G, weight="weight", *, nodelist=None, num_nodes=None, edge_weight=None,
                  max_memory=DEFAULT_MAX_MEMORY):
    """All-pairs expected hitting times ``H[u, v]`` of the random walk ``P = D^-1 A`` from ``u`` to ``v``.

    From the fundamental matrix ``Z = (I - P + 1 pi^T)^(-1)``:
    ``H[u, v] = (Z[v, v] - Z[u, v]) / pi[v]``, ``pi = deg / vol``. A self-loop of weight
    ``w`` at ``u`` lets the walk stay at ``u`` with probability ``w / deg(u)``.
    ``H + H.T`` equals :func:`commute_times`.

    Parameters
    ----------
    G : graph-like, undirected and connected
    weight : str or None
    nodelist : list, optional
        Row and column order (every node once).
    num_nodes, edge_weight
        For ``edge_index`` input.
    max_memory : int

    Returns
    -------
    ndarray, shape (n, n)

    Raises
    ------
    NotImplementedForGraph
        For directed graphs.
    ValueError
        For an empty or disconnected graph, bad weights, or more than ``max_memory``.

    References
    ----------
    Lovasz (1993), Random walks on graphs: a survey, Section 3; Di Giovanni et al. (2023),
    Section 5.

    Examples
    --------
    >>> np.round(hitting_times(nx.path_graph(3)), 6)[0].tolist()
    [0.0, 1.0, 4.0]
    """
    g = G
    max_memory = check_positive_real(max_memory, "max_memory")
    _connected(g, "hitting_times")
    order = g.order(nodelist)
    n = g.n
    if n == 1:
        return np.zeros((1, 1))  # the walk starts where it must arrive
    check_cost(_dense_bytes(n), max_memory, f"a dense {n} x {n} fundamental matrix",
               "max_memory")
    A = g.adjacency.toarray()
    deg = A.sum(axis=1)
    P = A / deg[:, None]
    pi = deg / deg.sum()
    Z = np.linalg.inv(np.eye(n) - P + np.outer(np.ones(n), pi))
    H = (np.diag(Z)[None, :] - Z) / pi[None, :]
    np.fill_diagonal(H, 0.0)
    return H[np.ix_(order, order)]
