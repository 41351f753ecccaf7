"""Checks B.9 (counting without position or mask) and B.10 (counting fails once collapsed)."""

import numpy as np
import sympy as sp

from theory import collapse as C
from theory import counting as K
from verify.checks._common import fmt, sympy_step
from verify.figures import DTYPE_COLORS, new_figure, save_figure
from verify.registry import Conditions, Findings, register

D_MODEL = 64

@register("B.9", ["6.1", "B.9"], "Counting without positions or mask")
def check_b9(ctx, causal=False, encoding="none", layers=3):
    """Proposition B.9: without positions or mask, sequences with the same ratio of 1s merge.

    Without positional encodings or a causal mask, attention sees a sequence as a
    multiset: repeating a pattern ``t`` times (``"10"``, ``"1010"``, ...) or shuffling it
    leaves every output unchanged, so the counts 1 and 2 of ``"10"`` and ``"1100"`` get
    the same representation and no readout can tell them apart.

    Negative control: ``causal=True`` (the mask carries position) keeps them apart.

    Parameters
    ----------
    ctx : verify.registry.Context
        ``ctx.quick``: repeats up to 16 instead of 64. Random stream 0 seeds the
        weights, the token vectors and the shuffles (through
        :func:`theory.counting.ratio_invariance_gap`), stream 1 the two token vectors
        of the ``"10"`` example.
    causal : bool
        False (default): bidirectional attention, the setting in which the check reads
        the proposition ("without positional encodings and a causal attention
        mechanism"; see the audit's erratum ``B.9-wording``). The negative control
        True masks causally: position ``i`` then attends to a prefix whose ratio of
        ones changes along the sequence, so repeats differ (gap about ``|y|``).
    encoding : str
        ``"none"`` (default): no positional encoding, the proposition's hypothesis.
    layers : int
        Number of layers (``>= 1``).

    Returns
    -------
    verify.registry.Findings
        ``symbolic``: the attention output is invariant under ``(n0, n1) -> (t n0,
        t n1)`` and depends only on the ratio. ``numeric``: the largest gap per
        pattern. The judge reads the sympy flags, ``data["worst"]`` (largest gap
        between repeats or shuffles of a pattern) and ``evidence["scale"]``: the gap
        must be ``<= 1e-12 |y|``. :meth:`~verify.registry.Check.run` adds the audit's
        erratum ``B.9-wording``.

    Raises
    ------
    ValueError
        For an unknown ``encoding`` or ``layers < 1``.
    TypeError
        If ``causal`` is not a bool (:mod:`theory`'s ``ArgumentTypeError``, also a
        ``ValueError``).

    References
    ----------
    Barbero et al. (2024), Proposition B.9, p. 19 (main text: Proposition 6.1, p. 9)
    (arXiv:2406.04267 v2).

    Examples
    --------
    >>> from verify.registry import Context
    >>> ctx = Context(quick=True, figures=False)
    >>> r = check_b9.run(ctx)
    >>> r.status, r.deciding
    ('pass', 'max gap 3.25e-15 (|y| ~ 3.2)')
    >>> check_b9.run(ctx, causal=True).status
    'fail'
    """
    sym = K.ratio_attention_symbolic()
    steps = [
        sympy_step("z(t n0, t n1) - z(n0, n1) = 0 for every t > 0", sym["scaled_minus_z"], 0),
        {"claim": "with n1 = r n0 the attention output does not depend on n0",
         "latex": r"\frac{\partial}{\partial n_0}\Big(" + sp.latex(sym["in_ratio"]) + r"\Big) = 0",
         "verified": sym["n0"] not in sym["in_ratio"].free_symbols},
    ]
    seed = ctx.stream_seed(0)
    model = C.SyntheticTransformer(d=D_MODEL, num_layers=layers, encoding=encoding,
                                   causal=causal, seed=seed)
    repeats = (1, 2, 4, 8, 16) if ctx.quick else (1, 2, 4, 8, 16, 32, 64)
    gaps = {pattern: K.ratio_invariance_gap(model, pattern, repeats, seed=seed)
            for pattern in ("10", "1100", "110", "1000")}
    worst = max(g["max_gap"] for g in gaps.values())
    scale = max(g["scale"] for g in gaps.values())
    # '10' versus '1100': the paper's example, same ratio, counts 1 and 2.
    y10 = model.forward(K.count_sequence("10", 1, *ctx.rng(1).normal(size=(2, D_MODEL))[::-1]))
    return Findings(
        symbolic=steps,
        quantitative={"rate": "exact: the gap is 0 in exact arithmetic for every length",
                      "threshold": "none (holds for every n)"},
        numeric={"columns": ["pattern", "repeats", "max gap"],
                 "rows": [[p, list(repeats), g["max_gap"]] for p, g in gaps.items()],
                 "precision": "fp64, 3 layers, d=64, shuffled orders"},
        evidence={"causal": causal, "encoding": encoding, "layers": layers, "seed": seed,
                  "scale": scale, "y_10_norm": float(np.abs(y10).max())},
        data={"worst": worst},
    )


@check_b9.judge
def _judge_b9(f):
    cond = Conditions()
    cond.all_verified("symbolic steps verified", f.symbolic)
    worst, scale = f.data["worst"], f.evidence["scale"]
    cond.add("same ratio, any length or order -> identical representations (gap <= 1e-12 |y|)",
             worst <= 1e-12 * scale, f"max gap {worst:.3g} at scale {scale:.3g}")
    return cond


@check_b9.summary
def _summary_b9(f):
    return f"max gap {fmt(f.data['worst'])} (|y| ~ {fmt(f.evidence['scale'])})"


@register("B.10", ["6.2", "B.10"], "Counting fails once collapsed", cost=3)
def check_b10(ctx, dtypes=("fp64", "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2"), encoding="none"):
    """Corollary B.10: some number format merges the counts n and n+1 bitwise.

    A two-layer model reads an 8-token prompt and then ``n`` or ``n + 1`` copies of
    the counted token, every intermediate rounded to the format; a *witness* is a
    grid length ``n`` at which the two final states are bitwise identical, so at
    least one of the two counts must be answered wrongly.

    Negative control: ``dtypes=("fp64",)``: no finite-precision merge in fp64.

    Parameters
    ----------
    ctx : verify.registry.Context
        ``ctx.quick``: counts up to 2,048 instead of 8,192. Random stream 0 draws
        the weights, stream 3 the prompt and the counted token.
    dtypes : tuple of str
        The formats searched (default: all six, the finite precision the corollary
        relies on). The negative control ``("fp64",)``: the distance between the two
        counts decays like ``1/n`` and stays far above float64's resolution in the
        range, so no witness exists.
    encoding : str
        ``"none"`` (default): no positional encoding, as in the counting setting.

    Returns
    -------
    verify.registry.Findings
        ``quantitative``: the witness per format (``onsets``). ``numeric``: witness and
        final distance per format. The judge reads ``data["found"]`` (some witness),
        ``data["exact"]`` (the float64 distance at the smallest witness is ``> 0``: the
        merge is not exact) and ``evidence["witnesses"]`` (none in fp64).
        :meth:`~verify.registry.Check.run` adds the audit's errata
        ``B.10-finite-precision`` and ``B.10-index``.

    Raises
    ------
    ValueError
        For an unknown format or ``encoding``.

    References
    ----------
    Barbero et al. (2024), Corollary B.10, p. 20 (main text: Corollary 6.2, p. 10)
    (arXiv:2406.04267 v2).

    Examples
    --------
    >>> from verify.registry import Context
    >>> ctx = Context(quick=True, figures=False)
    >>> r = check_b10.run(ctx, dtypes=("fp64", "fp8_e5m2"))
    >>> r.status, r.deciding
    ('pass', 'fp8_e5m2: n=256')
    >>> check_b10.run(ctx, dtypes=("fp64",)).status
    'fail'
    """
    n_max = 2048 if ctx.quick else 8192
    rng = ctx.rng(3)
    prompt = rng.normal(size=(8, D_MODEL))
    one = rng.normal(size=D_MODEL)
    lengths = C.geometric_lengths(2, n_max, 4)
    seed = ctx.stream_seed(0)
    runs = {dt: K.count_collapse_witness(
        C.SyntheticTransformer(d=D_MODEL, num_layers=2, encoding=encoding, dtype=dt, seed=seed),
        prompt, one, lengths) for dt in dtypes}
    exact = runs.get("fp64") or K.count_collapse_witness(
        C.SyntheticTransformer(d=D_MODEL, num_layers=2, encoding=encoding, dtype="fp64", seed=seed),
        prompt, one, lengths)
    witnesses = {dt: r["witness"] for dt, r in runs.items()}
    found = {dt: w for dt, w in witnesses.items() if w is not None}
    return Findings(
        quantitative={"onsets": {dt: {"bitwise_identical_at": w} for dt, w in witnesses.items()},
                      "onset_meaning": "smallest n (on the grid) at which counts n and n+1 give "
                                       "bitwise-identical final representations in the format"},
        numeric={"columns": ["format", "witness n", "distance at n_max"],
                 "rows": [[dt, r["witness"], float(r["linf"][-1])] for dt, r in runs.items()],
                 "precision": "2 layers, d=64, NoPE, every intermediate rounded"},
        evidence={"dtypes": list(dtypes), "n_max": n_max, "witnesses": witnesses, "encoding": encoding,
                  "seed": seed},
        data={"runs": runs, "exact": exact, "found": found},
    )


@check_b10.judge
def _judge_b10(f):
    cond = Conditions()
    found, exact, witnesses = f.data["found"], f.data["exact"], f.evidence["witnesses"]
    cond.add("some format merges counts n and n+1 bitwise (a witness exists)", bool(found),
             f"no witness up to n={f.evidence['n_max']} in {', '.join(f.evidence['dtypes'])}")
    if found:
        dt, w = min(found.items(), key=lambda kv: kv[1])
        d_exact = float(exact["linf"][list(exact["n"]).index(w)])
        cond.add("the two sequences differ in exact arithmetic at the witness", d_exact > 0,
                 f"fp64 distance {d_exact:.3g}")
    cond.add("no witness in fp64 (the merge is a finite-precision effect)",
             witnesses.get("fp64") is None, f"fp64 witness at {witnesses.get('fp64')}")
    return cond


@check_b10.summary
def _summary_b10(f):
    return ", ".join(f"{k}: n={v}" for k, v in f.data["found"].items()) or "no witness"


@check_b10.figure
def _figure_b10(f, ctx):
    fig, (ax,) = new_figure()
    for dt, r in f.data["runs"].items():
        ax.loglog(r["n"], np.where(r["linf"] > 0, r["linf"], np.nan), color=DTYPE_COLORS[dt],
                  lw=1, label=dt)
        same = r["identical"]
        if same.any():
            ax.scatter(r["n"][same], np.full(same.sum(), 1e-6), color=DTYPE_COLORS[dt], marker="v", s=14)
    ax.set_xlabel("count n (copies of the counted token)")
    ax.set_ylabel(r"$\|y_n - y_{n+1}\|_\infty$ in the format")
    ax.set_ylim(5e-7, 3)
    ax.set_title("Cor. B.10: counts merged (triangles: bitwise equal)")
    ax.legend(fontsize=6.5, ncol=2)
    return save_figure(fig, ctx, "B.10")


# doctest collects functions and classes; a registered check is a Check object, so the
# examples in its compute function's docstring are listed here for --doctest-modules.
__test__ = {check.id: check.compute for check in (check_b9, check_b10)}
