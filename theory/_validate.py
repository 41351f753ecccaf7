"""Strict argument checks and cost limits shared by the public functions of :mod:`theory`.

:mod:`graphs.validate` converts what it can (``"12"`` becomes 12.0, ``True`` becomes 1.0);
the checks here refuse instead, because a converted argument is a silent wrong answer
(issue 14): booleans must be real booleans, integers must not be floats or strings, every
string option is one of a named set, and every real is finite. A wrong *type* raises
:class:`ArgumentTypeError`, which is both a ``TypeError`` and a ``ValueError`` (like
``numpy.exceptions.AxisError``) so that code catching ``ValueError`` for bad input keeps
working; a wrong *value* raises ``ValueError``. Every message names the argument.

Cost limits: a call whose size, number of digits or symbolic dimension would take minutes
or gigabytes is refused before it starts, by :func:`check_cost`, with a message naming
the limit and how to raise it (:func:`theory.search.set_limits`).
"""

import math
import numbers

import mpmath
import numpy as np

__all__ = [
    "ArgumentTypeError",
    "LIMIT_DOCS",
    "check_bool",
    "check_int",
    "check_real",
    "check_choice",
    "check_real_array",
    "check_int_array",
    "check_rng",
    "check_same_width",
    "check_callable",
    "check_dps",
    "check_cost",
    "check_elements",
    "float_bound",
    "exp_over_power",
]


_LOG_FLOAT_MAX = math.log(np.finfo(np.float64).max)
_FLOAT_TINY = float(np.finfo(np.float64).smallest_normal)


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type; a ``TypeError`` that is also a ``ValueError``."""


#: The cost limits, by name. Change them with :func:`theory.search.set_limits`.
_LIMITS = {
    "dps": 10_000,
    "mp_digits": 2 * 10**7,
    "elements": 2**27,
    "work": 10**10,
    "symbolic_size": 16,
}

#: What each limit bounds, and what it costs at the default (for the messages and docs).
LIMIT_DOCS = {
    "dps": "significant digits of one mpmath evaluation (one exp at 10**4 digits: ~0.05 s, "
           "at 10**5: ~5 s)",
    "mp_digits": "arbitrary-precision work of one call, in terms x digits (2*10**7: about "
                 "4*10**5 exponentials at 50 digits, ~40 s)",
    "elements": "entries of one array a call allocates (2**27 float64: 1 GiB)",
    "work": "float64 entries one call processes, e.g. the layers x n**2 query-key scores of a forward "
            "pass (10**10: a few minutes)",
    "symbolic_size": "number of entries of one symbolic (sympy) identity (16: ~2 s, 64: ~30 s)",
}


def _type_name(value):
    return type(value).__name__


def check_bool(value, name):
    """Return ``value`` as a bool if it is a real boolean (``bool`` or ``numpy.bool_``).

    Raises
    ------
    ArgumentTypeError
        For anything else, including ``"False"``, ``1`` and ``None``.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ArgumentTypeError(f"{name} must be True or False, got {value!r} ({_type_name(value)})")


def check_int(value, name, minimum=None, maximum=None):
    """Return ``value`` as an int if it is an integer (not a bool, float or string) in range.

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not an integer (``2.0``, ``True``, ``"3"`` and ``None`` are not).
    ValueError
        If it is below ``minimum`` or above ``maximum``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an integer, got {value!r} ({_type_name(value)})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def _bounds_text(minimum, maximum, open_min):
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if open_min else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    return " and ".join(parts)


def check_real(value, name, minimum=None, maximum=None, open_min=False):
    """Return ``value`` as a float if it is a finite real number in range.

    ``open_min=True`` excludes ``minimum`` itself (``> minimum``).

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not a real number (bools, strings, complex numbers, None and arrays
        are not).
    ValueError
        If it is NaN, infinite, or out of range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a real number, got {value!r} ({_type_name(value)})")
    try:
        v = float(value)
    except OverflowError:  # an int beyond the float range
        v = math.inf if value > 0 else -math.inf
    bounds = _bounds_text(minimum, maximum, open_min)
    want = f"a finite real {bounds}".rstrip()
    if not math.isfinite(v):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    if minimum is not None and (v < minimum or (open_min and v == minimum)):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return v


def check_choice(value, name, choices):
    """Return ``value`` if it is one of the strings ``choices``; never fall back to a default.

    Raises
    ------
    ArgumentTypeError
        If ``value`` is not a string.
    ValueError
        If it is not one of ``choices`` (the message lists them).
    """
    listed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be one of {listed}; got {value!r} ({_type_name(value)})")
    if value not in choices:
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def _first_bool(values):
    """The first bool inside nested lists/tuples (numpy turns ``[True, 2]`` into ``[1, 2]``)."""
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (bool, np.bool_)):
            return v
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return None


def _as_numeric_array(values, name, kinds, what):
    """``np.asarray(values)`` if its entries are numbers of the wanted kinds, else raise."""
    if isinstance(values, (str, bytes)) or values is None:
        raise ArgumentTypeError(f"{name} must be an array of {what}, got {values!r} ({_type_name(values)})")
    if isinstance(values, (list, tuple)) and _first_bool(values) is not None:
        raise ArgumentTypeError(f"{name} must be an array of {what}, got a boolean entry in {values!r}"[:200])
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a rectangular array of {what} ({exc})") from None
    if arr.dtype.kind == "O":
        flat = arr.ravel()
        for i, v in enumerate(flat):
            if isinstance(v, (bool, np.bool_)) or not isinstance(
                    v, numbers.Integral if kinds == "iu" else numbers.Real):
                idx = np.unravel_index(i, arr.shape) if arr.ndim else ()
                raise ArgumentTypeError(f"{name} must be an array of {what}; entry {tuple(int(j) for j in idx)} "
                                        f"is {v!r} ({_type_name(v)})")
        return arr
    if arr.dtype.kind not in kinds:
        got = {"b": "booleans", "U": "strings", "S": "bytes", "c": "complex numbers", "f": "floats"}.get(
            arr.dtype.kind, f"dtype {arr.dtype}")
        raise ArgumentTypeError(f"{name} must be an array of {what}, got {got}")
    return arr


def check_real_array(values, name, ndim=None, shape=None, allow_empty=False, minimum=None, maximum=None,
                     copy=False):
    """Return ``values`` as a float64 array of finite reals, checking its shape and range.

    Parameters
    ----------
    values : array_like
        Integers or floats; booleans, strings, complex numbers and None are refused.
    name : str
        The argument's name, for the messages.
    ndim : int, optional
        Required number of dimensions.
    shape : tuple, optional
        Required shape; ``None`` entries match any size.
    allow_empty : bool
        Accept an array with no entries.
    minimum, maximum : float, optional
        Inclusive bounds on every entry.
    copy : bool
        Return a copy even when ``values`` already is a float64 array.

    Raises
    ------
    ArgumentTypeError
        For entries that are not real numbers.
    ValueError
        For a wrong shape, an empty array, a NaN or infinite entry (its index is named)
        or an entry out of range.
    """
    arr = _as_numeric_array(values, name, "iuf", "real numbers")
    try:
        arr = np.array(arr, dtype=np.float64, copy=copy or None)
    except OverflowError:  # Python ints beyond the float range
        raise ValueError(f"{name} has an entry beyond the float64 range") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None and (arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape))):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.size == 0:
        if allow_empty:
            return arr
        raise ValueError(f"{name} must not be empty")
    if not np.isfinite(arr).all():
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} has a non-finite entry at index {idx}: {arr[idx]}")
    for bound, bad, word in ((minimum, arr < minimum if minimum is not None else None, ">="),
                             (maximum, arr > maximum if maximum is not None else None, "<=")):
        if bound is not None and bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} must have every entry {word} {bound:g}; entry {idx} is {arr[idx]:g}")
    return arr


def check_int_array(values, name, minimum=None, maximum=2**62, allow_empty=False):
    """Return ``values`` as a 1-D int64 array of integers (no floats, bools or strings) in range.

    ``maximum`` defaults to ``2**62`` so that sums and doublings of the entries stay
    inside int64.

    Raises
    ------
    ArgumentTypeError
        For a string or a scalar where a sequence is expected, or entries that are not
        integers (``2.0`` is not, ``True`` is not).
    ValueError
        For a wrong shape, an empty sequence or an entry out of range.
    """
    try:
        scalar = not isinstance(values, (str, bytes)) and values is not None and np.ndim(values) == 0
    except ValueError:  # ragged nesting: _as_numeric_array names it below
        scalar = False
    if scalar:
        raise ArgumentTypeError(f"{name} must be a sequence of integers, got {values!r} ({_type_name(values)})")
    arr = _as_numeric_array(values, name, "iu", "integers")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of integers, got shape {arr.shape}")
    if arr.size == 0:
        if allow_empty:
            return arr.astype(np.int64)
        raise ValueError(f"{name} must not be empty")
    ints = [int(v) for v in arr.tolist()]
    low, high = min(ints), max(ints)
    if minimum is not None and low < minimum:
        raise ValueError(f"{name} must have every entry >= {minimum}, got {low}")
    if maximum is not None and high > maximum:
        raise ValueError(f"{name} must have every entry <= {maximum}, got {high}")
    return np.asarray(ints, dtype=np.int64)


def check_same_width(a, b, name_a, name_b):
    """Refuse two 1-D token vectors of different lengths, naming both."""
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}")


def check_rng(value, name):
    """Return ``value`` if it is a ``numpy.random.Generator``.

    Raises
    ------
    ArgumentTypeError
        For anything else (a seed must be turned into a Generator by the caller, so that
        the stream is explicit).
    """
    if not isinstance(value, np.random.Generator):
        raise ArgumentTypeError(f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
                                f"got {value!r} ({_type_name(value)})")
    return value


def check_callable(value, name):
    """Return ``value`` if it is callable, else raise :class:`ArgumentTypeError`."""
    if not callable(value):
        raise ArgumentTypeError(f"{name} must be callable, got {value!r} ({_type_name(value)})")
    return value


def check_cost(amount, limit_name, name, what):
    """Refuse a call whose estimated cost ``amount`` exceeds the limit ``limit_name``.

    Parameters
    ----------
    amount : int or float
        The estimate (elements, digits, scores, ...), computed before any work starts.
    limit_name : str
        A key of :data:`LIMIT_DOCS`.
    name : str
        The argument that sets the cost (named in the message).
    what : str
        What ``amount`` counts, for the message ("entries", "digit-terms", ...).

    Raises
    ------
    ValueError
        Naming the argument, the estimate, the limit and how to raise it.
    """
    cap = _LIMITS[limit_name]
    if amount > cap:
        raise ValueError(
            f"{name}: this call would need about {amount:.3g} {what}, over the limit "
            f"{limit_name}={cap:.3g} ({LIMIT_DOCS[limit_name]}); raise it with "
            f"theory.set_limits({limit_name}=...) if you mean it")
    return amount


def check_elements(shape, name):
    """Refuse an array of ``prod(shape)`` entries above the ``elements`` limit."""
    return check_cost(math.prod(int(s) for s in shape), "elements", name, "array entries")


def float_bound(log_value, direct, name, what):
    """``direct()`` when it is a normal float64, else ``exp(log_value)`` when that is; else refuse.

    ``direct`` is the historical formula (kept so that every number it produced stays
    bit for bit); ``log_value`` the mpmath logarithm of the same quantity, used when the
    direct formula overflows an intermediate.
    """
    try:
        v = direct()
    except OverflowError:
        v = math.nan
    if math.isfinite(v) and v >= _FLOAT_TINY:
        return v
    if log_value > _LOG_FLOAT_MAX:
        raise ValueError(f"{name}: {what} = e^{float(log_value):.6g} exceeds the float64 range")
    if log_value < math.log(_FLOAT_TINY):
        raise ValueError(f"{name}: {what} = e^{float(log_value):.6g} underflows float64 (a bound of 0 "
                         "would be false); use the mpmath form")
    return float(mpmath.exp(log_value))


def exp_over_power(M, coeff, base, power, name, what):
    """``e^(coeff M) / base**power`` as a normal float64, by :func:`float_bound`.

    The direct formula is the one the bounds always used (so their values stay bit for
    bit); its logarithm, at 30 digits, decides overflow and underflow.
    """
    with mpmath.workdps(30):
        log_value = coeff * mpmath.mpf(M) - power * mpmath.log(base)
    return float_bound(log_value, lambda: math.exp(coeff * M) / base**power, name, what)


def check_dps(dps, name="dps"):
    """Return ``dps`` as an int in ``[1, limit('dps')]``."""
    dps = check_int(dps, name, minimum=1)
    check_cost(dps, "dps", name, "significant digits")
    return dps
