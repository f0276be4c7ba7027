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
    lang: Optional[str] = typer.Option(None, "--lang", help="Output language: en or de (default: the text's)."),
    text_lang: Optional[str] = typer.Option(None, "--text-lang", help="Text language: de or en (default: detected)."),
    store: Optional[str] = typer.Option(None, "--store", help="DuckDB store (default: the user data dir)."),
    json: bool = typer.Option(False, "--json", help="Print the verdicts as JSON (every reading)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print every reading of each claim."),
    html_out: Optional[str] = typer.Option(None, "--html-out", help="Write the annotated text as HTML here."),
    universe: Optional[list[str]] = typer.Option(None, "--universe", help="Extra universe TOML file(s)."),
) -> None:
    """Extract the numeric claims of a news text and verify each against market data in the store."""
    from selloff import api
    from selloff.check.words import LANGS
    from selloff.pipeline.check import date_from_name
    from selloff.universe import load_universe

    if lang is not None and lang not in LANGS:
        raise ConfigError(f"--lang {lang!r} is not supported; use en or de")
    text = _read_text(file)
    when = date if (date and "T" in date) else date_from_name(file, date)
    uni = load_universe(*(universe or []))
    path = api.store_path(store)
    run = api.check(path if path.exists() else None, text, uni, date=when, lang=text_lang)
    out_lang = lang or run.lang
    if html_out:
        from selloff.check import render_claims_html

        try:
            Path(html_out).write_text(render_claims_html(text, list(run.claims), list(run.verdicts), lang=out_lang),
                                      encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write --html-out {html_out} ({exc.strerror}); pass a writable path") from None
    if json:
        from selloff.check import verdict_to_dict

        typer.echo(_json.dumps([verdict_to_dict(v, out_lang) for v in run.verdicts], ensure_ascii=False, indent=2,
                               default=str))
        return
    _print(run, out_lang, verbose)


def _claim_cell(v, market: str) -> str:
    c = v.claim
    return f"{', '.join(c.subjects) or market}: {c.text}"


def _print(run, lang: str, verbose: bool) -> None:
    """One row per claim (claim, verdict in words, what the data say), fitting the terminal (80 columns and up);
    ``verbose`` adds the readings of each claim's windows."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from selloff.check import data_sentence, readings_table, status_word
    from selloff.check.words import HEADERS

    h = HEADERS[lang]
    console = Console()
    table = Table(title=f"{h['title']} ({len(run.claims)} {h['claims']}, {h['date']} {run.ref_date or h['unknown']})",
                  show_lines=True, expand=True)
    table.add_column("#", no_wrap=True, width=3)
    table.add_column(h["claim"], ratio=3, overflow="fold")
    table.add_column(h["verdict"], width=15, overflow="fold")
    table.add_column(h["data"], ratio=6, overflow="fold")
    for v in run.verdicts:
        table.add_row(v.claim.id, escape(_claim_cell(v, h['market'])),
                      f"[{COLOURS.get(v.status, 'white')}]{escape(status_word(v.status, lang))}[/]",
                      escape(data_sentence(v, lang)))
    console.print(table)
    if not verbose:
        return
    rt = readings_table(list(run.verdicts), lang)
    if rt.empty:
        return
    role = {"used": h["used"], "match": h["match"], "words": h["words"], "": ""}
    t2 = Table(title=h["readings"], expand=True)
    t2.add_column("#", no_wrap=True, width=3)
    t2.add_column("reading", ratio=2, overflow="fold")
    t2.add_column(h["window"], ratio=4, overflow="fold")
    t2.add_column(h["value"], ratio=2, overflow="fold")
    t2.add_column(h["role"], ratio=2, overflow="fold")
    t2.add_column(h["source"], ratio=2, overflow="fold")
    for r in rt.to_dict("records"):
        val = r["value"] + (f" ({r['coverage']})" if r["coverage"] else "") + (f" — {r['note']}" if r["note"] else "")
        t2.add_row(r["id"], escape(r["reading"]), escape(r["window"]), escape(val), escape(role[r["role"]]),
                   escape(r["source"]))
    console.print(t2)
