"""Shared HTTP client for the JSON sources: one ``httpx.Client``, one retry policy, one calls-per-minute budget.

Retry policy (tenacity): HTTP 429 waits ``Retry-After`` seconds when the server sends it (capped at
``max_wait_s``), otherwise backs off exponentially; 500/502/503/504, timeouts and dropped connections back off
exponentially; any other 4xx fails at once. When the attempts are spent a :class:`SourceError` names the
source, the URL path and the last status. API keys travel in headers and are never part of a message.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from selloff.errors import SourceError

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    """How hard to try. Tests pass tiny waits; the defaults suit the public APIs."""

    max_attempts: int = 5
    base_wait_s: float = 1.0
    max_wait_s: float = 60.0
    timeout_s: float = 30.0
    calls_per_minute: float | None = None
    """Budget of requests per rolling minute (``None``: no budget)."""


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
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"accept": "application/json", "user-agent": "selloff", **dict(headers or {})},
            timeout=self.policy.timeout_s,
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
        """Raw body of a GET, retried per the policy."""
        label = f"{self.source} {path}" + (f" ({what})" if what else "")

        def once() -> bytes:
            self.budget.acquire()
            self.calls += 1
            try:
                resp = self._client.get(path, params=params)
            except httpx.TimeoutException as exc:
                raise _Retryable(f"timeout after {self.policy.timeout_s:g}s") from exc
            except httpx.TransportError as exc:
                raise _Retryable(f"connection error ({type(exc).__name__})") from exc
            if resp.status_code in RETRY_STATUS:
                wait = retry_after_seconds(resp.headers.get("retry-after")) if resp.status_code == 429 else None
                raise _Retryable(f"HTTP {resp.status_code}", wait_s=wait, status=resp.status_code)
            if resp.status_code >= 400:
                raise SourceError(
                    f"{label}: HTTP {resp.status_code} {_short(resp.text)}; {_hint(resp.status_code)}",
                    source=self.source, status=resp.status_code,
                )
            return resp.content

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

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, what: str = "") -> Any:
        body = self.get_bytes(path, params, what)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise SourceError(
                f"{self.source} {path}" + (f" ({what})" if what else "")
                + f": malformed JSON ({exc.msg} at byte {exc.pos} of {len(body)}); the answer was cut off or is not JSON — retry later",
                source=self.source,
            ) from None


def _short(text: str, n: int = 120) -> str:
    return " ".join(text.split())[:n]


def _hint(status: int) -> str:
    if status in (401, 403):
        return "check the API key in the environment and the plan it belongs to"
    if status == 404:
        return "check the id/symbol and the base URL"
    return "check the request parameters"
