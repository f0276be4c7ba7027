"""Loading a request's evidence: one read per store table into a :class:`~selloff.analytics.panel.Panel`."""
from __future__ import annotations

from typing import Iterable, Sequence

import pandas as pd

from selloff.analytics.panel import TABLES, Panel, build_panel
from selloff.config import defaults
from selloff.errors import DataError
from selloff.pipeline.params import priority as source_priority
from selloff.store import Store
from selloff.universe import Universe

__all__ = ["load_panel", "no_daily_bars", "read_counter"]

COLUMNS = {
    "bars": ("asset", "interval", "ts", "source", "open", "high", "low", "close", "volume"),
    "market_caps": ("asset", "ts", "source", "market_cap_usd"),
    "derivatives": ("asset", "interval", "ts", "venue", "source", "funding_rate", "open_interest_usd", "liq_long_usd",
                    "liq_short_usd", "coverage"),  # open interest: the report's cascade model
}
"""The columns the analytics use of each table (the others are not read)."""
_PER_ASSET = {"bars", "market_caps"}
"""Tables read for the request's assets only; derivatives (liquidations are market-wide), events and category
caps are read for every asset in the window (derivatives of the other assets only from ``wide_from`` when given)."""


def load_panel(store: Store, universe: Universe, assets: Sequence[str], start: pd.Timestamp | None,
               end: pd.Timestamp | None, tables: Iterable[str] = TABLES, intervals: Sequence[str] | None = None,
               wide_from: pd.Timestamp | None = None, derivatives_of: Sequence[str] | None = None) -> Panel:
    """Read each of ``tables`` once for ``assets`` and ``[start, end]`` and build the panel.

    Parameters
    ----------
    assets
        Asset ids for ``bars`` and ``market_caps``.
    start, end
        Inclusive tz-aware UTC bounds (None: open).
    tables
        The tables the request needs (default: all five).
    intervals
        Bar intervals to read (default: all stored).
    wide_from
        Derivatives: ``assets``' rows over the whole window, every other asset's only from this time on (the
        market-wide liquidations of the day; the long history is the request's own assets'). None: every asset's
        over the whole window.
    derivatives_of
        Derivatives of these assets only (over the whole window; overrides ``wide_from``).

    Raises
    ------
    DataError
        When no daily bar exists for any of ``assets`` in the window.
    """
    ids = list(dict.fromkeys(assets))
    slack = {"market_caps": pd.Timedelta(hours=1),
             "category_caps": pd.Timedelta(days=1, hours=float(defaults("sector")["category_snapshot_tolerance_hours"]))}
    frames: dict[str, pd.DataFrame] = {}
    for t in tables:
        kw = {"assets": ids} if t in _PER_ASSET else {}
        if t == "derivatives" and wide_from is not None:
            kw = {"assets": ids, "others_from": wide_from}
        if t == "derivatives" and derivatives_of is not None:
            kw = {"assets": list(derivatives_of)}
        if t in COLUMNS:
            kw["columns"] = list(COLUMNS[t])
        f = store.read(t, start=start, end=None if end is None else end + slack.get(t, pd.Timedelta(0)), order=False, **kw)
        if t == "bars" and intervals is not None and not f.empty:
            f = f[f["interval"].isin(list(intervals))]
        frames[t] = f
    bars = frames.get("bars")
    if bars is not None and (bars.empty or not (bars["interval"] == "1d").any()):
        raise no_daily_bars(ids, start, end)
    reg = store.registered_kinds() if any(a not in universe.assets for a in ids) else {}
    kinds = {a: universe.asset(a).kind if a in universe.assets else reg.get(a, "token") for a in ids}
    return build_panel(frames, kinds, source_priority(), start, end, store=str(store.path), slack=slack)


def no_daily_bars(ids: Sequence[str], start: pd.Timestamp | None, end: pd.Timestamp | None) -> DataError:
    """The error of a panel request whose assets have no daily bar in ``[start, end]``."""
    return DataError(f"no daily bars for {', '.join(ids)} between {start or 'the start'} and {end or 'the end'}; "
                     f"run `selloff demo` or `selloff fetch --assets {','.join(ids)}`")


class read_counter:
    """Context manager counting ``Store.read`` calls per table on one store (for tests and benchmarks)."""

    def __init__(self, store: Store) -> None:
        self.store, self.counts = store, {}

    def __enter__(self) -> dict[str, int]:
        orig = self.store.read

        def counted(table: str, **kw):
            self.counts[table] = self.counts.get(table, 0) + 1
            return orig(table, **kw)

        self._orig = orig
        self.store.read = counted  # type: ignore[method-assign]
        return self.counts

    def __exit__(self, *exc) -> bool:
        self.store.read = self._orig  # type: ignore[method-assign]
        return False
