"""Benchmark: batched rolling Diebold-Yilmaz spillover vs one statsmodels VAR fit + FEVD per window.

The headline baseline is statsmodels' own path, ``VAR(window).fit(p)`` then ``.fevd(H)`` (Cholesky) per window,
against the batched path with ``identification="orthogonal"``; the generalized (DY 2012) path is timed against
statsmodels' fit + ``ma_rep`` + the generalized decomposition per window.

Run:  .venv/bin/python bench/bench_spillover.py [--quick] [--assets 20] [--window 250] [--windows 1000] [--dask]

Both paths run in this process on the same simulated panel (a stationary VAR(1) with correlated shocks), so the
printed ratio is against a baseline measured in the same run, interleaved (a batched run before each fifth of the
baseline's windows; ratio = baseline total / median batched run); the outputs are compared (they must agree to 1e-8).
Peak memory is the tracemalloc peak of a separate, untimed call (numpy reports its buffers to tracemalloc); the
baseline's is measured on its first windows (it holds one window's fit at a time). ``--dask`` adds the Dask engine
on a LocalCluster (2 worker processes, 1 thread each): the per-task overhead of a no-op task and local vs Dask
times at growing sizes (the crossover). ``--json-out PATH`` writes every number; ``--json`` prints the result rows for ``python -m bench``.
"""
from __future__ import annotations

import os

# single-threaded BLAS for both paths: the comparison is of algorithms, and on shared cores threaded BLAS timings
# are mostly noise (set OPENBLAS_NUM_THREADS yourself to override)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from selloff.analytics.spillover import rolling_spillover, rolling_spillover_reference

QUICK = dict(assets=5, window=100, windows=100, lags=2, horizon=10)
FULL = dict(assets=20, window=250, windows=1000, lags=4, horizon=10)


def simulated_panel(assets: int, days: int, seed: int = 20120101) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = 0.5 * np.eye(assets) + rng.uniform(-0.05, 0.05, (assets, assets))
    chol = np.tril(rng.uniform(-0.3, 0.3, (assets, assets))) + np.eye(assets)
    shocks = rng.standard_normal((days + 100, assets)) @ chol.T
    y = np.zeros_like(shocks)
    for t in range(1, len(y)):
        y[t] = a @ y[t - 1] + shocks[t]
    idx = pd.date_range("2020-01-01", periods=days, freq="D", tz="UTC", name="ts")
    return pd.DataFrame(y[100:], index=idx, columns=[f"A{i:02d}" for i in range(assets)])


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def dask_section(kw: dict, assets: int, window: int, sizes: list[int]) -> dict:
    from dask.distributed import Client, LocalCluster

    out: dict = {"workers": 2, "threads_per_worker": 1, "processes": True, "sizes": []}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      host="127.0.0.1") as cluster, \
            Client(cluster) as client:
        client.submit(int, 0, pure=False).result()  # warm the workers
        n = 200
        t0 = time.perf_counter()
        client.gather([client.submit(int, i, pure=False) for i in range(n)])
        out["per_task_overhead_ms"] = 1e3 * (time.perf_counter() - t0) / n
        t0 = time.perf_counter()
        for i in range(20):
            client.submit(int, i, pure=False).result()
        out["round_trip_ms"] = 1e3 * (time.perf_counter() - t0) / 20
        addr = cluster.scheduler_address
        for w in sizes:
            data = simulated_panel(assets, window + w - 1)
            block = max(1, -(-w // 4))  # four tasks for two workers
            run_kw = dict(kw, block_windows=block)
            t_loc, loc = best_of(lambda: rolling_spillover(data, **run_kw), 1)
            rolling_spillover(data.iloc[: window + 4], engine="dask", scheduler=addr, **run_kw)  # ship the code
            t_dask, dsk = best_of(lambda: rolling_spillover(data, engine="dask", scheduler=addr, **run_kw), 1)
            same = bool(np.array_equal(loc.to_numpy(), dsk.to_numpy()))
            out["sizes"].append({"windows": w, "block_windows": block, "local_s": t_loc, "dask_s": t_dask,
                                 "dask_over_local": t_dask / t_loc, "identical": same})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"small sizes ({QUICK})")
    ap.add_argument("--assets", type=int)
    ap.add_argument("--window", type=int)
    ap.add_argument("--windows", type=int, help="number of rolling windows (step 1)")
    ap.add_argument("--lags", type=int)
    ap.add_argument("--horizon", type=int)
    ap.add_argument("--dask", action="store_true", help="also time the Dask engine (LocalCluster, 2 workers)")
    ap.add_argument("--json-out", help="write every number to this file")
    ap.add_argument("--json", action="store_true", help="print the results for python -m bench (tables go to stderr)")
    args = ap.parse_args()
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        res, worst = _run(args)
    if args.json:
        json.dump([{"bench": "spillover", "case": f"{r['identification'][:4]}., {res['windows']:,} windows",
                    "seconds": r["batched_cpu_s"], "baseline": r["baseline"], "baseline_seconds": r["baseline_cpu_s"],
                    "ratio": r["baseline_cpu_s"] / r["batched_cpu_s"], "target": "≥100× faster, ≤1e-8",
                    "met": r["ratio_cpu"] >= 100 and r["max_abs_diff"] <= 1e-8, "peak_mib": r["peak_mib_batched"],
                    "note": f"CPU seconds (ratio = baseline / batched, speed-up); max |diff| {r['max_abs_diff']:.1e}"}
                   for r in res["rows"]], sys.stdout)
    if worst > 1e-8:
        raise SystemExit(f"batched and reference paths disagree by {worst:.2e} > 1e-8")


def _run(args) -> tuple[dict, float]:
    size = dict(QUICK if args.quick else FULL)
    size.update({k: v for k, v in vars(args).items() if k in size and v is not None})

    data = simulated_panel(size["assets"], size["window"] + size["windows"] - 1)
    kw = dict(window=size["window"], lags=size["lags"], horizon=size["horizon"])
    rolling_spillover(data.iloc[: size["window"] + 5], **kw)  # warm-up (imports, BLAS threads)
    rolling_spillover_reference(data.iloc[: size["window"] + 1], identification="orthogonal", **kw)
    n_mem = min(size["windows"], 20)
    res = {"size": size, "windows": size["windows"], "target_ratio": 100, "target_diff": 1e-8, "rows": []}
    print(f"panel: {size['assets']} assets, window {size['window']}, {size['windows']} windows, VAR({size['lags']}), "
          f"H={size['horizon']}")
    print(f"{'identification / path':<42}{'wall s':>9}{'CPU s':>9}{'CPU ms/w':>9}{'MiB':>7}")
    worst = 0.0
    for ident, base in (("orthogonal", "statsmodels fit + fevd(H)"),
                        ("generalized", "statsmodels fit+ma_rep+GFEVD")):
        ikw = dict(kw, identification=ident)
        # interleaved: before each fifth of the baseline's windows, one full batched run; the ratio is the whole
        # baseline over the median batched run, so both paths see the same machine load (shared cores)
        chunks, per = 5, -(-size["windows"] // 5)
        fast_wall, fast_cpu, ref_parts, ref_wall, ref_cpu = [], [], [], 0.0, 0.0
        for c in range(chunks):
            w, cpu, fast = timed(lambda: rolling_spillover(data, **ikw))
            fast_wall.append(w)
            fast_cpu.append(cpu)
            sub = data.iloc[c * per : min(c * per + size["window"] + per - 1, len(data))]
            if len(sub) >= size["window"]:
                w, cpu, part = timed(lambda: rolling_spillover_reference(sub, **ikw))
                ref_wall += w
                ref_cpu += cpu
                ref_parts.append(part)
        t_fast, c_fast = float(np.median(fast_wall)), float(np.median(fast_cpu))
        ref = pd.concat(ref_parts)
        assert list(ref.index) == list(fast.index)
        diff = float(np.abs(fast.to_numpy() - ref.to_numpy()).max())
        worst = max(worst, diff)
        mem_fast = peak_mib(lambda: rolling_spillover(data, **ikw))
        mem_ref = peak_mib(lambda: rolling_spillover_reference(data.iloc[: size["window"] + n_mem - 1], **ikw))
        res["rows"].append({"identification": ident, "baseline": base, "baseline_s": ref_wall, "batched_s": t_fast,
                            "ratio": ref_wall / t_fast, "baseline_cpu_s": ref_cpu, "batched_cpu_s": c_fast,
                            "ratio_cpu": ref_cpu / c_fast, "max_abs_diff": diff, "peak_mib_batched": mem_fast,
                            "batched_runs_s": fast_wall, "peak_mib_baseline": mem_ref})
        n = size["windows"]
        print(f"{ident + ': ' + base:<42}{ref_wall:9.2f}{ref_cpu:9.2f}{1e3 * ref_cpu / n:9.2f}{mem_ref:7.1f}")
        print(f"{ident + ': batched':<42}{t_fast:9.3f}{c_fast:9.3f}{1e3 * c_fast / n:9.3f}{mem_fast:7.1f}")
        print(f"  ratio {ref_wall / t_fast:.0f}x wall, {ref_cpu / c_fast:.0f}x CPU (target >= 100x); "
              f"max |diff| {diff:.1e} (<= 1e-8)")
    if args.dask:
        sizes = [100, 400] if args.quick else [1000, 4000, 16000]
        res["dask"] = dask_section(kw, size["assets"], size["window"], sizes)
        d = res["dask"]
        print(f"dask LocalCluster 2 workers: per-task overhead {d['per_task_overhead_ms']:.2f} ms (200 no-op tasks), "
              f"round trip {d['round_trip_ms']:.2f} ms")
        for r in d["sizes"]:
            print(f"  {r['windows']:>6} windows, blocks of {r['block_windows']}: local {r['local_s']:.3f} s, "
                  f"dask {r['dask_s']:.3f} s ({r['dask_over_local']:.2f}x local), identical={r['identical']}")
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(res, fh, indent=2)
    return res, worst


if __name__ == "__main__":
    main()
