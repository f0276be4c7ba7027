"""Config layers (packaged < user dir < $SELLOFF_CONFIG < use_config), checks against the defaults, the cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from selloff import config
from selloff.config import defaults, load_config, use_config, user_config_dir
from selloff.errors import ConfigError

PACKAGED_Z = 2.5  # detect.z_threshold in src/selloff/config/defaults.toml


@pytest.fixture(autouse=True)
def _no_active_file(monkeypatch):
    """Each test starts without an activated file or $SELLOFF_CONFIG and leaves none behind."""
    monkeypatch.delenv(config.ENV_FILE, raising=False)
    monkeypatch.setattr(config, "_active", None)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _user(text: str) -> Path:
    return _write(user_config_dir() / "config.toml", text)


def test_packaged_defaults_without_any_file():
    assert defaults("detect")["z_threshold"] == PACKAGED_Z
    assert load_config()["detect"]["z_threshold"] == PACKAGED_Z


def test_user_config_dir_file_changes_defaults():
    _user("[detect]\nz_threshold = 3.25\n")
    d = defaults("detect")
    assert d["z_threshold"] == 3.25
    assert d["ewma_lambda"] == 0.94  # other keys keep their defaults


def test_order_user_dir_then_env_then_use_config(tmp_path, monkeypatch):
    _user("[detect]\nz_threshold = 3.0\nmerge_gap_days = 4\n")
    monkeypatch.setenv(config.ENV_FILE, str(_write(tmp_path / "env.toml", "[detect]\nz_threshold = 3.5\n")))
    assert defaults("detect")["z_threshold"] == 3.5
    with use_config(_write(tmp_path / "active.toml", "[detect]\nz_threshold = 4.0\n")):
        d = defaults("detect")
        assert (d["z_threshold"], d["merge_gap_days"]) == (4.0, 4)
        assert load_config(_write(tmp_path / "extra.toml", "[detect]\nz_threshold = 5\n"))["detect"][
            "z_threshold"] == 5.0
    assert defaults("detect")["z_threshold"] == 3.5


def test_use_config_beats_user_dir_and_plain_call_persists(tmp_path):
    _user("[detect]\nz_threshold = 3.0\n")
    use_config(_write(tmp_path / "a.toml", "[detect]\nz_threshold = 4.5\n"))
    assert defaults("detect")["z_threshold"] == 4.5
    use_config(None)
    assert defaults("detect")["z_threshold"] == 3.0


def test_context_manager_restores_previous_state_also_on_error(tmp_path):
    a = _write(tmp_path / "a.toml", "[detect]\nz_threshold = 3.0\n")
    b = _write(tmp_path / "b.toml", "[detect]\nz_threshold = 4.0\n")
    use_config(a)
    with pytest.raises(ZeroDivisionError):
        with use_config(b) as active:
            assert active == b and defaults("detect")["z_threshold"] == 4.0
            1 / 0
    assert defaults("detect")["z_threshold"] == 3.0
    with use_config(None):
        assert defaults("detect")["z_threshold"] == PACKAGED_Z
    assert defaults("detect")["z_threshold"] == 3.0


def test_cache_notices_a_changed_file(tmp_path):
    f = _write(tmp_path / "a.toml", "[detect]\nz_threshold = 3.0\n")
    with use_config(f):
        assert defaults("detect")["z_threshold"] == 3.0
        f.write_text("[detect]\nz_threshold = 3.75\n", encoding="utf-8")
        st = f.stat()
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a later mtime even on coarse clocks
        assert defaults("detect")["z_threshold"] == 3.75


def test_a_user_file_appearing_later_is_seen():
    assert defaults("detect")["z_threshold"] == PACKAGED_Z
    _user("[detect]\nz_threshold = 2.75\n")
    assert defaults("detect")["z_threshold"] == 2.75


def test_returned_dicts_are_copies():
    defaults("attribution")["equity_basket"].append("XXX")
    load_config()["detect"]["z_threshold"] = -1
    assert "XXX" not in defaults("attribution")["equity_basket"]
    assert defaults("detect")["z_threshold"] == PACKAGED_Z


def test_int_where_float_expected_becomes_float(tmp_path):
    with use_config(_write(tmp_path / "a.toml", "[detect]\nz_threshold = 3\n")):
        z = defaults("detect")["z_threshold"]
    assert z == 3.0 and isinstance(z, float)


def _error(tmp_path: Path, text: str) -> str:
    f = _write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as ei:
        use_config(f)
    msg = str(ei.value)
    assert str(f) in msg and "\n" not in msg
    return msg


@pytest.mark.parametrize(
    "text, needles",
    [
        ("[detect]\nz_treshold = 3.0\n", ["unknown key", "detect.z_treshold", "z_threshold"]),
        ("[detekt]\nz_threshold = 3.0\n", ["unknown section", "[detekt]", "detect"]),
        ('[detect]\nz_threshold = "3.0"\n', ["detect.z_threshold", "a string", "a number"]),
        ("[detect]\nz_threshold = true\n", ["detect.z_threshold", "a boolean"]),
        ("[detect]\nmerge_gap_days = 1.5\n", ["detect.merge_gap_days", "an integer"]),
        ("[detect]\nmerge_gap_days = false\n", ["detect.merge_gap_days", "a boolean"]),
        ("[detect]\nvol_method = 1\n", ["detect.vol_method", "a string"]),
        ("[detect]\nz_threshold = inf\n", ["detect.z_threshold", "finite"]),
        ("[detect]\nz_threshold = nan\n", ["detect.z_threshold", "finite"]),
        ('[attribution]\nequity_basket = ["NVDA", 3]\n', ["attribution.equity_basket", "strings"]),
        ('[attribution]\nequity_basket = "NVDA"\n', ["attribution.equity_basket", "a list"]),
        ("[simulate]\nstart = 2025-01-01\n", ["simulate.start", "quote it"]),
        ("z_threshold = 3.0\n", ["z_threshold", "top level"]),
        ("[detect]\nz_threshold = 3.0\n[detect\n", ["not valid TOML", "line 3"]),
    ],
    ids=["unknown-key", "unknown-section", "string-for-float", "bool-for-float", "float-for-int", "bool-for-int",
         "int-for-string", "inf", "nan", "list-element", "scalar-for-list", "toml-date", "top-level", "bad-toml"],
)
def test_bad_file_is_one_line_naming_file_and_key(tmp_path, text, needles):
    msg = _error(tmp_path, text)
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
    assert defaults("detect")["z_threshold"] == PACKAGED_Z  # a refused file is not activated


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError, match="missing.toml.*not found"):
        use_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="nope.toml.*not found"):
        load_config(tmp_path / "nope.toml")


def test_env_file_missing_or_bad(tmp_path, monkeypatch):
    monkeypatch.setenv(config.ENV_FILE, str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"gone.toml \(env SELLOFF_CONFIG\) not found"):
        defaults("detect")
    monkeypatch.setenv(config.ENV_FILE, str(_write(tmp_path / "e.toml", "[detect]\nnope = 1\n")))
    with pytest.raises(ConfigError, match="e.toml: unknown key 'detect.nope'"):
        defaults("detect")


def test_bad_user_dir_file_is_reported_with_its_path():
    f = _user("[report]\ntop_movers = 2.5\n")
    with pytest.raises(ConfigError) as ei:
        defaults("report")
    assert str(f) in str(ei.value) and "report.top_movers" in str(ei.value)


def test_unknown_section_asked_for():
    with pytest.raises(ConfigError, match=r"unknown config section \[nope\]"):
        defaults("nope")
