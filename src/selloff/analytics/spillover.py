"""Diebold–Yilmaz spillover index from a VAR variance decomposition: generalized (DY 2012, the default) or
orthogonal (Cholesky, DY 2009).

A VAR(p) is fitted to a wide frame (one column per market: log range volatilities or returns), its
forecast-error variance is decomposed — with the order-invariant generalized decomposition of
Koop, Pesaran & Potter (1996) and Pesaran & Shin (1998), or with Cholesky-orthogonalised shocks in the
column order — and the decomposition is read as an input–output table of who transmits how much
forecast-error variance to whom.

Public surface
--------------
- :func:`ma_coefficients` – moving-average (Wold) matrices of a VAR, batched.
- :func:`generalized_fevd_raw`, :func:`generalized_fevd` – the decomposition (raw / rows normalised).
- :func:`spillover_table` → :class:`SpilloverResult` – the full-sample spillover table.
- :func:`rolling_spillover` – batched rolling-window OLS + decomposition (fast path, local or Dask engine;
  :mod:`selloff.analytics.spillover_rolling`); :func:`rolling_spillover_reference` – one statsmodels ``VAR``
  fit per window (obvious path).
- :func:`range_volatility` – daily range-based variance (Parkinson / Garman–Klass), the DY input.

Units: every spillover number is in per cent of one market's H-step forecast-error variance.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from selloff.analytics.fevd import (cite, check_identification, fevd, generalized_fevd, generalized_fevd_from_ma,
                                    generalized_fevd_raw, ma_coefficients, orthogonal_fevd, spillover_measures)
from selloff.analytics.rangevol import range_volatility
from selloff.analytics.spillover_rolling import rolling_spillover, rolling_spillover_reference
from selloff.analytics.var_checks import check_enough_rows, validate_frame, validate_var_args
from selloff.texts import Text

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_LAGS",
    "SpilloverResult",
    "generalized_fevd",
    "generalized_fevd_from_ma",
    "generalized_fevd_raw",
    "ma_coefficients",
    "orthogonal_fevd",
    "range_volatility",
    "rolling_spillover",
    "rolling_spillover_reference",
    "spillover_table",
]

#: VAR order used by Diebold & Yilmaz (2012) for daily volatilities.
DEFAULT_LAGS = 4
#: Forecast horizon (steps) of the variance decomposition in Diebold & Yilmaz (2012).
DEFAULT_HORIZON = 10

Trend = Literal["n", "c", "ct"]
Identification = Literal["generalized", "orthogonal"]


# --------------------------------------------------------------------------------------------
# Full-sample table
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpilloverResult:
    """Diebold–Yilmaz spillover table and its summaries (all numbers in per cent).

    Attributes
    ----------
    table : DataFrame
        Rows = receivers (one per market) plus ``"To others"``, ``"To incl. own"`` and ``"Net"``;
        columns = contributors plus ``"From others"``. Cell (i, j) is
        :math:`100\\,\\tilde\\theta_{ij}(H)`. As in DY (2012, Table 2) the bottom-right cells hold
        the sum of all off-diagonal entries (row ``"To others"``) and the total spillover index
        (row ``"To incl. own"``); ``("Net", "From others")`` is NaN.
    total : float
        Total spillover index :math:`100\\sum_{i\\neq j}\\tilde\\theta_{ij} / k`.
    to, from_, net : Series
        Directional spillovers to / from all others and their difference, per market, in the
        units of the table (per cent of one market's forecast-error variance; the paper's
        eqs. 9–10 divide these by k as well).
    pairwise_net : DataFrame
        ``pairwise_net.loc[i, j]`` = :math:`100(\\tilde\\theta_{ji} - \\tilde\\theta_{ij})`: net
        spillover transmitted from i to j. Antisymmetric; row sums equal ``net``.
    fevd : DataFrame
        The normalised decomposition :math:`\\tilde\\theta(H)` as fractions.
    lags, horizon, nobs : int
        VAR order, forecast horizon (steps) and number of observations used in the VAR.
    trend : str
        Deterministic terms of the VAR (statsmodels ``trend``).
    method : str
        One-line description of the estimator.
    identification : str
        ``"generalized"`` (DY 2012) or ``"orthogonal"`` (Cholesky in the column order, DY 2009).
    """

    table: pd.DataFrame
    total: float
    to: pd.Series
    from_: pd.Series
    net: pd.Series
    pairwise_net: pd.DataFrame
    fevd: pd.DataFrame
    lags: int
    horizon: int
    nobs: int
    trend: str
    method: str
    identification: str = "generalized"

    def summary(self) -> str:
        """The spillover table as text, with the method and the total index (no printing)."""
        lines = [
            self.method,
            f"VAR({self.lags}), trend={self.trend!r}, nobs={self.nobs}, horizon={self.horizon} steps",
            "",
            self.table.round(1).to_string(na_rep=""),
            "",
            f"Total spillover index: {self.total:.1f} %",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _method(lags: int, horizon: int, identification: str = "generalized") -> str:
    if identification == "orthogonal":
        return Text("dy_orthogonal", f"Diebold-Yilmaz (2009) spillover index: VAR({lags}) by OLS, {horizon}-step "
                    "Cholesky-orthogonalised FEVD in the column order", lags=lags, horizon=horizon)
    return Text("dy_generalized",
                f"Diebold-Yilmaz (2012) spillover index: VAR({lags}) by OLS, {horizon}-step generalized "
                "(Pesaran-Shin 1998) FEVD, rows normalised to 1", lags=lags, horizon=horizon)


def _result_from_fevd(
    theta: np.ndarray, names: list, *, lags: int, horizon: int, nobs: int, trend: str,
    identification: str = "generalized",
) -> SpilloverResult:
    total, to, from_, net = spillover_measures(theta)
    idx = pd.Index(names)
    pct = pd.DataFrame(100.0 * theta, index=idx, columns=idx)
    table = pct.copy()
    table["From others"] = from_
    table.loc["To others"] = [*to, from_.sum()]
    table.loc["To incl. own"] = [*(to + 100.0 * np.diag(theta)), total]
    table.loc["Net"] = [*net, np.nan]
    pairwise = pd.DataFrame(100.0 * (theta.T - theta), index=idx, columns=idx)
    return SpilloverResult(
        table=table,
        total=float(total),
        to=pd.Series(to, index=idx, name="to_others_pct"),
        from_=pd.Series(from_, index=idx, name="from_others_pct"),
        net=pd.Series(net, index=idx, name="net_pct"),
        pairwise_net=pairwise,
        fevd=pd.DataFrame(theta, index=idx, columns=idx),
        lags=int(lags),
        horizon=int(horizon),
        nobs=int(nobs),
        trend=trend,
        method=_method(lags, horizon, identification),
        identification=identification,
    )


@cite
def spillover_table(
    data: pd.DataFrame,
    lags: int = DEFAULT_LAGS,
    horizon: int = DEFAULT_HORIZON,
    *,
    trend: Trend = "c",
    identification: Identification = "generalized",
) -> SpilloverResult:
    """Full-sample Diebold–Yilmaz spillover table.

    Parameters
    ----------
    data : DataFrame
        Wide frame, one column per market, rows in time order, no missing values. Volatility
        spillovers: log range volatilities (e.g. ``range_volatility(..., kind="log_variance")``);
        return spillovers: log returns.
    lags : int, default 4
        VAR order p (DY 2012 use 4 for daily volatilities; choose with an information criterion,
        e.g. ``statsmodels.tsa.api.VAR(data).select_order``, for other data).
    horizon : int, default 10
        Forecast horizon H of the variance decomposition, in steps of the data's frequency.
    trend : {"c", "n", "ct"}, default "c"
        Deterministic terms in each VAR equation (statsmodels convention).
    identification : {"generalized", "orthogonal"}, default "generalized"
        Generalized (Pesaran-Shin) shocks, order-invariant, rows normalised (DY 2012); or Cholesky-orthogonalised
        shocks in the column order (DY 2009: on ``dy2009.csv``, VAR(2), H = 10, the total is 35.5 %).

    Returns
    -------
    SpilloverResult

    Notes
    -----
    A VAR(p) is fitted by OLS with ``statsmodels.tsa.api.VAR``; the generalized FEVD
    :math:`\\tilde\\theta(H)` (:func:`generalized_fevd`) gives
    total :math:`S = 100\\sum_{i\\ne j}\\tilde\\theta_{ij}/k`,
    from :math:`100\\sum_{j\\ne i}\\tilde\\theta_{ij}`, to :math:`100\\sum_{j\\ne i}\\tilde\\theta_{ji}`,
    net = to − from, and pairwise net :math:`100(\\tilde\\theta_{ji}-\\tilde\\theta_{ij})`.

    Assumptions: the VAR is covariance stationary (log volatilities are persistent but mean
    reverting; use returns, not prices), the lag order captures the dynamics (the index moves
    with p and H, so report them), and the innovations' correlation is stable over the sample —
    it enters the generalized shocks directly. The raw generalized decomposition does not sum to
    one per row; the normalisation is what makes the shares add up to 100. The orthogonal decomposition sums to
    one by construction but depends on the column order (a variable earlier in the order takes the common part
    of a contemporaneous shock).
    """
    data = validate_frame(data, "spillover_table")
    validate_var_args(lags, horizon, trend)
    check_identification(identification)
    check_enough_rows(len(data), data.shape[1], lags, trend, "spillover_table")
    from statsmodels.tsa.vector_ar.var_model import VAR  # the module alone: statsmodels.tsa.api imports all of tsa

    res = VAR(data.to_numpy(dtype=float)).fit(lags, trend=trend)
    theta = fevd(res.coefs, res.sigma_u, horizon, identification)
    return _result_from_fevd(theta, list(data.columns), lags=lags, horizon=horizon, nobs=res.nobs, trend=trend,
                             identification=identification)
