"""One figure style for every check: vector PDF for LaTeX, PNG for Markdown, written atomically.

Metadata that would change between runs (creation dates, software versions) is
stripped so that two runs write identical files.
"""

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from theory.precision import resolution_at_scale  # noqa: E402
from verify.io import atomic_write_bytes  # noqa: E402

__all__ = ["new_figure", "save_figure", "draw_resolution_lines", "DTYPE_COLORS"]

DTYPE_COLORS = {
    "fp64": "#333333", "fp32": "#1f77b4", "fp16": "#2ca02c", "bf16": "#d62728",
    "fp8_e4m3": "#9467bd", "fp8_e5m2": "#8c564b",
}

plt.rcParams.update({
    "figure.dpi": 110, "savefig.dpi": 110, "font.size": 9, "axes.titlesize": 10,
    "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 7.5, "svg.hashsalt": "tng",
    "pdf.fonttype": 42,
})


def new_figure(ncols=1, width=None, height=3.0):
    width = width or (4.6 if ncols == 1 else 3.4 * ncols)
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return fig, list(axes[0])


def draw_resolution_lines(ax, scale, dtypes=("fp16", "bf16", "fp8_e4m3"), label_side="right"):
    """Horizontal lines at each format's resolution (ulp) at ``scale``."""
    for dt in dtypes:
        r = resolution_at_scale(scale, dt)
        ax.axhline(r, color=DTYPE_COLORS[dt], ls="--", lw=0.8, label=f"{dt} ulp ({r:.1e})")


def save_figure(fig, ctx, name):
    """Write ``figures/<name>.pdf`` and ``.png`` under ``ctx.out_dir``; return their relative paths."""
    if not ctx.figures:
        plt.close(fig)
        return []
    rel = []
    fig.tight_layout()
    for ext, meta in (("pdf", {"CreationDate": None, "Producer": None, "Creator": None}),
                      ("png", {"Software": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, metadata=meta)
        path = os.path.join(ctx.figure_dir, f"{name}.{ext}")
        atomic_write_bytes(path, buf.getvalue())
        rel.append(f"figures/{name}.{ext}")
    plt.close(fig)
    return rel
