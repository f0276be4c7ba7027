"""Formatter against Babel's own output (explicit CLDR patterns) and the hedging rules, case by case."""
from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_decimal, format_decimal, format_percent

from selloff.report.format import Formatter, hedge

NBSP = "\u00a0"


def plain(s: str) -> str:
    return s.replace(NBSP, " ").replace("\u202f", " ")


# -- numbers --------------------------------------------------------------------------------------------------
def test_percent_de_matches_babel():
    s = Formatter("de").pct(25.43)
    assert s == format_percent(0.2543, format="#,##0.0\u00a0%", locale="de_DE")
    assert plain(s) == "25,4 %"


def test_percent_en_matches_babel():
    s = Formatter("en").pct(25.43)
    assert s == format_percent(0.2543, format="#,##0.0%", locale="en_US")
    assert s == "25.4%"


def test_percent_magnitude_unless_signed():
    f = Formatter("en")
    assert f.pct(-25.43) == "25.4%"
    assert f.pct(-25.43, signed=True) == "\u221225.4%"  # a real minus sign, not a hyphen
    assert f.pct(3.46, signed=True) == "+3.5%"
    assert plain(Formatter("de").pct(-19.49, signed=True)) == "\u221219,5 %"


def test_percent_thousands_grouping():
    assert Formatter("en").pct(1234.5) == format_percent(12.345, format="#,##0.0%", locale="en_US") == "1,234.5%"
    assert plain(Formatter("de").pct(1234.5)) == "1.234,5 %"


def test_share_is_whole_percent():
    assert plain(Formatter("de").share(0.923)) == plain(format_percent(0.923, format="#,##0\u00a0%", locale="de_DE")) == "92 %"
    assert Formatter("en").share(1.0) == "100%"


def test_sigma_and_count():
    assert plain(Formatter("de").sigma(-4.66)) == format_decimal(4.66, format="#,##0.0", locale="de_DE") + " σ" == "4,7 σ"
    assert Formatter("en").sigma(4.66) == "4.7σ"
    assert Formatter("de").count(12345) == format_decimal(12345, format="#,##0", locale="de_DE") == "12.345"


# -- money ----------------------------------------------------------------------------------------------------
def test_money_billions_de():
    s = Formatter("de").money(12e9)
    assert s == format_compact_decimal(12e9, format_type="short", locale="de_DE", fraction_digits=1) + " US-Dollar"
    assert plain(s) == "12 Mrd. US-Dollar"


def test_money_billions_en():
    s = Formatter("en").money(12e9)
    assert s == format_compact_decimal(12e9, format_type="long", locale="en_US", fraction_digits=1) + " USD"
    assert s == "12 billion USD"


def test_money_one_decimal_compact():
    assert plain(Formatter("de").money(43.3e9)) == "43,3 Mrd. US-Dollar"
    assert Formatter("en").money(2.5e6) == "2.5 million USD"


def test_money_price_exact():
    assert Formatter("de").money(164) == format_decimal(164, format="#,##0", locale="de_DE") + " US-Dollar" == "164 US-Dollar"
    assert Formatter("en").money(164) == "164 USD"
    assert Formatter("en").money(88115) == "88,115 USD"
    assert Formatter("de").money(88115) == "88.115 US-Dollar"


def test_money_three_significant_digits_for_small_prices():
    assert Formatter("en").money(8.93) == "8.93 USD"
    assert Formatter("de").money(0.0512) == "0,0512 US-Dollar"


# -- hedging --------------------------------------------------------------------------------------------------
def test_hedge_rules_by_value():
    assert hedge(164.0, 164.0) is None            # exact
    assert hedge(1000.0, 1000.4) is None          # |rel| = 0.0004 < 0.0005
    assert hedge(161.33, 161.0) == "about"        # |rel| = 0.002
    assert hedge(100.0, 102.0) == "about"         # |rel| = 0.02, the boundary, still "about"
    assert hedge(100.0, 97.0) == "more_than"      # shown below the true value by 3 %
    assert hedge(100.0, 103.0) == "nearly"        # shown above the true value by 3 %
    assert hedge(-100.0, -97.0) == "more_than"    # by magnitude
    assert hedge(0.0, 1.0) is None
    assert hedge(float("nan"), 1.0) is None


def test_money_hedged_about():
    assert Formatter("en").money(161.33) == "about 161 USD"
    assert Formatter("de").money(161.33) == "etwa 161 US-Dollar"
    assert Formatter("en").money(161.33, with_hedge=False) == "161 USD"


def test_money_hedged_more_than_and_nearly():
    # 1.04 billion is shown as "1 billion": 3.8 % below -> "more than"; 1.06 billion as "1.1 billion": 3.8 % above
    assert Formatter("en").money(1.04e9) == "more than 1 billion USD"
    assert plain(Formatter("de").money(1.04e9)) == "mehr als 1 Mrd. US-Dollar"
    assert Formatter("en").money(1.06e9) == "nearly 1.1 billion USD"
    assert plain(Formatter("de").money(1.06e9)) == "fast 1,1 Mrd. US-Dollar"


# -- dates ----------------------------------------------------------------------------------------------------
def test_long_date():
    d = dt.date(2026, 2, 6)
    assert Formatter("de").date("2026-02-06") == format_date(d, format="d. MMMM y", locale="de_DE") == "6. Februar 2026"
    assert Formatter("en").date("2026-02-06") == format_date(d, format="MMMM d, y", locale="en_US") == "February 6, 2026"


def test_datetime_utc():
    t = dt.datetime(2026, 2, 4, 21, 5)
    assert Formatter("en").datetime_utc("2026-02-04 21:05") == format_datetime(t, format="d MMM y, HH:mm", locale="en_US") + " UTC"
    assert Formatter("de").datetime_utc("2026-02-04T21:05:00Z") == format_datetime(t, format="d. MMM y, HH:mm", locale="de_DE") + " UTC"
    assert Formatter("de").datetime_utc("2026-02-04T22:05:00+01:00") == "4. Feb. 2026, 21:05 UTC"


# -- the emission record --------------------------------------------------------------------------------------
def test_emitted_records_every_string():
    f = Formatter("en")
    out = [f.pct(1.0), f.money(2e9), f.date("2026-02-06"), f.sigma(3), f.count(4), f.share(0.5), f.num(1.25)]
    assert f.emitted == out

