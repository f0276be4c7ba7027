"""``selloff universe sync``: build or refresh sectors from a provider's categories into the user's universe file.

CoinGecko: ``/coins/categories`` checks the category ids (each sector's ``coingecko_category``, plus any asked
for), ``/coins/markets?category=ID`` gives each category's top coins by market cap. A coin the universe knows (by
CoinGecko id) keeps its id; a new coin gets its ticker as id (or ``TICKER-<coingecko id>`` when the ticker is
taken by another coin). The sector's members become the category's top ``N``; what changed is returned, the file
is rewritten (its comments are not kept) and the universe loads it after the bundled files.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from selloff.errors import ConfigError
from selloff.sources.coingecko import CoinGecko
from selloff.sources.coingecko_categories import extract_category_coins, transform_category_coins
from selloff.universe import Universe
from selloff.universe.loader import ID_PATTERN
from selloff.universe.writer import dumps

__all__ = ["SyncResult", "sync_coingecko"]

HEADER = ("Written by `selloff universe sync --provider coingecko`: sectors from CoinGecko categories (top coins by\n"
          "market cap). Edit freely; a later sync rewrites the members of the synced sectors and keeps the rest.")


@dataclass(frozen=True)
class SyncResult:
    """What a sync changed: one row per sector (added, removed members; new assets) and the file written."""

    path: Path
    changes: pd.DataFrame
    """sector, category, members (after), added, removed (comma-separated ids)."""
    new_assets: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        import json

        return {"path": str(self.path), "new_assets": list(self.new_assets), "notes": list(self.notes),
                "changes": json.loads(self.changes.to_json(orient="records"))}


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"universe file {path} cannot be read as TOML ({exc}); fix or move it before a sync") from None


def _asset_id(coin, universe: Universe, taken: dict[str, str]) -> str | None:
    """Universe id of a CoinGecko coin: the known one, else its ticker, else ticker-id; None if unusable."""
    for a in universe.assets.values():
        if a.coingecko_id == coin.coingecko_id:
            return a.id
    if coin.coingecko_id in taken.values():
        return next(k for k, v in taken.items() if v == coin.coingecko_id)
    for cand in (coin.symbol.upper(), f"{coin.symbol.upper()}-{coin.coingecko_id}".upper()):
        if ID_PATTERN.fullmatch(cand) and cand not in universe.assets and cand not in taken:
            return cand
    return None


def sync_coingecko(cg: CoinGecko, universe: Universe, path: Path, top: int = 20,
                   categories: Sequence[str] = ()) -> SyncResult:
    """Refresh every sector that names a ``coingecko_category`` (and add one sector per id in ``categories``)
    from CoinGecko, and write ``path`` (see module docstring)."""
    listed = cg.extract_categories()
    known = {c.get("id"): c.get("name") for c in listed if isinstance(c, dict)}
    wanted = {s.id: s.coingecko_category for s in universe.sectors.values() if s.coingecko_category}
    for c in categories:
        if c not in known:
            close = difflib.get_close_matches(c, [k for k in known if k], n=3)
            raise ConfigError(f"--category {c!r} is not a CoinGecko category id"
                              f"{' (did you mean ' + ', '.join(close) + '?)' if close else ''}; "
                              f"see https://www.coingecko.com/en/categories")
        wanted.setdefault(next((s for s, x in wanted.items() if x == c), c), c)
    doc = _read(path)
    assets, sectors = doc.setdefault("assets", {}), doc.setdefault("sectors", {})
    taken = {a: spec.get("coingecko_id", "") for a, spec in assets.items()}
    rows, new, notes = [], [], []
    for sid, cat in wanted.items():
        if cat not in known:
            notes.append(f"sector {sid}: CoinGecko has no category {cat!r} any more; left as it was")
            continue
        coins = transform_category_coins(extract_category_coins(cg, cat, top), cat)
        if not coins:
            notes.append(f"sector {sid}: CoinGecko lists no coins in category {cat!r}; left as it was")
            continue
        members = []
        for coin in coins:
            aid = _asset_id(coin, universe, taken)
            if aid is None:
                notes.append(f"{coin.coingecko_id}: no usable id from its ticker {coin.symbol!r}; add it by hand")
                continue
            if aid not in universe.assets and aid not in assets:
                assets[aid] = {"kind": "token", "name": coin.name, "coingecko_id": coin.coingecko_id}
                taken[aid] = coin.coingecko_id
                new.append(aid)
            members.append(aid)
        before = list(universe.sectors[sid].members) if sid in universe.sectors else []
        spec = sectors.setdefault(sid, {})
        if sid not in universe.sectors:
            spec["name"] = str(known[cat] or cat)
        spec["coingecko_category"] = cat
        spec["members"] = members
        rows.append({"sector": sid, "category": cat, "members": len(members),
                     "added": ",".join(m for m in members if m not in before),
                     "removed": ",".join(m for m in before if m not in members)})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(doc, HEADER), encoding="utf-8")
    return SyncResult(path, pd.DataFrame(rows, columns=["sector", "category", "members", "added", "removed"]),
                      tuple(new), tuple(notes))
