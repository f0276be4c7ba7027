"""CoinGecko fetcher and the shared HTTP policy against a real loopback server (pytest-httpserver)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from werkzeug import Response

from selloff.errors import ConfigError, SourceError
from selloff.sources._http import CallBudget, HttpPolicy, JsonClient, retry_after_seconds
from selloff.sources.coingecko import (
    CoinGecko,
    build_chart_query,
    resolve_symbol,
    transform_categories,
    transform_chart,
    transform_markets,
)

REC = Path(__file__).parent / "recorded"
FAST = HttpPolicy(max_attempts=4, base_wait_s=0.01, max_wait_s=0.2, timeout_s=0.5)
NOW = pd.Timestamp("2026-02-06T12:00:00Z")
CHART = "/coins/bittensor/market_chart/range"


def body(name: str):
    return json.loads((REC / name).read_text())


@pytest.fixture
def cg(httpserver) -> CoinGecko:
    c = CoinGecko(plan="demo", base_url=httpserver.url_for("/"), api_key="demo-secret-key", policy=FAST, now=NOW)
    yield c
    c.close()


# -- retry policy -------------------------------------------------------------------------------------------
def test_429_with_retry_after_is_honoured_then_succeeds(httpserver, cg):
    httpserver.expect_ordered_request("/coins/list").respond_with_data("slow down", 429, {"Retry-After": "0.15"})
    httpserver.expect_ordered_request("/coins/list").respond_with_json(body("coins_list.json"))
    t0 = time.perf_counter()
    assert cg.resolve_symbol("tao") == "bittensor"
    assert time.perf_counter() - t0 >= 0.15  # waited what the server asked, not the 0.01 s backoff
    assert cg.calls == 2


def test_429_without_retry_after_backs_off_then_succeeds(httpserver, cg):
    httpserver.expect_ordered_request("/coins/list").respond_with_data("", 429)
    httpserver.expect_ordered_request("/coins/list").respond_with_data("", 429)
    httpserver.expect_ordered_request("/coins/list").respond_with_json(body("coins_list.json"))
    assert cg.resolve_symbol("near") == "near"
    assert cg.calls == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(httpserver, cg, status):
    httpserver.expect_ordered_request("/coins/list").respond_with_data("oops", status)
    httpserver.expect_ordered_request("/coins/list").respond_with_json(body("coins_list.json"))
    assert cg.resolve_symbol("render") == "render-token"
    assert cg.calls == 2


def test_persistent_503_gives_up_with_clear_error(httpserver, cg):
    httpserver.expect_request("/coins/list").respond_with_data("down", 503)
    with pytest.raises(SourceError, match=r"gave up after 4 attempts, last error HTTP 503"):
        cg.resolve_symbol("tao")
    assert cg.calls == 4


def test_timeout_is_retried_then_reported(httpserver, cg):
    def stall(_req):
        time.sleep(0.8)
        return Response("[]", 200)

    httpserver.expect_request("/coins/list").respond_with_handler(stall)
    with pytest.raises(SourceError, match="timeout after 0.5s"):
        cg.resolve_symbol("tao")
    assert cg.calls == 4


def test_truncated_json_is_a_clear_error(httpserver, cg):
    httpserver.expect_request("/coins/list").respond_with_data('[{"id": "bittensor", "sym', 200)
    with pytest.raises(SourceError, match="malformed JSON"):
        cg.resolve_symbol("tao")


def test_401_fails_at_once_and_never_shows_the_key(httpserver, cg):
    httpserver.expect_request("/coins/list").respond_with_json({"status": {"error_code": 10002, "error_message": "API Key Missing"}}, 401)
    with pytest.raises(SourceError) as err:
        cg.resolve_symbol("tao")
    assert cg.calls == 1
    assert "demo-secret-key" not in str(err.value)
    assert "API key" in str(err.value)


def test_keys_travel_in_the_documented_headers(httpserver):
    httpserver.expect_request("/coins/list", headers={"x-cg-demo-api-key": "d"}).respond_with_json([])
    httpserver.expect_request("/coins/categories/list", headers={"x-cg-pro-api-key": "p"}).respond_with_json([])
    demo = CoinGecko(plan="demo", base_url=httpserver.url_for("/"), api_key="d", policy=FAST)
    pro = CoinGecko(plan="pro", base_url=httpserver.url_for("/"), api_key="p", policy=FAST)
    assert demo.extract_coins_list() == [] and pro.extract_categories_list() == []


def test_from_env_picks_plan_header_and_base(monkeypatch):
    monkeypatch.delenv("COINGECKO_BASE_URL", raising=False)
    monkeypatch.setenv("COINGECKO_API_KEY", "d")
    monkeypatch.delenv("COINGECKO_PRO_API_KEY", raising=False)
    c = CoinGecko.from_env()
    assert (c.plan, c.base_url, c.policy.calls_per_minute) == ("demo", "https://api.coingecko.com/api/v3", 30)
    monkeypatch.setenv("COINGECKO_PRO_API_KEY", "secret-pro-key")
    c = CoinGecko.from_env(calls_per_minute=100)
    assert (c.plan, c.base_url, c.policy.calls_per_minute) == ("pro", "https://pro-api.coingecko.com/api/v3", 100)
    assert "secret-pro-key" not in repr(c)


def test_retry_after_http_date_and_budget():
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None
    clock = [0.0]
    slept = []
    b = CallBudget(2, clock=lambda: clock[0], sleep=lambda s: (slept.append(s), clock.__setitem__(0, clock[0] + s)))
    b.acquire(); b.acquire(); b.acquire()
    assert slept == [60.0]  # the third call in a minute waits for the window


# -- symbol resolution ----------------------------------------------------------------------------------------
def test_unknown_and_ambiguous_symbols():
    coins = body("coins_list.json")
    assert resolve_symbol("TAO", coins) == "bittensor"
    assert resolve_symbol("bittensor", coins) == "bittensor"
    with pytest.raises(SourceError, match="unknown symbol 'zzz'"):
        resolve_symbol("zzz", coins)
    with pytest.raises(SourceError, match=r"ambiguous: graphite-protocol \(Graphite Protocol\), gp-token"):
        resolve_symbol("gp", coins)


def test_schema_change_missing_field_is_named():
    coins = [{"id": "bittensor", "name": "Bittensor"}]
    with pytest.raises(SourceError, match=r"lacks field\(s\) \['symbol'\]"):
        resolve_symbol("tao", coins)


# -- chunk planning ---------------------------------------------------------------------------------------------
def test_chunks_follow_the_granularity_rules():
    q = build_chart_query("TAO", "bittensor", "2024-01-01", "2026-02-06", "1d", now=NOW)
    spans = [(c.end - c.start) for c in q.chunks]
    assert all(pd.Timedelta(days=91) <= s <= pd.Timedelta(days=365) for s in spans)
    assert q.chunks[0].start == pd.Timestamp("2024-01-01", tz="UTC") and q.chunks[-1].end == pd.Timestamp("2026-02-06", tz="UTC")
    h = build_chart_query("TAO", "bittensor", "2026-01-01", "2026-02-06", "1h", now=NOW)
    assert all(pd.Timedelta(days=2) <= c.end - c.start <= pd.Timedelta(days=90) for c in h.chunks)
    with pytest.raises(SourceError, match="5-minute points exist only for the last day"):
        build_chart_query("TAO", "bittensor", "2026-01-01", "2026-02-06", "5m", now=NOW)


def test_demo_history_limit_is_clipped_with_a_note_or_refused():
    q = build_chart_query("TAO", "bittensor", "2024-01-01", "2026-02-06", "1d", now=NOW,
                          history_limit=NOW - pd.Timedelta(days=365), plan="demo")
    assert q.start >= NOW - pd.Timedelta(days=365)
    assert "only the last 365 days" in q.notes[0]
    with pytest.raises(SourceError, match="365-day history limit.*COINGECKO_PRO_API_KEY"):
        build_chart_query("TAO", "bittensor", "2024-01-01", "2024-06-01", "1d", now=NOW,
                          history_limit=NOW - pd.Timedelta(days=365), plan="demo")
    with pytest.raises(ConfigError, match="interval '4h' not offered"):
        build_chart_query("TAO", "bittensor", "2026-01-01", "2026-02-06", "4h", now=NOW)


# -- transforms ---------------------------------------------------------------------------------------------------
def test_market_chart_to_bars_and_caps(httpserver, cg):
    httpserver.expect_request(CHART, query_string={"vs_currency": "usd", "from": "1762516800", "to": str(int(NOW.timestamp()))}
                              ).respond_with_json(body("market_chart_daily.json"))
    q = cg.build_chart_query("TAO", "bittensor", "2026-02-01", NOW, "1d")
    assert len(q.chunks) == 1  # widened backwards to 91 days so the API answers daily points
    bars, caps = transform_chart(q, cg.extract_chart(q))
    # a point at 00:00 UTC on day D is the close of day D-1; the intraday "now" point is dropped
    assert list(bars["ts"]) == list(pd.to_datetime(["2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04"], utc=True))
    assert list(bars["close"]) == [210.1, 205.4, 198.7, 172.3]
    assert str(bars["ts"].dt.tz) == "UTC" and (bars["source"] == "coingecko").all()
    assert caps.loc[caps["ts"] == pd.Timestamp("2026-02-05", tz="UTC"), "market_cap_usd"].item() == 1612000000.0


def test_empty_page_and_missing_field_in_chart():
    q = build_chart_query("TAO", "bittensor", "2026-02-01", NOW, "1d", now=NOW)
    with pytest.raises(SourceError, match="no points"):
        transform_chart(q, [{"prices": [], "market_caps": [], "total_volumes": []}])
    with pytest.raises(SourceError, match=r"missing \['total_volumes'\]"):
        transform_chart(q, [{"prices": [], "market_caps": []}])


def test_markets_and_categories_transform():
    caps = transform_markets(body("coins_markets.json"), {"bittensor": "TAO", "near": "NEAR"})
    tao = caps.set_index("asset").loc["TAO"]
    assert (tao["price_usd"], tao["market_cap_usd"], tao["circulating_supply"]) == (180.5, 1690000000, 9360000)
    assert tao["ts"] == pd.Timestamp("2026-02-06T12:00:05.123Z")
    with pytest.raises(SourceError, match="no answer for render-token"):
        transform_markets(body("coins_markets.json"), {"bittensor": "TAO", "render-token": "RENDER"})
    cats = transform_categories(body("categories.json"), body("categories_list.json"))
    assert list(cats["category"]) == ["artificial-intelligence"]  # the null-cap category is left out
    assert cats["members"].item() == "bittensor,near,internet-computer"
    broken = [{k: v for k, v in body("categories.json")[0].items() if k != "volume_24h"}]
    with pytest.raises(SourceError, match=r"lacks field\(s\) \['volume_24h'\]"):
        transform_categories(broken)


def test_json_client_calls_budget_is_used(httpserver):
    httpserver.expect_request("/x").respond_with_json({"ok": 1})
    with JsonClient("t", httpserver.url_for("/"), policy=HttpPolicy(calls_per_minute=100)) as c:
        assert c.get_json("/x") == {"ok": 1}
        assert c.budget.limit == 100 and len(c.budget._calls) == 1
