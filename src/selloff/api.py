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
    from selloff.universe import Universe

__all__ = ["analyse", "build_demo_store", "check", "explain", "info", "open_store", "report", "scan", "store_path"]



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
