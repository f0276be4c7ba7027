"""Factor attribution of a sell-off: how much of a token's move the market (BTC) and the AI-equity basket explain.

A linear factor model is estimated by OLS with Newey–West (HAC) standard errors on a window of aligned returns
that ends strictly **before** the event, then applied to the event's factor moves:

    r_i,t = alpha_i + beta_btc,i * f_btc,t + beta_eq,i * f_eq,t + e_i,t

``decompose_move`` splits the event move of each asset into the BTC part, the equity part, the alpha drift and
the residual (the sector- or token-specific part), which by construction add up to the total.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.errors import DataError
from selloff.texts import Text

__all__ = ["FactorFit", "decompose_move", "equal_weight_basket", "factor_model", "rolling_betas",
           "rolling_betas_reference"]


def equal_weight_basket(returns: pd.DataFrame, members: Sequence[str], name: str = "EQ_BASKET",
                        min_members: int = 1) -> pd.Series:
    """Equal-weighted basket return (rebalanced every period) of ``members``.

    Parameters
    ----------
    returns : pd.DataFrame
        Wide returns frame (aligned grid).
    members : sequence of str
        Column ids, e.g. ``["NVDA", "AMD", "MSFT", "GOOGL", "AMZN"]`` (``[attribution] equity_basket``).
    name : str
        Name of the returned series.
    min_members : int, default 1
        Periods with fewer non-missing members are NaN.

    Returns
    -------
    pd.Series
        Cross-sectional mean of the members' returns.

    Notes
    -----
    With simple returns this is the exact return of a daily-rebalanced equal-weight portfolio; with log returns
    it is the mean log return (a first-order approximation of it).
    """
    missing = [m for m in members if m not in returns.columns]
    if missing:
        raise DataError(f"basket members {missing} are not columns of the returns frame; "
                        f"drop them from the basket or load their prices")
    sub = returns[list(members)]
    out = sub.mean(axis=1, skipna=True)
    out[sub.notna().sum(axis=1) < min_members] = np.nan
    return out.rename(name)


@dataclass(frozen=True)
class FactorFit:
    """Result of :func:`factor_model`.

    Attributes
    ----------
    params : pd.DataFrame
        Index = dependent assets, columns = ``["const", *factors]``: alpha (per period) and betas.
    bse : pd.DataFrame
        HAC standard errors, same shape.
    ci_low, ci_high : pd.DataFrame
        Confidence bounds (level ``1 - alpha``), same shape.
    tvalues, pvalues : pd.DataFrame
        HAC t statistics and two-sided p-values.
    rsquared : pd.Series
        R² per asset.
    nobs : pd.Series
        Observations used per asset (rows with y and all factors present).
    factors : tuple of str
        Factor names, in order.
    window_start, window_end : object
        First and last row label of the estimation window (``window_end`` is before the event).
    window : int
        Rows requested for the window.
    hac_lags : int
        Newey–West truncation lag.
    ci_level : float
        Confidence level of the bounds.
    orthogonalised : str or None
        ``"EQ on BTC"``-style note if a factor was replaced by its residual on another, else None.
    orth_coef : tuple or None
        ``(factor, against, intercept, slope)`` used for that residual, applied again in :func:`decompose_move`.
    alignment : str
        The grid the returns were on (pass ``AlignedReturns.alignment``).
    method : str
        Estimator description.
    """

    params: pd.DataFrame
    bse: pd.DataFrame
    ci_low: pd.DataFrame
    ci_high: pd.DataFrame
    tvalues: pd.DataFrame
    pvalues: pd.DataFrame
    rsquared: pd.Series
    nobs: pd.Series
    factors: tuple[str, ...]
    window_start: object
    window_end: object
    window: int
    hac_lags: int
    ci_level: float
    orthogonalised: str | None
    orth_coef: tuple[str, str, float, float] | None
    alignment: str
    method: str

    def summary(self) -> pd.DataFrame:
        """One row per asset: betas with CIs, R² and nobs."""
        cols = {}
        for f in self.params.columns:
            cols[f"{f}"] = self.params[f]
            cols[f"{f}_lo"] = self.ci_low[f]
            cols[f"{f}_hi"] = self.ci_high[f]
        out = pd.DataFrame(cols)
        out["r2"] = self.rsquared
        out["nobs"] = self.nobs
        return out


def _orthogonalise(factors: pd.DataFrame, target: str, against: str) -> tuple[pd.Series, float, float]:
    ok = factors[[target, against]].dropna()
    slope, intercept = np.polyfit(ok[against].to_numpy(), ok[target].to_numpy(), 1)
    return factors[target] - intercept - slope * factors[against], float(intercept), float(slope)


def factor_model(
    returns: pd.DataFrame,
    y: str | Sequence[str],
    factors: Sequence[str],
    window_end: object,
    window: int = 180,
    hac_lags: int = 5,
    ci_level: float = 0.95,
    orthogonalise: tuple[str, str] | None = None,
    min_obs: int = 30,
    alignment: str = "unspecified",
) -> FactorFit:
    """Estimate a linear factor model per asset by OLS with Newey–West standard errors, before an event.

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned wide returns (e.g. ``AlignedReturns.returns``) holding the ``y`` columns and the factor columns
        (add the basket with :func:`equal_weight_basket` first).
    y : str or sequence of str
        Dependent asset(s): tokens and/or a sector index column.
    factors : sequence of str
        Factor columns, market first, e.g. ``["BTC", "EQ_BASKET"]``.
    window_end : label
        The window uses rows with index **strictly before** this label (the event row is never in it).
    window : int, default 180
        Number of rows (periods) in the window (``[attribution] window_days``).
    hac_lags : int, default 5
        Newey–West lag truncation (Bartlett kernel) (``[attribution] hac_lags``).
    ci_level : float, default 0.95
        Confidence level of the reported intervals.
    orthogonalise : (str, str), optional
        ``(target, against)``: replace factor ``target`` by the residual of its OLS regression on ``against``
        within the window (e.g. ``("EQ_BASKET", "BTC")``); ``against`` then gets credit for the common part.
        Default: no orthogonalisation — betas are partial (each holding the other factor fixed).
    min_obs : int, default 30
        Fewer complete rows for an asset: ``DataError``.
    alignment : str
        Description of the grid, carried into the result.

    Returns
    -------
    FactorFit

    Notes
    -----
    Model: :math:`r_{i,t} = \\alpha_i + \\sum_k \\beta_{ik} f_{k,t} + e_{i,t}`, OLS per asset on the rows where
    the asset and all factors are observed. Covariance: Newey–West HAC with Bartlett weights
    :math:`1 - j/(L+1)`, small-sample factor :math:`n/(n-k)`; intervals and p-values from the t distribution
    with :math:`n-k` degrees of freedom. Assumptions: returns are (weakly) stationary over the window, the
    factor loadings are constant within it, errors may be heteroskedastic and autocorrelated up to about
    ``hac_lags`` periods, and factors are exogenous (no feedback from the token to BTC within a period).

    References
    ----------
    Newey, W. K., and K. D. West (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55(3), 703–708.
    """
    # on use, and the two modules alone: statsmodels.api also imports its graphics, formulas and datasets
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    ys = [y] if isinstance(y, str) else list(y)
    factors = list(factors)
    need = ys + factors
    missing = [c for c in need if c not in returns.columns]
    if missing:
        raise DataError(f"columns {missing} are not in the returns frame; add them (basket: equal_weight_basket)")
    if not 0 < ci_level < 1:
        raise DataError(f"ci_level={ci_level} must be in (0, 1)")
    frame = returns.sort_index()
    before = frame[frame.index < window_end]
    win = before.iloc[-window:] if window > 0 else before.iloc[0:0]
    if win.empty:
        raise DataError(f"no rows before window_end={window_end}; the estimation window must end before the event")
    fac = win[factors].copy()
    orth_note, orth_coef = None, None
    if orthogonalise is not None:
        target, against = orthogonalise
        if target not in factors or against not in factors:
            raise DataError(f"orthogonalise={orthogonalise} must name two of the factors {factors}")
        fac[target], icpt, slope = _orthogonalise(fac, target, against)
        orth_note = f"{target} orthogonalised to {against} (OLS residual within the window)"
        orth_coef = (target, against, icpt, slope)

    names = ["const", *factors]
    rows: dict[str, dict[str, pd.Series]] = {k: {} for k in ("params", "bse", "lo", "hi", "t", "p")}
    r2, nobs = {}, {}
    for asset in ys:
        data = pd.concat([win[asset], fac], axis=1).dropna()
        if len(data) < max(min_obs, len(names) + 1):
            raise DataError(f"{asset}: only {len(data)} complete rows in the window ending before {window_end} "
                            f"(need {max(min_obs, len(names) + 1)}); lengthen the window or fill the data")
        X = add_constant(data[factors].to_numpy(), has_constant="add")
        res = OLS(data[asset].to_numpy(), X).fit(
            cov_type="HAC", cov_kwds={"maxlags": hac_lags, "use_correction": True}, use_t=True)
        ci = res.conf_int(alpha=1 - ci_level)
        rows["params"][asset] = pd.Series(res.params, index=names)
        rows["bse"][asset] = pd.Series(res.bse, index=names)
        rows["lo"][asset] = pd.Series(ci[:, 0], index=names)
        rows["hi"][asset] = pd.Series(ci[:, 1], index=names)
        rows["t"][asset] = pd.Series(res.tvalues, index=names)
        rows["p"][asset] = pd.Series(res.pvalues, index=names)
        r2[asset] = float(res.rsquared)
        nobs[asset] = int(res.nobs)

    def _df(key: str) -> pd.DataFrame:
        return pd.DataFrame(rows[key]).T.reindex(index=ys, columns=names)

    return FactorFit(
        params=_df("params"), bse=_df("bse"), ci_low=_df("lo"), ci_high=_df("hi"),
        tvalues=_df("t"), pvalues=_df("p"),
        rsquared=pd.Series(r2, name="r2").reindex(ys), nobs=pd.Series(nobs, name="nobs").reindex(ys),
        factors=tuple(factors), window_start=win.index[0], window_end=win.index[-1], window=window,
        hac_lags=hac_lags, ci_level=ci_level, orthogonalised=orth_note, orth_coef=orth_coef,
        alignment=alignment,
        method=Text("ols_hac", f"OLS, Newey-West HAC (Bartlett, {hac_lags} lags, n/(n-k) correction), t-based {ci_level:.0%} CIs",
                    hac_lags=hac_lags, ci_pct=round(100 * ci_level)),
    )


def decompose_move(fit: FactorFit, event_returns: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Split each asset's event move into factor parts, alpha and a residual.

    Parameters
    ----------
    fit : FactorFit
        From :func:`factor_model`, estimated on a window that ends before the event.
    event_returns : pd.DataFrame or pd.Series
        Returns over the event (rows = event periods, or one Series for a single period) holding the fitted
        assets and the factor columns, on the same grid as the fit.

    Returns
    -------
    pd.DataFrame
        Index = asset. Columns ``total``, ``<factor>_part`` per factor, ``alpha_part``, ``residual``,
        ``beta_<factor>`` with ``beta_<factor>_lo``/``_hi`` (CI of ``fit.ci_level``), ``n_periods``, ``r2``.
        ``total = sum of parts + alpha_part + residual`` exactly.

    Notes
    -----
    Over ``T`` event periods: total :math:`= \\sum_t r_{i,t}`; factor part :math:`= \\beta_{ik}\\sum_t f_{k,t}`;
    alpha part :math:`= T\\alpha_i`; residual = total − the rest (the part the factors do not explain, i.e. the
    sector/token-specific move). Sums of log returns are exact log moves; with simple returns the split is of the
    sum of period returns. If the fit orthogonalised a factor, the same window coefficients are applied to the
    event factor returns, so the parts are consistent with the betas. Periods with a missing asset or factor
    return are dropped for that asset.
    """
    ev = event_returns.to_frame().T if isinstance(event_returns, pd.Series) else event_returns
    factors = list(fit.factors)
    missing = [c for c in [*fit.params.index, *factors] if c not in ev.columns]
    if missing:
        raise DataError(f"event_returns lacks columns {missing}; pass the event rows of the aligned returns frame")
    fac = ev[factors].astype(float).copy()
    if fit.orth_coef is not None:
        target, against, icpt, slope = fit.orth_coef
        fac[target] = fac[target] - icpt - slope * fac[against]
    out = []
    for asset in fit.params.index:
        data = pd.concat([ev[asset].astype(float).rename("__y"), fac], axis=1).dropna()
        total = float(data["__y"].sum())
        row: dict[str, float] = {"total": total}
        explained = 0.0
        for f in factors:
            part = float(fit.params.loc[asset, f] * data[f].sum())
            row[f"{f}_part"] = part
            explained += part
        row["alpha_part"] = float(fit.params.loc[asset, "const"] * len(data))
        row["residual"] = total - explained - row["alpha_part"]
        for f in factors:
            row[f"beta_{f}"] = float(fit.params.loc[asset, f])
            row[f"beta_{f}_lo"] = float(fit.ci_low.loc[asset, f])
            row[f"beta_{f}_hi"] = float(fit.ci_high.loc[asset, f])
        row["n_periods"] = len(data)
        row["r2"] = float(fit.rsquared.loc[asset])
        out.append(pd.Series(row, name=asset))
    res = pd.DataFrame(out)
    res.index.name = "asset"
    return res


def _rolling_inputs(returns: pd.DataFrame, y: str, factors: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in [y, *factors] if c not in returns.columns]
    if missing:
        raise DataError(f"columns {missing} are not in the returns frame; add them (basket: equal_weight_basket)")
    return returns[[y, *factors]].sort_index()


def rolling_betas(returns: pd.DataFrame, y: str, factors: Sequence[str], window: int = 180,
                  min_obs: int | None = None) -> pd.DataFrame:
    """OLS coefficients of ``y`` on ``factors`` over a trailing window that ends **before** each row (fast path).

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned wide returns.
    y : str
        Dependent column (token or sector index).
    factors : sequence of str
        Factor columns, e.g. ``["BTC", "EQ_BASKET"]``.
    window : int, default 180
        Rows in each window: the value at row t uses rows t-window .. t-1.
    min_obs : int, optional
        Minimum complete rows in a window (default ``window // 2``); fewer give NaN.

    Returns
    -------
    pd.DataFrame
        Index as ``returns``; columns ``["const", *factors]`` and ``nobs``.

    Notes
    -----
    :math:`\\hat\\beta_t = (\\sum_{s\\in W_t} z_s z_s')^{-1} \\sum_{s\\in W_t} z_s y_s`, :math:`z_s = (1, f_s)`,
    with the window sums taken from cumulative sums of the cross-products (rows with any missing value
    contribute zero). Point estimates only; use :func:`factor_model` for HAC inference at an event.
    :func:`rolling_betas_reference` is the obvious per-window least-squares loop; tests assert agreement.
    """
    data = _rolling_inputs(returns, y, factors)
    mo = window // 2 if min_obs is None else min_obs
    arr = data.to_numpy(dtype=float)
    ok = np.isfinite(arr).all(axis=1)
    z = np.column_stack([np.ones(len(arr)), arr[:, 1:]])
    z[~ok] = 0.0
    yy = np.where(ok, arr[:, 0], 0.0)
    k = z.shape[1]
    zz = np.einsum("ti,tj->tij", z, z)
    zy = z * yy[:, None]

    def _win(a: np.ndarray) -> np.ndarray:  # sum over rows t-window .. t-1
        c = np.concatenate([np.zeros((1, *a.shape[1:])), np.cumsum(a, axis=0)])
        hi = np.arange(len(a))
        lo = np.maximum(hi - window, 0)
        return c[hi] - c[lo]

    s_zz, s_zy, cnt = _win(zz), _win(zy), _win(ok.astype(float)[:, None])[:, 0]
    out = np.full((len(arr), k), np.nan)
    good = cnt >= max(mo, k + 1)
    if good.any():
        out[good] = np.linalg.solve(s_zz[good], s_zy[good][..., None])[..., 0]
    res = pd.DataFrame(out, index=data.index, columns=["const", *factors])
    res["nobs"] = cnt.astype(int)
    return res


def rolling_betas_reference(returns: pd.DataFrame, y: str, factors: Sequence[str], window: int = 180,
                            min_obs: int | None = None) -> pd.DataFrame:
    """Obvious version of :func:`rolling_betas`: one ``numpy.linalg.lstsq`` per window."""
    data = _rolling_inputs(returns, y, factors)
    mo = window // 2 if min_obs is None else min_obs
    k = 1 + len(factors)
    rows = []
    for t in range(len(data)):
        w = data.iloc[max(t - window, 0): t].dropna()
        coef = np.full(k, np.nan)
        if len(w) >= max(mo, k + 1):
            Z = np.column_stack([np.ones(len(w)), w[list(factors)].to_numpy()])
            coef = np.linalg.lstsq(Z, w[y].to_numpy(), rcond=None)[0]
        rows.append([*coef, len(w)])
    res = pd.DataFrame(rows, index=data.index, columns=["const", *factors, "nobs"])
    res["nobs"] = res["nobs"].astype(int)
    return res
