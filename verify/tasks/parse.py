"""Reading a model's answer from the exact format its prompt asked for; unparsable is its own category.

The prompts of Appendix C.1 ask for one line: "The final answer to your maths question is:
xxxx" (counting) or "The answer to your question is: <ANSWER>" (copying). An answer is the
integer after the *last* occurrence of that exact line ("on the final line"): digits,
optionally with thousands commas, optionally wrapped the way the placeholder was
(``<0>``, quotes, ``**0**``). Anything else is *unparsable*, with its reason, and is
never scored as right or wrong:

- ``"format absent"``: the line never appears (e.g. "The final answer ... is 1.", no colon);
- ``"format absent, cut off"``: the same, and decoding stopped at its token budget;
- ``"not a number"``: the line appears with something else after it (the echoed
  placeholder ``xxxx`` or ``<ANSWER>``, a word).

References
----------
Barbero et al. (2024), Appendix C.1 (p. 20).
"""

import re
from dataclasses import dataclass

__all__ = ["Parsed", "parse_answer", "answer_complete", "CATEGORIES"]

CATEGORIES = ("correct", "wrong", "unparsable")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"
_WRAP = r"(?P<open><|\*\*|[\u2018\u2019'\"`])?"
_CLOSE = {"<": ">", "**": "**"}


@dataclass(frozen=True)
class Parsed:
    """A parsed answer (made by :func:`parse_answer`).

    Parameters
    ----------
    category : {"correct", "wrong", "unparsable"}
    answer : str or None
        The integer as written without commas (``"1000"`` for ``"1,000"``); None when unparsable.
    reason : str
        Why it is unparsable ("" otherwise).

    Raises
    ------
    Nothing: a frozen record.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20).

    Examples
    --------
    >>> Parsed("unparsable", None, "format absent").answer is None
    True
    """

    category: str
    answer: object
    reason: str = ""


def _after_last(text, fmt):
    """The text after the last occurrence of ``fmt`` (the format up to its answer), or None."""
    head = fmt.rstrip()
    at = text.rfind(head)
    return None if at < 0 else text[at + len(head):]


def _number(rest):
    """The wrapped or bare integer at the start of ``rest`` (after spaces), or None."""
    match = re.match(r"[ \t]*" + _WRAP + r"(?P<num>" + _NUMBER + r")", rest)
    if match is None:
        return None
    opening = match.group("open")
    tail = rest[match.end():]
    if opening and not tail.startswith(_CLOSE.get(opening, opening)):
        return None
    if not opening and tail[:1].isalnum():
        return None  # '12abc' is not a number
    return match.group("num").replace(",", "")


def parse_answer(text, fmt, truth, cut_off=False):
    """Parse ``text`` for the answer after the exact format ``fmt``.

    Parameters
    ----------
    text : str
        The model's output (for a prefilled prompt, the answer line and the output).
    fmt : str
        The answer line up to the answer, e.g. ``"The answer to your question is: "``.
    truth : str
        The correct answer, as digits.
    cut_off : bool
        Decoding stopped at its token budget (recorded in the reason when unparsable).

    Returns
    -------
    Parsed

    Raises
    ------
    TypeError
        ``text``, ``fmt`` or ``truth`` not a string.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20): "Please give the answer on the final line
    exactly as ...".

    Examples
    --------
    >>> fmt = "The final answer to your maths question is: "
    >>> parse_answer("...so The final answer to your maths question is: 1,024.", fmt, "1024")
    Parsed(category='correct', answer='1024', reason='')
    >>> parse_answer("The final answer to your maths question is 12.", fmt, "12").reason
    'format absent'
    >>> parse_answer("exactly as ’The final answer to your maths question is: xxxx’", fmt, "3").reason
    "not a number: 'xxxx’'"
    >>> parse_answer("The answer to your question is: <0>", "The answer to your question is: ", "0").category
    'correct'
    """
    for name, value in (("text", text), ("fmt", fmt), ("truth", truth)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    rest = _after_last(text, fmt)
    if rest is None:
        return Parsed("unparsable", None, "format absent, cut off" if cut_off else "format absent")
    answer = _number(rest)
    if answer is None:
        shown = rest.strip().split("\n")[0][:24]
        return Parsed("unparsable", None, f"not a number: {shown!r}")
    return Parsed("correct" if answer == truth else "wrong", answer)


def answer_complete(text, fmt):
    """Whether ``text`` already holds a finished numeric answer (decoding can stop).

    Finished means the format, an integer, and a character that cannot continue it.

    Parameters
    ----------
    text : str
        The output so far (for a prefilled prompt, with the answer line before it).
    fmt : str
        The answer line up to the answer.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        ``text`` or ``fmt`` not a string.

    References
    ----------
    Barbero et al. (2024), Appendix C.1 (p. 20).

    Examples
    --------
    >>> fmt = "The answer to your question is: "
    >>> answer_complete("The answer to your question is: 1", fmt), answer_complete(fmt + "10.", fmt)
    (False, True)
    """
    if not isinstance(text, str) or not isinstance(fmt, str):
        raise TypeError(f"text and fmt must be strings, got {type(text).__name__}, {type(fmt).__name__}")
    rest = _after_last(text, fmt)
    if rest is None:
        return False
    match = re.match(r"[ \t]*" + _WRAP + r"(" + _NUMBER + r")(?P<after>.)", rest, flags=re.S)
    return bool(match) and not match.group("after").isdigit() and match.group("after") != ","
