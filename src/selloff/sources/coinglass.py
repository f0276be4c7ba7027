"""CoinGlass v4 fetcher (optional, ``COINGLASS_API_KEY``): aggregated liquidations and aggregated open interest.

Endpoints (base ``https://open-api-v4.coinglass.com``, header ``CG-API-KEY``):
``/api/futures/liquidation/aggregated-history`` → ``{"code": "0", "data": [{"time", "aggregated_long_liquidation_usd",
"aggregated_short_liquidation_usd"}]}`` and ``/api/futures/open-interest/aggregated-history`` → ``{"code": "0",
"data": [{"time", "open", "high", "low", "close"}]}``. Errors come as HTTP 200 with ``code`` ≠ ``"0"`` and a ``msg``;
plan limits (e.g. Hobbyist: interval ≥ 4h) are reported naming the plan.

Without a key these figures cannot be had: market-wide (all-exchange) liquidations and aggregated open
interest. :data:`NO_KEY_MESSAGE` says so; the fetch falls back to exchange data labelled ``partial``.

References
----------
CoinGlass API v4, https://docs.coinglass.com/reference/aggregated-liquidation-history
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from selloff.errors import ConfigError, SourceError
from selloff.sources import registry
from selloff.sources._http import HttpPolicy, JsonClient
from selloff.sources.tasks import FetchContext, Frames, Task, skip_task
from selloff.timeutil import utc

BASE = "https://open-api-v4.coinglass.com"
SOURCE = "coinglass"
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "4h", "6h", "8h", "12h", "1d", "1w")
PLAN_MIN_INTERVAL = {"hobbyist": "4h", "startup": "30m"}
NO_KEY_MESSAGE = (
    "no COINGLASS_API_KEY: market-wide liquidations (long/short USD across exchanges) and aggregated open interest "
    "cannot be had; using per-exchange data labelled 'partial' instead (set COINGLASS_API_KEY to get them)"
)
_MS_PER = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def _interval_ms(interval: str) -> int:
    return int(interval[:-1]) * _MS_PER[interval[-1]]


@dataclass
class CoinGlass:
    api_key: str = field(repr=False)
    base_url: str = BASE
    plan: str | None = None
    """Your plan name (``hobbyist``, ``startup``, ``standard``...) — used to check intervals and in messages."""
    policy: HttpPolicy = field(default_factory=lambda: HttpPolicy(calls_per_minute=30))

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ConfigError(NO_KEY_MESSAGE)
        self.client = JsonClient(SOURCE, self.base_url, {"CG-API-KEY": self.api_key}, self.policy)

    @classmethod
    def from_env(cls, base_url: str | None = None, policy: HttpPolicy | None = None) -> "CoinGlass | None":
        """``None`` when no key is set (callers print :data:`NO_KEY_MESSAGE`)."""
        key = os.environ.get("COINGLASS_API_KEY")
        if not key:
            return None
        return cls(key, base_url or os.environ.get("COINGLASS_BASE_URL") or BASE,
                   os.environ.get("COINGLASS_PLAN", "").lower() or None, policy or HttpPolicy(calls_per_minute=30))

    def close(self) -> None:
        self.client.close()

    def build_query(self, coin: str, interval: str, start: object, end: object) -> dict:
        if interval not in INTERVALS:
            raise ConfigError(f"coinglass interval '{interval}' not offered; use one of {', '.join(INTERVALS)}")
        floor = PLAN_MIN_INTERVAL.get(self.plan or "")
        if floor and _interval_ms(interval) < _interval_ms(floor):
            raise ConfigError(f"coinglass {self.plan} plan allows interval >= {floor} (asked {interval}); "
                              f"use --interval {floor} or a larger plan")
        s, e = utc(start, "--since"), utc(end, "--until")
        if s >= e:
            raise ConfigError(f"coinglass {coin}: empty range {s:%Y-%m-%d}..{e:%Y-%m-%d}")
        return {"symbol": coin.upper(), "interval": interval, "start_time": int(s.timestamp() * 1000),
                "end_time": int(e.timestamp() * 1000)}

    def _get(self, path: str, params: dict, what: str) -> list[dict]:
        body = self.client.get_json(path, params, what=what)
        if not isinstance(body, dict) or "code" not in body:
            raise SourceError(f"coinglass {path} ({what}): answer lacks 'code'; the API changed — update selloff", source=SOURCE)
        if str(body["code"]) != "0":
            msg = " ".join(str(body.get("msg", "")).split())[:160]
            plan = self.plan or "current"
            if any(w in msg.lower() for w in ("plan", "upgrade", "permission", "interval")):
                raise SourceError(f"coinglass {path} ({what}): not allowed on your {plan} CoinGlass plan ({msg}); "
                                  f"use a larger interval or upgrade the plan", source=SOURCE)
            raise SourceError(f"coinglass {path} ({what}): code {body['code']} {msg}; check the symbol and the key", source=SOURCE)
        data = body.get("data")
        if not isinstance(data, list):
            raise SourceError(f"coinglass {path} ({what}): 'data' is not a list; the API changed", source=SOURCE)
        return data

    def extract_liquidations(self, q: dict, exchanges: str = "Binance,OKX,Bybit") -> list[dict]:
        return self._get("/api/futures/liquidation/aggregated-history", {**q, "exchange_list": exchanges},
                         what=f"liquidations {q['symbol']} {q['interval']}")

    def extract_open_interest(self, q: dict) -> list[dict]:
        return self._get("/api/futures/open-interest/aggregated-history", q, what=f"open interest {q['symbol']} {q['interval']}")


def _rows(data: list[dict], fields: tuple[str, ...], what: str) -> None:
    if not data:
        raise SourceError(f"coinglass {what}: empty answer; check the coin symbol and the range", source=SOURCE)
    for i, r in enumerate(data):
        missing = [f for f in fields if f not in r]
        if missing:
            raise SourceError(f"coinglass {what}: item {i + 1} lacks {missing}; the API's schema changed — update selloff",
                              source=SOURCE)


def transform_liquidations(data: list[dict], asset: str, interval: str, exchanges: str = "Binance,OKX,Bybit") -> pd.DataFrame:
    """Aggregated liquidation history → ``derivatives`` rows (venue ``aggregate``, ts = interval open)."""
    _rows(data, ("time", "aggregated_long_liquidation_usd", "aggregated_short_liquidation_usd"), f"liquidations {asset}")
    df = pd.DataFrame({
        "asset": asset, "interval": interval,
        "ts": pd.to_datetime([int(r["time"]) for r in data], unit="ms", utc=True),
        "venue": "aggregate", "source": f"{SOURCE}/liquidations",
        "liq_long_usd": [float(r["aggregated_long_liquidation_usd"]) for r in data],
        "liq_short_usd": [float(r["aggregated_short_liquidation_usd"]) for r in data],
        "coverage": f"coinglass aggregate of {exchanges}",
    })
    return df.drop_duplicates("ts", keep="last").reset_index(drop=True)


def transform_open_interest(data: list[dict], asset: str, interval: str) -> pd.DataFrame:
    """Aggregated OI OHLC → ``derivatives`` rows with ``open_interest_usd`` = the interval's close."""
    _rows(data, ("time", "close"), f"open interest {asset}")
    df = pd.DataFrame({
        "asset": asset, "interval": interval,
        "ts": pd.to_datetime([int(r["time"]) for r in data], unit="ms", utc=True),
        "venue": "aggregate", "source": f"{SOURCE}/oi",
        "open_interest_usd": [float(r["close"]) for r in data],
        "coverage": "coinglass aggregate across exchanges",
    })
    return df.drop_duplicates("ts", keep="last").reset_index(drop=True)


# -- provider (planning) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoinGlassQuery:
    """One aggregated-history request: ``kind`` (``liquidations``/``oi``) of ``asset`` at ``interval``."""

    kind: str
    asset: str
    interval: str
    params: dict = field(default_factory=dict)
    """Query string from :meth:`CoinGlass.build_query`."""


@registry.register
class CoinGlassProvider(registry.Provider):
    """Market-wide liquidations and open interest (venue ``aggregate``); needs ``COINGLASS_API_KEY``."""

    name = SOURCE

    def build_query(self, ctx: FetchContext, *, kind: str, asset: str, interval: str, start: object,
                    end: object) -> CoinGlassQuery:
        if ctx.coinglass is None:
            raise ConfigError(NO_KEY_MESSAGE)
        return CoinGlassQuery(kind, asset, interval, ctx.coinglass.build_query(asset, interval, start, end))

    def extract(self, ctx: FetchContext, query: CoinGlassQuery) -> list[dict]:
        if query.kind == "liquidations":
            return ctx.coinglass.extract_liquidations(query.params)
        return ctx.coinglass.extract_open_interest(query.params)

    def transform(self, query: CoinGlassQuery, raw: list[dict]) -> Frames:
        fn = transform_liquidations if query.kind == "liquidations" else transform_open_interest
        return [("derivatives", fn(raw, query.asset, query.interval))]

    def plan_tasks(self, ctx, assets, coverage, start, end, interval, step, now) -> list[Task]:
        if ctx.coinglass is None:
            return [skip_task(SOURCE, None, NO_KEY_MESSAGE)]
        tasks = []
        for a in (a for a in assets if a.kind == "token"):
            for kind in ("liquidations", "oi"):
                match = {"asset": a.id, "interval": interval, "venue": "aggregate", "source": f"{SOURCE}/{kind}"}
                for s, e in coverage.ranges("derivatives", match, start, end, step):
                    q = self.build_query(ctx, kind=kind, asset=a.id, interval=interval, start=s, end=e)
                    tasks.append(self.task(ctx, q, kind, f"{a.id} aggregated {kind} {interval}", asset=a.id, start=s, end=e))
        return tasks
