"""Publishing a prediction table: replace all of its rows in one transaction.

Every `predictions.*` table is rebuilt whole on each run, so the API reads either the previous
run's rows or this run's, never a half-written mix, and a failed run leaves the old rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import psycopg
from psycopg import sql


def sql_value(value: object) -> object:
    """`value`, or None where pandas holds a missing value (NaN, NaT, <NA>) for SQL null."""
    return None if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else value


def replace_table(
    conn: psycopg.Connection,
    ddl: str,
    table: tuple[str, str],
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> int:
    """Create `table` with `ddl` if missing, swap its rows for `rows`; return rows written."""
    target = sql.Identifier(*table)
    written = 0
    with conn.transaction():
        conn.execute(ddl)
        conn.execute(sql.SQL("delete from {}").format(target))
        copy_rows = sql.SQL("copy {} ({}) from stdin").format(
            target, sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with conn.cursor().copy(copy_rows) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    return written
