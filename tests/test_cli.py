"""The command line through typer's CliRunner: the demo, scan, and bad input (exit 2, one line, nothing written)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from selloff.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run ``selloff demo`` once: the store it builds is then only read by the other tests."""
    base = tmp_path_factory.mktemp("cli-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SELLOFF_CONFIG_DIR", str(base / "config"))
        mp.setenv("SELLOFF_DATA_DIR", str(base / "data"))
        out, store = base / "out", base / "demo.duckdb"
        res = runner.invoke(app, ["demo", "--out", str(out), "--store", str(store), "--format", "md,json"])
    return res, out, store


def test_help_lists_commands():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0, res.output
    for cmd in ("demo", "scan", "report", "info", "universe"):
        assert cmd in res.output
    for cmd in ("fetch", "import", "check", "explain", "sources"):
        if cmd in {c.name for c in app.registered_commands}:
            assert cmd in res.output


def test_demo_writes_en_and_de(demo):
    res, out, store = demo
    assert res.exit_code == 0, res.output
    assert store.is_file()
    for lang in ("en", "de"):
        (md,) = out.glob(f"*.{lang}.md")
        (js,) = out.glob(f"*.{lang}.json")
        assert md.read_text(encoding="utf-8").startswith("# [" + ("SIMULATED DATA" if lang == "en" else "SIMULIERTE DATEN"))
        doc = json.loads(js.read_text(encoding="utf-8"))
        assert doc["lang"] == lang and doc["simulated"] is True and doc["findings"]
    assert not list(out.glob("*.html")) and not list(out.glob("*.pdf"))  # only the formats asked for
    assert len(list((out / "figures").glob("*.png"))) >= 4


def test_scan_json(demo):
    _, _, store = demo
    res = runner.invoke(app, ["scan", "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["simulated"] is True
    assert "simulated" in doc["sources"]["bars"]
    hits = [r for r in doc["rows"] if r["start"][:10] <= "2026-02-06" and r["end"][:10] >= "2026-02-05"]
    assert len(hits) == 1, doc["rows"]
    ep = hits[0]
    assert ep["sector"] == "ai-crypto" and ep["worst_day"][:10] in ("2026-02-05", "2026-02-06")
    assert ep["worst_day_pct"] < -10 and ep["worst_day_z"] < -3


# -- bad input: exit 2, one line naming the input, nothing written ----------------------------------------------
def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def _corrupt(tmp: Path) -> Path:
    p = tmp / "corrupt.duckdb"
    p.write_bytes(os.urandom(64 * 1024))
    return p


def _newer(tmp: Path) -> Path:
    p = tmp / "newer.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)")
    con.execute("INSERT INTO schema_version VALUES (999, 'from the future', now())")
    con.close()
    return p


def _bad_toml(tmp: Path) -> Path:
    p = tmp / "bad.toml"
    p.write_text('[assets.FOO]\nname = "Foo"\nkind = \n', encoding="utf-8")
    return p


def _file(tmp: Path) -> Path:
    p = tmp / "file.txt"
    p.write_text("a regular file\n", encoding="utf-8")
    return p


# each case: (id, builder(tmp, store) -> (argv, text the message must name))
CASES = [
    ("unknown-sector", lambda t, s: (["scan", "--store", s, "--sector", "nope"], "'nope'")),
    ("unknown-sector-report", lambda t, s: (["report", "--store", s, "--date", "2026-02-06", "--sector", "nope", "--out", str(t / "out")], "'nope'")),
    ("unknown-asset", lambda t, s: (["sources", "--store", s, "--asset", "NOPE"], "NOPE")),
    ("date-outside-data", lambda t, s: (["report", "--store", s, "--date", "2030-01-01", "--out", str(t / "out")], "date 2030-01-01 is outside the stored data")),
    ("reversed-range", lambda t, s: (["scan", "--store", s, "--since", "2026-02-10", "--until", "2026-02-01"], "2026-02-10")),
    ("not-a-date", lambda t, s: (["report", "--store", s, "--date", "notadate", "--out", str(t / "out")], "notadate")),
    ("not-a-date-scan", lambda t, s: (["scan", "--store", s, "--since", "notadate"], "notadate")),
    ("corrupt-store", lambda t, s: (["scan", "--store", str(_corrupt(t))], "corrupt.duckdb")),
    ("corrupt-store-demo", lambda t, s: (["demo", "--store", str(_corrupt(t)), "--out", str(t / "out")], "corrupt.duckdb")),
    ("newer-schema", lambda t, s: (["info", "--store", str(_newer(t))], "999")),
    ("newer-schema-demo", lambda t, s: (["demo", "--store", str(_newer(t)), "--out", str(t / "out")], "999")),
    ("bad-universe", lambda t, s: (["scan", "--store", s, "--universe", str(_bad_toml(t))], "bad.toml")),
    ("bad-universe-demo", lambda t, s: (["demo", "--store", str(t / "new.duckdb"), "--universe", str(_bad_toml(t)), "--out", str(t / "out")], "bad.toml")),
    ("out-under-file", lambda t, s: (["report", "--store", s, "--date", "2026-02-06", "--out", str(_file(t) / "sub")], "file.txt")),
    ("out-under-file-demo", lambda t, s: (["demo", "--store", str(t / "new.duckdb"), "--out", str(_file(t) / "sub")], "file.txt")),
    ("missing-store", lambda t, s: (["scan", "--store", str(t / "missing.duckdb")], "missing.duckdb")),
    ("missing-store-report", lambda t, s: (["report", "--store", str(t / "missing.duckdb"), "--date", "2026-02-06", "--out", str(t / "out")], "missing.duckdb")),
]


@pytest.mark.parametrize("build", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(build, demo, tmp_path):
    store = demo[2]
    argv, names = build(tmp_path, str(store))
    before, store_before = _snapshot(tmp_path), store.stat()
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert lines[0].startswith("error:") and names in lines[0], lines[0]
    assert "Traceback" not in res.output
    assert _snapshot(tmp_path) == before  # no output dir, no store file, no change to the inputs
    after = store.stat()
    assert (after.st_size, after.st_mtime_ns) == (store_before.st_size, store_before.st_mtime_ns)


def test_corrupt_store_bytes_unchanged(tmp_path):
    p = _corrupt(tmp_path)
    data = p.read_bytes()
    for argv in (["scan", "--store", str(p)], ["demo", "--store", str(p), "--out", str(tmp_path / "out")]):
        assert runner.invoke(app, argv).exit_code == 2
    assert p.read_bytes() == data
    assert not (tmp_path / "out").exists()
