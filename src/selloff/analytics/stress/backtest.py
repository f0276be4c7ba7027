"""Backtests of the 1-day VaR over stored history: Kupiec's POF, Christoffersen's independence test, the Basel
traffic light and the multinomial ES backtest.

The forecasts: a rolling univariate FHS on the portfolio's own daily returns (GJR-GARCH(1,1)-t fitted on the
``window`` rows before each day and refitted every ``refit`` rows, filtered in between), so
``VaR_t(a) = -(mu + sigma_t q_{1-a}(z))`` with ``q`` the empirical quantile of the window's standardised
residuals. An exception on day t is a loss above ``VaR_t``.

- **Kupiec (1995) POF**: ``LR = -2 ln[(1-p)^{T-x} p^x] + 2 ln[(1-x/T)^{T-x} (x/T)^x] ~ chi2(1)``.
- **Christoffersen (1998) independence**: with transition counts ``n_ij`` of the exception indicator,
  ``LR_ind = -2 ln[(1-pi)^{n00+n10} pi^{n01+n11}] + 2 ln[(1-pi0)^{n00} pi0^{n01} (1-pi1)^{n10} pi1^{n11}] ~
  chi2(1)``; conditional coverage ``LR_cc = LR_pof + LR_ind ~ chi2(2)``.
- **Basel traffic light** (BCBS 1996, the zone table for 250 observations): the zone of the exception count over the last 250 days at 99 % by its
  cumulative binomial probability — green below 95 %, red from 99.99 % (0-4 green, 5-9 yellow, 10+ red for 250
  days), with the yellow zone's plus factor to the capital multiplier.
- **Multinomial ES backtest** (Kratz, Lok & McNeil 2018): VaR exceptions at N levels
  ``a_j = a + (j-1)(1-a)/N`` counted per day (``X_t`` in 0..N); Pearson's statistic of the cell counts against
  the probabilities ``a_1, a_2 - a_1, ..., 1 - a_N`` is chi2(N) under a correct model. Testing several levels at
  once tests the tail's shape beyond one quantile — an implicit backtest of ES.

References
----------
Kupiec, P. (1995), "Techniques for verifying the accuracy of risk measurement models", *J. Derivatives* 3(2).
Christoffersen, P. (1998), "Evaluating interval forecasts", *International Economic Review* 39(4).
Basel Committee on Banking Supervision (1996), *Supervisory framework for the use of "backtesting" in
conjunction with the internal models approach to market risk capital requirements* (zones and plus factors).
Kratz, M., Lok, Y. H. & McNeil, A. J. (2018), "Multinomial VaR backtests: a simple implicit approach to
backtesting expected shortfall", *Journal of Banking & Finance* 88, 393-407.
Jorion, P. (2007), *Value at Risk*, 3rd ed., ch. 6 (the table of Kupiec's 95 % non-rejection regions).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from selloff.errors import DataError

__all__ = ["BASEL_PLUS_FACTOR", "BacktestResult", "backtest_var", "christoffersen", "kupiec_pof", "multinomial_test",
           "rolling_fhs_var", "traffic_light"]

BASEL_PLUS_FACTOR = {5: 0.40, 6: 0.50, 7: 0.65, 8: 0.75, 9: 0.85}
"""Plus factor to the capital multiplier in the yellow zone, by exceptions in 250 days (BCBS 1996);
0.00 in the green zone, 1.00 in the red."""


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def kupiec_pof(exceptions: int, days: int, p: float) -> dict:
    """Kupiec's proportion-of-failures test of ``exceptions`` in ``days`` at exception probability ``p``."""
    x, T = int(exceptions), int(days)
    if T < 1:
        raise DataError("Kupiec test needs at least one day")
    ph = x / T
    ll0 = _xlogy(T - x, 1 - p) + _xlogy(x, p)
    ll1 = _xlogy(T - x, 1 - ph) + _xlogy(x, ph)
    lr = max(0.0, -2 * (ll0 - ll1))
    return {"exceptions": x, "days": T, "expected": T * p, "lr": lr, "p_value": float(stats.chi2.sf(lr, 1))}


def christoffersen(hits: np.ndarray) -> dict:
    """Christoffersen's independence test of a 0/1 exception series (and the conditional-coverage LR needs the
    POF: ``lr_cc = kupiec.lr + lr_ind``)."""
    h = np.asarray(hits, int)
    a, b = h[:-1], h[1:]
    n00, n01 = int(np.sum((a == 0) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    n10, n11 = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 1) & (b == 1)))
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / max(1, n00 + n01 + n10 + n11)
    ll0 = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    ll1 = _xlogy(n00, 1 - pi0) + _xlogy(n01, pi0) + _xlogy(n10, 1 - pi1) + _xlogy(n11, pi1)
    lr = max(0.0, -2 * (ll0 - ll1))
    return {"n00": n00, "n01": n01, "n10": n10, "n11": n11, "lr": lr, "p_value": float(stats.chi2.sf(lr, 1))}


def traffic_light(exceptions: int, days: int = 250, level: float = 0.99, yellow_prob: float = 0.95,
                  red_prob: float = 0.9999) -> dict:
    """The Basel zone of ``exceptions`` in ``days`` at VaR ``level`` by the cumulative binomial probability."""
    cum = float(stats.binom.cdf(exceptions, days, 1 - level))
    zone = "green" if cum < yellow_prob else ("yellow" if cum < red_prob else "red")
    plus = 0.0 if zone == "green" else (1.0 if zone == "red" else BASEL_PLUS_FACTOR.get(exceptions))
    return {"exceptions": int(exceptions), "days": int(days), "level": level, "cumulative_prob": cum, "zone": zone,
            "plus_factor": plus if days == 250 and level == 0.99 else None}


def multinomial_levels(alpha: float, n: int) -> np.ndarray:
    """Kratz-Lok-McNeil levels ``a_j = alpha + (j - 1)(1 - alpha)/n``, j = 1..n."""
    return alpha + np.arange(n) * (1 - alpha) / n


def multinomial_test(losses: np.ndarray, var: np.ndarray, levels: np.ndarray) -> dict:
    """Pearson multinomial test of VaR exceptions at several ``levels`` (columns of ``var``, increasing)."""
    L = np.asarray(losses, float)[:, None]
    X = (L > np.asarray(var, float)).sum(axis=1)
    N = len(levels)
    obs = np.bincount(X, minlength=N + 1)[: N + 1].astype(float)
    theta = np.diff(np.concatenate([[0.0], levels, [1.0]]))
    exp = len(L) * theta
    stat = float(((obs - exp) ** 2 / exp).sum())
    return {"levels": [float(x) for x in levels], "observed": obs.astype(int).tolist(), "expected": exp.tolist(),
            "statistic": stat, "df": N, "p_value": float(stats.chi2.sf(stat, N))}


def rolling_fhs_var(returns: pd.Series, levels: np.ndarray, window: int, refit: int,
                    asymmetric: bool = True, scale: float = 100.0, cache=None) -> pd.DataFrame:
    """One-day-ahead FHS VaR (positive fractions) of ``returns`` (simple, daily) for each day after the first
    ``window``: columns = levels. ``cache``: the fits' parameters kept between runs (:func:`fit_fhs`)."""
    from selloff.analytics.stress.fhs import fit_fhs

    lr = np.log1p(returns.to_numpy(float))
    y = lr * scale
    T = len(y)
    if T < window + 20:
        raise DataError(f"backtest needs at least {window + 20} days of portfolio returns, has {T}; "
                        f"import a longer history or lower [stress] backtest_window")
    out = np.empty((T - window, len(levels)))
    for s in range(window, T, refit):
        m = fit_fhs(pd.DataFrame({"portfolio": lr[s - window:s]}), asymmetric=asymmetric, scale=scale, min_obs=1,
                    dtype="float64", cache=cache)
        f = m.fits[0]
        q = np.quantile(m.z[:, 0], 1 - levels)
        var = f.sigma2_next
        for t in range(s, min(s + refit, T)):
            out[t - window] = -np.expm1(np.sqrt(var) * q / scale)
            var = f.omega + (f.alpha + f.gamma * (y[t] < 0)) * y[t] ** 2 + f.beta * var
    return pd.DataFrame(out, index=returns.index[window:], columns=list(levels))


@dataclass(frozen=True)
class BacktestResult:
    days: int
    first: str
    last: str
    per_level: tuple[dict, ...]
    christoffersen: dict
    traffic_light: dict
    multinomial: dict
    method: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def backtest_var(returns: pd.Series, p, cache=None) -> BacktestResult:
    """Backtest the rolling FHS VaR of the portfolio's daily ``returns`` with the tests of this module
    (``p``: :class:`~selloff.analytics.stress.params.StressParams`)."""
    mlev = multinomial_levels(p.euler_level, p.multinomial_levels)
    levels = np.unique(np.concatenate([np.array(p.levels), [p.traffic_light_level], mlev]))
    var = rolling_fhs_var(returns, levels, p.backtest_window, p.backtest_refit_days, p.asymmetric, cache=cache)
    loss = -returns.loc[var.index].to_numpy(float)
    per = []
    for a in p.levels:
        hits = loss > var[a].to_numpy()
        k = kupiec_pof(int(hits.sum()), len(hits), 1 - a)
        c = christoffersen(hits)
        per.append({"level": a, **k, "christoffersen_lr": c["lr"], "christoffersen_p": c["p_value"],
                    "lr_cc": k["lr"] + c["lr"], "p_cc": float(stats.chi2.sf(k["lr"] + c["lr"], 2)),
                    "reject": bool(k["p_value"] < p.test_size)})
    head = loss > var[p.traffic_light_level].to_numpy()
    tl_hits = head[-p.traffic_light_days:]
    tl = traffic_light(int(tl_hits.sum()), len(tl_hits), p.traffic_light_level, p.traffic_light_yellow_prob,
                       p.traffic_light_red_prob)
    if len(tl_hits) < p.traffic_light_days:
        tl["note"] = (f"only {len(tl_hits)} backtest days (the standard is {p.traffic_light_days}); the zone is the "
                      f"binomial one for {len(tl_hits)} days")
    mt = multinomial_test(loss, var[list(mlev)].to_numpy(), mlev)
    mt["reject"] = bool(mt["p_value"] < p.test_size)
    return BacktestResult(len(loss), str(var.index[0].date()), str(var.index[-1].date()), tuple(per),
                          christoffersen(head), tl, mt,
                          f"rolling 1-day FHS VaR, GJR-GARCH(1,1)-t on {p.backtest_window} rows, refit every "
                          f"{p.backtest_refit_days}")
