"""Verification of the claim kinds beyond moves and levels: thresholds ("fell below 60,000"), "lowest since
<date>", (no) stabilisation, trading volumes and market share / dominance.

Each reads its numbers through :mod:`selloff.analytics.measures` and returns a
:class:`~selloff.check.model.Verdict` built like the others (readings, selected names, the reading used).

Rules
-----
threshold
    Supported when the lowest price inside the claim's window (closes, provider snapshots and intraday lows)
    lies below the threshold ("fell below"); contradicted when even the lowest stayed above it.
lowest since
    Supported when the close at the end of the day (or the day before) is below every close since the date;
    partial history (the series starts after the date) cannot convict.
stabilisation
    A series stabilises when it gained over the two days after the claim's day before (the day and the next)
    and made no new low below the day before's low. "No sign of stabilisation" is contradicted when most named
    assets with data stabilised, supported when none did; mixed signals are unverifiable, and named.
volume
    The provider's 24 h volume (``market_caps.volume_usd_24h``) closest to the figure in the claim's window,
    with the level tolerances.
dominance
    The subject's share of the summed market caps of every asset in the store at the snapshot nearest the end of
    the day. The store rarely holds the whole market, so the share is an upper bound: it can only contradict a
    claim above it, never support one.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd

from selloff.analytics import measures as M
from selloff.analytics.measures import Reading
from selloff.analytics.sources_priority import select_series
from selloff.check.model import Claim, Evidence, Verdict
from selloff.check.readings import level_window
from selloff.timeutil import day_start, day_window

__all__ = ["verify_dominance", "verify_lowest_since", "verify_stabilisation", "verify_threshold", "verify_volume"]

Rows = Callable[[str, Claim, list[str]], tuple[pd.DataFrame, pd.DataFrame]]
"""``rows(table, claim, ids)`` → (real, simulated) rows around the claim (given by the verifier)."""


def _series(ev: Evidence, real: pd.DataFrame, asset: str) -> list[tuple[pd.DataFrame, bool, str | None]]:
    """(points, is_equity, source) of the asset's regular bars and its provider snapshots."""
    equity = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
    out = []
    snap = real[real["interval"] == "snapshot"] if "interval" in real.columns else real.iloc[0:0]
    for f, eq in ((real.drop(snap.index), equity), (snap, False)):
        if f.empty:
            continue
        f = select_series(f, list(ev.source_priority), keys=("asset",))
        out.append((M.series_points(f, equity=eq), eq, str(f["source"].iloc[0])))
    return out


def _verdict(c: Claim, status: str, readings: list[Reading], used: Reading | None, reason: str, tolerance: str,
             coverage: str | None = None, missing: tuple[str, ...] = (), fetch: str | None = None) -> Verdict:
    return Verdict(claim=c, status=status, readings=tuple(readings), selected=tuple(r.name for r in readings[:1]),
                   used=used, data_value=used.value if used is not None else None,
                   window=used.description if used is not None else "", measure=c.metric, tolerance=tolerance,
                   reason=reason, coverage=coverage, missing=missing, fetch=fetch)


def verify_threshold(c: Claim, ev: Evidence, real: pd.DataFrame, fetch: str | None) -> Verdict:
    """"fell below N": the lowest price in the claim's window against the threshold."""
    asset = c.subjects[0]
    t0, t1 = level_window(c)
    rs = []
    for pts, _, src in _series(ev, real, asset):
        rs.append(M.closest_level(pts, t0, t1, 0.0, lows=True, name="lowest_in_window", key="level:lowest",
                                  source=src, description=f"lowest price {t0:%Y-%m-%d} → {t1:%Y-%m-%d %H:%M} UTC"))
    ok = [r for r in rs if r.value is not None]
    rule = f"threshold: lowest price < {abs(c.value):,.2f}" if c.direction != "up" else \
        f"threshold: highest price > {abs(c.value):,.2f}"
    if not ok:
        return _verdict(c, "unverifiable", rs, None, f"no prices for {asset} in the window", rule,
                        missing=(f"bars {asset}",), fetch=fetch)
    low = min(ok, key=lambda r: r.value)
    below = low.value < abs(c.value)
    return _verdict(c, "supported" if below else "contradicted", rs, low,
                    f"{asset}: lowest {low.value:,.2f} {'below' if below else 'stayed above'} {abs(c.value):,.2f}", rule)


def verify_lowest_since(c: Claim, ev: Evidence, real: pd.DataFrame, fetch: str | None) -> Verdict:
    """"lowest since <date>": the close of the day (or the day before) below every close since the date."""
    asset = c.subjects[0]
    since = day_start(c.since_date)
    rs = []
    for pts, _, src in _series(ev, real, asset):
        for lag, suf in ((0, ""), (1, "_prev")):
            end = day_window(c.date - dt.timedelta(days=lag))[1]
            rs.append(M.lowest_since(pts, since, end, name=f"lowest_since{suf}", source=src))
    rule = f"lowest since {c.since_date}: close below every close since then"
    full = [r for r in rs if r.value is not None and r.coverage is None]
    part = [r for r in rs if r.value is not None and r.coverage is not None]
    hit = next((r for r in full + part if r.value < 0), None)
    if hit is not None:
        return _verdict(c, "supported", rs, hit, f"{asset}: close {hit.p1:,.2f} below the lowest close since "
                        f"{c.since_date} ({hit.p0:,.2f})", rule)
    if full:
        r = min(full, key=lambda r: r.value)
        return _verdict(c, "contradicted", rs, r, f"{asset}: close {r.p1:,.2f} above the close of "
                        f"{r.start:%Y-%m-%d} ({r.p0:,.2f})", rule)
    if part:
        r = part[0]
        return _verdict(c, "unverifiable", rs, r, f"{asset}: history too short ({r.coverage})", rule,
                        coverage=r.coverage, missing=(f"bars {asset} since {c.since_date}",), fetch=fetch)
    return _verdict(c, "unverifiable", rs, None, f"no closes for {asset} since {c.since_date}", rule,
                    missing=(f"bars {asset} since {c.since_date}",), fetch=fetch)


def verify_stabilisation(c: Claim, ev: Evidence, rows: Rows, members: list[str], fetch: str | None) -> Verdict:
    """(No) stabilisation: the two days after the claim's day before, and whether they made a new low."""
    d = c.date
    rs, stable, looked = [], [], []
    for a in members:
        real, _ = rows("bars", c, [a])
        for pts, eq, src in _series(ev, real, a)[:1]:
            t0, t1 = day_start(d), day_window(d + dt.timedelta(days=1))[1]
            stale = M.EQUITY_STALENESS if eq else M.DEFAULT_STALENESS
            move = M.window_change(pts, t0, t1, name=f"{a}:two_days_after", key="2d:D+1", source=src, staleness=stale,
                                   description=f"{a}: close {d - dt.timedelta(days=1)} → close {d + dt.timedelta(days=1)}")
            low = M.low_since(pts, t0, t1, name=f"{a}:low_after", key="low2d:D+1", source=src, staleness=stale,
                              description=f"{a}: previous close → lowest low of {d} and the day after")
            regular = real[real["interval"] != "snapshot"] if "interval" in real.columns else real
            prev_low = (M.intraday_low_change(select_series(regular, list(ev.source_priority), keys=("asset",)),
                                              d - dt.timedelta(days=1), equity=eq, name=f"{a}:low_day_before")
                        if not regular.empty else None)
            rs += [move, low] + ([prev_low] if prev_low is not None else [])
            if move.value is None:
                continue
            new_low = (prev_low is not None and prev_low.value is not None and low.value is not None
                       and low.p1 < prev_low.p1)
            looked.append(a)
            if move.value >= 0 and not new_low:
                stable.append(a)
    rule = "stabilised: up over the day and the next, no low below the day before's low"
    if not looked:
        return _verdict(c, "unverifiable", rs, None, "no prices for the day and the day after", rule,
                        missing=tuple(f"bars {a}" for a in members), fetch=fetch)
    share = len(stable) / len(looked)
    used = Reading("stabilised_share", 100.0 * share, "pct", f"share of {', '.join(looked)} that stabilised on "
                   f"{d} and the day after", key="2d:D+1")
    detail = f"{len(stable)}/{len(looked)} stabilised ({', '.join(stable) or 'none'})"
    claims_stable = c.direction == "up"
    if share > 0.5:
        status = "supported" if claims_stable else "contradicted"
    elif share == 0:
        status = "contradicted" if claims_stable else "supported"
    else:
        status = "unverifiable"
    return _verdict(c, status, [used, *rs], used, f"{detail}; mixed signals" if status == "unverifiable" else detail,
                    rule)


def verify_volume(c: Claim, ev: Evidence, caps: pd.DataFrame, check: Callable[[float], bool], rule: str,
                  fetch: str | None) -> Verdict:
    """A trading-volume figure against the provider's 24 h volume closest to it in the claim's window."""
    asset = c.subjects[0]
    t0, t1 = level_window(c)
    f = caps[caps["asset"] == asset] if not caps.empty else caps
    if f.empty or "volume_usd_24h" not in f.columns or f["volume_usd_24h"].isna().all():
        return _verdict(c, "unverifiable", [], None, f"no 24 h volumes for {asset}", rule,
                        missing=(f"market_caps {asset} (volume_usd_24h)",), fetch=fetch)
    f = select_series(f, list(ev.source_priority), keys=("asset",))
    pts = pd.DataFrame({"ts": pd.to_datetime(f["ts"], utc=True), "close": f["volume_usd_24h"].astype(float)})
    pts = pts.assign(close_ts=pts["ts"], high=pts["close"], low=pts["close"], step=pd.Timedelta(0))
    r = M.closest_level(pts, t0, t1, abs(c.value), name="volume_24h", key="volume:closest",
                        source=str(f["source"].iloc[0]), description="provider 24 h volume closest to the figure")
    if r.value is None:
        return _verdict(c, "unverifiable", [r], None, r.reason or "no volume in the window", rule, fetch=fetch)
    return _verdict(c, "supported" if check(r.value) else "contradicted", [r], r, f"{asset}: {r.value:,.0f} USD", rule)


def verify_dominance(c: Claim, ev: Evidence, caps: pd.DataFrame, fetch: str | None) -> Verdict:
    """Market share: the subject's cap over the sum of all caps in the store (an upper bound of the true share)."""
    asset = c.subjects[0]
    rule = f"share ≈ {abs(c.value):g} %"
    t = day_window(c.date)[1]
    if caps.empty or asset not in set(caps["asset"]):
        return _verdict(c, "unverifiable", [], None, f"no market caps for {asset}", rule,
                        missing=(f"market_caps {asset} and the whole market",), fetch=fetch)
    f = caps.assign(ts=pd.to_datetime(caps["ts"], utc=True))
    f = f[(f["ts"] <= t) & (f["ts"] > t - pd.Timedelta(days=2))].sort_values("ts").groupby("asset").tail(1)
    if asset not in set(f["asset"]):
        return _verdict(c, "unverifiable", [], None, f"no market cap for {asset} near {c.date}", rule, fetch=fetch)
    share = 100.0 * float(f.loc[f["asset"] == asset, "market_cap_usd"].iloc[0]) / float(f["market_cap_usd"].sum())
    cov = f"partial: the sum covers the {len(f)} assets in the store, not the whole market — an upper bound"
    r = Reading("share_of_stored_caps", share, "pct", f"{asset}'s share of the summed caps of {len(f)} stored assets",
                end=t, coverage=cov, key="share:D")
    if abs(c.value) > share + 1e-9:
        return _verdict(c, "contradicted", [r], r, f"{asset}: even over the stored assets only {share:.1f} % "
                        "(the true share is lower)", rule, coverage=cov)
    return _verdict(c, "unverifiable", [r], r, f"{asset}: {share:.1f} % of the stored assets is an upper bound; "
                    "the whole market's cap is not in the store", rule, coverage=cov,
                    missing=("total crypto market cap",), fetch=fetch)
