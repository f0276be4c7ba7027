"""The Python API: a thin facade over :mod:`selloff.pipeline`, the same code under every interface.

Each function takes the store first — a path (opened read-only for reads and closed again) or an open
:class:`~selloff.store.Store` — then keywords named like the CLI options, and returns a typed result
(DataFrames inside, ``to_frame()`` / ``to_dict()`` on each)::

    from selloff import api
    api.report("my.duckdb", sector="ai-crypto", date="2026-02-05", lang="all", formats="md,html", out="out/")
    api.scan("my.duckdb", sector="ai-crypto", since="2026-01-01").to_frame()

``universe`` is a :class:`~selloff.universe.Universe`, a TOML path, or None (the bundled universe with the
user's ``universe.toml``); ``config`` a config TOML path activated for the call (see :func:`selloff.config.use_config`).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # the heavy modules load on first call, not on import (selloff --help stays fast)
    import pandas as pd

    from selloff.analytics.day import Analysis
    from selloff.analytics.explanation import Explanation
    from selloff.analytics.sector_network import SectorNetwork
    from selloff.pipeline.analysis import ScanResult
    from selloff.pipeline.report import ReportResult
    from selloff.simulate import SimSpec
    from selloff.pipeline.stores import Store
    from selloff.analytics.stress.result import StressResult
    from selloff.universe import Universe
    from selloff.pipeline.cascade import CascadeReport
    from selloff.pipeline.liquidations import LiquidationResult

__all__ = ["analyse", "build_demo_store", "cascade", "check", "explain", "info", "liquidations", "open_store", "report", "scan",
           "store_path"]
__all__ += ["scan_all", "today"]



def store_path(path: str | Path | None) -> Path:
    """``path``, or the default store in the user data dir."""
    from selloff.pipeline.stores import store_path as path_of

    return path_of(path)


def _universe(universe) -> "Universe":
    from selloff.universe import Universe, load_universe

    if isinstance(universe, Universe):
        return universe
    return load_universe(*([universe] if universe else []))


def open_store(store, read_only: bool = True):
    """An open store as a context manager: ``store`` itself when it is one (left open), else the file opened and
    closed on exit (:func:`selloff.pipeline.stores.open_store`)."""
    from selloff.pipeline.stores import open_store as opened

    return opened(store, read_only)


@contextmanager
def _config(config) -> Iterator[None]:
    if config is None:
        yield
        return
    from selloff.config import use_config

    with use_config(config):
        yield


def scan(store, universe=None, sector: str = "ai-crypto", since: object = None, until: object = None,
         params=None, *, z: float | None = None, move: float | None = None, breadth: float | None = None,
         vol: str | None = None, config: str | Path | None = None) -> "ScanResult":
    """Collective sell-off episodes of ``sector`` (see :func:`selloff.pipeline.analysis.scan`); ``z``, ``move``,
    ``breadth`` and ``vol`` override ``[detect]`` like ``selloff scan --z/--move/--breadth/--vol``."""
    from selloff.pipeline import analysis
    from selloff.pipeline.params import detect_params

    with _config(config), open_store(store) as db:
        overrides = {k: v for k, v in (("z_threshold", z), ("move_threshold_pct", move), ("breadth_threshold", breadth),
                                        ("vol_method", vol)) if v is not None}
        if params is None and overrides:
            params = detect_params(overrides)
        return analysis.scan(db, _universe(universe), sector, since, until, params)


def analyse(store, universe=None, sector: str = "ai-crypto", date: object = None, *,
            config: str | Path | None = None) -> "Analysis":
    """The day's picture of ``sector`` on ``date`` (see :func:`selloff.pipeline.analysis.analyse`)."""
    from selloff.pipeline import analysis

    with _config(config), open_store(store) as db:
        return analysis.analyse(db, _universe(universe), sector, _required(date))


def explain(store, universe=None, sector: str = "ai-crypto", date: object = None, *,
            config: str | Path | None = None) -> "Explanation":
    """Decomposition, event study, spillover, contagion and dependency tables (see
    :func:`selloff.pipeline.analysis.explain`)."""
    from selloff.pipeline import analysis

    with _config(config), open_store(store) as db:
        return analysis.explain(db, _universe(universe), sector, _required(date))


def report(store, universe=None, sector: str = "ai-crypto", date: object = None, lang: str = "all",
           formats: str = "md,html", out: str | Path = "out", *, config: str | Path | None = None) -> "ReportResult":
    """Write the market report, exactly the files ``selloff report`` writes (see
    :func:`selloff.pipeline.report.report`)."""
    from selloff.pipeline import report as rep

    with _config(config), open_store(store) as db:
        return rep.report(db, _universe(universe), sector, _required(date), lang, formats, out)


def check(store, text: str, universe=None, date: object = None, lang: str | None = None, *,
          config: str | Path | None = None):
    """Extract the numeric claims of ``text`` and verify each against the store (see
    :func:`selloff.pipeline.check.check`); ``store`` may be None (every claim is then unverifiable)."""
    from selloff.pipeline import check as chk

    with _config(config):
        if store is None:
            return chk.check(None, _universe(universe), text, date=date, lang=lang)
        with open_store(store) as db:
            return chk.check(db, _universe(universe), text, date=date, lang=lang)


def build_demo_store(store, universe=None, spec: "SimSpec | None" = None, *,
                     config: str | Path | None = None) -> "pd.DataFrame":
    """Write the simulated demo market into ``store`` (one transaction; rows per table)."""
    from selloff.pipeline.demo import build_demo_store as build

    with _config(config), open_store(store, read_only=False) as db:
        return build(db, _universe(universe), spec)


def info(store):
    """What the store holds (see :func:`selloff.pipeline.info.store_info`)."""
    from selloff.pipeline.info import store_info

    with open_store(store) as db:
        return store_info(db)


def _required(date: object) -> object:
    from selloff.errors import ConfigError

    if date is None:
        raise ConfigError("date is required; pass date='YYYY-MM-DD' (the UTC day to analyse)")
    return date


def liquidations(store, *, sector: str | None = None, asset: str | None = None, date: object = None,
                 since: object = None, until: object = None, config: str | Path | None = None,
                 universe=None) -> "LiquidationResult":
    """Liquidations by asset, venue, side, hour and day with coverage, share of OI, largest hours, funding and OI
    before vs during, positioning regime (see :func:`selloff.pipeline.liquidations.liquidations`)."""
    from selloff.pipeline import liquidations as liq

    with _config(config), open_store(store) as db:
        return liq.liquidations(db, _universe(universe), sector, asset, date, since, until)


def cascade(store, *, asset: str = "BTC", shock: float = -0.18, date: object = None,
            config: str | Path | None = None, universe=None) -> "CascadeReport":
    """The leverage cascade of ``shock`` (fraction, > -1) on ``asset`` hitting on ``date``, calibrated on the
    store (see :func:`selloff.pipeline.cascade.cascade`)."""
    from selloff.pipeline import cascade as cas

    with _config(config), open_store(store) as db:
        return cas.cascade(db, _universe(universe), asset, shock, date)


__all__ += ["stress", "stress_scenarios"]


def stress(store, *, sector: str | None = None, shocks=(), scenario: str | None = None, reverse=None,
           backtest: bool = False, portfolio=None, horizon: str = "1d", paths: int | None = None,
           seed: int | None = None, config: str | Path | None = None, universe=None, method: str | None = None,
           progress=None, engine: str | None = None, scheduler: str | None = None) -> "StressResult":
    """Stress test ``sector``'s members (equal-weighted) or ``portfolio`` (see :func:`selloff.pipeline.stress.stress`).

    ``shocks``: ``["BTC=-18%", "NVDA=-10%"]`` or ``{"BTC": -0.18}``; ``scenario``: a library name
    (:func:`stress_scenarios`) or ``"episode:YYYY-MM-DD"``; ``reverse``: the loss, ``"-25%"`` or ``-0.25``;
    ``portfolio``: a TOML/CSV path or rows ``{asset, weight | quantity, leverage}``; ``horizon``: ``1d``, ``5d`` or
    ``10d``; ``paths``/``seed`` override ``[stress]``; ``progress(stage, done, total)`` is called per batch;
    ``sector`` None is ``ai-crypto``; ``engine`` ``"local"`` or ``"dask"`` (``scheduler``: a dask address, None: a
    LocalCluster) runs the Monte Carlo blocks there, with the same result.
    """
    from selloff.pipeline import stress as st

    with _config(config), open_store(store) as db:
        return st.stress(db, _universe(universe), sector or "ai-crypto", shocks=shocks, scenario=scenario, reverse=reverse,
                         backtest=backtest, portfolio=portfolio, horizon=horizon, paths=paths, seed=seed,
                         method=method, progress=progress, engine=engine, scheduler=scheduler)


def stress_scenarios(store=None, *, sector: str | None = None, universe=None,
                     config: str | Path | None = None) -> "pd.DataFrame":
    """The shipped historical scenario library, one row per scenario; with ``store``, the sell-off episodes
    detected in it too (replayable as ``episode:<start>``)."""
    from selloff.pipeline.stress import list_scenarios

    if store is None:
        return list_scenarios()
    with _config(config), open_store(store) as db:
        return list_scenarios(db, _universe(universe), sector or "ai-crypto")
# -- watch: alerts, rules, channel health (selloff watch writes them; the dashboard reads them here) ----------
__all__ += ["alert_channels", "alert_rules", "alerts"]


def alerts(store, *, since: object = None, status: str | None = None, limit: int = 200,
           config: str | Path | None = None):
    """Stored alert episodes, newest first, with their per-sink deliveries and the channel health (see
    :func:`selloff.pipeline.alerts.alerts`): ``since`` an instant (alerts alive at or after it), ``status``
    ``"firing"`` or ``"resolved"``, at most ``limit`` alerts. Returns an :class:`~selloff.pipeline.alerts.AlertsResult`."""
    from selloff.pipeline import alerts as al

    with _config(config), open_store(store) as db:
        return al.alerts(db, since=since, status=status, limit=limit)


def alert_rules(rules_file: str | Path | None = None, config: str | Path | None = None):
    """The parsed watch rules of ``rules_file`` (default: ``[watch] rules_file``, else the bundled example);
    a :class:`~selloff.pipeline.alerts.RulesResult`."""
    from selloff.pipeline import alerts as al

    with _config(config):
        return al.alert_rules(rules_file)


def alert_channels(store, *, config: str | Path | None = None):
    """Per sink: deliveries by status, last success, last error, dead-letter count (a tuple of
    :class:`~selloff.pipeline.alerts.ChannelHealth`; the same as ``alerts(store).channels``)."""
    from selloff.pipeline import alerts as al

    with _config(config), open_store(store) as db:
        return al.channels(db)


# -- used by the dashboard (selloff serve) -------------------------------------------------------------------
__all__ += ["closes", "universe"]


def universe(universe=None) -> "Universe":
    """The universe every function above uses for ``universe=`` (a ``Universe``, a TOML path, or None)."""
    return _universe(universe)


def closes(store, assets, universe=None, since: object = None, until: object = None, *,
           config: str | Path | None = None):
    """Daily closes of ``assets`` between ``since`` and ``until`` (see :func:`selloff.pipeline.series.closes`)."""
    from selloff.pipeline.series import closes as closes_of

    with _config(config), open_store(store) as db:
        return closes_of(db, _universe(universe), list(assets), since, until)


__all__ += ["watch"]


def watch(store=None, *, rules_file: str | Path | None = None, sinks=None, interval: float | None = None,
          iterations: int | None = None, since: object = None, until: object = None, universe=None,
          config: str | Path | None = None, stop=None, on_round=None, ctx=None, clock=None):
    """Run ``selloff watch`` (see :mod:`selloff.pipeline.watch`): poll, evaluate the rules, store and notify
    every ``interval`` seconds, ``iterations`` rounds (None: until ``stop``, a ``threading.Event``, is set).
    ``sinks`` like ``--sink`` (``terminal``, ``jsonl:PATH``, ``webhook:URL``); ``on_round`` gets each
    :class:`~selloff.pipeline.watch.RoundReport`. With ``since`` (and ``until``, default now) it replays the
    stored data instead, evaluating at every ``[watch] grid`` step (no fetch). Returns a
    :class:`~selloff.pipeline.watch.WatchSummary`."""
    from selloff.pipeline.watch.start import make_watch, replay_window

    with _config(config):
        w, _ = make_watch(store_path(store), _universe(universe), rules_file=rules_file, sinks=sinks,
                          interval_s=interval, ctx=ctx, stop=stop, on_round=on_round, clock=clock)
        if since is not None or until is not None:
            return w.replay(*replay_window(since, until))
        return w.run(iterations)
    return list_scenarios()


# -- the whole market (issue 13) -------------------------------------------------------------------------------
def today(store, *, date: object = None, universe=None, config: str | Path | None = None, sectors=None):
    """The market board of ``date`` (default: the last day with crypto data): every sector's 1 d / 7 d / 30 d
    move, sigma-scaled move, breadth, active episode, against BTC and the equity indices
    (:class:`selloff.pipeline.market.MarketBoard`; see :func:`selloff.pipeline.market.today`)."""
    from selloff.pipeline import market

    with _config(config), open_store(store) as db:
        return market.today(db, _universe(universe), date, sectors)


def scan_all(store, *, universe=None, since: object = None, until: object = None, config: str | Path | None = None,
             z: float | None = None, move: float | None = None, breadth: float | None = None, vol: str | None = None,
             sectors=None, params=None, engine: str | None = None, scheduler: str | None = None):
    """Every sector's episodes in one pass over the store, ranked by sigma-scaled move x breadth
    (:class:`selloff.pipeline.market.MarketScan`); ``z``/``move``/``breadth``/``vol`` as in :func:`scan`;
    ``engine="dask"`` scans blocks of sectors on a dask cluster (``scheduler``, or a LocalCluster), same episodes."""
    from selloff.pipeline import market
    from selloff.pipeline.params import compute_engine, detect_params

    with _config(config), open_store(store) as db:
        overrides = {k: v for k, v in (("z_threshold", z), ("move_threshold_pct", move), ("breadth_threshold", breadth),
                                        ("vol_method", vol)) if v is not None}
        if params is None and overrides:
            params = detect_params(overrides)
        return market.scan_all(db, _universe(universe), since, until, params, sectors,
                               engine=compute_engine(engine, scheduler))


# -- the dashboard's dependency graph ------------------------------------------------------------------------
__all__ += ["dependency_graph"]


def dependency_graph(store, universe=None, sector: str = "ai-crypto", date: object = None, *,
                     config: str | Path | None = None):
    """Each dependency edge's raw and partial correlation given the market factor (see
    :func:`selloff.pipeline.graph.dependency_graph`)."""
    from selloff.pipeline.graph import dependency_graph as graph

    with _config(config), open_store(store) as db:
        return graph(db, _universe(universe), sector, _required(date))
def sector_network(store, universe=None, sector: str = "ai-crypto", date: object = None, *,
                   config: str | Path | None = None) -> "SectorNetwork":
    """Is it spreading across the market: the sector connectedness network before and with ``sector``'s episode
    around ``date`` (see :func:`selloff.pipeline.analysis.network`)."""
    from selloff.pipeline import analysis

    with _config(config), open_store(store) as db:
        return analysis.network(db, _universe(universe), sector, _required(date))


def rolling_spillover(data: "pd.DataFrame", window: int, lags: int = 4, horizon: int = 10, step: int = 1, *,
                      identification: str = "generalized", engine: str = "local", scheduler: str | None = None,
                      config: str | Path | None = None) -> "pd.DataFrame":
    """Rolling Diebold-Yilmaz spillover of a wide frame (one column per market), batched; ``engine="dask"`` runs the
    window blocks on the dask.distributed scheduler at ``scheduler`` or on a LocalCluster of ``[connectedness]
    dask_workers`` processes (identical numbers; see :func:`selloff.analytics.spillover_rolling.rolling_spillover`)."""
    from selloff.analytics.spillover_rolling import rolling_spillover as roll
    from selloff.pipeline.params import rolling_params

    with _config(config):
        return roll(data, window, lags, horizon, step, identification=identification, engine=engine,
                    scheduler=scheduler, **rolling_params())


__all__ += ["rolling_spillover", "sector_network"]
