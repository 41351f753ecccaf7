"""Fixtures of the real-model tests: models loaded once per session, tiny random models saved once."""

import functools

import pytest


@pytest.fixture(scope="session")
def real_model():
    """``real_model(name)``: a default model loaded once per session (fp32, banded attention)."""
    from verify.models.loading import load_model

    return functools.lru_cache(maxsize=None)(lambda name: load_model(name))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """``tiny_model_dir(family)``: the directory of a tiny random model, saved once per session."""
    from tests.tiny_models import save_tiny_model

    @functools.lru_cache(maxsize=None)
    def make(family):
        return save_tiny_model(tmp_path_factory.mktemp(f"tiny-{family}"), family)

    return make


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    """``tiny_model(family)``: a tiny random model of ``family`` ("llama", "qwen2"), loaded."""
    from verify.models.loading import load_model

    return functools.lru_cache(maxsize=None)(lambda family: load_model(tiny_model_dir(family)))
