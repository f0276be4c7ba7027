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

import warnings
from dataclasses import dataclass, field

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from selloff.errors import DataError
from selloff.analytics.frames import as_utc

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

NYSE = "XNYS"
NY_TZ = "America/New_York"
_CAL_START = "2000-01-01"  # calendar bounds: wide and fixed so exchange_calendars' own cache is reused


# ---------------------------------------------------------------------------------------------- helpers
def _calendar() -> xcals.ExchangeCalendar:
    with warnings.catch_warnings():
        # exchange_calendars 4.x reads Series.values on tz-aware data, which pandas 3.1 deprecates; harmless here
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return xcals.get_calendar(NYSE, start=_CAL_START)


_utc = as_utc


def _day(d: object) -> pd.Timestamp:
    """A naive midnight Timestamp for a date (tz-aware input is taken at its New York date)."""
    out = pd.Timestamp(d)
    if out.tzinfo is not None:
        out = out.tz_convert(NY_TZ).tz_localize(None)
    return out.normalize()


def _check_bounds(start: pd.Timestamp, end: pd.Timestamp) -> xcals.ExchangeCalendar:
    cal = _calendar()
    if start > end:
        raise DataError(f"start {start.date()} is after end {end.date()}; swap them")
    first, last = cal.first_session, cal.last_session
    if start < first or end > last:
        raise DataError(
            f"dates {start.date()}..{end.date()} fall outside the NYSE calendar {first.date()}..{last.date()}"
            f" known to exchange_calendars; narrow the range or upgrade exchange_calendars"
        )
    return cal


def session_dates(index: pd.Index) -> pd.DatetimeIndex:
    """Session date (naive midnight) for each label of an equity index.

    Parameters
    ----------
    index : pd.Index
        Dates, naive timestamps, or tz-aware timestamps (e.g. the session-open ``ts`` of equity daily bars).

    Returns
    -------
    pd.DatetimeIndex
        Naive midnight timestamps; tz-aware labels are converted to New York time first, so a bar opening at
        14:30 UTC maps to its New York session date.
    """
    idx = pd.DatetimeIndex(pd.to_datetime(index))
    if idx.tz is not None:
        idx = idx.tz_convert(NY_TZ).tz_localize(None)
    return idx.normalize()


# --------------------------------------------------------------------------------------------- sessions
def nyse_sessions(start: object, end: object) -> pd.DataFrame:
    """NYSE sessions between two dates (inclusive) with their open and close in UTC.

    Parameters
    ----------
    start, end : date-like
        First and last calendar date (inclusive). Weekends and exchange holidays yield no row.

    Returns
    -------
    pd.DataFrame
        Index ``session`` (naive midnight dates). Columns ``open_ts`` and ``close_ts`` (tz-aware UTC),
        ``early_close`` (bool: close before 16:00 New York, e.g. the day after Thanksgiving).

    Notes
    -----
    Schedule from ``exchange_calendars`` (calendar ``XNYS``), which knows holidays (Good Friday, Juneteenth,
    ...), early closes (13:00 New York) and daylight saving: 16:00 New York is 21:00 UTC in winter and
    20:00 UTC in summer.
    """
    s, e = _day(start), _day(end)
    cal = _check_bounds(s, e)
    sched = cal.schedule.loc[s:e, ["open", "close"]]
    close_ny = sched["close"].dt.tz_convert(NY_TZ)
    out = pd.DataFrame(
        {
            "open_ts": sched["open"].dt.tz_convert("UTC"),
            "close_ts": sched["close"].dt.tz_convert("UTC"),
            "early_close": (close_ny.dt.hour * 60 + close_ny.dt.minute) < 16 * 60,
        },
        index=pd.DatetimeIndex(sched.index, name="session"),
    )
    return out


def equity_close_times(start: object, end: object) -> pd.Series:
    """UTC close time of every NYSE session between ``start`` and ``end`` (inclusive).

    Returns
    -------
    pd.Series
        Index ``session`` (naive dates), values tz-aware UTC close timestamps (early closes respected).
    """
    return nyse_sessions(start, end)["close_ts"].rename("close_ts")


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
        else:
            cr_px = crypto_at_equity_close(crypto, sess, bar_interval=step, max_staleness=max_staleness)
            desc = (f"NYSE session grid: equity close-to-close; crypto sampled at the last {_fmt(step)} bar closing at "
                    f"or before each NYSE close (16:00 New York, early closes respected), compounded over "
                    f"weekends/holidays")
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
    rets = rets.iloc[1:] if len(rets) else rets
    rets.index.name = "session" if how == "equity_close" else "day"
    period_end = period_end.reindex(rets.index).rename("period_end")
    return AlignedReturns(
        returns=rets,
        how=how,
        alignment=f"{desc} ({kind} returns)",
        period_end=period_end,
        kind=kind,
        crypto=tuple(crypto.columns),
        equity=tuple(eq.columns),
    )


# --------------------------------------------------------------------------------------------- windows
@dataclass(frozen=True)
class TimeWindow:
    """A half-open UTC interval ``[start, end)`` with a description.

    Attributes
    ----------
    start, end : pd.Timestamp
        tz-aware UTC bounds; a bar (indexed by open time) is inside when ``start <= ts < end``.
    description : str
        e.g. ``"5 NYSE trading days 2026-02-02..2026-02-06"``.
    sessions : pd.DatetimeIndex or None
        The sessions covered, for trading-day windows.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    description: str
    sessions: pd.DatetimeIndex | None = None

    def select(self, frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        """Rows of a frame indexed by tz-aware UTC bar open times that fall in ``[start, end)``."""
        idx = frame.index
        if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
            raise DataError("TimeWindow.select needs a tz-aware UTC DatetimeIndex (bar open times)")
        return frame[(idx >= self.start) & (idx < self.end)]


def trading_day_window(end_date: object, n: int) -> TimeWindow:
    """The last ``n`` NYSE sessions ending on ``end_date`` (or the last session before it).

    Parameters
    ----------
    end_date : date-like
        Last day of the window; if it is not a session (weekend, holiday) the previous session is used.
    n : int
        Number of sessions (>= 1).

    Returns
    -------
    TimeWindow
        ``start`` = open of the first session, ``end`` = close of the last (UTC), ``sessions`` = the sessions.

    Notes
    -----
    "N trading days" for equities counts sessions, not calendar days: 5 trading days ending on the Monday after
    Good Friday start on the Monday before it.
    """
    if n < 1:
        raise DataError(f"n={n} trading days; pass n >= 1")
    cal = _calendar()
    end = _day(end_date)
    _check_bounds(end, end)
    last = cal.date_to_session(end, direction="previous")
    pos = cal.sessions.get_loc(last)
    if pos - n + 1 < 0:
        raise DataError(f"{n} trading days before {end.date()} reach before the calendar start {_CAL_START}")
    sess = cal.sessions[pos - n + 1: pos + 1]
    sched = cal.schedule.loc[sess]
    return TimeWindow(
        start=sched["open"].iloc[0].tz_convert("UTC"),
        end=sched["close"].iloc[-1].tz_convert("UTC"),
        description=f"{n} NYSE trading days {sess[0].date()}..{sess[-1].date()}",
        sessions=pd.DatetimeIndex(sess, name="session"),
    )


def window_24h(end_ts: object) -> TimeWindow:
    """The 24 hours up to ``end_ts`` (tz-aware): ``[end_ts - 24h, end_ts)``."""
    end = _utc(end_ts, "end_ts")
    return TimeWindow(start=end - pd.Timedelta("24h"), end=end, description=f"24h to {end.isoformat()}")


def calendar_day_window(end_date: object, n: int) -> TimeWindow:
    """``n`` whole UTC calendar days ending with ``end_date`` (inclusive).

    Returns
    -------
    TimeWindow
        ``[00:00 UTC of end_date - n + 1, 00:00 UTC of end_date + 1)``; weekends count (crypto days).
    """
    if n < 1:
        raise DataError(f"n={n} calendar days; pass n >= 1")
    d = pd.Timestamp(end_date)
    d = (d.tz_convert("UTC").tz_localize(None) if d.tzinfo is not None else d).normalize()
    end = (d + pd.Timedelta("1D")).tz_localize("UTC")
    return TimeWindow(start=end - pd.Timedelta(days=n), end=end,
                      description=f"{n} UTC calendar days {(d - pd.Timedelta(days=n - 1)).date()}..{d.date()}")
