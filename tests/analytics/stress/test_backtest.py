"""Backtest statistics against published tables and a second implementation."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from selloff.analytics.stress.backtest import (christoffersen, kupiec_pof, multinomial_levels, multinomial_test,
                                               rolling_fhs_var, traffic_light)
from selloff.errors import DataError

CRIT = stats.chi2.ppf(0.95, 1)

# Jorion (2007), Value at Risk, 3rd ed., ch. 6, the table of non-rejection regions (after Kupiec 1995): 95 % non-rejection regions of the number
# of exceptions N — (p, T): (lowest accepted, highest accepted). For p = 1 %, T = 252 the table gives "N < 7".
JORION = {(0.01, 252): (None, 6), (0.01, 510): (2, 10), (0.01, 1000): (5, 16),
          (0.025, 252): (3, 11), (0.025, 510): (7, 20), (0.025, 1000): (16, 35),
          (0.05, 252): (7, 19), (0.05, 510): (17, 35), (0.05, 1000): (38, 64)}


@pytest.mark.parametrize("key", list(JORION))
def test_kupiec_matches_jorions_non_rejection_regions(key):
    p, T = key
    lo, hi = JORION[key]
    assert kupiec_pof(hi, T, p)["lr"] < CRIT < kupiec_pof(hi + 1, T, p)["lr"]
    if lo is not None:
        assert kupiec_pof(lo, T, p)["lr"] < CRIT < kupiec_pof(lo - 1, T, p)["lr"]


# BCBS (1996), Supervisory framework for the use of backtesting, the zone table: 250 observations at 99 % — zone,
# cumulative probability (per cent) and plus factor per number of exceptions.
BASEL = {0: ("green", 8.11, 0.0), 1: ("green", 28.58, 0.0), 2: ("green", 54.32, 0.0), 3: ("green", 75.81, 0.0),
         4: ("green", 89.22, 0.0), 5: ("yellow", 95.88, 0.40), 6: ("yellow", 98.63, 0.50),
         7: ("yellow", 99.60, 0.65), 8: ("yellow", 99.89, 0.75), 9: ("yellow", 99.97, 0.85),
         10: ("red", 99.99, 1.0), 14: ("red", 100.0, 1.0)}


@pytest.mark.parametrize("x", list(BASEL))
def test_traffic_light_matches_the_basel_table(x):
    zone, cum, plus = BASEL[x]
    r = traffic_light(x, 250, 0.99)
    assert r["zone"] == zone and round(r["cumulative_prob"] * 100, 2) == cum and r["plus_factor"] == plus


def test_christoffersen_equals_the_g_test_of_the_transition_table():
    rng = np.random.default_rng(1)
    hits = (rng.random(750) < 0.05).astype(int)
    hits[100:106] = 1  # a cluster
    c = christoffersen(hits)
    table = np.array([[c["n00"], c["n01"]], [c["n10"], c["n11"]]])
    g = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert c["lr"] == pytest.approx(g.statistic, rel=1e-10)
    assert c["n00"] + c["n01"] + c["n10"] + c["n11"] == 749


def test_christoffersen_by_hand():
    hits = np.array([0, 0, 1, 1, 0, 0, 0, 1, 0, 0])  # n00=4, n01=2, n10=2, n11=1
    c = christoffersen(hits)
    assert (c["n00"], c["n01"], c["n10"], c["n11"]) == (4, 2, 2, 1)
    pi0, pi1, pi = 2 / 6, 1 / 3, 3 / 9
    ll1 = 4 * np.log(1 - pi0) + 2 * np.log(pi0) + 2 * np.log(1 - pi1) + np.log(pi1)
    ll0 = 6 * np.log(1 - pi) + 3 * np.log(pi)
    assert c["lr"] == pytest.approx(-2 * (ll0 - ll1), abs=1e-12)


def test_multinomial_levels_and_pearson_statistic_equal_scipy():
    lev = multinomial_levels(0.975, 4)
    np.testing.assert_allclose(lev, [0.975, 0.98125, 0.9875, 0.99375])  # Kratz, Lok & McNeil (2018), N = 4
    rng = np.random.default_rng(2)
    loss = rng.standard_normal(2000)
    var = np.tile(stats.norm.ppf(lev), (2000, 1)) * 0.9  # a model that understates the tail
    r = multinomial_test(loss, var, lev)
    theta = np.diff(np.concatenate([[0], lev, [1]]))
    s = stats.chisquare(r["observed"], np.array(theta) * 2000)
    assert r["statistic"] == pytest.approx(s.statistic) and r["p_value"] == pytest.approx(s.pvalue)
    assert r["p_value"] < 0.05


def test_multinomial_size_under_a_correct_model():
    lev = multinomial_levels(0.975, 4)
    rng = np.random.default_rng(3)
    rejections = 0
    for _ in range(200):
        loss = rng.standard_normal(500)
        rejections += multinomial_test(loss, np.tile(stats.norm.ppf(lev), (500, 1)), lev)["p_value"] < 0.05
    assert 0.01 < rejections / 200 < 0.12


def test_rolling_fhs_var_needs_enough_history():
    r = pd.Series(np.random.default_rng(0).standard_normal(100) * 0.01, index=pd.date_range("2024-01-01", periods=100))
    with pytest.raises(DataError, match="backtest_window"):
        rolling_fhs_var(r, np.array([0.99]), 120, 20)


def test_rolling_fhs_var_covers_at_the_nominal_rate():
    from tests.analytics.stress.test_fhs import gjr_t_series

    y = gjr_t_series(900, 0.05, 0.06, 0.08, 0.88, 5.0, seed=21)
    r = pd.Series(np.expm1(y / 100), index=pd.date_range("2021-01-01", periods=900))
    var = rolling_fhs_var(r, np.array([0.95, 0.99]), 400, 50)
    loss = -r.loc[var.index].to_numpy()
    assert kupiec_pof(int((loss > var[0.95].to_numpy()).sum()), len(loss), 0.05)["p_value"] > 0.01
    assert (var[0.99] > var[0.95]).all()
