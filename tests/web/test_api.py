"""The dashboard and its JSON API through FastAPI's TestClient: every page in EN and DE, the JSON twins, bad
input (404, 400, 422, 413 as JSON with a message), XSS payloads inert, the CSP, CORS off, writes refused without
--allow-write and the token, numbers equal to those computed by hand from the store's rows."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from selloff.errors import ConfigError
from tests.web.conftest import XSS, make_client

HTML = {"accept": "text/html"}
PAGES = ["/", "/sectors/ai-crypto?date=2026-02-06", "/sectors/xss?date=2026-02-06", "/episodes", "/episodes/ai-crypto_2026-02-06", "/check", "/stress",
         "/alerts", "/docs"]
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html, flags=re.I)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_in_both_languages_without_inline_script(client, path, lang):
    r = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}", headers=HTML)
    assert r.status_code == 200, r.text[:300]
    assert f'<html lang="{lang}">' in r.text
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src.strip() == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    for tag in scripts(r.text):  # every script is a same-origin file or inert JSON data
        assert re.search(r'src="/static/', tag) or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", r.text), "inline event handler"
    assert not re.search(r'(src|href)="(https?:)?//', r.text), "a page links or loads something off its origin"
    assert XSS not in r.text


def test_german_page_uses_german_words_and_number_format(client):
    r = client.get("/sectors/ai-crypto?lang=de&date=2026-02-06", headers=HTML)
    assert "Mitglieder" in r.text and "Sektorbewegung" in r.text
    move = re.search(r'id="sector-move">([^<]+)<', r.text).group(1)
    assert "," in move and "%" in move  # e.g. −21,8 %


def test_lang_is_remembered_in_a_cookie_and_a_bad_one_is_400(demo_store):
    c = make_client(demo_store)
    c.get("/?lang=de", headers=HTML)
    assert '<html lang="de">' in c.get("/episodes", headers=HTML).text
    r = c.get("/api/episodes?lang=xx")
    assert r.status_code == 200  # the API ignores the page language
    r = c.get("/?lang=xx", headers=HTML)
    assert r.status_code == 400 and "lang 'xx'" in r.text


def test_unknown_sector_episode_report_and_path_are_404_json(client):
    for path in ("/api/sectors/nope", "/api/reports/nope_2026-02-06", "/api/reports/ai-crypto_2020-01-01",
                 "/api/reports/garbage", "/api/nothing", "/episodes/ai-crypto_2026-02-06/report.fr.md"):
        r = client.get(path)
        assert r.status_code == 404, path
        body = r.json()
        assert body["status"] == 404 and len(body["error"]) > 20 and "\n" not in body["error"], body
    assert "known: " in client.get("/api/sectors/nope").json()["error"]
    r = client.get("/sectors/nope", headers=HTML)
    assert r.status_code == 404 and "unknown sector" in r.text and "<html" in r.text


@pytest.mark.parametrize("body, fragment", [
    (b"{not json", "JSON"),
    (json.dumps({"txt": "TAO fell"}).encode(), "text"),
    (json.dumps({"text": ""}).encode(), "text"),
    (json.dumps({"text": "TAO fell", "lang": "fr"}).encode(), "lang"),
    (json.dumps({"text": "TAO fell", "date": "yesterday"}).encode(), "date"),
    (json.dumps(["TAO fell"]).encode(), "body"),
])
def test_malformed_check_post_is_422_with_a_message(client, body, fragment):
    r = client.post("/api/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert fragment.lower() in r.json()["error"].lower()


def test_bad_query_parameters_are_422(client):
    assert client.get("/api/sectors/ai-crypto?date=06.02.2026").status_code == 422
    assert client.get("/api/alerts?status=burning").status_code == 422
    assert client.get("/api/alerts?limit=0").status_code == 422


def test_sector_page_defaults_to_the_last_day_in_the_store(client):
    d = client.get("/api/sectors/ai-compute").json()
    assert d["date"] == "2026-03-31"  # the demo market's last day ([simulate] end)


def test_date_outside_the_data_is_a_clear_4xx(client):
    r = client.get("/api/sectors/ai-crypto?date=2019-01-01")
    assert r.status_code == 422 and "outside the stored data" in r.json()["error"]


def test_huge_body_is_413_by_length_and_when_chunked(client):
    limit = client.app.state.settings.max_body_bytes
    r = client.post("/api/check", content=b"x" * (limit + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "max_body_bytes" in r.json()["error"]

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536

    r = client.post("/api/check", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/check", content=b"text=" + b"z" * limit, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_body_limit_comes_from_the_config(demo_store, tmp_path):
    cfg = tmp_path / "web.toml"
    cfg.write_text("[web]\nmax_body_bytes = 100\n", encoding="utf-8")
    c = make_client(demo_store, config=cfg)
    assert c.post("/api/check", json={"text": "TAO " * 40}).status_code == 413
    assert c.post("/api/check", json={"text": "TAO fell"}).status_code == 200


def test_xss_names_are_escaped_on_pages_and_raw_only_in_json(client):
    for path in ("/", "/sectors/xss?date=2026-02-06", "/sectors/ai-crypto?date=2026-02-06"):
        html = client.get(path, headers=HTML).text
        assert XSS not in html
        assert ESCAPED in html or "\\u003cscript\\u003e" in html, path
    api = client.get("/api/sectors/xss?date=2026-02-06")
    assert api.headers["content-type"].startswith("application/json")
    names = {m["asset"]: m["name"] for m in api.json()["analysis"]["members"]}
    assert names["TAO"] == XSS  # data stay data; only HTML escapes them


def test_xss_in_a_checked_text_is_escaped(client):
    text = f"{XSS} TAO fiel am 6. Februar 2026 um 20 Prozent. <img src=x onerror=alert(2)>"
    r = client.post("/check?lang=de", content=f"text={text}&date=2026-02-06".encode().replace(b" ", b"+").replace(b"<", b"%3C"),
                    headers={"content-type": "application/x-www-form-urlencoded", **HTML})
    assert r.status_code == 200
    assert XSS not in r.text and "<img src=x" not in r.text
    assert ESCAPED in r.text and "&lt;img src=x onerror=alert(2)&gt;" in r.text


def test_members_moves_match_the_stores_closes_computed_by_hand(client, demo_store):
    from selloff.store import Store

    d = client.get("/api/sectors/ai-crypto?date=2026-02-06").json()
    with Store(demo_store, read_only=True) as s:
        bars = s.read("bars", assets=["NEAR", "ICP"], interval="1d",
                      start=pd.Timestamp("2026-02-05", tz="UTC"), end=pd.Timestamp("2026-02-06", tz="UTC"))
    close = bars.pivot_table(index="ts", columns="asset", values="close")
    members = {m["asset"]: m for m in d["analysis"]["members"]}
    for a in ("NEAR", "ICP"):
        assert members[a]["ret_1d"] == pytest.approx(close[a].iloc[1] / close[a].iloc[0] - 1, abs=1e-10)  # JSON keeps 10 decimals
    assert d["date"] == "2026-02-06"
    assert any(e["worst_day"].startswith("2026-02-06") for e in d["episodes"])


def test_overlay_is_rebased_to_the_index_first_day(client):
    from selloff.web import charts
    from selloff.web.i18n import TEXT

    d = client.get("/api/sectors/ai-crypto?date=2026-02-06").json()
    a = d["analysis"]
    fig = charts.sector_index(a, d["episodes"], TEXT["en"])
    btc = next(t for t in fig["data"] if t["name"].startswith("BTC"))
    first = a["overlay"]["close"]["BTC"][0]
    assert btc["y"][0] == pytest.approx(a["index"]["values"][0])
    last = a["overlay"]["close"]["BTC"][-1]
    assert btc["y"][-1] == pytest.approx(a["index"]["values"][0] * last / first)
    shaded = fig["layout"]["shapes"]
    assert any(s["x0"] == "2026-02-05" and s["x1"] == "2026-02-07" for s in shaded)  # 5-6 Feb, the day after closes it


def test_report_page_and_downloads(client):
    r = client.get("/api/reports/ai-crypto_2026-02-06").json()
    assert r["sector"] == "ai-crypto" and r["date"] == "2026-02-06" and r["findings"]
    assert set(r["downloads"]) >= {"en.md", "de.md", "en.html", "de.html", "en.json", "de.json", "en.pdf", "de.pdf"}
    assert "selloff-web-" not in json.dumps(r)  # links, never the paths the server wrote the files to
    html = client.get(r["downloads"]["de.html"])
    assert html.status_code == 200 and "sandbox" in html.headers["content-security-policy"]
    assert "script-src" not in html.headers["content-security-policy"]  # default-src 'none': no script at all
    md = client.get(r["downloads"]["en.md"])
    assert md.headers["content-type"].startswith("text/markdown") and "attachment" in md.headers["content-disposition"]
    assert json.loads(client.get(r["downloads"]["en.json"]).text)


def test_claim_check_api(client):
    r = client.post("/api/check", json={"text": "TAO fiel am 6. Februar 2026 um 20 Prozent.", "date": "2026-02-06"})
    d = r.json()
    assert r.status_code == 200 and d["n_claims"] == 1 and d["lang"] == "de"
    assert d["verdicts"][0]["status"] == "unverifiable"  # simulated rows are never evidence
    assert "".join(s["text"] for s in d["segments"]) == "TAO fiel am 6. Februar 2026 um 20 Prozent."


def test_cors_is_off_by_default_and_on_only_for_configured_origins(demo_store, tmp_path):
    c = make_client(demo_store)
    r = c.options("/api/episodes", headers={"origin": "https://evil.example", "access-control-request-method": "GET"})
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in c.get("/api/episodes", headers={"origin": "https://evil.example"}).headers
    cfg = tmp_path / "cors.toml"
    cfg.write_text('[web]\ncors_origins = ["https://pro.openbb.co"]\n', encoding="utf-8")
    c = make_client(demo_store, config=cfg)
    ok = c.get("/api/episodes", headers={"origin": "https://pro.openbb.co"})
    assert ok.headers["access-control-allow-origin"] == "https://pro.openbb.co"
    assert "access-control-allow-origin" not in c.get("/api/episodes", headers={"origin": "https://evil.example"}).headers
    bad = tmp_path / "bad.toml"
    bad.write_text('[web]\ncors_origins = ["*"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="cors_origins"):
        make_client(demo_store, config=bad)


def test_writes_need_allow_write_and_the_token(demo_store, tmp_path):
    from selloff import api

    assert make_client(demo_store).post("/api/demo").status_code == 403
    with pytest.raises(ConfigError, match="SELLOFF_WEB_TOKEN"):
        make_client(demo_store, allow_write=True, environ={})
    with pytest.raises(ConfigError, match="at least 16"):
        make_client(demo_store, allow_write=True, environ={"SELLOFF_WEB_TOKEN": "short"})
    store = tmp_path / "w.duckdb"
    token = "s3cret-token-0123456789abcdef"
    c = make_client(store, allow_write=True, environ={"SELLOFF_WEB_TOKEN": token})
    for headers in ({}, {"authorization": "Bearer wrong-token-0123456789"}, {"authorization": token}):
        r = c.post("/api/demo", headers=headers)
        assert r.status_code == 403 and token not in r.text
    assert not store.exists()
    r = c.post("/api/demo", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200 and any(row["table"] == "bars" and row["inserted"] > 0 for row in r.json()["rows"])
    assert api.info(store).rows["bars"] > 0
    for path in ("/", "/docs", "/openapi.json", "/widgets.json"):
        assert token not in c.get(path, headers=HTML).text


def test_widgets_json_endpoints_answer_in_the_shapes_openbb_expects(client):
    widgets = client.get("/widgets.json").json()
    assert {"selloff_episodes", "selloff_members", "selloff_index", "selloff_report"} <= set(widgets)
    for wid, w in widgets.items():
        assert {"name", "description", "endpoint", "type", "gridData"} <= set(w), wid
        params = {p["paramName"]: p["value"] for p in w.get("params", [])}
        r = client.get("/" + w["endpoint"], params=params)
        assert r.status_code == 200, (wid, r.text[:200])
        if w["type"] == "table":
            rows = r.json()
            assert rows and all(not isinstance(v, (dict, list)) for row in rows for v in row.values()), wid
        elif w["type"] == "chart":
            assert {"data", "layout"} <= set(r.json())
        else:
            assert r.text.startswith("#") or "SIMULATED" in r.text


def test_openapi_and_docs_list_the_api(client):
    spec = client.get("/openapi.json").json()
    for p in ("/api/sectors", "/api/sectors/{sector_id}", "/api/episodes", "/api/reports/{episode_id}", "/api/check",
              "/api/alerts"):
        assert p in spec["paths"], p
    docs = client.get("/docs", headers=HTML).text
    assert "/api/check" in docs and "/openapi.json" in docs


def test_static_plotly_is_the_installed_package_file(client):
    from selloff.web.app import plotly_js

    r = client.get("/static/vendor/plotly.min.js")
    assert r.status_code == 200 and len(r.content) == plotly_js().stat().st_size > 1_000_000


def test_alerts_page_escapes_summaries_and_hides_webhook_paths(tmp_path):
    from selloff.store import Store

    path = tmp_path / "alerts.duckdb"
    t = pd.Timestamp("2026-02-06T08:00Z")
    with Store(path) as s:
        s.upsert("alerts", pd.DataFrame([{
            "fingerprint": "fp1", "starts_at": t, "id": "fp1-20260206T080000Z", "rule": "token-drop", "kind": "change",
            "sector": "ai-crypto", "asset": "TAO", "severity": "warning", "status": "firing", "ends_at": pd.NaT,
            "updated_at": t, "summary_en": f"TAO fell {XSS}", "summary_de": f"TAO fiel {XSS}",
            "values_json": json.dumps({"change_pct": -16.0}), "inhibited_by": None, "source": "coingecko"}]))
        s.upsert("alert_deliveries", pd.DataFrame([{
            "alert_id": "fp1-20260206T080000Z", "event": "firing", "sink": "webhook:https://hooks.example/T0/B1/SECRETPATH",
            "status": "failed", "attempts": 2, "message_id": "msg_1", "last_attempt_at": t, "delivered_at": pd.NaT,
            "last_error": "HTTP 500 from https://hooks.example/x?token=abcdef123456"}]))
    c = make_client(path)
    for lang in ("en", "de"):
        html = c.get(f"/alerts?lang={lang}", headers=HTML).text
        assert XSS not in html and ESCAPED in html
        assert "SECRETPATH" not in html and "abcdef123456" not in html
        assert "webhook:https://hooks.example/…" in html
    d = c.get("/api/alerts?status=firing").json()
    assert [a["id"] for a in d["alerts"]] == ["fp1-20260206T080000Z"]
    assert "SECRETPATH" not in json.dumps(d) and d["channels"][0]["failed"] == 1
    assert c.get("/api/alerts?status=resolved").json()["alerts"] == []


def test_stress_api_and_its_bad_input(client):
    r = client.post("/api/stress", json={"sector": "ai-crypto", "shocks": ["BTC=-10%"], "paths": 2000})
    assert r.status_code == 200
    d = r.json()
    btc = next(x for x in d["shock"] if x["asset"] == "BTC")
    assert btc["kind"] == "shocked" and btc["mean_pct"] == pytest.approx(-10.0)  # the shock is the input
    for row in d["risk"]:  # expected shortfall is never below value-at-risk at the same level (Acerbi & Tasche 2002)
        assert row["es_pct"] >= row["var_pct"] > 0
    assert d["paths"] == 2000 and d["simulated"] is True
    assert client.post("/api/stress", json={"sector": "nope"}).status_code == 404
    assert client.post("/api/stress", json={"shocks": ["BTC<-10%"]}).status_code == 422
    assert client.post("/api/stress", json={"horizon": "7d"}).status_code == 422
    assert client.post("/api/stress", json={"unknown": 1}).status_code == 422
    over = client.post("/api/stress", json={"paths": 10**6})
    assert over.status_code == 400 and "max_stress_paths" in over.json()["error"]
    bad = client.post("/api/stress", json={"shocks": ["ZZZ=-10%"], "paths": 500})
    assert bad.status_code == 400 and "ZZZ" in bad.json()["error"]


def test_stress_form_renders_the_result(client):
    r = client.post("/stress?lang=de", content=b"sector=ai-crypto&shocks=BTC%3D-10%25&paths=2000&horizon=1d",
                    headers={"content-type": "application/x-www-form-urlencoded", **HTML})
    assert r.status_code == 200 and 'id="risk"' in r.text and 'data-target="fig-distribution"' in r.text
    assert "Fortpflanzung des Schocks" in r.text
    bad = client.post("/stress", content=b"sector=ai-crypto&horizon=7d",
                      headers={"content-type": "application/x-www-form-urlencoded", **HTML})
    assert bad.status_code == 422


def test_board_is_api_today_and_agrees_with_the_sector_page_and_the_stores_closes(client, demo_store):
    from selloff.store import Store

    d = client.get("/api/sectors?date=2026-02-06").json()
    board = {r["sector"]: r for r in d["board"]["sectors"]}
    sector = client.get("/api/sectors/ai-crypto?date=2026-02-06").json()["analysis"]
    # one rule per number: the board's 1-day move is the sector page's (and the report's) move
    assert board["ai-crypto"]["move_1d_pct"] == pytest.approx(100 * sector["sector_ret_1d"], abs=1e-8)
    assert board["ai-crypto"]["episode_id"] == "ai-crypto_2026-02-06"
    with Store(demo_store, read_only=True) as s:
        btc = s.read("bars", assets=["BTC"], interval="1d", start=pd.Timestamp("2026-01-30", tz="UTC"),
                      end=pd.Timestamp("2026-02-06", tz="UTC")).set_index("ts")["close"]
    bench = {b["asset"]: b for b in d["board"]["benchmarks"]}
    assert bench["BTC"]["move_1d_pct"] == pytest.approx(100 * (btc.iloc[-1] / btc.iloc[-2] - 1), abs=1e-8)
    assert bench["BTC"]["move_7d_pct"] == pytest.approx(100 * (btc.iloc[-1] / btc.iloc[0] - 1), abs=1e-8)
    html = client.get("/?date=2026-02-06&lang=en", headers=HTML).text
    assert 'href="/episodes/ai-crypto_2026-02-06"' in html and 'data-target="fig-board"' in html


def test_dependency_graph_has_every_universe_edge_with_raw_and_partial_correlation(client):
    from selloff import api

    g = client.get("/api/sectors/ai-crypto?date=2026-02-06").json()["graph"]
    u = api.universe()
    want = {(t, a.id) for t in u.sector("ai-crypto").members for a, _ in u.dependencies(t)}
    assert {(e["token"], e["target"]) for e in g["edges"]} == want
    assert g["control"] == "BTC" and all(-1 <= e["partial_corr"] <= 1 and -1 <= e["corr"] <= 1 and e["n"] > 30
                                         for e in g["edges"])
    html = client.get("/sectors/ai-crypto?date=2026-02-06&lang=en", headers=HTML).text
    assert 'id="edges"' in html and "partial correlation given BTC" in html


def test_other_host_headers_are_refused(client):
    r = client.get("/api/episodes", headers={"host": "evil.example"})
    assert r.status_code == 400 and "allowed_hosts" in r.json()["error"]
    assert client.get("/api/episodes", headers={"host": "[::1]:8000"}).status_code == 200
    assert client.get("/api/episodes", headers={"host": "localhost:8000"}).status_code == 200


def test_episode_list_of_an_empty_store_is_empty_not_an_error(tmp_path):
    """The list comes from one all-sector pass; where that pass fails as a whole (here: no daily bars at all) the
    sectors are scanned one by one and those that fail are left out, as before."""
    from selloff.store import Store

    path = tmp_path / "empty.duckdb"
    Store(path).close()
    r = make_client(path).get("/api/episodes")
    assert r.status_code == 200 and r.json() == []
