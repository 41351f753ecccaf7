"""The real-model part of ``python -m verify.all``: cold (empty cache) and warm, and a second-process load.

    python -m benchmarks.bench_gemma

Budgets from the issue: <= 180 s cold, <= 60 s warm, model load in a second process <= 15 s.
The cold run uses a fresh ``TNG_CACHE`` directory, so it converts the GGUF and exports the
sweep from scratch; the GGUF file itself is assembled by the PyPI package under ~/.cache.
"""

import os
import subprocess
import sys
import tempfile
import time

GEMMA = ["gemma.structure", "gemma.B6", "gemma.B8", "gemma.B5", "gemma.collapse", "gemma.B1"]


def run(env, label, budget):
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "verify.all", "--out", out, "--only", *GEMMA,
                               "--no-appendix"], env=env, capture_output=True, text=True)
        t = time.perf_counter() - t0
    print(f"gemma part of verify.all, {label}: {t:.1f} s (budget {budget} s: "
          f"{'met' if t <= budget else 'NOT met'}), exit {proc.returncode}", flush=True)
    return t


def second_process_load(env):
    code = ("import time; t=time.perf_counter(); from verify.gemma.model import load_model; "
            "load_model(); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    t = float(out.stdout.strip().splitlines()[-1])
    print(f"model load in a second process (cache warm): {t:.1f} s (budget 15 s: "
          f"{'met' if t <= 15 else 'NOT met'})", flush=True)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TNG_CACHE=cache)
        run(env, "cold (empty cache)", 180)
        run(env, "warm", 60)
        second_process_load(env)
