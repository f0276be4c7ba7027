"""CoinGecko fetcher: coin list and symbol resolution, markets snapshot, historical market charts, categories.

Every call follows the fetcher steps: ``build_*`` validates parameters (and plans chunks), ``extract_*`` is the
only network step (through :class:`~selloff.sources._http.JsonClient`), ``transform_*`` turns the raw JSON into
a frame in the store's schema (tz-aware UTC). A body that lacks a documented field is a :class:`SourceError`.

Keys: ``COINGECKO_PRO_API_KEY`` (header ``x-cg-pro-api-key``, base ``https://pro-api.coingecko.com/api/v3``) or
``COINGECKO_API_KEY`` (demo, header ``x-cg-demo-api-key``, base ``https://api.coingecko.com/api/v3``); without
either the keyless public API is used with the demo limits. ``COINGECKO_BASE_URL`` overrides the base URL.

Granularity of ``/coins/{id}/market_chart/range`` is chosen by the API from the span of the request: about a
day from now gives 5-minute points, 2-90 days hourly points, more than 90 days daily points (00:00 UTC). A
request is therefore split into chunks whose span selects the wanted granularity. The demo/keyless API only
serves the last 365 days.

References
----------
CoinGecko API v3 reference, https://docs.coingecko.com/reference/coins-id-market-chart-range
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import pandas as pd

from selloff.errors import ConfigError, SelloffError, SourceError
from selloff.sources import registry
from selloff.sources._http import HttpPolicy, JsonClient
from selloff.sources.tasks import FetchContext, Frames, Task, skip_task
from selloff.timeutil import utc

DEMO_BASE = "https://api.coingecko.com/api/v3"
PRO_BASE = "https://pro-api.coingecko.com/api/v3"
SOURCE = "coingecko"
DEMO_HISTORY_DAYS = 365
DEMO_CALLS_PER_MINUTE = 30
PRO_CALLS_PER_MINUTE = 500

# interval -> (largest chunk span that still yields it, smallest span that yields it)
_GRANULARITY = {
    "5m": (pd.Timedelta(days=1), pd.Timedelta(0)),
    "1h": (pd.Timedelta(days=90), pd.Timedelta(days=2)),
    "1d": (pd.Timedelta(days=365), pd.Timedelta(days=91)),
}
INTERVALS = tuple(_GRANULARITY)


@dataclass(frozen=True)
class Chunk:
    coin_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    interval: str


@dataclass(frozen=True)
class ChartQuery:
    asset: str
    coin_id: str
    interval: str
    start: pd.Timestamp
    end: pd.Timestamp
    chunks: tuple[Chunk, ...]
    notes: tuple[str, ...] = ()
    """What the plan could not cover (e.g. the demo key's 365-day limit)."""


@dataclass
class CoinGecko:
    """A CoinGecko connection (plan, base URL, headers, budget).

    Use :meth:`from_env` for the user's keys; tests construct it with ``base_url`` of a loopback server.
    """

    plan: str = "public"
    """``public`` (no key), ``demo`` or ``pro``."""
    base_url: str = DEMO_BASE
    api_key: str | None = field(default=None, repr=False)
    policy: HttpPolicy = field(default_factory=lambda: HttpPolicy(calls_per_minute=DEMO_CALLS_PER_MINUTE))
    now: pd.Timestamp | None = None
    """Clock for the history limit (tests fix it)."""

    def __post_init__(self) -> None:
        headers = {}
        if self.api_key:
            headers["x-cg-pro-api-key" if self.plan == "pro" else "x-cg-demo-api-key"] = self.api_key
        self.client = JsonClient(SOURCE, self.base_url, headers, self.policy)

    @classmethod
    def from_env(cls, base_url: str | None = None, calls_per_minute: float | None = None,
                 policy: HttpPolicy | None = None) -> "CoinGecko":
        pro = os.environ.get("COINGECKO_PRO_API_KEY")
        demo = os.environ.get("COINGECKO_API_KEY")
        plan, key = ("pro", pro) if pro else (("demo", demo) if demo else ("public", None))
        base = base_url or os.environ.get("COINGECKO_BASE_URL") or (PRO_BASE if plan == "pro" else DEMO_BASE)
        default = PRO_CALLS_PER_MINUTE if plan == "pro" else DEMO_CALLS_PER_MINUTE
        cpm = default if calls_per_minute is None else calls_per_minute
        pol = policy or HttpPolicy(calls_per_minute=cpm)
        if policy is not None and calls_per_minute is not None:
            pol = replace(policy, calls_per_minute=cpm)
        return cls(plan=plan, base_url=base, api_key=key, policy=pol)

    def close(self) -> None:
        self.client.close()

    @property
    def calls(self) -> int:
        return self.client.calls

    def _now(self) -> pd.Timestamp:
        return self.now if self.now is not None else pd.Timestamp.now(tz="UTC")

    @property
    def history_limit(self) -> pd.Timestamp | None:
        """Earliest timestamp this plan may ask for (``None``: unlimited)."""
        if self.plan == "pro":
            return None
        return self._now() - pd.Timedelta(days=DEMO_HISTORY_DAYS)

    # -- coin list and symbol resolution -----------------------------------------------------------------
    def extract_coins_list(self) -> list[dict]:
        return self.client.get_json("/coins/list", what="coin list")

    def resolve_symbol(self, symbol: str, coins: list[dict] | None = None) -> str:
        """CoinGecko id for a ticker symbol or id; ambiguous symbols raise :class:`SourceError` with candidates."""
        coins = self.extract_coins_list() if coins is None else coins
        return resolve_symbol(symbol, coins)

    # -- markets snapshot --------------------------------------------------------------------------------
    def extract_markets(self, coin_ids: Sequence[str]) -> list[dict]:
        if not coin_ids:
            raise ConfigError("coingecko markets: no coin ids; give assets with coingecko_id in the universe")
        out: list[dict] = []
        ids = list(coin_ids)
        for i in range(0, len(ids), 250):
            part = ids[i : i + 250]
            out += self.client.get_json(
                "/coins/markets",
                {"vs_currency": "usd", "ids": ",".join(part), "per_page": 250, "page": 1},
                what=f"markets for {len(part)} coins",
            )
        return out

    # -- historical chart --------------------------------------------------------------------------------
    def build_chart_query(self, asset: str, coin_id: str, start: object, end: object, interval: str = "1d") -> ChartQuery:
        return build_chart_query(asset, coin_id, start, end, interval, history_limit=self.history_limit,
                                 now=self._now(), plan=self.plan)

    def extract_chart(self, q: ChartQuery) -> list[dict]:
        bodies = []
        for c in q.chunks:
            bodies.append(self.client.get_json(
                f"/coins/{c.coin_id}/market_chart/range",
                {"vs_currency": "usd", "from": int(c.start.timestamp()), "to": int(c.end.timestamp())},
                what=f"{q.asset} {c.start:%Y-%m-%d}..{c.end:%Y-%m-%d}",
            ))
        return bodies

    # -- categories --------------------------------------------------------------------------------------
    def extract_categories(self) -> list[dict]:
        return self.client.get_json("/coins/categories", {"order": "market_cap_desc"}, what="categories")

    def extract_categories_list(self) -> list[dict]:
        return self.client.get_json("/coins/categories/list", what="category list")


# ------------------------------------------------------------------------------------------------------------
# pure steps (no network)
# ------------------------------------------------------------------------------------------------------------
def resolve_symbol(symbol: str, coins: list[dict]) -> str:
    """Map a ticker (``tao``) or id (``bittensor``) to one CoinGecko id.

    Raises
    ------
    SourceError
        Unknown symbol, or a symbol shared by several coins (the message lists the candidate ids).
    """
    _require_list(coins, "/coins/list", ("id", "symbol", "name"))
    s = symbol.strip().lower()
    if any(c["id"] == s for c in coins):
        return s
    hits = [c for c in coins if c["symbol"].lower() == s]
    if not hits:
        raise SourceError(f"coingecko: unknown symbol '{symbol}'; set coingecko_id for it in the universe TOML",
                          source=SOURCE, symbol=symbol)
    if len(hits) > 1:
        cands = ", ".join(f"{c['id']} ({c['name']})" for c in hits[:10])
        raise SourceError(
            f"coingecko: symbol '{symbol}' is ambiguous: {cands}; set coingecko_id in the universe TOML",
            source=SOURCE, symbol=symbol,
        )
    return hits[0]["id"]


def build_chart_query(asset: str, coin_id: str, start: object, end: object, interval: str = "1d", *,
                      history_limit: pd.Timestamp | None = None, now: pd.Timestamp | None = None,
                      plan: str = "demo") -> ChartQuery:
    """Validate a chart request and split it into chunks whose span makes the API return ``interval``.

    Notes
    -----
    ``5m`` is only served for the last day before now; ``1h`` chunks span 2-90 days and ``1d`` chunks 91-365
    days (a shorter remainder is widened backwards to 91 days and trimmed after the fetch). On the demo or
    keyless API the range is clipped to the last 365 days and the clipped part is reported in ``notes``.
    """
    if interval not in _GRANULARITY:
        raise ConfigError(f"coingecko interval '{interval}' not offered; use one of {', '.join(INTERVALS)}")
    if not coin_id:
        raise ConfigError(f"asset {asset} has no coingecko_id; add it to the universe TOML")
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    s, e = utc(start, "--since"), min(utc(end, "--until"), now)
    if s >= e:
        raise ConfigError(f"coingecko {asset}: empty range {s:%Y-%m-%d}..{e:%Y-%m-%d}; --since must be before --until and now")
    notes: list[str] = []
    if history_limit is not None and s < history_limit:
        if e <= history_limit:
            raise SourceError(
                f"coingecko {asset}: {s:%Y-%m-%d}..{e:%Y-%m-%d} is older than the {plan} plan's "
                f"{DEMO_HISTORY_DAYS}-day history limit (earliest {history_limit:%Y-%m-%d}); "
                f"set COINGECKO_PRO_API_KEY or use exchange data (--source ccxt)",
                source=SOURCE, asset=asset,
            )
        notes.append(
            f"{asset}: {s:%Y-%m-%d}..{history_limit:%Y-%m-%d} skipped — CoinGecko {plan} plan serves only the "
            f"last {DEMO_HISTORY_DAYS} days (use a pro key or exchange data for it)"
        )
        s = history_limit.ceil("D") if interval == "1d" else history_limit.ceil("h")
    max_span, min_span = _GRANULARITY[interval]
    if interval == "5m" and s < now - max_span:
        raise SourceError(
            f"coingecko {asset}: 5-minute points exist only for the last day (asked from {s:%Y-%m-%d %H:%M}); "
            f"use --interval 1h or exchange OHLCV", source=SOURCE, asset=asset,
        )
    chunks: list[Chunk] = []
    cur = s
    while cur < e:
        stop = min(cur + max_span, e)
        lo = cur
        if stop - lo < min_span:
            lo = stop - min_span
            if history_limit is not None and lo < history_limit:
                lo = history_limit
        chunks.append(Chunk(coin_id, lo, stop, interval))
        cur = stop
    return ChartQuery(asset, coin_id, interval, s, e, tuple(chunks), tuple(notes))


def _require_list(body: object, what: str, fields: Iterable[str]) -> None:
    if not isinstance(body, list):
        raise SourceError(f"coingecko {what}: expected a JSON array, got {type(body).__name__}; the API changed or answered an error",
                          source=SOURCE)
    for i, row in enumerate(body):
        if not isinstance(row, dict):
            raise SourceError(f"coingecko {what}: item {i} is not an object; the API changed", source=SOURCE)
        missing = [f for f in fields if f not in row]
        if missing:
            raise SourceError(
                f"coingecko {what}: item {i} ({row.get('id', '?')}) lacks field(s) {missing}; the API's schema changed — update selloff",
                source=SOURCE,
            )


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _points(pts: object, what: str) -> dict[int, float | None]:
    """``[[ms, value], ...]`` → ``{ms: value}``; every item is checked, a bad one is named by its index."""
    if not isinstance(pts, list):
        raise SourceError(f"coingecko {what}: expected a list of [ms, value] pairs, got {type(pts).__name__}; the API changed",
                          source=SOURCE)
    out: dict[int, float | None] = {}
    for j, p in enumerate(pts):
        if not (isinstance(p, list) and len(p) == 2 and _is_number(p[0]) and (p[1] is None or _is_number(p[1]))):
            raise SourceError(f"coingecko {what}: item {j} is {str(p)[:40]}, not a [ms, number] pair; the answer is "
                              f"corrupt or the API changed — retry later", source=SOURCE)
        out[int(p[0])] = p[1]
    return out


def _number(row: dict, key: str, what: str, i: int, required: bool = False) -> float | None:
    """``row[key]`` as a float (``None`` stays ``None`` unless ``required``); anything else names item ``i``."""
    v = row[key]
    if v is None and not required:
        return None
    if not _is_number(v):
        raise SourceError(f"coingecko {what}: item {i} ({row.get('id', '?')}) has {key}={str(v)[:30]!r}, not a number; "
                          f"the answer is corrupt or the API changed — retry later", source=SOURCE)
    return float(v)


def transform_markets(body: list[dict], id_to_asset: dict[str, str], fetched_at: datetime | None = None) -> pd.DataFrame:
    """``/coins/markets`` → ``market_caps`` rows (one snapshot per coin at its ``last_updated``)."""
    _require_list(body, "/coins/markets", ("id", "current_price", "market_cap", "total_volume", "circulating_supply", "last_updated"))
    fetched = pd.Timestamp(fetched_at or datetime.now(timezone.utc))
    rows = []
    for i, r in enumerate(body):
        if r["id"] not in id_to_asset:
            continue
        if r["market_cap"] is None:
            raise SourceError(f"coingecko /coins/markets: {r['id']} has no market_cap; drop the asset or retry later",
                              source=SOURCE, asset=id_to_asset[r["id"]])
        ts = pd.Timestamp(r["last_updated"]) if r["last_updated"] else fetched
        rows.append({
            "asset": id_to_asset[r["id"]],
            "ts": ts.tz_convert("UTC") if ts.tzinfo else ts.tz_localize("UTC"),
            "source": SOURCE,
            "market_cap_usd": _number(r, "market_cap", "/coins/markets", i, required=True),
            "circulating_supply": _number(r, "circulating_supply", "/coins/markets", i),
            "price_usd": _number(r, "current_price", "/coins/markets", i),
            "volume_usd_24h": _number(r, "total_volume", "/coins/markets", i),
        })
    missing = sorted(set(id_to_asset) - {r["id"] for r in body})
    if missing:
        raise SourceError(f"coingecko /coins/markets: no answer for {', '.join(missing)}; check coingecko_id in the universe",
                          source=SOURCE)
    df = pd.DataFrame(rows)
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df


def transform_chart(q: ChartQuery, bodies: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chart chunks → (``bars``, ``market_caps``) frames.

    Notes
    -----
    A CoinGecko point at time *t* is the price at *t*, i.e. the close of the bar that ends at *t*: the bar's
    open time is ``floor(t, interval) - interval`` (a daily point at 00:00 UTC closes the previous day). Only
    ``close`` is known (open/high/low stay null). Market caps keep the point's own timestamp. Points outside
    the requested range (widened chunks) and the trailing "now" point of a daily chart are dropped.
    """
    step = pd.Timedelta({"5m": "5min", "1h": "1h", "1d": "1D"}[q.interval])
    frames = []
    for i, body in enumerate(bodies):
        if not isinstance(body, dict):
            raise SourceError(f"coingecko market_chart {q.asset} chunk {i + 1}: expected an object; the API changed", source=SOURCE)
        missing = [k for k in ("prices", "market_caps", "total_volumes") if k not in body]
        if missing:
            raise SourceError(
                f"coingecko market_chart {q.asset} chunk {i + 1}: missing {missing}; the API's schema changed — update selloff",
                source=SOURCE, asset=q.asset,
            )
        parts = {k: pd.Series(_points(body[k], f"market_chart {q.asset} chunk {i + 1} '{k}'"), dtype="float64")
                 for k in ("prices", "market_caps", "total_volumes")}
        frames.append(pd.DataFrame(parts))
    if not frames or all(f.empty for f in frames):
        raise SourceError(
            f"coingecko market_chart {q.asset} {q.start:%Y-%m-%d}..{q.end:%Y-%m-%d}: no points; "
            f"the coin may not have traded then — check the range",
            source=SOURCE, asset=q.asset,
        )
    raw = pd.concat(frames)
    raw = raw[~raw.index.duplicated(keep="last")].sort_index()
    t = pd.to_datetime(raw.index, unit="ms", utc=True)
    raw.index = t
    raw = raw[(t >= q.start) & (t <= q.end)]
    if q.interval == "1d":
        raw = raw[raw.index == raw.index.floor("D")]
    raw = raw[raw["prices"].notna()]
    bad = raw["prices"] <= 0
    if bad.any():
        at = raw.index[bad.to_numpy().argmax()]
        raise SourceError(f"coingecko market_chart {q.asset}: non-positive price at {at}; report it to CoinGecko or skip the date",
                          source=SOURCE, asset=q.asset)
    bar_ts = raw.index.floor(step) - step
    bars = pd.DataFrame({
        "asset": q.asset, "interval": q.interval, "ts": bar_ts, "source": SOURCE,
        "close": raw["prices"].to_numpy(), "volume": None,
    })
    bars = bars.drop_duplicates(subset=["ts"], keep="last").reset_index(drop=True)
    mc = raw[raw["market_caps"].notna()]
    caps = pd.DataFrame({
        "asset": q.asset, "ts": mc.index, "source": SOURCE,
        "market_cap_usd": mc["market_caps"].to_numpy(), "price_usd": mc["prices"].to_numpy(),
        "volume_usd_24h": mc["total_volumes"].to_numpy(),
    }).reset_index(drop=True)
    return bars, caps


def transform_categories(categories: list[dict], names: list[dict] | None = None,
                         fetched_at: datetime | None = None) -> pd.DataFrame:
    """``/coins/categories`` (+ ``/coins/categories/list`` for names) → ``category_caps`` rows.

    Categories without a market cap (CoinGecko answers ``null`` for empty ones) are left out.
    """
    _require_list(categories, "/coins/categories", ("id", "name", "market_cap", "market_cap_change_24h", "volume_24h", "updated_at"))
    name_of = {}
    if names is not None:
        _require_list(names, "/coins/categories/list", ("category_id", "name"))
        name_of = {n["category_id"]: n["name"] for n in names}
    fetched = pd.Timestamp(fetched_at or datetime.now(timezone.utc))
    rows = []
    for i, c in enumerate(categories):
        if c["market_cap"] is None:
            continue
        ts = pd.Timestamp(c["updated_at"]) if c["updated_at"] else fetched
        rows.append({
            "provider": "coingecko", "category": c["id"],
            "ts": ts.tz_convert("UTC") if ts.tzinfo else ts.tz_localize("UTC"),
            "source": SOURCE, "name": name_of.get(c["id"], c["name"]),
            "market_cap_usd": _number(c, "market_cap", "/coins/categories", i, required=True),
            "market_cap_change_24h_pct": _number(c, "market_cap_change_24h", "/coins/categories", i),
            "volume_usd_24h": _number(c, "volume_24h", "/coins/categories", i),
            "members": ",".join(c.get("top_3_coins_id") or []) or None,
        })
    if not rows:
        raise SourceError("coingecko /coins/categories: no category with a market cap; retry later", source=SOURCE)
    df = pd.DataFrame(rows)
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df


# ------------------------------------------------------------------------------------------------------------
# provider (planning)
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SnapshotQuery:
    """A snapshot request: ``markets`` of the coins in ``id_to_asset`` or all ``categories``."""

    kind: str
    id_to_asset: Mapping[str, str] = field(default_factory=dict)


@registry.register
class CoinGeckoProvider(registry.Provider):
    """Daily/hourly charts (``bars`` closes + ``market_caps``) per token, markets and category snapshots."""

    name = SOURCE

    def build_query(self, ctx: FetchContext, *, kind: str = "market_chart", **params: object) -> ChartQuery | SnapshotQuery:
        if kind == "market_chart":
            return _client(ctx).build_chart_query(**params)
        if kind in ("markets", "categories"):
            return SnapshotQuery(kind, dict(params.get("id_to_asset") or {}))
        raise ConfigError(f"coingecko query kind '{kind}' unknown; use market_chart, markets or categories")

    def extract(self, ctx: FetchContext, query: ChartQuery | SnapshotQuery) -> object:
        cg = _client(ctx)
        if isinstance(query, ChartQuery):
            return cg.extract_chart(query)
        if query.kind == "markets":
            return cg.extract_markets(list(query.id_to_asset))
        return cg.extract_categories(), cg.extract_categories_list()

    def transform(self, query: ChartQuery | SnapshotQuery, raw: object) -> Frames:
        if isinstance(query, ChartQuery):
            bars, caps = transform_chart(query, raw)
            return [("bars", bars), ("market_caps", caps)]
        if query.kind == "markets":
            return [("market_caps", transform_markets(raw, dict(query.id_to_asset)))]
        return [("category_caps", transform_categories(*raw))]

    def plan_tasks(self, ctx, assets, coverage, start, end, interval, step, now) -> list[Task]:
        if ctx.coingecko is None:
            return []
        tasks = []
        tokens = [a for a in assets if a.kind == "token"]
        for a in tokens:
            if not a.coingecko_id:
                tasks.append(skip_task(SOURCE, a.id, f"{a.id} has no coingecko_id in the universe; skipped"))
                continue
            for s, e in coverage.bar_gaps({"asset": a.id, "interval": interval, "source": SOURCE}, start, end, step):
                try:
                    q = self.build_query(ctx, asset=a.id, coin_id=a.coingecko_id, start=s, end=e, interval=interval)
                except SelloffError as exc:
                    tasks.append(skip_task(SOURCE, a.id, str(exc)))
                    continue
                tasks.append(self.task(ctx, q, "market_chart", f"{a.id} ({q.coin_id}) {interval} in {len(q.chunks)} request(s)",
                                       asset=a.id, start=q.start, end=q.end, calls=len(q.chunks), notes=q.notes))
        with_ids = {a.coingecko_id: a.id for a in tokens if a.coingecko_id}
        if with_ids and end >= now - pd.Timedelta(hours=1):
            markets = self.build_query(ctx, kind="markets", id_to_asset=with_ids)
            tasks.append(self.task(ctx, markets, "markets", f"snapshot of {len(with_ids)} coins", start=now, end=now,
                                   calls=math.ceil(len(with_ids) / 250)))
            tasks.append(self.task(ctx, self.build_query(ctx, kind="categories"), "categories",
                                   "category market caps (snapshot)", start=now, end=now, calls=2))
        return tasks


def _client(ctx: FetchContext) -> CoinGecko:
    if ctx.coingecko is None:
        raise ConfigError("coingecko: no client in the fetch context; build one with CoinGecko.from_env()")
    return ctx.coingecko
