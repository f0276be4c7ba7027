"""Daily closes of a few assets over a window (the dashboard's overlays): the panel's one source per series."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from selloff.pipeline.load import load_panel
from selloff.store import Store
from selloff.timeutil import day_start, end_of_day, parse_date
from selloff.universe import Universe

__all__ = ["Closes", "closes"]


@dataclass(frozen=True)
class Closes:
    """Daily closes, wide (index = day label as in :attr:`selloff.analytics.panel.Panel.close`, one column per
    asset found), with the source chosen for each series and whether any row is simulated."""

    close: pd.DataFrame
    sources: dict
    simulated: bool

    def to_frame(self) -> pd.DataFrame:
        return self.close.copy()

    def to_dict(self) -> dict:
        df = self.close
        return {"simulated": self.simulated, "sources": self.sources,
                "dates": [pd.Timestamp(d).date().isoformat() for d in df.index],
                "close": {c: [None if pd.isna(v) else float(v) for v in df[c]] for c in df.columns}}


def closes(store: Store, universe: Universe, assets: list[str], since: object = None, until: object = None) -> Closes:
    """Daily closes of ``assets`` (ids of the universe) from ``since`` to ``until`` (UTC days, inclusive; None: open).

    Raises
    ------
    DataError
        No daily bar of any of ``assets`` in the window.
    """
    ids = [universe.asset(a).id for a in assets]
    d0, d1 = parse_date(since, "since"), parse_date(until, "until")
    panel = load_panel(store, universe, ids, None if d0 is None else day_start(d0), None if d1 is None else end_of_day(d1),
                       tables=("bars",), intervals=("1d",))
    close = panel.close[[c for c in ids if c in panel.close.columns]]
    return Closes(close, panel.provenance()["sources"], panel.simulated)
