"""The task sweep: which units to run, running them through :mod:`verify.sweep`, and reading the results.

Every unit is a :class:`verify.sweep.Task` of :func:`verify.tasks.engine.run_unit`, named
by its parameters: the model's sha256, dtype, task, style, length, seed (sampled tasks
only), separator, decoding budget, the prompts' digest and the engine version. The store
(``<cache>/tasks`` by default) is content-addressed and written atomically, so a rerun
costs nothing and a killed sweep resumes; results are the same serial or on Dask.

References
----------
Barbero et al. (2024), Section 3 (pp. 4-6), Appendix C.1-C.2 (pp. 20-21), C.5 (p. 23),
Corollary B.10 (p. 20).
"""

import os
from dataclasses import dataclass

import numpy as np

from verify.sweep import Task, run_sweep
from verify.tasks.engine import ENGINE_VERSION, MAX_NEW_TOKENS, prompt_digest
from verify.tasks.prompts import (
    COPY_TASKS,
    COUNT_TASKS,
    STYLES,
    TASKS,
    build_pair,
    check_separator,
    check_style,
    check_task,
)

__all__ = ["Grid", "GRIDS", "default_store", "plan_units", "run_units", "task_accuracy", "resolve_specs", "unit",
           "select", "accuracy", "abs_error", "combos", "base_rates", "modal_answer", "synthetic_rows", "DTYPES",
           "SAMPLED"]

DTYPES = ("fp32", "bf16", "fp16")
#: Tasks whose sequence is sampled (the seed is part of their store key, and recorded).
SAMPLED = ("count_bernoulli", "count_word")


@dataclass(frozen=True)
class Grid:
    """Tasks x styles x lengths of one part of the sweep (a style is run only where it applies).

    Parameters
    ----------
    tasks, styles : tuple of str
    lengths : tuple of int

    Raises
    ------
    Nothing: a frozen record.

    References
    ----------
    Barbero et al. (2024), Figures 2, 3 and 11 (pp. 4-5, 24): the lengths they sweep.

    Examples
    --------
    >>> GRIDS["count"].lengths[-1], GRIDS["copy"].styles
    (200, ('answer', 'fewshot'))
    """

    tasks: tuple
    styles: tuple
    lengths: tuple


#: The full sweep. Copying to 1,000 ones (Figure 2 goes to 500, Figure 11 to 1,500);
#: counting to 200 (Figure 3's range); the B.10 pairs densely to 2,000 in the few-shot format,
#: whose greedy answer costs a few tokens.
GRIDS = {
    "copy": Grid(COPY_TASKS, ("answer", "fewshot"), (5, 10, 20, 50, 100, 200, 300, 500, 1000)),
    "count": Grid(COUNT_TASKS, ("answer", "cot", "cot_fewshot", "fewshot"), (5, 10, 20, 50, 100, 150, 200)),
    "b10": Grid(("count_ones", "copy_last"), ("fewshot",),
                (2, 3, 5, 8, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000)),
}


def default_store():
    """``<cache>/tasks``: the content-addressed store of task units (see :func:`verify.models.sources.cache_root`).

    Returns
    -------
    str

    Raises
    ------
    Nothing.

    References
    ----------
    Infrastructure of the Section 3 experiments (Barbero et al. (2024), pp. 4-6).

    Examples
    --------
    >>> default_store().endswith("tasks")
    True
    """
    from verify.models.sources import cache_root

    return os.path.join(cache_root(), "tasks")


def resolve_specs(models):
    """Resolved model specs of ``models`` (names, paths, specs or "default").

    Parameters
    ----------
    models : str, ModelSpec or sequence of them

    Returns
    -------
    tuple of ModelSpec

    Raises
    ------
    ValueError
        A model that cannot be resolved (as :func:`verify.models.sources.resolve_model`).

    References
    ----------
    Infrastructure of the Section 3 experiments (Barbero et al. (2024), pp. 4-6).

    Examples
    --------
    >>> resolve_specs("/nonexistent.gguf")
    Traceback (most recent call last):
    ...
    ValueError: model: /nonexistent.gguf does not exist (expected a default model name: ...)
    """
    from verify.models.sources import resolve_models

    if hasattr(models, "sha256"):
        return (models,)
    if isinstance(models, str):
        models = [models]
    out = []
    for m in models:
        out += [m] if hasattr(m, "sha256") else list(resolve_models([m]))
    return tuple(out)


def _check_dtype(dtype):
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dtype


def unit(spec, dtype, task, style, n, seed=0, separator=None, every=None, max_new_tokens=None):
    """The :class:`~verify.sweep.Task` of one unit (its parameters are its store key).

    Parameters
    ----------
    spec : ModelSpec
    dtype : {"fp32", "bf16", "fp16"}
    task, style, n, seed, separator, every
        As :func:`verify.tasks.prompts.build_pair`; the seed is kept only for sampled tasks.
    max_new_tokens : int or None
        Default :data:`verify.tasks.engine.MAX_NEW_TOKENS` of the style.

    Returns
    -------
    verify.sweep.Task

    Raises
    ------
    ValueError
        A bad argument, named.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20) and Appendix C.1 (p. 20).

    Examples
    --------
    >>> from verify.models.sources import ModelSpec
    >>> spec = ModelSpec("m", "m", "hf", "/m", "0" * 64, "/m")
    >>> t = unit(spec, "fp32", "count_ones", "fewshot", 5)
    >>> t.func, t.params["n"], t.params["max_new_tokens"], t.params["seed"]
    ('verify.tasks.engine:run_unit', 5, 8, 0)
    """
    check_style(style, task)
    _check_dtype(dtype)
    seed = seed if task in SAMPLED else 0  # deterministic prompts share their entries across seeds
    a, b = build_pair(task, n, style, seed, separator, every)
    separator, every = check_separator(separator, every, task)
    budget = MAX_NEW_TOKENS[style] if max_new_tokens is None else max_new_tokens
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
    return Task("verify.tasks.engine:run_unit",
                {"model": spec.key, "sha256": spec.sha256, "dtype": dtype, "task": task, "style": style,
                 "n": int(n), "seed": seed, "separator": separator, "every": every, "max_new_tokens": budget,
                 "prompt_sha256": prompt_digest(a, b), "engine": ENGINE_VERSION})


def _names(values, known, what):
    values = list(values)
    for v in values:
        if v not in known:
            raise ValueError(f"{what} must be among {', '.join(known)}, got {v!r}")
    return values


def plan_units(models, dtypes=("fp32", "bf16"), grids=("copy", "count", "b10"), tasks=None, styles=None,
               lengths=None, seed=0, separator=None, every=None):
    """The units of a sweep, grouped by model and dtype (each worker then loads few models).

    Parameters
    ----------
    models : sequence of ModelSpec
    dtypes : sequence of str
    grids : sequence of str
        Keys of :data:`GRIDS`.
    tasks, styles : sequence of str or None
        Keep only these (None: the grids' own).
    lengths : sequence of int or None
        Replace every grid's lengths.
    seed : int
        Seed of the sampled tasks.
    separator, every
        As :func:`verify.tasks.prompts.build_pair`.

    Returns
    -------
    list of (ModelSpec, Task)
        Without duplicates, in a fixed order.

    Raises
    ------
    ValueError
        Unknown names, or nothing left to run.

    References
    ----------
    Barbero et al. (2024), Figures 2, 3, 6, 11 (pp. 4-5, 21, 24).

    Examples
    --------
    >>> from verify.models.sources import ModelSpec
    >>> spec = ModelSpec("m", "m", "hf", "/m", "0" * 64, "/m")
    >>> len(plan_units([spec], ["fp32"], ["b10"], tasks=["copy_last"], lengths=[2, 4]))
    2
    """
    from verify.models.prompts import check_lengths

    grids = _names(grids, GRIDS, "grids")
    dtypes = [_check_dtype(d) for d in dtypes]
    keep_tasks = set(_names(tasks, TASKS, "tasks")) if tasks is not None else None
    keep_styles = set(_names(styles, STYLES, "styles")) if styles is not None else None
    lengths = check_lengths(lengths) if lengths is not None else None
    out, seen = [], set()
    for spec in models:
        for dtype in dtypes:
            for g in grids:
                grid = GRIDS[g]
                for task in grid.tasks:
                    for style in grid.styles:
                        if (keep_tasks is not None and task not in keep_tasks) or \
                                (keep_styles is not None and style not in keep_styles) or \
                                TASKS[task].kind not in STYLES[style][1]:
                            continue
                        for n in lengths or grid.lengths:
                            t = unit(spec, dtype, task, style, n, seed, separator, every)
                            if t.key() not in seen:
                                seen.add(t.key())
                                out.append((spec, t))
    if not out:
        raise ValueError("tasks/styles: nothing to run (no style of the selection applies to its tasks)")
    return out


def run_units(planned, store=None, scheduler=None, workers=2, progress=None):
    """Run (or read back) the planned units; rows = each result with its model's label and sha256.

    Parameters
    ----------
    planned : list of (ModelSpec, Task)
    store : str or None
        Default :func:`default_store`.
    scheduler, workers, progress
        As :func:`verify.sweep.run_sweep`.

    Returns
    -------
    list of dict
        The results of :func:`verify.tasks.engine.run_unit`, in the order of ``planned``.

    Raises
    ------
    verify.sweep.SweepError
        A scheduler that does not answer, or a unit that raised (named).

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6).

    Examples
    --------
    >>> from verify.models.sources import resolve_model
    >>> spec = resolve_model("smollm2-135m")  # doctest: +SKIP
    >>> rows = run_units(plan_units([spec], ["bf16"], ["b10"], tasks=["copy_last"], lengths=[5]),
    ...                  scheduler="serial")  # doctest: +SKIP
    >>> rows[0]["pair"]["correct"]  # doctest: +SKIP
    ['0', '1']
    """
    store = _check_store(store or default_store())
    from verify.sweep import SharedCluster

    if scheduler is not None and not isinstance(scheduler, (str, SharedCluster)):
        raise ValueError(f"scheduler must be None, 'serial', an address or a SharedCluster, got {scheduler!r}")
    results = run_sweep([t for _, t in planned], store, scheduler=scheduler, workers=workers, progress=progress)
    return [dict(r, model=spec.label, sha256=spec.sha256) for (spec, _), r in zip(planned, results)]


def _check_store(store):
    """``store``, created if needed; an error naming it when it cannot be written (before any work)."""
    if not isinstance(store, (str, os.PathLike)):
        raise ValueError(f"store must be a directory path, got {store!r}")
    try:
        os.makedirs(store, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"store: cannot create {store}: {exc.strerror}") from None
    if not os.access(store, os.W_OK | os.X_OK):
        raise ValueError(f"store: {store} is not writable")
    return str(store)


def task_accuracy(model, task, lengths, dtype="fp32", separator=None, every=None, style="answer", seed=0,
                  store=None, scheduler="serial"):
    """Accuracy of a model on a Section 3 task at each length, optionally with separators in the sequence.

    The interface of the glasses prescription (issue 12): the repeated sequence is written
    with ``separator`` after every ``every`` items, counted from the left (Figure 5 (d)
    puts commas every third digit: ``separator=",", every=3`` gives ``111,111,1``). Each
    length is one prompt, answered by greedy decoding and parsed from the exact format;
    results come from (and go to) the content-addressed task store.

    Parameters
    ----------
    model : str or ModelSpec
        A default model's name ("gemma3-270m", "smollm2-135m"), a GGUF file or a Hugging
        Face directory.
    task : str
        One of :data:`verify.tasks.prompts.TASKS`, e.g. "count_ones" or "copy_last".
    lengths : sequence of int
        Lengths n >= 1 (ones, digits or words, see the task).
    dtype : {"fp32", "bf16", "fp16"}
    separator : str or None
        ",", " ", ", ", ";", "\\n", "|", ...: 1-8 characters, no digit or letter.
    every : int or None
        Items per group (>= 1); default 1 with a separator; must be None without one.
    style : str
        "answer" (the paper's prompt), "fewshot", or for count tasks "cot", "cot_fewshot".
    seed : int
        Seed of the sampled tasks (count_bernoulli, count_word).
    store : str or None
        The task store (default ``<cache>/tasks``).
    scheduler : "serial", None, str or verify.sweep.SharedCluster
        As :func:`verify.sweep.run_sweep` (default: in this process).

    Returns
    -------
    dict
        JSON-able: ``{"n": [...], "correct": [bool], "answers": [str or None],
        "unparsable": [bool], "truth": [str]}``, one entry per length in increasing order;
        an unparsable answer is neither correct nor an answer (``answers`` holds None).

    Raises
    ------
    ValueError
        A bad argument (named in the message), a model that cannot be resolved, a prompt
        longer than the model's context.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6), Figure 5 (d) and Section 4 (p. 8),
    Appendix C.1 (p. 20).

    Examples
    --------
    >>> r = task_accuracy("smollm2-135m", "count_ones", [5, 8], separator=",", every=3,
    ...                   style="fewshot")  # doctest: +SKIP
    >>> sorted(r)  # doctest: +SKIP
    ['answers', 'correct', 'n', 'truth', 'unparsable']
    """
    from verify.models.prompts import check_lengths

    check_task(task)
    check_style(style, task)
    lengths = check_lengths(lengths)
    (spec,) = resolve_specs(model)[:1]
    planned = [(spec, unit(spec, dtype, task, style, n, seed, separator, every)) for n in lengths]
    rows = run_units(planned, store=store, scheduler=scheduler)
    gen = [r["generation"] for r in rows]
    return {"n": lengths, "correct": [g["category"] == "correct" for g in gen],
            "answers": [g["answer"] for g in gen], "unparsable": [g["category"] == "unparsable" for g in gen],
            "truth": [r["truth"] for r in rows]}


# --------------------------------------------------------------------------- reading results


def select(rows, **match):
    """The rows whose fields equal ``match`` (e.g. ``model=..., dtype="bf16", task="copy_last"``), by n.

    Parameters
    ----------
    rows : list of dict
    **match
        Field values the rows must have.

    Returns
    -------
    list of dict
        Sorted by n.

    Raises
    ------
    KeyError
        Rows without ``n``.

    References
    ----------
    Barbero et al. (2024), Section 3 (pp. 4-6).

    Examples
    --------
    >>> [r["n"] for r in select(synthetic_rows(lengths=(9, 3)), task="count_ones")]
    [3, 9]
    """
    out = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    return sorted(out, key=lambda r: r["n"])


def accuracy(rows):
    """Fraction of correct answers among ``rows`` (unparsable ones count as not correct), or None.

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    float or None
        None for no rows.

    Raises
    ------
    KeyError
        Rows without a generation.

    References
    ----------
    Barbero et al. (2024), Figure 2 (p. 4): correct or not per length.

    Examples
    --------
    >>> accuracy(synthetic_rows(lengths=(3, 4), answers=("3", None)))
    0.5
    """
    return float(np.mean([r["generation"]["category"] == "correct" for r in rows])) if rows else None


def abs_error(row):
    """|answer - truth| of a parsed count answer, None when unparsable.

    Parameters
    ----------
    row : dict

    Returns
    -------
    int or None

    Raises
    ------
    ValueError
        A truth or answer that is not an integer (a copy task's answers are digits, fine).

    References
    ----------
    Barbero et al. (2024), Figure 3 (p. 5): absolute error.

    Examples
    --------
    >>> [abs_error(r) for r in synthetic_rows(lengths=(3, 4), answers=("5", None))]
    [2, None]
    """
    a = row["generation"]["answer"]
    return None if a is None else abs(int(a) - int(row["truth"]))


def combos(rows):
    """The (model, dtype, task, style) combinations present, in a fixed order.

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    list of tuple

    Raises
    ------
    KeyError
        Rows without those fields.

    References
    ----------
    Barbero et al. (2024), Figure 3 (p. 5): one panel per task and style.

    Examples
    --------
    >>> combos(synthetic_rows())
    [('M', 'fp32', 'count_ones', 'fewshot')]
    """
    order = {t: i for i, t in enumerate(TASKS)}
    keys = {(r["model"], r["dtype"], r["task"], r["style"]) for r in rows}
    return sorted(keys, key=lambda k: (k[0], DTYPES.index(k[1]), order[k[2]], list(STYLES).index(k[3])))


def base_rates(task, lengths, seed=0):
    """What trivial answer policies score on ``task`` over ``lengths``: the floor a model's result reads against.

    Copy tasks: always the correct digit ('0') scores 1, always the repeated digit ('1')
    scores 0, and any constant answer gets exactly one member of each B.10 pair right.
    Count tasks: the best constant answer (accuracy and mean absolute error), the median
    constant, and for sampled sequences the expected count given the length.

    Parameters
    ----------
    task : str
    lengths : sequence of int
    seed : int
        Of the sampled tasks.

    Returns
    -------
    list of (str, str, float)
        ``(policy, measure, value)`` rows.

    Raises
    ------
    ValueError
        An unknown task or a bad length.

    References
    ----------
    Barbero et al. (2024), Section 3.2 (p. 6): answers near 100 ("subitising").

    Examples
    --------
    >>> base_rates("copy_last", [5, 10])[:2]
    [("always '0' (the answer)", 'accuracy', 1.0), ("always '1' (the repeated digit)", 'accuracy', 0.0)]
    >>> base_rates("count_ones", [5, 10, 20])[0]
    ('best constant', 'accuracy', 0.3333333333333333)
    """
    from verify.tasks.prompts import P_CAR, P_ONE

    check_task(task)
    if TASKS[task].kind == "copy":
        return [("always '0' (the answer)", "accuracy", 1.0), ("always '1' (the repeated digit)", "accuracy", 0.0),
                ("any constant, both members of a B.10 pair", "accuracy", 0.0)]
    truths = np.array([int(build_pair(task, n, "answer", seed)[0].truth) for n in lengths])
    values, counts = np.unique(truths, return_counts=True)
    median = float(np.median(truths))
    rows = [("best constant", "accuracy", float(counts.max() / len(truths))),
            (f"median constant ({median:g})", "mean |error|", float(np.abs(truths - median).mean())),
            ("always 100 (the paper's subitising value, p. 5)", "mean |error|", float(np.abs(truths - 100).mean()))]
    p = {"count_bernoulli": P_ONE, "count_word": P_CAR}.get(task)
    if p is not None:
        expected = np.round(p * np.asarray(list(lengths)))
        rows.append((f"round({p} n) (knows only the length)", "mean |error|", float(np.abs(truths - expected).mean())))
    return rows


def modal_answer(rows):
    """The model's most frequent parsed answer over ``rows`` and its share of all rows, or (None, 0.0).

    Parameters
    ----------
    rows : list of dict

    Returns
    -------
    (str or None, float)

    Raises
    ------
    KeyError
        Rows without a generation.

    References
    ----------
    Barbero et al. (2024), Figures 4 and 7 (pp. 6, 21): the most frequent outputs.

    Examples
    --------
    >>> modal_answer(synthetic_rows(lengths=(3, 4, 5), answers=("4", "4", None)))
    ('4', 0.6666666666666666)
    """
    answers = [r["generation"]["answer"] for r in rows if r["generation"]["answer"] is not None]
    if not answers:
        return None, 0.0
    values, counts = np.unique(answers, return_counts=True)
    k = int(np.argmax(counts))
    return str(values[k]), float(counts[k] / len(rows))


def synthetic_rows(task="count_ones", lengths=(5, 10), answers=None, model="M", dtype="fp32", style="fewshot"):
    """Rows shaped like :func:`run_units`' output with stated answers: for examples and tests of the readers.

    These are not model outputs: the answers are given, the pair distance is ``1/n``.

    Parameters
    ----------
    task : str
    lengths : sequence of int
    answers : sequence of (str or None) or None
        The parsed answer per length (None: unparsable); default the truth.
    model, dtype, style : str

    Returns
    -------
    list of dict

    Raises
    ------
    ValueError
        A bad task or length.

    References
    ----------
    Barbero et al. (2024), Corollary B.10 (p. 20): the fields of a pair.

    Examples
    --------
    >>> synthetic_rows(lengths=(3,))[0]["generation"]["category"]
    'correct'
    """
    out = []
    for k, n in enumerate(lengths):
        a, b = build_pair(task, n, style)
        ans = a.truth if answers is None else answers[k]
        category = "unparsable" if ans is None else "correct" if ans == a.truth else "wrong"
        common = len(os.path.commonprefix([a.truth, b.truth]))
        out.append({"task": task, "style": style, "n": n, "dtype": dtype, "seed": None, "truth": a.truth,
                    "truth_b": b.truth, "model": model, "sha256": "0" * 64,
                    "generation": {"text": "", "new_tokens": 1, "stop": "eos", "answer": ans, "category": category,
                                   "reason": "format absent" if ans is None else ""},
                    "answer_position": {m: {"p_first": 0.5, "rank_first": 1, "greedy_first": "1",
                                            "logp_answer": -1.0} for m in ("a", "b")},
                    "pair": {"gap": [0.5, 0.5], "u_l1": 10.0, "linf": 1.0 / n, "certified": 10.0 / n < 1.0,
                             "separable": False, "correct": [a.truth[common], b.truth[common]],
                             "greedy": [a.truth[common]] * 2, "same_greedy": True, "identical_states": False,
                             "identical_distributions": False, "scale": 40.0, "tv": 0.1 / n,
                             "p_correct": [0.5, 0.1], "rank_correct": [1, 2], "shared_digits": a.truth[:common],
                             "shared_prefix": 10}})
    return out
