"""Floating-point resolution of the formats LLMs run in, and rounding to them.

The paper's point (Section 4) is that representational collapse becomes *practical*
once the distance between two representations falls below the resolution of the
number format. This module names those formats and gives their resolution at a
given scale: the spacing (ulp) between adjacent representable numbers near a value,
and the unit roundoff (half an ulp at 1).

bf16 and fp8 go through ``ml_dtypes`` rather than bit tricks.
"""

import math

import ml_dtypes
import numpy as np

from graphs.validate import check_choice, check_finite_array, check_positive_real

__all__ = [
    "DTYPES",
    "numpy_dtype",
    "machine_epsilon",
    "unit_roundoff",
    "ulp",
    "resolution_at_scale",
    "round_to",
    "mantissa_bits",
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


def numpy_dtype(dtype):
    """Return the numpy dtype object for a format name.

    Parameters
    ----------
    dtype : str
        One of :data:`DTYPES`.

    Raises
    ------
    ValueError
        If the name is unknown.

    Examples
    --------
    >>> numpy_dtype("bf16").name
    'bfloat16'
    """
    check_choice(dtype, "dtype", DTYPES)
    return _NUMPY[dtype]


def _finfo(dtype):
    dt = numpy_dtype(dtype)
    if dtype in ("fp64", "fp32", "fp16"):
        return np.finfo(dt)
    return ml_dtypes.finfo(dt)


def mantissa_bits(dtype):
    """Number of explicit fraction bits of the format (fp32: 23, bf16: 7).

    Examples
    --------
    >>> [mantissa_bits(d) for d in DTYPES]
    [52, 23, 10, 7, 3, 2]
    """
    return int(_finfo(dtype).nmant)


def machine_epsilon(dtype):
    """Spacing between 1 and the next representable number, ``2**-mantissa_bits``.

    Examples
    --------
    >>> machine_epsilon("bf16")
    0.0078125
    """
    return float(2.0 ** -mantissa_bits(dtype))


def unit_roundoff(dtype):
    """Largest relative error of round-to-nearest, half of :func:`machine_epsilon`.

    Examples
    --------
    >>> unit_roundoff("fp16")
    0.00048828125
    """
    return machine_epsilon(dtype) / 2.0


def ulp(value, dtype):
    """Spacing of the format's representable numbers at ``|value|``.

    For ``|value|`` in ``[2**e, 2**(e+1))`` this is ``2**(e - mantissa_bits)``;
    below the smallest normal number it is the subnormal spacing.

    Parameters
    ----------
    value : float
        A finite real.
    dtype : str
        One of :data:`DTYPES`.

    Examples
    --------
    >>> ulp(1.0, "bf16"), ulp(3.0, "bf16")
    (0.0078125, 0.015625)
    >>> ulp(1.0, "fp64") == 2.0 ** -52
    True
    """
    value = float(check_finite_array([value], "value")[0])
    fi = _finfo(dtype)
    tiny = float(fi.smallest_normal)
    nmant = int(fi.nmant)
    a = abs(value)
    if a < tiny:
        return tiny * 2.0 ** -nmant
    e = math.floor(math.log2(a))
    return 2.0 ** (e - nmant)


def resolution_at_scale(scale, dtype):
    """Smallest difference the format can represent between two numbers of size ``scale``.

    This is the ulp at ``scale``: two vectors whose entries have magnitude about
    ``scale`` and whose L-infinity distance is below it round to identical or adjacent
    values, so a format cannot reliably tell them apart.

    Examples
    --------
    >>> resolution_at_scale(1.0, "fp8_e4m3")
    0.125
    """
    check_positive_real(scale, "scale")
    return ulp(scale, dtype)


def round_to(values, dtype):
    """Round float values to the nearest number of the format (round-to-nearest-even).

    Returns float64 values that are exactly representable in ``dtype``.

    Examples
    --------
    >>> round_to([1.0 + 2.0 ** -9], "bf16").tolist()
    [1.0]
    >>> round_to([1.0 + 2.0 ** -9], "fp16").tolist()
    [1.001953125]
    """
    arr = np.asarray(values, dtype=np.float64)
    return arr.astype(numpy_dtype(dtype)).astype(np.float64)
