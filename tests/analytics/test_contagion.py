"""Contagion tests: a simulated Granger relation with known direction, the Granger F statistic recomputed from
two numpy least-squares fits, the cross-correlation against numpy/pandas, tail counts by hand, closed-form
limits (comonotone -> lambda = 1) and hypothesis properties (correlations in [-1, 1], probabilities in [0, 1])."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selloff.analytics.contagion import (
    granger_causality,
    lead_lag_xcorr,
    lead_lag_xcorr_reference,
    rolling_correlation,
    tail_comovement,
)
from selloff.errors import DataError


def _lead(n=400, seed=0):
    """EQ leads AI by one period: AI_t = 0.5 EQ_{t-1} + e_t."""
    rng = np.random.default_rng(seed)
    eq = rng.normal(0, 0.02, n)
    ai = np.r_[0.0, 0.5 * eq[:-1]] + rng.normal(0, 0.02, n)
    return pd.DataFrame({"EQ_BASKET": eq, "AI_SECTOR": ai}, index=pd.date_range("2025-01-01", periods=n))


def test_granger_finds_the_simulated_direction():
    g = granger_causality(_lead(), "EQ_BASKET", "AI_SECTOR", lags=3).set_index(["cause", "lag"])
    assert (g.loc["EQ_BASKET", "p_value"] < 1e-6).all()
    assert (g.loc["AI_SECTOR", "p_value"] > 0.01).all()


def test_granger_f_matches_restricted_vs_unrestricted_lstsq():
    df = _lead(n=200, seed=4)
    p = 2
    y, x = df["AI_SECTOR"].to_numpy(), df["EQ_BASKET"].to_numpy()
    Y = y[p:]
    lags_y = np.column_stack([y[p - j: len(y) - j] for j in range(1, p + 1)])
    lags_x = np.column_stack([x[p - j: len(x) - j] for j in range(1, p + 1)])
    one = np.ones((len(Y), 1))
    Xr, Xu = np.hstack([one, lags_y]), np.hstack([one, lags_y, lags_x])
    ssr = lambda X: float(((Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]) ** 2).sum())  # noqa: E731
    n = len(Y)
    F = ((ssr(Xr) - ssr(Xu)) / p) / (ssr(Xu) / (n - 2 * p - 1))
    g = granger_causality(df, "EQ_BASKET", "AI_SECTOR", lags=p)
    row = g[(g["cause"] == "EQ_BASKET") & (g["lag"] == p)].iloc[0]
    assert row["f_stat"] == pytest.approx(F, rel=1e-8)
    assert row["df_denom"] == n - 2 * p - 1


def test_xcorr_fast_path_agrees_with_reference_and_finds_the_lead():
    df = _lead(n=300, seed=2)
    df.iloc[[5, 17, 80], 0] = np.nan
    df.iloc[[40, 41], 1] = np.nan
    fast = lead_lag_xcorr(df, "EQ_BASKET", "AI_SECTOR", max_lag=4)
    ref = lead_lag_xcorr_reference(df, "EQ_BASKET", "AI_SECTOR", max_lag=4)
    np.testing.assert_allclose(fast["corr"].to_numpy(), ref.to_numpy(), atol=1e-8)
    assert fast["corr"].idxmax() == 1  # EQ leads AI by one period
    clean = _lead(n=300, seed=2)
    lag0 = np.corrcoef(clean["EQ_BASKET"], clean["AI_SECTOR"])[0, 1]
    assert lead_lag_xcorr(clean, "EQ_BASKET", "AI_SECTOR", 1).loc[0, "corr"] == pytest.approx(lag0, rel=1e-12)


def test_rolling_correlation_last_value_matches_numpy():
    df = _lead(n=100, seed=3)
    rc = rolling_correlation(df, "EQ_BASKET", "AI_SECTOR", window=30)
    assert rc.iloc[:29].isna().all()
    last = np.corrcoef(df["EQ_BASKET"].iloc[-30:], df["AI_SECTOR"].iloc[-30:])[0, 1]
    assert rc.iloc[-1] == pytest.approx(last, rel=1e-10)


def test_tail_comovement_by_hand():
    tok = [-0.10, -0.06, 0.01, -0.07, 0.02, -0.01, 0.03, -0.08, 0.00, 0.01]
    bas = [-0.03, -0.025, -0.03, 0.00, 0.01, -0.01, 0.00, 0.00, 0.01, 0.02]
    df = pd.DataFrame({"AI": tok, "EQ": bas}, index=pd.date_range("2026-01-01", periods=10))
    out = tail_comovement(df, "AI", "EQ", {"before": ("2026-01-01", "2026-01-05"), "all": ("2026-01-01", "2026-01-10")},
                          token_drop=0.05, basket_drop=0.02, tail_quantile=0.2)
    a = out.loc["all"]
    assert (a["n"], a["n_basket_falls"], a["n_joint_falls"]) == (10, 3, 2)
    assert a["p_token_fall"] == pytest.approx(0.4)
    assert a["p_token_fall_given_basket_fall"] == pytest.approx(2 / 3)
    assert a["lift"] == pytest.approx((2 / 3) / 0.4)
    # u = 0.2: the two lowest basket rows are days 1 and 3 (tied -0.03 -> rank 0.2 by 'max'); token ranks 0.1, 0.8
    assert a["lambda_lower"] == pytest.approx(0.5)
    b = out.loc["before"]
    assert (b["n"], b["n_basket_falls"], b["n_joint_falls"]) == (5, 3, 2)


def test_tail_dependence_limits():
    x = np.random.default_rng(1).normal(size=500)
    df = pd.DataFrame({"AI": x, "EQ": 0.5 * x}, index=pd.date_range("2024-01-01", periods=500))
    out = tail_comovement(df, "AI", "EQ", {"w": (df.index[0], df.index[-1])}, tail_quantile=0.1)
    assert out.loc["w", "lambda_lower"] == 1.0  # comonotone
    df["EQ"] = -df["AI"]
    assert tail_comovement(df, "AI", "EQ", {"w": (df.index[0], df.index[-1])}).loc["w", "lambda_lower"] == 0.0


def test_errors():
    with pytest.raises(DataError, match="ZZZ"):
        lead_lag_xcorr(_lead(n=20), "ZZZ", "AI_SECTOR")
    with pytest.raises(DataError, match="complete rows"):
        granger_causality(_lead(n=15), "EQ_BASKET", "AI_SECTOR", lags=5)


_vals = st.floats(-0.5, 0.5, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (25, 2), elements=_vals), st.floats(0.0, 0.2), st.floats(0.0, 0.2), st.floats(0.05, 0.95))
def test_properties_bounds(a, q, qp, u):
    df = pd.DataFrame(a, columns=["AI", "EQ"], index=pd.date_range("2026-01-01", periods=25))
    xc = lead_lag_xcorr(df, "AI", "EQ", max_lag=3)["corr"].dropna()
    assert ((xc >= -1) & (xc <= 1)).all()
    rc = rolling_correlation(df, "AI", "EQ", window=10).dropna()
    assert ((rc >= -1) & (rc <= 1)).all()
    out = tail_comovement(df, "AI", "EQ", {"w": (df.index[0], df.index[-1])}, q, qp, u)
    for col in ("p_token_fall", "p_token_fall_given_basket_fall", "lambda_lower"):
        v = out.loc["w", col]
        assert np.isnan(v) or 0.0 <= v <= 1.0
