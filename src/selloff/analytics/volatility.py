"""Conditional volatility for scaling moves: EWMA (RiskMetrics) and GARCH(1,1) (``arch``).

Both give, for each day t, a one-step-ahead forecast of sigma_t from information up to t-1 only, so a move is
never scaled by a volatility that already contains it (the event is excluded from its own estimation window).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from selloff.errors import ConfigError, DataError


def ewma_volatility(returns: pd.DataFrame | pd.Series, lam: float = 0.94, min_periods: int = 30) -> pd.DataFrame | pd.Series:
    """EWMA forecast of sigma_t from returns up to t-1.

    Notes
    -----
    sigma^2_t = lam * sigma^2_{t-1} + (1 - lam) * r^2_{t-1}, seeded with sigma^2_1 = r^2_0; values before
    ``min_periods`` returns have been seen are NaN. Assumes zero-mean daily returns (RiskMetrics).

    References
    ----------
    J.P. Morgan/Reuters (1996), RiskMetrics Technical Document, 4th ed.
    """
    r = returns.astype(float)
    sq = (r**2).shift(1)
    # pandas' ewm with adjust=False is the RiskMetrics recursion; alpha = 1 - lam.
    var = sq.ewm(alpha=1.0 - lam, adjust=False, min_periods=min_periods, ignore_na=True).mean()
    return np.sqrt(var)


def garch_volatility(returns: pd.Series, window: int = 365, end: object = None, dist: str = "t") -> tuple[float, dict[str, float]]:
    """One-step-ahead GARCH(1,1) sigma for the day after ``end`` (or after the last observation).

    Fitted by ``arch`` on the ``window`` returns ending at ``end`` inclusive (so the event day itself is
    excluded when ``end`` is the day before it). Returns (sigma, params). Returns are scaled by 100 for the
    optimiser and scaled back.

    Notes
    -----
    sigma^2_t = omega + alpha * eps^2_{t-1} + beta * sigma^2_{t-1}, constant mean, Student-t errors by default.
    Assumes covariance stationarity (alpha + beta < 1) over the window.

    References
    ----------
    Bollerslev, T. (1986). J. Econometrics 31, 307-327.
    """
    from arch import arch_model

    s = returns.dropna()
    if end is not None:
        s = s.loc[:end]
    s = s.iloc[-window:]
    if len(s) < 60:
        raise DataError(f"GARCH needs at least 60 returns before the event, got {len(s)}; load more history")
    am = arch_model(s * 100.0, mean="Constant", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
    res = am.fit(disp="off", show_warning=False)
    f = res.forecast(horizon=1, reindex=False)
    sigma = float(np.sqrt(f.variance.iloc[-1, 0])) / 100.0
    return sigma, {k: float(v) for k, v in res.params.items()}


def zscores(returns: pd.DataFrame | pd.Series, lam: float = 0.94, min_periods: int = 30) -> pd.DataFrame | pd.Series:
    """Move in units of its EWMA forecast sigma (information up to the day before)."""
    return returns / ewma_volatility(returns, lam, min_periods)


# -- GARCH(1,1) sigma path without look-ahead ------------------------------------------------------------------
_SCALE = 100.0  # returns are fitted in per cent: arch's optimiser is tuned for that scale


def _garch_blocks(n: int, window: int, refit_every: int, min_obs: int) -> list[tuple[int, int, int]]:
    """(estimation start, block start, block end exclusive) positions: block [p0, p1) is forecast with the
    parameters estimated on positions [max(0, p0 - window), p0)."""
    if window < 1 or refit_every < 1 or min_obs < 1:
        raise ConfigError(f"window, refit_every and min_obs must be >= 1, got {window}, {refit_every}, {min_obs}; fix [detect] garch_*")
    return [(max(0, p0 - window), p0, min(p0 + refit_every, n)) for p0 in range(min_obs, n, refit_every)]


def _garch_fit(y: np.ndarray, dist: str) -> dict[str, float]:
    from arch import arch_model

    res = arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist=dist, rescale=False).fit(disp="off", show_warning=False)
    return {k: float(v) for k, v in res.params.items()}


def _backcast(eps: np.ndarray) -> float:
    """arch's GARCH start value: exponentially weighted (0.94) mean of the first 75 squared residuals."""
    tau = min(75, len(eps))
    w = 0.94 ** np.arange(tau)
    return float(np.sum(eps[:tau] ** 2 * w / w.sum()))


def garch_sigma_path(
    returns: pd.Series, window: int = 365, refit_every: int = 30, min_obs: int = 100, dist: str = "t",
    start: object = None,
) -> pd.Series:
    """One-step-ahead GARCH(1,1) sigma for every day, from information up to the day before (fast path).

    Parameters
    ----------
    returns : pd.Series
        Daily returns (fractions); NaNs are dropped (the path is computed on the observed days and reindexed).
    window : int, default 365
        Returns in each estimation window (the ``window`` observations before the block).
    refit_every : int, default 30
        Days per block: parameters are re-estimated before each block and held fixed inside it.
    min_obs : int, default 100
        Observations before the first day with a sigma (earlier days are NaN).
    dist : {"t", "normal", "skewt", "ged"}, default "t"
        Error distribution of the quasi-likelihood (only the variance recursion enters sigma).
    start : label, optional
        Only the days from ``start`` on are wanted: blocks that end before it are not fitted and every day
        before it is NaN. Each block depends only on its own estimation window, so the days returned are the
        same numbers as without ``start`` (one fit instead of one per block when only the last day is asked).

    Returns
    -------
    pd.Series
        ``sigma`` (fraction per day), index as ``returns``; ``attrs["params"]`` lists each block's parameters.

    Notes
    -----
    Block b covers observations [p_b, p_b + refit_every); its parameters (mu, omega, alpha, beta) are estimated
    by ``arch`` on observations [p_b - window, p_b) only. The fixed-parameter recursion
    :math:`\\sigma^2_t = \\omega + \\alpha (r_{t-1} - \\mu)^2 + \\beta \\sigma^2_{t-1}` is then run from the start
    of that estimation window (seeded with arch's backcast of its first 75 squared residuals) through the block,
    so :math:`\\sigma_t` uses :math:`r_{s}, s < t` only. One pass per block; :func:`garch_sigma_path_reference`
    recomputes each day from scratch with ``arch``'s ``fix`` and ``forecast`` and the tests assert agreement to
    1e-8. Assumes daily returns without structural breaks inside a window; the recursion is fitted to returns in
    per cent and scaled back.

    References
    ----------
    Bollerslev, T. (1986). "Generalized autoregressive conditional heteroskedasticity." Journal of Econometrics
    31(3), 307-327.
    """
    s = returns.astype(float).dropna()
    y = s.to_numpy() * _SCALE
    sig = np.full(len(y), np.nan)
    fitted = []
    first = 0 if start is None else int(s.index.searchsorted(start, side="left"))
    for e0, p0, p1 in _garch_blocks(len(y), window, refit_every, min_obs):
        if p1 <= first:
            continue
        prm = _garch_fit(y[e0:p0], dist)
        mu, om, al, be = prm["mu"], prm["omega"], prm["alpha[1]"], prm["beta[1]"]
        eps = y[e0:p1] - mu
        var = _backcast(eps[: p0 - e0])
        v = np.empty(p1 - e0)
        v[0] = var
        for i in range(1, p1 - e0):
            v[i] = om + al * eps[i - 1] ** 2 + be * v[i - 1]
        sig[p0:p1] = np.sqrt(v[p0 - e0:]) / _SCALE
        fitted.append({"block_start": s.index[p0], "nobs": p0 - e0, **prm})
    sig[:first] = np.nan
    out = pd.Series(sig, index=s.index, name="sigma_garch").reindex(returns.index)
    out.attrs["params"] = fitted
    return out


def garch_sigma_path_reference(
    returns: pd.Series, window: int = 365, refit_every: int = 30, min_obs: int = 100, dist: str = "t"
) -> pd.Series:
    """Obvious version of :func:`garch_sigma_path`: for each day t, ``arch_model(...).fix(params)`` on the
    observations from the block's estimation start to t-1 and a one-step ``forecast`` (the recursion recomputed
    from scratch each day)."""
    from arch import arch_model

    s = returns.astype(float).dropna()
    y = s.to_numpy() * _SCALE
    sig = np.full(len(y), np.nan)
    for e0, p0, p1 in _garch_blocks(len(y), window, refit_every, min_obs):
        prm = _garch_fit(y[e0:p0], dist)
        for t in range(p0, p1):
            am = arch_model(y[e0:t], mean="Constant", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
            fc = am.fix(list(prm.values())).forecast(horizon=1, reindex=False)
            sig[t] = float(np.sqrt(fc.variance.iloc[-1, 0])) / _SCALE
    return pd.Series(sig, index=s.index, name="sigma_garch").reindex(returns.index)
