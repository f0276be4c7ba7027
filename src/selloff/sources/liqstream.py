"""Live liquidations through ccxt.pro (``watchLiquidationsForSymbols`` / ``watchLiquidations``).

:class:`LiquidationRecorder` watches one exchange's perpetuals, sums liquidations per minute and hands the
per-minute totals to a *sink* (a callable taking a ``derivatives`` frame — the CLI's sink writes it in one
store transaction) every ``flush_s`` seconds or ``batch_size`` events. A dropped connection is retried with
exponential backoff; :meth:`stop` (or Ctrl-C in the CLI) flushes what was received and closes the exchange.

Rows carry ``coverage`` saying they are partial: they exist only while the recorder ran, and Binance's
``forceOrder`` stream sends at most one liquidation per symbol per second, so its sums are an undercount.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import ccxt
import pandas as pd

from selloff.sources.exchanges import liquidated_side, liquidation_usd

LIVE_EXCHANGES = ("binance", "bybit", "okx")
COVERAGE = {
    "binance": "partial: binance forceOrder stream, 1 event/symbol/s — undercount; only while recording",
    "bybit": "partial: bybit allLiquidation stream; only while recording",
    "okx": "partial: okx liquidation-orders stream; only while recording",
}
Sink = Callable[[pd.DataFrame], None]
Seed = Callable[[str, str, pd.Timestamp], tuple[float, float]]


@dataclass
class RecorderStats:
    events: int = 0
    flushes: int = 0
    rows_written: int = 0
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)


class LiquidationRecorder:
    """Record live liquidations of ``symbols`` (ccxt perp symbol → asset id) on one ccxt.pro exchange.

    Parameters
    ----------
    exchange
        A ``ccxt.pro`` exchange instance (its ``urls`` may point at a test server).
    symbols
        Unified perpetual symbol → universe asset id.
    sink
        Receives each batch as a ``derivatives`` frame (interval ``1m``, source ``<exchange>/liq-stream``).
    seed
        Optional ``(asset, venue, minute) -> (long_usd, short_usd)`` already stored, so a restart inside a minute
        adds to that minute instead of replacing it.
    """

    def __init__(self, exchange, symbols: Mapping[str, str], sink: Sink, *, flush_s: float = 5.0, batch_size: int = 500,
                 backoff_s: float = 1.0, max_backoff_s: float = 60.0, max_reconnects: int | None = None,
                 seed: Seed | None = None) -> None:
        self.ex = exchange
        self.symbols = dict(symbols)
        self.sink = sink
        self.flush_s, self.batch_size = flush_s, batch_size
        self.backoff_s, self.max_backoff_s, self.max_reconnects = backoff_s, max_backoff_s, max_reconnects
        self.seed = seed
        self.venue = exchange.id
        self.source = f"{exchange.id}/liq-stream"
        self.coverage = COVERAGE.get(exchange.id, f"partial: {exchange.id} live stream; only while recording")
        self.stats = RecorderStats()
        self._totals: dict[tuple[str, pd.Timestamp], list[float]] = {}
        self._dirty: set[tuple[str, pd.Timestamp]] = set()
        self._pending = 0
        self._stop = asyncio.Event()
        self._seen: set[tuple] = set()

    def stop(self) -> None:
        self._stop.set()

    # -- aggregation --------------------------------------------------------------------------------------
    def add(self, liqs: list[Mapping]) -> None:
        for lq in liqs:
            asset = self.symbols.get(lq.get("symbol"))
            if asset is None or lq.get("timestamp") is None:
                continue
            ident = (lq.get("symbol"), lq["timestamp"], lq.get("price"), lq.get("contracts"), lq.get("baseValue"))
            if ident in self._seen:  # ccxt returns its cache again after a reconnect
                continue
            self._seen.add(ident)
            minute = pd.Timestamp(lq["timestamp"], unit="ms", tz="UTC").floor("min")
            key = (asset, minute)
            if key not in self._totals:
                self._totals[key] = list(self.seed(asset, self.venue, minute)) if self.seed else [0.0, 0.0]
            side = liquidated_side(self.venue, lq)
            self._totals[key][0 if side == "long" else 1] += liquidation_usd(lq)
            self._dirty.add(key)
            self._pending += 1
            self.stats.events += 1

    def frame(self) -> pd.DataFrame:
        keys = sorted(self._dirty, key=lambda k: (k[0], k[1]))
        return pd.DataFrame({
            "asset": [k[0] for k in keys], "interval": "1m", "ts": pd.to_datetime([k[1] for k in keys], utc=True),
            "venue": self.venue, "source": self.source,
            "liq_long_usd": [self._totals[k][0] for k in keys], "liq_short_usd": [self._totals[k][1] for k in keys],
            "coverage": self.coverage,
        })

    def flush(self) -> int:
        if not self._dirty:
            return 0
        df = self.frame()
        self.sink(df)
        self._dirty.clear()
        self._pending = 0
        self.stats.flushes += 1
        self.stats.rows_written += len(df)
        # keep only recent minutes in memory
        horizon = pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=10)
        self._totals = {k: v for k, v in self._totals.items() if k[1] >= horizon or k in self._dirty}
        return len(df)

    # -- the loop -----------------------------------------------------------------------------------------
    async def _watch_once(self, symbols: list[str]) -> list:
        if self.ex.has.get("watchLiquidationsForSymbols") is True or (
            len(symbols) > 1 and self.ex.has.get("watchLiquidationsForSymbols")
        ):
            return await self.ex.watch_liquidations_for_symbols(symbols)
        return await self.ex.watch_liquidations(symbols[0])

    async def _loop(self, symbols: list[str]) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                liqs = await self._watch_once(symbols)
            except (ccxt.NetworkError, ccxt.ExchangeNotAvailable, OSError) as exc:
                failures += 1
                self.stats.reconnects += 1
                self.stats.errors.append(f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}")
                if self.max_reconnects is not None and failures > self.max_reconnects:
                    raise
                await self._sleep(min(self.backoff_s * 2 ** (failures - 1), self.max_backoff_s))
                continue
            failures = 0
            self.add(liqs)
            if self._pending >= self.batch_size:
                self.flush()

    async def _flusher(self) -> None:
        while not self._stop.is_set():
            await self._sleep(self.flush_s)
            self.flush()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def run(self, duration_s: float | None = None) -> RecorderStats:
        """Record until :meth:`stop`, ``duration_s`` or cancellation; always flushes and closes at the end."""
        syms = list(self.symbols)
        if self.ex.has.get("watchLiquidationsForSymbols"):
            groups = [syms]
        else:
            groups = [[s] for s in syms]
        loops = [asyncio.ensure_future(self._loop(g)) for g in groups]
        flusher = asyncio.ensure_future(self._flusher())
        timer = asyncio.ensure_future(self._timer(duration_s)) if duration_s else None
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait([*loops, stopper], return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is not stopper and t.exception() is not None:
                    raise t.exception()
        finally:
            loops += [flusher, stopper]
            self._stop.set()
            for t in loops + ([timer] if timer else []):
                t.cancel()
            await asyncio.gather(*loops, *([timer] if timer else []), return_exceptions=True)
            self.flush()
            try:
                await self.ex.close()
            except (OSError, RuntimeError, asyncio.TimeoutError, ValueError, AttributeError):
                pass  # closing a broken connection must not hide the data flush
        return self.stats

    async def _timer(self, duration_s: float) -> None:
        await asyncio.sleep(duration_s)
        self.stop()
