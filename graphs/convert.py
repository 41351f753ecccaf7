"""Reading a graph from any of the forms GNN code holds, without misreading it.

Every GNN function of this package accepts, as its first argument ``G``:

- a networkx ``Graph``, ``DiGraph``, ``MultiGraph`` or ``MultiDiGraph``;
- a square adjacency matrix: numpy array, scipy sparse matrix, or tensor (anything with
  ``.detach().cpu().numpy()``); entry ``A[u, v]`` is the weight of the edge ``u -> v``,
  0 means no edge;
- an ``edge_index`` of shape ``(2, m)`` with integer entries (the PyTorch Geometric
  layout: column ``(u, v)`` is the edge ``u -> v``), with ``num_nodes=`` and
  ``edge_weight=`` keywords;
- a PyG-like object: anything with an ``edge_index`` attribute, read with its
  ``num_nodes`` and optional ``edge_weight`` (``edge_attr`` is a feature, not a weight,
  and is ignored); torch is never imported;
- a Python list of edges ``(u, v)`` or ``(u, v, weight)``, read as an undirected graph the
  way ``nx.Graph(edges)`` reads it (nodes in order of first appearance).

Rules that keep the reading unambiguous:

- **Weights are conductances**: larger means more strongly connected, the edge alone has
  resistance ``1 / weight``, and the Laplacian is ``D - A``. networkx's
  ``resistance_distance`` treats weights as resistances by default; ours equals it with
  ``invert_weight=False``. Every weight must be a finite real ``> 0``; NaN, infinite,
  zero and negative weights are errors on every input path (a zero-weight edge is not an
  edge: remove it). Missing ``weight`` attributes count as 1, as in networkx.
- **Direction**: a networkx ``DiGraph`` is directed; a matrix is directed unless it is
  exactly symmetric; an ``edge_index`` is directed unless every column ``(u, v)`` has its
  reverse ``(v, u)`` with the same weight (PyG's ``is_undirected``).
- **Parallel edges** of a multigraph add their conductances (resistors in parallel).
  Duplicate columns of an ``edge_index`` and duplicate edges in an edge list are errors.
- **Self-loops**: an edge ``(u, u)`` of weight ``w`` adds ``w`` to ``A[u, u]`` and to the
  degree of ``u`` (its random walk stays put with probability ``w / deg(u)``); it does not
  change the Laplacian. Functions whose definition has no room for loops reject them.
- **Node order**: rows and columns of every returned matrix follow ``list(G)`` for a
  networkx graph, ``0 .. n-1`` for arrays and ``edge_index``, first appearance for edge
  lists; ``nodelist=`` reorders them (it must list every node exactly once).
- A ``(2, 2)`` integer array reads both as an adjacency matrix and as an ``edge_index``;
  it is accepted only when the two readings give the same graph.
"""

import numbers

import networkx as nx
import numpy as np
import scipy.sparse as sps

from graphs.validate import (
    DEFAULT_MAX_MEMORY,
    InvalidTypeError,
    check_cost,
    check_positive_int,
    to_numpy,
)

__all__ = ["GraphData", "as_graph_data", "as_graph", "from_edge_index"]


def _ragged(labels):
    """Labels that numpy would turn into a 2-D array (tuples as node labels) or refuse."""
    return isinstance(labels, (list, tuple)) and any(isinstance(v, (list, tuple)) for v in labels)


class GraphData:
    """A graph in canonical form: a CSR adjacency over node indices, and the node labels.

    ``adjacency[u, v]`` is the conductance of the edge ``u -> v`` (summed over parallel
    edges); for undirected graphs the matrix is symmetric and a self-loop appears once on
    the diagonal. Built by :func:`as_graph_data`; functions of this package accept it
    wherever they accept a graph, so a large graph is read once.

    Examples
    --------
    >>> g = as_graph_data(nx.path_graph(3))
    >>> g.n, g.directed, g.adjacency.toarray().tolist()
    (3, False, [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    """

    def __init__(self, adjacency, nodes, directed, multigraph=False, source="graph"):
        self.adjacency = sps.csr_array(adjacency, dtype=np.float64)
        self.adjacency.sort_indices()
        self.nodes = list(nodes)
        self.directed = bool(directed)
        self.multigraph = bool(multigraph)
        self.source = source
        self._index = None
        # Integer labels 0..n-1 (arrays, edge_index, most networkx graphs): index arrays
        # are then their own indices, with no per-node lookup.
        self.range_labels = isinstance(nodes, range) or self.nodes == list(range(len(self.nodes)))

    @property
    def n(self):
        """Number of nodes."""
        return len(self.nodes)

    @property
    def weighted(self):
        """True when some edge weight differs from 1."""
        return bool(self.adjacency.nnz and np.any(self.adjacency.data != 1.0))

    @property
    def selfloops(self):
        """Indices of nodes carrying a self-loop."""
        return np.flatnonzero(self.adjacency.diagonal())

    def index_of(self, node, name="node"):
        """Index of the node labelled ``node``; ValueError naming ``name`` if absent."""
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.nodes)}
        try:
            return self._index[node]
        except (KeyError, TypeError):
            raise ValueError(f"{name}: {node!r} is not a node of G") from None

    def indices(self, labels, name):
        """Indices of a sequence of node labels (integer fast path for 0..n-1 labels)."""
        arr = np.asarray(to_numpy(labels), dtype=object if _ragged(labels) else None)
        if arr.dtype == bool:
            raise InvalidTypeError(f"{name} must hold nodes, got booleans")
        if self.range_labels and arr.ndim == 1:
            if arr.dtype.kind in "iu":
                bad = (arr < 0) | (arr >= self.n)
                if bad.any():
                    raise ValueError(f"{name}: {arr[bad][0]!r} is not a node of G "
                                     f"(nodes are 0..{self.n - 1})")
                return arr.astype(np.int64)
        return np.array([self.index_of(v if not isinstance(v, list) else tuple(v), name)
                         for v in labels], dtype=np.int64)

    def order(self, nodelist, name="nodelist"):
        """Permutation ``p`` with ``p[k]`` the index of ``nodelist[k]`` (None: identity).

        ``nodelist`` orders the rows and columns of a result; it must list every node of G
        exactly once.
        """
        if nodelist is None:
            return np.arange(self.n)
        nodelist = to_numpy(nodelist)
        if isinstance(nodelist, (str, bytes)) or not hasattr(nodelist, "__iter__"):
            raise InvalidTypeError(f"{name} must be a sequence of nodes, got "
                                   f"{type(nodelist).__name__}")
        p = self.indices(list(nodelist), name)
        if len(p) != self.n or len(np.unique(p)) != self.n:
            seen = set(p.tolist())
            missing = [self.nodes[i] for i in range(self.n) if i not in seen][:3]
            raise ValueError(f"{name} must list every node of G exactly once ({self.n} nodes); "
                             f"got {len(p)} entries" + (f", missing {missing}" if missing else
                                                         ", with repeats"))
        return p

    def pair_indices(self, pairs, name):
        """Index arrays of node pairs given as a (2, k) array (edge_index layout) or a list of (u, v)."""
        arr = to_numpy(pairs)
        if isinstance(arr, np.ndarray):
            if arr.ndim != 2 or arr.shape[0] != 2:
                hint = ("; for a (k, 2) array pass its transpose"
                        if arr.ndim == 2 and arr.shape[1] == 2 else "")
                raise ValueError(f"{name} must be a (2, k) array (the edge_index layout) or a "
                                 f"list of (u, v) pairs, got shape {arr.shape}{hint}")
            return self.indices(arr[0], name), self.indices(arr[1], name)
        if isinstance(arr, (str, bytes, dict, set)) or not hasattr(arr, "__iter__"):
            raise InvalidTypeError(f"{name} must be a (2, k) array or a list of (u, v) pairs, "
                                   f"got {pairs!r}")
        items = list(arr)
        for k, p in enumerate(items):
            if isinstance(p, (str, bytes)) or not hasattr(p, "__len__") or len(p) != 2:
                raise ValueError(f"{name} item {k} is {p!r}, not a pair (u, v)")
        return (self.indices([p[0] for p in items], name),
                self.indices([p[1] for p in items], name))

    def neighbour_sets(self):
        """``[set of neighbours of node i]`` over node indices (combinatorial algorithms)."""
        A = self.adjacency
        ind, ptr = A.indices, A.indptr
        return [set(ind[ptr[i]:ptr[i + 1]].tolist()) for i in range(self.n)]

    def degrees(self):
        """Weighted degrees ``A 1`` (a self-loop of weight w counts w once)."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel()

    def laplacian(self):
        """``D - A`` as CSR (self-loops cancel; undirected graphs only)."""
        A = self.adjacency
        return (sps.diags_array(self.degrees()) - A).tocsr()

    def to_networkx(self):
        """The graph as a networkx Graph/DiGraph with ``weight`` attributes and the node labels."""
        H = nx.DiGraph() if self.directed else nx.Graph()
        H.add_nodes_from(self.nodes)
        A = self.adjacency.tocoo()
        keep = (A.row <= A.col) if not self.directed else np.ones(A.nnz, bool)
        lab = self.nodes
        H.add_weighted_edges_from((lab[u], lab[v], float(w)) for u, v, w in
                                  zip(A.row[keep].tolist(), A.col[keep].tolist(),
                                      A.data[keep].tolist()))
        return H

    def __repr__(self):
        kind = "directed" if self.directed else "undirected"
        return f"<GraphData {kind}, {self.n} nodes, {self.adjacency.nnz} stored entries, from {self.source}>"


def _check_weights(w, where):
    """Weights are finite reals > 0; the message names the first offender."""
    w = np.asarray(w)
    if w.dtype == bool or w.dtype.kind not in "iuf":
        raise InvalidTypeError(f"{where}: weights must be real numbers, got dtype {w.dtype}")
    w = w.astype(np.float64)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        k = int(np.argmax(bad))
        return k, float(w[k]), w
    return None, None, w


def _weight_error(where, edge, value):
    what = ("is not finite" if not np.isfinite(value) else
            "is zero (a zero-conductance edge is no edge: remove it)" if value == 0 else
            "is negative")
    return ValueError(f"{where}: the weight of edge {edge} {what}: {value!r}; weights are "
                      "conductances and must be finite reals > 0")


def _from_networkx(G, weight):
    nodes = list(G)
    index = {v: i for i, v in enumerate(nodes)}
    edges = G.edges(data=weight, default=1) if weight is not None else \
        ((u, v, 1) for u, v in G.edges())
    us, vs, ws = [], [], []
    for u, v, w in edges:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Real):
            raise InvalidTypeError(f"G: the weight attribute {weight!r} of edge ({u!r}, {v!r}) "
                                   f"must be a real number, got {w!r}")
        us.append(index[u])
        vs.append(index[v])
        ws.append(w)
    k, value, w = _check_weights(np.array(ws, dtype=float) if ws else np.zeros(0), "G")
    if k is not None:
        raise _weight_error("G", (nodes[us[k]], nodes[vs[k]]), value)
    u, v = np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)
    n = len(nodes)
    if not G.is_directed():
        loop = u == v
        u, v, w = (np.concatenate([u, v[~loop]]), np.concatenate([v, u[~loop]]),
                   np.concatenate([w, w[~loop]]))
    A = sps.coo_array((w, (u, v)), shape=(n, n)).tocsr()  # sums parallel edges
    return GraphData(A, nodes, G.is_directed(), G.is_multigraph(), "networkx graph")


def _is_symmetric(A):
    diff = abs(A - A.T)
    return diff.nnz == 0 or diff.max() == 0


def _from_matrix(A, source):
    """Dense or sparse square adjacency; the same checks on both paths."""
    where = f"G ({source})"
    n = A.shape[0]
    if sps.issparse(A):
        A = sps.csr_array(A)
        A.sum_duplicates()
        if A.dtype == bool:
            A = A.astype(np.float64)
        data = A.data
        if data.size and (data == 0).any():
            coo = A.tocoo()
            k = int(np.argmax(coo.data == 0))
            raise ValueError(f"{where} stores an explicit zero at ({coo.row[k]}, {coo.col[k]}); "
                             "call .eliminate_zeros() if it means no edge")
        k, value, w = _check_weights(data, where)
        if k is not None:
            coo = A.tocoo()
            raise _weight_error(where, (int(coo.row[k]), int(coo.col[k])), value)
        A = sps.csr_array((w, A.indices, A.indptr), shape=A.shape)
    else:
        if A.dtype == bool:
            A = A.astype(np.float64)
        if A.dtype.kind not in "iuf":
            raise InvalidTypeError(f"{where} must hold real numbers, got dtype {A.dtype}")
        A = A.astype(np.float64)
        bad = ~np.isfinite(A) | (A < 0)
        if bad.any():
            i, j = (int(x) for x in np.argwhere(bad)[0])
            raise _weight_error(where, (i, j), float(A[i, j]))
        A = sps.csr_array(A)
        A.eliminate_zeros()
    return GraphData(A, range(n), not _is_symmetric(A), False, source)


def _check_num_nodes(num_nodes, n, source):
    if num_nodes is None:
        return
    num_nodes = check_positive_int(num_nodes, "num_nodes", minimum=0)
    if num_nodes != n:
        raise ValueError(f"num_nodes={num_nodes} but the {source} has {n} nodes")


def _from_edge_index(ei, num_nodes, edge_weight, source="edge_index"):
    ei = np.asarray(to_numpy(ei))
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, m), got {ei.shape}")
    if ei.size and ei.dtype.kind not in "iu":
        raise InvalidTypeError(f"edge_index must hold integer node indices, got dtype {ei.dtype}")
    ei = ei.astype(np.int64)
    if ei.size and ei.min() < 0:
        k = int(np.argmin(ei.min(axis=0)))
        raise ValueError(f"edge_index column {k} {tuple(ei[:, k].tolist())} has a negative "
                         "node index")
    n = int(ei.max()) + 1 if ei.size else 0
    if num_nodes is not None:
        num_nodes = check_positive_int(num_nodes, "num_nodes", minimum=0)
        if num_nodes < n:
            raise ValueError(f"num_nodes={num_nodes} is too small: edge_index mentions node "
                             f"{n - 1}")
        n = num_nodes
    # Node arrays alone take about 16 bytes a node; refuse sizes no machine here can hold.
    check_cost(16 * (n + 1), DEFAULT_MAX_MEMORY, f"num_nodes={n}", "max_memory (graphs.validate."
               "DEFAULT_MAX_MEMORY)")
    m = ei.shape[1]
    if edge_weight is None:
        w = np.ones(m)
    else:
        ew = np.asarray(to_numpy(edge_weight))
        if ew.shape != (m,):
            raise ValueError(f"edge_weight must have shape ({m},) to match edge_index, got "
                             f"{ew.shape}")
        k, value, w = _check_weights(ew, "edge_weight")
        if k is not None:
            raise _weight_error("edge_weight", tuple(ei[:, k].tolist()), value)
    key = ei[0] * max(n, 1) + ei[1]
    uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1][0]
        cols = np.flatnonzero(key == dup)[:2].tolist()
        raise ValueError(f"edge_index has the edge {tuple(ei[:, cols[0]].tolist())} twice "
                         f"(columns {cols[0]} and {cols[1]}); coalesce it first (sum or drop "
                         "the duplicates)")
    A = sps.coo_array((w, (ei[0], ei[1])), shape=(n, n)).tocsr()
    return GraphData(A, range(n), not _is_symmetric(A), False, source)


def _from_edge_list(edges):
    items = list(edges)
    nodes, index, us, vs, ws = [], {}, [], [], []
    seen = set()
    for k, e in enumerate(items):
        if isinstance(e, (str, bytes)) or not hasattr(e, "__len__") or len(e) not in (2, 3):
            raise ValueError(f"G: edge list item {k} is {e!r}; expected (u, v) or "
                             "(u, v, weight) (pass an adjacency matrix as a numpy array)")
        u, v = e[0], e[1]
        for x in (u, v):
            try:
                if x not in index:
                    index[x] = len(nodes)
                    nodes.append(x)
            except TypeError:
                raise InvalidTypeError(f"G: edge list item {k} has an unhashable node {x!r}") \
                    from None
        w = e[2] if len(e) == 3 else 1
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Real):
            raise InvalidTypeError(f"G: the weight of edge list item {k} must be a real "
                                   f"number, got {w!r}")
        pair = frozenset((index[u], index[v]))
        if pair in seen:
            raise ValueError(f"G: edge list item {k} repeats the edge ({u!r}, {v!r}); an edge "
                             "list is read as an undirected simple graph")
        seen.add(pair)
        us.append(index[u])
        vs.append(index[v])
        ws.append(float(w))
    k, value, w = _check_weights(np.array(ws), "G")
    if k is not None:
        raise _weight_error("G", (nodes[us[k]], nodes[vs[k]]), value)
    u, v = np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)
    loop = u == v
    n = len(nodes)
    A = sps.coo_array((np.concatenate([w, w[~loop]]),
                       (np.concatenate([u, v[~loop]]), np.concatenate([v, u[~loop]]))),
                      shape=(n, n)).tocsr()
    return GraphData(A, nodes, False, False, "edge list")


def _same_graph(a, b):
    return (a.n == b.n and a.directed == b.directed
            and (a.adjacency != b.adjacency).nnz == 0)


def as_graph_data(G, name="G", weight="weight", num_nodes=None, edge_weight=None):
    """Read ``G`` in any accepted form (see the module docstring) into a :class:`GraphData`.

    Parameters
    ----------
    G : graph-like
        networkx graph, adjacency matrix (dense, sparse or tensor), ``edge_index``
        ``(2, m)``, PyG-like object, or list of edges.
    name : str
        Argument name used in error messages.
    weight : str or None
        Edge attribute holding the conductance, for networkx graphs (``None``: every edge
        has weight 1). Matrices carry their weights in their entries.
    num_nodes : int, optional
        Number of nodes of an ``edge_index`` (PyG's ``num_nodes``); keeps trailing isolated
        nodes. For other inputs it must equal the number of nodes.
    edge_weight : array_like, shape (m,), optional
        Conductances aligned with the columns of an ``edge_index``.

    Returns
    -------
    GraphData

    Raises
    ------
    ValueError
        On a weight that is not a finite real > 0, a malformed or ambiguous input, or a
        ``num_nodes`` that contradicts the input; :class:`~graphs.validate.InvalidTypeError`
        on an input of an unsupported type.

    References
    ----------
    Fey and Lenssen (2019), PyTorch Geometric: the ``edge_index`` convention.

    Examples
    --------
    >>> g = as_graph_data(np.array([[0, 1, 1], [1, 0, 2]]), num_nodes=4)
    >>> g.n, g.directed
    (4, True)
    >>> as_graph_data([(0, 1), (1, 2)]).adjacency.toarray().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if edge_weight is not None and not _looks_like_edge_index(G):
        raise ValueError("edge_weight= goes with an edge_index input; a matrix carries its "
                         "weights in its entries and a networkx graph in its edge attributes")
    if weight is not None and not isinstance(weight, str):
        raise InvalidTypeError(f"weight must be an edge attribute name (str) or None, got "
                               f"{weight!r}")
    g = _read(G, name, weight, num_nodes, edge_weight)
    if weight is None and g.weighted and not isinstance(G, nx.Graph):
        # weight=None means every edge has conductance 1, whatever form the graph came in.
        A = g.adjacency.copy()
        A.data[:] = 1.0
        g = GraphData(A, g.nodes, g.directed, g.multigraph, g.source)
    return g


def _read(G, name, weight, num_nodes, edge_weight):
    if isinstance(G, GraphData):
        _check_num_nodes(num_nodes, G.n, "graph")
        return G
    if isinstance(G, nx.Graph):
        g = _from_networkx(G, weight)
        _check_num_nodes(num_nodes, g.n, "networkx graph")
        return g
    if hasattr(G, "edge_index") and not isinstance(G, np.ndarray):
        n = getattr(G, "num_nodes", None)
        if num_nodes is not None and n is not None and int(n) != num_nodes:
            raise ValueError(f"num_nodes={num_nodes} contradicts {name}.num_nodes={n}")
        ew = getattr(G, "edge_weight", None) if edge_weight is None else edge_weight
        return _from_edge_index(G.edge_index, num_nodes if n is None else int(n), ew,
                                "PyG-like object")
    if sps.issparse(G):
        if G.ndim != 2 or G.shape[0] != G.shape[1]:
            raise ValueError(f"{name}: a sparse adjacency matrix must be square, got {G.shape}")
        g = _from_matrix(G, "sparse adjacency")
        _check_num_nodes(num_nodes, g.n, "adjacency matrix")
        return g
    G = to_numpy(G)
    if isinstance(G, (list, tuple)):
        return _from_sequence(G, name, num_nodes)
    if isinstance(G, np.ndarray):
        return _from_array(G, name, num_nodes, edge_weight)
    raise InvalidTypeError(f"{name} must be a networkx graph, an adjacency matrix, a (2, m) "
                           f"edge_index, a PyG-like object or a list of edges; got "
                           f"{type(G).__name__}")


def _looks_like_edge_index(G):
    if hasattr(G, "edge_index") and not isinstance(G, np.ndarray):
        return True
    shape = getattr(to_numpy(G), "shape", None)
    return shape is not None and len(shape) == 2 and shape[0] == 2


def _from_array(G, name, num_nodes, edge_weight):
    if G.ndim == 2 and G.shape[0] == 2 and G.shape[1] != 2:
        if G.dtype.kind not in "iu":
            raise InvalidTypeError(f"{name}: a (2, m) array is read as an edge_index and must hold "
                                   f"integers, got dtype {G.dtype}; an adjacency matrix is square")
        return _from_edge_index(G, num_nodes, edge_weight)
    if G.ndim != 2 or G.shape[0] != G.shape[1]:
        hint = "; for an (m, 2) array of edges pass its transpose" if G.ndim == 2 and G.shape[1] == 2 else ""
        raise ValueError(f"{name} must be a networkx graph, a square adjacency matrix or a "
                         f"(2, m) edge_index; got an array of shape {G.shape}{hint}")
    if edge_weight is not None or (G.shape == (2, 2) and num_nodes not in (None, 2)):
        return _from_edge_index(G, num_nodes, edge_weight)  # only the edge_index reading fits
    g = _from_matrix(G, "dense adjacency")
    if G.shape == (2, 2) and G.dtype.kind in "iu":
        # Both an adjacency matrix and an edge_index of two edges: refuse unless they agree.
        try:
            other = _from_edge_index(G, num_nodes, None)
        except ValueError:  # not a valid edge_index: the matrix reading is the only one
            other = g
        if not _same_graph(g, other):
            raise ValueError(f"{name} is a (2, 2) integer array, which reads differently as an "
                             "adjacency matrix and as an edge_index; pass np.asarray(G, float) "
                             "for an adjacency matrix, or from_edge_index(G) for an edge_index")
    _check_num_nodes(num_nodes, g.n, "adjacency matrix")
    return g


def _from_sequence(G, name, num_nodes):
    """A list of tuples is an edge list; a square nested list may be a matrix: refuse when it could be both."""
    rows = [to_numpy(r) for r in G]
    lengths = [len(r) if hasattr(r, "__len__") and not isinstance(r, (str, bytes)) else -1
               for r in rows]
    square = bool(rows) and all(k == len(rows) for k in lengths)
    # Tuples are edges, as in nx.Graph([(0, 1), (1, 2)]); only nested lists can be matrices.
    if not square or all(isinstance(r, tuple) for r in G):
        g = _from_edge_list(G)
    else:
        readings = []
        for read in (lambda: _from_edge_list(G),
                     lambda: _from_matrix(_numeric(rows, name), "dense adjacency")):
            try:
                readings.append(read())
            except ValueError as exc:
                readings.append(exc)
        as_edges, as_matrix = readings
        if isinstance(as_edges, Exception) and isinstance(as_matrix, Exception):
            raise as_matrix if len(rows) > 3 else as_edges
        if isinstance(as_edges, Exception):
            g = as_matrix
        elif isinstance(as_matrix, Exception):
            g = as_edges
        elif _same_graph(as_matrix, as_edges) and as_edges.range_labels:
            g = as_edges
        else:
            raise ValueError(f"{name} is a {len(rows)} x {len(rows)} nested list, which reads "
                             "differently as an edge list and as an adjacency matrix; pass a list "
                             "of tuples for edges or a numpy array for a matrix")
    _check_num_nodes(num_nodes, g.n, g.source)
    return g


def _numeric(rows, name):
    try:
        return np.asarray(rows, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not a numeric matrix ({exc})") from None


def from_edge_index(edge_index, num_nodes=None, directed=False, edge_weight=None):
    """A networkx graph from a PyG-style ``edge_index`` (2 x m integer array: source, target rows).

    Parameters
    ----------
    edge_index : array_like or tensor, shape (2, m)
    num_nodes : int, optional
        Number of nodes (default ``max + 1``); keeps trailing isolated nodes.
    directed : bool
        ``False`` (default): an undirected ``nx.Graph``; the edge_index must list both
        directions of every edge with equal weights (it is not symmetrised silently).
        ``True``: an ``nx.DiGraph`` with one edge per column.
    edge_weight : array_like, shape (m,), optional
        Conductances, stored as the ``weight`` attribute.

    Returns
    -------
    networkx.Graph or networkx.DiGraph
        Nodes ``0 .. num_nodes - 1``.

    Raises
    ------
    ValueError
        On negative or too-large indices, duplicate columns, bad weights, or a directed
        edge_index with ``directed=False``.

    References
    ----------
    Fey and Lenssen (2019), PyTorch Geometric: ``torch_geometric.utils.to_networkx``.

    Examples
    --------
    >>> G = from_edge_index(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
    >>> sorted(G.edges())
    [(0, 1), (1, 2)]
    >>> from_edge_index(np.array([[0, 1], [1, 2]]), num_nodes=4, directed=True).number_of_nodes()
    4
    """
    from graphs.validate import check_bool

    directed = check_bool(directed, "directed")
    g = _from_edge_index(edge_index, num_nodes, edge_weight)
    if not directed and g.directed:
        raise ValueError(_directed_reason(g) + "; pass directed=True for a DiGraph")
    if directed:
        g = GraphData(g.adjacency, g.nodes, True, False, g.source)
    H = g.to_networkx()
    if edge_weight is None:
        for _, _, d in H.edges(data=True):
            del d["weight"]
    return H


def as_graph(obj, name="G", weight="weight", num_nodes=None, edge_weight=None):
    """Any accepted graph form (see the module docstring) as a networkx graph.

    networkx graphs are returned unchanged; other forms become an ``nx.Graph`` (or
    ``nx.DiGraph`` when directed) with conductances in the ``weight`` attribute.

    Parameters
    ----------
    obj : graph-like
    name : str
        Argument name used in error messages.
    weight, num_nodes, edge_weight
        As in :func:`as_graph_data`.

    Returns
    -------
    networkx.Graph or networkx.DiGraph

    Raises
    ------
    ValueError
        As :func:`as_graph_data`.

    References
    ----------
    Hagberg, Schult and Swart (2008), NetworkX.

    Examples
    --------
    >>> as_graph(np.array([[0, 1], [1, 0]])).number_of_edges()
    1
    >>> as_graph(np.array([[0, 1, 1], [1, 0, 2]]), num_nodes=4).number_of_nodes()
    4
    """
    if isinstance(obj, nx.Graph):
        _check_num_nodes(num_nodes, obj.number_of_nodes(), "networkx graph")
        return obj
    return as_graph_data(obj, name, weight, num_nodes, edge_weight).to_networkx()


def _directed_reason(g):
    """Why ``g`` counts as directed, in terms of the form it came in."""
    if g.source == "networkx graph":
        return "G is a networkx DiGraph; pass G.to_undirected() if symmetrising is what you mean"
    A = g.adjacency
    D = (A - A.T).tocoo()
    k = int(np.argmax(np.abs(D.data)))
    u, v = int(D.row[k]), int(D.col[k])
    if g.source in ("edge_index", "PyG-like object"):
        if A[v, u] == 0:
            return (f"{g.source} is directed: edge ({u}, {v}) has no reverse ({v}, {u}); an "
                    "undirected graph lists both directions (torch_geometric.utils.to_undirected)")
        return (f"{g.source} is directed: edge ({u}, {v}) has weight {float(A[u, v])!r} but its "
                f"reverse has {float(A[v, u])!r}")
    return (f"the adjacency matrix is not symmetric: A[{u}, {v}] = {float(A[u, v])!r} but "
            f"A[{v}, {u}] = {float(A[v, u])!r}; symmetrise it yourself if that is what you mean")
