"""What a server is started with: the store, universe and config it serves, the ``[web]`` limits, write access."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from selloff.config import defaults, use_config
from selloff.errors import ConfigError

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """One server's settings (frozen; read once at start).

    ``token`` is the bearer token write endpoints require; it is set only with ``allow_write`` and comes from the
    environment variable named by ``[web] token_env`` — never from a command line (which other users can read)
    and never shown in a page or a log line.
    """

    store: Path
    universe: Path | None = None
    config: Path | None = None
    allow_write: bool = False
    max_body_bytes: int = 1_100_000
    cache_entries: int = 64
    cors_origins: tuple[str, ...] = ()
    overlay_assets: tuple[str, ...] = ("BTC", "ETH")
    board_alerts: int = 10
    board_episodes: int = 8
    max_stress_paths: int = 50_000
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    token: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls, store: Path, universe: Path | None = None, config: Path | None = None,
             allow_write: bool = False, environ: dict | None = None, host: str | None = None) -> "WebSettings":
        """Settings from the ``[web]`` section (with ``config`` active) and the environment; ``host`` (the
        interface served) is added to ``[web] allowed_hosts``.

        Raises
        ------
        ConfigError
            ``allow_write`` without a token of at least ``[web] min_token_chars`` characters in the environment,
            a non-positive limit, or a CORS origin that is not an http(s) origin.
        """
        env = os.environ if environ is None else environ
        if config is not None:
            with use_config(config):
                cfg = dict(defaults("web"))
        else:
            cfg = dict(defaults("web"))
        for key in ("max_body_bytes", "cache_entries", "min_token_chars", "board_alerts", "board_episodes", "max_stress_paths"):
            if cfg[key] <= 0:
                raise ConfigError(f"[web] {key} = {cfg[key]} must be positive; fix the config")
        origins = tuple(cfg["cors_origins"])
        bad = [o for o in origins if not isinstance(o, str) or not o.startswith(("http://", "https://")) or o.endswith("/")]
        if bad:
            raise ConfigError(f"[web] cors_origins entry {bad[0]!r} is not an origin; write e.g. 'https://pro.openbb.co' "
                              "(scheme and host, no path)")
        hosts = tuple(dict.fromkeys([*(str(h) for h in cfg["allowed_hosts"]), *([host] if host else [])]))
        token = None
        if allow_write:
            name = str(cfg["token_env"])
            token = env.get(name, "")
            if len(token) < int(cfg["min_token_chars"]):
                raise ConfigError(f"--allow-write needs a token of at least {cfg['min_token_chars']} characters in the "
                                  f"environment variable {name}; set it (e.g. export {name}=$(openssl rand -hex 24))")
        return cls(store=Path(store), universe=universe, config=config, allow_write=allow_write,
                   max_body_bytes=int(cfg["max_body_bytes"]), cache_entries=int(cfg["cache_entries"]),
                   cors_origins=origins, overlay_assets=tuple(str(a) for a in cfg["overlay_assets"]),
                   board_alerts=int(cfg["board_alerts"]), board_episodes=int(cfg["board_episodes"]),
                   max_stress_paths=int(cfg["max_stress_paths"]), allowed_hosts=hosts, token=token)
