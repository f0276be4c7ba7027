"""Where independent tasks run: in this process (``local``) or on a ``dask.distributed`` cluster (``dask``).

The analytics split their work into pure tasks whose results are merged in a fixed order (stress: blocks of
paths with their own seeds; spillover: blocks of windows; scan: blocks of assets), so every engine gives the same
result. ``dask`` uses the scheduler at ``scheduler`` (``tcp://host:8786``) or, when none is given, a
``LocalCluster`` of ``workers`` processes started for the call and closed after it. Dask is imported only here
and only when asked for.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from selloff.errors import ConfigError

ENGINES = ("local", "dask")
__all__ = ["ENGINES", "Engine", "InChild", "LOCAL", "dask_client", "fork_frozen", "in_child", "run_tasks"]


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


def fork_frozen() -> int:
    """``os.fork()`` with the caller's objects frozen out of the garbage collector's reach for the fork
    (:func:`gc.freeze`): a collection in the child then walks none of the inherited objects, so it copies none of
    their memory pages (measured: the report 2.65 -> 2.52 s). Returns the pid (0 in the child), -1 where the fork
    failed (in the caller the objects are unfrozen again before it returns)."""
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        pid = -1
    if pid != 0:
        gc.unfreeze()
    return pid


class InChild:
    """``fn(*args)`` computed in a forked child while the caller goes on; :meth:`result` returns its value or
    raises its exception, as a call in the caller would. Where the platform cannot fork, the fork fails, the child
    dies, gives no result within ``timeout_s`` or its result cannot be pickled, :meth:`result` computes ``fn(*args)`` in the caller instead — the
    outcome is the same, only later. The child must not touch open files or connections of the caller (it runs
    pure code on data it inherited) and leaves by ``os._exit`` (no cleanup of the caller's objects). ``nice`` > 0
    lowers the child's scheduling priority by that much (``os.nice``): work whose result the caller needs only
    later then leaves the cores to the caller's own work first, and takes what is left."""

    def __init__(self, fn: Callable[..., Any], *args: Any, timeout_s: float = 300.0, fork: bool = True,
                 nice: int = 0) -> None:
        self._fn, self._args, self._pid, self._fd, self._timeout_s = fn, args, None, -1, timeout_s
        if not fork or not hasattr(os, "fork"):
            return
        r, w = os.pipe()
        pid = fork_frozen()
        if pid < 0:
            os.close(r), os.close(w)
            return
        if pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
            os.close(r)
            code = 0
            try:
                if nice > 0:
                    with contextlib.suppress(OSError):  # a platform without priorities: the same result, unhurried
                        os.nice(nice)
                try:
                    payload = ("ok", fn(*args))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
                    payload = ("err", exc)
                with os.fdopen(w, "wb") as f:
                    f.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            except BaseException:  # noqa: BLE001 - unpicklable result (or a failure before it): the caller computes it
                code = 1
            os._exit(code)
        os.close(w)
        self._pid, self._fd = pid, r

    def cancel(self) -> None:
        """Stop the child (if any) and forget its result."""
        if self._pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, 9)
                os.waitpid(self._pid, 0)
            os.close(self._fd)
            self._pid = None
        self._fn = None  # type: ignore[assignment]

    def result(self) -> Any:
        if self._pid is None:
            return self._fn(*self._args)
        chunks, deadline = [], time.monotonic() + self._timeout_s
        with os.fdopen(self._fd, "rb", buffering=0) as f:  # read before waiting: a large result fills the pipe
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([f], [], [], left)[0]:  # a child stuck (e.g. on a lock it
                    with contextlib.suppress(OSError):  # inherited from another thread): stop it, compute here
                        os.kill(self._pid, 9)
                    chunks = []
                    break
                b = f.read(1 << 20)
                if not b:
                    break
                chunks.append(b)
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        data = b"".join(chunks)
        if status != 0 or not data:
            return self._fn(*self._args)
        kind, value = pickle.loads(data)
        if kind == "err":
            raise value
        return value


def in_child(fn: Callable[..., Any], *args: Any, enabled: bool = True, timeout_s: float = 300.0,
             nice: int = 0) -> InChild:
    """:class:`InChild` of ``fn(*args)``; with ``enabled`` False it is computed in the caller at ``result()``."""
    return InChild(fn, *args, timeout_s=timeout_s, fork=enabled, nice=nice)
