"""``explain``: why the sector moved and whether it spreads — attribution, event study, spillover, contagion and
dependency, wired from the store to the pure estimators in :mod:`selloff.analytics`.

All cross-asset work runs on the NYSE-session grid (crypto priced at each 16:00 New York close from hourly bars,
compounding over weekends and holidays); each table carries the alignment it used.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selloff.analytics import attribution, calendar, contagion, dependency, event_study, spillover
from selloff.analytics.frames import pivot_daily, pivot_ts
from selloff.api import _day, _end_of_day, load_panel, select_sources
from selloff.config import defaults
from selloff.errors import DataError
from selloff.store import Store
from selloff.universe import Universe

SECTOR = "SECTOR_EW"
BASKET = "EQ_BASKET"


@dataclass(frozen=True)
class Explanation:
    sector: str
    date: pd.Timestamp
    event_session: pd.Timestamp
    alignment: str
    simulated: bool
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def _aligned(store: Store, universe: Universe, tokens: list[str], equities: list[str], mkt: str, start, end):
    crypto = [*tokens, mkt]
    hourly = select_sources(store.read("bars", assets=crypto, interval="1h", start=start, end=end))
    panel = load_panel(store, universe, [*crypto, *equities], start, end)
    eq_cols = [e for e in equities if e in panel.close.columns]
    if not eq_cols:
        raise DataError(f"no daily bars for the equity basket {equities}; fetch them (selloff fetch --source yahoo)")
    eq_close = panel.close[eq_cols].dropna(how="all")
    if not hourly.empty:
        crypto_close = pivot_ts(hourly, "close")
    else:  # daily crypto bars: the 00:00 UTC close after the session is used (the alignment string says so)
        cc = panel.close[[c for c in crypto if c in panel.close.columns]]
        crypto_close = cc.set_axis(pd.DatetimeIndex(cc.index).tz_localize("UTC"), axis=0)
    al = calendar.align_returns(crypto_close, eq_close, how="equity_close", kind="log")
    return al, panel, hourly


_OHLC = ["open", "high", "low", "close"]


def _session_ranges(store: Store, universe: Universe, crypto: list[str], equities: list[str], hourly: pd.DataFrame,
                    start, end, period_end: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """Daily log range variance (Garman-Klass from open/high/low/close) per asset on the NYSE-session grid.

    Crypto bars (hourly, else daily) are pooled over each row's period — from the previous session close to this
    one, so weekends and holidays are one wider range, as the returns compound over them; equities use the
    session's own daily bar. Returns the wide frame (index as ``period_end``) and the assets without high/low.
    """
    daily = select_sources(store.read("bars", assets=[*crypto, *equities], interval="1d", start=start, end=end))
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
        kinds = {a: universe.asset(a).kind if a in universe.assets else "equity" for a in eq["asset"].unique()}
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
    out = x.pivot_table(index="date", columns="asset", values="lrv", aggfunc="last").reindex(period_end.index)
    without = sorted(a for a in {*crypto, *equities} if a not in out.columns or out[a].notna().sum() == 0)
    return out, without


def explain(store: Store, universe: Universe, sector: str, date: object, lookback_days: int = 420) -> Explanation:
    """Decomposition, event study, spillover and contagion for ``sector`` around ``date`` (no look-ahead).

    Tables: ``decomposition``; ``event_study_tokens`` (tokens against BTC) and ``event_study_equities`` (the
    AI-equity basket against ``[attribution] equity_market``, when stored); ``spillover`` (Diebold-Yilmaz on
    returns) and ``spillover_vol`` (on log range variance, Garman-Klass/Parkinson 1980); ``rolling_betas`` (the
    sector's BTC and basket betas, each from the ``window_days`` sessions before it); contagion and dependency.

    Parameters
    ----------
    lookback_days
        History loaded before ``date``; the factor model and event study estimate on windows ending before the
        event, the spillover on the last 250 sessions to the event.
    """
    s = universe.sector(sector)
    d = _day(date)
    att = defaults("attribution")
    mkt, basket_ids = att["market_factor"], list(att["equity_basket"])
    start = pd.Timestamp(d, tz="UTC") - pd.Timedelta(days=lookback_days)
    end = _end_of_day(d)
    market_eq = str(att["equity_market"])
    al, panel, hourly = _aligned(store, universe, list(s.members), [*basket_ids, market_eq], mkt, start, end)
    r = al.returns.copy()
    tokens = [t for t in s.members if t in r.columns and r[t].notna().sum() > 30]
    if not tokens:
        raise DataError(f"not enough aligned history for the members of {sector} before {d.date()}; fetch more history")
    eqs = [e for e in basket_ids if e in r.columns and e != market_eq]
    r[SECTOR] = attribution.equal_weight_basket(r, tokens, name=SECTOR)
    r[BASKET] = attribution.equal_weight_basket(r, eqs, name=BASKET)
    sessions = r.index
    after = sessions[sessions >= d]
    if len(after) == 0:
        raise DataError(f"no NYSE session on or after {d.date()} in the data; pick an earlier date")
    ev = after[0]
    notes = {"alignment": al.alignment}
    tables: dict[str, pd.DataFrame] = {}

    # 1. attribution: factor model estimated before the event, decomposition of the event-session move
    fit = attribution.factor_model(r, [*tokens, SECTOR], [mkt, BASKET], window_end=ev, window=int(att["window_days"]) if att["window_days"] < len(r) else len(r) - 5,
                                   hac_lags=int(att["hac_lags"]), alignment=al.alignment, min_obs=30)
    event_ret = r.loc[ev]
    dec = attribution.decompose_move(fit, event_ret)
    no_data = [a for a in dec.index if pd.isna(event_ret.get(a))]
    tables["decomposition"] = dec.drop(index=no_data)
    notes["decomposition"] = f"{fit.method}; event session {ev.date()}" + (
        f"; without a price on the event session: {', '.join(no_data)}" if no_data else "")

    # 2. event study around stored announcements within 10 days before the date
    evs = store.read("events", start=pd.Timestamp(d, tz="UTC") - pd.Timedelta(days=10), end=end)
    evs = evs[evs["kind"].isin(["capex_guidance", "earnings", "macro", "guidance"])] if not evs.empty else evs
    if not evs.empty:
        events = {f"{e.entity} {e.kind} {pd.Timestamp(e.ts).strftime('%Y-%m-%d %H:%M')}Z": e.ts for e in evs.itertuples()}
        try:
            es = event_study.event_study(r, [*tokens, SECTOR], mkt, events, est_window=(-150, -11), period_end=al.period_end,
                                         min_est_obs=30, alignment=al.alignment)
            tables["event_study_tokens"] = es.summary_frame() if hasattr(es, "summary_frame") else es.car
            tables["event_study_tests"] = es.tests if hasattr(es, "tests") else pd.DataFrame()
        except DataError as exc:
            notes["event_study"] = str(exc)
        # the AI-equity basket against the equity market (QQQ): did the announcement move the equities themselves?
        if market_eq in r.columns and r[market_eq].notna().sum() > 30 and eqs:
            try:
                es_eq = event_study.event_study(r, [*eqs, BASKET], market_eq, events, est_window=(-150, -11), period_end=al.period_end,
                                                min_est_obs=30, alignment=al.alignment)
                tables["event_study_equities"] = es_eq.summary_frame() if hasattr(es_eq, "summary_frame") else es_eq.car
                notes["event_study_equities"] = f"market model against {market_eq}, estimation window sessions -150..-11"
            except DataError as exc:
                notes["event_study_equities"] = str(exc)
        else:
            notes["event_study_equities"] = f"no {market_eq} prices stored; the equity event study needs them as the market"
    else:
        notes["event_study"] = "no stored announcement within 10 days before the date"

    # 3. spillover (Diebold-Yilmaz 2012) among the sector, the equity basket and BTC, before and up to the event
    spill_in = r[[SECTOR, BASKET, mkt]].loc[:ev].dropna().tail(250)
    lags = 2
    if len(spill_in) >= 80:
        res = spillover.spillover_table(spill_in, lags=lags, horizon=10)
        tables["spillover"] = res.table
        roll = spillover.rolling_spillover(spill_in, window=min(100, len(spill_in) - 10), lags=lags, horizon=10)
        tables["spillover_rolling_total"] = roll[["total"]].tail(30)
        notes["spillover"] = f"{res.method}; total {res.total:.1f} % over {res.nobs} sessions to {ev.date()}"
    else:
        notes["spillover"] = f"only {len(spill_in)} aligned sessions; the spillover VAR needs 80"

    # 3b. spillover on volatilities (DY 2012 proper): log range variance of the sector (mean over members), the
    # basket (mean over members) and BTC on the same grid
    lrv, no_range = _session_ranges(store, universe, [*tokens, mkt], eqs, hourly, start, end, al.period_end)
    vol = pd.DataFrame({
        SECTOR: lrv.reindex(columns=[t for t in tokens if t in lrv.columns]).mean(axis=1),
        BASKET: lrv.reindex(columns=[e for e in eqs if e in lrv.columns]).mean(axis=1),
        mkt: lrv[mkt] if mkt in lrv.columns else np.nan,
    }, index=lrv.index)
    vol_in = vol.loc[:ev].dropna().tail(250)
    missing_note = f"; without high/low: {', '.join(no_range)}" if no_range else ""
    if len(vol_in) >= 80:
        vres = spillover.spillover_table(vol_in, lags=lags, horizon=10)
        tables["spillover_vol"] = vres.table
        notes["spillover_vol"] = (f"{vres.method} on log range variance (Garman-Klass; crypto over each session-to-session "
                                  f"period); total {vres.total:.1f} % over {vres.nobs} sessions to {ev.date()}{missing_note}")
    else:
        notes["spillover_vol"] = (f"only {len(vol_in)} sessions with high/low for the sector, the basket and {mkt}; "
                                  f"the volatility spillover VAR needs 80{missing_note}")

    # 3c. rolling betas of the sector on BTC and the basket, each from the window before its session
    bw = int(att["window_days"])
    betas = attribution.rolling_betas(r.loc[:ev], SECTOR, [mkt, BASKET], window=bw)
    betas = betas.dropna(subset=[mkt, BASKET]).tail(int(att["rolling_betas_rows"]))
    if len(betas):
        tables["rolling_betas"] = betas
        notes["rolling_betas"] = f"OLS on the {bw} sessions before each row (at least {bw // 2}); last {len(betas)} sessions to {ev.date()}"
    else:
        notes["rolling_betas"] = f"fewer than {bw // 2} complete sessions in a {bw}-session window before {ev.date()}"

    # 4. contagion: Granger, lead-lag, tail co-movement before vs during
    pre = r.loc[:ev].iloc[:-1]
    n_pre = len(pre.dropna(subset=[SECTOR, BASKET]))
    if n_pre >= 30:
        tables["granger"] = contagion.granger_causality(pre, BASKET, SECTOR, lags=3)
        tables["lead_lag"] = contagion.lead_lag_xcorr(pre, BASKET, SECTOR, max_lag=3)
    else:
        notes["granger"] = f"only {n_pre} aligned sessions before the event; Granger and lead-lag need 30"
    during_start = sessions[max(0, sessions.get_loc(ev) - 5)]
    tables["tail_comovement"] = contagion.tail_comovement(
        r, SECTOR, BASKET, {"before": (sessions[0], sessions[max(0, sessions.get_loc(ev) - 6)]), "during": (during_start, ev)})
    tables["rolling_correlation"] = contagion.rolling_correlation(r, SECTOR, BASKET, window=30).dropna().tail(10).to_frame("corr_30s")

    # 5. dependency graph: does each token follow the companies it depends on more than the others do?
    deps = {t: sorted({a.id for a, _ in universe.dependencies(t) if a.id in r.columns}) for t in tokens}
    deps = {t: v for t, v in deps.items() if v}
    dep = dependency.dependency_exposure(r.loc[:ev], deps, tokens, min_obs=30, alignment=al.alignment)
    tables["dependency"] = dep.per_token
    return Explanation(s.id, d, ev, al.alignment, panel.simulated, tables, notes)
