"""``python -m verify.all``: exit codes, one-line errors, determinism, merge and render-only."""

import json

import pytest

from tests.conftest import run_cli


def test_quick_run_passes_and_prints_the_table(quick_run):
    out, proc = quick_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for cid in ("B.1", "B.2", "B.3", "B.4", "B.9", "B.10", "fig8", "fig9", "fig10"):
        assert cid in proc.stdout
    assert "passed, 0 failed" in proc.stdout
    doc = json.loads((out / "results.json").read_text())
    assert doc["schema"] == 1 and doc["paper"] == "arXiv:2406.04267"
    assert all(c["status"] in ("pass", "skip") for c in doc["checks"])
    timings = json.loads((out / "timings.json").read_text())
    assert set(timings["seconds"]) == {c["id"] for c in doc["checks"]}
    # Timings live in timings.json only, so that two runs give byte-identical results.json.
    for c in doc["checks"]:
        assert not {"seconds", "time", "timing", "elapsed"} & set(c["evidence"]), c["id"]
    for c in doc["checks"]:
        for f in c["figures"]:
            assert (out / f).stat().st_size > 1000


def test_two_runs_are_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        proc = run_cli("--quick", "--only", "B.4", "B.9", "B.3", "--out", str(d))
        assert proc.returncode == 0, proc.stderr
    for name in ("results.json", "appendix.md", "appendix.tex", "figures/B.3.pdf", "figures/B.3.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("args, needle", [
    (["--only", "B.99"], "unknown check id"),
    (["--seed", "-1"], "--seed"),
    (["--bogus"], "unrecognized arguments"),
    (["--render-only", "--out", "/nonexistent/dir"], "does not exist"),
])
def test_usage_errors_exit_2_with_one_line(args, needle):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_list():
    proc = run_cli("--list")
    assert proc.returncode == 0 and "B.10" in proc.stdout and "Corollary B.10" in proc.stdout


def test_only_merges_and_render_only(tmp_path):
    assert run_cli("--quick", "--only", "B.4", "--out", str(tmp_path)).returncode == 0
    assert run_cli("--quick", "--only", "B.1", "--out", str(tmp_path)).returncode == 0
    doc = json.loads((tmp_path / "results.json").read_text())
    assert [c["id"] for c in doc["checks"]] == ["B.1", "B.4"]
    md = tmp_path / "appendix.md"
    before = md.read_bytes()
    md.unlink()
    proc = run_cli("--render-only", "--out", str(tmp_path))
    assert proc.returncode == 0 and md.read_bytes() == before


def test_a_failing_check_gives_exit_1(tmp_path, monkeypatch):
    from verify import all as cli
    from verify.registry import REGISTRY, Check, Conditions, Findings, all_checks

    all_checks()

    def judge(findings):
        cond = Conditions()
        cond.add("1 + 1 = 3", 1 + 1 == 3, "1 + 1 = 2")
        return cond

    check = Check("zz.fail", ["none"], "a check that fails", lambda ctx: Findings(), judge=judge)
    monkeypatch.setitem(REGISTRY, "zz.fail", check)
    assert cli.main(["--only", "zz.fail", "--out", str(tmp_path), "--no-appendix"]) == 1
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["checks"][0]["status"] == "fail"


def test_interrupted_write_keeps_the_previous_file(tmp_path, monkeypatch):
    from verify import io as vio

    target = tmp_path / "results.json"
    target.write_text("previous")

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(vio.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        vio.atomic_write_text(str(target), "new")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_results_do_not_depend_on_the_blas_thread_count(tmp_path):
    """B.10's fp32 distances once changed in the 7th digit with the thread count; one thread per process fixes it."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    docs = []
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}"
        env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        proc = subprocess.run([sys.executable, "-m", "verify.all", "--quick", "--only", "B.10", "B.5",
                               "--out", str(out), "--no-figures", "--no-appendix"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        docs.append((out / "results.json").read_bytes())
    assert docs[0] == docs[1]
