"""Live recording into the store (write side): batches of the liquidation streams, each in one transaction."""
from __future__ import annotations

from typing import Callable

import pandas as pd

from selloff.store import Store

__all__ = ["store_seed", "store_sink"]


def store_sink(db: Store, what: str) -> Callable[[pd.DataFrame], None]:
    """A recorder sink that writes each batch and its ``fetch_log`` row in one transaction."""
    def sink(df: pd.DataFrame) -> None:
        with db.transaction():
            res = db.upsert("derivatives", df, what=what)
            db.log_fetch("ccxt.pro", "ok", request=f"live liquidations: {what}", range_start=df["ts"].min(),
                         range_end=df["ts"].max(), result=res)

    return sink


def store_seed(db: Store, source: str) -> Callable[[str, str, pd.Timestamp], tuple[float, float]]:
    """The minute's stored long/short totals, so a restarted recorder adds to them instead of overwriting."""
    def seed(asset: str, venue: str, minute: pd.Timestamp) -> tuple[float, float]:
        df = db.read("derivatives", assets=[asset], start=minute, end=minute, interval="1m", sources=[source], venues=[venue])
        if df.empty:
            return (0.0, 0.0)
        return (float(df["liq_long_usd"].fillna(0).iloc[0]), float(df["liq_short_usd"].fillna(0).iloc[0]))

    return seed
