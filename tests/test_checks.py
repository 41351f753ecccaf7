"""Every check passes on the paper's hypotheses and reports ``fail`` on its negative control."""

import json

import pytest

from verify.registry import REGISTRY, all_checks

all_checks()

NEGATIVE_CONTROLS = {
    "B.1": {"prefix": "decaying"},            # entries not uniformly bounded
    "B.2": {"setting": "alternating"},         # |x_i - x*_i| = 1 for all i (B.4)
    "fig9": {"k": 200, "eta": 0.1, "n_max": 400},  # too short a range to show the decay
    "B.4": {"pattern": "converging"},          # B.2's hypothesis holds instead
    "B.3": {"encoding": "alibi", "alibi": 1.0},  # positional bias that does not decay
    "fig8": {"encoding": "sinusoidal_input"},  # PE in the residual stream: no collapse
    "fig10": {"decaying": ("none", "alibi")},  # ALiBi's bias does not decay: no collapse
    "remedy": {"every": 0},                    # no separators at all
    "B.9": {"causal": True},                   # a causal mask carries position
    "B.10": {"dtypes": ("fp64",)},             # no finite-precision merge in fp64
    "B.5": {"sigma_claimed": 0.01},            # a Lipschitz constant below the MLP's true one
    "B.6": {"hypothesis": False},              # a row attending only to itself
    "B.7": {"triangular": False},              # full (non-causal) stochastic matrices
    "B.8": {"hypothesis": False},              # a token that only sees itself: no 1 e_1^T limit
    "gnn": {"window": 4},                      # sliding window too narrow for 6 layers to reach
    "C.5": {"encoding": "sinusoidal_input"},   # absolute positions in the residual stream: no collapse
    "C.6": {"width": 4096},                    # windows wider than the prompt are global layers
    "deps": {"reported": ()},                  # broken uses exist; nothing reports them
}


@pytest.mark.parametrize("cid", [c.id for c in all_checks() if c.group == "theory"])
def test_check_passes_and_is_json(cid, ctx):
    res = REGISTRY[cid].run(ctx)
    assert res.status == "pass", res.reason
    doc = res.to_json()
    json.dumps(doc)
    assert doc["evidence"] and doc["deciding"]
    for cond in doc["evidence"].get("conditions", []):
        assert cond["ok"]


@pytest.mark.parametrize("cid", sorted(NEGATIVE_CONTROLS))
def test_negative_control_fails(cid, ctx):
    res = REGISTRY[cid].run(ctx, **NEGATIVE_CONTROLS[cid])
    assert res.status == "fail"
    assert res.reason


def test_every_theory_check_has_a_negative_control():
    ids = {c.id for c in all_checks() if c.group == "theory"}
    assert ids <= set(NEGATIVE_CONTROLS)
