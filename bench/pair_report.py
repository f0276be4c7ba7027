"""The report's wall time, this working tree against an earlier commit, run in turns on the same demo store.

    .venv/bin/python bench/pair_report.py --against 4a14a2c [--rounds 3] [--reports 3]

On a shared machine whose speed drifts, two separate runs of ``bench_report.py`` cannot tell a 10 % change from the
drift; here each round runs both sides back to back (the order alternating), each in its own process: a warm-up
report, then ``--reports`` timed in-process reports (their median), then one fresh ``selloff report --lang all`` as a
new process. The earlier commit is checked out into a temporary git worktree and imported from there
(``PYTHONPATH``); both sides share this environment's libraries, one demo store built by this tree, and one cache dir
(so both read kept results, as a user's second report would) and empty config and data dirs (no user config or
universe). Prints each round and the median of the per-round differences (earlier minus this tree) and ratios.
The worktree is removed at the end, also when the run fails or is stopped (Ctrl-C, SIGTERM).
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATE, SECTOR = "2026-02-06", "ai-crypto"
CHILD = """
import statistics, sys, time
from selloff.pipeline.report import report
from selloff.store import Store
from selloff.universe import load_universe
store, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = load_universe(include_user_config=False)
with Store(store, read_only=True) as db:
    report(db, u, "%s", "%s", "all", "md,html,json", out)
    ws = []
    for _ in range(n):
        t = time.perf_counter(); report(db, u, "%s", "%s", "all", "md,html,json", out); ws.append(time.perf_counter() - t)
print(statistics.median(ws))
""" % (SECTOR, DATE, SECTOR, DATE)


def _run(cmd: list[str], env: dict) -> str:
    """``cmd``'s standard output; on failure its standard error's end, and the bench stops."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p.stdout


def _side(src: Path, store: Path, tmp: Path, env: dict, reports: int) -> tuple[float, float]:
    """(median warm in-process report, fresh CLI report) with the package imported from ``src``."""
    e = {**env, "PYTHONPATH": str(src)}
    warm = float(_run([sys.executable, "-c", CHILD, str(store), str(tmp / "warm"), str(reports)], e).split()[-1])
    cli = [sys.executable, "-c", "from selloff.cli import app; app()", "report", "--store", str(store), "--date", DATE,
           "--sector", SECTOR, "--lang", "all", "--format", "md,html,json", "--out", str(tmp / "fresh")]
    t0 = time.perf_counter()
    _run(cli, e)
    return warm, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="the earlier commit (any git revision)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reports", type=int, default=3, help="timed in-process reports per side and round")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the finally below still removes the worktree
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        old = tmp / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False)  # a killed earlier run's entry
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), a.against], check=True)
        try:
            env = {**os.environ, **{f"SELLOFF_{k}_DIR": str(tmp / k.lower()) for k in ("CACHE", "CONFIG", "DATA")}}
            env.pop("SELLOFF_CONFIG", None)
            store = tmp / "demo.duckdb"
            _run([sys.executable, "-c", "import sys; from selloff.pipeline.demo import build_demo_store; "
                  "from selloff.store import Store; from selloff.universe import load_universe; "
                  "db = Store(sys.argv[1]); build_demo_store(db, load_universe(include_user_config=False)); "
                  "db.close()", str(store)], {**env, "PYTHONPATH": str(ROOT / "src")})
            sides = {"earlier": old / "src", "this tree": ROOT / "src"}
            rows = []
            for r in range(a.rounds):
                order = list(sides) if r % 2 == 0 else list(sides)[::-1]
                got = {k: _side(sides[k], store, tmp, env, a.reports) for k in order}
                rows.append(got)
                print(f"round {r + 1}: warm {got['earlier'][0]:5.2f} -> {got['this tree'][0]:5.2f} s · fresh "
                      f"{got['earlier'][1]:5.2f} -> {got['this tree'][1]:5.2f} s", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    for i, name in ((0, "warm process"), (1, "fresh process")):
        diff = statistics.median(g["earlier"][i] - g["this tree"][i] for g in rows)
        ratio = statistics.median(g["this tree"][i] / g["earlier"][i] for g in rows)
        print(f"{name:14} {a.against} -> this tree: {abs(diff):.2f} s {'less' if diff >= 0 else 'more'} per report "
              f"(median of the rounds' differences), this tree / earlier {ratio:.2f}")
    print("target (issue 9): the warm report < 2 s")


if __name__ == "__main__":
    main()
