"""Bad command lines: one line on stderr, exit status 2, nothing written or lost.

Most cases call ``verify.all.main`` in-process (a subprocess per case would cost a
second each); the interruption and concurrency tests run real processes.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from verify import all as cli


def _call(capsys, *args):
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.err


def _assert_one_line_error(code, err, needle=""):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def good_results(tmp_path_factory):
    """A valid output directory from a tiny quick run (one fast check)."""
    out = tmp_path_factory.mktemp("good")
    assert cli.main(["--quick", "--only", "B.7", "--out", str(out), "--no-figures"]) == 0
    return out


USAGE = [
    (["--bogus"], "unrecognized arguments"),
    (["--seed", "-1"], "--seed"),
    (["--seed", "x"], "--seed"),
    (["--seed", "1.5"], "--seed"),
    (["--seed"], "--seed"),
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "-2"], "--jobs"),
    (["--jobs", "two"], "--jobs"),
    (["--jobs", "1.5"], "--jobs"),
    (["--only", "B.99"], "unknown check id"),
    (["--only"], "--only"),
    (["--only", "B.1", "B.99"], "B.99"),
    (["--only", "../etc"], "unknown check id"),
    (["--out"], "--out"),
    (["--render-only", "--out", "/nonexistent/dir"], "does not exist"),
    (["--render-only", "--only", "B.1"], "--render-only"),
    (["--render-only", "--quick"], "--render-only"),
    (["--render-only", "--no-appendix"], "--render-only"),
    (["--pdf", "--no-appendix"], "--pdf"),
    (["--list", "--bogus"], "unrecognized arguments"),
    (["--model", "/nonexistent/model.gguf"], "model"),
    (["--quick", "--only", "B.7", "--out", "/proc/version/sub"], "/proc/version"),
]


@pytest.mark.parametrize("args, needle", USAGE)
def test_usage_errors(capsys, args, needle):
    _assert_one_line_error(*_call(capsys, *args), needle)


def test_model_that_is_not_a_model(capsys, tmp_path):
    bad_dir = tmp_path / "not-a-model"
    bad_dir.mkdir()
    text = tmp_path / "weights.gguf"
    text.write_text("not a gguf file")
    other = tmp_path / "weights.txt"
    other.write_text("hello")
    for target in (bad_dir, text, other, ""):
        _assert_one_line_error(*_call(capsys, "--only", "B.7", "--quick", "--model", str(target),
                                      "--out", str(tmp_path / "o")))


def test_out_is_a_file_or_holds_foreign_files(capsys, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    _assert_one_line_error(*_call(capsys, "--quick", "--only", "B.7", "--out", str(f)), "not a directory")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    _assert_one_line_error(*_call(capsys, "--quick", "--only", "B.7", "--out", str(foreign)), "did not write")
    assert (foreign / "thesis.tex").read_text() == "precious"


def _malformed_variants(good):
    doc = json.loads((good / "results.json").read_text())

    def edit(fn):
        d = json.loads(json.dumps(doc))
        fn(d)
        return json.dumps(d)

    check = lambda d: d["checks"][0]  # noqa: E731
    return {
        "not json": "this is not json",
        "truncated": json.dumps(doc)[:200],
        "empty": "",
        "array": "[]",
        "schema 2": edit(lambda d: d.update(schema=2)),
        "no checks": edit(lambda d: d.pop("checks")),
        "check without id": edit(lambda d: check(d).pop("id")),
        "status maybe": edit(lambda d: check(d).update(status="maybe")),
        "figure traversal": edit(lambda d: check(d).update(figures=["../../etc/passwd.pdf"])),
        "seed negative": edit(lambda d: d.update(seed=-3)),
        "seed string": edit(lambda d: d.update(seed="0")),
        "quick string": edit(lambda d: d.update(quick="yes")),
        "symbolic without latex": edit(lambda d: check(d)["symbolic"][0].pop("latex")),
        "id with slash": edit(lambda d: check(d).update(id="../B.7")),
        "erratum without issue": edit(lambda d: check(d)["errata"].append({"where": "x", "evidence": "y",
                                                                          "correction": "z"})),
        "environment int": edit(lambda d: d["environment"].update(numpy=2)),
    }


def test_render_only_and_only_refuse_a_malformed_results_file(capsys, tmp_path, good_results):
    variants = _malformed_variants(good_results)
    assert len(variants) >= 16
    for label, text in variants.items():
        out = tmp_path / label.replace(" ", "-")
        shutil.copytree(good_results, out)
        (out / "results.json").write_text(text)
        code, err = _call(capsys, "--render-only", "--out", str(out))
        _assert_one_line_error(code, err, "results.json")
        code, err = _call(capsys, "--quick", "--only", "B.7", "--out", str(out), "--no-figures")
        _assert_one_line_error(code, err, "results.json")
        assert (out / "results.json").read_text() == text, f"{label}: the file was modified"


def test_binary_and_directory_results_files(capsys, tmp_path, good_results):
    out = tmp_path / "bin"
    shutil.copytree(good_results, out)
    (out / "results.json").write_bytes(b"\xff\xfe\x00garbage")
    _assert_one_line_error(*_call(capsys, "--render-only", "--out", str(out)), "results.json")
    os.unlink(out / "results.json")
    (out / "results.json").mkdir()
    _assert_one_line_error(*_call(capsys, "--render-only", "--out", str(out)), "results.json")


@pytest.mark.parametrize("extra, key", [(["--seed", "1"], "seed"), ([], "quick")])
def test_only_refuses_to_mix_settings(capsys, tmp_path, good_results, extra, key):
    out = tmp_path / "mix"
    shutil.copytree(good_results, out)
    before = (out / "results.json").read_text()
    args = ["--only", "B.7", "--out", str(out), "--no-figures"] + extra + (["--quick"] if key == "seed" else [])
    _assert_one_line_error(*_call(capsys, *args), key)
    assert (out / "results.json").read_text() == before


def test_jobs_beyond_the_cores_is_capped_with_a_note(capsys, tmp_path):
    code, err = _call(capsys, "--quick", "--only", "B.7", "--jobs", "1000000", "--out", str(tmp_path / "o"),
                      "--no-figures", "--no-appendix")
    assert code == 0
    assert "capped at" in err


def test_at_least_sixty_bad_command_lines_are_covered():
    assert len(USAGE) + 5 + 2 * 16 + 2 + 2 >= 60


# --------------------------------------------------------------------------- processes


def _start(out, *extra):
    # The full run (minutes, not the --quick seconds): the signal or the second run always
    # lands while it works, however loaded the machine. It is interrupted, so it costs little.
    # Ctrl-C as a terminal delivers it: a shell without job control (CI, `cmd &`) starts
    # background commands with SIGINT ignored, Python keeps an inherited SIG_IGN, and the
    # signal would never arrive. The child gets the default disposition back.
    return subprocess.Popen([sys.executable, "-m", "verify.all", "--no-gemma", "--out", str(out),
                             *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def _wait_for_workers(proc, timeout=60):
    start = time.time()
    while time.time() - start < timeout:
        kids = _children(proc.pid)
        if kids:
            return kids
        time.sleep(0.2)
    raise AssertionError("the run never started its workers")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_the_previous_output_and_no_workers(tmp_path, good_results, sig):
    out = tmp_path / "out"
    shutil.copytree(good_results, out)
    before = {p: (out / p).read_bytes() for p in ("results.json", "appendix.md")}
    proc = _start(out)
    kids = _wait_for_workers(proc)
    time.sleep(1.0)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, f"stderr: {stderr}\nstdout: {stdout[-1500:]}"
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert {p: (out / p).read_bytes() for p in before} == before
    assert not [e for e in os.listdir(tmp_path) if ".staging-" in e]
    time.sleep(0.5)
    assert not [k for k in kids if _alive(k)]


def test_kill_9_of_the_main_process_takes_the_workers_with_it(tmp_path, good_results):
    out = tmp_path / "out"
    shutil.copytree(good_results, out)
    before = (out / "results.json").read_bytes()
    proc = _start(out)
    kids = _wait_for_workers(proc)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.2)
    assert not [k for k in kids if _alive(k)]
    assert (out / "results.json").read_bytes() == before
    # The next run cleans the stale staging directory and writes a complete set.
    assert cli.main(["--quick", "--only", "B.7", "--out", str(out), "--no-figures"]) == 0
    assert not [e for e in os.listdir(tmp_path) if ".staging-" in e]


def test_a_second_concurrent_run_is_refused(tmp_path):
    out = tmp_path / "out"
    first = _start(out)
    _wait_for_workers(first)
    second = subprocess.run([sys.executable, "-m", "verify.all", "--quick", "--only", "B.7", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=30)
    assert second.returncode == 2
    assert "in use by another run" in second.stderr and str(first.pid) in second.stderr
