"""Python API: wires the store to the analytics and returns DataFrames / result objects.

Everything here reads from a :class:`~selloff.store.Store`; the analytics it calls are pure functions.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from selloff.analytics import detect, sector as sec
from selloff.analytics.frames import pivot_daily, pivot_ts
from selloff.analytics.sources_priority import select_series
from selloff.analytics.volatility import ewma_volatility
from selloff.config import defaults
from selloff.errors import DataError
from selloff.simulate import SOURCE as SIMULATED, SimSpec, simulate_market
from selloff.store import Store
from selloff.universe import Universe


# -- building stores ----------------------------------------------------------------------------------------
def build_demo_store(store: Store, universe: Universe, spec: SimSpec | None = None) -> pd.DataFrame:
    """Write the simulated demo market into ``store`` in one transaction; returns rows per table."""
    t0 = time.perf_counter()
    market = simulate_market(universe, spec or SimSpec(**{k: v for k, v in defaults("simulate").items() if k in ("seed", "start", "end")},
                                                          announcement=defaults("simulate")["episode_announcement"]))
    rows = []
    with store.transaction():
        for table, frame in market.tables():
            res = store.upsert(table, frame, what="simulated demo market")
            rows.append({"table": table, "inserted": res.inserted, "updated": res.updated, "unchanged": res.unchanged})
        store.log_fetch("simulated", "ok", request=f"seed={market.spec.seed} {market.spec.start}..{market.spec.end}",
                        range_start=market.spec.start, range_end=market.spec.end, duration_s=time.perf_counter() - t0)
    return pd.DataFrame(rows)


# -- loading ------------------------------------------------------------------------------------------------
def select_sources(frame: pd.DataFrame, priority: list[str] | None = None, keys: tuple[str, ...] = ("asset", "interval")) -> pd.DataFrame:
    """Keep, per series, the rows of the best source that reaches the window's end (see
    :func:`selloff.analytics.sources_priority.select_series`); ``simulated`` only where nothing real exists."""
    if frame.empty:
        return frame
    prio = list(priority if priority is not None else defaults("sources")["priority"])
    return select_series(frame, prio, keys=keys)


@dataclass(frozen=True)
class Panel:
    """Daily closes (wide), daily returns, market caps and what they came from."""

    close: pd.DataFrame
    returns: pd.DataFrame
    mcap_daily: pd.DataFrame
    kinds: dict[str, str]
    sources: dict[str, list[str]]
    ranges: dict[str, tuple[pd.Timestamp, pd.Timestamp]]

    @property
    def simulated(self) -> bool:
        return any(SIMULATED in v for v in self.sources.values())


def load_panel(store: Store, universe: Universe, assets: list[str], start: object = None, end: object = None) -> Panel:
    """Daily closes and market caps for ``assets`` (best source per asset), from ``start`` to ``end``."""
    bars = store.read("bars", assets=assets, interval="1d", start=start, end=end)
    if bars.empty:
        raise DataError(
            f"no daily bars for {', '.join(assets)} between {start or 'the start'} and {end or 'the end'}; "
            f"run `selloff demo` or `selloff fetch --assets {','.join(assets)}`"
        )
    bars = select_sources(bars)
    kinds = {a: universe.asset(a).kind if a in universe.assets else "token" for a in bars["asset"].unique()}
    close = pivot_daily(bars, kinds)
    # the snapshot at 00:00 UTC after the last day is that day's closing market cap
    mc_end = None if end is None else pd.Timestamp(end) + pd.Timedelta(hours=1)
    mc = store.read("market_caps", assets=assets, start=start, end=mc_end)
    mc = select_sources(mc, keys=("asset",))
    if not mc.empty:
        # market cap at a day's close (00:00 UTC next day) labelled with that day, like the daily bar
        mc = mc[mc["ts"].dt.hour == 0]
        mc = mc.assign(date=(mc["ts"] - pd.Timedelta(days=1)).dt.tz_localize(None).dt.normalize())
        mcap = mc.pivot_table(index="date", columns="asset", values="market_cap_usd", aggfunc="last")
        mcap.columns.name = None
    else:
        mcap = pd.DataFrame(index=close.index)
    sources = {"bars": sorted(bars["source"].unique()), "market_caps": sorted(mc["source"].unique()) if not mc.empty else []}
    ranges = {"bars": (bars["ts"].min(), bars["ts"].max())}
    if not mc.empty:
        ranges["market_caps"] = (mc["ts"].min(), mc["ts"].max())
    return Panel(close, close.pct_change(fill_method=None), mcap, kinds, sources, ranges)


# -- scan ---------------------------------------------------------------------------------------------------
def _sector_weights(panel: Panel, tok: list[str]) -> pd.DataFrame | None:
    """Market caps as index weights, or ``None`` (equal weights) when the store holds no caps for the members."""
    weights = panel.mcap_daily.reindex(columns=tok) if not panel.mcap_daily.empty else None
    if weights is not None and weights.notna().sum().sum() == 0:
        weights = None
    return weights


def _sector_series(panel: Panel, members: list[str]) -> tuple[pd.Series, list[str]]:
    tok = [m for m in members if m in panel.close.columns]
    if not tok:
        raise DataError(f"no price data for any member of the sector ({', '.join(members)}); fetch them first")
    return sec.sector_returns(panel.returns, tok, _sector_weights(panel, tok)), tok


def scan(
    store: Store, universe: Universe, sector: str = "ai-crypto", since: object = None, until: object = None,
    params: detect.DetectParams | None = None,
) -> pd.DataFrame:
    """Collective sell-off episodes of ``sector`` between ``since`` and ``until`` (one row per episode)."""
    s = universe.sector(sector)
    params = params or detect.DetectParams.from_config()
    # history before ``since`` for the volatility that scales the first days (GARCH: its estimation window)
    warmup = params.vol_window_days if params.vol_method == "ewma" else params.garch_window_days + params.garch_min_obs
    start = None if since is None else pd.Timestamp(since, tz="UTC") - pd.Timedelta(days=warmup + 5)
    panel = load_panel(store, universe, list(s.members), start, None if until is None else _end_of_day(until))
    sr, tok = _sector_series(panel, list(s.members))
    eps = detect.detect_episodes(sr, panel.returns, tok, s.id, params)
    if since is not None:
        eps = [e for e in eps if e.start >= pd.Timestamp(since)]
    rows = [e.as_dict() for e in eps]
    df = pd.DataFrame(rows, columns=["sector", "start", "end", "trough", "depth_pct", "worst_day", "worst_day_pct",
                                      "worst_day_z", "max_breadth", "days", "breadth_path", "params"])
    df.attrs["simulated"] = panel.simulated
    df.attrs["sources"] = panel.sources
    df.attrs["vol_method"] = params.vol_method
    df = df.drop(columns=["breadth_path", "params"])
    df["depth_pct"] = df["depth_pct"].round(2)
    df["worst_day_pct"] = df["worst_day_pct"].round(2)
    df["worst_day_z"] = df["worst_day_z"].round(2)
    df["max_breadth"] = df["max_breadth"].round(3)
    return df


def _end_of_day(d: object) -> pd.Timestamp:
    t = pd.Timestamp(d)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.normalize() + pd.Timedelta(days=1, seconds=-1)


def _day(d: object) -> pd.Timestamp:
    t = pd.Timestamp(d)
    return (t.tz_convert("UTC").tz_localize(None) if t.tzinfo else t).normalize()


# -- analysis of one day ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Analysis:
    """Everything the report says about one sector on one day, computed from the store."""

    sector_id: str
    sector_name: str
    sector_name_de: str
    date: pd.Timestamp
    simulated: bool
    members: pd.DataFrame
    """Per member: ret_1d, z_1d, close, mcap_usd, ret_24h (to the end of ``date``), contribution."""
    sector_ret_1d: float
    weighting: str
    """``cap`` (market-cap weights of the previous day) or ``equal`` (no market caps stored for the members)."""
    sector_z_1d: float
    sector_ret_equal_1d: float
    breadth: float
    breadth_threshold_pct: float
    cap_change: sec.CapChange | None
    equities: pd.DataFrame
    """Per equity: session date used, ret_1d, ret_5td (5 trading days to the last session <= date)."""
    btc: dict
    liquidations: dict
    liq_by_hour: pd.DataFrame
    events: pd.DataFrame
    episode: detect.Episode | None
    stabilisation: detect.Stabilisation | None
    sector_index: pd.Series
    signals: pd.DataFrame
    basket: pd.DataFrame
    """Daily closes of the AI-equity basket members and the sector index, for the aligned figure."""
    dependencies: pd.DataFrame
    provenance: dict = field(default_factory=dict)
    sector_z_garch_1d: float = float("nan")
    """The day's sector move over its GARCH(1,1) sigma forecast from the days before (NaN with too little
    history); ``sector_z_1d`` is scaled by the ``vol_method`` sigma ([detect], EWMA by default)."""
    vol_method: str = "ewma"
    """The sigma behind ``sector_z_1d`` and the episode detection."""
    category_comparison: sec.CategoryComparison | None = None
    """Our sector cap change against the provider's category cap change (None when no category is stored)."""


def analyse(store: Store, universe: Universe, sector: str, date: object, lookback_days: int = 200) -> Analysis:
    """Compute the day's picture for ``sector`` on ``date`` (a UTC calendar day).

    Only data up to the end of ``date`` is used (no look-ahead): the stabilisation verdict is the one an analyst
    could have given that evening.
    """
    s = universe.sector(sector)
    d = _day(date)
    cfg = defaults("detect")
    start = pd.Timestamp(d, tz="UTC") - pd.Timedelta(days=lookback_days)
    end = _end_of_day(d)
    basket_ids = list(defaults("attribution")["equity_basket"])
    mkt = defaults("attribution")["market_factor"]
    equities = [a for a in dict.fromkeys([*basket_ids, *(m for x in ("ai-compute", "hyperscalers") if x in universe.sectors for m in universe.sector(x).members)])]
    ids = list(dict.fromkeys([*s.members, mkt, *equities]))
    try:
        panel = load_panel(store, universe, ids, start, end)
    except DataError:
        raise DataError(
            f"date {d.date()} is outside the stored data: no daily bars for sector {s.id} in the {lookback_days} days "
            f"to it; pick a date inside the data (selloff info) or fetch that window"
        ) from None
    cover = panel.close.index
    if d < cover.min() or d > cover.max():
        raise DataError(
            f"date {d.date()} is outside the stored data ({cover.min().date()}..{cover.max().date()}); "
            f"pick a date inside it or fetch that window"
        )
    sr, tok = _sector_series(panel, list(s.members))
    if d not in sr.index or pd.isna(sr.get(d)):
        raise DataError(f"no sector return for {d.date()}; the members lack prices that day")
    params = detect.DetectParams.from_config()
    signals = detect.daily_signals(sr, panel.returns, tok, params)
    z_garch = _garch_z(sr, d, params)
    r = panel.returns
    sig = ewma_volatility(r[tok], params.ewma_lambda, params.min_history_days)
    z = r[tok] / sig
    weights = _sector_weights(panel, tok)
    contrib = sec.contributions(r, weights, tok, d)
    # 24 h moves from hourly bars where present (to the end of the day)
    hourly = store.read("bars", assets=tok + [mkt], interval="1h", start=_end_of_day(d) - pd.Timedelta(hours=49), end=_end_of_day(d))
    hourly = select_sources(hourly)
    ret_24h = pd.Series(dtype=float)
    if not hourly.empty:
        hc = pivot_ts(hourly, "close")
        close_end = hc.loc[: _end_of_day(d)]
        if len(close_end) > 24:
            ret_24h = close_end.iloc[-1] / close_end.iloc[-25] - 1.0
    members = pd.DataFrame({
        "ret_1d": r.loc[d, tok],
        "z_1d": z.loc[d, tok],
        "close": panel.close.loc[d, tok],
        "prev_close": panel.close[tok].shift(1).loc[d],
        "mcap_usd": panel.mcap_daily.reindex(columns=tok).loc[d] if d in panel.mcap_daily.index else np.nan,
        "ret_24h": ret_24h.reindex(tok),
        "contribution": contrib["contribution"].reindex(tok),
    })
    without_data = sorted(set(s.members) - set(members.dropna(subset=["ret_1d"]).index))
    members = members.dropna(subset=["ret_1d"]).sort_values("ret_1d")
    sr_eq = sec.sector_returns(r, tok, None)
    cap_change = None
    if not panel.mcap_daily.empty:
        mcw = panel.mcap_daily.reindex(columns=tok)
        try:
            cap_change = sec.market_cap_change(mcw, tok, d - pd.Timedelta(days=1), d)
        except DataError:
            cap_change = None
    category_cmp = _category_comparison(store, universe, s, cap_change)
    # equities: last session on or before the day, 1 session and 5 sessions back
    eq_rows = []
    for e in equities:
        if e not in panel.close.columns:
            continue
        c = panel.close[e].dropna()
        c = c.loc[:d]
        if len(c) < 7:
            continue
        eq_rows.append({"asset": e, "session": c.index[-1], "close": c.iloc[-1], "ret_1d": c.iloc[-1] / c.iloc[-2] - 1,
                        "ret_5td": c.iloc[-1] / c.iloc[-6] - 1, "window_start": c.index[-6]})
    eq = pd.DataFrame(eq_rows).set_index("asset") if eq_rows else pd.DataFrame(columns=["session", "close", "ret_1d", "ret_5td", "window_start"])
    btc = {}
    if mkt in r.columns and d in r.index:
        bsig = ewma_volatility(r[mkt], params.ewma_lambda, params.min_history_days)
        btc = {"asset": mkt, "ret_1d": float(r.loc[d, mkt]), "z_1d": float(r.loc[d, mkt] / bsig.loc[d]), "close": float(panel.close.loc[d, mkt]),
               "ret_24h": float(ret_24h.get(mkt, np.nan)) if len(ret_24h) else float("nan")}
    # liquidations on the day (all assets in the derivatives table, best source per asset)
    der = store.read("derivatives", start=pd.Timestamp(d, tz="UTC"), end=_end_of_day(d))
    der = select_sources(der, keys=("asset", "interval", "venue"))
    liq = {}
    liq_by_hour = pd.DataFrame()
    if not der.empty:
        liq = {
            "long_usd": float(der["liq_long_usd"].sum()),
            "short_usd": float(der["liq_short_usd"].sum()),
            "assets": sorted(der["asset"].unique()),
            "venues": sorted(der["venue"].unique()),
            "coverage": sorted(set(der["coverage"].dropna())),
            "sources": sorted(der["source"].unique()),
        }
        liq["total_usd"] = liq["long_usd"] + liq["short_usd"]
        if (der["interval"] == "1h").any():
            h = der[der["interval"] == "1h"]
            liq_by_hour = h.groupby("ts")[["liq_long_usd", "liq_short_usd"]].sum()
    ev = store.read("events", start=pd.Timestamp(d, tz="UTC") - pd.Timedelta(days=3), end=_end_of_day(d))
    relevant = set(s.members) | set(equities)
    if not ev.empty:
        ev = ev[ev["assets"].fillna("").apply(lambda x: bool(relevant & set(x.split(",")))) | ev["entity"].isin(relevant)]
    eps = detect.detect_episodes(sr.loc[:end.tz_localize(None)], r, tok, s.id, params)
    episode = next((e for e in eps if e.start <= d <= e.trough or e.start <= d <= e.end), None)
    if episode is None:
        episode = next((e for e in eps if abs((e.start - d).days) <= 3), None)
    stab = None
    if episode is not None:
        try:
            stab = detect.stabilisation(sr, episode, asof=None, params=detect.StabiliseParams.from_config())
        except (ValueError, KeyError):
            stab = None
    idx = sec.sector_index(r.loc[:_day(end)], tok, weights.loc[:_day(end)] if weights is not None else None)
    basket = panel.close.reindex(columns=[b for b in basket_ids if b in panel.close.columns])
    deps = []
    for m in tok:
        for asset, edge in universe.dependencies(m):
            deps.append({"token": m, "depends_on": asset.id, "kind": edge.kind, "reason": edge.reason, "reason_de": edge.reason_de})
    prov = {
        "tables": ["bars", "market_caps", "derivatives", "events"],
        "sources": {**panel.sources, "derivatives": liq.get("sources", []), "events": sorted(ev["source"].unique()) if not ev.empty else []},
        "ranges": {k: (v[0].isoformat(), v[1].isoformat()) for k, v in panel.ranges.items()},
        "store": store.path,
        "sector_members": list(members.index),
        "members_without_data": without_data,
    }
    return Analysis(
        sector_id=s.id, sector_name=s.name, sector_name_de=s.name_de or s.name, date=d, simulated=panel.simulated,
        members=members, sector_ret_1d=float(sr.loc[d]), weighting="cap" if weights is not None else "equal", sector_z_1d=float(signals.loc[d, "z"]),
        sector_ret_equal_1d=float(sr_eq.loc[d]), breadth=float(signals.loc[d, "breadth"]),
        breadth_threshold_pct=params.breadth_drop_pct, cap_change=cap_change, equities=eq, btc=btc,
        liquidations=liq, liq_by_hour=liq_by_hour, events=ev, episode=episode, stabilisation=stab,
        sector_index=idx, signals=signals, basket=basket, dependencies=pd.DataFrame(deps), provenance=prov,
        sector_z_garch_1d=z_garch, vol_method=params.vol_method, category_comparison=category_cmp,
    )


def _category_comparison(store: Store, universe: Universe, s, cap_change: sec.CapChange | None) -> sec.CategoryComparison | None:
    """Our cap change against the provider's category (``coingecko_category`` of the sector), or None when the
    sector names no category, our change is unknown or no usable snapshot is stored."""
    if cap_change is None or not getattr(s, "coingecko_category", None):
        return None
    # CapChange labels are days; the caps behind them are the 00:00 UTC snapshots after each day (see load_panel)
    t0 = pd.Timestamp(cap_change.start).tz_localize("UTC") + pd.Timedelta(days=1)
    t1 = pd.Timestamp(cap_change.end).tz_localize("UTC") + pd.Timedelta(days=1)
    margin = pd.Timedelta(hours=float(defaults("sector")["category_snapshot_tolerance_hours"]))
    rows = store.read("category_caps", start=t0 - margin, end=t1 + margin)
    if rows.empty:
        return None
    rows = rows[(rows["provider"] == "coingecko") & (rows["category"] == s.coingecko_category)]
    if rows.empty:
        return None
    prio = list(defaults("sources")["priority"])
    best = min(rows["source"].unique(), key=lambda x: prio.index(x) if x in prio else len(prio))
    ids = {m: (universe.assets[m].coingecko_id if m in universe.assets else None) for m in s.members}
    from dataclasses import replace

    try:
        return sec.compare_with_category(replace(cap_change, start=t0, end=t1), rows[rows["source"] == best], ids)
    except DataError:
        return None


def _garch_z(sr: pd.Series, d: pd.Timestamp, params: detect.DetectParams) -> float:
    """Sector move on ``d`` over the GARCH(1,1) sigma from the days before (NaN when it cannot be estimated)."""
    try:
        sigma = detect.sector_sigma(sr.loc[:d], params, "garch")
    except (ValueError, np.linalg.LinAlgError):
        return float("nan")
    return float(sr.loc[d] / sigma.loc[d]) if pd.notna(sigma.get(d)) else float("nan")


def store_path(path: str | Path | None) -> Path:
    from selloff.config import default_store_path

    return Path(path) if path else default_store_path()
