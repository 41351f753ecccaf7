"""round_to and ulp against an exact oracle: every finite value of the format, compared in fractions.

The oracle enumerates all finite bit patterns of bf16, fp16 and the fp8 formats, sorts
their values, and picks the nearest to the float64 input in exact rational arithmetic
(ties to the even bit pattern). Inputs are drawn near ties (the midpoint of two neighbours,
nudged by a few float64 ulps), where a double rounding through float32 goes wrong, and at
random, subnormals included.
"""

import functools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import precision as Pr

SMALL = ("fp16", "bf16", "fp8_e4m3", "fp8_e5m2")


@functools.lru_cache(maxsize=None)
def table(dtype):
    """Sorted non-negative finite values of the format and their bit patterns."""
    dt = Pr.numpy_dtype(dtype)
    bits = np.arange(2 ** (8 * dt.itemsize), dtype=np.uint16 if dt.itemsize == 2 else np.uint8)
    with np.errstate(invalid="ignore"):
        vals = bits.view(dt).astype(np.float64)
    keep = np.isfinite(vals) & (vals >= 0) & ~np.signbit(vals)
    order = np.argsort(vals[keep], kind="stable")
    return vals[keep][order], bits[keep][order]


def nearest(x, dtype):
    """The correctly rounded value of float64 ``x`` in ``dtype`` (ties to even), or None on overflow."""
    vals, bits = table(dtype)
    a = abs(x)
    i = int(np.searchsorted(vals, a))
    if i == len(vals):  # above the largest finite value: overflow unless it rounds down to it
        top, below = Fraction(vals[-1]), Fraction(vals[-2])
        half = (top - below) / 2  # the next (unrepresentable) value is one ulp above the top
        if Fraction(a) - top < half or (Fraction(a) - top == half and int(bits[-1]) % 2 == 0):
            return math.copysign(float(top), x)
        return None
    if vals[i] == a:
        return x
    lo, hi = Fraction(vals[i - 1]), Fraction(vals[i])
    d_lo, d_hi = Fraction(a) - lo, hi - Fraction(a)
    if d_lo != d_hi:
        pick = lo if d_lo < d_hi else hi
    else:
        pick = hi if int(bits[i]) % 2 == 0 else lo
    return math.copysign(float(pick), x)


@st.composite
def near_ties(draw, dtype):
    vals, _ = table(dtype)
    i = draw(st.integers(0, len(vals) - 2))
    mid = (vals[i] + vals[i + 1]) / 2  # exact in float64
    x = mid
    for _ in range(draw(st.integers(0, 3))):
        x = np.nextafter(x, draw(st.sampled_from([-np.inf, np.inf])))
    x = x * (1 + draw(st.sampled_from([0.0, 2.0**-30, -(2.0**-30), 2.0**-45])))
    return float(x) * draw(st.sampled_from([1.0, -1.0]))


@pytest.mark.parametrize("dtype", SMALL)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_round_to_is_the_nearest_value(dtype, data):
    x = data.draw(st.one_of(near_ties(dtype), st.floats(-2 * Pr.max_finite(dtype), 2 * Pr.max_finite(dtype),
                                                        allow_nan=False, allow_subnormal=True)))
    want = nearest(x, dtype)
    if want is None:
        with pytest.raises(ValueError, match="values"):
            Pr.round_to([x], dtype)
    else:
        assert Pr.round_to([x], dtype)[0] == want


def test_the_issue_example_and_the_double_rounding_it_replaces():
    x = 1 + 2**-8 + 2**-30
    assert Pr.round_to([x], "bf16")[0] == 1.0078125 == nearest(x, "bf16")
    # Rounding to float32 first lands on the tie 1 + 2**-8, which then goes to even (1.0).
    twice = np.float32(x).astype(Pr.numpy_dtype("bf16")).astype(np.float64)
    assert twice == 1.0


@pytest.mark.parametrize("dtype", SMALL)
def test_ulp_is_the_gap_to_the_next_value(dtype):
    vals, _ = table(dtype)
    for lo, hi in zip(vals[:-1], vals[1:]):
        assert Pr.ulp(lo, dtype) == hi - lo
    with pytest.raises(ValueError, match=r"value=.*largest finite"):
        Pr.ulp(float(np.nextafter(vals[-1], np.inf)), dtype)


def test_resolution_above_the_format_maximum_is_refused():
    with pytest.raises(ValueError, match=r"scale=1000000.0 is beyond the largest finite fp8_e4m3 value 448"):
        Pr.resolution_at_scale(1e6, "fp8_e4m3")
    assert Pr.resolution_at_scale(448.0, "fp8_e4m3") == 32.0


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e300, allow_nan=False, exclude_min=True))
def test_fp64_ulp_matches_math_ulp(x):
    assert Pr.ulp(x, "fp64") == math.ulp(x)
