"""Section 3's copying and counting tasks, and Corollary B.10, on real models (ids ``real.tasks``, ``real.B10``).

Both checks run a small subset of the task sweep (``python -m verify.tasks`` runs the
whole of it) through the content-addressed task store: the first run generates (cold),
later runs read the store and load no model (warm). Their conditions are about the
theory, not about how well a small model counts:

- ``real.tasks``: the copy-last accuracy does not rise with n (Figure 2 (a); the repeated
  ones can only hide the last token better); every stored answer re-parses to its
  category (unparsable answers are never scored). Negative control ``perturb=True``:
  the answers below the median length are replaced by a wrong one and those above by
  the right one, so the accuracy rises from 0 to 1 by construction.
- ``real.B10``: at the distinguishing position (the answer line and the digits the two
  correct answers share), bitwise-identical final states give identical next-token
  distributions and greedy tokens, so one member of the pair is wrong (Corollary
  B.10's step); and every pair whose states are too close for the readout to separate
  the two answers (the certificate of :func:`verify.tasks.engine.certificate`) has a
  wrong member. Negative control ``state="shared-prefix"``: the states are read at the
  last token the two prompts share, identical by causality, while the distributions
  compared are still those at the distinguishing position; where those differ (fp32 at
  small n: always) the implication fails.

Real-model figures in results.json are rounded to 4 significant digits, as in
:mod:`verify.checks.real_model`.
"""

import numpy as np

from verify.checks.real_model import REAL_DIGITS, _resolve
from verify.io import clean
from verify.registry import Conditions, Findings, register
from verify.tasks.analysis import b10_sentences, b10_summary, witnesses

__all__ = ["TASKS_GRID", "B10_GRID", "TASKS_GRID_QUICK", "B10_GRID_QUICK"]

#: The subsets of the sweep the checks run (each a subset of verify.tasks.run.GRIDS, so
#: a full sweep makes them warm): (tasks, styles, lengths, dtypes) per part.
TASKS_GRID_QUICK = ((("copy_last", "copy_first", "count_ones"), ("answer",), (5, 20, 100), ("fp32",)),
                    (("copy_last", "copy_first", "count_ones"), ("fewshot",), (5, 20, 100), ("fp32", "bf16")))
TASKS_GRID = ((("copy_last", "copy_first"), ("answer",), (5, 20, 100, 300), ("fp32",)),
              (("copy_last", "copy_first"), ("fewshot",), (5, 20, 100, 300), ("fp32", "bf16")),
              (("count_ones",), ("answer",), (5, 20, 100, 200), ("fp32",)),
              (("count_ones",), ("fewshot",), (5, 20, 100, 200), ("fp32", "bf16")))
B10_GRID_QUICK = ((("count_ones", "copy_last"), ("fewshot",), (2, 5, 10, 20, 50, 100, 200), ("fp32", "bf16")),)
B10_GRID = ((("count_ones", "copy_last"), ("fewshot",), (2, 5, 10, 20, 50, 100, 200, 500), ("fp32", "bf16")),)


def _r(value):
    return clean(value, digits=REAL_DIGITS)


def _rows(ctx, grid):
    """Run (or read back) ``grid`` for every model of ``ctx``; returns (rows, specs, unavailable) or a skip."""
    from verify.models.sources import models_available
    from verify.tasks.run import plan_units, run_units

    ok, why = models_available()
    if not ok:
        return Findings(skip=why)
    specs, unavailable = _resolve(tuple(ctx.models))
    if not specs:
        return Findings(skip="no real model is available: " + "; ".join(unavailable.values()))
    planned = []
    for tasks, styles, lengths, dtypes in grid:
        planned += plan_units(specs, dtypes, grids=("copy", "count", "b10"), tasks=tasks, styles=styles,
                              lengths=lengths, seed=ctx.seed)
    seen, unique = set(), []
    for spec, t in planned:  # the parts may overlap; each unit once
        if t.key() not in seen:
            seen.add(t.key())
            unique.append((spec, t))
    return run_units(unique, scheduler="serial"), specs, unavailable


def _models_note(specs, unavailable):
    note = {"models": {s.label: {"name": s.name, "weights_sha256": s.sha256} for s in specs}}
    if unavailable:
        note["unavailable"] = unavailable
    return note


# --------------------------------------------------------------------------- real.tasks


def _halves(rows):
    """Mean accuracy over the lower and the upper half of the lengths (the middle length in neither)."""
    n = len(rows)
    lo, hi = rows[: n // 2], rows[(n + 1) // 2:]
    acc = [np.mean([r["generation"]["category"] == "correct" for r in part]) for part in (lo, hi)]
    return float(acc[0]), float(acc[1])


def _perturbed(rows):
    """Negative control: wrong answers below the median length, right ones above it (accuracy rises 0 -> 1)."""
    out = []
    for k, r in enumerate(rows):
        category = "wrong" if k < len(rows) // 2 else "correct"
        out.append(dict(r, generation=dict(r["generation"], category=category)))
    return out


def _reparse_errors(rows):
    """Stored answers whose category differs from a fresh parse of their text (a damaged or mixed store)."""
    from verify.tasks.parse import parse_answer

    bad = []
    for r in rows:
        g = r["generation"]
        prefix = r["answer_format"] if r["style"] == "fewshot" else ""
        fresh = parse_answer(prefix + g["text"], r["answer_format"], r["truth"], cut_off=g["stop"] == "length")
        if (fresh.category, fresh.answer) != (g["category"], g["answer"]):
            bad.append(f"{r['model']} {r['dtype']} {r['task']} {r['style']} n={r['n']}")
    return bad


def _with_format(rows):
    from verify.tasks.prompts import answer_format

    return [dict(r, answer_format=answer_format(r["task"])) for r in rows]


@register("real.tasks", ["Figure 2", "Figure 3", "Figure 4", "fig11", "C.5"],
          "Section 3 copying and counting on real models (a quick subset of the task sweep)",
          statement="Section 3 (pp. 4-6) and Appendix C.1 (p. 20): copying the last element of '1...10' and the "
                    "first of '01...1', and counting the ones in '1...1', with the paper's prompts as printed "
                    "(answer only) and in a few-shot completion format (ours); greedy decoding, answers parsed "
                    "from the exact answer line, unparsable answers counted apart. The whole sweep (every task, "
                    "style and figure of Section 3, C.2 and C.5) is `python -m verify.tasks`.",
          group="real-model", cost=6)
def check_tasks(ctx, perturb=False):
    """Section 3 on every model: accuracy against n, answers re-parsed, base rates beside them.

    Negative control: ``perturb=True`` replaces the copy-last answers below the median
    length by wrong ones and above it by right ones: the accuracy then rises with n by
    construction and the condition must fail.
    """
    from verify.tasks.report import paper_comparison
    from verify.tasks.run import base_rates, combos, select

    out = _rows(ctx, TASKS_GRID_QUICK if ctx.quick else TASKS_GRID)
    if isinstance(out, Findings):
        return out
    rows, specs, unavailable = out
    rows = _with_format(rows)
    trends = {}
    for model, dtype, task, style in combos(rows):
        if task == "copy_last":
            sel = select(rows, model=model, dtype=dtype, task=task, style=style)
            trends[(model, dtype, style)] = _halves(_perturbed(sel) if perturb else sel)
    table = [[r["model"], r["dtype"], r["task"], r["style"], r["n"], r["truth"], r["generation"]["answer"],
              r["generation"]["category"], r["answer_position"]["a"]["p_first"],
              r["answer_position"]["a"]["rank_first"]] for r in rows]
    lengths = sorted({r["n"] for r in rows})
    evidence = dict(_models_note(specs, unavailable), perturb=perturb, seed=ctx.seed,
                    base_rates={t: base_rates(t, lengths, ctx.seed) for t in ("copy_last", "count_ones")},
                    paper_comparison=paper_comparison(rows, [s.label for s in specs]),
                    reasons={f"{r['model']} {r['dtype']} {r['task']} {r['style']} n={r['n']}": r["generation"]["reason"]
                             for r in rows if r["generation"]["category"] == "unparsable"})
    return Findings(numeric={"columns": ["model", "dtype", "task", "style", "n", "truth", "answer", "category",
                                         "P(first digit)", "rank"],
                             "rows": _r(table), "precision": "greedy decoding; probabilities at the answer line"},
                    evidence=_r(evidence), data={"rows": rows, "trends": trends, "models": [s.label for s in specs],
                                                  "reparse": _reparse_errors(rows)})


@check_tasks.judge
def _judge_tasks(f):
    cond = Conditions()
    for (model, dtype, style), (lo, hi) in f.data["trends"].items():
        cond.add(f"{model}: copy-last accuracy does not rise with n ({dtype}, {style}; Figure 2a)", hi <= lo,
                 f"lower half {lo:.2f}, upper half {hi:.2f}")
    bad = f.data["reparse"]
    cond.add("every stored answer re-parses to its category (unparsable answers are never scored)", not bad,
             f"{len(bad)} differ, first {bad[0]}" if bad else "")
    return cond


@check_tasks.summary
def _summary_tasks(f):
    from verify.tasks.run import accuracy, select

    parts = []
    for model in f.data["models"]:
        rows = [r for r in f.data["rows"] if r["model"] == model]
        unp = np.mean([r["generation"]["category"] == "unparsable" for r in rows])
        acc = accuracy(select(rows, dtype="fp32", task="copy_last", style="fewshot"))
        parts.append(f"{model}: copy-last few-shot acc {acc:.2f}, unparsable {unp:.0%}")
    return "; ".join(parts)


@check_tasks.figure
def _figure_tasks(f, ctx):
    from verify.tasks.figures import copy_figure, count_figure

    rows, models = f.data["rows"], f.data["models"]
    paths = copy_figure(rows, models, "fewshot", ctx, "real.tasks")
    paths += copy_figure(rows, models, "answer", ctx, "real.tasks-answer")
    for model in models:
        slug = "gemma" if "Gemma" in model else "smollm2" if "SmolLM2" in model else str(models.index(model))
        paths += count_figure(rows, model, "fp32", ("count_ones",), ("answer", "fewshot"), ctx,
                              f"real.tasks-count-{slug}")
    return paths


# --------------------------------------------------------------------------- real.B10


def _b10_findings(rows, specs):

    summaries = {}
    for spec in specs:
        for task in ("count_ones", "copy_last"):
            s = b10_summary(rows, spec.label, task, "fewshot")
            if s["curves"]:
                summaries[(spec.label, task, "fewshot")] = s
    return summaries


def _curve_json(c):
    keys = ("n", "linf", "resolution", "bf16_resolution", "tv", "identical_states", "same_greedy", "certified",
            "correct")
    return {k: c[k].tolist() for k in keys}


@register("real.B10", ["B.10", "6.2"],
          "Corollary B.10 on real models: identical or certifiably close states give a wrong answer",
          statement="Corollary B.10 (p. 20) on each model, with the count prompt of C.1 at n and n+1 ones and the "
                    "copy prompt '1...10' vs '1...11', in fp32 and bf16 (few-shot completion format, so the next "
                    "token is the answer): the final states at the distinguishing position, their distance against "
                    "the format's resolution at their scale, bitwise identity, the next-token distributions and "
                    "greedy tokens; identical states must give identical answers, so one member is wrong.",
          group="real-model", cost=6)
def check_b10(ctx, state="distinguishing"):
    """Corollary B.10 on every model: identical states and the readout certificate against the answers.

    Negative control: ``state="shared-prefix"`` reads the states at the last token the
    two prompts share (identical by causality: that position cannot see where they
    differ) but compares the distributions at the distinguishing position, which differ
    wherever the real states there differ (fp32 at small n): the implication fails.
    """
    if state not in ("distinguishing", "shared-prefix"):
        raise ValueError(f"state must be 'distinguishing' or 'shared-prefix', got {state!r}")
    out = _rows(ctx, B10_GRID_QUICK if ctx.quick else B10_GRID)
    if isinstance(out, Findings):
        return out
    rows, specs, unavailable = out
    summaries = _b10_findings(rows, specs)
    if state == "shared-prefix":
        for s in summaries.values():
            for c in s["curves"].values():
                c["identical_states"] = np.ones_like(c["identical_states"])
    evidence = dict(_models_note(specs, unavailable), state=state, per_pair={})
    evidence["paper_comparison"] = b10_sentences(summaries)
    table = []
    for (model, task, style), s in summaries.items():
        w = {d: witnesses(c) for d, c in s["curves"].items()}
        s["witnesses"] = w
        evidence["per_pair"][f"{model} {task}"] = {
            "witnesses": w, "predicted_onset": s["predicted_onset"], "observed_onset": s["observed_onset"],
            "accuracy": s["accuracy"], "curves": {d: _curve_json(c) for d, c in s["curves"].items()}}
        for d, c in s["curves"].items():
            for k in range(c["n"].size):
                table.append([model, task, d, int(c["n"][k]), c["linf"][k], c["resolution"][k],
                              bool(c["identical_states"][k]), c["tv"][k], bool(c["same_greedy"][k]),
                              bool(c["certified"][k]), bool(c["correct"][k])])
    return Findings(numeric={"columns": ["model", "task", "dtype", "n", "||y_A - y_B||_inf", "ulp at scale",
                                         "identical", "TV", "same greedy", "certified", "A correct"],
                             "rows": _r(table), "precision": "final states at the distinguishing position"},
                    quantitative={"onsets": {f"{m} {t}": _r({"predicted_onset": s["predicted_onset"],
                                                              "observed_onset": s["observed_onset"]})
                                             for (m, t, _), s in summaries.items()},
                                  "onset_meaning": "predicted_onset: first n from which the fp32 distance stays "
                                                   "below the bf16 ulp at |y|; observed_onset: first n from which "
                                                   "the bf16 answer is never correct"},
                    evidence=_r(evidence), data={"summaries": summaries})


@check_b10.judge
def _judge_b10(f):
    cond = Conditions()
    totals = {}
    for (model, task, _), s in f.data["summaries"].items():
        t = totals.setdefault(model, {"pairs": 0, "identical": 0, "identical_broken": 0, "certified": 0,
                                      "certified_broken": 0})
        for w in s["witnesses"].values():
            for k in t:
                t[k] += w[k]
    for model, t in totals.items():
        cond.add(f"{model}: bitwise-identical final states give identical next-token distributions and greedy "
                 f"tokens ({t['identical']} such pairs of {t['pairs']})", t["identical_broken"] == 0,
                 f"{t['identical_broken']} of {t['identical']} identical pairs answer differently")
        cond.add(f"{model}: every pair the readout certificate covers has a wrong member ({t['certified']} "
                 f"certified of {t['pairs']})", t["certified_broken"] == 0,
                 f"{t['certified_broken']} certified pairs are both right")
    return cond


@check_b10.summary
def _summary_b10(f):
    parts = []
    for (model, task, _), s in f.data["summaries"].items():
        w = s["witnesses"].get("bf16", {})
        parts.append(f"{model} {task}: bf16 identical {w.get('identical', 0)}/{w.get('pairs', 0)}, "
                     f"certified {w.get('certified', 0)}, onset pred {s['predicted_onset']} / "
                     f"obs {s['observed_onset']}")
    return "; ".join(parts)


@check_b10.figure
def _figure_b10(f, ctx):
    from verify.tasks.figures import b10_figure

    return b10_figure(f.data["summaries"], ctx, "real.B10")
