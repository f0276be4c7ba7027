"""Partial correlation against the first-order closed form (Yule 1907) and against a simulation whose
partial correlation is known to be zero."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.partial import edge_correlations, partial_corr


def closed_form(y, x, z):
    r = np.corrcoef(np.vstack([y, x, z]))
    ryx, ryz, rxz = r[0, 1], r[0, 2], r[1, 2]
    return (ryx - ryz * rxz) / np.sqrt((1 - ryz**2) * (1 - rxz**2))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_the_first_order_formula(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_t(4, 300)
    y = 0.8 * z + rng.normal(size=300) + 0.3
    x = -0.5 * z + 0.4 * y + rng.normal(size=300)
    assert partial_corr(y, x, z) == pytest.approx(closed_form(y, x, z), abs=1e-12)


def test_common_factor_only_gives_zero_partial_and_half_raw_correlation():
    # y = z + e1, x = z + e2 with unit variances: corr(y, x) = 1/2, partial corr given z = 0 (by construction)
    rng = np.random.default_rng(20260206)
    n = 20_000
    z, e1, e2 = rng.normal(size=(3, n))
    y, x = z + e1, z + e2
    se = 1 / np.sqrt(n)
    assert np.corrcoef(y, x)[0, 1] == pytest.approx(0.5, abs=4 * se)
    assert partial_corr(y, x, z) == pytest.approx(0.0, abs=4 * se)


def test_a_series_explained_by_the_control_has_no_partial_correlation():
    z = np.linspace(-1, 1, 50)
    assert np.isnan(partial_corr(2 * z + 1, np.sin(7 * z), z))


def test_edge_table_counts_rows_and_respects_min_obs():
    rng = np.random.default_rng(7)
    r = pd.DataFrame(rng.normal(size=(40, 3)), columns=["TAO", "NVDA", "BTC"])
    r.loc[:9, "NVDA"] = np.nan
    t = edge_correlations(r, {"TAO": ["NVDA", "MSFT"]}, "BTC", min_obs=20)
    assert list(t["target"]) == ["NVDA"] and int(t["n"].iloc[0]) == 30  # MSFT has no column: no edge
    d = r.dropna()
    assert t["partial_corr"].iloc[0] == pytest.approx(closed_form(d["TAO"], d["NVDA"], d["BTC"]), abs=1e-12)
    short = edge_correlations(r, {"TAO": ["NVDA"]}, "BTC", min_obs=31)
    assert np.isnan(short["corr"].iloc[0]) and np.isnan(short["partial_corr"].iloc[0]) and short["n"].iloc[0] == 30
