"""The one COPY loader every ingestion asset uses.

Loading is idempotent per export: the rows of an (table, export date) pair are deleted and
re-copied in one transaction, so loading the same export twice leaves the same rows and a
reader never sees a half-loaded export.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql

from wedsync.warehouse.schema import RawTable


@dataclass(frozen=True)
class LoadResult:
    """What one export file contributed to a raw table."""

    table: str
    export_date: dt.date
    source_file: str
    rows: int


def read_export(path: Path) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Read an export file (Parquet or CSV) as column names and rows of text, as received.

    Every value is turned into text (an empty CSV field into NULL) so that nothing a quality
    rule needs to see is lost to type inference.
    """
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        columns = [pc.cast(column, "string").to_pylist() for column in table.columns]
        return table.column_names, list(zip(*columns, strict=True)) if columns else []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return header, [tuple(value if value != "" else None for value in row) for row in reader]


def load_export(
    conn: psycopg.Connection, table: RawTable, export_date: dt.date, path: Path
) -> LoadResult:
    """Replace `raw.<table>`'s rows for `export_date` with the rows of the file at `path`."""
    columns, rows = read_export(path)
    unknown = sorted(set(columns) - set(table.columns))
    if unknown:
        raise ValueError(f"{path}: columns {unknown} are not in raw.{table.name}")
    target = sql.Identifier("raw", table.name)
    copy_columns = sql.SQL(", ").join(
        sql.Identifier(name) for name in [*columns, "_export_date", "_source_file", "_line"]
    )
    with conn.transaction():
        conn.execute(
            sql.SQL("delete from {} where _export_date = %s").format(target), (export_date,)
        )
        with conn.cursor().copy(
            sql.SQL("copy {} ({}) from stdin").format(target, copy_columns)
        ) as copy:
            for line, row in enumerate(rows, start=1):
                copy.write_row((*row, export_date, path.name, line))
    return LoadResult(table.name, export_date, path.name, len(rows))
