"""Section 3 tasks without a model: the prompts against the paper's text, the parser's categories, validation.

Everything here is pure text and arithmetic (no torch); the real-model plumbing is in
``tests/test_tasks_models.py``.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.statements import PROMPTS
from verify.tasks import prompts as P
from verify.tasks.parse import answer_complete, parse_answer
from verify.tasks.run import GRIDS, base_rates, plan_units, unit


def printed(key, seq):
    """The paper's printed prompt with its placeholder replaced (``seq`` as a word, or ``{seq}``)."""
    text = PROMPTS[key]["printed"]
    return text.replace("{seq}", seq) if "{seq}" in text else re.sub(r"\bseq\b", seq, text)


# --------------------------------------------------------------------------- prompts = the paper's text


@pytest.mark.parametrize("task,key,seq", [
    ("sum", "C.1/sum", "1 + 1 + 1 + 1"),
    ("count_ones", "C.1/count_ones", "1111"),
    ("copy_last", "C.1/copy_last", "11110"),
])
def test_answer_style_is_the_printed_prompt(task, key, seq):
    """C.1's typewriter blocks, character for character (their odd quotes, 'answer..', no space after ':')."""
    assert P.build_prompt(task, 4).user == printed(key, seq)


def test_word_prompt_is_the_printed_prompt_around_a_seeded_sentence():
    p = P.build_prompt("count_word", 12, seed=3)
    assert p.user == printed("C.1/count_word", p.sequence)
    assert p.truth == str(p.sequence.split().count("car")) and len(p.sequence.split()) == 12
    assert not any("car" in w for w in P.WORDS)  # a distractor never contains 'car'


def test_type1_and_type2_are_c5_templates():
    """C.5's quotation marks leave Type 1's extent ambiguous: the template (our reading, noted) is used."""
    assert P.build_prompt("copy_type1", 3).user == PROMPTS["C.5/type1"]["template"].format(seq="1110")
    assert P.build_prompt("copy_type2", 3).user == printed("C.5/type2", "1110").strip("\u201c\u201d")


def test_ours_are_marked_and_derived_from_the_paper():
    assert P.build_prompt("copy_first", 2).user == printed("C.1/copy_last", "011").replace(
        "the last digit", "the first digit")
    hint = P.build_prompt("copy_last_hint", 2).user
    assert hint == printed("C.1/copy_last", "110") + " " + PROMPTS["3.1/hint"]["printed"]
    assert "(ours" in P.TASKS["copy_first"].description and "ours" in P.STYLES["fewshot"][0]


def test_cot_styles_carry_the_printed_cot_text():
    block = PROMPTS["C.1/cot_examples"]["printed"]
    assert P.build_prompt("sum", 4, "cot_fewshot").user == printed("C.1/sum", "1 + 1 + 1 + 1") + "\n" + block
    cot = P.build_prompt("count_ones", 4, "cot").user
    assert cot.endswith("\nLet\u2019s think step by step, showing me your reasoning.") and block.startswith(cot[-52:])
    ours = P.build_prompt("count_word", 4, "cot_fewshot").user
    assert "groups of 5 words" in ours and ours.count(P.COUNT_FORMAT) == 3  # the question's line and two examples


def test_fewshot_examples_solve_their_own_prompts():
    for task in P.TASKS:
        user = P.build_prompt(task, 7, "fewshot").user
        shots = user.split("\n\n")[:-1]
        assert len(shots) == 3
        for shot in shots:
            question, answer_line = shot.rsplit("\n", 1)
            seq = P.TASKS[task].template.split("{seq}")
            body = question[len(seq[0]): len(question) - len(seq[1])]
            items = body.split(" + ") if task == "sum" else body.split() if task == "count_word" else list(body)
            want = P._truth(task, items)
            assert answer_line == P.answer_format(task) + want


def test_sequences_truths_and_pairs():
    a, b = P.build_pair("copy_last_01", 3)
    assert (a.sequence, b.sequence, a.truth, b.truth) == ("0101010", "0101011", "0", "1")
    a, b = P.build_pair("copy_first", 3)
    assert (a.sequence, b.sequence, a.truth, b.truth) == ("0111", "1111", "0", "1")
    a, b = P.build_pair("sum", 3)
    assert (a.sequence, b.sequence, b.truth) == ("1 + 1 + 1", "1 + 1 + 1 + 1", "4")
    a, b = P.build_pair("count_bernoulli", 50, seed=1)
    assert b.sequence == a.sequence + "1" and int(b.truth) == int(a.truth) + 1 and a.seed == 1
    assert P.build_pair("copy_last", 5, seed=9)[0].seed is None  # deterministic prompts carry no seed


def test_bernoulli_is_seeded_and_near_its_rate():
    seqs = [P.build_prompt("count_bernoulli", 400, seed=s).sequence for s in range(3)]
    assert len(set(seqs)) == 3 and seqs[0] == P.build_prompt("count_bernoulli", 400, seed=0).sequence
    assert abs(np.mean([s.count("1") / 400 for s in seqs]) - P.P_ONE) < 0.05


def test_separators_group_from_the_left():
    a, b = P.build_pair("count_ones", 7, separator=", ", every=3)
    assert (a.sequence, b.sequence) == ("111, 111, 1", "111, 111, 11")
    assert P.build_prompt("count_word", 4, seed=0, separator=";", every=2).sequence.count(";") == 1
    assert P.build_prompt("copy_last", 4, separator="|").sequence == "1|1|1|1|0"


@pytest.mark.parametrize("kwargs,needle", [
    ({"task": "count_zeros"}, "task must be one of"),
    ({"style": "cot"}, "style 'cot' applies to count tasks only"),
    ({"style": "COT"}, "style must be one of"),
    ({"n": 0}, "n must be an integer >= 1"),
    ({"n": 2.0}, "n must be an integer >= 1"),
    ({"n": True}, "n must be an integer >= 1"),
    ({"seed": -1}, "seed must be"),
    ({"separator": "1"}, "separator must be"),
    ({"separator": "car"}, "separator must be"),
    ({"separator": ""}, "separator must be"),
    ({"separator": ",", "every": 0}, "every must be"),
    ({"separator": ",", "every": 2.5}, "every must be"),
    ({"every": 3}, "every must be None"),
])
def test_bad_arguments_name_themselves(kwargs, needle):
    args = dict({"task": "copy_last", "n": 5}, **kwargs)
    with pytest.raises(ValueError, match=re.escape(needle)):
        P.build_pair(**args)


def test_no_separator_in_a_sum():
    with pytest.raises(ValueError, match="separator"):
        P.build_pair("sum", 5, separator=",", every=2)


# --------------------------------------------------------------------------- parser

F = P.COUNT_FORMAT


@pytest.mark.parametrize("text,truth,category,answer,reason", [
    (F + "12", "12", "correct", "12", ""),
    ("work...\n" + F + "13\n", "12", "wrong", "13", ""),
    (F + "1,024.", "1024", "correct", "1024", ""),
    (F + "**7**", "7", "correct", "7", ""),
    (F + "<7>", "7", "correct", "7", ""),
    (F + "<7", "7", "unparsable", None, "not a number: '<7'"),
    (F + "xxxx\u2019, where", "3", "unparsable", None, "not a number: 'xxxx\u2019, where'"),
    (F + "12abc", "12", "unparsable", None, "not a number: '12abc'"),
    ("The final answer to your maths question is 12.", "12", "unparsable", None, "format absent"),
    (F + "5\nmore\n" + F + "xxxx", "5", "unparsable", None, "not a number: 'xxxx'"),  # the final line decides
    ("", "0", "unparsable", None, "format absent"),
])
def test_parser_categories(text, truth, category, answer, reason):
    r = parse_answer(text, F, truth)
    assert (r.category, r.answer, r.reason) == (category, answer, reason)


def test_parser_cut_off_and_types():
    assert parse_answer("1111", F, "4", cut_off=True).reason == "format absent, cut off"
    with pytest.raises(TypeError, match="truth"):
        parse_answer(F + "4", F, 4)


@given(st.text(max_size=60), st.integers(0, 10**6))
@settings(max_examples=200, deadline=None)
def test_parser_never_calls_garbage_correct(noise, k):
    """Whatever precedes the answer line, the category is decided by the line alone; no exception."""
    r = parse_answer(noise + "\n" + F + str(k) + ".", F, str(k))
    assert r.category == "correct" or F.rstrip() in noise
    assert parse_answer(noise, F, "0").category in ("correct", "wrong", "unparsable")


def test_answer_complete_needs_a_character_after_the_number():
    assert not answer_complete(F + "12", F) and answer_complete(F + "12\n", F)
    assert not answer_complete(F + "1,", F) and not answer_complete("nothing", F)


# --------------------------------------------------------------------------- plans and base rates


class _Spec:
    key, sha256, label, name = "tiny", "0" * 64, "Tiny", "tiny"


def test_units_are_content_addressed():
    a = unit(_Spec, "fp32", "count_ones", "fewshot", 5)
    assert a.key() == unit(_Spec, "fp32", "count_ones", "fewshot", 5).key()
    assert a.key() != unit(_Spec, "bf16", "count_ones", "fewshot", 5).key()
    assert a.key() != unit(_Spec, "fp32", "count_ones", "fewshot", 5, max_new_tokens=9).key()
    # The seed names only sampled prompts: deterministic ones share their entries across seeds.
    assert a.key() == unit(_Spec, "fp32", "count_ones", "fewshot", 5, seed=4).key()
    assert unit(_Spec, "fp32", "count_word", "answer", 5).key() != unit(_Spec, "fp32", "count_word", "answer", 5,
                                                                        seed=4).key()


def test_plan_covers_each_grid_once_and_refuses_empty_selections():
    planned = plan_units([_Spec], ["fp32"], ["copy", "b10"])
    keys = [t.key() for _, t in planned]
    assert len(keys) == len(set(keys))
    g = GRIDS["copy"]
    b10 = GRIDS["b10"].lengths
    # copy_last few-shot units at the lengths both grids have are planned once.
    assert len(planned) == len(g.tasks) * 2 * len(g.lengths) + 2 * len(b10) - len(set(b10) & set(g.lengths))
    assert len(plan_units([_Spec], ["fp32"], ["count"], tasks=["sum"], styles=["cot"])) == len(GRIDS["count"].lengths)
    with pytest.raises(ValueError, match="nothing to run"):
        plan_units([_Spec], ["fp32"], ["copy"], styles=["cot"])
    with pytest.raises(ValueError, match="dtype"):
        plan_units([_Spec], ["fp8"], ["copy"])
    with pytest.raises(ValueError, match="lengths"):
        plan_units([_Spec], ["fp32"], ["copy"], lengths=[3.5])


def test_base_rates_read_the_truths():
    rates = dict(((p, m), v) for p, m, v in base_rates("count_bernoulli", [10, 20, 40], seed=0))
    assert rates[("best constant", "accuracy")] == pytest.approx(1 / 3)
    assert any("round(0.7 n)" in p for p, _ in rates)
    assert base_rates("copy_first", [5])[0][2] == 1.0


def test_certificate_is_hoelder():
    import torch

    from verify.tasks.engine import certificate

    rng = np.random.default_rng(0)
    for _ in range(200):
        w = torch.tensor(rng.normal(size=(5, 8)))
        ya = torch.tensor(rng.normal(size=8))
        yb = ya + torch.tensor(rng.normal(size=8)) * 10 ** rng.uniform(-4, 0)
        c = certificate(w, None, ya, yb, 1, 3)
        assert not (c["certified"] and c["separable"])  # the theorem: certified => not both right
    same = certificate(w, None, ya, ya, 1, 3)
    assert same["linf"] == 0 and same["certified"] == (abs(same["gap"][0]) > 0)  # B.10: identical states


# --------------------------------------------------------------------------- the command line

BAD_CLI = [
    (["--bogus"], "unrecognized arguments"),
    (["--lengths", "0"], "--lengths"),
    (["--lengths", "2.5"], "--lengths"),
    (["--lengths", "ten"], "--lengths"),
    (["--dtype", "fp8"], "--dtype"),
    (["--grid", "fig2"], "--grid"),
    (["--tasks", "count_zeros"], "--tasks"),
    (["--styles", "chain"], "--styles"),
    (["--seed", "-1"], "--seed"),
    (["--workers", "0"], "--workers"),
    (["--every", "0"], "--every"),
    (["--model", "/nonexistent/model.gguf"], "does not exist"),
    (["--model", "smollm2-135m", "--separator", "1", "--every", "2"], "separator must be"),
    (["--model", "smollm2-135m", "--every", "3"], "every must be None"),
    (["--model", "smollm2-135m", "--grid", "copy", "--styles", "cot"], "nothing to run"),
    (["--model", "smollm2-135m", "--grid", "count", "--tasks", "sum", "--separator", ",", "--every", "2"],
     "separator"),
]


@pytest.mark.parametrize("args,needle", BAD_CLI)
def test_bad_command_lines_are_one_line_and_exit_2(args, needle, capsys, tmp_path):
    from verify.models.sources import models_available
    from verify.tasks.__main__ import main

    if "--model" in args and not models_available()[0]:
        pytest.skip("needs the models extra to resolve a model")
    code = main(args + ["--out", str(tmp_path / "out"), "--store", str(tmp_path / "store")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "out").exists() and not (tmp_path / "store").exists()  # nothing written


def test_a_scheduler_that_does_not_answer_is_one_line(capsys, tmp_path):
    """An address where no Dask scheduler listens: a clear error within the timeout, no store entry."""
    from verify.models.sources import models_available
    from verify.tasks.__main__ import main

    if not models_available()[0]:
        pytest.skip("needs the models extra to resolve a model")
    code = main(["--model", "smollm2-135m", "--grid", "b10", "--tasks", "copy_last", "--lengths", "3",
                 "--dtype", "fp32", "--scheduler", "tcp://127.0.0.1:9", "--store", str(tmp_path / "store"),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no Dask scheduler answered" in err[0], err
    assert not (tmp_path / "out").exists()


def test_list_names_every_task_and_style(capsys):
    from verify.tasks.__main__ import main

    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(t in out for t in P.TASKS) and all(s in out for s in P.STYLES)


def test_quick_subsets_do_not_depend_on_the_seed():
    """The checks' subsets hold deterministic prompts only: their units (and verdicts) are the same for every seed."""
    from verify.checks.tasks import B10_GRID, B10_GRID_QUICK, TASKS_GRID, TASKS_GRID_QUICK

    def keys(seed):
        out = set()
        for grid in (TASKS_GRID_QUICK, TASKS_GRID, B10_GRID_QUICK, B10_GRID):
            for tasks, styles, lengths, dtypes in grid:
                planned = plan_units([_Spec], dtypes, ["copy", "count", "b10"], tasks, styles, lengths, seed)
                out |= {t.key() for _, t in planned}
        return out

    base = keys(0)
    assert all(keys(seed) == base for seed in range(1, 20))


def test_check_subsets_are_inside_the_full_sweep():
    """A full sweep leaves the checks warm: every unit they run is one of the sweep's."""
    from verify.checks.tasks import B10_GRID, TASKS_GRID

    full = {t.key() for _, t in plan_units([_Spec], ["fp32", "bf16"])}
    for tasks, styles, lengths, dtypes in TASKS_GRID + B10_GRID:
        part = plan_units([_Spec], dtypes, ["copy", "count", "b10"], tasks, styles, lengths)
        assert {t.key() for _, t in part} <= full


# --------------------------------------------------------------------------- docstrings

TASK_MODULES = ["verify.tasks.prompts", "verify.tasks.parse", "verify.tasks.engine", "verify.tasks.run",
                "verify.tasks.analysis", "verify.tasks.figures", "verify.tasks.report"]


def _public():
    import importlib
    import inspect

    for mod in TASK_MODULES:
        m = importlib.import_module(mod)
        for name in m.__all__:
            obj = getattr(m, name)
            if inspect.isfunction(obj) or inspect.isclass(obj) or hasattr(obj, "cache_info"):
                yield f"{mod}.{name}", obj


@pytest.mark.parametrize("name,obj", list(_public()), ids=lambda v: v if isinstance(v, str) else "")
def test_numpy_docstring_sections(name, obj):
    """Parameters, Returns (not for classes), Raises, References with a page, and a doctest, as in theory."""
    import inspect

    doc = inspect.getdoc(obj) or ""
    sections = set(re.findall(r"^\s*(\w[\w ]*)\n\s*-{3,}\s*$", doc, flags=re.M))
    want = {"Raises", "References", "Examples"} | (set() if inspect.isclass(obj) else {"Returns"})
    if not inspect.isclass(obj) and inspect.signature(obj).parameters:
        want.add("Parameters")
    assert not want - sections, f"{name}: missing {sorted(want - sections)}"
    assert re.search(r"pp?\. \d", doc.split("References")[1]), f"{name}: References cite no page"
    assert ">>>" in doc.split("Examples")[1], f"{name}: Examples has no doctest"


# --------------------------------------------------------------------------- bad input, property-based

_GOOD = {"task": "count_word", "n": 5, "style": "fewshot", "seed": 0, "separator": ",", "every": 2}
_BAD = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.integers(-5, 0), st.text(max_size=5),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


@given(st.sampled_from(sorted(_GOOD)), _BAD)
@settings(max_examples=300, deadline=None)
def test_build_pair_takes_valid_arguments_or_names_the_bad_one(arg, value):
    """One corrupted argument at a time: a valid pair, or a ValueError naming that argument (issue 14)."""
    kwargs = dict(_GOOD, **{arg: value})
    try:
        a, b = P.build_pair(**kwargs)
    except ValueError as exc:
        assert arg in str(exc), (arg, value, str(exc))
        return
    # Accepted: only values that are valid for the argument.
    assert int(b.truth) == int(a.truth) + 1 and a.user != b.user


def test_unwritable_store_is_named_before_any_work(tmp_path):
    from verify.tasks.run import run_units

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="store"):
        run_units([(_Spec, unit(_Spec, "fp32", "copy_last", "fewshot", 3))], store=str(blocker / "sub"))
    with pytest.raises(ValueError, match="scheduler"):
        run_units([(_Spec, unit(_Spec, "fp32", "copy_last", "fewshot", 3))], store=str(tmp_path), scheduler=2)
