"""The rule engine, pure: rules + observations + the saved state → the alerts' new state and transitions.

Semantics (Prometheus alerting rules and Alertmanager, https://prometheus.io/docs/alerting/latest/alertmanager/):

* **identity and dedupe** — an alert is identified by a fingerprint of its labels (rule, sector, asset); one
  firing episode per fingerprint exists at a time and is keyed by (fingerprint, start), so re-evaluating the same
  data, or restarting, never makes a second alert;
* **hold period** (``for``) — a condition that starts to hold makes the alert *pending*; it *fires* at the first
  evaluation at least ``for`` later at which the condition still holds (a false reading in between resets it);
* **cool-down** — for ``cooldown`` after a resolve the same fingerprint does not become pending again;
* **resolve** — a firing alert resolves when its condition no longer holds (``resolve = "clear"``), or, with
  ``resolve = "stabilised"``, when in addition the sector shows stabilisation (verdict ``stabilising`` of
  :func:`selloff.analytics.detect.stabilisation_since` on the daily sector returns since the day the alert's
  window began);
* **unknown readings** (a price missing or stale) change nothing: a pending alert does not fire on them and a
  firing one does not resolve — a feed outage is not an all-clear;
* **inhibition** — a firing alert of a rule with ``inhibits`` suppresses the notifications of firing alerts of
  the named rules (where the labels in ``inhibit_equal`` match); the suppressed alerts still exist and carry
  ``inhibited_by``;
* **disappearing alerts** — a firing alert whose rule or target is no longer in the rules (or the universe)
  resolves at the next evaluation, with that reason;
* **grouping** (by sector) is done by the notifier, which sends the alerts of one sector in one message.

Evaluation time is the observations' ``asof`` (the last grid time), so a replay of stored data gives the same
alerts as the live run did.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from selloff.analytics.alerting import observe as ob
from selloff.analytics.alerting.rules import Rule
from selloff.analytics.alerting.text import summaries
from selloff.analytics.detect import DetectParams, StabiliseParams, daily_signals, stabilisation_since

__all__ = ["Alert", "AlertState", "EngineParams", "Evaluation", "Signal", "Transition", "alert_id", "evaluate",
           "fingerprint"]

STATES = ("inactive", "pending", "firing")


@dataclass(frozen=True)
class EngineParams:
    zscore_min_obs: int = 24
    breadth_min_coverage: float = 0.5
    stabilise: StabiliseParams = field(default_factory=StabiliseParams)
    detect: DetectParams = field(default_factory=DetectParams)


@dataclass(frozen=True)
class AlertState:
    """The engine's memory of one fingerprint: ``state`` since ``since`` (pending or firing), last resolve."""

    fingerprint: str
    rule: str
    state: str = "inactive"
    since: pd.Timestamp | None = None
    last_resolved_at: pd.Timestamp | None = None


@dataclass(frozen=True)
class Signal:
    """One rule's condition for one target at ``asof``: ``holds`` True/False, or None when unmeasurable."""

    fingerprint: str
    rule: str
    sector: str | None
    asset: str | None
    holds: bool | None
    values: dict
    summary_en: str
    summary_de: str


@dataclass(frozen=True)
class Alert:
    """A firing or resolved alert episode; ``values`` are the readings when it fired (``resolved`` added at the end)."""

    fingerprint: str
    id: str
    rule: str
    kind: str
    sector: str | None
    asset: str | None
    severity: str
    status: str
    starts_at: pd.Timestamp
    ends_at: pd.Timestamp | None
    updated_at: pd.Timestamp
    summary_en: str
    summary_de: str
    values: dict
    inhibited_by: str | None = None


@dataclass(frozen=True)
class Transition:
    event: str
    """``firing`` (the alert started) or ``resolved``."""
    alert: Alert


@dataclass(frozen=True)
class Evaluation:
    asof: pd.Timestamp
    states: tuple[AlertState, ...]
    """New state of every fingerprint evaluated or remembered."""
    alerts: tuple[Alert, ...]
    """Every alert firing after this evaluation, plus those that resolved in it."""
    transitions: tuple[Transition, ...]
    signals: tuple[Signal, ...]


def fingerprint(rule: str, sector: str | None, asset: str | None) -> str:
    """A stable id of an alert's labels: the first 16 hex digits of SHA-256 over their canonical JSON."""
    labels = json.dumps({"asset": asset, "rule": rule, "sector": sector}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(labels.encode()).hexdigest()[:16]


def alert_id(fp: str, starts_at: pd.Timestamp) -> str:
    """The id of one episode of an alert: fingerprint and UTC start, e.g. ``3f2a...-20260205T000000Z``."""
    return f"{fp}-{starts_at.tz_convert('UTC'):%Y%m%dT%H%M%SZ}"


def _targets(rule: Rule, obs: ob.Observations) -> list[tuple[str | None, str | None]]:
    """(sector, asset) label pairs a rule alerts on."""
    if not rule.per_asset:
        return [(rule.sector, None)]
    assets = list(rule.assets) + [a for a in obs.sectors.get(rule.sector or "", ()) if a not in rule.assets]
    return [(rule.sector, a) for a in assets]


def _reading(rule: Rule, obs: ob.Observations, sector: str | None, asset: str | None,
             p: EngineParams) -> tuple[bool | None, dict]:
    if rule.kind == "threshold":
        price = obs.price(asset, obs.asof)
        if price is None:
            return None, {}
        v = {"price_usd": price, "at": obs.asof.isoformat()}
        return (price <= rule.below if rule.below is not None else price >= rule.above), v
    if rule.kind == "crossing":
        price = obs.price(asset, obs.asof)
        if price is None or asset not in obs.prices:
            return None, {}
        before = obs.prices[asset].loc[obs.asof - rule.window : obs.asof].iloc[:-1].dropna()
        if before.empty:
            return None, {}
        down = rule.direction == "down"
        beyond = price < rule.level if down else price > rule.level
        was = bool((before >= rule.level).any() if down else (before <= rule.level).any())
        return beyond and was, {"price_usd": price, "level_usd": rule.level, "at": obs.asof.isoformat()}
    if rule.kind == "change":
        r = ob.change_reading(obs, asset, rule.window)
        if r is None:
            return None, {}
        c = r["change_pct"]
        return (c <= rule.below if rule.below is not None else c >= rule.above), r
    if rule.kind == "zscore":
        r = ob.zscore_reading(obs, asset, rule.window, rule.baseline, p.zscore_min_obs)
        if r is None:
            return None, {}
        return (r["z"] <= rule.below if rule.below is not None else r["z"] >= rule.above), r
    members = obs.sectors.get(sector or "", ())
    if rule.kind == "episode":
        return _episode(obs, members, p)
    r = ob.sector_breadth(obs, members, rule.window, rule.drop_pct, p.breadth_min_coverage)
    if r is None:
        return None, {}
    holds = r["share"] >= rule.min_share
    if rule.benchmark is not None:
        b = ob.change_reading(obs, rule.benchmark, rule.window)
        if b is None:
            return None, {}
        r = {**r, "benchmark": rule.benchmark, "benchmark_change_pct": b["change_pct"]}
        holds = holds and b["change_pct"] >= rule.benchmark_above_pct
    return holds, r


def _episode(obs: ob.Observations, members: Sequence[str], p: EngineParams) -> tuple[bool | None, dict]:
    """The detector's verdict on the sector's current (provisional) day."""
    rets = ob.daily_member_returns(obs, members)
    if rets.empty or rets.iloc[-1].notna().sum() < max(1, math.ceil(p.breadth_min_coverage * len(members))):
        return None, {}
    sr = ob.daily_sector_returns(obs, members)  # cap-weighted, as the scan weighs
    sig = daily_signals(sr, rets, list(rets.columns), p.detect).iloc[-1]
    if pd.isna(sig["z"]) or pd.isna(sig["ret_pct"]):
        return None, {}
    day = rets.index[-1]
    return bool(sig["selloff"]), {"day": str(day.date()), "ret_pct": float(sig["ret_pct"]), "z": float(sig["z"]),
                                  "sigma_pct": float(sig["sigma_pct"]), "breadth": float(sig["breadth"]),
                                  "breadth_drop_pct": p.detect.breadth_drop_pct,
                                  "provisional": bool(obs.asof != obs.asof.floor("D"))}


def signal(rule: Rule, obs: ob.Observations, sector: str | None, asset: str | None, p: EngineParams) -> Signal:
    holds, values = _reading(rule, obs, sector, asset, p)
    values = {**values, "window_s": None if rule.window is None else rule.window.total_seconds()}
    en, de = summaries(rule, sector, asset, values) if holds is not None else ("no reading", "kein Messwert")
    return Signal(fingerprint(rule.name, sector, asset), rule.name, sector, asset, holds, values, en, de)


def _stabilised(rule: Rule, obs: ob.Observations, alert: Alert, p: EngineParams) -> tuple[bool, dict]:
    sr = ob.daily_sector_returns(obs, obs.sectors.get(rule.sector or "", ())).dropna()
    start = (alert.starts_at - (rule.window or pd.Timedelta(0))).tz_convert("UTC").tz_localize(None).normalize()
    if sr.empty or start not in sr.index:
        return False, {"verdict": "unknown", "reason": f"no daily sector return on {start.date()}"}
    st = stabilisation_since(sr, start, None, p.stabilise)
    info = {"verdict": st.verdict, "asof": str(st.asof.date()), "trough": str(st.trough.date()),
            "days_since_trough": st.days_since_trough, "recovered_share": st.recovered_share,
            "vol_ratio": None if pd.isna(st.vol_ratio) else st.vol_ratio}
    return st.verdict == "stabilising", info


def _start(rule: Rule, sig: Signal, asof: pd.Timestamp) -> Alert:
    return Alert(sig.fingerprint, alert_id(sig.fingerprint, asof), rule.name, rule.kind, sig.sector, sig.asset,
                 rule.severity, "firing", asof, None, asof, sig.summary_en, sig.summary_de, dict(sig.values))


def _inhibit(alerts: list[Alert], rules: Mapping[str, Rule]) -> list[Alert]:
    firing = [a for a in alerts if a.status == "firing"]
    out = []
    for a in alerts:
        by = None
        if a.status == "firing":
            for s in firing:
                src = rules.get(s.rule)
                if s is a or src is None or a.rule not in src.inhibits:
                    continue
                if all(getattr(s, lab) == getattr(a, lab) for lab in src.inhibit_equal):
                    by = s.id
                    break
        out.append(replace(a, inhibited_by=by))
    return out


def evaluate(rules: Sequence[Rule], obs: ob.Observations, states: Mapping[str, AlertState],
             open_alerts: Mapping[str, Alert], params: EngineParams | None = None) -> Evaluation:
    """One evaluation of every rule at ``obs.asof`` (see the module docstring).

    Parameters
    ----------
    states
        The saved :class:`AlertState` per fingerprint (missing: inactive, never resolved).
    open_alerts
        The firing episodes per fingerprint as stored (their start and the values they fired with).
    """
    p = params or EngineParams()
    now = obs.asof
    by_name = {r.name: r for r in rules}
    new_states: dict[str, AlertState] = dict(states)
    alerts: list[Alert] = []
    transitions: list[tuple[str, str]] = []
    signals: list[Signal] = []
    for rule in rules:
        for sector, asset in _targets(rule, obs):
            sig = signal(rule, obs, sector, asset, p)
            signals.append(sig)
            st = states.get(sig.fingerprint, AlertState(sig.fingerprint, rule.name))
            cur = open_alerts.get(sig.fingerprint) if st.state == "firing" else None
            if st.state == "firing" and cur is None:  # state without its episode (should not happen): refire
                st = replace(st, state="inactive", since=None)
            if st.state == "firing":
                done, extra = (sig.holds is False), {}
                if done and rule.resolve == "stabilised":
                    done, extra = _stabilised(rule, obs, cur, p)
                    extra = {"stabilisation": extra}
                if done:
                    resolved = replace(cur, status="resolved", ends_at=now, updated_at=now,
                                       values={**cur.values, "resolved": {**sig.values, **extra}})
                    alerts.append(resolved)
                    transitions.append(("resolved", resolved.fingerprint))
                    new_states[sig.fingerprint] = AlertState(sig.fingerprint, rule.name, "inactive", None, now)
                else:
                    alerts.append(replace(cur, updated_at=now))
                continue
            cooling = st.last_resolved_at is not None and now < st.last_resolved_at + rule.cooldown
            if sig.holds is None:
                continue
            if not sig.holds or cooling:
                if st.state != "inactive":
                    new_states[sig.fingerprint] = replace(st, state="inactive", since=None)
                continue
            since = st.since if st.state == "pending" and st.since is not None else now
            if now - since >= rule.hold:
                a = _start(rule, sig, now)
                alerts.append(a)
                transitions.append(("firing", a.fingerprint))
                new_states[sig.fingerprint] = AlertState(sig.fingerprint, rule.name, "firing", now, st.last_resolved_at)
            else:
                new_states[sig.fingerprint] = AlertState(sig.fingerprint, rule.name, "pending", since, st.last_resolved_at)
    known = {s.fingerprint for s in signals}
    for fp, a in open_alerts.items():  # its rule or target is no longer watched: nothing can resolve it later
        if fp not in known:
            gone = replace(a, status="resolved", ends_at=now, updated_at=now,
                           values={**a.values, "resolved": {"reason": "rule or target no longer watched"}})
            alerts.append(gone)
            transitions.append(("resolved", fp))
            new_states[fp] = AlertState(fp, a.rule, "inactive", None, now)
    alerts = _inhibit(alerts, by_name)
    final = {a.fingerprint: a for a in alerts}
    trans = tuple(Transition(ev, final[fp]) for ev, fp in transitions)
    return Evaluation(now, tuple(new_states[k] for k in sorted(new_states)), tuple(alerts), trans, tuple(signals))
