"""``upsert_many(commit_rows=N)``: a long load commits in batches (bounded DuckDB memory), keeps what it committed
before an error, and a second run completes it without changing a row."""
from __future__ import annotations

import pytest

from selloff.errors import DataError, StoreError
from selloff.store import Store
from tests.store.test_store import bars


def _frames():
    return [bars(5, a) for a in ("TAO", "NEAR", "ICP", "SOL")]


def test_batches_commit_and_a_failure_keeps_earlier_batches(tmp_path):
    bad = bars(5, "RENDER")
    bad.loc[2, "close"] = -1.0
    with Store(tmp_path / "a.duckdb") as s:
        with pytest.raises(DataError):
            s.upsert_many("bars", iter(_frames()[:2] + [bad]), commit_rows=10)  # TAO+NEAR = one batch of 10
        assert s.count("bars") == 10
        r = s.upsert_many("bars", iter(_frames()), commit_rows=10)
        assert (r.inserted, r.updated, r.unchanged) == (10, 0, 10)
        assert s.upsert_many("bars", iter(_frames()), commit_rows=7).unchanged == 20


def test_inside_a_transaction_it_stays_all_or_nothing(tmp_path):
    with Store(tmp_path / "a.duckdb") as s:
        with pytest.raises(RuntimeError):
            with s.transaction():
                s.upsert_many("bars", iter(_frames()), commit_rows=5)
                raise RuntimeError("abort")
        assert s.count("bars") == 0


def test_commit_rows_must_be_positive(tmp_path):
    with Store(tmp_path / "a.duckdb") as s, pytest.raises(StoreError, match="commit_rows = 0"):
        s.upsert_many("bars", iter(_frames()), commit_rows=0)
