"""Large writes: ``upsert`` in slices and ``upsert_many`` over a stream keep the store's guarantees.

The reference for every count is the plain arithmetic of the rows written (new / changed / unchanged), and for
the stored content a comparison with the same rows written by one single-slice upsert into another store.
"""
from __future__ import annotations

import pandas as pd
import pytest

from selloff.errors import DataError
from selloff.store import Store
from tests.store.test_store import bars


def _content(s: Store) -> pd.DataFrame:
    return s.read("bars").reset_index(drop=True)


def test_sliced_upsert_equals_one_slice_and_counts_add_up(tmp_path):
    df = pd.concat([bars(40, "TAO"), bars(40, "NEAR", 5.0)], ignore_index=True)
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        ra = a.upsert("bars", df, chunk_rows=7)  # 80 rows in 12 slices
        rb = b.upsert("bars", df)
        assert (ra.inserted, ra.updated, ra.unchanged) == (80, 0, 0) == (rb.inserted, rb.updated, rb.unchanged)
        pd.testing.assert_frame_equal(_content(a), _content(b))
        changed = df.copy()
        changed.loc[changed.index[::10], "close"] += 1.0  # 8 rows change, 72 stay
        r = a.upsert("bars", changed, chunk_rows=7)
        assert (r.inserted, r.updated, r.unchanged) == (0, 8, 72)
        assert a.upsert("bars", changed, chunk_rows=7).unchanged == 80


def test_duplicate_key_across_slices_is_an_error_naming_both_rows(tmp_path):
    df = pd.concat([bars(10), bars(1)], ignore_index=True)  # row 11 repeats row 1's key
    with Store(tmp_path / "a.duckdb") as s:
        with pytest.raises(DataError, match=r"duplicate key .* row 1 .* and row 11 "):
            s.upsert("bars", df, chunk_rows=4)
        assert s.count("bars") == 0


def test_bad_row_in_a_late_slice_leaves_the_store_as_before(tmp_path):
    with Store(tmp_path / "a.duckdb") as s:
        s.upsert("bars", bars(3, "SOL"))
        df = bars(20)
        df.loc[17, "close"] = -1.0
        with pytest.raises(DataError, match="row 18 "):  # numbered in the caller's frame, not the slice
            s.upsert("bars", df, chunk_rows=5)
        assert s.count("bars") == 3


def test_upsert_many_is_one_transaction(tmp_path):
    good = [bars(5, "TAO"), bars(5, "NEAR"), bars(5, "ICP")]
    bad = bars(5, "RENDER")
    bad.loc[2, "high"] = float("nan")
    bad.loc[2, "close"] = float("nan")
    with Store(tmp_path / "a.duckdb") as s:
        with pytest.raises(DataError):
            s.upsert_many("bars", iter(good + [bad]))
        assert s.count("bars") == 0  # the three good frames before it were rolled back too
        r = s.upsert_many("bars", iter(good))
        assert (r.inserted, r.updated, r.unchanged) == (15, 0, 0)
        assert s.upsert_many("bars", iter(good)).unchanged == 15


def test_upsert_many_writes_each_frame_before_drawing_the_next(tmp_path):
    """Peak memory is one frame: frame k is in the store (inside the open transaction) before frame k+1 exists."""
    with Store(tmp_path / "a.duckdb") as s:
        counts = []

        def frames():
            for a in ("TAO", "NEAR", "ICP"):
                counts.append(s.count("bars"))
                yield bars(3, a)

        s.upsert_many("bars", frames())
        assert counts == [0, 3, 6] and s.count("bars") == 9
