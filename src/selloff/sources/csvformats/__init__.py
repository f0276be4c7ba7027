"""Parsers for market-data CSV files in the formats found in the wild: file bytes → typed frames in the store's
schema. No store access here; :mod:`selloff.importer` wires a parsed file into the store.

One module per family of formats; each format is a :class:`CsvFormat` (name, default source, header test,
parser) in :data:`FORMATS`, tried in order by :func:`detect_format`. A new format is a new entry, not a new
``if``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from selloff.errors import ConfigError, DataError
from selloff.sources.csvformats import equities, klines, ohlcv, snapshots
from selloff.sources.csvformats._common import Context, Parsed, RawTable, read_csv_bytes


@dataclass(frozen=True)
class CsvFormat:
    name: str
    source: str
    """Default ``source`` of the rows (``--source`` overrides)."""
    detect: Callable[[tuple[str, ...]], bool]
    parse: Callable[[RawTable, Context], Parsed]
    multi_asset: bool = False
    """Rows name their asset (symbol column); otherwise the file holds one asset (``--asset`` or file name)."""


FORMATS: dict[str, CsvFormat] = {
    f.name: f
    for f in (
        CsvFormat(klines.BINANCE, "binance", klines.detect_binance, klines.parse_binance),
        CsvFormat(klines.BYBIT, "bybit", klines.detect_bybit, klines.parse_bybit),
        CsvFormat(equities.YFINANCE, "yfinance", equities.detect_yfinance, equities.parse_yfinance),
        CsvFormat(equities.YAHOO, "yahoo", equities.detect_yahoo, equities.parse_yahoo),
        CsvFormat(snapshots.COINALYZE_OI, "coinalyze", snapshots.detect_coinalyze_oi, snapshots.parse_coinalyze_oi, True),
        CsvFormat(snapshots.COINALYZE_FUNDING, "coinalyze-funding", snapshots.detect_coinalyze_funding,
                  snapshots.parse_coinalyze_funding, True),
        CsvFormat(snapshots.CMC, "cmc", snapshots.detect_cmc, snapshots.parse_cmc, True),
        CsvFormat(snapshots.COINGECKO, "coingecko-snapshot", snapshots.detect_coingecko, snapshots.parse_coingecko, True),
        CsvFormat(ohlcv.OHLCV, "csv", ohlcv.detect, ohlcv.parse),
    )
}


def detect_format(header: tuple[str, ...], path: str = "input") -> CsvFormat:
    """The first format whose header test accepts ``header``, or :class:`DataError` listing the formats."""
    for f in FORMATS.values():
        if f.detect(header):
            return f
    raise DataError(
        f"{path}:1: header {list(header)[:8]} matches no known format; pass --format "
        f"({'|'.join(FORMATS)}) or convert the file"
    )


def get_format(name: str) -> CsvFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(f"unknown --format '{name}'; use auto or one of {', '.join(FORMATS)}") from None


def parse_bytes(data: bytes, path: str, fmt: str | CsvFormat, ctx: Context) -> Parsed:
    """Read ``data`` (the file's bytes) and parse it with ``fmt`` (a name, or ``"auto"`` to detect)."""
    raw = read_csv_bytes(data, path)
    f = fmt if isinstance(fmt, CsvFormat) else (detect_format(raw.header, path) if fmt == "auto" else get_format(fmt))
    out = f.parse(raw, ctx)
    out.notes[:0] = list(raw.notes)
    return out


__all__ = ["FORMATS", "Context", "CsvFormat", "Parsed", "RawTable", "detect_format", "get_format", "parse_bytes",
           "read_csv_bytes"]
