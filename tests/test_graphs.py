"""graphs/: agreement with networkx and closed forms, and bad input."""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import given, settings, strategies as st

from graphs import causal as Cz
from graphs import flow as F
from graphs import gnn as G
from graphs import paths as P
from graphs import spectral as Sp


def _nx_path_count(n, i, masks):
    D = nx.DiGraph()
    for ell, m in enumerate(masks):
        for a, b in zip(*np.nonzero(m)):
            D.add_edge((ell, int(b)), (ell + 1, int(a)))
    if (0, i) not in D or (len(masks), n) not in D:
        return 0
    return sum(1 for _ in nx.all_simple_paths(D, (0, i), (len(masks), n)))


@pytest.mark.parametrize("window", [None, 1, 2, 3, [2, None, 3], [None, 1, None]])
@pytest.mark.parametrize("L", [1, 2, 3])
def test_path_count_matches_networkx_enumeration(window, L):
    ws = (window + [None] * 3)[:L] if isinstance(window, list) else window
    masks = Cz.layer_masks(7, L, ws)
    for i in range(7):
        assert P.path_count(6, i, L, window=ws) == _nx_path_count(6, i, masks)
        assert P.path_count(6, i, L, masks=masks) == _nx_path_count(6, i, masks)


def test_path_count_closed_form_proved_and_large():
    r = P.path_count_symbolic_proof(6)
    assert r["base"] and r["hockey_stick"] and all(ok for _, ok in r["recurrence"])
    big = P.path_count(10**6, 0, 100)
    assert big == math.comb(10**6 + 99, 99)
    # A window of 512 moves at most 511 tokens per layer: 100 layers reach 51,100 back.
    assert P.path_count(10**6, 10**6 - 51_100, 100, window=512) == 1
    assert P.path_count(10**6, 10**6 - 51_101, 100, window=512) == 0
    assert P.path_count(10**6, 10**6 - 40_000, 100, window=512) > 10**100


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 9), st.integers(1, 4), st.integers(0, 10**6))
def test_sensitivity_equals_weighted_path_sum_on_networkx(n, L, seed):
    rng = np.random.default_rng(seed)
    attns = [Cz.random_attention(n, rng) for _ in range(L)]
    s = P.last_token_sensitivity(attns, beta1=1.5, sigma_psi=0.5, beta2=2.0, beta3=1.2)
    D = Cz.unrolled_graph(attns, beta1=1.5)
    C = P.sensitivity_constant(L, beta2=2.0, beta3=1.2, sigma_psi=0.5)
    for i in range(n):
        total = sum(math.prod(D[u][v]["weight"] for u, v in zip(p, p[1:]))
                    for p in nx.all_simple_paths(D, (0, i), (L, n - 1)))
        assert math.isclose(s[i], C * total, rel_tol=1e-9, abs_tol=1e-12)


def test_sensitivity_equals_matrix_product_and_rollout():
    rng = np.random.default_rng(0)
    attns = [Cz.random_attention(20, rng) for _ in range(5)]
    prod = np.eye(20)
    for a in attns:
        prod = (a + np.eye(20)) @ prod
    assert np.allclose(P.last_token_sensitivity(attns), 2**5 * prod[-1])
    assert np.allclose(P.rollout(attns), prod / 2**5)
    # With beta = sigma_psi = 1: "main" is "proof"; "statement" has the same path sum but C = 1.
    proof = P.last_token_sensitivity(attns)
    assert np.allclose(P.last_token_sensitivity(attns, normalisation="main"), proof)
    assert np.allclose(P.last_token_sensitivity(attns, normalisation="statement"), proof / 2**5)


def test_eq4_as_printed_differs_from_the_product():
    A = Cz.uniform_attention(Cz.causal_mask(4))
    literal = P.eq4_as_printed([A] * 3, 0)
    product = P.last_token_sensitivity([A] * 3)[0] / 8
    assert literal > product * 1.01


def test_spectral_lemmas_and_limit():
    assert Sp.lemma_b6_symbolic(4)["constant_eigenvector"]
    assert Sp.lemma_b7_symbolic(3) == {"row_sums_one": True, "lower_triangular": True}
    rng = np.random.default_rng(1)
    for _ in range(5):
        A = Cz.random_attention(12, rng)
        e = Sp.eigen_summary(A)
        assert e["hypothesis"] and e["simple"] and e["geometric"] == 1
        r = Sp.spectral_limit(A, eps=1e-8)
        assert r["first_column_limit"]
        T = Sp.lazy_walk(A)
        assert np.abs(np.linalg.matrix_power(T, r["layers"]) - r["limit"]).max() <= 1e-8
        assert np.abs(np.linalg.matrix_power(T, r["layers"] - 1) - r["limit"]).max() > 1e-8


def test_defective_counterexample():
    r = Sp.defective_example_symbolic()
    assert not r["diagonalizable"] and r["limit_is_first_column"]
    e = Sp.eigen_summary(Sp.defective_example())
    assert e["hypothesis"] and e["simple"]
    # Without the hypothesis (identity rows) eigenvalue 1 is not simple and the limit is not 1 e_1^T.
    bad = np.eye(3)
    assert not Sp.eigen_summary(bad)["simple"] and not Sp.spectral_limit(bad)["first_column_limit"]


def test_attention_flow_matches_networkx():
    rng = np.random.default_rng(2)
    attns = [Cz.random_attention(8, rng) for _ in range(4)]
    fast = F.attention_flow(attns)
    ref = F.attention_flow_networkx(attns)
    assert np.all(ref - fast["flow"] >= -1e-12)
    assert np.all(ref - fast["flow"] <= fast["error_bound"])


def test_compare_decay():
    r = G.compare_decay(32, 6)
    assert set(r) == {"causal", "path", "ring", "tree", "grid"}
    for v in r.values():
        assert math.isclose(v["profile"].sum(), 1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: Cz.causal_graph(np.ones((2, 3)) / 3), "square"),
    (lambda: Cz.causal_graph([[0.5, 0.5], [0.5, 0.5]]), r"entry \(0, 1\) above the diagonal"),
    (lambda: Cz.causal_graph([[1.0, 0.0], [0.5, 0.4]]), "row 1 sums to 0.9"),
    (lambda: Cz.causal_graph([[1.0, 0.0], [1.5, -0.5]]), r"entry \(1, 1\) is negative"),
    (lambda: Cz.causal_graph([[1.0, 0.0], [np.nan, 1.0]]), "not finite"),
    (lambda: P.last_token_sensitivity([np.eye(3), np.eye(2)]), "layer 1 has shape"),
    (lambda: P.last_token_sensitivity([np.eye(3), [[1, 0, 0], [0, 1, 0], [0, 0.5, 0.6]]]), "attns layer 1: row 2"),
    (lambda: P.path_count(-1, 0, 2), "n"),
    (lambda: P.path_count(5, 0, 0), "num_layers"),
    (lambda: P.path_count(5, 0, 2, window=[3]), "window"),
    (lambda: G.effective_resistance(nx.DiGraph([(0, 1), (1, 0)])), "undirected"),
    (lambda: G.balanced_forman_curvature(nx.DiGraph([(0, 1)])), "undirected"),
    (lambda: G.hitting_times(nx.Graph([(0, 1), (2, 3)])), "connected"),
    (lambda: G.as_graph(np.ones((2, 3))), "edge_index and must hold integers"),
    (lambda: G.from_edge_index(np.array([[0, -1], [1, 0]])), "edge_index"),
    (lambda: G.jacobian_bound(nx.path_graph(3), 2, model="gat"), "model"),
    (lambda: Sp.spectral_limit(np.eye(2), eps=0), "eps"),
    (lambda: F.attention_flow([np.eye(2)], scale=0), "scale"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_attention_flow_scale_limit_and_normalisation():
    rng = np.random.default_rng(5)
    attns = [Cz.random_attention(7, rng) for _ in range(3)]
    ref = F.attention_flow_networkx(attns)
    top = F.attention_flow(attns, scale=2**31 - 1)
    assert np.all(ref - top["flow"] >= -1e-12) and np.all(ref - top["flow"] <= top["error_bound"])
    with pytest.raises(ValueError, match="scale must be an integer in \\[1, 2147483647\\]"):
        F.attention_flow(attns, scale=2**31)
    normed = F.attention_flow(attns, normalize=True)
    ref_n = F.attention_flow_networkx(attns, normalize=True)
    assert np.isclose(normed["flow"].sum(), 1.0)
    assert np.all(np.abs(normed["flow"] - ref_n) <= normed["error_bound"])
    for bad in (7, -8, 1.0, "last"):
        with pytest.raises(ValueError, match="target"):
            F.attention_flow(attns, target=bad)


def test_costly_requests_are_refused_before_they_start():
    import time

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="602,0.. digits needs about .* s \\(estimated\\), more than max_seconds=10"):
        P.path_count(10**6, 0, 10**6)
    with pytest.raises(ValueError, match="inclusion-exclusion over .* max_seconds"):
        P.path_count(30_000, 0, 30_000, window=1)
    with pytest.raises(ValueError, match="max_seconds"):
        Sp.lemma_b6_symbolic(10)
    assert time.perf_counter() - t0 < 5
    assert P.path_count(2000, 0, 2000, max_seconds=60) == math.comb(3999, 1999)
    for bad in (True, 2.5, "3", [2.0]):
        with pytest.raises(ValueError, match="window"):
            P.path_count(5, 0, 1, window=bad)


def test_options_are_named_sets_and_bools_are_bools():
    A = Cz.uniform_attention(Cz.causal_mask(4))
    with pytest.raises(ValueError, match="normalisation must be one of"):
        P.last_token_sensitivity([A], normalisation="statment")
    with pytest.raises(ValueError, match="normalisation must be one of"):
        P.sensitivity_constant(2, normalisation="Proof")
    with pytest.raises(TypeError, match="residual must be True or False"):
        P.rollout([A], residual="False")
    with pytest.raises(TypeError, match="residual must be True or False"):
        Cz.unrolled_graph([A], residual=1)
    for atol in (float("nan"), float("inf"), -1e-3, 0.5):
        with pytest.raises(ValueError, match="atol"):
            Cz.causal_graph(np.array([[0.5, 0.5], [3.0, -7.0]]), atol=atol)
