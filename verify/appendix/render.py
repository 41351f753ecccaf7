"""Render the proof-check appendix (Markdown and LaTeX) from ``results.json`` alone.

Nothing is recomputed: ``python -m verify.all --render-only`` re-renders from the
file. Output is a pure function of the JSON, so two renders are byte-identical.
Every file is written atomically.

The LaTeX file is a standalone document that can also be ``\\input`` into a paper:
it only emits the preamble and ``\\begin{document}`` when no document has begun.
Inside a paper, load ``amsmath, graphicx, booktabs, adjustbox, hyperref`` and set
``\\newcommand{\\tngAppendixDir}{path/to/docs/appendix/}`` before the ``\\input``.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

from verify.io import atomic_write_bytes, atomic_write_text

__all__ = ["render_appendix", "render_markdown", "render_latex", "compile_pdf", "latex_escape"]

STATUS_MARK = {"pass": "pass", "fail": "FAIL", "skip": "skip"}


def _load(path):
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if doc.get("schema") != 1 or "checks" not in doc:
        raise ValueError(f"{path}: not a results.json of schema 1")
    return doc


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


def cross_checks(doc, check):
    """The real-model (real.*) results that share a paper statement with ``check``."""
    if check["id"].startswith("real."):
        return []
    refs = set(check["paper_refs"])
    return [c for c in doc["checks"] if c["id"].startswith("real.") and refs & set(c["paper_refs"])]


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


def render_markdown(doc):
    """The appendix as GitHub Markdown (math in ``$...$``, figures as PNG links)."""
    L = ["# Proof-check appendix: *Transformers need glasses!*", "",
         f"Companion to Barbero et al., NeurIPS 2024 ({doc['paper']}). Generated from `results.json` "
         f"by `{doc.get('command', 'python -m verify.all')}`; every number below comes from that file.",
         "", "## Summary", ""]
    L.append(_md_table(["id", "paper", "checked", "deciding figure", "status"],
                       [[c["id"], ", ".join(c["paper_refs"]), c["title"], c.get("deciding", ""),
                         STATUS_MARK[c["status"]]] for c in doc["checks"]]))
    L.append("")
    n_err = sum(len(c.get("errata", [])) for c in doc["checks"])
    L += [f"{n_err} errata and proof notes are gathered in [Errata and proof notes](#errata-and-proof-notes).", ""]
    for c in doc["checks"]:
        L += [f"## {c['id']}: {c['title']}", "",
              f"*Paper:* {', '.join(c['paper_refs'])}. *Status:* **{c['status']}**"
              + (f" ({c['reason']})" if c.get("reason") else "") + "", ""]
        if c.get("statement"):
            L += ["> " + c["statement"], ""]
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
        num = c.get("numeric") or {}
        if num.get("rows"):
            L += [f"**Numeric evidence** ({num.get('precision', '')})", "",
                  _md_table(num["columns"], num["rows"]), ""]
        if num.get("enclosures"):
            L += ["Rigorous enclosures:", "", _md_table(num["enclosure_columns"], num["enclosures"]), ""]
        for f in c.get("figures", []):
            if f.endswith(".png"):
                L += [f"![{c['id']}]({f})", ""]
        for g in cross_checks(doc, c):
            anchor = _slug(f"{g['id']}: {g['title']}")
            L += [f"**Real-model cross-check** [{g['id']}](#{anchor}): **{g['status']}**, "
                  f"{g.get('deciding', '')}", ""]
            for f in g.get("figures", []):
                if f.endswith(".png"):
                    L += [f"![{g['id']}]({f})", ""]
        if c.get("errata"):
            L += [f"Errata and notes for this statement: {len(c['errata'])} (see below).", ""]
    L += ["## Errata and proof notes", ""]
    k = 0
    for c in doc["checks"]:
        for e in c.get("errata", []):
            k += 1
            L += [f"**E{k}. {e['where']}** ({e.get('kind', 'error')}; check {c['id']})", "",
                  f"- *Issue:* {e['issue']}", f"- *Evidence:* {e['evidence']}",
                  f"- *Suggested correction:* {e['correction']}", ""]
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
    """Escape plain text for LaTeX (non-ASCII letters are transliterated).

    Examples
    --------
    >>> latex_escape("a_b ^ 50% & {x}")
    'a\\\\_b \\\\textasciicircum{} 50\\\\% \\\\& \\\\{x\\\\}'
    """
    text = str(text).replace("\u2192", "->").replace("\u2264", "<=").replace("\u2265", ">=")
    text = text.encode("ascii", "replace").decode("ascii")
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


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
    if not _is_math(text):
        return latex_escape(text)
    return r"\begin{adjustbox}{max width=" + width + r"\linewidth}$" + text + r"$\end{adjustbox}"


def render_latex(doc):
    """The appendix as a LaTeX document (standalone, or ``\\input``-able)."""
    L = [_PREAMBLE,
         r"\section*{Proof-check appendix: \emph{Transformers need glasses!}}",
         r"\addcontentsline{toc}{section}{Proof-check appendix}",
         "Companion to Barbero et al., NeurIPS 2024 (" + latex_escape(doc["paper"]) + "). Generated from "
         r"\texttt{results.json} by \texttt{" + latex_escape(doc.get("command", "python -m verify.all"))
         + "}; every number below comes from that file.",
         r"\subsection*{Summary}"]
    L.append(_tex_table(["id", "paper", "checked", "status"],
                        [[c["id"], ", ".join(c["paper_refs"]), c["title"], STATUS_MARK[c["status"]]]
                         for c in doc["checks"]]))
    for c in doc["checks"]:
        L += [rf"\subsection*{{{latex_escape(c['id'])}: {latex_escape(c['title'])}}}",
              r"\textit{Paper:} " + latex_escape(", ".join(c["paper_refs"])) + r". \textit{Status:} \textbf{"
              + latex_escape(c["status"]) + "}" + (" (" + latex_escape(c["reason"]) + ")" if c.get("reason") else "")
              + r". \textit{Deciding figure:} " + latex_escape(c.get("deciding", "")) + "."]
        if c.get("statement"):
            L += [r"\begin{quote}\small " + latex_escape(c["statement"]) + r"\end{quote}"]
        if c.get("symbolic"):
            L += [r"\textbf{Symbolic steps (sympy).}", r"\begin{itemize}"]
            for s in c["symbolic"]:
                mark = "verified" if s["verified"] else "NOT verified"
                L.append(r"\item " + latex_escape(s["claim"]) + f" ({mark}):"
                         + r"\begin{equation*}\begin{adjustbox}{max width=0.9\linewidth}$\displaystyle "
                         + s["latex"] + r"$\end{adjustbox}\end{equation*}")
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
        num = c.get("numeric") or {}
        if num.get("rows"):
            L += [r"\textbf{Numeric evidence} (" + latex_escape(num.get("precision", "")) + ").",
                  _tex_table(num["columns"], num["rows"])]
        if num.get("enclosures"):
            L += ["Rigorous enclosures:", _tex_table(num["enclosure_columns"], num["enclosures"])]
        for f in c.get("figures", []):
            if f.endswith(".pdf"):
                L += [r"\begin{center}\includegraphics[width=0.8\linewidth,height=0.3\textheight,keepaspectratio]{\tngAppendixDir "
                      + f + r"}\end{center}"]
        for g in cross_checks(doc, c):
            L += [r"\textbf{Real-model cross-check} " + latex_escape(g["id"]) + ": \textbf{" + latex_escape(g["status"])
                  + "}, " + latex_escape(g.get("deciding", "")) + " (figure in its own section)."]
    L += [r"\subsection*{Errata and proof notes}", r"\begin{enumerate}"]
    for c in doc["checks"]:
        for e in c.get("errata", []):
            L += [r"\item \textbf{" + latex_escape(e["where"]) + "} (" + latex_escape(e.get("kind", "error"))
                  + "; check " + latex_escape(c["id"]) + r").\\",
                  r"\textit{Issue:} " + latex_escape(e["issue"]) + r"\\",
                  r"\textit{Evidence:} " + latex_escape(e["evidence"]) + r"\\",
                  r"\textit{Suggested correction:} " + latex_escape(e["correction"])]
    L += [r"\end{enumerate}"]
    env = doc.get("environment", {})
    L += [r"\subsection*{Reproducibility}",
          r"Command: \texttt{" + latex_escape(doc.get("command", "python -m verify.all")) + "}; base seed "
          + latex_escape(doc.get("seed", 0)) + "; quick mode: " + latex_escape(doc.get("quick", False)) + ".",
          "Versions: " + latex_escape(", ".join(f"{k} {v}" for k, v in env.items())) + ".",
          r"\tngEnd", ""]
    return "\n".join(L)


def compile_pdf(tex_path, runs=2, timeout=120):
    """Compile ``tex_path`` with pdflatex in a scratch directory; write the PDF atomically beside it.

    Raises
    ------
    RuntimeError
        If pdflatex is missing or the compilation fails (the log tail is included).
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        raise RuntimeError("pdflatex not found (Debian: apt-get install texlive-latex-base "
                           "texlive-latex-recommended texlive-latex-extra)")
    src_dir = os.path.dirname(os.path.abspath(tex_path))
    name = os.path.splitext(os.path.basename(tex_path))[0]
    # A fixed date makes pdfTeX's timestamps and document ID, hence the PDF, reproducible.
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error",
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
    """Write ``appendix.md`` and ``appendix.tex`` (and ``appendix.pdf`` if ``pdf``) into ``out_dir``."""
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
