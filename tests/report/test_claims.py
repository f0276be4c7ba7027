"""Claim extraction (EN/DE, the reference text), verification verdicts on hand-built evidence, HTML escaping."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from selloff.report.claims import (Evidence, extract_claims, render_claims_html, verdicts_table, verify_claims)
from selloff.universe import load_universe

D = dt.date(2026, 2, 6)


@pytest.fixture(scope="module")
def uni():
    return load_universe(include_user_config=False)


def _x(text, uni, **kw):
    """(metric, subjects, value, unit, qualifier, window) per claim."""
    kw.setdefault("ref_date", D)
    return [(c.metric, c.subjects, c.value, c.unit, c.qualifier, c.window) for c in extract_claims(text, uni, **kw)]


# ------------------------------------------------------------------------------------------ extraction
def test_reference_text_extracts_the_hand_listed_claims(uni, shared_reference):
    text = (shared_reference / "news-2026-02-06-ai-crypto-selloff.de.txt").read_text(encoding="utf-8")
    claims = extract_claims(text, uni, ref_date=D)
    got = [(c.metric, c.subjects, c.direction, c.value, c.unit, c.qualifier, c.window) for c in claims]
    assert got == [
        ("breadth", ("TAO", "NEAR", "ICP", "RENDER"), "down", -20.0, "pct", "more_than", None),
        ("price_change", ("TAO",), "down", -23.0, "pct", "exact", "1d"),
        ("price_level", ("TAO",), None, 164.0, "USD", "about", "1d"),
        ("price_change", ("NEAR",), "down", -25.4, "pct", "exact", "1d"),
        ("market_cap_change", ("ai-crypto",), "down", -42.0, "pct", "more_than", "24h"),
        ("market_cap_level", ("ai-crypto",), None, 12e9, "USD", "about", "24h"),
        ("event_figure", ("GOOGL", "AMZN"), None, 500e9, "USD", "up_to", None),
        ("price_change", ("MSFT",), "down", -8.0, "pct", "more_than", "5d"),
        ("price_change", ("AMD",), "down", -18.5, "pct", "exact", "5d"),
        ("price_change", ("NVDA",), "down", -10.0, "pct", "exact", "5d"),
        ("price_change", ("BTC",), "down", -18.0, "pct", "more_than", "1d"),
        ("liquidations", (), None, 2.6e9, "USD", "about", "1d"),
    ]
    assert all(c.date == D and c.lang == "de" for c in claims)
    assert [c.id for c in claims] == [f"C{i}" for i in range(1, 13)]
    assert claims[0].share == 0.75                                   # "im Allgemeinen"
    assert claims[1].related == ("C3",) and claims[2].related == ("C2",)
    assert claims[10].earlier and claims[11].earlier                 # "Zuvor"
    assert claims[6].kind == "event_figure" and claims[6].subject_kind == "asset"
    assert text[claims[3].span[0]:claims[3].span[1]] == "25,4 %"
    assert claims[3].sentence.startswith("Laut den Daten")
    # without a publication date the explicit "6. Februar" has no year: no date rather than a guess
    assert extract_claims(text, uni)[0].date is None


@pytest.mark.parametrize("text, expected", [
    ("AMD und NVIDIA sind um 18,5 % bzw. 10 % gefallen.",
     [("price_change", ("AMD",), -18.5, "pct", "exact", None), ("price_change", ("NVDA",), -10.0, "pct", "exact", None)]),
    ("Bittensor (TAO) fiel an einem einzigen Tag um 23 % auf etwa 164 US-Dollar.",
     [("price_change", ("TAO",), -23.0, "pct", "exact", "1d"), ("price_level", ("TAO",), 164.0, "USD", "about", "1d")]),
    ("In den letzten 24 Stunden ist die Marktkapitalisierung von KI-Kryptowährungen um mehr als 42 % auf etwa "
     "12 Mrd. US-Dollar geschrumpft.",
     [("market_cap_change", ("ai-crypto",), -42.0, "pct", "more_than", "24h"),
      ("market_cap_level", ("ai-crypto",), 12e9, "USD", "about", "24h")]),
    ("Zuvor fiel Bitcoin an einem einzigen Tag um mehr als 18 %, was etwa 2,6 Milliarden Dollar an gehebelten "
     "Liquidationen auslöste.",
     [("price_change", ("BTC",), -18.0, "pct", "more_than", "1d"), ("liquidations", (), 2.6e9, "USD", "about", "1d")]),
    ("Microsoft ist in den letzten fünf Tagen um fast 8 % gefallen.",
     [("price_change", ("MSFT",), -8.0, "pct", "nearly", "5d")]),
    ("Near Protocol legte rund 5 Prozent zu.", [("price_change", ("NEAR",), 5.0, "pct", "about", None)]),
    ("Alphabet und Amazon planen Investitionen von bis zu 500 Milliarden US-Dollar.",
     [("event_figure", ("GOOGL", "AMZN"), 500e9, "USD", "up_to", None)]),
])
def test_german_sentences(uni, text, expected):
    assert _x(text, uni) == expected


@pytest.mark.parametrize("text, expected", [
    ("Bittensor (TAO) fell 23% in a single day to about $164, while Near Protocol dropped 25.4%.",
     [("price_change", ("TAO",), -23.0, "pct", "exact", "1d"), ("price_level", ("TAO",), 164.0, "USD", "about", "1d"),
      ("price_change", ("NEAR",), -25.4, "pct", "exact", "1d")]),
    ("In the last 24 hours the total market cap of AI cryptocurrencies shrank by more than 42% to about $12 billion.",
     [("market_cap_change", ("ai-crypto",), -42.0, "pct", "more_than", "24h"),
      ("market_cap_level", ("ai-crypto",), 12e9, "USD", "about", "24h")]),
    ("Microsoft fell more than 8% over five days; AMD and NVIDIA fell 18.5% and 10%, respectively.",
     [("price_change", ("MSFT",), -8.0, "pct", "more_than", "5d"), ("price_change", ("AMD",), -18.5, "pct", "exact", "5d"),
      ("price_change", ("NVDA",), -10.0, "pct", "exact", "5d")]),
    ("Earlier, Bitcoin fell more than 18% in a single day, triggering about $2.6bn of leveraged liquidations.",
     [("price_change", ("BTC",), -18.0, "pct", "more_than", "1d"), ("liquidations", (), 2.6e9, "USD", "about", "1d")]),
    ("Internet Computer rose nearly 3% to 1,234.5 US-Dollar.",
     [("price_change", ("ICP",), 3.0, "pct", "nearly", None), ("price_level", ("ICP",), 1234.5, "USD", "exact", None)]),
    ("TAO, NEAR, ICP and Render Network generally fell more than 20% in the last 24 hours.",
     [("breadth", ("TAO", "NEAR", "ICP", "RENDER"), -20.0, "pct", "more_than", "24h")]),
    ("Amazon said capex could reach up to $200 billion in 2026.",
     [("event_figure", ("AMZN",), 200e9, "USD", "up_to", None)]),
])
def test_english_sentences(uni, text, expected):
    assert _x(text, uni) == expected


def test_dates_language_and_plain_numbers(uni):
    c = extract_claims("On February 4, Bitcoin fell about 7%. The year 2026 has 365 days.", uni, ref_date=D)
    assert len(c) == 1 and c[0].date == dt.date(2026, 2, 4) and c[0].lang == "en"
    c = extract_claims("Gestern fiel Bitcoin um 7 %.", uni, ref_date=D)
    assert c[0].date == dt.date(2026, 2, 5) and c[0].lang == "de"
    c = extract_claims("Am 3. Februar 2025 fiel Bitcoin um 7 %.", uni, ref_date=D)
    assert c[0].date == dt.date(2025, 2, 3)
    # a breadth claim without "generally" needs every subject
    assert extract_claims("TAO und NEAR fielen um mehr als 20 %.", uni, ref_date=D)[0].share == 1.0


# ------------------------------------------------------------------------------------------ evidence
def _hourly(asset, pieces, source="binance", lows=None):
    rows = []
    for a, b, px in pieces:
        for ts in pd.date_range(a, b, freq="1h", tz="UTC"):
            rows.append({"asset": asset, "interval": "1h", "ts": ts, "source": source, "open": px, "high": px,
                         "low": (lows or {}).get(ts.strftime("%Y-%m-%d %H:%M"), px), "close": px})
    return pd.DataFrame(rows)


def _tao(source="binance"):
    # UTC day Feb 6: 180 -> 160 (-11.1 %); Feb 5: 200 -> 180 (-10 %); 24 h to Feb 6 12:00: 200 -> 160 (-20 %);
    # intraday low Feb 6: 150 (-16.7 % from 180)
    return _hourly("TAO", [("2026-02-04 00:00", "2026-02-05 11:00", 200.0), ("2026-02-05 12:00", "2026-02-05 23:00", 180.0),
                           ("2026-02-06 00:00", "2026-02-06 09:00", 170.0), ("2026-02-06 10:00", "2026-02-06 23:00", 160.0)],
                   source=source, lows={"2026-02-06 10:00": 150.0})


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
    assert v.status == "contradicted" and v.data_value == pytest.approx(-11.111, abs=1e-3)
    assert "rolling_24h" in v.reason  # a reading the words do not select would fit; said, not used

    v = _one("TAO fiel in den letzten 24 Stunden um 20 %.", uni, ev)[0]
    assert v.status == "supported" and v.used.name == "rolling_24h"

    v = _one("TAO fiel an einem einzigen Tag um mehr als 10 %.", uni, ev)[0]
    assert v.status == "supported"                                    # -11.1 <= -10
    v = _one("TAO stieg an einem einzigen Tag um 11 %.", uni, ev)[0]
    assert v.status == "contradicted"                                 # wrong direction

    v = _one("TAO fiel an einem einzigen Tag um 11 % auf etwa 155 US-Dollar.", uni, ev)
    assert v[1].claim.metric == "price_level" and v[1].status == "supported"   # 160 within 10 % of 155
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
    assert v.status == "contradicted" and v.data_value == 50.0
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


def test_table_and_html_escape(uni):
    text = "<script>alert('x')</script> TAO fiel an einem einzigen Tag um 11 % & mehr."
    claims = extract_claims(text, uni, ref_date=D)
    verdicts = verify_claims(claims, Evidence(universe=uni, bars=_tao()))
    df = verdicts_table(verdicts)
    assert list(df["status"]) == ["supported"] and df.loc[0, "subject"] == "TAO"
    html = render_claims_html(text, claims, verdicts)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; mehr" in html
    assert 'class="v-supported"' in html and ">11 %</mark>" in html


def test_check_command_json_and_html(tmp_path, shared_reference):
    import json

    import typer
    from typer.testing import CliRunner

    from selloff.cli_check import check

    app = typer.Typer()
    app.command()(check)
    src = shared_reference / "news-2026-02-06-ai-crypto-selloff.de.txt"
    html = tmp_path / "out.html"
    res = CliRunner().invoke(app, [str(src), "--store", str(tmp_path / "none.duckdb"), "--json", "--html-out", str(html)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out) == 12 and out[0]["claim"]["date"] == "2026-02-06"      # date taken from the file name
    assert {v["status"] for v in out} <= {"unverifiable", "inconsistent"}  # empty store: nothing supported
    assert out[4]["status"] == "inconsistent" and out[1]["fetch"].startswith("selloff fetch --assets TAO")
    assert "<mark" in html.read_text(encoding="utf-8")
    res = CliRunner().invoke(app, [str(src), "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0 and "C12" in res.output


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


def test_check_bad_iso_time_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from selloff.cli import app

    news = tmp_path / "n.txt"
    news.write_text("TAO fiel an einem einzigen Tag um 11 %.", encoding="utf-8")
    r = CliRunner().invoke(app, ["check", str(news), "--date", "2026-02-06Tx", "--store", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2
    assert "--date" in r.output and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_long_window_reads_enough_history(tmp_path, uni):
    """A '30 days' claim needs bars from 31 days back; the evidence must be read that far."""
    from selloff.cli_check import load_evidence
    from selloff.store import Store

    days = pd.date_range("2025-11-01", "2026-02-08", freq="D", tz="UTC")
    closes = [100.0] * len(days)
    closes[list(days).index(pd.Timestamp("2026-02-06", tz="UTC"))] = 60.0
    with Store(tmp_path / "s.duckdb") as db:
        db.upsert("bars", pd.DataFrame({"asset": "TAO", "interval": "1d", "ts": days, "source": "binance", "close": closes}))
    claims = extract_claims("TAO fell about 40% over the past 30 days.", uni, ref_date=D)
    ev = load_evidence(tmp_path / "s.duckdb", claims, uni)
    v = verify_claims(claims, ev)[0]
    assert v.status == "supported", v.reason


@pytest.mark.parametrize("text, metrics", [
    ("Die Marktkapitalisierung von TAO sank am 6. Februar 2026 um 10 Prozent auf 1,5 Mrd. US-Dollar.",
     ["market_cap_change", "market_cap_level"]),
    ("On February 6, 2026 TAO fell 12% to a $1.2 billion market cap.", ["market_cap_change", "market_cap_level"]),
])
def test_cap_words_anywhere_in_the_clause(uni, text, metrics):
    claims = extract_claims(text, uni, ref_date=D)
    assert [c.metric for c in claims] == metrics
    assert claims[0].subjects == ("TAO",) and claims[0].value < 0


def test_rebound_is_up(uni):
    claims = extract_claims("On February 6, 2026 TAO fell 20%, then rebounded 5%.", uni, ref_date=D)
    assert [(c.direction, c.value) for c in claims] == [("down", -20.0), ("up", 5.0)]
