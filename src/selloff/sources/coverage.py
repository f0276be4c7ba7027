"""What the store lacks, as planners see it: pure gap arithmetic plus a :class:`Coverage` view the caller builds.

Sources never import the store. The pipeline passes a :class:`Coverage` whose two callables answer "first/last
``ts`` per series of a table" and "the stored bar open times of one series in a range"; the functions here turn
those answers into the ranges to fetch.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

Range = tuple[pd.Timestamp, pd.Timestamp]
_EMPTY = pd.DatetimeIndex([], tz="UTC")


def missing_ranges(cov: pd.DataFrame, match: Mapping[str, str], start: pd.Timestamp, end: pd.Timestamp,
                   step: pd.Timedelta) -> list[Range]:
    """Parts of ``[start, end]`` the store lacks for one series: before its first and after its last row.

    Parameters
    ----------
    cov
        A coverage frame (``first_ts``, ``last_ts`` and the grouping columns, as ``Store.coverage`` gives).
    match
        Column values naming the series (``asset``, ``interval``, ``venue``, ``source``).
    """
    rows = cov
    for k, v in match.items():
        if k not in rows.columns:
            return [(start, end)]
        rows = rows[rows[k] == v]
    if rows.empty:
        return [(start, end)]
    first, last = rows["first_ts"].min(), rows["last_ts"].max()
    out = []
    if start < first - step:
        out.append((start, min(first - step, end)))
    if last + step < end:
        out.append((max(last + step, start), end))
    return [(s, e) for s, e in out if s < e]


def missing_runs(present: pd.DatetimeIndex, expected: pd.DatetimeIndex, step: pd.Timedelta) -> list[Range]:
    """Runs of ``expected`` bar timestamps absent from ``present``, as ``(first open, last open + step)`` ranges.

    Consecutive missing bars (neighbours in ``expected``) form one run, so a hole in the middle of a stored series
    is fetched as one request range — not only what lies before the first or after the last stored row.
    """
    if len(expected) == 0:
        return []
    miss = ~expected.isin(present)
    if not miss.any():
        return []
    runs, start_i = [], None
    for i, m in enumerate(miss):
        if m and start_i is None:
            start_i = i
        if not m and start_i is not None:
            runs.append((expected[start_i], expected[i - 1] + step))
            start_i = None
    if start_i is not None:
        runs.append((expected[start_i], expected[-1] + step))
    return runs


def expected_bars(start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta, equity: bool) -> pd.DatetimeIndex:
    """Bar open times a complete series has in ``[start, end)``.

    Every ``step`` for 24/7 markets; NYSE session opens for daily equity bars (weekends, holidays and early
    closes from ``exchange_calendars`` through :mod:`selloff.calendar`).
    """
    if equity:
        from selloff.calendar import nyse_sessions  # noqa: PLC0415  (exchange_calendars is slow to import)

        days = nyse_sessions(start.tz_convert(None).normalize(), (end - pd.Timedelta(days=1)).tz_convert(None).normalize())
        opens = pd.DatetimeIndex(days["open_ts"])
        return opens[(opens >= start - pd.Timedelta(days=1)) & (opens < end)]
    first = start.ceil(step)
    last = (end - step).floor(step)
    return pd.date_range(first, last, freq=step) if last >= first else _EMPTY


@dataclass
class Coverage:
    """The store's holdings as planners may ask for them (the pipeline builds it from a ``Store``).

    Parameters
    ----------
    table_coverage
        ``table -> coverage frame`` (first/last ``ts`` per series); each table is asked once.
    series_ts
        ``(match, start, end) -> stored bar open times`` of one ``bars`` series (asset, interval, source).
    """

    table_coverage: Callable[[str], pd.DataFrame]
    series_ts: Callable[[Mapping[str, str], pd.Timestamp, pd.Timestamp], pd.DatetimeIndex]
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def frame(self, table: str) -> pd.DataFrame:
        """Coverage frame of ``table`` (cached: planning does not write)."""
        if table not in self._frames:
            self._frames[table] = self.table_coverage(table)
        return self._frames[table]

    def ranges(self, table: str, match: Mapping[str, str], start: pd.Timestamp, end: pd.Timestamp,
               step: pd.Timedelta) -> list[Range]:
        """:func:`missing_ranges` of one series of ``table`` (edges only, holes are not searched)."""
        return missing_ranges(self.frame(table), match, start, end, step)

    def bar_gaps(self, match: Mapping[str, str], start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta,
                 equity: bool = False) -> list[Range]:
        """What the store lacks of one bar series in ``[start, end)``, holes included.

        Intraday equity series fall back to the edges (their sessions are not a fixed grid).
        """
        if equity and step < pd.Timedelta(days=1):
            return self.ranges("bars", match, start, end, step)
        present = self.series_ts(match, start - step, end)
        return missing_runs(present, expected_bars(start, end, step, equity), step)
