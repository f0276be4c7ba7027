"""Calibration of the cascade on stored days, with the model's liquidations against the recorded ones per day
and the error band.

Per day ``t`` (after ``lookback_days`` of history): the book is estimated from the days up to ``t − 1``
(:func:`~selloff.analytics.cascade.book.estimate_book`, reference price = the previous close ≈ the day's open);
the day's excursions are the shocks — ``low_t / P0 − 1`` liquidates longs, ``high_t / P0 − 1`` shorts — and the
cascade (:func:`~selloff.analytics.cascade.model.fixed_point`) gives the model's long and short liquidations.
``k`` (impact) and ``scale`` (participation: the share of the configured levered OI that really is levered) are
chosen on a grid to minimise the sum over fit days and sides of ``(ln(model + f) − ln(recorded + f))²`` (``f`` a
floor in USD, so a day with nothing recorded counts without an infinite error).

Identification. The observed excursion already contains the cascade's own impact, so the exogenous part of a
day's move cannot be separated from daily data: ``k`` fitted here is an *effective* parameter (the amplification
that best maps an observed excursion to the recorded liquidations), not an estimate of Donier–Bonart's metaorder
``Y``; ``k`` and ``scale`` trade off against each other when the days' moves vary little. The leverage shares are
held at their configured values (not identified beside ``scale`` on daily totals). Accuracy is reported on the
fit days and, separately, on the last ``holdout_share`` of the days (fitted without them). A recorded total that
is ``partial`` (an undercounting feed) is a lower bound, so the model's error against it is biased upward.
"""
from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.cascade.book import Book, BookParams, estimate_books
from selloff.analytics.cascade.model import fixed_point
from selloff.analytics.fingerprint import code_version, fingerprint
from selloff.errors import ConfigError, DataError

__all__ = ["CalibParams", "Calibration", "accuracy", "calibrate", "day_books", "error_range"]


@dataclass(frozen=True)
class CalibParams:
    """Grid and sample of the calibration (``[cascade]`` in the config)."""

    k_max: float = 10.0
    k_grid_n: int = 81
    scale_min: float = 0.01
    scale_max: float = 10.0
    scale_grid_n: int = 61
    holdout_share: float = 0.33
    floor_usd: float = 1e4
    min_days: int = 30

    def __post_init__(self) -> None:
        if not (self.k_max > 0 and self.k_grid_n >= 2 and 0 < self.scale_min < self.scale_max and self.scale_grid_n >= 2):
            raise ConfigError("[cascade] calibration grid invalid: need k_max > 0, k_grid_n >= 2, 0 < scale_min < "
                              "scale_max, scale_grid_n >= 2; fix config.toml")
        if not 0 <= self.holdout_share < 1 or self.floor_usd <= 0 or self.min_days < 2:
            raise ConfigError("[cascade] need 0 <= holdout_share < 1, floor_usd > 0, min_days >= 2; fix config.toml")

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """``(k, scale)`` of every grid point, flattened (scale log-spaced)."""
        k = np.linspace(0.0, self.k_max, self.k_grid_n)
        sc = np.geomspace(self.scale_min, self.scale_max, self.scale_grid_n)
        kk, ss = np.meshgrid(k, sc, indexing="ij")
        return kk.ravel(), ss.ravel()


def accuracy(model_usd: np.ndarray, recorded_usd: np.ndarray, floor_usd: float) -> dict[str, float]:
    """Error band of the model against the record: ``ln((model + f)/(recorded + f))`` per day — its median
    absolute value, its 10 % and 90 % quantiles, the share of days within a factor of 2, and the median error on
    the days of the top decile of recorded liquidations (the days a cascade model is for; negative = too low)."""
    rec = np.asarray(recorded_usd, float)
    e = np.log((np.asarray(model_usd, float) + floor_usd) / (rec + floor_usd))
    if e.size == 0:
        return {"n_days": 0, "median_abs_log_error": float("nan"), "p10_log_error": float("nan"),
                "p90_log_error": float("nan"), "within_factor_2": float("nan"), "top_decile_median_log_error": float("nan")}
    top = e[rec >= np.quantile(rec, 0.9)]
    return {"n_days": int(e.size), "median_abs_log_error": float(np.median(np.abs(e))),
            "p10_log_error": float(np.quantile(e, 0.10)), "p90_log_error": float(np.quantile(e, 0.90)),
            "within_factor_2": float(np.mean(np.abs(e) <= np.log(2.0))),
            "top_decile_median_log_error": float(np.median(top))}


def error_range(model_usd: float, acc: dict, floor_usd: float) -> tuple[float, float]:
    """The range of recorded liquidations consistent with a model figure and an :func:`accuracy` band: the log
    error is ``e = ln((model + f)/(recorded + f))``, so the recorded figure lies between
    ``(model + f)·exp(−p90) − f`` and ``(model + f)·exp(−p10) − f`` on 80 % of the measured days (floored at 0).
    Assumes the new day's error is drawn like the measured days' (no regime change)."""
    m = float(model_usd) + floor_usd
    lo = max(0.0, m * math.exp(-float(acc["p90_log_error"])) - floor_usd)
    hi = max(0.0, m * math.exp(-float(acc["p10_log_error"])) - floor_usd)
    return lo, hi


@dataclass(frozen=True)
class Calibration:
    """Fitted ``k`` and ``scale``, the per-day fitted-vs-recorded frame and the accuracy figures."""

    asset: str
    k: float
    scale: float
    days: pd.DataFrame
    """``date, shock_down, shock_up, model_long_usd, model_short_usd, recorded_long_usd, recorded_short_usd,
    model_usd, recorded_usd, log_error, sample`` (``fit`` or ``holdout``)."""
    fit: dict
    holdout: dict
    k_at_edge: bool
    """The best ``k`` lies on the grid's edge (the optimum may lie beyond it)."""
    method: str = "grid search of (k, scale) minimising squared log errors per day and side"

    def to_dict(self) -> dict:
        d = self.days.assign(date=self.days["date"].astype(str))
        return {"asset": self.asset, "k": self.k, "scale": self.scale, "fit": self.fit, "holdout": self.holdout,
                "k_at_edge": self.k_at_edge, "method": self.method, "days": d.to_dict(orient="records")}


def day_books(daily: pd.DataFrame, params: BookParams, asset: str = "",
              dates: pd.Index | None = None) -> list[tuple[pd.Timestamp, Book, float, float]]:
    """For each day after ``lookback_days`` of history (only ``dates`` when given): ``(date, book at the previous
    close, shock_down, shock_up)`` with the shocks read off the day's low and high against the book's price."""
    d = daily.sort_index()
    keep = None if dates is None else set(pd.DatetimeIndex(dates))
    rows = [i for i in range(params.lookback_days, len(d)) if keep is None or d.index[i] in keep]
    lo = d["low"].to_numpy(float) if "low" in d else np.full(len(d), np.nan)
    hi = d["high"].to_numpy(float) if "high" in d else np.full(len(d), np.nan)
    rows = [i for i in rows if np.isfinite(lo[i]) and np.isfinite(hi[i])]
    out = []
    for i, book in zip(rows, estimate_books(d, params, asset, rows)):  # each from the rows before day i
        if isinstance(book, DataError) or not (np.isfinite(book.sigma_d) and book.adv_usd > 0):
            continue
        out.append((pd.Timestamp(d.index[i]), book, min(lo[i] / book.price - 1.0, 0.0), max(hi[i] / book.price - 1.0, 0.0)))
    return out


def _model(book: Book, shock_down: float, shock_up: float, k: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    val = book.qty * book.liq_price
    res = []
    for direction, side, s in ((-1, 1, shock_down), (1, -1, shock_up)):
        m = book.side == side
        if s == 0 or not m.any():
            res.append(np.zeros_like(k))
            continue
        _, q = fixed_point(book.liq_price[m], val[m], direction, book.price * (1.0 + s), k, scale, book.sigma_d, book.adv_usd)
        res.append(q)
    return res[0], res[1]


def calibrate(daily: pd.DataFrame, recorded: pd.DataFrame, params: BookParams, calib: CalibParams,
              asset: str = "", cache: MutableMapping[str, dict] | None = None) -> Calibration:
    """Fit ``k`` and ``scale`` on the days where liquidations are recorded (module docstring).

    Parameters
    ----------
    daily
        Consecutive dates (naive UTC) with ``close, low, high, open_interest_usd, volume_usd``.
    recorded
        Index: dates; ``liq_long_usd``, ``liq_short_usd`` (the one summing rule's daily totals).
    cache
        The grid search's outcome kept by a digest of ``daily``, ``recorded``, the parameters and the code (e.g. a
        :class:`selloff.diskcache.ResultCache`): the same inputs are not searched again, and give the same
        calibration bit for bit.

    Raises
    ------
    DataError
        Fewer than ``min_days`` days with a book and a record.
    """
    rec = recorded.reindex(columns=["liq_long_usd", "liq_short_usd"]).fillna(0.0)
    key = None if cache is None else _key(daily, rec, params, calib, asset)
    hit = _from_cache(cache.get(key), calib.k_grid_n * calib.scale_grid_n) if key is not None else None
    if hit is None:
        hit = _search(daily, rec, params, calib, asset)
        if key is not None:
            idx = pd.DatetimeIndex(hit[0])
            cache[key] = {"dates": [int(v) for v in idx.as_unit("ns").asi8], "unit": idx.unit, "tz": str(idx.tz or ""),
                          **{c: [float(v) for v in hit[i + 1]] for i, c in enumerate(_COLS)}, "best": hit[-1]}
    dates, sd, su, ml, ms, best = hit
    kk, ss = calib.grid()
    k, scale = float(kk[best]), float(ss[best])
    n = len(dates)
    n_hold = int(np.floor(calib.holdout_share * n))
    rl, rs = rec.loc[dates, "liq_long_usd"].to_numpy(float), rec.loc[dates, "liq_short_usd"].to_numpy(float)
    f = calib.floor_usd
    days = pd.DataFrame({"date": dates, "shock_down": sd, "shock_up": su, "model_long_usd": ml, "model_short_usd": ms,
                         "recorded_long_usd": rl, "recorded_short_usd": rs})
    days["model_usd"] = days["model_long_usd"] + days["model_short_usd"]
    days["recorded_usd"] = days["recorded_long_usd"] + days["recorded_short_usd"]
    days["log_error"] = np.log((days["model_usd"] + f) / (days["recorded_usd"] + f))
    days["sample"] = ["fit"] * (n - n_hold) + ["holdout"] * n_hold
    fit, hold = days[days["sample"] == "fit"], days[days["sample"] == "holdout"]
    return Calibration(asset, k, scale, days, accuracy(fit["model_usd"], fit["recorded_usd"], f),
                       accuracy(hold["model_usd"], hold["recorded_usd"], f),
                       k_at_edge=bool(k >= calib.k_max and calib.k_max > 0))


_COLS = ("shock_down", "shock_up", "model_long_usd", "model_short_usd")
"""The per-day columns of the grid search's outcome (beside the dates and the best grid point)."""


def _search(daily: pd.DataFrame, rec: pd.DataFrame, params: BookParams, calib: CalibParams, asset: str):
    """The grid search: ``(dates, shock_down, shock_up, model_long, model_short, best)``, the model's columns at
    the best grid point ``best`` (an index into :meth:`CalibParams.grid`)."""
    books = day_books(daily, params, asset, rec.index) if len(rec) >= calib.min_days else []
    if len(books) < calib.min_days:
        raise DataError(f"{asset or 'asset'}: {len(books)} days with recorded liquidations, open interest and prices; "
                        f"the calibration needs {calib.min_days} ([cascade] min_days) — fetch more derivatives history")
    kk, ss = calib.grid()
    n = len(books)
    n_hold = int(np.floor(calib.holdout_share * n))
    ml, ms = np.empty((n, kk.size)), np.empty((n, kk.size))
    for i, (_, book, sd, su) in enumerate(books):
        ml[i], ms[i] = _model(book, sd, su, kk, ss)
    dates = [b[0] for b in books]
    rl, rs = rec.loc[dates, "liq_long_usd"].to_numpy(float), rec.loc[dates, "liq_short_usd"].to_numpy(float)
    f = calib.floor_usd
    err = (np.log(ml + f) - np.log(rl + f)[:, None]) ** 2 + (np.log(ms + f) - np.log(rs + f)[:, None]) ** 2
    best = int(np.argmin(err[slice(0, n - n_hold)].sum(axis=0)))
    return (dates, np.array([b[2] for b in books]), np.array([b[3] for b in books]), ml[:, best].copy(),
            ms[:, best].copy(), best)


def _key(daily: pd.DataFrame, rec: pd.DataFrame, params: BookParams, calib: CalibParams, asset: str) -> str:
    """Everything the grid search depends on: the inputs' values, the parameters, the code."""
    num = daily.select_dtypes("number")
    return fingerprint("cascade-calibration", asset, repr(params), repr(calib),
                       pd.DatetimeIndex(daily.index).asi8, [str(c) for c in num.columns], num.to_numpy(float),
                       pd.DatetimeIndex(rec.index).asi8, rec.to_numpy(float),
                       code_version(("numpy", "pandas"), ("selloff.analytics.cascade.calibrate",
                                                          "selloff.analytics.cascade.model", "selloff.analytics.cascade.book")))


def _from_cache(obj, grid_size: int):
    """The grid search's outcome from a cache entry, or None when the entry is missing or not of this shape."""
    if not isinstance(obj, dict) or not isinstance(obj.get("dates"), list) or not isinstance(obj.get("best"), int):
        return None
    n = len(obj["dates"])
    cols = [obj.get(c) for c in _COLS]
    if not (0 <= obj["best"] < grid_size and all(isinstance(c, list) and len(c) == n for c in cols)):
        return None
    if not all(isinstance(v, int) for v in obj["dates"]) or not all(isinstance(v, float) for c in cols for v in c):
        return None
    if obj.get("unit") not in ("s", "ms", "us", "ns") or not isinstance(obj.get("tz"), str):
        return None
    idx = pd.DatetimeIndex(np.array(obj["dates"], "datetime64[ns]")).as_unit(obj["unit"])
    idx = idx.tz_localize("UTC").tz_convert(obj["tz"]) if obj["tz"] else idx  # as the dates were: unit, zone
    return (list(idx), *[np.array(c, float) for c in cols], obj["best"])
