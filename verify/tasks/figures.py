"""Figures of the task sweep, drawn as the paper draws them (Figures 2, 3/6, 4/7, 11) and the B.10 figure.

- :func:`copy_figure`: correct / wrong / unparsable against n (Figure 2 (a)-(c), Figure 11),
  one row per model, fp32 filled and bf16 hollow;
- :func:`count_figure`: absolute error against n, styles by tasks (Figures 3 and 6), for
  one model and dtype; unparsable answers marked apart, never drawn as an error;
- :func:`histogram_figure`: the answers given (Figures 4 and 7) beside the true answers;
- :func:`b10_figure`: Corollary B.10 on a real model: the distance of the pair's final
  states against n beside the accuracy, with the predicted and observed onsets.

Every function returns the written paths (:func:`verify.figures.save_figure`).
"""

import numpy as np

from verify.figures import DTYPE_COLORS, save_figure
from verify.tasks.run import abs_error, select

__all__ = ["copy_figure", "count_figure", "histogram_figure", "b10_figure", "COPY_PANELS"]

#: Panels of the copy figure: title and the tasks it compares (marker per task).
COPY_PANELS = (
    ("(a) first vs last token (Fig. 2a)", (("copy_first", "s", "first of '01...1'"),
                                           ("copy_last", "D", "last of '1...10'"))),
    ("(b) last token, hint (Fig. 2b)", (("copy_last_hint", "s", "with hint"), ("copy_last", "D", "without hint"))),
    ("(c) interleaved (Fig. 2c)", (("copy_last_01", "s", "[0,1]*n + [0]"), ("copy_last_10", "D", "[1,0]*n + [0]"))),
    ("(d) prompt structure (Fig. 11)", (("copy_type1", "s", "Type 1"), ("copy_type2", "D", "Type 2"))),
)
_LEVEL = {"correct": 1.0, "unparsable": 0.5, "wrong": 0.0}
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
STYLE_LABELS = {"answer": "answer only", "cot": "CoT zero-shot", "cot_fewshot": "CoT few-shot",
                "fewshot": "few-shot completion (ours)"}


def _grid(nrows, ncols, width=3.0, height=2.3):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def _outcomes(ax, rows, marker, color, label, dtype_shift):
    n = [r["n"] for r in rows]
    y = [_LEVEL[r["generation"]["category"]] + dtype_shift for r in rows]
    hollow = dtype_shift != 0
    ax.scatter(n, y, marker=marker, s=22, facecolors="none" if hollow else color, edgecolors=color,
               linewidths=0.9, label=label)


def copy_figure(rows, models, style, ctx, name):
    """Figure 2 / Figure 11: per model, correct (top), unparsable (middle) or wrong (bottom) against n.

    Only the panels with results are drawn (a quick subset runs some tasks only).

    Parameters
    ----------
    rows : list of dict
        Unit results (:func:`verify.tasks.run.run_units`).
    models : list of str
        Model labels, one row of panels each.
    style : str
    ctx : Context-like
        ``figures`` (False: nothing is drawn or written) and ``figure_dir``.
    name : str
        File stem: ``figures/<name>.pdf`` and ``.png``.

    Returns
    -------
    list of str
        The written paths, relative to the output directory.

    Raises
    ------
    ValueError
        No copy task of ``style`` in ``rows``.

    References
    ----------
    Barbero et al. (2024), Figure 2 (p. 4), Figure 11 (p. 24).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from verify.tasks.run import synthetic_rows
    >>> copy_figure(synthetic_rows("copy_last"), ["M"], "fewshot", SimpleNamespace(figures=False), "x")
    []
    """
    if not ctx.figures:
        return []
    present = {r["task"] for r in rows if r["style"] == style}
    panels = [p for p in COPY_PANELS if any(task in present for task, _, _ in p[1])]
    if not panels:
        raise ValueError(f"rows: no copy task in style {style!r}")
    fig, axes = _grid(len(models), len(panels), width=3.1, height=2.2)
    for i, model in enumerate(models):
        for j, (title, series) in enumerate(panels):
            ax = axes[i][j]
            for k, (task, marker, label) in enumerate(series):
                for dtype, shift in (("fp32", 0.0), ("bf16", -0.07)):
                    sel = select(rows, model=model, dtype=dtype, task=task, style=style)
                    if sel:
                        _outcomes(ax, sel, marker, _COLORS[k], f"{label} ({dtype})", shift)
            ax.set_xscale("log")
            ax.set_ylim(-0.25, 1.2)
            ax.set_yticks([0, 0.5, 1], ["wrong", "unparsable", "correct"])
            ax.set_title(f"{model}: {title}", fontsize=7)
            ax.set_xlabel("n (ones in the sequence)", fontsize=7)
            ax.legend(fontsize=5, loc="center right")
    fig.suptitle(f"Copying, {STYLE_LABELS[style]} (filled fp32, hollow bf16)", fontsize=9)
    return save_figure(fig, ctx, name)


def _error_bars(ax, sel):
    """Bars of |answer - truth| at each n; an unparsable answer is an 'x' on the axis, not a bar."""
    x = np.arange(len(sel))
    err = [abs_error(r) for r in sel]
    ax.bar(x[[e is not None for e in err]], [e for e in err if e is not None], color="#4c72b0", width=0.7)
    miss = [k for k, e in enumerate(err) if e is None]
    ax.scatter(miss, [0] * len(miss), marker="x", color="#999999", s=14, label="unparsable" if miss else None)
    ax.set_xticks(x, [str(r["n"]) for r in sel], fontsize=5, rotation=90)
    acc = np.mean([r["generation"]["category"] == "correct" for r in sel])
    ax.text(0.02, 0.92, f"acc {acc:.2f}, unparsable {len(miss)}/{len(sel)}", transform=ax.transAxes, fontsize=5)


def count_figure(rows, model, dtype, tasks, styles, ctx, name):
    """Figures 3 and 6: absolute error against n, one row per style and one column per counting task.

    Parameters
    ----------
    rows : list of dict
    model, dtype : str
    tasks, styles : sequence of str
        The columns and rows of the grid ("not run" where a pair has no results).
    ctx : Context-like
        ``figures`` (False: nothing is drawn or written) and ``figure_dir``.
    name : str
        File stem: ``figures/<name>.pdf`` and ``.png``.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        Empty ``tasks`` or ``styles``.

    References
    ----------
    Barbero et al. (2024), Figure 3 (p. 5), Figure 6 (p. 21).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from verify.tasks.run import synthetic_rows
    >>> count_figure(synthetic_rows(), "M", "fp32", ["count_ones"], ["fewshot"], SimpleNamespace(figures=False), "x")
    []
    """
    if not tasks or not styles:
        raise ValueError("tasks and styles must not be empty")
    if not ctx.figures:
        return []
    fig, axes = _grid(len(styles), len(tasks), width=2.4, height=1.8)
    for i, style in enumerate(styles):
        for j, task in enumerate(tasks):
            ax = axes[i][j]
            sel = select(rows, model=model, dtype=dtype, task=task, style=style)
            if sel:
                _error_bars(ax, sel)
            else:
                ax.text(0.5, 0.5, "not run", ha="center", transform=ax.transAxes)
            if i == 0:
                ax.set_title(task, fontsize=7)
            if j == 0:
                ax.set_ylabel(f"{STYLE_LABELS[style]}\n|error|", fontsize=6)
            if i == len(styles) - 1:
                ax.set_xlabel("n", fontsize=6)
    fig.suptitle(f"Counting, {model}, {dtype}: absolute error (x: unparsable)", fontsize=8)
    return save_figure(fig, ctx, name)


def histogram_figure(rows, model, tasks, ctx, name):
    """Figures 4 and 7: how often each value was answered, beside the true answers (counting tasks).

    Parameters
    ----------
    rows : list of dict
    model : str
    tasks : sequence of str
        The counting tasks pooled.
    ctx : Context-like
        ``figures`` (False: nothing is drawn or written) and ``figure_dir``.
    name : str
        File stem: ``figures/<name>.pdf`` and ``.png``.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        A parsed answer that is not an integer.

    References
    ----------
    Barbero et al. (2024), Figure 4 (p. 6), Figure 7 (p. 21).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from verify.tasks.run import synthetic_rows
    >>> histogram_figure(synthetic_rows(), "M", ["count_ones"], SimpleNamespace(figures=False), "x")
    []
    """
    if not ctx.figures:
        return []
    groups = (("true answer", None), ("answer only", ("answer",)), ("with CoT", ("cot", "cot_fewshot")),
              ("few-shot (ours)", ("fewshot",)))
    fig, axes = _grid(1, 2, width=4.4, height=2.6)
    for ax, dtype in zip(axes[0], ("fp32", "bf16")):
        sel = [r for r in select(rows, model=model, dtype=dtype) if r["task"] in tasks]
        values = []
        for label, styles in groups:
            if styles is None:  # each (task, n) once, whichever styles ran
                v = [int(t) for (_, _, t) in sorted({(r["task"], r["n"], r["truth"]) for r in sel})]
            else:
                v = [int(r["generation"]["answer"]) for r in sel
                     if r["style"] in styles and r["generation"]["answer"] is not None]
            values.append((label, v))
        top = max([max(v) for _, v in values if v] + [10])
        bins = np.linspace(0, min(top, 400) + 1, 41)
        ax.hist([np.minimum(v, bins[-1] - 0.5) for _, v in values], bins=bins,
                label=[f"{lab} ({len(v)})" for lab, v in values], color=_COLORS)
        ax.set_xlabel("value (answers above the last bin are drawn in it)", fontsize=7)
        ax.set_ylabel("frequency", fontsize=7)
        ax.set_title(f"{model}, {dtype}", fontsize=8)
        ax.legend(fontsize=6)
    return save_figure(fig, ctx, name)


def _draw_distance(ax, summary):
    """Left panel: the distance of the pair's final states (and the TV of their next-token distributions)."""
    for dtype, c in summary["curves"].items():
        ax.loglog(c["n"], np.maximum(c["linf"], 1e-12), marker="o", ms=3, lw=1, color=DTYPE_COLORS[dtype],
                  ls="-" if dtype == "fp32" else ":", label=rf"$\|y_A - y_B\|_\infty$ {dtype}")
        ax.loglog(c["n"], np.maximum(c["tv"], 1e-12), lw=0.7, color=DTYPE_COLORS[dtype], alpha=0.5,
                  ls="-" if dtype == "fp32" else ":", label=f"TV of next-token distributions {dtype}")
    ref = summary["curves"].get("fp32") or next(iter(summary["curves"].values()))
    ax.loglog(ref["n"], ref["bf16_resolution"], color="#333333", ls="--", lw=0.8, label="bf16 ulp at |y|")
    if summary["predicted_onset"] is not None:
        ax.axvline(summary["predicted_onset"], color="#ff7f0e", lw=1, label="predicted onset")
    ax.set_xlabel("n")
    ax.legend(fontsize=5)


#: Lanes of the answers panel: what is plotted, from the top.
_LANES = (("correct", "A answered correctly"), ("both_right", "A and B right at the token"),
          ("same_greedy", "same greedy token (one wrong)"), ("certified", "certified: one wrong"),
          ("identical_states", "identical states"))


def _draw_answers(ax, summary):
    """Right panel: per n, which of the lanes hold (filled) or not (small dot), per dtype."""
    for k, (dtype, c) in enumerate(summary["curves"].items()):
        for lane, (key, _) in enumerate(_LANES):
            y = len(_LANES) - 1 - lane + 0.18 * k
            yes = c[key].astype(bool)
            ax.scatter(c["n"][yes], np.full(yes.sum(), y), s=22, color=DTYPE_COLORS[dtype],
                       label=dtype if lane == 0 else None)
            ax.scatter(c["n"][~yes], np.full((~yes).sum(), y), s=4, color=DTYPE_COLORS[dtype], alpha=0.5)
    for key, color, label in (("predicted_onset", "#ff7f0e", "predicted onset"),
                              ("observed_onset", "#8c564b", "observed onset (bf16)")):
        if summary[key] is not None:
            ax.axvline(summary[key], color=color, lw=1, ls="--" if key == "observed_onset" else "-", label=label)
    ax.set_xscale("log")
    ax.set_yticks(range(len(_LANES))[::-1], [label for _, label in _LANES], fontsize=5.5)
    ax.set_ylim(-0.5, len(_LANES) - 0.3)
    ax.set_xlabel("n")
    ax.legend(fontsize=5, loc="lower left")


def b10_figure(summaries, ctx, name):
    """Corollary B.10: per (model, task), the distance curve beside the answers.

    Parameters
    ----------
    summaries : dict
        ``{(model, task, style): verify.tasks.analysis.b10_summary(...)}``.
    ctx : Context-like
        ``figures`` (False: nothing is drawn or written) and ``figure_dir``.
    name : str
        File stem: ``figures/<name>.pdf`` and ``.png``.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        No summaries.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20), Figure 5 (p. 8).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from verify.tasks.analysis import b10_summary
    >>> from verify.tasks.run import synthetic_rows
    >>> s = {("M", "count_ones", "fewshot"): b10_summary(synthetic_rows(), "M", "count_ones", "fewshot")}
    >>> b10_figure(s, SimpleNamespace(figures=False), "x")
    []
    """
    if not summaries:
        raise ValueError("summaries must not be empty")
    if not ctx.figures:
        return []
    fig, axes = _grid(len(summaries), 2, width=4.2, height=2.6)
    for i, ((model, task, style), s) in enumerate(summaries.items()):
        _draw_distance(axes[i][0], s)
        axes[i][0].set_title(f"{model}, {task} ({style}): final states at the distinguishing token", fontsize=6.5)
        _draw_answers(axes[i][1], s)
        axes[i][1].set_title(f"{model}, {task}: answers (large: yes, small: no)", fontsize=6.5)
    return save_figure(fig, ctx, name)
