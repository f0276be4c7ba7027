"""selloff watch / selloff alerts from the command line: one round against a loopback CoinGecko (wall clock),
the JSON-lines sink, and bad input as one line with exit code 2."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner
from werkzeug import Request, Response

from selloff.cli import app

IDS = {"bittensor": "TAO", "near": "NEAR", "render-token": "RENDER", "fetch-ai": "FET", "bitcoin": "BTC"}
NOW = pd.Timestamp.now(tz="UTC")
CRASH = NOW - pd.Timedelta(hours=12)  # the AI tokens are 15 % lower from here on; BTC is flat


def price(asset: str, t: pd.Timestamp) -> float:
    return 100.0 * (0.85 if asset != "BTC" and t >= CRASH else 1.0)


def markets(req: Request) -> Response:
    now = pd.Timestamp.now(tz="UTC")
    return Response(json.dumps([{"id": i, "current_price": price(IDS[i], now), "market_cap": 1e9, "total_volume": 1e6,
                                 "circulating_supply": 1e7, "last_updated": now.isoformat()} for i in req.args["ids"].split(",")]),
                    200, content_type="application/json")


def chart(req: Request) -> Response:
    asset = IDS[req.path.split("/")[2]]
    ts = pd.date_range(pd.Timestamp(int(req.args["from"]), unit="s", tz="UTC").ceil("h"),
                       min(pd.Timestamp(int(req.args["to"]), unit="s", tz="UTC"), pd.Timestamp.now(tz="UTC")), freq="h")
    pts = [[int(t.value // 1_000_000), price(asset, t)] for t in ts]
    return Response(json.dumps({"prices": pts, "market_caps": [[m, 1e9] for m, _ in pts],
                                "total_volumes": [[m, 1e6] for m, _ in pts]}), 200, content_type="application/json")


@pytest.fixture
def env(tmp_path, httpserver, monkeypatch):
    httpserver.expect_request("/coins/markets").respond_with_handler(markets)
    for cid in IDS:
        httpserver.expect_request(f"/coins/{cid}/market_chart/range").respond_with_handler(chart)
    httpserver.expect_request("/coins/categories").respond_with_json([])
    httpserver.expect_request("/coins/categories/list").respond_with_json([])
    monkeypatch.setenv("COINGECKO_PRO_API_KEY", "test-pro-key")
    monkeypatch.setenv("COINGECKO_BASE_URL", httpserver.url_for("/"))
    monkeypatch.delenv("SELLOFF_WEBHOOK_SECRET", raising=False)
    (tmp_path / "u.toml").write_text('[sectors.watch-ai]\nname = "w"\nmembers = ["TAO", "NEAR", "RENDER", "FET"]\n')
    (tmp_path / "c.toml").write_text('[watch]\nsectors = ["watch-ai"]\nhistory_days = 3\n')
    (tmp_path / "r.toml").write_text(
        '[[rule]]\nname = "ai"\nkind = "breadth"\nsector = "watch-ai"\nwindow = "24h"\ndrop_pct = -8.0\n'
        'min_share = 0.7\nbenchmark = "BTC"\nbenchmark_above_pct = -3.0\n')
    return tmp_path


def args(tmp: Path, *extra: str) -> list[str]:
    return ["watch", "--store", str(tmp / "s.duckdb"), "--universe", str(tmp / "u.toml"), "--config", str(tmp / "c.toml"),
            "--rules", str(tmp / "r.toml"), *extra]


def test_watch_once_writes_the_alert_and_alerts_lists_it(env):
    r = CliRunner().invoke(app, args(env, "--once", "--sink", f"jsonl:{env / 'a.jsonl'}", "--sink", "terminal"))
    assert r.exit_code == 0, r.output
    assert "1 round(s), 1 fired" in r.output and "selloff watch · round 1" in r.output
    (line,) = (env / "a.jsonl").read_text().splitlines()
    alert = json.loads(line)["data"]["alerts"][0]
    assert alert["rule"] == "ai" and alert["values"]["share"] == 1.0
    assert alert["values"]["changes"]["TAO"] == pytest.approx(-15.0)
    again = CliRunner().invoke(app, args(env, "--iterations", "2", "--interval", "0.01", "--sink", f"jsonl:{env / 'a.jsonl'}", "--json"))
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["fired"] == 0 and len((env / "a.jsonl").read_text().splitlines()) == 1
    listed = CliRunner().invoke(app, ["alerts", "--store", str(env / "s.duckdb"), "--json"])
    assert listed.exit_code == 0
    (a,) = json.loads(listed.stdout)["alerts"]
    assert a["status"] == "firing" and a["deliveries"][0]["status"] == "delivered"
    table = CliRunner().invoke(app, ["alerts", "--store", str(env / "s.duckdb"), "--lang", "de"])
    assert "der Mitglieder" in table.output


@pytest.mark.parametrize("extra, msg", [
    (["--sink", "slack:#x"], "--sink slack: unknown"),
    (["--sink", "webhook:http://127.0.0.1:9/h"], "SELLOFF_WEBHOOK_SECRET is not set"),
    (["--interval", "0"], "--interval 0.0 must be"),
    (["--iterations", "0"], "--iterations 0 must be"),
])
def test_bad_input_is_one_line_exit_2(env, extra, msg):
    r = CliRunner().invoke(app, args(env, "--once", *extra))
    assert r.exit_code == 2 and msg in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (env / "s.duckdb").exists()


def test_bad_rules_file_is_one_line(env):
    (env / "r.toml").write_text('[[rule]]\nname = "x"\nkind = "change"\n')
    r = CliRunner().invoke(app, args(env, "--once"))
    assert r.exit_code == 2 and "a change rule needs window" in r.output


def test_sigterm_stops_cleanly_between_rounds(env):
    """A real process: SIGTERM while it waits for the next round → exit 0, 'stopped', the store opens and holds
    the first round's alert (nothing half-written)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "selloff.cli", *args(env, "--interval", "60", "--sink",
                                                                         f"jsonl:{env / 'a.jsonl'}")],
                            cwd=repo, env={**os.environ, "PYTHONPATH": str(repo / "src")},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (env / "a.jsonl").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert (env / "a.jsonl").exists(), proc.communicate(timeout=5)
    time.sleep(0.5)  # the first round ends (deliveries recorded), the wait for round 2 begins
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 round(s), 1 fired, 0 resolved, 1 delivered" in out and "stopped" in out
    from selloff import api

    (a,) = api.alerts(env / "s.duckdb").alerts
    assert a.status == "firing" and [d.status for d in a.deliveries] == ["delivered"]
