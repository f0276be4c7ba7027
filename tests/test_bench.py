"""``python -m bench --quick``: every benchmark runs at a small size, measures its baseline in the same run and
reports a ratio consistent with its two times (the harness of issue 16; the numbers themselves are in
bench/README.md, not asserted here: timing belongs to the benchmarks, not to tests)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.__main__ import BENCHMARKS  # noqa: E402


def test_quick_runs_every_benchmark_with_its_baseline(tmp_path):
    out = tmp_path / "results.json"
    p = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=REPO,
                       capture_output=True, text=True, timeout=600,
                       env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert doc["quick"] is True and not doc["problems"], doc["problems"]
    seen = {r["bench"] for r in doc["results"]}
    assert seen == set(BENCHMARKS), f"missing: {set(BENCHMARKS) - seen}"
    for r in doc["results"]:
        s, b, ratio = r["seconds"], r["baseline_seconds"], r["ratio"]
        assert s > 0 and b > 0 and r["baseline"] and r["target"], r
        assert math.isclose(ratio, s / b, rel_tol=1e-6) or math.isclose(ratio, b / s, rel_tol=1e-6), r
        assert isinstance(r["met"], bool)
