"""``selloff export``: the store as a Parquet dataset partitioned by asset and year (readable without DuckDB)."""
import json as jsonlib
from pathlib import Path
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import JsonOpt, StoreOpt, command


@command(app, "export")
def export(
    out: Annotated[Path, typer.Argument(help="New (or empty) folder to write.", show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f", help="Output format: parquet.")] = "parquet",
    table: Annotated[Optional[list[str]], typer.Option("--table", help="Only this table (repeatable; default: "
                                                       "every table with rows).")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Write the store's tables under OUT as Parquet, partitioned by asset and year (Dask, pyarrow or Spark read
    it directly); `selloff import OUT` reads it back into a store."""
    from selloff.errors import StoreError
    from selloff.pipeline.exchange import export_parquet
    from selloff.pipeline.stores import open_store

    if format != "parquet":
        raise StoreError(f"unknown --format '{format}'; the export format is parquet")
    with open_store(store) as st:
        rows = export_parquet(st, out, list(table) if table else None)
    if json:
        typer.echo(jsonlib.dumps({"out": str(out), "rows": rows}, indent=2))
        return
    for t, n in rows.items():
        typer.echo(f"{t}: {n:,} rows")
    typer.echo(f"exported to {out} (partitioned by asset and year)")
