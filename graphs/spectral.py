"""Spectral theory of causal attention: Lemma B.6, Lemma B.7 and Proposition 5.2/B.8.

Quoted from Appendix B.2:

Lemma B.6. "A row-stochastic triangular matrix A has 1 as its largest eigenvalue. Moreover,
such eigenvalue has multiplicity 1 if each row except the first has at least 2 non-zero entries."

Lemma B.7. "The product of two row-stochastic matrices is again row-stochastic. Moreover, the
product of two triangular row-stochastic matrices is a triangular row-stochastic matrix."

Proposition B.8 (main text: Proposition 5.2). "Let beta_1^(l), beta_2^(l) = 1, beta_3^(1/L) = 4,
sigma_psi = 1. Furthermore, for simplicity, let the attention coefficients be equal at each layer
and such that each row except the first of the causal mechanism has at least two non-zero
elements. Then, we have as L -> oo that d y_n / d v_i^(0) = 0 when i != 1 and
d y_n / d v_i^(0) = 1 when i = 1."

A causal attention matrix is lower triangular and row-stochastic, so its eigenvalues
are its diagonal entries, all in ``[0, 1]``, and the first is 1. Proposition B.8
studies ``((Lambda + I)/2)^L``: when every row but the first has two or more non-zero
entries it converges to ``1 e_1^T`` (the last token only "sees" the first).

The proof of B.8 asserts that ``(Lambda + I)/2`` is diagonalizable; it need not be
(:func:`defective_example`), though the limit still holds, with a rate
``L^(m-1) lambda_2^L`` instead of ``lambda_2^L`` for a Jordan block of size ``m``.
"""

import numpy as np
import sympy as sp

from graphs.attention import attention_input
from graphs.causal import half_residual
from graphs.validate import (
    DEFAULT_ATOL,
    check_cost,
    check_positive_int,
    check_positive_real,
    check_real,
)

__all__ = [
    "eigen_summary",
    "lemma_b6_symbolic",
    "lemma_b7_symbolic",
    "lazy_walk",
    "spectral_limit",
    "layers_to_eps",
    "defective_example",
    "defective_example_symbolic",
]


@attention_input("attn", single=True)
def eigen_summary(attn, atol=DEFAULT_ATOL, tol=1e-9, *, heads=None, batch=None):
    """Lemma B.6 on one matrix: eigenvalue 1, its multiplicities, and the hypothesis.

    Parameters
    ----------
    attn : attention, one layer (any format of :mod:`graphs.attention`)
    atol : float
        Tolerance of the validation.
    tol : float
        Entries and eigenvalue gaps below ``tol`` count as 0, in ``[0, 0.5)``.
    heads, batch
        Head reduction and batch index (``heads="each"``: each value gets a head axis).

    Returns
    -------
    dict
        ``largest``: largest eigenvalue (the largest diagonal entry);
        ``algebraic``: number of diagonal entries equal to 1 (within ``tol``);
        ``geometric``: dimension of the null space of ``A - I``;
        ``hypothesis``: every row but the first has >= 2 entries above ``tol``;
        ``simple``: eigenvalue 1 has algebraic multiplicity 1;
        ``constant_eigvec_residual``: ``max |A 1 - 1|``;
        ``second``: second largest diagonal entry (None for n = 1).

    Raises
    ------
    ValueError
        On invalid attention or ``tol``.

    References
    ----------
    Barbero et al. (2024), Lemma B.6, p. 17.

    Examples
    --------
    >>> eigen_summary([[1.0, 0.0], [0.5, 0.5]])["simple"]
    True
    >>> eigen_summary(np.eye(3))["algebraic"]
    3
    """
    tol = check_real(tol, "tol", 0, 0.5, high_open=True)
    a = attn
    diag = np.diag(a)
    nnz = (a > tol).sum(axis=1)
    sv = np.linalg.svd(a - np.eye(len(a)), compute_uv=False)
    return {
        "largest": float(diag.max()),
        "algebraic": int((np.abs(diag - 1) <= tol).sum()),
        "geometric": int((sv <= max(tol, 1e-12) * max(1.0, sv.max())).sum()),
        "hypothesis": bool((nnz[1:] >= 2).all()),
        "simple": bool((np.abs(diag - 1) <= tol).sum() == 1),
        "constant_eigvec_residual": float(np.abs(a.sum(axis=1) - 1).max()),
        "second": float(np.sort(diag)[-2]) if len(diag) > 1 else None,
    }


def _symbolic_stochastic(n, name):
    """A lower-triangular row-stochastic n x n matrix with free symbols (last entry of each row fixed)."""
    rows = []
    syms = []
    for i in range(n):
        row = []
        free = [sp.Symbol(f"{name}{i}{j}", nonnegative=True) for j in range(i)]
        syms += free
        for j in range(n):
            if j < i:
                row.append(free[j])
            elif j == i:
                row.append(1 - sum(free))
            else:
                row.append(0)
        rows.append(row)
    return sp.Matrix(rows), syms


def _refuse_symbolic(seconds, max_seconds, what):
    check_cost(seconds, max_seconds, what, "max_seconds", unit="s")


def lemma_b6_symbolic(n=4, *, max_seconds=10.0):
    """Lemma B.6 with symbolic entries: ``A 1 = 1`` and ``det(A - lambda I) = prod (a_ii - lambda)``.

    Parameters
    ----------
    n : int
        Size of the symbolic matrix. The symbolic determinant grows about eightfold per
        unit of ``n`` (3 s at ``n = 7``).
    max_seconds : float
        Refuse, before starting, a size whose estimated time exceeds this.

    Returns
    -------
    dict
        ``constant_eigenvector``: ``A 1 - 1`` simplifies to 0;
        ``charpoly_is_diagonal_product``: the characteristic polynomial factors over the diagonal;
        ``first_diagonal``: ``a_11`` (always 1).

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1.
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Lemma B.6, p. 17.

    Examples
    --------
    >>> r = lemma_b6_symbolic(3)
    >>> r["constant_eigenvector"], r["charpoly_is_diagonal_product"], r["first_diagonal"]
    (True, True, 1)
    """
    n = check_positive_int(n, "n")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    _refuse_symbolic(3.0 * 8.0 ** min(n - 7, 300), max_seconds, f"lemma_b6_symbolic(n={n})")
    A, _ = _symbolic_stochastic(n, "a")
    lam = sp.Symbol("lambda")
    ones = sp.ones(n, 1)
    const = sp.simplify(A * ones - ones) == sp.zeros(n, 1)
    cp = sp.expand((A - lam * sp.eye(n)).det())
    prod = sp.expand(sp.prod([A[i, i] - lam for i in range(n)]))
    return {"constant_eigenvector": bool(const),
            "charpoly_is_diagonal_product": sp.simplify(cp - prod) == 0,
            "first_diagonal": A[0, 0]}


def lemma_b7_symbolic(n=3, *, max_seconds=10.0):
    """Lemma B.7 with symbolic entries: the product of two causal row-stochastic matrices is one.

    Parameters
    ----------
    n : int
        Size of the symbolic matrices (time grows about like ``n**3``).
    max_seconds : float
        Refuse, before starting, a size whose estimated time exceeds this.

    Returns
    -------
    dict
        ``row_sums_one`` and ``lower_triangular`` (both True when the lemma holds).

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1.
    CostLimitError
        If the estimated time exceeds ``max_seconds``.

    References
    ----------
    Barbero et al. (2024), Lemma B.7, p. 18.

    Examples
    --------
    >>> lemma_b7_symbolic(3)
    {'row_sums_one': True, 'lower_triangular': True}
    """
    n = check_positive_int(n, "n")
    max_seconds = check_positive_real(max_seconds, "max_seconds")
    _refuse_symbolic(1e-3 * float(n) ** 3, max_seconds, f"lemma_b7_symbolic(n={n})")
    A, _ = _symbolic_stochastic(n, "a")
    B, _ = _symbolic_stochastic(n, "b")
    P = A * B
    sums = sp.simplify(P * sp.ones(n, 1) - sp.ones(n, 1)) == sp.zeros(n, 1)
    lower = all(sp.simplify(P[i, j]) == 0 for i in range(n) for j in range(i + 1, n))
    return {"row_sums_one": bool(sums), "lower_triangular": bool(lower)}


@attention_input("attn", single=True)
def lazy_walk(attn, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """``(Lambda + I)/2``, the matrix of Proposition B.8 (with beta = 1, sigma_psi = 1, beta_3^(1/L) = 4).

    Parameters
    ----------
    attn : attention, one layer (any format of :mod:`graphs.attention`)
    atol : float
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    ndarray, shape (n, n)
        The same matrix as :func:`graphs.causal.residual_attention`.

    Raises
    ------
    ValueError
        On invalid attention.

    References
    ----------
    Barbero et al. (2024), Proposition B.8, p. 18.

    Examples
    --------
    >>> lazy_walk([[1.0, 0.0], [1.0, 0.0]]).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    return half_residual(attn)


def _power(T, L):
    return np.linalg.matrix_power(T, int(L))


@attention_input("attn", single=True)
def spectral_limit(attn, eps=1e-6, atol=DEFAULT_ATOL, max_layers=10**7, *, heads=None, batch=None):
    """The limit of ``((Lambda + I)/2)^L``, its rate, and the layers needed to be within ``eps``.

    Parameters
    ----------
    attn : attention, one layer (any format of :mod:`graphs.attention`)
    eps : float
        Target: every entry within ``eps`` of the limit, in ``(0, 1)``.
    atol : float
    max_layers : int
        Give up beyond this many layers (an error, never a number past it).
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    dict
        ``limit`` (n x n), ``rate`` (``lambda_2``, the largest eigenvalue below 1 of the
        lazy walk), ``layers`` (smallest ``L`` found with ``max |T^L - limit| <= eps``),
        ``rate_only_layers`` (``ceil(log eps / log lambda_2)``, what a diagonalizable
        matrix with unit constants would need), ``hypothesis`` (Lemma B.6's condition)
        and ``first_column_limit`` (True when the limit is ``1 e_1^T``, the conclusion
        of Proposition B.8), ``error_at_layers``.

    Raises
    ------
    ValueError
        On invalid attention, ``eps`` or ``max_layers``, or when no ``L <= max_layers``
        reaches ``eps``.

    References
    ----------
    Barbero et al. (2024), Proposition B.8, p. 18 (Proposition 5.2, p. 9).

    Examples
    --------
    >>> A = np.array([[1.0, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]])
    >>> r = spectral_limit(A, eps=1e-8)
    >>> r["first_column_limit"], r["rate"], r["layers"]
    (True, 0.75, 74)
    """
    eps = check_real(eps, "eps", 0, 1, low_open=True, high_open=True)
    max_layers = check_positive_int(max_layers, "max_layers")
    T = half_residual(attn)
    n = len(T)
    info = eigen_summary(attn, atol)
    diag = np.diag(T)
    below = diag[np.abs(diag - 1) > 1e-12]
    lam2 = float(below.max()) if below.size else 0.0
    # The limit: square until stationary (T^(2^k) converges since all other eigenvalues are < 1).
    P = T.copy()
    for _ in range(200):
        P2 = P @ P
        if np.abs(P2 - P).max() <= 1e-15:
            break
        P = P2
    limit = P2
    err = lambda L: float(np.abs(_power(T, L) - limit).max())  # noqa: E731
    lo, hi = 0, 1
    while err(hi) > eps:
        lo, hi = hi, hi * 2
        if hi > max_layers:
            raise ValueError(f"no L <= max_layers={max_layers} brings every entry within eps={eps:g}")
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if err(mid) <= eps:
            hi = mid
        else:
            lo = mid
    first = np.zeros((n, n))
    first[:, 0] = 1.0
    rate_only = int(np.ceil(np.log(eps) / np.log(lam2))) if 0 < lam2 < 1 else 0
    return {"limit": limit, "rate": lam2, "layers": hi, "rate_only_layers": rate_only,
            "hypothesis": info["hypothesis"],
            "first_column_limit": bool(np.abs(limit - first).max() <= 1e-9),
            "error_at_layers": err(hi)}


@attention_input("attn", single=True)
def layers_to_eps(attn, eps=1e-6, atol=DEFAULT_ATOL, *, heads=None, batch=None):
    """Shortcut for ``spectral_limit(attn, eps)["layers"]``.

    Parameters
    ----------
    attn : attention, one layer
    eps : float
    atol : float
    heads, batch
        Head reduction and batch index.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        As :func:`spectral_limit`.

    References
    ----------
    Barbero et al. (2024), Proposition B.8, p. 18.

    Examples
    --------
    >>> layers_to_eps([[1.0, 0.0], [0.5, 0.5]], eps=1e-3)
    25
    """
    return spectral_limit(attn, eps, atol)["layers"]


def defective_example():
    """A causal attention matrix meeting B.8's hypotheses whose lazy walk is *not* diagonalizable.

    ``Lambda = [[1, 0, 0], [1/2, 1/2, 0], [0, 1/2, 1/2]]``: every row but the first has
    two non-zero entries; ``(Lambda + I)/2`` has the eigenvalue 3/4 twice with a single
    eigenvector (a 2 x 2 Jordan block).

    Returns
    -------
    ndarray, shape (3, 3)

    Raises
    ------
    None

    References
    ----------
    Barbero et al. (2024), proof of Proposition B.8, p. 18 (the diagonalizability step).

    Examples
    --------
    >>> defective_example().tolist()
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
    """
    return np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])


def defective_example_symbolic():
    """Exact analysis of :func:`defective_example` in sympy.

    Returns
    -------
    dict
        ``diagonalizable`` (False), ``jordan_block_sizes``, ``limit`` of ``T^L`` as
        ``L -> oo`` (``1 e_1^T``), and ``entry_31``: the closed form of ``(T^L)_{3,1}``,
        which contains ``L (3/4)^L``; ``T`` the lazy walk.

    Raises
    ------
    None

    References
    ----------
    Barbero et al. (2024), proof of Proposition B.8, p. 18.

    Examples
    --------
    >>> r = defective_example_symbolic()
    >>> r["diagonalizable"], r["jordan_block_sizes"], r["limit_is_first_column"]
    (False, [1, 2], True)
    """
    half = sp.Rational(1, 2)
    Lam = sp.Matrix([[1, 0, 0], [half, half, 0], [0, half, half]])
    T = (Lam + sp.eye(3)) / 2
    L = sp.Symbol("L", positive=True, integer=True)
    P, J = T.jordan_form()
    sizes = sorted(b.shape[0] for b in J.get_diag_blocks())
    TL = sp.simplify(T**L)
    lim = TL.applyfunc(lambda e: sp.limit(e, L, sp.oo))
    first = sp.Matrix([[1, 0, 0], [1, 0, 0], [1, 0, 0]])
    return {"diagonalizable": bool(T.is_diagonalizable()), "jordan_block_sizes": sizes,
            "limit_is_first_column": lim == first, "entry_31": sp.simplify(TL[2, 0]),
            "T": T}
