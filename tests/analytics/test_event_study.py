"""Event-study tests. References: statsmodels OLS (second implementation of the market model, its
``cov_params`` gives the prediction-error term of MacKinlay 1997 eq. 9), the BMP (1991) statistic computed by hand
for three firms, and a simulation with a known injected abnormal return."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from selloff.analytics.calendar import nyse_sessions
from selloff.analytics.event_study import bmp_test, event_day_zero, event_study
from selloff.errors import DataError

TOKENS = ["TAO", "NEAR", "ICP", "RENDER", "FET", "AKT", "AR", "GRT"]


def _sim(n=200, shock=0.0, day0=150, seed=11):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2025-06-01", periods=n, freq="D")
    m = rng.normal(0, 0.03, n)
    df = pd.DataFrame({"BTC": m}, index=idx)
    for i, t in enumerate(TOKENS):
        df[t] = 0.0005 + (1.0 + 0.1 * i) * m + rng.normal(0, 0.02, n)
        df.iloc[day0, df.columns.get_loc(t)] += shock
    return df


def test_car_and_t_match_statsmodels_prediction_error():
    df = _sim()
    res = event_study(df, ["TAO"], "BTC", {"e": df.index[150]}, est_window=(-120, -6), min_est_obs=30)
    est = df.iloc[30:145]
    ols = sm.OLS(est["TAO"].to_numpy(), sm.add_constant(est["BTC"].to_numpy())).fit()
    for name, (t1, t2) in {"car_m1_p1": (-1, 1), "car_0_p5": (0, 5)}.items():
        ev = df.iloc[150 + t1: 150 + t2 + 1]
        Xs = sm.add_constant(ev["BTC"].to_numpy(), has_constant="add")
        ar = ev["TAO"].to_numpy() - Xs @ ols.params
        g = Xs.sum(axis=0)
        var = ols.scale * len(ev) + g @ ols.cov_params() @ g
        row = res.car[(res.car["window"] == name)].iloc[0]
        assert row["car"] == pytest.approx(ar.sum(), rel=1e-10)
        assert row["se"] == pytest.approx(np.sqrt(var), rel=1e-10)
        assert row["t"] == pytest.approx(ar.sum() / np.sqrt(var), rel=1e-10)
    p = res.params.iloc[0]
    assert (p["alpha"], p["beta"]) == pytest.approx(tuple(ols.params), rel=1e-10)
    assert p["n_est"] == 115 and p["day0"] == df.index[150]
    # single-day SAR = AR / (sigma * sqrt(1 + x'(X'X)^-1 x)) = AR / se_obs of statsmodels' prediction
    pred = ols.get_prediction(np.array([[1.0, df["BTC"].iloc[150]]]))
    ar0 = df["TAO"].iloc[150] - pred.predicted_mean[0]
    sar0 = res.abnormal.query("rel_day == 0")["sar"].iloc[0]
    assert sar0 == pytest.approx(ar0 / pred.se_obs[0], rel=1e-10)


def test_bmp_by_hand_three_firms():
    z, p = bmp_test([-2.0, -3.0, -1.0])
    assert z == pytest.approx(-2.0 * np.sqrt(3) / 1.0)
    from scipy import stats
    assert p == pytest.approx(2 * stats.t.sf(2 * np.sqrt(3), 2))
    # and through event_study: z from the reported SCARs of three assets, by hand
    df = _sim(shock=-0.05)
    res = event_study(df, TOKENS[:3], "BTC", {"e": df.index[150]}, est_window=(-120, -6))
    w = res.car[res.car["window"] == "car_m1_p1"]
    s = w["scar"].to_numpy()
    hand = s.mean() / (np.sqrt(((s - s.mean()) ** 2).sum() / 2) / np.sqrt(3))
    got = res.tests.query("group == 'ALL' and window == 'car_m1_p1'")["bmp_z"].iloc[0]
    assert got == pytest.approx(hand, rel=1e-12)


def test_recovers_injected_abnormal_return():
    df = _sim(shock=-0.08)
    res = event_study(df, TOKENS, "BTC", {"capex": df.index[150]}, est_window=(-120, -6))
    allw = res.tests.set_index(["group", "window"])
    row = allw.loc[("ALL", "car_m1_p1")]
    assert row["n"] == 8
    assert row["mean_car"] == pytest.approx(-0.08, abs=0.03)
    assert row["t_cs"] < -3 and row["bmp_z"] < -3 and row["t_bw"] < -3
    null = event_study(_sim(shock=0.0, seed=5), TOKENS, "BTC", {"e": df.index[150]}, est_window=(-120, -6))
    assert null.tests.query("window == 'car_m1_p1'")["bmp_p"].iloc[-1] > 0.01


def test_several_events_give_per_event_and_pooled_rows():
    df = _sim(n=260)
    res = event_study(df, TOKENS[:4], "BTC", {"a": df.index[150], "b": df.index[220]}, est_window=(-100, -6))
    assert set(res.tests["group"]) == {"a", "b", "ALL"}
    assert res.tests.query("group == 'ALL'")["n"].tolist() == [8, 8]
    assert len(res.car) == 2 * 4 * 2


def test_day_zero_uses_period_end_times():
    sess = nyse_sessions("2026-02-02", "2026-02-09")
    idx = sess.index
    ann = pd.Timestamp("2026-02-04T21:05Z")  # after the NYSE close (21:00 UTC in February)
    assert idx[event_day_zero(idx, ann, sess["close_ts"])] == pd.Timestamp("2026-02-05")
    assert idx[event_day_zero(idx, pd.Timestamp("2026-02-04T21:00Z"), sess["close_ts"])] == pd.Timestamp("2026-02-05")
    assert idx[event_day_zero(idx, pd.Timestamp("2026-02-04T20:59Z"), sess["close_ts"])] == pd.Timestamp("2026-02-04")
    days = pd.date_range("2026-02-01", "2026-02-08", freq="D")
    ends = pd.Series((days + pd.Timedelta("1D")).tz_localize("UTC"), index=days)
    assert days[event_day_zero(days, ann, ends)] == pd.Timestamp("2026-02-04")
    # Friday-evening announcement: first session is Monday
    assert idx[event_day_zero(idx, pd.Timestamp("2026-02-06T22:00Z"), sess["close_ts"])] == pd.Timestamp("2026-02-09")


def test_errors():
    df = _sim()
    with pytest.raises(DataError, match="rows exist"):
        event_study(df, ["TAO"], "BTC", {"e": df.index[20]}, est_window=(-120, -6))
    with pytest.raises(DataError, match="inside the estimation window"):
        event_study(df, ["TAO"], "BTC", {"e": df.index[150]}, est_window=(-120, 0))
    with pytest.raises(DataError, match="after the last"):
        event_day_zero(df.index, "2030-01-01")
