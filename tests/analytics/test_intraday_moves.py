"""The vectorised intraday readings against the one-instant functions of analytics.measures (the obvious path),
evaluated at every hour and every UTC day of hourly bars with gaps; plus one hand-computed case."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics import measures as M
from selloff.analytics.frames import pivot_ts
from selloff.analytics.intraday_moves import intraday_low_changes, rolling_24h_changes, worst_moves

T0 = pd.Timestamp("2025-06-01", tz="UTC")


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    """Hourly bars of two assets over 54 hours; A misses one hour (stale for 1 h), B misses three (then no price)."""
    rng = np.random.default_rng(3)  # 54 hours: days 1-2 whole, day 3 partial
    parts = []
    for asset, holes in (("A", [30]), ("B", [40, 41, 42])):
        ts = pd.date_range(T0, periods=54, freq="1h")
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, 54)))
        f = pd.DataFrame({"asset": asset, "interval": "1h", "ts": ts, "source": "binance", "close": close,
                          "low": close * np.exp(-np.abs(rng.normal(0, 0.01, 54)))})
        parts.append(f.drop(index=holes))
    return pd.concat(parts, ignore_index=True)


def test_rolling_24h_matches_measures_at_every_hour(bars):
    got = rolling_24h_changes(pivot_ts(bars, "close"))
    n = 0
    for asset in ("A", "B"):
        one = bars[bars["asset"] == asset]
        for t in got.index:
            ref = M.rolling_24h_change(one, t).value
            v = got.loc[t, asset]
            if ref is None:
                assert np.isnan(v), (asset, t)
            else:
                n += 1
                assert v == pytest.approx(ref, rel=1e-12), (asset, t)
    assert n > 40  # most hours have a reading; the gaps leave some without


def test_intraday_low_matches_measures_every_day(bars):
    wide = pivot_ts(bars, "close")
    got = intraday_low_changes(wide, pivot_ts(bars, "low"))
    assert list(got.index) == list(pd.date_range(T0, periods=3, freq="D"))
    for asset in ("A", "B"):
        one = bars[bars["asset"] == asset]
        for d in got.index:
            ref = M.intraday_low_change(one, d.date()).value
            assert (np.isnan(got.loc[d, asset]) if ref is None else got.loc[d, asset] == pytest.approx(ref, rel=1e-12))


def test_worst_moves_by_hand():
    # closes 100 for a day, then 90 at the bar opening 24:00 (closing 01:00 on day 2), then 95: worst 24 h move
    # ends 01:00 on day 2 at 90/100 - 1 = -10 %; the lowest low, 80, is in day 2 against P(day 2 00:00) = 100: -20 %.
    ts = pd.date_range(T0, periods=30, freq="1h")
    close = pd.Series(100.0, index=ts)
    close.iloc[24], close.iloc[25:] = 90.0, 95.0
    low = close.copy()
    low.iloc[26] = 80.0
    w = worst_moves(close.to_frame("X"), low.to_frame("X"))
    assert w.loc["X", "worst_24h_pct"] == pytest.approx(-10.0)
    assert w.loc["X", "worst_24h_end"] == T0 + pd.Timedelta("25h")
    assert w.loc["X", "intraday_low_pct"] == pytest.approx(-20.0)
    assert w.loc["X", "intraday_low_day"] == T0 + pd.Timedelta("1D")


def test_worst_moves_without_a_reading():
    ts = pd.date_range(T0, periods=5, freq="1h")
    w = worst_moves(pd.DataFrame({"X": 1.0}, index=ts), pd.DataFrame({"X": 1.0}, index=ts))
    assert np.isnan(w.loc["X", "worst_24h_pct"]) and pd.isna(w.loc["X", "worst_24h_end"])
    assert np.isnan(w.loc["X", "intraday_low_pct"])  # no close at the first day's 00:00 (the first bar closes 01:00)
