"""What the watch sees: every asset's price on a regular grid up to now, and the readings rules test on it.

Prices come from two kinds of stored rows, one source per series (chosen by the pipeline): bar closes (a bar
opening at ``ts`` closes at ``ts + interval``) and provider snapshots (``market_caps.price_usd`` at the
snapshot's ``ts``). The grid value at time ``g`` is the latest price observed at or before ``g`` and no more
than ``staleness`` earlier (the convention of :mod:`selloff.analytics.measures`); older or absent: NaN, so a
stale feed gives no reading rather than an old one.

Readings (each ``None`` when a price it needs is missing):

* change over a window: :func:`selloff.analytics.measures.pct_change` of the grid prices at ``now - window``
  and ``now``;
* sigma-scaled move: ``z = ln(P_now / P_{now-w}) / (s * sqrt(w / step))`` where ``s`` is the sample standard
  deviation (ddof 1) of the grid's one-step log returns in the ``baseline`` before ``now - w`` (the move itself
  is excluded from its own baseline). Assumes independent, identically distributed step returns with zero mean
  (square-root-of-time scaling), as the RiskMetrics convention does for daily returns (J.P. Morgan/Reuters 1996,
  RiskMetrics Technical Document, 4th ed., sec. 3.2);
* breadth: :func:`selloff.analytics.sector.breadth` (share of members with a reading whose change over the
  window is below the threshold), computed only when at least ``min_coverage`` of the members have one;
* daily sector returns for the detector and the stabilisation signals: :func:`selloff.analytics.sector.sector_returns`
  of the members' closes at 00:00 UTC (crypto days close then), with the latest price as the provisional close of
  the current day, weighted by the members' caps at the previous close by the rule of the report and the scan
  (:func:`selloff.analytics.sector.carried_cap_weights`: snapshots' ``market_cap_usd`` at 00:00 UTC, carried
  forward); equal weights only where no member has a cap.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from selloff.analytics.measures import pct_change
from selloff.analytics.frames import caps_at_close
from selloff.analytics.sector import breadth, carried_cap_weights, sector_returns

__all__ = ["Observations", "change_reading", "daily_member_returns", "daily_sector_returns", "observations",
           "price_grid", "price_points", "sector_breadth", "zscore_reading"]

POINT_COLUMNS = ["asset", "ts", "price", "source"]


_UNIT = {"m": "min", "h": "h", "d": "D"}


def _interval(interval: str) -> pd.Timedelta:
    """A bar interval (``5m``, ``1h``, ``1d``) as a Timedelta."""
    return pd.Timedelta(f"{interval[:-1]}{_UNIT[interval[-1]]}")


def price_points(bars: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Long price points ``asset, ts, price, source`` from bar closes (at the bar's close time) and snapshot
    prices (``market_caps.price_usd`` at ``ts``); sorted by asset and time, the later row kept on a tie (a
    snapshot over a bar). Snapshots with ``market_cap_usd`` add that column (NaN on bar points): the caps that
    weigh the daily sector returns."""
    parts = []
    if bars is not None and not bars.empty:
        b = bars.dropna(subset=["close"])
        close_ts = pd.to_datetime(b["ts"], utc=True) + b["interval"].map(_interval)
        parts.append(pd.DataFrame({"asset": b["asset"], "ts": close_ts, "price": b["close"].astype(float),
                                   "source": b["source"]}))
    if snapshots is not None and not snapshots.empty and "price_usd" in snapshots:
        s = snapshots.dropna(subset=["price_usd"])
        snap = pd.DataFrame({"asset": s["asset"], "ts": pd.to_datetime(s["ts"], utc=True),
                             "price": s["price_usd"].astype(float), "source": s["source"]})
        if "market_cap_usd" in s:
            snap["market_cap_usd"] = s["market_cap_usd"].astype(float)
        parts.append(snap)
    if not parts:
        return pd.DataFrame(columns=POINT_COLUMNS)
    out = pd.concat(parts, ignore_index=True).sort_values(["asset", "ts"], kind="stable")
    return out.drop_duplicates(["asset", "ts"], keep="last").reset_index(drop=True)


def price_grid(points: pd.DataFrame, assets: Sequence[str], end: pd.Timestamp, step: pd.Timedelta,
               start: pd.Timestamp, staleness: pd.Timedelta) -> pd.DataFrame:
    """Wide prices on the grid ``floor(start) .. floor(end)`` every ``step`` (times aligned to multiples of
    ``step`` since the epoch), one column per asset: the latest point at or before each grid time, at most
    ``staleness`` old, else NaN."""
    grid = pd.date_range(start.ceil(step), end.floor(step), freq=step, name="ts")
    cols = list(assets)
    if points.empty or grid.empty:
        return pd.DataFrame(index=grid, columns=cols, dtype=float)
    left = pd.DataFrame({"ts": np.tile(grid.to_numpy(), len(cols)), "asset": np.repeat(cols, len(grid))})
    left["ts"] = pd.to_datetime(left["ts"], utc=True)
    right = points[points["asset"].isin(cols)][["ts", "asset", "price"]].sort_values("ts", kind="stable")
    hit = pd.merge_asof(left.sort_values("ts", kind="stable"), right, on="ts", by="asset", direction="backward",
                        tolerance=staleness, allow_exact_matches=True)
    out = hit.pivot(index="ts", columns="asset", values="price").reindex(index=grid, columns=cols)
    out.columns.name = None
    return out.astype(float)


@dataclass(frozen=True)
class Observations:
    """The watch's view of the market at ``asof`` (the evaluation time, normally now).

    ``points`` hold every asset's observed prices (time-sorted); :meth:`price` reads them with the staleness
    rule. ``prices`` is the regular grid (every ``step``, aligned to the epoch) up to ``asof`` plus a last row at
    ``asof`` itself: the baselines, crossings and daily closes are read on it.
    """

    asof: pd.Timestamp
    step: pd.Timedelta
    prices: pd.DataFrame
    points: Mapping[str, pd.Series] = field(default_factory=dict)
    staleness: pd.Timedelta = pd.Timedelta(0)
    sectors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    simulated: bool = False
    caps: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Caps at each UTC day's close (:func:`selloff.analytics.frames.caps_at_close`); empty: equal weights."""

    @cached_property
    def log_returns(self) -> pd.DataFrame:
        """One-step log returns of the grid (NaN across a missing price)."""
        return np.log(self.prices.astype(float)).diff()

    @cached_property
    def daily_returns(self) -> pd.DataFrame:
        """Every asset's daily return labelled by UTC day from the grid's 00:00 UTC closes; the current day's return
        uses the latest price as its provisional close."""
        p = self.prices
        closes = p[p.index == p.index.floor("D")]
        if self.asof != self.asof.floor("D") and self.asof in p.index:
            closes = pd.concat([closes, p.loc[[self.asof]].set_axis([self.asof.ceil("D")])])
        # a close at 00:00 UTC of day d+1 ends day d
        closes.index = (closes.index - pd.Timedelta(days=1)).tz_localize(None).normalize()
        return closes.pct_change(fill_method=None).iloc[1:]

    def price(self, asset: str, at: pd.Timestamp) -> float | None:
        """The latest observed price of ``asset`` at or before ``at``, at most ``staleness`` old (else None)."""
        s = self.points.get(asset)
        if s is None or s.empty:
            return None
        i = int(s.index.searchsorted(at, side="right")) - 1
        if i < 0 or at - s.index[i] > self.staleness:
            return None
        return float(s.iloc[i])

    @classmethod
    def from_frame(cls, prices: pd.DataFrame, step: pd.Timedelta, sectors: Mapping[str, tuple[str, ...]] | None = None,
                   staleness: pd.Timedelta = pd.Timedelta(0)) -> "Observations":
        """Observations whose points are exactly the cells of a wide grid frame (tests, replays)."""
        pts = {c: prices[c].dropna().astype(float) for c in prices.columns}
        return cls(prices.index[-1], step, prices, pts, staleness, dict(sectors or {}))


def observations(points: pd.DataFrame, assets: Sequence[str], sectors: Mapping[str, tuple[str, ...]],
                 asof: pd.Timestamp, start: pd.Timestamp, step: pd.Timedelta, staleness: pd.Timedelta) -> Observations:
    """:class:`Observations` at ``asof`` from long price points (:func:`price_points`): the grid from ``start``
    every ``step`` up to ``asof``, plus a row at ``asof`` when it is not on the grid."""
    groups = dict(tuple(points.groupby("asset", sort=False))) if not points.empty else {}
    empty = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    pts = {a: pd.Series(groups[a]["price"].to_numpy(float), index=pd.DatetimeIndex(groups[a]["ts"])) if a in groups
           else empty for a in assets}
    grid = price_grid(points, assets, asof, step, start, staleness)
    if grid.empty or grid.index[-1] != asof:
        probe = Observations(asof, step, grid, pts, staleness)
        last = pd.DataFrame([{a: probe.price(a, asof) for a in assets}], index=pd.DatetimeIndex([asof], name="ts"),
                            columns=list(assets), dtype=float)
        grid = pd.concat([grid, last]) if not grid.empty else last
    srcs = tuple(sorted(points["source"].dropna().unique())) if not points.empty else ()
    caps = (caps_at_close(points.dropna(subset=["market_cap_usd"])) if "market_cap_usd" in points
            else pd.DataFrame())
    return Observations(asof, step, grid, pts, staleness, dict(sectors), srcs, "simulated" in srcs, caps)


def change_reading(obs: Observations, asset: str, window: pd.Timedelta) -> dict | None:
    """``{"change_pct", "p0", "p1", "from", "to"}`` over the ``window`` to ``asof``; None without both prices."""
    t0 = obs.asof - window
    p0, p1 = obs.price(asset, t0), obs.price(asset, obs.asof)
    chg = pct_change(p0, p1)
    if chg is None:
        return None
    return {"change_pct": chg, "p0": p0, "p1": p1, "from": t0.isoformat(), "to": obs.asof.isoformat()}


def zscore_reading(obs: Observations, asset: str, window: pd.Timedelta, baseline: pd.Timedelta,
                   min_obs: int) -> dict | None:
    """``{"z", "move_log", "sigma_step", "n_baseline", ...}``: the window's log move over its baseline sigma
    (see the module docstring); None without both prices or with fewer than ``min_obs`` baseline returns."""
    t0 = obs.asof - window
    p0, p1 = obs.price(asset, t0), obs.price(asset, obs.asof)
    if p0 is None or p1 is None or p0 <= 0 or p1 <= 0 or asset not in obs.prices:
        return None
    r = obs.log_returns[asset].loc[t0 - baseline : t0].iloc[1:].dropna()
    if len(r) < max(2, min_obs):
        return None
    s = float(r.std(ddof=1))
    if not math.isfinite(s) or s <= 0:
        return None
    k = window / obs.step
    move = math.log(p1 / p0)
    return {"z": move / (s * math.sqrt(k)), "move_log": move, "change_pct": pct_change(p0, p1),
            "sigma_step": s, "n_baseline": int(len(r)), "from": t0.isoformat(), "to": obs.asof.isoformat()}


def sector_breadth(obs: Observations, members: Sequence[str], window: pd.Timedelta, drop_pct: float,
                   min_coverage: float) -> dict | None:
    """``{"share", "down", "with_reading", "members", "changes"}``: the share of members with a change over
    ``window`` below ``drop_pct`` per cent, among those with one; None when fewer than ``min_coverage`` of the
    members have a reading."""
    changes = {}
    for a in members:
        r = change_reading(obs, a, window)
        if r is not None:
            changes[a] = r["change_pct"]
    if not members or len(changes) < max(1, math.ceil(min_coverage * len(members))):
        return None
    frame = pd.DataFrame([{a: v / 100.0 for a, v in changes.items()}])
    share = float(breadth(frame, list(changes), drop_pct / 100.0).iloc[0])
    down = sum(v / 100.0 < drop_pct / 100.0 for v in changes.values())
    return {"share": share, "down": int(down), "with_reading": len(changes), "members": len(members),
            "changes": {a: round(v, 4) for a, v in sorted(changes.items())}}


def daily_member_returns(obs: Observations, members: Sequence[str]) -> pd.DataFrame:
    """The members' columns of :attr:`Observations.daily_returns` (those the grid has)."""
    present = [m for m in members if m in obs.prices.columns]
    return obs.daily_returns[present] if present else pd.DataFrame()


def daily_sector_returns(obs: Observations, members: Sequence[str]) -> pd.Series:
    """Daily sector returns (:func:`daily_member_returns` through :func:`selloff.analytics.sector.sector_returns`),
    cap-weighted by :attr:`Observations.caps` as the report and the scan weigh (equal weights without caps)."""
    rets = daily_member_returns(obs, members)
    if rets.empty:
        return pd.Series(dtype=float, name="sector")
    cols = list(rets.columns)
    if obs.caps.empty:
        return sector_returns(rets, cols)
    # one row before the first return, so its weights are the caps at the close before it (as on the report's
    # panel, whose returns start with the first close's NaN row)
    idx = rets.index.insert(0, rets.index[0] - pd.Timedelta(days=1))
    return sector_returns(rets.reindex(idx), cols, carried_cap_weights(obs.caps, idx, cols)).iloc[1:]
