"""Entries kept between processes in this user's cache folder, read back only when they are intact and private.

Two caches are built on it: compiled report templates (:mod:`selloff.report.template_cache`) and results of pure
computations that take long and depend only on their inputs (:class:`ResultCache`: the fitted parameters of the
what-if's GARCH models, the cascade calibration's grid search). Each entry:

- is framed by a magic line and a SHA-256 of its bytes, and read only when both match (a damaged entry is a miss);
- is opened without following a link and read only when it is a regular file owned by this user that no one else
  can write (``fstat`` of the open file, so a file swapped in after a check is caught as well), in a folder of the
  same kind;
- is written through a private temporary file and an atomic rename, so a reader never sees half an entry and two
  writers of the same entry leave one of them whole; a folder that cannot be read or written is passed over.

Being able to write this user's cache folder already means being able to run code as this user (like their shell
startup files), so the checks keep out what others could plant or damage. Deleting the folder loses nothing but
time. Owner and mode are checked on POSIX systems only.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["ResultCache", "private", "private_folder", "read_entry", "result_cache", "write_entry"]

_POSIX = hasattr(os, "getuid")


def private(st: os.stat_result, kind) -> bool:
    """Whether ``st`` is a ``kind`` (``stat.S_ISREG``/``S_ISDIR``) owned by this user that others cannot write."""
    if not kind(st.st_mode):
        return False
    return not _POSIX or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


def folder_ok(folder: Path) -> bool:
    """Whether ``folder`` is a private folder (not a link) of this user."""
    try:
        return private(os.lstat(folder), stat.S_ISDIR)
    except OSError:
        return False


def private_folder(folder: Path) -> bool:
    """Make ``folder`` (mode 0700) when missing; whether it is then usable (:func:`folder_ok`)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return folder_ok(folder)


def read_entry(path: Path, magic: bytes) -> bytes | None:
    """The body of the entry at ``path`` when it is intact and private (module docstring), else None."""
    if not folder_ok(path.parent):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # no entry yet, a link, or unreadable
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            if not private(os.fstat(f.fileno()), stat.S_ISREG):
                return None
            data = f.read()
        except OSError:
            return None
    head, digest, body = data[:len(magic)], data[len(magic):len(magic) + 32], data[len(magic) + 32:]
    if head != magic or hashlib.sha256(body).digest() != digest:
        return None
    return body


def write_entry(path: Path, magic: bytes, body: bytes) -> None:
    """Write ``body`` framed to ``path`` (atomically, mode 0600); a failing write leaves nothing behind."""
    if not folder_ok(path.parent):
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(magic + hashlib.sha256(body).digest() + body)
        os.replace(tmp, path)
        tmp = None
    except OSError:  # full disk, read-only folder, a race with a clean-up: not cached this time
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)


RESULT_MAGIC = b"selloff-result-cache-1\n"


class ResultCache:
    """Results of pure computations as JSON objects in ``folder``, by key (a hex digest of everything the result
    depends on: :func:`selloff.analytics.fingerprint.fingerprint`). ``get(key)`` gives the stored object or None;
    ``cache[key] = obj`` stores it. Floats are written with ``repr``, which reads back to the same float, so a
    result from the cache is bit for bit the one computed; NaN and infinities are kept as JSON's extensions."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).absolute()

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.json"  # a safe name for any key

    def get(self, key: str, default: dict | None = None) -> dict | None:
        body = read_entry(self._path(key), RESULT_MAGIC)
        if body is None:
            return default
        try:
            obj = json.loads(body)
        except ValueError:  # an intact frame around text that is no JSON (another writer's format): a miss
            return default
        return obj if isinstance(obj, dict) else default

    def __setitem__(self, key: str, value: dict) -> None:
        write_entry(self._path(key), RESULT_MAGIC, json.dumps(value, allow_nan=True).encode())


def result_cache(folder: Path) -> ResultCache | None:
    """The cache in ``folder`` (made, private, when missing); None when it cannot be made or others can write it."""
    return ResultCache(folder) if private_folder(Path(folder)) else None

