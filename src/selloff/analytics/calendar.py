"""Aligning 24/7 crypto with NYSE equity sessions.

Crypto trades around the clock; its daily bar closes at 00:00 UTC. Equities trade NYSE sessions that close at
16:00 America/New_York (13:00 on early-close days), which is 20:00 or 21:00 UTC (17:00/18:00 UTC early). Any
cross-asset statistic has to say on which grid its returns live. This module builds the two grids used in
selloff and says which one a frame is on:

``how="equity_close"``
    One row per NYSE session, labelled by the session date. Crypto prices are sampled at (just before) each
    session's close from hourly bars; a crypto return from one session close to the next therefore compounds
    over weekends and holidays, so a Saturday crash shows up in Monday's row, nothing is lost.
``how="utc_day"``
    One row per UTC calendar day, labelled by the day; the row covers 00:00 UTC of the day to 00:00 UTC of the
    next day. Equity returns exist only on sessions (they are NaN on weekends and holidays; an equity return on
    a session runs from the previous session's close, so it spans the closed days before it).

Every row label marks the *end* of its return period: the return labelled ``d`` ends at ``period_end[d]``
(session close, or 00:00 UTC of ``d + 1``). Event studies use ``period_end`` to place an announcement in the
first period that ends after it.

Timestamps are tz-aware UTC; bar frames are indexed by bar **open** time (see docs/CONVENTIONS.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selloff.errors import DataError
from selloff.texts import Text
from selloff.calendar import (NY_TZ, NYSE, TimeWindow, calendar_day_window, equity_close_times, nyse_sessions,
                              session_dates, trading_day_window, window_24h)
__all__ = [
    "AlignedReturns",
    "TimeWindow",
    "align_returns",
    "calendar_day_window",
    "crypto_at_equity_close",
    "equity_close_times",
    "nyse_sessions",
    "session_dates",
    "trading_day_window",
    "window_24h",
]


# ------------------------------------------------------------------------------------ crypto sampling
def crypto_at_equity_close(
    hourly_close_wide: pd.DataFrame,
    sessions: pd.DataFrame | pd.Series,
    bar_interval: str | pd.Timedelta = "1h",
    max_staleness: str | pd.Timedelta | None = "3h",
) -> pd.DataFrame:
    """Crypto price at (or just before) each equity session close, from intraday bars.

    Parameters
    ----------
    hourly_close_wide : pd.DataFrame
        Index = bar **open** time (tz-aware UTC), columns = crypto asset ids, values = bar close prices.
    sessions : pd.DataFrame or pd.Series
        Output of :func:`nyse_sessions` (uses ``close_ts``) or of :func:`equity_close_times`.
    bar_interval : str or Timedelta, default "1h"
        Bar length; a bar's close time is its open time plus this.
    max_staleness : str, Timedelta or None, default "3h"
        If the last bar closing at or before the equity close closed more than this earlier (a data gap),
        the value is NaN instead of a stale price. ``None`` disables the check.

    Returns
    -------
    pd.DataFrame
        Index ``session`` (dates), columns as the input, values = close of the last bar whose close time is
        ``<= close_ts`` of the session.

    Notes
    -----
    No look-ahead: a bar that closes after the equity close is never used. NYSE closes fall on full UTC hours,
    so with hourly bars the sampled bar closes exactly at the equity close. Missing values inside a column are
    not filled across (each column uses its own last valid bar).
    """
    closes = sessions["close_ts"] if isinstance(sessions, pd.DataFrame) else sessions
    if not isinstance(hourly_close_wide.index, pd.DatetimeIndex) or hourly_close_wide.index.tz is None:
        raise DataError("hourly_close_wide must have a tz-aware UTC DatetimeIndex of bar open times; "
                        "build it with selloff.analytics.frames.pivot_close")
    step = pd.Timedelta(bar_interval)
    frame = hourly_close_wide.sort_index()
    bar_close = frame.index.tz_convert("UTC") + step
    target = pd.DatetimeIndex(closes.to_numpy()).tz_convert("UTC") if len(closes) else pd.DatetimeIndex([], tz="UTC")
    out = {}
    for col in frame.columns:
        s = frame[col]
        ok = s.notna().to_numpy()
        t_valid = bar_close[ok]
        v_valid = s.to_numpy()[ok]
        pos = t_valid.searchsorted(target, side="right") - 1  # last bar with close <= target
        vals = np.full(len(target), np.nan)
        hit = pos >= 0
        vals[hit] = v_valid[pos[hit]]
        if max_staleness is not None and hit.any():
            age = np.full(len(target), np.timedelta64("NaT"), dtype="timedelta64[ns]")
            age[hit] = (target[hit] - t_valid[pos[hit]]).to_numpy()
            stale = hit & (age > pd.Timedelta(max_staleness).to_timedelta64())
            vals[stale] = np.nan
        out[col] = vals
    return pd.DataFrame(out, index=pd.DatetimeIndex(closes.index, name="session"), columns=frame.columns)


def _infer_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    if len(index) < 2:
        raise DataError("need at least two crypto bars to infer their interval; pass crypto_interval explicitly")
    return pd.Series(index.sort_values()).diff().median()


# ------------------------------------------------------------------------------------------ alignment
@dataclass(frozen=True)
class AlignedReturns:
    """Crypto and equity returns on one common grid.

    Attributes
    ----------
    returns : pd.DataFrame
        Wide frame: index = period label (naive date), columns = asset ids, values = returns.
    how : str
        ``"equity_close"`` or ``"utc_day"``.
    alignment : str
        One sentence saying how the rows were built; quote it with any cross-asset result.
    period_end : pd.Series
        UTC time at which each row's return period ends (same index as ``returns``).
    kind : str
        ``"log"`` or ``"simple"``.
    crypto : tuple of str
        Columns that came from the crypto frame.
    equity : tuple of str
        Columns that came from the equity frame.
    """

    returns: pd.DataFrame
    how: str
    alignment: str
    period_end: pd.Series
    kind: str
    crypto: tuple[str, ...] = field(default=())
    equity: tuple[str, ...] = field(default=())


def _fmt(step: pd.Timedelta) -> str:
    secs = int(step.total_seconds())
    return f"{secs // 3600}h" if secs % 3600 == 0 else f"{secs // 60}min"


def _to_returns(prices: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "log":
        return np.log(prices).diff()
    return prices.pct_change(fill_method=None)


def align_returns(
    crypto_close: pd.DataFrame,
    equity_close_daily: pd.DataFrame,
    how: str = "equity_close",
    kind: str = "log",
    crypto_interval: str | pd.Timedelta | None = None,
    max_staleness: str | pd.Timedelta | None = "3h",
) -> AlignedReturns:
    """Put crypto and equity returns on one grid (NYSE sessions or UTC days).

    Parameters
    ----------
    crypto_close : pd.DataFrame
        Crypto close prices, index = bar open time (tz-aware UTC), hourly (or finer) or daily bars.
    equity_close_daily : pd.DataFrame
        Equity daily closes; index = session dates, or tz-aware session-open timestamps of daily bars.
    how : {"equity_close", "utc_day"}
        Grid (see the module docstring).
    kind : {"log", "simple"}
        Return definition. Log returns add up over periods, so weekend compounding is a plain sum.
    crypto_interval : str or Timedelta, optional
        Crypto bar length; inferred from the median index spacing when omitted.
    max_staleness : str, Timedelta or None, default "3h"
        Passed to :func:`crypto_at_equity_close` (intraday crypto on the session grid only).

    Returns
    -------
    AlignedReturns
        Returns frame (crypto columns first), ``alignment`` description and ``period_end`` times.

    Notes
    -----
    ``equity_close``: crypto price at each session close = close of the last bar closing at or before it
    (hourly bars). With *daily* crypto bars no price at 16:00 New York exists; the UTC-day close following the
    session (00:00 UTC next day, 3–4 h after the NYSE close, 6–7 h on early closes) is used and the
    ``alignment`` string says so. Crypto returns are computed between consecutive session closes, so they
    compound over weekends and holidays.

    ``utc_day``: crypto daily close = last bar closing at or before 00:00 UTC of the next day (per column, the
    last non-missing bar of the day; intraday days whose final bar does not close at midnight are dropped);
    equity returns sit on the UTC date of their session close (always the session's own date) and are NaN on
    other days.
    """
    if how not in ("equity_close", "utc_day"):
        raise DataError(f"how={how!r} is not a known alignment; use 'equity_close' or 'utc_day'")
    if kind not in ("log", "simple"):
        raise DataError(f"kind={kind!r} is not a return kind; use 'log' or 'simple'")
    if not isinstance(crypto_close.index, pd.DatetimeIndex) or crypto_close.index.tz is None:
        raise DataError("crypto_close must be indexed by tz-aware UTC bar open times")
    overlap = set(crypto_close.columns) & set(equity_close_daily.columns)
    if overlap:
        raise DataError(f"columns {sorted(overlap)} appear in both the crypto and the equity frame; rename one")
    crypto = crypto_close.sort_index()
    step = pd.Timedelta(crypto_interval) if crypto_interval is not None else _infer_step(crypto.index)
    daily_crypto = step >= pd.Timedelta("1D")

    eq = equity_close_daily.copy()
    eq.index = session_dates(eq.index)
    eq = eq[~eq.index.duplicated(keep="last")].sort_index()
    if eq.empty:
        raise DataError("equity_close_daily is empty; nothing to align")

    if how == "equity_close":
        sess = nyse_sessions(eq.index.min(), eq.index.max())
        not_sessions = eq.index.difference(sess.index)
        if len(not_sessions):
            raise DataError(f"equity rows on non-NYSE-session dates {[str(d.date()) for d in not_sessions[:3]]}; "
                            f"drop them or check the time zone of the equity index")
        eq_px = eq.reindex(sess.index)
        if daily_crypto:
            # daily bar open d closes at d+1 00:00 UTC: take the UTC day of the session's date
            c = crypto.copy()
            c.index = c.index.tz_convert("UTC").tz_localize(None).normalize()
            cr_px = c.reindex(sess.index)
            desc = ("NYSE session grid: equity close-to-close; crypto from daily bars at the 00:00 UTC close that "
                    "follows each session (3-4 h after the NYSE close), compounded over weekends/holidays")
            code, bar = "grid_session_daily", ""
        else:
            cr_px = crypto_at_equity_close(crypto, sess, bar_interval=step, max_staleness=max_staleness)
            desc = (f"NYSE session grid: equity close-to-close; crypto sampled at the last {_fmt(step)} bar closing at "
                    f"or before each NYSE close (16:00 New York, early closes respected), compounded over "
                    f"weekends/holidays")
            code, bar = "grid_session_intraday", _fmt(step)
        period_end = sess["close_ts"]
        prices = pd.concat([cr_px, eq_px], axis=1)
        rets = _to_returns(prices, kind)
    else:
        c = crypto.copy()
        close_ts = c.index.tz_convert("UTC") + step
        # a bar belongs to the UTC day in which it closes, except a close exactly at 00:00 -> previous day
        c.index = (close_ts - pd.Timedelta(1, "ns")).tz_localize(None).normalize()
        cr_px = c.groupby(level=0).last()  # last bar close per UTC day; NaNs skipped per column
        if not daily_crypto:
            last_close = pd.Series(close_ts, index=c.index).groupby(level=0).max()
            complete = last_close == (last_close.index + pd.Timedelta("1D")).tz_localize("UTC")
            cr_px = cr_px[complete.reindex(cr_px.index).to_numpy()]
        days = pd.date_range(min(cr_px.index.min(), eq.index.min()), max(cr_px.index.max(), eq.index.max()),
                             freq="D", name="day")
        cr_ret = _to_returns(cr_px.reindex(days), kind)
        eq_ret = _to_returns(eq, kind).reindex(days)  # session-to-session, NaN on closed days
        rets = pd.concat([cr_ret, eq_ret], axis=1)
        period_end = pd.Series((days + pd.Timedelta("1D")).tz_localize("UTC"), index=days, name="period_end")
        desc = ("UTC-day grid: crypto close-to-close at 00:00 UTC; equity session close-to-close on the session's "
                "date, NaN on weekends/holidays")
        code, bar = "grid_utc_day", ""
    rets = rets.iloc[1:] if len(rets) else rets
    rets.index.name = "session" if how == "equity_close" else "day"
    period_end = period_end.reindex(rets.index).rename("period_end")
    return AlignedReturns(
        returns=rets,
        how=how,
        alignment=Text(code, f"{desc} ({kind} returns)", bar=bar, kind=kind),
        period_end=period_end,
        kind=kind,
        crypto=tuple(crypto.columns),
        equity=tuple(eq.columns),
    )
