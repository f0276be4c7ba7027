"""The planner's vocabulary, shared by ``sources`` (which builds tasks) and ``pipeline`` (which runs them).

A :class:`Task` is one unit of fetching — one (provider, metric, asset, venue, range) — whose ``run`` fetches
and transforms every page and returns ``(table, frame)`` pairs in the store's schema; it never writes. A
:class:`TaskResult` is what running it gave. A :class:`FetchContext` says where the data comes from (clients,
URLs, exchanges) and is built from the environment by the CLI, by hand in tests. Nothing here imports the store.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # the clients' modules register providers and import this one
    from selloff.sources._http import HttpPolicy
    from selloff.sources.coingecko import CoinGecko
    from selloff.sources.coinglass import CoinGlass
    from selloff.sources.yahoo import Downloader
    from selloff.universe import Universe

BAR_INTERVALS = ("1m", "5m", "15m", "1h", "4h", "1d")
"""The ``--interval`` values a fetch may ask for (the store's bar intervals)."""
Frames = list[tuple[str, pd.DataFrame]]
"""``(table, frame)`` pairs a task hands to the store."""


@dataclass
class Task:
    """One planned fetch; ``run()`` is the network step plus the transform, ``describe()`` its plan line."""

    source: str
    kind: str
    what: str
    run: Callable[[], Frames] = field(repr=False)
    asset: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    calls: int = 1
    """Estimated requests."""
    notes: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """The task as a JSON-ready dict (``selloff fetch --dry-run --json``)."""
        return {"source": self.source, "kind": self.kind, "what": self.what, "asset": self.asset,
                "start": None if self.start is None else self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(),
                "calls": self.calls, "notes": list(self.notes)}


def skip_task(source: str, asset: str | None, note: str) -> Task:
    """A task that fetches nothing and carries why (a missing id, a plan limit, a missing key)."""
    return Task(source, "skip", "skipped", lambda: [], asset, None, None, 0, (note,))


@dataclass
class TaskResult:
    """Outcome of one task: ``ok`` (rows written), ``error`` (nothing written) or ``skipped``."""

    task: Task
    status: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duration_s: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict (``selloff fetch --json``)."""
        return {**self.task.describe(), "status": self.status, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "duration_s": round(self.duration_s, 3), "error": self.error}


def _default_exchanges() -> tuple[str, ...]:
    from selloff.sources.exchanges import DEFAULT_EXCHANGES  # noqa: PLC0415  (exchanges imports this module)

    return DEFAULT_EXCHANGES


def _default_exchange_factory() -> Callable[[str], Any]:
    from selloff.sources.exchanges import make_exchange  # noqa: PLC0415

    return make_exchange


@dataclass
class FetchContext:
    """Where the data comes from (clients, URLs) — built from the environment by the CLI, by hand in tests.

    ``universe`` is filled in by the planner (events are matched against it).
    """

    coingecko: CoinGecko | None = None
    coinglass: CoinGlass | None = None
    exchanges: Sequence[str] = field(default_factory=_default_exchanges)
    liquidation_exchanges: Sequence[str] = ("gate",)
    exchange_factory: Callable[[str], Any] = field(default_factory=_default_exchange_factory)
    yahoo_downloader: Downloader | None = None
    yahoo_policy: HttpPolicy | None = None
    event_files: Sequence[Path] = ()
    feeds: Sequence[str] = ()
    feed_policy: HttpPolicy | None = None
    now: pd.Timestamp | None = None
    universe: Universe | None = None
    _ex_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def exchange(self, name: str) -> Any:
        """The ccxt exchange ``name``, made once per context."""
        if name not in self._ex_cache:
            self._ex_cache[name] = self.exchange_factory(name)
        return self._ex_cache[name]

    def clock(self) -> pd.Timestamp:
        """Now (UTC), or the fixed ``now`` a test gave."""
        return self.now if self.now is not None else pd.Timestamp.now(tz="UTC")
