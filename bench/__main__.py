"""All benchmarks, one command: ``python -m bench [--quick] [--only NAME,...]``.

Each benchmark runs in its own process (``python -m bench.<module> --json``) so that its peak memory is its own and
a crash in one does not hide the others. Every benchmark measures its baseline in the same run and reports the ratio.
The results are printed as a table and written to ``bench/results.json`` (generated, not committed).
``--quick`` runs every benchmark at a small size (under a minute in all; ``tests/test_bench.py`` runs it).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("load", "scan_all", "spillover", "stress", "report", "intraday", "startup")
"""Run order; a module ``bench/bench_<name>.py`` that does not exist (yet) is listed as missing."""
DEFAULT_ARGS = {"intraday": ["--assets", "50", "--days", "90"]}
"""Sizes of the default run where a benchmark's own default (the issue's full size) would not fit the 10-minute
budget of ``python -m bench``: 200 assets × 365 days of minute bars (105 M rows) take 10–18 minutes to load alone
on 2 cores; run ``python -m bench.bench_intraday`` for that size."""


def _run_one(name: str, quick: bool) -> tuple[list[dict], str | None]:
    if not (HERE / f"bench_{name}.py").exists():
        return [], "missing"
    cmd = [sys.executable, "-m", f"bench.bench_{name}", "--json"] + (["--quick"] if quick else DEFAULT_ARGS.get(name, []))
    p = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [], f"failed (exit {p.returncode}): {last}"
    return json.loads(p.stdout), None


def _fmt(x: object, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute in all")
    ap.add_argument("--only", default="", help="comma-separated names, e.g. load,startup")
    ap.add_argument("--out", default=str(HERE / "results.json"), help="where the JSON goes")
    a = ap.parse_args(argv)
    names = [n for n in a.only.split(",") if n] or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    console = Console(width=min(Console().width, 80))
    results, problems = [], {}
    t0 = time.perf_counter()
    for n in names:
        with console.status(f"bench {n}{' (quick)' if a.quick else ''} …"):
            res, problem = _run_one(n, a.quick)
        results += res
        if problem:
            problems[n] = problem
    table = Table(title=f"selloff benchmarks{' (--quick sizes)' if a.quick else ''}", box=box.SIMPLE_HEAD,
                  caption="s: the benchmark; base: its baseline in the same run; ratio as the target reads it "
                          "(× slower, or × faster where the target says so); details in bench/results.json")
    for col, just in (("bench", "left"), ("case", "left"), ("s", "right"), ("base s", "right"),
                      ("ratio", "right"), ("MiB", "right"), ("target", "left"), ("met", "center")):
        table.add_column(col, justify=just, overflow="fold", no_wrap=col not in ("case", "target"))
    for r in results:
        table.add_row(r["bench"], r["case"], _fmt(r["seconds"], ".2f"), _fmt(r["baseline_seconds"], ".2f"),
                      _fmt(r["ratio"], ".2f"), _fmt(r.get("peak_mib"), ",.0f"), r["target"],
                      "yes" if r["met"] else "no")
    console.print(table)
    for n, problem in problems.items():
        console.print(f"{n}: {problem}")
    Path(a.out).write_text(json.dumps({"quick": a.quick, "seconds": time.perf_counter() - t0, "results": results,
                                       "problems": problems}, indent=2, ensure_ascii=False) + "\n")
    console.print(f"{len(results)} results in {time.perf_counter() - t0:.0f} s → {a.out}")
    return 1 if any(p != "missing" for p in problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
