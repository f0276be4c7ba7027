"""The read side of ``selloff watch``: stored alert episodes with their deliveries, channel health, the rules.

Everything above the pipeline (the CLI, the dashboard, :mod:`selloff.api`) reads alerts through here and gets
frozen results with ``to_dict()`` / ``to_frame()``; nothing is computed here that the watch did not store.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from selloff.analytics.alerting.engine import Alert
from selloff.analytics.alerting.rules import Rule, load_rules
from selloff.analytics.sources_priority import SIMULATED
from selloff.config import defaults
from selloff.errors import ConfigError
from selloff.store import Store
from selloff.store import alerts as stored
from selloff.timeutil import parse_instant

__all__ = ["ALERT_COLUMNS", "AlertRecord", "AlertsResult", "ChannelHealth", "Delivery", "RulesResult",
           "alert_rules", "alerts", "bundled_rules_path", "channels", "record_of", "rules_path"]

ALERT_COLUMNS = ["id", "fingerprint", "rule", "kind", "sector", "asset", "severity", "status", "starts_at", "ends_at",
                 "updated_at", "summary_en", "summary_de", "values", "inhibited_by", "source", "simulated", "delivery"]


def _ts(v: object) -> pd.Timestamp | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v)


def _iso(v: pd.Timestamp | None) -> str | None:
    return None if v is None else v.isoformat()


def _opt(v: object) -> Any:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else v


@dataclass(frozen=True)
class Delivery:
    """One alert event (``firing`` or ``resolved``) sent to one sink: ``pending``, ``delivered``, ``failed`` (will
    be retried on the next poll) or ``dead_letter`` (given up after the last retry; written to the dead-letter file)."""

    sink: str
    event: str
    status: str
    attempts: int
    message_id: str | None
    last_attempt_at: pd.Timestamp | None
    delivered_at: pd.Timestamp | None
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"sink": self.sink, "event": self.event, "status": self.status, "attempts": self.attempts,
                "message_id": self.message_id, "last_attempt_at": _iso(self.last_attempt_at),
                "delivered_at": _iso(self.delivered_at), "last_error": self.last_error}


@dataclass(frozen=True)
class AlertRecord(Alert):
    """One alert episode as stored (the engine's :class:`~selloff.analytics.alerting.engine.Alert`): from
    ``starts_at`` (the moment it fired) to ``ends_at`` (resolved; ``None`` while firing). ``values`` are the
    readings that made it fire (per cent, sigma, shares, USD, with their window; ``values["resolved"]`` those at
    the resolve); ``inhibited_by`` names the firing alert that suppressed its notifications, if any; ``source``
    the data sources the readings came from; ``deliveries`` one row per sink and event."""

    source: str | None = None
    deliveries: tuple[Delivery, ...] = ()

    @property
    def simulated(self) -> bool:
        """Readings from the simulated demo market: show them labelled as such, never as market evidence."""
        return self.source is not None and SIMULATED in self.source.split(",")

    def summary(self, lang: str = "en") -> str:
        return self.summary_de if lang == "de" else self.summary_en

    def delivery_status(self) -> str:
        """``sink event: status`` for each delivery, ``; ``-joined (empty when none was made)."""
        return "; ".join(f"{d.sink} {d.event}: {d.status}" for d in self.deliveries)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "fingerprint": self.fingerprint, "rule": self.rule, "kind": self.kind,
                "sector": self.sector, "asset": self.asset, "severity": self.severity, "status": self.status,
                "starts_at": _iso(self.starts_at), "ends_at": _iso(self.ends_at), "updated_at": _iso(self.updated_at),
                "summary_en": self.summary_en, "summary_de": self.summary_de, "values": self.values,
                "inhibited_by": self.inhibited_by, "source": self.source, "simulated": self.simulated,
                "deliveries": [d.to_dict() for d in self.deliveries]}


@dataclass(frozen=True)
class ChannelHealth:
    """One sink's record: deliveries by status, the last success, the last error (redacted) and its time."""

    sink: str
    delivered: int
    pending: int
    failed: int
    dead_letter: int
    last_success_at: pd.Timestamp | None
    last_error_at: pd.Timestamp | None
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"sink": self.sink, "delivered": self.delivered, "pending": self.pending, "failed": self.failed,
                "dead_letter": self.dead_letter, "last_success_at": _iso(self.last_success_at),
                "last_error_at": _iso(self.last_error_at), "last_error": self.last_error}


@dataclass(frozen=True)
class AlertsResult:
    """Alert history (newest first) and the health of every sink that was delivered to."""

    alerts: tuple[AlertRecord, ...]
    channels: tuple[ChannelHealth, ...]
    since: pd.Timestamp | None = None
    status: str | None = None
    limit: int = 200
    watch_tables: bool = True
    """False for a store from before the watch tables (schema 1, opened read-only): no alert can be there."""

    def to_frame(self) -> pd.DataFrame:
        """One row per alert (``values`` as JSON text, ``delivery`` as :meth:`AlertRecord.delivery_status`)."""
        rows = [{**{k: getattr(a, k) for k in ALERT_COLUMNS if k not in ("values", "delivery")},
                 "values": json.dumps(a.values, sort_keys=True), "delivery": a.delivery_status()} for a in self.alerts]
        return pd.DataFrame(rows, columns=ALERT_COLUMNS)

    def channels_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.to_dict() for c in self.channels], columns=stored.CHANNEL_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        return {"since": _iso(self.since), "status": self.status, "limit": self.limit,
                "watch_tables": self.watch_tables, "alerts": [a.to_dict() for a in self.alerts],
                "channels": [c.to_dict() for c in self.channels]}


@dataclass(frozen=True)
class RulesResult:
    """The parsed rules of one file."""

    path: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        cols = ["name", "kind", "severity", "sector", "assets", "window_s", "for_s", "cooldown_s", "resolve",
                "inhibits", "description"]
        return pd.DataFrame([{k: r.to_dict()[k] for k in cols} for r in self.rules], columns=cols)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rules": [r.to_dict() for r in self.rules]}


def _deliveries(df: pd.DataFrame) -> dict[str, tuple[Delivery, ...]]:
    out: dict[str, list[Delivery]] = {}
    for r in df.itertuples(index=False):
        out.setdefault(r.alert_id, []).append(Delivery(
            r.sink, r.event, r.status, int(_opt(r.attempts) or 0), _opt(r.message_id), _ts(r.last_attempt_at),
            _ts(r.delivered_at), _opt(r.last_error)))
    return {k: tuple(v) for k, v in out.items()}


def record_of(r: Any, deliveries: tuple[Delivery, ...] = ()) -> AlertRecord:
    """An :class:`AlertRecord` from a row of :func:`selloff.store.alerts.read_alerts` (an ``itertuples`` row)."""
    return AlertRecord(
        id=r.id, fingerprint=r.fingerprint, rule=r.rule, kind=r.kind, sector=_opt(r.sector), asset=_opt(r.asset),
        severity=r.severity, status=r.status, starts_at=pd.Timestamp(r.starts_at), ends_at=_ts(r.ends_at),
        updated_at=pd.Timestamp(r.updated_at), summary_en=r.summary_en, summary_de=r.summary_de,
        values=json.loads(r.values_json), inhibited_by=_opt(r.inhibited_by), source=_opt(r.source),
        deliveries=deliveries)


def channels(store: Store) -> tuple[ChannelHealth, ...]:
    """Health of every sink in the store's delivery log (see :func:`selloff.store.alerts.channel_health`)."""
    df = stored.channel_health(store)
    return tuple(ChannelHealth(r.sink, int(r.delivered), int(r.pending), int(r.failed), int(r.dead_letter),
                               _ts(r.last_success_at), _ts(r.last_error_at), _opt(r.last_error))
                 for r in df.itertuples(index=False))


def alerts(store: Store, *, since: object = None, status: str | None = None, limit: int = 200) -> AlertsResult:
    """Stored alert episodes (newest start first, at most ``limit``, alive at or after ``since``, of ``status``
    ``firing`` or ``resolved`` if given) with their deliveries, and the channel health."""
    if status is not None and status not in stored.ALERT_STATUSES:
        raise ConfigError(f"alert status {status!r} is unknown; use one of {', '.join(stored.ALERT_STATUSES)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"alerts limit {limit!r} must be a whole number >= 1, e.g. 200")
    t0 = parse_instant(since, "since")
    df = stored.read_alerts(store, since=t0, status=status, limit=limit)
    dels = _deliveries(stored.read_deliveries(store, list(df["id"]))) if not df.empty else {}
    recs = tuple(record_of(r, dels.get(r.id, ())) for r in df.itertuples(index=False))
    return AlertsResult(recs, channels(store), t0, status, limit, stored.has_watch_tables(store))


def bundled_rules_path() -> Path:
    """The example rules shipped with selloff (documented; the default when ``[watch] rules_file`` is empty)."""
    return Path(str(resources.files("selloff.config").joinpath("watch_rules.toml")))


def rules_path(rules_file: str | Path | None = None) -> Path:
    """``rules_file``, else ``[watch] rules_file``, else the bundled example."""
    if rules_file:
        return Path(rules_file)
    configured = str(defaults("watch")["rules_file"])
    return Path(configured).expanduser() if configured else bundled_rules_path()


def alert_rules(rules_file: str | Path | None = None) -> RulesResult:
    """The parsed rules of ``rules_file`` (see :func:`rules_path`); a bad file is a one-line ``ConfigError``."""
    p = rules_path(rules_file)
    return RulesResult(str(p), load_rules(p))
