"""Configuration as data: defaults in ``defaults.toml``, user overrides in ``<config dir>/config.toml``,
paths from platformdirs. Nothing else in selloff hard-codes a threshold."""
from __future__ import annotations

import copy
import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from selloff.errors import ConfigError

APP = "selloff"


def user_config_dir() -> Path:
    return Path(os.environ.get("SELLOFF_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def user_data_dir() -> Path:
    return Path(os.environ.get("SELLOFF_DATA_DIR") or platformdirs.user_data_dir(APP))


def default_store_path() -> Path:
    return user_data_dir() / "selloff.duckdb"


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    with resources.files("selloff.config").joinpath("defaults.toml").open("rb") as fh:
        return tomllib.load(fh)


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Defaults merged with the user's ``config.toml`` (or ``path``). Unknown sections/keys are errors."""
    cfg = copy.deepcopy(_defaults())
    p = Path(path) if path else user_config_dir() / "config.toml"
    if not p.exists():
        if path:
            raise ConfigError(f"config file {p} not found; check the path")
        return cfg
    try:
        user = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
    for section, values in user.items():
        if section not in cfg or not isinstance(values, dict):
            raise ConfigError(f"{p}: unknown section [{section}]; known: {', '.join(cfg)}")
        for k, v in values.items():
            if k not in cfg[section]:
                raise ConfigError(f"{p}: unknown key '{section}.{k}'; known: {', '.join(cfg[section])}")
            cfg[section][k] = v
    return cfg


def defaults(section: str) -> dict[str, Any]:
    return copy.deepcopy(_defaults()[section])
