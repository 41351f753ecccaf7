"""Theorem 4.2/B.3 (representational collapse) on a synthetic decoder-only Transformer.

Theorem B.3 (main text: Theorem 4.2), quoted: "Let x in R^{n-1 x d} be an underlying growing
token sequence. Let v^(0) = [v v_a]^T in R^{n x d} and v*^(0) = [v v_a v_a]^T in R^{n+1 x d} be
two sequences for a final repeated token x_a in R^d, with all token representations bounded.
Further, assume that the positional encodings decay with distance to 0, e.g. as in RoPE. Then,
for large enough n in N+, we have that the representations are under any eps:
||v_n^(L) - v*_{n+1}^(L)||_1 < eps."

The model is the one of Section 2: pre-LN blocks with causal softmax attention and
residual connections, an MLP, and a final norm,

    z_i = W_O sum_{j<=i} alpha_ij W_V norm1(v_j) + v_i,   v_i' = psi(norm2(z_i)) + z_i,
    y_i = norm3(v_i^(L)),

with one head of width ``d``, Gaussian weights, one of four positional encodings
(:mod:`theory.positional`), and every intermediate tensor rounded to a chosen
number format (fp64 ... fp8) the way low-precision kernels store them (the
arithmetic of one operation in fp32, or fp64 for fp64, the result rounded).

Collapse is measured as in Theorem B.3: the distance between the last-token
representation ``y_n`` of ``[x_1 .. x_{n-1}, x_a]`` and ``y*_{n+1}`` of
``[x_1 .. x_{n-1}, x_a, x_a]``.

Cost. Causality means the states of the common prefix do not depend on what comes
after it, so :meth:`SyntheticTransformer.encode_prefix` computes them once for the
longest prefix, and each length ``n`` then costs ``O(L n d)`` (the new tokens attend
to the cached keys). Over a geometric grid of lengths up to ``N`` that is
``O(L N d)`` in total. For one layer with a query-position-independent encoding
(none, ALiBi), :func:`collapse_sweep_all` evaluates *every* ``n <= N`` with running
sums in ``O(N d)``.
"""

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from graphs.validate import (
    check_choice,
    check_finite_array,
    check_positive_int,
    check_positive_real,
)
from theory.positional import make_encoding
from theory.precision import DTYPES, numpy_dtype, resolution_at_scale

__all__ = [
    "INITS",
    "SyntheticTransformer",
    "random_tokens",
    "geometric_lengths",
    "collapse_sweep",
    "collapse_sweep_all",
    "collapse_sweep_naive",
    "attention_gap_identity_symbolic",
    "attention_gap_bound",
    "observed_onset",
    "loglog_slope",
    "format_onsets",
    "separator_sequence",
    "separator_distances",
]

#: Variance conventions for queries, keys and values: Appendix C.3 samples them with
#: variance 1/d, the caption of Figure 10 with variance 1 (the paper uses both).
INITS = {"appendix": "variance 1/d", "figure10": "variance 1"}

_LN_EPS = 1e-5


def random_tokens(n, d=64, seed=0, scale=1.0):
    """``n`` i.i.d. Gaussian token vectors of width ``d`` (a seeded Generator).

    Examples
    --------
    >>> random_tokens(3, 4, seed=1).shape
    (3, 4)
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    scale = check_positive_real(scale, "scale")
    return np.random.default_rng(seed).normal(0.0, scale, size=(n, d))


def geometric_lengths(n_min, n_max, per_octave=4):
    """Sorted unique integer lengths from ``n_min`` to ``n_max``, ``per_octave`` per doubling.

    Examples
    --------
    >>> geometric_lengths(2, 16, per_octave=1).tolist()
    [2, 4, 8, 16]
    """
    n_min = check_positive_int(n_min, "n_min")
    n_max = check_positive_int(n_max, "n_max")
    per_octave = check_positive_int(per_octave, "per_octave")
    if n_max < n_min:
        raise ValueError(f"n_max must be >= n_min, got {n_max} < {n_min}")
    k = int(math.ceil(math.log2(n_max / n_min) * per_octave)) + 1
    ns = np.unique(np.round(n_min * 2.0 ** (np.arange(k) / per_octave)).astype(np.int64))
    ns = ns[ns <= n_max]
    if ns[-1] != n_max:
        ns = np.append(ns, n_max)
    return ns


def _gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))


@dataclass
class PrefixCache:
    """Per-layer keys and values (and positions) of a common prefix."""

    keys: list
    values: list
    length: int


class SyntheticTransformer:
    """A decoder-only Transformer exactly as in Section 2 of the paper, in numpy.

    Parameters
    ----------
    d : int
        Width (hidden size); 64 in Appendix C.3 and Figure 10.
    num_layers : int
        Number of blocks ``L``.
    encoding : str or theory.positional.PositionalEncoding
        A name of :data:`theory.positional.ENCODINGS` ("sinusoidal", "rope",
        "alibi", "none", "sinusoidal_input") or an encoding instance.
    init : {"appendix", "figure10"}
        Queries, keys and values have variance ``1/d`` ("appendix", C.3) or 1
        ("figure10", the caption of Figure 10).
    dtype : {"fp64", "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2"}
        Format every intermediate tensor is rounded to.
    seed : int
        Seed of the ``numpy.random.Generator`` that draws the weights.
    alibi : float, optional
        ALiBi slope (default: the single-head slope ``2**-8``); only with "alibi".
    rope_base : float
        RoPE base; only with "rope".
    mlp : bool
        Include the MLP ``psi`` (otherwise ``psi = 0``).
    causal : bool
        Causal mask (decoder-only). ``False`` gives the bidirectional attention of
        Proposition B.9; :meth:`encode_prefix` and :meth:`last_token` need ``True``.
    window : None, int or sequence, optional
        Local sliding-window attention (Appendix C.6): a query at position ``p``
        sees the keys at ``p - w + 1 .. p``. ``None`` (default) makes every layer
        global; an int ``w`` makes every layer local with width ``w``; a sequence
        of ``num_layers`` entries (``None`` or an int) sets each layer, e.g.
        ``[w] * 5 + [None]`` for the 5:1 local/global pattern of Gemma 3. Needs
        ``causal=True``.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(5, 8, seed=1)
    >>> y = m.forward(x)
    >>> cache = m.encode_prefix(x[:4])
    >>> bool(np.allclose(m.last_token(cache, 4, x[4:5]), y[4]))
    True
    >>> w = SyntheticTransformer(d=8, num_layers=2, encoding="none", seed=0, window=[2, None])
    >>> w.windows
    (2, None)
    """

    def __init__(self, d=64, num_layers=1, encoding="rope", init="figure10",
                 dtype="fp64", seed=0, alibi=None, rope_base=10000.0, mlp=True,
                 causal=True, window=None):
        self.d = check_positive_int(d, "d", minimum=2)
        if self.d % 2:
            raise ValueError(f"d must be even, got {d}")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.encoding = make_encoding(encoding, alibi=alibi, rope_base=rope_base)
        self.init = check_choice(init, "init", tuple(INITS))
        self.dtype = check_choice(dtype, "dtype", DTYPES)
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.mlp = bool(mlp)
        self.causal = bool(causal)
        self.windows = self._check_windows(window)
        self._store = numpy_dtype(dtype)
        self._compute = np.float64 if dtype == "fp64" else np.float32
        rng = np.random.default_rng(self.seed)
        d = self.d
        qkv_var = 1.0 / d if init == "appendix" else 1.0
        # norm1 outputs have unit variance, so W ~ N(0, var/d) gives q, k, v of variance var.
        std = math.sqrt(qkv_var / d)
        self.layers = []
        for _ in range(self.num_layers):
            self.layers.append({
                "WQ": self._r(rng.normal(0, std, (d, d))),
                "WK": self._r(rng.normal(0, std, (d, d))),
                "WV": self._r(rng.normal(0, std, (d, d))),
                "WO": self._r(rng.normal(0, 1 / math.sqrt(d), (d, d))),
                "W1": self._r(rng.normal(0, 1 / math.sqrt(d), (d, 4 * d))),
                "W2": self._r(rng.normal(0, 1 / math.sqrt(4 * d), (4 * d, d))),
            })

    def _check_windows(self, window):
        """Per-layer window widths (``None`` = global) from the ``window`` argument."""
        if window is None:
            return (None,) * self.num_layers
        if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
            widths = [int(window)] * self.num_layers
        else:
            try:
                widths = list(window)
            except TypeError:
                raise ValueError(f"window must be None, an int or a sequence, got {window!r}") from None
            if len(widths) != self.num_layers:
                raise ValueError(f"window has {len(widths)} entries, num_layers is {self.num_layers}")
        out = tuple(None if w is None else check_positive_int(w, "window") for w in widths)
        if not self.causal and any(w is not None for w in out):
            raise ValueError("window needs a causal model (causal=True)")
        return out

    # -- rounding and elementary blocks ------------------------------------------

    def _r(self, a):
        """Round to the storage format, return in the compute format."""
        a = np.asarray(a, dtype=self._compute)
        if self.dtype in ("fp64", "fp32"):
            return a
        return a.astype(self._store).astype(self._compute)

    def _norm(self, h):
        mu = h.mean(axis=-1, keepdims=True)
        var = ((h - mu) ** 2).mean(axis=-1, keepdims=True)
        return self._r((h - mu) / np.sqrt(var + _LN_EPS))

    def _embed(self, x, positions):
        return self.encoding.embed(self._r(x), positions, self._r)

    def _qkv(self, layer, h, positions):
        W = self.layers[layer]
        q = self._r(h @ W["WQ"])
        k = self._r(h @ W["WK"])
        v = self._r(h @ W["WV"])
        q, k = self.encoding.queries_keys(q, k, positions, self._r)
        return q, k, v

    def _attend(self, q, qpos, K, V, kpos):
        """Softmax attention of one query over keys ``K`` at positions ``kpos``."""
        logits = (K @ q) / self._compute(math.sqrt(self.d))
        bias = self.encoding.logit_bias([qpos], kpos)
        if bias is not None:
            logits = logits + bias[0].astype(self._compute)
        logits = self._r(logits)
        w = np.exp(logits - logits.max())
        w = self._r(w / w.sum())
        return self._r(w @ V)

    def _tail(self, layer, x, attn):
        W = self.layers[layer]
        z = self._r(x + self._r(attn @ W["WO"]))
        if not self.mlp:
            return z
        h = self._norm(z)
        m = self._r(self._r(_gelu(self._r(h @ W["W1"]))) @ W["W2"])
        return self._r(z + m)

    # -- full and incremental forward passes ---------------------------------------

    def _check_tokens(self, x, name):
        x = check_finite_array(x, name, ndim=2)
        if x.shape[1] != self.d:
            raise ValueError(f"{name} must have {self.d} columns, got {x.shape[1]}")
        return x

    def _run(self, x, keep_cache, block=1024):
        n = x.shape[0]
        pos = np.arange(n)
        h = self._embed(x, pos)
        keys, values = [], []
        for layer in range(self.num_layers):
            q, k, v = self._qkv(layer, self._norm(h), pos)
            if keep_cache:
                keys.append(k)
                values.append(v)
            if layer == self.num_layers - 1 and keep_cache:
                break  # the last layer's prefix outputs are never needed
            out = np.empty_like(h)
            scale = self._compute(math.sqrt(self.d))
            for s in range(0, n, block):
                e = min(n, s + block)
                ke = e if self.causal else n  # keys visible to query rows s..e-1
                logits = (q[s:e] @ k[:ke].T) / scale
                bias = self.encoding.logit_bias(pos[s:e], pos[:ke])
                if bias is not None:
                    logits = logits + bias.astype(self._compute)
                allowed = (pos[None, :ke] <= pos[s:e, None]) | (not self.causal)
                if self.windows[layer] is not None:
                    allowed &= pos[s:e, None] - pos[None, :ke] < self.windows[layer]
                logits = np.where(allowed, self._r(logits), -np.inf)
                w = np.exp(logits - logits.max(axis=1, keepdims=True))
                w = self._r(w / w.sum(axis=1, keepdims=True))
                out[s:e] = self._r(w @ v[:ke])
            h = self._tail(layer, h, out)
        if keep_cache:
            return PrefixCache(keys, values, n)
        return self._norm(h)

    def forward(self, x):
        """Final representations ``y_i = norm3(v_i^(L))`` of every position, shape (n, d)."""
        return self._run(self._check_tokens(x, "x"), keep_cache=False).astype(np.float64)

    def encode_prefix(self, prefix):
        """Cache the per-layer keys and values of a common prefix (computed once)."""
        if not self.causal:
            raise ValueError("encode_prefix needs a causal model (causal=True)")
        return self._run(self._check_tokens(prefix, "prefix"), keep_cache=True)

    def last_token(self, cache, m, tokens):
        """Final representation of the last of ``tokens`` appended after ``cache``'s first ``m``.

        Parameters
        ----------
        cache : PrefixCache
        m : int
            How many prefix positions to use (``0 <= m <= cache.length``).
        tokens : array_like, shape (t, d)
            Tokens at positions ``m .. m + t - 1``.

        Returns
        -------
        ndarray, shape (d,)
        """
        if not 0 <= m <= cache.length:
            raise ValueError(f"m must be in [0, {cache.length}], got {m}")
        tokens = self._check_tokens(np.atleast_2d(tokens), "tokens")
        t = tokens.shape[0]
        pos = np.arange(m, m + t)
        h = self._embed(tokens, pos)
        kpos_all = np.arange(m + t)
        for layer in range(self.num_layers):
            q, k, v = self._qkv(layer, self._norm(h), pos)
            K = np.concatenate([cache.keys[layer][:m], k])
            V = np.concatenate([cache.values[layer][:m], v])
            w = self.windows[layer]
            # A local layer's query at position m+i sees keys max(0, m+i+1-w) .. m+i.
            lo = [0 if w is None else max(0, m + i + 1 - w) for i in range(t)]
            out = np.stack([
                self._attend(q[i], pos[i], K[lo[i]: m + i + 1], V[lo[i]: m + i + 1],
                             kpos_all[lo[i]: m + i + 1])
                for i in range(t)
            ])
            h = self._tail(layer, h, out)
        return self._norm(h[-1:])[0].astype(np.float64)


def _distances(ya, yb):
    diff = np.abs(ya - yb)
    return float(diff.sum()), float(diff.max()), float(np.abs(ya).max())


def collapse_sweep(model, prefix, last, lengths):
    """Distances between ``y_n`` and ``y*_{n+1}`` (Theorem B.3) for each ``n`` in ``lengths``.

    Parameters
    ----------
    model : SyntheticTransformer
    prefix : array_like, shape (N - 1, d)
        The underlying growing sequence ``x``; length ``n`` uses ``prefix[:n-1]``.
    last : array_like, shape (d,)
        The final token ``x_a`` (repeated once in the second sequence).
    lengths : iterable of int
        Values of ``n`` (each ``1 <= n <= N``).

    Returns
    -------
    dict of ndarray
        ``n``, ``l1``, ``linf`` (distances), ``scale`` (``max |y_n|``) and ``y``
        (shape ``(len(lengths), 2, d)``: ``y_n`` and ``y*_{n+1}``).

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(64, 8, seed=1)
    >>> r = collapse_sweep(m, x[:-1], x[-1], [4, 16, 64])
    >>> bool(r["l1"][0] > r["l1"][1] > r["l1"][2])
    True
    """
    prefix = model._check_tokens(prefix, "prefix")
    last = check_finite_array(last, "last", ndim=1)
    ns = np.asarray(sorted(int(check_positive_int(int(n), "lengths")) for n in lengths))
    if ns.size == 0:
        raise ValueError("lengths must not be empty")
    if ns[-1] - 1 > prefix.shape[0]:
        raise ValueError(f"lengths reach {ns[-1]} but prefix has only {prefix.shape[0]} tokens")
    cache = model.encode_prefix(prefix[: ns[-1] - 1]) if ns[-1] > 1 else PrefixCache(
        [np.zeros((0, model.d))] * model.num_layers, [np.zeros((0, model.d))] * model.num_layers, 0)
    l1, linf, scale, ys = [], [], [], []
    pair = np.stack([last, last])
    for n in ns:
        ya = model.last_token(cache, n - 1, last[None])
        yb = model.last_token(cache, n - 1, pair)
        a, b, c = _distances(ya, yb)
        l1.append(a), linf.append(b), scale.append(c), ys.append((ya, yb))
    return {"n": ns, "l1": np.array(l1), "linf": np.array(linf), "scale": np.array(scale),
            "y": np.array(ys)}


def collapse_sweep_naive(model, prefix, last, lengths):
    """Reference for the benchmarks: a full forward pass of both sequences for every ``n``.

    ``O(n^2 d)`` per length, so ``O(N^3 d)`` for all lengths up to ``N``.
    """
    prefix = model._check_tokens(prefix, "prefix")
    last = check_finite_array(last, "last", ndim=1)
    out = {"n": [], "l1": [], "linf": [], "scale": []}
    for n in lengths:
        xa = np.concatenate([prefix[: n - 1], last[None]])
        xb = np.concatenate([xa, last[None]])
        a, b, c = _distances(model.forward(xa)[-1], model.forward(xb)[-1])
        for key, val in zip(("n", "l1", "linf", "scale"), (n, a, b, c)):
            out[key].append(val)
    return {k: np.asarray(v) for k, v in out.items()}


def collapse_sweep_all(model, prefix, last, n_max, block=4096):
    """Every length ``n = 1 .. n_max`` at once with running sums, ``O(n_max d)``.

    Valid for one layer with an encoding whose logits do not depend on the query's
    position beyond a shift common to all keys (none, ALiBi), in fp64 or fp32: then

        z_n  = (P_{n-1} + w_n v_a) / (S_{n-1} + w_n),
        z*_n = (P_{n-1} + (w_n + w'_n) v_a) / (S_{n-1} + w_n + w'_n),

    with prefix sums ``S_m = sum_{j<m} e^{t_j}`` and ``P_m = sum_{j<m} e^{t_j} v_j``
    (``t_j`` the logit of key ``j`` plus ``slope * j`` for ALiBi). The sums are kept in
    blocks with a per-block reference to avoid overflow.

    Returns
    -------
    dict of ndarray
        As :func:`collapse_sweep`, plus ``attn_l1``: the L1 distance of the attention
        outputs ``||z_n - z*_n||_1``; ``attn_factor``: ``w'/(S + w + w')``;
        ``attn_identity``: ``attn_factor * ||z_n - v_a||_1``, the right-hand side of
        :func:`attention_gap_identity_symbolic`; ``logit_bound``: ``max |logit|`` (M).

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(40, 8, seed=1)
    >>> fast = collapse_sweep_all(m, x[:-1], x[-1], 40)
    >>> ref = collapse_sweep(m, x[:-1], x[-1], [5, 40])
    >>> bool(np.allclose(fast["l1"][[4, 39]], ref["l1"], rtol=1e-9, atol=1e-15))
    True
    """
    if model.num_layers != 1 or model.encoding.key_slope is None:
        raise ValueError("model must have num_layers=1 and an encoding whose logit bias is linear in "
                         "the key position (none, ALiBi) for running sums; use collapse_sweep on a grid")
    if model.windows != (None,):
        raise ValueError("model must have global attention (window=None) for running sums; "
                         "use collapse_sweep on a grid instead")
    if model.dtype not in ("fp64", "fp32"):
        raise ValueError(f"model.dtype must be 'fp64' or 'fp32' for running sums, got {model.dtype!r}")
    n_max = check_positive_int(n_max, "n_max")
    prefix = model._check_tokens(prefix, "prefix")
    if prefix.shape[0] < n_max - 1:
        raise ValueError(f"prefix has {prefix.shape[0]} tokens, need n_max - 1 = {n_max - 1}")
    last = check_finite_array(last, "last", ndim=1)
    m = n_max - 1
    dt = np.float64
    slope = model.encoding.key_slope
    _, K, V = model._qkv(0, model._norm(model._embed(prefix[:m], np.arange(m))), np.arange(m))
    xa = model._embed(last[None], [0])
    qa, ka, va = model._qkv(0, model._norm(xa), [0])
    qa, ka, va = qa[0].astype(dt), ka[0].astype(dt), va[0].astype(dt)
    sq = math.sqrt(model.d)
    t = (K.astype(dt) @ qa) / sq + slope * np.arange(m)
    u = float(ka @ qa) / sq
    ns = np.arange(1, n_max + 1)
    # Appended keys of sequence n sit at positions n-1 (both) and n (the repeat).
    lw = u + slope * (ns - 1.0)
    lw2 = u + slope * ns.astype(dt)
    ya = np.empty((n_max, model.d))
    yb = np.empty((n_max, model.d))
    za_out = np.empty((n_max, model.d))
    zb_out = np.empty((n_max, model.d))
    factor = np.empty(n_max)
    carry_S, carry_P, carry_ref = 0.0, np.zeros(model.d), -np.inf
    if slope > 0:
        # Within a block the ALiBi term spans slope * block nats; keep it well inside
        # the exponent range so that no length's weights all underflow.
        block = max(8, min(block, int(64 / slope)))
    for s in range(0, n_max, block):
        e = min(n_max, s + block)
        # Lengths n in [s+1, e] use prefix sums over j < n - 1, i.e. up to index e - 2.
        js = np.arange(s, e)  # prefix index j contributes to lengths n >= j + 2
        tj = t[js[js < m]]
        ref = max(carry_ref, tj.max() if tj.size else -np.inf, lw2[e - 1], lw[s])
        scale_old = math.exp(carry_ref - ref) if np.isfinite(carry_ref) else 0.0
        ej = np.exp(tj - ref)
        cS = carry_S * scale_old + np.concatenate([[0.0], np.cumsum(ej)])
        cP = carry_P * scale_old + np.concatenate(
            [np.zeros((1, model.d)), np.cumsum(ej[:, None] * V[js[js < m]].astype(dt), axis=0)])
        # For length n (index n-1 in [s, e)), the prefix sum over j < n-1 is cS[n-1-s].
        idx = ns[s:e] - 1 - s
        S = cS[idx]
        P = cP[idx]
        w = np.exp(lw[s:e] - ref)
        w2 = np.exp(lw2[s:e] - ref)
        za = (P + w[:, None] * va) / (S + w)[:, None]
        zb = (P + (w + w2)[:, None] * va) / (S + w + w2)[:, None]
        za_out[s:e], zb_out[s:e] = za, zb
        factor[s:e] = w2 / (S + w + w2)
        ya[s:e] = model._norm(model._tail(0, np.repeat(xa, e - s, axis=0), model._r(za)))
        yb[s:e] = model._norm(model._tail(0, np.repeat(xa, e - s, axis=0), model._r(zb)))
        carry_S, carry_P, carry_ref = cS[-1], cP[-1], ref
    diff = np.abs(ya - yb)
    return {
        "n": ns,
        "l1": diff.sum(axis=1),
        "linf": diff.max(axis=1),
        "scale": np.abs(ya).max(axis=1),
        "attn_l1": np.abs(za_out - zb_out).sum(axis=1),
        "attn_factor": factor,
        "attn_identity": factor * np.abs(za_out - va).sum(axis=1),
        "logit_bound": float(max(np.abs(t).max() if m else 0.0, abs(u))),
    }


def attention_gap_identity_symbolic():
    """The exact one-layer collapse identity for position-independent logits.

    With prefix sums ``S`` and ``P`` and weights ``w, w'`` of the appended copies,
    ``z = (P + w v)/(S + w)`` and ``z* = (P + (w + w') v)/(S + w + w')`` satisfy

        z - z* = w' / (S + w + w') * (z - v),

    so ``||z - z*||_1 <= e^(2M)/(n+1) ||z - v_a||_1`` when all logits lie in
    ``[-M, M]`` (``S + w + w' >= (n+1) e^(-M)``, ``w' <= e^M``): an explicit ``O(1/n)``
    rate for the first-layer step of the proof of Theorem B.3.

    Returns
    -------
    sympy expression
        ``(z - z*) - w'/(S+w+w') (z - v)`` simplified, for one coordinate (0).

    Examples
    --------
    >>> attention_gap_identity_symbolic()
    0
    """
    S, w, w2 = sp.symbols("S w w2", positive=True)
    P, v = sp.symbols("P v", real=True)
    z = (P + w * v) / (S + w)
    zs = (P + (w + w2) * v) / (S + w + w2)
    return sp.simplify((z - zs) - w2 / (S + w + w2) * (z - v))


def attention_gap_bound(n, M):
    """``e^(2M)/(n+1)``: the factor of :func:`attention_gap_identity_symbolic` with logits in [-M, M].

    Examples
    --------
    >>> attention_gap_bound(9, 0.0)
    0.1
    """
    n = check_positive_int(n, "n")
    M = check_positive_real(M, "M", allow_zero=True)
    return math.exp(2 * M) / (n + 1)


def observed_onset(lengths, distance, resolution):
    """First length from which ``distance <= resolution`` holds for every later length.

    Returns None when the distance is above the resolution at the last length.

    Examples
    --------
    >>> observed_onset([1, 2, 3, 4], [1.0, 0.1, 0.5, 0.1], 0.2)
    4
    >>> observed_onset([1, 2], [1.0, 1.0], 0.2) is None
    True
    """
    lengths = np.asarray(lengths)
    below = np.asarray(distance) <= np.asarray(resolution)
    if not below[-1]:
        return None
    k = len(below) - 1
    while k > 0 and below[k - 1]:
        k -= 1
    return int(lengths[k])


def loglog_slope(ns, values, tail=0.5):
    """Least-squares slope of ``log(values)`` against ``log(n)`` over the last ``tail`` of the points.

    Non-positive values are left out; NaN when fewer than two remain. A distance that
    decays like ``n^-r`` has slope ``-r``.

    Examples
    --------
    >>> round(loglog_slope([1, 10, 100, 1000], [1.0, 0.1, 0.01, 0.001]), 6)
    -1.0
    """
    ns = np.asarray(ns, dtype=float)
    values = np.asarray(values, dtype=float)
    k = max(2, int(math.ceil(len(ns) * tail)))
    x, y = ns[-k:], values[-k:]
    keep = y > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def format_onsets(reference, runs):
    """Predicted and observed collapse onsets per number format.

    Parameters
    ----------
    reference : dict
        A :func:`collapse_sweep` in fp64.
    runs : dict
        Format name -> :func:`collapse_sweep` of the same model and tokens in that format.

    Returns
    -------
    dict
        Per format: ``predicted_from_fp64``, the first ``n`` from which the exact (fp64)
        distance stays below the format's ulp at the representation's scale (an a-priori
        figure from fp64 and the format alone); ``extrapolated_beyond_range``, the same
        extrapolated with the measured tail rate when the range ends first;
        ``observed``, the first ``n`` from which the exact distance stays below the
        format's own representation error on the same vectors (``max ||y in the format -
        y in fp64||_inf`` over both sequences): past it the format cannot tell the two
        sequences apart; ``bitwise_identical_from``; and the resolution and the median
        representation error.
    """
    out = {}
    for dt, run in runs.items():
        res_ref = [resolution_at_scale(s, dt) for s in reference["scale"]]
        noise = np.abs(run["y"] - reference["y"]).max(axis=2).max(axis=1)
        predicted = observed_onset(reference["n"], reference["linf"], res_ref)
        predicted_extra = None
        if predicted is None:
            # Extrapolate with the measured tail rate: n * (d(n) / resolution)^(1/|slope|).
            slope = loglog_slope(reference["n"], reference["linf"])
            if slope < 0:
                predicted_extra = int(reference["n"][-1] * (reference["linf"][-1] / res_ref[-1]) ** (1 / -slope))
        out[dt] = {
            "resolution_at_scale": res_ref[-1],
            "representation_error": float(np.median(noise)),
            "predicted_from_fp64": predicted,
            "extrapolated_beyond_range": predicted_extra,
            "observed": observed_onset(reference["n"], reference["linf"], noise),
            "bitwise_identical_from": observed_onset(run["n"], run["linf"], 0.0),
        }
    return out


def separator_sequence(n, one, sep, every=3):
    """``n`` copies of ``one`` with ``sep`` inserted after every ``every`` of them.

    The remedy of Section 4 (Figure 5 c, d): "adding commas every third digit".

    Examples
    --------
    >>> s = separator_sequence(7, np.ones(2), np.zeros(2))
    >>> s[:, 0].tolist()
    [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    """
    n = check_positive_int(n, "n")
    every = check_positive_int(every, "every")
    one = check_finite_array(one, "one", ndim=1)
    sep = check_finite_array(sep, "sep", ndim=1)
    rows = []
    for i in range(n):
        rows.append(one)
        if (i + 1) % every == 0 and i + 1 < n:
            rows.append(sep)
    return np.stack(rows)


def separator_distances(model, prompt, one, sep, lengths, every=None):
    """Distances ``||y_n - y_{n+1}||_inf`` between prompts of ``n`` and ``n + 1`` repeated tokens.

    The remedy of Section 4 in the synthetic model: the prompt, then ``n`` copies of
    ``one`` with ``sep`` after every ``every`` of them (no separator when ``every`` is
    None).

    Returns
    -------
    tuple
        ``(distances, scale)``: the distance per length, and ``max |y|`` at the largest.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(4, 8, seed=1)
    >>> d, _ = separator_distances(m, x[:2], x[2], x[3], [4, 16])
    >>> bool(d[1] < d[0])
    True
    """
    prompt = model._check_tokens(prompt, "prompt")

    def seq(n):
        body = separator_sequence(n, one, sep, every) if every else np.repeat(np.asarray(one)[None], n, 0)
        return np.concatenate([prompt, body])

    out = []
    for n in lengths:
        ya, yb = model.forward(seq(n))[-1], model.forward(seq(n + 1))[-1]
        out.append(float(np.abs(ya - yb).max()))
    return np.array(out), float(np.abs(model.forward(seq(lengths[-1]))[-1]).max())
