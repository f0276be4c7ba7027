"""Findings: typed, ranked records of what the data shows — the only thing the writers may draw numbers from."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

KINDS = (
    "sector_move", "asset_move", "sector_cap_change", "breadth", "equity_move", "liquidations", "trigger_event",
    "contagion", "stabilisation", "attribution", "scenario", "macro_move", "dependency",
)


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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("window_start", "window_end"):
            d[k] = pd.Timestamp(d[k]).isoformat() if d[k] is not None else None
        return _jsonable(d)


def _jsonable(x: Any) -> Any:
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


def _day_window(d: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(d).tz_localize("UTC") if pd.Timestamp(d).tzinfo is None else pd.Timestamp(d)
    return start, start + pd.Timedelta(days=1)


def build_findings(a: Any) -> list[Finding]:
    """Turn an :class:`selloff.api.Analysis` into findings, most important first.

    Importance: size in sigma for moves, scaled by the market cap involved (log10 of USD) for assets; breadth and
    sector-level findings rank with the sector's sigma; liquidations by their share of open interest is not known
    here, so by log10 of the amount.
    """
    out: list[Finding] = []
    prov = {k: a.provenance.get(k) for k in ("tables", "sources", "ranges", "store")}
    ws, we = _day_window(a.date)
    daily = "close-to-close, UTC day (00:00-24:00 UTC)"
    sector_members = tuple(a.provenance.get("sector_members", ()))
    out.append(Finding("sector_move", "sector_move", (a.sector_id,), ws, we, daily + ", cap-weighted index",
                       100 * a.sector_ret_1d, "pct", {"z": a.sector_z_1d, "sigma_method": "EWMA lambda=0.94, data to the day before",
                                                      "equal_weighted_pct": 100 * a.sector_ret_equal_1d},
                       {**prov, "table": "bars+market_caps"}, importance=abs(a.sector_z_1d) * 12))
    out.append(Finding("breadth", "breadth", sector_members, ws, we, daily, a.breadth, "share",
                       {"threshold_pct": a.breadth_threshold_pct, "members": len(a.members)},
                       {**prov, "table": "bars"}, importance=abs(a.sector_z_1d) * 10 * a.breadth))
    for asset, row in a.members.iterrows():
        if not np.isfinite(row["ret_1d"]):
            continue
        cap = row["mcap_usd"] if np.isfinite(row["mcap_usd"]) else 1e8
        z = row["z_1d"] if np.isfinite(row["z_1d"]) else 0.0
        out.append(Finding(f"move_{asset}", "asset_move", (asset,), ws, we, daily, 100 * row["ret_1d"], "pct",
                           {"z": z, "ret_24h_pct": 100 * row["ret_24h"] if np.isfinite(row["ret_24h"]) else None},
                           {**prov, "table": "bars"}, importance=abs(z) * math.log10(max(cap, 10.0)) / 2,
                           extra={"close_usd": row["close"], "mcap_usd": row["mcap_usd"], "contribution_pct": 100 * row["contribution"]}))
    if a.cap_change is not None:
        c = a.cap_change
        out.append(Finding("sector_cap", "sector_cap_change", c.members, pd.Timestamp(c.start).tz_localize("UTC") + pd.Timedelta(days=1),
                           pd.Timestamp(c.end).tz_localize("UTC") + pd.Timedelta(days=1), "market cap at 00:00 UTC, same members at both ends",
                           c.change_pct, "pct", {"missing_members": list(c.missing)},
                           {**prov, "table": "market_caps"}, importance=abs(a.sector_z_1d) * 11,
                           extra={"cap_start_usd": c.cap_start_usd, "cap_end_usd": c.cap_end_usd}))
    for asset, row in a.equities.iterrows():
        s_end = pd.Timestamp(row["session"]).tz_localize("UTC")
        out.append(Finding(f"eq5_{asset}", "equity_move", (asset,), pd.Timestamp(row["window_start"]).tz_localize("UTC"), s_end,
                           "5 NYSE sessions, close-to-close (16:00 New York)", 100 * row["ret_5td"], "pct", {"ret_1d_pct": 100 * row["ret_1d"]},
                           {**prov, "table": "bars"}, importance=abs(100 * row["ret_5td"]) / 2))
    if a.btc:
        out.append(Finding("macro_btc", "macro_move", (a.btc["asset"],), ws, we, daily, 100 * a.btc["ret_1d"], "pct",
                           {"z": a.btc["z_1d"]}, {**prov, "table": "bars"}, importance=abs(a.btc["z_1d"]) * 8,
                           extra={"close_usd": a.btc["close"]}))
    if a.liquidations:
        L = a.liquidations
        partial = any(not c.startswith("simulated") for c in L["coverage"]) and any("partial" in c for c in L["coverage"])
        out.append(Finding("liquidations", "liquidations", tuple(L["assets"]), ws, we, "sum of hourly liquidations, UTC day",
                           L["total_usd"], "usd", {"long_usd": L["long_usd"], "short_usd": L["short_usd"], "partial": partial,
                                                   "coverage": L["coverage"], "venues": L["venues"]},
                           {**prov, "table": "derivatives", "sources": L["sources"]}, importance=math.log10(max(L["total_usd"], 10.0))))
    if a.events is not None and len(a.events):
        ev = a.events.sort_values("ts")
        for i, (_, e) in enumerate(ev.iterrows()):
            out.append(Finding(f"event_{i}", "trigger_event", (e["entity"],), e["ts"], e["ts"], "event time", float("nan"), "text",
                               {"kind": e["kind"]}, {"table": "events", "source": e["source"], "url": e.get("url")},
                               importance=5.0 if e["kind"] in ("capex_guidance", "earnings") else 2.0,
                               extra={"headline": e["headline"], "ts": e["ts"]}))
    if a.stabilisation is not None:
        s = a.stabilisation
        out.append(Finding("stabilisation", "stabilisation", (a.sector_id,), pd.Timestamp(s.trough).tz_localize("UTC"),
                           pd.Timestamp(s.asof).tz_localize("UTC") + pd.Timedelta(days=1), "daily, after the trough",
                           s.recovered_share, "share",
                           {"verdict": s.verdict, "no_new_low": s.no_new_low, "days_since_trough": s.days_since_trough,
                            "vol_ratio": s.vol_ratio, "vol_normal": s.vol_normal, "recovered": s.recovered},
                           {**prov, "table": "bars"}, importance=6.0))
    if a.episode is not None:
        e = a.episode
        out.append(Finding("episode", "sector_move", (a.sector_id,), pd.Timestamp(e.start).tz_localize("UTC"),
                           pd.Timestamp(e.trough).tz_localize("UTC") + pd.Timedelta(days=1), "cumulative from the close before the first sell-off day to the trough",
                           e.depth_pct, "pct", {"days": e.days, "worst_day_z": e.worst_day_z, "max_breadth": e.max_breadth},
                           {**prov, "table": "bars"}, importance=abs(e.worst_day_z) * 9))
    for f in getattr(a, "extra_findings", ()) or ():
        out.append(f)
    return sorted(out, key=lambda f: -f.importance)


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    rows = []
    for f in findings:
        rows.append({"id": f.id, "kind": f.kind, "subjects": ",".join(f.subjects), "window_start": f.window_start,
                     "window_end": f.window_end, "alignment": f.alignment, "value": f.value, "unit": f.unit,
                     "importance": round(f.importance, 2), "sources": f.provenance.get("sources")})
    return pd.DataFrame(rows)
