"""The watch rule engine on hand-made price sequences: hold period, cool-down, dedupe, inhibition, resolve
(clear and stabilised), unknown readings; readings checked against hand computations."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.alerting.engine import EngineParams, evaluate, fingerprint
from selloff.analytics.alerting.observe import (Observations, daily_sector_returns, price_grid, price_points,
                                                sector_breadth, zscore_reading)
from selloff.analytics.alerting.rules import parse_rules

H = pd.Timedelta(hours=1)
T0 = pd.Timestamp("2026-02-01T00:00Z")


def rules(text_rules: list[dict]):
    return parse_rules({"rule": text_rules}, "test")


def run(rule_list, prices: pd.DataFrame, sectors=None, params=None, start_at: int = 0):
    """Evaluate at every grid time from ``start_at``; return the evaluations (state carried like the store does)."""
    states, open_alerts, out = {}, {}, []
    step = prices.index[1] - prices.index[0]
    for t in prices.index[start_at:]:
        obs = Observations.from_frame(prices.loc[:t], step, sectors)
        ev = evaluate(rule_list, obs, states, open_alerts, params)
        states = {s.fingerprint: s for s in ev.states}
        open_alerts = {a.fingerprint: a for a in ev.alerts if a.status == "firing"}
        out.append(ev)
    return out


def events(evs):
    return [(ev.asof, tr.event, tr.alert.rule, tr.alert.asset) for ev in evs for tr in ev.transitions]


def hourly(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.date_range(T0, periods=n, freq="h"), dtype=float)


DROP = {"name": "drop", "kind": "change", "assets": ["TAO"], "window": "1h", "below": -5.0}


def test_hold_period_resets_on_a_false_reading_and_fires_after_for():
    # 1h changes: t1 -10 %, t2 -5.6 %, t3 +0 (false), t4 -10 %, t5 -5.6 %, t6 -5.9 %
    p = hourly(TAO=[100, 90, 85, 85, 76.5, 72.2, 67.9])
    ev = run(rules([{**DROP, "for": "2h"}]), p, start_at=1)
    assert events(ev) == [(T0 + 6 * H, "firing", "drop", "TAO")]  # t4 pending, t6 - t4 = 2 h
    pending = [e.asof for e in ev if any(s.state == "pending" for s in e.states)]
    assert pending == [T0 + H, T0 + 2 * H, T0 + 4 * H, T0 + 5 * H]


def test_dedupe_same_data_twice_gives_one_alert_and_the_id_is_stable():
    p = hourly(TAO=[100, 90, 80])
    r = rules([DROP])
    ev = run(r, p, start_at=1)
    assert len(events(ev)) == 1
    a1 = ev[0].alerts[0]
    assert a1.fingerprint == fingerprint("drop", None, "TAO") and a1.id == f"{a1.fingerprint}-20260201T010000Z"
    # the second evaluation (still falling) keeps the same episode open
    assert [a.id for a in ev[1].alerts] == [a1.id] and ev[1].alerts[0].status == "firing"
    # evaluating t2 again from the saved state is a no-op
    obs = Observations.from_frame(p, H)
    again = evaluate(r, obs, {s.fingerprint: s for s in ev[1].states}, {a.fingerprint: a for a in ev[1].alerts})
    assert again.transitions == () and [a.id for a in again.alerts] == [a1.id]


def test_resolve_when_clear_then_cooldown_blocks_a_refire():
    # falls at t1, clear at t2, falls again at t3 (inside the 2 h cool-down) and at t5 (after it)
    p = hourly(TAO=[100, 90, 91, 80, 81, 70])
    ev = run(rules([{**DROP, "cooldown": "2h"}]), p, start_at=1)
    assert events(ev) == [(T0 + H, "firing", "drop", "TAO"), (T0 + 2 * H, "resolved", "drop", "TAO"),
                          (T0 + 5 * H, "firing", "drop", "TAO")]
    first, second = ev[1].alerts[0], ev[4].alerts[0]
    assert first.ends_at == T0 + 2 * H and first.id != second.id
    assert first.values["change_pct"] == pytest.approx(-10.0) and first.values["resolved"]["change_pct"] == pytest.approx(100 * (91 / 90 - 1))


def test_unknown_readings_neither_fire_nor_resolve():
    p = hourly(TAO=[100, 90, np.nan, np.nan, 91, 92])  # t4 has no price an hour before: still unknown
    ev = run(rules([DROP]), p, start_at=1)
    assert events(ev) == [(T0 + H, "firing", "drop", "TAO"), (T0 + 5 * H, "resolved", "drop", "TAO")]
    assert [a.status for a in ev[2].alerts] == ["firing"]  # NaN price: still firing, not resolved
    assert next(s for s in ev[2].signals).holds is None


def test_inhibition_by_a_market_crash_with_and_without_equal_labels():
    crash = {"name": "crash", "kind": "change", "assets": ["BTC"], "window": "1h", "below": -10.0, "inhibits": ["drop"]}
    drop = {"name": "drop", "kind": "change", "sector": "ai", "window": "1h", "below": -5.0}
    p = hourly(BTC=[100, 85], TAO=[100, 80], NEAR=[100, 99])
    ev = run(rules([crash, drop]), p, {"ai": ("TAO", "NEAR")}, start_at=1)[0]
    by = {a.rule + (a.asset or ""): a for a in ev.alerts}
    assert set(by) == {"crashBTC", "dropTAO"}
    assert by["dropTAO"].inhibited_by == by["crashBTC"].id and by["crashBTC"].inhibited_by is None
    scoped = {**crash, "sector": "other", "inhibit_equal": ["sector"]}
    ev2 = run(rules([scoped, drop]), p, {"ai": ("TAO", "NEAR"), "other": ()}, start_at=1)[0]
    assert all(a.inhibited_by is None for a in ev2.alerts)


BREADTH = {"name": "ai-sector", "kind": "breadth", "sector": "ai", "window": "1d", "drop_pct": -8.0, "min_share": 0.7,
           "benchmark": "BTC", "benchmark_above_pct": -3.0}


def daily(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.date_range(T0, periods=n, freq="D"), dtype=float)


def test_breadth_relative_to_btc_hand_counted():
    members = ("A", "B", "C", "D")
    # day 1: A -10, B -9, C -12, D -2 → 3 of 4 = 75 % fell more than 8 %; BTC -1 % (holds)
    p = daily(A=[100, 90], B=[100, 91], C=[100, 88], D=[100, 98], BTC=[100, 99])
    ev = run(rules([BREADTH]), p, {"ai": members}, start_at=1)[0]
    (a,) = ev.alerts
    assert (a.values["share"], a.values["down"], a.values["with_reading"]) == (0.75, 3, 4)
    assert a.values["benchmark_change_pct"] == pytest.approx(-1.0)
    assert a.summary_en == "ai: 75 % of members (3 of 4) fell more than 8.0 % in 24 h; BTC \u22121.0 %"
    assert a.summary_de == "ai: 75 % der Mitglieder (3 von 4) fielen in 24 h um mehr als 8,0 %; BTC \u22121,0 %"
    # the same fall with BTC -5 %: a market move, not the sector's own → no alert
    p2 = p.assign(BTC=[100, 95])
    assert run(rules([BREADTH]), p2, {"ai": members}, start_at=1)[0].alerts == ()
    # only 1 of 4 members with a price (coverage 25 % < 50 %): no reading
    p3 = p.assign(B=[np.nan, np.nan], C=[np.nan, np.nan], D=[np.nan, np.nan])
    assert run(rules([BREADTH]), p3, {"ai": members}, start_at=1)[0].signals[0].holds is None


def crash_path() -> pd.DataFrame:
    """16 calm days (±0.5 % alternating), a 2-day crash of the sector (-12 %, -6 %), then +3 % a day."""
    lvl = [100.0]
    for i in range(15):
        lvl.append(lvl[-1] * (1.005 if i % 2 == 0 else 0.995))
    lvl += [lvl[-1] * 0.88, lvl[-1] * 0.88 * 0.94]
    for _ in range(5):
        lvl.append(lvl[-1] * 1.03)
    idx = pd.date_range(T0, periods=len(lvl), freq="D")
    return pd.DataFrame({"A": lvl, "B": lvl, "C": lvl, "BTC": 100.0}, index=idx)


def test_resolve_stabilised_waits_for_the_stabilisation_signals():
    p = crash_path()
    r = rules([{**BREADTH, "resolve": "stabilised"}])
    ev = run(r, p, {"ai": ("A", "B", "C")}, start_at=1)
    fired = [(e.asof, t.event) for e in ev for t in e.transitions]
    # fires when the -12 % day closed (day 16 00:00); the condition is gone a day later, but the sector only
    # stabilises when two of three signals hold: no new low for 3 days (trough day 16, days 17-19 higher) and
    # recovered share (1.03^3 * 0.8272 - 0.8272) / (1 - 0.8272) = 0.444 >= 0.33 → at 00:00 of day 20
    assert fired == [(T0 + pd.Timedelta(days=16), "firing"), (T0 + pd.Timedelta(days=20), "resolved")]
    res = ev[19].transitions[0].alert.values["resolved"]["stabilisation"]
    assert res["verdict"] == "stabilising" and res["days_since_trough"] == 3
    assert res["recovered_share"] == pytest.approx((1.03**3 * 0.88 * 0.94 - 0.88 * 0.94) / (1 - 0.88 * 0.94))
    # with resolve = "clear" it resolves the day the condition goes
    ev2 = run(rules([BREADTH]), p, {"ai": ("A", "B", "C")}, start_at=1)
    assert [(e.asof, t.event) for e in ev2 for t in e.transitions][1] == (T0 + pd.Timedelta(days=17), "resolved")


def test_daily_sector_returns_use_midnight_closes_and_a_provisional_day():
    p = hourly(A=[100.0] * 24 + [110.0] * 13)  # 00:00 day 0 .. 12:00 day 1
    obs = Observations.from_frame(p, H)
    sr = daily_sector_returns(obs, ["A"])
    # day 1 Feb closes at 00:00 on 2 Feb at 110 (+10 %); 2 Feb so far (provisional close 12:00) is flat
    assert list(sr.index) == [pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-02")]
    assert sr.tolist() == pytest.approx([0.10, 0.0])


def test_zscore_against_a_closed_form():
    # baseline: 48 hourly log returns alternating +a, -a (mean 0, sample sd = a*sqrt(n/(n-1))), then -5 % in 4 h
    a = 0.01
    logs = np.cumsum([a if i % 2 == 0 else -a for i in range(48)])
    prices = list(100 * np.exp(np.concatenate([[0.0], logs])))
    prices += [prices[-1] * 0.99, prices[-1] * 0.98, prices[-1] * 0.97, prices[-1] * 0.95]
    p = hourly(TAO=prices)
    obs = Observations.from_frame(p, H)
    r = zscore_reading(obs, "TAO", pd.Timedelta(hours=4), pd.Timedelta(hours=48), 24)
    sd = a * math.sqrt(48 / 47)
    assert r["sigma_step"] == pytest.approx(sd, rel=1e-12) and r["n_baseline"] == 48
    assert r["z"] == pytest.approx(math.log(0.95) / (sd * 2.0), rel=1e-12)
    assert zscore_reading(obs, "TAO", pd.Timedelta(hours=4), pd.Timedelta(hours=10), 24) is None  # too few


def test_price_grid_takes_the_latest_fresh_point():
    bars = pd.DataFrame({"asset": "TAO", "interval": "1h", "ts": pd.to_datetime(["2026-02-01T00:00Z", "2026-02-01T01:00Z"]),
                         "source": "coingecko", "close": [10.0, 11.0]})
    snaps = pd.DataFrame({"asset": "TAO", "ts": pd.to_datetime(["2026-02-01T02:30Z"]), "source": "coingecko",
                          "price_usd": [12.0]})
    pts = price_points(bars, snaps)
    assert list(pts["ts"].dt.hour) == [1, 2, 2] and list(pts["price"]) == [10.0, 11.0, 12.0]
    g = price_grid(pts, ["TAO", "BTC"], pd.Timestamp("2026-02-01T06:00Z"), H, pd.Timestamp("2026-02-01T00:00Z"),
                   pd.Timedelta(hours=2))
    assert np.isnan(g["TAO"].iloc[0])  # no bar has closed at 00:00 yet
    assert g["TAO"].iloc[1:].tolist()[:4] == [10.0, 11.0, 12.0, 12.0] and np.isnan(g["TAO"].iloc[5])  # 2:30 + 2 h < 5:00
    assert g["BTC"].isna().all()


def test_sector_breadth_counts_strictly_below():
    p = daily(A=[100, 92], B=[100, 91.9], C=[100, 100])
    obs = Observations.from_frame(p, pd.Timedelta(days=1))
    r = sector_breadth(obs, ["A", "B", "C"], pd.Timedelta(days=1), -8.0, 0.5)
    assert (r["down"], r["with_reading"]) == (1, 3) and r["share"] == pytest.approx(1 / 3)  # -8.0 is not below -8


def test_episode_rule_runs_the_collective_selloff_detector_on_the_current_day():
    from selloff.analytics.detect import DetectParams

    p = crash_path()
    params = EngineParams(detect=DetectParams(min_history_days=10))
    r = rules([{"name": "episode", "kind": "episode", "sector": "ai", "resolve": "stabilised"}])
    ev = run(r, p, {"ai": ("A", "B", "C")}, params=params, start_at=1)
    fired = [(e.asof, t.event) for e in ev for t in e.transitions]
    assert fired == [(T0 + pd.Timedelta(days=16), "firing"), (T0 + pd.Timedelta(days=20), "resolved")]
    v = ev[15].transitions[0].alert.values
    # day 15 (closing 00:00 of day 16): -12 %; the calm days' returns are exactly ±0.5 %, so the EWMA sigma is
    # 0.5 % and z = -12 / 0.5 = -24; all three members fell more than 5 %
    assert v["day"] == "2026-02-16" and v["ret_pct"] == pytest.approx(-12.0)
    assert v["sigma_pct"] == pytest.approx(0.5) and v["z"] == pytest.approx(-24.0) and v["breadth"] == 1.0
    assert ev[15].alerts[0].summary_en == ("ai: collective sell-off on 2026-02-16: \u221212.0 % (\u221224.0 σ), "
                                           "100 % of members fell more than 5.0 %")


def test_an_alert_whose_rule_left_the_rules_file_resolves_with_the_reason():
    p = hourly(TAO=[100, 90, 80])
    ev = run(rules([DROP]), p, start_at=1)[0]
    other = rules([{**DROP, "name": "other"}])
    obs = Observations.from_frame(p.loc[: T0 + 2 * H], H)
    after = evaluate(other, obs, {s.fingerprint: s for s in ev.states}, {a.fingerprint: a for a in ev.alerts})
    gone = next(t.alert for t in after.transitions if t.alert.rule == "drop")
    assert (gone.status, gone.ends_at, gone.values["resolved"]["reason"]) == (
        "resolved", T0 + 2 * H, "rule or target no longer watched")


def test_threshold_and_crossing_by_hand():
    p = hourly(BTC=[61_000, 60_500, 59_900, 59_000, 60_100, 59_800, 59_700, 59_600, 59_500])
    thr = {"name": "low", "kind": "threshold", "assets": ["BTC"], "below": 60_000.0}
    # crossing: below 60,000 now and at or above it at some grid time of the last 2 h before now
    cross = {"name": "cross", "kind": "crossing", "assets": ["BTC"], "level": 60_000.0, "window": "2h"}
    ev = run(rules([thr, cross]), p, start_at=1)
    got = events(ev)
    assert [(t, e) for t, e, r, _ in got if r == "low"] == [(T0 + 2 * H, "firing"), (T0 + 4 * H, "resolved"),
                                                           (T0 + 5 * H, "firing")]
    # t2 crossed (t1 was 60,500); t3 still within 2 h of t1; t4 back above → resolved; t5 crossed again (t4 was
    # 60,100); t6 still within 2 h of t4; t7: the last price at or above the level is 3 h back → resolved
    assert [(t, e) for t, e, r, _ in got if r == "cross"] == [
        (T0 + 2 * H, "firing"), (T0 + 4 * H, "resolved"), (T0 + 5 * H, "firing"), (T0 + 7 * H, "resolved")]
    a = next(t.alert for e in ev for t in e.transitions if t.alert.rule == "cross")
    assert a.summary_en == "BTC crossed below 60,000.00 USD (now 59,900.00 USD)"
    assert a.summary_de == "BTC fiel unter 60.000,00 USD (jetzt 59.900,00 USD)"


def test_daily_sector_returns_are_cap_weighted_like_the_report():
    """Snapshots at 00:00 UTC carry price and cap: the day's sector return weighs each member by its cap at the
    previous close, by hand (300 x -10 % + 100 x +10 %) / 400 = -5 % (equal weights would say 0), and the report's
    day path (analytics.day.sector_series on a Panel of the same rows) gives the same number."""
    from selloff.analytics.alerting.observe import observations
    from selloff.analytics.day import sector_series
    from selloff.analytics.panel import build_panel

    days = pd.to_datetime(["2026-02-01T00:00Z", "2026-02-02T00:00Z", "2026-02-03T00:00Z"])
    snaps = pd.DataFrame({"asset": ["A"] * 3 + ["B"] * 3, "ts": list(days) * 2, "source": "coingecko",
                          "price_usd": [100.0, 100.0, 90.0, 10.0, 10.0, 11.0],
                          "market_cap_usd": [300.0, 300.0, 270.0, 100.0, 100.0, 110.0]})
    pts = price_points(None, snaps)
    obs = observations(pts, ["A", "B"], {"s": ("A", "B")}, days[-1], days[0], H, pd.Timedelta(hours=2))
    sr = daily_sector_returns(obs, ["A", "B"]).dropna()
    # 1 Feb (weights: the caps at the close of 31 Jan, snapshot 00:00 on 1 Feb) is flat; 2 Feb closes at 00:00 on
    # 3 Feb, weighted by the caps at the close of 1 Feb
    assert list(sr.index) == [pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-02")]
    assert sr.iloc[0] == 0.0
    assert sr.iloc[-1] == pytest.approx((300 * -0.10 + 100 * 0.10) / 400)
    # the report's rule on the same evidence (daily bars whose close is the 00:00 price; caps as stored)
    bars = pd.DataFrame({"asset": ["A"] * 3 + ["B"] * 3, "interval": "1d", "source": "coingecko",
                         "ts": list(days - pd.Timedelta(days=1)) * 2, "close": snaps["price_usd"]})
    panel = build_panel({"bars": bars, "market_caps": snaps}, {"A": "token", "B": "token"}, ["coingecko"])
    ref, _ = sector_series(panel, ["A", "B"])
    assert ref.loc[sr.index].tolist() == pytest.approx(sr.tolist())
