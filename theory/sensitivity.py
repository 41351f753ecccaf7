"""A model that meets the hypotheses of Theorem 5.1/B.5, with its exact Jacobian.

Theorem B.5 bounds ``||d y_n / d v_i^(0)||`` assuming attention weights independent of
the values and layer norms acting as constant factors ``1/beta``. This module builds
exactly such a model,

    z_k = sum_j alpha_kj v_j / beta1 + v_k,   v_k' = psi(z_k / beta2) + z_k,   y = v^(L) / beta3,

with ``psi(h) = sigma * tanh(W h)`` and ``||W||_2 = 1`` (so ``psi`` is ``sigma``-Lipschitz),
and propagates the full Jacobian ``d v_k^(l) / d v_i^(0)`` forward, layer by layer. The
bound of :func:`graphs.paths.last_token_sensitivity` can then be held against the truth.

Theorem B.5 (p. 16; main text: Theorem 5.1, p. 8) and Proposition B.8 (p. 18) are the
statements; the Jacobian holds ``n^2 d^2`` entries and costs ``O(L n^3 d^2)``, both
checked against the cost limits before it is built.
"""

import numpy as np

from graphs.causal import masked_softmax
from graphs.validate import check_attention_layers
from theory import _validate as chk

__all__ = ["frozen_attention_jacobian_norms", "sink_recency_attention", "random_causal_attention"]


def frozen_attention_jacobian_norms(attns, d=6, beta1=1.0, beta2=1.0, beta3=1.0, sigma_psi=1.0,
                                    seed=0, target=-1):
    """Spectral norms ``||d y_target / d v_i^(0)||_2`` for every ``i`` in the model above.

    Parameters
    ----------
    attns : sequence of (n, n) causal attention matrices (frozen, layer 0 first)
    d : int
        Width of the token vectors.
    beta1, beta2, beta3 : float
        The constant layer-norm factors.
    sigma_psi : float
        Lipschitz constant of the MLP.
    seed : int
        Seed of the inputs and MLP weights.

    target : int
        The output position, a Python-style index in ``[-n, n)``.

    Returns
    -------
    ndarray, shape (n,)
        Finite, non-negative spectral norms.

    Raises
    ------
    ValueError
        For attention matrices that are not causal and row-stochastic (from
        :func:`graphs.validate.check_attention_layers`), arguments out of their domain,
        a target outside ``[-n, n)``, a Jacobian over the ``elements`` or ``work`` limits,
        or a Jacobian that overflows float64 (tiny ``beta``).

    References
    ----------
    Barbero et al. (2024), Theorem B.5, p. 16 (main text: Theorem 5.1, p. 8), and
    Proposition B.8 (its normalisations), p. 18.

    Examples
    --------
    >>> from graphs.causal import causal_mask, uniform_attention
    >>> from graphs.paths import last_token_sensitivity
    >>> A = uniform_attention(causal_mask(5))
    >>> true = frozen_attention_jacobian_norms([A, A, A])
    >>> bool((last_token_sensitivity([A, A, A]) >= true).all())
    True
    """
    d = chk.check_int(d, "d", minimum=1)
    beta1, beta2, beta3 = (chk.check_real(b, name, minimum=0.0, open_min=True)
                           for b, name in ((beta1, "beta1"), (beta2, "beta2"), (beta3, "beta3")))
    sigma = chk.check_real(sigma_psi, "sigma_psi", minimum=0.0)
    seed = chk.check_int(seed, "seed", minimum=0)
    layers = check_attention_layers(attns, "attns")
    n = layers[0].shape[0]
    t = chk.check_int(target, "target", minimum=-n, maximum=n - 1) % n
    chk.check_elements([n, d, n, d], "attns")
    chk.check_cost(len(layers) * n**3 * d**2, "work", "attns", "Jacobian entries x layers x n")
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, d))
    J = np.zeros((n, d, n, d))
    for k in range(n):
        J[k, :, k, :] = np.eye(d)
    for a in layers:
        W = rng.normal(size=(d, d))
        W /= np.linalg.norm(W, 2)
        z = a @ (v / beta1) + v
        Jz = np.einsum("kj,janb->kanb", a, J) / beta1 + J
        pre = (z / beta2) @ W.T
        D = sigma * (1.0 - np.tanh(pre) ** 2)
        Jpsi = np.einsum("ka,ab,kbnc->kanc", D, W, Jz) / beta2
        v = sigma * np.tanh(pre) + z
        J = Jpsi + Jz
    Jt = J[t] / beta3
    if not np.isfinite(Jt).all():
        raise ValueError(f"the Jacobian overflows float64 (beta1={beta1:g}, beta2={beta2:g}, beta3={beta3:g}); "
                         "the betas are too small for this depth")
    return np.array([np.linalg.norm(Jt[:, i, :], 2) for i in range(n)])


def sink_recency_attention(n, rng, slope=0.05, sink=3.0, noise=0.5, window=None):
    """Causal attention shaped like a trained model's: a sink on token 0 and a recency bias.

    Logits ``-slope * (i - j) + sink * [j = 0] + noise * N(0, 1)`` over the keys ``j <= i``
    (and ``i - j < window`` when a window is given), softmax per row.

    Parameters
    ----------
    n : int
        Number of tokens (``n**2`` at most the ``elements`` limit).
    rng : numpy.random.Generator
        Source of the logit noise.
    slope : float
        Recency slope, ``>= 0``.
    sink : float
        Extra logit of token 0, a finite real.
    noise : float
        Standard deviation of the Gaussian logit noise, ``>= 0``.
    window : int, optional
        Sliding window (``>= 1``): keys with ``i - j < window`` only.

    Returns
    -------
    ndarray, shape (n, n)
        Lower-triangular and row-stochastic.

    Raises
    ------
    ValueError
        For arguments out of their domain, a matrix over the ``elements`` limit, or logits
        so large that the softmax is not finite.
    TypeError
        If ``rng`` is not a Generator (also a ValueError).

    References
    ----------
    Barbero et al. (2024), Section 5 (the U-shape effect: early tokens and a learnt
    recency bias), p. 9; Theorem B.5, p. 16; Appendix C.6 (sliding windows), p. 23.

    Examples
    --------
    >>> A = sink_recency_attention(4, np.random.default_rng(0))
    >>> bool(np.allclose(A.sum(axis=1), 1) and np.allclose(np.triu(A, 1), 0))
    True
    """
    n = chk.check_int(n, "n", minimum=1)
    chk.check_rng(rng, "rng")
    slope = chk.check_real(slope, "slope", minimum=0.0)
    sink = chk.check_real(sink, "sink")
    noise = chk.check_real(noise, "noise", minimum=0.0)
    if window is not None:
        window = chk.check_int(window, "window", minimum=1)
    chk.check_elements([n, n], "n")
    i = np.arange(n)
    dist = i[:, None] - i[None, :]
    logits = -slope * dist + sink * (i[None, :] == 0) + noise * rng.normal(size=(n, n))
    mask = dist >= 0
    if window is not None:
        mask &= dist < window
    if not np.isfinite(logits).all():
        raise ValueError(f"noise={noise:g}, sink={sink:g}, slope={slope:g}: the logits leave the float64 range")
    return masked_softmax(logits, mask, axis=1)


def random_causal_attention(rng, n, hypothesis=True):
    """A random :func:`sink_recency_attention` matrix; with ``hypothesis=False`` one row attends only to itself.

    The rows except the first of a sink/recency matrix have at least two non-zero
    entries (the hypothesis of Lemma B.6 and Proposition B.8); ``hypothesis=False``
    breaks it at one random row ``k >= 1``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the slope, sink and noise level, the noise, and the broken row.
    n : int
        Number of tokens (``>= 2`` when ``hypothesis`` is False: row 0 always attends
        only to itself, so another row must be broken).
    hypothesis : bool
        Keep (True) or break (False) the two-non-zero-entries hypothesis.

    Returns
    -------
    ndarray, shape (n, n)
        A causal attention matrix; with ``hypothesis=False`` one row ``k >= 1`` is ``e_k``.

    Raises
    ------
    ValueError
        For arguments out of their domain (``hypothesis="False"`` is refused, not read as
        True).

    References
    ----------
    Barbero et al. (2024), Lemma B.6 (p. 17) and Proposition B.8 (p. 18).

    Examples
    --------
    >>> A = random_causal_attention(np.random.default_rng(0), 5, hypothesis=False)
    >>> int((A == np.eye(5)).all(axis=1).sum()) >= 2
    True
    """
    chk.check_rng(rng, "rng")
    n = chk.check_int(n, "n", minimum=1)
    hypothesis = chk.check_bool(hypothesis, "hypothesis")
    if not hypothesis and n < 2:
        raise ValueError(f"n must be >= 2 to break the hypothesis (row 0 has a single entry anyway), got {n}")
    A = sink_recency_attention(n, rng, slope=rng.uniform(0, 0.3), sink=rng.uniform(0, 4),
                               noise=rng.uniform(0.1, 2))
    if not hypothesis:
        k = int(rng.integers(1, n))
        A[k] = 0.0
        A[k, k] = 1.0  # a token that attends only to itself
    return A
