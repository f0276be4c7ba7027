"""Multi-day slides: a cumulative sector move over 2-10 days, scaled by its volatility, that no single day flags.

A window of ``k`` days ending on day ``t`` (``slide_min_days <= k <= slide_max_days``) is a slide window when
  * the sector index falls by at most ``slide_move_pct`` per cent from the close before the window to ``t``,
  * that move is at most ``-slide_z * sigma * sqrt(k)``, with ``sigma`` the one-step-ahead forecast for the
    window's first day (from the days before the window, like the daily z-score),
  * at least ``slide_breadth`` of the members with a return on each of the k days fell by more than
    ``slide_breadth_drop_pct`` per cent over them.
Overlapping windows are one slide: the window with the lowest z gives its first and last day and its move.

Assumptions: daily returns uncorrelated over the window, so the k-day sigma is ``sigma * sqrt(k)`` (square-root
of time scaling, as in RiskMetrics 1996, sect. 3.2.2); the sector return is a simple cap-weighted return.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["slide_windows", "window_breadth"]

COLUMNS = ["first", "last", "move_pct", "z", "breadth", "k"]


def window_breadth(m: np.ndarray, first: np.ndarray, k: int, drop: float, cells: int = 1 << 22) -> np.ndarray:
    """For windows of ``k`` rows from each of ``first``: the share of the members of ``m`` (rows x members of daily
    returns) with a return on each of the k rows whose compound return over them is below ``drop`` (NaN: none
    has k returns). Only the windows' rows are read (in blocks of at most ``cells`` values), not the whole matrix."""
    out = np.full(len(first), np.nan)
    step = max(1, cells // max(1, k * m.shape[1]))
    for a in range(0, len(first), step):
        f = first[a:a + step]
        with np.errstate(invalid="ignore", divide="ignore"):
            lg = np.log1p(m[f[:, None] + np.arange(k)])  # (windows, k, members)
        ok = np.isfinite(lg)
        full = ok.all(axis=1)  # members with a return on each of the k days
        cum = np.expm1(np.where(ok, lg, 0.0).sum(axis=1))
        n_full = full.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a:a + step] = np.where(n_full > 0, (full & (cum < drop)).sum(axis=1) / n_full, np.nan)
    return out


def slide_windows(sector_ret: pd.Series, sigma: pd.Series, member_ret: pd.DataFrame, params) -> pd.DataFrame:
    """Merged slide windows as row positions of ``sector_ret`` (see module docstring).

    Parameters
    ----------
    sector_ret, sigma
        Daily sector return and its one-step-ahead sigma (fractions), one index.
    member_ret
        Members' daily returns on that index.
    params
        :class:`~selloff.analytics.detect.DetectParams` (``slide_*`` fields).

    Returns
    -------
    DataFrame
        ``first``, ``last`` (row positions, inclusive), ``move_pct``, ``z``, ``breadth`` and length ``k`` of each
        slide's lowest-z window; empty when nothing qualifies.
    """
    r = sector_ret.to_numpy(float)
    n = len(r)
    if n == 0:
        return pd.DataFrame(columns=COLUMNS)
    level = np.concatenate([[1.0], np.cumprod(1.0 + np.nan_to_num(r))])  # level[i + 1] = close of row i
    sig = sigma.to_numpy(float)
    m = member_ret.to_numpy(float)
    best = np.full(n, np.inf)
    best_k = np.zeros(n, int)
    best_move = np.full(n, np.nan)
    best_b = np.full(n, np.nan)
    for k in range(params.slide_min_days, params.slide_max_days + 1):
        if k > n:
            break
        t = np.arange(k - 1, n)
        first = t - k + 1
        move = level[t + 1] / level[first] - 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            z = move / (sig[first] * np.sqrt(k))
        # the members' breadth only where the index move already qualifies and would improve the day's best window
        # (a few days in a hundred): the same windows as testing every day, without a days x members pass per k
        cand = np.flatnonzero((move <= params.slide_move_pct / 100.0) & (z <= -params.slide_z) & np.isfinite(z)
                              & (z < best[t]))
        br = np.full(len(t), np.nan)
        br[cand] = window_breadth(m, first[cand], k, params.slide_breadth_drop_pct / 100.0)
        better = np.zeros(len(t), bool)
        better[cand] = br[cand] >= params.slide_breadth
        best[t[better]], best_k[t[better]] = z[better], k
        best_move[t[better]], best_b[t[better]] = 100.0 * move[better], br[better]
    ends = np.flatnonzero(np.isfinite(best))
    rows: list[list] = []
    span_end = -2
    for t in ends:
        first = int(t - best_k[t] + 1)
        if rows and first <= span_end + 1:  # overlaps the slide so far: keep its lowest-z window
            span_end = int(t)
            if best[t] < rows[-1][3]:
                rows[-1] = [first, int(t), best_move[t], best[t], best_b[t], int(best_k[t])]
        else:
            span_end = int(t)
            rows.append([first, int(t), best_move[t], best[t], best_b[t], int(best_k[t])])
    return pd.DataFrame(rows, columns=COLUMNS)
