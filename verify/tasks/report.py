"""The report of a task sweep: summary.json (the numbers), report.md (tables, sentences beside the paper), figures.

Everything is computed from the sweep's rows (:func:`verify.tasks.run.run_units`);
floats are rounded to :data:`verify.checks.real_model.REAL_DIGITS` significant digits, as
every real-model number of the project. The directory is written as one set
(:func:`verify.io.atomic_directory`).
"""

import json
import os
from types import SimpleNamespace

import numpy as np

from verify.io import atomic_directory, clean
from verify.tasks.analysis import b10_summary
from verify.tasks.prompts import COUNT_TASKS, STYLES, TASKS
from verify.tasks.run import abs_error, accuracy, base_rates, combos, modal_answer, select

__all__ = ["summarize", "render_markdown", "write_report", "check_out_dir", "paper_comparison", "REPORT_MARKER"]

#: The file that marks a directory as a task report (only such a directory is replaced).
REPORT_MARKER = "summary.json"
_MARK = {"correct": "+", "wrong": "-", "unparsable": "?"}


def _r(value):
    from verify.checks.real_model import REAL_DIGITS

    return clean(value, digits=REAL_DIGITS)


def _combo_row(rows):
    """Accuracy, unparsable share, mean |error| and modal answer of one (model, dtype, task, style)."""
    errors = [e for e in (abs_error(r) for r in rows) if e is not None] if TASKS[rows[0]["task"]].kind == "count" \
        else []
    value, share = modal_answer(rows)
    return {"n": [r["n"] for r in rows], "outcomes": "".join(_MARK[r["generation"]["category"]] for r in rows),
            "answers": [r["generation"]["answer"] for r in rows], "truth": [r["truth"] for r in rows],
            "accuracy": accuracy(rows),
            "unparsable": float(np.mean([r["generation"]["category"] == "unparsable" for r in rows])),
            "mean_abs_error": float(np.mean(errors)) if errors else None, "modal_answer": value, "modal_share": share,
            "p_first": [r["answer_position"]["a"]["p_first"] for r in rows],
            "p_answer": [float(np.exp(r["answer_position"]["a"]["logp_answer"])) for r in rows],
            "rank_first": [r["answer_position"]["a"]["rank_first"] for r in rows],
            "reasons": sorted({r["generation"]["reason"] for r in rows if r["generation"]["reason"]})}


def _b10(rows, models):
    out = {}
    for model in models:
        for task in TASKS:
            for style in STYLES:
                s = b10_summary(rows, model, task, style)
                if s["curves"]:
                    out[(model, task, style)] = s
    return out


def _b10_json(s):
    return {"witnesses": s["witnesses"], "predicted_onset": s["predicted_onset"],
            "observed_onset": s["observed_onset"], "accuracy": s["accuracy"],
            "linf": {d: c["linf"].tolist() for d, c in s["curves"].items()},
            "n": {d: c["n"].tolist() for d, c in s["curves"].items()},
            "same_greedy": {d: float(c["same_greedy"].mean()) for d, c in s["curves"].items()},
            "tv_median": {d: float(np.median(c["tv"])) for d, c in s["curves"].items()}}


def summarize(rows, specs, settings):
    """The sweep's numbers as one JSON-able dict (rounded).

    Parameters
    ----------
    rows : list of dict
        Unit results (:func:`verify.tasks.run.run_units`).
    specs : sequence of ModelSpec
    settings : dict
        The command, the seed, ...: recorded as they are (``seed`` is required).

    Returns
    -------
    dict
        ``settings``, ``models``, ``combos`` (per model / dtype / task / style: outcomes,
        accuracy, unparsable share, mean absolute error, modal answer, probabilities),
        ``base_rates``, ``b10`` and ``paper_comparison``.

    Raises
    ------
    KeyError
        Settings without a seed.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6), Corollary B.10 (p. 20).

    Examples
    --------
    >>> from verify.models.sources import ModelSpec
    >>> from verify.tasks.run import synthetic_rows
    >>> spec = ModelSpec("M", "M", "hf", "/m", "0" * 64, "/m")
    >>> s = summarize(synthetic_rows(model="M"), [spec], {"seed": 0, "command": "x"})
    >>> s["combos"]["M / fp32 / count_ones / fewshot"]["outcomes"]
    '++'
    """
    models = [s.label for s in specs]
    combos_out = {" / ".join(k): _combo_row(select(rows, model=k[0], dtype=k[1], task=k[2], style=k[3]))
                  for k in combos(rows)}
    lengths = {t: sorted({r["n"] for r in rows if r["task"] == t}) for t in TASKS}
    b10 = _b10(rows, models)
    return _r({"settings": settings,
               "models": {s.label: {"name": s.name, "sha256": s.sha256} for s in specs},
               "combos": combos_out,
               "base_rates": {t: base_rates(t, lengths[t], settings["seed"]) for t in TASKS if lengths[t]},
               "b10": {" / ".join(k): _b10_json(s) for k, s in b10.items()},
               "paper_comparison": paper_comparison(rows, models)})


def _first_wrong(rows):
    """The first n from which the answers are never correct again, or None."""
    from verify.tasks.analysis import first_from

    return first_from(np.array([r["n"] for r in rows]), [r["generation"]["category"] != "correct" for r in rows])


def paper_comparison(rows, models):
    """Sentences: what each figure of the paper shows (Gemini, Gemma 7B) and what these models do.

    Parameters
    ----------
    rows : list of dict
    models : list of str

    Returns
    -------
    list of str

    Raises
    ------
    KeyError
        Rows without generations.

    References
    ----------
    Barbero et al. (2024), Figures 2, 3, 4 (pp. 4-6), 6, 7 (p. 21), 11 (p. 24).

    Examples
    --------
    >>> from verify.tasks.run import synthetic_rows
    >>> paper_comparison(synthetic_rows("copy_last", model="M"), ["M"])[1][:30]
    'Figure 11 (Gemini: both prompt'
    """
    out = []
    for model in models:
        def acc(task, style, dtype="fp32"):
            sel = select(rows, model=model, dtype=dtype, task=task, style=style)
            return (f"{accuracy(sel):.2f} (wrong from n={_first_wrong(sel)})" if sel else "not run")

        out.append(f"Figure 2 (Gemini: the first token is copied at every length, the last fails from about n=300; "
                   f"the hint and interleaving help). {model}, few-shot, fp32: last {acc('copy_last', 'fewshot')}, "
                   f"first {acc('copy_first', 'fewshot')}, hint {acc('copy_last_hint', 'fewshot')}, interleaved "
                   f"{acc('copy_last_01', 'fewshot')} / {acc('copy_last_10', 'fewshot')}; with the prompt as "
                   f"printed: last {acc('copy_last', 'answer')}.")
        out.append(f"Figure 11 (Gemini: both prompt types fail, Type 2 later). {model}, few-shot, fp32: Type 1 "
                   f"{acc('copy_type1', 'fewshot')}, Type 2 {acc('copy_type2', 'fewshot')}.")
        counts = [r for r in rows if r["model"] == model and r["task"] in COUNT_TASKS]
        if counts:
            unp = np.mean([r["generation"]["category"] == "unparsable" for r in counts if r["style"] != "fewshot"]
                          or [0.0])
            value, share = modal_answer([r for r in counts if r["style"] == "fewshot"])
            out.append(f"Figures 3/4/6/7 (Gemini and Gemma 7B: the error grows with n, answers cluster near 100). "
                       f"{model}: {unp:.0%} of the answers to the paper's prompts (answer only, CoT) are unparsable; "
                       f"in the few-shot format the most frequent answer is {value!r} ({share:.0%}), count-ones "
                       f"accuracy {acc('count_ones', 'fewshot')}.")
    return out


# --------------------------------------------------------------------------- markdown


def _table(columns, rows):
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join("-" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def _fmt(x):
    return "-" if x is None else f"{x:.3g}" if isinstance(x, float) else str(x)


def render_markdown(summary, figures):
    """report.md: settings, the sentences beside the paper, accuracy tables, base rates, B.10 table, figures.

    Parameters
    ----------
    summary : dict
        From :func:`summarize`.
    figures : list of str
        Paths relative to the report (the PNGs are linked).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        A summary without its sections.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6), Corollary B.10 (p. 20).

    Examples
    --------
    >>> from verify.models.sources import ModelSpec
    >>> from verify.tasks.run import synthetic_rows
    >>> spec = ModelSpec("M", "M", "hf", "/m", "0" * 64, "/m")
    >>> md = render_markdown(summarize(synthetic_rows(), [spec], {"seed": 0, "command": "x"}), [])
    >>> md.splitlines()[0]
    '# Section 3 of the paper on local models: the task sweep'
    """
    s = summary
    L = ["# Section 3 of the paper on local models: the task sweep", "",
         f"Command: `{s['settings']['command']}`. Seed {s['settings']['seed']} (sampled sequences: "
         "Bernoulli digits and 'car' sentences). Greedy decoding; answers parsed from the exact answer line; "
         "`+` correct, `-` wrong, `?` unparsable (never scored). Floats to 4 significant digits.", "",
         "Models: " + "; ".join(f"{k} (sha256 {v['sha256'][:12]}...)" for k, v in s["models"].items()) + ".", "",
         "## Beside the paper", ""]
    L += [f"- {line}" for line in s["paper_comparison"]] + [""]
    L += ["## Answers per task, style and dtype", "",
          "P(answer): the probability of the whole correct answer after the answer line, by teacher forcing "
          "(median over the lengths); rank: of the correct first digit there (median).", "",
          _table(["model / dtype / task / style", "n", "outcomes", "accuracy", "unparsable", "mean abs error",
                  "modal answer", "P(answer)", "rank"],
                 [[k, " ".join(map(str, v["n"])), f"`{v['outcomes']}`", _fmt(v["accuracy"]), _fmt(v["unparsable"]),
                   _fmt(v["mean_abs_error"]), f"{v['modal_answer']} ({_fmt(v['modal_share'])})",
                   _fmt(float(np.median(v["p_answer"]))), _fmt(float(np.median(v["rank_first"])))]
                  for k, v in s["combos"].items()]), ""]
    L += ["## Base rates (trivial answer policies over the same lengths)", "",
          _table(["task", "policy", "measure", "value"],
                 [[t, p, m, _fmt(v)] for t, rates in s["base_rates"].items() for p, m, v in rates]), ""]
    L += ["## Corollary B.10: pairs n / n+1 (count) and '1...10' / '1...11' (copy)", "",
          "At the distinguishing position: `identical` = bitwise-identical final states; `certified` = the states "
          "are too close for the readout to separate the two answers (so one is wrong); predicted onset = first n "
          "from which the fp32 distance stays below the bf16 ulp at the state's scale; observed = first n from "
          "which the bf16 answer is never correct.", "",
          _table(["model / task / style", "dtype", "pairs", "identical", "certified", "same greedy token",
                  "median TV", "predicted onset", "observed onset"],
                 [[k, d, w["pairs"], w["identical"], w["certified"], _fmt(v["same_greedy"][d]),
                   _fmt(v["tv_median"][d]), v["predicted_onset"], v["observed_onset"]]
                  for k, v in s["b10"].items() for d, w in v["witnesses"].items()]), ""]
    L += ["## Figures", ""] + [f"![{os.path.basename(f)}]({f})" for f in figures if f.endswith(".png")] + [""]
    return "\n".join(L)


# --------------------------------------------------------------------------- writing


def _slug(label):
    return "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")


def _draw(rows, models, b10, ctx):
    from verify.tasks.figures import b10_figure, copy_figure, count_figure, histogram_figure

    styles = [s for s in STYLES if any(r["style"] == s and r["task"] in COUNT_TASKS for r in rows)]
    paths = []
    for style in ("answer", "fewshot"):
        if any(r["style"] == style and TASKS[r["task"]].kind == "copy" for r in rows):
            paths += copy_figure(rows, models, style, ctx, f"copy-{style}")
    for model in models:
        for dtype in ("fp32", "bf16", "fp16"):
            if any(r["model"] == model and r["dtype"] == dtype and r["task"] in COUNT_TASKS for r in rows):
                paths += count_figure(rows, model, dtype, COUNT_TASKS, styles, ctx, f"count-{_slug(model)}-{dtype}")
        if any(r["model"] == model and r["task"] in COUNT_TASKS for r in rows):
            paths += histogram_figure(rows, model, COUNT_TASKS, ctx, f"answers-{_slug(model)}")
    if b10:
        paths += b10_figure(b10, ctx, "b10")
    return paths


def check_out_dir(out_dir):
    """Refuse to replace a non-empty directory that is not a task report (it would be deleted as a whole).

    Parameters
    ----------
    out_dir : str

    Returns
    -------
    None

    Raises
    ------
    ValueError
        A non-empty directory without :data:`REPORT_MARKER`, or an unwritable parent.

    References
    ----------
    Infrastructure of the Section 3 experiments (Barbero et al. (2024), pp. 4-6).

    Examples
    --------
    >>> import tempfile
    >>> check_out_dir(tempfile.mkdtemp())  # empty: fine
    """
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not os.path.isfile(os.path.join(out_dir, REPORT_MARKER)):
        raise ValueError(f"--out: {out_dir} is a non-empty directory without {REPORT_MARKER}; "
                         "the report replaces its directory as a whole, so give a new or a report directory")
    parent = os.path.dirname(os.path.abspath(out_dir))
    if os.path.exists(parent) and not os.access(parent, os.W_OK):
        raise ValueError(f"--out: cannot write in {parent}")


def write_report(rows, specs, settings, out_dir, figures=True):
    """Write summary.json, report.md and the figures into ``out_dir`` as one set; returns the summary.

    Parameters
    ----------
    rows : list of dict
    specs : sequence of ModelSpec
    settings : dict
        As :func:`summarize`.
    out_dir : str
        Replaced as a whole (:func:`verify.io.atomic_directory`); refused if it holds
        anything but a previous report.
    figures : bool

    Returns
    -------
    dict
        The summary.

    Raises
    ------
    ValueError
        As :func:`check_out_dir`.
    OSError
        A directory that cannot be written (named).

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6), Corollary B.10 (p. 20).

    Examples
    --------
    >>> import os, tempfile
    >>> from verify.models.sources import ModelSpec
    >>> from verify.tasks.run import synthetic_rows
    >>> spec = ModelSpec("M", "M", "hf", "/m", "0" * 64, "/m")
    >>> out = os.path.join(tempfile.mkdtemp(), "report")
    >>> _ = write_report(synthetic_rows(), [spec], {"seed": 0, "command": "x"}, out, figures=False)
    >>> sorted(os.listdir(out))
    ['report.md', 'summary.json']
    """
    check_out_dir(out_dir)
    summary = summarize(rows, specs, settings)
    models = [s.label for s in specs]
    b10 = {k: v for k, v in _b10(rows, models).items() if k[2] == "fewshot" and k[1] in ("count_ones", "copy_last")}
    with atomic_directory(out_dir) as tmp:
        ctx = SimpleNamespace(figures=figures, figure_dir=os.path.join(tmp, "figures"))
        paths = _draw(rows, models, b10, ctx) if figures else []
        with open(os.path.join(tmp, REPORT_MARKER), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
        with open(os.path.join(tmp, "report.md"), "w", encoding="utf-8") as fh:
            fh.write(render_markdown(summary, paths))
    return summary
