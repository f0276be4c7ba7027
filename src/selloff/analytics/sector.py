"""Sector measures: cap- and equal-weighted index, sector market cap and its change, breadth, contributors."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selloff.config import defaults
from selloff.errors import DataError
from selloff.timeutil import utc


def _check_members(frame: pd.DataFrame, members: list[str], what: str) -> list[str]:
    present = [m for m in members if m in frame.columns]
    if not present:
        raise DataError(f"none of the sector's members {members} has {what}; fetch or import them first")
    return present


def _returns_and_lagged_weights(returns: pd.DataFrame, weights: pd.DataFrame | None,
                                members: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members' returns and the weights each return is multiplied by: the previous period's market caps (or 1 for
    equal weights), blanked where the member has no return."""
    present = _check_members(returns, members, "returns")
    r = returns[present]
    if weights is None:
        w = pd.DataFrame(1.0, index=r.index, columns=present)
    else:
        w = weights.reindex(index=r.index, columns=present).shift(1)
    return r, w.where(r.notna())


def carried_cap_weights(caps: pd.DataFrame | None, index: pd.Index, members: Sequence[str]) -> pd.DataFrame | None:
    """Market caps at each period's close as index weights for ``members`` on ``index`` (for
    :func:`sector_returns`), or ``None`` (equal weights) when there is no cap of any member.

    Rule for sparse caps (e.g. monthly snapshots): each member's last known cap is carried forward to the periods
    after it, so a period without a snapshot never blanks the whole sector; a member before its first cap has no
    weight then. One rule for the report's day path (:func:`selloff.analytics.day.sector_weights`) and the watch
    (:func:`selloff.analytics.alerting.observe.daily_sector_returns`).
    """
    if caps is None or caps.empty:
        return None
    weights = caps.reindex(index=index.union(caps.index), columns=list(members))
    if weights.notna().sum().sum() == 0:
        return None
    return weights.sort_index().ffill()


def sector_returns(returns: pd.DataFrame, members: list[str], weights: pd.DataFrame | None = None) -> pd.Series:
    """One-period sector return: sum_i w_{i,t-1} r_{i,t} over members with a return on t.

    ``weights`` are market caps (cap-weighted) taken at the end of the previous period; ``None`` means equal
    weights. Members without a return on t are left out and the weights renormalised over the rest.
    """
    r, w = _returns_and_lagged_weights(returns, weights, members)
    total = w.sum(axis=1)
    out = (w.mul(r).sum(axis=1) / total).where(total > 0)
    return out.rename("sector")


def sector_index(returns: pd.DataFrame, members: list[str], weights: pd.DataFrame | None = None, base: float = 100.0) -> pd.Series:
    """Chain-linked index level (``base`` on the first day with a return)."""
    sr = sector_returns(returns, members, weights)
    valid = sr.dropna()
    if valid.empty:
        raise DataError("the sector has no overlapping returns in this window; widen the window")
    level = base * (1.0 + sr.loc[valid.index[0]:].fillna(0.0)).cumprod()
    pos = returns.index.get_loc(valid.index[0])
    if pos > 0:  # the level before the first return is the base
        level = pd.concat([pd.Series([base], index=returns.index[pos - 1 : pos]), level])
    return level.rename("index")


def sector_market_cap(mcaps: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """Sum of members' market caps at each time, with the number of members that have a value."""
    present = _check_members(mcaps, members, "market caps")
    m = mcaps[present]
    return pd.DataFrame({"market_cap_usd": m.sum(axis=1, min_count=1), "members_with_data": m.notna().sum(axis=1)})


@dataclass(frozen=True)
class CapChange:
    start: pd.Timestamp
    end: pd.Timestamp
    cap_start_usd: float
    cap_end_usd: float
    change_pct: float
    members: tuple[str, ...]
    missing: tuple[str, ...]
    """Members left out because they lack a (fresh enough) value at the start or the end (same members at both ends)."""
    stale: tuple[str, ...] = field(default=())
    """Members among ``missing`` whose last value at an end is older than ``max_stale_days`` (stopped reporting)."""
    max_stale_days: float = float("nan")


def _last_fresh(m: pd.DataFrame, at: object, max_stale: pd.Timedelta) -> tuple[pd.Timestamp, pd.Series, set[str]]:
    """Row label at or before ``at``, each member's last value at or before it if not older than ``max_stale``
    (else NaN), and the members dropped for staleness."""
    a = m.loc[:at]
    label = pd.Timestamp(a.index[-1])
    last_ts = a.apply(lambda c: c.last_valid_index())
    vals = a.ffill().iloc[-1]
    age = pd.Series({c: (label - pd.Timestamp(t)) if t is not None else pd.NaT for c, t in last_ts.items()})
    stale = {c for c in m.columns if pd.notna(age[c]) and age[c] > max_stale}
    return label, vals.where(~vals.index.isin(list(stale))), stale


def market_cap_change(mcaps: pd.DataFrame, members: list[str], start: object, end: object,
                      max_stale_days: float | None = None) -> CapChange:
    """Change of the sector's market cap between the last observations at or before ``start`` and ``end``.

    Parameters
    ----------
    mcaps : pd.DataFrame
        Wide market caps (USD), index = snapshot time or day label, one column per member.
    max_stale_days : float, optional
        A member's last value may be carried forward to a window end for at most this many days (default:
        ``[sector] max_stale_days``); older, it counts as missing (it stopped reporting) and is named in
        ``stale``.

    Notes
    -----
    Only members with a fresh value at both ends count, so a member that appears, disappears or stops reporting
    cannot fake a move (a stale cap carried forward would show a member as flat while the others fell).
    """
    present = _check_members(mcaps, members, "market caps")
    m = mcaps[present].sort_index()
    if m.loc[:start].empty or m.loc[:end].empty:
        raise DataError(f"no market caps at or before {start} / {end}; pick a window inside the stored data")
    max_days = float(defaults("sector")["max_stale_days"] if max_stale_days is None else max_stale_days)
    limit = pd.Timedelta(days=max_days)
    la, ra, sa = _last_fresh(m, start, limit)
    lb, rb, sb = _last_fresh(m, end, limit)
    ok = ra.notna() & rb.notna()
    used = [c for c in present if ok[c]]
    if not used:
        raise DataError(f"no member has market caps at both {start} and {end} (within {max_days:g} days); fetch them")
    ca, cb = float(ra[used].sum()), float(rb[used].sum())
    missing = tuple(sorted(set(members) - set(used)))
    stale = tuple(sorted((sa | sb) - set(used)))
    return CapChange(la, lb, ca, cb, 100.0 * (cb / ca - 1.0), tuple(used), missing, stale, max_days)


@dataclass(frozen=True)
class CategoryComparison:
    """Our sector market-cap change next to the data provider's own category market-cap change."""

    provider: str
    category: str
    own_change_pct: float
    provider_change_pct: float
    diff_pp: float
    """``own_change_pct - provider_change_pct`` in percentage points."""
    provider_method: str
    """``snapshots`` (two stored category snapshots nearest the window ends) or ``change_24h`` (the provider's
    own 24 h change field of the snapshot nearest the window end)."""
    provider_start: pd.Timestamp | None
    provider_end: pd.Timestamp
    provider_cap_end_usd: float
    provider_members_stored: bool
    """Whether the provider's member list is stored (CoinGecko stores only its top 3 coins)."""
    only_ours: tuple[str, ...]
    """Our members (ids) whose provider id is not in the provider's stored list."""
    only_provider: tuple[str, ...]
    """Provider ids in its list that are none of our members."""
    ours_without_data: tuple[str, ...]
    """Our members left out of our change (no fresh cap at both ends: ``CapChange.missing``)."""
    tolerance_pp: float
    gap_exceeds_tolerance: bool


def compare_with_category(own: CapChange, category_rows: pd.DataFrame, own_members: Mapping[str, str | None] | Sequence[str],
                          tolerance_pp: float | None = None, snapshot_tolerance_hours: float | None = None) -> CategoryComparison:
    """Compare our sector's cap change with the provider's category cap change over the same window.

    Parameters
    ----------
    own : CapChange
        Our change; ``own.start`` / ``own.end`` are the snapshot times of the window ends (naive = UTC).
    category_rows : pd.DataFrame
        ``category_caps`` rows of ONE provider category: ts, market_cap_usd, market_cap_change_24h_pct,
        members (comma-separated provider ids or null), provider, category.
    own_members : mapping or sequence
        Our member id -> the provider's id for it (None: not listed there); a sequence compares ids as they are.
    tolerance_pp : float, optional
        Gap (percentage points) above which ``gap_exceeds_tolerance`` is set (default ``[sector]
        category_gap_tolerance_pp``).
    snapshot_tolerance_hours : float, optional
        A snapshot is "at" a window end when within this many hours of it (default ``[sector]
        category_snapshot_tolerance_hours``).

    Notes
    -----
    Provider change = cap(snapshot nearest the end) / cap(snapshot nearest the start) - 1 when both lie within
    the tolerance of the two ends (and differ); otherwise the end snapshot's own 24 h change field (only a like
    comparison for a window of about 24 h). Gaps come from membership (the provider's category holds other
    coins), members without data on our side, and the provider's cap definitions (circulating supply, timing).
    """
    cfg = defaults("sector")
    tol = float(cfg["category_gap_tolerance_pp"] if tolerance_pp is None else tolerance_pp)
    snap_tol = pd.Timedelta(hours=float(cfg["category_snapshot_tolerance_hours"] if snapshot_tolerance_hours is None else snapshot_tolerance_hours))
    if category_rows is None or category_rows.empty:
        raise DataError("no provider category snapshots to compare with; fetch them (selloff fetch --source coingecko)")
    rows = category_rows.assign(ts=pd.to_datetime(category_rows["ts"], utc=True)).sort_values("ts").reset_index(drop=True)
    provider, category = str(rows["provider"].iloc[0]), str(rows["category"].iloc[0])
    t0, t1 = utc(own.start), utc(own.end)

    def nearest(t: pd.Timestamp) -> pd.Series | None:
        gap = (rows["ts"] - t).abs()
        i = gap.idxmin()
        return rows.loc[i] if gap.loc[i] <= snap_tol else None

    a, b = nearest(t0), nearest(t1)
    if b is None:
        raise DataError(f"no {provider} snapshot of category {category} within {snap_tol} of {t1}; fetch one for that time")
    if a is not None and a["ts"] != b["ts"]:
        prov_chg, method, p_start = 100.0 * (float(b["market_cap_usd"]) / float(a["market_cap_usd"]) - 1.0), "snapshots", pd.Timestamp(a["ts"])
    elif pd.notna(b.get("market_cap_change_24h_pct")):
        prov_chg, method, p_start = float(b["market_cap_change_24h_pct"]), "change_24h", None
    else:
        raise DataError(f"{provider} category {category}: no snapshot near {t0} and no 24 h change at {b['ts']}; fetch both ends")
    mapping = dict(own_members) if isinstance(own_members, Mapping) else {m: m for m in own_members}
    listed = b.get("members")
    stored = isinstance(listed, str) and bool(listed.strip())
    theirs = {x.strip() for x in listed.split(",") if x.strip()} if stored else set()
    only_ours = tuple(sorted(m for m, pid in mapping.items() if pid not in theirs)) if stored else ()
    only_prov = tuple(sorted(theirs - {pid for pid in mapping.values() if pid})) if stored else ()
    diff = own.change_pct - prov_chg
    return CategoryComparison(provider, category, own.change_pct, prov_chg, diff, method, p_start, pd.Timestamp(b["ts"]),
                              float(b["market_cap_usd"]), stored, only_ours, only_prov, tuple(own.missing), tol, bool(abs(diff) > tol))


def breadth(returns: pd.DataFrame, members: list[str], threshold: float) -> pd.Series:
    """Share of members (with a return that period) whose return is below ``threshold`` (a fraction, e.g. -0.05)."""
    present = _check_members(returns, members, "returns")
    r = returns[present]
    n = r.notna().sum(axis=1)
    return ((r < threshold).sum(axis=1) / n).where(n > 0).rename("breadth")


def at_n_day_low(close: pd.DataFrame, members: list[str], n: int) -> pd.Series:
    """Share of members whose close is the lowest of the last ``n`` observations (inclusive)."""
    present = _check_members(close, members, "prices")
    c = close[present]
    low = c.rolling(n, min_periods=n).min()
    hit = (c <= low) & low.notna()
    return (hit.sum(axis=1) / low.notna().sum(axis=1)).where(low.notna().sum(axis=1) > 0).rename(f"at_{n}d_low")


def contributions(returns: pd.DataFrame, weights: pd.DataFrame | None, members: list[str], on: object) -> pd.DataFrame:
    """Each member's contribution to the sector return on ``on``: w_{i,t-1} r_{i,t} / sum w (sums to the sector return)."""
    r, w = _returns_and_lagged_weights(returns, weights, members)
    if on not in r.index:
        raise DataError(f"no returns on {on}; pick a date inside the stored data")
    wt = w.loc[on] / w.loc[on].sum()
    out = pd.DataFrame({"ret": r.loc[on], "weight": wt, "contribution": wt * r.loc[on]}).dropna(subset=["ret"])
    return out.sort_values("contribution")


def period_return(close: pd.DataFrame, end: object, periods: int) -> pd.Series:
    """Simple return over the last ``periods`` observations ending at ``end`` (rows = observations)."""
    c = close.loc[:end]
    if len(c) <= periods:
        raise DataError(f"need {periods + 1} observations up to {end}, have {len(c)}; widen the stored history")
    return c.iloc[-1] / c.iloc[-1 - periods] - 1.0
