"""The sweep's task functions: one forward pass per cell, on a real model or on the synthetic one.

Each function takes JSON parameters only (they name the task in the content-addressed
store of :mod:`verify.sweep`) and returns a JSON-able dict. A Dask worker loads each
model once (:func:`verify.models.cached.loaded`) and keeps a copy per dtype (never
casting the fp32 weights in place); the arithmetic of every pass runs with one thread
(:func:`verify.sweep.one_thread`), so a result is the same wherever it ran.
"""

import numpy as np

from verify.prescribe.grid import SEPARATORS, locate_digits
from verify.models.cached import loaded
from verify.sweep import one_thread

__all__ = ["MODEL_TASK", "THEORY_TASK", "PASS_VERSION", "PAIRS", "model_margins", "theory_margins"]

MODEL_TASK = "verify.prescribe.passes:model_margins"
THEORY_TASK = "verify.prescribe.passes:theory_margins"
#: Bumped when a pass's output changes meaning (it is a parameter, so it names the task).
PASS_VERSION = 1
#: "next": ``y_n`` against ``y*_{n+1}`` (Theorem 4.2's pair). "first": the first digit's state
#: of both prompts, which causality makes one and the same vector (the negative control).
PAIRS = ("next", "first")


def _states(lm, ids, positions):
    """Final hidden states at ``positions`` of one forward pass, as float64 (bf16/fp16 values are exact)."""
    import torch

    from verify.models.export import forward_states

    with one_thread(), torch.no_grad():
        y, _, _ = forward_states(lm, torch.tensor([ids]))
    return y[torch.as_tensor(positions)].double().numpy()


def _pair_distances(y, pair):
    """``||y_n - y*_{n+1}||_inf`` and ``max |y_n|`` for n = 1 .. len(y) - 1; None where not finite."""
    if pair == "next":
        a, b = y[:-1], y[1:]
    else:  # both prompts read at their first digit: one state, by causality
        a = b = np.repeat(y[:1], len(y) - 1, axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        dist = np.abs(a - b).max(axis=1)
        scale = np.abs(a).max(axis=1)
    ok = np.isfinite(dist) & np.isfinite(scale)
    first_bad = int(np.flatnonzero(~ok)[0]) + 1 if not ok.all() else None
    return ([float(v) if f else None for v, f in zip(dist, ok, strict=True)],
            [float(v) if f else None for v, f in zip(scale, ok, strict=True)], first_bad)


def model_margins(model, sha256, dtype, task, separator, every, n_max, pair="next", version=PASS_VERSION):
    """One cell on a real model: the distances of the prompt pairs for n = 1 .. ``n_max``.

    One forward pass over the prompt with ``n_max + 1`` digits gives every ``y_n``
    (prefix-closed prompts, checked as tokens by :func:`~verify.prescribe.grid.locate_digits`).

    Returns
    -------
    dict
        ``distance`` and ``scale`` (lists over n; None where the states are not finite),
        ``nonfinite_from`` (first such n), ``num_tokens``, ``overhead_tokens`` (at
        ``n_max``) and ``tokenisation``; or ``status`` "not prefix-closed" with the
        tokenisation when the tokenizer breaks the premise of the single pass.
    """
    lm = loaded(model, sha256, dtype)
    loc = locate_digits(lm.tokenizer, task, n_max + 1, SEPARATORS[separator], every)
    pos = loc["positions"]
    out = {"num_tokens": loc["num_tokens"], "overhead_tokens": int(pos[n_max - 1] - pos[0] + 1 - n_max),
           "tokenisation": loc["tokenisation"]}
    if not loc["tokenisation"]["prefix_closed"]:
        return dict(out, status="not prefix-closed")
    if loc["num_tokens"] > lm.arch.context_length:
        raise ValueError(f"{loc['num_tokens']} tokens exceed the context ({lm.arch.context_length})")
    dist, scale, bad = _pair_distances(_states(lm, loc["ids"], pos), pair)
    return dict(out, status="ok" if bad is None else "non-finite", distance=dist, scale=scale, nonfinite_from=bad)


def theory_margins(separator, every, n_max, dtype, encoding, d=64, num_layers=2, seed=0, version=PASS_VERSION):
    """One cell of the theory's grid (:func:`theory.prescription.synthetic_prescription`)."""
    from theory.prescription import synthetic_prescription

    with one_thread():
        r = synthetic_prescription(SEPARATORS[separator], every, n_max, dtype, encoding=encoding, d=d,
                                   num_layers=num_layers, seed=seed)
    return {"status": "ok", "distance": r["distance"], "scale": r["scale"], "sep_tokens": r["sep_tokens"]}
