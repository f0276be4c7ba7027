"""``selloff export --format parquet`` and the import of that layout: a lossless round trip, a layout other
engines read without DuckDB, and bad folders refused with one line and nothing written."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from selloff.cli import app
from selloff.store import Store
from tests.store.test_store import bars, caps

RUN = CliRunner()


def _store(path) -> None:
    with Store(path) as s:
        s.upsert("bars", pd.concat([bars(400, "TAO"), bars(30, "NEAR", 3.0, "coingecko")], ignore_index=True))
        s.upsert("market_caps", caps(5))
        s.upsert("events", pd.DataFrame({"ts": [pd.Timestamp("2025-03-02", tz="UTC")], "entity": ["MSFT"],
                                         "kind": ["earnings"], "headline": ["capex up"], "source": ["test"]}))


def _tables(path) -> dict[str, pd.DataFrame]:
    with Store(path, read_only=True) as s:
        return {t: s.read(t).reset_index(drop=True) for t in ("bars", "market_caps", "events")}


@pytest.fixture
def exported(tmp_path):
    _store(tmp_path / "a.duckdb")
    r = RUN.invoke(app, ["export", str(tmp_path / "x"), "--store", str(tmp_path / "a.duckdb"), "--json"])
    assert r.exit_code == 0, r.output
    return tmp_path, json.loads(r.stdout)


def test_round_trip_is_lossless(exported):
    tmp, out = exported
    assert out["rows"] == {"bars": 430, "market_caps": 5, "events": 1}
    r = RUN.invoke(app, ["import", str(tmp / "x"), "--store", str(tmp / "b.duckdb"), "--json"])
    assert r.exit_code == 0, r.output
    a, b = _tables(tmp / "a.duckdb"), _tables(tmp / "b.duckdb")
    for t in a:
        pd.testing.assert_frame_equal(a[t], b[t], check_dtype=False)
    again = RUN.invoke(app, ["import", str(tmp / "x"), "--store", str(tmp / "b.duckdb"), "--json"])
    res = json.loads(again.stdout)["imported"][0]["results"]
    assert sum(x["inserted"] + x["updated"] for x in res) == 0  # idempotent


def test_layout_is_hive_partitioned_by_asset_and_utc_year_and_readable_without_duckdb(exported):
    tmp, _ = exported
    years = sorted(p.name for p in (tmp / "x" / "bars" / "asset=TAO").iterdir())
    assert years == ["year=2025", "year=2026"]  # 400 days from 1 March 2025 end in April 2026
    d = ds.dataset(tmp / "x" / "bars", format="parquet", partitioning="hive").to_table().to_pandas()
    assert len(d) == 430 and (d["asset"] == "TAO").sum() == 400
    assert (d.loc[d["asset"] == "TAO", "ts"].dt.year == 2026).sum() == 400 - 306  # 1 Mar–31 Dec 2025 = 306 days
    assert sorted(p.name for p in (tmp / "x" / "events").iterdir()) == ["year=2025"]


def test_bad_folders_are_one_line_errors_and_write_nothing(exported):
    tmp, _ = exported
    r = RUN.invoke(app, ["export", str(tmp / "x"), "--store", str(tmp / "a.duckdb")])
    assert r.exit_code == 2 and "not empty" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    next((tmp / "x" / "events").rglob("*.parquet")).unlink()  # an incomplete export: its last table is gone
    r = RUN.invoke(app, ["import", str(tmp / "x"), "--store", str(tmp / "c.duckdb")])
    assert r.exit_code == 2 and "manifest says 1" in r.stderr
    with Store(tmp / "c.duckdb", read_only=True) as s:
        assert s.count("bars") == 0 and s.count("market_caps") == 0  # bars and caps, imported before, rolled back
    (tmp / "x" / "selloff-export.json").write_text("{not json")
    r = RUN.invoke(app, ["import", str(tmp / "x"), "--store", str(tmp / "c.duckdb")])
    assert r.exit_code == 2 and "manifest" in r.stderr
    r = RUN.invoke(app, ["export", str(tmp / "y"), "--format", "csv", "--store", str(tmp / "a.duckdb")])
    assert r.exit_code == 2 and "parquet" in r.stderr
