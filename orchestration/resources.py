"""Resources shared by several domains."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import dagster as dg
import psycopg

from wedsync.settings import get_settings
from wedsync.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The Postgres warehouse, as every asset that reads or writes it sees it.

    The schema is created once, by `wedsync db init` (and `make build`), never here: a
    connection opened every 10 s by a sensor must not take the DDL's table locks each time.
    """

    database_url: str

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection to the warehouse (committed when the block ends without error)."""
        with connect(self.database_url) as conn:
            yield conn


@cache
def warehouse_resource() -> WarehouseResource:
    """The warehouse resource configured from the environment (see `wedsync.settings`).

    Cached: every domain binds this same object, which `Definitions.merge` requires.
    """
    return WarehouseResource(database_url=get_settings().database_url)
