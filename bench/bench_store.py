"""Store write throughput on the simulated market (sizes as parameters), against a row-wise baseline.

    .venv/bin/python bench/bench_store.py [--extra-tokens 20] [--days 365] [--baseline-rows 20000]

Times: simulating the market; the store's validated, transactional upsert of all bars (new rows, then the same rows
again, which must all come back unchanged); and, as the baseline in the same run, DuckDB ``executemany`` inserting
rows one parameter set at a time into a plain table (measured on ``--baseline-rows`` rows and scaled per row).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from selloff.simulate import SimSpec, simulate_market
from selloff.store import Store
from selloff.universe import load_universe


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra-tokens", type=int, default=20)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--baseline-rows", type=int, default=20000)
    a = ap.parse_args()
    u = load_universe(include_user_config=False)
    end = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=a.days - 1)).date().isoformat()
    t0 = time.perf_counter()
    m = simulate_market(u, SimSpec(start="2025-01-01", end=end, extra_tokens=a.extra_tokens, announcement=None))
    t_sim = time.perf_counter() - t0
    bars = m.bars
    with tempfile.TemporaryDirectory() as d:
        db = Store(Path(d) / "bench.duckdb")
        t0 = time.perf_counter()
        r1 = db.upsert("bars", bars, what="bench")
        t_up = time.perf_counter() - t0
        t0 = time.perf_counter()
        r2 = db.upsert("bars", bars, what="bench")
        t_again = time.perf_counter() - t0
        db.close()
        assert r1.inserted == len(bars) and r2.unchanged == len(bars)
        con = duckdb.connect(str(Path(d) / "baseline.duckdb"))
        con.execute("CREATE TABLE bars (asset VARCHAR, interval VARCHAR, ts TIMESTAMPTZ, source VARCHAR, close DOUBLE, "
                    "PRIMARY KEY (asset, interval, ts, source))")
        sample = bars.head(a.baseline_rows)
        rows = list(zip(sample["asset"], sample["interval"], sample["ts"].dt.to_pydatetime(), sample["source"], sample["close"]))
        t0 = time.perf_counter()
        con.executemany("INSERT INTO bars VALUES (?, ?, ?, ?, ?)", rows)
        t_base = (time.perf_counter() - t0) / len(rows) * len(bars)
        con.close()
    n = len(bars)
    print(f"simulated market: {n:,} bars ({len(m.assets)} assets, {a.days} days) in {t_sim:.2f} s")
    print(f"store upsert (validate + insert, one transaction): {t_up:.2f} s = {n / t_up:,.0f} rows/s")
    print(f"store upsert of the same rows again (all unchanged): {t_again:.2f} s")
    print(f"baseline executemany, row by row (scaled from {len(rows):,} rows): {t_base:.2f} s")
    print(f"ratio baseline / store upsert: {t_base / t_up:.1f}x")


if __name__ == "__main__":
    main()
