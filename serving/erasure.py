"""GDPR erasure of a couple: personal data nulled, the couple id pseudonymised everywhere.

`raw.couples` keeps a tombstone row (names and email nulled) so that counts of couples and
the lineage of the export stay intact; every raw table that names the couple gets the same
random pseudonym instead of the id, so analytics still see "one couple made these enquiries"
but nothing links them back to a person. The pseudonym is random, not derived from the id,
and is not written anywhere else: the erasure cannot be undone. The marts are rebuilt from raw
by the next dbt build. The erasure and its row counts go to the append-only audit log.
"""

from __future__ import annotations

import secrets

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from serving.security.tenancy import tenant_scope
from wedsync.api_keys import AUDIT_INSERT, Principal

#: Raw tables that name a couple (`raw.couples` holds the personal data itself).
COUPLE_TABLES = ("enquiries", "bookings", "reviews", "events")

_TOMBSTONE = """
update raw.couples
set couple_id = %(pseudonym)s, partner_one_name = null, partner_two_name = null, email = null
where couple_id = %(couple_id)s
"""


class CoupleNotFound(LookupError):
    """No raw table names this couple (never existed, or already erased)."""


def pseudonym() -> str:
    """A fresh random stand-in for an erased couple id."""
    return f"cpl_erased_{secrets.token_hex(8)}"


async def erase_couple(
    conn: psycopg.AsyncConnection, couple_id: str, actor: Principal
) -> dict[str, int]:
    """Erase one couple in a single transaction; rows changed per table."""
    params = {"couple_id": couple_id, "pseudonym": pseudonym()}
    async with tenant_scope(conn, actor):
        rows = {"raw.couples": (await conn.execute(_TOMBSTONE, params)).rowcount}
        for table in COUPLE_TABLES:
            statement = sql.SQL(
                "update {} set couple_id = %(pseudonym)s where couple_id = %(couple_id)s"
            ).format(sql.Identifier("raw", table))
            rows[f"raw.{table}"] = (await conn.execute(statement, params)).rowcount
        if not any(rows.values()):
            raise CoupleNotFound(couple_id)
        await conn.execute(
            AUDIT_INSERT,
            (f"api:{actor.key_id}", "couple.erased", couple_id, Jsonb({"rows": rows})),
        )
    return rows
