"""Decorators in the spirit of networkx's ``not_implemented_for`` and ``np_random_state``.

:func:`not_implemented_for` reads the function's first argument once, in any graph form
that :mod:`graphs.convert` accepts, and refuses the graph types the function does not
implement, whatever form they came in: a directed ``edge_index`` is refused exactly like a
``DiGraph``. :func:`np_random_state` turns a seed argument into a ``numpy.random.Generator``:
the one seed convention of this package.
"""

import functools
import inspect
import numbers

import numpy as np

from graphs.convert import GraphData, _directed_reason, as_graph_data
from graphs.validate import InvalidTypeError

__all__ = ["NotImplementedForGraph", "not_implemented_for", "combinatorial", "np_random_state",
           "create_rng"]

GRAPH_TYPES = ("directed", "undirected", "multigraph", "weighted", "selfloops")


class NotImplementedForGraph(ValueError):
    """A function was given a graph of a type it does not implement (networkx:
    ``NetworkXNotImplemented``); a ``ValueError`` so that command lines report it in one line."""


def _has(g, kind):
    if kind == "directed":
        return g.directed
    if kind == "undirected":
        return not g.directed
    if kind == "multigraph":
        return g.multigraph
    if kind == "weighted":
        return g.weighted
    return g.selfloops.size > 0


def _reason(g, kind):
    """One sentence, in terms of the input's own form, saying why ``g`` is of ``kind``."""
    if kind == "directed":
        return _directed_reason(g)
    if kind == "undirected":
        return "the graph is undirected"
    if kind == "multigraph":
        return ("G is a networkx multigraph; merge its parallel edges yourself (e.g. "
                "nx.Graph(G)) if that is what you mean")
    if kind == "weighted":
        A = g.adjacency.tocoo()
        k = int(np.argmax(A.data != 1.0))
        u, v = g.nodes[A.row[k]], g.nodes[A.col[k]]
        return (f"edge ({u!r}, {v!r}) has weight {float(A.data[k])!r}; the definition uses the 0/1 "
                "structure only: pass weight=None for a networkx graph, or (A > 0) for a matrix")
    u = g.nodes[int(g.selfloops[0])]
    return f"node {u!r} has a self-loop; remove self-loops first"


def not_implemented_for(*graph_types):
    """Decorator: read argument 0 as a graph and refuse the listed graph types.

    Parameters
    ----------
    *graph_types : str
        Any of ``"directed"``, ``"undirected"``, ``"multigraph"``, ``"weighted"``,
        ``"selfloops"``. Several types in one call are joined with "and" (the graph must
        have all of them to be refused); stack decorators for "or", as in networkx. With
        no type the decorator only reads the graph.

    Returns
    -------
    callable
        The decorated function. Its first argument arrives as a
        :class:`~graphs.convert.GraphData`, read with the call's ``weight``, ``num_nodes``
        and ``edge_weight`` arguments when the function has them; the graph is read once
        however many decorators are stacked.

    Raises
    ------
    NotImplementedForGraph
        At call time, naming the function, the type and the reason in the input's own form.
    ValueError
        At decoration time, for an unknown or contradictory type.

    References
    ----------
    NetworkX, ``networkx.utils.decorators.not_implemented_for``.

    Examples
    --------
    >>> @not_implemented_for("directed")
    ... def order(G):
    ...     return G.n
    >>> order(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
    3
    >>> order(np.array([[0, 1, 2], [1, 2, 0]]))
    Traceback (most recent call last):
    ...
    graphs.decorators.NotImplementedForGraph: order is not implemented for directed graphs: edge_index is directed: edge (0, 1) has no reverse (1, 0); an undirected graph lists both directions (torch_geometric.utils.to_undirected)
    """
    unknown = set(graph_types) - set(GRAPH_TYPES)
    if unknown:
        raise ValueError(f"graph types must be among {GRAPH_TYPES}, got {sorted(unknown)}")
    if {"directed", "undirected"} <= set(graph_types):
        raise ValueError("a function not implemented for directed AND undirected graphs?")

    def decorator(func):
        sig = inspect.signature(func)
        first = next(iter(sig.parameters))
        params = sig.parameters

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            g = bound.arguments[first]
            if not isinstance(g, GraphData):
                def arg(name, default=None):
                    if name not in params:
                        return default
                    return bound.arguments.get(name, params[name].default)
                g = as_graph_data(g, first, weight=arg("weight", "weight"),
                                  num_nodes=arg("num_nodes"), edge_weight=arg("edge_weight"))
                bound.arguments[first] = g
            if graph_types and all(_has(g, t) for t in graph_types):
                kinds = " ".join(graph_types)
                why = "; ".join(_reason(g, t) for t in graph_types)
                raise NotImplementedForGraph(f"{func.__name__} is not implemented for {kinds} "
                                             f"graphs: {why}")
            return func(*bound.args, **bound.kwargs)

        return wrapper

    return decorator


def combinatorial(func):
    """Decorator: the function is defined on simple, undirected, unweighted graphs only.

    Refuses directed graphs, multigraphs, self-loops and non-unit weights, checked in that
    order (each on its own ``not_implemented_for`` line, so any one of them is refused).

    Parameters
    ----------
    func : callable
        Its first argument is the graph.

    Returns
    -------
    callable

    Raises
    ------
    NotImplementedForGraph
        At call time, for a graph of any refused type.

    References
    ----------
    Topping et al. (2022), Definition 1 (curvature on simple graphs); NetworkX,
    ``not_implemented_for``.

    Examples
    --------
    >>> @combinatorial
    ... def edges(G):
    ...     return G.adjacency.nnz // 2
    >>> edges(nx.path_graph(3))
    2
    """
    for kind in ("weighted", "selfloops", "multigraph", "directed"):
        func = not_implemented_for(kind)(func)
    return func


def create_rng(seed, name="seed"):
    """A ``numpy.random.Generator`` from ``seed``: None, a non-negative int, or a Generator.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None``: fresh OS entropy; an int: ``numpy.random.default_rng(seed)``; a Generator
        is used as it is (and advanced).
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    InvalidTypeError
        For floats, bools, strings, legacy ``RandomState`` objects and other types.
    ValueError
        For negative integers.

    References
    ----------
    NetworkX, ``networkx.utils.create_random_state``; NumPy, ``numpy.random.default_rng``.

    Examples
    --------
    >>> float(create_rng(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"{name} must be a non-negative integer, None or a "
                             f"numpy.random.Generator, got {seed!r}")
        return np.random.default_rng(int(seed))
    raise InvalidTypeError(f"{name} must be None, a non-negative integer or a "
                           f"numpy.random.Generator, got {seed!r} ({type(seed).__name__})")


def np_random_state(argname):
    """Decorator: turn the argument ``argname`` into a ``numpy.random.Generator`` (see :func:`create_rng`).

    Parameters
    ----------
    argname : str
        Name of the seed argument of the decorated function.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        At decoration time if the function has no such argument.

    References
    ----------
    NetworkX, ``networkx.utils.decorators.np_random_state``.

    Examples
    --------
    >>> @np_random_state("seed")
    ... def draw(seed=None):
    ...     return seed.integers(10)
    >>> int(draw(seed=3)) == int(draw(seed=3))
    True
    """
    def decorator(func):
        sig = inspect.signature(func)
        if argname not in sig.parameters:
            raise ValueError(f"{func.__name__} has no argument {argname!r}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments[argname] = create_rng(bound.arguments[argname], argname)
            return func(*bound.args, **bound.kwargs)

        return wrapper

    return decorator
