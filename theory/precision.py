"""Floating-point resolution of the formats LLMs run in, and correct rounding to them.

The paper's point (Section 4) is that representational collapse becomes *practical*
once the distance between two representations falls below the resolution of the
number format. This module names those formats and gives their resolution at a
given scale: the spacing (ulp) between adjacent representable numbers near a value,
and the unit roundoff (half an ulp at 1). Every dtype onset of the companion rests on
:func:`ulp` and :func:`round_to`, so both refuse what they cannot answer: a value above
the format's largest finite number has no spacing, and a value that rounds to inf or
NaN has no representable nearest number.

bf16 and fp8 go through ``ml_dtypes``. :func:`round_to` does not trust a float64 ->
format cast to round once (ml_dtypes releases before its double-rounding fix round
through float32 first); it rounds to odd into float32 and lets the library round that
to the format, which is exact (see :func:`round_to`).
"""

import math

import ml_dtypes
import numpy as np

from theory import _validate as chk

__all__ = [
    "DTYPES",
    "numpy_dtype",
    "machine_epsilon",
    "unit_roundoff",
    "ulp",
    "resolution_at_scale",
    "round_to",
    "mantissa_bits",
    "max_finite",
]

#: Supported names, from most to least precise.
DTYPES = ("fp64", "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2")

_NUMPY = {
    "fp64": np.dtype(np.float64),
    "fp32": np.dtype(np.float32),
    "fp16": np.dtype(np.float16),
    "bf16": np.dtype(ml_dtypes.bfloat16),
    "fp8_e4m3": np.dtype(ml_dtypes.float8_e4m3fn),
    "fp8_e5m2": np.dtype(ml_dtypes.float8_e5m2),
}

_REFERENCE = "Barbero et al. (2024), Section 4 (low-precision regimes such as bf16), p. 7."


def numpy_dtype(dtype):
    """The numpy dtype object of a format name.

    Parameters
    ----------
    dtype : str
        A name of :data:`DTYPES`; bf16 and fp8 come from ``ml_dtypes``.

    Returns
    -------
    numpy.dtype
        The dtype to ``astype`` to (``ml_dtypes.float8_e4m3fn`` for "fp8_e4m3").

    Raises
    ------
    ValueError
        For a name outside :data:`DTYPES`; a TypeError (also a ValueError) for a value
        that is not a string.

    References
    ----------
    Barbero et al. (2024), Section 4 (low-precision regimes such as bf16), p. 7.

    Examples
    --------
    >>> numpy_dtype("bf16").name
    'bfloat16'
    """
    chk.check_choice(dtype, "dtype", DTYPES)
    return _NUMPY[dtype]


def _finfo(dtype):
    dt = numpy_dtype(dtype)
    if dtype in ("fp64", "fp32", "fp16"):
        return np.finfo(dt)
    return ml_dtypes.finfo(dt)


def mantissa_bits(dtype):
    """Number of explicit fraction bits of the format (fp32: 23, bf16: 7).

    Parameters
    ----------
    dtype : str
        Format name (see :data:`DTYPES`).

    Returns
    -------
    int
        The ``nmant`` of numpy's or ml_dtypes' ``finfo``.

    Raises
    ------
    ValueError
        When ``dtype`` names no supported format.

    References
    ----------
    Barbero et al. (2024), Section 4 ("language models often operate in low floating
    regimes, i.e. bf16"), p. 7.

    Examples
    --------
    >>> [mantissa_bits(d) for d in DTYPES]
    [52, 23, 10, 7, 3, 2]
    """
    return int(_finfo(dtype).nmant)


def max_finite(dtype):
    """Largest finite number of the format (fp16: 65504, fp8_e4m3: 448).

    Parameters
    ----------
    dtype : str
        The format; fp8_e4m3 is the "fn" variant, which has no infinity.

    Returns
    -------
    float
        Above it :func:`ulp` and :func:`resolution_at_scale` refuse, and :func:`round_to`
        refuses what rounds beyond it.

    Raises
    ------
    ValueError
        If the format is not supported.

    References
    ----------
    Section 4 of Barbero et al. (2024), p. 7 (why low-precision formats matter).

    Examples
    --------
    >>> max_finite("fp8_e4m3"), max_finite("fp16")
    (448.0, 65504.0)
    """
    return float(_finfo(dtype).max)


def machine_epsilon(dtype):
    """Spacing between 1 and the next representable number, ``2**-mantissa_bits``.

    Parameters
    ----------
    dtype : str
        One of the six format names.

    Returns
    -------
    float
        A power of two (bf16: 2**-7).

    Raises
    ------
    ValueError
        For an unsupported format name.

    References
    ----------
    Barbero et al. (2024), p. 7: collapse matters once distances fall below the
    format's resolution.

    Examples
    --------
    >>> machine_epsilon("bf16")
    0.0078125
    """
    return float(2.0 ** -mantissa_bits(dtype))


def unit_roundoff(dtype):
    """Largest relative error of round-to-nearest, half of :func:`machine_epsilon`.

    Parameters
    ----------
    dtype : str
        Format name, as for :func:`machine_epsilon`.

    Returns
    -------
    float
        ``2**-(mantissa_bits + 1)``.

    Raises
    ------
    ValueError
        If ``dtype`` is unknown.

    References
    ----------
    Barbero et al. (2024), Section 4, p. 7.

    Examples
    --------
    >>> unit_roundoff("fp16")
    0.00048828125
    """
    return machine_epsilon(dtype) / 2.0


def _check_in_range(value, name, dtype):
    top = max_finite(dtype)
    if abs(value) > top:
        raise ValueError(f"{name}={value!r} is beyond the largest finite {dtype} value {top:g}: "
                         f"the format has no spacing there")


def ulp(value, dtype):
    """Spacing of the format's representable numbers at ``|value|``.

    For ``|value|`` in ``[2**e, 2**(e+1))`` this is ``2**(e - mantissa_bits)``;
    below the smallest normal number it is the subnormal spacing.

    Parameters
    ----------
    value : float
        A finite real with ``|value| <=`` :func:`max_finite` of the format.
    dtype : str
        One of :data:`DTYPES`.

    Returns
    -------
    float
        A power of two.

    Raises
    ------
    ValueError
        If ``value`` is NaN, infinite or beyond the format's largest finite value (the
        message names that value), or ``dtype`` is unknown; a TypeError (also a
        ValueError) if ``value`` is not a real number.

    References
    ----------
    Barbero et al. (2024), Section 4 (low-precision regimes such as bf16), p. 7.

    Examples
    --------
    >>> ulp(1.0, "bf16"), ulp(3.0, "bf16")
    (0.0078125, 0.015625)
    >>> ulp(1.0, "fp64") == 2.0 ** -52
    True
    >>> ulp(448.0, "fp8_e4m3")
    32.0
    """
    value = chk.check_real(value, "value")
    fi = _finfo(dtype)
    _check_in_range(value, "value", dtype)
    tiny = float(fi.smallest_normal)
    nmant = int(fi.nmant)
    a = abs(value)
    if a < tiny:
        return tiny * 2.0 ** -nmant
    # frexp is exact where floor(log2(a)) can be off by one just below a power of two.
    e = math.frexp(a)[1] - 1
    return 2.0 ** (e - nmant)


def resolution_at_scale(scale, dtype):
    """Smallest difference the format can represent between two numbers of size ``scale``.

    This is the ulp at ``scale``: two vectors whose entries have magnitude about
    ``scale`` and whose L-infinity distance is below it round to identical or adjacent
    values, so a format cannot reliably tell them apart.

    Parameters
    ----------
    scale : float
        A finite real with ``0 < scale <=`` :func:`max_finite` of the format.
    dtype : str
        One of :data:`DTYPES`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``scale`` is not positive and finite, or beyond the format's largest finite
        value (``resolution_at_scale(1e6, "fp8_e4m3")``: the maximum is 448).

    References
    ----------
    Barbero et al. (2024), Section 4, p. 7, and Theorem B.3 (collapse below the
    resolution of the format), p. 15.

    Examples
    --------
    >>> resolution_at_scale(1.0, "fp8_e4m3")
    0.125
    """
    scale = chk.check_real(scale, "scale", minimum=0.0, open_min=True)
    numpy_dtype(dtype)
    _check_in_range(scale, "scale", dtype)
    return ulp(scale, dtype)


def _round_to_odd_float32(x):
    """Float32 nearest to ``x`` in round-to-odd: truncate, then set the last bit if inexact."""
    with np.errstate(over="ignore"):
        f = x.astype(np.float32)
    back = f.astype(np.float64)
    inexact = back != x
    toward_zero = np.where(inexact & (np.abs(back) > np.abs(x)), np.nextafter(f, np.float32(0)), f)
    bits = toward_zero.view(np.uint32) | inexact.astype(np.uint32)
    return bits.view(np.float32)


def round_to(values, dtype):
    """Round float64 values to the nearest number of the format (ties to even), exactly once.

    A float64 -> float32 -> format cast rounds twice and can miss the nearest value
    (``1 + 2**-8 + 2**-30`` would become 1.0 in bf16 instead of 1.0078125). Here the
    values are first rounded *to odd* into float32 (truncate, then set the last bit if
    anything was dropped), then to the format. Float32 keeps at least two more
    significand bits than bf16, fp16 and fp8 at every magnitude those formats reach,
    subnormals included, so the second rounding gives the correctly rounded result
    (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved
    algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008).

    Parameters
    ----------
    values : array_like of float
        Finite reals, any shape (0-d and empty included).
    dtype : str
        One of :data:`DTYPES`.

    Returns
    -------
    ndarray of float64
        The same shape; every entry is exactly representable in ``dtype``.

    Raises
    ------
    ValueError
        If an entry is NaN or infinite, or rounds beyond the format's largest finite
        value (to inf, or to NaN in fp8_e4m3, which has no inf): the message names the
        entry and the format's maximum.

    References
    ----------
    Barbero et al. (2024), Section 4 (low-precision regimes such as bf16), p. 7.

    Examples
    --------
    >>> round_to([1.0 + 2.0 ** -9], "bf16").tolist()
    [1.0]
    >>> round_to([1 + 2**-8 + 2**-30], "bf16").tolist()
    [1.0078125]
    >>> round_to([1.0 + 2.0 ** -9], "fp16").tolist()
    [1.001953125]
    """
    numpy_dtype(dtype)
    arr = np.asarray(chk.check_real_array(values, "values", allow_empty=True))
    if dtype == "fp64":
        return arr.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == "fp32":
            out = arr.astype(np.float32).astype(np.float64)
        else:
            out = _round_to_odd_float32(arr).astype(_NUMPY[dtype]).astype(np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"values has an entry {arr[idx]!r} at index {idx} that rounds to {out[idx]} in {dtype}: "
                         f"beyond the largest finite {dtype} value {max_finite(dtype):g}")
    return out
