"""The appendix: Markdown and LaTeX from results.json; a real pdflatex build checked with pdftotext."""

import json
import shutil
import subprocess

import pytest

from verify.appendix.render import latex_escape, render_latex, render_markdown


needs_latex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                                 reason="needs pdflatex and pdftotext (Debian texlive-latex-* and poppler-utils)")


def _doc(out):
    return json.loads((out / "results.json").read_text())


def test_markdown_has_every_check_and_erratum(quick_run):
    out, proc = quick_run
    assert proc.returncode == 0, proc.stderr
    doc = _doc(out)
    md = (out / "appendix.md").read_text()
    for c in doc["checks"]:
        assert f"## {c['id']}:" in md
        for e in c["errata"]:
            assert f"### {e['key']} ({e['severity']}, p. {e['page']})" in md
        for f in c["figures"]:
            if f.endswith(".png"):
                assert f"]({f})" in md
    for heading in ("## How to check this appendix in five steps", "## Status of each statement",
                    "## Dependencies between the statements", "## Errata of the published paper (arXiv v2)",
                    "## Changes from the preprint (v1 to v2)", "## Reproducibility"):
        assert heading in md
    for line in doc["severity_rule"]:
        assert line in md


def test_every_erratum_is_complete_and_history_is_separate(quick_run):
    """Each erratum carries a severity, a v2 page, the printed text and computed evidence that supports it."""
    from theory.audit import ERRATA

    out, _ = quick_run
    doc = _doc(out)
    errata = [e for c in doc["checks"] for e in c["errata"]]
    assert {e["key"] for e in errata} == {e.key for e in ERRATA}
    for e in errata:
        assert e["severity"] in ("error", "gap", "typo", "scope") and e["version"] == "v2"
        assert isinstance(e["page"], int) and 1 <= e["page"] <= 24 and e["quote"].strip()
        assert isinstance(e["evidence"]["hypotheses_hold"], bool) and e["supported"] is True
    history = {c["key"] for c in doc["changes_from_preprint"]}
    assert history and not history & {e["key"] for e in errata}
    v1_texts = {c["v1_text"] for c in doc["changes_from_preprint"]}
    assert not v1_texts & {e["quote"] for e in errata}


def test_render_is_deterministic(quick_run):
    out, _ = quick_run
    doc = _doc(out)
    assert render_markdown(doc) == render_markdown(json.loads(json.dumps(doc)))
    assert render_latex(doc) == (out / "appendix.tex").read_text()


@pytest.mark.latex
@needs_latex
def test_pdf_contains_every_check_id_and_erratum(quick_run):
    out, proc = quick_run
    assert proc.returncode == 0, proc.stderr
    pdf = out / "appendix.pdf"
    assert pdf.exists()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    doc = _doc(out)
    for c in doc["checks"]:
        assert f"{c['id']}:" in flat, c["id"]
        for e in c["errata"]:
            # pdftotext may hyphenate or break lines: compare the key, whitespace-folded.
            assert e["key"] in flat, e["key"]


@pytest.mark.latex
@needs_latex
def test_latex_compiles_when_input_into_a_paper(quick_run, tmp_path):
    out, _ = quick_run
    paper = tmp_path / "paper.tex"
    paper.write_text(
        "\\documentclass{article}\\usepackage{amsmath,amssymb,graphicx,booktabs,adjustbox,hyperref}\n"
        f"\\newcommand{{\\tngAppendixDir}}{{{out}/}}\n"
        "\\begin{document}Main text.\\appendix\n"
        f"\\input{{{out}/appendix.tex}}\nAfter the appendix.\\end{{document}}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    text = subprocess.run(["pdftotext", str(tmp_path / "paper.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "After the appendix." in text and "Errata of the published paper" in text


def test_latex_escape():
    assert latex_escape("50% of x_i & {y}") == r"50\% of x\_i \& \{y\}"


def test_bad_results_file(tmp_path):
    from verify.appendix.render import render_appendix

    p = tmp_path / "results.json"
    p.write_text(json.dumps({"schema": 99}))
    with pytest.raises(ValueError, match="schema"):
        render_appendix(str(p), str(tmp_path))


def _crafted(out, tmp_path):
    """A copy of a real results.json with a file-reading payload in every LaTeX-bearing field."""
    doc = _doc(out)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7f3a")
    payload = r"\input{" + str(secret) + "}"
    check = doc["checks"][0]
    check["symbolic"][0]["latex"] = payload
    check["quantitative"]["rate"] = r"x^{2} " + payload
    check["title"] = payload
    check["statement"] = payload
    return doc, payload


def test_render_never_passes_tex_commands_through(quick_run, tmp_path):
    out, _ = quick_run
    doc, payload = _crafted(out, tmp_path)
    tex = render_latex(doc)
    assert payload not in tex and r"\input{" not in tex
    assert r"\textbackslash{}input" in tex


def test_figure_paths_outside_figures_are_rejected(quick_run, tmp_path):
    from verify.output import OutputError, validate_results

    out, _ = quick_run
    doc = _doc(out)
    doc["checks"][0]["figures"] = ["../../etc/passwd.pdf"]
    with pytest.raises(OutputError, match="figures"):
        validate_results(doc)


@pytest.mark.latex
@needs_latex
def test_crafted_results_cannot_read_files_into_the_pdf(quick_run, tmp_path):
    from verify.appendix.render import render_appendix

    out, _ = quick_run
    doc, _ = _crafted(out, tmp_path)
    work = tmp_path / "out"
    work.mkdir()
    (work / "results.json").write_text(json.dumps(doc))
    (work / "figures").symlink_to(out / "figures")
    pdf = render_appendix(str(work / "results.json"), str(work), pdf=True)[-1]
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert "TOPSECRET" not in text


@pytest.mark.latex
@needs_latex
def test_pdf_is_reproducible(quick_run, tmp_path):
    from verify.appendix.render import compile_pdf

    out, _ = quick_run
    first = compile_pdf(str(out / "appendix.tex"))[0]
    data = open(first, "rb").read()
    second = compile_pdf(str(out / "appendix.tex"))[0]
    assert open(second, "rb").read() == data
