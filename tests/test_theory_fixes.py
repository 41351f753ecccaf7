"""The silent wrong answers and hangs of issue 14, each against an independent oracle.

No timing is asserted; an alarm only turns a hang (the old behaviour) into a failure.
"""

import contextlib
import importlib
import math
import signal

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import theory
from theory import collapse as C
from theory.precision import ulp

S = importlib.import_module("theory.softmax")


@contextlib.contextmanager
def no_hang(seconds=20):
    def alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --------------------------------------------------------------------------- enclosures


@pytest.mark.parametrize("args", [(2, 300.1, 300.3, 0.0), (3, 0.1, 700.3, -0.7), (10**6, 0.1, 0.3, -0.2)])
def test_gap_enclosure_holds_for_the_float_arguments(args):
    """repr(300.1) is not 300.1: the enclosure must contain the gap at the binary value given."""
    with mpmath.workdps(80):
        exact = S.last_entry_gap_mp(*args, dps=80)
    lo, hi = S.last_entry_gap_interval(*args)
    assert lo <= exact <= hi


def test_enclosures_refuse_arguments_outside_their_domain():
    with pytest.raises(ValueError, match="k must be <= n"):
        S.shifted_prefix_tv_interval(3, 10, 0.5)  # used to return a negative TV
    with pytest.raises(ValueError, match="a must be a finite real"):
        S.last_entry_gap_interval(2, float("nan"), 0.0, 0.0)  # used to return [0.5, 0.5]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**12), st.integers(1, 10**6), st.floats(1e-300, 50))
def test_shifted_prefix_enclosure_contains_the_closed_form(n, k, eta):
    k = min(k, n)
    lo, hi = S.shifted_prefix_tv_interval(n, k, eta)
    v = S.shifted_prefix_tv_mp(n, k, eta, dps=60)
    assert 0 <= lo <= v <= hi <= 2


# --------------------------------------------------------------------------- thresholds


def test_threshold_for_a_tiny_eps_is_found_without_stepping():
    evaluations = []
    bound = S.last_entry_gap_bound

    def counted(n, M):
        evaluations.append(n)
        return bound(n, M)

    S.last_entry_gap_bound = counted
    try:
        with no_hang():
            n0 = S.last_entry_gap_threshold(1e-50, 0.0)
    finally:
        S.last_entry_gap_bound = bound
    assert bound(n0, 0.0) < 1e-50 <= bound(n0 - 1, 0.0)
    assert abs(n0 - 10**25) < 10**12 and len(evaluations) < 200


# The fp8 cases are ones where bisecting the non-monotone condition stopped early (22
# instead of 32, 17 instead of 25); the bf16 one is check B.1's setting.
@pytest.mark.parametrize("dtype, b, c", [("bf16", 0.3, -0.2), ("bf16", 0.0, 0.0), ("fp8_e4m3", 0.7, 0.0),
                                         ("fp8_e5m2", 1.2, 0.5), ("fp8_e5m2", -0.5, 0.5)])
def test_dtype_onset_is_where_the_gap_stays_below_the_ulp(dtype, b, c):
    """Brute force: the condition flips back and forth near the onset (the ulp halves at
    each power of two the softmax value crosses); the onset is the last flip."""
    n0 = S.gap_onset_constant_prefix(b, c, dtype)

    def below(n):
        with mpmath.workdps(50):
            v = mpmath.exp(c) / ((n - 1) + mpmath.exp(b) + mpmath.exp(c))
        return float(S.last_entry_gap_mp(n, 0.0, b, c, 50)) < ulp(float(v), dtype)

    scan = [below(n) for n in range(2, 4 * n0 + 64)]
    last_false = max((i + 2 for i, ok in enumerate(scan) if not ok), default=1)
    assert n0 == last_false + 1


# --------------------------------------------------------------------------- costs


def test_costs_are_refused_before_they_start_and_the_limit_can_be_raised():
    with pytest.raises(ValueError, match=r"dps.*theory\.set_limits\(dps="):
        S.last_entry_gap_mp(2, 0, 0, 0, dps=10**7)
    with pytest.raises(ValueError, match="size"):
        S.normaliser_identity_symbolic(10**4)
    with pytest.raises(ValueError, match="n"):
        S.alternating_pair(10**11)
    old = theory.set_limits(elements=4)
    try:
        with pytest.raises(ValueError, match="elements"):
            S.alternating_pair(3)
    finally:
        theory.set_limits(**old)
    assert S.alternating_pair(3)[0].tolist() == [1.0, 0.0, 1.0]


def _geometric_reference(n_min, n_max, per_octave):
    """The earlier geometric_lengths: every point computed (fine for small per_octave)."""
    k = int(math.ceil(math.log2(n_max / n_min) * per_octave)) + 1
    ns = np.unique(np.round(n_min * 2.0 ** (np.arange(k) / per_octave)).astype(np.int64))
    ns = ns[ns <= n_max]
    return ns if ns[-1] == n_max else np.append(ns, n_max)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(0, 3000), st.integers(1, 5000))
def test_geometric_lengths_dense_start_equals_every_point(n_min, extra, per_octave):
    got = C.geometric_lengths(n_min, n_min + extra, per_octave)
    assert np.array_equal(got, _geometric_reference(n_min, n_min + extra, per_octave))


def test_geometric_lengths_huge_per_octave_and_int64_range():
    with no_hang():
        assert C.geometric_lengths(1, 2, per_octave=10**9).tolist() == [1, 2]
    with pytest.raises(ValueError, match="n_max"):
        C.geometric_lengths(1, 2**64)  # used to overflow int64 into negative lengths


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("call, name", [
    (lambda: C.SyntheticTransformer(d=4, causal="False"), "causal"),
    (lambda: C.SyntheticTransformer(d=4, encoding="alibi", rope_base=5.0), "rope_base"),
    (lambda: C.collapse_sweep(C.SyntheticTransformer(d=4), np.ones((20, 4)), np.ones(4), "12"), "lengths"),
    (lambda: C.collapse_sweep(C.SyntheticTransformer(d=4), np.ones((20, 4)), np.ones(4), [2.9, 5.5]), "lengths"),
    (lambda: C.collapse_sweep(C.SyntheticTransformer(d=4), np.ones((20, 4)), np.ones(4), [True, 2]), "lengths"),
    (lambda: C.SyntheticTransformer(d=4, init="statment"), "init"),
    (lambda: S.total_variation([0.5, 0.5], [3.0, -7.0]), "q"),
    (lambda: S.total_variation([0.5, 0.5], [0.5, 0.5], atol=float("nan")), "atol"),
])
def test_no_conversion_and_no_fallback(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_type_errors_are_also_value_errors():
    with pytest.raises(TypeError, match="causal"):
        C.SyntheticTransformer(d=4, causal=1)
    assert issubclass(theory._validate.ArgumentTypeError, ValueError)


def test_last_entry_gap_does_not_return_nan_when_b_dominates():
    g = S.last_entry_gap([0.0], 746.0, 0.0)
    exact = float(S.last_entry_gap_mp(2, 0.0, 746.0, 0.0))
    assert math.isclose(g, exact, rel_tol=1e-13)


def test_a_forward_pass_that_leaves_the_format_is_an_error_not_nan():
    """Tokens of size 1e5 overflow fp16 (max 65504) to inf and the norm made NaN rows."""
    m = C.SyntheticTransformer(d=8, encoding="none", dtype="fp16", seed=0)
    with pytest.raises(ValueError, match="fp16.*left the format's range"):
        m.forward(np.full((3, 8), 1e5))


def test_fp8_e4m3_saturates_like_a_kernel_instead_of_returning_nan():
    """e4m3 has no inf: logits below -464 (an ALiBi bias of slope 1 past position 464)
    became NaN rows; they now saturate at -448, whose softmax weight is 0 all the same."""
    m = C.SyntheticTransformer(d=8, encoding="alibi", alibi=1.0, dtype="fp8_e4m3", seed=0)
    x = C.random_tokens(600, 8, seed=1)
    y = m.forward(x)
    assert np.isfinite(y).all()
    assert np.array_equal(y[:400], m.forward(x[:400]))  # causal: the prefix is unchanged
