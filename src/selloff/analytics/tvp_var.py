"""TVP-VAR connectedness (Antonakakis, Chatziantoniou & Gabauer 2020): a VAR whose coefficients and innovation
covariance move every period, estimated by a Kalman filter with forgetting factors (Koop & Korobilis 2014), and
the Diebold–Yilmaz decomposition of each period's VAR.

Model (data centred on the sample mean, no constant), for t = p+1 … T:

.. math::
    y_t = B_t z_{t-1} + \\varepsilon_t,\\quad \\varepsilon_t \\sim N(0, \\Sigma_t),\\qquad
    \\mathrm{vec}(B_t) = \\mathrm{vec}(B_{t-1}) + \\xi_t,\\quad \\xi_t \\sim N(0, \\Xi_t)

with :math:`z_{t-1} = (y_{t-1}', …, y_{t-p}')'`. The forgetting factors replace the state and measurement noise:
:math:`\\Xi_t = (1/\\kappa_1 - 1) P_{t-1|t-1}` and
:math:`\\Sigma_t = \\kappa_2\\Sigma_{t-1} + (1-\\kappa_2)\\varepsilon_{t|t-1}\\varepsilon_{t|t-1}'` (the one-step
prediction error). ACG (2020) use κ1 = κ2 = 0.99. With κ1 = κ2 = 1 and a diffuse prior the filter is recursive
least squares: its last coefficients are the full-sample OLS VAR (tested).

References
----------
Antonakakis, N., Chatziantoniou, I. and Gabauer, D. (2020). "Refined measures of dynamic connectedness based on
time-varying parameter vector autoregressions." Journal of Risk and Financial Management 13(4), 84.
Koop, G. and Korobilis, D. (2014). "A new index of financial conditions." European Economic Review 71, 101–116.
The recursion follows the R package ConnectednessApproach (Gabauer), ``TVPVAR`` with ``BayesPrior``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.fevd import fevd, spillover_measures
from selloff.analytics.var_checks import check_enough_rows, validate_frame, validate_var_args
from selloff.errors import DataError

__all__ = ["TVPConnectedness", "TVPVarFit", "ols_prior", "tvp_var", "tvp_var_connectedness"]


@dataclass(frozen=True)
class TVPVarFit:
    """Filtered TVP-VAR: ``coefs`` (T, p, k, k) in statsmodels layout, ``sigma`` (T, k, k), for the rows
    ``index`` (the data's rows from p on); ``unstable`` counts periods whose filtered VAR was explosive and that
    kept the previous period's coefficients (as ConnectednessApproach does)."""

    index: pd.Index
    coefs: np.ndarray
    sigma: np.ndarray
    unstable: int


def ols_prior(values: np.ndarray, lags: int, size: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prior from OLS on the first ``size`` rows (after Primiceri 2005 and ConnectednessApproach ``BayesPrior``):
    slope mean, slope covariance :math:`\\hat\\Sigma\\otimes(Z'Z)^{-1}` (the OLS covariance of the slopes) and
    the residual covariance :math:`\\hat\\Sigma` = SSR / n. ``values`` are the centred data; the OLS includes a
    constant, which the prior drops. Unlike ``BayesPrior``, whose slope covariance is :math:`(Z'Z)^{-1}` without
    :math:`\\hat\\Sigma`, this prior does not depend on the units of the data (with returns as fractions the
    unscaled one is ~10⁴ times too diffuse and the first updates overshoot into explosive VARs)."""
    y = np.asarray(values, dtype=float)
    n, k = y.shape
    size = n if size is None else int(size)
    if size - lags <= k * lags + 1:
        raise DataError(f"prior_size={size} is too small for an OLS VAR({lags}) in {k} markets; use a larger prior window")
    t = np.arange(lags, size)
    z = np.hstack([np.ones((len(t), 1)), *[y[t - lag] for lag in range(1, lags + 1)]])
    zz_inv = np.linalg.pinv(z.T @ z)
    beta = zz_inv @ z.T @ y[t]                                    # (1 + kp, k)
    resid = y[t] - z @ beta
    sigma = resid.T @ resid / len(t)
    b0 = beta[1:].T.reshape(-1)                                   # row-major vec of B = [A_1 … A_p] (k × kp)
    v0 = np.kron(sigma, zz_inv[1:, 1:])                           # equation-major vec: cov(b_i, b_j) = Σ_ij (Z'Z)⁻¹
    return b0, v0, sigma


def _companion_radius(b: np.ndarray, k: int, p: int) -> float:
    top = b.reshape(k, k * p)
    if p == 1:
        comp = top
    else:
        comp = np.vstack([top, np.hstack([np.eye(k * (p - 1)), np.zeros((k * (p - 1), k))])])
    return float(np.max(np.abs(np.linalg.eigvals(comp))))


def tvp_var(data: pd.DataFrame, lags: int = 1, kappa1: float = 0.99, kappa2: float = 0.99, *,
            prior_size: int | None = None, prior: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
            stability: bool = True) -> TVPVarFit:
    """Kalman filter with forgetting factors for a TVP-VAR(p) (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        Wide frame, one column per market, no missing values; centred on its mean here.
    lags : int, default 1
        VAR order (ACG 2020 use 1).
    kappa1, kappa2 : float in (0, 1], default 0.99
        Forgetting factors of the coefficient covariance and of the innovation covariance (1 = no forgetting).
    prior_size : int, optional
        Rows of the OLS prior (:func:`ols_prior`); default all rows, as ``BayesPrior`` with no size.
    prior : (b0, V0, Sigma0), optional
        Explicit prior: slope mean (k²p, row-major vec of :math:`[A_1 … A_p]`), its covariance and the initial
        innovation covariance; overrides ``prior_size``.
    stability : bool, default True
        When the filtered VAR is explosive, keep the previous period's coefficients for that period and shrink
        the state to 0.99 times the previous one (ConnectednessApproach's rule).
    """
    data = validate_frame(data, "tvp_var")
    validate_var_args(lags, 1, "n")
    for name, kappa in (("kappa1", kappa1), ("kappa2", kappa2)):
        if not 0 < kappa <= 1:
            raise DataError(f"{name}={kappa!r} must be in (0, 1] (ACG 2020 use 0.99; 1 = no forgetting)")
    y = data.to_numpy(dtype=float)
    y = y - y.mean(axis=0)
    n, k = y.shape
    check_enough_rows(n, k, lags, "n", "tvp_var")
    b, v, sig = prior if prior is not None else ols_prior(y, lags, prior_size)
    b, v, sig = np.array(b, dtype=float), np.array(v, dtype=float), np.array(sig, dtype=float)
    kp = k * lags
    if b.shape != (k * kp,) or v.shape != (k * kp, k * kp) or sig.shape != (k, k):
        raise DataError(f"prior shapes {b.shape}, {v.shape}, {sig.shape} do not fit a VAR({lags}) in {k} markets; "
                        f"expected ({k * kp},), ({k * kp}, {k * kp}), ({k}, {k})")
    steps = n - lags
    coefs = np.empty((steps, lags, k, k))
    sigmas = np.empty((steps, k, k))
    prev_b = b.copy()
    unstable = 0
    for i, t in enumerate(range(lags, n)):
        z = np.concatenate([y[t - lag] for lag in range(1, lags + 1)])           # (kp,)
        bmat = b.reshape(k, kp)
        err = y[t] - bmat @ z                                                     # prediction error
        sig = kappa2 * sig + (1.0 - kappa2) * np.outer(err, err)
        if i:
            v = v / kappa1
        # X = I_k ⊗ z': X V X' and V X' without forming X
        v4 = v.reshape(k, kp, k, kp)
        vx = np.einsum("iajb,b->iaj", v4, z).reshape(k * kp, k)                  # V X'
        xvx = np.einsum("a,iaj->ij", z, vx.reshape(k, kp, k))                    # X V X'
        gain = vx @ np.linalg.pinv(xvx + sig)                                    # (k kp, k)
        b = b + gain @ err
        v = v - gain @ vx.T
        v = 0.5 * (v + v.T)
        if stability and _companion_radius(b, k, lags) > 1.0 and i:
            unstable += 1
            b = 0.99 * prev_b
            use = prev_b
        else:
            use = b
        prev_b = use.copy()
        coefs[i] = use.reshape(k, lags, k).transpose(1, 0, 2)
        sigmas[i] = sig
    return TVPVarFit(index=data.index[lags:], coefs=coefs, sigma=sigmas, unstable=unstable)


@dataclass(frozen=True)
class TVPConnectedness:
    """Dynamic connectedness from a TVP-VAR (per cent): ``total`` (Series over time), ``to``, ``from_``, ``net``
    (DataFrames, time × market), ``fevd`` (T, k, k fractions), the fit and a one-line method."""

    total: pd.Series
    to: pd.DataFrame
    from_: pd.DataFrame
    net: pd.DataFrame
    fevd: np.ndarray
    fit: TVPVarFit
    horizon: int
    identification: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """Total and per-market to / from / net per period."""
        return pd.concat([self.total.rename("total"), self.to.add_prefix("to_"), self.from_.add_prefix("from_"),
                          self.net.add_prefix("net_")], axis=1)


def tvp_var_connectedness(data: pd.DataFrame, lags: int = 1, horizon: int = 10, kappa1: float = 0.99,
                          kappa2: float = 0.99, *, identification: str = "generalized", prior_size: int | None = None,
                          prior=None, stability: bool = True) -> TVPConnectedness:
    """TVP-VAR connectedness of ACG (2020): :func:`tvp_var`, then each period's decomposition at ``horizon``.

    Assumptions: a VAR whose coefficients drift as random walks and whose innovation covariance is an EWMA of the
    prediction errors (the forgetting factors set how fast: an effective memory of about 1/(1 − κ) periods); no
    window to choose and no observations lost to it, which is why ACG prefer it to rolling windows for short
    episodes. Early periods lean on the prior. Parameters as in :func:`tvp_var`; ``horizon`` and
    ``identification`` as in :func:`~selloff.analytics.spillover.spillover_table`.
    """
    fit = tvp_var(data, lags, kappa1, kappa2, prior_size=prior_size, prior=prior, stability=stability)
    theta = fevd(fit.coefs, fit.sigma, horizon, identification)
    total, to, from_, net = spillover_measures(theta)
    names = list(data.columns)
    return TVPConnectedness(
        total=pd.Series(total, index=fit.index, name="total_pct"),
        to=pd.DataFrame(to, index=fit.index, columns=names), from_=pd.DataFrame(from_, index=fit.index, columns=names),
        net=pd.DataFrame(net, index=fit.index, columns=names), fevd=theta, fit=fit, horizon=int(horizon),
        identification=identification,
        method=(f"TVP-VAR({lags}) connectedness (Antonakakis-Chatziantoniou-Gabauer 2020): Kalman filter with "
                f"forgetting factors {kappa1:g}/{kappa2:g}, {horizon}-step {identification} FEVD per period"))
