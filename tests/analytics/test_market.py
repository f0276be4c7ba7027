"""The all-sector fast path (numpy on one day grid) against the per-sector path (pandas on a panel), and the board's
moves against hand-computed values and :func:`measures.calendar_days_change`."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics import sector as sec
from selloff.analytics.day import sector_series
from selloff.analytics.market import DailyGrid, build_grid, close_moves, sector_daily, window_moves
from selloff.analytics.measures import calendar_days_change
from selloff.analytics.panel import build_panel

DAYS = pd.date_range("2025-01-01", periods=60, freq="D", tz="UTC")


def _frames(seed: int = 3):
    """Three tokens (one with a missing day, one without any cap, one whose caps start late) and an equity."""
    rng = np.random.default_rng(seed)
    bars, caps = [], []
    for a, start in (("T1", 0), ("T2", 0), ("T3", 5)):
        px = 10 * np.exp(np.cumsum(0.03 * rng.standard_normal(len(DAYS))))
        for i, (t, p) in enumerate(zip(DAYS, px)):
            if i < start or (a == "T2" and i == 20):
                continue
            bars.append({"asset": a, "interval": "1d", "ts": t, "source": "binance", "close": p})
            if a != "T3" and (a == "T1" or i >= 30):
                caps.append({"asset": a, "ts": t + pd.Timedelta(days=1), "source": "coingecko",
                             "market_cap_usd": p * (1e6 if a == "T1" else 3e6)})
    sess = [d for d in DAYS if d.weekday() < 5]
    px = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(len(sess))))
    for d, p in zip(sess, px):
        bars.append({"asset": "EQ", "interval": "1d", "ts": d + pd.Timedelta(hours=14, minutes=30), "source": "yahoo",
                     "close": p})
    return pd.DataFrame(bars), pd.DataFrame(caps)


def _arrays(df: pd.DataFrame, value: str, order: list[str]) -> dict:
    col = {a: i for i, a in enumerate(order)}
    return {"i": df["asset"].map(col).to_numpy("int32"),
            "ms": (df["ts"].astype("int64") // 10**6).to_numpy("int64") if df["ts"].dt.unit == "ns"
            else df["ts"].dt.as_unit("ms").astype("int64").to_numpy(), "v": df[value].to_numpy(float)}


@pytest.fixture(scope="module")
def both():
    bars, caps = _frames()
    kinds = {"T1": "token", "T2": "token", "T3": "token", "EQ": "equity"}
    order = ["T1", "T2", "T3", "EQ"]
    grid = build_grid(order, kinds, _arrays(bars, "close", order), _arrays(caps, "market_cap_usd", order))
    return bars, caps, kinds, grid


@pytest.mark.parametrize("members", [["T1", "T2", "T3"], ["T2", "T3"], ["EQ"], ["T1", "EQ"], ["T3"]])
def test_sector_returns_and_breadth_agree_with_the_panel_path(both, members):
    bars, caps, kinds, grid = both
    panel = build_panel({"bars": bars[bars["asset"].isin(members)], "market_caps": caps[caps["asset"].isin(members)]},
                        kinds, ["binance", "yahoo", "coingecko"])
    ref, tok = sector_series(panel, members)
    ref_breadth = sec.breadth(panel.returns, tok, -0.02)
    fast = sector_daily(grid, members, -0.02)
    assert list(fast.members) == tok
    pd.testing.assert_index_equal(fast.ret.index, ref.index, check_names=False, check_freq=False)
    np.testing.assert_allclose(fast.ret.to_numpy(), ref.to_numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(fast.breadth.to_numpy(), ref_breadth.to_numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(fast.member_ret.to_numpy(), panel.returns[tok].to_numpy(), rtol=1e-12, equal_nan=True)


def test_equity_days_are_new_york_sessions_and_caps_label_the_day_before(both):
    _, caps, _, grid = both
    eq = grid.series("EQ")
    assert all(d.weekday() < 5 for d in eq.index)
    first_cap = caps[caps["asset"] == "T1"].iloc[0]
    assert grid.cap[grid.days.get_loc(pd.Timestamp("2025-01-01")), grid.column["T1"]] == first_cap["market_cap_usd"]


def test_two_bars_on_one_day_are_refused():
    from selloff.errors import DataError

    ms = np.array([0, 3_600_000], "int64")  # 00:00 and 01:00 UTC of one day
    with pytest.raises(DataError, match="two daily bars"):
        build_grid(["A"], {"A": "token"}, {"i": np.zeros(2, "int32"), "ms": ms, "v": np.ones(2)})


def test_window_moves_by_hand():
    idx = pd.date_range("2025-01-01", periods=10, freq="D")
    r = pd.Series([np.nan, 0.1, -0.1, 0.05, 0.0, -0.2, 0.1, 0.0, 0.0, -0.5], index=idx)
    sigma = pd.Series(0.1, index=idx)
    m = window_moves(r, sigma, idx[-1], (1, 3))
    assert m["asof"] == idx[-1]
    assert m["move_1d_pct"] == pytest.approx(-50.0)
    assert m["z_1d"] == pytest.approx(-0.5 / 0.1)
    assert m["move_3d_pct"] == pytest.approx(100 * (1.0 * 1.0 * 0.5 - 1))
    assert m["z_3d"] == pytest.approx(-0.5 / (0.1 * np.sqrt(3)))


def test_close_moves_match_calendar_days_change(both):
    bars, _, _, grid = both
    day = pd.Timestamp("2025-02-15")
    m = close_moves(grid.series("T1"), day, (1, 7, 30))
    t1 = bars[bars["asset"] == "T1"]
    for n in (1, 7, 30):
        assert m[f"move_{n}d_pct"] == pytest.approx(calendar_days_change(t1, day, n).value, rel=1e-12)


def test_place_by_hand_one_rank_duplicates_and_nan_values():
    """place() on a 3-day x 2-asset grid, checked cell by cell: the one-rank fast path and the general path."""
    from selloff.analytics.market import place
    from selloff.errors import DataError

    nan = np.nan
    out, src = place(3, 2, np.array([0, 2, 4]), None, np.array([1.0, 2.0, 3.0]), None, ["A", "B"], 0, True)
    np.testing.assert_array_equal(out, [[1.0, nan], [nan, 3.0], [2.0, nan]])
    np.testing.assert_array_equal(src, [[0, -1], [-1, 0], [0, -1]])
    # one rank other than 0: the rank grid carries it
    _, src = place(3, 2, np.array([1, 3]), np.array([2, 2], np.int16), np.array([5.0, 6.0]), None, ["A", "B"], 0, True)
    np.testing.assert_array_equal(src, [[-1, 2], [2, -1], [-1, -1]])
    # a stored NaN is placed with its rank, as the general path does
    out, src = place(3, 2, np.array([0, 1]), None, np.array([nan, 4.0]), None, ["A", "B"], 0, True)
    assert np.isnan(out[0, 0]) and out[1, 0] == 4.0 and src[0, 0] == 0 and src[1, 0] == 0 and src[2, 0] == -1
    # two values in one cell: an error when strict, the latest when times are given, else None (read the times)
    with pytest.raises(DataError, match="asset B: two daily bars for 1970-01-02"):
        place(3, 2, np.array([4, 4]), None, np.array([1.0, 2.0]), None, ["A", "B"], 0, True)
    out, _ = place(3, 2, np.array([4, 4]), None, np.array([1.0, 2.0]), np.array([9, 3]), ["A", "B"], 0, False)
    assert out[1, 1] == 1.0
    assert place(3, 2, np.array([4, 4]), None, np.array([1.0, 2.0]), None, ["A", "B"], 0, False) is None


def test_panel_restricted_keeps_only_the_assets_and_tables_asked():
    days = pd.date_range("2026-01-01", periods=3, freq="D", tz="UTC")
    bars = pd.DataFrame({"asset": ["A"] * 3 + ["B"] * 3, "interval": "1d", "ts": list(days) * 2, "source": "x",
                         "close": [1.0, 2, 3, 4, 5, 6]})
    der = pd.DataFrame({"asset": ["A", "B"], "interval": "1h", "ts": days[:2], "venue": "v", "source": "x",
                        "liq_long_usd": [1.0, 2.0]})
    p = build_panel({"bars": bars, "derivatives": der}, {"A": "token", "B": "token"}, ["x"])
    r = p.restricted(["B"], ("bars", "derivatives"))
    assert r.bars["asset"].unique().tolist() == ["B"] and r.bars["close"].tolist() == [4.0, 5.0, 6.0]
    assert r.derivatives["liq_long_usd"].tolist() == [2.0] and dict(r.kinds) == {"B": "token"}
    only_bars = p.restricted(["A", "B"], ("bars",))
    assert only_bars.derivatives.empty and len(only_bars.bars) == 6


def test_cap_carried_by_hand():
    """Each asset's last known cap on or before each day; NaN before its first; a later cap replaces it."""
    nan = np.nan
    cap = np.asfortranarray([[nan, 5.0, nan], [1.0, nan, nan], [nan, nan, nan], [2.0, 6.0, nan]])
    g = DailyGrid(pd.date_range("2025-01-01", periods=4), ("A", "B", "C"), np.ones_like(cap), cap)
    want = np.array([[nan, 5.0, nan], [1.0, 5.0, nan], [1.0, 5.0, nan], [2.0, 6.0, nan]])
    np.testing.assert_array_equal(g.cap_carried(), want)
    np.testing.assert_array_equal(g.cap_carried([2, 0]), want[:, [2, 0]])
    np.testing.assert_array_equal(cap[2], [nan, nan, nan])  # the grid's own caps are not filled in place
    out = g.cap_carried()
    out[0, 0] = 9.0  # the caller's own array
    assert np.isnan(g.cap_carried()[0, 0])
