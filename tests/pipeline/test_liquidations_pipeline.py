"""``selloff liquidations`` and ``selloff cascade`` end to end on a small simulated store: one read per table,
JSON and tables within 80 columns, bad input as one line with exit code 2."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from selloff import api
from selloff.cli import app
from selloff.pipeline.load import read_counter
from selloff.pipeline.stores import Store
from selloff.simulate import SimSpec

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("liq") / "s.duckdb"
    with Store(path) as db:
        api.build_demo_store(db, spec=SimSpec(start="2025-10-01", end="2026-02-10"))
    return path


def test_liquidations_api_reads_each_table_once_and_adds_up(store):
    with Store(store, read_only=True) as db, read_counter(db) as counts:
        r = api.liquidations(db, asset="BTC", date="2026-02-06")
    assert counts == {"derivatives": 1, "bars": 1}
    assert r.simulated and r.assets == ("BTC",)
    by = r.tables["by_asset"]
    assert by["liq_usd"].sum() == pytest.approx(r.total.total_usd)
    assert by.set_index("side").loc["long", "liq_usd"] == pytest.approx(r.total.long_usd)
    assert r.tables["by_hour"]["liq_usd"].sum() == pytest.approx(r.total.total_usd)  # hourly rows only, all of them
    assert len(r.tables["largest_hours"]) == 10
    last = r.tables["regimes"].iloc[-1]
    assert str(last["date"].date()) == "2026-02-06"
    assert last["regime"] == ("long flush" if last["ret_pct"] <= -0.5 and last["oi_change_pct"] <= -1.0 else last["regime"])
    assert r.to_dict()["total"]["total_usd"] == pytest.approx(r.total.total_usd)
    assert not r.to_frame().empty


def test_liquidations_cli_fits_80_columns_and_json(store):
    res = runner.invoke(app, ["liquidations", "--store", str(store), "--date", "2026-02-06", "--asset", "BTC"],
                        env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "SIMULATED" in res.output and "Positioning regime" in res.output
    res = runner.invoke(app, ["liquidations", "--store", str(store), "--date", "2026-02-06", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["simulated"] and doc["total"]["total_usd"] > 0 and "before_during" in doc["tables"]


def test_cascade_cli_and_api(store):
    res = runner.invoke(app, ["cascade", "--store", str(store), "--shock", "-18%", "--date", "2026-02-06"],
                        env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "holdout" in res.output and "Iterations" in res.output
    c = api.cascade(store, asset="BTC", shock=-0.18, date="2026-02-06")
    assert c.k_source == "calibrated" and c.book.asof.date().isoformat() == "2026-02-05"
    assert c.result.long_usd > 0 and c.result.short_usd == 0 and c.result.price_final <= c.result.price_shocked
    doc = json.loads(runner.invoke(app, ["cascade", "--store", str(store), "--shock", "-0.18", "--json"]).stdout)
    assert doc["result"]["shock"] == pytest.approx(-0.18) and doc["calibration"]["holdout"]["n_days"] > 0


@pytest.mark.parametrize("args, msg", [
    (["cascade", "--shock", "-100%"], "above -100 %"),
    (["cascade", "--shock", "-120%"], "above -100 %"),
    (["cascade", "--shock", "lots"], "is not a move"),
    (["liquidations", "--date", "2026-02-06", "--since", "2026-02-01"], "not both"),
])
def test_bad_input_one_line_exit_2(store, args, msg):
    res = runner.invoke(app, [*args, "--store", str(store)])
    assert res.exit_code == 2, res.output
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and msg in lines[0]


def test_bad_leverage_in_config_is_one_line(store, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[cascade]\nleverage = [0.0, 5.0, 10.0, 20.0, 50.0, 100.0]\n", encoding="utf-8")
    res = runner.invoke(app, ["cascade", "--shock", "-10%", "--store", str(store), "--config", str(cfg)])
    assert res.exit_code == 2 and "leverage" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_record_liquidations_still_registered():
    res = runner.invoke(app, ["record", "liquidations", "--help"])
    assert res.exit_code == 0, res.output


def test_stress_reads_each_table_once_and_its_cascade_matches_the_stand_alone_model(store):
    """`selloff stress` with a BTC shock: bars and derivatives read once each (the stress and the cascade model's BTC
    history from one read), and the expected liquidations equal those of the cascade model built on its own read."""
    from selloff.analytics.cascade import expected_liquidations
    from selloff.pipeline.cascade import cascade_model
    from selloff.pipeline.stress import stress
    from selloff.universe import load_universe

    u = load_universe(include_user_config=False)
    with Store(store, read_only=True) as db:
        with read_counter(db) as counts:
            res = stress(db, u, "ai-crypto", shocks={"BTC": -0.2}, paths=200, seed=1)
        m = cascade_model(db, u, "BTC")
    assert counts == {"bars": 1, "derivatives": 1}
    ref = expected_liquidations(m.book, [-0.2], m.k, m.scale)
    assert res.expected_liquidations_usd == pytest.approx(float(ref.total_usd[0]), rel=1e-12)
