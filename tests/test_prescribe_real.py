"""The prescription on the two default models (real weights): the check, its negative control, fp16 overflow."""

import pytest

from verify.models.sources import models_available
from verify.registry import REGISTRY, Context, all_checks

HAVE, WHY = models_available()
pytestmark = [pytest.mark.models, pytest.mark.skipif(not HAVE, reason=WHY)]


@pytest.fixture(scope="module")
def quick_ctx(tmp_path_factory):
    all_checks()
    return Context(quick=True, out_dir=str(tmp_path_factory.mktemp("prescription")))


def test_the_check_passes_on_both_default_models(quick_ctx):
    res = REGISTRY["real.prescription"].run(quick_ctx).to_json()
    assert res["status"] == "pass", res["reason"]
    assert set(res["evidence"]["recommendations"]) == {"Gemma 3 270M", "SmolLM2-135M-Instruct"}
    assert res["figures"] == ["figures/real.prescription.pdf", "figures/real.prescription.png"]
    assert "theory and model agree" in res["evidence"]["agreement"]
    acc = res["evidence"]["accuracy"]
    assert acc["status"] == "computed" and acc["task"] == "count_ones" and acc["lengths"] == [8, 32, 128]
    settings = {(r["model"], r["dtype"], r["setting"]) for r in acc["rows"]}
    for model in ("Gemma 3 270M", "SmolLM2-135M-Instruct"):
        for dtype in ("fp32", "bf16"):
            assert {(model, dtype, "none"), (model, dtype, "comma every 3")} <= settings
    for r in acc["rows"]:
        assert r["truth"] == ["8", "32", "128"]
        # Scored from the parsed answer alone: right exactly when the answer is the count.
        assert r["correct"] == [a == t for a, t in zip(r["answers"], r["truth"])]
        assert all(a is None for a, bad in zip(r["answers"], r["unparsable"]) if bad)


def test_the_negative_control_fails_for_its_stated_reason(quick_ctx):
    """Both prompts read at their first digit: one state by causality, distance 0, margin 0 everywhere."""
    res = REGISTRY["real.prescription"].run(quick_ctx, pair="first").to_json()
    assert res["status"] == "fail"
    failed = [c["condition"] for c in res["evidence"]["conditions"] if not c["ok"]]
    assert any("decays with n" in c for c in failed)
    assert any("commas every third digit" in c for c in failed)
    assert not res["evidence"]["recommendations"]["Gemma 3 270M"][0][1].startswith("none (")  # nothing prescribed


def test_gemma_in_fp16_overflows_and_is_never_prescribed(tmp_path):
    """Gemma 3's activations exceed fp16's range: the states are not finite, so fp16 gets no setting."""
    from verify.prescribe import prescribe

    doc = prescribe(["gemma3-270m"], dtypes=["fp16"], max_length=16, separators=["none"], spacings=[1],
                    theory=False, store=str(tmp_path), scheduler="serial")
    cell = doc["models"][0]["cells"][0]["dtypes"]["fp16"]
    assert cell["status"] == "non-finite" and cell["nonfinite_from"] == 1 and cell["min_margin"] is None
    assert not doc["models"][0]["recommendation"]["fp16"]["meets"]
