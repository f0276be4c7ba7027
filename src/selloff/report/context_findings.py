"""Findings of the context block (:class:`~selloff.analytics.context.DayContext`): one finding per figure, each
with its window, source and the analytics function that computed it."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from selloff.report.findings import UTC_DAY, Finding
from selloff.texts import Text
from selloff.timeutil import day_window

__all__ = ["context_findings"]

CTX = "selloff.analytics.context."


def _ts(t: Any) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _prov(a: Any, table: str, source: Any = None) -> dict:
    if isinstance(source, list):
        srcs = source or a.provenance.get("sources")
    else:
        srcs = [source] if isinstance(source, str) and source else a.provenance.get("sources")
    return {"tables": [table.split(".")[0]], "sources": srcs, "ranges": a.provenance.get("ranges"), "table": table}


def _ok(v: Any) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(float(v))


def context_findings(a: Any, c: Any) -> list[Finding]:
    """The context findings of analysis ``a`` and context ``c``; a part that could not be measured becomes a
    ``context`` finding of unit ``text`` with the reason (``extra['reason']``), so the text can say so."""
    ws, we = day_window(a.date)
    daily = UTC_DAY
    asrc = a.provenance.get("asset_sources", {})
    idx_src = sorted({asrc[m] for m in c.coverage["covered"] if m in asrc})  # the index's own series
    out: list[Finding] = []
    missing: dict[str, str] = dict(c.notes)
    for group, rows in (("peer", c.peers), ("index", c.indices)):
        for r in rows:
            if r.get("asset") in (a.sector_id,):
                continue
            if not _ok(r.get("value_pct")):
                continue
            al = Text("nyse_1", "close-to-close, NYSE session (16:00 New York)") if r["equity"] else daily
            out.append(Finding(f"ctx_{group}_{r['asset']}", "context", (r["asset"],), _ts(r["start"]), _ts(r["end"]), al,
                               float(r["value_pct"]), "pct", {"group": group}, _prov(a, "bars", r.get("source")),
                               importance=1.0, computed_by=CTX + "peer_moves"))
    vol_missing = []
    for r in c.volume:
        if not _ok(r.get("value")):
            vol_missing.append(f"{r['asset']} ({r.get('reason')})")
            continue
        out.append(Finding(f"ctx_vol_{r['asset']}", "context", (r["asset"],), _ts(r["start"]), we,
                           Text("ctx_volume", f"the day's volume over the mean of the {r['n']} daily volumes before it", n=r["n"]),
                           float(r["value"]), "multiple",
                           {"n": r["n"]}, _prov(a, "bars", r.get("source")), importance=0.9, computed_by=CTX + "volume_multiple"))
    if vol_missing:
        missing["volume"] = "; ".join(vol_missing)
    rng_missing = []
    for r in c.ranges:
        if not _ok(r.get("low")):
            rng_missing.append(f"{r['asset']} ({r.get('reason')})")
            continue
        out.append(Finding(f"ctx_range_{r['asset']}", "context", (r["asset"],), ws, we, Text("ctx_range", "intraday low and high of the UTC day's bar"),
                           float(r["low"]), "usd", {"high": r.get("high"), "low_pct": r.get("low_pct"), "prev_close": r.get("prev_close")},
                           _prov(a, "bars", r.get("source")), importance=0.8, computed_by=CTX + "intraday_range"))
    if rng_missing:
        missing["intraday range"] = "; ".join(rng_missing)
    dd = c.drawdown
    if _ok(dd.get("value_ath_pct")):
        out.append(Finding("ctx_drawdown", "context", (a.sector_id,), _ts(dd["since"]), we,
                           Text("ctx_drawdown", "index close on the day against its highest close since the data begin and in "
                                f"the {dd['window_days']} days to the day", days=dd["window_days"]),
                           float(dd["value_ath_pct"]), "pct", {"ath_day": dd["ath_day"], "since": dd["since"], "recent_pct": dd["value_recent_pct"],
                                                               "recent_day": dd["recent_day"], "window_days": dd["window_days"]},
                           _prov(a, "bars", idx_src), importance=1.2, computed_by=CTX + "drawdowns"))
    else:
        missing["drawdown"] = dd.get("reason") or Text("ctx_no_index", "no index level")
    if len(c.slide) >= 2:
        rows = [{"day": d, "ret_pct": float(r["ret_pct"]), "cum_pct": float(r["cum_pct"])} for d, r in c.slide.iterrows()]
        out.append(Finding("ctx_slide", "context", (a.sector_id,), _ts(c.slide.index[0]), we,
                           Text("ctx_slide", "daily close-to-close moves of the sector index, compounded from the close before "
                                "the first row"),
                           float(c.slide["cum_pct"].iloc[-1]), "pct", {"days": len(rows)}, _prov(a, "bars", idx_src), importance=1.1,
                           extra={"rows": rows}, computed_by=CTX + "slide_table"))
    else:
        missing["slide"] = Text("ctx_slide_short", "fewer than two index closes before the day")
    if len(c.catalysts):
        rows = [{"ts": r["ts"], "kind": r["kind"], "what": r["what"], "subject": r["subject"], "value_pct": r["value_pct"],
                 "source": r["source"], "event_kind": r["event_kind"]} for _, r in c.catalysts.iterrows()]
        out.append(Finding("ctx_catalysts", "context", tuple(dict.fromkeys(r["subject"] for r in rows)),
                           _ts(c.catalysts["ts"].min()), we, Text("ctx_catalysts", "stored events and the largest daily equity moves (NYSE close) before the day"),
                           float(len(rows)), "count", {}, _prov(a, "events+bars"), importance=1.0, extra={"rows": rows},
                           computed_by=CTX + "catalysts"))
    else:
        missing["catalysts"] = Text("ctx_no_catalysts", "no events and no equity moves in the data for the days before")
    for r in c.since:
        key = "latest" if r["days"] is None else f"{r['days']}d"
        if not _ok(r.get("value_pct")):
            continue
        out.append(Finding(f"ctx_since_{key}", "context", (a.sector_id,), we, _ts(r["end"]) + pd.Timedelta(days=1),
                           Text("ctx_since_index", "sector index, from the day's close to the close of the later day"),
                           float(r["value_pct"]), "pct",
                           {"days": r["days"], "end_day": r["end"]}, _prov(a, "bars", idx_src), importance=0.7, computed_by=CTX + "since_then"))
    for m, rows in c.since_members.items():
        last = next((r for r in rows if r["days"] is None and _ok(r.get("value_pct"))), None)
        if last is not None:
            out.append(Finding(f"ctx_since_{m}", "context", (m,), we, _ts(last["end"]) + pd.Timedelta(days=1),
                               Text("ctx_since_member", "from the day's close to the latest close in the data"),
                               float(last["value_pct"]), "pct",
                               {"end_day": last["end"]}, _prov(a, "bars", a.provenance.get("asset_sources", {}).get(m)),
                               importance=0.6, computed_by=CTX + "since_then"))
    snap_missing = []
    for r in c.snapshots:
        if not _ok(r.get("value_pct")):
            snap_missing.append(r["asset"])
            continue
        out.append(Finding(f"snap_{r['asset']}", "snapshot_move", (r["asset"],), _ts(r["start"]), _ts(r["end"]),
                           Text("ctx_snapshot", "provider snapshot to snapshot (about 10:00 UTC each), not a close-to-close move"),
                           float(r["value_pct"]), "pct",
                           {}, _prov(a, "bars", r.get("source")), importance=0.5, computed_by=CTX + "snapshot_moves"))
    if snap_missing:
        missing["members without prices"] = ", ".join(snap_missing)
    b = c.breadth
    out.append(Finding("ctx_breadth", "context", tuple(c.coverage["covered"]), ws, we, daily, float(b["rose"]), "count",
                       {**b}, _prov(a, "bars", idx_src), importance=0.5, computed_by=CTX + "breadth_split"))
    if missing:
        out.append(Finding("ctx_missing", "context", (a.sector_id,), ws, we, Text("ctx_missing", "parts of the context block that could not be shown"),
                           float("nan"), "text", {"parts": missing}, _prov(a, "bars"), importance=0.1,
                           extra={"headline": ""}, computed_by=CTX + "day_context"))
    return out
