"""``selloff fetch`` and ``selloff record liquidations`` (connectors load on use, not on import)."""
import asyncio
import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from selloff import config
from selloff.cli.app import app as main_app, record_app
from selloff.cli.common import JsonOpt, StoreOpt, UniverseOpt, command, fail, universe_of
from selloff.errors import ConfigError, SelloffError

SOURCE_NAMES = "coingecko, ccxt, coinglass, yahoo, events"



def _csv(value: Optional[list[str]] | Optional[str]) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else [value]
    return [p.strip() for v in items for p in v.split(",") if p.strip()]


@command(main_app, "fetch")
def fetch(
    sector: Annotated[Optional[str], typer.Option("--sector", help="Fetch the members of this sector (e.g. ai-crypto).")] = None,
    assets: Annotated[Optional[str], typer.Option("--assets", help="Comma-separated asset ids, e.g. TAO,NVDA.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Start date (UTC), default 365 days back.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="End date (UTC), default now.")] = None,
    source: Annotated[Optional[list[str]], typer.Option("--source", help=f"One of {SOURCE_NAMES} (repeat or comma-separate; default all).")] = None,
    interval: Annotated[str, typer.Option("--interval", help="Bar interval: 1d (default), 1h, ...")] = "1d",
    exchanges: Annotated[Optional[str], typer.Option("--exchanges", help="ccxt exchanges (default binance,bybit,okx).")] = None,
    events_file: Annotated[Optional[list[Path]], typer.Option("--events-file", help="CSV/TOML events file (ts,entity,kind,headline,url).")] = None,
    feed: Annotated[Optional[list[str]], typer.Option("--feed", help="RSS/Atom feed URL to read events from.")] = None,
    calls_per_minute: Annotated[Optional[float], typer.Option("--calls-per-minute", help="CoinGecko call budget (default 30 demo / 500 pro).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan (requests, ranges, call estimate) and fetch nothing.")] = False,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    universe: UniverseOpt = None,
) -> None:
    """Fetch market data the store lacks (incremental, resumable); every batch is written atomically."""
    from selloff.pipeline.fetch import SOURCES, FetchContext, plan, select_assets, summarize
    from selloff.sources import coinglass as cg_mod
    from selloff.sources import exchanges as ex_mod
    from selloff.sources.coingecko import CoinGecko
    from selloff.pipeline.stores import Store

    try:
        uni = universe_of(universe)
        chosen = select_assets(uni, sector, assets)
        srcs = _csv(source) or list(SOURCES)
        ctx = FetchContext(
            coingecko=CoinGecko.from_env(calls_per_minute=calls_per_minute) if "coingecko" in srcs else None,
            coinglass=cg_mod.CoinGlass.from_env() if "coinglass" in srcs else None,
            exchanges=_csv(exchanges) or ex_mod.DEFAULT_EXCHANGES,
            exchange_factory=lambda name: ex_mod.make_exchange(
                name, rest_base=os.environ.get(f"SELLOFF_{name.upper()}_REST_BASE") or None),
            event_files=events_file or (), feeds=feed or (),
        )
        path = Path(store or config.default_store_path())
        try:
            # plan on the store read-only (or on an empty one): a bad option or a dry run creates no file
            with (Store(path, read_only=True) if path.exists() else Store(":memory:")) as seen:
                tasks = plan(seen, uni, ctx, assets=chosen, since=since, until=until, sources=srcs, interval=interval)
            if dry_run:
                _print_plan(tasks, ctx, json_)
                return
            with Store(path) as db:
                results = _run_with_progress(db, tasks, json_)
        finally:
            if ctx.coingecko:
                ctx.coingecko.close()
    except SelloffError as exc:
        raise fail(exc) from None
    summary = summarize(results)
    if json_:
        typer.echo(json.dumps({"results": [r.as_dict() for r in results], "summary": summary.to_dict("records")},
                              default=str))
    else:
        _print_summary(summary)
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


def _print_plan(tasks, ctx, as_json: bool) -> None:
    calls = {}
    for t in tasks:
        calls[t.source] = calls.get(t.source, 0) + t.calls
    if as_json:
        typer.echo(json.dumps({"tasks": [t.describe() for t in tasks], "calls": calls}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="fetch plan (dry run — nothing fetched)")
    for col in ("source", "kind", "what", "range", "calls", "notes"):
        table.add_column(col)
    for t in tasks:
        rng = f"{t.start:%Y-%m-%d}..{t.end:%Y-%m-%d}" if t.start is not None else ""
        table.add_row(t.source, t.kind, t.what, rng, str(t.calls), "; ".join(t.notes))
    con = Console()
    con.print(table)
    plan_name = ctx.coingecko.plan if ctx.coingecko else None
    note = ""
    if plan_name in ("demo", "public"):
        note = " (CoinGecko demo/keyless: last 365 days only, ~10,000 calls/month)"
    con.print("estimated requests: " + ", ".join(f"{k} {v}" for k, v in calls.items()) + note)


def _run_with_progress(db, tasks, as_json: bool):
    from selloff.pipeline.fetch import execute

    if as_json or not sys.stderr.isatty():
        return execute(db, tasks)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=False) as prog:
        bars = {}
        for src in dict.fromkeys(t.source for t in tasks):
            bars[src] = prog.add_task(src, total=sum(1 for t in tasks if t.source == src))
        return execute(db, tasks, on_done=lambda t, r: prog.advance(bars[t.source]))


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="fetch summary")
    for col in ("source", "inserted", "updated", "unchanged", "ok", "failed", "gaps"):
        table.add_column(col)
    for r in summary.to_dict("records"):
        table.add_row(r["source"], str(r["inserted"]), str(r["updated"]), str(r["unchanged"]), str(r["ok"]),
                      str(r["failed"]), "\n".join(r["gaps"][:5]) + (f"\n… {len(r['gaps']) - 5} more" if len(r["gaps"]) > 5 else ""))
    Console().print(table)


@command(record_app, "liquidations")
def record_liquidations(
    exchanges: Annotated[Optional[str], typer.Option("--exchanges", help="ccxt.pro exchanges (default binance,bybit,okx).")] = None,
    sector: Annotated[Optional[str], typer.Option("--sector", help="Record the members of this sector.")] = None,
    assets: Annotated[Optional[str], typer.Option("--assets", help="Comma-separated asset ids.")] = None,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Stop after this many seconds (default: until Ctrl-C).")] = None,
    flush_seconds: Annotated[float, typer.Option("--flush-seconds", help="Commit a batch at least this often.")] = 5.0,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    universe: UniverseOpt = None,
) -> None:
    """Record live liquidations (per-minute long/short USD) until Ctrl-C; batches commit atomically."""
    from selloff.pipeline.fetch import select_assets
    from selloff.pipeline.record import store_seed, store_sink
    from selloff.sources import exchanges as ex_mod
    from selloff.pipeline.stores import Store

    from selloff.sources.liqstream import LiquidationRecorder

    for opt, value in (("--duration", duration), ("--flush-seconds", flush_seconds)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise ConfigError(f"{opt} {value:g} is not a number of seconds > 0; pass e.g. {opt} 60")
    uni = universe_of(universe)
    chosen = [a for a in select_assets(uni, sector, assets) if a.kind == "token"]
    streams = []  # every exchange is checked before the store is opened: a bad --exchanges writes nothing
    for name in _csv(exchanges) or list(ex_mod.DEFAULT_EXCHANGES):
        syms = {a.symbols[f"{name}_perp"]: a.id for a in chosen if a.symbols.get(f"{name}_perp")}
        ex = ex_mod.make_exchange(name, pro=True, rest_base=os.environ.get(f"SELLOFF_{name.upper()}_REST_BASE") or None,
                                  ws_base=os.environ.get(f"SELLOFF_{name.upper()}_WS_BASE") or None)
        if not syms:
            typer.echo(f"note: no {name}_perp symbols for the chosen assets; {name} skipped", err=True)
            continue
        streams.append((name, ex, syms))
    if not streams:
        raise SelloffError("no exchange has perpetual symbols for the chosen assets; check symbols.<exchange>_perp")
    db = Store(store or config.default_store_path())
    recorders = [LiquidationRecorder(ex, syms, store_sink(db, f"{name} live"), flush_s=flush_seconds,
                                     seed=store_seed(db, f"{name}/liq-stream")) for name, ex, syms in streams]
    if not json_:
        typer.echo(f"recording liquidations on {', '.join(r.venue for r in recorders)} — Ctrl-C to stop", err=True)

    async def main():
        return await asyncio.gather(*(r.run(duration) for r in recorders))

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass  # each recorder flushed and closed in its finally-block
    finally:
        db.close()
    out = [{"exchange": r.venue, **r.stats.__dict__} for r in recorders]
    typer.echo(json.dumps(out) if json_ else "\n".join(
        f"{o['exchange']}: {o['events']} liquidations, {o['rows_written']} minute rows written, {o['reconnects']} reconnects"
        for o in out))


