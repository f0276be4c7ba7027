"""Contagion between the AI-equity basket and the AI-token sector: causality, lead–lag, co-movement in the tails.

All functions take an aligned wide returns frame (see :mod:`selloff.analytics.calendar`) and two column names,
typically the equity basket (``EQ_BASKET``) and the token sector index (``AI_SECTOR``). Results say which
direction was tested and on how many observations.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from selloff.errors import DataError

__all__ = [
    "correlation_se",
    "granger_causality",
    "granger_f",
    "granger_sensitivity",
    "lead_lag_xcorr",
    "lead_lag_xcorr_reference",
    "rolling_correlation",
    "tail_comovement",
]


def _pair(returns: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    missing = [c for c in (a, b) if c not in returns.columns]
    if missing:
        raise DataError(f"columns {missing} are not in the returns frame; build the basket/sector index first")
    return returns[[a, b]].sort_index()


def granger_causality(returns: pd.DataFrame, a: str, b: str, lags: int = 5) -> pd.DataFrame:
    """Granger-causality F tests in both directions, ``a → b`` and ``b → a``, for lags 1..``lags``.

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned returns; rows with a missing value in either column are dropped (so a gap joins its neighbours —
        align first so that gaps are rare).
    a, b : str
        Column names (e.g. ``"EQ_BASKET"``, ``"AI_SECTOR"``).
    lags : int, default 5
        Largest lag order tested.

    Returns
    -------
    pd.DataFrame
        Rows per (direction, lag): ``cause, effect, lag, f_stat, p_value, df_num, df_denom, nobs``.

    Notes
    -----
    For ``x → y`` at lag p: unrestricted OLS :math:`y_t = c + \\sum_{j\\le p} a_j y_{t-j} + \\sum_{j\\le p} b_j
    x_{t-j}` vs. the restricted model without the ``x`` lags; :math:`F = ((SSR_r - SSR_u)/p) / (SSR_u/(n-2p-1))`
    (statsmodels ``grangercausalitytests``, ``ssr_ftest``). Assumptions: both series stationary (use returns,
    not prices), linear dynamics, homoskedastic errors — a rejection means *predictive* precedence on this grid,
    not a causal channel; on the session grid crypto weekend moves enter Monday's row.

    References
    ----------
    Granger, C. W. J. (1969). Investigating causal relations by econometric models and cross-spectral methods.
    Econometrica 37(3), 424–438.
    """
    from statsmodels.tsa.stattools import grangercausalitytests

    data = _pair(returns, a, b).dropna()
    if len(data) < 3 * lags + 10:
        raise DataError(f"only {len(data)} complete rows for Granger tests with {lags} lags; "
                        f"need {3 * lags + 10} — lengthen the window or lower lags")
    rows = []
    for cause, effect in ((a, b), (b, a)):
        # statsmodels tests whether the 2nd column Granger-causes the 1st
        res = grangercausalitytests(data[[effect, cause]].to_numpy(), maxlag=lags)
        for lag in range(1, lags + 1):
            f, p, df_d, df_n = res[lag][0]["ssr_ftest"]
            rows.append({"cause": cause, "effect": effect, "lag": lag, "f_stat": float(f), "p_value": float(p),
                         "df_num": int(df_n), "df_denom": float(df_d), "nobs": len(data) - lag})
    return pd.DataFrame(rows)


def correlation_se(r: float, n: int) -> float:
    """Large-sample standard error of a Pearson correlation ``r`` on ``n`` pairs: :math:`(1 - r^2)/\\sqrt{n - 1}`
    (bivariate normal, independent pairs; Bowley 1928, Stuart & Ord, Kendall's Advanced Theory of Statistics
    §16.27). At ``r = 0.46, n = 30`` it is 0.146. NaN for ``n < 3``."""
    if n < 3 or not np.isfinite(r):
        return float("nan")
    return float((1 - r * r) / np.sqrt(n - 1))


def _lagged(y: np.ndarray, x: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(y)
    Y = y[lag:]
    own = np.column_stack([y[lag - j: n - j] for j in range(1, lag + 1)])
    other = np.column_stack([x[lag - j: n - j] for j in range(1, lag + 1)])
    ones = np.ones((n - lag, 1))
    return Y, np.hstack([ones, own]), np.hstack([ones, own, other])


def granger_f(y: np.ndarray, x: np.ndarray, lag: int, drop: np.ndarray | None = None) -> tuple[float, float, int]:
    """The ``ssr_ftest`` of :func:`granger_causality` for ``x → y`` at one lag, with numpy: ``(F, p, nobs)``.

    ``drop`` is a boolean mask over the regression rows (``len(y) - lag``) to leave out — the lags are built on
    the full series first, so leaving out a row removes one observation, not a session from the lag structure.
    """
    from scipy import stats

    f = _granger_stat(y, x, lag, drop)
    n = len(y) - lag - (int(drop.sum()) if drop is not None else 0)
    return f, float(stats.f.sf(f, lag, n - (2 * lag + 1))), n


def _granger_stat(y: np.ndarray, x: np.ndarray, lag: int, drop: np.ndarray | None = None) -> float:
    Y, Xr, Xu = _lagged(np.asarray(y, float), np.asarray(x, float), lag)
    if drop is not None:
        keep = ~drop
        Y, Xr, Xu = Y[keep], Xr[keep], Xu[keep]
    ssr = [float(((Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]) ** 2).sum()) for X in (Xr, Xu)]
    dof = len(Y) - Xu.shape[1]
    return ((ssr[0] - ssr[1]) / lag) / (ssr[1] / dof)


def _ssr_loo(Y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Sum of squared residuals of the OLS fit with each row left out in turn, in closed form:
    :math:`SSR_{(i)} = SSR - e_i^2 / (1 - h_{ii})` (Belsley, Kuh & Welsch 1980, Regression Diagnostics, eq. 2.8)."""
    Q, _ = np.linalg.qr(X)
    e = Y - Q @ (Q.T @ Y)
    h = (Q ** 2).sum(axis=1)
    return float(e @ e) - e ** 2 / np.clip(1 - h, 1e-12, None)


def _granger_loo_stats(y: np.ndarray, x: np.ndarray, lag: int) -> np.ndarray:
    """The F statistic of :func:`granger_f` with each regression row left out in turn (closed form)."""
    Y, Xr, Xu = _lagged(np.asarray(y, float), np.asarray(x, float), lag)
    ssr_r, ssr_u = _ssr_loo(Y, Xr), _ssr_loo(Y, Xu)
    dof = len(Y) - 1 - Xu.shape[1]
    return ((ssr_r - ssr_u) / lag) / (ssr_u / dof)


def stats_f_sf(f, d1: int, d2: int):
    """Upper tail of the F distribution (scipy, imported on use)."""
    from scipy import stats

    return stats.f.sf(f, d1, d2)


def granger_sensitivity(returns: pd.DataFrame, cause: str, effect: str, lags: int, min_rows: int = 20) -> pd.DataFrame:
    """How much the Granger verdict ``cause → effect`` hangs on single sessions.

    ``returns`` end with the event session. For each lag 1..``lags``: the p-value on the sessions before the event
    (``p_pre``, as :func:`granger_causality`), with the event session added (``p_with_event``), and the smallest and
    largest p-value when any one session of the pre-event sample is left out (``p_loo_min``, ``p_loo_max``,
    leave-one-out). A verdict that flips inside this range is fragile and the report says so.
    """
    data = _pair(returns, cause, effect).dropna()
    if len(data) < 3 * lags + min_rows:
        raise DataError(f"only {len(data)} complete rows for a Granger sensitivity with {lags} lags; lengthen the window")
    y, x = data[effect].to_numpy(float), data[cause].to_numpy(float)
    rows = []
    for lag in range(1, lags + 1):
        _, p_pre, n = granger_f(y[:-1], x[:-1], lag)
        _, p_ev, _ = granger_f(y, x, lag)
        loo = stats_f_sf(_granger_loo_stats(y[:-1], x[:-1], lag), lag, n - 1 - (2 * lag + 1))
        rows.append({"cause": cause, "effect": effect, "lag": lag, "p_pre": p_pre, "p_with_event": p_ev,
                     "p_loo_min": float(min(loo)), "p_loo_max": float(max(loo)), "nobs": n})
    return pd.DataFrame(rows)


def lead_lag_xcorr(returns: pd.DataFrame, a: str, b: str, max_lag: int = 5) -> pd.DataFrame:
    """Cross-correlation :math:`\\rho(k) = \\mathrm{corr}(a_t, b_{t+k})` for :math:`k = -K..K` (fast path).

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned returns.
    a, b : str
        Column names.
    max_lag : int, default 5
        K.

    Returns
    -------
    pd.DataFrame
        Index ``lag`` (-K..K); columns ``corr``, ``n`` (pairs used) and ``se`` (:math:`1/\\sqrt{n}`, the
        white-noise standard error). ``lag > 0`` with a large ``corr`` means **a leads b**.

    Notes
    -----
    Pearson correlation over the pairs where both values exist, each lag on its own overlap (pairwise
    deletion). Under independence and finite variance, :math:`\\rho(k)\\approx N(0, 1/n)` (Bartlett).
    :func:`lead_lag_xcorr_reference` is the obvious per-lag pandas version; tests assert they agree.
    """
    data = _pair(returns, a, b)
    x = data[a].to_numpy(dtype=float)
    y = data[b].to_numpy(dtype=float)
    n = len(x)
    lags = np.arange(-max_lag, max_lag + 1)
    corr = np.full(len(lags), np.nan)
    cnt = np.zeros(len(lags), dtype=int)
    for i, k in enumerate(lags):
        if abs(k) >= n:
            continue
        xs, ys = (x[: n - k], y[k:]) if k >= 0 else (x[-k:], y[: n + k])
        ok = np.isfinite(xs) & np.isfinite(ys)
        m = int(ok.sum())
        cnt[i] = m
        if m < 3:
            continue
        xv, yv = xs[ok] - xs[ok].mean(), ys[ok] - ys[ok].mean()
        den = np.sqrt((xv @ xv) * (yv @ yv))
        corr[i] = np.clip(xv @ yv / den, -1.0, 1.0) if den > 0 else np.nan
    out = pd.DataFrame({"corr": corr, "n": cnt}, index=pd.Index(lags, name="lag"))
    out["se"] = np.where(out["n"] > 0, 1 / np.sqrt(out["n"].clip(lower=1)), np.nan)
    return out


def lead_lag_xcorr_reference(returns: pd.DataFrame, a: str, b: str, max_lag: int = 5) -> pd.Series:
    """Obvious version of :func:`lead_lag_xcorr`: ``returns[a].corr(returns[b].shift(-k))`` per lag."""
    data = _pair(returns, a, b)
    return pd.Series({k: data[a].corr(data[b].shift(-k)) for k in range(-max_lag, max_lag + 1)}, name="corr")


def rolling_correlation(returns: pd.DataFrame, a: str, b: str, window: int = 30,
                        min_periods: int | None = None) -> pd.Series:
    """Rolling Pearson correlation of ``a`` and ``b`` over ``window`` rows (trailing, label = last row).

    Notes
    -----
    Each value uses only rows up to its label (no look-ahead); fewer than ``min_periods`` (default
    ``window``) complete pairs give NaN. Assumes a constant correlation within each window.
    """
    data = _pair(returns, a, b)
    mp = window if min_periods is None else min_periods
    out = data[a].rolling(window, min_periods=mp).corr(data[b])
    return out.clip(-1.0, 1.0).rename(f"corr_{a}_{b}_{window}")


def tail_comovement(
    returns: pd.DataFrame,
    token: str,
    basket: str,
    windows: Mapping[str, tuple[object, object]],
    token_drop: float = 0.05,
    basket_drop: float = 0.02,
    tail_quantile: float = 0.10,
) -> pd.DataFrame:
    """Joint falls of the token (sector) and the equity basket, per window (e.g. before vs during an episode).

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned returns (fractions, e.g. -0.05 = -5 %).
    token, basket : str
        Column names.
    windows : mapping of str to (start, end)
        Named windows, inclusive label bounds, e.g. ``{"before": (..., ...), "during": (..., ...)}``.
    token_drop : float, default 0.05
        q: a token fall is ``r_token < -token_drop``.
    basket_drop : float, default 0.02
        q': a basket fall is ``r_basket < -basket_drop``.
    tail_quantile : float, default 0.10
        u for the empirical lower-tail dependence.

    Returns
    -------
    pd.DataFrame
        Index = window name. Columns ``start, end, n, n_basket_falls, n_joint_falls, p_token_fall,
        p_token_fall_given_basket_fall, lift`` (conditional / unconditional), ``lambda_lower`` (at ``u``) and
        ``tail_quantile``.

    Notes
    -----
    :math:`\\hat P(A|B) = \\#(A\\cap B)/\\#B` (NaN if no basket fall). Empirical lower-tail dependence at u:
    :math:`\\hat\\lambda_L(u) = \\#\\{F_n(x) \\le u, G_n(y) \\le u\\} / \\#\\{G_n(y) \\le u\\}` with ranks (ECDFs)
    computed **within** each window, so it measures dependence, not the level of the moves; for independent
    series it is ≈ u, for comonotone ones 1. Rows with either value missing are dropped. Few tail observations
    make both numbers noisy: read them with ``n_basket_falls``.

    References
    ----------
    Joe, H. (1997). Multivariate Models and Dependence Concepts, ch. 2 (tail dependence). Chapman & Hall.
    """
    data = _pair(returns, token, basket).dropna()
    if not 0 < tail_quantile < 1:
        raise DataError(f"tail_quantile={tail_quantile} must be in (0, 1)")
    rows = {}
    for name, (start, end) in windows.items():
        w = data.loc[start:end]
        n = len(w)
        x, y = w[token].to_numpy(), w[basket].to_numpy()
        tok_fall = x < -token_drop
        bas_fall = y < -basket_drop
        nb = int(bas_fall.sum())
        nj = int((tok_fall & bas_fall).sum())
        p_t = float(tok_fall.mean()) if n else np.nan
        p_cond = nj / nb if nb else np.nan
        if n:
            ux = pd.Series(x).rank(method="max").to_numpy() / n
            uy = pd.Series(y).rank(method="max").to_numpy() / n
            below_y = uy <= tail_quantile
            lam = float((below_y & (ux <= tail_quantile)).sum() / below_y.sum()) if below_y.any() else np.nan
        else:
            lam = np.nan
        rows[name] = {"start": w.index[0] if n else start, "end": w.index[-1] if n else end, "n": n,
                      "n_basket_falls": nb, "n_joint_falls": nj, "p_token_fall": p_t,
                      "p_token_fall_given_basket_fall": p_cond,
                      "lift": p_cond / p_t if p_t and not np.isnan(p_cond) else np.nan,
                      "lambda_lower": lam, "tail_quantile": tail_quantile}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "window"
    return out
