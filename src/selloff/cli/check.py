"""``selloff check``: extract the numeric claims of a news text and verify them against the store."""
import json as _json
import sys
from pathlib import Path
from typing import Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import command
from selloff.errors import ConfigError

COLOURS = {"supported": "green", "contradicted": "red", "unverifiable": "grey50", "inconsistent": "dark_orange",
           "window_mismatch": "yellow"}


def _read_text(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text; convert it (e.g. iconv -t UTF-8) and check again") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {file} ({exc.strerror}); check the path") from None
    if "\x00" in text:
        raise ConfigError(f"{file} holds NUL bytes, so it is binary, not text; pass the article as plain UTF-8 text")
    return text


@command(app, "check")
def check(
    file: str = typer.Argument(..., help="News text file (UTF-8), or '-' for stdin."),
    date: Optional[str] = typer.Option(None, "--date", help="Publication date YYYY-MM-DD or ISO time "
                                       "(default: a date in the file name)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Text language: de or en (default: detected)."),
    store: Optional[str] = typer.Option(None, "--store", help="DuckDB store (default: the user data dir)."),
    json: bool = typer.Option(False, "--json", help="Print the verdicts as JSON."),
    html_out: Optional[str] = typer.Option(None, "--html-out", help="Write the annotated text as HTML here."),
    universe: Optional[list[str]] = typer.Option(None, "--universe", help="Extra universe TOML file(s)."),
) -> None:
    """Extract the numeric claims of a news text and verify each against market data in the store."""
    from selloff import api
    from selloff.pipeline.check import date_from_name
    from selloff.universe import load_universe

    text = _read_text(file)
    when = date if (date and "T" in date) else date_from_name(file, date)
    uni = load_universe(*(universe or []))
    path = api.store_path(store)
    run = api.check(path if path.exists() else None, text, uni, date=when, lang=lang)
    if html_out:
        from selloff.check import render_claims_html

        try:
            Path(html_out).write_text(render_claims_html(text, list(run.claims), list(run.verdicts)), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write --html-out {html_out} ({exc.strerror}); pass a writable path") from None
    if json:
        from selloff.check import verdict_to_dict

        typer.echo(_json.dumps([verdict_to_dict(v) for v in run.verdicts], ensure_ascii=False, indent=2, default=str))
        return
    _print(run)


def _print(run) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from selloff.check import readings_table, verdicts_table

    table = Table(title=f"Claim check ({len(run.claims)} claims, date {run.ref_date or 'unknown'})", show_lines=True)
    for col in ("id", "status", "subject", "claimed", "data", "window / measure", "reason"):
        table.add_column(col, overflow="fold")
    for r in verdicts_table(list(run.verdicts)).to_dict("records"):
        table.add_row(r["id"], f"[{COLOURS.get(r['status'], 'white')}]{escape(r['status'])}[/]", escape(r["subject"]),
                      escape(f"{r['metric']} {r['claimed']} ({r['claim_window']})"), escape(r["data_value"]),
                      escape(f"{r['window_used']} · {r['measure']}"),
                      escape(r["reason"] + (f"\n{r['fetch']}" if r["fetch"] else "")))
    console = Console()
    console.print(table)
    rt = readings_table(list(run.verdicts))
    if not rt.empty:
        t2 = Table(title="Readings of each claim's window (✓ = selected by the text's words, ★ = used for the verdict)")
        for col in ("id", "reading", "value", "", "description / note", "source"):
            t2.add_column(col, overflow="fold")
        for r in rt.to_dict("records"):
            mark = ("★" if r["used"] else "") + ("✓" if r["selected"] else "")
            t2.add_row(r["id"], escape(r["reading"]), escape(r["value"]), mark,
                       escape(r["description"] + (f" — {r['note']}" if r["note"] else "")), escape(r["source"]))
        console.print(t2)
