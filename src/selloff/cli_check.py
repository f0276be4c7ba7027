"""``selloff check``: extract the numeric claims of a news text and verify them against the store.

The command function :func:`check` is registered by ``selloff.cli``; it wires store → :class:`Evidence` →
:func:`selloff.check.verify_claims` → a rich table, JSON or annotated HTML.
"""
from __future__ import annotations

import datetime as dt
import json as _json
import re
import sys
from pathlib import Path

import pandas as pd
import typer

from selloff.errors import ConfigError, SelloffError

_TABLES = ("bars", "market_caps", "derivatives", "events", "category_caps")


def load_evidence(store_path: str | Path, claims: list, universe, published_at: pd.Timestamp | None = None):
    """Read the rows the claims need from the store file (see :func:`evidence_from_store`). A missing store
    file gives empty frames (every claim then unverifiable)."""
    from selloff.check import Evidence
    from selloff.store import Store

    path = Path(store_path)
    if not path.exists() or not any(c.date is not None for c in claims):
        return Evidence(universe=universe, published_at=published_at)
    with Store(path, read_only=True) as store:
        return evidence_from_store(store, claims, universe, published_at)


def evidence_from_store(store, claims: list, universe, published_at: pd.Timestamp | None = None):
    """Read the rows the claims need from an open store (all sources, simulated included: the verifier sets
    simulated rows aside itself)."""
    from selloff.check import Evidence, evidence_window
    from selloff.config import defaults

    ev = Evidence(universe=universe, published_at=published_at)
    dates = [c.date for c in claims if c.date is not None]
    if not dates:
        return ev
    # every reading needs the close before its first day: read from the earliest day any claim's windows need
    start, end = evidence_window(claims)
    ids: set[str] = set()
    for c in claims:
        for s in c.subjects:
            ids.update(universe.sectors[s].members if s in universe.sectors else [s])
    frames = {
        "bars": store.read("bars", assets=sorted(ids), start=start, end=end),
        "market_caps": store.read("market_caps", assets=sorted(ids), start=start, end=end),
        "derivatives": store.read("derivatives", start=start, end=end),
        "events": store.read("events", start=start, end=end),
        "category_caps": store.read("category_caps", start=start, end=end),
    }
    prio = tuple(s for s in defaults("sources").get("priority", []) if s != "simulated")
    for k, f in frames.items():
        setattr(ev, k, f)
    if prio:
        ev.source_priority = prio
    return ev


def _date_from(file: str, date: str | None) -> dt.date | None:
    if date:
        try:
            return dt.date.fromisoformat(date)
        except ValueError:
            raise ConfigError(f"--date {date!r} is not an ISO date; use e.g. 2026-02-06") from None
    m = re.search(r"(\d{4}-\d{2}-\d{2})", Path(file).name) if file != "-" else None
    return dt.date.fromisoformat(m.group(1)) if m else None


def check(
    file: str = typer.Argument(..., help="News text file (UTF-8), or '-' for stdin."),
    date: str | None = typer.Option(None, "--date", help="Publication date YYYY-MM-DD or ISO time "
                                    "(default: a date in the file name)."),
    lang: str | None = typer.Option(None, "--lang", help="Text language: de or en (default: detected)."),
    store: str | None = typer.Option(None, "--store", help="DuckDB store (default: the user data dir)."),
    json: bool = typer.Option(False, "--json", help="Print the verdicts as JSON."),
    html_out: str | None = typer.Option(None, "--html-out", help="Write the annotated text as HTML here."),
    universe: list[str] | None = typer.Option(None, "--universe", help="Extra universe TOML file(s)."),
) -> None:
    """Extract the numeric claims of a news text and verify each against market data in the store."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from selloff.config import default_store_path
    from selloff.check import (extract_claims, readings_table, render_claims_html, verdict_to_dict, verdicts_table,
                               verify_claims)
    from selloff.universe import load_universe

    try:
        if lang not in (None, "de", "en"):
            raise ConfigError(f"--lang {lang!r} is not supported; use de or en")
        if file == "-":
            text = sys.stdin.read()
        else:
            try:
                text = Path(file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read {file} ({exc.strerror}); check the path") from None
        published = None
        if date and "T" in date:
            try:
                published = pd.Timestamp(date)
            except (ValueError, TypeError):
                raise ConfigError(f"--date {date!r} is not an ISO date/time; use e.g. 2026-02-06 or 2026-02-06T14:00Z") from None
            published = published.tz_localize("UTC") if published.tzinfo is None else published.tz_convert("UTC")
            date = published.date().isoformat()
        ref = _date_from(file, date)
        uni = load_universe(*(universe or []))
        claims = extract_claims(text, uni, lang=lang, ref_date=ref)
        ev = load_evidence(store or default_store_path(), claims, uni, published_at=published)
        verdicts = verify_claims(claims, ev)
    except SelloffError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if html_out:
        try:
            Path(html_out).write_text(render_claims_html(text, claims, verdicts), encoding="utf-8")
        except OSError as exc:
            typer.echo(f"error: cannot write --html-out {html_out} ({exc.strerror}); pass a writable path", err=True)
            raise typer.Exit(2) from None
    if json:
        typer.echo(_json.dumps([verdict_to_dict(v) for v in verdicts], ensure_ascii=False, indent=2, default=str))
        return
    colours = {"supported": "green", "contradicted": "red", "unverifiable": "grey50", "inconsistent": "dark_orange"}
    table = Table(title=f"Claim check ({len(claims)} claims, date {ref or 'unknown'})", show_lines=True)
    for col in ("id", "status", "subject", "claimed", "data", "window / measure", "reason"):
        table.add_column(col, overflow="fold")
    for r in verdicts_table(verdicts).to_dict("records"):
        table.add_row(r["id"], f"[{colours[r['status']]}]{r['status']}[/]", escape(r["subject"]),
                      escape(f"{r['metric']} {r['claimed']} ({r['claim_window']})"), escape(r["data_value"]),
                      escape(f"{r['window_used']} · {r['measure']}"),
                      escape(r["reason"] + (f"\n{r['fetch']}" if r["fetch"] else "")))
    console = Console()
    console.print(table)
    rt = readings_table(verdicts)
    if not rt.empty:
        t2 = Table(title="Readings of each claim's window (✓ = selected by the text's words, ★ = used for the verdict)",
                   show_lines=False)
        for col in ("id", "reading", "value", "", "description / note", "source"):
            t2.add_column(col, overflow="fold")
        for r in rt.to_dict("records"):
            mark = ("★" if r["used"] else "") + ("✓" if r["selected"] else "")
            t2.add_row(r["id"], escape(r["reading"]), escape(r["value"]), mark,
                       escape(r["description"] + (f" — {r['note']}" if r["note"] else "")), escape(r["source"]))
        console.print(t2)
