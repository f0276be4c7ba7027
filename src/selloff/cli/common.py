"""What every ``selloff`` command shares: option types, the one error handler, ``--config``, output helpers.

Commands wire options to :mod:`selloff.api` / :mod:`selloff.pipeline` and print; they read no store and compute
nothing themselves. Heavy libraries (pandas, the analytics) load inside the commands, so ``selloff --help``
stays fast.
"""
import functools
import inspect
import json as _json
import os
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from selloff.errors import ConfigError, SelloffError

StoreOpt = Annotated[Optional[Path], typer.Option("--store", help="DuckDB store file (default: the user data dir).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
UniverseOpt = Annotated[Optional[Path], typer.Option("--universe", help="Extra universe TOML (overrides/extends the default).")]
SectorOpt = Annotated[str, typer.Option("--sector", help="Sector id from the universe.")]
DateOpt = Annotated[str, typer.Option("--date", help="The day (UTC, YYYY-MM-DD).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output directory.")]
LangOpt = Annotated[str, typer.Option("--lang", help="en, de or all.")]
EngineOpt = Annotated[Optional[str], typer.Option("--engine", help="local or dask (default: [compute] engine); "
                                                 "the same result on either.")]
SchedulerOpt = Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 "
                                                     "(default: a LocalCluster; needs --engine dask).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Config TOML merged over the defaults and the user's config.toml.")]


def stderr_line(message: str) -> None:
    """One line on stderr, printed verbatim (no markup: brackets in a message stay as they are)."""
    typer.echo(" ".join(str(message).split()), err=True)


def fail(exc: SelloffError) -> typer.Exit:
    """Print ``error: <message>`` and return the exit (code 2) to raise."""
    stderr_line(f"error: {exc}")
    return typer.Exit(exc.exit_code)


class OneLineErrors(TyperGroup):
    """The command group whose usage errors (a missing option, a value of the wrong type, an unknown option or
    command) are one line ``error: ...`` on stderr with exit code 2, like every other bad input."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TyperException as exc:  # typer's (vendored) click.UsageError and its kin
            if getattr(exc, "ctx", None) is None or type(exc).__name__ == "NoArgsIsHelpError":
                raise  # not a usage error, or a bare group that shows its help
            where = f"{exc.ctx.command_path}: "
            stderr_line(f"error: {where}{exc.format_message().rstrip('.')}; see --help")
            raise typer.Exit(2) from None


def command(target: typer.Typer, name: str | None = None) -> Callable[[Callable], Callable]:
    """Register ``fn`` on ``target`` with ``--config`` added and the one error handler around it: a
    :class:`SelloffError` prints one line on stderr and exits with code 2."""

    def deco(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        extra = inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfigOpt)

        @functools.wraps(fn)
        def wrapper(*args: Any, config: Optional[Path] = None, **kwargs: Any) -> Any:
            try:
                if config is None:
                    return fn(*args, **kwargs)
                from selloff.config import use_config

                with use_config(config):
                    return fn(*args, **kwargs)
            except SelloffError as exc:
                raise fail(exc) from None

        wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), extra])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**getattr(fn, "__annotations__", {}), "config": ConfigOpt}
        target.command(name)(wrapper)
        return fn

    return deco


def universe_of(path: Path | None):
    from selloff.universe import load_universe

    return load_universe(*([path] if path else []))


def store_file(path: Path | None) -> Path:
    from selloff.api import store_path

    return store_path(path)


def writable(out_dir: Path) -> None:
    """Fail fast when ``out_dir`` cannot be created or written — without creating anything."""
    probe = Path(out_dir).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"output directory {out_dir} cannot be written ({probe} is not a directory); pass another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"output directory {out_dir} cannot be written (no write permission on {probe}); pass another --out")


def records(df) -> list[dict]:
    return _json.loads(df.to_json(orient="records", date_format="iso"))


def sim_caption(simulated: bool) -> str | None:
    from selloff.config import defaults

    return defaults("report")["simulated_label_en"] if simulated else None


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def print_df(df, title: str, as_json: bool, caption: str | None = None) -> None:
    """A DataFrame as a rich table (folded to the terminal's width) or as JSON with its ``attrs``."""
    from rich.console import Console
    from rich.table import Table

    import pandas as pd

    out = Console()
    if as_json:
        out.print_json(_json.dumps({"title": title, "caption": caption, "rows": records(df), **df.attrs}, default=str))
        return
    t = Table(title=title, caption=caption)
    for c in df.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left", overflow="fold")
    for _, row in df.iterrows():
        t.add_row(*[_cell(v) for v in row])
    out.print(t)


def print_json(payload: Any) -> None:
    from rich.console import Console

    Console().print_json(_json.dumps(payload, default=str))
