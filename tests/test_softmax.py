"""Lemma B.1, Lemma B.2, Lemma B.4: exact forms, bounds (property-based) and bad input."""

import importlib
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# ``theory.softmax`` is the function of that name (exported at the package top), so the
# module is taken from the import system.
S = importlib.import_module("theory.softmax")

finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=60), finite, finite)
def test_b1_gap_is_positive_exact_and_below_the_rate(a, b, c):
    x = np.array(a + [c])
    xs = np.array(a + [b, c])
    direct = S.softmax(x)[-1] - S.softmax(xs)[-1]
    gap = S.last_entry_gap(a, b, c)
    assert gap > 0
    assert math.isclose(gap, direct, rel_tol=1e-9, abs_tol=1e-15)
    M = max(abs(v) for v in a + [b, c])
    assert gap <= S.last_entry_gap_bound(len(a) + 1, M) * (1 + 1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(1e-8, 0.5), st.floats(0, 3))
def test_b1_threshold_is_the_smallest_n(eps, M):
    n0 = S.last_entry_gap_threshold(eps, M)
    assert S.last_entry_gap_bound(n0, M) < eps
    assert n0 == 2 or S.last_entry_gap_bound(n0 - 1, M) >= eps


def test_b1_symbolic():
    r = S.last_entry_gap_symbolic()
    assert r["difference_minus_gap"] == 0 and r["positive"] and r["limit"] == 0


def test_b1_mp_matches_interval_and_float():
    for n in (2, 10, 10**6, 10**12):
        v = S.last_entry_gap_mp(n, 0.1, 0.2, -0.3, dps=60)
        lo, hi = S.last_entry_gap_interval(n, 0.1, 0.2, -0.3)
        assert lo <= float(v) <= hi
    assert math.isclose(float(S.last_entry_gap_mp(50, 0.1, 0.2, -0.3)),
                        S.last_entry_gap([0.1] * 49, 0.2, -0.3), rel_tol=1e-12)


def test_b1_decaying_prefix_does_not_vanish():
    """Negative control of the hypothesis: a_k = -k is not uniformly bounded; the gap stays."""
    gaps = [S.last_entry_gap(-np.arange(1.0, n), 0.3, -0.2) for n in (10, 1000, 100000)]
    assert gaps[-1] > 0.1 and abs(gaps[-1] - gaps[0]) < 1e-3


@settings(max_examples=60, deadline=None)
@given(st.integers(5, 400), st.integers(0, 10**6), st.floats(0.0, 1.0))
def test_b2_tv_below_certificate_below_rate(n, seed, eta):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    xs = x + rng.uniform(-eta, eta, n)
    tv = S.total_variation(S.softmax(x), S.softmax(xs))
    cert = S.tv_certificate(x, xs)
    spread = max(x.max(), xs.max()) - min(x.min(), xs.min())
    assert tv <= cert * (1 + 1e-12) + 1e-15
    assert cert <= S.tv_bound(np.abs(x - xs), spread) * (1 + 1e-12) + 1e-15


def test_b2_closed_form_matches_direct_and_limit():
    x = np.zeros(300)
    xs = x.copy()
    xs[:20] = 0.4
    direct = S.total_variation(S.softmax(x), S.softmax(xs))
    assert math.isclose(float(S.shifted_prefix_tv_mp(300, 20, 0.4)), direct, rel_tol=1e-12)
    r = S.shifted_prefix_tv_symbolic()
    assert r["limit"] == 0
    assert S.normaliser_identity_symbolic(4) == 0


def test_b4_exact_for_every_even_n():
    with mpmath.workdps(60):
        lim = mpmath.mpf(2) * (mpmath.e - 1) / (mpmath.e + 1)
        for n in (2, 4, 1000, 10**9):
            assert abs(S.alternating_tv_mp(n, dps=60) - lim) < mpmath.mpf(10) ** -50
    r = S.alternating_tv_symbolic()
    assert r["even_minus_limit"] == 0 and r["odd_limit_minus_limit"] == 0


@pytest.mark.parametrize("call, name", [
    (lambda: S.softmax([1.0, float("nan")]), "x"),
    (lambda: S.softmax([]), "x"),
    (lambda: S.total_variation([0.5, 0.5], [1.0]), "p and q"),
    (lambda: S.last_entry_gap([0.0], float("inf"), 0.0), "b"),
    (lambda: S.last_entry_gap_bound(0, 1.0), "n"),
    (lambda: S.last_entry_gap_threshold(0.0, 1.0), "eps"),
    (lambda: S.last_entry_gap_mp(10, 0, 0, 0, dps=0), "dps"),
    (lambda: S.alternating_tv_mp(0), "n"),
    (lambda: S.alternating_tv_interval(5, dps=-1), "dps"),
    (lambda: S.tv_certificate([0.0, 1.0], [0.0]), "x and x_star"),
    (lambda: S.shifted_prefix_tv_mp(10, 11, 0.1), "k"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5 * 10**11))
def test_b4_property_every_even_length(m):
    """Lemma B.4: for every even n = 2m the total variation is exactly 2(e-1)/(e+1)."""
    with mpmath.workdps(50):
        lim = 2 * (mpmath.e - 1) / (mpmath.e + 1)
        assert abs(S.alternating_tv_mp(2 * m, dps=50) - lim) < mpmath.mpf(10) ** -40
