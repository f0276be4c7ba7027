"""Exchange fetchers through ccxt: OHLCV, funding-rate history, open-interest history, liquidation history.

ccxt does the requests (with its own rate limiter, ``enableRateLimit=True``); these functions page through
``since``/``limit``, turn ccxt's unified structures into the store's frames and label what each row covers.

Derivative metrics are stored under their own ``source`` (``<exchange>/funding``, ``<exchange>/oi``,
``<exchange>/liquidations``) with ``venue`` = the exchange, so that writing one metric never blanks another on
the same (asset, interval, ts, venue) key.

Known limits: Binance serves open-interest history for the last 30 days only; public liquidation *history*
exists on gate, htx, bitfinex and deribit (``fetchLiquidations``) — Binance, Bybit and OKX only stream live
liquidations (see :mod:`selloff.sources.liqstream`).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from selloff.errors import ConfigError, SelloffError, SourceError
from selloff.sources import registry
from selloff.sources.tasks import FetchContext, Frames, Task, skip_task
from selloff.timeutil import utc

DEFAULT_EXCHANGES = ("binance", "bybit", "okx")
LIQUIDATION_HISTORY_EXCHANGES = ("gate", "htx", "bitfinex", "deribit")
OI_HISTORY_DAYS = {"binance": 30}
MAX_PAGES = 10_000
_HOST = re.compile(r"^(https?|wss?)://[^/]+")


def _ms(ts: pd.Timestamp) -> int:
    return int(ts.value // 1_000_000)


def _redirect(urls: Any, base: str) -> Any:
    if isinstance(urls, str):
        return _HOST.sub(base.rstrip("/"), urls)
    if isinstance(urls, dict):
        return {k: _redirect(v, base) for k, v in urls.items()}
    return urls


def make_exchange(exchange_id: str, *, rest_base: str | None = None, ws_base: str | None = None,
                  market_types: Sequence[str] | None = None, pro: bool = False, config: Mapping[str, Any] | None = None):
    """A ccxt (or ccxt.pro) exchange with the rate limiter on.

    Parameters
    ----------
    rest_base, ws_base
        Replace the scheme and host of every REST (``urls['api']``) / websocket URL, keeping the paths — tests
        point them at loopback servers.
    market_types
        ``options['fetchMarkets']['types']`` (fewer types = fewer start-up requests).
    """
    if pro:
        import ccxt.pro as module  # noqa: PLC0415  (ccxt takes ~0.25 s to import: only when an exchange is made)
    else:
        import ccxt as module  # noqa: PLC0415
    if not hasattr(module, exchange_id):
        raise ConfigError(f"exchange '{exchange_id}' is not known to ccxt; use one of {', '.join(DEFAULT_EXCHANGES)}, gate, ...")
    opts: dict[str, Any] = {"enableRateLimit": True, **dict(config or {})}
    if market_types:
        opts.setdefault("options", {})["fetchMarkets"] = {"types": list(market_types)}
    ex = getattr(module, exchange_id)(opts)
    if rest_base or ws_base:
        api = dict(ex.urls["api"])
        for k, v in api.items():
            is_ws = k == "ws" or (isinstance(v, str) and v.startswith("ws"))
            if is_ws and ws_base:
                api[k] = _redirect(v, ws_base)
            elif not is_ws and rest_base:
                api[k] = _redirect(v, rest_base)
        ex.urls["api"] = api
        if rest_base:
            ex.hostname = rest_base.split("://", 1)[1].rstrip("/")
    return ex


def _call(ex, what: str, fn: Callable[[], Any]) -> Any:
    import ccxt  # noqa: PLC0415  (imported by make_exchange already; lazy so that importing this module stays cheap)

    try:
        return fn()
    except ccxt.BadSymbol as exc:
        raise SourceError(f"{ex.id} {what}: unknown symbol ({_first(exc)}); fix symbols.{ex.id} in the universe TOML",
                          source=ex.id) from None
    except ccxt.NotSupported as exc:
        raise SourceError(f"{ex.id} {what}: not offered by this exchange ({_first(exc)}); use another --exchange",
                          source=ex.id) from None
    except ccxt.RateLimitExceeded as exc:
        raise SourceError(f"{ex.id} {what}: rate limit hit after ccxt's throttling ({_first(exc)}); wait and rerun (fetch resumes)",
                          source=ex.id) from None
    except ccxt.NetworkError as exc:
        raise SourceError(f"{ex.id} {what}: network error ({type(exc).__name__}: {_first(exc)}); rerun later (fetch resumes)",
                          source=ex.id) from None
    except ccxt.ExchangeError as exc:
        raise SourceError(f"{ex.id} {what}: exchange error ({type(exc).__name__}: {_first(exc)})", source=ex.id) from None


def _first(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


def timeframe_delta(tf: str) -> pd.Timedelta:
    m = re.fullmatch(r"(\d+)([mhdw])", tf)
    if not m:
        raise ConfigError(f"interval '{tf}' not understood; use 1m, 5m, 15m, 1h, 4h or 1d")
    n, unit = int(m.group(1)), m.group(2)
    return pd.Timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: n})


@dataclass(frozen=True)
class PagedQuery:
    exchange: str
    asset: str
    symbol: str
    interval: str
    start: pd.Timestamp
    end: pd.Timestamp
    limit: int | None = None
    notes: tuple[str, ...] = ()
    kind: str = "ohlcv"
    """``ohlcv``, ``funding``, ``oi`` or ``liquidations``."""


def build_query(exchange: str, asset: str, symbol: str | None, start: object, end: object, interval: str = "1d",
                limit: int | None = None, now: pd.Timestamp | None = None, kind: str = "ohlcv") -> PagedQuery:
    """Validate a paged request (symbol present, range ordered, per-exchange history limits noted)."""
    if not symbol:
        raise ConfigError(f"{asset} has no symbol for {exchange}; add symbols.{exchange} to the universe TOML")
    timeframe_delta(interval)
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    s, e = utc(start, "--since"), min(utc(end, "--until"), now)
    if s >= e:
        raise ConfigError(f"{exchange} {asset}: empty range {s:%Y-%m-%d}..{e:%Y-%m-%d}; --since must be before --until")
    notes = []
    days = OI_HISTORY_DAYS.get(exchange) if kind == "oi" else None
    if days is not None and s < now - pd.Timedelta(days=days):
        limit_ts = now - pd.Timedelta(days=days) + pd.Timedelta(minutes=5)
        if e <= limit_ts:
            raise SourceError(f"{exchange} open interest for {asset}: {exchange} serves only the last {days} days; "
                              f"use CoinGlass (COINGLASS_API_KEY) for older open interest", source=exchange)
        notes.append(f"{asset} open interest {s:%Y-%m-%d}..{limit_ts:%Y-%m-%d} not available: {exchange} serves only the last {days} days")
        s = limit_ts
    return PagedQuery(exchange, asset, symbol, interval, s, e, limit, tuple(notes), kind)


def _page(ex, q: PagedQuery, what: str, fetch: Callable[[int], list], ts_of: Callable[[Any], int]) -> list:
    """Call ``fetch(since_ms)`` until the range is covered or a page brings nothing new."""
    out: list = []
    cursor, end_ms = _ms(q.start), _ms(q.end)
    last_seen = None
    for _ in range(MAX_PAGES):
        page = _call(ex, what, lambda: fetch(cursor))
        if not page:
            break
        stamps = [ts_of(r) for r in page]
        newest = max(stamps)
        out += [r for r, t in zip(page, stamps) if t < end_ms and (last_seen is None or t > last_seen)]
        if last_seen is not None and newest <= last_seen:
            break
        last_seen = newest
        if newest >= end_ms:
            break
        cursor = newest + 1
    return out


# -- OHLCV ------------------------------------------------------------------------------------------------
def extract_ohlcv(ex, q: PagedQuery) -> list[list]:
    return _page(ex, q, f"OHLCV {q.symbol} {q.interval}",
                 lambda since: ex.fetch_ohlcv(q.symbol, q.interval, since=since, limit=q.limit), lambda r: r[0])


def transform_ohlcv(rows: list[list], q: PagedQuery) -> pd.DataFrame:
    """ccxt ``[ms, open, high, low, close, volume]`` rows → ``bars`` (ts = bar open, UTC, source = exchange)."""
    if not rows:
        raise SourceError(f"{q.exchange} OHLCV {q.symbol} {q.interval} {q.start:%Y-%m-%d}..{q.end:%Y-%m-%d}: no candles; "
                          f"the market may not have existed then — narrow --since", source=q.exchange, asset=q.asset)
    bad = [i for i, r in enumerate(rows) if not isinstance(r, (list, tuple)) or len(r) < 6]
    if bad:
        raise SourceError(f"{q.exchange} OHLCV {q.symbol}: candle {bad[0] + 1} is not [ts, o, h, l, c, v]; ccxt/exchange changed",
                          source=q.exchange)
    df = pd.DataFrame([r[:6] for r in rows], columns=["ms", "open", "high", "low", "close", "volume"])
    df = df.drop_duplicates("ms", keep="last")
    df.insert(0, "ts", pd.to_datetime(df.pop("ms"), unit="ms", utc=True))
    df.insert(0, "interval", q.interval)
    df.insert(0, "asset", q.asset)
    df["source"] = q.exchange
    # only finished candles: a bar still open at the request's end (at most now) would be stored as that period's
    # close and, being present, never fetched again
    df = df[df["ts"] + timeframe_delta(q.interval) <= q.end]
    if df.empty:
        raise SourceError(f"{q.exchange} OHLCV {q.symbol} {q.interval}: no finished candle before {q.end:%Y-%m-%d %H:%M} UTC; "
                          f"widen --until", source=q.exchange, asset=q.asset)
    return df.sort_values("ts").reset_index(drop=True)


# -- funding ----------------------------------------------------------------------------------------------
def extract_funding(ex, q: PagedQuery) -> list[dict]:
    return _page(ex, q, f"funding {q.symbol}",
                 lambda since: ex.fetch_funding_rate_history(q.symbol, since=since, limit=q.limit),
                 lambda r: r["timestamp"])


def transform_funding(rows: list[dict], q: PagedQuery) -> pd.DataFrame:
    """Funding structures → ``derivatives`` rows: ts = start of the funding interval that the rate pays for.

    The funding interval is read from the spacing of the stamps (median; 8h if there is only one).
    """
    if not rows:
        raise SourceError(f"{q.exchange} funding {q.symbol} {q.start:%Y-%m-%d}..{q.end:%Y-%m-%d}: no funding rates; "
                          f"check the perpetual symbol (symbols.{q.exchange}_perp)", source=q.exchange, asset=q.asset)
    missing = [i for i, r in enumerate(rows) if r.get("timestamp") is None or r.get("fundingRate") is None]
    if missing:
        raise SourceError(f"{q.exchange} funding {q.symbol}: entry {missing[0] + 1} lacks timestamp/fundingRate; the answer changed",
                          source=q.exchange)
    t = pd.to_datetime(pd.Series([r["timestamp"] for r in rows]), unit="ms", utc=True)
    gaps = t.sort_values().diff().dropna()
    step = gaps.median().round("h") if len(gaps) else pd.Timedelta(hours=8)
    if step <= pd.Timedelta(0):
        step = pd.Timedelta(hours=8)
    label = f"{int(step / pd.Timedelta(hours=1))}h"
    df = pd.DataFrame({
        "asset": q.asset, "interval": label, "ts": t - step, "venue": q.exchange, "source": f"{q.exchange}/funding",
        "funding_rate": [float(r["fundingRate"]) for r in rows],
    })
    return df.drop_duplicates("ts", keep="last").sort_values("ts").reset_index(drop=True)


# -- open interest ----------------------------------------------------------------------------------------
def extract_open_interest(ex, q: PagedQuery) -> list[dict]:
    return _page(ex, q, f"open interest {q.symbol}",
                 lambda since: ex.fetch_open_interest_history(q.symbol, q.interval, since=since, limit=q.limit),
                 lambda r: r["timestamp"])


def transform_open_interest(rows: list[dict], q: PagedQuery, close: pd.Series | None = None) -> pd.DataFrame:
    """Open-interest structures → ``derivatives`` rows with ``open_interest_usd``.

    Uses ``openInterestValue`` (USD) where the exchange gives it, else ``openInterestAmount`` × ``close`` at
    the same timestamp (``close`` indexed by UTC ts); a row with neither is an error naming it.
    """
    if not rows:
        raise SourceError(f"{q.exchange} open interest {q.symbol} {q.start:%Y-%m-%d}..{q.end:%Y-%m-%d}: no data; "
                          f"check the perpetual symbol or the exchange's history limit", source=q.exchange, asset=q.asset)
    out = []
    for i, r in enumerate(rows):
        if r.get("timestamp") is None:
            raise SourceError(f"{q.exchange} open interest {q.symbol}: entry {i + 1} lacks a timestamp", source=q.exchange)
        ts = pd.Timestamp(r["timestamp"], unit="ms", tz="UTC")
        val = r.get("openInterestValue")
        if val is None and r.get("openInterestAmount") is not None and close is not None and ts in close.index:
            val = float(r["openInterestAmount"]) * float(close.loc[ts])
        if val is None:
            raise SourceError(f"{q.exchange} open interest {q.symbol} at {ts}: neither USD value nor a price to convert "
                              f"the contract amount; fetch perp OHLCV for the same interval first", source=q.exchange)
        out.append({"asset": q.asset, "interval": q.interval, "ts": ts, "venue": q.exchange,
                    "source": f"{q.exchange}/oi", "open_interest_usd": float(val)})
    df = pd.DataFrame(out)
    return df.drop_duplicates("ts", keep="last").sort_values("ts").reset_index(drop=True)


# -- liquidations -----------------------------------------------------------------------------------------
def liquidated_side(exchange: str, liq: Mapping[str, Any]) -> str:
    """``long`` or ``short``: which position was liquidated.

    Notes
    -----
    The raw messages differ: Binance ``forceOrder.S`` is the side of the forced order (SELL closes a long);
    Bybit's ``S`` = Buy means a long was liquidated; Gate's ``size`` > 0 is a long position; OKX gives
    ``posSide``. ccxt's unified ``side`` is used only where none of these is present.
    """
    info = liq.get("info") or {}
    if exchange.startswith("binance") and "S" in info:
        return "long" if str(info["S"]).upper() == "SELL" else "short"
    if exchange == "bybit" and "S" in info:
        return "long" if str(info["S"]).lower() == "buy" else "short"
    if exchange == "gate" and info.get("size") is not None:
        return "long" if float(info["size"]) > 0 else "short"
    if info.get("posSide") in ("long", "short"):
        return info["posSide"]
    side = str(liq.get("side") or "").lower()
    if side in ("long", "short"):
        return side
    raise SourceError(f"{exchange} liquidation at {liq.get('datetime')}: cannot tell the liquidated side; update selloff's side rule",
                      source=exchange)


def liquidation_usd(liq: Mapping[str, Any]) -> float:
    if liq.get("quoteValue") is not None:
        return abs(float(liq["quoteValue"]))
    if liq.get("baseValue") is not None and liq.get("price") is not None:
        return abs(float(liq["baseValue"]) * float(liq["price"]))
    if liq.get("contracts") is not None and liq.get("price") is not None:
        return abs(float(liq["contracts"]) * float(liq.get("contractSize") or 1) * float(liq["price"]))
    raise SourceError(f"liquidation at {liq.get('datetime')} has no value, price or size; the exchange answer changed")


def extract_liquidations(ex, q: PagedQuery) -> list[dict]:
    if not ex.has.get("fetchLiquidations"):
        raise SourceError(
            f"{ex.id} offers no liquidation history; use {', '.join(LIQUIDATION_HISTORY_EXCHANGES)}, CoinGlass "
            f"(COINGLASS_API_KEY) or record live ones with `selloff record liquidations`", source=ex.id)
    return _page(ex, q, f"liquidations {q.symbol}",
                 lambda since: ex.fetch_liquidations(q.symbol, since=since, limit=q.limit), lambda r: r["timestamp"])


def aggregate_liquidations(liqs: Sequence[Mapping[str, Any]], *, exchange: str, asset: str, interval: str,
                           source: str, coverage: str) -> pd.DataFrame:
    """Individual liquidations → per-interval ``liq_long_usd`` / ``liq_short_usd`` sums (ts = interval open)."""
    if not liqs:
        return pd.DataFrame(columns=["asset", "interval", "ts", "venue", "source", "liq_long_usd", "liq_short_usd", "coverage"])
    step = timeframe_delta(interval)
    recs = []
    for lq in liqs:
        if lq.get("timestamp") is None:
            raise SourceError(f"{exchange} liquidation for {asset} lacks a timestamp; the answer changed", source=exchange)
        side = liquidated_side(exchange, lq)
        usd = liquidation_usd(lq)
        recs.append((pd.Timestamp(lq["timestamp"], unit="ms", tz="UTC").floor(step), side, usd))
    df = pd.DataFrame(recs, columns=["ts", "side", "usd"])
    wide = df.pivot_table(index="ts", columns="side", values="usd", aggfunc="sum", fill_value=0.0)
    out = pd.DataFrame({
        "asset": asset, "interval": interval, "ts": wide.index, "venue": exchange, "source": source,
        "liq_long_usd": wide["long"].to_numpy() if "long" in wide else 0.0,
        "liq_short_usd": wide["short"].to_numpy() if "short" in wide else 0.0,
        "coverage": coverage,
    })
    return out.reset_index(drop=True)


def transform_liquidations(liqs: list[dict], q: PagedQuery) -> pd.DataFrame:
    """Liquidation history of one venue, summed per ``q.interval``; labelled partial (one venue only)."""
    return aggregate_liquidations(
        liqs, exchange=q.exchange, asset=q.asset, interval=q.interval, source=f"{q.exchange}/liquidations",
        coverage=f"partial: {q.exchange} public liquidation history only (one venue) — undercount of the market",
    )


# -- provider (planning) ------------------------------------------------------------------------------------
def _pages(start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta, per_page: int = 500) -> int:
    return max(1, math.ceil((end - start) / step / per_page))


@registry.register
class CcxtProvider(registry.Provider):
    """Spot OHLCV, perp funding and open interest per exchange; liquidation history where an exchange has it."""

    name = "ccxt"

    def validate(self, ctx: FetchContext, interval: str) -> None:
        import ccxt  # noqa: PLC0415

        unknown = [e for e in (*ctx.exchanges, *ctx.liquidation_exchanges) if e not in ccxt.exchanges]
        if unknown:
            raise ConfigError(f"--exchanges: {', '.join(unknown)} not known to ccxt; use ccxt ids such as "
                              f"{', '.join(DEFAULT_EXCHANGES)} or {', '.join(LIQUIDATION_HISTORY_EXCHANGES)}")

    def build_query(self, ctx: FetchContext, **params: Any) -> PagedQuery:
        return build_query(**params)

    def extract(self, ctx: FetchContext, query: PagedQuery) -> Any:
        ex = ctx.exchange(query.exchange)
        if query.kind == "ohlcv":
            return extract_ohlcv(ex, query)
        if query.kind == "funding":
            return extract_funding(ex, query)
        if query.kind == "oi":
            rows = extract_open_interest(ex, query)
            needs_close = rows and any(r.get("openInterestValue") is None for r in rows)
            return rows, extract_ohlcv(ex, query) if needs_close else None
        return extract_liquidations(ex, query)

    def transform(self, query: PagedQuery, raw: Any) -> Frames:
        if query.kind == "ohlcv":
            return [("bars", transform_ohlcv(raw, query))]
        if query.kind == "funding":
            return [("derivatives", transform_funding(raw, query))]
        if query.kind == "oi":
            rows, candles = raw
            close = None if candles is None else transform_ohlcv(candles, query).set_index("ts")["close"]
            return [("derivatives", transform_open_interest(rows, query, close))]
        df = transform_liquidations(raw, query)
        return [("derivatives", df)] if len(df) else []

    def plan_tasks(self, ctx, assets, coverage, start, end, interval, step, now) -> list[Task]:
        tasks = []
        tokens = [a for a in assets if a.kind == "token"]
        for ex_id in ctx.exchanges:
            for a in tokens:
                spot, perp = a.symbols.get(ex_id), a.symbols.get(f"{ex_id}_perp")
                if spot:
                    for s, e in coverage.bar_gaps({"asset": a.id, "interval": interval, "source": ex_id}, start, end, step):
                        q = build_query(ex_id, a.id, spot, s, e, interval, now=now)
                        tasks.append(self.task(ctx, q, "ohlcv", f"{ex_id} {spot} {interval}", asset=a.id, start=q.start,
                                               end=q.end, calls=_pages(q.start, q.end, step)))
                if perp:
                    tasks += self._plan_perp(ctx, a.id, ex_id, perp, coverage, start, end, interval, step, now)
        for ex_id in ctx.liquidation_exchanges:
            for a in tokens:
                perp = a.symbols.get(f"{ex_id}_perp")
                if not perp:
                    continue
                match = {"asset": a.id, "interval": interval, "venue": ex_id, "source": f"{ex_id}/liquidations"}
                for s, e in coverage.ranges("derivatives", match, start, end, step):
                    q = build_query(ex_id, a.id, perp, s, e, interval, now=now, kind="liquidations")
                    tasks.append(self.task(ctx, q, "liquidations", f"{ex_id} {perp} liquidation history (partial: one venue)",
                                           asset=a.id, start=q.start, end=q.end, calls=_pages(q.start, q.end, step, 100)))
        return tasks

    def _plan_perp(self, ctx, asset, ex_id, perp, coverage, start, end, interval, step, now) -> list[Task]:
        tasks = []
        for kind in ("funding", "oi"):
            match = {"asset": asset, "venue": ex_id, "source": f"{ex_id}/{kind}"}
            if kind == "oi":
                match["interval"] = interval
            for s, e in coverage.ranges("derivatives", match, start, end, step):
                try:
                    q = build_query(ex_id, asset, perp, s, e, interval, now=now, kind=kind)
                except SelloffError as exc:
                    tasks.append(skip_task(self.name, asset, str(exc)))
                    continue
                what = f"{ex_id} {perp} " + ("funding" if kind == "funding" else f"open interest {interval}")
                pages = _pages(q.start, q.end, pd.Timedelta(hours=8) if kind == "funding" else step)
                tasks.append(self.task(ctx, q, kind, what, asset=asset, start=q.start, end=q.end, calls=pages, notes=q.notes))
        return tasks
