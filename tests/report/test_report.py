"""The market report on the simulated demo store, 2026-02-06 (the scripted AI-crypto episode), EN and DE.

Numbers in the text are parsed back out and compared with the findings they came from; every number token of the
narrative must be one the Formatter emitted (no orphan numbers).
"""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from selloff import api
from selloff.report.findings import build_findings
from selloff.report.writer import LABELS, render_text, write_report
from selloff.store import Store

from .conftest import REPORT_DATE, SECTOR

LANGS = ("en", "de")
SIM = {"en": "SIMULATED DATA", "de": "SIMULIERTE DATEN"}
NUM = re.compile(r"\d+(?:[.,:]\d+)*")
STEM = f"{SECTOR}_{REPORT_DATE}"


@pytest.fixture(scope="module")
def panel(demo_store_path, universe):
    from selloff.pipeline.analysis import day_panel

    with Store(demo_store_path, read_only=True) as db:
        return day_panel(db, universe, SECTOR, REPORT_DATE, 730)


@pytest.fixture(scope="module")
def analysis(demo_store_path, universe):
    with Store(demo_store_path, read_only=True) as db:
        return api.analyse(db, universe, SECTOR, REPORT_DATE)


@pytest.fixture(scope="module")
def explanation(demo_store_path, universe):
    return api.explain(demo_store_path, universe, SECTOR, REPORT_DATE)


@pytest.fixture(scope="module")
def scenario(panel, universe):
    from selloff.pipeline.report import scenario_of

    return scenario_of(panel, universe, SECTOR, REPORT_DATE)


@pytest.fixture(scope="module")
def findings(analysis, explanation, scenario):
    return build_findings(analysis, explanation, scenario)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, analysis, findings, names) -> Path:
    out = tmp_path_factory.mktemp("report")
    written = write_report(analysis, findings, names, out, list(LANGS), ["md", "html", "json"])
    assert sorted(p.name for p in written) == sorted(f"{STEM}.{lg}.{ext}" for lg in LANGS for ext in ("md", "html", "json"))
    return out


@pytest.fixture(scope="module")
def by_id(findings):
    return {f.id: f for f in findings}


def narrative(md: str, lang: str) -> str:
    """The Markdown before the figures section: the part written from findings."""
    head = f"## {LABELS[lang]['figures']}"
    assert head in md
    return md.split(head, 1)[0]


def to_float(s: str, lang: str) -> float:
    s = s.replace("\u2212", "-")
    return float(s.replace(".", "").replace(",", ".") if lang == "de" else s.replace(",", ""))


# -- files, figures, labels -----------------------------------------------------------------------------------
def test_analysis_is_the_scripted_episode(analysis):
    assert analysis.simulated
    assert analysis.date == pd.Timestamp(REPORT_DATE)
    assert analysis.sector_ret_1d < -0.10 and analysis.episode is not None


@pytest.mark.parametrize("lang", LANGS)
def test_all_files_written(report_dir, lang):
    for ext in ("md", "html", "json"):
        p = report_dir / f"{STEM}.{lang}.{ext}"
        assert p.is_file() and p.stat().st_size > 500


@pytest.mark.parametrize("lang", LANGS)
def test_figures_exist_and_have_alt_text(report_dir, lang):
    pngs = sorted((report_dir / "figures").glob(f"*.{lang}.png"))
    assert len(pngs) >= 2
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    imgs = _imgs((report_dir / f"{STEM}.{lang}.html").read_text(encoding="utf-8"))
    assert len(imgs) == len(pngs)
    for attrs in imgs:
        assert (attrs.get("alt") or "").strip(), attrs.get("alt")
        assert (attrs.get("src") or "").startswith("data:image/png;base64,")  # self-contained
    md = (report_dir / f"{STEM}.{lang}.md").read_text(encoding="utf-8")
    md_imgs = re.findall(r"!\[([^\]]*)\]\(figures/([^)]+)\)", md)
    assert len(md_imgs) == len(pngs)
    for alt, name in md_imgs:
        assert alt.strip()
        assert (report_dir / "figures" / name).is_file()


def _imgs(html: str) -> list[dict]:
    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.imgs: list[dict] = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.imgs.append(dict(attrs))

    p = P()
    p.feed(html)
    return p.imgs


@pytest.mark.parametrize("lang", LANGS)
def test_headline_and_footer_say_simulated_md(report_dir, lang):
    lines = [ln for ln in (report_dir / f"{STEM}.{lang}.md").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert lines[0].startswith("# [" + SIM[lang])
    assert SIM[lang] in lines[-1]
    assert LABELS[lang]["footer"] in lines[-1]


@pytest.mark.parametrize("lang", LANGS)
def test_headline_and_footer_say_simulated_html(report_dir, lang):
    html = (report_dir / f"{STEM}.{lang}.html").read_text(encoding="utf-8")
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert SIM[lang] in h1
    assert SIM[lang] in re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    footer = re.search(r"<footer>(.*?)</footer>", html, re.S).group(1)
    assert SIM[lang] in footer
    assert html.index('class="sim"') < html.index("<h1>")  # the banner comes before everything else


# -- numbers come from findings -------------------------------------------------------------------------------
PATTERNS = {
    "en": {
        "sector_move": r"The cap-weighted AI crypto index fell ([\d.,]+)% on",
        "equal_weighted": r"equal-weighted it fell ([\d.,]+)%",
        "sector_cap": r"market cap shrank ([\d.,]+)% in 24 hours",
        "macro_btc": r"Bitcoin fell ([\d.,]+)% on the day",
        "episode": r"the index lost ([\d.,]+)%",
        "mover": r"^- .+? \(([A-Z0-9]+)\): ([\u2212+][\d.,]+)% ",
    },
    "de": {
        "sector_move": r"Der marktkapitalisierungsgewichtete KI-Krypto-Index fiel am [^()]+? um ([\d.,]+)\u00a0%",
        "equal_weighted": r"gleichgewichtet fiel er um ([\d.,]+)\u00a0%",
        "sector_cap": r"schrumpfte binnen 24 Stunden um ([\d.,]+)\u00a0%",
        "macro_btc": r"Bitcoin fiel an diesem Tag um ([\d.,]+)\u00a0%",
        "episode": r"verlor der Index ([\d.,]+)\u00a0%",
        "mover": r"^- .+? \(([A-Z0-9]+)\): ([\u2212+][\d.,]+)\u00a0% ",
    },
}


@pytest.mark.parametrize("lang", LANGS)
def test_sector_numbers_equal_findings(report_dir, by_id, lang):
    text = narrative((report_dir / f"{STEM}.{lang}.md").read_text(encoding="utf-8"), lang)
    P = PATTERNS[lang]
    expected = {
        "sector_move": by_id["sector_move"].value,
        "equal_weighted": by_id["sector_move"].comparison["equal_weighted_pct"],
        "sector_cap": by_id["sector_cap"].value,
        "macro_btc": by_id["macro_btc"].value,
        "episode": by_id["episode"].value,
    }
    for key, value in expected.items():
        m = re.search(P[key], text)
        assert m, f"{key} sentence not found in the {lang} report"
        # the verbs say the direction ("fell", "shrank", "lost"), the number is the magnitude
        assert value < 0
        assert to_float(m.group(1), lang) == pytest.approx(round(abs(value), 1), abs=1e-9), key


@pytest.mark.parametrize("lang", LANGS)
def test_top_movers_equal_findings(report_dir, findings, by_id, lang):
    text = narrative((report_dir / f"{STEM}.{lang}.md").read_text(encoding="utf-8"), lang)
    lines = re.findall(PATTERNS[lang]["mover"], text, re.M)
    worst = sorted((f for f in findings if f.kind == "asset_move"), key=lambda f: f.value)[: len(lines)]
    assert len(lines) >= 3
    assert [asset for asset, _ in lines] == [f.subjects[0] for f in worst]  # the largest falls, in order
    for asset, shown in lines:
        assert to_float(shown, lang) == pytest.approx(round(by_id[f"move_{asset}"].value, 1), abs=1e-9), asset


@pytest.mark.parametrize("lang", LANGS)
def test_no_orphan_numbers(report_dir, analysis, findings, names, lang):
    text, fmt = render_text(findings, analysis, lang, names)
    md = (report_dir / f"{STEM}.{lang}.md").read_text(encoding="utf-8")
    plain = md.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")  # Markdown escapes data values
    assert plain.startswith(text.rstrip())  # the file's narrative is this rendering
    allowed = {tok for s in fmt.emitted for tok in NUM.findall(s)}
    # text taken verbatim from the data, not computed: asset ids and names, event headlines, and the measurement
    # definitions (a finding's alignment, e.g. "00:00-24:00 UTC", "16:00 New York") that the appendix prints
    verbatim = [*names, *names.values(), *(f.alignment for f in findings),
                *(str(f.extra.get("headline", "")) for f in findings if f.kind == "trigger_event")]
    verbatim_tokens = {tok for s in verbatim for tok in NUM.findall(s)}
    orphans = [(tok, text[max(0, m.start() - 30): m.end() + 10]) for m in NUM.finditer(narrative(md, lang))
               if (tok := m.group()) not in allowed and tok not in verbatim_tokens]
    assert not orphans, orphans
    assert len(allowed) > 20  # the check compared against something


# -- escaping -------------------------------------------------------------------------------------------------
XSS = "<script>alert(1)</script>"


def test_html_escapes_event_headlines(tmp_path, demo_store_path, universe, names):
    path = tmp_path / "xss.duckdb"
    shutil.copyfile(demo_store_path, path)
    with Store(path) as db:
        db.upsert("events", pd.DataFrame([{
            "ts": pd.Timestamp("2026-02-06 09:00", tz="UTC"), "entity": "NVDA", "kind": "macro", "headline": XSS,
            "source": "test", "url": None, "assets": "NVDA", "fetched_at": pd.Timestamp("2026-02-06 10:00", tz="UTC"),
        }]), what="test event")
        a = api.analyse(db, universe, SECTOR, REPORT_DATE)
    f = build_findings(a)
    assert any(x.kind == "trigger_event" and x.extra["headline"] == XSS for x in f)
    (p,) = write_report(a, f, names, tmp_path / "out", ["en"], ["html"])
    html = p.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


# -- JSON -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_json_has_findings_with_provenance(report_dir, findings, lang):
    doc = json.loads((report_dir / f"{STEM}.{lang}.json").read_text(encoding="utf-8"))
    assert doc["lang"] == lang and doc["simulated"] is True
    assert doc["sector"] == SECTOR and doc["date"] == REPORT_DATE
    assert [d["id"] for d in doc["findings"]] == [f.id for f in findings]
    for d, f in zip(doc["findings"], findings):
        assert d["kind"] == f.kind and d["unit"] == f.unit
        if f.unit != "text":
            assert d["value"] == pytest.approx(f.value, rel=1e-12)
        prov = d["provenance"]
        srcs = prov.get("sources", prov.get("source"))
        flat = {s for v in srcs.values() for s in (v or [])} if isinstance(srcs, dict) else set(srcs if isinstance(srcs, list) else [srcs])
        assert "simulated" in flat, (d["id"], prov)
        assert prov.get("table")
    assert len(doc["figures"]) >= 2 and all(fg["alt"].strip() for fg in doc["figures"])
    assert SIM[lang] in doc["text"]


# -- PDF (a few seconds: once) --------------------------------------------------------------------------------
def test_pdf(tmp_path, analysis, findings, names):
    from pypdf import PdfReader

    (p,) = write_report(analysis, findings, names, tmp_path, ["de"], ["pdf"])
    reader = PdfReader(str(p))
    assert len(reader.pages) > 0
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert analysis.sector_name_de in text  # "KI-Krypto", from the headline
    assert "SIMULIERTE DATEN" in text
    # issue 12: the body first on portrait pages, the appendix on landscape pages after it
    shapes = [float(pg.mediabox.width) > float(pg.mediabox.height) for pg in reader.pages]
    assert not shapes[0] and shapes[-1] and shapes == sorted(shapes)


# -- explanation paragraphs: contagion, dependency, attribution, scenario ---------------------------------------
def test_explanation_findings_present_with_window_alignment_provenance(findings, explanation):
    kinds = {f.kind for f in findings}
    assert {"contagion", "dependency", "attribution", "scenario"} <= kinds
    for f in findings:
        if f.kind in ("contagion", "dependency", "attribution", "scenario"):
            assert f.window_start <= f.window_end, f.id
            assert f.provenance.get("table") and f.provenance.get("sources"), f.id
            if f.kind != "scenario":  # the what-if is the stress engine's, not the explanation's
                assert explanation.alignment in f.alignment, f.id
    by = {f.id: f for f in findings}
    dec = explanation.tables["decomposition"].loc["SECTOR_EW"]
    assert by["attr_total"].value == pytest.approx(100 * dec["total"], rel=1e-12)
    parts = by["attr_market"].value + by["attr_equity"].value + by["attr_specific"].value
    assert parts == pytest.approx(by["attr_total"].value, abs=1e-9)
    assert by["spill_total"].value == pytest.approx(explanation.tables["spillover"].loc["To incl. own", "From others"], rel=1e-12)
    assert by["granger"].comparison["significant"] == (by["granger"].value < 0.05)


def test_findings_without_explanation_leave_those_sections_out(analysis, names):
    f = build_findings(analysis)
    assert not {x.kind for x in f} & {"contagion", "dependency", "attribution", "scenario"}
    text, _ = render_text(f, analysis, "en", names)
    assert "## Contagion" not in text or "Diebold" not in text
    assert "stress scenario" not in text and "What drove the fall" not in text


XPAT = {
    "en": {
        "spill_total": r"([\d.,]+)% of the forecast-error variance came from spillovers",
        "corr_30s": r"rose from [\d.,]+ on [^)]+? to ([\d.,]+) on",
        "attr_market": r"splits the move into \u2212([\d.,]+)\u00a0pp from Bitcoin",
        "attr_specific": r"and \u2212([\d.,]+)\u00a0pp specific to the sector",
        "scen_sector": r"sector's next move at \u2212([\d.,]+)%",
        "granger_p": r"lowest p = (\d+\.\d+)",
    },
    "de": {
        "spill_total": r"gingen ([\d.,]+)\u00a0% der Prognosefehlervarianz",
        "corr_30s": r"stieg von [\d.,]+ am [^)]+? auf ([\d.,]+) am",
        "attr_market": r"zerlegt die Bewegung in \u2212([\d.,]+)\u00a0Pp\. aus der Bewegung von Bitcoin",
        "attr_specific": r"und \u2212([\d.,]+)\u00a0Pp\., die dem Sektor eigen",
        "scen_sector": r"weitere Bewegung von \u2212([\d.,]+)\u00a0%",
        "granger_p": r"kleinster p-Wert (\d+,\d+)",
    },
}


@pytest.mark.parametrize("lang", LANGS)
def test_explanation_numbers_equal_findings(report_dir, by_id, lang):
    text = narrative((report_dir / f"{STEM}.{lang}.md").read_text(encoding="utf-8"), lang)
    digits = {"corr_30s": 2, "granger_p": 2}
    expected = {"spill_total": by_id["spill_total"].value, "corr_30s": by_id["corr_30s"].value,
                "attr_market": by_id["attr_market"].value, "attr_specific": by_id["attr_specific"].value,
                "scen_sector": by_id["scen_sector"].value, "granger_p": by_id["granger"].value}
    for key, value in expected.items():
        m = re.search(XPAT[lang][key], text)
        assert m, f"{key} sentence not found in the {lang} report"
        assert to_float(m.group(1), lang) == pytest.approx(round(abs(value), digits.get(key, 1)), abs=1e-9), key
    # the 'several pressures' sentence follows from the split, it is not asserted
    several = by_id["attr_total"].comparison["several"]
    phrase = {"en": "several pressures at once", "de": "mehreren Belastungen zugleich"}[lang]
    assert (phrase in text) == several
    assert ("Granger" in text)
    if lang == "de":
        assert re.search(r"\d+,\d\u00a0%", text)  # German decimals through the Formatter


@pytest.mark.parametrize("lang", LANGS)
def test_spillover_heatmap_written(report_dir, lang):
    p = report_dir / "figures" / f"spillover.{lang}.png"
    assert p.is_file() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads((report_dir / f"{STEM}.{lang}.json").read_text(encoding="utf-8"))
    fig = [f for f in doc["figures"] if f["file"].endswith(f"spillover.{lang}.png")]
    assert fig and ("Diebold" in fig[0]["alt"])
    assert len(doc["figures"]) == 5


def test_report_notes_why_explanation_is_missing(tmp_path, analysis, names):
    f = build_findings(analysis)
    (p,) = write_report(analysis, f, names, tmp_path, ["en"], ["md"], notes={"contagion, dependency, attribution, scenario": "left out: not enough history"})
    md = p.read_text(encoding="utf-8")
    assert "Left out or limited, and why" in md and "not enough history" in md
    assert md.index("not enough history") > md.index(f"## {LABELS['en']['appendix']}")
