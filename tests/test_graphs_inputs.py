"""graphs.convert / graphs.decorators: every graph form read one way, and refused where ambiguous."""

import math
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sps

import graphs
from graphs.convert import as_graph_data
from tests.conftest import ROOT


def nx_resistance(H, u, v, weight="weight"):
    """Independent oracle: networkx's pseudo-inverse, weights as conductances."""
    return nx.resistance_distance(H, u, v, weight=weight, invert_weight=False)


@pytest.fixture
def weighted():
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 4.0), (1, 2, 0.25), (0, 2, 1.0), (2, 3, 2.0)])
    return G


def forms(G):
    """The same undirected graph in every accepted form."""
    A = nx.to_numpy_array(G, nodelist=sorted(G))
    ei = np.array([[u for u, v in G.edges] + [v for u, v in G.edges],
                   [v for u, v in G.edges] + [u for u, v in G.edges]])
    ew = np.array([G[u][v]["weight"] for u, v in G.edges] * 2)

    class Data:  # PyG-like, without torch_geometric
        edge_index, edge_weight, num_nodes = ei, ew, G.number_of_nodes()

    return {"networkx": G, "dense": A, "sparse": sps.csr_array(A), "edge_index": (ei, ew),
            "pyg": Data(), "edge list": [(u, v, G[u][v]["weight"]) for u, v in G.edges]}


def test_every_form_gives_the_same_weighted_resistance(weighted):
    oracle = nx_resistance(weighted, 0, 3)
    for name, obj in forms(weighted).items():
        if name == "edge_index":
            R = graphs.effective_resistance(obj[0], edge_weight=obj[1])
        else:
            R = graphs.effective_resistance(obj)
        assert math.isclose(R[0, 3], oracle, rel_tol=1e-12), name


def test_weight_none_means_unit_conductances_in_every_form(weighted):
    unit = nx_resistance(nx.Graph(weighted.edges()), 0, 3, weight=None)
    for name, obj in forms(weighted).items():
        if name == "edge_index":
            continue
        assert math.isclose(graphs.effective_resistance(obj, weight=None)[0, 3], unit), name


def test_torch_edge_index_and_weights_are_read_by_duck_typing(weighted):
    torch = pytest.importorskip("torch")
    f = forms(weighted)
    ei, ew = f["edge_index"]
    R = graphs.effective_resistance(torch.tensor(ei), edge_weight=torch.tensor(ew))
    assert math.isclose(R[0, 3], nx_resistance(weighted, 0, 3), rel_tol=1e-12)


def test_import_graphs_never_imports_torch():
    code = "import sys, graphs; graphs.path_count(9, 0, 3); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("bad, match", [
    (np.array([[0, 1, 2], [1, 2, 0]]), "edge_index is directed: edge \\(0, 1\\) has no reverse"),
    (np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]]), "adjacency matrix is not symmetric"),
    (sps.csr_array(np.array([[0, 1.0], [0, 0]])), "adjacency matrix is not symmetric"),
    (nx.DiGraph([(0, 1), (1, 0)]), "networkx DiGraph"),
])
@pytest.mark.parametrize("func", [graphs.effective_resistance, graphs.hitting_times,
                                  graphs.commute_times, graphs.balanced_forman_curvature,
                                  graphs.spectral_gap, graphs.kirchhoff_index])
def test_directed_input_refused_in_every_form(func, bad, match):
    with pytest.raises(graphs.NotImplementedForGraph, match=match):
        func(bad)


def test_asymmetric_edge_weights_make_an_edge_index_directed():
    ei = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
    with pytest.raises(ValueError, match="weight 1.0 but its reverse has 2.0"):
        graphs.effective_resistance(ei, edge_weight=np.array([1.0, 2.0, 1.0, 1.0]))


@pytest.mark.parametrize("G, match", [
    (nx.Graph([(0, 1, {"weight": 0.0}), (1, 2, {})]), "zero"),
    (nx.Graph([(0, 1, {"weight": -2.0})]), "negative"),
    (nx.Graph([(0, 1, {"weight": float("nan")})]), "not finite"),
    (nx.Graph([(0, 1, {"weight": "heavy"})]), "must be a real number"),
    (nx.Graph([(0, 1, {"weight": True})]), "must be a real number"),
    (np.array([[0, -1.0], [-1.0, 0]]), "negative"),
    (np.array([[0, np.inf], [np.inf, 0]]), "not finite"),
    (sps.csr_array(np.array([[0, np.nan], [np.nan, 0]])), "not finite"),
    (sps.csr_array(np.array([[0, -1.0], [-1.0, 0]])), "negative"),
    (sps.csr_array(([0.0, 0.0], ([0, 1], [1, 0])), shape=(2, 2)), "explicit zero"),
    ([(0, 1, -1.0)], "negative"),
])
def test_bad_weights_refused_on_every_path(G, match):
    with pytest.raises(ValueError, match=match):
        graphs.effective_resistance(G)


def test_edge_weight_must_match_and_be_positive():
    ei = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="edge_weight must have shape"):
        graphs.effective_resistance(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]), edge_weight=[1.0])
    with pytest.raises(ValueError, match="edge_weight"):
        graphs.as_graph_data(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]), edge_weight=[1, 1, 0, 1])
    with pytest.raises(ValueError, match="goes with an edge_index"):
        graphs.as_graph_data(nx.path_graph(2), edge_weight=[1.0])
    assert as_graph_data(ei, edge_weight=[2.0, 2.0]).adjacency[0, 1] == 2.0


def test_num_nodes_keeps_trailing_isolated_nodes_and_is_checked():
    ei = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
    assert graphs.as_graph(ei, num_nodes=5).number_of_nodes() == 5
    assert graphs.from_edge_index(ei, num_nodes=5).number_of_nodes() == 5
    with pytest.raises(ValueError, match="connected"):
        graphs.effective_resistance(ei, num_nodes=4)
    with pytest.raises(ValueError, match="num_nodes=2 is too small"):
        graphs.as_graph(ei, num_nodes=2)
    with pytest.raises(ValueError, match="num_nodes=4 but"):
        graphs.effective_resistance(nx.path_graph(3), num_nodes=4)


def test_node_order_follows_nodelist():
    G = nx.Graph([(2, 1), (1, 0), (0, 3)])  # list(G) == [2, 1, 0, 3]
    R = graphs.effective_resistance(G)
    assert R[0, 3] == pytest.approx(3.0)  # nodes 2 and 3 in list(G) order
    R = graphs.effective_resistance(G, nodelist=[0, 1, 2, 3])
    assert R[2, 3] == pytest.approx(3.0) and R[0, 3] == pytest.approx(1.0)
    J = graphs.jacobian_bound(G, 1, nodelist=[3, 2, 1, 0])
    assert J[0, 3] == pytest.approx(1 / math.sqrt(2 * 3))  # node 3 from node 0
    with pytest.raises(ValueError, match="every node of G exactly once"):
        graphs.effective_resistance(G, nodelist=[0, 1, 2])
    with pytest.raises(ValueError, match="not a node of G"):
        graphs.effective_resistance(G, nodelist=[0, 1, 2, 9])


def test_edge_lists_are_edges_and_nested_matrices_are_disambiguated():
    assert graphs.effective_resistance([(0, 1), (1, 2)])[0, 2] == pytest.approx(2.0)
    assert graphs.effective_resistance([("a", "b"), ("b", "c"), ("c", "d")],
                                       pairs=[("a", "d")])[0] == pytest.approx(3.0)
    # A nested list that is an edge list and a matrix at once, read two ways: refused.
    with pytest.raises(ValueError, match="reads differently"):
        graphs.as_graph_data([[0, 1], [0, 0]])
    # Readings that agree, or only one valid reading, are accepted.
    assert graphs.as_graph_data([[0, 1], [1, 0]]).n == 2
    assert graphs.as_graph_data([[0, 1, 1], [1, 0, 1], [1, 1, 0]]).n == 3
    assert graphs.as_graph_data([[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]]).n == 4
    with pytest.raises(ValueError, match="repeats the edge"):
        graphs.as_graph_data([(0, 1), (1, 0)])
    with pytest.raises(ValueError, match="expected \\(u, v\\)"):
        graphs.as_graph_data([(0, 1, 2, 3)])


def test_ambiguous_2x2_integer_array():
    with pytest.raises(ValueError, match="reads differently"):
        graphs.as_graph_data(np.array([[0, 1], [1, 2]]))
    assert graphs.as_graph_data(np.array([[0, 1], [1, 0]])).n == 2  # both readings agree
    assert graphs.as_graph_data(np.array([[0, 1], [1, 2]]), num_nodes=3).directed  # edge_index
    with pytest.raises(ValueError, match="transpose"):
        graphs.as_graph_data(np.array([[0, 1], [1, 2], [2, 0]]))


def test_multigraph_parallel_edges_are_parallel_conductances_or_refused():
    M = nx.MultiGraph([(0, 1), (0, 1), (1, 2)])
    assert graphs.effective_resistance(M)[0, 1] == pytest.approx(nx_resistance(M, 0, 1, None))
    with pytest.raises(graphs.NotImplementedForGraph, match="multigraph"):
        graphs.balanced_forman_curvature(M)
    with pytest.raises(ValueError, match="twice"):
        graphs.as_graph_data(np.array([[0, 0, 1, 1], [1, 1, 0, 0]]))


def test_self_loops_consistent_across_resistance_commute_hitting():
    G = nx.cycle_graph(5)
    G.add_edge(0, 0, weight=2.5)
    R = graphs.effective_resistance(G)
    assert np.allclose(R, graphs.effective_resistance(nx.cycle_graph(5)))
    H, C = graphs.hitting_times(G), graphs.commute_times(G)
    assert np.allclose(H + H.T, C)
    # Independent oracle for the walk with the loop: solve (I - P restricted) h = 1.
    A = nx.to_numpy_array(G)
    P = A / A.sum(axis=1, keepdims=True)
    keep = [1, 2, 3, 4]
    h = np.linalg.solve(np.eye(4) - P[np.ix_(keep, keep)], np.ones(4))
    assert np.allclose(H[keep, 0], h)
    with pytest.raises(graphs.NotImplementedForGraph, match="self-loop"):
        graphs.balanced_forman_curvature(G)


def test_decorator_types_and_composition():
    with pytest.raises(ValueError, match="graph types"):
        graphs.not_implemented_for("planar")
    with pytest.raises(ValueError, match="directed AND undirected"):
        graphs.not_implemented_for("directed", "undirected")

    @graphs.not_implemented_for("directed", "weighted")   # "and": both needed to refuse
    def n_nodes(G):
        return G.n

    assert n_nodes(nx.DiGraph([(0, 1)])) == 2
    with pytest.raises(graphs.NotImplementedForGraph, match="directed weighted"):
        n_nodes(nx.DiGraph([(0, 1, {"weight": 2.0})]))


def test_seed_convention():
    a = graphs.random_attention(6, 3)
    b = graphs.random_attention(6, np.random.default_rng(3))
    assert np.array_equal(a, b)
    for bad in (1.5, True, "3", np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be None, a non-negative integer"):
            graphs.random_attention(6, bad)
    with pytest.raises(ValueError, match="non-negative"):
        graphs.random_attention(6, -1)
