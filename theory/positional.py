"""Positional encodings of the synthetic decoder-only Transformer (Section 2, Appendix C.3).

Four encodings, as in Figure 10: the sinusoidal absolute encoding of Vaswani et al.
(added to queries and keys, or to the token vectors), RoPE (rotates queries and keys), ALiBi (a linear bias on
the attention logits) and none (NoPE).

Theorem 4.2/B.3 assumes that "the positional encodings decay with distance to 0, e.g.
as in RoPE". :func:`rope_logit_profile` makes it possible to test that assumption: the
RoPE logit between a fixed query and key is a quasi-periodic function of the distance,
not a decaying one (see the errata of check B.3).
"""

import numpy as np

from graphs.validate import (
    check_choice,
    check_finite_array,
    check_positive_int,
    check_positive_real,
)

__all__ = [
    "PositionalEncoding",
    "NoPE",
    "Sinusoidal",
    "SinusoidalInput",
    "RoPE",
    "ALiBi",
    "ENCODINGS",
    "make_encoding",
    "sinusoidal_encoding",
    "rope_frequencies",
    "rope_rotate",
    "alibi_slope",
    "alibi_bias",
    "rope_logit_profile",
]



def _positions(positions):
    pos = check_finite_array(np.atleast_1d(positions), "positions", ndim=1)
    if (pos < 0).any():
        raise ValueError("positions must be >= 0")
    return pos


def sinusoidal_encoding(positions, d, base=10000.0):
    """Sinusoidal absolute encoding: ``PE[p, 2f] = sin(p / base**(2f/d))``, ``PE[p, 2f+1] = cos(...)``.

    Parameters
    ----------
    positions : array_like of int, shape (n,)
    d : int
        Even model width.
    base : float

    Returns
    -------
    ndarray, shape (n, d)

    Examples
    --------
    >>> sinusoidal_encoding([0], 4).tolist()
    [[0.0, 1.0, 0.0, 1.0]]
    """
    d = check_positive_int(d, "d", minimum=2)
    if d % 2:
        raise ValueError(f"d must be even, got {d}")
    base = check_positive_real(base, "base")
    pos = _positions(positions)
    freq = base ** (-np.arange(0, d, 2) / d)
    ang = pos[:, None] * freq[None, :]
    out = np.empty((len(pos), d))
    out[:, 0::2] = np.sin(ang)
    out[:, 1::2] = np.cos(ang)
    return out


def rope_frequencies(d, base=10000.0):
    """RoPE rotation frequencies ``theta_f = base**(-2f/d)`` for ``f < d/2``.

    Examples
    --------
    >>> rope_frequencies(4, base=100.0).tolist()
    [1.0, 0.1]
    """
    d = check_positive_int(d, "d", minimum=2)
    if d % 2:
        raise ValueError(f"d must be even, got {d}")
    base = check_positive_real(base, "base")
    return base ** (-np.arange(0, d, 2) / d)


def rope_rotate(x, positions, base=10000.0):
    """Rotate consecutive coordinate pairs of each row of ``x`` by ``position * theta_f``.

    Rotating both queries and keys makes their dot product depend on the positions
    only through their difference.

    Examples
    --------
    >>> q = np.array([[1.0, 0.0]]); k = np.array([[1.0, 0.0]])
    >>> a = rope_rotate(q, [5]) @ rope_rotate(k, [3]).T
    >>> b = rope_rotate(q, [2]) @ rope_rotate(k, [0]).T
    >>> bool(np.allclose(a, b))
    True
    """
    x = check_finite_array(x, "x", ndim=2)
    pos = _positions(positions)
    if len(pos) != x.shape[0]:
        raise ValueError(f"positions has length {len(pos)}, x has {x.shape[0]} rows")
    theta = rope_frequencies(x.shape[1], base)
    ang = pos[:, None] * theta[None, :]
    c, s = np.cos(ang), np.sin(ang)
    out = np.empty_like(x)
    out[:, 0::2] = x[:, 0::2] * c - x[:, 1::2] * s
    out[:, 1::2] = x[:, 0::2] * s + x[:, 1::2] * c
    return out


def alibi_slope(head=0, num_heads=1):
    """ALiBi slope of a head: ``2**(-8 (h+1) / H)`` (Press et al. 2022).

    Examples
    --------
    >>> alibi_slope(0, 1)
    0.00390625
    >>> alibi_slope(0, 8)
    0.5
    """
    num_heads = check_positive_int(num_heads, "num_heads")
    head = check_positive_int(head, "head", minimum=0)
    if head >= num_heads:
        raise ValueError(f"head must be < num_heads={num_heads}, got {head}")
    return float(2.0 ** (-8.0 * (head + 1) / num_heads))


def alibi_bias(query_position, key_positions, slope):
    """ALiBi logit bias ``-slope * (query_position - key_position)``.

    Examples
    --------
    >>> alibi_bias(3, [0, 1, 2, 3], 0.5).tolist()
    [-1.5, -1.0, -0.5, -0.0]
    """
    slope = check_positive_real(slope, "slope", allow_zero=True)
    kp = _positions(key_positions)
    return -slope * (float(query_position) - kp)


def rope_logit_profile(q, k, distances, base=10000.0):
    """RoPE logit ``q . R(distance) k`` as a function of the query-key distance.

    Used to test Theorem B.3's assumption that positional information "decays with
    distance to 0, e.g. as in RoPE": for ``q = k`` it is
    ``sum_f |q_f|^2 cos(theta_f * distance)``, which returns to ``|q|^2`` arbitrarily
    close infinitely often rather than decaying.

    Examples
    --------
    >>> q = np.array([1.0, 0.0])
    >>> rope_logit_profile(q, q, [0, 1]).round(4).tolist()
    [1.0, 0.5403]
    """
    q = check_finite_array(q, "q", ndim=1)
    k = check_finite_array(k, "k", ndim=1)
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape, got {q.shape} and {k.shape}")
    dist = _positions(distances)
    rq = rope_rotate(np.repeat(q[None, :], len(dist), axis=0), dist, base)
    return rq @ k


# --------------------------------------------------------------------------- as classes


class PositionalEncoding:
    """Where a positional encoding enters a decoder-only Transformer: the methods it calls.

    A new encoding is one subclass overriding what it changes:

    - :meth:`embed`: added to the token vectors (the residual stream);
    - :meth:`queries_keys`: applied to queries and keys;
    - :meth:`logit_bias`: added to the attention logits;
    - :attr:`key_slope`: for logits whose bias is ``key_slope * key_position`` plus a
      term common to all keys (so the running-sum collapse sweep applies), else None.

    ``round_`` is the caller's rounding to its number format; an encoding rounds what it
    adds, the way a low-precision kernel stores it.
    """

    name = "base"
    key_slope = None

    def embed(self, x, positions, round_):
        return x

    def queries_keys(self, q, k, positions, round_):
        return q, k

    def logit_bias(self, query_positions, key_positions):
        """``(len(query_positions), len(key_positions))`` float64 bias, or None."""
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"


class NoPE(PositionalEncoding):
    """No positional encoding: position enters only through the causal mask.

    Examples
    --------
    >>> NoPE().key_slope
    0.0
    """

    name = "none"
    key_slope = 0.0


class Sinusoidal(PositionalEncoding):
    """Sinusoidal encoding added to queries and keys (the paper's synthetic set-up, Appendix C.3).

    Examples
    --------
    >>> q, k = Sinusoidal().queries_keys(np.zeros((1, 2)), np.zeros((1, 2)), [0], lambda a: a)
    >>> q.tolist()
    [[0.0, 1.0]]
    """

    name = "sinusoidal"

    def queries_keys(self, q, k, positions, round_):
        pe = round_(sinusoidal_encoding(positions, q.shape[1]))
        return round_(q + pe), round_(k + pe)


class SinusoidalInput(PositionalEncoding):
    """Sinusoidal encoding added to the token vectors, as in Vaswani et al. (2017).

    It then also enters the residual stream and the values, which breaks the proof of
    Theorem B.3 (the final tokens sit at different positions in the two sequences).
    """

    name = "sinusoidal_input"

    def embed(self, x, positions, round_):
        return round_(x + round_(sinusoidal_encoding(positions, x.shape[1])))


class RoPE(PositionalEncoding):
    """Rotary encoding (Su et al. 2024): queries and keys rotated by ``position * theta_f``.

    Parameters
    ----------
    base : float
        ``theta_f = base**(-2f/d)``.
    """

    name = "rope"

    def __init__(self, base=10000.0):
        self.base = check_positive_real(base, "base")

    def queries_keys(self, q, k, positions, round_):
        return (round_(rope_rotate(q.astype(np.float64), positions, self.base)),
                round_(rope_rotate(k.astype(np.float64), positions, self.base)))

    def __repr__(self):
        return f"RoPE(base={self.base:g})"


class ALiBi(PositionalEncoding):
    """Linear attention bias (Press et al. 2022): ``-slope * |query_position - key_position|``.

    Parameters
    ----------
    slope : float, optional
        Default: the single-head slope ``2**-8`` (:func:`alibi_slope`).

    Examples
    --------
    >>> ALiBi(0.5).logit_bias([2], [0, 1, 2]).tolist()
    [[-1.0, -0.5, -0.0]]
    """

    name = "alibi"

    def __init__(self, slope=None):
        self.slope = alibi_slope() if slope is None else check_positive_real(slope, "slope")
        self.key_slope = self.slope

    def logit_bias(self, query_positions, key_positions):
        qp = _positions(query_positions)
        kp = _positions(key_positions)
        return -self.slope * np.abs(qp[:, None] - kp[None, :])

    def __repr__(self):
        return f"ALiBi(slope={self.slope:g})"


#: The encodings by name (Figure 10's four, and the input-added sinusoidal variant).
ENCODINGS = {cls.name: cls for cls in (Sinusoidal, RoPE, ALiBi, NoPE, SinusoidalInput)}


def make_encoding(encoding, alibi=None, rope_base=10000.0):
    """An encoding instance from a name of :data:`ENCODINGS` (or an instance, returned as is).

    Parameters
    ----------
    encoding : str or PositionalEncoding
    alibi : float, optional
        ALiBi slope (only with ``"alibi"``).
    rope_base : float
        RoPE base (only with ``"rope"``).

    Raises
    ------
    ValueError
        For an unknown name, or a parameter given to an encoding that has none.

    Examples
    --------
    >>> make_encoding("alibi", alibi=0.25)
    ALiBi(slope=0.25)
    """
    if isinstance(encoding, PositionalEncoding):
        return encoding
    name = check_choice(encoding, "encoding", tuple(ENCODINGS))
    if alibi is not None and name != "alibi":
        raise ValueError(f"alibi is an ALiBi slope; it has no meaning with encoding={name!r}")
    if name == "alibi":
        return ALiBi(alibi)
    if name == "rope":
        return RoPE(rope_base)
    return ENCODINGS[name]()
