"""The NYSE schedule kept in the user cache dir (selloff.calendar): the schedule read back is the one
exchange_calendars builds (the library is the reference), a new process reads it without importing the library,
a damaged or foreign entry or one built on another day is built anew (in its place: one entry, not one a day), and
``[compute] keep_results = false`` keeps nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

import selloff.calendar as cal
from selloff.config import use_config
from selloff.diskcache import result_cache


@pytest.fixture(autouse=True)
def _fresh_schedule():
    cal._all_sessions.cache_clear()
    yield
    cal._all_sessions.cache_clear()


def _library_schedule() -> pd.DataFrame:
    s = xcals.get_calendar("XNYS", start="2000-01-01").schedule
    return pd.DataFrame({"open": s["open"].dt.tz_convert("UTC"), "close": s["close"].dt.tz_convert("UTC")},
                        index=pd.DatetimeIndex(s.index, name="session"))


def _kept_files() -> list[Path]:
    folder = Path(os.environ["SELLOFF_CACHE_DIR"]) / "results"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_kept_schedule_is_the_librarys_and_is_read_back():
    built = cal._schedule()
    ref = _library_schedule()
    assert len(_kept_files()) == 1
    read = cal._schedule()
    for got in (built, read):
        assert got.index.equals(ref.index) and got.index.name == "session"
        for c in ("open", "close"):
            assert (got[c].to_numpy() == ref[c].to_numpy()).all() and str(got[c].dt.tz) == "UTC"
    # the published schedule: Good Friday 2024-03-29 closed, 2024-11-29 closes 13:00 New York (18:00 UTC)
    assert pd.Timestamp("2024-03-29") not in read.index
    assert read.loc["2024-11-29", "close"] == pd.Timestamp("2024-11-29 18:00", tz="UTC")
    w = cal.trading_day_window("2024-04-01", 2)  # Monday after Good Friday: Thursday and Monday
    assert list(w.sessions.strftime("%Y-%m-%d")) == ["2024-03-28", "2024-04-01"]
    assert w.start == pd.Timestamp("2024-03-28 13:30", tz="UTC") and w.end == pd.Timestamp("2024-04-01 20:00", tz="UTC")


def test_a_new_process_reads_the_kept_schedule_without_the_library(tmp_path):
    code = ("import sys, hashlib; from selloff.calendar import nyse_sessions; s = nyse_sessions('2020-01-01', "
            "'2026-12-31'); print('exchange_calendars' in sys.modules, len(s), "
            "hashlib.sha256(s['close_ts'].astype('int64').to_numpy().tobytes()).hexdigest())")
    env = {**os.environ, "SELLOFF_CACHE_DIR": str(tmp_path / "cache")}
    first, second = (subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                    check=True).stdout.split() for _ in range(2))
    assert first[0] == "True" and second[0] == "False"
    assert first[1:] == second[1:] and int(first[1]) > 1700


def test_damaged_or_foreign_entry_is_built_anew():
    ref = _library_schedule()
    cal._schedule()
    (path,) = _kept_files()
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # one flipped byte: the digest no longer matches
    path.write_bytes(bytes(data))
    assert cal._schedule()["close"].to_numpy().tolist() == ref["close"].to_numpy().tolist()
    cache = result_cache(path.parent)
    today = str(pd.Timestamp.now("UTC").date())
    cache[cal._schedule_key()] = {"day": today, "session": [1, 2], "open": [1], "close": []}  # intact, wrong shape
    got = cal._schedule()
    assert got.index.equals(ref.index)
    assert np.array_equal(got["open"].to_numpy(), ref["open"].to_numpy())


def test_keep_results_false_keeps_nothing(tmp_path):
    toml = tmp_path / "off.toml"
    toml.write_text("[compute]\nkeep_results = false\n", encoding="utf-8")
    with use_config(toml):
        s = cal.nyse_sessions("2026-02-02", "2026-02-06")
    assert len(s) == 5 and _kept_files() == []


def test_an_entry_of_another_day_is_built_anew_in_its_place():
    ref = _library_schedule()
    cal._schedule()
    (path,) = _kept_files()
    cache = result_cache(path.parent)
    stale = cache.get(cal._schedule_key())
    cut = len(stale["session"]) - 300  # as if built long ago: the calendar ended earlier
    cache[cal._schedule_key()] = {"day": "2000-01-01", **{k: stale[k][:cut] for k in ("session", "open", "close")}}
    got = cal._schedule()
    assert got.index.equals(ref.index)
    assert _kept_files() == [path]  # written over, not beside
    assert cache.get(cal._schedule_key())["day"] == str(pd.Timestamp.now("UTC").date())
