"""What a store holds: schema version, rows per table, and bar coverage per asset, interval and source."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from selloff.store import Store

__all__ = ["StoreInfo", "store_info"]

TABLES = ("bars", "market_caps", "derivatives", "events", "category_caps", "alerts")


@dataclass(frozen=True)
class StoreInfo:
    path: str
    schema_version: int
    rows: dict[str, int]
    bars: pd.DataFrame
    """First/last ``ts`` and rows per asset, interval and source."""

    def to_frame(self) -> pd.DataFrame:
        return self.bars.copy()

    def to_dict(self) -> dict:
        import json

        return {"schema_version": self.schema_version, "rows": dict(self.rows),
                "bars": json.loads(self.bars.to_json(orient="records", date_format="iso"))}


def store_info(store: Store) -> StoreInfo:
    """Coverage of ``bars`` and row counts of every table."""
    return StoreInfo(store.path, store.schema_version, {t: store.count(t) for t in TABLES}, store.coverage("bars"))
