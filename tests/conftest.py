import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, cwd=None, timeout=600):
    """Run ``python -m verify.all`` in a subprocess; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "verify.all", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """One full ``--quick`` run (all checks, figures, appendix, PDF when pdflatex exists)."""
    out = tmp_path_factory.mktemp("appendix")
    args = ["--quick", "--out", str(out)]
    import shutil
    if shutil.which("pdflatex"):
        args.append("--pdf")
    proc = run_cli(*args)
    return out, proc


@pytest.fixture
def ctx(tmp_path):
    from verify.registry import Context
    return Context(quick=True, out_dir=str(tmp_path))
