"""Collective sell-off detection, episodes and stabilisation signals.

A day is a sell-off day for a sector when (all three hold)
  * the sector index return is at most ``move_threshold_pct`` per cent,
  * its z-score against the volatility forecast from the days before (EWMA, or GARCH(1,1) with
    ``vol_method = "garch"``) is at most ``-z_threshold``,
  * the share of members falling by more than ``breadth_drop_pct`` per cent is at least ``breadth_threshold``.
Consecutive sell-off days (gaps of at most ``merge_gap_days`` quiet days) form one episode. Defaults live in
``config/defaults.toml`` ([detect], [stabilise]).
"""
from __future__ import annotations

import math

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from selloff.analytics.sector import breadth as breadth_share
from selloff.analytics.volatility import ewma_volatility, garch_sigma_path
from selloff.config import defaults
from selloff.errors import ConfigError

VOL_METHODS = ("ewma", "garch")


@dataclass(frozen=True)
class DetectParams:
    ewma_lambda: float = 0.94
    vol_window_days: int = 90
    min_history_days: int = 30
    z_threshold: float = 2.5
    move_threshold_pct: float = -8.0
    breadth_threshold: float = 0.6
    breadth_drop_pct: float = -5.0
    merge_gap_days: int = 1
    vol_method: str = "ewma"
    """``ewma`` (RiskMetrics) or ``garch`` (GARCH(1,1), see :func:`~selloff.analytics.volatility.garch_sigma_path`)."""
    garch_window_days: int = 365
    garch_refit_days: int = 30
    garch_min_obs: int = 100
    garch_dist: str = "t"

    def __post_init__(self) -> None:
        if self.vol_method not in VOL_METHODS:
            raise ConfigError(f"vol_method {self.vol_method!r} (--vol, or vol_method in the config's detect section) is unknown; "
                              f"use one of {', '.join(VOL_METHODS)}")
        checks = (
            ("z_threshold", "--z", self.z_threshold, 0.0, None, "a sigma size >= 0, e.g. 2.5"),
            ("move_threshold_pct", "--move", self.move_threshold_pct, None, 0.0, "a fall in per cent <= 0, e.g. -8"),
            ("breadth_threshold", "--breadth", self.breadth_threshold, 0.0, 1.0, "a share of members 0..1, e.g. 0.6"),
            ("breadth_drop_pct", "[detect] breadth_drop_pct", self.breadth_drop_pct, None, 0.0, "a fall in per cent <= 0"),
            ("ewma_lambda", "[detect] ewma_lambda", self.ewma_lambda, 0.0, 1.0, "a decay 0..1, e.g. 0.94"),
        )
        for key, opt, v, lo, hi, what in checks:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (lo is None or v >= lo) and (hi is None or v <= hi)
            if not ok:
                raise ConfigError(f"{opt} {v!r} ({key}) is out of range; pass {what}")
        for key in ("vol_window_days", "min_history_days", "merge_gap_days", "garch_window_days", "garch_refit_days", "garch_min_obs"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < (0 if key == "merge_gap_days" else 1):
                raise ConfigError(f"[detect] {key} = {v!r} is not a positive whole number of days; fix it in config.toml")

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> "DetectParams":
        cfg = defaults("detect")
        cfg.update(overrides or {})
        return cls(**cfg)


@dataclass(frozen=True)
class StabiliseParams:
    no_new_low_days: int = 3
    vol_ratio_max: float = 1.5
    vol_window_days: int = 7
    recovered_share_min: float = 0.33

    @classmethod
    def from_config(cls, overrides: dict | None = None) -> "StabiliseParams":
        cfg = defaults("stabilise")
        cfg.update(overrides or {})
        return cls(**cfg)


@dataclass(frozen=True)
class Episode:
    sector: str
    start: pd.Timestamp
    """First sell-off day."""
    end: pd.Timestamp
    """Last sell-off day."""
    trough: pd.Timestamp
    """Day of the lowest index close from ``start`` to the end of the data or the next episode."""
    depth_pct: float
    """Index change from the close before ``start`` to the trough close, per cent."""
    worst_day: pd.Timestamp
    worst_day_pct: float
    worst_day_z: float
    max_breadth: float
    days: int
    breadth_path: tuple[float, ...] = field(default=())
    params: DetectParams = field(default_factory=DetectParams)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["params"] = asdict(self.params)
        for k in ("start", "end", "trough", "worst_day"):
            d[k] = d[k].date().isoformat()
        return d


def sector_sigma(sector_ret: pd.Series, params: DetectParams, method: str | None = None) -> pd.Series:
    """One-step-ahead sigma of the sector return from the days before each day, by ``method`` (default
    ``params.vol_method``): EWMA (RiskMetrics 1996) or GARCH(1,1) refitted per block (Bollerslev 1986)."""
    method = method or params.vol_method
    if method == "ewma":
        return ewma_volatility(sector_ret, params.ewma_lambda, params.min_history_days)
    if method == "garch":
        return garch_sigma_path(sector_ret, params.garch_window_days, params.garch_refit_days, params.garch_min_obs, params.garch_dist)
    raise ConfigError(f"vol_method {method!r} is unknown; use one of {', '.join(VOL_METHODS)}")


def daily_signals(sector_ret: pd.Series, member_ret: pd.DataFrame, members: list[str], params: DetectParams) -> pd.DataFrame:
    """Per day: sector return (%), sigma (%, EWMA or GARCH by ``params.vol_method``, from the days before),
    z-score, breadth, and whether the day qualifies."""
    sigma = sector_sigma(sector_ret, params)
    z = sector_ret / sigma
    br = breadth_share(member_ret, members, params.breadth_drop_pct / 100.0)
    out = pd.DataFrame({"ret_pct": 100 * sector_ret, "sigma_pct": 100 * sigma, "z": z, "breadth": br})
    out["selloff"] = (
        (out["ret_pct"] <= params.move_threshold_pct)
        & (out["z"] <= -params.z_threshold)
        & (out["breadth"] >= params.breadth_threshold)
    )
    return out


def detect_episodes(
    sector_ret: pd.Series,
    member_ret: pd.DataFrame,
    members: list[str],
    sector: str = "sector",
    params: DetectParams | None = None,
) -> list[Episode]:
    """Find collective sell-off episodes (see module docstring) in daily sector and member returns.

    Parameters
    ----------
    sector_ret
        Daily sector index returns (fractions), index = dates.
    member_ret
        Daily member returns (fractions), same index.
    """
    params = params or DetectParams()
    sig = daily_signals(sector_ret, member_ret, members, params)
    days = list(sig.index[sig["selloff"].fillna(False).to_numpy(bool)])
    if not days:
        return []
    idx = {d: i for i, d in enumerate(sig.index)}
    groups: list[list] = [[days[0]]]
    for d in days[1:]:
        if idx[d] - idx[groups[-1][-1]] <= params.merge_gap_days + 1:
            groups[-1].append(d)
        else:
            groups.append([d])
    level = (1.0 + sector_ret.fillna(0.0)).cumprod()
    episodes = []
    for gi, g in enumerate(groups):
        start, end = g[0], g[-1]
        i0 = idx[start]
        horizon_end = idx[groups[gi + 1][0]] - 1 if gi + 1 < len(groups) else len(sig) - 1
        before = level.iloc[i0 - 1] if i0 > 0 else level.iloc[0] / (1.0 + sector_ret.iloc[0])
        window = level.iloc[i0 : horizon_end + 1]
        trough = window.idxmin()
        seg = sig.loc[start:end]
        worst = seg["ret_pct"].idxmin()
        episodes.append(
            Episode(
                sector=sector,
                start=pd.Timestamp(start),
                end=pd.Timestamp(end),
                trough=pd.Timestamp(trough),
                depth_pct=float(100.0 * (window.min() / before - 1.0)),
                worst_day=pd.Timestamp(worst),
                worst_day_pct=float(seg.loc[worst, "ret_pct"]),
                worst_day_z=float(seg.loc[worst, "z"]),
                max_breadth=float(seg["breadth"].max()),
                days=len(seg),
                breadth_path=tuple(float(x) for x in sig.loc[start:end, "breadth"]),
                params=params,
            )
        )
    return episodes


@dataclass(frozen=True)
class Stabilisation:
    asof: pd.Timestamp
    trough: pd.Timestamp
    days_since_trough: int
    no_new_low: bool
    vol_ratio: float
    """Realised vol of the last ``vol_window_days`` after the trough over its pre-episode level."""
    vol_normal: bool
    recovered_share: float
    """Share of the episode's drop recovered by ``asof`` (0 = at the low, 1 = fully back)."""
    recovered: bool
    verdict: str
    """``stabilising`` when at least two signals hold, ``tentative`` for one, ``not yet stabilising`` for none."""
    params: StabiliseParams


def stabilisation(
    sector_ret: pd.Series, episode: Episode, asof: object = None, params: StabiliseParams | None = None
) -> Stabilisation:
    """Stabilisation signals after an episode's trough, as of ``asof`` (default: last day in the data).

    Notes
    -----
    Realised vol is the standard deviation of daily returns; the pre-episode level uses the same number of
    days ending the day before the episode starts. Assumes daily returns with no gaps.
    """
    return stabilisation_since(sector_ret, episode.start, asof, params)


def stabilisation_since(
    sector_ret: pd.Series, start: object, asof: object = None, params: StabiliseParams | None = None
) -> Stabilisation:
    """The stabilisation signals of :func:`stabilisation` for a sell-off that began on ``start`` (a day in the
    index of ``sector_ret``), whatever found it: the episode detector or a watch rule that fired that day.

    Notes
    -----
    Same computation and assumptions as :func:`stabilisation` (daily returns without gaps; ``start`` must be a
    day of the series, else ``KeyError``).
    """
    params = params or StabiliseParams()
    r = sector_ret.dropna()
    if asof is not None:
        r = r.loc[:asof]
    asof_ts = r.index[-1]
    level = (1.0 + r).cumprod()
    start_pos = r.index.get_loc(start)
    before = level.iloc[start_pos - 1] if start_pos > 0 else 1.0
    after = level.loc[start:]
    trough_day = after.idxmin()
    low = after.min()
    days_since = int(len(after.loc[trough_day:]) - 1)
    no_new_low = days_since >= params.no_new_low_days
    w = params.vol_window_days
    post = r.loc[trough_day:].iloc[1:].tail(w)
    pre = r.iloc[max(0, start_pos - w) : start_pos]
    vol_ratio = float(post.std(ddof=1) / pre.std(ddof=1)) if len(post) >= 3 and len(pre) >= 3 else float("nan")
    vol_normal = bool(np.isfinite(vol_ratio) and vol_ratio <= params.vol_ratio_max)
    drop = before - low
    rec = float((level.iloc[-1] - low) / drop) if drop > 0 else 1.0
    recovered = rec >= params.recovered_share_min
    n = int(no_new_low) + int(vol_normal) + int(recovered)
    verdict = "stabilising" if n >= 2 else ("tentative" if n == 1 else "not yet stabilising")
    return Stabilisation(pd.Timestamp(asof_ts), pd.Timestamp(trough_day), days_since, no_new_low, vol_ratio, vol_normal, rec, recovered, verdict, params)
