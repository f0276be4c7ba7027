"""The report's "if it goes on" comes from the stress engine and the leverage-cascade model: one rule per number.

On the simulated demo store, reported on its last stored day (so the report's history end is the store's, the one
``api.stress`` and ``api.cascade`` use): the report's ``scen_sector`` / ``scen_<member>`` are the stress engine's
what-if moves for the same shocks, paths and seed, and ``scen_liq`` is the cascade model's figure for Bitcoin's
shock hitting the next day; the range is the calibration's holdout error band, recomputed here by hand.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from selloff import api
from selloff.analytics.stress.whatif import what_if_table
from selloff.config import defaults, use_config
from selloff.errors import SelloffError
from selloff.pipeline.report import report, scenario_of
from selloff.report.writer import render_text
from selloff.store import Store

from tests.report.conftest import SECTOR, demo_store_path, universe  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def last_day(demo_store_path):
    with Store(demo_store_path, read_only=True) as db:
        bars = db.read("bars", columns=["asset", "interval", "ts"], assets=["BTC"])
    return pd.Timestamp(bars[bars["interval"] == "1d"]["ts"].max()).tz_convert("UTC").date().isoformat()


@pytest.fixture(scope="module")
def rep(demo_store_path, universe, last_day, tmp_path_factory):
    with Store(demo_store_path, read_only=True) as db:
        return report(db, universe, SECTOR, last_day, "en", "json", tmp_path_factory.mktemp("whatif"))


def test_scen_sector_is_the_stress_engines_what_if(rep, demo_store_path):
    F = {f.id: f for f in rep.findings}
    sc = F["scen_sector"].comparison
    shocks = {k: v / 100 for k, v in sc["shocks_pct"].items()}
    cfg = defaults("scenario")
    assert shocks == pytest.approx({"BTC": cfg["market_shock"], "EQ_BASKET": cfg["equity_shock"]}, abs=1e-12)
    assert sc["paths"] == defaults("report")["what_if_paths"] and sc["seed"] == defaults("stress")["seed"]
    res = api.stress(demo_store_path, sector=SECTOR, shocks=shocks, paths=sc["paths"], seed=sc["seed"])
    tab = what_if_table(res)
    assert F["scen_sector"].value == pytest.approx(float(tab.loc["SECTOR_EW", "ret_pct"]), abs=1e-9)
    assert sc["lo_pct"] == pytest.approx(float(tab.loc["SECTOR_EW", "lo_pct"]), abs=1e-9)
    members = [f for f in rep.findings if f.id.startswith("scen_") and f.id not in ("scen_sector", "scen_liq")]
    assert members and all(f.value == pytest.approx(float(tab.loc[f.subjects[0], "ret_pct"]), abs=1e-9) for f in members)
    assert F["scen_sector"].provenance["table"] and F["scen_sector"].provenance["sources"]


def test_scen_liq_is_the_cascade_models_figure(rep, demo_store_path, last_day):
    L = next(f for f in rep.findings if f.id == "scen_liq")
    shock = L.comparison["market_shock_pct"] / 100
    nxt = (pd.Timestamp(last_day) + pd.Timedelta(days=1)).date().isoformat()
    c = api.cascade(demo_store_path, asset="BTC", shock=shock, date=nxt)
    assert L.value == pytest.approx(c.result.total_usd, rel=1e-12)
    assert L.comparison["long_usd"] == pytest.approx(c.result.long_usd, rel=1e-12)
    assert L.comparison["extra_move_pp"] == pytest.approx(c.result.extra_move_pct, abs=1e-12)
    h, f = c.calibration.holdout, float(defaults("cascade")["floor_usd"])
    # by hand: ln((m + f)/(r + f)) = e  =>  r = (m + f)·exp(−e) − f, at the 90 % and 10 % error quantiles
    assert L.comparison["lo_usd"] == pytest.approx(max(0.0, (L.value + f) * math.exp(-h["p90_log_error"]) - f), rel=1e-12)
    assert L.comparison["hi_usd"] == pytest.approx(max(0.0, (L.value + f) * math.exp(-h["p10_log_error"]) - f), rel=1e-12)
    assert L.comparison["under_predicts"] == (h["top_decile_median_log_error"] < defaults("report")["what_if_caveat_log_error"])
    assert L.comparison["simulated"] is True


def test_text_of_the_section_follows_the_findings(rep, universe):
    names = {k: v.name for k, v in universe.assets.items()}
    findings = list(rep.findings)
    L = next(f for f in findings if f.id == "scen_liq")
    for lang, caveat, sim in (("en", "it misses the cascades", "(simulated data)"),
                              ("de", "erfasst das Modell nicht", "(simulierte Daten)")):
        text, _ = render_text(findings, rep.analysis, lang, names)
        assert (caveat in text) == L.comparison["under_predicts"] and sim in text
    # the shock-extrapolation warning appears exactly when the engine flags the shock
    s = next(f for f in findings if f.id == "scen_sector")
    text, _ = render_text(findings, rep.analysis, "en", names)
    assert ("the propagation extrapolates beyond anything in the sample" in text) == s.comparison["extreme"]


@pytest.fixture(scope="module")
def day(demo_store_path, universe, last_day):
    from selloff.pipeline.analysis import analysis_of, day_panel

    with Store(demo_store_path, read_only=True) as db:
        panel = day_panel(db, universe, SECTOR, last_day, 730, later=True)
    return panel, analysis_of(panel, universe, SECTOR, last_day)


def test_an_extreme_shock_is_named_in_sigma(day, universe, last_day, tmp_path):
    from selloff.report.findings import build_findings

    panel, a = day
    cfg = tmp_path / "extreme.toml"
    cfg.write_text("[scenario]\nmarket_shock = -0.6\nequity_shock = -0.3\n[report]\nwhat_if_paths = 500\n", encoding="utf-8")
    with use_config(cfg):
        s = scenario_of(panel, universe, SECTOR, last_day)
        findings = build_findings(a, None, s)
        chk = s.table.attrs["check"]
        assert chk["extreme"] and chk["mahalanobis"] > chk["limit_sigma"]
        names = {k: v.name for k, v in universe.assets.items()}
        text, fmt = render_text(findings, a, "en", names)
        de, fde = render_text(findings, a, "de", names)
    assert f"The shock lies {fmt.sigma(chk['mahalanobis'])} from what the simulated history expects" in text
    assert f"Der Schock liegt {fde.sigma(chk['mahalanobis'])} von dem entfernt" in de


def test_too_little_history_leaves_the_section_out_with_one_sentence(day, universe, last_day, tmp_path):
    from selloff.report.findings import build_findings

    panel, a = day
    cfg = tmp_path / "short.toml"
    cfg.write_text("[stress]\nmin_obs = 100000\n[report]\nwhat_if_short_min_obs = 100000\n", encoding="utf-8")
    with use_config(cfg), pytest.raises(SelloffError, match="what_if_short_min_obs"):
        scenario_of(panel, universe, SECTOR, last_day)
    findings = build_findings(a, None, None)
    assert not [f for f in findings if f.kind == "scenario"]
    names = {k: v.name for k, v in universe.assets.items()}
    for lang, sentence in (("en", "The stress engine could not be run on the price history to this day"),
                           ("de", "Der Stresstest ließ sich auf der Kurshistorie bis zu diesem Tag nicht rechnen")):
        text, _ = render_text(findings, a, lang, names, left_out=("scenario",))
        section = text[text.index("\n## ", text.index(sentence) - 80):]
        assert sentence in text and not any(ch.isdigit() for ch in section.split("\n\n")[1])
        plain, _ = render_text(findings, a, lang, names)
        assert sentence not in plain


def test_demo_what_if_is_the_stress_engines_when_history_suffices(rep):
    sc = next(f for f in rep.findings if f.id == "scen_sector")
    assert sc.comparison["method"] == "engine" and "betas" not in sc.comparison
    assert sc.computed_by == "selloff.analytics.stress.whatif.what_if_table"


def test_short_history_what_if_uses_betas_labelled_with_method_and_sample(day, universe, last_day, tmp_path):
    """No member with more than [stress] min_obs closes: the shocks go through OLS betas on the sessions there are,
    and the text says so, with the sample size; every number of the section is a finding's."""
    import re

    from selloff.report.findings import build_findings

    panel, a = day
    cfg = tmp_path / "short.toml"
    cfg.write_text("[stress]\nmin_obs = 100000\n", encoding="utf-8")
    with use_config(cfg):
        s = scenario_of(panel, universe, SECTOR, last_day)
        findings = build_findings(a, None, s)
    assert s.table.attrs["method"] == "beta" and set(s.shocks) == {"BTC", "EQ_BASKET"}
    F = {f.id: f for f in findings}
    c = F["scen_sector"].comparison
    assert c["method"] == "beta" and c["n_obs"] == s.table.attrs["window"][2] > 30
    assert F["scen_sector"].computed_by == "selloff.analytics.stress.betas.beta_what_if"
    row = s.table.loc["SECTOR_EW"]
    # the propagated move is exp(sum of the propagated betas x ln(1 + shock)) - 1
    moved = sum(c["betas"][f]["used"] * math.log1p(s.shocks[f]) for f in c["propagated"])
    assert F["scen_sector"].value == pytest.approx(100 * math.expm1(moved), rel=1e-9) == pytest.approx(row["ret_pct"])
    names = {k: v.name for k, v in universe.assets.items()}
    num = re.compile(r"\d+(?:[.,:]\d+)*")
    for lang, head, sentence in (("en", "## If it goes on", "factor betas estimated by least squares on the"),
                                 ("de", "## Wenn es weitergeht", "nach der Methode der kleinsten Quadrate geschätzt auf den")):
        text, fmt = render_text(findings, a, lang, names)
        section = text[text.index(head):]
        assert sentence in section and fmt.count(c["n_obs"]) in section
        allowed = {t for e in fmt.emitted for t in num.findall(e)} | {t for n in (*names, *names.values()) for t in num.findall(n)}
        assert not [t for t in num.findall(section) if t not in allowed]
