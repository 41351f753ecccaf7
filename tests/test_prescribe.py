"""The glasses prescription: layout, tokenisation, margins, the recommendation, bad input (API and command)."""

import numpy as np
import pytest

from tests.models_fixtures import tiny_model_dir  # noqa: F401
from theory.precision import resolution_at_scale
from theory.prescription import distinguishability_margin, margin_reach, separated_positions
from verify.models.sources import models_available
from verify.prescribe.core import octave_profile, octave_slope, plan_prescription, recommend
from verify.prescribe.grid import SEPARATORS, TASKS, grid_settings, locate_digits, prompt_text, sequence_text

HAVE, WHY = models_available()
needs_models = pytest.mark.skipif(not HAVE, reason=WHY)


def test_text_layout_is_the_theory_layout():
    """Character by character, the text's separators sit where theory.prescription puts separator tokens."""
    for name, sep in SEPARATORS.items():
        for n in (1, 2, 7, 25):
            for k in ([None] if sep is None else [1, 2, 3, 8]):
                text = sequence_text(n, sep, k)
                mask, pos = separated_positions(n, k, sep_tokens=len(sep or "x"))
                assert [c != "1" for c in text] == mask.tolist(), (name, n, k)
                assert all(text[p] == "1" for p in pos)


def test_prefix_closed_prompts():
    for sep, k in ((None, None), (",", 3), (", ", 1)):
        for n in range(1, 20):
            assert prompt_text("count", n + 1, sep, k).startswith(prompt_text("count", n, sep, k))


@pytest.fixture(scope="module")
def smollm2_tokenizer():
    from tests.tiny_models import smollm2_tokenizer_dir
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_tokenizer_dir(), local_files_only=True)


@needs_models
def test_every_digit_and_separator_is_where_we_think(smollm2_tokenizer):
    tok = smollm2_tokenizer
    for name, sep, k in [(s, SEPARATORS[s], k) for s, k in grid_settings(list(SEPARATORS), [1, 3, 8])]:
        n = 40
        loc = locate_digits(tok, "count", n, sep, k)
        tokens = tok.convert_ids_to_tokens(loc["ids"])
        assert [tokens[p] for p in loc["positions"]] == ["1"] * n, name
        t = loc["tokenisation"]
        assert t["prefix_closed"] and t["digits_single_tokens"] and not t["merged"], name
        expected = len(t["separator_tokens"]) * ((n - 1) // k) if k else 0
        assert loc["overhead_tokens"] == expected
        # ", " is a comma and a space (two tokens); every other separator is one token here.
        assert len(t["separator_tokens"]) == {"none": 0, "comma-space": 2}.get(name, 1)


def _merging_tokenizer():
    """A real BPE tokenizer (built here, in memory) that merges two ones into one token."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set("".join(TASKS.values()) + "1,; |\n"))
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({"11": len(vocab), "<unk>": len(vocab) + 1})
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE(vocab=vocab, merges=[("1", "1")],
                                                                          unk_token="<unk>")))


def test_a_tokenizer_that_merges_digits_is_reported():
    """'11' as one token: n ones are not n tokens, and the prompt is not prefix-closed as tokens."""
    tok = _merging_tokenizer()
    plain = locate_digits(tok, "count", 7)["tokenisation"]
    assert not plain["prefix_closed"] and not plain["digits_single_tokens"]
    commas = locate_digits(tok, "count", 7, ",", 1)["tokenisation"]  # a comma after every digit splits the pairs
    assert commas["prefix_closed"] and commas["digits_single_tokens"]


def test_vectorised_resolution_is_resolution_at_scale():
    rng = np.random.default_rng(0)
    for dtype, top in (("fp32", 1e30), ("bf16", 1e30), ("fp16", 6e4)):
        scales = np.concatenate([10.0 ** rng.uniform(-9, np.log10(top), 400), [2.0 ** -14, 1.0, 2.0, 3.0]])
        prof, _ = distinguishability_margin(np.ones_like(scales), scales, dtype)
        assert np.array_equal(1 / prof, [resolution_at_scale(float(s), dtype) for s in scales])
    with pytest.raises(ValueError, match="largest finite"):
        distinguishability_margin([1.0], [1e6], "fp16")


def test_reach_profile_and_slope():
    assert margin_reach([3.0, 1.0, 0.99, 5.0]) == 2
    assert octave_profile([8.0, 1.0, 2.0, 4.0, 0.5, 9.0, 9.0]) == [[1, 8.0], [2, 1.0], [4, 0.5]]
    assert abs(octave_slope([1.0 / n for n in range(1, 1025)]) + 1) < 0.02
    assert abs(octave_slope([5.0] * 1024)) < 1e-12


def _cell(sep, k, tokens, status="ok", reach=100, worst=2.0):
    return {"separator": sep, "every": k, "overhead_tokens": tokens,
            "dtypes": {"bf16": {"status": status, "reach": reach, "min_margin": worst}}}


def test_recommendation_is_the_cheapest_setting_that_meets_the_bar():
    cells = [_cell("none", None, 0, reach=40, worst=0.5), _cell("comma", 1, 99), _cell("comma", 3, 33),
             _cell("comma-space", 3, 66, worst=50.0), _cell("space", 8, 12, reach=99, worst=0.9)]
    rec = recommend(cells, "bf16", 100)
    assert rec["meets"] and (rec["separator"], rec["every"], rec["overhead_tokens"]) == ("comma", 3, 33)
    # Nothing meets the bar: the furthest reach, fewest tokens among equals, flagged.
    rec = recommend(cells[:1] + cells[4:], "bf16", 100)
    assert not rec["meets"] and rec["every"] == 8
    # A cell whose states overflowed never qualifies.
    rec = recommend([_cell("none", None, 0, status="non-finite", reach=100, worst=None)], "bf16", 100)
    assert not rec["meets"]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"separators": ["#"]}, ValueError, "unknown separator"),
    ({"spacings": [0]}, ValueError, "spacing k"),
    ({"spacings": [1.5]}, TypeError, "spacing k"),
    ({"spacings": "3"}, TypeError, "spacings"),
    ({"task": "sum"}, ValueError, "unknown task"),
    ({"dtypes": "fp32"}, TypeError, "dtypes"),
    ({"dtypes": ["fp64"]}, ValueError, "unknown dtype"),
    ({"max_length": 1}, ValueError, "max_length"),
    ({"max_length": 64.0}, TypeError, "max_length"),
    ({"max_length": True}, TypeError, "max_length"),
    ({"pair": "last"}, ValueError, "pair"),
    ({"theory": "yes"}, TypeError, "theory"),
])
def test_bad_arguments_are_refused_before_any_model_is_read(kwargs, error, match):
    args = dict(models=["/nonexistent/model.gguf"], max_length=64)
    with pytest.raises(error, match=match):
        plan_prescription(**dict(args, **kwargs))


@needs_models
def test_n_beyond_the_context_names_the_largest_that_fits(tiny_model_dir):  # noqa: F811
    path = tiny_model_dir("llama")  # context 4096
    with pytest.raises(ValueError, match=r"beyond .* context .* largest N that fits is (\d+)"):
        plan_prescription([path], max_length=5000, separators=["none"], spacings=[1])
    # Settings that do not fit are marked, not run: comma every 1 doubles the prompt.
    plan = plan_prescription([path], max_length=3000, separators=["none", "comma"], spacings=[1, 8],
                             dtypes=["fp32"], theory=False)
    fits = {c: info["fits"] for c, info in plan.models[0]["cells"].items()}
    assert fits == {("none", None): True, ("comma", 1): False, ("comma", 8): True}
    assert len(plan.tasks) == 2


def test_a_bad_accuracy_choice_is_refused_before_any_pass():
    from verify.prescribe import prescribe

    with pytest.raises(ValueError, match="accuracy_cells must be one of"):
        prescribe(["/nonexistent/model.gguf"], max_length=64, accuracy_cells="most")
    with pytest.raises(ValueError, match="accuracy_at must be"):
        prescribe(["/nonexistent/model.gguf"], max_length=64, accuracy_at=[0])


@needs_models
def test_the_accuracy_column_runs_section3_tasks_on_the_key_settings(tiny_model_dir, tmp_path,  # noqa: F811
                                                                      monkeypatch):
    """The real task machinery on a tiny random model: rows for none and comma every 3, scored from the answers."""
    from verify.prescribe import prescribe
    from verify.prescribe.report import markdown
    from verify.tasks import task_accuracy

    monkeypatch.setenv("TNG_CACHE", str(tmp_path / "cache"))
    doc = prescribe([tiny_model_dir("llama")], max_length=16, separators=["none", "comma"], spacings=[3],
                    dtypes=["fp32"], theory=False, store=str(tmp_path / "store"), scheduler="serial",
                    accuracy=task_accuracy, accuracy_at=[4, 8])
    acc = doc["accuracy"]
    assert acc["status"] == "computed" and acc["task"] == "count_ones" and acc["lengths"] == [4, 8]
    assert {r["setting"] for r in acc["rows"]} >= {"none", "comma every 3"}
    for r in acc["rows"]:
        assert r["truth"] == ["4", "8"]
        assert r["correct"] == [a == t for a, t in zip(r["answers"], r["truth"])]
    assert "| model | dtype | setting | correct | n = 4 | n = 8 |" in markdown(doc)
    copy = prescribe([tiny_model_dir("llama")], task="copy", max_length=8, separators=["none"], dtypes=["fp32"],
                     theory=False, store=str(tmp_path / "store"), scheduler="serial", accuracy=task_accuracy)
    assert copy["accuracy"]["status"] == "absent" and "copies one digit" in copy["accuracy"]["why"]


BAD_COMMANDS = [
    ["--separator", "#"], ["--every", "0"], ["--every", "two"], ["--task", "sum"], ["--dtype", "fp64"],
    ["--max-length", "1"], ["--max-length", "1e3"], ["--workers", "0"], ["--timeout", "-1"], ["--bogus"],
    ["--model"], ["--accuracy", "most"], ["--accuracy-at", "0"],
]


@pytest.mark.parametrize("argv", BAD_COMMANDS)
def test_bad_command_lines_print_one_line_and_exit_2(argv, capsys, tmp_path):
    from verify.prescribe.__main__ import main

    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m verify.prescribe: error:")
    assert not (tmp_path / "out").exists()


def test_an_out_directory_of_something_else_is_refused(capsys, tmp_path):
    from verify.prescribe.__main__ import main

    (tmp_path / "mine.txt").write_text("keep me")
    assert main(["--out", str(tmp_path)]) == 2
    assert "not a prescription directory" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "keep me"
