"""What the benchmarks share: a process's own peak memory, and running a measurement in a fresh process."""
from __future__ import annotations

import multiprocessing as mp
import resource
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` on Linux (``ru_maxrss`` keeps a forking parent's
    peak), ``ru_maxrss`` elsewhere."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(fn, *args):
    """``fn(*args)`` in a fresh (spawned) process, so its peak memory is its own; its exceptions come back here."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()
