"""Keep secrets out of messages and logs: API keys from the environment, keys a client was built with, and
anything shaped like a key in a URL query or a header line.

:func:`redact` is applied to every :class:`~selloff.errors.SelloffError` message and to every string the fetch
pipeline writes to ``fetch_log``. Literal secrets shorter than :data:`MIN_SECRET_LEN` characters are not
replaced (a one-letter test key would mangle every message); the query and header patterns apply to any length.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable

__all__ = ["ENV_KEYS", "MASK", "MIN_SECRET_LEN", "add_secret", "redact"]

ENV_KEYS = ("COINGECKO_API_KEY", "COINGECKO_PRO_API_KEY", "COINGLASS_API_KEY")
"""Environment variables whose values are secrets."""
MASK = "***"
MIN_SECRET_LEN = 6
_NAMES = r"x[_-]cg[_-](?:demo|pro)[_-]api[_-]key|cg[_-]api[_-]key|api[_-]?key|access[_-]?token|token|secret|password"
_QUERY = re.compile(rf"(?i)\b({_NAMES})=([^&\s'\"]+)")
_HEADER = re.compile(rf"(?i)\b({_NAMES}|authorization|x[_-]api[_-]key)(['\"]?\s*:\s*['\"]?)(?:bearer\s+)?([^\s,'\"}}]+)")
_known: set[str] = set()


def add_secret(value: str | None) -> None:
    """Remember ``value`` (an API key a client was built with) so that :func:`redact` hides it from now on."""
    if value and len(value) >= MIN_SECRET_LEN:
        _known.add(value)


def _secrets(extra: Iterable[str]) -> list[str]:
    env = (os.environ.get(k) for k in ENV_KEYS)
    found = {s for s in (*env, *extra, *_known) if s and len(s) >= MIN_SECRET_LEN}
    return sorted(found, key=len, reverse=True)  # longest first: a key that contains another is hidden whole


def redact(text: str | None, extra: Iterable[str] = ()) -> str | None:
    """``text`` with every known secret and every key-shaped query parameter or header value replaced by ``***``.

    Parameters
    ----------
    text
        A message, URL or log field (``None`` passes through).
    extra
        Further secrets to hide (besides the environment's and those given to :func:`add_secret`).
    """
    if not text:
        return text
    for s in _secrets(extra):
        text = text.replace(s, MASK)
    text = _QUERY.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
