"""Persistence: the DuckDB store (schema, migrations, validated transactional upserts, reads)."""
from selloff.store.schema import SCHEMA_VERSION, TABLES
from selloff.store.store import Store, UpsertResult, timed_upserts
from selloff.store.validate import validate_frame

__all__ = ["SCHEMA_VERSION", "TABLES", "Store", "UpsertResult", "timed_upserts", "validate_frame"]
