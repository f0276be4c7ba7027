"""Exchange klines: Binance ``api/v3/klines`` exports (``binance-klines``) and Bybit v5 kline (``bybit-kline``).

- ``binance-klines``: ``open_time`` (ISO with offset, naive UTC, or ms epoch), open, high, low, close, volume
  (base asset), optional close_time (ms) and the other kline fields (ignored). Close-only files
  (``open_time,close``, e.g. hourly closes) are accepted. The interval comes from ``close_time - open_time``
  when present, else from the rows' spacing. ts = bar open time UTC.
- ``bybit-kline``: ``timestamp`` (ms, bar open UTC), open, high, low, close, volume (base), turnover (quote),
  date. Bybit's daily bar opens at 00:00 UTC.
"""
from __future__ import annotations

import pandas as pd

from selloff.errors import DataError
from selloff.sources.csvformats._common import (
    INTERVALS, Context, Parsed, RawTable, datetimes_utc, epoch, finish, infer_interval, need_asset, numbers,
)

BINANCE = "binance-klines"
BYBIT = "bybit-kline"


def detect_binance(header: tuple[str, ...]) -> bool:
    low = [h.lower() for h in header]
    return "open_time" in low and "close" in low


def detect_bybit(header: tuple[str, ...]) -> bool:
    low = [h.lower() for h in header]
    return {"timestamp", "open", "high", "low", "close", "volume", "turnover"} <= set(low)


def _bars(raw: RawTable, ctx: Context, ts: pd.Series, interval: str, fmt: str, notes: list[str]) -> Parsed:
    asset, _ = need_asset(ctx)
    df = pd.DataFrame({
        "asset": asset,
        "interval": interval,
        "ts": ts,
        "source": ctx.source,
        "open": numbers(raw, raw.col("open", required=False), positive=True),
        "high": numbers(raw, raw.col("high", required=False), positive=True),
        "low": numbers(raw, raw.col("low", required=False), positive=True),
        "close": numbers(raw, raw.col("close"), required=True, positive=True),
        "volume": numbers(raw, raw.col("volume", required=False), non_negative=True),
        "line": raw.rows["line"],
    })
    return Parsed(fmt, {"bars": finish(df, ["asset", "interval", "ts", "source"], raw.path, notes)}, notes)


def parse_binance(raw: RawTable, ctx: Context) -> Parsed:
    notes: list[str] = []
    ts = datetimes_utc(raw, raw.col("open_time"))
    close_col = raw.col("close_time", required=False)
    if close_col:
        span = ((epoch(raw, close_col, "ms") - ts) / pd.Timedelta(milliseconds=1) + 1).round().astype("int64")
        bar_ms = int(span.mode().iloc[0])
        if bar_ms not in INTERVALS:
            raise DataError(
                f"{raw.path}: close_time - open_time is {bar_ms} ms, not one of the store's intervals "
                f"({', '.join(INTERVALS.values())}); resample the file first"
            )
        longer = (span > bar_ms).to_numpy()
        if longer.any():
            i = int(longer.nonzero()[0][0])
            raise DataError(
                f"{raw.path}:{raw.line(i)}: field '{close_col}' ends a {span.iloc[i]} ms bar in a file of "
                f"{INTERVALS[bar_ms]} bars; the file mixes intervals — split it"
            )
        short = raw.rows["line"][(span < bar_ms).to_numpy()].tolist()
        if short:
            notes.append(f"{len(short)} bar(s) closed early (exchange halt) at line(s) {', '.join(map(str, short))}; kept")
        interval = INTERVALS[bar_ms]
    else:
        interval = infer_interval(raw, ts)
    return _bars(raw, ctx, ts, interval, BINANCE, notes)


def parse_bybit(raw: RawTable, ctx: Context) -> Parsed:
    ts = epoch(raw, raw.col("timestamp"), "ms")
    return _bars(raw, ctx, ts, infer_interval(raw, ts), BYBIT, [])
