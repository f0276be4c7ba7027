"""Sector measures: cap- and equal-weighted index, sector market cap and its change, breadth, contributors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.errors import DataError


def _check_members(frame: pd.DataFrame, members: list[str], what: str) -> list[str]:
    present = [m for m in members if m in frame.columns]
    if not present:
        raise DataError(f"none of the sector's members {members} has {what}; fetch or import them first")
    return present


def sector_returns(returns: pd.DataFrame, members: list[str], weights: pd.DataFrame | None = None) -> pd.Series:
    """One-period sector return: sum_i w_{i,t-1} r_{i,t} over members with a return on t.

    ``weights`` are market caps (cap-weighted) taken at the end of the previous period; ``None`` means equal
    weights. Members without a return on t are left out and the weights renormalised over the rest.
    """
    present = _check_members(returns, members, "returns")
    r = returns[present]
    if weights is None:
        w = pd.DataFrame(1.0, index=r.index, columns=present)
    else:
        w = weights.reindex(index=r.index, columns=present).shift(1)
    w = w.where(r.notna())
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
    """Members left out because they lack a value at the start or the end (same members at both ends)."""


def market_cap_change(mcaps: pd.DataFrame, members: list[str], start: object, end: object) -> CapChange:
    """Change of the sector's market cap between the last observations at or before ``start`` and ``end``.

    Only members with a value at both ends count, so a member that appears or disappears cannot fake a move.
    """
    present = _check_members(mcaps, members, "market caps")
    m = mcaps[present].sort_index()
    a = m.loc[:start]
    b = m.loc[:end]
    if a.empty or b.empty:
        raise DataError(f"no market caps at or before {start} / {end}; pick a window inside the stored data")
    ra, rb = a.ffill().iloc[-1], b.ffill().iloc[-1]
    ok = ra.notna() & rb.notna()
    used = [c for c in present if ok[c]]
    if not used:
        raise DataError(f"no member has market caps at both {start} and {end}")
    ca, cb = float(ra[used].sum()), float(rb[used].sum())
    missing = tuple(sorted(set(members) - set(used)))
    return CapChange(pd.Timestamp(a.index[-1]), pd.Timestamp(b.index[-1]), ca, cb, 100.0 * (cb / ca - 1.0), tuple(used), missing)


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
    present = _check_members(returns, members, "returns")
    r = returns[present]
    if weights is None:
        w = pd.DataFrame(1.0, index=r.index, columns=present)
    else:
        w = weights.reindex(index=r.index, columns=present).shift(1)
    w = w.where(r.notna())
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
