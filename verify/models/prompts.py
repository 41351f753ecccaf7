"""Prompt sets of the paper's real-model experiments (Figures 2, 5 and 12).

Each set defines, for a count ``n``, the pair of prompts whose last-token
representations Theorem B.3 says collapse: ``A_n`` and ``B_n``, where ``B_n`` has one
more copy of the repeated digit.

Several sets are *prefix-closed*: the digits come last, so ``B_n = A_{n+1}`` and, by
causality, one forward pass over the longest prompt gives the representation of every
shorter prompt at its last position. Those sets need a single forward pass for the
whole sweep. The others ((b) needs a fresh digit stream ending in '1' or '11'; (d)
regroups the commas; Figure 12 type 2 and Figure 2 have text after the digits) need one
or two passes per length.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["PROMPT_SETS", "GROUPS", "Prompt", "expand_sets", "build_prompts", "with_commas",
           "check_lengths", "structure_tokens", "structure_prompt", "sensitivity_prompt"]

Q_COUNT = "How many ones are in the following sequences? "
Q_COPY = "Can you copy the following number? "
ANSWER = "Please answer exactly as 'The answer to your question is: <ANSWER>'"
Q_LAST_1 = f"What is the last digit of the following sequence? {ANSWER}. Here is the sequence: "
Q_LAST_2 = "Consider the following sequence: "

#: name -> (description, prefix_closed)
PROMPT_SETS = {
    "fig5a": ("'How many ones are in the following sequences?' + n ones vs n+1 ones", True),
    "fig5b": ("same question + uniformly sampled digits ending in '1' vs '11'", False),
    "fig5c": ("'Can you copy the following number?' + n ones vs n+1 ones", True),
    "fig5d": ("same + ones with a comma every third digit (1,111,111), n vs n+1 ones", False),
    "fig12-1": ("'What is the last digit of the following sequence? ... Here is the sequence:' + ones", True),
    "fig12-2": ("'Consider the following sequence: <ones>. What is the last digit ...?'", False),
    "fig2-last": ("copy the last token: '1...10', n vs n+1 ones", False),
    "fig2-first": ("copy the first token: '01...1', n vs n+1 ones", False),
}

GROUPS = {
    "fig5": ["fig5a", "fig5b", "fig5c", "fig5d"],
    "fig12": ["fig12-1", "fig12-2"],
    "fig2": ["fig2-last", "fig2-first"],
    "all": list(PROMPT_SETS),
}


@dataclass
class Prompt:
    """One forward pass: its text, and which (n, member) representations it yields."""

    prompt_set: str
    key: str            # file stem, e.g. "fig5a-all", "fig5d-n100-A"
    text: str
    sequence: str       # the digit sequence inside the text
    covers: list        # [(n, "A"|"B", position from the end)] (position -1 is the last token)


def with_commas(n):
    """``n`` ones grouped in threes from the right, as numbers are written: 1,111,111.

    Examples
    --------
    >>> with_commas(7), with_commas(3)
    ('1,111,111', '111')
    """
    return f"{int('1' * n):,}" if n > 0 else ""


def check_lengths(lengths, name="lengths"):
    """Sorted distinct counts; every entry a positive integer (not a float, bool or string).

    Examples
    --------
    >>> check_lengths([20, 10, 10])
    [10, 20]
    >>> check_lengths([2.9, 5])
    Traceback (most recent call last):
    ...
    ValueError: lengths must be integers >= 1, got 2.9
    """
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise ValueError(f"{name} must be a list of integers >= 1, got {lengths!r}")
    out = set()
    for n in lengths:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be integers >= 1, got {n!r}")
        out.add(int(n))
    if not out:
        raise ValueError(f"{name} must not be empty")
    return sorted(out)


def expand_sets(names):
    """Expand group names (fig5, fig12, fig2, all) and check every name.

    Examples
    --------
    >>> expand_sets(["fig12", "fig5a"])
    ['fig12-1', 'fig12-2', 'fig5a']
    """
    out = []
    for name in names:
        if name in GROUPS:
            out += [s for s in GROUPS[name] if s not in out]
        elif name in PROMPT_SETS:
            if name not in out:
                out.append(name)
        else:
            known = ", ".join(list(GROUPS) + list(PROMPT_SETS))
            raise ValueError(f"prompt set {name!r} is unknown; choose from {known}")
    return out


def build_prompts(prompt_set, lengths, seed=0):
    """The forward passes needed for ``prompt_set`` at counts ``lengths``.

    Examples
    --------
    >>> ps = build_prompts("fig5a", [2, 5])
    >>> len(ps), ps[0].text[-8:], ps[0].covers[:2]
    (1, '? 111111', [(5, 'A', -2), (5, 'B', -1)])
    >>> [p.key for p in build_prompts("fig5d", [3])]
    ['fig5d-n3-A', 'fig5d-n3-B']
    """
    if prompt_set not in PROMPT_SETS:
        expand_sets([prompt_set])
    lengths = check_lengths(lengths)
    n_max = lengths[-1]
    if prompt_set in ("fig5a", "fig5c", "fig12-1"):
        head = {"fig5a": Q_COUNT, "fig5c": Q_COPY, "fig12-1": Q_LAST_1}[prompt_set]
        seq = "1" * (n_max + 1)
        # Position of the last '1' of A_n counted from the end of the longest prompt.
        covers = []
        for n in range(1, n_max + 1):
            covers += [(n, "A", n - (n_max + 1) - 1), (n, "B", n - (n_max + 1))]
        covers.sort(key=lambda c: (-c[0], c[1]))
        return [Prompt(prompt_set, f"{prompt_set}-all", head + seq, seq, covers)]
    out = []
    if prompt_set == "fig5b":
        digits = "".join(np.random.default_rng(seed).integers(0, 10, n_max).astype(str))
        for n in lengths:
            seq = digits[: n - 1] + "11"
            out.append(Prompt(prompt_set, f"{prompt_set}-n{n}", Q_COUNT + seq, seq,
                              [(n, "A", -2), (n, "B", -1)]))
        return out
    for n in lengths:
        for member, m in (("A", n), ("B", n + 1)):
            if prompt_set == "fig5d":
                seq = with_commas(m)
                text = Q_COPY + seq
            elif prompt_set == "fig12-2":
                seq = "1" * m
                text = f"{Q_LAST_2}{seq}. What is the last digit in this sequence? {ANSWER}"
            elif prompt_set == "fig2-last":
                seq = "1" * m + "0"
                text = f"{Q_LAST_2}{seq}. What is the last digit in this sequence? {ANSWER}"
            else:  # fig2-first
                seq = "0" + "1" * m
                text = f"{Q_LAST_2}{seq}. What is the first digit in this sequence? {ANSWER}"
            out.append(Prompt(prompt_set, f"{prompt_set}-n{n}-{member}", text, seq, [(n, member, -1)]))
    return out


#: Structure prompt of a model without sliding layers: long enough for spectra and
#: rollouts, small enough to keep the full [L, H, n, n] attention (30 x 9 x 256^2 fp32 = 71 MB).
STRUCTURE_TOKENS_GLOBAL = 256


def structure_tokens(arch):
    """Length of the structure prompt, from the architecture.

    With sliding layers: past the widest window by a quarter of it (at least 64 tokens),
    so that the band of every sliding layer is visible; otherwise
    :data:`STRUCTURE_TOKENS_GLOBAL`. Never more than the context.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> structure_tokens(SimpleNamespace(max_window=512, context_length=32768))
    640
    >>> structure_tokens(SimpleNamespace(max_window=None, context_length=8192))
    256
    """
    w = arch.max_window
    target = w + max(64, w // 4) if w else STRUCTURE_TOKENS_GLOBAL
    return min(target, arch.context_length)


def _ones_prompt(tokenizer, head, target, key, prompt_set):
    """``head`` + ones, with as many ones as make ``target`` tokens (digits may merge in some tokenizers)."""
    k = target
    for _ in range(8):
        text = head + "1" * k
        n = len(tokenizer(text)["input_ids"])
        if n == target:
            break
        k = max(1, k + target - n)
    return Prompt(prompt_set, key, text, "1" * k, [])


def structure_prompt(arch, tokenizer):
    """The count question followed by ones, :func:`structure_tokens` tokens in all (Lemmas B.6-B.8)."""
    return _ones_prompt(tokenizer, Q_COUNT, structure_tokens(arch), "structure", "structure")


def sensitivity_prompt(tokenizer, tokens):
    """The count question followed by ones, ``tokens`` tokens in all (Theorem B.5's Jacobians)."""
    return _ones_prompt(tokenizer, Q_COUNT, tokens, "sensitivity", "sensitivity")
