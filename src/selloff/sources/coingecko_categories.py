"""CoinGecko categories as sectors: the coins of one category by market cap (``/coins/markets?category=``).

Fetcher steps as in :mod:`selloff.sources.coingecko`: :func:`extract_category_coins` is the only network step,
:func:`transform_category_coins` checks the documented fields and returns typed rows.

References
----------
CoinGecko API v3 reference: https://docs.coingecko.com/reference/coins-markets (``category`` parameter, ids from
https://docs.coingecko.com/reference/coins-categories).
"""
from __future__ import annotations

from dataclasses import dataclass

from selloff.errors import ConfigError, SourceError
from selloff.sources.coingecko import SOURCE, CoinGecko

__all__ = ["CategoryCoin", "extract_category_coins", "transform_category_coins"]

PAGE = 250
"""Largest ``per_page`` the API accepts."""


@dataclass(frozen=True)
class CategoryCoin:
    coingecko_id: str
    symbol: str
    name: str
    market_cap_usd: float | None
    rank: int | None


def extract_category_coins(cg: CoinGecko, category: str, top: int) -> list[dict]:
    """The ``top`` coins of ``category`` by market cap (raw ``/coins/markets`` rows), paged by 250."""
    if not isinstance(top, int) or top < 1:
        raise ConfigError(f"--top {top!r} is not a positive number of coins; pass e.g. --top 20")
    out: list[dict] = []
    page = 1
    while len(out) < top:
        n = min(PAGE, top - len(out)) if page == 1 and top < PAGE else PAGE
        body = cg.client.get_json("/coins/markets", {"vs_currency": "usd", "category": category,
                                                     "order": "market_cap_desc", "per_page": n, "page": page},
                                  what=f"coins of category {category}")
        if not isinstance(body, list):
            raise SourceError(f"coingecko /coins/markets?category={category}: answer is not a list; retry later",
                              source=SOURCE)
        out += body
        if len(body) < n:
            break
        page += 1
    return out[:top]


def transform_category_coins(body: list[dict], category: str) -> list[CategoryCoin]:
    """Typed rows of :func:`extract_category_coins`; a row without id, symbol or name is a :class:`SourceError`."""
    rows = []
    for i, r in enumerate(body):
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) and r.get(k) for k in ("id", "symbol", "name")):
            raise SourceError(f"coingecko /coins/markets?category={category}: row {i} lacks id, symbol or name; "
                              f"retry later", source=SOURCE)
        cap = r.get("market_cap")
        rank = r.get("market_cap_rank")
        rows.append(CategoryCoin(r["id"], r["symbol"], r["name"],
                                 float(cap) if isinstance(cap, (int, float)) and not isinstance(cap, bool) else None,
                                 int(rank) if isinstance(rank, int) and not isinstance(rank, bool) else None))
    return rows
