"""The forensic catalogue: every standard window a newsroom may mean by "X fell N %", each reading named.

A news figure rarely says its window. :func:`crypto_catalogue` and :func:`equity_catalogue` measure one asset
under all of them, so that a checker can say which window reproduces a figure:

=====================  ==========================================================================================
name                   window (``D`` = the claim's day, ``P(t)`` = last close at or before ``t``)
=====================  ==========================================================================================
``utc_day(_prev)``     ``P(D+1 00:00) / P(D 00:00)`` (and the day before) — crypto; equities ``session(_prev)``
``rolling_24h``        ``P(pub) / P(pub - 24 h)`` at the publication time (or 00:00 UTC after ``D``)
``rolling_24h_to_HH``  the same ending at each full hour of ``D`` (only with intraday bars)
``calendar_days_n``    ``P(D+1 00:00) / P(D-n+1 00:00)`` — n whole calendar days to ``D`` (``_prev``: to ``D-1``)
``trading_days_n``     equities, "n full sessions": close ``s-n`` → close ``s`` (``s`` last session ≤ ``D``)
``chart_days_n``       equities, "n-day chart": close ``s-n+1`` → close ``s``
``week_open``          ``P(D+1 00:00) / P(Monday 00:00)`` of ``D``'s ISO week (equities: Friday's close)
``month_open``         ``P(D+1 00:00) / P(first of month 00:00)``
``low_kd``             previous close → lowest low over the k days to ``D``: ``min low / P(D-k+1 00:00)``
``peak_trough_kd``     largest fall from a running peak to a later low inside the k days to ``D``
``since_high_kd``      highest high of the k days to ``D`` → ``P(D+1 00:00)``
``snapshot_kd(_prev)`` provider snapshot on ``D`` (``D-1``) over the one k days before (CoinGecko's "7d")
=====================  ==========================================================================================

Every reading carries a ``key`` naming its window independently of the price series (``"7d:D"`` for both the
calendar-day and the snapshot reading of the 7 days to ``D``), so breadth and cross-claim consistency can group
readings of one window across assets whose data differ in kind.

Assumptions: prices are closes of bars (open time + interval) or snapshot prices at their time; a price "at"
``t`` is the last one at or before ``t`` within ``staleness`` (equities: within ``equity_staleness``, so a
weekend or holiday takes the previous session's close). Simple returns in per cent, ``100 * (p1 / p0 - 1)``.
Peak-to-trough uses the starting price and the highs of *earlier* bars as the running peak, and each bar's
low as a trough, so a bar's own high and low are never paired (their order inside the bar is unknown).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from selloff.analytics.measures.core import (DEFAULT_STALENESS, Reading, close_to_close_day, crypto_points,
                                             equity_sessions, intraday_low_change, missing_reading, one_source,
                                             pct_change, price_at, rolling_24h_change, snapshot_change,
                                             trading_days_change)
from selloff.errors import DataError
from selloff.timeutil import utc_day

__all__ = ["EQUITY_STALENESS", "closest_level", "crypto_catalogue", "equity_catalogue", "low_since", "lowest_since",
           "peak_to_trough", "series_points", "since_high", "snapshot_days_change", "window_change"]

EQUITY_STALENESS = pd.Timedelta(days=5)
"""An equity price "at" t is the last session close at or before t, at most this much earlier (long weekends)."""


# ------------------------------------------------------------------------------------------- points
def series_points(frame: pd.DataFrame, *, equity: bool = False) -> pd.DataFrame:
    """Prices of one asset and source as points: ``ts`` (start), ``close_ts`` (time of the close), close, high,
    low, ``step`` (bar length; zero for snapshots).

    Parameters
    ----------
    frame : pd.DataFrame
        Long bars (crypto intervals, equity ``1d`` sessions) or provider snapshots (interval ``snapshot``).
    equity : bool
        Daily equity bars: the close time is the NYSE session close (16:00 New York or the early close).
    """
    cols = ["ts", "close_ts", "close", "high", "low", "step"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    f = frame.copy()
    for c in ("high", "low"):
        if c not in f.columns:
            f[c] = np.nan
    if "interval" in f.columns and (f["interval"] == "snapshot").all():
        f["ts"] = pd.to_datetime(f["ts"], utc=True)
        f["close_ts"], f["step"] = f["ts"], pd.Timedelta(0)
        f["high"], f["low"] = f["close"], f["close"]
        return f[cols].sort_values("close_ts").reset_index(drop=True)
    if equity:
        s = equity_sessions(f)
        out = pd.DataFrame({"ts": s["open_ts"].to_numpy(), "close_ts": s["close_ts"].to_numpy(),
                            "close": s["close"].to_numpy(dtype=float), "high": s["high"].to_numpy(dtype=float),
                            "low": s["low"].to_numpy(dtype=float)})
        out["step"] = out["close_ts"] - out["ts"]
        return out[cols].sort_values("close_ts").reset_index(drop=True)
    p = crypto_points(f)
    return p[cols].reset_index(drop=True)


def _finest(inside: pd.DataFrame) -> pd.DataFrame:
    return inside[inside["step"] == inside["step"].min()] if not inside.empty else inside


def _inside(points: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp) -> pd.DataFrame:
    return _finest(points[(points["ts"] >= t0) & (points["close_ts"] <= t1)])


# ------------------------------------------------------------------------------------------- measures
def window_change(points: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, *, name: str, key: str,
                  description: str, staleness: pd.Timedelta = DEFAULT_STALENESS,
                  source: str | None = None) -> Reading:
    """``100 * (P(t1) / P(t0) - 1)`` with ``P(t)`` the last close at or before ``t`` within ``staleness``."""
    p0, c0 = price_at(points, t0, staleness)
    p1, c1 = price_at(points, t1, staleness)
    if p0 is None or p1 is None:
        miss = ", ".join(f"{t:%Y-%m-%d %H:%M}" for t, p in ((t0, p0), (t1, p1)) if p is None)
        return replace(missing_reading(name, "pct", description, f"no price within {staleness} before {miss} UTC",
                                       source, t0, t1), key=key)
    return Reading(name, pct_change(p0, p1), "pct", description, c0, c1, p0, p1, source=source, key=key)


def low_since(points: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, *, name: str, key: str,
              description: str, staleness: pd.Timedelta = DEFAULT_STALENESS, source: str | None = None) -> Reading:
    """Previous close → lowest low inside ``[t0, t1]``: ``100 * (min low / P(t0) - 1)`` (finest bars only)."""
    p0, c0 = price_at(points, t0, staleness)
    inside = _inside(points, t0, t1)
    inside = inside[inside["low"].notna()]
    if p0 is None or inside.empty:
        return replace(missing_reading(name, "pct", description, "no close at the window's start or no lows inside",
                                       source, t0, t1), key=key)
    i = inside["low"].idxmin()
    low = float(inside.loc[i, "low"])
    return Reading(name, pct_change(p0, low), "pct", description, c0, inside.loc[i, "close_ts"], p0, low,
                   source=source, key=key)


def peak_to_trough(points: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, *, name: str, key: str,
                   description: str, staleness: pd.Timedelta = DEFAULT_STALENESS,
                   source: str | None = None) -> Reading:
    """Largest fall from a running peak to a later low inside ``[t0, t1]``, in per cent (<= 0).

    Notes
    -----
    ``min_j (low_j / max(P(t0), high_0..high_{j-1}) - 1)`` over the finest bars ``j`` inside the window: the
    peak never uses the trough bar's own high.
    """
    p0, c0 = price_at(points, t0, staleness)
    inside = _inside(points, t0, t1)
    if p0 is None or inside.empty:
        return replace(missing_reading(name, "pct", description, "no close at the window's start or no bars inside",
                                       source, t0, t1), key=key)
    highs = inside["high"].fillna(inside["close"]).to_numpy(dtype=float)
    lows = inside["low"].fillna(inside["close"]).to_numpy(dtype=float)
    peaks = np.maximum.accumulate(np.concatenate([[p0], highs[:-1]]))
    dd = lows / peaks - 1.0
    j = int(np.argmin(dd))
    k = int(np.argmax(np.concatenate([[p0], highs[:-1]])[: j + 1]))
    peak_ts = c0 if k == 0 else inside["close_ts"].iloc[k - 1]
    return Reading(name, 100.0 * float(dd[j]), "pct", description, peak_ts, inside["close_ts"].iloc[j],
                   float(peaks[j]), float(lows[j]), source=source, key=key)


def since_high(points: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, *, name: str, key: str,
               description: str, staleness: pd.Timedelta = DEFAULT_STALENESS, source: str | None = None) -> Reading:
    """Highest high inside ``[t0, t1]`` → ``P(t1)``: ``100 * (P(t1) / max high - 1)``."""
    p1, c1 = price_at(points, t1, staleness)
    inside = _inside(points, t0, t1)
    if p1 is None or inside.empty:
        return replace(missing_reading(name, "pct", description, "no close at the window's end or no bars inside",
                                       source, t0, t1), key=key)
    highs = inside["high"].fillna(inside["close"])
    i = highs.idxmax()
    hi = float(highs.loc[i])
    return Reading(name, pct_change(hi, p1), "pct", description, inside.loc[i, "close_ts"], c1, hi, p1,
                   source=source, key=key)


def closest_level(points: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, target: float, *, lows: bool = False,
                  name: str = "closest_level", key: str | None = None, description: str = "",
                  source: str | None = None) -> Reading:
    """The price inside ``[t0, t1]`` closest to ``target``: closes and snapshot prices (and lows with ``lows``).

    A daily bar's range contains nearly every level of its day, so only point prices count as "the price was
    at X"; intraday lows count when the text says "as low as" / "zeitweise".
    """
    f = points[(points["close_ts"] >= t0) & (points["close_ts"] <= t1)]
    cands = [(float(r.close), r.close_ts, "close") for r in f.itertuples() if pd.notna(r.close)]
    if lows:
        cands += [(float(r.low), r.close_ts, "low") for r in f.itertuples() if pd.notna(r.low)]
    desc = description or f"price closest to {target:,.2f} between {t0:%Y-%m-%d %H:%M} and {t1:%Y-%m-%d %H:%M} UTC"
    if not cands:
        return replace(missing_reading(name, "USD", desc, "no prices inside the window", source, t0, t1), key=key)
    v, t, what = min(cands, key=lambda c: abs(c[0] - target))
    return Reading(name, v, "USD", f"{desc}: {what} at {t:%Y-%m-%d %H:%M} UTC", t0, t, None, v, source=source,
                   key=key)


def snapshot_days_change(snapshots: pd.DataFrame, day: object, n: int, *, name: str | None = None,
                         key: str | None = None, max_gap: pd.Timedelta = pd.Timedelta("6h")) -> Reading:
    """Provider snapshot on ``day`` over the snapshot ``n`` days earlier (within ``max_gap`` of exactly n days).

    This is how CoinGecko's "7d" column is computed: snapshot to snapshot, not UTC-day closes.
    """
    d = utc_day(day)
    name = name or f"snapshot_{n}d"
    src = one_source(snapshots, "snapshot_days_change")
    desc = f"provider snapshot {n} days to {d.date()}"
    if snapshots.empty:
        return replace(missing_reading(name, "pct", desc, "no provider snapshots", src), key=key)
    s = snapshots.assign(ts=pd.to_datetime(snapshots["ts"], utc=True)).sort_values("ts")
    on = s[s["ts"].dt.tz_localize(None).dt.normalize() == d]
    if on.empty:
        return replace(missing_reading(name, "pct", desc, f"no snapshot on {d.date()}", src), key=key)
    t1 = on["ts"].iloc[-1]
    target = t1 - pd.Timedelta(days=n)
    near = s[(s["ts"] - target).abs() <= max_gap]
    if near.empty:
        return replace(missing_reading(name, "pct", desc, f"no snapshot within {max_gap} of {target:%Y-%m-%d %H:%M}",
                                       src), key=key)
    t0 = near.loc[(near["ts"] - target).abs().idxmin(), "ts"]
    p0 = float(s.loc[s["ts"] == t0, "close"].iloc[-1])
    p1 = float(on["close"].iloc[-1])
    desc = f"provider snapshot to snapshot {t0:%Y-%m-%d %H:%M}→{t1:%Y-%m-%d %H:%M} UTC ({n} days)"
    return Reading(name, pct_change(p0, p1), "pct", desc, t0, t1, p0, p1, source=src, key=key)


# ------------------------------------------------------------------------------------------- catalogues
def _day0(d: pd.Timestamp, back: int = 0) -> pd.Timestamp:
    return (d - pd.Timedelta(days=back)).tz_localize("UTC")


def _common(points: pd.DataFrame, d: pd.Timestamp, src: str | None, days: tuple[int, ...], low_days: tuple[int, ...],
            since_high_days: int, stale: pd.Timedelta, unit_word: str) -> list[Reading]:
    """Calendar-day, week/month-open, low, peak-to-trough and since-high readings on one price series."""
    end = _day0(d, -1)
    out: list[Reading] = []
    for n in days:
        for lag, suf in ((0, ""), (1, "_prev")):
            e = _day0(d, lag - 1)
            out.append(window_change(points, e - pd.Timedelta(days=n), e, name=f"calendar_days_{n}{suf}",
                                     key=f"{n}d:D{'-1' if lag else ''}", staleness=stale, source=src,
                                     description=f"{n} calendar days {(e - pd.Timedelta(days=n)).date()}"
                                                 f"→{(e - pd.Timedelta(days=1)).date()} ({unit_word})"))
    monday = _day0(d, d.weekday())
    out.append(window_change(points, monday, end, name="week_open", key="wtd:D", staleness=stale, source=src,
                             description=f"since the week's open {monday.date()} to the close of {d.date()}"))
    first = _day0(d, d.day - 1)
    out.append(window_change(points, first, end, name="month_open", key="mtd:D", staleness=stale, source=src,
                             description=f"since the month's open {first.date()} to the close of {d.date()}"))
    for k in low_days:
        t0 = _day0(d, k - 1)
        out.append(low_since(points, t0, end, name=f"low_{k}d", key=f"low{k}d:D", staleness=stale, source=src,
                             description=f"previous close {t0.date()} → lowest low of the {k} days to {d.date()}"))
        out.append(peak_to_trough(points, t0, end, name=f"peak_trough_{k}d", key=f"pt{k}d:D", staleness=stale,
                                  source=src, description=f"peak to trough inside the {k} days to {d.date()}"))
    t0 = _day0(d, since_high_days - 1)
    out.append(since_high(points, t0, end, name=f"since_high_{since_high_days}d", key=f"high{since_high_days}d:D",
                          staleness=stale, source=src,
                          description=f"highest high of the {since_high_days} days to {d.date()} → close of {d.date()}"))
    return out


def _with_key(r: Reading, key: str) -> Reading:
    return replace(r, key=key)


def crypto_catalogue(bars: pd.DataFrame, day: object, *, snapshots: pd.DataFrame | None = None,
                     published_at: pd.Timestamp | None = None, n: int | None = None,
                     days: tuple[int, ...] = (7, 30), low_days: tuple[int, ...] = (2, 7), since_high_days: int = 30,
                     hourly: bool = True, staleness: pd.Timedelta = DEFAULT_STALENESS) -> list[Reading]:
    """Every standard reading of a crypto asset's move on ``day`` (see the module's table).

    Parameters
    ----------
    bars : pd.DataFrame
        Regular bars (``1d``/intraday) of one asset and one source; may be empty.
    day : date-like
        The claim's day ``D``.
    snapshots : pd.DataFrame, optional
        Provider snapshots (interval ``snapshot``) of the asset, one source.
    published_at : pd.Timestamp, optional
        End of ``rolling_24h``; 00:00 UTC after ``D`` when omitted.
    n : int, optional
        The claim's own number of days, measured besides ``days``.
    days, low_days : tuple of int
        Calendar-day windows; windows of the low / peak-to-trough readings.
    since_high_days : int
        Look-back of the recent high.
    hourly : bool
        Add ``rolling_24h_to_HH`` for each full hour of ``D`` when the bars are intraday.
    """
    d = utc_day(day)
    ns = tuple(dict.fromkeys([*(x for x in (n,) if x and x > 1), *days]))
    lows = tuple(dict.fromkeys([*low_days, *(x for x in (n,) if x and x > 1)]))
    out: list[Reading] = []
    if not bars.empty:
        src = one_source(bars, "crypto_catalogue")
        pts = series_points(bars)
        prev = d - pd.Timedelta(days=1)
        pub = published_at if published_at is not None else _day0(d, -1)
        out += [_with_key(close_to_close_day(bars, d, name="utc_day", staleness=staleness), "1d:D"),
                _with_key(close_to_close_day(bars, prev, name="utc_day_prev", staleness=staleness), "1d:D-1"),
                _with_key(rolling_24h_change(bars, pub, staleness=staleness), "24h:pub"),
                _with_key(intraday_low_change(bars, d, name="intraday_low", staleness=staleness), "low1d:D"),
                _with_key(intraday_low_change(bars, prev, name="intraday_low_prev", staleness=staleness), "low1d:D-1")]
        if hourly and (pts["step"] < pd.Timedelta("1D")).any():
            for h in range(1, 25):  # the rule of rolling_24h_change, on points computed once
                t = _day0(d) + pd.Timedelta(hours=h)
                t0 = t - pd.Timedelta("24h")
                out.append(window_change(pts, t0, t, name=f"rolling_24h_to_{h:02d}h", key=f"24h:{h:02d}",
                                         staleness=staleness, source=src,
                                         description=f"rolling 24 h {t0:%Y-%m-%d %H:%M}→{t:%Y-%m-%d %H:%M} UTC"))
        out += _common(pts, d, src, ns, lows, since_high_days, staleness, "UTC days, 00:00→00:00")
    if snapshots is not None and not snapshots.empty:
        out += [_with_key(snapshot_change(snapshots, d), "snap24h:D"),
                _with_key(snapshot_change(snapshots, d + pd.Timedelta(days=1), name="snapshot_24h_next"), "snap24h:D+1")]
        for k in ns:
            out.append(snapshot_days_change(snapshots, d, k, key=f"{k}d:D"))
            out.append(snapshot_days_change(snapshots, d - pd.Timedelta(days=1), k, name=f"snapshot_{k}d_prev",
                                            key=f"{k}d:D-1"))
    return out


def equity_catalogue(bars: pd.DataFrame, day: object, *, n: int | None = None, days: tuple[int, ...] = (7, 30),
                     low_days: tuple[int, ...] = (2, 7), since_high_days: int = 30) -> list[Reading]:
    """Every standard reading of an equity's move on ``day``: sessions, both N-session conventions ending on
    ``D`` and on ``D - 1``, calendar days, week/month open, lows, peak-to-trough, since the recent high.

    Parameters
    ----------
    bars : pd.DataFrame
        ``1d`` session bars of one equity and one source.
    day : date-like
        The claim's day ``D`` (a weekend or holiday means the session before it).
    n : int, optional
        Sessions of the claim's window (5 when omitted).
    """
    d = utc_day(day)
    if bars.empty:
        return []
    src = one_source(bars, "equity_catalogue")
    prev = d - pd.Timedelta(days=1)
    k = n or 5
    out = [_with_key(close_to_close_day(bars, d, equity=True, name="session"), "1d:D"),
           _with_key(close_to_close_day(bars, prev, equity=True, name="session_prev"), "1d:D-1"),
           _with_key(intraday_low_change(bars, d, equity=True, name="intraday_low"), "low1d:D"),
           _with_key(intraday_low_change(bars, prev, equity=True, name="intraday_low_prev"), "low1d:D-1")]
    for conv, tag, label in (("full_sessions", "s", "trading_days"), ("chart", "c", "chart_days")):
        for end, suf, kk in ((d, "", "D"), (prev, "_prev", "D-1")):
            try:
                r = trading_days_change(bars, end, k, name=f"{label}_{k}{suf}", convention=conv)
            except DataError as exc:  # outside the exchange calendar
                r = missing_reading(f"{label}_{k}{suf}", "pct", f"{k} sessions to {end.date()}", str(exc), src)
            out.append(_with_key(r, f"{k}{tag}:{kk}"))
    pts = series_points(bars, equity=True)
    out += _common(pts, d, src, days, low_days, since_high_days, EQUITY_STALENESS,
                   "last session close on or before each end")
    return out


def lowest_since(points: pd.DataFrame, since: pd.Timestamp, end: pd.Timestamp, *, name: str = "lowest_since",
                 staleness: pd.Timedelta = DEFAULT_STALENESS, source: str | None = None) -> Reading:
    """``P(end)`` against the lowest close in ``[since, end - 1 day]`` (the closes before the end's day):
    ``100 * (P(end) / min close - 1)``.

    Negative means ``P(end)`` is the lowest close since ``since`` ("lowest since November 2024" holds).
    ``start`` is the time of that earlier lowest close. Coverage is partial when the series starts after
    ``since`` (the history does not reach back far enough).
    """
    p1, c1 = price_at(points, end, staleness)
    prior = points[(points["close_ts"] >= since) & (points["close_ts"] <= end - pd.Timedelta("1D"))
                   & points["close"].notna()]
    desc = f"close at {end:%Y-%m-%d %H:%M} UTC against the lowest close since {since:%Y-%m-%d}"
    if p1 is None or prior.empty:
        return missing_reading(name, "pct", desc, "no close at the end or no closes since the date", source, since, end)
    i = prior["close"].idxmin()
    lo = float(prior.loc[i, "close"])
    first = points["close_ts"].min()
    cov = (f"partial: history starts {first:%Y-%m-%d}, after {since:%Y-%m-%d}"
           if first > since + pd.Timedelta(days=1) else None)
    return Reading(name, pct_change(lo, p1), "pct", desc, prior.loc[i, "close_ts"], c1, lo, p1, source=source,
                   coverage=cov, key="since:D")
