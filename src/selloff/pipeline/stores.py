"""Opening stores for the interfaces above the pipeline (which never import :mod:`selloff.store` themselves)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from selloff.config import default_store_path
from selloff.store import Store

__all__ = ["Store", "is_store", "open_store", "store_path"]


def store_path(path: str | Path | None) -> Path:
    """``path``, or the default store in the user data dir."""
    return Path(path) if path else default_store_path()


def is_store(obj: object) -> bool:
    return isinstance(obj, Store)


@contextmanager
def open_store(store: "str | Path | Store | None", read_only: bool = True) -> Iterator[Store]:
    """An open store: ``store`` itself when it is one (left open), else the file (default: the user data dir)
    opened here and closed on exit."""
    if isinstance(store, Store):
        yield store
        return
    with Store(store_path(store), read_only=read_only) as db:
        yield db
