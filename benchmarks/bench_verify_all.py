"""Wall time of ``python -m verify.all`` (full and --quick) against the budgets, and a per-check table.

The budgets (60 s full, 10 s quick) are for the run without the real-model checks, so
they run with ``--no-gemma``; ``benchmarks/bench_gemma.py`` times the real-model part.
Every check runs with one BLAS thread per process (results must not depend on the
thread count); the per-check table shows where the time goes.

    python -m benchmarks.bench_verify_all
"""

import json
import os
import subprocess
import sys
import tempfile
import time


def run(args, budget):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "verify.all", "--no-gemma", "--out", out, *args],
                              capture_output=True, text=True)
        t = time.perf_counter() - t0
        with open(os.path.join(out, "timings.json")) as fh:
            seconds = json.load(fh)["seconds"]
    label = "python -m verify.all " + " ".join(args)
    print(f"{label.strip()}: {t:.1f} s wall (budget {budget} s: {'met' if t <= budget else 'NOT met'}), "
          f"exit {proc.returncode}; checks sum to {sum(seconds.values()):.1f} s on 2 workers", flush=True)
    for cid, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"    {cid:10s} {s:6.2f} s")
    return t


if __name__ == "__main__":
    run(["--quick"], 10)
    run([], 60)
