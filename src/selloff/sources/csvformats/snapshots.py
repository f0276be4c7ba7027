"""Multi-asset snapshot files: CoinGecko ``coins/markets`` snapshots (``coingecko-markets``), Coinalyze aggregated
open interest / funding (``coinalyze-oi``, ``coinalyze-funding``) and CoinMarketCap monthly snapshots
(``cmc-snapshots``). Rows are matched to universe assets by symbol (then CoinGecko id or name); rows of other
coins are skipped and counted.

Representation (see the importer's module docstring for the full table):

- CoinGecko top-100 price list ``date,rank,name,symbol,price_usd`` (one snapshot a day taken at roughly
  09:00–12:00 UTC, *not* a daily close) → ``bars`` with interval ``snapshot``, ts = the date at
  :data:`SNAPSHOT_TIME_UTC`, ``close`` = price, open/high/low/volume null. The interval keeps these points out
  of every ``1d`` analysis while keeping them comparable by date.
- CoinGecko markets rows with ``snapshot_utc`` and ``market_cap`` (cryptowhizard top movers) → ``market_caps``
  at the exact snapshot time (price, market cap, 24 h volume, circulating supply).
- Coinalyze daily OI OHLC in USD → ``derivatives`` interval ``1d``, ts = the day's open (UTC epoch seconds),
  venue ``aggregate``, ``open_interest_usd`` = the day's last value (``oi_close``).
- Coinalyze daily funding (``funding_rate`` in per cent per funding interval) → ``derivatives`` with
  ``funding_rate`` = per cent / 100; its default source is ``coinalyze-funding`` so that importing it never
  blanks the open interest stored under ``coinalyze`` (an upsert replaces the whole row of a key).
- CoinMarketCap monthly snapshot (``snapshot_date`` YYYYMMDD) → ``market_caps`` at 00:00 UTC of that date.
"""
from __future__ import annotations

import pandas as pd

from selloff.sources.csvformats._common import (
    Context, Parsed, RawTable, dates, datetimes_utc, epoch, finish, map_assets, numbers, subset,
)

COINGECKO = "coingecko-markets"
COINALYZE_OI = "coinalyze-oi"
COINALYZE_FUNDING = "coinalyze-funding"
CMC = "cmc-snapshots"

SNAPSHOT_INTERVAL = "snapshot"
SNAPSHOT_TIME_UTC = pd.Timedelta(hours=10)
"""Nominal time of a date-only CoinGecko snapshot (taken between about 09:00 and 12:00 UTC)."""


def _low(header: tuple[str, ...]) -> set[str]:
    return {h.lower() for h in header}


def detect_coingecko(header: tuple[str, ...]) -> bool:
    h = _low(header)
    return {"date", "symbol", "price_usd"} <= h or {"snapshot_utc", "symbol", "current_price", "market_cap"} <= h


def detect_coinalyze_oi(header: tuple[str, ...]) -> bool:
    return {"coin_symbol", "symbol", "timestamp", "oi_close"} <= _low(header)


def detect_coinalyze_funding(header: tuple[str, ...]) -> bool:
    return {"coin_symbol", "symbol", "timestamp", "funding_rate"} <= _low(header)


def detect_cmc(header: tuple[str, ...]) -> bool:
    return {"symbol", "market cap", "price", "circulating supply", "snapshot_date"} <= _low(header)


def _assets(raw: RawTable, ctx: Context, *cols: str | None, at: str | None = None) -> tuple[RawTable, pd.Series, list[str]]:
    ids, _, notes = map_assets(raw, ctx, *cols, at=at)
    keep = ids.notna()
    return subset(raw, keep), ids[keep].reset_index(drop=True), notes


def parse_coingecko(raw: RawTable, ctx: Context) -> Parsed:
    if raw.col("snapshot_utc", required=False):
        raw, ids, notes = _assets(raw, ctx, raw.col("symbol"), raw.col("id", required=False), at=raw.col("snapshot_utc"))
        df = pd.DataFrame({
            "asset": ids,
            "ts": datetimes_utc(raw, raw.col("snapshot_utc")),
            "source": ctx.source,
            "market_cap_usd": numbers(raw, raw.col("market_cap"), required=True, non_negative=True),
            "circulating_supply": numbers(raw, raw.col("circulating_supply", required=False), non_negative=True),
            "price_usd": numbers(raw, raw.col("current_price"), positive=True),
            "volume_usd_24h": numbers(raw, raw.col("total_volume", required=False), non_negative=True),
            "line": raw.rows["line"],
        })
        return Parsed(COINGECKO, {"market_caps": finish(df, ["asset", "ts", "source"], raw.path, notes)}, notes)
    raw, ids, notes = _assets(raw, ctx, raw.col("symbol"), raw.col("name", required=False), at=raw.col("date"))
    df = pd.DataFrame({
        "asset": ids,
        "interval": SNAPSHOT_INTERVAL,
        "ts": (dates(raw, raw.col("date")) + SNAPSHOT_TIME_UTC).dt.tz_localize("UTC"),
        "source": ctx.source,
        "close": numbers(raw, raw.col("price_usd"), required=True, positive=True),
        "line": raw.rows["line"],
    })
    return Parsed(COINGECKO, {"bars": finish(df, ["asset", "interval", "ts", "source"], raw.path, notes)}, notes)


def _coinalyze(raw: RawTable, ctx: Context, fmt: str, value_col: str, out_col: str, scale: float,
               what: str) -> Parsed:
    raw, ids, notes = _assets(raw, ctx, raw.col("coin_symbol"), raw.col("coin_name", required=False))
    sym = raw.rows[raw.col("symbol")].astype(str)
    df = pd.DataFrame({
        "asset": ids,
        "interval": "1d",
        "ts": epoch(raw, raw.col("timestamp"), "s"),
        "venue": "aggregate",
        "source": ctx.source,
        out_col: numbers(raw, raw.col(value_col), required=True, non_negative=out_col != "funding_rate") * scale,
        "coverage": "coinalyze " + sym + f": {what}",
        "line": raw.rows["line"],
    })
    key = ["asset", "interval", "ts", "venue", "source"]
    return Parsed(fmt, {"derivatives": finish(df, key, raw.path, notes)}, notes)


def parse_coinalyze_oi(raw: RawTable, ctx: Context) -> Parsed:
    return _coinalyze(raw, ctx, COINALYZE_OI, "oi_close", "open_interest_usd", 1.0,
                      "aggregated open interest, USD, value at the day's end")


def parse_coinalyze_funding(raw: RawTable, ctx: Context) -> Parsed:
    return _coinalyze(raw, ctx, COINALYZE_FUNDING, "funding_rate", "funding_rate", 0.01,
                      "aggregated funding rate, last of the day, fraction per funding interval")


def parse_cmc(raw: RawTable, ctx: Context) -> Parsed:
    raw, ids, notes = _assets(raw, ctx, raw.col("Symbol"), raw.col("Name", required=False), at=raw.col("snapshot_date"))
    df = pd.DataFrame({
        "asset": ids,
        "ts": dates(raw, raw.col("snapshot_date")).dt.tz_localize("UTC"),
        "source": ctx.source,
        "market_cap_usd": numbers(raw, raw.col("Market Cap"), required=True, non_negative=True),
        "circulating_supply": numbers(raw, raw.col("Circulating Supply", required=False), non_negative=True),
        "price_usd": numbers(raw, raw.col("Price"), positive=True),
        "volume_usd_24h": numbers(raw, raw.col("Volume (24h)", required=False), non_negative=True),
        "line": raw.rows["line"],
    })
    return Parsed(CMC, {"market_caps": finish(df, ["asset", "ts", "source"], raw.path, notes)}, notes)
