"""The store's tables, their keys and the ordered migrations that create them.

A table is described once (:data:`TABLES`); the migrations are generated from or refer to it. Adding a
column later means appending a migration, never editing an applied one.
"""
from __future__ import annotations

from dataclasses import dataclass

from selloff.store import catalogue


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """Natural key of a row: an upsert matches on it."""
    positive: tuple[str, ...] = ()
    """Columns that must be > 0 where not null (prices)."""
    non_negative: tuple[str, ...] = ()
    """Columns that must be >= 0 where not null (volumes, market caps, liquidations)."""
    required: tuple[str, ...] = ()
    """Non-key columns that must not be null or NaN."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def value_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.name not in self.key]


TS = "TIMESTAMPTZ"

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "assets",
            (
                Column("asset", "VARCHAR", False),
                Column("kind", "VARCHAR", False),
                Column("name", "VARCHAR", False),
                Column("sectors", "VARCHAR"),
                Column("coingecko_id", "VARCHAR"),
                Column("yahoo", "VARCHAR"),
            ),
            key=("asset",),
            required=("kind", "name"),
        ),
        Table(
            "bars",
            (
                Column("asset", "VARCHAR", False),
                Column("interval", "VARCHAR", False),
                Column("ts", TS, False),
                Column("source", "VARCHAR", False),
                Column("open", "DOUBLE"),
                Column("high", "DOUBLE"),
                Column("low", "DOUBLE"),
                Column("close", "DOUBLE", False),
                Column("adj_close", "DOUBLE"),
                Column("volume", "DOUBLE"),
                Column("file_sha256", "VARCHAR"),
            ),
            key=("asset", "interval", "ts", "source"),
            positive=("open", "high", "low", "close", "adj_close"),
            non_negative=("volume",),
            required=("close",),
        ),
        Table(
            "market_caps",
            (
                Column("asset", "VARCHAR", False),
                Column("ts", TS, False),
                Column("source", "VARCHAR", False),
                Column("market_cap_usd", "DOUBLE", False),
                Column("circulating_supply", "DOUBLE"),
                Column("price_usd", "DOUBLE"),
                Column("volume_usd_24h", "DOUBLE"),
                Column("file_sha256", "VARCHAR"),
            ),
            key=("asset", "ts", "source"),
            positive=("price_usd",),
            non_negative=("market_cap_usd", "circulating_supply", "volume_usd_24h"),
            required=("market_cap_usd",),
        ),
        Table(
            "derivatives",
            (
                Column("asset", "VARCHAR", False),
                Column("interval", "VARCHAR", False),
                Column("ts", TS, False),
                Column("venue", "VARCHAR", False),
                Column("source", "VARCHAR", False),
                Column("funding_rate", "DOUBLE"),
                Column("open_interest_usd", "DOUBLE"),
                Column("liq_long_usd", "DOUBLE"),
                Column("liq_short_usd", "DOUBLE"),
                Column("coverage", "VARCHAR"),
                Column("file_sha256", "VARCHAR"),
            ),
            key=("asset", "interval", "ts", "venue", "source"),
            non_negative=("open_interest_usd", "liq_long_usd", "liq_short_usd"),
        ),
        Table(
            "category_caps",
            (
                Column("provider", "VARCHAR", False),
                Column("category", "VARCHAR", False),
                Column("ts", TS, False),
                Column("source", "VARCHAR", False),
                Column("name", "VARCHAR"),
                Column("market_cap_usd", "DOUBLE", False),
                Column("market_cap_change_24h_pct", "DOUBLE"),
                Column("volume_usd_24h", "DOUBLE"),
                Column("members", "VARCHAR"),
            ),
            key=("provider", "category", "ts", "source"),
            non_negative=("market_cap_usd", "volume_usd_24h"),
            required=("market_cap_usd",),
        ),
        Table(
            "events",
            (
                Column("ts", TS, False),
                Column("entity", "VARCHAR", False),
                Column("kind", "VARCHAR", False),
                Column("headline", "VARCHAR", False),
                Column("source", "VARCHAR", False),
                Column("url", "VARCHAR"),
                Column("assets", "VARCHAR"),
                Column("fetched_at", TS),
            ),
            key=("ts", "entity", "kind", "headline", "source"),
        ),
        Table(
            "alerts",
            (
                Column("fingerprint", "VARCHAR", False),
                Column("starts_at", TS, False),
                Column("id", "VARCHAR", False),
                Column("rule", "VARCHAR", False),
                Column("kind", "VARCHAR", False),
                Column("sector", "VARCHAR"),
                Column("asset", "VARCHAR"),
                Column("severity", "VARCHAR", False),
                Column("status", "VARCHAR", False),
                Column("ends_at", TS),
                Column("updated_at", TS, False),
                Column("summary_en", "VARCHAR", False),
                Column("summary_de", "VARCHAR", False),
                Column("values_json", "VARCHAR", False),
                Column("inhibited_by", "VARCHAR"),
                Column("source", "VARCHAR"),
            ),
            key=("fingerprint", "starts_at"),
            required=("id", "rule", "kind", "severity", "status", "updated_at", "summary_en", "summary_de",
                      "values_json"),
        ),
        Table(
            "alert_deliveries",
            (
                Column("alert_id", "VARCHAR", False),
                Column("event", "VARCHAR", False),
                Column("sink", "VARCHAR", False),
                Column("status", "VARCHAR", False),
                Column("attempts", "BIGINT"),
                Column("message_id", "VARCHAR"),
                Column("last_attempt_at", TS),
                Column("delivered_at", TS),
                Column("last_error", "VARCHAR"),
            ),
            key=("alert_id", "event", "sink"),
            non_negative=("attempts",),
            required=("status",),
        ),
        Table(
            "watch_state",
            (
                Column("fingerprint", "VARCHAR", False),
                Column("rule", "VARCHAR", False),
                Column("state", "VARCHAR", False),
                Column("since", TS),
                Column("last_resolved_at", TS),
                Column("evaluated_at", TS, False),
            ),
            key=("fingerprint",),
            required=("rule", "state", "evaluated_at"),
        ),
    )
}


def _create_sql(t: Table) -> str:
    cols = ",\n  ".join(f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in t.columns)
    return f"CREATE TABLE {t.name} (\n  {cols},\n  PRIMARY KEY ({', '.join(t.key)})\n)"


_V1_ALERTS = """CREATE TABLE alerts (
  ts TIMESTAMPTZ NOT NULL,
  kind VARCHAR NOT NULL,
  subject VARCHAR NOT NULL,
  message VARCHAR NOT NULL,
  value DOUBLE,
  source VARCHAR,
  PRIMARY KEY (ts, kind, subject)
)"""
"""The placeholder alerts table of schema 1 (never written); migration 2 replaces it."""
WATCH_TABLES = ("alerts", "alert_deliveries", "watch_state")
"""The tables of ``selloff watch`` (schema 2): alert episodes, their deliveries per sink, the rule engine's state."""
ALERTS_SCHEMA = 2
"""The first schema version that holds :data:`WATCH_TABLES`."""
CATALOGUE_SCHEMA = 3
"""The first schema version that holds the series catalogue (:mod:`selloff.store.catalogue`)."""

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "initial schema",
        [_create_sql(t) for t in TABLES.values() if t.name not in WATCH_TABLES]
        + [
            _V1_ALERTS,
            "CREATE SEQUENCE fetch_log_id START 1",
            """CREATE TABLE fetch_log (
  id BIGINT PRIMARY KEY DEFAULT nextval('fetch_log_id'),
  started_at TIMESTAMPTZ NOT NULL,
  source VARCHAR NOT NULL,
  request VARCHAR,
  range_start TIMESTAMPTZ,
  range_end TIMESTAMPTZ,
  rows_inserted BIGINT,
  rows_updated BIGINT,
  rows_unchanged BIGINT,
  status VARCHAR NOT NULL,
  duration_s DOUBLE,
  error VARCHAR
)""",
        ],
    ),
    (
        ALERTS_SCHEMA,
        "watch: alerts keyed by fingerprint and start, deliveries per sink, rule-engine state",
        ["DROP TABLE alerts"] + [_create_sql(TABLES[name]) for name in WATCH_TABLES],
    ),
    (
        CATALOGUE_SCHEMA,
        "series catalogue: rows and first/last ts per stored series of bars and market_caps, kept by every write",
        [catalogue.CREATE_SQL, *catalogue.FILL_SQL],
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
