"""The read path's tenant scope in one pipeline: the caller's settings inside, none after, and
a failure inside leaves no transaction (or setting) on the connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg import errors
from psycopg.pq import TransactionStatus

from serving.security.tenancy import pipelined_tenant_scope
from wedsync.api_keys import Principal

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SUPPLIER = Principal(key_id="k1", supplier_id="sup_000001", tier="professional", role="viewer")
SETTINGS = (
    "select current_setting('wedsync.supplier_id', true), current_setting('wedsync.scope', true)"
)


@pytest.fixture
async def conn(warehouse_url: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """An autocommit connection, as the API's pool hands out."""
    async with await psycopg.AsyncConnection.connect(warehouse_url, autocommit=True) as conn:
        yield conn


async def settings(conn: psycopg.AsyncConnection) -> tuple[str | None, str | None]:
    cursor = await conn.execute(SETTINGS)
    row = await cursor.fetchone()
    assert row is not None
    return row[0] or None, row[1] or None


async def test_the_callers_settings_hold_inside_and_vanish_with_the_transaction(
    conn: psycopg.AsyncConnection,
) -> None:
    async with pipelined_tenant_scope(conn, SUPPLIER):
        inside = await conn.execute(SETTINGS)
        assert await inside.fetchone() == ("sup_000001", "")
    assert conn.info.transaction_status == TransactionStatus.IDLE
    assert await settings(conn) == (None, None)
    async with pipelined_tenant_scope(conn, None):  # the API's own work: the platform scope
        inside = await conn.execute(SETTINGS)
        assert await inside.fetchone() == ("", "platform")


async def test_a_failure_inside_leaves_no_transaction_and_no_setting(
    conn: psycopg.AsyncConnection,
) -> None:
    with pytest.raises(errors.DivisionByZero):
        async with pipelined_tenant_scope(conn, SUPPLIER):
            failing = await conn.execute("select 1 / 0")
            await failing.fetchall()
    assert conn.info.transaction_status == TransactionStatus.IDLE
    assert await settings(conn) == (None, None)

    with pytest.raises(LookupError):
        async with pipelined_tenant_scope(conn, SUPPLIER):
            raise LookupError("the block's own error, no statement failed")
    assert conn.info.transaction_status == TransactionStatus.IDLE
    assert await settings(conn) == (None, None)
