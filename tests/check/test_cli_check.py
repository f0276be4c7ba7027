"""``selloff check``: JSON and HTML output, one-line errors, enough history read from the store."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from selloff.check import extract_claims, verify_claims

D = dt.date(2026, 2, 6)


def test_check_command_json_and_html(tmp_path, shared_reference):
    import json

    from typer.testing import CliRunner

    from selloff.cli import app
    src = shared_reference / "news-2026-02-06-ai-crypto-selloff.de.txt"
    html = tmp_path / "out.html"
    res = CliRunner().invoke(app, ["check", str(src), "--store", str(tmp_path / "none.duckdb"), "--json", "--html-out", str(html)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    # 12 figures C1..C12 and one statement without a figure (S1: "keine Anzeichen einer kurzfristigen Stabilisierung")
    ids = [v["claim"]["id"] for v in out]
    assert len(out) == 13 and ids.count("S1") == 1 and len([i for i in ids if i.startswith("C")]) == 12
    assert out[ids.index("S1")]["claim"]["metric"] == "stabilisation"
    assert out[0]["claim"]["date"] == "2026-02-06"      # date taken from the file name
    assert {v["status"] for v in out} <= {"unverifiable", "inconsistent"}  # empty store: nothing supported
    assert out[4]["status"] == "inconsistent" and out[1]["fetch"].startswith("selloff fetch --assets TAO")
    assert "<mark" in html.read_text(encoding="utf-8")
    res = CliRunner().invoke(app, ["check", str(src), "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0 and "C12" in res.output


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
    from selloff.pipeline.check import load_evidence
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
