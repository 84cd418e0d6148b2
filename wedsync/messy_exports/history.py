"""The export history as one text frame per entity, and the damaged nights written back.

Damage is easier to reason about on whole tables (a payment needs its booking's value, a late
row moves from one night to another), so the history is read once from the raw tables the
ingestion filled (text, exactly as exported), damaged as frames, and only the nights that
changed are written out as export files: a trial costs the size of the damage, not of the
history, and reloading those nights through the loader replaces exactly them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from wedsync.exports import export_dir
from wedsync.warehouse.schema import RAW_TABLES

EXPORT_DATE = "_export_date"


@dataclass
class ExportHistory:
    """Every entity's exported rows (text, `_export_date` as a date), and what was touched."""

    frames: dict[str, pd.DataFrame]
    dates: list[dt.date]
    file_format: str
    #: (entity, export date) of every night whose file must be written again.
    touched: set[tuple[str, dt.date]] = field(default_factory=set)
    #: Files written with their bytes cut short: (entity, export date) -> share of bytes kept.
    truncated: dict[tuple[str, dt.date], float] = field(default_factory=dict)
    #: Files written with a column renamed: (entity, export date) -> (old name, new name).
    renamed: dict[tuple[str, dt.date], tuple[str, str]] = field(default_factory=dict)

    def touch(self, entity: str, dates: object) -> None:
        """Mark the nights of `dates` (an iterable of dates) as rewritten for `entity`."""
        self.touched.update((entity, day) for day in pd.unique(pd.Series(dates)))


def history_from_warehouse(conn: psycopg.Connection, file_format: str) -> ExportHistory:
    """The history as the warehouse's raw tables hold it (every row, in export order)."""
    frames: dict[str, pd.DataFrame] = {}
    for name, table in RAW_TABLES.items():
        columns = [*table.columns, EXPORT_DATE]
        query = sql.SQL("select {} from {} order by _export_date, _line").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier("raw", name)
        )
        frames[name] = pd.DataFrame(conn.execute(query).fetchall(), columns=columns, dtype=object)
    nights = set().union(*(set(frame[EXPORT_DATE]) for frame in frames.values()))
    return ExportHistory(frames, sorted(nights), file_format)


def _write_file(frame: pd.DataFrame, path: Path, file_format: str) -> None:
    columns = [name for name in frame.columns if name != EXPORT_DATE]
    schema = pa.schema([(name, pa.string()) for name in columns])
    table = pa.Table.from_pandas(frame[columns], schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(None)
    if file_format == "parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def write_history(history: ExportHistory, messy_landing: Path) -> list[tuple[str, dt.date]]:
    """Write every touched night's file into `messy_landing`; return (entity, night) of each."""
    written = sorted(history.touched)
    for entity, export_date in written:
        folder = export_dir(messy_landing, export_date)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{entity}.{history.file_format}"
        frame = history.frames[entity]
        night = frame[frame[EXPORT_DATE] == export_date]
        renamed = history.renamed.get((entity, export_date))
        if renamed:
            night = night.rename(columns={renamed[0]: renamed[1]})
        _write_file(night, target, history.file_format)
        kept = history.truncated.get((entity, export_date))
        if kept is not None:
            data = target.read_bytes()
            target.write_bytes(data[: int(len(data) * kept)])
    return written
