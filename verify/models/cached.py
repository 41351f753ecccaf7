"""Models for the tasks of a sweep (:mod:`verify.sweep`): loaded once per process, named by JSON.

A task names its model by :func:`model_ref` (a default model's name, or an absolute
path) and its sha256, both JSON, so the task's content address changes when the
weights do. :func:`loaded` loads the model the first time a process (a Dask worker, or
this process for a serial sweep) needs it and keeps one copy per dtype, never casting
the fp32 weights in place. :func:`planning_model` gives what planning needs (tokenizer,
architecture) without loading any weight.
"""

import verify.models  # noqa: F401  (switches the hub off before transformers is imported)
from verify.sweep import worker_cached

__all__ = ["model_ref", "loaded", "preload", "planning_model", "tokenizer_and_architecture"]

#: (model_ref, sha256) -> a LoadedModel given by the caller (serial sweeps in this process).
_PRELOADED = {}


def model_ref(spec):
    """How a worker finds a model again: a default model's name, or the absolute path."""
    from verify.models.sources import PACKAGED

    return spec.key if spec.key in PACKAGED else spec.path


def preload(lm):
    """Let the tasks run in this process use ``lm`` (an fp32 :class:`LoadedModel`) instead of loading it."""
    _PRELOADED[(model_ref(lm.spec), lm.spec.sha256)] = lm
    _base.cache_clear()
    loaded.cache_clear()


@worker_cached(maxsize=2)
def _base(model, sha256):
    from verify.models.loading import load_model
    from verify.models.sources import resolve_model

    if (model, sha256) in _PRELOADED:
        return _PRELOADED[(model, sha256)]
    spec = resolve_model(model)
    if spec.sha256 != sha256:
        raise ValueError(f"model {model}: its sha256 is {spec.sha256[:12]}..., the sweep was planned "
                         f"for {sha256[:12]}... (the file changed)")
    return load_model(spec, "fp32")


@worker_cached(maxsize=3)
def loaded(model, sha256, dtype):
    """The model in ``dtype``, loaded once per process (the fp32 weights are never cast in place)."""
    return _base(model, sha256).in_dtype(dtype)


def tokenizer_and_architecture(spec):
    """The model's tokenizer and architecture, without loading its weights (converting a GGUF once)."""
    from transformers import AutoTokenizer

    from verify.models.loading import architecture_of, converted_dir

    arch = architecture_of(spec)  # converts a GGUF model on first use, so the folder below exists
    folder = spec.path if spec.kind == "hf" else converted_dir(spec)
    return AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False), arch


def planning_model(spec):
    """A :class:`LoadedModel` without weights (``model`` and ``adapter`` are None): enough to tokenise and plan."""
    from verify.models.loading import LoadedModel

    tok, arch = tokenizer_and_architecture(spec)
    return LoadedModel(None, tok, spec, None, arch, "fp32")
