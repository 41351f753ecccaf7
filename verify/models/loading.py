"""Load a real model on the CPU: GGUF conversion (cached), Hugging Face directories, one copy per dtype.

transformers dequantizes a GGUF file to fp32 (about a minute for Gemma 3 270M, 16 s for
SmolLM2 here) and refuses to ``save_pretrained`` a GGUF-loaded model. The converted
weights are therefore cached as ``model.safetensors`` (``safetensors.torch.save_model``,
which keeps the tied embedding once) next to ``config.json`` and the tokenizer files, in
``<cache>/models/<first 16 hex digits of the GGUF's sha256>/``, written as one atomic
directory; a second process loads that in a few seconds. Nothing is ever unpickled,
no remote code runs (``trust_remote_code=False``) and nothing is downloaded
(``local_files_only=True``, and the hub is off, see :mod:`verify.models`).

Every forward pass of this package uses the ``"tng_banded"`` attention
(:mod:`verify.models.attention`) unless eager attention is asked for explicitly.
"""

import copy
import json
import os
from dataclasses import dataclass, replace

import verify.models  # noqa: F401  (switches the hub off before transformers is imported)
from verify.io import atomic_directory, atomic_write_text
from verify.models.adapters import adapter_for
from verify.models.sources import cache_root, models_available, resolve_model

__all__ = ["LoadedModel", "load_model", "architecture_of", "converted_dir", "DTYPES"]

#: Our dtype names -> torch dtype attribute names.
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
_OFFLINE = {"local_files_only": True, "trust_remote_code": False}


def _torch_dtype(dtype):
    import torch

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return getattr(torch, DTYPES[dtype])


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to run: weights, tokenizer, where it came from, and its architecture.

    Attributes
    ----------
    model : transformers PreTrainedModel (causal LM), in eval mode
    tokenizer : transformers tokenizer
    spec : verify.models.sources.ModelSpec
    adapter : verify.models.adapters.ModelAdapter
    arch : verify.models.adapters.Architecture
    dtype : str
        ``"fp32"``, ``"bf16"`` or ``"fp16"``: the dtype of every weight.
    """

    model: object
    tokenizer: object
    spec: object
    adapter: object
    arch: object
    dtype: str

    def in_dtype(self, dtype):
        """This model in ``dtype``, on its own copy of the weights (this one is left as it is).

        Casting in place would leave every later pass of "the fp32 model" running on
        rounded weights; a copy costs one model's memory for the duration of the pass.
        """
        if dtype == self.dtype:
            return self
        return replace(self, model=copy.deepcopy(self.model).to(_torch_dtype(dtype)).eval(), dtype=dtype)

    def with_attention(self, implementation):
        """Switch the attention implementation (``"tng_banded"`` or ``"eager"``) in place; returns self."""
        self.model.set_attn_implementation(implementation)
        return self

    def encode(self, text):
        """Token ids ``[1, n]`` of ``text`` with the tokenizer's own BOS policy (``arch.adds_bos``)."""
        return self.tokenizer(text, return_tensors="pt")["input_ids"]


def converted_dir(spec):
    """``<cache>/models/<spec.cache_key>``: where a GGUF model's fp32 conversion is cached."""
    return os.path.join(cache_root(), "models", spec.cache_key)


def _quiet_transformers():
    import transformers

    # The CLI shows its own progress; transformers' bars and warnings would interleave with it.
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def _convert_gguf(spec, target, attention):
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.split(spec.path)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name, **_OFFLINE)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, attn_implementation=attention,
                                                 dtype=torch.float32, **_OFFLINE)
    with atomic_directory(target) as tmp:
        tok.save_pretrained(tmp)
        cfg = model.config.to_dict()
        cfg.pop("quantization_config", None)
        atomic_write_text(os.path.join(tmp, "config.json"), json.dumps(cfg, indent=1))
        save_model(model, os.path.join(tmp, "model.safetensors"))
        atomic_write_text(os.path.join(tmp, "source.json"),
                          json.dumps({"name": spec.name, "path": spec.path, "sha256": spec.sha256}))
    return model, tok


def _load_converted(target, attention):
    import torch
    from safetensors.torch import load_model as load_weights
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.initialization import no_init_weights

    tok = AutoTokenizer.from_pretrained(target, **_OFFLINE)
    cfg = AutoConfig.from_pretrained(target, **_OFFLINE)
    with no_init_weights():  # every weight is about to be overwritten: skip the random initialisation
        model = AutoModelForCausalLM.from_config(cfg, attn_implementation=attention, dtype=torch.float32,
                                                 trust_remote_code=False)
    # Tie before loading: the file stores the shared embedding once (as lm_head.weight),
    # and tie_weights points lm_head at the embedding, not the other way round.
    model.tie_weights()
    missing, unexpected = load_weights(model, os.path.join(target, "model.safetensors"), strict=False)
    if missing or unexpected:
        raise ValueError(f"model: cached conversion in {target} does not match the model "
                         f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]}); delete it")
    return model, tok


def _conversion_is_complete(target, spec):
    try:
        with open(os.path.join(target, "source.json"), encoding="utf-8") as fh:
            source = json.load(fh)
    except (OSError, ValueError):
        return False
    return source.get("sha256") == spec.sha256 and os.path.isfile(os.path.join(target, "model.safetensors"))


def load_model(model=None, dtype="fp32", attention=None):
    """Load a model as a :class:`LoadedModel`, on the CPU, in ``dtype``.

    Parameters
    ----------
    model : str, ModelSpec or None
        A default model's name, a GGUF file, a Hugging Face directory (see
        :func:`verify.models.sources.resolve_model`) or an already resolved spec.
    dtype : {"fp32", "bf16", "fp16"}
    attention : str or None
        The attention implementation; default ``"tng_banded"``. ``"eager"`` when the
        full attention weights are wanted from transformers itself.

    Returns
    -------
    LoadedModel

    Raises
    ------
    ValueError
        Bad ``model`` or ``dtype``, a missing ``models`` extra, an unsupported model
        family (:class:`verify.models.adapters.UnsupportedModel`), or a damaged cache.
    """
    ok, why = models_available()
    if not ok:
        raise ValueError(why)
    _torch_dtype(dtype)
    from verify.models.attention import register_banded_attention

    attention = attention or register_banded_attention()
    _quiet_transformers()
    spec = model if hasattr(model, "sha256") else resolve_model(model)
    if spec.kind == "hf":
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        adapter = adapter_for(AutoConfig.from_pretrained(spec.path, **_OFFLINE))
        tok = AutoTokenizer.from_pretrained(spec.path, **_OFFLINE)
        m = AutoModelForCausalLM.from_pretrained(spec.path, attn_implementation=attention, dtype=torch.float32,
                                                 use_safetensors=True, **_OFFLINE)
    else:
        target = converted_dir(spec)
        if _conversion_is_complete(target, spec):
            m, tok = _load_converted(target, attention)
        else:
            m, tok = _convert_gguf(spec, target, attention)
        adapter = adapter_for(m.config)
    arch = adapter.architecture(m.config, tok)
    adapter.per_head_input_module(m, arch.num_layers - 1)  # fails early, naming the module, if absent
    return LoadedModel(m.eval(), tok, spec, adapter, arch, "fp32").in_dtype(dtype)


def architecture_of(spec):
    """The :class:`~verify.models.adapters.Architecture` of a resolved model, without loading its weights.

    Reads the config and tokenizer of a Hugging Face directory or of a GGUF model's
    cached conversion (converting it first when there is none yet).
    """
    from transformers import AutoConfig, AutoTokenizer

    _quiet_transformers()
    folder = spec.path if spec.kind == "hf" else converted_dir(spec)
    if spec.kind == "gguf" and not _conversion_is_complete(folder, spec):
        return load_model(spec).arch
    config = AutoConfig.from_pretrained(folder, **_OFFLINE)
    return adapter_for(config).architecture(config, AutoTokenizer.from_pretrained(folder, **_OFFLINE))
