"""Sell-off detection on a hand-built 5-member sector with crashes injected on known days.

Member returns = a common term + member noise that sums to zero across members each day, so the equal-weighted
sector return is exactly the common term and every expected figure follows by hand.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.detect import DetectParams, StabiliseParams, detect_episodes, stabilisation

MEMBERS = ["A", "B", "C", "D", "E"]
N = 200
CRASH = 150
IDX = pd.date_range("2025-01-01", periods=N, freq="D", tz="UTC")
RECOVERY = 0.005  # sector return on every day after the crash(es)


def build(crash_days: dict[int, list[float]], seed: int = 0) -> tuple[pd.Series, pd.DataFrame]:
    """Calm history (sector sd 0.5 %, members +-1 % around it), the given member returns on crash days and a
    steady +0.5 % sector drift afterwards."""
    rng = np.random.default_rng(seed)
    common = 0.005 * rng.standard_normal(N)
    common[max(crash_days) + 1 :] = RECOVERY
    noise = 0.01 * rng.standard_normal((N, len(MEMBERS)))
    noise -= noise.mean(axis=1, keepdims=True)
    member = common[:, None] + noise
    for day, rets in crash_days.items():
        member[day] = rets
    member_ret = pd.DataFrame(member, index=IDX, columns=MEMBERS)
    sector_ret = member_ret.mean(axis=1)  # equal weights, computed here, not by the code under test
    return sector_ret, member_ret


# four members down 18.75 %, one flat: sector -15 %, breadth 4/5
CRASH_15 = [-0.1875, -0.1875, -0.1875, -0.1875, 0.0]


def test_single_crash_is_one_episode():
    sr, mr = build({CRASH: CRASH_15})
    assert sr.iloc[CRASH] == pytest.approx(-0.15)
    eps = detect_episodes(sr, mr, MEMBERS, sector="test", params=DetectParams())
    assert len(eps) == 1
    e = eps[0]
    assert e.sector == "test"
    assert e.start == e.end == e.worst_day == e.trough == IDX[CRASH]
    assert e.days == 1
    assert e.depth_pct == pytest.approx(-15.0, abs=1e-9)  # trough is the crash close; it only recovers after
    assert e.worst_day_pct == pytest.approx(-15.0, abs=1e-9)
    assert e.max_breadth == pytest.approx(0.8)
    assert e.breadth_path == pytest.approx((0.8,))
    assert e.worst_day_z < -2.5
    assert e.as_dict()["start"] == IDX[CRASH].date().isoformat()


def test_adjacent_crash_days_merge():
    down_10 = [-0.125] * 4 + [0.0]  # sector -10 %
    down_12 = [-0.15] * 4 + [0.0]  # sector -12 %
    sr, mr = build({CRASH: down_10, CRASH + 1: down_12})
    eps = detect_episodes(sr, mr, MEMBERS, params=DetectParams())
    assert len(eps) == 1
    e = eps[0]
    assert (e.start, e.end, e.worst_day, e.trough) == (IDX[CRASH], IDX[CRASH + 1], IDX[CRASH + 1], IDX[CRASH + 1])
    assert e.days == 2
    assert e.worst_day_pct == pytest.approx(-12.0)
    assert e.depth_pct == pytest.approx(100 * (0.90 * 0.88 - 1), abs=1e-9)  # -20.8 %


@pytest.mark.parametrize("gap, expected", [(2, 1), (3, 2)])
def test_merge_gap(gap, expected):
    """Crash days two apart (one quiet day between) merge with merge_gap_days = 1; three apart do not."""
    sr, mr = build({CRASH: CRASH_15, CRASH + gap: CRASH_15})
    eps = detect_episodes(sr, mr, MEMBERS, params=DetectParams(merge_gap_days=1))
    assert len(eps) == expected


def test_low_breadth_crash_is_not_flagged():
    one_member = [-0.75, 0.0, 0.0, 0.0, 0.0]  # sector -15 %, but breadth 1/5 < 0.6
    sr, mr = build({CRASH: one_member})
    assert sr.iloc[CRASH] == pytest.approx(-0.15)
    assert detect_episodes(sr, mr, MEMBERS, params=DetectParams()) == []


def test_calm_history_alone_has_no_episode():
    sr, mr = build({CRASH: [0.0] * 5})
    assert detect_episodes(sr, mr, MEMBERS, params=DetectParams()) == []


def test_stabilisation_verdicts():
    sr, mr = build({CRASH: CRASH_15})
    e = detect_episodes(sr, mr, MEMBERS, params=DetectParams())[0]
    p = StabiliseParams()  # 3 days without a new low, vol ratio <= 1.5 over 7 days, 33 % recovered

    at_trough = stabilisation(sr, e, asof=IDX[CRASH], params=p)
    assert at_trough.days_since_trough == 0
    assert not at_trough.no_new_low
    assert not at_trough.vol_normal  # fewer than 3 returns after the trough
    assert at_trough.recovered_share == pytest.approx(0.0)
    assert at_trough.verdict == "not yet stabilising"

    later = stabilisation(sr, e, asof=IDX[CRASH + 10], params=p)
    assert later.trough == IDX[CRASH]
    assert later.days_since_trough == 10
    assert later.no_new_low
    assert later.vol_ratio == pytest.approx(0.0, abs=1e-12)  # constant +0.5 % a day since the trough
    assert later.vol_normal
    # level before = 1, trough = 0.85, now 0.85 * 1.005^10: recovered (0.85 * 1.005^10 - 0.85) / 0.15
    assert later.recovered_share == pytest.approx((0.85 * 1.005**10 - 0.85) / 0.15, rel=1e-9)
    assert not later.recovered
    assert later.verdict == "stabilising"

    one_signal = stabilisation(sr, e, asof=IDX[CRASH + 2], params=p)
    assert (one_signal.no_new_low, one_signal.vol_normal, one_signal.recovered) == (False, False, False)
    assert one_signal.verdict == "not yet stabilising"
    # with "no new low for 1 day" the same day shows exactly one signal
    tentative = stabilisation(sr, e, asof=IDX[CRASH + 2], params=StabiliseParams(no_new_low_days=1))
    assert (tentative.no_new_low, tentative.vol_normal, tentative.recovered) == (True, False, False)
    assert np.isnan(tentative.vol_ratio)  # only 2 returns after the trough
    assert tentative.verdict == "tentative"


def test_garch_scaling_finds_the_crash_and_its_z_uses_the_days_before():
    """vol_method="garch": sigma on the crash day is the GARCH forecast from the calm days before (sd 0.5 %),
    so the z-score is the move over that sigma, computed here from the sigma path."""
    from selloff.analytics.detect import daily_signals
    from selloff.analytics.volatility import garch_sigma_path

    sr, mr = build({CRASH: CRASH_15})
    p = DetectParams(vol_method="garch", garch_window_days=120, garch_refit_days=30, garch_min_obs=100, garch_dist="normal")
    eps = detect_episodes(sr, mr, MEMBERS, sector="test", params=p)
    assert [e.start for e in eps] == [IDX[CRASH]]
    sigma = garch_sigma_path(sr.iloc[: CRASH + 1], window=120, refit_every=30, min_obs=100, dist="normal")  # nothing after
    assert eps[0].worst_day_z == pytest.approx(-0.15 / sigma.iloc[CRASH], rel=1e-9)
    assert 0.003 < sigma.iloc[CRASH] < 0.008  # near the calm history's 0.5 %
    sig = daily_signals(sr, mr, MEMBERS, p)
    assert sig["z"].iloc[:100].isna().all()  # fewer than garch_min_obs returns before: no z-score


def test_unknown_vol_method_is_a_config_error():
    from selloff.errors import ConfigError

    with pytest.raises(ConfigError, match="vol_method"):
        DetectParams(vol_method="parkinson")
    assert DetectParams.from_config().vol_method == "ewma"
