"""Rolling-window Diebold–Yilmaz spillover: every window's VAR by batched OLS on rolling cross-products, the
MA recursion and the decomposition batched over windows; on this process or partitioned by window block on a
``dask.distributed`` cluster (same block function, same partition, identical numbers).

Units: per cent of one market's H-step forecast-error variance, as in :mod:`selloff.analytics.spillover`.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from selloff.analytics.fevd import check_identification, fevd, fevd_from_ma, spillover_measures
from selloff.analytics.var_checks import TREND_TERMS, check_enough_rows, validate_frame, validate_var_args, window_ends
from selloff.compute import ENGINES, Engine, run_tasks
from selloff.errors import DataError

__all__ = ["ENGINES", "DEFAULT_BLOCK_WINDOWS", "rolling_spillover", "rolling_spillover_reference", "rolling_var_fit",
           "window_blocks"]

#: Windows per block when the caller gives none (bounds memory at O(block · k² · p) and fixes the partition that
#: makes the local and the Dask engine identical); the pipeline passes ``[connectedness] block_windows``.
DEFAULT_BLOCK_WINDOWS = 512


def window_blocks(n_windows: int, block_windows: int) -> list[slice]:
    """Consecutive slices of at most ``block_windows`` windows covering ``n_windows``."""
    if int(block_windows) != block_windows or block_windows < 1:
        raise DataError(f"block_windows={block_windows!r} must be a positive integer (windows per block)")
    return [slice(i, min(i + block_windows, n_windows)) for i in range(0, n_windows, block_windows)]


def _window_sums(cum: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return cum[hi] - cum[lo]


def rolling_var_fit(values: np.ndarray, ends: np.ndarray, window: int, lags: int, trend: str,
                    centre: np.ndarray, trend_loc: float = 0.0, trend_scale: float = 1.0,
                    first_row: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """OLS VAR(p) coefficients and residual covariance of every window, batched.

    Parameters
    ----------
    values : ndarray (n, k)
        The rows the windows need (a slice of the full data is fine).
    ends : ndarray of int
        Position in ``values`` of each window's last row; each window holds ``window`` rows.
    window, lags, trend :
        As in :func:`rolling_spillover`.
    centre : ndarray (k,)
        Subtracted from every row before accumulating (a constant in the VAR absorbs it: slopes and residuals are
        unchanged; it keeps the rolling sums well conditioned). Pass zeros for ``trend="n"``.
    trend_loc, trend_scale, first_row :
        For ``trend="ct"``: the trend regressor of row ``r`` of ``values`` is ``(first_row + r - trend_loc) /
        trend_scale`` (a linear rescaling of statsmodels' trend: slopes and residuals unchanged).

    Returns
    -------
    coefs : ndarray (W, p, k, k)
        statsmodels ``VARResults.coefs`` layout.
    sigma : ndarray (W, k, k)
        Residual covariance with statsmodels' degrees of freedom (``nobs - k p - trend terms``).

    Notes
    -----
    All cross-products come from cumulative sums of the lag products :math:`y_s y_{s-d}'`, d = 0..p, and of the
    deterministic terms times :math:`y_{t-a}`: with :math:`S_d(s)` the cumulated products, the window sum of
    :math:`y_{t-a}y_{t-b}'` (a <= b) over the targets t is :math:`S_{b-a}` differenced over the window shifted by
    a — so memory and work are O(n p k²) instead of O(n (kp)²) for the full regressor outer products. OLS is then
    one batched solve of the normal equations :math:`(Z'Z)B = Z'Y` and
    :math:`\\hat\\Sigma = (Y'Y - Y'ZB)/(n_{obs} - m)`.
    """
    p, nd = lags, TREND_TERMS[trend]
    y = np.asarray(values, dtype=float) - centre
    n, k = y.shape
    ends = np.asarray(ends)
    nobs = window - p
    lo_t, hi_t = ends - window + 1 + p, ends + 1           # targets [lo_t, hi_t) in cumulative-sum coordinates
    w = len(ends)
    m = nd + k * p
    zz = np.empty((w, m, m))
    zy = np.empty((w, m, k))
    # lag products S_d(s) = y_s y_{s-d}', zero for s < d
    cums = []
    for d in range(p + 1):
        cum = np.zeros((n + 1, k, k))
        np.cumsum(y[d:, :, None] * y[: n - d, None, :], axis=0, out=cum[d + 1 :])
        cums.append(cum)
    yy = _window_sums(cums[0], hi_t, lo_t)
    for a in range(1, p + 1):
        ra = slice(nd + (a - 1) * k, nd + a * k)
        zy[:, ra, :] = np.swapaxes(_window_sums(cums[a], hi_t, lo_t), -1, -2)   # Σ y_{t-a} y_t'
        for b in range(a, p + 1):
            rb = slice(nd + (b - 1) * k, nd + b * k)
            block = _window_sums(cums[b - a], hi_t - a, lo_t - a)                 # Σ y_{t-a} y_{t-b}'
            zz[:, ra, rb] = block
            if b != a:
                zz[:, rb, ra] = np.swapaxes(block, -1, -2)
    if nd:
        t = np.arange(n, dtype=float)
        det = np.ones((n, nd))
        if nd == 2:
            det[:, 1] = (first_row + t - trend_loc) / trend_scale
        dd = np.zeros((n + 1, nd, nd))
        np.cumsum(det[:, :, None] * det[:, None, :], axis=0, out=dd[1:])
        zz[:, :nd, :nd] = _window_sums(dd, hi_t, lo_t)
        for a in range(p + 1):
            cum = np.zeros((n + 1, nd, k))
            np.cumsum(det[a:, :, None] * y[: n - a, None, :], axis=0, out=cum[a + 1 :])   # d_t y_{t-a}'
            s = _window_sums(cum, hi_t, lo_t)
            if a == 0:
                zy[:, :nd, :] = s
            else:
                ra = slice(nd + (a - 1) * k, nd + a * k)
                zz[:, :nd, ra] = s
                zz[:, ra, :nd] = np.swapaxes(s, -1, -2)
    beta = np.linalg.solve(zz, zy)                                                 # (W, m, k)
    sigma = (yy - np.swapaxes(zy, -1, -2) @ beta) / (nobs - m)
    sigma = 0.5 * (sigma + np.swapaxes(sigma, -1, -2))
    coefs = beta[:, nd:, :].reshape(w, p, k, k).swapaxes(-1, -2)
    return coefs, sigma


def _block_theta(values: np.ndarray, ends: np.ndarray, window: int, lags: int, horizon: int, trend: str,
                 identification: str, centre: np.ndarray, trend_loc: float, trend_scale: float,
                 first_row: int) -> np.ndarray:
    """Normalised decompositions of the windows ending at ``ends`` (positions in ``values``): the pure function
    both engines run on each block."""
    coefs, sigma = rolling_var_fit(values, ends, window, lags, trend, centre, trend_loc, trend_scale, first_row)
    return fevd(coefs, sigma, horizon, identification)


def _rolling_frame(index: pd.Index, names: list, theta: np.ndarray) -> pd.DataFrame:
    total, to, from_, net = spillover_measures(theta)
    cols = {"total": total}
    for label, vals in (("to", to), ("from", from_), ("net", net)):
        for j, name in enumerate(names):
            cols[f"{label}_{name}"] = vals[:, j]
    return pd.DataFrame(cols, index=index)


def rolling_spillover(
    data: pd.DataFrame,
    window: int,
    lags: int = 4,
    horizon: int = 10,
    step: int = 1,
    *,
    trend: str = "c",
    identification: str = "generalized",
    engine: str = "local",
    block_windows: int = DEFAULT_BLOCK_WINDOWS,
    scheduler: str | None = None,
    workers: int = 2,
) -> pd.DataFrame:
    """Rolling-window spillover index, every window estimated in one batched computation per block.

    Parameters
    ----------
    data : DataFrame
        Wide frame, one column per market, no missing values (see :func:`~selloff.analytics.spillover.spillover_table`).
    window : int
        Rows per window (DY 2012 use 200 days); each window's VAR uses ``window - lags`` observations.
    lags, horizon : int
        VAR order and forecast horizon.
    step : int, default 1
        Distance in rows between consecutive window ends.
    trend : {"c", "n", "ct"}, default "c"
        Deterministic terms (statsmodels convention).
    identification : {"generalized", "orthogonal"}, default "generalized"
        Generalized (DY 2012) or Cholesky (DY 2009) decomposition.
    engine : {"local", "dask"}, default "local"
        ``"dask"``: each block of windows is one task on the ``dask.distributed`` scheduler at ``scheduler``
        (an address such as ``tcp://host:8786``), or on a ``LocalCluster`` of ``workers`` processes when none is
        given. Both engines run the same block function on the same partition, so the numbers are identical.
    block_windows : int, default 512
        Windows per block (one task each with the Dask engine).

    Returns
    -------
    DataFrame
        Index: the label of each window's last row. Columns: ``total`` and, per market, ``to_<market>``,
        ``from_<market>``, ``net_<market>``; all in per cent.

    Notes
    -----
    Same estimator as :func:`rolling_spillover_reference` (a statsmodels VAR per window): OLS from rolling
    cross-products (:func:`rolling_var_fit`), batched MA recursion and decomposition. Data are centred on the
    full-sample mean before accumulating (unchanged slopes and residuals when the VAR has deterministic terms);
    with ``trend="n"`` nothing is centred. The two paths agree to 1e-8 (tested; ``bench/bench_spillover.py``
    prints the difference). Assumptions: those of the full-sample table, window by window.
    """
    data = validate_frame(data, "rolling_spillover")
    validate_var_args(lags, horizon, trend)
    check_identification(identification)
    eng = Engine(engine, scheduler, workers)  # a bad engine fails before any work
    ends = window_ends(len(data), window, step)
    k = data.shape[1]
    check_enough_rows(window, k, lags, trend, "rolling_spillover")
    values = data.to_numpy(dtype=float)
    nd = TREND_TERMS[trend]
    centre = values.mean(axis=0) if nd else np.zeros(k)
    t = np.arange(lags, len(values), dtype=float)
    trend_loc, trend_scale = float(t.mean()), float(max(t.std(), 1.0))
    tasks = []
    for sl in window_blocks(len(ends), block_windows):
        e = ends[sl]
        first = int(e[0]) - window + 1
        tasks.append((values[first : int(e[-1]) + 1], e - first, window, lags, horizon, trend, identification,
                      centre, trend_loc, trend_scale, first))
    parts = run_tasks(_block_theta, tasks, eng)  # task order, any engine
    return _rolling_frame(data.index[ends], list(data.columns), np.concatenate(parts))


def rolling_spillover_reference(
    data: pd.DataFrame,
    window: int,
    lags: int = 4,
    horizon: int = 10,
    step: int = 1,
    *,
    trend: str = "c",
    identification: str = "generalized",
) -> pd.DataFrame:
    """Obvious path of :func:`rolling_spillover`: one ``statsmodels`` VAR fit per window.

    Same parameters and output as :func:`rolling_spillover`. Each window is fitted with
    ``statsmodels.tsa.api.VAR(...).fit(lags, trend=trend)``, its MA matrices come from statsmodels' ``ma_rep``;
    the generalized decomposition from :func:`~selloff.analytics.fevd.fevd_from_ma`, the orthogonal one from
    statsmodels' own ``fevd``. Slow (a Python loop over windows); kept to check the batched path and for readers.
    """
    from statsmodels.tsa.vector_ar.var_model import VAR  # the module alone: statsmodels.tsa.api imports all of tsa

    data = validate_frame(data, "rolling_spillover_reference")
    validate_var_args(lags, horizon, trend)
    check_identification(identification)
    ends = window_ends(len(data), window, step)
    check_enough_rows(window, data.shape[1], lags, trend, "rolling_spillover_reference")
    values = data.to_numpy(dtype=float)
    thetas = []
    for end in ends:
        res = VAR(values[end - window + 1 : end + 1]).fit(lags, trend=trend)
        if identification == "orthogonal":
            thetas.append(res.fevd(horizon).decomp[:, horizon - 1, :])
        else:
            thetas.append(fevd_from_ma(res.ma_rep(horizon - 1), res.sigma_u, identification))
    return _rolling_frame(data.index[ends], list(data.columns), np.stack(thetas))
