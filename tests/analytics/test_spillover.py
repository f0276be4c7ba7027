"""Tests for selloff.analytics.spillover, each against something outside the code under test:
the published Diebold–Yilmaz (2012) table, a hand-worked decomposition, statsmodels' FEVD and MA
recursion, known simulation parameters, properties that hold for every VAR, and the obvious
(statsmodels per window) rolling path."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from statsmodels.tsa.api import VAR
from statsmodels.tsa.vector_ar.var_model import VARResults, ma_rep

from selloff.analytics.spillover import (
    SpilloverResult,
    generalized_fevd,
    generalized_fevd_raw,
    ma_coefficients,
    range_volatility,
    rolling_spillover,
    rolling_spillover_reference,
    spillover_table,
)
from selloff.errors import DataError

# ---------------------------------------------------------------------------------------------
# 1. Diebold & Yilmaz (2012), Table 2: full-sample volatility spillover table, VAR(4), H = 10.
# ---------------------------------------------------------------------------------------------
# Total: 12.6 % as published in the paper (IJF 28(1), p. 61, Table 2, bottom-right cell), to
# one decimal -> tolerance 0.1 point.
DY2012_TOTAL_PUBLISHED = 12.6
# Entries: the paper prints one decimal; the values below, to seven digits, are the output of
# the R package `Spillover` (`G.spillover(VAR(dy2012, p = 4), n.ahead = 10, standardized = FALSE)`,
# as printed in an online econometrics text, derisiswara.art/econometricsbook/07-Bab7.html) and
# agree to the two decimals shown by the R package ConnectednessApproach's vignette
# "2012DieboldYilmaz" (Table 2: SP500 row 88.76 7.29 0.35 3.61 | 11.24; TO 16.37 18.01 4.62 11.36;
# NET 5.13 -0.54 -1.69 -2.90; TCI 12.59). Both are independent implementations (R `vars` OLS).
# The published paper's one-decimal cells were not available offline; they are these values
# rounded (e.g. 88.8, 7.3, 0.3, 3.6 | 11.2). Tolerance: 1e-5 points (the R output's precision).
DY2012_NAMES = ["SP500", "R_10Y", "DJUBSCOM", "USDX"]
DY2012_TABLE_R = np.array(
    [
        [88.757002, 7.291185, 0.3453279, 3.606486],
        [10.213545, 81.445712, 2.7269737, 5.613770],
        [0.468118, 3.695953, 93.6941893, 2.141740],
        [5.691579, 7.026017, 1.5477592, 85.734645],
    ]
)
DY2012_FROM_R = np.array([11.242998, 18.554288, 6.305811, 14.265355])
DY2012_TO_R = np.array([16.373241, 18.013154, 4.6200608, 11.361996])
DY2012_TO_INCL_OWN_R = np.array([105.130243, 99.458866, 98.3142500, 97.096641])
DY2012_NET_R = np.array([5.1302430, -0.5411342, -1.6857500, -2.9033588])
DY2012_TOTAL_R = 12.592113


@pytest.fixture
def dy2012(shared_data) -> pd.DataFrame:
    path = shared_data / "dy2012.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (Diebold-Yilmaz 2012 data, see ../shared/data/README.md)")
    return pd.read_csv(path, parse_dates=["date"], index_col="date")


def test_dy2012_data_are_the_papers_sample(dy2012):
    assert list(dy2012.columns) == DY2012_NAMES
    assert len(dy2012) == 2771
    assert dy2012.index[0] == pd.Timestamp("1999-01-25") and dy2012.index[-1] == pd.Timestamp("2010-01-29")


def test_dy2012_total_spillover_matches_paper(dy2012):
    # The distributed data are already log range volatilities: used as-is (no transformation).
    res = spillover_table(dy2012, lags=4, horizon=10)
    assert abs(res.total - DY2012_TOTAL_PUBLISHED) <= 0.1
    assert res.nobs == 2771 - 4


def test_dy2012_table_matches_r_reproductions(dy2012):
    res = spillover_table(dy2012, lags=4, horizon=10)
    t = res.table
    np.testing.assert_allclose(t.loc[DY2012_NAMES, DY2012_NAMES].to_numpy(), DY2012_TABLE_R, atol=1e-5)
    np.testing.assert_allclose(t.loc[DY2012_NAMES, "From others"], DY2012_FROM_R, atol=1e-5)
    np.testing.assert_allclose(t.loc["To others", DY2012_NAMES], DY2012_TO_R, atol=1e-5)
    np.testing.assert_allclose(t.loc["To incl. own", DY2012_NAMES], DY2012_TO_INCL_OWN_R, atol=1e-5)
    np.testing.assert_allclose(t.loc["Net", DY2012_NAMES], DY2012_NET_R, atol=1e-5)
    assert t.loc["To incl. own", "From others"] == pytest.approx(DY2012_TOTAL_R, abs=1e-5)
    assert res.total == pytest.approx(DY2012_TOTAL_R, abs=1e-5)
    np.testing.assert_allclose(res.net.to_numpy(), DY2012_NET_R, atol=1e-5)
    # the paper's reading: stocks are the net transmitter of volatility over the full sample
    assert res.net.idxmax() == "SP500"


# ---------------------------------------------------------------------------------------------
# 2. Hand-worked bivariate VAR(1)
# ---------------------------------------------------------------------------------------------
A_HAND = np.array([[[0.5, 0.2], [0.1, 0.3]]])
SIGMA_HAND = np.array([[1.0, 0.3], [0.3, 2.0]])


def test_generalized_fevd_by_hand_h1():
    # H = 1: Phi_0 = I, theta_ij = Sigma_ij^2 / (sigma_jj * Sigma_ii)
    # theta = [[1, 0.09/2], [0.09/1 / 2, 1]] = [[1, 0.045], [0.045, 1]]; rows sum to 1.045.
    raw = generalized_fevd_raw(A_HAND, SIGMA_HAND, 1)
    np.testing.assert_allclose(raw, [[1.0, 0.045], [0.045, 1.0]], atol=1e-15)
    norm = generalized_fevd(A_HAND, SIGMA_HAND, 1)
    np.testing.assert_allclose(norm, [[1 / 1.045, 0.045 / 1.045], [0.045 / 1.045, 1 / 1.045]], atol=1e-15)


def test_generalized_fevd_by_hand_h2():
    # H = 2 adds Phi_1 = A. A Sigma = [[0.5*1 + 0.2*0.3, 0.5*0.3 + 0.2*2], [0.1*1 + 0.3*0.3, 0.1*0.3 + 0.3*2]]
    #                               = [[0.56, 0.55], [0.19, 0.63]]
    # diag(A Sigma A') = [0.56*0.5 + 0.55*0.2, 0.19*0.1 + 0.63*0.3] = [0.39, 0.208]
    # theta_00 = (1^2 + 0.56^2)/1 / (1 + 0.39)       = 1.3136 / 1.39
    # theta_01 = (0.3^2 + 0.55^2)/2 / (1 + 0.39)     = 0.19625 / 1.39
    # theta_10 = (0.3^2 + 0.19^2)/1 / (2 + 0.208)    = 0.1261 / 2.208
    # theta_11 = (2^2 + 0.63^2)/2 / (2 + 0.208)      = 2.19845 / 2.208
    expected_raw = np.array([[1.3136 / 1.39, 0.19625 / 1.39], [0.1261 / 2.208, 2.19845 / 2.208]])
    np.testing.assert_allclose(generalized_fevd_raw(A_HAND, SIGMA_HAND, 2), expected_raw, rtol=1e-13)
    expected = expected_raw / expected_raw.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(generalized_fevd(A_HAND, SIGMA_HAND, 2), expected, rtol=1e-13)
    # the raw generalized decomposition does not sum to one with correlated shocks
    assert not np.allclose(expected_raw.sum(axis=1), 1.0)


# ---------------------------------------------------------------------------------------------
# 3. Diagonal Sigma: generalized == orthogonalised (Cholesky) FEVD of statsmodels
# ---------------------------------------------------------------------------------------------
def _simulate_var(coefs: np.ndarray, sigma: np.ndarray, n: int, seed: int, burn: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p, k, _ = coefs.shape
    shocks = rng.multivariate_normal(np.zeros(k), sigma, size=n + burn)
    y = np.zeros((n + burn, k))
    for t in range(p, n + burn):
        y[t] = shocks[t] + sum(coefs[lag] @ y[t - 1 - lag] for lag in range(p))
    return y[burn:]


COEFS_3 = np.array(
    [
        [[0.40, 0.10, 0.00], [0.20, 0.30, 0.10], [0.00, 0.25, 0.20]],
        [[0.10, 0.00, 0.05], [0.00, 0.10, 0.00], [0.05, 0.00, 0.10]],
    ]
)
SIGMA_3 = np.array([[1.0, 0.4, 0.2], [0.4, 1.5, 0.3], [0.2, 0.3, 0.8]])


@pytest.mark.parametrize("horizon", [1, 5, 10])
def test_diagonal_sigma_equals_statsmodels_orthogonalised_fevd(horizon):
    y = _simulate_var(COEFS_3, SIGMA_3, 600, seed=1)
    fit = VAR(y).fit(2)
    # the same VAR with uncorrelated innovations (statsmodels' own results class, default Cholesky)
    diagonal = np.diag(np.diag(fit.sigma_u))
    res = VARResults(
        fit.endog, fit.endog_lagged, fit.params, diagonal, 2, model=fit.model, names=fit.names
    )
    sm = res.fevd(horizon).decomp[:, horizon - 1, :]  # (equation, horizon, shock)
    ours = generalized_fevd(res.coefs, res.sigma_u, horizon)
    if horizon > 1:  # shocks spill over through the lags: the comparison is not between identities
        assert sm[1, 0] > 0.01
    np.testing.assert_allclose(ours, sm, atol=1e-12)
    # with uncorrelated shocks no normalisation is needed
    np.testing.assert_allclose(generalized_fevd_raw(res.coefs, res.sigma_u, horizon).sum(axis=1), 1.0, atol=1e-12)


def test_ma_coefficients_equal_statsmodels_ma_rep():
    np.testing.assert_allclose(ma_coefficients(COEFS_3, 12), ma_rep(COEFS_3, 11), atol=1e-14)


# ---------------------------------------------------------------------------------------------
# 4. Simulation with known parameters
# ---------------------------------------------------------------------------------------------
def test_estimated_table_close_to_true_parameters():
    n = 20_000
    y = _simulate_var(COEFS_3, SIGMA_3, n, seed=2026)
    names = ["a", "b", "c"]
    data = pd.DataFrame(y, columns=names, index=pd.date_range("2000-01-01", periods=n, freq="D", tz="UTC"))
    truth = 100 * generalized_fevd(COEFS_3, SIGMA_3, 10)
    res = spillover_table(data, lags=2, horizon=10)
    # sampling error of the table entries at n = 20,000 is a few tenths of a point
    np.testing.assert_allclose(res.table.loc[names, names].to_numpy(), truth, atol=1.0)
    true_total = (truth.sum() - np.trace(truth)) / 3
    assert abs(res.total - true_total) < 0.5
    assert 15 < true_total < 40  # the design has material spillovers, so the check has teeth


# ---------------------------------------------------------------------------------------------
# 5. Properties that hold for every VAR
# ---------------------------------------------------------------------------------------------
@st.composite
def var_parameters(draw):
    k = draw(st.integers(2, 5))
    p = draw(st.integers(1, 3))
    coefs = draw(arrays(np.float64, (p, k, k), elements=st.floats(-0.6, 0.6)))
    chol = draw(arrays(np.float64, (k, k), elements=st.floats(-2.0, 2.0)))
    sigma = chol @ chol.T + 0.05 * np.eye(k)
    horizon = draw(st.integers(1, 12))
    return coefs, sigma, horizon


@settings(max_examples=150, deadline=None)
@given(var_parameters())
def test_normalised_fevd_properties(params):
    coefs, sigma, horizon = params
    theta = generalized_fevd(coefs, sigma, horizon)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(theta >= 0.0) and np.all(theta <= 1.0 + 1e-12)


@settings(max_examples=150, deadline=None)
@given(var_parameters(), st.randoms(use_true_random=False))
def test_generalized_fevd_is_invariant_to_ordering(params, rnd):
    # the point of the generalized decomposition (DY 2012, sec. 2): reordering the variables
    # permutes the table and changes nothing else -- unlike the Cholesky decomposition
    coefs, sigma, horizon = params
    k = sigma.shape[0]
    perm = np.array(rnd.sample(range(k), k))
    theta = generalized_fevd(coefs, sigma, horizon)
    theta_perm = generalized_fevd(coefs[:, perm][:, :, perm], sigma[np.ix_(perm, perm)], horizon)
    np.testing.assert_allclose(theta_perm, theta[np.ix_(perm, perm)], atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 5), lags=st.integers(1, 3))
def test_spillover_measures_properties(seed, k, lags):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(rng.standard_normal((120, k)) + 0.5 * rng.standard_normal((120, 1)))
    res = spillover_table(data, lags=lags, horizon=8)
    assert 0.0 <= res.total <= 100.0
    assert abs(res.net.sum()) < 1e-10
    np.testing.assert_allclose(res.pairwise_net.to_numpy(), -res.pairwise_net.to_numpy().T, atol=1e-12)
    np.testing.assert_allclose(res.pairwise_net.sum(axis=1).to_numpy(), res.net.to_numpy(), atol=1e-10)
    assert res.to.sum() == pytest.approx(res.from_.sum(), abs=1e-10)
    assert res.total == pytest.approx(res.from_.sum() / k, abs=1e-10)
    np.testing.assert_allclose(res.table.iloc[:k, :k].sum(axis=1), 100.0, atol=1e-10)


# ---------------------------------------------------------------------------------------------
# 6. Fast path == obvious path
# ---------------------------------------------------------------------------------------------
def test_rolling_batched_equals_reference_on_dy2012(dy2012):
    data = dy2012.iloc[:450]
    fast = rolling_spillover(data, window=200, lags=4, horizon=10)
    slow = rolling_spillover_reference(data, window=200, lags=4, horizon=10)
    assert fast.index.equals(slow.index) and list(fast.columns) == list(slow.columns)
    assert fast.index[0] == data.index[199] and fast.index[-1] == data.index[-1]
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=0, atol=1e-8)


@pytest.mark.parametrize(("trend", "step", "lags"), [("c", 3, 2), ("n", 5, 1), ("ct", 4, 3)])
def test_rolling_batched_equals_reference_simulated(trend, step, lags):
    y = _simulate_var(COEFS_3, SIGMA_3, 500, seed=7) + np.array([5.0, -3.0, 10.0])
    data = pd.DataFrame(y, columns=["x", "y", "z"])
    fast = rolling_spillover(data, window=120, lags=lags, horizon=7, step=step, trend=trend)
    slow = rolling_spillover_reference(data, window=120, lags=lags, horizon=7, step=step, trend=trend)
    assert len(fast) == len(range(119, 500, step))
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=0, atol=1e-8)


def test_rolling_last_window_equals_full_table_on_that_window(dy2012):
    data = dy2012.iloc[-260:]
    fast = rolling_spillover(data, window=200, step=20)
    last = spillover_table(data.iloc[-200:])
    assert fast["total"].iloc[-1] == pytest.approx(last.total, abs=1e-8)
    np.testing.assert_allclose(fast[[f"net_{n}" for n in DY2012_NAMES]].iloc[-1], last.net, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# Results object and errors
# ---------------------------------------------------------------------------------------------
def test_result_is_frozen_and_summarises():
    y = _simulate_var(COEFS_3, SIGMA_3, 300, seed=3)
    res = spillover_table(pd.DataFrame(y, columns=["a", "b", "c"]), lags=2, horizon=5)
    assert isinstance(res, SpilloverResult)
    with pytest.raises(AttributeError):
        res.total = 0.0  # type: ignore[misc]
    text = res.summary()
    assert "Total spillover index" in text and "VAR(2)" in text and "generalized" in res.method
    assert list(res.table.index[-3:]) == ["To others", "To incl. own", "Net"]
    assert res.table.columns[-1] == "From others"


def test_missing_values_raise_data_error_naming_the_column():
    data = pd.DataFrame(np.random.default_rng(0).standard_normal((100, 2)), columns=["BTC", "ETH"])
    data.iloc[10, 1] = np.nan
    with pytest.raises(DataError, match="ETH"):
        spillover_table(data)


def test_too_short_window_raises_data_error():
    data = pd.DataFrame(np.random.default_rng(0).standard_normal((100, 3)))
    with pytest.raises(DataError, match="too few"):
        rolling_spillover(data, window=15, lags=4)


# ---------------------------------------------------------------------------------------------
# Range volatility: unbiased for a driftless Brownian log price (Parkinson 1980; Garman-Klass 1980)
# ---------------------------------------------------------------------------------------------
def test_range_volatility_recovers_known_variance():
    rng = np.random.default_rng(11)
    days, steps, sigma_daily = 800, 5000, 0.02
    increments = rng.standard_normal((days, steps), dtype=np.float64) * (sigma_daily / np.sqrt(steps))
    paths = np.concatenate([np.zeros((days, 1)), np.cumsum(increments, axis=1)], axis=1)
    log_open = np.log(100.0)
    idx = pd.date_range("2024-01-01", periods=days, freq="D", tz="UTC")
    high = pd.Series(np.exp(log_open + paths.max(axis=1)), index=idx)
    low = pd.Series(np.exp(log_open + paths.min(axis=1)), index=idx)
    open_ = pd.Series(np.exp(log_open + paths[:, 0]), index=idx)
    close = pd.Series(np.exp(log_open + paths[:, -1]), index=idx)
    # discrete monitoring (5,000 steps) biases the range down by ~2 %; sampling error ~2 %
    assert range_volatility(high, low, kind="variance").mean() == pytest.approx(sigma_daily**2, rel=0.07)
    assert range_volatility(high, low, open_, close, kind="variance").mean() == pytest.approx(sigma_daily**2, rel=0.07)
    log_var = range_volatility(high, low)
    np.testing.assert_allclose(np.exp(log_var), range_volatility(high, low, kind="std") ** 2, rtol=1e-12)


def test_range_volatility_parkinson_constant_is_dy_0361():
    hl = pd.Series([np.exp(0.1)]), pd.Series([1.0])
    assert range_volatility(*hl, kind="variance").iloc[0] == pytest.approx(0.361 * 0.1**2, rel=1e-3)


def test_range_volatility_rejects_high_below_low():
    with pytest.raises(DataError, match="high < low"):
        range_volatility(pd.Series([1.0, 2.0]), pd.Series([1.5, 1.0]))
