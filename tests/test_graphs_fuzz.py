"""Property tests: every public function of graphs, fed arbitrary bad arguments, either refuses
with a ValueError/TypeError that names the argument, or returns a result that satisfies the
function's own invariants. Never another exception, never a hang (each call runs under an
alarm; hypothesis also keeps a deadline).
"""

import math
import signal

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import HealthCheck, given, settings, strategies as st

import graphs
from graphs import causal as Cz

A3 = Cz.uniform_attention(Cz.causal_mask(3))
A4 = Cz.random_attention(4, 0)
P5 = nx.path_graph(5)
EI = np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])


def finite(x):
    """The invariant every numeric result shares: no NaN or infinity anywhere."""
    if isinstance(x, dict):
        return all(finite(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return all(finite(v) for v in x)
    if sps.issparse(x):
        return bool(np.isfinite(x.data).all())
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return bool(np.isfinite(x).all())
    if isinstance(x, float):
        return math.isfinite(x)
    return True


def stochastic(x):
    return finite(x) and np.allclose(np.asarray(x).sum(axis=-1), 1.0) and (np.asarray(x) >= 0).all()


def nonneg(x):
    if isinstance(x, dict):
        return all(nonneg(v) for v in x.values())
    return finite(x) and (np.asarray(x) >= -1e-12).all()


def symmetric_nonneg(x):
    return nonneg(x) and np.allclose(x, np.asarray(x).T)


def digraph(x):
    return isinstance(x, nx.DiGraph) or isinstance(x, list)


# name -> (function, valid keyword arguments, invariant of a returned result)
CASES = {
    "causal_graph": (graphs.causal_graph, dict(attn=A4, atol=1e-5, heads=None, batch=None), digraph),
    "attention_matrix": (graphs.attention_matrix, dict(G=graphs.causal_graph(A4), n=None), stochastic),
    "causal_mask": (graphs.causal_mask, dict(n=4), lambda m: m.dtype == bool),
    "sliding_window_mask": (graphs.sliding_window_mask, dict(n=4, window=2), lambda m: m.dtype == bool),
    "layer_masks": (graphs.layer_masks, dict(n=4, num_layers=2, windows=None), lambda m: len(m) >= 1),
    "uniform_attention": (graphs.uniform_attention, dict(mask=Cz.causal_mask(3)), stochastic),
    "masked_softmax": (graphs.masked_softmax, dict(logits=np.zeros((3, 3)), mask=None, axis=-1), stochastic),
    "random_attention": (graphs.random_attention, dict(n=4, rng=0, mask=None, temperature=1.0), stochastic),
    "residual_attention": (graphs.residual_attention, dict(attn=A4, atol=1e-5), stochastic),
    "abar": (graphs.abar, dict(attended=np.ones(2), identity=np.ones(2), beta1=1.0, beta2=1.0,
                                normalisation="proof"), finite),
    "normalised_layers": (graphs.normalised_layers, dict(attns=[A4], beta1=1.0, beta2=1.0,
                                                         normalisation="proof"), finite),
    "unrolled_graph": (graphs.unrolled_graph, dict(attns=[A4, A4], beta1=1.0, residual=True), digraph),
    "path_count": (graphs.path_count, dict(n=5, i=0, num_layers=2, window=None, masks=None,
                                           max_seconds=1.0), lambda c: isinstance(c, int) and c >= 0),
    "path_count_closed_form": (graphs.path_count_closed_form, dict(n=5, i=1, num_layers=3,
                                                                   max_seconds=1.0), lambda c: c >= 0),
    "path_count_dp": (graphs.path_count_dp, dict(n=3, i=0, masks=[Cz.causal_mask(4)],
                                                 max_seconds=1.0), lambda c: c >= 0),
    "path_count_windows": (graphs.path_count_windows, dict(n=5, i=0, windows=[2, None],
                                                           max_seconds=1.0), lambda c: c >= 0),
    "path_count_symbolic_proof": (graphs.path_count_symbolic_proof, dict(max_layers=2),
                                  lambda r: r["base"]),
    "sensitivity_constant": (graphs.sensitivity_constant, dict(num_layers=2, beta2=1.0, beta3=1.0,
                                                               sigma_psi=1.0), lambda c: c > 0),
    "last_token_sensitivity": (graphs.last_token_sensitivity, dict(attns=[A4, A4], beta1=1.0,
                                                                   sigma_psi=1.0, target=-1), nonneg),
    "rollout": (graphs.rollout, dict(attns=[A4, A4], residual=True), stochastic),
    "eq4_as_printed": (graphs.eq4_as_printed, dict(attns=[A3] * 3, i=0, n=None, beta1=1.0), nonneg),
    "flow_network": (graphs.flow_network, dict(attns=[A4]), finite),
    "attention_flow": (graphs.attention_flow, dict(attns=[A4, A4], target=-1, scale=1000,
                                                   normalize=False), lambda r: nonneg(r["flow"])),
    "attention_flow_networkx": (graphs.attention_flow_networkx, dict(attns=[A4], target=-1), nonneg),
    "eigen_summary": (graphs.eigen_summary, dict(attn=A4, tol=1e-9), lambda r: r["largest"] <= 1 + 1e-5),
    "lemma_b6_symbolic": (graphs.lemma_b6_symbolic, dict(n=2, max_seconds=1.0), lambda r: r["constant_eigenvector"]),
    "lemma_b7_symbolic": (graphs.lemma_b7_symbolic, dict(n=2, max_seconds=1.0), lambda r: r["row_sums_one"]),
    "lazy_walk": (graphs.lazy_walk, dict(attn=A4), stochastic),
    "spectral_limit": (graphs.spectral_limit, dict(attn=A4, eps=1e-3, max_layers=10**4),
                       lambda r: r["error_at_layers"] < 1),
    "layers_to_eps": (graphs.layers_to_eps, dict(attn=A4, eps=1e-3), lambda k: k >= 0),
    "attention_layers": (graphs.attention_layers, dict(attns=[A4], name="attns", heads=None,
                                                       batch=None, single=False), finite),
    "as_graph_data": (graphs.as_graph_data, dict(G=EI, name="G", weight="weight", num_nodes=None,
                                                 edge_weight=None), lambda g: g.n >= 0),
    "as_graph": (graphs.as_graph, dict(obj=P5, name="G", weight="weight", num_nodes=None),
                 lambda H: isinstance(H, nx.Graph)),
    "from_edge_index": (graphs.from_edge_index, dict(edge_index=EI, num_nodes=None, directed=False,
                                                     edge_weight=None), lambda H: isinstance(H, nx.Graph)),
    "jacobian_bound": (graphs.jacobian_bound, dict(G=P5, num_layers=2, model="gcn", alpha=1.0,
                                                   beta=1.0, shift="raw", nodelist=None, targets=None,
                                                   max_memory=2**20, max_seconds=1.0), nonneg),
    "message_passing_matrix": (graphs.message_passing_matrix, dict(G=P5, model="mpnn", c_r=1.0,
                                                                   shift="sym"), finite),
    "sensitivity_profile": (graphs.sensitivity_profile, dict(G=P5, num_layers=2, model="gcn",
                                                             max_hops=None, num_samples=None, seed=0,
                                                             normalize=True), lambda r: nonneg(r["per_hop"])),
    "effective_resistance": (graphs.effective_resistance, dict(G=P5, weight="weight", pairs=None,
                                                               nodelist=None, method="auto",
                                                               max_memory=2**20, eps=0.3, delta=0.1,
                                                               seed=0), nonneg),
    "kirchhoff_index": (graphs.kirchhoff_index, dict(G=P5, weight="weight", method="auto"), nonneg),
    "commute_times": (graphs.commute_times, dict(G=P5, nodelist=None, max_memory=2**20), symmetric_nonneg),
    "hitting_times": (graphs.hitting_times, dict(G=P5, nodelist=None, max_memory=2**20), nonneg),
    "balanced_forman_curvature": (graphs.balanced_forman_curvature, dict(G=P5, edges=None), finite),
    "augmented_forman_curvature": (graphs.augmented_forman_curvature, dict(G=P5, edges=None, cycles=4), finite),
    "ollivier_ricci_curvature": (graphs.ollivier_ricci_curvature, dict(G=P5, edges=None, alpha=0.5), finite),
    "spectral_gap": (graphs.spectral_gap, dict(G=P5, weight="weight", tol=1e-10),
                     lambda g: 0 <= g <= 2),
    "cheeger_bounds": (graphs.cheeger_bounds, dict(G=P5, weight="weight"), lambda b: b[0] <= b[1]),
    "cheeger_constant": (graphs.cheeger_constant, dict(G=P5, max_nodes=20), nonneg),
    "sdrf": (graphs.sdrf, dict(G=P5, max_iterations=2, tau=1.0, removal_bound=0.5,
                               remove_edges=True, seed=0, max_seconds=1.0),
             lambda r: isinstance(r["graph"], nx.Graph)),
    "fosr": (graphs.fosr, dict(G=P5, num_iterations=2, initial_power_iters=5, seed=0, max_seconds=1.0),
             lambda r: len(r["added"]) >= 0),
    "greedy_resistance_rewiring": (graphs.greedy_resistance_rewiring,
                                   dict(G=P5, num_edges=1, new_weight=1.0, max_memory=2**20,
                                        max_seconds=1.0),
                                   lambda r: all(b < a for a, b in zip(r["total_resistance"],
                                                                       r["total_resistance"][1:]))),
    "compare_decay": (graphs.compare_decay, dict(n=6, num_layers=2, attn=None, max_memory=2**20,
                                                 max_seconds=1.0), finite),
}

# The validators and the seed helper: only their value arguments are fuzzed (``name`` is the
# caller's label for the message, not user input).
V = graphs.validate
VALIDATORS = {
    "check_positive_int": (V.check_positive_int, dict(value=3, name="n", minimum=1), lambda v: v >= 1),
    "check_positive_real": (V.check_positive_real, dict(value=0.5, name="x"), lambda v: v > 0),
    "check_real": (V.check_real, dict(value=0.5, name="x", low=0, high=1), lambda v: 0 <= v <= 1),
    "check_bool": (V.check_bool, dict(value=True, name="flag"), lambda v: isinstance(v, bool)),
    "check_index": (V.check_index, dict(value=-1, name="target", size=4), lambda v: 0 <= v < 4),
    "check_choice": (V.check_choice, dict(value="a", name="opt", choices=("a", "b")),
                     lambda v: v in ("a", "b")),
    "check_atol": (V.check_atol, dict(value=1e-5), lambda v: 0 <= v <= 0.1),
    "check_finite_array": (V.check_finite_array, dict(values=[1.0], name="x"), finite),
    "as_dense_array": (V.as_dense_array, dict(matrix=np.eye(2), name="M"), finite),
    "check_attention_matrix": (V.check_attention_matrix, dict(matrix=A4, name="attn", atol=1e-5), stochastic),
    "check_attention_layers": (V.check_attention_layers, dict(attns=[A4], name="attns", atol=1e-5),
                               lambda ls: all(stochastic(a) for a in ls)),
    "create_rng": (graphs.decorators.create_rng, dict(seed=0, name="seed"),
                   lambda r: isinstance(r, np.random.Generator)),
}
FUZZED = {"check_positive_int": ["value"], "check_positive_real": ["value"], "check_real": ["value"],
          "check_bool": ["value"], "check_index": ["value"], "check_choice": ["value"],
          "check_finite_array": ["values"], "as_dense_array": ["matrix"],
          "check_attention_matrix": ["matrix", "atol"], "check_attention_layers": ["attns", "atol"],
          "create_rng": ["seed"]}
CASES.update(VALIDATORS)

# Words that may name an argument in an error about it (the graph's errors speak of its form).
ALIASES = {
    "G": ("G", "edge", "adjacency", "graph", "node", "weight", "directed", "self-loop", "multigraph",
          "connected", "nested list", "obj"),
    "obj": ("G", "edge", "adjacency", "graph", "node", "weight"),
    "attn": ("attn", "heads"), "attns": ("attns", "heads", "layer"),
    "attended": ("attended", "operand", "broadcast", "could not be"),
    "identity": ("identity", "operand", "broadcast", "could not be"),
    "masks": ("mask",), "windows": ("window",), "mask": ("mask",), "logits": ("logits", "mask"),
    "edges": ("edges",), "pairs": ("pairs",), "nodelist": ("nodelist", "node"),
    "targets": ("targets", "node"), "edge_index": ("edge_index",), "n": ("n", "token", "shape"),
    "num_nodes": ("num_nodes",), "edge_weight": ("edge_weight", "weight"),
    "seed": ("seed",), "rng": ("rng",), "value": ("n ", "x ", "flag", "target", "opt", "atol", "value"),
    "values": ("x ", "x has", "x must"), "matrix": ("M ", "M must", "M has", "attn"), "max_layers": ("max_layers", "eps"),
    "eps": ("eps",), "i": ("i must", "i ", "token"), "target": ("target",),
}

BAD = st.sampled_from([
    None, True, False, 0, -1, 1, 3, 2**31, 10**12, -10**12, 0.5, -0.5, 2.0, float("nan"),
    float("inf"), -float("inf"), 1e300, "", "x", "mean", "edges", [], [0], [[1.0]], [(0, 1)],
    np.array([]), np.array([[np.nan]]), np.eye(2), np.int64(2), np.float64(2.0), object(), {},
    complex(1, 1), np.ones((2, 3)), (1, 2), nx.DiGraph([(0, 1)]), [None],
])

ACCEPTED = (ValueError, TypeError)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 15)), deadline=3000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=not __import__("os").environ.get("FUZZ_RANDOM"))
@given(data=st.data())
def test_bad_arguments_are_refused_by_name_or_give_valid_results(name, data):
    func, valid, invariant = CASES[name]
    arg = data.draw(st.sampled_from(sorted(FUZZED.get(name, valid))), label="argument")
    value = data.draw(BAD, label="value")
    kwargs = dict(valid, **{arg: value})
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        out = func(**kwargs)
    except ACCEPTED as exc:
        words = ALIASES.get(arg, ()) + (arg,)
        msg = str(exc)
        assert any(w in msg for w in words), f"{name}({arg}={value!r}): {type(exc).__name__}: {msg}"
        return
    except Hang:
        pytest.fail(f"{name}({arg}={value!r}) ran for more than 10 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert invariant(out), f"{name}({arg}={value!r}) returned {out!r}"
