"""Alignment tests. Reference: the published NYSE schedule (holidays and early closes are public facts:
Good Friday 2024-03-29 closed; 2024-11-29, the day after Thanksgiving, closes 13:00 New York) and hand
computations on tiny hourly frames whose value equals the hour number."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.calendar import (
    align_returns,
    calendar_day_window,
    crypto_at_equity_close,
    equity_close_times,
    nyse_sessions,
    trading_day_window,
    window_24h,
)
from selloff.errors import DataError


def _hourly(start, end, cols=("BTC",)):
    idx = pd.date_range(start, end, freq="h", tz="UTC", inclusive="left")
    hours = np.arange(len(idx), dtype=float)
    return pd.DataFrame({c: 1000.0 + hours for c in cols}, index=idx)


def test_good_friday_is_not_a_session_and_dst_moves_the_close():
    s = nyse_sessions("2024-03-27", "2024-04-02")
    assert list(s.index.strftime("%Y-%m-%d")) == ["2024-03-27", "2024-03-28", "2024-04-01", "2024-04-02"]
    # summer time (EDT): 16:00 New York = 20:00 UTC
    assert (s["close_ts"].dt.hour == 20).all()
    winter = equity_close_times("2024-01-08", "2024-01-08")
    assert winter.iloc[0] == pd.Timestamp("2024-01-08 21:00", tz="UTC")


def test_thanksgiving_early_close():
    s = nyse_sessions("2024-11-26", "2024-12-02")
    assert pd.Timestamp("2024-11-28") not in s.index  # Thanksgiving
    row = s.loc["2024-11-29"]
    assert row["early_close"] and row["close_ts"] == pd.Timestamp("2024-11-29 18:00", tz="UTC")  # 13:00 EST
    assert not s.loc["2024-11-27", "early_close"]


def test_crypto_at_equity_close_takes_last_bar_closing_at_or_before_close():
    cr = _hourly("2024-11-27", "2024-11-30")
    got = crypto_at_equity_close(cr, nyse_sessions("2024-11-27", "2024-11-29"))
    # bar opening 20:00 closes at 21:00 = close on 11-27 -> hour index 20 ; early close 18:00 on 11-29 -> bar 17:00
    assert got.loc["2024-11-27", "BTC"] == 1000 + 20
    assert got.loc["2024-11-29", "BTC"] == 1000 + 48 + 17


def test_crypto_at_equity_close_gap_gives_nan_not_stale_price():
    cr = _hourly("2024-11-27", "2024-11-28")
    cr.loc["2024-11-27 12:00":] = np.nan  # feed dies at noon
    got = crypto_at_equity_close(cr, nyse_sessions("2024-11-27", "2024-11-27"), max_staleness="3h")
    assert np.isnan(got.iloc[0, 0])
    got = crypto_at_equity_close(cr, nyse_sessions("2024-11-27", "2024-11-27"), max_staleness=None)
    assert got.iloc[0, 0] == 1000 + 11  # bar 11:00 closes 12:00


def test_weekend_crypto_crash_lands_in_monday_row_on_session_grid():
    idx = pd.date_range("2026-01-30", "2026-02-03", freq="h", tz="UTC", inclusive="left")  # Fri..Mon
    px = pd.Series(100.0, index=idx)
    px[idx >= pd.Timestamp("2026-01-31 12:00", tz="UTC")] = 80.0  # Saturday crash
    cr = px.to_frame("TAO")
    eq = pd.DataFrame({"NVDA": [50.0, 49.0]}, index=pd.to_datetime(["2026-01-30", "2026-02-02"]))
    a = align_returns(cr, eq, how="equity_close", kind="simple")
    assert list(a.returns.index.strftime("%Y-%m-%d")) == ["2026-02-02"]
    assert a.returns.loc["2026-02-02", "TAO"] == pytest.approx(-0.20)
    assert a.returns.loc["2026-02-02", "NVDA"] == pytest.approx(-0.02)
    assert "NYSE session grid" in a.alignment and a.how == "equity_close"
    assert a.period_end.iloc[0] == pd.Timestamp("2026-02-02 21:00", tz="UTC")
    # utc_day grid: the crash is on Saturday, equity is NaN there
    b = align_returns(cr, eq, how="utc_day", kind="simple")
    assert b.returns.loc["2026-01-31", "TAO"] == pytest.approx(-0.20)
    assert np.isnan(b.returns.loc["2026-01-31", "NVDA"])
    assert b.returns.loc["2026-02-02", "NVDA"] == pytest.approx(-0.02)
    assert b.period_end.loc["2026-01-31"] == pd.Timestamp("2026-02-01", tz="UTC")


def test_log_returns_on_session_grid_sum_to_total_move():
    cr = _hourly("2024-03-20", "2024-04-10", cols=("BTC", "TAO"))
    sess = nyse_sessions("2024-03-20", "2024-04-09")
    eq = pd.DataFrame({"NVDA": np.linspace(100, 120, len(sess))}, index=sess.index)
    a = align_returns(cr, eq, how="equity_close", kind="log")
    first, last = sess["close_ts"].iloc[0], sess["close_ts"].iloc[-1]
    p0 = cr.loc[first - pd.Timedelta("1h"), "BTC"]
    p1 = cr.loc[last - pd.Timedelta("1h"), "BTC"]
    assert a.returns["BTC"].sum() == pytest.approx(np.log(p1 / p0))  # nothing lost over Good Friday / weekends
    assert a.returns["NVDA"].sum() == pytest.approx(np.log(120 / 100))


def test_daily_crypto_on_session_grid_uses_following_utc_close():
    idx = pd.date_range("2024-03-27", "2024-04-03", freq="D", tz="UTC")
    cr = pd.DataFrame({"BTC": np.arange(len(idx), dtype=float) + 10}, index=idx)
    eq = pd.DataFrame({"NVDA": [1.0, 1.0, 1.0]}, index=pd.to_datetime(["2024-03-27", "2024-03-28", "2024-04-01"]))
    a = align_returns(cr, eq, kind="simple")
    # bar 03-28 (value 11) closes 03-29 00:00; bar 04-01 (value 15) -> 15/11 - 1 over the Easter break
    assert a.returns.loc["2024-04-01", "BTC"] == pytest.approx(15 / 11 - 1)
    assert "daily bars" in a.alignment


def test_equity_index_given_as_utc_session_open_timestamps():
    cr = _hourly("2024-11-26", "2024-12-03")
    sess = nyse_sessions("2024-11-26", "2024-12-02")
    eq = pd.DataFrame({"AMD": [1.0, 2.0, 3.0, 4.0]}, index=sess["open_ts"].to_numpy())
    a = align_returns(cr, eq, kind="simple")
    assert list(a.returns.index.strftime("%Y-%m-%d")) == ["2024-11-27", "2024-11-29", "2024-12-02"]


def test_errors_name_the_problem():
    cr = _hourly("2024-11-26", "2024-11-28")
    eq = pd.DataFrame({"AMD": [1.0]}, index=pd.to_datetime(["2024-11-28"]))  # Thanksgiving: no session
    with pytest.raises(DataError, match="non-NYSE-session"):
        align_returns(cr, eq)
    with pytest.raises(DataError, match="how="):
        align_returns(cr, eq, how="weekly")
    with pytest.raises(DataError, match="naive"):
        window_24h("2026-02-05 12:00")


def test_windows():
    w = trading_day_window("2024-04-01", 5)  # Easter Monday; Good Friday skipped
    assert list(w.sessions.strftime("%m-%d")) == ["03-25", "03-26", "03-27", "03-28", "04-01"]
    assert w.start == pd.Timestamp("2024-03-25 13:30", tz="UTC") and w.end == pd.Timestamp("2024-04-01 20:00", tz="UTC")
    assert trading_day_window("2024-03-30", 1).sessions[0] == pd.Timestamp("2024-03-28")  # Saturday -> Thursday
    w24 = window_24h("2026-02-05T21:00Z")
    assert w24.end - w24.start == pd.Timedelta("24h")
    c = calendar_day_window("2026-02-05", 3)
    assert (c.start, c.end) == (pd.Timestamp("2026-02-03", tz="UTC"), pd.Timestamp("2026-02-06", tz="UTC"))
    bars = _hourly("2026-02-02", "2026-02-07")
    assert len(c.select(bars)) == 72
