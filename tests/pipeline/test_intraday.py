"""Hourly bars for a sector from minute bars (pipeline.intraday): native hours win, partial hours are dropped, the
resampled hours equal a pandas resample of the minutes, and the sector readings match hand computations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.errors import ConfigError, DataError
from selloff.pipeline.intraday import (IntradayParams, load_hourly_bars, load_sector_hourly, scan_intraday,
                                      sector_intraday)
from selloff.store import Store
from selloff.universe import Universe
from selloff.universe.model import Sector

T0 = pd.Timestamp("2025-07-01", tz="UTC")


def _minutes(asset: str, source: str, hours: int, seed: int, hole: tuple[int, int] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range(T0, periods=hours * 60, freq="1min")
    if hole:
        ts = ts[~((ts >= T0 + pd.Timedelta(minutes=hole[0])) & (ts < T0 + pd.Timedelta(minutes=hole[1])))]
    close = 10 * np.exp(np.cumsum(rng.normal(0, 2e-3, len(ts))))
    return pd.DataFrame({"asset": asset, "interval": "1m", "ts": ts, "source": source, "open": close,
                         "high": close * 1.001, "low": close * 0.998, "close": close, "volume": 1.0})


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("intraday") / "i.duckdb")
    native = pd.DataFrame({"asset": "NAT", "interval": "1h", "ts": pd.date_range(T0, periods=30, freq="1h"),
                           "source": "binance", "open": 5.0, "high": 5.0, "low": 5.0, "close": 5.0, "volume": 1.0})
    s.upsert_many("bars", [native, _minutes("NAT", "binance", 30, 1), _minutes("MIN", "binance", 30, 2, (125, 135)),
                           _minutes("MIN", "simulated", 30, 3), _minutes("TWO", "bybit", 30, 4)])
    yield s
    s.close()


def test_native_hours_win_and_partial_hours_are_dropped(store):
    h = load_hourly_bars(store, ["NAT", "MIN", "TWO"], params=IntradayParams(60, 1.0), priority=["binance", "bybit"])
    by = h.groupby("asset")
    assert by["origin"].first().to_dict() == {"MIN": "1m", "NAT": "1h", "TWO": "1m"}
    assert by["source"].first().to_dict() == {"MIN": "binance", "NAT": "binance", "TWO": "bybit"}  # never simulated
    assert (h.loc[h["asset"] == "NAT", "close"] == 5.0).all()
    mins = h.loc[h["asset"] == "MIN", "ts"]
    assert T0 + pd.Timedelta("2h") not in set(mins) and len(mins) == 29   # 02:00 lost 10 minutes
    loose = load_hourly_bars(store, ["MIN"], params=IntradayParams(45, 1.0), priority=["binance"])
    assert len(loose) == 30 and loose.set_index("ts").loc[T0 + pd.Timedelta("2h"), "minutes"] == 50


def test_resampled_hours_equal_pandas_resample(store):
    m = _minutes("TWO", "bybit", 30, 4).set_index("ts").resample("1h")
    ref = pd.DataFrame({"open": m["open"].first(), "high": m["high"].max(), "low": m["low"].min(),
                        "close": m["close"].last()})
    start, end = T0 + pd.Timedelta("3h"), T0 + pd.Timedelta("20h")
    h = load_hourly_bars(store, ["TWO"], start, "2025-07-01 20:00", params=IntradayParams(60, 1.0)).set_index("ts")
    ref = ref.loc[start:end]
    assert list(h.index) == list(ref.index)  # the hour opening at ``end`` is whole, none after it
    np.testing.assert_allclose(h[["open", "high", "low", "close"]].to_numpy(), ref.to_numpy(), rtol=1e-12)


def test_no_bars_is_a_data_error(store):
    with pytest.raises(DataError, match="no hourly or minute bars for XYZ"):
        load_hourly_bars(store, ["XYZ"], params=IntradayParams())


def test_bad_params():
    with pytest.raises(ConfigError, match="min_minutes_per_hour"):
        IntradayParams(min_minutes_per_hour=0)


def test_sector_by_universe_id(store):
    u = Universe(assets={}, sectors={"pair": Sector("pair", "Pair", ("NAT", "TWO"))}, edges=())
    h = load_sector_hourly(store, u, "Pair", params=IntradayParams())
    assert sorted(h["asset"].unique()) == ["NAT", "TWO"]


def test_sector_readings_by_hand():
    # two members from the bar opening 23:00 the day before T0 to the one opening 01:00 on T0 + 1 (27 hours):
    # A at 100, falling to 80 from the bar opening 13:00 on T0 (closing 14:00) on; B flat at 50.
    # Equal-weighted: -10 % into 14:00, flat after: the index is 1 until 13:00, 0.9 from 14:00.
    # Rolling 24 h of the index exists from 00:00 on T0 + 1 (24 h after its first close): 90 / 100 - 1 = -10 %.
    # A's intraday low on T0: 80 against the 00:00 close 100 = -20 %; on T0 + 1: 80 / 80 - 1 = 0 %.
    ts = pd.date_range(T0 - pd.Timedelta("1h"), periods=27, freq="1h")
    a = pd.DataFrame({"asset": "A", "interval": "1h", "ts": ts, "source": "x", "close": 100.0, "low": 100.0,
                      "origin": "1m"})
    a.loc[a["ts"] >= T0 + pd.Timedelta("13h"), ["close", "low"]] = 80.0
    b = a.assign(asset="B", close=50.0, low=50.0)
    r = sector_intraday(pd.concat([a, b], ignore_index=True), "pair", IntradayParams())
    assert r.index.index[0] == T0 and r.index.loc[T0 + pd.Timedelta("13h")] == pytest.approx(1.0)
    assert r.index.loc[T0 + pd.Timedelta("14h")] == pytest.approx(0.9) and r.index.iloc[-1] == pytest.approx(0.9)
    assert r.worst_24h_pct == pytest.approx(-10.0) and r.worst_24h_end == T0 + pd.Timedelta("24h")
    assert r.moves.loc["A", "intraday_low_pct"] == pytest.approx(-20.0) and r.moves.loc["A", "intraday_low_day"] == T0
    assert r.moves.loc["B", "intraday_low_pct"] == pytest.approx(0.0)
    assert r.to_dict()["members"][0]["asset"] == "A" and r.to_frame().loc["A", "origin"] == "1m"


def test_scan_reads_once_and_splits_by_sector(store):
    p = IntradayParams()
    got = scan_intraday(store, {"a": ["NAT", "TWO"], "b": ["MIN"], "none": ["XYZ"]}, params=p, priority=["binance"])
    assert sorted(got) == ["a", "b"]  # a sector without any bars is left out
    for name, members in (("a", ["NAT", "TWO"]), ("b", ["MIN"])):
        alone = sector_intraday(load_hourly_bars(store, members, params=p, priority=["binance"]), name, p)
        pd.testing.assert_series_equal(got[name].index, alone.index)
        pd.testing.assert_frame_equal(got[name].moves, alone.moves)
    assert got["a"].origins == {"NAT": "1h", "TWO": "1m"}
