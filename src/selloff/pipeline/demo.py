"""Building the simulated demo store (write side): the seeded market in one transaction."""
from __future__ import annotations

import time

import pandas as pd

from selloff.config import defaults
from selloff.simulate import SimSpec, simulate_market
from selloff.store import Store
from selloff.universe import Universe

__all__ = ["build_demo_store", "demo_spec"]


def demo_spec() -> SimSpec:
    """The demo market's specification from ``[simulate]`` of the config."""
    cfg = defaults("simulate")
    return SimSpec(seed=int(cfg["seed"]), start=str(cfg["start"]), end=str(cfg["end"]),
                   announcement=str(cfg["episode_announcement"]))


def build_demo_store(store: Store, universe: Universe, spec: SimSpec | None = None) -> pd.DataFrame:
    """Write the simulated demo market into ``store`` in one transaction; returns rows per table
    (inserted / updated / unchanged: a second run on the same store changes nothing)."""
    t0 = time.perf_counter()
    market = simulate_market(universe, spec or demo_spec())
    rows = []
    with store.transaction():
        for table, frame in market.tables():
            res = store.upsert(table, frame, what="simulated demo market")
            rows.append({"table": table, "inserted": res.inserted, "updated": res.updated, "unchanged": res.unchanged})
        store.log_fetch("simulated", "ok", request=f"seed={market.spec.seed} {market.spec.start}..{market.spec.end}",
                        range_start=market.spec.start, range_end=market.spec.end, duration_s=time.perf_counter() - t0)
    return pd.DataFrame(rows)
