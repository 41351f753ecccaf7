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

    Negative control: ``causal=True`` (the mask carries position) keeps them apart.
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

    Negative control: ``dtypes=("fp64",)``: no finite-precision merge in fp64.
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
