"""selloff watch end to end: a loopback CoinGecko replays a market that crashes and stabilises; a loopback
webhook receiver verifies every signature with its own code; restarts, a failing receiver and a failing source.

The market (per asset, a level per UTC day; the price during day k is the level at 00:00 of day k):
21 calm days (0..20) alternating +0.5 % / -0.5 %, then over day 20 the AI tokens fall 12 % (BTC -1 %), over day 21 6 %
more, then they rise 3 % a day. Rounds run at 00:00 UTC of consecutive days (the test's clock).
By hand: at 00:00 of day 21 every AI token is -12 % over 24 h and BTC -1 % → the breadth rule (≥ 70 % below
-8 % while BTC ≥ -3 %) fires; it stays firing until the stabilisation signals say "stabilising": the trough is
the close of day 21 (00:00 day 22); at 00:00 of day 25 three days have passed without a new low and
(1.03^3 - 1) * 0.88 * 0.94 / (1 - 0.88 * 0.94) = 44 % of the drop is recovered (>= 33 %) → resolved then.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from werkzeug import Request, Response

from selloff import api
from selloff.analytics.alerting.rules import load_rules
from selloff.config import use_config
from selloff.pipeline.watch import Watch, watch_params
from selloff.pipeline.watch.sinks import build_sinks
from selloff.sources._http import HttpPolicy
from selloff.sources.coingecko import CoinGecko
from selloff.sources.tasks import FetchContext
from selloff.store import Store
from selloff.universe import load_universe

REC = Path(__file__).parents[1] / "sources" / "recorded"
T0 = pd.Timestamp("2026-01-01T00:00Z")
DAY = pd.Timedelta(days=1)
SECRET = "whsec_" + base64.b64encode(b"watch-test-key-0123456789abcdef").decode()
IDS = {"bittensor": "TAO", "near": "NEAR", "render-token": "RENDER", "fetch-ai": "FET", "bitcoin": "BTC"}
BASE = {"TAO": 200.0, "NEAR": 3.0, "RENDER": 5.0, "FET": 1.5, "BTC": 90_000.0}

UNIVERSE = """
[sectors.watch-ai]
name = "Watched AI tokens"
members = ["TAO", "NEAR", "RENDER", "FET"]
"""
RULES = """
[[rule]]
name = "ai-sector-selloff"
kind = "breadth"
severity = "critical"
sector = "watch-ai"
window = "24h"
drop_pct = -8.0
min_share = 0.7
benchmark = "BTC"
benchmark_above_pct = -3.0
for = "0s"
cooldown = "6h"
resolve = "stabilised"
"""
CONFIG = """
[watch]
interval_s = 0.01
sectors = ["watch-ai"]
history_days = 12
webhook_attempts = 3
webhook_backoff_s = 0.01
webhook_backoff_max_s = 0.02
webhook_jitter_s = 0.0
webhook_timeout_s = 2.0
"""


def levels(asset: str) -> list[float]:
    lvl = [1.0]
    for i in range(20):
        lvl.append(lvl[-1] * (1.005 if i % 2 == 0 else 0.995))
    if asset == "BTC":
        lvl += [lvl[-1] * 0.99, lvl[-1] * 0.99]
    else:
        lvl += [lvl[-1] * 0.88, lvl[-1] * 0.88 * 0.94]
    for _ in range(10):
        lvl.append(lvl[-1] * (1.0 if asset == "BTC" else 1.03))
    return [BASE[asset] * x for x in lvl]


LEVELS = {a: levels(a) for a in BASE}


def price(asset: str, t: pd.Timestamp) -> float:
    k = int((t - T0) // DAY)
    return LEVELS[asset][max(0, min(k, len(LEVELS[asset]) - 1))]


class Market:
    """The replayed market and the test's clock (one instance shared by the server and the watch)."""

    def __init__(self, day: int) -> None:
        self.now = T0 + day * DAY
        self.fail_source = False
        self.calls = 0

    def markets(self, req: Request) -> Response:
        self.calls += 1
        if self.fail_source:
            return Response("upstream down", 503)
        ids = req.args["ids"].split(",")
        body = [{"id": i, "symbol": IDS[i].lower(), "current_price": price(IDS[i], self.now),
                 "market_cap": price(IDS[i], self.now) * 1e6, "total_volume": 1e6, "circulating_supply": 1e6,
                 "last_updated": self.now.isoformat().replace("+00:00", "Z")} for i in ids]
        return Response(json.dumps(body), 200, content_type="application/json")

    def recorded(self, name: str):
        def answer(_req: Request) -> Response:
            if self.fail_source:
                return Response("upstream down", 503)
            return Response((REC / name).read_text(), 200, content_type="application/json")
        return answer

    def chart(self, req: Request) -> Response:
        self.calls += 1
        if self.fail_source:
            return Response("upstream down", 503)
        asset = IDS[req.path.split("/")[2]]
        t0 = pd.Timestamp(int(req.args["from"]), unit="s", tz="UTC").ceil("h")
        t1 = min(pd.Timestamp(int(req.args["to"]), unit="s", tz="UTC"), self.now)
        ts = pd.date_range(t0, t1, freq="h")
        pts = [[int(t.value // 1_000_000), price(asset, t)] for t in ts]
        body = {"prices": pts, "market_caps": [[m, p * 1e6] for m, p in pts], "total_volumes": [[m, 1e6] for m, _ in pts]}
        return Response(json.dumps(body), 200, content_type="application/json")


class Receiver:
    """A webhook receiver that verifies Standard Webhooks signatures with its own code."""

    def __init__(self, secret: str, status: int = 200) -> None:
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.status = status
        self.got: list[dict] = []

    def verify(self, headers, body: bytes) -> bool:
        msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
        if abs(time.time() - int(ts)) > 300:  # the spec's replay tolerance
            return False
        expected = base64.b64encode(hmac.new(self.key, msg_id.encode() + b"." + ts.encode() + b"." + body,
                                             hashlib.sha256).digest()).decode()
        return any(hmac.compare_digest(s.split(",", 1)[1], expected) for s in headers["webhook-signature"].split(" ")
                   if s.startswith("v1,"))

    def __call__(self, req: Request) -> Response:
        body = req.get_data()
        self.got.append({"id": req.headers.get("webhook-id"), "valid": self.verify(req.headers, body),
                         "body": json.loads(body)})
        return Response("", self.status)

    def alerts(self, valid_only: bool = True) -> list[tuple[str, str]]:
        return [(a["status"], a["rule"]) for g in self.got if g["valid"] or not valid_only for a in g["body"]["data"]["alerts"]]


@pytest.fixture
def setup(tmp_path, httpserver, monkeypatch):
    (tmp_path / "u.toml").write_text(UNIVERSE)
    (tmp_path / "rules.toml").write_text(RULES)
    (tmp_path / "c.toml").write_text(CONFIG)
    monkeypatch.setenv("SELLOFF_WEBHOOK_SECRET", SECRET)
    market = Market(day=19)
    httpserver.expect_request("/coins/markets").respond_with_handler(market.markets)
    for cid in IDS:
        httpserver.expect_request(f"/coins/{cid}/market_chart/range").respond_with_handler(market.chart)
    for path, name in (("/coins/categories", "categories.json"), ("/coins/categories/list", "categories_list.json")):
        httpserver.expect_request(path).respond_with_handler(market.recorded(name))
    with use_config(tmp_path / "c.toml"):
        yield tmp_path, httpserver, market


def make_watch(tmp_path, httpserver, market, receiver_path="/hook", advance=True, jsonl=True):
    params = watch_params()
    specs = [f"webhook:{httpserver.url_for(receiver_path)}"] + ([f"jsonl:{tmp_path / 'alerts.jsonl'}"] if jsonl else [])
    _, sinks = build_sinks(specs, SECRET, params.webhook_secret_env, params.webhook)
    cg = CoinGecko(plan="pro", base_url=httpserver.url_for("/"), api_key="k",
                   policy=HttpPolicy(max_attempts=2, base_wait_s=0.01, max_wait_s=0.02, timeout_s=2))
    uni = load_universe(tmp_path / "u.toml")

    def step(_report):
        if advance:
            market.now += DAY

    return Watch(tmp_path / "s.duckdb", uni, load_rules(tmp_path / "rules.toml"), sinks, FetchContext(coingecko=cg),
                 params, clock=lambda: market.now, on_round=step)


def test_one_started_one_resolved_signed_and_no_duplicate_after_restart(setup):
    tmp_path, httpserver, market = setup
    rx = Receiver(SECRET)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(rx)
    first = make_watch(tmp_path, httpserver, market).run(iterations=3)  # days 19, 20, 21: fires on day 21
    assert (first.fired, first.resolved, first.delivered) == (1, 0, 2)  # webhook + jsonl
    assert rx.alerts() == [("firing", "ai-sector-selloff")]
    fired = rx.got[0]["body"]["data"]["alerts"][0]
    assert fired["starts_at"] == (T0 + 21 * DAY).isoformat() and fired["values"]["share"] == 1.0
    assert fired["values"]["benchmark_change_pct"] == pytest.approx(-1.0)
    assert rx.got[0]["body"]["data"]["group"] == {"sector": "watch-ai"}
    # restart at the crash moment again (the worst case for a duplicate), then run on to day 26
    market.now = T0 + 21 * DAY
    second = make_watch(tmp_path, httpserver, market).run(iterations=6)
    assert (second.fired, second.resolved) == (0, 1)
    assert rx.alerts() == [("firing", "ai-sector-selloff"), ("resolved", "ai-sector-selloff")]
    assert all(g["valid"] for g in rx.got) and len({g["id"] for g in rx.got}) == 2
    res = rx.got[1]["body"]["data"]["alerts"][0]
    assert res["ends_at"] == (T0 + 25 * DAY).isoformat() and res["id"] == fired["id"]
    assert res["values"]["resolved"]["stabilisation"]["verdict"] == "stabilising"
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [ln["type"] for ln in lines] == ["alert.firing", "alert.resolved"]
    # the store: one episode, resolved, delivered to both sinks for both events
    stored = api.alerts(tmp_path / "s.duckdb")
    (a,) = stored.alerts
    assert (a.status, a.starts_at, a.ends_at) == ("resolved", T0 + 21 * DAY, T0 + 25 * DAY)
    assert sorted((d.sink.split(":")[0], d.event, d.status) for d in a.deliveries) == [
        ("jsonl", "firing", "delivered"), ("jsonl", "resolved", "delivered"),
        ("webhook", "firing", "delivered"), ("webhook", "resolved", "delivered")]
    assert "whsec_" not in json.dumps(stored.to_dict()) and SECRET not in (tmp_path / "alerts.jsonl").read_text()


def test_failing_receiver_retries_then_dead_letter(setup, caplog):
    caplog.set_level("DEBUG")
    tmp_path, httpserver, market = setup
    rx = Receiver(SECRET, status=500)
    httpserver.expect_request("/down", method="POST").respond_with_handler(rx)
    market.now = T0 + 20 * DAY
    summary = make_watch(tmp_path, httpserver, market, "/down", jsonl=False).run(iterations=2)
    assert (summary.fired, summary.delivered, summary.dead_letters) == (1, 0, 1)
    assert len(rx.got) == 3 and len({g["id"] for g in rx.got}) == 1 and all(g["valid"] for g in rx.got)
    (dead,) = [json.loads(x) for x in (tmp_path / "watch-dead-letter.jsonl").read_text().splitlines()]
    assert dead["attempts"] == 3 and dead["error"] == "HTTP 500 after 3 attempt(s)" and dead["message_id"] == rx.got[0]["id"]
    assert dead["payload"]["data"]["alerts"][0]["rule"] == "ai-sector-selloff"
    (ch,) = api.alerts(tmp_path / "s.duckdb").channels
    assert (ch.dead_letter, ch.delivered, ch.last_success_at) == (1, 0, None)
    assert ch.last_error == "HTTP 500 after 3 attempt(s)" and ch.sink == f"webhook:{httpserver.url_for('/down')}"
    # a later round does not resend a dead letter
    make_watch(tmp_path, httpserver, market, "/down", jsonl=False).run(iterations=1)
    assert len(rx.got) == 3
    # the secret is nowhere: not in the logs, the dead-letter file or any table of the store
    key = SECRET.removeprefix("whsec_")
    assert "dead-letter" in caplog.text and key not in caplog.text
    assert key not in (tmp_path / "watch-dead-letter.jsonl").read_text()
    with Store(tmp_path / "s.duckdb", read_only=True) as s:
        for t in ("alerts", "alert_deliveries", "watch_state", "fetch_log"):
            assert key not in s.con.execute(f"SELECT * FROM {t}").df().to_csv()


def test_failing_source_keeps_watching_and_backs_off(setup):
    tmp_path, httpserver, market = setup
    rx = Receiver(SECRET)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(rx)
    market.now = T0 + 18 * DAY
    market.fail_source = True
    reports = []
    w = make_watch(tmp_path, httpserver, market, jsonl=False)
    w.on_round = lambda r: reports.append(r)
    w.round()  # day 18: the source is down
    assert reports[-1].errors and reports[-1].fetch[0][1].startswith("failed (1×)")
    w.round()  # same moment: backing off, no request made
    assert reports[-1].fetch[0][1].startswith("backing off")
    with Store(tmp_path / "s.duckdb", read_only=True) as s:
        log = s.read("fetch_log")
    assert (log["status"] == "error").any()
    market.fail_source = False
    for day in (19, 20, 21):  # the source is back: the history is fetched and the crash is seen
        market.now = T0 + day * DAY
        w.round()
    assert rx.alerts() == [("firing", "ai-sector-selloff")]
    assert reports[-1].errors == ()


def test_stop_ends_the_loop_between_rounds(setup):
    tmp_path, httpserver, market = setup
    w = make_watch(tmp_path, httpserver, market, jsonl=False)
    w.params = watch_params({"interval_s": 30.0})
    timer = threading.Timer(0.5, w.stop.set)
    timer.start()
    t0 = time.perf_counter()
    summary = w.run()
    assert summary.stopped and summary.rounds == 1 and time.perf_counter() - t0 < 10


def test_replay_of_stored_daily_bars_gives_the_live_alerts(tmp_path, monkeypatch):
    """The same market as daily bars in a store, replayed on a daily grid: fires at 00:00 of day 21 and resolves
    at 00:00 of day 25, exactly as the live run above; a second replay adds nothing."""
    (tmp_path / "u.toml").write_text(UNIVERSE)
    (tmp_path / "rules.toml").write_text(RULES)
    (tmp_path / "c.toml").write_text(CONFIG + 'grid = "1d"\nstaleness = "1h"\n')
    rows = [{"asset": a, "interval": "1d", "ts": T0 + k * DAY, "source": "coingecko", "close": LEVELS[a][k + 1]}
            for a in BASE for k in range(len(LEVELS[a]) - 1)]
    with Store(tmp_path / "s.duckdb") as s:
        s.upsert("bars", pd.DataFrame(rows))
    kw = dict(rules_file=tmp_path / "rules.toml", sinks=[f"jsonl:{tmp_path / 'a.jsonl'}"], since=T0 + 15 * DAY,
              until=T0 + 28 * DAY, universe=tmp_path / "u.toml", config=tmp_path / "c.toml")
    summary = api.watch(tmp_path / "s.duckdb", **kw)
    assert (summary.fired, summary.resolved, summary.delivered) == (1, 1, 2)
    (a,) = api.alerts(tmp_path / "s.duckdb").alerts
    assert (a.starts_at, a.ends_at, a.source) == (T0 + 21 * DAY, T0 + 25 * DAY, "coingecko")
    again = api.watch(tmp_path / "s.duckdb", **kw)
    assert (again.fired, again.resolved, again.delivered) == (0, 0, 0)
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 2
