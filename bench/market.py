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


# ------------------------------------------------------------------------------------------------ minute bars
MINUTES_PER_DAY = 1440
U_SHAPE = 2.0
"""Intraday variance profile ``w(m) ∝ 1 + U_SHAPE · x(m)²`` with ``x`` running from -1 at 00:00 to +1 at 24:00 UTC:
the variance of a minute at the UTC day's open and close is ``1 + U_SHAPE`` times that of the minute at noon."""


@dataclass(frozen=True)
class IntradaySize:
    """A minute-bar market: ``assets`` × ``days`` × 1,440 bars (crypto trades around the clock)."""

    assets: int
    days: int
    sectors: int = 10
    seed: int = 7

    @property
    def minutes(self) -> int:
        return self.days * MINUTES_PER_DAY

    @property
    def rows(self) -> int:
        return self.assets * self.minutes


def intraday_profile() -> np.ndarray:
    """Per-minute variance weights of a UTC day (1,440 values summing to 1), U-shaped (see :data:`U_SHAPE`)."""
    x = (np.arange(MINUTES_PER_DAY) + 0.5) / MINUTES_PER_DAY * 2 - 1
    w = 1 + U_SHAPE * x**2
    return w / w.sum()


def minute_blocks(size: IntradaySize, block_assets: int = 10, start: str = "2025-01-01") -> Iterator[pd.DataFrame]:
    """Yield ``bars`` frames (interval ``1m``, ts = bar open time UTC, source ``bench``) for blocks of assets.

    The model is the daily one of :func:`blocks` spread over the day: minute log returns are
    ``σ_i · h_{i,d} · sqrt(w(m)) · z_{i,d,m}`` where ``z`` is the market + sector + idiosyncratic mixture of unit-variance
    Student-t(4) shocks drawn per minute (factors shared by all blocks), ``w`` the U-shaped profile
    (:func:`intraday_profile`) and ``h`` the GARCH(1,1) multiplier driven by each day's aggregated shock
    ``Σ_m sqrt(w(m)) z_m`` (unit variance, so the daily returns follow the same factor + GARCH structure as
    :func:`blocks`). A bar opens at the previous close; high and low lie a half-normal distance beyond the larger
    and smaller of open and close. Each asset draws from its own ``SeedSequence`` child: the market is the same
    whatever the block size.
    """
    n_min = size.minutes
    w = np.sqrt(np.tile(intraday_profile(), size.days))
    f = np.random.default_rng(np.random.SeedSequence([size.seed, 2])).standard_t(
        4, size=(n_min, 1 + size.sectors)) / np.sqrt(2.0)
    ts = pd.date_range(start, periods=n_min, freq="1min").to_numpy()  # naive UTC, tiled per block
    tick_unit = 0.3 * np.sqrt(1.0 / MINUTES_PER_DAY)
    for first in range(0, size.assets, block_assets):
        ids = range(first, min(first + block_assets, size.assets))
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("open", "high", "low", "close", "volume")}
        for i in ids:
            rng = np.random.default_rng(np.random.SeedSequence([size.seed, 3, i]))
            sigma, beta_m, beta_s = rng.uniform(0.025, 0.07), rng.uniform(0.6, 1.4), rng.uniform(0.3, 0.9)
            p0, usd_day = rng.uniform(0.05, 500.0), rng.lognormal(13, 1.5)
            z = (beta_m * f[:, 0] + beta_s * f[:, 1 + i % size.sectors] + rng.standard_t(4, n_min) / np.sqrt(2.0))
            z *= w / np.sqrt(1 + beta_m**2 + beta_s**2)
            h = _garch_scale(z.reshape(size.days, MINUTES_PER_DAY).sum(axis=1)[:, None])[:, 0]
            r = sigma * np.repeat(h, MINUTES_PER_DAY) * z
            close = p0 * np.exp(np.cumsum(r))
            opn = np.concatenate([[p0], close[:-1]])
            tick = sigma * tick_unit
            cols["open"].append(opn)
            cols["close"].append(close)
            cols["high"].append(np.maximum(opn, close) * np.exp(tick * np.abs(rng.standard_normal(n_min))))
            cols["low"].append(np.minimum(opn, close) * np.exp(-tick * np.abs(rng.standard_normal(n_min))))
            cols["volume"].append(usd_day * w**2 * (1 + 20 * np.abs(r) / tick) / close)
        n = len(ids)
        frame = {k: np.concatenate(v) for k, v in cols.items()}
        yield pd.DataFrame({
            "asset": np.repeat(np.array([asset_id(i) for i in ids]), n_min), "interval": "1m",
            "ts": pd.DatetimeIndex(np.tile(ts, n)).tz_localize("UTC"), "source": SOURCE, "open": frame["open"], "high": frame["high"], "low": frame["low"],
            "close": frame["close"], "volume": frame["volume"],
        })
