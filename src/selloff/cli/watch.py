"""``selloff watch`` (poll, evaluate rules, alert) and ``selloff alerts`` (the stored alert history).

Ctrl-C or SIGTERM asks the watch to stop: the current step finishes (store writes are transactions), waits
end at once, and the command exits 0 with its summary; a second Ctrl-C interrupts at once.
"""
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import JsonOpt, StoreOpt, UniverseOpt, command, print_df, print_json, store_file, universe_of
from selloff.errors import ConfigError

RulesOpt = Annotated[Optional[Path], typer.Option("--rules", help="Rules TOML (default: \\[watch] rules_file, else the bundled example).")]


def _table(report, width: int = 80):
    """The round as a rich table that fits ``width`` columns: firing and pending alerts first."""
    from rich.table import Table

    ev = report.evaluation
    srcs = ", ".join(f"{s} {st}" for s, st in report.fetch) or "no fetch"
    t = Table(title=f"selloff watch · round {report.number} · {report.now:%Y-%m-%d %H:%M} UTC", caption=srcs[:width],
              width=width)
    for name, w in (("rule", 18), ("target", 9), ("state", 8), ("reading", None)):
        t.add_column(name, max_width=w, overflow="ellipsis" if w else "fold", no_wrap=bool(w))
    if ev is None:
        t.add_row("—", "—", "stopped", "")
        return t
    state = {s.fingerprint: s.state for s in ev.states}
    firing = {a.fingerprint: a for a in ev.alerts if a.status == "firing"}
    order = {"firing": 0, "pending": 1, "inactive": 2}
    rows = []
    for s in ev.signals:
        st = "firing" if s.fingerprint in firing else state.get(s.fingerprint, "inactive")
        if st == "firing" and firing[s.fingerprint].inhibited_by:
            st = "muted"
        shown = st if st != "inactive" else ("ok" if s.holds is False else ("—" if s.holds is None else "cooling"))
        rows.append((order.get(st, 0), s.rule, s.asset or s.sector or "", shown, s.summary_en))
    for _, rule, target, st, text in sorted(rows, key=lambda r: r[0])[:20]:
        t.add_row(rule, target, st, text)
    if len(rows) > 20:
        t.add_row("…", "", "", f"{len(rows) - 20} more quiet targets")
    return t


@command(app, "watch")
def watch(
    rules: RulesOpt = None,
    interval: Annotated[Optional[float], typer.Option("--interval", help="Seconds between polls (default \\[watch] interval_s).")] = None,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
    iterations: Annotated[Optional[int], typer.Option("--iterations", help="Stop after N rounds (default: until Ctrl-C).")] = None,
    sink: Annotated[Optional[list[str]], typer.Option("--sink", help="terminal, jsonl:PATH or webhook:URL (repeat; default \\[watch] sinks). The webhook secret is read from $SELLOFF_WEBHOOK_SECRET.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Replay instead of polling: evaluate the stored data from this instant (UTC) at every \\[watch] grid step.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="End of the replay (default now).")] = None,
    store: StoreOpt = None,
    universe: UniverseOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Poll the sources, re-run detection and the alert rules on what arrived, notify the sinks; resumes after a
    restart without duplicate alerts (state in the store). With --since: replay the stored data (a backtest)."""
    from rich.console import Console
    from rich.live import Live

    from selloff.pipeline.watch.start import make_watch, replay_window

    if interval is not None and not interval > 0:
        raise ConfigError(f"--interval {interval!r} must be a number of seconds > 0, e.g. 60")
    if iterations is not None and iterations < 1:
        raise ConfigError(f"--iterations {iterations!r} must be a whole number >= 1")
    n = 1 if once else iterations
    stop = threading.Event()
    console = Console(width=80)
    live = None

    def show(report) -> None:
        if json_ or not terminal:
            return
        if live is not None:
            live.update(_table(report), refresh=True)
        else:
            console.print(_table(report))

    w, terminal = make_watch(store_file(store), universe_of(universe), rules_file=rules, sinks=sink, interval_s=interval,
                             stop=stop, on_round=show)

    def on_signal(signum, _frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    window = replay_window(since, until) if since is not None or until is not None else None
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if window is not None:
            summary = w.replay(*window)
        elif terminal and not json_ and sys.stdout.isatty() and n != 1:
            with Live(console=console, auto_refresh=False) as live:
                summary = w.run(n)
        else:
            summary = w.run(n)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if json_:
        print_json(summary.to_dict())
    else:
        typer.echo(f"watch: {summary.rounds} round(s), {summary.fired} fired, {summary.resolved} resolved, "
                   f"{summary.delivered} delivered, {summary.dead_letters} dead letter(s), {summary.errors} error(s)"
                   + ("; stopped" if summary.stopped else ""))


@command(app, "alerts")
def alerts(
    status: Annotated[Optional[str], typer.Option("--status", help="firing or resolved.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Alerts alive at or after this instant (UTC).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most N alerts, newest first.")] = 200,
    lang: Annotated[str, typer.Option("--lang", help="Summary language: en or de.")] = "en",
    store: StoreOpt = None,
    json_: JsonOpt = False,
) -> None:
    """The stored alert history and each sink's health (what selloff watch recorded)."""
    from selloff import api

    if lang not in ("en", "de"):
        raise ConfigError(f"--lang {lang!r} is unknown; use en or de")
    res = api.alerts(store_file(store), since=since, status=status, limit=limit)
    if json_:
        print_json(res.to_dict())
        return
    df = res.to_frame()
    df = df.assign(summary=df[f"summary_{lang}"], start=df["starts_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M}"))
    caption = None if res.watch_tables else "this store predates selloff watch (schema 1): no alerts"
    if any(a.simulated for a in res.alerts):
        from selloff.config import defaults

        caption = defaults("report")[f"simulated_label_{lang}"]
    print_df(df[["start", "rule", "status", "summary"]], "alerts", False, caption=caption)
    if res.channels:
        print_df(res.channels_frame()[["sink", "delivered", "dead_letter", "last_error"]], "channels", False)
