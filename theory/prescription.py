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
"""

import numpy as np

from graphs.validate import check_finite_array, check_positive_int
from theory.precision import resolution_at_scale

__all__ = ["separated_positions", "prefix_closed_distances", "distinguishability_margin"]


def separated_positions(n, every=None):
    """Layout of ``n`` repeated tokens with a separator after every ``every`` of them.

    Parameters
    ----------
    n : int
        Number of repeated tokens.
    every : int or None
        Separator spacing ``k``; None for no separator.

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
    """
    n = check_positive_int(n, "n")
    if every is not None:
        every = check_positive_int(every, "every")
    count = np.arange(n)
    # Token i (0-based) sits after i // every separators.
    positions = count if every is None else count + count // every
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
    one, sep : array_like, shape (d,)
        The repeated token and the separator.
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
    sep = check_finite_array(sep, "sep", ndim=1)
    n_max = check_positive_int(n_max, "n_max", minimum=2)
    mask, positions = separated_positions(n_max, every)
    body = np.where(mask[:, None], sep[None, :], one[None, :])
    y = model.forward(np.concatenate([prompt, body]))[len(prompt) + positions]
    return {"n": np.arange(1, n_max), "distance": np.abs(y[1:] - y[:-1]).max(axis=1),
            "scale": np.abs(y[:-1]).max(axis=1)}


def distinguishability_margin(distance, scale, dtype):
    """Distance over the format's resolution at the representation's scale, per ``n``, and its minimum.

    A margin below 1 means the format cannot tell the two prompts apart.

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
    profile = distance / np.array([resolution_at_scale(float(s), dtype) for s in scale])
    return profile, float(profile.min())
