"""Any asset importable: a file whose asset the universe lacks registers it in the store, with its kind inferred
from the format and symbol and stated in the output; a later universe entry claims it."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from selloff.cli import app
from selloff.pipeline.imports import import_file, infer_asset
from selloff.store import Store
from selloff.universe import load_universe

KLINES = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,trades,taker_buy_base,taker_buy_quote\n"
    "2024-01-01,10.0,11.0,9.5,10.5,1000,1704153599999,10500,10,500,5250\n"
    "2024-01-02,10.5,12.0,10.0,11.5,1200,1704239999999,13800,12,600,6900\n"
)
YF = "Date,Close,High,Low,Open,Volume\n2025-05-12,100.0,101.0,99.0,99.5,0\n2025-05-13,102.0,103.0,100.0,100.5,0\n"


@pytest.mark.parametrize("name, fmt, expect", [
    ("QQQXUSDT.csv", "binance-klines", ("QQQX", "token")),
    ("^FOO.csv", "yfinance", ("FOO", "index")),
    ("ACME.csv", "yfinance", ("ACME", "equity")),
    ("ACME-USD_2020.csv", "ohlcv", ("ACME", "token")),
    ("ACME_daily.csv", "ohlcv", ("ACME", "equity")),
    ("%%.csv", "yfinance", None),
])
def test_infer_asset(name, fmt, expect):
    got = infer_asset(name, fmt)
    assert (got[:2] if got else None) == expect


def test_import_registers_unknown_assets_and_a_universe_entry_claims_them(tmp_path):
    (tmp_path / "QQQXUSDT.csv").write_text(KLINES, encoding="utf-8")
    (tmp_path / "^FOO.csv").write_text(YF, encoding="utf-8")
    u = load_universe()
    with Store(tmp_path / "s.duckdb") as db:
        r1 = import_file(db, tmp_path / "QQQXUSDT.csv", universe=u)
        r2 = import_file(db, tmp_path / "^FOO.csv", universe=u)
        assert r1.assets == ("QQQX",) and any("registered in the store as token" in n for n in r1.notes)
        assert any("registered in the store as index" in n for n in r2.notes)
        assert db.registered_kinds()["QQQX"] == "token" and db.registered_kinds()["FOO"] == "index"
        # the index's daily bar is a New York session (09:30), as for any index: its kind decided the timestamp
        bars = db.read("bars", assets=["FOO"])
        assert bars["ts"].dt.tz_convert("America/New_York").dt.strftime("%H:%M").unique().tolist() == ["09:30"]
        again = import_file(db, tmp_path / "QQQXUSDT.csv", universe=u)
        assert all(x.inserted == 0 and x.updated == 0 for x in again.results)  # idempotent, registry included
    claim = tmp_path / "claim.toml"
    claim.write_text('[assets.QQQX]\nkind = "token"\nname = "Qux"\n[sectors.qux]\nname = "Qux"\nmembers = ["QQQX"]\n',
                     encoding="utf-8")
    res = CliRunner().invoke(app, ["scan", "--all", "--store", str(tmp_path / "s.duckdb"), "--universe", str(claim),
                                   "--json"])
    assert res.exit_code == 0, res.output
    assert "qux" in json.loads(res.stdout)["sectors"]


def test_cli_import_states_the_kind_and_fits_80_columns(tmp_path):
    (tmp_path / "ZZZQUSDT.csv").write_text(KLINES, encoding="utf-8")
    res = CliRunner().invoke(app, ["import", str(tmp_path / "ZZZQUSDT.csv"), "--store", str(tmp_path / "s.duckdb")],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "ZZZQ is not in the universe: registered in the store as token" in text
    assert max(len(line) for line in res.output.splitlines()) <= 80
