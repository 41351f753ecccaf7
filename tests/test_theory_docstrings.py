"""Every public function, class and method of ``theory`` has a full NumPy docstring (issue 9).

Sections: Parameters, Returns (not for classes), Raises, References citing a page of the
published paper ("p. N"), and Examples that run (the doctests run them; here they must
exist). Module docstrings say what the module is for.
"""

import importlib
import inspect
import re

import pytest

#: Infrastructure with no statement in the paper (its References say so).
NOT_FROM_THE_PAPER = {"get_limits", "set_limits"}

#: The package and the modules this file covers (statements/audit, added by others, are
#: not listed here).
MODULES = ["theory", "theory.collapse", "theory.counting", "theory.positional", "theory.precision",
           "theory.search", "theory.sensitivity", "theory.softmax"]


def _public_objects():
    for name in sorted(set().union(*(importlib.import_module(m).__all__ for m in MODULES[1:]))):
        obj = getattr(importlib.import_module(_module_of(name)), name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj
        if inspect.isclass(obj):
            for meth, fn in vars(obj).items():
                if inspect.isfunction(fn) and not meth.startswith("_") and fn.__doc__ and len(
                        inspect.signature(fn).parameters) > 1 and obj.__module__ == "theory.collapse":
                    yield f"{name}.{meth}", fn


def _module_of(name):
    for mod in MODULES[1:]:
        if name in importlib.import_module(mod).__all__:
            return mod
    raise LookupError(name)


def _sections(doc):
    return set(re.findall(r"^\s*(\w[\w ]*)\n\s*-{3,}\s*$", doc, flags=re.M))


@pytest.mark.parametrize("name, obj", list(_public_objects()), ids=lambda v: v if isinstance(v, str) else "")
def test_numpy_docstring_sections(name, obj):
    doc = inspect.getdoc(obj) or ""
    want = {"Parameters", "Raises", "References", "Examples"}
    if not inspect.isclass(obj):
        want.add("Returns")
    missing = want - _sections(doc)
    assert not missing, f"{name}: missing {sorted(missing)}"
    refs = doc.split("References")[1].split("Examples")[0]
    if name not in NOT_FROM_THE_PAPER:
        assert re.search(r"pp?\. \d", refs), f"{name}: References cite no page"
    assert ">>>" in doc.split("Examples")[1], f"{name}: Examples has no doctest"


@pytest.mark.parametrize("module", MODULES)
def test_module_docstring_says_what_it_is_for(module):
    doc = importlib.import_module(module).__doc__ or ""
    assert len(doc.split()) >= 20, module
