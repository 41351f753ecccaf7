"""graphs.bounds held against exact Jacobians of real message-passing updates."""

import networkx as nx
import numpy as np
import pytest

import graphs


def ahat(G):
    """D~^(-1/2) (A + I) D~^(-1/2), weighted, by hand (independent of graphs.bounds)."""
    A = nx.to_numpy_array(G, nodelist=range(G.number_of_nodes())) + np.eye(G.number_of_nodes())
    d = A.sum(axis=1)
    return A / np.sqrt(np.outer(d, d))


def topping_model_jacobian(Ah, x, L, a, b, c, d):
    """Exact d h^(L) / d x of h_i' = tanh(a h_i + b sum_j Ah_ij tanh(c h_i + d h_j)), by the chain rule."""
    n = len(x)
    h, J = x.copy(), np.eye(n)
    for _ in range(L):
        psi = np.tanh(c * h[:, None] + d * h[None, :])
        dpsi = Ah * (1 - psi ** 2)
        m = (Ah * psi).sum(axis=1)
        s = np.tanh(a * h + b * m)
        dm = c * dpsi.sum(axis=1)[:, None] * J + d * dpsi @ J
        J = (1 - s ** 2)[:, None] * (a * J + b * dm)
        h = s
    return J


def mpnn_forward(S, x, L, cr, ca, om, w_, p):
    h = x.copy()
    for _ in range(L):
        h = np.tanh(cr * om * h + ca * w_ * S @ np.tanh(p * h))
    return h


def test_topping_model_exact_jacobian_is_right_by_finite_differences():
    G = nx.cycle_graph(6)
    Ah, x = ahat(G), np.random.default_rng(0).normal(size=6) * 0.3
    J = topping_model_jacobian(Ah, x, 3, 0.9, 0.7, 0.5, 0.8)

    def forward(x0):
        h = x0.copy()
        for _ in range(3):
            h = np.tanh(0.9 * h + 0.7 * (Ah * np.tanh(0.5 * h[:, None] + 0.8 * h[None, :])).sum(axis=1))
        return h

    e = 1e-6
    fd = np.array([(forward(x + e * np.eye(6)[k]) - forward(x - e * np.eye(6)[k])) / (2 * e)
                   for k in range(6)]).T
    assert np.allclose(J, fd, atol=1e-8)


@pytest.mark.parametrize("G", [nx.path_graph(7), nx.cycle_graph(8), nx.balanced_tree(2, 3),
                               nx.barbell_graph(4, 2)])
def test_topping_bound_holds_everywhere_and_lemma_1_exactly_at_distance_L(G):
    a, b, c, d, L = 1.0, 0.8, 0.6, 0.9, 3
    alpha, beta = max(abs(a), abs(b)), max(abs(c), abs(d))
    Ah = ahat(G)
    dist = dict(nx.all_pairs_shortest_path_length(G))
    D = np.array([[dist[v].get(u, np.inf) for u in G] for v in G])
    bound = graphs.jacobian_bound(G, L, model="topping", alpha=alpha, beta=beta)
    lemma = (alpha * beta) ** L * np.linalg.matrix_power(Ah, L)
    assert np.allclose(bound[D == L], lemma[D == L])  # Lemma 1's own expression, at its distance
    rng = np.random.default_rng(1)
    for _ in range(5):
        J = np.abs(topping_model_jacobian(Ah, rng.normal(size=len(G)) * 0.2, L, a, b, c, d))
        assert np.all(J <= bound * (1 + 1e-12) + 1e-15)
        assert np.all(J[D == L] <= lemma[D == L] * (1 + 1e-12))
    # Negative control: at shorter distances Lemma 1's expression does not bound this model.
    J = np.abs(topping_model_jacobian(Ah, np.zeros(len(G)), L, a, b, c, d))
    assert (J[D < L] > lemma[D < L]).any()


def test_gcn_bound_holds_for_a_weighted_gcn_at_every_pair():
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 3.0), (1, 2, 0.5), (2, 3, 1.0), (3, 0, 2.0), (1, 3, 0.2)])
    Ah, w_, L = ahat(G), 1.7, 4
    rng = np.random.default_rng(2)
    bound = graphs.jacobian_bound(G, L, alpha=1.0, beta=w_)
    for _ in range(5):
        h, J = rng.normal(size=4), np.eye(4)
        for _ in range(L):
            z = w_ * Ah @ h
            J = (1 - np.tanh(z) ** 2)[:, None] * (w_ * Ah @ J)
            h = np.tanh(z)
        assert np.all(np.abs(J) <= bound * (1 + 1e-12))
    assert np.allclose(bound, w_ ** L * np.linalg.matrix_power(Ah, L))


@pytest.mark.parametrize("shift", ["raw", "sym", "rw"])
def test_mpnn_bound_holds_and_is_tight_for_the_linear_model(shift):
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 2.0), (1, 2, 1.0), (2, 3, 0.5), (3, 4, 1.0), (1, 4, 1.5)])
    A = nx.to_numpy_array(G, nodelist=range(5))
    d = A.sum(axis=1)
    S = {"raw": A, "sym": A / np.sqrt(np.outer(d, d)), "rw": A / d[:, None]}[shift]
    cr, ca, om, w_, p, L = 0.6, 0.9, 0.8, 1.1, 1.3, 3
    bound = graphs.jacobian_bound(G, L, model="mpnn", c_r=cr, c_a=ca, c_sigma=1.0,
                                  w=max(om, w_), p=p, shift=shift)
    x = np.random.default_rng(3).normal(size=5) * 0.5
    e = 1e-6
    fd = np.array([(mpnn_forward(S, x + e * np.eye(5)[k], L, cr, ca, om, w_, p)
                    - mpnn_forward(S, x - e * np.eye(5)[k], L, cr, ca, om, w_, p)) / (2 * e)
                   for k in range(5)]).T
    assert np.all(np.abs(fd) <= bound + 1e-7)
    # Linear, with every constant at its bound: the Jacobian is the bound itself.
    lin = np.linalg.matrix_power(cr * w_ * np.eye(5) + ca * w_ * p * S, L)
    assert np.allclose(graphs.jacobian_bound(G, L, model="mpnn", c_r=cr, c_a=ca, w=w_, p=p,
                                             shift=shift), lin)
    assert np.allclose(graphs.jacobian_bound(G, L, model="mpnn", c_r=cr, c_a=ca, w=w_, p=p,
                                             shift=S), lin)


def test_directed_messages_flow_along_edges_and_targets_give_rows():
    D = nx.DiGraph([(0, 1), (1, 2), (2, 3)])
    J = graphs.jacobian_bound(D, 3)
    assert J[3, 0] > 0 and J[0, 3] == 0
    G = nx.random_regular_graph(3, 40, seed=3)
    full = graphs.jacobian_bound(G, 5, model="topping", alpha=0.9, beta=0.7)
    rows = graphs.jacobian_bound(G, 5, model="topping", alpha=0.9, beta=0.7, targets=[7, 3])
    assert np.allclose(rows, full[[7, 3]])


def test_sensitivity_profile_aggregates_by_hop_like_total_influence():
    G = nx.balanced_tree(2, 3)
    L = 3
    J = graphs.jacobian_bound(G, L)
    dist = dict(nx.all_pairs_shortest_path_length(G))
    per_node = np.zeros((len(G), L + 1))
    for v in G:
        for u in G:
            if dist[v][u] <= L:
                per_node[v, dist[v][u]] += J[v, u]
    r = graphs.sensitivity_profile(G, L)
    assert np.allclose(r["per_node"], per_node)
    mean = per_node.mean(axis=0)
    assert np.allclose(r["per_hop"], mean / mean[0])
    R = np.mean((per_node @ np.arange(L + 1)) / per_node.sum(axis=1))
    assert np.isclose(r["receptive_field"], R)
    measured = graphs.sensitivity_profile(G, L, jacobian=J, normalize=False)
    assert np.allclose(measured["per_hop"], mean)
    sub = graphs.sensitivity_profile(G, L, num_samples=5, seed=0)
    assert np.allclose(sub["per_node"], per_node[sub["targets"]])


def test_bound_refusals():
    with pytest.raises(ValueError, match="already has one"):
        G = nx.path_graph(3)
        G.add_edge(1, 1)
        graphs.jacobian_bound(G, 2)
    with pytest.raises(ValueError, match="shift must be one of"):
        graphs.jacobian_bound(nx.path_graph(3), 2, model="mpnn", shift="lap")
    with pytest.raises(graphs.NotImplementedForGraph, match="multigraph"):
        graphs.jacobian_bound(nx.MultiGraph([(0, 1), (0, 1)]), 2)
    with pytest.raises(graphs.CostLimitError, match="max_memory"):
        graphs.jacobian_bound(nx.path_graph(2000), 2, max_memory=10**6)
