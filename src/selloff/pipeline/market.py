"""Every sector at once: the all-sector scan and the market board, from one pass over the store.

One :func:`~selloff.pipeline.grid.load_grid` (a grouped summary and one array read per table), then per sector
numpy on the grid (:func:`selloff.analytics.market.sector_daily`) and the episode rules of
:mod:`selloff.analytics.detect`. The whole stored history is read, whatever the window asked for: the sigma of a
day comes from all days before it, so the episodes found on a day are the same for any ``since``/``until``
that encloses it (an episode starting before ``until`` is followed to the end of its life in the data after it).
The board (:func:`today`) reads only up to its day: it shows what was known then.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from selloff.analytics import detect
from selloff.analytics.frames import pivot_last
from selloff.analytics.intraday import sector_hourly_level, worst_in_window
from selloff.analytics.market import DailyGrid, close_moves, scan_block, sector_daily, window_moves
from selloff.compute import in_child, run_tasks
from selloff.config import defaults
from selloff.errors import DataError
from selloff.pipeline import params as P
from selloff.pipeline.grid import is_simulated, load_grid, pick_sources, simulated_in
from selloff.store import Store
from selloff.timeutil import end_of_day, parse_date
from selloff.universe import Universe

__all__ = ["MarketBoard", "MarketScan", "market_sectors", "scan_all", "scan_sectors", "today"]

EPISODE_COLUMNS = ["sector", "kind", "start", "end", "life_end", "end_reason", "trough", "depth_pct", "move_pct",
                   "move_z", "max_breadth", "score", "worst_day", "worst_day_pct", "worst_day_z", "days", "next_low",
                   "next_low_pct", "worst_24h_pct", "worst_24h_end", "intraday_low_pct", "intraday_low_ts"]


def market_sectors(universe: Universe, sectors=None) -> list[str]:
    """The sectors of an all-sector request: ``sectors`` or every sector of the universe except
    ``[market] exclude_sectors`` (stablecoins: no sell-off index)."""
    if sectors:
        return [universe.sector(s).id for s in sectors]
    skip = set(defaults("market")["exclude_sectors"])
    return [s for s in universe.sectors if s not in skip]


def _iso(x) -> str | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else pd.Timestamp(x).isoformat()


@dataclass(frozen=True)
class MarketScan:
    """Episodes of every sector, ranked by ``score`` (sigma-scaled move x breadth, largest first)."""

    since: pd.Timestamp | None
    until: pd.Timestamp | None
    episodes: tuple[detect.Episode, ...]
    sectors: tuple[str, ...]
    """Sectors scanned that have data."""
    without_data: tuple[str, ...]
    params: detect.DetectParams
    simulated: bool
    sources: dict = field(default_factory=dict)
    sector_sources: dict = field(default_factory=dict)
    """Per sector with data, the sources of its members' series per table."""

    def sector_result(self, sector: str):
        """One sector's part as the :class:`~selloff.pipeline.analysis.ScanResult` that ``selloff scan --sector``
        gives (the same episodes by start, its own sources and simulated flag): many sectors from one pass."""
        from selloff.pipeline.analysis import ScanResult

        if sector not in self.sector_sources:
            raise DataError(f"sector {sector} has no data in this scan; scanned with data: {', '.join(self.sectors)}")
        src = self.sector_sources[sector]
        eps = tuple(sorted((e for e in self.episodes if e.sector == sector), key=lambda e: e.start))
        return ScanResult(sector, self.since, self.until, eps, self.params, simulated_in(src), src)

    def to_frame(self) -> pd.DataFrame:
        rows = [{k: getattr(e, k) for k in EPISODE_COLUMNS} for e in self.episodes]
        df = pd.DataFrame(rows, columns=EPISODE_COLUMNS)
        df.attrs.update(simulated=self.simulated, sources=self.sources, vol_method=self.params.vol_method,
                        without_data=list(self.without_data))
        return df

    def to_dict(self) -> dict:
        df = self.to_frame()
        return {"since": _iso(self.since), "until": _iso(self.until), "simulated": self.simulated,
                "sources": self.sources, "sectors": list(self.sectors), "without_data": list(self.without_data),
                "vol_method": self.params.vol_method,
                "episodes": json.loads(df.to_json(orient="records", date_format="iso"))}


def _hourly_levels(store: Store, grid: DailyGrid, members: dict[str, tuple[str, ...]], want: set[str]) -> dict[str, pd.Series]:
    """The hourly index of each sector in ``want`` whose members have hourly bars (one summary, one read)."""
    assets = sorted({m for s in want for m in members[s]})
    if not assets:
        return {}
    hsum = store.series_summary("bars", assets, interval="1h")
    if hsum.empty:
        return {}
    pick = pick_sources(hsum, P.priority(), pd.Timedelta(hours=1))
    order = list(pick)
    arr = store.read_arrays("bars", "close", [(a, pick[a]) for a in order], interval="1h")
    ts = pd.to_datetime(arr["ms"], unit="ms", utc=True)
    wide = pd.DataFrame({"ts": ts, "a": np.asarray(order, dtype=object)[arr["i"]], "v": arr["v"]})
    wide = pivot_last(wide, "ts", "a", "v")
    caps = pd.DataFrame(grid.cap, index=grid.days, columns=list(grid.assets))
    out = {}
    for s in want:
        cols = [m for m in members[s] if m in wide.columns]
        if cols:
            cw = caps.reindex(columns=cols)
            w = cw if not cw.isna().all().all() else None
            out[s] = sector_hourly_level(wide[cols], w)
    return out


def scan_sectors(store: Store, universe: Universe, sectors: list[str], since=None, until=None,
                 params: detect.DetectParams | None = None, stabilise: detect.StabiliseParams | None = None,
                 intraday: bool = True, engine=None) -> MarketScan:
    """Episodes of ``sectors`` starting between ``since`` and ``until`` (UTC days, inclusive), ranked by score.

    ``engine`` (a :class:`selloff.compute.Engine`; default ``[compute]``): with ``dask`` the sectors are split into
    blocks, each scanned on the grid of its members (:func:`selloff.analytics.market.scan_block`) on the cluster;
    the episodes are the same as on the local engine."""
    p = params or P.detect_params()
    stab = stabilise or detect.StabiliseParams.from_config()
    d0, d1 = parse_date(since, "since"), parse_date(until, "until")
    if d0 is not None and d1 is not None and d0 > d1:
        raise DataError(f"since {d0.date()} is after until {d1.date()}; swap them")
    members = {s: universe.sector(s).members for s in sectors}
    # the whole history, before since and after until: an episode's sigma, life and next low never depend on the window
    grid = load_grid(store, universe, list(dict.fromkeys(m for s in sectors for m in members[s])))
    eng = engine or P.compute_engine()
    blocks = [list(b) for b in np.array_split(np.array(sectors, dtype=object), max(1, min(len(sectors), 4 * eng.workers)))
              if len(b)] if eng.name == "dask" else [list(sectors)]
    tasks = [(grid.subset([m for s in b for m in members[s]]) if eng.name == "dask" else grid,
              [(s, members[s]) for s in b], p, stab) for b in blocks]
    found, with_data, without = [], [], []
    for s, eps in _scanned(tasks, eng):
        if eps is None:
            without.append(s)
            continue
        with_data.append(s)
        found += [e for e in eps if (d0 is None or e.start >= d0) and (d1 is None or e.start <= d1)]
    if intraday and found:
        levels = _hourly_levels(store, grid, members, {e.sector for e in found})
        found = [replace(e, **worst_in_window(levels[e.sector], e.start, e.life_end)) if e.sector in levels else e
                 for e in found]
    found.sort(key=lambda e: (-(e.score if np.isfinite(e.score) else -np.inf), e.start, e.sector))
    return MarketScan(d0, d1, tuple(found), tuple(with_data), tuple(without), p, is_simulated(grid), dict(grid.sources),
                      {s: grid.sources_of(members[s]) for s in with_data})


def _scanned(tasks: list[tuple], eng) -> list[tuple[str, list | None]]:
    """Every (sector, episodes) of the tasks, in the sectors' order. On the local engine with ``[market]
    scan_processes = 2``, the second half of the sectors (by members) is scanned in a forked child meanwhile
    (:func:`selloff.compute.in_child`: the same function on the same grid, so the same episodes)."""
    if eng.name != "local" or int(defaults("market")["scan_processes"]) < 2 or len(tasks[0][1]) < 2:
        return [x for part in run_tasks(scan_block, tasks, eng) for x in part]
    grid, block, p, stab = tasks[0]
    size = np.cumsum([len(m) for _, m in block])
    cut = int(np.searchsorted(size, size[-1] / 2.0)) + 1
    cut = min(max(cut, 1), len(block) - 1)
    child = in_child(scan_block, grid, block[cut:], p, stab)
    try:
        first = scan_block(grid, block[:cut], p, stab)
    except BaseException:
        child.cancel()
        raise
    return first + child.result()


def scan_all(store: Store, universe: Universe, since=None, until=None, params: detect.DetectParams | None = None,
             sectors=None, engine=None) -> MarketScan:
    """Every sector's episodes (see :func:`scan_sectors`; sectors from :func:`market_sectors`)."""
    return scan_sectors(store, universe, market_sectors(universe, sectors), since, until, params, engine=engine)


# -- the market board ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MarketBoard:
    """What fell, across the market, on one day: one row per sector with data, and the benchmarks.

    ``sectors`` columns: sector, name, asof (the sector's last day on or before ``date``), members (with a
    price), ``move_Nd_pct`` and ``z_Nd`` per window, breadth (share of members down more than ``[detect]
    breadth_drop_pct`` on ``asof``), episode (kind and start of the episode whose life holds ``asof``),
    episode_depth_pct, and ``vs_<benchmark>_Nd_pp`` (sector move minus the benchmark's, percentage points).
    ``benchmarks``: asset, name, asof and ``move_Nd_pct`` per window.
    """

    date: pd.Timestamp
    windows: tuple[int, ...]
    sectors: pd.DataFrame
    benchmarks: pd.DataFrame
    without_data: tuple[str, ...]
    simulated: bool
    sources: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The sector rows (``attrs``: date, simulated, sources)."""
        df = self.sectors.copy()
        df.attrs.update(date=self.date.date().isoformat(), simulated=self.simulated, sources=self.sources)
        return df

    def to_dict(self) -> dict:
        def rows(df: pd.DataFrame) -> list[dict]:
            return json.loads(df.to_json(orient="records", date_format="iso"))

        return {"date": self.date.date().isoformat(), "windows_days": list(self.windows), "simulated": self.simulated,
                "sources": self.sources, "sectors": rows(self.sectors), "benchmarks": rows(self.benchmarks),
                "without_data": list(self.without_data)}


def _board_day(grid: DailyGrid, universe: Universe) -> pd.Timestamp:
    """The last day on which any token has a close (else any asset)."""
    tok = [i for i, a in enumerate(grid.assets) if a in universe.assets and universe.assets[a].kind == "token"]
    cols = tok or list(range(len(grid.assets)))
    has = ~np.isnan(grid.close[:, cols]).all(axis=1)
    return pd.Timestamp(grid.days[np.flatnonzero(has)[-1]])


def today(store: Store, universe: Universe, date=None, sectors=None) -> MarketBoard:
    """The market board of ``date`` (a UTC day; default: the last day with crypto data in the store)."""
    p, stab = P.detect_params(), detect.StabiliseParams.from_config()
    cfg = defaults("market")
    windows = tuple(int(n) for n in cfg["board_windows_days"])
    d = parse_date(date, "date")
    ids = market_sectors(universe, sectors)
    members = {s: universe.sector(s).members for s in ids}
    bench = [b for b in cfg["benchmarks"] if b in universe.assets]
    assets = list(dict.fromkeys([*(m for s in ids for m in members[s]), *bench]))
    try:
        grid = load_grid(store, universe, assets, None if d is None else end_of_day(d))
    except DataError:
        if d is None:
            raise
        raise DataError(f"date {d.date()}: no daily bars on or before it; pick a later --date "
                        f"(selloff info shows what the store holds)") from None
    d = d if d is not None else _board_day(grid, universe)
    brow, bmoves = [], {}
    for b in bench:
        if b in grid.column and not np.isnan(grid.close[:, grid.column[b]]).all():
            m = close_moves(grid.series(b), d, windows)
            if m["asof"] is not None:
                bmoves[b] = m
                brow.append({"asset": b, "name": universe.assets[b].name, **m})
    rows, without = [], []
    for s in ids:
        sd = sector_daily(grid, members[s], p.breadth_drop_pct / 100.0)
        if sd is None or sd.ret.loc[:d].notna().sum() == 0:
            without.append(s)
            continue
        sig = detect.signals_from(sd.ret, sd.breadth, p)
        mv = window_moves(sd.ret, sig["sigma_pct"] / 100.0, d, windows)
        eps = detect.detect_episodes(sd.ret, sd.member_ret, list(sd.members), s, p, signals=sig, stabilise=stab)
        act = next((e for e in reversed(eps) if e.contains(mv["asof"])), None)
        row = {"sector": s, "name": universe.sector(s).name, "asof": mv["asof"], "members": len(sd.members),
               **{k: v for k, v in mv.items() if k != "asof"},
               "breadth": float(sd.breadth.get(mv["asof"], np.nan)),
               "episode": None if act is None else f"{act.kind} {act.start.date()}",
               "episode_depth_pct": np.nan if act is None else act.depth_pct}
        for b, bm in bmoves.items():
            for n in windows:
                row[f"vs_{b}_{n}d_pp"] = row[f"move_{n}d_pct"] - bm[f"move_{n}d_pct"]
        rows.append(row)
    if not rows:
        raise DataError(f"no sector has daily data on or before {d.date()}; import or fetch prices (selloff import)")
    return MarketBoard(pd.Timestamp(d), windows, pd.DataFrame(rows), pd.DataFrame(brow), tuple(without),
                       is_simulated(grid), dict(grid.sources))
