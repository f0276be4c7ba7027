"""Import market-data CSV files into the store: detect the format, parse, attach source and file hash, validate
and upsert every frame of one file in one transaction, and log the attempt in ``fetch_log``.

How each format maps to the store (``source`` default in brackets, ``--source`` overrides):

=====================  ======================================================================================
format                 rows
=====================  ======================================================================================
``binance-klines``     ``bars`` [binance]; interval from close_time-open_time or spacing; ts = open_time UTC
``bybit-kline``        ``bars`` [bybit]; ts = timestamp (ms) = bar open UTC
``yahoo``              ``bars`` 1d [yahoo]; close = Close (raw), adj_close = Adj Close
``yfinance``           ``bars`` 1d [yfinance]; Close is dividend-adjusted: close = adj_close = Close
``ohlcv``              ``bars`` 1d [csv]; generic lower-case date,open,high,low,close,volume
``coingecko-markets``  top-100 price list → ``bars`` interval ``snapshot`` at date 10:00 UTC, close = price;
                       markets rows with snapshot_utc → ``market_caps`` at that time [coingecko-snapshot]
``coinalyze-oi``       ``derivatives`` 1d, venue aggregate, open_interest_usd = oi_close [coinalyze]
``coinalyze-funding``  ``derivatives`` 1d, venue aggregate, funding_rate = % / 100 [coinalyze-funding]
``cmc-snapshots``      ``market_caps`` at snapshot_date 00:00 UTC, with circulating supply [cmc]
=====================  ======================================================================================

Dated daily rows: ts = 00:00 UTC for crypto, the session open 09:30 America/New_York (in UTC) for equities and
indices (docs/CONVENTIONS.md). Every row carries ``file_sha256``; importing the same file again reports every
row unchanged.
"""
from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from selloff.analytics.sources_priority import DEFAULT_DISAGREE_PCT, select_series, source_disagreements
from selloff.errors import ConfigError, DataError, SelloffError
from selloff.sources.csvformats import FORMATS, CsvFormat, Context, Parsed, detect_format, get_format, read_csv_bytes
from selloff.store import Store
from selloff.store.store import UpsertResult
from selloff.universe import Universe, load_universe

_QUOTE_SUFFIXES = ("USDT", "USDC", "BUSD", "USD")


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did."""

    path: str
    format: str
    source: str
    sha256: str
    assets: tuple[str, ...]
    results: tuple[UpsertResult, ...]
    notes: tuple[str, ...] = ()
    range_start: pd.Timestamp | None = None
    range_end: pd.Timestamp | None = None
    duration_s: float = 0.0

    @property
    def rows(self) -> int:
        return sum(r.inserted + r.updated + r.unchanged for r in self.results)

    def as_dict(self) -> dict:
        return {
            "path": self.path, "format": self.format, "source": self.source, "sha256": self.sha256,
            "assets": list(self.assets), "rows": self.rows,
            "tables": {r.table: {"inserted": r.inserted, "updated": r.updated, "unchanged": r.unchanged}
                       for r in self.results},
            "notes": list(self.notes),
            "range_start": self.range_start.isoformat() if self.range_start is not None else None,
            "range_end": self.range_end.isoformat() if self.range_end is not None else None,
        }


# -- asset naming ---------------------------------------------------------------------------------------------
def _resolver(universe: Universe):
    by_cg = {a.coingecko_id.lower(): a for a in universe.assets.values() if a.coingecko_id}
    by_yahoo = {a.yahoo.lower(): a for a in universe.assets.values() if a.yahoo}

    def resolve(name: str) -> tuple[str, str] | None:
        n = name.strip()
        if not n:
            return None
        a = universe.resolve(n) or by_cg.get(n.lower()) or by_yahoo.get(n.lower())
        return (a.id, a.kind) if a else None

    return resolve


def asset_from_filename(path: str | Path, universe: Universe) -> str | None:
    """Universe id named by a file name: ``TAOUSDT.csv`` → TAO, ``btc.csv`` → BTC, ``NVIDIA.csv`` → NVDA (alias),
    ``TAOUSDT_1h_close.csv`` → TAO, ``BTC-USD_2020-01-01_2021-10-27.csv`` → BTC; ``None`` if nothing matches.

    The whole stem is tried first, then each ``_``/``-``/space separated part, each also without a trailing
    quote currency (USDT, USDC, BUSD, USD).
    """
    resolve = _resolver(universe)
    stem = Path(path).stem.strip()
    parts = [stem] + [p for p in re.split(r"[_\-\s.]+", stem) if p and not p.isdigit()]
    for p in parts:
        cands = [p] + [p[: -len(q)] for q in _QUOTE_SUFFIXES if p.upper().endswith(q) and len(p) > len(q)]
        for c in cands:
            hit = resolve(c)
            if hit:
                return hit[0]
    return None


_KLINES = ("binance-klines", "bybit-kline")
_EQUITY_FORMATS = ("yfinance", "yahoo")


def infer_asset(path: str | Path, fmt: str) -> tuple[str, str, str] | None:
    """An asset the universe does not know, named by the file: ``(id, kind, how)`` or ``None``.

    The id is the file name's first part (``FILUSDT.csv`` → FIL, ``^SOX.csv`` → SOX), without a trailing quote
    currency for kline and generic files. The kind: ``index`` for a ``^`` symbol, ``token`` for exchange klines (and
    a generic file whose name carried a quote currency), ``equity`` for Yahoo/yfinance exports and other generic
    files. ``how`` says which rule decided, for the import's output.
    """
    from selloff.universe.loader import ID_PATTERN

    stem = Path(path).stem.strip()
    first = re.split(r"[_\s.]+", stem)[0] if stem else ""
    caret = first.startswith("^")
    name = first.lstrip("^").upper()
    quoted = False
    if not caret and fmt not in _EQUITY_FORMATS:
        for q in _QUOTE_SUFFIXES:
            if name.endswith(q) and len(name) > len(q):
                name, quoted = name[: -len(q)].rstrip("-"), True
                break
    if not name or not ID_PATTERN.fullmatch(name):
        return None
    if caret:
        return name, "index", f"'^' symbol in the file name {Path(path).name}"
    if fmt in _KLINES:
        return name, "token", f"{fmt} format (exchange klines)"
    if fmt in _EQUITY_FORMATS:
        return name, "equity", f"{fmt} format (equity export; pass --asset with an index id for an index)"
    return (name, "token", f"quote currency in the file name {Path(path).name}") if quoted else \
        (name, "equity", f"{fmt} format without a quote currency in the file name")


# -- parse (no store) -----------------------------------------------------------------------------------------
def parse_file(
    path: str | Path,
    *,
    format: str = "auto",
    asset: str | None = None,
    source: str | None = None,
    universe: Universe | None = None,
    data: bytes | None = None,
    registered: dict[str, str] | None = None,
) -> tuple[Parsed, CsvFormat, str, str]:
    """Parse one file into store frames with ``source`` and ``file_sha256`` attached.

    A single-asset file whose asset the universe does not know gets one (:func:`infer_asset`, or ``asset``
    with the kind inferred the same way; ``registered``: kinds the store already holds): the frames then carry an
    ``assets`` row that registers it, and a note says so.

    Returns ``(parsed, format, source, sha256)``. Raises :class:`DataError` (bad content, naming file, line and
    field) or :class:`ConfigError` (unknown asset or format).
    """
    register: tuple[str, str, str] | None = None
    p = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{p}: file not found; check the path") from None
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read ({exc.strerror}); check its permissions") from None
    sha = hashlib.sha256(data).hexdigest()
    universe = universe or load_universe()
    raw = read_csv_bytes(data, p)
    fmt = detect_format(raw.header, p) if format in (None, "", "auto") else get_format(format)
    src = source or fmt.source
    ctx = Context(path=p, source=src, resolve=_resolver(universe))
    if fmt.multi_asset:
        if asset:
            ctx.only_asset = universe.asset(asset).id
    else:
        known = universe.resolve(asset) if asset else None
        aid = known.id if known else (None if asset else asset_from_filename(p, universe))
        if aid is not None:
            ctx.asset, ctx.kind = aid, universe.assets[aid].kind
        else:
            new = _new_asset(p, fmt.name, asset, registered)
            if new is None:
                raise ConfigError(
                    f"{p}: cannot tell the asset from the file name '{Path(p).name}' (no universe id, alias or "
                    f"symbol in it); pass --asset ID (or add the asset to your universe with --universe FILE)"
                )
            ctx.asset, ctx.kind, how = new
            register = (ctx.asset, ctx.kind, how)
    parsed = fmt.parse(raw, ctx)
    parsed.notes[:0] = list(raw.notes)
    for table, df in list(parsed.frames.items()):
        if len(df) == 0:
            del parsed.frames[table]
            continue
        parsed.frames[table] = df.assign(file_sha256=sha)
    if register is not None and parsed.frames:
        aid, kind, how = register
        parsed.frames["assets"] = pd.DataFrame([{"asset": aid, "kind": kind, "name": aid}])
        parsed.notes.append(f"{aid} is not in the universe: registered in the store as {kind} ({how}); "
                            f"an [assets.{aid}] entry in a --universe file claims it")
    if not parsed.frames:
        why = "; ".join(parsed.notes) or "the file has no data rows"
        raise DataError(f"{p}: no rows to import ({why}); pass --asset or extend the universe (--universe FILE)")
    return parsed, fmt, src, sha


# -- import (store) -------------------------------------------------------------------------------------------
def import_file(
    store: Store,
    path: str | Path,
    *,
    format: str = "auto",
    asset: str | None = None,
    source: str | None = None,
    universe: Universe | None = None,
) -> ImportResult:
    """Parse ``path`` and upsert all its frames in one transaction; log the attempt (also a failed one).

    A file that fails parsing or validation writes no rows; its ``fetch_log`` entry has status ``error``.
    """
    t0 = time.perf_counter()
    p = str(path)
    src = source or (FORMATS[format].source if format in FORMATS else "import")
    try:
        parsed, fmt, src, sha = parse_file(p, format=format, asset=asset, source=source, universe=universe,
                                           registered=store.registered_kinds())
        request = f"import {p} format={fmt.name} sha256={sha[:16]}"
        what = f"{p} ({fmt.name}, source {src})"
        results = _upsert_all(store, parsed.frames, what)
    except SelloffError as exc:
        store.log_fetch(src, "error", request=f"import {p} format={format}", error=str(exc),
                        duration_s=time.perf_counter() - t0)
        raise
    ts = pd.concat([df["ts"] for df in parsed.frames.values() if "ts" in df])
    assets = tuple(sorted(set().union(*(set(df["asset"]) for df in parsed.frames.values()))))
    total = results[0]
    for r in results[1:]:
        total = total + r
    dt = time.perf_counter() - t0
    store.log_fetch(src, "ok", request=request, range_start=ts.min(), range_end=ts.max(), result=total,
                    duration_s=dt)
    return ImportResult(p, fmt.name, src, sha, assets, results, tuple(parsed.notes), ts.min(), ts.max(), dt)


def _new_asset(path: str, fmt: str, asset: str | None, registered: dict[str, str] | None) -> tuple[str, str, str] | None:
    """(id, kind, how) of a file's asset the universe lacks: ``asset`` (checked) or the file name's symbol; a kind
    the store already holds for that id wins."""
    from selloff.universe.loader import ID_PATTERN

    guess = infer_asset(path, fmt)
    if asset:
        aid = asset.strip().lstrip("^").upper()
        if not ID_PATTERN.fullmatch(aid):
            raise ConfigError(f"--asset {asset!r} is not a usable id; use letters, digits, '.', '_' and '-'")
        kind = "index" if asset.strip().startswith("^") else (guess[1] if guess else "token")
        how = "'^' in --asset" if asset.strip().startswith("^") else (guess[2] if guess else "default for --asset")
        guess = (aid, kind, how)
    if guess is not None and registered and guess[0] in registered:
        return guess[0], registered[guess[0]], "registered earlier in this store"
    return guess


def _upsert_all(store: Store, frames: dict[str, pd.DataFrame], what: str) -> tuple[UpsertResult, ...]:
    """All frames of one file in one transaction (nothing of the file is written if any frame fails)."""
    with store.transaction():
        return tuple(store.upsert(t, df, what=what) for t, df in frames.items())


# -- several sources -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceReport:
    """Per-source coverage of one asset's bars, the series analytics would pick, and where sources disagree."""

    asset: str
    coverage: pd.DataFrame
    """interval, source, first_ts, last_ts, rows, selected (the priority pick for that interval)."""
    disagreements: pd.DataFrame
    """interval, ts, source_a, source_b, close_a, close_b, diff_pct — only rows above the threshold."""
    overlap: pd.DataFrame
    """interval, source_a, source_b, common (timestamps), above (over threshold), max_diff_pct, mean_diff_pct."""
    threshold_pct: float
    priority: tuple[str, ...] = field(default_factory=tuple)


def source_report(store: Store, asset: str, *, threshold_pct: float | None = None,
                  priority: Sequence[str] | None = None) -> SourceReport:
    """Coverage per source and close disagreements above ``threshold_pct`` for ``asset``'s bars."""
    from selloff.config import defaults

    cfg = defaults("sources")
    prio = list(priority if priority is not None else cfg["priority"])
    thr = float(threshold_pct if threshold_pct is not None else cfg.get("disagree_pct", DEFAULT_DISAGREE_PCT))
    if not (math.isfinite(thr) and thr >= 0):
        raise ConfigError(f"--threshold {thr:g} is not a per-cent difference >= 0; pass e.g. --threshold 1")
    bars = store.read("bars", assets=[asset])
    if bars.empty:
        raise DataError(f"no bars stored for {asset}; import a file first (selloff import PATH --asset {asset})")
    cov = (bars.groupby(["interval", "source"]).agg(first_ts=("ts", "min"), last_ts=("ts", "max"),
                                                    rows=("ts", "size")).reset_index())
    picked = select_series(bars, prio)[["interval", "source"]].drop_duplicates()
    cov["selected"] = cov.set_index(["interval", "source"]).index.isin(picked.set_index(["interval", "source"]).index)
    detail, overlap = source_disagreements(bars, thr, prio)
    return SourceReport(asset, cov, detail, overlap, thr, tuple(prio))
