"""``[watch]`` (and ``[stabilise]``) as typed parameters, checked once when the watch starts."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from selloff.analytics.alerting.engine import EngineParams
from selloff.analytics.alerting.rules import duration
from selloff.analytics.detect import StabiliseParams
from selloff.config import defaults
from selloff.errors import ConfigError
from selloff.pipeline.params import detect_params, priority
from selloff.pipeline.watch.webhook import WebhookPolicy
from selloff.sources.tasks import BAR_INTERVALS

__all__ = ["WatchParams", "watch_params"]


@dataclass(frozen=True)
class WatchParams:
    interval_s: float = 60.0
    sectors: tuple[str, ...] = ("ai-crypto",)
    sources: tuple[str, ...] = ("coingecko",)
    skip_kinds: tuple[str, ...] = ("categories",)
    fetch_interval: str = "1h"
    history: pd.Timedelta = pd.Timedelta(days=35)
    grid: pd.Timedelta = pd.Timedelta(hours=1)
    staleness: pd.Timedelta = pd.Timedelta(hours=2)
    engine: EngineParams = field(default_factory=EngineParams)
    sinks: tuple[str, ...] = ("terminal",)
    dead_letter_file: Path | None = None
    webhook_secret_env: str = "SELLOFF_WEBHOOK_SECRET"
    webhook: WebhookPolicy = field(default_factory=WebhookPolicy)
    source_backoff_max_s: float = 900.0
    priority: tuple[str, ...] = ()


def _positive(cfg: dict, key: str) -> float:
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise ConfigError(f"[watch] {key} = {v!r} must be a number > 0; fix it in the config")
    return float(v)


def watch_params(overrides: dict | None = None) -> WatchParams:
    """``[watch]`` merged with ``overrides`` (``--interval`` → ``interval_s``, ``--sink`` → ``sinks``)."""
    cfg = {**defaults("watch"), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    if cfg["fetch_interval"] not in BAR_INTERVALS:
        raise ConfigError(f"[watch] fetch_interval = {cfg['fetch_interval']!r}; use one of {', '.join(BAR_INTERVALS)}")
    grid = duration(cfg["grid"], "[watch] grid")
    if grid <= pd.Timedelta(0) or pd.Timedelta(days=1) % grid != pd.Timedelta(0):
        raise ConfigError(f"[watch] grid = {cfg['grid']!r} must divide a day (e.g. \"1h\", \"15m\", \"1d\")")
    cov = cfg["breadth_min_coverage"]
    if not isinstance(cov, (int, float)) or not 0 < cov <= 1:
        raise ConfigError(f"[watch] breadth_min_coverage = {cov!r} must be a share in (0, 1]")
    if not isinstance(cfg["zscore_min_obs"], int) or cfg["zscore_min_obs"] < 2:
        raise ConfigError(f"[watch] zscore_min_obs = {cfg['zscore_min_obs']!r} must be a whole number >= 2")
    dead = str(cfg["dead_letter_file"])
    return WatchParams(
        interval_s=_positive(cfg, "interval_s"), sectors=tuple(cfg["sectors"]), sources=tuple(cfg["sources"]),
        skip_kinds=tuple(cfg["skip_kinds"]),
        fetch_interval=cfg["fetch_interval"], history=pd.Timedelta(days=_positive(cfg, "history_days")), grid=grid,
        staleness=duration(cfg["staleness"], "[watch] staleness"),
        engine=EngineParams(int(cfg["zscore_min_obs"]), float(cov), StabiliseParams.from_config(), detect_params()),
        sinks=tuple(cfg["sinks"]), dead_letter_file=Path(dead).expanduser() if dead else None,
        webhook_secret_env=str(cfg["webhook_secret_env"]),
        webhook=WebhookPolicy(int(cfg["webhook_attempts"]), float(cfg["webhook_backoff_s"]),
                              float(cfg["webhook_backoff_max_s"]), float(cfg["webhook_jitter_s"]),
                              float(cfg["webhook_timeout_s"])),
        source_backoff_max_s=_positive(cfg, "source_backoff_max_s"), priority=priority())
