"""graphs.resistance against networkx, closed forms and each other; the methods' guarantees."""

import math

import networkx as nx
import numpy as np
import pytest

import graphs


def random_weights(G, seed):
    rng = np.random.default_rng(seed)
    for e in G.edges:
        G.edges[e]["weight"] = float(rng.uniform(0.2, 3.0))
    return G


def test_dense_matches_networkx_weighted():
    G = random_weights(nx.random_regular_graph(3, 24, seed=1), 0)
    R = graphs.effective_resistance(G)
    for u in range(0, 24, 5):
        for v in G:
            assert math.isclose(R[u, v], nx.resistance_distance(G, u, v, weight="weight",
                                                                invert_weight=False),
                                rel_tol=1e-9, abs_tol=1e-12)
    assert np.allclose(R, R.T) and np.all(np.diag(R) == 0)


@pytest.mark.parametrize("shape", [(12, 9), (30, 4), (5, 40)])
def test_sparse_banded_method_matches_dense(shape):
    G = random_weights(nx.convert_node_labels_to_integers(nx.grid_2d_graph(*shape)), 1)
    R = graphs.effective_resistance(G)
    edges = np.array(list(G.edges)).T
    both = np.concatenate([edges, edges[::-1]], axis=1)
    vals = graphs.effective_resistance(G, pairs=both, method="sparse")
    assert np.allclose(vals, R[both[0], both[1]], rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(2)
    far = rng.integers(0, G.number_of_nodes(), size=(2, 40))  # includes the grounded node
    far[:, 0] = [0, 0]
    vals = graphs.effective_resistance(G, pairs=far, method="sparse")
    assert np.allclose(vals, R[far[0], far[1]], rtol=1e-9, atol=1e-12)


def test_edges_dict_holds_both_orientations_and_foster():
    G = random_weights(nx.petersen_graph(), 3)
    d = graphs.effective_resistance(G, pairs="edges")
    assert len(d) == 2 * G.number_of_edges()
    assert all(d[(u, v)] == d[(v, u)] for u, v in G.edges)
    # Foster's theorem: sum over edges of w_e R_e = n - 1 (independent of the method).
    total = sum(G.edges[u, v]["weight"] * d[(u, v)] for u, v in G.edges)
    assert math.isclose(total, G.number_of_nodes() - 1, rel_tol=1e-10)


def test_sketch_meets_its_stated_accuracy():
    G = random_weights(nx.random_regular_graph(4, 300, seed=4), 5)
    edges = np.array(list(G.edges)).T
    exact = graphs.effective_resistance(G)[edges[0], edges[1]]
    est = graphs.effective_resistance(G, pairs=edges, method="sketch", eps=0.3, delta=0.01,
                                      seed=0)
    assert np.all(np.abs(est / exact - 1) <= 0.3)
    again = graphs.effective_resistance(G, pairs=edges, method="sketch", eps=0.3, seed=0)
    assert np.array_equal(est, again)


def test_kirchhoff_index_matches_networkx_and_closed_forms():
    G = random_weights(nx.convert_node_labels_to_integers(nx.grid_2d_graph(7, 6)), 6)
    ref = nx.effective_graph_resistance(G, weight="weight", invert_weight=False)
    assert math.isclose(graphs.kirchhoff_index(G), ref, rel_tol=1e-10)
    assert math.isclose(graphs.kirchhoff_index(G, method="sparse"), ref, rel_tol=1e-10)
    for n in (3, 7, 12):
        assert math.isclose(graphs.kirchhoff_index(nx.path_graph(n)), (n ** 3 - n) / 6)
        assert math.isclose(graphs.kirchhoff_index(nx.cycle_graph(n)), (n ** 3 - n) / 12)
        assert math.isclose(graphs.kirchhoff_index(nx.complete_graph(n)), n - 1)


def test_hitting_and_commute_times_match_networkx_and_each_other():
    H = nx.random_regular_graph(3, 30, seed=1)
    Ht = graphs.hitting_times(H)
    assert np.allclose(Ht + Ht.T, graphs.commute_times(H))
    deg = np.array([d for _, d in H.degree()], float)
    assert np.allclose(Ht @ (deg / deg.sum()), nx.kemeny_constant(H))


def test_refusals_name_the_limit_and_the_remedy():
    with pytest.raises(graphs.CostLimitError, match="max_memory"):
        graphs.effective_resistance(nx.path_graph(300), max_memory=10_000)
    big = nx.random_regular_graph(4, 5000, seed=0)
    with pytest.raises(graphs.CostLimitError, match="method='sketch'"):
        graphs.effective_resistance(big, pairs=[(0, 1)], max_memory=2**24)
    with pytest.raises(ValueError, match="needs method='dense'"):
        graphs.effective_resistance(nx.path_graph(4), method="sparse")
    with pytest.raises(ValueError, match="method must be one of"):
        graphs.effective_resistance(nx.path_graph(4), method="exact")
    with pytest.raises(ValueError, match="pairs must be a \\(2, k\\) array"):
        graphs.effective_resistance(nx.path_graph(4), pairs=np.array([[0, 1], [1, 2], [2, 3]]))
    with pytest.raises(ValueError, match="not a node of G"):
        graphs.effective_resistance(nx.path_graph(4), pairs=[(0, 9)])


def test_single_node_graph_has_zero_resistance_and_times():
    G = nx.empty_graph(1)
    for func in (graphs.effective_resistance, graphs.commute_times, graphs.hitting_times):
        assert func(G).tolist() == [[0.0]]
    assert graphs.kirchhoff_index(G) == 0.0
