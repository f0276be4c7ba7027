"""The report's "what if it goes on" when the history is too short for the stress engine: the further shock to
Bitcoin and the AI-equity basket propagated through OLS factor betas estimated on the sessions there are.

A GJR-GARCH-t filter on forty-odd sessions is not an estimate; a linear factor model on the same sessions is, with
honest intervals. For each member and for the equal-weighted sector, the daily log return is regressed on the
factors' log returns (with a constant); a factor whose beta's interval contains zero is shown but not propagated
(the model is refitted without it, :func:`selloff.report.judgement.beta_significant`'s rule). The conditional move
is :math:`\\hat y = \\sum_f \\hat\\beta_f \\ln(1 + s_f)` (no drift, as the engine's ``mean = "zero"``) and its band
the prediction interval :math:`\\hat y \\pm t_{n-m}\\sqrt{s^2 + x_0' \\widehat{\\mathrm{Cov}}(\\hat\\beta) x_0}`
(:math:`x_0` the factor shocks, :math:`s^2` the residual variance, m the regressors): it holds the betas'
estimation error and the sector's own noise, at the sample's average volatility, not today's.

Same grid as the engine (:func:`selloff.analytics.stress.run.return_grid`): equity sessions, a token's return
between the UTC closes of consecutive session dates. The table has the columns of
:func:`selloff.analytics.stress.whatif.what_if_table` (``ret_pct``, ``lo_pct``, ``hi_pct``, ``kind``) plus the
betas of the full fit (``beta_<f>``, ``_lo``, ``_hi``, ``sig_<f>``) and of the refitted model the propagated factors
enter with (``used_<f>``, ``_lo``, ``_hi``; NaN for a factor left out); ``attrs["method"] = "beta"``.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from selloff.analytics.stress.run import BASKET, return_grid, with_basket
from selloff.analytics.stress.whatif import SECTOR_ROW
from selloff.errors import DataError

__all__ = ["BetaFit", "beta_what_if", "fit_betas"]


class BetaFit:
    """OLS of ``y`` on ``x`` (with a constant): slopes, their covariance, residual variance, degrees of freedom."""

    def __init__(self, y: np.ndarray, x: np.ndarray) -> None:
        n, m = x.shape
        z = np.column_stack([np.ones(n), x])
        if n - m - 1 < 2:
            raise DataError(f"{n} sessions are too few for a regression on {m} factors; import a longer history")
        zz_inv = np.linalg.inv(z.T @ z)
        coef = zz_inv @ z.T @ y
        resid = y - z @ coef
        self.n, self.df = n, n - m - 1
        self.s2 = float(resid @ resid / self.df)
        self.alpha, self.beta = float(coef[0]), coef[1:]
        self.cov = self.s2 * zz_inv[1:, 1:]

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        q = stats.t.ppf((1 + level) / 2, self.df)
        se = np.sqrt(np.diag(self.cov))
        return self.beta - q * se, self.beta + q * se

    def predict(self, x0: np.ndarray, level: float) -> tuple[float, float, float]:
        """Conditional log move without the constant, and its prediction interval at ``level``."""
        mean = float(self.beta @ x0)
        sd = math.sqrt(self.s2 + float(x0 @ self.cov @ x0))
        q = stats.t.ppf((1 + level) / 2, self.df)
        return mean, mean - q * sd, mean + q * sd


def fit_betas(y: pd.Series, x: pd.DataFrame, level: float) -> dict:
    """The full fit, which factors are distinguishable from zero, and the fit on those alone."""
    full = BetaFit(y.to_numpy(), x.to_numpy())
    lo, hi = full.interval(level)
    sig = [bool(a > 0 or b < 0) for a, b in zip(lo, hi)]
    keep = [f for f, s in zip(x.columns, sig) if s]
    used = full if len(keep) == x.shape[1] else (BetaFit(y.to_numpy(), x[keep].to_numpy()) if keep else None)
    return {"full": full, "lo": lo, "hi": hi, "sig": sig, "keep": keep, "used": used}


def beta_what_if(close: pd.DataFrame, kinds: Mapping[str, str], members: Sequence[str], shocks: Mapping[str, float],
                 equity_basket: Sequence[str], *, min_obs: int, history_days: int, min_coverage: float,
                 level: float = 0.95) -> pd.DataFrame:
    """The what-if table from factor betas on the available sessions (see the module notes).

    Parameters
    ----------
    close
        Wide daily closes to the report date (one column per asset).
    members
        The sector's members; those with at most ``min_obs`` closes are left out (named in ``attrs["notes"]``).
    shocks
        ``{factor: simple move}``: the factors (an asset id or :data:`~selloff.analytics.stress.run.BASKET`).
    level
        Confidence of the betas' intervals and of the prediction band (fraction).
    """
    shocks = {str(k): float(v) for k, v in shocks.items()}
    if BASKET in shocks:
        close, kinds = with_basket(close, kinds, equity_basket)
    lr, calendar, notes = return_grid(close, kinds, list(shocks), list(members), [], history_days, min_coverage, min_obs)
    mem = [m for m in members if m in lr.columns and m not in shocks]
    if not mem:
        raise DataError(f"no member of the sector has more than {min_obs} closes on the factors' grid; import a longer "
                        "history")
    factors = list(shocks)
    x = lr[factors]
    x0_all = np.log1p(np.array([shocks[f] for f in factors]))
    sector = np.log(np.expm1(lr[mem]).add(1.0).mean(axis=1))  # equal weights, rebalanced each session
    rows = {f: {"ret_pct": 100 * shocks[f], "lo_pct": 100 * shocks[f], "hi_pct": 100 * shocks[f], "kind": "shocked"}
            for f in factors}
    for name, y, kind in [*((m, lr[m], "propagated") for m in mem), (SECTOR_ROW, sector, "portfolio")]:
        fit = fit_betas(y, x, level)
        used = fit["used"]
        if used is None:  # no factor distinguishable from zero: nothing is propagated, the band is the noise
            q = stats.t.ppf((1 + level) / 2, fit["full"].df)
            sd = math.sqrt(float(np.var(y.to_numpy(), ddof=1)))
            mean, lo, hi = 0.0, -q * sd, q * sd
        else:
            mean, lo, hi = used.predict(np.array([x0_all[factors.index(f)] for f in fit["keep"]]), level)
        row = {"ret_pct": 100 * math.expm1(mean), "lo_pct": 100 * math.expm1(lo), "hi_pct": 100 * math.expm1(hi),
               "kind": kind, "n_obs": fit["full"].n, "propagated": ",".join(fit["keep"])}
        ulo, uhi = used.interval(level) if used is not None else ((), ())
        for i, f in enumerate(factors):  # the full fit's beta; for a propagated factor the refitted one it enters with
            j = fit["keep"].index(f) if f in fit["keep"] else None
            row.update({f"beta_{f}": float(fit["full"].beta[i]), f"beta_{f}_lo": float(fit["lo"][i]),
                        f"beta_{f}_hi": float(fit["hi"][i]), f"sig_{f}": fit["sig"][i],
                        f"used_{f}": float(used.beta[j]) if j is not None else float("nan"),
                        f"used_{f}_lo": float(ulo[j]) if j is not None else float("nan"),
                        f"used_{f}_hi": float(uhi[j]) if j is not None else float("nan")})
        rows[name] = row
    tab = pd.DataFrame.from_dict(rows, orient="index")
    tab.index.name = "asset"
    tab.attrs.update(method="beta", band=level, horizon_days=1, paths=0, seed=None, check={}, warnings=[],
                     model=(f"OLS factor betas on {len(lr)} sessions ({calendar}) of daily log returns, "
                            f"{lr.index[0].date()}..{lr.index[-1].date()}; factors {', '.join(factors)}; a beta whose "
                            f"{level:.0%} interval contains zero is not propagated; band = {level:.0%} prediction interval"),
                     window=(lr.index[0], lr.index[-1], len(lr)), calendar=calendar, members=mem, notes=list(notes),
                     factors=factors)
    return tab
