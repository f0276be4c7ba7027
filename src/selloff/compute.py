"""Where independent tasks run: in this process (``local``) or on a ``dask.distributed`` cluster (``dask``).

The analytics split their work into pure tasks whose results are merged in a fixed order (stress: blocks of
paths with their own seeds; spillover: blocks of windows; scan: blocks of assets), so every engine gives the same
result. ``dask`` uses the scheduler at ``scheduler`` (``tcp://host:8786``) or, when none is given, a
``LocalCluster`` of ``workers`` processes started for the call and closed after it. Dask is imported only here
and only when asked for.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from selloff.errors import ConfigError

ENGINES = ("local", "dask")


@dataclass(frozen=True)
class Engine:
    """``name`` local|dask; ``scheduler`` a dask scheduler address (None: a LocalCluster); ``workers`` its size."""
    name: str = "local"
    scheduler: str | None = None
    workers: int = 2

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ConfigError(f"--engine {self.name!r} is not one of {', '.join(ENGINES)}")
        if self.workers < 1:
            raise ConfigError(f"[compute] dask_workers = {self.workers} must be >= 1")
        if self.scheduler and self.name != "dask":
            raise ConfigError("--scheduler needs --engine dask")


LOCAL = Engine()


@contextlib.contextmanager
def dask_client(engine: Engine) -> Iterator[Any]:
    """A connected ``distributed.Client``: to ``engine.scheduler``, or to a LocalCluster made for the call."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ConfigError("--engine dask needs dask.distributed; pip install 'dask[distributed]'") from exc
    if engine.scheduler:
        try:
            client = Client(engine.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"--scheduler {engine.scheduler}: no dask scheduler answers there ({exc}); start one "
                              f"with `dask scheduler` or leave --scheduler out for a local cluster") from exc
        with client:
            yield client
        return
    with LocalCluster(n_workers=engine.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], engine: Engine = LOCAL,
              on_done: Callable[[Any], None] | None = None) -> list[Any]:
    """``[fn(*t) for t in tasks]``, in the order of ``tasks`` whatever the engine; ``on_done(result)`` after each."""
    if engine.name == "local":
        out = []
        for t in tasks:
            out.append(fn(*t))
            if on_done is not None:
                on_done(out[-1])
        return out
    from distributed import as_completed

    with dask_client(engine) as client:
        futures = [client.submit(fn, *t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        for f in as_completed(futures):
            out[index[f.key]] = f.result()
            if on_done is not None:
                on_done(out[index[f.key]])
        return out
