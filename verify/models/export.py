"""Run a real model on the prompt sets and export what the theory talks about, with verified sidecars.

Per forward pass, ``<key>-<dtype>.safetensors`` holds (full precision, fp32):

- ``token_ids`` (n,) int64;
- ``final_hidden`` (n, d): ``y_i`` for every position (final norm output);
- ``last_layer_heads`` (n, H, head_dim): the last layer's per-head attention outputs,
  the input of the module the adapter names (before the heads are mixed);
- with ``attention="self"``: ``attention_self`` (L, H, k), the weight of the query at
  each of ``k`` positions on itself, for the counts ``attention_self_n`` (k,) at
  ``attention_self_positions`` (k,): only those rows are computed, so any length works;
- with ``attention="stats"`` or ``"full"``: ``attention_diag`` (L, H, n) every token's
  weight on itself, ``attention_last_row`` (L, H, n), ``rollout_last_row`` (n,) and
  ``sensitivity_bound`` (n,) (Theorem B.5 with beta = sigma_psi = 1, proof
  normalisation), recomputed block by block from the model's own queries and keys, so
  any length up to the context works;
- with ``attention="full"``: ``attention`` (L, H, n, n) (short prompts only).

The JSON sidecar records the model (name, sha256, family, layer types and windows, BOS
policy, adapter version: the :class:`~verify.models.adapters.Architecture`), the dtype
the weights really had, the prompt, its tokens, the library versions, the seed, and the
sha256, shapes and dtypes of the tensor file. ``manifest.json`` lists every file with
the sha256 of its sidecar. :func:`load_export` verifies all of it and raises
``ValueError`` on any mismatch, so a damaged or edited export can never change a
verdict silently. Files are written atomically, a whole sweep as one directory, and
nothing is ever unpickled.
"""

import hashlib
import json
import os

import numpy as np

from verify.io import atomic_directory, atomic_write_bytes, atomic_write_text
from verify.models.prompts import (
    PROMPT_SETS,
    build_prompts,
    check_lengths,
    expand_sets,
    sensitivity_prompt,
    structure_prompt,
)

__all__ = [
    "export_sweep",
    "load_export",
    "load_manifest",
    "run_prompt",
    "run_sensitivity",
    "export_versions",
    "sweep_key",
    "DEFAULT_LENGTHS",
    "DEFAULT_SETS",
    "EXPORT_SCHEMA",
]

#: Part of every export's key: bump it whenever the numbers an export holds may change.
#: 3: every pass runs with one thread (verify.sweep.one_thread); exports made with more
#: threads differ in the 4th digit of fp32 distances and were being reused as if current.
EXPORT_SCHEMA = 3
DEFAULT_LENGTHS = (10, 20, 50, 100, 200, 500, 1000)
DEFAULT_SETS = ("fig5", "fig12")
ATTENTION_MODES = ("none", "self", "stats", "full")
_TENSOR_DTYPES = {"float32", "float64", "int64"}


def export_versions():
    """Versions of the libraries that can change an exported number."""
    import importlib.metadata as md

    out = {}
    for name in ("torch", "transformers", "safetensors", "gguf", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def sweep_key(spec, **settings):
    """16 hex digits naming an export: the model's sha256, the settings, the library versions, the schema."""
    from verify.models.adapters import ModelAdapter

    blob = json.dumps([spec.sha256, settings, export_versions(), EXPORT_SCHEMA, ModelAdapter.version],
                      sort_keys=True, default=list)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _digit_tokens_ok(tokens, span, sequence):
    """Each digit of the sequence is a token of its own."""
    digits = [c for c in sequence if c.isdigit()]
    toks = [t for t in tokens[span[0]:span[1]] if any(ch.isdigit() for ch in t)]
    return toks == digits


def _sequence_span(lm, prompt, n):
    """Token positions ``[start, stop)`` around the digit sequence of ``prompt``."""
    if not prompt.sequence:
        return [n, n]
    start = lm.encode(prompt.text[: prompt.text.index(prompt.sequence)]).shape[1] - 1
    return [max(0, start), min(n, start + len(prompt.sequence) + 1)]


def _check_context(lm, n, what):
    if n > lm.arch.context_length:
        raise ValueError(f"{what} has {n} tokens, more than the model's context "
                         f"({lm.arch.context_length} positions)")


def _weights_dtype(lm):
    import torch

    return {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[
        next(lm.model.parameters()).dtype]


def _check_windows(lm, capture):
    """The windows the model really used must be the adapter's, layer by layer."""
    from verify.models.adapters import UnsupportedModel

    seen = capture.windows()
    if len(seen) != lm.arch.num_layers:
        raise UnsupportedModel(f"{lm.spec.label}: attention ran in {len(seen)} layers, the adapter "
                               f"counts {lm.arch.num_layers}")
    for i, (got, want) in enumerate(zip(seen, lm.arch.windows)):
        if got != want:
            raise UnsupportedModel(f"{lm.spec.label}: layer {i} attended with window {got}, the "
                                   f"{lm.arch.family} adapter reads {want} from the config")


def forward_states(lm, ids, keep_queries_keys=False, grad_input=None):
    """One forward pass: final hidden states ``[n, d]``, the last layer's per-head outputs, the capture.

    Parameters
    ----------
    lm : LoadedModel
    ids : Tensor ``[1, n]``
    keep_queries_keys : bool
        Keep every layer's queries and keys for :class:`~verify.models.attention.AttentionRows`.
    grad_input : Tensor or None
        Input embeddings ``[1, n, d]`` to differentiate against (then ``ids`` is ignored).

    Returns
    -------
    (Tensor, Tensor, QueryKeyCapture)
    """
    import torch

    from verify.models.attention import QueryKeyCapture

    L, H = lm.arch.num_layers, lm.arch.num_heads
    grabbed = {}
    module = lm.adapter.per_head_input_module(lm.model, L - 1)
    handle = module.register_forward_pre_hook(lambda mod, args: grabbed.__setitem__("heads", args[0]))
    backbone = lm.adapter.backbone(lm.model)
    try:
        with torch.set_grad_enabled(grad_input is not None), QueryKeyCapture(keep=keep_queries_keys) as cap:
            if grad_input is None:
                out = backbone(input_ids=ids)
            else:
                out = backbone(inputs_embeds=grad_input)
    finally:
        handle.remove()
    _check_windows(lm, cap)
    y = out.last_hidden_state[0]
    heads = grabbed["heads"][0].reshape(y.shape[0], H, -1)
    return y, heads, cap


def _attention_tensors(capture, mode, full_cap):
    """Attention-derived tensors of one pass (see the module docstring)."""
    from graphs.paths import sensitivity_constant
    from verify.models.attention import AttentionRows, reverse_row_recursions, rollout_rule, sensitivity_rule

    rows = AttentionRows(capture)
    res = reverse_row_recursions(rows, {"rollout": rollout_rule, "sensitivity": sensitivity_rule()})
    out = {"attention_diag": res["diag"], "attention_last_row": res["target_row"],
           "rollout_last_row": res["rollout"],
           "sensitivity_bound": sensitivity_constant(rows.num_layers) * res["sensitivity"]}
    if mode == "full":
        out["attention"] = rows.full(max_tokens=full_cap)
    return out


def self_weight_counts(n_max):
    """The counts n at which ``attention="self"`` records the self-weight: 4 per doubling up to ``n_max``.

    Examples
    --------
    >>> self_weight_counts(20)
    [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 20]
    """
    from theory.collapse import geometric_lengths

    return [int(n) for n in geometric_lengths(1, n_max, per_octave=4)]


def _self_weight_tensors(capture, prompt, n, counts):
    """``attention_self`` at the positions of ``A_m`` for every ``m`` in ``counts`` that the prompt covers."""
    from verify.models.attention import AttentionRows

    wanted = set(counts)
    picked = sorted({(m, n + pos) for m, member, pos in prompt.covers if member == "A" and m in wanted})
    if not picked:
        picked = [(0, n - 1)]  # a prompt without covers: the last token
    ms, positions = (np.array(v, dtype=np.int64) for v in zip(*picked))
    return {"attention_self": AttentionRows(capture).self_weights(positions), "attention_self_n": ms,
            "attention_self_positions": positions}


def run_prompt(lm, prompt, attention="none", full_cap=2048, self_counts=None):
    """One forward pass of ``prompt``; returns ``(tensors as numpy, sidecar metadata)``.

    Parameters
    ----------
    lm : LoadedModel
    prompt : verify.models.prompts.Prompt
    attention : {"none", "self", "stats", "full"}
        What to recompute from the captured queries and keys (see the module docstring).
    full_cap : int
        Refuse ``"full"`` above this many tokens.
    self_counts : sequence of int or None
        With ``"self"``: the counts n whose last token's self-weight is kept (default:
        :func:`self_weight_counts` up to the prompt's largest count, and every covered n).

    Raises
    ------
    ValueError
        A prompt longer than the model's context; an unknown ``attention``.
    """
    import torch

    if attention not in ATTENTION_MODES:
        raise ValueError(f"attention must be one of {ATTENTION_MODES}, got {attention!r}")
    ids = lm.encode(prompt.text)
    n = ids.shape[1]
    _check_context(lm, n, f"prompt {prompt.key}")
    with torch.no_grad():
        y, heads, cap = forward_states(lm, ids, keep_queries_keys=attention != "none")
    tensors = {"token_ids": ids[0].numpy().astype(np.int64), "final_hidden": y.float().numpy(),
               "last_layer_heads": heads.float().numpy()}
    if attention == "self":
        covered = [c[0] for c in prompt.covers]
        counts = self_counts or (self_weight_counts(max(covered)) + covered[:2] if covered else [])
        tensors.update(_self_weight_tensors(cap, prompt, n, counts))
    elif attention != "none":
        tensors.update(_attention_tensors(cap, attention, full_cap))
    tokens = lm.tokenizer.convert_ids_to_tokens(ids[0])
    meta = {"prompt_set": prompt.prompt_set, "key": prompt.key, "prompt": prompt.text, "tokens": tokens,
            "num_tokens": n, "covers": prompt.covers, "attention": attention,
            "digits_are_single_tokens": _digit_tokens_ok(tokens, _sequence_span(lm, prompt, n), prompt.sequence)}
    return tensors, meta


def run_sensitivity(lm, prompt, projections=8, seed=0):
    """Estimate ``||d y_n / d v_i^(0)||_F`` for every position ``i`` with a few reverse passes.

    ``v^(0)`` are the input embeddings as the first layer receives them (with the
    family's own scaling). For ``u ~ N(0, I)``, ``E ||J_i^T u||^2 = ||J_i||_F^2``: each of
    the ``projections`` reverse passes gives ``J_i^T u`` for *all* positions at once, so
    the cost is one forward and ``projections`` backward passes, not one per position.

    Returns tensors ``jacobian_fro`` (n,), ``jacobian_fro_se`` (n,) (standard error of the
    estimate), the full ``attention`` (L, H, n, n) of the same pass and ``token_ids``.

    References
    ----------
    Theorem B.5 (the left-hand side of the bound).
    """
    import torch

    if lm.dtype != "fp32":
        raise ValueError(f"the sensitivity pass runs in fp32, got a {lm.dtype} model")
    ids = lm.encode(prompt.text)
    n = ids.shape[1]
    _check_context(lm, n, "the sensitivity prompt")
    emb = lm.adapter.input_embeddings(lm.model, ids).detach().float().requires_grad_(True)
    y, _, cap = forward_states(lm, ids, keep_queries_keys=True, grad_input=emb)
    last = y[-1]
    gen = torch.Generator().manual_seed(seed)
    U = torch.randn(projections, last.shape[0], generator=gen)
    sq = []
    for j in range(projections):
        (g,) = torch.autograd.grad(last @ U[j], emb, retain_graph=j < projections - 1)
        sq.append((g[0] ** 2).sum(-1))
    sq = torch.stack(sq)
    est = sq.mean(0)
    se = sq.std(0) / (projections ** 0.5) / (2 * est.sqrt().clamp_min(1e-30))
    from verify.models.attention import AttentionRows

    tensors = {"token_ids": ids[0].numpy().astype(np.int64), "jacobian_fro": est.sqrt().detach().numpy(),
               "jacobian_fro_se": se.detach().numpy(), "attention": AttentionRows(cap).full(max_tokens=n)}
    meta = {"prompt_set": "sensitivity", "key": "sensitivity", "prompt": prompt.text,
            "tokens": lm.tokenizer.convert_ids_to_tokens(ids[0]), "num_tokens": n,
            "projections": projections, "covers": [], "attention": "full"}
    return tensors, meta


# --------------------------------------------------------------------------- files


def _sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def _encode(stem, tensors, meta):
    """``(tensor file bytes, sidecar text)``: the sidecar records the tensor file's sha256, shapes, dtypes."""
    from safetensors.numpy import save

    data = save({k: np.ascontiguousarray(v) for k, v in tensors.items()})
    meta = dict(meta, tensor_file=stem + ".safetensors", tensor_sha256=_sha256_bytes(data),
                tensors={k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in tensors.items()})
    return data, json.dumps(meta, indent=1) + "\n"


def _write(out_dir, stem, data, text):
    """Write ``stem.safetensors`` and its sidecar atomically; returns the sidecar's sha256 (the manifest's)."""
    atomic_write_bytes(os.path.join(out_dir, stem + ".safetensors"), data)
    atomic_write_text(os.path.join(out_dir, stem + ".json"), text)
    return _sha256_bytes(text.encode("utf-8"))


def _fail(stem, what):
    raise ValueError(f"export {stem}: {what}")


def _read_sidecar(stem, expected_sha=None):
    try:
        with open(stem + ".json", "rb") as fh:
            raw = fh.read()
        meta = json.loads(raw)
    except (OSError, ValueError) as exc:
        _fail(stem, f"sidecar JSON missing or unreadable ({exc})")
    if expected_sha is not None and _sha256_bytes(raw) != expected_sha:
        _fail(stem, "the sidecar does not match the manifest's sha256 (edited after export?)")
    if not isinstance(meta, dict) or meta.get("schema") != EXPORT_SCHEMA:
        _fail(stem, f"sidecar schema {meta.get('schema') if isinstance(meta, dict) else None!r}, "
                    f"expected {EXPORT_SCHEMA} (re-export with this version)")
    return meta


def _check_architecture(stem, meta, tensors, expected_arch):
    """Sidecar architecture vs the model's (when known) and vs the tensors' shapes."""
    arch = meta.get("architecture")
    if not isinstance(arch, dict):
        _fail(stem, "the sidecar has no architecture")
    if expected_arch is not None and arch != expected_arch.to_json():
        diff = sorted(k for k, v in expected_arch.to_json().items() if arch.get(k) != v)
        _fail(stem, f"the sidecar's architecture differs from the model's in {', '.join(diff)}")
    L, H = arch.get("num_layers"), arch.get("num_heads")
    if len(arch.get("layer_types", [])) != L or len(arch.get("windows", [])) != L:
        _fail(stem, "layer types or windows do not list every layer")
    n = len(tensors["token_ids"])
    expect = {"final_hidden": (n, arch.get("hidden_size")),
              "last_layer_heads": (n, H, arch.get("head_dim")),
              "attention_diag": (L, H, n), "attention_last_row": (L, H, n), "attention": (L, H, n, n)}
    for name, shape in expect.items():
        if name in tensors and tuple(tensors[name].shape) != shape:
            _fail(stem, f"tensor {name!r} has shape {list(tensors[name].shape)}, the architecture "
                        f"implies {list(shape)}")
    if meta.get("num_tokens") != n:
        _fail(stem, f"the sidecar says {meta.get('num_tokens')} tokens, the tensors hold {n}")


def load_export(path, expected_sha=None, expected_arch=None):
    """Load ``<stem>.safetensors`` and its sidecar, verifying everything the sidecar claims.

    Parameters
    ----------
    path : str
        ``<stem>.safetensors`` (or the stem).
    expected_sha : str or None
        sha256 of the sidecar, from the manifest.
    expected_arch : Architecture or None
        The model's architecture, read from its config: the sidecar must agree.

    Returns
    -------
    (dict of numpy arrays, dict)

    Raises
    ------
    ValueError
        A missing, truncated or edited file: the tensor file's sha256, a tensor's name,
        shape or dtype, the architecture, the dtype or the token count do not match.
    """
    from safetensors.numpy import load

    stem = path[: -len(".safetensors")] if path.endswith(".safetensors") else path
    meta = _read_sidecar(stem, expected_sha)
    try:
        with open(stem + ".safetensors", "rb") as fh:
            data = fh.read()
    except OSError as exc:
        _fail(stem, f"tensor file unreadable ({exc.strerror})")
    if _sha256_bytes(data) != meta.get("tensor_sha256"):
        _fail(stem, "the tensor file's sha256 differs from the sidecar's (damaged or replaced)")
    try:
        tensors = load(data)
    except Exception as exc:  # safetensors raises its own error types on malformed input
        _fail(stem, f"the tensor file is truncated or corrupt: {exc}")
    declared = meta.get("tensors")
    if not isinstance(declared, dict) or set(declared) != set(tensors):
        _fail(stem, f"the sidecar lists tensors {sorted(declared or [])}, the file holds {sorted(tensors)}")
    for name, info in declared.items():
        if list(tensors[name].shape) != info.get("shape") or str(tensors[name].dtype) != info.get("dtype"):
            _fail(stem, f"tensor {name!r} is {list(tensors[name].shape)} {tensors[name].dtype}, the sidecar "
                        f"says {info.get('shape')} {info.get('dtype')}")
        if info.get("dtype") not in _TENSOR_DTYPES:
            _fail(stem, f"tensor {name!r} has dtype {info.get('dtype')}, expected float32, float64 or int64")
    if meta.get("dtype") not in ("fp32", "bf16", "fp16"):
        _fail(stem, f"unknown dtype {meta.get('dtype')!r}")
    _check_architecture(stem, meta, tensors, expected_arch)
    return tensors, meta


def load_manifest(directory):
    """The manifest of an export directory (raises ValueError naming the directory when damaged)."""
    try:
        with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as fh:
            man = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"export {directory}: manifest.json missing or unreadable ({exc})") from None
    if not isinstance(man, dict) or man.get("schema") != EXPORT_SCHEMA or not isinstance(man.get("files"), dict):
        raise ValueError(f"export {directory}: manifest.json is not an export manifest of schema {EXPORT_SCHEMA}")
    return man


# --------------------------------------------------------------------------- sweep


def long_counts(lm, prompt_set, lengths, long_length):
    """Counts beyond ``max(lengths)``, doubling, up to the largest that fits ``long_length`` tokens and the context.

    Only for prefix-closed sets (one forward pass covers every n).
    """
    limit = min(long_length, lm.arch.context_length)
    base = lm.encode(build_prompts(prompt_set, [1])[0].text).shape[1]  # the prompt with n = 1 (two ones)
    n_cap = limit - base + 1
    counts, n = [], 2 * max(lengths)
    while n < n_cap:
        counts.append(n)
        n *= 2
    return counts + [n_cap] if n_cap > max(lengths) else []


def _check_sweep_arguments(sets, lengths, dtypes, attention_cap, long_sets, set_lengths):
    """Validate what needs no model: returns (sets expanded, lengths, per-set lengths)."""
    sets = expand_sets(list(sets))
    lengths = check_lengths(lengths)
    own = {s: check_lengths(v, f"set_lengths[{s!r}]") for s, v in (set_lengths or {}).items()}
    for s in long_sets:
        if not PROMPT_SETS.get(s, ("", False))[1]:
            raise ValueError(f"long_sets: {s!r} is not a prefix-closed prompt set")
    for d in dtypes:
        if d not in ("fp32", "bf16", "fp16"):
            raise ValueError(f"dtype must be 'fp32', 'bf16' or 'fp16', got {d!r}")
    if isinstance(attention_cap, bool) or not isinstance(attention_cap, int) or attention_cap < 0:
        raise ValueError(f"attention_cap must be an integer >= 0, got {attention_cap!r}")
    return sets, lengths, own


def plan_sweep(lm, sets=DEFAULT_SETS, lengths=DEFAULT_LENGTHS, dtypes=("fp32", "bf16"), bf16_sets=None,
               self_sets=("fig5a",), attention_cap=0, seed=0, sensitivity_tokens=100, long_sets=(),
               long_length=0, stats_sets=(), set_lengths=None):
    """The forward passes of a sweep, as ``(stem, prompt, dtype, attention mode, self counts)``, checked first.

    Sets in ``long_sets`` (prefix-closed ones) also cover :func:`long_counts` up to
    ``long_length`` tokens in their fp32 pass; ``set_lengths`` gives some sets their own
    counts instead of ``lengths``.

    Raises
    ------
    ValueError
        Bad arguments, or a prompt longer than the model's context (nothing has been
        run or written yet).
    """
    sets, lengths, own = _check_sweep_arguments(sets, lengths, dtypes, attention_cap, long_sets, set_lengths)
    plan = [("structure-fp32", structure_prompt(lm.arch, lm.tokenizer), "fp32", "full", None)]
    for dtype in dtypes:
        for s in sets:
            if dtype != "fp32" and bf16_sets is not None and s not in bf16_sets:
                continue
            base = own.get(s, lengths)
            counts = base + (long_counts(lm, s, base, long_length) if dtype == "fp32" and s in long_sets else [])
            mode = "none" if dtype != "fp32" else "stats" if s in stats_sets else "self" if s in self_sets else "none"
            grid = sorted(set(self_weight_counts(max(counts))) | set(counts))
            for p in build_prompts(s, counts, seed):
                plan.append((f"{p.key}-{dtype}", p, dtype, mode, grid))
    longest = max(plan, key=lambda item: len(item[1].text))
    _check_context(lm, lm.encode(longest[1].text).shape[1], f"prompt {longest[1].key}")
    return plan, sensitivity_prompt(lm.tokenizer, sensitivity_tokens), attention_cap


#: The sweep's task functions (:mod:`verify.sweep`): one forward pass each.
PASS_TASK = "verify.models.export:export_pass"
SENSITIVITY_TASK = "verify.models.export:sensitivity_pass"


def _stored(stem, tensors, meta):
    """Keep one pass's files in the running sweep's store; the result names them by sha256."""
    from verify.sweep import put_blob

    data, text = _encode(stem, tensors, meta)
    return {"stem": stem, "sidecar_sha256": _sha256_bytes(text.encode("utf-8")),
            "blobs": {"tensors": put_blob(data), "sidecar": put_blob(text.encode("utf-8"))}}


def export_pass(model, sha256, dtype, stem, prompt, attention, self_counts, common, schema=EXPORT_SCHEMA):
    """Sweep task: one forward pass of :func:`run_prompt`, its files kept in the store (see :func:`_stored`)."""
    from verify.models.cached import loaded
    from verify.models.prompts import Prompt
    from verify.sweep import one_thread

    lm = loaded(model, sha256, dtype)
    with one_thread():
        tensors, meta = run_prompt(lm, Prompt(**prompt), attention=attention, self_counts=self_counts)
    return _stored(stem, tensors, dict(common, dtype=_weights_dtype(lm), **meta))


def sensitivity_pass(model, sha256, prompt, seed, common, schema=EXPORT_SCHEMA):
    """Sweep task: :func:`run_sensitivity` (fp32), its files kept in the store."""
    from verify.models.cached import loaded
    from verify.models.prompts import Prompt
    from verify.sweep import one_thread

    lm = loaded(model, sha256, "fp32")
    with one_thread():
        tensors, meta = run_sensitivity(lm, Prompt(**prompt), seed=seed)
    return _stored("sensitivity-fp32", tensors, dict(common, dtype=_weights_dtype(lm), **meta))


def _prompt_json(prompt):
    return {"prompt_set": prompt.prompt_set, "key": prompt.key, "text": prompt.text, "sequence": prompt.sequence,
            "covers": [list(c) for c in prompt.covers]}


def _export_tasks(lm, plan, sens_prompt, attention_cap, seed, common):
    """One :class:`verify.sweep.Task` per forward pass of ``plan``, and the sensitivity pass."""
    from verify.models.cached import model_ref
    from verify.sweep import Task

    ref = {"model": model_ref(lm.spec), "sha256": lm.spec.sha256, "common": common}
    tasks = []
    for stem, prompt, dtype, mode, counts in plan:
        if mode == "none" and dtype == "fp32" and attention_cap and len(lm.encode(prompt.text)[0]) <= attention_cap:
            mode = "full"
        tasks.append(Task(PASS_TASK, dict(ref, dtype=dtype, stem=stem, prompt=_prompt_json(prompt), attention=mode,
                                          self_counts=counts)))
    tasks.append(Task(SENSITIVITY_TASK, dict(ref, prompt=_prompt_json(sens_prompt), seed=seed)))
    return tasks


def export_sweep(out_dir, sets=DEFAULT_SETS, lengths=DEFAULT_LENGTHS, dtypes=("fp32", "bf16"), model=None,
                 attention_cap=0, seed=0, sensitivity_tokens=100, bf16_sets=None, self_sets=("fig5a",),
                 long_sets=(), long_length=0, stats_sets=(), set_lengths=None, progress=None, scheduler="auto",
                 store=None, workers=2, timeout=10):
    """Export every prompt of ``sets`` at ``lengths`` in each dtype into ``out_dir``, as one directory.

    Also exports the ``structure`` prompt (full attention; past the widest sliding window,
    see :func:`verify.models.prompts.structure_tokens`) and the measured sensitivities of
    a ``sensitivity_tokens``-token prompt (fp32). Every dtype runs on its own copy of
    the weights. ``out_dir`` appears complete or not at all; an existing ``out_dir`` is
    replaced only when it is an earlier export (it has a ``manifest.json``).

    Every forward pass is one task of :func:`verify.sweep.run_sweep`: its files are kept
    in the content-addressed ``store`` as they finish (a killed export resumes there,
    and the files are the same whatever ran them), then copied into ``out_dir``.

    Parameters
    ----------
    model : str, ModelSpec, LoadedModel or None
    attention_cap : int
        Also store the full attention ``[L, H, n, n]`` of fp32 prompts up to this many tokens.
    bf16_sets : sequence or None
        Sets run in the non-fp32 dtypes (default: all).
    self_sets : sequence
        Sets whose fp32 pass also exports the last token's self-weight at a grid of counts
        (``attention="self"``); ``stats_sets``: every row statistic (``attention="stats"``, n^2).
    long_sets, long_length :
        Prefix-closed sets whose fp32 pass extends to ``long_length`` tokens (one pass).
    set_lengths : dict or None
        ``set -> counts`` for sets that do not use ``lengths``.
    progress : callable or None
        ``progress(stem)`` as each pass is available.
    scheduler : "auto", None, "serial" or str
        As in :func:`verify.sweep.run_sweep`; "auto" runs a given :class:`LoadedModel`
        in this process (``"serial"``) and anything else on a local Dask cluster.
    store : str or None
        The sweep's store (default ``<cache>/sweeps``); on a remote cluster it must be on
        a filesystem the workers share.
    workers, timeout :
        As in :func:`verify.sweep.run_sweep`.

    Returns
    -------
    dict
        The manifest (also written as ``manifest.json``).

    Raises
    ------
    ValueError
        Bad arguments, a prompt beyond the context, or an ``out_dir`` that exists and is
        not an export directory; nothing is written then.
    verify.sweep.SweepError
        A scheduler that does not answer, or a pass that failed (nothing is written to ``out_dir``).
    """
    from verify.models.cached import planning_model, preload
    from verify.models.loading import LoadedModel
    from verify.models.sources import cache_root, resolve_model
    from verify.sweep import get_blob, run_sweep

    if os.path.isdir(out_dir) and os.listdir(out_dir) and not os.path.isfile(os.path.join(out_dir, "manifest.json")):
        raise ValueError(f"--out {out_dir} exists and is not an export directory; choose a new or empty one")
    _check_sweep_arguments(sets, lengths, dtypes, attention_cap, long_sets, set_lengths)  # before loading
    if isinstance(model, LoadedModel):
        lm, scheduler = model, "serial" if scheduler == "auto" else scheduler
        preload(lm)
    else:
        lm, scheduler = planning_model(model if hasattr(model, "sha256") else resolve_model(model)), (
            None if scheduler == "auto" else scheduler)
    plan, sens_prompt, attention_cap = plan_sweep(lm, sets, lengths, dtypes, bf16_sets, self_sets,
                                                  attention_cap, seed, sensitivity_tokens, long_sets, long_length,
                                                  stats_sets, set_lengths)
    common = {"schema": EXPORT_SCHEMA, "model": lm.spec.name, "model_label": lm.spec.label,
              "model_kind": lm.spec.kind, "weights_sha256": lm.spec.sha256, "architecture": lm.arch.to_json(),
              "seed": seed, "library_versions": export_versions()}
    store = store or os.path.join(cache_root(), "sweeps")
    results = run_sweep(_export_tasks(lm, plan, sens_prompt, attention_cap, seed, common), store,
                        scheduler=scheduler, workers=workers, timeout=timeout,
                        on_result=(lambda task, r: progress(r["stem"])) if progress else None)
    files = {}
    with atomic_directory(out_dir) as tmp:
        for r in results:
            files[r["stem"]] = _write(tmp, r["stem"], get_blob(store, r["blobs"]["tensors"]),
                                      get_blob(store, r["blobs"]["sidecar"]).decode("utf-8"))
        manifest = dict(common, sets=expand_sets(list(sets)), lengths=check_lengths(lengths),
                        dtypes=list(dtypes), attention_cap=attention_cap, files=files,
                        long_counts={s: long_counts(lm, s, check_lengths((set_lengths or {}).get(s, lengths)),
                                                    long_length) for s in long_sets},
                        long_length=long_length, set_lengths=set_lengths or {},
                        descriptions={s: PROMPT_SETS[s][0] for s in expand_sets(list(sets))})
        atomic_write_text(os.path.join(tmp, "manifest.json"), json.dumps(manifest, indent=1) + "\n")
    return manifest
