"""Store failures told as they are: a lock held by another process, no write permission, a truncated file, a
commit that fails (full disk)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from selloff.errors import StoreError
from selloff.store import Store

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def bars(n: int, source: str = "binance", seed: int = 0) -> pd.DataFrame:
    ts = pd.date_range(T0, periods=n // 50, freq="D")
    return pd.DataFrame({"asset": np.repeat([f"A{i:02d}" for i in range(50)], len(ts)), "interval": "1d",
                         "ts": np.tile(ts, 50), "source": source,
                         "close": 1.0 + np.random.default_rng(seed).random(50 * len(ts))})


def _one_line_naming(err: pytest.ExceptionInfo, path: Path) -> str:
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg, msg
    return msg


# -- a lock held by another process -------------------------------------------------------------------------
@pytest.fixture
def locked_store(tmp_path):
    """A store that a second, real process holds open read-write (DuckDB's file lock) while the test runs."""
    path = tmp_path / "locked.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " time.sleep(60)", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield path, holder.pid
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("read_only", [False, True])
def test_store_locked_by_another_process_says_so(locked_store, read_only):
    path, pid = locked_store
    with pytest.raises(StoreError) as ei:
        Store(path, read_only=read_only)
    msg = _one_line_naming(ei, path)
    assert "in use by another process" in msg and f"PID {pid}" in msg and "wait" in msg
    assert "corrupt" not in msg and "move it away" not in msg


# -- no write permission / read-only file system --------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; see the /sys test for a real refusal")
def test_store_in_read_only_folder(tmp_path):
    path = tmp_path / "ro" / "s.duckdb"
    with Store(path) as s:
        s.upsert("bars", bars(100))
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        with pytest.raises(StoreError) as ei:
            Store(path)
        msg = _one_line_naming(ei, path)
        assert "no permission" in msg and "--store" in msg and "read-only" in msg
        with Store(path, read_only=True) as s:  # the advice works
            assert s.count("bars") == 100
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs sysfs, where even root cannot create a file")
def test_store_where_files_cannot_be_created(tmp_path):
    path = Path("/sys/selloff-test.duckdb")  # sysfs refuses new files to everyone, root included (EACCES)
    if path.exists():
        pytest.skip(f"{path} exists")
    with pytest.raises(StoreError) as ei:
        Store(path)
    msg = _one_line_naming(ei, path)
    assert "no permission" in msg and "--store" in msg
    assert "corrupt" not in msg


# -- truncated file ---------------------------------------------------------------------------------------------
def test_truncated_store_is_one_store_error_naming_the_file(tmp_path):
    """Cut a store written in several sessions at many points: every open and read either works or is one
    StoreError naming the file; some cuts pass the open and fail only at the read (not just connect is guarded)."""
    whole = tmp_path / "whole.duckdb"
    for k in range(4):  # several sessions: later data lands after earlier metadata in the file
        with Store(whole) as s:
            s.upsert("bars", bars(50_000, source=f"s{k}", seed=k))
    cut_file = tmp_path / "cut.duckdb"
    stages = {"open": 0, "read": 0, "ok": 0}
    size = whole.stat().st_size
    for cut in range(4096, min(size, 3_000_000), 65536):
        shutil.copy(whole, cut_file)
        os.truncate(cut_file, cut)
        try:
            s = Store(cut_file)
        except StoreError as exc:
            stages["open"] += 1
            assert str(cut_file) in str(exc) and "\n" not in str(exc)
            continue
        try:
            s.read("bars", columns=["close"], order=False)
            stages["ok"] += 1
        except StoreError as exc:
            stages["read"] += 1
            assert str(cut_file) in str(exc) and "truncated or corrupt" in str(exc), str(exc)
        finally:
            s.close()
    assert stages["open"] and stages["read"], stages


# -- a failing COMMIT (full disk) -------------------------------------------------------------------------------
class FullDisk:
    """The store's connection, except that COMMIT fails as on a full disk and ``unregister`` fails after it.

    A real full disk needs a small file system mounted for the test (root mounts), so the failure is simulated:
    DuckDB's own exception class and message, raised before the COMMIT reaches DuckDB.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args, **kwargs):
        if sql.strip().upper() == "COMMIT":
            raise duckdb.IOException('IO Error: Could not write file "s.duckdb.wal": No space left on device')
        return self._con.execute(sql, *args, **kwargs)

    def unregister(self, name: str):
        self._con.unregister(name)
        raise duckdb.ConnectionException("Connection Error: Connection already closed!")

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def test_failed_commit_names_the_real_cause_and_rolls_back(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    s = Store(path)
    s.upsert("bars", bars(100))
    before = s.read("bars")
    real = s.con
    monkeypatch.setattr(s, "con", FullDisk(real))
    with pytest.raises(StoreError) as ei:
        s.upsert("bars", bars(200, source="bybit"), what="bybit bars")
    msg = _one_line_naming(ei, path)
    assert "No space left on device" in msg and "disk is full" in msg and "Connection already closed" not in msg
    with pytest.raises(StoreError, match="No space left on device"):
        with s.transaction():
            s.upsert("market_caps", pd.DataFrame({"asset": ["A00"], "ts": [T0], "source": "coingecko",
                                                   "market_cap_usd": 1e9}))
    monkeypatch.setattr(s, "con", real)
    pd.testing.assert_frame_equal(s.read("bars"), before)
    assert s.count("market_caps") == 0
    assert s.upsert("bars", bars(100, source="bybit")).inserted == 100  # usable afterwards
    s.close()
    with Store(path) as again:
        assert again.count("bars") == 200


def test_error_in_body_survives_a_failing_rollback(tmp_path, monkeypatch):
    s = Store(tmp_path / "s.duckdb")

    class NoRollback(FullDisk):
        def execute(self, sql: str, *args, **kwargs):
            if sql.strip().upper() == "ROLLBACK":
                raise duckdb.TransactionException("TransactionContext Error: cannot rollback - no transaction")
            return self._con.execute(sql, *args, **kwargs)

    monkeypatch.setattr(s, "con", NoRollback(s.con))
    with pytest.raises(KeyError, match="the real one"):
        with s.transaction():
            raise KeyError("the real one")
    s.close()
