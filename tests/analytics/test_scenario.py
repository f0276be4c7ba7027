"""Stress scenario: a hand-computed projection, a simulation with known betas, and the liquidation regression
against statsmodels OLS and its prediction interval."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from selloff.analytics import scenario as sc
from selloff.errors import DataError


def test_projection_by_hand():
    betas = pd.DataFrame({"beta_BTC": [1.2, 0.0], "beta_EQ_BASKET": [0.5, 1.0]}, index=["TAO", "X"])
    out = sc.project_shock(betas, {"BTC": -0.10, "EQ_BASKET": -0.05}, pd.Series({"TAO": 0.03, "X": np.nan}), z=1.96)
    # 1.2 * ln(0.9) + 0.5 * ln(0.95) = -0.126432... - 0.025647... = -0.152079...
    m = 1.2 * math.log(0.9) + 0.5 * math.log(0.95)
    assert out.loc["TAO", "ret_log"] == pytest.approx(-0.1520795, abs=1e-6)
    assert out.loc["TAO", "ret_pct"] == pytest.approx(100 * (math.exp(m) - 1), rel=1e-12)  # -14.108 %
    assert out.loc["TAO", "ret_pct"] == pytest.approx(-14.108, abs=1e-3)
    assert out.loc["TAO", "lo_pct"] == pytest.approx(100 * (math.exp(m - 1.96 * 0.03) - 1), rel=1e-12)
    assert out.loc["TAO", "hi_pct"] == pytest.approx(100 * (math.exp(m + 1.96 * 0.03) - 1), rel=1e-12)
    assert out.loc["X", "ret_pct"] == pytest.approx(-5.0, abs=1e-12)  # beta 1 on the basket alone: the shock itself
    assert np.isnan(out.loc["X", "lo_pct"])
    assert out.loc["TAO", "BTC_pct"] == pytest.approx(100 * (0.9 ** 1.2 - 1), rel=1e-12)


def test_projection_matches_simulation_with_known_betas():
    """Simulate token = 1.3 BTC + 0.4 basket + e; the projected band holds ~95 % of outcomes under the shock."""
    rng = np.random.default_rng(7)
    b_btc, b_eq, sd = 1.3, 0.4, 0.025
    shocks = {"BTC": -0.10, "EQ_BASKET": -0.05}
    n = 200_000
    e = rng.normal(0, sd, n)
    token = b_btc * math.log(0.9) + b_eq * math.log(0.95) + e
    out = sc.project_shock(pd.DataFrame({"beta_BTC": [b_btc], "beta_EQ_BASKET": [b_eq]}, index=["T"]), shocks, pd.Series({"T": sd}))
    sim_pct = 100 * np.expm1(token)
    assert np.median(sim_pct) == pytest.approx(out.loc["T", "ret_pct"], abs=0.02)
    inside = ((sim_pct >= out.loc["T", "lo_pct"]) & (sim_pct <= out.loc["T", "hi_pct"])).mean()
    assert inside == pytest.approx(0.95, abs=0.003)


def test_projection_with_estimated_betas_from_simulated_history():
    """Betas estimated by OLS on simulated history (known 0.8, 0.6) give the closed-form projection within noise."""
    rng = np.random.default_rng(11)
    n = 5000
    f = rng.normal(0, [0.03, 0.015], size=(n, 2))
    y = 0.8 * f[:, 0] + 0.6 * f[:, 1] + rng.normal(0, 0.02, n)
    fit = sm.OLS(y, sm.add_constant(f)).fit()
    betas = pd.DataFrame({"beta_BTC": [fit.params[1]], "beta_EQ_BASKET": [fit.params[2]]}, index=["T"])
    out = sc.project_shock(betas, {"BTC": -0.10, "EQ_BASKET": -0.05}, pd.Series({"T": float(np.sqrt(fit.scale))}))
    truth = 100 * (math.exp(0.8 * math.log(0.9) + 0.6 * math.log(0.95)) - 1)
    assert out.loc["T", "ret_pct"] == pytest.approx(truth, abs=0.3)


def test_projection_errors():
    betas = pd.DataFrame({"beta_BTC": [1.0]}, index=["T"])
    with pytest.raises(DataError, match="EQ_BASKET"):
        sc.project_shock(betas, {"EQ_BASKET": -0.05}, pd.Series({"T": 0.01}))
    with pytest.raises(DataError, match="above -1"):
        sc.project_shock(betas, {"BTC": -1.5}, pd.Series({"T": 0.01}))


def _liq_history(n=400, a=16.0, b=0.35, s=0.5, seed=3):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2025-01-01", periods=n, freq="D")
    r = rng.normal(0.0, 0.03, n)
    drop = np.maximum(-100 * r, 0)
    liq = np.exp(a + b * drop + rng.normal(0, s, n))
    return pd.DataFrame({"btc_ret": r, "liq_usd": liq}, index=idx)


def test_liquidation_model_equals_statsmodels_and_recovers_parameters():
    h = _liq_history()
    m = sc.fit_liquidation_model(h["btc_ret"], h["liq_usd"])
    X = sm.add_constant(np.maximum(-100 * h["btc_ret"].to_numpy(), 0))
    ref = sm.OLS(np.log(h["liq_usd"].to_numpy()), X).fit()
    assert m.intercept == pytest.approx(ref.params[0], abs=1e-8)
    assert m.slope == pytest.approx(ref.params[1], abs=1e-8)
    assert m.resid_sd == pytest.approx(math.sqrt(ref.scale), rel=1e-10)
    assert m.r2 == pytest.approx(ref.rsquared, rel=1e-10)
    assert m.nobs == 400
    assert m.slope == pytest.approx(0.35, abs=0.05) and m.intercept == pytest.approx(16.0, abs=0.1)
    # the prediction interval agrees with statsmodels' obs interval (normal quantile instead of t)
    med, lo, hi = m.predict(-0.10, z=1.96)
    pr = ref.get_prediction(np.array([[1.0, 10.0]])).summary_frame(alpha=0.05)
    assert math.log(med) == pytest.approx(float(pr["mean"].iloc[0]), abs=1e-8)
    half = (float(pr["obs_ci_upper"].iloc[0]) - float(pr["obs_ci_lower"].iloc[0])) / 2
    se_ref = half / stats.t.ppf(0.975, ref.df_resid)
    assert (math.log(hi) - math.log(lo)) / 2 == pytest.approx(1.96 * se_ref, rel=1e-8)


def test_liquidation_interval_coverage_on_fresh_draws():
    h = _liq_history(n=300, seed=5)
    m = sc.fit_liquidation_model(h["btc_ret"], h["liq_usd"])
    rng = np.random.default_rng(99)
    fresh = np.exp(16.0 + 0.35 * 10.0 + rng.normal(0, 0.5, 20_000))
    _, lo, hi = m.predict(-0.10)
    assert ((fresh >= lo) & (fresh <= hi)).mean() == pytest.approx(0.95, abs=0.02)


def test_liquidation_model_needs_history():
    h = _liq_history(n=20)
    with pytest.raises(DataError, match="needs 60"):
        sc.fit_liquidation_model(h["btc_ret"], h["liq_usd"])
    s = sc.stress_scenario(pd.DataFrame({"beta_BTC": [1.0], "beta_EQ_BASKET": [0.0]}, index=["T"]), pd.Series({"T": 0.01}), h)
    assert s.liquidations is None and "needs 60" in s.notes["liquidations"]
    assert s.projection.loc["T", "ret_pct"] == pytest.approx(-10.0, abs=1e-12)


def test_params_from_config_override_constants():
    p = sc.scenario_params({"shocks": {"BTC": -0.2}})
    assert p["shocks"] == {"BTC": -0.2} and p["band_z"] == sc.BAND_Z and p["liq_min_obs"] == sc.LIQ_MIN_OBS
    assert sc.scenario_params(None)["shocks"] == sc.DEFAULT_SHOCKS
