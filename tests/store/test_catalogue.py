"""The series catalogue (store/catalogue.py) against the GROUP BY it replaces, after every kind of write: new rows,
overlapping and changed rows, slices of one upsert, a rolled back write, a random sequence of writes; rows written
around the store (the catalogue no longer adds up: summaries group again); an older store migrated with its rows,
and one opened read-only before its migration."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from selloff.errors import DataError
from selloff.store import Store, catalogue as catalogue_rules
from selloff.store.schema import MIGRATIONS

T0 = pd.Timestamp("2025-01-01", tz="UTC")


def bars(asset: str, days: range, source: str = "binance", interval: str = "1d", close: float = 1.0) -> pd.DataFrame:
    step = pd.Timedelta(days=1) if interval == "1d" else pd.Timedelta(hours=1)
    return pd.DataFrame({"asset": asset, "interval": interval, "ts": [T0 + i * step for i in days], "source": source,
                         "close": close + np.arange(len(days), dtype=float)})


def caps(asset: str, days: range, source: str = "coingecko") -> pd.DataFrame:
    return pd.DataFrame({"asset": asset, "ts": [T0 + pd.Timedelta(days=i) for i in days], "source": source,
                         "market_cap_usd": 1e6 + np.arange(len(days), dtype=float)})


def catalogue(db: Store) -> list[tuple]:
    return sorted(tuple(r) for r in db.con.execute(
        "SELECT tbl, interval, asset, source, rows, first_ts, last_ts FROM series_catalogue").fetchall())


def grouped(db: Store) -> list[tuple]:
    """The independent reference: one GROUP BY per table over every stored row."""
    return sorted(tuple(r) for r in db.con.execute(
        "SELECT 'bars', interval, asset, source, count(*), min(ts), max(ts) FROM bars GROUP BY ALL "
        "UNION ALL SELECT 'market_caps', '', asset, source, count(*), min(ts), max(ts) FROM market_caps GROUP BY ALL"
    ).fetchall())


def summaries(db: Store, assets) -> dict:
    out = {}
    for table, kw in (("bars", {"interval": "1d"}), ("bars", {"interval": "1h"}), ("market_caps", {})):
        df = db.series_summary(table, assets, with_first=True, **kw)
        out[(table, kw.get("interval"))] = sorted(
            (r.asset, r.source, int(r.rows), r.first_ts, r.last_ts) for r in df.itertuples())
    return out


def test_every_kind_of_write_keeps_the_catalogue_equal_to_the_group_by(tmp_path):
    with Store(tmp_path / "c.duckdb") as db:
        db.upsert("bars", bars("A", range(0, 5)))  # all new
        db.upsert("bars", bars("A", range(3, 8), close=50.0))  # 2 changed, 3 new: first 0, last 7, 8 rows
        db.upsert("bars", bars("A", range(0, 8), close=50.0))  # nothing new (changed values only)
        db.upsert("bars", bars("A", range(0, 3), source="coingecko"))
        db.upsert("bars", bars("B", range(0, 48), interval="1h"))
        db.upsert("bars", pd.concat([bars("C", range(0, 30)), bars("D", range(5, 9))]), chunk_rows=7)  # slices
        db.upsert_many("market_caps", [caps("A", range(0, 4)), caps("A", range(2, 9)), caps("C", range(1, 2))])
        assert catalogue(db) == grouped(db)
        by = {(r[0], r[1], r[2], r[3]): r[4:] for r in catalogue(db)}
        assert by[("bars", "1d", "A", "binance")] == (8, T0, T0 + pd.Timedelta(days=7))  # by hand
        assert by[("market_caps", "", "A", "coingecko")] == (9, T0, T0 + pd.Timedelta(days=8))
        with pytest.raises(DataError, match="violates"), db.transaction():  # a bad slice after a good one: both rolled back
            db.upsert("bars", bars("E", range(0, 3)))
            db.upsert("bars", bars("E", range(0, 2)).assign(close=-1.0))
        assert catalogue(db) == grouped(db) and not any(r[2] == "E" for r in catalogue(db))


def test_summaries_from_the_catalogue_equal_the_grouped_ones_and_rows_written_around_it_are_seen(tmp_path):
    with Store(tmp_path / "s.duckdb") as db:
        db.upsert("bars", pd.concat([bars("A", range(0, 6)), bars("A", range(2, 4), source="coingecko"),
                                     bars("B", range(0, 10), interval="1h"), bars("C", range(1, 3))]))
        db.upsert("market_caps", pd.concat([caps("A", range(0, 6)), caps("C", range(0, 2))]))
        listed = summaries(db, ["A", "B", "Z"])
        db._catalogue = False  # the GROUP BY path
        assert summaries(db, ["A", "B", "Z"]) == listed
        assert listed[("bars", "1d")] == [("A", "binance", 6, T0, T0 + pd.Timedelta(days=5)),
                                          ("A", "coingecko", 2, T0 + pd.Timedelta(days=2), T0 + pd.Timedelta(days=3))]
        db._catalogue = True
        assert catalogue_rules.fresh(db.con, "bars")
        # a row written by hand, past the store: the catalogue no longer adds up, so the summary groups again
        db.con.execute("INSERT INTO bars (asset, interval, ts, source, close) VALUES ('A', '1d', ?, 'binance', 9.0)",
                       [T0 + pd.Timedelta(days=30)])
        assert not catalogue_rules.fresh(db.con, "bars") and catalogue_rules.fresh(db.con, "market_caps")
        assert summaries(db, ["A"])[("bars", "1d")][0] == ("A", "binance", 7, T0, T0 + pd.Timedelta(days=30))


def _v2_store(path):
    """A store of schema 2 (before the catalogue) with rows in it, as an older selloff left it."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)")
    for version, description, statements in MIGRATIONS[:2]:
        for sql in statements:
            con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, description])
    con.execute("INSERT INTO bars (asset, interval, ts, source, close) SELECT 'A', '1d', ? + INTERVAL (i) DAY, "
                "'binance', 1.0 + i FROM range(5) t(i)", [T0])
    con.execute("INSERT INTO market_caps (asset, ts, source, market_cap_usd) VALUES ('A', ?, 'coingecko', 1e6)", [T0])
    con.close()


def test_an_older_store_read_only_groups_and_migrated_lists_its_rows(tmp_path):
    path = tmp_path / "v2.duckdb"
    _v2_store(path)
    want = [("A", "binance", 5, T0, T0 + pd.Timedelta(days=4))]
    with Store(path, read_only=True) as ro:  # not migrated (no catalogue table): the summary groups
        assert summaries(ro, ["A"])[("bars", "1d")] == want
    with Store(path) as db:  # migrated: the catalogue is filled from the rows already stored
        assert db.schema_version == 3
        assert catalogue(db) == grouped(db)
        assert summaries(db, ["A"])[("bars", "1d")] == want
        db.upsert("bars", bars("A", range(4, 7)))
        assert catalogue(db) == grouped(db)


write = st.tuples(st.sampled_from(["bars", "market_caps"]), st.sampled_from(["A", "B"]),
                  st.sampled_from(["binance", "coingecko"]), st.integers(0, 20), st.integers(1, 8),
                  st.integers(1, 4))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(write, min_size=1, max_size=8))
def test_any_sequence_of_writes_keeps_the_catalogue_equal_to_the_group_by(tmp_path, writes):
    with Store(":memory:") as db:
        for table, asset, source, first, n, chunk in writes:
            df = bars(asset, range(first, first + n), source) if table == "bars" else caps(asset, range(first, first + n), source)
            db.upsert(table, df, chunk_rows=chunk)
        assert catalogue(db) == grouped(db)


def test_two_connections_adding_to_one_series_at_once_are_both_counted(tmp_path):
    """Two writers in one process, each adding new days of one series in its own transaction: neither sees the
    other's catalogue row, so the series has two rows; they add up (summaries sum them), and the next write folds
    them into one."""
    path = tmp_path / "two.duckdb"
    with Store(path) as a, Store(path) as b:
        with a.transaction():
            a.upsert("bars", bars("N", range(0, 3)))
            b.upsert("bars", bars("N", range(3, 6)))  # commits first
        rows = [r for r in catalogue(a) if r[2] == "N"]
        assert len(rows) == 2 and catalogue_rules.fresh(a.con, "bars")
        assert summaries(a, ["N"])[("bars", "1d")] == [("N", "binance", 6, T0, T0 + pd.Timedelta(days=5))]
        a.upsert("bars", bars("N", range(6, 7)))
        assert [r for r in catalogue(a) if r[2] == "N"] == [("bars", "1d", "N", "binance", 7, T0, T0 + pd.Timedelta(days=6))]


def test_a_table_without_interval_ignores_the_interval_asked(tmp_path):
    with Store(tmp_path / "i.duckdb") as db:
        db.upsert("market_caps", caps("A", range(0, 3)))
        listed = db.series_summary("market_caps", ["A"], interval="1d")
        db._catalogue = False
        grouped_ = db.series_summary("market_caps", ["A"], interval="1d")
    assert listed["rows"].tolist() == grouped_["rows"].tolist() == [3]
