"""Market-model event study around announcement timestamps (MacKinlay 1997) with the BMP (1991) test.

For each (event, asset) pair the market model ``R_i,t = a_i + b_i R_m,t + e_i,t`` is estimated by OLS on an
estimation window before the event (in event time, e.g. days [-250, -11]; shorter for crypto), abnormal returns
``AR = R - a - b R_m`` are computed around it, cumulated over windows such as [-1, +1] and [0, +5], and tested
per pair (standard CAR t) and across pairs (cross-sectional t, Brown–Warner portfolio t, and the
Boehmer–Musumeci–Poulsen standardized cross-sectional test, robust to event-induced variance).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from selloff.errors import DataError
from selloff.texts import Text

__all__ = ["EventStudyResult", "event_day_zero", "event_study", "bmp_test"]

DEFAULT_CAR_WINDOWS: Mapping[str, tuple[int, int]] = {"car_m1_p1": (-1, 1), "car_0_p5": (0, 5)}


@dataclass(frozen=True)
class EventStudyResult:
    """Result of :func:`event_study`.

    Attributes
    ----------
    abnormal : pd.DataFrame
        Long frame: ``event_id, asset, rel_day, label, ret, market, ar, sar`` (``sar`` = AR over its
        prediction-error standard deviation).
    car : pd.DataFrame
        One row per (event_id, asset, window): ``tau1, tau2, car, se, t, p, scar, n_days``.
    tests : pd.DataFrame
        One row per (group, window), group = each event id and ``"ALL"``: ``n, mean_car, t_cs, p_cs, t_bw,
        p_bw, bmp_z, bmp_p``.
    params : pd.DataFrame
        One row per (event_id, asset): ``day0`` (row label), ``alpha, beta, sigma, n_est``.
    est_window : tuple of int
        Estimation window in event time.
    alignment : str
        The return grid (pass ``AlignedReturns.alignment``).
    method : str
        Short description of the tests.
    """

    abnormal: pd.DataFrame
    car: pd.DataFrame
    tests: pd.DataFrame
    params: pd.DataFrame
    est_window: tuple[int, int]
    alignment: str
    method: str


def event_day_zero(index: pd.Index, ts: object, period_end: pd.Series | None = None) -> int:
    """Position of event day 0: the first row whose return period ends after the announcement.

    Parameters
    ----------
    index : pd.Index
        Row labels of the returns frame (sorted).
    ts : timestamp-like
        Announcement time (tz-aware UTC, or a date).
    period_end : pd.Series, optional
        UTC end time of each row's return period (``AlignedReturns.period_end``). Without it, a tz-aware index
        is taken as period-end times, and a date index gives day 0 = first label on or after the
        announcement's UTC date.

    Returns
    -------
    int
        Integer position in ``index``; ``DataError`` if the announcement is after the last row.
    """
    t = pd.Timestamp(ts)
    if period_end is not None:
        if t.tzinfo is None:
            raise DataError(f"announcement {ts!r} is naive; pass a tz-aware UTC time")
        ends = pd.DatetimeIndex(period_end.reindex(index).to_numpy()).tz_convert("UTC")
        pos = int(ends.searchsorted(t.tz_convert("UTC"), side="right"))
    elif isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        pos = int(index.searchsorted(t if t.tzinfo is not None else t.tz_localize("UTC"), side="right"))
    else:
        d = (t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t).normalize()
        pos = int(pd.DatetimeIndex(index).searchsorted(d, side="left"))
    if pos >= len(index):
        raise DataError(f"announcement {ts} is after the last return row {index[-1]}; extend the data")
    return pos


def bmp_test(scar: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Boehmer–Musumeci–Poulsen standardized cross-sectional statistic and its two-sided p-value.

    Notes
    -----
    :math:`z = \\bar{S}\\sqrt{N} / s_S` with :math:`S_i` the standardized (cumulative) abnormal returns and
    :math:`s_S` their cross-sectional standard deviation (ddof 1); :math:`z \\sim t_{N-1}` under H0 with
    independent events. Using the cross-sectional dispersion of the :math:`S_i` makes it robust to
    event-induced variance increases.

    References
    ----------
    Boehmer, E., J. Musumeci and A. B. Poulsen (1991). Event-study methodology under conditions of
    event-induced variance. Journal of Financial Economics 30(2), 253–272.
    """
    s = np.asarray(scar, dtype=float)
    s = s[np.isfinite(s)]
    n = len(s)
    if n < 2:
        return float("nan"), float("nan")
    sd = s.std(ddof=1)
    if sd == 0:
        return float("nan"), float("nan")
    z = s.mean() * np.sqrt(n) / sd
    return float(z), float(2 * stats.t.sf(abs(z), n - 1))


def event_study(
    returns: pd.DataFrame,
    assets: Sequence[str],
    market: str,
    events: Mapping[str, object],
    est_window: tuple[int, int] = (-250, -11),
    car_windows: Mapping[str, tuple[int, int]] = DEFAULT_CAR_WINDOWS,
    period_end: pd.Series | None = None,
    min_est_obs: int = 30,
    prediction_error: bool = True,
    alignment: str = "unspecified",
) -> EventStudyResult:
    """Market-model event study for several assets and/or several events.

    Parameters
    ----------
    returns : pd.DataFrame
        Aligned wide returns with the ``assets`` and ``market`` columns (log or simple, one grid).
    assets : sequence of str
        Assets studied, e.g. ``["TAO", "NEAR", "ICP", "RENDER"]`` or the AI equities.
    market : str
        Market-return column (``"BTC"`` for tokens, an index or basket for equities).
    events : mapping of str to timestamp
        ``event_id -> announcement time``; each event applies to every asset.
    est_window : (int, int), default (-250, -11)
        Estimation window in event time, inclusive, ending before the event (e.g. ``(-120, -6)`` for crypto).
    car_windows : mapping of str to (int, int)
        Named CAR windows in event time (inclusive), default [-1, +1] and [0, +5].
    period_end : pd.Series, optional
        Row end times (``AlignedReturns.period_end``) to place announcements; see :func:`event_day_zero`.
    min_est_obs : int, default 30
        Pairs with fewer complete estimation rows are skipped (absent from the result).
    prediction_error : bool, default True
        Include the parameter-estimation error in the CAR variance (MacKinlay eq. 9); False uses
        :math:`L_2\\sigma^2` only.
    alignment : str
        Carried into the result.

    Returns
    -------
    EventStudyResult

    Notes
    -----
    :math:`\\hat\\sigma^2 = SSR/(L_1 - 2)`. For a window of :math:`L_2` rows with regressors :math:`X^*`,
    :math:`\\mathrm{Var}(CAR) = \\hat\\sigma^2 (L_2 + \\iota' X^* (X'X)^{-1} X^{*\\prime} \\iota)`;
    :math:`t = CAR/\\sqrt{\\mathrm{Var}}` with a :math:`t_{L_1-2}` p-value; SCAR is that same ratio, fed to
    :func:`bmp_test`. Across pairs: cross-sectional :math:`t_{cs} = \\overline{CAR}\\sqrt N/s_{CAR}`;
    Brown–Warner portfolio :math:`t_{bw} = \\overline{CAR} / (\\sqrt{\\sum_i \\mathrm{Var}_i}/N)` (normal).
    Assumptions: market-model parameters stable over estimation and event windows, normal i.i.d. errors within
    a pair; the cross-sectional tests assume independence across pairs, which fails for assets sharing one
    event date (clustering) — treat the pooled statistics of one event as indicative only. A CAR window with a
    missing return yields NaN for that pair and window.

    References
    ----------
    MacKinlay, A. C. (1997). Event studies in economics and finance. Journal of Economic Literature 35(1), 13–39.
    Brown, S. J., and J. B. Warner (1985). Using daily stock returns. Journal of Financial Economics 14, 3–31.
    Boehmer, E., J. Musumeci and A. B. Poulsen (1991). Journal of Financial Economics 30(2), 253–272.
    """
    e1, e2 = est_window
    if e1 > e2:
        raise DataError(f"est_window={est_window}: start must be <= end")
    for name, (t1, t2) in car_windows.items():
        if t1 > t2:
            raise DataError(f"car window {name}={t1, t2}: start must be <= end")
        if t1 <= e2:
            raise DataError(f"car window {name} starts at {t1}, inside the estimation window ending at {e2}; "
                            f"end the estimation window earlier")
    missing = [c for c in [*assets, market] if c not in returns.columns]
    if missing:
        raise DataError(f"columns {missing} are not in the returns frame")
    frame = returns.sort_index()
    index = frame.index
    lo = min(t1 for t1, _ in car_windows.values())
    hi = max(t2 for _, t2 in car_windows.values())

    ab_rows, car_rows, par_rows = [], [], []
    for ev_id, ts in events.items():
        p0 = event_day_zero(index, ts, period_end)
        if p0 + e1 < 0:
            raise DataError(f"event {ev_id}: estimation window starts {-e1} rows before day 0 "
                            f"({index[p0]}) but only {p0} rows exist; shorten est_window or load more history")
        est = frame.iloc[p0 + e1: p0 + e2 + 1]
        for asset in assets:
            d = est[[asset, market]].dropna()
            L1 = len(d)
            if L1 < max(min_est_obs, 3):
                continue
            X = np.column_stack([np.ones(L1), d[market].to_numpy()])
            y = d[asset].to_numpy()
            XtXi = np.linalg.inv(X.T @ X)
            coef = XtXi @ X.T @ y
            resid = y - X @ coef
            sigma2 = float(resid @ resid / (L1 - 2))
            par_rows.append({"event_id": ev_id, "asset": asset, "day0": index[p0], "alpha": coef[0],
                             "beta": coef[1], "sigma": np.sqrt(sigma2), "n_est": L1})
            pos = np.arange(p0 + lo, p0 + hi + 1)
            pos = pos[(pos >= 0) & (pos < len(index))]
            r = frame[asset].to_numpy()[pos]
            m = frame[market].to_numpy()[pos]
            Xs = np.column_stack([np.ones(len(pos)), m])
            ar = r - Xs @ coef
            h = np.einsum("ij,jk,ik->i", Xs, XtXi, Xs)
            sar = ar / np.sqrt(sigma2 * (1 + h)) if prediction_error else ar / np.sqrt(sigma2)
            rel = pos - p0
            for k in range(len(pos)):
                ab_rows.append({"event_id": ev_id, "asset": asset, "rel_day": int(rel[k]), "label": index[pos[k]],
                                "ret": r[k], "market": m[k], "ar": ar[k], "sar": sar[k]})
            for name, (t1, t2) in car_windows.items():
                sel = (rel >= t1) & (rel <= t2)
                n_days = int(sel.sum())
                if n_days < t2 - t1 + 1 or not np.isfinite(ar[sel]).all():
                    car = se = t = p = np.nan
                else:
                    car = float(ar[sel].sum())
                    g = Xs[sel].sum(axis=0)
                    var = sigma2 * (n_days + (g @ XtXi @ g if prediction_error else 0.0))
                    se = float(np.sqrt(var))
                    t = car / se
                    p = float(2 * stats.t.sf(abs(t), L1 - 2))
                car_rows.append({"event_id": ev_id, "asset": asset, "window": name, "tau1": t1, "tau2": t2,
                                 "car": car, "se": se, "t": t, "p": p, "scar": t, "n_days": n_days})

    if not par_rows:
        raise DataError(Text("event_study_short", f"no (event, asset) pair had {min_est_obs} complete estimation rows; "
                             f"shorten min_est_obs or load more history", need=min_est_obs))
    car_df = pd.DataFrame(car_rows)
    tests = _cross_section_tests(car_df, list(events))
    return EventStudyResult(
        abnormal=pd.DataFrame(ab_rows),
        car=car_df,
        tests=tests,
        params=pd.DataFrame(par_rows),
        est_window=(e1, e2),
        alignment=alignment,
        method=("market model OLS; CAR t with " + ("prediction-error variance" if prediction_error else
                "L2*sigma^2 variance") + "; cross-sectional t, Brown-Warner portfolio t, BMP (1991) z"),
    )


def _cross_section_tests(car: pd.DataFrame, event_ids: list[str]) -> pd.DataFrame:
    rows = []
    groups = [(ev, car[car["event_id"] == ev]) for ev in event_ids] + [("ALL", car)]
    for group, sub in groups:
        for name, w in sub.groupby("window", sort=False):
            ok = w.dropna(subset=["car", "se"])
            n = len(ok)
            mean = float(ok["car"].mean()) if n else np.nan
            if n >= 2 and ok["car"].std(ddof=1) > 0:
                t_cs = mean * np.sqrt(n) / float(ok["car"].std(ddof=1))
                p_cs = float(2 * stats.t.sf(abs(t_cs), n - 1))
            else:
                t_cs = p_cs = np.nan
            if n >= 1:
                t_bw = mean / (np.sqrt(float((ok["se"] ** 2).sum())) / n)
                p_bw = float(2 * stats.norm.sf(abs(t_bw)))
            else:
                t_bw = p_bw = np.nan
            z, pz = bmp_test(ok["scar"].to_numpy())
            rows.append({"group": group, "window": name, "n": n, "mean_car": mean, "t_cs": t_cs, "p_cs": p_cs,
                         "t_bw": t_bw, "p_bw": p_bw, "bmp_z": z, "bmp_p": pz})
    return pd.DataFrame(rows)
