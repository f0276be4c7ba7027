"""Ingest: incremental plans from store coverage, one transaction per batch, fetch_log, kill-safety."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from werkzeug import Response

from selloff.pipeline.fetch import FetchContext, execute, plan, select_assets, summarize
from selloff.sources._http import HttpPolicy
from selloff.sources.coingecko import CoinGecko
from selloff.store import Store
from selloff.universe import load_universe

REC = Path(__file__).parent / "sources" / "recorded"
FAST = HttpPolicy(max_attempts=2, base_wait_s=0.01, max_wait_s=0.05, timeout_s=2)
NOW = pd.Timestamp("2026-02-06T12:00:00Z")


def chart(points: list[tuple[str, float]]) -> dict:
    ms = [int(pd.Timestamp(t, tz="UTC").value // 1_000_000) for t, _ in points]
    return {"prices": [[m, p] for m, (_, p) in zip(ms, points)],
            "market_caps": [[m, p * 1e7] for m, (_, p) in zip(ms, points)],
            "total_volumes": [[m, 1e6] for m in ms]}


@pytest.fixture
def uni():
    return load_universe()


def ctx_for(httpserver) -> FetchContext:
    return FetchContext(coingecko=CoinGecko(plan="pro", base_url=httpserver.url_for("/"), api_key="k", policy=FAST, now=NOW),
                        now=NOW)


def test_plan_is_incremental_from_store_coverage(tmp_path, uni, httpserver):
    ctx = ctx_for(httpserver)
    store = Store(tmp_path / "s.duckdb")
    tao = select_assets(uni, assets="TAO")
    first = plan(store, uni, ctx, assets=tao, since="2026-01-01", until="2026-02-05", sources=["coingecko"])
    chart_tasks = [t for t in first if t.kind == "market_chart"]
    assert [(t.start, t.end) for t in chart_tasks] == [(pd.Timestamp("2026-01-01", tz="UTC"), pd.Timestamp("2026-02-05", tz="UTC"))]
    store.upsert("bars", pd.DataFrame({"asset": "TAO", "interval": "1d", "source": "coingecko", "close": 1.0,
                                       "ts": pd.date_range("2026-01-01", "2026-01-20", freq="D", tz="UTC")}))
    again = [t for t in plan(store, uni, ctx, assets=tao, since="2026-01-01", until="2026-02-05", sources=["coingecko"])
             if t.kind == "market_chart"]
    assert [t.start for t in again] == [pd.Timestamp("2026-01-21", tz="UTC")]


def test_execute_writes_batches_logs_and_is_idempotent(tmp_path, uni, httpserver):
    httpserver.expect_request("/coins/bittensor/market_chart/range").respond_with_json(
        chart([("2026-02-02", 210.0), ("2026-02-03", 205.0), ("2026-02-04", 198.0)]))
    httpserver.expect_request("/coins/near/market_chart/range").respond_with_data('{"prices": [[17', 200)  # truncated
    ctx = ctx_for(httpserver)
    store = Store(tmp_path / "s.duckdb")
    assets = select_assets(uni, assets="TAO,NEAR")
    tasks = [t for t in plan(store, uni, ctx, assets=assets, since="2026-02-01", until="2026-02-04", sources=["coingecko"])
             if t.kind == "market_chart"]
    res = execute(store, tasks)
    assert [r.status for r in res] == ["ok", "error"]
    assert res[0].inserted == 3 + 3  # 3 bars + 3 market caps
    assert "malformed JSON" in res[1].error
    assert store.read("bars", assets=["NEAR"]).empty  # the failed batch wrote nothing
    log = store.read("fetch_log")
    assert list(log["status"]) == ["ok", "error"] and log["rows_inserted"].iloc[0] == 6
    again = execute(store, tasks[:1])
    assert (again[0].inserted, again[0].unchanged) == (0, 6)
    s = summarize(res)
    assert s.loc[0, "failed"] == 1 and "malformed JSON" in s.loc[0, "gaps"][0]


def test_a_bad_row_names_source_asset_and_row_and_writes_nothing(tmp_path, uni, httpserver):
    httpserver.expect_request("/coins/bittensor/market_chart/range").respond_with_json(
        chart([("2026-02-02", 210.0), ("2026-02-03", -5.0)]))
    ctx = ctx_for(httpserver)
    store = Store(tmp_path / "s.duckdb")
    tasks = [t for t in plan(store, uni, ctx, assets=select_assets(uni, assets="TAO"), since="2026-02-01",
                             until="2026-02-04", sources=["coingecko"]) if t.kind == "market_chart"]
    res = execute(store, tasks)
    assert res[0].status == "error" and "TAO" in res[0].error and "non-positive price" in res[0].error
    assert store.count("bars") == 0 and store.count("market_caps") == 0


def test_killed_fetch_leaves_the_store_consistent(tmp_path, httpserver):
    """A fetch subprocess is SIGKILLed while it waits on a stalled server; committed batches stay, nothing half."""
    now = pd.Timestamp.now(tz="UTC").floor("D")
    days = [now - pd.Timedelta(days=k) for k in (3, 2, 1)]
    httpserver.expect_request("/coins/bittensor/market_chart/range").respond_with_json(
        chart([(d.isoformat(), 100.0 + i) for i, d in enumerate(days)]))
    stalled, release = [], threading.Event()

    def stall(_req):
        stalled.append(time.time())
        release.wait(20)
        return Response("{}", 200)

    httpserver.expect_request("/coins/near/market_chart/range").respond_with_handler(stall)
    path = tmp_path / "kill.duckdb"
    with Store(path) as s:  # pre-existing content that must survive untouched
        s.upsert("bars", pd.DataFrame({"asset": "BTC", "interval": "1d", "source": "binance", "close": [1.0, 2.0],
                                       "ts": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True)}))
        before = s.read("bars")
    env = {**os.environ, "COINGECKO_BASE_URL": httpserver.url_for("/").rstrip("/"), "COINGECKO_API_KEY": "k"}
    env.pop("COINGECKO_PRO_API_KEY", None)
    since = (now - pd.Timedelta(days=5)).strftime("%Y-%m-%d")
    child = subprocess.Popen([sys.executable, "-m", "selloff.cli", "fetch", "--assets", "TAO,NEAR", "--source", "coingecko",
                              "--since", since, "--store", str(path), "--json"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while not stalled and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert stalled, child.stderr.read().decode() if child.poll() is not None else "child never reached NEAR"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    release.set()
    with Store(path) as s:
        bars = s.read("bars")
        assert before.equals(bars[bars["asset"] == "BTC"].reset_index(drop=True))
        assert len(bars[bars["asset"] == "TAO"]) == 3  # TAO's batch committed whole
        assert bars[bars["asset"] == "NEAR"].empty  # NEAR's never started writing
        log = s.read("fetch_log")
        assert list(log["status"]) == ["ok"] and "TAO" in log["request"].iloc[0]


def test_missing_runs_by_hand():
    from selloff.pipeline.fetch import missing_runs

    step = pd.Timedelta(hours=1)
    expected = pd.date_range("2026-02-05 00:00", periods=8, freq="h", tz="UTC")
    present = expected.delete([2, 3, 4, 7])  # a hole of three hours and the last bar
    assert missing_runs(present, expected, step) == [
        (pd.Timestamp("2026-02-05 02:00", tz="UTC"), pd.Timestamp("2026-02-05 05:00", tz="UTC")),
        (pd.Timestamp("2026-02-05 07:00", tz="UTC"), pd.Timestamp("2026-02-05 08:00", tz="UTC")),
    ]
    assert missing_runs(expected, expected, step) == []


def test_plan_fetches_a_hole_inside_the_stored_series(tmp_path, uni, httpserver):
    ctx = ctx_for(httpserver)
    store = Store(tmp_path / "s.duckdb")
    days = pd.date_range("2026-01-01", "2026-02-04", freq="D", tz="UTC")
    kept = days[(days < "2026-01-10") | (days > "2026-01-14")]  # 10..14 January lost, e.g. by an outage
    store.upsert("bars", pd.DataFrame({"asset": "TAO", "interval": "1d", "source": "coingecko", "close": 1.0, "ts": kept}))
    tasks = [t for t in plan(store, uni, ctx, assets=select_assets(uni, assets="TAO"), since="2026-01-01",
                             until="2026-02-05", sources=["coingecko"]) if t.kind == "market_chart"]
    assert [(t.start, t.end) for t in tasks] == [(pd.Timestamp("2026-01-10", tz="UTC"), pd.Timestamp("2026-01-15", tz="UTC"))]


def test_equity_gaps_follow_nyse_sessions(tmp_path):
    from selloff.analytics.calendar import nyse_sessions
    from selloff.pipeline.fetch import bar_gaps

    store = Store(tmp_path / "s.duckdb")
    sess = nyse_sessions("2025-12-22", "2026-01-09")
    opens = pd.DatetimeIndex(sess["open_ts"])
    # 24 Dec (early close), 25 Dec (holiday), weekends: none of them is a gap; 30 Dec is
    kept = opens[opens.normalize() != pd.Timestamp("2025-12-30 00:00", tz="UTC")]
    store.upsert("bars", pd.DataFrame({"asset": "NVDA", "interval": "1d", "source": "yahoo", "close": 1.0, "ts": kept}))
    gaps = bar_gaps(store, {"asset": "NVDA", "interval": "1d", "source": "yahoo"}, pd.Timestamp("2025-12-22", tz="UTC"),
                    pd.Timestamp("2026-01-10", tz="UTC"), pd.Timedelta(days=1), equity=True)
    assert len(gaps) == 1 and gaps[0][0].tz_convert("America/New_York").date().isoformat() == "2025-12-30"
