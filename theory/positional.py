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
    "ENCODINGS",
    "sinusoidal_encoding",
    "rope_frequencies",
    "rope_rotate",
    "alibi_slope",
    "alibi_bias",
    "rope_logit_profile",
]

#: ``sinusoidal`` adds the encoding to queries and keys (the paper's synthetic set-up,
#: Appendix C.3: "sample the key, query, and values ... and apply the sinusoidal PEs");
#: ``sinusoidal_input`` adds it to the token vectors, as in Vaswani et al., so that it
#: also enters the residual stream and the values.
ENCODINGS = ("sinusoidal", "rope", "alibi", "none", "sinusoidal_input")


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


def check_encoding(encoding):
    """Raise ValueError unless ``encoding`` is one of :data:`ENCODINGS`."""
    return check_choice(encoding, "encoding", ENCODINGS)
