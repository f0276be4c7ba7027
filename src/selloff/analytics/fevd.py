"""Generalized forecast-error variance decomposition of a VAR (Koop-Pesaran-Potter 1996, Pesaran-Shin 1998),
batched over windows, and the Diebold-Yilmaz (2012) spillover measures read from it.

Units: shares of one market's H-step forecast-error variance (rows of the normalised table sum to 1).
"""
from __future__ import annotations

import numpy as np

from selloff.errors import DataError

__all__ = ["IDENTIFICATIONS", "cite", "fevd", "fevd_from_ma", "generalized_fevd", "generalized_fevd_from_ma",
           "generalized_fevd_raw", "ma_coefficients", "orthogonal_fevd", "orthogonal_fevd_from_ma", "spillover_measures",
           "check_identification"]

#: Identifications of the shocks: generalized (Pesaran-Shin 1998, DY 2012) or orthogonal (Cholesky, DY 2009).
IDENTIFICATIONS = ("generalized", "orthogonal")

_REFERENCES = """
    References
    ----------
    .. [1] Diebold, F. X. and Yilmaz, K. (2012). "Better to give than to receive: Predictive
       directional measurement of volatility spillovers." International Journal of Forecasting
       28(1), 57–66.
    .. [2] Pesaran, M. H. and Shin, Y. (1998). "Generalized impulse response analysis in linear
       multivariate models." Economics Letters 58(1), 17–29.
    .. [3] Koop, G., Pesaran, M. H. and Potter, S. M. (1996). "Impulse response analysis in
       nonlinear multivariate models." Journal of Econometrics 74(1), 119–147.
    .. [4] Diebold, F. X. and Yilmaz, K. (2009). "Measuring financial asset return and volatility
       spillovers, with application to global equity markets." Economic Journal 119, 158–171.
"""


def cite(func):
    """Append the shared References section to ``func``'s numpydoc docstring."""
    func.__doc__ = (func.__doc__ or "").rstrip() + "\n" + _REFERENCES
    return func


# --------------------------------------------------------------------------------------------
# Generalized forecast-error variance decomposition
# --------------------------------------------------------------------------------------------
def ma_coefficients(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """Moving-average matrices :math:`\\Phi_0, …, \\Phi_{H-1}` of a VAR(p), batched.

    Parameters
    ----------
    coefs : ndarray, shape (..., p, k, k)
        Lag matrices ``A_1 … A_p`` (statsmodels' ``VARResults.coefs`` layout: ``coefs[l-1, i, j]``
        is the effect of ``y_{j, t-l}`` on ``y_{i, t}``). Leading dimensions are a batch.
    horizon : int
        Number of MA matrices to return (``H >= 1``).

    Returns
    -------
    ndarray, shape (..., H, k, k)

    Notes
    -----
    :math:`\\Phi_0 = I`, :math:`\\Phi_h = \\sum_{l=1}^{\\min(p,h)} A_l \\Phi_{h-l}` (Lütkepohl 2005,
    eq. 2.1.22); the same recursion as ``statsmodels.tsa.vector_ar.var_model.ma_rep``.
    """
    coefs = np.asarray(coefs, dtype=float)
    if coefs.ndim < 3 or coefs.shape[-1] != coefs.shape[-2]:
        raise DataError(f"coefs must have shape (..., p, k, k), got {coefs.shape}; pass VAR coefficient matrices")
    if horizon < 1:
        raise DataError(f"horizon must be >= 1, got {horizon}; pass a positive forecast horizon")
    p, k = coefs.shape[-3], coefs.shape[-1]
    batch = coefs.shape[:-3]
    # Φ_h = [A_p … A_1] @ [Φ_{h-p}; …; Φ_{h-1}]: one batched (k × pk)(pk × k) product per step, with p - 1
    # zero matrices in front of Φ_0 so that every step reads p consecutive matrices (a view, no copy).
    a_rev = np.concatenate([coefs[..., lag, :, :] for lag in range(p - 1, -1, -1)], axis=-1)  # (..., k, pk)
    pad = np.zeros(batch + (horizon + p - 1, k, k))
    pad[..., p - 1, :, :] = np.eye(k)
    for h in range(1, horizon):
        pad[..., h + p - 1, :, :] = a_rev @ pad[..., h - 1 : h - 1 + p, :, :].reshape(batch + (p * k, k))
    return pad[..., p - 1 :, :, :]


def generalized_fevd_from_ma(phi: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Raw generalized FEVD from MA matrices and the innovation covariance, batched.

    Parameters
    ----------
    phi : ndarray, shape (..., H, k, k)
        MA matrices :math:`\\Phi_0 … \\Phi_{H-1}` (e.g. :func:`ma_coefficients` or statsmodels'
        ``VARResults.ma_rep(H - 1)``).
    sigma : ndarray, shape (..., k, k)
        Innovation covariance :math:`\\Sigma`, positive definite.

    Returns
    -------
    ndarray, shape (..., k, k)
        :math:`\\theta^g_{ij}(H)`, rows **not** normalised (see :func:`generalized_fevd_raw`).
    """
    phi = np.asarray(phi, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    phi_sigma = phi @ sigma[..., None, :, :]                      # (..., H, k, k): Φ_h Σ
    numerator = np.sum(phi_sigma**2, axis=-3)                      # Σ_h (e_i' Φ_h Σ e_j)²
    denominator = np.sum(phi_sigma * phi, axis=(-3, -1))           # Σ_h (Φ_h Σ Φ_h')_ii
    sigma_jj = np.diagonal(sigma, axis1=-2, axis2=-1)
    return numerator / sigma_jj[..., None, :] / denominator[..., :, None]


@cite
def generalized_fevd_raw(coefs: np.ndarray, sigma: np.ndarray, horizon: int) -> np.ndarray:
    """Generalized (Pesaran–Shin) forecast-error variance decomposition, rows not normalised.

    Parameters
    ----------
    coefs : ndarray, shape (..., p, k, k)
        VAR lag matrices (statsmodels ``VARResults.coefs`` layout); leading dimensions are a batch.
    sigma : ndarray, shape (..., k, k)
        Innovation covariance, positive definite.
    horizon : int
        Forecast horizon H (number of steps, ``H >= 1``; DY 2012 use 10).

    Returns
    -------
    ndarray, shape (..., k, k)
        ``theta[i, j]``: share of the H-step forecast-error variance of variable i attributed to
        a shock in variable j.

    Notes
    -----
    .. math::
        \\theta^g_{ij}(H) = \\frac{\\sigma_{jj}^{-1}\\sum_{h=0}^{H-1}(e_i'\\Phi_h\\Sigma e_j)^2}
                               {\\sum_{h=0}^{H-1} e_i'\\Phi_h\\Sigma\\Phi_h' e_i}

    The generalized impulse responses of Koop, Pesaran & Potter (1996) shock one variable at a
    time and integrate out the others with the historical correlation of the innovations, so the
    decomposition does not depend on the ordering of the variables. Because the shocks are not
    orthogonal, a row sums to 1 only when :math:`\\Sigma` is diagonal (then the decomposition
    equals the Cholesky one); in general :math:`\\sum_j\\theta^g_{ij}(H) \\neq 1` and DY (2012)
    normalise each row by its sum (:func:`generalized_fevd`).
    """
    return generalized_fevd_from_ma(ma_coefficients(coefs, horizon), sigma)


@cite
def generalized_fevd(coefs: np.ndarray, sigma: np.ndarray, horizon: int) -> np.ndarray:
    """Generalized FEVD with rows normalised to sum to one (Diebold & Yilmaz 2012, eq. 5).

    Parameters
    ----------
    coefs : ndarray, shape (..., p, k, k)
        VAR lag matrices (statsmodels ``VARResults.coefs`` layout); leading dimensions are a batch.
    sigma : ndarray, shape (..., k, k)
        Innovation covariance, positive definite.
    horizon : int
        Forecast horizon H (``H >= 1``).

    Returns
    -------
    ndarray, shape (..., k, k)
        :math:`\\tilde\\theta_{ij}(H) = \\theta^g_{ij}(H) / \\sum_j \\theta^g_{ij}(H)`, entries in
        [0, 1], every row summing to 1 (rows = receivers, columns = contributors).

    Notes
    -----
    See :func:`generalized_fevd_raw` for the formula and why normalisation is needed.
    """
    theta = generalized_fevd_raw(coefs, sigma, horizon)
    return theta / theta.sum(axis=-1, keepdims=True)


def orthogonal_fevd_from_ma(phi: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Orthogonalised (Cholesky) FEVD from MA matrices and the innovation covariance, batched.

    :math:`\\theta^o_{ij}(H) = \\sum_h (e_i'\\Phi_h P e_j)^2 / \\sum_h (\\Phi_h\\Sigma\\Phi_h')_{ii}` with
    :math:`\\Sigma = PP'` (lower-triangular Cholesky factor). Rows sum to one exactly; the result depends on the
    order of the variables (the first is shocked first and moves the others on impact), which is why DY (2009)
    fix the order and DY (2012) move to the order-free generalized decomposition.
    """
    phi = np.asarray(phi, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        raise DataError("the innovation covariance is not positive definite; drop collinear markets "
                        "(the orthogonal identification needs a Cholesky factor)") from None
    phi_p = phi @ chol[..., None, :, :]                             # (..., H, k, k): Φ_h P
    numerator = np.sum(phi_p**2, axis=-3)
    return numerator / numerator.sum(axis=-1, keepdims=True)        # row sum = Σ_h (Φ_h Σ Φ_h')_ii


@cite
def orthogonal_fevd(coefs: np.ndarray, sigma: np.ndarray, horizon: int) -> np.ndarray:
    """Orthogonalised (Cholesky) forecast-error variance decomposition (Diebold & Yilmaz 2009), batched.

    Same layout as :func:`generalized_fevd`; rows sum to one by construction (no normalisation needed) and equal
    ``statsmodels``' ``VARResults.fevd(H).decomp[:, H - 1, :]``. Depends on the column order (see
    :func:`orthogonal_fevd_from_ma`).
    """
    return orthogonal_fevd_from_ma(ma_coefficients(coefs, horizon), sigma)


def fevd_from_ma(phi: np.ndarray, sigma: np.ndarray, identification: str = "generalized") -> np.ndarray:
    """Row-normalised decomposition for either identification (see :data:`IDENTIFICATIONS`)."""
    check_identification(identification)
    if identification == "orthogonal":
        return orthogonal_fevd_from_ma(phi, sigma)
    raw = generalized_fevd_from_ma(phi, sigma)
    return raw / raw.sum(axis=-1, keepdims=True)


def fevd(coefs: np.ndarray, sigma: np.ndarray, horizon: int, identification: str = "generalized") -> np.ndarray:
    """:func:`generalized_fevd` (DY 2012, the default) or :func:`orthogonal_fevd` (DY 2009)."""
    return fevd_from_ma(ma_coefficients(coefs, horizon), sigma, identification)


def check_identification(identification: str) -> None:
    """Raise :class:`~selloff.errors.DataError` unless ``identification`` is one of :data:`IDENTIFICATIONS`."""
    if identification not in IDENTIFICATIONS:
        raise DataError(f"identification={identification!r} is unknown; use one of {', '.join(IDENTIFICATIONS)}")


def spillover_measures(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(total, to, from, net) in per cent from normalised decompositions of shape (..., k, k)."""
    pct = 100.0 * theta
    own = np.diagonal(pct, axis1=-2, axis2=-1)
    from_ = pct.sum(axis=-1) - own
    to = pct.sum(axis=-2) - own
    total = from_.sum(axis=-1) / pct.shape[-1]
    return total, to, from_, to - from_
