"""``selloff scan --all`` (``api.scan_all``) on a seeded synthetic store, against a bare DuckDB aggregate.

    .venv/bin/python -m bench.bench_scan_all [--assets 1000] [--years 5] [--sectors 50] [--repeat 3] [--seed 7]
    .venv/bin/python -m bench.bench_scan_all --quick --json     (200 assets x 2 years, 10 sectors; for python -m bench)

Builds a store of ``--assets`` tokens x ``--years`` of daily bars and daily market caps (one source each), in
``--sectors`` sectors of equal size, with a few sector-wide crashes injected; then, each in a fresh process on the
closed store (so the peak RSS is the scan's own):

* baseline: one DuckDB aggregate over the same rows, sum of market cap by sector and day
  (``market_caps`` joined to the membership), fetched as numpy; beside it, the time to fetch only the two value
  columns (bars' close, caps) into numpy, which any scan that computes in Python pays at least;
* scan: ``api.scan_all`` over every sector (best of ``--repeat`` after a warm-up), with the time split into the
  grid load (the store pass) and the per-sector work.

Prints the times, the ratio scan / baseline (target <= 2, issue 13), the episodes found and the peak RSS of each.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

from bench.common import peak_rss_mb


def universe(n_assets: int, n_sectors: int):
    from selloff.universe.model import Asset, Sector, Universe

    assets = {f"T{i:05d}": Asset(f"T{i:05d}", "token", f"Token {i}") for i in range(n_assets)}
    ids = list(assets)
    sectors = {f"s{k:02d}": Sector(f"s{k:02d}", f"Sector {k}", tuple(ids[k::n_sectors])) for k in range(n_sectors)}
    return Universe(assets, sectors, ())


def build(path: Path, n_assets: int, years: int, n_sectors: int, seed: int) -> int:
    """Write the synthetic store straight through the store's connection (the bench's set-up, not under test)."""
    import numpy as np
    import pandas as pd

    from selloff.store import Store

    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", periods=365 * years, freq="D", tz="UTC")
    n = len(days)
    common = 0.02 * rng.standard_normal((n, n_sectors))
    for k in range(n_sectors):  # three sector-wide crashes each
        common[rng.choice(np.arange(120, n), 3, replace=False), k] = -0.18
    sector_of = np.arange(n_assets) % n_sectors
    r = common[:, sector_of] + 0.02 * rng.standard_normal((n, n_assets))
    close = 10.0 * np.exp(np.cumsum(np.log1p(np.clip(r, -0.9, None)), axis=0))
    supply = rng.uniform(1e6, 1e9, n_assets)
    ids = np.array([f"T{i:05d}" for i in range(n_assets)])
    with Store(path) as db:
        for lo in range(0, n_assets, 500):  # in slices: the frames stay small
            sl = slice(lo, min(lo + 500, n_assets))
            k = sl.stop - sl.start
            asset = np.repeat(ids[sl], n)
            ts = np.tile(days.tz_convert(None).to_numpy(), k)  # naive UTC; the store connection runs in UTC
            c = close[:, sl].T.ravel()
            bars = pd.DataFrame({"asset": asset, "interval": "1d", "ts": ts, "source": "binance", "close": c})
            caps = pd.DataFrame({"asset": asset, "ts": ts + np.timedelta64(1, "D"), "source": "coingecko",
                                 "market_cap_usd": c * np.repeat(supply[sl], n)})
            db.con.register("b", bars)
            db.con.register("m", caps)
            db.con.execute("INSERT INTO bars (asset, interval, ts, source, close) SELECT * FROM b")
            db.con.execute("INSERT INTO market_caps (asset, ts, source, market_cap_usd) SELECT * FROM m")
            db.con.unregister("b")
            db.con.unregister("m")
        db.con.execute("CHECKPOINT")
    return n * n_assets


def _baseline(path: str, n_assets: int, n_sectors: int, repeat: int, q: mp.Queue) -> None:
    import numpy as np
    import pandas as pd

    from selloff.store import Store

    u = universe(n_assets, n_sectors)
    member = pd.DataFrame([(m, s.id) for s in u.sectors.values() for m in s.members], columns=["asset", "sector"])
    with Store(path, read_only=True) as db:
        db.con.register("membership", member)
        sql = ("SELECT s.sector, epoch_ms(m.ts) // 86400000 AS day, sum(m.market_cap_usd) AS cap "
               "FROM market_caps m JOIN membership s ON m.asset = s.asset GROUP BY 1, 2")
        db.con.execute(sql).fetchnumpy()  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = db.con.execute(sql).fetchnumpy()
            times.append(time.perf_counter() - t0)
        fetch = []  # what any scan that brings the rows into Python pays at least: the two value columns alone
        for _ in range(repeat):
            t0 = time.perf_counter()
            db.con.execute("SELECT close FROM bars WHERE interval = '1d'").fetchnumpy()
            db.con.execute("SELECT market_cap_usd FROM market_caps").fetchnumpy()
            fetch.append(time.perf_counter() - t0)
    q.put({"s": min(times), "rows": len(out["cap"]), "rss_mb": peak_rss_mb(), "fetch_s": min(fetch)})
    del np


def _scan(path: str, n_assets: int, n_sectors: int, repeat: int, q: mp.Queue) -> None:
    from selloff import api
    from selloff.pipeline import grid as G
    from selloff.store import Store

    u = universe(n_assets, n_sectors)
    with Store(path, read_only=True) as db:
        api.scan_all(db, universe=u)  # warm-up: imports, config, DuckDB caches
        times, loads = [], []
        orig = G.load_grid

        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                loads.append(time.perf_counter() - t0)

        import selloff.pipeline.market as M
        M.load_grid = timed
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = api.scan_all(db, universe=u)
            times.append(time.perf_counter() - t0)
        M.load_grid = orig
    best = min(range(repeat), key=lambda i: times[i])
    q.put({"s": times[best], "load_s": loads[best], "episodes": len(res.episodes), "sectors": len(res.sectors),
           "rss_mb": peak_rss_mb()})


def _child(fn, *args):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=fn, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


TARGET_RATIO = 2.0
TARGET_PEAK_MIB = 4096


def run(assets: int, years: int, sectors: int, repeat: int, seed: int) -> tuple[dict, dict, dict]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.duckdb"
        t0 = time.perf_counter()
        rows = build(path, assets, years, sectors, seed)
        info = {"rows": rows, "mb": path.stat().st_size / 2**20, "build_s": time.perf_counter() - t0}
        base = _child(_baseline, str(path), assets, sectors, repeat)
        scan = _child(_scan, str(path), assets, sectors, repeat)
    return info, base, scan


def main() -> None:
    import json
    import sys

    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=1000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--sectors", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="200 assets x 2 years, 10 sectors")
    ap.add_argument("--json", action="store_true", help="one JSON list of results (python -m bench)")
    a = ap.parse_args()
    if a.quick:
        a.assets, a.years, a.sectors = 200, 2, 10
    info, base, scan = run(a.assets, a.years, a.sectors, a.repeat, a.seed)
    ratio = scan["s"] / base["s"]
    if a.json:
        json.dump([{"bench": "scan_all", "case": f"{a.assets:,}×{a.years}y, {a.sectors} sectors, {2 * info['rows'] / 1e6:.1f} M rows",
                    "seconds": scan["s"], "baseline": "DuckDB sum(market cap) by sector and day",
                    "baseline_seconds": base["s"], "ratio": ratio, "target": f"≤{TARGET_RATIO:g}×, <4 GiB",
                    "met": ratio <= TARGET_RATIO and scan["rss_mb"] < TARGET_PEAK_MIB, "peak_mib": scan["rss_mb"],
                    "baseline_peak_mib": base["rss_mb"],
                    "note": f"grid load {scan['load_s']:.3f} s, per-sector {scan['s'] - scan['load_s']:.3f} s, "
                            f"the two value columns alone {base['fetch_s']:.3f} s, "
                            f"{scan['episodes']} episodes"}], sys.stdout, indent=2, ensure_ascii=False)
        return
    print(f"store: {a.assets:,} assets x {a.years} years = {info['rows']:,} bars + {info['rows']:,} caps, {a.sectors} sectors "
          f"({info['mb']:,.0f} MB, built in {info['build_s']:.1f} s)")
    print(f"baseline  DuckDB sum(market cap) by sector and day  {base['s']:7.3f} s  ({base['rows']:,} rows out; "
          f"peak RSS {base['rss_mb']:,.0f} MB)")
    print(f"scan --all  api.scan_all, {scan['sectors']} sectors          {scan['s']:7.3f} s  ({scan['episodes']} episodes; "
          f"peak RSS {scan['rss_mb']:,.0f} MB)")
    print(f"  grid load (summary + one array read per table)  {scan['load_s']:7.3f} s")
    print(f"  per-sector index, breadth, sigma, episodes       {scan['s'] - scan['load_s']:7.3f} s")
    print(f"  (fetching only the two value columns into numpy: {base['fetch_s']:.3f} s = "
          f"{base['fetch_s'] / base['s']:.2f}x the baseline)")
    print(f"ratio scan / baseline = {ratio:.2f}x (target <= {TARGET_RATIO:g}x)")


if __name__ == "__main__":
    main()
