"""Reshape long store frames into the wide frames the analytics work on."""
from __future__ import annotations

import numpy as np
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
    """Wide daily frame: index ``date`` (bar label, see :func:`session_date`), one column per asset (sorted),
    the index's ``freq`` the one pandas infers from its labels (``Day`` for a gapless daily index).

    ``kinds`` maps asset id to its kind (token/equity/index). One source per asset is expected (pick it first
    with ``select_series``); duplicates are an error. Vectorised: each row's label from two whole-column time-zone
    conversions (UTC for tokens, New York for the rest), one scatter into the grid.
    """
    d = bars[bars["interval"] == "1d"]
    if d.empty:
        raise DataError("no daily bars in the selection; fetch or import daily data for these assets")
    codes, names = pd.factorize(d["asset"], sort=True)
    if (codes < 0).any():  # a row without an asset belongs to no column (as in a groupby)
        d, codes = d[codes >= 0], codes[codes >= 0]
    names = [str(n) for n in names]
    ts = pd.DatetimeIndex(d["ts"])
    token = np.array([kinds.get(n, "token") == "token" for n in names])[codes]
    labels = session_date(ts, "token").asi8
    if not token.all():
        labels = np.where(token, labels, session_date(ts, "equity").asi8)
    days, lcodes = np.unique(labels, return_inverse=True)
    cell = codes.astype(np.int64) * len(days) + lcodes
    dup = pd.Series(cell).duplicated().to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        row = rows[np.argmin(codes[rows])]  # the first asset (sorted) with a duplicate, its first one
        raise DataError(f"asset {names[codes[row]]}: two daily bars for {_day(days[lcodes[row]], ts)} (several "
                        "sources?); select one source first")
    grid = np.full((len(days), len(names)), np.nan)
    grid[lcodes, codes] = d[field].to_numpy(dtype=float)
    index = pd.DatetimeIndex(days.view(f"M8[{ts.unit}]"), name="date").normalize()  # normalize infers the freq
    return pd.DataFrame(grid, index=index, columns=pd.Index(names))


def _day(i8: int, ts: pd.DatetimeIndex):
    return pd.Timestamp(np.int64(i8).view(f"M8[{ts.unit}]")).date()


def pivot_last(frame: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """``frame.pivot_table(index=index, columns=columns, values=values, aggfunc="last")`` for a float ``values``
    column, without a groupby: each cell the last non-missing value of its rows (in row order); rows without a
    value or a key are left out first, so an index label or column with no value at all is not in the result
    (pandas' ``dropna=True``). Index and columns sorted and named as pandas names them; other dtypes go to
    pandas itself."""
    v = frame[values]
    if not pd.api.types.is_float_dtype(v.dtype):
        return frame.pivot_table(index=index, columns=columns, values=values, aggfunc="last")
    x = v.to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(x) & frame[index].notna().to_numpy() & frame[columns].notna().to_numpy()
    r, rows = pd.factorize(frame[index][ok], sort=True)
    c, cols = pd.factorize(frame[columns][ok], sort=True)
    cell = r.astype(np.int64) * len(cols) + c
    last = len(cell) - 1 - np.unique(cell[::-1], return_index=True)[1]  # each cell's last row
    grid = np.full((len(rows), len(cols)), np.nan)
    grid[r[last], c[last]] = x[ok][last]
    return pd.DataFrame(grid, index=pd.Index(rows, name=index), columns=pd.Index(cols, name=columns))


def pivot_ts(frame: pd.DataFrame, value: str, interval: str | None = None) -> pd.DataFrame:
    """Wide frame indexed by UTC ``ts`` (e.g. hourly closes or market caps), one column per asset; where a
    ``ts`` holds two rows of an asset, the later row's value (:func:`pivot_last`)."""
    f = frame if interval is None or "interval" not in frame else frame[frame["interval"] == interval]
    out = pivot_last(f, "ts", "asset", value)
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
    out = pivot_last(mc, "date", "asset", "market_cap_usd")
    out.columns.name = None
    return out
