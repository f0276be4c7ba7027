"""``selloff stress``: read the daily closes once, run the stress engine, return a frozen
:class:`~selloff.analytics.stress.result.StressResult`.

The portfolio file (TOML ``[[positions]]`` tables or a CSV with a header) is read here; everything after the
read is :func:`selloff.analytics.stress.run.stress_run` on the loaded panel, which :func:`stress_of` exposes for
callers that already hold a panel (the report's "what if it goes on").
"""
from __future__ import annotations

import csv
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from selloff.analytics.panel import Panel
from selloff.analytics.stress import scenarios as lib
from selloff.analytics.stress.params import StressParams, parse_horizon
from selloff.analytics.stress.portfolio import Portfolio, portfolio_from_records
from selloff.analytics.stress.result import StressResult
from selloff.analytics.stress.run import BASKET, stress_run
from selloff.analytics.stress.shocks import parse_shocks
from selloff.analytics.cascade import expected_liquidations
from selloff.errors import ConfigError, DataError, SelloffError
from selloff.pipeline import params as P
from selloff.pipeline.cascade import model_of
from selloff.pipeline.load import load_panel, no_daily_bars
from selloff.store import Store
from selloff.timeutil import parse_date
from selloff.universe import Universe

__all__ = ["list_scenarios", "read_portfolio", "stress", "stress_assets", "stress_of", "what_if_of", "with_liquidations"]

CASCADE_ASSET = "BTC"
"""The asset whose leveraged book the cascade model estimates (the market's liquidations follow BTC's move)."""


def read_portfolio(path: str | Path) -> list[dict]:
    """Rows of a portfolio file: TOML (``[[positions]]`` with asset, weight or quantity, leverage) or CSV (a
    header with those columns)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"portfolio file {p} not found; give a TOML or CSV file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"portfolio file {p} cannot be read ({exc}); give a UTF-8 TOML or CSV file") from None
    if p.suffix.lower() == ".toml":
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"portfolio file {p}: {exc}; fix the TOML") from None
        rows = raw.get("positions")
        if not isinstance(rows, list) or set(raw) - {"positions"}:
            raise ConfigError(f"portfolio file {p} needs [[positions]] tables (asset, weight or quantity, leverage) and "
                              f"nothing else")
        return rows
    if p.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        return [{k.strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in r.items() if k} for r in rows]
    raise ConfigError(f"portfolio file {p} must end in .toml or .csv")


def stress_assets(universe: Universe, sector: str, p: StressParams, portfolio_assets: Iterable[str],
                  shocks: Iterable[str], scenario: lib.Scenario | None) -> list[str]:
    """Every asset the run may use: the portfolio (or the sector's members), the factors, shocks, scenario."""
    ids = [*portfolio_assets] or list(universe.sector(sector).members)
    ids += [p.market_factor, *p.equity_basket, *shocks, *([m.asset for m in scenario.moves] if scenario else [])]
    return list(dict.fromkeys(ids))


def _check_assets(universe: Universe, names: Iterable[str], what: str) -> None:
    bad = [a for a in names if a not in universe.assets and a != BASKET]
    if bad:
        raise ConfigError(f"{what} names unknown asset {', '.join(bad)}; use universe ids (selloff universe), "
                          f"e.g. BTC, NVDA, TAO")


def _episode(panel: Panel, universe: Universe, sector: str, day: str) -> lib.Scenario:
    from selloff.pipeline.analysis import scan_panel

    d = parse_date(day, "--scenario episode:")
    eps = scan_panel(panel, universe, sector, None, None, P.detect_params()).episodes
    hit = [e for e in eps if e.start.normalize() <= d.tz_localize(None) <= e.end.normalize()] if eps else []
    if not hit:
        listed = ", ".join(str(e.start.date()) for e in eps) or "none"
        raise ConfigError(f"no detected {sector} episode covers {d.date()}; detected episode starts: {listed}")
    e = hit[0]
    start, end = pd.Timestamp(e.start).tz_localize("UTC") if e.start.tzinfo is None else e.start, e.end
    end = pd.Timestamp(end).tz_localize("UTC") if end.tzinfo is None else end
    return lib.episode_scenario(panel.close, start, end, f"detected {sector} episode {e.start.date()}..{e.end.date()} "
                                f"(depth {e.depth_pct:.1f} %)", f"store: {', '.join(panel.sources('bars'))}")


def stress_of(panel: Panel, universe: Universe, sector: str, p: StressParams, horizon: int, *,
              portfolio: Portfolio | None = None, shocks: dict | None = None, scenario: lib.Scenario | None = None,
              reverse: float | None = None, backtest: bool = False,
              progress: Callable[[str, int, int], None] | None = None) -> StressResult:
    """The stress run on an already loaded ``panel`` (pure: no read)."""
    kinds = {a: universe.asset(a).kind if a in universe.assets else "token" for a in panel.close.columns}
    return stress_run(panel.close, kinds, universe.sector(sector).id, list(universe.sector(sector).members), p,
                      horizon, portfolio=portfolio, shocks=shocks, scenario=scenario, reverse=reverse,
                      backtest=backtest, progress=progress, simulated=panel.simulated,
                      sources=panel.provenance()["sources"], fit_cache=P.results_cache())


def _reverse(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        t = value.strip()
        try:
            x = float(t.rstrip("%")) / (100 if t.endswith("%") else 1)
        except ValueError:
            raise ConfigError(f"--reverse {value!r} is not a loss; write e.g. --reverse -25%") from None
    else:
        x = float(value)
    x = abs(x)
    if not 0 < x <= 1:
        raise ConfigError(f"--reverse {value!r}: the loss must lie between 0 and -100 % (e.g. --reverse -25%)")
    return x


def stress(store: Store, universe: Universe, sector: str = "ai-crypto", *, shocks=(), scenario: str | None = None,
           reverse=None, backtest: bool = False, portfolio=None, horizon="1d", paths: int | None = None,
           seed: int | None = None, method: str | None = None,
           progress: Callable[[str, int, int], None] | None = None, engine: str | None = None,
           scheduler: str | None = None) -> StressResult:
    """Stress ``sector`` (or ``portfolio``: a TOML/CSV path, a :class:`Portfolio` or rows) on the stored closes.

    Every input is checked before the store is read; the closes are read once (daily bars, plus market caps
    for an ``episode:YYYY-MM-DD`` scenario, which the sell-off detector finds on the same panel)."""
    universe.sector(sector)
    p = P.stress_params(paths=paths, seed=seed, method=method, engine=engine, scheduler=scheduler)
    h = parse_horizon(horizon)
    sh = parse_shocks(shocks)
    _check_assets(universe, sh, "--shock")
    rev = _reverse(reverse)
    sc = None
    episode = None
    if scenario:
        if str(scenario).startswith("episode:"):
            episode = str(scenario).split(":", 1)[1]
            parse_date(episode, "--scenario episode:")
        else:
            sc = lib.scenario(str(scenario))
    port = rows = None
    src = str(portfolio) if isinstance(portfolio, (str, Path)) else ""
    if portfolio is not None:
        if isinstance(portfolio, Portfolio):
            port = portfolio
        else:
            rows = read_portfolio(portfolio) if isinstance(portfolio, (str, Path)) else list(portfolio)
            names = [str(r.get("asset") or "").strip().upper() for r in rows]
            port = portfolio_from_records(rows, src, prices=dict.fromkeys(names, 1.0))  # checked before the read
        _check_assets(universe, port.assets, f"portfolio {port.source}")
    assets = stress_assets(universe, sector, p, port.assets if port else (), sh, sc)
    if episode:
        assets = list(dict.fromkeys([*assets, *universe.sector(sector).members]))
    tables = ("bars", "market_caps") if episode else ("bars",)
    ids = [a for a in assets if a in universe.assets]
    # one read for the stress and the cascade model's BTC history (daily bars and derivatives), split in memory
    both = list(dict.fromkeys([*ids, CASCADE_ASSET]))  # BTC's stored bars also when the universe lacks it
    loaded = load_panel(store, universe, both, None, None, tables=(*tables, "derivatives"), intervals=("1d",),
                        derivatives_of=[CASCADE_ASSET])
    panel = loaded.restricted(ids, tables)
    if panel.daily.empty:  # only the cascade's asset had bars: the stress itself has none
        raise no_daily_bars(ids, None, None)
    if episode:
        sc = _episode(panel, universe, sector, episode)
    if rows is not None and port.value_usd is not None:  # quantities: valued at the last stored close
        last = panel.close.ffill().iloc[-1] if not panel.close.empty else pd.Series(dtype=float)
        port = portfolio_from_records(rows, src, prices={a: float(v) for a, v in last.items() if pd.notna(v)})
    res = stress_of(panel, universe, sector, p, h, portfolio=port, shocks=sh, scenario=sc, reverse=rev,
                    backtest=backtest, progress=progress)
    return with_liquidations(res, loaded.restricted([CASCADE_ASSET], ("bars", "derivatives")), sh, sc)


def _btc_move(res: StressResult, shocks: dict, sc) -> tuple[float | None, str]:
    """The BTC move the liquidation figure is computed for, and how it was chosen."""
    if CASCADE_ASSET in shocks:
        return shocks[CASCADE_ASSET], "the --shock"
    if sc is not None and CASCADE_ASSET in sc.shocks():
        return sc.shocks()[CASCADE_ASSET], f"scenario {sc.name}"
    if CASCADE_ASSET in res.distribution.index:
        return float(res.distribution.loc[CASCADE_ASSET, "p01_pct"]) / 100, f"its 1 % simulated {res.horizon}-day quantile"
    return None, ""


def with_liquidations(res: StressResult, history: Panel, shocks: dict, sc) -> StressResult:
    """Fill ``expected_liquidations_usd``: the leverage-cascade model (:func:`selloff.pipeline.cascade.model_of`,
    calibrated on ``history``, the stored BTC daily bars and derivatives) run for BTC's move in this stress (the shock, the scenario's move, or
    BTC's 1 % simulated quantile at the horizon). Where no book can be estimated the field stays None and the note
    says why."""
    move, how = _btc_move(res, shocks, sc)
    if move is None:
        return replace(res, expected_liquidations_note=f"expected liquidations: {CASCADE_ASSET} is not in this run, so "
                                                       f"the cascade model has no move to start from")
    try:
        m = model_of(history, CASCADE_ASSET)
    except SelloffError as exc:
        return replace(res, expected_liquidations_note=f"expected liquidations: no cascade model ({exc})")
    e = expected_liquidations(m.book, [move], m.k, m.scale)
    total, extra = float(e.total_usd[0]), (float(e.final_move[0]) - move) * 100
    label = " (simulated data)" if m.simulated else ""
    note = (f"expected liquidations{label}: {CASCADE_ASSET} {move * 100:+.1f} % ({how}) -> the cascade model "
            f"liquidates {total / 1e6:,.0f} m USD ({float(e.long_usd[0]) / 1e6:,.0f} m long, "
            f"{float(e.short_usd[0]) / 1e6:,.0f} m short), {extra:+.1f} pp extra move; {m.note}")
    return replace(res, expected_liquidations_usd=total, expected_liquidations_note=note)


def list_scenarios(store: Store | None = None, universe: Universe | None = None,
                   sector: str = "ai-crypto") -> pd.DataFrame:
    """The library: one row per scenario (name, window, days, assets, kinds of evidence); with ``store``, the
    episodes the sell-off detector finds in it as ``episode:<start>`` rows."""
    rows = [{"name": s.name, "start": s.start, "end": s.end, "days": s.days, "assets": len(s.moves),
             "kinds": ",".join(sorted({m.kind for m in s.moves})), "title": s.title} for s in lib.library().values()]
    if store is not None and universe is not None:
        from selloff.pipeline.analysis import scan

        for e in scan(store, universe, sector).episodes:
            rows.append({"name": f"episode:{e.start.date()}", "start": str(e.start.date()), "end": str(e.end.date()),
                         "days": int(e.days), "assets": len(universe.sector(sector).members), "kinds": "stored",
                         "title": f"detected {sector} episode, depth {e.depth_pct:.1f} %"})
    if not rows:
        raise DataError("the scenario library is empty; reinstall selloff")
    return pd.DataFrame(rows)


def what_if_of(panel: Panel, universe: Universe, sector: str, date: object, shocks: dict | None = None,
               horizon: int = 1, paths: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """The report's "what if it goes on" table on a loaded panel, with the history up to the end of ``date``
    (pure: no read). ``shocks`` default to ``[scenario]``'s market and equity shocks on BTC and the AI-equity
    basket (:func:`selloff.analytics.stress.whatif.what_if_table`).

    When no member has more than ``[stress] min_obs`` closes (the engine's GARCH fits would have none to fit), a
    one-day what-if propagates the shocks through OLS factor betas on the sessions there are instead
    (:func:`selloff.analytics.stress.betas.beta_what_if`, members with more than ``[report] what_if_short_min_obs``
    closes; ``attrs["method"] == "beta"``)."""
    from selloff.analytics.stress.whatif import what_if_table
    from selloff.config import defaults
    from selloff.timeutil import end_of_day

    p = P.stress_params(paths=paths, seed=seed)
    if shocks is None:
        sc = defaults("scenario")
        shocks = {p.market_factor: float(sc["market_shock"]), BASKET: float(sc["equity_shock"])}
    sub = panel.between(None, end_of_day(parse_date(date, "date")))
    sh = parse_shocks(shocks)
    members = [m for m in universe.sector(sector).members if m in sub.close.columns]
    closes = {m: int(sub.close[m].notna().sum()) for m in members}
    short_min = int(defaults("report")["what_if_short_min_obs"])
    if horizon == 1 and closes and max(closes.values()) <= p.min_obs:  # the engine would find no member to fit
        if max(closes.values()) <= short_min:
            raise DataError(f"no member of {sector} has more than {short_min} daily closes to {parse_date(date, 'date').date()} "
                            f"({', '.join(f'{m} {n}' for m, n in closes.items())}); the what-if needs a longer history "
                            "([report] what_if_short_min_obs)")
        from selloff.analytics.stress.betas import beta_what_if

        kinds = {a: universe.asset(a).kind if a in universe.assets else "token" for a in sub.close.columns}
        tab = beta_what_if(sub.close, kinds, members, sh, p.equity_basket, min_obs=short_min,
                           history_days=p.history_days, min_coverage=p.min_coverage, level=p.band_level)
        tab.attrs.update(engine_min_obs=p.min_obs, simulated=sub.simulated, closes=closes)
        return tab
    return what_if_table(stress_of(sub, universe, sector, p, horizon, shocks=sh))
