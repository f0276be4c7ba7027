"""EWMA against a hand-written RiskMetrics loop; GARCH(1,1) on a series simulated here with known parameters."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.volatility import ewma_volatility, garch_volatility, zscores


def _returns(n: int = 120, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2025-01-01", periods=n, freq="D", tz="UTC")
    return pd.Series(0.02 * rng.standard_normal(n), index=idx)


def riskmetrics_loop(r: list[float], lam: float, min_periods: int) -> list[float]:
    """sigma^2_t = lam sigma^2_{t-1} + (1 - lam) r^2_{t-1}, seeded with r_0^2; NaN until min_periods returns seen."""
    out = [math.nan]
    var = None
    for t in range(1, len(r)):
        x = r[t - 1] ** 2
        var = x if var is None else lam * var + (1 - lam) * x
        out.append(math.sqrt(var) if t >= min_periods else math.nan)
    return out


@pytest.mark.parametrize("lam, min_periods", [(0.94, 30), (0.97, 10), (0.5, 1)])
def test_ewma_matches_hand_loop(lam, min_periods):
    r = _returns()
    got = ewma_volatility(r, lam, min_periods)
    expected = riskmetrics_loop(r.tolist(), lam, min_periods)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12, equal_nan=True)
    assert got.iloc[: min_periods].isna().all()
    assert got.iloc[min_periods:].notna().all()


def test_ewma_two_step_closed_form():
    r = pd.Series([0.1, -0.2, 0.3])
    got = ewma_volatility(r, 0.9, 1)
    # sigma_1 = |r_0| ; sigma_2^2 = 0.9 * 0.01 + 0.1 * 0.04 = 0.013
    assert np.isnan(got.iloc[0])
    assert got.iloc[1] == pytest.approx(0.1)
    assert got.iloc[2] == pytest.approx(math.sqrt(0.013))


def test_ewma_on_day_t_excludes_r_t():
    r = _returns()
    t = 80
    shocked = r.copy()
    shocked.iloc[t] = -0.5
    a, b = ewma_volatility(r), ewma_volatility(shocked)
    pd.testing.assert_series_equal(a.iloc[: t + 1], b.iloc[: t + 1])
    assert b.iloc[t + 1] > a.iloc[t + 1]
    # so the z-score of the shock is measured against the calm forecast
    assert zscores(shocked).iloc[t] == pytest.approx(-0.5 / a.iloc[t])


def test_ewma_wide_frame_is_columnwise():
    r = pd.DataFrame({"x": _returns(seed=1), "y": _returns(seed=2)})
    got = ewma_volatility(r)
    np.testing.assert_allclose(got["y"].to_numpy(), riskmetrics_loop(r["y"].tolist(), 0.94, 30), equal_nan=True)


def simulate_garch(n: int, omega: float, alpha: float, beta: float, seed: int) -> tuple[pd.Series, np.ndarray]:
    """GARCH(1,1) with normal innovations; returns (returns, sigma_t for t = 0..n) — sigma_n is the next day's."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    h = omega / (1 - alpha - beta)
    r = np.empty(n)
    sig = np.empty(n + 1)
    for t in range(n):
        sig[t] = math.sqrt(h)
        r[t] = sig[t] * z[t]
        h = omega + alpha * r[t] ** 2 + beta * h
    sig[n] = math.sqrt(h)
    return pd.Series(r, index=pd.date_range("2015-01-01", periods=n, freq="D", tz="UTC")), sig


OMEGA, ALPHA, BETA = 8e-6, 0.08, 0.90  # unconditional daily vol = sqrt(8e-6 / 0.02) = 2 %


def test_garch_recovers_persistence_and_next_day_sigma():
    r, sig = simulate_garch(3000, OMEGA, ALPHA, BETA, seed=11)
    sigma, params = garch_volatility(r, window=3000, dist="normal")
    assert params["alpha[1]"] + params["beta[1]"] == pytest.approx(ALPHA + BETA, abs=0.03)
    assert params["alpha[1]"] == pytest.approx(ALPHA, abs=0.03)
    # omega is reported for returns in per cent (scaled by 100): 8e-6 * 1e4 = 0.08
    uncond = math.sqrt(params["omega"] / (1 - params["alpha[1]"] - params["beta[1]"])) / 100
    assert uncond == pytest.approx(0.02, rel=0.2)
    assert sigma == pytest.approx(sig[-1], rel=0.15)


def test_garch_window_ends_at_end():
    r, _ = simulate_garch(800, OMEGA, ALPHA, BETA, seed=5)
    end = r.index[600]
    shocked = r.copy()
    shocked.iloc[601:] = shocked.iloc[601:] * 10  # data after ``end`` must not matter
    a = garch_volatility(r, window=500, end=end)
    b = garch_volatility(shocked, window=500, end=end)
    assert a[0] == pytest.approx(b[0], rel=1e-9)
    with pytest.raises(ValueError, match="at least 60"):
        garch_volatility(r, end=r.index[30])
