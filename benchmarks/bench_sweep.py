"""The sweep layer, measured: per-token cost, cost vs configurations and vs N, 1 vs 2 workers, a GPU estimate.

    python -m benchmarks.bench_sweep            # everything, one run (about 10 min on 2 idle cores)
    python -m benchmarks.bench_sweep --quick    # smaller lengths (a look, not the numbers of the docs)

- ``tokens``: one prescription pass (tokenisation, forward pass, distances) of each default
  model, one thread, fp32 and bf16, at three lengths: seconds, ms per token, the growth
  exponent of the time in the number of tokens, and the FLOPs this machine achieved;
- ``configurations``: the same model and N, 1, 2, 4 and 8 cells run through
  :func:`verify.sweep.run_sweep` serially: time against cells and against tokens;
- ``workers``: one set of 16 passes on a local Dask cluster of 1 and of 2 worker processes
  (one thread each; the model loaded on every worker before the clock starts), and with
  the clusters' start and model loads: the ratio, against the goal of 1.6x;
- ``gpu``: the cost of 10 models x 8 separators x 8 spacings x 3 dtypes to 32,768 tokens on
  a GPU cluster, from the FLOPs per token of the architectures and stated throughputs, next
  to what the measured CPU rate would take.

Numbers depend on what else runs on the machine: the load average is printed with them.
Nothing asserts a time.
"""

import argparse
import os
import tempfile
import time

GOAL = 1.6
MODELS = ("smollm2-135m", "gemma3-270m")
#: Assumptions of the GPU estimate (printed with it).
GPU = {"name": "A100 80GB SXM", "peak_tflops": {"fp32": 19.5, "bf16": 312.0, "fp16": 312.0},
       "utilisation": 0.35, "usd_per_gpu_hour": 2.0}
SWEEP = {"models": 10, "separators": 8, "spacings": 8, "dtypes": ("fp32", "bf16", "fp16"), "tokens": 32768}
#: The paper's Gemma 7B (Section 4's experiments): 28 global layers, 16 heads of 256, hidden 3072.
GEMMA_7B = {"layers": 28, "heads": 16, "head_dim": 256, "hidden": 3072, "params_no_embedding": 7.75e9,
            "windows": (None,) * 28}


def _load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def flops_per_pass(layers_windows, heads, head_dim, params, n):
    """FLOPs of one causal forward pass over ``n`` tokens: ``2 P n`` for the weights, and per layer
    ``4 H d_head sum_i min(i, window)`` for the attention scores and the weighted values."""
    attention = 0
    for w in layers_windows:
        keys = n * (n + 1) // 2 if w is None else sum(min(i, w) for i in range(1, n + 1))
        attention += 4 * heads * head_dim * keys
    return 2 * params * n + attention


def _architecture(lm):
    """(windows per layer, heads, head dim, backbone parameters without the embedding)."""
    backbone = lm.adapter.backbone(lm.model)
    emb = backbone.embed_tokens.weight.numel()
    params = sum(p.numel() for p in backbone.parameters()) - emb
    return lm.arch.windows, lm.arch.num_heads, lm.arch.head_dim, params


def _one_pass(lm, dtype, n_digits):
    """Seconds and tokens of one prescription pass (no separator) with one thread (``lm`` preloaded)."""
    from verify.models.cached import model_ref
    from verify.prescribe.passes import model_margins

    t0 = time.perf_counter()
    out = model_margins(model_ref(lm.spec), lm.spec.sha256, dtype, "count", "none", None, n_digits)
    return time.perf_counter() - t0, out["num_tokens"]


def bench_tokens(lengths):
    import math

    from verify.models.cached import preload
    from verify.models.loading import load_model

    rates = {}
    for name in MODELS:
        lm = load_model(name)
        preload(lm)
        arch = _architecture(lm)
        for dtype in ("fp32", "bf16"):
            _one_pass(lm, dtype, 64)  # the dtype copy and the first call's set-up, off the clock
            rows = [(n, *_one_pass(lm, dtype, n)) for n in lengths]
            (_, t1, k1), (_, t2, k2) = rows[0], rows[-1]
            growth = math.log(t2 / t1) / math.log(k2 / k1)
            flops = flops_per_pass(arch[0], arch[1], arch[2], arch[3], k2)
            rates[(name, dtype)] = {"ms_per_token": 1e3 * t2 / k2, "gflops": flops / t2 / 1e9, "tokens": k2}
            print(f"tokens: {lm.spec.label} {dtype}: " + ", ".join(f"{k} tokens {t:.2f} s ({1e3 * t / k:.2f} ms/token)"
                                                                  for _, t, k in rows)
                  + f"; time ~ tokens^{growth:.2f}; {flops / t2 / 1e9:.1f} GFLOP/s achieved (load {_load():.1f})",
                  flush=True)
        rates[name] = arch
    return rates


def _tasks(model, dtypes, max_length, separators, spacings):
    from verify.prescribe.core import plan_prescription

    return plan_prescription([model], dtypes=dtypes, max_length=max_length, separators=separators,
                             spacings=spacings, theory=False).tasks


def bench_configurations(n):
    from verify.sweep import run_sweep

    grid = [("none", [1]), ("comma", [4]), ("comma", [2, 4, 6]), ("comma", [2, 4, 6]), ("space", [2, 4, 6, 8])]
    tasks = []
    for sep, ks in grid:
        tasks += _tasks("smollm2-135m", ["bf16"], n, [sep], ks)
    run_sweep(tasks[:1], tempfile.mkdtemp(), scheduler="serial")  # load the model off the clock
    for count in (1, 2, 4, 8):
        with tempfile.TemporaryDirectory() as store:
            t0 = time.perf_counter()
            out = run_sweep(tasks[:count], store, scheduler="serial")
            t = time.perf_counter() - t0
        tokens = sum(r["num_tokens"] for r in out)
        print(f"configurations: {count} cells (SmolLM2 bf16, N = {n}): {t:.2f} s, {t / count:.2f} s per cell, "
              f"{1e3 * t / tokens:.2f} ms per token processed (load {_load():.1f})", flush=True)


def _warm(model, sha256, dtypes):
    from verify.models.cached import loaded

    for d in dtypes:
        loaded(model, sha256, d)
    return os.getpid()


def _timed_sweep(tasks, workers):
    """``(seconds warm, seconds with the cluster's start and the model loads)`` on ``workers`` processes."""
    from dask.distributed import Client

    from verify.sweep import local_cluster, run_sweep

    t_cold = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        params = tasks[0].params
        client.run(_warm, params["model"], params["sha256"], sorted({t.params["dtype"] for t in tasks}))
        t_warm = time.perf_counter()
        with tempfile.TemporaryDirectory() as store:
            run_sweep(tasks, store, scheduler=cluster.scheduler_address)
        end = time.perf_counter()
    return end - t_warm, end - t_cold


def bench_workers(n):
    tasks = _tasks("smollm2-135m", ["fp32", "bf16"], n, ["comma", "space"], [1, 2, 3, 4])
    one, one_cold = _timed_sweep(tasks, 1)
    two, two_cold = _timed_sweep(tasks, 2)
    ratio = one / two
    print(f"workers: {len(tasks)} passes (SmolLM2 fp32 + bf16, N = {n}): 1 worker {one:.1f} s, 2 workers {two:.1f} s, "
          f"speed-up {ratio:.2f}x (goal >= {GOAL}x: {'met' if ratio >= GOAL else 'NOT met'}); with cluster start and "
          f"model loads {one_cold:.1f} s vs {two_cold:.1f} s ({one_cold / two_cold:.2f}x) (load {_load():.1f}; "
          f"{os.cpu_count()} cores)", flush=True)


def bench_gpu(rates):
    """Print the GPU estimate from the architectures' FLOPs and the assumptions in :data:`GPU`."""
    n = SWEEP["tokens"]
    passes = SWEEP["models"] * SWEEP["separators"] * SWEEP["spacings"]  # per dtype
    print(f"gpu: sweep = {SWEEP['models']} models x {SWEEP['separators']} separators x {SWEEP['spacings']} spacings "
          f"x {len(SWEEP['dtypes'])} dtypes = {passes * len(SWEEP['dtypes'])} prefix-closed passes of {n} tokens "
          f"({passes * len(SWEEP['dtypes']) * n / 1e6:.1f}M tokens); assumed {GPU['name']}: "
          + ", ".join(f"{d} {v} TFLOP/s peak" for d, v in GPU["peak_tflops"].items())
          + f", {GPU['utilisation']:.0%} of peak achieved, ${GPU['usd_per_gpu_hour']}/GPU-hour", flush=True)
    cases = [("10 x SmolLM2-135M", "smollm2-135m", rates["smollm2-135m"]),
             ("10 x Gemma 3 270M", "gemma3-270m", rates["gemma3-270m"]),
             ("10 x Gemma 7B (the paper's model)", None,
              (GEMMA_7B["windows"], GEMMA_7B["heads"], GEMMA_7B["head_dim"], GEMMA_7B["params_no_embedding"]))]
    for label, name, (windows, heads, head_dim, params) in cases:
        flops = flops_per_pass(windows, heads, head_dim, params, n)
        seconds = [passes * flops / (GPU["peak_tflops"][d] * 1e12 * GPU["utilisation"]) for d in SWEEP["dtypes"]]
        hours = sum(seconds) / 3600
        line = (f"gpu: {label}: {flops / 1e12:.2f} TFLOP per pass, {hours:.2f} GPU-hours "
                f"(${hours * GPU['usd_per_gpu_hour']:.0f})")
        if name is not None:
            rate = rates[(name, "fp32")]["gflops"]
            cpu_hours = passes * len(SWEEP["dtypes"]) * flops / (rate * 1e9) / 3600
            line += f"; at this machine's measured fp32 rate ({rate:.1f} GFLOP/s, one core) {cpu_hours:.0f} core-hours"
        print(line, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_sweep", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="shorter prompts")
    args = p.parse_args(argv)
    lengths = (256, 512, 1024) if args.quick else (1024, 2048, 4096)
    print(f"bench_sweep: {os.cpu_count()} cores, load average {_load():.1f} at the start", flush=True)
    rates = bench_tokens(lengths)
    bench_configurations(256 if args.quick else 512)
    bench_workers(256 if args.quick else 768)
    bench_gpu(rates)


if __name__ == "__main__":
    main()
