"""``selloff stress``: read the daily closes once, run the stress engine, return a frozen
:class:`~selloff.analytics.stress.result.StressResult`.

The portfolio file (TOML ``[[positions]]`` tables or a CSV with a header) is read here; everything after the
read is :func:`selloff.analytics.stress.run.stress_run` on the loaded panel, which :func:`stress_of` exposes for
callers that already hold a panel (the report's "what if it goes on").
"""
from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from selloff.analytics.panel import Panel
from selloff.analytics.stress import scenarios as lib
from selloff.analytics.stress.params import StressParams, parse_horizon
from selloff.analytics.stress.portfolio import Portfolio, portfolio_from_records
from selloff.analytics.stress.result import StressResult
from selloff.analytics.stress.run import stress_run
from selloff.analytics.stress.shocks import parse_shocks
from selloff.errors import ConfigError, DataError
from selloff.pipeline import params as P
from selloff.pipeline.load import load_panel
from selloff.store import Store
from selloff.timeutil import parse_date
from selloff.universe import Universe

__all__ = ["list_scenarios", "read_portfolio", "stress", "stress_assets", "stress_of"]


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
    bad = [a for a in names if a not in universe.assets]
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
                      sources=panel.provenance()["sources"])


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
           progress: Callable[[str, int, int], None] | None = None) -> StressResult:
    """Stress ``sector`` (or ``portfolio``: a TOML/CSV path, a :class:`Portfolio` or rows) on the stored closes.

    Every input is checked before the store is read; the closes are read once (daily bars, plus market caps
    for an ``episode:YYYY-MM-DD`` scenario, which the sell-off detector finds on the same panel)."""
    universe.sector(sector)
    p = P.stress_params(paths=paths, seed=seed, method=method)
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
    panel = load_panel(store, universe, [a for a in assets if a in universe.assets], None, None, tables=tables,
                       intervals=("1d",))
    if episode:
        sc = _episode(panel, universe, sector, episode)
    if rows is not None and port.value_usd is not None:  # quantities: valued at the last stored close
        last = panel.close.ffill().iloc[-1] if not panel.close.empty else pd.Series(dtype=float)
        port = portfolio_from_records(rows, src, prices={a: float(v) for a, v in last.items() if pd.notna(v)})
    return stress_of(panel, universe, sector, p, h, portfolio=port, shocks=sh, scenario=sc, reverse=rev,
                     backtest=backtest, progress=progress)


def list_scenarios() -> pd.DataFrame:
    """The library: one row per scenario (name, window, days, assets, kinds of evidence)."""
    rows = [{"name": s.name, "start": s.start, "end": s.end, "days": s.days, "assets": len(s.moves),
             "kinds": ",".join(sorted({m.kind for m in s.moves})), "title": s.title} for s in lib.library().values()]
    if not rows:
        raise DataError("the scenario library is empty; reinstall selloff")
    return pd.DataFrame(rows)
