"""graphs.curvature against closed forms and independent brute force."""

import math
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest

import graphs


@pytest.mark.parametrize("n", [3, 4, 6, 9])
def test_bfc_complete_graph(n):
    for v in graphs.balanced_forman_curvature(nx.complete_graph(n)).values():
        assert math.isclose(v, n / (n - 1))


def test_bfc_cycles_trees_grids():
    assert set(graphs.balanced_forman_curvature(nx.cycle_graph(4)).values()) == {1.0}
    assert set(graphs.balanced_forman_curvature(nx.cycle_graph(7)).values()) == {0.0}
    T = nx.balanced_tree(3, 3)
    for (i, j), v in graphs.balanced_forman_curvature(T).items():
        di, dj = T.degree(i), T.degree(j)
        expected = 0.0 if min(di, dj) == 1 else 2 / di + 2 / dj - 2
        assert math.isclose(v, expected, abs_tol=1e-12)
    torus = nx.grid_2d_graph(6, 6, periodic=True)
    assert all(abs(v) < 1e-12 for v in graphs.balanced_forman_curvature(torus).values())


def test_curvature_arrays_align_with_an_edge_index_in_both_directions():
    G = nx.barbell_graph(4, 2)
    ei = np.array(list(G.edges)).T
    ei = np.concatenate([ei, ei[::-1]], axis=1)
    d = graphs.balanced_forman_curvature(G)
    for func in (graphs.balanced_forman_curvature, graphs.augmented_forman_curvature,
                 graphs.ollivier_ricci_curvature):
        arr = func(ei, edges=ei)
        ref = func(G)
        assert arr.shape == (ei.shape[1],)
        assert np.allclose(arr, [ref[(u, v)] for u, v in ei.T])
    assert d[(4, 5)] == d[(5, 4)]
    with pytest.raises(ValueError, match="is not an edge"):
        graphs.balanced_forman_curvature(G, edges=[(0, 9)])


def _cycles_through(G, u, v, length):
    """Brute force: simple cycles of the given length that use the edge (u, v)."""
    count = 0
    for c in nx.simple_cycles(G, length_bound=length):
        if len(c) == length:
            pairs = {frozenset(p) for p in zip(c, c[1:] + c[:1])}
            count += frozenset((u, v)) in pairs
    return count


@pytest.mark.parametrize("G", [nx.petersen_graph(), nx.complete_graph(5),
                               nx.random_regular_graph(4, 14, seed=2),
                               nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 4))])
def test_augmented_forman_matches_cycle_enumeration(G):
    afrc3 = graphs.augmented_forman_curvature(G, cycles=3)
    afrc4 = graphs.augmented_forman_curvature(G)
    for u, v in G.edges:
        base = 4 - G.degree(u) - G.degree(v)
        t, q = _cycles_through(G, u, v, 3), _cycles_through(G, u, v, 4)
        assert afrc3[(u, v)] == base + 3 * t
        assert afrc4[(v, u)] == base + 3 * t + 2 * q


def _w1_min_cost_flow(G, x, y, alpha):
    """Independent oracle: W1 by networkx min-cost flow on integer-scaled lazy measures."""
    dist = dict(nx.all_pairs_shortest_path_length(G))

    def measure(z):
        m = {z: Fraction(alpha)}
        for w in G[z]:
            m[w] = m.get(w, 0) + (1 - Fraction(alpha)) / G.degree(z)
        return m

    mx, my = measure(x), measure(y)
    scale = math.lcm(*(f.denominator for f in list(mx.values()) + list(my.values())))
    F = nx.DiGraph()
    for a, m in mx.items():
        F.add_node(("s", a), demand=-int(m * scale))
    for b, m in my.items():
        F.add_node(("t", b), demand=int(m * scale))
    for a in mx:
        for b in my:
            F.add_edge(("s", a), ("t", b), weight=dist[a][b])
    return nx.min_cost_flow_cost(F) / scale


@pytest.mark.parametrize("G", [nx.petersen_graph(), nx.barbell_graph(4, 1), nx.balanced_tree(2, 3),
                               nx.random_regular_graph(3, 12, seed=5)])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_ollivier_ricci_matches_min_cost_flow(G, alpha):
    orc = graphs.ollivier_ricci_curvature(G, alpha=alpha)
    for u, v in G.edges:
        assert math.isclose(orc[(u, v)], 1 - _w1_min_cost_flow(G, u, v, alpha), abs_tol=1e-8)


def test_ollivier_ricci_closed_forms():
    for n in (3, 5, 8):
        for alpha in (0.0, 0.3, 0.5):
            expected = 1 - abs(alpha - (1 - alpha) / (n - 1))   # complete graph K_n
            for v in graphs.ollivier_ricci_curvature(nx.complete_graph(n), alpha=alpha).values():
                assert math.isclose(v, expected, abs_tol=1e-9)
    T = nx.balanced_tree(3, 2)   # trees, alpha = 0 (Jost and Liu): -2 (1 - 1/d_x - 1/d_y)_+
    for (x, y), v in graphs.ollivier_ricci_curvature(T, alpha=0.0).items():
        expected = -2 * max(0.0, 1 - 1 / T.degree(x) - 1 / T.degree(y))
        assert math.isclose(v, expected, abs_tol=1e-9)


@pytest.mark.parametrize("func", [graphs.balanced_forman_curvature, graphs.augmented_forman_curvature,
                                  graphs.ollivier_ricci_curvature])
def test_combinatorial_curvatures_refuse_weights_loops_direction(func):
    W = nx.Graph([(0, 1, {"weight": 2.0}), (1, 2, {})])
    with pytest.raises(graphs.NotImplementedForGraph, match="weighted"):
        func(W)
    with pytest.raises(graphs.NotImplementedForGraph, match="directed"):
        func(nx.DiGraph([(0, 1)]))
    loop = nx.path_graph(3)
    loop.add_edge(1, 1)
    with pytest.raises(graphs.NotImplementedForGraph, match="self-loop"):
        func(loop)
