"""Appendix C.6 on real models: what sliding-window layers do to the n and n + 1 count prompts.

C.6 (p. 23) suggests that local sliding windows "elegantly address representational
collapse and over-squashing at the source". On a model with sliding and global layers
(Gemma 3: five sliding layers of window 512 per global one) the count prompt of
Figure 5 (a) is run once (prefix-closed: the state at the n-th "1" is the last-token state
of the prompt with n ones) with every layer's hidden states, and for each layer the
distance between the states for n and n + 1 is measured, in units of the fp32 ulp at
their scale.

What the theory predicts: a sliding layer sees only the last ``w`` tokens. Once the
prompt (and the first token the model attends to) has left the receptive field of the
sliding layers below the first global one, those layers see the same ``w`` ones for n
and for n + 1, so their states agree up to rounding: the windows do not keep the two
prompts apart, they make them *identical*. Only a global layer sees the difference.
A model without sliding layers (SmolLM2) has nothing to check and says so.

The per-layer distances are computed once per model, prompt and length through
:mod:`verify.sweep`'s content-addressed store (a rerun reads them back).
"""

import os

import numpy as np

from theory.collapse import loglog_slope
from theory.precision import resolution_at_scale
from verify.checks.real_model import _checked, _findings, _panels, _per_model, _summary
from verify.registry import Conditions, register

__all__ = ["layer_distances", "check_c6_real"]

#: Counts n at which the per-layer distances are read (the prompt has n_max ones).
GRID = (8, 16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 2560)


def layer_distances(model, sha256, prompt_set, n_max, dtype="fp32"):
    """Per layer, ``||h_n - h_{n+1}||_inf`` at the n-th and (n+1)-th repeated digit, and ``max |h_n|``.

    A task function of :mod:`verify.sweep` (JSON in, JSON out): one forward pass of the
    longest prefix-closed prompt with every layer's hidden states.

    Parameters
    ----------
    model : str
        A model name or path (:func:`verify.models.sources.resolve_model`).
    sha256 : str
        The model's sha256: part of the task's content address, checked against the file.
    prompt_set : {"fig5a", "fig5b"}
        The count prompt (ones) or the sampled-digits prompt of Figure 5.
    n_max : int
        Number of digits.
    dtype : {"fp32", "bf16"}

    Returns
    -------
    dict
        ``n`` (counts), ``distance`` and ``scale`` (layer x count, the embedding output
        first), ``layer_kinds`` and ``first_position`` (the token index of the first digit).

    Raises
    ------
    ValueError
        If the model's sha256 differs from ``sha256``, or the digits are not single tokens.

    References
    ----------
    Barbero et al. (2024), Appendix C.6, p. 23; Figure 5 (a, b), p. 8.
    """
    import torch

    from verify.models.loading import load_model
    from verify.models.prompts import build_prompts

    lm = load_model(model, dtype)
    if lm.spec.sha256 != sha256:
        raise ValueError(f"model {model}: sha256 {lm.spec.sha256[:12]}... is not the one asked for ({sha256[:12]}...)")
    ids = lm.encode(build_prompts(prompt_set, [n_max])[0].text)
    tokens = lm.tokenizer.convert_ids_to_tokens(ids[0])
    digits = [i for i, t in enumerate(tokens) if t.lstrip("▁Ġ ").isdigit() and len(t.lstrip("▁Ġ ")) == 1]
    if len(digits) < n_max or digits[-n_max:] != list(range(digits[-n_max], digits[-n_max] + n_max)):
        raise ValueError(f"{prompt_set}: the {n_max} digits are not {n_max} consecutive single tokens")
    digits = np.array(digits[-n_max:])
    with torch.no_grad():
        hidden = lm.model(input_ids=ids, output_hidden_states=True).hidden_states
    ns = [n for n in GRID if n < n_max]
    dist, scale = [], []
    for h in hidden:
        h = h[0].float().numpy()
        a, b = h[digits[np.array(ns) - 1]], h[digits[np.array(ns)]]
        dist.append(np.abs(a - b).max(axis=1).tolist())
        scale.append(np.abs(a).max(axis=1).tolist())
    return {"n": ns, "distance": dist, "scale": scale, "layer_kinds": list(lm.arch.layer_types),
            "first_position": int(digits[0]), "window": lm.arch.max_window}


def _store():
    from verify.models.sources import cache_root

    return os.path.join(cache_root(), "sweeps", "c6-layers")


def _c6_one(run, prompt_set, n_max):
    from verify.sweep import Task, run_sweep

    arch = run.arch
    if not arch.sliding_layers:
        return {"skip": "no sliding-window layer: nothing for Appendix C.6 to act on"}
    if not arch.global_layers or arch.global_layers[0] == 0:
        return {"skip": "no sliding layer below the first global one"}
    task = Task("verify.checks.real_c6:layer_distances",
                {"model": run.spec.path, "sha256": run.spec.sha256, "prompt_set": prompt_set, "n_max": n_max})
    r = run_sweep([task], _store(), scheduler="serial")[0]
    ns = np.array(r["n"])
    dist, scale = np.array(r["distance"]), np.array(r["scale"])
    ulps = dist / np.vectorize(lambda s: resolution_at_scale(float(s), "fp32"))(scale)
    first_global = arch.global_layers[0]
    w = r["window"]
    # hidden_states[k] is the output of layer k - 1 (k = 0: the embeddings). Below the
    # first global layer, layer k's receptive field reaches back k * (w - 1) tokens.
    rows, local, global_ = [], {}, {}
    for k in range(1, len(dist)):
        reach = k * (w - 1) + 1
        past = ns + r["first_position"] >= reach  # the n-th digit sees no token before the digits
        kind = r["layer_kinds"][k - 1]
        below = k - 1 < first_global
        if below:
            local[k - 1] = {"past_window": ns[past].tolist(), "ulps": ulps[k, past].tolist(), "reach": reach}
        else:
            global_[k - 1] = {"ulps_at_max": float(ulps[k, -1])}
        rows.append([k - 1, kind, "yes" if below else "no", float(ulps[k, 0]), float(ulps[k, -1]),
                     loglog_slope(ns, dist[k], tail=1.0)])
    return {"rows": rows,
            "evidence": {"prompt_set": prompt_set, "n_max": n_max, "window": w, "first_global_layer": first_global,
                         "first_digit_position": r["first_position"], "n": ns.tolist(),
                         "local_only_layers": local, "after_global": global_,
                         "final_slope": loglog_slope(ns, dist[-1], tail=0.5)},
            "ulps": ulps, "n": ns}


@register("real.C6", ["C.6"], "Sliding windows on real models: the local layers make n and n+1 identical",
          statement="Appendix C.6 on each model with sliding and global layers: per-layer distance between the "
                    "states of the count prompts with n and n + 1 ones (Figure 5a, one forward pass), in fp32 ulps.",
          group="real-model", cost=2)
def check_c6_real(ctx, prompt_set="fig5a", n_max=None):
    """C.6 on real models: below the first global layer, states agree to rounding once the prompt leaves the window.

    Parameters
    ----------
    prompt_set : {"fig5a", "fig5b"}
        Negative control: ``"fig5b"`` (sampled digits): the windows of the n and n + 1
        prompts hold different digits, so the sliding layers keep them apart.
    n_max : int, optional
        Digits in the prompt (default: enough for the receptive field of the sliding
        layers below the first global one).
    """
    if prompt_set not in ("fig5a", "fig5b"):
        raise ValueError(f"prompt_set must be 'fig5a' or 'fig5b', got {prompt_set!r}")
    out = _per_model(ctx, _c6_one, prompt_set=prompt_set, n_max=n_max or 2600)
    if not isinstance(out, tuple):
        return out
    results, unavailable = out
    return _findings(results, unavailable, ["layer", "type", "below first global", "ulps at n=8",
                                            "ulps at largest n", "log-log slope"],
                     "fp32 hidden states of every layer, one forward pass")


#: Rounding of a few operations: states that agree to this many fp32 ulps are the same state.
SAME_STATE_ULPS = 8


@check_c6_real.judge
def _judge_c6_real(f):
    cond = Conditions()
    for label, r in _checked(f):
        ev = r["evidence"]
        checked = {k: v for k, v in ev["local_only_layers"].items() if v["past_window"]}
        worst = max((max(v["ulps"]) for v in checked.values()), default=None)
        cond.add(f"{label}: every sliding layer below the first global one, once the prompt has left its "
                 f"receptive field, gives the n and n+1 prompts the same state (within {SAME_STATE_ULPS} ulps)",
                 bool(checked) and worst <= SAME_STATE_ULPS,
                 "no count past the receptive field" if not checked else f"up to {worst:.3g} ulps")
        cond.add(f"{label}: the final state still collapses (log-log slope <= -0.5)", ev["final_slope"] <= -0.5,
                 f"slope {ev['final_slope']:.3f}")
    return cond


@check_c6_real.summary
def _summary_c6_real(f):
    def describe(r):
        ev = r["evidence"]
        worst = max((max(v["ulps"]) for v in ev["local_only_layers"].values() if v["past_window"]), default=None)
        return (f"local layers past the window within {worst:.3g} ulps; after the first global layer "
                f"{min(v['ulps_at_max'] for v in ev['after_global'].values()):.3g}+ ulps; final slope "
                f"{ev['final_slope']:.2f}") if worst is not None else "no count past the window"

    return _summary(f, describe)


def _draw_layers(ax, label, r):
    ulps, ns = r["ulps"], r["n"]
    first_global = r["evidence"]["first_global_layer"]
    for k in range(1, len(ulps)):
        below = k - 1 < first_global
        ax.loglog(ns, np.maximum(ulps[k], 0.1), color="#d62728" if below else "#1f77b4",
                  lw=1.2 if below else 0.6, alpha=1.0 if below else 0.6,
                  label=("sliding layer below the first global" if below else "at or after a global layer")
                  if k in (1, len(ulps) - 1) else None)
    ax.axhline(SAME_STATE_ULPS, color="#333333", ls="--", lw=0.8, label=f"{SAME_STATE_ULPS} fp32 ulps")
    ax.axvline(r["evidence"]["window"], color="#999999", ls=":", lw=0.8)
    ax.set_xlabel("count n (ones)")
    ax.set_ylabel(r"$\|h_n - h_{n+1}\|_\infty$ in fp32 ulps")
    ax.set_title(f"C.6 on {label}")
    ax.legend(fontsize=6)


@check_c6_real.figure
def _figure_c6_real(f, ctx):
    return _panels(f, ctx, "real.C6", _draw_layers)
