"""The public surface of graphs: networkx-style top-level API and complete NumPy docstrings."""

import inspect
import re

import pytest

import graphs

MODULES = [graphs.attention, graphs.bounds, graphs.causal, graphs.convert, graphs.curvature,
           graphs.decorators, graphs.expansion, graphs.flow, graphs.gnn, graphs.paths,
           graphs.resistance, graphs.rewiring, graphs.spectral, graphs.validate]
PUBLIC = sorted({(m.__name__, name) for m in MODULES for name in m.__all__
                 if inspect.isfunction(getattr(m, name))})
SECTIONS = ("Parameters", "Returns", "Raises", "References", "Examples")


def test_top_level_api_like_networkx():
    assert graphs.path_count(9, 0, 3) == 55
    for name in graphs.__all__:
        assert hasattr(graphs, name), name
    for m in MODULES:
        if m not in (graphs.validate, graphs.decorators):
            for name in m.__all__:
                assert getattr(graphs, name) is getattr(m, name), (m.__name__, name)


@pytest.mark.parametrize("module, name", PUBLIC)
def test_every_public_function_has_a_numpy_docstring(module, name):
    func = getattr(__import__(module, fromlist=[name]), name)
    doc = inspect.getdoc(func) or ""
    for section in SECTIONS:
        if section == "Parameters" and not inspect.signature(func).parameters:
            continue
        assert re.search(rf"^{section}\n-{{{len(section)}}}$", doc, flags=re.M), \
            f"{module}.{name} lacks a {section} section"
    assert ">>> " in doc.split("Examples", 1)[1], f"{module}.{name} has no runnable example"
