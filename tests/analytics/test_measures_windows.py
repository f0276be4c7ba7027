"""The forensic catalogue (analytics/measures/windows.py): every standard reading against hand arithmetic on small
hand-built bars (crypto daily + hourly, NYSE sessions, provider snapshots)."""
from __future__ import annotations

import pandas as pd
import pytest

from selloff.analytics import measures as M
from tests.check.frames import tao as hourly_tao

# crypto daily bars 1 Jan .. 10 Feb 2026 (bar ts = 00:00 UTC, close at 00:00 UTC next day): flat 100 except below
_OVR = {"2026-01-28": (120, 121, 119), "2026-01-29": (130, 135, 128), "2026-01-30": (125, 126, 124),
        "2026-01-31": (124, 126, 123), "2026-02-01": (125, 126, 124), "2026-02-02": (110, 126, 100),
        "2026-02-03": (105, 111, 90), "2026-02-04": (108, 112, 104)}


def _crypto_daily() -> pd.DataFrame:
    rows = []
    for ts in pd.date_range("2026-01-01", "2026-02-10", freq="D", tz="UTC"):
        c, h, lo = _OVR.get(ts.strftime("%Y-%m-%d"), (100, 101, 99))
        rows.append({"asset": "TAO", "interval": "1d", "ts": ts, "source": "binance", "open": c, "high": h,
                     "low": lo, "close": float(c)})
    return pd.DataFrame(rows)


def _equity() -> pd.DataFrame:
    closes = {"2026-01-26": 100, "2026-01-27": 101, "2026-01-28": 102, "2026-01-29": 100, "2026-01-30": 95,
              "2026-02-02": 90, "2026-02-03": 92, "2026-02-04": 88, "2026-02-05": 85, "2026-02-06": 87}
    # session bars open 09:30 New York = 14:30 UTC in winter
    return pd.DataFrame([{"asset": "AMD", "interval": "1d", "ts": pd.Timestamp(f"{d} 14:30", tz="UTC"),
                          "source": "yfinance", "open": c, "high": c + 2, "low": c - 3, "close": float(c)}
                         for d, c in closes.items()])


def _snapshots() -> pd.DataFrame:
    days = pd.date_range("2026-01-20 10:00", "2026-02-06 10:00", freq="D", tz="UTC")
    return pd.DataFrame({"asset": "TAO", "interval": "snapshot", "ts": days, "source": "coingecko-snapshot",
                         "close": [200.0 - 5 * i for i in range(len(days))]})


def _by_name(rs):
    return {r.name: r for r in rs}


def _pct(a, b):
    return 100 * (b / a - 1)


@pytest.fixture(scope="module")
def crypto():
    return _by_name(M.crypto_catalogue(_crypto_daily(), "2026-02-04", snapshots=_snapshots()))


def test_crypto_calendar_week_month_windows(crypto):
    r = crypto
    assert r["utc_day"].value == pytest.approx(_pct(105, 108))              # close 3 Feb -> close 4 Feb
    assert r["utc_day_prev"].value == pytest.approx(_pct(110, 105))
    # 7 days to 4 Feb: P(29 Jan 00:00) = close of the 28 Jan bar = 120 -> P(5 Feb 00:00) = 108
    assert r["calendar_days_7"].value == pytest.approx(-10.0) and r["calendar_days_7"].key == "7d:D"
    # 7 days to 3 Feb: close 27 Jan (100) -> close 3 Feb (105)
    assert r["calendar_days_7_prev"].value == pytest.approx(5.0) and r["calendar_days_7_prev"].key == "7d:D-1"
    assert r["calendar_days_30"].value == pytest.approx(8.0)                # close 5 Jan (100) -> 108
    # Wednesday 4 Feb: the week opened Monday 2 Feb 00:00 = close of 1 Feb (125); the month on 1 Feb = close 31 Jan
    assert r["week_open"].value == pytest.approx(_pct(125, 108))
    assert r["month_open"].value == pytest.approx(_pct(124, 108))


def test_crypto_lows_peak_to_trough_and_recent_high(crypto):
    r = crypto
    assert r["intraday_low"].value == pytest.approx(_pct(105, 104))
    # previous close 2 Feb (110) -> lowest low of 3-4 Feb (90)
    assert r["low_2d"].value == pytest.approx(_pct(110, 90))
    assert r["low_7d"].value == pytest.approx(-25.0)                         # 120 -> 90
    # peak 135 (high of 29 Jan) to the later trough 90 (low of 3 Feb)
    pt = r["peak_trough_7d"]
    assert pt.value == pytest.approx(_pct(135, 90)) and pt.p0 == 135 and pt.p1 == 90
    assert r["since_high_30d"].value == pytest.approx(-20.0)                 # high 135 -> close 108


def test_peak_to_trough_never_pairs_a_bars_own_high_and_low():
    b = _crypto_daily()
    pts = M.series_points(b[b["ts"] == pd.Timestamp("2026-02-02", tz="UTC")])
    t0, t1 = pd.Timestamp("2026-02-02", tz="UTC"), pd.Timestamp("2026-02-03", tz="UTC")
    # one bar (high 126, low 100) and no price before it in these points: nothing to measure from
    assert M.peak_to_trough(pts, t0, t1, name="x", key="k", description="").value is None
    pts = M.series_points(b)
    r = M.peak_to_trough(pts, t0, t1, name="x", key="k", description="")
    assert r.value == pytest.approx(_pct(125, 100))      # from the previous close 125, not from the bar's own 126


def test_snapshot_windows(crypto):
    # snapshots 200, 195, ... at 10:00: 4 Feb is day 15 (125), 28 Jan day 8 (160), 3 Feb 130, 27 Jan 165
    assert crypto["snapshot_7d"].value == pytest.approx(_pct(160, 125)) and crypto["snapshot_7d"].key == "7d:D"
    assert crypto["snapshot_7d_prev"].value == pytest.approx(_pct(165, 130))
    assert crypto["snapshot_30d"].value is None            # no snapshot 30 days back: missing, not guessed


def test_rolling_24h_at_each_hour():
    rs = _by_name(M.crypto_catalogue(hourly_tao(), "2026-02-06", days=(7,), low_days=(2,)))
    # bar 11:00 closes at 12:00: 160 on 6 Feb against 200 on 5 Feb; at 10:00: 170 against 200
    assert rs["rolling_24h_to_12h"].value == pytest.approx(-20.0)
    assert rs["rolling_24h_to_10h"].value == pytest.approx(-15.0)
    assert rs["rolling_24h_to_10h"].key == "24h:10"
    assert sum(n.startswith("rolling_24h_to_") for n in rs) == 24


def test_equity_both_conventions_and_calendar_windows():
    r = _by_name(M.equity_catalogue(_equity(), "2026-02-06", n=5))
    assert r["session"].value == pytest.approx(_pct(85, 87))
    assert r["session_prev"].value == pytest.approx(_pct(88, 85))
    assert r["trading_days_5"].value == pytest.approx(_pct(95, 87))        # close 30 Jan -> close 6 Feb
    assert r["trading_days_5_prev"].value == pytest.approx(-15.0)          # close 29 Jan (100) -> close 5 Feb (85)
    assert r["chart_days_5"].value == pytest.approx(_pct(90, 87))          # 5 closes shown: 2 Feb .. 6 Feb
    assert r["chart_days_5_prev"].value == pytest.approx(_pct(95, 85))     # 30 Jan .. 5 Feb
    assert r["chart_days_5_prev"].key == "5c:D-1" and r["trading_days_5_prev"].key == "5s:D-1"
    # calendar week to Fri 6 Feb: the last close on or before 31 Jan 00:00 is Fri 30 Jan
    assert r["calendar_days_7"].value == pytest.approx(_pct(95, 87))
    assert r["week_open"].value == pytest.approx(_pct(95, 87))              # Friday's close before Monday 2 Feb
    assert r["intraday_low"].value == pytest.approx(_pct(85, 84))           # low = close - 3
    assert r["low_7d"].value == pytest.approx(_pct(95, 82))                 # lowest low 5 Feb (85 - 3)


def test_closest_level_and_lowest_since():
    pts = M.series_points(_crypto_daily())
    t0, t1 = pd.Timestamp("2026-02-03", tz="UTC"), pd.Timestamp("2026-02-05", tz="UTC")
    r = M.closest_level(pts, t0, t1, 107.0)          # closes at 3, 4, 5 Feb 00:00: 110, 105, 108
    assert r.value == 108.0 and r.end == t1
    r = M.closest_level(pts, t0, t1, 91.0, lows=True)  # with lows: the 90 of 3 Feb (closing 4 Feb 00:00)
    assert r.value == 90.0
    # close of 3 Feb (105) is the lowest close since 20 Jan? No: closes of 100 before 28 Jan
    r = M.lowest_since(pts, pd.Timestamp("2026-01-20", tz="UTC"), pd.Timestamp("2026-02-04", tz="UTC"))
    assert r.value == pytest.approx(5.0) and r.p0 == 100.0
    # since 28 Jan the lowest close before was 110 (2 Feb): 105 is below it
    r = M.lowest_since(pts, pd.Timestamp("2026-01-29", tz="UTC"), pd.Timestamp("2026-02-04", tz="UTC"))
    assert r.value == pytest.approx(_pct(110, 105)) and r.coverage is None
    r = M.lowest_since(pts, pd.Timestamp("2025-06-01", tz="UTC"), pd.Timestamp("2026-02-04", tz="UTC"))
    assert r.coverage.startswith("partial")          # the bars start in January: history too short
