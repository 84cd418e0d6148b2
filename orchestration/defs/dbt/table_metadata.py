"""Row counts and a preview of the tables a dbt build wrote, attached to their materializations.

dagster-dbt's own `fetch_row_counts()` counts `relation_name` from the manifest, which names
the database the manifest was parsed against: when the build runs against another database
(a test's throwaway warehouse, a parse from a different shell) Postgres refuses the
cross-database reference and the count is silently dropped. Schemas are fixed
(`generate_schema_name`), so counting `<schema>.<table>` on the build's own connection works
wherever the build runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dagster as dg
import psycopg
from psycopg import sql

from wedsync.warehouse import connect

#: Materializations that store rows; views are not counted (that would run their query).
COUNTED_MATERIALIZATIONS = frozenset({"table", "incremental", "seed"})
PREVIEW_ROWS = 5


def table_relations(manifest: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """`unique_id -> (schema, table)` of every manifest node that stores rows."""
    return {
        unique_id: (node["schema"], node.get("alias") or node["name"])
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("config", {}).get("materialized") in COUNTED_MATERIALIZATIONS
    }


def _unique_id(event: dg.Output | dg.AssetMaterialization) -> str | None:
    value = event.metadata.get("unique_id")
    return getattr(value, "value", value)


def _table_metadata(conn: psycopg.Connection, relation: tuple[str, str]) -> dict[str, Any]:
    """The table's row count and its first rows, as the Dagster UI shows them."""
    table = sql.Identifier(*relation)
    count = conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()
    cursor = conn.execute(sql.SQL("select * from {} limit %s").format(table), (PREVIEW_ROWS,))
    columns = [column.name for column in cursor.description or []]
    records = [
        dg.TableRecord(
            {
                name: None if value is None else str(value)
                for name, value in zip(columns, row, strict=True)
            }
        )
        for row in cursor.fetchall()
    ]
    return {
        "dagster/row_count": dg.MetadataValue.int(count[0] if count else 0),
        "preview": dg.MetadataValue.table(
            records, schema=dg.TableSchema([dg.TableColumn(name, "text") for name in columns])
        ),
    }


def with_table_metadata(
    events: Iterable[Any], relations: Mapping[str, tuple[str, str]], database_url: str
) -> Iterator[Any]:
    """Pass `events` through, adding row count and preview to those of counted tables."""
    with connect(database_url, autocommit=True) as conn:
        for event in events:
            if isinstance(event, dg.Output | dg.AssetMaterialization):
                relation = relations.get(_unique_id(event) or "")
                if relation is not None:
                    event = event.with_metadata(
                        {**event.metadata, **_table_metadata(conn, relation)}
                    )
            yield event
