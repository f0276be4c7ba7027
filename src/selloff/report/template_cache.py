"""Compiled report templates kept between processes: a Jinja2 bytecode cache that only ever loads its own,
intact entries.

Compiling the EN and DE narratives took 1.2-1.3 s of every ``selloff report``. Jinja2 ships
``FileSystemBytecodeCache`` for this, but it keys an entry by the template's name and source alone (not by Jinja's
version or the environment's options), checks nothing of the marshalled code it loads (a flipped byte can crash the
interpreter) and checks the folder once, when it is built. This cache, on Jinja2's ``BytecodeCache`` interface:

- names each file after a digest of the environment's options, Jinja2's and Python's versions and the template's
  key (the template's source is Jinja2's own check), so an entry made under other settings is never read;
- reads and writes its entries through :mod:`selloff.diskcache`: framed by a SHA-256, loaded only when intact
  and a private regular file of this user (not a link), written atomically; a cache it cannot use is passed over.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from jinja2 import __version__ as JINJA_VERSION
from jinja2.bccache import Bucket, BytecodeCache

from selloff.diskcache import private_folder, read_entry, write_entry

MAGIC = b"selloff-template-cache-1\n"


class TemplateCache(BytecodeCache):
    """Jinja2 bytecode cache in ``folder`` for an environment described by ``options`` (module docstring)."""

    def __init__(self, folder: Path, options: str) -> None:
        self.folder = Path(folder).absolute()
        self.tag = hashlib.sha256(f"{options}|jinja2 {JINJA_VERSION}|{sys.implementation.cache_tag}".encode()).hexdigest()[:16]

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{self.tag}-{bucket.key}.cache"

    def load_bytecode(self, bucket: Bucket) -> None:
        body = read_entry(self._path(bucket), MAGIC)
        if body is None:  # no entry, or a damaged, foreign or linked one: compiled (and rewritten)
            return
        try:
            bucket.bytecode_from_string(body)  # Jinja's own checks: its magic, the source's checksum
        except Exception:  # noqa: BLE001 - an intact entry Jinja cannot read (e.g. another format): compiled
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            body = bucket.bytecode_to_string()
        except (TypeError, ValueError):
            return
        write_entry(self._path(bucket), MAGIC, body)


def template_cache(folder: Path, options: str) -> TemplateCache | None:
    """The cache in ``folder`` (made, private, when missing); None when it cannot be made or others can write it."""
    return TemplateCache(folder, options) if private_folder(Path(folder)) else None
