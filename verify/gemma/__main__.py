"""``python -m verify.gemma``: alias of ``python -m verify.models`` (the real-model export command)."""

import sys

from verify.models.__main__ import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m verify.gemma"))
