"""The liquidation cascade: a price shock, the positions it liquidates, their forced orders' square-root impact,
iterated to a fixed point.

Model
    A shock ``s`` moves the price from ``P0`` to ``P1 = P0·(1 + s)``. Every cohort whose liquidation price the
    price has crossed is closed (a down move liquidates longs, an up move shorts); its forced order of ``Q`` USD
    (quantity × liquidation price, times the participation ``scale``) moves the price by the square-root law of
    Donier & Bonart (2015), ``ΔP/P = −k·σ·√(Q/V)`` (σ the daily volatility, V the daily volume in USD), applied in
    logs so the price stays positive:

        ``P_{n+1} = P1 · exp(∓ k·σ·√(Q(P_n)/V))``,  ``Q(P)`` = forced notional of all cohorts crossed at ``P``.

    ``Q`` grows as the price falls, so the iterates fall monotonically from ``P1`` and stop at the first (largest)
    fixed point ``P* = P1·exp(−k·σ·√(Q(P*)/V))``; with finitely many cohorts the set of liquidated cohorts stops
    changing after at most one step per cohort, so the iteration ends exactly, with no tolerance. A bigger shock
    gives a lower ``P1`` and, by induction over the iterates, never fewer liquidations.

    One-directional: a down shock liquidates no short (their liquidation prices lie above ``P0``). Ignored: the
    time the cascade takes, order-book replenishment, bankruptcy and auto-deleveraging, cross-margin (effective
    leverage above nominal), liquidations on other venues' prices.

References
----------
Donier, J. and Bonart, J. (2015). A million metaorder analysis of market impact on the Bitcoin. *Market
Microstructure and Liquidity* 1(2); arXiv:1412.4503.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.cascade.book import Book
from selloff.errors import ConfigError, DataError

__all__ = ["CascadeResult", "CascadeStep", "ExpectedLiquidations", "check_shock", "expected_liquidations",
           "fixed_point", "run_cascade"]


def check_shock(shock: float) -> float:
    """``shock`` as a float, or a one-line error when it is not a move above −100 %."""
    s = float(shock)
    if not np.isfinite(s) or s <= -1.0:
        raise ConfigError(f"shock {s:+.2%} must be above -100 % (a price cannot fall to zero or below); "
                          "pass e.g. -0.18 or --shock -18%")
    return s


def _check(book: Book, k: float, scale: float) -> None:
    if not np.isfinite(k) or k < 0:
        raise ConfigError(f"impact coefficient k = {k} must be >= 0; use e.g. 1.0 or calibrate it")
    if not np.isfinite(scale) or scale <= 0:
        raise ConfigError(f"participation scale {scale} must be > 0; use 1.0 for the book as estimated")
    if not (np.isfinite(book.sigma_d) and book.sigma_d >= 0 and np.isfinite(book.adv_usd) and book.adv_usd > 0):
        raise DataError(f"{book.asset}: the book's sigma ({book.sigma_d}) or daily volume ({book.adv_usd}) is unusable "
                        "for the impact law; fetch more daily bars with volume")


@dataclass(frozen=True)
class CascadeStep:
    """One iteration: the price it reached and the liquidations it added (USD)."""

    iteration: int
    price: float
    move_pct: float
    new_long_usd: float
    new_short_usd: float
    cum_long_usd: float
    cum_short_usd: float


@dataclass(frozen=True)
class CascadeResult:
    """The cascade's fixed point for one shock.

    ``extra_move_pct`` is the move the forced orders added beyond the shock (percentage points of ``P0``, negative
    for a down shock); ``amplification`` the total move over the shock's.
    """

    asset: str
    shock: float
    k: float
    scale: float
    price0: float
    price_shocked: float
    price_final: float
    long_usd: float
    short_usd: float
    path: tuple[CascadeStep, ...]
    sigma_d: float
    adv_usd: float

    @property
    def total_usd(self) -> float:
        return self.long_usd + self.short_usd

    @property
    def total_move_pct(self) -> float:
        return 100.0 * (self.price_final / self.price0 - 1.0)

    @property
    def extra_move_pct(self) -> float:
        return 100.0 * (self.price_final - self.price_shocked) / self.price0

    @property
    def amplification(self) -> float:
        return self.total_move_pct / (100.0 * self.shock) if self.shock else float("nan")

    def path_frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.__dict__ for s in self.path])

    def to_dict(self) -> dict:
        return {"asset": self.asset, "shock": self.shock, "k": self.k, "scale": self.scale, "price0": self.price0,
                "price_shocked": self.price_shocked, "price_final": self.price_final, "long_usd": self.long_usd,
                "short_usd": self.short_usd, "total_usd": self.total_usd, "total_move_pct": self.total_move_pct,
                "extra_move_pct": self.extra_move_pct, "amplification": self.amplification,
                "iterations": len(self.path), "sigma_d": self.sigma_d, "adv_usd": self.adv_usd,
                "path": [s.__dict__ for s in self.path]}


def run_cascade(book: Book, shock: float, k: float, scale: float = 1.0) -> CascadeResult:
    """Apply ``shock`` (simple return, > −1) to ``book`` and iterate the cascade to its fixed point (module
    docstring); the obvious reference of :func:`fixed_point`.

    Parameters
    ----------
    book
        The estimated positions (:func:`~selloff.analytics.cascade.book.estimate_book`).
    shock
        Exogenous move as a fraction (−0.18 = −18 %).
    k
        Impact coefficient of ``ΔP/P = −k·σ·√(Q/V)`` (≥ 0; 0 = no feedback).
    scale
        Participation: the share of the book's notional that is really levered as estimated (> 0).
    """
    s = check_shock(shock)
    _check(book, float(k), float(scale))
    p0 = book.price
    p1 = p0 * (1.0 + s)
    d = -1 if s < 0 else 1
    mine = (book.side == (1 if d < 0 else -1)) & (s != 0)  # no shock, no liquidation (the book is taken as it is)
    lp, val = book.liq_price[mine], (book.qty * book.liq_price)[mine] * scale
    crossed = np.zeros(lp.shape, bool)
    price, cum, path = p1, 0.0, []
    for it in range(lp.size + 2):
        now = (lp >= price) if d < 0 else (lp <= price)
        new = now & ~crossed
        crossed |= now
        total = math.fsum(val[crossed])  # correctly rounded: a superset of cohorts never sums to less
        add, cum = total - cum, total
        path.append(CascadeStep(it, price, 100.0 * (price / p0 - 1.0), add if d < 0 else 0.0, add if d > 0 else 0.0,
                                cum if d < 0 else 0.0, cum if d > 0 else 0.0))
        if not new.any():  # nothing new crossed: the price is the fixed point
            break
        price = p1 * np.exp(d * k * book.sigma_d * np.sqrt(cum / book.adv_usd))
    return CascadeResult(book.asset, s, float(k), float(scale), p0, p1, price, cum if d < 0 else 0.0,
                         cum if d > 0 else 0.0, tuple(path), book.sigma_d, book.adv_usd)


def fixed_point(liq_price: np.ndarray, value_usd: np.ndarray, direction: int, p1: np.ndarray, k: np.ndarray,
                scale: np.ndarray, sigma_d: float, adv_usd: float) -> tuple[np.ndarray, np.ndarray]:
    """The same fixed point as :func:`run_cascade` for many ``(p1, k, scale)`` at once (broadcast arrays).

    ``liq_price`` / ``value_usd``: one side's cohorts (longs for ``direction = -1``, shorts for ``+1``), value =
    quantity × liquidation price. Returns ``(final price, liquidated USD)``.
    """
    order = np.argsort(liq_price, kind="stable")
    lp, v = liq_price[order], value_usd[order]
    cum = np.concatenate([[0.0], np.cumsum(v)])
    p1, k, scale = np.broadcast_arrays(np.asarray(p1, float), np.asarray(k, float), np.asarray(scale, float))

    def crossed_value(price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if direction < 0:
            i = np.searchsorted(lp, price, side="left")  # cohorts with lp >= price
            return i, cum[-1] - cum[i]
        i = np.searchsorted(lp, price, side="right")  # cohorts with lp <= price
        return i, cum[i]

    shape = p1.shape
    p1, k, scale = p1.ravel(), k.ravel(), scale.ravel()
    price = p1.copy()
    idx, q = crossed_value(price)
    # only the points whose crossed set changed are iterated again: a point whose set stayed the same has the same
    # q, hence the same next price and set, for good — the result is that of iterating every point to the end
    active = np.arange(p1.size)
    for _ in range(lp.size + 2):
        pa = p1[active] * np.exp(direction * k[active] * sigma_d * np.sqrt(q[active] * scale[active] / adv_usd))
        price[active] = pa
        nidx, nq = crossed_value(pa)
        moved = nidx != idx[active]
        idx[active], q[active] = nidx, nq
        active = active[moved]
        if not active.size:
            break
    return price.reshape(shape), (q * scale).reshape(shape)


@dataclass(frozen=True)
class ExpectedLiquidations:
    """Liquidations for many shocks (one per scenario or Monte Carlo path), in the order given."""

    asset: str
    shocks: np.ndarray
    long_usd: np.ndarray
    short_usd: np.ndarray
    final_move: np.ndarray
    """Total move (shock plus cascade) as a fraction of ``P0``."""
    k: float
    scale: float

    @property
    def total_usd(self) -> np.ndarray:
        return self.long_usd + self.short_usd

    @property
    def mean_usd(self) -> float:
        return float(self.total_usd.mean()) if self.total_usd.size else float("nan")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"shock": self.shocks, "long_usd": self.long_usd, "short_usd": self.short_usd,
                             "total_usd": self.total_usd, "final_move": self.final_move})


def expected_liquidations(book: Book, shocks: np.ndarray | float, k: float, scale: float = 1.0) -> ExpectedLiquidations:
    """The cascade's liquidations and final move for each of ``shocks`` (fractions, each > −1): the vectorised
    :func:`fixed_point`, equal to :func:`run_cascade` shock by shock. The stress engine passes its paths' moves
    of the asset and averages ``total_usd`` (or takes its quantiles)."""
    s = np.atleast_1d(np.asarray(shocks, float))
    if s.size and (not np.all(np.isfinite(s)) or s.min() <= -1.0):
        check_shock(float(s[~np.isfinite(s) | (s <= -1.0)][0]))
    _check(book, float(k), float(scale))
    p1 = book.price * (1.0 + s)
    long_usd, short_usd, final = np.zeros_like(s), np.zeros_like(s), p1.copy()
    val = book.qty * book.liq_price
    for direction, side, mask, out in ((-1, 1, s < 0, long_usd), (1, -1, s > 0, short_usd)):
        if mask.any():
            m = book.side == side
            pf, q = fixed_point(book.liq_price[m], val[m], direction, p1[mask], k, scale, book.sigma_d, book.adv_usd)
            final[mask], out[mask] = pf, q
    return ExpectedLiquidations(book.asset, s, long_usd, short_usd, final / book.price - 1.0, float(k), float(scale))
