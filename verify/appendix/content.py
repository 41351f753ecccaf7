"""What the appendix says, derived from ``results.json`` alone; the renderers only format it.

Both the Markdown and the LaTeX appendix are built from these functions, so the two
can never disagree on a count, an order or a verdict.
"""

import re

__all__ = [
    "looks_like_math",
    "SEVERITY_ORDER",
    "FIVE_STEPS",
    "is_real_model",
    "cross_checks",
    "all_errata",
    "statement_status",
    "evidence_items",
    "prescription_section",
]

SEVERITY_ORDER = ("error", "gap", "typo", "scope")

#: The one-page guide at the front of the appendix: how a reviewer checks it.
FIVE_STEPS = (
    ("Reproduce the numbers.",
     "On a fresh machine: `python -m pip install -c constraints-cpu.txt -e \".[models]\" && "
     "python -m verify.all`. It rewrites `results.json` and this appendix; two runs (and runs "
     "with any number of BLAS threads) give byte-identical files, so `git diff` after the run "
     "shows nothing."),
    ("Read the summary table and the status of each statement.",
     "Every check has a status (pass, fail, skip with its reason) and the figure that decided it. "
     "The statement table says, for each statement of the paper, what is checked: a sympy closed "
     "form, an explicit rate, a rigorous enclosure, a real-model cross-check, and how many errata."),
    ("Open a statement's section.",
     "It quotes the published statement (arXiv v2) with its page, lists the sympy steps with a "
     "verified flag, the rate and threshold that replace \"tends to 0\", the interval enclosures, "
     "and the conditions the check judged. `python -m verify.all --only ID` recomputes just it; "
     "its negative control (a violated hypothesis) makes it fail, see `tests/test_checks.py`."),
    ("Check an erratum.",
     "Each entry gives the page, the exact printed text, a severity under the rule stated with "
     "the errata, and evidence computed by a named function of `theory/audit.py`. "
     "`python -m theory.audit` reprints every entry with fresh numbers; `tests/test_audit.py` "
     "flips each verdict by removing the counterexample or restoring the hypothesis."),
    ("Follow the dependencies.",
     "The dependency graph shows where each proof uses another statement and whether the cited "
     "statement's hypotheses hold there; a broken use names the erratum that reports it."),
)


_WORDS_IN_COMMANDS = re.compile(r"\\(?:operatorname|text|mathrm|mathbf|mathit|textrm)\{[^{}]*\}|\\[A-Za-z]+")


def looks_like_math(text):
    """A bare LaTeX expression (no ``$``), as opposed to prose that mentions ``y_n`` or ``\\alpha``.

    Prose has a word of four or more letters outside control sequences and their text
    arguments; an expression has none.

    Parameters
    ----------
    text : object
        A string from ``results.json`` (other objects are read as their ``str``).

    Returns
    -------
    bool
        True if ``text`` has no ``$``, has a ``\\``, ``^`` or ``_``, and no word of four
        or more letters outside ``\\operatorname{...}``, ``\\text{...}``,
        ``\\mathrm{...}``, ... and other control sequences.

    Raises
    ------
    None
        Any object is read through ``str``; the answer is a heuristic, never an error.

    References
    ----------
    Knuth (1984), The TeXbook, Chapter 7 ("How TeX reads what you type": control
    sequences and the characters with special category codes); GitHub Docs, "Writing
    mathematical expressions" (``$...$`` in Markdown).

    Examples
    --------
    >>> looks_like_math(r"\\operatorname{norm}_1(\\mathbf{v}_j) + v_i")
    True
    >>> looks_like_math("State the bound with C from the proof: y_n <= C")
    False
    """
    text = str(text)
    if "$" in text or not any(ch in text for ch in "\\^_"):
        return False
    return re.search(r"[A-Za-z]{4,}", _WORDS_IN_COMMANDS.sub("", text)) is None


def is_real_model(check):
    """A real-model check (its group is recorded; older files used the ``real.``/``gemma.`` prefixes).

    Parameters
    ----------
    check : dict
        One entry of ``results.json["checks"]``.

    Returns
    -------
    bool
        True if ``check["group"] == "real-model"`` or its id starts with ``"real."`` or ``"gemma."``.

    Raises
    ------
    KeyError
        If ``check`` has no group ``"real-model"`` and no ``"id"``.

    References
    ----------
    ``verify/results.schema.json`` (the ``group`` of a check: ``"theory"`` or
    ``"real-model"``).

    Examples
    --------
    >>> is_real_model({"id": "gemma.B5"}), is_real_model({"id": "B.5", "group": "theory"})
    (True, False)
    """
    return check.get("group") == "real-model" or check["id"].startswith(("real.", "gemma."))


def cross_checks(doc, check):
    """The real-model results that share a paper statement with ``check``.

    Parameters
    ----------
    doc : dict
        A parsed ``results.json``.
    check : dict
        One of its checks.

    Returns
    -------
    list of dict
        The real-model checks of ``doc`` whose ``paper_refs`` meet those of ``check``,
        in file order; empty when ``check`` is itself a real-model check.

    Raises
    ------
    KeyError
        If ``check`` or a real-model check has no ``"paper_refs"``, or ``doc`` no
        ``"checks"``.

    References
    ----------
    Barbero et al. (2024), Section 3 (the real-model experiments beside the theory of
    Sections 4-6; Section 3.1 on p. 5) (arXiv:2406.04267 v2).

    Examples
    --------
    >>> doc = {"statements": [{"id": "B.3", "name": "Theorem B.3", "page": 15}], "checks": [
    ...     {"id": "B.3", "paper_refs": ["Theorem B.3"], "statements": ["B.3"], "group": "theory",
    ...      "status": "pass", "symbolic": [{"claim": "...", "latex": "0", "verified": True}],
    ...      "quantitative": {"rate": r"\\frac{1}{n}"}, "numeric": {},
    ...      "errata": [{"key": "B.3-induction", "statement": "B.3", "severity": "gap", "page": 15},
    ...                 {"key": "S2-value-index", "statement": "S2", "severity": "typo", "page": 3}]},
    ...     {"id": "gemma.B3", "paper_refs": ["Theorem B.3"], "group": "real-model", "status": "skip"}]}
    >>> [c["id"] for c in cross_checks(doc, doc["checks"][0])]
    ['gemma.B3']
    >>> cross_checks(doc, doc["checks"][1])
    []
    """
    if is_real_model(check):
        return []
    refs = set(check["paper_refs"])
    return [c for c in doc["checks"] if is_real_model(c) and refs & set(c["paper_refs"])]


def all_errata(doc):
    """Every erratum of every check, by severity (error, gap, typo, scope), then page, with its check id.

    Parameters
    ----------
    doc : dict
        A parsed ``results.json``.

    Returns
    -------
    list of dict
        Copies of the errata with a ``"check"`` key added, sorted by
        :data:`SEVERITY_ORDER` (unknown severities last), then page, then key.

    Raises
    ------
    KeyError
        If ``doc`` has no ``"checks"`` or a check with errata has no ``"id"``.

    References
    ----------
    Barbero et al. (2024) (arXiv:2406.04267 v2): the pages the errata cite;
    :data:`theory.audit.SEVERITY_RULE` for the four severities.

    Examples
    --------
    >>> doc = {"statements": [{"id": "B.3", "name": "Theorem B.3", "page": 15}], "checks": [
    ...     {"id": "B.3", "paper_refs": ["Theorem B.3"], "statements": ["B.3"], "group": "theory",
    ...      "status": "pass", "symbolic": [{"claim": "...", "latex": "0", "verified": True}],
    ...      "quantitative": {"rate": r"\\frac{1}{n}"}, "numeric": {},
    ...      "errata": [{"key": "B.3-induction", "statement": "B.3", "severity": "gap", "page": 15},
    ...                 {"key": "S2-value-index", "statement": "S2", "severity": "typo", "page": 3}]},
    ...     {"id": "gemma.B3", "paper_refs": ["Theorem B.3"], "group": "real-model", "status": "skip"}]}
    >>> [(e["key"], e["severity"], e["check"]) for e in all_errata(doc)]
    [('B.3-induction', 'gap', 'B.3'), ('S2-value-index', 'typo', 'B.3')]
    """
    out = [dict(e, check=c["id"]) for c in doc["checks"] for e in c.get("errata", [])]
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return sorted(out, key=lambda e: (rank.get(e.get("severity"), len(rank)), e.get("page", 0), e.get("key", "")))


def _covering(doc, sid):
    return [c for c in doc["checks"] if sid in c.get("statements", [])]


def _mark(flag):
    return "yes" if flag else "-"


def statement_status(doc):
    """One row per statement: what is checked, by which checks, and the errata counts by severity.

    Parameters
    ----------
    doc : dict
        A parsed ``results.json`` with its ``"statements"`` list (none: no rows).

    Returns
    -------
    list of list
        One row per statement, in the order of :data:`STATUS_COLUMNS`: statement,
        page, checks (with status), closed form (some covering check has sympy steps,
        all verified), rate, enclosure, real model (the cross-checks with status),
        errata by severity. ``"yes"``/``"-"`` mark what is checked.

    Raises
    ------
    KeyError
        If a statement lacks ``"id"``, ``"name"`` or ``"page"``, or a check lacks
        ``"id"``, ``"status"`` or ``"paper_refs"``.

    References
    ----------
    Barbero et al. (2024), the statements of Sections 4-6 and Appendices B-C,
    pp. 7-24 (arXiv:2406.04267 v2), as listed in :data:`theory.statements.STATEMENTS`.

    Examples
    --------
    >>> doc = {"statements": [{"id": "B.3", "name": "Theorem B.3", "page": 15}], "checks": [
    ...     {"id": "B.3", "paper_refs": ["Theorem B.3"], "statements": ["B.3"], "group": "theory",
    ...      "status": "pass", "symbolic": [{"claim": "...", "latex": "0", "verified": True}],
    ...      "quantitative": {"rate": r"\\frac{1}{n}"}, "numeric": {},
    ...      "errata": [{"key": "B.3-induction", "statement": "B.3", "severity": "gap", "page": 15},
    ...                 {"key": "S2-value-index", "statement": "S2", "severity": "typo", "page": 3}]},
    ...     {"id": "gemma.B3", "paper_refs": ["Theorem B.3"], "group": "real-model", "status": "skip"}]}
    >>> statement_status(doc)
    [['Theorem B.3', 15, 'B.3 (pass)', 'yes', 'yes', '-', 'gemma.B3 (skip)', '1 gap']]
    """
    errata = all_errata(doc)
    rows = []
    for s in doc.get("statements", []):
        checks = _covering(doc, s["id"])
        theory = [c for c in checks if not is_real_model(c)]
        real = [c for c in doc["checks"] if is_real_model(c) and s["name"] in c["paper_refs"]]
        counts = {sev: sum(1 for e in errata if e.get("statement") == s["id"] and e.get("severity") == sev)
                  for sev in SEVERITY_ORDER}
        rows.append([
            f"{s['name']}", s["page"], ", ".join(f"{c['id']} ({c['status']})" for c in theory) or "-",
            _mark(any(c.get("symbolic") and all(x["verified"] for x in c["symbolic"]) for c in theory)),
            _mark(any((c.get("quantitative") or {}).get("rate") for c in theory)),
            _mark(any((c.get("numeric") or {}).get("enclosures") for c in theory)),
            ", ".join(f"{c['id']} ({c['status']})" for c in real) or "-",
            " ".join(f"{counts[sev]} {sev}" for sev in SEVERITY_ORDER if counts[sev]) or "none",
        ])
    return rows


STATUS_COLUMNS = ["statement", "page", "checks", "closed form", "rate", "enclosure", "real model", "errata"]


def evidence_items(evidence, limit=10):
    """The scalar numbers of an erratum's evidence, as ``(name, value)`` pairs (lists shortened).

    Parameters
    ----------
    evidence : dict
        An erratum's ``evidence`` (from :func:`theory.audit.run_evidence`).
    limit : int
        At most this many pairs.

    Returns
    -------
    list of tuple
        ``(name, value)`` in the dict's order; nested dicts and lists of dicts or lists
        are left out, and lists longer than 6 end with ``"..."``.

    Raises
    ------
    AttributeError
        If ``evidence`` is not a dict.

    References
    ----------
    :func:`theory.audit.run_evidence` (the evidence of each erratum of Barbero et al.
    (2024), arXiv:2406.04267 v2).

    Examples
    --------
    >>> evidence_items({"n": 7391, "eps": 1e-06, "ns": list(range(10)), "table": {"a": 1}})
    [('n', 7391), ('eps', 1e-06), ('ns', [0, 1, 2, 3, 4, 5, '...'])]
    """
    items = []
    for key, value in evidence.items():
        if isinstance(value, dict):
            continue
        if isinstance(value, list):
            if not value or isinstance(value[0], (dict, list)):
                continue
            value = value[:6] + (["..."] if len(value) > 6 else [])
        items.append((key, value))
    return items[:limit]


def prescription_section(doc):
    """The "Glasses prescription" section from check ``real.prescription``: None when it did not run.

    Parameters
    ----------
    doc : dict
        A loaded ``results.json``.

    Returns
    -------
    dict or None
        ``status``, ``max_length``, the recommendation table (``columns``, ``rows``: one
        row per model, or theory encoding, and dtype), the agreement ``sentence``, the
        task-accuracy caption and table (``accuracy``, ``accuracy_columns``,
        ``accuracy_rows``) and the ``figures``; None when the check did not run or skipped.

    Raises
    ------
    KeyError
        A ``real.prescription`` entry without its evidence fields (a results.json that
        the schema would have refused).

    References
    ----------
    Barbero et al. (2024), Section 4, "A simple solution to representational collapse",
    pp. 7-8 (Figure 5 d).

    Examples
    --------
    >>> prescription_section({"checks": [{"id": "real.prescription", "status": "skip"}]}) is None
    True
    """
    c = next((c for c in doc["checks"] if c["id"] == "real.prescription" and c["status"] != "skip"), None)
    if c is None or "recommendations" not in c.get("evidence", {}):
        return None
    ev = c["evidence"]
    rows = [[label, *row] for label, rs in ev["recommendations"].items() for row in rs]
    rows += [[f"theory ({enc})", *row] for enc, rs in ev.get("theory_recommendations", {}).items() for row in rs]
    from verify.prescribe.report import accuracy_caption, accuracy_columns, accuracy_rows

    accuracy = ev.get("accuracy") or {"status": "absent", "why": "not recorded"}
    return {"status": c["status"], "max_length": ev["max_length"], "columns": ["model", *ev["recommendation_columns"]],
            "rows": rows, "sentence": ev["agreement"], "figures": c.get("figures", []),
            "accuracy": accuracy_caption(accuracy), "accuracy_columns": accuracy_columns(accuracy),
            "accuracy_rows": accuracy_rows(accuracy)}
