"""The provider's own category cap next to ours, in the report text (EN and DE), with the baskets' difference."""
from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from selloff import api
from selloff.report.findings import build_findings
from selloff.report.writer import render_text
from selloff.store import Store

from .conftest import REPORT_DATE, SECTOR

NUM = re.compile(r"\d+(?:[.,:]\d+)*")


@pytest.fixture(scope="module")
def with_category(tmp_path_factory, demo_store_path, universe):
    path = tmp_path_factory.mktemp("cat") / "demo.duckdb"
    shutil.copy(demo_store_path, path)
    ts0, ts1 = pd.Timestamp("2026-02-06 00:00", tz="UTC"), pd.Timestamp("2026-02-07 00:00", tz="UTC")
    rows = pd.DataFrame({
        "provider": "coingecko", "category": "artificial-intelligence", "ts": [ts0, ts1], "source": "coingecko",
        "name": "Artificial Intelligence (AI)", "market_cap_usd": [30e9, 18e9],
        # the provider's list holds a coin we do not count and lacks one of ours
        "members": "bittensor,near,internet-computer,some-ai-coin",
    })
    with Store(path) as db:
        db.upsert("category_caps", rows, what="test")
        a = api.analyse(db, universe, SECTOR, REPORT_DATE)
    return a


def test_category_comparison_computed(with_category):
    cc = with_category.category_comparison
    assert cc is not None
    assert cc.provider_change_pct == pytest.approx(100 * (18 / 30 - 1))  # two snapshots at the window's ends
    assert cc.diff_pp == pytest.approx(with_category.cap_change.change_pct - cc.provider_change_pct)
    assert "some-ai-coin" in cc.only_provider


@pytest.mark.parametrize("lang", ["en", "de"])
def test_sentence_numbers_from_the_finding(with_category, names, lang):
    findings = build_findings(with_category)
    f = next(x for x in findings if x.id == "provider_cap")
    text, fmt = render_text(findings, with_category, lang, names)
    para = next(p for p in text.split("\n") if "artificial-intelligence" in p)
    shown = fmt.pct(f.value)
    assert shown in para and fmt.pp(f.comparison["diff_pp"], signed=False) in para
    assert "some-ai-coin" in para
    allowed = {t for s in fmt.emitted for t in NUM.findall(s)}
    orphans = [t for t in NUM.findall(para) if t not in allowed]
    assert not orphans, orphans
