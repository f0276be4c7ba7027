"""Load the universe from the bundled ``default.toml``, the user's config dir and ``--universe`` files.

Later files override earlier ones: an asset or sector with the same id is merged field by field, edges are
added (an edge with the same source, target and kind replaces the earlier one). Unknown keys, wrong types and
dangling references are errors naming the file and the key.
"""
from __future__ import annotations

import re

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from selloff.errors import ConfigError
from selloff.universe.model import ASSET_KINDS, Asset, Edge, Sector, Universe

_ASSET_KEYS = {"kind": str, "name": str, "aliases": list, "coingecko_id": str, "symbols": dict, "yahoo": str, "description": str}
_SECTOR_KEYS = {"name": str, "name_de": str, "members": list, "aliases": list, "coingecko_category": str, "description": str}
_EDGE_KEYS = {"from": str, "to": str, "kind": str, "reason": str, "reason_de": str}
_TOP_KEYS = {"assets", "sectors", "edges"}


def default_universe_path() -> Path:
    return Path(str(resources.files("selloff.universe").joinpath("default.toml")))


def market_universe_path() -> Path:
    """The bundled market-wide taxonomy (crypto sectors modelled on CoinDesk DACS, US indices, ETFs, equities)."""
    return Path(str(resources.files("selloff.universe").joinpath("market.toml")))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"universe file {path} not found; check the --universe path") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"universe file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"universe file {path} is not valid TOML: {exc}; fix the syntax there") from None
    except OSError as exc:
        raise ConfigError(f"universe file {path} cannot be read ({exc.strerror}); check its permissions") from None


def _check_keys(path: Path, where: str, table: Any, allowed: dict[str, type]) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: '{where}' must be a table, got {type(table).__name__}")
    for k, v in table.items():
        if k not in allowed:
            raise ConfigError(f"{path}: unknown key '{where}.{k}'; allowed: {', '.join(sorted(allowed))}")
        if not isinstance(v, allowed[k]):
            raise ConfigError(
                f"{path}: '{where}.{k}' must be {allowed[k].__name__}, got {type(v).__name__} ({v!r})"
            )


ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Asset and sector ids: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters
(ids name output files, so '/', '..' at the start and other characters are refused)."""


def _check_id(path: Path, where: str, ident: object) -> None:
    if not isinstance(ident, str) or not ID_PATTERN.fullmatch(ident):
        raise ConfigError(f"{path}: {where} id {ident!r} is not allowed; use letters, digits, '.', '_' and '-' "
                          f"(starting with a letter or digit, at most 64 characters)")


def _check_case(path: Path, where: str, ids: Any, known: Any = ()) -> None:
    """Two ids of one kind that differ only in case are refused (they would name the same output file)."""
    seen: dict[str, str] = {i.lower(): i for i in known}
    for i in ids:
        other = seen.setdefault(i.lower(), i)
        if other != i:
            raise ConfigError(f"{path}: {where} ids '{other}' and '{i}' differ only in case; use one spelling")


def _merge_file(path: Path, data: dict[str, Any], assets: dict, sectors: dict, edges: dict) -> None:
    for k in data:
        if k not in _TOP_KEYS:
            raise ConfigError(f"{path}: unknown top-level key '{k}'; allowed: assets, sectors, edges")
    for kind in ("assets", "sectors"):
        if not isinstance(data.get(kind, {}), dict):
            raise ConfigError(f"{path}: '{kind}' must be a table ([{kind}.ID])")
    _check_case(path, "asset", data.get("assets", {}))
    _check_case(path, "sector", data.get("sectors", {}), sectors)
    for aid, spec in data.get("assets", {}).items():
        _check_id(path, "asset", aid)
        _check_keys(path, f"assets.{aid}", spec, _ASSET_KEYS)
        key = aid.upper()
        merged = {**assets.get(key, {}), **spec}
        if "kind" in merged and merged["kind"] not in ASSET_KINDS:
            raise ConfigError(f"{path}: 'assets.{aid}.kind' is '{merged['kind']}'; use one of {', '.join(ASSET_KINDS)}")
        for lst in ("aliases",):
            if lst in spec and not all(isinstance(x, str) for x in spec[lst]):
                raise ConfigError(f"{path}: 'assets.{aid}.{lst}' must be a list of strings")
        merged["_file"] = str(path)
        assets[key] = merged
    for sid, spec in data.get("sectors", {}).items():
        _check_id(path, "sector", sid)
        _check_keys(path, f"sectors.{sid}", spec, _SECTOR_KEYS)
        for lst in ("members", "aliases"):
            if lst in spec and not all(isinstance(x, str) for x in spec[lst]):
                raise ConfigError(f"{path}: 'sectors.{sid}.{lst}' must be a list of strings, got {spec[lst]!r}")
        merged = {**sectors.get(sid, {}), **spec}
        merged["_file"] = str(path)
        sectors[sid] = merged
    raw_edges = data.get("edges", [])
    if not isinstance(raw_edges, list):
        raise ConfigError(f"{path}: 'edges' must be an array of tables ([[edges]])")
    for i, spec in enumerate(raw_edges):
        _check_keys(path, f"edges[{i}]", spec, _EDGE_KEYS)
        for req in ("from", "to", "kind", "reason"):
            if req not in spec:
                raise ConfigError(f"{path}: 'edges[{i}]' lacks '{req}'; every edge needs from, to, kind, reason")
        src = spec["from"].upper()
        if src == spec["to"].upper():
            raise ConfigError(f"{path}: 'edges[{i}]' links '{spec['from']}' to itself; remove that edge")
        edges[(src, spec["to"], spec["kind"])] = {**spec, "from": src, "_file": str(path), "_where": f"edges[{i}]"}


def load_universe(*extra: str | Path, include_user_config: bool = True) -> Universe:
    """Build the universe: bundled default and market taxonomy, then ``<config dir>/universe.toml`` if present,
    then ``extra``."""
    files = [default_universe_path(), market_universe_path()]
    if include_user_config:
        from selloff.config import user_config_dir

        user = user_config_dir() / "universe.toml"
        if user.exists():
            files.append(user)
    files += [Path(p) for p in extra if p]
    assets: dict[str, dict] = {}
    sectors: dict[str, dict] = {}
    edges: dict[tuple, dict] = {}
    for f in files:
        _merge_file(f, _read_toml(f), assets, sectors, edges)
    return _build(assets, sectors, edges, tuple(str(f) for f in files))


def _build(assets: dict, sectors: dict, edges: dict, files: tuple[str, ...]) -> Universe:
    out_assets: dict[str, Asset] = {}
    for aid, spec in assets.items():
        for req in ("kind", "name"):
            if req not in spec:
                raise ConfigError(f"{spec['_file']}: 'assets.{aid}' lacks '{req}'; every asset needs kind and name")
        out_assets[aid] = Asset(
            id=aid,
            kind=spec["kind"],
            name=spec["name"],
            aliases=tuple(spec.get("aliases", ())),
            coingecko_id=spec.get("coingecko_id"),
            symbols=dict(spec.get("symbols", {})),
            yahoo=spec.get("yahoo"),
            description=spec.get("description"),
        )
    out_sectors: dict[str, Sector] = {}
    for sid, spec in sectors.items():
        if "name" not in spec or "members" not in spec:
            raise ConfigError(f"{spec['_file']}: 'sectors.{sid}' needs name and members")
        members = tuple(m.upper() for m in spec["members"])
        for m in members:
            if m not in out_assets:
                raise ConfigError(
                    f"{spec['_file']}: 'sectors.{sid}.members' names unknown asset '{m}'; define [assets.{m}] first"
                )
        if not members:
            raise ConfigError(f"{spec['_file']}: 'sectors.{sid}.members' is empty; list at least one asset")
        out_sectors[sid] = Sector(
            id=sid,
            name=spec["name"],
            members=members,
            name_de=spec.get("name_de"),
            aliases=tuple(spec.get("aliases", ())),
            coingecko_category=spec.get("coingecko_category"),
            description=spec.get("description"),
        )
    out_edges = []
    for spec in edges.values():
        for end in ("from", "to"):
            ref = spec[end] if end == "to" else spec["from"]
            if ref not in out_assets and ref not in out_sectors and ref.upper() not in out_assets:
                raise ConfigError(
                    f"{spec['_file']}: '{spec['_where']}.{end}' = '{ref}' is neither an asset nor a sector; fix the id"
                )
        target = spec["to"] if spec["to"] in out_sectors else spec["to"].upper()
        out_edges.append(Edge(spec["from"], target, spec["kind"], spec["reason"], spec.get("reason_de")))
    _check_acyclic(out_edges, files)
    return Universe(out_assets, out_sectors, tuple(out_edges), files)


def _check_acyclic(edges: list[Edge], files: tuple[str, ...]) -> None:
    """The dependency graph must have no cycle (A depends on B depends on A): name one and refuse it."""
    after: dict[str, list[str]] = {}
    for e in edges:
        after.setdefault(e.source, []).append(e.target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in after.get(node, ()):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                raise ConfigError(f"{', '.join(files[1:]) or files[0]}: the dependency edges form a cycle "
                                  f"{' -> '.join(cycle)}; remove one of those edges")
            if state.get(nxt) is None:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in list(after):
        if state.get(start) is None:
            visit(start, [start])
