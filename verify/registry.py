"""The checks run by ``python -m verify.all``: what a check is, and the registry of them.

A check has three parts, each a small function:

- ``compute(ctx, **params) -> Findings``: the mathematics (calling :mod:`theory` and
  :mod:`graphs`); its default parameters state the paper's hypotheses;
- ``judge(findings) -> Conditions``: the named pass/fail conditions, a pure function
  of what was found;
- ``summary(findings) -> str`` (the deciding figure of the results table) and,
  optionally, ``figure(findings, ctx) -> [paths]`` (the plots).

Its metadata (id, the statements it covers, title, quoted statement) is given once, to
:func:`register`; :meth:`Check.run` calls the three parts and builds the :class:`Result`.
Tests call ``REGISTRY[id].run(ctx, **params)`` with parameters that violate a hypothesis
(the negative controls) and expect ``status == "fail"``.

Examples
--------
A whole check, in one file (see ``docs/contributing.md``):

>>> from verify.registry import Check, Conditions, Context, Findings
>>> def compute(ctx, n=10):
...     return Findings(evidence={"n": n, "sum": n * (n + 1) // 2})
>>> def judge(f):
...     c = Conditions()
...     c.add("Gauss: 1 + ... + n = n(n+1)/2", f.evidence["sum"] == sum(range(f.evidence["n"] + 1)))
...     return c
>>> check = Check("demo", ["none"], "Gauss's sum", compute, judge=judge,
...               summary=lambda f: f"sum = {f.evidence['sum']}")
>>> r = check.run(Context(figures=False))
>>> r.status, r.deciding
('pass', 'sum = 55')
"""

import contextlib
import functools
import zlib
from dataclasses import dataclass, field

import numpy as np

from theory.statements import STATEMENTS
from verify.io import clean

__all__ = [
    "Findings",
    "Result",
    "Check",
    "Context",
    "Conditions",
    "REGISTRY",
    "register",
    "all_checks",
]

STATUSES = ("pass", "fail", "skip")
GROUPS = ("theory", "real-model")


@dataclass
class Findings:
    """What a check's ``compute`` found.

    ``symbolic``, ``quantitative``, ``numeric``, ``evidence`` and ``errata`` go to
    ``results.json`` as they are; ``data`` holds arrays and objects that ``judge``,
    ``summary`` and ``figure`` need but that are not written. A non-empty ``skip``
    makes the check report ``skip`` with that reason (nothing to check: a missing
    optional extra, a model without a global layer, ...).
    """

    symbolic: list = field(default_factory=list)
    quantitative: dict = field(default_factory=dict)
    numeric: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    errata: list = field(default_factory=list)
    data: dict = field(default_factory=dict)
    skip: str = ""


@dataclass
class Result:
    """What a check reports; the unit of ``results.json``."""

    id: str
    paper_refs: list
    title: str
    status: str
    reason: str = ""
    statements: list = field(default_factory=list)
    group: str = "theory"
    deciding: str = ""
    statement: str = ""
    symbolic: list = field(default_factory=list)
    quantitative: dict = field(default_factory=dict)
    numeric: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    errata: list = field(default_factory=list)
    confirmations: list = field(default_factory=list)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def to_json(self):
        return clean({
            "id": self.id, "paper_refs": self.paper_refs, "statements": self.statements,
            "group": self.group, "title": self.title,
            "status": self.status, "reason": self.reason, "deciding": self.deciding,
            "statement": self.statement, "symbolic": self.symbolic,
            "quantitative": self.quantitative, "numeric": self.numeric,
            "evidence": self.evidence, "figures": self.figures, "errata": self.errata,
            "confirmations": self.confirmations,
        })


@dataclass(frozen=True)
class Context:
    """What every check receives from the run: speed mode, output place, seed, models.

    Parameters
    ----------
    quick : bool
        Smaller ranges for a fast look.
    out_dir : str
        Where figures go (``<out_dir>/figures``).
    seed : int
        Base seed; every random draw of every check derives from it through
        :meth:`stream_seed`.
    figures : bool
        Draw figures.
    models : tuple
        The real models of the real-model checks (resolved model specifications).

    Examples
    --------
    >>> Context(seed=5).stream_seed(2)
    7
    >>> float(Context(seed=5).rng(2).random()) == float(np.random.default_rng(7).random())
    True
    """

    quick: bool = False
    out_dir: str = "docs/appendix"
    seed: int = 0
    figures: bool = True
    models: tuple = ()

    @property
    def figure_dir(self):
        import os

        return os.path.join(self.out_dir, "figures")

    def stream_seed(self, stream=0):
        """The seed of random stream ``stream`` of a check: ``seed + stream``.

        A check numbers its independent draws 0, 1, 2, ... (weights, tokens, ...); the
        evidence records the seeds used, and ``--seed`` moves them all.
        """
        if isinstance(stream, str):
            stream = zlib.crc32(stream.encode()) % 1000 + 1000
        return self.seed + int(stream)

    def rng(self, stream=0):
        """``numpy.random.Generator`` of random stream ``stream`` (see :meth:`stream_seed`)."""
        return np.random.default_rng(self.stream_seed(stream))


class Conditions:
    """Named pass/fail conditions of a check; the status is their conjunction.

    Examples
    --------
    >>> c = Conditions()
    >>> c.add("positive", True, "min 0.1")
    >>> c.add("bounded", False, "max 3 > 2")
    >>> c.status(), c.reason()
    ('fail', 'bounded: max 3 > 2')
    """

    def __init__(self):
        self.items = []

    def add(self, name, ok, detail=""):
        self.items.append({"condition": name, "ok": bool(ok), "detail": detail})

    def all_verified(self, name, steps):
        """One condition: every symbolic step in ``steps`` was verified by sympy."""
        self.add(name, all(s["verified"] for s in steps),
                 ", ".join(s["claim"] for s in steps if not s["verified"]))

    def status(self):
        return "pass" if all(i["ok"] for i in self.items) else "fail"

    def reason(self):
        return "; ".join(f"{i['condition']}: {i['detail']}" for i in self.items if not i["ok"])


def _no_figure(findings, ctx):
    return []


def quoted_statement(ids):
    """The statement a check covers, quoted from the paper with its page.

    The appendix version is quoted when the check covers both it and its main-text
    (informal) version; the informal one is named after it.

    Examples
    --------
    >>> quoted_statement(["4.1", "B.2"])[:40]
    'Lemma B.2 (p. 14). Lemma B.2. Consider t'
    """
    if not ids:
        return ""
    formal = [i for i in ids if STATEMENTS[i].informal_of is None] or list(ids)
    main = STATEMENTS[formal[0]]
    text = f"{main.name} (p. {main.page}). {main.text}"
    others = [STATEMENTS[i] for i in ids if i != main.id]
    if others:
        text += " [Also covers: " + "; ".join(f"{o.name} (p. {o.page})" for o in others) + ".]"
    return text


@functools.lru_cache(maxsize=None)
def erratum_record(key):
    """An erratum of the audit (``theory.audit``) with its evidence computed now.

    Returns the entry's fields, the evidence dict and ``supported``: whether the evidence
    is what the severity rule requires.
    """
    from dataclasses import asdict

    from theory import audit

    entry = audit.erratum(key)
    result = audit.run_evidence(key)
    return dict(asdict(entry), evidence=result, supported=audit.evidence_supports(entry.severity, result))


@functools.lru_cache(maxsize=None)
def confirmation_record(key):
    """A confirmation of the audit (the authors' own caveat, checked) with its evidence."""
    from dataclasses import asdict

    from theory import audit

    entry = next(c for c in audit.CONFIRMATIONS if c.key == key)
    return dict(asdict(entry), evidence=audit.run_evidence(key))


def errata_keys(check_id):
    """The audit's errata and confirmations that check ``check_id`` attaches."""
    from theory import audit

    confirmations = tuple(k for k, cid in audit.CONFIRMATION_CHECKS.items() if cid == check_id)
    return audit.CHECK_KEYS.get(check_id, ()), confirmations


class Check:
    """A registered check: metadata given once, and its compute/judge/summary/figure parts.

    Parameters
    ----------
    id : str
        The check id (``"B.1"``, ``"fig9"``, ...).
    statements : list of str
        Ids of the statements of the paper it covers (keys of
        :data:`theory.statements.STATEMENTS`: ``"B.1"``, ``"4.1"``, ``"fig9"``); their
        printed names become ``paper_refs`` and the quoted text comes from there. Plain
        names that are not ids (``"none"``) are kept as they are (tests, examples).
    title : str
        What it checks, in one line (the results table and the appendix use it).
    compute : callable
        ``compute(ctx, **params) -> Findings``.
    judge, summary, figure : callable
        See the module docstring. ``summary`` defaults to an empty string and
        ``figure`` to no figure.
    statement : str
        A quoted statement for a check whose statements are not in the paper's list.
    group : {"theory", "real-model"}
    cost : int
        Relative run time; the slow checks start first.
    """

    def __init__(self, id, statements, title, compute, judge=None, summary=None, figure=None,
                 statement="", group="theory", cost=1):
        if group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
        self.id = id
        self.statement_ids = [s for s in statements if s in STATEMENTS]
        self.paper_refs = [STATEMENTS[s].name if s in STATEMENTS else s for s in statements]
        self.title = title
        self.compute = compute
        self._judge = judge
        self._summary = summary
        self._figure = figure or _no_figure
        self.statement = statement or quoted_statement(self.statement_ids)
        self.group = group
        self.cost = cost
        self.__doc__ = compute.__doc__

    def __repr__(self):
        return f"<Check {self.id}: {self.title}>"

    # Decorators that attach the other parts after the compute function.
    def judge(self, func):
        self._judge = func
        return func

    def summary(self, func):
        self._summary = func
        return func

    def figure(self, func):
        self._figure = func
        return func

    def result(self, status, reason="", **fields):
        """A :class:`Result` carrying this check's metadata."""
        return Result(id=self.id, paper_refs=self.paper_refs, title=self.title, status=status,
                      reason=reason, statement=self.statement, statements=self.statement_ids,
                      group=self.group, **fields)

    def run(self, ctx, **params):
        """Compute, judge, summarise and draw; return the :class:`Result`."""
        found = self.compute(ctx, **params)
        if self._judge is None:
            raise TypeError(f"check {self.id} has no judge function")
        if found.skip:
            return self.result("skip", found.skip, deciding="skipped", evidence=found.evidence)
        cond = self._judge(found)
        errata, confirmations = self._audit_entries(cond)
        evidence = dict(found.evidence, conditions=cond.items)
        figures = self._figure(found, ctx) if ctx.figures else []
        return self.result(
            cond.status(), cond.reason(),
            deciding=self._summary(found) if self._summary else "",
            symbolic=found.symbolic, quantitative=found.quantitative, numeric=found.numeric,
            evidence=evidence, figures=figures, errata=found.errata + errata,
            confirmations=confirmations,
        )

    def _audit_entries(self, cond):
        """Errata and confirmations of the audit for this check; each erratum's evidence is a condition."""
        keys, confirmation_keys = errata_keys(self.id)
        errata = [erratum_record(k) for k in keys]
        for e in errata:
            cond.add(f"erratum {e['key']} ({e['severity']}): evidence as the severity rule requires",
                     e["supported"], f"hypotheses_hold={e['evidence']['hypotheses_hold']}, "
                                     f"claim_fails={e['evidence']['claim_fails']}")
        return errata, [confirmation_record(k) for k in confirmation_keys]


REGISTRY = {}


def register(id, statements, title, statement="", group="theory", cost=1):
    """Decorator: register ``compute`` as check ``id``; returns the :class:`Check`.

    ``statements`` are ids of :data:`theory.statements.STATEMENTS`. The returned check's
    ``judge``, ``summary`` and ``figure`` attributes are decorators for the other parts.
    """

    def deco(compute):
        if id in REGISTRY:
            raise ValueError(f"check id {id!r} registered twice")
        check = Check(id, statements, title, compute, statement=statement, group=group, cost=cost)
        REGISTRY[id] = check
        return check

    return deco


def all_checks():
    """Every registered check, in the order of the paper (importing the check modules)."""
    import verify.checks  # noqa: F401  (registers on import)

    return list(REGISTRY.values())


@contextlib.contextmanager
def temporary_check(check):
    """Register ``check`` for the duration of a ``with`` block (tests, the contributing guide)."""
    if check.id in REGISTRY:
        raise ValueError(f"check id {check.id!r} registered twice")
    REGISTRY[check.id] = check
    try:
        yield check
    finally:
        REGISTRY.pop(check.id, None)
