"""The cascade's daily inputs from stored rows: prices, volume and closing OI per day, and the recorded
liquidations per day and side (through the one liquidation rule)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from selloff.analytics.liquidations import daily_open_interest, liquidation_breakdown

__all__ = ["daily_inputs", "recorded_daily"]


def daily_inputs(bars_1d: pd.DataFrame, derivatives: pd.DataFrame, asset: str) -> pd.DataFrame:
    """Consecutive UTC dates (naive) with ``close, low, high, volume_usd`` (volume × close: the bar's base volume
    in USD) and ``open_interest_usd`` (closing OI, :func:`~selloff.analytics.liquidations.daily_open_interest`);
    a day without a bar or an OI is NaN there."""
    cols = ["close", "low", "high", "volume_usd", "open_interest_usd"]
    b = bars_1d[(bars_1d["asset"] == asset)] if not bars_1d.empty else bars_1d
    if b.empty:
        return pd.DataFrame(columns=cols)
    b = b.assign(date=pd.to_datetime(b["ts"], utc=True).dt.tz_localize(None).dt.normalize()).drop_duplicates("date", keep="last")
    d = b.set_index("date").sort_index()
    out = pd.DataFrame({"close": d["close"], "low": d["low"], "high": d["high"],
                        "volume_usd": d["volume"] * d["close"] if "volume" in d else np.nan})
    oi = daily_open_interest(derivatives[derivatives["asset"] == asset]) if not derivatives.empty else pd.DataFrame()
    out["open_interest_usd"] = oi.set_index("date")["open_interest_usd"] if not oi.empty else np.nan
    full = pd.date_range(out.index.min(), out.index.max(), freq="D")
    return out.reindex(full)[cols]


def recorded_daily(derivatives: pd.DataFrame, asset: str) -> tuple[pd.DataFrame, bool]:
    """Recorded liquidations of ``asset`` per UTC day: ``liq_long_usd, liq_short_usd`` (index = naive date), and
    whether any row of them is partial (then they are lower bounds)."""
    d = derivatives[derivatives["asset"] == asset] if not derivatives.empty else derivatives
    by = liquidation_breakdown(d, ("day", "side")) if not d.empty else pd.DataFrame()
    if by.empty:
        return pd.DataFrame(columns=["liq_long_usd", "liq_short_usd"]), False
    wide = by.pivot_table(index="day", columns="side", values="liq_usd", aggfunc="sum").rename(
        columns={"long": "liq_long_usd", "short": "liq_short_usd"})
    wide = wide.reindex(columns=["liq_long_usd", "liq_short_usd"]).fillna(0.0)
    wide.index.name, wide.columns.name = "date", None
    return wide, bool(by["partial"].any())
