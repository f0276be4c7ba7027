"""DuckDB's errors about the store file, told as what happened and what to do.

One function, :func:`store_error`, turns a ``duckdb.Error`` into a one-line :class:`~selloff.errors.StoreError`
naming the file. The cases are checked in this order, because the advice differs and one is dangerous when wrong:
a lock held by another process (wait; never "move it away" while someone writes it), a full disk, a read-only file
system or missing write permission, a truncated or corrupt file; anything else keeps DuckDB's own words.
"""
from __future__ import annotations

import re

import duckdb

from selloff.errors import StoreError

_PID = re.compile(r"\(PID (\d+)\)")
_CORRUPT = ("Could not read enough bytes", "not a valid DuckDB database", "Corrupt database", "checksum",
            "invalidated", "Failed to read")


def store_error(path: str, exc: duckdb.Error, doing: str, *, unknown_is_corrupt: bool = False) -> StoreError:
    """A :class:`StoreError` for ``exc``, raised by DuckDB while ``doing`` something with the store at ``path``.

    Parameters
    ----------
    path
        The store file.
    exc
        DuckDB's error; only its first line is quoted.
    doing
        What the store was doing, for the message (``"opening"``, ``"committing bars"``).
    unknown_is_corrupt
        Call an error of no known kind a corrupt file (right while opening, wrong for a failed statement).
    """
    full = (str(exc).splitlines() or [type(exc).__name__])[0]
    text = full[:200]
    where = f"store {path}"
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = _PID.search(full)  # in the untruncated line: a long path pushes it past 200 characters
        who = f"another process (PID {pid.group(1)})" if pid else "another process"
        return StoreError(f"{where} is in use by {who}; wait for it to finish or close it, then retry ({doing})")
    if "No space left on device" in text or "Disk full" in text:
        return StoreError(f"{where}: the disk is full ({text}) while {doing}; nothing of this write was stored; "
                          f"free space or pass --store PATH on another disk")
    if "Read-only file system" in text:
        return StoreError(f"{where} is on a read-only file system ({doing}); pass --store PATH somewhere writable, "
                          f"or use it read-only")
    if "Permission denied" in text:
        return StoreError(f"{where}: no permission to write it or its folder ({doing}); pass --store PATH somewhere "
                          f"writable, or use it read-only")
    if unknown_is_corrupt or any(s in text for s in _CORRUPT):
        return StoreError(f"{where} is truncated or corrupt, or not a DuckDB file ({text}) while {doing}; restore "
                          f"it from a backup, or move it away and pass another --store")
    return StoreError(f"{where}: {doing} failed ({text}); nothing of this write was stored")
