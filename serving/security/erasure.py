"""GDPR erasure of a couple, asked of the warehouse's `app.erase_couple` function.

The API role may not update raw tables nor read `raw.couples`: the erasure runs as the
warehouse owner inside `app.erase_couple` (`wedsync/warehouse/erasure.py`), which scrubs every
raw table and JSON column, the dead letters, the quarantine and the marts, bumps the dataset
versions so no cached answer names the couple, keeps reloaded exports erased, and writes the
audit log, all in one transaction.
"""

from __future__ import annotations

import psycopg

from wedsync.api_keys import Principal

_ERASE = "select app.erase_couple(%s, %s)"


class CoupleNotFound(LookupError):
    """No table names this couple (never existed, or already erased)."""


async def erase_couple(
    conn: psycopg.AsyncConnection, couple_id: str, actor: Principal
) -> dict[str, int]:
    """Erase one couple in a single transaction; rows changed per table."""
    try:
        async with conn.transaction():
            cursor = await conn.execute(_ERASE, (couple_id, f"api:{actor.key_id}"))
            row = await cursor.fetchone()
    except psycopg.errors.NoDataFound as error:
        raise CoupleNotFound(couple_id) from error
    assert row is not None  # a scalar function always yields its row
    return {table: int(count) for table, count in row[0].items()}
