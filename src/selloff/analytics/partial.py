"""Raw and partial correlation of each dependency edge (token → a company it depends on), the second controlling
for the market factor: does the token co-move with the company beyond what both share with Bitcoin?
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["EDGE_COLUMNS", "edge_correlations", "partial_corr"]

EDGE_COLUMNS = ["token", "target", "corr", "partial_corr", "n"]


def partial_corr(y: np.ndarray, x: np.ndarray, z: np.ndarray) -> float:
    """Partial correlation of ``y`` and ``x`` given ``z``: the correlation of their OLS residuals on ``[1, z]``.

    Parameters
    ----------
    y, x, z : numpy.ndarray
        1-d, the same length, no NaN.

    Returns
    -------
    float
        In [-1, 1]; NaN when a residual has no variance (``y`` or ``x`` a linear function of ``z``).

    Notes
    -----
    With one control this equals the first-order formula
    :math:`(r_{yx} - r_{yz} r_{xz}) / \\sqrt{(1 - r_{yz}^2)(1 - r_{xz}^2)}` (Yule 1907; Baba, Shibata & Sibuya 2004),
    which the tests use as the independent reference. Pearson correlation: linear dependence only, sensitive to
    outliers; no test of significance is made here.

    References
    ----------
    Yule, G. U. (1907), "On the theory of correlation for any number of variables", Proc. R. Soc. A 79.
    Baba, K., Shibata, R. & Sibuya, M. (2004), "Partial correlation and conditional correlation as measures of
    conditional independence", Aust. N. Z. J. Stat. 46(4).
    """
    design = np.column_stack([np.ones_like(z), z])
    ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    syy, sxx = ry @ ry, rx @ rx
    if syy <= 1e-15 * max(y @ y, 1e-300) or sxx <= 1e-15 * max(x @ x, 1e-300):
        return float("nan")
    return float(np.clip((ry @ rx) / np.sqrt(syy * sxx), -1.0, 1.0))


def edge_correlations(returns: pd.DataFrame, edges: Mapping[str, Sequence[str]], control: str,
                      min_obs: int) -> pd.DataFrame:
    """Per edge (token, target): Pearson correlation of their returns and their partial correlation given
    ``control``, on the rows where all three have a return.

    Parameters
    ----------
    returns : pd.DataFrame
        Wide returns on one grid (e.g. the NYSE-session grid of :func:`selloff.analytics.calendar.align_returns`).
    edges : mapping
        Token → the ids it depends on (columns of ``returns``; missing ones are skipped).
    control : str
        The column controlled for (the market factor).
    min_obs : int
        Fewer common rows leave ``corr`` and ``partial_corr`` NaN (``n`` says how many there were).

    Returns
    -------
    pd.DataFrame
        Columns :data:`EDGE_COLUMNS`, one row per edge with both ends in ``returns``.
    """
    rows = []
    for token, targets in edges.items():
        for target in targets:
            if token not in returns or target not in returns or control not in returns:
                continue
            d = returns[[token, target, control]].dropna().to_numpy(dtype=float)
            n = len(d)
            corr = pc = float("nan")
            if n >= max(min_obs, 4):
                corr = float(np.corrcoef(d[:, 0], d[:, 1])[0, 1])
                pc = partial_corr(d[:, 0], d[:, 1], d[:, 2])
            rows.append({"token": token, "target": target, "corr": corr, "partial_corr": pc, "n": n})
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)
