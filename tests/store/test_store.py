"""Store: schema and migrations, validated idempotent upserts, transactions, failure modes of the file."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selloff.errors import DataError, StoreError
from selloff.store import SCHEMA_VERSION, Store

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def bars(n: int = 3, asset: str = "TAO", close0: float = 100.0, source: str = "binance") -> pd.DataFrame:
    """``n`` daily bars with close = close0, close0 + 1, ..."""
    closes = close0 + np.arange(n, dtype=float)
    return pd.DataFrame(
        {
            "asset": asset,
            "interval": "1d",
            "ts": pd.date_range(T0, periods=n, freq="D"),
            "source": source,
            "open": closes - 0.5,
            "high": closes + 1.0,
            "low": closes - 1.0,
            "close": closes,
            "volume": 10.0,
        }
    )


def caps(n: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {"asset": "TAO", "ts": pd.date_range(T0, periods=n, freq="D"), "source": "coingecko", "market_cap_usd": 1e9}
    )


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.duckdb")
    yield s
    s.close()


def _rows(store: Store, table: str = "bars") -> pd.DataFrame:
    return store.read(table).reset_index(drop=True)


# -- schema -------------------------------------------------------------------------------------------------
def test_new_store_has_current_schema_version(store):
    assert store.schema_version == SCHEMA_VERSION
    assert store.con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    for table in ("assets", "bars", "market_caps", "derivatives", "category_caps", "events", "alerts", "fetch_log"):
        assert store.count(table) == 0


def test_reopen_keeps_rows_and_does_not_migrate_again(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.upsert("bars", bars(3))
    with Store(path) as s:
        assert s.count("bars") == 3
        assert s.con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    with Store(path, read_only=True) as s:
        assert s.read("bars")["close"].tolist() == [100.0, 101.0, 102.0]
        with pytest.raises(StoreError, match="read-only"):
            s.upsert("bars", bars(1))


# -- upsert counts ------------------------------------------------------------------------------------------
def test_upsert_twice_is_idempotent(store):
    first = store.upsert("bars", bars(3))
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    before = _rows(store)
    second = store.upsert("bars", bars(3))
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    pd.testing.assert_frame_equal(_rows(store), before)


def test_upsert_counts_insert_update_unchanged(store):
    store.upsert("bars", bars(3))  # days 0, 1, 2
    new = bars(5)  # days 0..4; day 1 changes its close, days 3 and 4 are new
    new.loc[1, "close"] = 555.0
    res = store.upsert("bars", new)
    assert (res.inserted, res.updated, res.unchanged) == (2, 1, 2)
    got = _rows(store)
    assert len(got) == 5
    assert got["close"].tolist() == [100.0, 555.0, 102.0, 103.0, 104.0]


def test_null_to_value_counts_as_update(store):
    b = bars(1).drop(columns=["volume"])
    assert store.upsert("bars", b).inserted == 1
    assert np.isnan(_rows(store).loc[0, "volume"])
    res = store.upsert("bars", bars(1))
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 0)
    assert _rows(store).loc[0, "volume"] == 10.0


def test_other_source_same_ts_is_a_new_row(store):
    store.upsert("bars", bars(2))
    res = store.upsert("bars", bars(2, source="bybit"))
    assert res.inserted == 2
    assert store.read("bars", sources=["bybit"])["source"].unique().tolist() == ["bybit"]


def test_read_filters(store):
    store.upsert("bars", pd.concat([bars(5), bars(5, asset="NEAR", close0=5.0)]))
    got = store.read("bars", assets=["NEAR"], start=T0 + pd.Timedelta(days=1), end=T0 + pd.Timedelta(days=3))
    assert got["asset"].unique().tolist() == ["NEAR"]
    assert got["close"].tolist() == [6.0, 7.0, 8.0]
    assert str(got["ts"].dt.tz) == "UTC"
    cov = store.coverage("bars")
    assert cov.set_index("asset")["rows"].to_dict() == {"NEAR": 5, "TAO": 5}


def test_quote_in_asset_id_round_trips(store):
    b = bars(2, asset="O'Reilly")
    store.upsert("bars", b)
    got = store.read("bars", assets=["O'Reilly"])
    assert got["asset"].tolist() == ["O'Reilly", "O'Reilly"]
    assert store.upsert("bars", b).unchanged == 2
    assert store.read("bars", assets=["O'Reilly' OR '1'='1"]).empty


# -- transactions -------------------------------------------------------------------------------------------
class Boom(Exception):
    pass


def test_transaction_rollback_on_exception(store):
    with pytest.raises(Boom):
        with store.transaction():
            store.upsert("bars", bars(3))
            assert store.count("bars") == 3  # visible inside the transaction
            raise Boom
    assert store.count("bars") == 0


def test_failed_validation_in_second_upsert_rolls_back_first(store):
    bad = caps(1)
    bad.loc[0, "market_cap_usd"] = -1.0
    with pytest.raises(DataError):
        with store.transaction():
            store.upsert("bars", bars(3))
            store.upsert("market_caps", bad)
    assert store.count("bars") == 0
    assert store.count("market_caps") == 0
    # the store is usable afterwards
    assert store.upsert("bars", bars(1)).inserted == 1


def test_transaction_commits_both(store):
    with store.transaction():
        store.upsert("bars", bars(2))
        store.upsert("market_caps", caps(2))
    assert (store.count("bars"), store.count("market_caps")) == (2, 2)


# -- broken files -------------------------------------------------------------------------------------------
def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (999, 'from the future', now())")
    con.close()
    with pytest.raises(StoreError) as ei:
        Store(path)
    assert "999" in str(ei.value)
    assert "\n" not in str(ei.value)


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(np.random.default_rng(1).bytes(8192))
    with pytest.raises(StoreError) as ei:
        Store(path)
    msg = str(ei.value)
    assert "\n" not in msg
    assert str(path) in msg


def test_foreign_duckdb_file(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a selloff store"):
        Store(path)


def test_read_only_missing_path(tmp_path):
    path = tmp_path / "missing.duckdb"
    with pytest.raises(StoreError, match="does not exist"):
        Store(path, read_only=True)
    assert not path.exists()


def test_unknown_table(store):
    with pytest.raises(StoreError, match="unknown table"):
        store.upsert("prices", bars(1))


# -- validation ---------------------------------------------------------------------------------------------
def _naive(b):
    b["ts"] = b["ts"].dt.tz_localize(None)
    return b


def _set(col, value, row=1):
    def f(b):
        b[col] = b[col].astype(object) if isinstance(value, str) else b[col]
        b.loc[row, col] = value
        return b

    return f


def _dup(b):
    b.loc[2, "ts"] = b.loc[1, "ts"]
    return b


@pytest.mark.parametrize(
    "mutate, needles",
    [
        (_naive, ["naive", "ts"]),
        (_set("close", np.nan), ["close", "row 2", "ts=2025-03-02"]),
        (_set("low", -1.0), ["low", "-1.0", "row 2", "> 0"]),
        (_set("open", 0.0), ["open", "row 2", "> 0"]),
        (_set("volume", -5.0), ["volume", "row 2", ">= 0"]),
        (_set("close", np.inf), ["close", "row 2"]),
        (_dup, ["duplicate", "row 2", "row 3"]),
        (lambda b: b.assign(colour="red"), ["unknown column", "colour"]),
        (lambda b: b.drop(columns=["source"]), ["missing column", "source"]),
        (lambda b: b.iloc[:0], ["no rows"]),
    ],
    ids=["naive-ts", "nan-close", "negative-price", "zero-price", "negative-volume", "inf-close", "duplicate-key",
         "unknown-column", "missing-column", "empty"],
)
def test_validation_errors_name_the_row(store, mutate, needles):
    b = mutate(bars(3))
    with pytest.raises(DataError) as ei:
        store.upsert("bars", b, what="test feed")
    msg = str(ei.value)
    assert "\n" not in msg
    assert "test feed" in msg
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
    assert store.count("bars") == 0


def test_non_utc_aware_timestamps_are_converted(store):
    b = bars(1)
    b["ts"] = b["ts"].dt.tz_convert("America/New_York")
    store.upsert("bars", b)
    assert store.read("bars")["ts"].iloc[0] == T0


# -- property: order and duplication of upserts do not matter ----------------------------------------------
BASE = bars(6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(
        st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=6, unique=True), min_size=1, max_size=5
    ).filter(lambda bs: set().union(*map(set, bs)) == set(range(6)))
)
def test_any_permutation_or_duplication_gives_same_table(batches):
    with Store(":memory:") as s:
        for rows in batches:
            s.upsert("bars", BASE.iloc[rows])
        got = s.read("bars")
    assert len(got) == 6
    assert got["ts"].tolist() == BASE["ts"].tolist()
    assert got["close"].tolist() == BASE["close"].tolist()
    assert got["high"].tolist() == BASE["high"].tolist()
