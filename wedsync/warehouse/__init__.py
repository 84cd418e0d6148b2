"""The Postgres warehouse: one connection helper, the system-of-record schema, one COPY loader."""

from wedsync.warehouse.connection import connect, ensure_database
from wedsync.warehouse.schema import RAW_TABLES, apply_schema

__all__ = ["RAW_TABLES", "apply_schema", "connect", "ensure_database"]
