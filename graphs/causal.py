"""Causal attention as directed graphs: one layer, or unrolled over layers; masks.

An attention matrix ``A`` (n x n, lower triangular, row-stochastic) is the weighted
directed graph with an edge ``j -> i`` of weight ``A[i, j]`` for every ``j <= i``
with ``A[i, j] > 0``: information flows from the attended token ``j`` into ``i``.
Unrolling ``L`` layers gives the layered DAG of Theorem 5.1/B.5, with nodes
``(layer, token)`` and, for the residual connection, the normalised weights
``abar = alpha / beta + delta`` of the theorem.
"""

import networkx as nx
import numpy as np

from graphs.validate import (
    check_attention_layers,
    check_attention_matrix,
    check_positive_int,
    check_positive_real,
)

__all__ = [
    "causal_graph",
    "attention_matrix",
    "unrolled_graph",
    "causal_mask",
    "sliding_window_mask",
    "layer_masks",
    "uniform_attention",
    "random_attention",
    "normalised_layers",
    "abar",
]


def causal_graph(attn, atol=1e-5):
    """One layer's attention matrix as an ``nx.DiGraph`` with edges ``j -> i`` for ``j <= i``.

    Parameters
    ----------
    attn : array_like or scipy sparse, shape (n, n)
        Lower-triangular, row-stochastic attention matrix (validated).
    atol : float
        Tolerance of the validation.

    Returns
    -------
    networkx.DiGraph
        Nodes ``0 .. n-1``; edge ``(j, i)`` has attribute ``weight = attn[i, j]``.
        Self-loops carry the attention of a token to itself.

    Raises
    ------
    ValueError
        If ``attn`` is not square, not causal, not row-stochastic or has
        negative or non-finite entries (the message names row and entry).

    Examples
    --------
    >>> G = causal_graph([[1.0, 0.0], [0.25, 0.75]])
    >>> sorted(G.edges(data="weight"))
    [(0, 0, 1.0), (0, 1, 0.25), (1, 1, 0.75)]
    """
    a = check_attention_matrix(attn, "attn", atol=atol)
    G = nx.DiGraph()
    G.add_nodes_from(range(a.shape[0]))
    rows, cols = np.nonzero(np.tril(a))
    G.add_weighted_edges_from((int(j), int(i), float(a[i, j])) for i, j in zip(rows, cols))
    return G


def attention_matrix(G, n=None):
    """Inverse of :func:`causal_graph`: the matrix ``A[i, j] = weight(j -> i)``.

    Examples
    --------
    >>> attention_matrix(causal_graph([[1.0, 0.0], [0.5, 0.5]])).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    if not isinstance(G, nx.DiGraph):
        raise ValueError("G must be a networkx.DiGraph built by causal_graph")
    n = G.number_of_nodes() if n is None else check_positive_int(n, "n")
    a = np.zeros((n, n))
    for j, i, w in G.edges(data="weight", default=1.0):
        a[i, j] = w
    return a


def causal_mask(n):
    """Full causal mask: ``M[i, j] = True`` iff ``j <= i``.

    Examples
    --------
    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    n = check_positive_int(n, "n")
    return np.tril(np.ones((n, n), dtype=bool))


def sliding_window_mask(n, window):
    """Sliding-window causal mask of width ``window``: ``i - window < j <= i``.

    ``window`` counts the token itself, as in Gemma 2/3 and Mistral (a query sees
    itself and the ``window - 1`` tokens before it).

    Examples
    --------
    >>> sliding_window_mask(4, 2).astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    """
    n = check_positive_int(n, "n")
    window = check_positive_int(window, "window")
    i = np.arange(n)
    d = i[:, None] - i[None, :]
    return (d >= 0) & (d < window)


def layer_masks(n, num_layers, windows=None):
    """Per-layer masks; ``windows`` is None (all global), an int, or a list (None = global).

    Gemma 3 interleaves five sliding-window layers (width 512) with one global layer:
    ``windows=[512, 512, 512, 512, 512, None] * 3``.

    Examples
    --------
    >>> [int(m.sum()) for m in layer_masks(4, 2, [2, None])]
    [7, 10]
    """
    num_layers = check_positive_int(num_layers, "num_layers")
    if windows is None or isinstance(windows, (int, np.integer)):
        windows = [windows] * num_layers
    windows = list(windows)
    if len(windows) != num_layers:
        raise ValueError(f"windows has {len(windows)} entries, num_layers is {num_layers}")
    return [causal_mask(n) if w is None else sliding_window_mask(n, w) for w in windows]


def uniform_attention(mask):
    """Row-normalised 0/1 mask: uniform attention over the allowed keys.

    Examples
    --------
    >>> uniform_attention(causal_mask(2)).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    m = np.asarray(mask, dtype=float)
    s = m.sum(axis=1, keepdims=True)
    if (s == 0).any():
        raise ValueError(f"mask row {int(np.argmax(s[:, 0] == 0))} allows no key")
    return m / s


def random_attention(n, rng=None, mask=None, temperature=1.0):
    """Softmax attention with Gaussian logits restricted to ``mask`` (default causal).

    Examples
    --------
    >>> a = random_attention(5, np.random.default_rng(0))
    >>> bool(np.allclose(a.sum(axis=1), 1) and np.allclose(np.triu(a, 1), 0))
    True
    """
    n = check_positive_int(n, "n")
    rng = np.random.default_rng(rng)
    temperature = check_positive_real(temperature, "temperature")
    mask = causal_mask(n) if mask is None else np.asarray(mask, dtype=bool)
    logits = np.where(mask, rng.normal(size=(n, n)) / temperature, -np.inf)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


NORMALISATIONS = ("proof", "statement", "main")


def abar(attended, identity, beta1=1.0, beta2=1.0, normalisation="proof"):
    """Combine an attention term with the residual (identity) term as Theorem B.5 does.

    ``attended`` is ``alpha`` (or ``r @ alpha``) and ``identity`` is ``I`` (or ``r``), so the
    same rule builds the matrices ``Abar`` and applies them to a row vector without
    forming them. See :func:`normalised_layers` for the three normalisations.

    Examples
    --------
    >>> abar(np.array([0.5]), np.array([1.0]), beta1=2.0, normalisation="statement").tolist()
    [0.75]
    """
    if normalisation == "proof":
        return attended / beta1 + identity
    if normalisation == "statement":
        return (attended + identity) / beta1
    if normalisation == "main":
        return attended / beta2 + identity
    raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")


def normalised_layers(attns, beta1=1.0, beta2=1.0, normalisation="proof", atol=1e-5):
    """The matrices ``Abar^(l)`` of Theorem 5.1/B.5 for each layer.

    The paper normalises in three ways (recorded as an erratum of check B.5):

    - ``"proof"`` (Appendix B.2, proof of B.5): ``abar = alpha / beta1 + delta``;
    - ``"statement"`` (statement of B.5): ``abar = (alpha + delta) / beta``, with
      ``beta = beta1``;
    - ``"main"`` (Theorem 5.1): ``abar = alpha / beta2 + delta``.

    Examples
    --------
    >>> normalised_layers([np.eye(2)], beta1=2.0)[0].tolist()
    [[1.5, 0.0], [0.0, 1.5]]
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    beta1 = check_positive_real(beta1, "beta1")
    beta2 = check_positive_real(beta2, "beta2")
    eye = np.eye(layers[0].shape[0])
    return [abar(a, eye, beta1, beta2, normalisation) for a in layers]


def unrolled_graph(attns, beta1=1.0, beta2=1.0, normalisation="proof", residual=True, atol=1e-5):
    """The layered DAG of Theorem B.5: nodes ``(layer, token)``, edges ``(l, j) -> (l+1, i)``.

    Parameters
    ----------
    attns : sequence of (n, n) arrays
        Per-layer causal attention matrices (layer 0 first).
    beta1, beta2, normalisation
        See :func:`normalised_layers`.
    residual : bool
        Include the residual (identity) term in the weights; ``False`` keeps the bare
        attention weights (the graph of attention rollout without residuals).

    Returns
    -------
    networkx.DiGraph
        ``weight`` on each edge is the normalised coefficient.

    Examples
    --------
    >>> G = unrolled_graph([[[1.0, 0.0], [0.5, 0.5]]] * 2)
    >>> G.number_of_nodes(), G.number_of_edges()
    (6, 6)
    >>> G[(0, 1)][(1, 1)]["weight"]
    1.5
    """
    layers = check_attention_layers(attns, "attns", atol=atol)
    mats = normalised_layers(layers, beta1, beta2, normalisation, atol) if residual else layers
    n = layers[0].shape[0]
    G = nx.DiGraph()
    G.add_nodes_from((ell, t) for ell in range(len(mats) + 1) for t in range(n))
    for ell, m in enumerate(mats):
        rows, cols = np.nonzero(np.tril(m))
        G.add_weighted_edges_from(((ell, int(j)), (ell + 1, int(i)), float(m[i, j]))
                                  for i, j in zip(rows, cols))
    return G
