"""The dependency graph of a sector on a day: every edge's raw and partial correlation (given the market factor)
on the NYSE-session grid, from the history ``explain`` loads."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from selloff.analytics.explanation import aligned_returns
from selloff.analytics.partial import edge_correlations
from selloff.errors import DataError
from selloff.pipeline import params as P
from selloff.pipeline.analysis import day_panel
from selloff.store import Store
from selloff.timeutil import end_of_day, utc_day
from selloff.universe import Universe

__all__ = ["DependencyGraph", "dependency_graph"]


@dataclass(frozen=True)
class DependencyGraph:
    """Edges token → company with ``corr`` and ``partial_corr`` (controlling for ``control``) over ``window``."""

    sector: str
    date: pd.Timestamp
    control: str
    edges: pd.DataFrame
    window: tuple[str, str] | None
    alignment: str
    simulated: bool

    def to_frame(self) -> pd.DataFrame:
        return self.edges.copy()

    def to_dict(self) -> dict:
        return {"sector": self.sector, "date": self.date.date().isoformat(), "control": self.control,
                "window": list(self.window) if self.window else None, "alignment": self.alignment,
                "simulated": self.simulated, "edges": json.loads(self.edges.to_json(orient="records"))}


def dependency_graph(store: Store, universe: Universe, sector: str, date: object) -> DependencyGraph:
    """Raw and partial correlations of ``sector``'s dependency edges on the sessions up to ``date`` (the
    ``[pipeline] explain_days`` before it, returns aligned as in ``explain``).

    Raises
    ------
    DataError
        No member has a dependency edge with stored prices, or no aligned history.
    """
    s = universe.sector(sector)
    d = utc_day(date, "date")
    xp = P.explain_params()
    edges = {t: sorted({a.id for a, _ in universe.dependencies(t)}) for t in s.members}
    edges = {t: v for t, v in edges.items() if v}
    if not edges:
        raise DataError(f"no member of {s.id} has a dependency edge; add edges to your universe TOML ([[edges]])")
    panel = day_panel(store, universe, s.id, d, P.lookbacks()["explain_days"])
    targets = sorted({x for v in edges.values() for x in v})
    al = aligned_returns(panel.between(panel.start, end_of_day(d)), list(edges), targets, xp.market_factor)
    r = al.returns  # the panel ends with the day: no session after it
    table = edge_correlations(r, edges, xp.market_factor, xp.min_obs)
    window = (str(r.index[0])[:10], str(r.index[-1])[:10]) if len(r) else None
    return DependencyGraph(s.id, d, xp.market_factor, table, window, al.alignment, panel.simulated)
