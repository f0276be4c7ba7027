"""The short-history what-if (analytics/stress/betas.py): OLS factor betas against statsmodels, the propagated move
and its prediction interval against the closed form computed here by hand, an insignificant beta not propagated."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from selloff.analytics.stress.betas import beta_what_if, fit_betas
from selloff.analytics.stress.whatif import SECTOR_ROW


def _factors(n: int = 45, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    btc = rng.normal(0, 0.03, n)
    eth = 0.5 * btc + rng.normal(0, 0.02, n)
    return pd.DataFrame({"BTC": btc, "ETH": eth})


def test_betas_and_intervals_are_statsmodels_ols():
    x = _factors()
    rng = np.random.default_rng(9)
    y = pd.Series(0.001 + 1.5 * x["BTC"] + rng.normal(0, 0.02, len(x)))
    fit = fit_betas(y, x, 0.95)
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    np.testing.assert_allclose(fit["full"].beta, ref.params[["BTC", "ETH"]], rtol=1e-10)
    ci = ref.conf_int(0.05).loc[["BTC", "ETH"]]
    np.testing.assert_allclose(fit["lo"], ci[0], rtol=1e-10)
    np.testing.assert_allclose(fit["hi"], ci[1], rtol=1e-10)
    assert fit["sig"] == [bool(ci.loc[f, 0] > 0 or ci.loc[f, 1] < 0) for f in ("BTC", "ETH")]


def _closes(n: int = 46) -> pd.DataFrame:
    """Two token factors and two members whose log returns are exact functions of them plus noise."""
    x = _factors(n - 1)
    rng = np.random.default_rng(12)
    a = 1.4 * x["BTC"] + rng.normal(0, 0.015, n - 1)          # BTC only: ETH's beta is not distinguishable from 0
    b = 0.8 * x["BTC"] + 0.9 * x["ETH"] + rng.normal(0, 0.01, n - 1)
    lr = pd.DataFrame({"BTC": x["BTC"], "ETH": x["ETH"], "A": a, "B": b})
    lr.loc[-1] = 0.0
    lr = lr.sort_index()
    days = pd.date_range("2025-12-01", periods=n, freq="D")
    return pd.DataFrame(100 * np.exp(lr.cumsum().to_numpy()), index=days, columns=lr.columns)


def _by_hand(y: np.ndarray, x: np.ndarray, x0: np.ndarray, level: float) -> tuple[float, float, float]:
    """OLS with a constant, no-drift conditional log move beta'x0 and its t prediction interval, as in the notes."""
    z = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(z, y, rcond=None)
    resid = y - z @ coef
    df = len(y) - z.shape[1]
    s2 = resid @ resid / df
    cov = s2 * np.linalg.inv(z.T @ z)[1:, 1:]
    mean = coef[1:] @ x0
    half = stats.t.ppf((1 + level) / 2, df) * math.sqrt(s2 + x0 @ cov @ x0)
    return 100 * math.expm1(mean), 100 * math.expm1(mean - half), 100 * math.expm1(mean + half)


def test_what_if_from_betas_matches_the_hand_computation():
    close = _closes()
    kinds = dict.fromkeys(close.columns, "token")
    shocks = {"BTC": -0.10, "ETH": -0.05}
    tab = beta_what_if(close, kinds, ["A", "B"], shocks, (), min_obs=30, history_days=1095, min_coverage=0.8)
    lr = np.log(close).diff().iloc[1:]
    assert tab.attrs["method"] == "beta" and tab.attrs["window"][2] == len(lr) == 45
    x0 = np.log1p(np.array([-0.10, -0.05]))
    for asset in ("A", "B"):
        y = lr[asset].to_numpy()
        full = sm.OLS(y, sm.add_constant(lr[["BTC", "ETH"]].to_numpy())).fit()
        ci = full.conf_int(0.05)[1:]
        keep = [i for i in range(2) if ci[i, 0] > 0 or ci[i, 1] < 0]
        expected = _by_hand(y, lr[["BTC", "ETH"]].to_numpy()[:, keep], x0[keep], 0.95)
        r = tab.loc[asset]
        assert (r["ret_pct"], r["lo_pct"], r["hi_pct"]) == pytest.approx(expected, rel=1e-9)
        assert r["propagated"] == ",".join(["BTC", "ETH"][i] for i in keep)
    # A's ETH beta is not distinguishable from zero: refitted on BTC alone, the move is exp(beta_BTC ln 0.9) - 1
    assert tab.loc["A", "propagated"] == "BTC" and not tab.loc["A", "sig_ETH"]
    restricted = sm.OLS(lr["A"].to_numpy(), sm.add_constant(lr[["BTC"]].to_numpy())).fit().params[1]
    assert tab.loc["A", "used_BTC"] == pytest.approx(restricted, rel=1e-10)
    assert tab.loc["A", "ret_pct"] == pytest.approx(100 * math.expm1(restricted * math.log(0.9)), rel=1e-10)
    assert math.isnan(tab.loc["A", "used_ETH"])
    # the sector: the equal-weighted members' simple returns, daily rebalanced, regressed the same way
    sector = np.log(np.expm1(lr[["A", "B"]]).add(1).mean(axis=1)).to_numpy()
    full = sm.OLS(sector, sm.add_constant(lr[["BTC", "ETH"]].to_numpy())).fit()
    ci = full.conf_int(0.05)[1:]
    keep = [i for i in range(2) if ci[i, 0] > 0 or ci[i, 1] < 0]
    expected = _by_hand(sector, lr[["BTC", "ETH"]].to_numpy()[:, keep], x0[keep], 0.95)
    s = tab.loc[SECTOR_ROW]
    assert s["kind"] == "portfolio" and (s["ret_pct"], s["lo_pct"], s["hi_pct"]) == pytest.approx(expected, rel=1e-9)
    assert tab.loc["BTC", "kind"] == "shocked" and tab.loc["BTC", "ret_pct"] == pytest.approx(-10.0)


def test_a_member_without_enough_closes_is_left_out_and_none_is_an_error():
    close = _closes()
    close.loc[close.index[:30], "B"] = np.nan  # 16 closes left
    kinds = dict.fromkeys(close.columns, "token")
    tab = beta_what_if(close, kinds, ["A", "B"], {"BTC": -0.1}, (), min_obs=30, history_days=1095, min_coverage=0.8)
    assert "B" not in tab.index and tab.attrs["members"] == ["A"] and any("B" in n for n in tab.attrs["notes"])
    from selloff.errors import SelloffError

    with pytest.raises(SelloffError):
        beta_what_if(close, kinds, ["B"], {"BTC": -0.1}, (), min_obs=30, history_days=1095, min_coverage=0.8)
