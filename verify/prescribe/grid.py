"""The prescription grid: separators, spacings, tasks, and where every digit sits in the token stream.

A *setting* is a separator (or none) and a spacing ``k``: the body of a prompt is ``n``
ones with the separator after every ``k``-th one (never after the last), as in
Figure 5d's ``1,111,111`` (there grouped from the left, so that the prompts are
prefix-closed: the prompt with ``n + 1`` ones extends the one with ``n``).

Tokenisation decides what the model really sees. :func:`locate_digits` tokenises the
longest prompt once, finds the token of every digit from the character offsets, counts
the tokens of each separator (``", "`` is a comma and a space in both default
tokenizers; a tokenizer may also merge a separator into a digit) and checks that the
prompt is prefix-closed *as tokens*: the prompt that stops at the ``n``-th digit must
tokenise to the first tokens of the longest one, or one forward pass would not give
every ``n``. It checks this at every phase of the separator period and at a geometric
sample of counts up to ``N``.
"""

import numpy as np

from verify.models.prompts import Q_COPY, Q_COUNT, Q_LAST_1

__all__ = ["SEPARATORS", "TASKS", "DEFAULT_SPACINGS", "check_separator", "check_task", "check_spacings",
           "check_max_length", "sequence_text", "prompt_text", "locate_digits", "grid_settings"]

#: Separator name -> the text inserted (None: no separator). Names are what the command
#: line and the outputs use; the literal text is accepted too (``"\\n"`` for newline).
SEPARATORS = {"none": None, "comma": ",", "space": " ", "comma-space": ", ", "semicolon": ";",
              "newline": "\n", "pipe": "|"}
#: Task -> the question before the digits (the paper's prompts: Figure 5 a, c; Figure 12, type 1).
TASKS = {"count": Q_COUNT, "copy": Q_COPY, "last": Q_LAST_1}
DEFAULT_SPACINGS = tuple(range(1, 9))
_LITERALS = {text: name for name, text in SEPARATORS.items() if text is not None}
_LITERALS["\\n"] = "newline"
#: The repeated token (the paper's "sequence of ones").
DIGIT = "1"


def check_separator(value):
    """The canonical name of a separator given by name or literal text.

    Examples
    --------
    >>> check_separator(","), check_separator("comma-space"), check_separator("\\\\n")
    ('comma', 'comma-space', 'newline')
    >>> check_separator("#")
    Traceback (most recent call last):
    ...
    ValueError: unknown separator '#'; choose from none, comma (','), space (' '), comma-space (', '), semicolon (';'), newline ('\\n'), pipe ('|')
    """
    if not isinstance(value, str):
        raise TypeError(f"separator must be a string, got {type(value).__name__}")
    if value in SEPARATORS:
        return value
    if value in _LITERALS:
        return _LITERALS[value]
    known = ", ".join(name if text is None else f"{name} ({text!r})" for name, text in SEPARATORS.items())
    raise ValueError(f"unknown separator {value!r}; choose from {known}")


def check_task(value):
    """``value`` if it is a task of :data:`TASKS`.

    Examples
    --------
    >>> check_task("count")
    'count'
    """
    if not isinstance(value, str) or value not in TASKS:
        raise ValueError(f"unknown task {value!r}; choose from {', '.join(TASKS)}")
    return value


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_spacings(values):
    """Sorted distinct spacings ``k >= 1``.

    Examples
    --------
    >>> check_spacings([3, 1, 3])
    [1, 3]
    >>> check_spacings([0])
    Traceback (most recent call last):
    ...
    ValueError: spacing k must be an integer >= 1, got 0
    """
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"spacings must be a list of integers >= 1, got {values!r}")
    out = sorted({_check_int(k, "spacing k", 1) for k in values})
    if not out:
        raise ValueError("spacings must not be empty")
    return out


def check_max_length(value):
    """``N``, the largest count of repeated digits: an integer >= 2."""
    return _check_int(value, "max_length N", 2)


def sequence_text(n, separator=None, every=None):
    """``n`` ones with ``separator`` after every ``every``-th one (none after the last).

    Examples
    --------
    >>> sequence_text(7, ",", 3), sequence_text(4, ", ", 1), sequence_text(3)
    ('111,111,1', '1, 1, 1, 1', '111')
    """
    n = _check_int(n, "n", 1)
    if not separator:
        return DIGIT * n
    every = _check_int(every, "every", 1)
    groups = [DIGIT * min(every, n - i) for i in range(0, n, every)]
    return separator.join(groups)


def prompt_text(task, n, separator=None, every=None):
    """The task's question followed by the sequence (the sequence last: prefix-closed)."""
    return TASKS[check_task(task)] + sequence_text(n, separator, every)


def _token_of_char(offsets, chars):
    """Index of the token whose character span contains each position of ``chars``."""
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    # Special tokens (BOS) have empty spans; they never contain a character.
    valid = ends > starts
    idx = np.flatnonzero(valid)
    where = np.searchsorted(ends[idx], np.asarray(chars), side="right")
    tok = idx[np.minimum(where, idx.size - 1)]
    if not ((starts[tok] <= chars) & (chars < ends[tok])).all():
        raise ValueError("the tokenizer's offsets do not cover every digit; it cannot be located")
    return tok, starts[tok], ends[tok]


def _closure_sample(n_max, every):
    """Counts at which prefix closure is checked: every phase of two periods, then doublings, and N."""
    period = 2 * (every or 1) + 2
    sample = set(range(1, min(n_max, period) + 1)) | {n_max, n_max - 1}
    n = period
    while n < n_max:
        sample.add(n)
        n *= 2
    return sorted(s for s in sample if s >= 1)


def locate_digits(tokenizer, task, n_max, separator=None, every=None, check_closure=True):
    """Token positions of the 1st .. ``n_max``-th digit of the longest prompt, and its tokenisation.

    Parameters
    ----------
    tokenizer : transformers fast tokenizer
        With the model's own BOS policy (``tokenizer(text)``).
    task : str
        A key of :data:`TASKS`.
    n_max : int
        Digits in the prompt.
    separator : str or None
        The separator *text* (a value of :data:`SEPARATORS`).
    every : int or None
    check_closure : bool
        Also check that the prompts stopping at a sample of counts tokenise to prefixes
        of the longest one (see the module docstring).

    Returns
    -------
    dict
        ``ids`` (list of int), ``positions`` (ndarray: the token of digit ``n`` at index
        ``n - 1``), ``num_tokens``, ``overhead_tokens`` (non-digit tokens between the
        first and the last digit), and ``tokenisation``: ``digits_single_tokens``,
        ``separator_tokens`` (the tokens between two digits across a separator),
        ``merged`` (a separator shares a token with a digit), ``prefix_closed``,
        ``period`` (the tokens of one group and its separator).

    Raises
    ------
    ValueError
        A tokenizer without character offsets (not a "fast" tokenizer).

    Examples
    --------
    See ``tests/test_prescribe.py`` (it needs a real tokenizer).
    """
    text = prompt_text(task, n_max, separator, every)
    enc = tokenizer(text, return_offsets_mapping=True)
    if "offset_mapping" not in enc:
        raise ValueError("the tokenizer gives no character offsets (a 'fast' tokenizer is needed)")
    ids, offsets = list(enc["input_ids"]), list(enc["offset_mapping"])
    head = len(TASKS[task])
    chars = head + np.array([i for i, c in enumerate(text[head:]) if c == DIGIT])
    tok, starts, ends = _token_of_char(offsets, chars)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    single = bool((ends - starts == 1).all())
    # Distinct digits in one token (BPE merging "11") leave fewer tokens than digits.
    distinct = bool(np.all(np.diff(tok) > 0))
    merged = bool(separator) and not single
    gap = tokens[tok[every - 1] + 1: tok[every]] if separator and n_max > every else []
    period = tokens[tok[0]: tok[every] if separator and n_max > every else tok[0] + 1]
    closed = None
    if check_closure:
        closed = distinct and all(
            list(tokenizer(prompt_text(task, n, separator, every))["input_ids"]) == ids[: tok[n - 1] + 1]
            for n in _closure_sample(n_max, every))
    return {"ids": ids, "positions": tok, "num_tokens": len(ids),
            "overhead_tokens": int(tok[-1] - tok[0] + 1 - n_max),
            "tokenisation": {"digits_single_tokens": single and distinct, "separator_tokens": gap,
                             "merged": merged, "prefix_closed": closed, "period": period}}


def grid_settings(separators, spacings):
    """The (separator name, spacing) cells of a grid: one cell ``("none", None)`` for no separator.

    Examples
    --------
    >>> grid_settings(["none", "comma"], [1, 3])
    [('none', None), ('comma', 1), ('comma', 3)]
    """
    names = list(dict.fromkeys(check_separator(s) for s in separators))
    ks = check_spacings(spacings)
    if not names:
        raise ValueError("separators must not be empty")
    return [(name, None) if SEPARATORS[name] is None else (name, k)
            for name in names for k in ([None] if SEPARATORS[name] is None else ks)]
