"""One stress run on loaded closes: the return grid, the FHS fit, the engine, and the tables of the result.

Calendar: a run of tokens only uses UTC days (365 a year); as soon as an equity is in it (a position, a shock,
the AI-equity factor) the grid is the equity sessions, and a token's return on a session is its move between
the UTC closes of consecutive session dates (a weekend's move lands on Monday). Token days close at 00:00 UTC,
equity sessions at 16:00 New York: the two closes of one date are four to five hours apart, which the joint
bootstrap treats as simultaneous. Horizons then count sessions.
"""
from __future__ import annotations

from typing import Callable, Mapping, MutableMapping, Sequence

import numpy as np
import pandas as pd

from selloff.analytics.stress.backtest import backtest_var
from selloff.analytics.stress.copula import fit_t_copula
from selloff.analytics.stress.engine import EngineParams, EngineRun, check_memory, run_engine
from selloff.analytics.stress.fhs import FHSModel, fit_fhs
from selloff.analytics.stress.params import StressParams
from selloff.analytics.stress.portfolio import Portfolio, equal_weight, margin_call_move
from selloff.analytics.stress.result import StressResult
from selloff.analytics.stress.reverse import reverse_result
from selloff.analytics.stress.scenarios import Scenario
from selloff.analytics.stress.shocks import shock_map
from selloff.errors import ConfigError, DataError
from selloff.texts import Text

__all__ = ["BASKET", "return_grid", "stress_run", "with_basket"]

BASKET = "EQ_BASKET"
PORTFOLIO = "PORTFOLIO"
"""The portfolio's row in the distribution table."""


def _window(close: pd.DataFrame, kinds: Mapping[str, str], core: Sequence[str], keep: Sequence[str],
            sessions: bool, history_days: int) -> pd.DataFrame:
    """Closes of ``keep`` on the span all ``core`` assets cover, on sessions or UTC days, last rows only."""
    c = close[list(keep)]
    first = max(close[a].first_valid_index() for a in core)
    last = min(close[a].last_valid_index() for a in core)
    c = c.loc[first:last]
    if sessions:
        c = c[c[[a for a in keep if kinds.get(a) == "equity"]].notna().any(axis=1)]
    return c.iloc[-(history_days + 1):]


def return_grid(close: pd.DataFrame, kinds: Mapping[str, str], required: Sequence[str], members: Sequence[str],
                optional: Sequence[str], history_days: int, min_coverage: float,
                min_obs: int) -> tuple[pd.DataFrame, str, list[str]]:
    """Daily log returns on the grid all kept assets share, the calendar's name and notes on what was left out.

    The span is the one the portfolio's assets (``required`` and the default ``members``) all cover; ``required``
    assets (positions, shocks) must have closes on ``min_coverage`` of it (else DataError), members and
    ``optional`` ones (factors, scenario assets) below it are left out with a note. The grid is the equity
    sessions when an equity is in the run, unless only optional equities are and the sessions leave fewer than
    ``min_obs`` rows: then UTC days without them."""
    notes: list[str] = []
    want = list(dict.fromkeys([*required, *members, *optional]))
    have = {a for a in want if a in close.columns and close[a].notna().sum() > 0}
    miss_req = [a for a in required if a not in have]
    if miss_req:
        raise DataError(f"no stored daily closes for {', '.join(miss_req)}; import or fetch its bars "
                        f"(selloff import / selloff fetch --assets {','.join(miss_req)})")
    missing = [a for a in want if a not in have]
    if missing:
        notes.append(f"no stored daily closes, left out: {', '.join(missing)}")
    short = [a for a in members if a in have and a not in required and close[a].notna().sum() <= min_obs]
    if short:
        notes.append(f"fewer than {min_obs} closes, left out of the portfolio: {', '.join(short)}")
    core = [a for a in dict.fromkeys([*required, *members]) if a in have and a not in short]
    if not core:
        raise DataError("no portfolio asset has enough stored daily closes; import a longer history")
    keep = [a for a in want if a in have and a not in short]
    req_eq = any(kinds.get(a) == "equity" for a in required)
    sessions = any(kinds.get(a) == "equity" for a in keep)
    for _ in range(3):
        c = _window(close, kinds, core, keep, sessions, history_days)
        cov = c.notna().mean()
        low = [a for a in keep if cov[a] < min_coverage]
        bad = [a for a in low if a in required]
        if bad:
            raise DataError(f"{', '.join(f'{a} has closes on {cov[a]:.0%}' for a in bad)} of the {len(c)} grid rows "
                            f"(< [stress] min_coverage {min_coverage:.0%}); import a longer history or lower min_coverage")
        if low:
            notes.append(f"too few closes on the grid (< {min_coverage:.0%}), left out: "
                         + ", ".join(f"{a} ({cov[a]:.0%})" for a in low))
            keep = [a for a in keep if a not in low]
            core = [a for a in core if a not in low]
            sessions = any(kinds.get(a) == "equity" for a in keep)
            continue
        if sessions and not req_eq and len(c.dropna()) <= min_obs:
            eq = [a for a in keep if kinds.get(a) == "equity"]
            notes.append(f"equity sessions leave {len(c.dropna()) - 1} rows (< {min_obs}): the run uses UTC days "
                         f"without {', '.join(eq)}")
            keep = [a for a in keep if a not in eq]
            sessions = False
            continue
        break
    calendar = "equity sessions" if sessions else "UTC days"
    complete = c[keep].dropna()
    lr = np.log(complete).diff().iloc[1:]
    return lr, calendar, notes


def _factor_rows(assets: tuple[str, ...], p: StressParams, notes: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    rows, names = [], []
    for f in p.factors:
        w = np.zeros(len(assets))
        if f == BASKET:
            mem = [a for a in p.equity_basket if a in assets]
            if not mem:
                notes.append(f"factor {BASKET} left out: none of {', '.join(p.equity_basket)} has closes")
                continue
            w[[assets.index(a) for a in mem]] = 1 / len(mem)
        elif f in assets:
            w[assets.index(f)] = 1
        else:
            notes.append(f"factor {f} left out: no closes")
            continue
        rows.append(w)
        names.append(f)
    return tuple(names), np.array(rows).reshape(len(rows), len(assets))


def _risk_frame(run: EngineRun, horizons: Sequence[int]) -> pd.DataFrame:
    rows = []
    for h in horizons:
        for r in run.risk(h):
            rows.append({"horizon_days": h, "level_pct": r["level"] * 100,
                         **{k + "_pct": r[k] * 100 for k in ("var", "var_lo", "var_hi", "es", "es_lo", "es_hi")},
                         "tail_paths": r["tail_paths"]})
    return pd.DataFrame(rows)


def _euler(run: EngineRun, horizons: Sequence[int], level: float, port_assets: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    a_cols, f_cols = {}, {}
    for h in horizons:
        per_asset, per_factor, es = run.euler(h, level)
        a_cols[f"ces_{h}d_pct"] = per_asset * 100
        a_cols[f"share_{h}d_pct"] = per_asset / es * 100
        f_cols[f"ces_{h}d_pct"] = per_factor * 100
        f_cols[f"share_{h}d_pct"] = per_factor / es * 100
    ea = pd.DataFrame(a_cols, index=pd.Index(run.assets, name="asset"))
    ea.insert(0, "exposure", run.exposures)
    ea = ea[ea.index.isin(list(port_assets))]
    ef = pd.DataFrame(f_cols, index=pd.Index([*run.factors, "drift", "residual"], name="factor"))
    return ea, ef


def _distribution(run: EngineRun, fhs: FHSModel, h: int) -> pd.DataFrame:
    """Each asset's simulated h-day move (first ``asset_sample_paths`` paths) and the portfolio's (all paths)."""
    X = run.sample[h]
    qs = [0.01, 0.05, 0.5, 0.95]
    q = np.quantile(X, qs, axis=0)
    df = pd.DataFrame({"sigma_1d_pct": [np.sqrt(f.sigma2_next) / fhs.scale * 100 for f in fhs.fits],
                       "mean_pct": X.mean(axis=0) * 100, "p01_pct": q[0] * 100, "p05_pct": q[1] * 100,
                       "median_pct": q[2] * 100, "p95_pct": q[3] * 100},
                      index=pd.Index(run.assets, name="asset"))
    pnl = -run.losses[h]
    qp = np.quantile(pnl, qs)
    df.loc[PORTFOLIO] = [np.nan, pnl.mean() * 100, *(qp * 100)]
    return df


def _margin(port: Portfolio, run: EngineRun, h: int, mmr: float) -> pd.DataFrame:
    X = run.sample[h]
    rows = []
    for pos in port.positions:
        short = pos.weight < 0
        d = margin_call_move(pos.leverage, mmr, short)
        x = X[:, run.assets.index(pos.asset)]
        prob = float(np.mean(x >= d) if short else np.mean(x <= d)) if (short or d > -1) else 0.0
        rows.append({"asset": pos.asset, "side": "short" if short else "long", "leverage": pos.leverage,
                     "margin_call_move_pct": d * 100, f"prob_{h}d_pct": prob * 100})
    return pd.DataFrame(rows).set_index("asset")


def _conditional(fhs, gen, e, W, factors, ep: EngineParams, base: EngineRun, h: int, shocks: dict[str, float],
                 limit: float, band: float, progress) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    mu, cov = base.moments[h]
    smap, check = shock_map(fhs.assets, shocks, mu, cov, limit)
    sp = EngineParams(**{**ep.__dict__, "horizons": (h,)})
    run = run_engine(gen, e, W, factors, sp, shock=smap, progress=progress)
    X = run.sample[h]
    qs = ((1 - band) / 2, (1 + band) / 2)
    q = np.quantile(X, qs, axis=0)
    frame = pd.DataFrame({"kind": ["shocked" if a in shocks else "propagated" for a in fhs.assets],
                          "mean_pct": X.mean(axis=0) * 100, "lo_pct": q[0] * 100, "hi_pct": q[1] * 100,
                          "exposure": e, "pnl_pct": e * X.mean(axis=0) * 100}, index=pd.Index(fhs.assets, name="asset"))
    risk = _risk_frame(run, (h,))
    pnl = -run.losses[h]
    risk.insert(1, "expected_pnl_pct", float(pnl.mean() * 100))
    risk.insert(2, "pnl_lo_pct", float(np.quantile(pnl, qs[0]) * 100))
    risk.insert(3, "pnl_hi_pct", float(np.quantile(pnl, qs[1]) * 100))
    risk.insert(4, "band", band)
    return frame, check.as_dict(), risk


def with_basket(close: pd.DataFrame, kinds: Mapping[str, str], members: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """``close`` with an :data:`BASKET` column: the equal-weighted index of ``members``' daily simple returns
    (rebalanced daily, on the days any member has a close), so the basket can be shocked like an asset."""
    mem = [a for a in members if a in close.columns]
    if not mem:
        raise DataError(f"shock on {BASKET} needs closes of its members ({', '.join(members)}); import their bars")
    c = close[close[mem].notna().any(axis=1)]
    r = c[mem].ffill().pct_change(fill_method=None).mean(axis=1, skipna=True).fillna(0.0)
    idx = 100 * (1 + r).cumprod()
    return close.join(idx.rename(BASKET)), {**kinds, BASKET: "equity"}


def stress_run(close: pd.DataFrame, kinds: Mapping[str, str], sector: str, members: Sequence[str],
               p: StressParams, horizon: int, *, portfolio: Portfolio | None = None, shocks: Mapping[str, float] | None = None,
               scenario: Scenario | None = None, reverse: float | None = None, backtest: bool = False,
               progress: Callable[[str, int, int], None] | None = None, simulated: bool = False,
               sources: dict | None = None, fit_cache: MutableMapping[str, dict] | None = None) -> StressResult:
    """The whole stress run on wide daily ``close`` (one column per asset, date index).

    Parameters
    ----------
    members
        The sector's members: the equal-weighted default portfolio when ``portfolio`` is None.
    shocks
        ``{asset: simple move}`` at ``horizon`` (propagated by conditional expectation).
    scenario
        A library or episode scenario, replayed over its own number of days.
    reverse
        A loss (positive fraction of equity) for the reverse stress test at ``horizon``.
    progress
        ``progress(stage, done, total)`` after each batch.
    fit_cache
        The GARCH fits' parameters kept between runs (:func:`~selloff.analytics.stress.fhs.fit_fhs`).
    """
    shocks = dict(shocks or {})
    notes: list[str] = []
    if BASKET in shocks or (portfolio and BASKET in portfolio.assets) or (
            scenario and any(m.asset == BASKET for m in scenario.moves)):
        close, kinds = with_basket(close, kinds, p.equity_basket)
    warnings: list[str] = []
    factor_assets = [p.market_factor if f == p.market_factor else f for f in p.factors if f != BASKET]
    if BASKET in p.factors:
        factor_assets += list(p.equity_basket)
    sc_assets = [m.asset for m in scenario.moves] if scenario else []
    required = list(dict.fromkeys([*(portfolio.assets if portfolio else ()), *shocks]))
    lr, calendar, n = return_grid(close, kinds, required, [] if portfolio else list(members),
                                  [*factor_assets, *sc_assets], p.history_days, p.min_coverage, p.min_obs)
    notes += n
    if len(lr) < p.short_history_rows:
        warnings.append(f"short history: {len(lr)} rows of returns ({lr.index[0].date()}..{lr.index[-1].date()}); "
                        f"GARCH estimates are imprecise and the simulated tails are bounded by these days")
    port = portfolio or equal_weight([a for a in members if a in lr.columns], Text("portfolio_equal", f"equal-weight {sector}", sector=sector))
    sc_days = max(1, min(scenario.days, 10)) if scenario else None
    H = tuple(sorted({*p.risk_horizons, horizon, *([sc_days] if sc_days else [])}))
    ep = EngineParams(p.paths, p.seed, p.batch_paths, p.block_paths, p.levels, H, p.ci_level, p.max_memory_mb,
                      p.asset_sample_paths, p.mmr, p.workers, p.engine)
    draw_bytes = 8 if p.method == "fhs" else 8 * lr.shape[1]
    check_memory(ep, lr.shape[1], len(p.factors), draw_bytes)  # before the fits: a run that cannot fit fails fast
    fhs = fit_fhs(lr, asymmetric=p.asymmetric, mean=p.mean, min_obs=p.min_obs,
                  dtype="float32" if p.float32 else "float64", cache=fit_cache)
    explosive = [f.asset for f in fhs.fits if f.persistence >= 1]
    if explosive:
        warnings.append(f"GARCH persistence alpha + gamma/2 + beta >= 1 for {', '.join(explosive)}: their simulated "
                        f"variance grows with the horizon (the fit sees no mean reversion in this window)")
    gen = fit_t_copula(fhs) if p.method == "t-copula" else fhs
    assets = fhs.assets
    e = np.zeros(len(assets))
    for pos in port.positions:
        e[assets.index(pos.asset)] += pos.exposure
    factors, W = _factor_rows(assets, p, notes)
    stage = lambda name: (lambda done: progress(name, done, p.paths)) if progress else None  # noqa: E731
    base = run_engine(gen, e, W, factors, ep, reverse_loss=reverse, progress=stage("simulating"),
                      moments=bool(shocks or scenario), draw_bytes_per_path=draw_bytes)
    risk_h = tuple(sorted({*p.risk_horizons, horizon}))
    risk = _risk_frame(base, risk_h)
    if port.value_usd is not None:  # a portfolio of quantities: the figures in USD of its equity too
        for c in ("var", "es"):
            risk[f"{c}_usd"] = risk[f"{c}_pct"] / 100 * port.value_usd
    ea, ef = _euler(base, risk_h, p.euler_level, port.assets)
    fits = pd.DataFrame([f.as_dict() for f in fhs.fits]).set_index("asset")
    shock_frame = shock_check = shock_risk = None
    if shocks:
        shock_frame, shock_check, shock_risk = _conditional(fhs, gen, e, W, factors, ep, base, horizon, shocks,
                                                            p.extrapolation_sigma, p.band_level, stage("shock"))
        if shock_check["warning"]:
            warnings.append(shock_check["warning"])
    sc = None
    if scenario:
        present = {m.asset: m.move for m in scenario.moves if m.asset in assets}
        absent = [m.asset for m in scenario.moves if m.asset not in assets]
        if not present:
            raise DataError(f"scenario {scenario.name}: none of its assets ({', '.join(sc_assets)}) has closes in the "
                            f"run; import their bars")
        if absent:
            notes.append(f"scenario {scenario.name}: no closes for {', '.join(absent)}; their moves are not applied")
        frame, check, srisk = _conditional(fhs, gen, e, W, factors, ep, base, sc_days, present, p.extrapolation_sigma,
                                           p.band_level, stage("scenario"))
        kinds_of = {m.asset: m.kind for m in scenario.moves}
        frame["kind"] = [kinds_of.get(a, "propagated") if a in present else "propagated" for a in frame.index]
        frame = frame[frame.index.isin([*port.assets, *present])]
        if check["warning"]:
            warnings.append(f"scenario {scenario.name}: {check['warning']}")
        worst = frame.loc[frame.index.isin(port.assets), "pnl_pct"]
        sc = {**scenario.as_dict(), "replay_days": sc_days, "table": frame.reset_index().to_dict(orient="records"),
              "portfolio_pnl_pct": float(frame.loc[frame.index.isin(port.assets), "pnl_pct"].sum()),
              "worst_position": str(worst.idxmin()) if len(worst) else None, "risk": srisk.to_dict(orient="records"),
              "check": check}
    rev = None
    if reverse is not None:
        if not factors:
            raise ConfigError("--reverse needs the factors of [stress] factors; none has stored closes")
        beta = base.factor_beta[horizon]
        mu_f, cov_f = base.factor_moments[horizon]
        rr = reverse_result(reverse, factors, beta[1:] @ e, float(beta[0] @ e), mu_f, cov_f, base.reverse[horizon],
                            p.paths, assets)
        rev = {**rr.as_dict(), "horizon_days": horizon}
    bt = None
    if backtest:
        port_ret = pd.Series(np.expm1(lr.to_numpy()) @ e, index=lr.index)
        bt = backtest_var(port_ret, p, cache=fit_cache).as_dict()
    return StressResult(
        sector=sector, method=p.method, model=getattr(gen, "model", fhs.model), calendar=calendar, horizon=horizon,
        paths=p.paths, seed=p.seed, window=(str(lr.index[0].date()), str(lr.index[-1].date()), len(lr)),
        portfolio=tuple(port.to_records()), portfolio_source=port.source, portfolio_value_usd=port.value_usd, fits=fits, risk=risk,
        euler_level=p.euler_level, euler_assets=ea, euler_factors=ef, distribution=_distribution(base, fhs, horizon),
        margin=_margin(port, base, horizon, p.mmr), margin_call_prob=base.margin_calls[horizon] / p.paths,
        shock=shock_frame, shock_check=shock_check, shock_risk=shock_risk, scenario=sc, reverse=rev, backtest=bt,
        notes=tuple(notes), warnings=tuple(warnings), simulated=simulated, sources=dict(sources or {}))
