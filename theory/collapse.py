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
sums in ``O(N d)`` for the attention and ``O(N d^2)`` for the MLP and norms, which it
evaluates in batches with BLAS (``batched=False`` keeps the earlier per-block path).

Quadratic costs are checked before they start: a forward pass over ``n`` tokens and
``L`` layers processes ``L n^2`` attention scores, refused above the ``work`` limit
(:func:`theory.search.set_limits`).
"""

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from theory import _validate as chk
from theory.positional import PositionalEncoding, make_encoding
from theory.precision import DTYPES, max_finite, numpy_dtype, resolution_at_scale
from theory.search import MAX_GRID_LENGTH

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

_REF_B3 = "Barbero et al. (2024), Theorem B.3, p. 15 (main text: Theorem 4.2, p. 7)"


def random_tokens(n, d=64, seed=0, scale=1.0):
    """``n`` i.i.d. Gaussian token vectors of width ``d`` (a seeded Generator).

    Parameters
    ----------
    n, d : int
        Shape, both ``>= 1``; ``n * d`` at most the ``elements`` limit.
    seed : int
        Non-negative seed of ``numpy.random.default_rng``.
    scale : float
        Standard deviation, ``> 0``.

    Returns
    -------
    ndarray, shape (n, d)

    Raises
    ------
    ValueError
        For arguments that are not integers (or reals) in range, or an array over the
        ``elements`` limit.

    References
    ----------
    Barbero et al. (2024), Appendix C.3 and C.4 (Gaussian queries, keys and values),
    pp. 21-22.

    Examples
    --------
    >>> random_tokens(3, 4, seed=1).shape
    (3, 4)
    """
    n = chk.check_int(n, "n", minimum=1)
    d = chk.check_int(d, "d", minimum=1)
    seed = chk.check_int(seed, "seed", minimum=0)
    scale = chk.check_real(scale, "scale", minimum=0.0, open_min=True)
    chk.check_elements([n, d], "n")
    return np.random.default_rng(seed).normal(0.0, scale, size=(n, d))


def geometric_lengths(n_min, n_max, per_octave=4):
    """Sorted unique integer lengths from ``n_min`` to ``n_max``, ``per_octave`` per doubling.

    The grid is ``round(n_min * 2**(i / per_octave))`` for ``i = 0, 1, ...``, cut at
    ``n_max`` (which is always included). Where consecutive points are less than 1/2
    apart their rounded values are consecutive integers, so when the grid has more
    points than integers in the range that dense start is filled in directly: the cost
    is bounded by the output, never by ``per_octave`` (``per_octave=10**9`` from 1 to 2
    used to ask for 7.5 GiB to return ``[1, 2]``).

    Parameters
    ----------
    n_min, n_max : int
        The ends, ``1 <= n_min <= n_max <= 2**53`` (beyond, float64 cannot hit every
        integer and int64 would overflow).
    per_octave : int
        Points per doubling, ``>= 1``.

    Returns
    -------
    ndarray of int64
        Strictly increasing, from ``n_min`` to ``n_max``.

    Raises
    ------
    ValueError
        For arguments that are not integers in range, or an output over the
        ``elements`` limit.

    References
    ----------
    Barbero et al. (2024), Figures 8 and 10 (lengths on a log scale), pp. 22-23.

    Examples
    --------
    >>> geometric_lengths(2, 16, per_octave=1).tolist()
    [2, 4, 8, 16]
    >>> geometric_lengths(1, 2, per_octave=10**9).tolist()
    [1, 2]
    """
    n_min = chk.check_int(n_min, "n_min", minimum=1, maximum=MAX_GRID_LENGTH)
    n_max = chk.check_int(n_max, "n_max", minimum=1, maximum=MAX_GRID_LENGTH)
    per_octave = chk.check_int(per_octave, "per_octave", minimum=1)
    if n_max < n_min:
        raise ValueError(f"n_max must be >= n_min, got {n_max} < {n_min}")
    k = int(math.ceil(math.log2(n_max / n_min) * per_octave)) + 1
    start = 0
    dense = np.zeros(0, dtype=np.int64)
    if k > n_max - n_min + 1:
        # Points below 0.5 / (2**(1/p) - 1) are less than 1/2 apart: every integer up to
        # the first point past them is hit, so those k0 points need not be computed.
        step = math.expm1(math.log(2) / per_octave)
        k0 = max(0, min(k - 1, int(per_octave * math.log2(0.5 / step / n_min)) - 1))
        if k0 > 0:
            top = int(np.round(n_min * 2.0 ** (k0 / per_octave)))
            dense, start = np.arange(n_min, top, dtype=np.int64), k0
    chk.check_elements([len(dense) + k - start], "per_octave")
    # Float indices: exact below 2**53 (the values of the earlier np.arange(k) / per_octave),
    # and still monotone above it, where an int64 arange would overflow.
    tail = np.round(n_min * 2.0 ** (np.arange(float(start), float(k)) / per_octave)).astype(np.int64)
    ns = np.unique(np.concatenate([dense, tail]))
    ns = ns[ns <= n_max]
    if ns[-1] != n_max:
        ns = np.append(ns, n_max)
    return ns


def _gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))


@dataclass
class PrefixCache:
    """Per-layer keys and values of a common prefix, made by :meth:`SyntheticTransformer.encode_prefix`.

    Parameters
    ----------
    keys, values : list of ndarray
        One ``(length, d)`` array per layer.
    length : int
        Number of prefix positions.

    Raises
    ------
    None
        A plain record; :meth:`SyntheticTransformer.last_token` checks that it fits.

    References
    ----------
    Barbero et al. (2024), Section 2 (causal attention: a prefix's states do not depend
    on what follows), p. 3.

    Examples
    --------
    >>> m = SyntheticTransformer(d=4, encoding="none")
    >>> m.encode_prefix(np.ones((3, 4))).length
    3
    """

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
        Format every intermediate tensor is rounded to. fp8_e4m3, which has no
        infinity, saturates at +-448 as fp8 kernels do; in the other formats a value
        beyond the range becomes inf, and an output that is not finite is an error.
    seed : int
        Seed of the ``numpy.random.Generator`` that draws the weights.
    alibi : float, optional
        ALiBi slope (default: the single-head slope ``2**-8``); only with "alibi".
    rope_base : float, optional
        RoPE base (default 10000); only with "rope".
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

    Raises
    ------
    ValueError
        For an odd or non-positive ``d``, an unknown ``encoding``, ``init`` or ``dtype``
        (never a fallback to a default), a negative or non-integer ``seed``, a slope or
        base given to an encoding that has none, or weights over the ``elements`` limit.
    TypeError
        If ``mlp`` or ``causal`` is not a bool (``"False"`` is refused), or a number is
        given as a string (also a ValueError).

    References
    ----------
    Barbero et al. (2024), Section 2 (the model), p. 3; Appendix C.3 and C.4 (the
    synthetic experiments), pp. 21-23; Proposition B.9 (bidirectional), p. 19.

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
                 dtype="fp64", seed=0, alibi=None, rope_base=None, mlp=True,
                 causal=True, window=None):
        self.d = chk.check_int(d, "d", minimum=2)
        if self.d % 2:
            raise ValueError(f"d must be even, got {d}")
        self.num_layers = chk.check_int(num_layers, "num_layers", minimum=1)
        chk.check_elements([self.num_layers, 12, self.d, self.d], "d and num_layers")
        self.encoding = make_encoding(encoding, alibi=alibi, rope_base=rope_base)
        self.init = chk.check_choice(init, "init", tuple(INITS))
        self.dtype = chk.check_choice(dtype, "dtype", DTYPES)
        self.seed = chk.check_int(seed, "seed", minimum=0)
        self.mlp = chk.check_bool(mlp, "mlp")
        self.causal = chk.check_bool(causal, "causal")
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
        out = tuple(None if w is None else chk.check_int(w, "window", minimum=1) for w in widths)
        if not self.causal and any(w is not None for w in out):
            raise ValueError("window needs a causal model (causal=True)")
        return out

    # -- rounding and elementary blocks ------------------------------------------

    def _r(self, a):
        """Round to the storage format, return in the compute format."""
        a = np.asarray(a, dtype=self._compute)
        if self.dtype in ("fp64", "fp32"):
            return a
        if self.dtype == "fp8_e4m3":
            # e4m3 has no inf: ml_dtypes turns |a| >= 464 into NaN, fp8 kernels convert with
            # saturation (CUDA's __NV_SATFINITE). Below 464 the two agree bit for bit.
            a = np.clip(a, -448.0, 448.0)
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

    def _check_tokens(self, x, name, layers=None):
        """``x`` as an (n, d) float64 array; refuse ``layers * n**2`` scores over the work limit."""
        x = chk.check_real_array(x, name, ndim=2)
        if x.shape[1] != self.d:
            raise ValueError(f"{name} must have {self.d} columns, got {x.shape[1]}")
        if layers:
            chk.check_cost(layers * x.shape[0] ** 2, "work", name, "attention scores (layers x n**2)")
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

    def _check_output(self, y):
        """Refuse an output the format could not hold (fp8_e4m3 has no inf: overflow is NaN)."""
        if not np.isfinite(y).all():
            raise ValueError(
                f"dtype={self.dtype!r}: the forward pass left the format's range (|values| above "
                f"{max_finite(self.dtype):g} became inf or NaN, e.g. an ALiBi bias of slope x length in "
                "the logits); use a wider format or shorter sequences")
        return y

    def _check_cache(self, cache):
        if not isinstance(cache, PrefixCache):
            raise chk.ArgumentTypeError(f"cache must be a PrefixCache from encode_prefix, got {type(cache).__name__}")
        if len(cache.keys) != self.num_layers or any(k.shape[1] != self.d for k in cache.keys):
            raise ValueError(f"cache was made by a model of another shape ({len(cache.keys)} layers, "
                             f"width {cache.keys[0].shape[1] if cache.keys else '?'}); this one has "
                             f"{self.num_layers} layers of width {self.d}")

    def forward(self, x):
        """Final representations ``y_i = norm3(v_i^(L))`` of every position.

        Parameters
        ----------
        x : array_like of float, shape (n, d)
            Finite token vectors; ``num_layers * n**2`` at most the ``work`` limit.

        Returns
        -------
        ndarray of float64, shape (n, d)
            Values of the model's format.

        Raises
        ------
        ValueError
            For a wrong shape, a non-finite entry, a pass over the ``work`` limit, or an
            output the model's format could not hold (a value beyond its range became inf
            or NaN, e.g. fp8_e4m3 logits with a large ALiBi bias).

        References
        ----------
        Barbero et al. (2024), Section 2 (the model and ``y_i = norm3(v_i^(L))``), p. 3.

        Examples
        --------
        >>> SyntheticTransformer(d=4, encoding="none").forward(np.ones((3, 4))).shape
        (3, 4)
        """
        x = self._check_tokens(x, "x", self.num_layers)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            y = self._run(x, keep_cache=False).astype(np.float64)
        return self._check_output(y)

    def encode_prefix(self, prefix):
        """Cache the per-layer keys and values of a common prefix (computed once).

        Parameters
        ----------
        prefix : array_like of float, shape (m, d)
            Finite token vectors.

        Returns
        -------
        PrefixCache

        Raises
        ------
        ValueError
            For a bidirectional model (``causal=False``: later tokens change the prefix
            states), a wrong shape, a non-finite entry, or work over the limit.

        References
        ----------
        Barbero et al. (2024), Section 2 (causal attention), p. 3.

        Examples
        --------
        >>> SyntheticTransformer(d=4, num_layers=2).encode_prefix(np.ones((5, 4))).keys[1].shape
        (5, 4)
        """
        if not self.causal:
            raise ValueError("encode_prefix needs a causal model (causal=True)")
        return self._run(self._check_tokens(prefix, "prefix", self.num_layers - 1), keep_cache=True)

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

        Raises
        ------
        ValueError
            If ``cache`` is not a :class:`PrefixCache` of this model's shape, ``m`` is not
            an integer in ``[0, cache.length]``, or ``tokens`` has a wrong shape or a
            non-finite entry.

        References
        ----------
        Barbero et al. (2024), Section 2, p. 3, and Theorem B.3 (``y_n`` against
        ``y*_{n+1}``), p. 15.

        Examples
        --------
        >>> m = SyntheticTransformer(d=4, encoding="none")
        >>> x = np.arange(12.0).reshape(3, 4)
        >>> bool(np.allclose(m.last_token(m.encode_prefix(x[:2]), 2, x[2:]), m.forward(x)[-1]))
        True
        """
        self._check_cache(cache)
        m = chk.check_int(m, "m", minimum=0, maximum=cache.length)
        if not self.causal:
            raise ValueError("last_token needs a causal model (causal=True)")
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
        return self._check_output(self._norm(h[-1:])[0].astype(np.float64))


def _distances(ya, yb):
    diff = np.abs(ya - yb)
    return float(diff.sum()), float(diff.max()), float(np.abs(ya).max())


def _check_model(model, name="model"):
    if not isinstance(model, SyntheticTransformer):
        raise chk.ArgumentTypeError(f"{name} must be a SyntheticTransformer, got {type(model).__name__}")
    return model


def _check_sweep(model, prefix, last, lengths, causal=True):
    """The common arguments of the sweeps: model, (N-1, d) prefix, (d,) last, sorted lengths <= N."""
    _check_model(model)
    if causal and not model.causal:
        raise ValueError("model must be causal (causal=True): Theorem B.3 is about decoder-only models")
    prefix = model._check_tokens(prefix, "prefix")
    last = chk.check_real_array(last, "last", shape=(model.d,))
    ns = np.sort(chk.check_int_array(lengths, "lengths", minimum=1))
    if ns[-1] - 1 > prefix.shape[0]:
        raise ValueError(f"lengths reach {ns[-1]} but prefix has only {prefix.shape[0]} tokens")
    return prefix, last, ns


def collapse_sweep(model, prefix, last, lengths):
    """Distances between ``y_n`` and ``y*_{n+1}`` (Theorem B.3) for each ``n`` in ``lengths``.

    Parameters
    ----------
    model : SyntheticTransformer
        A causal model.
    prefix : array_like, shape (N - 1, d)
        The underlying growing sequence ``x``; length ``n`` uses ``prefix[:n-1]``.
    last : array_like, shape (d,)
        The final token ``x_a`` (repeated once in the second sequence).
    lengths : sequence of int
        Values of ``n`` (each ``1 <= n <= N``; not empty; sorted on output).

    Returns
    -------
    dict of ndarray
        ``n``, ``l1``, ``linf`` (distances), ``scale`` (``max |y_n|``) and ``y``
        (shape ``(len(lengths), 2, d)``: ``y_n`` and ``y*_{n+1}``).

    Raises
    ------
    ValueError
        For a model that is not causal, arrays of the wrong width or with non-finite
        entries, lengths that are not positive integers (``[2.9, 5.5]``, ``"12"`` and
        booleans are refused) or beyond the prefix, or work over the limit.

    References
    ----------
    Barbero et al. (2024), Theorem B.3, p. 15 (main text: Theorem 4.2, p. 7).

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(64, 8, seed=1)
    >>> r = collapse_sweep(m, x[:-1], x[-1], [4, 16, 64])
    >>> bool(r["l1"][0] > r["l1"][1] > r["l1"][2])
    True
    """
    prefix, last, ns = _check_sweep(model, prefix, last, lengths)
    cache = model.encode_prefix(prefix[: ns[-1] - 1]) if ns[-1] > 1 else PrefixCache(
        [np.zeros((0, model.d))] * model.num_layers, [np.zeros((0, model.d))] * model.num_layers, 0)
    l1, linf, scale, ys = [], [], [], []
    pair = np.stack([last, last])
    for n in ns:
        ya = model.last_token(cache, int(n) - 1, last[None])
        yb = model.last_token(cache, int(n) - 1, pair)
        a, b, c = _distances(ya, yb)
        l1.append(a), linf.append(b), scale.append(c), ys.append((ya, yb))
    return {"n": ns, "l1": np.array(l1), "linf": np.array(linf), "scale": np.array(scale),
            "y": np.array(ys)}


def collapse_sweep_naive(model, prefix, last, lengths):
    """Reference for the benchmarks: a full forward pass of both sequences for every ``n``.

    ``O(n^2 d)`` per length, so ``O(N^3 d)`` for all lengths up to ``N``.

    Parameters
    ----------
    model : SyntheticTransformer
    prefix : array_like, shape (N - 1, d)
    last : array_like, shape (d,)
    lengths : sequence of int
        Each ``1 <= n <= N``; the total ``num_layers * sum 2 (n+1)^2`` at most the
        ``work`` limit.

    Returns
    -------
    dict of ndarray
        ``n`` (sorted), ``l1``, ``linf`` and ``scale``, as :func:`collapse_sweep`.

    Raises
    ------
    ValueError
        As :func:`collapse_sweep`.

    References
    ----------
    Barbero et al. (2024), Theorem B.3, p. 15.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(16, 8, seed=1)
    >>> fast, slow = collapse_sweep(m, x[:-1], x[-1], [3, 16]), collapse_sweep_naive(m, x[:-1], x[-1], [3, 16])
    >>> bool(np.allclose(fast["l1"], slow["l1"]))
    True
    """
    prefix, last, ns = _check_sweep(model, prefix, last, lengths, causal=False)
    chk.check_cost(model.num_layers * 2 * int(np.sum((ns.astype(float) + 1) ** 2)), "work", "lengths",
                 "attention scores")
    out = {"n": [], "l1": [], "linf": [], "scale": []}
    for n in ns:
        xa = np.concatenate([prefix[: n - 1], last[None]])
        xb = np.concatenate([xa, last[None]])
        a, b, c = _distances(model.forward(xa)[-1], model.forward(xb)[-1])
        for key, val in zip(("n", "l1", "linf", "scale"), (n, a, b, c)):
            out[key].append(val)
    return {k: np.asarray(v) for k, v in out.items()}


def _gelu_inplace(x):
    """The tanh GELU of :func:`_gelu` as ``x / (1 + exp(-2 g))``, without ``x**3``.

    ``0.5 x (1 + tanh(g)) = x / (1 + e^(-2g))`` exactly, with ``g = c (x + 0.044715 x^3)``.
    ``x**3`` calls ``pow`` per entry (~70 ns; this whole function costs ~6 ns), so the
    earlier sweep spent most of its time there; ``x*x*x`` and the exponential differ
    from it by an ulp or two. Overwrites nothing: returns a new array.
    """
    t = x * x
    t *= -2 * 0.7978845608028654 * 0.044715
    t -= 2 * 0.7978845608028654
    t *= x
    np.exp(t, out=t)
    t += 1.0
    np.divide(x, t, out=t)
    return t


def _norm_rows(model, h):
    """``model._norm`` with the row means as one BLAS product and the variance as one einsum."""
    d = h.shape[1]
    mu = h.sum(axis=1, keepdims=True)
    mu /= d
    c = h - mu
    var = np.einsum("ij,ij->i", c, c)[:, None]
    var /= d
    var += _LN_EPS
    np.sqrt(var, out=var)
    c /= var
    return model._r(c)


def _sweep_distances_batched(model, xa, za, zb, rows=512):
    """``l1``, ``linf`` and ``scale`` of ``y_n`` against ``y*_(n+1)`` for one block of lengths.

    The tail and the final norm run on ``rows`` lengths of both sequences stacked
    (``2 rows`` rows: three BLAS products and a few passes, small enough to stay in
    cache), and each chunk is reduced to its distances before the next one starts.
    """
    W = model.layers[0]
    r = model._r
    out = np.empty((3, len(za)))
    for s in range(0, len(za), rows):
        k = min(rows, len(za) - s)
        z = np.concatenate([za[s:s + rows], zb[s:s + rows]])
        z = r(xa + r(r(z) @ W["WO"]))
        if model.mlp:
            h = _norm_rows(model, z)
            g = r(_gelu_inplace(r(h @ W["W1"])))
            z = r(z + r(g @ W["W2"]))
        y = _norm_rows(model, z)
        diff = np.abs(y[:k] - y[k:])
        out[0, s:s + k] = diff.sum(axis=1)
        out[1, s:s + k] = diff.max(axis=1)
        out[2, s:s + k] = np.abs(y[:k]).max(axis=1)
    return out


class _KeyBlocks:
    """Logits ``t_j`` and values ``v_j`` of prefix positions ``[lo, hi)``, on demand.

    ``eager=True`` projects the whole prefix at once (the earlier path; ``model._qkv``).
    Otherwise each block is projected when the running sums reach it, so no ``(N, d)``
    array is ever built (fresh gigabytes cost more in page faults than the products);
    a block shorter than ``pad`` rows is projected together with the rows before it, so
    every product has at least ``pad`` rows, the regime where BLAS gives each row the same
    bits as one whole-prefix product. The queries are skipped when the encoding leaves
    queries and keys alone (a prefix query is never used).
    """

    def __init__(self, model, prefix, qa, slope, eager, pad=512):
        self.model, self.prefix, self.qa, self.slope, self.pad = model, prefix, qa, slope, pad
        self.sq = math.sqrt(model.d)
        self.abs_max = 0.0
        plain = type(model.encoding).queries_keys is PositionalEncoding.queries_keys
        self.all = None
        if eager or not plain or len(prefix) < pad:
            self.all = self._project(0, len(prefix), queries=not plain or eager)

    def _project(self, lo, hi, queries=False):
        model, pos = self.model, np.arange(lo, hi)
        h = model._norm(model._embed(self.prefix[lo:hi], pos))
        if queries:
            _, K, V_ = model._qkv(0, h, pos)
        else:
            W = model.layers[0]
            K, V_ = model._r(h @ W["WK"]), model._r(h @ W["WV"])
        t = (K.astype(np.float64) @ self.qa) / self.sq + self.slope * pos
        return t, V_

    def __call__(self, lo, hi):
        if self.all is not None:
            t, V_ = self.all[0][lo:hi], self.all[1][lo:hi]
        else:
            start = max(0, min(lo, hi - self.pad))
            t, V_ = self._project(start, hi)
            t, V_ = t[lo - start:], V_[lo - start:]
        if len(t):
            self.abs_max = max(self.abs_max, float(np.abs(t).max()))
        return t, V_


def _running_sums(keys, u, va, n_max, block, slope):
    """Attention outputs ``z_n`` and ``z*_n`` for ``n = 1 .. n_max``, block by block.

    ``keys(lo, hi)`` gives the logits and values of prefix positions ``[lo, hi)``. Yields
    ``(s, e, za, zb, factor)`` for the lengths ``n`` in ``[s + 1, e]``; the prefix sums are
    kept with a per-block reference so that no exponential overflows.
    """
    dt = np.float64
    m, d = n_max - 1, len(va)
    ns = np.arange(1, n_max + 1)
    # Appended keys of sequence n sit at positions n-1 (both) and n (the repeat).
    lw = u + slope * (ns - 1.0)
    lw2 = u + slope * ns.astype(dt)
    carry_S, carry_P, carry_ref = 0.0, np.zeros(d), -np.inf
    if slope > 0:
        # Within a block the ALiBi term spans slope * block nats; keep it well inside
        # the exponent range so that no length's weights all underflow.
        block = max(8, min(block, int(64 / slope)))
    for s in range(0, n_max, block):
        e = min(n_max, s + block)
        # Lengths n in [s+1, e] use prefix sums over j < n - 1, i.e. up to index e - 2;
        # prefix index j contributes to lengths n >= j + 2.
        tj, Vj = keys(s, min(e, m)) if s < m else (np.zeros(0), np.zeros((0, d)))
        ref = max(carry_ref, tj.max() if tj.size else -np.inf, lw2[e - 1], lw[s])
        scale_old = math.exp(carry_ref - ref) if np.isfinite(carry_ref) else 0.0
        ej = np.exp(tj - ref)
        cS = carry_S * scale_old + np.concatenate([[0.0], np.cumsum(ej)])
        # cP = carry_P * scale_old + [0, cumsum(e_j v_j)], built in one buffer.
        cP = np.empty((len(ej) + 1, d))
        cP[0] = 0.0
        np.multiply(ej[:, None], Vj, out=cP[1:])
        np.cumsum(cP[1:], axis=0, out=cP[1:])
        cP += carry_P * scale_old
        # For length n (index n-1 in [s, e)), the prefix sum over j < n-1 is cS[n-1-s].
        S = cS[: e - s]
        P = cP[: e - s]
        w = np.exp(lw[s:e] - ref)
        w2 = np.exp(lw2[s:e] - ref)
        za = (P + w[:, None] * va) / (S + w)[:, None]
        zb = (P + (w + w2)[:, None] * va) / (S + w + w2)[:, None]
        yield s, e, za, zb, w2 / (S + w + w2)
        carry_S, carry_P, carry_ref = cS[-1], cP[-1], ref


def collapse_sweep_all(model, prefix, last, n_max, block=4096, batched=True):
    """Every length ``n = 1 .. n_max`` at once with running sums, ``O(n_max d^2)``.

    Valid for one layer with an encoding whose logits do not depend on the query's
    position beyond a shift common to all keys (none, ALiBi), in fp64 or fp32: then

        z_n  = (P_{n-1} + w_n v_a) / (S_{n-1} + w_n),
        z*_n = (P_{n-1} + (w_n + w'_n) v_a) / (S_{n-1} + w_n + w'_n),

    with prefix sums ``S_m = sum_{j<m} e^{t_j}`` and ``P_m = sum_{j<m} e^{t_j} v_j``
    (``t_j`` the logit of key ``j`` plus ``slope * j`` for ALiBi). The sums are kept in
    blocks with a per-block reference to avoid overflow. The attention costs
    ``O(n_max d)``; the MLP and the norms after it ``O(n_max d^2)``, evaluated for both
    sequences in stacked BLAS passes and reduced to the distances at once (memory
    ``O(n_max + block d)``: no ``(n_max, d)`` array is built). About 10 s CPU for
    ``n_max = 10**6, d = 64`` on one core (the earlier path: ~48 s); the floor is the
    ``1.5e11`` flops of the MLP products.

    Parameters
    ----------
    model : SyntheticTransformer
        One layer, encoding "none" or "alibi", dtype "fp64" or "fp32".
    prefix : array_like, shape (>= n_max - 1, d)
        The growing sequence.
    last : array_like, shape (d,)
        The final token.
    n_max : int
        Longest length (``>= 1``).
    block : int
        Lengths per block (``>= 1``; capped for ALiBi so the bias span stays inside the
        exponent range).
    batched : bool
        ``True``: the stacked pass above, with the prefix projected block by block.
        ``False``: the earlier path (the whole prefix projected at once, the model's own
        tail for each sequence). The attention outputs are the same; ``y`` agrees to
        ~1e-15 relative in fp64, so the distances agree to ~1e-16 ``|y| d`` in absolute
        terms (relative to a distance of ``1e-5 |y|`` that is ~1e-11: the rounding of
        ``y`` itself, which both paths share with exact arithmetic). Kept for the
        benchmark.

    Returns
    -------
    dict of ndarray
        As :func:`collapse_sweep` (without ``y``), plus ``attn_l1``: the L1 distance of
        the attention outputs ``||z_n - z*_n||_1``; ``attn_factor``: ``w'/(S + w + w')``;
        ``attn_identity``: ``attn_factor * ||z_n - v_a||_1``, the right-hand side of
        :func:`attention_gap_identity_symbolic`; ``logit_bound``: ``max |logit|`` (M).

    Raises
    ------
    ValueError
        For a model that does not qualify (more layers, RoPE or sinusoidal encodings,
        low-precision formats, not causal), a prefix shorter than ``n_max - 1``, arrays of
        the wrong width or with non-finite entries, or non-integer ``n_max`` or ``block``.

    References
    ----------
    Barbero et al. (2024), Theorem B.3 and the first-layer step of its proof, p. 15.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(40, 8, seed=1)
    >>> fast = collapse_sweep_all(m, x[:-1], x[-1], 40)
    >>> ref = collapse_sweep(m, x[:-1], x[-1], [5, 40])
    >>> bool(np.allclose(fast["l1"][[4, 39]], ref["l1"], rtol=1e-9, atol=1e-15))
    True
    """
    _check_model(model)
    if model.num_layers != 1 or model.encoding.key_slope is None:
        raise ValueError("model must have num_layers=1 and an encoding whose logit bias is linear in "
                         "the key position (none, ALiBi) for running sums; use collapse_sweep on a grid")
    if model.windows != (None,):
        raise ValueError("model must have global attention (window=None) for running sums; "
                         "use collapse_sweep on a grid instead")
    if model.dtype not in ("fp64", "fp32"):
        raise ValueError(f"model.dtype must be 'fp64' or 'fp32' for running sums, got {model.dtype!r}")
    if not model.causal:
        raise ValueError("model must be causal (causal=True) for running sums")
    n_max = chk.check_int(n_max, "n_max", minimum=1)
    block = chk.check_int(block, "block", minimum=1)
    batched = chk.check_bool(batched, "batched")
    prefix = model._check_tokens(prefix, "prefix")
    if prefix.shape[0] < n_max - 1:
        raise ValueError(f"prefix has {prefix.shape[0]} tokens, need n_max - 1 = {n_max - 1}")
    last = chk.check_real_array(last, "last", shape=(model.d,))
    m = n_max - 1
    dt = np.float64
    slope = model.encoding.key_slope
    xa = model._embed(last[None], [0])
    qa, ka, va = model._qkv(0, model._norm(xa), [0])
    qa, ka, va = qa[0].astype(dt), ka[0].astype(dt), va[0].astype(dt)
    keys = _KeyBlocks(model, prefix[:m], qa, slope, eager=not batched)
    u = float(ka @ qa) / math.sqrt(model.d)
    l1, linf, scale = np.empty(n_max), np.empty(n_max), np.empty(n_max)
    attn_l1, factor, attn_identity = np.empty(n_max), np.empty(n_max), np.empty(n_max)
    for s, e, za, zb, f in _running_sums(keys, u, va, n_max, block, slope):
        if batched:
            l1[s:e], linf[s:e], scale[s:e] = _sweep_distances_batched(model, xa, za, zb)
        else:
            ya = model._norm(model._tail(0, np.repeat(xa, e - s, axis=0), model._r(za)))
            yb = model._norm(model._tail(0, np.repeat(xa, e - s, axis=0), model._r(zb)))
            diff = np.abs(ya - yb)
            l1[s:e], linf[s:e], scale[s:e] = diff.sum(axis=1), diff.max(axis=1), np.abs(ya).max(axis=1)
        attn_l1[s:e] = np.abs(za - zb).sum(axis=1)
        factor[s:e] = f
        attn_identity[s:e] = f * np.abs(za - va).sum(axis=1)
    return {
        "n": np.arange(1, n_max + 1),
        "l1": l1,
        "linf": linf,
        "scale": scale,
        "attn_l1": attn_l1,
        "attn_factor": factor,
        "attn_identity": attn_identity,
        "logit_bound": float(max(keys.abs_max, abs(u))),
    }


def attention_gap_identity_symbolic():
    """The exact one-layer collapse identity for position-independent logits.

    With prefix sums ``S`` and ``P`` and weights ``w, w'`` of the appended copies,
    ``z = (P + w v)/(S + w)`` and ``z* = (P + (w + w') v)/(S + w + w')`` satisfy

        z - z* = w' / (S + w + w') * (z - v),

    so ``||z - z*||_1 <= e^(2M)/(n+1) ||z - v_a||_1`` when all logits lie in
    ``[-M, M]`` (``S + w + w' >= (n+1) e^(-M)``, ``w' <= e^M``): an explicit ``O(1/n)``
    rate for the first-layer step of the proof of Theorem B.3.

    Parameters
    ----------
    None
        (S, w, w2 > 0 and real P, v are symbols)

    Returns
    -------
    sympy expression
        ``(z - z*) - w'/(S+w+w') (z - v)`` simplified, for one coordinate (0).

    Raises
    ------
    None
        (no argument)

    References
    ----------
    Barbero et al. (2024), proof of Theorem B.3, pp. 15-16.

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

    Parameters
    ----------
    n : int
        Length, ``>= 1``.
    M : float
        Bound on the logits, ``>= 0``.

    Returns
    -------
    float
        ``e^(2M)/(n+1)`` as a normal float64 (computed from its logarithm when the
        direct formula overflows).

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer, ``M`` not a finite real >= 0, or
        ``e^(2M)/(n+1)`` overflows or underflows float64.

    References
    ----------
    Barbero et al. (2024), proof of Theorem B.3, pp. 15-16.

    Examples
    --------
    >>> attention_gap_bound(9, 0.0)
    0.1
    """
    n = chk.check_int(n, "n", minimum=1)
    M = chk.check_real(M, "M", minimum=0.0)
    return chk.exp_over_power(M, 2, n + 1, 1, "M and n", "e^(2M)/(n+1)")


def _check_curve(lengths, distance, resolution):
    """Strictly increasing integer lengths, matching finite non-negative distances, and a
    non-negative resolution (one number, or one per length)."""
    ns = chk.check_int_array(lengths, "lengths", minimum=1)
    if (np.diff(ns) <= 0).any():
        raise ValueError("lengths must be strictly increasing")
    dist = chk.check_real_array(distance, "distance", ndim=1, minimum=0.0)
    if len(dist) != len(ns):
        raise ValueError(f"distance has {len(dist)} entries, lengths has {len(ns)}")
    if not isinstance(resolution, (str, bytes, list, tuple, np.ndarray)):
        res = chk.check_real(resolution, "resolution", minimum=0.0)
    else:
        res = chk.check_real_array(resolution, "resolution", ndim=1, minimum=0.0)
        if len(res) != len(ns):
            raise ValueError(f"resolution has {len(res)} entries, lengths has {len(ns)}")
    return ns, dist, res


def observed_onset(lengths, distance, resolution):
    """First length from which ``distance <= resolution`` holds for every later length.

    Parameters
    ----------
    lengths : sequence of int
        Strictly increasing positive lengths.
    distance : array_like of float
        One finite non-negative distance per length.
    resolution : float or array_like of float
        A finite non-negative threshold, or one per length.

    Returns
    -------
    int or None
        None when the distance is above the resolution at the last length.

    Raises
    ------
    ValueError
        For empty or unsorted lengths, lengths and distances of different sizes, or
        entries out of their domain (a NaN distance is refused, not read as "above").

    References
    ----------
    Barbero et al. (2024), Theorem B.3 (collapse below the format's resolution), p. 15,
    and Section 4, p. 7.

    Examples
    --------
    >>> observed_onset([1, 2, 3, 4], [1.0, 0.1, 0.5, 0.1], 0.2)
    4
    >>> observed_onset([1, 2], [1.0, 1.0], 0.2) is None
    True
    """
    lengths, distance, resolution = _check_curve(lengths, distance, resolution)
    below = distance <= resolution
    if not below[-1]:
        return None
    k = len(below) - 1
    while k > 0 and below[k - 1]:
        k -= 1
    return int(lengths[k])


def loglog_slope(ns, values, tail=0.5):
    """Least-squares slope of ``log(values)`` against ``log(n)`` over the last ``tail`` of the points.

    Non-positive values are left out (a distance that is exactly 0 has no logarithm);
    NaN when fewer than two remain. A distance that decays like ``n^-r`` has slope ``-r``.

    Parameters
    ----------
    ns : array_like of float
        Strictly increasing positive lengths.
    values : array_like of float
        One finite value per length.
    tail : float
        Fraction of the points used, in ``(0, 1]`` (at least two points).

    Returns
    -------
    float
        The slope, or NaN when fewer than two positive values remain in the tail.

    Raises
    ------
    ValueError
        For non-positive, unsorted or non-finite ``ns``, values of another length or
        non-finite, or ``tail`` outside ``(0, 1]``.

    References
    ----------
    Barbero et al. (2024), Figures 8 and 10 (decay on log scales), pp. 22-23.

    Examples
    --------
    >>> round(loglog_slope([1, 10, 100, 1000], [1.0, 0.1, 0.01, 0.001]), 6)
    -1.0
    """
    ns = chk.check_real_array(ns, "ns", ndim=1)
    if ns.min() <= 0 or (np.diff(ns) <= 0).any():
        raise ValueError("ns must be positive and strictly increasing")
    values = chk.check_real_array(values, "values", ndim=1)
    if len(values) != len(ns):
        raise ValueError(f"values has {len(values)} entries, ns has {len(ns)}")
    tail = chk.check_real(tail, "tail", minimum=0.0, maximum=1.0, open_min=True)
    k = max(2, int(math.ceil(len(ns) * tail)))
    x, y = ns[-k:], values[-k:]
    keep = y > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def _check_run(run, name, keys, length=None):
    if not isinstance(run, dict):
        raise chk.ArgumentTypeError(f"{name} must be a dict from collapse_sweep, got {type(run).__name__}")
    missing = [k for k in keys if k not in run]
    if missing:
        raise ValueError(f"{name} lacks {', '.join(missing)} (a collapse_sweep result has n, l1, linf, scale, y)")
    n = chk.check_int_array(run["n"], f"{name}['n']", minimum=1)
    if length is not None and len(n) != length:
        raise ValueError(f"{name} has {len(n)} lengths, the reference {length}")
    for k in keys[1:]:
        arr = chk.check_real_array(run[k], f"{name}[{k!r}]", minimum=0.0 if k != "y" else None)
        if arr.shape[0] != len(n):
            raise ValueError(f"{name}[{k!r}] has {arr.shape[0]} rows, {name}['n'] has {len(n)}")
    return n


def format_onsets(reference, runs):
    """Predicted and observed collapse onsets per number format.

    Parameters
    ----------
    reference : dict
        A :func:`collapse_sweep` in fp64 (keys ``n``, ``linf``, ``scale``, ``y``).
    runs : dict
        Format name (one of :data:`theory.precision.DTYPES`) -> :func:`collapse_sweep`
        of the same model and tokens in that format, on the same lengths.

    Returns
    -------
    dict
        Per format: ``predicted_from_fp64``, the first ``n`` from which the exact (fp64)
        distance stays below the format's ulp at the representation's scale (an a-priori
        figure from fp64 and the format alone); ``extrapolated_beyond_range``, the same
        extrapolated with the measured tail rate when the range ends first (None when
        the tail does not decay or the extrapolation exceeds ``2**62``);
        ``observed``, the first ``n`` from which the exact distance stays below the
        format's own representation error on the same vectors (``max ||y in the format -
        y in fp64||_inf`` over both sequences): past it the format cannot tell the two
        sequences apart; ``bitwise_identical_from``; and the resolution and the median
        representation error.

    Raises
    ------
    ValueError
        For a reference or run that is not a sweep result, runs on other lengths, an
        unknown format name, or a scale above a format's largest finite value.

    References
    ----------
    Barbero et al. (2024), Theorem B.3, p. 15, and Section 4 (bf16), p. 7.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(64, 8, seed=1)
    >>> ref = collapse_sweep(m, x[:-1], x[-1], [4, 16, 64])
    >>> lo = collapse_sweep(SyntheticTransformer(d=8, encoding="none", dtype="fp8_e4m3"), x[:-1], x[-1], [4, 16, 64])
    >>> format_onsets(ref, {"fp8_e4m3": lo})["fp8_e4m3"]["resolution_at_scale"]
    0.125
    """
    keys = ("n", "linf", "scale", "y")
    length = len(_check_run(reference, "reference", keys))
    if not isinstance(runs, dict):
        raise chk.ArgumentTypeError(f"runs must be a dict of format name -> collapse_sweep, got {type(runs).__name__}")
    for dt, run in runs.items():
        chk.check_choice(dt, "runs (format name)", DTYPES)
        _check_run(run, f"runs[{dt!r}]", ("n", "linf", "y"), length)
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
                with np.errstate(over="ignore"):
                    extra = reference["n"][-1] * (reference["linf"][-1] / res_ref[-1]) ** (1 / -slope)
                predicted_extra = int(extra) if extra <= 2**62 else None
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

    Parameters
    ----------
    n : int
        Copies of ``one``, ``>= 1``.
    one, sep : array_like of float, shape (d,)
        The repeated token and the separator (same width).
    every : int
        A separator after every ``every`` copies (none after the last), ``>= 1``.

    Returns
    -------
    ndarray, shape (n + (n - 1) // every, d)

    Raises
    ------
    ValueError
        For arguments out of their domain, tokens of different widths, or an output over
        the ``elements`` limit.

    References
    ----------
    Barbero et al. (2024), Section 4 and Figure 5 (c, d), pp. 7-8.

    Examples
    --------
    >>> s = separator_sequence(7, np.ones(2), np.zeros(2))
    >>> s[:, 0].tolist()
    [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    """
    n = chk.check_int(n, "n", minimum=1)
    every = chk.check_int(every, "every", minimum=1)
    one = chk.check_real_array(one, "one", ndim=1)
    sep = chk.check_real_array(sep, "sep", ndim=1)
    chk.check_same_width(one, sep, "one", "sep")
    rows = n + (n - 1) // every
    chk.check_elements([rows, len(one)], "n")
    is_sep = np.zeros(rows, dtype=bool)
    # Separators sit after every block of `every` copies: every (every + 1)-th row.
    is_sep[every::every + 1] = True
    return np.where(is_sep[:, None], sep[None, :], one[None, :])


def separator_distances(model, prompt, one, sep, lengths, every=None):
    """Distances ``||y_n - y_{n+1}||_inf`` between prompts of ``n`` and ``n + 1`` repeated tokens.

    The remedy of Section 4 in the synthetic model: the prompt, then ``n`` copies of
    ``one`` with ``sep`` after every ``every`` of them (no separator when ``every`` is
    None or 0).

    Parameters
    ----------
    model : SyntheticTransformer
    prompt : array_like, shape (p, d)
    one, sep : array_like, shape (d,)
    lengths : sequence of int
        Positive counts ``n``, not empty.
    every : int, optional
        Separator spacing (``>= 1``); None or 0 for no separators.

    Returns
    -------
    tuple
        ``(distances, scale)``: the distance per length (in the order given), and
        ``max |y|`` at the largest length.

    Raises
    ------
    ValueError
        For arguments out of their domain, token widths other than the model's, or work
        over the limit.

    References
    ----------
    Barbero et al. (2024), Section 4 and Figure 5 (c, d), pp. 7-8.

    Examples
    --------
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(4, 8, seed=1)
    >>> d, _ = separator_distances(m, x[:2], x[2], x[3], [4, 16])
    >>> bool(d[1] < d[0])
    True
    """
    _check_model(model)
    prompt = model._check_tokens(prompt, "prompt")
    one = chk.check_real_array(one, "one", shape=(model.d,))
    sep = chk.check_real_array(sep, "sep", shape=(model.d,))
    ns = chk.check_int_array(lengths, "lengths", minimum=1)
    # 0 means no separators, like None: the remedy check's negative control passes every=0.
    every = None if every is None else chk.check_int(every, "every", minimum=0) or None
    p = prompt.shape[0]
    # Separators in the longest sequence (an every beyond it adds none; int64-safe).
    sizes = p + ns + (ns // min(every, int(ns.max()) + 1) if every else 0) + 1
    chk.check_cost(2 * model.num_layers * int(np.sum(sizes.astype(float) ** 2)), "work", "lengths",
                 "attention scores")

    def seq(n):
        body = separator_sequence(n, one, sep, every) if every else np.repeat(one[None], n, 0)
        return np.concatenate([prompt, body])

    out = []
    for n in ns.tolist():
        ya, yb = model.forward(seq(n))[-1], model.forward(seq(n + 1))[-1]
        out.append(float(np.abs(ya - yb).max()))
    return np.array(out), float(np.abs(model.forward(seq(int(ns.max())))[-1]).max())
