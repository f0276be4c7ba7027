"""Store.read_resampled against an independent reference: pandas ``resample`` of the same minute rows.

The minute bars have a gap (a whole hour missing), a partial hour (minutes missing inside it), a null open in the
first minute of an hour, two sources, native hourly bars that must not be mixed in, and a window that starts and
ends inside an hour. pandas' ``first``/``max``/``min``/``last``/``sum``/``count`` per UTC-aligned bucket is the
reference; buckets without a bar are dropped (the store never invents one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.errors import StoreError
from selloff.store import Store

T0 = pd.Timestamp("2025-03-01 22:00", tz="UTC")  # three UTC hours before midnight, so days split the data


def _minutes() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    parts = []
    for asset, source in (("TAO", "binance"), ("TAO", "bybit"), ("NEAR", "binance")):
        ts = pd.date_range(T0, periods=6 * 60, freq="1min")
        ts = ts[~((ts >= T0 + pd.Timedelta("2h")) & (ts < T0 + pd.Timedelta("3h")))]           # gap: 00:00 hour
        ts = ts[~((ts >= T0 + pd.Timedelta("4h10min")) & (ts < T0 + pd.Timedelta("4h35min")))]  # partial hour
        close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, len(ts))))
        df = pd.DataFrame({"asset": asset, "interval": "1m", "ts": ts, "source": source, "open": close * 0.999,
                           "high": close * 1.002, "low": close * 0.997, "close": close,
                           "volume": rng.uniform(0, 5, len(ts))})
        df.loc[df["ts"] == T0 + pd.Timedelta("1h"), "open"] = np.nan  # first open of the 23:00 hour unknown
        parts.append(df)
    native = pd.DataFrame({"asset": "TAO", "interval": "1h", "ts": pd.date_range(T0, periods=3, freq="1h"),
                           "source": "binance", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0})
    return pd.concat(parts + [native], ignore_index=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("resample") / "r.duckdb")
    s.upsert("bars", _minutes())
    yield s
    s.close()


def _reference(rows: pd.DataFrame, freq: str, to: str) -> pd.DataFrame:
    out = []
    for (asset, source), g in rows[rows["interval"] == "1m"].groupby(["asset", "source"]):
        r = g.set_index("ts").resample(freq, origin="start_day" if freq == "1D" else "epoch")  # UTC midnight for days
        f = pd.DataFrame({"open": r["open"].first(), "high": r["high"].max(), "low": r["low"].min(),
                          "close": r["close"].last(), "volume": r["volume"].sum(), "minutes": r["close"].count()})
        f = f[f["minutes"] > 0].reset_index()
        out.append(f.assign(asset=asset, source=source, interval=to))
    ref = pd.concat(out, ignore_index=True)
    return ref[["asset", "interval", "ts", "source", "open", "high", "low", "close", "volume", "minutes"]]


def _same(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    key = ["asset", "source", "ts"]
    got = got.sort_values(key).reset_index(drop=True)
    ref = ref.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[key + ["interval"]].astype({"ts": "datetime64[us, UTC]"}),
                                  ref[key + ["interval"]].astype({"ts": "datetime64[us, UTC]"}),
                                  check_dtype=False)
    for c in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(got[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12, err_msg=c)
    np.testing.assert_array_equal(got["minutes"].to_numpy(), ref["minutes"].to_numpy())


@pytest.mark.parametrize("to,freq", [("1h", "1h"), ("4h", "4h"), ("1d", "1D"), ("15m", "15min")])
def test_matches_pandas_resample(store, to, freq):
    _same(store.read_resampled(to=to), _reference(_minutes(), freq, to))


def test_gap_partial_hour_and_null_open(store):
    h = store.read_resampled(to="1h", assets=["TAO"], sources=["binance"]).set_index("ts")
    assert T0 + pd.Timedelta("2h") not in h.index                    # the missing hour is no bucket
    assert h.loc[T0 + pd.Timedelta("4h"), "minutes"] == 35           # 60 - 25 missing minutes: partial
    assert (h.drop(T0 + pd.Timedelta("4h"))["minutes"] == 60).all()
    rows = _minutes()
    second = rows[(rows["asset"] == "TAO") & (rows["source"] == "binance") & (rows["ts"] == T0 + pd.Timedelta("61min"))]
    assert h.loc[T0 + pd.Timedelta("1h"), "open"] == pytest.approx(float(second["open"].iloc[0]))  # first non-null


def test_days_are_utc_days(store):
    d = store.read_resampled(to="1d", assets=["NEAR"])
    assert list(d["ts"]) == [pd.Timestamp("2025-03-01", tz="UTC"), pd.Timestamp("2025-03-02", tz="UTC")]
    assert list(d["minutes"]) == [120, 6 * 60 - 120 - 60 - 25]       # 22:00-24:00; the rest minus gap and hole


def test_window_edges_give_partial_buckets(store):
    start, end = T0 + pd.Timedelta("20min"), T0 + pd.Timedelta("3h29min")
    got = store.read_resampled(to="1h", assets=["TAO", "NEAR"], start=start, end=end, sources=["binance"])
    rows = _minutes()
    rows = rows[(rows["ts"] >= start) & (rows["ts"] <= end) & (rows["source"] == "binance")]
    _same(got, _reference(rows, "1h", "1h"))
    assert got.groupby("asset")["minutes"].first().eq(40).all() and got.groupby("asset")["minutes"].last().eq(30).all()


def test_native_hourly_bars_resample_to_days(store):
    d = store.read_resampled(interval_from="1h", to="1d", assets=["TAO"], sources=["binance"])
    assert list(d["minutes"]) == [120, 60] and list(d["close"]) == [1.0, 1.0]


@pytest.mark.parametrize("kw,msg", [({"to": "1m", "interval_from": "1h"}, "multiple"),
                                    ({"to": "2h"}, "unknown target interval"),
                                    ({"interval_from": "7m"}, "unknown interval_from"),
                                    ({"table": "market_caps"}, "only bars")])
def test_bad_requests(store, kw, msg):
    with pytest.raises(StoreError, match=msg):
        store.read_resampled(**kw)
