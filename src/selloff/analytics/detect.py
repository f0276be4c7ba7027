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
    horizon_days: int = 30
    """Longest life of an episode after its last sell-off day unless the stabilisation signals end it first."""
    slide_min_days: int = 2
    slide_max_days: int = 10
    slide_z: float = 3.0
    """A slide: cumulative move over k days at most ``-slide_z * sigma * sqrt(k)``, ..."""
    slide_move_pct: float = -15.0
    """... and at most this in per cent, ..."""
    slide_breadth: float = 0.6
    """... with at least this share of members down more than ``slide_breadth_drop_pct`` over the same k days."""
    slide_breadth_drop_pct: float = -10.0

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
            ("slide_z", "[detect] slide_z", self.slide_z, 0.0, None, "a sigma size >= 0, e.g. 3"),
            ("slide_move_pct", "[detect] slide_move_pct", self.slide_move_pct, None, 0.0, "a fall in per cent <= 0"),
            ("slide_breadth", "[detect] slide_breadth", self.slide_breadth, 0.0, 1.0, "a share of members 0..1"),
            ("slide_breadth_drop_pct", "[detect] slide_breadth_drop_pct", self.slide_breadth_drop_pct, None, 0.0,
             "a fall in per cent <= 0"),
        )
        for key, opt, v, lo, hi, what in checks:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (lo is None or v >= lo) and (hi is None or v <= hi)
            if not ok:
                raise ConfigError(f"{opt} {v!r} ({key}) is out of range; pass {what}")
        if not (isinstance(self.slide_min_days, int) and isinstance(self.slide_max_days, int)
                and 2 <= self.slide_min_days <= self.slide_max_days):
            raise ConfigError(f"[detect] slide_min_days = {self.slide_min_days!r}, slide_max_days = {self.slide_max_days!r}: "
                              f"need 2 <= slide_min_days <= slide_max_days (days); fix them in config.toml")
        for key in ("vol_window_days", "min_history_days", "merge_gap_days", "garch_window_days", "garch_refit_days",
                    "garch_min_obs", "horizon_days"):
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


EPISODE_KINDS = ("day", "slide")


@dataclass(frozen=True)
class Episode:
    """A collective sell-off with a bounded life.

    ``kind`` is ``day`` (sell-off days, see the module docstring) or ``slide`` (a cumulative move over 2-10 days
    that no single day flags). The episode lives from ``start`` to ``life_end``: the first day from ``end`` on
    when the stabilisation signals say ``stabilising``, or ``horizon_days`` after ``end`` (or the day before
    the next episode, or the end of the data) — ``end_reason`` says which. ``depth_pct`` and ``trough`` are
    measured inside that life; the later drawdown to the next low is the separate ``next_low_pct``.
    """

    sector: str
    start: pd.Timestamp
    """First sell-off day (slide: first day of the sliding window)."""
    end: pd.Timestamp
    """Last sell-off day (slide: last day of the window)."""
    trough: pd.Timestamp
    """Day of the lowest index close inside the episode's life (``start`` .. ``life_end``)."""
    depth_pct: float
    """Index change from the close before ``start`` to the trough close, per cent."""
    worst_day: pd.Timestamp
    worst_day_pct: float
    worst_day_z: float
    max_breadth: float
    days: int
    breadth_path: tuple[float, ...] = field(default=())
    params: DetectParams = field(default_factory=DetectParams)
    kind: str = "day"
    life_end: pd.Timestamp | None = None
    end_reason: str = ""
    """``stabilised``, ``horizon``, ``next episode`` or ``open`` (the data end before the horizon)."""
    move_pct: float = float("nan")
    """The flagged move: the worst day's move (day) or the window's cumulative move (slide), per cent."""
    move_z: float = float("nan")
    """That move over its sigma (slide: over sigma * sqrt(window days))."""
    score: float = float("nan")
    """Ranking figure: ``-move_z * max_breadth`` (larger = a harder, broader sell-off)."""
    next_low: pd.Timestamp | None = None
    next_low_pct: float = float("nan")
    """Drawdown from the close before ``start`` to the lowest close before the next episode (or the data end):
    the later bear market, not the sell-off itself."""
    worst_24h_pct: float = float("nan")
    """Worst rolling 24 h move of the sector on hourly bars inside the life (NaN without hourly bars)."""
    worst_24h_end: pd.Timestamp | None = None
    intraday_low_pct: float = float("nan")
    """Lowest hourly close inside the life against the close before ``start``, per cent."""
    intraday_low_ts: pd.Timestamp | None = None

    def contains(self, day: object) -> bool:
        """Whether ``day`` lies inside the episode's life."""
        d = pd.Timestamp(day)
        d = d.tz_localize(None) if d.tzinfo is not None and self.start.tzinfo is None else d
        return self.start <= d <= (self.life_end if self.life_end is not None else self.end)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["params"] = asdict(self.params)
        for k in ("start", "end", "trough", "worst_day", "life_end", "next_low"):
            d[k] = None if d[k] is None else d[k].date().isoformat()
        for k in ("worst_24h_end", "intraday_low_ts"):
            d[k] = None if d[k] is None else pd.Timestamp(d[k]).isoformat()
        return d


def sector_sigma(sector_ret: pd.Series, params: DetectParams, method: str | None = None,
                 start: object = None) -> pd.Series:
    """One-step-ahead sigma of the sector return from the days before each day, by ``method`` (default
    ``params.vol_method``): EWMA (RiskMetrics 1996) or GARCH(1,1) refitted per block (Bollerslev 1986).
    ``start``: only the days from it on are needed (GARCH then fits only the blocks that reach them; EWMA, a
    single pass, computes every day)."""
    method = method or params.vol_method
    if method == "ewma":
        return ewma_volatility(sector_ret, params.ewma_lambda, params.min_history_days)
    if method == "garch":
        return garch_sigma_path(sector_ret, params.garch_window_days, params.garch_refit_days, params.garch_min_obs,
                                params.garch_dist, start=start)
    raise ConfigError(f"vol_method {method!r} is unknown; use one of {', '.join(VOL_METHODS)}")


def daily_signals(sector_ret: pd.Series, member_ret: pd.DataFrame, members: list[str], params: DetectParams) -> pd.DataFrame:
    """Per day: sector return (%), sigma (%, EWMA or GARCH by ``params.vol_method``, from the days before),
    z-score, breadth, and whether the day qualifies."""
    return signals_from(sector_ret, breadth_share(member_ret, members, params.breadth_drop_pct / 100.0), params)


def signals_from(sector_ret: pd.Series, breadth: pd.Series, params: DetectParams) -> pd.DataFrame:
    """:func:`daily_signals` from a sector return and a breadth already computed (the all-sector fast path)."""
    sigma = sector_sigma(sector_ret, params)
    out = pd.DataFrame({"ret_pct": 100 * sector_ret, "sigma_pct": 100 * sigma, "z": sector_ret / sigma,
                        "breadth": breadth})
    out["selloff"] = ((out["ret_pct"] <= params.move_threshold_pct) & (out["z"] <= -params.z_threshold)
                      & (out["breadth"] >= params.breadth_threshold))
    return out


def _day_groups(sig: pd.DataFrame, gap: int) -> list[tuple[int, int]]:
    """(first, last) row positions of runs of sell-off days separated by at most ``gap`` quiet days."""
    pos = np.flatnonzero(sig["selloff"].fillna(False).to_numpy(bool))
    groups: list[list[int]] = []
    for i in pos:
        if groups and i - groups[-1][1] <= gap + 1:
            groups[-1][1] = int(i)
        else:
            groups.append([int(i), int(i)])
    return [(a, b) for a, b in groups]


def detect_episodes(
    sector_ret: pd.Series,
    member_ret: pd.DataFrame,
    members: list[str],
    sector: str = "sector",
    params: DetectParams | None = None,
    *,
    signals: pd.DataFrame | None = None,
    stabilise: StabiliseParams | None = None,
    hourly_level: pd.Series | None = None,
) -> list[Episode]:
    """Find collective sell-off episodes (see module docstring) in daily sector and member returns.

    Parameters
    ----------
    sector_ret
        Daily sector index returns (fractions), index = dates.
    member_ret
        Daily member returns (fractions), same index.
    signals
        :func:`daily_signals` already computed (else computed here).
    stabilise
        The signals that end an episode's life (default :class:`StabiliseParams`).
    hourly_level
        The sector's hourly index level (UTC ts index), for the intraday figures; None: left NaN.

    Notes
    -----
    Day episodes are runs of sell-off days; slides (:func:`selloff.analytics.slides.slide_windows`) are added
    where no sell-off day lies inside the sliding window, or where the days before its first sell-off day fall by
    ``slide_move_pct`` on their own (the slide of 29 Jan - 5 Feb 2026 that ends in the crash of 5 Feb: both are
    reported, each with its kind). Each episode's life runs from its start until the stabilisation verdict
    (:func:`stabilisation`) is ``stabilising`` on a day from its last flagged day on, or ``horizon_days`` after it,
    bounded by the next episode that starts after its last flagged day.
    """
    from selloff.analytics.intraday import worst_in_window
    from selloff.analytics.slides import slide_windows

    params = params or DetectParams()
    stabilise = stabilise or StabiliseParams()
    sig = signals if signals is not None else daily_signals(sector_ret, member_ret, members, params)
    flagged = [("day", a, b, None) for a, b in _day_groups(sig, params.merge_gap_days)]
    sell = sig["selloff"].fillna(False).to_numpy(bool)
    r = sector_ret.fillna(0.0).to_numpy(float)
    level = np.cumprod(1.0 + r)
    held = [m for m in members if m in member_ret]
    mr = member_ret if held == list(member_ret.columns) else member_ret[held]  # no copy when it is all of them
    for w in slide_windows(sector_ret, sig["sigma_pct"] / 100.0, mr, params).itertuples():
        inside = np.flatnonzero(sell[w.first:w.last + 1])
        # a slide of its own: no sell-off day in it, or the days before its first sell-off day fall by
        # slide_move_pct on their own (the slide that ended in the crash, not the crash alone)
        pre = level[w.first + inside[0] - 1] / (level[w.first - 1] if w.first > 0 else 1.0) - 1.0 if len(inside) and inside[0] else 0.0
        if not len(inside) or pre <= params.slide_move_pct / 100.0:
            flagged.append(("slide", w.first, w.last, w))
    if not flagged:
        return []
    flagged.sort(key=lambda f: (f[1], f[0]))
    starts = np.array([f[1] for f in flagged])
    clean = sector_ret.dropna()
    n = len(sig)
    episodes = []
    for k, (kind, a, b, w) in enumerate(flagged):
        later = starts[starts > b]  # the next episode starting after this one's last flagged day bounds its life
        bound = int(later.min()) - 1 if len(later) else n - 1
        life, reason = _life(clean, sig.index, a, b, bound, n, params.horizon_days, stabilise)
        before = level[a - 1] if a > 0 else 1.0
        t = a + int(np.argmin(level[a:life + 1]))
        nl = a + int(np.argmin(level[a:bound + 1]))
        seg = sig.iloc[a:b + 1]
        worst = int(np.argmin(seg["ret_pct"].to_numpy(float)))
        if kind == "day":
            move, z, mb = float(seg["ret_pct"].iloc[worst]), float(seg["z"].iloc[worst]), float(seg["breadth"].max())
        else:
            move, z, mb = float(w.move_pct), float(w.z), float(w.breadth)
        start, life_end = pd.Timestamp(sig.index[a]), pd.Timestamp(sig.index[life])
        intra = worst_in_window(hourly_level, start, life_end) if hourly_level is not None else {}
        episodes.append(Episode(
            sector=sector, start=start, end=pd.Timestamp(sig.index[b]), trough=pd.Timestamp(sig.index[t]),
            depth_pct=float(100.0 * (level[t] / before - 1.0)), worst_day=pd.Timestamp(seg.index[worst]),
            worst_day_pct=float(seg["ret_pct"].iloc[worst]), worst_day_z=float(seg["z"].iloc[worst]),
            max_breadth=mb, days=b - a + 1, breadth_path=tuple(float(x) for x in seg["breadth"]), params=params,
            kind=kind, life_end=life_end, end_reason=reason, move_pct=move, move_z=z, score=float(-z * mb),
            next_low=pd.Timestamp(sig.index[nl]), next_low_pct=float(100.0 * (level[nl] / before - 1.0)), **intra))
    return episodes


def _life(clean: pd.Series, index: pd.Index, a: int, b: int, bound: int, n: int, horizon: int,
          stabilise: StabiliseParams) -> tuple[int, str]:
    """Last row of an episode's life (see :class:`Episode`) and why it ends there."""
    cap = b + horizon
    last = min(cap, bound)
    pos = clean.index.get_indexer(index[a:last + 1])  # rows of the days in the non-missing returns (-1: none)
    if pos[0] >= 0:
        rv = clean.to_numpy(float)
        for j in range(b, last + 1):
            p = pos[j - a]
            if p >= 0 and stabilising(rv, int(pos[0]), int(p), stabilise):
                return j, "stabilised"
    if cap <= bound:
        return cap, "horizon"
    return last, ("next episode" if bound < n - 1 else "open")


def stabilising(r: np.ndarray, start: int, asof: int, params: StabiliseParams) -> bool:
    """Whether :func:`stabilisation` says ``stabilising`` for an episode starting at row ``start`` of the
    non-missing returns ``r``, as of row ``asof`` (the same rules on arrays; a test checks they agree)."""
    w = params.vol_window_days
    s0 = max(0, start - w)
    rv = r[s0:asof + 1]
    sp = start - s0
    level = np.cumprod(1.0 + rv)
    before = level[sp - 1] if sp > 0 else 1.0
    t = int(np.argmin(level[sp:]))
    low = level[sp + t]
    no_new_low = len(level) - 1 - (sp + t) >= params.no_new_low_days
    post, pre = rv[sp + t + 1:][-w:], rv[max(0, sp - w):sp]
    ratio = float(np.std(post, ddof=1) / np.std(pre, ddof=1)) if len(post) >= 3 and len(pre) >= 3 else float("nan")
    vol_normal = bool(np.isfinite(ratio) and ratio <= params.vol_ratio_max)
    drop = before - low
    recovered = ((level[-1] - low) / drop if drop > 0 else 1.0) >= params.recovered_share_min
    return int(no_new_low) + int(vol_normal) + int(recovered) >= 2


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
    return _signals(r, r.index.get_loc(start), params)


def _signals(r: pd.Series, start_pos: int, params: StabiliseParams) -> Stabilisation:
    """The stabilisation signals of an episode starting at row ``start_pos`` of ``r``, as of its last row."""
    asof_ts = r.index[-1]
    level = (1.0 + r).cumprod()
    before = level.iloc[start_pos - 1] if start_pos > 0 else 1.0
    after = level.iloc[start_pos:]
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
