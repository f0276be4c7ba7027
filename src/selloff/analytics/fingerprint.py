"""Digests of everything a pure computation's result depends on: the key of a cached result.

A result kept between runs (:class:`selloff.diskcache.ResultCache`) may be used again only for the same inputs
computed by the same code. :func:`fingerprint` therefore hashes the inputs themselves (arrays by dtype, shape and
bytes; numbers by ``repr``; strings), and :func:`code_version` the versions of the libraries that compute the result
and the source of selloff's own modules that do, so an edited module or an upgraded library never reads an older
entry.
"""
from __future__ import annotations

import hashlib
import importlib
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["code_version", "fingerprint"]


def _feed(h, part) -> None:
    if isinstance(part, (pd.Series, pd.Index)):
        part = part.to_numpy()
    if isinstance(part, np.ndarray):
        a = np.ascontiguousarray(part)
        if a.dtype == object:
            raise TypeError("fingerprint: object arrays have no stable bytes; pass their values as strings")
        h.update(f"a{a.dtype.str}{a.shape}".encode())
        h.update(a.view(np.uint8).reshape(-1).tobytes() if a.size else b"")
    elif isinstance(part, (tuple, list)):
        h.update(f"l{len(part)}".encode())
        for p in part:
            _feed(h, p)
    elif isinstance(part, (str, int, float, bool)) or part is None:
        s = repr(part).encode()
        h.update(f"{type(part).__name__}{len(s)}:".encode() + s)
    else:
        raise TypeError(f"fingerprint: no stable digest for {type(part).__name__}")


def fingerprint(*parts) -> str:
    """SHA-256 (hex) of ``parts``: arrays (numpy, or a pandas Series/Index's values) by dtype, shape and bytes;
    str/int/float/bool/None by type and ``repr``; tuples and lists element by element. Two calls agree exactly when
    their parts do (an ``object`` array or another type is a TypeError: it has no stable bytes)."""
    h = hashlib.sha256()
    for p in parts:
        _feed(h, p)
    return h.hexdigest()


@lru_cache(maxsize=None)
def code_version(libraries: tuple[str, ...], modules: tuple[str, ...]) -> str:
    """A digest of the installed versions of ``libraries`` (distribution names), of Python's, and of the source
    bytes of ``modules`` (imported module names): what a cached result was computed by."""
    parts = [sys.version]
    for lib in libraries:
        try:
            parts.append(f"{lib} {metadata.version(lib)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{lib} missing")
    for mod in modules:
        f = getattr(importlib.import_module(mod), "__file__", None)
        parts.append(f"{mod}:{hashlib.sha256(Path(f).read_bytes()).hexdigest() if f else 'no source'}")
    return fingerprint(*parts)
