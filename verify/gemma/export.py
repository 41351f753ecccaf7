"""Run a real model on the prompt sets and export what the theory talks about.

Per forward pass, ``<key>-<dtype>.safetensors`` holds:

- ``token_ids`` (n,) int64;
- ``final_hidden`` (n, d) fp32: ``y_i`` for every position (final norm output);
  ``last_hidden`` (d,): the last token's;
- ``last_layer_heads`` (n, H, head_dim) fp32: the last layer's per-head attention
  outputs before the output projection;
- ``attention_diag`` (L, H, n) and ``attention_last_row`` (L, H, n) fp32: every token's
  weight on itself, and the last token's attention row;
- ``attention`` (L, H, n, n) fp32, when ``n <= attention_cap`` (a 1000-token prompt
  would need 288 MB per file).

A JSON sidecar records the model, weights sha256, dtype, prompt text, tokens as
strings, what each position stands for, library versions and the seed. Both files
are written atomically; loading uses ``safetensors.numpy`` and never unpickles.
"""

import hashlib
import json
import os

import numpy as np

from verify.gemma.model import load_model
from verify.gemma.prompts import PROMPT_SETS, build_prompts, expand_sets
from verify.io import atomic_write_bytes, atomic_write_text

__all__ = ["export_sweep", "load_export", "run_prompt", "run_sensitivity", "library_versions", "sweep_key",
           "DEFAULT_LENGTHS", "DEFAULT_SETS", "EXPORT_SCHEMA"]

EXPORT_SCHEMA = 1
DEFAULT_LENGTHS = (10, 20, 50, 100, 200, 500, 1000)
DEFAULT_SETS = ("fig5", "fig12")


def library_versions():
    import importlib.metadata as md

    out = {}
    for name in ("torch", "transformers", "safetensors", "gguf", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def sweep_key(spec, sets, lengths, dtypes, attention_cap, seed):
    blob = json.dumps([spec.sha256, sets, sorted(lengths), list(dtypes), attention_cap, seed,
                       library_versions(), EXPORT_SCHEMA], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _digit_tokens_ok(tokens, span, sequence):
    """Each digit of the sequence is a token of its own (Gemma splits digits)."""
    digits = [c for c in sequence if c.isdigit()]
    toks = [t for t in tokens[span[0]:span[1]] if any(ch.isdigit() for ch in t)]
    return toks == digits


def run_prompt(model, tok, prompt, dtype, attention_cap=640):
    """One forward pass with eager attention; returns (tensors as numpy, metadata)."""
    import torch

    enc = tok(prompt.text, return_tensors="pt")
    ids = enc["input_ids"]
    n = ids.shape[1]
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is not None and n > limit:
        raise ValueError(f"prompt {prompt.key} has {n} tokens, more than the model's context "
                         f"({limit} positions)")
    layer = model.model.layers[-1].self_attn
    captured = {}

    def grab(module, args):
        captured["heads"] = args[0].detach()

    handle = layer.o_proj.register_forward_pre_hook(grab)
    try:
        with torch.no_grad():
            out = model.model(input_ids=ids, output_attentions=True)
    finally:
        handle.remove()
    att = torch.stack([a[0] for a in out.attentions]).float()  # (L, H, n, n)
    H = att.shape[1]
    heads = captured["heads"][0].float().reshape(n, H, -1)
    y = out.last_hidden_state[0].float()
    tensors = {
        "token_ids": ids[0].numpy().astype(np.int64),
        "final_hidden": y.numpy(),
        "last_hidden": y[-1].numpy().copy(),
        "last_layer_heads": heads.numpy(),
        "attention_diag": torch.diagonal(att, dim1=-2, dim2=-1).numpy().copy(),
        "attention_last_row": att[:, :, -1, :].numpy().copy(),
    }
    if n <= attention_cap:
        tensors["attention"] = att.numpy()
    tokens = tok.convert_ids_to_tokens(ids[0])
    start = len(tok(prompt.text[: prompt.text.index(prompt.sequence)])["input_ids"]) - 1 if prompt.sequence else n
    span = [max(0, start), min(n, start + len(prompt.sequence) + 1)]
    meta = {
        "prompt_set": prompt.prompt_set, "key": prompt.key, "dtype": dtype, "prompt": prompt.text,
        "tokens": tokens, "num_tokens": n, "covers": prompt.covers,
        "digits_are_single_tokens": _digit_tokens_ok(tokens, span, prompt.sequence),
        "attention_stored": n <= attention_cap,
        "layer_types": list(getattr(model.config, "layer_types", []) or []),
        "sliding_window": getattr(model.config, "sliding_window", None),
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
    }
    return tensors, meta


def run_sensitivity(model, tok, text, projections=8, seed=0):
    """Estimate ``||d y_n / d v_i^(0)||_F`` for every position ``i`` with a few reverse passes.

    ``v^(0)`` are the input embeddings (after Gemma's sqrt(d) scaling), passed as
    ``inputs_embeds``. For ``u ~ N(0, I)``, ``E ||J_i^T u||^2 = ||J_i||_F^2``: each of the
    ``projections`` reverse passes gives ``J_i^T u`` for *all* positions at once, so the
    cost is one forward and ``projections`` backward passes, not one per position.

    Returns tensors ``jacobian_fro`` (n,), ``jacobian_fro_se`` (n,) (standard error of the
    estimate), ``attention`` (L, H, n, n) and ``token_ids``.
    """
    import torch

    ids = tok(text, return_tensors="pt")["input_ids"]
    emb = model.model.embed_tokens(ids).detach().float().requires_grad_(True)
    out = model.model(inputs_embeds=emb, output_attentions=True)
    y = out.last_hidden_state[0, -1]
    gen = torch.Generator().manual_seed(seed)
    U = torch.randn(projections, y.shape[0], generator=gen)
    sq = []
    for j in range(projections):
        (g,) = torch.autograd.grad(y @ U[j], emb, retain_graph=j < projections - 1)
        sq.append((g[0] ** 2).sum(-1))
    sq = torch.stack(sq)
    est = sq.mean(0)
    se = sq.std(0) / (projections ** 0.5) / (2 * est.sqrt().clamp_min(1e-30))
    att = torch.stack([a[0] for a in out.attentions]).detach().float()
    tensors = {"token_ids": ids[0].numpy().astype(np.int64), "jacobian_fro": est.sqrt().detach().numpy(),
               "jacobian_fro_se": se.detach().numpy(), "attention": att.numpy()}
    meta = {"prompt_set": "sensitivity", "key": "sensitivity", "dtype": "fp32", "prompt": text,
            "tokens": tok.convert_ids_to_tokens(ids[0]), "num_tokens": int(ids.shape[1]),
            "projections": projections, "covers": [],
            "tensors": {k: list(v.shape) for k, v in tensors.items()}}
    return tensors, meta


def _write(out_dir, stem, tensors, meta):
    from safetensors.numpy import save

    atomic_write_bytes(os.path.join(out_dir, stem + ".safetensors"), save(tensors))
    atomic_write_text(os.path.join(out_dir, stem + ".json"), json.dumps(meta, indent=1) + "\n")


def load_export(path):
    """Load ``<stem>.safetensors`` and its sidecar; check shapes. Raises ValueError on any damage."""
    from safetensors.numpy import load_file

    stem = path[: -len(".safetensors")] if path.endswith(".safetensors") else path
    try:
        with open(stem + ".json", encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"export {stem}: sidecar JSON missing or unreadable ({exc})") from None
    try:
        tensors = load_file(stem + ".safetensors")
    except Exception as exc:  # safetensors raises its own error types on truncation
        raise ValueError(f"export {stem}.safetensors is truncated or corrupt: {exc}") from None
    for name, shape in meta.get("tensors", {}).items():
        if name not in tensors:
            raise ValueError(f"export {stem}: tensor {name!r} is missing")
        if list(tensors[name].shape) != shape:
            raise ValueError(f"export {stem}: tensor {name!r} has shape {list(tensors[name].shape)}, "
                             f"sidecar says {shape}")
    return tensors, meta


def export_sweep(out_dir, sets=DEFAULT_SETS, lengths=DEFAULT_LENGTHS, dtypes=("fp32", "bf16"),
                 model=None, attention_cap=128, seed=0, structure_length=600, sensitivity_length=100,
                 progress=None):
    """Export every prompt of ``sets`` at ``lengths`` in each dtype into ``out_dir``.

    Also exports one ``structure`` prompt of about ``structure_length`` tokens with full
    attention (longer than the 512-token sliding window) for the structural checks, and
    the measured sensitivities of a ``sensitivity_length``-digit prompt (fp32).
    Returns the manifest (also written as ``manifest.json``).
    """
    import torch

    sets = expand_sets(list(sets))
    for d in dtypes:
        if d not in ("fp32", "bf16"):
            raise ValueError(f"dtype must be 'fp32' or 'bf16', got {d!r}")
    m, tok, spec = load_model(model, "fp32")
    os.makedirs(out_dir, exist_ok=True)
    common = {"schema": EXPORT_SCHEMA, "model": spec.name, "model_kind": spec.kind,
              "weights_sha256": spec.sha256, "seed": seed, "library_versions": library_versions()}
    prompts = [p for s in sets for p in build_prompts(s, lengths, seed)]
    from verify.gemma.prompts import Prompt, Q_COUNT

    structure = Prompt("structure", "structure", Q_COUNT + "1" * structure_length, "1" * structure_length, [])
    files = []
    for dtype in dtypes:
        m = m.to(torch.float32 if dtype == "fp32" else torch.bfloat16)
        for p in [structure] + prompts:
            if p is structure and dtype != "fp32":
                continue
            stem = f"{p.key}-{dtype}"
            tensors, meta = run_prompt(m, tok, p, dtype, attention_cap=max(attention_cap, len(p.text)) if p is structure else attention_cap)
            meta.update(common)
            _write(out_dir, stem, tensors, meta)
            files.append(stem)
            if progress:
                progress(stem)
    m = m.to(torch.float32)
    tensors, meta = run_sensitivity(m, tok, Q_COUNT + "1" * sensitivity_length, seed=seed)
    meta.update(common)
    _write(out_dir, "sensitivity-fp32", tensors, meta)
    files.append("sensitivity-fp32")
    if progress:
        progress("sensitivity-fp32")
    manifest = dict(common, sets=sets, lengths=sorted(lengths), dtypes=list(dtypes),
                    attention_cap=attention_cap, files=files,
                    descriptions={s: PROMPT_SETS[s][0] for s in sets})
    atomic_write_text(os.path.join(out_dir, "manifest.json"), json.dumps(manifest, indent=1) + "\n")
    return manifest
