"""Loading a large market into the store (issue 16, benchmark 1), against DuckDB's own bulk load in the same run.

    .venv/bin/python -m bench.bench_load [--assets 2000] [--years 10] [--block-assets 200] [--quick] [--json]

The synthetic market (``bench/market.py``: bars + daily market caps, seeded) is first written to Parquet files, one
per block of assets. Then, each in a fresh process (so peak memory is its own):

* **baseline** — ``INSERT INTO … SELECT … FROM read_parquet('…/*.parquet')`` into a new store's ``bars`` and
  ``market_caps`` tables (same schema, same primary keys), in one transaction: DuckDB's bulk path, no validation;
* **store** — ``Store.upsert_many`` over the same files read back block by block with pandas: validated,
  transactional and idempotent (the path every import and fetch takes), bars and caps in one transaction.

Both stores must end with the same row counts and the same sum of closes. Printed: rows, seconds, ratio store /
baseline (target ≤ 1.5), rows/s and peak RSS of each process (target < 4 GiB whatever the size).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import in_child, peak_rss_mb
from bench.market import MarketSize, blocks

TARGET_RATIO = 1.5
TARGET_PEAK_MIB = 4096


def _write_parquet(size: MarketSize, block_assets: int, d: Path) -> tuple[list[Path], list[Path]]:
    bars, caps = [], []
    for i, (b, c) in enumerate(blocks(size, block_assets)):
        bars.append(d / f"bars_{i:05d}.parquet")
        caps.append(d / f"caps_{i:05d}.parquet")
        pq.write_table(pa.Table.from_pandas(b, preserve_index=False), bars[-1])
        pq.write_table(pa.Table.from_pandas(c, preserve_index=False), caps[-1])
    return bars, caps


def _check(store) -> tuple[int, int, float]:
    con = store.con
    return (con.execute("SELECT count(*) FROM bars").fetchone()[0],
            con.execute("SELECT count(*) FROM market_caps").fetchone()[0],
            con.execute("SELECT sum(close) FROM bars").fetchone()[0])


def _open(path: str, memory_limit: str | None):
    from selloff.store import Store
    s = Store(path)
    if memory_limit:  # DuckDB's own cap (it spills to disk beyond it); the same for both sides
        s.con.execute("SET memory_limit = ?", [memory_limit])
    return s


def _baseline(path: str, d: str, memory_limit: str | None = None) -> dict:
    from selloff.store import TABLES
    s = _open(path, memory_limit)
    t0 = time.perf_counter()
    s.con.execute("BEGIN TRANSACTION")
    for table, pattern in (("bars", "bars_*.parquet"), ("market_caps", "caps_*.parquet")):
        src = f"read_parquet('{d}/{pattern}')"  # d is our own temporary directory
        have = {r[0] for r in s.con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        cols = ", ".join(c for c in TABLES[table].column_names if c in have)
        s.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {src}")
    s.con.execute("COMMIT")
    secs = time.perf_counter() - t0
    out = {"seconds": secs, "peak_mib": peak_rss_mb(), "check": _check(s)}
    s.close()
    return out


def _store(path: str, bars: list[str], caps: list[str], memory_limit: str | None = None) -> dict:
    import pandas as pd

    s = _open(path, memory_limit)
    t0 = time.perf_counter()
    with s.transaction():
        rb = s.upsert_many("bars", (pd.read_parquet(f) for f in bars), what="bench bars")
        rc = s.upsert_many("market_caps", (pd.read_parquet(f) for f in caps), what="bench caps")
    secs = time.perf_counter() - t0
    out = {"seconds": secs, "peak_mib": peak_rss_mb(), "check": _check(s), "inserted": rb.inserted + rc.inserted}
    s.close()
    return out


def run(quick: bool = False, assets: int = 2000, years: float = 10, block_assets: int = 200,
        memory_limit: str | None = None) -> list[dict]:
    size = MarketSize(assets=200, years=2) if quick else MarketSize(assets=assets, years=years)
    with tempfile.TemporaryDirectory(prefix="selloff-bench-load-") as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        bars, caps = _write_parquet(size, block_assets, d)
        t_gen = time.perf_counter() - t0
        base = in_child(_baseline, str(d / "baseline.duckdb"), str(d), memory_limit)
        mine = in_child(_store, str(d / "store.duckdb"), [str(p) for p in bars], [str(p) for p in caps],
                         memory_limit)
    (nb, nc, sb), (mb, mc, sm) = base["check"], mine["check"]
    if (nb, nc) != (mb, mc) or abs(sb - sm) > 1e-9 * abs(sb):  # parallel sums differ in the last digits
        raise SystemExit(f"stores differ: baseline {base['check']} vs store {mine['check']}")
    rows = 2 * size.rows
    ratio = mine["seconds"] / base["seconds"]
    return [{
        "bench": "load", "case": f"{size.assets:,}×{size.years:g}y, {rows / 1e6:.1f} M rows",
        "seconds": mine["seconds"], "baseline": "DuckDB INSERT … SELECT FROM read_parquet",
        "baseline_seconds": base["seconds"], "ratio": ratio, "target": f"≤{TARGET_RATIO}×, <4 GiB",
        "met": ratio <= TARGET_RATIO and mine["peak_mib"] < TARGET_PEAK_MIB,
        "peak_mib": mine["peak_mib"], "baseline_peak_mib": base["peak_mib"],
        "note": f"{size.assets:,} assets × {size.years:g} years daily, bars + caps"
                f"{f', DuckDB memory_limit {memory_limit}' if memory_limit else ''}; store {rows / mine['seconds']:,.0f} rows/s, baseline {rows / base['seconds']:,.0f} rows/s; "
                f"generating the Parquet input took {t_gen:.1f} s",
    }]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=2000)
    ap.add_argument("--years", type=float, default=10)
    ap.add_argument("--block-assets", type=int, default=200)
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for both sides, e.g. 2GB")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = run(a.quick, a.assets, a.years, a.block_assets, a.memory_limit)
    if a.json:
        json.dump(res, sys.stdout, indent=2, ensure_ascii=False)
        return
    for r in res:
        print(f"{r['bench']}: {r['case']}\n  store {r['seconds']:.2f} s, baseline {r['baseline_seconds']:.2f} s, "
              f"ratio {r['ratio']:.2f} (target ≤ {TARGET_RATIO}); peak {r['peak_mib']:,.0f} MiB "
              f"(baseline {r['baseline_peak_mib']:,.0f} MiB); {r['note']}")


if __name__ == "__main__":
    main()
