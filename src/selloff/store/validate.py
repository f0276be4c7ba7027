"""Checks applied to every frame before it reaches the store.

A failed check raises :class:`~selloff.errors.DataError` naming the table, the data's origin (``what``: a
source, file or asset), the first offending row and the fix; nothing of that batch is written.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from selloff.errors import DataError
from selloff.store.schema import Table


def _row_label(df: pd.DataFrame, i: int, table: Table, first_row: int = 0) -> str:
    row = df.iloc[i]
    parts = [f"{k}={row[k]}" for k in table.key if k in df.columns]
    return f"row {first_row + i + 1} ({', '.join(parts)})"


def check_duplicates(df: pd.DataFrame, table: Table, what: str = "input", first_row: int = 0) -> None:
    """Raise :class:`DataError` naming the first two rows of ``df`` that share the table's key."""
    keys = [k for k in table.key if k in df.columns]
    if not keys:
        return
    dup = df.duplicated(subset=keys, keep=False).to_numpy()
    if dup.any():
        idx = np.flatnonzero(dup)[:2]
        rows = " and ".join(_row_label(df, int(i), table, first_row) for i in idx)
        raise DataError(f"{what}: duplicate key {table.key} in {rows}; deduplicate before storing")


def _as_utc(col: pd.Series, name: str, what: str, table: Table) -> pd.Series:
    if not pd.api.types.is_datetime64_any_dtype(col):
        try:
            col = pd.to_datetime(col, utc=False)
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"{what}: column '{name}' of {table.name} is not a timestamp ({exc}); pass UTC-aware datetimes"
            ) from exc
    if getattr(col.dt, "tz", None) is None:
        raise DataError(
            f"{what}: column '{name}' of {table.name} has naive timestamps; localise them to UTC "
            f"(e.g. Series.dt.tz_localize('UTC')) before storing"
        )
    return col.dt.tz_convert("UTC")


def validate_frame(df: pd.DataFrame, table: Table, what: str = "input", first_row: int = 0,
                   keys_checked: bool = False) -> pd.DataFrame:
    """Return a clean copy of ``df`` with exactly the table's columns, or raise :class:`DataError`.

    Unknown columns and missing non-nullable columns are errors (strict schema); optional columns that are
    absent are added as nulls. ``first_row`` is the position of ``df``'s first row in the caller's input (row
    numbers in messages count from it). ``keys_checked``: the caller already checked the whole input for duplicate
    keys (a slice of it needs no second check).
    """
    if df is None or len(df) == 0:
        raise DataError(f"{what}: no rows for table {table.name}; check the window or the source's answer")
    unknown = [c for c in df.columns if c not in table.column_names]
    if unknown:
        raise DataError(
            f"{what}: unknown column(s) {unknown} for table {table.name}; expected a subset of {table.column_names}"
        )
    missing = [c.name for c in table.columns if not c.nullable and c.name not in df.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {missing} for table {table.name}; add them to the frame")
    out = df.reset_index(drop=True).copy()
    for c in table.columns:
        if c.name not in out.columns:
            out[c.name] = None
    out = out[table.column_names]
    for c in table.columns:
        if c.sql_type == "TIMESTAMPTZ" and out[c.name].notna().any():
            out[c.name] = _as_utc(out[c.name], c.name, what, table)
    for c in table.columns:
        if not c.nullable or c.name in table.required:
            bad = out[c.name].isna().to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{what}: {table.name}.{c.name} is missing/NaN at {_row_label(out, i, table, first_row)}; "
                    f"drop or fill that row at the source"
                )
    for name in table.positive + table.non_negative:
        if pd.api.types.is_float_dtype(out[name]) and not isinstance(out[name].dtype, pd.ArrowDtype):
            vals = out[name]  # already numbers: nothing to coerce (the common case of a large load)
        else:
            vals = pd.to_numeric(out[name], errors="coerce")
        if vals.dtype != out[name].dtype and out[name].notna().any() and vals[out[name].notna()].isna().any():
            i = int(np.flatnonzero((vals.isna() & out[name].notna()).to_numpy())[0])
            raise DataError(f"{what}: {table.name}.{name} is not a number at {_row_label(out, i, table, first_row)}")
        out[name] = vals.astype(float)
        strict = name in table.positive
        bad = (vals <= 0) if strict else (vals < 0)
        bad = bad.fillna(False).to_numpy() | np.isinf(vals.fillna(0).to_numpy())
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            rule = "> 0" if strict else ">= 0"
            raise DataError(
                f"{what}: {table.name}.{name} = {vals.iloc[i]} at {_row_label(out, i, table, first_row)} violates {rule}; "
                f"fix or drop that row"
            )
    if not keys_checked:
        check_duplicates(out, table, what, first_row)
    return out
