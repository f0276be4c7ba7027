"""Generic daily OHLCV with lower-case header ``date,open,high,low,close[,volume]`` (``ohlcv``), e.g. the
DrRobAnthony market-data files. The provider is unknown, so the default source is ``csv``: pass ``--source``.
ts as for any dated daily row (00:00 UTC for crypto, 09:30 New York in UTC for equities)."""
from __future__ import annotations

import pandas as pd

from selloff.sources.csvformats._common import Context, Parsed, RawTable, daily_ts, dates, finish, need_asset, numbers

OHLCV = "ohlcv"


def detect(header: tuple[str, ...]) -> bool:
    return header[:5] == ("date", "open", "high", "low", "close")


def parse(raw: RawTable, ctx: Context) -> Parsed:
    asset, kind = need_asset(ctx)
    notes: list[str] = []
    df = pd.DataFrame({
        "asset": asset,
        "interval": "1d",
        "ts": daily_ts(dates(raw, raw.col("date")), kind),
        "source": ctx.source,
        "open": numbers(raw, raw.col("open"), positive=True),
        "high": numbers(raw, raw.col("high"), positive=True),
        "low": numbers(raw, raw.col("low"), positive=True),
        "close": numbers(raw, raw.col("close"), required=True, positive=True),
        "volume": numbers(raw, raw.col("volume", required=False), non_negative=True),
        "line": raw.rows["line"],
    })
    return Parsed(OHLCV, {"bars": finish(df, ["asset", "interval", "ts", "source"], raw.path, notes)}, notes)
