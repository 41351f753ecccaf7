"""Causal attention as directed graphs: one layer, or unrolled over layers; masks.

An attention matrix ``A`` (n x n, lower triangular, row-stochastic) is the weighted
directed graph with an edge ``j -> i`` of weight ``A[i, j]`` for every ``j <= i``
with ``A[i, j] > 0``: information flows from the attended token ``j`` into ``i``.
Unrolling ``L`` layers gives the layered DAG of Theorem 5.1/B.5, with nodes
``(layer, token)`` and, for the residual connection, the normalised weights
``abar = alpha / beta + delta`` of the theorem.

Attention arguments accept every format of :mod:`graphs.attention` (HF tuples,
TransformerLens stacks, lists of matrices) with ``heads=`` and ``batch=``.
"""

import networkx as nx
import numpy as np

from graphs.attention import attention_input
from graphs.decorators import np_random_state
from graphs.validate import (
    DEFAULT_ATOL,
    DEFAULT_MAX_MEMORY,
    InvalidTypeError,
    check_attention_matrix,
    check_bool,
    check_choice,
    check_cost,
    check_finite_array,
    check_positive_int,
    check_positive_real,
    to_numpy,
)

__all__ = [
    "causal_graph",
    "attention_matrix",
    "unrolled_graph",
    "causal_mask",
    "sliding_window_mask",
    "layer_masks",
    "uniform_attention",
    "masked_softmax",
    "random_attention",
    "residual_attention",
    "normalised_layers",
    "abar",
]

NORMALISATIONS = ("proof", "statement", "main")


def _check_size(n, max_memory, what, bytes_per_entry=8, copies=1):
    """``n`` as a sequence length whose n x n arrays fit ``max_memory``."""
    n = check_positive_int(n, "n")
    max_memory = check_positive_real(max_memory, "max_memory")
    check_cost(copies * bytes_per_entry * n * n, max_memory, f"{what} for n = {n}", "max_memory")
    return n


@attention_input("attn", single=True)
def causal_graph(attn, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """One layer's attention matrix as an ``nx.DiGraph`` with edges ``j -> i`` for ``j <= i``.

    Parameters
    ----------
    attn : attention, one layer
        ``(n, n)`` lower-triangular, row-stochastic matrix, or one layer in any format of
        :mod:`graphs.attention` (validated).
    atol : float
        Tolerance of the validation, in ``[0, 0.1]``.
    heads, batch
        Head reduction and batch index (:mod:`graphs.attention`); ``heads="each"`` gives
        a list of graphs, one per head.

    Returns
    -------
    networkx.DiGraph
        Nodes ``0 .. n-1`` (token positions); edge ``(j, i)`` has attribute
        ``weight = attn[i, j]``. Self-loops carry the attention of a token to itself.

    Raises
    ------
    ValueError
        If ``attn`` is not square, not causal, not row-stochastic or has
        negative or non-finite entries (the message names row and entry).

    References
    ----------
    Barbero et al. (2024), Section 5, p. 8: causal attention as a graph (Figure 1 (b), p. 2).

    Examples
    --------
    >>> G = causal_graph([[1.0, 0.0], [0.25, 0.75]])
    >>> sorted(G.edges(data="weight"))
    [(0, 0, 1.0), (0, 1, 0.25), (1, 1, 0.75)]
    """
    G = nx.DiGraph()
    G.add_nodes_from(range(attn.shape[0]))
    rows, cols = np.nonzero(np.tril(attn))
    G.add_weighted_edges_from((int(j), int(i), float(attn[i, j])) for i, j in zip(rows, cols))
    return G


def attention_matrix(G, n=None, atol=DEFAULT_ATOL):
    """Inverse of :func:`causal_graph`: the matrix ``A[i, j] = weight(j -> i)``.

    Parameters
    ----------
    G : networkx.DiGraph
        Nodes are integer token positions ``0 .. n-1``; edge ``(j, i)`` carries ``weight``
        (default 1).
    n : int, optional
        Size of the matrix (default: the number of nodes).
    atol : float
        Tolerance of the validation of the result.

    Returns
    -------
    ndarray, shape (n, n)
        Rows and columns in token order ``0 .. n-1``; a causal attention matrix.

    Raises
    ------
    ValueError
        If ``G`` is not a DiGraph, has a node that is not an integer in ``[0, n)``, an
        edge pointing to an earlier token (not causal), a non-finite weight, or weights
        that do not make a row-stochastic matrix.

    References
    ----------
    Barbero et al. (2024), Section 5, p. 8.

    Examples
    --------
    >>> attention_matrix(causal_graph([[1.0, 0.0], [0.5, 0.5]])).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    if not isinstance(G, nx.DiGraph):
        raise InvalidTypeError(f"G must be a networkx.DiGraph built by causal_graph, got "
                               f"{type(G).__name__}")
    n = G.number_of_nodes() if n is None else check_positive_int(n, "n")
    for v in G:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < n:
            raise ValueError(f"G: node {v!r} is not a token position in [0, {n})")
    a = np.zeros((n, n))
    for j, i, w in G.edges(data="weight", default=1.0):
        if j > i:
            raise ValueError(f"G: edge ({j}, {i}) goes from a later token to an earlier one "
                             "(not causal)")
        if isinstance(w, bool) or not np.isfinite(w):
            raise ValueError(f"G: edge ({j}, {i}) has weight {w!r}, not a finite real")
        a[i, j] = w
    return check_attention_matrix(a, "G", atol=atol)


def causal_mask(n, *, max_memory=DEFAULT_MAX_MEMORY):
    """Full causal mask: ``M[i, j] = True`` iff ``j <= i``.

    Parameters
    ----------
    n : int
        Sequence length.
    max_memory : int
        Refuse an ``n x n`` mask above this many bytes.

    Returns
    -------
    ndarray of bool, shape (n, n)

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1; CostLimitError above ``max_memory``.

    References
    ----------
    Barbero et al. (2024), Section 2, p. 3: the causal mask of decoder-only Transformers.

    Examples
    --------
    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    n = _check_size(n, max_memory, "a causal mask", bytes_per_entry=2)
    return np.tril(np.ones((n, n), dtype=bool))


def sliding_window_mask(n, window, *, max_memory=DEFAULT_MAX_MEMORY):
    """Sliding-window causal mask of width ``window``: ``i - window < j <= i``.

    ``window`` counts the token itself, as in Gemma 2/3 and Mistral (a query sees
    itself and the ``window - 1`` tokens before it).

    Parameters
    ----------
    n : int
        Sequence length.
    window : int
        Window width, >= 1.
    max_memory : int
        Refuse an ``n x n`` mask (and its temporaries) above this many bytes.

    Returns
    -------
    ndarray of bool, shape (n, n)

    Raises
    ------
    ValueError
        If ``n`` or ``window`` is not an integer >= 1; CostLimitError above ``max_memory``.

    References
    ----------
    Barbero et al. (2024), Appendix C.6: local sliding-window attention.

    Examples
    --------
    >>> sliding_window_mask(4, 2).astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    """
    n = _check_size(n, max_memory, "a sliding-window mask", copies=2)
    window = check_positive_int(window, "window")
    i = np.arange(n)
    d = i[:, None] - i[None, :]
    return (d >= 0) & (d < window)


def _check_windows(windows, num_layers):
    """``None`` (all global), one int, or a list of per-layer widths (``None`` = global)."""
    if windows is None or isinstance(windows, (int, np.integer)) and not isinstance(windows, bool):
        windows = [windows] * num_layers  # callers bound num_layers first
    elif isinstance(windows, (str, bytes, bool, float)) or not hasattr(windows, "__iter__"):
        raise InvalidTypeError(f"windows must be None, an int or a list of ints/None, got "
                               f"{windows!r}")
    windows = list(windows)
    if len(windows) != num_layers:
        raise ValueError(f"windows has {len(windows)} entries, num_layers is {num_layers}")
    return [None if w is None else check_positive_int(w, f"windows[{k}]")
            for k, w in enumerate(windows)]


def layer_masks(n, num_layers, windows=None, *, max_memory=DEFAULT_MAX_MEMORY):
    """Per-layer masks; ``windows`` is None (all global), an int, or a list (None = global).

    Gemma 3 interleaves five sliding-window layers (width 512) with one global layer:
    ``windows=[512, 512, 512, 512, 512, None] * 3``.

    Parameters
    ----------
    n : int
        Sequence length.
    num_layers : int
    windows : None, int or list of (int or None)
    max_memory : int
        Refuse masks whose total size exceeds this many bytes.

    Returns
    -------
    list of ndarray of bool, each (n, n)

    Raises
    ------
    ValueError
        If the list length differs from ``num_layers`` or a width is not an integer >= 1.

    References
    ----------
    Barbero et al. (2024), Appendix C.6.

    Examples
    --------
    >>> [int(m.sum()) for m in layer_masks(4, 2, [2, None])]
    [7, 10]
    """
    num_layers = check_positive_int(num_layers, "num_layers")
    n = _check_size(n, max_memory, f"num_layers={num_layers} masks", copies=num_layers)
    return [causal_mask(n) if w is None else sliding_window_mask(n, w)
            for w in _check_windows(windows, num_layers)]


def _check_mask(mask, name="mask"):
    mask = to_numpy(mask)
    m = np.asarray(mask)
    if m.dtype != bool:
        if m.dtype.kind not in "iuf" or not np.isin(m, (0, 1)).all():
            raise InvalidTypeError(f"{name} must be a boolean (or 0/1) matrix, got dtype "
                                   f"{m.dtype}")
        m = m.astype(bool)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {m.shape}")
    if not m.any(axis=1).all():
        raise ValueError(f"{name} row {int(np.argmin(m.any(axis=1)))} allows no key")
    return m


def uniform_attention(mask):
    """Row-normalised 0/1 mask: uniform attention over the allowed keys.

    Parameters
    ----------
    mask : array_like of bool (or 0/1), shape (n, n)

    Returns
    -------
    ndarray, shape (n, n)
        Row ``i`` is uniform over the keys ``j`` with ``mask[i, j]``.

    Raises
    ------
    ValueError
        If the mask is not square, not boolean, or a row allows no key.

    References
    ----------
    Barbero et al. (2024), Proposition 5.2, p. 9: equal attention coefficients.

    Examples
    --------
    >>> uniform_attention(causal_mask(2)).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    m = _check_mask(mask).astype(float)
    return m / m.sum(axis=1, keepdims=True)


def masked_softmax(logits, mask=None, axis=-1):
    """Softmax of ``logits`` along ``axis`` over the entries where ``mask`` is True.

    Masked entries get probability exactly 0; the maximum is subtracted first so that
    large logits do not overflow.

    Parameters
    ----------
    logits : array_like of real numbers
    mask : array_like of bool, optional
        Broadcastable to ``logits``; default: nothing masked. Every slice along ``axis``
        must keep at least one entry.
    axis : int

    Returns
    -------
    ndarray of float64, the shape of ``logits``

    Raises
    ------
    ValueError
        On non-finite logits, a mask that does not broadcast, an axis out of range, or a
        slice with every entry masked.

    References
    ----------
    Vaswani et al. (2017), Attention is all you need: masked scaled dot-product attention;
    Barbero et al. (2024), Section 2, p. 3.

    Examples
    --------
    >>> masked_softmax([[0.0, 5.0], [0.0, 0.0]], causal_mask(2)).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    x = check_finite_array(logits, "logits")
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension, got a scalar")
    axis = check_positive_int(axis, "axis", minimum=-x.ndim, maximum=x.ndim - 1)
    if mask is None:
        keep = np.ones(x.shape, dtype=bool)
    else:
        try:
            keep = np.broadcast_to(np.asarray(to_numpy(mask), dtype=bool), x.shape)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"mask must be a boolean array broadcastable to logits {x.shape} "
                             f"({exc})") from None
    if not keep.any(axis=axis).all():
        raise ValueError("mask leaves a softmax slice with no entry")
    z = np.where(keep, x, -np.inf)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@np_random_state("rng")
def random_attention(n, rng=None, mask=None, temperature=1.0, *, max_memory=DEFAULT_MAX_MEMORY):
    """Softmax attention with Gaussian logits restricted to ``mask`` (default causal).

    Parameters
    ----------
    n : int
        Sequence length.
    rng : None, int or numpy.random.Generator
        The package's seed convention (:func:`graphs.decorators.create_rng`).
    mask : array_like of bool, shape (n, n), optional
        Allowed keys (default :func:`causal_mask`).
    temperature : float
        Logits are standard normal divided by ``temperature`` (> 0).
    max_memory : int
        Refuse above this many bytes of ``n x n`` arrays.

    Returns
    -------
    ndarray, shape (n, n)
        A causal (if the mask is), row-stochastic matrix.

    Raises
    ------
    ValueError
        On a bad ``n``, ``temperature``, seed or mask.

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16: any causal attention pattern.

    Examples
    --------
    >>> a = random_attention(5, 0)
    >>> bool(np.allclose(a.sum(axis=1), 1) and np.allclose(np.triu(a, 1), 0))
    True
    """
    n = _check_size(n, max_memory, "random attention", copies=4)
    temperature = check_positive_real(temperature, "temperature")
    mask = causal_mask(n) if mask is None else _check_mask(mask)
    if mask.shape != (n, n):
        raise ValueError(f"mask must have shape ({n}, {n}), got {mask.shape}")
    return masked_softmax(rng.normal(size=(n, n)) / temperature, mask)


def half_residual(a):
    """``(A + I) / 2`` of an already validated matrix: the one place this is written."""
    out = a * 0.5
    out[np.diag_indices_from(out)] += 0.5
    return out


@attention_input("attn", single=True)
def residual_attention(attn, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """``(A + I) / 2``: attention averaged with the residual stream.

    It is the residual-augmented attention of attention rollout and attention flow
    (Abnar and Zuidema 2020: ``A + I`` with rows renormalised, which for a row-stochastic
    ``A`` is ``(A + I) / 2``) and the lazy walk ``(Lambda + I) / 2`` of Proposition B.8
    (:func:`graphs.spectral.lazy_walk`).

    Parameters
    ----------
    attn : attention, one layer (any format of :mod:`graphs.attention`)
    atol : float
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    ndarray, shape (n, n)
        Causal and row-stochastic.

    Raises
    ------
    ValueError
        If ``attn`` is not a causal attention matrix.

    References
    ----------
    Abnar and Zuidema (2020), Quantifying attention flow in Transformers, Section 3;
    Barbero et al. (2024), Proposition B.8, p. 18.

    Examples
    --------
    >>> residual_attention(np.array([[1.0, 0.0], [1.0, 0.0]])).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    return half_residual(attn)


def abar(attended, identity, beta1=1.0, beta2=1.0, normalisation="proof"):
    """Combine an attention term with the residual (identity) term as Theorem B.5 does.

    ``attended`` is ``alpha`` (or ``r @ alpha``) and ``identity`` is ``I`` (or ``r``), so the
    same rule builds the matrices ``Abar`` and applies them to a row vector without
    forming them. See :func:`normalised_layers` for the three normalisations.

    Parameters
    ----------
    attended, identity : ndarray of the same shape
    beta1, beta2 : float
        The layer-norm factors (> 0).
    normalisation : {"proof", "statement", "main"}

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        On an unknown normalisation, a non-positive beta, non-finite or mismatched arrays.

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16 (statement and proof) and Theorem 5.1, p. 8.

    Examples
    --------
    >>> abar(np.array([0.5]), np.array([1.0]), beta1=2.0, normalisation="statement").tolist()
    [0.75]
    """
    check_choice(normalisation, "normalisation", NORMALISATIONS)
    beta1 = check_positive_real(beta1, "beta1")
    beta2 = check_positive_real(beta2, "beta2")
    attended = check_finite_array(attended, "attended")
    identity = check_finite_array(identity, "identity")
    if attended.shape != identity.shape:
        raise ValueError(f"attended and identity must have the same shape, got {attended.shape} "
                         f"and {identity.shape}")
    if normalisation == "proof":
        out = attended / beta1 + identity
    elif normalisation == "statement":
        out = (attended + identity) / beta1
    else:
        out = attended / beta2 + identity
    if not np.isfinite(out).all():
        raise ValueError(f"abar overflows float64 with beta1={beta1!r}, beta2={beta2!r}")
    return out


@attention_input("attns")
def normalised_layers(attns, beta1=1.0, beta2=1.0, normalisation="proof", atol=DEFAULT_ATOL, *,
                      heads=None, batch=None):
    """The matrices ``Abar^(l)`` of Theorem 5.1/B.5 for each layer.

    The paper normalises in three ways (recorded as an erratum of check B.5):

    - ``"proof"`` (Appendix B.2, proof of B.5): ``abar = alpha / beta1 + delta``;
    - ``"statement"`` (statement of B.5): ``abar = (alpha + delta) / beta``, with
      ``beta = beta1``;
    - ``"main"`` (Theorem 5.1): ``abar = alpha / beta2 + delta``.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
    beta1, beta2 : float
    normalisation : {"proof", "statement", "main"}
    atol : float
        Tolerance of the validation.
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    list of ndarray, each (n, n), rows and columns in token order

    Raises
    ------
    ValueError
        On invalid attention, an unknown normalisation or a non-positive beta.

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16, and Theorem 5.1, p. 8.

    Examples
    --------
    >>> normalised_layers([np.eye(2)], beta1=2.0)[0].tolist()
    [[1.5, 0.0], [0.0, 1.5]]
    """
    check_choice(normalisation, "normalisation", NORMALISATIONS)
    eye = np.eye(attns[0].shape[0])
    return [abar(a, eye, beta1, beta2, normalisation) for a in attns]


@attention_input("attns")
def unrolled_graph(attns, beta1=1.0, beta2=1.0, normalisation="proof", residual=True,
                   atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """The layered DAG of Theorem B.5: nodes ``(layer, token)``, edges ``(l, j) -> (l+1, i)``.

    Parameters
    ----------
    attns : attention, any format of :mod:`graphs.attention`
        Per-layer causal attention matrices (layer 0 first).
    beta1, beta2, normalisation
        See :func:`normalised_layers`.
    residual : bool
        Include the residual (identity) term in the weights; ``False`` keeps the bare
        attention weights (the graph of attention rollout without residuals).
    atol : float
    heads, batch
        Head reduction and batch index (``heads="each"``: one graph per head, in a list).

    Returns
    -------
    networkx.DiGraph
        ``weight`` on each edge is the normalised coefficient.

    Raises
    ------
    ValueError
        On invalid attention or parameters.

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16; Figure 1 (b), p. 2.

    Examples
    --------
    >>> G = unrolled_graph([[[1.0, 0.0], [0.5, 0.5]]] * 2)
    >>> G.number_of_nodes(), G.number_of_edges()
    (6, 6)
    >>> G[(0, 1)][(1, 1)]["weight"]
    1.5
    """
    residual = check_bool(residual, "residual")
    mats = normalised_layers(attns, beta1, beta2, normalisation, atol) if residual else attns
    n = attns[0].shape[0]
    G = nx.DiGraph()
    G.add_nodes_from((ell, t) for ell in range(len(mats) + 1) for t in range(n))
    for ell, m in enumerate(mats):
        rows, cols = np.nonzero(np.tril(m))
        G.add_weighted_edges_from(((ell, int(j)), (ell + 1, int(i)), float(m[i, j]))
                                  for i, j in zip(rows, cols))
    return G
