"""A model that meets the hypotheses of Theorem 5.1/B.5, with its exact Jacobian.

Theorem B.5 bounds ``||d y_n / d v_i^(0)||`` assuming attention weights independent of
the values and layer norms acting as constant factors ``1/beta``. This module builds
exactly such a model,

    z_k = sum_j alpha_kj v_j / beta1 + v_k,   v_k' = psi(z_k / beta2) + z_k,   y = v^(L) / beta3,

with ``psi(h) = sigma * tanh(W h)`` and ``||W||_2 = 1`` (so ``psi`` is ``sigma``-Lipschitz),
and propagates the full Jacobian ``d v_k^(l) / d v_i^(0)`` forward, layer by layer. The
bound of :func:`graphs.paths.last_token_sensitivity` can then be held against the truth.
"""

import numpy as np

from graphs.causal import masked_softmax
from graphs.validate import check_attention_layers, check_positive_int, check_positive_real

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

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> from graphs.causal import causal_mask, uniform_attention
    >>> from graphs.paths import last_token_sensitivity
    >>> A = uniform_attention(causal_mask(5))
    >>> true = frozen_attention_jacobian_norms([A, A, A])
    >>> bool((last_token_sensitivity([A, A, A]) >= true).all())
    True
    """
    layers = check_attention_layers(attns, "attns")
    d = check_positive_int(d, "d")
    beta1 = check_positive_real(beta1, "beta1")
    beta2 = check_positive_real(beta2, "beta2")
    beta3 = check_positive_real(beta3, "beta3")
    sigma = check_positive_real(sigma_psi, "sigma_psi", allow_zero=True)
    rng = np.random.default_rng(seed)
    n = layers[0].shape[0]
    t = range(n)[target]
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
    return np.array([np.linalg.norm(Jt[:, i, :], 2) for i in range(n)])


def sink_recency_attention(n, rng, slope=0.05, sink=3.0, noise=0.5, window=None):
    """Causal attention shaped like a trained model's: a sink on token 0 and a recency bias.

    Logits ``-slope * (i - j) + sink * [j = 0] + noise * N(0, 1)`` over the keys ``j <= i``
    (and ``i - j < window`` when a window is given), softmax per row.

    Parameters
    ----------
    n : int
        Number of tokens.
    rng : numpy.random.Generator
    slope, sink, noise : float
    window : int, optional

    Returns
    -------
    ndarray, shape (n, n)
        Lower-triangular and row-stochastic.

    Examples
    --------
    >>> A = sink_recency_attention(4, np.random.default_rng(0))
    >>> bool(np.allclose(A.sum(axis=1), 1) and np.allclose(np.triu(A, 1), 0))
    True
    """
    n = check_positive_int(n, "n")
    i = np.arange(n)
    dist = i[:, None] - i[None, :]
    logits = -slope * dist + sink * (i[None, :] == 0) + noise * rng.normal(size=(n, n))
    mask = dist >= 0
    if window is not None:
        mask &= dist < check_positive_int(window, "window")
    return masked_softmax(logits, mask, axis=1)


def random_causal_attention(rng, n, hypothesis=True):
    """A random :func:`sink_recency_attention` matrix; with ``hypothesis=False`` one row attends only to itself.

    The rows except the first of a sink/recency matrix have at least two non-zero
    entries (the hypothesis of Lemma B.6 and Proposition B.8); ``hypothesis=False``
    breaks it at one random row ``k >= 1``.

    Examples
    --------
    >>> A = random_causal_attention(np.random.default_rng(0), 5, hypothesis=False)
    >>> int((A == np.eye(5)).all(axis=1).sum()) >= 2
    True
    """
    A = sink_recency_attention(n, rng, slope=rng.uniform(0, 0.3), sink=rng.uniform(0, 4),
                               noise=rng.uniform(0.1, 2))
    if not hypothesis:
        k = int(rng.integers(1, n))
        A[k] = 0.0
        A[k, k] = 1.0  # a token that attends only to itself
    return A
