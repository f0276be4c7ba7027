"""Hourly evidence of a sector from the store: native hourly bars where stored, else hours resampled from minutes.

The resampling runs inside DuckDB (:meth:`selloff.store.Store.read_resampled`), so a year of minute bars of a
sector (hundreds of millions of rows for a large universe) never reaches pandas: only the hours do.

Rules
-----
* Per asset: its stored ``1h`` bars in the window if it has any (from any source), otherwise its ``1m`` bars
  aggregated to UTC hours (first open, max high, min low, last close, summed volume).
* A resampled hour counts only when its minute bars cover at least ``[intraday] min_minutes_per_hour`` of its
  minutes (default 60: complete hours only, so the hourly close is the close at the hour's end). A shorter hour is
  dropped, never filled; the readings then use the previous hour's close for at most ``staleness_hours``.
* One source per asset: :func:`selloff.analytics.sources_priority.select_series` with ``[sources] priority``.
* Hours are UTC hours: crypto. An equity's minute bars give a 30-minute first hour (09:30 New York), which the
  default drops.

The lead wires :func:`load_hourly_bars` into the episode analysis (worst rolling 24 h, intraday low); this module
does not touch the analysis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pandas as pd

from selloff.analytics.intraday import sector_hourly_level
from selloff.analytics.intraday_moves import rolling_24h_changes, worst_moves
from selloff.analytics.sources_priority import select_series
from selloff.errors import ConfigError, DataError
from selloff.pipeline.params import priority as source_priority
from selloff.store import Store
from selloff.timeutil import utc
from selloff.universe import Universe

__all__ = ["IntradayParams", "SectorIntraday", "load_hourly_bars", "load_sector_hourly", "scan_intraday",
           "sector_intraday"]

HOUR = pd.Timedelta("1h")
COLUMNS = ("asset", "interval", "ts", "source", "open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class IntradayParams:
    """``[intraday]`` of the config (see ``defaults.toml``)."""

    min_minutes_per_hour: int = 60
    staleness_hours: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_minutes_per_hour <= 60:
            raise ConfigError(f"[intraday] min_minutes_per_hour = {self.min_minutes_per_hour}; "
                              f"use a whole number of minutes from 1 to 60")
        if self.staleness_hours < 0:
            raise ConfigError(f"[intraday] staleness_hours = {self.staleness_hours}; use 0 or more hours")

    @property
    def staleness(self) -> pd.Timedelta:
        return pd.Timedelta(hours=self.staleness_hours)


def _params(params: IntradayParams | None) -> IntradayParams:
    if params is not None:
        return params
    from selloff.pipeline.params import intraday_params
    return intraday_params()


def load_hourly_bars(store: Store, assets: Sequence[str], start: pd.Timestamp | None = None,
                     end: pd.Timestamp | None = None, params: IntradayParams | None = None,
                     priority: Sequence[str] | None = None) -> pd.DataFrame:
    """Hourly bars of ``assets`` with bar open times in ``[start, end]`` (UTC, inclusive; naive = UTC; None: open).

    Returns
    -------
    pandas.DataFrame
        Long bars in the store's schema (interval ``1h``, ``ts`` = bar open UTC) plus ``minutes`` (minutes the
        hour's minute bars cover; 60 for stored hourly bars) and ``origin`` (``"1h"`` stored, ``"1m"`` resampled),
        one source per asset, sorted by asset and ts.

    Raises
    ------
    DataError
        When none of ``assets`` has hourly or minute bars in the window.
    """
    p = _params(params)
    ids = list(dict.fromkeys(assets))
    start, end = (None if t is None else utc(t, name) for t, name in ((start, "start"), (end, "end")))
    native = store.read("bars", columns=list(COLUMNS), assets=ids, start=start, end=end, interval="1h", order=False)
    native = native.assign(minutes=60, origin="1h")
    need = [a for a in ids if a not in set(native["asset"])]
    parts = [native] if not native.empty else []
    if need:
        # minute bars up to the last minute of the hour opening at ``end``, so that hour is complete
        res = store.read_resampled(interval_from="1m", to="1h", assets=need, start=start,
                                   end=None if end is None else end + HOUR - pd.Timedelta("1min"))
        keep = res["minutes"] >= p.min_minutes_per_hour
        if end is not None:
            keep &= res["ts"] <= end
        if keep.any():
            parts.append(res[keep].assign(origin="1m"))
    if not parts:
        raise DataError(f"no hourly or minute bars for {', '.join(ids)} between {start or 'the start'} and "
                        f"{end or 'the end'}; fetch or import 1h or 1m bars for them")
    bars = pd.concat(parts, ignore_index=True)
    return select_series(bars, list(priority) if priority is not None else list(source_priority()),
                         keys=("asset", "interval"))


def load_sector_hourly(store: Store, universe: Universe, sector: str, start: pd.Timestamp | None = None,
                       end: pd.Timestamp | None = None, params: IntradayParams | None = None) -> pd.DataFrame:
    """:func:`load_hourly_bars` for the members of a universe sector (id, name or alias)."""
    return load_hourly_bars(store, universe.sector(sector).members, start, end, params)


@dataclass(frozen=True)
class SectorIntraday:
    """Intraday readings of one sector from hourly bars.

    Attributes
    ----------
    sector
        The sector's id (or the caller's label for a list of assets).
    index
        Equal-weighted chain-linked hourly index (1 at the first close), index = hour close time UTC
        (:func:`selloff.analytics.intraday.sector_hourly_level`, the episodes' hourly index; a member without a
        return in an hour is left out of that hour).
    worst_24h_pct, worst_24h_end
        The index's worst rolling 24 h change and when it ended.
    moves
        Per member: worst rolling 24 h change and its end, worst intraday low and its day
        (:func:`selloff.analytics.intraday_moves.worst_moves`).
    sources, origins
        Per member: the source used and ``"1h"`` (stored) or ``"1m"`` (resampled from minutes).
    hours
        Hourly bars used (rows).
    """

    sector: str
    index: pd.Series
    worst_24h_pct: float
    worst_24h_end: pd.Timestamp | None
    moves: pd.DataFrame
    sources: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    hours: int = 0

    def to_frame(self) -> pd.DataFrame:
        return self.moves.assign(source=pd.Series(self.sources), origin=pd.Series(self.origins))

    def to_dict(self) -> dict:
        def iso(t: object) -> str | None:
            return None if pd.isna(t) else pd.Timestamp(t).isoformat()

        return {"sector": self.sector, "hours": self.hours, "worst_24h_pct": self.worst_24h_pct,
                "worst_24h_end": iso(self.worst_24h_end),
                "members": [{"asset": a, "source": self.sources.get(a), "origin": self.origins.get(a),
                             "worst_24h_pct": None if pd.isna(r.worst_24h_pct) else float(r.worst_24h_pct),
                             "worst_24h_end": iso(r.worst_24h_end),
                             "intraday_low_pct": None if pd.isna(r.intraday_low_pct) else float(r.intraday_low_pct),
                             "intraday_low_day": iso(r.intraday_low_day)}
                            for a, r in self.moves.iterrows()]}


def _wide(hourly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Wide closes and lows (index = hour open ts) and per asset its source, origin and hours."""
    wide = hourly.pivot(index="ts", columns="asset", values=["close", "low"]).sort_index()  # one row per asset, hour
    close, low = wide["close"], wide["low"]
    close.columns.name = low.columns.name = None
    meta = hourly.groupby("asset", sort=False).agg(source=("source", "first"), origin=("origin", "first"),
                                                   hours=("ts", "size"))
    return close, low, meta


def _readings(close: pd.DataFrame, low: pd.DataFrame, meta: pd.DataFrame, sector: str,
              p: IntradayParams) -> SectorIntraday:
    level = sector_hourly_level(close, None)
    r24 = rolling_24h_changes(level.to_frame(sector).set_axis(level.index - HOUR), HOUR, p.staleness)[sector]
    worst = r24.idxmin() if r24.notna().any() else None
    m = meta.loc[list(close.columns)]
    return SectorIntraday(sector=sector, index=level,
                          worst_24h_pct=float(r24.min()) if worst is not None else float("nan"),
                          worst_24h_end=worst, moves=worst_moves(close, low, HOUR, p.staleness),
                          sources=m["source"].astype(str).to_dict(), origins=m["origin"].astype(str).to_dict(),
                          hours=int(m["hours"].sum()))


def sector_intraday(hourly: pd.DataFrame, sector: str, params: IntradayParams | None = None) -> SectorIntraday:
    """Readings of :class:`SectorIntraday` from long hourly bars (as :func:`load_hourly_bars` returns them)."""
    close, low, meta = _wide(hourly)
    return _readings(close, low, meta, sector, _params(params))


def scan_intraday(store: Store, sectors: Mapping[str, Sequence[str]], start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None, params: IntradayParams | None = None,
                  priority: Sequence[str] | None = None) -> dict[str, SectorIntraday]:
    """:func:`sector_intraday` for many sectors (id → members) from ONE :func:`load_hourly_bars` of all their
    members (one resampling query and one pivot instead of one per sector). A sector none of whose members has
    bars is left out."""
    p = _params(params)
    close, low, meta = _wide(load_hourly_bars(store, [a for m in sectors.values() for a in m], start, end, p,
                                              priority))
    out = {}
    for sector, members in sectors.items():
        have = [a for a in dict.fromkeys(members) if a in close.columns]
        if have:
            c = close[have].dropna(how="all")  # the hours where a member has a bar, as a per-sector pivot
            out[sector] = _readings(c, low.loc[c.index, have], meta, sector, p)
    return out
