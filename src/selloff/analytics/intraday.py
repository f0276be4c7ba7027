"""Intraday figures of an episode on hourly bars: the sector's hourly index, its worst rolling 24 h and its low.

The hourly index chains the members' hourly close-to-close returns, weighted like the daily index (the market cap
at the close before the hour's UTC day; equal weights without caps), renormalised over the members with a
return that hour. One reading per hour ``t``: ``100 * (L(t) / L(t - 24 h) - 1)`` — the same rule as
:func:`selloff.analytics.measures.rolling_24h_change` for one asset, applied to the sector level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sector_hourly_level", "worst_in_window"]


def sector_hourly_level(hourly_close: pd.DataFrame, daily_weights: pd.DataFrame | None) -> pd.Series:
    """The sector's hourly index level (1 before the first return), index = each hour's close time (UTC).

    Parameters
    ----------
    hourly_close
        Wide hourly closes (index = bar open ``ts`` as stored, UTC; one column per member).
    daily_weights
        Market caps by day label (the cap at each day's close), columns = members; ``None`` for equal weights.
    """
    c = hourly_close.sort_index()
    c.index = c.index + pd.Timedelta(hours=1)  # the close of the bar opened at ts
    c = c.reindex(pd.date_range(c.index[0], c.index[-1], freq="1h")) if len(c) > 1 else c
    r = c.pct_change(fill_method=None)
    if daily_weights is None:
        w = pd.DataFrame(1.0, index=r.index, columns=r.columns)
    else:
        # the weight of an hour of day d is the cap at the close of d - 1 (bar open times: the hour's UTC day)
        day = (r.index - pd.Timedelta(hours=1)).tz_convert("UTC").tz_localize(None).normalize() - pd.Timedelta(days=1)
        w = daily_weights.reindex(columns=r.columns).sort_index().ffill().reindex(day)
        w.index = r.index
    w = w.where(r.notna())
    tot = w.sum(axis=1)
    sr = ((w * r).sum(axis=1) / tot).where(tot > 0)
    return (1.0 + sr.fillna(0.0)).cumprod().rename("level")


def worst_in_window(level: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Worst rolling 24 h move and intraday low of the hourly ``level`` over the UTC days ``start`` .. ``end``.

    The low is measured against the level at ``start`` 00:00 UTC (the close before the first day); both are NaN
    when the hourly bars do not cover that instant.
    """
    out = {"worst_24h_pct": float("nan"), "worst_24h_end": None, "intraday_low_pct": float("nan"),
           "intraday_low_ts": None}
    if level is None or level.empty:
        return out
    t0 = pd.Timestamp(start).tz_localize("UTC") if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start)
    t1 = (pd.Timestamp(end).tz_localize("UTC") if pd.Timestamp(end).tzinfo is None else pd.Timestamp(end)) + pd.Timedelta(days=1)
    win = level[(level.index > t0) & (level.index <= t1)]
    if win.empty or t0 not in level.index:
        return out
    back = level.reindex(win.index - pd.Timedelta(hours=24)).to_numpy(float)
    move = 100.0 * (win.to_numpy(float) / back - 1.0)
    if np.isfinite(move).any():
        i = int(np.nanargmin(move))
        out["worst_24h_pct"], out["worst_24h_end"] = float(move[i]), pd.Timestamp(win.index[i])
    j = int(np.argmin(win.to_numpy(float)))
    out["intraday_low_pct"] = float(100.0 * (win.iloc[j] / level.loc[t0] - 1.0))
    out["intraday_low_ts"] = pd.Timestamp(win.index[j])
    return out
