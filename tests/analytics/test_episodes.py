"""Episode lives, slides, intraday figures and the source splice of the grid, each against a hand computation or
the plain (pandas) version of the same rule."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.detect import DetectParams, Episode, StabiliseParams, stabilisation, stabilising
from selloff.analytics.intraday import sector_hourly_level, worst_in_window
from selloff.analytics.market import build_grid, sector_daily
from selloff.analytics.slides import slide_windows


def test_fast_stabilising_agrees_with_stabilisation():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2025-01-01", periods=120, freq="D")
    r = pd.Series(0.03 * rng.standard_normal(120), index=idx)
    r.iloc[60] = -0.2
    ep = Episode("s", idx[60], idx[60], idx[60], -20.0, idx[60], -20.0, -5.0, 1.0, 1)
    for p in (StabiliseParams(), StabiliseParams(no_new_low_days=1, vol_ratio_max=3.0, recovered_share_min=0.1)):
        for asof in range(60, 110):
            slow = stabilisation(r, ep, asof=idx[asof], params=p).verdict == "stabilising"
            assert stabilising(r.to_numpy(), 60, asof, p) == slow, (asof, p)


def test_slide_window_by_hand():
    idx = pd.date_range("2025-01-01", periods=80, freq="D")
    member = pd.DataFrame(0.0, index=idx, columns=list("ABCDE"))
    member.iloc[60:65] = -0.04  # five days of -4 % for every member: -18.5 % over the window
    sector = member.mean(axis=1)
    sigma = pd.Series(0.01, index=idx)
    w = slide_windows(sector, sigma, member, DetectParams())
    assert len(w) == 1
    row = w.iloc[0]
    assert (row["first"], row["last"], row["k"]) == (60, 64, 5)
    assert row["move_pct"] == pytest.approx(100 * (0.96**5 - 1))
    assert row["z"] == pytest.approx((0.96**5 - 1) / (0.01 * np.sqrt(5)))
    assert row["breadth"] == 1.0


def test_hourly_level_and_worst_24h_by_hand():
    ts = pd.date_range("2025-03-01 00:00", periods=72, freq="1h", tz="UTC")  # bar open times
    a = pd.Series(100.0, index=ts)
    b = pd.Series(50.0, index=ts)
    a.iloc[30:] = 80.0   # A -20 % in the bar opened at 06:00 on 2 March (closes 07:00)
    b.iloc[40:] = 45.0   # B -10 % in the bar opened at 16:00 on 2 March
    level = sector_hourly_level(pd.DataFrame({"A": a, "B": b}), None)
    assert level.index[0] == ts[0] + pd.Timedelta(hours=1)  # indexed by close time
    # equal weights: -10 % then -5 % on the sector
    assert level.iloc[-1] == pytest.approx(0.9 * 0.95)
    got = worst_in_window(level, pd.Timestamp("2025-03-02"), pd.Timestamp("2025-03-02"))
    assert got["worst_24h_pct"] == pytest.approx(100 * (0.9 * 0.95 - 1))
    assert got["intraday_low_pct"] == pytest.approx(100 * (0.9 * 0.95 - 1))
    assert got["intraday_low_ts"] == pd.Timestamp("2025-03-02 17:00", tz="UTC")


def test_grid_splices_sources_without_a_return_across_them():
    day = 86_400_000
    a_ms, b_ms = np.arange(0, 5) * day, np.arange(3, 10) * day  # source 0 days 0-4, source 1 days 3-9
    bars = {"i": np.zeros(12, "int32"), "ms": np.concatenate([a_ms, b_ms]),
            "v": np.concatenate([np.full(5, 10.0), np.full(7, 20.0)]) * np.r_[1, 1.1, 1.21, 1.331, 1.4641, 1, 1, 1, 1.5, 1.5, 1.5, 1.5],
            "rank": np.r_[np.zeros(5), np.ones(7)].astype("int16")}
    g = build_grid(["X"], {"X": "token"}, bars)
    assert g.close[:5, 0] == pytest.approx(10.0 * np.r_[1, 1.1, 1.21, 1.331, 1.4641])  # the better source wins
    sd = sector_daily(g, ["X"], -0.05)
    r = sd.ret.to_numpy()
    assert r[1] == pytest.approx(0.1) and np.isnan(r[5])  # day 5: first day of source 1, no return across sources
    assert r[6] == pytest.approx(0.5) and r[7] == pytest.approx(0.0)
