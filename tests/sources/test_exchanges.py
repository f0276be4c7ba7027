"""ccxt fetchers with Binance's REST URLs pointed at a loopback server (exchangeInfo, klines, funding, OI)."""
from __future__ import annotations

import pandas as pd
import pytest
from werkzeug import Response

from selloff.errors import SourceError
from selloff.sources import exchanges as ex_mod

NOW = pd.Timestamp("2026-02-06T00:00:00Z")
T0 = int(pd.Timestamp("2026-02-01", tz="UTC").value // 1_000_000)
H = 3_600_000
INFO = {"timezone": "UTC", "serverTime": T0, "rateLimits": [], "exchangeFilters": [], "symbols": [
    {"symbol": "TAOUSDT", "pair": "TAOUSDT", "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
     "onboardDate": 1712131200000, "status": "TRADING", "baseAsset": "TAO", "quoteAsset": "USDT", "marginAsset": "USDT",
     "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
     "filters": [], "orderTypes": ["LIMIT"], "timeInForce": ["GTC"]}]}
CANDLES = [[T0 + i * H, "200", "201", "199", str(200 + i), "10", T0 + (i + 1) * H - 1, "2000", 5, "5", "1000", "0"] for i in range(5)]


def klines(req):
    start, limit = int(req.args["startTime"]), 2  # the server pages two candles at a time
    page = [c for c in CANDLES if c[0] >= start][:limit]
    return Response(__import__("json").dumps(page), 200, content_type="application/json")


@pytest.fixture
def binance(httpserver):
    httpserver.expect_request("/fapi/v1/exchangeInfo").respond_with_json(INFO)
    return ex_mod.make_exchange("binance", rest_base=httpserver.url_for("/").rstrip("/"), market_types=["linear"])


def test_ohlcv_pages_until_the_range_is_covered(httpserver, binance):
    httpserver.expect_request("/fapi/v1/klines").respond_with_handler(klines)
    q = ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2026-02-01", "2026-02-01T03:00Z", "1h", now=NOW)
    bars = ex_mod.transform_ohlcv(ex_mod.extract_ohlcv(binance, q), q)
    # pages stop at the range end; only finished candles are kept: 00:00, 01:00 and 02:00 close by 03:00, while the
    # 03:00 candle opens at the end of the range and would still be trading
    assert list(bars["close"]) == [200.0, 201.0, 202.0]
    assert bars["ts"].iloc[0] == pd.Timestamp("2026-02-01", tz="UTC") and str(bars["ts"].dt.tz) == "UTC"
    assert len([r for r in httpserver.log if r[0].path == "/fapi/v1/klines"]) == 2


def test_open_candle_is_not_stored_as_a_close(httpserver, binance):
    """A fetch up to 'now' in the middle of an hour must not store the still-open candle (it would never be
    refreshed: the planner sees its timestamp as present)."""
    httpserver.expect_request("/fapi/v1/klines").respond_with_handler(klines)
    mid = pd.Timestamp("2026-02-01T02:30Z")
    q = ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2026-02-01", mid, "1h", now=mid)
    bars = ex_mod.transform_ohlcv(ex_mod.extract_ohlcv(binance, q), q)
    assert bars["ts"].max() == pd.Timestamp("2026-02-01T01:00Z")  # closes 02:00; the 02:00 candle is still open


def test_funding_and_open_interest(httpserver, binance):
    httpserver.expect_request("/fapi/v1/fundingRate").respond_with_json(
        [{"symbol": "TAOUSDT", "fundingTime": T0 + k * 8 * H, "fundingRate": "0.00010000", "markPrice": "200"} for k in (1, 2, 3)])
    httpserver.expect_request("/futures/data/openInterestHist").respond_with_json(
        [{"symbol": "TAOUSDT", "sumOpenInterest": "1000", "sumOpenInterestValue": "200000", "timestamp": T0 + k * H} for k in (0, 1)])
    q = ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2026-02-01", "2026-02-02", "1h", now=NOW)
    fr = ex_mod.transform_funding(ex_mod.extract_funding(binance, q), q)
    assert set(fr["interval"]) == {"8h"} and fr["ts"].iloc[0] == pd.Timestamp("2026-02-01", tz="UTC")
    assert (fr["funding_rate"] == 0.0001).all() and (fr["source"] == "binance/funding").all()
    oi = ex_mod.transform_open_interest(ex_mod.extract_open_interest(binance, q), q)
    assert list(oi["open_interest_usd"]) == [200000.0, 200000.0] and (oi["source"] == "binance/oi").all()


def test_binance_open_interest_30_day_limit_is_stated():
    q = ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2025-12-01", NOW, "1d", now=NOW, kind="oi")
    assert "only the last 30 days" in q.notes[0] and q.start > NOW - pd.Timedelta(days=30)
    with pytest.raises(SourceError, match="only the last 30 days.*CoinGlass"):
        ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2025-10-01", "2025-11-01", "1d", now=NOW, kind="oi")


def test_unknown_symbol_and_exchange_outage_are_clear_errors(httpserver, binance):
    q = ex_mod.build_query("binance", "XYZ", "XYZ/USDT:USDT", "2026-02-01", "2026-02-02", "1h", now=NOW)
    with pytest.raises(SourceError, match="unknown symbol.*symbols.binance"):
        ex_mod.extract_ohlcv(binance, q)
    httpserver.expect_request("/fapi/v1/klines").respond_with_data("<html>bad gateway</html>", 502)
    q = ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2026-02-01", "2026-02-02", "1h", now=NOW)
    with pytest.raises(SourceError, match="binance OHLCV TAO/USDT:USDT"):
        ex_mod.extract_ohlcv(binance, q)


def test_no_liquidation_history_on_binance(binance):
    q = ex_mod.build_query("binance", "TAO", "TAO/USDT:USDT", "2026-02-01", "2026-02-02", "1h", now=NOW)
    with pytest.raises(SourceError, match="no liquidation history.*gate"):
        ex_mod.extract_liquidations(binance, q)


def test_liquidations_aggregate_per_interval_with_side_rules():
    liqs = [  # gate liq_orders: size > 0 is a long position; ccxt's unified quoteValue = |size| * contractSize * price
        {"symbol": "TAO/USDT:USDT", "timestamp": T0 + 60_000, "quoteValue": 1000.0, "side": "buy", "info": {"size": 5}},
        {"symbol": "TAO/USDT:USDT", "timestamp": T0 + 120_000, "quoteValue": 500.0, "side": "sell", "info": {"size": -2}},
        {"symbol": "TAO/USDT:USDT", "timestamp": T0 + H + 1, "quoteValue": 250.0, "side": "buy", "info": {"size": 1}},
    ]
    q = ex_mod.build_query("gate", "TAO", "TAO/USDT:USDT", "2026-02-01", "2026-02-02", "1h", now=NOW, kind="liquidations")
    df = ex_mod.transform_liquidations(liqs, q)
    assert list(df["liq_long_usd"]) == [1000.0, 250.0] and list(df["liq_short_usd"]) == [500.0, 0.0]
    assert df["coverage"].str.startswith("partial").all()
    assert ex_mod.liquidated_side("binance", {"info": {"S": "SELL"}}) == "long"
    assert ex_mod.liquidated_side("bybit", {"info": {"S": "Buy"}}) == "long"
