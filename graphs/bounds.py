"""Sensitivity bounds ``|d h_v^(L) / d x_u|`` of message-passing networks, and hop profiles.

Each model below is stated exactly, with the bound that holds for it at **every** pair of
nodes; all bounds are ``(M^L)[v, u]`` for a non-negative matrix ``M`` built from the graph,
computed by ``L`` sparse products (never a dense matrix power), for all nodes or for the
rows ``targets`` only. Messages flow along edges ``u -> v`` (row ``v`` aggregates from its
in-neighbours ``u``); an undirected graph sends them both ways. Weights are honoured.

- ``model="gcn"`` (Kipf and Welling): ``h' = sigma(Ahat h W)`` with
  ``Ahat = D~^(-1/2) (A + I) D~^(-1/2)``, ``|sigma'| <= alpha``, ``||W|| <= beta``:
  ``M = alpha beta Ahat``. This is the bound ``(alpha beta)^L Ahat^L`` of Topping et al.
  (2022), and for this model it holds at every distance.
- ``model="topping"``: the general MPNN of Topping et al. (2022), Eq. (1),
  ``h_i' = phi(h_i, sum_j Ahat_ij psi(h_i, h_j))`` with the partial Jacobians of ``phi``
  bounded by ``alpha`` and those of ``psi`` by ``beta``. The chain rule gives
  ``|d h_i'/d h_k| <= alpha [i = k] + alpha beta ([i = k] sum_j Ahat_ij + Ahat_ik)``, so
  ``M = alpha I + alpha beta (diag(Ahat 1) + Ahat)`` (derived here; tested against exact
  Jacobians). At distance exactly ``L`` only paths that move at every step reach, and
  ``(M^L)[v, u] = (alpha beta)^L (Ahat^L)[v, u]``: Lemma 1 of Topping et al., which holds
  at that distance only; at shorter distances the node's own state adds terms and the
  lemma's expression can be exceeded.
- ``model="mpnn"``: the MPNN of Di Giovanni et al. (2023),
  ``h_v' = sigma(c_r Omega h_v + c_a W sum_u S_vu psi(h_u))`` with ``|sigma'| <= c_sigma``,
  ``||Omega||, ||W|| <= w``, ``psi`` ``p``-Lipschitz, and ``S`` a graph shift operator:
  ``M = c_sigma w (c_r I + c_a p |S|)``. For ``p >= 1`` it is at most the bound
  ``(c_sigma w p)^L (c_r I + c_a S)^L`` of their Theorem 3.2. ``shift=`` chooses ``S``:
  ``"raw"`` (``A``), ``"sym"`` (``D^-1/2 A D^-1/2``), ``"rw"`` (``D^-1 A``) or a matrix.
"""

import numpy as np
import scipy.sparse as sps
from scipy.sparse.csgraph import shortest_path

from graphs.decorators import create_rng, not_implemented_for
from graphs.validate import (
    DEFAULT_MAX_MEMORY,
    InvalidTypeError,
    check_bool,
    check_choice,
    check_cost,
    check_positive_int,
    check_positive_real,
    to_numpy,
)

__all__ = ["jacobian_bound", "sensitivity_profile", "message_passing_matrix"]

MODELS = ("gcn", "topping", "mpnn")
SHIFTS = ("raw", "sym", "rw")


def _in_adjacency(g):
    """Row v, column u: the weight of the message u -> v."""
    A = g.adjacency
    return (A.T if g.directed else A).tocsr()


def _scale_rows_cols(A, left, right):
    return sps.diags_array(left) @ A @ sps.diags_array(right)


def _gcn_operator(Ain):
    n = Ain.shape[0]
    At = Ain + sps.eye_array(n)
    d = np.asarray(At.sum(axis=1)).ravel()
    s = 1.0 / np.sqrt(d)
    return _scale_rows_cols(At, s, s).tocsr()


def _shift_operator(g, Ain, shift):
    if isinstance(shift, str):
        check_choice(shift, "shift", SHIFTS)
        if shift == "raw":
            return Ain
        d = np.asarray(Ain.sum(axis=1)).ravel()
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
        if shift == "rw":
            return _scale_rows_cols(Ain, inv, np.ones(g.n)).tocsr()
        s = np.sqrt(inv)
        return _scale_rows_cols(Ain, s, s).tocsr()
    S = to_numpy(shift)
    if not (sps.issparse(S) or isinstance(S, (np.ndarray, list, tuple))):
        raise InvalidTypeError(f"shift must be 'raw', 'sym', 'rw' or an (n, n) matrix, got {shift!r}")
    try:
        S = sps.csr_array(S) if sps.issparse(S) else sps.csr_array(np.asarray(S, dtype=float))
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"shift must be a numeric (n, n) matrix ({exc})") from None
    if S.shape != (g.n, g.n):
        raise ValueError(f"shift must be 'raw', 'sym', 'rw' or an ({g.n}, {g.n}) matrix, got "
                         f"shape {S.shape}")
    if not np.isfinite(S.data).all():
        raise ValueError("shift has a non-finite entry")
    return abs(S)


def _operator(g, model, alpha, beta, c_r, c_a, c_sigma, w, p, shift):
    model = check_choice(model, "model", MODELS)
    Ain = _in_adjacency(g)
    n = g.n
    if model in ("gcn", "topping"):
        if g.selfloops.size:
            raise ValueError(f"model={model!r} adds its own self-loops (A + I); node "
                             f"{g.nodes[int(g.selfloops[0])]!r} already has one: remove the "
                             "self-loops, or use model='mpnn' with the shift you mean")
        alpha = check_positive_real(alpha, "alpha", allow_zero=True)
        beta = check_positive_real(beta, "beta", allow_zero=True)
        Ahat = _gcn_operator(Ain)
        if model == "gcn":
            return (alpha * beta) * Ahat
        rowsum = np.asarray(Ahat.sum(axis=1)).ravel()
        return (alpha * sps.eye_array(n) + alpha * beta * (sps.diags_array(rowsum) + Ahat)).tocsr()
    c_r = check_positive_real(c_r, "c_r", allow_zero=True)
    c_a = check_positive_real(c_a, "c_a", allow_zero=True)
    c_sigma = check_positive_real(c_sigma, "c_sigma", allow_zero=True)
    w = check_positive_real(w, "w", allow_zero=True)
    p = check_positive_real(p, "p", allow_zero=True)
    S = _shift_operator(g, Ain, shift)
    return (c_sigma * w * (c_r * sps.eye_array(n) + c_a * p * S)).tocsr()


@not_implemented_for("multigraph")
def message_passing_matrix(G, model="gcn", alpha=1.0, beta=1.0, c_r=1.0, c_a=1.0, c_sigma=1.0,
                           w=1.0, p=1.0, *, shift="raw", weight="weight", num_nodes=None,
                           edge_weight=None):
    """The one-layer bound ``M`` (sparse): ``|d h_v' / d h_u| <= M[v, u]`` for the chosen model.

    Parameters
    ----------
    G : graph-like (directed graphs send messages along their edges)
    model, alpha, beta, c_r, c_a, c_sigma, w, p, shift
        See the module docstring.
    weight, num_nodes, edge_weight
        Graph reading (:func:`graphs.convert.as_graph_data`).

    Returns
    -------
    scipy.sparse.csr_array, shape (n, n)
        Rows and columns in node order (``list(G)`` or ``0..n-1``).

    Raises
    ------
    ValueError
        For an unknown model or shift, negative or non-finite constants, or self-loops with
        ``model="gcn"``/``"topping"``.

    References
    ----------
    Topping et al. (2022), Lemma 1; Di Giovanni et al. (2023), Theorem 3.2.

    Examples
    --------
    >>> message_passing_matrix(nx.path_graph(2)).toarray().tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    return _operator(G, model, alpha, beta, c_r, c_a, c_sigma, w, p, shift)


def _propagate(M, L, cols, max_memory, max_seconds):
    """Columns ``cols`` of ``(M^T)^L``, i.e. rows ``cols`` of ``M^L``, as a dense (n, k) array."""
    n = M.shape[0]
    check_cost(16 * n * len(cols), max_memory, f"{len(cols)} rows of the bound over {n} nodes",
               "max_memory")
    # About 2 ns per multiply-add of a sparse-times-dense product on one core.
    check_cost(2e-9 * L * (M.nnz + n) * len(cols), max_seconds,
               f"num_layers={L} of sparse products on {n} nodes x {len(cols)} rows", "max_seconds",
               unit="s")
    Y = np.zeros((n, len(cols)))
    Y[cols, np.arange(len(cols))] = 1.0
    MT = M.T.tocsr()
    for _ in range(L):
        Y = MT @ Y
    return Y


@not_implemented_for("multigraph")
def jacobian_bound(G, num_layers, model="gcn", alpha=1.0, beta=1.0, c_r=1.0, c_a=1.0,
                   c_sigma=1.0, w=1.0, p=1.0, *, shift="raw", weight="weight", nodelist=None,
                   targets=None, num_nodes=None, edge_weight=None, max_memory=DEFAULT_MAX_MEMORY,
                   max_seconds=60.0):
    """Upper bounds on ``|d h_v^(L) / d x_u|``: ``out[v, u] = (M^L)[v, u]``, valid at every pair.

    Parameters
    ----------
    G : graph-like
        Undirected, or directed (messages flow along edges ``u -> v``). Weights are used
        in the aggregation. Multigraphs are refused.
    num_layers : int
        ``L``.
    model : {"gcn", "topping", "mpnn"}
        The message-passing model, see the module docstring: ``"gcn"`` for
        ``sigma(Ahat h W)`` (Topping et al.'s bound, valid at all pairs for this model),
        ``"topping"`` for Topping et al.'s general MPNN (their Lemma 1 at distance ``L``,
        extended to every distance), ``"mpnn"`` for Di Giovanni et al.'s model.
    alpha, beta : float
        ``"gcn"``/``"topping"`` Lipschitz constants (>= 0).
    c_r, c_a, c_sigma, w, p : float
        ``"mpnn"`` constants (>= 0).
    shift : {"raw", "sym", "rw"} or (n, n) matrix
        Graph shift operator ``S`` of ``"mpnn"`` (a matrix enters through ``|S|``).
    weight, num_nodes, edge_weight
        Graph reading.
    nodelist : list, optional
        Column order (every node once); also the row order when ``targets`` is None.
    targets : list of nodes, optional
        Compute only these rows (one sparse propagation per target: ``O(L m k)``).
    max_memory : int
        Refuse a result larger than this many bytes.
    max_seconds : float
        Refuse, before starting, a computation estimated to take longer.

    Returns
    -------
    ndarray, shape (len(targets) or n, n)
        Rows: ``targets`` (or ``nodelist``); columns: ``nodelist`` (default ``list(G)`` for
        networkx graphs, ``0..n-1`` otherwise).

    Raises
    ------
    ValueError
        On bad constants, model, shift, nodes, self-loops with ``"gcn"``/``"topping"``, or a
        result beyond ``max_memory``.

    References
    ----------
    Topping et al. (2022), Understanding over-squashing and bottlenecks on graphs via
    curvature, Lemma 1; Di Giovanni et al. (2023), On over-squashing in message passing
    neural networks, Theorem 3.2.

    Examples
    --------
    >>> J = jacobian_bound(nx.path_graph(3), 2)
    >>> np.round(J[0], 4).tolist()
    [0.4167, 0.3402, 0.1667]
    >>> J1 = jacobian_bound(nx.path_graph(3), 1, model="topping")   # the node's own state counts
    >>> round(float(J1[0, 0]), 4)   # 1 + (Ahat 1)_0 + Ahat_00 = 1 + (1/2 + 1/sqrt(6)) + 1/2
    2.4082
    """
    L = check_positive_int(num_layers, "num_layers")
    max_memory = check_positive_real(max_memory, "max_memory")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    order = G.order(nodelist)
    rows = order if targets is None else G.indices(_as_list(targets, "targets"), "targets")
    M = _operator(G, model, alpha, beta, c_r, c_a, c_sigma, w, p, shift)
    Y = _propagate(M, L, rows, max_memory, max_seconds)
    if not np.isfinite(Y).all():
        raise ValueError(f"the bound overflows float64 after num_layers={L} (constants too large: "
                         f"alpha={alpha!r}, beta={beta!r}, c_r={c_r!r}, c_a={c_a!r}, "
                         f"c_sigma={c_sigma!r}, w={w!r}, p={p!r})")
    return Y[order].T


def _as_list(x, name):
    x = to_numpy(x)
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise ValueError(f"{name} must be a sequence of nodes, got {x!r}")
    return list(x)


@not_implemented_for("multigraph")
def sensitivity_profile(G, num_layers, model="gcn", *, max_hops=None, jacobian=None,
                        num_samples=None, seed=None, normalize=True, weight="weight",
                        num_nodes=None, edge_weight=None, max_memory=DEFAULT_MAX_MEMORY,
                        **bound_options):
    """Sensitivity by hop distance, aggregated as PyG's ``total_influence`` aggregates Jacobians.

    For each sampled target ``v``: ``I_h(v) = sum_{u : d(u -> v) = h} J[v, u]`` for
    ``h = 0..max_hops``, where ``J`` is :func:`jacobian_bound` (or a measured Jacobian norm
    matrix passed as ``jacobian``) and ``d(u -> v)`` the hop distance along edge directions.
    Then, as in ``torch_geometric.utils.total_influence``: the mean over targets, divided
    by its hop-0 value when ``normalize``, and the influence-weighted receptive field
    ``R = mean_v sum_h h I_h(v) / sum_h I_h(v)``.

    Parameters
    ----------
    G : graph-like
    num_layers : int
    model : {"gcn", "topping", "mpnn"}
        Passed to :func:`jacobian_bound` with ``bound_options`` (its constants, ``shift``).
    max_hops : int, optional
        Largest hop distance (default ``num_layers``: no bound reaches further).
    jacobian : (n, n) array, optional
        Measured ``|d h_v / d x_u|`` (rows targets ``v``, columns sources ``u``, node order)
        to profile instead of the bound.
    num_samples : int, optional
        Number of random targets (default: every node); ``seed`` picks them.
    seed : None, int or numpy.random.Generator
    normalize : bool
    weight, num_nodes, edge_weight
        Graph reading.
    max_memory : int

    Returns
    -------
    dict
        ``per_hop`` (max_hops + 1,): mean influence by hop (normalised by hop 0 if asked);
        ``per_node`` (k, max_hops + 1): the un-normalised rows; ``receptive_field``: ``R``;
        ``targets``: the sampled nodes.

    Raises
    ------
    ValueError
        On bad arguments, a ``jacobian`` of the wrong shape or with negative or non-finite
        entries, or a hop-0 influence of 0 with ``normalize=True``.

    References
    ----------
    PyTorch Geometric, ``torch_geometric.utils.total_influence`` (per-hop Jacobian
    aggregation and influence-weighted receptive field); Topping et al. (2022), Lemma 1.

    Examples
    --------
    >>> r = sensitivity_profile(nx.path_graph(5), 2)
    >>> r["per_hop"].round(3).tolist(), round(r["receptive_field"], 3)
    ([1.0, 1.157, 0.394], 0.758)
    """
    L = check_positive_int(num_layers, "num_layers")
    H = L if max_hops is None else check_positive_int(max_hops, "max_hops", minimum=0)
    normalize = check_bool(normalize, "normalize")
    n = G.n
    if n == 0:
        raise ValueError("sensitivity_profile: the graph has no nodes")
    if num_samples is None:
        rows = np.arange(n)
    else:
        k = check_positive_int(num_samples, "num_samples", maximum=n)
        rows = np.sort(create_rng(seed).choice(n, size=k, replace=False))
    if jacobian is None:
        J = jacobian_bound(G, L, model, targets=[G.nodes[i] for i in rows],
                           max_memory=max_memory, **bound_options)
    else:
        if bound_options:
            raise ValueError(f"bound options {sorted(bound_options)} have no effect with jacobian=")
        Jfull = np.asarray(to_numpy(jacobian), dtype=float)
        if Jfull.shape != (n, n):
            raise ValueError(f"jacobian must have shape ({n}, {n}), got {Jfull.shape}")
        if not np.isfinite(Jfull).all() or (Jfull < 0).any():
            raise ValueError("jacobian must hold finite non-negative norms")
        J = Jfull[rows]
    check_cost(8 * len(rows) * (H + 1), max_memory, f"a per-hop table for max_hops={H}",
               "max_memory")
    # Hop distances d(u -> v) for each target v: breadth-first search on the reversed edges.
    D = shortest_path(sps.csr_array(_in_adjacency(G)), directed=True, unweighted=True,
                      indices=rows)
    near = D <= H
    slot = np.nonzero(near)[0] * (H + 1) + D[near].astype(np.int64)
    per_node = np.bincount(slot, weights=J[near], minlength=len(rows) * (H + 1))
    per_node = per_node.reshape(len(rows), H + 1)
    per_hop = per_node.mean(axis=0)
    if normalize:
        if per_hop[0] <= 0:
            raise ValueError("sensitivity_profile: the hop-0 influence is 0; use normalize=False")
        per_hop = per_hop / per_hop[0]
    tot = per_node.sum(axis=1)
    keep = tot > 0
    R = float((per_node[keep] @ np.arange(H + 1) / tot[keep]).mean()) if keep.any() else 0.0
    return {"per_hop": per_hop, "per_node": per_node, "receptive_field": R,
            "targets": [G.nodes[i] for i in rows]}
