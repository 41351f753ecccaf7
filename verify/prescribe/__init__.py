"""The glasses prescription: which separator, how often, keeps two prompts one token apart distinguishable.

``prescribe(models, task, dtypes, max_length, ...)`` runs the grid separator x spacing
x dtype on real models and on the synthetic Transformer, every forward pass a task of
:mod:`verify.sweep` (Dask), and returns the document: margins, overheads, the
recommended setting per model and dtype, the theory's prediction and where the two
agree. ``python -m verify.prescribe`` is the command.

Modules: :mod:`~verify.prescribe.grid` (separators, tasks, tokenisation),
:mod:`~verify.prescribe.passes` (the sweep's task functions),
:mod:`~verify.prescribe.core` (plan, run, summarise, recommend),
:mod:`~verify.prescribe.report` (document, agreement, tables, files),
:mod:`~verify.prescribe.figure` (heatmaps).
"""

from verify.prescribe.core import DTYPES, plan_prescription, prescribe, recommend
from verify.prescribe.grid import DEFAULT_SPACINGS, SEPARATORS, TASKS, locate_digits
from verify.prescribe.report import agreement, markdown, to_json, write_prescription

__all__ = ["prescribe", "plan_prescription", "recommend", "write_prescription", "to_json", "markdown",
           "agreement", "locate_digits", "SEPARATORS", "TASKS", "DTYPES", "DEFAULT_SPACINGS"]
