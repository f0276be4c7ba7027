"""Monte Carlo VaR/ES of the engine against closed forms (Gaussian and Student-t factor models), the Euler
allocation, reproducibility across batch sizes and the memory guard."""
import math

import numpy as np
import pytest
from scipy import stats

from selloff.analytics.stress.engine import EngineParams, run_engine
from selloff.analytics.stress.risk import var_es
from selloff.errors import ConfigError

B = np.array([[1.0, 0.0], [0.8, 0.3], [0.5, 0.9], [0.2, 1.1]])
SF = np.array([[0.03 ** 2, 0.3 * 0.03 * 0.02], [0.3 * 0.03 * 0.02, 0.02 ** 2]])
D = np.diag([0.0, 0.01, 0.015, 0.02]) ** 2
SIGMA = B @ SF @ B.T + D
W = np.array([0.4, 0.3, 0.2, 0.1])


class FactorModel:
    """r = B f + e jointly Gaussian, or multivariate t with ``nu`` (scale matrix SIGMA): a linear portfolio is
    then Gaussian / Student-t with scale sqrt(w' SIGMA w), so VaR and ES have closed forms."""

    assets = ("BTC", "A", "B", "C")

    def __init__(self, nu=None):
        self.nu, self.chol = nu, np.linalg.cholesky(SIGMA)

    def draw(self, rng, n, days):
        g = rng.standard_normal((n, 4)) @ self.chol.T
        if self.nu:
            g *= np.sqrt(self.nu / rng.chisquare(self.nu, size=(n, 1)))
        return g[None]

    def from_draws(self, draws, horizons):
        return {h: draws[0] for h in horizons}


def params(**kw):
    base = dict(paths=200_000, seed=7, batch_paths=50_000, block_paths=10_000, levels=(0.95, 0.975, 0.99),
                horizons=(1,), asset_sample_paths=1000)
    return EngineParams(**{**base, **kw})


FW = np.array([[1.0, 0, 0, 0], [0, 0.5, 0.5, 0]])
S = math.sqrt(W @ SIGMA @ W)


@pytest.fixture(scope="module")
def gauss():
    return run_engine(FactorModel(), W, FW, ("BTC", "AB"), params())


@pytest.fixture(scope="module")
def student():
    return run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params())


@pytest.mark.parametrize("level", [0.95, 0.975, 0.99])
def test_gaussian_closed_form(gauss, level):
    r = next(x for x in gauss.risk(1) if x["level"] == level)
    z = stats.norm.ppf(level)
    var, es = S * z, S * stats.norm.pdf(z) / (1 - level)
    assert abs(r["es"] - es) < 4 * r["es_se"]
    assert r["var_lo"] - 1e-4 <= var <= r["var_hi"] + 1e-4
    assert abs(r["var"] - var) / var < 0.02


@pytest.mark.parametrize("level", [0.95, 0.975, 0.99])
def test_student_t_closed_form(student, level):
    nu = 4
    r = next(x for x in student.risk(1) if x["level"] == level)
    q = stats.t.ppf(level, nu)
    var = S * q
    es = S * stats.t.pdf(q, nu) / (1 - level) * (nu + q * q) / (nu - 1)
    assert abs(r["es"] - es) < 4 * r["es_se"]
    assert abs(r["var"] - var) / var < 0.03


def test_euler_sums_to_es_and_matches_gaussian_allocation(gauss):
    for level in (0.95, 0.975, 0.99):
        per_asset, per_factor, es = gauss.euler(1, level)
        assert abs(per_asset.sum() - es) < 1e-10
        assert abs(per_factor.sum() - es) < 1e-10
    per_asset, _, es = gauss.euler(1, 0.975)
    z = stats.norm.ppf(0.975)
    closed = W * (SIGMA @ W) / S * stats.norm.pdf(z) / (1 - 0.975)  # Tasche (1999): w_i (Sigma w)_i / sigma * ES/sigma
    np.testing.assert_allclose(per_asset, closed, rtol=0.05)


def test_batch_size_does_not_change_the_result():
    a = run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params(paths=60_000, batch_paths=10_000))
    b = run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params(paths=60_000, batch_paths=40_000))
    c = run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params(paths=60_000, batch_paths=10 ** 6))
    assert np.array_equal(a.losses[1], b.losses[1]) and np.array_equal(a.losses[1], c.losses[1])
    assert a.risk(1) == c.risk(1)
    np.testing.assert_array_equal(a.euler(1, 0.99)[0], c.euler(1, 0.99)[0])
    for x, y in zip(a.euler(1, 0.99), c.euler(1, 0.99)):
        np.testing.assert_array_equal(x, y)  # per factor too: the regression sums are added per block, in order
    d = run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params(paths=60_000, seed=8))
    assert not np.array_equal(a.losses[1], d.losses[1])


def test_worker_count_does_not_change_the_result():
    one = run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params(paths=50_000, batch_paths=20_000),
                     reverse_loss=0.05, moments=True)
    two = run_engine(FactorModel(nu=4), W, FW, ("BTC", "AB"), params(paths=50_000, batch_paths=10_000, workers=2),
                     reverse_loss=0.05, moments=True)
    assert np.array_equal(one.losses[1], two.losses[1]) and one.risk(1) == two.risk(1)
    for x, y in zip(one.euler(1, 0.975), two.euler(1, 0.975)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(one.moments[1][1], two.moments[1][1])
    assert one.reverse[1][0] == two.reverse[1][0] and np.array_equal(one.reverse[1][1], two.reverse[1][1])
    np.testing.assert_array_equal(one.sample[1], two.sample[1])


def test_var_es_on_a_hand_sample():
    losses = np.arange(1, 101, dtype=float)  # 1..100
    r = var_es(losses, 0.95)
    assert r["var"] == 95.0 and r["tail_paths"] == 5 and r["es"] == np.mean([96, 97, 98, 99, 100])


def test_too_many_paths_names_the_paths_that_fit():
    with pytest.raises(ConfigError, match=r"--paths \d+ or fewer"):
        run_engine(FactorModel(), W, FW, ("BTC", "AB"), params(paths=2 * 10 ** 9))


def test_too_big_a_batch_names_the_batch_that_fits():
    with pytest.raises(ConfigError, match=r"batch_paths = \d+"):
        run_engine(FactorModel(), W, FW, ("BTC", "AB"), params(paths=10 ** 7, batch_paths=10 ** 7, block_paths=10 ** 6,
                                                               max_memory_mb=400.0))
