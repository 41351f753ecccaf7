"""Files and JSON: atomic writes of files and directories, JSON cleaning, library versions.

Nothing here knows about checks; figures, the appendix renderer, the model exports and
the command line all write through these functions so that an interrupted run never
leaves a half-written file.
"""

import contextlib
import errno
import importlib.metadata
import math
import os
import platform
import shutil
import tempfile

import numpy as np

__all__ = [
    "clean",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_directory",
    "library_versions",
]


def clean(value, digits=10):
    """Make ``value`` JSON-ready and deterministic: numpy to Python, floats to ``digits`` digits.

    Rounding keeps ``results.json`` byte-identical across runs even where the last
    bits of a float depend on summation order.

    Parameters
    ----------
    value : object
        Nested dicts, lists, tuples, numpy arrays and scalars.
    digits : int
        Significant digits kept of every float.

    Returns
    -------
    object
        The same structure with only ``dict``, ``list``, ``str``, ``int``, ``float``,
        ``bool`` and ``None``; NaN and infinities become the strings ``"nan"``,
        ``"inf"``, ``"-inf"``. Dict keys become strings, tuples and arrays lists, and
        any other object its ``str``.

    Raises
    ------
    ValueError
        If ``digits`` is negative or not an integer and ``value`` holds a float (the
        format ``.{digits}g`` is then invalid).
    RecursionError
        If ``value`` contains itself (a list that holds itself, ...).

    References
    ----------
    RFC 8259, The JavaScript Object Notation (JSON) Data Interchange Format, Section 6
    (numbers: "Numeric values that cannot be represented ... (such as Infinity and NaN)
    are not permitted"), hence the strings for NaN and infinities.

    Examples
    --------
    >>> clean({"a": np.float32(0.1), "b": (np.int64(3), float("inf"))}, digits=3)
    {'a': 0.1, 'b': [3, 'inf']}
    >>> clean(2 / 3)  # ten significant digits by default
    0.6666666667
    """
    if isinstance(value, dict):
        return {str(k): clean(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, digits) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist(), digits)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0:
            return 0.0
        return float(f"{v:.{digits}g}")
    if value is None or isinstance(value, str):
        return value
    return str(value)


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    An interrupted write leaves the previous file intact. Errors name ``path``,
    never the temporary file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its directory is created if it does not exist.
    data : bytes-like
        The whole new content of the file.

    Returns
    -------
    None
        The file at ``path`` holds ``data``; the temporary file (``.tmp-*`` in the same
        directory) is gone, whether the write succeeded or not.

    Raises
    ------
    OSError
        If the directory cannot be created, the temporary file cannot be created or
        written, or the rename fails; the subclass follows the errno
        (``PermissionError``, ``IsADirectoryError`` when ``path`` is a directory,
        ``FileNotFoundError``, ...) and the message names ``path``.
    TypeError
        If ``data`` is not bytes-like (a ``str``, None, ...); nothing is written.

    References
    ----------
    IEEE Std 1003.1-2017 (POSIX), ``rename()``: "If the link named by the new argument
    exists, it shall be removed and old renamed to new ... a link named new shall
    remain visible to other threads throughout the renaming operation"; Python's
    ``os.replace`` is that call.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> atomic_write_bytes(os.path.join(d, "x.bin"), b"ok")
    >>> open(os.path.join(d, "x.bin"), "rb").read()
    b'ok'
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise OSError(exc.errno, exc.strerror, path) from None
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` as UTF-8, atomically (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its directory is created if it does not exist.
    text : str
        The whole new content; written encoded as UTF-8, newlines as they are.

    Returns
    -------
    None

    Raises
    ------
    OSError
        As :func:`atomic_write_bytes`: the file cannot be written (the message names
        ``path``).
    UnicodeEncodeError
        If ``text`` holds a lone surrogate (``"\\ud800"``), which UTF-8 cannot encode;
        nothing is written.
    AttributeError
        If ``text`` is not a ``str`` (it has no ``encode``).

    References
    ----------
    RFC 3629, UTF-8, a transformation format of ISO 10646; IEEE Std 1003.1-2017
    (POSIX), ``rename()``.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "sub", "note.txt")
    >>> atomic_write_text(path, "gap ≤ ε")
    >>> open(path, encoding="utf-8").read(), len(open(path, "rb").read())
    ('gap ≤ ε', 10)
    """
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(target):
    """Build a directory in a temporary sibling and move it to ``target`` only on success.

    On any error (or interruption) the temporary directory is removed and a previous
    ``target`` is left as it was. When ``target`` exists, the swap is two renames
    (old aside, new in place): between them ``target`` is briefly absent, never half
    written. :class:`verify.output.StagedOutput` swaps in one step where Linux allows.

    Parameters
    ----------
    target : str or os.PathLike
        The directory to build; its parent is created if it does not exist.

    Yields
    ------
    str
        The temporary directory (``.building-*`` beside ``target``) to fill.

    Raises
    ------
    OSError
        If the parent cannot be created (``FileExistsError`` when a path component
        is a file) or written, or a rename fails; ``ENOTDIR`` if ``target`` exists
        and is not a directory (it is never replaced).
    Exception
        Whatever the ``with`` block raises is re-raised after the temporary
        directory is removed; ``target`` is then unchanged.

    References
    ----------
    IEEE Std 1003.1-2017 (POSIX), ``rename()`` (a directory replaces an empty one or
    a missing name atomically; hence the old one is first moved aside).

    Examples
    --------
    >>> import tempfile, os
    >>> d = os.path.join(tempfile.mkdtemp(), "out")
    >>> with atomic_directory(d) as tmp:
    ...     _ = open(os.path.join(tmp, "a.txt"), "w").write("a")
    >>> os.listdir(d)
    ['a.txt']
    """
    if os.path.exists(target) and not os.path.isdir(target):
        raise OSError(errno.ENOTDIR, "exists and is not a directory", target)
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".building-")
    try:
        yield tmp
        if os.path.exists(target):
            # Move the old directory aside first so that the swap is two renames.
            old = tempfile.mkdtemp(dir=parent, prefix=".old-")
            os.rmdir(old)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


#: The libraries whose versions can change a number in ``results.json``.
RESULT_LIBRARIES = ("numpy", "scipy", "sympy", "mpmath", "networkx", "matplotlib", "ml_dtypes")


def library_versions(names=RESULT_LIBRARIES):
    """The interpreter's and the installed libraries' versions (None when missing).

    Parameters
    ----------
    names : iterable of str
        Distribution names as installed (``"numpy"``, ``"ml_dtypes"``); by default
        :data:`RESULT_LIBRARIES`, the libraries whose versions can change a number in
        ``results.json``.

    Returns
    -------
    dict
        ``{"python": "3.x.y", name: version or None, ...}``: a library that is not
        installed maps to None instead of raising ``PackageNotFoundError``.

    Raises
    ------
    ValueError
        If a name is the empty string (``importlib.metadata`` requires a name).
    TypeError
        If a name is not a string.

    References
    ----------
    Python Packaging Authority, Core metadata specifications, field ``Version``
    (read through ``importlib.metadata.version``); PEP 440, version identification.

    Examples
    --------
    >>> sorted(library_versions(("numpy",)))
    ['numpy', 'python']
    >>> library_versions(("surely-not-installed-xyz",))["surely-not-installed-xyz"] is None
    True
    """
    env = {"python": platform.python_version()}
    for name in names:
        try:
            env[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            env[name] = None
    return env
