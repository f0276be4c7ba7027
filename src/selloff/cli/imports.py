"""``selloff import`` and ``selloff sources``."""
import json as jsonlib
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from selloff.cli.app import app
from selloff.cli.common import command, fail
from selloff.config import default_store_path
from selloff.errors import SelloffError

FORMAT_NAMES = ("binance-klines", "bybit-kline", "yfinance", "yahoo", "coinalyze-oi", "coinalyze-funding", "cmc-snapshots",
                "coingecko-markets", "ohlcv")
"""The names of ``selloff.sources.csvformats.FORMATS`` (kept here so ``--help`` needs no pandas; a test checks)."""
FORMAT_HELP = f"auto|{'|'.join(FORMAT_NAMES)}"


def _universe(path: Optional[Path]):
    from selloff.universe import load_universe

    return load_universe(*([path] if path else []))


@command(app, "import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="CSV files to import, or folders written by selloff export.",
                                                show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f", help=f"File format: {FORMAT_HELP}.")] = "auto",
    asset: Annotated[Optional[str], typer.Option("--asset", "-a", help="Universe id of the file's asset (default: "
                                                  "from the file name or a symbol column).")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="Source name stored on every row (default: "
                                                   "from the format, e.g. binance, yahoo).")] = None,
    store: Annotated[Optional[Path], typer.Option("--store", help="DuckDB store file.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of a table.")] = False,
    universe: Annotated[Optional[Path], typer.Option("--universe", help="Extra universe TOML file.")] = None,
) -> None:
    """Import market-data CSV files (Yahoo, yfinance, Binance, Bybit, CoinGecko, Coinalyze, CMC) into the store.

    Each file is validated and written in one transaction; a file that fails writes nothing and the others still
    import. Exit code 2 if any file failed.
    """
    from selloff.pipeline.exchange import import_parquet, is_export
    from selloff.pipeline.imports import import_file
    from selloff.pipeline.stores import Store

    if format != "auto" and format not in FORMAT_NAMES:
        typer.echo(f"error: unknown --format '{format}'; use {FORMAT_HELP}", err=True)
        raise typer.Exit(2)
    try:
        uni = _universe(universe)
        st = Store(store or default_store_path())
    except SelloffError as exc:
        raise fail(exc) from None
    done, errors = [], []
    with st:
        for p in paths:
            try:
                if is_export(p):  # a folder written by `selloff export --format parquet`
                    done.append(import_parquet(st, p))
                    continue
                done.append(import_file(st, p, format=format, asset=asset, source=source, universe=uni))
            except SelloffError as exc:
                errors.append({"path": str(p), "error": str(exc), "kind": type(exc).__name__})
    if json:
        typer.echo(jsonlib.dumps({"imported": [r.as_dict() for r in done], "errors": errors}, indent=2))
    else:
        out = Console()
        t = Table(title=f"import → {st.path}")
        for c in ("file", "format", "source", "assets", "table", "inserted", "updated", "unchanged", "notes"):
            t.add_column(c, overflow="fold")
        for r in done:
            for u in r.results:
                t.add_row(Path(r.path).name, r.format, r.source, ",".join(r.assets[:6]) + (" ..." if len(r.assets) > 6 else ""),
                          u.table, str(u.inserted), str(u.updated), str(u.unchanged), "; ".join(r.notes))
        if done:
            out.print(t)
        for e in errors:
            typer.echo(f"error: {e['error']}", err=True)
    if errors:
        raise typer.Exit(2)


@command(app, "sources")
def sources(
    asset: Annotated[str, typer.Option("--asset", "-a", help="Universe id, e.g. TAO.")],
    store: Annotated[Optional[Path], typer.Option("--store", help="DuckDB store file.")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="Report closes differing by more than "
                                                        "this many per cent (default: config, 1.0).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")] = False,
) -> None:
    """Per-source coverage of an asset's bars, the series analytics use, and where sources disagree."""
    from selloff.pipeline.imports import source_report
    from selloff.pipeline.stores import Store

    try:
        with Store(store or default_store_path(), read_only=True) as st:
            rep = source_report(st, asset.strip().upper(), threshold_pct=threshold)
    except SelloffError as exc:
        raise fail(exc) from None
    if json:
        def rows(df):
            return jsonlib.loads(df.to_json(orient="records", date_format="iso"))

        typer.echo(jsonlib.dumps({
            "asset": rep.asset, "threshold_pct": rep.threshold_pct, "priority": list(rep.priority),
            "coverage": rows(rep.coverage), "overlap": rows(rep.overlap), "disagreements": rows(rep.disagreements),
        }, indent=2))
        return
    out = Console()
    t = Table(title=f"{rep.asset}: bars per source (priority {', '.join(rep.priority)})")
    for c in ("interval", "source", "first", "last", "rows", "used"):
        t.add_column(c)
    for r in rep.coverage.itertuples():
        t.add_row(r.interval, r.source, f"{r.first_ts:%Y-%m-%d %H:%M}", f"{r.last_ts:%Y-%m-%d %H:%M}", str(r.rows),
                  "yes" if r.selected else "")
    out.print(t)
    o = Table(title=f"close differences on common timestamps (threshold {rep.threshold_pct:g} %)")
    for c in ("interval", "source a", "source b", "common", f"> {rep.threshold_pct:g} %", "max |%|", "mean |%|"):
        o.add_column(c)
    for r in rep.overlap.itertuples():
        o.add_row(r.interval, r.source_a, r.source_b, str(r.common), str(r.above), f"{r.max_abs_diff_pct:.3f}",
                  f"{r.mean_abs_diff_pct:.3f}")
    out.print(o)
    if len(rep.disagreements):
        d = Table(title="disagreements")
        for c in ("interval", "ts", "source a", "source b", "close a", "close b", "diff %"):
            d.add_column(c)
        for r in rep.disagreements.head(50).itertuples():
            d.add_row(r.interval, f"{r.ts:%Y-%m-%d %H:%M}", r.source_a, r.source_b, f"{r.close_a:g}", f"{r.close_b:g}",
                      f"{r.diff_pct:+.2f}")
        out.print(d)
        if len(rep.disagreements) > 50:
            out.print(f"... {len(rep.disagreements) - 50} more (use --json for all)")
