"""Findings of the report's "if it goes on": the stress engine's conditional moves given a further shock
(``scen_sector``, ``scen_<member>``) and the leverage cascade's liquidations of such a day (``scen_liq``).

Every value is read from the objects the pipeline computed (:class:`selloff.pipeline.report.WhatIf`): the
what-if table of :func:`selloff.analytics.stress.whatif.what_if_table` and the
:class:`~selloff.analytics.cascade.CascadeResult` of :func:`selloff.analytics.cascade.run_cascade`; the accuracy
range comes from the cascade's own calibration (:func:`selloff.analytics.cascade.error_range` on its holdout).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from selloff.analytics.cascade import error_range
from selloff.analytics.stress.whatif import SECTOR_ROW
from selloff.config import defaults
from selloff.report.findings import Finding
from selloff.texts import Text

__all__ = ["scenario_findings"]


def _f(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _liq_finding(a: Any, s: Any, ws: pd.Timestamp, we: pd.Timestamp, shock_pct: float) -> Finding | None:
    rep = s.cascade
    if rep is None or not math.isfinite(_f(rep.result.total_usd)):
        return None
    res, cal = rep.result, rep.calibration
    total = float(res.total_usd)
    comp: dict[str, Any] = {"long_usd": float(res.long_usd), "short_usd": float(res.short_usd),
                            "extra_move_pp": float(res.extra_move_pct), "market_shock_pct": shock_pct,
                            "asset": rep.asset, "k": float(res.k), "scale": float(res.scale), "k_source": rep.k_source,
                            "calibrated": cal is not None, "partial": bool(rep.recorded_partial),
                            "simulated": bool(rep.simulated), "iterations": len(res.path)}
    if cal is not None:
        h = cal.holdout
        floor = float(defaults("cascade")["floor_usd"])
        lo, hi = error_range(total, h, floor)
        top = _f(h["top_decile_median_log_error"])
        days = cal.days
        big = days.loc[days["recorded_usd"].idxmax()] if len(days) else None
        comp.update(lo_usd=lo, hi_usd=hi, median_abs_log_error=_f(h["median_abs_log_error"]),
                    median_factor=math.exp(_f(h["median_abs_log_error"])), n_holdout=int(h["n_days"]),
                    n_fit=int(cal.fit["n_days"]), top_decile_log_error=top,
                    top_decile_factor=math.exp(-top) if math.isfinite(top) else float("nan"),
                    under_predicts=bool(math.isfinite(top) and top < float(defaults("report")["what_if_caveat_log_error"])),
                    max_day=None if big is None else pd.Timestamp(big["date"]),
                    max_usd=None if big is None else float(big["recorded_usd"]),
                    max_model_usd=None if big is None else float(big["model_usd"]))
    else:
        comp.update(under_predicts=False)
    align = Text("scen_liq", f"leverage cascade of a further {shock_pct:+.1f} % {rep.asset} move on the day after the report date: "
                 f"book estimated at the report date's close, square-root impact iterated to its fixed point; "
                 + (f"range = the calibration's holdout 10-90 % log errors ({int(cal.holdout['n_days'])} days)"
                    if cal is not None else "not calibrated: no range"),
                 shock_pct=shock_pct, asset=rep.asset, holdout_days=int(cal.holdout["n_days"]) if cal is not None else None)
    prov = {"tables": ["derivatives", "bars"], "table": "derivatives+bars", "sources": list(rep.sources),
            "method": f"{rep.book.method}; {rep.note}"}
    return Finding("scen_liq", "scenario", (rep.asset,), ws, we, align, total, "usd", comp, prov, importance=1.2)


def scenario_findings(a: Any, s: Any) -> list[Finding]:
    """Findings of a computed :class:`selloff.pipeline.report.WhatIf` (``None``: none)."""
    if s is None:
        return []
    tab = s.table
    d0 = pd.Timestamp(a.date).tz_localize("UTC") + pd.Timedelta(days=1) if pd.Timestamp(a.date).tzinfo is None \
        else pd.Timestamp(a.date) + pd.Timedelta(days=1)
    ws, we = d0, d0 + pd.Timedelta(days=1)
    at = tab.attrs
    shocks_pct = {k: 100 * v for k, v in s.shocks.items()}
    chk = at.get("check") or {}
    extreme = bool(chk.get("extreme"))
    comp0 = {"shocks_pct": shocks_pct, "band": _f(at.get("band")), "band_pct": 100 * _f(at.get("band")),
             "paths": int(at.get("paths") or 0), "seed": at.get("seed"), "horizon_days": int(at.get("horizon_days") or 1),
             "extreme": extreme, "mahalanobis": _f(chk.get("mahalanobis")), "limit_sigma": _f(chk.get("limit_sigma")),
             "shock_z": dict(zip(chk.get("assets", []), (float(z) for z in chk.get("z", [])))),
             "warnings": list(at.get("warnings") or [])}
    beta = at.get("method") == "beta"
    if beta:  # too short a history for the engine: OLS factor betas on the sessions there are
        w = at.get("window") or (None, None, 0)
        comp0.update(method="beta", n_obs=int(w[2]), window_start=w[0], window_end=w[1],
                     engine_min_obs=int(at.get("engine_min_obs") or 0), closes=dict(at.get("closes") or {}),
                     factors=list(at.get("factors") or []))
        align = Text("scen_whatif_beta", f"hypothetical further 1-session shock after the report date, propagated through "
                     f"OLS factor betas on {comp0['n_obs']} sessions of daily log returns to the report date (too short a "
                     f"history for the stress engine); a beta whose {comp0['band_pct']:g} % interval contains zero is not "
                     f"propagated; band = {comp0['band_pct']:g} % prediction interval", n=comp0["n_obs"],
                     band_pct=comp0["band_pct"])
    else:
        comp0["method"] = "engine"
        align = Text("scen_whatif", f"hypothetical further {comp0['horizon_days']}-day shock after the report date, propagated by "
                     f"the stress engine's conditional expectation on {comp0['paths']} filtered-historical-simulation paths (seed "
                     f"{comp0['seed']}, history to the report date); band = central {comp0['band_pct']:g} % of the simulated "
                     f"conditional moves", days=comp0["horizon_days"], paths=comp0["paths"], seed=comp0["seed"],
                     band_pct=comp0["band_pct"])
    prov = {"tables": ["bars"], "table": "bars", "sources": a.provenance.get("sources"), "ranges": a.provenance.get("ranges"),
            "method": str(at.get("model", ""))}
    members = set(a.members.index) if getattr(a, "members", None) is not None else set()
    out: list[Finding] = []
    for asset, r in tab.iterrows():
        if not math.isfinite(_f(r["ret_pct"])):
            continue
        if asset == SECTOR_ROW:
            fid, imp = "scen_sector", 1.5
        elif r["kind"] == "propagated" and asset in members:
            fid, imp = f"scen_{asset}", 0.5 + abs(_f(r["ret_pct"])) / 40
        else:  # the shocked factors are in shocks_pct; other propagated assets are not the sector's
            continue
        comp = {**comp0, "lo_pct": _f(r["lo_pct"]), "hi_pct": _f(r["hi_pct"]), "row_kind": str(r["kind"])}
        if beta:
            comp["betas"] = {f: {"beta": _f(r.get(f"beta_{f}")), "lo": _f(r.get(f"beta_{f}_lo")), "hi": _f(r.get(f"beta_{f}_hi")),
                                 "significant": bool(r.get(f"sig_{f}")), "used": _f(r.get(f"used_{f}")),
                                 "used_lo": _f(r.get(f"used_{f}_lo")), "used_hi": _f(r.get(f"used_{f}_hi"))}
                             for f in comp0["factors"]}
            comp["propagated"] = [f for f in str(r.get("propagated") or "").split(",") if f]
        out.append(Finding(fid, "scenario", (str(asset),), ws, we, align, _f(r["ret_pct"]), "pct", comp, prov, importance=imp,
                           computed_by="selloff.analytics.stress.betas.beta_what_if" if beta else ""))
    liq = _liq_finding(a, s, ws, we, shocks_pct.get(s.cascade.asset, float("nan")) if s.cascade is not None else float("nan"))
    if liq is not None:
        out.append(liq)
    return out
