"""``selloff serve``: the local dashboard and JSON API."""
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import StoreOpt, UniverseOpt, command, stderr_line, store_file
from selloff.errors import ConfigError


@command(app)
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Interface to bind (default: web.host of the config, 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="TCP port (default: web.port of the config, 8000).")] = None,
    store: StoreOpt = None, universe: UniverseOpt = None,
    allow_write: Annotated[bool, typer.Option("--allow-write", help="Allow write endpoints; they need the bearer token "
                                              "from the environment variable named by web.token_env (SELLOFF_WEB_TOKEN).")] = False,
) -> None:
    """Serve the dashboard (market board, sectors, episodes with their reports, claim check, stress, alerts) and
    its JSON API (/api/..., /docs, /widgets.json for OpenBB Workspace) on http://127.0.0.1:8000."""
    import uvicorn

    from selloff.config import defaults
    from selloff.web import WebSettings, create_app

    cfg = defaults("web")
    bind, p = host or str(cfg["host"]), int(port if port is not None else cfg["port"])
    if not 0 < p < 65536:
        raise ConfigError(f"--port {p} is not a TCP port; use 1..65535")
    path = store_file(store)
    if not path.exists():
        raise ConfigError(f"store {path} does not exist; build one (selloff demo --store {path}) or pass --store FILE")
    # --config (see cli.common.command) stays active while the server runs, so every request reads it
    settings = WebSettings.load(path, universe=universe, allow_write=allow_write, host=bind)
    web_app = create_app(settings)
    if bind not in ("127.0.0.1", "localhost", "::1"):
        stderr_line(f"warning: serving on {bind}, reachable from other machines; the API has no login")
    stderr_line(f"selloff serve: http://{bind}:{p}/ (store {path}{', writes allowed with the token' if allow_write else ', read-only'})")
    uvicorn.run(web_app, host=bind, port=p, log_level="warning", access_log=False, server_header=False)
