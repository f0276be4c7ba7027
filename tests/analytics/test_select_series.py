"""``select_series`` (integer codes, one stable lexsort) against its obvious version (pandas groupby, concat,
sort_values): the same rows in the same order for any frame — several sources per series, shuffled rows,
duplicate timestamps, missing keys and sources, Arrow and object strings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selloff.analytics.sources_priority import select_series, select_series_reference

SOURCES = ["binance", "bybit", "coingecko", "simulated", "zz"]


def _frame(rows: list[tuple], arrow: bool) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["asset", "interval", "day", "source", "close"])
    f["ts"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(f.pop("day"), unit="D")
    if arrow:
        for c in ("asset", "interval", "source"):
            f[c] = f[c].astype("string[pyarrow]")
    return f[["asset", "interval", "ts", "source", "close"]]


row = st.tuples(st.sampled_from(["TAO", "NEAR", "ÄI", "btc", None]), st.sampled_from(["1d", "1h"]),
                st.integers(0, 12), st.sampled_from([*SOURCES, None]), st.floats(1, 100))


@settings(max_examples=150, deadline=None)
@given(st.lists(row, max_size=60), st.booleans(), st.booleans(), st.sampled_from([("asset", "interval"), ("asset",)]))
def test_the_same_rows_in_the_same_order_as_the_reference(rows, arrow, cover_end, keys):
    f = _frame(rows, arrow)
    prio = ["bybit", "simulated", "binance"]
    pd.testing.assert_frame_equal(select_series(f, prio, keys=keys, cover_end=cover_end),
                                  select_series_reference(f, prio, keys=keys, cover_end=cover_end))


def test_a_stored_layout_is_kept_without_a_sort_and_a_shuffled_one_is_sorted():
    rng = np.random.default_rng(3)
    rows = [(a, "1d", d, "binance", float(d)) for a in ("NEAR", "TAO") for d in range(30)]
    rows += [("TAO", "1d", d, "bybit", 2.0 * d) for d in range(20, 36)]  # bybit reaches further: chosen for TAO
    f = _frame(rows, arrow=True)
    want = select_series_reference(f, ["binance", "bybit"])
    assert set(want.loc[want["asset"] == "TAO", "source"]) == {"bybit"}
    pd.testing.assert_frame_equal(select_series(f, ["binance", "bybit"]), want)
    shuffled = f.iloc[rng.permutation(len(f))]
    pd.testing.assert_frame_equal(select_series(shuffled, ["binance", "bybit"]), want)


@pytest.mark.parametrize("keys", [("asset", "interval", "venue"), ("asset",)])
def test_derivative_keys_with_a_venue(keys):
    f = _frame([("BTC", "1d", d, "coinglass", 1.0) for d in range(5)], arrow=False)
    f = pd.concat([f.assign(venue="binance"), f.assign(venue="bybit", source="binance")], ignore_index=True)
    pd.testing.assert_frame_equal(select_series(f, ["binance"], keys=keys), select_series_reference(f, ["binance"], keys=keys))
