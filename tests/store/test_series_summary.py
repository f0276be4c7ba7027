"""Store.series_summary: per asset and source, rows and first/last ts, by hand; a long asset list (filtered after
grouping) gives the same rows as a short one (filtered in the scan)."""
from __future__ import annotations

import pandas as pd
import pytest

import selloff.store.store as store_module
from selloff.store import Store

DAYS = pd.date_range("2025-01-01", periods=5, freq="D", tz="UTC")


@pytest.fixture()
def db(tmp_path):
    rows = [("A", d, "binance", 1.0) for d in DAYS] + [("A", d, "coingecko", 2.0) for d in DAYS[1:3]]
    rows += [("B", d, "binance", 3.0) for d in DAYS[2:]] + [("C", d, "binance", 4.0) for d in DAYS]
    b = pd.DataFrame(rows, columns=["asset", "ts", "source", "close"]).assign(interval="1d")
    with Store(tmp_path / "s.duckdb") as s:
        s.upsert("bars", b[["asset", "interval", "ts", "source", "close"]])
        yield s


def _rows(df: pd.DataFrame) -> list[tuple]:
    return sorted((r.asset, r.source, int(r.rows), r.first_ts, r.last_ts) for r in df.itertuples())


@pytest.mark.parametrize("wide", [False, True])
def test_summary_by_hand_short_and_long_lists(db, monkeypatch, wide):
    if wide:
        monkeypatch.setattr(store_module, "SUMMARY_FILTER_AFTER", 1)  # two assets count as a long list
    df = db.series_summary("bars", ["A", "B"], interval="1d", end=DAYS[3], with_first=True)
    assert _rows(df) == [("A", "binance", 4, DAYS[0], DAYS[3]), ("A", "coingecko", 2, DAYS[1], DAYS[2]),
                         ("B", "binance", 2, DAYS[2], DAYS[3])]  # C not asked for; rows after end not counted
    assert db.series_summary("bars", ["Z", "Y"], interval="1d").empty


def test_summary_of_whole_series_by_hand(db):
    """Without ``end`` (the series catalogue answers while it adds up): every row of each series."""
    df = db.series_summary("bars", ["A", "C"], interval="1d", with_first=True)
    assert _rows(df) == [("A", "binance", 5, DAYS[0], DAYS[4]), ("A", "coingecko", 2, DAYS[1], DAYS[2]),
                         ("C", "binance", 5, DAYS[0], DAYS[4])]
    assert df["rows"].dtype == "int64"
