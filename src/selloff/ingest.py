"""Fetch orchestration: plan what the store lacks, fetch it source by source, write each batch atomically.

``plan`` reads :meth:`Store.coverage` and turns the request (assets, window, sources) into :class:`Task` s —
one per (source, metric, asset, venue) — covering only the ranges the store does not hold yet (before its first
or after its last row; holes inside the stored range are not searched). ``execute`` runs them: each task
fetches and transforms all its pages first, then writes all its frames and its ``fetch_log`` row in ONE store
transaction, so an exception, Ctrl-C or kill leaves the store as it was before that task (earlier tasks stay
committed: a rerun resumes where it stopped). Failed tasks are logged in ``fetch_log`` with status ``error``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from selloff.errors import ConfigError, SelloffError, SourceError
from selloff.sources import coinglass as cg_mod
from selloff.sources import events as ev_mod
from selloff.sources import exchanges as ex_mod
from selloff.sources import yahoo as yf_mod
from selloff.sources._http import HttpPolicy
from selloff.sources.coingecko import CoinGecko, transform_categories, transform_chart, transform_markets
from selloff.store import Store
from selloff.store.store import UpsertResult
from selloff.universe import Asset, Universe

SOURCES = ("coingecko", "ccxt", "coinglass", "yahoo", "events")
DEFAULT_HISTORY_DAYS = 365
Frames = list[tuple[str, pd.DataFrame]]


@dataclass
class Task:
    source: str
    kind: str
    what: str
    run: Callable[[], Frames] = field(repr=False)
    asset: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    calls: int = 1
    """Estimated requests."""
    notes: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "what": self.what, "asset": self.asset,
                "start": None if self.start is None else self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(),
                "calls": self.calls, "notes": list(self.notes)}


@dataclass
class TaskResult:
    task: Task
    status: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duration_s: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.task.describe(), "status": self.status, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "duration_s": round(self.duration_s, 3), "error": self.error}


@dataclass
class FetchContext:
    """Where the data comes from (clients, URLs) — built from the environment by the CLI, by hand in tests."""

    coingecko: CoinGecko | None = None
    coinglass: cg_mod.CoinGlass | None = None
    exchanges: Sequence[str] = ex_mod.DEFAULT_EXCHANGES
    liquidation_exchanges: Sequence[str] = ("gate",)
    exchange_factory: Callable[[str], Any] = ex_mod.make_exchange
    yahoo_downloader: yf_mod.Downloader | None = None
    yahoo_policy: HttpPolicy | None = None
    event_files: Sequence[Path] = ()
    feeds: Sequence[str] = ()
    feed_policy: HttpPolicy | None = None
    now: pd.Timestamp | None = None
    _ex_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def exchange(self, name: str):
        if name not in self._ex_cache:
            self._ex_cache[name] = self.exchange_factory(name)
        return self._ex_cache[name]

    def clock(self) -> pd.Timestamp:
        return self.now if self.now is not None else pd.Timestamp.now(tz="UTC")


def _utc(value: object, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"{name} '{value}' is not a date; use YYYY-MM-DD") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def select_assets(universe: Universe, sector: str | None = None, assets: str | Sequence[str] | None = None) -> list[Asset]:
    """Assets named by ``--assets A,B`` and/or ``--sector S``; the whole universe when neither is given."""
    out: list[Asset] = []
    if sector:
        out += universe.members(universe.sector(sector).id)
    if assets:
        names = assets.split(",") if isinstance(assets, str) else list(assets)
        out += [universe.asset(n) for n in names if n.strip()]
    if not sector and not assets:
        out = list(universe.assets.values())
    seen, uniq = set(), []
    for a in out:
        if a.id not in seen:
            seen.add(a.id)
            uniq.append(a)
    return uniq


def missing_ranges(cov: pd.DataFrame, match: dict[str, str], start: pd.Timestamp, end: pd.Timestamp,
                   step: pd.Timedelta) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Parts of ``[start, end]`` the store lacks for one series: before its first and after its last row."""
    rows = cov
    for k, v in match.items():
        if k not in rows.columns:
            return [(start, end)]
        rows = rows[rows[k] == v]
    if rows.empty:
        return [(start, end)]
    first, last = rows["first_ts"].min(), rows["last_ts"].max()
    out = []
    if start < first - step:
        out.append((start, min(first - step, end)))
    if last + step < end:
        out.append((max(last + step, start), end))
    return [(s, e) for s, e in out if s < e]


def missing_runs(present: pd.DatetimeIndex, expected: pd.DatetimeIndex, step: pd.Timedelta
                 ) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of ``expected`` bar timestamps absent from ``present``, as ``(first open, last open + step)`` ranges.

    Consecutive missing bars (neighbours in ``expected``) form one run, so a hole in the middle of a stored series
    is fetched as one request range — not only what lies before the first or after the last stored row.
    """
    if len(expected) == 0:
        return []
    miss = ~expected.isin(present)
    if not miss.any():
        return []
    runs, start_i = [], None
    for i, m in enumerate(miss):
        if m and start_i is None:
            start_i = i
        if not m and start_i is not None:
            runs.append((expected[start_i], expected[i - 1] + step))
            start_i = None
    if start_i is not None:
        runs.append((expected[start_i], expected[-1] + step))
    return runs


def _expected_bars(start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta, equity: bool) -> pd.DatetimeIndex:
    """Bar open times a complete series has in ``[start, end)``: every step for 24/7 markets; NYSE session opens
    for daily equity bars (weekends, holidays and early closes from ``exchange_calendars``)."""
    if equity:
        from selloff.analytics.calendar import nyse_sessions

        days = nyse_sessions(start.tz_convert(None).normalize(), (end - pd.Timedelta(days=1)).tz_convert(None).normalize())
        opens = pd.DatetimeIndex(days["open_ts"])
        return opens[(opens >= start - pd.Timedelta(days=1)) & (opens < end)]
    first = start.ceil(step)
    last = (end - step).floor(step)
    return pd.date_range(first, last, freq=step) if last >= first else pd.DatetimeIndex([], tz="UTC")


def bar_gaps(store: Store, match: dict[str, str], start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta,
             equity: bool = False) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """What the store lacks of one bar series (asset, interval, source) in ``[start, end)``, holes included.
    Intraday equity series fall back to the edges (their sessions are not a fixed grid)."""
    if equity and step < pd.Timedelta(days=1):
        return missing_ranges(store.coverage("bars"), match, start, end, step)
    have = store.read("bars", assets=[match["asset"]], interval=match["interval"], sources=[match["source"]],
                      start=start - step, end=end)
    present = pd.DatetimeIndex(have["ts"]) if not have.empty else pd.DatetimeIndex([], tz="UTC")
    return missing_runs(present, _expected_bars(start, end, step, equity), step)


def _step(interval: str) -> pd.Timedelta:
    return ex_mod.timeframe_delta(interval)


def plan(store: Store, universe: Universe, ctx: FetchContext, *, assets: Sequence[Asset], since: object = None,
         until: object = None, sources: Sequence[str] = SOURCES, interval: str = "1d") -> list[Task]:
    """Tasks that fetch what the store lacks. Nothing is fetched here."""
    bad = [s for s in sources if s not in SOURCES]
    if bad:
        raise ConfigError(f"unknown --source {bad}; use one of {', '.join(SOURCES)}")
    now = ctx.clock()
    end = min(_utc(until, "--until"), now) if until else now
    start = _utc(since, "--since") if since else end - pd.Timedelta(days=DEFAULT_HISTORY_DAYS)
    if start >= end:
        raise ConfigError(f"--since {start:%Y-%m-%d} is not before --until {end:%Y-%m-%d}; swap or fix them")
    step = _step(interval)
    tasks: list[Task] = []
    cov_der = store.coverage("derivatives")
    if "coingecko" in sources:
        tasks += _plan_coingecko(ctx, assets, store, start, end, interval, step, now)
    if "ccxt" in sources:
        tasks += _plan_ccxt(ctx, assets, store, cov_der, start, end, interval, step, now)
    if "coinglass" in sources:
        tasks += _plan_coinglass(ctx, assets, cov_der, start, end, interval, step)
    if "yahoo" in sources:
        tasks += _plan_yahoo(ctx, assets, store, start, end, interval, step, now)
    if "events" in sources:
        tasks += _plan_events(ctx, universe)
    return tasks


def _plan_coingecko(ctx, assets, store, start, end, interval, step, now) -> list[Task]:
    cg = ctx.coingecko
    if cg is None:
        return []
    tasks = []
    tokens = [a for a in assets if a.kind == "token"]
    for a in tokens:
        if not a.coingecko_id:
            tasks.append(_note_task("coingecko", a.id, f"{a.id} has no coingecko_id in the universe; skipped"))
            continue
        for s, e in bar_gaps(store, {"asset": a.id, "interval": interval, "source": "coingecko"}, start, end, step):
            try:
                q = cg.build_chart_query(a.id, a.coingecko_id, s, e, interval)
            except SelloffError as exc:
                tasks.append(_note_task("coingecko", a.id, str(exc)))
                continue

            def run(q=q) -> Frames:
                bars, caps = transform_chart(q, cg.extract_chart(q))
                return [("bars", bars), ("market_caps", caps)]

            tasks.append(Task("coingecko", "market_chart", f"{a.id} ({q.coin_id}) {interval} in {len(q.chunks)} request(s)",
                              run, a.id, q.start, q.end, len(q.chunks), q.notes))
    with_ids = {a.coingecko_id: a.id for a in tokens if a.coingecko_id}
    if with_ids and end >= now - pd.Timedelta(hours=1):
        def run_markets() -> Frames:
            return [("market_caps", transform_markets(cg.extract_markets(list(with_ids)), with_ids))]

        tasks.append(Task("coingecko", "markets", f"snapshot of {len(with_ids)} coins", run_markets, None, now, now,
                          math.ceil(len(with_ids) / 250)))

        def run_categories() -> Frames:
            return [("category_caps", transform_categories(cg.extract_categories(), cg.extract_categories_list()))]

        tasks.append(Task("coingecko", "categories", "category market caps (snapshot)", run_categories, None, now, now, 2))
    return tasks


def _note_task(source: str, asset: str | None, note: str) -> Task:
    return Task(source, "skip", "skipped", lambda: [], asset, None, None, 0, (note,))


def _pages(start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta, per_page: int = 500) -> int:
    return max(1, math.ceil((end - start) / step / per_page))


def _plan_ccxt(ctx, assets, store, cov_der, start, end, interval, step, now) -> list[Task]:
    tasks = []
    tokens = [a for a in assets if a.kind == "token"]
    for ex_id in ctx.exchanges:
        for a in tokens:
            spot, perp = a.symbols.get(ex_id), a.symbols.get(f"{ex_id}_perp")
            if spot:
                for s, e in bar_gaps(store, {"asset": a.id, "interval": interval, "source": ex_id}, start, end, step):
                    q = ex_mod.build_query(ex_id, a.id, spot, s, e, interval, now=now)
                    tasks.append(Task("ccxt", "ohlcv", f"{ex_id} {spot} {interval}", _ccxt_run(ctx, q, "ohlcv"),
                                      a.id, q.start, q.end, _pages(q.start, q.end, step)))
            if not perp:
                continue
            for kind, src in (("funding", f"{ex_id}/funding"), ("oi", f"{ex_id}/oi")):
                match = {"asset": a.id, "venue": ex_id, "source": src}
                if kind == "oi":
                    match["interval"] = interval
                for s, e in missing_ranges(cov_der, match, start, end, step):
                    try:
                        q = ex_mod.build_query(ex_id, a.id, perp, s, e, interval, now=now, kind=kind)
                    except SelloffError as exc:
                        tasks.append(_note_task("ccxt", a.id, str(exc)))
                        continue
                    tasks.append(Task("ccxt", kind, f"{ex_id} {perp} {'funding' if kind == 'funding' else 'open interest ' + interval}",
                                      _ccxt_run(ctx, q, kind), a.id, q.start, q.end,
                                      _pages(q.start, q.end, pd.Timedelta(hours=8) if kind == "funding" else step), q.notes))
    for ex_id in ctx.liquidation_exchanges:
        for a in tokens:
            perp = a.symbols.get(f"{ex_id}_perp")
            if not perp:
                continue
            for s, e in missing_ranges(cov_der, {"asset": a.id, "interval": interval, "venue": ex_id,
                                                 "source": f"{ex_id}/liquidations"}, start, end, step):
                q = ex_mod.build_query(ex_id, a.id, perp, s, e, interval, now=now, kind="liquidations")
                tasks.append(Task("ccxt", "liquidations", f"{ex_id} {perp} liquidation history (partial: one venue)",
                                  _ccxt_run(ctx, q, "liquidations"), a.id, q.start, q.end, _pages(q.start, q.end, step, 100)))
    return tasks


def _ccxt_run(ctx: FetchContext, q: ex_mod.PagedQuery, kind: str) -> Callable[[], Frames]:
    def run() -> Frames:
        ex = ctx.exchange(q.exchange)
        if kind == "ohlcv":
            return [("bars", ex_mod.transform_ohlcv(ex_mod.extract_ohlcv(ex, q), q))]
        if kind == "funding":
            return [("derivatives", ex_mod.transform_funding(ex_mod.extract_funding(ex, q), q))]
        if kind == "oi":
            rows = ex_mod.extract_open_interest(ex, q)
            close = None
            if rows and any(r.get("openInterestValue") is None for r in rows):
                bars = ex_mod.transform_ohlcv(ex_mod.extract_ohlcv(ex, q), q)
                close = bars.set_index("ts")["close"]
            return [("derivatives", ex_mod.transform_open_interest(rows, q, close))]
        df = ex_mod.transform_liquidations(ex_mod.extract_liquidations(ex, q), q)
        return [("derivatives", df)] if len(df) else []

    return run


def _plan_coinglass(ctx, assets, cov, start, end, interval, step) -> list[Task]:
    if ctx.coinglass is None:
        return [_note_task("coinglass", None, cg_mod.NO_KEY_MESSAGE)]
    cgl = ctx.coinglass
    tasks = []
    for a in (a for a in assets if a.kind == "token"):
        for kind, src in (("liquidations", "coinglass/liquidations"), ("oi", "coinglass/oi")):
            for s, e in missing_ranges(cov, {"asset": a.id, "interval": interval, "venue": "aggregate", "source": src},
                                       start, end, step):
                q = cgl.build_query(a.id, interval, s, e)

                def run(q=q, kind=kind, asset=a.id) -> Frames:
                    if kind == "liquidations":
                        return [("derivatives", cg_mod.transform_liquidations(cgl.extract_liquidations(q), asset, interval))]
                    return [("derivatives", cg_mod.transform_open_interest(cgl.extract_open_interest(q), asset, interval))]

                tasks.append(Task("coinglass", kind, f"{a.id} aggregated {kind} {interval}", run, a.id, s, e, 1))
    return tasks


def _plan_yahoo(ctx, assets, store, start, end, interval, step, now) -> list[Task]:
    tasks = []
    for a in (a for a in assets if a.kind in ("equity", "index")):
        if not a.yahoo:
            tasks.append(_note_task("yahoo", a.id, f"{a.id} has no yahoo ticker; skipped"))
            continue
        for s, e in bar_gaps(store, {"asset": a.id, "interval": interval, "source": "yahoo"}, start, end,
                             step if interval != "1d" else pd.Timedelta(days=1), equity=a.kind != "token"):
            try:
                q = yf_mod.build_query(a.id, a.yahoo, s, e + pd.Timedelta(days=1) if interval == "1d" else e,
                                       interval, now=now)
            except SelloffError as exc:
                tasks.append(_note_task("yahoo", a.id, str(exc)))
                continue

            def run(q=q) -> Frames:
                return [("bars", yf_mod.transform(yf_mod.extract(q, ctx.yahoo_downloader, ctx.yahoo_policy), q))]

            tasks.append(Task("yahoo", "bars", f"{a.yahoo} {interval}", run, a.id, q.start, q.end, 1))
    return tasks


def _plan_events(ctx: FetchContext, universe: Universe) -> list[Task]:
    tasks = []
    for f in ctx.event_files:
        p = Path(f)

        def run_file(p=p) -> Frames:
            return [("events", ev_mod.transform_rows(ev_mod.read_events_file(p), universe, source=f"file:{p.name}"))]

        tasks.append(Task("events", "file", str(p), run_file, None, None, None, 0))
    for url in ctx.feeds:
        def run_feed(url=url) -> Frames:
            df = ev_mod.transform_feed(ev_mod.extract_feed(url, ctx.feed_policy), url, universe)
            return [("events", df)] if len(df) else []

        tasks.append(Task("events", "feed", url, run_feed, None, None, None, 1))
    if not tasks:
        tasks.append(_note_task("events", None, "no --events-file or --feed given; nothing to fetch for events"))
    return tasks


def execute(store: Store, tasks: Sequence[Task], on_done: Callable[[Task, TaskResult], None] | None = None) -> list[TaskResult]:
    """Run the tasks in order; each one's frames and fetch_log row commit together or not at all."""
    results = []
    for task in tasks:
        if task.kind == "skip":
            res = TaskResult(task, "skipped", error="; ".join(task.notes))
            results.append(res)
            if on_done:
                on_done(task, res)
            continue
        started = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        request = f"{task.kind}: {task.what}"
        try:
            frames = task.run()
            with store.transaction():
                total = UpsertResult("", 0, 0, 0)
                for table, df in frames:
                    if df is not None and len(df):
                        total = total + store.upsert(table, df, what=f"{task.source} {task.what}")
                dur = time.perf_counter() - t0
                store.log_fetch(task.source, "ok", request=request, range_start=task.start, range_end=task.end,
                                result=total, duration_s=dur, started_at=started)
            res = TaskResult(task, "ok", total.inserted, total.updated, total.unchanged, dur)
        except SelloffError as exc:
            dur = time.perf_counter() - t0
            store.log_fetch(task.source, "error", request=request, range_start=task.start, range_end=task.end,
                            duration_s=dur, error=str(exc), started_at=started)
            res = TaskResult(task, "error", duration_s=dur, error=str(exc))
        except KeyboardInterrupt:
            store.log_fetch(task.source, "interrupted", request=request, range_start=task.start, range_end=task.end,
                            duration_s=time.perf_counter() - t0, error="interrupted (Ctrl-C); nothing of this task was stored",
                            started_at=started)
            raise
        results.append(res)
        if on_done:
            on_done(task, res)
    return results


def summarize(results: Sequence[TaskResult]) -> pd.DataFrame:
    """Per source: rows inserted/updated/unchanged, tasks ok/failed, and the gaps (errors and notes)."""
    rows = []
    for src in dict.fromkeys(r.task.source for r in results):
        rs = [r for r in results if r.task.source == src]
        gaps = [r.error for r in rs if r.status == "error"] + [n for r in rs for n in r.task.notes]
        rows.append({"source": src, "inserted": sum(r.inserted for r in rs), "updated": sum(r.updated for r in rs),
                     "unchanged": sum(r.unchanged for r in rs), "ok": sum(r.status == "ok" for r in rs),
                     "failed": sum(r.status == "error" for r in rs), "gaps": gaps})
    return pd.DataFrame(rows, columns=["source", "inserted", "updated", "unchanged", "ok", "failed", "gaps"])

