"""The report's "what if it goes on": a further shock to Bitcoin and the AI-equity basket, propagated by the
stress engine (FHS paths, conditional expectation), as one table per asset plus the sector.

A pure function of a :class:`~selloff.analytics.stress.result.StressResult` computed with shocks: the table
has the columns the report's "if it goes on" reads (:mod:`selloff.report.whatif_findings`) — ``ret_pct``
(the conditional mean move), ``lo_pct`` / ``hi_pct`` (the central ``band`` of the conditional distribution,
simulated, not a normal band) — plus ``kind`` (shocked / propagated); the sector row (``SECTOR_EW``) is the
equal-weighted portfolio of the members that had enough history.
"""
from __future__ import annotations

import pandas as pd

from selloff.analytics.stress.result import StressResult
from selloff.errors import DataError

__all__ = ["SECTOR_ROW", "what_if_table"]

SECTOR_ROW = "SECTOR_EW"
"""The sector's row (the same label as the explanation's equal-weighted sector column)."""


def what_if_table(res: StressResult) -> pd.DataFrame:
    """Per asset and for the sector: conditional mean move and band given ``res``'s shocks (per cent)."""
    if res.shock is None or res.shock_risk is None:
        raise DataError("what-if needs a stress run with shocks (api.stress(..., shocks=[...]))")
    tab = res.shock.rename(columns={"mean_pct": "ret_pct"})[["ret_pct", "lo_pct", "hi_pct", "kind"]].copy()
    r = res.shock_risk.iloc[0]
    tab.loc[SECTOR_ROW] = [float(r["expected_pnl_pct"]), float(r["pnl_lo_pct"]), float(r["pnl_hi_pct"]), "portfolio"]
    tab.attrs.update(band=float(r["band"]), horizon_days=res.horizon, model=res.model, paths=res.paths, seed=res.seed,
                     check=res.shock_check, warnings=list(res.warnings), simulated=res.simulated)
    return tab
