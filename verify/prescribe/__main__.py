"""``python -m verify.prescribe``: the glasses prescription for real models, on Dask.

    python -m verify.prescribe --model default --task count --dtype bf16 fp16 fp32 --max-length 4096
    python -m verify.prescribe --model smollm2-135m --separator none comma "comma-space" --every 1 3 --out p/
    python -m verify.prescribe ... --scheduler tcp://host:8786     # an existing Dask cluster

Prints the recommendation per model and dtype and writes ``--out`` (prescription.json,
prescription.md, heatmaps) as one directory. Exit status 0 on success, 2 on bad input
or when the sweep cannot run (one line on stderr; nothing is written), 130 when
interrupted (finished passes stay in the store, so a rerun resumes).
"""

import os
import sys

from verify.models.__main__ import _int_at_least, _Parser, run_command

__all__ = ["main", "build_parser"]

PROG = "python -m verify.prescribe"


def build_parser():
    from verify.prescribe.core import DTYPES
    from verify.prescribe.grid import DEFAULT_SPACINGS, SEPARATORS, TASKS

    p = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--model", nargs="+", default=["default"],
                   help="default model names (gemma3-270m smollm2-135m; 'default' = both), GGUF files or "
                        "Hugging Face directories")
    p.add_argument("--task", default="count", help="the question before the digits: " + ", ".join(TASKS))
    p.add_argument("--dtype", nargs="+", default=list(DTYPES), help="of " + ", ".join(DTYPES) + " (default: all)")
    p.add_argument("--max-length", type=_int_at_least(2), default=1024,
                   help="N: counts n = 1..N of repeated digits (default %(default)s)")
    p.add_argument("--separator", nargs="+", default=list(SEPARATORS),
                   help="names or literal texts: " + ", ".join(SEPARATORS) + " ('\\n' for newline); default: all")
    p.add_argument("--every", type=_int_at_least(1), nargs="+", default=list(DEFAULT_SPACINGS),
                   help="separator spacings k (default 1..8)")
    p.add_argument("--accuracy", choices=["key", "all", "none"], default="key",
                   help="task accuracy (Section 3's few-shot task, greedy) for the key settings (none, comma every 3, "
                        "each recommendation; default), every cell, or none")
    p.add_argument("--accuracy-at", type=_int_at_least(1), nargs="+", default=None, metavar="N",
                   help="lengths of the accuracy column (default 8, 32, 128, ... up to --max-length)")
    p.add_argument("--no-theory", action="store_true", help="leave out the synthetic Transformer's grid")
    p.add_argument("--out", default="prescription", help="output directory, replaced as a whole")
    p.add_argument("--store", default=None, help="content-addressed task results (default <cache>/sweeps)")
    p.add_argument("--scheduler", default=None,
                   help="tcp://host:port of an existing Dask scheduler, or 'serial'; default: a local cluster")
    p.add_argument("--workers", type=_int_at_least(1), default=2, help="local cluster workers (default 2)")
    p.add_argument("--timeout", type=_int_at_least(1), default=10, help="seconds to wait for --scheduler")
    return p


def _check_out(out):
    """Refuse an --out that cannot be written, or that holds something else, before any work."""
    out = os.path.abspath(out)
    if os.path.isdir(out) and os.listdir(out) and not os.path.isfile(os.path.join(out, "prescription.json")):
        raise ValueError(f"--out {out} exists and is not a prescription directory; choose a new or empty one")
    parent = os.path.dirname(out)
    while not os.path.isdir(parent):
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK):
        raise ValueError(f"--out {out}: {parent} is not writable")


def _accuracy_options(choice, lengths):
    """``prescribe``'s accuracy arguments for ``--accuracy`` and ``--accuracy-at``."""
    if choice == "none":
        return {"accuracy": None}
    from verify.tasks import task_accuracy

    return {"accuracy": task_accuracy, "accuracy_cells": choice, "accuracy_at": lengths}


def _print_recommendations(doc):
    from verify.prescribe.report import recommendation_rows

    for m in doc["models"]:
        for row in recommendation_rows(doc, m):
            print(f"{m['label']:24s} {row[0]:5s} {row[1]:40s} +{row[2]} tokens, min margin {row[4]}, "
                  f"reach {row[5]} of N = {doc['max_length']}")
    print(doc["agreement"]["sentence"])


def _run(argv):
    args = build_parser().parse_args(argv)
    _check_out(args.out)
    from verify.prescribe.core import prescribe
    from verify.prescribe.report import write_prescription

    def progress(done, total):
        if done == 0:  # nothing stored yet: stay silent until a pass finishes
            return
        print(f"\r{done}/{total} passes", end="" if done < total else "\n", file=sys.stderr, flush=True)

    doc = prescribe(args.model, task=args.task, dtypes=args.dtype, max_length=args.max_length,
                    separators=args.separator, spacings=args.every, theory=not args.no_theory,
                    store=args.store, scheduler=args.scheduler, workers=args.workers, timeout=args.timeout,
                    progress=progress, **_accuracy_options(args.accuracy, args.accuracy_at))
    written = write_prescription(doc, args.out)
    _print_recommendations(doc)
    print(f"wrote {', '.join(os.path.join(args.out, w) for w in written)}")
    return 0


def main(argv=None):
    return run_command(PROG, lambda: _run(argv),
                       interrupted="finished passes are kept in the store, --out was not written")


if __name__ == "__main__":
    sys.exit(main())
