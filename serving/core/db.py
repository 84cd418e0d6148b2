"""The API's Postgres access: one async connection pool per worker, opened in the lifespan.

Connections are in autocommit mode: reads of shared tables need no transaction, and every
tenant read or write opens an explicit one (`serving.security.tenancy.tenant_scope`), so a
request can never leave a transaction, or a tenant setting, on a pooled connection.

The pool connects as `wedsync_api` (`serving.core.config.api_database_url`), which owns nothing and
is subject to row-level security; only `prepare_warehouse` connects as the warehouse owner.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from serving.security.tenancy import apply_tenancy
from wedsync.warehouse import apply_schema, connect

logger = logging.getLogger(__name__)

POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 8
# A request waits this long for a connection before the API answers 503.
POOL_TIMEOUT_SECONDS = 5.0
_SCHEMA_LOCK_ID = 7_411_002

#: What "the warehouse is unreachable" looks like to a request (answered with 503).
WAREHOUSE_DOWN: tuple[type[Exception], ...] = (psycopg.OperationalError, PoolTimeout)


def create_pool(database_url: str) -> AsyncConnectionPool:
    """A closed pool for `database_url`; the lifespan opens it without waiting for Postgres."""
    return AsyncConnectionPool(
        database_url,
        min_size=POOL_MIN_SIZE,
        max_size=POOL_MAX_SIZE,
        kwargs={"autocommit": True},
        timeout=POOL_TIMEOUT_SECONDS,
        name="wedsync-api",
        open=False,
    )


def prepare_warehouse(database_url: str) -> bool:
    """Apply the system-of-record schema and tenancy (the API role, policies, grants).

    Several uvicorn workers start at once, so the DDL runs under an advisory lock. Returns
    False when Postgres is not reachable: the API still starts and `/healthz` answers, and
    data routes answer 503 until the warehouse is back.
    """
    try:
        with connect(database_url) as conn:
            conn.execute("select pg_advisory_lock(%s)", (_SCHEMA_LOCK_ID,))
            try:
                apply_schema(conn)
                apply_tenancy(conn)
            finally:
                conn.execute("select pg_advisory_unlock(%s)", (_SCHEMA_LOCK_ID,))
    except psycopg.OperationalError as error:
        logger.warning("warehouse not reachable at start-up (%s); serving 503 until it is", error)
        return False
    return True
