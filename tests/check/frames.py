"""Hand-built evidence frames for the claim-check tests (hourly bars with known moves)."""
from __future__ import annotations

import pandas as pd


def hourly(asset, pieces, source="binance", lows=None):
    rows = []
    for a, b, px in pieces:
        for ts in pd.date_range(a, b, freq="1h", tz="UTC"):
            rows.append({"asset": asset, "interval": "1h", "ts": ts, "source": source, "open": px, "high": px,
                         "low": (lows or {}).get(ts.strftime("%Y-%m-%d %H:%M"), px), "close": px})
    return pd.DataFrame(rows)


def tao(source="binance"):
    # UTC day Feb 6: 180 -> 160 (-11.1 %); Feb 5: 200 -> 180 (-10 %); 24 h to Feb 6 12:00: 200 -> 160 (-20 %);
    # intraday low Feb 6: 150 (-16.7 % from 180)
    return hourly("TAO", [("2026-02-04 00:00", "2026-02-05 11:00", 200.0), ("2026-02-05 12:00", "2026-02-05 23:00", 180.0),
                           ("2026-02-06 00:00", "2026-02-06 09:00", 170.0), ("2026-02-06 10:00", "2026-02-06 23:00", 160.0)],
                   source=source, lows={"2026-02-06 10:00": 150.0})
