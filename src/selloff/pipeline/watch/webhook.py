"""Outbound webhooks signed per the Standard Webhooks specification, with retries and a dead-letter outcome.

Signing (Standard Webhooks 1.0.0, https://www.standardwebhooks.com, spec/standard-webhooks.md): the secret is
``whsec_`` + base64 of the key bytes; each message carries the headers ``webhook-id`` (the message id, the same
on every retry so a receiver can drop duplicates), ``webhook-timestamp`` (integer Unix seconds of this attempt)
and ``webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``. The body is sent exactly as
signed.

Retries: a non-2xx answer or a transport error is retried with exponential backoff plus uniform jitter
(``tenacity``): the k-th wait is ``min(backoff * 2^(k-1), backoff_max) + U(0, jitter)`` seconds, up to
``attempts`` tries; a stop request (Ctrl-C, SIGTERM) ends the waiting at once and leaves the message pending.
The secret is never put in a message, a log line or the store.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field

import httpx
import tenacity

from selloff.errors import ConfigError
from selloff.redact import add_secret, redact

__all__ = ["DeliveryOutcome", "WebhookPolicy", "WebhookSink", "parse_secret", "sign", "signed_headers"]


def parse_secret(text: str | None, env: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret read from the environment variable ``env``.

    Raises
    ------
    ConfigError
        Unset, empty, or not base64 (the message names the variable, never the value).
    """
    if not text:
        raise ConfigError(f"webhook sink: environment variable {env} is not set; set it to whsec_<base64 key> "
                          f"(the receiver's signing secret)")
    add_secret(text.strip())  # from now on masked in every message and log line, should one ever quote it
    raw = text.strip().removeprefix("whsec_")
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"webhook sink: {env} is not whsec_ followed by base64; copy the secret exactly") from None
    if len(key) < 16:
        raise ConfigError(f"webhook sink: the key in {env} has {len(key)} bytes; use at least 16 (24-64 recommended)")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256(key, "<msg_id>.<timestamp>.<body>")>`` (the ``webhook-signature`` value)."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signed_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, msg_id, timestamp, body)}


@dataclass(frozen=True)
class WebhookPolicy:
    attempts: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    jitter_s: float = 1.0
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.attempts, int) or self.attempts < 1:
            raise ConfigError(f"[watch] webhook_attempts = {self.attempts!r}; use a whole number >= 1")
        for k in ("backoff_s", "backoff_max_s", "jitter_s", "timeout_s"):
            v = getattr(self, k)
            if not isinstance(v, (int, float)) or v < 0 or (k == "timeout_s" and v == 0):
                raise ConfigError(f"[watch] webhook_{k} = {v!r}; use a number of seconds >= 0 (timeout > 0)")


@dataclass(frozen=True)
class DeliveryOutcome:
    ok: bool
    attempts: int
    error: str | None = None
    interrupted: bool = False
    """A stop request ended the retries before the last attempt: the message stays pending."""


class _Failed(Exception):
    """One failed attempt (non-2xx or transport error), retried by tenacity."""


class _Stopped(Exception):
    """A stop request arrived while waiting for the next attempt."""


@dataclass
class WebhookSink:
    """POST signed messages to ``url`` (see the module docstring)."""

    url: str
    key: bytes = field(repr=False)
    policy: WebhookPolicy = field(default_factory=WebhookPolicy)

    def __post_init__(self) -> None:
        u = httpx.URL(self.url)
        if u.scheme not in ("http", "https") or not u.host:
            raise ConfigError(f"--sink webhook:{redact(self.url)} is not an http(s) URL; write webhook:https://host/path")
        self.client = httpx.Client(timeout=self.policy.timeout_s, follow_redirects=False)

    @property
    def name(self) -> str:
        u = httpx.URL(self.url)
        return f"webhook:{u.scheme}://{u.netloc.decode()}{u.path}"  # no query or credentials in the store

    def close(self) -> None:
        self.client.close()

    def _attempt(self, msg_id: str, body: bytes) -> None:
        ts = int(time.time())
        try:
            r = self.client.post(self.url, content=body, headers=signed_headers(self.key, msg_id, ts, body))
        except httpx.HTTPError as exc:
            raise _Failed(f"{type(exc).__name__}: {redact(str(exc))[:160]}") from None
        if not 200 <= r.status_code < 300:
            raise _Failed(f"HTTP {r.status_code}")

    def deliver(self, msg_id: str, body: bytes, stop: threading.Event) -> DeliveryOutcome:
        p = self.policy
        state = {"n": 0, "error": None}

        def wait_or_stop(seconds: float) -> None:
            if stop.wait(seconds):
                raise _Stopped

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(p.attempts) | tenacity.stop_when_event_set(stop),
            wait=tenacity.wait_exponential(multiplier=p.backoff_s, max=p.backoff_max_s) + tenacity.wait_random(0, p.jitter_s),
            retry=tenacity.retry_if_exception_type(_Failed),
            sleep=wait_or_stop,
            reraise=True,
            before=lambda rs: state.__setitem__("n", rs.attempt_number),
            after=lambda rs: state.__setitem__("error", str(rs.outcome.exception())),
        )
        try:
            retrying(self._attempt, msg_id, body)
        except _Failed as exc:
            interrupted = stop.is_set() and state["n"] < p.attempts
            return DeliveryOutcome(False, state["n"], f"{exc} after {state['n']} attempt(s)", interrupted)
        except _Stopped:
            return DeliveryOutcome(False, state["n"], f"{state['error']} after {state['n']} attempt(s); stopped", True)
        return DeliveryOutcome(True, state["n"])
