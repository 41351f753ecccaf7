"""Spectral gap of the normalised Laplacian and the Cheeger inequality.

The normalised Laplacian is ``N = I - D^(-1/2) A D^(-1/2)`` (weights are conductances, a
self-loop counts once in its node's degree, as in :mod:`graphs.convert`), the matrix of
``nx.normalized_laplacian_matrix``. Its second smallest eigenvalue ``lambda_1`` is the
spectral gap that FoSR raises (:func:`graphs.rewiring.fosr`), and the Cheeger inequality
``lambda_1 / 2 <= h(G) <= sqrt(2 lambda_1)`` ties it to the conductance (Cheeger constant)
``h(G) = min_S w(S, S^c) / min(vol S, vol S^c)`` (Chung 1997, Theorem 2.2), which is small
exactly when the graph has a bottleneck.
"""

import itertools

import numpy as np
import scipy.sparse as sps
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from graphs.decorators import not_implemented_for
from graphs.validate import CostLimitError, check_positive_int

__all__ = ["spectral_gap", "cheeger_bounds", "cheeger_constant"]

#: Dense eigenvalues up to this many nodes, ARPACK beyond.
DENSE_NODES = 2000


def _normalised_adjacency(g):
    d = g.degrees()
    s = np.divide(1.0, np.sqrt(d), out=np.zeros_like(d), where=d > 0)
    return (sps.diags_array(s) @ g.adjacency @ sps.diags_array(s)).tocsr(), d


@not_implemented_for("directed")
def spectral_gap(G, weight="weight", *, num_nodes=None, edge_weight=None, tol=1e-10):
    """Second smallest eigenvalue ``lambda_1`` of the normalised Laplacian (0 if disconnected).

    Parameters
    ----------
    G : graph-like, undirected
    weight : str or None
        Conductance attribute of a networkx graph (``None``: all 1).
    num_nodes, edge_weight
        For ``edge_index`` input.
    tol : float
        Convergence tolerance of ARPACK (graphs above 2,000 nodes); smaller graphs use a
        dense symmetric eigensolver.

    Returns
    -------
    float
        ``lambda_1`` in ``[0, 2]``; 0 for a disconnected graph (including isolated nodes)
        and for a single node.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs.
    ValueError
        For an empty graph, bad weights, or if ARPACK does not converge.

    References
    ----------
    Chung (1997), Spectral graph theory, Chapter 1; Karhadkar et al. (2023), FoSR, Section 3.

    Examples
    --------
    >>> round(spectral_gap(nx.complete_graph(5)), 9)   # n / (n - 1)
    1.25
    >>> round(spectral_gap(nx.cycle_graph(6)), 9)      # 1 - cos(2 pi / n)
    0.5
    """
    n = G.n
    if n == 0:
        raise ValueError("spectral_gap: the graph has no nodes")
    if n == 1 or connected_components(G.adjacency, directed=False)[0] > 1:
        return 0.0
    An, d = _normalised_adjacency(G)
    if n <= DENSE_NODES:
        ev = np.linalg.eigvalsh(An.toarray())
        return float(min(2.0, max(0.0, 1.0 - ev[-2])))
    # Largest eigenvalue of (An + I) deflated by its known top eigenvector D^(1/2) 1 (value 2).
    top = np.sqrt(d) / np.sqrt(d.sum())

    def mv(x):
        x = np.ravel(x)
        return An @ x + x - 2.0 * top * (top @ x)

    op = LinearOperator((n, n), matvec=mv, dtype=float)
    try:
        val = eigsh(op, k=1, which="LA", tol=tol, return_eigenvectors=False)[0]
    except ArpackNoConvergence:
        raise ValueError("spectral_gap: ARPACK did not converge; pass a larger tol=") from None
    return float(min(2.0, max(0.0, 2.0 - val)))


def cheeger_bounds(G, weight="weight", *, num_nodes=None, edge_weight=None):
    """The Cheeger interval ``(lambda_1 / 2, sqrt(2 lambda_1))`` that contains ``h(G)``.

    Parameters
    ----------
    G : graph-like, undirected
    weight, num_nodes, edge_weight
        Graph reading, as :func:`spectral_gap`.

    Returns
    -------
    tuple of float
        ``(lower, upper)``.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs.
    ValueError
        As :func:`spectral_gap`.

    References
    ----------
    Chung (1997), Theorem 2.2; Topping et al. (2022), Section 4 (Cheeger constant and
    bottlenecks).

    Examples
    --------
    >>> lo, hi = cheeger_bounds(nx.path_graph(4))
    >>> bool(lo <= cheeger_constant(nx.path_graph(4)) <= hi)
    True
    """
    lam = spectral_gap(G, weight, num_nodes=num_nodes, edge_weight=edge_weight)
    return lam / 2.0, float(np.sqrt(2.0 * lam))


@not_implemented_for("directed")
def cheeger_constant(G, weight="weight", *, num_nodes=None, edge_weight=None, max_nodes=20):
    """Exact Cheeger constant (conductance) ``min_S w(S, S^c) / min(vol S, vol S^c)`` by enumeration.

    Parameters
    ----------
    G : graph-like, undirected, at least 2 nodes
    weight, num_nodes, edge_weight
        Graph reading.
    max_nodes : int
        Refuse graphs above this size (the enumeration visits ``2^(n-1)`` cuts).

    Returns
    -------
    float
        0 for a disconnected graph.

    Raises
    ------
    NotImplementedForGraph
        For directed graphs.
    CostLimitError
        Above ``max_nodes``.
    ValueError
        For fewer than 2 nodes, bad weights, or an isolated node (volume 0).

    References
    ----------
    Chung (1997), Section 2.2.

    Examples
    --------
    >>> cheeger_constant(nx.barbell_graph(3, 0))   # one bridge between two triangles
    0.14285714285714285
    """
    max_nodes = check_positive_int(max_nodes, "max_nodes", minimum=2)
    n = G.n
    if n < 2:
        raise ValueError("cheeger_constant needs at least 2 nodes")
    if n > max_nodes:
        raise CostLimitError(f"cheeger_constant enumerates 2^{n - 1} cuts for {n} nodes, more "
                             f"than max_nodes={max_nodes} allows; pass a larger max_nodes= to "
                             "compute it anyway")
    A = G.adjacency.toarray()
    d = A.sum(axis=1)  # a self-loop counts once in the volume and never crosses a cut
    if (d == 0).any():
        raise ValueError(f"cheeger_constant: node {G.nodes[int(np.argmin(d))]!r} is isolated "
                         "(volume 0)")
    vol = d.sum()
    best = np.inf
    others = range(1, n)
    for r in range(0, n - 1):
        for rest in itertools.combinations(others, r):
            S = np.zeros(n, dtype=bool)
            S[0] = True
            S[list(rest)] = True
            cut = A[S][:, ~S].sum()
            vs = d[S].sum()
            best = min(best, cut / min(vs, vol - vs))
    return float(best)
