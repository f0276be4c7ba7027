"""The one liquidation rule: totals, daily and hourly sums agree with hand arithmetic and with each other."""
import numpy as np
import pandas as pd
import pytest

from selloff.analytics.liquidations import daily_liquidations, hourly_liquidations, liquidation_total, usable_rows

T = pd.Timestamp("2026-02-06", tz="UTC")


def _frame(rows):
    d = pd.DataFrame(rows, columns=["asset", "interval", "ts", "venue", "liq_long_usd", "liq_short_usd", "funding_rate"])
    d["source"], d["coverage"] = "test", None
    return d


def test_daily_liquidations_sums_long_and_short_per_utc_day():
    ts = pd.to_datetime(["2026-02-05 23:00", "2026-02-06 00:00", "2026-02-06 13:00"]).tz_localize("UTC")
    d = _frame([("BTC", "1h", t, "binance", lo, sh, None) for t, lo, sh in zip(ts, [1.0, 2.0, 3.0], [0.5, np.nan, 1.0])])
    s = daily_liquidations(d)
    assert s.loc[pd.Timestamp("2026-02-05")] == 1.5 and s.loc[pd.Timestamp("2026-02-06")] == 6.0


def test_rule_funding_rows_finest_interval_and_aggregate():
    d = _frame([
        ("BTC", "8h", T, "binance", None, None, 0.0001),          # funding row: no liquidation data, not a zero
        ("BTC", "1h", T, "binance", 10.0, 1.0, None),
        ("BTC", "1h", T + pd.Timedelta("1h"), "binance", 20.0, 2.0, None),
        ("BTC", "1d", T, "binance", 33.0, 3.0, None),             # the daily sum of the same venue: not added again
        ("ETH", "1d", T, "aggregate", 7.0, 1.0, None),            # aggregate wins over the venue for ETH
        ("ETH", "1h", T, "okx", 100.0, 100.0, None),
    ])
    u = usable_rows(d)
    assert sorted(zip(u["asset"], u["interval"], u["venue"])) == [("BTC", "1h", "binance"), ("BTC", "1h", "binance"),
                                                                  ("ETH", "1d", "aggregate")]
    lt = liquidation_total(d, T, T + pd.Timedelta("1D"))
    assert lt.total_usd == pytest.approx(10 + 1 + 20 + 2 + 7 + 1) and lt.long_usd == pytest.approx(37.0)
    assert daily_liquidations(d).loc[pd.Timestamp("2026-02-06")] == pytest.approx(lt.total_usd)
    h = hourly_liquidations(d)
    assert h["liq_long_usd"].tolist() == [10.0, 20.0]


def test_empty_and_window_edges():
    assert liquidation_total(_frame([]), T, T + pd.Timedelta("1D")).total_usd is None
    d = _frame([("BTC", "1h", T + pd.Timedelta("23h"), "binance", 1.0, 0.0, None)])
    assert liquidation_total(d, T, T + pd.Timedelta("1D")).total_usd == 1.0
    assert liquidation_total(d, T, T + pd.Timedelta("23h30min")).total_usd is None  # the hour ends after the window


def test_rule_is_applied_per_day_so_history_is_kept():
    """Hourly rows on one day must not drop the daily rows of the other days (found in review)."""
    days = pd.date_range("2026-01-01", periods=10, freq="D", tz="UTC")
    rows = [("BTC", "1d", t, "gate", 100.0, 0.0, None) for t in days]
    rows += [("BTC", "1h", pd.Timestamp("2026-01-10", tz="UTC") + pd.Timedelta(hours=h), "gate", 1.0, 0.0, None) for h in range(24)]
    d = _frame(rows)
    daily = daily_liquidations(d)
    assert daily.loc[pd.Timestamp("2026-01-05")] == 100.0 and daily.loc[pd.Timestamp("2026-01-10")] == 24.0
    for t in days:
        assert liquidation_total(d, t, t + pd.Timedelta("1D")).total_usd == daily.loc[t.tz_localize(None)]
