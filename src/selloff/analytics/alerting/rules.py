"""Watch rules: the typed form of a rules TOML file (``[[rule]]`` tables), validated on load.

A rule names a condition on the watched market (``kind``), what it applies to (``assets`` and/or ``sector``),
a ``for`` hold period (the condition must hold that long before the alert fires: hysteresis, as Prometheus'
``for:``), a ``cooldown`` after a resolve during which the same alert does not fire again, how it resolves
(``clear``: the condition no longer holds; ``stabilised``: additionally the sector shows the stabilisation
signals of :func:`selloff.analytics.detect.stabilisation_since`), and which other rules it ``inhibits`` while
it fires (Alertmanager inhibition: a market-wide crash suppresses the per-token alerts).

Kinds (``window``, ``baseline`` are durations such as ``"24h"``, ``"30m"``, ``"2d"``):

``threshold``
    Price (USD) ``below`` or ``above`` a level.
``crossing``
    The price crossed ``level`` (``direction = "down"`` or ``"up"``) within the last ``window`` and is still on
    the far side.
``change``
    Per-cent change over ``window`` at or below ``below`` (or at or above ``above``).
``zscore``
    The move over ``window`` in units of its rolling baseline sigma at or below ``below`` (or at or above
    ``above``).
``breadth``
    At least ``min_share`` of the ``sector``'s members fell by more than ``drop_pct`` per cent over ``window``;
    with ``benchmark`` and ``benchmark_above_pct``, only while the benchmark's own change over the window is at
    or above that (e.g. BTC -3 % or less of a fall: the sell-off is the sector's own).
``episode``
    The collective sell-off detector (:func:`selloff.analytics.detect.daily_signals` with the ``[detect]``
    thresholds: sector move, its sigma-scaled size and breadth) flags the ``sector``'s current day, the latest
    price standing in for the day's close.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from selloff.errors import ConfigError

__all__ = ["KINDS", "RESOLVE", "SEVERITIES", "Rule", "duration", "load_rules", "parse_rules"]

KINDS = ("threshold", "crossing", "change", "zscore", "breadth", "episode")
SEVERITIES = ("info", "warning", "critical")
RESOLVE = ("clear", "stabilised")
_PER_ASSET = ("threshold", "crossing", "change", "zscore")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_KEYS = {"name", "kind", "severity", "assets", "sector", "window", "below", "above", "level", "direction",
         "min_share", "drop_pct", "benchmark", "benchmark_above_pct", "baseline", "for", "cooldown", "resolve",
         "inhibits", "inhibit_equal", "description"}


def duration(text: object, where: str) -> pd.Timedelta:
    """``"90s"``, ``"30m"``, ``"24h"``, ``"2d"`` as a Timedelta (``ConfigError`` naming ``where`` otherwise)."""
    m = _DURATION.match(text) if isinstance(text, str) else None
    if not m:
        raise ConfigError(f"{where} = {text!r} is not a duration; write a number and a unit s, m, h or d, e.g. \"24h\"")
    return pd.Timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})


@dataclass(frozen=True)
class Rule:
    """One validated watch rule (see the module docstring for the kinds and keys)."""

    name: str
    kind: str
    severity: str = "warning"
    assets: tuple[str, ...] = ()
    sector: str | None = None
    window: pd.Timedelta | None = None
    below: float | None = None
    above: float | None = None
    level: float | None = None
    direction: str = "down"
    min_share: float | None = None
    drop_pct: float | None = None
    benchmark: str | None = None
    benchmark_above_pct: float | None = None
    baseline: pd.Timedelta | None = None
    hold: pd.Timedelta = pd.Timedelta(0)
    """The ``for`` key: how long the condition must hold before the alert fires."""
    cooldown: pd.Timedelta = pd.Timedelta(0)
    resolve: str = "clear"
    inhibits: tuple[str, ...] = ()
    inhibit_equal: tuple[str, ...] = ()
    """Labels (``sector``, ``asset``) that must be equal between this alert and one it inhibits."""
    description: str = ""

    @property
    def per_asset(self) -> bool:
        """One alert per asset (``True``) or one per sector (``breadth``, ``episode``)."""
        return self.kind in _PER_ASSET

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: durations as seconds (``window_s``, ``for_s``, ...), tuples as lists."""
        d = asdict(self)
        for k in ("window", "baseline", "hold", "cooldown"):
            v = d.pop(k)
            d[("for" if k == "hold" else k) + "_s"] = None if v is None else float(v.total_seconds())
        for k in ("assets", "inhibits", "inhibit_equal"):
            d[k] = list(d[k])
        return d


def _number(raw: dict, key: str, where: str, lo: float | None = None, hi: float | None = None) -> float | None:
    v = raw.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{where}: {key} = {v!r} is not a number; write e.g. {key} = -8.0")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ConfigError(f"{where}: {key} = {v} is outside [{lo}, {hi}]; fix it in the rules file")
    return float(v)


def _names(raw: dict, key: str, where: str) -> tuple[str, ...]:
    v = raw.get(key, [])
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise ConfigError(f"{where}: {key} must be a list of names, e.g. {key} = [\"TAO\", \"NEAR\"]")
    return tuple(x.strip() for x in v)


def _choice(raw: dict, key: str, where: str, allowed: tuple[str, ...], default: str) -> str:
    v = raw.get(key, default)
    if v not in allowed:
        raise ConfigError(f"{where}: {key} = {v!r} is unknown; use one of {', '.join(allowed)}")
    return v


def _rule(raw: object, i: int, origin: str) -> Rule:
    where = f"{origin} rule {i + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a table; write it as [[rule]] with keys name, kind, ...")
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise ConfigError(f"{where}: name = {name!r} is missing or not an id (letters, digits, - _ .); give each rule a name")
    where = f"{origin} rule '{name}'"
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    kind = _choice(raw, "kind", where, KINDS, "")
    sector = raw.get("sector")
    if sector is not None and (not isinstance(sector, str) or not sector.strip()):
        raise ConfigError(f"{where}: sector = {sector!r} must be a sector id, e.g. \"ai-crypto\"")
    benchmark = raw.get("benchmark")
    if benchmark is not None and (not isinstance(benchmark, str) or not benchmark.strip()):
        raise ConfigError(f"{where}: benchmark = {benchmark!r} must be an asset id, e.g. \"BTC\"")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: description must be a string")
    window = duration(raw["window"], f"{where}: window") if "window" in raw else None
    baseline = duration(raw["baseline"], f"{where}: baseline") if "baseline" in raw else None
    rule = Rule(
        name=name, kind=kind, severity=_choice(raw, "severity", where, SEVERITIES, "warning"),
        assets=_names(raw, "assets", where), sector=sector, window=window,
        below=_number(raw, "below", where), above=_number(raw, "above", where),
        level=_number(raw, "level", where), direction=_choice(raw, "direction", where, ("down", "up"), "down"),
        min_share=_number(raw, "min_share", where, 0.0, 1.0), drop_pct=_number(raw, "drop_pct", where, None, 0.0),
        benchmark=benchmark, benchmark_above_pct=_number(raw, "benchmark_above_pct", where),
        baseline=baseline,
        hold=duration(raw.get("for", "0s"), f"{where}: for"),
        cooldown=duration(raw.get("cooldown", "0s"), f"{where}: cooldown"),
        resolve=_choice(raw, "resolve", where, RESOLVE, "clear"),
        inhibits=_names(raw, "inhibits", where), inhibit_equal=_names(raw, "inhibit_equal", where),
        description=description,
    )
    _check_kind(rule, where)
    return rule


def _check_kind(r: Rule, where: str) -> None:
    need: dict[str, tuple[str, ...]] = {
        "threshold": (), "crossing": ("level", "window"), "change": ("window",), "zscore": ("window", "baseline"),
        "breadth": ("sector", "window", "min_share", "drop_pct"), "episode": ("sector",),
    }
    missing = [k for k in need[r.kind] if getattr(r, k) is None]
    if missing:
        raise ConfigError(f"{where}: a {r.kind} rule needs {', '.join(missing)}; add them to the rule")
    if r.kind in ("threshold", "change", "zscore") and (r.below is None) == (r.above is None):
        raise ConfigError(f"{where}: a {r.kind} rule needs exactly one of below or above")
    if r.per_asset and not r.assets and r.sector is None:
        raise ConfigError(f"{where}: name the assets (assets = [...]) or a sector (sector = \"...\") it watches")
    if r.kind == "breadth" and (r.benchmark is None) != (r.benchmark_above_pct is None):
        raise ConfigError(f"{where}: benchmark and benchmark_above_pct go together; give both or neither")
    for key in ("window", "baseline"):
        v = getattr(r, key)
        if v is not None and v <= pd.Timedelta(0):
            raise ConfigError(f"{where}: {key} must be longer than 0")
    if r.resolve == "stabilised" and r.sector is None:
        raise ConfigError(f"{where}: resolve = \"stabilised\" needs the sector whose stabilisation ends the alert")
    bad = [x for x in r.inhibit_equal if x not in ("sector", "asset")]
    if bad:
        raise ConfigError(f"{where}: inhibit_equal may list sector and asset, not {', '.join(bad)}")


def parse_rules(doc: dict, origin: str = "rules") -> tuple[Rule, ...]:
    """Rules from a parsed TOML document ``{"rule": [{...}, ...]}`` (``origin`` names it in errors).

    Raises
    ------
    ConfigError
        No rules, an unknown key, a missing or out-of-range value, a duplicate name, or ``inhibits`` naming an
        unknown rule.
    """
    extra = sorted(set(doc) - {"rule"})
    if extra:
        raise ConfigError(f"{origin}: unknown top-level key(s) {', '.join(extra)}; write each rule as a [[rule]] table")
    raw = doc.get("rule")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{origin}: no [[rule]] tables; see the example rules (selloff watch --help)")
    rules = tuple(_rule(r, i, origin) for i, r in enumerate(raw))
    names = [r.name for r in rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{origin}: rule name(s) {', '.join(dup)} used twice; names must be unique")
    for r in rules:
        unknown = [n for n in r.inhibits if n not in names or n == r.name]
        if unknown:
            raise ConfigError(f"{origin} rule '{r.name}': inhibits {', '.join(unknown)}, not another rule of this file")
    return rules


def load_rules(path: str | Path) -> tuple[Rule, ...]:
    """Rules from a TOML file (see :func:`parse_rules`); a missing or invalid file is a ``ConfigError``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"rules file {p} does not exist; pass --rules FILE or set [watch] rules_file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"rules file {p} cannot be read ({exc}); pass a UTF-8 TOML file") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {p} is not valid TOML ({exc}); fix the line it names") from None
    return parse_rules(doc, str(p))
