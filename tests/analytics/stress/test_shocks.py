"""Factor shocks (conditional expectation with the simulated residuals) against the Gaussian conditional law,
the extrapolation flag, shock parsing; the reverse stress test against a numerical optimiser."""
import numpy as np
import pytest
from scipy import optimize, stats

from selloff.analytics.stress.engine import EngineParams, run_engine
from selloff.analytics.stress.reverse import reverse_gaussian
from selloff.analytics.stress.shocks import parse_shock, parse_shocks, shock_map
from selloff.errors import ConfigError

MU = np.array([0.001, 0.0, -0.001])
COV = np.array([[0.0009, 0.0006, 0.0003], [0.0006, 0.0016, 0.0004], [0.0003, 0.0004, 0.0025]])


class LogNormal:
    """Log moves jointly Gaussian (MU, COV): the conditional law given some of them is known exactly."""

    assets = ("BTC", "NVDA", "TAO")

    def draw(self, rng, n, days):
        return rng.multivariate_normal(MU, COV, size=n, method="cholesky")[None]

    def from_draws(self, d, horizons):
        return {h: np.expm1(d[0]) for h in horizons}


P = EngineParams(paths=100_000, seed=3, batch_paths=50_000, block_paths=10_000, levels=(0.95, 0.99), horizons=(1,),
                 asset_sample_paths=100_000)
E = np.array([0.0, 0.0, 1.0])
FW = np.eye(3)[:2]


@pytest.fixture(scope="module")
def base():
    return run_engine(LogNormal(), E, FW, ("BTC", "NVDA"), P, moments=True)


def test_shock_gives_the_gaussian_conditional_law(base):
    mu, cov = base.moments[1]
    smap, check = shock_map(LogNormal.assets, {"BTC": -0.18, "NVDA": -0.10}, mu, cov, 4.0)
    run = run_engine(LogNormal(), E, FW, ("BTC", "NVDA"), P, shock=smap)
    x = np.log1p(run.sample[1])
    s = np.log1p([-0.18, -0.10])
    F, O = [0, 1], [2]
    cond_mu = MU[O] + COV[np.ix_(O, F)] @ np.linalg.solve(COV[np.ix_(F, F)], s - MU[F])
    cond_var = COV[2, 2] - COV[np.ix_(O, F)] @ np.linalg.solve(COV[np.ix_(F, F)], COV[np.ix_(F, O)])
    assert np.allclose(x[:, :2], s)
    assert x[:, 2].mean() == pytest.approx(cond_mu[0], abs=4 * np.sqrt(cond_var[0, 0] / P.paths) + 2e-4)
    assert x[:, 2].var() == pytest.approx(cond_var[0, 0], rel=0.03)
    z = (s - MU[F]) / np.sqrt(np.diag(COV)[F])
    np.testing.assert_allclose(check.z, z, rtol=0.02)
    assert check.extreme and "extreme extrapolation" in check.warning


def test_a_mild_shock_is_not_flagged(base):
    mu, cov = base.moments[1]
    _, check = shock_map(LogNormal.assets, {"BTC": -0.02}, mu, cov, 4.0)
    assert not check.extreme and check.warning is None
    assert check.tail_prob == pytest.approx(stats.chi2.sf(check.mahalanobis ** 2, 1))


def test_unknown_asset_in_a_shock():
    with pytest.raises(ConfigError, match="unknown asset DOGE"):
        shock_map(LogNormal.assets, {"DOGE": -0.1}, MU, COV, 4.0)


@pytest.mark.parametrize("text,expected", [("BTC=-18%", ("BTC", -0.18)), ("nvda=-10.5%", ("NVDA", -0.105)),
                                           ("TAO=-0.2", ("TAO", -0.2)), ("ETH=+5%", ("ETH", 0.05))])
def test_parse_shock(text, expected):
    a, m = parse_shock(text)
    assert a == expected[0] and m == pytest.approx(expected[1])


@pytest.mark.parametrize("text", ["BTC=-100%", "BTC=-150%", "BTC=-1", "BTC", "=-5%", "BTC=abc"])
def test_bad_shocks_are_one_line_errors(text):
    with pytest.raises(ConfigError) as e:
        parse_shock(text)
    assert "\n" not in str(e.value) and "--shock" in str(e.value)


def test_shock_given_twice():
    with pytest.raises(ConfigError, match="twice"):
        parse_shocks(["BTC=-1%", "btc=-2%"])


def test_reverse_closed_form_equals_the_constrained_optimum():
    b = np.array([0.6, 0.3])
    mu = np.array([0.001, -0.0005])
    cov = np.array([[0.0016, 0.0005], [0.0005, 0.0009]])
    X, a = 0.25, 0.0002
    f, d = reverse_gaussian(X, b, a, mu, cov)
    inv = np.linalg.inv(cov)
    res = optimize.minimize(lambda g: (g - mu) @ inv @ (g - mu), x0=np.array([-0.3, -0.1]),
                            constraints=[{"type": "eq", "fun": lambda g: a + b @ g + X}], method="SLSQP",
                            options={"ftol": 1e-14, "maxiter": 500})
    np.testing.assert_allclose(f, res.x, atol=1e-6)
    assert d == pytest.approx(np.sqrt(res.fun), rel=1e-5)
    assert a + b @ f == pytest.approx(-X)


@pytest.mark.parametrize("loss", [0.0, -0.1, 1.5])
def test_reverse_refuses_a_loss_outside_0_100(loss):
    with pytest.raises(ConfigError, match="--reverse"):
        reverse_gaussian(loss, np.array([1.0]), 0.0, np.zeros(1), np.eye(1))
