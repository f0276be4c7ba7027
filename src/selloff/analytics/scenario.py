"""Stress scenario "if it goes on": a further shock to Bitcoin and the AI-equity basket, projected through the
estimated factor betas onto each token and the sector, and the liquidations such a Bitcoin move would trigger.

Method
------
1. **Factor projection** (linear, one period). With betas ``b_f`` of an asset on the factors ``f`` (from the
   pre-event factor model of :mod:`selloff.analytics.attribution`, log returns) and a shock ``s_f`` (simple
   return, e.g. ``-0.10``), the projected log return is ``m = sum_f b_f * log(1 + s_f)``; the band is
   ``m +/- z * sigma_e`` with ``sigma_e`` the asset's residual (idiosyncratic) volatility per period. Both are
   reported as simple returns ``exp(.) - 1``. The intercept (drift) is set to zero over a one-period shock.
2. **Liquidation response**. On the store's history of daily liquidations (long + short, all stored assets) and
   Bitcoin's daily return, OLS of ``log(liq_usd) = a + b * d + e`` with ``d = max(-r_btc, 0)`` in per cent (the
   negative part of the Bitcoin move). The projected amount for a Bitcoin fall ``d0`` is the median
   ``exp(a + b d0)`` with a prediction interval ``exp(yhat +/- z * s * sqrt(1 + x0' (X'X)^-1 x0))``.

Assumptions: betas estimated before the event hold during the shock (no beta shift under stress, which usually
makes the projection a *lower* bound for the fall); residuals are normal with the stated volatility and
independent of the factors; the liquidation relation is log-linear in the size of the Bitcoin fall and the
stored liquidation series is complete (a partial feed makes the projection a lower bound too). This is a
scenario, not a forecast: nothing says the shock will happen.

Parameters come from the ``[scenario]`` section of the configuration when it has one, else from the module
constants :data:`DEFAULT_SHOCKS` (BTC -10 %, AI-equity basket -5 %), :data:`BAND_Z` (1.96, a 95 % band) and
:data:`LIQ_MIN_OBS` (60 days of history for the liquidation regression).

References
----------
J.P. Morgan/Reuters (1996), *RiskMetrics — Technical Document*, 4th ed., ch. 7 (factor mapping of positions).
Basel Committee on Banking Supervision (2009), *Principles for sound stress testing practices and supervision*.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selloff.errors import DataError

METHOD = ("Factor projection of a further one-day shock through the pre-event factor betas (log returns, no drift), "
          "band of residual standard deviations; liquidations from a log-linear regression on Bitcoin's daily falls")
"""One line naming the method, for provenance (the module docstring has the details)."""
SECTOR_COL = "SECTOR_EW"
"""Row of the equal-weighted sector in the decomposition (``selloff.analytics.explanation.SECTOR``)."""

DEFAULT_SHOCKS: dict[str, float] = {"BTC": -0.10, "EQ_BASKET": -0.05}
"""Further shock per factor, simple return over one period."""
BAND_Z = 1.96
"""Normal quantile of the two-sided band (95 %)."""
LIQ_MIN_OBS = 60
"""Fewest days of liquidation history for the regression."""


def scenario_params(config: dict | None = None) -> dict:
    """Shocks, band and minimum history: the ``[scenario]`` config section where present, else the constants."""
    cfg = dict(config or {})
    return {"shocks": dict(cfg.get("shocks", DEFAULT_SHOCKS)), "band_z": float(cfg.get("band_z", BAND_Z)),
            "liq_min_obs": int(cfg.get("liq_min_obs", LIQ_MIN_OBS))}


def project_shock(betas: pd.DataFrame, shocks: dict[str, float], resid_vol: pd.Series, z: float = BAND_Z) -> pd.DataFrame:
    """Project a factor shock onto assets.

    Parameters
    ----------
    betas
        One row per asset, one column ``beta_<factor>`` per factor in ``shocks`` (log-return betas).
    shocks
        Factor -> simple return of the shock (``{"BTC": -0.10}``).
    resid_vol
        Asset -> residual volatility per period (log returns); NaN gives no band.
    z
        Band half-width in residual standard deviations.

    Returns
    -------
    DataFrame indexed by asset: ``ret_log`` (projected log return), ``ret_pct``, ``lo_pct``, ``hi_pct`` (simple
    returns in per cent) and one ``<factor>_pct`` column per factor (its share, simple-return per cent of the
    factor part alone).
    """
    missing = [f for f in shocks if f"beta_{f}" not in betas.columns]
    if missing:
        raise DataError(f"no beta for the scenario factor(s) {', '.join(missing)}; the factor model has "
                        f"{', '.join(c[5:] for c in betas.columns if c.startswith('beta_') and not c.endswith(('_lo', '_hi')))}")
    for f, s in shocks.items():
        if not s > -1.0:
            raise DataError(f"scenario shock for {f} is {s}; a simple return must be above -1 (e.g. -0.10)")
    parts = pd.DataFrame({f: betas[f"beta_{f}"].astype(float) * math.log1p(s) for f, s in shocks.items()}, index=betas.index)
    m = parts.sum(axis=1)
    sd = resid_vol.reindex(betas.index).astype(float)
    out = pd.DataFrame({"ret_log": m, "ret_pct": 100 * np.expm1(m), "lo_pct": 100 * np.expm1(m - z * sd),
                        "hi_pct": 100 * np.expm1(m + z * sd), "resid_vol_log": sd})
    for f in shocks:
        out[f"{f}_pct"] = 100 * np.expm1(parts[f])
    return out


@dataclass(frozen=True)
class LiquidationModel:
    """``log(liq_usd) = intercept + slope * drop_pct + e``, ``drop_pct = max(-100 * r_btc, 0)``; OLS."""

    intercept: float
    slope: float
    resid_sd: float
    nobs: int
    r2: float
    xtx_inv: np.ndarray = field(repr=False)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    method: str = "OLS of log daily liquidations (USD) on the negative part of Bitcoin's daily move (per cent)"
    max_usd: float | None = None
    """The largest daily liquidation total in the fitting sample (the report warns when a prediction is below it)."""
    max_day: pd.Timestamp | None = None

    def predict(self, btc_ret: float, z: float = BAND_Z) -> tuple[float, float, float]:
        """Median and prediction band of the day's liquidations (USD) for a Bitcoin simple return ``btc_ret``."""
        x0 = np.array([1.0, max(-100.0 * btc_ret, 0.0)])
        yhat = float(x0 @ np.array([self.intercept, self.slope]))
        se = self.resid_sd * math.sqrt(1.0 + float(x0 @ self.xtx_inv @ x0))
        return math.exp(yhat), math.exp(yhat - z * se), math.exp(yhat + z * se)


def fit_liquidation_model(btc_ret: pd.Series, liq_usd: pd.Series, min_obs: int = LIQ_MIN_OBS) -> LiquidationModel:
    """Fit :class:`LiquidationModel` on days where both series exist and liquidations are positive.

    Raises :class:`~selloff.errors.DataError` with fewer than ``min_obs`` such days.
    """
    df = pd.concat({"r": btc_ret.astype(float), "liq": liq_usd.astype(float)}, axis=1).dropna()
    df = df[df["liq"] > 0]
    if len(df) < min_obs:
        raise DataError(f"only {len(df)} days with both liquidations and a Bitcoin return; the liquidation "
                        f"regression needs {min_obs} (fetch derivatives history)")
    X = np.column_stack([np.ones(len(df)), np.maximum(-100.0 * df["r"].to_numpy(), 0.0)])
    y = np.log(df["liq"].to_numpy())
    xtx_inv = np.linalg.inv(X.T @ X)
    coef = xtx_inv @ X.T @ y
    resid = y - X @ coef
    dof = len(y) - 2
    s = float(np.sqrt(resid @ resid / dof))
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    idx = df.index
    return LiquidationModel(float(coef[0]), float(coef[1]), s, len(y), r2, xtx_inv,
                            pd.Timestamp(idx.min()) if len(idx) else None, pd.Timestamp(idx.max()) if len(idx) else None,
                            max_usd=float(df["liq"].max()), max_day=pd.Timestamp(df["liq"].idxmax()))


@dataclass(frozen=True)
class Scenario:
    """A stress scenario's result: per-asset projection and, where history allows, the liquidation estimate."""

    shocks: dict[str, float]
    band_z: float
    projection: pd.DataFrame
    liquidations: tuple[float, float, float] | None = None
    liq_model: LiquidationModel | None = None
    notes: dict[str, str] = field(default_factory=dict)


def stress_scenario(betas: pd.DataFrame, resid_vol: pd.Series, liq_history: pd.DataFrame | None = None,
                    params: dict | None = None, market_factor: str = "BTC") -> Scenario:
    """Run the scenario: :func:`project_shock` and, given ``liq_history`` (columns ``btc_ret``, ``liq_usd``), the
    liquidation estimate for the Bitcoin shock."""
    p = scenario_params(params)
    proj = project_shock(betas, p["shocks"], resid_vol, p["band_z"])
    notes: dict[str, str] = {}
    liq = model = None
    if liq_history is not None and market_factor in p["shocks"]:
        try:
            model = fit_liquidation_model(liq_history["btc_ret"], liq_history["liq_usd"], p["liq_min_obs"])
            liq = model.predict(p["shocks"][market_factor], p["band_z"])
        except DataError as exc:
            notes["liquidations"] = str(exc)
    elif liq_history is None:
        notes["liquidations"] = "no liquidation history given"
    return Scenario(p["shocks"], p["band_z"], proj, liq, model, notes)


def factor_of(decomposition: pd.DataFrame, basket: str = "EQ_BASKET") -> str:
    """The market factor's name in a decomposition table (the ``*_part`` column that is not the basket)."""
    for c in decomposition.columns:
        if c.endswith("_part") and c not in ("alpha_part", f"{basket}_part"):
            return c[: -len("_part")]
    raise DataError("the decomposition names no market factor; run explain with a market factor")


def day_scenario(members: pd.DataFrame, sector_ret: float, sector_z: float, decomposition: pd.DataFrame,
                 liq_history: pd.DataFrame | None, params: dict | None = None) -> Scenario:
    """The report's scenario for one day: betas from the day's decomposition, residual volatility from each
    asset's EWMA sigma to the day before (``|ret / z|``) times ``sqrt(1 - R^2)``.

    Parameters
    ----------
    members
        The day's members (``ret_1d``, ``z_1d`` per asset), e.g. ``Analysis.members``.
    sector_ret, sector_z
        The sector's move and its sigma-scaled size that day.
    decomposition
        ``Explanation.tables["decomposition"]`` (betas and R^2 per asset and for :data:`SECTOR_COL`).
    liq_history
        Daily ``btc_ret`` and ``liq_usd`` up to the day (see :func:`stress_scenario`), or None.
    """
    if decomposition is None or decomposition.empty:
        raise DataError("no decomposition for the scenario; it needs explain's factor model")
    vol = (members["ret_1d"] / members["z_1d"]).abs()
    vol[SECTOR_COL] = abs(sector_ret / sector_z) if sector_z else float("nan")
    resid = vol.reindex(decomposition.index) * np.sqrt((1 - decomposition["r2"].astype(float)).clip(lower=0))
    betas = decomposition[[c for c in decomposition.columns if c.startswith("beta_") and not c.endswith(("_lo", "_hi"))]]
    return stress_scenario(betas, resid, liq_history, params, market_factor=factor_of(decomposition))
