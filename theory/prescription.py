"""The theory's side of the glasses prescription: separators in the synthetic Transformer.

Section 4's remedy ("adding commas every third digit", Figure 5 c, d) asks which
separator, and how often, keeps two prompts that differ by one repeated token apart.
In the synthetic decoder-only Transformer of :mod:`theory.collapse` a separator is one
more token vector; what the theory predicts depends on how attention can use it:

- with position-free logits (NoPE) a separator every ``k`` tokens only changes the
  *ratio* of tokens, so by Proposition B.9's argument the distance still decays like
  ``1/n``: the margin falls below 1 ulp at a length that grows with ``1/k``;
- with encodings that tell nearby positions apart (ALiBi's recency, sinusoidal, RoPE)
  the last token's local context differs between the ``n`` and ``n + 1`` prompts
  (its distance to the last separator), so the distance stops decaying: the margin
  stays bounded below for every ``k`` up to a window the encoding can resolve.

Prompts are *prefix-closed* (the repeated sequence last), so one forward pass of the
longest prompt gives the last-token state for every count ``n``: causality makes the
state at the ``n``-th repeated token equal to the final state of the prompt that stops
there.

A separator may be several tokens (``", "`` is a comma and a space in both default
tokenizers): :func:`separated_positions` takes ``sep_tokens``, and
:func:`synthetic_prescription` gives every character of a separator its own token
vector, so the synthetic grid is the real one (separator x spacing x format).
"""

import numpy as np

from graphs.validate import check_choice, check_finite_array, check_positive_int
from theory.precision import DTYPES, max_finite, numpy_dtype, resolution_at_scale

__all__ = ["separated_positions", "prefix_closed_distances", "distinguishability_margin", "margin_reach",
           "synthetic_prescription", "SYNTHETIC_ENCODINGS"]

#: The encodings the prescription's theory compares: NoPE (the distance decays like 1/n
#: whatever the spacing), ALiBi (recency: the separator's local context can survive) and
#: RoPE (what both default real models use).
SYNTHETIC_ENCODINGS = ("none", "alibi", "rope")


def separated_positions(n, every=None, sep_tokens=1):
    """Layout of ``n`` repeated tokens with a separator after every ``every`` of them.

    Parameters
    ----------
    n : int
        Number of repeated tokens.
    every : int or None
        Separator spacing ``k``; None for no separator.
    sep_tokens : int
        Tokens per separator (``", "`` is two in the default tokenizers).

    Returns
    -------
    tuple of ndarray
        ``(is_separator, count_positions)``: a boolean mask over the body, and the index
        in the body of the 1st, 2nd, ..., n-th repeated token.

    Examples
    --------
    >>> mask, pos = separated_positions(5, every=2)
    >>> mask.astype(int).tolist(), pos.tolist()
    ([0, 0, 1, 0, 0, 1, 0], [0, 1, 3, 4, 6])
    >>> separated_positions(3, every=1, sep_tokens=2)[1].tolist()
    [0, 3, 6]
    """
    n = check_positive_int(n, "n")
    sep_tokens = check_positive_int(sep_tokens, "sep_tokens")
    if every is not None:
        every = check_positive_int(every, "every")
    count = np.arange(n)
    # Token i (0-based) sits after i // every separators of sep_tokens tokens each.
    positions = count if every is None else count + sep_tokens * (count // every)
    mask = np.zeros(int(positions[-1]) + 1, dtype=bool)
    mask[np.setdiff1d(np.arange(mask.size), positions)] = True
    return mask, positions


def prefix_closed_distances(model, prompt, one, sep, n_max, every=None):
    """``||y_n - y_{n+1}||_inf`` for ``n = 1 .. n_max - 1`` from one forward pass.

    The prompt is ``prompt`` followed by ``n_max`` copies of ``one`` with ``sep``
    after every ``every`` of them; ``y_n`` is the final representation at the ``n``-th
    copy, which by causality is the last-token state of the prompt that ends there.

    Parameters
    ----------
    model : theory.collapse.SyntheticTransformer
        A causal model (its ``dtype`` is the format the states are computed in).
    prompt : array_like, shape (m, d)
    one : array_like, shape (d,)
        The repeated token.
    sep : array_like, shape (d,) or (t, d)
        The separator: one token vector, or ``t`` of them in order.
    n_max : int
    every : int or None

    Returns
    -------
    dict of ndarray
        ``n`` (1 .. n_max-1), ``distance`` and ``scale`` (``max |y_n|``).

    Examples
    --------
    >>> from theory.collapse import SyntheticTransformer, random_tokens
    >>> m = SyntheticTransformer(d=8, encoding="none", seed=0)
    >>> x = random_tokens(4, 8, seed=1)
    >>> r = prefix_closed_distances(m, x[:2], x[2], x[3], 64)
    >>> bool(r["distance"][-1] < r["distance"][0])
    True
    """
    if not getattr(model, "causal", False):
        raise ValueError("model must be causal: prefix-closed prompts rely on the causal mask")
    prompt = model._check_tokens(prompt, "prompt")
    one = check_finite_array(one, "one", ndim=1)
    sep = check_finite_array(sep, "sep")
    sep = sep[None, :] if sep.ndim == 1 else sep
    if sep.ndim != 2 or sep.shape[1] != one.shape[0]:
        raise ValueError(f"sep must have shape ({one.shape[0]},) or (t, {one.shape[0]}), got {sep.shape}")
    n_max = check_positive_int(n_max, "n_max", minimum=2)
    mask, positions = separated_positions(n_max, every, sep_tokens=len(sep))
    body = np.repeat(one[None, :], mask.size, axis=0)
    # Separator slots come in runs of len(sep): the i-th slot of a run is token i of sep.
    slots = np.flatnonzero(mask)
    body[slots] = sep[np.arange(slots.size) % len(sep)]
    y = model.forward(np.concatenate([prompt, body]))[len(prompt) + positions]
    return {"n": np.arange(1, n_max), "distance": np.abs(y[1:] - y[:-1]).max(axis=1),
            "scale": np.abs(y[:-1]).max(axis=1)}


def _resolution(scale, dtype):
    """:func:`theory.precision.resolution_at_scale` of every entry of ``scale`` at once.

    ``2**(e - mantissa_bits)`` for ``scale`` in ``[2**e, 2**(e+1))`` (``frexp`` is exact),
    the subnormal spacing below the smallest normal number (a test compares it with the
    scalar function entry by entry).
    """
    info = np.finfo(numpy_dtype(dtype))
    top = max_finite(dtype)
    if (scale <= 0).any() or (scale > top).any():
        bad = scale[(scale <= 0) | (scale > top)][0]
        resolution_at_scale(float(bad), dtype)  # raises the message of the scalar function
    exponent = np.frexp(scale)[1] - 1
    tiny = float(info.smallest_normal)
    return np.where(scale < tiny, tiny * 2.0 ** -int(info.nmant), np.ldexp(1.0, exponent - int(info.nmant)))


def distinguishability_margin(distance, scale, dtype):
    """Distance over the format's resolution at the representation's scale, per ``n``, and its minimum.

    A margin below 1 means the format cannot tell the two prompts apart.

    Parameters
    ----------
    distance : array_like, shape (m,)
        ``||y_n - y*_{n+1}||_inf`` per count ``n``.
    scale : array_like, shape (m,)
        ``max |y_n|`` per count (positive, within the format's range).
    dtype : str
        A format of :data:`theory.precision.DTYPES`.

    Returns
    -------
    (ndarray, float)
        The margin per ``n``, and its minimum.

    Raises
    ------
    ValueError
        Arrays of different lengths, non-finite entries, a scale that is not positive or
        beyond the format's range, an unknown ``dtype``.

    References
    ----------
    Barbero et al. (2024), Theorem 4.2 (p. 7) and the quantisation paragraph of Section 4
    (p. 7): a lower precision makes the collapse of Theorem 4.2 occur sooner.

    Examples
    --------
    >>> prof, worst = distinguishability_margin([0.1, 0.01], [1.0, 1.0], "bf16")
    >>> [round(v, 3) for v in prof.tolist()], round(worst, 3)
    ([12.8, 1.28], 1.28)
    """
    distance = check_finite_array(distance, "distance", ndim=1)
    scale = check_finite_array(scale, "scale", ndim=1)
    if distance.shape != scale.shape:
        raise ValueError(f"distance and scale must have the same length, got {distance.size} and {scale.size}")
    check_choice(dtype, "dtype", DTYPES)
    if distance.size == 0:
        raise ValueError("distance must not be empty")
    profile = distance / _resolution(scale, dtype)
    return profile, float(profile.min())


def margin_reach(profile):
    """The largest ``N`` such that the margin is ``>= 1`` for every ``n <= N`` (0 if ``n = 1`` fails).

    ``profile[i]`` is the margin at count ``n = i + 1``.

    Parameters
    ----------
    profile : array_like, shape (m,)

    Returns
    -------
    int

    References
    ----------
    Barbero et al. (2024), Section 4, p. 7: the remedy must keep the prompts apart up to
    the length the user needs.

    Examples
    --------
    >>> margin_reach([5.0, 2.0, 0.5, 3.0]), margin_reach([2.0, 1.0]), margin_reach([0.0])
    (2, 2, 0)
    """
    profile = check_finite_array(profile, "profile", ndim=1)
    below = np.flatnonzero(profile < 1.0)
    return int(below[0]) if below.size else int(profile.size)


def _token_vector(char, d, seed):
    """The synthetic token vector of one character: the same for every separator that uses it."""
    return np.random.default_rng([seed, ord(char)]).normal(size=d)


def synthetic_prescription(separator, every, n_max, dtype, encoding="rope", d=64, num_layers=2, seed=0,
                           prompt_tokens=8):
    """The theory's margin profile for one cell of the prescription grid.

    A synthetic decoder-only Transformer (:class:`theory.collapse.SyntheticTransformer`)
    reads ``prompt_tokens`` random vectors (the question), then ``n_max + 1`` copies of
    the token of ``"1"`` with ``separator`` after every ``every`` of them; every character
    of ``separator`` is one token vector (``", "`` is two), drawn from ``seed`` and the
    character, so ``","`` is the same vector alone and inside ``", "``.

    Parameters
    ----------
    separator : str or None
        None or ``""`` for no separator.
    every : int or None
        Spacing ``k`` (ignored without a separator).
    n_max : int
        The largest count ``N``; margins for ``n = 1 .. N``.
    dtype : str
        Format every tensor of the model is rounded to.
    encoding : {"none", "alibi", "rope"}
        NoPE, ALiBi or RoPE (see the module docstring for what each predicts).
    d, num_layers, seed, prompt_tokens : int
        The model's width, depth, weight seed and question length.

    Returns
    -------
    dict
        ``distance``, ``scale``, ``margin`` (lists over ``n = 1 .. N``), ``min_margin``,
        ``reach`` (:func:`margin_reach`) and ``sep_tokens``.

    Raises
    ------
    ValueError
        Bad arguments, or a pass over the ``work`` limit of :mod:`theory`.

    References
    ----------
    Barbero et al. (2024), Section 4, "A simple solution to representational collapse",
    pp. 7-8 (Figure 5 c, d); Theorem 4.2, p. 7.

    Examples
    --------
    >>> r = synthetic_prescription(",", 3, 16, "bf16", encoding="none", d=8, num_layers=1)
    >>> len(r["margin"]), r["sep_tokens"], r["reach"] <= 16
    (16, 1, True)
    """
    from theory.collapse import SyntheticTransformer, random_tokens

    check_choice(encoding, "encoding", SYNTHETIC_ENCODINGS)
    n_max = check_positive_int(n_max, "n_max")
    if separator is not None and not isinstance(separator, str):
        raise TypeError(f"separator must be a string or None, got {type(separator).__name__}")
    model = SyntheticTransformer(d=d, num_layers=num_layers, encoding=encoding, dtype=dtype, seed=seed)
    prompt = random_tokens(prompt_tokens, d, seed=seed + 1)
    one = _token_vector("1", d, seed)
    sep = np.array([_token_vector(c, d, seed) for c in separator]) if separator else one[None, :]
    out = prefix_closed_distances(model, prompt, one, sep, n_max + 1, every if separator else None)
    profile, worst = distinguishability_margin(out["distance"], out["scale"], dtype)
    return {"distance": out["distance"].tolist(), "scale": out["scale"].tolist(), "margin": profile.tolist(),
            "min_margin": worst, "reach": margin_reach(profile), "sep_tokens": len(separator or "")}
