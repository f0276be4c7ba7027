"""Where alerts go: a JSON-lines file, a signed webhook (:mod:`.webhook`), and the dead-letter file.

Each line is written whole with one ``write`` call, flushed and fsync'ed before the delivery is marked done,
so an interruption never leaves half a line from selloff (a line cut by a crash of the machine is detectable
as invalid JSON on its own line). The terminal table is drawn by the CLI from each round's report.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from selloff.errors import ConfigError
from selloff.pipeline.watch.webhook import DeliveryOutcome, WebhookPolicy, WebhookSink, parse_secret

__all__ = ["JsonlSink", "append_jsonl", "build_sinks"]


def append_jsonl(path: Path, record: dict) -> None:
    """Append ``record`` as one JSON line (one write, flushed and fsync'ed)."""
    line = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass
class JsonlSink:
    """Every notification as one JSON line ``{"id": <message id>, "type", "timestamp", "data"}``."""

    path: Path

    @property
    def name(self) -> str:
        return f"jsonl:{self.path}"

    def deliver(self, msg_id: str, body: bytes, stop: threading.Event) -> DeliveryOutcome:
        try:
            append_jsonl(self.path, {"id": msg_id, **json.loads(body)})
        except OSError as exc:
            return DeliveryOutcome(False, 1, f"cannot write {self.path}: {exc.strerror}")
        return DeliveryOutcome(True, 1)

    def close(self) -> None:
        pass


def build_sinks(specs: Sequence[str], secret: str | None, secret_env: str, policy: WebhookPolicy) -> tuple[bool, list]:
    """``--sink`` values → (terminal wanted, delivery sinks). ``terminal``, ``jsonl:PATH``, ``webhook:URL``.

    Raises
    ------
    ConfigError
        An unknown sink, an empty path, a webhook without a valid secret in ``secret_env``, a sink given twice.
    """
    terminal, out, seen = False, [], set()
    for spec in specs:
        kind, _, arg = spec.partition(":")
        if kind == "terminal" and not arg:
            terminal = True
            continue
        if kind == "jsonl" and arg:
            sink = JsonlSink(Path(arg).expanduser())
        elif kind == "webhook" and arg:
            sink = WebhookSink(arg, parse_secret(secret, secret_env), policy)
        else:
            raise ConfigError(f"--sink {spec.split(':')[0]}: unknown; use terminal, jsonl:PATH or webhook:URL")
        if sink.name in seen:
            raise ConfigError(f"--sink {sink.name} is given twice; give each sink once")
        seen.add(sink.name)
        out.append(sink)
    return terminal, out
