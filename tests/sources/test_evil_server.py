"""A hostile server on loopback against the JSON client every connector uses (and one end-to-end ``execute``).

Echoed keys, trickled bodies, a gzip bomb, redirects to another host, HTML and other content types on 200 and
truncated JSON must each end in one :class:`SourceError` line — fast, without the key, without a traceback.
"""
from __future__ import annotations

import json
import threading
import time
import tracemalloc
import zlib

import pandas as pd
import pytest
from werkzeug import Response

from selloff.errors import SourceError
from selloff.pipeline.fetch import FetchContext, execute, plan, select_assets
from selloff.sources._http import HttpPolicy, JsonClient
from selloff.sources.coingecko import CoinGecko
from selloff.store import Store
from selloff.universe import load_universe

KEY = "CG-evil-5ecret-Key-0123456789"
POLICY = HttpPolicy(max_attempts=1, base_wait_s=0.01, max_wait_s=0.01, timeout_s=2, max_body_bytes=5_000_000)
NOW = pd.Timestamp("2026-02-06T12:00:00Z")


@pytest.fixture
def client(httpserver):
    with JsonClient("coingecko", httpserver.url_for("/"), {"x-cg-demo-api-key": KEY}, POLICY) as c:
        yield c


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """200 MB of zeros, gzip-compressed to about 200 kB."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(z.compress(bytes(1 << 20)) for _ in range(200)) + z.flush()


def _error(fn) -> str:
    with pytest.raises(SourceError) as err:
        fn()
    return str(err.value)


def test_key_echoed_in_body_header_and_redirect_is_redacted(httpserver, client, monkeypatch):
    monkeypatch.setenv("COINGECKO_API_KEY", KEY)
    httpserver.expect_request("/body").respond_with_data(f"invalid key {KEY}; x_cg_demo_api_key={KEY}", 401,
                                                        headers={"x-echo-key": KEY})
    httpserver.expect_request("/hop").respond_with_data("", 302, headers={
        "location": f"http://evil.invalid/steal?x_cg_demo_api_key={KEY}&apikey=abc&token=t0k"})
    body = _error(lambda: client.get_json("/body"))
    hop = _error(lambda: client.get_json("/hop"))
    assert "HTTP 401" in body and "another host" in hop and "evil.invalid" in hop
    for msg in (body, hop):
        assert KEY not in msg and "abc" not in msg and "t0k" not in msg and "***" in msg


def test_trickled_body_is_cut_off_at_the_deadline(httpserver, client):
    stop = threading.Event()

    def trickle():
        t0 = time.monotonic()
        while not stop.is_set() and time.monotonic() - t0 < 10:
            yield b" "
            time.sleep(0.2)

    httpserver.expect_request("/slow").respond_with_response(Response(trickle(), 200, content_type="application/json"))
    t0 = time.monotonic()
    try:
        msg = _error(lambda: client.get_json("/slow"))
    finally:
        stop.set()
    assert time.monotonic() - t0 < 3 and "timeout after 2s" in msg


def test_gzip_bomb_fails_fast_without_inflating(httpserver, client, bomb):
    httpserver.expect_request("/bomb").respond_with_data(bomb, 200, headers={"content-encoding": "gzip"},
                                                        content_type="application/json")
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        msg = _error(lambda: client.get_json("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than 5 MB once decoded" in msg
    assert peak < 30_000_000, f"peak {peak / 1e6:.0f} MB while refusing a 200 MB bomb"
    assert time.monotonic() - t0 < 3


def test_gzip_answers_within_the_limit_are_decoded(httpserver, client):
    z = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    httpserver.expect_request("/gz").respond_with_data(z.compress(b'{"ok": [1, 2]}') + z.flush(), 200,
                                                      headers={"content-encoding": "gzip"}, content_type="application/json")
    assert client.get_json("/gz") == {"ok": [1, 2]}


def test_same_host_redirect_is_followed_and_a_bare_3xx_is_not_malformed_json(httpserver, client):
    httpserver.expect_request("/old").respond_with_data("", 301, headers={"location": "/new?x=1"})
    httpserver.expect_request("/new").respond_with_json({"moved": True})
    httpserver.expect_request("/nowhere").respond_with_data("", 302)
    assert client.get_json("/old") == {"moved": True}
    msg = _error(lambda: client.get_json("/nowhere"))
    assert "HTTP 302 redirect without a Location" in msg and "malformed JSON" not in msg


def test_redirect_loop_stops(httpserver, client):
    httpserver.expect_request("/loop").respond_with_data("", 302, headers={"location": "/loop"})
    assert "more than 5 redirects" in _error(lambda: client.get_json("/loop"))


@pytest.mark.parametrize(("body", "ctype", "expect"), [
    ("<html><body>Service Unavailable</body></html>", "text/html", "answered an HTML page"),
    ("<?xml version='1.0'?><error/>", "text/plain", "answered HTML/XML"),
    ("<rss/>", "application/xml", "content type application/xml"),
    ('{"prices": [[1700000000000, 1.0], [17', "application/json", "malformed JSON"),
])
def test_non_json_on_200_is_one_clear_error(httpserver, client, body, ctype, expect):
    httpserver.expect_request("/x").respond_with_data(body, 200, content_type=ctype)
    assert expect in _error(lambda: client.get_json("/x"))


def _chart(prices: list, caps: list | None = None) -> dict:
    return {"prices": prices, "market_caps": caps if caps is not None else [[t, 1e9] for t, _ in prices],
            "total_volumes": [[t, 1e6] for t, _ in prices]}


def test_execute_logs_bad_tasks_without_keys_and_runs_the_rest(tmp_path, httpserver, monkeypatch):
    monkeypatch.setenv("COINGECKO_API_KEY", KEY)
    day = [int(pd.Timestamp(d, tz="UTC").value // 1_000_000) for d in ("2026-02-02", "2026-02-03", "2026-02-04")]
    good = _chart([[t, 100.0] for t in day])
    httpserver.expect_request("/coins/bittensor/market_chart/range").respond_with_json(
        _chart([[day[0], 1.0], ["abc", 1]]))
    httpserver.expect_request("/coins/near/market_chart/range").respond_with_json(
        _chart([[day[0], 1.0], [day[1], 2.0]], caps=[[day[0], 1e9], [day[1], "lots"]]))
    httpserver.expect_request("/coins/internet-computer/market_chart/range").respond_with_data(
        f"forbidden for key {KEY}", 403, headers={"x-echo": KEY})
    httpserver.expect_request("/coins/render-token/market_chart/range").respond_with_json(_chart([[day[0], 1.0], [None, 1]]))
    httpserver.expect_request("/coins/fetch-ai/market_chart/range").respond_with_json(good)
    cg = CoinGecko(plan="pro", base_url=httpserver.url_for("/"), api_key=KEY, policy=POLICY, now=NOW)
    uni = load_universe()
    store = Store(tmp_path / "s.duckdb")
    tasks = [t for t in plan(store, uni, FetchContext(coingecko=cg, now=NOW), since="2026-02-01", until="2026-02-05",
                             assets=select_assets(uni, assets="TAO,NEAR,ICP,RENDER,FET"), sources=["coingecko"])
             if t.kind == "market_chart"]
    res = execute(store, tasks)
    assert [r.status for r in res] == ["error", "error", "error", "error", "ok"]
    assert "'prices'" in res[0].error and "item 1 is ['abc', 1]" in res[0].error
    assert "'market_caps'" in res[1].error and "item 1" in res[1].error
    assert "HTTP 403" in res[2].error and "item 1 is [None, 1]" in res[3].error
    assert set(store.read("bars")["asset"]) == {"FET"}
    log = store.read("fetch_log")
    assert list(log["status"]) == ["error"] * 4 + ["ok"]
    assert not log[["request", "error"]].astype(str).apply(lambda c: c.str.contains(KEY)).any().any()


def test_coingecko_markets_name_a_bad_item():
    from selloff.sources.coingecko import transform_markets

    row = {"id": "near", "current_price": 1.0, "market_cap": 1e9, "total_volume": 1.0, "circulating_supply": 1.0,
           "last_updated": "2026-02-05T00:00:00Z"}
    with pytest.raises(SourceError, match=r"item 1 \(bittensor\) has market_cap='x'"):
        transform_markets([row, {**row, "id": "bittensor", "market_cap": "x"}], {"near": "NEAR", "bittensor": "TAO"})


def test_json_body_is_parsed_as_before(httpserver, client):
    httpserver.expect_request("/ok").respond_with_data(json.dumps([1, 2]), 200)  # text/plain, as some APIs send
    assert client.get_json("/ok") == [1, 2]
