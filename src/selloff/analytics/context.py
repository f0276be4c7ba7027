"""The context of a sell-off day: peers, volume, intraday range, drawdown, the slide before it, catalysts and
what happened since — one function per figure, each a pure function of panel frames.

Every function returns plain records (dicts) carrying the figure, the window it was measured over and the
source, or a ``reason`` when it cannot be measured (the report then says so instead of leaving a gap).
Conventions: crypto days are UTC days closing at 00:00 UTC, equities NYSE sessions closing 16:00 New York
(:mod:`selloff.analytics.measures` owns both price rules and is reused here); returns are simple, in per cent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from selloff.analytics.frames import pivot_last
from selloff.analytics.measures import close_to_close_day, intraday_low_change, snapshot_change
from selloff.texts import Text

__all__ = [
    "ContextParams", "DayContext", "breadth_split", "catalysts", "day_context", "drawdown_series", "drawdowns", "intraday_range",
    "peer_moves", "since_then", "slide_table", "snapshot_moves", "volume_multiple",
]


@dataclass(frozen=True)
class ContextParams:
    """``[context]`` of the config (units in the names)."""

    peers: tuple[str, ...] = ("BTC", "ETH", "SOL")
    indices: tuple[str, ...] = ("QQQ", "SPX", "SOX", "VIX")
    volume_window_days: int = 30
    drawdown_window_days: int = 90
    slide_days: int = 10
    catalyst_days: int = 14
    catalyst_equity_moves: int = 3
    since_days: tuple[int, ...] = (1, 7, 30)
    breadth_rise_pct: float = 5.0
    movers: int = 3
    """Members (largest absolute moves first) whose volume, intraday range and later move are shown."""


def _one(bars: pd.DataFrame, asset: str) -> pd.DataFrame:
    return bars[bars["asset"] == asset] if not bars.empty else bars


def peer_moves(daily: pd.DataFrame, day: pd.Timestamp, assets: Sequence[str], kinds: Mapping[str, str]) -> list[dict]:
    """The day's close-to-close move of each peer or index (UTC day for crypto, the NYSE session of ``day`` for
    equities and indices), by :func:`~selloff.analytics.measures.close_to_close_day`; a peer without bars gets
    ``reason``."""
    out = []
    for a in assets:
        b = _one(daily, a)
        equity = kinds.get(a, "token") != "token"
        if b.empty:
            out.append({"asset": a, "value_pct": None, "equity": equity, "reason": "not in the loaded data"})
            continue
        r = close_to_close_day(b, day, equity=equity)
        out.append({"asset": a, "value_pct": r.value, "equity": equity, "start": r.start, "end": r.end,
                    "source": r.source, "reason": r.reason, "description": r.description})
    return out


def volume_multiple(daily: pd.DataFrame, asset: str, day: pd.Timestamp, window_days: int) -> dict:
    """Volume of the daily bar of ``day`` over the mean volume of the ``window_days`` bars before it.

    Volumes are the source's own (base or quote units: the ratio is unit-free as long as one source is used,
    which the panel guarantees per series). Days without a volume are skipped in the mean; fewer than half the
    window present gives ``reason``.
    """
    b = _one(daily, asset)
    if b.empty or "volume" not in b or b["volume"].isna().all():
        return {"asset": asset, "value": None, "reason": "no volumes in the data"}
    v = b.assign(day=b["ts"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()).set_index("day")["volume"]
    v = v[~v.index.duplicated(keep="last")].sort_index()
    if day not in v.index or not np.isfinite(v.loc[day]) or v.loc[day] <= 0:
        return {"asset": asset, "value": None, "reason": f"no volume on {day.date()}"}
    before = v.loc[day - pd.Timedelta(days=window_days): day - pd.Timedelta(days=1)].dropna()
    before = before[before > 0]
    if len(before) < window_days // 2:
        return {"asset": asset, "value": None, "reason": f"only {len(before)} days of volume in the {window_days} before"}
    return {"asset": asset, "value": float(v.loc[day] / before.mean()), "n": int(len(before)),
            "start": before.index[0], "end": before.index[-1], "source": str(b["source"].iloc[0])}


def intraday_range(daily: pd.DataFrame, asset: str, day: pd.Timestamp, equity: bool = False) -> dict:
    """High and low of the day's bar, and the low against the previous close
    (:func:`~selloff.analytics.measures.intraday_low_change`)."""
    b = _one(daily, asset)
    if b.empty:
        return {"asset": asset, "low": None, "reason": "not in the loaded data"}
    r = intraday_low_change(b, day, equity=equity)
    if r.value is None:
        return {"asset": asset, "low": None, "reason": r.reason}
    d = b[b["ts"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize() == day]
    high = float(d["high"].max()) if len(d) and d["high"].notna().any() else None
    return {"asset": asset, "low": r.p1, "high": high, "prev_close": r.p0, "low_pct": r.value,
            "source": r.source, "start": r.start, "end": r.end}


def drawdowns(series: pd.Series, day: pd.Timestamp, window_days: int) -> dict:
    """Level on ``day`` against the highest level in the data to ``day`` and in the ``window_days`` to it.

    ``series`` is a daily level (an index or a close). "All-time" can only mean *since the data begin*: the
    result carries ``since`` (the first day) so the text says so.
    """
    s = series.loc[:day].dropna()
    if s.empty or day not in s.index:
        return {"value_ath_pct": None, "reason": Text("ctx_no_level", f"no level on {day.date()}", day=day.date())}
    last = float(s.loc[day])
    peak_all = s.idxmax()
    recent = s.loc[day - pd.Timedelta(days=window_days):]
    peak_recent = recent.idxmax()
    return {"value_ath_pct": 100 * (last / float(s.loc[peak_all]) - 1), "ath_day": peak_all, "since": s.index[0],
            "value_recent_pct": 100 * (last / float(s.loc[peak_recent]) - 1), "recent_day": peak_recent,
            "window_days": window_days}


def slide_table(series: pd.Series, day: pd.Timestamp, days: int) -> pd.DataFrame:
    """Daily moves of ``series`` over the ``days`` days to ``day``: ``ret_pct`` (simple, per cent) and ``cum_pct``
    (compounded from the close before the first row)."""
    s = series.loc[:day].dropna()
    s = s.loc[day - pd.Timedelta(days=days):]
    if len(s) < 2:
        return pd.DataFrame(columns=["ret_pct", "cum_pct"])
    r = s.pct_change().iloc[1:]
    return pd.DataFrame({"ret_pct": 100 * r, "cum_pct": 100 * (s.iloc[1:] / s.iloc[0] - 1)})


def catalysts(events: pd.DataFrame, equity_returns: pd.DataFrame, day: pd.Timestamp, days: int, n_moves: int) -> pd.DataFrame:
    """A timeline of the ``days`` to ``day``: stored events plus the ``n_moves`` largest daily equity moves
    (by absolute size), sorted by time. Columns ``ts, kind, what, value_pct, source``."""
    lo = pd.Timestamp(day).tz_localize("UTC") - pd.Timedelta(days=days)
    hi = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(days=1)
    rows = []
    if events is not None and not events.empty:
        ev = events[(events["ts"] >= lo) & (events["ts"] < hi)]
        rows += [{"ts": e["ts"], "kind": "event", "what": e["headline"], "subject": e["entity"], "value_pct": np.nan,
                  "source": e["source"], "event_kind": e["kind"]} for _, e in ev.iterrows()]
    if equity_returns is not None and not equity_returns.empty:
        r = equity_returns.loc[day - pd.Timedelta(days=days): day].stack().dropna()
        if len(r):
            top = r.abs().sort_values(ascending=False).head(n_moves).index
            for d, a in top:
                rows.append({"ts": pd.Timestamp(d).tz_localize("America/New_York") + pd.Timedelta(hours=16), "kind": "equity_move",
                             "what": a, "subject": a, "value_pct": 100 * float(r.loc[(d, a)]), "source": "",
                             "event_kind": ""})
    if not rows:
        return pd.DataFrame(columns=["ts", "kind", "what", "subject", "value_pct", "source", "event_kind"])
    df = pd.DataFrame(rows)
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df.sort_values("ts").reset_index(drop=True)


def since_then(series: pd.Series, day: pd.Timestamp, horizons: Sequence[int]) -> list[dict]:
    """Change of ``series`` from its level on ``day`` to ``day + h`` days for each horizon and to the latest day
    after it (``h = None``); a horizon past the data gets ``reason``."""
    s = series.dropna()
    if day not in s.index:
        return []
    base = float(s.loc[day])
    out = []
    for h in horizons:
        t = day + pd.Timedelta(days=h)
        if t in s.index:
            out.append({"days": h, "end": t, "value_pct": 100 * (float(s.loc[t]) / base - 1)})
        else:
            out.append({"days": h, "end": t, "value_pct": None, "reason": f"no data for {t.date()}"})
    if s.index[-1] > day:
        out.append({"days": None, "end": s.index[-1], "value_pct": 100 * (float(s.iloc[-1]) / base - 1)})
    return out


def snapshot_moves(snapshots: pd.DataFrame, assets: Sequence[str], day: pd.Timestamp) -> list[dict]:
    """For members without daily bars: the provider snapshot-to-snapshot move that overlaps the UTC day most
    (the snapshot on the morning of ``day + 1`` against the one before it), by
    :func:`~selloff.analytics.measures.snapshot_change`. Not a close-to-close move: the window is carried."""
    out = []
    for a in assets:
        s = _one(snapshots, a)
        if s.empty:
            out.append({"asset": a, "value_pct": None, "reason": "no prices in the data"})
            continue
        r = snapshot_change(s, day + pd.Timedelta(days=1))
        out.append({"asset": a, "value_pct": r.value, "start": r.start, "end": r.end, "source": r.source,
                    "reason": r.reason, "description": r.description})
    return out


def drawdown_series(series: pd.Series) -> pd.Series:
    """Per cent below the running maximum of ``series`` (0 at each new high; negative below it)."""
    s = series.dropna()
    return 100 * (s / s.cummax() - 1)


def breadth_split(ret_1d: pd.Series, threshold_pct: float) -> dict:
    """How many members fell and rose by more than ``threshold_pct`` (per cent) and how many moved less."""
    r = 100 * ret_1d.dropna()
    return {"fell": int((r < -threshold_pct).sum()), "rose": int((r > threshold_pct).sum()),
            "flat": int(((r >= -threshold_pct) & (r <= threshold_pct)).sum()), "n": int(len(r)),
            "down": int((r < 0).sum()), "up": int((r > 0).sum())}


@dataclass(frozen=True)
class DayContext:
    """The context block's records (see the functions above); ``notes``: part → why it could not be shown."""

    day: pd.Timestamp
    peers: list[dict]
    indices: list[dict]
    volume: list[dict]
    ranges: list[dict]
    drawdown: dict
    slide: pd.DataFrame
    catalysts: pd.DataFrame
    since: list[dict]
    since_members: dict[str, list[dict]]
    snapshots: list[dict]
    breadth: dict
    coverage: dict
    notes: dict[str, str] = field(default_factory=dict)
    index_level: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    """The sector index to the day (for the figures)."""
    peer_close: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Daily closes of the crypto peers to the day (for the overlay on the index figure)."""
    drawdown_path: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    """:func:`drawdown_series` of the index to the day."""


def day_context(daily: pd.DataFrame, snapshots: pd.DataFrame, events: pd.DataFrame, kinds: Mapping[str, str],
                index_level: pd.Series, member_close: pd.DataFrame, equity_returns: pd.DataFrame, members: Sequence[str],
                covered: Sequence[str], ret_1d: pd.Series, day: pd.Timestamp, p: ContextParams) -> DayContext:
    """Every record of the context block for ``day``.

    ``index_level`` is the sector index over the whole loaded window (also after ``day``: the "since then"
    part); ``member_close`` the covered members' daily closes; ``covered`` the members with daily bars.
    """
    notes: dict[str, str] = {}
    have = set(daily["asset"].unique()) if not daily.empty else set()
    if not daily.empty:  # the per-day measures need only the bars around the day (not the whole history)
        t0 = pd.Timestamp(day).tz_localize("UTC")
        near = daily[(daily["ts"] >= t0 - pd.Timedelta(days=p.volume_window_days + 12)) & (daily["ts"] <= t0 + pd.Timedelta(days=2))]
    else:
        near = daily
    peers = peer_moves(near, day, [a for a in p.peers], kinds)
    indices = peer_moves(near, day, [a for a in p.indices], kinds)
    missing_idx = [r["asset"] for r in indices if r["value_pct"] is None]
    if missing_idx:
        notes["indices"] = Text("ctx_not_in_data", f"not in the data: {', '.join(missing_idx)}", assets=", ".join(missing_idx))
    missing_peers = [r["asset"] for r in peers if r["value_pct"] is None]
    if missing_peers:
        notes["peers"] = Text("ctx_not_in_data", f"not in the data: {', '.join(missing_peers)}", assets=", ".join(missing_peers))
    top = list(ret_1d.dropna().abs().sort_values(ascending=False).index[: p.movers])
    vol_assets = [*top, *[a for a in p.peers if a in have]]
    volume = [volume_multiple(near, a, day, p.volume_window_days) for a in dict.fromkeys(vol_assets)]
    ranges = [intraday_range(near, a, day) for a in dict.fromkeys(vol_assets)]
    dd = drawdowns(index_level.loc[:day], day, p.drawdown_window_days)
    slide = slide_table(index_level, day, p.slide_days)
    cat = catalysts(events, equity_returns, day, p.catalyst_days, p.catalyst_equity_moves)
    since = since_then(index_level, day, p.since_days)
    since_m = {m: since_then(member_close[m], day, p.since_days) for m in top if m in member_close}
    if not since or all(s.get("value_pct") is None for s in since):
        notes["since"] = Text("ctx_no_later_data", "no data after the report day")
    snaps = snapshot_moves(snapshots, [m for m in members if m not in covered], day)
    coverage = {"members": list(members), "covered": list(covered), "n_members": len(members), "n_covered": len(covered)}
    level_to_day = index_level.loc[:day]
    peer_close = peer_close_frame(daily, [a for a in p.peers if a in have], day)
    return DayContext(day, peers, indices, volume, ranges, dd, slide, cat, since, since_m, snaps,
                      breadth_split(ret_1d, p.breadth_rise_pct), coverage, notes, level_to_day, peer_close,
                      drawdown_series(level_to_day))


def peer_close_frame(daily: pd.DataFrame, assets: Sequence[str], day: pd.Timestamp) -> pd.DataFrame:
    """Daily closes of ``assets`` (UTC-day labels) to ``day``, wide."""
    b = daily[daily["asset"].isin(list(assets))] if not daily.empty else daily
    if b.empty:
        return pd.DataFrame()
    w = pivot_last(b.assign(day=b["ts"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()), "day", "asset", "close")
    w.columns.name = None
    return w.loc[:day]
