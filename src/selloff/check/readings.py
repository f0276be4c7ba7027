"""The window readings of a claim: which readings exist for its window, and which of them its words select.

News rarely says which window it means ("fell 23 % in a single day": the UTC day? the day before? the rolling
24 h to publication?). Every plausible reading is measured with the pure functions of
:mod:`selloff.analytics.measures`; the words of the claim select the ones a verdict may use. This module also
says which days a claim's readings need (:func:`claim_days`, :func:`evidence_window`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pandas as pd

from selloff.analytics import measures as M
from selloff.analytics.measures import Reading
from selloff.analytics.sources_priority import select_series
from selloff.calendar import trading_day_window
from selloff.check.model import Claim, Evidence, check_settings
from selloff.errors import DataError
from selloff.timeutil import day_start, day_window, utc

__all__ = ["asset_readings", "claim_days", "evidence_days", "evidence_window", "liquidation_windows",
           "measure_name", "publication_end", "sector_readings", "sector_windows", "window_days"]

Window = tuple[str, pd.Timestamp, pd.Timestamp, str]
"""(reading name, start, end, description) of a window over which totals or caps are compared."""


def window_days(window: str | None) -> int | None:
    """The ``n`` of an n-day window (``"5d"``, ``"5td"``; ``"1w"`` is 5), ``None`` for one day or no window."""
    if window is None:
        return None
    if window == "1w":
        return 5
    m = re.fullmatch(r"(\d+)t?d", window)
    return int(m.group(1)) if m and int(m.group(1)) > 1 else None


def publication_end(ev: Evidence, d: dt.date) -> tuple[pd.Timestamp, str]:
    """End of the rolling 24 h: the publication time, else 00:00 UTC after the claim's day; and its words."""
    if ev.published_at is not None:
        t = utc(ev.published_at, "published_at")
        return t, f"ending at publication {t:%Y-%m-%d %H:%M} UTC"
    return day_window(d)[1], "ending 00:00 UTC after the claim's day (publication time unknown)"


def evidence_days(c: Claim) -> tuple[dt.date, dt.date]:
    """First and last day of the rows a verification of ``c`` looks at (a generous margin around its windows)."""
    back = check_settings()["earlier_lookback_days"] + 1 if c.earlier else (window_days(c.window) or 1) * 2 + 4
    return c.date - dt.timedelta(days=back), c.date + dt.timedelta(days=1)


def claim_days(c: Claim, equity: bool = False) -> tuple[dt.date, dt.date]:
    """Days a fetch must cover for ``c`` (the ``--since``/``--until`` of its fetch command).

    Parameters
    ----------
    c : Claim
        A claim with a date.
    equity : bool
        Count the window in NYSE sessions (a week per five sessions) instead of UTC days.

    Returns
    -------
    (datetime.date, datetime.date)

    Notes
    -----
    Every reading needs the close before its first day, and the D-1 readings are computed too, so a 1-day window
    starts two days before ``D``; n UTC days n + 2 days; n trading days a week per five sessions plus four days
    for weekends/holidays; "earlier" claims the look-back plus one day.
    """
    n = window_days(c.window) or 1
    if c.earlier:
        back = check_settings()["earlier_lookback_days"] + 1
    elif n == 1:
        back = 2
    else:
        back = (n * 7) // 5 + 4 if equity else n + 2
    return c.date - dt.timedelta(days=back), c.date + dt.timedelta(days=1)


def _first_session_needed(c: Claim) -> dt.date | None:
    """The NYSE session whose close the n-trading-day reading ending the day before ``c.date`` starts from."""
    n = window_days(c.window)
    if n is None:
        return None
    try:
        return trading_day_window(c.date - dt.timedelta(days=1), n + 1).sessions[0].date()
    except DataError:  # outside the exchange calendar's range: the day arithmetic of claim_days still applies
        return None


def evidence_window(claims: list[Claim]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC bounds of every row the claims' readings need, for one read of the store.

    Parameters
    ----------
    claims : list of Claim
        At least one with a date; claims without one need no rows.

    Returns
    -------
    (pd.Timestamp, pd.Timestamp)
        tz-aware UTC ``start`` and ``end``: from three days before the earliest day any claim needs (the close
        before its first day included, windows counted as equity windows and in NYSE sessions, at least the
        "earlier" look-back) to 00:00 UTC two days after the latest claim's day.

    Raises
    ------
    DataError
        No claim has a date.
    """
    dated = [c for c in claims if c.date is not None]
    if not dated:
        raise DataError("no claim has a date, so no evidence window; pass the publication date (--date / ref_date)")
    firsts = [claim_days(c, equity=True)[0] for c in dated]
    firsts += [d for d in map(_first_session_needed, dated) if d is not None]
    back = check_settings()["earlier_lookback_days"] + 1
    first = min(min(firsts), min(c.date for c in dated) - dt.timedelta(days=back))
    return day_start(first - dt.timedelta(days=3)), day_start(max(c.date for c in dated) + dt.timedelta(days=2))


# --------------------------------------------------------------------------------------------- assets
def _asset_readings(ev: Evidence, bars: pd.DataFrame, asset: str, c: Claim, d: dt.date,
                    level: bool = False) -> tuple[list[Reading], list[str]]:
    """All readings of ``c``'s window for one asset, and the names the text's words select."""
    equity = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
    prev = d - dt.timedelta(days=1)
    pub, pub_desc = publication_end(ev, d)
    rs: list[Reading] = []
    n = window_days(c.window)
    if equity:
        rs.append(M.close_to_close_day(bars, d, equity=True, name="session"))
        rs.append(M.close_to_close_day(bars, prev, equity=True, name="session_prev"))
        rs.append(M.intraday_low_change(bars, d, equity=True, name="intraday_low"))
        rs.append(M.trading_days_change(bars, d, n or 5))
        # news published during day D usually counts the sessions that had closed: those ending on D-1
        rs.append(M.trading_days_change(bars, prev, n or 5, name=f"trading_days_{n or 5}_prev"))
        if c.window in (None, "1d", "24h"):
            sel = ["session", "session_prev"]
        else:
            sel = [f"trading_days_{n or 5}", f"trading_days_{n or 5}_prev"]
    else:
        rs.append(M.close_to_close_day(bars, d, name="utc_day"))
        rs.append(M.close_to_close_day(bars, prev, name="utc_day_prev"))
        r24 = M.rolling_24h_change(bars, pub)
        rs.append(replace(r24, description=f"{r24.description} ({pub_desc})"))
        rs.append(M.intraday_low_change(bars, d, name="intraday_low"))
        rs.append(M.intraday_low_change(bars, prev, name="intraday_low_prev"))
        if n:
            days = 7 if c.window == "1w" else n
            rs.append(M.calendar_days_change(bars, d, days, name=f"calendar_days_{days}"))
            rs.append(M.calendar_days_change(bars, prev, days, name=f"calendar_days_{days}_prev"))
            sel = [f"calendar_days_{days}", f"calendar_days_{days}_prev"]
        elif c.window == "24h":
            sel = ["rolling_24h"]
        elif c.window == "1d":
            sel = ["utc_day", "utc_day_prev"]
        else:
            sel = ["utc_day", "utc_day_prev", "rolling_24h"]
        if c.intraday:
            sel = ["intraday_low", "intraday_low_prev"]
        if c.earlier and c.window in (None, "1d"):
            rs.append(_worst_prior_day(bars, d))
            sel.append("worst_day_prior_7d")
    return _levels(rs, sel, c) if level else (rs, sel)


def _worst_prior_day(bars: pd.DataFrame, d: dt.date) -> Reading:
    """The worst close-to-close UTC day among the look-back days before the day before ``d``."""
    lookback = check_settings()["earlier_lookback_days"]
    prior = [M.close_to_close_day(bars, d - dt.timedelta(days=k)) for k in range(2, lookback + 1)]
    ok = [r for r in prior if r.value is not None]
    what = f"worst UTC day of the {lookback - 1} days before"
    if not ok:
        return Reading("worst_day_prior_7d", None, "pct", what, reason=f"no daily closes in the {lookback - 1} days before")
    w = min(ok, key=lambda r: r.value)
    return replace(w, name="worst_day_prior_7d", description=f"{what}: {w.description}")


def _levels(rs: list[Reading], sel: list[str], c: Claim) -> tuple[list[Reading], list[str]]:
    """Price levels at the end of the selected readings, and the intraday lows."""
    lv: list[Reading] = []
    lsel: list[str] = []
    for r in rs:
        if r.name in sel and r.value is not None:
            lv.append(Reading(f"level_{r.name}", r.p1, "USD", f"price at the end of: {r.description}",
                              end=r.end, p1=r.p1, source=r.source))
            lsel.append(f"level_{r.name}")
    for r in rs:
        if r.name.startswith("intraday_low") and r.value is not None:
            lv.append(Reading(f"level_{r.name}", r.p1, "USD", f"low of: {r.description}", end=r.end,
                              p1=r.p1, source=r.source))
            if c.window in (None, "1d") or c.intraday:
                lsel.append(f"level_{r.name}")
    if not lv:
        lv.append(Reading("level", None, "USD", "price at the end of the selected window",
                          reason="; ".join(sorted({r.reason for r in rs if r.reason}))[:300] or "no data"))
        lsel = ["level"]
    return lv, lsel


def asset_readings(ev: Evidence, real: pd.DataFrame, asset: str, c: Claim,
                   level: bool = False) -> tuple[list[Reading], list[str]]:
    """Readings of one asset's move (or level) over ``c``'s window, and the names its words select.

    Parameters
    ----------
    ev : Evidence
        For the universe (crypto or equity), the publication time and the source priority.
    real : pd.DataFrame
        The asset's non-simulated bars around the claim's day (several sources allowed).
    asset : str
    c : Claim
    level : bool
        Price levels at the end of the windows instead of changes.

    Returns
    -------
    (list of Reading, list of str)

    Notes
    -----
    The regular bars come from the best source that reaches the window's end; provider snapshots (CoinGecko
    morning snapshots), where stored, add their own 24 h readings.
    """
    snap = real[real["interval"] == "snapshot"] if "interval" in real.columns else real.iloc[0:0]
    regular = real.drop(snap.index)
    bars = select_series(regular, list(ev.source_priority), keys=("asset",)) if not regular.empty else regular
    readings, sel = _asset_readings(ev, bars, asset, c, c.date, level=level)
    if not snap.empty and not level:
        snap = select_series(snap, list(ev.source_priority), keys=("asset",))
        sr = [M.snapshot_change(snap, c.date), M.snapshot_change(snap, c.date + dt.timedelta(days=1), name="snapshot_24h_next")]
        readings = [*readings, *sr]
        # the morning snapshot of the next day closes the 24 h the text may mean; it is a reading the words select
        # for "24 hours", and the only one when the store has no regular bars for those days
        if c.window == "24h" or regular.empty:
            sel = [*([x for x in sel if any(r.name == x and r.value is not None for r in readings)]), "snapshot_24h", "snapshot_24h_next"]
    return readings, sel


def measure_name(r: Reading) -> str:
    """Plain words for the measure of a reading, from its name."""
    n = r.name
    for key, txt in (("level_intraday", "intraday low price"), ("level", "price level"),
                     ("intraday_low", "previous close → intraday low"), ("rolling_24h", "rolling 24 h change"),
                     ("trading_days", "close-to-close over NYSE trading days"),
                     ("calendar_days", "close-to-close over UTC days"), ("worst_day", "worst single UTC day"),
                     ("utc_day", "close-to-close UTC day"), ("session", "close-to-close NYSE session"),
                     ("members_sum", "sum of member market caps"), ("category_reported", "provider-reported 24 h change"),
                     ("category", "provider category market cap"), ("liq", "liquidation total")):
        if n.startswith(key):
            return txt
    return n


# --------------------------------------------------------------------------------------------- sectors
def sector_windows(c: Claim, ev: Evidence) -> tuple[list[Window], list[str]]:
    """Windows over which a sector's cap change is read (rolling 24 h, UTC day, day before, n days), and the
    names its words select."""
    d, prev = c.date, c.date - dt.timedelta(days=1)
    pub, pub_desc = publication_end(ev, d)
    wins = [("24h", pub - pd.Timedelta("24h"), pub, f"rolling 24 h {pub_desc}"),
            ("utc_day", *day_window(d), f"UTC day {d}"),
            ("utc_day_prev", *day_window(prev), f"UTC day {prev}")]
    n = window_days(c.window)
    if n:
        days = 7 if c.window == "1w" else n
        wins.append((f"{days}d", day_start(d - dt.timedelta(days=days - 1)), day_window(d)[1], f"{days} UTC days to {d}"))
        return wins, [f"{days}d"]
    if c.window == "24h":
        return wins, ["24h"]
    if c.window == "1d":
        return wins, ["utc_day", "utc_day_prev"]
    return wins, ["24h", "utc_day", "utc_day_prev"]


def _cat_at(f: pd.DataFrame, t: pd.Timestamp, col: str = "market_cap_usd") -> float | None:
    if f.empty:
        return None
    ts = pd.to_datetime(f["ts"], utc=True)
    ok = f[(ts <= t) & (ts >= t - pd.Timedelta(hours=check_settings()["category_snapshot_max_age_hours"]))]
    return float(ok[col].iloc[-1]) if len(ok) and pd.notna(ok[col].iloc[-1]) else None


def sector_readings(c: Claim, ev: Evidence, caps: pd.DataFrame, members: list[str], cat: str | None,
                    catf: pd.DataFrame) -> tuple[list[Reading], list[str], dict[str, M.SectorCapChange]]:
    """Readings of a sector's cap change (or level) over ``c``'s windows, the selected names, and the member
    sums per window.

    Parameters
    ----------
    c : Claim
    ev : Evidence
    caps : pd.DataFrame
        Members' market caps, one source per member.
    members : list of str
    cat : str or None
        The provider's category id; ``catf`` its snapshots (one source, sorted by ``ts``).

    Returns
    -------
    (list of Reading, list of str, dict of str to SectorCapChange)
        Readings ``members_sum_<window>`` and ``category_<window>`` (plus ``category_reported_24h``); the names the
        words select that exist; the member sums by window name.
    """
    wins, sel = sector_windows(c, ev)
    level = c.metric == "market_cap_level"
    readings: list[Reading] = []
    changes: dict[str, M.SectorCapChange] = {}
    for name, a, b, desc in wins:
        if not caps.empty:
            sc = M.sector_cap_change(caps, members, a, b)
            changes[name] = sc
            miss = f"; members without data: {', '.join(sc.missing)}" if sc.missing else ""
            if level:
                readings.append(Reading(f"members_sum_{name}", sc.end_usd, "USD", f"sum of member caps at end of {desc}{miss}",
                                        a, b, sc.start_usd, sc.end_usd, None if sc.end_usd else "no member snapshots"))
            else:
                readings.append(Reading(f"members_sum_{name}", sc.change_pct, "pct", f"{desc}{miss}", a, b, sc.start_usd,
                                        sc.end_usd, None if sc.change_pct is not None else "no member snapshots at both ends"))
        if not catf.empty:
            c0, c1 = _cat_at(catf, a), _cat_at(catf, b)
            if level:
                readings.append(Reading(f"category_{name}", c1, "USD", f"provider category '{cat}' cap at end of {desc}",
                                        a, b, c0, c1, None if c1 else "no category snapshot"))
            else:
                readings.append(Reading(f"category_{name}", M.pct_change(c0, c1), "pct", f"provider category '{cat}': {desc}",
                                        a, b, c0, c1, None if c0 and c1 else "no category snapshot at both ends"))
                if name == "24h":
                    rep = _cat_at(catf, b, "market_cap_change_24h_pct") if "market_cap_change_24h_pct" in catf else None
                    readings.append(Reading("category_reported_24h", rep, "pct",
                                            f"provider-reported 24 h change of '{cat}' at {b:%Y-%m-%d %H:%M} UTC",
                                            end=b, reason=None if rep is not None else "no provider-reported change"))
    wanted = [f"{p}_{s}" for s in sel for p in ("members_sum", "category")]
    wanted += ["category_reported_24h"] if "24h" in sel else []
    present = {r.name for r in readings}
    return readings, [n for n in wanted if n in present], {s: changes[s] for s in sel if s in changes}


# --------------------------------------------------------------------------------------------- liquidations
def liquidation_windows(c: Claim, ev: Evidence) -> tuple[list[Window], list[str]]:
    """Windows over which liquidations are totalled (UTC day, day before, rolling 24 h; the look-back days for
    "earlier" claims), and the names the words select."""
    d, prev = c.date, c.date - dt.timedelta(days=1)
    pub, pub_desc = publication_end(ev, d)
    wins = [("liq_utc_day", *day_window(d), f"UTC day {d}"),
            ("liq_utc_day_prev", *day_window(prev), f"UTC day {prev}"),
            ("liq_24h", pub - pd.Timedelta("24h"), pub, f"rolling 24 h {pub_desc}")]
    if c.earlier:
        back = [d - dt.timedelta(days=k) for k in range(2, check_settings()["earlier_lookback_days"] + 1)]
        wins += [(f"liq_utc_day_minus{(d - b).days}", *day_window(b), f"UTC day {b}") for b in back]
    sel = {"24h": ["liq_24h"]}.get(c.window or "", ["liq_utc_day", "liq_utc_day_prev"])
    if c.earlier:
        sel += [n for n, *_ in wins if n.startswith("liq_utc_day_minus")]
    return wins, sel
