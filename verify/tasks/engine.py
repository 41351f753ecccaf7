"""Running a task prompt on a real model: greedy decoding with a KV cache, answer-position probes, B.10 pairs.

One *unit* (:func:`run_unit`) is a prompt ``A`` of a task at length ``n`` and its
Corollary B.10 partner ``B`` (:func:`verify.tasks.prompts.build_pair`). It measures:

- **the answer** of ``A``: greedy decoding (``argmax`` at every step, ties to the lower
  token id) from the prompt, with the model's KV cache, until an end-of-sequence token,
  a finished answer line, or the token budget; parsed by
  :func:`verify.tasks.parse.parse_answer` (correct, wrong or unparsable);
- **the answer position** of ``A`` and ``B``: the prompt followed by the answer line
  ("... is: "; for an instruct model the assistant turn starts with it). The
  probability and rank of the correct first token there, and the probability of the
  whole correct answer by teacher forcing (digits are single tokens, checked);
- **the pair at the distinguishing position**: the answer position followed by the
  digits the two correct answers share ('1' for 12 vs 13), where the correct next
  tokens differ. There: the final states ``y_A, y_B`` (after the final norm, the
  readout's input), their L-infinity distance and scale, whether they are bitwise
  identical, the next-token distributions (identical? total variation), the greedy
  tokens, and the readout certificate of Corollary B.10 (:func:`certificate`).

Prefix and KV reuse: ``A`` and ``B`` share a long token prefix (the question and the
first ``n`` items). It runs once; each member continues from a copy of its KV cache
with its own middle tokens and then the common tail, in the same chunks for both, so
the tail's computation has the same shapes in ``A`` and ``B``. The generation of ``A``
continues from the same prefix. Everything a unit computes is a fixed function of its
parameters (fixed chunking, one thread), so a rerun, a serial run and a Dask run give
the same numbers.

References
----------
Barbero et al. (2024), Corollary B.10 (p. 20), Theorem B.3 (p. 15), Section 3 (pp. 4-6).
"""

import contextlib
import copy
import hashlib
import json
import os

from verify.sweep import worker_cached
from verify.tasks.parse import answer_complete, parse_answer
from verify.tasks.prompts import build_pair

__all__ = ["ENGINE_VERSION", "MAX_NEW_TOKENS", "run_unit", "prompt_digest", "load", "certificate",
           "encode_texts", "greedy_decode", "readout"]

#: Bumped when a unit's output changes meaning (part of every store key).
ENGINE_VERSION = 1
#: Token budget of greedy decoding per style: the answer line (about 15 tokens) with room
#: for a preamble; CoT gets room to reason (a model that has not answered by then is
#: "unparsable, cut off"); the few-shot format starts at the answer (digits, then a stop).
MAX_NEW_TOKENS = {"answer": 32, "cot": 128, "cot_fewshot": 128, "fewshot": 8}


@worker_cached(maxsize=2)
def _fp32(model):
    from verify.models.loading import load_model

    return load_model(model, "fp32")


@worker_cached(maxsize=4)
def load(model, dtype):
    """The model (a default name or a path) in ``dtype``, loaded once per process (each dtype its own copy).

    Parameters
    ----------
    model : str
        As :func:`verify.models.loading.load_model`.
    dtype : {"fp32", "bf16", "fp16"}

    Returns
    -------
    LoadedModel
        Cached per process (:func:`verify.sweep.worker_cached`): a Dask worker loads each
        model once; the fp32 weights are never cast in place.

    Raises
    ------
    ValueError
        As :func:`verify.models.loading.load_model`.

    References
    ----------
    Infrastructure of the Section 3 experiments (Barbero et al. (2024), pp. 4-6).

    Examples
    --------
    >>> load("smollm2-135m", "bf16").dtype  # doctest: +SKIP
    'bf16'
    """
    return _fp32(model).in_dtype(dtype)


@contextlib.contextmanager
def _one_thread():
    """One intra-op thread: the numbers do not depend on the core count, and Dask workers do not oversubscribe."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def prompt_digest(a, b):
    """sha256 of a pair's texts and answers: the part of a unit's store key that names its prompts.

    Parameters
    ----------
    a, b : TaskPrompt

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    AttributeError
        Arguments that are not prompts.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20): the prompts the digest names.

    Examples
    --------
    >>> from verify.tasks.prompts import build_pair
    >>> len(prompt_digest(*build_pair("count_ones", 3)))
    64
    """
    blob = json.dumps([[p.user, p.truth, p.answer_format, p.prefilled] for p in (a, b)], ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


# --------------------------------------------------------------------------- text -> tokens


def _context(lm, prompt):
    """The text before the answer: the chat template's user turn (instruct models) or the prompt as is."""
    if lm.arch.has_chat_template:
        return lm.tokenizer.apply_chat_template([{"role": "user", "content": prompt.user}], tokenize=False,
                                                add_generation_prompt=True)
    return prompt.user


def _answer_position_text(lm, prompt):
    """The context followed by the answer line (a base model gets it on a new line)."""
    sep = "" if lm.arch.has_chat_template else "\n"
    return _context(lm, prompt) + sep + prompt.answer_format


def _ids(lm, text):
    # A chat template writes its own special tokens; a plain prompt gets the tokenizer's BOS policy.
    return lm.tokenizer(text, add_special_tokens=not lm.arch.has_chat_template)["input_ids"]


def _digit_ids(lm, digits, before):
    """Token ids of ``digits``, one token each, as they tokenize after ``before`` (else a ValueError)."""
    ids = [lm.tokenizer.convert_tokens_to_ids(d) for d in digits]
    if _ids(lm, before + digits) != _ids(lm, before) + ids:
        raise ValueError(f"model {lm.spec.label}: the answer {digits!r} does not tokenize as one token per digit "
                         "after the answer line; teacher forcing would score another tokenization")
    return ids


def encode_texts(lm, prompt):
    """Token ids of a prompt: where decoding starts, the answer position, and the correct answer.

    Parameters
    ----------
    lm : LoadedModel
    prompt : TaskPrompt

    Returns
    -------
    dict
        ``generation`` (decoding starts after it: the context, or the answer position for
        a prefilled prompt), ``probe`` (the answer position) and ``answer`` (one id per
        digit of the truth).

    Raises
    ------
    ValueError
        A tokenizer that merges the answer's digits, or a prompt longer than the context.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20): the answer line each prompt asks for.

    Examples
    --------
    >>> from verify.tasks.prompts import build_prompt
    >>> enc = encode_texts(load("smollm2-135m", "fp32"), build_prompt("count_ones", 12))  # doctest: +SKIP
    >>> len(enc["answer"])  # doctest: +SKIP
    2
    """
    probe_text = _answer_position_text(lm, prompt)
    out = {"probe": _ids(lm, probe_text), "answer": _digit_ids(lm, prompt.truth, probe_text)}
    out["generation"] = out["probe"] if prompt.prefilled else _ids(lm, _context(lm, prompt))
    longest = len(out["probe"]) + len(out["answer"]) + MAX_NEW_TOKENS["cot"]
    if longest > lm.arch.context_length:
        raise ValueError(f"n: the prompt of {prompt.task} at n={prompt.n} needs {longest} positions, more than "
                         f"{lm.spec.label}'s context ({lm.arch.context_length})")
    return out


# --------------------------------------------------------------------------- forward passes


def _feed(lm, ids, cache):
    """Run ``ids`` after ``cache`` (None: from the start); return (final states ``[k, d]``, the extended cache)."""
    import torch

    out = lm.adapter.backbone(lm.model)(input_ids=torch.tensor([ids]), cache=cache, use_cache=True)
    return out.last_hidden_state[0], out.past_key_values


def readout(lm, states):
    """The model's logits for final states ``[k, d]`` (its LM head, and its final soft-capping if any).

    Parameters
    ----------
    lm : LoadedModel
    states : Tensor ``[k, d]``
        Final hidden states (after the final norm).

    Returns
    -------
    Tensor ``[k, V]``
        In the model's dtype; equal to the model's own logits (tested).

    Raises
    ------
    RuntimeError
        States of the wrong width.

    References
    ----------
    Barbero et al. (2024), Section 2 (p. 3): the next-token distribution is read from the
    last token's final representation.

    Examples
    --------
    >>> import torch
    >>> lm = load("smollm2-135m", "fp32")  # doctest: +SKIP
    >>> readout(lm, torch.zeros(1, lm.arch.hidden_size)).shape[-1] == len(lm.tokenizer)  # doctest: +SKIP
    True
    """
    import torch

    logits = lm.model.get_output_embeddings()(states)
    cap = getattr(lm.model.config, "final_logit_softcapping", None)
    return torch.tanh(logits / cap) * cap if cap else logits


def _eos_ids(lm):
    ids = lm.model.generation_config.eos_token_id
    ids = set(ids if isinstance(ids, (list, tuple)) else [ids] if ids is not None else [])
    if lm.tokenizer.eos_token_id is not None:
        ids.add(lm.tokenizer.eos_token_id)
    return ids


def greedy_decode(lm, states, cache, max_new_tokens, fmt, prefix_text=""):
    """Greedy decoding from the last of ``states`` with the KV ``cache``.

    Stops at an end-of-sequence token, when the text holds a finished answer line
    (:func:`verify.tasks.parse.answer_complete`), or after ``max_new_tokens``. The tokens
    are those of ``generate(do_sample=False)`` (tested on tiny and real models).

    Parameters
    ----------
    lm : LoadedModel
    states : Tensor ``[k, d]``
        Final states of the prompt (only the last is used).
    cache : transformers Cache
        The prompt's KV cache (extended in place).
    max_new_tokens : int
    fmt : str
        The answer line up to the answer.
    prefix_text : str
        Text before the output that the stop rule reads (a prefilled answer line).

    Returns
    -------
    (list of int, str, str)
        The new token ids, the decoded text, and why it stopped ("eos", "answer", "length").

    Raises
    ------
    RuntimeError
        A cache that does not belong to the model.

    References
    ----------
    Barbero et al. (2024), Section 3 (p. 4): answers are decoded from the model's next-token
    predictions; greedy here, so that a rerun gives the same answer.

    Examples
    --------
    >>> import torch
    >>> lm = load("smollm2-135m", "fp32")  # doctest: +SKIP
    >>> states, cache = _feed(lm, lm.encode("1 + 1 =")[0].tolist(), None)  # doctest: +SKIP
    >>> greedy_decode(lm, states, cache, 3, "x: ")[2]  # doctest: +SKIP
    'length'
    """
    eos, tokens = _eos_ids(lm), []
    nxt = int(readout(lm, states[-1:])[0].argmax())
    while True:
        tokens.append(nxt)
        text = lm.tokenizer.decode(tokens, skip_special_tokens=True)
        if nxt in eos:
            return tokens, text, "eos"
        if answer_complete(prefix_text + text, fmt):
            return tokens, text, "answer"
        if len(tokens) >= max_new_tokens:
            return tokens, text, "length"
        h, cache = _feed(lm, [nxt], cache)
        nxt = int(readout(lm, h)[0].argmax())


def _common_prefix(a, b):
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k


def _member_states(lm, prefix_states, cache, middle, tail, rest):
    """Final states of one member after the shared prefix: its middle tokens, the common tail, the rest."""
    import torch

    parts = [prefix_states]
    for chunk in (middle, tail, rest):
        if chunk:
            h, cache = _feed(lm, chunk, cache)
            parts.append(h)
    return torch.cat(parts)


# --------------------------------------------------------------------------- measurements


def certificate(weight, bias, y_a, y_b, t_a, t_b):
    """Corollary B.10's readout certificate for a pair of final states, in float64.

    With ``u = w[t_a] - w[t_b]`` (rows of the LM head) and the gaps ``g = u . y + (b[t_a] -
    b[t_b])``, both members can prefer their own correct token over the other's only if
    ``g_a > 0 > g_b``; then ``|g_a| + |g_b| = |u . (y_a - y_b)| <= ||u||_1 ||y_a - y_b||_inf``
    (Hoelder). So when ``||u||_1 ||y_a - y_b||_inf < |g_a| + |g_b|`` the states are too close
    for the readout to separate the two answers: at least one member is wrong (identical
    states, distance 0, are the corollary's case). A final soft-capping is monotone and
    changes no comparison.

    Parameters
    ----------
    weight : Tensor ``[V, d]``; bias : Tensor ``[V]`` or None
    y_a, y_b : Tensor ``[d]``
    t_a, t_b : int
        The two correct next tokens (different).

    Returns
    -------
    dict
        ``gap`` (g_a, g_b), ``u_l1``, ``linf``, ``certified`` and ``separable`` (g_a > 0 > g_b).

    Raises
    ------
    IndexError
        A token outside the head.

    References
    ----------
    Barbero et al. (2024), Corollary B.10, p. 20.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> c = certificate(w, None, torch.tensor([2.0, 1.0]), torch.tensor([2.0, 1.1]), 0, 1)
    >>> c["certified"], c["separable"]
    (True, False)
    """
    u = weight[t_a].double() - weight[t_b].double()
    shift = 0.0 if bias is None else float(bias[t_a].double() - bias[t_b].double())
    g_a, g_b = float(u @ y_a.double()) + shift, float(u @ y_b.double()) + shift
    linf = float((y_a.double() - y_b.double()).abs().max())
    u_l1 = float(u.abs().sum())
    return {"gap": [g_a, g_b], "u_l1": u_l1, "linf": linf, "certified": u_l1 * linf < abs(g_a) + abs(g_b),
            "separable": g_a > 0 > g_b}


def _rank(logits, token):
    """1 + the number of tokens with a strictly larger logit (ties count in the answer's favour)."""
    return int((logits > logits[token]).sum()) + 1


def _answer_position(lm, states, probe_len, answer_ids):
    """Probability and rank of the correct first token, and the teacher-forced log-probability of the answer."""
    import torch

    logits = readout(lm, states[probe_len - 1: probe_len - 1 + len(answer_ids)]).double()
    logp = torch.log_softmax(logits, dim=-1)
    first = logits[0]
    return {"p_first": float(logp[0, answer_ids[0]].exp()), "rank_first": _rank(first, answer_ids[0]),
            "greedy_first": lm.tokenizer.decode([int(first.argmax())]),
            "logp_answer": float(sum(logp[k, t] for k, t in enumerate(answer_ids)))}


def _pair(lm, y, logits, correct):
    """The B.10 measurements at the distinguishing position, from both members' states and logits."""
    import torch

    head = lm.model.get_output_embeddings()
    probs = [torch.softmax(z.double(), dim=-1) for z in logits]
    greedy = [int(z.argmax()) for z in logits]
    cert = certificate(head.weight, getattr(head, "bias", None), y[0], y[1], *correct)
    return dict(cert, correct=[lm.tokenizer.decode([t]) for t in correct],
                greedy=[lm.tokenizer.decode([t]) for t in greedy], same_greedy=greedy[0] == greedy[1],
                identical_states=bool(torch.equal(y[0], y[1])),
                identical_distributions=bool(torch.equal(logits[0], logits[1])),
                scale=float(max(y[0].double().abs().max(), y[1].double().abs().max())),
                tv=float(0.5 * (probs[0] - probs[1]).abs().sum()),
                p_correct=[float(p[t]) for p, t in zip(probs, correct)],
                rank_correct=[_rank(z, t) for z, t in zip(logits, correct)])


def _shared(lm, enc_a, enc_b, common):
    """Token lists of the pair split for reuse: shared prefix, each member's middle, the common tail, the rest."""
    dist = [e["probe"] + e["answer"][:common] for e in (enc_a, enc_b)]
    p = _common_prefix(*dist)
    tails = [d[p:][::-1] for d in dist]
    s = _common_prefix(*tails)
    split = {"prefix": dist[0][:p], "tail": dist[0][len(dist[0]) - s:] if s else []}
    split["middle"] = [d[p:len(d) - s] for d in dist]
    split["rest"] = [e["answer"][common:-1] for e in (enc_a, enc_b)]
    split["distinguishing"] = [len(d) - 1 for d in dist]
    return split


def _probe_pair(lm, a, b, enc):
    """Both members' states from one shared prefix; the answer-position and pair measurements."""
    common = len(os.path.commonprefix([a.truth, b.truth]))
    split = _shared(lm, enc[0], enc[1], common)
    prefix_states, cache = _feed(lm, split["prefix"], None)
    members, y, logits = [], [], []
    for k, e in enumerate(enc):
        states = _member_states(lm, prefix_states, copy.deepcopy(cache), split["middle"][k], split["tail"],
                                split["rest"][k])
        members.append(_answer_position(lm, states, len(e["probe"]), e["answer"]))
        y.append(states[split["distinguishing"][k]])
        logits.append(readout(lm, y[-1][None])[0])
    correct = [enc[0]["answer"][common], enc[1]["answer"][common]]
    pair = dict(_pair(lm, y, logits, correct), shared_digits=a.truth[:common], shared_prefix=len(split["prefix"]))
    return members, pair, (split["prefix"], cache)


def _generate(lm, prompt, gen_ids, shared, max_new_tokens):
    """Greedy answer of ``prompt`` continuing from the shared prefix's cache; parsed."""
    prefix_ids, cache = shared
    start = len(prefix_ids)
    if len(gen_ids) > start and gen_ids[:start] == prefix_ids:
        states, cache = _feed(lm, gen_ids[start:], copy.deepcopy(cache))
    else:  # the prompt does not extend the shared prefix (a tokenizer that merges across it): start afresh
        states, cache = _feed(lm, gen_ids, None)
    prefix_text = prompt.answer_format if prompt.prefilled else ""
    tokens, text, stop = greedy_decode(lm, states, cache, max_new_tokens, prompt.answer_format, prefix_text)
    parsed = parse_answer(prefix_text + text, prompt.answer_format, prompt.truth, cut_off=stop == "length")
    return {"text": text, "new_tokens": len(tokens), "stop": stop, "answer": parsed.answer,
            "category": parsed.category, "reason": parsed.reason}


def run_unit(model, sha256, dtype, task, style, n, seed=0, separator=None, every=None, max_new_tokens=None,
             prompt_sha256=None, engine=ENGINE_VERSION):
    """One unit of the task sweep: the answer of ``A``, both answer positions, the B.10 pair.

    This is the task function of :func:`verify.sweep.run_sweep` (every parameter is part
    of the store key: the model's sha256, the prompts' digest, the dtype, the decoding
    budget and the engine version).

    Parameters
    ----------
    model : str
        A default model's name or a model path (:func:`verify.models.sources.resolve_model`).
    sha256 : str
        The model's sha256 (the resolved model must have it).
    dtype : {"fp32", "bf16", "fp16"}
    task, style, n, seed, separator, every
        As :func:`verify.tasks.prompts.build_pair`.
    max_new_tokens : int or None
        Greedy decoding budget; default :data:`MAX_NEW_TOKENS` of the style.
    prompt_sha256 : str or None
        :func:`prompt_digest` of the pair as the caller built it; a mismatch (prompt code
        changed between the caller and this process) is an error.
    engine : int
        :data:`ENGINE_VERSION` (the caller's; a mismatch is an error).

    Returns
    -------
    dict
        JSON-able: ``generation`` (text, stop, answer, category, reason), ``answer_position``
        (for ``A`` and ``B``: p_first, rank_first, greedy_first, logp_answer), ``pair``
        (see the module docstring) and the prompt's sizes.

    Raises
    ------
    ValueError
        Bad arguments (named), a model whose sha256 differs, a prompt beyond the context.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20), Section 3 (pp. 4-6), Appendix C.1 (p. 20).

    Examples
    --------
    >>> r = run_unit("smollm2-135m", "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    ...              "bf16", "count_ones", "fewshot", 12)  # doctest: +SKIP
    >>> r["truth"], r["pair"]["correct"], r["generation"]["category"]  # doctest: +SKIP
    ('12', ['2', '3'], 'wrong')
    """
    import torch

    a, b = build_pair(task, n, style, seed, separator, every)
    if engine != ENGINE_VERSION:
        raise ValueError(f"engine: this process runs engine {ENGINE_VERSION}, the task asks for {engine}")
    if prompt_sha256 is not None and prompt_sha256 != prompt_digest(a, b):
        raise ValueError("prompt_sha256: the prompts built here differ from the caller's (mixed code versions)")
    budget = MAX_NEW_TOKENS[style] if max_new_tokens is None else max_new_tokens
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
    lm = load(model, dtype)
    if lm.spec.sha256 != sha256:
        raise ValueError(f"sha256: model {model} has sha256 {lm.spec.sha256}, the task names {sha256}")
    with _one_thread(), torch.no_grad():
        enc = [encode_texts(lm, p) for p in (a, b)]
        members, pair, shared = _probe_pair(lm, a, b, enc)
        generation = _generate(lm, a, enc[0]["generation"], shared, budget)
    return {"task": task, "style": style, "n": n, "dtype": dtype, "seed": a.seed, "truth": a.truth,
            "truth_b": b.truth, "prompt_tokens": len(enc[0]["generation"]),
            "probe_tokens": [len(e["probe"]) for e in enc], "max_new_tokens": budget,
            "generation": generation, "answer_position": {"a": members[0], "b": members[1]}, "pair": pair}
