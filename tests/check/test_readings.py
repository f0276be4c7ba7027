"""Which rows a claim's readings need: evidence_window and the fetch range."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from selloff.calendar import nyse_sessions
from selloff.check import evidence_window, extract_claims
from selloff.check.readings import claim_days
from selloff.errors import DataError

D = dt.date(2026, 2, 6)


def test_evidence_window_covers_the_close_before_the_first_day(uni):
    claims = extract_claims("TAO fiel an einem einzigen Tag um 11 %.", uni, ref_date=D)
    start, end = evidence_window(claims)
    assert str(start.tz) == "UTC" and str(end.tz) == "UTC"
    # the forensic catalogue reads back its longest window (30 days, since_high_days 30) + 5 days = 35 days,
    # more than the "earlier" look-back of 7 + 1; then 3 days margin: 6 Feb - 38 days = 30 Dec 2025
    assert start == pd.Timestamp("2025-12-30", tz="UTC") and end == pd.Timestamp("2026-02-08", tz="UTC")
    assert claim_days(claims[0]) == (dt.date(2026, 2, 4), dt.date(2026, 2, 7))


def test_evidence_window_counts_trading_days_in_nyse_sessions(uni):
    claims = extract_claims("NVIDIA fiel in den letzten 30 Handelstagen um 10 %.", uni, ref_date=D)
    start, _ = evidence_window(claims)
    # the 30-session reading ending on D-1 starts from the close 30 sessions before D-1's session
    sessions = nyse_sessions("2025-11-01", D - dt.timedelta(days=1)).index
    first_needed = sessions[-31]
    assert start <= pd.Timestamp(first_needed, tz="UTC")


def test_evidence_window_needs_a_date(uni):
    claims = extract_claims("TAO fiel um 11 %.", uni)
    with pytest.raises(DataError, match="no claim has a date"):
        evidence_window(claims)
