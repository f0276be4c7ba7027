"""Stress-engine benchmark: filtered historical simulation of 1,000,000 paths x 30 assets x 10 days.

The full FHS run — date bootstrap, GJR-GARCH recursion (float32), portfolio P&L, 1-day and 10-day VaR/ES with
intervals, Euler tail rows — against a baseline measured in the same run: plain numpy drawing and combining the
same number of correlated normals (paths x days x assets = 300 M) in 20k-path float32 chunks. Each variant runs in
its own process so that its peak RSS is its own (with ``--workers N`` the FHS's workers are further processes,
whose memory is not in that peak). Prints paths/s, the ratio and the peaks.

    .venv/bin/python bench/bench_stress.py            # 1,000,000 paths
    .venv/bin/python bench/bench_stress.py --quick    # 100,000 paths
    .venv/bin/python -m bench.bench_stress --json     # the records python -m bench collects
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

N_ASSETS, DAYS, CHUNK, T_HIST = 30, 10, 20_000, 750


def history(seed: int = 0):
    """750 days of 30 assets: one common Student-t factor plus GJR-type idiosyncratic noise (log returns)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    f = rng.standard_t(4, T_HIST) * 0.02
    load = rng.uniform(0.5, 1.5, N_ASSETS)
    e = rng.standard_t(5, (T_HIST, N_ASSETS)) * rng.uniform(0.01, 0.04, N_ASSETS)
    return pd.DataFrame(f[:, None] * load + e, columns=[f"A{i:02d}" for i in range(N_ASSETS)],
                        index=pd.date_range("2023-01-01", periods=T_HIST))


def baseline(paths: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(1)
    cov = np.cov(history().to_numpy().T)
    chol = np.linalg.cholesky(cov).astype(np.float32).T
    t0 = time.perf_counter()
    acc = 0.0
    for s in range(0, paths, CHUNK):
        n = min(CHUNK, paths - s)
        z = rng.standard_normal((n * DAYS, N_ASSETS), dtype=np.float32)
        x = z @ chol
        acc += float(x[:1].sum())
    return {"seconds": time.perf_counter() - t0}


def fhs(paths: int, workers: int = 1) -> dict:
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from selloff.analytics.stress.engine import EngineParams, run_engine
    from selloff.analytics.stress.fhs import fit_fhs

    t0 = time.perf_counter()
    model = fit_fhs(history())
    fit_s = time.perf_counter() - t0
    p = EngineParams(paths=paths, seed=20260206, batch_paths=CHUNK, block_paths=5000, levels=(0.95, 0.975, 0.99),
                     horizons=(1, DAYS), asset_sample_paths=min(paths, 100_000), workers=workers)
    e = np.full(N_ASSETS, 1 / N_ASSETS)
    W = np.vstack([np.eye(N_ASSETS)[0], np.r_[np.zeros(N_ASSETS - 5), np.full(5, 0.2)]])
    t0 = time.perf_counter()
    run = run_engine(model, e, W, ("A00", "BASKET"), p)
    risk = {h: run.risk(h) for h in (1, DAYS)}
    euler = run.euler(DAYS, 0.975)
    sim_s = time.perf_counter() - t0
    r10 = {x["level"]: x for x in risk[DAYS]}
    return {"seconds": sim_s, "fit_seconds": fit_s, "var99_10d_pct": r10[0.99]["var"] * 100,
            "es975_10d_pct": r10[0.975]["es"] * 100, "euler_gap": abs(float(euler[0].sum()) - euler[2])}


def child(variant: str, paths: int, workers: int = 1) -> dict:
    out = subprocess.run([sys.executable, __file__, "--variant", variant, "--paths", str(paths), "--workers",
                          str(workers)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100,000 paths instead of 1,000,000")
    ap.add_argument("--paths", type=int, default=None)
    ap.add_argument("--variant", choices=("baseline", "fhs"), default=None)
    ap.add_argument("--workers", type=int, default=1, help="worker processes for the FHS (same result)")
    ap.add_argument("--json", action="store_true", help="print the result records (for python -m bench)")
    a = ap.parse_args()
    paths = a.paths or (100_000 if a.quick else 1_000_000)
    if a.variant:
        res = baseline(paths) if a.variant == "baseline" else fhs(paths, a.workers)
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process only
        print(json.dumps(res))
        return
    b = child("baseline", paths)
    f = child("fhs", paths, a.workers)
    ratio = f["seconds"] / b["seconds"]
    if a.json:
        json.dump([{"bench": "stress", "case": f"FHS {paths:,}×{N_ASSETS}×{DAYS}d, {a.workers} worker(s)",
                    "seconds": f["seconds"], "baseline": "numpy correlated normals, float32, 20k-path chunks",
                    "baseline_seconds": b["seconds"], "ratio": ratio, "target": "≤2×, <1 GiB",
                    "met": ratio <= 2 and f["peak_rss_mb"] < 1024, "peak_mib": f["peak_rss_mb"],
                    "baseline_peak_mib": b["peak_rss_mb"],
                    "note": f"{paths / f['seconds']:,.0f} paths/s (baseline {paths / b['seconds']:,.0f}); fit of the "
                            f"30 GJR-GARCH-t {f['fit_seconds']:.1f} s, not in the ratio"}], sys.stdout, indent=2,
                  ensure_ascii=False)
        return
    print(f"{paths:,} paths x {N_ASSETS} assets x {DAYS} days ({paths * N_ASSETS * DAYS / 1e6:,.0f} M asset-steps)")
    print(f"baseline (numpy correlated normals, float32, {CHUNK:,}-path chunks): {b['seconds']:.2f} s, "
          f"{paths / b['seconds']:,.0f} paths/s, peak RSS {b['peak_rss_mb']:.0f} MB")
    print(f"FHS (bootstrap + GJR recursion + P&L + VaR/ES + Euler, {a.workers} worker(s)): {f['seconds']:.2f} s, "
          f"{paths / f['seconds']:,.0f} paths/s, peak RSS {f['peak_rss_mb']:.0f} MB (fit of 30 GJR-GARCH-t: "
          f"{f['fit_seconds']:.2f} s, not in the ratio)")
    print(f"ratio FHS / baseline: {f['seconds'] / b['seconds']:.2f} (target <= 2); 10-day VaR 99 % "
          f"{f['var99_10d_pct']:.2f} %, ES 97.5 % {f['es975_10d_pct']:.2f} %, Euler gap {f['euler_gap']:.1e}")


if __name__ == "__main__":
    main()
