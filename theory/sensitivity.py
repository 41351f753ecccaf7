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

from graphs.validate import check_attention_layers, check_positive_int, check_positive_real

__all__ = ["frozen_attention_jacobian_norms"]


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
