"""The watch's store I/O: the engine's saved state, the alert episodes and the notification outbox.

One evaluation is saved in ONE transaction — alert episodes, the engine's state and the new outbox rows
(``alert_deliveries`` with status ``pending``) — so a crash or Ctrl-C leaves either all of it or none of it,
and a restart picks up exactly where the store says. Sending comes after the commit and updates each
message's rows when it is done (delivered, or dead-letter after the last retry); a message whose send was
interrupted stays pending and is sent on the next round, with the same ``webhook-id``, so a receiver that
saw it already can drop it (at-least-once delivery with an idempotency key).

Notifications (Alertmanager): one message per sink, sector group and event (``firing`` or ``resolved``) holding
the group's alerts; a firing alert is notified once per sink unless inhibited (it is notified when the
inhibiting alert resolves, if it is still firing then); ``resolved`` goes to every sink that got the
``firing`` notification (send_resolved).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from selloff.analytics.alerting.engine import Alert, AlertState, Evaluation
from selloff.analytics.sources_priority import SIMULATED
from selloff.pipeline.alerts import record_of
from selloff.store import Store
from selloff.store import alerts as stored

__all__ = ["Message", "load_engine_state", "messages_due", "record_outcome", "save_evaluation"]

OPEN_LIMIT = 1_000_000


def _ts(v: object) -> pd.Timestamp | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v)


def load_engine_state(store: Store) -> tuple[dict[str, AlertState], dict[str, Alert]]:
    """The saved :class:`AlertState` per fingerprint and the open (firing) episodes per fingerprint."""
    ws = stored.read_watch_state(store)
    states = {r.fingerprint: AlertState(r.fingerprint, r.rule, r.state, _ts(r.since), _ts(r.last_resolved_at))
              for r in ws.itertuples(index=False)}
    firing = stored.read_alerts(store, status="firing", limit=OPEN_LIMIT)
    return states, {r.fingerprint: record_of(r) for r in firing.itertuples(index=False)}


def _alert_rows(alerts: Iterable[Alert], source: str | None) -> pd.DataFrame:
    return pd.DataFrame([{
        "fingerprint": a.fingerprint, "starts_at": a.starts_at, "id": a.id, "rule": a.rule, "kind": a.kind,
        "sector": a.sector, "asset": a.asset, "severity": a.severity, "status": a.status,
        "ends_at": a.ends_at if a.ends_at is not None else pd.NaT, "updated_at": a.updated_at,
        "summary_en": a.summary_en, "summary_de": a.summary_de,
        "values_json": json.dumps(a.values, sort_keys=True, default=str), "inhibited_by": a.inhibited_by,
        "source": source} for a in alerts])


def _state_rows(states: Sequence[AlertState], at: pd.Timestamp) -> pd.DataFrame:
    return pd.DataFrame([{"fingerprint": s.fingerprint, "rule": s.rule, "state": s.state,
                          "since": s.since if s.since is not None else pd.NaT,
                          "last_resolved_at": s.last_resolved_at if s.last_resolved_at is not None else pd.NaT,
                          "evaluated_at": at} for s in states])


def _group(a: Alert) -> str:
    return a.sector or "market"


def _message_id(sink: str, event: str, alert_ids: Sequence[str]) -> str:
    h = hashlib.sha256("|".join([sink, event, *sorted(alert_ids)]).encode()).hexdigest()
    return f"msg_{h[:26]}"


def save_evaluation(store: Store, ev: Evaluation, sinks: Sequence[str], source: str | None) -> int:
    """Store the evaluation and queue its notifications, in one transaction; the number of new outbox rows."""
    have = stored.read_deliveries(store)
    done = set(zip(have["alert_id"], have["event"], have["sink"]))
    resolved_now = {t.alert.id for t in ev.transitions if t.event == "resolved"}
    new: dict[tuple[str, str, str], list[str]] = {}
    for a in ev.alerts:
        for sink in sinks:
            if a.status == "firing" and a.inhibited_by is None and (a.id, "firing", sink) not in done:
                new.setdefault((sink, _group(a), "firing"), []).append(a.id)
            elif a.id in resolved_now and (a.id, "resolved", sink) not in done and (
                    (a.id, "firing", sink) in done or any(a.id in ids for (s, _, e), ids in new.items()
                                                          if s == sink and e == "firing")):
                new.setdefault((sink, _group(a), "resolved"), []).append(a.id)
    rows = []
    for (sink, _, event), ids in new.items():
        mid = _message_id(sink, event, ids)
        rows += [{"alert_id": i, "event": event, "sink": sink, "status": "pending", "attempts": 0, "message_id": mid,
                  "last_attempt_at": pd.NaT, "delivered_at": pd.NaT, "last_error": None} for i in ids]
    with store.transaction():
        if ev.alerts:
            store.upsert("alerts", _alert_rows(ev.alerts, source), what="watch alerts")
        if ev.states:
            store.upsert("watch_state", _state_rows(ev.states, ev.asof), what="watch state")
        if rows:
            store.upsert("alert_deliveries", pd.DataFrame(rows), what="watch outbox")
    return len(rows)


@dataclass(frozen=True)
class Message:
    """One notification: the alerts of one sector group and event for one sink, with its canonical body."""

    id: str
    sink: str
    event: str
    group: str
    alert_ids: tuple[str, ...]
    body: bytes
    attempts_before: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


def _simulated(source: object) -> bool:
    """Whether an alert's readings came from the simulated demo market (never evidence: every output says so)."""
    return isinstance(source, str) and SIMULATED in source.split(",")


def _alert_payload(a: pd.Series, event: str) -> dict:
    values = json.loads(a["values_json"])
    if event == "firing":
        values.pop("resolved", None)
    return {"id": a["id"], "fingerprint": a["fingerprint"], "rule": a["rule"], "kind": a["kind"],
            "severity": a["severity"], "status": event, "sector": None if pd.isna(a["sector"]) else a["sector"],
            "asset": None if pd.isna(a["asset"]) else a["asset"], "starts_at": pd.Timestamp(a["starts_at"]).isoformat(),
            "ends_at": pd.Timestamp(a["ends_at"]).isoformat() if event == "resolved" and pd.notna(a["ends_at"]) else None,
            "summary": {"en": a["summary_en"], "de": a["summary_de"]}, "values": values,
            "source": None if pd.isna(a["source"]) else a["source"], "simulated": _simulated(a["source"])}


def messages_due(store: Store) -> list[Message]:
    """The outbox: every message with pending rows, firing before resolved, oldest alerts first."""
    d = stored.read_deliveries(store)
    d = d[d["status"] == "pending"]
    if d.empty:
        return []
    alerts = stored.read_alerts(store, limit=OPEN_LIMIT).set_index("id", drop=False)
    out = []
    for mid, g in d.groupby("message_id", sort=False):
        ids = tuple(sorted(i for i in g["alert_id"] if i in alerts.index))
        if not ids:
            continue
        event, sink = g["event"].iloc[0], g["sink"].iloc[0]
        items = [_alert_payload(alerts.loc[i], event) for i in ids]
        when = max((x["ends_at"] if event == "resolved" else x["starts_at"]) or x["starts_at"] for x in items)
        group = items[0]["sector"] or "market"
        payload = {"type": f"alert.{event}", "timestamp": when,
                   "data": {"group": {"sector": group}, "status": event, "alerts": items}}
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        out.append(Message(str(mid), sink, event, group, ids, body, int(g["attempts"].fillna(0).max())))
    return sorted(out, key=lambda m: (m.event != "firing", min(m.alert_ids)))


def record_outcome(store: Store, msg: Message, status: str, attempts: int, error: str | None,
                   at: pd.Timestamp) -> None:
    """Mark the message's rows ``delivered``, ``dead_letter`` or (interrupted) still ``pending``."""
    rows = pd.DataFrame([{"alert_id": i, "event": msg.event, "sink": msg.sink, "status": status,
                          "attempts": msg.attempts_before + attempts, "message_id": msg.id, "last_attempt_at": at,
                          "delivered_at": at if status == "delivered" else pd.NaT, "last_error": error}
                         for i in msg.alert_ids])
    with store.transaction():
        store.upsert("alert_deliveries", rows, what=f"delivery of {msg.id}")
