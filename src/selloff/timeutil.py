"""Time conventions of selloff, in one place: UTC instants, UTC calendar days, and the parsing of dates a user
types (``--date``, ``--since``, ``--until``, API keywords).

Conventions (see ``docs/CONVENTIONS.md``):

- An *instant* is a tz-aware ``pd.Timestamp`` in UTC. Naive input is read as UTC (:func:`utc`), unless a caller
  asks for strictness (:func:`require_utc`), where a naive time is an error.
- A *day* is a naive midnight ``pd.Timestamp`` naming a UTC calendar day (:func:`utc_day`); a tz-aware input is
  first converted to UTC. A crypto daily bar labelled ``d`` opens at ``d 00:00 UTC`` and closes at ``d + 1``.
- A day's *window* is the half-open interval ``[d 00:00 UTC, d + 1 00:00 UTC)`` (:func:`day_window`); store reads
  that are inclusive at both ends use :func:`end_of_day` (the last second of the day).

Every function raises :class:`~selloff.errors.ConfigError` naming the input and the expected form; no time zone
is guessed other than "naive means UTC".
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from selloff.errors import ConfigError, DataError

__all__ = [
    "day_start",
    "day_window",
    "end_of_day",
    "parse_date",
    "parse_instant",
    "require_utc",
    "utc",
    "utc_day",
]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?$")
_EARLIEST = pd.Timestamp("1970-01-01")
_LATEST = pd.Timestamp("2100-12-31")


def _timestamp(value: object, name: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp):
        ts = value
    elif isinstance(value, (dt.datetime, dt.date)):
        ts = pd.Timestamp(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _ISO.match(text):
            raise ConfigError(f"{name} '{value}' is not a date; use YYYY-MM-DD or an ISO time like 2026-02-06T14:00Z")
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError, OverflowError):
            raise ConfigError(f"{name} '{value}' is not a valid date; use YYYY-MM-DD") from None
    else:  # numpy datetime64 and the like
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise ConfigError(f"{name} {value!r} is not a date; pass YYYY-MM-DD, a datetime or a pandas Timestamp") from None
    if pd.isna(ts):
        raise ConfigError(f"{name} is empty; pass a date YYYY-MM-DD")
    naive = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
    if not (_EARLIEST <= naive <= _LATEST):
        raise ConfigError(f"{name} '{value}' is outside {_EARLIEST.year}..{_LATEST.year}; pass a date in that range")
    return ts


def utc(value: object, name: str = "time") -> pd.Timestamp:
    """A tz-aware UTC instant; naive input is taken as UTC, aware input converted."""
    ts = _timestamp(value, name)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def require_utc(value: object, name: str = "time") -> pd.Timestamp:
    """A tz-aware UTC instant; a naive input is a :class:`DataError` (data, where a zone is never guessed)."""
    ts = _timestamp(value, name)
    if ts.tzinfo is None:
        raise DataError(f"{name}={value!r} is a naive timestamp; pass a tz-aware UTC time, e.g. '2026-02-05T00:00Z'")
    return ts.tz_convert("UTC")


def utc_day(value: object, name: str = "date") -> pd.Timestamp:
    """The UTC calendar day of ``value`` as a naive midnight Timestamp."""
    ts = _timestamp(value, name)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


def day_start(value: object, name: str = "date") -> pd.Timestamp:
    """00:00 UTC of the day of ``value`` (tz-aware)."""
    return utc_day(value, name).tz_localize("UTC")


def day_window(value: object, name: str = "date") -> tuple[pd.Timestamp, pd.Timestamp]:
    """The half-open UTC interval ``[d 00:00, d + 1 00:00)`` of the day of ``value``."""
    start = day_start(value, name)
    return start, start + pd.Timedelta(days=1)


def end_of_day(value: object, name: str = "date") -> pd.Timestamp:
    """The last second of the UTC day of ``value`` (tz-aware): the inclusive end for store reads."""
    return day_start(value, name) + pd.Timedelta(days=1, seconds=-1)


def parse_date(value: object | None, name: str) -> pd.Timestamp | None:
    """A user-typed day (``--date``, ``--since``, ``--until``, API keywords) as a naive UTC midnight, or None.

    Accepts ``YYYY-MM-DD``, an ISO time with or without zone (converted to UTC first), ``datetime``/``date`` and
    ``pd.Timestamp``. Words such as ``now`` or ``yesterday`` are refused: a report's day must be explicit.
    """
    if value is None:
        return None
    return utc_day(value, name)


def parse_instant(value: object | None, name: str) -> pd.Timestamp | None:
    """A user-typed instant (e.g. a publication time) as tz-aware UTC, or None; naive means UTC."""
    if value is None:
        return None
    return utc(value, name)
