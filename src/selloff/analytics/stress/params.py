"""Typed parameters of a stress run (built from ``[stress]`` by :func:`selloff.pipeline.params.stress_params`)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from selloff.compute import LOCAL, Engine
from selloff.errors import ConfigError

__all__ = ["HORIZONS", "StressParams", "parse_horizon"]

HORIZONS = {"1d": 1, "5d": 5, "10d": 10}
"""The horizons ``--horizon`` accepts (days; sessions when equities are in the run)."""


def parse_horizon(text: object) -> int:
    """``"1d" | "5d" | "10d"`` (or the integer) -> days."""
    if isinstance(text, int) and not isinstance(text, bool) and text in HORIZONS.values():
        return text
    key = str(text).strip().lower()
    if key not in HORIZONS:
        raise ConfigError(f"--horizon {text!r} is not one of {', '.join(HORIZONS)}; pick one of them")
    return HORIZONS[key]


@dataclass(frozen=True)
class StressParams:
    method: str
    paths: int
    seed: int
    block_paths: int
    batch_paths: int
    workers: int
    max_memory_mb: float
    levels: tuple[float, ...]
    risk_horizons: tuple[int, ...]
    euler_level: float
    ci_level: float
    asset_sample_paths: int
    history_days: int
    min_obs: int
    short_history_rows: int
    min_coverage: float
    asymmetric: bool
    mean: str
    float32: bool
    band_level: float
    extrapolation_sigma: float
    mmr: float
    factors: tuple[str, ...]
    market_factor: str
    equity_basket: tuple[str, ...]
    backtest_window: int
    backtest_refit_days: int
    traffic_light_days: int
    traffic_light_level: float
    traffic_light_yellow_prob: float
    traffic_light_red_prob: float
    multinomial_levels: int
    test_size: float
    engine: Engine = LOCAL
    """Where the Monte Carlo blocks run (``[compute]``, ``--engine``): the result is the same on every engine."""

    def __post_init__(self) -> None:
        if self.method not in ("fhs", "t-copula"):
            raise ConfigError(f"[stress] method = {self.method!r}; use \"fhs\" or \"t-copula\"")
        if self.mean not in ("zero", "constant"):
            raise ConfigError(f"[stress] mean = {self.mean!r}; use \"zero\" or \"constant\"")
        if self.paths < 1:
            raise ConfigError(f"--paths {self.paths} must be at least 1 (e.g. --paths 20000)")
        if self.seed < 0:
            raise ConfigError(f"--seed {self.seed} must be >= 0")
        if self.euler_level not in self.levels:
            raise ConfigError(f"[stress] euler_level = {self.euler_level} must be one of levels {list(self.levels)}")
        if not 0 < self.min_coverage <= 1:
            raise ConfigError(f"[stress] min_coverage = {self.min_coverage} must lie in (0, 1]")

    def with_overrides(self, **kw) -> "StressParams":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})
