"""Findings: typed, ranked records of what the data shows — the only thing the writers may draw numbers from."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

from selloff.analytics.context import breadth_split
from selloff.analytics.contagion import correlation_se
from selloff.config import defaults
from selloff.report import judgement
from selloff.errors import DataError
from selloff.texts import Text
from selloff.timeutil import day_window

KINDS = (
    "sector_move", "asset_move", "sector_cap_change", "breadth", "equity_move", "liquidations", "trigger_event",
    "contagion", "stabilisation", "attribution", "scenario", "macro_move", "dependency", "coverage", "context",
    "snapshot_move", "network",
)
COMPUTED_BY = {
    "sector_move": "selloff.analytics.sector.sector_returns", "breadth": "selloff.analytics.detect.daily_signals",
    "coverage": "selloff.analytics.day.analyse_day", "move_": "selloff.analytics.day.analyse_day",
    "sector_cap": "selloff.analytics.sector.market_cap_change", "provider_cap": "selloff.analytics.sector.compare_with_category",
    "eq5_": "selloff.analytics.measures.trading_days_change", "macro_btc": "selloff.analytics.day.analyse_day",
    "liquidations": "selloff.analytics.liquidations.liquidation_total", "event_": "selloff.analytics.day.analyse_day",
    "stabilisation": "selloff.analytics.detect.stabilisation", "episode": "selloff.analytics.detect.detect_episodes",
    "spill_total": "selloff.analytics.spillover.spillover_table", "spill_basket": "selloff.analytics.spillover.spillover_table",
    "spill_rolling": "selloff.analytics.spillover.rolling_spillover", "corr_30s": "selloff.analytics.contagion.rolling_correlation",
    "tail_co": "selloff.analytics.contagion.tail_comovement", "granger": "selloff.analytics.contagion.granger_causality",
    "dep_": "selloff.analytics.dependency.dependency_exposure", "attr_": "selloff.analytics.attribution.decompose_move",
    "scen_liq": "selloff.analytics.cascade.run_cascade", "scen_": "selloff.analytics.stress.whatif.what_if_table",
}
"""Finding id (or id prefix ending in ``_``) -> dotted path of the analytics function that computed its value."""


UTC_DAY = Text("utc_day", "close-to-close, UTC day (00:00-24:00 UTC)")
"""The measure of a UTC-day move (shared by the day's and the context's findings)."""


def computed_by(fid: str) -> str:
    """The analytics function behind a finding id (exact id first, then the longest matching prefix)."""
    if fid in COMPUTED_BY:
        return COMPUTED_BY[fid]
    pre = [k for k in COMPUTED_BY if k.endswith("_") and fid.startswith(k)]
    return COMPUTED_BY[max(pre, key=len)] if pre else ""


@dataclass(frozen=True)
class Finding:
    id: str
    kind: str
    subjects: tuple[str, ...]
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    alignment: str
    """How the window is measured, e.g. 'close-to-close, UTC day' or '5 NYSE sessions, close-to-close'."""
    value: float
    unit: str
    """pct | usd | share | sigma | count | text"""
    comparison: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    importance: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    computed_by: str = ""
    """Dotted path of the analytics function that computed ``value`` (filled from :data:`COMPUTED_BY`)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"unknown finding kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if not self.computed_by:
            object.__setattr__(self, "computed_by", computed_by(self.id))

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready values (a new dict; :func:`_jsonable` copies every container it converts, so
        ``asdict``'s deep copy would be a second one)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        for k in ("window_start", "window_end"):
            d[k] = pd.Timestamp(d[k]).isoformat() if d[k] is not None else None
        return _jsonable(d)


def _jsonable(x: Any) -> Any:
    if is_dataclass(x) and not isinstance(x, type):
        return _jsonable({f.name: getattr(x, f.name) for f in fields(x)})
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (pd.Timestamp,)):
        return x.isoformat()
    if isinstance(x, (np.floating, float)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def build_findings(a: Any, x: Any = None, scenario: Any = None, context: Any = None, network: Any = None) -> list[Finding]:
    """Turn an :class:`selloff.api.Analysis` (and, where given, an :class:`selloff.explain.Explanation`) into
    findings, most important first.

    Parameters
    ----------
    a
        The day's analysis.
    x
        The explanation around the day (attribution, spillover, contagion, dependency); without it the contagion,
        dependency and attribution findings are left out.
    scenario
        The day's "if it goes on" (:class:`selloff.pipeline.report.WhatIf`: the stress engine's what-if table and
        the leverage cascade), or None: then the scenario section is left out.
    context
        The day's :class:`~selloff.analytics.context.DayContext` (peers, volume, drawdown, slide, since then), or
        None: then the context block is left out.
    network
        The sector connectedness network around the day (:class:`selloff.pipeline.report.NetworkView`: the network
        or why it could not be computed), or None: then the network section is left out.

    Importance: size in sigma for moves, scaled by the market cap involved (log10 of USD) for assets; breadth and
    sector-level findings rank with the sector's sigma; liquidations by their share of open interest is not known
    here, so by log10 of the amount. Explanation findings rank by what they measure (see :func:`explain_findings`).
    """
    out: list[Finding] = []
    prov = {k: a.provenance.get(k) for k in ("tables", "sources", "ranges")}  # no store path: outputs stay byte-stable
    asrc = a.provenance.get("asset_sources", {})
    ws, we = day_window(a.date)
    daily = UTC_DAY
    sector_members = tuple(a.provenance.get("sector_members", ()))
    weighting = getattr(a, "weighting", "cap")
    split = breadth_split(a.members["ret_1d"], abs(a.breadth_threshold_pct))
    kind = judgement.day_kind(100 * a.sector_ret_1d, a.sector_z_1d, split["down"], split["up"], split["n"])
    out.append(Finding("sector_move", "sector_move", (a.sector_id,), ws, we,
                       Text("utc_day_index", daily + (", cap-weighted index" if weighting == "cap" else
                                                      ", equal-weighted index (no market caps stored)"), weighting=weighting),
                       100 * a.sector_ret_1d, "pct", {"z": a.sector_z_1d, "sigma_method": "EWMA lambda=0.94, data to the day before",
                                                      "day_kind": kind, **{f"n_{k}": v for k, v in split.items()},
                                                      "equal_weighted_pct": 100 * a.sector_ret_equal_1d, "weighting": weighting,
                        "z_garch": getattr(a, "sector_z_garch_1d", float("nan")),
                        "garch_method": "GARCH(1,1), Student-t, parameters estimated on data before each block, one-step forecast"},
                       {**prov, "table": "bars+market_caps"}, importance=abs(a.sector_z_1d) * 12))
    out.append(Finding("breadth", "breadth", sector_members, ws, we, daily, a.breadth, "share",
                       {"threshold_pct": a.breadth_threshold_pct, "members": len(a.members),
                        "without_data": list(a.provenance.get("members_without_data", []))},
                       {**prov, "table": "bars"}, importance=abs(a.sector_z_1d) * 10 * a.breadth))
    for asset, row in a.members.iterrows():
        if not np.isfinite(row["ret_1d"]):
            continue
        cap = row["mcap_usd"] if np.isfinite(row["mcap_usd"]) else 1e8
        z = row["z_1d"] if np.isfinite(row["z_1d"]) else 0.0
        out.append(Finding(f"move_{asset}", "asset_move", (asset,), ws, we, daily, 100 * row["ret_1d"], "pct",
                           {"z": z, "ret_24h_pct": 100 * row["ret_24h"] if np.isfinite(row["ret_24h"]) else None},
                           {**prov, "table": "bars", "sources": [asrc[asset]] if asset in asrc else prov.get("sources")},
                           importance=abs(z) * math.log10(max(cap, 10.0)) / 2,
                           extra={"close_usd": row["close"], "mcap_usd": row["mcap_usd"], "contribution_pct": 100 * row["contribution"]}))
    if a.cap_change is not None:
        c = a.cap_change
        out.append(Finding("sector_cap", "sector_cap_change", c.members, pd.Timestamp(c.start).tz_localize("UTC") + pd.Timedelta(days=1),
                           pd.Timestamp(c.end).tz_localize("UTC") + pd.Timedelta(days=1), Text("cap_same_members", "market cap at 00:00 UTC, same members at both ends"),
                           c.change_pct, "pct", {"missing_members": list(c.missing)},
                           {**prov, "table": "market_caps"}, importance=abs(a.sector_z_1d) * 11,
                           extra={"cap_start_usd": c.cap_start_usd, "cap_end_usd": c.cap_end_usd}))
    cc = getattr(a, "category_comparison", None)
    if cc is not None:
        start = cc.provider_start if cc.provider_start is not None else cc.provider_end - pd.Timedelta(hours=24)
        out.append(Finding("provider_cap", "sector_cap_change", (cc.category,), start, cc.provider_end,
                           Text("provider_cap", f"{cc.provider} category market cap, {cc.provider_method}",
                                provider=cc.provider, method=cc.provider_method), cc.provider_change_pct, "pct",
                           {"provider": cc.provider, "diff_pp": cc.diff_pp, "only_ours": list(cc.only_ours),
                            "only_provider": list(cc.only_provider), "ours_without_data": list(cc.ours_without_data),
                            "members_stored": cc.provider_members_stored, "exceeds": cc.gap_exceeds_tolerance,
                            "tolerance_pp": cc.tolerance_pp},
                           {**prov, "table": "category_caps"}, importance=abs(a.sector_z_1d) * 5,
                           extra={"cap_end_usd": cc.provider_cap_end_usd}))
    for asset, row in a.equities.iterrows():
        s_end = pd.Timestamp(row["session"]).tz_localize("UTC")
        out.append(Finding(f"eq5_{asset}", "equity_move", (asset,), pd.Timestamp(row["window_start"]).tz_localize("UTC"), s_end,
                           Text("nyse_5", "5 NYSE sessions, close-to-close (16:00 New York)"), 100 * row["ret_5td"], "pct", {"ret_1d_pct": 100 * row["ret_1d"]},
                           {**prov, "table": "bars", "sources": [asrc[asset]] if asset in asrc else prov.get("sources")},
                           importance=abs(100 * row["ret_5td"]) / 2))
    if a.btc:
        out.append(Finding("macro_btc", "macro_move", (a.btc["asset"],), ws, we, daily, 100 * a.btc["ret_1d"], "pct",
                           {"z": a.btc["z_1d"]}, {**prov, "table": "bars", "sources": [asrc[a.btc["asset"]]] if a.btc["asset"] in asrc else prov.get("sources")},
                           importance=abs(a.btc["z_1d"]) * 8,
                           extra={"close_usd": a.btc["close"]}))
    if a.liquidations:
        L = a.liquidations
        partial = any(not c.startswith("simulated") for c in L["coverage"]) and any("partial" in c for c in L["coverage"])
        out.append(Finding("liquidations", "liquidations", tuple(L["assets"]), ws, we, Text("liq_day", "sum of hourly liquidations, UTC day"),
                           L["total_usd"], "usd", {"long_usd": L["long_usd"], "short_usd": L["short_usd"], "partial": partial,
                                                   "coverage": L["coverage"], "venues": L["venues"]},
                           {**prov, "table": "derivatives", "sources": L["sources"]}, importance=math.log10(max(L["total_usd"], 10.0))))
    if a.events is not None and len(a.events):
        ev = a.events.sort_values("ts")
        for i, (_, e) in enumerate(ev.iterrows()):
            out.append(Finding(f"event_{i}", "trigger_event", (e["entity"],), e["ts"], e["ts"], Text("event_time", "event time"), float("nan"), "text",
                               {"kind": e["kind"]}, {"table": "events", "source": e["source"], "url": e.get("url")},
                               importance=5.0 if e["kind"] in ("capex_guidance", "earnings") else 2.0,
                               extra={"headline": e["headline"], "ts": e["ts"]}))
    if a.stabilisation is not None:
        s = a.stabilisation
        out.append(Finding("stabilisation", "stabilisation", (a.sector_id,), pd.Timestamp(s.trough).tz_localize("UTC"),
                           pd.Timestamp(s.asof).tz_localize("UTC") + pd.Timedelta(days=1), Text("after_trough", "daily, after the trough"),
                           s.recovered_share, "share",
                           {"verdict": s.verdict, "no_new_low": s.no_new_low, "days_since_trough": s.days_since_trough,
                            "vol_ratio": s.vol_ratio, "vol_normal": s.vol_normal, "recovered": s.recovered},
                           {**prov, "table": "bars"}, importance=6.0))
    if a.episode is not None:
        e = a.episode
        out.append(Finding("episode", "sector_move", (a.sector_id,), pd.Timestamp(e.start).tz_localize("UTC"),
                           pd.Timestamp(e.trough).tz_localize("UTC") + pd.Timedelta(days=1), Text("episode_cum", "cumulative from the close before the first sell-off day to the trough"),
                           e.depth_pct, "pct", {"days": e.days, "worst_day_z": e.worst_day_z, "max_breadth": e.max_breadth},
                           {**prov, "table": "bars"}, importance=abs(e.worst_day_z) * 9))
    without = list(a.provenance.get("members_without_data", []))
    n_all = len(sector_members) + len(without)
    out.append(Finding("coverage", "coverage", sector_members, ws, we, Text("coverage_members", "members with a daily close that day, of the sector's members"),
                       float(len(sector_members)), "count", {"n_members": n_all, "covered": list(sector_members), "without": without,
                                                             "proxy": len(sector_members) < n_all},
                       {**prov, "table": "bars"}, importance=abs(a.sector_z_1d) * 11.5))
    for f in getattr(a, "extra_findings", ()) or ():
        out.append(f)
    if x is not None:
        out.extend(explain_findings(a, x))
    if scenario is not None:
        from selloff.report.whatif_findings import scenario_findings

        out.extend(scenario_findings(a, scenario))
    if context is not None:
        from selloff.report.context_findings import context_findings

        out.extend(context_findings(a, context))
    if network is not None:
        from selloff.report.network_findings import network_findings

        out.extend(network_findings(a, network))
    return sorted(out, key=lambda f: -f.importance)


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    rows = []
    for f in findings:
        rows.append({"id": f.id, "kind": f.kind, "subjects": ",".join(f.subjects), "window_start": f.window_start,
                     "window_end": f.window_end, "alignment": f.alignment, "value": f.value, "unit": f.unit,
                     "importance": round(f.importance, 2), "sources": f.provenance.get("sources")})
    return pd.DataFrame(rows)


# -- findings from the explanation (contagion, dependency, attribution, scenario) --------------------------------
SECTOR_COL = "SECTOR_EW"
"""Column of the equal-weighted sector in the explanation's tables (``selloff.explain.SECTOR``)."""
BASKET_COL = "EQ_BASKET"
"""Column of the equal-weighted AI-equity basket (``selloff.explain.BASKET``)."""


def _session_closes(ev: pd.Timestamp, n: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC close of the NYSE session ``n`` sessions before ``ev`` and of ``ev`` itself."""
    from selloff.calendar import nyse_sessions

    ev = pd.Timestamp(ev)
    ev = ev.tz_convert("UTC").tz_localize(None) if ev.tzinfo else ev
    try:
        s = nyse_sessions(ev - pd.Timedelta(days=int(n * 1.6) + 12), ev)["close_ts"]
        if len(s) > n:
            return s.iloc[-1 - n], s.iloc[-1]
    except DataError:  # outside the calendar's bounds: fall back to calendar days
        pass
    end = ev.tz_localize("UTC") + pd.Timedelta(hours=21)
    return end - pd.Timedelta(days=int(round(n * 365 / 252))), end


def _xprov(a: Any, x: Any, table: str, note: str | None = None) -> dict[str, Any]:
    return {"tables": ["bars", "events"], "sources": a.provenance.get("sources"), "ranges": a.provenance.get("ranges"),
            "table": f"explain.{table}", "method": x.notes.get(note or table, "")}


def _f(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def explain_findings(a: Any, x: Any) -> list[Finding]:
    """Contagion, dependency and attribution findings from an explanation (see :func:`build_findings`)."""
    return [*_contagion_findings(a, x), *_dependency_findings(a, x), *_attribution_findings(a, x)]


def _factor_of(x: Any, dec: pd.DataFrame | None = None) -> str:
    """The market factor's column name (the factor in the decomposition that is not the equity basket)."""
    if dec is not None:
        for c in dec.columns:
            if c.endswith("_part") and c not in ("alpha_part", f"{BASKET_COL}_part"):
                return c[: -len("_part")]
    sp = x.tables.get("spillover")
    if sp is not None:
        for c in sp.columns:
            if c not in (SECTOR_COL, BASKET_COL, "From others"):
                return c
    return "BTC"


def _contagion_findings(a: Any, x: Any) -> list[Finding]:
    out: list[Finding] = []
    granger_alpha = float(defaults("report")["granger_alpha"])
    T, al, ev = x.tables, x.alignment, pd.Timestamp(x.event_session)
    mkt = _factor_of(x, T.get("decomposition"))
    sp = T.get("spillover")
    if sp is not None and not sp.empty and "To incl. own" in sp.index:
        nobs = int(x.nobs["spillover"])
        ws, we = _session_closes(ev, nobs)
        names = [c for c in sp.columns if c != "From others"]
        align = Text("spill_total", f"Diebold-Yilmaz total spillover, VAR on the {nobs} NYSE sessions to the event session; {al}",
                     n=nobs, grid=al)
        out.append(Finding("spill_total", "contagion", tuple(names), ws, we, align, _f(sp.loc["To incl. own", "From others"]), "pct",
                           {"nobs": nobs}, _xprov(a, x, "spillover"), importance=5.0,
                           extra={"matrix": {r: {c: _f(sp.loc[r, c]) for c in names} for r in names}, "order": names}))
        if BASKET_COL in names and SECTOR_COL in names:
            out.append(Finding("spill_basket", "contagion", (BASKET_COL, SECTOR_COL), ws, we, align, _f(sp.loc["Net", BASKET_COL]), "pp",
                               {"to_sector_pct": _f(sp.loc[SECTOR_COL, BASKET_COL]), "from_sector_pct": _f(sp.loc[BASKET_COL, SECTOR_COL]),
                                "market_to_sector_pct": _f(sp.loc[SECTOR_COL, mkt]) if mkt in names else None, "market": mkt},
                               _xprov(a, x, "spillover"), importance=4.5))
    roll = T.get("spillover_rolling_total")
    if roll is not None and len(roll.dropna()) >= 2:
        rt = roll["total"].dropna()
        ws, _ = _session_closes(pd.Timestamp(rt.index[0]), 0)
        _, we = _session_closes(pd.Timestamp(rt.index[-1]), 0)
        r0, r1 = _f(rt.iloc[0]), _f(rt.iloc[-1])
        out.append(Finding("spill_rolling", "contagion", (SECTOR_COL, BASKET_COL, mkt), ws, we,
                           Text("spill_rolling", f"Diebold-Yilmaz total spillover in rolling VAR windows, each ending at the "
                                f"session shown; {al}", grid=al), r1, "pct",
                           {"before_pct": r0, "before_session": pd.Timestamp(rt.index[0]), "now_session": pd.Timestamp(rt.index[-1]),
                            "sessions": len(rt) - 1, "change_pp": r1 - r0},
                           _xprov(a, x, "spillover_rolling_total", "spillover"), importance=4.0 + min(abs(r1 - r0) / 5.0, 3.0)))
    rc = T.get("rolling_correlation")
    if rc is not None and len(rc.dropna()) >= 2:
        c = rc.iloc[:, 0].dropna()
        ws, we = _session_closes(pd.Timestamp(c.index[-1]), 30)
        out.append(Finding("corr_30s", "contagion", (SECTOR_COL, BASKET_COL), ws, we,
                           Text("corr_window", f"Pearson correlation of session returns over the 30 sessions to the session "
                                f"shown; {al}", n=30, grid=al), _f(c.iloc[-1]), "corr",
                           {"before": _f(c.iloc[0]), "before_session": pd.Timestamp(c.index[0]), "now_session": pd.Timestamp(c.index[-1]),
                            "sessions": len(c) - 1, "window_sessions": 30, "se": correlation_se(_f(c.iloc[-1]), 30),
                            "change": judgement.change_word(_f(c.iloc[0]), _f(c.iloc[-1]), correlation_se(_f(c.iloc[-1]), 30))},
                           _xprov(a, x, "rolling_correlation"), importance=4.0 + abs(_f(c.iloc[-1]) - _f(c.iloc[0])) * 4))
    tc = T.get("tail_comovement")
    if tc is not None and {"before", "during"} <= set(tc.index):
        b, d = tc.loc["before"], tc.loc["during"]
        ws = pd.Timestamp(d["start"]).tz_localize("UTC") if pd.Timestamp(d["start"]).tzinfo is None else pd.Timestamp(d["start"])
        _, we = _session_closes(pd.Timestamp(d["end"]), 0)
        out.append(Finding("tail_co", "contagion", (SECTOR_COL, BASKET_COL), ws, we,
                           Text("tail_co", "share of sessions in which the sector fell into its lowest decile when the basket "
                                f"did, during the episode's last sessions vs before; {al}", grid=al),
                           _f(d["p_token_fall_given_basket_fall"]), "share",
                           {"before": _f(b["p_token_fall_given_basket_fall"]), "n_basket_falls_before": int(b["n_basket_falls"]),
                            "n_joint_before": int(b["n_joint_falls"]), "n_basket_falls_during": int(d["n_basket_falls"]),
                            "n_joint_during": int(d["n_joint_falls"]), "tail_quantile": _f(d["tail_quantile"]),
                            "before_start": pd.Timestamp(b["start"]), "before_end": pd.Timestamp(b["end"])},
                           _xprov(a, x, "tail_comovement"), importance=4.0))
    g = T.get("granger")
    if g is not None and not g.empty:
        fwd = g[(g["cause"] == BASKET_COL) & (g["effect"] == SECTOR_COL)]
        rev = g[(g["cause"] == SECTOR_COL) & (g["effect"] == BASKET_COL)]
        if len(fwd):
            p = _f(fwd["p_value"].min())
            prev = _f(rev["p_value"].min()) if len(rev) else float("nan")
            n = int(fwd["nobs"].max())
            ws = _session_closes(ev, n + int(fwd["lag"].max()) + 1)[0]
            we = _session_closes(ev, 1)[0]  # the close of the session before the event
            sens = T.get("granger_sensitivity")
            sv = {}
            if sens is not None and len(sens):
                sv = {"p_with_event": _f(sens["p_with_event"].min()), "p_loo_min": _f(sens["p_loo_min"].min()),
                      "p_loo_max": _f(sens["p_loo_max"].min())}
                sv["fragile"] = judgement.fragile(p, [sv["p_with_event"], sv["p_loo_min"], sv["p_loo_max"]], granger_alpha)
            out.append(Finding("granger", "contagion", (BASKET_COL, SECTOR_COL), ws, we,
                               Text("granger", f"Granger F tests, lags 1 to {int(fwd['lag'].max())} sessions, on the sessions "
                                    f"before the event; {al}", lags=int(fwd["lag"].max()), grid=al), p, "p",
                               {"significant": bool(p < granger_alpha), "alpha_pct": 100 * granger_alpha, "min_lag": int(fwd["lag"].min()), "max_lag": int(fwd["lag"].max()),
                                "reverse_p": prev, "reverse_significant": bool(prev < granger_alpha), "nobs": n, **sv},
                               _xprov(a, x, "granger"), importance=5.0 if p < granger_alpha else 3.5))
    return out


def _dependency_findings(a: Any, x: Any) -> list[Finding]:
    dep = x.tables.get("dependency")
    if dep is None or dep.empty:
        return []
    out: list[Finding] = []
    nodep = dep[dep["group"] == "no_dependency"]["corr"].astype(float)
    dpd = dep[dep["group"] == "dependent"]["corr"].astype(float)
    n = int(dep["n"].max())
    ws, we = _session_closes(pd.Timestamp(x.event_session), n)
    align = Text("dependency", "Pearson correlation and OLS beta of session returns on an equal-weighted basket of the named "
                 f"companies, {n} sessions to the event session; {x.alignment}", n=n, grid=x.alignment)
    no_mean = _f(nodep.mean()) if len(nodep) else float("nan")
    if len(dpd):
        out.append(Finding("dep_groups", "dependency", tuple(dep.index), ws, we, align, _f(dpd.mean()), "corr",
                           {"no_dependency_mean_corr": no_mean, "n_dependent": int(len(dpd)), "n_no_dependency": int(len(nodep)),
                            "higher": bool(len(nodep) and dpd.mean() > nodep.mean())},
                           _xprov(a, x, "dependency"), importance=3.0))
    caps = a.members["mcap_usd"] if "mcap_usd" in a.members else pd.Series(dtype=float)
    for tok, row in dep.iterrows():
        if row["group"] != "dependent":
            continue
        cap = _f(caps.get(tok))
        out.append(Finding(f"dep_{tok}", "dependency", (tok, *str(row["basket"]).split(",")), ws, we, align, _f(row["corr"]), "corr",
                           {"beta": _f(row["beta"]), "n": int(row["n"]), "no_dependency_mean_corr": no_mean,
                            "depends_on": str(row["depends_on"]).split(","), "partial_corr": _f(row.get("partial_corr")),
                            "partial_p": _f(row.get("partial_p")), "control": row.get("control"),
                            "partial_significant": bool(_f(row.get("partial_p")) < float(defaults("report")["granger_alpha"]))},
                           _xprov(a, x, "dependency"),
                           importance=1.0 + 3 * abs(_f(row["corr"])) + (math.log10(cap) / 10 if math.isfinite(cap) and cap > 0 else 0.0)))
    return out


def _attribution_findings(a: Any, x: Any) -> list[Finding]:
    dec = x.tables.get("decomposition")
    if dec is None or SECTOR_COL not in dec.index:
        return []
    mkt = _factor_of(x, dec)
    several_share = float(defaults("report")["several_pressures_share"])
    row = dec.loc[SECTOR_COL]
    ev = pd.Timestamp(x.event_session)
    ws, we = _session_closes(ev, 1)
    align = Text("attribution", f"NYSE session {ev.date()}, close-to-close log return of the equal-weighted sector (per cent); "
                 f"factor model estimated on the sessions before; {x.alignment}", session=ev.date(), grid=x.alignment)
    prov = _xprov(a, x, "decomposition")
    total = 100 * _f(row["total"])
    parts = {"market": 100 * _f(row[f"{mkt}_part"]), "equity": 100 * _f(row[f"{BASKET_COL}_part"])}
    parts["specific"] = total - parts["market"] - parts["equity"]
    shares = {k: (v / total if total else float("nan")) for k, v in parts.items()}
    pressures = [k for k, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s >= several_share]
    dominant = max(shares, key=lambda k: shares[k])
    lead = judgement.lead(shares, total)
    out = [Finding("attr_total", "attribution", (SECTOR_COL,), ws, we, align, total, "pct",
                   {"shares": shares, "pressures": pressures, "dominant": dominant, "several": len(pressures) >= 2 and lead == "several",
                    "simple_pct": 100 * math.expm1(total / 100), "lead": lead,
                    "several_share": several_share, "r2": _f(row["r2"]),
                    "crypto_at_close": "daily bars" not in x.alignment}, prov, importance=7.0)]
    for key, factor in (("market", mkt), ("equity", BASKET_COL)):
        out.append(Finding(f"attr_{key}", "attribution", (SECTOR_COL, factor), ws, we, align, parts[key], "pp",
                           {"beta": _f(row[f"beta_{factor}"]), "beta_lo": _f(row[f"beta_{factor}_lo"]), "beta_hi": _f(row[f"beta_{factor}_hi"]),
                            "significant": judgement.beta_significant(_f(row[f"beta_{factor}_lo"]), _f(row[f"beta_{factor}_hi"])),
                            "share": shares[key], "factor": factor, "ci": 95}, prov, importance=6.5 if key == dominant else 5.5))
    out.append(Finding("attr_specific", "attribution", (SECTOR_COL,), ws, we, align, parts["specific"], "pp",
                       {"share": shares["specific"], "residual_pp": 100 * _f(row["residual"]), "alpha_pp": 100 * _f(row["alpha_part"])},
                       prov, importance=6.5 if dominant == "specific" else 5.5))
    return out
