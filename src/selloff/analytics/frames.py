"""Reshape long store frames into the wide frames the analytics work on."""
from __future__ import annotations

import pandas as pd

from selloff.errors import DataError
from selloff.timeutil import require_utc

NY = "America/New_York"


as_utc = require_utc
"""A tz-aware UTC Timestamp; naive input is rejected (:func:`selloff.timeutil.require_utc`)."""


def session_date(ts: pd.Series | pd.DatetimeIndex, kind: str) -> pd.DatetimeIndex:
    """Label of a daily bar: the UTC date of its open for tokens, the New York session date for equities."""
    idx = pd.DatetimeIndex(ts)
    if kind == "token":
        return idx.tz_convert("UTC").tz_localize(None).normalize()
    return idx.tz_convert(NY).tz_localize(None).normalize()


def pivot_daily(bars: pd.DataFrame, kinds: dict[str, str], field: str = "close") -> pd.DataFrame:
    """Wide daily frame: index ``date`` (bar label, see :func:`session_date`), one column per asset.

    ``kinds`` maps asset id to its kind (token/equity/index). One source per asset is expected (pick it first
    with ``select_series``); duplicates are an error.
    """
    d = bars[bars["interval"] == "1d"]
    if d.empty:
        raise DataError("no daily bars in the selection; fetch or import daily data for these assets")
    parts = []
    for asset, g in d.groupby("asset", sort=True):
        kind = kinds.get(asset, "token")
        s = pd.Series(g[field].to_numpy(dtype=float), index=session_date(g["ts"], kind), name=asset)
        if s.index.duplicated().any():
            dup = s.index[s.index.duplicated()][0].date()
            raise DataError(f"asset {asset}: two daily bars for {dup} (several sources?); select one source first")
        parts.append(s)
    out = pd.concat(parts, axis=1, sort=True).sort_index()
    out.index.name = "date"
    return out


def pivot_ts(frame: pd.DataFrame, value: str, interval: str | None = None) -> pd.DataFrame:
    """Wide frame indexed by UTC ``ts`` (e.g. hourly closes or market caps), one column per asset."""
    f = frame if interval is None or "interval" not in frame else frame[frame["interval"] == interval]
    out = f.pivot_table(index="ts", columns="asset", values=value, aggfunc="last").sort_index()
    out.columns.name = None
    return out


def caps_at_close(market_caps: pd.DataFrame) -> pd.DataFrame:
    """Market cap at each UTC day's close, wide (index ``date``, one column per asset): a snapshot at 00:00-00:59
    UTC of day ``d + 1`` is the cap at the close of day ``d`` (crypto days close at 00:00 UTC) and is labelled ``d``,
    like the day's bar; the later snapshot wins where two fall in that hour. Empty frame without such snapshots."""
    mc = market_caps
    if mc is None or mc.empty:
        return pd.DataFrame()
    mc = mc[mc["ts"].dt.hour == 0]
    if mc.empty:
        return pd.DataFrame()
    mc = mc.sort_values("ts", kind="stable")
    mc = mc.assign(date=(mc["ts"] - pd.Timedelta(days=1)).dt.tz_localize(None).dt.normalize())
    out = mc.pivot_table(index="date", columns="asset", values="market_cap_usd", aggfunc="last")
    out.columns.name = None
    return out
