"""The Python blocks of the docs run as written."""

import os
import re

import pytest

from tests.conftest import ROOT


def _blocks(path):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def _models_available():
    from verify.models.sources import models_available

    return models_available()[0]


@pytest.mark.parametrize("path", ["docs/gnn-guide.md", "README.md", "docs/contributing.md"])
def test_python_blocks_run(path):
    from verify.registry import REGISTRY, all_checks

    all_checks()
    before = set(REGISTRY)
    ns = {}
    blocks = _blocks(path)
    assert blocks
    try:
        for code in blocks:
            if "verify.models" in code and not _models_available():
                continue  # a block on a real model needs the optional models extra
            exec(compile(code, path, "exec"), ns)
    finally:
        # A guide may register an example check; it must not leak into other tests.
        for added in set(REGISTRY) - before:
            del REGISTRY[added]
