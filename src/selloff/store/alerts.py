"""Reads of the watch tables (``alerts``, ``alert_deliveries``, ``watch_state``): parameterised SQL only.

Writes go through :meth:`selloff.store.Store.upsert` (validated, transactional, idempotent on the tables' keys:
an alert episode is keyed by its fingerprint and start, a delivery by alert, event and sink). A store older than
:data:`~selloff.store.schema.ALERTS_SCHEMA` (opened read-only, so not migrated) has no watch tables: every read
here then answers with no rows.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from selloff.store.failures import store_error
from selloff.store.query import as_utc
from selloff.store.schema import ALERTS_SCHEMA, TABLES
from selloff.store.store import Store

__all__ = ["ALERT_STATUSES", "CHANNEL_COLUMNS", "channel_health", "has_watch_tables", "read_alerts",
           "read_deliveries", "read_watch_state"]

ALERT_STATUSES = ("firing", "resolved")
CHANNEL_COLUMNS = ["sink", "delivered", "pending", "failed", "dead_letter", "last_success_at", "last_error_at",
                   "last_error"]


def has_watch_tables(store: Store) -> bool:
    """Whether the store's schema has the watch tables (a read-only store of schema 1 has not)."""
    return store.schema_version >= ALERTS_SCHEMA


def _query(store: Store, sql: str, params: list[object], doing: str) -> pd.DataFrame:
    try:
        df = store.con.execute(sql, params).df()
    except duckdb.Error as exc:
        raise store_error(store.path, exc, doing) from exc
    for c in df.columns:
        if c.endswith("_at") or c in ("since",):
            df[c] = pd.to_datetime(df[c], utc=True)
    return df


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame(columns=TABLES[table].column_names)


def read_alerts(store: Store, *, since: object = None, status: str | None = None, limit: int = 200) -> pd.DataFrame:
    """Alert episodes, newest start first: at most ``limit``, alive at or after ``since`` (their end, or their
    last evaluation while firing, is not before it), of one ``status`` (``firing`` or ``resolved``) if given."""
    if not has_watch_tables(store):
        return _empty("alerts")
    where, params = [], []
    if since is not None:
        where.append("coalesce(ends_at, updated_at) >= ?::TIMESTAMPTZ")
        params.append(as_utc(since).to_pydatetime())
    if status is not None:
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT {', '.join(TABLES['alerts'].column_names)} FROM alerts"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY starts_at DESC, fingerprint LIMIT ?"
    params.append(limit)
    return _query(store, sql, params, "reading alerts")


def read_deliveries(store: Store, alert_ids: list[str] | None = None) -> pd.DataFrame:
    """Delivery rows (one per alert, event and sink), of ``alert_ids`` only if given."""
    if not has_watch_tables(store):
        return _empty("alert_deliveries")
    sql = f"SELECT {', '.join(TABLES['alert_deliveries'].column_names)} FROM alert_deliveries"
    params: list[object] = []
    if alert_ids is not None:
        sql += " WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(alert_ids))
    return _query(store, sql + " ORDER BY alert_id, event, sink", params, "reading alert deliveries")


def read_watch_state(store: Store) -> pd.DataFrame:
    """The rule engine's saved state, one row per alert fingerprint."""
    if not has_watch_tables(store):
        return _empty("watch_state")
    sql = f"SELECT {', '.join(TABLES['watch_state'].column_names)} FROM watch_state ORDER BY fingerprint"
    return _query(store, sql, [], "reading the watch state")


def channel_health(store: Store) -> pd.DataFrame:
    """Per sink: deliveries by status, the last successful delivery, the last error and when it happened."""
    if not has_watch_tables(store):
        return pd.DataFrame(columns=CHANNEL_COLUMNS)
    sql = """
        SELECT sink,
               count(*) FILTER (WHERE status = 'delivered') AS delivered,
               count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               count(*) FILTER (WHERE status = 'dead_letter') AS dead_letter,
               max(delivered_at) AS last_success_at,
               max(last_attempt_at) FILTER (WHERE last_error IS NOT NULL) AS last_error_at,
               arg_max(last_error, last_attempt_at) FILTER (WHERE last_error IS NOT NULL) AS last_error
        FROM alert_deliveries GROUP BY sink ORDER BY sink"""
    df = _query(store, sql, [], "reading channel health")
    for c in ("delivered", "pending", "failed", "dead_letter"):
        df[c] = df[c].astype(int)
    return df[CHANNEL_COLUMNS]
