"""The report's sector connectedness network ("Is it spreading across the market?"): its findings in EN and DE,
the judgement rule on a change inside its bootstrap SE, the one sentence when no network can be computed, the
figure with its source line, and the batched bootstrap against a statsmodels refit of each replicate.

The demo store's scripted sell-off (2026-02-06); references are hand arithmetic, the judgement rule's definition
and statsmodels, never the code's earlier output.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from selloff.errors import DataError
from selloff.report import judgement as J
from selloff.report.findings import build_findings
from selloff.report.format import Formatter
from selloff.report.writer import render_text
from selloff.store import Store

from .conftest import SECTOR

DAY = "2026-02-06"
HEAD = {"en": "## Is it spreading across the market?", "de": "## Greift es auf andere Sektoren über?"}


@pytest.fixture(scope="module")
def panel(demo_store_path, universe):
    from selloff.pipeline.analysis import day_panel

    with Store(demo_store_path, read_only=True) as db:
        return day_panel(db, universe, SECTOR, DAY, 730, later=True)


@pytest.fixture(scope="module")
def base(panel, universe):
    from selloff.pipeline.analysis import analysis_of
    from selloff.pipeline.report import network_view

    return analysis_of(panel, universe, SECTOR, DAY), network_view(panel, universe, SECTOR, DAY)


def _section(findings, a, lang, names):
    text, fmt = render_text(findings, a, lang, names)
    assert HEAD[lang] in text
    return text.split(HEAD[lang], 1)[1].split("\n## ", 1)[0], fmt


@pytest.mark.parametrize("lang", ["en", "de"])
def test_network_findings_in_both_languages(base, names, lang):
    a, nv = base
    assert nv.error is None and nv.net is not None
    findings = build_findings(a, None, None, None, nv)
    F = {f.id: f for f in findings}
    nt, own = F["network_total"], F[f"netrole_{SECTOR}"]
    assert nt.value == pytest.approx(nv.net.episode.total) and nt.comparison["before_pct"] == pytest.approx(nv.net.pre.total)
    # net = to - from of the episode table, by hand from the DY table's rows
    tab = nv.net.episode
    assert own.value == pytest.approx(float(tab.to[SECTOR] - tab.from_[SECTOR]))
    for f in (nt, own, F["network_edge"]):
        assert f.computed_by == "selloff.analytics.sector_network.sector_network"
        assert f.window_start < f.window_end and f.provenance["sources"] == ["simulated"]
        assert f.extra["alignment_de"] and "Handelstage" in f.extra["alignment_de"]
    sec, fmt = _section(findings, a, lang, names)
    assert fmt.pct(nt.value) in sec and fmt.pct(nt.comparison["before_pct"]) in sec
    assert fmt.pp(own.value) in sec
    top = max((f for f in findings if f.id.startswith("netrole_")), key=lambda f: f.value)
    assert fmt.pp(top.value) in sec


def _with_total_se(nv, se):
    """The demo network with the episode window's bootstrap SE of the total set by hand."""
    boot = dataclasses.replace(nv.net.boot_episode, total_se=se)
    return dataclasses.replace(nv, net=dataclasses.replace(nv.net, boot_episode=boot))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_change_inside_its_se_is_not_called_a_rise(base, names, lang):
    a, nv = base
    diff = nv.net.episode.total - nv.net.pre.total
    wide = _with_total_se(nv, abs(diff) + 1.0)  # the change is inside one SE (change_se_multiple = 1)
    f = {x.id: x for x in build_findings(a, None, None, None, wide)}["network_total"]
    assert J.change_word(nv.net.pre.total, nv.net.episode.total, abs(diff) + 1.0) == "unchanged"
    assert f.comparison["change"] == "unchanged"
    sec, _ = _section(build_findings(a, None, None, None, wide), a, lang, names)
    words = {"en": (" rose ", " fell ", "no measurable change"), "de": (" stieg ", " sank ", "keine belastbare Veränderung")}[lang]
    assert words[0] not in sec and words[1] not in sec and words[2] in sec
    narrow = _with_total_se(nv, abs(diff) / 10)  # well outside: called by its sign
    g = {x.id: x for x in build_findings(a, None, None, None, narrow)}["network_total"]
    assert g.comparison["change"] == ("rose" if diff > 0 else "fell")
    sec, _ = _section(build_findings(a, None, None, None, narrow), a, lang, names)
    assert words[0 if diff > 0 else 1] in sec


def test_net_role_rule_by_hand():
    assert J.net_role(3.2, 3.6, 1.0) == "neither" and J.net_role(-11.3, 4.6, 1.0) == "receiver"
    assert J.net_role(6.2, 4.1, 1.0) == "transmitter" and J.net_role(6.2, 4.1, 2.0) == "neither"
    assert J.net_role(5.0, float("nan"), 1.0) == "unjudged"


@pytest.mark.parametrize("lang, sentence", [
    ("en", "The sector network could not be computed: it needs prices for at least two sectors, and one had them."),
    ("de", "Das Sektornetzwerk ließ sich nicht berechnen: Dafür braucht es Kurse für mindestens zwei Sektoren, "
           "vorhanden waren sie für einen."),
])
def test_cannot_compute_too_few_sectors(base, panel, universe, names, lang, sentence):
    """Only prices of the report's own members that no other sector of the network holds: one sentence says the
    network cannot be computed, and why."""
    from selloff.pipeline.analysis import network_sectors
    from selloff.pipeline.report import network_view

    a, _ = base
    sel = network_sectors(universe, SECTOR)
    elsewhere = {m for k, v in sel.items() if k != SECTOR for m in v}
    own = set(universe.sector(SECTOR).members) - elsewhere
    assert own
    only = dataclasses.replace(panel, bars=panel.bars[panel.bars["asset"].isin(own)],
                               market_caps=panel.market_caps[panel.market_caps["asset"].isin(own)])
    nv = network_view(only, universe, SECTOR, DAY)
    assert isinstance(nv.error, DataError) and nv.net is None
    findings = build_findings(a, None, None, None, nv)
    assert [f.id for f in findings if f.kind == "network"] == ["network_unavailable"]
    sec, _ = _section(findings, a, lang, names)
    assert sec.strip() == sentence


@pytest.mark.parametrize("lang", ["en", "de"])
def test_cannot_compute_too_little_history(base, panel, universe, names, lang):
    """Sixty days of history (as for the real store's young AI tokens): too few common sessions for the window."""
    from selloff.pipeline.report import network_view

    a, _ = base
    d = pd.Timestamp(DAY, tz="UTC")
    short = panel.between(d - pd.Timedelta(days=60), None)
    nv = network_view(short, universe, SECTOR, DAY)
    assert nv.net is None and nv.error.context["code"] == "history"
    have, need = nv.error.context["have"], nv.error.context["need"]
    assert have < need
    sec, _ = _section(build_findings(a, None, None, None, nv), a, lang, names)
    fmt = Formatter(lang)
    assert len(re.findall(r"[.!?](?:\s|$)", sec.strip())) == 1  # one sentence
    assert fmt.count(have) in sec and fmt.count(need) in sec
    assert ("could not be computed" if lang == "en" else "ließ sich nicht berechnen") in sec


def test_network_figure_has_a_source_line(base, tmp_path):
    from selloff.report.figures import make_figures

    a, nv = base
    findings = build_findings(a, None, None, None, nv)
    figs = {f.key: f for f in make_figures(a, ["en", "de"], tmp_path, findings)["en"]}
    fig = figs["sector_network"]
    assert fig.path.is_file() and "bootstrap" in fig.source and "simulated" in fig.source
    assert Formatter("en").count(nv.net.params.window) in fig.source


def test_bootstrap_matches_a_statsmodels_refit_of_each_replicate():
    from statsmodels.tsa.api import VAR

    from selloff.analytics.fevd import fevd, spillover_measures
    from selloff.analytics.spillover_bootstrap import bootstrap_samples, spillover_bootstrap, var_ols

    rng = np.random.default_rng(7)
    n, k = 150, 3
    y = np.zeros((n, k))
    for t in range(1, n):
        y[t] = 0.3 * y[t - 1] + rng.standard_normal(k) @ np.array([[1, 0.3, 0], [0, 1, 0.2], [0, 0, 1]])
    df = pd.DataFrame(y, columns=list("abc"))
    samples = bootstrap_samples(y, 1, 5, 3)
    assert np.allclose(samples[:, :1], y[:1])
    const, coefs, sigma, _ = var_ols(samples, 1)
    totals = []
    for r in range(5):
        res = VAR(samples[r]).fit(1, trend="c")
        assert np.allclose(coefs[r], res.coefs) and np.allclose(sigma[r], res.sigma_u)
        totals.append(spillover_measures(fevd(res.coefs, res.sigma_u, 10, "generalized"))[0])
    b = spillover_bootstrap(df, 1, 10, reps=5, seed=3)
    assert b.total_se == pytest.approx(float(np.std(totals, ddof=1)))
