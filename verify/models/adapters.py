"""Model families: one small adapter class each, reading every architectural fact from the config.

The checks never hard-code a layer index, a head count, a window or a prompt length:
they ask the :class:`Architecture` that an adapter reads from the model's config and
tokenizer. An unsupported family, a config without a needed attribute or a layer type
the adapter does not know is one clear :class:`UnsupportedModel` error naming what is
missing, never a silently mislabelled result.

Adding a family is one subclass of :class:`ModelAdapter` (its ``model_types`` and, when
the family keeps its layer types elsewhere, :meth:`ModelAdapter.layer_kinds`) and a test.

Examples
--------
>>> from types import SimpleNamespace
>>> cfg = SimpleNamespace(model_type="llama", num_hidden_layers=2, num_attention_heads=4,
...                       num_key_value_heads=2, hidden_size=32, max_position_embeddings=128)
>>> arch = adapter_for(cfg).architecture(cfg)
>>> arch.family, arch.head_dim, arch.layer_types, arch.global_layers
('llama', 8, ('global', 'global'), (0, 1))
>>> adapter_for(SimpleNamespace(model_type="gpt2"))
Traceback (most recent call last):
...
verify.models.adapters.UnsupportedModel: model family 'gpt2' (config model_type) is not supported; supported: gemma3_text (Gemma 3), gemma, gemma2 (Gemma 1 and 2), llama, mistral, qwen2 (Llama family); adding one is one ModelAdapter subclass in verify/models/adapters.py
"""

from dataclasses import asdict, dataclass

__all__ = [
    "Architecture",
    "ModelAdapter",
    "Gemma3Adapter",
    "GemmaAdapter",
    "LlamaAdapter",
    "UnsupportedModel",
    "ADAPTERS",
    "adapter_for",
]


class UnsupportedModel(ValueError):
    """A model this tool cannot describe correctly; the message names what is missing."""


@dataclass(frozen=True)
class Architecture:
    """What the checks need to know about a model, all read from its config and tokenizer.

    Attributes
    ----------
    family, model_type : str
        The adapter's family name and the config's ``model_type``.
    num_layers, num_heads, num_kv_heads, head_dim, hidden_size : int
    layer_types : tuple of {"global", "sliding"}
        Per layer: attends to every earlier token, or to a window of them.
    windows : tuple of (int or None)
        Per layer: the number of keys a query sees at most (itself included); None for
        global layers. Key ``j`` is visible from query ``i`` iff ``0 <= i - j < window``.
    context_length : int
        ``max_position_embeddings``.
    adds_bos : bool or None
        Whether the tokenizer puts a BOS token first (None: no tokenizer given).
    bos_token : str or None
    has_chat_template : bool
        Instruct models get their chat template (issue 11's tasks).
    per_head_module : str
        The module whose *input* is the concatenation of the per-head attention outputs
        (``{layer}`` stands for the layer index).
    adapter_version : int
        Bumped when what an adapter reports changes; exports record it.
    """

    family: str
    model_type: str
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    layer_types: tuple
    windows: tuple
    context_length: int
    adds_bos: object
    bos_token: object
    has_chat_template: bool
    per_head_module: str
    adapter_version: int

    @property
    def global_layers(self):
        """Indices of the layers that attend to every earlier token."""
        return tuple(i for i, t in enumerate(self.layer_types) if t == "global")

    @property
    def sliding_layers(self):
        """Indices of the sliding-window layers."""
        return tuple(i for i, t in enumerate(self.layer_types) if t == "sliding")

    @property
    def max_window(self):
        """The largest sliding window, or None when every layer is global."""
        return max((w for w in self.windows if w is not None), default=None)

    def to_json(self):
        """A JSON-ready dict (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def describe(self):
        """One line for tables and logs.

        Examples
        --------
        >>> a = Architecture("gemma3", "gemma3_text", 18, 4, 1, 256, 640, ("sliding",) * 5 + ("global",),
        ...                  (512,) * 5 + (None,), 32768, True, "<bos>", False, "x", 1)
        >>> a.describe()
        '18 layers (1 global, 5 sliding, window 512), 4 heads (1 key/value), head dim 256, hidden 640, context 32768, BOS <bos>'
        """
        kinds = f"{len(self.global_layers)} global"
        if self.sliding_layers:
            kinds += f", {len(self.sliding_layers)} sliding, window {self.max_window}"
        bos = {True: f"BOS {self.bos_token}", False: "no BOS", None: "BOS unknown"}[self.adds_bos]
        return (f"{self.num_layers} layers ({kinds}), {self.num_heads} heads ({self.num_kv_heads} key/value), "
                f"head dim {self.head_dim}, hidden {self.hidden_size}, context {self.context_length}, {bos}")


def _required(config, name, family):
    value = getattr(config, name, None)
    if value is None:
        raise UnsupportedModel(f"the {family} config has no {name!r}, which the adapter needs "
                               f"(model_type {getattr(config, 'model_type', None)!r})")
    return value


def _bos_policy(tokenizer):
    """(adds_bos, bos_token): does the tokenizer put its BOS token first? Measured, not assumed."""
    if tokenizer is None:
        return None, None
    bos_id = getattr(tokenizer, "bos_token_id", None)
    ids = tokenizer("1")["input_ids"]
    adds = bos_id is not None and len(ids) > 0 and ids[0] == bos_id
    return adds, (tokenizer.bos_token if adds else None)


class ModelAdapter:
    """Base adapter: the Hugging Face decoder-only layout ``model.model.layers[i].self_attn``.

    Subclasses name their ``model_types`` and may override :meth:`layer_kinds`.
    """

    family = ""
    model_types = ()
    description = ""
    #: config layer type -> our name
    layer_type_names = {"full_attention": "global", "sliding_attention": "sliding"}
    per_head_module = "model.layers.{layer}.self_attn.o_proj"
    version = 1

    def layer_kinds(self, config, num_layers):
        """Per layer, ``("global", None)`` or ``("sliding", window)``; default: ``config.layer_types``."""
        types = getattr(config, "layer_types", None)
        if types is None:
            raise UnsupportedModel(f"the {self.family} config has no 'layer_types', which the adapter needs")
        return self._kinds_from_types(config, types, num_layers)

    def _kinds_from_types(self, config, types, num_layers):
        if len(types) != num_layers:
            raise UnsupportedModel(f"the config lists {len(types)} layer types for {num_layers} layers")
        kinds = []
        for i, t in enumerate(types):
            if t not in self.layer_type_names:
                raise UnsupportedModel(f"layer {i} has type {t!r}, which the {self.family} adapter does not "
                                       f"know (known: {', '.join(self.layer_type_names)})")
            ours = self.layer_type_names[t]
            kinds.append((ours, int(_required(config, "sliding_window", self.family)) if ours == "sliding" else None))
        return kinds

    def architecture(self, config, tokenizer=None):
        """Read the :class:`Architecture` from ``config`` (and the BOS policy from ``tokenizer``).

        Raises
        ------
        UnsupportedModel
            A needed attribute is missing, or a layer type is unknown.
        """
        f = self.family
        layers = int(_required(config, "num_hidden_layers", f))
        heads = int(_required(config, "num_attention_heads", f))
        hidden = int(_required(config, "hidden_size", f))
        kv = int(getattr(config, "num_key_value_heads", None) or heads)
        head_dim = int(getattr(config, "head_dim", None) or hidden // heads)
        kinds = self.layer_kinds(config, layers)
        adds_bos, bos = _bos_policy(tokenizer)
        return Architecture(
            family=f, model_type=config.model_type, num_layers=layers, num_heads=heads, num_kv_heads=kv,
            head_dim=head_dim, hidden_size=hidden, layer_types=tuple(k for k, _ in kinds),
            windows=tuple(w for _, w in kinds),
            context_length=int(_required(config, "max_position_embeddings", f)),
            adds_bos=adds_bos, bos_token=bos,
            has_chat_template=bool(getattr(tokenizer, "chat_template", None)),
            per_head_module=self.per_head_module, adapter_version=self.version)

    # ----------------------------------------------------------------- modules

    def backbone(self, model):
        """The decoder without the LM head (its output is the final-norm hidden states ``y``)."""
        return model.model

    def decoder_layers(self, model):
        return self.backbone(model).layers

    def per_head_input_module(self, model, layer):
        """The module whose input is the per-head attention output of ``layer`` (before mixing heads).

        Raises
        ------
        UnsupportedModel
            The model does not have the expected module.
        """
        obj = model
        for part in self.per_head_module.format(layer=layer).split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part, None)
            if obj is None:
                raise UnsupportedModel(f"the {self.family} model has no module "
                                       f"{self.per_head_module.format(layer=layer)!r}")
        return obj

    def input_embeddings(self, model, ids):
        """``v^(0)``: the embeddings the first layer receives, with the family's own scaling."""
        return self.backbone(model).embed_tokens(ids)


class Gemma3Adapter(ModelAdapter):
    """Gemma 3 (text): interleaved sliding-window and global layers, ``config.layer_types``.

    The embedding's sqrt(hidden) scaling, the query/key RMS norms, ``query_pre_attn_scalar``
    and the two RoPE bases are all inside the model's own modules; nothing here repeats them.
    """

    family = "gemma3"
    model_types = ("gemma3_text",)
    description = "Gemma 3"


class GemmaAdapter(ModelAdapter):
    """Gemma 1 (every layer global; the paper's Gemma 7B) and Gemma 2 (``layer_types``, logit soft-capping).

    The soft-capping is applied by the attention itself with the value the model passes.
    """

    family = "gemma"
    model_types = ("gemma", "gemma2")
    description = "Gemma 1 and 2"

    def layer_kinds(self, config, num_layers):
        types = getattr(config, "layer_types", None) or ["full_attention"] * num_layers
        return self._kinds_from_types(config, types, num_layers)


class LlamaAdapter(ModelAdapter):
    """The Llama family: Llama, SmolLM2 (``llama``), Qwen2 and Mistral.

    Qwen2 lists ``layer_types``; Mistral applies ``sliding_window`` to every layer; Llama
    has neither (every layer is global).
    """

    family = "llama"
    model_types = ("llama", "mistral", "qwen2")
    description = "Llama family"

    def layer_kinds(self, config, num_layers):
        types = getattr(config, "layer_types", None)
        if types is None:
            window = getattr(config, "sliding_window", None)
            types = ["sliding_attention" if window else "full_attention"] * num_layers
        return self._kinds_from_types(config, types, num_layers)


#: Every adapter class, tried in order.
ADAPTERS = (Gemma3Adapter, GemmaAdapter, LlamaAdapter)


def adapter_for(config):
    """The adapter instance for a model ``config`` (a transformers config).

    Raises
    ------
    UnsupportedModel
        No adapter knows the config's ``model_type``.
    """
    model_type = getattr(config, "model_type", None)
    for cls in ADAPTERS:
        if model_type in cls.model_types:
            return cls()
    known = "; ".join(f"{', '.join(c.model_types)} ({c.description})" for c in ADAPTERS)
    raise UnsupportedModel(f"model family {model_type!r} (config model_type) is not supported; supported: "
                           f"{known.replace('; ', ', ')}; adding one is one ModelAdapter subclass in "
                           "verify/models/adapters.py")
