"""Verification verdicts on hand-built evidence: selected readings, simulated data, sectors, breadth, liquidations."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from selloff.check import Evidence, extract_claims, verify_claims
from tests.check.frames import hourly as _hourly, tao as _tao

D = dt.date(2026, 2, 6)


def _one(text, uni, ev, **kw):
    claims = extract_claims(text, uni, ref_date=D)
    return verify_claims(claims, ev, **kw)


def test_supported_and_contradicted_use_the_selected_reading(uni):
    ev = Evidence(universe=uni, bars=_tao(), published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    v = _one("TAO fiel an einem einzigen Tag um 11 %.", uni, ev)[0]
    assert v.status == "supported" and v.used.name == "utc_day"
    assert v.data_value == pytest.approx(-11.111, abs=1e-3)
    assert "UTC day 2026-02-06" in v.window and "close-to-close" in v.measure
    names = {r.name: r.value for r in v.readings}
    assert names["rolling_24h"] == pytest.approx(-20.0) and names["utc_day_prev"] == pytest.approx(-10.0)
    assert names["intraday_low"] == pytest.approx(100 * (150 / 180 - 1))
    assert set(v.selected) == {"utc_day", "utc_day_prev"}

    v = _one("TAO fiel an einem einzigen Tag um 20 %.", uni, ev)[0]
    # the words' readings fail (-11.1 %), the rolling 24 h to publication reproduces -20 %: another window
    assert v.status == "window_mismatch" and v.data_value == pytest.approx(-11.111, abs=1e-3)
    assert v.matches[0].name == "rolling_24h" and v.matches[0].value == pytest.approx(-20.0)
    assert "rolling_24h" in v.reason
    v = _one("TAO fiel an einem einzigen Tag um 40 %.", uni, ev)[0]
    assert v.status == "contradicted" and not v.matches                 # no standard window gives -40 %

    v = _one("TAO fiel in den letzten 24 Stunden um 20 %.", uni, ev)[0]
    assert v.status == "supported" and v.used.name == "rolling_24h"

    v = _one("TAO fiel an einem einzigen Tag um mehr als 10 %.", uni, ev)[0]
    assert v.status == "supported"                                    # -11.1 <= -10
    v = _one("TAO stieg an einem einzigen Tag um 11 %.", uni, ev)[0]
    assert v.status == "contradicted"                                 # wrong direction

    v = _one("TAO fiel an einem einzigen Tag um 11 % auf etwa 158 US-Dollar.", uni, ev)
    # the closest hourly close of 5-6 Feb is 160: |160/158 - 1| = 1.3 % <= 3 %; it is named
    assert v[1].claim.metric == "price_level" and v[1].status == "supported"
    assert v[1].used.name == "closest_level" and v[1].data_value == 160.0
    v = _one("TAO fiel an einem einzigen Tag um 11 % auf etwa 155 US-Dollar.", uni, ev)
    assert v[1].status == "contradicted" and v[1].data_value == 160.0           # 3.2 % > 3 %
    v = _one("TAO fiel an einem einzigen Tag um 11 % auf etwa 100 US-Dollar.", uni, ev)
    assert v[1].status == "contradicted"


def test_unverifiable_names_missing_data_and_fetch_command(uni):
    ev = Evidence(universe=uni, bars=_tao())
    v = _one("Near Protocol fiel an einem einzigen Tag um 25,4 %.", uni, ev)[0]
    assert v.status == "unverifiable"
    assert v.fetch == "selloff fetch --assets NEAR --since 2026-02-04 --until 2026-02-07"
    assert "NEAR" in v.missing[0]


def test_simulated_data_is_never_evidence(uni):
    # simulated TAO bars that would support the claim exactly: still unverifiable
    ev = Evidence(universe=uni, bars=_tao(source="simulated"))
    v = _one("TAO fiel an einem einzigen Tag um 11 %.", uni, ev)[0]
    assert v.status == "unverifiable" and v.reason == "only simulated data for these days"
    assert v.data_value is None and v.fetch.startswith("selloff fetch --assets TAO")
    # real and simulated side by side: only the real rows count
    sim = _tao(source="simulated")
    sim["close"] = sim["close"] * 0.5
    ev = Evidence(universe=uni, bars=pd.concat([_tao(), sim]))
    v = _one("TAO fiel an einem einzigen Tag um 11 %.", uni, ev)[0]
    assert v.status == "supported" and v.used.source == "binance"


def _caps_24h(uni, changes: dict[str, float], source="coingecko"):
    rows = []
    for m in uni.sectors["ai-crypto"].members:
        c0 = 2e9 if m in ("TAO", "NEAR", "ICP", "RENDER") else 0.5e9
        rows.append((m, pd.Timestamp("2026-02-05 12:00", tz="UTC"), c0))
        rows.append((m, pd.Timestamp("2026-02-06 12:00", tz="UTC"), c0 * (1 + changes.get(m, -20.0) / 100)))
    return pd.DataFrame({"asset": [r[0] for r in rows], "ts": [r[1] for r in rows], "source": source,
                         "market_cap_usd": [r[2] for r in rows]})


def test_sector_cap_fall_beyond_worst_member_is_inconsistent(uni):
    # every member fell 20-25 % over the 24 h: the sum cannot fall 42 %
    caps = _caps_24h(uni, {"TAO": -23.0, "NEAR": -25.4, "ICP": -21.0, "RENDER": -22.0})
    cat = pd.DataFrame({"provider": "coingecko", "category": "artificial-intelligence", "source": "coingecko",
                        "ts": pd.to_datetime(["2026-02-05 12:00", "2026-02-06 12:00"], utc=True),
                        "market_cap_usd": [21e9, 12e9], "market_cap_change_24h_pct": [None, -42.9]})
    ev = Evidence(universe=uni, market_caps=caps, category_caps=cat,
                  published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    text = ("In den letzten 24 Stunden ist die Gesamtmarktkapitalisierung von KI-Kryptowährungen um mehr als 42 % "
            "auf etwa 12 Milliarden US-Dollar geschrumpft.")
    v = _one(text, uni, ev)
    assert v[0].status == "inconsistent"
    assert "worst member NEAR fell 25.4 %" in v[0].reason
    members = {r.name: r.value for r in v[0].readings}
    assert members["members_sum_24h"] == pytest.approx(-21.824, abs=1e-3)  # cap-weighted, hand-computed below
    # (2e9*(0.77+0.746+0.79+0.78) + 9*0.5e9*0.8) / (8e9 + 4.5e9) - 1 = 9.772 / 12.5 - 1 = -21.824 %
    assert members["category_reported_24h"] == pytest.approx(-42.9)
    # the provider's own category says 12 bn: the level is supported by that reading
    assert v[1].status == "supported" and v[1].used.name == "category_24h"


def test_text_internal_inconsistency_without_data(uni):
    text = ("Laut den Daten fiel Bittensor (TAO) an einem einzigen Tag um 23 %; Near Protocol fiel um 25,4 %. "
            "In den letzten 24 Stunden ist die Marktkapitalisierung von KI-Kryptowährungen um mehr als 42 % geschrumpft.")
    v = verify_claims(extract_claims(text, uni, ref_date=D), Evidence(universe=uni))
    assert [x.status for x in v] == ["unverifiable", "unverifiable", "inconsistent"]
    assert v[2].conflicts == ("C1", "C2") and "worst" in v[2].reason


def test_breadth_liquidations_event(uni):
    bars = pd.concat([_tao(), _hourly("NEAR", [("2026-02-04 00:00", "2026-02-05 23:00", 10.0),
                                               ("2026-02-06 00:00", "2026-02-06 23:00", 7.5)])])
    ev = Evidence(universe=uni, bars=bars)
    v = _one("TAO und NEAR fielen an einem einzigen Tag um mehr als 10 %.", uni, ev)[0]
    assert v.status == "supported" and v.data_value == 100.0                 # TAO -11.1, NEAR -25
    v = _one("TAO und NEAR fielen an einem einzigen Tag um mehr als 20 %.", uni, ev)[0]
    # 1/2 on the UTC day; both over the rolling 24 h to 00:00 UTC after the day (TAO 200 -> 160 = -20 %, NEAR -25 %)
    assert v.status == "window_mismatch" and v.data_value == 50.0
    assert v.matches[0].value == 100.0
    v = _one("TAO und NEAR fielen an einem einzigen Tag um mehr als 50 %.", uni, ev)[0]
    assert v.status == "contradicted" and v.data_value == 0.0
    day = pd.Timestamp("2026-02-05", tz="UTC")
    der = pd.DataFrame({"asset": "BTC", "interval": "1h", "venue": "aggregate", "source": "coinglass",
                        "ts": [day + pd.Timedelta(hours=h) for h in range(24)], "liq_long_usd": 100e6,
                        "liq_short_usd": 10e6, "coverage": "full"})
    ev = Evidence(universe=uni, derivatives=der)
    v = _one("Bitcoin fiel um 10 %, was etwa 2,6 Milliarden Dollar an Liquidationen auslöste.", uni, ev)[1]
    assert v.status == "supported" and v.used.name == "liq_utc_day_prev"     # 24 * 110 m = 2.64 bn on Feb 5
    v = _one("Bitcoin fiel um 10 %, was etwa 5 Milliarden Dollar an Liquidationen auslöste.", uni, ev)[1]
    assert v.status == "contradicted"
    v = _one("Alphabet und Amazon planen Investitionen von bis zu 500 Milliarden US-Dollar.", uni, ev)[0]
    assert v.status == "unverifiable" and "not market data" in v.reason


def test_liquidation_claim_not_hidden_by_funding_rows(uni):
    """Funding and OI rows share the derivatives table with liquidations; they must not crowd them out."""
    day = pd.Timestamp("2026-02-06", tz="UTC")
    der = pd.DataFrame([
        {"asset": "BTC", "interval": "8h", "ts": day, "venue": "binance", "source": "binance/funding",
         "funding_rate": 0.0001, "liq_long_usd": None, "liq_short_usd": None},
        {"asset": "BTC", "interval": "1d", "ts": day, "venue": "aggregate", "source": "coinglass/liquidations",
         "funding_rate": None, "liq_long_usd": 1.2e9, "liq_short_usd": 0.3e9},
    ])
    ev = Evidence(universe=uni, derivatives=der)
    v = _one("Liquidations reached about $1.5 billion on February 6, 2026.", uni, ev)[0]
    assert v.status == "supported"
    assert v.data_value == pytest.approx(1.5e9)
