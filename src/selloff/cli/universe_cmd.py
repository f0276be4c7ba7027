"""``selloff universe`` (show it) and ``selloff universe sync`` (sectors from a provider's categories)."""
from pathlib import Path
from typing import Annotated, Optional

import typer

from selloff.cli.analysis import universe_cmd
from selloff.cli.app import app
from selloff.cli.common import ConfigOpt, JsonOpt, OneLineErrors, UniverseOpt, command, fail, print_df, print_json, universe_of
from selloff.errors import SelloffError

universe_app = typer.Typer(help="Show the universe, or sync its sectors from a provider (universe sync).",
                           cls=OneLineErrors, invoke_without_command=True)
app.add_typer(universe_app, name="universe")


@universe_app.callback(invoke_without_command=True)
def show(ctx: typer.Context, universe: UniverseOpt = None, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Show the universe: assets, sectors and dependency edges."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        if config is None:
            universe_cmd(universe, as_json)
        else:
            from selloff.config import use_config

            with use_config(config):
                universe_cmd(universe, as_json)
    except SelloffError as exc:
        raise fail(exc) from None


@command(universe_app, "sync")
def sync(
    provider: Annotated[str, typer.Option("--provider", help="Category provider: coingecko.")] = "coingecko",
    top: Annotated[int, typer.Option("--top", help="Members per sector: the category's top N coins by market cap.")] = 20,
    category: Annotated[Optional[list[str]], typer.Option("--category", help="Also build a sector from this CoinGecko category id (repeatable).")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Universe file to write (default: <config dir>/universe.toml).")] = None,
    universe: UniverseOpt = None, as_json: JsonOpt = False,
) -> None:
    """Build or refresh sectors from CoinGecko categories (/coins/categories, /coins/markets?category=) into your
    universe file, and show what changed. Keys and base URL as for `selloff fetch` (COINGECKO_API_KEY, ...)."""
    from selloff.config import user_config_dir
    from selloff.errors import ConfigError
    from selloff.pipeline.universe_sync import sync_coingecko
    from selloff.sources.coingecko import CoinGecko

    if provider != "coingecko":
        raise ConfigError(f"--provider {provider!r} is not supported; use coingecko")
    target = file or user_config_dir() / "universe.toml"
    u = universe_of(universe)
    cg = CoinGecko.from_env()
    try:
        res = sync_coingecko(cg, u, target, top, category or ())
    finally:
        cg.close()
    if as_json:
        print_json(res.to_dict())
        return
    print_df(res.changes, f"Sectors synced from CoinGecko → {res.path}", False)
    if res.new_assets:
        typer.echo(f"new assets: {', '.join(res.new_assets)}")
    for n in res.notes:
        typer.echo(n)
