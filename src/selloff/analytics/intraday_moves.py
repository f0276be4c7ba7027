"""Every hour's rolling 24 h move and every UTC day's intraday low of many assets at once, and each asset's worst.

The vectorised form of two readings of :mod:`selloff.analytics.measures`, with the same rules, for a scan over
thousands of hours and hundreds of assets (calling the one-instant functions per hour would cost minutes):

``rolling_24h``
    :func:`~selloff.analytics.measures.rolling_24h_change` at every bar close ``t``:
    ``100 * (P(t) / P(t - 24 h) - 1)``, where ``P(t)`` is the close of the last bar closing in
    ``[t - staleness, t]`` (none: no reading).
``intraday_low``
    :func:`~selloff.analytics.measures.intraday_low_change` for every UTC day ``D`` of a crypto asset:
    ``100 * (min low of the bars opening in D / P(D 00:00 UTC) - 1)``.

Input: wide frames of one bar interval (e.g. hourly bars resampled from minutes by the store), index = bar **open**
time UTC as stored, one column per asset, one source per asset (the caller chose it). Simple returns in per cent.
``tests/analytics/test_intraday_moves.py`` checks both against the one-instant functions at every hour and day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["close_grid", "intraday_low_changes", "rolling_24h_changes", "worst_moves"]

DAY = pd.Timedelta("1D")
WINDOW_24H = pd.Timedelta("24h")


def close_grid(close: pd.DataFrame, step: pd.Timedelta, staleness: pd.Timedelta) -> pd.DataFrame:
    """``P(t)`` on the regular grid of bar close times ``t`` (open + ``step``) from the first to the last close.

    A missing bar leaves ``P(t)`` at the last close for at most ``staleness`` (then NaN), as in
    :func:`selloff.analytics.measures.rolling_24h_change`.
    """
    if close.empty:
        return close.copy()
    c = close.sort_index()
    c.index = pd.DatetimeIndex(c.index) + step
    grid = pd.date_range(c.index[0], c.index[-1], freq=step)
    limit = int(staleness // step)
    out = c.reindex(grid)
    return out.ffill(limit=limit) if limit > 0 else out


def rolling_24h_changes(close: pd.DataFrame, step: pd.Timedelta = pd.Timedelta("1h"),
                        staleness: pd.Timedelta = pd.Timedelta("1h")) -> pd.DataFrame:
    """The rolling 24 h change (per cent) ending at every bar close time ``t``, wide (index ``t``, UTC).

    Parameters
    ----------
    close
        Wide closes, index = bar open time (UTC), bars of length ``step`` (which must divide 24 h).
    step, staleness
        Bar length; how old ``P(t)`` may be.
    """
    p = close_grid(close, step, staleness)
    lag = int(WINDOW_24H // step)
    return 100.0 * (p / p.shift(lag) - 1.0)


def intraday_low_changes(close: pd.DataFrame, low: pd.DataFrame, step: pd.Timedelta = pd.Timedelta("1h"),
                         staleness: pd.Timedelta = pd.Timedelta("1h")) -> pd.DataFrame:
    """Previous close → lowest low of each UTC day (per cent), wide (index = day 00:00 UTC, columns = assets).

    ``low`` has the shape of ``close`` (the bars' lows). Only bars lying wholly inside the day count (bars of
    ``step`` ≤ 1 day opening in it). NaN where ``P(D 00:00)`` or every low of the day is missing.
    """
    if close.empty:
        return close.copy()
    p = close_grid(close, step, staleness)
    lows = low.reindex(columns=close.columns).sort_index()
    day = pd.DatetimeIndex(lows.index).floor("1D")
    day_low = lows.groupby(day).min()
    p0 = p.reindex(day_low.index)
    return 100.0 * (day_low / p0 - 1.0)


def worst_moves(close: pd.DataFrame, low: pd.DataFrame, step: pd.Timedelta = pd.Timedelta("1h"),
                staleness: pd.Timedelta = pd.Timedelta("1h")) -> pd.DataFrame:
    """Per asset: the worst rolling 24 h change and when it ended, the worst intraday low and its day.

    Returns
    -------
    pandas.DataFrame
        Index = asset; ``worst_24h_pct``, ``worst_24h_end`` (close time, UTC), ``intraday_low_pct``,
        ``intraday_low_day`` (00:00 UTC); NaN/NaT for an asset without a reading.
    """
    r24 = rolling_24h_changes(close, step, staleness)
    lowc = intraday_low_changes(close, low, step, staleness)

    def worst(frame: pd.DataFrame) -> tuple[np.ndarray, list]:
        a = frame.reindex(columns=close.columns).to_numpy(float)
        if a.shape[0] == 0:
            return np.full(a.shape[1], np.nan), [pd.NaT] * a.shape[1]
        ok = np.isfinite(a).any(axis=0)
        i = np.where(np.isfinite(a), a, np.inf).argmin(axis=0)
        vals = np.where(ok, a[i, np.arange(a.shape[1])], np.nan)
        return vals, [frame.index[k] if good else pd.NaT for k, good in zip(i, ok)]

    v24, t24 = worst(r24)
    vlo, tlo = worst(lowc)
    return pd.DataFrame({"worst_24h_pct": v24, "worst_24h_end": pd.DatetimeIndex(t24, tz="UTC"),
                         "intraday_low_pct": vlo, "intraday_low_day": pd.DatetimeIndex(tlo, tz="UTC")},
                        index=pd.Index(close.columns, name="asset"))
