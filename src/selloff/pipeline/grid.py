"""Loading the whole market in one pass: for each table one grouped summary (to choose each asset's source by
:func:`selloff.analytics.sources_priority.choose_source`) and one read of the chosen rows as numpy arrays."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from selloff.analytics.market import DailyGrid, build_grid
from selloff.analytics.sources_priority import SIMULATED, choose_source
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


def load_grid(store: Store, universe: Universe, assets: Sequence[str], end: pd.Timestamp | None = None) -> DailyGrid:
    """Daily closes and caps of ``assets`` from the first stored day to ``end`` (inclusive; None: all).

    Reads the whole history on purpose: the volatility that scales a move is computed on every day before it,
    so what a scan finds on a day does not depend on where the caller's window starts.
    """
    ids = list(dict.fromkeys(assets))
    prio = source_priority()
    bsum = store.series_summary("bars", ids, interval="1d", end=end)
    bpick = pick_sources(bsum, prio, DAY)
    cend = None if end is None else end + pd.Timedelta(hours=1)  # the 00:00 UTC cap after the last day
    csum = store.series_summary("market_caps", ids, end=cend, with_first=True)
    cpick = pick_sources(csum, prio)
    order = [a for a in ids if a in bpick]
    col = {a: i for i, a in enumerate(order)}
    bars = store.read_arrays("bars", "close", [(a, bpick[a]) for a in order], interval="1d", end=end)
    cp = [(a, s) for a, s in cpick.items() if a in col]
    caps = store.read_arrays("market_caps", "market_cap_usd", cp, end=cend)
    caps["i"] = np.array([col[a] for a, _ in cp], "int32")[caps["i"]] if len(cp) else caps["i"]
    sources = {"bars": sorted(set(bpick[a] for a in order)), "market_caps": sorted(set(s for _, s in cp))}
    return build_grid(order or ids, asset_kinds(universe, order, store.registered_kinds()), bars, caps, sources)


def is_simulated(grid: DailyGrid) -> bool:
    """Whether any series on the grid is simulated (every output must then say so)."""
    return any(SIMULATED in v for v in grid.sources.values())
