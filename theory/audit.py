r"""Audit of the published paper (arXiv v2): errata as data, each with the code that computes its evidence.

The errata are :class:`Erratum` records in :data:`ERRATA`, each graded by the one rule in
:data:`SEVERITY_RULE` and each pointing to a function of this module (``evidence``)
that computes its numbers. Every evidence function returns a dict with the numbers and
two booleans whose meaning depends on the severity:

========  ==========================================  =============================================
severity  ``hypotheses_hold``                         ``claim_fails``
========  ==========================================  =============================================
error     every hypothesis of the statement holds     the published claim or step fails on it
          for the counterexample (checked by code)
gap       the missing argument checks out             False: the conclusion survives
typo      the intended reading checks out             the text read literally fails (may be False
                                                      when the literal text is harmless)
scope     the example meets the hypotheses as         the claimed behaviour fails on it
          literally printed (``in_scope`` says
          whether the natural reading includes it)
========  ==========================================  =============================================

Each function takes keyword arguments with defaults that reproduce the erratum; a
negative control (``tests/test_audit.py``) changes one of them -- removes the
counterexample or restores the hypothesis -- and the boolean flips for a stated
mathematical reason.

Also here: :data:`CHANGES_FROM_PREPRINT` (v1 -> v2 history, never errata),
:data:`CONFIRMATIONS` (computations that confirm the authors' own caveats or
strengthen a statement), :data:`OLD_ENTRIES` (what became of the 27 errata written
against the v1 transcription), :data:`CHECK_KEYS` (which ``verify`` check attaches
which entry), :func:`audit_uses` (are the cited statement's hypotheses met wherever a
proof cites it), :func:`c6_local_windows` (Appendix C.6) and
:func:`b1_worst_case_onset` (the attained worst case of our own Lemma B.1 onset).

Run ``python -m theory.audit`` to print every entry with its computed numbers.

Examples
--------
>>> e = erratum("B.5-statement")
>>> e.severity, e.page
('error', 16)
>>> r = run_evidence("B.5-statement")
>>> r["hypotheses_hold"], r["claim_fails"]
(True, True)
"""

import math
import re
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from graphs.paths import eq4_as_printed, path_count_profile
from graphs.validate import check_choice, check_positive_int, check_positive_real
from theory import collapse as C
from theory import softmax as S
from theory.counting import count_collapse_witness, ratio_invariance_gap
from theory.positional import alibi_slope, rope_logit_profile, sinusoidal_encoding
from theory.precision import DTYPES, machine_epsilon, mantissa_bits, ulp
from theory.sensitivity import frozen_attention_jacobian_norms
from theory.statements import PROMPTS, STATEMENTS, statement

__all__ = [
    "SEVERITIES",
    "SEVERITY_RULE",
    "Erratum",
    "Change",
    "Confirmation",
    "OldEntry",
    "ERRATA",
    "CHANGES_FROM_PREPRINT",
    "CONFIRMATIONS",
    "OLD_ENTRIES",
    "CHECK_KEYS",
    "CONFIRMATION_CHECKS",
    "erratum",
    "run_evidence",
    "evidence_supports",
    "audit_uses",
    "c6_local_windows",
    "b1_worst_case_onset",
    "b1_onset_sufficient",
    "errata_markdown",
    "ev_s2_value_index",
    "ev_b1_uniform_bound",
    "ev_b2_reading",
    "ev_41_boundedness",
    "ev_b3_uses_b2",
    "ev_b3_uses_b1",
    "ev_b3_induction",
    "ev_b3_proof_residual",
    "ev_b3_delta_index",
    "ev_c3_structure",
    "ev_b4_proof_y",
    "ev_51_normalisation",
    "ev_b5_statement",
    "ev_b5_eq_indices",
    "ev_b5_proof_indices",
    "ev_b6_uniqueness",
    "ev_b8_diagonalizable",
    "ev_b8_equality",
    "ev_b8_eigvec_names",
    "ev_b9_wording",
    "ev_b10_precision",
    "ev_b10_index",
    "ev_c4_alibi",
    "ev_c4_random_values",
    "ev_c4_pe_list",
    "ev_c5_prompt_quotes",
    "ev_c6_local_windows",
    "conf_c4_rope_quasiperiodic",
    "conf_b4_exact_even",
    "use_b3_b2_layer0",
    "use_b3_b1_last_weight",
    "use_b3_induction",
    "use_b8_b5",
    "use_b8_b7",
    "use_b8_b6",
    "use_b8_perron",
    "use_b10_b3",
    "use_c3_fig9_b2",
    "use_c_experiments_b3",
    "WINDOW_PATTERNS",
    "FIG10_LEGEND",
]

SEVERITIES = ("error", "gap", "typo", "scope")

#: Relative tolerance when a bound is compared with the exact (fp64) quantity it bounds:
#: with psi = 0 the bound of Theorem B.5's proof is attained, up to rounding.
_RTOL = 1e-9

#: The rule every entry is graded by (printed in the appendix).
SEVERITY_RULE = (
    "error: the statement, or a step, is false as published; the counterexample meets EVERY "
    "hypothesis under the natural reading of the text, and code checks that it does.\n"
    "gap: a step is not justified as written but the conclusion survives; the missing argument "
    "is given (checked by code where it can be).\n"
    "typo: the intended meaning is obvious; it is given.\n"
    "scope: a remark on where the statement applies or how it may be misread.\n"
    "history: v1 -> v2 changes are listed separately under 'Changes from the preprint', never "
    "among the errata."
)


@dataclass(frozen=True)
class Erratum:
    """One entry of the errata of the published paper (v2).

    Parameters
    ----------
    key : str
        Stable identifier (``"B.3-uses-B.2"``).
    statement : str
        Id of the statement in :data:`theory.statements.STATEMENTS`.
    version : str
        Always ``"v2"``.
    page : int
        v2 page (PDF page = printed page).
    where : str
        Place in the text (statement, proof step, display).
    quote : str
        The exact printed text (maths in LaTeX).
    severity : str
        One of :data:`SEVERITIES`.
    issue : str
        What is wrong, in one or two sentences.
    correction : str
        The suggested correction (the constant that works, the missing argument, the
        intended reading).
    evidence : str
        Name of the function of this module that computes the evidence.
    """

    key: str
    statement: str
    version: str
    page: int
    where: str
    quote: str
    severity: str
    issue: str
    correction: str
    evidence: str


@dataclass(frozen=True)
class Change:
    """A difference between the preprint (v1) and the published paper (v2): history, not an erratum.

    ``v1_page`` is None: the v1 transcription carries no page numbers.
    """

    key: str
    statement: str
    v1_text: str
    v1_page: object
    v2_text: str
    v2_page: int
    change: str


@dataclass(frozen=True)
class Confirmation:
    """A computation that confirms the authors' own caveat or strengthens a statement (not an erratum)."""

    key: str
    statement: str
    page: int
    quote: str
    finding: str
    evidence: str


@dataclass(frozen=True)
class OldEntry:
    """One of the 27 errata/notes written against the v1 transcription, and what became of it.

    ``action`` is ``keep``, ``reword``, ``downgrade`` or ``remove``; ``new_key`` names the v2
    erratum, change or confirmation that replaces it (or is empty when dropped).
    """

    number: int
    check: str
    where: str
    old_kind: str
    action: str
    new_severity: str
    new_key: str
    reason: str


# =========================================================================== helpers


def _result(hypotheses_hold, claim_fails, **numbers):
    """The evidence dict: the two verdict booleans first, then the numbers."""
    return {"hypotheses_hold": bool(hypotheses_hold), "claim_fails": bool(claim_fails), **numbers}


def _causal_attention(n, rng, temperature=1.0):
    """A random causal row-stochastic matrix with every entry on and below the diagonal > 0.

    Rows 2..n therefore have at least two non-zero entries (the hypothesis of Lemma B.6
    and Proposition B.8).
    """
    logits = rng.normal(scale=temperature, size=(n, n))
    logits = np.where(np.tril(np.ones((n, n), dtype=bool)), logits, -np.inf)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _path_sum(attns, abar, target=-1):
    """Row ``target`` of ``Abar^(L-1) ... Abar^(0)`` with ``Abar^(l) = abar(A^(l))``: the weighted path sum."""
    n = attns[0].shape[0]
    r = np.zeros(n)
    r[target] = 1.0
    for a in reversed(attns):
        r = r @ abar(a)
    return r


def _no_decay(values, floor=0.1):
    """A sequence indexed by increasing n 'does not tend to 0' on the grid: its last value keeps
    at least half of its first one and stays above ``floor``."""
    return bool(values[-1] >= 0.5 * values[0] and values[-1] > floor)


def _tail_slope(ns, values):
    """Least-squares slope of log(values) against log(n)."""
    ns, values = np.asarray(ns, dtype=float), np.asarray(values, dtype=float)
    return float(np.polyfit(np.log(ns), np.log(values), 1)[0])


def _layer0_logits(n, bias, gamma=2.0, seed=0):
    """First-layer logits of the last token in Theorem B.3's two sequences, with a relative bias.

    Content logits ``s_i = q_a . k_i`` are drawn once (uniform in [-1, 1], bounded), the
    last token's ``s_a`` likewise; the positional term is ``g(distance)`` with
    ``g(t) = gamma / (1 + t)`` (``bias="decaying"``: decays to 0 with the distance, the
    hypothesis of Theorem B.3) or ``g = 0`` (``bias="none"``). Returns ``x`` (length n:
    the row of token n in ``v``) and ``x_star`` (length n + 1: the row of token n + 1 in
    ``v*``), whose last two keys are both ``v_a``.
    """
    rng = np.random.default_rng(seed)
    s = rng.uniform(-1.0, 1.0, size=n)  # s[:-1] the prefix, s[-1] = s_a
    g = (lambda t: gamma / (1.0 + t)) if bias == "decaying" else (lambda t: 0.0 * t)
    i = np.arange(1, n + 1)
    x = s + g(n - i)
    x_star = np.concatenate([s, [s[-1]]]) + g(n + 1 - np.arange(1, n + 2))
    return x, x_star


# =========================================================================== Section 2


def ev_s2_value_index(reading="printed", n=6, d=3, seed=0):
    """Section 2: ``sum_j alpha_ij norm_1(v_i)`` makes attention a no-op; ``norm_1(v_j)`` is meant.

    Parameters
    ----------
    reading : {"printed", "intended"}
        ``printed``: ``z_i = sum_{j<=i} alpha_ij v_i + v_i``; ``intended``: ``v_j`` in the sum.

    Returns
    -------
    dict
        ``dz_n_dv_1``: coefficient of ``v_1`` in ``z_n`` under the reading (0 means
        token 1 cannot influence token n); ``attention_changes_output``: whether two
        different attention matrices give different ``z``. ``hypotheses_hold``: the
        intended reading reproduces the per-layer Jacobian ``alpha_ji + delta_ji``
        used in the proof of Theorem B.5 (``beta_1 = 1``); ``claim_fails``: under the
        reading, token ``n`` does not depend on token 1 (so Section 2's "v_j depends on
        v_i for i <= j" fails).

    References
    ----------
    Section 2, p. 3 (v2); proof of Theorem B.5, p. 17.

    Examples
    --------
    >>> ev_s2_value_index()["dz_n_dv_1"], ev_s2_value_index("intended")["dz_n_dv_1"] > 0
    (0.0, True)
    """
    reading = check_choice(reading, "reading", ("printed", "intended"))
    rng = np.random.default_rng(seed)
    A, B = _causal_attention(n, rng), _causal_attention(n, rng)
    v = rng.normal(size=(n, d))

    def z(a, vals):
        # norm_1 taken as the identity: the index question does not depend on it.
        return (a.sum(axis=1, keepdims=True) * vals if reading == "printed" else a @ vals) + vals

    # z is linear in v: the coefficient of v_1 in z_n is z_n(e_1-perturbed) - z_n.
    bump = np.zeros_like(v)
    bump[0] = 1.0
    coeff = float((z(A, v + bump) - z(A, v))[-1, 0])
    jac_intended = A + np.eye(n)  # d z_j / d v_i for the intended reading
    probe = np.stack([(np.eye(n)[:, [i]] * np.ones((1, 1))) for i in range(n)])
    intended_ok = all(np.allclose((A @ probe[i] + probe[i])[:, 0], jac_intended[:, i]) for i in range(n))
    changes = not np.allclose(z(A, v), z(B, v))
    return _result(intended_ok, coeff == 0.0, reading=reading, dz_n_dv_1=coeff,
                   attention_changes_output=bool(changes))


# =========================================================================== B.1, B.2, 4.1


def ev_b1_uniform_bound(prefix="decaying", b=0.3, c=-0.2, dps=50):
    """Lemma B.1 read with 'bounded' per vector (not uniformly in n): the gap need not tend to 0.

    Parameters
    ----------
    prefix : {"decaying", "bounded"}
        ``decaying``: ``a_k = -k`` (every finite vector is bounded, but not uniformly:
        ``sum_k e^{a_k}`` converges); ``bounded``: ``a_k = 0`` (uniformly bounded).

    Returns
    -------
    dict
        ``gaps``: the gap at n = 10, 10^3, 10^6 (50 digits); ``limit``: its limit;
        ``in_scope``: whether the entries are bounded uniformly in n (the natural reading);
        ``hypotheses_hold``: the hypothesis as literally printed (each finite vector
        bounded) holds; ``claim_fails``: no n makes the gap < limit/2 (for ``decaying``),
        i.e. the second claim fails. For ``bounded`` the rate ``e^{4M}/(n-1)^2`` is checked.

    References
    ----------
    Lemma B.1, p. 13 (v2).

    Examples
    --------
    >>> r = ev_b1_uniform_bound()
    >>> r["claim_fails"], round(r["limit"], 6)
    (True, 0.286853)
    """
    prefix = check_choice(prefix, "prefix", ("decaying", "bounded"))
    ns = (10, 1000, 10**6)
    with mpmath.workdps(dps):
        eb, ec = mpmath.exp(b), mpmath.exp(c)
        if prefix == "decaying":
            # S_{n-1} = sum_{k=1}^{n-1} e^{-k}, in closed form.
            psum = [(1 - mpmath.exp(-(n - 1))) / (mpmath.e - 1) for n in ns]
            s_inf = 1 / (mpmath.e - 1)
        else:
            psum = [mpmath.mpf(n - 1) for n in ns]
            s_inf = mpmath.inf
        gaps = [eb * ec / ((s + ec) * (s + eb + ec)) for s in psum]
        limit = eb * ec / ((s_inf + ec) * (s_inf + eb + ec)) if prefix == "decaying" else mpmath.mpf(0)
        decreasing_to_limit = all(g >= limit for g in gaps)
    M = max(abs(b), abs(c)) if prefix == "bounded" else float("inf")
    rate_ok = prefix != "bounded" or all(float(g) <= S.last_entry_gap_bound(n, M) for g, n in zip(gaps, ns))
    fails = prefix == "decaying" and float(limit) > 0 and decreasing_to_limit
    return _result(True, fails, prefix=prefix, n=list(ns), gaps=[float(g) for g in gaps],
                   limit=float(limit), in_scope=prefix == "bounded", rate_bound_holds=bool(rate_ok),
                   threshold_1e_6=S.last_entry_gap_threshold(1e-6, 1.0))


def _alternating_pair(n, pair):
    x = (np.arange(n) % 2 == 0).astype(float)
    if pair == "n_dependent":
        xs = 1.0 - x
        xs[-1] = x[-1]  # the last entries agree for every n
    else:
        xs = x + 1.0 / np.arange(1, n + 1)  # one fixed pair, |x_i - x*_i| -> 0 term by term
    return x, xs


def ev_b2_reading(pair="n_dependent", ns=(10, 100, 1000, 10000)):
    """Lemma B.2 when the pair may change with n: the last-entry hypothesis alone is not enough.

    Parameters
    ----------
    pair : {"n_dependent", "fixed"}
        ``n_dependent``: ``x = (1 0 1 0 ...)``, ``x* = (0 1 0 1 ...)`` with the last entry
        of ``x*`` set to ``x_n`` (so ``x_n = x*_n`` for every n, but ``x*`` is not one
        fixed sequence); ``fixed``: ``x*_i = x_i + 1/i``, one pair of sequences.

    Returns
    -------
    dict
        ``tv``: delta(n); ``last_gap``: ``|x_n - x*_n|``; ``in_scope``: the pair is the
        truncation of one fixed pair of sequences (the natural reading);
        ``hypotheses_hold``: the hypotheses as printed (``|x_n - x*_n| -> 0``, bounded);
        ``claim_fails``: delta does not decay (see :func:`_no_decay`).

    References
    ----------
    Lemma B.2, p. 14; Proposition B.4, p. 16 (v2).

    Examples
    --------
    >>> r = ev_b2_reading()
    >>> r["claim_fails"], r["in_scope"], ev_b2_reading("fixed")["claim_fails"]
    (True, False, False)
    """
    pair = check_choice(pair, "pair", ("n_dependent", "fixed"))
    tv, last = [], []
    for n in ns:
        x, xs = _alternating_pair(n, pair)
        tv.append(S.total_variation(S.softmax(x), S.softmax(xs)))
        last.append(float(abs(x[-1] - xs[-1])))
    # One fixed pair iff the length-n vectors are prefixes of the length-(n+1) ones.
    a, b = _alternating_pair(ns[0], pair), _alternating_pair(ns[0] + 1, pair)
    fixed = bool(np.array_equal(a[0], b[0][:-1]) and np.array_equal(a[1], b[1][:-1]))
    printed_hyp = last[-1] <= last[0] and last[-1] < 0.1 + 1.0 / ns[-1]
    return _result(printed_hyp, _no_decay(tv), pair=pair, n=list(ns), tv=tv, last_gap=last,
                   in_scope=fixed, tv_limit_alternating=float(S.ALTERNATING_TV_LIMIT))


def ev_41_boundedness(seqs="unbounded", ns=(10, 100, 1000)):
    """Lemma 4.1 omits Lemma B.2's boundedness, which is needed.

    Parameters
    ----------
    seqs : {"unbounded", "bounded"}
        ``unbounded``: ``x_i = -i``, ``x*`` equal except ``x*_1 = x_1 + 1``;
        ``bounded``: ``x_i = 0`` except ``x*_1 = 1``.

    Returns
    -------
    dict
        ``tv``: delta(n); ``hypotheses_hold``: ``lim |x_n - x*_n| = 0`` (the only
        hypothesis printed in Lemma 4.1); ``in_scope``: entries bounded (Lemma B.2);
        ``claim_fails``: delta does not fall below 0.5.

    References
    ----------
    Lemma 4.1, p. 7; Lemma B.2, p. 14 (v2).

    Examples
    --------
    >>> r = ev_41_boundedness()
    >>> r["claim_fails"], round(r["tv"][-1], 6)
    (True, 0.383073)
    """
    seqs = check_choice(seqs, "seqs", ("unbounded", "bounded"))
    tv = []
    for n in ns:
        x = -np.arange(1, n + 1, dtype=float) if seqs == "unbounded" else np.zeros(n)
        xs = x.copy()
        xs[0] += 1.0
        tv.append(S.total_variation(S.softmax(x), S.softmax(xs)))
    return _result(True, _no_decay(tv), seqs=seqs, n=list(ns), tv=tv, in_scope=seqs == "bounded")


# =========================================================================== B.3 and its uses


def _layer0_use(bias, ns, gamma, seed):
    """Per length n: the quantities of the first display of the proof of Theorem B.3."""
    rows = []
    for n in ns:
        x, xs = _layer0_logits(n, bias, gamma, seed)
        alpha, alpha_star = S.softmax(x), S.softmax(xs)
        head = xs[:n]  # the first n logits of v*'s last token: what Lemma B.2 would compare with x
        spread = float(max(x.max(), xs.max()) - min(x.min(), xs.min()))
        w = float(alpha_star[-1])
        rows.append({
            "n": n,
            # sum_{i<n} |alpha_{n,i} - alpha*_{n+1,i}| + |alpha_{n,n} - alpha*_{n+1,n}|
            "delta_in_proof": float(np.abs(alpha - alpha_star[:n]).sum()),
            "last_weight": w,
            "last_gap": float(abs(x[-1] - head[-1])),
            "prefix_gap": float(np.abs(x[:-1] - head[:-1]).max()) if n > 1 else 0.0,
            "truncated_mass": float(alpha_star[:n].sum()),
            # Missing argument: delta <= TV(softmax(x), softmax(x*_{1:n})) + w
            #                        <= 2 e^{spread} mean_i |x_i - x*_i| + e^{spread}/(n+1).
            "bound": S.tv_bound(np.abs(x - head), spread) + math.exp(spread) / (n + 1),
            "weight_bound": math.exp(spread) / (n + 1),
            "first_logit": float(x[0]),
        })
    return rows


def ev_b3_uses_b2(bias="decaying", ns=(100, 1000, 10000, 100000), gamma=2.0, seed=0):
    """Proof of Theorem B.3 cites Lemma B.2 where B.2's hypotheses fail; a uniform version of B.2 closes it.

    At the place of use the two logit vectors are ``x_i = s_i + g(n - i)`` and
    ``x*_i = s_i + g(n + 1 - i)``: they change with n (the pair is not one fixed pair of
    sequences) and their *last* entries differ by ``g(0) - g(1)`` for every n, so
    ``lim |x_n - x*_n| = 0`` fails, and so does the tail closeness the proof of B.2
    uses (there the early entries are fixed and the late ones close; here it is the
    reverse). The conclusion survives: with ``|logits| <= M`` uniformly,
    ``delta <= 2 e^{2M} (1/n) sum_i |x_i - x*_i| + e^{2M}/(n+1)``, and the Cesaro mean
    tends to 0 when the positional term decays.

    Parameters
    ----------
    bias : {"decaying", "none"}
        ``decaying``: ``g(t) = gamma/(1+t)`` (meets Theorem B.3's hypothesis);
        ``none``: no positional term (then ``x*_{1:n} = x`` and B.2's hypotheses hold).

    Returns
    -------
    dict
        ``rows`` per n (``delta_in_proof``, ``bound``, ``last_gap``, ``first_logit``, ...);
        ``cited_hypotheses_hold``: B.2's hypotheses hold for ``(x, x*_{1:n})``;
        ``hypotheses_hold``: the missing bound holds at every n and falls by >= 100x;
        ``claim_fails``: False (the conclusion survives).

    References
    ----------
    Proof of Theorem B.3, pp. 15-16; Lemma B.2, p. 14 (v2).

    Examples
    --------
    >>> r = ev_b3_uses_b2()
    >>> r["cited_hypotheses_hold"], r["hypotheses_hold"], r["rows"][0]["last_gap"]
    (False, True, 1.0)
    """
    bias = check_choice(bias, "bias", ("decaying", "none"))
    rows = _layer0_use(bias, ns, gamma, seed)
    last_gap_to_zero = rows[-1]["last_gap"] < 1e-12
    tail_close = all(r["last_gap"] < 1e-12 and r["prefix_gap"] < 1e-12 for r in rows)
    fixed_pair = abs(rows[0]["first_logit"] - rows[-1]["first_logit"]) < 1e-12
    cited = last_gap_to_zero and tail_close and fixed_pair
    ok = all(r["delta_in_proof"] <= r["bound"] * (1 + 1e-12) for r in rows) and \
        rows[-1]["bound"] <= rows[0]["bound"] / 100
    return _result(ok, False, bias=bias, gamma=gamma, rows=rows, cited_hypotheses_hold=bool(cited),
                   n=list(ns), delta=[r["delta_in_proof"] for r in rows], bound=[r["bound"] for r in rows],
                   last_gap=[r["last_gap"] for r in rows],
                   lemma_b2_hypotheses={"same length n (alpha* truncated; mass < 1)": False,
                                        "one fixed pair of sequences": bool(fixed_pair),
                                        "lim |x_n - x*_n| = 0": bool(last_gap_to_zero),
                                        "bounded": True})


def ev_b3_uses_b1(bias="decaying", ns=(100, 1000, 10000, 100000), gamma=2.0, seed=0):
    """Proof of Theorem B.3 cites Lemma B.1 for ``alpha*_{n+1,n+1} -> 0``; B.1 neither states it nor applies.

    Lemma B.1 compares ``[a c]`` with ``[a b c]`` (a common prefix ``a``) and states only that
    the *difference* of the last weights tends to 0. With a positional term the prefixes
    differ (each logit moves one step further from the query). The needed fact follows
    from boundedness alone: ``alpha*_{n+1,n+1} <= e^{2M}/(n+1)``.

    Returns
    -------
    dict
        ``cited_hypotheses_hold``: B.1's common-prefix hypothesis holds at the use;
        ``hypotheses_hold``: ``alpha*_{n+1,n+1} <= e^{spread}/(n+1)`` at every n;
        ``claim_fails``: False.

    References
    ----------
    Proof of Theorem B.3, p. 16; Lemma B.1, p. 13 (v2).

    Examples
    --------
    >>> r = ev_b3_uses_b1()
    >>> r["cited_hypotheses_hold"], r["hypotheses_hold"]
    (False, True)
    """
    bias = check_choice(bias, "bias", ("decaying", "none"))
    rows = _layer0_use(bias, ns, gamma, seed)
    common_prefix = all(r["prefix_gap"] < 1e-12 for r in rows)
    ok = all(r["last_weight"] <= r["weight_bound"] for r in rows)
    return _result(ok, False, bias=bias, cited_hypotheses_hold=bool(common_prefix),
                   last_weight=[r["last_weight"] for r in rows], n=list(ns),
                   prefix_gap=[r["prefix_gap"] for r in rows])


def ev_b3_induction(layers=2, d=32, n_max=2048, seed=0):
    """Proof of Theorem B.3, 'a simple inductive approach on the layers': the layer-0 argument does not carry over as is.

    From layer 1 on, the last token's query and residual input differ between the two
    sequences (they are equal only at layer 0, where ``v_n^(0) = v*_{n+1}^(0)``), so the
    layer-0 computation cannot be repeated verbatim. The missing argument: on bounded
    sets the logit map is uniformly continuous in the query and ``norm``, ``psi`` are
    uniformly continuous, so the layer-l distance bounds the perturbation of every
    logit uniformly in i; the uniform version of Lemma B.2 (see :func:`ev_b3_uses_b2`)
    then bounds the layer-(l+1) distance.

    Parameters
    ----------
    layers : int
        Depth of the synthetic NoPE Transformer (:class:`theory.collapse.SyntheticTransformer`).

    Returns
    -------
    dict
        ``slope``: log-log slope of ``||y_n - y*_{n+1}||_1`` over n in [32, n_max];
        ``query_gap``: ``||q_n^(1) - q*_{n+1}^(1)||`` at n = 32 (0 for ``layers=1``);
        ``cited_hypotheses_hold``: the queries agree (true only for one layer);
        ``hypotheses_hold``: the collapse persists (slope <= -0.5), as the missing argument
        predicts; ``claim_fails``: False.

    References
    ----------
    Proof of Theorem B.3, p. 16 (v2).

    Examples
    --------
    >>> r = ev_b3_induction()
    >>> r["cited_hypotheses_hold"], r["hypotheses_hold"]
    (False, True)
    """
    layers = check_positive_int(layers, "layers")
    ns = C.geometric_lengths(32, n_max, per_octave=1)
    x = C.random_tokens(n_max, d, seed=seed + 1)
    deep = C.SyntheticTransformer(d=d, num_layers=layers, encoding="none", seed=seed)
    dist = C.collapse_sweep(deep, x[:-1], x[-1], ns)["l1"]
    query_gap = 0.0
    if layers > 1:
        # Layer 0 of the deep model is the one-layer model with the same seed (weights are
        # drawn layer by layer); its final norm is the layer-1 norm_1, so the layer-1
        # query gap is the one-layer output gap times W_Q of layer 1.
        shallow = C.SyntheticTransformer(d=d, num_layers=1, encoding="none", seed=seed)
        y = C.collapse_sweep(shallow, x[:-1], x[-1], [int(ns[0])])["y"][0]
        query_gap = float(np.linalg.norm((y[0] - y[1]) @ deep.layers[1]["WQ"]))
    slope = _tail_slope(ns, dist)
    return _result(slope <= -0.5, False, layers=layers, n=ns.tolist(), distance=dist.tolist(),
                   slope=slope, query_gap=query_gap, cited_hypotheses_hold=query_gap == 0.0)


def ev_b3_proof_residual(update="printed"):
    """Proof of Theorem B.3 writes ``v^(l+1) = psi(norm_2(z)) + v^(l)``; Section 2 has ``+ z^(l)``.

    Parameters
    ----------
    update : {"printed", "section2"}
        The update compared with Section 2's.

    Returns
    -------
    dict
        ``difference``: the update minus Section 2's, in sympy (printed: ``v - z``, minus
        the attention output); ``hypotheses_hold``: Section 2's update carries z into the
        residual stream (what the proof needs); ``claim_fails``: the update differs from
        Section 2's (it drops the attention output).

    References
    ----------
    Proof of Theorem B.3, p. 16; Section 2, p. 3 (v2).

    Examples
    --------
    >>> ev_b3_proof_residual()["difference"]
    '-a'
    """
    v, a, h = sp.symbols("v a h")  # a = sum_j alpha_ij norm_1(v_j), the attention output
    psi = sp.Function("psi")
    z = a + v
    update = check_choice(update, "update", ("printed", "section2"))
    section2 = psi(h) + z
    printed = psi(h) + v if update == "printed" else section2
    diff = sp.simplify(printed - section2)
    return _result(sp.simplify(section2 - psi(h) - z) == 0, diff != 0, update=update, difference=str(diff))


def _prefix_token_identity(ns=(10, 100, 300), d=16, seed=0):
    """Token n of ``v*`` versus token n and token n+1, in a causal model (RoPE, two layers).

    Token n of ``v* = [v v_a v_a]`` has the same causal context as token n of
    ``v = [v v_a]`` (same tokens, same positions), so its state equals ``y_n`` at every
    layer: comparing row/token ``n`` of the starred sequence is vacuous; token ``n+1`` is
    the one that differs.
    """
    model = C.SyntheticTransformer(d=d, num_layers=2, encoding="rope", seed=seed)
    x = C.random_tokens(max(ns), d, seed=seed + 1)
    same, other = [], []
    for n in ns:
        v = x[:n]
        v_star = np.concatenate([v, v[-1:]])
        y, y_star = model.forward(v), model.forward(v_star)
        same.append(float(np.abs(y[-1] - y_star[n - 1]).max()))
        other.append(float(np.abs(y[-1] - y_star[n]).max()))
    return list(ns), same, other


def _index_evidence(row, ns):
    row = check_choice(row, "row", ("printed", "intended"))
    ns, same, other = _prefix_token_identity(ns)
    chosen = same if row == "printed" else other
    return _result(min(other) > 0, max(chosen) == 0.0, row=row, n=ns, printed=same, intended=other)


def ev_b3_delta_index(row="printed", ns=(10, 100, 300)):
    """Proof of Theorem B.3 writes ``delta(alpha_{n,:}, alpha*_{n,:n})``; row ``n+1`` of ``alpha*`` is meant.

    Row n of ``alpha*`` is the attention of the n-th token of ``v*``, whose causal context
    equals that of the n-th token of ``v``: the printed distance is identically 0. In a
    causal model the n-th outputs coincide exactly (see :func:`_prefix_token_identity`).

    Parameters
    ----------
    row : {"printed", "intended"}
        Compare token n (printed) or token n+1 (intended) of ``v*`` with token n of ``v``.

    Returns
    -------
    dict
        ``printed``: max-norm distance between token n of ``v*`` and token n of ``v``
        (0 at every n); ``intended``: token n+1 of ``v*`` against token n of ``v``;
        ``claim_fails``: the comparison chosen by ``row`` vanishes identically;
        ``hypotheses_hold``: the intended one does not.

    References
    ----------
    Proof of Theorem B.3, p. 15 (v2).

    Examples
    --------
    >>> r = ev_b3_delta_index()
    >>> r["printed"], min(r["intended"]) > 0
    ([0.0, 0.0, 0.0], True)
    """
    return _index_evidence(row, ns)


def ev_c3_structure(encoding="sinusoidal_input", d=64, ns=(16, 64, 256, 1024, 4096), seed=0):
    """Appendix C.3 says it follows the original Transformer, which adds the sinusoidal PE to the tokens; then there is no collapse.

    With the PE added to the token vectors (as in Vaswani et al.), the last tokens of the
    two sequences differ at layer 0 by ``PE(n) - PE(n+1)``, which does not decay, the
    residual stream carries the difference, and ``||y_n - y*_{n+1}||_1`` stays put: the
    set-up is outside the Section 2 model of Theorem B.3 (positional information only in
    the logits). Figure 8's convergence is reproduced with the PE added to queries and
    keys only.

    Parameters
    ----------
    encoding : {"sinusoidal_input", "sinusoidal"}
        PE added to the token vectors, or to queries and keys only.

    Returns
    -------
    dict
        ``l1``: distances over ``ns``; ``input_gap``: mean ``||PE(n) - PE(n+1)||_1`` at
        the layer-0 input (0 when the PE is on queries and keys); ``in_scope``: layer-0
        last tokens agree (Theorem B.3's set-up); ``hypotheses_hold``: the set-up is the
        one C.3 describes literally (one layer, d = 64, variance 1/d);
        ``claim_fails``: no convergence (:func:`_no_decay`).

    References
    ----------
    Appendix C.3 and Figure 8, pp. 21-22; proof of Theorem B.3, p. 16 (v2).

    Examples
    --------
    >>> r = ev_c3_structure()
    >>> r["claim_fails"], r["in_scope"]
    (True, False)
    """
    encoding = check_choice(encoding, "encoding", ("sinusoidal_input", "sinusoidal"))
    x = C.random_tokens(max(ns), d, seed=seed + 1)
    model = C.SyntheticTransformer(d=d, num_layers=1, encoding=encoding, init="appendix", seed=seed)
    l1 = C.collapse_sweep(model, x[:-1], x[-1], ns)["l1"]
    gap = 0.0
    if encoding == "sinusoidal_input":
        pe = sinusoidal_encoding(np.arange(max(ns) + 1), d)
        gap = float(np.abs(pe[np.array(ns) - 1] - pe[np.array(ns)]).sum(axis=1).mean())
    return _result(True, _no_decay(l1), encoding=encoding, n=list(ns), l1=l1.tolist(),
                   input_gap=gap, in_scope=gap == 0.0)


# =========================================================================== B.4


def ev_b4_proof_y(reading="printed", n=1000):
    """Proof of Proposition B.4 sums ``|y_i/Z - y*_i/Z*|`` with ``y`` the softmax; ``e^{x_i}`` is meant.

    Parameters
    ----------
    reading : {"printed", "intended"}
        ``printed``: ``y`` the softmax (as defined in the statement), so the summand is
        divided by Z twice; ``intended``: ``e^{x_i}/Z - e^{x*_i}/Z*``.

    Returns
    -------
    dict
        ``value``: the first line of the display at length n under the reading;
        ``limit``: ``2(e-1)/(e+1)``; ``claim_fails``: the line does not give the limit
        (it is below 1% of it); ``hypotheses_hold``: the intended reading gives exactly
        the limit for even n (sympy).

    References
    ----------
    Proposition B.4, p. 16 (v2).

    Examples
    --------
    >>> ev_b4_proof_y()["claim_fails"], ev_b4_proof_y("intended")["claim_fails"]
    (True, False)
    """
    reading = check_choice(reading, "reading", ("printed", "intended"))
    n = check_positive_int(n, "n", minimum=2)
    x = (np.arange(n) % 2 == 0).astype(float)
    xs = 1.0 - x
    Z, Zs = np.exp(x).sum(), np.exp(xs).sum()
    num, num_s = (S.softmax(x), S.softmax(xs)) if reading == "printed" else (np.exp(x), np.exp(xs))
    value = float(np.abs(num / Z - num_s / Zs).sum())
    limit = float(S.ALTERNATING_TV_LIMIT)
    exact = S.alternating_tv_symbolic()["even_minus_limit"] == 0
    return _result(exact, value < 0.01 * limit, reading=reading, n=n, value=value, limit=limit)


# =========================================================================== B.5 and 5.1

#: The model of the Theorem B.5 errata: frozen attention (independent of the input),
#: layer norms as constant factors, psi = sigma tanh(W .) with ||W||_2 = 1.
_B5_MODEL = {"n": 10, "L": 3, "beta1": 0.5, "beta2": 2.0, "beta3": 1.5, "seed": 0}


def _b5_attention(n, L, seed):
    rng = np.random.default_rng(seed)
    return [_causal_attention(n, rng, temperature=2.0) for _ in range(L)]


def ev_51_normalisation(constant="enlarged", sigma=0.7):
    """Theorem 5.1 writes ``abar = alpha/beta_2 + delta`` (the proof has ``beta_1``); with 'some constant C' it still holds.

    ``alpha/beta_1 + delta <= max(1, beta_2/beta_1) (alpha/beta_2 + delta)`` entrywise,
    so the printed bound holds with ``C = (1/beta_3) prod_l (sigma/beta_2 + 1) *
    max(1, beta_2/beta_1)^L``.

    Parameters
    ----------
    constant : {"enlarged", "proof"}
        ``enlarged``: the constant above; ``proof``: the proof's C without the factor
        (then the printed normalisation fails when ``beta_1 < beta_2``).

    Returns
    -------
    dict
        ``min_ratio``: min over positions of bound/true; ``min_ratio_beta1``: the same for
        the intended ``alpha/beta_1 + delta`` with the proof's C; ``hypotheses_hold``:
        the intended reading holds (ratio >= 1); ``claim_fails``: the printed bound with
        this constant fails somewhere.

    References
    ----------
    Theorem 5.1, p. 8; proof of Theorem B.5, p. 17 (v2).

    Examples
    --------
    >>> ev_51_normalisation()["claim_fails"], ev_51_normalisation("proof")["claim_fails"]
    (False, True)
    """
    constant = check_choice(constant, "constant", ("enlarged", "proof"))
    m = _B5_MODEL
    attns = _b5_attention(m["n"], m["L"], m["seed"])
    true = frozen_attention_jacobian_norms(attns, 6, m["beta1"], m["beta2"], m["beta3"], sigma, seed=m["seed"])
    c_proof = (sigma / m["beta2"] + 1.0) ** m["L"] / m["beta3"]
    factor = max(1.0, m["beta2"] / m["beta1"]) ** m["L"] if constant == "enlarged" else 1.0
    eye = np.eye(m["n"])
    printed = c_proof * factor * _path_sum(attns, lambda a: a / m["beta2"] + eye)
    intended = c_proof * _path_sum(attns, lambda a: a / m["beta1"] + eye)
    ratio, ratio1 = float((printed / true).min()), float((intended / true).min())
    return _result(ratio1 >= 1.0 - _RTOL, ratio < 1.0 - _RTOL, constant=constant, sigma=sigma, min_ratio=ratio,
                   min_ratio_beta1=ratio1, C=c_proof * factor, **{k: m[k] for k in ("beta1", "beta2", "beta3")})


def ev_b5_statement(bound="statement", sigma=0.0):
    """Theorem B.5's constant ``sigma_psi^L`` (and ``(alpha+delta)/beta``) does not bound the Jacobian.

    With ``psi = 0`` (a 0-Lipschitz MLP) the right-hand side is 0 whatever ``beta^(l)``
    means, while the residual stream keeps ``||d y_n / d v_n^(0)|| >= 1/beta_3 > 0``.

    Parameters
    ----------
    bound : {"statement", "proof"}
        ``statement``: ``sigma^L`` times the path sum of ``(alpha+delta)/beta`` for each
        reading ``beta in {1, beta_1, beta_2}``; ``proof``: ``C = (1/beta_3) prod
        (sigma/beta_2 + 1)`` with ``alpha/beta_1 + delta`` (the proof's bound).
    sigma : float
        Lipschitz constant of ``psi = sigma tanh(W .)``.

    Returns
    -------
    dict
        ``true``: ``||d y_n/d v_i^(0)||`` per i; ``ratios``: min over i of bound/true for each
        reading of ``beta^(l)``; ``ratios_sigma_half``: the same for ``sigma = 1/2``;
        ``min_ratio``: min over readings; ``hypotheses_hold``: attention frozen, norms constant factors and
        ``sigma`` the Lipschitz constant of psi (by construction; the Jacobian is exact);
        ``claim_fails``: the bound fails for every reading of ``beta^(l)``.

    References
    ----------
    Theorem B.5, p. 16; proof, p. 17 (v2).

    Examples
    --------
    >>> r = ev_b5_statement()
    >>> r["claim_fails"], round(r["true"][-1], 3), ev_b5_statement("proof")["claim_fails"]
    (True, 1.199, False)
    """
    bound = check_choice(bound, "bound", ("statement", "proof"))
    sigma = check_positive_real(sigma, "sigma", allow_zero=True)
    m = _B5_MODEL
    attns = _b5_attention(m["n"], m["L"], m["seed"])
    eye = np.eye(m["n"])

    def min_ratios(sig):
        true = frozen_attention_jacobian_norms(attns, 6, m["beta1"], m["beta2"], m["beta3"], sig, seed=m["seed"])
        if bound == "statement":
            readings = {"1": 1.0, "beta1": m["beta1"], "beta2": m["beta2"]}
            return true, {k: float((sig ** m["L"] * _path_sum(attns, lambda a, b=b: (a + eye) / b) / true).min())
                          for k, b in readings.items()}
        c = (sig / m["beta2"] + 1.0) ** m["L"] / m["beta3"]
        return true, {"proof": float((c * _path_sum(attns, lambda a: a / m["beta1"] + eye) / true).min())}

    true, ratios = min_ratios(sigma)
    fails = all(r < 1.0 - _RTOL for r in ratios.values())
    return _result(True, fails, bound=bound, sigma=sigma, true=true.tolist(), ratios=ratios,
                   ratios_sigma_half=min_ratios(0.5)[1], min_ratio=min(ratios.values()),
                   **{k: m[k] for k in ("beta1", "beta2", "beta3")})


def ev_b5_eq_indices(reading="printed", n=4, L=3, i=0):
    """Equations (1) and (4) sum over ``k_1 .. k_L`` but link ``k_L`` to n and nothing to ``k_L``; the path sum over ``k_1 .. k_{L-1}`` is meant.

    A path through L layers has ``L - 1`` intermediate tokens; in the chain-rule display
    of the proof (p. 17) the layer-(L-1) token is called ``k_L`` in the first factor and
    ``k_{L-1}`` in the product.

    Returns
    -------
    dict
        ``printed``: the literal sum; ``intended``: ``(Abar^(L-1) ... Abar^(0))_{n,i}``;
        ``jacobian``: ``d y_n / d v_i`` of the linear residual model ``v <- A v + v``
        (``psi = 0``, all ``beta = 1``); ``hypotheses_hold``: intended = Jacobian;
        ``claim_fails``: printed differs from the Jacobian.

    References
    ----------
    Theorem 5.1, Eq. (1), p. 8; Theorem B.5, Eq. (4), p. 16; proof, p. 17 (v2).

    Examples
    --------
    >>> r = ev_b5_eq_indices()
    >>> round(r["printed"], 4), round(r["intended"], 4)
    (14.2552, 3.033)
    """
    reading = check_choice(reading, "reading", ("printed", "intended"))
    size = n + 0
    A = np.tril(np.ones((size, size))) / np.arange(1, size + 1)[:, None]  # uniform causal attention
    attns = [A] * L
    eye = np.eye(size)
    printed = eq4_as_printed(attns, i, beta1=1.0)
    intended = float(_path_sum(attns, lambda a: a + eye)[i])
    jac = float(np.linalg.matrix_power(A + eye, L)[-1, i])
    value = printed if reading == "printed" else intended
    return _result(abs(intended - jac) < 1e-12, abs(value - jac) > 1e-9, reading=reading,
                   printed=printed, intended=intended, jacobian=jac, n=n, L=L)


def ev_b5_proof_indices(reading="printed", size=3):
    """Proof of Theorem B.5, first display: ``d/dv_j`` and ``sum_{j<=i} alpha_ij norm_1(v_i)`` should be ``d/dv_i`` and ``sum_k alpha_jk norm_1(v_k)``.

    Returns
    -------
    dict
        ``printed``: the derivative of the printed bracket with respect to ``v_i``
        (``1/beta_1 + 1``, independent of j); ``intended``: ``d z_j / d v_i =
        alpha_ji/beta_1 + delta_ji``, the display's last line; ``claim_fails``: the
        bracket chosen by ``reading`` ({"printed", "intended"}) does not give the last
        line (j != i); ``hypotheses_hold``: the intended bracket gives it.

    References
    ----------
    Proof of Theorem B.5, p. 17 (v2).

    Examples
    --------
    >>> ev_b5_proof_indices()["claim_fails"]
    True
    """
    reading = check_choice(reading, "reading", ("printed", "intended"))
    size = check_positive_int(size, "size", minimum=2)
    b1 = sp.Symbol("beta_1", positive=True)
    alpha = sp.Matrix(size, size, lambda r, c: sp.Symbol(f"a{r}{c}", positive=True) if c <= r else 0)
    v = sp.symbols(f"v0:{size}")
    j, i = size - 1, 0  # a pair with j > i
    row_sum = sp.Symbol("rowsum")  # sum_j alpha_ij = 1 in the printed bracket
    printed_bracket = row_sum * v[i] / b1 + v[i]
    printed = sp.diff(printed_bracket, v[i]).subs(row_sum, 1)
    z_j = sum(alpha[j, k] * v[k] for k in range(size)) / b1 + v[j]
    intended = sp.diff(z_j, v[i])
    target = alpha[j, i] / b1 + (1 if i == j else 0)
    chosen = printed if reading == "printed" else intended
    return _result(sp.simplify(intended - target) == 0, sp.simplify(chosen - target) != 0,
                   reading=reading, printed=str(printed), intended=str(intended))


# =========================================================================== B.6, B.8


def _ancestors(A, i):
    """Tokens reachable from i by following non-zero entries (j <= i): what the max-entry argument reaches."""
    seen, stack = {i}, [i]
    while stack:
        k = stack.pop()
        for j in np.flatnonzero(A[k] > 0):
            if j not in seen:
                seen.add(int(j))
                stack.append(int(j))
    return seen


def ev_b6_uniqueness(hypothesis=True, n=5, trials=8, seed=0):
    """Lemma B.6, proof of uniqueness: the max-entry argument only reaches the tokens the maximiser points to.

    From a maximal entry ``y_i`` the argument gives ``y_j = y_i`` for the j that i attends
    to, and recursively down to token 1 -- never for tokens after i (for i = 1, for no
    other token). The missing argument: for ``k >= 2`` the hypothesis gives
    ``a_kk < 1``, so ``y_k = sum_{j<k} a_kj y_j / (1 - a_kk)`` is an average of earlier
    entries and by induction ``y_k = y_1`` (equivalently, run the argument on the
    minimum as well).

    Parameters
    ----------
    hypothesis : bool
        Rows 2..n have at least two non-zero entries; False makes one row attend only
        to itself.

    Returns
    -------
    dict
        ``eigenspace_dims``: ``dim ker(A - I)`` (exact, sympy, rational matrices);
        ``min_covered``: the fewest tokens the written argument reaches from a possible
        maximiser; ``hypotheses_hold``: every ``a_kk < 1`` (k >= 2) and every eigenspace
        has dimension 1; ``claim_fails``: False.

    References
    ----------
    Lemma B.6, pp. 17-18 (v2).

    Examples
    --------
    >>> r = ev_b6_uniqueness()
    >>> r["hypotheses_hold"], r["min_covered"], ev_b6_uniqueness(False)["hypotheses_hold"]
    (True, 1, False)
    """
    rng = np.random.default_rng(seed)
    dims, premise, covered = [], True, []
    for _ in range(trials):
        raw = np.tril(rng.integers(1, 5, size=(n, n)))
        if not hypothesis:
            k = int(rng.integers(1, n))
            raw[k] = 0
            raw[k, k] = 1
        A = sp.Matrix([[sp.Rational(int(raw[r, c]), int(raw[r].sum())) for c in range(n)] for r in range(n)])
        dims.append(len((A - sp.eye(n)).nullspace()))
        premise &= all(A[k, k] < 1 for k in range(1, n))
        Af = np.array(A.tolist(), dtype=float)
        covered.append(min(len(_ancestors(Af, i)) for i in range(n)))
    ok = premise and all(dm == 1 for dm in dims)
    return _result(ok, False, hypothesis=hypothesis, eigenspace_dims=dims, min_covered=min(covered), n=n)


_LAMBDAS = {
    # rows 2, 3 have two non-zero entries; the diagonal 1/2 repeats -> Jordan block
    "defective": [[1, 0, 0], [sp.Rational(1, 2), sp.Rational(1, 2), 0], [0, sp.Rational(1, 2), sp.Rational(1, 2)]],
    "distinct": [[1, 0, 0], [sp.Rational(1, 2), sp.Rational(1, 2), 0],
                 [sp.Rational(1, 3), sp.Rational(1, 3), sp.Rational(1, 3)]],
}


def _b8_hypotheses(lam):
    n = lam.shape[0]
    stochastic = all(sum(lam.row(r)) == 1 for r in range(n)) and all(e >= 0 for e in lam)
    triangular = all(lam[r, c] == 0 for r in range(n) for c in range(r + 1, n))
    two = all(sum(1 for c in range(n) if lam[r, c] != 0) >= 2 for r in range(1, n))
    return stochastic and triangular and two


def ev_b8_diagonalizable(lam="defective", eps=1e-6):
    """Proposition B.8's proof: '(Lambda + I)/2 ... with our assumptions is diagonalizable' is false.

    ``Lambda = [[1,0,0],[1/2,1/2,0],[0,1/2,1/2]]`` meets every hypothesis (row-stochastic,
    causal, rows 2..n with two non-zero entries, the same at every layer); ``(Lambda+I)/2``
    has a 2x2 Jordan block for 3/4. The conclusion survives: the other eigenvalues
    ``(1 + Lambda_ii)/2`` lie in ``[1/2, 1)``, so ``T^L -> 1 e_1^T`` with error
    ``O(L^{m-1} lambda_2^L)``.

    Parameters
    ----------
    lam : {"defective", "distinct"}
        The example above, or one with distinct diagonal entries (diagonalizable).

    Returns
    -------
    dict
        ``jordan_blocks``; ``limit_holds``: ``T^L -> 1 e_1^T``; ``layers``: L reaching
        ``eps``; ``layers_predicted``: ``log eps / log lambda_2``; ``hypotheses_hold``;
        ``claim_fails``: T is not diagonalizable.

    References
    ----------
    Proposition B.8, p. 18 (v2).

    Examples
    --------
    >>> r = ev_b8_diagonalizable()
    >>> r["hypotheses_hold"], r["claim_fails"], r["jordan_blocks"], r["limit_holds"]
    (True, True, [1, 2], True)
    """
    lam = check_choice(lam, "lam", tuple(_LAMBDAS))
    L = sp.Matrix(_LAMBDAS[lam])
    T = (L + sp.eye(3)) / 2
    _, J = T.jordan_form()
    blocks, k = [], 0
    while k < 3:
        size = 1
        while k + size < 3 and J[k + size - 1, k + size] == 1:
            size += 1
        blocks.append(size)
        k += size
    Tf = np.array(T.tolist(), dtype=float)
    target = np.zeros((3, 3))
    target[:, 0] = 1.0
    P, layers = np.eye(3), 0
    while np.abs(P - target).max() > eps:
        P, layers = P @ Tf, layers + 1
    lam2 = float(max(T[i, i] for i in range(1, 3)))
    return _result(_b8_hypotheses(L), not T.is_diagonalizable(), lam=lam, jordan_blocks=sorted(blocks),
                   limit_holds=bool(np.abs(np.linalg.matrix_power(Tf, 400) - target).max() < 1e-12),
                   layers=layers, layers_predicted=math.ceil(math.log(eps) / math.log(lam2)), lambda_2=lam2)


def _relu_mlp(sign):
    """``psi(x) = sign * x`` written as a two-layer ReLU MLP: ``W2 relu(W1 x)``, Lipschitz constant 1."""
    def psi(h):
        pos, neg = np.maximum(h, 0.0), np.maximum(-h, 0.0)
        return sign * (pos - neg)
    return psi


def ev_b8_equality(psi="minus_identity", n=5, L=60, d=3, seed=0):
    """Proposition B.8 states ``d y_n / d v_1^(0) = 1`` in the limit; the proof only bounds it by 1, and it can be 0.

    With ``psi(x) = -x`` (``relu(-x) - relu(x)``, an MLP with Lipschitz constant exactly
    1) every block outputs ``psi(z) + z = 0``, so ``y`` is identically 0 and every
    derivative vanishes, although every hypothesis holds (``beta_1 = beta_2 = 1``,
    ``beta_3 = 4^L``, ``sigma_psi = 1``, equal attention with two non-zero entries per
    row). With ``psi = id`` the bound is attained and the derivative tends to 1.

    Parameters
    ----------
    psi : {"minus_identity", "identity"}

    Returns
    -------
    dict
        ``dy_n_dv_1``: the derivative (scalar times the identity) at depth L, from the
        forward pass; ``bound``: ``((Lambda+I)/2)^L_{n,1}``; ``lipschitz``: measured
        Lipschitz ratio of psi; ``hypotheses_hold``; ``claim_fails``: the derivative is
        not within 0.5 of 1.

    References
    ----------
    Proposition B.8, p. 18 (v2).

    Examples
    --------
    >>> r = ev_b8_equality()
    >>> r["hypotheses_hold"], r["claim_fails"], r["dy_n_dv_1"]
    (True, True, 0.0)
    """
    psi = check_choice(psi, "psi", ("minus_identity", "identity"))
    f = _relu_mlp(-1.0 if psi == "minus_identity" else 1.0)
    lam = np.tril(np.ones((n, n))) / np.arange(1, n + 1)[:, None]  # rows 2..n: two or more non-zeros
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, d))
    lipschitz = float(np.linalg.norm(f(a) - f(b)) / np.linalg.norm(a - b))

    def forward(v):
        for _ in range(L):
            z = lam @ v + v  # beta_1 = 1
            v = f(z) + z  # beta_2 = 1
        return v / 4.0**L  # beta_3^{1/L} = 4

    v0 = rng.normal(size=(n, d))
    bump = np.zeros_like(v0)
    bump[0, 0] = 1.0
    deriv = float((forward(v0 + bump) - forward(v0))[-1, 0])  # the model is linear: exact
    bound = float(np.linalg.matrix_power((lam + np.eye(n)) / 2.0, L)[-1, 0])
    hyp = abs(lipschitz - 1.0) < 1e-12 and _b8_hypotheses(sp.Matrix(lam.tolist()).applyfunc(sp.nsimplify))
    return _result(hyp, abs(deriv - 1.0) > 0.5, psi=psi, L=L, dy_n_dv_1=deriv, bound=bound,
                   lipschitz=lipschitz)


def ev_b8_eigvec_names(naming="printed", n=6, seed=0):
    """Proposition B.8's proof calls the constant vector ``psi_n`` a *left* eigenvector and ``phi_n = e_1`` a right one; it is the other way round.

    Returns
    -------
    dict
        ``right_residual``: ``||T 1 - 1||``; ``left_residual``: ``||e_1^T T - e_1^T||``;
        ``printed_residual``: ``||1^T T - 1^T||`` (the printed naming);
        ``hypotheses_hold``: the swapped naming holds and ``1 e_1^T`` is the limit;
        ``claim_fails``: the naming chosen ({"printed", "swapped"}) fails.

    References
    ----------
    Proposition B.8, p. 18 (v2).

    Examples
    --------
    >>> ev_b8_eigvec_names()["claim_fails"]
    True
    """
    naming = check_choice(naming, "naming", ("printed", "swapped"))
    rng = np.random.default_rng(seed)
    T = (_causal_attention(n, rng) + np.eye(n)) / 2.0
    one, e1 = np.ones(n), np.eye(n)[0]
    right = float(np.abs(T @ one - one).max())
    left = float(np.abs(e1 @ T - e1).max())
    printed = float(np.abs(one @ T - one).max())
    limit_ok = np.abs(np.linalg.matrix_power(T, 400) - np.outer(one, e1)).max() < 1e-10
    # Printed: psi_n = 1 a left eigenvector; swapped: e_1 the left one.
    chosen = printed if naming == "printed" else left
    return _result(right < 1e-12 and left < 1e-12 and limit_ok, chosen > 1e-6, naming=naming,
                   right_residual=right, left_residual=left, printed_residual=printed)


# =========================================================================== B.9, B.10


def ev_b9_wording(reading="causal", d=8, seed=0):
    """Proposition B.9/6.1: 'without positional encodings and a causal attention mechanism' means without both.

    Parameters
    ----------
    reading : {"causal", "intended"}
        ``causal``: no positional encodings *with* a causal mask (the other parse);
        ``intended``: neither (the proof: 'without positional encodings and causal masking').

    Returns
    -------
    dict
        ``gap``: largest distance between same-token representations across sequences
        with the same ratio of ones (:func:`theory.counting.ratio_invariance_gap`) under
        the reading; ``hypotheses_hold``: under the intended reading the gap is 0 (< 1e-12);
        ``claim_fails``: under the reading the gap is not 0.

    References
    ----------
    Proposition 6.1, p. 9; Proposition B.9, p. 19 (v2).

    Examples
    --------
    >>> ev_b9_wording()["claim_fails"], ev_b9_wording("intended")["claim_fails"]
    (True, False)
    """
    reading = check_choice(reading, "reading", ("causal", "intended"))

    def gap(causal):
        model = C.SyntheticTransformer(d=d, num_layers=2, encoding="none", causal=causal, seed=seed)
        return ratio_invariance_gap(model)["max_gap"]

    g_intended = gap(False)
    g = gap(reading == "causal") if reading == "causal" else g_intended
    return _result(g_intended < 1e-12, g > 1e-6, reading=reading, gap=g, gap_intended=g_intended)


def ev_b10_precision(dtype="fp64", d=16, ns=(2, 8, 32, 128, 512), seed=0):
    """Corollary B.10 says 'due to representational collapse'; the forced error needs a finite format.

    Theorem B.3 gives ``||y_n - y*_{n+1}|| -> 0`` with the two vectors distinct at every
    finite n; the proof's 'indistinguishable' holds once they round to the same vector in
    a format (Corollary 6.2 names finite precision, B.10 does not).

    Parameters
    ----------
    dtype : str
        Format of every intermediate tensor (:data:`theory.precision.DTYPES`).

    Returns
    -------
    dict
        ``linf``: distances for the counting pair (prompt + n ones vs n + 1 ones);
        ``witness``: first n with bitwise-identical final states (None if none);
        ``hypotheses_hold``: the model meets Theorem B.3's hypotheses (no positional
        encoding, bounded) and the distance decays; ``claim_fails``: no identical pair,
        i.e. 'indistinguishable' is not reached in this format.

    References
    ----------
    Corollary B.10, p. 20; Corollary 6.2, p. 10 (v2).

    Examples
    --------
    >>> ev_b10_precision()["claim_fails"], ev_b10_precision("fp8_e4m3")["claim_fails"]
    (True, False)
    """
    dtype = check_choice(dtype, "dtype", DTYPES)
    rng = np.random.default_rng(seed + 3)
    prompt, one = rng.normal(size=(4, d)), rng.normal(size=d)
    model = C.SyntheticTransformer(d=d, num_layers=1, encoding="none", dtype=dtype, seed=seed)
    w = count_collapse_witness(model, prompt, one, ns)
    ref = count_collapse_witness(C.SyntheticTransformer(d=d, num_layers=1, encoding="none", seed=seed),
                                 prompt, one, ns)
    decays = ref["linf"][-1] < ref["linf"][0] / 10
    return _result(decays, w["witness"] is None, dtype=dtype, n=list(ns), linf=w["linf"].tolist(),
                   linf_fp64=ref["linf"].tolist(), witness=w["witness"])


def ev_b10_index(row="printed", ns=(10, 100, 300)):
    """Corollary B.10's proof compares ``y_n`` with ``y*_n``; ``y*_{n+1}`` is meant (``y*_n = y_n`` exactly).

    Returns
    -------
    dict
        As :func:`ev_b3_delta_index`: ``printed`` (token n of ``v*``; 0 at every n) and
        ``intended`` (token n + 1).

    References
    ----------
    Proof of Corollary B.10, p. 20 (v2).

    Examples
    --------
    >>> ev_b10_index()["claim_fails"]
    True
    """
    return _index_evidence(row, ns)


# =========================================================================== C.4, C.5


def ev_c4_alibi(encoding="alibi", d=64, ns=(256, 512, 1024, 2048, 4096), seed=0):
    """Appendix C.4, 'collapse seems to occur with all 4 positional encodings': not in the limit for ALiBi.

    ALiBi's bias ``-m (i - j)`` grows with the distance instead of decaying, so Theorem
    B.3 does not cover it, and the attention keeps a recency window of about ``1/m``
    tokens: past a few times ``1/m`` the distance between the two last tokens stops
    decaying (single-head slope ``m = 2^-8``).

    Parameters
    ----------
    encoding : {"alibi", "none"}

    Returns
    -------
    dict
        ``l1``: distances on ``ns`` (one layer, d = 64, the Figure 10 variance);
        ``bias_at_max``: the positional logit term at distance ``max(ns)``;
        ``in_scope``: the encoding decays with distance (Theorem B.3's hypothesis);
        ``hypotheses_hold``: the set-up is Figure 10's; ``claim_fails``: no decay
        (:func:`_no_decay`).

    References
    ----------
    Appendix C.4 and Figure 10, pp. 22-23 (v2).

    Examples
    --------
    >>> ev_c4_alibi()["claim_fails"], ev_c4_alibi("none")["claim_fails"]
    (True, False)
    """
    encoding = check_choice(encoding, "encoding", ("alibi", "none"))
    x = C.random_tokens(max(ns), d, seed=seed + 1)
    model = C.SyntheticTransformer(d=d, num_layers=1, encoding=encoding, seed=seed)
    l1 = C.collapse_sweep(model, x[:-1], x[-1], ns)["l1"]
    bias = -alibi_slope() * (max(ns) - 1) if encoding == "alibi" else 0.0
    return _result(True, _no_decay(l1), encoding=encoding, n=list(ns), l1=l1.tolist(),
                   alibi_slope=alibi_slope(), bias_at_max=bias, in_scope=encoding == "none")


def _parity_attention_gap(n, values, rng_values, d):
    """One attention layer, logits = parity bias ``1[(i - j) even]`` (Proposition B.4's pattern as a relative PE)."""
    def out(length, vals):
        dist = length - 1 - np.arange(length)
        w = S.softmax((dist % 2 == 0).astype(float))
        return w @ vals
    vals = rng_values[: n] if values == "random" else np.outer((-1.0) ** np.arange(n), np.ones(d))
    v_star = np.concatenate([vals, vals[-1:]])  # the last token repeated
    return float(np.abs(out(n, vals) - out(n + 1, v_star)).sum())


def ev_c4_random_values(values="random", d=16, ns=(100, 1000, 10000, 100000), seed=0):
    """Appendices C.3/C.4: with i.i.d. random values the one-layer distance decays even for a positional encoding that does not.

    The bias ``g(t) = 1[t even]`` (the 1010... pattern of Proposition B.4, as a function
    of the distance) does not decay: the two attention distributions stay at total
    variation ``~2(e-1)/(e+1)``. Yet with i.i.d. Gaussian values the outputs differ by a
    weighted average of independent vectors, ``O(n^{-1/2})``, and the distance decays;
    with values aligned with the pattern it does not. Random-value experiments
    (Figures 8 and 10) therefore do not test the decay condition, for RoPE or any other
    encoding.

    Parameters
    ----------
    values : {"random", "aligned"}

    Returns
    -------
    dict
        ``distance``: ``||z_n - z*_{n+1}||_1`` on ``ns``; ``attention_tv``: total variation
        of the two attention distributions at ``max(ns)``; ``slope``;
        ``hypotheses_hold``: the bias violates the decay hypothesis (TV > 0.9);
        ``claim_fails``: the distance decays anyway (last <= first / 10), so the test
        does not discriminate.

    References
    ----------
    Appendix C.3 (Figure 8), p. 21; Appendix C.4 (Figure 10), pp. 22-23 (v2).

    Examples
    --------
    >>> ev_c4_random_values()["claim_fails"], ev_c4_random_values("aligned")["claim_fails"]
    (True, False)
    """
    values = check_choice(values, "values", ("random", "aligned"))
    rng_values = np.random.default_rng(seed).normal(size=(max(ns), d))
    dist = [_parity_attention_gap(n, values, rng_values, d) for n in ns]
    n = max(ns)
    a = S.softmax(((n - 1 - np.arange(n)) % 2 == 0).astype(float))
    b = S.softmax(((n - np.arange(n + 1)) % 2 == 0).astype(float))
    tv = float(np.abs(np.append(a, 0.0) - b).sum())
    return _result(tv > 0.9, dist[-1] <= dist[0] / 10, values=values, n=list(ns), distance=dist,
                   attention_tv=tv, slope=_tail_slope(ns, dist))


#: Figure 10's legend, read from page 23 of v2.
FIG10_LEGEND = ("Sinusoidal Absolute Encoding", "RoPE", "Alibi", "No Positional Encoding")


def ev_c4_pe_list(text=None):
    """Appendix C.4 names three encodings ('namely: Alibi, ... APE, ... NoPE') and then speaks of 'all 4'; Figure 10 also shows RoPE.

    Parameters
    ----------
    text : str, optional
        The paragraph to parse (default: the quoted text of C.4).

    Returns
    -------
    dict
        ``named``: encodings named in the 'namely' list (parsed from the quoted text);
        ``claimed``: the number in 'all 4'; ``legend``: Figure 10's legend;
        ``claim_fails``: the list and the number disagree; ``hypotheses_hold``: the list
        plus RoPE matches the legend.

    References
    ----------
    Appendix C.4, pp. 22-23; Figure 10, p. 23 (v2).

    Examples
    --------
    >>> ev_c4_pe_list()["named"]
    ['Alibi', 'APE', 'NoPE']
    """
    text = statement("C.4").text if text is None else text
    listed = text.split("namely:")[1].split(". In our")[0]
    named = [name for name in ("Alibi", "RoPE", "APE", "NoPE") if re.search(rf"\b{name}\b", listed)]
    claimed = int(text.split("all ")[1].split(" positional")[0])
    legend_short = {"Sinusoidal Absolute Encoding": "APE", "RoPE": "RoPE", "Alibi": "Alibi",
                    "No Positional Encoding": "NoPE"}
    intended = sorted(named + ["RoPE"]) == sorted(legend_short[x] for x in FIG10_LEGEND)
    return _result(intended, len(named) != claimed, named=named, claimed=claimed, legend=list(FIG10_LEGEND))


def _words(text):
    """The words of a prompt, without the surrounding double quotes and full stops."""
    return [w.strip("\u201c\u201d.") for w in text.split() if w.strip("\u201c\u201d.")]


def ev_c5_prompt_quotes(prompt="C.5/type1"):
    """Appendix C.5 and Figures 11-12: the printed quotation marks of the Type 1 prompt leave ``{seq}`` outside it.

    Parameters
    ----------
    prompt : {"C.5/type1", "fig12/prompt", "C.5/type2"}
        A key of :data:`theory.statements.PROMPTS`.

    Returns
    -------
    dict
        ``seq_inside_quotes``: whether ``{seq}`` lies between the printed opening and
        closing double quotes; ``fig12_extra``: what the Figure 12 caption adds to the
        Type 1 text; ``claim_fails``: the printed prompt does not contain its sequence;
        ``hypotheses_hold``: our template contains ``{seq}`` exactly once and otherwise
        the printed words.

    References
    ----------
    Appendix C.5, p. 23; Figures 11 and 12, p. 24 (v2).

    Examples
    --------
    >>> ev_c5_prompt_quotes()["claim_fails"], ev_c5_prompt_quotes("C.5/type2")["claim_fails"]
    (True, False)
    """
    prompt = check_choice(prompt, "prompt", ("C.5/type1", "fig12/prompt", "C.5/type2"))
    printed, template = PROMPTS[prompt]["printed"], PROMPTS[prompt]["template"]
    open_q, close_q = printed.index("\u201c"), printed.index("\u201d")
    inside = open_q < printed.find("{seq}") < close_q
    same_words = _words(printed.split(" and (Type 2)")[0]) == _words(template)
    extra = PROMPTS["fig12/prompt"]["printed"][len(PROMPTS["C.5/type1"]["printed"]):]
    return _result(template.count("{seq}") == 1 and same_words, not inside, prompt=prompt,
                   seq_inside_quotes=inside, fig12_extra=extra)


# =========================================================================== C.6

#: The three layer patterns of the C.6 test: all global, all local, and Gemma 3's 5 local : 1 global.
WINDOW_PATTERNS = ("global", "local", "mix5:1")


def _windows(pattern, num_layers, width):
    check_choice(pattern, "pattern", WINDOW_PATTERNS)
    if pattern == "global":
        return [None] * num_layers
    if pattern == "local":
        return [width] * num_layers
    return [None if (ell + 1) % 6 == 0 else width for ell in range(num_layers)]


def c6_local_windows(d=16, num_layers=6, width=8, ns=(32, 64, 128, 256), encoding="none",
                     path_n=512, prefixes=3, seed=0):
    """Appendix C.6 tested: collapse and path counts for all-global, all-local and 5:1 local/global layers.

    Two prompt pairs in the synthetic Transformer (:class:`theory.collapse.SyntheticTransformer`,
    fp64): ``random_prefix`` -- Theorem B.3's pair, ``n - 1`` random tokens then ``v_a``
    once or twice (distance averaged over ``prefixes`` random prefixes); ``ones`` -- the counting pair of Figure 5 (a) and Corollary B.10, a
    fixed 8-token prompt followed by n or n + 1 copies of one token. For each, the
    distance ``||y_n - y*_{n+1}||_1`` on ``ns`` and its log-log slope (the collapse rate).
    Path counts (:func:`graphs.path_count_profile`) to the last of ``path_n`` tokens.

    Parameters
    ----------
    width : int
        Local window width; the receptive field of L local layers is ``L (width - 1) + 1``.

    Returns
    -------
    dict
        ``pattern -> {"windows", "random_prefix", "ones", "slope_random_prefix",
        "slope_ones", "identical_from", "unreachable", "paths_first", "paths_last",
        "max_over_min_reachable"}``, plus ``receptive_field``. ``identical_from`` is the
        first n of ``ns`` from which the ``ones`` pair agrees to 1e-12 (fp64 rounding of
        equal quantities) or None.

    References
    ----------
    Appendix C.6, pp. 23-24 (v2).

    Examples
    --------
    >>> r = c6_local_windows(ns=(32, 64, 128))
    >>> r["receptive_field"], r["local"]["identical_from"], r["global"]["unreachable"]
    (43, 64, 0)
    """
    check_positive_int(width, "width")
    rng = np.random.default_rng(seed + 3)
    prompt, one = rng.normal(size=(8, d)), rng.normal(size=d)
    # The random-prefix distance of a windowed model depends on the tokens in the window,
    # which change with n: average over a few prefixes so that the trend is not noise.
    tokens = [C.random_tokens(max(ns), d, seed=seed + 1 + k) for k in range(check_positive_int(prefixes, "prefixes"))]
    ones = np.concatenate([prompt, np.repeat(one[None], max(ns), axis=0)])
    out = {"receptive_field": num_layers * (width - 1) + 1, "n": list(ns)}
    for pattern in WINDOW_PATTERNS:
        windows = _windows(pattern, num_layers, width)
        model = C.SyntheticTransformer(d=d, num_layers=num_layers, encoding=encoding, seed=seed,
                                       window=windows)
        dist_a = np.mean([C.collapse_sweep(model, x[:-1], x[-1], ns)["l1"] for x in tokens], axis=0)
        # Length 8 + n: prompt, n - 1 ones, then one (once, or twice).
        dist_b = C.collapse_sweep(model, ones[: 8 + max(ns) - 1], one, [8 + n for n in ns])["l1"]
        same = [n for n, v in zip(ns, dist_b) if v < 1e-12]
        counts = path_count_profile(path_n, windows)
        reach = [c for c in counts if c > 0]
        out[pattern] = {
            "windows": windows,
            "random_prefix": dist_a.tolist(),
            "ones": dist_b.tolist(),
            "slope_random_prefix": _tail_slope(ns, dist_a),
            "slope_ones": _tail_slope(ns, np.maximum(dist_b, 1e-300)),
            "identical_from": same[0] if same and all(v < 1e-12 for v in dist_b[ns.index(same[0]):]) else None,
            "unreachable": sum(1 for c in counts if c == 0),
            "paths_first": counts[0],
            "paths_last": counts[-1],
            "max_over_min_reachable": max(reach) // min(reach),
        }
    return out


def ev_c6_local_windows(prompt="ones"):
    """Appendix C.6: 'such an architectural change elegantly addresses representational collapse and over-squashing at the source'.

    In the synthetic Transformer, for the counting pair (``ones``): all-local layers make
    the two last-token states equal (to fp64 rounding) as soon as n exceeds the receptive
    field -- collapse becomes exact, in every precision -- and the 5:1 local/global mix
    still collapses at a polynomial rate, as all-global layers do. Over-squashing: all-local
    layers leave every token beyond the receptive field with no path at all to the last
    token; the mix restores reach through its global layer. For Theorem B.3's
    random-prefix pair (``prompt="random_prefix"``, the negative control) local windows do
    keep the two states apart (no decay), which is what the claim says.

    Parameters
    ----------
    prompt : {"ones", "random_prefix"}

    Returns
    -------
    dict
        The :func:`c6_local_windows` numbers; ``hypotheses_hold``: the model is a decoder
        with Gemma-style local/global windows (by construction) and all-global layers
        collapse on this pair (slope <= -0.5); ``claim_fails``: for this pair, windows do
        not prevent collapse (all-local identical from some n, or the mix decays like the
        global model, slope <= -0.5).

    References
    ----------
    Appendix C.6, pp. 23-24 (v2).

    Examples
    --------
    >>> r = ev_c6_local_windows()
    >>> r["claim_fails"], ev_c6_local_windows("random_prefix")["claim_fails"]
    (True, False)
    """
    prompt = check_choice(prompt, "prompt", ("ones", "random_prefix"))
    r = c6_local_windows()
    slope = "slope_ones" if prompt == "ones" else "slope_random_prefix"
    local_exact = prompt == "ones" and r["local"]["identical_from"] is not None
    local_decays = r["local"][slope] <= -0.5
    mix_decays = r["mix5:1"][slope] <= -0.5
    return _result(r["global"][slope] <= -0.5, local_exact or local_decays or mix_decays, prompt=prompt, **r)


# =========================================================================== confirmations


def conf_c4_rope_quasiperiodic(d=64, seed=7, far=(100_000, 1_000_000), samples=4000):
    """Confirms the caveat of Appendix C.4: RoPE's logit is quasi-periodic in the distance, it does not decay.

    For ``q = k`` the RoPE logit is ``sum_f |q_f|^2 cos(theta_f t)``: an almost-periodic
    function of the distance t that comes back arbitrarily close to ``|q|^2``. Only an
    upper bound averaged over frequencies decays (Su et al.), as the authors note.

    Returns
    -------
    dict
        ``max_ratio_far``: max over sampled distances in ``far`` of logit / ``|q|^2``;
        ``std_near``, ``std_far``: spread of the logit for random ``q, k`` over distances
        1..1000 and over ``far`` (no decay: comparable); ``confirms``: both hold.

    References
    ----------
    Appendix C.4, p. 23 (v2); Barbero et al. (2024) [4].

    Examples
    --------
    >>> conf_c4_rope_quasiperiodic()["confirms"]
    True
    """
    rng = np.random.default_rng(seed)
    q = rng.normal(size=d)
    dists = np.sort(rng.integers(far[0], far[1], size=samples))
    ratio = float(rope_logit_profile(q, q, dists).max() / (q @ q))
    k = rng.normal(size=d)
    near = rope_logit_profile(q, k, np.arange(1, 1001))
    far_vals = rope_logit_profile(q, k, dists)
    std_near, std_far = float(near.std()), float(far_vals.std())
    return {"max_ratio_far": ratio, "std_near": std_near, "std_far": std_far,
            "confirms": bool(ratio > 0.5 and std_far > 0.5 * std_near)}


def conf_b4_exact_even():
    """Strengthens Proposition B.4: for every even n the total variation equals ``2(e-1)/(e+1)`` exactly (not only in the limit).

    Returns
    -------
    dict
        ``even_minus_limit``, ``odd_limit_minus_limit`` (sympy, both 0) and ``confirms``.

    References
    ----------
    Proposition B.4, p. 16 (v2).

    Examples
    --------
    >>> conf_b4_exact_even()["confirms"]
    True
    """
    r = S.alternating_tv_symbolic()
    return {"even_minus_limit": str(r["even_minus_limit"]), "odd_limit_minus_limit": str(r["odd_limit_minus_limit"]),
            "limit": float(S.ALTERNATING_TV_LIMIT),
            "confirms": r["even_minus_limit"] == 0 and r["odd_limit_minus_limit"] == 0}


# =========================================================================== our own onset (B.1)


def _format_constants(dtype):
    """Mantissa bits ``p`` and smallest normal number of a format, from :mod:`theory.precision`."""
    p = mantissa_bits(dtype)
    subnormal_spacing = ulp(0.0, dtype)  # tiny * 2^-p
    return p, subnormal_spacing * 2.0**p


def _mp_ulp(v, p, tiny):
    """ulp of a positive mpf ``v`` (exact binade from ``mpmath.frexp``; the same rule as :func:`theory.precision.ulp`)."""
    if v < tiny:
        return mpmath.mpf(tiny) * mpmath.mpf(2) ** (-p)
    _, e = mpmath.frexp(v)  # v = m 2^e with m in [1/2, 1)
    return mpmath.mpf(2) ** (e - 1 - p)


def b1_onset_sufficient(dtype, M=1.0):
    """Two sufficient onsets for Lemma B.1 under ``|a_k|, |b|, |c| <= M``: beyond them the gap is below the ulp of the softmax value for every instance.

    ``loose``: the figure the B.1 check reported as 'worst case': smallest n with
    ``(n-1)^2/(n+1) >= 2 e^{6M} / eps_mach`` (from gap ``<= e^{4M}/(n-1)^2``, value
    ``>= e^{-2M}/(n+1)``, ``ulp(v) > v eps_mach/2``). ``tight``: ``ceil(e^{2M} 2^{p+1})``,
    from ``gap/v = e^b/(S + e^c) <= e^{2M}/n`` and ``v/ulp(v) < 2^{p+1}``.

    Returns
    -------
    dict
        ``loose`` and ``tight`` (ints).

    References
    ----------
    Lemma B.1, p. 13 (v2).

    Examples
    --------
    >>> b1_onset_sufficient("bf16")
    {'loose': 103281, 'tight': 1892}
    """
    check_choice(dtype, "dtype", DTYPES)
    M = check_positive_real(M, "M", allow_zero=True)
    p, _ = _format_constants(dtype)
    with mpmath.workdps(60):
        T = 2 * mpmath.exp(6 * M) / machine_epsilon(dtype)
        n = int(mpmath.ceil(((2 + T) + mpmath.sqrt(T * T + 8 * T)) / 2))  # root of (n-1)^2 = T (n+1)
        while (n - 2) ** 2 >= T * (n - 1):
            n -= 1
        while (n - 1) ** 2 < T * (n + 1):
            n += 1
        tight = int(mpmath.ceil(mpmath.exp(2 * M) * mpmath.mpf(2) ** (p + 1)))
    return {"loose": n, "tight": tight}


def _band_fires(n, top, unit, p, tiny, B):
    """Does some instance with the softmax value in the band ``[.., top)`` of ulp ``unit`` keep gap >= ulp?

    With ``b = M`` (optimal: it raises the gap and lowers the value), the largest gap on
    the level set ``v = V`` is ``g(V) = V B (1 - V) / (S*(V) + V B)`` with
    ``S*(V) = max(S_lo, (1 - V)/(V B) - B)``; g increases with V (checked by the caller's
    condition ``n >= n_mono``), so the supremum over the band is ``g(min(top, v_max))``,
    attained only when ``v_max < top``.
    """
    s_lo, s_hi = (n - 1) / B, (n - 1) * B
    v_max = B / (s_lo + 2 * B)
    v_min = (1 / B) / (s_hi + B + 1 / B)
    if v_min >= top:
        return False, None
    V = min(top, v_max)
    s_star = max(s_lo, (1 - V) / (V * B) - B)
    if s_star > min(s_hi, (1 - V) * B / V - B):
        return False, None
    g = V * B * (1 - V) / (s_star + V * B)
    return (g >= unit if v_max < top else g > unit), V


def _bands(dtype, n_hi, B):
    """``(top, ulp)`` of every band of constant ulp that a softmax value can occupy for n <= n_hi."""
    p, tiny = _format_constants(dtype)
    lowest = int(mpmath.floor(mpmath.log(1 / (B * B * (n_hi + 2 * B * B)), 2))) - 1
    bands = [(mpmath.mpf(tiny), mpmath.mpf(tiny) * mpmath.mpf(2) ** (-p))]
    for k in range(lowest, 0):
        if mpmath.mpf(2) ** k >= tiny:
            bands.append((mpmath.mpf(2) ** (k + 1), mpmath.mpf(2) ** (k - p)))
    return bands


def b1_worst_case_onset(dtype, M=1.0, dps=60):
    """The attained worst-case collapse onset of Lemma B.1 in a format, with the instance that attains it.

    Onset of an instance family: the smallest N such that for every n >= N and every
    instance (``a in [-M, M]^{n-1}``, ``b, c in [-M, M]``) the gap
    ``softmax(x)_n - softmax(x*)_{n+1}`` is below ``ulp(softmax(x*)_{n+1})`` -- the
    criterion of the B.1 check. The search is exact: the instance space reduces to
    ``(S, b, c)`` with ``S = sum e^{a_k}`` in ``[(n-1)e^{-M}, (n-1)e^M]``; ``b = M`` is
    optimal; for each band of constant ulp the largest gap is explicit (see
    :func:`_band_fires`); each band fires on an interval of n, found by bisection; and
    every n between the last firing n and the tight sufficient bound is checked band by
    band.

    Parameters
    ----------
    dtype : str
        One of :data:`theory.precision.DTYPES`.
    M : float
        Bound on every logit.

    Returns
    -------
    dict
        ``worst_case``: the attained onset (last firing n + 1); ``instance``: ``n``,
        ``a`` (every ``a_k``), ``b``, ``c`` (40 digits), ``value``, ``gap``, ``ulp``,
        ``margin`` = gap/ulp - 1 (gap >= ulp at that n, re-verified at ``dps`` digits
        from the printed digits); ``sufficient_tight`` and
        ``sufficient_loose`` (:func:`b1_onset_sufficient`); ``checked_beyond``: the n
        checked one by one between the worst case and the tight bound.

    Raises
    ------
    ValueError
        If ``dtype`` is unknown or ``M`` is negative.

    References
    ----------
    Lemma B.1, p. 13 (v2).

    Examples
    --------
    >>> r = b1_worst_case_onset("bf16")
    >>> r["worst_case"], r["sufficient_tight"], r["sufficient_loose"]
    (1891, 1892, 103281)
    >>> r["instance"]["verified"]
    True
    """
    check_choice(dtype, "dtype", DTYPES)
    M = check_positive_real(M, "M", allow_zero=True)
    p, tiny = _format_constants(dtype)
    suff = b1_onset_sufficient(dtype, M)
    with mpmath.workdps(dps):
        B = mpmath.exp(M)
        n_hi = suff["tight"]
        bands = _bands(dtype, n_hi, B)

        def fires_at(n):
            return [(top, unit) for top, unit in bands if _band_fires(n, top, unit, p, tiny, B)[0]]

        last = 1
        for top, unit in bands:
            # A band fires on an interval of n: find any firing n on a geometric grid of
            # the interval where the band is reachable, then bisect for the last one.
            grid = sorted({int(v) for v in np.geomspace(2, n_hi, 600)} | {n_hi})
            hits = [n for n in grid if _band_fires(n, top, unit, p, tiny, B)[0]]
            if not hits:
                continue
            lo = max(hits)
            hi = next((n for n in grid if n > lo), n_hi + 1)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _band_fires(mid, top, unit, p, tiny, B)[0] else (lo, mid)
            last = max(last, lo)
        beyond = list(range(last + 1, n_hi))
        assert not any(fires_at(n) for n in beyond), "a band fires past the bisected onset"
        # g increasing in V on the relevant bands: S_lo (1 - 2V) > V^2 B at V = v_max.
        s_lo = (last - 1) / B
        v_max = B / (s_lo + 2 * B)
        monotone = s_lo * (1 - 2 * v_max) > v_max**2 * B
        instance = _b1_instance(last, fires_at(last), p, tiny, B) if last > 1 else None
    return {"dtype": dtype, "M": M, "worst_case": last + 1, "instance": instance,
            "sufficient_tight": suff["tight"], "sufficient_loose": suff["loose"],
            "checked_beyond": [beyond[0], beyond[-1]] if beyond else [], "monotone": bool(monotone)}


def _b1_instance(n, firing, p, tiny, B):
    """A concrete instance at length n whose gap is >= the ulp of its softmax value (all a_k equal, b = M)."""
    top = firing[0][0]
    s_lo = (n - 1) / B
    v_max = B / (s_lo + 2 * B)
    # Just below the band's top (where the ulp is still the band's); 1e-25 keeps the
    # value in the band after the instance is rounded to the 40 digits printed below.
    V = v_max if v_max < top else top * (1 - mpmath.mpf(10) ** -25)
    S_ = max(s_lo, (1 - V) / (V * B) - B)
    Ec = V * (S_ + B) / (1 - V)
    a, b, c = mpmath.log(S_ / (n - 1)), mpmath.log(B), mpmath.log(Ec)
    gap = mpmath.exp(b + c) / ((S_ + Ec) * (S_ + B + Ec))
    v = Ec / (S_ + B + Ec)
    u = _mp_ulp(v, p, tiny)
    M = mpmath.log(B)
    inside = all(abs(t) <= M * (1 + mpmath.mpf(10) ** -20) for t in (a, b, c))
    # Re-evaluate from the printed digits: the instance as a reader would type it in.
    a, b, c = (mpmath.mpf(mpmath.nstr(t, 40)) for t in (a, b, c))
    S_ = (n - 1) * mpmath.exp(a)
    gap = mpmath.exp(b + c) / ((S_ + mpmath.exp(c)) * (S_ + mpmath.exp(b) + mpmath.exp(c)))
    v = mpmath.exp(c) / (S_ + mpmath.exp(b) + mpmath.exp(c))
    u = _mp_ulp(v, p, tiny)
    return {"n": n, "a": mpmath.nstr(a, 40), "b": mpmath.nstr(b, 40), "c": mpmath.nstr(c, 40),
            "value": float(v), "gap": float(gap), "ulp": float(u), "margin": float(gap / u - 1),
            "verified": bool(gap >= u and inside)}


# =========================================================================== uses


def use_b3_b2_layer0():
    """Lemma B.2's hypotheses where Theorem B.3's proof (and 4.2 via 4.1) cites it: they fail with a decaying PE; see :func:`ev_b3_uses_b2`.

    Examples
    --------
    >>> use_b3_b2_layer0()["holds"]
    False
    """
    r = ev_b3_uses_b2()
    rows = r["rows"]
    return {"hypotheses": r["lemma_b2_hypotheses"], "holds": r["cited_hypotheses_hold"],
            "conclusion_survives": r["hypotheses_hold"],
            "numbers": {"last_gap": rows[0]["last_gap"], "truncated_mass_n100": rows[0]["truncated_mass"],
                        "first_logit_drift": abs(rows[0]["first_logit"] - rows[-1]["first_logit"]),
                        "delta_n1e5": rows[-1]["delta_in_proof"], "bound_n1e5": rows[-1]["bound"]},
            "erratum": "B.3-uses-B.2"}


def use_b3_b1_last_weight():
    """Lemma B.1's hypotheses where Theorem B.3's proof cites it for ``alpha*_{n+1,n+1} -> 0``; see :func:`ev_b3_uses_b1`.

    Examples
    --------
    >>> use_b3_b1_last_weight()["holds"]
    False
    """
    r = ev_b3_uses_b1()
    return {"hypotheses": {"common prefix a": r["cited_hypotheses_hold"], "bounded (uniformly)": True},
            "holds": r["cited_hypotheses_hold"], "conclusion_survives": r["hypotheses_hold"],
            "numbers": {"prefix_gap": r["prefix_gap"][0], "last_weight_n1e5": r["last_weight"][-1]},
            "erratum": "B.3-uses-B.1"}


def use_b3_induction():
    """The layer-0 argument re-used at layer 1 ('simple inductive approach'); see :func:`ev_b3_induction`.

    Examples
    --------
    >>> use_b3_induction()["conclusion_survives"]
    True
    """
    r = ev_b3_induction()
    return {"hypotheses": {"same query in both sequences": r["cited_hypotheses_hold"],
                           "same residual input": r["cited_hypotheses_hold"], "bounded": True},
            "holds": r["cited_hypotheses_hold"], "conclusion_survives": r["hypotheses_hold"],
            "numbers": {"query_gap_layer1_n32": r["query_gap"], "slope_2_layers": r["slope"]},
            "erratum": "B.3-induction"}


def use_b8_b5(n=6, L=8, seed=0):
    """Proposition B.8 uses Theorem B.5 in the form of its proof (C and ``alpha/beta_1 + delta``), not of its statement.

    Examples
    --------
    >>> use_b8_b5()["numbers"]["proof_form_minus_display"] < 1e-12
    True
    """
    rng = np.random.default_rng(seed)
    lam = _causal_attention(n, rng)
    eye = np.eye(n)
    T_L = np.linalg.matrix_power((lam + eye) / 2.0, L)
    proof_form = (1.0 + 1.0) ** L / 4.0**L * np.linalg.matrix_power(lam + eye, L)
    statement_form = 1.0**L * np.linalg.matrix_power(lam + eye, L)  # sigma^L, (alpha+delta)/beta, beta = 1
    return {"hypotheses": {"attention independent of the input": True, "norms as constant factors": True,
                           "sigma_psi Lipschitz constant of psi": True},
            "holds": True, "conclusion_survives": True,
            "numbers": {"proof_form_minus_display": float(np.abs(proof_form - T_L).max()),
                        "statement_form_over_display": float(statement_form[-1, 0] / T_L[-1, 0])},
            "note": "holds by B.8's assumptions; the display is B.5's proof form (the statement's constant would give 2^L times more)",
            "erratum": "B.5-statement"}


def use_b8_b7(n=6, L=8, seed=0):
    """Proposition B.8 uses Lemma B.7: ``(Lambda+I)/2`` is row-stochastic and triangular, so its powers are.

    Examples
    --------
    >>> use_b8_b7()["holds"]
    True
    """
    rng = np.random.default_rng(seed)
    T = (_causal_attention(n, rng) + np.eye(n)) / 2.0
    P = np.linalg.matrix_power(T, L)
    row = float(np.abs(T.sum(axis=1) - 1).max())
    return {"hypotheses": {"factors row-stochastic": row < 1e-12, "factors triangular": bool(np.all(np.triu(T, 1) == 0))},
            "holds": row < 1e-12 and bool(np.all(np.triu(T, 1) == 0)), "conclusion_survives": True,
            "numbers": {"power_row_sum_error": float(np.abs(P.sum(axis=1) - 1).max())}, "erratum": None}


def use_b8_b6(n=6, seed=0):
    """Proposition B.8 uses Lemma B.6 (and Perron-Frobenius): the hypotheses hold; the limit also needs ``|lambda_k| < 1`` for k != 1.

    Examples
    --------
    >>> use_b8_b6()["numbers"]["lambda_2"] < 1
    True
    """
    rng = np.random.default_rng(seed)
    T = (_causal_attention(n, rng) + np.eye(n)) / 2.0
    two = all(np.count_nonzero(T[i, : i + 1]) >= 2 for i in range(1, n))
    lam2 = float(np.diag(T)[1:].max())
    return {"hypotheses": {"row-stochastic triangular": True, "rows 2..n with >= 2 non-zeros": bool(two)},
            "holds": bool(two), "conclusion_survives": lam2 < 1,
            "numbers": {"lambda_2": lam2, "min_eigenvalue": float(np.diag(T).min())},
            "note": "eigenvalues of the triangular T are (1 + Lambda_ii)/2 in [1/2, 1) for i >= 2",
            "erratum": "B.8-diagonalizable"}


def use_b8_perron():
    """Proposition B.8 uses Perron-Frobenius for ``|lambda_k| <= 1``: ``(Lambda+I)/2`` is non-negative and row-stochastic.

    Examples
    --------
    >>> use_b8_perron()["hypotheses"]
    {'non-negative': True, 'row-stochastic': True}
    """
    r = use_b8_b6()
    r = dict(r, hypotheses={"non-negative": True, "row-stochastic": True})
    return r


def use_b10_b3():
    """Corollary B.10 (and 6.2) use Theorem B.3: its hypotheses hold; 'indistinguishable' needs a finite format.

    Examples
    --------
    >>> use_b10_b3()["numbers"]["fp8_e4m3_identical_at"]
    8
    """
    exact, fp8 = ev_b10_precision("fp64"), ev_b10_precision("fp8_e4m3")
    return {"hypotheses": {"v*(0) = [v v_a v_a]": True, "bounded": True,
                           "positional encodings decay ('as long as they satisfy the required decay conditions')": True},
            "holds": True, "conclusion_survives": not fp8["claim_fails"],
            "numbers": {"fp64_min_distance": min(exact["linf"]), "fp8_e4m3_identical_at": fp8["witness"]},
            "erratum": "B.10-finite-precision"}


def use_c3_fig9_b2(k=200, eta=0.1, ns=(1000, 10000, 100000), seed=0):
    """Appendix C.3 tests Lemma B.2 with Figure 9's pair: the hypotheses hold (bounded, equal beyond k).

    Examples
    --------
    >>> use_c3_fig9_b2()["holds"]
    True
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, max(ns))
    xs = x.copy()
    xs[:k] += rng.uniform(0, eta, k)
    tv = [S.total_variation(S.softmax(x[:n]), S.softmax(xs[:n])) for n in ns]
    return {"hypotheses": {"bounded": bool(xs.max() <= 1 + eta), "|x_i - x*_i| -> 0": bool(np.all(x[k:] == xs[k:]))},
            "holds": True, "conclusion_survives": tv[-1] < tv[0] / 10,
            "numbers": {"tv": dict(zip(map(str, ns), tv))}, "erratum": None}


def use_c_experiments_b3(d=64, far=(100_000, 1_000_000), seed=7):
    """Figures 8 and 10 as instances of Theorem B.3: which encodings meet 'decay with distance to 0'.

    Examples
    --------
    >>> use_c_experiments_b3()["hypotheses"]["none"]
    True
    """
    rng = np.random.default_rng(seed)
    dists = np.sort(rng.integers(far[0], far[1], size=2000))
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    # Sinusoidal PE on queries and keys adds PE_i . PE_j = sum_f cos(theta_f (i - j)).
    sin_term = float(np.abs(np.cos(np.outer(dists, freq)).sum(axis=1)).max())
    rope = conf_c4_rope_quasiperiodic(d=d, seed=seed)["max_ratio_far"]
    per = {"none": True, "sinusoidal (queries and keys)": False, "rope": False, "alibi": False,
           "sinusoidal added to the tokens (Vaswani et al.)": False}
    return {"hypotheses": per, "holds": False, "conclusion_survives": None,
            "numbers": {"sinusoidal_PE_dot_far_max": sin_term, "rope_q_dot_Rq_over_q2_far_max": rope,
                        "alibi_bias_at_1e5": -alibi_slope() * far[0]},
            "note": "only NoPE meets the hypothesis; the others are outside Theorem B.3 (C.4 acknowledges RoPE)",
            "erratum": "C.4-random-values"}


def audit_uses():
    """For every place where a proof or claim cites another statement: do the cited hypotheses hold there?

    Runs the ``check`` function named by each :class:`theory.statements.Use` (once per
    function) and returns one record per use, ready for a dependency graph (edge
    ``citing -> cited``; flag the edge when ``holds`` is False).

    Returns
    -------
    list of dict
        ``citing``, ``cited``, ``page``, ``quote``, ``needed``, ``hypotheses`` (name ->
        bool), ``holds`` (all cited hypotheses hold at the place of use),
        ``conclusion_survives`` (the citing step's conclusion holds by another argument;
        None if not assessed), ``numbers``, ``erratum`` (key of the related entry or
        None) and ``verdict`` (``ok``, ``broken, conclusion survives`` or ``broken``).

    References
    ----------
    Barbero et al., arXiv:2406.04267 v2.

    Examples
    --------
    >>> rows = audit_uses()
    >>> [(r["citing"], r["cited"]) for r in rows if not r["holds"]][:3]
    [('4.2', '4.1'), ('B.3', 'B.2'), ('B.3', 'B.1')]
    """
    from theory.statements import uses

    done, out = {}, []
    for citing, use in uses():
        if use.check not in done:
            done[use.check] = globals()[use.check]()
        r = done[use.check]
        if r["holds"]:
            verdict = "ok"
        elif r["conclusion_survives"]:
            verdict = "broken, conclusion survives"
        else:
            verdict = "broken"
        out.append({"citing": citing, "cited": use.cited, "page": use.page, "quote": use.quote,
                    "needed": use.needed, "hypotheses": r["hypotheses"], "holds": bool(r["holds"]),
                    "conclusion_survives": r["conclusion_survives"], "numbers": r["numbers"],
                    "erratum": r["erratum"], "verdict": verdict, "note": r.get("note", "")})
    return out


# =========================================================================== the errata (v2)

_B3_USE_QUOTES = {u.cited + ("-induction" if "inductive" in u.quote else ""): u.quote
                  for u in STATEMENTS["B.3"].uses}

ERRATA = (
    Erratum(
        key="S2-value-index", statement="S2", version="v2", page=3,
        where="Section 2, first display (the model)",
        quote=r"\mathbf{z}_i^{(\ell)} = \sum_{j \leqslant i} \alpha_{ij}^{(\ell)} \operatorname{norm}_1^{(\ell)}\left(\mathbf{v}_i^{(\ell)}\right) + \mathbf{v}_i^{(\ell)}",
        severity="typo",
        issue="The summand carries the query's own value v_i; read literally, sum_j alpha_ij = 1 turns the "
              "attention into norm_1(v_i) and no token depends on another, contradicting the same page "
              "('v_j^(l) will only depend on elements v_i^(l-1) for i <= j') and every later use.",
        correction=r"\mathbf{z}_i^{(\ell)} = \sum_{j \leqslant i} \alpha_{ij}^{(\ell)} \operatorname{norm}_1^{(\ell)}(\mathbf{v}_j^{(\ell)}) + \mathbf{v}_i^{(\ell)}",
        evidence="ev_s2_value_index"),
    Erratum(
        key="B.1-uniform-bound", statement="B.1", version="v2", page=13,
        where="Lemma B.1, statement ('with all entries bounded') and proof of the second part",
        quote=r"Let $\mathbf{x} = [\mathbf{a}\ c]^T \in \mathbb{R}^n$ and $\mathbf{x}^* = [\mathbf{a}\ b\ c]^T \in \mathbb{R}^{n+1}$ with all entries bounded.",
        severity="scope",
        issue="The second claim needs the bound to be uniform in n (as the proof's 'the summands tend to 0' "
              "does); every finite vector is bounded, so a per-vector reading admits a_k = -k, for which "
              "sum_k e^{a_k} converges and the gap tends to a positive constant.",
        correction="Read and state: there is M with |a_k|, |b|, |c| <= M for all k and n. Then "
                   "0 < gap = e^{b+c}/((S+e^c)(S+e^b+e^c)) <= e^{4M}/(n-1)^2 with S = sum_k e^{a_k} >= (n-1)e^{-M}, "
                   "so gap < p for n >= e^{2M}/sqrt(p) + 2 (the proof's triangle inequality gives the weaker "
                   "2e^{2M}/(n-1), which also suffices).",
        evidence="ev_b1_uniform_bound"),
    Erratum(
        key="B.2-reading", statement="B.2", version="v2", page=14,
        where="Lemma B.2, statement (hypothesis on the sequences)",
        quote=r"Consider two sequences $\mathbf{x}, \mathbf{x}^* \in \mathbb{R}^n$ such that $\lim_{n\to\infty} |\mathbf{x}_n - \mathbf{x}_n^*| = 0$, with $\mathbf{x}_i, \mathbf{x}_i^*$ bounded.",
        severity="scope",
        issue="The statement is right when x, x* are the first n terms of one fixed pair of bounded sequences "
              "(then the hypothesis is term-wise convergence, which the proof uses). If the pair may change "
              "with n, the condition on the last entry alone does not suffice.",
        correction="Say: 'Let (x_i), (x*_i) be bounded sequences with |x_i - x*_i| -> 0 and x, x* in R^n their first "
                   "n terms.' A version that also covers pairs depending on n (needed in Theorem B.3, see "
                   "B.3-uses-B.2): if |x_i|, |x*_i| <= M then delta(y, y*) <= 2 e^{2M} (1/n) sum_i |x_i - x*_i|.",
        evidence="ev_b2_reading"),
    Erratum(
        key="4.1-boundedness", statement="4.1", version="v2", page=7,
        where="Lemma 4.1 (informal), hypothesis",
        quote=r"Consider two sequences $\mathbf{x}, \mathbf{x}^* \in \mathbb{R}^n$ such that $\lim_{n\to\infty} |\mathbf{x}_n - \mathbf{x}_n^*| = 0$. Then, the $L_1$ difference of their softmax tends to $0$.",
        severity="scope",
        issue="The informal version drops Lemma B.2's 'x_i, x*_i bounded', which is needed: with x_i = -i and "
              "x* = x except x*_1 = x_1 + 1 the partition functions converge and the L1 difference stays positive.",
        correction="Add 'bounded' (as in Lemma B.2).",
        evidence="ev_41_boundedness"),
    Erratum(
        key="B.3-uses-B.2", statement="B.3", version="v2", page=16,
        where="Proof of Theorem B.3: the first-layer attention term, justified by Lemma B.2",
        quote=_B3_USE_QUOTES["B.2"],
        severity="gap",
        issue="Lemma B.2's hypotheses fail where it is applied. The logits of the last token are "
              "x_i = k(q, k_i, p_{n,i}) and x*_i = k(q, k_i, p_{n+1,i}): they change with n (not one fixed pair of "
              "sequences), alpha*_{n+1,1:n} is not a softmax over n entries, and the last entries "
              "(distance 0 vs 1 from the query) differ by an amount that does not vanish (for a relative "
              "encoding, the same for every n), so lim |x_n - x*_n| = 0 fails; the "
              "proof of B.2 needs the late entries close and the early ones fixed, the opposite of this case "
              "(here the entries far from the query agree because the positional term decays, the near ones "
              "do not).",
        correction="Use a uniform version of Lemma B.2: if all logits lie in [-M, M], then "
                   "sum_{i<=n} |alpha_{n,i} - alpha*_{n+1,i}| <= 2 e^{2M} (1/n) sum_{i<=n} |x_i - x*_i| + e^{2M}/(n+1), "
                   "and the Cesaro mean tends to 0 when the positional contribution decays with the distance "
                   "(uniformly in bounded queries and keys). The conclusion of the step is unchanged.",
        evidence="ev_b3_uses_b2"),
    Erratum(
        key="B.3-uses-B.1", statement="B.3", version="v2", page=16,
        where="Proof of Theorem B.3: the weight of the repeated token, justified by Lemma B.1",
        quote=_B3_USE_QUOTES["B.1"],
        severity="gap",
        issue="Lemma B.1 states that the difference softmax(x)_n - softmax(x*)_{n+1} tends to 0 for x* = [a b c] "
              "extending x = [a c]; the proof needs softmax(x*)_{n+1} -> 0 itself, and with positional "
              "encodings the prefixes of the two logit vectors differ, so B.1's hypothesis does not hold.",
        correction="Bounded logits alone give alpha*_{n+1,n+1} <= e^{2M}/(n+1).",
        evidence="ev_b3_uses_b1"),
    Erratum(
        key="B.3-induction", statement="B.3", version="v2", page=16,
        where="Proof of Theorem B.3, last sentences ('a simple inductive approach on the layers')",
        quote=_B3_USE_QUOTES["B.2-induction"],
        severity="gap",
        issue="The first-layer argument uses v_n^(0) = v*_{n+1}^(0): same query and same residual input for the "
              "two last tokens. From layer 1 on both differ (slightly), so the layer-0 computation cannot be "
              "repeated as is; continuity of the blocks is needed and not stated.",
        correction="Assume k continuous in the query uniformly over bounded keys (true for k = q.k + positional "
                   "term) and norm_1, norm_2, psi, norm_3 continuous; on the bounded set of representations they are "
                   "uniformly continuous, so a layer-l distance eta perturbs every logit by at most omega(eta) "
                   "uniformly in i, and the uniform bound of B.3-uses-B.2 plus eta bounds the layer-(l+1) distance.",
        evidence="ev_b3_induction"),
    Erratum(
        key="B.3-proof-residual", statement="B.3", version="v2", page=16,
        where="Proof of Theorem B.3, the update quoted in the last sentences",
        quote=r"As $\mathbf{v}_i^{(\ell+1)} = \boldsymbol{\psi}^{(\ell)}\left(\operatorname{norm}_2^{(\ell)}\left(\mathbf{z}_i^{(\ell)}\right)\right) + \mathbf{v}_i^{(\ell)}$",
        severity="typo",
        issue="Section 2's update ends with + z_i^(l); with + v_i^(l) the attention output would leave the residual stream.",
        correction=r"$\mathbf{v}_i^{(\ell+1)} = \boldsymbol{\psi}^{(\ell)}(\operatorname{norm}_2^{(\ell)}(\mathbf{z}_i^{(\ell)})) + \mathbf{z}_i^{(\ell)}$",
        evidence="ev_b3_proof_residual"),
    Erratum(
        key="B.3-proof-delta-index", statement="B.3", version="v2", page=15,
        where="Proof of Theorem B.3, last line of the first display",
        quote=r"= \delta\left(\alpha^{(0)}_{n,:}, \alpha^{*(0)}_{n,:n}\right) + \alpha^{*(0)}_{n+1,n+1} < \epsilon",
        severity="typo",
        issue="Row n of alpha* belongs to the n-th token of v*, whose causal context is that of the n-th token "
              "of v: that distance is identically 0. The preceding line compares row n+1.",
        correction=r"\sum_{i \le n} |\alpha^{(0)}_{n,i} - \alpha^{*(0)}_{n+1,i}| + \alpha^{*(0)}_{n+1,n+1}",
        evidence="ev_b3_delta_index"),
    Erratum(
        key="C.3-structure", statement="C.3", version="v2", page=21,
        where="Appendix C.3 (set-up of Figure 8)",
        quote=r"We set $d = 64$ and otherwise follow the exact structure of the decoder-only Transformer presented in the original Transformer paper.",
        severity="scope",
        issue="The original Transformer adds the sinusoidal encoding to the token embeddings. Then the last "
              "tokens of the two sequences differ at the input by PE(n) - PE(n+1), the residual stream keeps "
              "the difference, there is no collapse, and the set-up is outside Theorem B.3 (whose model puts "
              "positional information in the logits only, so that v_n^(0) = v*_{n+1}^(0)). Figure 8's "
              "convergence is reproduced with the encoding added to queries and keys.",
        correction="State where the encoding is added (queries and keys, not the residual stream).",
        evidence="ev_c3_structure"),
    Erratum(
        key="B.4-proof-y", statement="B.4", version="v2", page=16,
        where="Proof of Proposition B.4, first line of the display",
        quote=r"\lim_{n\to\infty} \delta(\mathbf{y}, \mathbf{y}^*) = \lim_{n\to\infty} \sum_{i=1}^n \left| \frac{\mathbf{y}_i}{Z} - \frac{\mathbf{y}_i^*}{Z^*} \right|",
        severity="typo",
        issue="y is the softmax (statement), so y_i/Z divides by Z twice and the sum tends to 0; the next lines "
              "substitute e and 1 for the numerators, i.e. e^{x_i}.",
        correction=r"\sum_i \left| e^{\mathbf{x}_i}/Z - e^{\mathbf{x}^*_i}/Z^* \right|",
        evidence="ev_b4_proof_y"),
    Erratum(
        key="5.1-normalisation", statement="5.1", version="v2", page=8,
        where="Theorem 5.1, definition of abar",
        quote=r"Let $C > 0$ be some constant and $\bar{\alpha}^{(\ell)}_{i,j} = \frac{\alpha^{(\ell)}_{i,j}}{\beta_2} + \delta_{i,j}$",
        severity="typo",
        issue="The proof of Theorem B.5 normalises by beta_1 (norm_1 acts on the attended values) and puts "
              "beta_2 in C. With 'some constant C' the printed bound is still true, but not with the proof's C "
              "when beta_1 < beta_2.",
        correction="abar = alpha/beta_1 + delta with C = (1/beta_3) prod_l (sigma_psi/beta_2 + 1); or keep beta_2 "
                   "and take C = (1/beta_3) prod_l (sigma_psi/beta_2 + 1) * max(1, beta_2/beta_1)^L "
                   "(entrywise alpha/beta_1 + delta <= max(1, beta_2/beta_1)(alpha/beta_2 + delta)).",
        evidence="ev_51_normalisation"),
    Erratum(
        key="B.5-statement", statement="B.5", version="v2", page=16,
        where="Theorem B.5, statement (constant and normalisation)",
        quote=r"Let $\sigma_{\boldsymbol{\psi}}$ be the maximal Lipschitz constant of any $\boldsymbol{\psi}^{(\ell)}$, and $\bar{\alpha}^{(\ell)}_{j,i} = \frac{1}{\beta^{(\ell)}}\left(\alpha^{(\ell)}_{j,i} + \delta_{j,i}\right)$ the normalized attention coefficient, then: $\left\|\frac{\partial \mathbf{y}_n}{\partial \mathbf{v}_i^{(0)}}\right\| \leqslant \sigma_{\boldsymbol{\psi}}^L \sum_{k_1 \geqslant i} \cdots$",
        severity="error",
        issue="The bound is false as stated: with psi = 0 (an MLP with Lipschitz constant 0) the right-hand side "
              "is 0 for every reading of beta^(l), while the residual connections keep d y_n / d v_i^(0) "
              "non-zero; it also fails for sigma_psi = 1/2. The proof derives a different constant and "
              "normalisation.",
        correction="State the proof's bound: ||d y_n/d v_i^(0)|| <= C (Abar^(L-1) ... Abar^(0))_{n,i} with "
                   "abar^(l)_{j,i} = alpha^(l)_{j,i}/beta_1^(l) + delta_{j,i} and "
                   "C = (1/beta_3) prod_{l=1}^L (sigma_psi/beta_2^(l) + 1).",
        evidence="ev_b5_statement"),
    Erratum(
        key="B.5-eq-indices", statement="B.5", version="v2", page=16,
        where="Equations (1) (p. 8) and (4) (p. 16), and the proof's chain-rule display (p. 17)",
        quote=r"\sum_{k_1 \geqslant i} \cdots \sum_{k_L \geqslant k_{L-1}} \bar{\alpha}^{(L-1)}_{n,k_L} \prod_{\ell=2}^{L-1} \bar{\alpha}^{(\ell-1)}_{k_\ell,k_{\ell-1}} \bar{\alpha}^{(0)}_{k_1,i}",
        severity="typo",
        issue="A path through L layers has L - 1 intermediate tokens; the display names the layer-(L-1) token "
              "k_L in the first factor and k_{L-1} in the product, so read literally k_L is summed freely.",
        correction=r"\sum_{i \le k_1 \le \cdots \le k_{L-1} \le n} \bar{\alpha}^{(L-1)}_{n,k_{L-1}} \prod_{\ell=1}^{L-2} \bar{\alpha}^{(\ell)}_{k_{\ell+1},k_\ell} \bar{\alpha}^{(0)}_{k_1,i} = (\bar{A}^{(L-1)} \cdots \bar{A}^{(0)})_{n,i}",
        evidence="ev_b5_eq_indices"),
    Erratum(
        key="B.5-proof-indices", statement="B.5", version="v2", page=17,
        where="Proof of Theorem B.5, first display",
        quote=r"\left\|\frac{\partial \mathbf{v}_j^{(\ell+1)}}{\partial \mathbf{v}_i^{(\ell)}}\right\| = \left\|\frac{\partial}{\partial \mathbf{v}_j^{(\ell)}}\left[\cdots\right]\right\| \ldots = \left(\frac{\sigma_{\psi^{(\ell)}}}{\beta_2^{(\ell)}} + 1\right) \frac{\partial}{\partial \mathbf{v}_i^{(\ell)}}\left[\sum_{j \leqslant i} \alpha_{ij}^{(\ell)} \operatorname{norm}_1^{(\ell)}\left(\mathbf{v}_i^{(\ell)}\right) + \mathbf{v}_i^{(\ell)}\right]",
        severity="typo",
        issue="The derivative is taken with respect to v_j (should be v_i) and the bracket is z_i with the "
              "Section 2 index slip; the last line alpha_{j,i}/beta_1 + delta_{j,i} is d z_j / d v_i.",
        correction=r"\frac{\partial}{\partial \mathbf{v}_i^{(\ell)}}\Big[\sum_{k \le j} \alpha^{(\ell)}_{jk} \operatorname{norm}_1^{(\ell)}(\mathbf{v}_k^{(\ell)}) + \mathbf{v}_j^{(\ell)}\Big]",
        evidence="ev_b5_proof_indices"),
    Erratum(
        key="B.6-proof-uniqueness", statement="B.6", version="v2", page=18,
        where="Proof of Lemma B.6, last paragraph",
        quote=r"Again, as this defines a convex combination, we must have that all tokens that $i$ points to (i.e. the non-zero entries) are also equal to $\mathbf{y}_i$. The condition that each row has at least two non-zero entries is important as it means that the condition $\mathbf{y}_i = \mathbf{y}_j$ is true for all tokens.",
        severity="gap",
        issue="From a maximal entry y_i the argument reaches only the tokens i points to and, recursively, "
              "earlier ones -- never tokens after i (and none at all when the maximum is at token 1). It also "
              "asks 'each row' to have two non-zero entries, which the first row of a causal matrix cannot; "
              "the statement's 'each row except the first' is the right condition.",
        correction="For k >= 2 the hypothesis gives a_kk < 1, so y_k = sum_{j<k} a_kj y_j / (1 - a_kk) is an average "
                   "of earlier entries; by induction y_k = y_1 for all k (equivalently, apply the argument to the "
                   "minimum as well). Algebraic simplicity follows too: the eigenvalues are the diagonal entries "
                   "and only a_11 = 1.",
        evidence="ev_b6_uniqueness"),
    Erratum(
        key="B.8-diagonalizable", statement="B.8", version="v2", page=18,
        where="Proof of Proposition B.8",
        quote=r"We now point out that $\tilde{\boldsymbol{\Lambda}} = \frac{1}{2}(\boldsymbol{\Lambda} + \mathbf{I})$ is row-stochastic and with our assumptions is diagonalizable into $\tilde{\boldsymbol{\Lambda}} = \Psi\Sigma\Phi$.",
        severity="error",
        issue="The step is false: Lambda = [[1,0,0],[1/2,1/2,0],[0,1/2,1/2]] meets every hypothesis and "
              "(Lambda + I)/2 has a 2x2 Jordan block. Perron-Frobenius (|lambda_k| <= 1) and Lemma B.6 (eigenvalue "
              "1 simple) do not give the limit either without |lambda_k| < 1 for the other eigenvalues. The "
              "conclusion survives.",
        correction="The eigenvalues of the triangular Lambda~ are (1 + Lambda_ii)/2, in [1/2, 1) for i >= 2 under the "
                   "hypothesis; by the Jordan form, Lambda~^L -> 1 e_1^T with error O(L^{m-1} lambda_2^L), m the "
                   "largest Jordan block of lambda_2 = max_{i>=2} (1 + Lambda_ii)/2.",
        evidence="ev_b8_diagonalizable"),
    Erratum(
        key="B.8-equality", statement="B.8", version="v2", page=18,
        where="Proposition B.8, conclusion",
        quote=r"Then, we have as $L \to \infty$ that $\partial \mathbf{y}_n/\partial \mathbf{v}_i^{(0)} = 0$ when $i \neq 1$ and $\partial \mathbf{y}_n/\partial \mathbf{v}_i^{(0)} = 1$ when $i = 1$.",
        severity="error",
        issue="The proof bounds ||d y_n / d v_i^(0)|| from above by (Lambda~^L)_{n,i}; the equality for i = 1 does not "
              "follow and is false: psi(x) = relu(-x) - relu(x) = -x has Lipschitz constant 1 and meets every "
              "hypothesis, and then every block outputs 0, so d y_n / d v_1^(0) = 0 for every L.",
        correction="Conclude ||d y_n/d v_i^(0)|| -> 0 for i != 1 and lim sup ||d y_n/d v_1^(0)|| <= 1, with equality "
                   "for psi = id.",
        evidence="ev_b8_equality"),
    Erratum(
        key="B.8-eigvec-names", statement="B.8", version="v2", page=18,
        where="Proof of Proposition B.8",
        quote=r"Denote the left eigenvectors by $\psi_k$ and the right eigenvectors $\phi_n$",
        severity="typo",
        issue="The constant vector psi_n satisfies Lambda~ 1 = 1 (a right eigenvector) and phi_n = e_1 satisfies "
              "e_1^T Lambda~ = e_1^T (a left one).",
        correction="Right eigenvectors psi_k, left eigenvectors phi_k, normalised so that phi_k^T psi_k = 1.",
        evidence="ev_b8_eigvec_names"),
    Erratum(
        key="B.9-wording", statement="B.9", version="v2", page=19,
        where="Proposition B.9 (and Proposition 6.1, p. 9), statement",
        quote=r"A Transformer without positional encodings and a causal attention mechanism is immediately unable to solve the counting problem.",
        severity="typo",
        issue="It can be parsed as 'without positional encodings, and with a causal mechanism', for which the "
              "claim fails (the causal mask breaks the ratio invariance). The proof ('without positional "
              "encodings and causal masking') and Section 6 mean without both.",
        correction="'A Transformer with neither positional encodings nor a causal mask ...'",
        evidence="ev_b9_wording"),
    Erratum(
        key="B.10-finite-precision", statement="B.10", version="v2", page=20,
        where="Corollary B.10, statement and proof",
        quote=r"Due to representational collapse, at least one sequence will be given the wrong count for large enough finite $n$.",
        severity="scope",
        issue="Representational collapse (Theorem B.3) makes the two last-token states close, not equal (in "
              "the synthetic model they stay distinct in fp64 at every n tested), so the forced error rests on "
              "the finite format that the proof invokes "
              "('due to floating point error') and Corollary 6.2 names, and 'indistinguishable' must mean "
              "'rounded to the same vector'. Rounding can also keep them an ulp or two apart.",
        correction="State the format: for a number format F, if y_n and y*_{n+1} computed in F coincide, every readout "
                   "gives them the same count, so one is wrong; representational collapse makes this happen once "
                   "their exact distance falls below F's rounding error.",
        evidence="ev_b10_precision"),
    Erratum(
        key="B.10-index", statement="B.10", version="v2", page=20,
        where="Proof of Corollary B.10",
        quote=r"as $\mathbf{y}_n$ and $\mathbf{y}^*_n$ will be indistinguishable for large enough $n$",
        severity="typo",
        issue="y*_n is the n-th token of v*, equal to y_n by causality; the comparison is with the last token of v*.",
        correction=r"$\mathbf{y}_n$ and $\mathbf{y}^*_{n+1}$",
        evidence="ev_b10_index"),
    Erratum(
        key="C.4-alibi", statement="C.4", version="v2", page=23,
        where="Appendix C.4 and Figure 10 (ALiBi)",
        quote=r"Representational collapse seems to occur with all 4 positional encodings, with the convergence of the representations happening at a similar sequence lengths.",
        severity="scope",
        issue="ALiBi's bias -m(i - j) grows with the distance, so Theorem B.3 does not cover it, and the attention "
              "keeps a recency window of about 1/m tokens: beyond a few times 1/m the distance stops decaying. "
              "Figure 10 (n <= 5000) shows a finite-range decrease, not collapse in the limit.",
        correction="Say that with ALiBi the distance levels off at a value set by the slope; whether it is below a "
                   "format's resolution depends on the slope.",
        evidence="ev_c4_alibi"),
    Erratum(
        key="C.4-random-values", statement="C.4", version="v2", page=23,
        where="Appendix C.4 (and C.3): evidence for the decay condition",
        quote=r"We are of the opinion; however, that the range of synthetic and real-world experiments in this work support our representational collapse claims in practice with RoPE.",
        severity="scope",
        issue="The synthetic experiments (Figures 8 and 10) sample values i.i.d.; then the one-layer distance decays "
              "like n^{-1/2} even for a positional bias that does not decay at all (the 1010... pattern of "
              "Proposition B.4 as a function of the distance), because the two outputs average independent "
              "vectors. They therefore cannot support the decay condition for RoPE or any encoding; values "
              "aligned with the pattern show no decay.",
        correction="Test the condition with structured values (or on trained models), or measure the total variation "
                   "of the attention distributions directly.",
        evidence="ev_c4_random_values"),
    Erratum(
        key="C.4-pe-list", statement="C.4", version="v2", page=22,
        where="Appendix C.4, first paragraph",
        quote=r"namely: Alibi [24], the original Absolute Positional Encodings (APE) [30], and No Positional Encodings (NoPE) [15].",
        severity="typo",
        issue="Three encodings are listed, then 'all 4'; Figure 10 also shows RoPE.",
        correction="namely: Alibi [24], RoPE [26], the original Absolute Positional Encodings (APE) [30], and No "
                   "Positional Encodings (NoPE) [15].",
        evidence="ev_c4_pe_list"),
    Erratum(
        key="C.5-prompt-quotes", statement="C.5", version="v2", page=23,
        where="Appendix C.5 (Type 1 prompt), Figure 11 and Figure 12 captions (p. 24)",
        quote="(Type 1) \u201cWhat is the last digit of the following sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019 \u201d. Here is the sequence: {seq} and (Type 2)",
        severity="typo",
        issue="The closing quotation mark of Type 1 precedes 'Here is the sequence: {seq}', leaving the sequence "
              "outside the prompt; Figure 12's caption ends with a stray 'and (Type 2) \u201d' although C.5 says it uses Type 1.",
        correction="(Type 1) \u201cWhat is the last digit of the following sequence? Please answer exactly as \u2018The "
                   "answer to your question is: <ANSWER>\u2019. Here is the sequence: {seq}\u201d; Figure 12: the "
                   "Type 1 prompt.",
        evidence="ev_c5_prompt_quotes"),
    Erratum(
        key="C.6-local-windows", statement="C.6", version="v2", page=23,
        where="Appendix C.6 (pp. 23-24)",
        quote=r"We believe that such an architectural change elegantly addresses representational collapse and over-squashing at the source as it avoids the issues that come with growing token sequences",
        severity="scope",
        issue="In the synthetic Transformer windows help only for Theorem B.3's random-prefix pair. For the "
              "repeated-token (counting) pair, all-local layers make the two last-token states equal once n "
              "exceeds the receptive field L(w-1)+1 -- collapse becomes exact, in any precision -- and a 5:1 "
              "local/global mix still collapses polynomially, like all-global layers. For over-squashing, "
              "all-local layers give tokens beyond the receptive field no path at all to the last token; the "
              "mix keeps every token reachable only through its global layers.",
        correction="Qualify the remark: local windows bound the softmax's spread, but they trade over-squashing for "
                   "a hard horizon and do not prevent collapse on repeated tokens (all local: exact beyond the "
                   "horizon; interleaved global layers: collapse returns).",
        evidence="ev_c6_local_windows"),
)


# =========================================================================== history (v1 -> v2)

#: v1 -> v2 differences (v1 as in ``shared/paper/transformers-need-glasses-v1-transcription.txt``,
#: an OCR transcription without page numbers). History, never errata of v2.
CHANGES_FROM_PREPRINT = (
    Change("B.4-renamed", "B.4", "Lemma B.4. Consider two sequences ...", None,
           "Proposition B.4. Consider two sequences ...", 16, "Lemma B.4 renamed Proposition B.4."),
    Change("rope-example-dropped", "B.3",
           r"Assume that the positional encoding information decays to 0 with the distance, e.g. as in RoPE [23]. "
           r"(Theorem 4.2; also the preamble of Lemma B.2, the preamble of Theorem B.3 and Theorem B.3: "
           r"'e.g. as in RoPE')", None,
           r"Assume that the positional encoding information decays to $0$ with the distance. (Theorem 4.2, p. 7; "
           r"likewise pp. 14, 15)", 7,
           "The example 'e.g. as in RoPE' is removed from the decay hypothesis of Theorems 4.2 and B.3 and from the "
           "preamble of Lemma B.2; Appendix C.4 now discusses RoPE's decay as an open caveat."),
    Change("C.4-C.5-C.6-added", "C.4", "(absent: Appendix C ends with C.3 and Figure 9)", None,
           "C.4 Effect of Positional Encodings (with Figure 10), C.5 Ablation on Prompt Structure (Figures 11, 12), "
           "C.6 Local sliding window attention", 22,
           "New appendix sections C.4-C.6 with Figures 10-12 and references [4], [31]."),
    Change("B.2-last-display", "B.2",
           r"\leqslant \frac{\epsilon \min(Z, Z^*)}{Z Z^*} + \frac{\epsilon \min(Z, Z^*)}{Z Z^*} \leqslant 2\epsilon", None,
           r"= \sum_{i=1}^n \frac{|Z^*-Z| e^{\mathbf{x}_i}}{ZZ^*} + \frac{Z|e^{\mathbf{x}_i}-e^{\mathbf{x}^*_i}|}{ZZ^*} "
           r"= \frac{|Z^*-Z|}{ZZ^*} Z + \sum_{i=1}^n \frac{|e^{\mathbf{x}_i}-e^{\mathbf{x}^*_i}|}{Z^*} "
           r"\leqslant \frac{\epsilon \min(Z, Z^*)}{Z^*} + \frac{\epsilon \min(Z, Z^*)}{Z^*} \leqslant 2\epsilon", 15,
           "The last display of the proof of Lemma B.2 gains two intermediate lines and the factor Z (denominators "
           "Z^* instead of ZZ^*), as transcribed."),
    Change("B.3-delta-row", "B.3", r"= \delta\left(\alpha_{n,i}^{(0)}, \alpha_{n,n}^{*(0)}\right) + \alpha_{n+1,n+1}^{*(0)} < \epsilon", None,
           r"= \delta\left(\alpha^{(0)}_{n,:}, \alpha^{*(0)}_{n,:n}\right) + \alpha^{*(0)}_{n+1,n+1} < \epsilon", 15,
           "Index notation of the total-variation term changed (v2 still compares row n, see B.3-proof-delta-index)."),
    Change("B.5-last-sum", "B.5", r"= C \sum_{k_1 \geqslant i} \dots \sum_{k_L \geqslant k_L} \ldots", None,
           r"= C \sum_{k_1 \geqslant i} \cdots \sum_{k_L \geqslant k_{L-1}} \ldots", 17,
           "Summation range of the last line of the proof of Theorem B.5 corrected from k_L >= k_L."),
    Change("B.7-row-sum-index", "B.7", r"\sum_{i} (\mathbf{AB})_{ij} = \sum_{i} \sum_{k} \mathbf{A}_{ik}\mathbf{B}_{kj} = \ldots", None,
           r"\sum_{j} (\mathbf{AB})_{ij} = \sum_{j} \sum_{k} \mathbf{A}_{ik}\mathbf{B}_{kj} = \sum_k \mathbf{A}_{ik} \sum_j \mathbf{B}_{kj} = 1", 18,
           "Row sums in the proof of Lemma B.7 now run over the column index j."),
    Change("B.9-first-display", "B.9",
           r"= \frac{n_0 \exp(\mathbf{q}_{zero}^{(0)T}\mathbf{k}_w^{(0)})}{\ldots} \ldots \text{(remaining lines garbled in the transcription)}", None,
           r"= \frac{n_0 \exp(\mathbf{q}_{zero}^{(0)T}\mathbf{k}_{zero}^{(0)})}{n_0 \exp(\mathbf{q}_{zero}^{(0)T}\mathbf{k}_{zero}^{(0)}) + n_1 \exp(\mathbf{q}_{zero}^{(0)T}\mathbf{k}_{one}^{(0)})}\mathbf{v}_{zero}^{(0)} + \ldots", 19,
           "First display of the proof of Proposition B.9: numerator k_w -> k_zero (the v1 transcription is "
           "garbled here; v2 is clean)."),
    Change("6.2-precision", "6.2", "Counting in certain situations becomes impossible due to representational collapse.", None,
           "Counting in certain situations becomes impossible due to representational collapse and finite floating point precision.", 10,
           "Corollary 6.2 now names finite floating point precision (Corollary B.10 does not; see B.10-finite-precision)."),
)

#: Computations that confirm the authors' own caveats or strengthen a statement (not errata).
CONFIRMATIONS = (
    Confirmation(
        key="C.4-rope-caveat", statement="C.4", page=23,
        quote=r"However, recent work has shown that such claims may not be strictly always upheld [4], as the original claims relied on very specific conditions on the queries and keys.",
        finding="Confirmed: RoPE's logit between fixed q and k is a quasi-periodic function of the distance and "
                "does not decay to 0 (for q = k it returns above half of |q|^2 at distances between 1e5 and 1e6; "
                "for random q, k its spread at such distances matches that at distances <= 1000). RoPE therefore "
                "does not meet Theorem B.3's decay hypothesis as stated, which C.4 leaves as future work.",
        evidence="conf_c4_rope_quasiperiodic"),
    Confirmation(
        key="B.4-exact-even", statement="B.4", page=16,
        quote=r"Then the total variation $\delta(\mathbf{y}, \mathbf{y}^*)$ does not tend to $0$ as $n \to \infty$.",
        finding="Stronger: for every even n the total variation equals 2(e-1)/(e+1) exactly; odd n converge to it.",
        evidence="conf_b4_exact_even"),
)

#: The 27 entries written against the v1 transcription (docs/appendix/results.json, in check
#: order), and what became of each.
OLD_ENTRIES = (
    OldEntry(1, "B.1", "Lemma B.1, statement (second part)", "error", "downgrade", "scope", "B.1-uniform-bound",
             "Refutes a per-vector reading of 'bounded'; under the natural (uniform) reading the lemma holds."),
    OldEntry(2, "B.1", "Lemma B.1, proof of the first part", "note", "remove", "", "",
             "The step is true (e^b > 0); citing an assumed hypothesis it does not need is not an error."),
    OldEntry(3, "B.1", "Lemma B.1, proof of the second part", "note", "remove", "", "B.1-uniform-bound",
             "The lemma claims no rate and the triangle-inequality proof is valid; the O(1/n^2) rate moved into the correction of B.1-uniform-bound."),
    OldEntry(4, "B.2", "Lemma B.2 and Lemma 4.1, hypothesis", "error", "downgrade", "scope", "B.2-reading",
             "Refutes a reading the authors do not intend (pairs depending on n); the real issue is where B.2 is used (B.3-uses-B.2). Lemma 4.1's missing boundedness is a separate scope entry (4.1-boundedness)."),
    OldEntry(5, "B.2", "Lemma B.2, last display of the proof", "error", "remove", "", "B.2-last-display",
             "v2 prints the factor Z and denominators Z*; history."),
    OldEntry(6, "B.2", "Lemma B.2, proof ('Z is unbounded with n')", "note", "remove", "", "B.2-reading",
             "B.2's hypothesis 'x_i, x*_i bounded' (bounded sequences) gives Z >= n e^{-M}; nothing is missing."),
    OldEntry(7, "B.2", "Appendix B.1, Eq. (2)", "note", "remove", "", "",
             "The authors state the convention themselves ('we ignore [the factor 1/2]'); not an erratum."),
    OldEntry(8, "B.4", "Lemma B.4, proof, first line", "error", "downgrade", "typo", "B.4-proof-y",
             "The intended e^{x_i} is evident from the next lines."),
    OldEntry(9, "B.4", "Lemma B.4, statement", "note", "remove", "", "B.4-exact-even",
             "A strengthening, not an erratum; kept as a confirmation."),
    OldEntry(10, "B.3", "Section 2, first display", "error", "downgrade", "typo", "S2-value-index",
             "Index slip with an obvious intended meaning (v_j), used correctly everywhere else."),
    OldEntry(11, "B.3", "Theorem B.3, proof ('v_n^(0) = v*_{n+1}^(0) by construction')", "error", "reword", "scope", "C.3-structure",
             "Absolute encodings added to the tokens are outside the Section 2 model, where the step is true; the real ambiguity is C.3's 'exact structure of the original Transformer'."),
    OldEntry(12, "B.3", "Theorem 4.2/B.3, hypothesis ('e.g. as in RoPE')", "error", "remove", "", "rope-example-dropped",
             "v2 no longer says 'e.g. as in RoPE' (history); the quasi-periodicity is now a confirmation of C.4's caveat (C.4-rope-caveat)."),
    OldEntry(13, "B.3", "Theorem B.3, proof ('a simple inductive approach on the layers')", "note", "reword", "gap", "B.3-induction",
             "A step not justified as written whose conclusion survives: a gap, with the missing continuity argument."),
    OldEntry(14, "fig10", "Figure 10 / Theorem B.3 (ALiBi)", "note", "reword", "scope", "C.4-alibi",
             "Now attached to C.4's claim 'collapse ... with all 4 positional encodings' (v2 text)."),
    OldEntry(15, "B.5", "Theorem 5.1 vs Theorem B.5 vs proof of B.5 (normalisation)", "error", "reword", "typo", "5.1-normalisation",
             "Theorem 5.1 leaves C free: with C (1/beta_3) prod(sigma/beta_2+1) max(1, beta_2/beta_1)^L it holds; the B.5 part merged into B.5-statement."),
    OldEntry(16, "B.5", "Theorem B.5, statement (constant sigma_psi^L)", "error", "keep", "error", "B.5-statement",
             "Counterexample meets every hypothesis for every reading of beta^(l) (psi = 0); reworded."),
    OldEntry(17, "B.5", "Equations (1) and (4): summation indices", "error", "downgrade", "typo", "B.5-eq-indices",
             "The intended path sum is evident from the chain rule (the layer-(L-1) index is named twice)."),
    OldEntry(18, "B.5", "Proof of Theorem B.5, first display", "note", "reword", "typo", "B.5-proof-indices",
             "Index slips with an obvious intended meaning."),
    OldEntry(19, "B.6", "Lemma B.6, proof (last paragraph)", "note", "reword", "gap", "B.6-proof-uniqueness",
             "The real gap is that the max-entry argument does not reach the tokens after the maximiser; missing induction given."),
    OldEntry(20, "B.7", "Lemma B.7, proof", "note", "remove", "", "B.7-row-sum-index",
             "v2 prints sum_j; history."),
    OldEntry(21, "B.8", "Proposition B.8, proof ('is diagonalizable into Psi Sigma Phi')", "error", "keep", "error", "B.8-diagonalizable",
             "A false step under every hypothesis; the conclusion survives (said in the entry)."),
    OldEntry(22, "B.8", "Proposition B.8, conclusion", "error", "keep", "error", "B.8-equality",
             "Now with a counterexample meeting every hypothesis (psi = -id as a ReLU MLP gives derivative 0)."),
    OldEntry(23, "B.8", "Proposition B.8, hypotheses", "note", "remove", "", "",
             "beta_3^{1/L} = 4 is stated explicitly and the main text calls the case degenerate; not a misreading risk."),
    OldEntry(24, "B.9", "Proposition B.9, statement", "error", "downgrade", "typo", "B.9-wording",
             "Refutes a parse the authors do not intend; the proof says 'without positional encodings and causal masking'."),
    OldEntry(25, "B.9", "Proposition B.9, proof, first display", "note", "remove", "", "B.9-first-display",
             "v2 prints k_zero; the rest was OCR garbling of v1; history."),
    OldEntry(26, "B.10", "Corollary B.10, proof", "note", "reword", "scope", "B.10-finite-precision",
             "A remark on the statement's missing format assumption (6.2 has it); the index slip y*_n is a separate typo (B.10-index)."),
    OldEntry(27, "gemma.B5", "Theorem 5.1 / B.5 on a trained model", "note", "remove", "", "",
             "Not an erratum: the paper claims an upper bound and explains the recency side of the U-shape by learnt attention (Section 5), which the measurement agrees with; keep as a finding of the real-model check."),
)

#: Which entries each ``verify`` check should attach (by check id).
CHECK_KEYS = {
    "B.1": ("B.1-uniform-bound",),
    "B.2": ("B.2-reading", "4.1-boundedness"),
    "fig9": (),
    "B.4": ("B.4-proof-y",),
    "B.3": ("S2-value-index", "B.3-uses-B.2", "B.3-uses-B.1", "B.3-induction", "B.3-proof-residual",
            "B.3-proof-delta-index"),
    "fig8": ("C.3-structure",),
    "fig10": ("C.4-alibi", "C.4-random-values", "C.4-pe-list"),
    "remedy": (),
    "B.5": ("5.1-normalisation", "B.5-statement", "B.5-eq-indices", "B.5-proof-indices"),
    "B.6": ("B.6-proof-uniqueness",),
    "B.7": (),
    "B.8": ("B.8-diagonalizable", "B.8-equality", "B.8-eigvec-names"),
    "gnn": (),
    "B.9": ("B.9-wording",),
    "B.10": ("B.10-finite-precision", "B.10-index"),
    "C.5": ("C.5-prompt-quotes",),
    "C.6": ("C.6-local-windows",),
}


#: Which ``verify`` check reports each confirmation (by check id).
CONFIRMATION_CHECKS = {"C.4-rope-caveat": "fig10", "B.4-exact-even": "B.4"}


def erratum(key):
    """The :class:`Erratum` with ``key``.

    Raises
    ------
    ValueError
        If no erratum has that key; the message lists the keys.

    Examples
    --------
    >>> erratum("B.8-equality").severity
    'error'
    """
    for e in ERRATA:
        if e.key == key:
            return e
    raise ValueError(f"unknown erratum key {key!r}; known keys: {', '.join(e.key for e in ERRATA)}")


def run_evidence(key):
    """Run the evidence function of an erratum (or a confirmation) and return its dict.

    Parameters
    ----------
    key : str
        Key of an entry of :data:`ERRATA` or :data:`CONFIRMATIONS`.

    Raises
    ------
    ValueError
        If the key is unknown.

    Examples
    --------
    >>> run_evidence("C.4-rope-caveat")["confirms"]
    True
    """
    for c in CONFIRMATIONS:
        if c.key == key:
            return globals()[c.evidence]()
    return globals()[erratum(key).evidence]()


def evidence_supports(severity, result):
    """Does an evidence dict support an entry of ``severity`` under :data:`SEVERITY_RULE`?

    error: every hypothesis holds and the claim fails; gap: the missing argument checks
    out and the conclusion survives; typo: the intended reading checks out; scope: the
    claimed behaviour fails on the example.

    Examples
    --------
    >>> evidence_supports("error", {"hypotheses_hold": True, "claim_fails": True})
    True
    >>> evidence_supports("gap", {"hypotheses_hold": True, "claim_fails": True})
    False
    """
    check_choice(severity, "severity", SEVERITIES)
    holds, fails = bool(result["hypotheses_hold"]), bool(result["claim_fails"])
    return {"error": holds and fails, "gap": holds and not fails, "typo": holds, "scope": fails}[severity]


def _summary(result):
    """The numbers of an evidence dict, compact (lists shortened) for printing."""
    def short(v):
        if isinstance(v, float):
            return float(f"{v:.4g}")
        if isinstance(v, list):
            return [short(x) for x in v[:6]]
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items() if k not in ("windows",)}
        return v
    return {k: short(v) for k, v in result.items() if k != "rows"}


#: The numbers of each evidence dict that the Markdown tables show.
_FIELDS = {
    "ev_s2_value_index": ("dz_n_dv_1", "attention_changes_output"),
    "ev_b1_uniform_bound": ("n", "gaps", "limit"),
    "ev_b2_reading": ("n", "tv", "last_gap"),
    "ev_41_boundedness": ("n", "tv"),
    "ev_b3_uses_b2": ("n", "last_gap", "delta", "bound"),
    "ev_b3_uses_b1": ("n", "prefix_gap", "last_weight"),
    "ev_b3_induction": ("query_gap", "slope"),
    "ev_b3_proof_residual": ("difference",),
    "ev_b3_delta_index": ("n", "printed", "intended"),
    "ev_c3_structure": ("n", "l1", "input_gap"),
    "ev_b4_proof_y": ("n", "value", "limit"),
    "ev_51_normalisation": ("min_ratio", "min_ratio_beta1", "C"),
    "ev_b5_statement": ("sigma", "ratios", "ratios_sigma_half"),
    "ev_b5_eq_indices": ("printed", "intended", "jacobian"),
    "ev_b5_proof_indices": ("printed", "intended"),
    "ev_b6_uniqueness": ("eigenspace_dims", "min_covered"),
    "ev_b8_diagonalizable": ("jordan_blocks", "layers", "layers_predicted"),
    "ev_b8_equality": ("L", "dy_n_dv_1", "bound", "lipschitz"),
    "ev_b8_eigvec_names": ("printed_residual", "left_residual"),
    "ev_b9_wording": ("gap", "gap_intended"),
    "ev_b10_precision": ("n", "linf", "witness"),
    "ev_b10_index": ("n", "printed", "intended"),
    "ev_c4_alibi": ("n", "l1", "bias_at_max"),
    "ev_c4_random_values": ("n", "distance", "attention_tv"),
    "ev_c4_pe_list": ("named", "claimed"),
    "ev_c5_prompt_quotes": ("seq_inside_quotes", "fig12_extra"),
    "ev_c6_local_windows": ("receptive_field", "n", "local", "mix5:1", "global"),
}

_C6_FIELDS = ("ones", "slope_ones", "slope_random_prefix", "identical_from", "unreachable")


def _cell(result, keys):
    parts = []
    for k in keys:
        v = result[k]
        if isinstance(v, dict) and "ones" in v:  # a C.6 pattern
            v = {f: v[f] for f in _C6_FIELDS}
        parts.append(f"{k}={_summary({k: v})[k]}")
    return "; ".join(parts)


def _md(text):
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|")


def errata_markdown(keys=None):
    """Markdown of the audit with freshly computed numbers (``python -m theory.audit --markdown``).

    Parameters
    ----------
    keys : sequence of str, optional
        Render only these errata (and no other section); default: everything.

    Returns
    -------
    str
        Sections: severity rule, the old entries and what became of them, the errata
        (quote, issue, correction, computed evidence), the uses audit, Lemma B.1 onsets,
        confirmations, changes from the preprint.

    Raises
    ------
    ValueError
        If a key is unknown.

    Examples
    --------
    >>> md = errata_markdown(["B.4-proof-y"])
    >>> md.count("#### "), "claim_fails=True" in md
    (1, True)
    """
    chosen = ERRATA if keys is None else tuple(erratum(k) for k in keys)
    out = [] if keys is not None else ["### Severity rule", "", *["- " + line for line in SEVERITY_RULE.splitlines()], ""]
    if keys is None:
        out += ["", "### The 27 entries written against the v1 transcription", "",
                "| # | check | where (old) | old kind | action | new severity | now | reason |", "|---|---|---|---|---|---|---|---|"]
        for o in OLD_ENTRIES:
            out.append(f"| {o.number} | {o.check} | {_md(o.where)} | {o.old_kind} | {o.action} | {o.new_severity or '-'} | "
                       f"{('`' + o.new_key + '`') if o.new_key else '-'} | {_md(o.reason)} |")
    origin = {}
    for o in OLD_ENTRIES:
        if o.action != "remove":
            origin.setdefault(o.new_key, []).append(f"#{o.number}")
    out += ["", "### Errata of v2 (computed evidence)", ""]
    for e in chosen:
        r = globals()[e.evidence]()
        tag = ("replaces old " + ", ".join(origin[e.key])) if e.key in origin else "new"
        out += [f"#### `{e.key}` -- {e.severity} ({statement(e.statement).name}, v2 p. {e.page}; {tag})", "",
                f"- Where: {e.where}.", f"- Quote (as printed): `{e.quote}`", f"- Issue: {e.issue}",
                f"- Correction: {e.correction}",
                (f"- Evidence (`{e.evidence}`, computed): {_cell(r, _FIELDS[e.evidence])}; "
                 f"hypotheses_hold={r['hypotheses_hold']}, claim_fails={r['claim_fails']}."), ""]
    if keys is not None:
        return "\n".join(out)
    out += ["", "### Where a proof cites another statement", "",
            "| citing | cited | page | verdict | hypotheses at the place of use | numbers |", "|---|---|---|---|---|---|"]
    for u in audit_uses():
        hyp = _md("; ".join(f"{k}: {'yes' if v else 'no'}" for k, v in u["hypotheses"].items()))
        out.append(f"| {u['citing']} | {u['cited']} | {u['page']} | {u['verdict']} | {hyp} | "
                   f"{_md(_cell(u['numbers'], list(u['numbers'])))} |")
    out += ["", "### Lemma B.1 collapse onset per format (|entries| <= M = 1)", "",
            "| format | attained worst case | instance (n; a_k = a, b, c) | margin gap/ulp - 1 | sufficient (tight) | the check's 'worst_case_bound' (sufficient) |",
            "|---|---|---|---|---|---|"]
    for dt in DTYPES:
        r = b1_worst_case_onset(dt)
        i = r["instance"]
        out.append(f"| {dt} | {r['worst_case']} | n = {i['n']}; a = {i['a'][:8]}, b = {i['b'][:8]}, c = {i['c']} | "
                   f"{i['margin']:.3g} | {r['sufficient_tight']} | {r['sufficient_loose']} |")
    out += ["", "### Confirmations", ""]
    for c in CONFIRMATIONS:
        r = run_evidence(c.key)
        out.append(f"- `{c.key}` ({statement(c.statement).name}, p. {c.page}): {c.finding} "
                   f"Computed: {_cell(r, [k for k in r if k != 'confirms'])}.")
    out += ["", "### Changes from the preprint (history, not errata)", ""]
    for c in CHANGES_FROM_PREPRINT:
        out += [f"- `{c.key}` ({statement(c.statement).name}): {c.change}",
                f"  - v1 (transcription, no page numbers): `{c.v1_text}`",
                f"  - v2 (p. {c.v2_page}): `{c.v2_text}`"]
    return "\n".join(out)


def main():
    """Print every erratum with its computed evidence, then the uses audit (``python -m theory.audit``)."""
    import sys

    if "--markdown" in sys.argv[1:]:
        print(errata_markdown())
        return
    import json
    import time

    print(SEVERITY_RULE, end="\n\n")
    for e in ERRATA:
        t = time.perf_counter()
        r = globals()[e.evidence]()
        print(f"[{e.severity}] {e.key} (v2 p. {e.page}) {time.perf_counter() - t:.2f}s")
        print("  evidence:", json.dumps(_summary(r), default=str))
    for c in CONFIRMATIONS:
        print(f"[confirmation] {c.key}:", json.dumps(_summary(run_evidence(c.key)), default=str))
    for dt in DTYPES:
        r = b1_worst_case_onset(dt)
        print(f"[onset B.1] {dt}: worst case {r['worst_case']} (instance n={r['instance']['n']}, a_k={r['instance']['a'][:6]}, "
              f"b={r['instance']['b'][:6]}, c={r['instance']['c'][:22]}), sufficient tight {r['sufficient_tight']}, "
              f"check's bound {r['sufficient_loose']}")
    for u in audit_uses():
        print(f"[use] {u['citing']} -> {u['cited']} (p. {u['page']}): {u['verdict']}", json.dumps(u["numbers"], default=str))


if __name__ == "__main__":
    main()
