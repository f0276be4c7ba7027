"""load_universe: the bundled default, user overrides, and one-line ConfigErrors for broken files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from selloff.errors import ConfigError
from selloff.universe import load_universe

AI_CRYPTO = ["TAO", "NEAR", "ICP", "RENDER", "FET", "WLD", "AKT", "GRT", "AR", "THETA", "VIRTUAL", "AIOZ", "IO"]
HYPERSCALERS = ["MSFT", "GOOGL", "AMZN", "META"]


@pytest.fixture(scope="module")
def uni():
    return load_universe(include_user_config=False)


def _write(tmp_path: Path, text: str, name: str = "u.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _assert_one_line(err: ConfigError, *needles: str) -> None:
    msg = str(err)
    assert "\n" not in msg
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"


# -- the bundled default ------------------------------------------------------------------------------------
def test_default_ai_crypto_sector_members(uni):
    members = set(uni.sector("ai-crypto").members)
    assert set(AI_CRYPTO) <= members
    assert all(uni.assets[m].kind == "token" for m in AI_CRYPTO)


def test_default_equities_hyperscalers_and_benchmarks(uni):
    for e in ["NVDA", "AMD", "AVGO", "TSM", "SMCI"]:
        assert uni.asset(e).kind == "equity"
    assert set(uni.sector("hyperscalers").members) == set(HYPERSCALERS)
    assert {"BTC", "ETH", "QQQ"} <= set(uni.sector("benchmarks").members)
    assert uni.asset("QQQ").kind == "index"
    assert uni.asset("BTC").periods_per_year == 365
    assert uni.asset("NVDA").periods_per_year == 252


@pytest.mark.parametrize(
    "alias, asset_id",
    [("Bittensor", "TAO"), ("Near Protocol", "NEAR"), ("Internet Computer", "ICP"), ("Render Network", "RENDER"),
     ("bittensor", "TAO"), ("  tao ", "TAO")],
)
def test_aliases_resolve(uni, alias, asset_id):
    assert uni.asset(alias).id == asset_id
    assert uni.resolve(alias).id == asset_id


def test_sector_by_alias(uni):
    assert uni.sector("AI tokens").id == "ai-crypto"
    assert uni.sector("ki-token").id == "ai-crypto"


def test_dependency_edge_tao_nvda_has_reason(uni):
    deps = uni.dependencies("TAO")
    nvda = [e for a, e in deps if a.id == "NVDA"]
    assert len(nvda) == 1
    assert nvda[0].kind == "gpu_supplier"
    assert nvda[0].reason.strip()


def test_icp_depends_on_hyperscalers_expanded_to_members(uni):
    deps = uni.dependencies("ICP")
    via_hyper = [a.id for a, e in deps if e.target == "hyperscalers"]
    assert sorted(via_hyper) == sorted(HYPERSCALERS)
    assert all(e.kind == "competes_with" for _, e in deps if e.target == "hyperscalers")


def test_unknown_asset_suggests_close_ids(uni):
    with pytest.raises(ConfigError) as ei:
        uni.asset("TOA")
    _assert_one_line(ei.value, "TOA", "did you mean", "TAO")


def test_unknown_sector_lists_known(uni):
    with pytest.raises(ConfigError) as ei:
        uni.sector("ai-cryptoo")
    _assert_one_line(ei.value, "ai-cryptoo", "ai-crypto", "hyperscalers")


# -- user files ---------------------------------------------------------------------------------------------
USER = """
[assets.TAO]
name = "Bittensor (override)"

[assets.XYZ]
kind = "token"
name = "Xyz Token"
aliases = ["Xyzzy"]

[sectors.my-sector]
name = "Mine"
members = ["TAO", "xyz"]

[[edges]]
from = "XYZ"
to = "NVDA"
kind = "gpu_supplier"
reason = "test edge"
"""


def test_extra_file_overrides_field_adds_sector_and_edge(tmp_path):
    u = load_universe(_write(tmp_path, USER), include_user_config=False)
    tao = u.asset("TAO")
    assert tao.name == "Bittensor (override)"
    assert tao.kind == "token"  # untouched fields are kept from the default
    assert tao.coingecko_id == "bittensor"
    assert u.sector("my-sector").members == ("TAO", "XYZ")
    assert u.asset("Xyzzy").id == "XYZ"
    assert [(a.id, e.reason) for a, e in u.dependencies("XYZ")] == [("NVDA", "test edge")]
    assert len(u.edges) == len(load_universe(include_user_config=False).edges) + 1
    assert u.files[-1] == str(tmp_path / "u.toml")


def test_user_config_dir_file_is_picked_up():
    cfg = Path(os.environ["SELLOFF_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "universe.toml").write_text(USER, encoding="utf-8")
    u = load_universe()
    assert u.asset("TAO").name == "Bittensor (override)"
    assert "my-sector" in u.sectors
    assert str(cfg / "universe.toml") in u.files
    assert "my-sector" not in load_universe(include_user_config=False).sectors


# -- broken files -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, needles",
    [
        ("[assets.TAO\nname = 'x'\n", ["not valid TOML"]),
        ("[assets.TAO]\nticker = 'x'\n", ["assets.TAO.ticker", "unknown key"]),
        ("[assets.TAO]\naliases = 'Bittensor'\n", ["assets.TAO.aliases", "must be list"]),
        ("[assets.ABC]\nkind = 'stock'\nname = 'Abc'\n", ["assets.ABC.kind", "stock"]),
        ("[sectors.s]\nname = 'S'\nmembers = ['TAO', 'NOPE']\n", ["sectors.s.members", "NOPE"]),
        ("[[edges]]\nfrom = 'TAO'\nto = 'NOWHERE'\nkind = 'x'\nreason = 'y'\n", ["edges[0].to", "NOWHERE"]),
        ("[[edges]]\nfrom = 'TAO'\nto = 'NVDA'\nkind = 'x'\n", ["edges[0]", "reason"]),
        ("[things]\na = 1\n", ["things", "top-level"]),
        ("[assets.NEW]\nkind = 'token'\n", ["assets.NEW", "name"]),
    ],
    ids=["syntax", "unknown-key", "wrong-type", "unknown-kind", "unknown-member", "unknown-edge-target",
         "edge-missing-reason", "unknown-top-level", "asset-missing-name"],
)
def test_broken_file_gives_one_line_config_error(tmp_path, text, needles):
    path = _write(tmp_path, text, "broken.toml")
    with pytest.raises(ConfigError) as ei:
        load_universe(path, include_user_config=False)
    _assert_one_line(ei.value, str(path), *needles)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as ei:
        load_universe(path, include_user_config=False)
    _assert_one_line(ei.value, str(path), "not found")


def test_broken_user_config_dir_file_names_it():
    cfg = Path(os.environ["SELLOFF_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "universe.toml").write_text("[assets.TAO]\ncolour = 'red'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        load_universe()
    _assert_one_line(ei.value, str(cfg / "universe.toml"), "assets.TAO.colour")


def test_sector_found_by_german_name():
    from selloff.universe import load_universe

    u = load_universe(include_user_config=False)
    assert u.sector("KI-Krypto").id == "ai-crypto"
    assert u.sector("ki-krypto").id == "ai-crypto"
