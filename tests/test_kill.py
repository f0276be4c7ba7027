"""SIGKILL during ``selloff import``: each file is one transaction, so after any kill the store opens cleanly and
holds exactly the rows of some prefix of the files; running the import again converges to the full import."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.storeprint import fingerprint

REPO = Path(__file__).resolve().parents[1]
ASSETS = ("TAO", "NEAR", "ICP", "FET", "RENDER", "WLD")
ROWS = 20_000  # hourly bars per file: each file takes a noticeable part of a second to import


def _write_files(folder: Path) -> list[Path]:
    rng = np.random.default_rng(11)
    t0 = 1_577_836_800_000  # 2020-01-01 00:00 UTC in ms
    paths = []
    for i, asset in enumerate(ASSETS):
        close = 10.0 * (i + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, ROWS)))
        open_ = np.r_[close[0], close[:-1]]
        high, low = np.maximum(open_, close) * 1.002, np.minimum(open_, close) * 0.998
        ts = t0 + 3_600_000 * np.arange(ROWS)
        body = "\n".join(f"{t},{o:.6f},{h:.6f},{lo:.6f},{c:.6f},100,1000"
                         for t, o, h, lo, c in zip(ts, open_, high, low, close))
        p = folder / f"{asset}USDT.csv"
        p.write_text("timestamp,open,high,low,close,volume,turnover\n" + body + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def _data(path: Path) -> dict:
    """The fingerprint without ``fetch_log`` and ``schema_version`` (their rows carry wall-clock times)."""
    fp = fingerprint(path)
    for table in ("fetch_log", "schema_version"):
        fp.pop(table, None)
    return fp


def _import(files: list[Path], store: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen([sys.executable, "-m", "selloff.cli", "import", *map(str, files), "--store", str(store)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_kill_leaves_a_prefix_and_a_rerun_converges(tmp_path):
    from selloff.pipeline.imports import import_file
    from selloff.store import Store
    from selloff.universe import load_universe

    files = _write_files(tmp_path)
    ref = tmp_path / "ref.duckdb"
    uni = load_universe(include_user_config=False)
    with Store(ref):
        pass
    prefixes = [_data(ref)]  # after 0, 1, ..., len(files) files
    for f in files:
        with Store(ref) as db:
            import_file(db, f, universe=uni)
        prefixes.append(_data(ref))

    store = tmp_path / "killed.duckdb"
    started = time.monotonic()
    proc = _import(files, store)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    full_s = time.monotonic() - started
    assert _data(store) == prefixes[-1]
    store.unlink()
    Path(str(store) + ".wal").unlink(missing_ok=True)

    rng = random.Random(20260206)
    seen = set()
    for _ in range(4):
        proc = _import(files, store)
        time.sleep(rng.uniform(0.3, full_s))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with Store(store):  # opens (and replays its WAL) cleanly
            pass
        state = _data(store)
        assert state in prefixes, "a killed import left a partial file in the store"
        seen.add(prefixes.index(state))
    proc = _import(files, store)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    assert _data(store) == prefixes[-1]
