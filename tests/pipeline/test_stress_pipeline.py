"""``selloff stress`` end to end on a simulated store: api, JSON/CSV, portfolio files, reproducibility,
scenarios, backtest, and every bad input as one line with exit 2."""
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from selloff import api
from selloff.cli import app

runner = CliRunner()
PATHS = "4000"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    from selloff.simulate import SimSpec
    from selloff.universe import load_universe

    path = tmp_path_factory.mktemp("stress") / "demo.duckdb"
    api.build_demo_store(path, load_universe(include_user_config=False), SimSpec(start="2025-01-01", hourly=False))
    return path


@pytest.fixture(scope="module")
def shocked(store):
    return api.stress(store, shocks=["BTC=-18%", "NVDA=-10%"], reverse="-20%", paths=int(PATHS), horizon="5d")


def test_result_tables_and_euler_identity(shocked, store):
    r = shocked
    assert r.simulated and r.calendar == "equity sessions" and r.horizon == 5
    assert set(r.risk["horizon_days"]) == {1, 5, 10} and len(r.risk) == 9
    for h in (1, 5, 10):
        es = r.risk[(r.risk.horizon_days == h) & (r.risk.level_pct == 97.5)]["es_pct"].iloc[0]
        assert r.euler_assets[f"ces_{h}d_pct"].sum() == pytest.approx(es, abs=1e-10)
        assert r.euler_factors[f"ces_{h}d_pct"].sum() == pytest.approx(es, abs=1e-10)
    assert (r.risk["var_lo_pct"] <= r.risk["var_pct"]).all() and (r.risk["es_pct"] >= r.risk["var_pct"]).all()
    assert r.shock.loc["BTC", "mean_pct"] == pytest.approx(-18) and r.shock.loc["TAO", "kind"] == "propagated"
    assert r.reverse["horizon_days"] == 5 and len(r.reverse["gaussian_moves"]) == 2
    # the liquidation figure is the cascade model's (tested against hand arithmetic in tests/analytics/test_cascade.py)
    # run for the shocked BTC move: the same number as `selloff cascade --shock -18%` on the same store
    alone = api.cascade(store, asset="BTC", shock=-0.18)
    assert r.expected_liquidations_usd == pytest.approx(alone.result.total_usd, rel=1e-9)
    assert "BTC -18.0 % (the --shock)" in r.expected_liquidations_note and "simulated" in r.expected_liquidations_note
    d = r.to_dict()
    json.dumps(d)
    assert d["shock_check"]["assets"] == ["BTC", "NVDA"]


def test_same_seed_same_result_for_any_batch_size(store, tmp_path):
    cfg = tmp_path / "small-batches.toml"
    cfg.write_text("[stress]\nblock_paths = 1000\nbatch_paths = 1000\n")
    cfg2 = tmp_path / "big-batches.toml"
    cfg2.write_text("[stress]\nblock_paths = 1000\nbatch_paths = 100000\n")
    a = api.stress(store, paths=3000, config=cfg)
    b = api.stress(store, paths=3000, config=cfg2)
    assert a.risk.equals(b.risk) and a.euler_assets.equals(b.euler_assets)
    c = api.stress(store, paths=3000, seed=1, config=cfg)
    assert not a.risk.equals(c.risk)


def test_cli_json_and_csv(store, tmp_path):
    out = tmp_path / "risk.csv"
    res = runner.invoke(app, ["stress", "--store", str(store), "--shock", "BTC=-10%", "--paths", PATHS, "--json",
                              "--csv", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["shock"] and d["paths"] == int(PATHS)
    assert out.read_text().splitlines()[0].startswith("horizon_days,level_pct,var_pct")


def test_cli_tables_fit_80_columns(store):
    res = runner.invoke(app, ["stress", "--store", str(store), "--shock", "BTC=-18%", "--reverse", "-25%",
                              "--paths", PATHS], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "VaR and ES" in res.stdout and max(len(x) for x in res.stdout.splitlines()) <= 80


def test_portfolio_files_with_leverage(store, tmp_path):
    t = tmp_path / "book.toml"
    t.write_text('[[positions]]\nasset = "BTC"\nweight = 0.5\nleverage = 5\n\n'
                 '[[positions]]\nasset = "TAO"\nweight = -0.2\nleverage = 2\n')
    r = api.stress(store, portfolio=t, paths=int(PATHS))
    assert r.margin.loc["BTC", "margin_call_move_pct"] == pytest.approx((0.8 / 0.995 - 1) * 100)
    assert r.margin.loc["TAO", "side"] == "short" and 0 <= r.margin_call_prob <= 1
    c = tmp_path / "book.csv"
    c.write_text("asset,quantity,leverage\nBTC,2,3\nNVDA,100,1\n")
    r2 = api.stress(store, portfolio=c, paths=int(PATHS))
    assert [p["asset"] for p in r2.portfolio] == ["BTC", "NVDA"]
    assert sum(abs(p["weight"]) for p in r2.portfolio) == pytest.approx(1)
    assert r2.portfolio_value_usd > 0
    np.testing.assert_allclose(r2.risk["es_usd"], r2.risk["es_pct"] / 100 * r2.portfolio_value_usd)


def test_scenario_library_and_episode_replay(store):
    r = api.stress(store, scenario="ai-2026-02-05", paths=int(PATHS))
    tab = {t["asset"]: t for t in r.scenario["table"]}
    assert tab["BTC"]["kind"] == "measured" and tab["BTC"]["mean_pct"] == pytest.approx(-12.32, abs=0.01)
    assert np.isfinite(r.scenario["portfolio_pnl_pct"])
    ep = api.scan(store).to_frame()
    assert not ep.empty
    r2 = api.stress(store, scenario=f"episode:{ep['start'].iloc[0]}", paths=int(PATHS))
    assert r2.scenario["name"].startswith("episode:") and {t["kind"] for t in r2.scenario["table"]} <= {"stored", "propagated"}


def test_backtest(store):
    r = api.stress(store, backtest=True, paths=2000)
    b = r.backtest
    assert b["days"] > 100 and b["traffic_light"]["zone"] in ("green", "yellow", "red")
    assert len(b["multinomial"]["observed"]) == 5 and sum(b["multinomial"]["observed"]) == b["days"]


def test_list_scenarios(store):
    res = runner.invoke(app, ["stress", "--list-scenarios"])
    assert res.exit_code == 0 and "deepseek-2025-01-27" in res.stdout and "episode:" not in res.stdout
    res = runner.invoke(app, ["stress", "--list-scenarios", "--store", str(store), "--json"])
    names = [r["name"] for r in json.loads(res.stdout)]
    assert "ftx-2022-11" in names and any(n.startswith("episode:") for n in names)


@pytest.mark.parametrize("argv,needle", [
    (["--shock", "DOGE=-5%"], "unknown asset DOGE"),
    (["--shock", "BTC=-100%"], "-100 %"),
    (["--shock", "BTC=-120%"], "-100 %"),
    (["--shock", "BTC"], "ASSET=MOVE"),
    (["--horizon", "3d"], "--horizon"),
    (["--scenario", "nope"], "not in the library"),
    (["--scenario", "episode:2019-01-01"], "no detected"),
    (["--reverse", "abc"], "--reverse"),
    (["--reverse", "-150%"], "--reverse"),
    (["--paths", "0"], "--paths"),
    (["--paths", "3000000000"], "or fewer"),
    (["--method", "vine"], "method"),
])
def test_bad_input_is_one_line_exit_2(store, argv, needle):
    res = runner.invoke(app, ["stress", "--store", str(store), *argv])
    assert res.exit_code == 2, res.output
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], res.stderr


@pytest.mark.parametrize("content,needle", [
    ("", "[[positions]]"),
    ("[[positions]]\nasset = \"BTC\"\nweight = 1\nleverage = 0\n", "leverage = 0 must be > 0"),
    ("[[positions]]\nasset = \"BTC\"\nweight = 1\nleverage = -1\n", "must be > 0"),
    ("[[positions]]\nasset = \"NOPE\"\nweight = 1\n", "unknown asset NOPE"),
])
def test_bad_portfolio_is_one_line_exit_2(store, tmp_path, content, needle):
    f = tmp_path / "p.toml"
    f.write_text(content)
    res = runner.invoke(app, ["stress", "--store", str(store), "--portfolio", str(f)])
    assert res.exit_code == 2, res.output
    assert res.stderr.count("\n") == 1 and needle in res.stderr


def test_empty_csv_portfolio(store, tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("asset,weight,leverage\n")
    res = runner.invoke(app, ["stress", "--store", str(store), "--portfolio", str(f)])
    assert res.exit_code == 2 and "is empty" in res.stderr


def test_what_if_table_for_the_report(store):
    from selloff.pipeline import params as P
    from selloff.pipeline.load import load_panel
    from selloff.pipeline.stores import open_store
    from selloff.pipeline.stress import stress_assets, what_if_of
    from selloff.universe import load_universe

    u = load_universe(include_user_config=False)
    with open_store(store, True) as db:
        panel = load_panel(db, u, stress_assets(u, "ai-crypto", P.stress_params(), (), (), None), None, None,
                           tables=("bars",), intervals=("1d",))
    t = what_if_of(panel, u, "ai-crypto", "2025-12-31", paths=3000)
    assert t.loc["BTC", "ret_pct"] == pytest.approx(-10) and t.loc["EQ_BASKET", "ret_pct"] == pytest.approx(-5)
    members = [a for a in t.index if t.loc[a, "kind"] == "propagated" and a in u.sector("ai-crypto").members]
    assert t.loc["SECTOR_EW", "ret_pct"] == pytest.approx(t.loc[members, "ret_pct"].mean(), abs=1e-9)
    assert (t["lo_pct"] <= t["ret_pct"] + 1e-9).all() and (t["ret_pct"] <= t["hi_pct"] + 1e-9).all()


def test_readme_stress_example_runs(store):
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Stress testing"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1).replace('"out/demo.duckdb"', repr(str(store)))
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert ns["res"].shock is not None and ns["res"].reverse is not None


def test_t_copula_option(store):
    r = api.stress(store, method="t-copula", paths=2000)
    assert "Student-t copula" in r.model and r.method == "t-copula"
    es = r.risk[(r.risk.horizon_days == 1) & (r.risk.level_pct == 97.5)]["es_pct"].iloc[0]
    assert r.euler_assets["ces_1d_pct"].sum() == pytest.approx(es, abs=1e-10)
