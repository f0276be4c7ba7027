"""The watch's outbox on a real store: grouping by sector, inhibition withheld then released, send_resolved only
where the firing went, and the engine's state (a pending hold period) surviving a restart."""
from __future__ import annotations

import re

import pandas as pd

from selloff.analytics.alerting.engine import evaluate
from selloff.analytics.alerting.observe import Observations
from selloff.analytics.alerting.rules import parse_rules
from selloff.pipeline.watch import outbox
from selloff.store import Store

H = pd.Timedelta(hours=1)
T0 = pd.Timestamp("2026-02-01T00:00Z")
SINKS = ["jsonl:/x.jsonl", "webhook:http://127.0.0.1/h"]


def step(store: Store, rules, prices: pd.DataFrame, sectors, at: pd.Timestamp, sinks=SINKS):
    """One watch round without fetch and send: observe the frame up to ``at``, evaluate from the stored state, save."""
    states, open_alerts = outbox.load_engine_state(store)
    obs = Observations.from_frame(prices.loc[:at], H, sectors)
    ev = evaluate(rules, obs, states, open_alerts)
    outbox.save_evaluation(store, ev, sinks, "test")
    return ev


def deliver_all(store: Store) -> list[outbox.Message]:
    msgs = outbox.messages_due(store)
    for m in msgs:
        outbox.record_outcome(store, m, "delivered", 1, None, pd.Timestamp("2026-02-01T12:00Z"))
    return msgs


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.date_range(T0, periods=n, freq="h"), dtype=float)


RULES = parse_rules({"rule": [
    {"name": "crash", "kind": "change", "assets": ["BTC"], "window": "1h", "below": -10.0, "inhibits": ["drop"]},
    {"name": "drop", "kind": "change", "sector": "ai", "window": "1h", "below": -5.0},
    {"name": "drop-eq", "kind": "change", "sector": "eq", "window": "1h", "below": -5.0},
]})
SECTORS = {"ai": ("TAO", "NEAR"), "eq": ("NVDA",)}


def test_one_message_per_sink_sector_and_event():
    with Store(":memory:") as s:
        p = frame(BTC=[100, 99, 98], TAO=[100, 90, 80], NEAR=[100, 91, 82], NVDA=[100, 90, 80])
        step(s, RULES, p, SECTORS, T0 + H)
        msgs = deliver_all(s)
        by = {(m.sink.split(":")[0], m.group): m for m in msgs}
        assert set(by) == {("jsonl", "ai"), ("jsonl", "eq"), ("webhook", "ai"), ("webhook", "eq")}
        ai = by[("webhook", "ai")].payload
        assert ai["type"] == "alert.firing" and sorted(a["asset"] for a in ai["data"]["alerts"]) == ["NEAR", "TAO"]
        assert {(a["source"], a["simulated"]) for a in ai["data"]["alerts"]} == {("test", False)}
        assert re.fullmatch(r"msg_[0-9a-f]{26}", by[("webhook", "ai")].id)
        assert by[("webhook", "ai")].id != by[("jsonl", "ai")].id
        # a second round, still falling: the same episodes, nothing new queued (dedupe)
        step(s, RULES, p, SECTORS, T0 + 2 * H)
        assert outbox.messages_due(s) == []


def test_inhibited_alert_waits_for_the_inhibitor_to_resolve():
    with Store(":memory:") as s:
        # t1: BTC -15 % inhibits TAO's drop; t2: BTC flat again (crash resolves), TAO -11 % → its drop still holds
        p = frame(BTC=[100, 85, 85], TAO=[100, 90, 80], NEAR=[100, 100, 100], NVDA=[100, 100, 100])
        step(s, RULES, p, SECTORS, T0 + H, sinks=SINKS[1:])
        first = deliver_all(s)
        assert [(m.event, m.group) for m in first] == [("firing", "market")]  # only the crash is notified
        ev = step(s, RULES, p, SECTORS, T0 + 2 * H, sinks=SINKS[1:])
        assert {(t.event, t.alert.rule) for t in ev.transitions} == {("resolved", "crash")}
        second = deliver_all(s)
        assert sorted((m.event, m.group) for m in second) == [("firing", "ai"), ("resolved", "market")]
        tao = next(m for m in second if m.group == "ai").payload["data"]["alerts"][0]
        assert tao["asset"] == "TAO" and tao["starts_at"] == (T0 + H).isoformat()  # the episode began at t1


def test_resolved_goes_only_where_the_firing_went():
    with Store(":memory:") as s:
        p = frame(BTC=[100, 100, 100], TAO=[100, 90, 91], NEAR=[100, 100, 100], NVDA=[100, 100, 100])
        step(s, RULES, p, SECTORS, T0 + H, sinks=SINKS[:1])          # a run with the jsonl sink only
        deliver_all(s)
        step(s, RULES, p, SECTORS, T0 + 2 * H, sinks=SINKS)          # restarted with the webhook added: resolves
        due = outbox.messages_due(s)
        assert [(m.sink, m.event) for m in due] == [("jsonl:/x.jsonl", "resolved")]


def test_a_pending_hold_period_survives_a_restart(tmp_path):
    rules = parse_rules({"rule": [{"name": "slow", "kind": "change", "assets": ["TAO"], "window": "1h",
                                   "below": -5.0, "for": "2h"}]})
    p = frame(TAO=[100, 90, 80, 70, 60])
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        step(s, rules, p, {}, T0 + H)
    with Store(path) as s:  # restart: the pending state since t1 comes from the store
        (row,) = s.read("watch_state").itertuples()
        assert (row.state, row.since) == ("pending", T0 + H)
        assert step(s, rules, p, {}, T0 + 2 * H).transitions == ()
    with Store(path) as s:
        ev = step(s, rules, p, {}, T0 + 3 * H)
        assert [(t.event, t.alert.starts_at) for t in ev.transitions] == [("firing", T0 + 3 * H)]
