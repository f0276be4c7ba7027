"""Loading the whole market in one pass: for each table one grouped summary (which sources each asset has) and one
read of their rows as numpy arrays.

Source rule over a long history: each asset's sources are ranked by
:func:`selloff.analytics.sources_priority.rank_sources` (the ``[sources] priority``; simulated rows only for an asset
without any real source), and on each day the best-ranked source with a bar that day gives the close; no return is
computed across a change of source (:func:`selloff.analytics.market.build_grid`). This keeps a long export (Binance
since 2020) together with a short recent one (a window to 2026) instead of keeping the one that reaches the end and
dropping years — the panel path's :func:`~selloff.analytics.sources_priority.select_series` chooses one source for
its (short) window instead.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from selloff.analytics.market import (CAP_SHIFT, HOUR_MS, DailyGrid, day_labels, grid_on_days, no_daily_bars, place,
                                      placed_once)
from selloff.analytics.sources_priority import SIMULATED, choose_source, rank_sources
from selloff.pipeline.params import priority as source_priority
from selloff.errors import DataError
from selloff.store import Store
from selloff.store.arrays import Cells
from selloff.universe import Universe

__all__ = ["asset_kinds", "is_simulated", "load_grid", "pick_sources", "simulated_in"]

DAY = pd.Timedelta(days=1)


def pick_sources(summary: pd.DataFrame, priority: Sequence[str], step: pd.Timedelta | None = None) -> dict[str, str]:
    """Asset -> the source its series is read from, from a :meth:`Store.series_summary` (rows, last_ts per asset
    and source). ``step`` is the bar spacing for the end tolerance; None: each asset's span over its rows."""
    out: dict[str, str] = {}
    for asset, g in summary.groupby("asset", sort=False):
        if len(g) == 1:
            out[asset] = str(g["source"].iloc[0])
            continue
        counts = dict(zip(g["source"], g["rows"].astype(int)))
        last = dict(zip(g["source"], g["last_ts"]))
        st = step
        if st is None:
            span = g["last_ts"].max() - g["first_ts"].min() if "first_ts" in g else pd.Timedelta(0)
            st = span / max(int(g["rows"].max()) - 1, 1)
        out[asset] = choose_source(counts, last, priority, st)
    return out


def asset_kinds(universe: Universe, assets: Sequence[str], registered: dict[str, str] | None = None) -> dict[str, str]:
    """Each asset's kind: the universe's, else the kind it was registered with on import, else ``token``."""
    reg = registered or {}
    return {a: universe.assets[a].kind if a in universe.assets else reg.get(a, "token") for a in assets}


def ranked_pairs(summary: pd.DataFrame, priority: Sequence[str], order: Sequence[str]) -> list[tuple[str, str, int]]:
    """(asset, source, rank) for every stored series of the assets in ``order`` (rank 0 = best; a simulated
    source only where the asset has no real one)."""
    by: dict[str, dict[str, int]] = {}
    for a, x, n in zip(summary["asset"].tolist(), summary["source"].tolist(), summary["rows"].tolist()):
        by.setdefault(a, {})[x] = int(n)
    out = []
    for a in order:
        counts = by.get(a)
        if not counts:
            continue
        ranked = list(counts) if len(counts) == 1 else rank_sources(counts, priority)
        if len(ranked) > 1 and any(x != SIMULATED for x in ranked):
            ranked = [x for x in ranked if x != SIMULATED]
        out += [(a, x, r) for r, x in enumerate(ranked)]
    return out


def _extent(bsum: pd.DataFrame, csum: pd.DataFrame, bpairs, cpairs, ny: dict[str, bool]) -> tuple[int, int]:
    """First and last day number the grid may need: the bars' exact (labels of each series' first and last bar),
    widened by the caps' (their first and last snapshot, at a close or not: the grid trims what stays empty)."""
    lo, hi = [], []
    for summ, pairs, caps in ((bsum, bpairs, False), (csum, cpairs, True)):
        if not pairs:
            continue
        want = pd.MultiIndex.from_tuples([(a, x) for a, x, _ in pairs])
        g = summ.set_index(["asset", "source"]).reindex(want)
        flags = np.array([ny[a] for a, _, _ in pairs], bool) if not caps else np.zeros(len(pairs), bool)
        for col, out in (("first_ts", lo), ("last_ts", hi)):
            ms = g[col].to_numpy("datetime64[ms]").astype("int64")
            days = day_labels(ms, flags) + (CAP_SHIFT if caps else 0)
            out.append(int(days.min() if out is lo else days.max()))
    return min(lo), max(hi)


def _cells(store: Store, table: str, value: str, pairs, col: dict[str, int], lo: int, n: int, ny: dict[str, bool] | None,
           *, shift: int = 0, with_ms: bool = False, **kw) -> dict:
    """One table's rows as grid cells; ``ny`` None: UTC dates for every pair (the caps: a snapshot at 00:00 UTC is
    the close of the UTC day before, whatever the asset)."""
    ranks = [r for _, _, r in pairs]
    cells = Cells([col[a] for a, _, _ in pairs], lo, n, shift, None if ny is None else [ny[a] for a, _, _ in pairs],
                  ranks if any(ranks) else None, with_ms)
    out = store.read_cells(table, value, [(a, x) for a, x, _ in pairs], cells, **kw)
    f = out["f"]
    if len(f) and (int(f.min()) < 0 or int(f.max()) >= n * len(col)):  # never placed silently off the grid
        raise DataError(f"{table}: a row's day lies outside the grid of days {lo}..{lo + n - 1} its summary gave; "
                        f"this is a bug in the grid read, please report it")
    return out


def _streamed(store: Store, table: str, value: str, pairs, col: dict[str, int], lo: int, n: int,
              ny: dict[str, bool] | None, *, shift: int = 0, **kw) -> tuple[tuple[np.ndarray, np.ndarray], int] | None:
    """One table's values written by the store straight into their cells of a new grid, as DuckDB streams them
    (:meth:`Store.scatter_cells`), with the rank grid and the row count — when every pair is its asset's only
    source (rank 0) and no cell got two rows (:func:`placed_once`); else None: the caller reads the cells and
    places them with :func:`place`, which ranks the sources and finds the cell hit twice."""
    if any(r for _, _, r in pairs):
        return None
    cells = Cells([col[a] for a, _, _ in pairs], lo, n, shift, None if ny is None else [ny[a] for a, _, _ in pairs])
    out = np.full((n, len(col)), np.nan, order="F")
    flat = out.reshape(-1, order="F")  # a view of the Fortran-ordered grid: the store writes the grid itself
    rows = store.scatter_cells(table, value, [(a, x) for a, x, _ in pairs], cells, flat, **kw)
    src = placed_once(out, rows)
    return None if src is None else ((out, src), rows)


def load_grid(store: Store, universe: Universe, assets: Sequence[str], end: pd.Timestamp | None = None) -> DailyGrid:
    """Daily closes and caps of ``assets`` from the first stored day to ``end`` (inclusive; None: all).

    Reads the whole history on purpose: the volatility that scales a move is computed on every day before it,
    so what a scan finds on a day does not depend on where the caller's window starts. One grouped summary and one
    read per table, whatever the number of assets and sectors; each row's cell on the grid is computed inside
    the query (the labels of :func:`~selloff.analytics.market.build_grid`). Where each asset has one source, the
    store writes the values into the grid as DuckDB streams them (:meth:`Store.scatter_cells`); else the cells
    are read (:meth:`Store.read_cells`), placed by source rank and freed before the next table is read. So the
    peak memory is the grid (and at most one table's cells).
    """
    ids = list(dict.fromkeys(assets))
    prio = source_priority()
    bsum = store.series_summary("bars", ids, interval="1d", end=end, with_first=True)
    bpairs = ranked_pairs(bsum, prio, ids)
    if not bpairs:
        raise no_daily_bars(ids)
    order = list(dict.fromkeys(a for a, _, _ in bpairs))
    col = {a: i for i, a in enumerate(order)}
    kinds = asset_kinds(universe, order, store.registered_kinds())
    ny = {a: k != "token" for a, k in kinds.items()}
    cend = None if end is None else end + pd.Timedelta(hours=1)  # the 00:00 UTC cap after the last day
    csum = store.series_summary("market_caps", order, end=cend, with_first=True)
    cpairs = ranked_pairs(csum, prio, order)
    lo, hi = _extent(bsum, csum, bpairs, cpairs, ny)
    n, width = hi - lo + 1, len(order)
    placed = _streamed(store, "bars", "close", bpairs, col, lo, n, ny, interval="1d", end=end)
    if placed is None:  # several sources of one asset, or two bars in one cell (place() names it)
        bars = _cells(store, "bars", "close", bpairs, col, lo, n, ny, interval="1d", end=end)
        placed = place(n, width, bars["f"], bars.get("rank"), bars["v"], None, order, lo, True), len(bars["f"])
        del bars
    (close, src), rows = placed
    if rows == 0:
        raise no_daily_bars(ids)  # every close of the series is null
    del placed
    cap = None
    if cpairs:
        kw = {"end": cend, "day_offset_below_ms": HOUR_MS, "shift": CAP_SHIFT}  # the caps at a close only
        streamed = _streamed(store, "market_caps", "market_cap_usd", cpairs, col, lo, n, None, **kw)
        if streamed is not None:
            cap = streamed[0][0]
            del streamed
        else:
            caps = _cells(store, "market_caps", "market_cap_usd", cpairs, col, lo, n, None, **kw)
            placed = place(n, width, caps["f"], caps.get("rank"), caps["v"], None, order, lo, False)
            if placed is None:  # two snapshots of one source at one close: read their times, the latest wins
                del caps
                caps = _cells(store, "market_caps", "market_cap_usd", cpairs, col, lo, n, None, with_ms=True, **kw)
                placed = place(n, width, caps["f"], caps.get("rank"), caps["v"], caps["ms"], order, lo, False)
            cap = placed[0]
            del caps, placed
    if cap is None:
        cap = np.full((n, width), np.nan, order="F")
    by: dict[str, dict[str, tuple[str, ...]]] = {"bars": {}, "market_caps": {}}
    for t, pairs in (("bars", bpairs), ("market_caps", cpairs)):
        for a, x, _ in pairs:
            by[t][a] = (*by[t].get(a, ()), x)
    sources = {t: sorted({x for xs in v.values() for x in xs}) for t, v in by.items()}
    return grid_on_days(order, lo, close, cap, src, sources, by)


def is_simulated(grid: DailyGrid) -> bool:
    """Whether any series on the grid is simulated (every output must then say so)."""
    return simulated_in(grid.sources)


def simulated_in(sources: dict) -> bool:
    """Whether any table's sources (``{table: [source, ...]}``) include the simulated market."""
    return any(SIMULATED in v for v in sources.values())
