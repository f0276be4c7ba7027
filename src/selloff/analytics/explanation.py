"""Why the sector moved and whether it spreads — attribution, event study, spillover, contagion and
dependency: the :class:`Explanation` of a sector's day, a pure function of a
:class:`~selloff.analytics.panel.Panel`.

All cross-asset work runs on the NYSE-session grid (crypto priced at each 16:00 New York close from hourly bars,
compounding over weekends and holidays); each table carries the alignment it used.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from selloff.analytics import attribution, calendar, contagion, dependency, event_study, spillover
from selloff.analytics.frames import pivot_daily, pivot_last, pivot_ts
from selloff.analytics.panel import Panel
from selloff.analytics.sector_network import SectorNetwork
from selloff.errors import DataError
from selloff.texts import Text, reason_of
from selloff.timeutil import day_start, end_of_day, utc_day
from selloff.universe import Universe

__all__ = ["BASKET", "SECTOR", "Explanation", "ExplainParams", "explain_day", "aligned_returns", "session_ranges",
           "with_network"]

SECTOR = "SECTOR_EW"
BASKET = "EQ_BASKET"


@dataclass(frozen=True)
class ExplainParams:
    """Parameters of the explanation (``[attribution]`` and ``[explain]`` of the config)."""

    market_factor: str = "BTC"
    equity_basket: tuple[str, ...] = ("NVDA", "AMD", "MSFT", "GOOGL", "AMZN")
    equity_market: str = "QQQ"
    window_days: int = 180
    hac_lags: int = 5
    rolling_betas_rows: int = 10
    min_obs: int = 30
    event_days_before: int = 10
    event_kinds: tuple[str, ...] = ("capex_guidance", "earnings", "macro", "guidance")
    est_window: tuple[int, int] = (-150, -11)
    spillover_lags: int = 2
    spillover_horizon: int = 10
    spillover_sessions: int = 250
    spillover_min_obs: int = 80
    spillover_rolling_window: int = 100
    spillover_rolling_rows: int = 30
    granger_lags: int = 3
    tail_during_sessions: int = 5
    correlation_window: int = 30
    correlation_rows: int = 10


@dataclass(frozen=True)
class Explanation:
    """Tables and notes of ``explain`` for one sector and day, with the numbers the notes are built from.

    ``nobs`` holds the observations behind each table (e.g. ``nobs["spillover"]``: sessions in the VAR);
    ``params`` the parameters used; ``notes`` the method or the reason a table is missing.
    """

    sector: str
    date: pd.Timestamp
    event_session: pd.Timestamp
    alignment: str
    simulated: bool
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    nobs: dict[str, int] = field(default_factory=dict)
    params: ExplainParams | None = None
    network: SectorNetwork | None = None

    def to_frame(self, table: str = "decomposition") -> pd.DataFrame:
        """One of the tables (the decomposition by default)."""
        return self.tables[table].copy()

    def to_dict(self) -> dict:
        """JSON-able: sector, dates, alignment, notes and every table as records."""
        import json

        return {"sector": self.sector, "date": self.date.date().isoformat(), "event_session": self.event_session.date().isoformat(),
                "alignment": self.alignment, "simulated": self.simulated, "notes": dict(self.notes), "nobs": dict(self.nobs),
                "tables": {k: json.loads(v.reset_index().to_json(orient="records", date_format="iso")) for k, v in self.tables.items()},
                "network": None if self.network is None else self.network.to_dict()}


def aligned_returns(panel: Panel, tokens: list[str], equities: list[str], mkt: str) -> calendar.AlignedReturns:
    """Log returns of the tokens, ``mkt`` and the equities on the NYSE-session grid (crypto priced at each
    16:00 New York close from hourly bars, else at the next 00:00 UTC daily close — the alignment says which)."""
    crypto = [*tokens, mkt]
    hourly = panel.hourly[panel.hourly["asset"].isin(crypto)] if not panel.hourly.empty else panel.hourly
    eq_cols = [e for e in equities if e in panel.close.columns]
    if not eq_cols:
        raise DataError(Text("no_basket_bars", f"no daily bars for the equity basket {equities}; fetch them (selloff fetch --source yahoo)",
                             basket=", ".join(equities)))
    eq_close = panel.close[eq_cols].dropna(how="all")
    if not hourly.empty:
        crypto_close = pivot_ts(hourly, "close")
    else:  # daily crypto bars: the 00:00 UTC close after the session is used (the alignment string says so)
        cc = panel.close[[c for c in crypto if c in panel.close.columns]]
        crypto_close = cc.set_axis(pd.DatetimeIndex(cc.index).tz_localize("UTC"), axis=0)
    return calendar.align_returns(crypto_close, eq_close, how="equity_close", kind="log")


_OHLC = ["open", "high", "low", "close"]


def session_ranges(panel: Panel, crypto: list[str], equities: list[str], period_end: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """Daily log range variance (Garman-Klass from open/high/low/close) per asset on the NYSE-session grid.

    Crypto bars (hourly, else daily) are pooled over each row's period — from the previous session close to this
    one, so weekends and holidays are one wider range, as the returns compound over them; equities use the
    session's own daily bar. Returns the wide frame (index as ``period_end``) and the assets without high/low.
    """
    daily = panel.daily[panel.daily["asset"].isin([*crypto, *equities])] if not panel.daily.empty else panel.daily
    hourly = panel.hourly[panel.hourly["asset"].isin(crypto)] if not panel.hourly.empty else panel.hourly
    src = hourly if not hourly.empty else daily[daily["asset"].isin(crypto)]
    step = pd.Timedelta(hours=1) if not hourly.empty else pd.Timedelta(days=1)
    ends = pd.DatetimeIndex(period_end.array)
    ends = ends.tz_localize("UTC") if ends.tz is None else ends.tz_convert("UTC")
    parts = []
    if not src.empty:
        bar_end = pd.DatetimeIndex(src["ts"] + step)
        row = ends.searchsorted(bar_end, side="left")  # first session close at or after the bar's close
        c = src.assign(row=row)
        c = c[(c["row"] > 0) & (c["row"] < len(ends))].sort_values("ts")
        g = c.groupby(["asset", "row"]).agg(open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"))
        g = g.reset_index()
        g["date"] = period_end.index[g["row"].to_numpy()]
        parts.append(g.drop(columns="row"))
    eq = daily[daily["asset"].isin(equities)]
    if not eq.empty:
        kinds = {a: panel.kinds.get(a, "equity") for a in eq["asset"].unique()}
        wide = {f: pivot_daily(eq, kinds, f) for f in _OHLC}
        long = pd.concat({f: w.stack() for f, w in wide.items()}, axis=1).reset_index()
        long.columns = ["date", "asset", *_OHLC]
        parts.append(long[long["date"].isin(period_end.index)])
    if not parts:
        return pd.DataFrame(index=period_end.index), sorted({*crypto, *equities})
    x = pd.concat(parts, ignore_index=True)
    v = x[_OHLC].to_numpy(dtype=float)
    good = np.isfinite(v).all(axis=1) & (v > 0).all(axis=1) & (x["high"] >= x["low"]).to_numpy()
    x = x[good]
    var = spillover.range_volatility(x["high"], x["low"], x["open"], x["close"], kind="variance")
    x = x.assign(lrv=np.log(var.where(var > 0)))
    out = pivot_last(x, "date", "asset", "lrv").reindex(period_end.index)
    without = sorted(a for a in {*crypto, *equities} if a not in out.columns or out[a].notna().sum() == 0)
    return out, without


def explain_day(panel: Panel, universe: Universe, sector: str, date: object, params: ExplainParams) -> Explanation:
    """Decomposition, event study, spillover and contagion for ``sector`` around ``date`` (no look-ahead).

    Tables: ``decomposition``; ``event_study_tokens`` (tokens against BTC) and ``event_study_equities`` (the
    AI-equity basket against ``equity_market``, when stored); ``spillover`` (Diebold-Yilmaz on returns) and
    ``spillover_vol`` (on log range variance, Garman-Klass/Parkinson 1980); ``rolling_betas`` (the sector's BTC
    and basket betas, each from the ``window_days`` sessions before it); contagion and dependency.

    The factor model and event study estimate on windows ending before the event, the spillover on the last
    ``spillover_sessions`` sessions to the event; the panel's start bounds the history used.
    """
    p = params
    s = universe.sector(sector)
    d = utc_day(date, "date")
    panel = panel.between(panel.start, end_of_day(d))
    mkt, basket_ids, market_eq = p.market_factor, list(p.equity_basket), p.equity_market
    al = aligned_returns(panel, list(s.members), [*basket_ids, market_eq], mkt)
    r = al.returns.copy()
    factors = {mkt, *basket_ids, market_eq}
    if set(s.members) <= factors:
        raise DataError(f"the members of {sector} are the explanation's own factors ({', '.join(sorted(factors))}); "
                        f"explain a sector of other assets, or change [attribution] in the config")
    tokens = [t for t in s.members if t in r.columns and r[t].notna().sum() > p.min_obs and t not in factors]
    if not tokens:
        raise DataError(Text("no_aligned_history", f"not enough aligned history for the members of {sector} before {d.date()}; "
                             f"fetch more history", sector=sector, day=d.date()))
    eqs = [e for e in basket_ids if e in r.columns and e != market_eq]
    r[SECTOR] = attribution.equal_weight_basket(r, tokens, name=SECTOR)
    r[BASKET] = attribution.equal_weight_basket(r, eqs, name=BASKET)
    sessions = r.index
    after = sessions[sessions >= d]
    if len(after) == 0:
        raise DataError(Text("no_session_after", f"{d.date()} is not an NYSE session and explain works on sessions with data up "
                             f"to the end of that day only (no look-ahead); pick the session before or after it", day=d.date()))
    ev = after[0]
    notes = {"alignment": al.alignment}
    nobs: dict[str, int] = {}
    tables: dict[str, pd.DataFrame] = {}

    # 1. attribution: factor model estimated before the event, decomposition of the event-session move
    try:
        fit = attribution.factor_model(r, [*tokens, SECTOR], [mkt, BASKET], window_end=ev,
                                       window=p.window_days if p.window_days < len(r) else len(r) - 5,
                                       hac_lags=p.hac_lags, alignment=al.alignment, min_obs=p.min_obs)
    except (ValueError, np.linalg.LinAlgError) as exc:  # collinear factors, too few distinct returns
        raise DataError(Text("factor_model_failed", f"the factor model of {sector} on {mkt} and the AI-equity basket cannot be "
                             f"estimated before {ev.date()} ({' '.join(str(exc).split())[:80]}); fetch more history or pick "
                             f"another sector", sector=sector, market=mkt, session=ev.date())) from None
    event_ret = r.loc[ev]
    dec = attribution.decompose_move(fit, event_ret)
    no_data = [a for a in dec.index if pd.isna(event_ret.get(a))]
    tables["decomposition"] = dec.drop(index=no_data)
    notes["decomposition"] = Text("decomposition", f"{fit.method}; event session {ev.date()}" + (
        f"; without a price on the event session: {', '.join(no_data)}" if no_data else ""),
        method=fit.method, session=ev.date(), no_data=", ".join(no_data))

    # 2. event study around stored announcements within the days before the date
    evs = panel.events
    if not evs.empty:
        evs = evs[(evs["ts"] >= day_start(d) - pd.Timedelta(days=p.event_days_before)) & evs["kind"].isin(list(p.event_kinds))]
    if not evs.empty:
        _event_studies(r, tokens, eqs, mkt, market_eq, evs, al, p, tables, notes)
    else:
        notes["event_study"] = Text("no_announcement", f"no stored announcement within {p.event_days_before} days before the date",
                                    days=p.event_days_before)

    # 3. spillover (Diebold-Yilmaz 2012) among the sector, the equity basket and BTC, before and up to the event
    spill_in = r[[SECTOR, BASKET, mkt]].loc[:ev].dropna().tail(p.spillover_sessions)
    if len(spill_in) >= p.spillover_min_obs:
        res = spillover.spillover_table(spill_in, lags=p.spillover_lags, horizon=p.spillover_horizon)
        tables["spillover"] = res.table
        roll = spillover.rolling_spillover(spill_in, window=min(p.spillover_rolling_window, len(spill_in) - 10),
                                           lags=p.spillover_lags, horizon=p.spillover_horizon)
        tables["spillover_rolling_total"] = roll[["total"]].tail(p.spillover_rolling_rows)
        nobs["spillover"] = int(res.nobs)
        notes["spillover"] = Text("spillover", f"{res.method}; total {res.total:.1f} % over {res.nobs} sessions to {ev.date()}",
                                  method=res.method, total=float(res.total), n=int(res.nobs), session=ev.date())
    else:
        notes["spillover"] = Text("spillover_short", f"only {len(spill_in)} aligned sessions; the spillover VAR needs "
                                  f"{p.spillover_min_obs}", n=len(spill_in), need=p.spillover_min_obs)

    # 3b. spillover on volatilities (DY 2012 proper): log range variance of the sector (mean over members), the
    # basket (mean over members) and BTC on the same grid
    lrv, no_range = session_ranges(panel, [*tokens, mkt], eqs, al.period_end)
    vol = pd.DataFrame({
        SECTOR: lrv.reindex(columns=[t for t in tokens if t in lrv.columns]).mean(axis=1),
        BASKET: lrv.reindex(columns=[e for e in eqs if e in lrv.columns]).mean(axis=1),
        mkt: lrv[mkt] if mkt in lrv.columns else np.nan,
    }, index=lrv.index)
    vol_in = vol.loc[:ev].dropna().tail(p.spillover_sessions)
    missing_note = f"; without high/low: {', '.join(no_range)}" if no_range else ""
    if len(vol_in) >= p.spillover_min_obs:
        vres = spillover.spillover_table(vol_in, lags=p.spillover_lags, horizon=p.spillover_horizon)
        tables["spillover_vol"] = vres.table
        nobs["spillover_vol"] = int(vres.nobs)
        notes["spillover_vol"] = Text("spillover_vol", f"{vres.method} on log range variance (Garman-Klass; crypto over each "
                                      f"session-to-session period); total {vres.total:.1f} % over {vres.nobs} sessions to "
                                      f"{ev.date()}{missing_note}", method=vres.method, total=float(vres.total),
                                      n=int(vres.nobs), session=ev.date(), no_range=", ".join(no_range))
    else:
        notes["spillover_vol"] = Text("spillover_vol_short", f"only {len(vol_in)} sessions with high/low for the sector, the "
                                      f"basket and {mkt}; the volatility spillover VAR needs {p.spillover_min_obs}{missing_note}",
                                      n=len(vol_in), market=mkt, need=p.spillover_min_obs, no_range=", ".join(no_range))

    # 3c. rolling betas of the sector on BTC and the basket, each from the window before its session
    bw = p.window_days
    betas = attribution.rolling_betas(r.loc[:ev], SECTOR, [mkt, BASKET], window=bw)
    betas = betas.dropna(subset=[mkt, BASKET]).tail(p.rolling_betas_rows)
    if len(betas):
        tables["rolling_betas"] = betas
        notes["rolling_betas"] = Text("rolling_betas", f"OLS on the {bw} sessions before each row (at least {bw // 2}); last "
                                      f"{len(betas)} sessions to {ev.date()}", window=bw, least=bw // 2, rows=len(betas),
                                      session=ev.date())
    else:
        notes["rolling_betas"] = Text("rolling_betas_short", f"fewer than {bw // 2} complete sessions in a {bw}-session window "
                                      f"before {ev.date()}", window=bw, least=bw // 2, session=ev.date())

    # 4. contagion: Granger, lead-lag, tail co-movement before vs during
    pre = r.loc[:ev].iloc[:-1]
    n_pre = len(pre.dropna(subset=[SECTOR, BASKET]))
    if n_pre >= p.min_obs:
        tables["granger"] = contagion.granger_causality(pre, BASKET, SECTOR, lags=p.granger_lags)
        tables["lead_lag"] = contagion.lead_lag_xcorr(pre, BASKET, SECTOR, max_lag=p.granger_lags)
        tables["granger_sensitivity"] = contagion.granger_sensitivity(r.loc[:ev], BASKET, SECTOR, lags=p.granger_lags)
    else:
        notes["granger"] = Text("granger_short", f"only {n_pre} aligned sessions before the event; Granger and lead-lag need "
                                f"{p.min_obs}", n=n_pre, need=p.min_obs)
    k = p.tail_during_sessions
    during_start = sessions[max(0, sessions.get_loc(ev) - k)]
    tables["tail_comovement"] = contagion.tail_comovement(
        r, SECTOR, BASKET, {"before": (sessions[0], sessions[max(0, sessions.get_loc(ev) - k - 1)]), "during": (during_start, ev)})
    cw = p.correlation_window
    tables["rolling_correlation"] = (contagion.rolling_correlation(r, SECTOR, BASKET, window=cw).dropna()
                                     .tail(p.correlation_rows).to_frame(f"corr_{cw}s"))
    nobs["rolling_correlation"] = cw

    # 5. dependency graph: does each token follow the companies it depends on more than the others do?
    deps = {t: sorted({a.id for a, _ in universe.dependencies(t) if a.id in r.columns}) for t in tokens}
    deps = {t: v for t, v in deps.items() if v}
    try:
        dep = dependency.dependency_exposure(r.loc[:ev], deps, tokens, min_obs=p.min_obs, alignment=al.alignment,
                                              control=mkt if mkt in r.columns else None)
        tables["dependency"] = dep.per_token
    except DataError as exc:  # e.g. no member depends on a company: the other tables stand
        notes["dependency"] = reason_of(exc)
    return Explanation(s.id, d, ev, al.alignment, panel.simulated, tables, notes, nobs, p)


def _event_studies(r: pd.DataFrame, tokens: list[str], eqs: list[str], mkt: str, market_eq: str, evs: pd.DataFrame,
                   al: calendar.AlignedReturns, p: ExplainParams, tables: dict, notes: dict) -> None:
    """Tokens against ``mkt`` and the AI-equity basket against ``market_eq`` around each stored announcement."""
    events = {f"{e.entity} {e.kind} {pd.Timestamp(e.ts).strftime('%Y-%m-%d %H:%M')}Z": e.ts for e in evs.itertuples()}
    lo, hi = p.est_window
    try:
        es = event_study.event_study(r, [*tokens, SECTOR], mkt, events, est_window=(lo, hi), period_end=al.period_end,
                                     min_est_obs=p.min_obs, alignment=al.alignment)
        tables["event_study_tokens"] = es.car
        tables["event_study_tests"] = es.tests
    except DataError as exc:
        notes["event_study"] = reason_of(exc)
    # the AI-equity basket against the equity market (QQQ): did the announcement move the equities themselves?
    if market_eq in r.columns and r[market_eq].notna().sum() > p.min_obs and eqs:
        try:
            es_eq = event_study.event_study(r, [*eqs, BASKET], market_eq, events, est_window=(lo, hi), period_end=al.period_end,
                                            min_est_obs=p.min_obs, alignment=al.alignment)
            tables["event_study_equities"] = es_eq.car
            notes["event_study_equities"] = Text("event_study_equities", f"market model against {market_eq}, estimation window "
                                                 f"sessions {lo}..{hi}", market=market_eq, lo=lo, hi=hi)
        except DataError as exc:
            notes["event_study_equities"] = reason_of(exc)
    else:
        notes["event_study_equities"] = Text("no_market_prices", f"no {market_eq} prices stored; the equity event study needs "
                                             f"them as the market", market=market_eq)


def with_network(x: Explanation, network: SectorNetwork | None, note: str) -> Explanation:
    """``x`` with the sector connectedness network: its tables (``sector_network_edges``,
    ``sector_network_sectors``), ``note`` as their caption, and :attr:`Explanation.network` (None, with the reason
    as ``note``, when the network could not be estimated)."""
    tables = {**x.tables, **(network.tables() if network is not None else {})}
    notes = {**x.notes, "sector_network_edges" if network is not None else "sector_network": note}
    if network is not None:
        notes["sector_network_sectors"] = Text("network_sectors", "per sector, per cent of one sector's forecast-error "
                                               "variance: net = to others - from others (DY windows) and the TVP-VAR net "
                                               "averaged over the pre-episode window and over the episode's sessions")
    return replace(x, tables=tables, notes=notes, network=network)
