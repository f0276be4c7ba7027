"""Liquidation totals: the one rule by which every figure of liquidated positions is summed.

Report, claim check, ``explain``, the cascade model's calibration and (later) the dashboard all sum the
store's ``derivatives`` rows through :func:`usable_rows`, so they cannot disagree about the same window.

Rule (:func:`usable_rows`)
    1. Only rows that carry liquidation data count (``liq_long_usd`` or ``liq_short_usd`` not null): funding and
       open-interest rows of the same table are not zero liquidations.
    2. Per asset and UTC day, the ``aggregate`` venue (a provider's market-wide figure, e.g. CoinGlass) is used
       when present, else the sum over the individual venues — never both, which would double count.
    3. Per (asset, venue) and UTC day, only the finest interval is used (hourly rows and their daily sum are not
       added); a day with only daily rows keeps them, whatever finer data other days have.
    4. ``coverage`` travels with the total; a total is ``partial`` (a lower bound) when any row's coverage says the
       feed undercounts (e.g. Binance's forceOrder stream: one event per symbol per second).

The caller chooses the source per series first (:func:`selloff.analytics.sources_priority.select_series` with
keys ``asset, interval, venue``) and drops simulated rows where they must not count as evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from selloff.timeutil import utc

__all__ = ["LiquidationTotal", "STEPS", "daily_liquidations", "hourly_liquidations", "is_partial", "liquidation_total",
           "usable_rows"]

STEPS = {k: pd.Timedelta(v) for k, v in
         {"1m": "1min", "5m": "5min", "15m": "15min", "1h": "1h", "4h": "4h", "8h": "8h", "1d": "1D"}.items()}
"""Length of each stored interval (a row covers ``[ts, ts + step)``); other intervals count as one day."""


@dataclass(frozen=True)
class LiquidationTotal:
    """Liquidations (long + short, USD) whose interval lies inside ``[start, end)``.

    ``partial`` is true when any row's ``coverage`` says the feed undercounts (then the total is a lower
    bound); ``coverage`` lists the distinct coverage notes. Values are ``None`` when no row carries data.
    """

    total_usd: float | None
    long_usd: float | None
    short_usd: float | None
    start: pd.Timestamp
    end: pd.Timestamp
    n_rows: int
    assets: tuple[str, ...]
    venues: tuple[str, ...]
    coverage: tuple[str, ...]
    partial: bool
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"total_usd": self.total_usd, "long_usd": self.long_usd, "short_usd": self.short_usd,
                "start": self.start.isoformat(), "end": self.end.isoformat(), "n_rows": self.n_rows,
                "assets": list(self.assets), "venues": list(self.venues), "coverage": list(self.coverage),
                "partial": self.partial, "sources": list(self.sources)}


def is_partial(notes: tuple[str, ...] | list[str]) -> bool:
    """Whether any coverage note says its feed undercounts (``partial`` or ``undercount`` in the note)."""
    return any(("partial" in c.lower()) or ("undercount" in c.lower()) for c in notes)


def usable_rows(derivatives: pd.DataFrame, assets: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """The rows that count towards a liquidation total (rules 1-3 of the module docstring), with ``step``
    (interval length) and ``liq_usd`` (long + short) columns added."""
    d = derivatives
    if d.empty:
        return d.assign(step=pd.Series(dtype="timedelta64[ns]"), liq_usd=pd.Series(dtype=float))
    if assets is not None:
        d = d[d["asset"].isin(list(assets))]
    d = d[d["liq_long_usd"].notna() | d["liq_short_usd"].notna()].copy()
    if d.empty:
        return d.assign(step=pd.Series(dtype="timedelta64[ns]"), liq_usd=pd.Series(dtype=float))
    d["ts"] = pd.to_datetime(d["ts"], utc=True)
    d["step"] = d["interval"].map(STEPS).fillna(pd.Timedelta("1D"))
    day = d["ts"].dt.tz_convert("UTC").dt.normalize()
    is_agg = d["venue"] == "aggregate"
    agg = is_agg.groupby([d["asset"], day]).transform("any")
    d, day = d[~agg | is_agg], day[~agg | is_agg]
    finest = d.groupby([d["asset"], d["venue"], day])["step"].transform("min")
    d = d[d["step"] == finest]
    return d.assign(liq_usd=d["liq_long_usd"].fillna(0.0) + d["liq_short_usd"].fillna(0.0))


def liquidation_total(derivatives: pd.DataFrame, start: object, end: object,
                      assets: list[str] | tuple[str, ...] | None = None) -> LiquidationTotal:
    """Sum of ``liq_long_usd + liq_short_usd`` over the usable rows whose interval lies inside ``[start, end)``.

    Parameters
    ----------
    derivatives
        Long ``derivatives`` rows (asset, interval, ts, venue, source, liq_long_usd, liq_short_usd, coverage),
        one source per (asset, interval, venue).
    start, end
        Window bounds (naive means UTC); a row counts when ``start <= ts`` and ``ts + step <= end``.
    assets
        Restrict to these assets (default: every asset in the frame).
    """
    t0, t1 = utc(start, "start"), utc(end, "end")
    d = derivatives
    if not d.empty:  # the window first (rows that start inside it), then the rule on what is left
        ts = pd.to_datetime(d["ts"], utc=True)
        d = d[(ts >= t0) & (ts < t1)]
    u = usable_rows(d, assets)
    if not u.empty:
        u = u[u["ts"] + u["step"] <= t1]
    if u.empty:
        return LiquidationTotal(None, None, None, t0, t1, 0, (), (), (), False)
    lo, sh = float(u["liq_long_usd"].fillna(0).sum()), float(u["liq_short_usd"].fillna(0).sum())
    cov = tuple(sorted({str(c) for c in u["coverage"].dropna()})) if "coverage" in u else ()
    srcs = tuple(sorted(u["source"].dropna().unique())) if "source" in u else ()
    return LiquidationTotal(lo + sh, lo, sh, t0, t1, len(u), tuple(sorted(u["asset"].unique())),
                            tuple(sorted(u["venue"].unique())), cov, is_partial(cov), srcs)


def daily_liquidations(derivatives: pd.DataFrame) -> pd.Series:
    """Liquidations (long + short, USD) per UTC day (naive date index), by the same rule as
    :func:`liquidation_total`; a row is counted on the day its interval starts."""
    u = usable_rows(derivatives)
    if u.empty:
        return pd.Series(dtype=float, name="liq_usd")
    day = u["ts"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    return u.groupby(day.rename("date"))["liq_usd"].sum().rename("liq_usd")


def hourly_liquidations(derivatives: pd.DataFrame) -> pd.DataFrame:
    """Long and short liquidations per hour (UTC index) from the usable hourly rows (empty without any)."""
    u = usable_rows(derivatives)
    u = u[u["interval"] == "1h"] if not u.empty else u
    if u.empty:
        return pd.DataFrame(columns=["liq_long_usd", "liq_short_usd"])
    return u.groupby("ts")[["liq_long_usd", "liq_short_usd"]].sum()
