"""Choosing one series when several sources deliver the same asset, and measuring where they disagree.

Pure functions of long bar frames (the store's ``bars`` layout: asset, interval, ts, source, close, ...).

Selection rule (:func:`select_series`): for each (asset, interval) the *whole* series of the highest-ranked
source present is used — sources are not mixed day by day, so a return is never computed across two providers.
Ranking and ties:

0. with ``cover_end`` (the default) a source whose series reaches the group's latest timestamp (within
   ``END_TOLERANCE_BARS`` bars) beats one that stops earlier: the frame passed in is the analysed window, and a preferred source that ended before the
   window's end cannot describe its last days (e.g. a Binance export ending 2026-01-02 for a February analysis);
1. sources listed in ``priority`` rank in list order (first = best);
2. sources not listed rank after all listed ones, ordered by most rows, then by name (alphabetical), so the
   choice is deterministic;
3. ``simulated`` is only ever chosen when no real source is present for that asset and interval (whatever its
   place in ``priority``): simulated data is never evidence.
"""
from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

SIMULATED = "simulated"
DEFAULT_DISAGREE_PCT = 1.0
END_TOLERANCE_BARS = 2
"""A source counts as reaching the window's end if its last bar is at most this many bars before the latest."""
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


def choose_source(counts: dict[str, int], last: dict[str, pd.Timestamp], priority: Sequence[str],
                  step: pd.Timedelta = pd.Timedelta(0), cover_end: bool = True) -> str:
    """The source of one series (rules 0-3 of the module docstring) from each source's row count and last
    timestamp; ``step`` is the series' bar spacing (the end tolerance is ``END_TOLERANCE_BARS`` of them)."""
    ranked = rank_sources(counts, priority)
    if cover_end and len(ranked) > 1:
        # "reaches the end" within END_TOLERANCE_BARS bars: a source one bar short must not lose its whole
        # history to a short export that happens to hold one more bar
        real_last = {s: t for s, t in last.items() if s != SIMULATED}  # simulated data never sets the end
        end = max(real_last.values()) if real_last else max(last.values())
        reaching = [s for s in ranked if last[s] >= end - END_TOLERANCE_BARS * step]
        ranked = reaching + [s for s in ranked if s not in reaching]
        real = [s for s in ranked if s != SIMULATED]
        ranked = real + [s for s in ranked if s == SIMULATED]  # simulated only when nothing real exists
    return ranked[0]


def select_series(bars_long: pd.DataFrame, priority: Sequence[str], keys: Sequence[str] = ("asset", "interval"),
                  cover_end: bool = True) -> pd.DataFrame:
    """Rows of the best source per group (see module docstring for ranking and ties).

    Parameters
    ----------
    bars_long
        Long frame with at least the ``keys``, ``ts`` and ``source`` (bars, market caps, derivatives).
    priority
        Source names, best first (``selloff.config.defaults("sources")["priority"]``).
    keys
        Columns that define one series (``("asset", "interval")`` for bars, ``("asset",)`` for market caps).
    cover_end
        Prefer sources that reach the group's latest timestamp (rule 0).

    Returns
    -------
    DataFrame
        The same columns, only the chosen source's rows, sorted by asset, interval, ts.

    Notes
    -----
    The same rows in the same order as :func:`select_series_reference` (pandas ``groupby`` and ``sort_values``),
    computed on integer codes of the keys (``factorize(sort=True)`` orders them as ``sort_values`` does) with one
    stable ``lexsort``: the panel's three tables took 0.41 s that way, most of the store read.
    """
    keys = [k for k in keys if k in bars_long.columns]
    if bars_long.empty or not keys:
        return select_series_reference(bars_long, priority, keys, cover_end)
    codes = [pd.factorize(bars_long[k], sort=True)[0] for k in keys]
    if any((c < 0).any() for c in codes):  # a missing key: the reference's grouping drops those rows
        return select_series_reference(bars_long, priority, keys, cover_end)
    gid = codes[0].astype(np.int64)
    for c in codes[1:]:
        gid = gid * (int(c.max()) + 1) + c
    src = pd.factorize(bars_long["source"])[0]
    named = src >= 0  # nunique counts no missing source
    n_s = int(src.max()) + 1 if named.any() else 1
    pairs = np.unique(gid[named] * n_s + src[named])
    n_src = np.bincount(pairs // n_s, minlength=int(gid.max()) + 1)[gid]
    rows = [np.flatnonzero(n_src <= 1)]  # one source in the group: nothing to choose (the common case)
    if (n_src > 1).any():
        pos = np.flatnonzero(n_src > 1)
        multi = bars_long.iloc[pos].reset_index(drop=True)  # labels = positions in ``pos`` (the frame's may repeat)
        for _, g in multi.groupby(keys, sort=True):
            best = _best_source(g, priority, cover_end)
            rows.append(pos[g.index[(g["source"] == best).to_numpy(dtype=bool, na_value=False)]])
    keep = np.concatenate(rows)
    ts = bars_long["ts"]
    t = ts.array.asi8 if hasattr(ts.array, "asi8") and not ts.isna().any() else pd.factorize(ts, sort=True)[0]
    g, tk = gid[keep], t[keep]
    if ((g[1:] > g[:-1]) | ((g[1:] == g[:-1]) & (tk[1:] >= tk[:-1]))).all():
        order = keep  # already in order (the store's usual layout): what the stable sort would return
    else:
        order = keep[np.lexsort([tk, *[c[keep] for c in reversed(codes)]])]  # stable: ties keep their order
    if np.array_equal(order, np.arange(len(bars_long))):
        return bars_long.reset_index(drop=True)
    return bars_long.take(order).reset_index(drop=True)


def _best_source(g: pd.DataFrame, priority: Sequence[str], cover_end: bool) -> str:
    """The chosen source of one group with several (rules 0-3), from its row counts and last timestamps."""
    step = pd.Timedelta(0)
    if cover_end:
        ts = pd.DatetimeIndex(g["ts"].drop_duplicates().sort_values())
        step = ts.to_series().diff().median() if len(ts) > 1 else pd.Timedelta(0)
        step = step if pd.notna(step) else pd.Timedelta(0)
    return choose_source(g["source"].value_counts().to_dict(), g.groupby("source")["ts"].max().to_dict(),
                         priority, step, cover_end)


def select_series_reference(bars_long: pd.DataFrame, priority: Sequence[str], keys: Sequence[str] = ("asset", "interval"),
                            cover_end: bool = True) -> pd.DataFrame:
    """The obvious version of :func:`select_series` (pandas ``groupby`` per series, ``concat``, ``sort_values``):
    its reference in the tests, and its path for a frame with a missing key."""
    if bars_long.empty:
        return bars_long.copy()
    keys = [k for k in keys if k in bars_long.columns]
    n_src = bars_long.groupby(keys, sort=False)["source"].transform("nunique")
    keep = [bars_long[n_src <= 1]]
    multi = bars_long[n_src > 1]
    for _, g in (multi.groupby(keys, sort=True) if not multi.empty else ()):
        keep.append(g[g["source"] == _best_source(g, priority, cover_end)])
    return pd.concat(keep).sort_values([*keys, "ts"]).reset_index(drop=True)


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


