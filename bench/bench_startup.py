"""Start-up time (issue 16, benchmark 7): ``selloff --help`` and ``import selloff.api``, each in fresh processes.

    .venv/bin/python -m bench.bench_startup [--repeat 5] [--quick] [--json]

Best of ``--repeat`` fresh interpreters each (the first run also pays the OS file cache). Baseline, measured in the
same run: a bare ``python -c pass`` — the interpreter's own start-up, the floor under both. Targets: ``selloff
--help`` < 0.5 s, ``import selloff.api`` < 1 s.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

SELLOFF = str(Path(sys.executable).with_name("selloff"))  # the console script the README installs
CASES = (
    ("selloff --help", [SELLOFF, "--help"], 0.5),
    ("import selloff.api", [sys.executable, "-c", "import selloff.api"], 1.0),
)


def _best(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def run(quick: bool = False, repeat: int = 5) -> list[dict]:
    repeat = 2 if quick else repeat
    base = _best([sys.executable, "-c", "pass"], repeat)
    out = []
    for name, cmd, target in CASES:
        t = _best(cmd, repeat)
        out.append({"bench": "startup", "case": name, "seconds": t, "baseline": "python -c pass",
                    "baseline_seconds": base, "ratio": t / base, "target": f"<{target} s", "met": t < target,
                    "peak_mib": None, "note": f"best of {repeat} fresh processes"})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = run(a.quick, a.repeat)
    if a.json:
        json.dump(res, sys.stdout, indent=2, ensure_ascii=False)
        return
    for r in res:
        print(f"{r['case']}: {r['seconds']:.3f} s (target {r['target']}); interpreter alone {r['baseline_seconds']:.3f} s")


if __name__ == "__main__":
    main()
