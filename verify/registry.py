"""Check, Result and the registry of checks run by ``python -m verify.all``.

A check is a function ``f(ctx, **params) -> Result``. Its default parameters state
the paper's hypotheses; tests call it with parameters that violate them (the
negative controls) and expect ``status == "fail"``.
"""

import contextlib
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Result",
    "Check",
    "Context",
    "Conditions",
    "REGISTRY",
    "register",
    "all_checks",
    "clean",
    "atomic_write_text",
    "atomic_write_bytes",
    "atomic_directory",
]

STATUSES = ("pass", "fail", "skip")


def clean(value, digits=10):
    """Make ``value`` JSON-ready and deterministic: numpy to Python, floats to ``digits`` significant digits.

    Rounding keeps ``results.json`` byte-identical across runs even where the last
    bits of a float depend on summation order.
    """
    if isinstance(value, dict):
        return {str(k): clean(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, digits) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist(), digits)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return 0.0
        return float(f"{v:.{digits}g}")
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass
class Result:
    """What a check found; the unit of ``results.json``."""

    id: str
    paper_refs: list
    title: str
    status: str
    reason: str = ""
    deciding: str = ""
    statement: str = ""
    symbolic: list = field(default_factory=list)
    quantitative: dict = field(default_factory=dict)
    numeric: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    errata: list = field(default_factory=list)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def to_json(self):
        return clean({
            "id": self.id, "paper_refs": self.paper_refs, "title": self.title,
            "status": self.status, "reason": self.reason, "deciding": self.deciding,
            "statement": self.statement, "symbolic": self.symbolic,
            "quantitative": self.quantitative, "numeric": self.numeric,
            "evidence": self.evidence, "figures": self.figures, "errata": self.errata,
        })


@dataclass
class Context:
    """What every check receives: speed mode, where figures go, the base seed."""

    quick: bool = False
    out_dir: str = "docs/appendix"
    seed: int = 0
    figures: bool = True

    @property
    def figure_dir(self):
        return os.path.join(self.out_dir, "figures")


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

    def status(self):
        return "pass" if all(i["ok"] for i in self.items) else "fail"

    def reason(self):
        return "; ".join(f"{i['condition']}: {i['detail']}" for i in self.items if not i["ok"])


@dataclass
class Check:
    id: str
    paper_refs: list
    title: str
    func: object
    group: str = "theory"
    cost: int = 1  # relative run time, used to start the slow checks first

    def run(self, ctx, **params):
        return self.func(ctx, **params)


REGISTRY = {}


def register(id, paper_refs, title, group="theory", cost=1):
    """Decorator adding a check function to :data:`REGISTRY` under ``id``."""

    def deco(func):
        if id in REGISTRY:
            raise ValueError(f"check id {id!r} registered twice")
        REGISTRY[id] = Check(id, list(paper_refs), title, func, group, cost)
        func.check_id = id
        return func

    return deco


def all_checks():
    """Every registered check, in the order of the paper (importing the check modules)."""
    import verify.checks  # noqa: F401  (registers on import)

    return list(REGISTRY.values())


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    An interrupted write leaves the previous file intact.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text):
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(target):
    """Build a directory in a temporary sibling and move it to ``target`` only on success.

    Yields the temporary path. On any error (or interruption) it is removed and a
    previous ``target`` is left as it was.
    """
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".building-")
    try:
        yield tmp
        if os.path.exists(target):
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
