"""The leverage cascade: liquidation prices against Binance's published rule, the fixed point on a hand-worked
book, monotonicity in the shock, the fast path against the obvious one, calibration recovering a known k, bad
input."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings, strategies as st

from selloff.analytics.cascade import (Book, BookParams, CalibParams, calibrate, day_books, estimate_book, estimate_books,
                                       expected_liquidations, fixed_point, liquidation_price, run_cascade)
from selloff.errors import ConfigError, SelloffError


def _book(side, lev, entry, qty, mmr=0.0, sigma=0.05, adv=10_000.0, price=100.0):
    side, lev, entry, qty = (np.asarray(x, float) for x in (side, lev, entry, qty))
    return Book("X", pd.Timestamp("2026-02-05"), price, float(qty.sum() * price), sigma, adv, side.astype(np.int8), lev,
                entry, qty, liquidation_price(entry, lev, side.astype(int), mmr), mmr)


# -- liquidation price --------------------------------------------------------------------------------------------
def binance_isolated_lp(wb, side, pos, ep, mmr, cum=0.0):
    """Binance USDⓈ-M FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"
    (binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93): LP = (WB + TMM1 − UPNL1 + cumB − Side·Pos·EP)
    / (Pos·MMR − Side·Pos), with TMM1 = UPNL1 = 0 in isolated mode."""
    return (wb + cum - side * pos * ep) / (pos * mmr - side * pos)


@pytest.mark.parametrize("lev", [2.0, 10.0, 25.0, 50.0, 100.0, 125.0])
@pytest.mark.parametrize("side", [1, -1])
def test_liquidation_price_is_binance_isolated_rule_with_initial_margin_as_wallet(lev, side):
    # BTCUSDT first bracket: maintenance margin rate 0.4 %, maintenance amount 0 (Binance's bracket table)
    ep, pos, mmr = 43_000.0, 0.25, 0.004
    ours = float(liquidation_price(ep, lev, side, mmr))
    assert ours == pytest.approx(binance_isolated_lp(pos * ep / lev, side, pos, ep, mmr), rel=1e-12)


def test_liquidation_distances_at_mmr_0_4_pct():
    """anchors.md §1.2: with MMR 0.4 % a 10× long liquidates at −9.6 %, 25× at −3.6 %, 50× at −1.6 %, 100× at
    −0.6 % (e.g. 10×: 0.9 / 0.996 − 1 = −9.64 %)."""
    d = 100 * (liquidation_price(100.0, np.array([10.0, 25.0, 50.0, 100.0]), 1, 0.004) / 100.0 - 1)
    assert np.round(d, 1).tolist() == [-9.6, -3.6, -1.6, -0.6]
    assert float(liquidation_price(100.0, 10.0, -1, 0.004)) == pytest.approx(110 / 1.004)


# -- the fixed point ----------------------------------------------------------------------------------------------
def test_two_bucket_cascade_fixed_point_by_hand():
    """P0 = 100, σ = 0.05, V = 10,000 USD, k = 1, MMR = 0. Two long cohorts of 1,000 coins at entry 100:
    10× (LP = 100·(1 − 1/10) = 90, forced value 1,000·90 = 90,000 USD) and 5× (LP = 80, 80,000 USD); one 10×
    short (LP = 110), untouched by a fall.

    Shock −10 %: P1 = 90 crosses the 10× (90 ≥ 90): Q = 90,000, so P = 90·exp(−0.05·√(90,000/10,000)) =
    90·e^(−0.15) = 77.4637 < 80 crosses the 5×: Q = 170,000, P = 90·exp(−0.05·√17) = 90·e^(−0.2061553) = 73.2336;
    nothing is left to cross, so P* = 73.2336, liquidated 170,000 USD of longs, 0 of shorts; extra move
    (73.2336 − 90)/100 = −16.766 pp."""
    b = _book([1, 1, -1], [10, 5, 10], [100, 100, 100], [1000, 1000, 1000])
    r = run_cascade(b, -0.10, k=1.0)
    assert [s.price for s in r.path] == pytest.approx([90.0, 77.46371787825521, 73.23360417464279], rel=1e-12)
    assert [s.new_long_usd for s in r.path] == pytest.approx([90_000.0, 80_000.0, 0.0])
    assert r.long_usd == pytest.approx(170_000.0) and r.short_usd == 0.0
    assert r.price_final == pytest.approx(73.23360417464279, rel=1e-12)
    assert r.extra_move_pct == pytest.approx(-16.766395825357, rel=1e-9)
    # without impact the 5× survives: only the shock's own liquidations
    r0 = run_cascade(b, -0.10, k=0.0)
    assert r0.long_usd == pytest.approx(90_000.0) and r0.price_final == 90.0 and len(r0.path) == 2


def test_up_shock_liquidates_shorts_only():
    b = _book([1, -1], [10, 10], [100, 100], [1000, 1000])
    r = run_cascade(b, 0.12, k=0.0)
    assert r.long_usd == 0.0 and r.short_usd == pytest.approx(1000 * 110.0)


def _random_book(seed):
    rng = np.random.default_rng(seed)
    n = 40
    side = rng.choice([1, -1], n)
    lev = rng.choice([2.0, 5.0, 10.0, 20.0, 50.0, 100.0], n)
    entry = 100 * np.exp(rng.normal(0, 0.08, n))
    return _book(side, lev, entry, rng.uniform(10, 1000, n), mmr=0.005, sigma=0.04, adv=2e5)


@settings(max_examples=60, deadline=None)
@given(s1=st.floats(-0.9, 0.0), s2=st.floats(-0.9, 0.0), k=st.floats(0.0, 5.0), seed=st.integers(0, 20))
@example(s1=-0.5, s2=-0.75, k=1.0, seed=8)  # same cohorts crossed in another order: once an ulp apart
def test_a_bigger_shock_never_liquidates_less(s1, s2, k, seed):
    b = _random_book(seed)
    lo, hi = min(s1, s2), max(s1, s2)
    assert run_cascade(b, lo, k).long_usd >= run_cascade(b, hi, k).long_usd
    assert run_cascade(b, lo, k).price_final <= run_cascade(b, hi, k).price_final


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_fixed_point_agrees_with_the_iteration(seed):
    b = _random_book(seed)
    shocks = np.linspace(-0.5, 0.5, 41)
    ex = expected_liquidations(b, shocks, k=1.7, scale=0.6)
    for i, s in enumerate(shocks):
        r = run_cascade(b, s, 1.7, 0.6)
        assert ex.long_usd[i] == pytest.approx(r.long_usd, rel=1e-8, abs=1e-8)
        assert ex.short_usd[i] == pytest.approx(r.short_usd, rel=1e-8, abs=1e-8)
        assert ex.final_move[i] == pytest.approx(r.price_final / r.price0 - 1, rel=1e-8, abs=1e-12)


# -- the book -----------------------------------------------------------------------------------------------------
def test_book_flow_reconstruction_by_hand():
    """One bucket (10×, all OI levered), no churn, MMR 0. Day 0: close 100, OI 100,000 USD = 1,000 coins at 100.
    Day 1: close 110, low 105, OI 165,000 USD = 1,500 coins: 500 new coins at 110. Day 2: close 100, low 95,
    OI 120,000 = 1,200 coins: the long at 110 (LP 99) is crossed by the low 95 and removed (1,000 left at 100, LP
    90), so 200 new coins open at 100; the shorts (LP 110 and 121) survive (high = close) and are cut pro rata
    from 1,500 to 1,200 (× 0.8): 800 at 100 and 400 at 110."""
    daily = pd.DataFrame({"close": [100.0, 110.0, 100.0], "low": [100.0, 105.0, 95.0], "high": [100.0, 110.0, 100.0],
                          "open_interest_usd": [100_000.0, 165_000.0, 120_000.0], "volume_usd": [1e6] * 3},
                         index=pd.date_range("2026-01-01", periods=3))
    p = BookParams(leverage=(10.0,), long_shares=(1.0,), short_shares=(1.0,), mmr=0.0, lookback_days=2, vol_days=2,
                   daily_turnover=0.0)
    b = estimate_book(daily, p, "X")
    f = b.to_frame().sort_values(["side", "entry"])
    longs, shorts = f[f["side"] == "long"], f[f["side"] == "short"]
    assert longs["entry"].tolist() == [100.0, 100.0] and longs["qty"].sum() == pytest.approx(1200.0)
    assert shorts["entry"].tolist() == [100.0, 110.0] and shorts["qty"].tolist() == pytest.approx([800.0, 400.0])
    assert b.price == 100.0 and b.levered_usd["long"] == pytest.approx(120_000.0)


def _obvious_book(d, p):
    """The module docstring's recursion written the obvious way for one date: a Python list of cohorts per side,
    grown only when a cohort opens (the reference for the batched :func:`estimate_books`)."""
    d = d.iloc[-(max(p.lookback_days, p.vol_days) + 1):]
    ok = d["close"].notna() & d["open_interest_usd"].notna() & (d["close"] > 0)
    f = d[ok].iloc[-(p.lookback_days + 1):]
    px, coins = f["close"].to_numpy(), (f["open_interest_usd"] / f["close"]).to_numpy()
    lo, hi = f["low"].fillna(f["close"]).to_numpy(), f["high"].fillna(f["close"]).to_numpy()
    lev, out = np.asarray(p.leverage), []
    for side in (1, -1):
        sh = p.shares(side)
        fac = liquidation_price(np.ones_like(lev), lev, side, p.mmr)
        cohorts = [(px[0], coins[0] * sh)]
        for t in range(1, len(px)):
            cohorts = [(e, np.where((e * fac >= lo[t]) if side > 0 else (e * fac <= hi[t]), 0.0, q) * (1 - p.daily_turnover))
                       for e, q in cohorts]
            have = sum(float(q.sum()) for _, q in cohorts)
            if coins[t] * sh.sum() > have:
                cohorts.append((px[t], (coins[t] * sh.sum() - have) * sh / sh.sum()))
            elif have > 0:
                cohorts = [(e, q * coins[t] * sh.sum() / have) for e, q in cohorts]
        out += [(side, lv, e, q) for e, q in cohorts for lv, q in zip(lev, q) if q > 0]
    return out


def test_batched_books_equal_the_obvious_recursion_on_every_date_with_gaps():
    d = _market(seed=3, n=120)
    d.iloc[40:44, d.columns.get_loc("open_interest_usd")] = np.nan  # a hole in the OI: fewer flow rows
    d.iloc[70:100, d.columns.get_loc("volume_usd")] = np.nan  # no volume: those dates have no book
    d.iloc[5, d.columns.get_loc("low")] = np.nan
    p = BookParams(lookback_days=10, vol_days=15, daily_turnover=0.2)
    ends = list(range(2, len(d) + 1))
    books = estimate_books(d, p, "X", ends)
    n_err = 0
    for end, b in zip(ends, books):
        if isinstance(b, SelloffError):
            n_err += 1
            with pytest.raises(SelloffError):
                estimate_book(d.iloc[:end], p, "X")
            continue
        ref = sorted(_obvious_book(d.iloc[:end], p))
        got = sorted(zip(b.side.tolist(), b.leverage.tolist(), b.entry.tolist(), b.qty.tolist()))
        assert [(s, lv, e) for s, lv, e, _ in got] == [(s, lv, e) for s, lv, e, _ in ref]
        assert [q for *_, q in got] == pytest.approx([q for *_, q in ref], rel=1e-12)
        win = d.iloc[max(0, end - 16):end]
        assert b.adv_usd == pytest.approx(win["volume_usd"].iloc[-15:].mean(), rel=1e-12)
        assert b.sigma_d == pytest.approx(np.diff(np.log(win["close"].to_numpy()))[-15:].std(ddof=1), rel=1e-12, nan_ok=True)
    assert 10 <= n_err < len(ends)


# -- calibration --------------------------------------------------------------------------------------------------
def _market(seed=7, n=160):
    rng = np.random.default_rng(seed)
    r = rng.standard_t(4, n) * 0.03
    close = 100 * np.exp(np.cumsum(r))
    low = close * np.exp(-np.abs(rng.normal(0, 0.03, n)))
    high = close * np.exp(np.abs(rng.normal(0, 0.02, n)))
    oi = 2e9 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    return pd.DataFrame({"close": close, "low": low, "high": high, "open_interest_usd": oi,
                         "volume_usd": 1e9 * np.exp(rng.normal(0, 0.2, n))}, index=pd.date_range("2025-01-01", periods=n))


def test_calibration_recovers_a_known_k_from_model_data_with_noise():
    p = BookParams(lookback_days=20, vol_days=20)
    daily = _market()
    k_true, scale_true = 2.0, 0.5
    rng = np.random.default_rng(11)
    rows = {}
    for date, book, sd, su in day_books(daily, p, "X"):
        lo = run_cascade(book, sd, k_true, scale_true).long_usd if sd < 0 else 0.0
        sh = run_cascade(book, su, k_true, scale_true).short_usd if su > 0 else 0.0
        rows[date] = (lo * math.exp(0.05 * rng.standard_normal()), sh * math.exp(0.05 * rng.standard_normal()))
    rec = pd.DataFrame.from_dict(rows, orient="index", columns=["liq_long_usd", "liq_short_usd"])
    c = calibrate(daily, rec, p, CalibParams(k_max=5.0, k_grid_n=51, scale_min=0.1, scale_max=2.0, scale_grid_n=61,
                                             holdout_share=0.25, floor_usd=1e3, min_days=30), "X")
    assert abs(c.k - k_true) <= 0.3 and abs(math.log(c.scale / scale_true)) <= 0.15
    assert c.holdout["median_abs_log_error"] < 0.1 and c.holdout["n_days"] == int(0.25 * len(rec))
    assert set(c.days["sample"]) == {"fit", "holdout"} and not c.k_at_edge


def test_calibration_needs_enough_recorded_days():
    daily = _market(n=40)
    rec = pd.DataFrame({"liq_long_usd": [1.0], "liq_short_usd": [1.0]}, index=[daily.index[-1]])
    with pytest.raises(SelloffError, match="min_days"):
        calibrate(daily, rec, BookParams(lookback_days=20, vol_days=20), CalibParams(), "X")


# -- bad input ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, msg", [
    (lambda: liquidation_price(100.0, 0.0, 1, 0.005), "leverage"),
    (lambda: liquidation_price(100.0, -5.0, 1, 0.005), "leverage"),
    (lambda: liquidation_price(100.0, 100.0, 1, 0.01), "below 1/leverage"),
    (lambda: BookParams(leverage=(10.0, 250.0), long_shares=(0.5, 0.5), short_shares=(0.5, 0.5), mmr=0.005), "below 1/leverage"),
    (lambda: BookParams(leverage=(10.0,), long_shares=(0.7, 0.3), short_shares=(1.0,)), "one per bucket"),
    (lambda: run_cascade(_random_book(0), -1.0, 1.0), "above -100"),
    (lambda: run_cascade(_random_book(0), -1.5, 1.0), "above -100"),
    (lambda: expected_liquidations(_random_book(0), [-0.1, -1.2], 1.0), "above -100"),
    (lambda: run_cascade(_random_book(0), -0.1, -1.0), "k = -1.0"),
])
def test_bad_input_is_one_line_selloff_error(call, msg):
    with pytest.raises(ConfigError, match=msg) as e:
        call()
    assert "\n" not in str(e.value)
