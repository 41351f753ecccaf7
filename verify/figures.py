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
    """A figure of ``ncols`` axes side by side, in the house style (one row).

    Parameters
    ----------
    ncols : int
        Number of axes.
    width : float, optional
        Width in inches; by default 4.6 for one axis and 3.4 per axis otherwise.
    height : float
        Height in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of matplotlib.axes.Axes
        The ``ncols`` axes, left to right (a list even for one axis, so that
        ``fig, (ax,) = new_figure()`` works).

    Raises
    ------
    ValueError
        If ``ncols`` is not a positive integer, or ``height`` or ``width`` is not a
        positive finite number (matplotlib refuses the size; a ``width`` of 0 or None
        means the default).

    References
    ----------
    Matplotlib documentation, ``matplotlib.pyplot.subplots`` (``squeeze=False``);
    the style is the ``plt.rcParams`` set at the top of this module.

    Examples
    --------
    >>> fig, axes = new_figure(2)
    >>> len(axes), fig.get_size_inches().tolist()
    (2, [6.8, 3.0])
    >>> plt.close(fig)
    """
    width = width or (4.6 if ncols == 1 else 3.4 * ncols)
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    return fig, list(axes[0])


def draw_resolution_lines(ax, scale, dtypes=("fp16", "bf16", "fp8_e4m3")):
    """Horizontal lines at each format's resolution (ulp) at ``scale``.

    A quantity below its format's line cannot be told from zero next to a value of
    size ``scale``: this is where the representational collapse of Theorem B.3 shows
    in finite precision.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on; each line gets a legend label ``"<dtype> ulp (<value>)"``.
    scale : float
        The magnitude of the values compared (for example ``max |y|``), finite and > 0.
    dtypes : sequence of str
        Formats among ``"fp64"``, ``"fp32"``, ``"fp16"``, ``"bf16"``, ``"fp8_e4m3"``,
        ``"fp8_e5m2"`` (colours from :data:`DTYPE_COLORS`).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        If ``scale`` is not a finite real > 0 or a dtype is not one of the formats
        (from :func:`theory.precision.resolution_at_scale`).

    References
    ----------
    Barbero et al. (2024), Theorem B.3, p. 15, and Section 4 (collapse in low
    floating-point precision), p. 7 (arXiv:2406.04267 v2); IEEE Std 754-2019 (binary16,
    binary32, binary64); OCP 8-bit Floating Point Specification (OFP8), rev. 1.0
    (E4M3, E5M2).

    Examples
    --------
    >>> fig, (ax,) = new_figure()
    >>> draw_resolution_lines(ax, 1.0, dtypes=("bf16", "fp16"))
    >>> [line.get_label() for line in ax.lines]
    ['bf16 ulp (7.8e-03)', 'fp16 ulp (9.8e-04)']
    >>> plt.close(fig)
    """
    for dt in dtypes:
        r = resolution_at_scale(scale, dt)
        ax.axhline(r, color=DTYPE_COLORS[dt], ls="--", lw=0.8, label=f"{dt} ulp ({r:.1e})")


def save_figure(fig, ctx, name):
    """Write ``figures/<name>.pdf`` and ``.png`` under ``ctx.out_dir``; return their relative paths.

    The figure is closed in every case. Creation dates and software versions are
    left out of both files, so two runs write identical bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (laid out with ``tight_layout`` before saving).
    ctx : verify.registry.Context
        The run: nothing is written when ``ctx.figures`` is false; otherwise the files
        go to ``ctx.figure_dir``.
    name : str
        File name without extension (``"B.3"``, ``"fig9"``).

    Returns
    -------
    list of str
        ``["figures/<name>.pdf", "figures/<name>.png"]`` (relative to
        ``ctx.out_dir``, as ``results.json`` records them), or ``[]`` when figures are
        off.

    Raises
    ------
    OSError
        If a file cannot be written (:func:`verify.io.atomic_write_bytes`; the message
        names the path).

    References
    ----------
    Matplotlib documentation, ``Figure.savefig`` (``metadata``: for PDF, a key set to
    None is omitted; for PNG, ``"Software"``); reproducible-builds.org, "Timestamps"
    (why dates are dropped).

    Examples
    --------
    >>> import tempfile
    >>> from verify.registry import Context
    >>> fig, (ax,) = new_figure()
    >>> _ = ax.plot([1, 2], [3, 4])
    >>> save_figure(fig, Context(out_dir=tempfile.mkdtemp()), "demo")
    ['figures/demo.pdf', 'figures/demo.png']
    >>> fig, _ = new_figure()
    >>> save_figure(fig, Context(figures=False), "demo")
    []
    """
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
