"""What a fact-checker sees: the 80-column terminal view (COLUMNS=80), --verbose, --lang, JSON with every reading,
HTML with <html lang>, a paragraph and a chart per claim — German for a German text, English for an English one."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from selloff.check import Evidence, render_claims_html, run_check, verdict_to_dict
from selloff.cli import app
from selloff.store import Store
from tests.check.frames import tao

DE = "TAO fiel an einem einzigen Tag um 20 % auf etwa 158 US-Dollar. TAO fiel an einem einzigen Tag um 45 %."
EN = "TAO fell 20 % in a single day to about $158. TAO fell 45 % in a single day."
CODE_NAMES = re.compile(r"utc_day|rolling_24h|calendar_days|closest_level|trading_days|chart_days|[★✓]")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "s.duckdb"
    with Store(path) as db:
        db.upsert("bars", tao(), what="test TAO")
    return path


def _cli(store, tmp_path, text, *args, columns="80"):
    news = tmp_path / "news-2026-02-06.txt"
    news.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["check", str(news), "--store", str(store), "--date", "2026-02-06T12:00Z", *args],
                             env={"COLUMNS": columns})
    assert res.exit_code == 0, res.output
    return res.output


def test_terminal_view_fits_80_columns_in_the_texts_language(store, tmp_path):
    out = _cli(store, tmp_path, DE)
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 80
    assert "Faktencheck" in out and "stimmt für" in out and "widerlegt" in out and "bestätigt" in out
    assert not CODE_NAMES.search(out)                        # no code names in the default view
    # one row per claim: each id starts exactly one row
    assert sum(1 for x in lines if re.match(r"│ C\d ", x)) == 3
    out_en = _cli(store, tmp_path, EN)
    assert max(len(x) for x in out_en.splitlines()) <= 80
    assert "true for" in out_en and "contradicted" in out_en and "Claim check" in out_en
    forced = _cli(store, tmp_path, DE, "--lang", "en")       # --lang overrides the text's language
    assert "true for" in forced and "Faktencheck" not in forced


def test_verbose_adds_the_readings_table(store, tmp_path):
    out = _cli(store, tmp_path, DE, "--verbose", columns="120")
    assert "Messungen je Aussage" in out and "rolling_24h" in out and "passt" in out
    assert max(len(x) for x in out.splitlines()) <= 120
    assert max(len(x) for x in _cli(store, tmp_path, DE, "--verbose").splitlines()) <= 80


def test_bad_lang_is_one_line(store, tmp_path):
    news = tmp_path / "n.txt"
    news.write_text(DE, encoding="utf-8")
    res = CliRunner().invoke(app, ["check", str(news), "--store", str(store), "--lang", "fr"])
    assert res.exit_code == 2 and "--lang" in res.output and len(res.output.strip().splitlines()) == 1


def test_json_has_every_reading_with_window_source_coverage_and_role(store, tmp_path):
    out = json.loads(_cli(store, tmp_path, DE, "--json"))
    v = out[0]
    assert v["status"] == "window_mismatch" and v["verdict"] == "stimmt für einen anderen Zeitraum"
    assert v["matches"][0]["name"] == "rolling_24h" and v["matches"][0]["matched"]
    for r in v["readings"]:
        assert {"name", "key", "window", "start", "end", "value", "source", "coverage", "selected", "used",
                "matched"} <= set(r)
    assert {r["name"] for r in v["readings"] if r["selected"]} == {"utc_day", "utc_day_prev"}
    assert sum(r["used"] for r in v["readings"]) == 1
    assert out[1]["claim"]["metric"] == "price_level" and out[1]["used"]["name"] == "closest_level"
    assert out[2]["status"] == "contradicted" and not out[2]["matches"]


def test_html_lang_paragraph_and_chart(uni):
    res = run_check(DE, uni, bars=tao(), ref_date="2026-02-06", published_at="2026-02-06T12:00Z")
    html = render_claims_html(DE, list(res.claims), list(res.verdicts), lang=res.lang)
    assert '<html lang="de">' in html and "was die Daten sagen" in html
    assert html.count('class="card"') == 3 and html.count("<svg") == 3 and "<polyline" in html
    assert "vermutlich falsch" in html
    assert render_claims_html(DE, list(res.claims), list(res.verdicts)) == html   # the text's language by default
    en = render_claims_html(DE, list(res.claims), list(res.verdicts), lang="en")
    assert '<html lang="en">' in en and "what the data say" in en
    d = verdict_to_dict(res.verdicts[0], "en")
    assert d["verdict"] == "true for another window" and "probably wrong" in d["summary"]
    assert json.loads(json.dumps(res.to_dict()))["counts"]["window_mismatch"] == 1


def test_words_for_each_verdict_kind_in_both_languages(uni):
    from selloff.check import data_sentence

    ev = Evidence(universe=uni, bars=tao(), published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    # one text per claim: three figures for TAO's same day in one text would be inconsistent with each other
    texts = ["TAO fiel an einem einzigen Tag um 11 %.", "TAO fiel an einem einzigen Tag um 20 %.",
             "TAO fiel an einem einzigen Tag um 45 %.", "NEAR fiel an einem einzigen Tag um 10 %."]
    vs = [run_check(t, uni, ev, ref_date="2026-02-06").verdicts[0] for t in texts]
    assert [v.status for v in vs] == ["supported", "window_mismatch", "contradicted", "unverifiable"]
    de = [data_sentence(v, "de") for v in vs]
    en = [data_sentence(v, "en") for v in vs]
    assert "passt zur Aussage" in de[0] and "consistent with the text" in en[0]
    assert "−11,1 %" in de[0] and "−11.1 %" in en[0]
    assert "kein anderer üblicher Zeitraum" in de[2] and "no other standard window" in en[2]
    assert de[3].startswith("Keine Daten") and "Kurse NEAR" in de[3] and "selloff fetch" in de[3]
    assert en[3].startswith("No data") and "prices NEAR" in en[3]
