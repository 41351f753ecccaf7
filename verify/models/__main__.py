"""``python -m verify.models``: export attention and hidden states from a real model.

    python -m verify.models export --prompt-set fig5 --lengths 10 100 1000 --out exports/
    python -m verify.models export --prompt-set fig5a --lengths 8192 --dtype fp32 --model smollm2-135m --out long/
    python -m verify.models info [--model NAME_OR_PATH]

``python -m verify.gemma`` is the same command (its former name). Exit status 0 on
success, 2 on bad input (one line on stderr).
"""

import argparse
import json
import sys

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ValueError(message)


def _int_at_least(minimum):
    """An argparse type: an integer >= ``minimum`` (a float or a word is an error, not truncated)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    return parse


def build_parser(prog="python -m verify.models"):
    from verify.models.export import DEFAULT_LENGTHS
    from verify.models.prompts import GROUPS, PROMPT_SETS

    p = _Parser(prog=prog, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="run the model on prompt sets and write safetensors + JSON")
    e.add_argument("--prompt-set", action="append", required=True,
                   help="one of " + ", ".join(list(GROUPS) + list(PROMPT_SETS)) + " (repeatable)")
    e.add_argument("--lengths", type=_int_at_least(1), nargs="+", default=list(DEFAULT_LENGTHS),
                   help="counts n of repeated digits (default: %(default)s)")
    e.add_argument("--dtype", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16", "fp16"])
    e.add_argument("--model", default=None, help="gemma3-270m (default), smollm2-135m, a GGUF file or "
                   "a local Hugging Face directory")
    e.add_argument("--out", required=True, help="output directory (created complete, or not at all)")
    e.add_argument("--attention-cap", type=_int_at_least(0), default=0,
                   help="also store the full [L, H, n, n] attention of fp32 prompts up to this many tokens")
    e.add_argument("--attention", choices=["self", "stats"], default="self",
                   help="what the fp32 pass of fig5a exports besides hidden states: the last token's "
                        "self-weight at a grid of counts (self, default) or every row statistic: "
                        "diagonal, last row, rollout, sensitivity bound (stats; costs n^2)")
    e.add_argument("--seed", type=_int_at_least(0), default=0, help="seed of the sampled digits (fig5b)")
    e.add_argument("--scheduler", default=None, help="tcp://host:port of an existing Dask scheduler, or 'serial' "
                   "(default: a local cluster of --workers processes)")
    e.add_argument("--workers", type=_int_at_least(1), default=2, help="local cluster workers (default 2)")
    e.add_argument("--store", default=None, help="content-addressed pass results (default <cache>/sweeps)")
    i = sub.add_parser("info", help="resolve the model and print its architecture")
    i.add_argument("--model", default=None)
    return p


def _info(model):
    from verify.models.loading import load_model

    lm = load_model(model)
    print(json.dumps({"spec": lm.spec.__dict__, "architecture": lm.arch.to_json(),
                      "summary": lm.arch.describe()}, indent=1))


def run_command(prog, body, interrupted="nothing was written"):
    """``body()``'s exit status; bad input or a sweep that cannot run is one line on stderr and 2, Ctrl-C 130."""
    from verify.sweep import SweepError

    try:
        return body()
    except (ValueError, TypeError, OSError, SweepError) as exc:
        msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, OSError) and exc.filename:
            msg = f"{exc.strerror}: {exc.filename}"
        print(f"{prog}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; {interrupted}", file=sys.stderr)
        return 130


def _export(args, prog):
    from verify.models.sources import models_available

    ok, why = models_available()
    if not ok:
        raise ValueError(why)
    if args.command == "info":
        _info(args.model)
        return 0
    from verify.models.export import export_sweep

    man = export_sweep(args.out, sets=args.prompt_set, lengths=args.lengths, dtypes=args.dtype,
                       model=args.model, attention_cap=args.attention_cap, seed=args.seed,
                       self_sets=("fig5a",) if args.attention == "self" else (),
                       stats_sets=("fig5a",) if args.attention == "stats" else (),
                       progress=lambda stem: print(f"wrote {stem}", file=sys.stderr, flush=True),
                       scheduler=args.scheduler, store=args.store, workers=args.workers)
    print(f"exported {len(man['files'])} forward passes to {args.out} "
          f"(model {man['model']}, sha256 {man['weights_sha256'][:12]}...)")
    return 0


def main(argv=None, prog="python -m verify.models"):
    return run_command(prog, lambda: _export(build_parser(prog).parse_args(argv), prog))


if __name__ == "__main__":
    sys.exit(main())
