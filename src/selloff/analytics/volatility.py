"""Conditional volatility for scaling moves: EWMA (RiskMetrics) and GARCH(1,1) (``arch``).

Both give, for each day t, a one-step-ahead forecast of sigma_t from information up to t-1 only, so a move is
never scaled by a volatility that already contains it (the event is excluded from its own estimation window).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


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
        raise ValueError(f"GARCH needs at least 60 returns before the event, got {len(s)}")
    am = arch_model(s * 100.0, mean="Constant", vol="GARCH", p=1, q=1, dist=dist, rescale=False)
    res = am.fit(disp="off", show_warning=False)
    f = res.forecast(horizon=1, reindex=False)
    sigma = float(np.sqrt(f.variance.iloc[-1, 0])) / 100.0
    return sigma, {k: float(v) for k, v in res.params.items()}


def zscores(returns: pd.DataFrame | pd.Series, lam: float = 0.94, min_periods: int = 30) -> pd.DataFrame | pd.Series:
    """Move in units of its EWMA forecast sigma (information up to the day before)."""
    return returns / ewma_volatility(returns, lam, min_periods)
