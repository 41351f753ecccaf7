"""Input checks shared by every public function of ``graphs`` and ``theory``.

Every check raises :class:`ValueError` whose message names the argument, and, for
arrays, the offending layer, row or entry and the tolerance that was used, so that a
command-line front end can print it as one line.
"""

import math
import numbers

import numpy as np

__all__ = [
    "check_positive_int",
    "check_positive_real",
    "check_finite_array",
    "check_choice",
    "check_same_length",
    "check_attention_matrix",
    "check_attention_layers",
    "as_dense_array",
]

#: Default tolerance for row sums and above-diagonal mass (fp32 softmax rounding).
DEFAULT_ATOL = 1e-5


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an int, or raise ValueError naming ``name``.

    Examples
    --------
    >>> check_positive_int(3, "n")
    3
    >>> check_positive_int(0, "n")
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive_real(value, name, allow_zero=False):
    """Return ``value`` as a float, or raise ValueError naming ``name``.

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
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite real {bound}, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite real {bound}, got {value!r}")
    return v


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise ValueError.

    Examples
    --------
    >>> check_choice("rope", "encoding", ("rope", "alibi"))
    'rope'
    >>> check_choice("xpos", "encoding", ("rope", "alibi"))
    Traceback (most recent call last):
    ...
    ValueError: encoding must be one of 'rope', 'alibi'; got 'xpos'
    """
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_finite_array(values, name, ndim=None, dtype=float):
    """Return ``values`` as a numpy array with only finite entries.

    Raises ValueError naming ``name`` and the first non-finite index.

    Examples
    --------
    >>> check_finite_array([1.0, 2.0], "x").tolist()
    [1.0, 2.0]
    >>> check_finite_array([1.0, float("inf")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x has a non-finite entry at index (1,): inf
    """
    try:
        arr = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers ({exc})") from None
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
    """Convert a numpy array or scipy sparse matrix to a dense float64 array."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return check_finite_array(matrix, name, ndim=2)


def check_attention_matrix(matrix, name="attn", layer=None, atol=DEFAULT_ATOL):
    """Check that ``matrix`` is a causal attention matrix and return it as float64.

    A causal attention matrix is square, non-negative, lower triangular (no mass
    above the diagonal beyond ``atol``) and row-stochastic (each row sums to 1
    within ``atol``): the hypotheses of Lemmas B.6, B.7 and Theorem B.5.

    Parameters
    ----------
    matrix : array_like or scipy sparse matrix, shape (n, n)
    name : str
        Argument name used in error messages.
    layer : int, optional
        Layer index used in error messages.
    atol : float
        Tolerance for the row sums and for mass above the diagonal.

    Raises
    ------
    ValueError
        Naming the argument, the layer, the row and the entry at fault.

    Examples
    --------
    >>> check_attention_matrix([[1.0, 0.0], [0.5, 0.5]]).shape
    (2, 2)
    >>> check_attention_matrix([[0.5, 0.5], [0.5, 0.5]])
    Traceback (most recent call last):
    ...
    ValueError: attn: entry (0, 1) above the diagonal is 0.5 > atol=1e-05 (not causal)
    """
    where = f"{name}" if layer is None else f"{name} layer {layer}"
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} must be a numeric matrix ({exc})") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{where} must be a square matrix, got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{where} must not be empty")
    # One pass over blocks of rows keeps the temporaries small for n in the thousands;
    # the offending entry is located only once a block is known to be bad.
    n = a.shape[0]
    step = 256
    for s in range(0, n, step):
        e = min(n, s + step)
        blk = a[s:e]
        if not np.isfinite(blk).all():
            i, j = (int(v) for v in np.argwhere(~np.isfinite(blk))[0])
            raise ValueError(f"{where}: entry ({s + i}, {j}) is not finite: {blk[i, j]}")
        if blk.min() < -atol:
            i, j = (int(v) for v in np.argwhere(blk < -atol)[0])
            raise ValueError(f"{where}: entry ({s + i}, {j}) is negative: {blk[i, j]:.3g}")
        # Columns >= e are strictly above the diagonal for every row of the block; only
        # the square [s:e, s:e] needs a triangular mask.
        right = blk[:, e:]
        square = np.triu(blk[:, s:e], 1)
        if (right.size and right.max() > atol) or square.max() > atol:
            upper = np.concatenate([square, right], axis=1)
            i, j = (int(v) for v in np.argwhere(upper > atol)[0])
            raise ValueError(
                f"{where}: entry ({s + i}, {s + j}) above the diagonal is {upper[i, j]:.3g} "
                f"> atol={atol:g} (not causal)"
            )
    sums = a.sum(axis=1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        i = int(np.argmax(off))
        raise ValueError(
            f"{where}: row {i} sums to {sums[i]:.6g}, not 1 within atol={atol:g} "
            "(not row-stochastic)"
        )
    return a


def check_attention_layers(attns, name="attns", atol=DEFAULT_ATOL):
    """Check a sequence of per-layer causal attention matrices of one size.

    Accepts a list of (n, n) matrices or an array of shape (L, n, n).

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
    if isinstance(attns, np.ndarray) and attns.ndim == 2:
        attns = [attns]
    try:
        layers = list(attns)
    except TypeError:
        raise ValueError(f"{name} must be a list of attention matrices") from None
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
