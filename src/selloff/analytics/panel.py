"""The panel: the evidence of one request as an immutable input to the analytics.

The pipeline reads each store table once for a request (assets, window) and hands the rows here; everything
the analytics need — daily closes, returns, market caps at each day's close, hourly bars, derivatives, events,
provider category caps — is derived from these long frames, never read again. Rows keep their ``source``
column, so every number can name what it came from.

Conventions: long frames as stored (``docs/CONVENTIONS.md``), timestamps tz-aware UTC. ``bars``, ``market_caps``
and ``derivatives`` hold one source per series, chosen by
:func:`selloff.analytics.sources_priority.select_series` on the loaded window (the highest-priority source that
reaches the window's end; ``simulated`` only where nothing real exists). ``category_caps`` keep every source: a
comparison with the provider picks its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from selloff.analytics.frames import caps_at_close, pivot_daily
from selloff.analytics.sources_priority import SIMULATED, select_series

__all__ = ["Panel", "SERIES_KEYS", "build_panel"]

SERIES_KEYS = {"bars": ("asset", "interval"), "market_caps": ("asset",), "derivatives": ("asset", "interval", "venue")}
"""The columns that make one series of each table (source choice is per series)."""
TABLES = ("bars", "market_caps", "derivatives", "events", "category_caps")


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass(frozen=True)
class Panel:
    """Evidence of one request: the store's rows for its assets and window, one source per series.

    Attributes
    ----------
    bars, market_caps, derivatives, events, category_caps
        Long frames as stored (see module docstring for the source choice).
    kinds
        Asset id → kind (``token``, ``equity``, ``index``); decides how a daily bar is labelled.
    start, end
        The loaded window (UTC, inclusive); ``None`` for an open end.
    store
        Where the rows came from (a path, for provenance).
    """

    bars: pd.DataFrame = field(default_factory=_empty)
    market_caps: pd.DataFrame = field(default_factory=_empty)
    derivatives: pd.DataFrame = field(default_factory=_empty)
    events: pd.DataFrame = field(default_factory=_empty)
    category_caps: pd.DataFrame = field(default_factory=_empty)
    kinds: Mapping[str, str] = field(default_factory=dict)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    store: str = ""
    slack: Mapping[str, pd.Timedelta] = field(default_factory=dict)
    """Per table, how far past ``end`` its rows are kept: the 00:00 UTC market-cap snapshot after the last day is
    that day's closing cap (``market_caps``: 1 h), a provider's category snapshot counts within its tolerance."""

    # -- derived frames (computed once, on first use) ------------------------------------------------------
    def bars_of(self, interval: str, assets: Sequence[str] | None = None) -> pd.DataFrame:
        """Long bars of one interval (optionally only ``assets``)."""
        b = self.bars
        if b.empty:
            return b
        b = b[b["interval"] == interval]
        return b[b["asset"].isin(list(assets))] if assets is not None else b

    @cached_property
    def daily(self) -> pd.DataFrame:
        return self.bars_of("1d")

    @cached_property
    def hourly(self) -> pd.DataFrame:
        return self.bars_of("1h")

    @cached_property
    def close(self) -> pd.DataFrame:
        """Daily closes, wide: index = day label (UTC date for tokens, New York session date for equities)."""
        if self.daily.empty:
            return pd.DataFrame()
        return pivot_daily(self.daily, dict(self.kinds))

    @cached_property
    def returns(self) -> pd.DataFrame:
        """Daily simple returns of :attr:`close` (close-to-close, NaN across a missing close)."""
        return self.close.pct_change(fill_method=None)

    @cached_property
    def mcap_daily(self) -> pd.DataFrame:
        """Market cap at each day's close, wide: the 00:00 UTC snapshot after day ``d`` labelled ``d`` (like the
        daily bar); empty columns when no caps are stored."""
        out = caps_at_close(self.market_caps)
        return out if not out.empty else pd.DataFrame(index=self.close.index)

    # -- provenance -----------------------------------------------------------------------------------------
    def sources(self, table: str) -> list[str]:
        f = getattr(self, table)
        return sorted(f["source"].dropna().unique()) if not f.empty and "source" in f else []

    def range(self, table: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        f = getattr(self, table)
        return (f["ts"].min(), f["ts"].max()) if not f.empty else None

    @property
    def simulated(self) -> bool:
        """Whether any price or cap of the panel is simulated (then every output must say so)."""
        return SIMULATED in self.sources("bars") or SIMULATED in self.sources("market_caps")

    def provenance(self) -> dict:
        """Sources and time ranges per table, and the store, for findings and JSON outputs."""
        ranges = {}
        for t in ("bars", "market_caps"):
            r = self.range(t)
            if r is not None:
                ranges[t] = (r[0].isoformat(), r[1].isoformat())
        return {"sources": {"bars": self.sources("bars"), "market_caps": self.sources("market_caps")},
                "ranges": ranges, "store": self.store}

    # -- narrowing ------------------------------------------------------------------------------------------
    def restricted(self, assets: Sequence[str], tables: Sequence[str] = TABLES) -> Panel:
        """The same evidence for ``assets`` only (``bars``, ``market_caps``, ``derivatives``), and only ``tables``
        (the others empty): two requests answered from one read (no new source choice, no new read)."""
        keep = set(assets)

        def cut(name: str) -> pd.DataFrame:
            f = getattr(self, name)
            if name not in tables:
                return _empty()
            if name not in SERIES_KEYS or f.empty:
                return f
            return f[f["asset"].isin(keep)]

        return replace(self, **{t: cut(t) for t in TABLES}, kinds={a: k for a, k in self.kinds.items() if a in keep})

    def between(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Panel:
        """The same evidence restricted to ``start <= ts <= end`` (no new source choice, no new read); a table
        with no row outside the window is kept as it is (the same frame, not a copy)."""
        def cut(f: pd.DataFrame, name: str) -> pd.DataFrame:
            if f.empty or "ts" not in f:
                return f
            ts = f["ts"].array
            keep = np.ones(len(f), dtype=bool)
            if start is not None:
                keep &= np.asarray(ts >= start, dtype=bool)
            if end is not None:
                keep &= np.asarray(ts <= end + slack.get(name, pd.Timedelta(0)), dtype=bool)
            return f if keep.all() else f[keep]

        slack = dict(self.slack)
        return replace(self, **{t: cut(getattr(self, t), t) for t in TABLES},
                       start=start if start is not None else self.start, end=end if end is not None else self.end)


def build_panel(frames: Mapping[str, pd.DataFrame], kinds: Mapping[str, str], priority: Sequence[str],
                start: pd.Timestamp | None = None, end: pd.Timestamp | None = None, store: str = "",
                slack: Mapping[str, pd.Timedelta] | None = None) -> Panel:
    """A :class:`Panel` from raw store rows: one source per series chosen by ``select_series`` with
    ``priority`` (best first) on the loaded window; missing tables are empty."""
    picked = {}
    for t in TABLES:
        f = frames.get(t)
        f = f if f is not None else pd.DataFrame()
        if t in SERIES_KEYS and not f.empty:
            f = select_series(f, list(priority), keys=SERIES_KEYS[t])
        picked[t] = f
    return Panel(**picked, kinds=dict(kinds), start=start, end=end, store=store, slack=dict(slack or {}))
