"""Input checks shared by the VAR-based connectedness estimators (spillover tables, rolling windows, frequency
bands, TVP-VAR): each raises :class:`~selloff.errors.DataError` with a one-line message naming the input and the fix."""
from __future__ import annotations

import numpy as np
import pandas as pd

from selloff.errors import DataError

__all__ = ["TREND_TERMS", "check_enough_rows", "validate_frame", "validate_var_args", "window_ends"]

#: Deterministic terms per VAR equation for each statsmodels ``trend`` code.
TREND_TERMS = {"n": 0, "c": 1, "ct": 2}


def validate_frame(data: pd.DataFrame, what: str) -> pd.DataFrame:
    """``data`` as a complete numeric wide frame of at least two columns."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what}: expected a wide DataFrame (one column per market), got {type(data).__name__}")
    if data.shape[1] < 2:
        raise DataError(f"{what}: need at least 2 columns (markets), got {list(data.columns)}; add markets")
    try:
        values = data.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{what}: columns {list(data.columns)} must all be numeric; drop text columns") from None
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"{what}: column {data.columns[col]!r} is NaN or infinite at {data.index[row]!r}; "
            "align the markets and drop or fill missing rows first (a VAR needs a complete panel)"
        )
    return data


def validate_var_args(lags: int, horizon: int, trend: str) -> None:
    """Lag order and horizon positive integers, ``trend`` one of :data:`TREND_TERMS`."""
    if trend not in TREND_TERMS:
        raise DataError(f"trend={trend!r} is not supported; use one of {sorted(TREND_TERMS)}")
    if int(lags) != lags or lags < 1:
        raise DataError(f"lags={lags!r} must be a positive integer (DY 2012 use 4)")
    if int(horizon) != horizon or horizon < 1:
        raise DataError(f"horizon={horizon!r} must be a positive integer (DY 2012 use 10)")


def check_enough_rows(n_rows: int, k: int, lags: int, trend: str, what: str) -> None:
    """More observations than regressors per equation."""
    n_regressors = k * lags + TREND_TERMS[trend]
    if n_rows - lags <= n_regressors:
        raise DataError(
            f"{what}: {n_rows} rows are too few for a VAR({lags}) in {k} markets "
            f"({n_regressors} regressors per equation); use more rows or fewer lags/markets"
        )


def window_ends(n_rows: int, window: int, step: int) -> np.ndarray:
    """Row positions of the last row of each rolling window."""
    if int(window) != window or window < 1 or window > n_rows:
        raise DataError(f"window={window!r} must be an integer between 1 and the {n_rows} rows of data")
    if int(step) != step or step < 1:
        raise DataError(f"step={step!r} must be a positive integer")
    return np.arange(window - 1, n_rows, step)
