"""Attribution tests against outside references: simulated data with known betas, numpy least squares, a
Newey–West covariance written out by hand (Newey & West 1987, Bartlett weights), and the Frisch–Waugh–Lovell
closed form for the orthogonalised model."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selloff.analytics.attribution import (
    decompose_move,
    equal_weight_basket,
    factor_model,
    rolling_betas,
    rolling_betas_reference,
)
from selloff.errors import DataError

EQ = ["NVDA", "AMD", "MSFT", "GOOGL", "AMZN"]


def _sim(n=400, seed=1, b_btc=0.8, b_eq=0.5):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2025-01-01", periods=n, freq="D")
    btc = rng.normal(0, 0.03, n)
    eqs = {e: 0.3 * btc + rng.normal(0, 0.02, n) for e in EQ}
    df = pd.DataFrame({"BTC": btc, **eqs}, index=idx)
    df["EQ_BASKET"] = equal_weight_basket(df, EQ)
    df["TAO"] = 0.001 + b_btc * df["BTC"] + b_eq * df["EQ_BASKET"] + rng.normal(0, 0.01, n)
    df["NEAR"] = 1.2 * df["BTC"] + rng.normal(0, 0.01, n)
    return df


def test_equal_weight_basket_by_hand():
    df = pd.DataFrame({"A": [0.01, np.nan], "B": [0.03, -0.02]})
    b = equal_weight_basket(df, ["A", "B"], name="X")
    assert b.iloc[0] == pytest.approx(0.02) and b.iloc[1] == pytest.approx(-0.02) and b.name == "X"
    assert np.isnan(equal_weight_basket(df, ["A", "B"], min_members=2).iloc[1])
    with pytest.raises(DataError, match="INTC"):
        equal_weight_basket(df, ["A", "INTC"])


def test_recovers_simulated_betas_and_matches_lstsq():
    df = _sim()
    fit = factor_model(df, ["TAO", "NEAR"], ["BTC", "EQ_BASKET"], window_end=df.index[350], window=300, hac_lags=5)
    assert fit.params.loc["TAO", "BTC"] == pytest.approx(0.8, abs=0.06)
    assert fit.params.loc["TAO", "EQ_BASKET"] == pytest.approx(0.5, abs=0.08)
    assert fit.params.loc["NEAR", "BTC"] == pytest.approx(1.2, abs=0.06)
    assert fit.ci_low.loc["TAO", "BTC"] < 0.8 < fit.ci_high.loc["TAO", "BTC"]
    # window = the 300 rows strictly before the event row
    assert fit.window_end == df.index[349] and fit.window_start == df.index[50] and fit.nobs["TAO"] == 300
    win = df.iloc[50:350]
    X = np.column_stack([np.ones(300), win["BTC"], win["EQ_BASKET"]])
    beta, *_ = np.linalg.lstsq(X, win["TAO"].to_numpy(), rcond=None)
    np.testing.assert_allclose(fit.params.loc["TAO"].to_numpy(), beta, rtol=1e-10)
    resid = win["TAO"].to_numpy() - X @ beta
    r2 = 1 - resid @ resid / ((win["TAO"] - win["TAO"].mean()) ** 2).sum()
    assert fit.rsquared["TAO"] == pytest.approx(r2, rel=1e-10)


def test_hac_standard_errors_match_hand_written_newey_west():
    df = _sim(n=200, seed=7)
    L = 4
    fit = factor_model(df, "TAO", ["BTC", "EQ_BASKET"], window_end=df.index[-1] + pd.Timedelta("1D"),
                       window=200, hac_lags=L)
    X = np.column_stack([np.ones(200), df["BTC"], df["EQ_BASKET"]])
    y = df["TAO"].to_numpy()
    b = np.linalg.solve(X.T @ X, X.T @ y)
    u = (X * (y - X @ b)[:, None])
    S = u.T @ u
    for j in range(1, L + 1):
        G = u[j:].T @ u[:-j]
        S += (1 - j / (L + 1)) * (G + G.T)
    XtXi = np.linalg.inv(X.T @ X)
    n, k = X.shape
    V = XtXi @ S @ XtXi * n / (n - k)
    np.testing.assert_allclose(fit.bse.loc["TAO"].to_numpy(), np.sqrt(np.diag(V)), rtol=1e-8)
    from scipy import stats
    tq = stats.t.ppf(0.975, n - k)
    np.testing.assert_allclose(fit.ci_high.loc["TAO"].to_numpy(), b + tq * np.sqrt(np.diag(V)), rtol=1e-8)


def test_event_row_is_outside_the_window():
    df = _sim(n=250)
    ev = df.index[200]
    crashed = df.copy()
    crashed.loc[ev, "TAO"] = -0.5  # a crash on the event day must not move the betas
    a = factor_model(df, "TAO", ["BTC", "EQ_BASKET"], window_end=ev, window=150)
    b = factor_model(crashed, "TAO", ["BTC", "EQ_BASKET"], window_end=ev, window=150)
    pd.testing.assert_frame_equal(a.params, b.params)


def test_orthogonalised_btc_beta_equals_univariate_slope():
    # Frisch–Waugh–Lovell: with EQ replaced by its residual on BTC, the BTC coefficient is the simple slope
    df = _sim(n=300, seed=3)
    fit = factor_model(df, "TAO", ["BTC", "EQ_BASKET"], window_end=df.index[-1] + pd.Timedelta("1D"), window=300,
                       orthogonalise=("EQ_BASKET", "BTC"))
    slope = np.polyfit(df["BTC"], df["TAO"], 1)[0]
    assert fit.params.loc["TAO", "BTC"] == pytest.approx(slope, rel=1e-10)
    plain = factor_model(df, "TAO", ["BTC", "EQ_BASKET"], window_end=df.index[-1] + pd.Timedelta("1D"), window=300)
    assert fit.params.loc["TAO", "EQ_BASKET"] == pytest.approx(plain.params.loc["TAO", "EQ_BASKET"], rel=1e-10)
    assert "orthogonalised" in fit.orthogonalised


def test_decompose_move_by_hand():
    df = _sim(n=260)
    fit = factor_model(df, ["TAO"], ["BTC", "EQ_BASKET"], window_end=df.index[250], window=200)
    ev = pd.DataFrame({"TAO": [-0.10, -0.05], "BTC": [-0.04, -0.01], "EQ_BASKET": [-0.03, 0.01],
                       "NEAR": [0.0, 0.0]})
    out = decompose_move(fit, ev)
    p = fit.params.loc["TAO"]
    assert out.loc["TAO", "total"] == pytest.approx(-0.15)
    assert out.loc["TAO", "BTC_part"] == pytest.approx(p["BTC"] * -0.05)
    assert out.loc["TAO", "EQ_BASKET_part"] == pytest.approx(p["EQ_BASKET"] * -0.02)
    assert out.loc["TAO", "alpha_part"] == pytest.approx(2 * p["const"])
    assert out.loc["TAO", "beta_BTC_lo"] < out.loc["TAO", "beta_BTC"] < out.loc["TAO", "beta_BTC_hi"]


def test_rolling_betas_fast_path_agrees_with_reference_and_factor_model():
    df = _sim(n=160, seed=5)
    df.iloc[[10, 50, 51], df.columns.get_loc("TAO")] = np.nan
    df.iloc[[70], df.columns.get_loc("BTC")] = np.nan
    fast = rolling_betas(df, "TAO", ["BTC", "EQ_BASKET"], window=60, min_obs=40)
    ref = rolling_betas_reference(df, "TAO", ["BTC", "EQ_BASKET"], window=60, min_obs=40)
    pd.testing.assert_frame_equal(fast, ref, rtol=1e-8, atol=1e-10)
    assert fast.iloc[:40, :3].isna().all().all()
    # the value at row t is the pre-event fit with window_end = t
    fit = factor_model(df, "TAO", ["BTC", "EQ_BASKET"], window_end=df.index[120], window=60, min_obs=40)
    np.testing.assert_allclose(fast.iloc[120, :3].to_numpy(), fit.params.loc["TAO"].to_numpy(), rtol=1e-10)


def test_errors():
    df = _sim(n=100)
    with pytest.raises(DataError, match="before"):
        factor_model(df, "TAO", ["BTC"], window_end=df.index[0])
    with pytest.raises(DataError, match="XRP"):
        factor_model(df, "XRP", ["BTC"], window_end=df.index[-1])


_FIT = factor_model(_sim(n=120), ["TAO", "NEAR"], ["BTC", "EQ_BASKET"], window_end=pd.Timestamp("2026-01-01"),
                    window=120, orthogonalise=("EQ_BASKET", "BTC"))
_ret = st.floats(-0.5, 0.5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (3, 4), elements=_ret))
def test_parts_sum_to_total(a):
    ev = pd.DataFrame(a, columns=["TAO", "NEAR", "BTC", "EQ_BASKET"])
    out = decompose_move(_FIT, ev)
    parts = out[["BTC_part", "EQ_BASKET_part", "alpha_part", "residual"]].sum(axis=1)
    np.testing.assert_allclose(parts, out["total"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["total"], ev[["TAO", "NEAR"]].sum().to_numpy(), atol=1e-12)
