"""A seeded synthetic market of any size for the benchmarks, generated in asset blocks so it never has to fit in memory.

The simulator in ``selloff.simulate`` builds the demo's ~30-asset market with scripted events; the benchmarks need
10,000 assets × 10 years, so this is the same kind of model scaled and vectorised: daily log returns are a market
factor plus a sector factor plus an idiosyncratic part, each Student-t(4) scaled to unit variance and multiplied by
a GARCH(1,1) volatility that clusters (ω, α, β = 0.02, 0.08, 0.90 on the variance in units of the asset's
daily σ², so its unconditional level is σ²). Circulating supply is log-normal and constant per asset, so market cap = price × supply. Each block of
assets is drawn from its own ``SeedSequence`` child, so the market is the same whatever the block size.

Rows are in the store's schema (``bars`` daily, ``market_caps`` daily snapshots at 00:00 UTC), source ``bench``.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

SOURCE = "bench"


@dataclass(frozen=True)
class MarketSize:
    assets: int
    years: float
    sectors: int = 50
    seed: int = 7

    @property
    def days(self) -> int:
        return int(round(self.years * 365))

    @property
    def rows(self) -> int:
        return self.assets * self.days


def asset_id(i: int) -> str:
    return f"T{i:05d}"


def sector_of(i: int, size: MarketSize) -> str:
    return f"s{i % size.sectors:02d}"


def _factors(size: MarketSize) -> np.ndarray:
    """Market factor (column 0) and sector factors (1..sectors), days × (1 + sectors), unit-variance t(4)."""
    rng = np.random.default_rng(np.random.SeedSequence([size.seed, 0]))
    return rng.standard_t(4, size=(size.days, 1 + size.sectors)) / np.sqrt(2.0)


def _garch_scale(z: np.ndarray) -> np.ndarray:
    """Volatility multipliers (days × n) following a GARCH(1,1) recursion on unit-variance shocks ``z``."""
    omega, alpha, beta = 0.02, 0.08, 0.90
    h = np.empty_like(z)
    h[0] = omega / (1 - alpha - beta)
    for t in range(1, len(z)):
        h[t] = omega + alpha * (z[t - 1] ** 2) * h[t - 1] + beta * h[t - 1]
    return np.sqrt(h)


def blocks(size: MarketSize, block_assets: int = 200) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield ``(bars, market_caps)`` frames for consecutive blocks of ``block_assets`` assets."""
    days = pd.date_range("2016-01-01", periods=size.days, freq="D", tz="UTC")
    f = _factors(size)
    for first in range(0, size.assets, block_assets):
        n = min(block_assets, size.assets - first)
        ids = np.arange(first, first + n)
        rng = np.random.default_rng(np.random.SeedSequence([size.seed, 1, first]))
        sigma = rng.uniform(0.025, 0.07, n)
        beta_m = rng.uniform(0.6, 1.4, n)
        beta_s = rng.uniform(0.3, 0.9, n)
        idio = rng.standard_t(4, size=(size.days, n)) / np.sqrt(2.0)
        z = (beta_m * f[:, [0]] + beta_s * f[:, 1 + ids % size.sectors] + idio) / np.sqrt(1 + beta_m**2 + beta_s**2)
        r = sigma * _garch_scale(z) * z
        close = rng.uniform(0.05, 500.0, n) * np.exp(np.cumsum(r, axis=0))
        span = np.abs(r) + 0.005
        volume = rng.lognormal(13, 1.5, n) * (1 + 20 * np.abs(r))
        supply = rng.lognormal(19, 1.5, n)
        c = close.T.ravel()
        sp = span.T.ravel()
        asset = np.repeat([asset_id(i) for i in ids], size.days)
        ts = np.tile(days, n)
        bars = pd.DataFrame({
            "asset": asset, "interval": "1d", "ts": ts, "source": SOURCE,
            "open": c * np.exp(-0.3 * sp), "high": c * np.exp(sp), "low": c * np.exp(-sp), "close": c,
            "volume": volume.T.ravel() / c,
        })
        caps = pd.DataFrame({
            "asset": asset, "ts": ts, "source": SOURCE, "market_cap_usd": c * np.repeat(supply, size.days),
            "circulating_supply": np.repeat(supply, size.days), "price_usd": c, "volume_usd_24h": volume.T.ravel(),
        })
        yield bars, caps
