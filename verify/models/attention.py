"""Exact attention without ``n x n`` weights, and attention rows recomputed from the model's own queries and keys.

Two things live here, sharing one definition of which keys a query sees:

1. :func:`banded_attention`, registered with transformers as the attention
   implementation ``"tng_banded"``. Global layers call ``scaled_dot_product_attention``
   with ``is_causal`` (no mask tensor, memory linear in ``n``); sliding-window layers
   attend block by block to the keys in their window only, so their cost is
   ``n * window``, not ``n^2``, and no ``n x n`` mask is ever built (the mask hook
   returns None). It is the same mathematics as the model's eager attention;
   ``tests/test_models_attention.py`` compares the two.
2. :class:`QueryKeyCapture`: while active, the attention function also keeps each
   layer's queries and keys *as the model computed them* (after its projections,
   query/key norms and RoPE) together with the scaling, window and soft-capping the
   model passed. :class:`AttentionRows` recomputes any block of rows of any layer's
   attention from them, and :func:`reverse_row_recursions` runs row-vector products
   such as the last-token rollout and Theorem B.5's path sum layer by layer, block by
   block: memory ``O(block * n)`` per step, never ``[L, H, n, n]``.

Key ``j`` is visible from query ``i`` iff ``j <= i`` and, in a sliding layer of window
``w``, ``i - j < w`` (transformers' convention: a query sees ``w`` keys, itself included).
"""

import contextlib

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "ATTENTION_NAME",
    "register_banded_attention",
    "banded_attention",
    "visible_keys",
    "LayerQK",
    "QueryKeyCapture",
    "AttentionRows",
    "reverse_row_recursions",
    "rollout_rule",
    "sensitivity_rule",
]

ATTENTION_NAME = "tng_banded"
#: Query rows per block; sized so that one block of one layer stays near 64 MB.
_BLOCK_BYTES = 64 << 20
_ACTIVE = []  # the capture in force (a stack so that nested uses stay correct)


def visible_keys(q_pos, k_pos, window=None):
    """Boolean ``[len(q_pos), len(k_pos)]``: may query ``q_pos[a]`` attend to key ``k_pos[b]``?

    Examples
    --------
    >>> visible_keys(torch.arange(4), torch.arange(4), window=2).int().tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    """
    diff = q_pos[:, None] - k_pos[None, :]
    ok = diff >= 0
    if window is not None:
        ok &= diff < window
    return ok


def _key_range(start, stop, offset, window):
    """Keys ``[lo, hi)`` that queries ``[start, stop)`` can see (positions shifted by ``offset``)."""
    hi = offset + stop
    lo = 0 if window is None else max(0, offset + start - window + 1)
    return lo, hi


def _masked_logits(q, k, q_pos, k_pos, scaling, window, softcap):
    """``q k^T * scaling``, soft-capped like the model, ``-inf`` where a key is not visible."""
    logits = torch.matmul(q, k.transpose(-1, -2)) * scaling
    if softcap is not None:
        logits = torch.tanh(logits / softcap) * softcap
    return logits.masked_fill(~visible_keys(q_pos, k_pos, window), float("-inf"))


def _repeat_kv(x, groups):
    """``[B, KV, n, d] -> [B, KV * groups, n, d]`` (grouped-query attention)."""
    if groups == 1:
        return x
    b, kv, n, d = x.shape
    return x[:, :, None].expand(b, kv, groups, n, d).reshape(b, kv * groups, n, d)


def _block_rows(heads, n_keys, itemsize=4):
    return int(max(16, min(1024, _BLOCK_BYTES // max(1, heads * n_keys * itemsize))))


def banded_attention(module, query, key, value, attention_mask=None, dropout=0.0, scaling=None,
                     sliding_window=None, softcap=None, **kwargs):
    """The attention function registered as ``"tng_banded"`` (transformers' AttentionInterface).

    Parameters
    ----------
    module : torch.nn.Module
        The model's attention module (its ``layer_idx`` and ``head_dim`` are read).
    query : Tensor ``[1, H, q, d]``; key, value : Tensor ``[1, KV, kv, d]``
        As the model computed them (after RoPE); with a KV cache ``kv >= q`` and the
        queries are the last ``q`` positions.
    attention_mask : None
        Always None: the mask hook of this implementation never builds one.
    scaling, sliding_window, softcap :
        Passed by the model's attention module.

    Returns
    -------
    (Tensor ``[1, q, H, d]``, None)

    Raises
    ------
    ValueError
        A batch of several sequences or dropout (training), which this exact
        implementation does not cover.
    """
    if query.shape[0] != 1 or attention_mask is not None:
        raise ValueError("the banded attention runs one unpadded sequence at a time (batch size 1, no mask)")
    if dropout:
        raise ValueError("the banded attention is for inference (dropout must be 0)")
    if scaling is None:
        scaling = module.head_dim ** -0.5
    groups = query.shape[1] // key.shape[1]
    for capture in _ACTIVE[-1:]:
        capture.record(module.layer_idx, query, key, scaling, sliding_window, softcap)
    key, value = _repeat_kv(key, groups), _repeat_kv(value, groups)
    q_len, kv_len = query.shape[2], key.shape[2]
    window = sliding_window if sliding_window is not None and sliding_window < kv_len else None
    if window is None and softcap is None and q_len in (1, kv_len):
        # Global layer without a cache offset: the fused kernel, O(n) memory.
        out = F.scaled_dot_product_attention(query, key, value, is_causal=q_len > 1, scale=scaling)
    else:
        out = _blockwise(query, key, value, scaling, window, softcap)
    return out.transpose(1, 2).contiguous(), None


def _blockwise(query, key, value, scaling, window, softcap):
    """Exact attention, query block by query block, over each block's visible keys only."""
    q_len, kv_len = query.shape[2], key.shape[2]
    offset = kv_len - q_len
    span = kv_len if window is None else window + 256
    step = _block_rows(query.shape[1], span, query.element_size())
    outs = []
    for s in range(0, q_len, step):
        e = min(q_len, s + step)
        lo, hi = _key_range(s, e, offset, window)
        q_pos = torch.arange(offset + s, offset + e)
        k_pos = torch.arange(lo, hi)
        qb, kb, vb = query[:, :, s:e], key[:, :, lo:hi], value[:, :, lo:hi]
        if softcap is None:
            out = F.scaled_dot_product_attention(qb, kb, vb, attn_mask=visible_keys(q_pos, k_pos, window),
                                                 scale=scaling)
        else:  # soft-capping is not an sdpa option: the eager formula, softmax in fp32 as eager does
            logits = _masked_logits(qb, kb, q_pos, k_pos, scaling, window, softcap)
            out = torch.matmul(torch.softmax(logits, dim=-1, dtype=torch.float32).to(qb.dtype), vb)
        outs.append(out)
    return torch.cat(outs, dim=2)


def _no_mask(batch_size, *args, attention_mask=None, **kwargs):
    """Mask hook of ``"tng_banded"``: never build a mask (the attention knows its pattern)."""
    if batch_size != 1 or (attention_mask is not None and not bool(attention_mask.all())):
        raise ValueError("the banded attention runs one unpadded sequence at a time (batch size 1, no padding)")
    return None


def register_banded_attention():
    """Register ``"tng_banded"`` with transformers (idempotent); returns its name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(ATTENTION_NAME, banded_attention)
    AttentionMaskInterface.register(ATTENTION_NAME, _no_mask)
    return ATTENTION_NAME


# --------------------------------------------------------------------------- capture


class LayerQK:
    """One layer's queries ``[H, n, d]`` and keys ``[KV, n, d]`` (fp32) and its attention parameters."""

    def __init__(self, query, key, scaling, window, softcap):
        self.query = query
        self.key = key
        self.scaling = float(scaling)
        self.window = None if window is None else int(window)
        self.softcap = None if softcap is None else float(softcap)

    @property
    def num_tokens(self):
        return self.query.shape[1]


class QueryKeyCapture:
    """Context manager: record, for every layer of the forward passes run inside it, what attention used.

    Parameters
    ----------
    keep : bool
        Keep the queries and keys (``[H, n, d]`` and ``[KV, n, d]`` in fp32 per layer;
        about 0.7 GB for either default model at 8,192 tokens). Without it only the
        parameters (scaling, window, soft-cap) are recorded, to check them against the
        adapter.

    Attributes
    ----------
    layers : dict
        ``layer index -> LayerQK`` (queries and keys None when ``keep`` is False).
    """

    def __init__(self, keep=True):
        self.keep = keep
        self.layers = {}

    def __enter__(self):
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc):
        _ACTIVE.remove(self)
        return False

    def record(self, layer, query, key, scaling, window, softcap):
        if layer in self.layers:
            raise ValueError(f"layer {layer} ran twice inside one capture (one forward pass per capture)")
        q = query[0].detach().float().clone() if self.keep else None
        k = key[0].detach().float().clone() if self.keep else None
        self.layers[layer] = LayerQK(q, k, scaling, window, softcap)

    def windows(self):
        """Per layer, the window the model passed (None for global layers)."""
        return tuple(self.layers[i].window for i in sorted(self.layers))


# --------------------------------------------------------------------------- rows


class AttentionRows:
    """Rows of every layer's attention, recomputed on demand from captured queries and keys.

    Parameters
    ----------
    capture : QueryKeyCapture
        A capture with ``keep=True`` of one forward pass.

    Examples
    --------
    A single layer with two heads sharing one key head:

    >>> cap = QueryKeyCapture()
    >>> cap.layers[0] = LayerQK(torch.randn(2, 5, 4), torch.randn(1, 5, 4), 0.5, None, None)
    >>> rows = AttentionRows(cap)
    >>> p = rows.block(0, 0, 5)
    >>> p.shape, bool(torch.allclose(p.sum(-1), torch.ones(2, 5))), bool((p.triu(1) == 0).all())
    (torch.Size([2, 5, 5]), True, True)
    """

    def __init__(self, capture):
        if not capture.layers or any(qk.query is None for qk in capture.layers.values()):
            raise ValueError("capture: no queries and keys were kept (use QueryKeyCapture(keep=True))")
        self.layers = capture.layers
        self.num_layers = len(self.layers)
        first = self.layers[0]
        self.num_heads = first.query.shape[0]
        self.num_tokens = first.num_tokens

    def key_range(self, layer, start, stop):
        """The keys ``[lo, hi)`` visible to rows ``[start, stop)`` of ``layer``."""
        return _key_range(start, stop, 0, self.layers[layer].window)

    def band(self, layer, start, stop):
        """Probabilities ``[H, stop - start, hi - lo]`` of rows ``[start, stop)`` over keys ``[lo, hi)``.

        Computed as the model's eager attention does: fp32 logits, fp32 softmax.
        """
        qk = self.layers[layer]
        lo, hi = self.key_range(layer, start, stop)
        q = qk.query[:, start:stop]
        k = _repeat_kv(qk.key[None, :, lo:hi], self.num_heads // qk.key.shape[0])[0]
        logits = _masked_logits(q, k, torch.arange(start, stop), torch.arange(lo, hi), qk.scaling,
                                qk.window, qk.softcap)
        return torch.softmax(logits, dim=-1), lo, hi

    def self_weights(self, positions):
        """Every layer's weight of each query in ``positions`` on itself, ``[L, H, k]``.

        Only those rows are computed (``k`` rows of ``n`` keys per layer), so a few
        dozen positions of a 32k-token prompt cost a few dozen rows, not ``n^2``.
        """
        pos = torch.as_tensor(np.asarray(positions, dtype=np.int64))
        if pos.numel() == 0 or int(pos.min()) < 0 or int(pos.max()) >= self.num_tokens:
            raise ValueError(f"positions must be non-empty and within [0, {self.num_tokens}), got {positions!r}")
        hi = int(pos.max()) + 1
        out = np.zeros((self.num_layers, self.num_heads, len(pos)), dtype=np.float32)
        for layer, qk in sorted(self.layers.items()):
            k = _repeat_kv(qk.key[None, :, :hi], self.num_heads // qk.key.shape[0])[0]
            logits = _masked_logits(qk.query[:, pos], k, pos, torch.arange(hi), qk.scaling, qk.window, qk.softcap)
            p = torch.softmax(logits, dim=-1)
            out[layer] = p[:, torch.arange(len(pos)), pos].numpy()
        return out

    def block(self, layer, start, stop):
        """Probabilities ``[H, stop - start, n]`` of rows ``[start, stop)``, zeros outside the band."""
        p, lo, hi = self.band(layer, start, stop)
        full = torch.zeros(self.num_heads, stop - start, self.num_tokens)
        full[:, :, lo:hi] = p
        return full

    def blocks(self, layer):
        """Yield ``(start, stop, probabilities [H, rows, hi-lo], lo, hi)`` covering every row of ``layer``."""
        n = self.num_tokens
        w = self.layers[layer].window
        step = _block_rows(self.num_heads, n if w is None else w + 256)
        for s in range(0, n, step):
            e = min(n, s + step)
            p, lo, hi = self.band(layer, s, e)
            yield s, e, p, lo, hi

    def full(self, max_tokens=2048):
        """The whole attention ``[L, H, n, n]`` as a numpy float32 array (small prompts only).

        Raises
        ------
        ValueError
            ``n > max_tokens`` (the array would need ``L * H * n^2 * 4`` bytes).
        """
        n = self.num_tokens
        if n > max_tokens:
            raise ValueError(f"full attention of {n} tokens asked; the limit is max_tokens={max_tokens} "
                             f"({self.num_layers * self.num_heads * n * n * 4 / 2**30:.1f} GiB otherwise)")
        out = np.zeros((self.num_layers, self.num_heads, n, n), dtype=np.float32)
        for layer in range(self.num_layers):
            for s, e, p, lo, hi in self.blocks(layer):
                out[layer, :, s:e, lo:hi] = p.numpy()
        return out


def rollout_rule(r_attended, r):
    """One layer of the attention rollout, ``r (A + I) / 2`` (Abnar and Zuidema; :func:`graphs.paths.rollout`)."""
    return (r_attended + r) / 2


def sensitivity_rule(beta1=1.0, beta2=1.0, normalisation="proof"):
    """One layer of Theorem B.5's path sum, ``r Abar`` (:func:`graphs.causal.abar`'s rule)."""
    from graphs.causal import abar

    return lambda r_attended, r: abar(r_attended, r, beta1, beta2, normalisation)


def reverse_row_recursions(rows, rules, target=-1):
    """Row-vector recursions from the last layer down, plus each layer's diagonal and target row.

    For each rule ``f``: ``r <- f(r A^(l), r)`` for ``l = L-1, ..., 0`` starting from
    ``r = e_target``, where ``A^(l)`` is the head-mean attention of layer ``l``. The
    products ``r A^(l)`` are accumulated block of rows by block of rows in fp64.

    Parameters
    ----------
    rows : AttentionRows
    rules : dict
        ``name -> f(r_attended, r) -> r`` (see :func:`rollout_rule`, :func:`sensitivity_rule`).
    target : int
        The output position (default: the last token).

    Returns
    -------
    dict
        ``name -> (n,)`` for every rule; ``"diag"``: ``[L, H, n]`` every token's weight
        on itself; ``"target_row"``: ``[L, H, n]`` the target's attention row.

    References
    ----------
    Theorem B.5 (the path sum is ``e_n^T Abar^(L-1) ... Abar^(0)``, computed row first);
    Lemma B.1 (the diagonal); Proposition B.8 (the rollout).
    """
    n, L, H = rows.num_tokens, rows.num_layers, rows.num_heads
    t = range(n)[target]
    vectors = {}
    for name in rules:
        vectors[name] = np.zeros(n)
        vectors[name][t] = 1.0
    diag = np.zeros((L, H, n), dtype=np.float32)
    target_row = np.zeros((L, H, n), dtype=np.float32)
    for layer in reversed(range(L)):
        attended = {name: np.zeros(n) for name in rules}
        for s, e, p, lo, hi in rows.blocks(layer):
            # Row i's own key is always in its band: lo <= s <= i < e = hi.
            diag[layer, :, s:e] = p[:, torch.arange(e - s), torch.arange(s, e) - lo].numpy()
            if s <= t < e:
                target_row[layer, :, lo:hi] = p[:, t - s].numpy()
            mean = p.double().mean(0).numpy()
            for name, r in vectors.items():
                attended[name][lo:hi] += r[s:e] @ mean
        for name, rule in rules.items():
            vectors[name] = rule(attended[name], vectors[name])
    return dict(vectors, diag=diag, target_row=target_row)


@contextlib.contextmanager
def no_capture():
    """Run a forward pass with no capture in force (even inside an outer one)."""
    saved = list(_ACTIVE)
    _ACTIVE.clear()
    try:
        yield
    finally:
        _ACTIVE.extend(saved)
