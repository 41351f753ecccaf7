"""The statements of "Transformers need glasses!" (Barbero et al., NeurIPS 2024) as code.

Each statement comes as a closed form (sympy), an explicit rate and threshold where the
paper says "tends to 0", an arbitrary-precision evaluation (mpmath), a rigorous
enclosure where the quantity has a finite closed form, and a synthetic model on which
it can be checked. The public functions of every module are available at the top, the
way networkx exposes its algorithms:

>>> import theory
>>> theory.last_entry_gap_bound(11, 0.0)
0.01
>>> theory.SyntheticTransformer(d=8, encoding="rope").encoding
RoPE(base=10000)

Modules
-------
softmax      Lemma B.1, Lemma 4.1/B.2, Proposition B.4
collapse     Theorem 4.2/B.3: a synthetic decoder-only Transformer, distances, onsets
positional   positional encodings as classes (NoPE, sinusoidal, RoPE, ALiBi)
precision    resolution (ulp) and rounding of fp64 ... fp8 (ml_dtypes)
sensitivity  Theorem 5.1/B.5: a model meeting its hypotheses, with its exact Jacobian
counting     Proposition 6.1/B.9, Corollary 6.2/B.10
prescription separators in the synthetic Transformer (the glasses prescription's theory)
search       threshold searches (bisection) and length grids
statements   every statement of the published paper (v2), quoted with its page
audit        the errata of the published paper, each with the code of its evidence
             (``theory.audit``; its names stay in that namespace)

``theory`` uses numpy, scipy, sympy, mpmath, ml_dtypes and :mod:`graphs`; it never
imports ``verify``.
"""

from theory import audit  # noqa: F401  (theory.audit: its names stay in that namespace)
from theory import (
    collapse,
    counting,
    positional,
    precision,
    prescription,
    search,
    sensitivity,
    statements,
)
from theory import softmax as _softmax_module

# ``theory.softmax`` names the module (Lemmas B.1, B.2, B.4); its function of the same
# name stays ``theory.softmax.softmax`` rather than shadowing the module.
__all__ = (collapse.__all__ + counting.__all__ + positional.__all__ + precision.__all__
           + prescription.__all__ + search.__all__ + sensitivity.__all__ + statements.__all__
           + [name for name in _softmax_module.__all__ if name != "softmax"])

from theory.collapse import *  # noqa: E402,F401,F403
from theory.counting import *  # noqa: E402,F401,F403
from theory.positional import *  # noqa: E402,F401,F403
from theory.precision import *  # noqa: E402,F401,F403
from theory.prescription import *  # noqa: E402,F401,F403
from theory.search import *  # noqa: E402,F401,F403
from theory.sensitivity import *  # noqa: E402,F401,F403
from theory.statements import *  # noqa: E402,F401,F403
from theory.softmax import *  # noqa: E402,F401,F403

softmax = _softmax_module
