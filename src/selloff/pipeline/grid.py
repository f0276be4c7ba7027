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

from selloff.analytics.market import HOUR_MS, DailyGrid, build_grid
from selloff.analytics.sources_priority import SIMULATED, choose_source, rank_sources
from selloff.pipeline.params import priority as source_priority
from selloff.store import Store
from selloff.universe import Universe

__all__ = ["asset_kinds", "load_grid", "pick_sources"]

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


def _read(store: Store, table: str, value: str, pairs: list[tuple[str, str, int]], col: dict[str, int], **kw) -> dict:
    arr = store.read_arrays(table, value, [(a, x) for a, x, _ in pairs], **kw)
    pc = np.array([col[a] for a, _, _ in pairs], "int32")
    pr = np.array([r for _, _, r in pairs], "int16")
    out = {"ms": arr["ms"], "v": arr["v"]}
    # one pass less over every row where the pairs already are the columns in order and all of rank 0 (the common
    # case: one source per asset); the grid reads a missing rank as 0
    out["i"] = arr["i"] if np.array_equal(pc, np.arange(len(pc))) else pc[arr["i"]]
    if pr.any():
        out["rank"] = pr[arr["i"]]
    return out


def load_grid(store: Store, universe: Universe, assets: Sequence[str], end: pd.Timestamp | None = None) -> DailyGrid:
    """Daily closes and caps of ``assets`` from the first stored day to ``end`` (inclusive; None: all).

    Reads the whole history on purpose: the volatility that scales a move is computed on every day before it,
    so what a scan finds on a day does not depend on where the caller's window starts. One grouped summary and one
    array read per table, whatever the number of assets and sectors.
    """
    ids = list(dict.fromkeys(assets))
    prio = source_priority()
    bpairs = ranked_pairs(store.series_summary("bars", ids, interval="1d", end=end), prio, ids)
    order = list(dict.fromkeys(a for a, _, _ in bpairs))
    col = {a: i for i, a in enumerate(order)}
    cend = None if end is None else end + pd.Timedelta(hours=1)  # the 00:00 UTC cap after the last day
    cpairs = ranked_pairs(store.series_summary("market_caps", order, end=cend), prio, order) if order else []
    bars = _read(store, "bars", "close", bpairs, col, interval="1d", end=end)
    caps = _read(store, "market_caps", "market_cap_usd", cpairs, col, end=cend, day_offset_below_ms=HOUR_MS)  # the caps at a close only
    sources = {"bars": sorted({x for _, x, _ in bpairs}), "market_caps": sorted({x for _, x, _ in cpairs})}
    return build_grid(order or ids, asset_kinds(universe, order, store.registered_kinds()), bars, caps, sources)


def is_simulated(grid: DailyGrid) -> bool:
    """Whether any series on the grid is simulated (every output must then say so)."""
    return any(SIMULATED in v for v in grid.sources.values())
