"""Liquidation breakdowns, OI share, largest hours, before/during and the positioning regime on hand-made rows."""
import numpy as np
import pandas as pd
import pytest

from selloff.analytics.liquidations import (RegimeParams, before_during, daily_open_interest, largest_hours,
                                            liquidation_breakdown, liquidation_total, oi_share, positioning_regime)
from selloff.errors import ConfigError

T = pd.Timestamp("2026-02-06", tz="UTC")
H = pd.Timedelta("1h")
STREAM = "partial: binance forceOrder stream, 1 event/symbol/s — undercount"
COLS = ["asset", "interval", "ts", "venue", "liq_long_usd", "liq_short_usd", "open_interest_usd", "funding_rate", "coverage"]


def _frame(rows):
    d = pd.DataFrame(rows, columns=COLS)
    d["source"] = "test"
    return d


@pytest.fixture(scope="module")
def rows():
    return _frame([
        ("BTC", "1h", T, "binance", 10.0, 1.0, None, None, STREAM),
        ("BTC", "1h", T + H, "binance", 20.0, np.nan, None, None, STREAM),
        ("BTC", "1h", T, "bybit", 5.0, 2.0, None, None, "bybit public liquidation history"),
        ("BTC", "1d", T, "okx", 7.0, 3.0, None, None, None),                  # a daily row: no hour of its own
        ("BTC", "1h", T + pd.Timedelta(days=1), "binance", 100.0, 100.0, None, None, STREAM),  # next day
        ("ETH", "1h", T + 2 * H, "aggregate", 4.0, 6.0, None, None, "coinglass aggregate of Binance, OKX"),
        ("ETH", "1h", T + 2 * H, "okx", 50.0, 50.0, None, None, None),        # dropped: ETH has an aggregate that day
    ])


def test_by_venue_and_side_with_coverage(rows):
    b = liquidation_breakdown(rows, ("asset", "venue", "side"), T, T + pd.Timedelta(days=1))
    got = {(r.asset, r.venue, r.side): (r.liq_usd, r.partial) for r in b.itertuples()}
    assert got == {("BTC", "binance", "long"): (30.0, True), ("BTC", "binance", "short"): (1.0, True),
                   ("BTC", "bybit", "long"): (5.0, False), ("BTC", "bybit", "short"): (2.0, False),
                   ("BTC", "okx", "long"): (7.0, False), ("BTC", "okx", "short"): (3.0, False),
                   ("ETH", "aggregate", "long"): (4.0, False), ("ETH", "aggregate", "short"): (6.0, False)}
    # the breakdown adds up to the one total of the same window
    total = liquidation_total(rows, T, T + pd.Timedelta(days=1))
    assert b["liq_usd"].sum() == pytest.approx(total.total_usd) == 30 + 1 + 5 + 2 + 7 + 3 + 4 + 6
    assert total.partial


def test_by_asset_and_day_carries_partial_only_where_a_feed_undercounts(rows):
    b = liquidation_breakdown(rows, ("asset", "day"))
    got = {(r.asset, str(r.day.date())): (r.liq_usd, r.partial, r.n_rows) for r in b.itertuples()}
    assert got == {("BTC", "2026-02-06"): (48.0, True, 4), ("BTC", "2026-02-07"): (200.0, True, 1),
                   ("ETH", "2026-02-06"): (10.0, False, 1)}
    assert "undercount" in b.loc[0, "coverage"]


def test_by_hour_leaves_daily_rows_out(rows):
    b = liquidation_breakdown(rows, ("hour", "side"), T, T + pd.Timedelta(days=1))
    got = {(r.hour.hour, r.side): r.liq_usd for r in b.itertuples()}
    assert got == {(0, "long"): 15.0, (0, "short"): 3.0, (1, "long"): 20.0, (2, "long"): 4.0, (2, "short"): 6.0}


def test_bad_keys():
    with pytest.raises(ConfigError, match="day or hour"):
        liquidation_breakdown(_frame([]), ("day", "hour"))
    with pytest.raises(ConfigError, match="choose from"):
        liquidation_breakdown(_frame([]), ("exchange",))


def test_largest_hours_with_the_same_hours_move(rows):
    bars = pd.DataFrame({"asset": ["BTC", "BTC"], "ts": [T, T + H], "open": [100.0, 98.0], "close": [98.0, 93.1]})
    top = largest_hours(rows, bars, 2, T, T + pd.Timedelta(days=1))
    assert top["hour"].tolist() == [T + H, T] and top["liq_usd"].tolist() == [20.0, 18.0]
    assert top["move_pct"].tolist() == pytest.approx([-5.0, -2.0])
    assert top["partial"].tolist() == [True, True]


def test_oi_share_and_before_during():
    d = _frame([
        ("BTC", "1d", T - pd.Timedelta(days=2), "aggregate", None, None, 1000.0, 0.0001, None),
        ("BTC", "1d", T - pd.Timedelta(days=1), "aggregate", None, None, 1200.0, 0.0003, None),
        ("BTC", "1h", T, "aggregate", 30.0, 6.0, None, None, None),
        ("BTC", "1h", T + H, "aggregate", None, None, 900.0, -0.0002, None),
        ("BTC", "8h", T + 8 * H, "binance", None, None, 5.0, 0.5, None),   # aggregate that day: ignored
    ])
    s = oi_share(d)
    assert s.loc[0, "oi_prev_usd"] == 1200.0 and s.loc[0, "share_pct"] == pytest.approx(3.0)
    bd = before_during(d, T, T + pd.Timedelta(days=1), before_days=2).iloc[0]
    assert bd["funding_before"] == pytest.approx(0.0002) and bd["funding_during"] == pytest.approx(-0.0002)
    assert bd["oi_before_usd"] == 1200.0 and bd["oi_end_usd"] == 900.0 and bd["oi_change_pct"] == pytest.approx(-25.0)


def test_daily_open_interest_sums_venues_without_an_aggregate():
    d = _frame([("SOL", "1h", T, "binance", None, None, 10.0, None, None),
                ("SOL", "1h", T + H, "binance", None, None, 12.0, None, None),   # the day's last value
                ("SOL", "1h", T, "bybit", None, None, 5.0, None, None)])
    assert daily_open_interest(d)["open_interest_usd"].tolist() == [17.0]


def test_positioning_regime_four_quadrants_and_flat():
    days = pd.date_range("2026-01-01", periods=6)
    close = pd.DataFrame({"BTC": [100.0, 105.0, 110.0, 104.5, 99.0, 99.1]}, index=days)
    oi = pd.DataFrame({"asset": "BTC", "date": days, "open_interest_usd": [100.0, 110.0, 99.0, 108.9, 98.0, 120.0]})
    r = positioning_regime(close, oi, RegimeParams(min_move_pct=0.5, min_oi_change_pct=1.0))
    # +5 %/+10 %: new longs; +4.8 %/−10 %: short covering; −5 %/+10 %: new shorts; −5.3 %/−10 %: long flush;
    # +0.1 %/+22 %: flat (the move is below 0.5 %)
    assert r["regime"].tolist() == ["new longs", "short covering", "new shorts", "long flush", "flat"]
    assert r["ret_pct"].iloc[0] == pytest.approx(5.0) and r["oi_change_pct"].iloc[1] == pytest.approx(-10.0)


def test_regime_leaves_a_gap_instead_of_a_two_day_change():
    days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04"])
    close = pd.DataFrame({"BTC": [100.0, 90.0, 120.0]}, index=days)
    oi = pd.DataFrame({"asset": "BTC", "date": days, "open_interest_usd": [100.0, 80.0, 150.0]})
    r = positioning_regime(close, oi)
    assert r["date"].tolist() == [pd.Timestamp("2026-01-02")] and r["regime"].tolist() == ["long flush"]


def test_bad_regime_params():
    with pytest.raises(ConfigError, match="regime_min_move_pct"):
        RegimeParams(min_move_pct=-1.0)
