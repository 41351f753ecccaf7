"""The glasses prescription: plan the grid, run it through :mod:`verify.sweep`, summarise it.

For a model, a task and a dtype, each cell of the grid (separator x spacing ``k``) gets

- the *distinguishability margin* ``m_n = ||y_n - y*_{n+1}||_inf / res(max|y_n|)`` for every
  count ``n <= N``, where ``res`` is the dtype's resolution at the representation's
  scale (:func:`theory.prescription.distinguishability_margin`): below 1 the format
  cannot tell the prompt with ``n`` ones from the one with ``n + 1``;
- its minimum over ``n <= N``, where that minimum sits, its *reach* (the largest ``N'``
  with ``m_n >= 1`` for every ``n <= N'``) and its profile (the minimum over each
  octave of ``n``);
- the token overhead: the separator tokens among the first ``N`` digits;
- the tokenisation, as found in the token stream (:func:`verify.prescribe.grid.locate_digits`).

The recommendation for a (model, dtype) is the cheapest cell (fewest extra tokens;
then the larger margin) whose margin stays ``>= 1`` for every ``n <= N``. The same grid
runs on the synthetic Transformer (:func:`theory.prescription.synthetic_prescription`,
NoPE, ALiBi and RoPE) for the theory's prediction.

Every forward pass is one independent task of one sweep (:func:`verify.sweep.run_sweep`):
a local Dask cluster by default, an existing one with ``scheduler="tcp://..."``, or
``"serial"``; results are content-addressed, so a killed run resumes and a rerun is free.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from theory.prescription import SYNTHETIC_ENCODINGS, distinguishability_margin, margin_reach
from verify.models.cached import model_ref, tokenizer_and_architecture
from verify.prescribe.grid import (
    DEFAULT_SPACINGS,
    SEPARATORS,
    check_max_length,
    check_task,
    grid_settings,
    locate_digits,
)
from verify.prescribe.passes import MODEL_TASK, PAIRS, PASS_VERSION, THEORY_TASK
from verify.sweep import Task, run_sweep, shared_cluster

__all__ = ["DTYPES", "SCHEMA", "THEORY_MODEL", "Plan", "plan_prescription", "prescribe", "summarise_cell",
           "recommend", "default_store", "octave_profile", "octave_slope"]

DTYPES = ("fp32", "bf16", "fp16")
SCHEMA = 1
#: The synthetic model of the theory's column: Appendix C.3's width, two layers, one seed.
THEORY_MODEL = {"d": 64, "num_layers": 2, "seed": 0}


def default_store():
    """``<cache>/sweeps``: where every sweep's task results are kept (content-addressed)."""
    from verify.models.sources import cache_root

    return os.path.join(cache_root(), "sweeps")


def _check_dtypes(dtypes):
    if isinstance(dtypes, str) or not hasattr(dtypes, "__iter__"):
        raise TypeError(f"dtypes must be a list of {', '.join(DTYPES)}, got {dtypes!r}")
    out = list(dict.fromkeys(dtypes))
    for d in out:
        if d not in DTYPES:
            raise ValueError(f"unknown dtype {d!r}; choose from {', '.join(DTYPES)}")
    if not out:
        raise ValueError("dtypes must not be empty")
    return out


@dataclass
class Plan:
    """A checked prescription grid: what runs where, before anything runs.

    ``models`` holds, per model, its spec, architecture and the tokenisation of every
    cell (and whether the cell fits the context); ``tasks`` the sweep's tasks and, in
    the same order, ``where``: ``("model", label, dtype, cell)`` or ``("theory", encoding,
    dtype, cell)``.
    """

    task: str
    max_length: int
    dtypes: list
    cells: list
    pair: str
    models: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    where: list = field(default_factory=list)


def _model_cells(spec, plan):
    """Tokenise every cell for one model; refuse an ``N`` whose plain prompt exceeds the context."""
    tok, arch = tokenizer_and_architecture(spec)
    n = plan.max_length
    cells = {}
    for sep, k in plan.cells:
        loc = locate_digits(tok, plan.task, n + 1, SEPARATORS[sep], k)
        pos = loc["positions"]
        cells[(sep, k)] = {"num_tokens": loc["num_tokens"], "overhead_tokens": int(pos[n - 1] - pos[0] + 1 - n),
                           "tokenisation": loc["tokenisation"],
                           "fits": loc["num_tokens"] <= arch.context_length}
        if sep == "none" and not cells[(sep, k)]["fits"]:
            head = loc["num_tokens"] - (n + 1)
            raise ValueError(f"max_length N={n} is beyond {spec.label}'s context: the prompt with N+1 digits and "
                             f"no separator has {loc['num_tokens']} tokens, the context is {arch.context_length} "
                             f"positions (the largest N that fits is {arch.context_length - head - 1})")
    return {"spec": spec, "arch": arch, "cells": cells}


def plan_prescription(models=("default",), task="count", dtypes=DTYPES, max_length=1024,
                      separators=tuple(SEPARATORS), spacings=DEFAULT_SPACINGS, theory=True, pair="next"):
    """Check every argument, tokenise every cell and list the sweep's tasks; nothing runs yet.

    Parameters
    ----------
    models, task, dtypes, max_length, separators, spacings, theory, pair
        As in :func:`prescribe`.

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        See :func:`prescribe`.
    """
    task = check_task(task)
    dtypes = _check_dtypes(dtypes)
    n = check_max_length(max_length)
    cells = grid_settings(separators, spacings)
    if pair not in PAIRS:
        raise ValueError(f"pair must be one of {', '.join(PAIRS)}, got {pair!r}")
    if not isinstance(theory, bool):
        raise TypeError(f"theory must be a bool, got {theory!r}")
    from verify.models.sources import models_available, resolve_models

    ok, why = models_available()
    if not ok:
        raise ValueError(why)
    if isinstance(models, str):
        models = [models]
    plan = Plan(task, n, dtypes, cells, pair)
    plan.models = [_model_cells(spec, plan) for spec in resolve_models(tuple(models))]
    for m in plan.models:
        spec = m["spec"]
        for dtype in dtypes:
            for cell in cells:
                if m["cells"][cell]["fits"]:
                    plan.tasks.append(Task(MODEL_TASK, {
                        "model": model_ref(spec), "sha256": spec.sha256, "dtype": dtype, "task": task,
                        "separator": cell[0], "every": cell[1], "n_max": n, "pair": pair,
                        "version": PASS_VERSION}))
                    plan.where.append(("model", spec.label, dtype, cell))
    for encoding in SYNTHETIC_ENCODINGS if theory else ():
        for dtype in dtypes:
            for cell in cells:
                plan.tasks.append(Task(THEORY_TASK, dict(THEORY_MODEL, separator=cell[0], every=cell[1], n_max=n,
                                                         dtype=dtype, encoding=encoding, version=PASS_VERSION)))
                plan.where.append(("theory", encoding, dtype, cell))
    return plan


# --------------------------------------------------------------------------- summaries


def octave_profile(margin):
    """The minimum margin over each octave ``[2^j, 2^(j+1))`` of ``n`` (``margin[i]`` is at ``n = i + 1``).

    Examples
    --------
    >>> octave_profile([9.0, 4.0, 5.0, 3.0, 2.0])
    [[1, 9.0], [2, 4.0], [4, 2.0]]
    """
    margin = np.asarray(margin, dtype=float)
    out, lo = [], 1
    while lo <= margin.size:
        hi = min(2 * lo, margin.size + 1)
        out.append([lo, float(margin[lo - 1: hi - 1].min())])
        lo *= 2
    return out


def octave_slope(margin, start=8):
    """Log-log slope of the margin's median per octave from ``n = start`` (NaN below two octaves).

    Medians per octave weigh every scale of ``n`` alike and ignore the period of the
    separator; a margin that decays like ``1/n`` (NoPE, Proposition B.9's argument) has
    slope -1, one that levels off has slope 0.

    Examples
    --------
    >>> round(octave_slope([1.0 / n for n in range(1, 257)]), 2)
    -1.0
    """
    from theory.collapse import loglog_slope

    margin = np.asarray(margin, dtype=float)
    centres, medians, lo = [], [], start
    while 2 * lo - 1 <= margin.size:
        centres.append(np.sqrt(lo * (2 * lo - 1)))
        medians.append(float(np.median(margin[lo - 1: 2 * lo - 1])))
        lo *= 2
    if len(centres) < 2:
        return float("nan")
    return loglog_slope(centres, medians, tail=1.0)


def summarise_cell(result, dtype):
    """Margin summary of one task result: status, min and where, reach, octave profile.

    A pass whose states stop being finite (fp16 overflow) has no margin from there on:
    its reach stops before the first such ``n`` and ``min_margin`` is None.

    Parameters
    ----------
    result : dict
        A task result of :mod:`verify.prescribe.passes`.
    dtype : str

    Returns
    -------
    dict
    """
    status = result["status"]
    if status == "not prefix-closed":
        return {"status": status, "min_margin": None, "argmin_n": None, "reach": None, "profile": []}
    n_ok = len(result["distance"]) if result.get("nonfinite_from") is None else result["nonfinite_from"] - 1
    out = {"status": status, "min_margin": None, "argmin_n": None, "reach": 0, "profile": [],
           "nonfinite_from": result.get("nonfinite_from")}
    if n_ok == 0:
        return out
    margin, worst = distinguishability_margin(result["distance"][:n_ok], result["scale"][:n_ok], dtype)
    out.update(reach=margin_reach(margin), profile=octave_profile(margin), margin=margin,
               slope=octave_slope(margin))
    if status == "ok":
        out.update(min_margin=worst, argmin_n=int(np.argmin(margin)) + 1)
    return out


def recommend(cells, dtype, n_max):
    """The cheapest cell whose margin stays >= 1 for every ``n <= n_max``, or the furthest-reaching one.

    Parameters
    ----------
    cells : list of dict
        With ``separator``, ``every``, ``overhead_tokens`` and ``dtypes[dtype]`` summaries.
    dtype : str
    n_max : int

    Returns
    -------
    dict
        ``meets`` (bool), the chosen ``separator``, ``every``, ``overhead_tokens``,
        ``min_margin``, ``reach``; when no cell meets the bar, the cell of largest reach
        (fewest tokens among equals) with ``meets=False``; None when no cell was computed.
    """
    rows = [c for c in cells if c["dtypes"].get(dtype, {}).get("reach") is not None]
    if not rows:
        return None
    good = [c for c in rows if c["dtypes"][dtype]["status"] == "ok" and c["dtypes"][dtype]["reach"] >= n_max]
    if good:
        best = min(good, key=lambda c: (c["overhead_tokens"], -c["dtypes"][dtype]["min_margin"]))
    else:
        best = min(rows, key=lambda c: (-c["dtypes"][dtype]["reach"], c["overhead_tokens"]))
    s = best["dtypes"][dtype]
    return {"meets": bool(good), "separator": best["separator"], "every": best["every"],
            "overhead_tokens": best["overhead_tokens"], "min_margin": s["min_margin"], "reach": s["reach"],
            "qualifying_cells": len(good), "cells": len(rows)}


def _cell_record(cell, info, n_max):
    sep, k = cell
    return {"separator": sep, "every": k, "num_tokens": info.get("num_tokens"),
            "overhead_tokens": info.get("overhead_tokens"),
            "overhead_per_digit": None if info.get("overhead_tokens") is None else info["overhead_tokens"] / n_max,
            "tokenisation": info.get("tokenisation"), "dtypes": {}}


def _assemble(plan, results):
    """The prescription document (before rounding) from the sweep's results in task order."""
    by_model = {}
    for m in plan.models:
        spec = m["spec"]
        cells = {c: _cell_record(c, m["cells"][c], plan.max_length) for c in plan.cells}
        for c, info in m["cells"].items():
            if not info["fits"]:
                for dtype in plan.dtypes:
                    cells[c]["dtypes"][dtype] = {"status": "exceeds context", "min_margin": None, "reach": None}
        by_model[spec.label] = {"label": spec.label, "name": spec.name, "sha256": spec.sha256,
                                "architecture": m["arch"].describe(), "context_length": m["arch"].context_length,
                                "cells": cells}
    theory = {enc: {c: _cell_record(c, {}, plan.max_length) for c in plan.cells} for enc in SYNTHETIC_ENCODINGS}
    for (kind, name, dtype, cell), res in zip(plan.where, results, strict=True):
        target = by_model[name]["cells"] if kind == "model" else theory[name]
        if kind == "theory":
            # In the synthetic model every separator character is one token.
            k = cell[1]
            target[cell]["overhead_tokens"] = 0 if k is None else res["sep_tokens"] * ((plan.max_length - 1) // k)
        target[cell]["dtypes"][dtype] = summarise_cell(res, dtype)
    return by_model, theory


def prescribe(models=("default",), task="count", dtypes=DTYPES, max_length=1024, separators=tuple(SEPARATORS),
              spacings=DEFAULT_SPACINGS, theory=True, store=None, scheduler=None, workers=2, timeout=10,
              progress=None, pair="next", accuracy=None, accuracy_cells="key", accuracy_at=None):
    """The glasses prescription for each model: margins, overheads, the recommended setting, the theory.

    Parameters
    ----------
    models : sequence of str
        Default model names, GGUF files or Hugging Face directories; ``"default"`` stands
        for Gemma 3 270M and SmolLM2-135M-Instruct.
    task : {"count", "copy", "last"}
        The question before the digits (Figure 5a, 5c; Figure 12, type 1).
    dtypes : sequence of {"fp32", "bf16", "fp16"}
        Each runs on its own copy of the weights.
    max_length : int
        ``N``: counts ``n = 1 .. N`` of repeated digits (the longest prompt has ``N + 1``).
    separators : sequence of str
        Names or literal texts of :data:`verify.prescribe.grid.SEPARATORS`.
    spacings : sequence of int
        Separator spacings ``k >= 1``.
    theory : bool
        Also run the grid on the synthetic Transformer (NoPE, ALiBi, RoPE).
    store : str or None
        Content-addressed results (default :func:`default_store`).
    scheduler : None, "serial" or str
        A local Dask cluster of ``workers`` processes, this process, or a scheduler address.
    workers, timeout :
        As in :func:`verify.sweep.run_sweep`.
    progress : callable or None
        ``progress(done, total)``.
    pair : {"next", "first"}
        ``"first"`` is the negative control: both prompts read at their first digit.
    accuracy : callable or None
        Section 3's :func:`verify.tasks.task_accuracy`: it fills the "task accuracy"
        column (:func:`verify.prescribe.report.accuracy_column`). None leaves the column
        out, and the document says so.
    accuracy_cells : {"key", "all"}
        The settings that get an accuracy: none, commas every 3 and each dtype's
        recommendation, or every cell that fits.
    accuracy_at : sequence of int or None
        The lengths of the accuracy column (default 8, 32, 128, ... up to ``N``).

    Returns
    -------
    dict
        The prescription document (see :func:`verify.prescribe.report.document`).

    Raises
    ------
    ValueError
        An unknown separator, task or dtype; a spacing below 1; ``N`` beyond a model's
        context; a model that cannot be resolved; a task that fails (one line naming it).
    verify.sweep.SweepError
        A scheduler that does not answer within ``timeout`` seconds (nothing is written).

    References
    ----------
    Barbero et al. (2024), Section 4, "A simple solution to representational collapse",
    pp. 7-8 (Figure 5 c, d), and the quantisation paragraph, p. 7; Theorem 4.2, p. 7.

    Examples
    --------
    ``python -m verify.prescribe --model smollm2-135m --dtype bf16 --max-length 256``
    (a real model: see ``tests/test_prescribe.py``).
    """
    from verify.prescribe.report import ACCURACY_CELLS, accuracy_column, document

    if accuracy_cells not in ACCURACY_CELLS:  # before hours of passes, not after
        raise ValueError(f"accuracy_cells must be one of {ACCURACY_CELLS}, got {accuracy_cells!r}")
    if accuracy_at is not None:
        from verify.models.prompts import check_lengths

        accuracy_at = check_lengths(accuracy_at, "accuracy_at")
    plan = plan_prescription(models, task, dtypes, max_length, separators, spacings, theory, pair)
    # One local cluster, started only if passes or answers are missing, serves both sweeps.
    with shared_cluster(scheduler, workers) as sched:
        results = run_sweep(plan.tasks, store or default_store(), scheduler=sched, workers=workers,
                            timeout=timeout, progress=progress)
        by_model, synthetic = _assemble(plan, results)
        doc = document(plan, by_model, synthetic, {"status": "absent", "why": "not computed yet"})
        # After the document: the "key" settings include the recommendations it makes.
        doc["accuracy"] = accuracy_column(plan, doc, accuracy, accuracy_cells, accuracy_at, sched)
    return doc
