"""The SQL of the store's array reads: one value column of many (asset, source) series as flat numpy arrays.

Two shapes, both one query joined to the pairs as an unnested list parameter (see :mod:`selloff.store.query`):

* rows (:meth:`Store.read_arrays`): pair position ``i``, epoch milliseconds ``ms`` and value ``v`` of every row;
* cells (:meth:`Store.read_cells`): the row's cell on a day grid, ``f = col * n_days + (label - lo_day)``, computed
  in the scan, so a whole-market read moves 12 bytes a row into numpy (an int32 cell where the grid allows) instead of 20 and no per-row numpy pass is
  needed to place it; or, streamed (:meth:`ArrayReads.scatter_cells`), each value written straight into its
  cell of the caller's grid, batch by batch. ``label`` is the day number (days since 1970-01-01) of the row's ``ts``: its UTC date, or its
  New York date for the pairs flagged ``ny`` (an equity session's date), plus ``shift`` (-1 for a market-cap
  snapshot at 00:00 UTC, which is the close of the day before). The rule is the grid's
  (:mod:`selloff.analytics.market`); this module only evaluates it inside DuckDB.
"""
from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from selloff.errors import StoreError
from selloff.store.query import as_utc
from selloff.store.schema import Table

__all__ = ["ArrayReads", "Cells", "arrays_sql", "enum_read", "scatter_batches"]

_ENUM_IDS = itertools.count()

DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Cells:
    """Where each pair's rows go on a day grid: column per pair, first day number, rows, label shift, NY flags."""

    cols: Sequence[int]
    lo_day: int
    n_days: int
    shift: int = 0
    ny: Sequence[bool] | None = None
    ranks: Sequence[int] | None = None
    """Each pair's source rank, returned per row as ``rank`` (None: not returned)."""
    with_ms: bool = False


def enum_read(picks: Sequence[tuple[str, str]], cells: Cells | None) -> bool:
    """Whether a cells read can take each row's column from an ENUM of the pairs' assets instead of a join: one
    source, pair ``i`` in column ``i``, UTC days, no ranks or times returned (the whole-market read of tokens)."""
    return (cells is not None and len(picks) > 0 and len({x for _, x in picks}) == 1
            and not (cells.ny is not None and any(cells.ny)) and cells.ranks is None and not cells.with_ms
            and list(cells.cols) == list(range(len(picks))))


def arrays_sql(t: Table, value: str, picks: Sequence[tuple[str, str]], *, interval: str | None = None,
               start: object = None, end: object = None, day_offset_below_ms: int | None = None,
               cells: Cells | None = None, enum: str | None = None) -> tuple[str, list]:
    """The query and its parameters (see the module docstring); rows with a null value are left out. ``enum``: the
    name of a temporary ENUM type of the pairs' assets in order, where :func:`enum_read` allows it: each row's
    column is its asset's code, and the rows of other assets fail the cast (measured: 0.2-0.3 s less than the join
    per 36.5 M rows)."""
    if value not in t.column_names:
        raise StoreError(f"read of {t.name}: unknown column {value!r}; the table has {t.column_names}")
    if enum is not None and not enum_read(picks, cells):
        raise StoreError(f"read of {t.name}: an ENUM read needs one source, pair i in column i and UTC days")
    lists = [("asset", "VARCHAR", [a for a, _ in picks])]
    # every pair of one source (the usual whole-market read): join on the asset alone and filter the source in the
    # scan, which DuckDB does faster than a join on both strings (measured 1.1-1.2 s vs 1.3-1.7 s, 36.5 M rows)
    srcs = {x for _, x in picks}
    one = next(iter(srcs)) if len(srcs) == 1 else None
    if one is None:
        lists.append(("source", "VARCHAR", [x for _, x in picks]))
    if cells is None:
        lists.append(("i", "INTEGER", list(range(len(picks)))))
        select = f"p.i AS i, epoch_ms(t.ts) AS ms, CAST(t.{value} AS DOUBLE) AS v"
    else:
        if len(cells.cols) != len(picks):
            raise StoreError(f"read of {t.name}: {len(cells.cols)} columns for {len(picks)} series")
        lists.append(("col", "BIGINT", [int(c) for c in cells.cols]))
        # the day number relative to a base one day before the grid's first (shift included): the difference is
        # >= 0 for every row on the grid, so DuckDB's truncating // is the floor there, also before 1970 (index
        # history); epoch_us, not epoch_ms: measured 0.4-1.3 s less over 36.5 M rows
        base = (int(cells.lo_day) - int(cells.shift) - 1) * DAY_US
        us = "epoch_us(t.ts)"
        if cells.ny is not None and any(cells.ny):
            lists.append(("ny", "BOOLEAN", [bool(x) for x in cells.ny]))
            us = f"(CASE WHEN p.ny THEN epoch_us(timezone('America/New_York', t.ts)) ELSE {us} END)"
        day = f"(({us} - ({base})) // {DAY_US} - 1)"
        # a row off the grid's days (only possible with a wrong summary) gets cell -1, which every reader refuses,
        # instead of a cell in the previous or next column; a row before the base truncates to day -1 or less
        col = "p.col" if enum is None else "CAST(enum_code(t._code) AS BIGINT)"
        cell = f"CASE WHEN {day} BETWEEN 0 AND {int(cells.n_days) - 1} THEN {col} * {int(cells.n_days)} + {day} ELSE -1 END"
        if len(cells.cols) and (max(cells.cols) + 1) * cells.n_days < 2**31:  # 12 bytes a row into numpy, not 16
            cell = f"CAST({cell} AS INTEGER)"
        select = (f"{cell} AS f, "
                  f"CAST(t.{value} AS DOUBLE) AS v")
        if cells.ranks is not None:
            lists.append(("rank", "SMALLINT", [int(r) for r in cells.ranks]))
            select += ", p.rank AS rank"
        if cells.with_ms:
            select += ", epoch_ms(t.ts) AS ms"
    where, params = [f"t.{value} IS NOT NULL"], [x for _, _, x in lists]
    if one is not None:
        where.append("t.source = ?")
        params.append(one)
    if interval is not None and "interval" in t.column_names:
        where.append("t.interval = ?")
        params.append(interval)
    for op, v in ((">=", start), ("<=", end)):
        if v is not None:
            where.append(f"t.ts {op} ?::TIMESTAMPTZ")
            params.append(as_utc(v).to_pydatetime())
    if day_offset_below_ms is not None:
        # the time of day, also before 1970 (epoch_us: cheaper than epoch_ms); on a grid, from the base above (a
        # multiple of a day before every row the summary gave: one modulo of a non-negative number, not two and a
        # sign fix, measured 0.3 s less over 36.5 M caps; a row before the base passes it, but gets cell -1 above,
        # an error of the read, never a silent write)
        tod = (f"((epoch_us(t.ts) % {DAY_US}) + {DAY_US}) % {DAY_US}" if cells is None
               else f"(epoch_us(t.ts) - ({base})) % {DAY_US}")
        where.append(f"{tod} < ?")
        params.append(int(day_offset_below_ms) * 1000)
    if enum is not None:  # no join, so none of its list parameters
        where.insert(0, "t._code IS NOT NULL")
        params = params[len(lists):]
        return (f"SELECT {select} FROM (SELECT *, TRY_CAST(asset AS {enum}) AS _code FROM {t.name}) t WHERE "
                + " AND ".join(where)), params
    unnest = ", ".join(f"unnest(?::{typ}[]) AS {name}" for name, typ, _ in lists)
    sql = (f"SELECT {select} FROM {t.name} t JOIN (SELECT {unnest}) p "
           f"ON t.asset = p.asset{'' if one is not None else ' AND t.source = p.source'} WHERE " + " AND ".join(where))
    return sql, params


def scatter_batches(batches, out: np.ndarray, what: str) -> int:
    """Write each row's value ``v`` at its cell ``f`` of the flat float array ``out``, one Arrow record batch of a
    cells query at a time (as DuckDB streams them: no whole-table copy in between); the number of rows written.
    A cell outside ``out`` is an error (never a silent write elsewhere: numpy would wrap a negative index)."""
    rows = 0
    for b in batches:
        f, v = b.column("f").to_numpy(), b.column("v").to_numpy()
        if len(f) and (int(f.min()) < 0 or int(f.max()) >= out.size):
            raise StoreError(f"{what}: a row's cell lies outside the grid of {out.size} cells its summary gave; "
                             f"this is a bug in the grid read, please report it")
        out[f] = v
        rows += len(f)
    return rows


class ArrayReads:
    """The store's array reads (a part of :class:`~selloff.store.Store`: it gives ``con``, ``_table``, ``_guard``)."""

    def read_arrays(self, table: str, value: str, picks: Sequence[tuple[str, str]], *, interval: str | None = None,
                    start: object = None, end: object = None, day_offset_below_ms: int | None = None) -> dict[str, "object"]:
        """One column of ``table`` for chosen (asset, source) pairs as numpy arrays, in one query.

        ``day_offset_below_ms``: only rows whose ``ts`` lies less than this many milliseconds after a UTC midnight
        (e.g. the snapshots at a day's close out of hourly ones), filtered in the scan instead of after the read.

        Returns ``{"i": int32 position of the pair in picks, "ms": int64 epoch milliseconds of ts (UTC),
        "v": float64 value}`` (rows with a null value left out). The store's fast path for wide, many-asset reads:
        no strings and no timestamps cross into pandas.
        """
        out = self._arrays(table, value, picks, interval=interval, start=start, end=end,
                           day_offset_below_ms=day_offset_below_ms)
        return {"i": out["i"].astype("int32", copy=False), "ms": out["ms"].astype("int64", copy=False),
                "v": out["v"].astype("float64", copy=False)}

    def read_cells(self, table: str, value: str, picks: Sequence[tuple[str, str]], cells: Cells, *,
                   interval: str | None = None, end: object = None,
                   day_offset_below_ms: int | None = None) -> dict[str, "object"]:
        """:meth:`read_arrays` placed on a day grid inside the query (:mod:`selloff.store.arrays`): ``{"f": int32 or int64
        cell (column-major), "v": float64}``, plus ``rank`` (int16) and ``ms`` (int64) where ``cells`` asks."""
        out = self._arrays(table, value, picks, interval=interval, end=end, day_offset_below_ms=day_offset_below_ms,
                           cells=cells)
        res = {"f": out["f"], "v": out["v"].astype("float64", copy=False)}
        if "rank" in out:
            res["rank"] = out["rank"].astype("int16", copy=False)
        if "ms" in out:
            res["ms"] = out["ms"].astype("int64", copy=False)
        return res

    def scatter_cells(self, table: str, value: str, picks: Sequence[tuple[str, str]], cells: Cells, out, *,
                      interval: str | None = None, end: object = None, day_offset_below_ms: int | None = None,
                      batch_rows: int = 1 << 20) -> int:
        """The values of :meth:`read_cells` written straight into their cells of ``out`` (a flat float array, the
        grid in column-major order) batch by batch as DuckDB streams them; the number of rows. The caller checks
        whether a cell got two (fewer filled cells than rows). Measured on 36.5 M rows: 1.1 s against 2.1-2.4 s
        for the whole-result fetch and a scatter after it."""
        t = self._table(table)
        with self._guard(f"reading {t.name}"):
            enum = reader = None
            try:
                enum = self._assets_enum([a for a, _ in picks]) if enum_read(picks, cells) else None
                sql, params = arrays_sql(t, value, picks, interval=interval, end=end,
                                         day_offset_below_ms=day_offset_below_ms, cells=cells, enum=enum)
                reader = self.con.sql(sql, params=params).to_arrow_reader(batch_rows)
                return scatter_batches(reader, out, f"read of {t.name}")
            finally:
                if reader is not None:  # an open result holds the type: a read that failed midway is closed first
                    reader.close()
                if enum is not None:
                    self._drop_type(enum)

    def _assets_enum(self, assets: list[str]) -> str | None:
        """A temporary ENUM type of ``assets`` in their order (code i = assets[i]); None where DuckDB does not keep
        that order (then the read joins)."""
        name = f"_grid_assets_{next(_ENUM_IDS)}"
        self.con.execute(f"CREATE TEMP TYPE {name} AS ENUM (SELECT unnest(?::VARCHAR[]))", [assets])
        kept = False
        try:
            kept = [r[0] for r in self.con.execute(f"SELECT unnest(enum_range(NULL::{name}))").fetchall()] == assets
        finally:
            if not kept:
                self._drop_type(name)
        return name if kept else None

    def _drop_type(self, name: str) -> None:
        """Drop a temporary type of this store's (cleanup: a failure here must not hide the read's own error)."""
        with contextlib.suppress(duckdb.Error):
            self.con.execute(f"DROP TYPE IF EXISTS {name}")

    def _arrays(self, table: str, value: str, picks: Sequence[tuple[str, str]], **kw) -> dict:
        t = self._table(table)
        sql, params = arrays_sql(t, value, picks, **kw)
        with self._guard(f"reading {t.name}"):  # a relation, not the DB-API result: no materialised copy first
            return self.con.sql(sql, params=params).fetchnumpy()
