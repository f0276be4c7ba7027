"""Standard Webhooks signing against the specification's published test vector, an independent verifier, and
the retry/backoff/stop behaviour of the webhook sink against a loopback receiver."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time

import pytest
from werkzeug import Request, Response

from selloff.errors import ConfigError
from selloff.pipeline.watch.sinks import build_sinks
from selloff.pipeline.watch.webhook import WebhookPolicy, WebhookSink, parse_secret, sign, signed_headers

# Published vector: standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py, test_sign_function
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def independent_verify(secret: str, headers: dict, body: bytes, now: float, tolerance_s: int = 300) -> bool:
    """A receiver's check written from the spec text: HMAC-SHA256 over "id.timestamp.body" with the base64 key
    after "whsec_", any of the space-separated v1 signatures, timestamp within the tolerance."""
    key = base64.b64decode(secret.split("_", 1)[1])
    ts = int(headers["webhook-timestamp"])
    if abs(now - ts) > tolerance_s:
        return False
    mac = hmac.new(key, b"%s.%d.%s" % (headers["webhook-id"].encode(), ts, body), hashlib.sha256).digest()
    want = base64.b64encode(mac)
    return any(sig.startswith("v1,") and hmac.compare_digest(sig[3:].encode(), want)
               for sig in headers["webhook-signature"].split())


def test_sign_matches_the_published_vector():
    key = parse_secret(VECTOR_SECRET, "X")
    assert sign(key, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG
    assert parse_secret(VECTOR_SECRET.removeprefix("whsec_"), "X") == key  # the prefix is optional on input
    h = signed_headers(key, VECTOR_ID, VECTOR_TS, VECTOR_BODY)
    assert independent_verify(VECTOR_SECRET, h, VECTOR_BODY, now=VECTOR_TS)
    assert not independent_verify(VECTOR_SECRET, h, VECTOR_BODY + b" ", now=VECTOR_TS)  # body tampered
    assert not independent_verify(VECTOR_SECRET, h, VECTOR_BODY, now=VECTOR_TS + 301)  # replayed too late
    other = {**h, "webhook-id": "msg_other"}
    assert not independent_verify(VECTOR_SECRET, other, VECTOR_BODY, now=VECTOR_TS)


@pytest.mark.parametrize("value, msg", [(None, "is not set"), ("", "is not set"), ("whsec_not base64!", "not whsec_"),
                                        ("whsec_" + base64.b64encode(b"short").decode(), "5 bytes")])
def test_bad_secrets_are_named_by_variable_never_by_value(value, msg):
    with pytest.raises(ConfigError, match=msg) as err:
        parse_secret(value, "MY_SECRET")
    assert "MY_SECRET" in str(err.value)
    if value:
        assert value.removeprefix("whsec_") not in str(err.value)


def test_build_sinks_refuses_bad_specs(monkeypatch):
    pol = WebhookPolicy()
    with pytest.raises(ConfigError, match="unknown; use terminal"):
        build_sinks(["slack:#x"], None, "S", pol)
    with pytest.raises(ConfigError, match="S is not set"):
        build_sinks(["webhook:https://example.invalid/h"], None, "S", pol)
    with pytest.raises(ConfigError, match="not an http"):
        build_sinks(["webhook:ftp://example.invalid/h"], VECTOR_SECRET, "S", pol)
    with pytest.raises(ConfigError, match="given twice"):
        build_sinks(["jsonl:/tmp/a", "jsonl:/tmp/a"], None, "S", pol)
    term, sinks = build_sinks(["terminal", "webhook:https://u:pw@example.invalid/h?token=abc"], VECTOR_SECRET, "S", pol)
    assert term and sinks[0].name == "webhook:https://example.invalid/h"  # no credentials or query in the name
    assert "MfKQ9r8" not in repr(sinks[0])
    sinks[0].close()


class Flaky:
    def __init__(self, fails: int) -> None:
        self.fails, self.seen = fails, []

    def __call__(self, req: Request) -> Response:
        self.seen.append((time.perf_counter(), dict(req.headers), req.get_data()))
        if len(self.seen) <= self.fails:
            return Response("busy", 503)
        return Response("", 204)


def test_retries_with_backoff_keep_the_id_and_sign_each_attempt(httpserver):
    rx = Flaky(fails=2)
    httpserver.expect_request("/h", method="POST").respond_with_handler(rx)
    sink = WebhookSink(httpserver.url_for("/h"), parse_secret(VECTOR_SECRET, "S"),
                       WebhookPolicy(attempts=4, backoff_s=0.05, backoff_max_s=1.0, jitter_s=0.0, timeout_s=2.0))
    out = sink.deliver("msg_abc", b'{"a":1}', threading.Event())
    sink.close()
    assert (out.ok, out.attempts) == (True, 3)
    times = [t for t, _, _ in rx.seen]
    # waits 0.05 * 2^0 and 0.05 * 2^1 (tenacity's wait_exponential: multiplier * 2^(attempt-1))
    assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1
    assert {h["Webhook-Id"] for _, h, _ in rx.seen} == {"msg_abc"}
    for _, h, body in rx.seen:
        hdr = {k.lower(): v for k, v in h.items()}
        assert independent_verify(VECTOR_SECRET, hdr, body, now=time.time())


def test_last_retry_fails_and_a_stop_ends_the_backoff(httpserver):
    rx = Flaky(fails=99)
    httpserver.expect_request("/h", method="POST").respond_with_handler(rx)
    key = parse_secret(VECTOR_SECRET, "S")
    fast = WebhookSink(httpserver.url_for("/h"), key, WebhookPolicy(2, 0.01, 0.01, 0.0, 2.0))
    out = fast.deliver("msg_x", b"{}", threading.Event())
    assert (out.ok, out.attempts, out.error, out.interrupted) == (False, 2, "HTTP 503 after 2 attempt(s)", False)
    slow = WebhookSink(httpserver.url_for("/h"), key, WebhookPolicy(5, 30.0, 30.0, 0.0, 2.0))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    t0 = time.perf_counter()
    out = slow.deliver("msg_y", b"{}", stop)
    assert time.perf_counter() - t0 < 5 and out.interrupted and out.attempts == 1
    fast.close()
    slow.close()
