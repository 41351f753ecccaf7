"""Over-squashing utilities for message-passing GNNs, and their causal-attention counterparts.

This module gathers, under the names earlier versions exported, the GNN side of the
package; the implementations live in one module per topic:

- graph input (:mod:`graphs.convert`): :func:`as_graph`, :func:`from_edge_index`;
- sensitivity bounds (:mod:`graphs.bounds`): :func:`jacobian_bound`,
  :func:`sensitivity_profile`;
- resistance and random walks (:mod:`graphs.resistance`): :func:`effective_resistance`,
  :func:`kirchhoff_index`, :func:`commute_times`, :func:`hitting_times`;
- curvature (:mod:`graphs.curvature`): :func:`balanced_forman_curvature`,
  :func:`augmented_forman_curvature`, :func:`ollivier_ricci_curvature`;
- expansion (:mod:`graphs.expansion`): :func:`spectral_gap`, :func:`cheeger_bounds`,
  :func:`cheeger_constant`;
- rewiring (:mod:`graphs.rewiring`): :func:`sdrf`, :func:`fosr`,
  :func:`greedy_resistance_rewiring`;

and :func:`compare_decay`, the last node's sensitivity on a causal-attention graph beside
GNN graphs of the same size.
"""

import math

import networkx as nx
import numpy as np

from graphs.bounds import jacobian_bound, sensitivity_profile
from graphs.convert import as_graph, from_edge_index
from graphs.curvature import (
    augmented_forman_curvature,
    balanced_forman_curvature,
    ollivier_ricci_curvature,
)
from graphs.expansion import cheeger_bounds, cheeger_constant, spectral_gap
from graphs.resistance import commute_times, effective_resistance, hitting_times, kirchhoff_index
from graphs.rewiring import fosr, greedy_resistance_rewiring, sdrf
from graphs.validate import (
    DEFAULT_ATOL,
    DEFAULT_MAX_MEMORY,
    check_cost,
    check_positive_int,
    check_positive_real,
)

__all__ = [
    "as_graph",
    "from_edge_index",
    "jacobian_bound",
    "sensitivity_profile",
    "effective_resistance",
    "kirchhoff_index",
    "commute_times",
    "hitting_times",
    "balanced_forman_curvature",
    "augmented_forman_curvature",
    "ollivier_ricci_curvature",
    "spectral_gap",
    "cheeger_bounds",
    "cheeger_constant",
    "sdrf",
    "fosr",
    "greedy_resistance_rewiring",
    "compare_decay",
]


def _tree(n):
    return nx.balanced_tree(2, max(1, math.ceil(math.log2(n + 1)) - 1)).subgraph(range(n)).copy()


def _grid(n):
    side = max(2, int(round(math.sqrt(n))))
    return nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))


def compare_decay(n=64, num_layers=8, attn=None, *, atol=DEFAULT_ATOL, heads=None, batch=None,
                  max_memory=DEFAULT_MAX_MEMORY, max_seconds=60.0):
    """The last node's sensitivity to every node: causal attention beside GNN graphs of the same size.

    Causal: :func:`graphs.paths.last_token_sensitivity` with ``attn`` (default uniform
    causal attention) at every layer, normalised to sum 1. GNNs: the last node's row
    of :func:`jacobian_bound` (GCN normalisation) for a path, a ring, a balanced binary
    tree and a square grid with about ``n`` nodes, normalised to sum 1. "Last node" is
    the highest-numbered node (for the path, an end; for the tree, a leaf).

    Parameters
    ----------
    n : int
        Number of tokens (>= 4); ``attn`` must be ``n x n`` when given.
    num_layers : int
    attn : attention, one layer, optional
        Any one-layer format of :mod:`graphs.attention`, repeated at every layer.
    atol, heads, batch
        Validation tolerance, head reduction and batch index of ``attn``.
    max_memory : int
        Refuse an ``n`` whose ``n x n`` arrays exceed this many bytes.
    max_seconds : float
        Refuse ``num_layers`` products of ``n x n`` matrices estimated to take longer.

    Returns
    -------
    dict
        ``{name: {"nodes": int, "profile": ndarray, "distance": ndarray (hops, or n-1-i
        for the causal graph), "min_over_max": float}}``; profiles in node order.

    Raises
    ------
    ValueError
        On bad ``n``, ``num_layers`` or ``attn`` (including a size other than ``n``).

    References
    ----------
    Barbero et al. (2024), Section 5, p. 8 (Theorem 5.1) beside Topping et al. (2022),
    Lemma 1.

    Examples
    --------
    >>> r = compare_decay(16, 4)
    >>> sorted(r)
    ['causal', 'grid', 'path', 'ring', 'tree']
    """
    from graphs.attention import attention_layers
    from graphs.causal import _check_size, causal_mask, uniform_attention
    from graphs.paths import last_token_sensitivity

    n = check_positive_int(n, "n", minimum=4)
    L = check_positive_int(num_layers, "num_layers")
    _check_size(n, max_memory, "compare_decay's n x n attention and bounds", copies=6)
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    check_cost(5e-9 * L * n * n, max_seconds, f"num_layers={L} on n={n} tokens", "max_seconds", unit="s")
    if attn is None:
        A = uniform_attention(causal_mask(n))
    else:
        A = attention_layers(attn, "attn", heads, batch, atol, single=True)[0]
        if A.shape != (n, n):
            raise ValueError(f"attn has shape {A.shape}, but n = {n}")
    s = last_token_sensitivity([A] * L, atol=atol)
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
