"""The one COPY loader every ingestion asset uses.

Loading is idempotent per export: the rows of an (table, export date) pair are deleted and
re-copied in one transaction, so loading the same export twice leaves the same rows and a
reader never sees a half-loaded export. Couples erased since the export was written are erased
again in the same transaction, so reloading an old export never brings one back.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql

from wedsync.warehouse.erasure import reapply_erasures
from wedsync.warehouse.schema import RawTable


class ExportUnreadable(RuntimeError):
    """An export file that cannot be read (truncated by a full disk, corrupt, not text)."""


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
    rule needs to see is lost to type inference. A file that cannot be read is an
    `ExportUnreadable` naming it: a half-written export (the landing disk filled up) must fail
    its partition plainly, never load part of its rows.
    """
    try:
        return _read_export(path)
    except (OSError, UnicodeDecodeError, csv.Error, pa.ArrowException) as error:
        raise ExportUnreadable(
            f"export {path} is unreadable ({type(error).__name__}: {error}); nothing of it was "
            "loaded and the rows of earlier loads are kept. Re-export the file (check the "
            "landing disk's free space), then materialize this partition again."
        ) from error


def _read_export(path: Path) -> tuple[list[str], list[tuple[str | None, ...]]]:
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
        reapply_erasures(conn, table.name, export_date)
    return LoadResult(table.name, export_date, path.name, len(rows))
