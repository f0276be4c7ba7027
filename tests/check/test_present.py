"""Presentation: the verdicts table and the HTML, with the text escaped."""
from __future__ import annotations

import datetime as dt

from selloff.check import Evidence, extract_claims, render_claims_html, verdicts_table, verify_claims
from tests.check.frames import tao as _tao

D = dt.date(2026, 2, 6)


def test_table_and_html_escape(uni):
    text = "<script>alert('x')</script> TAO fiel an einem einzigen Tag um 11 % & mehr."
    claims = extract_claims(text, uni, ref_date=D)
    verdicts = verify_claims(claims, Evidence(universe=uni, bars=_tao()))
    df = verdicts_table(verdicts)
    assert list(df["status"]) == ["supported"] and df.loc[0, "subject"] == "TAO"
    html = render_claims_html(text, claims, verdicts)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; mehr" in html
    assert 'class="v-supported"' in html and ">11 %</mark>" in html
