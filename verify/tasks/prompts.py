"""The Section 3 tasks as prompt text: the paper's prompts (Appendix C.1, C.5), our few-shot formats.

Every printed prompt comes from :data:`theory.statements.PROMPTS` (quoted once, with its
page); this module only fills in the sequence and adds what the paper leaves open, each
addition marked *ours* in :data:`TASKS` and in the docstrings:

- the copy-first question ("What is the first digit ...": C.1 says "change appropriately");
- where the hint goes (after the copy prompt, one space before it, as printed p. 5);
- where the CoT text goes (after the question, on a new line);
- the CoT examples of the three counting tasks other than the sum ("with similar
  strategies for the 4 experiments", p. 20: the paper prints only the sum's);
- the word-counting sentence (the paper does not say how it was built);
- the few-shot completion format ("fewshot"): three solved instances of the same prompt,
  each followed by its answer line, before the question; the answer line is then
  prefilled, so the next token is the answer (a small base model can follow this).

A :class:`TaskPrompt` is pure text; :mod:`verify.tasks.engine` adds the chat template
(instruct models) or nothing (base models).

References
----------
Barbero et al. (2024), Section 3 (pp. 4-6), Appendix C.1 (p. 20), C.5 and Figure 11
(pp. 23-24).
"""

import re
import zlib
from dataclasses import dataclass

import numpy as np

from theory.statements import PROMPTS

__all__ = ["TASKS", "STYLES", "COPY_TASKS", "COUNT_TASKS", "TaskSpec", "TaskPrompt", "build_prompt",
           "build_pair", "check_task", "check_style", "check_separator", "answer_format", "task_seed", "render",
           "cot_examples", "WORDS", "P_ONE", "P_CAR"]

# --------------------------------------------------------------------------- facts read from PROMPTS


def _quoted_format(template, placeholder):
    """The answer line a prompt asks for, up to its placeholder: ``'The answer ... is: '``.

    Examples
    --------
    >>> _quoted_format("Answer as 'It is: <A>'", "<A>")
    'It is: '
    """
    match = re.search(r"[\u2018\u2019']([^\u2018\u2019']*?)" + re.escape(placeholder), template)
    if match is None:
        raise ValueError(f"no quoted answer format ending in {placeholder!r} in {template[:60]!r}")
    return match.group(1)


COPY_FORMAT = _quoted_format(PROMPTS["C.1/copy_last"]["template"], "<ANSWER>")
COUNT_FORMAT = _quoted_format(PROMPTS["C.1/sum"]["template"], "xxxx")
HINT = PROMPTS["3.1/hint"]["template"]
_COT_LINES = PROMPTS["C.1/cot_examples"]["template"].split("\n")
#: "Let's think step by step, showing me your reasoning. Here are a few examples:"
COT_HEAD = _COT_LINES[0]
#: The CoT instruction without the examples (the "CoT-no-shot" style).
COT_INSTRUCTION = COT_HEAD[: COT_HEAD.index(" Here are")]
#: The paper's worked examples (for the sum), as printed.
PAPER_SUM_EXAMPLES = "\n".join(_COT_LINES[1:])
_FIRST = ("the last digit", "the first digit")
COPY_FIRST_TEMPLATE = PROMPTS["C.1/copy_last"]["template"].replace(*_FIRST)

#: Probability of a one in the Bernoulli sequences (Section 3.2 and Figure 3, p. 5).
P_ONE = 0.7
#: Word counting (ours: the paper does not say how its sentences were built): ``n`` words,
#: each 'car' with probability P_CAR, else one of WORDS (none contains 'car').
P_CAR = 0.3
WORDS = ("bus", "train", "bike", "boat", "plane", "truck", "van", "tram", "taxi", "ship")


@dataclass(frozen=True)
class TaskSpec:
    """One task of Section 3 (the entries of :data:`TASKS`).

    Parameters
    ----------
    name : str
    kind : {"copy", "count"}
    template : str
        The prompt with ``{seq}`` (from :data:`PROMPTS`, or derived from it where noted).
    figure : str
        The paper's figure and panel.
    description : str
        What the sequence is, and what of it is ours.

    Raises
    ------
    Nothing: a frozen record.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6), Appendix C.1 (p. 20) and C.5 (p. 23).

    Examples
    --------
    >>> TASKS["copy_type2"].figure, TASKS["count_ones"].kind
    ('Figure 11, Type 2', 'count')
    """

    name: str
    kind: str
    template: str
    figure: str
    description: str


TASKS = {t.name: t for t in (
    TaskSpec("copy_last", "copy", PROMPTS["C.1/copy_last"]["template"], "Figure 2 (a), diamonds",
             "last digit of '1...10' (n ones, then 0); prompt of C.1"),
    TaskSpec("copy_first", "copy", COPY_FIRST_TEMPLATE, "Figure 2 (a), squares",
             "first digit of '01...1' (0, then n ones); C.1's prompt with 'first' for 'last' (ours)"),
    TaskSpec("copy_last_hint", "copy", PROMPTS["C.1/copy_last"]["template"] + " " + HINT, "Figure 2 (b)",
             "copy_last with the hint of p. 5 after the prompt (placement ours)"),
    TaskSpec("copy_last_01", "copy", PROMPTS["C.1/copy_last"]["template"], "Figure 2 (c), '[0,1]*n + [0]'",
             "last digit of '0101...010' (n times '01', then 0)"),
    TaskSpec("copy_last_10", "copy", PROMPTS["C.1/copy_last"]["template"], "Figure 2 (c), '[1,0]*n + [0]'",
             "last digit of '1010...100' (n times '10', then 0)"),
    TaskSpec("copy_type1", "copy", PROMPTS["C.5/type1"]["template"], "Figure 11, Type 1",
             "last digit of '1...10', prompt Type 1 of C.5 (the sequence '1...10' is ours: C.5 does not say)"),
    TaskSpec("copy_type2", "copy", PROMPTS["C.5/type2"]["template"], "Figure 11, Type 2",
             "last digit of '1...10', prompt Type 2 of C.5 (sequence as for Type 1)"),
    TaskSpec("sum", "count", PROMPTS["C.1/sum"]["template"], "Figure 3/6, column 1",
             "the sum '1 + 1 + ... + 1' of n ones; prompt of C.1"),
    TaskSpec("count_ones", "count", PROMPTS["C.1/count_ones"]["template"], "Figure 3/6, column 2",
             "the number of ones in '11...1' (n ones); prompt of C.1"),
    TaskSpec("count_bernoulli", "count", PROMPTS["C.1/count_ones"]["template"], "Figure 3/6, column 3",
             f"the number of ones in n digits, each 1 with probability {P_ONE} (seeded); prompt of C.1"),
    TaskSpec("count_word", "count", PROMPTS["C.1/count_word"]["template"], "Figure 3, column 4",
             f"the number of 'car' in n words, each 'car' with probability {P_CAR}, else one of "
             f"{', '.join(WORDS)} (seeded; the sentence is ours); prompt of C.1"),
)}
COPY_TASKS = tuple(n for n, t in TASKS.items() if t.kind == "copy")
COUNT_TASKS = tuple(n for n, t in TASKS.items() if t.kind == "count")

#: style -> (description, task kinds it applies to)
STYLES = {
    "answer": ("the paper's prompt as printed (answer only)", ("copy", "count")),
    "cot": ("CoT without examples: the prompt, then C.1's 'Let's think step by step, showing me your "
            "reasoning.' on a new line (placement ours)", ("count",)),
    "cot_fewshot": ("CoT with examples: the prompt, then C.1's CoT text and examples (the sum's as printed; "
                    "the other tasks' are ours, in the same form)", ("count",)),
    "fewshot": ("few-shot completion (ours): three solved instances of the same prompt, each followed by its "
                "answer line, then the question; the answer line is prefilled", ("copy", "count")),
}


# --------------------------------------------------------------------------- validation


def check_task(task):
    """``task`` if it is a task name, else a ValueError naming the known ones.

    Parameters
    ----------
    task : str

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Not one of :data:`TASKS` (a non-string included).

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6).

    Examples
    --------
    >>> check_task("count_ones")
    'count_ones'
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    return task


def check_style(style, task=None):
    """``style`` if it is a style name (and applies to ``task``), else a ValueError.

    Parameters
    ----------
    style : str
        One of :data:`STYLES`.
    task : str or None
        When given, the style must apply to its kind (CoT styles to counting only).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        An unknown style or task, or a style that does not apply to the task.

    References
    ----------
    Barbero et al. (2024), Section 3.2 (p. 6): answer only, CoT-no-shot, CoT-few-shot.

    Examples
    --------
    >>> check_style("cot", "copy_last")
    Traceback (most recent call last):
    ...
    ValueError: style 'cot' applies to count tasks only (Figure 3), not to copy_last
    """
    if not isinstance(style, str) or style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if task is not None and TASKS[check_task(task)].kind not in STYLES[style][1]:
        raise ValueError(f"style {style!r} applies to {' and '.join(STYLES[style][1])} tasks only (Figure 3), "
                         f"not to {task}")
    return style


def check_separator(separator, every, task=None):
    """Validated ``(separator, every)``: separators never contain a digit or a letter.

    A separator with a digit or letter could change the count or the answer itself
    (a '1', a 'car'). ``every`` defaults to 1 when a separator is given and must be
    None without one.

    Parameters
    ----------
    separator : str or None
        1-8 characters, none a digit or a letter.
    every : int or None
        Items per group, >= 1.
    task : str or None
        The sum ('1 + 1 + ...') takes no separator.

    Returns
    -------
    (str or None, int or None)

    Raises
    ------
    ValueError
        A bad separator or ``every`` (named), ``every`` without a separator, a separator in a sum.

    References
    ----------
    Barbero et al. (2024), Figure 5 (d) and Section 4 (p. 8): commas every third digit.

    Examples
    --------
    >>> check_separator(",", 3)
    (',', 3)
    >>> check_separator(None, 3)
    Traceback (most recent call last):
    ...
    ValueError: every must be None when separator is None, got 3
    """
    if separator is None:
        if every is not None:
            raise ValueError(f"every must be None when separator is None, got {every!r}")
        return None, None
    if not isinstance(separator, str) or not separator or len(separator) > 8 \
            or any(ch.isalnum() for ch in separator):
        raise ValueError(f"separator must be None or 1-8 characters without digits or letters, got {separator!r}")
    every = 1 if every is None else every
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be an integer >= 1, got {every!r}")
    if task == "sum":
        raise ValueError("separator: the sum '1 + 1 + ...' has no repeated sequence to separate")
    return separator, int(every)


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------- sequences


def task_seed(task, n, seed):
    """The entropy of the sampled sequence of ``task`` at length ``n``: ``[seed, crc32(task), n]``.

    Each (task, n) gets its own independent stream; the seed is recorded with the results.

    Parameters
    ----------
    task : str
    n : int
    seed : int

    Returns
    -------
    list of int
        Entropy for ``numpy.random.default_rng``.

    Raises
    ------
    TypeError
        ``task`` not a string.

    References
    ----------
    Barbero et al. (2024), Figure 3 (p. 5): Bernoulli sequences with probability 0.7.

    Examples
    --------
    >>> task_seed("count_word", 10, 0)
    [0, 2919009532, 10]
    """
    return [seed, zlib.crc32(task.encode()), n]


def _items(task, n, seed):
    """The sequence of ``task`` at length ``n`` as items, their joiner, and the truth."""
    rng = np.random.default_rng(task_seed(task, n, seed))
    if task == "copy_first":
        return ["0"] + ["1"] * n, "", "0"
    if task in ("copy_last", "copy_last_hint", "copy_type1", "copy_type2"):
        return ["1"] * n + ["0"], "", "0"
    if task in ("copy_last_01", "copy_last_10"):
        return list(task[-2:] * n) + ["0"], "", "0"
    if task == "sum":
        return ["1"] * n, " + ", str(n)
    if task == "count_ones":
        return ["1"] * n, "", str(n)
    if task == "count_bernoulli":
        items = ["1" if x else "0" for x in rng.random(n) < P_ONE]
        return items, "", str(items.count("1"))
    words = [("car" if rng.random() < P_CAR else WORDS[int(rng.integers(len(WORDS)))]) for _ in range(n)]
    return words, " ", str(words.count("car"))


def _partner(task, items):
    """The B.10 partner of a sequence: one more counted item (count), or the other last/first digit (copy).

    Count tasks append what is counted (Corollary B.10's ``[v v_a]`` vs ``[v v_a v_a]``);
    copy tasks change the copied digit to the repeated one ('1...10' vs '1...11', p. 4).
    """
    if TASKS[task].kind == "count":
        return items + ["car" if task == "count_word" else "1"]
    if task == "copy_first":
        return ["1"] + items[1:]
    return items[:-1] + ["1"]


def _truth(task, items):
    if TASKS[task].kind == "copy":
        return items[0] if task == "copy_first" else items[-1]
    return str(items.count("car" if task == "count_word" else "1"))


def render(items, joiner, separator=None, every=None):
    """The sequence as text: items joined, with ``separator`` after every ``every`` items (from the left).

    Parameters
    ----------
    items : list of str
        Digits or words.
    joiner : str
        Between items of a group: "" for digits, " " for words, " + " for the sum.
    separator : str or None
    every : int or None
        Validated by :func:`check_separator`.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        Items that are not strings.

    References
    ----------
    Barbero et al. (2024), Figure 5 (d) (p. 8).

    Examples
    --------
    >>> render(list("1111111"), "", ",", 3)
    '111,111,1'
    >>> render(["car", "bus", "car"], " ", ";", 2)
    'car bus; car'
    """
    if separator is None:
        return joiner.join(items)
    groups = [joiner.join(items[i:i + every]) for i in range(0, len(items), every)]
    return (separator + joiner).join(groups)


# --------------------------------------------------------------------------- examples (ours except the sum's)

#: Solved instances for the few-shot formats (ours): fixed, with answers that differ.
FEWSHOT_INSTANCES = {
    "last": (["0", "1", "1", "1"], ["1", "1", "0", "0"], ["0", "1", "0", "1"]),
    "first": (["1", "0", "0", "0"], ["0", "1", "1", "1"], ["1", "0", "1", "0"]),
    "sum": (["1"] * 4, ["1"] * 9, ["1"] * 6),
    "count_ones": (["1"] * 4, ["1"] * 9, ["1"] * 6),
    "count_bernoulli": (list("1101"), list("110111011"), list("011101")),
    "count_word": ("car bus car car".split(), "train car bike boat car van car bus car".split(),
                   "bus car van car car taxi".split()),
}
#: The worked CoT instances of the tasks without printed examples (ours; twelve and six
#: items, like the paper's two sums).
COT_INSTANCES = {
    "count_ones": (["1"] * 12, ["1"] * 6),
    "count_bernoulli": (list("110111011101"), list("101101")),
    "count_word": ("car bus car car train car bike car boat car van car".split(), "car bus car van car car".split()),
}
_UNIT = {"count_ones": ("sequence", "", "ones"), "count_bernoulli": ("sequence", "", "ones"),
         "count_word": ("sentence", " words", "'car's")}


def _question_line(task, seq):
    """The prompt's first sentence with ``seq`` (the paper's CoT examples open with it, no instruction)."""
    text = TASKS[task].template.format(seq=seq)
    return text[: text.index(". Please give")]


def _cot_example(task, items):
    """One worked example in the form of the paper's: groups of 5, the count per group, the answer line (ours)."""
    joiner = " " if task == "count_word" else ""
    what, unit, counted = _UNIT[task]
    groups = [items[i:i + 5] for i in range(0, len(items), 5)]
    key = "car" if task == "count_word" else "1"
    counts = " + ".join(str(g.count(key)) for g in groups)
    total = items.count(key)
    return "\n".join([_question_line(task, joiner.join(items)),
                      f"We divide the {what} into groups of 5{unit}.",
                      " + ".join("(" + joiner.join(g) + ")" for g in groups),
                      f"The {counted} in each group: {counts} = {total}",
                      f"{COUNT_FORMAT}{total}"])


def cot_examples(task):
    """The worked examples of the CoT-few-shot style: the paper's for the sum, ours for the rest.

    Parameters
    ----------
    task : str
        A counting task.

    Returns
    -------
    str
        The examples, one line each, after C.1's "Here are a few examples:".

    Raises
    ------
    KeyError
        A copy task (the paper has no CoT for copying).

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20): "With similar strategies for the 4 experiments".

    Examples
    --------
    >>> print(cot_examples("count_ones").split("\\n")[1:4])
    ['We divide the sequence into groups of 5.', '(11111) + (11111) + (11)', 'The ones in each group: 5 + 5 + 2 = 12']
    """
    if task == "sum":
        return PAPER_SUM_EXAMPLES
    return "\n".join(_cot_example(task, items) for items in COT_INSTANCES[task])


def _fewshot_block(task, spec, separator, every):
    """Three solved instances of ``task``'s own prompt, each with its answer line (ours)."""
    kind = "first" if task == "copy_first" else "last" if spec.kind == "copy" else task
    joiner = " + " if task == "sum" else " " if task == "count_word" else ""
    fmt = answer_format(task)
    shots = []
    for items in FEWSHOT_INSTANCES[kind]:
        seq = render(items, joiner, separator, every)
        shots.append(f"{spec.template.format(seq=seq)}\n{fmt}{_truth(task, items)}")
    return "\n\n".join(shots)


def answer_format(task):
    """The answer line the task's prompt asks for, up to the answer.

    Parameters
    ----------
    task : str

    Returns
    -------
    str

    Raises
    ------
    ValueError
        An unknown task.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20).

    Examples
    --------
    >>> answer_format("copy_last"), answer_format("sum")
    ('The answer to your question is: ', 'The final answer to your maths question is: ')
    """
    return COPY_FORMAT if TASKS[check_task(task)].kind == "copy" else COUNT_FORMAT


# --------------------------------------------------------------------------- prompts


@dataclass(frozen=True)
class TaskPrompt:
    """One prompt of a task, as text (made by :func:`build_pair`).

    Parameters
    ----------
    task, style : str
    n : int
        The length: ones (copy, sum, count_ones), digits (Bernoulli) or words (car).
    user : str
        The text the model is given (the user turn of an instruct model).
    answer_format : str
        The answer line, up to the answer ("The answer to your question is: ").
    truth : str
        The correct answer.
    sequence : str
        The sequence inside ``user``.
    prefilled : bool
        True for the few-shot style: decoding starts after ``answer_format``.
    seed : int or None
        The seed of a sampled sequence (None for deterministic ones).

    Raises
    ------
    Nothing: a frozen record.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20).

    Examples
    --------
    >>> p = build_prompt("count_ones", 3, "fewshot")
    >>> p.prefilled, p.truth, p.user.count(p.answer_format)
    (True, '3', 7)
    """

    task: str
    style: str
    n: int
    user: str
    answer_format: str
    truth: str
    sequence: str
    prefilled: bool
    seed: object


def _compose(task, style, seq, separator, every):
    """The user text of ``style`` around the task's prompt with ``seq``."""
    spec = TASKS[task]
    prompt = spec.template.format(seq=seq)
    if style == "answer":
        return prompt
    if style == "cot":
        return f"{prompt}\n{COT_INSTRUCTION}"
    if style == "cot_fewshot":
        return f"{prompt}\n{COT_HEAD}\n{cot_examples(task)}"
    return f"{_fewshot_block(task, spec, separator, every)}\n\n{prompt}"


def _prompt(task, style, n, seed, separator, every, items, joiner):
    seq = render(items, joiner, separator, every)
    sampled = task in ("count_bernoulli", "count_word")
    return TaskPrompt(task, style, n, _compose(task, style, seq, separator, every), answer_format(task),
                      _truth(task, items), seq, style == "fewshot", seed if sampled else None)


def build_pair(task, n, style="answer", seed=0, separator=None, every=None):
    """The prompt of ``task`` at length ``n`` and its Corollary B.10 partner.

    Parameters
    ----------
    task : str
        One of :data:`TASKS`.
    n : int
        The length (>= 1).
    style : str
        One of :data:`STYLES` that applies to the task.
    seed : int
        Seed of the sampled sequences (Bernoulli digits, word sentences).
    separator : str or None
        Written after every ``every`` items of the sequence (Figure 5 (d): commas every
        third digit); no digits or letters.
    every : int or None
        See ``separator``; default 1 with a separator.

    Returns
    -------
    (TaskPrompt, TaskPrompt)
        ``A``, and ``B``: for a count task the same sequence with one more counted item
        appended (answer one more); for a copy task the copied digit replaced by the
        repeated one ('1...10' -> '1...11': answer 1, not 0).

    Raises
    ------
    ValueError
        An unknown task or style, a style that does not apply, a bad ``n``, ``seed``,
        ``separator`` or ``every``.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20), Section 3 (pp. 4-6), Appendix C.1 (p. 20).

    Examples
    --------
    >>> a, b = build_pair("count_ones", 3)
    >>> a.truth, b.truth, a.sequence, b.sequence
    ('3', '4', '111', '1111')
    >>> a, b = build_pair("copy_last", 3, separator=",", every=2)
    >>> a.sequence, b.sequence, a.truth, b.truth
    ('11,10', '11,11', '0', '1')
    """
    check_style(style, check_task(task))
    n, seed = _check_n(n), _check_seed(seed)
    separator, every = check_separator(separator, every, task)
    items, joiner, _ = _items(task, n, seed)
    return (_prompt(task, style, n, seed, separator, every, items, joiner),
            _prompt(task, style, n, seed, separator, every, _partner(task, items), joiner))


def build_prompt(task, n, style="answer", seed=0, separator=None, every=None):
    """The prompt of ``task`` at length ``n`` (the first member of :func:`build_pair`).

    Parameters
    ----------
    task, n, style, seed, separator, every
        As :func:`build_pair`.

    Returns
    -------
    TaskPrompt

    Raises
    ------
    ValueError
        As :func:`build_pair`.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6), Appendix C.1 (p. 20).

    Examples
    --------
    >>> p = build_prompt("copy_last", 4)
    >>> p.user[:60]
    'Consider the following sequence: 11110. What is the last dig'
    >>> p.truth, p.answer_format
    ('0', 'The answer to your question is: ')
    """
    return build_pair(task, n, style, seed, separator, every)[0]
