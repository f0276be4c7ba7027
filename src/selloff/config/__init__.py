"""Configuration as data: defaults in ``defaults.toml``, overrides in TOML files, paths from platformdirs.

Layers, later ones win key by key:

1. the packaged ``defaults.toml``;
2. ``<config dir>/config.toml`` if it exists (the dir is :func:`user_config_dir`, env ``SELLOFF_CONFIG_DIR``);
3. the file named by env ``SELLOFF_CONFIG`` (it must exist);
4. the file activated with :func:`use_config` (checked when activated).

Every override is checked against the defaults: an unknown section or key, or a value of another type than the
default's, is a one-line :class:`~selloff.errors.ConfigError` naming the file and the key. Parsed files are cached
by (path, mtime, size), so :func:`defaults` costs a few ``stat`` calls. Nothing else in selloff hard-codes a
threshold.
"""
from __future__ import annotations

import copy
import math
import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs

from selloff.errors import ConfigError

__all__ = ["APP", "default_store_path", "defaults", "load_config", "use_config", "user_cache_dir",
           "user_config_dir", "user_data_dir"]

APP = "selloff"
ENV_FILE = "SELLOFF_CONFIG"


def user_config_dir() -> Path:
    return Path(os.environ.get("SELLOFF_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def user_data_dir() -> Path:
    return Path(os.environ.get("SELLOFF_DATA_DIR") or platformdirs.user_data_dir(APP))


def user_cache_dir() -> Path:
    """Where selloff keeps what it can rebuild (compiled report templates, kept results: ``[compute] keep_results``);
    ``SELLOFF_CACHE_DIR`` overrides it."""
    return Path(os.environ.get("SELLOFF_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def default_store_path() -> Path:
    return user_data_dir() / "selloff.duckdb"


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    """The packaged defaults, parsed once (callers must not change the dict)."""
    with resources.files("selloff.config").joinpath("defaults.toml").open("rb") as fh:
        return tomllib.load(fh)


# -- checking one file against the defaults -------------------------------------------------------------------
_KINDS = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"), (list, "a list"),
          (dict, "a table"))  # bool before int: True is an int in Python, never in a config


def _kind(value: object) -> str:
    """The TOML name of a value's type, for messages."""
    for cls, name in _KINDS:
        if isinstance(value, cls):
            return name
    return f"a TOML {type(value).__name__} (quote it to make it a string)"


def _fits(value: object, default: object) -> bool:
    """Whether ``value`` may replace ``default``: same type; an int where a float is expected; never a bool as a
    number; a list of the default's element type."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        if not isinstance(value, list):
            return False
        if default:
            return all(_fits(v, default[0]) for v in value)
        return all(not isinstance(v, (list, dict)) for v in value)
    return isinstance(value, type(default))


def _check_value(where: str, key: str, value: object, default: object) -> object:
    """``value`` checked against ``default`` (int → float where a float is expected); tables recurse."""
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' is {_kind(value)}, expected a table [{key}]; fix the file")
        return _check_table(where, key, value, default)
    if not _fits(value, default):
        want = _kind(default) + (f" of {_kind(default[0])[2:]}s" if isinstance(default, list) and default else "")
        raise ConfigError(
            f"{where}: '{key}' = {value!r} is {_kind(value)}, expected {want} like the default {default!r}; "
            f"fix the value"
        )
    numbers = value if isinstance(value, list) else [value]
    if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
        raise ConfigError(f"{where}: '{key}' = {value!r} is not a finite number; give a finite value")
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, list) and default and isinstance(default[0], float):
        return [float(v) for v in value]  # type: ignore[union-attr]
    return value


def _check_table(where: str, prefix: str, values: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        key = f"{prefix}.{k}" if prefix else k
        if not prefix and not isinstance(v, dict):
            raise ConfigError(
                f"{where}: key '{k}' is at the top level; put it under its section ({', '.join(known)})"
            )
        if k not in known:
            if not prefix:
                raise ConfigError(f"{where}: unknown section [{k}]; known: {', '.join(known)}")
            raise ConfigError(f"{where}: unknown key '{key}'; known in [{prefix}]: {', '.join(known)}")
        out[k] = _check_value(where, key, v, known[k])
    return out


_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def _file_key(path: Path, origin: str) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} ({origin}) not found; check the path") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} ({origin}) cannot be read ({exc.strerror}); check the path") from None
    if not path.is_file():
        raise ConfigError(f"config file {path} ({origin}) is not a file; name a TOML file")
    return str(path.resolve()), st.st_mtime_ns, st.st_size


def _parse(path: Path, origin: str) -> tuple[tuple[str, int, int], dict[str, Any]]:
    """``path`` parsed and checked against the defaults, with its cache key (path, mtime, size)."""
    key = _file_key(path, origin)
    if key not in _PARSED:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} ({origin}) cannot be read: {exc}; fix or remove it") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} ({origin}) is not valid TOML: {exc}; fix that line") from None
        for stale in [k for k in _PARSED if k[0] == key[0]]:
            del _PARSED[stale]
        _PARSED[key] = _check_table(str(path), "", raw, _defaults())
    return key, _PARSED[key]


# -- the layers -----------------------------------------------------------------------------------------------
_active: Path | None = None


def _layers(extra: Path | None = None) -> list[tuple[Path, str]]:
    """The override files in force, lowest first, each with where it came from."""
    files = []
    user = user_config_dir() / "config.toml"
    if user.exists():
        files.append((user, "user config dir"))
    env = os.environ.get(ENV_FILE)
    if env:
        files.append((Path(env), f"env {ENV_FILE}"))
    if _active is not None:
        files.append((_active, "use_config"))
    if extra is not None:
        files.append((extra, "load_config"))
    return files


def _merge(into: dict[str, Any], over: dict[str, Any]) -> None:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = copy.deepcopy(v)


_MERGED: dict[tuple[tuple[str, int, int], ...], dict[str, Any]] = {}


def _merged(extra: Path | None = None) -> dict[str, Any]:
    """The merged configuration (callers must not change it); cached by the files' (path, mtime, size)."""
    parsed = [_parse(p, origin) for p, origin in _layers(extra)]  # a changed file is re-read here
    key = tuple(k for k, _ in parsed)
    if key not in _MERGED:
        if len(_MERGED) > 32:
            _MERGED.clear()
        cfg = copy.deepcopy(_defaults())
        for _, over in parsed:
            _merge(cfg, over)
        _MERGED[key] = cfg
    return _MERGED[key]


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The full merged configuration as a new dict.

    Parameters
    ----------
    path
        An extra TOML file applied over all layers (as if :func:`use_config` had activated it); it must exist.

    Returns
    -------
    dict
        ``{section: {key: value}}``: packaged defaults < ``<config dir>/config.toml`` < ``$SELLOFF_CONFIG`` <
        :func:`use_config` < ``path``.

    Raises
    ------
    ConfigError
        A missing file, invalid TOML, an unknown section or key, or a value of the wrong type (named with file and
        key).
    """
    return copy.deepcopy(_merged(Path(path) if path is not None else None))


def defaults(section: str) -> dict[str, Any]:
    """One section of the merged configuration (see :func:`load_config`), as a new dict.

    Raises
    ------
    ConfigError
        An unknown section, or any problem of a config file in force.
    """
    cfg = _merged()
    if section not in cfg:
        raise ConfigError(f"unknown config section [{section}]; known: {', '.join(cfg)}")
    return _copy(cfg[section])


def _copy(v: Any) -> Any:
    """A new copy of TOML data: dicts and lists copied, the leaves (str, numbers, bools, dates: immutable) shared;
    several times faster than ``copy.deepcopy``, which the report pays on every ``defaults()`` call."""
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


class use_config:  # noqa: N801 - used like a function: use_config(path), or with use_config(path): ...
    """Activate ``path`` as this process's extra config file (``None``: none), over the user's and
    ``$SELLOFF_CONFIG``.

    The file is read and checked at once. Called plainly, the activation lasts until the next call; used as a
    context manager, the previous state comes back on exit.

    Parameters
    ----------
    path
        A TOML file with sections and keys as in ``defaults.toml``, or ``None`` to drop the active file.

    Raises
    ------
    ConfigError
        A missing file, invalid TOML, an unknown section or key, or a value of the wrong type.

    Examples
    --------
    >>> with use_config("strict.toml"):          # doctest: +SKIP
    ...     defaults("detect")["z_threshold"]
    """

    def __init__(self, path: str | Path | None) -> None:
        global _active
        new = Path(path) if path is not None else None
        if new is not None:
            _parse(new, "use_config")
        self.path = new
        self._previous = _active
        _active = new

    def __enter__(self) -> Path | None:
        return self.path

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        global _active
        _active = self._previous
