"""Pure measurements the claim checker needs (the named readings of one day; the forensic catalogue of every
standard window lives in :mod:`selloff.analytics.measures.windows`): an asset's move or level over a window under several readings,
a sector's market-cap change, and a liquidation total.

Frames in, numbers out: every function takes long frames as stored (see ``docs/CONVENTIONS.md``) for **one
source** — the caller chooses the source and drops simulated rows — and returns a frozen :class:`Reading`
(or a small results dataclass) that says what was measured, over which UTC interval, from which prices.
A value that cannot be measured is ``None`` with a ``reason``; nothing is ever filled in or guessed.

Readings of "how much did X fall on day D" (they differ, and news rarely says which one it means):

``utc_day``
    Close-to-close over the UTC calendar day: price at 00:00 UTC of ``D + 1`` over price at 00:00 UTC of ``D``
    (crypto daily bars open and close at 00:00 UTC). For equities: the close of session ``D`` over the close of
    the previous session.
``rolling_24h``
    Price at ``end_ts`` over the price 24 hours earlier (needs intraday bars).
``intraday_low``
    Previous close to the lowest low of day ``D`` (UTC day for crypto, session ``D`` for equities).
``trading_days``
    Equities: close of the last session on or before ``D`` over the close ``n`` sessions earlier (NYSE sessions
    from ``exchange_calendars``; weekends and holidays do not count).
``calendar_days``
    Crypto: price at 00:00 UTC of ``D + 1`` over price at 00:00 UTC of ``D - n + 1``.

Simple returns in per cent: ``100 * (p1 / p0 - 1)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selloff.analytics.calendar import nyse_sessions, session_dates, trading_day_window
from selloff.errors import DataError
from selloff.timeutil import require_utc, utc_day
from selloff.analytics.liquidations import LiquidationTotal, liquidation_total

__all__ = [
    "LiquidationTotal",
    "Reading",
    "SectorCapChange",
    "calendar_days_change",
    "close_to_close_day",
    "intraday_low_change",
    "level_at",
    "liquidation_total",
    "pct_change",
    "rolling_24h_change",
    "sector_cap_change",
    "trading_days_change",
    "SESSION_CONVENTIONS",
    "DEFAULT_STALENESS",
    "crypto_points",
    "equity_sessions",
    "missing_reading",
    "one_source",
    "price_at",
    "snapshot_change",
]

_STEP = {"1m": "1min", "5m": "5min", "15m": "15min", "1h": "1h", "4h": "4h", "1d": "1D"}
DEFAULT_STALENESS = pd.Timedelta("1h")
"""A price "at" time t is the close of the last bar closing at or before t, at most this much earlier."""


@dataclass(frozen=True)
class Reading:
    """One measurement of a claim's quantity.

    Attributes
    ----------
    name : str
        Reading id, e.g. ``"utc_day"``, ``"utc_day_prev"``, ``"rolling_24h"``, ``"intraday_low"``,
        ``"trading_days_5"``, ``"close"``.
    value : float or None
        Per cent change (``unit="pct"``) or a level in USD; ``None`` when it cannot be measured.
    unit : str
        ``"pct"`` or ``"USD"``.
    start, end : pd.Timestamp or None
        UTC times of the two prices compared (for a level, ``end`` is the time of the price).
    description : str
        One line: window and measure, e.g. ``"close-to-close UTC day 2026-02-06 (00:00→00:00 UTC)"``.
    p0, p1 : float or None
        The prices (or caps) compared.
    reason : str or None
        Why ``value`` is ``None``.
    source : str or None
        Data source of the prices.
    coverage : str or None
        ``None`` when the reading covers everything it sums or counts; otherwise what is missing
        (e.g. ``"partial: 5 of 13 members, missing ICP, RENDER, ..."``) — such a value is a bound, not a value.
    key : str or None
        The window in source-independent terms (``"1d:D"``, ``"7d:D-1"``, ``"5c:D-1"``, ...) so that readings of
        the same window from different price series (daily bars, provider snapshots) can be compared; see
        :mod:`selloff.analytics.measures.windows`.
    """

    name: str
    value: float | None
    unit: str
    description: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    p0: float | None = None
    p1: float | None = None
    reason: str | None = None
    source: str | None = None
    coverage: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class SectorCapChange:
    """Change of a sector's total market cap, summed over the members with data at both ends.

    ``change_pct`` is ``100 * (sum(cap_end) / sum(cap_start) - 1)`` over ``members_used``; ``missing`` lists
    members without a snapshot at one of the ends (their caps are not in either sum). ``member_change_pct``
    holds each used member's own change, so a caller can apply the bound *a cap-weighted sum cannot fall
    more than its worst member*.
    """

    change_pct: float | None
    start_usd: float | None
    end_usd: float | None
    start: pd.Timestamp
    end: pd.Timestamp
    members_used: tuple[str, ...]
    missing: tuple[str, ...]
    member_change_pct: dict[str, float] = field(default_factory=dict)
    member_start_usd: dict[str, float] = field(default_factory=dict)

    @property
    def worst_member(self) -> tuple[str, float] | None:
        if not self.member_change_pct:
            return None
        a = min(self.member_change_pct, key=self.member_change_pct.__getitem__)
        return a, self.member_change_pct[a]


# ------------------------------------------------------------------------------------------- helpers
def pct_change(p0: float | None, p1: float | None) -> float | None:
    """Simple return in per cent, ``None`` if either price is missing or ``p0 <= 0``."""
    if p0 is None or p1 is None or not np.isfinite(p0) or not np.isfinite(p1) or p0 <= 0:
        return None
    return 100.0 * (p1 / p0 - 1.0)




def one_source(frame: pd.DataFrame, what: str) -> str | None:
    if frame.empty or "source" not in frame.columns:
        return None
    srcs = frame["source"].dropna().unique()
    if len(srcs) > 1:
        raise DataError(f"{what}: rows from several sources {sorted(srcs)}; pass one source at a time")
    return str(srcs[0]) if len(srcs) else None


def crypto_points(bars: pd.DataFrame) -> pd.DataFrame:
    """Bars of one asset as points: ``close_ts`` (open + interval), close, low, open ts, interval; sorted."""
    if bars.empty:
        return pd.DataFrame(columns=["ts", "close_ts", "close", "low", "interval", "step"])
    b = bars.copy()
    unknown = set(b["interval"]) - set(_STEP)
    if unknown:
        raise DataError(f"bars with unknown interval(s) {sorted(unknown)}; known: {', '.join(_STEP)}")
    b["step"] = b["interval"].map(lambda i: pd.Timedelta(_STEP[i]))
    b["ts"] = pd.to_datetime(b["ts"], utc=True)
    b["close_ts"] = b["ts"] + b["step"]
    if "low" not in b.columns:
        b["low"] = np.nan
    return b.sort_values(["close_ts", "step"])


def price_at(points: pd.DataFrame, t: pd.Timestamp, staleness: pd.Timedelta) -> tuple[float | None, pd.Timestamp | None]:
    ok = points[(points["close_ts"] <= t) & (points["close_ts"] > t - staleness - pd.Timedelta(1, "ns"))
                & points["close"].notna()]
    if ok.empty:
        return None, None
    row = ok.iloc[-1]
    return float(row["close"]), row["close_ts"]


def equity_sessions(bars: pd.DataFrame) -> pd.DataFrame:
    """Daily equity bars of one asset indexed by session date (naive): close, low, close_ts, high, open_ts (UTC)."""
    d = bars[bars["interval"] == "1d"] if "interval" in bars.columns else bars
    if d.empty:
        return pd.DataFrame(columns=["close", "low", "close_ts", "high", "open_ts"])
    d = d.copy()
    d["open_ts"] = pd.to_datetime(d["ts"], utc=True)
    d.index = session_dates(d["open_ts"])
    d = d[~d.index.duplicated(keep="last")].sort_index()
    sess = nyse_sessions(d.index.min(), d.index.max())
    d = d[d.index.isin(sess.index)]
    d["close_ts"] = sess["close_ts"].reindex(d.index)
    for c in ("low", "high"):
        if c not in d.columns:
            d[c] = np.nan
    return d[["close", "low", "close_ts", "high", "open_ts"]]


def missing_reading(name: str, unit: str, desc: str, reason: str, source: str | None, start=None, end=None) -> Reading:
    return Reading(name=name, value=None, unit=unit, description=desc, start=start, end=end, reason=reason,
                   source=source)


# --------------------------------------------------------------------------------------------- moves
def close_to_close_day(bars: pd.DataFrame, day: object, *, equity: bool = False, name: str = "utc_day",
                       staleness: pd.Timedelta = DEFAULT_STALENESS) -> Reading:
    """Close-to-close change over one day (UTC day for crypto, NYSE session for equities).

    Parameters
    ----------
    bars : pd.DataFrame
        Long bars of one asset and one source (any intervals; crypto uses whichever bar closes at the day
        boundary, equities their ``1d`` session bars).
    day : date-like
        The day ``D``.
    equity : bool
        Use NYSE sessions (close of session ``D`` over the previous session's close).

    Notes
    -----
    Crypto: ``100 * (P(D+1 00:00 UTC) / P(D 00:00 UTC) - 1)`` where ``P(t)`` is the close of the last bar
    closing at or before ``t`` and no more than ``staleness`` earlier.
    """
    d = utc_day(day)
    src = one_source(bars, "close_to_close_day")
    if equity:
        desc = f"close-to-close NYSE session {d.date()} (previous session close → session close)"
        s = equity_sessions(bars)
        if d not in s.index:
            why = "not an NYSE session" if nyse_sessions(d, d).empty else "no daily bar for this session"
            return missing_reading(name, "pct", desc, f"{d.date()}: {why}", src)
        pos = s.index.get_loc(d)
        prev_sessions = nyse_sessions(d - pd.Timedelta(days=10), d).index
        prev = prev_sessions[-2] if len(prev_sessions) >= 2 else None
        if prev is None or prev not in s.index:
            return missing_reading(name, "pct", desc, f"no daily bar for the session before {d.date()}", src)
        p0, p1 = float(s.loc[prev, "close"]), float(s["close"].iloc[pos])
        return Reading(name, pct_change(p0, p1), "pct", desc, s.loc[prev, "close_ts"], s["close_ts"].iloc[pos],
                       p0, p1, source=src)
    t0 = d.tz_localize("UTC")
    t1 = t0 + pd.Timedelta("1D")
    desc = f"close-to-close UTC day {d.date()} (00:00→24:00 UTC)"
    pts = crypto_points(bars)
    p0, _ = price_at(pts, t0, staleness)
    p1, _ = price_at(pts, t1, staleness)
    if p0 is None or p1 is None:
        miss = [str(t.isoformat()) for t, p in ((t0, p0), (t1, p1)) if p is None]
        return missing_reading(name, "pct", desc, f"no bar closing at {', '.join(miss)}", src, t0, t1)
    return Reading(name, pct_change(p0, p1), "pct", desc, t0, t1, p0, p1, source=src)


def snapshot_change(snapshots: pd.DataFrame, day: object, *, name: str = "snapshot_24h",
                    max_gap: pd.Timedelta = pd.Timedelta("30h")) -> Reading:
    """Change between the provider's snapshot on ``day`` and the previous one (CoinGecko daily snapshots are
    taken in the morning UTC, so this is roughly the 24 h to that morning — not a UTC-day close).

    ``snapshots`` are bars with interval ``snapshot`` (close = price at ``ts``) of one asset and one source.
    Snapshots more than ``max_gap`` apart are not compared.
    """
    d = utc_day(day)
    src = one_source(snapshots, "snapshot_change")
    desc = f"provider snapshot to snapshot, ending on {d.date()}"
    if snapshots.empty:
        return missing_reading(name, "pct", desc, "no provider snapshots", src)
    s = snapshots.assign(ts=pd.to_datetime(snapshots["ts"], utc=True)).sort_values("ts")
    on = s[s["ts"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize() == d]
    if on.empty:
        return missing_reading(name, "pct", desc, f"no snapshot on {d.date()}", src)
    t1 = on["ts"].iloc[-1]
    before = s[s["ts"] < t1]
    if before.empty or t1 - before["ts"].iloc[-1] > max_gap:
        return missing_reading(name, "pct", desc, f"no snapshot within {max_gap} before {t1.isoformat()}", src)
    t0 = before["ts"].iloc[-1]
    p0, p1 = float(before["close"].iloc[-1]), float(on["close"].iloc[-1])
    desc = f"provider snapshot to snapshot {t0:%Y-%m-%d %H:%M}→{t1:%Y-%m-%d %H:%M} UTC"
    return Reading(name, pct_change(p0, p1), "pct", desc, t0, t1, p0, p1, source=src)


def rolling_24h_change(bars: pd.DataFrame, end_ts: object, *, name: str = "rolling_24h",
                       staleness: pd.Timedelta = DEFAULT_STALENESS) -> Reading:
    """Change over the 24 hours ending at ``end_ts``: ``100 * (P(end) / P(end - 24h) - 1)``.

    Needs bars that close near both ends (hourly or finer); daily bars only serve when ``end_ts`` is 00:00 UTC.
    """
    t1 = require_utc(end_ts, "end_ts")
    t0 = t1 - pd.Timedelta("24h")
    src = one_source(bars, "rolling_24h_change")
    desc = f"rolling 24 h {t0:%Y-%m-%d %H:%M}→{t1:%Y-%m-%d %H:%M} UTC"
    pts = crypto_points(bars)
    p0, c0 = price_at(pts, t0, staleness)
    p1, c1 = price_at(pts, t1, staleness)
    if p0 is None or p1 is None:
        return missing_reading(name, "pct", desc, "no intraday bar closing within "
                        f"{staleness} before {t0.isoformat() if p0 is None else t1.isoformat()}", src, t0, t1)
    return Reading(name, pct_change(p0, p1), "pct", desc, c0, c1, p0, p1, source=src)


def intraday_low_change(bars: pd.DataFrame, day: object, *, equity: bool = False, name: str = "intraday_low",
                        staleness: pd.Timedelta = DEFAULT_STALENESS) -> Reading:
    """Previous close → lowest low of day ``D``: ``100 * (min low in D / previous close - 1)``.

    Crypto: the previous close is ``P(D 00:00 UTC)``, the low the minimum ``low`` of the bars opening in
    ``[D, D+1)`` (a daily bar's low, or the finest intraday bars). Equities: session ``D``'s low over the
    previous session's close.
    """
    d = utc_day(day)
    src = one_source(bars, "intraday_low_change")
    if equity:
        desc = f"previous close → intraday low of NYSE session {d.date()}"
        s = equity_sessions(bars)
        prev_sessions = nyse_sessions(d - pd.Timedelta(days=10), d).index
        if d not in s.index or len(prev_sessions) < 2 or prev_sessions[-2] not in s.index:
            return missing_reading(name, "pct", desc, f"no daily bars for session {d.date()} and the one before", src)
        low = s.loc[d, "low"]
        if pd.isna(low):
            return missing_reading(name, "pct", desc, f"session {d.date()} bar has no low", src)
        p0 = float(s.loc[prev_sessions[-2], "close"])
        return Reading(name, pct_change(p0, float(low)), "pct", desc, s.loc[prev_sessions[-2], "close_ts"],
                       s.loc[d, "close_ts"], p0, float(low), source=src)
    t0 = d.tz_localize("UTC")
    t1 = t0 + pd.Timedelta("1D")
    desc = f"previous close → intraday low of UTC day {d.date()}"
    pts = crypto_points(bars)
    p0, _ = price_at(pts, t0, staleness)
    inside = pts[(pts["ts"] >= t0) & (pts["close_ts"] <= t1) & pts["low"].notna()]
    if p0 is None or inside.empty:
        return missing_reading(name, "pct", desc, f"no close at {t0.isoformat()} or no bars with a low in the day", src,
                        t0, t1)
    finest = inside[inside["step"] == inside["step"].min()]
    low = float(finest["low"].min())
    return Reading(name, pct_change(p0, low), "pct", desc, t0, t1, p0, low, source=src)


SESSION_CONVENTIONS = {
    "full_sessions": "N full sessions: close of the session N sessions before the end → close of the end session",
    "chart": "N-day chart: close of the first of the N sessions shown → close of the last (N - 1 returns)",
}
"""The two ways newsrooms and charting tools count "N days" of an equity: :func:`trading_days_change`."""


def trading_days_change(bars: pd.DataFrame, end_date: object, n: int, *, name: str | None = None,
                        convention: str = "full_sessions", sessions: pd.DataFrame | None = None) -> Reading:
    """Equity change over ``n`` NYSE sessions ending on ``end_date`` (or the last session before it).

    Parameters
    ----------
    bars : pd.DataFrame
        Long ``1d`` bars of one equity and one source.
    end_date : date-like
        Last day of the window; a weekend or holiday means the session before it.
    n : int
        Number of sessions (>= 1).
    convention : {"full_sessions", "chart"}
        See :data:`SESSION_CONVENTIONS`.
    sessions : pd.DataFrame, optional
        ``equity_sessions(bars)`` when the caller already has it (several windows of one equity).

    Notes
    -----
    ``full_sessions``: ``100 * (close(s_n) / close(s_0) - 1)`` with ``s_n`` the last session on or before
    ``end_date`` and ``s_0`` the session ``n`` sessions earlier (``n`` returns, ``n + 1`` closes) — e.g. the 5
    sessions to Thu 5 Feb 2026 run from the close of Thu 29 Jan. ``chart``: a "5-day chart" shows 5 closes, so
    ``s_0`` is ``n - 1`` sessions earlier (Fri 30 Jan for the same end). Sessions come from the NYSE calendar
    (``exchange_calendars``), never from counting rows, so a missing bar is reported, not skipped.
    """
    if convention not in SESSION_CONVENTIONS:
        raise DataError(f"convention {convention!r} is not known; use one of {', '.join(SESSION_CONVENTIONS)}")
    name = name or (f"trading_days_{n}" if convention == "full_sessions" else f"chart_days_{n}")
    src = one_source(bars, "trading_days_change")
    win = trading_day_window(end_date, n + 1 if convention == "full_sessions" else max(n, 2))
    sess = win.sessions
    label = "NYSE trading days" if convention == "full_sessions" else "NYSE sessions (n-day chart)"
    desc = f"{n} {label}: close {sess[0].date()} → close {sess[-1].date()}"
    s = equity_sessions(bars) if sessions is None else sessions
    miss = [str(x.date()) for x in (sess[0], sess[-1]) if x not in s.index]
    if miss:
        return missing_reading(name, "pct", desc, f"no daily bar for session(s) {', '.join(miss)}", src)
    p0, p1 = float(s.loc[sess[0], "close"]), float(s.loc[sess[-1], "close"])
    return Reading(name, pct_change(p0, p1), "pct", desc, s.loc[sess[0], "close_ts"], s.loc[sess[-1], "close_ts"],
                   p0, p1, source=src)


def calendar_days_change(bars: pd.DataFrame, end_date: object, n: int, *, name: str | None = None,
                         staleness: pd.Timedelta = DEFAULT_STALENESS) -> Reading:
    """Crypto change over ``n`` whole UTC days ending with ``end_date``: ``P(D+1 00:00) / P(D-n+1 00:00) - 1``."""
    name = name or f"calendar_days_{n}"
    d = utc_day(end_date)
    t1 = (d + pd.Timedelta("1D")).tz_localize("UTC")
    t0 = t1 - pd.Timedelta(days=n)
    src = one_source(bars, "calendar_days_change")
    desc = f"{n} UTC days {t0.date()}..{d.date()} (00:00 UTC → 00:00 UTC)"
    pts = crypto_points(bars)
    p0, _ = price_at(pts, t0, staleness)
    p1, _ = price_at(pts, t1, staleness)
    if p0 is None or p1 is None:
        return missing_reading(name, "pct", desc, "no bar closing at a window boundary", src, t0, t1)
    return Reading(name, pct_change(p0, p1), "pct", desc, t0, t1, p0, p1, source=src)


def level_at(bars: pd.DataFrame, ts: object, *, name: str = "close", equity: bool = False,
             staleness: pd.Timedelta = DEFAULT_STALENESS) -> Reading:
    """Price level at ``ts``: the close of the last bar closing at or before ``ts`` (within ``staleness``).

    Equities: the close of the last session that closed at or before ``ts`` (no staleness limit: markets close).
    """
    t = require_utc(ts, "ts")
    src = one_source(bars, "level_at")
    desc = f"price at {t:%Y-%m-%d %H:%M} UTC"
    if equity:
        s = equity_sessions(bars)
        s = s[s["close_ts"] <= t]
        if s.empty:
            return missing_reading(name, "USD", desc, "no session closed before this time", src, end=t)
        return Reading(name, float(s["close"].iloc[-1]), "USD", f"session close {s.index[-1].date()}",
                       end=s["close_ts"].iloc[-1], p1=float(s["close"].iloc[-1]), source=src)
    p, c = price_at(crypto_points(bars), t, staleness)
    if p is None:
        return missing_reading(name, "USD", desc, f"no bar closing within {staleness} before this time", src, end=t)
    return Reading(name, p, "USD", desc, end=c, p1=p, source=src)


# ----------------------------------------------------------------------------------------- sector cap
def _snapshot(caps: pd.Series, t: pd.Timestamp, staleness: pd.Timedelta) -> float | None:
    ok = caps[(caps.index <= t) & (caps.index >= t - staleness)].dropna()
    return float(ok.iloc[-1]) if len(ok) else None


def sector_cap_change(market_caps: pd.DataFrame, members: list[str] | tuple[str, ...], start: object, end: object,
                      *, staleness: pd.Timedelta = pd.Timedelta("2h")) -> SectorCapChange:
    """Total market cap of ``members`` at ``end`` over that at ``start``.

    Parameters
    ----------
    market_caps : pd.DataFrame
        Long ``market_caps`` rows (asset, ts, market_cap_usd), one source per asset.
    members : sequence of str
        The sector's member ids.
    start, end : tz-aware timestamps
        Snapshot times; a member's cap at ``t`` is its last snapshot at or before ``t`` within ``staleness``.

    Returns
    -------
    SectorCapChange
        Sum over members with a snapshot at both ends; the others are listed in ``missing``.
    """
    t0, t1 = require_utc(start, "start"), require_utc(end, "end")
    used, missing, ch, s0 = [], [], {}, {}
    tot0 = tot1 = 0.0
    for m in members:
        rows = market_caps[market_caps["asset"] == m] if not market_caps.empty else market_caps
        if rows.empty:
            missing.append(m)
            continue
        ser = pd.Series(rows["market_cap_usd"].to_numpy(dtype=float),
                        index=pd.DatetimeIndex(pd.to_datetime(rows["ts"], utc=True))).sort_index()
        a, b = _snapshot(ser, t0, staleness), _snapshot(ser, t1, staleness)
        if a is None or b is None or a <= 0:
            missing.append(m)
            continue
        used.append(m)
        tot0 += a
        tot1 += b
        ch[m] = pct_change(a, b)
        s0[m] = a
    change = pct_change(tot0, tot1) if used else None
    return SectorCapChange(change, tot0 if used else None, tot1 if used else None, t0, t1, tuple(used),
                           tuple(missing), ch, s0)
