"""Liquidations broken down by asset, venue, side and UTC hour or day, with the coverage of every cell carried;
their share of open interest; the largest hours beside the price move of the same hour; funding and OI before
versus during a window.

Every cell is summed from :func:`~selloff.analytics.liquidations.totals.usable_rows` (the one rule: aggregate venue
or the sum of venues, never both; the finest interval per venue and day), so a breakdown always adds up to
:func:`~selloff.analytics.liquidations.totals.liquidation_total` over the same window. A cell is ``partial`` (a
lower bound) when any of its rows' coverage says the feed undercounts — e.g. Binance's ``forceOrder`` stream pushes
at most one liquidation per symbol per second, so bursts are cut (developers.binance.com, "Liquidation Order
Streams").
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from selloff.analytics.liquidations.positioning import daily_funding, daily_open_interest
from selloff.analytics.liquidations.totals import STEPS, is_partial, usable_rows
from selloff.errors import ConfigError
from selloff.timeutil import utc

__all__ = ["BY_KEYS", "before_during", "largest_hours", "liquidation_breakdown", "oi_share"]

BY_KEYS = ("asset", "venue", "side", "day", "hour")
"""The keys a breakdown may group by (``day`` and ``hour`` exclude each other)."""


def _window(d: pd.DataFrame, start: object, end: object) -> pd.DataFrame:
    """Usable rows whose interval lies inside ``[start, end)`` (either bound may be None)."""
    if not d.empty and start is not None:
        d = d[pd.to_datetime(d["ts"], utc=True) >= utc(start, "start")]
    u = usable_rows(d)
    if not u.empty and end is not None:
        u = u[u["ts"] + u["step"] <= utc(end, "end")]
    return u


def _coverage(notes: pd.Series) -> str:
    return "; ".join(sorted({str(c) for c in notes.dropna()}))


def _cell_coverage(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The distinct coverage notes of each cell, sorted and joined by ``; `` ("" for none), in the groupby's order.
    With one distinct note in all the rows (the common case) this is a count per cell, not a Python call per cell."""
    notes = rows["coverage"].dropna().astype(str)
    if notes.nunique() <= 1:
        note = notes.iloc[0] if len(notes) else ""
        has = rows["coverage"].notna().groupby([rows[k] for k in keys], sort=True).any()
        return has.map({True: note, False: ""})
    return rows.groupby(keys, sort=True)["coverage"].agg(_coverage)


def liquidation_breakdown(derivatives: pd.DataFrame, by: Sequence[str] = ("asset", "venue", "side", "day"),
                          start: object = None, end: object = None) -> pd.DataFrame:
    """Liquidated USD grouped by ``by`` (a subset of :data:`BY_KEYS`), coverage carried per cell.

    ``side`` splits long from short liquidations; ``day`` is the UTC day a row's interval starts in (naive
    midnight), ``hour`` its UTC hour — only rows of one hour or finer count towards an hourly breakdown (a daily
    row cannot be put in an hour). Rows of ``[start, end)`` only when bounds are given.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``liq_usd``, ``n_rows``, ``coverage`` (distinct notes joined by ``; ``) and
        ``partial`` (a lower bound: some row's feed undercounts); largest first within the natural order of keys.
    """
    keys = list(by)
    bad = [k for k in keys if k not in BY_KEYS]
    if not keys or bad or ("day" in keys and "hour" in keys):
        raise ConfigError(f"breakdown keys {keys} invalid; choose from {', '.join(BY_KEYS)} (day or hour, not both)")
    cols = [*keys, "liq_usd", "n_rows", "coverage", "partial"]
    u = _window(derivatives, start, end)
    if "hour" in keys and not u.empty:
        u = u[u["step"] <= STEPS["1h"]]
    if u.empty:
        return pd.DataFrame(columns=cols)
    u = u.assign(day=u["ts"].dt.tz_localize(None).dt.normalize(), hour=u["ts"].dt.floor("h"))
    if "coverage" not in u:
        u = u.assign(coverage=None)
    if "side" in keys:
        rows = pd.concat([u.assign(side=s, liq_usd=u[f"liq_{s}_usd"]) for s in ("long", "short")], ignore_index=True)
        rows = rows[rows["liq_usd"].notna()]
    else:
        rows = u  # liq_usd = long + short per row (a row with one side missing counts the other)
    out = rows.groupby(keys, sort=True).agg(liq_usd=("liq_usd", "sum"), n_rows=("liq_usd", "size"))
    out = out.assign(coverage=_cell_coverage(rows, keys).reindex(out.index).to_numpy()).reset_index()
    out["partial"] = [is_partial(c.split("; ")) if c else False for c in out["coverage"]]
    out["n_rows"] = out["n_rows"].astype(int)
    return out[cols]


def oi_share(derivatives: pd.DataFrame) -> pd.DataFrame:
    """Each asset-day's liquidations as a share of the open interest at the previous day's close.

    Returns ``asset, date, liq_usd, oi_prev_usd, share_pct, partial`` (``share_pct`` NaN where the previous
    closing OI is not stored). Reference level: Cheng, Deng, Wang & Yu (2021, arXiv 2102.04591) find daily forced
    liquidations of 3.51 % (long) and 1.89 % (short) of outstanding OI on the BitMEX perpetual.
    """
    cols = ["asset", "date", "liq_usd", "oi_prev_usd", "share_pct", "partial"]
    liq = liquidation_breakdown(derivatives, ("asset", "day"))
    if liq.empty:
        return pd.DataFrame(columns=cols)
    liq = liq.rename(columns={"day": "date"})
    oi = daily_open_interest(derivatives)
    if oi.empty:
        return liq.assign(oi_prev_usd=np.nan, share_pct=np.nan)[cols]
    prev = oi.assign(date=oi["date"] + pd.Timedelta(days=1)).rename(columns={"open_interest_usd": "oi_prev_usd"})
    out = liq.merge(prev, on=["asset", "date"], how="left")
    out["share_pct"] = 100.0 * out["liq_usd"] / out["oi_prev_usd"]
    return out[cols]


def largest_hours(derivatives: pd.DataFrame, hourly_bars: pd.DataFrame, n: int, start: object = None,
                  end: object = None) -> pd.DataFrame:
    """The ``n`` asset-hours with the most liquidations, each with the same hour's price move.

    ``move_pct`` is the hourly bar's close over its open, minus one, in per cent (NaN where no hourly bar of the
    asset is stored for that hour). Returns ``hour, asset, liq_long_usd, liq_short_usd, liq_usd, move_pct,
    coverage, partial``.
    """
    if n < 1:
        raise ConfigError(f"[liquidations] largest_hours = {n} must be >= 1; fix it in config.toml")
    cols = ["hour", "asset", "liq_long_usd", "liq_short_usd", "liq_usd", "move_pct", "coverage", "partial"]
    by_side = liquidation_breakdown(derivatives, ("asset", "hour", "side"), start, end)
    if by_side.empty:
        return pd.DataFrame(columns=cols)
    wide = by_side.pivot_table(index=["asset", "hour"], columns="side", values="liq_usd", aggfunc="sum").reset_index()
    for s in ("long", "short"):
        wide[f"liq_{s}_usd"] = wide[s] if s in wide else 0.0
    wide = wide.fillna({"liq_long_usd": 0.0, "liq_short_usd": 0.0})
    wide["liq_usd"] = wide["liq_long_usd"] + wide["liq_short_usd"]
    cov = liquidation_breakdown(derivatives, ("asset", "hour"), start, end)[["asset", "hour", "coverage", "partial"]]
    top = wide.merge(cov, on=["asset", "hour"]).sort_values("liq_usd", ascending=False, kind="stable").head(n)
    if hourly_bars is not None and not hourly_bars.empty:
        hb = hourly_bars.assign(hour=pd.to_datetime(hourly_bars["ts"], utc=True))
        hb = hb.assign(move_pct=100.0 * (hb["close"] / hb["open"] - 1.0))[["asset", "hour", "move_pct"]]
        top = top.merge(hb.drop_duplicates(["asset", "hour"]), on=["asset", "hour"], how="left")
    else:
        top = top.assign(move_pct=np.nan)
    return top[cols].reset_index(drop=True)


def before_during(derivatives: pd.DataFrame, start: object, end: object, before_days: int) -> pd.DataFrame:
    """Funding and open interest in the ``before_days`` UTC days before ``[start, end)`` versus inside it.

    Per asset: ``funding_before`` and ``funding_during`` (mean daily funding rate, fraction per funding interval,
    by :func:`~selloff.analytics.liquidations.positioning.daily_funding`), ``oi_before_usd`` (closing OI of the
    last day before ``start``), ``oi_end_usd`` (closing OI of the window's last day), ``oi_min_usd`` (lowest
    closing OI in the window) and ``oi_change_pct`` (end over before, minus one, per cent).
    """
    if before_days < 1:
        raise ConfigError(f"[liquidations] before_days = {before_days} must be >= 1; fix it in config.toml")
    cols = ["asset", "funding_before", "funding_during", "oi_before_usd", "oi_end_usd", "oi_min_usd", "oi_change_pct"]
    t0 = utc(start, "start").tz_localize(None).normalize()
    t1 = utc(end, "end").tz_localize(None)
    f, oi = daily_funding(derivatives), daily_open_interest(derivatives)
    assets = sorted(set(f["asset"]) | set(oi["asset"]))
    if not assets:
        return pd.DataFrame(columns=cols)
    lo = t0 - pd.Timedelta(days=before_days)
    rows = []
    for a in assets:
        fa, oa = f[f["asset"] == a], oi[oi["asset"] == a]
        fb = fa[(fa["date"] >= lo) & (fa["date"] < t0)]["funding_rate"]
        fd = fa[(fa["date"] >= t0) & (fa["date"] < t1)]["funding_rate"]
        ob = oa[(oa["date"] >= lo) & (oa["date"] < t0)]["open_interest_usd"]
        od = oa[(oa["date"] >= t0) & (oa["date"] < t1)]["open_interest_usd"]
        before = float(ob.iloc[-1]) if len(ob) else np.nan
        last = float(od.iloc[-1]) if len(od) else np.nan
        rows.append({"asset": a, "funding_before": float(fb.mean()) if len(fb) else np.nan,
                     "funding_during": float(fd.mean()) if len(fd) else np.nan, "oi_before_usd": before,
                     "oi_end_usd": last, "oi_min_usd": float(od.min()) if len(od) else np.nan,
                     "oi_change_pct": 100.0 * (last / before - 1.0) if before > 0 and np.isfinite(last) else np.nan})
    return pd.DataFrame(rows, columns=cols)
