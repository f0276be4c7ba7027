"""EWMA against a hand-written RiskMetrics loop; GARCH(1,1) on a series simulated here with known parameters."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.volatility import ewma_volatility, garch_volatility, zscores
from selloff.errors import DataError


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
    with pytest.raises(DataError, match="at least 60"):
        garch_volatility(r, end=r.index[30])


# -- GARCH(1,1) sigma path -------------------------------------------------------------------------------------
def _simulate_garch(n: int, omega: float, alpha: float, beta: float, seed: int) -> tuple[pd.Series, pd.Series]:
    """GARCH(1,1) with Gaussian shocks, started at the unconditional variance; returns (r, true sigma)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    var = np.empty(n)
    r = np.empty(n)
    var[0] = omega / (1 - alpha - beta)
    r[0] = math.sqrt(var[0]) * z[0]
    for t in range(1, n):
        var[t] = omega + alpha * r[t - 1] ** 2 + beta * var[t - 1]
        r[t] = math.sqrt(var[t]) * z[t]
    idx = pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
    return pd.Series(r, index=idx), pd.Series(np.sqrt(var), index=idx)


def test_garch_path_fast_equals_reference_arch_fix():
    from selloff.analytics.volatility import garch_sigma_path, garch_sigma_path_reference

    r, _ = _simulate_garch(230, 2e-5, 0.10, 0.85, seed=11)
    r.iloc[150] = np.nan  # a missing day is skipped, not filled
    kw = dict(window=120, refit_every=40, min_obs=100, dist="normal")
    fast = garch_sigma_path(r, **kw)
    ref = garch_sigma_path_reference(r, **kw)
    np.testing.assert_allclose(fast.to_numpy(), ref.to_numpy(), rtol=1e-8, atol=0, equal_nan=True)
    assert fast.iloc[:100].isna().all() and fast.iloc[100:].drop(r.index[150]).notna().all()
    assert len(fast.attrs["params"]) == 4  # blocks start at observed positions 100, 140, 180, 220


def test_garch_path_from_a_start_fits_only_the_blocks_it_needs():
    from selloff.analytics.volatility import garch_sigma_path, garch_sigma_path_reference

    r, _ = _simulate_garch(230, 2e-5, 0.10, 0.85, seed=11)
    r.iloc[150] = np.nan
    kw = dict(window=120, refit_every=40, min_obs=100, dist="normal")
    part = garch_sigma_path(r, start=r.index[200], **kw)
    ref = garch_sigma_path_reference(r, **kw)
    # observed positions: the NaN day is dropped, so r.index[200] is observed position 199, inside block [180, 220)
    assert [p["block_start"] for p in part.attrs["params"]] == [r.index[181], r.index[221]]
    assert part.iloc[:200].isna().all()
    np.testing.assert_allclose(part.iloc[200:].to_numpy(), ref.iloc[200:].to_numpy(), rtol=1e-8, atol=0)
    edge = garch_sigma_path(r, start=r.index[181], **kw)  # exactly on a block's first day: the earlier block is skipped
    assert [p["block_start"] for p in edge.attrs["params"]] == [r.index[181], r.index[221]]
    np.testing.assert_allclose(edge.iloc[181:].to_numpy(), ref.iloc[181:].to_numpy(), rtol=1e-8, atol=0)
    assert edge.iloc[:181].isna().all()
    last = garch_sigma_path(r, start=r.index[-1], **kw)  # the report's case: one day, one fit
    assert len(last.attrs["params"]) == 1 and last.iloc[:-1].isna().all()
    assert last.iloc[-1] == pytest.approx(ref.iloc[-1], rel=1e-8)


def test_garch_path_tracks_simulated_sigma_and_recovers_persistence():
    from selloff.analytics.volatility import garch_sigma_path

    omega, alpha, beta = 1e-5, 0.10, 0.88
    r, true_sigma = _simulate_garch(1500, omega, alpha, beta, seed=7)
    est = garch_sigma_path(r, window=500, refit_every=250, min_obs=500, dist="normal")
    ok = est.notna()
    assert ok.sum() == 1000
    assert np.corrcoef(est[ok], true_sigma[ok])[0, 1] > 0.9
    last = est.attrs["params"][-1]
    assert last["alpha[1]"] + last["beta[1]"] == pytest.approx(alpha + beta, abs=0.06)
    # the level is right on average: mean ratio of estimated to true sigma near one
    assert (est[ok] / true_sigma[ok]).mean() == pytest.approx(1.0, abs=0.1)


def test_garch_path_has_no_look_ahead():
    from selloff.analytics.volatility import garch_sigma_path

    r, _ = _simulate_garch(300, 2e-5, 0.10, 0.85, seed=5)
    kw = dict(window=200, refit_every=50, min_obs=120, dist="normal")
    base = garch_sigma_path(r, **kw)
    for t in (130, 169, 170, 250):  # inside a block, the block's last day, a refit day, later
        shocked = r.copy()
        shocked.iloc[t] = -0.4
        got = garch_sigma_path(shocked, **kw)
        np.testing.assert_array_equal(got.iloc[: t + 1].to_numpy(), base.iloc[: t + 1].to_numpy())
        assert got.iloc[t + 1] > base.iloc[t + 1]  # the shock moves tomorrow's sigma
