"""Compiled report templates kept between processes: a Jinja2 bytecode cache that only ever loads its own,
intact entries.

Compiling the EN and DE narratives took 1.2-1.3 s of every ``selloff report``. Jinja2 ships
``FileSystemBytecodeCache`` for this, but it keys an entry by the template's name and source alone (not by Jinja's
version or the environment's options), checks nothing of the marshalled code it loads (a flipped byte can crash the
interpreter) and checks the folder once, when it is built. This cache, on Jinja2's ``BytecodeCache`` interface:

- names each file after a digest of the environment's options, Jinja2's and Python's versions and the template's
  key (the template's source is Jinja2's own check), so an entry made under other settings is never read;
- frames each entry with a SHA-256 of its bytes and loads it only when the digest matches;
- opens the entry without following a link and loads it only when it is a regular file owned by this user that
  no one else can write (``fstat`` of the open file, so a file swapped in after a check is caught as well);
- writes through a private temporary file and an atomic rename; a cache it cannot read or write is passed over.

Being able to write this user's cache folder already means being able to run code as this user (like their shell
startup files), so the checks keep out what others could plant, damage, and entries of another configuration.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from jinja2 import __version__ as JINJA_VERSION
from jinja2.bccache import Bucket, BytecodeCache

MAGIC = b"selloff-template-cache-1\n"
_POSIX = hasattr(os, "getuid")


def _private(st: os.stat_result, kind) -> bool:
    """Whether ``st`` is a ``kind`` (``stat.S_ISREG``/``S_ISDIR``) owned by this user that others cannot write."""
    if not kind(st.st_mode):
        return False
    return not _POSIX or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


class TemplateCache(BytecodeCache):
    """Jinja2 bytecode cache in ``folder`` for an environment described by ``options`` (module docstring)."""

    def __init__(self, folder: Path, options: str) -> None:
        self.folder = Path(folder).absolute()
        self.tag = hashlib.sha256(f"{options}|jinja2 {JINJA_VERSION}|{sys.implementation.cache_tag}".encode()).hexdigest()[:16]

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{self.tag}-{bucket.key}.cache"

    def _folder_ok(self) -> bool:
        try:
            return _private(os.lstat(self.folder), stat.S_ISDIR)
        except OSError:
            return False

    def load_bytecode(self, bucket: Bucket) -> None:
        if not self._folder_ok():
            return
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(self._path(bucket), flags)
        except OSError:  # no entry yet, a link, or unreadable: compiled
            return
        with os.fdopen(fd, "rb") as f:
            try:
                if not _private(os.fstat(f.fileno()), stat.S_ISREG):
                    return
                data = f.read()
            except OSError:
                return
        head, digest, body = data[:len(MAGIC)], data[len(MAGIC):len(MAGIC) + 32], data[len(MAGIC) + 32:]
        if head != MAGIC or hashlib.sha256(body).digest() != digest:
            return  # damaged or foreign: compiled again (and rewritten)
        try:
            bucket.bytecode_from_string(body)  # Jinja's own checks: its magic, the source's checksum
        except Exception:  # noqa: BLE001 - an intact entry Jinja cannot read (e.g. another format): compiled
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            body = bucket.bytecode_to_string()
        except (TypeError, ValueError):
            return
        if not self._folder_ok():
            return
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".cache")  # mode 0600
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(body).digest() + body)
            os.replace(tmp, self._path(bucket))
            tmp = None
        except OSError:  # full disk, read-only folder, a race with a clean-up: not cached this time
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.remove(tmp)


def template_cache(folder: Path, options: str) -> TemplateCache | None:
    """The cache in ``folder`` (made, private, when missing); None when it cannot be made or others can write it."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    cache = TemplateCache(folder, options)
    return cache if cache._folder_ok() else None
