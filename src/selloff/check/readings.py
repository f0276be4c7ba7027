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

__all__ = ["asset_readings", "claim_days", "evidence_days", "evidence_window", "forensic_lookback_days",
           "level_window", "liquidation_windows", "measure_name", "price_series", "publication_end", "sector_readings",
           "sector_windows", "selected_names", "window_days"]

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


def forensic_lookback_days() -> int:
    """Days before a claim's day that the forensic catalogue reads (its longest window, the close before it and a
    weekend of margin)."""
    cfg = check_settings()
    return max([*cfg["forensic_days"], *cfg["forensic_low_days"], cfg["since_high_days"]]) + 5


def evidence_days(c: Claim) -> tuple[dt.date, dt.date]:
    """First and last day of the rows a verification of ``c`` looks at (a generous margin around its windows)."""
    back = check_settings()["earlier_lookback_days"] + 1 if c.earlier else (window_days(c.window) or 1) * 2 + 4
    back = max(back, forensic_lookback_days())
    if c.since_date is not None:
        back = max(back, (c.date - c.since_date).days + 3)
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
    firsts += [c.since_date - dt.timedelta(days=3) for c in dated if c.since_date is not None]
    back = max(check_settings()["earlier_lookback_days"] + 1, forensic_lookback_days())
    first = min(min(firsts), min(c.date for c in dated) - dt.timedelta(days=back))
    return day_start(first - dt.timedelta(days=3)), day_start(max(c.date for c in dated) + dt.timedelta(days=2))


# --------------------------------------------------------------------------------------------- assets
def _forensic_args() -> dict:
    cfg = check_settings()
    return dict(days=tuple(cfg["forensic_days"]), low_days=tuple(cfg["forensic_low_days"]),
                since_high_days=int(cfg["since_high_days"]))


def selected_names(c: Claim, equity: bool, n: int | None) -> list[str]:
    """The readings the claim's words select (its window; "intraday" scoped to the claim itself).

    Equities: one day is the session (or the one before); "N Tage" / "N days" selects both session conventions
    ("N full sessions" and the "N-day chart") ending on the day and the day before, since the words do not say
    which. Crypto: one day is the UTC day (or the one before), "24 h" the rolling 24 h, "N days" the N calendar
    days (UTC closes or provider snapshots) ending on the day or the day before. "seit Wochenbeginn" / "since
    the start of the month" select the week/month-open readings; a window-less figure the day readings and the
    rolling 24 h.
    """
    w = c.window
    if w == "wtd":
        return ["week_open"]
    if w == "mtd":
        return ["month_open"]
    if equity:
        if n:
            return [f"trading_days_{n}", f"trading_days_{n}_prev", f"chart_days_{n}", f"chart_days_{n}_prev"]
        return ["intraday_low", "intraday_low_prev"] if c.intraday else ["session", "session_prev"]
    if n:
        if c.intraday:
            return [f"low_{n}d"]
        return [f"calendar_days_{n}", f"calendar_days_{n}_prev", f"snapshot_{n}d", f"snapshot_{n}d_prev"]
    if c.intraday:
        return ["intraday_low", "intraday_low_prev"]
    sel = {"24h": ["rolling_24h"], "1d": ["utc_day", "utc_day_prev"]}.get(w or "", ["utc_day", "utc_day_prev",
                                                                                   "rolling_24h"])
    if c.earlier and w in (None, "1d"):
        sel = [*sel, "worst_day_prior_7d"]
    return sel


def _claim_n(c: Claim, equity: bool) -> int | None:
    n = window_days(c.window)
    if c.window == "1w":
        return 5 if equity else 7
    return n


def _asset_readings(ev: Evidence, bars: pd.DataFrame, snaps: pd.DataFrame, asset: str, c: Claim,
                    d: dt.date) -> tuple[list[Reading], list[str]]:
    """Every reading of the forensic catalogue for one asset, and the names the text's words select."""
    equity = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
    n = _claim_n(c, equity)
    kw = _forensic_args()
    if equity:
        rs = M.equity_catalogue(bars, d, n=n, **kw)
        return rs, selected_names(c, True, n)
    pub, pub_desc = publication_end(ev, d)
    rs = M.crypto_catalogue(bars, d, snapshots=snaps, published_at=pub, n=n,
                            hourly=bool(check_settings()["hourly_rolling_24h"]), **kw)
    rs = [replace(r, description=f"{r.description} ({pub_desc})") if r.name == "rolling_24h" else r for r in rs]
    sel = selected_names(c, False, n)
    if "worst_day_prior_7d" in sel and not bars.empty:
        rs.append(_worst_prior_day(bars, d))
    if not snaps.empty and (c.window == "24h" or bars.empty) and not n:
        # the morning snapshot of the next day closes the 24 h the text may mean; the only day reading when the
        # store has no regular bars for those days
        sel = [*(x for x in sel if any(r.name == x and r.value is not None for r in rs)), "snapshot_24h",
               "snapshot_24h_next"]
    return rs, sel


def _worst_prior_day(bars: pd.DataFrame, d: dt.date) -> Reading:
    """The worst close-to-close UTC day among the look-back days before the day before ``d``."""
    lookback = check_settings()["earlier_lookback_days"]
    prior = [M.close_to_close_day(bars, d - dt.timedelta(days=k)) for k in range(2, lookback + 1)]
    ok = [r for r in prior if r.value is not None]
    what = f"worst UTC day of the {lookback - 1} days before"
    if not ok:
        return Reading("worst_day_prior_7d", None, "pct", what, reason=f"no daily closes in the {lookback - 1} days before",
                       key="worst1d:prior")
    w = min(ok, key=lambda r: r.value)
    return replace(w, name="worst_day_prior_7d", description=f"{what}: {w.description}", key="worst1d:prior")


def level_window(c: Claim, equity: bool = False) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC span a level claim may refer to: the day and the day before (00:00 UTC of ``D - 1`` to 00:00 UTC after
    ``D``), or the claim's n days."""
    n = _claim_n(c, equity) or 2
    return day_start(c.date - dt.timedelta(days=n - 1)), day_window(c.date)[1]


def _levels(series: list[pd.DataFrame], rs: list[Reading], sel: list[str], c: Claim,
            equity: bool) -> tuple[list[Reading], list[str]]:
    """The closest price to the claimed level inside the claim's window (closes and provider snapshots; intraday
    lows when the claim says so), plus the prices at the end of the selected readings for reference."""
    t0, t1 = level_window(c, equity)
    best: Reading | None = None
    for f in series:
        if f.empty:
            continue
        pts = M.series_points(f, equity=equity and not (f["interval"] == "snapshot").all())
        src = str(f["source"].iloc[0]) if "source" in f.columns else None
        r = M.closest_level(pts, t0, t1, abs(c.value), lows=c.intraday or c.threshold, key="level:closest",
                            source=src)
        if r.value is not None and (best is None or abs(r.value - abs(c.value)) < abs(best.value - abs(c.value))):
            best = r
    lv = [best] if best is not None else [Reading("closest_level", None, "USD", "price closest to the claimed level",
                                                  reason="no prices inside the window", key="level:closest")]
    for r in rs:
        if r.name in sel and r.value is not None:
            lv.append(Reading(f"level_{r.name}", r.p1, "USD", f"price at the end of: {r.description}",
                              end=r.end, p1=r.p1, source=r.source, key=f"level:{r.key}"))
    return lv, ["closest_level"]


def asset_readings(ev: Evidence, real: pd.DataFrame, asset: str, c: Claim,
                   level: bool = False) -> tuple[list[Reading], list[str]]:
    """Readings of one asset's move (or level) under every standard window, and the names its words select.

    Parameters
    ----------
    ev : Evidence
        For the universe (crypto or equity), the publication time and the source priority.
    real : pd.DataFrame
        The asset's non-simulated bars around the claim's day (several sources allowed).
    asset : str
    c : Claim
    level : bool
        The price closest to the claimed level in the claim's window instead of changes.

    Returns
    -------
    (list of Reading, list of str)

    Notes
    -----
    The regular bars come from the best source that reaches the window's end; provider snapshots (CoinGecko
    morning snapshots), where stored, add their own readings (24 h, n days).
    """
    snap = real[real["interval"] == "snapshot"] if "interval" in real.columns else real.iloc[0:0]
    regular = real.drop(snap.index)
    bars = select_series(regular, list(ev.source_priority), keys=("asset",)) if not regular.empty else regular
    if not snap.empty:
        snap = select_series(snap, list(ev.source_priority), keys=("asset",))
    readings, sel = _asset_readings(ev, bars, snap, asset, c, c.date)
    if level:
        equity = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
        return _levels([bars, snap], readings, sel, c, equity)
    return readings, sel


def price_series(ev: Evidence, real: pd.DataFrame, equity: bool = False) -> tuple[tuple[pd.Timestamp, float], ...]:
    """(time, close) of the asset's best regular series, else its provider snapshots — the chart of a verdict."""
    if real.empty:
        return ()
    snap = real[real["interval"] == "snapshot"] if "interval" in real.columns else real.iloc[0:0]
    regular = real.drop(snap.index)
    f = regular if not regular.empty else snap
    f = select_series(f, list(ev.source_priority), keys=("asset",))
    pts = M.series_points(f, equity=equity and not regular.empty)
    pts = pts[pts["close"].notna()]
    if not pts.empty and (pts["step"] > pd.Timedelta(0)).any():
        pts = pts[pts["step"] == pts["step"].max()]  # the coarsest regular bars: one point per day is enough
    return tuple((t, float(c)) for t, c in zip(pts["close_ts"], pts["close"]))


def measure_name(r: Reading) -> str:
    """Plain words for the measure of a reading, from its name."""
    n = r.name
    for key, txt in (("closest_level", "closest price in the window"), ("lowest_in_window", "lowest price in the window"),
                     ("lowest_since", "close against the lowest close since the date"),
                     ("chart_days", "close-to-close, N-day chart (NYSE sessions)"), ("week_open", "since the week's open"),
                     ("month_open", "since the month's open"), ("low_", "previous close → lowest low"),
                     ("peak_trough", "peak to trough"), ("since_high", "since the recent high"),
                     ("snapshot", "provider snapshot to snapshot"),
                     ("level_intraday", "intraday low price"), ("level", "price level"),
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
            cov = (f"partial: {len(sc.members_used)} of {len(members)} members, missing {', '.join(sc.missing)}"
                   if sc.missing else None)
            if level:
                readings.append(Reading(f"members_sum_{name}", sc.end_usd, "USD", f"sum of member caps at end of {desc}{miss}",
                                        a, b, sc.start_usd, sc.end_usd, None if sc.end_usd else "no member snapshots",
                                        coverage=cov, key=f"cap:{name}"))
            else:
                readings.append(Reading(f"members_sum_{name}", sc.change_pct, "pct", f"{desc}{miss}", a, b, sc.start_usd,
                                        sc.end_usd, None if sc.change_pct is not None else "no member snapshots at both ends",
                                        coverage=cov, key=f"cap:{name}"))
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
