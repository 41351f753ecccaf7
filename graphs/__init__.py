"""graphs: causal attention as networkx graphs, and over-squashing tools for GNNs.

The public API is importable from the package top, as in networkx::

    import graphs
    graphs.path_count(9, 0, 3)                    # Theorem 5.1's path counts
    graphs.effective_resistance(edge_index)       # any graph form, see graphs.convert

One module per topic:

- :mod:`graphs.causal`, :mod:`graphs.paths`, :mod:`graphs.flow`, :mod:`graphs.spectral`:
  decoder-only attention as graphs (Barbero et al. 2024, Section 5 and Appendix B.2);
- :mod:`graphs.attention`: the attention formats models produce (HF, TransformerLens);
- :mod:`graphs.convert`: graph inputs (networkx, matrices, edge_index, PyG-like, edge lists);
- :mod:`graphs.bounds`, :mod:`graphs.resistance`, :mod:`graphs.curvature`,
  :mod:`graphs.expansion`, :mod:`graphs.rewiring`: GNN over-squashing measures and fixes;
- :mod:`graphs.decorators` (``not_implemented_for``, ``np_random_state``) and
  :mod:`graphs.validate` (argument checks shared with ``theory``).

It needs numpy, scipy, sympy and networkx only; torch is never imported (tensors are
converted by duck typing).
"""

from graphs.attention import *  # noqa: F401,F403
from graphs.bounds import *  # noqa: F401,F403
from graphs.causal import *  # noqa: F401,F403
from graphs.convert import *  # noqa: F401,F403
from graphs.curvature import *  # noqa: F401,F403
from graphs.decorators import NotImplementedForGraph, not_implemented_for, np_random_state
from graphs.expansion import *  # noqa: F401,F403
from graphs.flow import *  # noqa: F401,F403
from graphs.gnn import compare_decay
from graphs.paths import *  # noqa: F401,F403
from graphs.resistance import *  # noqa: F401,F403
from graphs.rewiring import *  # noqa: F401,F403
from graphs.spectral import *  # noqa: F401,F403
from graphs.validate import CostLimitError, InvalidTypeError

from graphs import (attention, bounds, causal, convert, curvature, decorators, expansion, flow,
                    gnn, paths, resistance, rewiring, spectral, validate)

__all__ = sorted(
    set(attention.__all__) | set(bounds.__all__) | set(causal.__all__) | set(convert.__all__)
    | set(curvature.__all__) | set(expansion.__all__) | set(flow.__all__) | set(paths.__all__)
    | set(resistance.__all__) | set(rewiring.__all__) | set(spectral.__all__)
    | {"compare_decay", "NotImplementedForGraph", "not_implemented_for", "np_random_state",
       "CostLimitError", "InvalidTypeError"}
)
