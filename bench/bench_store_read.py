"""Store reads of one sector from a large store: the original query against ``Store.read(columns=..., order=False)``.

    .venv/bin/python -m bench.bench_store_read [--assets 2000] [--days 730] [--sector 13] [--repeat 5]

Builds a store of ``--assets`` assets with ``--days`` daily bars each (random walks, written day block by day block
as a daily fetch would, so one asset's rows are spread over the file), then reads one sector of ``--sector`` assets
for the last year with the columns an analysis needs (asset, ts, close). Each variant runs in a fresh process on
the closed file: the first (cold) read, the best of ``--repeat`` warm reads, and the process's peak RSS. The
baseline, measured in the same run, is the store's original query: every column, ``asset IN (SELECT unnest(?))``,
``ORDER BY`` the key. A third variant, one ``?`` per asset, records why the store keeps the list parameter.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import peak_rss_mb
from selloff.store import Store

COLUMNS = ["asset", "ts", "close"]
FIRST_DAY = pd.Timestamp("2024-01-01", tz="UTC")
OLD_SQL = ("SELECT * FROM bars WHERE asset IN (SELECT unnest(?)) AND ts >= ? AND ts <= ? AND interval = ? "
           "ORDER BY asset, interval, ts, source")


def build(path: Path, n_assets: int, n_days: int) -> None:
    rng = np.random.default_rng(20260206)
    ids = [f"A{i:05d}" for i in range(n_assets)]
    ts = pd.date_range(FIRST_DAY, periods=n_days, freq="D", tz="UTC")
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, (n_assets, n_days)), axis=1))
    with Store(path) as db:
        for d0 in range(0, n_days, 30):
            days, c = ts[d0:d0 + 30], close[:, d0:d0 + 30].ravel()
            db.upsert("bars", pd.DataFrame({
                "asset": np.repeat(ids, len(days)), "interval": "1d", "ts": np.tile(days, n_assets),
                "source": "simulated", "open": c, "high": c * 1.02, "low": c * 0.98, "close": c, "volume": 1e6,
            }), what="bench")


def sector(n_assets: int, size: int) -> list[str]:
    return [f"A{i:05d}" for i in range(7, n_assets, max(1, n_assets // size))][:size]


def child(path: str, variant: str, n_assets: int, n_days: int, size: int, repeat: int) -> None:
    """One variant in this (fresh) process: cold read, best warm read, peak RSS; one JSON line on stdout."""
    db = Store(path, read_only=True)
    members = sector(n_assets, size)
    end = FIRST_DAY + pd.Timedelta(days=n_days - 1)  # the last day :func:`build` wrote
    start = end - pd.Timedelta(days=364)
    rss0 = peak_rss_mb()

    def run() -> pd.DataFrame:
        if variant == "old":
            return db.con.execute(OLD_SQL, [members, start.to_pydatetime(), end.to_pydatetime(), "1d"]).df()
        if variant == "in-list":
            marks = ", ".join("?" * len(members))
            return db.con.execute(
                f"SELECT asset, ts, close FROM bars WHERE asset IN ({marks}) AND ts >= ?::TIMESTAMPTZ "
                "AND ts <= ?::TIMESTAMPTZ AND interval = ?",
                [*members, start.to_pydatetime(), end.to_pydatetime(), "1d"]).df()
        return db.read("bars", columns=COLUMNS, assets=members, start=start, end=end, interval="1d", order=False)

    t0 = time.perf_counter()
    rows = len(run())
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        warm.append(time.perf_counter() - t0)
    rss = peak_rss_mb()
    print(json.dumps({"rows": rows, "cold": cold, "warm": min(warm), "peak_mb": rss, "query_mb": rss - rss0}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=2000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--sector", type=int, default=13)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", nargs=2, metavar=("PATH", "VARIANT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], a.assets, a.days, a.sector, a.repeat)
        return
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.duckdb"
        t0 = time.perf_counter()
        build(path, a.assets, a.days)
        t_build = time.perf_counter() - t0
        size_mb = path.stat().st_size / 2**20
        res = {}
        for variant in ("old", "new", "in-list"):
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_store_read", "--assets", str(a.assets), "--days", str(a.days), "--sector", str(a.sector), "--repeat",
                 str(a.repeat), "--child", str(path), variant], check=True, capture_output=True, text=True,
                cwd=Path(__file__).resolve().parents[1])
            res[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["old"]["rows"] == res["new"]["rows"] == res["in-list"]["rows"] > 0
    print(f"store: {a.assets:,} assets x {a.days} days = {a.assets * a.days:,} bars, {size_mb:.0f} MB, built in {t_build:.1f} s")
    print(f"read: {a.sector} assets, last 365 days, 1d: {res['new']['rows']:,} rows; columns {COLUMNS}")
    labels = {"old": "baseline (all columns, ORDER BY, unnest)", "new": "Store.read(columns=..., order=False)",
              "in-list": "one ? per asset (not used)"}
    for v, r in res.items():
        print(f"{labels[v]:42s} cold {r['cold'] * 1e3:7.1f} ms  warm {r['warm'] * 1e3:7.1f} ms  "
              f"peak RSS {r['peak_mb']:5.0f} MB (+{r['query_mb']:.0f} MB reading)")
    o, n = res["old"], res["new"]
    print(f"ratio baseline / new: cold {o['cold'] / n['cold']:.1f}x, warm {o['warm'] / n['warm']:.1f}x, "
          f"memory while reading {o['query_mb'] / max(n['query_mb'], 1):.1f}x")


if __name__ == "__main__":
    main()
