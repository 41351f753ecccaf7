"""The attention formats people already hold, read as causal attention matrices.

Every function of this package that takes attention accepts, as they are:

- one ``(n, n)`` matrix, or a list of them (one per layer, layer 0 first);
- a stacked array ``(layers, n, n)``;
- a TransformerLens-style stack ``(layers, heads, n, n)``, or ``(layers, batch, heads, n, n)``
  (``cache.stack_activation("pattern")``);
- a HuggingFace ``output_attentions`` tuple: one ``(batch, heads, n, n)`` tensor per layer;
- numpy arrays or tensors (anything with ``.detach().cpu().numpy()``; torch is never
  imported, and bf16 tensors are widened to float32 on the tensor side first).

Functions that take a single matrix (``attn``) read a 2-D matrix, ``(heads, n, n)`` or
``(batch, heads, n, n)``, or a sequence holding exactly one layer.

When the input has a head axis with more than one head, the head reduction must be chosen
(nothing is averaged silently), with ``heads=``:

- ``"mean"``: the average over heads (still causal and row-stochastic);
- ``"max"``: the entrywise maximum over heads, each row then divided by its sum so that the
  hypotheses of the theorems (row-stochastic) still hold;
- an int ``h``: head ``h`` alone;
- ``"each"``: the function runs once per head and its results are stacked along a new
  leading axis (arrays stacked, dict values stacked key by key, other results in a list).

A batch axis must have size 1 unless ``batch=`` picks one sequence.
"""

import functools
import inspect
import numbers

import numpy as np

from graphs.validate import (
    DEFAULT_ATOL,
    InvalidTypeError,
    check_atol,
    check_bool,
    check_attention_matrix,
    check_index,
    to_numpy,
)

__all__ = ["HEAD_REDUCTIONS", "attention_layers", "attention_input"]

HEAD_REDUCTIONS = ("mean", "max", "each")


class AttentionLayers(list):
    """Layers already read and validated (with tolerance ``atol``): not read twice."""

    def __init__(self, layers, atol):
        super().__init__(layers)
        self.atol = atol


def _check_heads(heads):
    if heads is None or isinstance(heads, str) and heads in HEAD_REDUCTIONS:
        return heads
    if isinstance(heads, numbers.Integral) and not isinstance(heads, (bool, np.bool_)):
        return int(heads)
    listed = ", ".join(repr(h) for h in HEAD_REDUCTIONS)
    raise (InvalidTypeError if not isinstance(heads, str) else ValueError)(
        f"heads must be None, {listed} or an int head index; got {heads!r}")


def _select_batch(x, batch, where):
    """``x`` has a leading batch axis: keep one sequence."""
    size = x.shape[0]
    if batch is None:
        if size != 1:
            raise ValueError(f"{where} has batch size {size}; pass batch= to pick one sequence")
        return x[0]
    return x[check_index(batch, "batch", size)]


def _numeric(x, where):
    x = to_numpy(x)
    if isinstance(x, (str, bytes)):
        raise InvalidTypeError(f"{where} must be a numeric array, got a string")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{where} must be a numeric array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise InvalidTypeError(f"{where} must be a numeric array, got dtype {arr.dtype}")
    return arr


def _one_layer(x, where, batch):
    """A layer as (heads, n, n), or (1, n, n) without a head axis, and whether it had one."""
    if x.ndim == 2:
        return x[None], False
    if x.ndim == 3:
        return x, True
    if x.ndim == 4:
        return _select_batch(x, batch, where), True
    raise ValueError(f"{where} must be (n, n), (heads, n, n) or (batch, heads, n, n); got shape "
                     f"{x.shape}")


def _split_layers(attns, name, batch, single):
    """A list of (heads, n, n) arrays, one per layer, and whether a head axis was present."""
    attns = to_numpy(attns)
    if isinstance(attns, (list, tuple)):
        elems = [to_numpy(a) for a in attns]
        if elems and all(isinstance(e, np.ndarray) and e.ndim >= 2 for e in elems):
            # A sequence of per-layer arrays or tensors (a HuggingFace tuple, a list of layers).
            if single and len(elems) != 1:
                raise ValueError(f"{name} holds {len(elems)} layers; pass one layer")
            out = [_one_layer(_numeric(e, f"{name} layer {ell}"), f"{name} layer {ell}", batch)
                   for ell, e in enumerate(elems)]
            return [m for m, _ in out], any(has for _, has in out)
    elif isinstance(attns, (str, bytes, dict, set)) or not hasattr(attns, "__len__"):
        raise InvalidTypeError(f"{name} must be an attention matrix or a sequence of them, got "
                               f"{type(attns).__name__}")
    arr = _numeric(attns, name)  # an array, or nested lists of numbers
    if single:
        m, has = _one_layer(arr, name, batch)
        return [m], has
    if arr.ndim == 2:
        return [arr[None]], False
    if arr.ndim == 3:
        return [a[None] for a in arr], False
    if arr.ndim == 4:
        return list(arr), True
    if arr.ndim == 5:
        return [_select_batch(a, batch, f"{name} layer {ell}") for ell, a in enumerate(arr)], True
    raise ValueError(f"{name} must have shape (n, n), (layers, n, n), (layers, heads, n, n) or "
                     f"(layers, batch, heads, n, n); got {arr.shape}")


def _reduce(m, heads, where):
    """(heads, n, n) -> list of (n, n) float64 matrices (one, or one per head)."""
    h = m.shape[0]
    if heads == "each":
        return [np.asarray(m[k], dtype=np.float64) for k in range(h)]
    if isinstance(heads, int):
        return [np.asarray(m[check_index(heads, "heads", h)], dtype=np.float64)]
    if h == 1:
        return [np.asarray(m[0], dtype=np.float64)]
    if heads == "mean":
        return [m.mean(axis=0, dtype=np.float64)]
    if heads == "max":
        mx = m.max(axis=0).astype(np.float64)
        sums = mx.sum(axis=1, keepdims=True)
        if (sums <= 0).any() or not np.isfinite(sums).all():
            i = int(np.argmax((sums[:, 0] <= 0) | ~np.isfinite(sums[:, 0])))
            raise ValueError(f"{where}: row {i} of the max over heads sums to {sums[i, 0]!r}")
        return [mx / sums]
    raise ValueError(f"{where} has {h} heads; choose heads='mean', 'max', an int head index or "
                     "'each' (no head reduction is applied silently)")


def attention_layers(attns, name="attns", heads=None, batch=None, atol=DEFAULT_ATOL, single=False,
                     validate=True):
    """Read attention in any supported format as validated causal attention matrices.

    Parameters
    ----------
    attns : matrix, sequence of matrices, stacked array or HF tuple (see the module docstring)
    name : str
        Argument name used in error messages.
    heads : None, "mean", "max", "each" or int
        Head reduction; required when the input has more than one head.
    batch : int, optional
        Which sequence of a batch axis; required when the batch size exceeds 1.
    atol : float
        Tolerance of the validation (:func:`graphs.validate.check_attention_matrix`).
    single : bool
        Read one layer (the ``attn`` argument of single-matrix functions).
    validate : bool
        Check every layer (:func:`graphs.validate.check_attention_matrix`). ``False`` only
        converts and checks shapes, for a caller that validates in its own pass over the
        matrices (:func:`graphs.paths.last_token_sensitivity` does, block by block, while
        it multiplies).

    Returns
    -------
    list
        One entry per head (a single entry unless ``heads="each"``); each entry is the list
        of validated ``(n, n)`` float64 layers, or, with ``single=True``, one matrix.

    Raises
    ------
    ValueError
        On malformed shapes, a missing head or batch choice, or a layer that is not causal
        attention (naming the layer, head, row and entry).
    InvalidTypeError
        On non-numeric input or a ``heads`` of the wrong type.

    References
    ----------
    Wolf et al. (2020), HuggingFace Transformers (``output_attentions``); Nanda and Bloom
    (2022), TransformerLens (``ActivationCache.stack_activation``).

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> hf = tuple(np.stack([A, np.eye(2)])[None] for _ in range(3))   # 3 layers, 2 heads
    >>> [len(layers) for layers in attention_layers(hf, heads="each")]
    [3, 3]
    >>> attention_layers(hf, heads="mean")[0][0].tolist()
    [[1.0, 0.0], [0.25, 0.75]]
    """
    heads = _check_heads(heads)
    atol = check_atol(atol)
    single = check_bool(single, "single")
    validate = check_bool(validate, "validate")
    if isinstance(attns, AttentionLayers) and attns.atol <= atol and heads in (None, "mean", "max"):
        return [attns[0] if single else attns]
    layers, had_heads = _split_layers(attns, name, batch, single)
    if not had_heads and isinstance(heads, int):
        raise ValueError(f"heads={heads} selects a head, but {name} has no head axis")
    per_head = None
    for ell, m in enumerate(layers):
        where = name if single else f"{name} layer {ell}"
        mats = _reduce(m, heads, where)
        if per_head is None:
            per_head = [[] for _ in mats]
        for k, a in enumerate(mats):
            label = f"{where} head {k}" if heads == "each" and len(mats) > 1 else where
            per_head[k].append(check_attention_matrix(a, name=label, atol=atol) if validate
                               else _square_float(a, label))
    for k, lay in enumerate(per_head):
        for ell, a in enumerate(lay):
            if a.shape != lay[0].shape:
                raise ValueError(f"{name} layer {ell} has shape {a.shape}, but layer 0 has shape "
                                 f"{lay[0].shape}")
    if single:
        return [lay[0] for lay in per_head]
    return [AttentionLayers(lay, atol) if validate else lay for lay in per_head]


def _square_float(matrix, where):
    """``matrix`` as a float64 square array (no content check: the caller validates it)."""
    a = to_numpy(matrix)
    a = np.asarray(a.toarray() if hasattr(a, "toarray") else a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"{where} must be a non-empty square matrix, got shape {a.shape}")
    return a


def _stack(results):
    first = results[0]
    if all(isinstance(r, np.ndarray) for r in results):
        return np.stack(results)
    if all(isinstance(r, dict) for r in results):
        return {k: _stack([r[k] for r in results]) for k in first}
    if all(isinstance(r, numbers.Real) and not isinstance(r, bool) for r in results):
        return np.array(results, dtype=float)
    return list(results)


def attention_input(argname="attns", single=False, validate=True):
    """Decorator: read the argument ``argname`` with :func:`attention_layers`.

    The decorated function must have ``heads``, ``batch`` and ``atol`` keyword arguments;
    it receives the validated layers (or matrix, with ``single=True``). With
    ``heads="each"`` it runs once per head and the results are stacked on a new leading
    axis.

    Parameters
    ----------
    argname : str
        The attention argument.
    single : bool
        The function takes one matrix rather than a list of layers.
    validate : bool
        Validate the layers before the call; ``False`` for a function that validates in
        its own pass (it receives an :class:`AttentionLayers` when the input was already
        validated, a plain list otherwise).

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        At decoration time if the function lacks ``argname``, ``heads``, ``batch`` or ``atol``.

    References
    ----------
    See :func:`attention_layers`.

    Examples
    --------
    >>> @attention_input("attn", single=True)
    ... def first_diagonal(attn, heads=None, batch=None, atol=1e-5):
    ...     return float(attn[0, 0])
    >>> first_diagonal(np.eye(2)[None].repeat(3, 0), heads="each").tolist()
    [1.0, 1.0, 1.0]
    """
    def decorator(func):
        sig = inspect.signature(func)
        missing = {argname, "heads", "batch", "atol"} - set(sig.parameters)
        if missing:
            raise ValueError(f"{func.__name__} lacks the argument(s) {sorted(missing)}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            a = bound.arguments
            per_head = attention_layers(a[argname], argname, a["heads"], a["batch"], a["atol"],
                                        single, validate)
            results = []
            for layers in per_head:
                a[argname] = layers
                results.append(func(*bound.args, **bound.kwargs))
            return _stack(results) if a["heads"] == "each" else results[0]

        return wrapper

    return decorator
