"""Reading tables that may not exist yet, filtered to what the caller may see.

The insights, performance and alert answers read the published copies (`served.*`,
`wedsync.warehouse.served`) of marts that dbt builds and prediction tables that the ML assets
create on their first run. A table that is missing, or that the API's role
cannot read yet (dbt has just rebuilt it and not re-applied the grants), reads as `None`: the
answer says "not available yet" for that part instead of failing whole.

Row-level security already limits per-supplier tables to the caller's rows; the explicit
`supplier_id` filter here only lets a platform caller narrow to one supplier. Market tables
(vendor type x region, no supplier column) are narrowed to the supplier's own markets.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from serving.analytics.catalog import Catalog
from wedsync.warehouse.served import SERVED_SCHEMA, served_table

#: The markets a supplier trades in (its vendor type in its region).
SUPPLIER_MARKETS = sql.SQL(
    "(vendor_type, region) in (select distinct vendor_type, region "
    "from {} where supplier_id = %(supplier_id)s)"
).format(served_table("vendor_performance"))


@dataclass(frozen=True)
class Audience:
    """Whose rows an answer shows: one supplier (and its markets) or, for the platform, any."""

    supplier_id: str | None
    vendor_type: str | None = None
    region: str | None = None

    def params(self) -> dict[str, str | None]:
        """The SQL parameters of the filters."""
        return {
            "supplier_id": self.supplier_id,
            "vendor_type": self.vendor_type,
            "region": self.region,
        }


def _conditions(columns: tuple[str, ...], audience: Audience) -> sql.Composable:
    conditions: list[sql.Composable] = []
    if audience.supplier_id is not None:
        if "supplier_id" in columns:
            conditions.append(sql.SQL("supplier_id = %(supplier_id)s"))
        elif {"vendor_type", "region"} <= set(columns):
            conditions.append(SUPPLIER_MARKETS)
    for name in ("vendor_type", "region"):
        if getattr(audience, name) is not None and name in columns:
            conditions.append(sql.SQL("{0} = %({1})s").format(sql.Identifier(name), sql.SQL(name)))
    return sql.SQL(" and ").join(conditions) if conditions else sql.SQL("true")


@dataclass(frozen=True)
class Source:
    """Where an answer reads from: the connection, the data version and its catalog."""

    conn: psycopg.AsyncConnection
    version: int
    catalog: Catalog

    async def columns(self, table: str) -> tuple[str, ...] | None:
        """The served table's column names; None when it is not published or not readable."""
        found = await self.catalog.columns(self.conn, self.version, SERVED_SCHEMA, table)
        return None if found is None else found.names


async def read_rows(
    source: Source,
    table: str,
    audience: Audience,
    order_by: tuple[str, ...] = (),
) -> list[dict[str, object]] | None:
    """The audience's rows of `served.<table>` (None when it is not there or not readable).

    Ordered by `order_by`, then by every column, so the bytes (and the ETag) are stable.
    """
    columns = await source.columns(table)
    if columns is None:
        return None
    order: list[sql.Composable] = [sql.Identifier(name) for name in order_by if name in columns]
    order += [sql.Literal(position) for position in range(1, len(columns) + 1)]
    statement = sql.SQL("select * from {table} where {conditions} order by {order}").format(
        table=served_table(table),
        conditions=_conditions(columns, audience),
        order=sql.SQL(", ").join(order),
    )
    async with source.conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(statement, audience.params())
        return await cursor.fetchall()
