"""``python -m verify.all``: run every check, print a table, write results.json and the appendix.

Exit status: 0 when every check passes (skips allowed), 1 when any fails, 2 on a
usage error or bad input (one line on stderr, no traceback), 130 when interrupted.

The output directory is written as one set (:mod:`verify.output`): locked against a
second run, staged, and swapped in whole, so an interrupted or failed run leaves the
previous results, appendix and figures exactly as they were.
"""

import argparse
import json
import os
import shlex
import signal
import sys
import time

__all__ = ["main", "build_parser", "run_checks", "environment"]

SCHEMA = 1
PAPER = "arXiv:2406.04267"


class UsageError(Exception):
    """A bad command line; reported as one line and exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser():
    p = _Parser(
        prog="python -m verify.all",
        description="Run every check of the companion to 'Transformers need glasses!' "
                    "(Barbero et al., NeurIPS 2024), print a table, write results.json and the "
                    "proof-check appendix.",
    )
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these check ids "
                   "(their entries in an existing results.json are replaced, the rest kept)")
    p.add_argument("--out", default=os.path.join("docs", "appendix"), metavar="DIR",
                   help="where results.json, the appendix and figures go, replaced as one set "
                        "(default: docs/appendix)")
    p.add_argument("--quick", action="store_true", help="smaller ranges for a fast look")
    p.add_argument("--seed", type=int, default=0, help="base seed of every random draw (default 0)")
    p.add_argument("--render-only", action="store_true",
                   help="re-render the appendix from results.json without recomputing")
    p.add_argument("--no-figures", action="store_true", help="do not write figures")
    p.add_argument("--no-appendix", action="store_true", help="do not render the appendix")
    p.add_argument("--pdf", action="store_true", help="also compile appendix.pdf with pdflatex")
    p.add_argument("--model", nargs="+", action="extend", metavar="MODEL",
                   help="real models of the real.* checks, replacing the defaults (gemma3-270m smollm2-135m): "
                        "default model names, GGUF files or local Hugging Face directories; the word "
                        "'default' adds the defaults back")
    p.add_argument("--no-real-models", "--no-gemma", dest="no_real_models", action="store_true",
                   help="leave out the real-model checks (real.*); --no-gemma is its former name")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="checks run in this many processes (default: 2, at most the number of cores)")
    return p


def parse_args(argv, err=None):
    """Parse and validate the command line; raise :class:`UsageError` on bad values."""
    args = build_parser().parse_args(argv)
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    cores = os.cpu_count() or 1
    if args.jobs > cores:
        print(f"python -m verify.all: note: --jobs {args.jobs} capped at {cores} (the number of cores)",
              file=err or sys.stderr)
        args.jobs = cores
    if args.render_only and (args.only or args.quick or args.no_appendix):
        raise UsageError("--render-only recomputes nothing and renders the appendix; "
                         "it takes no --only, --quick or --no-appendix")
    for model in args.model or ():
        if not model.strip():
            raise UsageError("--model must name a default model, a GGUF file or a model directory, got ''")
    if args.pdf and args.no_appendix:
        raise UsageError("--pdf compiles the appendix; it cannot go with --no-appendix")
    return args


def environment():
    """Versions of the interpreter and the libraries the results depend on."""
    from verify.io import library_versions

    return library_versions()


def _select(checks, only):
    if not only:
        return checks
    known = {c.id: c for c in checks}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise UsageError(f"--only: unknown check id(s) {', '.join(unknown)}; see --list")
    return [c for c in checks if c.id in set(only)]


# --------------------------------------------------------------------------- running checks


def _pin_threads():
    """One BLAS thread: results do not depend on the thread count, and workers do not oversubscribe."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _worker_init():
    """A check worker: dies with its parent, leaves Ctrl-C to the parent, one BLAS thread."""
    import ctypes

    parent = os.getppid()
    try:  # Linux: SIGKILL this worker when the parent dies, even by kill -9
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _pin_threads()


def _run_one(check, ctx):
    from verify.registry import Result

    t0 = time.perf_counter()
    try:
        res = check.run(ctx)
    except Exception as exc:  # a crash is a failed check, reported, not a traceback
        res = Result(id=check.id, paper_refs=check.paper_refs, title=check.title,
                     status="fail", reason=f"check crashed: {type(exc).__name__}: {exc}")
    return res.to_json(), round(time.perf_counter() - t0, 3)


def _run_by_id(check_id, ctx):
    from verify.registry import REGISTRY, all_checks

    all_checks()
    return _run_one(REGISTRY[check_id], ctx)


def _stop_pool(pool):
    """Cancel what is queued and kill the workers now (Ctrl-C must not wait for them)."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def run_checks(checks, ctx, progress=None, jobs=1):
    """Run ``checks``; return (results as dicts in the given order, timings in seconds).

    With ``jobs > 1`` the checks run in worker processes; the results do not depend
    on the scheduling (each check seeds its own generators) nor on the number of
    BLAS threads (one per process).
    """
    results, timings = {}, {}
    if jobs <= 1 or len(checks) <= 1:
        _pin_threads()
        for check in checks:
            results[check.id], timings[check.id] = _run_one(check, ctx)
            if progress is not None:
                progress(check)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        pool = ProcessPoolExecutor(max_workers=min(jobs, len(checks)), mp_context=mp.get_context("fork"),
                                   initializer=_worker_init)
        try:
            slow_first = sorted(checks, key=lambda c: -c.cost)
            futures = {pool.submit(_run_by_id, c.id, ctx): c for c in slow_first}
            for fut in as_completed(futures):
                check = futures[fut]
                results[check.id], timings[check.id] = fut.result()
                if progress is not None:
                    progress(check)
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown()
    return [results[c.id] for c in checks], {c.id: timings[c.id] for c in checks}


# --------------------------------------------------------------------------- results.json


def paper_record():
    """The audited paper, its statements as quoted, the severity rule and the v1 -> v2 history.

    Written into results.json so that the appendix is rendered from that file alone.
    """
    from dataclasses import asdict

    from theory import audit
    from theory.statements import PAPER as VERSION
    from theory.statements import STATEMENTS

    statements = [{"id": s.id, "kind": s.kind, "name": s.name, "page": s.page, "text": s.text,
                   "informal_of": s.informal_of, "informal": s.informal} for s in STATEMENTS.values()]
    return {"version": dict(VERSION), "statements": statements,
            "severity_rule": audit.SEVERITY_RULE.splitlines(),
            "changes_from_preprint": [asdict(c) for c in audit.CHANGES_FROM_PREPRINT]}


def _command(args):
    """The part of the command line that determines results.json (not --out, --jobs)."""
    return ("python -m verify.all" + (" --quick" if args.quick else "")
            + (f" --seed {args.seed}" if args.seed else "")
            + (" --model " + shlex.join(args.model) if args.model else "")
            + (" --no-real-models" if args.no_real_models else ""))


def _check_mergeable(old_doc, args):
    """Refuse to merge entries of runs with different settings under one header."""
    for key, value in (("seed", args.seed), ("quick", args.quick)):
        if old_doc.get(key) != value:
            raise UsageError(f"--only: the existing results.json was written with {key}={old_doc.get(key)!r}, "
                             f"this run has {key}={value!r}; use the same settings or run every check")


def _merge(old_doc, new, order):
    """Replace the entries of ``new`` in a previous run's results, keep the others."""
    by_id = {r["id"]: r for r in old_doc["checks"]}
    by_id.update({r["id"]: r for r in new})
    rank = {cid: i for i, cid in enumerate(order)}
    return sorted(by_id.values(), key=lambda r: (rank.get(r["id"], len(rank)), r["id"]))


def _table(results, timings, console):
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="Transformers need glasses! -- proof checks", show_lines=False)
    for col, kw in (("id", {"style": "bold"}), ("paper", {}), ("what was checked", {"max_width": 40}),
                    ("deciding figure", {"max_width": 46}), ("status", {}), ("time", {"justify": "right"})):
        t.add_column(col, **kw)
    colors = {"pass": "green", "fail": "red", "skip": "yellow"}
    for r in results:
        status = f"[{colors[r['status']]}]{r['status']}[/]"
        if r["status"] != "pass" and r.get("reason"):
            status += f"\n[dim]{escape(r['reason'][:160])}[/]"
        secs = timings.get(r["id"])
        t.add_row(escape(r["id"]), escape(", ".join(r["paper_refs"])), escape(r["title"]),
                  escape(r.get("deciding", "")), status, "" if secs is None else f"{secs:.1f}s")
    console.print(t)


def _write_json(path, doc):
    from verify.io import atomic_write_text

    atomic_write_text(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def _prepare_real_models(ctx, err):
    """Export (or find cached) the real-model sweeps before the checks; returns seconds taken."""
    from verify.checks.real_model import prepare

    with err.status("real models: exporting attention and hidden states "
                    "(first run a few minutes per model, then cached) ..."):
        t0 = time.perf_counter()
        try:
            reason = prepare(ctx)
        except ValueError:
            raise
        except Exception as exc:  # reported by the checks themselves as failures
            reason = f"export failed: {type(exc).__name__}: {exc}"
    if reason:
        from rich.markup import escape

        # Escaped: an install hint such as -e ".[models]" is not console markup.
        err.print(f"[yellow]real-model checks: {escape(reason)}[/]")
    return round(time.perf_counter() - t0, 3)


def _selected_checks(args):
    """(all checks, the selected ones, whether a real-model check is among them); models resolved early."""
    from verify.registry import all_checks

    checks = all_checks()
    selected = _select(checks, args.only)
    if args.no_real_models:
        selected = [c for c in selected if c.group != "real-model"]
    if args.model:
        from verify.models.sources import resolve_models

        resolve_models(tuple(args.model))  # a bad path is a usage error, reported before any work (even if unused)
    return checks, selected, any(c.group == "real-model" for c in selected)


def _run_with_progress(selected, ctx, err, jobs):
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err, transient=True) as prog:
        task = prog.add_task("running checks", total=len(selected))

        def tick(check):
            prog.update(task, advance=1, description=f"done {check.id}: {check.title[:46]}")

        return run_checks(selected, ctx, tick, jobs=jobs)


def _write_set(stage, args, doc, timings, export_seconds):
    """results.json, timings.json and the appendix into the staging directory; the names written."""
    from verify.output import validate_results

    validate_results(json.loads(json.dumps(doc)), os.path.join(args.out, "results.json"))
    _write_json(stage.join("results.json"), doc)
    _write_json(stage.join("timings.json"), {"seconds": timings, "real_model_export_seconds": export_seconds})
    if args.no_appendix:
        for name in ("appendix.md", "appendix.tex", "appendix.pdf"):
            # An appendix of the previous results would not match the new ones.
            if os.path.exists(stage.join(name)):
                os.unlink(stage.join(name))
        return ["results.json"]
    from verify.appendix.render import render_appendix

    return ["results.json"] + [os.path.basename(p) for p in render_appendix(stage.join("results.json"), stage.path,
                                                                            pdf=args.pdf)]


def _run(args, console, err):
    from verify.output import load_results, staged_output
    from verify.registry import Context

    checks, selected, real = _selected_checks(args)
    previous = None
    if args.only and os.path.exists(os.path.join(args.out, "results.json")):
        previous = load_results(os.path.join(args.out, "results.json"))
        _check_mergeable(previous, args)
    with staged_output(args.out, keep_previous=previous is not None) as stage:
        ctx = Context(quick=args.quick, out_dir=stage.path, seed=args.seed,
                      figures=not args.no_figures, models=tuple(args.model or ()))
        export_seconds = _prepare_real_models(ctx, err) if real else None
        results, timings = _run_with_progress(selected, ctx, err, args.jobs)
        merged = _merge(previous, results, [c.id for c in checks]) if previous is not None else results
        doc = {"schema": SCHEMA, "paper": PAPER, "environment": environment(),
               "command": _command(args), "quick": args.quick, "seed": args.seed,
               **paper_record(), "checks": merged}
        if real:
            from verify.checks.real_model import model_names

            doc["real_models"] = model_names(ctx)
        written = _write_set(stage, args, doc, timings, export_seconds)
        _table(results, timings, console)
    n_fail = sum(r["status"] == "fail" for r in results)
    n_skip = sum(r["status"] == "skip" for r in results)
    console.print(f"{len(results) - n_fail - n_skip} passed, {n_fail} failed, {n_skip} skipped "
                  f"({sum(timings.values()):.1f}s of checks); wrote "
                  + ", ".join(os.path.join(args.out, w) for w in written))
    return 1 if n_fail else 0


def _render_only(args, console):
    from verify.appendix.render import render_appendix
    from verify.output import load_results, staged_output

    load_results(os.path.join(args.out, "results.json"))
    with staged_output(args.out, keep_previous=True) as stage:
        written = render_appendix(stage.join("results.json"), stage.path, pdf=args.pdf)
    console.print("rendered " + ", ".join(os.path.join(args.out, os.path.basename(p)) for p in written))
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _one_line(exc):
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def main(argv=None):
    from rich.console import Console

    from verify.output import OutputError, output_lock

    # Piped output (CI logs, `| less`) gets a fixed width instead of rich's 80 columns.
    console = Console(stderr=False, highlight=False, width=None if sys.stdout.isatty() else 150)
    err = Console(stderr=True, highlight=False)
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        args = parse_args(argv)
        if args.list:
            from verify.registry import all_checks

            for c in all_checks():
                console.print(f"{c.id:16s} {', '.join(c.paper_refs):38s} {c.title}", markup=False)
            return 0
        if args.render_only and not os.path.isdir(args.out):
            raise UsageError(f"--render-only: {args.out} does not exist; run without --render-only first")
        with output_lock(args.out):
            return _render_only(args, console) if args.render_only else _run(args, console, err)
    except KeyboardInterrupt:
        print("python -m verify.all: interrupted; the output directory was left as it was", file=sys.stderr)
        return 130
    except (UsageError, OutputError, ValueError, RuntimeError, OSError) as exc:
        # RuntimeError: pdflatex missing or failing; OSError: a file that cannot be written.
        print(f"python -m verify.all: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous_term)


if __name__ == "__main__":
    sys.exit(main())
