"""``selloff export --format parquet`` and the import of that layout (see :mod:`selloff.store.parquet`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from selloff.errors import DataError
from selloff.store import Store, UpsertResult
from selloff.store.parquet import export_tables, is_export, read_frames, read_manifest

__all__ = ["ParquetImport", "export_parquet", "import_parquet", "is_export"]


@dataclass(frozen=True)
class ParquetImport:
    """What an import of an export folder wrote (the same fields as a CSV file's import result)."""
    path: str
    results: tuple[UpsertResult, ...]
    assets: tuple[str, ...]
    format: str = "selloff-parquet"
    source: str = "as exported"
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "assets": list(self.assets),
                "results": [{"table": r.table, "inserted": r.inserted, "updated": r.updated,
                             "unchanged": r.unchanged} for r in self.results]}


def export_parquet(store: Store, out: str | Path, tables: list[str] | None = None) -> dict[str, int]:
    """Every table with rows (or ``tables``) of ``store`` as a Parquet dataset under ``out``; rows per table."""
    with store.transaction():  # one consistent snapshot of all tables
        return export_tables(store.con, Path(out), tables)


def import_parquet(store: Store, path: str | Path) -> ParquetImport:
    """Import an export folder: every table validated and upserted file by file, all in ONE transaction
    (memory bounded by the largest file; an error anywhere leaves the store as before)."""
    path = Path(path)
    manifest = read_manifest(path)
    results, assets = [], set()
    with store.transaction():
        for table, expected in manifest["rows"].items():
            r = store.upsert_many(table, _noting_assets(read_frames(path, table), assets), what=f"{path}/{table}")
            seen = r.inserted + r.updated + r.unchanged
            if seen != int(expected):
                raise DataError(f"{path}/{table}: {seen} rows in the files, the manifest says {expected}; "
                                f"the export is incomplete: export again")
            results.append(r)
    return ParquetImport(str(path), tuple(results), tuple(sorted(assets)))


def _noting_assets(frames, assets: set[str]):
    for df in frames:
        if "asset" in df.columns:
            assets.update(df["asset"].unique().tolist())
        yield df
