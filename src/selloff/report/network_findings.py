"""Findings of the report's "Is it spreading across the market?": the sector connectedness network before and with
the episode (:func:`selloff.analytics.sector_network.sector_network`, the same network ``explain`` shows).

- ``network_total``: the Diebold–Yilmaz total connectedness of the episode window, with the pre-episode window's
  value, the bootstrap standard error and the judgement's verdict on the change;
- ``netrole_<sector>``: each sector's net spillover (to − from) in the episode window, its bootstrap SE and its
  role (transmitter / receiver only beyond the SE rule of :func:`selloff.report.judgement.net_role`);
- ``network_edge``: the strongest pairwise net spillover of the episode window;
- ``network_left_out``: why the report's own sector is not in the network (when it is not);
- ``network_unavailable``: why no network could be computed (too few sectors, too little common history).

Every value is read from the :class:`~selloff.analytics.sector_network.SectorNetwork` the pipeline computed; the
view it comes in (``net``, ``error``, ``sector``, ``sectors``, ``sources``) is
:class:`selloff.pipeline.report.NetworkView`.
"""
from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import pandas as pd

from selloff.analytics.sector_network import left_out_reason
from selloff.config import defaults
from selloff.report import judgement
from selloff.report.findings import Finding
from selloff.report.format import Formatter
from selloff.texts import Text

__all__ = ["clear", "extremes", "network_findings"]

COMPUTED = "selloff.analytics.sector_network.sector_network"


def _utc(ts: Any) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _f(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _names(view: Any) -> dict[str, dict[str, str]]:
    return {sid: {"en": v["en"], "de": v.get("de") or v["en"]} for sid, v in view.sectors.items()}


def _overlap(view: Any, ids: list[str]) -> list[list[str]]:
    mem = {sid: set(view.sectors.get(sid, {}).get("members", ())) for sid in ids}
    return [[a, b] for a, b in combinations(ids, 2) if mem[a] & mem[b]]


def _unavailable(view: Any) -> list[Finding]:
    err = view.error
    ctx = dict(getattr(err, "context", {}) or {})
    code = str(ctx.get("code", "other"))
    d = _utc(view.date)
    have = ctx.get("have")
    return [Finding("network_unavailable", "network", (view.sector,), d, d + pd.Timedelta(days=1),
                    Text("network_why", "sector connectedness network: why it could not be computed"), _f(have) if have is not None else float("nan"),
                    "count", {"code": code, "need": ctx.get("need"), "window": ctx.get("window")},
                    {"tables": ["bars", "market_caps"], "table": "bars+market_caps", "sources": list(view.sources),
                     "method": str(err)}, importance=2.0,
                    extra={"headline": str(err), "alignment_de": "Sektorverflechtungsnetzwerk: warum es sich nicht berechnen ließ"},
                    computed_by=COMPUTED)]


def network_findings(a: Any, view: Any) -> list[Finding]:
    """Findings of a :class:`selloff.pipeline.report.NetworkView` (``None``: none)."""
    if view is None:
        return []
    if view.net is None:
        return _unavailable(view) if view.error is not None else []
    net = view.net
    k = float(defaults("judgement")["change_se_multiple"])
    ws, we = _utc(net.pre_window[0]), _utc(net.episode_window[1]) + pd.Timedelta(days=1)
    epi_start = _utc(net.episode_window[0])
    prov = {"tables": ["bars", "market_caps"], "table": "bars+market_caps", "sources": list(view.sources),
            "method": net.method}
    p = net.params
    de = Formatter("de")
    ident = {"generalized": "generalisierte", "orthogonal": "orthogonalisierte"}.get(p.identification, p.identification)
    align_de = (f"Diebold-Yilmaz-VAR({p.lags}), {ident} FEVD über {p.horizon} Schritte, tägliche Log-Renditen der "
                f"Sektorindizes, {p.window} gemeinsame Handelstage je Fenster (Fenster vor dem Ausverkauf bis zum "
                f"{de.date(net.pre_window[1])}, Fenster des Ausverkaufs bis zum {de.date(net.episode_window[1])}); "
                f"Standardfehler per Residuen-Bootstrap ({p.bootstrap_reps} Wiederholungen)")
    align = Text("network_dy", (f"Diebold-Yilmaz VAR({p.lags}), {p.horizon}-step {p.identification} FEVD of daily sector-index log returns, "
             f"{p.window} common sessions per window (pre-episode window to {net.pre_window[1].date()}, episode window "
             f"to {net.episode_window[1].date()}); SE = residual bootstrap ({p.bootstrap_reps} replicates)"), lags=p.lags, horizon=p.horizon, ident=ident, window=p.window,
                 pre_end=de.date(net.pre_window[1]), epi_end=de.date(net.episode_window[1]), reps=p.bootstrap_reps)
    s = net.summary()
    ids = list(net.sectors.index)
    se = _f(s["total_episode_se_pp"])
    comp = {"before_pct": float(net.pre.total), "se_pp": se, "se_pre_pp": _f(s["total_pre_se_pp"]),
            "change": judgement.change_word(float(net.pre.total), float(net.episode.total), se), "multiple": k,
            "n_sectors": len(ids), "window_sessions": int(p.window), "pre_end": _utc(net.pre_window[1]),
            "episode_start": _utc(net.episode_start), "episode_end": _utc(net.episode_end),
            "tvp_pre_pct": _f(s["tvp_total_pre_pct"]), "tvp_epi_pct": _f(s["tvp_total_episode_pct"]),
            "overlap": _overlap(view, ids), "reps": int(p.bootstrap_reps), "sectors": ids,
            "own_in": view.sector in ids}
    rows = [{"sector": sid, "net_pre": _f(r["net_pre"]), "net_epi": _f(r["net_epi"]), "net_epi_se": _f(r["net_epi_se"])}
            for sid, r in net.sectors.iterrows()]
    out = [Finding("network_total", "network", tuple(ids), ws, we, align, float(net.episode.total), "pct", comp, prov,
                   importance=4.2, extra={"sectors": rows, "names": _names(view), "method": net.method,
                                                   "alignment_de": align_de},
                   computed_by=COMPUTED)]
    for sid, r in net.sectors.iterrows():
        v, e = _f(r["net_epi"]), _f(r["net_epi_se"])
        out.append(Finding(f"netrole_{sid}", "network", (sid,), epi_start, we, align, v, "pp",
                           {"se_pp": e, "role": judgement.net_role(v, e, k), "before_pp": _f(r["net_pre"]),
                            "se_pre_pp": _f(r["net_pre_se"]), "role_before": judgement.net_role(_f(r["net_pre"]), _f(r["net_pre_se"]), k),
                            "multiple": k, "own": sid == view.sector},
                           prov, importance=3.8 if sid == view.sector else 2.5 + min(abs(v) / 10, 1.0),
                           extra={"alignment_de": align_de}, computed_by=COMPUTED))
    if len(net.edges):
        e = net.edges.iloc[0]
        v, es = _f(e["epi_pct"]), _f(e["epi_se"])
        out.append(Finding("network_edge", "network", (str(e["from"]), str(e["to"])), epi_start, we, align, v, "pp",
                           {"from": str(e["from"]), "to": str(e["to"]), "se_pp": es, "before_pp": _f(e["pre_pct"]),
                            "clear": judgement.net_role(v, es, k) == "transmitter"}, prov, importance=3.0,
                           extra={"alignment_de": align_de}, computed_by=COMPUTED))
    if view.sector not in ids:
        why = net.skipped.get(view.sector, "")
        reason = left_out_reason(why) if why else {"code": "no_prices"}
        out.append(Finding("network_left_out", "network", (view.sector,), ws, we, align, float("nan"), "text",
                           {k_: (v_ if not isinstance(v_, pd.Timestamp) else _utc(v_)) for k_, v_ in reason.items()},
                           prov, importance=3.5, extra={"headline": why or "no prices", "alignment_de": align_de},
                           computed_by=COMPUTED))
    return out


def clear(findings: list[Finding], role: str) -> list[Finding]:
    """The sectors whose net role is ``role`` (strongest first)."""
    hits = [f for f in findings if f.id.startswith("netrole_") and f.comparison.get("role") == role]
    return sorted(hits, key=lambda f: -abs(f.value))


def extremes(findings: list[Finding]) -> tuple[Finding | None, Finding | None]:
    """The largest net transmitter and the largest net receiver (by value, whatever their role)."""
    roles = [f for f in findings if f.id.startswith("netrole_") and math.isfinite(f.value)]
    if not roles:
        return None, None
    return max(roles, key=lambda f: f.value), min(roles, key=lambda f: f.value)
