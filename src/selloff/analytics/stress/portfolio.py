"""The portfolio a stress run values: positions with a weight (or a quantity) and a leverage.

A position's *exposure* is ``e_i = w_i * L_i``: its weight in the equity (signed: negative = short) times its
leverage. A move ``r_i`` (simple return) of the asset changes the equity by ``e_i * r_i`` (a fraction of the
equity), so the portfolio's P&L is ``sum_i e_i r_i`` — linear in the asset moves, which is what makes the Euler
allocation of VaR/ES exact.

Margin-call distance (isolated margin, per position) uses the exchanges' liquidation rule that the cascade model
uses too: a long at entry ``EP`` with leverage ``L`` and maintenance-margin rate ``m`` is closed at
``EP * (1 - 1/L) / (1 - m)``, a short at ``EP * (1 + 1/L) / (1 + m)``; the distance is that price's move from
``EP`` (Binance, "How to calculate liquidation price", USDⓈ-M futures FAQ). A position with ``L = 1`` long is
never called (its distance is -100 %). The simulated P&L is not cut at the margin call: a path beyond it shows the
loss the position would have had, and the result gives the share of paths that reach a call instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from selloff.errors import ConfigError
from selloff.texts import Text

__all__ = ["Portfolio", "Position", "equal_weight", "margin_call_move", "portfolio_from_records"]


@dataclass(frozen=True)
class Position:
    """One line of a portfolio: ``weight`` is the signed share of the equity, ``leverage`` > 0."""

    asset: str
    weight: float
    leverage: float = 1.0

    @property
    def exposure(self) -> float:
        return self.weight * self.leverage


@dataclass(frozen=True)
class Portfolio:
    """Positions plus where they came from (``source``: the file, or ``equal-weight <sector>``); ``value_usd`` is
    the equity (the margin behind the positions, ``sum |q p| / L``) when the file gave quantities (else None)."""

    positions: tuple[Position, ...]
    source: str = ""
    value_usd: float | None = None

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(p.asset for p in self.positions)

    @property
    def exposures(self) -> tuple[float, ...]:
        return tuple(p.exposure for p in self.positions)

    def to_records(self) -> list[dict]:
        return [{"asset": p.asset, "weight": p.weight, "leverage": p.leverage, "exposure": p.exposure}
                for p in self.positions]


def _number(v: object, what: str) -> float:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"portfolio {what} = {v!r} is not a number; give a number") from None
    if not math.isfinite(x):
        raise ConfigError(f"portfolio {what} = {v!r} is not finite; give a finite number")
    return x


def portfolio_from_records(records: Iterable[Mapping[str, object]], source: str = "",
                           prices: Mapping[str, float] | None = None) -> Portfolio:
    """Positions from rows ``{asset, weight | quantity, leverage}`` (a parsed TOML or CSV file).

    Weights are used as given (a weight of 0.5 is half the equity); quantities are valued at ``prices`` (the last
    stored close): a position's notional ``q p`` is backed by the margin ``|q p| / L``, the equity is the sum of the
    margins and the weight is the position's margin over the equity (signed), so its exposure ``w L`` is its notional
    over the equity. A file must use one of the two.

    Raises
    ------
    ConfigError
        Empty portfolio, a missing or duplicated asset, weight and quantity both or neither, leverage <= 0, a
        quantity without a price, weights that are all zero.
    """
    rows = list(records)
    if not rows:
        raise ConfigError(f"portfolio {source or ''} is empty; list at least one position (asset, weight, leverage)")
    seen: set[str] = set()
    parsed = []
    for i, r in enumerate(rows, 1):
        asset = str(r.get("asset") or "").strip().upper()
        if not asset:
            raise ConfigError(f"portfolio {source} row {i} has no asset; give asset = \"BTC\" (a universe id)")
        if asset in seen:
            raise ConfigError(f"portfolio {source} lists {asset} twice; merge the two rows")
        seen.add(asset)
        unknown = set(r) - {"asset", "weight", "quantity", "leverage"}
        if unknown:
            raise ConfigError(f"portfolio {source} row {i} ({asset}) has unknown field(s) {', '.join(sorted(unknown))}; "
                              f"use asset, weight or quantity, leverage")
        has_w, has_q = r.get("weight") not in (None, ""), r.get("quantity") not in (None, "")
        if has_w == has_q:
            raise ConfigError(f"portfolio {source} row {i} ({asset}) needs exactly one of weight or quantity")
        lev = _number(r.get("leverage", 1.0) if r.get("leverage") not in (None, "") else 1.0, f"{asset} leverage")
        if lev <= 0:
            raise ConfigError(f"portfolio {source}: {asset} leverage = {lev:g} must be > 0 (1 = unlevered)")
        val = _number(r["weight"] if has_w else r["quantity"], f"{asset} {'weight' if has_w else 'quantity'}")
        parsed.append((asset, val, lev, has_q))
    kinds = {q for *_, q in parsed}
    if len(kinds) > 1:
        raise ConfigError(f"portfolio {source} mixes weights and quantities; give all positions as one or the other")
    value = None
    if kinds == {True}:
        px = dict(prices or {})
        missing = [a for a, *_ in parsed if a not in px or not math.isfinite(px[a])]
        if missing:
            raise ConfigError(f"portfolio {source}: no stored price for {', '.join(missing)} to value its quantity; "
                              f"fetch or import its bars, or give weights")
        notional = [(a, q * px[a], lev) for a, q, lev, _ in parsed]
        value = sum(abs(n) / lev for _, n, lev in notional)
        if value == 0:
            raise ConfigError(f"portfolio {source}: every quantity is zero; give a non-zero position")
        positions = tuple(Position(a, n / lev / value, lev) for a, n, lev in notional)
    else:
        if all(v == 0 for _, v, _, _ in parsed):
            raise ConfigError(f"portfolio {source}: every weight is zero; give a non-zero position")
        positions = tuple(Position(a, v, lev) for a, v, lev, _ in parsed)
    return Portfolio(positions, source, value)


def equal_weight(assets: Iterable[str], source: str = "") -> Portfolio:
    """Equal weights summing to 1, unlevered (the default portfolio: a sector's members)."""
    ids = list(dict.fromkeys(assets))
    if not ids:
        raise ConfigError(Text("portfolio_empty", f"portfolio {source} is empty; the sector has no member with enough history",
                               source=source))
    return Portfolio(tuple(Position(a, 1.0 / len(ids), 1.0) for a in ids), source)


def margin_call_move(leverage: float, mmr: float, short: bool = False) -> float:
    """The asset move (simple return) at which an isolated position of ``leverage`` is liquidated: the cascade
    model's liquidation price (:func:`selloff.analytics.cascade.liquidation_price`, one rule for both) at an entry
    of 1, minus 1.

    Notes
    -----
    Long: ``(1 - 1/L) / (1 - m) - 1``; short: ``(1 + 1/L) / (1 + m) - 1`` (``m`` the maintenance-margin rate).
    """
    from selloff.analytics.cascade import liquidation_price

    if leverage <= 0:
        raise ConfigError(f"leverage = {leverage:g} must be > 0")
    return float(np.asarray(liquidation_price(1.0, leverage, -1 if short else 1, mmr)).reshape(-1)[0]) - 1
