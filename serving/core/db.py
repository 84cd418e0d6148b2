"""The API's Postgres access: one async connection pool per worker, opened in the lifespan.

Connections are in autocommit mode: reads of shared tables need no transaction, and every
tenant read or write opens an explicit one (`serving.security.tenancy.tenant_scope`), so a
request can never leave a transaction, or a tenant setting, on a pooled connection.

The pool connects as `wedsync_api` (`serving.core.config.api_database_url`), which owns nothing and
is subject to row-level security; only `prepare_warehouse` connects as the warehouse owner.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from serving.core.breaker import WarehouseBreaker, first_line, means_unreachable
from serving.security.tenancy import apply_tenancy
from wedsync.warehouse import apply_schema, connect
from wedsync.warehouse.schema import SCHEMA_LOCK_ID

logger = logging.getLogger(__name__)

POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 8
# A request waits this long for a busy pool's connection before the API answers 503; an
# unreachable Postgres is the breaker's business (`GuardedPool`), so no request waits this out.
POOL_TIMEOUT_SECONDS = 2.0
# A blackholed server must not hold a pool's connection attempt for the OS's minutes.
CONNECT_TIMEOUT_SECONDS = 2
# The pool's own reconnection backs off (1, 2, 4, 8 s...): left alone it would still be
# waiting out a delay long after Postgres is back. It gives up at once instead (and says so
# to the breaker); the breaker's recovery refills the pool the moment Postgres answers.
RECONNECT_TIMEOUT_SECONDS = 1.0

#: What "the warehouse is unreachable" looks like to a request (answered with 503).
WAREHOUSE_DOWN: tuple[type[Exception], ...] = (psycopg.OperationalError, PoolTimeout)


class GuardedPool(AsyncConnectionPool):
    """The pool behind the warehouse breaker: fails at once while Postgres is known down.

    A connection found broken (or refused) trips the breaker; a pool timeout makes it probe.
    When the breaker closes it checks the idle connections, so none broken by the outage is
    handed to a request afterwards.
    """

    def __init__(self, database_url: str) -> None:
        super().__init__(
            database_url,
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
            timeout=POOL_TIMEOUT_SECONDS,
            reconnect_timeout=RECONNECT_TIMEOUT_SECONDS,
            reconnect_failed=self._reconnect_failed,
            name="wedsync-api",
            open=False,
        )
        self.breaker = WarehouseBreaker(database_url, on_recovery=self.check)

    def _reconnect_failed(self, pool: AsyncConnectionPool) -> None:
        self.breaker.trip("the pool cannot reconnect")

    @asynccontextmanager
    async def connection(
        self, timeout: float | None = None
    ) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection; `WarehouseUnavailable` at once while the breaker is open."""
        self.breaker.check()
        try:
            async with super().connection(timeout) as conn:
                yield conn
        except PoolTimeout:
            self.breaker.suspect("no pooled connection within the timeout")
            raise
        except psycopg.OperationalError as error:
            if means_unreachable(error):
                self.breaker.trip(first_line(error))
            raise


def create_pool(database_url: str) -> GuardedPool:
    """A closed pool for `database_url`; the lifespan opens it without waiting for Postgres."""
    return GuardedPool(database_url)


def prepare_warehouse(database_url: str) -> bool:
    """Apply the system-of-record schema and tenancy (the API role, policies, grants).

    Several uvicorn workers start at once, so the DDL runs under an advisory lock. Returns
    False when Postgres is not reachable: the API still starts and `/healthz` answers, and
    data routes answer 503 until the warehouse is back.
    """
    try:
        with connect(database_url) as conn:
            conn.execute("select pg_advisory_lock(%s)", (SCHEMA_LOCK_ID,))
            try:
                apply_schema(conn)
                apply_tenancy(conn)
                # Committed before the lock is released: the next worker must find the schema
                # there, not its own `create schema` waiting on this one's uncommitted catalog
                # rows and failing on them when they commit (a new warehouse, workers at once).
                conn.commit()
            finally:
                conn.rollback()  # nothing left after the commit; a failure's aborted transaction
                conn.execute("select pg_advisory_unlock(%s)", (SCHEMA_LOCK_ID,))
    except psycopg.OperationalError as error:
        logger.warning("warehouse not reachable at start-up (%s); serving 503 until it is", error)
        return False
    return True
