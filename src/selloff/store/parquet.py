"""The store's tables as a Parquet dataset, partitioned by asset and year, and back.

Layout (``DIR`` is what the user names)::

    DIR/selloff-export.json                     manifest: format, version, schema version, rows per table
    DIR/<table>/asset=<id>/year=<yyyy>/*.parquet  tables with an ``asset`` column
    DIR/<table>/year=<yyyy>/*.parquet             the others (events, category_caps, ...)

Hive-style partitions that Dask, pyarrow, Spark or DuckDB read without selloff (``dask.dataframe.read_parquet(
"DIR/bars")``); the partition columns are also written inside each file (``WRITE_PARTITION_COLUMNS``), so every
file is self-contained. ``year`` is the UTC year of ``ts``. The export is written to a temporary folder beside
``DIR`` and moved into place at the end: an interrupted export leaves no half-written dataset.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from selloff.errors import DataError, StoreError
from selloff.store.schema import SCHEMA_VERSION, TABLES

MANIFEST = "selloff-export.json"
FORMAT = "selloff-parquet"
VERSION = 1


def export_tables(con, out: Path, tables: list[str] | None = None) -> dict[str, int]:
    """Write ``tables`` (default: every table with rows) of the open DuckDB connection ``con`` to ``out``.

    ``out`` must not exist or be an empty folder. Returns the rows written per table.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StoreError(f"export folder {out} exists and is not empty; pass a new folder")
    names = tables or list(TABLES)
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise StoreError(f"unknown table(s) {unknown} to export; choose from {sorted(TABLES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        rows: dict[str, int] = {}
        for name in names:
            t = TABLES[name]
            n = int(con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0])
            if not n:
                continue
            parts = (["asset"] if "asset" in t.column_names else []) + ["year"]
            target = str(tmp / t.name).replace("'", "''")
            con.execute(
                f"COPY (SELECT *, CAST(date_part('year', ts AT TIME ZONE 'UTC') AS INTEGER) AS year FROM {t.name}) "
                f"TO '{target}' (FORMAT parquet, PARTITION_BY ({', '.join(parts)}), WRITE_PARTITION_COLUMNS true)"
            )
            rows[t.name] = n
        (tmp / MANIFEST).write_text(json.dumps(
            {"format": FORMAT, "version": VERSION, "schema_version": SCHEMA_VERSION, "rows": rows}, indent=2) + "\n")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return rows


def is_export(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def read_manifest(path: Path) -> dict:
    f = Path(path) / MANIFEST
    try:
        m = json.loads(f.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{f}: not a readable selloff export manifest ({exc}); re-export with selloff export") from exc
    if not isinstance(m, dict) or m.get("format") != FORMAT or not isinstance(m.get("rows"), dict):
        raise DataError(f"{f}: not a {FORMAT} manifest; point selloff import at a folder written by selloff export")
    if m.get("version") != VERSION or int(m.get("schema_version", -1)) > SCHEMA_VERSION:
        raise DataError(f"{f}: export version {m.get('version')} / schema {m.get('schema_version')} is newer than "
                        f"this selloff reads ({VERSION} / {SCHEMA_VERSION}); upgrade selloff")
    unknown = [t for t in m["rows"] if t not in TABLES]
    if unknown:
        raise DataError(f"{f}: unknown table(s) {unknown}; the export does not come from selloff")
    return m


def table_files(path: Path, table: str) -> list[Path]:
    """The Parquet files of ``table`` in an export, in partition order (asset, then year)."""
    return sorted((Path(path) / table).rglob("*.parquet"))


def read_frames(path: Path, table: str) -> Iterator[pd.DataFrame]:
    """One frame per file of ``table``, in the store's columns (the ``year`` partition column dropped)."""
    import pyarrow.parquet as pq

    cols = TABLES[table].column_names
    for f in table_files(path, table):
        try:
            df = pq.read_table(f).to_pandas()
        except Exception as exc:  # pyarrow raises its own zoo (ArrowInvalid, OSError, ...) for a damaged file
            raise DataError(f"{f}: unreadable Parquet file ({type(exc).__name__}: {exc}); re-export it") from exc
        yield df[[c for c in cols if c in df.columns]]
