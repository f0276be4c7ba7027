"""``pivot_last`` (factorised keys, one scatter of each cell's last row) against pandas'
``pivot_table(aggfunc="last")``: the same frame for any rows — repeated cells, NaN values (a cell, a whole index
label or a whole column without one), missing keys, tz-aware and naive time indexes, Arrow and object strings."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from selloff.analytics.frames import pivot_last

row = st.tuples(st.sampled_from(["TAO", "NEAR", "ÄI", "btc", None]), st.one_of(st.integers(0, 9), st.none()),
                st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))))


@settings(max_examples=250, deadline=None)
@given(st.lists(row, min_size=1, max_size=60), st.sampled_from(["str", "string[pyarrow]", object]), st.sampled_from(["UTC", None]))
def test_the_same_frame_as_pivot_table(rows, strings, tz):
    f = pd.DataFrame(rows, columns=["asset", "h", "close"])
    f["ts"] = pd.Timestamp("2026-02-05", tz=tz) + pd.to_timedelta(f.pop("h"), unit="h")
    f["asset"] = f["asset"].astype(strings)
    f["close"] = f["close"].astype(float)
    ref = f.pivot_table(index="ts", columns="asset", values="close", aggfunc="last")
    got = pivot_last(f, "ts", "asset", "close")
    if ref.empty:
        assert got.empty
        return
    pd.testing.assert_frame_equal(got, ref, check_column_type=strings == "str")  # the panel's strings: exactly
    assert list(map(str, got.columns)) == list(map(str, ref.columns))


def test_the_later_row_wins_and_nan_is_skipped_by_hand():
    ts = pd.to_datetime(["2026-02-05 00:00", "2026-02-05 00:00", "2026-02-05 00:00", "2026-02-05 01:00"], utc=True)
    f = pd.DataFrame({"ts": ts, "asset": ["TAO", "TAO", "TAO", "NEAR"], "close": [1.0, 2.0, np.nan, np.nan]})
    got = pivot_last(f, "ts", "asset", "close")
    # TAO at 00:00: 1 then 2 then NaN -> 2; NEAR has no value: no column, and 01:00 no row
    assert got.shape == (1, 1) and got.loc[ts[0], "TAO"] == 2.0 and got.index.name == "ts"
    assert got.columns.name == "asset"


def test_a_non_float_column_is_pandas_own():
    f = pd.DataFrame({"d": [1, 1, 2], "a": ["x", "x", "y"], "n": [1, 2, 3]})
    pd.testing.assert_frame_equal(pivot_last(f, "d", "a", "n"), f.pivot_table(index="d", columns="a", values="n", aggfunc="last"))
