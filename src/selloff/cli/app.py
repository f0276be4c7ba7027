"""The ``selloff`` Typer applications (commands register themselves in the sibling modules)."""
import typer

from selloff.cli.common import OneLineErrors

app = typer.Typer(help="selloff: what fell, how hard, how broadly, why, whether it spreads — from market data.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=OneLineErrors)
record_app = typer.Typer(help="Record live data into the store.", no_args_is_help=True, cls=OneLineErrors)
app.add_typer(record_app, name="record")
