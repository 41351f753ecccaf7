"""Every public function of ``theory`` against arbitrary bad arguments (issue 14).

For each function, hypothesis corrupts one argument of a valid call at a time (wrong
types, NaN/inf, negative, huge, bools for ints, floats for ints, misspelt strings, wrong
shapes) and the call must either raise ValueError/TypeError whose message names that
argument, or return a result that passes the function's own invariants (a corrupted value
can happen to be valid). Any other exception fails, and so does a call that runs past
``TIME_LIMIT`` seconds (an alarm interrupts it). The cost limits are lowered for the
module so that a huge but valid size is refused in microseconds rather than run.
"""

import importlib
import math
import signal

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import theory
from theory import collapse as C
from theory import counting as K
from theory import positional as P
from theory import precision as Pr
from theory import search as Se
from theory import sensitivity as Sn

S = importlib.import_module("theory.softmax")  # theory.softmax is the function of that name

TIME_LIMIT = 5
NAN, INF = float("nan"), float("inf")


@pytest.fixture(autouse=True, scope="module")
def small_limits():
    old = theory.set_limits(elements=2**18, work=2 * 10**6, mp_digits=10**6, dps=3000, symbolic_size=6)
    yield
    theory.set_limits(**old)


# --------------------------------------------------------------------------- bad values

floats_any = st.floats(allow_nan=True, allow_infinity=True)
junk = st.one_of(st.none(), st.text(max_size=4), st.binary(max_size=2), st.complex_numbers(max_magnitude=1e3),
                 st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
                 st.lists(st.integers(-3, 3), max_size=2))
huge_ints = st.integers(10**9, 10**40) | st.integers(-10**40, -1)
bool_like = st.booleans() | st.sampled_from([np.True_, np.False_])


def shaped_arrays():
    shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)
    elems = st.floats(allow_nan=True, allow_infinity=True, width=64)
    return st.one_of(
        shapes.flatmap(lambda s: st.builds(lambda v: np.resize(np.asarray(v or [0.0]), s),
                                           st.lists(elems, min_size=1, max_size=8))),
        st.lists(st.text(max_size=2), min_size=1, max_size=3),
        st.lists(st.booleans(), min_size=1, max_size=3),
        st.text(max_size=3),
    )


BAD = {
    "int": st.one_of(floats_any, bool_like, junk, huge_ints, st.just(np.float64(3.0)), st.integers(-5, 5)),
    "real": st.one_of(floats_any, bool_like, junk, st.integers(-10**400, 10**400)),
    "array": st.one_of(shaped_arrays(), junk, floats_any, bool_like),
    "choice": st.one_of(st.text(max_size=10), junk, st.integers(), bool_like),
    "bool": st.one_of(st.text(max_size=6), st.integers(-2, 2), junk, floats_any),
    "rng": st.one_of(st.integers(), junk, floats_any),
    "model": st.one_of(junk, st.integers(), floats_any),
    "lengths": st.one_of(st.text(max_size=4), st.lists(floats_any, max_size=3), st.lists(bool_like, max_size=3),
                         st.lists(st.integers(-3, 3), max_size=3), st.lists(huge_ints, min_size=1, max_size=2),
                         st.lists(st.lists(st.integers(1, 3), max_size=2), min_size=1, max_size=2), junk,
                         st.integers(-3, 10), floats_any, shaped_arrays()),
    "callable": st.one_of(junk, st.integers(), st.just(lambda n: float("nan")), st.just(lambda n: "yes")),
}

# --------------------------------------------------------------------------- invariants


def finite(x):
    return np.isfinite(np.asarray(x, dtype=float)).all()


def prob_vector(r, n):
    return r.shape == (n,) and finite(r) and (r >= 0).all() and abs(r.sum() - 1) < 1e-9


def interval(r, lo=0.0, hi=2.0):
    return isinstance(r, tuple) and len(r) == 2 and r[0] <= r[1] and math.isfinite(r[0]) and \
        math.isfinite(r[1]) and r[0] >= lo and r[1] <= hi * (1 + 1e-12)


def mp_in(r, lo, hi):
    return isinstance(r, mpmath.mpf) and mpmath.isfinite(r) and lo <= r <= hi


def causal_stochastic(a, n):
    return a.shape == (n, n) and finite(a) and np.allclose(a.sum(1), 1) and np.allclose(np.triu(a, 1), 0)


def power_of_two(x):
    return x > 0 and math.isfinite(x) and math.frexp(x)[0] == 0.5


def representable(r, kw):
    if not finite(r):
        return False
    dt = Pr.numpy_dtype(kw["dtype"])
    return np.array_equal(np.asarray(r).astype(dt).astype(np.float64), r) and \
        np.asarray(r).shape == np.asarray(kw["values"], dtype=float).shape


def sweep_ok(r):
    return finite(r["l1"]) and (r["l1"] >= 0).all() and (r["linf"] <= r["l1"] + 1e-12).all()


MODEL = C.SyntheticTransformer(d=4, encoding="none", seed=0)
MODEL_BI = C.SyntheticTransformer(d=4, encoding="none", seed=0, causal=False)
TOK = np.random.default_rng(0).normal(size=(6, 4))
CACHE = MODEL.encode_prefix(TOK[:4])
A3 = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]
REF = C.collapse_sweep(MODEL, TOK[:-1], TOK[-1], [2, 4])


def rng():
    return np.random.default_rng(0)


# name -> (callable, valid keyword arguments, kinds of the arguments to corrupt, invariant)
SPECS = {
    # precision
    "numpy_dtype": (Pr.numpy_dtype, {"dtype": "bf16"}, {"dtype": "choice"}, lambda r, kw: isinstance(r, np.dtype)),
    "mantissa_bits": (Pr.mantissa_bits, {"dtype": "fp16"}, {"dtype": "choice"}, lambda r, kw: r in (52, 23, 10, 7, 3, 2)),
    "machine_epsilon": (Pr.machine_epsilon, {"dtype": "fp16"}, {"dtype": "choice"}, lambda r, kw: power_of_two(r)),
    "unit_roundoff": (Pr.unit_roundoff, {"dtype": "fp16"}, {"dtype": "choice"}, lambda r, kw: power_of_two(r)),
    "max_finite": (Pr.max_finite, {"dtype": "fp16"}, {"dtype": "choice"}, lambda r, kw: math.isfinite(r) and r > 1),
    "ulp": (Pr.ulp, {"value": 1.0, "dtype": "bf16"}, {"value": "real", "dtype": "choice"},
            lambda r, kw: power_of_two(r) and r <= max(abs(kw["value"]), 1e-300) * 2 ** -1 + Pr.ulp(0.0, kw["dtype"])),
    "resolution_at_scale": (Pr.resolution_at_scale, {"scale": 1.0, "dtype": "bf16"},
                            {"scale": "real", "dtype": "choice"}, lambda r, kw: power_of_two(r)),
    "round_to": (Pr.round_to, {"values": [1.0, 0.3], "dtype": "bf16"}, {"values": "array", "dtype": "choice"},
                 representable),
    # search
    "smallest_satisfying": (Se.smallest_satisfying, {"predicate": lambda n: n * n >= 50, "start": 2, "limit": 100},
                            {"predicate": "callable", "start": "int", "limit": "int"},
                            lambda r, kw: isinstance(r, int) and r >= kw["start"]),
    "log_spaced_lengths": (Se.log_spaced_lengths, {"n_min": 2, "n_max": 100, "points": 4},
                           {"n_min": "int", "n_max": "int", "points": "int"},
                           lambda r, kw: r[0] == kw["n_min"] and r[-1] == kw["n_max"] and (np.diff(r) > 0).all()),
    "set_limits": (lambda **kw: theory.set_limits(**kw), {"dps": 3000}, {"dps": "int"},
                   lambda r, kw: r == {"dps": 3000} and theory.set_limits(**r) is not None),
    # softmax
    "softmax": (S.softmax, {"x": [0.0, 1.0]}, {"x": "array"}, lambda r, kw: prob_vector(r, len(r))),
    "total_variation": (S.total_variation, {"p": [0.5, 0.5], "q": [1.0, 0.0], "atol": 1e-6},
                        {"p": "array", "q": "array", "atol": "real"}, lambda r, kw: 0 <= r <= 2 + 4 * kw["atol"]),
    "last_entry_gap": (S.last_entry_gap, {"a": [0.0], "b": 0.0, "c": 0.0}, {"a": "array", "b": "real", "c": "real"},
                       lambda r, kw: 0 <= r < 1),
    "last_entry_gap_bound": (S.last_entry_gap_bound, {"n": 3, "M": 0.5}, {"n": "int", "M": "real"},
                             lambda r, kw: math.isfinite(r) and r > 0),
    "last_entry_gap_threshold": (S.last_entry_gap_threshold, {"eps": 1e-4, "M": 0.0}, {"eps": "real", "M": "real"},
                                 lambda r, kw: S.last_entry_gap_bound(r, kw["M"]) < kw["eps"] and (
                                     r == 2 or S.last_entry_gap_bound(r - 1, kw["M"]) >= kw["eps"])),
    "last_entry_gap_mp": (S.last_entry_gap_mp, {"n": 3, "a": 0.0, "b": 0.0, "c": 0.0, "dps": 30},
                          {"n": "int", "a": "real", "b": "real", "c": "real", "dps": "int"},
                          lambda r, kw: mp_in(r, 0, 1)),
    "last_entry_gap_interval": (S.last_entry_gap_interval, {"n": 3, "a": 0.0, "b": 0.0, "c": 0.0, "dps": 30},
                                {"n": "int", "a": "real", "b": "real", "c": "real", "dps": "int"},
                                lambda r, kw: interval(r, hi=1.0)),
    "last_entry_gap_prefix_mp": (S.last_entry_gap_prefix_mp, {"a": [0.0, 0.5], "lengths": [2, 3], "b": 0.0, "c": 0.0,
                                                              "dps": 30},
                                 {"a": "array", "lengths": "lengths", "b": "real", "c": "real", "dps": "int"},
                                 lambda r, kw: all(mp_in(v, 0, 1) for v in r)),
    "gap_onset_sufficient": (S.gap_onset_sufficient, {"M": 0.0, "dtype": "bf16"}, {"M": "real", "dtype": "choice"},
                             lambda r, kw: isinstance(r, int) and r >= 2),
    "gap_onset_constant_prefix": (S.gap_onset_constant_prefix, {"b": 0.0, "c": 0.0, "dtype": "fp8_e4m3", "a": 0.0,
                                                                "dps": 30},
                                  {"b": "real", "c": "real", "dtype": "choice", "a": "real", "dps": "int"},
                                  lambda r, kw: isinstance(r, int) and r >= 2),
    "total_variation_mp": (S.total_variation_mp, {"x": [0.0, 1.0], "x_star": [1.0, 0.0], "dps": 30},
                           {"x": "array", "x_star": "array", "dps": "int"}, lambda r, kw: mp_in(r, 0, 2)),
    "perturbed_prefix_tv": (S.perturbed_prefix_tv, {"n_max": 50, "k": 5, "eta": 0.1, "seeds": (0,), "points": 3,
                                                    "setting": "fig9"},
                            {"n_max": "int", "k": "int", "eta": "real", "seeds": "lengths", "points": "int",
                             "setting": "choice"},
                            lambda r, kw: (r[1] <= r[2] * (1 + 1e-9) + 1e-15).all() and finite(r[3])),
    "tv_certificate": (S.tv_certificate, {"x": [0.0, 1.0], "x_star": [1.0, 0.0]}, {"x": "array", "x_star": "array"},
                       lambda r, kw: S.total_variation(S.softmax(kw["x"]), S.softmax(kw["x_star"])) <= r * (1 + 1e-12)
                       + 1e-15 and r <= 4),
    "tv_bound": (S.tv_bound, {"abs_differences": [0.1, 0.0], "spread": 0.0}, {"abs_differences": "array",
                                                                             "spread": "real"},
                 lambda r, kw: math.isfinite(r) and r >= 0),
    "tv_threshold": (S.tv_threshold, {"eps": 0.01, "spread": 0.0, "total_abs_difference": 1.0},
                     {"eps": "real", "spread": "real", "total_abs_difference": "real"},
                     lambda r, kw: isinstance(r, int) and r >= 1),
    "shifted_prefix_tv_mp": (S.shifted_prefix_tv_mp, {"n": 10, "k": 3, "eta": 0.5, "dps": 30},
                             {"n": "int", "k": "int", "eta": "real", "dps": "int"}, lambda r, kw: mp_in(r, 0, 2)),
    "shifted_prefix_tv_interval": (S.shifted_prefix_tv_interval, {"n": 10, "k": 3, "eta": 0.5, "dps": 30},
                                   {"n": "int", "k": "int", "eta": "real", "dps": "int"}, lambda r, kw: interval(r)),
    "normaliser_identity_symbolic": (S.normaliser_identity_symbolic, {"size": 2}, {"size": "int"},
                                     lambda r, kw: r == 0),
    "alternating_pair": (S.alternating_pair, {"n": 4}, {"n": "int"},
                         lambda r, kw: r[0].shape == (kw["n"],) and np.array_equal(r[0] + r[1], np.ones(kw["n"]))),
    "alternating_tv_mp": (S.alternating_tv_mp, {"n": 4, "dps": 30}, {"n": "int", "dps": "int"},
                          lambda r, kw: mp_in(r, 0, 2)),
    "alternating_tv_interval": (S.alternating_tv_interval, {"n": 4, "dps": 30}, {"n": "int", "dps": "int"},
                                lambda r, kw: interval(r)),
    # positional
    "sinusoidal_encoding": (P.sinusoidal_encoding, {"positions": [0, 1], "d": 4, "base": 100.0},
                            {"positions": "array", "d": "int", "base": "real"},
                            lambda r, kw: finite(r) and np.abs(r).max() <= 1),
    "rope_frequencies": (P.rope_frequencies, {"d": 4, "base": 100.0}, {"d": "int", "base": "real"},
                         lambda r, kw: r.shape == (kw["d"] // 2,) and finite(r)),
    "rope_rotate": (P.rope_rotate, {"x": np.ones((2, 4)), "positions": [0, 1], "base": 100.0},
                    {"x": "array", "positions": "array", "base": "real"},
                    lambda r, kw: np.allclose(np.linalg.norm(r, axis=1), np.linalg.norm(np.asarray(kw["x"]), axis=1))),
    "alibi_slope": (P.alibi_slope, {"head": 0, "num_heads": 2}, {"head": "int", "num_heads": "int"},
                    lambda r, kw: 0 < r <= 1),  # 2**(-8/H) rounds to 1.0 for H beyond 2**55
    "alibi_bias": (P.alibi_bias, {"query_position": 3, "key_positions": [0, 1], "slope": 0.5},
                   {"query_position": "real", "key_positions": "array", "slope": "real"},
                   lambda r, kw: finite(r) and (r <= 0).all()),
    "rope_logit_profile": (P.rope_logit_profile, {"q": [1.0, 0.0], "k": [0.5, 0.5], "distances": [0, 1]},
                           {"q": "array", "k": "array", "distances": "array"},
                           lambda r, kw: finite(r) and np.abs(r).max() <= np.linalg.norm(kw["q"]) * np.linalg.norm(
                               kw["k"]) * (1 + 1e-12)),
    "make_encoding": (P.make_encoding, {"encoding": "rope", "alibi": None, "rope_base": None},
                      {"encoding": "choice", "alibi": "real", "rope_base": "real"},
                      lambda r, kw: isinstance(r, P.PositionalEncoding)),
    "RoPE": (P.RoPE, {"base": 100.0}, {"base": "real"}, lambda r, kw: r.base == kw["base"]),
    "ALiBi": (P.ALiBi, {"slope": 0.5}, {"slope": "real"},
              lambda r, kw: r.slope == (P.alibi_slope() if kw["slope"] is None else kw["slope"])),
    # sensitivity
    "frozen_attention_jacobian_norms": (
        Sn.frozen_attention_jacobian_norms,
        {"attns": [A3], "d": 2, "beta1": 1.0, "beta2": 1.0, "beta3": 1.0, "sigma_psi": 1.0, "seed": 0, "target": -1},
        {"d": "int", "beta1": "real", "beta2": "real", "beta3": "real", "sigma_psi": "real", "seed": "int",
         "target": "int"},
        lambda r, kw: r.shape == (3,) and finite(r) and (r >= 0).all()),
    "sink_recency_attention": (Sn.sink_recency_attention, {"n": 4, "rng": rng(), "slope": 0.05, "sink": 3.0,
                                                           "noise": 0.5, "window": None},
                               {"n": "int", "rng": "rng", "slope": "real", "sink": "real", "noise": "real",
                                "window": "int"},
                               lambda r, kw: causal_stochastic(r, kw["n"])),
    "random_causal_attention": (Sn.random_causal_attention, {"rng": rng(), "n": 4, "hypothesis": True},
                                {"rng": "rng", "n": "int", "hypothesis": "bool"},
                                lambda r, kw: causal_stochastic(r, kw["n"])),
    # counting
    "count_sequence": (K.count_sequence, {"pattern": "10", "repeats": 2, "zero": [0.0, 0.0], "one": [1.0, 1.0],
                                          "rng": None},
                       {"pattern": "choice", "repeats": "int", "zero": "array", "one": "array", "rng": "rng"},
                       lambda r, kw: r.shape == (len(kw["pattern"]) * kw["repeats"], 2)),
    "ratio_invariance_gap": (K.ratio_invariance_gap, {"model": MODEL_BI, "pattern": "10", "repeats": (1, 2), "seed": 0,
                                                      "shuffle": True},
                             {"model": "model", "pattern": "choice", "repeats": "lengths", "seed": "int",
                              "shuffle": "bool"},
                             lambda r, kw: math.isfinite(r["max_gap"]) and r["max_gap"] >= 0),
    "count_collapse_witness": (K.count_collapse_witness, {"model": MODEL, "prompt": TOK[:2], "one": TOK[2],
                                                          "lengths": [2, 4]},
                               {"model": "model", "prompt": "array", "one": "array", "lengths": "lengths"},
                               lambda r, kw: finite(r["linf"]) and (r["witness"] is None or r["witness"] in r["n"])),
    # collapse
    "random_tokens": (C.random_tokens, {"n": 3, "d": 4, "seed": 0, "scale": 1.0},
                      {"n": "int", "d": "int", "seed": "int", "scale": "real"},
                      lambda r, kw: r.shape == (kw["n"], kw["d"]) and finite(r)),
    "geometric_lengths": (C.geometric_lengths, {"n_min": 2, "n_max": 16, "per_octave": 2},
                          {"n_min": "int", "n_max": "int", "per_octave": "int"},
                          lambda r, kw: r[0] == kw["n_min"] and r[-1] == kw["n_max"] and (np.diff(r) > 0).all()),
    "SyntheticTransformer": (C.SyntheticTransformer, {"d": 4, "num_layers": 1, "encoding": "rope", "init": "figure10",
                                                      "dtype": "fp64", "seed": 0, "alibi": None, "rope_base": None,
                                                      "mlp": True, "causal": True},
                             {"d": "int", "num_layers": "int", "encoding": "choice", "init": "choice",
                              "dtype": "choice", "seed": "int", "alibi": "real", "rope_base": "real", "mlp": "bool",
                              "causal": "bool"},
                             lambda r, kw: r.d == kw["d"] and isinstance(r.causal, bool)),
    "SyntheticTransformer.forward": (lambda x: MODEL.forward(x), {"x": TOK}, {"x": "array"},
                                     lambda r, kw: r.shape == np.shape(kw["x"]) and finite(r)),
    "SyntheticTransformer.encode_prefix": (lambda prefix: MODEL.encode_prefix(prefix), {"prefix": TOK},
                                           {"prefix": "array"}, lambda r, kw: r.length == len(kw["prefix"])),
    "SyntheticTransformer.last_token": (lambda cache, m, tokens: MODEL.last_token(cache, m, tokens),
                                        {"cache": CACHE, "m": 2, "tokens": TOK[4:5]},
                                        {"cache": "model", "m": "int", "tokens": "array"},
                                        lambda r, kw: r.shape == (4,) and finite(r)),
    "collapse_sweep": (C.collapse_sweep, {"model": MODEL, "prefix": TOK[:-1], "last": TOK[-1], "lengths": [2, 4]},
                       {"model": "model", "prefix": "array", "last": "array", "lengths": "lengths"},
                       lambda r, kw: sweep_ok(r)),
    "collapse_sweep_naive": (C.collapse_sweep_naive, {"model": MODEL, "prefix": TOK[:-1], "last": TOK[-1],
                                                      "lengths": [2, 4]},
                             {"model": "model", "prefix": "array", "last": "array", "lengths": "lengths"},
                             lambda r, kw: sweep_ok(r)),
    "collapse_sweep_all": (C.collapse_sweep_all, {"model": MODEL, "prefix": TOK[:-1], "last": TOK[-1], "n_max": 6,
                                                  "block": 4, "batched": True},
                           {"model": "model", "prefix": "array", "last": "array", "n_max": "int", "block": "int",
                            "batched": "bool"},
                           lambda r, kw: sweep_ok(r) and np.allclose(r["attn_l1"], r["attn_identity"], atol=1e-12)),
    "attention_gap_bound": (C.attention_gap_bound, {"n": 9, "M": 0.0}, {"n": "int", "M": "real"},
                            lambda r, kw: math.isfinite(r) and r > 0),
    "observed_onset": (C.observed_onset, {"lengths": [1, 2, 3], "distance": [1.0, 0.1, 0.1], "resolution": 0.2},
                       {"lengths": "lengths", "distance": "array", "resolution": "array"},
                       lambda r, kw: r is None or r in list(kw["lengths"])),
    "loglog_slope": (C.loglog_slope, {"ns": [1, 10, 100], "values": [1.0, 0.1, 0.01], "tail": 1.0},
                     {"ns": "array", "values": "array", "tail": "real"},
                     lambda r, kw: isinstance(r, float) and (math.isnan(r) or math.isfinite(r))),
    "format_onsets": (C.format_onsets, {"reference": REF, "runs": {"bf16": REF}},
                      {"reference": "model", "runs": "model"},
                      lambda r, kw: set(r) == set(kw["runs"])),
    "separator_sequence": (C.separator_sequence, {"n": 4, "one": [1.0, 1.0], "sep": [0.0, 0.0], "every": 3},
                           {"n": "int", "one": "array", "sep": "array", "every": "int"},
                           lambda r, kw: r.shape[0] == kw["n"] + (kw["n"] - 1) // kw["every"]),
    "separator_distances": (C.separator_distances, {"model": MODEL, "prompt": TOK[:2], "one": TOK[2], "sep": TOK[3],
                                                    "lengths": [2, 4], "every": 3},
                            {"model": "model", "prompt": "array", "one": "array", "sep": "array",
                             "lengths": "lengths", "every": "int"},
                            lambda r, kw: finite(r[0]) and (r[0] >= 0).all()),
}

#: Public names that take no argument (their invariants are tested with the statements).
NO_ARGUMENTS = {"last_entry_gap_symbolic", "shifted_prefix_tv_symbolic", "alternating_tv_symbolic",
                "attention_gap_identity_symbolic", "ratio_attention_symbolic", "get_limits"}
#: Public names that are not functions (constants, classes tested through their methods).
NOT_CALLABLE = {"DTYPES", "ALTERNATING_TV_LIMIT", "ENCODINGS", "INITS", "PositionalEncoding", "NoPE", "Sinusoidal",
                "SinusoidalInput"}


#: The modules this file covers (statements/audit, added by others, bring their own tests).
COVERED = (C, K, P, Pr, Se, Sn, S)


def test_every_public_name_has_a_spec():
    public = set().union(*(m.__all__ for m in COVERED))
    missing = public - set(SPECS) - NO_ARGUMENTS - NOT_CALLABLE
    assert not missing, f"no bad-input spec for {sorted(missing)}"


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout(f"over {TIME_LIMIT} s")


@pytest.mark.parametrize("name", sorted(SPECS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bad_argument_is_named_or_result_is_valid(name, data):
    func, base, kinds, invariant = SPECS[name]
    arg = data.draw(st.sampled_from(sorted(kinds)), label="argument")
    value = data.draw(BAD[kinds[arg]], label="value")
    kwargs = dict(base, **{arg: value})
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        result = func(**kwargs)
    except (ValueError, TypeError) as exc:
        assert arg in str(exc), f"{name}({arg}={value!r}): message does not name {arg!r}: {exc}"
        return
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert invariant(result, kwargs), f"{name}({arg}={value!r}) returned {result!r}"


def test_no_argument_functions_hold_their_statements():
    assert S.last_entry_gap_symbolic()["difference_minus_gap"] == 0
    assert S.shifted_prefix_tv_symbolic()["limit"] == 0
    assert S.alternating_tv_symbolic()["even_minus_limit"] == 0
    assert C.attention_gap_identity_symbolic() == 0
    assert K.ratio_attention_symbolic()["scaled_minus_z"] == 0
    assert theory.get_limits()["elements"] == 2**18  # the module fixture's value


@pytest.mark.parametrize("call, name", [
    (lambda: theory.set_limits(bogus=3), "limit name"),
    (lambda: theory.set_limits(dps=0), "dps"),
    (lambda: theory.set_limits(dps=2.5), "dps"),
])
def test_set_limits_refuses_bad_limits(call, name):
    with pytest.raises(ValueError, match=name):
        call()
