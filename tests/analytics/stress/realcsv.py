"""Daily closes from the real CSV exports of ``shared/data/real`` (the formats its README describes), to measure
the scenario library's moves independently of the importer. Run as a script to print a library entry's moves:
``python tests/analytics/stress/realcsv.py FILE START_CLOSE END_CLOSE``."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def daily_close(path: Path) -> pd.Series:
    """Close per day label (UTC date for tokens, session date for equities); hourly close-only files give the
    close of the 23:00 UTC bar (the 00:00 UTC daily close)."""
    df = pd.read_csv(path, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    close = next(c for c in ("close", "Close") if c in df.columns)
    if "_1h_close" in path.name:
        ts = pd.to_datetime(df["open_time"])
        df = df[ts.dt.hour == 23]
        day = ts[ts.dt.hour == 23].dt.normalize()
    else:
        col = next(c for c in ("date", "Date", "open_time") if c in df.columns)
        day = pd.to_datetime(df[col].astype(str).str[:10])
    s = pd.Series(pd.to_numeric(df[close].astype(str).str.replace(",", ""), errors="coerce").to_numpy(),
                  index=pd.DatetimeIndex(day.to_numpy()))
    return s[~s.index.duplicated(keep="last")].sort_index()


def move(path: Path, start_close: str, end_close: str) -> float:
    s = daily_close(path)
    return float(s.loc[pd.Timestamp(end_close)] / s.loc[pd.Timestamp(start_close)] - 1)


if __name__ == "__main__":
    print(move(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
