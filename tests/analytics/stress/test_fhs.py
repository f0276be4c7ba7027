"""FHS against ``arch``: the one-step variance against arch's analytic forecast, the multi-day paths against
arch's own bootstrap forecast for one asset; the fast recursion against the obvious one; float32 against float64."""
import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from scipy import stats

from selloff.analytics.stress.engine import EngineParams, run_engine
from selloff.analytics.stress.fhs import FHSModel, fit_fhs, recursion_reference


def gjr_t_series(n, omega, alpha, gamma, beta, nu, seed, burn=500):
    """A GJR-GARCH(1,1) path with standardised Student-t innovations (known parameters; per-cent units)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_t(nu, n + burn) / np.sqrt(nu / (nu - 2))
    var, y = omega / (1 - alpha - gamma / 2 - beta), np.empty(n + burn)
    for t in range(n + burn):
        y[t] = np.sqrt(var) * z[t]
        var = omega + (alpha + gamma * (y[t] < 0)) * y[t] ** 2 + beta * var
    return y[burn:]


@pytest.fixture(scope="module")
def series():
    """1,500 days of a GJR-GARCH(1,1)-t(5), as log returns (fractions)."""
    y = gjr_t_series(1500, 0.05, 0.06, 0.08, 0.88, 5.0, seed=11)
    return pd.DataFrame({"A": y / 100}, index=pd.date_range("2020-01-01", periods=1500))


@pytest.fixture(scope="module")
def fitted(series):
    model = fit_fhs(series, dtype="float64")
    am = arch_model(series["A"].to_numpy() * 100, mean="Zero", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False)
    return model, am.fit(disp="off")


def test_parameters_and_next_variance_match_arch(fitted):
    model, res = fitted
    f = model.fits[0]
    assert f.omega == pytest.approx(res.params["omega"]) and f.gamma == pytest.approx(res.params["gamma[1]"])
    h1 = res.forecast(horizon=1, reindex=False).variance.iloc[-1, 0]
    assert f.sigma2_next == pytest.approx(h1, rel=1e-10)
    np.testing.assert_allclose(model.z[:, 0], res.std_resid, rtol=1e-12)


def test_multi_day_paths_match_arch_bootstrap_forecast(fitted):
    model, res = fitted
    H, n = 5, 20_000
    fc = res.forecast(horizon=H, method="bootstrap", simulations=n, reindex=False,
                      random_state=np.random.RandomState(3))
    theirs = fc.simulations.values[0].sum(axis=1)  # 5-day log return, per cent
    p = EngineParams(paths=n, seed=5, batch_paths=n, block_paths=5000, levels=(0.99,), horizons=(H,),
                     asset_sample_paths=n)
    run = run_engine(model, [1.0], np.ones((1, 1)), ("A",), p)
    ours = np.log1p(run.sample[H][:, 0]) * 100
    for q in (0.01, 0.05, 0.5, 0.95):
        a, b = np.quantile(ours, q), np.quantile(theirs, q)
        d = np.sqrt(q * (1 - q) / n)  # the quantile's standard error from the order statistics around it
        se = (np.quantile(theirs, q + d) - np.quantile(theirs, q - d)) / 2
        assert abs(a - b) < 4 * np.sqrt(2) * se, (q, a, b, se)
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3
    # the mean simulated variance path agrees too (arch's variances are per step)
    assert np.mean(theirs ** 2) == pytest.approx(np.mean(ours ** 2), rel=0.05)


def test_fast_recursion_agrees_with_the_obvious_one(fitted):
    model, _ = fitted
    z = np.random.default_rng(2).standard_t(5, size=(500, 10))
    fast = model.run(lambda h: z[:, h:h + 1], 500, (10,))[10][:, 0]
    np.testing.assert_allclose(fast, recursion_reference(model.fits[0], z, model.scale), rtol=0, atol=1e-12)


def test_date_bootstrap_keeps_cross_sectional_dependence():
    rng = np.random.default_rng(4)
    common = rng.standard_t(4, 800)
    df = pd.DataFrame({"A": 0.02 * common + 0.005 * rng.standard_normal(800),
                       "B": 0.03 * common + 0.005 * rng.standard_normal(800)},
                      index=pd.date_range("2022-01-01", periods=800))
    m = fit_fhs(df)
    X = m.simulate(np.random.default_rng(1), 20_000, (1,))[1]
    hist = stats.kendalltau(m.z[:, 0], m.z[:, 1]).statistic
    assert stats.kendalltau(X[:, 0], X[:, 1]).statistic == pytest.approx(hist, abs=0.03)
    assert hist > 0.6


def test_float32_changes_no_reported_digit(series):
    m64 = fit_fhs(series, dtype="float64")
    m32 = FHSModel(m64.assets, m64.dates, m64.z, m64.fits, m64.scale, "float32")
    p = EngineParams(paths=50_000, seed=9, batch_paths=25_000, block_paths=5000, levels=(0.95, 0.975, 0.99),
                     horizons=(1, 10))
    a = run_engine(m64, [1.0], np.ones((1, 1)), ("A",), p)
    b = run_engine(m32, [1.0], np.ones((1, 1)), ("A",), p)
    for h in (1, 10):
        for x, y in zip(a.risk(h), b.risk(h)):
            assert abs(x["var"] - y["var"]) < 5e-6 and abs(x["es"] - y["es"]) < 5e-6  # 2 decimals of a per cent
