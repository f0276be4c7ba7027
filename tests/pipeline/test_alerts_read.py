"""The alerts storage (schema 2) and its read side: migration, idempotent upserts, api.alerts / alert_rules /
alert_channels with hand-made rows whose expected answers are counted by hand."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from selloff import api
from selloff.errors import ConfigError
from selloff.store import SCHEMA_VERSION, Store
from selloff.store.schema import MIGRATIONS

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731


def alert_row(fp: str, start: str, status: str = "firing", end: str | None = None, **kw) -> dict:
    row = {"fingerprint": fp, "starts_at": T(start), "id": f"{fp}-{T(start):%Y%m%dT%H%M%SZ}", "rule": kw.pop("rule", "r1"),
           "kind": "change", "sector": "ai-crypto", "asset": kw.pop("asset", "TAO"), "severity": "warning",
           "status": status, "ends_at": T(end) if end else pd.NaT, "updated_at": T(end or start),
           "summary_en": "TAO fell 16.0 % in 24 h", "summary_de": "TAO fiel in 24 h um 16,0 %",
           "values_json": json.dumps({"change_pct": -16.0, "window_s": 86400}), "inhibited_by": None,
           "source": "coingecko"}
    row.update(kw)
    return row


def delivery(alert_id: str, sink: str, status: str, event: str = "firing", at: str = "2026-02-05T10:00Z",
             error: str | None = None) -> dict:
    return {"alert_id": alert_id, "event": event, "sink": sink, "status": status, "attempts": 1,
            "message_id": f"msg_{alert_id}", "last_attempt_at": T(at),
            "delivered_at": T(at) if status == "delivered" else pd.NaT, "last_error": error}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.duckdb")
    s.upsert("alerts", pd.DataFrame([
        alert_row("aaa", "2026-02-05T08:00Z", "resolved", "2026-02-05T20:00Z"),
        alert_row("bbb", "2026-02-06T08:00Z", asset="NEAR"),
        alert_row("ccc", "2026-02-01T08:00Z", "resolved", "2026-02-01T09:00Z", rule="r2", source="simulated"),
    ]))
    s.upsert("alert_deliveries", pd.DataFrame([
        delivery("aaa-20260205T080000Z", "webhook:http://127.0.0.1/h", "delivered", at="2026-02-05T08:00Z"),
        delivery("aaa-20260205T080000Z", "webhook:http://127.0.0.1/h", "dead_letter", "resolved",
                 "2026-02-05T21:00Z", "HTTP 500 after 5 attempts"),
        delivery("bbb-20260206T080000Z", "webhook:http://127.0.0.1/h", "delivered", at="2026-02-06T08:01Z"),
        delivery("bbb-20260206T080000Z", "jsonl:/tmp/a.jsonl", "delivered", at="2026-02-06T08:00Z"),
    ]))
    yield s
    s.close()


def test_schema_2_replaces_the_unused_v1_alerts_table(tmp_path):
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)")
    for sql in MIGRATIONS[0][2]:
        con.execute(sql)
    con.execute("INSERT INTO schema_version VALUES (1, 'initial schema', now())")
    con.close()
    with Store(path, read_only=True) as ro:  # not migrated: an empty answer, not an error
        res = api.alerts(ro)
        assert res.alerts == () and res.channels == () and res.watch_tables is False
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION == 3  # v1 -> v2 (watch tables) -> v3 (series catalogue)
        cols = [r[0] for r in s.con.execute("SELECT column_name FROM information_schema.columns "
                                            "WHERE table_name = 'alerts' ORDER BY ordinal_position").fetchall()]
        assert cols[:3] == ["fingerprint", "starts_at", "id"] and "subject" not in cols
        assert s.count("alert_deliveries") == 0 and s.count("watch_state") == 0


def test_alert_upsert_is_idempotent_and_updates_the_episode(store):
    again = store.upsert("alerts", pd.DataFrame([alert_row("bbb", "2026-02-06T08:00Z", asset="NEAR")]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    done = store.upsert("alerts", pd.DataFrame([alert_row("bbb", "2026-02-06T08:00Z", "resolved", "2026-02-07T00:00Z",
                                                          asset="NEAR")]))
    assert (done.inserted, done.updated) == (0, 1)
    assert store.count("alerts") == 3


def test_api_alerts_filters_orders_and_attaches_deliveries(store):
    res = api.alerts(store)
    assert [a.fingerprint for a in res.alerts] == ["bbb", "aaa", "ccc"]  # newest start first
    a = res.alerts[1]
    assert (a.status, a.ends_at, a.values["change_pct"]) == ("resolved", T("2026-02-05T20:00Z"), -16.0)
    assert {(d.event, d.status) for d in a.deliveries} == {("firing", "delivered"), ("resolved", "dead_letter")}
    assert [x.fingerprint for x in api.alerts(store, status="firing").alerts] == ["bbb"]
    assert [x.fingerprint for x in api.alerts(store, since="2026-02-05T12:00Z").alerts] == ["bbb", "aaa"]
    assert len(api.alerts(store, limit=1).alerts) == 1
    assert [x.simulated for x in res.alerts] == [False, False, True]  # ccc came from the simulated market
    frame = res.to_frame()
    assert list(frame["id"]) == [x.id for x in res.alerts]
    assert "jsonl:/tmp/a.jsonl firing: delivered" in frame.loc[0, "delivery"]
    d = res.to_dict()
    assert d["alerts"][0]["starts_at"] == "2026-02-06T08:00:00+00:00"
    json.dumps(d)  # JSON-ready


def test_channel_health_counts_by_hand(store):
    ch = {c.sink: c for c in api.alerts(store).channels}
    wh = ch["webhook:http://127.0.0.1/h"]
    assert (wh.delivered, wh.dead_letter, wh.failed, wh.pending) == (2, 1, 0, 0)
    assert wh.last_success_at == T("2026-02-06T08:01Z")
    assert (wh.last_error_at, wh.last_error) == (T("2026-02-05T21:00Z"), "HTTP 500 after 5 attempts")
    js = ch["jsonl:/tmp/a.jsonl"]
    assert (js.delivered, js.dead_letter, js.last_error) == (1, 0, None)
    assert api.alert_channels(store) == api.alerts(store).channels


def test_api_alerts_refuses_bad_options(store):
    with pytest.raises(ConfigError, match="status 'open' is unknown"):
        api.alerts(store, status="open")
    with pytest.raises(ConfigError, match="limit 0"):
        api.alerts(store, limit=0)


def test_alert_rules_bundled_and_errors(tmp_path):
    rules = api.alert_rules()
    names = [r.name for r in rules.rules]
    assert "ai-sector-selloff" in names and "market-crash" in names
    br = next(r for r in rules.rules if r.name == "ai-sector-selloff")
    assert (br.min_share, br.drop_pct, br.benchmark, br.benchmark_above_pct) == (0.7, -8.0, "BTC", -3.0)
    assert br.window == pd.Timedelta(hours=24) and br.hold == pd.Timedelta(hours=1)
    assert list(rules.to_frame()["name"]) == names
    bad = tmp_path / "r.toml"
    cases = {
        '[[rule]]\nname = "x"\nkind = "change"\nassets = ["TAO"]\nwindow = "24h"\n': "exactly one of below or above",
        '[[rule]]\nname = "x"\nkind = "change"\nassets = ["TAO"]\nwindow = "a day"\nbelow = -5.0\n': "is not a duration",
        '[[rule]]\nname = "x"\nkind = "nope"\n': "kind = 'nope' is unknown",
        '[[rule]]\nname = "x"\nkind = "breadth"\nsector = "s"\nwindow = "1h"\nmin_share = 1.5\ndrop_pct = -8.0\n': "outside",
        '[[rule]]\nname = "x"\nkind = "change"\nassets = ["TAO"]\nwindow = "1h"\nbelow = -1.0\ninhibits = ["y"]\n': "not another rule",
        '[[rule]]\nname = "x"\nkind = "change"\nassets = ["TAO"]\nwindow = "1h"\nbelow = -1.0\ncolour = "red"\n': "unknown key",
        'rule = 3\n': "no [[rule]] tables",
        '[[rule]\n': "not valid TOML",
    }
    for text, msg in cases.items():
        bad.write_text(text)
        with pytest.raises(ConfigError, match=msg.replace("[", r"\[").replace("(", r"\(")):
            api.alert_rules(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        api.alert_rules(tmp_path / "missing.toml")


def test_readme_watch_python_example_runs(store):
    """The README's watch section's Python block, run as written against this test's store."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Watch: alerts when a sell-off starts"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1).replace('"my.duckdb"', "store")
    ns: dict = {"store": store}
    exec(compile(code, "README.md", "exec"), ns)
    assert [a.fingerprint for a in ns["hist"].alerts] == ["bbb"] and len(ns["rules"].rules) >= 5
