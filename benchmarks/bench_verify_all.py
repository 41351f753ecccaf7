"""Wall time of ``python -m verify.all`` (full and --quick) against the issue's budgets.

The budgets (60 s full, 10 s quick) are for the run without the real-model checks, so
they run with ``--no-gemma``; ``benchmarks/bench_gemma.py`` times the real-model part.

    python -m benchmarks.bench_verify_all
"""

import subprocess
import sys
import tempfile
import time


def run(args, budget):
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "verify.all", "--no-gemma", "--out", out, *args],
                              capture_output=True, text=True)
        t = time.perf_counter() - t0
    label = "python -m verify.all " + " ".join(args)
    print(f"{label.strip()}: {t:.1f} s (budget {budget} s: {'met' if t <= budget else 'NOT met'}), "
          f"exit {proc.returncode}", flush=True)
    return t


if __name__ == "__main__":
    run(["--quick"], 10)
    run([], 60)
