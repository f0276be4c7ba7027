"""Security middleware: a Content-Security-Policy and companion headers on every answer, and a POST body limit.

The policy lets a page load only from its own origin — scripts from ``/static`` (no inline script, no eval),
Plotly's injected styles (``style-src 'unsafe-inline'``: styles cannot run code), images from itself and
``data:``, the episode report in a same-origin frame — so a page makes no request outside its origin even if a
data string got past the escaping. An answer that sets its own policy (the sandboxed report) keeps it.
"""
from __future__ import annotations

import json

__all__ = ["CSP", "SecurityMiddleware"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"SAMEORIGIN",
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-resource-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class SecurityMiddleware:
    """ASGI middleware: adds the headers; answers 400 (JSON) to a Host header not in ``allowed_hosts`` (a page
    of another site whose name was re-pointed at 127.0.0.1 — DNS rebinding — sends its own name), and 413 to a
    body over ``max_body_bytes`` — by its Content-Length before reading, or while reading a chunked body —
    without passing either to the app."""

    def __init__(self, app, max_body_bytes: int, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = {h.strip("[]").lower() for h in allowed_hosts}

    def _host_ok(self, scope) -> tuple[bool, str]:
        raw = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1").strip().lower()
        name = raw[1:raw.index("]")] if raw.startswith("[") and "]" in raw else raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw
        return (not self.allowed_hosts or name in self.allowed_hosts), raw

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ok, host = self._host_ok(scope)
        if not ok:
            shown = "".join(c for c in host if c.isalnum() or c in ".-:[]")[:80]
            return await self._reject(send, 400, f"host '{shown}' is not served here; open the server by 127.0.0.1 or "
                                                 "localhost, or add the name to [web] allowed_hosts")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in have]
                if b"content-security-policy" not in have:
                    extra.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if scope["method"] in BODY_METHODS:
            length = dict(scope.get("headers", [])).get(b"content-length")
            if length is not None:
                try:
                    n = int(length)
                except ValueError:
                    return await self._reject(send_with_headers, 400, "Content-Length is not a number; send a valid request")
                if n > self.max_body_bytes:
                    return await self._too_large(send_with_headers)
            chunks, size = [], 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    return await self._too_large(send_with_headers)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            sent = False

            async def replay():
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            return await self.app(scope, replay, send_with_headers)
        return await self.app(scope, receive, send_with_headers)

    async def _too_large(self, send):
        await self._reject(send, 413, f"request body over {self.max_body_bytes:,} bytes; send less text "
                                      "(the limit is [web] max_body_bytes in the config)")

    @staticmethod
    async def _reject(send, status: int, message: str):
        body = json.dumps({"error": message, "status": status}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
