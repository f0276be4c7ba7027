"""``selloff universe sync --provider coingecko`` against a loopback server replaying the documented answers of
/coins/categories and /coins/markets?category= (tests/sources/recorded)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug import Response

from selloff.cli import app
from selloff.errors import ConfigError
from selloff.pipeline.universe_sync import sync_coingecko
from selloff.sources._http import HttpPolicy
from selloff.sources.coingecko import CoinGecko
from selloff.universe import load_universe

REC = Path(__file__).parents[1] / "sources" / "recorded"
FAST = HttpPolicy(max_attempts=2, base_wait_s=0.01, max_wait_s=0.05, timeout_s=2.0)


def _serve(httpserver, seen: list) -> None:
    cats = json.loads((REC / "categories.json").read_text())
    members = json.loads((REC / "coins_markets_category.json").read_text())
    u = load_universe(include_user_config=False)
    cats += [{**cats[1], "id": s.coingecko_category, "name": s.name} for s in u.sectors.values()
             if s.coingecko_category and s.coingecko_category != cats[0]["id"]]
    httpserver.expect_request("/coins/categories").respond_with_json(cats)

    def markets(request):
        seen.append(dict(request.args))
        n = int(request.args["per_page"])
        body = members if request.args["category"] == "artificial-intelligence" else []
        return Response(json.dumps(body[:n]), content_type="application/json")

    httpserver.expect_request("/coins/markets").respond_with_handler(markets)


@pytest.fixture
def cg(httpserver):
    c = CoinGecko(plan="demo", base_url=httpserver.url_for("/"), api_key="k", policy=FAST)
    yield c
    c.close()


def test_sync_refreshes_sectors_and_writes_new_coins(httpserver, cg, tmp_path):
    seen: list = []
    _serve(httpserver, seen)
    u = load_universe(include_user_config=False)
    target = tmp_path / "universe.toml"
    res = sync_coingecko(cg, u, target, top=3)
    ai = seen[[s["category"] for s in seen].index("artificial-intelligence")]
    assert (ai["order"], ai["per_page"], ai["vs_currency"]) == ("market_cap_desc", "3", "usd")
    row = res.changes.set_index("sector").loc["ai-crypto"]
    assert row["added"] == "NAGT" and "ICP" in row["removed"].split(",") and row["members"] == 3
    assert res.new_assets == ("NAGT",)
    after = load_universe(target, include_user_config=False)
    assert after.sector("ai-crypto").members == ("TAO", "NEAR", "NAGT")
    assert after.asset("NAGT").coingecko_id == "new-agent-token" and after.asset("NAGT").name == "New Agent Token"
    assert after.sector("ai-crypto").name == "AI crypto"  # the bundled fields stay; only members were synced
    # a second sync changes nothing
    again = sync_coingecko(cg, after, target, top=3)
    assert again.changes.set_index("sector").loc["ai-crypto", "added"] == "" and again.new_assets == ()


def test_unknown_category_names_close_ids(httpserver, cg, tmp_path):
    _serve(httpserver, [])
    with pytest.raises(ConfigError, match="artificial-intelligence"):
        sync_coingecko(cg, load_universe(include_user_config=False), tmp_path / "u.toml", top=3,
                       categories=["artificial-inteligence"])


def test_cli_sync_shows_what_changed(httpserver, tmp_path, monkeypatch):
    _serve(httpserver, [])
    monkeypatch.setenv("COINGECKO_BASE_URL", httpserver.url_for("/").rstrip("/"))
    target = tmp_path / "mine.toml"
    res = CliRunner().invoke(app, ["universe", "sync", "--provider", "coingecko", "--top", "3", "--file", str(target)])
    assert res.exit_code == 0, res.output
    assert "ai-crypto" in res.output and "NAGT" in res.output and target.exists()
    bad = CliRunner().invoke(app, ["universe", "sync", "--provider", "cmc", "--file", str(target)])
    assert bad.exit_code == 2 and "coingecko" in bad.output
