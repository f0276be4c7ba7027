"""Sector measures on hand-built 3-asset frames with answers worked out by hand in the comments."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selloff.analytics.sector import (
    at_n_day_low,
    breadth,
    contributions,
    market_cap_change,
    sector_index,
    sector_returns,
)
from selloff.errors import DataError

D = pd.date_range("2025-02-01", periods=3, freq="D", tz="UTC")
M = ["A", "B", "C"]

# day 0 has no return; on day 2 B has no return (e.g. not traded)
RET = pd.DataFrame({"A": [np.nan, 0.10, -0.10], "B": [np.nan, -0.20, np.nan], "C": [np.nan, 0.05, 0.20]}, index=D)
CAPS = pd.DataFrame({"A": [100.0, 110.0, 99.0], "B": [300.0, 240.0, 240.0], "C": [600.0, 630.0, 756.0]}, index=D)


def test_cap_weighted_uses_previous_day_caps_and_renormalises():
    sr = sector_returns(RET, M, CAPS)
    assert np.isnan(sr.iloc[0])  # no previous-day caps
    # day 1: caps of day 0 (100, 300, 600): (10 - 60 + 30) / 1000
    assert sr.iloc[1] == pytest.approx(-0.02, abs=1e-15)
    # day 2: B has no return -> weights 110 and 630 of day 1 only: (-11 + 126) / 740
    assert sr.iloc[2] == pytest.approx(115.0 / 740.0, abs=1e-15)


def test_equal_weighted():
    sr = sector_returns(RET, M)
    assert sr.iloc[1] == pytest.approx((0.10 - 0.20 + 0.05) / 3, abs=1e-15)
    assert sr.iloc[2] == pytest.approx((-0.10 + 0.20) / 2, abs=1e-15)


def test_members_not_in_frame_are_ignored_and_none_present_is_an_error():
    pd.testing.assert_series_equal(sector_returns(RET, M + ["ZZZ"]), sector_returns(RET, M))
    with pytest.raises(DataError, match="none of the sector's members"):
        sector_returns(RET, ["X", "Y"])


def test_sector_index_chain_links_from_base():
    idx = sector_index(RET, M, base=100.0)
    # day 0 = base, day 1 = 100 * (1 - 0.05/3), day 2 = that * 1.05
    expected = [100.0, 100.0 * (1 - 0.05 / 3), 100.0 * (1 - 0.05 / 3) * 1.05]
    np.testing.assert_allclose(idx.to_numpy(), expected, rtol=1e-14)
    assert list(idx.index) == list(D)


def test_sector_index_without_overlap_is_an_error():
    with pytest.raises(DataError, match="no overlapping returns"):
        sector_index(RET.iloc[:1], M)


def test_market_cap_change_uses_members_at_both_ends():
    mc = pd.DataFrame(
        {
            "A": [100.0, 110.0, 120.0],
            "B": [300.0, 270.0, 330.0],
            "C": [600.0, 630.0, 660.0],
            "D": [np.nan, 50.0, 60.0],  # listed after the start: must not count as a +60 move
        },
        index=D,
    )
    res = market_cap_change(mc, ["A", "B", "C", "D", "E"], D[0] + pd.Timedelta(hours=12), D[2])
    assert res.start == D[0]  # last observation at or before the start
    assert res.end == D[2]
    assert res.cap_start_usd == 1000.0
    assert res.cap_end_usd == 1110.0
    assert res.change_pct == pytest.approx(11.0, abs=1e-12)
    assert res.members == ("A", "B", "C")
    assert res.missing == ("D", "E")


def test_market_cap_change_outside_data():
    with pytest.raises(DataError):
        market_cap_change(CAPS, M, D[0] - pd.Timedelta(days=5), D[2])


def test_breadth_hand_counts():
    b = breadth(RET, M, -0.05)
    assert np.isnan(b.iloc[0])  # nobody has a return
    assert b.iloc[1] == pytest.approx(1 / 3)  # only B fell more than 5 %
    assert b.iloc[2] == pytest.approx(1 / 2)  # A of (A, C)


def test_at_n_day_low():
    close = pd.DataFrame({"A": [10.0, 9.0, 11.0], "B": [5.0, 6.0, 4.0], "C": [3.0, 3.0, 4.0]}, index=D)
    low = at_n_day_low(close, M, 2)
    assert np.isnan(low.iloc[0])  # fewer than n observations
    assert low.iloc[1] == pytest.approx(2 / 3)  # A new low, C ties its low, B not
    assert low.iloc[2] == pytest.approx(1 / 3)  # only B


def test_contributions_hand_values():
    c = contributions(RET, CAPS, M, D[1])
    # weights 0.1, 0.3, 0.6 (day-0 caps); contributions 0.01, -0.06, 0.03, sorted ascending
    assert list(c.index) == ["B", "A", "C"]
    np.testing.assert_allclose(c.loc[["A", "B", "C"], "weight"], [0.1, 0.3, 0.6], rtol=1e-14)
    np.testing.assert_allclose(c.loc[["A", "B", "C"], "contribution"], [0.01, -0.06, 0.03], atol=1e-15)
    c2 = contributions(RET, CAPS, M, D[2])
    assert "B" not in c2.index  # no return that day
    assert c2["weight"].sum() == pytest.approx(1.0)
    with pytest.raises(DataError, match="no returns on"):
        contributions(RET, CAPS, M, pd.Timestamp("2030-01-01", tz="UTC"))


# -- properties ---------------------------------------------------------------------------------------------
prices = arrays(np.float64, st.integers(2, 40), elements=st.floats(0.01, 1e4, allow_nan=False))


@settings(max_examples=30, deadline=None)
@given(p=prices, base=st.floats(1.0, 1000.0))
def test_one_asset_index_is_its_price_rebased(p, base):
    idx = pd.date_range("2025-01-01", periods=len(p), freq="D", tz="UTC")
    close = pd.DataFrame({"X": p}, index=idx)
    ret = close.pct_change()
    for w in (None, close * 3.0):
        level = sector_index(ret, ["X"], w, base=base)  # one asset: its weight is 1 whatever the caps
        np.testing.assert_allclose(level.to_numpy(), base * p / p[0], rtol=1e-9)


returns_3 = arrays(
    np.float64, st.tuples(st.integers(2, 20), st.just(3)),
    elements=st.one_of(st.floats(-0.9, 2.0, allow_nan=False), st.just(np.nan)),
)
caps_3 = arrays(np.float64, st.tuples(st.integers(20, 20), st.just(3)), elements=st.floats(1.0, 1e9))


@settings(max_examples=30, deadline=None)
@given(r=returns_3, w=caps_3, thr=st.floats(-0.5, 0.5))
def test_breadth_in_unit_interval_and_contributions_sum_to_sector_return(r, w, thr):
    idx = pd.date_range("2025-01-01", periods=len(r), freq="D", tz="UTC")
    ret = pd.DataFrame(r, index=idx, columns=M)
    caps = pd.DataFrame(w[: len(r)], index=idx, columns=M)
    b = breadth(ret, M, thr).dropna()
    assert ((b >= 0) & (b <= 1)).all()
    sr = sector_returns(ret, M, caps)
    valid = sr.dropna().index
    for day in valid[:3]:
        c = contributions(ret, caps, M, day)
        assert c["contribution"].sum() == pytest.approx(sr.loc[day], abs=1e-12)


# -- stale caps are not carried forward ---------------------------------------------------------------------------
def test_member_that_stopped_reporting_is_missing_not_flat():
    """B stops reporting after day 1. Carried forward to day 5 it would look flat while A fell 10 %; with a 2-day
    limit it counts as missing and the change is A's alone (-10 %), by hand."""
    idx = pd.date_range("2026-01-01", periods=6, freq="D")
    mc = pd.DataFrame({"A": [100.0, 100, 100, 95, 92, 90], "B": [50.0, 50, np.nan, np.nan, np.nan, np.nan]}, index=idx)
    res = market_cap_change(mc, ["A", "B"], idx[0], idx[5], max_stale_days=2)
    assert res.members == ("A",) and res.missing == ("B",) and res.stale == ("B",)
    assert res.change_pct == pytest.approx(-10.0, abs=1e-12)
    # within the limit the last value is still carried: day 3 is 2 days after B's last value
    res3 = market_cap_change(mc, ["A", "B"], idx[0], idx[3], max_stale_days=2)
    assert res3.members == ("A", "B") and res3.stale == ()
    assert res3.change_pct == pytest.approx(100.0 * (145.0 / 150.0 - 1.0), abs=1e-12)
    # the default limit comes from the config
    from selloff.config import defaults

    assert market_cap_change(mc, ["A", "B"], idx[0], idx[5]).max_stale_days == defaults("sector")["max_stale_days"]


# -- comparison with the provider's category --------------------------------------------------------------------
def _cat_rows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ts", "market_cap_usd", "market_cap_change_24h_pct", "members"]).assign(
        provider="coingecko", category="artificial-intelligence", ts=lambda f: pd.to_datetime(f["ts"], utc=True))


def _own(change_pct: float = -16.0, missing: tuple = ()) -> "CapChange":
    from selloff.analytics.sector import CapChange

    return CapChange(pd.Timestamp("2026-02-06"), pd.Timestamp("2026-02-07"), 100.0, 100.0 + change_pct, change_pct,
                     ("TAO", "NEAR", "FET"), missing)


def test_category_change_from_two_snapshots_and_member_differences():
    from selloff.analytics.sector import compare_with_category

    cat = _cat_rows([
        ("2026-02-05T23:57:00Z", 30e9, -2.0, None),
        ("2026-02-06T00:02:00Z", 25e9, -3.0, None),  # nearest the start
        ("2026-02-07T00:04:00Z", 21e9, -15.0, "bittensor,near,virtual-protocol"),  # nearest the end
    ])
    own = _own(-12.0, missing=("IO",))
    res = compare_with_category(own, cat, {"TAO": "bittensor", "NEAR": "near", "FET": "fetch-ai", "IO": None},
                                tolerance_pp=2.0, snapshot_tolerance_hours=6)
    assert res.provider_method == "snapshots"
    assert res.provider_start == pd.Timestamp("2026-02-06T00:02:00Z")
    assert res.provider_change_pct == pytest.approx(100 * (21 / 25 - 1), abs=1e-12)  # -16 %
    assert res.diff_pp == pytest.approx(-12.0 + 16.0, abs=1e-12)
    assert res.gap_exceeds_tolerance  # 4 pp > 2 pp
    assert res.provider_members_stored
    assert res.only_ours == ("FET", "IO")
    assert res.only_provider == ("virtual-protocol",)
    assert res.ours_without_data == ("IO",)


def test_category_change_falls_back_to_the_24h_field_and_list_not_stored():
    from selloff.analytics.sector import compare_with_category

    cat = _cat_rows([("2026-02-07T01:00:00Z", 21e9, -15.5, None)])  # only an end snapshot, 1 h late
    res = compare_with_category(_own(-16.0), cat, ["TAO", "NEAR", "FET"], tolerance_pp=2.0, snapshot_tolerance_hours=6)
    assert res.provider_method == "change_24h" and res.provider_start is None
    assert res.provider_change_pct == -15.5
    assert res.diff_pp == pytest.approx(-0.5)
    assert not res.gap_exceeds_tolerance
    assert not res.provider_members_stored and res.only_ours == () and res.only_provider == ()


def test_category_without_a_snapshot_near_the_end_is_a_clear_error():
    from selloff.analytics.sector import compare_with_category

    cat = _cat_rows([("2026-02-01T00:00:00Z", 21e9, -1.0, None)])
    with pytest.raises(DataError, match="artificial-intelligence"):
        compare_with_category(_own(), cat, ["TAO"], snapshot_tolerance_hours=6)
    with pytest.raises(DataError):
        compare_with_category(_own(), cat.iloc[:0], ["TAO"])
