"""Check ``real.prescription``: a quick glasses prescription on every real model, judged by the theory.

The full prescription (7 separators x 8 spacings x 3 dtypes, ``python -m
verify.prescribe``) is a sweep of hundreds of forward passes; this check runs a subset
that fits the real-model time budget: no separator, a comma and a space every 1 and
every 3 digits, in fp32 and bf16, up to ``N`` = 512 digits (256 with ``--quick``),
through the same code (:func:`verify.prescribe.prescribe`, serial, results in the
content-addressed store, so a rerun costs nothing). The synthetic Transformer runs the
same cells for the theory's prediction.

What it judges, per model (conditions that the theory implies, not tuned to a model):

- Theorem 4.2: without a separator the fp32 margin decays with ``n`` (octave log-log
  slope below 0);
- Section 4, quantisation (p. 7): a coarser format loses the distinction no later: the
  no-separator reach in bf16 is at most the reach in fp32;
- Section 4, the remedy (Figure 5d): commas every third digit keep the prompts further
  apart than no separator, in fp32 and in bf16 (larger minimum margin);
- the prescription is what the profiles say: re-read from its full profile, the
  recommended setting has margin ``>= 1`` at every ``n <= N`` and no cell with fewer extra
  tokens does (or, when it recommends nothing, no cell does);

and on the synthetic NoPE model: without a separator the margin falls below 1 in bf16
before ``N`` while fp32 stays above (Theorem 4.2 at the ``1/n`` rate of NoPE).

Negative control: ``pair="first"`` reads both prompts at their *first* digit. By
causality that state cannot see the digits after it, so it is one and the same vector
for the prompt with ``n`` and with ``n + 1`` ones: the distance is 0 at every ``n``, no
format can tell them apart, the margin cannot decay (it is 0, its log has no slope) and
commas cannot keep the prompts further apart than no separator (0 is not above 0).
"""

import numpy as np

from verify.checks._common import fmt
from verify.registry import Conditions, Findings, register

__all__ = ["QUICK_GRID", "check_prescription"]

#: The subset of the grid that the check runs (the command runs the whole grid).
QUICK_GRID = {"separators": ("none", "comma", "space"), "spacings": (1, 3), "dtypes": ("fp32", "bf16"),
              "task": "count"}
N_FULL, N_QUICK = 512, 256
#: Lengths of the task-accuracy column (reported beside the margins, not judged: the theory
#: speaks of distinguishability, not of skill). Short prompts keep the check's cost small.
ACCURACY_AT = (8, 32, 128)
REFS = ["S4", "4.2", "B.3"]


def _models(ctx):
    """``(model references, unavailable)``: asked-for models, or the defaults that are installed."""
    from verify.checks.real_model import _resolve
    from verify.models.cached import model_ref

    specs, unavailable = _resolve(tuple(ctx.models))
    return [model_ref(s) for s in specs], unavailable


@register("real.prescription", REFS, "Glasses prescription: which separator, how often, per model and dtype",
          statement="Section 4 (pp. 7-8): a lower machine precision makes the collapse of Theorem 4.2 occur "
                    "sooner, and introducing additional tokens throughout the sequence (commas every third digit, "
                    "Figure 5d) keeps the representations apart. The prescription asks, per model and dtype, which "
                    "separator and spacing keep the margin ||y_n - y*_(n+1)||_inf / resolution >= 1 for every "
                    "n <= N, at the fewest extra tokens.",
          group="real-model", cost=6)
def check_prescription(ctx, pair="next"):
    """The quick prescription on every model and the theory's grid (see the module docstring)."""
    from verify.models.sources import models_available
    from verify.prescribe.core import prescribe

    ok, why = models_available()
    if not ok:
        return Findings(skip=why)
    models, unavailable = _models(ctx)
    if not models:
        return Findings(skip="no real model is available: " + "; ".join(unavailable.values()))
    n = N_QUICK if ctx.quick else N_FULL
    from verify.tasks import task_accuracy

    doc = prescribe(models, task=QUICK_GRID["task"], dtypes=QUICK_GRID["dtypes"], max_length=n,
                    separators=QUICK_GRID["separators"], spacings=QUICK_GRID["spacings"], scheduler="serial",
                    pair=pair, accuracy=task_accuracy, accuracy_at=ACCURACY_AT)
    return _findings(doc, unavailable)


def _cell(cells, separator, every):
    return next(c for c in cells if c["separator"] == separator and c["every"] == every)


def _rows(doc):
    from verify.prescribe.report import setting_label

    rows = []
    for m in doc["models"]:
        for c in m["cells"]:
            for dtype, s in c["dtypes"].items():
                rows.append([m["label"], dtype, setting_label(c["separator"], c["every"]), c["overhead_tokens"],
                             s.get("min_margin"), s.get("reach"), s.get("slope")])
    return rows


def _findings(doc, unavailable):
    from verify.checks.real_model import _r
    from verify.prescribe.report import ENCODING_NAMES, REC_COLUMNS, recommendation_rows, setting_label, to_json

    written = to_json(doc)
    recs = {m["label"]: recommendation_rows(written, m) for m in written["models"]}
    evidence = {"max_length": doc["max_length"], "task": doc["task"], "pair": doc["pair"], "grid": dict(QUICK_GRID),
                "recommendation_columns": REC_COLUMNS, "recommendations": recs,
                "theory_recommendations": {ENCODING_NAMES[enc]: recommendation_rows(written, t)
                                           for enc, t in written["theory"]["encodings"].items()},
                "agreement": doc["agreement"]["sentence"],
                "tokenisation": {m["label"]: {setting_label(c["separator"], c["every"]): c["tokenisation"]["period"]
                                              for c in m["cells"]} for m in written["models"]},
                "accuracy": doc["accuracy"]}
    if unavailable:
        evidence["unavailable"] = unavailable
    return Findings(numeric={"columns": ["model", "dtype", "setting", "extra tokens", "min margin", "reach",
                                         "log-log slope"],
                             "rows": _r(_rows(doc)),
                             "precision": f"N = {doc['max_length']} digits; margin = distance / resolution of the "
                                          "dtype at max|y_n|; each dtype on its own copy of the weights"},
                    evidence=_r(evidence), data={"doc": doc})


def _meets_on_profile(cell, dtype, n):
    """Re-read from the full profile: margin >= 1 at every n <= N (independently of :func:`recommend`)."""
    s = cell["dtypes"].get(dtype, {})
    return s.get("status") == "ok" and len(s.get("margin", ())) == n and bool((np.asarray(s["margin"]) >= 1).all())


def _recommendation_holds(m, dtype, n):
    """What the recommendation claims is what the profiles say: the cheapest cell that meets the bar, or none."""
    from verify.prescribe.core import recommend
    from verify.prescribe.report import setting_label

    rec = recommend(m["cells"], dtype, n)
    meeting = [c for c in m["cells"] if _meets_on_profile(c, dtype, n)]
    if rec is None:
        return False, "no cell was computed"
    if not rec["meets"]:
        return not meeting, f"claims no cell meets the bar; {len(meeting)} do on their profiles"
    chosen = next(c for c in m["cells"] if (c["separator"], c["every"]) == (rec["separator"], rec["every"]))
    cheaper = [c for c in meeting if c["overhead_tokens"] < rec["overhead_tokens"]]
    return chosen in meeting and not cheaper, (
        f"{setting_label(rec['separator'], rec['every'])}: min over n <= {n} of the margin "
        f"{fmt(min(chosen['dtypes'][dtype]['margin']))}, {len(cheaper)} cheaper cells meet the bar")


@check_prescription.judge
def _judge(f):
    doc = f.data["doc"]
    n = doc["max_length"]
    cond = Conditions()
    for m in doc["models"]:
        label, plain = m["label"], _cell(m["cells"], "none", None)["dtypes"]
        comma = _cell(m["cells"], "comma", 3)["dtypes"]
        slope = plain["fp32"].get("slope")
        cond.add(f"{label}: without a separator the fp32 margin decays with n (Theorem 4.2)",
                 slope is not None and slope < 0, f"octave log-log slope {fmt(slope)}")
        cond.add(f"{label}: without a separator bf16 loses the distinction no later than fp32 (Section 4, "
                 "quantisation)", plain["bf16"]["reach"] <= plain["fp32"]["reach"],
                 f"reach bf16 {plain['bf16']['reach']}, fp32 {plain['fp32']['reach']} (N = {n})")
        for dtype in ("fp32", "bf16"):
            a, b = comma[dtype]["min_margin"], plain[dtype]["min_margin"]
            cond.add(f"{label}: commas every third digit keep the prompts further apart than none in {dtype} "
                     "(Figure 5d)", a is not None and b is not None and a > b, f"min margin {fmt(a)} vs {fmt(b)}")
            ok, detail = _recommendation_holds(m, dtype, n)
            cond.add(f"{label}: the {dtype} recommendation is what the profiles say: its setting has margin >= 1 at "
                     f"every n <= {n} and no cheaper one does (or no setting does)", ok, detail)
    nope = doc["theory"]["encodings"]["none"]["cells"]
    plain = _cell(nope, "none", None)["dtypes"]
    cond.add("synthetic NoPE model: without a separator the margin falls below 1 in bf16 before N while fp32 stays "
             "above (Theorem 4.2)", plain["bf16"]["reach"] < n <= plain["fp32"]["reach"],
             f"reach bf16 {plain['bf16']['reach']}, fp32 {plain['fp32']['reach']} (N = {n})")
    return cond


@check_prescription.summary
def _summary(f):
    doc = f.data["doc"]
    parts = []
    for m in doc["models"]:
        rec = m["recommendation"].get("bf16")
        plain = _cell(m["cells"], "none", None)["dtypes"]["bf16"]
        if not rec or not rec["meets"]:
            what = "no setting meets the bar"
        elif rec["every"] is None:
            what = "no separator needed"
        else:
            what = f"{rec['separator']} every {rec['every']} (+{rec['overhead_tokens']} tokens)"
        parts.append(f"{m['label']}: bf16 -> {what}; plain reach {plain['reach']}/{doc['max_length']}")
    return "; ".join(parts)


@check_prescription.figure
def _figure(f, ctx):
    import matplotlib.pyplot as plt

    from verify.figures import save_figure
    from verify.prescribe.figure import draw_grid

    doc = f.data["doc"]
    sources = [(m["label"], m) for m in doc["models"]] + [("theory (RoPE)", doc["theory"]["encodings"]["rope"])]
    fig, axes = plt.subplots(len(sources), len(doc["dtypes"]), squeeze=False,
                             figsize=(3.3 * len(doc["dtypes"]), 2.2 * len(sources)))
    for r, (title, source) in enumerate(sources):
        for c, dtype in enumerate(doc["dtypes"]):
            draw_grid(axes[r][c], doc, source, dtype, title)
    return save_figure(fig, ctx, "real.prescription")
