"""Checks of the claims of Appendix C added in v2 (C.5, C.6) and of how the proofs use each other.

- ``C.5``: the two prompt structures of Figure 11 both put the sequence last, so
  Theorem B.3's collapse applies to both ("for both types of prompts, the model ends up
  failing"); in the synthetic Transformer the prompt changes how fast, not whether (the
  real-model side is in the Section 3 task checks).
- ``C.6``: "local sliding windows elegantly address representational collapse and
  over-squashing", tested with all-global, all-local and 5:1 local/global layers
  (:func:`theory.audit.c6_local_windows`).
- ``deps``: every place where a proof cites another statement, with whether the cited
  statement's hypotheses hold there (:func:`theory.audit.audit_uses`), drawn as the
  dependency graph of the statements.
"""

import networkx as nx
import numpy as np

from graphs.paths import path_count_profile
from theory import audit as A
from theory import collapse as C
from theory.statements import PROMPTS, STATEMENTS
from verify.figures import new_figure, save_figure
from verify.registry import Conditions, Findings, register

# --------------------------------------------------------------------------- C.5

C5_TYPES = ("C.5/type1", "C.5/type2")


def _prompt_before_sequence(key):
    """The words of a prompt structure before ``{seq}``; both structures end with the sequence."""
    template = PROMPTS[key]["template"]
    head, sep, tail = template.partition("{seq}")
    return head.split(), sep == "{seq}" and not tail.strip()


@register("C.5", ["C.5", "fig11"], "Both prompt structures end with the sequence: both collapse")
def check_c5(ctx, structures=C5_TYPES, encoding="none", d=32, n_max=None):
    """Appendix C.5: Type 1 and Type 2 prompts both collapse; the prompt changes the level and the rate.

    A prompt structure is modelled by its words before ``{seq}`` as random token vectors
    (one per word), then the sequence of ones; the distance between the final states
    of the prompts with n and n + 1 ones is swept over n.

    Negative control: ``encoding="sinusoidal_input"``, absolute positions added to the
    tokens (outside Theorem B.3's hypotheses): the last token's position differs between
    the two prompts and neither structure collapses.

    Parameters
    ----------
    ctx : verify.registry.Context
        ``ctx.quick``: ``n_max`` 1,024 instead of 8,192. Random stream 0 draws the
        weights, stream 1 the counted token and the prompt words.
    structures : tuple of str
        Keys of :data:`theory.statements.PROMPTS`; by default both prompt types of
        Appendix C.5 (:data:`C5_TYPES`).
    encoding : str
        ``"none"`` (default) meets Theorem B.3's hypothesis (encodings that decay with
        distance). The negative control ``"sinusoidal_input"`` adds absolute positions
        to the tokens: the final tokens of the two prompts sit at different positions,
        so their states differ by a fixed amount and the slopes stay near 0.
    d : int
        Model width (even, ``>= 2``).
    n_max : int, optional
        Largest number of ones (``>= 4``); None for the mode's default.

    Returns
    -------
    verify.registry.Findings
        ``numeric``: per structure the words before ``{seq}``, whether the sequence
        comes last, the distances at both ends and the tail slope. The judge reads
        ``data["sweeps"][key]["slope"]`` for every structure (``<= -0.5``).
        :meth:`~verify.registry.Check.run` adds the audit's erratum
        ``C.5-prompt-quotes``.

    Raises
    ------
    KeyError
        If a structure is not a key of :data:`theory.statements.PROMPTS`.
    ValueError
        For an unknown ``encoding``, an odd or too small ``d``, or ``n_max < 4``.

    References
    ----------
    Barbero et al. (2024), Appendix C.5, p. 23, and Figure 11, p. 24; Theorem B.3,
    p. 15 (arXiv:2406.04267 v2).

    Examples
    --------
    >>> from verify.registry import Context
    >>> ctx = Context(quick=True, figures=False)
    >>> r = check_c5.run(ctx, n_max=512)
    >>> r.status, r.deciding
    ('pass', 'type1: slope -0.80, type2: slope -1.11')
    >>> check_c5.run(ctx, n_max=512, encoding="sinusoidal_input").status
    'fail'
    """
    n_max = n_max or (1024 if ctx.quick else 8192)
    model = C.SyntheticTransformer(d=d, num_layers=2, encoding=encoding, seed=ctx.stream_seed(0))
    rng = ctx.rng(1)
    one = rng.normal(size=d)
    sweeps = {}
    for key in structures:
        words, last = _prompt_before_sequence(key)
        prompt = rng.normal(size=(len(words), d))
        lengths = C.geometric_lengths(4, n_max, 2)
        dist = []
        for n in lengths:
            body = np.repeat(one[None], n, axis=0)
            a = model.forward(np.concatenate([prompt, body]))[-1]
            b = model.forward(np.concatenate([prompt, body, one[None]]))[-1]
            dist.append(float(np.abs(a - b).sum()))
        sweeps[key] = {"words_before_sequence": len(words), "sequence_last": last, "n": lengths,
                       "l1": np.array(dist), "slope": C.loglog_slope(lengths, dist)}
    return Findings(
        numeric={"columns": ["structure", "words before {seq}", "sequence last", "L1 at n=4",
                             f"L1 at n={n_max}", "tail slope"],
                 "rows": [[k, v["words_before_sequence"], v["sequence_last"], v["l1"][0], v["l1"][-1], v["slope"]]
                          for k, v in sweeps.items()],
                 "precision": f"fp64, 2 layers, encoding {encoding}, d={d}"},
        evidence={"structures": list(structures), "encoding": encoding, "n_max": n_max,
                  "seed": ctx.stream_seed(0), "templates": {k: PROMPTS[k]["template"] for k in structures}},
        data={"sweeps": sweeps},
    )


@check_c5.judge
def _judge_c5(f):
    cond = Conditions()
    sweeps = f.data["sweeps"]
    for key, v in sweeps.items():
        cond.add(f"{key}: the distance collapses (tail slope <= -0.5)", v["slope"] <= -0.5, f"slope {v['slope']:.3f}")
    return cond


@check_c5.summary
def _summary_c5(f):
    return ", ".join(f"{k.split('/')[-1]}: slope {v['slope']:.2f}" for k, v in f.data["sweeps"].items())


@check_c5.figure
def _figure_c5(f, ctx):
    fig, (ax,) = new_figure()
    for key, v in f.data["sweeps"].items():
        ax.loglog(v["n"], v["l1"], marker="o", ms=2, label=f"{key} ({v['words_before_sequence']} words first)")
    ax.set_xlabel("number of ones n")
    ax.set_ylabel(r"$\|y_n - y^*_{n+1}\|_1$")
    ax.set_title("C.5: both prompt structures collapse")
    ax.legend(fontsize=7)
    return save_figure(fig, ctx, "C.5")


# --------------------------------------------------------------------------- C.6


@register("C.6", ["C.6"], "Local sliding windows: what they do to collapse and over-squashing")
def check_c6(ctx, width=8, num_layers=6):
    """Appendix C.6 in the synthetic Transformer: all-global, all-local and 5:1 local/global layers.

    Negative control: ``width=4096``, a window wider than every prompt: the local layers
    are then global, and the all-local model collapses like the all-global one.

    Parameters
    ----------
    ctx : verify.registry.Context
        ``ctx.quick``: lengths up to 256 and path counts to the last of 256 tokens,
        instead of 512 and 512. Random stream 0 seeds the weights, the eight random
        prefixes and the counting prompt (:func:`theory.audit.c6_local_windows`).
    width : int
        Window of the local layers (``>= 1``); 8 (default) is far below the lengths
        swept, the situation Appendix C.6 describes. The negative control 4096 is
        wider than every prompt, so "local" attention is global.
    num_layers : int
        Layers of each model (``>= 1``); the 5:1 pattern has a global layer at every
        sixth, so 6 (default) gives one global layer.

    Returns
    -------
    verify.registry.Findings
        ``numeric``: per pattern (``global``, ``local``, ``mix5:1``) the slopes on the
        random-prefix and the counting pairs, where the counting pair becomes
        identical, the unreachable tokens and the path counts. The judge reads
        ``data["patterns"]``: all-global collapses (both slopes ``<= -0.5``),
        all-local collapses at most half as fast on the random-prefix pair, cuts some
        token off (``unreachable > 0``), and the 5:1 mix cuts none.
        :meth:`~verify.registry.Check.run` adds the audit's erratum
        ``C.6-local-windows``.

    Raises
    ------
    ValueError
        If ``width < 1`` or ``num_layers < 1``.

    References
    ----------
    Barbero et al. (2024), Appendix C.6, pp. 23-24 (arXiv:2406.04267 v2); Gemma Team
    (2024), "Gemma 2: Improving open language models at a practical size",
    arXiv:2408.00118 (the interleaved local/global layers).

    Examples
    --------
    >>> from verify.registry import Context
    >>> r = check_c6.run(Context(quick=True, figures=False))
    >>> r.status, r.evidence["patterns"]["local"]["unreachable"] > 0
    ('pass', True)
    """
    # Eight random prefixes per length: the local distance depends on the tokens in the
    # window, so a few prefixes would let the noise decide the slope.
    ns = (32, 64, 128, 256) if ctx.quick else (32, 64, 128, 256, 512)
    r = A.c6_local_windows(num_layers=num_layers, width=width, ns=ns, path_n=256 if ctx.quick else 512,
                           prefixes=8, seed=ctx.stream_seed(0))
    patterns = {p: r[p] for p in A.WINDOW_PATTERNS}
    return Findings(
        numeric={"columns": ["layers", "slope (random prefix)", "slope (ones)", "identical from n",
                             "unreachable tokens", "paths from token 1", "max/min paths"],
                 "rows": [[p, v["slope_random_prefix"], v["slope_ones"], v["identical_from"], v["unreachable"],
                           v["paths_first"], v["max_over_min_reachable"]] for p, v in patterns.items()],
                 "precision": f"fp64, {num_layers} layers, window {width}, NoPE"},
        evidence={"width": width, "num_layers": num_layers, "n": list(ns), "seed": ctx.stream_seed(0),
                  "receptive_field": r["receptive_field"],
                  "patterns": {p: {k: v[k] for k in ("windows", "slope_random_prefix", "slope_ones",
                                                     "identical_from", "unreachable", "paths_first")}
                               for p, v in patterns.items()}},
        data={"patterns": patterns},
    )


@check_c6.judge
def _judge_c6(f):
    cond = Conditions()
    p = f.data["patterns"]
    cond.add("all-global layers collapse on both prompt pairs (slopes <= -0.5)",
             p["global"]["slope_random_prefix"] <= -0.5 and p["global"]["slope_ones"] <= -0.5,
             f"slopes {p['global']['slope_random_prefix']:.2f}, {p['global']['slope_ones']:.2f}")
    g, loc = p["global"]["slope_random_prefix"], p["local"]["slope_random_prefix"]
    cond.add("all-local layers keep the random-prefix pair apart: they collapse at most half as fast as "
             "all-global layers", loc > g / 2, f"slope {loc:.2f} vs global {g:.2f}")
    cond.add("all-local layers cut tokens off the last one (some token has no path)",
             p["local"]["unreachable"] > 0, f"{p['local']['unreachable']} unreachable")
    cond.add("the 5:1 mix keeps every token reachable", p["mix5:1"]["unreachable"] == 0,
             f"{p['mix5:1']['unreachable']} unreachable")
    return cond


@check_c6.summary
def _summary_c6(f):
    p = f.data["patterns"]
    def ones(v):
        return f"ones identical from n={v['identical_from']}" if v["identical_from"] else f"ones {v['slope_ones']:.2f}"

    return "; ".join(f"{k}: slope random {v['slope_random_prefix']:.2f}, {ones(v)}, {v['unreachable']} cut off"
                     for k, v in p.items())


@check_c6.figure
def _figure_c6(f, ctx):
    n = f.evidence["n"]
    fig, (ax1, ax2) = new_figure(2, width=7.6, height=3.2)
    colors = {"global": "#1f77b4", "local": "#d62728", "mix5:1": "#2ca02c"}
    for p, v in f.data["patterns"].items():
        ax1.loglog(n, v["random_prefix"], color=colors[p], marker="o", ms=3, label=f"{p}: random prefix")
        ones = np.where(np.array(v["ones"]) > 0, v["ones"], np.nan)
        ax1.loglog(n, ones, color=colors[p], ls="--", marker="x", ms=3, label=f"{p}: ones")
    ax1.set_xlabel("sequence length n")
    ax1.set_ylabel(r"$\|y_n - y^*_{n+1}\|_1$")
    ax1.set_title("C.6: collapse with sliding windows")
    ax1.legend(fontsize=5.5)
    for p in f.data["patterns"]:
        windows = f.data["patterns"][p]["windows"]
        counts = np.array(path_count_profile(256, windows), dtype=float)
        ax2.semilogy(np.arange(len(counts)), np.where(counts > 0, counts, np.nan), color=colors[p], label=p)
    ax2.set_xlabel("input position i (n = 256)")
    ax2.set_ylabel("paths to the last token")
    ax2.set_title("over-squashing: path counts")
    ax2.legend(fontsize=6)
    return save_figure(fig, ctx, "C.6")


# --------------------------------------------------------------------------- dependencies

VERDICT_COLORS = {"ok": "#2ca02c", "broken, conclusion survives": "#ff7f0e", "broken": "#d62728"}


@register("deps", ["B.3", "B.8", "B.10"], "Where proofs use other statements: do the hypotheses hold there?")
def check_deps(ctx, reported=None):
    """Every citation of one statement inside another's proof, audited (the dependency graph).

    ``reported`` are the erratum keys that count as reporting a broken use (default: all
    of the audit's). Negative control: ``reported=()``: the uses whose cited hypotheses
    fail (B.3's uses of B.2 and B.1, ...) are then unreported. The audit functions behind
    each use have their own controls in ``tests/test_audit.py``.

    Parameters
    ----------
    ctx : verify.registry.Context
        Unused: the audit of the uses does not depend on the mode, and nothing is
        random.
    reported : iterable of str, optional
        Erratum keys that report a broken use; None (default) for every erratum of
        :data:`theory.audit.ERRATA`. The negative control ``()`` reports none, so the
        uses whose cited hypotheses fail are unreported and the check fails.

    Returns
    -------
    verify.registry.Findings
        ``numeric``: one row per use (citing, cited, page, whether the hypotheses
        hold there, verdict, erratum). ``evidence["uses"]``: each use with its quote
        and numbers. The judge reads ``data["rows"]`` (every cited statement is one of
        the paper's; every use whose hypotheses fail names an erratum) and
        ``evidence["reported"]``.

    Raises
    ------
    TypeError
        If ``reported`` is not iterable.

    References
    ----------
    Barbero et al. (2024), the proofs of Theorem B.3 (p. 15), Proposition B.8 (p. 18)
    and Corollary B.10 (p. 20), and every other citation listed by
    :func:`theory.audit.audit_uses` (arXiv:2406.04267 v2).

    Examples
    --------
    >>> from verify.registry import Context
    >>> ctx = Context(quick=True, figures=False)
    >>> r = check_deps.run(ctx)
    >>> r.status, r.deciding
    ('pass', '13 uses; 6 with a hypothesis that fails at the place of use')
    >>> check_deps.run(ctx, reported=()).status
    'fail'
    """
    rows = A.audit_uses()
    reported = sorted(e.key for e in A.ERRATA) if reported is None else sorted(reported)
    return Findings(
        numeric={"columns": ["citing", "cited", "page", "hypotheses hold there", "verdict", "related erratum"],
                 "rows": [[r["citing"], r["cited"], r["page"], r["holds"], r["verdict"], r["erratum"] or ""]
                          for r in rows],
                 "precision": "each use evaluated by its audit function (theory.audit)"},
        evidence={"reported": reported, "uses": [{k: r[k] for k in ("citing", "cited", "page", "quote", "needed", "hypotheses",
                                              "holds", "conclusion_survives", "verdict", "erratum", "numbers")}
                           for r in rows]},
        data={"rows": rows},
    )


@check_deps.judge
def _judge_deps(f):
    cond = Conditions()
    rows = f.data["rows"]
    unknown = [r for r in rows if r["cited"] not in STATEMENTS and r["cited"] != "external"]
    cond.add("every cited statement is a statement of the paper", not unknown,
             ", ".join(f"{r['citing']}->{r['cited']}" for r in unknown))
    keys = set(f.evidence["reported"])
    silent = [r for r in rows if not r["holds"] and r["erratum"] not in keys]
    cond.add("every use whose cited hypotheses fail is reported by an erratum of the audit", not silent,
             ", ".join(f"{r['citing']}->{r['cited']}" for r in silent))
    return cond


@check_deps.summary
def _summary_deps(f):
    rows = f.data["rows"]
    broken = [r for r in rows if not r["holds"]]
    return f"{len(rows)} uses; {len(broken)} with a hypothesis that fails at the place of use"


def dependency_graph(rows):
    """The statements as a networkx MultiDiGraph: one edge citing -> cited per use, with its verdict.

    Parameters
    ----------
    rows : iterable of dict
        Uses as :func:`theory.audit.audit_uses` returns them; each needs
        ``"citing"``, ``"cited"``, ``"verdict"`` and ``"page"``.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes are statement ids (and ``"external"``); one edge per use, with the
        attributes ``verdict`` (``"ok"``, ``"broken, conclusion survives"`` or
        ``"broken"``) and ``page``. Two uses of the same statement in one proof are
        two parallel edges.

    Raises
    ------
    KeyError
        If a row lacks one of the four keys.

    References
    ----------
    Barbero et al. (2024), the proofs of Appendix B, pp. 13-20 (arXiv:2406.04267 v2);
    Hagberg, Schult and Swart (2008), "Exploring network structure, dynamics, and
    function using NetworkX", Proc. SciPy (``MultiDiGraph``).

    Examples
    --------
    >>> G = dependency_graph([
    ...     {"citing": "B.3", "cited": "B.2", "verdict": "broken, conclusion survives", "page": 15},
    ...     {"citing": "B.3", "cited": "B.1", "verdict": "broken, conclusion survives", "page": 15},
    ...     {"citing": "B.10", "cited": "B.3", "verdict": "ok", "page": 20}])
    >>> sorted(G.successors("B.3")), G.number_of_edges()
    (['B.1', 'B.2'], 3)
    """
    G = nx.MultiDiGraph()
    for r in rows:
        G.add_edge(r["citing"], r["cited"], verdict=r["verdict"], page=r["page"])
    return G


def _layered_positions(nodes):
    """Main text on top, Appendix B in the middle, Appendix C below, each row in the paper's order."""
    order = list(STATEMENTS) + ["external"]

    def row(node):
        if node.startswith("C.") or node.startswith("fig"):
            return 0
        return 2 if node[0].isdigit() or node in ("S2", "S4", "S5") else 1

    pos = {}
    for level in (0, 1, 2):
        members = sorted((n for n in nodes if row(n) == level), key=order.index)
        for k, n in enumerate(members):
            pos[n] = ((k + 0.5) / max(len(members), 1), level)
    return pos


@check_deps.figure
def _figure_deps(f, ctx):
    G = dependency_graph(f.data["rows"])
    # The main-text statements beside their appendix versions (dotted: "informal version of").
    informal = [(s.id, s.informal_of) for s in STATEMENTS.values() if s.informal_of and s.id in G]
    # Sorted: the drawing order (and so the PDF's bytes) must not depend on PYTHONHASHSEED.
    nodes = sorted(set(G) | {b for _, b in informal})
    pos = _layered_positions(nodes)
    fig, (ax,) = new_figure(width=7.0, height=3.8)
    H = nx.DiGraph()
    H.add_nodes_from(nodes)
    nx.draw_networkx_edges(H, pos, edgelist=informal, style=":", edge_color="#999999", ax=ax, arrows=False)
    ax.plot([], [], color="#999999", ls=":", label="main-text version of")
    for verdict, color in VERDICT_COLORS.items():
        edges = [(u, v) for u, v, d in G.edges(data=True) if d["verdict"] == verdict]
        # Arcs, so that an edge within a row passes above the statements between its ends.
        nx.draw_networkx_edges(H, pos, edgelist=edges, edge_color=color, ax=ax, arrows=True, arrowsize=11,
                               width=1.5, connectionstyle="arc3,rad=-0.35", node_size=620)
        ax.plot([], [], color=color, label=verdict)
    nx.draw_networkx_nodes(H, pos, node_color="#f4f4f4", edgecolors="#333333", node_size=620, ax=ax)
    nx.draw_networkx_labels(H, pos, labels={n: "ext." if n == "external" else n for n in H}, font_size=6.5, ax=ax)
    for y, label in ((2, "main text"), (1, "Appendix B"), (0, "Appendix C")):
        ax.text(-0.02, y, label, ha="right", va="center", fontsize=7, color="#555555")
    ax.set_xlim(-0.18, 1.02)
    ax.set_ylim(-0.5, 2.6)
    ax.set_title("Which proof uses which statement (arrow: citing -> cited)")
    ax.legend(fontsize=6, loc="lower right", ncol=2)
    ax.axis("off")
    return save_figure(fig, ctx, "deps")


# doctest collects functions and classes; a registered check is a Check object, so the
# examples in its compute function's docstring are listed here for --doctest-modules.
__test__ = {check.id: check.compute for check in (check_c5, check_c6, check_deps)}
