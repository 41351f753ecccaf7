"""Attention flow (Abnar and Zuidema 2020): max-flow from each input token to an output token.

The flow network is the unrolled graph with capacities ``(A^(l) + I)/2`` (the
residual-augmented, row-normalised attention that attention rollout also uses).
:func:`attention_flow` solves it with ``scipy.sparse.csgraph.maximum_flow``, which
needs integer capacities: each capacity ``c`` becomes ``floor(c * scale)``. Flooring
lowers every capacity by less than ``1/scale``, so the computed value ``F`` satisfies
``F_true - k/scale < F <= F_true`` where ``k`` is the number of edges of a minimum cut
(at most the edge count); the bound is returned with the flows.
:func:`attention_flow_networkx` is the reference (networkx Edmonds-Karp on float
capacities, as in the authors' code), used by the tests and the benchmark.
"""

import networkx as nx
import numpy as np
import scipy.sparse as sps
from scipy.sparse.csgraph import maximum_flow

from graphs.validate import check_attention_layers, check_positive_int

__all__ = ["attention_flow", "attention_flow_networkx", "flow_network"]


def flow_network(attns, atol=1e-5):
    """Capacities of the flow network as a CSR matrix over nodes ``layer * n + token``.

    Examples
    --------
    >>> C = flow_network([np.array([[1.0, 0.0], [0.5, 0.5]])])
    >>> C.shape, C.nnz
    ((4, 4), 3)
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    n = layers[0].shape[0]
    rows, cols, vals = [], [], []
    for ell, a in enumerate(layers):
        cap = (a + np.eye(n)) / 2
        i, j = np.nonzero(np.tril(cap))
        rows.append(ell * n + j)          # from (ell, j)
        cols.append((ell + 1) * n + i)    # to (ell + 1, i)
        vals.append(cap[i, j])
    N = (len(layers) + 1) * n
    return sps.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(N, N))


def attention_flow(attns, target=-1, scale=10**9, atol=1e-5):
    """Attention flow from every input token to the output token ``target``.

    Parameters
    ----------
    attns : sequence of (n, n) causal attention matrices, layer 0 first
    target : int
        Output token (default: the last).
    scale : int
        Capacities are ``floor(capacity * scale)``; see the module docstring for the error.

    Returns
    -------
    dict
        ``flow`` (n,): max-flow value from ``(0, i)`` to ``(L, target)``;
        ``error_bound``: ``edges / scale``, an upper bound on ``flow_true - flow``.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> r = attention_flow([A, A])
    >>> np.round(r["flow"], 6).tolist()
    [0.5, 0.75]
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    scale = check_positive_int(scale, "scale")
    n = layers[0].shape[0]
    t = range(n)[target]
    C = flow_network(layers, atol)
    Ci = C.copy()
    Ci.data = np.floor(Ci.data * scale).astype(np.int64)
    Ci.eliminate_zeros()
    Ci = Ci.astype(np.int32) if Ci.data.size == 0 or Ci.data.max() < 2**31 else Ci
    sink = len(layers) * n + t
    flows = np.zeros(n)
    for i in range(t + 1):
        flows[i] = maximum_flow(Ci, i, sink, method="dinic").flow_value / scale
    return {"flow": flows, "error_bound": C.nnz / scale, "scale": scale}


def attention_flow_networkx(attns, target=-1, atol=1e-5):
    """Reference: the same flows with networkx's Edmonds-Karp on float capacities.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> np.round(attention_flow_networkx([A, A]), 6).tolist()
    [0.5, 0.75]
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    n = layers[0].shape[0]
    t = range(n)[target]
    G = nx.DiGraph()
    for ell, a in enumerate(layers):
        cap = (a + np.eye(n)) / 2
        for i, j in zip(*np.nonzero(np.tril(cap))):
            G.add_edge((ell, int(j)), (ell + 1, int(i)), capacity=float(cap[i, j]))
    out = np.zeros(n)
    for i in range(t + 1):
        out[i] = nx.maximum_flow_value(G, (0, i), (len(layers), t),
                                       flow_func=nx.algorithms.flow.edmonds_karp)
    return out
