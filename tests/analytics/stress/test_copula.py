"""The t copula recovers known parameters; its draws have the fitted dependence and the FHS margins."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from selloff.analytics.stress.copula import fit_t_copula
from selloff.analytics.stress.fhs import fit_fhs


@pytest.fixture(scope="module")
def copula():
    rng = np.random.default_rng(8)
    R = np.array([[1.0, 0.6], [0.6, 1.0]])
    nu = 4.0
    g = rng.multivariate_normal([0, 0], R, size=1500) * np.sqrt(nu / rng.chisquare(nu, (1500, 1)))
    df = pd.DataFrame(g * 0.02, columns=["A", "B"], index=pd.date_range("2020-01-01", periods=1500))
    return fit_t_copula(fit_fhs(df, asymmetric=False))


def test_recovers_correlation_and_tail_parameter(copula):
    assert copula.corr[0, 1] == pytest.approx(0.6, abs=0.06)
    assert 2.5 <= copula.nu <= 8


def test_draws_keep_the_dependence(copula):
    X = copula.simulate(np.random.default_rng(1), 20_000, (1,))[1]
    tau = stats.kendalltau(X[:, 0], X[:, 1]).statistic
    assert tau == pytest.approx(2 / np.pi * np.arcsin(copula.corr[0, 1]), abs=0.03)
