"""Bars resampled to a coarser interval inside DuckDB, so an intraday scan never pulls minute rows into pandas.

One ``GROUP BY`` over the stored rows of the finer interval: per asset, source and bucket,
``open`` = the open of the first bar (``arg_min(open, ts)``), ``high`` = max, ``low`` = min, ``close`` = the close of
the last bar (``arg_max(close, ts)``), ``volume`` = sum, and ``minutes`` = how many minutes of the bucket the stored
bars cover (bars × their length): a bucket with fewer than its length is *partial* (a gap, or the window's edge)
and shows it, nothing is filled in. ``open``/``high``/``low``/``volume`` skip nulls like pandas' ``first``/``max``/
``sum``; a bucket whose bars all lack a value gets null.

Buckets are aligned to the Unix epoch in UTC (``floor(epoch / width) * width``): hours start at :00 UTC, 4-hour
buckets at 00/04/08/… UTC, days at 00:00 UTC — so a resampled daily bar is a crypto UTC day (it opens and closes at
00:00 UTC, as stored daily crypto bars do). ``ts`` is the bucket's open time, like every stored bar. For an
equity a ``1d`` bucket is still the UTC day (it holds the whole NYSE session, which lies inside one UTC day), not the
session-open timestamp of a stored equity daily bar; hourly buckets of an equity are UTC hours (the 09:30 New York
open makes the first one a 30-minute partial hour). Epoch arithmetic rather than ``time_bucket(…, 'UTC')``: the
same buckets, and measured ~8× faster for days on DuckDB 2.0.1 (no calendar arithmetic in a time zone).
"""
from __future__ import annotations

from collections.abc import Sequence

from selloff.errors import StoreError
from selloff.store.query import read_sql
from selloff.store.schema import TABLES

__all__ = ["BAR_SECONDS", "RESAMPLED_COLUMNS", "resample_sql"]

BAR_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3_600, "4h": 14_400, "1d": 86_400}
"""Length of each stored bar interval (seconds)."""
RESAMPLED_COLUMNS = ("asset", "interval", "ts", "source", "open", "high", "low", "close", "volume", "minutes")


def _seconds(interval: str, what: str) -> int:
    try:
        return BAR_SECONDS[interval]
    except KeyError:
        raise StoreError(f"read_resampled: unknown {what} '{interval}'; one of {', '.join(BAR_SECONDS)}") from None


def resample_sql(*, interval_from: str, to: str, assets: Sequence[str] | str | None = None, start: object = None,
                 end: object = None, sources: Sequence[str] | str | None = None) -> tuple[str, list[object]]:
    """The parameterised aggregate of :meth:`selloff.store.Store.read_resampled` and its parameters.

    The result has the columns :data:`RESAMPLED_COLUMNS` (``ts`` = bucket open, UTC; ``minutes`` = minutes of the
    bucket the stored bars cover), sorted by asset, source and ts. Only ``bars`` can be resampled.

    The rows aggregated are those :meth:`~selloff.store.Store.read` would return for the same filters
    (``interval = interval_from``, ``start <= ts <= end`` on the *stored* bars' open times), so a window that starts
    or ends inside a bucket yields a partial first or last bucket.

    Raises
    ------
    StoreError
        An unknown interval, or ``to`` not a whole multiple (≥ 1) of ``interval_from``.
    """
    step, width = _seconds(interval_from, "interval_from"), _seconds(to, "target interval")
    if width < step or width % step:
        raise StoreError(f"read_resampled: cannot resample {interval_from} bars to {to}; "
                         f"the target must be a whole multiple of {interval_from}")
    rows, params = read_sql(TABLES["bars"], columns=["asset", "ts", "source", "open", "high", "low", "close", "volume"],
                            assets=assets, start=start, end=end, interval=interval_from, sources=sources, order=False)
    sql = f"""SELECT asset, ?::VARCHAR AS interval, to_timestamp(bucket * {width}) AS ts, source,
       arg_min(open, t) AS open, max(high) AS high, min(low) AS low, arg_max(close, t) AS close,
       sum(volume) AS volume, count(*) * {step // 60} AS minutes
FROM (SELECT asset, source, ts AS t, floor(epoch_us(ts) / {width * 1_000_000}) AS bucket, open, high, low, close,
             volume FROM ({rows}) AS stored) AS b
GROUP BY asset, source, bucket
ORDER BY asset, source, bucket"""
    return sql, [to, *params]
