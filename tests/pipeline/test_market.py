"""The whole market at once: ``api.scan_all``, ``api.today``, ``selloff scan --all`` and ``selloff today`` on a
small seeded store with a one-day crash in one sector and a slow slide in another, every figure by hand."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from selloff import api
from selloff.cli import app
from selloff.errors import DataError
from selloff.store import Store
from selloff.universe import load_universe

START = pd.Timestamp("2024-01-01", tz="UTC")
N = 420
CRASH = 300                  # alpha: every member -20 % on this day
SLIDE = range(200, 207)      # beta: every member -4 % a day for 7 days (no single day reaches -8 %)
ALPHA, BETA = [f"A{i}" for i in range(5)], [f"B{i}" for i in range(4)]
UNIVERSE = """
[assets.GSPC]
kind = "index"
name = "S&P 500"
{assets}
[sectors.alpha]
name = "Alpha"
members = [{alpha}]
[sectors.beta]
name = "Beta"
members = [{beta}]
"""


def _closes(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for a in [*ALPHA, *BETA, "BTC"]:
        r = 0.01 * rng.standard_normal(N)
        if a in ALPHA:
            r[CRASH] = -0.20
        if a in BETA:
            r[list(SLIDE)] = -0.04
        out[a] = 50.0 * np.cumprod(1.0 + r)
    return out


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    base = tmp_path_factory.mktemp("market")
    assets = "".join(f'[assets.{a}]\nkind = "token"\nname = "{a}"\n' for a in [*ALPHA, *BETA])
    uni_path = base / "u.toml"
    uni_path.write_text(UNIVERSE.format(assets=assets, alpha=", ".join(f'"{a}"' for a in ALPHA),
                                        beta=", ".join(f'"{a}"' for a in BETA)), encoding="utf-8")
    closes = _closes(7)
    days = pd.date_range(START, periods=N, freq="D")
    bars, caps = [], []
    for a, c in closes.items():
        bars.append(pd.DataFrame({"asset": a, "interval": "1d", "ts": days, "source": "binance", "close": c}))
        if a in ALPHA:  # caps for alpha only: beta is equal-weighted
            caps.append(pd.DataFrame({"asset": a, "ts": days + pd.Timedelta(days=1), "source": "coingecko",
                                      "market_cap_usd": c * 1e6 * (1 + ALPHA.index(a))}))
    sess = pd.bdate_range(START, periods=N // 7 * 5, freq="B")
    eq = 4000 * np.cumprod(1 + 0.005 * np.random.default_rng(1).standard_normal(len(sess)))
    bars.append(pd.DataFrame({"asset": "GSPC", "interval": "1d", "ts": sess + pd.Timedelta(hours=14, minutes=30),
                              "source": "yahoo", "close": eq}))
    path = base / "m.duckdb"
    with Store(path) as db:
        db.upsert("bars", pd.concat(bars), what="test bars")
        db.upsert("market_caps", pd.concat(caps), what="test caps")
    return path, load_universe(uni_path), uni_path, closes, days


def _day(i: int) -> pd.Timestamp:
    return (START + pd.Timedelta(days=i)).tz_localize(None)


def test_scan_all_finds_the_crash_and_the_slide_in_one_read_per_table(market):
    path, u, _, _, _ = market
    with Store(path, read_only=True) as db:
        calls = []
        orig, orig_scatter = db._arrays, db.scatter_cells  # every array read (read_arrays, read_cells)
        # goes through _arrays; the streamed one (each asset one source) is scatter_cells
        db._arrays = lambda table, value, picks, **kw: calls.append((table, kw.get("interval"))) or orig(table, value, picks, **kw)
        db.scatter_cells = lambda table, *a, **kw: calls.append((table, kw.get("interval"))) or orig_scatter(table, *a, **kw)
        res = api.scan_all(db, universe=u)
    assert sorted(calls) == [("bars", "1d"), ("market_caps", None)]  # one read per table for all sectors
    assert set(res.sectors) == {"alpha", "beta", "benchmarks", "crypto-majors", "currency", "us-indices"}
    assert "ai-crypto" in res.without_data
    alpha = [e for e in res.episodes if e.sector == "alpha"]
    assert [(e.kind, e.start) for e in alpha] == [("day", _day(CRASH))]
    e = alpha[0]
    assert e.move_pct == pytest.approx(-20.0, abs=1e-9)  # every member -20 %: cap weights do not matter
    assert e.max_breadth == 1.0 and e.score == pytest.approx(-e.move_z)
    beta = [e for e in res.episodes if e.sector == "beta"]
    assert len(beta) == 1 and beta[0].kind == "slide"
    s = beta[0]
    assert _day(SLIDE[0]) <= s.start and s.end <= _day(SLIDE[-1])
    k = (s.end - s.start).days + 1
    assert s.move_pct == pytest.approx(100 * (0.96**k - 1), abs=1e-6) or s.move_pct <= -15
    scores = [x.score for x in res.episodes]
    assert scores == sorted(scores, reverse=True)
    assert res.to_dict()["episodes"][0]["score"] == pytest.approx(scores[0])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=st.integers(min_value=0, max_value=N - 1), until=st.integers(min_value=0, max_value=N - 1))
def test_episodes_do_not_depend_on_since_or_until(market, since, until):
    """The episodes starting in [since, until] are those of the whole-history scan, field by field."""
    path, u, _, _, _ = market
    since, until = min(since, until), max(since, until)
    with Store(path, read_only=True) as db:
        full = api.scan(db, universe=u, sector="alpha").episodes + api.scan(db, universe=u, sector="beta").episodes
        win = (api.scan(db, universe=u, sector="alpha", since=_day(since), until=_day(until)).episodes
               + api.scan(db, universe=u, sector="beta", since=_day(since), until=_day(until)).episodes)
    expect = [e.as_dict() for e in full if _day(since) <= e.start <= _day(until)]
    assert [e.as_dict() for e in win] == expect


def test_today_board_by_hand(market):
    path, u, _, closes, _ = market
    b = api.today(path, date=_day(CRASH), universe=u)
    rows = b.sectors.set_index("sector")
    assert rows.loc["alpha", "move_1d_pct"] == pytest.approx(-20.0, abs=1e-9)
    assert rows.loc["alpha", "breadth"] == 1.0
    assert rows.loc["alpha", "episode"] == f"day {_day(CRASH).date()}"
    btc_1d = 100 * (closes["BTC"][CRASH] / closes["BTC"][CRASH - 1] - 1)
    btc_7d = 100 * (closes["BTC"][CRASH] / closes["BTC"][CRASH - 7] - 1)
    bench = b.benchmarks.set_index("asset")
    assert bench.loc["BTC", "move_1d_pct"] == pytest.approx(btc_1d, rel=1e-12)
    assert bench.loc["BTC", "move_7d_pct"] == pytest.approx(btc_7d, rel=1e-12)
    assert rows.loc["alpha", "vs_BTC_1d_pp"] == pytest.approx(-20.0 - btc_1d, abs=1e-9)
    # beta is equal-weighted (no caps): its 7-day move is the chained mean of its members' returns
    r = np.mean([closes[m][CRASH - 6:CRASH + 1] / closes[m][CRASH - 7:CRASH] - 1 for m in BETA], axis=0)
    assert rows.loc["beta", "move_7d_pct"] == pytest.approx(100 * (np.prod(1 + r) - 1), rel=1e-10)
    assert "GSPC" in bench.index and pd.isna(rows.loc["alpha", "episode_depth_pct"]) is False
    json.dumps(b.to_dict())  # serialisable as is
    assert b.to_frame().attrs["date"] == str(_day(CRASH).date())


def test_today_defaults_to_the_last_crypto_day_and_refuses_a_day_before_the_data(market):
    path, u, _, _, days = market
    assert api.today(path, universe=u).date == days[-1].tz_localize(None)
    from selloff.errors import DataError

    with pytest.raises(DataError, match="no daily bars on or before it"):
        api.today(path, date="2020-01-01", universe=u)


@pytest.mark.parametrize("args", [["today", "--date", str(_day(CRASH).date())], ["scan", "--all"],
                                  ["scan", "--all", "--since", str(_day(150).date())]])
def test_cli_tables_fit_80_columns_and_json_parses(market, args):
    path, _, uni_path, _, _ = market
    base = [*args, "--store", str(path), "--universe", str(uni_path)]
    res = CliRunner().invoke(app, base, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "alpha" in res.output
    doc = json.loads(CliRunner().invoke(app, [*base, "--json"]).stdout)
    assert ("sectors" in doc) and (doc.get("episodes") is not None or doc.get("date"))


def test_scan_all_in_a_forked_child_finds_what_one_process_finds(market, tmp_path):
    path, u, _, _, _ = market
    one = tmp_path / "one.toml"
    one.write_text("[market]\nscan_processes = 1\n", encoding="utf-8")
    with Store(path, read_only=True) as db:
        a = api.scan_all(db, universe=u, config=one).to_dict()
        b = api.scan_all(db, universe=u).to_dict()  # the default: half the sectors in a child
    assert a == b and a["episodes"]


def test_each_sector_of_one_all_sector_pass_is_what_scan_of_that_sector_gives(market):
    """MarketScan.sector_result (the dashboard's episode list from one pass) against selloff scan --sector, one
    sector at a time: the same episodes, sources and simulated flag."""
    path, u, _, _, _ = market
    with Store(path, read_only=True) as db:
        res = api.scan_all(db, universe=u, sectors=list(u.sectors))
        assert res.sectors
        for s in res.sectors:
            one = api.scan(db, universe=u, sector=s)
            assert res.sector_result(s).to_dict() == one.to_dict(), s
        with pytest.raises(DataError, match="no data in this scan"):
            res.sector_result("ai-crypto")
