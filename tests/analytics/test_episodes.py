"""Episode lives, slides, intraday figures and the source splice of the grid, each against a hand computation or
the plain (pandas) version of the same rule."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from selloff.analytics.detect import DetectParams, Episode, StabiliseParams, stabilisation, stabilising
from selloff.analytics.intraday import sector_hourly_level, worst_in_window
from selloff.analytics.market import build_grid, sector_daily
from selloff.analytics.slides import slide_windows, window_breadth


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


def test_window_breadth_by_hand_and_in_blocks():
    """Members with a return on each day of the window, and of them the share whose compound return is below the
    threshold; a member with a gap (or a -100 % day, whose log is -inf) does not count. Blocks of one window each
    (``cells=1``) give the same as one block."""
    m = np.array([[-0.10, -0.02, 0.05],
                  [-0.05, np.nan, 0.01],
                  [0.02, -0.30, -1.00],
                  [-0.01, -0.01, 0.00]])
    # window rows 0-1: members 0 and 2 full; 0.9 * 0.95 - 1 = -14.5 % < -10 %, 1.05 * 1.01 - 1 > 0 -> 1 / 2
    # rows 1-2: member 0 only (1 has a gap, 2 a -100 % day): 0.95 * 1.02 - 1 = -3.1 % -> 0 / 1
    # rows 2-3: members 0 and 1 (2's -100 % day): 1.02 * 0.99 - 1 > -10 %, 0.7 * 0.99 - 1 = -30.7 % -> 1 / 2
    want = [0.5, 0.0, 0.5]
    assert window_breadth(m, np.array([0, 1, 2]), 2, -0.10).tolist() == want
    assert window_breadth(m, np.array([0, 1, 2]), 2, -0.10, cells=1).tolist() == want
    gaps = np.full((3, 2), np.nan)
    assert np.isnan(window_breadth(gaps, np.array([0, 1]), 2, -0.10)).all()  # no member with k returns: NaN


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


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_slide_windows_equal_a_brute_force_over_every_day_and_length(seed):
    """Each day's best window, found by testing every (day, length) with plain Python arithmetic, before merging:
    the vectorised search (which computes the members' breadth only where the index move qualifies) keeps the
    same windows."""
    rng = np.random.default_rng(seed)
    n, m = 60, 5
    common = rng.normal(-0.01, 0.04, n)
    member = pd.DataFrame(common[:, None] + rng.normal(0, 0.03, (n, m)), index=pd.date_range("2025-01-01", periods=n))
    member = member.mask(rng.random((n, m)) < 0.05)  # gaps: a member without a return on some days
    sector = member.mean(axis=1)
    sigma = pd.Series(0.02 + 0.01 * rng.random(n), index=member.index)
    p = DetectParams(slide_z=1.0, slide_move_pct=-5.0, slide_breadth=0.5)
    lv = np.concatenate([[1.0], np.cumprod(1.0 + sector.fillna(0.0).to_numpy())])
    best = {}
    for t in range(n):
        for k in range(p.slide_min_days, min(p.slide_max_days, t + 1) + 1):
            f = t - k + 1
            move = lv[t + 1] / lv[f] - 1.0
            z = move / (sigma.iloc[f] * math.sqrt(k))
            win = member.iloc[f:t + 1]
            full = [c for c in win if win[c].notna().all()]
            if not full:
                continue
            br = sum(float(np.prod(1.0 + win[c])) - 1.0 < p.slide_breadth_drop_pct / 100 for c in full) / len(full)
            if move <= p.slide_move_pct / 100 and z <= -p.slide_z and br >= p.slide_breadth and z < best.get(t, (math.inf,))[0]:
                best[t] = (z, k, br)
    merged, span_end = [], -2  # overlapping windows are one slide, shown by its lowest-z window
    for t in sorted(best):
        z, k, br = best[t]
        if merged and t - k + 1 <= span_end + 1:
            if z < merged[-1][3]:
                merged[-1] = [t - k + 1, t, k, z]
        else:
            merged.append([t - k + 1, t, k, z])
        span_end = t
    w = slide_windows(sector, sigma, member, p)
    assert [(int(r.first), int(r.last), int(r.k)) for r in w.itertuples()] == [(a, b, k) for a, b, k, _ in merged]
    assert w["z"].tolist() == pytest.approx([z for *_, z in merged], rel=1e-9)
