"""The prescription as a document: tables, the theory beside the models, and where they agree.

:func:`document` turns the summaries of :mod:`verify.prescribe.core` into one JSON-ready
dict (every real-model number rounded to :data:`DIGITS` significant digits, as in
``results.json``); :func:`agreement` compares the theory's grid with each model's, cell
by cell, and writes the sentence from those counts; :func:`markdown` renders the
tables; :func:`write_prescription` writes the JSON, the Markdown and the heatmaps as
one directory (complete or not at all).
"""

import json
import math
import os

import numpy as np

from verify.io import atomic_directory, atomic_write_text, clean
from verify.prescribe.grid import SEPARATORS, TASKS

__all__ = ["DIGITS", "document", "agreement", "agreement_sentence", "accuracy_column", "accuracy_rows", "markdown",
           "to_json", "write_prescription", "recommendation_rows", "setting_label"]

#: Significant digits of every number written (see verify.checks.real_model.REAL_DIGITS).
DIGITS = 4
#: The Section 3 task (``verify.tasks``) behind each question of the grid. "copy" (copy the
#: whole number, Figure 5c) has none: Section 3 only asks for one digit of a copied sequence.
ACCURACY_TASKS = {"count": "count_ones", "last": "copy_type1"}
#: The few-shot completion format: the paper's answer-only prompts get no parsable answer from
#: either default model at any n (docs/tasks.md), so they would fill the column with zeros.
ACCURACY_STYLE = "fewshot"
#: Which settings get an accuracy: "key" (none, the paper's comma every 3, each dtype's
#: recommendation) or "all" (every cell that fits the context).
ACCURACY_CELLS = ("key", "all")


def setting_label(separator, every):
    """``"none"``, ``"comma every 3"``.

    Examples
    --------
    >>> setting_label("none", None), setting_label("comma-space", 1)
    ('none', 'comma-space every 1')
    """
    return "none" if every is None else f"{separator} every {every}"


def accuracy_lengths(n_max):
    """The few counts of the accuracy column: 8, then x4, up to ``n_max`` (and ``n_max``).

    Examples
    --------
    >>> accuracy_lengths(1000)
    [8, 32, 128, 512, 1000]
    """
    out, n = [], 8
    while n < n_max:
        out.append(n)
        n *= 4
    return out + [n_max]


def _accuracy_settings(model, dtype, which):
    """The ``(separator, every)`` settings of ``model`` whose accuracy is measured in ``dtype``."""
    fitting = [(c["separator"], c["every"]) for c in model["cells"]
               if c["dtypes"].get(dtype, {}).get("status") != "exceeds context"]
    if which == "all":
        return fitting
    rec = model["recommendation"].get(dtype)
    wanted = [("none", None), ("comma", 3)] + ([(rec["separator"], rec["every"])] if rec and rec["meets"] else [])
    return [s for s in dict.fromkeys(wanted) if s in fitting]


def accuracy_column(plan, doc, accuracy, which="key", lengths=None, scheduler=None):
    """The "task accuracy at a few lengths" column, from Section 3's task machinery.

    For each model, dtype and chosen setting, ``accuracy`` (``verify.tasks.task_accuracy``)
    answers the grid's question as the Section 3 task :data:`ACCURACY_TASKS` in the
    few-shot format, with the setting's separator in the sequence, greedily, at each of
    ``lengths``. Results go to (and come from) the task store.

    Parameters
    ----------
    plan : Plan
        The prescription's plan (models and their specs).
    doc : dict
        The document of :func:`document` (its recommendations choose the "key" settings).
    accuracy : callable or None
        ``verify.tasks.task_accuracy``; None leaves the column out, and says so.
    which : {"key", "all"}
        :data:`ACCURACY_CELLS`.
    lengths : sequence of int or None
        Default :func:`accuracy_lengths` of ``N``.
    scheduler : None, "serial", str or verify.sweep.SharedCluster
        As :func:`verify.sweep.run_sweep`; :func:`verify.prescribe.prescribe` passes the
        cluster its passes used, so that one cluster serves every request.

    Returns
    -------
    dict
        ``{"status": "absent", "why": ...}`` or ``{"status": "computed", "task", "style",
        "lengths", "rows": [{"model", "dtype", "setting", "correct", "answers", "unparsable",
        "truth"}]}``; a setting whose prompt does not fit the context has ``"error"``.

    Raises
    ------
    ValueError
        ``which`` not in :data:`ACCURACY_CELLS`.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6) and Section 4, Figure 5 (d) (pp. 7-8).

    Examples
    --------
    >>> accuracy_column(None, {"task": "copy"}, print)["why"]
    'no Section 3 task asks for the question copy (Section 3 copies one digit, not the whole number)'
    """
    if which not in ACCURACY_CELLS:
        raise ValueError(f"accuracy cells must be one of {ACCURACY_CELLS}, got {which!r}")
    if accuracy is None:
        return {"status": "absent", "why": "not requested (--accuracy none)"}
    task = ACCURACY_TASKS.get(doc["task"])
    if task is None:
        return {"status": "absent", "why": f"no Section 3 task asks for the question {doc['task']} (Section 3 "
                                           "copies one digit, not the whole number)"}
    from verify.models.cached import model_ref

    from verify.sweep import SweepError

    lengths = list(lengths or accuracy_lengths(plan.max_length))
    specs = {m["spec"].label: m["spec"] for m in plan.models}
    rows = []
    for m in doc["models"]:
        for dtype in doc["dtypes"]:
            for sep, k in _accuracy_settings(m, dtype, which):
                row = {"model": m["label"], "dtype": dtype, "setting": setting_label(sep, k)}
                try:
                    row.update(accuracy(model=model_ref(specs[m["label"]]), task=task, lengths=lengths, dtype=dtype,
                                        separator=SEPARATORS[sep], every=k, style=ACCURACY_STYLE, seed=0,
                                        scheduler=scheduler))
                except (ValueError, SweepError) as exc:  # e.g. a few-shot prompt past the context: said
                    row["error"] = str(exc)
                rows.append(row)
    return {"status": "computed", "task": task, "style": ACCURACY_STYLE, "lengths": lengths, "rows": rows}


def accuracy_rows(column):
    """Table rows ``[model, dtype, setting, correct/total, the answer at each length]``.

    An answer cell is ``ok``, the wrong answer given, or ``unparsable``.

    Examples
    --------
    >>> col = {"status": "computed", "lengths": [8, 32], "rows": [{"model": "M", "dtype": "bf16",
    ...        "setting": "none", "correct": [True, False], "answers": ["8", "31"], "unparsable": [False, False]}]}
    >>> accuracy_rows(col)
    [['M', 'bf16', 'none', '1/2', 'ok', '31']]
    """
    out = []
    for r in column.get("rows", []):
        if "error" in r:
            out.append([r["model"], r["dtype"], r["setting"], "-", *(["-"] * len(column["lengths"]))])
            continue
        cells = ["ok" if ok else "unparsable" if bad else str(a)
                 for ok, bad, a in zip(r["correct"], r["unparsable"], r["answers"])]
        out.append([r["model"], r["dtype"], r["setting"], f"{sum(r['correct'])}/{len(r['correct'])}", *cells])
    return out


def accuracy_columns(column):
    """The header of :func:`accuracy_rows`."""
    return ["model", "dtype", "setting", "correct", *(f"n = {n}" for n in column.get("lengths", []))]


def accuracy_caption(column):
    """One sentence saying what the accuracy table is (or why it is absent)."""
    if column["status"] == "absent":
        return f"Task accuracy: {column['why']}."
    return (f"Task accuracy: Section 3's {column['task']} task in the {column['style']} format (greedy, answer "
            f"parsed from the exact line), with the setting's separator in the sequence, at n = "
            f"{', '.join(map(str, column['lengths']))}; a cell shows ok, the wrong answer, or unparsable.")


def _grid_list(cells, order):
    return [cells[c] for c in order]


def document(plan, by_model, synthetic, accuracy):
    """The prescription document (numbers as computed; :func:`to_json` rounds and drops the profiles)."""
    from verify.prescribe.core import SCHEMA, THEORY_MODEL, recommend

    n = plan.max_length
    models = []
    for rec in by_model.values():
        cells = _grid_list(rec["cells"], plan.cells)
        models.append(dict(rec, cells=cells, recommendation={d: recommend(cells, d, n) for d in plan.dtypes}))
    theory = {}
    for enc, cells in synthetic.items():
        listed = _grid_list(cells, plan.cells)
        if any(c["dtypes"] for c in listed):
            theory[enc] = {"cells": listed, "recommendation": {d: recommend(listed, d, n) for d in plan.dtypes}}
    doc = {"schema": SCHEMA, "kind": "glasses prescription", "task": plan.task, "question": TASKS[plan.task],
           "max_length": n, "dtypes": plan.dtypes, "pair": plan.pair,
           "separators": {s: SEPARATORS[s] for s in dict.fromkeys(c[0] for c in plan.cells)},
           "spacings": sorted({c[1] for c in plan.cells if c[1] is not None}),
           "definition": "margin_n = ||y_n - y*_(n+1)||_inf / (resolution of the dtype at max|y_n|), y the final "
                         "hidden state at the last digit, n = 1..N; a cell meets the bar when margin_n >= 1 for "
                         "every n <= N; reach = the largest N' with margin_n >= 1 for all n <= N'; overhead = "
                         "separator tokens among the first N digits",
           "models": models, "theory": {"model": dict(THEORY_MODEL, layers_note="pre-LN, one head, Gaussian "
                                                      "weights, every tensor rounded to the dtype"),
                                        "encodings": theory},
           "accuracy": accuracy}
    doc["agreement"] = agreement(doc)
    return doc


def _meets(cell, dtype, n_max):
    s = cell["dtypes"].get(dtype, {})
    if s.get("reach") is None:
        return None
    return s["status"] == "ok" and s["reach"] >= n_max


def _plain(cells, dtype, key="reach"):
    """``key`` of the no-separator cell's summary in ``dtype`` (None when absent or not computed)."""
    return next((c["dtypes"].get(dtype, {}).get(key) for c in cells if c["every"] is None), None)


def _separated(cells, dtype, key):
    return [c["dtypes"][dtype][key] for c in cells
            if c["every"] is not None and c["dtypes"].get(dtype, {}).get(key) is not None]


def _median(values):
    values = [v for v in values if not math.isnan(v)]  # NaN slopes (too few octaves) are left out
    return float(np.median(values)) if values else None


def _fact(model_cells, theory_cells, dtype, n_max):
    """What one theory encoding and one model say about one dtype, cell by cell."""
    pairs = [(_meets(a, dtype, n_max), _meets(b, dtype, n_max)) for a, b in zip(model_cells, theory_cells, strict=True)]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    side = {}
    for name, cells in (("model", model_cells), ("theory", theory_cells)):
        plain, best = _plain(cells, dtype), max(_separated(cells, dtype, "reach"), default=None)
        side[name] = {"plain_reach": plain, "plain_status": _plain(cells, dtype, "status"),
                      "separator_helps": None if None in (plain, best) else best > plain,
                      "plain_slope": _plain(cells, dtype, "slope"),
                      "separated_slope": _median(_separated(cells, dtype, "slope"))}
    return {"cells": len(pairs), "agree": sum(a == b for a, b in pairs), "model_meets": sum(a for a, _ in pairs),
            "theory_meets": sum(b for _, b in pairs), **{k: {n: side[n][k] for n in side} for k in side["model"]}}


def agreement(doc):
    """Cell-by-cell comparison of each theory encoding with each model, and the sentence.

    For every (model, encoding, dtype): in how many cells computed on both sides the two
    agree on whether the margin stays ``>= 1`` up to ``N``; the no-separator reach on
    both sides; whether some separator reaches further than none; and the log-log slope
    of the margin (:func:`verify.prescribe.core.octave_slope`) without a separator and,
    as a median, with one.
    """
    n = doc["max_length"]
    facts = [dict(model=m["label"], encoding=enc, dtype=dtype, **_fact(m["cells"], t["cells"], dtype, n))
             for m in doc["models"] for enc, t in doc["theory"]["encodings"].items() for dtype in doc["dtypes"]]
    return {"facts": facts, "sentence": agreement_sentence(facts, n)}


ENCODING_NAMES = {"rope": "RoPE", "alibi": "ALiBi", "none": "NoPE"}


def _cells_clause(facts, n_max):
    by_enc = {}
    for f in facts:
        by_enc.setdefault(f["encoding"], []).append(f)
    parts = []
    for enc, fs in sorted(by_enc.items(), key=lambda kv: list(ENCODING_NAMES).index(kv[0])):
        per = ", ".join(f"{f['dtype']} {f['agree']}/{f['cells']}" for f in fs if f["cells"])
        parts.append(f"{sum(f['agree'] for f in fs)}/{sum(f['cells'] for f in fs)} with {ENCODING_NAMES[enc]} ({per})")
    return f"theory and model agree on whether the margin stays >= 1 up to N = {n_max} in " + "; ".join(parts)


def _plain_clause(facts, n_max):
    """No separator, RoPE theory against the model, per dtype: both fall below 1 before N, or they split."""
    both, split = [], []
    for f in facts:
        r = f["plain_reach"]
        if None in r.values() or min(r.values()) >= n_max:
            continue
        where = {k: ("not finite from n = 1" if f["plain_status"][k] == "non-finite" and v == 0 else
                     f"at n = {v + 1}" if v < n_max else "not before N") for k, v in r.items()}
        text = f"{f['dtype']} (model {where['model']}, theory {where['theory']})"
        (both if max(r.values()) < n_max else split).append(text)
    out = []
    if both:
        out.append("without a separator both lose the distinction before N in " + ", ".join(both))
    if split:
        out.append("without a separator only one side loses the distinction before N in " + ", ".join(split))
    return out


def _slope_clause(facts):
    """How the margin decays without and with separators, on each side, in one dtype."""
    if not facts or facts[0]["plain_slope"]["model"] is None:
        return []
    m = facts[0]
    dtype = m["dtype"]
    theory = ", ".join(f"{ENCODING_NAMES[f['encoding']]} {_fmt(f['plain_slope']['theory'])} -> "
                       f"{_fmt(f['separated_slope']['theory'])}" for f in facts)
    flatter = [ENCODING_NAMES[f["encoding"]] for f in facts if None not in f["separated_slope"].values()
               and None not in f["plain_slope"].values()
               and f["separated_slope"]["theory"] > f["plain_slope"]["theory"]]
    model_flat = (m["separated_slope"]["model"] is not None
                  and m["separated_slope"]["model"] > m["plain_slope"]["model"])
    return [f"in {dtype} the margin's log-log slope goes from {_fmt(m['plain_slope']['model'])} without a separator "
            f"to a median {_fmt(m['separated_slope']['model'])} with one in the model (theory: {theory}), so "
            f"separators flatten the decay in the model: {'yes' if model_flat else 'no'}; in theory with: "
            f"{', '.join(flatter) or 'none of the encodings'}"]


def _fmt(v):
    return "n/a" if v is None or math.isnan(v) else f"{v:.2f}"


def agreement_sentence(facts, n_max):
    """One sentence per model from :func:`agreement`'s counts: nothing in it is typed by hand.

    Examples
    --------
    >>> f = [{"model": "M", "encoding": "rope", "dtype": "bf16", "cells": 4, "agree": 3, "model_meets": 1,
    ...       "theory_meets": 0, "plain_reach": {"model": 40, "theory": 90},
    ...       "plain_status": {"model": "ok", "theory": "ok"},
    ...       "separator_helps": {"model": True, "theory": True}, "plain_slope": {"model": None, "theory": None},
    ...       "separated_slope": {"model": None, "theory": None}}]
    >>> agreement_sentence(f, 100)
    'M: theory and model agree on whether the margin stays >= 1 up to N = 100 in 3/4 with RoPE (bf16 3/4); without a separator both lose the distinction before N in bf16 (model at n = 41, theory at n = 91).'
    """
    out = []
    for model in dict.fromkeys(f["model"] for f in facts):
        mine = [f for f in facts if f["model"] == model]
        rope = [f for f in mine if f["encoding"] == "rope"]
        # The decay is read in the widest format given: the others quantise the margin.
        widest = next(d for d in ("fp32", "fp16", "bf16") if any(f["dtype"] == d for f in mine))
        parts = [_cells_clause(mine, n_max)] + _plain_clause(rope, n_max)
        parts += _slope_clause([f for f in mine if f["dtype"] == widest])
        out.append(f"{model}: " + "; ".join(parts) + ".")
    return " ".join(out)


def to_json(doc):
    """The document as written: numbers rounded to :data:`DIGITS` digits, full margin profiles dropped."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "margin"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return clean(strip(doc), digits=DIGITS)


# --------------------------------------------------------------------------- tables


def _num(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def recommendation_rows(doc, source):
    """Rows ``[dtype, recommended, extra tokens, tokens per digit, min margin, reach, no-separator reach]``."""
    n = doc["max_length"]
    out = []
    for dtype in doc["dtypes"]:
        rec = source["recommendation"].get(dtype)
        plain = _plain(source["cells"], dtype)
        if rec is None:
            out.append([dtype, "not computed", "-", "-", "-", "-", _num(plain)])
            continue
        name = setting_label(rec["separator"], rec["every"])
        statuses = {c["dtypes"].get(dtype, {}).get("status") for c in source["cells"]} - {"exceeds context", None}
        if statuses == {"non-finite"}:
            name = "none: the states are not finite in any cell (overflow)"
        elif not rec["meets"]:
            name = f"none meets the bar (furthest: {name}, reach {rec['reach']})"
        elif rec["every"] is None:
            name = "none (no separator needed)"
        out.append([dtype, name, rec["overhead_tokens"], _num(rec["overhead_tokens"] / n), _num(rec["min_margin"]),
                    rec["reach"], _num(plain)])
    return out


REC_COLUMNS = ["dtype", "recommended setting", "extra tokens", "per digit", "min margin (n <= N)", "reach",
               "no separator: reach"]


def _md_table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(str(v).replace("|", "\\|") for v in r) + " |" for r in rows]


def _grid_rows(doc, source, dtype):
    """Separator x k: the min margin, with the reach when it is below N (or why there is none)."""
    n = doc["max_length"]
    rows = {}
    for c in source["cells"]:
        s = c["dtypes"].get(dtype, {})
        if s.get("min_margin") is not None:
            text = _num(s["min_margin"]) + ("" if s["reach"] >= n else f" (to {s['reach']})")
        else:
            text = s.get("status", "-") + (f" (to {s['reach']})" if s.get("reach") else "")
        rows.setdefault(c["separator"], {})[c["every"]] = text
    ks = doc["spacings"]
    return [[sep] + ([cells[None]] * len(ks) if None in cells else [cells.get(k, "-") for k in ks])
            for sep, cells in rows.items()]


def markdown(doc, figures=()):
    """The prescription as Markdown: recommendation tables, the agreement sentence, the grids."""
    n = doc["max_length"]
    L = [f"# Glasses prescription: task `{doc['task']}`, N = {n}", "",
         f"Question: `{doc['question'].strip()}` followed by n ones. {doc['definition']}.", "",
         accuracy_caption(doc["accuracy"]), ""]
    if doc["accuracy"]["status"] == "computed":
        L += _md_table(accuracy_columns(doc["accuracy"]), accuracy_rows(doc["accuracy"])) + [""]
    for m in doc["models"]:
        L += [f"## {m['label']}", "", f"{m['architecture']}. sha256 {m['sha256'][:16]}...", ""]
        L += _md_table(REC_COLUMNS, recommendation_rows(doc, m)) + [""]
    for enc, t in doc["theory"]["encodings"].items():
        L += [f"## Theory: synthetic Transformer, {ENCODING_NAMES[enc]}", ""]
        L += _md_table(REC_COLUMNS, recommendation_rows(doc, t)) + [""]
    L += ["## Where theory and models agree", "", doc["agreement"]["sentence"], ""]
    for path in figures:
        if path.endswith(".png"):
            L += [f"![heatmap]({path})", ""]
    theory = [{"label": f"theory ({ENCODING_NAMES[e]})", **t} for e, t in doc["theory"]["encodings"].items()]
    for m in [*doc["models"], *theory]:
        for dtype in doc["dtypes"]:
            L += [f"### {m['label']}, {dtype}: min margin per cell", ""]
            L += _md_table(["separator"] + [f"k={k}" for k in doc["spacings"]], _grid_rows(doc, m, dtype)) + [""]
    return "\n".join(L)


def write_prescription(doc, out_dir):
    """Write ``prescription.json``, ``prescription.md`` and the heatmaps into ``out_dir`` as one directory.

    Returns
    -------
    list of str
        The files written, relative to ``out_dir``.
    """
    from verify.prescribe.figure import heatmaps

    with atomic_directory(out_dir) as tmp:
        figures = heatmaps(doc, tmp)
        atomic_write_text(os.path.join(tmp, "prescription.json"), json.dumps(to_json(doc), indent=1) + "\n")
        atomic_write_text(os.path.join(tmp, "prescription.md"), markdown(doc, figures) + "\n")
    return ["prescription.json", "prescription.md", *figures]
