"""Yahoo Finance daily OHLCV: the web-table export / Yahoo CSV (``yahoo``) and yfinance output (``yfinance``).

- ``yahoo``: ``Date,Open,High,Low,Close[,Adj Close],Volume``. ``Close`` is the raw close → ``close``; ``Adj Close``
  (split- and dividend-adjusted) → ``adj_close``. Web exports come newest-first, with M/D/YYYY dates, a BOM,
  non-breaking spaces after ``Close``/``Adj Close``, quoted thousands separators, dividend rows
  (``0.525 Dividend``) and ``null`` rows (non-trading days): the last two are dropped and counted.
- ``yfinance``: ``Ticker.history()`` (with ``Dividends``/``Stock Splits``) or ``download()`` in alphabetical
  column order without ``Adj Close``: its ``Close`` (and O/H/L) is already dividend-adjusted and no raw close
  exists, so ``close`` and ``adj_close`` both hold the adjusted close.

A dated row's ts is the bar open: 00:00 UTC for crypto (Yahoo's BTC-USD day is the UTC day), 09:30 New York in
UTC for equities and indices. Open/High/Low of 0 (old index rows) mean "not recorded" and become null.
"""
from __future__ import annotations

import pandas as pd

from selloff.sources.csvformats._common import Context, Parsed, RawTable, daily_ts, dates, finish, need_asset, numbers

YAHOO = "yahoo"
YFINANCE = "yfinance"
_OHLCV = ("date", "open", "high", "low", "close", "volume")


def detect_yahoo(header: tuple[str, ...]) -> bool:
    low = [h.lower() for h in header]
    if "adj close" in low and "date" in low and "close" in low:
        return True
    return list(header) == ["Date", "Open", "High", "Low", "Close", "Volume"]


def detect_yfinance(header: tuple[str, ...]) -> bool:
    low = [h.lower() for h in header]
    if "date" not in low or "close" not in low or "adj close" in low:
        return False
    if "dividends" in low or "stock splits" in low:
        return True
    return list(header) == ["Date", "Close", "High", "Low", "Open", "Volume"]


def _event_rows(raw: RawTable, notes: list[str]) -> RawTable:
    """Drop Yahoo web-export event rows (``0.525 Dividend``, ``2:1 Stock Split``) and all-null rows."""
    open_col = raw.col("Open")
    text = raw.rows[open_col].astype(str)
    event = text.str.contains(r"[A-Za-z]", regex=True) & ~text.str.lower().isin(["null", "nan"])
    price_cols = [c for c in (raw.col("Open"), raw.col("High"), raw.col("Low"), raw.col("Close")) if c]
    allnull = raw.rows[price_cols].apply(lambda s: s.astype(str).str.lower().isin(["null", "nan", ""])).all(axis=1)
    if event.any():
        notes.append(f"dropped {int(event.sum())} dividend/split event row(s)")
    if allnull.any():
        notes.append(f"dropped {int(allnull.sum())} row(s) without prices (null)")
    keep = ~(event | allnull)
    return RawTable(raw.path, raw.header, raw.rows[keep.to_numpy()].reset_index(drop=True), raw.notes)


def _parse(raw: RawTable, ctx: Context, adjusted_close: bool, fmt: str) -> Parsed:
    asset, kind = need_asset(ctx)
    notes: list[str] = []
    raw = _event_rows(raw, notes)
    o, h, lo = (numbers(raw, raw.col(n), non_negative=True) for n in ("Open", "High", "Low"))
    zeros = int(((o == 0) | (h == 0) | (lo == 0)).sum())
    if zeros:
        notes.append(f"{zeros} row(s) with Open/High/Low = 0 (not recorded): those values stored as null")
    o, h, lo = (x.where(x != 0) for x in (o, h, lo))
    c = numbers(raw, raw.col("Close"), required=True, positive=True)
    adj = c if adjusted_close else numbers(raw, raw.col("Adj Close", required=False), positive=True)
    vol = numbers(raw, raw.col("Volume", required=False), non_negative=True)
    df = pd.DataFrame({
        "asset": asset,
        "interval": "1d",
        "ts": daily_ts(dates(raw, raw.col("Date")), kind),
        "source": ctx.source,
        "open": o, "high": h, "low": lo, "close": c, "adj_close": adj, "volume": vol,
        "line": raw.rows["line"],
    })
    if len(raw.rows) > 1 and raw.rows["line"].is_monotonic_increasing and df["ts"].is_monotonic_decreasing:
        notes.append("rows were newest-first; sorted")
    return Parsed(fmt, {"bars": finish(df, ["asset", "interval", "ts", "source"], raw.path, notes)}, notes)


def parse_yahoo(raw: RawTable, ctx: Context) -> Parsed:
    return _parse(raw, ctx, adjusted_close=False, fmt=YAHOO)


def parse_yfinance(raw: RawTable, ctx: Context) -> Parsed:
    return _parse(raw, ctx, adjusted_close=True, fmt=YFINANCE)

