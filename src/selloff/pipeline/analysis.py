"""Scan, analyse and explain: load the panel once, call the analytics, return typed results."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from selloff.analytics import detect
from selloff.analytics import sector as sec
from selloff.analytics.context import DayContext, day_context
from selloff.analytics.day import Analysis, analyse_day, sector_series, sector_weights
from selloff.analytics.explanation import Explanation, explain_day, with_network
from selloff.analytics.panel import Panel
from selloff.analytics.sector_network import SectorNetwork, sector_log_returns, sector_network
from selloff.config import defaults
from selloff.errors import DataError
from selloff.pipeline import params as P
from selloff.pipeline.load import load_panel
from selloff.store import Store
from selloff.timeutil import day_start, end_of_day, parse_date
from selloff.universe import Universe

__all__ = ["ScanResult", "analyse", "context_of", "day_assets", "day_panel", "explain", "network", "network_around",
           "network_assets", "network_of", "network_sectors", "scan", "scan_panel"]

SCAN_COLUMNS = ["sector", "start", "end", "trough", "depth_pct", "worst_day", "worst_day_pct", "worst_day_z",
                "max_breadth", "days"]
EXTRA_COLUMNS = ["kind", "life_end", "end_reason", "move_pct", "move_z", "score", "next_low", "next_low_pct",
                 "worst_24h_pct", "worst_24h_end", "intraday_low_pct", "intraday_low_ts"]
"""Bounded life, slides and intraday figures (issue 13), after the original columns."""


@dataclass(frozen=True)
class ScanResult:
    """Collective sell-off episodes of one sector over a window.

    ``episodes`` are :class:`~selloff.analytics.detect.Episode` records; :meth:`to_frame` gives one row each.
    """

    sector: str
    since: pd.Timestamp | None
    until: pd.Timestamp | None
    episodes: tuple[detect.Episode, ...]
    params: detect.DetectParams
    simulated: bool
    sources: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per episode (rounded for display); ``attrs`` carry simulated, sources and vol_method."""
        df = pd.DataFrame([e.as_dict() for e in self.episodes], columns=[*SCAN_COLUMNS, *EXTRA_COLUMNS, "breadth_path", "params"])
        df = df.drop(columns=["breadth_path", "params"])
        for c, nd in (("depth_pct", 2), ("worst_day_pct", 2), ("worst_day_z", 2), ("max_breadth", 3), ("move_pct", 2),
                      ("move_z", 2), ("score", 3), ("next_low_pct", 2), ("worst_24h_pct", 2), ("intraday_low_pct", 2)):
            df[c] = df[c].round(nd)
        df.attrs.update(simulated=self.simulated, sources=self.sources, vol_method=self.params.vol_method)
        return df

    def to_dict(self) -> dict:
        import json

        return {"sector": self.sector, "since": None if self.since is None else self.since.date().isoformat(),
                "until": None if self.until is None else self.until.date().isoformat(), "simulated": self.simulated,
                "sources": self.sources, "vol_method": self.params.vol_method,
                "episodes": json.loads(self.to_frame().to_json(orient="records", date_format="iso"))}


def scan_panel(panel: Panel, universe: Universe, sector: str, since: pd.Timestamp | None, until: pd.Timestamp | None,
               params: detect.DetectParams) -> ScanResult:
    """Episodes of ``sector`` in a loaded panel (pure; see :func:`scan`)."""
    s = universe.sector(sector)
    sr, tok = sector_series(panel, list(s.members))
    eps = detect.detect_episodes(sr, panel.returns, tok, s.id, params)
    if since is not None:
        eps = [e for e in eps if e.start >= since]
    prov = panel.provenance()["sources"]
    return ScanResult(s.id, since, until, tuple(eps), params, panel.simulated, prov)


def scan(store: Store, universe: Universe, sector: str = "ai-crypto", since: object = None, until: object = None,
         params: detect.DetectParams | None = None) -> ScanResult:
    """Collective sell-off episodes of ``sector`` starting between ``since`` and ``until`` (UTC days, inclusive).

    The one-sector case of :func:`selloff.pipeline.market.scan_sectors`: the whole stored history is read (one
    pass), so the sigma of a day comes from every day before it and the episodes on a day do not depend on
    ``since``/``until``.
    """
    from selloff.pipeline.market import scan_sectors

    s = universe.sector(sector)
    res = scan_sectors(store, universe, [s.id], since, until, params or P.detect_params())
    if not res.sectors:
        raise DataError(f"no daily bars for the members of sector {s.id} ({', '.join(s.members)}); "
                        f"run `selloff demo` or `selloff fetch --assets {','.join(s.members)}`")
    eps = tuple(sorted(res.episodes, key=lambda e: e.start))
    return ScanResult(s.id, res.since, res.until, eps, res.params, res.simulated, res.sources)


def day_assets(universe: Universe, sector: str) -> list[str]:
    """Every asset a day's analysis and explanation need: members, the market factor, the equities."""
    s = universe.sector(sector)
    dp, xp = P.day_params(universe), P.explain_params()
    return list(dict.fromkeys([*s.members, dp.market_factor, *dp.equities, *xp.equity_basket, xp.equity_market]))


def day_panel(store: Store, universe: Universe, sector: str, date: object, days: int, *, later: bool = False) -> Panel:
    """The panel for ``sector`` around ``date``: ``days`` of history to the end of the day, every table once.

    ``later``: also every row after the day (the report's "since then" and context peers and indices) and the
    sector network's members (:func:`network_assets`, for :func:`network_around`); the analyses narrow the panel
    back to the end of the day, so nothing after it enters them. Derivatives of assets outside the request are read
    from the day's start only (the day's market-wide liquidations are all the analyses use of them).
    """
    s = universe.sector(sector)
    d = parse_date(date, "date")
    assets = day_assets(universe, s.id)
    if later:
        cp = P.context_params()
        assets = list(dict.fromkeys([*assets, *(a for a in (*cp.peers, *cp.indices) if a in universe.assets),
                                     *network_assets(universe, s.id)]))
    try:
        return load_panel(store, universe, assets, day_start(d) - pd.Timedelta(days=days), None if later else end_of_day(d),
                          intervals=("1d", "1h", "snapshot") if later else ("1d", "1h"), wide_from=day_start(d))
    except DataError:
        raise DataError(f"date {d.date()} is outside the stored data: no daily bars for sector {s.id} in the {days} days "
                        f"to it; pick a date inside the data (selloff info) or fetch that window") from None


def _history(panel: Panel, date: object, lookback: str) -> tuple[Panel, pd.Timestamp]:
    """The panel narrowed to the ``[pipeline] <lookback>`` days before ``date`` and the end of that day."""
    d = parse_date(date, "date")
    return panel.between(day_start(d) - pd.Timedelta(days=P.lookbacks()[lookback]), end_of_day(d)), d


def analysis_of(panel: Panel, universe: Universe, sector: str, date: object) -> Analysis:
    """The day's :class:`Analysis` from a loaded panel, on the ``[pipeline] analysis_days`` before the day."""
    sub, d = _history(panel, date, "analysis_days")
    return analyse_day(sub, universe, sector, d, P.day_params(universe))


def explanation_of(panel: Panel, universe: Universe, sector: str, date: object) -> Explanation:
    """The :class:`Explanation` from a loaded panel, on the ``[pipeline] explain_days`` before the day."""
    sub, d = _history(panel, date, "explain_days")
    return explain_day(sub, universe, sector, d, P.explain_params())


def context_of(panel: Panel, universe: Universe, sector: str, a: Analysis) -> DayContext:
    """The report's context block for the analysed day (:func:`~selloff.analytics.context.day_context`) from the
    same panel: peers, indices, volume, ranges, drawdowns, slide, catalysts, since then, snapshot moves."""
    s = universe.sector(sector)
    d = a.date
    sub = panel  # the whole loaded window (no narrowing copy): "since the data begin" means since the panel's start
    covered = [m for m in s.members if m in sub.close.columns and m in a.members.index]
    weights = sector_weights(sub, covered)
    level = sec.sector_index(sub.returns, covered, weights) if covered else pd.Series(dtype=float)
    if covered:  # the index ends with its members' last close, not with other assets' later bars
        level = level.loc[: sub.close[covered].dropna(how="all").index.max()]
    eqs = [e for e in a.params.equities if e in sub.returns.columns] if a.params else []
    return day_context(sub.daily, sub.bars_of("snapshot"), sub.events, dict(sub.kinds), level,
                       sub.close.reindex(columns=covered), sub.returns.reindex(columns=eqs).loc[:d], list(s.members),
                       covered, a.members["ret_1d"], d, P.context_params())


def analyse(store: Store, universe: Universe, sector: str, date: object) -> Analysis:
    """What fell on ``date`` (a UTC day) in ``sector``: members' moves, cap change, equities, BTC, liquidations."""
    panel = day_panel(store, universe, sector, date, P.lookbacks()["analysis_days"])
    return analysis_of(panel, universe, sector, date)


def explain(store: Store, universe: Universe, sector: str, date: object) -> Explanation:
    """Why it fell and whether it spreads: decomposition, event study, spillover, contagion, dependency, and the
    sector connectedness network of the whole universe before and with the episode."""
    panel = day_panel(store, universe, sector, date, P.lookbacks()["explain_days"])
    x = explanation_of(panel, universe, sector, date)
    try:
        net = network(store, universe, sector, date, panel)
    except DataError as exc:
        return with_network(x, None, f"no sector network: {exc}")
    return with_network(x, net, net.note())


def episode_around(panel: Panel, universe: Universe, sector: str, date: object, days: int) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The detected episode of ``sector`` that contains ``date`` (its start to the date, widened to at least
    ``days`` days so that the episode window differs from the pre-episode one by more than a session), else the
    ``days`` days to the date; with a phrase saying which."""
    d = parse_date(date, "date")
    s = universe.sector(sector)
    try:
        sr, tok = sector_series(panel, list(s.members))
        eps = detect.detect_episodes(sr.loc[:d], panel.returns.loc[:d], tok, s.id, P.detect_params())
    except DataError:
        eps = []
    floor = d - pd.Timedelta(days=days - 1)
    for e in eps:
        if e.start <= d <= e.end + pd.Timedelta(days=days):
            if e.start <= floor:
                return e.start, d, f"detected episode from {e.start.date()}"
            return floor, d, f"detected episode from {e.start.date()}, widened to the {days} days to {d.date()}"
    return floor, d, f"the {days} days to {d.date()} (no detected episode contains it)"


def network_sectors(universe: Universe, sector: str) -> dict[str, list[str]]:
    """The sectors of the network and the members that make each index: ``[connectedness] network_sectors`` (all
    but ``[market] exclude_sectors`` when empty) that the universe has, plus ``sector`` itself in full; every other
    sector from its first ``network_members`` members as the universe lists them (0: all), plus those of its
    members the report reads anyway (the day's assets, the context's peers and indices: they cost no extra read)."""
    want, n = P.network_selection()
    excluded = set(defaults("market")["exclude_sectors"])
    ids = [k for k in (want or universe.sectors) if k in universe.sectors and (want or k not in excluded)]
    own = universe.sector(sector).id
    cp = P.context_params()
    free = {*day_assets(universe, own), *cp.peers, *cp.indices}
    out = {}
    for k in dict.fromkeys([own, *ids]):
        mem = list(universe.sector(k).members)
        out[k] = mem if (k == own or n <= 0) else [m for i, m in enumerate(mem) if i < n or m in free]
    return out


def network_assets(universe: Universe, sector: str) -> list[str]:
    """The assets the sector network reads: the members of :func:`network_sectors`."""
    return sorted({m for v in network_sectors(universe, sector).values() for m in v})


def network_around(panel: Panel, universe: Universe, sector: str, date: object) -> SectorNetwork:
    """The sector network of ``explain`` from a panel already holding the network's members (pure): the panel
    narrowed to the ``[pipeline] explain_days`` to the end of ``date``, the episode of ``sector`` around it."""
    d = parse_date(date, "date")
    # the network reads daily closes and caps only: narrow those, not the hourly bars and derivatives
    daily = replace(panel, bars=panel.daily, **{t: getattr(panel, t).iloc[:0] for t in ("derivatives", "events", "category_caps")})
    sub = daily.between(day_start(d) - pd.Timedelta(days=P.lookbacks()["explain_days"]), end_of_day(d))
    start, end, how = episode_around(sub, universe, sector, d, P.network_params().episode_days)
    net = network_of(sub, universe, sector, start, end)
    return replace(net, method=f"{net.method} ({how})")


def network_of(panel: Panel, universe: Universe, sector: str, start: pd.Timestamp, end: pd.Timestamp) -> SectorNetwork:
    """The sector connectedness network of :func:`network_sectors` in a loaded panel (pure)."""
    p = P.network_params()
    sectors = network_sectors(universe, sector)
    r, skipped = sector_log_returns(panel, sectors, before=start, min_obs=p.min_obs)
    net = sector_network(r, start, end, p, skipped)
    _, n = P.network_selection()
    how = (f"each index from the first {n} listed members of its sector and those the report reads anyway, "
           f"{universe.sector(sector).id} in full"
           if n > 0 and any(len(v) < len(universe.sector(k).members) for k, v in sectors.items()) else "")
    return replace(net, method=f"{net.method}; {how}" if how else net.method)


def network(store: Store, universe: Universe, sector: str, date: object, sector_panel: Panel | None = None) -> SectorNetwork:
    """Is it spreading across the market: which sector transmits shocks to which, before ``sector``'s episode
    around ``date`` and with it. Reads the daily bars and caps of the network's members (:func:`network_sectors`)
    once, over the ``[pipeline] explain_days`` to the date."""
    d = parse_date(date, "date")
    days = P.lookbacks()["explain_days"]
    sp = sector_panel if sector_panel is not None else day_panel(store, universe, sector, date, days)
    p = P.network_params()
    start, end, how = episode_around(sp, universe, sector, d, p.episode_days)
    panel = load_panel(store, universe, network_assets(universe, sector), day_start(d) - pd.Timedelta(days=days),
                       end_of_day(d), tables=("bars", "market_caps"), intervals=("1d",))
    net = network_of(panel, universe, sector, start, end)
    return replace(net, method=f"{net.method} ({how})")
