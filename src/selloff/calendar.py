"""NYSE sessions and time windows: the equity calendar, usable by every layer (sources, simulate, analytics).

Schedules come from ``exchange_calendars`` (calendar ``XNYS``): holidays, early closes (13:00 New York) and
daylight saving (16:00 New York is 21:00 UTC in winter, 20:00 UTC in summer). Session labels are naive midnight
dates; open and close times are tz-aware UTC. Windows are half-open UTC intervals ``[start, end)``.

Building the calendar (importing ``exchange_calendars`` and computing its schedule) takes about 0.5 s, in every
process that needs a session. The schedule it gives (every session's open and close) is therefore kept in the
user cache dir (``[compute] keep_results``; :mod:`selloff.diskcache`), one entry per library version that records
the UTC day it was built on, so a new process reads it back (a few ms) instead; the next day, or another version,
builds it anew.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from selloff.errors import DataError
from selloff.timeutil import require_utc

if TYPE_CHECKING:
    import exchange_calendars as xcals

__all__ = [
    "NY_TZ",
    "NYSE",
    "TimeWindow",
    "calendar_day_window",
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
    import exchange_calendars as xcals  # on use: see the module docstring

    with warnings.catch_warnings():
        # exchange_calendars 4.x reads Series.values on tz-aware data, which pandas 3.1 deprecates; harmless here
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return xcals.get_calendar(NYSE, start=_CAL_START)


def _schedule_key() -> str | None:
    """Under what the schedule is kept: the calendar, its start and the library's version (one entry each, replaced
    when it was built on another UTC day: see :func:`_schedule`); None when the version cannot be read."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("exchange_calendars")
    except PackageNotFoundError:
        return None
    return f"nyse-schedule|{NYSE}|{_CAL_START}|exchange_calendars {v}"


def _schedule() -> pd.DataFrame:
    """Every session (index: naive midnight dates) with its ``open`` and ``close`` (tz-aware UTC), as
    ``exchange_calendars`` gives them; kept between processes (module docstring), the same values either way; read
    once per process, by :func:`_all_sessions`. The
    entry records the UTC day it was built on, since the calendar ends a year after that day: an entry of another
    day is built anew and written over (one entry per library version, not one a day)."""
    from selloff.config import defaults, user_cache_dir
    from selloff.diskcache import result_cache

    today = str(pd.Timestamp.now("UTC").date())
    key = _schedule_key() if defaults("compute")["keep_results"] else None
    cache = result_cache(user_cache_dir() / "results") if key else None
    kept = cache.get(key) if cache is not None else None
    if kept is not None and kept.get("day") == today:
        try:
            return _schedule_frame(kept)
        except (KeyError, TypeError, ValueError, OverflowError):  # another shape under the same key: build anew
            pass
    sched = _calendar().schedule
    made = {"day": today, "session": _ns(sched.index).tolist(), "open": _ns(sched["open"]).tolist(),
            "close": _ns(sched["close"]).tolist()}
    if cache is not None:
        cache[key] = made
    return _schedule_frame(made)  # the frame a later process reads back, built the same way


def _ns(v) -> np.ndarray:
    """int64 nanoseconds (UTC for aware values) of a datetime index or column."""
    return pd.DatetimeIndex(v).as_unit("ns").asi8


def _schedule_frame(kept: dict) -> pd.DataFrame:
    """The schedule from its kept form (three equal-length lists of int64 nanoseconds)."""
    sessions, opens, closes = (np.asarray(kept[c], dtype=np.int64) for c in ("session", "open", "close"))
    if not len(sessions) == len(opens) == len(closes) > 0:
        raise ValueError("kept schedule of unequal or zero length")
    return pd.DataFrame({"open": pd.DatetimeIndex(opens.view("M8[ns]")).tz_localize("UTC"),
                         "close": pd.DatetimeIndex(closes.view("M8[ns]")).tz_localize("UTC")},
                        index=pd.DatetimeIndex(sessions.view("M8[ns]"), name="session"))


def _day(d: object) -> pd.Timestamp:
    """A naive midnight Timestamp for a date (tz-aware input is taken at its New York date)."""
    out = pd.Timestamp(d)
    if out.tzinfo is not None:
        out = out.tz_convert(NY_TZ).tz_localize(None)
    return out.normalize()


def _check_bounds(start: pd.Timestamp, end: pd.Timestamp) -> None:
    if start > end:
        raise DataError(f"start {start.date()} is after end {end.date()}; swap them")
    first, last = _all_sessions().index[0], _all_sessions().index[-1]
    if start < first or end > last:
        raise DataError(
            f"dates {start.date()}..{end.date()} fall outside the NYSE calendar {first.date()}..{last.date()}"
            f" known to exchange_calendars; narrow the range or upgrade exchange_calendars"
        )


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
    _check_bounds(s, e)
    return _all_sessions().loc[s:e].copy()


@lru_cache(maxsize=1)
def _all_sessions() -> pd.DataFrame:
    """Every session of the calendar with UTC open/close (computed once per process from :func:`_schedule`; every
    public function here reads it)."""
    sched = _schedule()
    close_ny = sched["close"].dt.tz_convert(NY_TZ)
    return pd.DataFrame(
        {
            "open_ts": sched["open"],
            "close_ts": sched["close"],
            "early_close": (close_ny.dt.hour * 60 + close_ny.dt.minute) < 16 * 60,
        },
        index=sched.index,
    )


def equity_close_times(start: object, end: object) -> pd.Series:
    """UTC close time of every NYSE session between ``start`` and ``end`` (inclusive).

    Returns
    -------
    pd.Series
        Index ``session`` (naive dates), values tz-aware UTC close timestamps (early closes respected).
    """
    return nyse_sessions(start, end)["close_ts"].rename("close_ts")


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
    sched = _all_sessions()
    end = _day(end_date)
    _check_bounds(end, end)
    pos = int(sched.index.searchsorted(end, side="right")) - 1  # the session on end_date, or the last before it
    if pos - n + 1 < 0:
        raise DataError(f"{n} trading days before {end.date()} reach before the calendar start {_CAL_START}")
    sess = sched.index[pos - n + 1: pos + 1]
    return TimeWindow(
        start=sched["open_ts"].iloc[pos - n + 1],
        end=sched["close_ts"].iloc[pos],
        description=f"{n} NYSE trading days {sess[0].date()}..{sess[-1].date()}",
        sessions=pd.DatetimeIndex(sess, name="session"),
    )


def window_24h(end_ts: object) -> TimeWindow:
    """The 24 hours up to ``end_ts`` (tz-aware): ``[end_ts - 24h, end_ts)``."""
    end = require_utc(end_ts, "end_ts")
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
