"""Sampling uncertainty of a Diebold–Yilmaz spillover table: a recursive-design residual bootstrap of the VAR.

The VAR(p) with a constant is fitted by OLS; each replicate rebuilds a sample of the same length from the first
``p`` observed rows, the fitted coefficients and residuals drawn with replacement (centred), refits the VAR by OLS
and recomputes the decomposition. The standard deviation of a measure over the replicates is its bootstrap
standard error. Every replicate's OLS fit and decomposition is batched (one set of normal equations per replicate,
solved together); :func:`bootstrap_samples` exposes the replicates so a test can refit each with statsmodels.

Units: per cent of one market's H-step forecast-error variance, as in :mod:`selloff.analytics.spillover`.

References
----------
Runkle, D. E. (1987). "Vector autoregressions and reality." Journal of Business & Economic Statistics 5(4),
437–442 (the residual bootstrap of VAR statistics). Kilian, L. (1998). "Small-sample confidence intervals for
impulse response functions." Review of Economics and Statistics 80(2), 218–230. Diebold, F. X. and Yilmaz, K.
(2012), International Journal of Forecasting 28(1), 57–66 (the measures).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.fevd import check_identification, fevd, spillover_measures
from selloff.analytics.var_checks import check_enough_rows, validate_frame, validate_var_args
from selloff.errors import DataError

__all__ = ["SpilloverBootstrap", "bootstrap_samples", "spillover_bootstrap", "var_ols"]


def var_ols(y: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OLS VAR(p) with a constant, batched over leading dimensions of ``y`` (shape (..., n, k)).

    Returns ``const`` (..., k), ``coefs`` (..., p, k, k) in statsmodels' ``VARResults.coefs`` layout, ``sigma``
    (..., k, k) with statsmodels' degrees of freedom (``nobs - k p - 1``) and the residuals (..., n - p, k).
    """
    y = np.asarray(y, dtype=float)
    n, k = y.shape[-2:]
    p = int(lags)
    nobs = n - p
    ones = np.ones(y.shape[:-2] + (nobs, 1))
    z = np.concatenate([ones, *[y[..., p - lag:n - lag, :] for lag in range(1, p + 1)]], axis=-1)  # (..., nobs, 1+kp)
    target = y[..., p:, :]
    zt = np.swapaxes(z, -1, -2)
    b = np.linalg.solve(zt @ z, zt @ target)                           # (..., 1+kp, k)
    resid = target - z @ b
    sigma = np.swapaxes(resid, -1, -2) @ resid / (nobs - k * p - 1)
    const = b[..., 0, :]
    coefs = np.stack([np.swapaxes(b[..., 1 + lag * k:1 + (lag + 1) * k, :], -1, -2) for lag in range(p)], axis=-3)
    return const, coefs, sigma, resid


def bootstrap_samples(data: np.ndarray, lags: int, reps: int, seed: int) -> np.ndarray:
    """``reps`` bootstrap samples (reps, n, k) of the VAR fitted to ``data`` (n, k): the first ``lags`` rows as
    observed, then :math:`y^*_t = c + \\sum_l A_l y^*_{t-l} + u^*_t` with :math:`u^*_t` drawn with replacement from
    the centred OLS residuals (``numpy.random.default_rng(seed)``)."""
    data = np.asarray(data, dtype=float)
    n, k = data.shape
    const, coefs, _, resid = var_ols(data, lags)
    u = resid - resid.mean(axis=0)
    rng = np.random.default_rng(seed)
    draws = u[rng.integers(0, len(u), size=(reps, n - lags))]          # (reps, n - p, k)
    out = np.empty((reps, n, k))
    out[:, :lags] = data[:lags]
    for t in range(lags, n):
        acc = const + draws[:, t - lags]
        for lag in range(1, lags + 1):
            acc = acc + out[:, t - lag] @ coefs[lag - 1].T
        out[:, t] = acc
    return out


@dataclass(frozen=True)
class SpilloverBootstrap:
    """Bootstrap standard errors of a spillover table's measures (percentage points).

    ``total_se`` of the total index, ``net_se`` of each market's net (to − from), ``pairwise_se`` of the pairwise
    net spillovers (``pairwise_se.loc[i, j]`` for the net from i to j); ``reps`` replicates with ``seed``."""

    total_se: float
    net_se: pd.Series
    pairwise_se: pd.DataFrame
    reps: int
    seed: int
    method: str


def spillover_bootstrap(data: pd.DataFrame, lags: int, horizon: int, *, identification: str = "generalized",
                        reps: int = 200, seed: int = 0) -> SpilloverBootstrap:
    """Bootstrap standard errors of :func:`~selloff.analytics.spillover.spillover_table`'s total, net and pairwise
    net spillovers on ``data`` (VAR with a constant, as the table's default ``trend="c"``).

    Notes
    -----
    The replicates keep the fitted VAR as the truth (no bias correction), so the SE measures sampling noise
    around the estimate; with few sessions per parameter the DY total is biased upward in small samples and the
    SE understates the total error. A change between two overlapping windows is judged against one window's SE
    (``selloff.report.judgement``), which overstates the noise of the change and so never over-claims it.
    """
    data = validate_frame(data, "spillover_bootstrap")
    validate_var_args(lags, horizon, "c")
    check_identification(identification)
    check_enough_rows(len(data), data.shape[1], lags, "c", "spillover_bootstrap")
    if int(reps) != reps or reps < 2:
        raise DataError(f"reps={reps!r} must be an integer of at least 2 (bootstrap replicates)")
    samples = bootstrap_samples(data.to_numpy(dtype=float), lags, int(reps), int(seed))
    _, coefs, sigma, _ = var_ols(samples, lags)
    theta = fevd(coefs, sigma, horizon, identification)                 # (reps, k, k)
    total, _, _, net = spillover_measures(theta)
    pairwise = 100.0 * (np.swapaxes(theta, -1, -2) - theta)
    names = list(data.columns)
    return SpilloverBootstrap(
        total_se=float(np.std(total, ddof=1)), net_se=pd.Series(np.std(net, axis=0, ddof=1), index=names, name="net_se"),
        pairwise_se=pd.DataFrame(np.std(pairwise, axis=0, ddof=1), index=names, columns=names), reps=int(reps),
        seed=int(seed), method=f"recursive-design residual bootstrap of the VAR({lags}), {int(reps)} replicates, seed {int(seed)}")
