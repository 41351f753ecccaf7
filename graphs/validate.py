"""Input checks shared by every public function of ``graphs`` and ``theory``.

Every check raises an error whose message names the argument and, for arrays, the
offending layer, row or entry and the tolerance that was used, so that a command-line
front end can print it as one line:

- a value of the wrong *type* (a float where an integer is needed, a string where a
  bool is needed) raises :class:`InvalidTypeError`, which is both a ``TypeError`` and a
  ``ValueError`` (callers written against the older ValueError-only contract keep working);
- a value of the right type but outside its range raises ``ValueError``;
- a computation whose size would exceed a stated limit raises :class:`CostLimitError`
  (a ``ValueError``) naming the limit and the keyword that raises it.

Tensor-like inputs (anything with ``.detach().cpu().numpy()``, such as torch tensors) are
converted by duck typing; this package never imports torch.
"""

import math
import numbers

import numpy as np

__all__ = [
    "InvalidTypeError",
    "CostLimitError",
    "check_positive_int",
    "check_positive_real",
    "check_real",
    "check_bool",
    "check_index",
    "check_finite_array",
    "check_choice",
    "check_same_length",
    "check_atol",
    "check_cost",
    "check_attention_matrix",
    "check_attention_rows",
    "row_block",
    "check_attention_layers",
    "as_dense_array",
    "to_numpy",
]

#: Default tolerance for row sums and above-diagonal mass (fp32 softmax rounding).
DEFAULT_ATOL = 1e-5
#: Largest tolerance accepted for attention matrices: beyond it matrices that are not
#: row-stochastic or not causal would pass, and every guarantee resting on those
#: hypotheses would be void.
MAX_ATOL = 0.1
#: Default cap on the memory of one dense result or work array (bytes), see check_cost.
DEFAULT_MAX_MEMORY = 4 * 2**30


class InvalidTypeError(TypeError, ValueError):
    """An argument of the wrong type; both a ``TypeError`` and a ``ValueError``."""


class CostLimitError(ValueError):
    """A computation refused before it starts because its estimated cost exceeds a limit."""


def to_numpy(obj):
    """Return ``obj`` as a numpy object if it is tensor-like (torch, JAX...), else unchanged.

    Only objects with ``detach``, ``cpu`` and ``numpy`` methods are converted (duck typing:
    torch is never imported). Low-precision tensors (bf16) are widened on the tensor side
    first when they offer ``float()``, since numpy has no bfloat16.

    Parameters
    ----------
    obj : object

    Returns
    -------
    object
        A numpy array for tensor-like input, else ``obj`` itself.

    Raises
    ------
    None

    References
    ----------
    PyTorch, ``Tensor.detach``, ``Tensor.cpu``, ``Tensor.numpy``: the interface relied on.

    Examples
    --------
    >>> to_numpy([1, 2])
    [1, 2]
    """
    if all(hasattr(obj, attr) for attr in ("detach", "cpu", "numpy")):
        t = obj.detach().cpu()
        try:
            return t.numpy()
        except TypeError:  # e.g. torch.bfloat16 has no numpy dtype
            return t.float().numpy()
    return obj


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_positive_int(value, name, minimum=1, maximum=None):
    """Return ``value`` as an int in ``[minimum, maximum]``, or raise naming ``name``.

    Floats (even integral ones such as ``2.0``), strings and bools are rejected with
    :class:`InvalidTypeError`; integers out of range with ``ValueError``.

    Parameters
    ----------
    value : int
    name : str
        Argument name used in the message.
    minimum, maximum : int, optional
        Inclusive bounds (``maximum=None``: unbounded).

    Returns
    -------
    int

    Raises
    ------
    InvalidTypeError
        If ``value`` is not an integer.
    ValueError
        If it is out of range.

    References
    ----------
    PEP 3141, ``numbers.Integral`` (numpy integers qualify, bools do not).

    Examples
    --------
    >>> check_positive_int(3, "n")
    3
    >>> check_positive_int(0, "n")
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1, got 0
    >>> check_positive_int(2.0, "n")
    Traceback (most recent call last):
    ...
    graphs.validate.InvalidTypeError: n must be an integer >= 1, got 2.0 (float)
    """
    bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if not _is_integer(value):
        raise InvalidTypeError(f"{name} must be an integer {bound}, got {value!r} "
                               f"({type(value).__name__})")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")
    return int(value)


def check_real(value, name, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a finite float in the given interval, or raise naming ``name``.

    Parameters
    ----------
    value : real number (not bool, not str)
    name : str
    low, high : float, optional
        Bounds; ``None`` is unbounded.
    low_open, high_open : bool
        Exclude the bound itself.

    Returns
    -------
    float

    Raises
    ------
    InvalidTypeError
        If ``value`` is not a real number.
    ValueError
        If it is NaN, infinite or out of range.

    References
    ----------
    PEP 3141, ``numbers.Real``; IEEE 754 (NaN and infinities are refused).

    Examples
    --------
    >>> check_real(0.5, "alpha", 0, 1, high_open=True)
    0.5
    >>> check_real(1.0, "alpha", 0, 1, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be a finite real in [0, 1), got 1.0
    """
    lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
    hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
    what = f"a finite real in {lo}, {hi}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    v = float(value)
    bad = not math.isfinite(v)
    bad = bad or (low is not None and (v < low or (low_open and v == low)))
    bad = bad or (high is not None and (v > high or (high_open and v == high)))
    if bad:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return v


def check_positive_real(value, name, allow_zero=False, maximum=None):
    """Return ``value`` as a finite float ``> 0`` (or ``>= 0``), or raise naming ``name``.

    Parameters
    ----------
    value : real number
    name : str
    allow_zero : bool
    maximum : float, optional
        Inclusive upper bound.

    Returns
    -------
    float

    Raises
    ------
    InvalidTypeError
        If ``value`` is not a real number (bools and strings included).
    ValueError
        If it is NaN, infinite, negative, zero (unless ``allow_zero``) or above ``maximum``.

    References
    ----------
    PEP 3141, ``numbers.Real``; IEEE 754.

    Examples
    --------
    >>> check_positive_real(0.5, "eps")
    0.5
    >>> check_positive_real(float("nan"), "eps")
    Traceback (most recent call last):
    ...
    ValueError: eps must be a finite real > 0, got nan
    """
    bound = ">= 0" if allow_zero else "> 0"
    if maximum is not None:
        bound += f" and <= {maximum:g}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a finite real {bound}, got {value!r} "
                               f"({type(value).__name__})")
    v = float(value)
    if (not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero)
            or (maximum is not None and v > maximum)):
        raise ValueError(f"{name} must be a finite real {bound}, got {value!r}")
    return v


def check_bool(value, name):
    """Return ``value`` if it is a bool (Python or numpy); strings such as ``"False"`` are refused.

    Parameters
    ----------
    value : bool
    name : str

    Returns
    -------
    bool

    Raises
    ------
    InvalidTypeError
        For anything but ``True``/``False`` (1, ``"False"``, None...).

    References
    ----------
    Issue 14 of this project: truthy strings counted as True.

    Examples
    --------
    >>> check_bool(True, "residual")
    True
    >>> check_bool("False", "residual")
    Traceback (most recent call last):
    ...
    graphs.validate.InvalidTypeError: residual must be True or False, got 'False' (str)
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be True or False, got {value!r} "
                               f"({type(value).__name__})")
    return bool(value)


def check_index(value, name, size):
    """Return ``value`` as a non-negative index into a sequence of length ``size``.

    Negative values count from the end, as in Python.

    Parameters
    ----------
    value : int
    name : str
    size : int
        Length of the sequence.

    Returns
    -------
    int
        In ``[0, size)``.

    Raises
    ------
    InvalidTypeError
        If ``value`` is not an integer.
    ValueError
        If it is outside ``[-size, size)``.

    References
    ----------
    Python language reference, subscriptions (negative indices).

    Examples
    --------
    >>> check_index(-1, "target", 4)
    3
    >>> check_index(4, "target", 4)
    Traceback (most recent call last):
    ...
    ValueError: target must be an integer in [-4, 3], got 4
    """
    v = check_positive_int(value, name, minimum=-size, maximum=size - 1)
    return v % size


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise naming the allowed set.

    Parameters
    ----------
    value : str or number
    name : str
    choices : tuple
        The allowed values; a value must equal one and be of the same kind (``True`` does
        not pass for ``1``).

    Returns
    -------
    The value.

    Raises
    ------
    InvalidTypeError
        For values that are not strings or numbers.
    ValueError
        For values outside ``choices`` (misspellings never fall back to a default).

    References
    ----------
    Issue 14 of this project: a misspelt option silently used the default.

    Examples
    --------
    >>> check_choice("rope", "encoding", ("rope", "alibi"))
    'rope'
    >>> check_choice("xpos", "encoding", ("rope", "alibi"))
    Traceback (most recent call last):
    ...
    ValueError: encoding must be one of 'rope', 'alibi'; got 'xpos'
    """
    listed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, (str, numbers.Number, type(None))):
        raise InvalidTypeError(f"{name} must be one of {listed}; got {type(value).__name__} "
                               f"{value!r}")
    # Same kind as the choice: True must not pass for 1, nor 1 for True.
    if not any(value == c and (type(value) is type(c) or isinstance(value, str) and isinstance(c, str))
               for c in choices):
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_atol(value, name="atol"):
    """Return a validation tolerance: a finite real in ``[0, MAX_ATOL]``.

    ``nan`` and ``inf`` are refused (they would switch every comparison off), and so is
    anything above :data:`MAX_ATOL`, which would accept matrices that are not attention.

    Parameters
    ----------
    value : float
    name : str

    Returns
    -------
    float

    Raises
    ------
    InvalidTypeError, ValueError
        As :func:`check_positive_real`.

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16: row-stochastic causal attention.

    Examples
    --------
    >>> check_atol(1e-4)
    0.0001
    >>> check_atol(float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: atol must be a finite real >= 0 and <= 0.1, got inf
    """
    return check_positive_real(value, name, allow_zero=True, maximum=MAX_ATOL)


def check_cost(amount, limit, what, keyword, unit="bytes"):
    """Refuse a computation whose estimated ``amount`` exceeds ``limit``.

    The message names what would be computed, its estimated size, the limit and the
    keyword argument that raises it.

    Parameters
    ----------
    amount, limit : float
        Estimated cost and the allowed maximum.
    what : str
        What would be computed.
    keyword : str
        The keyword argument that raises the limit.
    unit : str
        ``"bytes"`` (printed in GiB), ``"s"`` (an estimated time) or any other unit name.

    Returns
    -------
    None

    Raises
    ------
    CostLimitError

    References
    ----------
    Issue 14 of this project: estimate the cost before starting and refuse with the limit.

    Examples
    --------
    >>> check_cost(10, 100, "a table", "max_memory")
    >>> check_cost(8 * 10**10, 2**32, "an n x n float64 matrix for n = 100000", "max_memory")
    Traceback (most recent call last):
    ...
    graphs.validate.CostLimitError: an n x n float64 matrix for n = 100000 needs about 74.5 GiB, more than max_memory=4 GiB; pass a larger max_memory= to compute it anyway
    """
    if amount <= limit:
        return
    if unit == "bytes":
        size, cap = f"{amount / 2**30:.3g} GiB", f"{limit / 2**30:.3g} GiB"
    elif unit == "s":
        size, cap = f"{amount:.3g} s (estimated)", f"{limit:g} s"
    else:
        size, cap = f"{amount:.3g} {unit}", f"{limit:.3g} {unit}"
    raise CostLimitError(f"{what} needs about {size}, more than {keyword}={cap}; pass a "
                         f"larger {keyword}= to compute it anyway")


def check_finite_array(values, name, ndim=None, dtype=float):
    """Return ``values`` as a numpy array with only finite entries.

    Parameters
    ----------
    values : array_like or tensor
    name : str
    ndim : int, optional
        Required number of dimensions.
    dtype : numpy dtype

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        Naming ``name`` and the first non-finite index, a wrong ``ndim`` or an empty array.
    InvalidTypeError
        For non-numeric input (strings, objects).

    References
    ----------
    NumPy, ``numpy.isfinite``.

    Examples
    --------
    >>> check_finite_array([1.0, 2.0], "x").tolist()
    [1.0, 2.0]
    >>> check_finite_array([1.0, float("inf")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x has a non-finite entry at index (1,): inf
    """
    values = to_numpy(values)
    if isinstance(values, (str, bytes)):
        raise InvalidTypeError(f"{name} must be an array of real numbers, got a string")
    try:
        arr = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTypeError(f"{name} must be an array of real numbers ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} has a non-finite entry at index {idx}: {arr[idx]}")
    return arr


def check_same_length(a, b, name_a, name_b):
    """Raise ValueError unless ``len(a) == len(b)``.

    Parameters
    ----------
    a, b : sized
    name_a, name_b : str

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming both arguments and their lengths.

    References
    ----------
    Python data model, ``__len__``.

    Examples
    --------
    >>> check_same_length([1, 2], [1], "x", "x_star")
    Traceback (most recent call last):
    ...
    ValueError: x and x_star must have the same length, got 2 and 1
    """
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}"
        )


def as_dense_array(matrix, name):
    """Convert a numpy array, scipy sparse matrix or tensor to a finite dense 2-D float64 array.

    Parameters
    ----------
    matrix : array_like, scipy sparse matrix or tensor
    name : str

    Returns
    -------
    ndarray, 2-D, float64

    Raises
    ------
    ValueError, InvalidTypeError
        As :func:`check_finite_array`.

    References
    ----------
    SciPy, ``scipy.sparse`` (``toarray``).

    Examples
    --------
    >>> as_dense_array([[1, 0], [0, 1]], "M").dtype
    dtype('float64')
    """
    matrix = to_numpy(matrix)
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return check_finite_array(matrix, name, ndim=2)


def _as_float_matrix(matrix, where):
    matrix = to_numpy(matrix)
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    if isinstance(matrix, (str, bytes)):
        raise InvalidTypeError(f"{where} must be a numeric matrix, got a string")
    try:
        return np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTypeError(f"{where} must be a numeric matrix ({exc})") from None


def _first(mask):
    return tuple(int(v) for v in np.argwhere(mask)[0])


def check_attention_matrix(matrix, name="attn", layer=None, atol=DEFAULT_ATOL):
    """Check that ``matrix`` is a causal attention matrix and return it as float64.

    A causal attention matrix is square, non-negative, lower triangular (no mass
    above the diagonal beyond ``atol``) and row-stochastic (each row sums to 1
    within ``atol``): the hypotheses of Lemmas B.6, B.7 and Theorem B.5.

    Parameters
    ----------
    matrix : array_like, scipy sparse matrix or tensor, shape (n, n)
    name : str
        Argument name used in error messages.
    layer : int, optional
        Layer index used in error messages.
    atol : float
        Tolerance for the row sums and for mass above the diagonal, in ``[0, 0.1]``.

    Returns
    -------
    ndarray, shape (n, n), float64

    Raises
    ------
    ValueError
        Naming the argument, the layer, the row and the entry at fault.

    References
    ----------
    Barbero et al. (2024), Lemma B.6 and Theorem B.5 (Appendix B.2): the hypotheses on
    the attention coefficients.

    Examples
    --------
    >>> check_attention_matrix([[1.0, 0.0], [0.5, 0.5]]).shape
    (2, 2)
    >>> check_attention_matrix([[0.5, 0.5], [0.5, 0.5]])
    Traceback (most recent call last):
    ...
    ValueError: attn: entry (0, 1) above the diagonal is 0.5 > atol=1e-05 (not causal)
    """
    atol = check_atol(atol)
    where = f"{name}" if layer is None else f"{name} layer {layer}"
    a = _as_float_matrix(matrix, where)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{where} must be a square matrix, got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{where} must not be empty")
    step = row_block(a.shape[0])
    for s in range(0, a.shape[0], step):
        check_attention_rows(a[s:s + step], s, where, atol)
    return a


#: Bytes per block of rows in the attention checks: small enough that the block's several
#: reductions run from cache rather than from memory.
BLOCK_BYTES = 1 << 19


def row_block(n):
    """Rows per block for an ``n``-column float64 matrix (:data:`BLOCK_BYTES`, at least 8 rows).

    Parameters
    ----------
    n : int
        Number of columns.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Never for a positive ``n``; ``n`` comes from a validated matrix.

    References
    ----------
    Cache blocking: each block of rows is reduced several times while it is in cache.

    Examples
    --------
    >>> row_block(2048), row_block(8192)
    (32, 8)
    """
    return max(8, BLOCK_BYTES // (8 * n))


def check_attention_rows(block, start, where="attn", atol=DEFAULT_ATOL):
    """Check rows ``start .. start + len(block) - 1`` of a causal attention matrix; return their sums.

    Every reduction propagates NaN and infinities (a NaN makes the minimum NaN, an infinite
    entry makes its row sum infinite), so finiteness costs no pass of its own; the
    offending entry is located only once the block is known to be bad. Used by
    :func:`check_attention_matrix` and by passes that validate while they compute.

    Parameters
    ----------
    block : ndarray, shape (k, n), float64
        The rows.
    start : int
        Index of the first row (the diagonal of row ``start + r`` is column ``start + r``).
    where : str
        Name used in error messages.
    atol : float
        Tolerance for negative entries, mass above the diagonal and row sums.

    Returns
    -------
    ndarray, shape (k,)
        The row sums.

    Raises
    ------
    ValueError
        Naming the entry or row at fault.

    References
    ----------
    Barbero et al. (2024), Lemma B.6 and Theorem B.5: the hypotheses on the attention coefficients.

    Examples
    --------
    >>> check_attention_rows(np.array([[0.5, 0.5, 0.0]]), 1).tolist()
    [1.0]
    """
    end = start + block.shape[0]
    low = block.min()
    sums = block @ np.ones(block.shape[1])  # BLAS: faster than sum(axis=1) on row blocks
    right = block[:, end:]
    square = np.triu(block[:, start:end], 1)
    upper = max(right.max() if right.size else 0.0, square.max() if square.size else 0.0)
    if not (np.isfinite(low) and np.isfinite(sums).all()):
        i, j = _first(~np.isfinite(block))
        raise ValueError(f"{where}: entry ({start + i}, {j}) is not finite: {block[i, j]}")
    if low < -atol:
        i, j = _first(block < -atol)
        raise ValueError(f"{where}: entry ({start + i}, {j}) is negative: {block[i, j]:.3g}")
    if upper > atol:
        above = np.concatenate([square, right], axis=1)
        i, j = _first(above > atol)
        raise ValueError(f"{where}: entry ({start + i}, {start + j}) above the diagonal is {above[i, j]:.3g} "
                         f"> atol={atol:g} (not causal)")
    off = np.abs(sums - 1.0) > atol
    if off.any():
        i = int(np.argmax(off))
        raise ValueError(f"{where}: row {start + i} sums to {sums[i]:.6g}, not 1 within atol={atol:g} "
                         "(not row-stochastic)")
    return sums


def check_attention_layers(attns, name="attns", atol=DEFAULT_ATOL):
    """Check a sequence of per-layer causal attention matrices of one size.

    Accepts a list of (n, n) matrices or an array of shape (L, n, n). Model outputs with
    head and batch axes (HF ``output_attentions``, TransformerLens stacks) go through
    :func:`graphs.attention.attention_layers`, which needs an explicit head reduction.

    Parameters
    ----------
    attns : list of (n, n) matrices or array (L, n, n)
    name : str
    atol : float

    Returns
    -------
    list of ndarray, each (n, n) float64

    Raises
    ------
    ValueError
        If the sequence is empty, a layer is not a causal attention matrix, or the layers
        differ in size.

    References
    ----------
    Barbero et al. (2024), Theorem B.5: one causal attention matrix per layer.

    Examples
    --------
    >>> import numpy as np
    >>> len(check_attention_layers([np.eye(3), np.eye(3)]))
    2
    >>> check_attention_layers([np.eye(3), np.eye(2)])
    Traceback (most recent call last):
    ...
    ValueError: attns layer 1 has shape (2, 2), but layer 0 has shape (3, 3)
    """
    attns = to_numpy(attns)
    if isinstance(attns, np.ndarray) and attns.ndim == 2:
        attns = [attns]
    if isinstance(attns, (str, bytes, dict)) or not hasattr(attns, "__iter__"):
        raise InvalidTypeError(f"{name} must be a list of attention matrices, got "
                               f"{type(attns).__name__}")
    layers = list(attns)
    if not layers:
        raise ValueError(f"{name} must contain at least one layer")
    checked = []
    for ell, m in enumerate(layers):
        a = check_attention_matrix(m, name=name, layer=ell, atol=atol)
        if checked and a.shape != checked[0].shape:
            raise ValueError(
                f"{name} layer {ell} has shape {a.shape}, but layer 0 has shape "
                f"{checked[0].shape}"
            )
        checked.append(a)
    return checked
