"""Shared HTTP client for the JSON sources: one ``httpx.Client``, one retry policy, one calls-per-minute budget.

Retry policy (tenacity): HTTP 429 waits ``Retry-After`` seconds when the server sends it (capped at
``max_wait_s``), otherwise backs off exponentially; 500/502/503/504, timeouts and dropped connections back off
exponentially; any other 4xx fails at once. When the attempts are spent a :class:`SourceError` names the
source, the URL path and the last status. API keys travel in headers and are redacted from every message.

Limits (``[sources]`` in ``defaults.toml``): one attempt has an overall deadline ``http_timeout_s`` for connect,
headers and the whole body (a server that trickles bytes is cut off, not waited on per read); the body is
decoded here, chunk by chunk, and refused once its decoded size passes ``http_max_body_mb`` (a gzip bomb fails
after reading that much, not after inflating it all); redirects are followed only to the same scheme, host and
port, at most ``http_max_redirects`` times — a redirect to another host is a :class:`SourceError` saying so.
"""
from __future__ import annotations

import json
import math
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from selloff import config
from selloff.errors import ConfigError, SourceError
from selloff.redact import add_secret

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


_JSON_TYPES = re.compile(r"^(application/(json|[\w.+-]*\+json|javascript)|text/(json|javascript|plain))$")
_SECRET_HEADER = re.compile(r"(?i)key|token|auth|secret")


def _limit(key: str) -> float:
    return float(config.defaults("sources")[key])


@dataclass(frozen=True)
class HttpPolicy:
    """How hard to try. Tests pass tiny waits; the defaults suit the public APIs.

    Raises
    ------
    ConfigError
        ``calls_per_minute`` below 1 or not a number, or a non-positive timeout, body limit or attempt count.
    """

    max_attempts: int = 5
    base_wait_s: float = 1.0
    max_wait_s: float = 60.0
    timeout_s: float = field(default_factory=lambda: _limit("http_timeout_s"))
    """Overall deadline of one attempt (connect, headers, body), seconds."""
    calls_per_minute: float | None = None
    """Budget of requests per rolling minute (``None``: no budget)."""
    max_body_bytes: int = field(default_factory=lambda: int(_limit("http_max_body_mb") * 1_000_000))
    """Largest decoded body accepted, bytes."""
    max_redirects: int = field(default_factory=lambda: int(_limit("http_max_redirects")))
    """Same-host redirects followed per attempt."""

    def __post_init__(self) -> None:
        cpm = self.calls_per_minute
        if cpm is not None and (isinstance(cpm, bool) or not isinstance(cpm, (int, float)) or not math.isfinite(cpm)
                                or cpm < 1):
            raise ConfigError(f"--calls-per-minute {cpm!r} is not a number >= 1; pass a whole budget such as 30")
        for name, low in (("max_attempts", 1), ("timeout_s", 1e-3), ("max_body_bytes", 1), ("max_redirects", 0)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < low:
                raise ConfigError(f"http policy {name}={value!r} must be a number >= {low:g}; fix [sources] in config.toml")


class _Retryable(Exception):
    def __init__(self, message: str, wait_s: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s
        self.status = status


class CallBudget:
    """At most ``calls_per_minute`` calls in any rolling 60 s window; ``acquire`` sleeps until one is free."""

    def __init__(self, calls_per_minute: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = int(calls_per_minute) if calls_per_minute else None
        self._calls: deque[float] = deque()
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def acquire(self) -> None:
        if not self.limit:
            return
        with self._lock:
            while True:
                now = self._clock()
                while self._calls and now - self._calls[0] >= 60.0:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return
                pause = 60.0 - (now - self._calls[0])
                self.waited_s += pause
                self._sleep(pause)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class JsonClient:
    """GET JSON from one provider with retries and a call budget.

    Parameters
    ----------
    source
        Name used in messages and logs (``coingecko``, ``coinglass``).
    base_url
        Provider base URL; tests point it at a loopback server.
    headers
        Sent with every request (API keys go here, never into URLs or messages).
    policy
        Attempts, waits, timeout and calls-per-minute budget.
    """

    def __init__(self, source: str, base_url: str, headers: Mapping[str, str] | None = None,
                 policy: HttpPolicy | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.source = source
        self.policy = policy or HttpPolicy()
        self.base_url = base_url.rstrip("/")
        self.budget = CallBudget(self.policy.calls_per_minute)
        self.calls = 0
        for name, value in (headers or {}).items():
            if _SECRET_HEADER.search(name):
                add_secret(value)
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"accept": "application/json", "accept-encoding": "gzip, deflate", "user-agent": "selloff",
                     **dict(headers or {})},
            timeout=self.policy.timeout_s,
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "JsonClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait_s is not None:
            return min(exc.wait_s, self.policy.max_wait_s)
        return min(self.policy.base_wait_s * 2 ** (state.attempt_number - 1), self.policy.max_wait_s)

    def get_bytes(self, path: str, params: Mapping[str, Any] | None = None, what: str = "") -> bytes:
        """Raw (decoded) body of a GET, retried per the policy."""
        return self._get(path, params, what)[0]

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, what: str = "") -> Any:
        """Parsed JSON body of a GET; an HTML page, a non-JSON content type or a cut-off body is a SourceError."""
        body, ctype = self._get(path, params, what)
        label = _label(self.source, path, what)
        if ctype and not _JSON_TYPES.match(ctype):
            kind = "an HTML page (an error, login or captive-portal page?)" if "html" in ctype else f"content type {ctype}"
            raise SourceError(f"{label}: answered {kind}, not JSON; check the base URL or retry later", source=self.source)
        if body.lstrip()[:1] == b"<":
            raise SourceError(f"{label}: answered HTML/XML ({_short(body[:80].decode('utf-8', 'replace'))}), not JSON; "
                              f"check the base URL or retry later", source=self.source)
        try:
            return json.loads(body)
        except ValueError as exc:
            where = f" ({exc.msg} at byte {exc.pos} of {len(body)})" if isinstance(exc, json.JSONDecodeError) else ""
            raise SourceError(f"{label}: malformed JSON{where}; the answer was cut off or is not JSON — retry later",
                              source=self.source) from None

    def _get(self, path: str, params: Mapping[str, Any] | None, what: str) -> tuple[bytes, str]:
        """``(decoded body, media type)`` of a GET, retried per the policy."""
        label = _label(self.source, path, what)

        def once() -> tuple[bytes, str]:
            self.budget.acquire()
            self.calls += 1
            try:
                return self._attempt(path, params, label)
            except httpx.TimeoutException as exc:
                raise _Retryable(f"timeout after {self.policy.timeout_s:g}s") from exc
            except httpx.TransportError as exc:
                raise _Retryable(f"connection error ({type(exc).__name__})") from exc

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            return retrying(once)
        except _Retryable as exc:
            hint = "rate limit: lower calls_per_minute or wait" if exc.status == 429 else "the provider is failing; retry later"
            raise SourceError(
                f"{label}: gave up after {self.policy.max_attempts} attempts, last error {exc}; {hint}",
                source=self.source, status=exc.status,
            ) from None

    def _attempt(self, path: str, params: Mapping[str, Any] | None, label: str) -> tuple[bytes, str]:
        """One attempt under one deadline: same-host redirects followed, the body read and size-checked."""
        deadline = time.monotonic() + self.policy.timeout_s
        url: str | httpx.URL = path
        for _ in range(self.policy.max_redirects + 1):
            with self._client.stream("GET", url, params=params, timeout=_remaining(deadline, self.policy)) as resp:
                if 300 <= resp.status_code < 400:
                    url, params = self._redirect_target(resp, label), None
                    continue
                if resp.status_code in RETRY_STATUS:
                    wait = retry_after_seconds(resp.headers.get("retry-after")) if resp.status_code == 429 else None
                    raise _Retryable(f"HTTP {resp.status_code}", wait_s=wait, status=resp.status_code)
                if resp.status_code >= 400:
                    text = _read_body(resp, 4096, deadline, label, self.policy, partial=True).decode("utf-8", "replace")
                    raise SourceError(f"{label}: HTTP {resp.status_code} {_short(text)}; {_hint(resp.status_code)}",
                                      source=self.source, status=resp.status_code)
                body = _read_body(resp, self.policy.max_body_bytes, deadline, label, self.policy)
                return body, resp.headers.get("content-type", "").split(";")[0].strip().lower()
        raise SourceError(f"{label}: more than {self.policy.max_redirects} redirects; check the base URL",
                          source=self.source)

    def _redirect_target(self, resp: httpx.Response, label: str) -> httpx.URL:
        location = resp.headers.get("location")
        if not location:
            raise SourceError(f"{label}: HTTP {resp.status_code} redirect without a Location; not followed — check the base URL",
                              source=self.source, status=resp.status_code)
        target = resp.url.join(location)
        if (target.scheme, target.host, target.port) != (resp.url.scheme, resp.url.host, resp.url.port):
            raise SourceError(f"{label}: HTTP {resp.status_code} redirects to another host ({target}); cross-host "
                              f"redirects are not followed — set the provider's base URL to the new host if it is trusted",
                              source=self.source, status=resp.status_code)
        return target


def _label(source: str, path: str, what: str) -> str:
    return f"{source} {path}" + (f" ({what})" if what else "")


def _remaining(deadline: float, policy: HttpPolicy) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Retryable(f"timeout after {policy.timeout_s:g}s")
    return left


class _Decoder:
    """Incremental gzip/deflate decoding with a bound on each step's output (``zlib`` ``max_length``)."""

    def __init__(self, encoding: str, label: str) -> None:
        self.encoding = encoding.strip().lower()
        if self.encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise SourceError(f"{label}: answer uses content-encoding '{self.encoding}', which was not asked for; retry later")
        gzip = "gzip" in self.encoding
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS) if self.encoding not in ("", "identity") else None
        self._first = True

    def feed(self, chunk: bytes, max_out: int) -> tuple[bytes, bytes]:
        """``(decoded output, input left over)``; call again with the left-over until it is empty."""
        if self._zlib is None:
            return chunk, b""
        try:
            out = self._zlib.decompress(chunk, max_out)
        except zlib.error:
            if not (self._first and self.encoding == "deflate"):
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without the zlib header
            out = self._zlib.decompress(chunk, max_out)
        self._first = False
        return out, self._zlib.unconsumed_tail


def _read_body(resp: httpx.Response, limit: int, deadline: float, label: str, policy: HttpPolicy,
               partial: bool = False) -> bytes:
    """Read and decode ``resp``'s body, at most ``limit`` decoded bytes, before ``deadline``.

    Decoding happens here in bounded steps, so memory stays near ``limit`` whatever the compression ratio (a
    gzip bomb costs ``limit`` bytes, not its inflated size). ``partial``: return the first ``limit`` bytes
    instead of failing (error bodies quoted in messages).
    """
    decoder = _Decoder(resp.headers.get("content-encoding", ""), label)
    parts: list[bytes] = []
    size = 0
    try:
        for raw in resp.iter_raw():  # as the network delivers (a chunk size would wait to fill it)
            _remaining(deadline, policy)
            pending = raw
            while pending:
                out, pending = decoder.feed(pending, min(limit - size + 1, 1 << 20))
                size += len(out)
                parts.append(out)
                if size > limit:
                    if partial:
                        return b"".join(parts)[:limit]
                    raise SourceError(f"{label}: answer is larger than {limit / 1e6:g} MB once decoded; refused (raise "
                                      f"http_max_body_mb in [sources] if the provider really sends that much)")
    except zlib.error as exc:
        raise SourceError(f"{label}: compressed answer is corrupt ({exc}); retry later") from None
    return b"".join(parts)


def _short(text: str, n: int = 120) -> str:
    return " ".join(text.split())[:n]


def _hint(status: int) -> str:
    if status in (401, 403):
        return "check the API key in the environment and the plan it belongs to"
    if status == 404:
        return "check the id/symbol and the base URL"
    return "check the request parameters"
