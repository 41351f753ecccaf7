"""Every public function, class and check of verify/'s infrastructure, appendix and theory
checks has a full NumPy docstring (issue 9).

Sections: Parameters (when there are any), Returns or Yields (not for classes), Raises,
References and Examples with a doctest. A registered check is a ``Check`` object whose
docstring is its compute function's; the References of everything in a check module cite
the page of the paper ("p. N"). doctest collects functions and classes only, so each
check module lists its compute functions in ``__test__``; the examples themselves run
under ``--doctest-modules``, this file only makes sure they exist.

The real-model code (``verify.gemma``, ``verify.models``, ``verify.checks.gemma_checks``),
``verify.registry`` and ``verify.all`` are covered elsewhere.
"""

import importlib
import inspect
import re

import pytest

from verify.registry import Check

INFRASTRUCTURE = ["verify.io", "verify.output", "verify.sweep", "verify.figures",
                  "verify.appendix.render", "verify.appendix.content", "verify.checks._common"]
CHECK_MODULES = ["verify.checks.softmax_lemmas", "verify.checks.collapse_checks",
                 "verify.checks.oversquashing", "verify.checks.counting_checks",
                 "verify.checks.appendix_c"]


def _public(module_name):
    """``(name, object carrying the docstring, is_class)`` for each public definition of a module.

    Public: no leading underscore, defined in the module (imports are skipped); a check
    counts through its compute function, a class with its public methods.
    """
    for name, obj in sorted(vars(importlib.import_module(module_name)).items()):
        qualified = f"{module_name}.{name}"
        if name.startswith("_"):
            continue
        if isinstance(obj, Check):
            yield qualified, obj.compute, False
        elif callable(obj) and getattr(obj, "__module__", None) == module_name:
            yield qualified, obj, inspect.isclass(obj)
            for meth, fn in vars(obj).items() if inspect.isclass(obj) else ():
                if inspect.isfunction(fn) and not meth.startswith("_"):
                    yield f"{qualified}.{meth}", fn, False


PUBLIC = [item for module in INFRASTRUCTURE + CHECK_MODULES for item in _public(module)]


def _takes_arguments(obj):
    try:
        params = list(inspect.signature(obj).parameters)
    except ValueError:  # exception classes: a message, documented as a parameter
        return True
    return bool(params[1:] if params[:1] == ["self"] else params)


def _sections(doc):
    return set(re.findall(r"^(\w[\w ]*)\n-{3,}$", doc, flags=re.M))


def test_the_walk_finds_functions_classes_methods_and_checks():
    names = {name for name, _, _ in PUBLIC}
    for expected in ("verify.io.clean", "verify.sweep.execute", "verify.output.StagedOutput",
                     "verify.output.StagedOutput.commit", "verify.checks.collapse_checks.grid_sweep",
                     "verify.checks.softmax_lemmas.check_b1", "verify.checks.appendix_c.check_deps"):
        assert expected in names, expected
    assert not names & {"verify.figures.atomic_write_bytes", "verify.checks.oversquashing.spearmanr"}


@pytest.mark.parametrize("name, obj, is_class", PUBLIC, ids=[name for name, _, _ in PUBLIC])
def test_numpy_docstring_sections(name, obj, is_class):
    doc = inspect.getdoc(obj) or ""
    found = _sections(doc)
    want = {"Raises", "References", "Examples"} | ({"Parameters"} if _takes_arguments(obj) else set())
    missing = sorted(want - found)
    if not is_class and not found & {"Returns", "Yields"}:
        missing.append("Returns or Yields")
    assert not missing, f"{name}: missing {missing}"
    examples = doc.split("Examples\n--------", 1)[1]
    assert ">>> " in examples, f"{name}: Examples has no doctest"
    if name.startswith("verify.checks.") and not name.startswith("verify.checks._common"):
        refs = doc.split("References\n----------", 1)[1].split("Examples\n--------", 1)[0]
        assert re.search(r"\bpp?\. \d", refs), f"{name}: References cite no page of the paper"


@pytest.mark.parametrize("module_name", CHECK_MODULES)
def test_doctest_reaches_every_check(module_name):
    module = importlib.import_module(module_name)
    checks = [obj for obj in vars(module).values() if isinstance(obj, Check)]
    listed = getattr(module, "__test__", {})
    assert checks
    for check in checks:
        assert listed.get(check.id) is check.compute, f"{check.id} is not in {module_name}.__test__"
