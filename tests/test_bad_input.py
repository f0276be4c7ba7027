"""Every bad input is one line ``error: ...`` on stderr naming the input, exit code 2, no traceback, and nothing
written: the store's content fingerprint is unchanged and no file appears (a new --store, an --out folder).

One table of cases across the commands; each case builds its inputs under ``tmp_path`` and names the text the
error line must contain.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selloff.cli import app
from tests.demo_stores import store_copy
from tests.storeprint import files_under, fingerprint

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A small simulated store (daily bars only, five months): quick to fingerprint. This module's own copy of the
    session's shared one: a failed import logs its attempt in the store's fetch_log."""
    from selloff.simulate import SimSpec

    return store_copy(tmp_path_factory, tmp_path_factory.mktemp("bad-input") / "small.duckdb",
                      SimSpec(start="2025-10-01", hourly=False))


# -- inputs ---------------------------------------------------------------------------------------------------
def _write(t: Path, name: str, data: str | bytes) -> str:
    p = t / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(p)


def _truncated(t: Path, s: str) -> str:
    return _write(t, "truncated.duckdb", Path(s).read_bytes()[:300_000])


def _folder(t: Path) -> str:
    (t / "folder.duckdb").mkdir()
    return str(t / "folder.duckdb")


ASSET = '[assets.{id}]\nkind = "token"\nname = "{id}"\n'


def _uni(t: Path, body: str) -> str:
    return _write(t, "u.toml", body)


def _edge(a: str, b: str) -> str:
    return f'[[edges]]\nfrom = "{a}"\nto = "{b}"\nkind = "supplier"\nreason = "test"\n'


UNIVERSES = {
    "members-ints": ASSET.format(id="AAA") + '[sectors.s1]\nname = "S"\nmembers = [1, 2]\n',
    "members-string": ASSET.format(id="AAA") + '[sectors.s1]\nname = "S"\nmembers = "AAA"\n',
    "self-edge": ASSET.format(id="AAA") + _edge("AAA", "AAA"),
    "cycle": ASSET.format(id="AAA") + ASSET.format(id="BBB") + _edge("AAA", "BBB") + _edge("BBB", "AAA"),
    "cycle-3": "".join(ASSET.format(id=i) for i in ("AAA", "BBB", "CCC"))
               + _edge("AAA", "BBB") + _edge("BBB", "CCC") + _edge("CCC", "AAA"),
    "case-assets": ASSET.format(id="abc") + ASSET.format(id="ABC"),
    "case-sectors": ASSET.format(id="AAA") + '[sectors.Ai-Crypto]\nname = "S"\nmembers = ["AAA"]\n',
    "slash-id": '[assets."a/b"]\nkind = "token"\nname = "x"\n',
    "dotdot-id": '[assets.".."]\nkind = "token"\nname = "x"\n',
    "dotdot-sector": ASSET.format(id="AAA") + '[sectors."..x"]\nname = "S"\nmembers = ["AAA"]\n',
    "unknown-kind": '[assets.AAA]\nkind = "bond"\nname = "x"\n',
}
NEEDLES = {"members-ints": "members", "members-string": "members", "self-edge": "AAA", "cycle": "cycle",
           "cycle-3": "cycle", "case-assets": "abc", "case-sectors": "Ai-Crypto", "slash-id": "a/b",
           "dotdot-id": "'..'", "dotdot-sector": "..x", "unknown-kind": "bond"}

OHLCV = "date,open,high,low,close,volume\n2025-01-01,10,12,9,11,100\n2025-01-02,11,13,10,12,100\n"
BYBIT = "timestamp,open,high,low,close,volume,turnover\n1706572800000,411.5,478.0,394.7,424.9,71347.6,31902748.2\n"


def _csv(t: Path, body: str, name: str = "TAO.csv") -> str:
    return _write(t, name, body)


def _row(line: str) -> str:
    return "date,open,high,low,close,volume\n2025-01-01,10,12,9,11,100\n" + line + "\n"


# each case: (id, builder(tmp, store) -> (argv, text the error line must name))
CASES: list[tuple[str, object]] = [
    # demo: bad options fail before a store is built
    ("demo-lang", lambda t, s: (["demo", "--lang", "xx", "--store", str(t / "new.duckdb"), "--out", str(t / "o")], "'xx'")),
    ("demo-format-empty", lambda t, s: (["demo", "--format", "", "--store", str(t / "new.duckdb"), "--out", str(t / "o")], "--format")),
    ("demo-format-docx", lambda t, s: (["demo", "--format", "docx", "--store", str(t / "new.duckdb"), "--out", str(t / "o")], "docx")),
    ("demo-sector", lambda t, s: (["demo", "--sector", "nope", "--store", str(t / "new.duckdb"), "--out", str(t / "o")], "'nope'")),
    ("demo-sector-markup", lambda t, s: (["demo", "--sector", "[/x]", "--store", str(t / "new.duckdb"), "--out", str(t / "o")], "[/x]")),
    ("demo-store-folder", lambda t, s: (["demo", "--store", _folder(t), "--out", str(t / "o")], "folder.duckdb")),
    ("demo-store-truncated", lambda t, s: (["demo", "--store", _truncated(t, s), "--out", str(t / "o")], "truncated.duckdb")),
    ("demo-universe-members", lambda t, s: (["demo", "--universe", _uni(t, UNIVERSES["members-ints"]), "--store", str(t / "new.duckdb"), "--out", str(t / "o")], "members")),
    # scan: dates
    ("scan-since-now", lambda t, s: (["scan", "--store", s, "--since", "now"], "'now'")),
    ("scan-since-yesterday", lambda t, s: (["scan", "--store", s, "--since", "yesterday"], "'yesterday'")),
    ("scan-until-now", lambda t, s: (["scan", "--store", s, "--until", "now"], "--until 'now'")),
    ("scan-since-9999", lambda t, s: (["scan", "--store", s, "--since", "9999-12-31"], "9999-12-31")),
    ("scan-since-1600", lambda t, s: (["scan", "--store", s, "--since", "1600-01-01"], "1600-01-01")),
    ("scan-since-month-13", lambda t, s: (["scan", "--store", s, "--since", "2026-13-01"], "2026-13-01")),
    ("scan-since-feb-30", lambda t, s: (["scan", "--store", s, "--since", "2026-02-30"], "2026-02-30")),
    ("scan-since-hour-25", lambda t, s: (["scan", "--store", s, "--since", "2026-01-01T25:00"], "2026-01-01T25:00")),
    ("scan-since-offset-99", lambda t, s: (["scan", "--store", s, "--since", "2026-01-01T00:00+99:00"], "+99:00")),
    ("scan-since-empty", lambda t, s: (["scan", "--store", s, "--since", ""], "--since")),
    ("scan-until-10000", lambda t, s: (["scan", "--store", s, "--until", "10000-01-01"], "10000-01-01")),
    # scan: thresholds
    ("scan-breadth-5", lambda t, s: (["scan", "--store", s, "--breadth", "5"], "--breadth 5")),
    ("scan-breadth-neg", lambda t, s: (["scan", "--store", s, "--breadth", "-0.1"], "--breadth -0.1")),
    ("scan-breadth-nan", lambda t, s: (["scan", "--store", s, "--breadth", "nan"], "--breadth nan")),
    ("scan-z-neg", lambda t, s: (["scan", "--store", s, "--z", "-3"], "--z -3")),
    ("scan-z-nan", lambda t, s: (["scan", "--store", s, "--z", "nan"], "--z nan")),
    ("scan-z-inf", lambda t, s: (["scan", "--store", s, "--z", "inf"], "--z inf")),
    ("scan-z-word", lambda t, s: (["scan", "--store", s, "--z", "abc"], "--z")),
    ("scan-move-pos", lambda t, s: (["scan", "--store", s, "--move", "5"], "--move 5")),
    ("scan-move-nan", lambda t, s: (["scan", "--store", s, "--move", "nan"], "--move nan")),
    ("scan-vol", lambda t, s: (["scan", "--store", s, "--vol", "foo"], "foo")),
    ("scan-unknown-option", lambda t, s: (["scan", "--store", s, "--bogus", "1"], "--bogus")),
    ("scan-sector-markup", lambda t, s: (["scan", "--store", s, "--sector", "[/x]"], "[/x]")),
    ("scan-sector-markup-bold", lambda t, s: (["scan", "--store", s, "--sector", "[bold]x[/bold]"], "[bold]x[/bold]")),
    ("scan-sector-dotdot", lambda t, s: (["scan", "--store", s, "--sector", "../x"], "../x")),
    # scan: stores
    ("scan-store-folder", lambda t, s: (["scan", "--store", _folder(t)], "folder.duckdb")),
    ("scan-store-truncated", lambda t, s: (["scan", "--store", _truncated(t, s)], "truncated.duckdb")),
    ("scan-store-missing", lambda t, s: (["scan", "--store", str(t / "missing.duckdb")], "missing.duckdb")),
    ("scan-store-empty-file", lambda t, s: (["scan", "--store", _write(t, "empty.duckdb", b"")], "empty.duckdb")),
    ("scan-store-text-file", lambda t, s: (["scan", "--store", _write(t, "notes.duckdb", "hello\n")], "notes.duckdb")),
    # scan: universes
    *[(f"scan-universe-{k}", (lambda k: lambda t, s: (["scan", "--store", s, "--universe", _uni(t, UNIVERSES[k])], NEEDLES[k]))(k))
      for k in UNIVERSES],
    ("scan-universe-latin1", lambda t, s: (["scan", "--store", s, "--universe", _write(t, "u.toml", '[assets.AAA]\nkind = "token"\nname = "Caf\xe9"\n'.encode("latin-1"))], "u.toml")),
    ("scan-universe-utf16", lambda t, s: (["scan", "--store", s, "--universe", _write(t, "u.toml", ASSET.format(id="AAA").encode("utf-16"))], "u.toml")),
    ("scan-universe-missing", lambda t, s: (["scan", "--store", s, "--universe", str(t / "none.toml")], "none.toml")),
    ("scan-universe-folder", lambda t, s: (["scan", "--store", s, "--universe", str(t)], str(t))),
    # report
    ("report-date-now", lambda t, s: (["report", "--store", s, "--date", "now", "--out", str(t / "o")], "'now'")),
    ("report-date-9999", lambda t, s: (["report", "--store", s, "--date", "9999-12-31", "--out", str(t / "o")], "9999-12-31")),
    ("report-date-1600", lambda t, s: (["report", "--store", s, "--date", "1600-01-01", "--out", str(t / "o")], "1600-01-01")),
    ("report-format-empty", lambda t, s: (["report", "--store", s, "--date", "2026-02-05", "--format", "", "--out", str(t / "o")], "--format")),
    ("report-format-docx", lambda t, s: (["report", "--store", s, "--date", "2026-02-05", "--format", "docx", "--out", str(t / "o")], "docx")),
    ("report-format-comma", lambda t, s: (["report", "--store", s, "--date", "2026-02-05", "--format", ",", "--out", str(t / "o")], "--format")),
    ("report-lang", lambda t, s: (["report", "--store", s, "--date", "2026-02-05", "--lang", "xx", "--out", str(t / "o")], "'xx'")),
    ("report-sector-markup", lambda t, s: (["report", "--store", s, "--date", "2026-02-05", "--sector", "[/x]", "--out", str(t / "o")], "[/x]")),
    ("report-store-missing", lambda t, s: (["report", "--store", str(t / "missing.duckdb"), "--date", "2026-02-05", "--out", str(t / "o")], "missing.duckdb")),
    ("report-store-folder", lambda t, s: (["report", "--store", _folder(t), "--date", "2026-02-05", "--out", str(t / "o")], "folder.duckdb")),
    ("report-date-missing", lambda t, s: (["report", "--store", s, "--out", str(t / "o")], "--date")),
    ("report-universe-cycle", lambda t, s: (["report", "--store", s, "--date", "2026-02-05", "--universe", _uni(t, UNIVERSES["cycle"]), "--out", str(t / "o")], "cycle")),
    # explain
    ("explain-date-yesterday", lambda t, s: (["explain", "--store", s, "--date", "yesterday"], "'yesterday'")),
    ("explain-date-9999", lambda t, s: (["explain", "--store", s, "--date", "9999-12-31"], "9999-12-31")),
    ("explain-date-outside", lambda t, s: (["explain", "--store", s, "--date", "2030-01-01"], "2030-01-01")),
    ("explain-store-missing", lambda t, s: (["explain", "--store", str(t / "missing.duckdb"), "--date", "2026-02-05"], "missing.duckdb")),
    ("explain-store-truncated", lambda t, s: (["explain", "--store", _truncated(t, s), "--date", "2026-02-05"], "truncated.duckdb")),
    ("explain-sector", lambda t, s: (["explain", "--store", s, "--date", "2026-02-05", "--sector", "nope"], "'nope'")),
    # check
    ("check-latin1", lambda t, s: (["check", _write(t, "news.txt", "TAO fiel um 10 % am 5. Februar, Caf\xe9".encode("latin-1")), "--store", s], "news.txt")),
    ("check-utf16", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10% on Feb 5".encode("utf-16")), "--store", s], "news.txt")),
    ("check-binary", lambda t, s: (["check", _write(t, "news.bin", bytes(range(256)) * 4), "--store", s], "news.bin")),
    ("check-nul-utf8", lambda t, s: (["check", _write(t, "news.txt", b"TAO fell 10%\x00\x00\x00 on Feb 5"), "--store", s], "news.txt")),
    ("check-missing", lambda t, s: (["check", str(t / "none.txt"), "--store", s], "none.txt")),
    ("check-folder", lambda t, s: (["check", str(t), "--store", s], str(t))),
    ("check-lang", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--lang", "xx", "--store", s], "'xx'")),
    ("check-date-now", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--date", "now", "--store", s], "'now'")),
    ("check-date-9999", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--date", "9999-12-31", "--store", s], "9999-12-31")),
    ("check-time-hour-25", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--date", "2026-02-05T25:00", "--store", s], "2026-02-05T25:00")),
    ("check-store-folder", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--date", "2026-02-05", "--store", _folder(t)], "folder.duckdb")),
    ("check-store-truncated", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--date", "2026-02-05", "--store", _truncated(t, s)], "truncated.duckdb")),
    ("check-universe-self-edge", lambda t, s: (["check", _write(t, "news.txt", "TAO fell 10%"), "--universe", _uni(t, UNIVERSES["self-edge"]), "--store", s], "AAA")),
    # fetch --dry-run: validated without network and without creating a store
    ("fetch-interval-7m", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--interval", "7m"], "7m")),
    ("fetch-cpm-neg", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--calls-per-minute", "-5"], "-5")),
    ("fetch-cpm-half", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--calls-per-minute", "0.5"], "0.5")),
    ("fetch-cpm-nan", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--calls-per-minute", "nan"], "nan")),
    ("fetch-exchange", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--source", "ccxt", "--exchanges", "nosuchex"], "nosuchex")),
    ("fetch-feed-ftp", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--source", "events", "--feed", "ftp://example.org/feed"], "ftp://example.org/feed")),
    ("fetch-feed-word", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--source", "events", "--feed", "notaurl"], "notaurl")),
    ("fetch-source", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--source", "nope"], "nope")),
    ("fetch-since-now", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--since", "now"], "'now'")),
    ("fetch-since-9999", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--since", "9999-12-31"], "9999-12-31")),
    ("fetch-since-after-until", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--since", "2026-02-10", "--until", "2026-02-01"], "2026-02-10")),
    ("fetch-assets", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--assets", "NOPE"], "NOPE")),
    ("fetch-sector-markup", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--sector", "[/x]"], "[/x]")),
    ("fetch-events-file", lambda t, s: (["fetch", "--dry-run", "--store", str(t / "new.duckdb"), "--source", "events", "--events-file", str(t / "none.csv")], "none.csv")),
    ("fetch-store-folder", lambda t, s: (["fetch", "--dry-run", "--store", _folder(t), "--assets", "TAO"], "folder.duckdb")),
    ("fetch-store-truncated", lambda t, s: (["fetch", "--dry-run", "--store", _truncated(t, s), "--assets", "TAO"], "truncated.duckdb")),
    # import: rows
    ("import-high-below-low", lambda t, s: (["import", _csv(t, _row("2025-01-02,11,9,12,10,100")), "--store", s], "TAO.csv:3")),
    ("import-close-above-high", lambda t, s: (["import", _csv(t, _row("2025-01-02,11,13,10,15,100")), "--store", s], "TAO.csv:3")),
    ("import-close-below-low", lambda t, s: (["import", _csv(t, _row("2025-01-02,11,13,10,9,100")), "--store", s], "TAO.csv:3")),
    ("import-open-above-high", lambda t, s: (["import", _csv(t, _row("2025-01-02,14,13,10,12,100")), "--store", s], "TAO.csv:3")),
    ("import-unterminated-quote", lambda t, s: (["import", _csv(t, _row('2025-01-02,"11,13,10,12,100')), "--store", s], "TAO.csv")),
    ("import-epoch-out-of-range", lambda t, s: (["import", _csv(t, BYBIT.replace("1706572800000", "99999999999999999999"), "TAOUSDT.csv"), "--store", s], "TAOUSDT.csv:2")),
    ("import-date-9999", lambda t, s: (["import", _csv(t, _row("9999-12-31,11,13,10,12,100")), "--store", s], "9999-12-31")),
    ("import-date-1600", lambda t, s: (["import", _csv(t, _row("1600-01-01,11,13,10,12,100")), "--store", s], "1600-01-01")),
    ("import-date-word", lambda t, s: (["import", _csv(t, _row("yesterday,11,13,10,12,100")), "--store", s], "yesterday")),
    ("import-close-nan", lambda t, s: (["import", _csv(t, _row("2025-01-02,11,13,10,nan,100")), "--store", s], "TAO.csv:3")),
    ("import-close-inf", lambda t, s: (["import", _csv(t, _row("2025-01-02,11,13,10,inf,100")), "--store", s], "TAO.csv:3")),
    ("import-duplicate-conflict", lambda t, s: (["import", _csv(t, _row("2025-01-01,11,13,10,12,100")), "--store", s], "TAO.csv")),
    # import: files
    ("import-latin1", lambda t, s: (["import", _csv(t, OHLCV.replace("2025-01-02", "2025-01-02 caf\xe9").encode("latin-1")), "--store", s], "TAO.csv")),
    ("import-utf16", lambda t, s: (["import", _csv(t, OHLCV.encode("utf-16")), "--store", s], "TAO.csv")),
    ("import-binary", lambda t, s: (["import", _csv(t, bytes(range(256)) * 8), "--store", s], "TAO.csv")),
    ("import-empty", lambda t, s: (["import", _csv(t, b""), "--store", s], "TAO.csv")),
    ("import-header-only", lambda t, s: (["import", _csv(t, "date,open,high,low,close,volume\n"), "--store", s], "TAO.csv")),
    ("import-missing", lambda t, s: (["import", str(t / "none.csv"), "--store", s], "none.csv")),
    ("import-folder", lambda t, s: (["import", str(t), "--store", s], str(t))),
    ("import-format", lambda t, s: (["import", _csv(t, OHLCV), "--format", "nope", "--store", s], "nope")),
    # an --asset the universe lacks is registered (issue 13); one that cannot be an id is refused
    ("import-asset", lambda t, s: (["import", _csv(t, OHLCV, "prices.csv"), "--asset", "../NOPE", "--store", s], "../NOPE")),
    ("import-asset-markup", lambda t, s: (["import", _csv(t, OHLCV, "prices.csv"), "--asset", "[/x]", "--store", s], "[/x]")),
    ("import-store-folder", lambda t, s: (["import", _csv(t, OHLCV), "--store", _folder(t)], "folder.duckdb")),
    ("import-store-truncated", lambda t, s: (["import", _csv(t, OHLCV), "--store", _truncated(t, s)], "truncated.duckdb")),
    # sources
    ("sources-threshold-neg", lambda t, s: (["sources", "--store", s, "--asset", "TAO", "--threshold", "-1"], "--threshold -1")),
    ("sources-threshold-nan", lambda t, s: (["sources", "--store", s, "--asset", "TAO", "--threshold", "nan"], "--threshold nan")),
    ("sources-threshold-inf", lambda t, s: (["sources", "--store", s, "--asset", "TAO", "--threshold", "inf"], "--threshold inf")),
    ("sources-asset", lambda t, s: (["sources", "--store", s, "--asset", "NOPE"], "NOPE")),
    ("sources-asset-markup", lambda t, s: (["sources", "--store", s, "--asset", "[/x]"], "[/X]")),
    ("sources-store-missing", lambda t, s: (["sources", "--store", str(t / "missing.duckdb"), "--asset", "TAO"], "missing.duckdb")),
    ("sources-store-folder", lambda t, s: (["sources", "--store", _folder(t), "--asset", "TAO"], "folder.duckdb")),
    ("sources-store-truncated", lambda t, s: (["sources", "--store", _truncated(t, s), "--asset", "TAO"], "truncated.duckdb")),
    # info
    ("info-store-missing", lambda t, s: (["info", "--store", str(t / "missing.duckdb")], "missing.duckdb")),
    ("info-store-folder", lambda t, s: (["info", "--store", _folder(t)], "folder.duckdb")),
    ("info-store-truncated", lambda t, s: (["info", "--store", _truncated(t, s)], "truncated.duckdb")),
    ("info-store-empty-file", lambda t, s: (["info", "--store", _write(t, "empty.duckdb", b"")], "empty.duckdb")),
    # universe
    *[(f"universe-{k}", (lambda k: lambda t, s: (["universe", "--universe", _uni(t, UNIVERSES[k])], NEEDLES[k]))(k))
      for k in ("members-ints", "self-edge", "cycle", "case-assets", "slash-id", "dotdot-id")],
    ("universe-latin1", lambda t, s: (["universe", "--universe", _write(t, "u.toml", '[assets.AAA]\nkind = "token"\nname = "Caf\xe9"\n'.encode("latin-1"))], "u.toml")),
    ("universe-binary", lambda t, s: (["universe", "--universe", _write(t, "u.toml", bytes(range(256)))], "u.toml")),
    # record liquidations: everything that fails before the first connection
    ("record-assets", lambda t, s: (["record", "liquidations", "--store", str(t / "new.duckdb"), "--assets", "NOPE"], "NOPE")),
    ("record-exchange", lambda t, s: (["record", "liquidations", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--exchanges", "nosuchex"], "nosuchex")),
    ("record-flush-neg", lambda t, s: (["record", "liquidations", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--flush-seconds", "-1"], "--flush-seconds")),
    ("record-duration-neg", lambda t, s: (["record", "liquidations", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--duration", "-5"], "--duration")),
    ("record-duration-nan", lambda t, s: (["record", "liquidations", "--store", str(t / "new.duckdb"), "--assets", "TAO", "--duration", "nan"], "--duration")),
    ("record-store-folder", lambda t, s: (["record", "liquidations", "--store", _folder(t), "--assets", "TAO"], "folder.duckdb")),
]


def test_enough_cases():
    assert len(CASES) >= 80 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("build", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(build, store, tmp_path):
    data_dir = Path(os.environ["SELLOFF_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    argv, needle = build(tmp_path, str(store))
    before, files, data_files = fingerprint(store), files_under(tmp_path), files_under(data_dir)
    res = runner.invoke(app, argv)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 2, (res.exit_code, res.output)
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in res.output
    after = fingerprint(store)
    if argv[0] == "import":  # a failed import is logged in fetch_log (status error), nothing else changes
        assert after.pop("fetch_log")[0] - before.pop("fetch_log")[0] in (0, 1)
    assert after == before
    assert files_under(tmp_path) == files, "a file was written"
    assert files_under(data_dir) == data_files, "a file was written in the data dir"


def test_aware_since_is_converted_to_utc(store):
    """``--since 2026-01-01T00:00+05:00`` is 2025-12-31 19:00 UTC: the scan starts on 2025-12-31."""
    res = runner.invoke(app, ["scan", "--store", str(store), "--since", "2026-01-01T00:00+05:00", "--json"])
    assert res.exit_code == 0, res.output
    assert res.stderr == ""


def test_aware_dates_in_csv_rows_import_or_fail_cleanly(tmp_path):
    p = _csv(tmp_path, _row("2025-01-02T00:00+05:00,11,13,10,12,100"))
    res = runner.invoke(app, ["import", p, "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code in (0, 2) and "Traceback" not in res.output, res.output
    if res.exit_code == 2:
        assert len(res.stderr.splitlines()) == 1 and "TAO.csv" in res.stderr
