"""Issue 12, point 6: the German report's appendix (the "Messung" of every finding) and its notes on what was left
out are German, rendered from the codes and parameters the texts were made with (selloff.texts.Text), never by
translating the English; the English stays as it was.

Cases: the demo store's scripted sell-off (2026-02-06, every section present), an early day of the same market
(short history: the spillover, betas and scenario are limited or left out) and hand-made notes whose German is
written out here by hand.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from selloff.errors import ConfigError, DataError
from selloff.pipeline.report import report
from selloff.report.texts_de import DE, de, in_lang
from selloff.report.writer import LABELS, notes_in
from selloff.store import Store
from selloff.texts import Text, reason_of

from .conftest import SECTOR
from .test_desk import BANNED_DE

SRC = Path(__file__).resolve().parents[2] / "src" / "selloff"
ENGLISH = ("session", "close-to-close", "estimated", "left out", "only ", "needs", "correlation", "share of", "the day's",
           " the ", " of ", " and ", "before", "explain:", "simulated", "store", "Speicher")
"""Words that mark English (or tool jargon) in a German measure or note."""


def _english(text: str) -> list[str]:
    """The English markers and the narrative's banned calques (test_desk.BANNED_DE) found in ``text``."""
    return [w for w in ENGLISH if w.lower() in text.lower()] + [w for w in BANNED_DE if w in text]


def _text_codes() -> dict[str, str]:
    """Every ``Text("code", ...)`` made anywhere in the package: code -> file."""
    codes = {}
    for p in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Text" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                codes[node.args[0].value] = str(p.relative_to(SRC))
    return codes


def test_every_text_code_has_its_german():
    codes = _text_codes()
    assert len(codes) > 40
    missing = {c: f for c, f in codes.items() if c not in DE}
    assert not missing, f"add these codes to selloff/report/texts_de.py DE: {missing}"


@pytest.fixture(scope="module")
def reports(demo_store_path, universe, tmp_path_factory):
    """The demo's sell-off day and an early day (little history), EN and DE, as Markdown and JSON."""
    out = {}
    with Store(demo_store_path, read_only=True) as db:
        for key, day in (("fall", "2026-02-06"), ("early", "2025-03-12")):
            d = tmp_path_factory.mktemp(key)
            res = report(db, universe, SECTOR, day, "all", "md,json", d)
            out[key] = (res, {p.name.split(".")[-2] + "." + p.suffix[1:]: p.read_text(encoding="utf-8") for p in res.paths})
    return out


def _appendix(md: str, lang: str) -> tuple[list[list[str]], list[str]]:
    """The appendix rows (cells) and the notes' lines of a Markdown report."""
    part = md.split(f"## {LABELS[lang]['appendix']}", 1)[1]
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in part.splitlines() if ln.startswith("| ")][1:]
    notes = part.split(f"### {LABELS[lang]['notes']}", 1)[1].split("\n\n**", 1)[0] if LABELS[lang]["notes"] in part else ""
    return rows, [ln for ln in notes.splitlines() if ln.startswith("- ")]


def _without_german(findings) -> list[str]:
    """Findings whose measure has no German: a plain str, a code missing from DE, or German with English in it."""
    bad = []
    for f in findings:
        a = f.alignment
        if not isinstance(a, Text) or a.code not in DE or de(a) == str(a) or _english(de(a)):
            bad.append(f.id)
    return bad


def test_a_finding_with_an_english_measure_is_caught():
    import pandas as pd

    from selloff.report.findings import Finding

    t = pd.Timestamp("2026-02-06", tz="UTC")
    ok = Finding("move_X", "asset_move", ("X",), t, t, Text("utc_day", "close-to-close, UTC day (00:00-24:00 UTC)"), 1.0, "pct")
    plain = Finding("net_X", "contagion", ("X",), t, t, "net spillover of the sector", 1.0, "pct")
    unknown = Finding("net_Y", "contagion", ("Y",), t, t, Text("net_new", "net spillover of the sector"), 1.0, "pct")
    assert _without_german([ok, plain, unknown]) == ["net_X", "net_Y"]


@pytest.mark.parametrize("case", ["fall", "early"])
def test_every_finding_has_a_german_measure(reports, case):
    res, _ = reports[case]
    assert not _without_german(res.findings), ("make these findings' measures a selloff.texts.Text with its German in "
                                               "selloff/report/texts_de.py", _without_german(res.findings))
    kinds = {f.kind for f in res.findings}
    if case == "fall":  # the demo's sell-off has every kind of finding but the provider's category cap
        assert kinds >= {"sector_move", "asset_move", "breadth", "equity_move", "liquidations", "trigger_event", "contagion",
                         "attribution", "scenario", "macro_move", "dependency", "coverage", "context", "stabilisation"}


@pytest.mark.parametrize("case", ["fall", "early"])
def test_german_appendix_and_notes_have_no_english(reports, case):
    res, files = reports[case]
    rows, notes = _appendix(files["de.md"], "de")
    assert len(rows) == len(res.findings)
    for r in rows:
        measure, value = r[3], r[1]
        assert not _english(measure), (r[0], measure)
        assert "simulated" not in value and not r[4].startswith("simulated"), r  # headlines and sources
    assert notes and all(not _english(n) for n in notes), [n for n in notes if _english(n)]
    assert res.notes and len(notes) == len(res.notes)
    assert json.loads(files["de.json"])["notes"] == notes_in(res.notes, "de")


def test_english_appendix_and_notes_are_the_english_texts(reports):
    res, files = reports["early"]
    rows, notes = _appendix(files["en.md"], "en")
    assert [r[3] for r in rows] == [str(f.alignment).replace("|", "/") for f in res.findings]
    assert notes == [f"- {k}: {v}" for k, v in res.notes.items()]
    assert json.loads(files["en.json"])["notes"] == res.notes
    assert any(n.startswith("- explain: spillover: only ") for n in notes)  # the early day's short history


def test_early_day_notes_by_hand(reports):
    res, files = reports["early"]
    _, notes = _appendix(files["de.md"], "de")
    n = res.explanation.notes["spillover"].args
    assert f"- Erklärung, Spillover: nur {n['n']} abgeglichene Handelstage; das Spillover-VAR braucht 80" in notes
    # too short a history for the stress engine: the what-if is the OLS-beta propagation, not left out
    assert not any(n.startswith("- Szenario: entfällt") for n in notes)
    assert any(f.id == "scen_sector" and f.comparison.get("method") == "beta" for f in res.findings)


def test_hand_made_notes_in_german():
    notes = {
        "explain: spillover": Text("spillover", "x", method=Text("dy_generalized", "y", lags=2, horizon=10), total=24.06,
                                   n=1248, session=__import__("datetime").date(2026, 2, 6)),
        "explain: granger": Text("granger_short", "only 12 aligned sessions ...", n=12, need=30),
        "scenario": Text("left_out", "left out: boom", reason=reason_of(DataError("boom: no such thing"))),
        "context": Text("left_out", "left out: ...", reason=reason_of(ConfigError(Text(
            "portfolio_empty", "portfolio p is empty ...", source="p")))),
    }
    de_ = notes_in(notes, "de")
    assert de_ == {
        "Erklärung, Spillover": ("Spillover-Index nach Diebold und Yilmaz (2012): VAR(2) per OLS, generalisierte "
                                 "Varianzzerlegung (Pesaran und Shin 1998) über 10 Schritte, Zeilen auf 1 normiert; "
                                 "insgesamt 24,1 % über 1248 Handelstage bis 6. Feb. 2026"),
        "Erklärung, Granger-Tests": "nur 12 abgeglichene Handelstage vor dem Ereignis; Granger-Tests und Vorlaufanalyse brauchen 30",
        "Szenario": "entfällt – Meldung im Original: „boom: no such thing“",  # the last resort: no structured message
        "Kontext": "entfällt – das Portfolio (p) ist leer: kein Wert des Sektors hat eine ausreichend lange Kurshistorie",
    }
    assert notes_in(notes, "en") == {k: str(v) for k, v in notes.items()}  # English unchanged


def test_text_is_its_english_string():
    t = Text("utc_day", "close-to-close, UTC day (00:00-24:00 UTC)")
    assert t == "close-to-close, UTC day (00:00-24:00 UTC)" and json.dumps(t) == json.dumps(str(t))
    import copy
    import pickle

    assert copy.deepcopy(t).code == "utc_day" and pickle.loads(pickle.dumps(t)).code == "utc_day"
    assert in_lang(t, "en") == str(t) and in_lang(t, "de").startswith("Schluss gegen Vortagesschluss")
    assert de(Text("scen_liq", "", shock_pct=-10.0, asset="BTC", holdout_days=None)).startswith(
        "Liquidationskaskade nach einer weiteren Bewegung von BTC um −10,0 %")
    assert de("plain English stays") == "plain English stays"  # the tests above find such strings
    assert not re.search(r"\d\.\d", de(Text("spillover_short", "", n=45, need=80)))
    import datetime as dt

    assert de(Text("weights_stale", "", stale=(("TAO", dt.date(2026, 1, 31)),), none=("WLD",))) == (
        "letzte bekannte Marktkapitalisierung fortgeschrieben für TAO (Stand 31. Jan. 2026); noch keine "
        "Marktkapitalisierung, daher nicht gewichtet: WLD")
    assert de(Text("granger", "", lags=3, grid=Text("grid_utc_day", "", bar="", kind="simple"))).startswith(
        "Granger-F-Tests, Verzögerungen von einem bis drei Handelstagen")
