"""Attention flow (Abnar and Zuidema 2020): max-flow from each input token to an output token.

The flow network is the unrolled graph with capacities ``(A^(l) + I)/2`` (the
residual-augmented, row-normalised attention that attention rollout also uses).
:func:`attention_flow` solves it with ``scipy.sparse.csgraph.maximum_flow``, which
needs 32-bit integer capacities: each capacity ``c <= 1`` becomes ``floor(c * scale)``
with ``scale <= 2**31 - 1`` (larger scales would overflow and are refused). Flooring
lowers every capacity by less than ``1/scale``, so the computed value ``F`` satisfies
``F_true - k/scale < F <= F_true`` where ``k`` is the number of edges of a minimum cut
(at most the edge count); the bound is returned with the flows.

Flows are returned as values (``normalize=False``, the default) or, as in the authors'
pipeline, divided by their sum over input tokens (``normalize=True``), with the error
bound carried through.
:func:`attention_flow_networkx` is the reference (networkx Edmonds-Karp on float
capacities, as in the authors' code), used by the tests and the benchmark.
"""

import networkx as nx
import numpy as np
import scipy.sparse as sps
from scipy.sparse.csgraph import maximum_flow

from graphs.attention import attention_input
from graphs.causal import half_residual
from graphs.validate import DEFAULT_ATOL, check_bool, check_index, check_positive_int

__all__ = ["attention_flow", "attention_flow_networkx", "flow_network"]

#: Largest scale whose capacities and flows fit scipy's int32 (every capacity is <= 1).
MAX_SCALE = 2**31 - 1


def _capacity_edges(layers):
    """(from, to, capacity) of the flow network, nodes numbered ``layer * n + token``."""
    n = layers[0].shape[0]
    for ell, a in enumerate(layers):
        cap = half_residual(a)
        i, j = np.nonzero(np.tril(cap))
        yield ell * n + j, (ell + 1) * n + i, cap[i, j]


@attention_input("attns")
def flow_network(attns, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """Capacities of the flow network as a CSR matrix over nodes ``layer * n + token``.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
    atol : float
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    scipy.sparse.csr_array, shape ((L + 1) n, (L + 1) n)
        Entry ``[l n + j, (l + 1) n + i]`` is ``((A^(l) + I)/2)[i, j]``.

    Raises
    ------
    ValueError
        On invalid attention.

    References
    ----------
    Abnar and Zuidema (2020), Quantifying attention flow in Transformers, Section 3.

    Examples
    --------
    >>> C = flow_network([np.array([[1.0, 0.0], [0.5, 0.5]])])
    >>> C.shape, C.nnz
    ((4, 4), 3)
    """
    rows, cols, vals = zip(*_capacity_edges(attns))
    N = (len(attns) + 1) * attns[0].shape[0]
    return sps.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(N, N))


def _normalised(flows, bound):
    """Flows divided by their sum, with the error bound carried through.

    With ``f_i <= F_i <= f_i + e`` and ``S = sum f``: ``|f_i / S - F_i / sum F| <= n e / S``.
    """
    total = flows.sum()
    if total <= 0:
        raise ValueError("attention_flow: every flow is 0, nothing to normalise")
    return flows / total, max(1, flows.size) * bound / total


@attention_input("attns")
def attention_flow(attns, target=-1, scale=10**9, atol=DEFAULT_ATOL, *, normalize=False,
                   heads=None, batch=None):
    """Attention flow from every input token to the output token ``target``.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
        Causal attention matrices, layer 0 first.
    target : int
        Output token (default: the last; negative values count from the end).
    scale : int
        Capacities are ``floor(capacity * scale)``, ``1 <= scale <= 2**31 - 1`` (scipy's
        max-flow uses 32-bit integers); see the module docstring for the error.
    atol : float
    normalize : bool
        Divide the flows by their sum, as the authors' pipeline does.
    heads, batch
        Head reduction and batch index (``heads="each"``: every value gets a head axis).

    Returns
    -------
    dict
        ``flow`` (n,): max-flow value from ``(0, i)`` to ``(L, target)`` in token order
        (0 for ``i > target``); ``error_bound``: an upper bound on ``|flow_true - flow|``
        (``edges / scale``, carried through the normalisation); ``scale``; ``normalized``.

    Raises
    ------
    ValueError
        On invalid attention, a ``target`` out of range, a ``scale`` that is not an
        integer in ``[1, 2**31 - 1]``, or ``normalize=True`` with all flows 0.

    References
    ----------
    Abnar and Zuidema (2020), Quantifying attention flow in Transformers, Section 3.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> r = attention_flow([A, A])
    >>> np.round(r["flow"], 6).tolist()
    [0.5, 0.75]
    >>> np.round(attention_flow([A, A], normalize=True)["flow"], 6).tolist()
    [0.4, 0.6]
    """
    scale = check_positive_int(scale, "scale", maximum=MAX_SCALE)
    normalize = check_bool(normalize, "normalize")
    n = attns[0].shape[0]
    t = check_index(target, "target", n)
    C = flow_network(attns, atol)
    sink = len(attns) * n + t
    Ci = C.copy()
    Ci.data = np.floor(Ci.data * scale)
    # scipy adds flows in 32-bit integers: every capacity, and the flow into the sink (at most
    # the sink's in-capacity), must fit. Capacities are <= 1 + atol / 2, so this only binds
    # for scales near 2**31.
    peak = max(Ci.data.max(), Ci[:, [sink]].sum())
    if peak > MAX_SCALE:
        raise ValueError(f"scale={scale} overflows scipy's 32-bit capacities for this network "
                         f"(largest integer capacity or flow {peak:.0f} > 2**31 - 1); use "
                         f"scale <= {int(MAX_SCALE * scale // peak)}")
    Ci.data = Ci.data.astype(np.int32)
    Ci.eliminate_zeros()
    flows = np.zeros(n)
    for i in range(t + 1):
        flows[i] = maximum_flow(Ci, i, sink, method="dinic").flow_value / scale
    bound = C.nnz / scale
    if normalize:
        flows, bound = _normalised(flows, bound)
    return {"flow": flows, "error_bound": bound, "scale": scale, "normalized": normalize}


@attention_input("attns")
def attention_flow_networkx(attns, target=-1, atol=DEFAULT_ATOL, *, normalize=False, heads=None,
                            batch=None):
    """Reference: the same flows with networkx's Edmonds-Karp on float capacities.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
    target : int
    atol : float
    normalize : bool
        Divide the flows by their sum.
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    ndarray, shape (n,)
        In token order.

    Raises
    ------
    ValueError
        On invalid attention or ``target``.

    References
    ----------
    Abnar and Zuidema (2020), Quantifying attention flow in Transformers, Section 3.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> np.round(attention_flow_networkx([A, A]), 6).tolist()
    [0.5, 0.75]
    """
    normalize = check_bool(normalize, "normalize")
    n = attns[0].shape[0]
    t = check_index(target, "target", n)
    G = nx.DiGraph()
    for rows, cols, caps in _capacity_edges(attns):
        G.add_edges_from((int(u), int(v), {"capacity": float(c)})
                         for u, v, c in zip(rows, cols, caps))
    out = np.zeros(n)
    sink = len(attns) * n + t
    for i in range(t + 1):
        out[i] = nx.maximum_flow_value(G, i, sink, flow_func=nx.algorithms.flow.edmonds_karp)
    return _normalised(out, 0.0)[0] if normalize else out
