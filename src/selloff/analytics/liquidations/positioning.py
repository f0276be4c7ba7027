"""Open interest and funding per asset and UTC day, and the positioning regime read off price × ΔOI.

Rules (one per number)
    * :func:`daily_open_interest`: per (asset, venue, UTC day) the last stored ``open_interest_usd`` of the day
      (the day's closing OI); per (asset, day) the ``aggregate`` venue when present, else the sum over venues.
    * :func:`daily_funding`: per (asset, venue, day) the mean stored ``funding_rate`` (fraction per funding
      interval); per (asset, day) the ``aggregate`` venue when present, else the plain mean over venues (not
      OI-weighted: venues' OI is not always stored beside their funding).
    * :func:`positioning_regime`: the classic four-way reading of a day's close-to-close move against the change
      of closing OI (e.g. LiquidVision's "price × ΔOI" regime, see ``shared/research/anchors.md`` §1.2):

      ===========  ==========  =================
      price        OI          regime
      ===========  ==========  =================
      up           up          ``new longs``
      up           down        ``short covering``
      down         up          ``new shorts``
      down         down        ``long flush``
      ===========  ==========  =================

      A day whose move or OI change is smaller in size than its threshold is ``flat``. The reading is a
      convention, not an identification: OI rises when *any* new position opens, and every long has a short; the
      labels name which side was most likely the aggressor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.frames import pivot_last
from selloff.errors import ConfigError

__all__ = ["REGIMES", "RegimeParams", "daily_funding", "daily_open_interest", "positioning_regime"]

REGIMES = ("new longs", "short covering", "new shorts", "long flush", "flat")


@dataclass(frozen=True)
class RegimeParams:
    """Thresholds of :func:`positioning_regime` (``[liquidations]`` in the config)."""

    min_move_pct: float = 0.5
    """A close-to-close move smaller than this in size is flat (per cent)."""
    min_oi_change_pct: float = 1.0
    """An OI change smaller than this in size is flat (per cent)."""

    def __post_init__(self) -> None:
        for name in ("min_move_pct", "min_oi_change_pct"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ConfigError(f"[liquidations] regime_{name} = {v} must be a number >= 0; fix it in config.toml")


def _day(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, utc=True).dt.tz_localize(None).dt.normalize()


def _per_day(derivatives: pd.DataFrame, column: str, how: str, across: str) -> pd.DataFrame:
    cols = ["asset", "date", column]
    if derivatives.empty or column not in derivatives:
        return pd.DataFrame(columns=cols)
    d = derivatives[derivatives[column].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    d = d.assign(date=_day(d["ts"]), ts=pd.to_datetime(d["ts"], utc=True)).sort_values("ts")
    g = d.groupby(["asset", "venue", "date"], sort=True)[column]
    per_venue = (g.last() if how == "last" else g.mean()).reset_index()
    agg = per_venue[per_venue["venue"] == "aggregate"]
    rest = per_venue[per_venue["venue"] != "aggregate"]
    rest = rest[~rest.set_index(["asset", "date"]).index.isin(agg.set_index(["asset", "date"]).index)]
    combined = rest.groupby(["asset", "date"])[column].agg(across).reset_index()
    out = pd.concat([agg[cols], combined[cols]], ignore_index=True)
    return out.sort_values(["asset", "date"]).reset_index(drop=True)


def daily_open_interest(derivatives: pd.DataFrame) -> pd.DataFrame:
    """Closing open interest per asset and UTC day: long frame ``asset, date, open_interest_usd`` (naive dates)."""
    return _per_day(derivatives, "open_interest_usd", "last", "sum")


def daily_funding(derivatives: pd.DataFrame) -> pd.DataFrame:
    """Mean funding rate per asset and UTC day: long frame ``asset, date, funding_rate`` (fraction per interval)."""
    return _per_day(derivatives, "funding_rate", "mean", "mean")


def positioning_regime(close: pd.DataFrame, open_interest: pd.DataFrame, params: RegimeParams = RegimeParams()) -> pd.DataFrame:
    """The positioning regime per asset and day from the close-to-close move and the change of closing OI.

    Parameters
    ----------
    close
        Daily closes, wide (index = naive UTC date, one column per asset).
    open_interest
        Long ``asset, date, open_interest_usd`` (:func:`daily_open_interest`).
    params
        Flat thresholds.

    Returns
    -------
    DataFrame
        ``asset, date, ret_pct, oi_change_pct, regime`` for every day with both changes defined (a day after a
        missing close or OI has none).
    """
    cols = ["asset", "date", "ret_pct", "oi_change_pct", "regime"]
    if close.empty or open_interest.empty:
        return pd.DataFrame(columns=cols)
    oi = pivot_last(open_interest, "date", "asset", "open_interest_usd")
    rows = []
    for a in sorted(set(close.columns) & set(oi.columns)):
        both = pd.concat([close[a].rename("close"), oi[a].rename("oi")], axis=1).sort_index()
        full = both.index.min() + pd.to_timedelta(np.arange((both.index.max() - both.index.min()).days + 1), "D")
        both = both.reindex(full)  # a missing day leaves a gap, never a two-day change
        ret = both["close"].pct_change(fill_method=None) * 100.0
        doi = both["oi"].pct_change(fill_method=None) * 100.0
        ok = ret.notna() & doi.notna()
        r, o = ret[ok], doi[ok]
        up, down = r >= params.min_move_pct, r <= -params.min_move_pct
        grow, shrink = o >= params.min_oi_change_pct, o <= -params.min_oi_change_pct
        regime = np.select([up & grow, up & shrink, down & grow, down & shrink], list(REGIMES[:4]), REGIMES[4])
        rows.append(pd.DataFrame({"asset": a, "date": r.index, "ret_pct": r.to_numpy(), "oi_change_pct": o.to_numpy(),
                                  "regime": regime}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
