"""Render the proof-check appendix (Markdown and LaTeX) from ``results.json`` alone.

Nothing is recomputed: ``python -m verify.all --render-only`` re-renders from the
file. Output is a pure function of the JSON, so two renders are byte-identical.
Every file is written atomically.

The LaTeX file is a standalone document that can also be ``\\input`` into a paper:
it only emits the preamble and ``\\begin{document}`` when no document has begun.
Inside a paper, load ``amsmath, graphicx, booktabs, adjustbox, hyperref`` and set
``\\newcommand{\\tngAppendixDir}{path/to/docs/appendix/}`` before the ``\\input``.
"""

import os
import re
import shutil
import subprocess
import tempfile

from verify.appendix.content import (
    FIVE_STEPS,
    SEVERITY_ORDER,
    STATUS_COLUMNS,
    all_errata,
    cross_checks,
    evidence_items,
    looks_like_math,
    prescription_section,
    statement_status,
)
from verify.io import atomic_write_bytes, atomic_write_text

__all__ = ["render_appendix", "render_markdown", "render_latex", "compile_pdf", "latex_escape", "safe_math"]

STATUS_MARK = {"pass": "pass", "fail": "FAIL", "skip": "skip"}


def _load(path):
    from verify.output import load_results

    return load_results(path)


def _num(v):
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.4g}"
        return f"{v:.5g}"
    if isinstance(v, list):
        return ", ".join(_num(x) for x in v)
    return str(v)


# --------------------------------------------------------------------------- Markdown


def _slug(heading):
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens.

    Examples
    --------
    >>> _slug("real.B5: Measured sensitivity vs the path-sum bound")
    'realb5-measured-sensitivity-vs-the-path-sum-bound'
    """
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _md_escape(text):
    return str(text).replace("|", "\\|")


def _md_table(columns, rows):
    out = ["| " + " | ".join(_md_escape(c) for c in columns) + " |",
           "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(_md_escape(_num(v)) for v in r) + " |")
    return "\n".join(out)


def _onset_rows(onsets):
    keys = []
    for o in onsets.values():
        for k in o:
            if k not in keys:
                keys.append(k)
    return keys, [[dt] + [o.get(k) for k in keys] for dt, o in onsets.items()]


def _md_text(text):
    """Prose with ``$...$`` maths as it is; a bare LaTeX expression (a quote) wrapped in ``$``."""
    text = str(text)
    if looks_like_math(text) and safe_math(text) is not None:
        return f"${text}$"
    return text


def _md_guide():
    L = ["## How to check this appendix in five steps", ""]
    for k, (head, body) in enumerate(FIVE_STEPS, 1):
        L += [f"{k}. **{head}** {body}", ""]
    return L


def _md_check(doc, c):
    L = [f"## {c['id']}: {c['title']}", "",
         f"*Paper:* {', '.join(c['paper_refs'])}. *Status:* **{c['status']}**"
         + (f" ({c['reason']})" if c.get("reason") else "") + "", ""]
    if c.get("statement"):
        L += ["> " + c["statement"].replace("\n", " "), ""]
    if c.get("symbolic"):
        L += ["**Symbolic steps (sympy)**", ""]
        for s in c["symbolic"]:
            mark = "verified" if s["verified"] else "NOT verified"
            L.append(f"- {s['claim']} ({mark}): $${s['latex']}$$")
        L.append("")
    q = c.get("quantitative") or {}
    if q.get("rate") or q.get("threshold"):
        L += ["**Quantitative version**", ""]
        for label, key in (("Rate", "rate"), ("Threshold", "threshold")):
            if q.get(key):
                L.append(f"- {label}: ${q[key]}$" if _is_math(q[key]) else f"- {label}: {q[key]}")
        L.append("")
    if q.get("onsets"):
        keys, rows = _onset_rows(q["onsets"])
        L += [f"Collapse onset per format ({q.get('onset_meaning', '')}):", "",
              _md_table(["format"] + [k.replace("_", " ") for k in keys], rows), ""]
    if (c.get("evidence") or {}).get("paper_comparison"):
        L += ["**Beside the paper**", ""] + [f"- {_md_text(x)}" for x in c["evidence"]["paper_comparison"]] + [""]
    num = c.get("numeric") or {}
    if num.get("rows"):
        L += [f"**Numeric evidence** ({num.get('precision', '')})", "",
              _md_table(num["columns"], num["rows"]), ""]
    if num.get("enclosures"):
        L += ["Rigorous enclosures:", "", _md_table(num["enclosure_columns"], num["enclosures"]), ""]
    for f in c.get("figures", []):
        if f.endswith(".png") and _FIGURE_PATH.match(f):
            L += [f"![{c['id']}]({f})", ""]
    for g in cross_checks(doc, c):
        anchor = _slug(f"{g['id']}: {g['title']}")
        L += [f"**Real-model cross-check** [{g['id']}](#{anchor}): **{g['status']}**, {g.get('deciding', '')}", ""]
        for f in g.get("figures", []):
            if f.endswith(".png") and _FIGURE_PATH.match(f):
                L += [f"![{g['id']}]({f})", ""]
    for conf in c.get("confirmations", []):
        L += [f"**Confirmation** ({conf['key']}, p. {conf['page']}): {conf['finding']}", ""]
    if c.get("errata"):
        keys = ", ".join(f"[{e['key']}](#{_slug(_erratum_heading(e))})" for e in c["errata"])
        L += [f"Errata for this statement: {keys}.", ""]
    return L


def _erratum_heading(e):
    return f"{e['key']} ({e['severity']}, p. {e['page']})"


def _md_errata(doc):
    errata = all_errata(doc)
    counts = ", ".join(f"{sum(e['severity'] == s for e in errata)} {s}" for s in SEVERITY_ORDER)
    L = ["## Errata of the published paper (arXiv v2)", "",
         f"{len(errata)} entries ({counts}), each graded by one rule:", ""]
    L += [f"- {line}" for line in doc.get("severity_rule", [])] + [""]
    for e in errata:
        ev = ", ".join(f"{k} = {_num(v)}" for k, v in evidence_items(e["evidence"]))
        L += [f"### {_erratum_heading(e)}", "",
              f"*Where:* {e['where']} (statement {e['statement']}, page {e['page']}; check {e['check']}).", "",
              f"*Printed:* {_md_text(e['quote'])}", "",
              f"*Issue:* {e['issue']}", "",
              f"*Evidence* (computed, {'supports' if e['supported'] else 'DOES NOT support'} the entry): {ev}", "",
              f"*Suggested correction:* {_md_text(e['correction'])}", ""]
    return L


def _md_changes(doc):
    L = ["## Changes from the preprint (v1 to v2)", "",
         "History, not errata: what the published version changed relative to the preprint.", ""]
    rows = [[c["statement"], c["v2_page"], c["change"]] for c in doc.get("changes_from_preprint", [])]
    return L + [_md_table(["statement", "v2 page", "change"], rows), ""]


def _md_dependencies(doc):
    deps = next((c for c in doc["checks"] if c["id"] == "deps"), None)
    if deps is None:
        return []
    L = ["## Dependencies between the statements", "",
         "Where a proof cites another statement, and whether the cited hypotheses hold there "
         f"(check [deps](#{_slug('deps: ' + deps['title'])})).", ""]
    for f in deps.get("figures", []):
        if f.endswith(".png") and _FIGURE_PATH.match(f):
            L += [f"![dependency graph]({f})", ""]
    rows = [[u["citing"], u["cited"], u["page"], u["verdict"], u["erratum"] or "-"]
            for u in deps["evidence"].get("uses", [])]
    return L + [_md_table(["citing", "cited", "page", "verdict", "erratum"], rows), ""]


_PRESCRIPTION_INTRO = ("Which separator, and how often, keeps two prompts one repeated digit apart distinguishable "
                       "for each model and dtype (check real.prescription, a quick subset: no separator, a comma or "
                       "a space every 1 or 3 digits, fp32 and bf16); `python -m verify.prescribe` runs the whole "
                       "grid (7 separators x 8 spacings x 3 dtypes).")


def _md_prescription(doc):
    p = prescription_section(doc)
    if p is None:
        return []
    L = ["## Glasses prescription", "", _PRESCRIPTION_INTRO + f" N = {p['max_length']}; status **{p['status']}**.", "",
         _md_table(p["columns"], p["rows"]), "", p["sentence"], "", p["accuracy"], ""]
    if p["accuracy_rows"]:
        L += [_md_table(p["accuracy_columns"], p["accuracy_rows"]), ""]
    for f in p["figures"]:
        if f.endswith(".png") and _FIGURE_PATH.match(f):
            L += [f"![glasses prescription]({f})", ""]
    return L


def render_markdown(doc):
    """The appendix as GitHub Markdown (math in ``$...$``, figures as PNG links).

    A pure function of ``doc``: the five-step guide, the summary table, the status of
    each statement, the dependencies, one section per check, the errata, the changes
    from the preprint and the versions used.

    Parameters
    ----------
    doc : dict
        A parsed ``results.json`` (valid against ``verify/results.schema.json``).

    Returns
    -------
    str
        The Markdown text (no trailing newline).

    Raises
    ------
    KeyError
        If ``doc`` lacks a field the schema requires (``"paper"``, ``"checks"``, a
        check's ``"id"``, ``"title"``, ``"status"``, ...); validate first
        (:func:`verify.output.load_results` does).

    References
    ----------
    GitHub Flavored Markdown Spec, version 0.29-gfm, Section 4.10 (tables, an
    extension); GitHub Docs, "Writing mathematical expressions" (``$...$``).

    Examples
    --------
    >>> doc = {"schema": 1, "paper": "arXiv:2406.04267", "environment": {}, "quick": True,
    ...        "command": "python -m verify.all", "seed": 0, "checks": []}
    >>> md = render_markdown(doc)
    >>> md.splitlines()[0]
    '# Proof-check appendix: *Transformers need glasses!*'
    >>> md == render_markdown(doc)
    True
    """
    version = doc.get("version", {})
    L = ["# Proof-check appendix: *Transformers need glasses!*", "",
         f"Companion to Barbero et al., NeurIPS 2024 ({doc['paper']}"
         + (f", audited version {version['version']} of {version['date']}" if version else "")
         + f"). Generated from `results.json` by `{doc.get('command', 'python -m verify.all')}`; every "
         "number below comes from that file.", ""]
    L += _md_guide()
    L += ["## Summary", "",
          _md_table(["id", "paper", "checked", "deciding figure", "status"],
                    [[c["id"], ", ".join(c["paper_refs"]), c["title"], c.get("deciding", ""),
                      STATUS_MARK[c["status"]]] for c in doc["checks"]]), ""]
    if doc.get("statements"):
        L += ["## Status of each statement", "", _md_table(STATUS_COLUMNS, statement_status(doc)), ""]
    L += _md_dependencies(doc)
    n_err = len(all_errata(doc))
    L += [f"{n_err} errata are gathered in [Errata of the published paper](#errata-of-the-published-paper-arxiv-v2).", ""]
    for c in doc["checks"]:
        L += _md_check(doc, c)
    L += _md_prescription(doc)
    L += _md_errata(doc)
    if doc.get("changes_from_preprint"):
        L += _md_changes(doc)
    env = doc.get("environment", {})
    L += ["## Reproducibility", "",
          f"Command: `{doc.get('command', 'python -m verify.all')}`; base seed {doc.get('seed', 0)}; "
          f"quick mode: {doc.get('quick', False)}.", "",
          "Versions: " + ", ".join(f"{k} {v}" for k, v in env.items()) + ".", ""]
    return "\n".join(L)


# --------------------------------------------------------------------------- LaTeX

_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "'": r"\textquotesingle{}", "`": r"\textasciigrave{}",
    "-": "-{}",
}


def latex_escape(text):
    """Escape plain text for LaTeX.

    The ten special characters of TeX and ``<``, ``>``, quotes and ``-`` (so that
    ``--`` stays two hyphens) become commands; the arrows and inequality signs
    ``\u2192``, ``\u2264``, ``\u2265`` become ``->``, ``<=``, ``>=``; any other non-ASCII
    character becomes ``?`` (the document is typeset in ASCII).

    Parameters
    ----------
    text : object
        The text (other objects are read as their ``str``).

    Returns
    -------
    str
        ASCII text that typesets as ``text`` reads.

    Raises
    ------
    None
        Every object has a ``str`` and every character a replacement.

    References
    ----------
    Knuth (1984), The TeXbook, Chapter 7 (the characters with special category codes:
    ``\\ { } $ & # ^ _ %`` and ``~``).

    Examples
    --------
    >>> latex_escape("a_b ^ 50% & {x}")
    'a\\\\_b \\\\textasciicircum{} 50\\\\% \\\\& \\\\{x\\\\}'
    """
    text = str(text).replace("\u2192", "->").replace("\u2264", "<=").replace("\u2265", ">=")
    text = text.encode("ascii", "replace").decode("ascii")
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


#: The control sequences a math string from results.json may use. Anything else (\\input,
#: \\openin, \\csname, \\catcode, ...) makes the string print as plain text: a crafted
#: results.json must not be able to read files or run code through pdflatex.
SAFE_MATH_COMMANDS = frozenset("""
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi
    rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
    Psi Omega ell partial nabla infty
    frac tfrac dfrac binom sqrt sum prod int lim limsup liminf max min sup inf log exp ln det sin cos
    le leq leqslant ge geq geqslant ne neq approx sim simeq equiv to mapsto in notin subset subseteq cdot cdots ldots
    dots times mid top circ pm mp
    left right big Big bigg Bigg bigl bigr Bigl Bigr lfloor rfloor lceil rceil langle rangle lvert
    rvert lVert rVert vert Vert
    mathbf mathrm mathcal mathbb mathit boldsymbol operatorname text textrm textit textbf bar hat
    tilde overline underline vec dot ddot displaystyle textstyle limits nolimits quad qquad
""".split())
_SAFE_SYMBOLS = frozenset(" ,;:!|#%&_{}$\\")


def safe_math(tex):
    """``tex`` if every control sequence in it is in :data:`SAFE_MATH_COMMANDS`, else None.

    TeX's ``^^`` notation can spell a backslash, so it is refused too.

    Parameters
    ----------
    tex : object
        A LaTeX math string from ``results.json`` (read as its ``str``).

    Returns
    -------
    str or None
        The string unchanged when it is safe to typeset as math; None otherwise (the
        renderer then prints it as escaped text).

    Raises
    ------
    None
        The answer is a check, never an error.

    References
    ----------
    Knuth (1984), The TeXbook, Chapter 8 (the ``^^`` convention for characters);
    Web2C manual, section "tex invocation" (``openin_any``/``openout_any``, shell
    escape: what a crafted document could otherwise read or run).

    Examples
    --------
    >>> safe_math(r"\\frac{1}{n} \\le \\epsilon")
    '\\\\frac{1}{n} \\\\le \\\\epsilon'
    >>> safe_math(r"\\input{/etc/passwd}") is None
    True
    """
    text = str(tex)
    if "^^" in text:
        return None
    for match in re.finditer(r"\\([A-Za-z]+|.?)", text):
        name = match.group(1)
        if name.isalpha() and name in SAFE_MATH_COMMANDS:
            continue
        if len(name) == 1 and name in _SAFE_SYMBOLS:
            continue
        return None
    return text


_FIGURE_PATH = re.compile(r"^figures/[A-Za-z0-9._-]+\.(pdf|png)$")


def _tex_table(columns, rows):
    spec = "l" * len(columns)
    out = [r"\begin{center}\small\begin{adjustbox}{max width=\linewidth}",
           rf"\begin{{tabular}}{{{spec}}}\toprule",
           " & ".join(latex_escape(c) for c in columns) + r" \\\midrule"]
    for r in rows:
        out.append(" & ".join(latex_escape(_num(v)) for v in r) + r" \\")
    out += [r"\bottomrule\end{tabular}", r"\end{adjustbox}\end{center}"]
    return "\n".join(out)


_PREAMBLE = r"""\makeatletter
\ifx\@onlypreamble\@notprerr
  \makeatother\def\tngEnd{}%
\else
  \makeatother
  \documentclass[10pt]{article}
  \ifdefined\pdftrailerid\pdftrailerid{}\fi
  \usepackage[margin=2.2cm]{geometry}
  \usepackage{amsmath,amssymb}
  \usepackage{graphicx}
  \usepackage{booktabs}
  \usepackage{adjustbox}
  \usepackage[hidelinks]{hyperref}
  \usepackage[T1]{fontenc}
  \usepackage{lmodern}
  \usepackage{microtype}
  \setlength{\parindent}{0pt}\setlength{\parskip}{4pt}
  \begin{document}
  \def\tngEnd{\end{document}}
\fi
\providecommand{\tngAppendixDir}{}
"""


def _is_math(text):
    """LaTeX strings from the checks contain a backslash, ^ or _; anything else is prose."""
    return any(ch in text for ch in "\\^_")


def _tex_quant(text, width):
    if not _is_math(text) or safe_math(text) is None:
        return latex_escape(text)
    return r"\begin{adjustbox}{max width=" + width + r"\linewidth}$" + text + r"$\end{adjustbox}"


def _tex_display(text):
    """A displayed equation, or the escaped source when it is not safe math."""
    if safe_math(text) is None:
        return r"\texttt{" + latex_escape(text) + "}"
    return (r"\begin{equation*}\begin{adjustbox}{max width=0.9\linewidth}$\displaystyle "
            + text + r"$\end{adjustbox}\end{equation*}")


_MATH_SPAN = re.compile(r"(\$\$.+?\$\$|\$.+?\$)", re.S)


def _tex_mixed(text):
    """Prose with ``$...$`` maths: prose escaped, each maths span kept only if it is safe math."""
    out = []
    for k, part in enumerate(_MATH_SPAN.split(str(text))):
        if k % 2 == 0:
            out.append(latex_escape(part))
            continue
        body = part.strip("$")
        out.append(f"${body}$" if safe_math(body) is not None and body.strip() else latex_escape(part))
    return "".join(out)


def _tex_text(text):
    """A quote or correction: mixed prose, a bare LaTeX expression, or plain prose."""
    text = str(text)
    if "$" in text:
        return _tex_mixed(text)
    if looks_like_math(text) and safe_math(text) is not None:
        return r"\begin{adjustbox}{max width=0.95\linewidth}$" + text + r"$\end{adjustbox}"
    return latex_escape(text)


def _tex_figure(path, width="0.8"):
    return (r"\begin{center}\includegraphics[width=" + width + r"\linewidth,height=0.3\textheight,"
            r"keepaspectratio]{\tngAppendixDir " + path + r"}\end{center}")


def _tex_guide():
    L = [r"\subsection*{How to check this appendix in five steps}", r"\begin{enumerate}"]
    for head, body in FIVE_STEPS:
        L.append(r"\item \textbf{" + latex_escape(head) + "} " + _tex_code(body))
    return L + [r"\end{enumerate}"]


def _tex_code(text):
    """Prose whose backquoted parts are set in typewriter type."""
    parts = str(text).split("`")
    return "".join(r"\texttt{" + latex_escape(p) + "}" if k % 2 else latex_escape(p) for k, p in enumerate(parts))


def _tex_check(doc, c):
    L = [rf"\subsection*{{{latex_escape(c['id'])}: {latex_escape(c['title'])}}}",
         r"\textit{Paper:} " + latex_escape(", ".join(c["paper_refs"])) + r". \textit{Status:} \textbf{"
         + latex_escape(c["status"]) + "}" + (" (" + latex_escape(c["reason"]) + ")" if c.get("reason") else "")
         + r". \textit{Deciding figure:} " + latex_escape(c.get("deciding", "")) + "."]
    if c.get("statement"):
        L += [r"\begin{quote}\small " + _tex_mixed(c["statement"]) + r"\end{quote}"]
    if c.get("symbolic"):
        L += [r"\textbf{Symbolic steps (sympy).}", r"\begin{itemize}"]
        for s in c["symbolic"]:
            mark = "verified" if s["verified"] else "NOT verified"
            L.append(r"\item " + latex_escape(s["claim"]) + f" ({mark}):" + _tex_display(s["latex"]))
        L.append(r"\end{itemize}")
    q = c.get("quantitative") or {}
    if q.get("rate") or q.get("threshold"):
        L += [r"\textbf{Quantitative version.}", r"\begin{itemize}"]
        if q.get("rate"):
            L.append(r"\item Rate: " + _tex_quant(q["rate"], "0.85"))
        if q.get("threshold"):
            L.append(r"\item Threshold: " + _tex_quant(q["threshold"], "0.8"))
        L.append(r"\end{itemize}")
    if q.get("onsets"):
        keys, rows = _onset_rows(q["onsets"])
        L += ["Collapse onset per format (" + latex_escape(q.get("onset_meaning", "")) + "):",
              _tex_table(["format"] + [k.replace("_", " ") for k in keys], rows)]
    if (c.get("evidence") or {}).get("paper_comparison"):
        L += [r"\textbf{Beside the paper.}", r"\begin{itemize}"]
        L += [r"\item " + latex_escape(x) for x in c["evidence"]["paper_comparison"]] + [r"\end{itemize}"]
    num = c.get("numeric") or {}
    if num.get("rows"):
        L += [r"\textbf{Numeric evidence} (" + latex_escape(num.get("precision", "")) + ").",
              _tex_table(num["columns"], num["rows"])]
    if num.get("enclosures"):
        L += ["Rigorous enclosures:", _tex_table(num["enclosure_columns"], num["enclosures"])]
    L += [_tex_figure(f) for f in c.get("figures", []) if f.endswith(".pdf") and _FIGURE_PATH.match(f)]
    for g in cross_checks(doc, c):
        L += [r"\textbf{Real-model cross-check} " + latex_escape(g["id"]) + r": \textbf{" + latex_escape(g["status"])
              + "}, " + latex_escape(g.get("deciding", "")) + " (figure in its own section)."]
    for conf in c.get("confirmations", []):
        L += [r"\textbf{Confirmation} (" + latex_escape(conf["key"]) + f", p. {conf['page']}): "
              + latex_escape(conf["finding"])]
    if c.get("errata"):
        L += ["Errata for this statement: " + latex_escape(", ".join(e["key"] for e in c["errata"]))
              + " (see the errata section)."]
    return L


def _tex_list(env, items):
    """``items`` as a LaTeX list environment; nothing at all when there are none (an empty list is an error)."""
    return [rf"\begin{{{env}}}"] + items + [rf"\end{{{env}}}"] if items else []


def _tex_errata(doc):
    errata = all_errata(doc)
    counts = ", ".join(f"{sum(e['severity'] == s for e in errata)} {s}" for s in SEVERITY_ORDER)
    L = [r"\subsection*{Errata of the published paper (arXiv v2)}",
         latex_escape(f"{len(errata)} entries ({counts}), each graded by one rule:")]
    L += _tex_list("itemize", [r"\item " + latex_escape(line) for line in doc.get("severity_rule", [])])
    items = []
    for e in errata:
        ev = ", ".join(f"{k} = {_num(v)}" for k, v in evidence_items(e["evidence"]))
        verdict = "supports" if e["supported"] else "DOES NOT support"
        items += [r"\item \textbf{" + latex_escape(f"{e['key']} ({e['severity']}, p. {e['page']})") + r"}\\",
                  r"\textit{Where:} " + latex_escape(f"{e['where']} (statement {e['statement']}; check {e['check']})")
                  + r"\\",
                  r"\textit{Printed:} " + _tex_text(e["quote"]) + r"\\",
                  r"\textit{Issue:} " + latex_escape(e["issue"]) + r"\\",
                  r"\textit{Evidence} (computed, " + verdict + " the entry): " + latex_escape(ev) + r"\\",
                  r"\textit{Suggested correction:} " + _tex_text(e["correction"])]
    return L + _tex_list("enumerate", items)


def _tex_dependencies(doc):
    deps = next((c for c in doc["checks"] if c["id"] == "deps"), None)
    if deps is None:
        return []
    L = [r"\subsection*{Dependencies between the statements}",
         "Where a proof cites another statement, and whether the cited hypotheses hold there (check deps)."]
    L += [_tex_figure(f, "0.9") for f in deps.get("figures", []) if f.endswith(".pdf") and _FIGURE_PATH.match(f)]
    rows = [[u["citing"], u["cited"], u["page"], u["verdict"], u["erratum"] or "-"]
            for u in deps["evidence"].get("uses", [])]
    return L + [_tex_table(["citing", "cited", "page", "verdict", "erratum"], rows)]


def _tex_prescription(doc):
    p = prescription_section(doc)
    if p is None:
        return []
    L = [r"\subsection*{Glasses prescription}",
         _tex_code(_PRESCRIPTION_INTRO + f" N = {p['max_length']}; status {p['status']}."),
         _tex_table(p["columns"], p["rows"]), latex_escape(p["sentence"]),
         latex_escape(p["accuracy"])]
    if p["accuracy_rows"]:
        L.append(_tex_table(p["accuracy_columns"], p["accuracy_rows"]))
    return L + [_tex_figure(f, "0.95") for f in p["figures"] if f.endswith(".pdf") and _FIGURE_PATH.match(f)]


def render_latex(doc):
    """The appendix as a LaTeX document (standalone, or ``\\input``-able).

    The same content as :func:`render_markdown`, figures as PDF, math strings only
    when :func:`safe_math` accepts them. The preamble and ``\\begin{document}`` are
    emitted only when no document has begun (see the module docstring).

    Parameters
    ----------
    doc : dict
        A parsed ``results.json`` (valid against ``verify/results.schema.json``).

    Returns
    -------
    str
        The LaTeX source.

    Raises
    ------
    KeyError
        If ``doc`` lacks a field the schema requires; validate first.

    References
    ----------
    Lamport (1994), LaTeX: A Document Preparation System, 2nd ed.; Fear (2020),
    "Publication quality tables in LaTeX" (the ``booktabs`` package documentation).

    Examples
    --------
    >>> doc = {"schema": 1, "paper": "arXiv:2406.04267", "environment": {}, "quick": True,
    ...        "command": "python -m verify.all", "seed": 0, "checks": []}
    >>> tex = render_latex(doc)
    >>> tex.count(r"\\begin{document}"), tex.rstrip().splitlines()[-1]
    (1, '\\\\tngEnd')
    """
    version = doc.get("version", {})
    L = [_PREAMBLE,
         r"\section*{Proof-check appendix: \emph{Transformers need glasses!}}",
         r"\addcontentsline{toc}{section}{Proof-check appendix}",
         "Companion to Barbero et al., NeurIPS 2024 (" + latex_escape(doc["paper"])
         + (latex_escape(f", audited version {version['version']} of {version['date']}") if version else "")
         + r"). Generated from \texttt{results.json} by \texttt{"
         + latex_escape(doc.get("command", "python -m verify.all")) + "}; every number below comes from that file."]
    L += _tex_guide()
    L += [r"\subsection*{Summary}",
          _tex_table(["id", "paper", "checked", "status"],
                     [[c["id"], ", ".join(c["paper_refs"]), c["title"], STATUS_MARK[c["status"]]] for c in doc["checks"]])]
    if doc.get("statements"):
        L += [r"\subsection*{Status of each statement}", _tex_table(STATUS_COLUMNS, statement_status(doc))]
    L += _tex_dependencies(doc)
    for c in doc["checks"]:
        L += _tex_check(doc, c)
    L += _tex_prescription(doc)
    L += _tex_errata(doc)
    if doc.get("changes_from_preprint"):
        L += [r"\subsection*{Changes from the preprint (v1 to v2)}",
              "History, not errata: what the published version changed relative to the preprint.",
              _tex_table(["statement", "v2 page", "change"],
                         [[c["statement"], c["v2_page"], c["change"]] for c in doc["changes_from_preprint"]])]
    env = doc.get("environment", {})
    L += [r"\subsection*{Reproducibility}",
          r"Command: \texttt{" + latex_escape(doc.get("command", "python -m verify.all")) + "}; base seed "
          + latex_escape(doc.get("seed", 0)) + "; quick mode: " + latex_escape(doc.get("quick", False)) + ".",
          "Versions: " + latex_escape(", ".join(f"{k} {v}" for k, v in env.items())) + ".",
          r"\tngEnd", ""]
    return "\n".join(L)


def compile_pdf(tex_path, runs=2, timeout=120):
    """Compile ``tex_path`` with pdflatex in a scratch directory; write the PDF atomically beside it.

    pdflatex runs without shell escape, in "paranoid" file mode (no absolute paths,
    no parent directories, no dot files) and with a fixed date, so the PDF of a given
    ``.tex`` is byte-identical across runs.

    Parameters
    ----------
    tex_path : str or os.PathLike
        The ``.tex`` file; it is compiled in its own directory (figures are found
        relative to it).
    runs : int
        pdflatex passes (2 resolve references).
    timeout : float
        Seconds allowed for each pass.

    Returns
    -------
    pdf_path : str
        ``<name>.pdf`` beside ``tex_path``.
    log : str
        The last pass's ``.log`` (latin-1).

    Raises
    ------
    RuntimeError
        If pdflatex is missing or a pass fails (the message ends with the last 25 lines
        of its output).
    subprocess.TimeoutExpired
        If a pass takes longer than ``timeout`` (:func:`render_appendix` turns it into
        a ``RuntimeError``).
    OSError
        If the PDF cannot be written beside ``tex_path`` (or, with ``runs=0``, none was
        produced: ``FileNotFoundError``).

    References
    ----------
    Web2C manual, section "tex invocation" (``-no-shell-escape``, ``openin_any=p``,
    ``openout_any=p``); reproducible-builds.org, "SOURCE_DATE_EPOCH" specification
    (and pdfTeX's ``FORCE_SOURCE_DATE``).

    Examples
    --------
    >>> import os, tempfile
    >>> compile_pdf(os.path.join(tempfile.mkdtemp(), "missing.tex"))
    Traceback (most recent call last):
    ...
    RuntimeError: pdflatex ...
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        raise RuntimeError("pdflatex not found (Debian: apt-get install texlive-latex-base "
                           "texlive-latex-recommended texlive-latex-extra)")
    src_dir = os.path.dirname(os.path.abspath(tex_path))
    name = os.path.splitext(os.path.basename(tex_path))[0]
    # A fixed date makes pdfTeX's timestamps and document ID, hence the PDF, reproducible.
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1",
               # Paranoid file access: no absolute paths, no parent directories, no dot files.
               openin_any="p", openout_any="p")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            proc = subprocess.run([exe, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                                   f"-output-directory={tmp}", os.path.basename(tex_path)],
                                  cwd=src_dir, capture_output=True, text=True, timeout=timeout, env=env)
            if proc.returncode != 0:
                tail = "\n".join(proc.stdout.splitlines()[-25:])
                raise RuntimeError(f"pdflatex failed on {tex_path}:\n{tail}")
        with open(os.path.join(tmp, name + ".pdf"), "rb") as fh:
            data = fh.read()
        with open(os.path.join(tmp, name + ".log"), encoding="latin-1") as fh:
            log = fh.read()
    pdf_path = os.path.join(src_dir, name + ".pdf")
    atomic_write_bytes(pdf_path, data)
    return pdf_path, log


def render_appendix(results_path, out_dir, pdf=False):
    """Write ``appendix.md`` and ``appendix.tex`` (and ``appendix.pdf`` if ``pdf``) into ``out_dir``.

    Nothing is recomputed: the appendix is a function of ``results.json`` alone, and
    every file is written atomically.

    Parameters
    ----------
    results_path : str or os.PathLike
        The ``results.json`` to render (validated first).
    out_dir : str or os.PathLike
        Where the files go (created if missing); figure paths in the appendix are
        relative to it.
    pdf : bool
        Also compile ``appendix.pdf`` with :func:`compile_pdf`.

    Returns
    -------
    list of str
        The paths written: ``appendix.md``, ``appendix.tex`` (and ``appendix.pdf``).

    Raises
    ------
    verify.output.OutputError
        If ``results.json`` is missing, not JSON or not valid against the schema.
    RuntimeError
        If ``pdf`` and pdflatex is missing, fails, or times out.
    OSError
        If a file cannot be written.

    References
    ----------
    IEEE Std 1003.1-2017 (POSIX), ``rename()`` (atomic writes); GitHub Flavored
    Markdown Spec 0.29-gfm; Lamport (1994), LaTeX: A Document Preparation System.

    Examples
    --------
    >>> import json, os, tempfile
    >>> doc = {"schema": 1, "paper": "arXiv:2406.04267", "environment": {}, "quick": True,
    ...        "command": "python -m verify.all", "seed": 0, "checks": []}
    >>> out = tempfile.mkdtemp()
    >>> with open(os.path.join(out, "results.json"), "w") as fh:
    ...     json.dump(doc, fh)
    >>> [os.path.basename(p) for p in render_appendix(os.path.join(out, "results.json"), out)]
    ['appendix.md', 'appendix.tex']
    """
    doc = _load(results_path)
    md_path = os.path.join(out_dir, "appendix.md")
    tex_path = os.path.join(out_dir, "appendix.tex")
    atomic_write_text(md_path, render_markdown(doc))
    atomic_write_text(tex_path, render_latex(doc))
    written = [md_path, tex_path]
    if pdf:
        try:
            written.append(compile_pdf(tex_path)[0])
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"pdflatex timed out on {tex_path}") from None
    return written
