"""Building a :class:`~selloff.pipeline.watch.loop.Watch` from the configuration, the environment and options."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from selloff.errors import ConfigError
from selloff.pipeline.alerts import alert_rules
from selloff.pipeline.watch.loop import RoundReport, Watch
from selloff.pipeline.watch.params import watch_params
from selloff.pipeline.watch.sinks import build_sinks
from selloff.sources import registry
from selloff.sources.tasks import FetchContext
from selloff.timeutil import parse_instant
from selloff.universe import Universe

__all__ = ["context_from_env", "make_watch", "replay_window"]


def context_from_env(sources: Sequence[str]) -> FetchContext:
    """The connectors' clients for ``sources``, with the user's keys from the environment (as ``selloff fetch``)."""
    for s in sources:
        registry.get(s)  # an unknown source is a ConfigError naming the known ones
    kw: dict = {}
    if "coingecko" in sources:
        from selloff.sources.coingecko import CoinGecko

        kw["coingecko"] = CoinGecko.from_env()
    if "coinglass" in sources:
        from selloff.sources.coinglass import CoinGlass

        kw["coinglass"] = CoinGlass.from_env()
    if "ccxt" in sources:
        from selloff.sources import exchanges as ex

        kw["exchange_factory"] = lambda name: ex.make_exchange(
            name, rest_base=os.environ.get(f"SELLOFF_{name.upper()}_REST_BASE") or None)
    return FetchContext(**kw)


def make_watch(store_path: Path, universe: Universe, *, rules_file: str | Path | None = None,
               sinks: Sequence[str] | None = None, interval_s: float | None = None, ctx: FetchContext | None = None,
               stop: threading.Event | None = None, on_round: Callable[[RoundReport], None] | None = None,
               clock: Callable[[], pd.Timestamp] | None = None) -> tuple[Watch, bool]:
    """A ready :class:`Watch` and whether the terminal table was asked for (``terminal`` among the sinks).

    Raises
    ------
    ConfigError
        A bad rules file, sink, ``[watch]`` value, unknown sector/asset/source, or a webhook without its secret.
    """
    params = watch_params({"interval_s": interval_s, "sinks": list(sinks) if sinks else None})
    rules = alert_rules(rules_file).rules
    terminal, built = build_sinks(params.sinks, os.environ.get(params.webhook_secret_env), params.webhook_secret_env,
                                  params.webhook)
    if not params.sources:
        raise ConfigError("[watch] sources is empty; name at least one connector, e.g. [\"coingecko\"]")
    w = Watch(Path(store_path), universe, rules, built, ctx or context_from_env(params.sources), params,
              stop=stop or threading.Event(), on_round=on_round)
    if clock is not None:
        w.clock = clock
    return w, terminal


def replay_window(since: object, until: object = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``--since`` / ``--until`` of a replay as UTC instants (``until`` default now); a reversed or missing
    start is a ``ConfigError``."""
    t0, t1 = parse_instant(since, "--since"), parse_instant(until, "--until") or pd.Timestamp.now(tz="UTC")
    if t0 is None:
        raise ConfigError("a replay needs --since (the first instant to evaluate), e.g. --since 2026-02-01")
    if t0 >= t1:
        raise ConfigError(f"--since {t0:%Y-%m-%d %H:%M} is not before --until {t1:%Y-%m-%d %H:%M}; swap or fix them")
    return t0, t1
