"""Liquidations of a window: load the derivatives and bars once, call the liquidation analytics, return a
frozen :class:`LiquidationResult`."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from selloff.analytics import liquidations as L
from selloff.analytics.panel import Panel, build_panel
from selloff.analytics.sources_priority import SIMULATED
from selloff.config import defaults
from selloff.errors import ConfigError, DataError
from selloff.pipeline import params as P
from selloff.store import Store
from selloff.timeutil import day_start, parse_date
from selloff.universe import Universe

__all__ = ["DERIVATIVE_COLUMNS", "LiquidationResult", "liquidations", "load_derivatives"]

DERIVATIVE_COLUMNS = ("asset", "interval", "ts", "venue", "source", "funding_rate", "open_interest_usd",
                      "liq_long_usd", "liq_short_usd", "coverage")
BAR_COLUMNS = ("asset", "interval", "ts", "source", "open", "high", "low", "close", "volume")


def load_derivatives(store: Store, universe: Universe, assets: list[str] | None, start: pd.Timestamp | None,
                     end: pd.Timestamp | None) -> Panel:
    """One read of ``derivatives`` (every column the liquidation and cascade analytics use) and one of daily and
    hourly ``bars`` for the assets found, in ``[start, end]``; one source per series (the panel's rule)."""
    der = store.read("derivatives", columns=list(DERIVATIVE_COLUMNS), assets=assets, start=start, end=end, order=False)
    ids = sorted(der["asset"].unique()) if not der.empty else list(assets or [])
    if not ids:
        raise DataError("no derivatives rows stored" + (f" between {start} and {end}" if start is not None else "")
                        + "; run `selloff demo` or `selloff fetch` with a derivatives source (coinglass, exchanges)")
    bars = store.read("bars", columns=list(BAR_COLUMNS), assets=ids, start=start, end=end, order=False)
    bars = bars[bars["interval"].isin(["1d", "1h"])] if not bars.empty else bars
    kinds = {a: universe.asset(a).kind if a in universe.assets else "token" for a in ids}
    return build_panel({"bars": bars, "derivatives": der}, kinds, P.priority(), start, end, store=str(store.path))


def assets_of(universe: Universe, sector: str | None, asset: str | None) -> list[str] | None:
    """The assets a request names: one asset, a sector's members, or None (every asset stored)."""
    if asset is not None and sector is not None:
        raise ConfigError(f"pass --asset {asset} or --sector {sector}, not both")
    if asset is not None:
        return [universe.asset(asset).id] if asset in universe.assets else [str(asset)]
    if sector is not None:
        return list(universe.sector(sector).members)
    return None


@dataclass(frozen=True)
class LiquidationResult:
    """Liquidations of ``[start, end)`` (``None``: everything stored) with their breakdowns.

    ``tables``: ``by_asset`` (asset, side), ``by_venue`` (asset, venue, side), ``by_day`` (asset, day, side),
    ``by_hour`` (asset, hour, side; hourly or finer rows only), ``oi_share``, ``largest_hours``,
    ``before_during`` (with a window start only) and ``regimes`` — every liquidation cell from the one rule
    (:mod:`selloff.analytics.liquidations`), coverage and ``partial`` carried.
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    assets: tuple[str, ...]
    total: L.LiquidationTotal | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    simulated: bool = False
    sources: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.total is not None and self.total.partial)

    def to_frame(self) -> pd.DataFrame:
        """The finest table: liquidated USD by asset, venue, day and side, with coverage."""
        f = self.tables.get("by_venue_day", pd.DataFrame()).copy()
        f.attrs.update(simulated=self.simulated, partial=self.partial, sources=list(self.sources))
        return f

    def to_dict(self) -> dict:
        import json

        def rows(df: pd.DataFrame) -> list[dict]:
            return json.loads(df.to_json(orient="records", date_format="iso")) if not df.empty else []

        return {"start": None if self.start is None else self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(), "assets": list(self.assets),
                "total": None if self.total is None else self.total.to_dict(), "partial": self.partial,
                "simulated": self.simulated, "sources": list(self.sources),
                "tables": {k: rows(v) for k, v in self.tables.items()}}


def _window(date: object, since: object, until: object) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    d, s, u = parse_date(date, "date"), parse_date(since, "since"), parse_date(until, "until")
    if d is not None and (s is not None or u is not None):
        raise ConfigError("pass --date or --since/--until, not both")
    if d is not None:
        return day_start(d), day_start(d) + pd.Timedelta(days=1)
    if s is not None and u is not None and s > u:
        raise ConfigError(f"--since {s.date()} is after --until {u.date()}; swap them")
    return (None if s is None else day_start(s)), (None if u is None else day_start(u) + pd.Timedelta(days=1))


def liquidations(store: Store, universe: Universe, sector: str | None = None, asset: str | None = None,
                 date: object = None, since: object = None, until: object = None) -> LiquidationResult:
    """Totals and breakdowns of liquidations for a day (``date``), a range (``since``/``until``) or everything
    stored, for one asset, a sector's members or every asset with derivatives rows."""
    cfg = defaults("liquidations")
    n_hours, before, regime_days = int(cfg["largest_hours"]), int(cfg["before_days"]), int(cfg["regime_days"])
    regime = P.regime_params()
    start, end = _window(date, since, until)
    ids = assets_of(universe, sector, asset)
    pad = pd.Timedelta(days=max(before, regime_days) + 1)
    panel = load_derivatives(store, universe, ids, None if start is None else start - pad,
                             None if end is None else end - pd.Timedelta(seconds=1))
    der = panel.derivatives
    if ids is not None and not der.empty:
        der = der[der["asset"].isin(ids)]
    inside = der
    if start is not None and not der.empty:
        inside = der[pd.to_datetime(der["ts"], utc=True) >= start]
    assets = tuple(sorted(der["asset"].unique())) if not der.empty else tuple(ids or ())
    if start is not None and end is None and not der.empty:  # --since alone: up to the last stored day
        end = day_start(pd.to_datetime(der["ts"], utc=True).max()) + pd.Timedelta(days=1)
    total = None
    if not L.usable_rows(inside).empty:
        lo = start if start is not None else pd.to_datetime(inside["ts"], utc=True).min()
        hi = end if end is not None else pd.to_datetime(inside["ts"], utc=True).max() + pd.Timedelta(days=1)
        total = L.liquidation_total(inside, lo, hi)
    tables = {
        "by_asset": L.liquidation_breakdown(inside, ("asset", "side"), start, end) if total else pd.DataFrame(),
        "by_venue": L.liquidation_breakdown(inside, ("asset", "venue", "side"), start, end) if total else pd.DataFrame(),
        "by_day": L.liquidation_breakdown(inside, ("asset", "day", "side"), start, end) if total else pd.DataFrame(),
        "by_hour": L.liquidation_breakdown(inside, ("asset", "hour", "side"), start, end) if total else pd.DataFrame(),
        "by_venue_day": L.liquidation_breakdown(inside, ("asset", "venue", "day", "side"), start, end) if total else pd.DataFrame(),
        "largest_hours": L.largest_hours(inside, panel.hourly, n_hours, start, end) if total else pd.DataFrame(),
    }
    share = L.oi_share(der)
    if start is not None and end is not None and not share.empty:
        share = share[(share["date"] >= start.tz_localize(None)) & (share["date"] < end.tz_localize(None))]
    tables["oi_share"] = share
    if start is not None and end is not None:
        tables["before_during"] = L.before_during(der, start, end, before)
    reg = L.positioning_regime(panel.close, L.daily_open_interest(der), regime)
    if not reg.empty:
        last = (end.tz_localize(None) if end is not None else reg["date"].max() + pd.Timedelta(days=1))
        reg = reg[(reg["date"] < last) & (reg["date"] >= last - pd.Timedelta(days=regime_days))]
    tables["regimes"] = reg
    srcs = tuple(sorted(set(panel.sources("derivatives")) | set(panel.sources("bars"))))
    simulated = SIMULATED in panel.sources("derivatives") or panel.simulated
    return LiquidationResult(start, end, assets, total, tables, simulated, srcs)
