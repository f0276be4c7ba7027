"""Fetch orchestration: plan what the store lacks, fetch it provider by provider, write each batch atomically.

``plan`` reads :meth:`Store.coverage` and asks every registered provider (:mod:`selloff.sources.registry`) for
:class:`Task` s — one per (source, metric, asset, venue) — covering only the ranges the store does not hold yet
(holes inside a stored bar series included). ``execute`` runs them: each task fetches and transforms all its
pages first, then writes all its frames and its ``fetch_log`` row in ONE store transaction, so an exception,
Ctrl-C or kill leaves the store as it was before that task (earlier tasks stay committed: a rerun resumes where
it stopped). Failed tasks are logged in ``fetch_log`` with status ``error``.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd

from selloff.errors import ConfigError, SelloffError, SourceError
from selloff.redact import redact
from selloff.sources import registry
from selloff.sources.coverage import Coverage, Range, missing_ranges, missing_runs
from selloff.sources.exchanges import timeframe_delta
from selloff.sources.tasks import BAR_INTERVALS, FetchContext, Task, TaskResult
from selloff.store import Store
from selloff.store.store import UpsertResult
from selloff.timeutil import utc
from selloff.universe import Asset, Universe

__all__ = ["DEFAULT_HISTORY_DAYS", "SOURCES", "FetchContext", "Task", "TaskResult", "bar_gaps", "coverage_of",
           "execute", "missing_ranges", "missing_runs", "plan", "select_assets", "summarize"]

SOURCES = registry.names()
DEFAULT_HISTORY_DAYS = 365


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


def coverage_of(store: Store) -> Coverage:
    """The planners' view of ``store``: per-table coverage and the stored open times of one bar series."""
    def series_ts(match: Mapping[str, str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
        have = store.read("bars", assets=[match["asset"]], interval=match["interval"], sources=[match["source"]],
                          start=start, end=end)
        return pd.DatetimeIndex(have["ts"]) if not have.empty else pd.DatetimeIndex([], tz="UTC")

    return Coverage(store.coverage, series_ts)


def bar_gaps(store: Store, match: dict[str, str], start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta,
             equity: bool = False) -> list[Range]:
    """What the store lacks of one bar series (asset, interval, source) in ``[start, end)``, holes included.
    Intraday equity series fall back to the edges (their sessions are not a fixed grid)."""
    return coverage_of(store).bar_gaps(match, start, end, step, equity)


def plan(store: Store, universe: Universe, ctx: FetchContext, *, assets: Sequence[Asset], since: object = None,
         until: object = None, sources: Sequence[str] = SOURCES, interval: str = "1d") -> list[Task]:
    """Tasks that fetch what the store lacks, provider by provider in registration order. Nothing is fetched here.

    Raises
    ------
    ConfigError
        An unknown source or interval, an empty or reversed range, or a context a provider refuses (an unknown
        exchange, a feed URL that is not http(s)).
    """
    chosen = {registry.get(s).name for s in sources}
    if interval not in BAR_INTERVALS:
        raise ConfigError(f"--interval '{interval}' is not supported; use one of {', '.join(BAR_INTERVALS)}")
    now = ctx.clock()
    end = min(utc(until, "--until"), now) if until else now
    start = utc(since, "--since") if since else end - pd.Timedelta(days=DEFAULT_HISTORY_DAYS)
    if start >= end:
        raise ConfigError(f"--since {start:%Y-%m-%d} is not before --until {end:%Y-%m-%d}; swap or fix them")
    step = timeframe_delta(interval)
    ctx = replace(ctx, universe=ctx.universe or universe)
    coverage = coverage_of(store)
    tasks: list[Task] = []
    for provider in registry.providers():
        if provider.name in chosen:
            provider.validate(ctx, interval)
            tasks += provider.plan_tasks(ctx, assets, coverage, start, end, interval, step, now)
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
        request = redact(f"{task.kind}: {task.what}")
        try:
            frames = _run(task)
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
            dur, error = time.perf_counter() - t0, redact(str(exc))
            store.log_fetch(task.source, "error", request=request, range_start=task.start, range_end=task.end,
                            duration_s=dur, error=error, started_at=started)
            res = TaskResult(task, "error", duration_s=dur, error=error)
        except KeyboardInterrupt:
            store.log_fetch(task.source, "interrupted", request=request, range_start=task.start, range_end=task.end,
                            duration_s=time.perf_counter() - t0, error="interrupted (Ctrl-C); nothing of this task was stored",
                            started_at=started)
            raise
        results.append(res)
        if on_done:
            on_done(task, res)
    return results


def _run(task: Task) -> list:
    """``task.run()``; a parsing slip a provider did not catch becomes a SourceError for this task only."""
    try:
        return task.run()
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError) as exc:
        raise SourceError(f"{task.source} {task.kind} {task.what}: unexpected answer ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:120]}); the provider's format changed — report it to selloff",
                          source=task.source) from None


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
