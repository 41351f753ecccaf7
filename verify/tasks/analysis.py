"""Corollary B.10 on a real model, read from task units: distances, identical states, certified errors, onsets.

For each model, task and style, and each dtype, the pair curve over n: the L-infinity
distance of the final states at the distinguishing position, the format's resolution at
their scale, whether the states (and the next-token distributions) are bitwise identical,
whether the greedy tokens coincide, the total variation, and the readout certificate
(:func:`verify.tasks.engine.certificate`). The *predicted onset* is the first n from
which the fp32 distance stays below the bf16 resolution at the state's scale (bf16
could not tell the two prompts apart from there on, Theorem B.3 and Section 4); the
*observed onset* is the first n from which no answer of the bf16 model is correct.

References
----------
Barbero et al. (2024), Corollary B.10 (p. 20), Theorem B.3 (p. 15), Figure 5 (p. 8).
"""

import numpy as np

from theory.collapse import observed_onset
from theory.precision import resolution_at_scale
from verify.tasks.run import select

__all__ = ["pair_curve", "b10_summary", "first_from", "witnesses", "b10_sentences"]


def pair_curve(rows):
    """Arrays over n of one (model, dtype, task, style): the pair measurements and the answers.

    Parameters
    ----------
    rows : list of dict
        Rows of one model, dtype, task and style, sorted by n (:func:`verify.tasks.run.select`).

    Returns
    -------
    dict of numpy arrays
        ``n``, ``linf``, ``scale``, ``resolution`` (the dtype's ulp at the scale),
        ``bf16_resolution``, the flags ``identical_states``, ``identical_distributions``,
        ``same_greedy``, ``certified``, ``separable``, ``both_right``, ``correct``,
        ``unparsable``, and ``tv``.

    Raises
    ------
    KeyError
        Rows without a pair.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20), Figure 5 (p. 8).

    Examples
    --------
    >>> from verify.tasks.run import synthetic_rows
    >>> c = pair_curve(synthetic_rows(lengths=(5, 20)))
    >>> c["n"].tolist(), c["certified"].tolist(), pair_curve([])["n"].size
    ([5, 20], [False, True], 0)
    """
    def col(f):
        return np.array([f(r) for r in rows])

    dtype = rows[0]["dtype"] if rows else "fp32"
    p = [r["pair"] for r in rows]
    return {
        "n": col(lambda r: r["n"]).astype(int),
        "linf": np.array([x["linf"] for x in p], dtype=float),
        "scale": np.array([x["scale"] for x in p], dtype=float),
        "resolution": np.array([resolution_at_scale(x["scale"], dtype) for x in p], dtype=float),
        "bf16_resolution": np.array([resolution_at_scale(x["scale"], "bf16") for x in p], dtype=float),
        "identical_states": np.array([x["identical_states"] for x in p], dtype=bool),
        "identical_distributions": np.array([x["identical_distributions"] for x in p], dtype=bool),
        "same_greedy": np.array([x["same_greedy"] for x in p], dtype=bool),
        "tv": np.array([x["tv"] for x in p], dtype=float),
        "certified": np.array([x["certified"] for x in p], dtype=bool),
        "separable": np.array([x["separable"] for x in p], dtype=bool),
        "both_right": np.array([x["greedy"] == x["correct"] for x in p], dtype=bool),
        "correct": col(lambda r: r["generation"]["category"] == "correct").astype(bool),
        "unparsable": col(lambda r: r["generation"]["category"] == "unparsable").astype(bool),
    }


def first_from(n, flags):
    """The first n from which ``flags`` hold for every later n (None if not at the last one).

    Parameters
    ----------
    n : sequence of int
    flags : sequence of bool

    Returns
    -------
    int or None

    Raises
    ------
    IndexError
        ``n`` shorter than ``flags``.

    References
    ----------
    Barbero et al. (2024), Section 4 (p. 7): an onset is where a property starts to hold for good.

    Examples
    --------
    >>> first_from([1, 2, 3, 4], [True, False, True, True])
    3
    """
    flags = list(flags)
    if not flags or not flags[-1]:
        return None
    k = len(flags)
    while k > 0 and flags[k - 1]:
        k -= 1
    return int(n[k])


def witnesses(curve):
    """Counts of the B.10 implications on one curve: premise met, and conclusion violated.

    ``identical``: bitwise-identical states; ``identical_broken``: of those, pairs whose
    distributions or greedy tokens differ (must be 0). ``certified``: pairs the readout
    certificate covers; ``certified_broken``: of those, pairs where both members still
    prefer their own answer (must be 0).

    Parameters
    ----------
    curve : dict
        A :func:`pair_curve`.

    Returns
    -------
    dict
        The counts above, ``pairs``, ``same_greedy``, and the first n with a certified or
        an identical pair (None if none).

    Raises
    ------
    KeyError
        Not a pair curve.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20).

    Examples
    --------
    >>> from verify.tasks.run import synthetic_rows
    >>> w = witnesses(pair_curve(synthetic_rows(lengths=(5, 20, 40))))
    >>> w["certified"], w["first_certified"], w["identical"]
    (2, 20, 0)
    """
    ident = curve["identical_states"]
    cert = curve["certified"]
    broken = ident & ~(curve["identical_distributions"] & curve["same_greedy"])
    return {"pairs": int(ident.size), "identical": int(ident.sum()), "identical_broken": int(broken.sum()),
            "certified": int(cert.sum()), "certified_broken": int((cert & curve["separable"]).sum()),
            "same_greedy": int(curve["same_greedy"].sum()),
            "first_certified": int(curve["n"][cert][0]) if cert.any() else None,
            "first_identical": int(curve["n"][ident][0]) if ident.any() else None}


def b10_summary(rows, model, task, style):
    """Per dtype: the pair curve and its witness counts; the predicted and observed onsets.

    Parameters
    ----------
    rows : list of dict
        Rows of any models and dtypes (those of ``model``, ``task``, ``style`` are used).
    model, task, style : str

    Returns
    -------
    dict
        ``curves`` {dtype: curve}, ``witnesses`` {dtype: counts}, ``predicted_onset`` (from
        the fp32 distance against the bf16 resolution), ``observed_onset`` (first n from
        which the bf16 answers are never correct), ``accuracy`` {dtype: mean}.

    Raises
    ------
    ValueError
        Lengths that are not increasing (from :func:`theory.collapse.observed_onset`).

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20), Theorem B.3 (p. 15), Figure 5 (p. 8).

    Examples
    --------
    >>> from verify.tasks.run import synthetic_rows
    >>> rows = synthetic_rows(lengths=(5, 20)) + synthetic_rows(lengths=(5, 20), answers=("5", "1"), dtype="bf16")
    >>> s = b10_summary(rows, "M", "count_ones", "fewshot")
    >>> sorted(s["curves"]), s["observed_onset"], s["predicted_onset"]
    (['bf16', 'fp32'], 20, 5)
    """
    curves = {}
    for dtype in ("fp32", "bf16", "fp16"):
        sel = select(rows, model=model, dtype=dtype, task=task, style=style)
        if sel:
            curves[dtype] = pair_curve(sel)
    out = {"curves": curves, "witnesses": {d: witnesses(c) for d, c in curves.items()},
           "accuracy": {d: float(c["correct"].mean()) for d, c in curves.items()},
           "predicted_onset": None, "observed_onset": None}
    if "fp32" in curves and curves["fp32"]["n"].size:
        c = curves["fp32"]
        out["predicted_onset"] = observed_onset(c["n"], c["linf"], c["bf16_resolution"])
    if "bf16" in curves:
        c = curves["bf16"]
        out["observed_onset"] = first_from(c["n"], ~c["correct"])
    return out


def b10_sentences(summaries):
    """One sentence per (model, task): the corollary's premise and conclusion as measured, beside the paper.

    The paper (Section 4, Figure 5) reads collapse off the fp32 distance falling below the
    bf16 resolution and concludes (Corollary B.10) that one of the two prompts must then
    be answered wrongly.

    Parameters
    ----------
    summaries : dict
        ``{(model, task, style): b10_summary(...)}``.

    Returns
    -------
    list of str

    Raises
    ------
    KeyError
        Summaries without witnesses.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20), Section 4 and Figure 5 (pp. 7-8).

    Examples
    --------
    >>> from verify.tasks.run import synthetic_rows
    >>> s = b10_summary(synthetic_rows(lengths=(5, 20), dtype="bf16"), "M", "count_ones", "fewshot")
    >>> b10_sentences({("M", "count_ones", "fewshot"): s})[0][:40]
    'Corollary B.10 (count_ones, fewshot): th'
    """
    out = []
    for (model, task, style), s in summaries.items():
        w = s["witnesses"].get("bf16", {})
        n_max = int(max(c["n"].max() for c in s["curves"].values()))
        pred = (f"that happens from n = {s['predicted_onset']} (predicted onset)" if s["predicted_onset"] is not None
                else f"the fp32 distance is still above it at n = {n_max} (no predicted onset)")
        obs = (f"never correct from n = {s['observed_onset']} on (observed onset)" if s["observed_onset"] is not None
               else f"still correct at n = {n_max}")
        out.append(f"Corollary B.10 ({task}, {style}): the paper expects bf16 states to become indistinguishable "
                   f"once the fp32 distance falls below the bf16 resolution. {model}: {pred}; bitwise-identical "
                   f"bf16 states in {w.get('identical', 0)} of {w.get('pairs', 0)} pairs up to n = {n_max}; the "
                   f"readout certificate proves a wrong member in {w.get('certified', 0)} bf16 pairs; the bf16 "
                   f"answers are {obs}.")
    return out
