"""The appendix: Markdown and LaTeX from results.json; a real pdflatex build checked with pdftotext."""

import json
import shutil
import subprocess

import pytest

from verify.appendix.render import latex_escape, render_latex, render_markdown


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
            assert e["where"] in md
        for f in c["figures"]:
            if f.endswith(".png"):
                assert f"]({f})" in md
    assert "## Errata and proof notes" in md and "## Reproducibility" in md


def test_render_is_deterministic(quick_run):
    out, _ = quick_run
    doc = _doc(out)
    assert render_markdown(doc) == render_markdown(json.loads(json.dumps(doc)))
    assert render_latex(doc) == (out / "appendix.tex").read_text()


@pytest.mark.latex
@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                    reason="needs pdflatex and pdftotext (Debian texlive-latex-* and poppler-utils)")
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
            # pdftotext may hyphenate or break lines: compare the first words, whitespace-folded.
            head = " ".join(e["where"].split()[:4])
            assert head in flat, head


def test_latex_compiles_when_input_into_a_paper(quick_run, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex")
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
    assert "After the appendix." in text and "Errata and proof notes" in text


def test_latex_escape():
    assert latex_escape("50% of x_i & {y}") == r"50\% of x\_i \& \{y\}"


def test_bad_results_file(tmp_path):
    from verify.appendix.render import render_appendix

    p = tmp_path / "results.json"
    p.write_text(json.dumps({"schema": 99}))
    with pytest.raises(ValueError, match="schema"):
        render_appendix(str(p), str(tmp_path))


def test_pdf_is_reproducible(quick_run, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex")
    from verify.appendix.render import compile_pdf

    out, _ = quick_run
    first = compile_pdf(str(out / "appendix.tex"))[0]
    data = open(first, "rb").read()
    second = compile_pdf(str(out / "appendix.tex"))[0]
    assert open(second, "rb").read() == data
