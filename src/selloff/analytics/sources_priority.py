"""Choosing one series when several sources deliver the same asset, and measuring where they disagree.

Pure functions of long bar frames (the store's ``bars`` layout: asset, interval, ts, source, close, ...).

Selection rule (:func:`select_series`): for each (asset, interval) the *whole* series of the highest-ranked
source present is used — sources are not mixed day by day, so a return is never computed across two providers.
Ranking and ties:

1. sources listed in ``priority`` rank in list order (first = best);
2. sources not listed rank after all listed ones, ordered by most rows, then by name (alphabetical), so the
   choice is deterministic;
3. ``simulated`` is only ever chosen when no real source is present for that asset and interval (whatever its
   place in ``priority``): simulated data is never evidence.
"""
from __future__ import annotations

from itertools import combinations
from typing import Sequence

import pandas as pd

SIMULATED = "simulated"
DEFAULT_DISAGREE_PCT = 1.0
"""Default threshold (per cent close difference) above which two sources are reported as disagreeing."""


def rank_sources(counts: dict[str, int], priority: Sequence[str]) -> list[str]:
    """``counts`` (source → rows) ordered best first by the rules in the module docstring."""
    prio = [s for s in priority if s != SIMULATED]

    def key(s: str) -> tuple:
        if s == SIMULATED:
            return (2, 0, 0, s)
        if s in prio:
            return (0, prio.index(s), 0, s)
        return (1, 0, -counts[s], s)

    return sorted(counts, key=key)


def select_series(bars_long: pd.DataFrame, priority: Sequence[str]) -> pd.DataFrame:
    """Rows of the best source per (asset, interval) (see module docstring for ranking and ties).

    Parameters
    ----------
    bars_long
        Long bars with at least ``asset``, ``interval``, ``ts``, ``source``.
    priority
        Source names, best first (``selloff.config.defaults("sources")["priority"]``).

    Returns
    -------
    DataFrame
        The same columns, only the chosen source's rows, sorted by asset, interval, ts.
    """
    if bars_long.empty:
        return bars_long.copy()
    keep = []
    for (_, _), g in bars_long.groupby(["asset", "interval"], sort=True):
        best = rank_sources(g["source"].value_counts().to_dict(), priority)[0]
        keep.append(g[g["source"] == best])
    return pd.concat(keep).sort_values(["asset", "interval", "ts"]).reset_index(drop=True)


def source_disagreements(bars_long: pd.DataFrame, threshold_pct: float = DEFAULT_DISAGREE_PCT,
                         priority: Sequence[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Close differences between every pair of sources of an (asset, interval) on their common timestamps.

    ``diff_pct = (close_b / close_a - 1) * 100`` where ``a`` is the better-ranked source of the pair.

    Returns
    -------
    (detail, overlap)
        ``detail``: asset, interval, ts, source_a, source_b, close_a, close_b, diff_pct for every common
        timestamp with ``|diff_pct| > threshold_pct``. ``overlap``: one row per pair with the number of common
        timestamps, how many exceed the threshold, and the max and mean absolute difference.
    """
    detail_cols = ["asset", "interval", "ts", "source_a", "source_b", "close_a", "close_b", "diff_pct"]
    over_cols = ["asset", "interval", "source_a", "source_b", "common", "above", "max_abs_diff_pct",
                 "mean_abs_diff_pct"]
    details, overs = [], []
    for (asset, interval), g in bars_long.groupby(["asset", "interval"], sort=True):
        order = rank_sources(g["source"].value_counts().to_dict(), priority)
        series = {s: g.loc[g["source"] == s].set_index("ts")["close"] for s in order}
        for a, b in combinations(order, 2):
            both = pd.concat([series[a].rename("close_a"), series[b].rename("close_b")], axis=1, join="inner")
            if both.empty:
                continue
            diff = (both["close_b"] / both["close_a"] - 1.0) * 100.0
            above = diff.abs() > threshold_pct
            overs.append([asset, interval, a, b, len(both), int(above.sum()), float(diff.abs().max()),
                          float(diff.abs().mean())])
            if above.any():
                d = both[above].assign(diff_pct=diff[above]).reset_index()
                d = d.assign(asset=asset, interval=interval, source_a=a, source_b=b)
                details.append(d[detail_cols])
    detail = pd.concat(details, ignore_index=True) if details else pd.DataFrame(columns=detail_cols)
    overlap = pd.DataFrame(overs, columns=over_cols)
    return detail, overlap


