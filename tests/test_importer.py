"""Importer: one transaction per file, idempotent re-import, nothing written on failure, source priority,
disagreement report, the CLI commands, and real files checked against values read with the csv module."""
from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from selloff.analytics.sources_priority import rank_sources, select_series, source_disagreements
from selloff.errors import DataError
from selloff.pipeline.imports import import_file, source_report
from selloff.store import Store
from selloff.universe import load_universe

UNI = load_universe(include_user_config=False)

# crypto/bybit_perp_daily_jumpotsa/TAOUSDT.csv, first rows
BYBIT_TAO = (
    "timestamp,open,high,low,close,volume,turnover,date\n"
    "1706572800000,411.52,478.0,394.73,424.91,71347.609,31902748.27098,2024-01-30\n"
    "1706659200000,424.91,486.0,412.37,469.36,44734.031,20031612.87829,2024-01-31\n"
    "1706745600000,469.36,483.0,429.05,449.05,26965.633,12273415.52715,2024-02-01\n"
)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reimport_is_idempotent_and_logged(store, tmp_path):
    p = write(tmp_path, "TAOUSDT.csv", BYBIT_TAO)
    first = import_file(store, p, universe=UNI)
    again = import_file(store, p, universe=UNI)
    assert (first.results[0].inserted, again.results[0].unchanged, again.results[0].inserted) == (3, 3, 0)
    bars = store.read("bars", assets=["TAO"])
    assert set(bars["file_sha256"]) == {first.sha256} and set(bars["source"]) == {"bybit"}
    log = store.read("fetch_log")
    assert log["status"].tolist() == ["ok", "ok"] and log["rows_unchanged"].tolist() == [0, 3]


def test_failed_validation_writes_nothing_and_names_file_line_field(store, tmp_path):
    bad = BYBIT_TAO.replace("449.05,26965.633", "-449.05,26965.633")
    p = write(tmp_path, "TAOUSDT.csv", bad)
    with pytest.raises(DataError, match=r"TAOUSDT\.csv:4: field 'close' = '-449.05' is not > 0"):
        import_file(store, p, universe=UNI)
    assert store.count("bars") == 0
    log = store.read("fetch_log")
    assert log["status"].tolist() == ["error"] and "TAOUSDT.csv:4" in log["error"].iloc[0]


def test_conflicting_duplicate_writes_nothing(store, tmp_path):
    dup = BYBIT_TAO + "1706745600000,469.36,483.0,429.05,450.00,26965.633,12273415.52715,2024-02-01\n"
    p = write(tmp_path, "TAOUSDT.csv", dup)
    with pytest.raises(DataError, match=r"lines 4 and 5 both give .*differ in 'close'"):
        import_file(store, p, universe=UNI)
    assert store.count("bars") == 0


def _bars(source, closes, asset="TAO", interval="1d", start="2025-01-01"):
    ts = pd.date_range(start, periods=len(closes), freq="D", tz="UTC")
    return pd.DataFrame({"asset": asset, "interval": interval, "ts": ts, "source": source, "close": closes})


def test_select_series_priority_and_ties():
    df = pd.concat([_bars("bybit", [1.0, 2.0]), _bars("binance", [1.0]), _bars("zz", [5.0] * 3),
                    _bars("aa", [5.0] * 3), _bars("simulated", [9.0] * 4),
                    _bars("yahoo", [3.0], asset="NVDA"), _bars("simulated", [9.0], asset="NVDA"),
                    _bars("simulated", [7.0], asset="AMD")])
    got = select_series(df, ["simulated", "binance", "bybit"])
    picked = got.groupby("asset")["source"].unique().map(list).to_dict()
    # binance is listed first among real sources even with fewer rows; NVDA: unlisted real source beats
    # simulated; AMD: simulated only when nothing else exists.
    assert picked == {"TAO": ["binance"], "NVDA": ["yahoo"], "AMD": ["simulated"]}
    # unlisted sources: most rows first, then alphabetical
    assert rank_sources({"zz": 3, "aa": 3, "mm": 5, "bybit": 1}, ["bybit"]) == ["bybit", "mm", "aa", "zz"]


def test_disagreements_on_common_timestamps():
    df = pd.concat([_bars("binance", [100.0, 100.0, 100.0]), _bars("bybit", [100.5, 103.0], start="2025-01-02")])
    detail, overlap = source_disagreements(df, 1.0, ["binance", "bybit"])
    assert overlap.iloc[0][["source_a", "source_b", "common", "above"]].tolist() == ["binance", "bybit", 2, 1]
    assert detail["ts"].tolist() == [pd.Timestamp("2025-01-03", tz="UTC")]
    assert detail["diff_pct"].iloc[0] == pytest.approx(3.0)


def test_source_report_and_cli(store, tmp_path):
    p1 = write(tmp_path, "TAOUSDT.csv", BYBIT_TAO)
    p2 = write(tmp_path, "TAO.csv", "date,open,high,low,close,volume\n2024-01-31,480,480,480,480.0,1\n2024-02-01,449.05,449.05,449.05,449.05,1\n")
    path = store.path
    store.close()
    from selloff.cli import app
    runner = CliRunner()
    res = runner.invoke(app, ["import", str(p1), "--store", path, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["imported"][0]["tables"]["bars"]["inserted"] == 3
    res = runner.invoke(app, ["import", str(p2), "--source", "other", "--store", path])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["import", str(tmp_path / "missing.csv"), "--store", path])
    assert res.exit_code == 2 and "not found" in res.output
    res = runner.invoke(app, ["sources", "--asset", "TAO", "--store", path, "--threshold", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    used = {r["source"]: r["selected"] for r in out["coverage"]}
    assert used == {"bybit": True, "other": False}
    assert [d["ts"][:10] for d in out["disagreements"]] == ["2024-01-31"]   # 480 vs 469.36 = 2.3 %
    res = runner.invoke(app, ["sources", "--asset", "TAO", "--store", path])
    assert res.exit_code == 0 and "disagreements" in res.output
    with Store(path, read_only=True) as s:
        rep = source_report(s, "TAO", threshold_pct=5.0)
    assert rep.disagreements.empty and rep.overlap["common"].tolist() == [2]


def _closes(path, date_col, close_col, to_key):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        i, j = header.index(date_col), header.index(close_col)   # first occurrence (djienne repeats open_time)
        return {to_key(r[i]): float(r[j]) for r in rows}


def test_real_tao_files(shared_data, tmp_path):
    real = shared_data / "real" / "crypto"
    binance = real / "binance_spot_daily_djienne" / "TAOUSDT.csv"
    bybit = real / "bybit_perp_daily_jumpotsa" / "TAOUSDT.csv"
    drrob = real / "drrobanthony_daily_window" / "TAO_2025-12-01_2026-03-31.csv"
    with Store(tmp_path / "real.duckdb") as s:
        for p, src in ((binance, None), (bybit, None), (drrob, "drrobanthony")):
            r = import_file(s, p, source=src, universe=UNI)
            assert r.assets == ("TAO",)
        bars = s.read("bars", assets=["TAO"], interval="1d")
        assert sorted(bars["source"].unique()) == ["binance", "bybit", "drrobanthony"]
        by = {src: g.set_index("ts")["close"] for src, g in bars.groupby("source")}
        want = {
            "binance": _closes(binance, "open_time", "close", lambda v: pd.Timestamp(v)),
            "bybit": _closes(bybit, "timestamp", "close", lambda v: pd.Timestamp(int(v), unit="ms", tz="UTC")),
            "drrobanthony": _closes(drrob, "date", "close", lambda v: pd.Timestamp(v, tz="UTC")),
        }
        for src, closes in want.items():
            assert len(by[src]) == len(closes)
            for day in ("2024-08-05", "2025-01-27", "2025-12-01", "2026-02-05", "2025-11-13"):
                ts = pd.Timestamp(day, tz="UTC")
                if ts in closes:
                    assert by[src][ts] == closes[ts], (src, day)
        rep = source_report(s, "TAO", threshold_pct=1.0)
        # over the whole stored history the source that reaches the latest day (2026-03-31) is the one analytics
        # use; by priority alone (no coverage rule) Binance would win
        assert rep.coverage.set_index("source").loc["drrobanthony", "selected"]
        assert set(select_series(bars, ["binance", "bybit"], cover_end=False)["source"]) == {"binance"}
        feb = bars[(bars["ts"] >= "2024-06-01") & (bars["ts"] <= "2025-06-01")]
        assert set(select_series(feb, ["binance", "bybit"])["source"]) == {"binance"}
        pair = rep.overlap.set_index(["source_a", "source_b"])
        assert pair.loc[("binance", "drrobanthony"), "mean_abs_diff_pct"] < 0.5


def test_one_bar_more_does_not_win_over_a_long_preferred_series():
    """A preferred source ending one bar before a short export keeps its (long) history in use."""
    long = pd.DataFrame({"asset": "TAO", "interval": "1d", "source": "binance", "close": 1.0,
                         "ts": pd.date_range("2024-01-01", "2026-02-06", freq="D", tz="UTC")})
    short = pd.DataFrame({"asset": "TAO", "interval": "1d", "source": "export", "close": 1.0,
                          "ts": pd.date_range("2026-01-25", "2026-02-07", freq="D", tz="UTC")})
    got = select_series(pd.concat([long, short]), ["binance"])
    assert set(got["source"]) == {"binance"} and len(got) == len(long)
    # but a preferred source that stopped weeks before the window's end still gives way
    old = long[long["ts"] <= "2026-01-02"]
    assert set(select_series(pd.concat([old, short]), ["binance"])["source"]) == {"export"}


def test_cli_format_names_are_the_parsers_names(tmp_path):
    """``selloff import --format`` lists the names without importing pandas; they must be the parsers' names."""
    from typer.testing import CliRunner

    from selloff.cli import app
    from selloff.cli.imports import FORMAT_NAMES
    from selloff.sources.csvformats import FORMATS

    assert tuple(FORMAT_NAMES) == tuple(FORMATS)
    p = write(tmp_path, "TAOUSDT.csv", BYBIT_TAO)
    r = CliRunner().invoke(app, ["import", str(p), "--format", "bybit-kline", "--store", str(tmp_path / "s.duckdb")])
    assert r.exit_code == 0, r.output
