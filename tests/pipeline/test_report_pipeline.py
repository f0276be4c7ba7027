"""The report through the pipeline: one read per table, the CLI and the Python API write the same files."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selloff import api
from selloff.cli import app
from selloff.pipeline.load import read_counter
from selloff.pipeline.report import report
from selloff.store import Store

from tests.report.conftest import REPORT_DATE, SECTOR, demo_store_path, universe  # noqa: F401  (fixtures)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_report_reads_each_table_once(demo_store_path, universe, tmp_path):
    with Store(demo_store_path, read_only=True) as db, read_counter(db) as counts:
        res = report(db, universe, SECTOR, REPORT_DATE, "en", "json", tmp_path)
    assert counts == {"bars": 1, "market_caps": 1, "derivatives": 1, "events": 1, "category_caps": 1}
    assert len(res.paths) == 1 and res.explanation is not None and res.scenario is not None
    assert res.network is not None and res.network.net is not None  # the sector network from the same reads


def test_cli_and_api_write_identical_files(demo_store_path, universe, tmp_path):
    a, b = tmp_path / "cli", tmp_path / "api"
    r = CliRunner().invoke(app, ["report", "--store", str(demo_store_path), "--date", REPORT_DATE, "--sector", SECTOR,
                                 "--lang", "all", "--format", "md,html,json", "--out", str(a)])
    assert r.exit_code == 0, r.output
    res = api.report(demo_store_path, sector=SECTOR, date=REPORT_DATE, lang="all", formats="md,html,json", out=b)
    da, db_ = _digests(a), _digests(b)
    # the JSON and HTML embed no path of their own output folder; figures are rendered with fixed metadata
    assert set(da) == set(db_) and len(da) >= 6
    assert {k for k in da if da[k] != db_[k]} == set()
    assert sorted(p.name for p in res.paths) == sorted(k for k in da if "/" not in k)


@pytest.mark.parametrize("args, needle", [
    (["--lang", "xx"], "--lang"), (["--format", ""], "--format"), (["--format", "docx"], "--format"),
    (["--date", "now"], "--date"), (["--date", "2030-01-01"], "outside the stored data"),
])
def test_report_bad_input_one_line_exit_2(demo_store_path, tmp_path, args, needle):
    base = ["report", "--store", str(demo_store_path), "--date", REPORT_DATE, "--out", str(tmp_path / "o")]
    r = CliRunner().invoke(app, base + args)
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_readme_python_example_runs(demo_store_path, tmp_path, monkeypatch):
    """The README's Python section, run as written (store and output paths pointed at this test's files)."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "news.txt").write_text("TAO fell 15% on February 6, 2026.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = code.replace('"out/demo.duckdb"', repr(str(demo_store_path)))
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert ns["res"].paths and all(p.exists() for p in ns["res"].paths)
    assert len(ns["episodes"]) >= 1 and ns["day"].sector_id == "ai-crypto" and "decomposition" in ns["why"].tables
    assert len(ns["run"].claims) == 1


@pytest.mark.parametrize("args", [["--breadth", "5"], ["--z", "-3"], ["--z", "nan"], ["--move", "3"], ["--vol", "x"],
                                  ["--since", "now"], ["--since", "2026-02-10", "--until", "2026-02-01"],
                                  ["--since", "9999-12-31"], ["--sector", "[/x]"]])
def test_scan_bad_options_one_line_exit_2(demo_store_path, args):
    r = CliRunner().invoke(app, ["scan", "--store", str(demo_store_path), *args])
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in r.output, r.output


def test_hostile_universe_names_are_escaped_and_ids_refused(demo_store_path, tmp_path):
    """A user universe naming an asset '<script>…' leaves no markup in the Markdown; an id with '/' is refused."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[sectors."../../x"]\nname = "x"\nmembers = ["TAO"]\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["report", "--store", str(demo_store_path), "--date", REPORT_DATE, "--sector", "../../x",
                                 "--universe", str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "not allowed" in r.output and not (tmp_path / "o").exists()
    hostile = tmp_path / "hostile.toml"  # RENDER: named among the day's movers of the demo episode
    hostile.write_text('[assets.RENDER]\nname = "<script>alert(1)</script>"\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["report", "--store", str(demo_store_path), "--date", REPORT_DATE, "--universe", str(hostile),
                                 "--format", "md,html", "--lang", "en", "--out", str(tmp_path / "h")])
    assert r.exit_code == 0, r.output
    md = next((tmp_path / "h").glob("*.en.md")).read_text(encoding="utf-8")
    html = next((tmp_path / "h").glob("*.en.html")).read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "<script>alert" not in html


def test_user_config_and_config_option_change_what_scan_finds(demo_store_path, tmp_path, monkeypatch):
    """A z_threshold above every episode's size in the user's config.toml (or --config) leaves no episode."""
    import json

    base = CliRunner().invoke(app, ["scan", "--store", str(demo_store_path), "--json"])
    assert base.exit_code == 0, base.output
    rows = json.loads(base.output)["rows"]
    assert rows, "the demo market has episodes at the default threshold"
    biggest = max(abs(r["worst_day_z"]) for r in rows)
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    # slides (multi-day episodes) have their own threshold, slide_z
    (cfg_dir / "config.toml").write_text(f"[detect]\nz_threshold = {biggest + 1:.2f}\nslide_z = 1000.0\n",
                                         encoding="utf-8")
    monkeypatch.setenv("SELLOFF_CONFIG_DIR", str(cfg_dir))
    r = CliRunner().invoke(app, ["scan", "--store", str(demo_store_path), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["rows"] == []
    # --config beats the user's file: back to a low threshold, the episodes return
    low = tmp_path / "low.toml"
    low.write_text("[detect]\nz_threshold = 2.5\nslide_z = 3.0\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["scan", "--store", str(demo_store_path), "--json", "--config", str(low)])
    assert r.exit_code == 0 and len(json.loads(r.output)["rows"]) == len(rows)
    bad = tmp_path / "bad.toml"
    bad.write_text("[detect]\nz_threshold = \"high\"\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["scan", "--store", str(demo_store_path), "--config", str(bad)])
    assert r.exit_code == 2 and "z_threshold" in r.output and len(r.output.strip().splitlines()) == 1


def test_api_scan_takes_the_cli_option_names(demo_store_path):
    base = api.scan(demo_store_path, sector=SECTOR).to_frame()
    high = api.scan(demo_store_path, sector=SECTOR, z=float(base["worst_day_z"].abs().max()) + 1).to_frame()
    assert len(base) >= 1 and high[high["kind"] == "day"].empty  # --z is the one-day threshold; slides have slide_z


@pytest.mark.parametrize("sector", ["ai-crypto", "ai-compute", "hyperscalers", "benchmarks", "crypto-majors", "ai-equity-basket"])
def test_every_default_sector_reports_and_explains_without_traceback(demo_store_path, universe, tmp_path, sector):
    if sector not in universe.sectors:
        pytest.skip(f"{sector} not in the default universe")
    for cmd in (["report", "--format", "md", "--lang", "en", "--out", str(tmp_path)], ["explain"]):
        r = CliRunner().invoke(app, [cmd[0], "--store", str(demo_store_path), "--date", REPORT_DATE, "--sector", sector, *cmd[1:]])
        assert r.exit_code in (0, 2) and r.exception is None or isinstance(r.exception, SystemExit), r.output
        if r.exit_code == 2:
            assert len(r.output.strip().splitlines()) == 1


def test_forked_children_and_early_figures_write_the_files_of_one_process(demo_store_path, tmp_path):
    """The what-if, the network and the DE figures computed in forked children, and the figures but the network's
    drawn before the children's results are in, give byte for byte the files of one process doing it all in turn."""
    one = tmp_path / "one.toml"
    one.write_text("[report]\nwhat_if_process = false\nfigure_processes = 1\n", encoding="utf-8")
    a, b = tmp_path / "forked", tmp_path / "one"
    api.report(demo_store_path, sector=SECTOR, date=REPORT_DATE, lang="all", formats="md,html,json", out=a)
    api.report(demo_store_path, sector=SECTOR, date=REPORT_DATE, lang="all", formats="md,html,json", out=b, config=one)
    da = _digests(a)
    assert any(k.startswith("figures/sector_network.") for k in da)  # the late figure is there too
    assert da == _digests(b)
    three = tmp_path / "three.toml"  # the side work split over three children
    three.write_text("[report]\nside_processes = 3\n", encoding="utf-8")
    api.report(demo_store_path, sector=SECTOR, date=REPORT_DATE, lang="all", formats="md,html,json", out=tmp_path / "3",
               config=three)
    assert _digests(tmp_path / "3") == da
    bad = tmp_path / "bad.toml"  # a priority os.nice cannot take: one line naming the key, before anything forks
    bad.write_text("[report]\nside_nice = 25\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["report", "--store", str(demo_store_path), "--date", REPORT_DATE, "--sector", SECTOR,
                                 "--out", str(tmp_path / "bad"), "--config", str(bad)])
    assert r.exit_code == 2 and "side_nice = 25" in r.output and len(r.output.strip().splitlines()) == 1
