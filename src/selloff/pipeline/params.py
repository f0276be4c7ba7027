"""Parameters of the analytics, built from the active configuration (:func:`selloff.config.defaults`).

The pipeline reads the config here, once per request, and passes typed parameters down: analytics never read
the config themselves.
"""
from __future__ import annotations

from selloff.analytics.context import ContextParams
from selloff.analytics.day import DayParams
from selloff.analytics.detect import DetectParams, StabiliseParams
from selloff.analytics.explanation import ExplainParams
from selloff.config import defaults
from selloff.universe import Universe

__all__ = ["book_params", "calib_params", "context_params", "day_params", "detect_params", "equities_of", "explain_params",
           "lookbacks", "network_params", "network_selection", "priority", "regime_params", "rolling_params"]


def priority() -> tuple[str, ...]:
    """Source priority, best first (``[sources] priority``)."""
    return tuple(defaults("sources")["priority"])


def detect_params(overrides: dict | None = None) -> DetectParams:
    """``[detect]`` with command-line overrides (``--z``, ``--move``, ``--breadth``, ``--vol``)."""
    return DetectParams.from_config(overrides)


def equities_of(universe: Universe) -> tuple[str, ...]:
    """The equities a day's analysis reports: the AI-equity basket, then the sectors named in
    ``[report] equity_sectors`` that the universe has."""
    att = defaults("attribution")
    ids = [*att["equity_basket"]]
    for x in defaults("report")["equity_sectors"]:
        if x in universe.sectors:
            ids += list(universe.sector(x).members)
    return tuple(dict.fromkeys(ids))


def day_params(universe: Universe) -> DayParams:
    att, sec = defaults("attribution"), defaults("sector")
    return DayParams(market_factor=str(att["market_factor"]), equity_basket=tuple(att["equity_basket"]),
                     equities=equities_of(universe), event_days_before=int(defaults("report")["event_days_before"]),
                     category_tolerance_hours=float(sec["category_snapshot_tolerance_hours"]), priority=priority(),
                     max_stale_days=float(sec["max_stale_days"]),
                     detect=detect_params(), stabilise=StabiliseParams.from_config())


def explain_params() -> ExplainParams:
    att, ex = defaults("attribution"), defaults("explain")
    return ExplainParams(
        market_factor=str(att["market_factor"]), equity_basket=tuple(att["equity_basket"]),
        equity_market=str(att["equity_market"]), window_days=int(att["window_days"]), hac_lags=int(att["hac_lags"]),
        rolling_betas_rows=int(att["rolling_betas_rows"]), min_obs=int(ex["min_obs"]),
        event_days_before=int(ex["event_days_before"]), event_kinds=tuple(ex["event_kinds"]),
        est_window=(int(ex["est_window"][0]), int(ex["est_window"][1])), spillover_lags=int(ex["spillover_lags"]),
        spillover_horizon=int(ex["spillover_horizon"]), spillover_sessions=int(ex["spillover_sessions"]),
        spillover_min_obs=int(ex["spillover_min_obs"]), spillover_rolling_window=int(ex["spillover_rolling_window"]),
        spillover_rolling_rows=int(ex["spillover_rolling_rows"]), granger_lags=int(ex["granger_lags"]),
        tail_during_sessions=int(ex["tail_during_sessions"]), correlation_window=int(ex["correlation_window"]),
        correlation_rows=int(ex["correlation_rows"]))


def lookbacks() -> dict[str, int]:
    """Days of history each analysis loads before its day (``[pipeline]``)."""
    return {k: int(v) for k, v in defaults("pipeline").items()}


def context_params() -> ContextParams:
    """``[context]``: peers, indices and windows of the report's context block."""
    c = defaults("context")
    return ContextParams(peers=tuple(c["peers"]), indices=tuple(c["indices"]), volume_window_days=int(c["volume_window_days"]),
                         drawdown_window_days=int(c["drawdown_window_days"]), slide_days=int(c["slide_days"]),
                         catalyst_days=int(c["catalyst_days"]), catalyst_equity_moves=int(c["catalyst_equity_moves"]),
                         since_days=tuple(int(x) for x in c["since_days"]), breadth_rise_pct=float(c["breadth_rise_pct"]),
                         movers=int(c["movers"]))


def regime_params():
    """``[liquidations]`` thresholds of the positioning regime."""
    from selloff.analytics.liquidations import RegimeParams

    c = defaults("liquidations")
    return RegimeParams(min_move_pct=float(c["regime_min_move_pct"]), min_oi_change_pct=float(c["regime_min_oi_change_pct"]))


def book_params():
    """``[cascade]`` leverage buckets, shares, MMR and windows of the book estimator."""
    from selloff.analytics.cascade import BookParams

    c = defaults("cascade")
    return BookParams(leverage=tuple(float(x) for x in c["leverage"]), long_shares=tuple(float(x) for x in c["long_shares"]),
                      short_shares=tuple(float(x) for x in c["short_shares"]), mmr=float(c["mmr"]),
                      lookback_days=int(c["lookback_days"]), vol_days=int(c["vol_days"]),
                      daily_turnover=float(c["daily_turnover"]))


def calib_params():
    """``[cascade]`` calibration grid and sample."""
    from selloff.analytics.cascade import CalibParams

    c = defaults("cascade")
    return CalibParams(k_max=float(c["k_max"]), k_grid_n=int(c["k_grid_n"]), scale_min=float(c["scale_min"]),
                       scale_max=float(c["scale_max"]), scale_grid_n=int(c["scale_grid_n"]),
                       holdout_share=float(c["holdout_share"]), floor_usd=float(c["floor_usd"]), min_days=int(c["min_days"]))


def stress_params(**overrides):
    """``[stress]`` (with ``[attribution]``'s market factor and equity basket and ``[cascade]``'s maintenance-margin
    rate, the one the margin-call distance shares with the cascade model) as typed parameters; keyword
    overrides (``paths``, ``seed``, ``method``) that are not None win."""
    from selloff.analytics.stress.params import StressParams

    s, att = defaults("stress"), defaults("attribution")
    p = StressParams(
        method=str(s["method"]), paths=int(s["paths"]), seed=int(s["seed"]), block_paths=int(s["block_paths"]),
        batch_paths=int(s["batch_paths"]), workers=int(s["workers"]), max_memory_mb=float(s["max_memory_mb"]),
        levels=tuple(float(x) for x in s["levels"]), risk_horizons=tuple(int(x) for x in s["risk_horizons_days"]),
        euler_level=float(s["euler_level"]), ci_level=float(s["ci_level"]),
        asset_sample_paths=int(s["asset_sample_paths"]), history_days=int(s["history_days"]),
        min_obs=int(s["min_obs"]), short_history_rows=int(s["short_history_rows"]), min_coverage=float(s["min_coverage"]), asymmetric=bool(s["asymmetric"]),
        mean=str(s["mean"]), float32=bool(s["float32"]), band_level=float(s["band_level"]), extrapolation_sigma=float(s["extrapolation_sigma"]),
        mmr=float(defaults("cascade")["mmr"]), factors=tuple(s["factors"]), market_factor=str(att["market_factor"]),
        equity_basket=tuple(att["equity_basket"]), backtest_window=int(s["backtest_window"]),
        backtest_refit_days=int(s["backtest_refit_days"]), traffic_light_days=int(s["traffic_light_days"]),
        traffic_light_level=float(s["traffic_light_level"]),
        traffic_light_yellow_prob=float(s["traffic_light_yellow_prob"]), traffic_light_red_prob=float(s["traffic_light_red_prob"]), multinomial_levels=int(s["multinomial_levels"]),
        test_size=float(s["test_size"]))
    engine = compute_engine(overrides.pop("engine", None), overrides.pop("scheduler", None))
    return p.with_overrides(engine=engine, **overrides)


def compute_engine(name: str | None = None, scheduler: str | None = None):
    """``[compute]`` as a :class:`selloff.compute.Engine`; ``name``/``scheduler`` (``--engine``/``--scheduler``)
    override it when not None."""
    from selloff.compute import Engine

    c = defaults("compute")
    return Engine(name or str(c["engine"]), scheduler or (str(c["scheduler"]) or None), int(c["dask_workers"]))


def results_cache():
    """Where results of long pure computations are kept between runs (``[compute] keep_results``): a
    :class:`selloff.diskcache.ResultCache` in the user cache dir, or None (off, or the folder is not usable)."""
    if not defaults("compute")["keep_results"]:
        return None
    from selloff.config import user_cache_dir
    from selloff.diskcache import result_cache

    return result_cache(user_cache_dir() / "results")


def network_params():
    """The sector connectedness network's parameters (``[connectedness]``)."""
    from selloff.analytics.sector_network import NetworkParams

    return NetworkParams.from_config()


def network_selection() -> tuple[tuple[str, ...], int]:
    """Which sectors the sector network holds and how many members make each index (``[connectedness]
    network_sectors``, ``network_members``), with ``[market] exclude_sectors``."""
    c = defaults("connectedness")
    return tuple(c["network_sectors"]), int(c["network_members"])


def rolling_params() -> dict:
    """Block size and LocalCluster workers of the rolling spillover (``[connectedness]``)."""
    c = defaults("connectedness")
    return {"block_windows": int(c["block_windows"]), "workers": int(c["dask_workers"])}



def intraday_params():
    """``[intraday]``: how hourly bars are built from minute bars, and the staleness of a price at an instant."""
    from selloff.pipeline.intraday import IntradayParams

    c = defaults("intraday")
    return IntradayParams(min_minutes_per_hour=int(c["min_minutes_per_hour"]), staleness_hours=float(c["staleness_hours"]))
