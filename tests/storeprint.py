"""The content fingerprint of a store file: per table, the row count and a hash of its rows in a fixed order.

Computed with plain SQL on a read-only DuckDB connection, so a test can compare a store before and after a
command without going through the code under test.
"""
from __future__ import annotations

from pathlib import Path

import duckdb


def fingerprint(path: str | Path) -> dict[str, tuple[int, str | None]]:
    """``{table: (rows, md5 of the rows' text sorted)}`` of every table in the store; ``{}`` when no file exists."""
    p = Path(path)
    if not p.is_file():
        return {}
    con = duckdb.connect(str(p), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {t: tuple(con.execute(
            f'SELECT count(*), md5(string_agg(h, \'\' ORDER BY h)) FROM (SELECT md5(CAST(x AS VARCHAR)) AS h FROM "{t}" x)'
        ).fetchone()) for t in tables}
    finally:
        con.close()


def files_under(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root`` with its size and mtime (to show that nothing was written)."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}
