"""Dependency-exposure tests: a hand-built frame with closed-form corr/beta, numpy (corrcoef, polyfit) as the
second method, scipy's Welch test on the per-token values, and a simulation in which only dependent tokens
load on their suppliers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selloff.analytics.dependency import dependency_exposure
from selloff.errors import DataError


def test_hand_built_closed_form():
    nvda = np.array([0.01, -0.02, 0.03, -0.01, 0.02])
    amd = np.array([0.03, 0.00, -0.01, 0.01, 0.02])
    df = pd.DataFrame({"NVDA": nvda, "AMD": amd,
                       "TAO": 2.0 * nvda + 0.001,          # exactly 2 x NVDA: beta 2, corr 1
                       "ICP": -nvda})                      # exactly -1 x the pooled basket (= NVDA)
    out = dependency_exposure(df, {"TAO": ["NVDA"]}, ["TAO", "ICP"], min_obs=3).per_token
    assert out.loc["TAO", "beta"] == pytest.approx(2.0) and out.loc["TAO", "corr"] == pytest.approx(1.0)
    assert out.loc["ICP", "beta"] == pytest.approx(-1.0) and out.loc["ICP", "corr"] == pytest.approx(-1.0)
    assert out.loc["ICP", "group"] == "no_dependency" and out.loc["ICP", "depends_on"] == ""
    assert out.loc["ICP", "basket"] == "NVDA"  # comparison group: basket of all depended-on assets
    assert out.loc["TAO", "n"] == 5


def test_against_numpy_and_scipy_on_simulation():
    rng = np.random.default_rng(9)
    n = 250
    eq = {e: rng.normal(0, 0.02, n) for e in ["NVDA", "AMD", "MSFT", "GOOGL"]}
    df = pd.DataFrame(eq, index=pd.date_range("2025-01-01", periods=n))
    deps = {"RENDER": ["NVDA", "AMD"], "AKT": ["NVDA"], "TAO": ["NVDA", "MSFT"], "FET": ["GOOGL", "MSFT"]}
    for t, d in deps.items():
        df[t] = 1.5 * df[d].mean(axis=1) + rng.normal(0, 0.02, n)
    for t in ["ICP", "AR", "GRT"]:
        df[t] = rng.normal(0, 0.03, n)
    tokens = [*deps, "ICP", "AR", "GRT"]
    res = dependency_exposure(df, deps, tokens, window=(df.index[10], df.index[-1]))
    per = res.per_token
    w = df.iloc[10:]
    b = w[["NVDA", "AMD"]].mean(axis=1)
    assert per.loc["RENDER", "corr"] == pytest.approx(np.corrcoef(w["RENDER"], b)[0, 1], rel=1e-10)
    assert per.loc["RENDER", "beta"] == pytest.approx(np.polyfit(b, w["RENDER"], 1)[0], rel=1e-10)
    pooled = w[["AMD", "GOOGL", "MSFT", "NVDA"]].mean(axis=1)
    assert per.loc["GRT", "beta"] == pytest.approx(np.polyfit(pooled, w["GRT"], 1)[0], rel=1e-10)
    for t in deps:
        assert per.loc[t, "beta"] == pytest.approx(1.5, abs=0.3)
    assert res.groups.loc["dependent", "n_tokens"] == 4 and res.groups.loc["no_dependency", "n_tokens"] == 3
    from scipy import stats
    ref = stats.ttest_ind(per.loc[list(deps), "corr"], per.loc[["ICP", "AR", "GRT"], "corr"], equal_var=False)
    assert res.comparison["welch_t_corr"] == pytest.approx(ref.statistic)
    assert res.comparison["diff_mean_corr"] > 0.3 and res.comparison["p_corr"] < 0.01
    assert res.window == (df.index[10], df.index[-1])


def test_errors_and_min_obs():
    df = pd.DataFrame({"NVDA": [0.01, 0.02, -0.01], "TAO": [0.0, 0.01, 0.02]})
    with pytest.raises(DataError, match="AMD"):
        dependency_exposure(df, {"TAO": ["AMD"]}, ["TAO"])
    with pytest.raises(DataError, match="none of the tokens"):
        dependency_exposure(df, {}, ["TAO"])
    out = dependency_exposure(df, {"TAO": ["NVDA"]}, ["TAO"], min_obs=20).per_token
    assert np.isnan(out.loc["TAO", "corr"]) and out.loc["TAO", "n"] == 3


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (15, 3), elements=st.floats(-0.3, 0.3, allow_nan=False)))
def test_corr_in_bounds(a):
    df = pd.DataFrame(a, columns=["NVDA", "TAO", "ICP"])
    per = dependency_exposure(df, {"TAO": ["NVDA"]}, ["TAO", "ICP"], min_obs=3).per_token
    c = per["corr"].dropna()
    assert ((c >= -1) & (c <= 1)).all()
