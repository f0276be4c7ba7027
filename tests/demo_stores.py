"""Simulated demo stores built once per test session and shared by every xdist worker.

A default demo store takes ~15-20 s to build (simulate, upsert, commit), and several test modules need the same
one. :func:`shared_store` builds each distinct (spec, universe) once into a folder common to all workers of the
session (the parent of the worker's basetemp under xdist, the basetemp itself without it); an ``fcntl.flock`` on
a lock file per store makes one worker build while the others wait. The build goes to a temporary name that is
renamed when the store is closed, so a store under its final name is always complete (and has no ``.wal``).

The shared file is only ever READ: open it with ``Store(path, read_only=True)`` or pass the path to ``api.*`` /
the CLI's read commands (both open a path read-only; DuckDB lets many processes hold read-only connections, and
refuses a writer while any is open). :func:`read_only_store` also checks, after its last user, that the file
was not modified. A test that writes gets its own file: :func:`store_copy`.

Every build runs with empty config and data dirs (as the autouse ``_isolated_dirs`` gives each test), so the
store is the bundled universe and ``[simulate]`` defaults plus only what the call names.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import pytest

__all__ = ["read_only_store", "shared_store", "store_copy"]


def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # xdist: <session>/popen-gwN
    d = root / "demo-stores"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _resolved(spec, env_dir: Path):
    """``spec``, or the demo's own spec from ``[simulate]`` (read with the isolated config dir)."""
    if spec is not None:
        return spec
    from selloff.pipeline.demo import demo_spec

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SELLOFF_CONFIG_DIR", str(env_dir / "config"))
        mp.setenv("SELLOFF_DATA_DIR", str(env_dir / "data"))
        return demo_spec()


def _key(spec, universe_files: Sequence[Path]) -> str:
    """A stable name for the store of ``spec`` on the bundled universe plus ``universe_files`` (by content)."""
    parts = {"spec": asdict(spec), "universe": [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in universe_files]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _build(path: Path, spec, universe_files: Sequence[Path], env_dir: Path) -> None:
    from selloff import api
    from selloff.universe import load_universe

    with pytest.MonkeyPatch.context() as mp:  # the autouse dir isolation is function-scoped; isolate here too
        mp.setenv("SELLOFF_CONFIG_DIR", str(env_dir / "config"))
        mp.setenv("SELLOFF_DATA_DIR", str(env_dir / "data"))
        api.build_demo_store(path, load_universe(*universe_files, include_user_config=False), spec)  # closes it


def shared_store(tmp_path_factory: pytest.TempPathFactory, spec=None, universe_files: Sequence[str | Path] = ()) -> Path:
    """Path of the session's closed demo store of ``spec`` (None: the demo's default) on the bundled universe
    plus ``universe_files``; built on first request by whichever worker asks first. Open it read-only."""
    cache = _cache_dir(tmp_path_factory)
    files = [Path(f) for f in universe_files]
    spec = _resolved(spec, cache / "env")
    key = _key(spec, files)
    path = cache / f"{key}.duckdb"
    with open(cache / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes (also if the build fails)
        if not path.exists():
            part = cache / f"{key}.part.duckdb"
            for p in (part, Path(f"{part}.wal")):
                p.unlink(missing_ok=True)  # a build interrupted earlier in this session
            _build(part, spec, files, cache / "env")
            if Path(f"{part}.wal").exists():
                raise RuntimeError(f"{part}.wal left after the demo build: the store was not closed cleanly")
            (cache / f"{key}.json").write_text(json.dumps({"spec": asdict(spec), "universe": [str(f) for f in files]}))
            os.replace(part, path)
    return path


def read_only_store(tmp_path_factory: pytest.TempPathFactory, spec=None,
                    universe_files: Sequence[str | Path] = ()) -> Iterator[Path]:
    """For a fixture: ``yield from read_only_store(...)`` gives the shared store's path and, when the fixture is
    torn down, fails if the file was changed meanwhile (size, mtime) or a ``.wal`` appeared (someone wrote)."""
    path = shared_store(tmp_path_factory, spec, universe_files)
    before = path.stat()
    yield path
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns), f"shared store {path} was written"
    assert not Path(f"{path}.wal").exists(), f"shared store {path} has a .wal: someone opened it writable"


def store_copy(tmp_path_factory: pytest.TempPathFactory, dest: Path, spec=None,
               universe_files: Sequence[str | Path] = ()) -> Path:
    """A private copy of the shared store at ``dest`` (a file path), for tests that write to it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared_store(tmp_path_factory, spec, universe_files), dest)
    return dest
