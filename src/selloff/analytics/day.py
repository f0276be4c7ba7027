"""One sector on one day: what fell, how hard, how broadly — the :class:`Analysis` a report is written from.

A pure function of a :class:`~selloff.analytics.panel.Panel` (data up to the end of the day only: no
look-ahead, so the stabilisation verdict is the one an analyst could have given that evening). Every figure is
computed by the module that owns its rule: sector returns and caps (:mod:`~selloff.analytics.sector`), sigma
and episodes (:mod:`~selloff.analytics.detect`), equity N-session moves
(:func:`~selloff.analytics.measures.trading_days_change`), liquidations
(:mod:`~selloff.analytics.liquidations`), source choice (:mod:`~selloff.analytics.sources_priority`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import pandas as pd

from selloff.analytics import detect, sector as sec
from selloff.analytics.detect import DetectParams, StabiliseParams
from selloff.analytics.frames import pivot_ts
from selloff.analytics.liquidations import LiquidationTotal, hourly_liquidations, liquidation_total
from selloff.analytics.measures import equity_sessions, trading_days_change
from selloff.analytics.panel import Panel
from selloff.analytics.sources_priority import select_series
from selloff.analytics.volatility import ewma_volatility
from selloff.errors import DataError
from selloff.texts import Text
from selloff.timeutil import day_start, end_of_day, utc_day
from selloff.universe import Sector, Universe

__all__ = ["Analysis", "DayParams", "analyse_day", "sector_weights", "sector_series"]

EQUITY_COLUMNS = ["session", "close", "ret_1d", "ret_5td", "ret_5d_chart", "window_start", "chart_start"]


@dataclass(frozen=True)
class DayParams:
    """Parameters of the day's analysis (from the config: ``[attribution]``, ``[sector]``, ``[sources]``)."""

    market_factor: str = "BTC"
    equity_basket: tuple[str, ...] = ("NVDA", "AMD", "MSFT", "GOOGL", "AMZN")
    equities: tuple[str, ...] = ()
    """Equities whose 1- and 5-session moves the analysis reports (the basket first)."""
    event_days_before: int = 3
    category_tolerance_hours: float = 6.0
    max_stale_days: float = 2.0
    """A cap weight older than this (days) is named in the output as carried forward."""
    priority: tuple[str, ...] = ()
    detect: DetectParams = field(default_factory=DetectParams)
    stabilise: StabiliseParams = field(default_factory=StabiliseParams)


@dataclass(frozen=True)
class Analysis:
    """Everything the report says about one sector on one day, computed from a panel."""

    sector_id: str
    sector_name: str
    sector_name_de: str
    date: pd.Timestamp
    simulated: bool
    members: pd.DataFrame
    """Per member: ret_1d, z_1d, close, prev_close, mcap_usd, ret_24h (to the end of ``date``), contribution."""
    sector_ret_1d: float
    weighting: str
    """``cap`` (market-cap weights of the previous day) or ``equal`` (no market caps stored for the members)."""
    sector_z_1d: float
    sector_ret_equal_1d: float
    breadth: float
    breadth_threshold_pct: float
    cap_change: sec.CapChange | None
    equities: pd.DataFrame
    """Per equity: last session <= date, close, ret_1d (1 session), ret_5td (5 full sessions), ret_5d_chart
    (5-day chart convention), window_start / chart_start (first close of each window)."""
    btc: dict
    liq_by_hour: pd.DataFrame
    events: pd.DataFrame
    episode: detect.Episode | None
    stabilisation: detect.Stabilisation | None
    sector_index: pd.Series
    signals: pd.DataFrame
    basket: pd.DataFrame
    """Daily closes of the AI-equity basket members, for the aligned figure."""
    dependencies: pd.DataFrame
    provenance: dict = field(default_factory=dict)
    sector_z_garch_1d: float = float("nan")
    """The day's sector move over its GARCH(1,1) sigma forecast from the days before (NaN with too little
    history); ``sector_z_1d`` is scaled by the ``vol_method`` sigma ([detect], EWMA by default)."""
    vol_method: str = "ewma"
    category_comparison: sec.CategoryComparison | None = None
    liquidation_total: LiquidationTotal | None = None
    """The day's liquidations as computed by :func:`~selloff.analytics.liquidations.liquidation_total`."""
    params: DayParams | None = None

    @property
    def liquidations(self) -> dict:
        """The day's liquidations as a dict (long_usd, short_usd, total_usd, assets, venues, coverage, sources,
        partial), read off :attr:`liquidation_total`; empty when no row carries liquidation data."""
        lt = self.liquidation_total
        if lt is None or lt.total_usd is None:
            return {}
        d = lt.to_dict()
        return {k: d[k] for k in ("long_usd", "short_usd", "total_usd", "assets", "venues", "coverage", "sources", "partial")}

    def to_frame(self) -> pd.DataFrame:
        """The members' moves (one row per member with a price that day)."""
        return self.members.copy()

    def to_dict(self) -> dict:
        """A JSON-able summary: the day, the sector's move, breadth, cap change, BTC, liquidations, provenance."""
        cc = self.cap_change
        return {
            "sector": self.sector_id, "date": self.date.date().isoformat(), "simulated": self.simulated,
            "window": {"start": day_start(self.date).isoformat(), "end": (day_start(self.date) + pd.Timedelta(days=1)).isoformat()},
            "method": {"weighting": self.weighting, "vol_method": self.vol_method,
                       "breadth_threshold_pct": self.breadth_threshold_pct},
            "sector_ret_1d": self.sector_ret_1d, "sector_z_1d": self.sector_z_1d, "sector_z_garch_1d": self.sector_z_garch_1d,
            "sector_ret_equal_1d": self.sector_ret_equal_1d, "breadth": self.breadth,
            "cap_change_pct": cc.change_pct if cc is not None else None,
            "btc": self.btc, "liquidations": self.liquidation_total.to_dict() if self.liquidation_total else None,
            "members": self.members.reset_index(names="asset").to_dict(orient="records"),
            "provenance": self.provenance,
        }


def sector_weights(panel: Panel, tok: Sequence[str]) -> pd.DataFrame | None:
    """Market caps as index weights, or ``None`` (equal weights) when the panel holds no caps for the members.

    Rule for sparse caps (e.g. monthly snapshots): each member's last known cap is carried forward to the days
    after it, so a day without a snapshot never blanks the whole sector; a member before its first cap has no
    weight that day (:func:`weights_note` names the members concerned).
    """
    return sec.carried_cap_weights(panel.mcap_daily, panel.close.index, tok)


def weights_note(panel: Panel, tok: Sequence[str], day: pd.Timestamp, max_stale_days: float) -> str | None:
    """How the cap weights of ``day`` were obtained when not from that day's own snapshots: members whose
    carried-forward cap is older than ``max_stale_days`` and members without any cap yet (None when all fresh)."""
    mc = panel.mcap_daily
    if mc.empty:
        return None
    prev = day - pd.Timedelta(days=1)
    stale, none = [], []
    for m in tok:
        s = mc[m].dropna() if m in mc.columns else pd.Series(dtype=float)
        s = s.loc[:prev]
        if s.empty:
            none.append(m)
        elif (prev - s.index[-1]).days > max_stale_days:
            stale.append((m, s.index[-1].date()))
    if not stale and not none:
        return None
    parts = ([f"last known cap carried forward for {', '.join(f'{m} ({d})' for m, d in stale)}"] if stale else []) + \
            ([f"no cap yet, left out of the weights: {', '.join(none)}"] if none else [])
    return Text("weights_stale", "; ".join(parts), stale=tuple(stale), none=tuple(none))


def sector_series(panel: Panel, members: Sequence[str]) -> tuple[pd.Series, list[str]]:
    """The sector's daily return (cap-weighted where caps exist) and the members with prices."""
    tok = [m for m in members if m in panel.close.columns]
    if not tok:
        raise DataError(f"no price data for any member of the sector ({', '.join(members)}); fetch them first")
    return sec.sector_returns(panel.returns, tok, sector_weights(panel, tok)), tok


def _garch_z(sr: pd.Series, d: pd.Timestamp, params: detect.DetectParams) -> float:
    """Sector move on ``d`` over the GARCH(1,1) sigma from the days before (NaN when it cannot be estimated)."""
    try:
        sigma = detect.sector_sigma(sr.loc[:d], params, "garch", start=d)  # only d's block is fitted
    except (ValueError, np.linalg.LinAlgError, DataError):
        return float("nan")
    return float(sr.loc[d] / sigma.loc[d]) if pd.notna(sigma.get(d)) else float("nan")


def _moves_24h(panel: Panel, assets: list[str], d: pd.Timestamp) -> pd.Series:
    """Each asset's move over the 24 hours to the end of ``d`` from hourly bars (empty without them)."""
    end = end_of_day(d)
    h = panel.hourly
    if h.empty:
        return pd.Series(dtype=float)
    h = h[h["asset"].isin(assets) & (h["ts"] >= end - pd.Timedelta(hours=49)) & (h["ts"] <= end)]
    if h.empty:
        return pd.Series(dtype=float)
    close = pivot_ts(h, "close")
    return close.iloc[-1] / close.iloc[-25] - 1.0 if len(close) > 24 else pd.Series(dtype=float)


EQUITY_WINDOW_DAYS = 40
"""Calendar days of daily bars before the day that the equities' 1- and 5-session moves are read from."""


def _equity_moves(panel: Panel, equities: Sequence[str], d: pd.Timestamp) -> pd.DataFrame:
    """1-session and 5-session moves (both conventions) of each equity to the last session on or before ``d``."""
    rows = []
    daily, by_asset = panel.daily, {}
    if not daily.empty:  # the readings need the last few sessions only (6 closes); 40 days hold them over any holidays
        daily = daily[(daily["ts"] >= day_start(d) - pd.Timedelta(days=EQUITY_WINDOW_DAYS))
                      & daily["asset"].isin(list(equities))]
        by_asset = dict(tuple(daily.groupby("asset", sort=False, observed=True)))
    for e in equities:
        bars = by_asset.get(e)  # a group is never empty
        if bars is None:
            continue
        s = equity_sessions(bars)  # once for the three windows
        r1, r5 = trading_days_change(bars, d, 1, sessions=s), trading_days_change(bars, d, 5, sessions=s)
        ch = trading_days_change(bars, d, 5, convention="chart", sessions=s)
        if r1.value is None or r5.value is None:
            continue
        ny = "America/New_York"
        rows.append({"asset": e, "session": r5.end.tz_convert(ny).tz_localize(None).normalize(), "close": r5.p1,
                     "ret_1d": r1.value / 100, "ret_5td": r5.value / 100,
                     "ret_5d_chart": ch.value / 100 if ch.value is not None else np.nan,
                     "window_start": r5.start.tz_convert(ny).tz_localize(None).normalize(),
                     "chart_start": ch.start.tz_convert(ny).tz_localize(None).normalize() if ch.start is not None else pd.NaT})
    return pd.DataFrame(rows).set_index("asset") if rows else pd.DataFrame(columns=EQUITY_COLUMNS)


def _category_comparison(panel: Panel, universe: Universe, s: Sector, cap_change: sec.CapChange | None,
                         p: DayParams) -> sec.CategoryComparison | None:
    """Our cap change against the provider's category (``coingecko_category`` of the sector), or None when the
    sector names no category, our change is unknown or no usable snapshot is in the panel."""
    rows = panel.category_caps
    if cap_change is None or not getattr(s, "coingecko_category", None) or rows.empty:
        return None
    # CapChange labels are days; the caps behind them are the 00:00 UTC snapshots after each day
    t0 = day_start(cap_change.start) + pd.Timedelta(days=1)
    t1 = day_start(cap_change.end) + pd.Timedelta(days=1)
    margin = pd.Timedelta(hours=p.category_tolerance_hours)
    rows = rows[(rows["provider"] == "coingecko") & (rows["category"] == s.coingecko_category)
                & (rows["ts"] >= t0 - margin) & (rows["ts"] <= t1 + margin)]
    if rows.empty:
        return None
    rows = select_series(rows, list(p.priority), keys=("provider", "category"))
    ids = {m: (universe.assets[m].coingecko_id if m in universe.assets else None) for m in s.members}
    try:
        return sec.compare_with_category(replace(cap_change, start=t0, end=t1), rows, ids)
    except DataError:
        return None


def _liquidations(panel: Panel, d: pd.Timestamp) -> tuple[LiquidationTotal, pd.DataFrame]:
    t0 = day_start(d)
    lt = liquidation_total(panel.derivatives, t0, t0 + pd.Timedelta(days=1))
    if lt.total_usd is None:
        return lt, pd.DataFrame()
    der = panel.derivatives
    return lt, hourly_liquidations(der[(der["ts"] >= t0) & (der["ts"] < t0 + pd.Timedelta(days=1))])


def _events(panel: Panel, d: pd.Timestamp, relevant: set[str], days_before: int) -> pd.DataFrame:
    ev = panel.events
    if ev.empty:
        return ev
    ev = ev[(ev["ts"] >= day_start(d) - pd.Timedelta(days=days_before)) & (ev["ts"] <= end_of_day(d))]
    if ev.empty:  # apply() on no rows keeps the str dtype, and str | bool raises (a day with no events near it)
        return ev
    hit = ev["assets"].fillna("").apply(lambda x: bool(relevant & set(x.split(",")))) | ev["entity"].isin(relevant)
    return ev[hit]


def analyse_day(panel: Panel, universe: Universe, sector: str, date: object, params: DayParams) -> Analysis:
    """The day's picture for ``sector`` on ``date`` (a UTC calendar day) from ``panel`` (data to its end only).

    Raises
    ------
    DataError
        When the date lies outside the panel's daily closes or the members have no prices that day.
    """
    s = universe.sector(sector)
    d = utc_day(date, "date")
    panel = panel.between(panel.start, end_of_day(d))
    cover = panel.close.index
    if cover.empty:
        raise DataError(f"date {d.date()} is outside the stored data: no daily bars for sector {s.id} before it; "
                        f"pick a date inside the data (selloff info) or fetch that window")
    if d < cover.min() or d > cover.max():
        raise DataError(f"date {d.date()} is outside the stored data ({cover.min().date()}..{cover.max().date()}); "
                        f"pick a date inside it or fetch that window")
    sr, tok = sector_series(panel, list(s.members))
    if d not in sr.index or pd.isna(sr.get(d)):
        raise DataError(f"no sector return for {d.date()}; the members lack prices that day")
    dp, mkt = params.detect, params.market_factor
    signals = detect.daily_signals(sr, panel.returns, tok, dp)
    r = panel.returns
    z = r[tok] / ewma_volatility(r[tok], dp.ewma_lambda, dp.min_history_days)
    weights = sector_weights(panel, tok)
    contrib = sec.contributions(r, weights, tok, d)
    ret_24h = _moves_24h(panel, tok + [mkt], d)
    members = pd.DataFrame({
        "ret_1d": r.loc[d, tok], "z_1d": z.loc[d, tok], "close": panel.close.loc[d, tok],
        "prev_close": panel.close[tok].shift(1).loc[d],
        "mcap_usd": panel.mcap_daily.reindex(columns=tok).loc[d] if d in panel.mcap_daily.index else np.nan,
        "ret_24h": ret_24h.reindex(tok), "contribution": contrib["contribution"].reindex(tok),
    })
    without_data = sorted(set(s.members) - set(members.dropna(subset=["ret_1d"]).index))
    members = members.dropna(subset=["ret_1d"]).sort_values("ret_1d")
    cap_change = None
    if not panel.mcap_daily.empty:
        try:
            cap_change = sec.market_cap_change(panel.mcap_daily.reindex(columns=tok), tok, d - pd.Timedelta(days=1), d)
        except DataError:
            cap_change = None
    btc = {}
    if mkt in r.columns and d in r.index and pd.notna(r.loc[d, mkt]):
        bsig = ewma_volatility(r[mkt], dp.ewma_lambda, dp.min_history_days)
        btc = {"asset": mkt, "ret_1d": float(r.loc[d, mkt]), "z_1d": float(r.loc[d, mkt] / bsig.loc[d]),
               "close": float(panel.close.loc[d, mkt]), "ret_24h": float(ret_24h.get(mkt, np.nan)) if len(ret_24h) else float("nan")}
    lt, liq_by_hour = _liquidations(panel, d)
    ev = _events(panel, d, set(s.members) | set(params.equities), params.event_days_before)
    eps = detect.detect_episodes(sr.loc[:d], r, tok, s.id, dp)
    episode = next((e for e in eps if e.start <= d <= e.trough or e.start <= d <= e.end), None)
    if episode is None:
        episode = next((e for e in eps if abs((e.start - d).days) <= 3), None)
    stab = None
    if episode is not None:
        try:
            stab = detect.stabilisation(sr, episode, asof=None, params=params.stabilise)
        except (ValueError, KeyError, DataError):
            stab = None
    idx = sec.sector_index(r.loc[:d], tok, weights.loc[:d] if weights is not None else None)
    basket = panel.close.reindex(columns=[b for b in params.equity_basket if b in panel.close.columns])
    deps = [{"token": m, "depends_on": a.id, "kind": e.kind, "reason": e.reason, "reason_de": e.reason_de}
            for m in tok for a, e in universe.dependencies(m)]
    base = panel.provenance()
    prov = {"tables": ["bars", "market_caps", "derivatives", "events"],
            "sources": {**base["sources"], "derivatives": list(lt.sources),
                        "events": sorted(ev["source"].unique()) if not ev.empty else []},
            "ranges": base["ranges"], "store": base["store"], "sector_members": list(members.index),
            "asset_sources": (panel.daily.groupby("asset")["source"].last().to_dict() if not panel.daily.empty else {}),
            "members_without_data": without_data,
            "weights": weights_note(panel, tok, d, params.max_stale_days) if weights is not None else "equal (no market caps)"}
    return Analysis(
        sector_id=s.id, sector_name=s.name, sector_name_de=s.name_de or s.name, date=d, simulated=panel.simulated,
        members=members, sector_ret_1d=float(sr.loc[d]), weighting="cap" if weights is not None else "equal",
        sector_z_1d=float(signals.loc[d, "z"]), sector_ret_equal_1d=float(sec.sector_returns(r, tok, None).loc[d]),
        breadth=float(signals.loc[d, "breadth"]), breadth_threshold_pct=dp.breadth_drop_pct, cap_change=cap_change,
        equities=_equity_moves(panel, params.equities, d), btc=btc, liq_by_hour=liq_by_hour,
        events=ev, episode=episode, stabilisation=stab, sector_index=idx, signals=signals, basket=basket,
        dependencies=pd.DataFrame(deps), provenance=prov, sector_z_garch_1d=_garch_z(sr, d, dp),
        vol_method=dp.vol_method, category_comparison=_category_comparison(panel, universe, s, cap_change, params),
        liquidation_total=lt, params=params,
    )
