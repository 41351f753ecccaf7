"""``python -m verify.all``: run every check, print a table, write results.json and the appendix.

Exit status: 0 when every check passes (skips allowed), 1 when any fails, 2 on a
usage error or bad input (one line on stderr, no traceback).
"""

import argparse
import json
import os
import platform
import shlex
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
                   help="where results.json, the appendix and figures go (default: docs/appendix)")
    p.add_argument("--json", metavar="PATH", help="results.json path (default: DIR/results.json)")
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
                   help="checks run in this many processes (default: 2, or 1 on one core)")
    return p


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


def run_checks(checks, ctx, progress=None, jobs=1):
    """Run ``checks``; return (results as dicts in the given order, timings in seconds).

    With ``jobs > 1`` the checks run in worker processes; the results do not depend
    on the scheduling (each check seeds its own generators).
    """
    results, timings = {}, {}
    if jobs <= 1 or len(checks) <= 1:
        for check in checks:
            results[check.id], timings[check.id] = _run_one(check, ctx)
            if progress is not None:
                progress(check)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            slow_first = sorted(checks, key=lambda c: -c.cost)
            futures = {pool.submit(_run_by_id, c.id, ctx): c for c in slow_first}
            for fut in as_completed(futures):
                check = futures[fut]
                results[check.id], timings[check.id] = fut.result()
                if progress is not None:
                    progress(check)
    return [results[c.id] for c in checks], {c.id: timings[c.id] for c in checks}


def _merge(path, new, order):
    """Replace the entries of ``new`` in an existing results file, keep the others."""
    try:
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh).get("checks", [])
    except (OSError, ValueError):
        old = []
    by_id = {r["id"]: r for r in old}
    by_id.update({r["id"]: r for r in new})
    rank = {cid: i for i, cid in enumerate(order)}
    return sorted(by_id.values(), key=lambda r: (rank.get(r["id"], len(rank)), r["id"]))


def _table(results, timings, console):
    from rich.table import Table

    t = Table(title="Transformers need glasses! -- proof checks", show_lines=False)
    for col, kw in (("id", {"style": "bold"}), ("paper", {}), ("what was checked", {"max_width": 40}),
                    ("deciding figure", {"max_width": 46}), ("status", {}), ("time", {"justify": "right"})):
        t.add_column(col, **kw)
    colors = {"pass": "green", "fail": "red", "skip": "yellow"}
    for r in results:
        status = f"[{colors[r['status']]}]{r['status']}[/]"
        if r["status"] != "pass" and r.get("reason"):
            status += f"\n[dim]{r['reason'][:160]}[/]"
        secs = timings.get(r["id"])
        t.add_row(r["id"], ", ".join(r["paper_refs"]), r["title"], r.get("deciding", ""), status,
                  "" if secs is None else f"{secs:.1f}s")
    console.print(t)


def main(argv=None):
    from rich.console import Console

    # Piped output (CI logs, `| less`) gets a fixed width instead of rich's 80 columns.
    console = Console(stderr=False, highlight=False, width=None if sys.stdout.isatty() else 150)
    err = Console(stderr=True, highlight=False)
    try:
        args = build_parser().parse_args(argv)
        if args.seed < 0:
            raise UsageError(f"--seed must be >= 0, got {args.seed}")
        if args.jobs < 1:
            raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
        json_path = args.json or os.path.join(args.out, "results.json")
        from verify.io import atomic_write_text
        from verify.registry import Context, all_checks

        checks = all_checks()
        if args.list:
            for c in checks:
                console.print(f"{c.id:16s} {', '.join(c.paper_refs):38s} {c.title}")
            return 0
        if args.render_only:
            from verify.appendix.render import render_appendix

            if not os.path.exists(json_path):
                raise UsageError(f"--render-only: {json_path} does not exist; run without it first")
            paths = render_appendix(json_path, args.out, pdf=args.pdf)
            console.print("rendered " + ", ".join(paths))
            return 0
        selected = _select(checks, args.only)
        if args.no_real_models:
            selected = [c for c in selected if c.group != "real-model"]
        real = any(c.group == "real-model" for c in selected)
        models = tuple(args.model or ())
        if models and real:
            from verify.models.sources import resolve_models

            resolve_models(models)  # a bad path is a usage error, reported before any work
        os.makedirs(args.out, exist_ok=True)
        ctx = Context(quick=args.quick, out_dir=args.out, seed=args.seed,
                      figures=not args.no_figures, models=models)
        from rich.progress import Progress, SpinnerColumn, TextColumn, BarColumn, TimeElapsedColumn

        if real:
            from rich.markup import escape

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
            export_seconds = round(time.perf_counter() - t0, 3)
            if reason:  # escaped: an install hint such as -e ".[models]" is not console markup
                err.print(f"[yellow]real-model checks: {escape(reason)}[/]")
        else:
            export_seconds = None

        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=err, transient=True) as prog:
            task = prog.add_task("running checks", total=len(selected))

            def tick(check):
                prog.update(task, advance=1, description=f"done {check.id}: {check.title[:46]}")

            results, timings = run_checks(selected, ctx, tick, jobs=args.jobs)
        ordered = [c.id for c in checks]
        merged = _merge(json_path, results, ordered) if args.only else results
        doc = {"schema": SCHEMA, "paper": PAPER, "environment": environment(),
               "command": "python -m verify.all" + (" --quick" if args.quick else "")
                          + (f" --seed {args.seed}" if args.seed else "")
                          + (" --model " + shlex.join(models) if models else "")
                          + (" --no-real-models" if args.no_real_models else ""),
               "quick": args.quick, "seed": args.seed, "checks": merged}
        if real:
            from verify.checks.real_model import model_names

            doc["real_models"] = model_names(ctx)
        atomic_write_text(json_path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        timing_path = os.path.join(os.path.dirname(json_path) or ".", "timings.json")
        atomic_write_text(timing_path, json.dumps({"seconds": timings, "real_model_export_seconds": export_seconds},
                                                  indent=1) + "\n")
        _table(results, timings, console)
        written = [json_path]
        if not args.no_appendix:
            from verify.appendix.render import render_appendix

            written += render_appendix(json_path, args.out, pdf=args.pdf)
        n_fail = sum(r["status"] == "fail" for r in results)
        n_skip = sum(r["status"] == "skip" for r in results)
        n_pass = len(results) - n_fail - n_skip
        console.print(f"{n_pass} passed, {n_fail} failed, {n_skip} skipped "
                      f"({sum(timings.values()):.1f}s of checks); wrote {', '.join(written)}")
        return 1 if n_fail else 0
    except UsageError as exc:
        print(f"python -m verify.all: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"python -m verify.all: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # pdflatex missing or failing: say so in one line
        first = str(exc).splitlines()[0]
        print(f"python -m verify.all: error: {first}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"python -m verify.all: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
