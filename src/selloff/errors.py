"""One exception hierarchy for selloff.

Every message names the offending input (symbol, file, date, key) and the fix, in one line,
so the CLI can print it verbatim and exit with code 2. Secrets (API keys, key-shaped URL parameters) are
redacted from every message when the error is made (:func:`selloff.redact.redact`).
"""
from __future__ import annotations

from selloff.redact import redact


class SelloffError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is one line naming input and remedy."""

    exit_code = 2

    def __init__(self, message: str, **context: object) -> None:
        if isinstance(message, str):  # a Text (selloff.texts) stays one when redaction changes nothing
            red = redact(message)
            message = message if red == message else red
        super().__init__(message)
        self.context = context

    def __str__(self) -> str:  # keep it to one line whatever the caller passed
        return " ".join(str(self.args[0]).split()) if self.args else self.__class__.__name__


class ConfigError(SelloffError):
    """Bad universe/config file or bad command-line parameters."""


class DataError(SelloffError):
    """Input data that fails validation (NaN or negative prices, naive timestamps, duplicates, empty windows)."""


class SourceError(SelloffError):
    """A data source failed (HTTP error after retries, malformed body, unknown symbol at the provider)."""


class StoreError(SelloffError):
    """The DuckDB store cannot be opened, is corrupt, or has a newer schema than this code."""
