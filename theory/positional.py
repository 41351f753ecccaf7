"""Positional encodings of the synthetic decoder-only Transformer (Section 2, Appendix C.3).

Four encodings, as in Figure 10: the sinusoidal absolute encoding of Vaswani et al.
(added to queries and keys, or to the token vectors), RoPE (rotates queries and keys), ALiBi (a linear bias on
the attention logits) and none (NoPE).

Theorem 4.2/B.3 (p. 7 and p. 15) assumes that "the positional encodings decay with
distance to 0, e.g. as in RoPE". :func:`rope_logit_profile` makes it possible to test that
assumption: the RoPE logit between a fixed query and key is a quasi-periodic function of
the distance, not a decaying one (see the errata of check B.3; the paper itself notes the
doubt in Appendix C.4, p. 23).

Positions are non-negative finite reals (integers in the model); arrays of booleans or
strings are refused rather than read as 0/1 or parsed.
"""

import numbers

import numpy as np

from theory import _validate as chk

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

_REFS_PE = ("Barbero et al. (2024), Section 2 (bounded positional encodings), p. 3; Appendix C.4 "
            "and Figure 10, pp. 22-23.")


def _positions(positions, name="positions"):
    if isinstance(positions, numbers.Real) and not isinstance(positions, (bool, np.bool_)):
        positions = [positions]  # a single position
    return chk.check_real_array(positions, name, ndim=1, minimum=0.0)


def _even_width(d, name="d"):
    d = chk.check_int(d, name, minimum=2)
    if d % 2:
        raise ValueError(f"{name} must be even (coordinates are rotated in pairs), got {d}")
    return d


def sinusoidal_encoding(positions, d, base=10000.0):
    """Sinusoidal absolute encoding: ``PE[p, 2f] = sin(p / base**(2f/d))``, ``PE[p, 2f+1] = cos(...)``.

    Parameters
    ----------
    positions : array_like of float, shape (n,)
        Non-negative finite positions (a single number is one position).
    d : int
        Even model width (``>= 2``).
    base : float
        ``> 0``; 10000 in Vaswani et al. (2017).

    Returns
    -------
    ndarray, shape (n, d)
        Entries in ``[-1, 1]``.

    Raises
    ------
    ValueError
        For an odd or non-positive ``d``, a non-positive ``base``, negative or
        non-finite positions, or ``n * d`` over the ``elements`` limit.

    References
    ----------
    Barbero et al. (2024), Appendix C.3 (the sinusoidal encodings of [30]), p. 21.

    Examples
    --------
    >>> sinusoidal_encoding([0], 4).tolist()
    [[0.0, 1.0, 0.0, 1.0]]
    """
    d = _even_width(d)
    base = chk.check_real(base, "base", minimum=0.0, open_min=True)
    pos = _positions(positions)
    chk.check_elements([len(pos), d], "positions")
    freq = base ** (-np.arange(0, d, 2) / d)
    ang = pos[:, None] * freq[None, :]
    out = np.empty((len(pos), d))
    out[:, 0::2] = np.sin(ang)
    out[:, 1::2] = np.cos(ang)
    return out


def rope_frequencies(d, base=10000.0):
    """RoPE rotation frequencies ``theta_f = base**(-2f/d)`` for ``f < d/2``.

    Parameters
    ----------
    d : int
        Even width (``>= 2``).
    base : float
        ``> 0``.

    Returns
    -------
    ndarray, shape (d // 2,)

    Raises
    ------
    ValueError
        For an odd or non-positive ``d`` or a non-positive ``base``.

    References
    ----------
    Barbero et al. (2024), Theorem B.3 ("e.g. as in RoPE"), p. 15; Appendix C.4, p. 23.

    Examples
    --------
    >>> rope_frequencies(4, base=100.0).tolist()
    [1.0, 0.1]
    """
    d = _even_width(d)
    base = chk.check_real(base, "base", minimum=0.0, open_min=True)
    chk.check_elements([d // 2], "d")
    return base ** (-np.arange(0, d, 2) / d)


def rope_rotate(x, positions, base=10000.0):
    """Rotate consecutive coordinate pairs of each row of ``x`` by ``position * theta_f``.

    Rotating both queries and keys makes their dot product depend on the positions
    only through their difference.

    Parameters
    ----------
    x : array_like of float, shape (n, d)
        Rows to rotate; ``d`` even.
    positions : array_like of float, shape (n,)
        One non-negative position per row.
    base : float
        ``> 0``.

    Returns
    -------
    ndarray, shape (n, d)
        Each pair rotated; row norms are preserved.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D with an even number of columns, the positions do not match
        its rows, or an argument is out of its domain.

    References
    ----------
    Barbero et al. (2024), Theorem B.3, p. 15; Appendix C.4, p. 23.

    Examples
    --------
    >>> q = np.array([[1.0, 0.0]]); k = np.array([[1.0, 0.0]])
    >>> a = rope_rotate(q, [5]) @ rope_rotate(k, [3]).T
    >>> b = rope_rotate(q, [2]) @ rope_rotate(k, [0]).T
    >>> bool(np.allclose(a, b))
    True
    """
    x = chk.check_real_array(x, "x", ndim=2)
    if x.shape[1] % 2:
        raise ValueError(f"x must have an even number of columns (pairs are rotated), got {x.shape[1]}")
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

    Parameters
    ----------
    head : int
        Head index, ``0 <= head < num_heads``.
    num_heads : int
        Number of heads ``H >= 1``.

    Returns
    -------
    float
        In ``(0, 1)``.

    Raises
    ------
    ValueError
        For indices that are not integers or out of range.

    References
    ----------
    Barbero et al. (2024), Appendix C.4 (Alibi [24]), p. 22.

    Examples
    --------
    >>> alibi_slope(0, 1)
    0.00390625
    >>> alibi_slope(0, 8)
    0.5
    """
    num_heads = chk.check_int(num_heads, "num_heads", minimum=1)
    head = chk.check_int(head, "head", minimum=0)
    if head >= num_heads:
        raise ValueError(f"head must be < num_heads={num_heads}, got {head}")
    return float(2.0 ** (-8.0 * (head + 1) / num_heads))


def alibi_bias(query_position, key_positions, slope):
    """ALiBi logit bias ``-slope * (query_position - key_position)`` of a causal query.

    Parameters
    ----------
    query_position : float
        Non-negative position of the query.
    key_positions : array_like of float, shape (m,)
        Positions of the keys it attends to: causal, so each ``<= query_position``.
    slope : float
        ``>= 0``.

    Returns
    -------
    ndarray, shape (m,)
        Non-positive biases.

    Raises
    ------
    ValueError
        For a key after the query (the formula would give a positive bias that ALiBi
        never uses), or an argument out of its domain.

    References
    ----------
    Barbero et al. (2024), Appendix C.4 (Alibi [24]), p. 22.

    Examples
    --------
    >>> alibi_bias(3, [0, 1, 2, 3], 0.5).tolist()
    [-1.5, -1.0, -0.5, -0.0]
    """
    qp = chk.check_real(query_position, "query_position", minimum=0.0)
    kp = _positions(key_positions, "key_positions")
    slope = chk.check_real(slope, "slope", minimum=0.0)
    if kp.max() > qp:
        raise ValueError(f"key_positions must be <= query_position={qp:g} (causal attention), "
                         f"got {kp.max():g}")
    return -slope * (qp - kp)


def rope_logit_profile(q, k, distances, base=10000.0):
    """RoPE logit ``q . R(distance) k`` as a function of the query-key distance.

    Used to test Theorem B.3's assumption that positional information "decays with
    distance to 0, e.g. as in RoPE": for ``q = k`` it is
    ``sum_f |q_f|^2 cos(theta_f * distance)``, which returns to ``|q|^2`` arbitrarily
    close infinitely often rather than decaying.

    Parameters
    ----------
    q, k : array_like of float, shape (d,)
        Query and key, ``d`` even.
    distances : array_like of float, shape (m,)
        Non-negative query-key distances.
    base : float
        ``> 0``.

    Returns
    -------
    ndarray, shape (m,)
        Bounded by ``|q| |k|`` in absolute value.

    Raises
    ------
    ValueError
        For ``q`` and ``k`` of different or odd length, negative or non-finite
        distances, or ``m * d`` over the ``elements`` limit.

    References
    ----------
    Barbero et al. (2024), Theorem B.3 (the decay assumption), p. 15; Appendix C.4, p. 23.

    Examples
    --------
    >>> q = np.array([1.0, 0.0])
    >>> rope_logit_profile(q, q, [0, 1]).round(4).tolist()
    [1.0, 0.5403]
    """
    q = chk.check_real_array(q, "q", ndim=1)
    k = chk.check_real_array(k, "k", ndim=1)
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape, got {q.shape} and {k.shape}")
    _even_width(len(q), "q")
    dist = _positions(distances, "distances")
    chk.check_elements([len(dist), len(q)], "distances")
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
    adds, the way a low-precision kernel stores it. The methods are called by
    :class:`theory.collapse.SyntheticTransformer` on arrays it has already checked.

    Parameters
    ----------
    None
        The base class has no parameters (subclasses document theirs).

    Raises
    ------
    None
        The base class checks nothing (there is nothing to check).

    References
    ----------
    Barbero et al. (2024), Section 2 (the positional information p_ij in the logits),
    p. 3; Appendix C.4, pp. 22-23.

    Examples
    --------
    >>> PositionalEncoding().logit_bias([1], [0, 1]) is None
    True
    """

    name = "base"
    key_slope = None

    def embed(self, x, positions, round_):
        """Token vectors after the encoding is added: ``x`` itself unless overridden."""
        return x

    def queries_keys(self, q, k, positions, round_):
        """Queries and keys after the encoding: ``(q, k)`` unless overridden."""
        return q, k

    def logit_bias(self, query_positions, key_positions):
        """``(len(query_positions), len(key_positions))`` float64 bias, or None."""
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"


class NoPE(PositionalEncoding):
    """No positional encoding: position enters only through the causal mask.

    Parameters
    ----------
    None
        Nothing to choose.

    Raises
    ------
    None
        Its methods return their inputs.

    References
    ----------
    Barbero et al. (2024), Appendix C.4 (NoPE [15]), p. 22; Proposition B.9, p. 19.

    Examples
    --------
    >>> NoPE().key_slope
    0.0
    """

    name = "none"
    key_slope = 0.0


class Sinusoidal(PositionalEncoding):
    """Sinusoidal encoding added to queries and keys (the paper's synthetic set-up, Appendix C.3).

    Parameters
    ----------
    None
        The base is 10000, as in Vaswani et al. (2017).

    Raises
    ------
    None
        :meth:`queries_keys` raises ValueError for an odd width (see
        :func:`sinusoidal_encoding`).

    References
    ----------
    Barbero et al. (2024), Appendix C.3 and Figure 8, pp. 21-22.

    Examples
    --------
    >>> q, k = Sinusoidal().queries_keys(np.zeros((1, 2)), np.zeros((1, 2)), [0], lambda a: a)
    >>> q.tolist()
    [[0.0, 1.0]]
    """

    name = "sinusoidal"

    def queries_keys(self, q, k, positions, round_):
        """Queries and keys with the rounded encoding of ``positions`` added."""
        pe = round_(sinusoidal_encoding(positions, q.shape[1]))
        return round_(q + pe), round_(k + pe)


class SinusoidalInput(PositionalEncoding):
    """Sinusoidal encoding added to the token vectors, as in Vaswani et al. (2017).

    It then also enters the residual stream and the values, which breaks the proof of
    Theorem B.3 (the final tokens sit at different positions in the two sequences).

    Parameters
    ----------
    None

    Raises
    ------
    None
        :meth:`embed` raises ValueError for an odd width.

    References
    ----------
    Barbero et al. (2024), Appendix C.4 (APE [30]), p. 22; Theorem B.3, p. 15.

    Examples
    --------
    >>> SinusoidalInput().embed(np.zeros((1, 2)), [0], lambda a: a).tolist()
    [[0.0, 1.0]]
    """

    name = "sinusoidal_input"

    def embed(self, x, positions, round_):
        """Token vectors with the rounded encoding of ``positions`` added."""
        return round_(x + round_(sinusoidal_encoding(positions, x.shape[1])))


class RoPE(PositionalEncoding):
    """Rotary encoding (Su et al. 2024): queries and keys rotated by ``position * theta_f``.

    Parameters
    ----------
    base : float
        ``theta_f = base**(-2f/d)``; a finite real > 0.

    Raises
    ------
    ValueError
        If ``base`` is not a finite real > 0.

    References
    ----------
    Barbero et al. (2024), Theorem B.3 ("e.g. as in RoPE"), p. 15; Appendix C.4, p. 23.

    Examples
    --------
    >>> RoPE(500.0)
    RoPE(base=500)
    """

    name = "rope"

    def __init__(self, base=10000.0):
        self.base = chk.check_real(base, "base", minimum=0.0, open_min=True)

    def queries_keys(self, q, k, positions, round_):
        """Queries and keys rotated by their positions, then rounded."""
        return (round_(rope_rotate(q.astype(np.float64), positions, self.base)),
                round_(rope_rotate(k.astype(np.float64), positions, self.base)))

    def __repr__(self):
        return f"RoPE(base={self.base:g})"


class ALiBi(PositionalEncoding):
    """Linear attention bias (Press et al. 2022): ``-slope * |query_position - key_position|``.

    Parameters
    ----------
    slope : float, optional
        A finite real > 0. Default: the single-head slope ``2**-8`` (:func:`alibi_slope`).

    Raises
    ------
    ValueError
        If ``slope`` is given and is not a finite real > 0.

    References
    ----------
    Barbero et al. (2024), Appendix C.4 (Alibi [24]) and Figure 10, pp. 22-23.

    Examples
    --------
    >>> ALiBi(0.5).logit_bias([2], [0, 1, 2]).tolist()
    [[-1.0, -0.5, -0.0]]
    """

    name = "alibi"

    def __init__(self, slope=None):
        self.slope = alibi_slope() if slope is None else chk.check_real(slope, "slope", minimum=0.0,
                                                                        open_min=True)
        self.key_slope = self.slope

    def logit_bias(self, query_positions, key_positions):
        """``-slope * |q - k|`` for every query and key position."""
        qp = _positions(query_positions, "query_positions")
        kp = _positions(key_positions, "key_positions")
        return -self.slope * np.abs(qp[:, None] - kp[None, :])

    def __repr__(self):
        return f"ALiBi(slope={self.slope:g})"


#: The encodings by name (Figure 10's four, and the input-added sinusoidal variant).
ENCODINGS = {cls.name: cls for cls in (Sinusoidal, RoPE, ALiBi, NoPE, SinusoidalInput)}


def make_encoding(encoding, alibi=None, rope_base=None):
    """An encoding instance from a name of :data:`ENCODINGS` (or an instance, returned as is).

    Parameters
    ----------
    encoding : str or PositionalEncoding
        A key of :data:`ENCODINGS` or an instance.
    alibi : float, optional
        ALiBi slope (only with ``"alibi"``).
    rope_base : float, optional
        RoPE base (only with ``"rope"``; default 10000).

    Returns
    -------
    PositionalEncoding

    Raises
    ------
    ValueError
        For an unknown name, or a parameter given to an encoding that has none (a slope
        with "rope", a base with "alibi", either with an instance).
    TypeError
        If ``encoding`` is neither a string nor a :class:`PositionalEncoding` (also a
        ValueError).

    References
    ----------
    Barbero et al. (2024), Appendix C.4 and Figure 10, pp. 22-23.

    Examples
    --------
    >>> make_encoding("alibi", alibi=0.25)
    ALiBi(slope=0.25)
    >>> make_encoding("rope")
    RoPE(base=10000)
    """
    if isinstance(encoding, PositionalEncoding):
        for key, value in (("alibi", alibi), ("rope_base", rope_base)):
            if value is not None:
                raise ValueError(f"{key} has no meaning with an encoding instance ({encoding!r}): "
                                 "set it on the instance")
        return encoding
    name = chk.check_choice(encoding, "encoding", tuple(ENCODINGS))
    # Checked here under their own names (the classes call them slope and base).
    if alibi is not None:
        alibi = chk.check_real(alibi, "alibi", minimum=0.0, open_min=True)
    if rope_base is not None:
        rope_base = chk.check_real(rope_base, "rope_base", minimum=0.0, open_min=True)
    if alibi is not None and name != "alibi":
        raise ValueError(f"alibi is an ALiBi slope; it has no meaning with encoding={name!r}")
    if rope_base is not None and name != "rope":
        raise ValueError(f"rope_base is a RoPE base; it has no meaning with encoding={name!r}")
    if name == "alibi":
        return ALiBi(alibi)
    if name == "rope":
        return RoPE(10000.0 if rope_base is None else rope_base)
    return ENCODINGS[name]()
