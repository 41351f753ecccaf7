"""The Section 3 task sweep: time per answer and per token, prefix/KV reuse and the store against naive runs.

    python -m benchmarks.bench_tasks                     # everything but the whole sweep (about 10 min)
    python -m benchmarks.bench_tasks --only reuse        # one part: answer, reuse, store, verify-all, sweep

- ``answer``: per model and dtype, the time of one answer (prefill + greedy decoding) and
  per generated token (a CoT answer runs to its budget of 128 tokens on both models);
- ``reuse``: one B.10 unit (the answer of A, both answer positions, the pair) against the
  naive way: ``model.generate`` for the answer and one full forward pass per member,
  at n = 50 and 500; and our greedy loop against ``generate`` alone (same tokens);
- ``store``: reading a planned set back from the task store against computing it;
- ``verify-all``: ``python -m verify.all --only real.tasks real.B10`` per model with an
  empty task store (cold: generation; the converted model and the other checks' exports
  are reused) and again (warm: the budget is 20 s per model);
- ``sweep``: the whole sweep (``python -m verify.tasks``) with an empty task store, on a
  local Dask cluster of 2 workers (about an hour on 2 shared cores).

Ratios come from one run of this script; nothing here asserts a time.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from benchmarks._timing import best_of, report

MODELS = ("gemma3-270m", "smollm2-135m")


def _lm(name, dtype):
    from verify.tasks.engine import load

    return load(name, dtype)


def bench_answer():
    import torch

    from verify.tasks.engine import _feed, _one_thread, encode_texts, greedy_decode
    from verify.tasks.prompts import build_prompt

    for name in MODELS:
        for dtype in ("fp32", "bf16"):
            lm = _lm(name, dtype)
            prompt = build_prompt("count_ones", 20, "cot")
            ids = encode_texts(lm, prompt)["generation"]
            with _one_thread(), torch.no_grad():
                t0 = time.perf_counter()
                states, cache = _feed(lm, ids, None)
                t1 = time.perf_counter()
                tokens, _, stop = greedy_decode(lm, states, cache, 128, prompt.answer_format)
                t2 = time.perf_counter()
            print(f"{lm.spec.label} {dtype}: one answer ({len(ids)}-token CoT prompt, {len(tokens)} tokens, "
                  f"stop {stop}) {t2 - t0:.2f} s: prefill {t1 - t0:.2f} s, {1e3 * (t2 - t1) / len(tokens):.0f} ms "
                  f"per generated token", flush=True)


def _naive_unit(lm, a, b, budget):
    """The naive way: generate() for A's answer, one full forward pass per member's answer position."""
    import torch

    from verify.tasks.engine import encode_texts

    enc = [encode_texts(lm, p) for p in (a, b)]
    for e in enc:
        lm.model(torch.tensor([e["probe"] + e["answer"]]), logits_to_keep=len(e["answer"]) + 1)
    lm.model.generate(torch.tensor([enc[0]["generation"]]), max_new_tokens=budget, do_sample=False,
                      pad_token_id=lm.tokenizer.pad_token_id or 0)


def bench_reuse():
    import torch

    from verify.tasks.engine import _feed, _generate, _one_thread, _probe_pair, encode_texts, greedy_decode
    from verify.tasks.prompts import build_pair

    for name in MODELS:
        lm = _lm(name, "fp32")
        for n in (50, 500):
            a, b = build_pair("count_ones", n, "answer")

            def ours():
                enc = [encode_texts(lm, p) for p in (a, b)]
                _, _, shared = _probe_pair(lm, a, b, enc)
                return _generate(lm, a, enc[0]["generation"], shared, 32)

            with _one_thread(), torch.no_grad():
                t_ours, _ = best_of(ours, repeat=2)
                t_naive, _ = best_of(lambda: _naive_unit(lm, a, b, 32), repeat=2)
            report(f"{lm.spec.label}: one B.10 unit at n={n} (answer style, 32 tokens)",
                   "generate + one full pass per member", t_naive, t_ours)
        ids = encode_texts(lm, build_pair("count_ones", 20, "cot")[0])["generation"]
        with _one_thread(), torch.no_grad():
            def loop():
                states, cache = _feed(lm, ids, None)
                return greedy_decode(lm, states, cache, 64, "never appears: ")

            t_loop, _ = best_of(loop, repeat=2)
            t_gen, _ = best_of(lambda: lm.model.generate(torch.tensor([ids]), max_new_tokens=64, do_sample=False,
                                                         pad_token_id=lm.tokenizer.pad_token_id or 0), repeat=2)
        report(f"{lm.spec.label}: 64 greedy tokens after a {len(ids)}-token prompt", "generate", t_gen, t_loop)


def bench_store():
    from verify.tasks.run import plan_units, resolve_specs, run_units

    specs = resolve_specs(["smollm2-135m"])
    planned = plan_units(specs, ["fp32"], ["b10"], tasks=["copy_last"], lengths=[2, 3, 4, 6])
    with tempfile.TemporaryDirectory() as store:
        t0 = time.perf_counter()
        run_units(planned, store=store, scheduler="serial")
        cold = time.perf_counter() - t0
        warm, _ = best_of(lambda: run_units(planned, store=store, scheduler="serial"), repeat=3)
    report(f"task store, {len(planned)} SmolLM2 units", "computing them", cold, warm)


def _linked_cache(tmp):
    """A cache with the real one's converted models, sha256 memos and exports, and an empty task store."""
    from verify.models.sources import cache_root

    for sub in ("models", "sha256", "exports"):
        src = os.path.join(cache_root(), sub)
        if os.path.isdir(src):
            os.symlink(src, os.path.join(tmp, sub))
    return dict(os.environ, TNG_CACHE=tmp)


def bench_verify_all():
    for model in MODELS:
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
            env = _linked_cache(cache)
            for label, budget in (("cold (empty task store)", None), ("warm", 20)):
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "verify.all", "--only", "real.tasks", "real.B10",
                                       "--model", model, "--out", out, "--no-appendix"], env=env,
                                      capture_output=True, text=True)
                t = time.perf_counter() - t0
                note = f" (budget {budget} s: {'met' if t <= budget else 'NOT met'})" if budget else ""
                print(f"{model}: real.tasks + real.B10 in verify.all, {label}: {t:.1f} s{note}, "
                      f"exit {proc.returncode}", flush=True)


def bench_sweep():
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = _linked_cache(cache)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "verify.tasks", "--out", os.path.join(out, "r")], env=env,
                              capture_output=True, text=True)
        print(f"the whole sweep, empty task store, 2 Dask workers: {time.perf_counter() - t0:.0f} s, "
              f"exit {proc.returncode}: {proc.stdout.strip()}", flush=True)


PARTS = {"answer": bench_answer, "reuse": bench_reuse, "store": bench_store, "verify-all": bench_verify_all,
         "sweep": bench_sweep}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_tasks", description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=list(PARTS), help="run only these parts")
    args = p.parse_args(argv)
    for name in args.only or [k for k in PARTS if k != "sweep"]:
        PARTS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
