"""Range-based daily variance (Parkinson 1980, Garman-Klass 1980): the volatility input of Diebold-Yilmaz (2012)."""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from selloff.errors import DataError

__all__ = ["range_volatility"]

#: 1 / (4 ln 2): Parkinson's (1980) scaling of the squared log range, 0.361 in DY (2012).
_PARKINSON = 1.0 / (4.0 * np.log(2.0))
#: Garman & Klass (1980) "best analytic scale-invariant" weights.
_GK_RANGE, _GK_CROSS, _GK_CLOSE = 0.511, 0.019, 0.383


# --------------------------------------------------------------------------------------------
# Volatility input
# --------------------------------------------------------------------------------------------
def range_volatility(
    high: pd.Series | pd.DataFrame,
    low: pd.Series | pd.DataFrame,
    open: pd.Series | pd.DataFrame | None = None,  # noqa: A002 - the bar field's name
    close: pd.Series | pd.DataFrame | None = None,
    *,
    kind: Literal["log_variance", "variance", "std"] = "log_variance",
) -> pd.Series | pd.DataFrame:
    """Daily range-based variance estimate, the volatility input of Diebold & Yilmaz (2012).

    Parameters
    ----------
    high, low : Series or DataFrame
        Daily high and low prices (wide frames: one column per market), strictly positive.
    open, close : Series or DataFrame, optional
        Daily open and close. Given both: Garman–Klass estimator; otherwise Parkinson's.
    kind : {"log_variance", "variance", "std"}, default "log_variance"
        ``"variance"``: the daily variance estimate :math:`\\tilde\\sigma^2`; ``"std"``: its square
        root (daily, not annualised); ``"log_variance"``: :math:`\\ln\\tilde\\sigma^2`, the scale on
        which the spillover VAR is fitted (the ``dy2012`` data set is on this scale).

    Returns
    -------
    Series or DataFrame, same shape as ``high``.

    Notes
    -----
    Parkinson (1980), as in DY (2012, fn. 5): :math:`\\tilde\\sigma^2 = 0.361\\,[\\ln H - \\ln L]^2`,
    with :math:`0.361 = 1/(4\\ln 2)`. Garman & Klass (1980), with :math:`u=\\ln(H/O)`,
    :math:`d=\\ln(L/O)`, :math:`c=\\ln(C/O)`:
    :math:`0.511(u-d)^2 - 0.019[c(u+d) - 2ud] - 0.383c^2`.
    Both are unbiased for the daily variance of a driftless Brownian log price observed
    continuously; discrete sampling and zero-volume days bias them down. Volatilities are
    right-skewed, so DY fit the VAR to logs; a day with zero range has no log — drop it or use
    ``kind="variance"``. Spillovers "on returns" use log returns directly instead of this helper.

    References
    ----------
    .. [1] Diebold, F. X. and Yilmaz, K. (2012), International Journal of Forecasting 28(1), 57–66.
    .. [2] Parkinson, M. (1980). "The extreme value method for estimating the variance of the rate
       of return." Journal of Business 53(1), 61–65.
    .. [3] Garman, M. B. and Klass, M. J. (1980). "On the estimation of security price
       volatilities from historical data." Journal of Business 53(1), 67–78.
    """
    if kind not in ("log_variance", "variance", "std"):
        raise DataError(f"range_volatility: kind={kind!r} is unknown; use 'log_variance', 'variance' or 'std'")
    if (open is None) != (close is None):
        raise DataError("range_volatility: pass both open and close (Garman-Klass) or neither (Parkinson)")
    prices = {"high": high, "low": low} | ({} if open is None else {"open": open, "close": close})
    for name, frame in prices.items():
        values = np.asarray(frame, dtype=float)
        if not np.all(np.isfinite(values) & (values > 0)):
            pos = np.argwhere(~(np.isfinite(values) & (values > 0)))[0][0]
            raise DataError(
                f"range_volatility: {name} price is missing or not positive at {frame.index[pos]!r}; "
                "clean the bars first"
            )
    if np.any(np.asarray(high, dtype=float) < np.asarray(low, dtype=float)):
        pos = np.argwhere(np.asarray(high, dtype=float) < np.asarray(low, dtype=float))[0][0]
        raise DataError(f"range_volatility: high < low at {high.index[pos]!r}; fix or drop that bar")

    if open is None:
        variance = _PARKINSON * np.log(high / low) ** 2
    else:
        u, d, c = np.log(high / open), np.log(low / open), np.log(close / open)
        variance = _GK_RANGE * (u - d) ** 2 - _GK_CROSS * (c * (u + d) - 2.0 * u * d) - _GK_CLOSE * c**2
    if kind == "variance":
        return variance
    if kind == "std":
        return np.sqrt(variance)
    if np.any(np.asarray(variance) <= 0):
        pos = np.argwhere(np.asarray(variance) <= 0)[0][0]
        raise DataError(
            f"range_volatility: zero range at {high.index[pos]!r} has no log variance; "
            "drop that day or use kind='variance'"
        )
    return np.log(variance)
