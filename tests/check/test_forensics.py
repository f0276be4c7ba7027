"""Claim forensics on hand-built evidence: every verdict kind (supported, window_mismatch, contradicted,
unverifiable on partial data, inconsistent), cross-claim consistency, the new claim kinds, scoped window words."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from selloff.check import Evidence, extract_claims, verify_claims
from tests.check.frames import hourly, tao

D = dt.date(2026, 2, 6)


def _v(text, uni, ev, **kw):
    return verify_claims(extract_claims(text, uni, ref_date=D, **kw), ev)


def _sessions(asset, closes):
    return pd.DataFrame([{"asset": asset, "interval": "1d", "ts": pd.Timestamp(f"{d} 14:30", tz="UTC"),
                          "source": "yfinance", "open": c, "high": c + 1, "low": c - 1, "close": float(c)}
                         for d, c in closes.items()])


_DAYS = ("2026-01-28", "2026-01-29", "2026-01-30", "2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05",
         "2026-02-06")


def test_window_mismatch_names_the_window_that_reproduces_the_figure(uni):
    ev = Evidence(universe=uni, bars=tao(), published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    # the UTC day 6 Feb: 180 -> 160 = -11.1 %; the rolling 24 h to 12:00 publication: 200 -> 160 = -20 %
    v = _v("TAO fiel an einem einzigen Tag um 20 %.", uni, ev)[0]
    assert v.status == "window_mismatch"
    assert v.used.name in ("utc_day", "utc_day_prev") and v.matches[0].value == pytest.approx(-20.0)
    from selloff.check import data_sentence, status_word

    assert status_word(v.status, "de") == "stimmt für einen anderen Zeitraum"
    assert status_word(v.status, "en") == "true for another window"
    de, en = data_sentence(v, "de"), data_sentence(v, "en")
    assert "−20,0 %" in de and "vermutlich falsch" in de
    assert "−20.0 %" in en and "probably wrong" in en
    for s in (de, en):  # no code names in the words
        assert "utc_day" not in s and "rolling_24h" not in s


def test_contradicted_only_when_no_standard_window_fits(uni):
    ev = Evidence(universe=uni, bars=tao(), published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    v = _v("TAO fiel an einem einzigen Tag um 45 %.", uni, ev)[0]
    assert v.status == "contradicted" and v.matches == ()
    assert "no other standard window" in v.reason


def test_equity_figures_sharing_one_window_are_said_to(uni):
    # AMD: close 30 Jan 100 -> 5 Feb 81.5 (-18.5 %); NVDA 100 -> 90 (-10 %): both on the 5-day chart to 5 Feb
    amd = _sessions("AMD", dict(zip(_DAYS, [105, 103, 100, 95, 90, 85, 81.5, 88])))
    nvda = _sessions("NVDA", dict(zip(_DAYS, [104, 102, 100, 97, 95, 92, 90, 93])))
    ev = Evidence(universe=uni, bars=pd.concat([amd, nvda]))
    vs = _v("AMD und NVIDIA sind in den letzten fünf Tagen um 18,5 % bzw. 10 % gefallen.", uni, ev)
    assert [v.status for v in vs] == ["supported", "supported"]
    assert all(v.used.name == "chart_days_5_prev" for v in vs)
    assert vs[0].data_value == pytest.approx(-18.5) and vs[1].data_value == pytest.approx(-10.0)
    assert all("fit one window" in v.note and v.fit_key == "5c:D-1" for v in vs)


def _caps(uni, present=("TAO", "NEAR", "ICP")):
    rows = []
    for m in present:
        for ts, cap in (("2026-02-05 12:00", 2.5e9), ("2026-02-06 12:00", 1.9e9)):
            rows.append({"asset": m, "ts": pd.Timestamp(ts, tz="UTC"), "source": "coingecko", "market_cap_usd": cap})
    return pd.DataFrame(rows)


def test_partial_member_sums_never_convict(uni):
    ev = Evidence(universe=uni, market_caps=_caps(uni), published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    text = "In den letzten 24 Stunden ist die Marktkapitalisierung von KI-Kryptowährungen auf etwa {} geschrumpft."
    # 3 of 13 members: 3 * 1.9 bn = 5.7 bn is a lower bound of the sum, not the sum
    v = _v(text.format("12 Milliarden US-Dollar"), uni, ev)[0]
    assert v.claim.metric == "market_cap_level" and v.status == "unverifiable"
    assert v.data_value == pytest.approx(5.7e9) and v.coverage.startswith("partial: 3 of 13 members")
    assert "RENDER" in v.coverage and any("RENDER" in m for m in v.missing)
    from selloff.check import data_sentence

    assert "Schranke" in data_sentence(v, "de") and "bound" in data_sentence(v, "en")
    # a bound that already exceeds the figure does settle it
    v = _v(text.format("3 Milliarden US-Dollar"), uni, ev)[0]
    assert v.status == "contradicted" and v.coverage
    # a per-cent change over a partial sum is no value at all
    v = _v("In den letzten 24 Stunden ist die Marktkapitalisierung von KI-Kryptowährungen um 24 % geschrumpft.",
           uni, ev)[0]
    assert v.status == "unverifiable" and v.coverage


def test_breadth_with_a_member_missing_is_unverifiable_and_names_it(uni):
    near = hourly("NEAR", [("2026-02-04 00:00", "2026-02-05 23:00", 10.0), ("2026-02-06 00:00", "2026-02-06 23:00", 8.0)])
    ev = Evidence(universe=uni, bars=pd.concat([tao(), near]))
    v = _v("TAO, NEAR und ICP fielen an einem einzigen Tag um mehr als 10 %.", uni, ev)[0]
    assert v.status == "unverifiable" and v.missing == ("bars ICP",)
    assert "2/3 satisfy" in v.reason


def test_breadth_true_for_another_window(uni):
    # UTC day 6 Feb: TAO -11.1 %, NEAR 10 -> 9.5 = -5 %; over 2 days to 6 Feb (low readings) both fell > 10 %
    near = hourly("NEAR", [("2026-02-04 00:00", "2026-02-05 11:00", 10.0), ("2026-02-05 12:00", "2026-02-05 23:00", 10.0),
                           ("2026-02-06 00:00", "2026-02-06 23:00", 9.5)], lows={"2026-02-06 10:00": 8.5})
    ev = Evidence(universe=uni, bars=pd.concat([tao(), near]))
    v = _v("TAO und NEAR fielen an einem einzigen Tag um mehr als 10 %.", uni, ev)[0]
    assert v.status in ("supported", "window_mismatch")
    if v.status == "window_mismatch":
        assert v.matches[0].value == 100.0


def test_levels_use_the_closest_price_and_thresholds_the_lowest(uni):
    ev = Evidence(universe=uni, bars=tao())
    v = _v("TAO fiel an einem einzigen Tag um 11 % auf etwa 171 US-Dollar.", uni, ev)[1]
    assert v.status == "supported" and v.data_value == 170.0          # |170/171 - 1| = 0.6 % <= 3 %
    v = _v("TAO fiel unter 155 US-Dollar.", uni, ev)[0]
    assert v.claim.threshold and v.status == "supported" and v.data_value == 150.0   # the intraday low
    v = _v("TAO fiel unter 140 Dollar.", uni, ev)[0]
    assert v.status == "contradicted"


def test_new_claim_kinds_extract(uni):
    c = extract_claims("Bitcoin fell below $60k on Friday.", uni, ref_date=D)[0]
    assert c.metric == "price_level" and c.threshold and c.value == 60000.0
    c = extract_claims("Bitcoin rutschte unter 60.000.", uni, ref_date=D, lang="de")[0]
    assert c.threshold and c.value == 60000.0
    c = extract_claims("Bitcoin traded at 70,000 dollars.", uni, ref_date=D)[0]
    assert c.value == 70000.0 and c.unit == "USD"
    cs = extract_claims("TAO und NEAR fielen um 3 bzw. 5 Prozent.", uni, ref_date=D)
    assert [(x.subjects, x.value, x.unit) for x in cs] == [(("TAO",), -3.0, "pct"), (("NEAR",), -5.0, "pct")]
    c = extract_claims("Bitcoin fiel auf den tiefsten Stand seit November 2025.", uni, ref_date=D)[0]
    assert (c.id, c.metric, c.since_date) == ("S1", "lowest_since", dt.date(2025, 11, 1))
    c = extract_claims("The trading volume of Bitcoin reached about $50 billion.", uni, ref_date=D)[0]
    assert c.metric == "volume" and c.value == 50e9
    c = extract_claims("Der Marktanteil von Bitcoin stieg auf 60 %.", uni, ref_date=D)[0]
    assert c.metric == "dominance" and c.value == 60.0


def test_intraday_is_scoped_to_its_own_figure(uni):
    cs = extract_claims("Bitcoin fell 7.3 % on the day to $112,700, after trading as low as $101,000 intraday.",
                        uni, ref_date=D)
    assert [(c.metric, c.value, c.window, c.intraday) for c in cs] == [
        ("price_change", -7.3, "1d", False), ("price_level", 112700.0, "1d", False),
        ("price_level", 101000.0, "1d", True)]
    assert [c.window for c in extract_claims("TAO fiel über zwei Tage um 20 %.", uni, ref_date=D)] == ["2d"]
    assert [c.window for c in extract_claims("TAO fell 20 % over the past week.", uni, ref_date=D)] == ["1w"]
    assert [c.window for c in extract_claims("TAO fiel seit Wochenbeginn um 20 %.", uni, ref_date=D)] == ["wtd"]


def test_lowest_since_stabilisation_volume_dominance_verdicts(uni):
    ev = Evidence(universe=uni, bars=tao())
    # the close of 6 Feb (160) is below every close from 4 Feb to the start of 6 Feb (200, 180)
    v = _v("TAO fiel auf den tiefsten Stand seit dem 4. Februar.", uni, ev)[0]
    assert v.status == "supported" and v.used.p1 == 160.0 and v.used.p0 == 180.0
    assert v.claim.date == D                                  # "seit dem 4. Februar" is not the claim's day
    # stabilised: 6-7 Feb up from the 5 Feb close and no low below 5 Feb's low (170)
    bars = hourly("TAO", [("2026-02-04 00:00", "2026-02-04 23:00", 200.0), ("2026-02-05 00:00", "2026-02-05 23:00", 180.0),
                          ("2026-02-06 00:00", "2026-02-06 23:00", 185.0), ("2026-02-07 00:00", "2026-02-07 23:00", 190.0)],
                  lows={"2026-02-05 10:00": 170.0, "2026-02-06 10:00": 175.0})
    ev = Evidence(universe=uni, bars=bars)
    v = _v("Für TAO gibt es keine Anzeichen einer kurzfristigen Stabilisierung.", uni, ev)[0]
    assert v.claim.metric == "stabilisation" and v.claim.direction == "down"
    assert v.status == "contradicted" and v.data_value == 100.0
    caps = pd.DataFrame({"asset": ["BTC", "ETH"], "ts": pd.Timestamp("2026-02-06 12:00", tz="UTC"),
                         "source": "coingecko", "market_cap_usd": [1.2e12, 0.3e12],
                         "volume_usd_24h": [49e9, 20e9]})
    ev = Evidence(universe=uni, market_caps=caps)
    v = _v("The trading volume of Bitcoin reached about $50 billion.", uni, ev)[0]
    assert v.status == "supported" and v.data_value == 49e9              # within 3 %
    v = _v("Der Marktanteil von Bitcoin stieg auf 60 %.", uni, ev)[0]
    assert v.status == "unverifiable" and v.data_value == pytest.approx(80.0)   # 1.2 / 1.5: an upper bound
    v = _v("Der Marktanteil von Bitcoin stieg auf 90 %.", uni, ev)[0]
    assert v.status == "contradicted"                                  # above even the upper bound
