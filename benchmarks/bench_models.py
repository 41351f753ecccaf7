"""The real models: cold and warm ``verify.all`` per model, forward speed, the prefix-closed sweep, long-prompt memory.

    python -m benchmarks.bench_models                 # everything (about 30 min on 2 cores)
    python -m benchmarks.bench_models --only forward  # one part: verify-all, forward, sweep, long

- ``verify-all``: the real-model part of ``python -m verify.all`` per model, cold (an empty
  ``TNG_CACHE``: GGUF conversion and the whole export) and warm (budgets 180 s and 60 s);
- ``forward``: tokens per second of a forward pass (hidden states only) at 1,024 tokens;
- ``sweep``: the prefix-closed collapse sweep (one pass gives every n) against a naive
  loop of one forward pass per length, as a ratio;
- ``long``: peak memory and time per token of a forward pass at 8,192 tokens and at the
  context (32,768 for Gemma 3 270M, goal < 8 GB), and of the attention-derived
  quantities (rollout row, Theorem B.5 bound, every self-weight) at 8,192 tokens.

Each measurement of memory runs in a fresh process and reports its peak resident set
(``ru_maxrss``, weights included) and the growth over the loaded model. Nothing here
asserts a time: budgets are printed as met or not.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks._timing import best_of, report

MODELS = ("gemma3-270m", "smollm2-135m")
REAL = ["real.structure", "real.B6", "real.B8", "real.B5", "real.collapse", "real.B1"]
CONTEXT = {"gemma3-270m": 32768, "smollm2-135m": 8192}


def verify_all(model, env, label, budget):
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "verify.all", "--out", out, "--only", *REAL, "--model", model,
                               "--no-appendix"], env=env, capture_output=True, text=True)
        t = time.perf_counter() - t0
    print(f"{model}: real-model part of verify.all, {label}: {t:.1f} s (budget {budget} s: "
          f"{'met' if t <= budget else 'NOT met'}), exit {proc.returncode}", flush=True)
    return t


def bench_verify_all():
    for model in MODELS:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, TNG_CACHE=cache)
            verify_all(model, env, "cold (empty cache: conversion and export)", 180)
            verify_all(model, env, "warm", 60)


_PROBE = """
import json, resource, sys, time
import torch
from verify.models.loading import load_model
from verify.models.export import forward_states
name, tokens, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lm = load_model(name)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ids = lm.encode("How many ones are in the following sequences? " + "1" * tokens)[:, :tokens]
t0 = time.perf_counter()
if what == "hidden":
    with torch.no_grad():
        forward_states(lm, ids)
else:
    from verify.models.attention import AttentionRows, reverse_row_recursions, rollout_rule, sensitivity_rule
    with torch.no_grad():
        _, _, cap = forward_states(lm, ids, keep_queries_keys=True)
    reverse_row_recursions(AttentionRows(cap), {"rollout": rollout_rule, "bound": sensitivity_rule()})
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tokens": int(ids.shape[1]), "seconds": seconds, "peak_gb": peak / 2**20,
                  "growth_gb": (peak - base) / 2**20}))
"""


def probe(model, tokens, what="hidden"):
    """Run one measurement in a fresh process; returns its JSON line as a dict."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, model, str(tokens), what], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_forward():
    for model in MODELS:
        r = probe(model, 1024)
        print(f"{model}: forward pass (hidden states) at {r['tokens']} tokens: {r['tokens'] / r['seconds']:.0f} "
              f"tokens/s", flush=True)


def bench_sweep(n_max=2000):
    """One prefix-closed pass for every n <= n_max against one pass per length of the grid."""
    import torch

    from theory.collapse import geometric_lengths
    from verify.models.export import forward_states
    from verify.models.loading import load_model
    from verify.models.prompts import Q_COUNT

    for model in MODELS:
        lm = load_model(model)
        grid = [int(n) for n in geometric_lengths(10, n_max, per_octave=2)]

        def one_pass():
            with torch.no_grad():
                y, _, _ = forward_states(lm, lm.encode(Q_COUNT + "1" * (n_max + 1)))
            return y

        def naive():
            out = []
            for n in grid:
                with torch.no_grad():
                    for m in (n, n + 1):
                        out.append(forward_states(lm, lm.encode(Q_COUNT + "1" * m))[0][-1])
            return out

        t_naive, _ = best_of(naive, repeat=1)
        t_ours, _ = best_of(one_pass, repeat=1)
        report(f"{model}: collapse sweep, {len(grid)} lengths to n={n_max} (ours: every n)", "one pass per length",
               t_naive, t_ours)


def bench_long():
    for model in MODELS:
        for tokens in sorted({8192, CONTEXT[model]}):
            r = probe(model, tokens)
            print(f"{model}: forward pass at {r['tokens']} tokens: {r['seconds']:.0f} s "
                  f"({1000 * r['seconds'] / r['tokens']:.1f} ms/token), peak RSS {r['peak_gb']:.2f} GB "
                  f"(+{r['growth_gb']:.2f} GB over the loaded model; goal < 8 GB)", flush=True)
        r = probe(model, 8192, "attention")
        print(f"{model}: rollout row, B.5 bound and every self-weight at {r['tokens']} tokens: {r['seconds']:.0f} s, "
              f"peak RSS {r['peak_gb']:.2f} GB (+{r['growth_gb']:.2f} GB)", flush=True)


PARTS = {"verify-all": bench_verify_all, "forward": bench_forward, "sweep": bench_sweep, "long": bench_long}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_models")
    parser.add_argument("--only", nargs="+", choices=list(PARTS), default=list(PARTS))
    for part in parser.parse_args().only:
        PARTS[part]()
