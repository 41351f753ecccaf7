"""Files and JSON: atomic writes of files and directories, JSON cleaning, library versions.

Nothing here knows about checks; figures, the appendix renderer, the model exports and
the command line all write through these functions so that an interrupted run never
leaves a half-written file.
"""

import contextlib
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
        ``"inf"``, ``"-inf"``.

    Examples
    --------
    >>> clean({"a": np.float32(0.1), "b": (np.int64(3), float("inf"))}, digits=3)
    {'a': 0.1, 'b': [3, 'inf']}
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
    """:func:`atomic_write_bytes` of UTF-8 ``text``."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_directory(target):
    """Build a directory in a temporary sibling and move it to ``target`` only on success.

    Yields the temporary path. On any error (or interruption) it is removed and a
    previous ``target`` is left as it was.

    Examples
    --------
    >>> import tempfile, os
    >>> d = os.path.join(tempfile.mkdtemp(), "out")
    >>> with atomic_directory(d) as tmp:
    ...     _ = open(os.path.join(tmp, "a.txt"), "w").write("a")
    >>> os.listdir(d)
    ['a.txt']
    """
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

    Examples
    --------
    >>> sorted(library_versions(("numpy",)))
    ['numpy', 'python']
    """
    env = {"python": platform.python_version()}
    for name in names:
        try:
            env[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            env[name] = None
    return env
