"""Store.read: the same frame as the store's original query for every combination of filters; columns; order."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from selloff.errors import StoreError
from selloff.store import TABLES, Store

T0 = pd.Timestamp("2025-03-01", tz="UTC")
ASSETS = ("TAO", "NEAR", "O'Reilly")


def _bars() -> pd.DataFrame:
    """Daily and hourly bars of three assets from two sources, written in a shuffled order."""
    rng = np.random.default_rng(7)
    parts = []
    for asset, source, interval in itertools.product(ASSETS, ("binance", "bybit"), ("1d", "1h")):
        ts = pd.date_range(T0, periods=6, freq="D" if interval == "1d" else "h")
        parts.append(pd.DataFrame({"asset": asset, "interval": interval, "ts": ts, "source": source,
                                   "close": rng.uniform(1, 100, len(ts)), "volume": rng.uniform(0, 10, len(ts))}))
    df = pd.concat(parts, ignore_index=True)
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


def _derivatives() -> pd.DataFrame:
    ts = pd.date_range(T0, periods=4, freq="h")
    return pd.DataFrame({"asset": np.repeat(["TAO", "NEAR"], 8), "interval": "1h", "ts": np.tile(ts, 4),
                         "venue": np.tile(np.repeat(["binance", "aggregate"], 4), 2), "source": "coinalyze",
                         "funding_rate": 1e-4, "open_interest_usd": 1e6})


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("read") / "r.duckdb")
    s.upsert("bars", _bars())
    s.upsert("derivatives", _derivatives())
    s.upsert("events", pd.DataFrame({"ts": [T0, T0 + pd.Timedelta(days=2)], "entity": ["NVDA", "TAO"],
                                     "kind": "earnings", "headline": ["a", "b"], "source": "manual"}))
    yield s
    s.close()


def _old_read(store: Store, table: str, assets=None, start=None, end=None, interval=None, sources=None,
              venues=None) -> pd.DataFrame:
    """The store's query before columns/order existed, kept verbatim as the reference."""
    t = TABLES[table]
    where, params = [], []
    asset_col = "asset" if "asset" in t.column_names else ("entity" if table == "events" else None)
    if assets is not None and asset_col:
        where.append(f"{asset_col} IN (SELECT unnest(?))")
        params.append(list(assets))
    if start is not None and "ts" in t.column_names:
        where.append("ts >= ?")
        params.append(pd.Timestamp(start).tz_convert("UTC").to_pydatetime())
    if end is not None and "ts" in t.column_names:
        where.append("ts <= ?")
        params.append(pd.Timestamp(end).tz_convert("UTC").to_pydatetime())
    if interval is not None and "interval" in t.column_names:
        where.append("interval = ?")
        params.append(interval)
    if sources is not None:
        where.append("source IN (SELECT unnest(?))")
        params.append(list(sources))
    if venues is not None and "venue" in t.column_names:
        where.append("venue IN (SELECT unnest(?))")
        params.append(list(venues))
    sql = f"SELECT * FROM {t.name}" + (" WHERE " + " AND ".join(where) if where else "") + \
        f" ORDER BY {', '.join(t.key)}"
    # fetched as the store fetches (through Arrow): the reference is the query, not DuckDB's .df() conversion, which
    # types an all-null VARCHAR column as object where Arrow keeps it str (see the dtype test below)
    df = store.con.sql(sql, params=params).to_arrow_table().to_pandas()
    for c in t.columns:
        if c.sql_type == "TIMESTAMPTZ":
            df[c.name] = pd.to_datetime(df[c.name], utc=True)
    return df


def test_varchar_columns_are_str_even_empty_or_all_null(store):
    every = store.read("bars")
    none = store.read("bars", assets=[])
    assert len(none) == 0 and every["file_sha256"].isna().all()
    for df in (every, none):
        for c in TABLES["bars"].columns:
            if c.sql_type == "VARCHAR":
                assert isinstance(df[c.name].dtype, pd.StringDtype), (c.name, df[c.name].dtype)


FILTERS = {
    "assets": ["TAO", "O'Reilly"],
    "start": T0 + pd.Timedelta(hours=3),
    "end": T0 + pd.Timedelta(days=3),
    "interval": "1d",
    "sources": ["bybit"],
}
COMBOS = [dict(c) for n in range(len(FILTERS) + 1) for c in itertools.combinations(FILTERS.items(), n)]


@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "+".join(kw) or "none")
def test_read_equals_old_query_for_every_filter_combination(store, kw):
    old = _old_read(store, "bars", **kw)
    new = store.read("bars", **kw)
    assert len(old) > 0
    pd.testing.assert_frame_equal(new, old)


@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "+".join(kw) or "none")
def test_unordered_column_subset_has_the_same_rows(store, kw):
    cols = ["ts", "asset", "close"]
    got = store.read("bars", columns=cols, order=False, **kw)
    assert list(got.columns) == cols
    want = _old_read(store, "bars", **kw)[cols]
    key = ["asset", "ts", "close"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True))
    assert str(got["ts"].dt.tz) == "UTC"


@pytest.mark.parametrize("kw", [{}, {"venues": ["aggregate"]}, {"assets": ["NEAR"], "venues": ["binance"]},
                                {"start": T0 + pd.Timedelta(hours=2), "interval": "1h"}])
def test_derivatives_venue_filter_equals_old_query(store, kw):
    pd.testing.assert_frame_equal(store.read("derivatives", **kw), _old_read(store, "derivatives", **kw))


def test_events_filter_entity_and_ignore_missing_columns(store):
    kw = {"assets": ["TAO"], "interval": "1d", "venues": ["x"]}  # events have no interval or venue column
    got = store.read("events", **kw)
    pd.testing.assert_frame_equal(got, _old_read(store, "events", **kw))
    assert got["entity"].tolist() == ["TAO"]


def test_naive_bounds_are_utc(store):
    naive = store.read("bars", start=pd.Timestamp("2025-03-03"), interval="1d")
    aware = store.read("bars", start=T0 + pd.Timedelta(days=2), interval="1d")
    pd.testing.assert_frame_equal(naive, aware)


def test_empty_list_selects_nothing_and_keeps_columns(store):
    got = store.read("bars", assets=[], columns=["asset", "ts"])
    assert got.empty and list(got.columns) == ["asset", "ts"]
    assert store.read("bars", sources=[]).empty


def test_a_bare_string_is_one_asset(store):
    pd.testing.assert_frame_equal(store.read("bars", assets="TAO"), store.read("bars", assets=["TAO"]))


def test_order_true_sorts_by_key_even_without_key_columns(store):
    got = store.read("bars", columns=["close"], assets=["NEAR"], interval="1d", sources=["binance"])
    want = _old_read(store, "bars", assets=["NEAR"], interval="1d", sources=["binance"])["close"]
    assert got["close"].tolist() == want.tolist()


def test_unknown_column_names_it_and_the_known_ones(store):
    with pytest.raises(StoreError) as ei:
        store.read("bars", columns=["close", "colour"])
    msg = str(ei.value)
    assert "colour" in msg and "bars" in msg and "'adj_close'" in msg and "\n" not in msg


def test_empty_column_list_is_an_error(store):
    with pytest.raises(StoreError, match="selects nothing"):
        store.read("bars", columns=[])


def test_values_are_never_sql(store):
    assert store.read("bars", assets=["TAO' OR '1'='1"]).empty
    with pytest.raises(StoreError, match="unknown column"):
        store.read("bars", columns=["close FROM bars; DROP TABLE bars; --"])
    assert store.count("bars") == len(_bars())


def test_others_from_keeps_the_assets_whole_and_the_other_assets_from_that_time(store):
    """One scan for a long history of a few assets plus a short window of the rest: the union of two plain reads."""
    cut = T0 + pd.Timedelta(hours=2)
    got = store.read("derivatives", assets=["TAO"], others_from=cut, order=True)
    tao = store.read("derivatives", assets=["TAO"])
    near = store.read("derivatives", assets=["NEAR"], start=cut)
    want = pd.concat([near, tao]).sort_values(["asset", "interval", "ts", "venue", "source"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert len(near) == 4 and len(tao) == 8  # two of four hours × two venues of NEAR; all of TAO
    # an empty asset list with others_from: every asset's rows from that time, none before
    assert len(store.read("derivatives", assets=[], others_from=cut)) == 8


def test_read_arrays_keeps_only_rows_near_midnight_when_asked(store):
    """Hourly bars of TAO from one source: six hours from 00:00 UTC; below one hour after midnight only 00:00."""
    all_ = store.read_arrays("bars", "close", [("TAO", "binance")], interval="1h")
    near = store.read_arrays("bars", "close", [("TAO", "binance")], interval="1h", day_offset_below_ms=3_600_000)
    assert len(all_["ms"]) == 6 and near["ms"].tolist() == [int(T0.value // 1_000_000)]
    assert near["v"].tolist() == all_["v"][all_["ms"] == near["ms"][0]].tolist()
