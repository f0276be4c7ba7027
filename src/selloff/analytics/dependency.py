"""Did tokens that depend on AI companies move with those companies more than tokens that do not?

The universe's dependency edges (token → the equities it depends on: compute suppliers, cloud partners, ...) are
passed in as plain data. Each token is measured against the equal-weighted basket of *its* dependencies; tokens
without a dependency form the comparison group and are measured against the basket of every depended-on asset,
so both groups face the same kind of regressor.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from selloff.errors import DataError
from selloff.texts import Text

__all__ = ["DependencyExposure", "dependency_exposure"]

DEPENDENT = "dependent"
COMPARISON = "no_dependency"


@dataclass(frozen=True)
class DependencyExposure:
    """Result of :func:`dependency_exposure`.

    Attributes
    ----------
    per_token : pd.DataFrame
        Index = token. Columns ``depends_on`` (comma-separated ids, ``""`` for the comparison group),
        ``basket`` (the basket members used), ``corr``, ``beta``, ``n``, ``group``.
    groups : pd.DataFrame
        Index = group (``"dependent"``, ``"no_dependency"``): ``n_tokens, mean_corr, median_corr, mean_beta,
        median_beta``.
    comparison : dict
        ``diff_mean_corr``, ``welch_t_corr``, ``p_corr``, ``diff_mean_beta``, ``welch_t_beta``, ``p_beta``
        (dependent minus comparison; NaN with fewer than two tokens in a group).
    window : tuple
        ``(first, last)`` row label used.
    alignment : str
        The return grid.
    """

    per_token: pd.DataFrame
    groups: pd.DataFrame
    comparison: dict[str, float]
    window: tuple[object, object]
    alignment: str


def _corr_beta(y: pd.Series, x: pd.Series) -> tuple[float, float, int]:
    d = pd.concat([y, x], axis=1).dropna().to_numpy()
    n = len(d)
    if n < 3:
        return np.nan, np.nan, n
    yv, xv = d[:, 0] - d[:, 0].mean(), d[:, 1] - d[:, 1].mean()
    sxx, syy, sxy = xv @ xv, yv @ yv, xv @ yv
    corr = float(np.clip(sxy / np.sqrt(sxx * syy), -1, 1)) if sxx > 0 and syy > 0 else np.nan
    beta = float(sxy / sxx) if sxx > 0 else np.nan
    return corr, beta, n


def partial_correlation(y: pd.Series, x: pd.Series, z: pd.Series) -> tuple[float, float, int]:
    """Partial correlation of ``y`` and ``x`` given ``z`` and its two-sided p-value, on the complete rows.

    Both series are regressed on ``z`` (OLS with intercept); the partial correlation is the Pearson correlation
    of the residuals, :math:`\\rho_{yx\\cdot z} = (\\rho_{yx} - \\rho_{yz}\\rho_{xz}) /
    \\sqrt{(1-\\rho_{yz}^2)(1-\\rho_{xz}^2)}`. Test: :math:`t = \\rho\\sqrt{(n-3)/(1-\\rho^2)}` with
    ``n - 3`` degrees of freedom (normal errors, i.i.d. rows; on daily returns a descriptive figure).
    Reference: Fisher, R. A. (1924). The distribution of the partial correlation coefficient. Metron 3, 329–332.
    Returns ``(rho, p, n)``; NaN with fewer than 5 complete rows.
    """
    d = pd.concat([y, x, z], axis=1).dropna().to_numpy(dtype=float)
    n = len(d)
    if n < 5:
        return np.nan, np.nan, n
    Z = np.column_stack([np.ones(n), d[:, 2]])
    res = d[:, :2] - Z @ np.linalg.lstsq(Z, d[:, :2], rcond=None)[0]
    ss = (res ** 2).sum(axis=0)
    if ss.min() <= 0:
        return np.nan, np.nan, n
    rho = float(np.clip((res[:, 0] @ res[:, 1]) / np.sqrt(ss[0] * ss[1]), -1, 1))
    t = rho * np.sqrt((n - 3) / max(1e-300, 1 - rho ** 2))
    return rho, float(2 * stats.t.sf(abs(t), n - 3)), n


def _welch(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    a, b = a.dropna(), b.dropna()
    diff = float(a.mean() - b.mean()) if len(a) and len(b) else np.nan
    if len(a) < 2 or len(b) < 2:
        return diff, np.nan, np.nan
    res = stats.ttest_ind(a, b, equal_var=False)
    return diff, float(res.statistic), float(res.pvalue)


def dependency_exposure(
    returns: pd.DataFrame,
    dependencies: Mapping[str, Sequence[str]],
    tokens: Sequence[str],
    window: tuple[object, object] | None = None,
    min_obs: int = 20,
    alignment: str = "unspecified",
    control: str | None = None,
) -> DependencyExposure:
    """Correlation and beta of each token to the equal-weighted basket of the companies it depends on.

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned wide returns (tokens and equities on one grid, e.g. the NYSE session grid).
    dependencies : mapping of str to sequence of str
        ``token -> depended-on asset ids`` (expand sector targets to their members before calling). Tokens
        absent from the mapping or mapped to an empty list are the comparison group.
    tokens : sequence of str
        Tokens to measure (both groups).
    window : (start, end), optional
        Inclusive row-label bounds; default all rows.
    min_obs : int, default 20
        Tokens with fewer complete rows get NaN corr/beta (their ``n`` is still reported).
    alignment : str
        Carried into the result.
    control : str, optional
        A column (e.g. the market factor ``BTC``) to control for: adds ``partial_corr`` and ``partial_p``
        (:func:`partial_correlation` of token and basket given it).

    Returns
    -------
    DependencyExposure

    Notes
    -----
    Basket :math:`B_t` = mean of the members' returns present at t. :math:`\\rho = \\mathrm{corr}(r, B)` and
    :math:`\\beta = \\mathrm{cov}(r, B)/\\mathrm{var}(B)` (OLS slope with intercept) over the complete rows of
    the window. The comparison group uses the basket of all assets any listed token depends on. The group
    comparison is a Welch two-sample t test on the per-token values; it assumes the tokens are independent
    draws, which they are not (they share the crypto market factor), so treat p-values as descriptive,
    particularly with few tokens. Correlation is not a channel: a dependent token may co-move with its
    suppliers because both load on the same AI theme.
    """
    frame = returns.sort_index()
    if window is not None:
        frame = frame.loc[window[0]:window[1]]
    if frame.empty:
        raise DataError(f"no return rows in window {window}; widen it")
    deps = {t: [d for d in dependencies.get(t, ())] for t in tokens}
    all_deps = sorted({d for t in tokens for d in deps[t]})
    if not all_deps:
        raise DataError(Text("no_dependency", "none of the tokens has a dependency; pass the universe's dependency edges"))
    missing = sorted({c for c in [*tokens, *all_deps] if c not in frame.columns})
    if missing:
        raise DataError(f"columns {missing} are not in the returns frame; load their prices or drop the edges")
    pooled = frame[all_deps].mean(axis=1)
    rows = {}
    for t in tokens:
        members = deps[t]
        basket = frame[members].mean(axis=1) if members else pooled
        corr, beta, n = _corr_beta(frame[t], basket)
        if n < min_obs:
            corr = beta = np.nan
        rows[t] = {"depends_on": ",".join(members), "basket": ",".join(members or all_deps), "corr": corr,
                   "beta": beta, "n": n, "group": DEPENDENT if members else COMPARISON}
        if control is not None and control in frame.columns:
            pc, pp, _ = partial_correlation(frame[t], basket, frame[control])
            rows[t].update(partial_corr=pc if n >= min_obs else np.nan, partial_p=pp if n >= min_obs else np.nan,
                           control=control)
    per = pd.DataFrame.from_dict(rows, orient="index")
    per.index.name = "token"
    g = per.groupby("group")
    groups = pd.DataFrame({
        "n_tokens": g.size(),
        "mean_corr": g["corr"].mean(), "median_corr": g["corr"].median(),
        "mean_beta": g["beta"].mean(), "median_beta": g["beta"].median(),
    }).reindex([DEPENDENT, COMPARISON])
    groups["n_tokens"] = groups["n_tokens"].fillna(0).astype(int)
    dep, comp = per[per["group"] == DEPENDENT], per[per["group"] == COMPARISON]
    dc, tc, pc = _welch(dep["corr"], comp["corr"])
    db, tb, pb = _welch(dep["beta"], comp["beta"])
    return DependencyExposure(
        per_token=per,
        groups=groups,
        comparison={"diff_mean_corr": dc, "welch_t_corr": tc, "p_corr": pc,
                    "diff_mean_beta": db, "welch_t_beta": tb, "p_beta": pb},
        window=(frame.index[0], frame.index[-1]),
        alignment=alignment,
    )
