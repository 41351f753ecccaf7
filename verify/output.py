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
    """The output directory or its ``results.json`` cannot be used; reported as one line.

    The command line prints the message (which names the directory or file and what to
    do) without a traceback. A ``ValueError``, so that callers that validate arguments
    catch it with the rest.

    Parameters
    ----------
    message : str
        One line: what is wrong, with which path, and how to go on.

    Raises
    ------
    None
        Constructing the exception raises nothing; it is raised by
        :func:`output_lock`, :class:`StagedOutput`, :func:`validate_results` and
        :func:`load_results`.

    References
    ----------
    Python Language Reference, Section 8.4 (the ``try`` statement): catching
    ``ValueError`` also catches this subclass.

    Examples
    --------
    >>> issubclass(OutputError, ValueError)
    True
    >>> raise OutputError("--out docs/appendix is a file, not a directory")
    Traceback (most recent call last):
    ...
    verify.output.OutputError: --out docs/appendix is a file, not a directory
    """


@contextlib.contextmanager
def output_lock(out_dir):
    """Hold an exclusive lock on ``out_dir`` for the duration of the block.

    The lock file sits beside the directory (``.<name>.lock``), so that swapping the
    directory does not swap the lock away. It holds the pid of the holder, and stays
    after the block (only the lock is released; a stale file locks nothing).

    Parameters
    ----------
    out_dir : str or os.PathLike
        The output directory of the run; it need not exist (its parent is created).

    Yields
    ------
    str
        The path of the lock file.

    Raises
    ------
    OutputError
        If another process (or another ``output_lock`` of this one: the lock belongs
        to the open file) holds the lock; its pid is named.
    OSError
        If the parent directory cannot be created or the lock file cannot be opened
        (``PermissionError``, a read-only file system, ...).

    References
    ----------
    flock(2), Linux man-pages: "Only one process may hold an exclusive lock for a
    given file at a given time"; ``LOCK_NB`` makes a conflicting request fail with
    ``EWOULDBLOCK`` instead of waiting. The lock is released when the file is closed.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> with output_lock(out) as lock:
    ...     print(os.path.basename(lock))
    .run.lock
    >>> with output_lock(out):
    ...     with output_lock(out):
    ...         pass
    Traceback (most recent call last):
    ...
    verify.output.OutputError: --out ... is in use by another run (pid ...); wait for it to finish or choose another --out
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

    Attributes
    ----------
    final : str
        The absolute path of ``out_dir``.
    path : str
        The staging directory (``.<name>.staging-*`` beside ``out_dir``).

    Raises
    ------
    OutputError
        If ``out_dir`` is a file, holds files this tool did not write, or its parent
        cannot be written.
    OSError
        If ``keep_previous`` and the current files cannot be hard-linked into the
        staging directory (``shutil.Error``, an ``OSError``).

    References
    ----------
    renameat2(2), Linux man-pages, flag ``RENAME_EXCHANGE``: "Atomically exchange
    oldpath and newpath. Both pathnames must exist but may be of different types";
    IEEE Std 1003.1-2017 (POSIX), ``rename()`` (the fallback of two renames).

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> stage = StagedOutput(out)
    >>> with open(stage.join("results.json"), "w") as fh:
    ...     _ = fh.write("{}")
    >>> os.path.exists(out)
    False
    >>> stage.commit()
    >>> os.listdir(out)
    ['results.json']
    >>> StagedOutput(os.path.dirname(out))  # holds "run", which a run does not write
    Traceback (most recent call last):
    ...
    verify.output.OutputError: --out ... holds files this tool did not write (run); it is replaced as a whole, so use an empty or dedicated directory
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
        """A path inside the staging directory.

        Parameters
        ----------
        *parts : str
            Path components below the staging directory (``"figures", "B.1.pdf"``).

        Returns
        -------
        str
            ``os.path.join(self.path, *parts)``; nothing is created.

        Raises
        ------
        TypeError
            If a part is not a string or path-like object.

        References
        ----------
        Python Library Reference, ``os.path.join``.

        Examples
        --------
        >>> import os, tempfile
        >>> stage = StagedOutput(os.path.join(tempfile.mkdtemp(), "run"))
        >>> stage.join("figures", "B.1.pdf") == os.path.join(stage.path, "figures", "B.1.pdf")
        True
        >>> stage.abort()
        """
        return os.path.join(self.path, *parts)

    def commit(self):
        """Put the staged set in place of ``out_dir`` in one step; remove the old set.

        With ``renameat2(RENAME_EXCHANGE)`` (Linux >= 3.15 on most file systems) the
        two directories swap in one system call; elsewhere the old set is renamed aside
        and the new one into place (``out_dir`` is briefly absent, never mixed).

        Returns
        -------
        None

        Raises
        ------
        OSError
            If a rename fails, or ``renameat2`` fails for a reason other than being
            unsupported (``ENOSYS``, ``EINVAL``, ``ENOTSUP`` fall back to two renames).

        References
        ----------
        renameat2(2), Linux man-pages, ``RENAME_EXCHANGE``; IEEE Std 1003.1-2017
        (POSIX), ``rename()``.

        Examples
        --------
        >>> import os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "run")
        >>> for content in ("first", "second"):
        ...     stage = StagedOutput(out)
        ...     with open(stage.join("timings.json"), "w") as fh:
        ...         _ = fh.write(content)
        ...     stage.commit()
        >>> open(os.path.join(out, "timings.json")).read(), len(os.listdir(os.path.dirname(out)))
        ('second', 1)
        """
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
        """Remove the staging directory; ``out_dir`` is left exactly as it was.

        Returns
        -------
        None

        Raises
        ------
        None
            Removal errors are ignored (a leftover staging directory is removed by the
            next run on the same ``out_dir``).

        References
        ----------
        Python Library Reference, ``shutil.rmtree`` (``ignore_errors=True``).

        Examples
        --------
        >>> import os, tempfile
        >>> stage = StagedOutput(os.path.join(tempfile.mkdtemp(), "run"))
        >>> stage.abort()
        >>> os.path.exists(stage.path), os.path.exists(stage.final)
        (False, False)
        """
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
    """:class:`StagedOutput` as a context: committed on success, aborted on any error or interrupt.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The final output directory (see :class:`StagedOutput`).
    keep_previous : bool
        Start from hard links of the current files instead of an empty directory.

    Yields
    ------
    StagedOutput
        The stage to write into (:meth:`StagedOutput.join`).

    Raises
    ------
    OutputError
        As :class:`StagedOutput`: ``out_dir`` is a file, holds foreign files, or
        cannot be written.
    OSError
        If the commit's rename fails.
    BaseException
        Whatever the block raises (``KeyboardInterrupt`` included) is re-raised after
        the stage is removed; ``out_dir`` is then unchanged.

    References
    ----------
    renameat2(2), Linux man-pages, ``RENAME_EXCHANGE``; PEP 343, the ``with`` statement.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> with staged_output(out) as stage:
    ...     _ = open(stage.join("timings.json"), "w").write("{}")
    >>> try:
    ...     with staged_output(out) as stage:
    ...         _ = open(stage.join("results.json"), "w").write("half written")
    ...         raise RuntimeError("killed")
    ... except RuntimeError:
    ...     pass
    >>> sorted(os.listdir(out))
    ['timings.json']
    """
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

    Parameters
    ----------
    doc : object
        A parsed ``results.json`` (normally a dict).
    path : str
        The name used in the message.

    Returns
    -------
    object
        ``doc`` itself, when it follows ``verify/results.schema.json``.

    Raises
    ------
    OutputError
        If ``doc`` breaks the schema; the message names the JSON pointer of the most
        relevant error (``jsonschema.exceptions.best_match``) and its first 200
        characters.

    References
    ----------
    JSON Schema: A Media Type for Describing JSON Documents, draft 2020-12
    (draft-bhutton-json-schema-01), and JSON Schema Validation, draft 2020-12
    (draft-bhutton-json-schema-validation-01); validated with
    ``jsonschema.Draft202012Validator``.

    Examples
    --------
    >>> doc = {"schema": 1, "paper": "arXiv:2406.04267", "environment": {}, "command": "python -m verify.all",
    ...        "quick": True, "seed": 0, "checks": []}
    >>> validate_results(doc) is doc
    True
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
    """Read and validate a ``results.json``; :class:`OutputError` if it is missing, broken or invalid.

    Parameters
    ----------
    path : str or os.PathLike
        The ``results.json`` to read (UTF-8 JSON).

    Returns
    -------
    dict
        The parsed document, valid against ``verify/results.schema.json``.

    Raises
    ------
    OutputError
        If the file does not exist, is a directory, is not UTF-8 or not JSON (the line
        of the syntax error is named), or breaks the schema (:func:`validate_results`).
    OSError
        If the file exists but cannot be read (``PermissionError``, ...).

    References
    ----------
    RFC 8259, The JavaScript Object Notation (JSON) Data Interchange Format, Section
    8.1 ("JSON text exchanged between systems that are not part of a closed ecosystem
    MUST be encoded using UTF-8"); JSON Schema draft 2020-12.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "results.json")
    >>> load_results(path)
    Traceback (most recent call last):
    ...
    verify.output.OutputError: ... does not exist; run without --render-only first
    >>> _ = open(path, "w").write('{"schema": 1,')
    >>> load_results(path)
    Traceback (most recent call last):
    ...
    verify.output.OutputError: ... is not valid JSON (line 1: Expecting property name enclosed in double quotes); it was not modified
    """
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
