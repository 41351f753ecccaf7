"""``python -m verify.tasks``: the Section 3 task sweep on real models, with its report.

    python -m verify.tasks                                   # the full sweep: both models, fp32 and bf16
    python -m verify.tasks --model smollm2-135m --grid b10 --dtype bf16
    python -m verify.tasks --tasks count_ones --styles fewshot --lengths 5 10 20 --separator , --every 3
    python -m verify.tasks --scheduler tcp://host:8786       # on an existing Dask cluster
    python -m verify.tasks --list                            # tasks, styles, grids

Units run on a local Dask cluster of ``--workers`` processes (``--scheduler serial``: in
this process) and are kept in the content-addressed task store (``<cache>/tasks``): a
rerun computes nothing, a killed sweep resumes. The report (summary.json, report.md,
figures) replaces ``--out`` as one set. Exit status 0 on success, 2 on bad input (one line
on stderr), 130 when interrupted (finished units stay in the store).
"""

import json
import os
import shlex
import sys
import time

__all__ = ["main", "build_parser"]

PROG = "python -m verify.tasks"


def build_parser():
    # The same strict parser as verify.models': errors are ValueErrors (one line, exit 2),
    # integers are integers (2.5 and 'ten' are errors, not truncated).
    from verify.models.__main__ import _int_at_least, _Parser
    from verify.tasks.prompts import STYLES, TASKS
    from verify.tasks.run import DTYPES, GRIDS

    p = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--model", nargs="+", default=["default"], metavar="MODEL",
                   help="default model names (gemma3-270m smollm2-135m), GGUF files or Hugging Face directories; "
                        "'default' stands for both defaults")
    p.add_argument("--dtype", nargs="+", default=["fp32", "bf16"], choices=DTYPES)
    p.add_argument("--grid", nargs="+", default=list(GRIDS), choices=list(GRIDS),
                   help="parts of the sweep (copy: Figures 2 and 11; count: Figures 3, 4, 6, 7; b10: Corollary B.10)")
    p.add_argument("--tasks", nargs="+", choices=list(TASKS), help="only these tasks")
    p.add_argument("--styles", nargs="+", choices=list(STYLES), help="only these styles")
    p.add_argument("--lengths", nargs="+", type=_int_at_least(1), help="replace every grid's lengths")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="seed of the sampled sequences (default 0)")
    p.add_argument("--separator", default=None, help="written after every --every items of the sequence")
    p.add_argument("--every", type=_int_at_least(1), default=None, help="items per group (with --separator)")
    p.add_argument("--store", default=None, help="the task store (default <cache>/tasks)")
    p.add_argument("--out", default=os.path.join("docs", "tasks"), help="report directory (default docs/tasks)")
    p.add_argument("--workers", type=_int_at_least(1), default=min(2, os.cpu_count() or 1),
                   help="Dask worker processes of the local cluster (default 2, at most the core count)")
    p.add_argument("--scheduler", default=None,
                   help="'serial' (this process) or the address of an existing Dask scheduler (tcp://host:port)")
    p.add_argument("--no-figures", action="store_true", help="write the tables only")
    p.add_argument("--list", action="store_true", help="list tasks, styles and grids, and exit")
    return p


def _list():
    from verify.tasks.prompts import STYLES, TASKS
    from verify.tasks.run import GRIDS

    for t in TASKS.values():
        print(f"task  {t.name:16s} {t.figure:30s} {t.description}")
    for name, (desc, kinds) in STYLES.items():
        print(f"style {name:16s} ({'/'.join(kinds)}) {desc}")
    for name, g in GRIDS.items():
        print(f"grid  {name:16s} {len(g.tasks)} tasks x {len(g.styles)} styles x lengths {list(g.lengths)}")


def _run(args, argv, err):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from verify.io import atomic_write_text
    from verify.tasks.report import check_out_dir, write_report
    from verify.tasks.run import plan_units, resolve_specs, run_units

    cores = os.cpu_count() or 1
    if args.workers > cores:
        err.print(f"{PROG}: note: --workers {args.workers} capped at {cores} (the number of cores)")
        args.workers = cores
    check_out_dir(args.out)  # before any work: an unusable --out is reported first
    specs = resolve_specs(args.model)
    planned = plan_units(specs, args.dtype, args.grid, args.tasks, args.styles, args.lengths, args.seed,
                         args.separator, args.every)
    scheduler = args.scheduler
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} units"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True) as prog:
        bar = prog.add_task(f"task sweep ({len(specs)} models, {len(args.dtype)} dtypes)", total=len(planned))
        stored = []

        def tick(done, total):
            stored.append(done)  # the first call counts the units found in the store
            prog.update(bar, completed=done, total=total)

        rows = run_units(planned, store=args.store, scheduler=scheduler, workers=args.workers, progress=tick)
    seconds = time.perf_counter() - t0
    settings = {"command": " ".join([PROG] + ([shlex.join(argv)] if argv else [])), "seed": args.seed,
                "dtypes": args.dtype, "grids": args.grid, "units": len(planned)}
    write_report(rows, specs, settings, args.out, figures=not args.no_figures)
    timings = {"wall_seconds": round(seconds, 1), "units": len(planned), "found_in_store": stored[0],
               "computed": len(planned) - stored[0], "scheduler": scheduler or f"local Dask, {args.workers} workers"}
    atomic_write_text(os.path.join(args.out, "timings.json"), json.dumps(timings, indent=1) + "\n")
    print(f"{len(planned)} units ({timings['computed']} computed, {stored[0]} from the store) in {seconds:.1f} s; "
          f"report in {args.out}")
    return 0


def main(argv=None):
    from rich.console import Console

    err = Console(stderr=True, highlight=False)
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(argv)
        if args.list:
            _list()
            return 0
        from verify.models.sources import models_available

        ok, why = models_available()
        if not ok:
            raise ValueError(why)
        return _run(args, argv, err)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; finished units are kept in the store (a rerun resumes)", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError) as exc:
        # RuntimeError covers verify.sweep.SweepError (a scheduler that does not answer, a failed unit).
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename:
            msg = f"{exc.strerror}: {exc.filename}"
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
