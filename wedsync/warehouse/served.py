"""The published build the API reads: `served.<table>`, copied from the build in one transaction.

dbt and the ML assets build into `marts` and `predictions` (the build side), table by table,
and a build can fail half-way. The API reads only `served`, which `publish_served` fills from
the build side in the caller's transaction, with the dataset version bumped in that same
transaction: under MVCC a reader sees all of the previous publish or all of the new one, never
siblings of two builds (docs/internals.md, "Publishing a consistent build").

Rows are copied (`delete` + `insert`) rather than tables renamed: that takes row locks only,
and keeps each served table's OID, policy, grants and any view built on it. A served table
whose columns or indexes differ from its build is re-created with the build's indexes (never
with `CASCADE`: a view on it fails the publish, naming the view, and the previous publish stays
served). Without the indexes dbt gives the marts, every uncached answer scanned whole tables:
4-5 ms of API CPU and 5-8 ms of Postgres CPU per answer at the demo scale, against 1.2-1.9 and
0.4-0.6 ms reading the marts.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, bump_dataset_version
from wedsync.warehouse.schema import SCHEMA_LOCK_ID

SERVED_SCHEMA = "served"


@dataclass(frozen=True)
class ServedTable:
    """A table the API reads, and the build-side schema it is published from."""

    build_schema: str
    name: str

    @property
    def qualified(self) -> str:
        """`marts.<name>` or `predictions.<name>`, as a user builds it."""
        return f"{self.build_schema}.{self.name}"

    @property
    def build(self) -> sql.Identifier:
        """The table as the pipeline builds it (`marts.<name>`, `predictions.<name>`)."""
        return sql.Identifier(self.build_schema, self.name)

    @property
    def served(self) -> sql.Identifier:
        """The published copy the API reads."""
        return served_table(self.name)


#: Every table an analytics answer reads (the metrics, insights, market, journey, network and
#: couple-prediction routes), all published together.
SERVED_TABLES = (
    *(
        ServedTable("marts", name)
        for name in (
            "vendor_performance",
            "seasonal_bookings",
            "supplier_daily_activity",
            "lead_funnel",
            "market_gaps",
            "supplier_capacity",
            "couple_journey",
            "vendor_network",
            "dim_suppliers",
            "seasonal_demand",
            "market_benchmarks",
            "wedding_day_alerts",
        )
    ),
    *(
        ServedTable("predictions", name)
        for name in (
            "pipeline_value",
            "demand_forecast",
            "price_advice",
            "couple_budget",
            "review_score",
        )
    ),
)
_BY_NAME = {table.name: table for table in SERVED_TABLES}

# Two publishes at once would each delete only the rows they can see and both insert: doubled
# rows. They take turns for the length of the transaction, and with anyone changing the schema
# (`SCHEMA_LOCK_ID`: an API worker starting), which deadlocked with a publish.
_TAKE_TURNS = "select pg_advisory_xact_lock(hashtext('served.publish')), pg_advisory_xact_lock(%s)"
_COLUMNS = """
select a.attname, format_type(a.atttypid, a.atttypmod)
from pg_attribute a
where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""
#: Each index's definition without its name and table (`btree (supplier_id, month)`), so the
#: build's and the served copy's compare equal when they index alike.
_INDEXES = """
select substring(pg_get_indexdef(indexrelid) from ' USING (.*)$') as definition
from pg_index
where indrelid = to_regclass(%s)
order by 1
"""
# New served tables get the tenant policy and the API's grants (serving/security/tenancy.py
# creates the procedure; a warehouse the API never started has no API role to grant to).
_APPLY_ROW_LEVEL_SECURITY = """
do $rls$
begin
    if to_regprocedure('app.apply_row_level_security()') is not null then
        call app.apply_row_level_security();
    end if;
end
$rls$
"""


class ServedTableInUse(RuntimeError):
    """A served table's columns changed and another object (a view) depends on it."""


def served_table(name: str) -> sql.Identifier:
    """`served.<name>`: where the API reads table `name`."""
    return sql.Identifier(SERVED_SCHEMA, name)


def build_name(name: str) -> str:
    """`marts.<name>` or `predictions.<name>`: what a missing served table waits for."""
    table = _BY_NAME.get(name)
    return table.qualified if table else f"marts.{name}"


def _columns(conn: psycopg.Connection, relation: str) -> list[tuple[str, str]]:
    """The relation's (column, type) pairs in order; none when it does not exist."""
    return [(str(name), str(kind)) for name, kind in conn.execute(_COLUMNS, (relation,))]


def _indexes(conn: psycopg.Connection, relation: str) -> list[str]:
    """The relation's index definitions, sorted, without names (none when it does not exist)."""
    return [str(definition) for (definition,) in conn.execute(_INDEXES, (relation,))]


def _recreate(conn: psycopg.Connection, table: ServedTable, exists: bool) -> None:
    """Make `served.<table>` an empty table with the build's columns and indexes."""
    if exists:
        try:
            with conn.transaction():
                conn.execute(sql.SQL("drop table {}").format(table.served))
        except psycopg.errors.DependentObjectsStillExist as error:
            detail = error.diag.message_detail or str(error)
            raise ServedTableInUse(
                f"{SERVED_SCHEMA}.{table.name} changed columns and cannot be re-created: "
                f"{detail}; the previous build stays served"
            ) from error
    conn.execute(
        sql.SQL("create table {} (like {} including indexes)").format(table.served, table.build)
    )


def publish_served(
    conn: psycopg.Connection, tables: tuple[ServedTable, ...] = SERVED_TABLES
) -> list[str]:
    """Copy each built table of `tables` into `served`; the names published.

    Runs in the caller's transaction (commit it together with the dataset version's bump).
    A table not built yet is left as it is: missing, or its previous publish.
    """
    with conn.transaction():
        conn.execute(_TAKE_TURNS, (SCHEMA_LOCK_ID,))
        built = [
            table
            for table in tables
            if conn.execute("select to_regclass(%s) is not null", (table.qualified,)).fetchone()
            == (True,)
        ]
        if built:
            # Held to the commit: no build-side table is swapped while the copy reads them all.
            conn.execute(
                sql.SQL("lock table {} in access share mode").format(
                    sql.SQL(", ").join(table.build for table in built)
                )
            )
        for table in built:
            _publish_one(conn, table)
        conn.execute(_APPLY_ROW_LEVEL_SECURITY)
    return [table.name for table in built]


def publish_build(conn: psycopg.Connection) -> tuple[list[str], int]:
    """Publish every built served table and bump the `analytics` version, in one transaction.

    The version's NOTIFY is delivered at the commit that makes the new rows visible, so no
    worker computes an answer for the new version from the previous rows. (The tables
    published, the new version.)
    """
    with conn.transaction():
        published = publish_served(conn)
        version = bump_dataset_version(conn, ANALYTICS_DATASET)
    return published, version


def _publish_one(conn: psycopg.Connection, table: ServedTable) -> None:
    """Replace `served.<table>`'s rows with the build's (re-created if its columns or indexes
    changed)."""
    served = f"{SERVED_SCHEMA}.{table.name}"
    build_columns = _columns(conn, table.qualified)
    served_columns = _columns(conn, served)
    if served_columns == build_columns and _indexes(conn, served) == _indexes(
        conn, table.qualified
    ):
        conn.execute(sql.SQL("delete from {}").format(table.served))
    else:
        _recreate(conn, table, exists=bool(served_columns))
    names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in build_columns)
    conn.execute(
        sql.SQL("insert into {served} ({names}) select {names} from {build}").format(
            served=table.served, names=names, build=table.build
        )
    )
