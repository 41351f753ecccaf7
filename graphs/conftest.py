"""Doctest namespace for graphs/ (as networkx's conftest does): ``np`` and ``nx`` are there."""

import networkx as nx
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def add_np_nx(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["nx"] = nx
