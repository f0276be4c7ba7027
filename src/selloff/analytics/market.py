"""The whole market at once: every asset's daily close and cap on one dense day grid, every sector's index,
breadth and moves computed from it with numpy — no per-asset pandas work.

The rules are those of the per-sector path (:func:`selloff.analytics.day.sector_series`,
:func:`selloff.analytics.sector.sector_returns`, :func:`~selloff.analytics.sector.breadth`), restated on arrays;
``tests/analytics/test_market.py`` checks the two agree to 1e-12 on a panel with gaps, sparse caps and equities:

* a sector's rows are the days on which any member has a close; a member's return is close over its close on the
  sector's previous row (NaN across a missing close, and across a change of source: see :func:`build_grid`);
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

__all__ = ["CAP_SHIFT", "DAY_MS", "HOUR_MS", "DailyGrid", "SectorDaily", "build_grid", "day_labels", "grid_on_days", "no_daily_bars", "place", "placed_once", "close_moves", "scan_block", "sector_daily", "window_moves"]

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
    source_rank: np.ndarray | None = None
    """Per cell, the rank of the source its close came from (-1: none); a return needs one source at both ends."""
    asset_sources: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """Per table, each asset's stored sources read onto the grid (what a subset of assets says it came from)."""

    def sources_of(self, assets: Sequence[str]) -> dict[str, list[str]]:
        """Per table, the sources the series of ``assets`` came from (like :attr:`sources` for a grid of them)."""
        if not self.asset_sources:  # a grid built without them (build_grid): the grid's own, never none
            return {t: list(v) for t, v in self.sources.items()}
        keep = list(dict.fromkeys(assets))  # the assets asked, not every asset of the grid (50 sectors: 0.36 s)
        return {t: sorted({x for a in keep for x in by.get(a, ())}) for t, by in self.asset_sources.items()}

    @cached_property
    def column(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.assets)}

    @cached_property
    def multi_source(self) -> bool:
        """Whether any close came from a source other than its asset's best (else no return crosses sources)."""
        return self.source_rank is not None and bool((self.source_rank > 0).any())

    def cap_carried(self, cols: Sequence[int] | None = None) -> np.ndarray:
        """Each asset's (of ``cols``; None: all) last known cap on or before each day (NaN before its first)."""
        cap = self.cap if cols is None else self.cap[:, cols]
        # pandas' forward fill (a compiled loop per column): about twice as fast as a numpy running-max of row
        # numbers and a gather (measured on 3,650 x 200 cells); copied out, so the caller gets its own array
        return pd.DataFrame(cap, copy=False).ffill().to_numpy(copy=True)

    def subset(self, assets: Sequence[str]) -> "DailyGrid":
        """The grid of ``assets`` only (those it holds), same days: what one partition of the scan needs."""
        cols = [self.column[a] for a in dict.fromkeys(assets) if a in self.column]
        sr = None if self.source_rank is None else self.source_rank[:, cols]
        names = tuple(self.assets[c] for c in cols)
        by = {t: {a: v[a] for a in names if a in v} for t, v in self.asset_sources.items()}
        return DailyGrid(self.days, names, self.close[:, cols], self.cap[:, cols],
                         self.sources_of(names), sr, by)

    def series(self, asset: str) -> pd.Series:
        """One asset's closes on the days it has one."""
        c = self.close[:, self.column[asset]]
        ok = ~np.isnan(c)
        return pd.Series(c[ok], index=self.days[ok], name=asset)


def day_labels(ms: np.ndarray, ny: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of bar open times: UTC date, or New York date where ``ny``."""
    day = ms // DAY_MS
    if ny.any():
        t = pd.to_datetime(ms[ny], unit="ms", utc=True).tz_convert("America/New_York").tz_localize(None).normalize()
        day[ny] = (t.to_numpy("datetime64[D]").astype("int64"))
    return day


CAP_SHIFT = -1
"""Day-label shift of a market-cap snapshot at 00:00-00:59 UTC: it is the cap at the close of the day before."""


def place(n: int, width: int, f: np.ndarray, rank: np.ndarray | None, v: np.ndarray, ms: np.ndarray | None,
          assets: Sequence[str], lo: int, strict: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Values on the (n, width) grid from their cells ``f = column * n + (day - lo)`` (column-major) and the rank
    of the source each came from: where several sources have one cell, the best (lowest) rank wins; two values of
    one source in one cell are an error when ``strict``, else the latest (``ms``) wins — None when that happens
    and ``ms`` was not given (the caller reads the times and calls again). ``rank`` None: every row of rank 0."""
    # column-major: the rows come asset by asset, so their cells are written (nearly) in memory order
    out = np.full((n, width), np.nan, order="F")
    if rank is None or not len(rank) or (rank == rank[0]).all():
        # one source rank: place every value, then count the cells that got one (see placed_once); otherwise (a
        # cell twice, or a stored NaN) the general path below decides
        flat = out.reshape(-1, order="F")
        flat[f] = v
        src = placed_once(out, len(f), 0 if rank is None or not len(rank) else int(rank[0]))
        if src is not None:
            return out, src
        flat[:] = np.nan
    src = np.full((n, width), -1, np.int16, order="F")
    o, s_ = out.reshape(-1, order="F"), src.reshape(-1, order="F")  # views: flat-index assignment without copies
    ranks = np.zeros(1, np.int16) if rank is None else np.unique(rank)
    seen = np.zeros(n * width, bool)
    for r in ranks[::-1]:  # worst source first: better ones overwrite it
        one = len(ranks) == 1
        idx = None if one else np.flatnonzero(rank == r)
        fr = f if one else f[idx]
        if len(ranks) > 1:
            seen[:] = False
        seen[fr] = True
        if np.count_nonzero(seen) != len(fr):  # two values of one source in one cell
            if strict:
                u, c = np.unique(fr, return_counts=True)
                a, d = divmod(int(u[c > 1][0]), n)
                raise DataError(f"asset {assets[a]}: two daily bars for {pd.Timestamp(lo + d, unit='D').date()} "
                                f"from one source; keep one bar per day in that source")
            if ms is None:
                return None
            idx = np.arange(len(f)) if idx is None else idx
            idx = idx[np.lexsort((ms[idx], f[idx]))]  # the latest snapshot of a cell is assigned last and wins
            fr = f[idx]
        o[fr] = v if idx is None else v[idx]
        s_[fr] = r
    return out, src


def placed_once(out: np.ndarray, rows: int, rank: int = 0) -> np.ndarray | None:
    """The source-rank grid of ``rows`` values of one source ``rank`` written into the NaN grid ``out`` by one
    scatter: ``rank`` where a cell holds a value, -1 where none. As many filled cells as rows (and no NaN value)
    means no cell got two, so no duplicate check and no rank scatter are needed; else None (the caller places the
    rows with :func:`place`'s general path, which finds the cell hit twice)."""
    empty = np.isnan(out)
    if out.size - np.count_nonzero(empty) != rows:
        return None
    src = empty.astype(np.int16)
    np.negative(src, out=src)
    if rank != 0:
        src[src == 0] = rank
    return src


def grid_on_days(assets: Sequence[str], lo: int, close: np.ndarray, cap: np.ndarray, src: np.ndarray,
                 sources: Mapping[str, Sequence[str]] | None,
                 asset_sources: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None) -> DailyGrid:
    """The grid of placed values on days ``lo, lo + 1, ...``, without the leading and trailing days on which no
    asset has a close or a cap (the caller's day range may be wider than the data)."""
    has = ~(np.isnan(close).all(axis=1) & np.isnan(cap).all(axis=1))
    rows = np.flatnonzero(has)
    if len(rows) and (rows[0] > 0 or rows[-1] < len(has) - 1):
        sl = slice(int(rows[0]), int(rows[-1]) + 1)
        close, cap, src, lo = close[sl], cap[sl], src[sl], lo + int(rows[0])
    days = pd.DatetimeIndex(pd.to_datetime(np.arange(lo, lo + close.shape[0]), unit="D"), name="date")
    return DailyGrid(days, tuple(assets), close, cap, dict(sources or {}), src, dict(asset_sources or {}))


def no_daily_bars(assets: Sequence[str]) -> DataError:
    """The error of a grid without any daily bar for ``assets``."""
    assets = tuple(assets)
    return DataError(f"no daily bars for {', '.join(assets[:8])}{' ...' if len(assets) > 8 else ''}; "
                     f"import or fetch daily data first")


def build_grid(assets: Sequence[str], kinds: Mapping[str, str], bars: Mapping[str, np.ndarray],
               caps: Mapping[str, np.ndarray] | None = None, sources: Mapping[str, Sequence[str]] | None = None) -> DailyGrid:
    """The grid from flat arrays ``{"i": column, "ms": epoch ms of ts, "v": value, "rank": source rank}``.

    ``rank`` (optional, default 0) orders an asset's sources, best = 0: on a day several sources have, the best
    one's value is used, and :func:`sector_daily` computes no return across a change of source (a return is never
    taken between two providers' prices). Caps are ranked the same way (they only weigh, they are never differenced).
    The store's whole-market read (:meth:`selloff.store.Store.read_cells`) places the rows inside the query with
    the same labels and :func:`place`.

    Raises
    ------
    DataError
        No bars, or two daily bars of one asset and source on one day label.
    """
    assets = tuple(assets)
    if len(bars["i"]) == 0:
        raise no_daily_bars(assets)
    ny = np.array([kinds.get(a, "token") != "token" for a in assets], bool)
    bday = day_labels(bars["ms"], ny[bars["i"]])
    caps = caps if caps is not None else {"i": np.zeros(0, "int32"), "ms": np.zeros(0, "int64"), "v": np.zeros(0)}
    at_close = (caps["ms"] % DAY_MS) < HOUR_MS
    crank = caps.get("rank")
    ci, cms, cv = caps["i"][at_close], caps["ms"][at_close], caps["v"][at_close]
    crank = None if crank is None else crank[at_close]
    cday = cms // DAY_MS + CAP_SHIFT
    lo = int(min(bday.min(), cday.min() if len(cday) else bday.min()))
    hi = int(max(bday.max(), cday.max() if len(cday) else bday.max()))
    n = hi - lo + 1
    close, src = place(n, len(assets), bars["i"].astype(np.int64) * n + (bday - lo), bars.get("rank"), bars["v"],
                       bars["ms"], assets, lo, True)
    cap, _ = place(n, len(assets), ci.astype(np.int64) * n + (cday - lo), crank, cv, cms, assets, lo, False)
    return grid_on_days(assets, lo, close, cap, src, sources)


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
    c = grid.close[:, cols]
    has_c = ~np.isnan(c)
    keep = has_c.any(axis=0)
    if not keep.any():
        return None
    if not keep.all():
        cols = [x for x, k in zip(cols, keep) if k]
        c, has_c = c[:, keep], has_c[:, keep]
    rows = np.flatnonzero(has_c.any(axis=1))
    every = len(rows) == c.shape[0]  # a close on every day of the grid: slices instead of row gathers
    cs = np.ascontiguousarray(c) if every else c[rows]  # C order: the row sums below add in the same order
    r = np.empty(cs.shape)
    r[0] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(cs[1:], cs[:-1], out=r[1:])
    r[1:] -= 1.0
    if grid.multi_source:
        sr_ = grid.source_rank[:, cols][rows]
        r[1:][sr_[1:] != sr_[:-1]] = np.nan  # no return across two sources
    cap = grid.cap[:, cols]
    with_cap = ~np.isnan(cap).all(axis=0)  # members with a cap on some day
    weighted = bool(with_cap.any())
    has = ~np.isnan(r)
    # a member's weight where it has a return and a cap (no cap yet: no weight); the sums below add the same terms
    # as nansum(w * r) and nansum(w), in the same order
    if weighted:
        w = np.empty(cs.shape)
        w[0] = 0.0
        w[1:] = cap[:-1] if every else cap[rows[:-1]]  # the cap at the previous row ...
        gap = np.isnan(w[1:]) & has[1:]
        carry = gap.any(axis=0) & with_cap
        if carry.any():  # ... or, where it has none, its last known one (only the members that need it)
            sub = [c for c, k in zip(cols, carry) if k]
            carried = grid.cap_carried(sub)
            w[1:, carry] = carried[:-1] if every else carried[rows[:-1]]
        drop = np.isnan(w)
        drop |= ~has
        w[drop] = 0.0
    else:
        w = has.astype(float)
    tot = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # no weight, no term (also against an infinite return after a zero close); a weight implies a return
        wr = np.where(w != 0.0, r, 0.0)
        wr *= w
        sr = np.where(tot > 0, wr.sum(axis=1) / np.where(tot > 0, tot, 1.0), np.nan)
        n = has.sum(axis=1)
        br = np.where(n > 0, (r < breadth_drop).sum(axis=1) / np.maximum(n, 1), np.nan)
    idx = grid.days[rows]
    names = tuple(grid.assets[i] for i in cols)
    return SectorDaily(pd.Series(sr, index=idx, name="sector"), pd.Series(br, index=idx, name="breadth"),
                       pd.DataFrame(r, index=idx, columns=list(names), copy=False), names, weighted)


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


def scan_block(grid: DailyGrid, block: Sequence[tuple[str, Sequence[str]]], params, stabilise) -> list[tuple[str, list | None]]:
    """Every episode of each ``(sector, members)`` in ``block`` on ``grid`` (None for a sector without data): one
    partition of ``scan --all`` (:func:`selloff.analytics.detect.detect_episodes` on :func:`sector_daily`), the
    same function on every engine."""
    from selloff.analytics import detect

    out: list[tuple[str, list | None]] = []
    for sector, members in block:
        sd = sector_daily(grid, members, params.breadth_drop_pct / 100.0)
        if sd is None or sd.ret.notna().sum() == 0:
            out.append((sector, None))
            continue
        sig = detect.signals_from(sd.ret, sd.breadth, params)
        out.append((sector, detect.detect_episodes(sd.ret, sd.member_ret, list(sd.members), sector, params,
                                                   signals=sig, stabilise=stabilise)))
    return out
