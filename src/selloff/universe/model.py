"""Universe model: assets, sectors and the dependency graph (token → what it depends on)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from selloff.errors import ConfigError

ASSET_KINDS = ("token", "equity", "index")


@dataclass(frozen=True)
class Asset:
    id: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    coingecko_id: str | None = None
    symbols: dict[str, str] = field(default_factory=dict)
    """Exchange → ccxt market symbol, e.g. ``{"binance": "TAO/USDT", "bybit": "TAO/USDT:USDT"}``."""
    yahoo: str | None = None
    description: str | None = None

    @property
    def trades_24_7(self) -> bool:
        return self.kind == "token"

    @property
    def periods_per_year(self) -> int:
        """365 for crypto (trades every day), 252 for exchange-traded equities and indices."""
        return 365 if self.trades_24_7 else 252

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id, self.name, *self.aliases)


@dataclass(frozen=True)
class Sector:
    id: str
    name: str
    members: tuple[str, ...]
    name_de: str | None = None
    aliases: tuple[str, ...] = ()
    coingecko_category: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Edge:
    """``source`` depends on ``target`` (an asset id or a sector id, which stands for all its members)."""

    source: str
    target: str
    kind: str
    reason: str
    reason_de: str | None = None


@dataclass(frozen=True)
class Universe:
    assets: dict[str, Asset]
    sectors: dict[str, Sector]
    edges: tuple[Edge, ...]
    files: tuple[str, ...] = ()
    """The TOML files this universe was built from, in load order."""

    # -- lookups ------------------------------------------------------------------------------------------
    def asset(self, asset_id: str) -> Asset:
        key = asset_id.strip().upper()
        if key in self.assets:
            return self.assets[key]
        hit = self.resolve(asset_id)
        if hit is not None:
            return hit
        close = difflib.get_close_matches(key, list(self.assets), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(
            f"unknown asset '{asset_id}'{hint}; known: {', '.join(sorted(self.assets))} "
            f"— add it to your universe TOML (--universe FILE)"
        )

    def sector(self, sector_id: str) -> Sector:
        if sector_id in self.sectors:
            return self.sectors[sector_id]
        for s in self.sectors.values():
            if sector_id.lower() in (a.lower() for a in (s.name, *([s.name_de] if s.name_de else []), *s.aliases)):
                return s
        raise ConfigError(
            f"unknown sector '{sector_id}'; known: {', '.join(sorted(self.sectors))} — define it in your universe TOML"
        )

    def resolve(self, name: str) -> Asset | None:
        """Asset by id, name or alias (case-insensitive), or ``None``."""
        n = name.strip().lower()
        for a in self.assets.values():
            if n in (x.lower() for x in a.names):
                return a
        return None

    def members(self, sector_id: str) -> list[Asset]:
        return [self.assets[m] for m in self.sector(sector_id).members]

    def sectors_of(self, asset_id: str) -> list[str]:
        return [s.id for s in self.sectors.values() if asset_id in s.members]

    def dependencies(self, asset_id: str) -> list[tuple[Asset, Edge]]:
        """What ``asset_id`` depends on, sector targets expanded to their members."""
        out: list[tuple[Asset, Edge]] = []
        for e in self.edges:
            if e.source != asset_id:
                continue
            if e.target in self.sectors:
                out.extend((self.assets[m], e) for m in self.sectors[e.target].members)
            else:
                out.append((self.assets[e.target], e))
        return out

    def kind_of(self, asset_id: str) -> str:
        return self.asset(asset_id).kind
