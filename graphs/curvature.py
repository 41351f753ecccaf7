"""Discrete curvatures of the edges of an undirected simple graph.

- :func:`balanced_forman_curvature`: Definition 1 of Topping et al. (2022), the curvature
  that SDRF rewires (:func:`graphs.rewiring.sdrf`);
- :func:`augmented_forman_curvature`: Forman's curvature augmented with triangles (and
  4-cycles), Fesser and Weber (2023);
- :func:`ollivier_ricci_curvature`: Ollivier's curvature ``1 - W1(mu_x, mu_y)``, with the
  Wasserstein distance solved exactly as a linear programme (scipy's HiGHS).

All three are combinatorial: they are defined on the 0/1 structure of a simple undirected
graph, so directed graphs, multigraphs, self-loops and non-unit weights are refused (with
the reason in the input's own form) rather than reinterpreted.

Results are a dict ``{(u, v): value}`` holding **both orientations** of every edge (the
curvatures are symmetric), or, with ``edges=``, an array aligned with a given
``edge_index`` (both directions, as PyG code expects) or list of pairs.
"""

import numpy as np
import scipy.sparse as sps
from scipy.optimize import linprog

from graphs.decorators import combinatorial
from graphs.validate import check_choice, check_real

__all__ = [
    "balanced_forman_curvature",
    "augmented_forman_curvature",
    "ollivier_ricci_curvature",
]


def _upper_edges(g):
    A = sps.triu(g.adjacency, k=1).tocoo()
    return A.row, A.col


def bfc_edge(nbr, i, j):
    """Balanced Forman curvature of the edge ``i ~ j`` from neighbour sets (Definition 1).

    Used by :func:`balanced_forman_curvature` and by SDRF on tentatively rewired graphs.
    """
    Ni, Nj = nbr[i], nbr[j]
    di, dj = len(Ni), len(Nj)
    if min(di, dj) == 1:
        return 0.0
    tri = len(Ni & Nj)
    Bi, Bj = Ni | {i}, Nj | {j}

    def squares(Na, Bb, Nb, Ba):
        # k in S1(a) \ B1(b) with some w in S1(k) & S1(b) outside B1(a): a 4-cycle a-k-w-b
        # with no diagonal. Returns |Q_a| and the most cycles through one such k.
        count, most = 0, 0
        for k in Na - Bb:
            c = len((nbr[k] & Nb) - Ba)
            if c:
                count += 1
                most = max(most, c)
        return count, most

    qi, gi = squares(Ni, Bj, Nj, Bi)
    qj, gj = squares(Nj, Bi, Ni, Bj)
    dmax, dmin = max(di, dj), min(di, dj)
    val = 2 / di + 2 / dj - 2 + 2 * tri / dmax + tri / dmin
    gamma_max = max(gi, gj)
    if gamma_max > 0:
        val += (qi + qj) / (gamma_max * dmax)
    return float(val)


def _edge_output(g, rows, cols, vals, edges, func):
    """Both orientations as a dict, or values aligned with ``edges``."""
    if edges is None:
        lab = g.nodes
        out = {}
        for i, j, c in zip(rows.tolist(), cols.tolist(), np.asarray(vals).tolist()):
            out[(lab[i], lab[j])] = c
            out[(lab[j], lab[i])] = c
        return out
    u, v = g.pair_indices(edges, "edges")
    if u.size == 0:
        return np.zeros(0)
    is_edge = np.asarray(g.adjacency[u, v]).ravel() != 0
    if not is_edge.all():
        k = int(np.argmin(is_edge))
        raise ValueError(f"edges entry {k} ({g.nodes[u[k]]!r}, {g.nodes[v[k]]!r}) is not an edge "
                         f"of G; {func} is defined on edges only")
    n = g.n
    C = sps.coo_array((np.concatenate([vals, vals]), (np.concatenate([rows, cols]),
                                                       np.concatenate([cols, rows]))),
                      shape=(n, n)).tocsr()
    out = np.asarray(C[u, v]).ravel().astype(float)
    return out


@combinatorial
def balanced_forman_curvature(G, edges=None, *, num_nodes=None):
    """Balanced Forman curvature of every edge (Topping et al. 2022, Definition 1).

    For an edge ``i ~ j`` with degrees ``d_i, d_j``: 0 if ``min(d_i, d_j) = 1``, else

        2/d_i + 2/d_j - 2 + 2 |T|/max + |T|/min
          + (|Q_i| + |Q_j|) / (gamma_max * max(d_i, d_j))

    where ``T`` are the triangles on the edge, ``Q_i = {k in S1(i) minus B1(j) : some
    w in S1(k) & S1(j) is outside B1(i)}`` are the neighbours of ``i`` that start a
    4-cycle through ``j`` with no diagonal, and ``gamma_max`` is the largest number of
    such cycles through a common node (the last term is 0 when there are none).

    Parameters
    ----------
    G : graph-like, undirected, simple, unweighted
        Any form of :mod:`graphs.convert`.
    edges : array (2, k) or list of (u, v), optional
        Return an array aligned with these edges (e.g. a PyG ``edge_index`` with both
        directions) instead of a dict.
    num_nodes : int, optional
        For ``edge_index`` input.

    Returns
    -------
    dict or ndarray
        ``{(i, j): curvature}`` for every edge in both orientations, or the values
        aligned with ``edges``.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs, multigraphs, self-loops or non-unit weights.
    ValueError
        If ``edges`` names a pair that is not an edge.

    References
    ----------
    Topping et al. (2022), Understanding over-squashing and bottlenecks on graphs via
    curvature, Definition 1 (closed forms in its Section 4).

    Examples
    --------
    >>> round(balanced_forman_curvature(nx.complete_graph(5))[(0, 1)], 6)   # n/(n-1)
    1.25
    >>> balanced_forman_curvature(nx.cycle_graph(4))[(1, 0)]
    1.0
    >>> balanced_forman_curvature(nx.cycle_graph(6), edges=[(0, 1), (1, 0)]).tolist()
    [0.0, 0.0]
    """
    nbr = G.neighbour_sets()
    rows, cols = _upper_edges(G)
    vals = np.array([bfc_edge(nbr, i, j) for i, j in zip(rows.tolist(), cols.tolist())])
    return _edge_output(G, rows, cols, vals, edges, "balanced_forman_curvature")


@combinatorial
def augmented_forman_curvature(G, edges=None, *, cycles=4, num_nodes=None):
    """Augmented Forman curvature: ``4 - d_i - d_j + 3 |triangles| (+ 2 |4-cycles|)``.

    Triangles on the edge ``i ~ j`` are ``(A^2)_ij``; simple 4-cycles through it are
    ``(A^3)_ij - d_i - d_j + 1`` (walks ``i k l j`` minus those that turn back), computed
    with sparse products for all edges at once.

    Parameters
    ----------
    G : graph-like, undirected, simple, unweighted
    edges : array (2, k) or list of (u, v), optional
        Return an array aligned with these edges instead of a dict.
    cycles : {3, 4}
        ``3``: AFRC with triangles; ``4``: with triangles and 4-cycles.
    num_nodes : int, optional
        For ``edge_index`` input.

    Returns
    -------
    dict or ndarray
        Both orientations of every edge, or values aligned with ``edges``.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs, multigraphs, self-loops or non-unit weights.
    ValueError
        For ``cycles`` not 3 or 4, or ``edges`` naming a non-edge.

    References
    ----------
    Fesser and Weber (2023), Mitigating over-smoothing and over-squashing using
    augmentations of Forman-Ricci curvature, Section 3 (AFRC-3 and AFRC-4).

    Examples
    --------
    >>> augmented_forman_curvature(nx.complete_graph(4))[(0, 1)]   # 4 - 3 - 3 + 3*2 + 2*2
    8.0
    >>> augmented_forman_curvature(nx.cycle_graph(4), cycles=3)[(0, 1)]
    0.0
    """
    cycles = check_choice(cycles, "cycles", (3, 4))
    A = G.adjacency
    rows, cols = _upper_edges(G)
    deg = np.diff(A.indptr).astype(float)
    A2 = (A @ A).tocsr()
    tri = np.asarray(A2[rows, cols]).ravel()
    vals = 4.0 - deg[rows] - deg[cols] + 3.0 * tri
    if cycles == 4 and rows.size:
        walks3 = np.asarray(A[rows].multiply(A2[cols]).sum(axis=1)).ravel()
        vals = vals + 2.0 * (walks3 - deg[rows] - deg[cols] + 1.0)
    return _edge_output(G, rows, cols, vals, edges, "augmented_forman_curvature")


def _hop_cost(nbr, S, T):
    """Hop distances between the nodes of S and T (both within one hop of an edge): 0..3."""
    C = np.full((len(S), len(T)), 3.0)
    for a, s in enumerate(S):
        for b, t in enumerate(T):
            if s == t:
                C[a, b] = 0.0
            elif t in nbr[s]:
                C[a, b] = 1.0
            elif nbr[s] & nbr[t]:
                C[a, b] = 2.0
    return C


def _lazy_measure(nbr, x, alpha):
    support = [x] + sorted(nbr[x])
    d = len(nbr[x])
    mass = np.array([alpha] + [(1.0 - alpha) / d] * d)
    return support, mass


def _wasserstein(nbr, x, y, alpha):
    S, mu = _lazy_measure(nbr, x, alpha)
    T, nu = _lazy_measure(nbr, y, alpha)
    C = _hop_cost(nbr, S, T)
    ns, nt = len(S), len(T)
    # Transport plan pi (ns x nt), row sums mu, column sums nu.
    A_eq = np.zeros((ns + nt, ns * nt))
    for a in range(ns):
        A_eq[a, a * nt:(a + 1) * nt] = 1.0
    for b in range(nt):
        A_eq[ns + b, b::nt] = 1.0
    res = linprog(C.ravel(), A_eq=A_eq, b_eq=np.concatenate([mu, nu]), bounds=(0, None),
                  method="highs")
    if res.status != 0:
        raise ValueError(f"ollivier_ricci_curvature: the transport LP for edge ({x}, {y}) "
                         f"failed: {res.message}")
    return float(res.fun)


@combinatorial
def ollivier_ricci_curvature(G, edges=None, *, alpha=0.5, num_nodes=None):
    """Ollivier-Ricci curvature ``1 - W1(mu_x, mu_y)`` of every edge, exactly.

    ``mu_x`` is the lazy random-walk measure: ``alpha`` at ``x`` and ``(1 - alpha)/d_x``
    on each neighbour. ``W1`` is the optimal transport cost with hop distances as ground
    cost (between the two neighbourhoods they are 0..3, read from the graph), solved as a
    linear programme by scipy's HiGHS (exact up to its tolerance, about 1e-9).

    Parameters
    ----------
    G : graph-like, undirected, simple, unweighted
    edges : array (2, k) or list of (u, v), optional
        Return an array aligned with these edges instead of a dict.
    alpha : float
        Idleness of the measure, in ``[0, 1)``; 0.5 is the default of GraphRicciCurvature.
    num_nodes : int, optional
        For ``edge_index`` input.

    Returns
    -------
    dict or ndarray
        Both orientations of every edge, or values aligned with ``edges``.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs, multigraphs, self-loops or non-unit weights.
    ValueError
        For ``alpha`` outside ``[0, 1)``, ``edges`` naming a non-edge, or a failed LP.

    References
    ----------
    Ollivier (2009), Ricci curvature of Markov chains on metric spaces, Definition 3;
    Lin, Lu and Yau (2011); Jost and Liu (2014), closed forms on trees (used in the tests).

    Examples
    --------
    >>> round(ollivier_ricci_curvature(nx.complete_graph(4), alpha=0.0)[(0, 1)], 9)  # (n-2)/(n-1)
    0.666666667
    """
    alpha = check_real(alpha, "alpha", 0, 1, high_open=True)
    nbr = G.neighbour_sets()
    rows, cols = _upper_edges(G)
    vals = np.array([1.0 - _wasserstein(nbr, i, j, alpha)
                     for i, j in zip(rows.tolist(), cols.tolist())])
    return _edge_output(G, rows, cols, vals, edges, "ollivier_ricci_curvature")
