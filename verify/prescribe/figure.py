"""Heatmaps of the prescription: separator x spacing, one panel per dtype, the theory below the model.

The colour is ``log2`` of the minimum margin over ``n <= N`` (0 is margin 1, the bar);
each cell is annotated with the margin, or with the reach when the margin falls below
1 before ``N``; the recommended cell is framed. Grey cells have no margin: the prompt
exceeds the context, the tokenizer breaks prefix closure, or the states overflow.
"""

import re

import numpy as np

from verify.prescribe.report import ENCODING_NAMES, setting_label

__all__ = ["heatmaps", "draw_grid"]

#: log2 range of the colour scale: margins from 1/8 to 4096.
LOG2_RANGE = (-3.0, 12.0)


def _short(v):
    """A margin in at most 4 characters: 3.9, 39, 4e5.

    Examples
    --------
    >>> _short(3.94), _short(39.4), _short(4.1e5)
    ('3.9', '39', '4e5')
    """
    if v < 10:
        return f"{v:.2g}"
    if v < 100:
        return f"{v:.0f}"
    mantissa, exponent = f"{v:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _matrix(doc, source, dtype):
    """``(values, labels)``: log2 min margin (NaN where none) and the annotation of every cell."""
    seps = list(doc["separators"])
    ks = doc["spacings"]
    values = np.full((len(seps), len(ks)), np.nan)
    labels = [["" for _ in ks] for _ in seps]
    n = doc["max_length"]
    for c in source["cells"]:
        s = c["dtypes"].get(dtype, {})
        i = seps.index(c["separator"])
        cols = range(len(ks)) if c["every"] is None else [ks.index(c["every"])]
        if s.get("min_margin") is not None:
            v = np.log2(s["min_margin"]) if s["min_margin"] > 0 else LOG2_RANGE[0]
            text = _short(s["min_margin"]) if s["reach"] >= n else f"<1@{s['reach'] + 1}"
        else:
            v, text = np.nan, {"exceeds context": "ctx", "not prefix-closed": "tok",
                               "non-finite": "NaN"}.get(s.get("status"), "")
        for j in cols:
            values[i, j] = v
            labels[i][j] = text if (c["every"] is not None or j == 0) else ""
    return values, labels


def draw_grid(ax, doc, source, dtype, title):
    """One panel: the separator x k grid of ``source`` (a model's or the theory's cells) in ``dtype``."""
    import matplotlib
    import matplotlib.colors as mcolors
    from matplotlib.patches import Rectangle

    values, labels = _matrix(doc, source, dtype)
    norm = mcolors.TwoSlopeNorm(vmin=LOG2_RANGE[0], vcenter=0.0, vmax=LOG2_RANGE[1])
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad="#cccccc")
    img = ax.imshow(np.clip(values, *LOG2_RANGE), cmap=cmap, norm=norm, aspect="auto")
    seps, ks = list(doc["separators"]), doc["spacings"]
    for i in range(len(seps)):
        for j in range(len(ks)):
            dark = not np.isnan(values[i, j]) and abs(norm(np.clip(values[i, j], *LOG2_RANGE)) - 0.5) > 0.3
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=4.3, color="white" if dark else "black")
    rec = source["recommendation"].get(dtype)
    if rec and rec["meets"]:
        i = seps.index(rec["separator"])
        j, width = (0, len(ks)) if rec["every"] is None else (ks.index(rec["every"]), 1)
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), width, 1, fill=False, lw=1.6, ec="black"))
    ax.set_xticks(range(len(ks)), [str(k) for k in ks], fontsize=6)
    ax.set_yticks(range(len(seps)), seps, fontsize=6)
    ax.set_xlabel("spacing k", fontsize=7)
    ax.grid(False)
    if not rec or not rec["meets"]:
        best = "no setting meets the bar"
    else:
        best = "no separator needed" if rec["every"] is None else setting_label(rec["separator"], rec["every"])
    ax.set_title(f"{title}, {dtype}: {best}", fontsize=7)
    return img


def heatmaps(doc, out_dir):
    """One figure per model (its grid, then the theory's RoPE and NoPE grids), PDF and PNG; returns paths."""
    import matplotlib.pyplot as plt

    from verify.figures import save_figure
    from verify.registry import Context

    paths = []
    theory = doc["theory"]["encodings"]
    for m in doc["models"]:
        rows = [(m["label"], m)] + [(f"theory ({ENCODING_NAMES[e]})", t) for e, t in theory.items()]
        cols = len(doc["dtypes"])
        # The colour bar gets a column of its own, so that tight_layout places it like any axes.
        fig, axes = plt.subplots(len(rows), cols + 1, squeeze=False, figsize=(4.2 * cols + 0.6, 2.5 * len(rows)),
                                 gridspec_kw={"width_ratios": [1] * cols + [0.06]})
        for r, (title, source) in enumerate(rows):
            for c, dtype in enumerate(doc["dtypes"]):
                img = draw_grid(axes[r][c], doc, source, dtype, title)
            if r == len(rows) // 2:
                fig.colorbar(img, cax=axes[r][cols], label="log2 min margin (0: margin 1)")
            else:
                axes[r][cols].set_visible(False)
        fig.suptitle(f"Glasses prescription, task {doc['task']}, N = {doc['max_length']}", fontsize=9)
        slug = re.sub(r"[^a-z0-9]+", "-", m["label"].lower()).strip("-")
        paths += save_figure(fig, Context(out_dir=out_dir), f"prescription-{slug}")
    return paths
