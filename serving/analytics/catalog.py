"""Which columns the served tables have, remembered per data version.

Answers adapt to the marts dbt built (a mart's period column, its numeric columns, whether a
prediction table exists yet). Asking the catalog on every cache miss cost more than the
answer's own queries, and the columns only change when dbt rebuilds, which moves the data
version; so a table's columns are remembered per version. A table that is missing or not
readable yet is never remembered: it is looked up again until it appears.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

# pg_catalog rather than information_schema: the latter's privilege-checking views cost
# milliseconds per query. `has_table_privilege` says whether the API's role may read it.
_COLUMNS = """
select a.attname, t.typname, t.typcategory
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p', 'v', 'm')
  and has_table_privilege(c.oid, 'select')
order by a.attnum
"""


@dataclass(frozen=True)
class TableColumns:
    """A readable table's columns, in order, and which are dates and which numbers."""

    names: tuple[str, ...]
    dates: tuple[str, ...]
    numeric: tuple[str, ...]


class Catalog:
    """Columns of the served tables, remembered per data version (one per worker)."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, str, str], TableColumns] = {}

    async def columns(
        self, conn: psycopg.AsyncConnection, version: int, schema: str, table: str
    ) -> TableColumns | None:
        """The table's columns at `version`; None when it is missing or not readable."""
        key = (version, schema, table)
        known = self._known.get(key)
        if known is not None:
            return known
        cursor = await conn.execute(_COLUMNS, (schema, table))
        rows = await cursor.fetchall()
        if not rows:
            return None
        if any(remembered[0] < version for remembered in self._known):
            # A new build: what older versions saw is of no use any more.
            self._known = {k: v for k, v in self._known.items() if k[0] >= version}
        found = TableColumns(
            names=tuple(name for name, _, _ in rows),
            dates=tuple(name for name, type_name, _ in rows if type_name == "date"),
            numeric=tuple(name for name, _, category in rows if category == "N"),
        )
        self._known[key] = found
        return found
