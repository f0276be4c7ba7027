"""The watch loop: poll the sources, re-evaluate the rules on what the store now holds, save, notify, repeat.

One round (at ``now`` = the clock):

1. **fetch** — for every source in ``[watch] sources`` (not backing off) plan what the store lacks from
   ``now - history`` to ``now`` and execute it, less the task kinds of ``[watch] skip_kinds``
   (:mod:`selloff.pipeline.fetch`: each task commits on its own, failures are logged in ``fetch_log``). A source whose every task failed backs off: it is skipped until
   ``now + min(interval * 2^(failures-1), source_backoff_max_s)``; the watch keeps evaluating on stored data;
2. **observe** — read ``bars`` and ``market_caps`` of the watched assets once, choose one source per series
   (:func:`selloff.analytics.sources_priority.select_series`), and build the observation grid;
3. **evaluate** — :func:`selloff.analytics.alerting.engine.evaluate` with the state saved by the previous
   round (read from the store, so a restart continues without a duplicate);
4. **save** — alerts, state and the new outbox rows in one transaction (:mod:`.outbox`);
5. **notify** — send every pending message; after the last retry it goes to the dead-letter file.

The store is opened for each round and closed before the wait, so other readers (the dashboard, ``selloff
alerts``) can open it between rounds. A stop request (``stop`` event: Ctrl-C or SIGTERM in the CLI) is
checked between the steps and ends any wait at once; the store's writes are transactions, so nothing is left
half-written.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from selloff.analytics.alerting import observe as ob
from selloff.analytics.alerting.engine import Evaluation, evaluate
from selloff.analytics.alerting.rules import Rule
from selloff.analytics.sources_priority import select_series
from selloff.errors import SelloffError
from selloff.pipeline import fetch
from selloff.pipeline.watch import outbox
from selloff.pipeline.watch.params import WatchParams
from selloff.pipeline.watch.sinks import append_jsonl
from selloff.redact import redact
from selloff.sources.tasks import FetchContext
from selloff.store import Store
from selloff.universe import Universe

__all__ = ["RoundReport", "Watch", "WatchSummary"]

log = logging.getLogger("selloff.watch")


@dataclass(frozen=True)
class RoundReport:
    """What one round did: per source the fetch outcome, the evaluation, each message sent and the errors."""

    number: int
    now: pd.Timestamp
    fetch: tuple[tuple[str, str], ...]
    evaluation: Evaluation | None
    deliveries: tuple[tuple[str, str, str], ...]
    """(message id, sink, outcome: delivered, dead_letter, pending)."""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchSummary:
    rounds: int
    fired: int
    resolved: int
    delivered: int
    dead_letters: int
    errors: int
    stopped: bool

    def to_dict(self) -> dict:
        return {"rounds": self.rounds, "fired": self.fired, "resolved": self.resolved, "delivered": self.delivered,
                "dead_letters": self.dead_letters, "errors": self.errors, "stopped": self.stopped}


def _resolve_rules(rules: Sequence[Rule], universe: Universe) -> tuple[Rule, ...]:
    """Rules with asset and sector names resolved to universe ids (``ConfigError`` for an unknown one)."""
    out = []
    for r in rules:
        out.append(replace(r, assets=tuple(universe.asset(a).id for a in r.assets),
                           sector=universe.sector(r.sector).id if r.sector else None,
                           benchmark=universe.asset(r.benchmark).id if r.benchmark else None))
    return tuple(out)


@dataclass
class Watch:
    """A configured watch; :meth:`run` loops, :meth:`round` runs one round (see the module docstring)."""

    store_path: Path
    universe: Universe
    rules: Sequence[Rule]
    sinks: Sequence = ()
    ctx: FetchContext = field(default_factory=FetchContext)
    params: WatchParams = field(default_factory=WatchParams)
    dead_letter_file: Path | None = None
    clock: Callable[[], pd.Timestamp] = field(default=lambda: pd.Timestamp.now(tz="UTC"))
    stop: threading.Event = field(default_factory=threading.Event)
    on_round: Callable[[RoundReport], None] | None = None

    def __post_init__(self) -> None:
        self.rules = _resolve_rules(self.rules, self.universe)
        sectors = list(dict.fromkeys([*(self.universe.sector(s).id for s in self.params.sectors),
                                      *(r.sector for r in self.rules if r.sector)]))
        self.sector_members = {s: tuple(self.universe.sector(s).members) for s in sectors}
        extra = [a for r in self.rules for a in (*r.assets, *([r.benchmark] if r.benchmark else []))]
        self.asset_ids = list(dict.fromkeys([*(m for ms in self.sector_members.values() for m in ms), *extra]))
        self.assets = [self.universe.asset(a) for a in self.asset_ids]
        self.dead_letter_file = self.dead_letter_file or self.params.dead_letter_file or \
            Path(self.store_path).with_name("watch-dead-letter.jsonl")
        self._failures: dict[str, int] = {}
        self._next_try: dict[str, pd.Timestamp] = {}
        self._rounds = 0

    # -- the steps ------------------------------------------------------------------------------------------
    def _fetch(self, store: Store, now: pd.Timestamp) -> tuple[list[tuple[str, str]], list[str]]:
        out, errors = [], []
        ctx = replace(self.ctx, now=now)
        for src in self.params.sources:
            if self.stop.is_set():
                break
            if src in self._next_try and now < self._next_try[src]:
                out.append((src, f"backing off until {self._next_try[src]:%H:%M:%S}"))
                continue
            res = []
            try:
                tasks = fetch.plan(store, self.universe, ctx, assets=self.assets, since=now - self.params.history,
                                   until=now, sources=[src], interval=self.params.fetch_interval)
                res = fetch.execute(store, [t for t in tasks if t.kind not in self.params.skip_kinds])
                errs = [r.error or "error" for r in res if r.status == "error"]
                all_failed = bool(errs) and not any(r.status == "ok" for r in res)
            except SelloffError as exc:
                errs, all_failed = [redact(str(exc))], True
            ok = sum(r.status == "ok" for r in res)
            errors += [f"{src}: {e}" for e in errs]
            if all_failed:
                n = self._failures.get(src, 0) + 1
                self._failures[src] = n
                wait = min(self.params.interval_s * 2 ** (n - 1), self.params.source_backoff_max_s)
                self._next_try[src] = now + pd.Timedelta(seconds=wait)
                log.warning("%s failed %d time(s) in a row (%s); next try in %.0f s", src, n, errs[0], wait)
                out.append((src, f"failed ({n}×), retry in {wait:.0f} s"))
            else:
                self._failures.pop(src, None)
                self._next_try.pop(src, None)
                out.append((src, f"ok ({ok} task(s)" + (f", {len(errs)} failed)" if errs else ")")))
        return out, errors

    def _points(self, store: Store, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The watched assets' price points in ``[start, end]``: one read per table, one source per series."""
        p = self.params
        bars = store.read("bars", assets=self.asset_ids, start=start - pd.Timedelta(days=1), end=end,
                          columns=["asset", "interval", "ts", "source", "close"], order=False)
        caps = store.read("market_caps", assets=self.asset_ids, start=start, end=end,
                          columns=["asset", "ts", "source", "price_usd", "market_cap_usd"], order=False)
        bars = select_series(bars, p.priority, keys=("asset", "interval"))
        caps = select_series(caps.dropna(subset=["price_usd"]), p.priority, keys=("asset",))
        points = ob.price_points(bars, caps)
        return points[points["ts"] <= end]

    def _observe(self, points: pd.DataFrame, now: pd.Timestamp) -> ob.Observations:
        p = self.params
        return ob.observations(points, self.asset_ids, self.sector_members, now, now - p.history, p.grid, p.staleness)

    def _notify(self, store: Store) -> list[tuple[str, str, str]]:
        by_name = {s.name: s for s in self.sinks}
        sent = []
        for msg in outbox.messages_due(store):
            sink = by_name.get(msg.sink)
            if sink is None or self.stop.is_set():
                continue  # a sink of an earlier run, not configured now: its messages wait for it
            res = sink.deliver(msg.id, msg.body, self.stop)
            at = pd.Timestamp.now(tz="UTC")
            if res.ok:
                status = "delivered"
            elif res.interrupted:
                status = "pending"
            else:
                append_jsonl(self.dead_letter_file, {"message_id": msg.id, "sink": msg.sink, "failed_at": at.isoformat(),
                                                     "attempts": msg.attempts_before + res.attempts,
                                                     "error": res.error, "payload": msg.payload})
                status = "dead_letter"
                log.warning("%s: %s gave up (%s); written to %s", msg.sink, msg.id, res.error, self.dead_letter_file)
            outbox.record_outcome(store, msg, status, res.attempts, res.error, at)
            sent.append((msg.id, msg.sink, status))
        return sent

    # -- a round and the loop ------------------------------------------------------------------------------
    def round(self) -> RoundReport:
        self._rounds += 1
        now = self.clock()
        errors: list[str] = []
        ev = None
        sent: list[tuple[str, str, str]] = []
        fetched: list[tuple[str, str]] = []
        with Store(self.store_path) as store:
            fetched, errors = self._fetch(store, now)
            if not self.stop.is_set():
                obs = self._observe(self._points(store, now - self.params.history, now), now)
                states, open_alerts = outbox.load_engine_state(store)
                ev = evaluate(self.rules, obs, states, open_alerts, self.params.engine)
                outbox.save_evaluation(store, ev, [s.name for s in self.sinks], ",".join(obs.sources) or None)
                for t in ev.transitions:
                    log.info("%s %s: %s", t.event, t.alert.id, t.alert.summary_en)
            if not self.stop.is_set():
                sent = self._notify(store)
        report = RoundReport(self._rounds, now, tuple(fetched), ev, tuple(sent), tuple(errors))
        if self.on_round:
            self.on_round(report)
        return report

    def replay(self, since: pd.Timestamp, until: pd.Timestamp) -> WatchSummary:
        """Evaluate the rules at every grid time of ``[since, until]`` on the stored data (no fetch): a backtest
        of the rules that stores its alerts like a live run would have (restart-safe too: the state is read
        from the store first and saved whenever it changes), then notifies the sinks once."""
        p = self.params
        fired = resolved = 0
        times = pd.date_range(since.ceil(p.grid), until.floor(p.grid), freq=p.grid)
        n = 0
        try:
            with Store(self.store_path) as store:
                points = self._points(store, since - p.history, until)
                states, open_alerts = outbox.load_engine_state(store)
                for t in times:
                    if self.stop.is_set():
                        break
                    n += 1
                    obs = self._observe(points[points["ts"] <= t], t)
                    ev = evaluate(self.rules, obs, states, open_alerts, p.engine)
                    new_states = {s.fingerprint: s for s in ev.states}
                    if ev.transitions or new_states != states or t == times[-1]:
                        outbox.save_evaluation(store, ev, [s.name for s in self.sinks], ",".join(obs.sources) or None)
                    states, open_alerts = new_states, {a.fingerprint: a for a in ev.alerts if a.status == "firing"}
                    fired += sum(tr.event == "firing" for tr in ev.transitions)
                    resolved += sum(tr.event == "resolved" for tr in ev.transitions)
                sent = [] if self.stop.is_set() else self._notify(store)
        finally:
            self.close()
        return WatchSummary(n, fired, resolved, sum(x == "delivered" for _, _, x in sent),
                            sum(x == "dead_letter" for _, _, x in sent), 0, self.stop.is_set())

    def run(self, iterations: int | None = None) -> WatchSummary:
        """Rounds every ``interval_s`` until ``iterations`` are done (None: until stopped)."""
        fired = resolved = delivered = dead = errs = 0
        n = 0
        try:
            while not self.stop.is_set() and (iterations is None or n < iterations):
                n += 1
                try:
                    rep = self.round()
                except (SelloffError, OSError) as exc:  # the store in use by another writer, a full disk: next round
                    log.error("round %d failed: %s", n, redact(str(exc)))
                    errs += 1
                    self.stop.wait(self.params.interval_s)
                    continue
                if rep.evaluation is not None:
                    fired += sum(t.event == "firing" for t in rep.evaluation.transitions)
                    resolved += sum(t.event == "resolved" for t in rep.evaluation.transitions)
                delivered += sum(s == "delivered" for _, _, s in rep.deliveries)
                dead += sum(s == "dead_letter" for _, _, s in rep.deliveries)
                errs += len(rep.errors)
                if iterations is not None and n >= iterations:
                    break
                self.stop.wait(self.params.interval_s)
        finally:
            self.close()
        return WatchSummary(n, fired, resolved, delivered, dead, errs, self.stop.is_set())

    def close(self) -> None:
        """Close the sinks' and the connectors' HTTP clients."""
        for s in self.sinks:
            s.close()
        for client in (self.ctx.coingecko, self.ctx.coinglass):
            if client is not None:
                client.close()
