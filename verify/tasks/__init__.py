"""Section 3 of the paper on local models: copying and counting tasks, and Corollary B.10 on a real model.

- :mod:`verify.tasks.prompts`: the tasks and styles, with the paper's prompts verbatim
  (from :data:`theory.statements.PROMPTS`) and what is ours marked;
- :mod:`verify.tasks.parse`: answers from the exact answer line; unparsable apart;
- :mod:`verify.tasks.engine`: greedy decoding with the KV cache, answer-position probes,
  Corollary B.10 pairs from one shared prefix (the task function of the sweep);
- :mod:`verify.tasks.run`: the sweep's units through :mod:`verify.sweep`, and
  :func:`task_accuracy` (the interface of the glasses prescription);
- :mod:`verify.tasks.analysis`, :mod:`verify.tasks.figures`, :mod:`verify.tasks.report`:
  what the results say, drawn and written;
- ``python -m verify.tasks``: the whole sweep with its report.

References
----------
Barbero et al. (2024), Section 3 (pp. 4-6), Corollary B.10 (p. 20), Appendix C.1, C.2
and C.5 (pp. 20-24).
"""

from verify.tasks.parse import parse_answer
from verify.tasks.prompts import STYLES, TASKS, build_pair, build_prompt
from verify.tasks.run import GRIDS, plan_units, run_units, task_accuracy

__all__ = ["TASKS", "STYLES", "GRIDS", "build_prompt", "build_pair", "parse_answer", "plan_units", "run_units",
           "task_accuracy"]
