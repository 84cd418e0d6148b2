"""Resources shared by several domains."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import dagster as dg
import psycopg

from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database


class WarehouseResource(dg.ConfigurableResource):
    """The Postgres warehouse, as every asset that reads or writes it sees it."""

    database_url: str

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection with the warehouse schema in place (created on first use)."""
        ensure_database(self.database_url)
        with connect(self.database_url) as conn:
            apply_schema(conn)
            yield conn


@cache
def warehouse_resource() -> WarehouseResource:
    """The warehouse resource configured from the environment (see `wedsync.settings`).

    Cached: every domain binds this same object, which `Definitions.merge` requires.
    """
    return WarehouseResource(database_url=get_settings().database_url)
