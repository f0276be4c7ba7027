"""Measures on hand-built frames; every expected number is computed by hand in the comments."""
from __future__ import annotations

import pandas as pd
import pytest

from selloff.analytics import measures as M


def _hourly(asset: str, pieces: list[tuple[str, str, float]], lows: dict[str, float] | None = None,
            source: str = "binance") -> pd.DataFrame:
    """Hourly bars: each piece (first open, last open, close) is a run of constant closes."""
    rows = []
    for a, b, px in pieces:
        for ts in pd.date_range(a, b, freq="1h", tz="UTC"):
            rows.append({"asset": asset, "interval": "1h", "ts": ts, "source": source, "open": px, "high": px,
                         "low": px, "close": px})
    df = pd.DataFrame(rows)
    for ts, low in (lows or {}).items():
        df.loc[df["ts"] == pd.Timestamp(ts, tz="UTC"), "low"] = low
    return df


@pytest.fixture
def tao() -> pd.DataFrame:
    # closes: 200 until the bar opening Feb 5 11:00; 180 from 12:00 to Feb 5 23:00; 170 Feb 6 00:00-09:00,
    # 160 from Feb 6 10:00 to 23:00; the Feb 6 10:00 bar dips to a low of 150.
    return _hourly("TAO", [("2026-02-04 00:00", "2026-02-05 11:00", 200.0),
                           ("2026-02-05 12:00", "2026-02-05 23:00", 180.0),
                           ("2026-02-06 00:00", "2026-02-06 09:00", 170.0),
                           ("2026-02-06 10:00", "2026-02-06 23:00", 160.0)],
                   lows={"2026-02-06 10:00": 150.0})


def test_readings_of_one_day_differ_as_computed_by_hand(tao):
    day = M.close_to_close_day(tao, "2026-02-06")
    assert day.p0 == 180.0 and day.p1 == 160.0
    assert day.value == pytest.approx(100 * (160 / 180 - 1))            # -11.11 %
    prev = M.close_to_close_day(tao, "2026-02-05")
    assert prev.value == pytest.approx(-10.0)                            # 200 -> 180
    r24 = M.rolling_24h_change(tao, pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    assert (r24.p0, r24.p1) == (200.0, 160.0)                            # Feb 5 12:00 still 200
    assert r24.value == pytest.approx(-20.0)
    low = M.intraday_low_change(tao, "2026-02-06")
    assert low.value == pytest.approx(100 * (150 / 180 - 1))             # -16.67 %
    assert len({round(r.value, 3) for r in (day, prev, r24, low)}) == 4
    lvl = M.level_at(tao, pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    assert lvl.value == 160.0
    cal = M.calendar_days_change(tao, "2026-02-06", 2)
    assert cal.value == pytest.approx(-20.0)                             # Feb 5 00:00 (200) -> Feb 7 00:00 (160)


def test_daily_crypto_bars_give_the_same_utc_day_close():
    bars = pd.DataFrame({"asset": "TAO", "interval": "1d", "source": "binance",
                         "ts": pd.to_datetime(["2026-02-05", "2026-02-06"], utc=True),
                         "open": [200.0, 180.0], "high": [200.0, 181.0], "low": [179.0, 150.0],
                         "close": [180.0, 160.0]})
    assert M.close_to_close_day(bars, "2026-02-06").value == pytest.approx(-11.1111111)
    assert M.intraday_low_change(bars, "2026-02-06").value == pytest.approx(100 * (150 / 180 - 1))


def test_missing_data_gives_none_with_reason(tao):
    r = M.close_to_close_day(tao, "2026-02-10")
    assert r.value is None and "no bar closing" in r.reason
    r24 = M.rolling_24h_change(tao[tao["ts"] < pd.Timestamp("2026-02-05", tz="UTC")],
                               pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    assert r24.value is None


def _equity(closes: dict[str, float], lows: dict[str, float] | None = None) -> pd.DataFrame:
    # daily equity bars: ts = session open 09:30 New York (14:30 UTC in February)
    ts = [pd.Timestamp(f"{d} 14:30", tz="UTC") for d in closes]
    low = [(lows or {}).get(d, c) for d, c in closes.items()]
    return pd.DataFrame({"asset": "AMD", "interval": "1d", "ts": ts, "source": "yahoo", "open": list(closes.values()),
                         "high": list(closes.values()), "low": low, "close": list(closes.values())})


def test_five_nyse_trading_days_skip_weekend_and_presidents_day():
    # Presidents' Day: Monday 2026-02-16 is an NYSE holiday. 5 trading days ending Fri 2026-02-20 are the
    # returns of 13, 17, 18, 19, 20 Feb, i.e. close of Thu 12 Feb -> close of Fri 20 Feb: 100 -> 90 = -10 %.
    bars = _equity({"2026-02-09": 120.0, "2026-02-10": 110.0, "2026-02-11": 105.0, "2026-02-12": 100.0,
                    "2026-02-13": 99.0, "2026-02-17": 97.0, "2026-02-18": 95.0, "2026-02-19": 93.0,
                    "2026-02-20": 90.0})
    r = M.trading_days_change(bars, "2026-02-20", 5)
    assert r.value == pytest.approx(-10.0)
    assert "2026-02-12" in r.description and "2026-02-20" in r.description
    # ending on Sunday 22 Feb: the last session before is Friday 20 Feb -> same window
    assert M.trading_days_change(bars, "2026-02-22", 5).value == pytest.approx(-10.0)
    # the session after the long weekend compares with Friday's close: 99 -> 97
    s = M.close_to_close_day(bars, "2026-02-17", equity=True)
    assert s.value == pytest.approx(100 * (97 / 99 - 1))
    hol = M.close_to_close_day(bars, "2026-02-16", equity=True)
    assert hol.value is None and "not an NYSE session" in hol.reason


def test_equity_intraday_low_and_level():
    bars = _equity({"2026-02-05": 200.0, "2026-02-06": 190.0}, lows={"2026-02-06": 170.0})
    assert M.intraday_low_change(bars, "2026-02-06", equity=True).value == pytest.approx(-15.0)
    # 2026-02-06 close is 16:00 New York = 21:00 UTC; at 20:00 UTC only the 5 Feb close is known
    assert M.level_at(bars, pd.Timestamp("2026-02-06 20:00", tz="UTC"), equity=True).value == 200.0
    assert M.level_at(bars, pd.Timestamp("2026-02-06 21:00", tz="UTC"), equity=True).value == 190.0


def _caps(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"asset": [r[0] for r in rows], "ts": pd.to_datetime([r[1] for r in rows], utc=True),
                         "source": "coingecko", "market_cap_usd": [r[2] for r in rows]})


def test_sector_cap_change_sums_members_and_reports_missing():
    caps = _caps([("A", "2026-02-05 12:00", 100.0), ("A", "2026-02-06 12:00", 50.0),
                  ("B", "2026-02-05 12:00", 300.0), ("B", "2026-02-06 12:00", 270.0),
                  ("C", "2026-02-06 12:00", 10.0)])  # C has no start snapshot
    r = M.sector_cap_change(caps, ["A", "B", "C", "D"], pd.Timestamp("2026-02-05 12:00", tz="UTC"),
                            pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    # (50 + 270) / (100 + 300) - 1 = -20 %; worst member A -50 %
    assert r.change_pct == pytest.approx(-20.0)
    assert r.members_used == ("A", "B") and r.missing == ("C", "D")
    assert r.worst_member == ("A", pytest.approx(-50.0))
    assert r.change_pct >= r.worst_member[1]  # a cap-weighted sum cannot fall more than its worst member


def test_liquidation_total_prefers_aggregate_and_flags_partial():
    t = pd.Timestamp("2026-02-05", tz="UTC")
    rows = [
        # BTC: aggregate rows (used) and a binance row (ignored, would double count)
        ("BTC", "1h", t + pd.Timedelta("1h"), "aggregate", 100.0, 50.0, None),
        ("BTC", "1h", t + pd.Timedelta("2h"), "aggregate", 200.0, 0.0, None),
        ("BTC", "1h", t + pd.Timedelta("1h"), "binance", 999.0, 999.0, None),
        # ETH: two venues, summed; bybit's feed undercounts
        ("ETH", "1h", t + pd.Timedelta("3h"), "binance", 10.0, 5.0, None),
        ("ETH", "1h", t + pd.Timedelta("3h"), "bybit", 1.0, 2.0, "partial: forceOrder stream — undercount"),
        # outside the window
        ("BTC", "1h", t + pd.Timedelta("1D"), "aggregate", 5000.0, 0.0, None),
    ]
    d = pd.DataFrame(rows, columns=["asset", "interval", "ts", "venue", "liq_long_usd", "liq_short_usd", "coverage"])
    d["source"] = "coinglass"
    lt = M.liquidation_total(d, t, t + pd.Timedelta("1D"))
    assert lt.total_usd == pytest.approx(100 + 50 + 200 + 0 + 10 + 5 + 1 + 2)  # 368
    assert lt.long_usd == pytest.approx(311.0)
    assert lt.partial and lt.assets == ("BTC", "ETH")
    assert M.liquidation_total(d, t, t + pd.Timedelta("1D"), assets=["BTC"]).total_usd == pytest.approx(350.0)


def test_naive_timestamp_is_rejected(tao):
    from selloff.errors import DataError
    with pytest.raises(DataError):
        M.rolling_24h_change(tao, pd.Timestamp("2026-02-06 12:00"))
