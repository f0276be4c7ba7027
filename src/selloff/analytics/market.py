"""The whole market at once: every asset's daily close and cap on one dense day grid, every sector's index,
breadth and moves computed from it with numpy — no per-asset pandas work.

The rules are those of the per-sector path (:func:`selloff.analytics.day.sector_series`,
:func:`selloff.analytics.sector.sector_returns`, :func:`~selloff.analytics.sector.breadth`), restated on arrays;
``tests/analytics/test_market.py`` checks the two agree to 1e-12 on a panel with gaps, sparse caps and equities:

* a sector's rows are the days on which any member has a close; a member's return is close over its close on the
  sector's previous row (NaN across a missing close);
* weights are each member's last known cap on or before the previous row (caps carried forward), or equal weights
  when no member has any cap; a member without a cap yet has no weight;
* breadth is the share of members with a return that fell by more than the threshold.

Day labels: a token's daily bar is labelled with the UTC date of its open, an equity's or index's with the New
York date of its open (the session date), as in :func:`selloff.analytics.frames.session_date`. A market cap
snapshot at 00:00-00:59 UTC is the cap at the close of the UTC day before (:attr:`Panel.mcap_daily`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from selloff.errors import DataError

__all__ = ["DailyGrid", "SectorDaily", "build_grid", "close_moves", "sector_daily", "window_moves"]

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(frozen=True, eq=False)
class DailyGrid:
    """Daily closes and caps of many assets on consecutive calendar days.

    Attributes
    ----------
    days
        Consecutive calendar days (naive dates), the row labels.
    assets
        Column labels.
    close, cap
        ``(len(days), len(assets))`` float arrays, NaN where there is no bar / no cap at that day's close.
    """

    days: pd.DatetimeIndex
    assets: tuple[str, ...]
    close: np.ndarray
    cap: np.ndarray
    sources: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @cached_property
    def column(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.assets)}

    @cached_property
    def cap_carried(self) -> np.ndarray:
        """Each asset's last known cap on or before each day (NaN before its first)."""
        valid = ~np.isnan(self.cap)
        idx = np.where(valid, np.arange(len(self.days))[:, None], 0)
        np.maximum.accumulate(idx, axis=0, out=idx)
        out = np.take_along_axis(self.cap, idx, axis=0)
        out[~np.maximum.accumulate(valid, axis=0)] = np.nan
        return out

    def series(self, asset: str) -> pd.Series:
        """One asset's closes on the days it has one."""
        c = self.close[:, self.column[asset]]
        ok = ~np.isnan(c)
        return pd.Series(c[ok], index=self.days[ok], name=asset)


def _labels(ms: np.ndarray, ny: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of bar open times: UTC date, or New York date where ``ny``."""
    day = ms // DAY_MS
    if ny.any():
        t = pd.to_datetime(ms[ny], unit="ms", utc=True).tz_convert("America/New_York").tz_localize(None).normalize()
        day[ny] = (t.to_numpy("datetime64[D]").astype("int64"))
    return day


def build_grid(assets: Sequence[str], kinds: Mapping[str, str], bars: Mapping[str, np.ndarray],
               caps: Mapping[str, np.ndarray] | None = None, sources: Mapping[str, Sequence[str]] | None = None) -> DailyGrid:
    """The grid from flat arrays ``{"i": column, "ms": epoch ms of ts, "v": value}`` (one source per asset).

    Raises
    ------
    DataError
        No bars, or two daily bars of one asset on one day label.
    """
    assets = tuple(assets)
    if len(bars["i"]) == 0:
        raise DataError(f"no daily bars for {', '.join(assets[:8])}{' ...' if len(assets) > 8 else ''}; "
                        f"import or fetch daily data first")
    ny = np.array([kinds.get(a, "token") != "token" for a in assets], bool)
    bday = _labels(bars["ms"], ny[bars["i"]])
    caps = caps if caps is not None else {"i": np.zeros(0, "int32"), "ms": np.zeros(0, "int64"), "v": np.zeros(0)}
    at_close = (caps["ms"] % DAY_MS) < HOUR_MS
    ci, cms, cv = caps["i"][at_close], caps["ms"][at_close], caps["v"][at_close]
    cday = cms // DAY_MS - 1
    lo = int(min(bday.min(), cday.min() if len(cday) else bday.min()))
    hi = int(max(bday.max(), cday.max() if len(cday) else bday.max()))
    n = hi - lo + 1
    close = np.full((n, len(assets)), np.nan)
    close[bday - lo, bars["i"]] = bars["v"]
    if np.count_nonzero(~np.isnan(close)) != len(bday):
        flat = (bday - lo) * len(assets) + bars["i"]
        u, c = np.unique(flat, return_counts=True)
        d, a = divmod(int(u[c > 1][0]), len(assets))
        raise DataError(f"asset {assets[a]}: two daily bars for {pd.Timestamp(lo + d, unit='D').date()} "
                        f"(several sources?); select one source first")
    cap = np.full((n, len(assets)), np.nan)
    order = np.argsort(cms, kind="stable")  # a later snapshot in the same hour wins (assignment keeps the last)
    cap[cday[order] - lo, ci[order]] = cv[order]
    days = pd.DatetimeIndex(pd.to_datetime(np.arange(lo, hi + 1), unit="D"), name="date")
    return DailyGrid(days, assets, close, cap, dict(sources or {}))


@dataclass(frozen=True, eq=False)
class SectorDaily:
    """One sector's daily return (fraction), breadth (share) and members' returns, on the sector's rows."""

    ret: pd.Series
    breadth: pd.Series
    member_ret: pd.DataFrame
    members: tuple[str, ...]
    cap_weighted: bool


def sector_daily(grid: DailyGrid, members: Sequence[str], breadth_drop: float) -> SectorDaily | None:
    """The sector's index return and breadth (rules in the module docstring); None when no member has a close.

    ``breadth_drop`` is a fraction, e.g. -0.05.
    """
    cols = [grid.column[m] for m in members if m in grid.column]
    cols = [c for c in cols if not np.isnan(grid.close[:, c]).all()]
    if not cols:
        return None
    c = grid.close[:, cols]
    rows = np.flatnonzero(~np.isnan(c).all(axis=1))
    cs = c[rows]
    r = np.full(cs.shape, np.nan)
    r[1:] = cs[1:] / cs[:-1] - 1.0
    weighted = not np.isnan(grid.cap[:, cols]).all()
    w = np.full(cs.shape, np.nan)
    w[1:] = grid.cap_carried[rows[:-1]][:, cols] if weighted else 1.0
    has = ~np.isnan(r)
    w = np.where(has, w, np.nan)
    tot = np.nansum(w, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sr = np.where(tot > 0, np.nansum(w * r, axis=1) / np.where(tot > 0, tot, 1.0), np.nan)
        n = has.sum(axis=1)
        br = np.where(n > 0, (r < breadth_drop).sum(axis=1) / np.maximum(n, 1), np.nan)
    idx = grid.days[rows]
    names = tuple(grid.assets[i] for i in cols)
    return SectorDaily(pd.Series(sr, index=idx, name="sector"), pd.Series(br, index=idx, name="breadth"),
                       pd.DataFrame(r, index=idx, columns=list(names)), names, weighted)


def window_moves(ret: pd.Series, sigma: pd.Series, day: pd.Timestamp, windows: Sequence[int]) -> dict:
    """A sector's moves over the ``windows`` (calendar days) to its last row on or before ``day``.

    Returns ``asof`` (that row), and per window ``N``: ``move_Nd_pct`` = chain-linked index change over the
    rows in ``(asof - N days, asof]`` and ``z_Nd`` = that move over ``sigma * sqrt(rows)`` with ``sigma`` the
    one-step-ahead forecast for the window's first row (square-root-of-time scaling, uncorrelated days assumed).
    """
    r = ret.loc[:day]
    out: dict = {"asof": None}
    if r.empty:
        return out | {k: float("nan") for n in windows for k in (f"move_{n}d_pct", f"z_{n}d")}
    asof = r.index[-1]
    out["asof"] = pd.Timestamp(asof)
    for n in windows:
        w = r.loc[asof - pd.Timedelta(days=n - 1):]
        move = float(np.prod(1.0 + w.fillna(0.0).to_numpy())) - 1.0
        s0 = sigma.get(w.index[0], np.nan)
        out[f"move_{n}d_pct"] = 100.0 * move
        out[f"z_{n}d"] = float(move / (s0 * np.sqrt(len(w)))) if np.isfinite(s0) and s0 > 0 else float("nan")
    return out


def close_moves(close: pd.Series, day: pd.Timestamp, windows: Sequence[int]) -> dict:
    """One asset's moves over the ``windows`` (calendar days): its close on its last day on or before ``day``
    over its close on the last day on or before ``N`` days earlier, in per cent (crypto with daily closes: the
    same as :func:`selloff.analytics.measures.calendar_days_change`)."""
    c = close.loc[:day].dropna()
    out: dict = {"asof": pd.Timestamp(c.index[-1]) if len(c) else None}
    for n in windows:
        prev = c.loc[: c.index[-1] - pd.Timedelta(days=n)] if len(c) else c
        out[f"move_{n}d_pct"] = float(100.0 * (c.iloc[-1] / prev.iloc[-1] - 1.0)) if len(prev) else float("nan")
    return out
