"""Reading a CSV file into a typed table of strings with file line numbers, and the shared parsing helpers.

Everything here is pure: bytes in, frames out. Every error is a :class:`~selloff.errors.DataError` naming the file,
the line and the field, and saying what to do.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from selloff.errors import ConfigError, DataError

FIRST_DAY, LAST_DAY = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")
"""Dates a file's rows may carry: pandas' nanosecond range, whole years (indices go back to 1927, so no 1970
floor here)."""

MISSING = {"", "null", "nan", "none", "n/a", "-"}
NY = "America/New_York"
SESSION_OPEN = pd.Timedelta(hours=9, minutes=30)
"""US equity session open (09:30 New York): the ts of an equity daily bar (see docs/CONVENTIONS.md)."""

INTERVALS = {
    60_000: "1m",
    300_000: "5m",
    900_000: "15m",
    3_600_000: "1h",
    14_400_000: "4h",
    86_400_000: "1d",
}
"""Bar length in milliseconds → the store's interval name."""


@dataclass(frozen=True)
class RawTable:
    """A CSV file as strings: cleaned header, one row per non-empty record, ``line`` = its line in the file."""

    path: str
    header: tuple[str, ...]
    rows: pd.DataFrame
    notes: tuple[str, ...] = ()

    def col(self, *names: str, required: bool = True) -> str | None:
        """The column called one of ``names`` (case-insensitive), or ``None``/DataError if absent."""
        lower = {h.lower(): h for h in self.header}
        for n in names:
            if n.lower() in lower:
                return lower[n.lower()]
        if required:
            raise DataError(
                f"{self.path}: no column {' or '.join(repr(n) for n in names)} in header {list(self.header)}; "
                f"pass the right --format or fix the header"
            )
        return None

    def line(self, i: int) -> int:
        return int(self.rows["line"].iloc[i])


@dataclass
class Context:
    """What a format parser needs besides the file: where it came from and how to name assets."""

    path: str
    source: str
    asset: str | None = None
    """Universe id for a single-asset file (from --asset or the file name); ``None`` for multi-asset files."""
    kind: str | None = None
    """The asset's kind (``token``, ``equity``, ``index``): decides the ts of a dated daily row."""
    resolve: Callable[[str], tuple[str, str] | None] = lambda name: None
    """Symbol or name → (asset id, kind) via the universe, or ``None`` when the universe lacks it."""
    only_asset: str | None = None
    """Multi-asset files: keep only this asset (``--asset``)."""


@dataclass
class Parsed:
    """A parsed file: frames in the store's schema (without ``file_sha256``) and what was dropped and why."""

    format: str
    frames: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------------------------------------
def read_csv_bytes(data: bytes, path: str) -> RawTable:
    """Decode (UTF-8, optional BOM), split records, clean the header and drop empty rows and junk columns.

    Header names are stripped of whitespace including non-breaking spaces (Yahoo's ``"Close\\xa0"``). Rows whose
    cells are all empty are dropped (trailing ``,,,,,,`` rows). Columns without a name, or repeating an earlier
    name, that are empty on every row are dropped (Binance exports' ``open_time.1,open_time`` tail); such a
    column with values is an error.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path}: empty file; nothing to import") from None
    except csv.Error as exc:
        raise DataError(f"{path}:1: unreadable CSV header ({exc}); fix the file") from None
    header = [h.replace("\ufeff", "").strip() for h in header]
    width = len(header)
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        for rec in reader:
            if not any(c.strip() for c in rec):
                continue
            if len(rec) != width:
                if len(rec) > width and not any(c.strip() for c in rec[width:]):
                    rec = rec[:width]
                elif len(rec) < width:
                    rec = rec + [""] * (width - len(rec))
                else:
                    raise DataError(
                        f"{path}:{reader.line_num}: {len(rec)} fields but the header has {width}; "
                        f"fix that row (an unquoted comma?)"
                    )
            records.append([c.strip() for c in rec])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: unreadable CSV ({exc}); fix that row") from None
    cols = np.array(records, dtype=object).reshape(len(records), width) if records else np.empty((0, width), object)
    keep, names, notes = [], [], []
    for j, name in enumerate(header):
        empty = all(v == "" for v in cols[:, j])
        junk = name == "" or name in names or re.fullmatch(r".+\.\d+", name) is not None and name.rsplit(".", 1)[0] in header
        if junk:
            if not empty:
                raise DataError(
                    f"{path}: column {j + 1} ('{name}') repeats or lacks a header name but holds values; "
                    f"rename or remove it"
                )
            continue
        keep.append(j)
        names.append(name)
    if len(keep) < width:
        notes.append(f"dropped {width - len(keep)} empty junk column(s)")
    rows = pd.DataFrame({n: pd.Series(cols[:, j], dtype=object) for n, j in zip(names, keep)})
    rows["line"] = pd.Series(lines, dtype="int64")
    return RawTable(path, tuple(names), rows, tuple(notes))


# -- typed columns -------------------------------------------------------------------------------------------
def _bad(raw: RawTable, mask: np.ndarray, col: str, what: str, fix: str) -> DataError:
    i = int(np.flatnonzero(mask)[0])
    return DataError(f"{raw.path}:{raw.line(i)}: field '{col}' = '{raw.rows[col].iloc[i]}' {what}; {fix}")


def numbers(raw: RawTable, col: str | None, *, required: bool = False, positive: bool = False,
            non_negative: bool = False, zero_is_missing: bool = False) -> pd.Series:
    """Parse a numeric column; thousands separators are removed; ``null``/empty are NaN."""
    if col is None:
        return pd.Series(np.nan, index=raw.rows.index, dtype="float64")
    text = raw.rows[col].astype(object).map(lambda v: "" if v is None else str(v).strip())
    # a comma is accepted only as thousands grouping ("1,234.5"); "164,5" is a decimal comma, and stripping it would
    # import 1645 — refuse the file instead
    has_comma = text.str.contains(",", regex=False).to_numpy()
    grouped = text.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?").fillna(False).to_numpy()
    if (has_comma & ~grouped).any():
        raise _bad(raw, has_comma & ~grouped, col, "has a decimal comma or malformed thousands grouping",
                   "export with a decimal point (selloff reads '1,234.5' or '1234.5', not '1234,5')")
    s = text.str.replace(",", "", regex=False)
    missing = s.str.lower().isin(MISSING).to_numpy()
    vals = pd.to_numeric(s.where(~missing, None), errors="coerce").astype("float64")
    bad = np.isnan(vals.to_numpy()) & ~missing
    if bad.any():
        raise _bad(raw, bad, col, "is not a number", "fix or remove that row")
    bad = np.isinf(vals.to_numpy())
    if bad.any():
        raise _bad(raw, bad, col, "is infinite", "fix or remove that row")
    if required and missing.any():
        raise _bad(raw, missing, col, "is empty", "fill it or remove that row")
    if zero_is_missing:
        vals = vals.where(vals != 0)
    if positive:
        bad = (vals <= 0).to_numpy()
        if bad.any():
            raise _bad(raw, bad, col, "is not > 0", "a price must be positive: fix or remove that row")
    if non_negative:
        bad = (vals < 0).to_numpy()
        if bad.any():
            raise _bad(raw, bad, col, "is negative", "fix or remove that row")
    return vals


_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%m/%d/%Y"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
)


def dates(raw: RawTable, col: str) -> pd.Series:
    """Parse a calendar-date column (``YYYY-MM-DD``, ``M/D/YYYY`` as Yahoo's web export, or ``YYYYMMDD``) to naive
    midnight timestamps. The format is chosen from the first row; every row must match it."""
    s = raw.rows[col].astype(str)
    if len(s) == 0:
        return pd.Series([], dtype="datetime64[ns]")
    first = s.iloc[0]
    fmt = next((f for rx, f in _DATE_FORMATS if rx.match(first)), None)
    if fmt is None:
        raise _bad(raw, np.array([True] + [False] * (len(s) - 1)), col, "is not a date",
                   "use YYYY-MM-DD or M/D/YYYY")
    out = pd.to_datetime(s, format=fmt, errors="coerce")
    bad = out.isna().to_numpy()
    if bad.any():
        raise _bad(raw, bad, col, f"is not a date in the file's format {fmt}", "fix or remove that row")
    return _in_range(raw, col, out).astype("datetime64[ns]")


def _in_range(raw: RawTable, col: str, ts: pd.Series) -> pd.Series:
    """``ts`` unchanged, or a :class:`DataError` naming the first row outside FIRST_DAY..LAST_DAY (UTC)."""
    naive = ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz is not None else ts
    bad = ((naive < FIRST_DAY) | (naive > LAST_DAY)).to_numpy()
    if bad.any():
        raise _bad(raw, bad, col, f"is outside {FIRST_DAY.year}..{LAST_DAY.year}", "fix or remove that row")
    return ts


def epoch(raw: RawTable, col: str, unit: str) -> pd.Series:
    """Parse an integer epoch column (``unit`` ``ms`` or ``s``) to UTC timestamps."""
    s = raw.rows[col].astype(str)
    n = pd.to_numeric(s, errors="coerce")
    bad = n.isna().to_numpy()
    if bad.any():
        raise _bad(raw, bad, col, f"is not an epoch in {unit}", "fix or remove that row")
    per_s = {"s": 1, "ms": 1_000}[unit]
    lo, hi = FIRST_DAY.timestamp() * per_s, LAST_DAY.timestamp() * per_s
    bad = ((n < lo) | (n > hi)).to_numpy()
    if bad.any():
        raise _bad(raw, bad, col, f"is an epoch ({unit}) outside {FIRST_DAY.year}..{LAST_DAY.year}", "fix or remove that row")
    return pd.to_datetime(n.astype("int64"), unit=unit, utc=True).astype("datetime64[ns, UTC]")


def datetimes_utc(raw: RawTable, col: str) -> pd.Series:
    """Parse a date-time column that is UTC: ISO with offset, naive (taken as UTC) or a millisecond epoch."""
    s = raw.rows[col].astype(str)
    if len(s) and s.iloc[0].isdigit() and len(s.iloc[0]) >= 12:
        return epoch(raw, col, "ms")
    out = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
    bad = out.isna().to_numpy()
    if bad.any():
        raise _bad(raw, bad, col, "is not a date-time", "use ISO 8601 (2024-01-31 00:00:00+00:00)")
    return _in_range(raw, col, out).astype("datetime64[ns, UTC]")


def daily_ts(days: pd.Series, kind: str | None) -> pd.Series:
    """Bar open time in UTC of the daily bar for each calendar date.

    Crypto (``token``): 00:00 UTC of that date. Equities and indices: that session's open, 09:30 New York
    (EST/EDT as of the date), converted to UTC.
    """
    if kind in ("equity", "index"):
        return (days + SESSION_OPEN).dt.tz_localize(NY).dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return days.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")


def infer_interval(raw: RawTable, ts: pd.Series) -> str:
    """The bar interval from the most common spacing of sorted timestamps (one row: ``1d``)."""
    if len(ts) < 2:
        return "1d"
    step = ts.sort_values().diff().dropna().mode()
    ms = int(step.iloc[0] / pd.Timedelta(milliseconds=1)) if len(step) else 86_400_000
    if ms not in INTERVALS:
        raise DataError(
            f"{raw.path}: bars are {ms / 60000:g} minutes apart, not one of {sorted(INTERVALS.values())}; "
            f"resample the file first"
        )
    return INTERVALS[ms]


def need_asset(ctx: Context) -> tuple[str, str | None]:
    if ctx.asset is None:
        raise ConfigError(f"{ctx.path}: cannot tell which asset this file holds; pass --asset ID")
    return ctx.asset, ctx.kind


# -- duplicates ----------------------------------------------------------------------------------------------
def dedupe(df: pd.DataFrame, key: list[str], path: str, notes: list[str]) -> pd.DataFrame:
    """Drop rows that repeat an earlier row's key with identical values (noted); a repeat with any different
    value is a :class:`DataError` naming both lines. ``df`` must carry a ``line`` column."""
    dup = df.duplicated(subset=key, keep=False)
    if not dup.any():
        return df
    values = [c for c in df.columns if c not in key and c != "line"]
    d = df[dup].sort_values("line")
    dropped = []
    for _, g in d.groupby(key, sort=False, dropna=False):
        first = g.iloc[0]
        for _, other in g.iloc[1:].iterrows():
            for c in values:
                a, b = first[c], other[c]
                if not (a == b or (pd.isna(a) and pd.isna(b))):
                    k = ", ".join(f"{x}={first[x]}" for x in key)
                    raise DataError(
                        f"{path}: lines {first['line']} and {other['line']} both give {k} but differ in "
                        f"'{c}' ({a} vs {b}); delete the wrong line"
                    )
            dropped.append(int(other["line"]))
    notes.append(
        f"dropped {len(dropped)} identical duplicate row(s) at line(s) {', '.join(map(str, dropped[:10]))}"
        + (" ..." if len(dropped) > 10 else "")
    )
    return df[~df["line"].isin(dropped)]


def finish(df: pd.DataFrame, key: list[str], path: str, notes: list[str]) -> pd.DataFrame:
    """Check each bar's prices are consistent, deduplicate, sort by key (files may be newest-first) and drop
    the line column."""
    _check_ohlc(df, path)
    df = dedupe(df, key, path, notes)
    return df.sort_values(key).drop(columns=["line"]).reset_index(drop=True)


def map_assets(raw: RawTable, ctx: Context, *cols: str | None, at: str | None = None) -> tuple[pd.Series, pd.Series, list[str]]:
    """Asset id and kind per row of a multi-asset file, from the first of ``cols`` the universe resolves.

    Where two rows at the same time (column ``at``) resolve to one asset by symbol (Tether and "Polygon Bridged
    USDT" are both USDT), the rows whose name (the second of ``cols``) resolves to that asset are kept and the others
    skipped.

    Rows whose symbol the universe does not know are left ``None`` and summarised in the notes (they are
    skipped, not errors: a top-100 list holds many coins outside the universe). With ``ctx.only_asset`` every
    other asset is skipped too.
    """
    cache: dict[tuple, tuple[str, str] | None] = {}
    ids, kinds = [], []
    cols_ = [c for c in cols if c]
    for vals in zip(*(raw.rows[c].astype(str) for c in cols_)):
        if vals not in cache:
            cache[vals] = next((hit for v in vals if v and (hit := ctx.resolve(v)) is not None), None)
        hit = cache[vals]
        if hit is not None and ctx.only_asset and hit[0] != ctx.only_asset:
            hit = None
        ids.append(hit[0] if hit else None)
        kinds.append(hit[1] if hit else None)
    ids_s = pd.Series(ids, index=raw.rows.index, dtype=object)
    notes = []
    if len(cols_) >= 2 and at:
        agree = pd.Series([h is not None and (n := ctx.resolve(v[1])) is not None and n[0] == h[0]
                           for v, h in ((vals, cache[vals]) for vals in zip(*(raw.rows[c].astype(str) for c in cols_)))],
                          index=raw.rows.index)
        key = pd.DataFrame({"a": ids_s, "t": raw.rows[at]})
        dup = key["a"].notna() & key.duplicated(["a", "t"], keep=False)
        some = agree[dup].groupby([key["a"][dup], key["t"][dup]]).transform("any") if dup.any() else agree[dup]
        bad = list(np.flatnonzero((dup & ~agree & some.reindex(agree.index, fill_value=False)).to_numpy()))
        if bad:
            ids_s.iloc[bad] = None
            notes.append(f"skipped {len(bad)} row(s) whose name is another coin with the same symbol "
                         f"(e.g. {raw.rows[cols_[1]].iloc[bad[0]]})")
    unknown = sorted({v[0] for v, h in cache.items() if h is None})
    if unknown:
        skipped = int(ids_s.isna().sum())
        what = f"other than {ctx.only_asset}" if ctx.only_asset else "not in the universe"
        notes.append(f"skipped {skipped} row(s) of {len(unknown)} symbol(s) {what} "
                     f"({', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''})")
    return ids_s, pd.Series(kinds, index=raw.rows.index, dtype=object), notes


def subset(raw: RawTable, keep: pd.Series) -> RawTable:
    mask = keep.to_numpy(dtype=bool)
    return RawTable(raw.path, raw.header, raw.rows[mask].reset_index(drop=True), raw.notes)


OHLC_SLACK = 0.01
"""How far (share of the high) a bar's open or close may sit outside [low, high] before the row is refused: real
exports drift a little (Yahoo's BTC and ETH daily files: up to 0.3 %, the close taken at a slightly different
time than the range); a wrong column or a typo is far larger."""


def _check_ohlc(df: pd.DataFrame, path: str) -> None:
    """A bar's low is its lowest price and its high its highest: ``low <= open, close <= high`` where given."""
    if not {"low", "high", "close"} <= set(df.columns):
        return
    lo, hi = df["low"], df["high"]
    slack = OHLC_SLACK * hi.abs()
    for name, bad in (("high < low", hi < lo - slack),
                      *((f"{c} outside [low, high]", (df[c] < lo - slack) | (df[c] > hi + slack))
                        for c in ("open", "close") if c in df.columns)):
        if bad.any():
            r = df[bad.fillna(False)].iloc[0]
            vals = ", ".join(f"{c} {r[c]:g}" for c in ("open", "high", "low", "close") if c in df.columns)
            raise DataError(f"{path}:{int(r['line'])}: {name} ({vals}); fix or remove that row")
