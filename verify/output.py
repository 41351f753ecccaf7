"""The output directory of a run as one set: locked, staged, validated, swapped in whole.

``results.json``, ``timings.json``, the appendix (Markdown, LaTeX, PDF) and the figures
of one run must never be mixed with another run's, nor half-written. So a run

1. takes an exclusive lock beside the output directory (a second run gets a clear
   error naming the process that holds it);
2. writes everything into a staging directory next to it;
3. swaps the staging directory and the output directory in one atomic step
   (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames elsewhere).

An interrupted run leaves the previous output exactly as it was. ``results.json`` is
validated against ``results.schema.json`` before it is read or merged into.
"""

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile

__all__ = [
    "OutputError",
    "OWNED_ENTRIES",
    "load_results",
    "validate_results",
    "output_lock",
    "StagedOutput",
    "staged_output",
]

#: What a run writes into its output directory; anything else there is not ours.
OWNED_ENTRIES = ("results.json", "timings.json", "appendix.md", "appendix.tex", "appendix.pdf",
                 "figures")

_SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.schema.json")


class OutputError(ValueError):
    """The output directory or its ``results.json`` cannot be used; reported as one line."""


@contextlib.contextmanager
def output_lock(out_dir):
    """Hold an exclusive lock on ``out_dir`` for the duration of the block.

    The lock file sits beside the directory (``.<name>.lock``), so that swapping the
    directory does not swap the lock away.

    Raises
    ------
    OutputError
        If another process holds the lock (its pid is named).
    """
    final = os.path.abspath(out_dir)
    parent, name = os.path.split(final)
    os.makedirs(parent, exist_ok=True)
    path = os.path.join(parent, f".{name}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise OutputError(f"--out {out_dir} is in use by another run (pid {other}); "
                              "wait for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)


def _foreign_entries(out_dir):
    if not os.path.isdir(out_dir):
        return []
    return sorted(e for e in os.listdir(out_dir) if e not in OWNED_ENTRIES and not e.startswith("."))


class StagedOutput:
    """A staging directory that becomes ``out_dir`` on :meth:`commit`, or vanishes on :meth:`abort`.

    Parameters
    ----------
    out_dir : str
        The final output directory. It must be empty, absent, or hold only what a run
        writes (:data:`OWNED_ENTRIES`): it is replaced as a whole.
    keep_previous : bool
        Start from hard links of the current files (``--only`` and ``--render-only``
        keep the other checks' entries and figures); otherwise start empty, so that no
        file of an earlier run survives into this one.

    Raises
    ------
    OutputError
        If ``out_dir`` holds files this tool did not write, or cannot be written.
    """

    def __init__(self, out_dir, keep_previous=False):
        self.final = os.path.abspath(out_dir)
        if os.path.exists(self.final) and not os.path.isdir(self.final):
            raise OutputError(f"--out {out_dir} is a file, not a directory")
        foreign = _foreign_entries(self.final)
        if foreign:
            raise OutputError(f"--out {out_dir} holds files this tool did not write "
                              f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                              "it is replaced as a whole, so use an empty or dedicated directory")
        parent, name = os.path.split(self.final)
        _remove_stale_staging(parent, name)
        try:
            os.makedirs(parent, exist_ok=True)
            self.path = tempfile.mkdtemp(dir=parent, prefix=f".{name}.staging-")
        except OSError as exc:
            raise OutputError(f"--out {out_dir} cannot be written: {exc.strerror}") from None
        if keep_previous and os.path.isdir(self.final):
            shutil.copytree(self.final, self.path, copy_function=os.link, dirs_exist_ok=True)

    def join(self, *parts):
        """A path inside the staging directory."""
        return os.path.join(self.path, *parts)

    def commit(self):
        """Put the staged set in place of ``out_dir`` in one step; remove the old set."""
        if not os.path.exists(self.final):
            os.rename(self.path, self.final)
            return
        if _exchange(self.path, self.final):
            shutil.rmtree(self.path, ignore_errors=True)  # now holds the previous set
            return
        old = self.path + ".old"
        os.rename(self.final, old)
        os.rename(self.path, self.final)
        shutil.rmtree(old, ignore_errors=True)

    def abort(self):
        shutil.rmtree(self.path, ignore_errors=True)


def _remove_stale_staging(parent, name):
    """Staging directories left by a killed run (the caller holds the lock, so none is live)."""
    if not os.path.isdir(parent):
        return
    for entry in os.listdir(parent):
        if entry.startswith(f".{name}.staging-"):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def _exchange(a, b):
    """Atomically swap two directories (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), b)


@contextlib.contextmanager
def staged_output(out_dir, keep_previous=False):
    """:class:`StagedOutput` as a context: committed on success, aborted on any error or interrupt."""
    stage = StagedOutput(out_dir, keep_previous)
    try:
        yield stage
    except BaseException:
        stage.abort()
        raise
    stage.commit()


def _schema():
    with open(_SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def validate_results(doc, path="results.json"):
    """Raise :class:`OutputError` naming the first place where ``doc`` breaks the schema.

    Examples
    --------
    >>> validate_results({"schema": 1})
    Traceback (most recent call last):
    ...
    verify.output.OutputError: results.json does not follow results.schema.json at (top): 'paper' is a required property
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise OutputError(f"{path} does not follow results.schema.json at {where}: {error.message[:200]}")
    return doc


def load_results(path):
    """Read and validate a ``results.json``; :class:`OutputError` if it is missing, broken or invalid."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise OutputError(f"{path} does not exist; run without --render-only first") from None
    except UnicodeDecodeError:
        raise OutputError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise OutputError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg}); "
                          "it was not modified") from None
    except IsADirectoryError:
        raise OutputError(f"{path} is a directory") from None
    return validate_results(doc, path)
