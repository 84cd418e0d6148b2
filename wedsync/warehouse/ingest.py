"""Load nightly exports from the landing dir into `raw.*` (used by the ingestion assets)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import psycopg

from wedsync.exports import export_file
from wedsync.warehouse.loader import LoadResult, load_export
from wedsync.warehouse.schema import RAW_TABLES


def load_exports(
    conn: psycopg.Connection, table_name: str, landing_dir: Path, dates: Iterable[dt.date]
) -> list[LoadResult]:
    """Load `table_name`'s export of each date that has one; a date without a file loads nothing.

    All dates load in one transaction (each export a savepoint within it): a backfill of a
    thousand export dates commits once, and a failure leaves none of them half-applied.
    """
    table = RAW_TABLES[table_name]
    results = []
    with conn.transaction():
        for export_date in dates:
            path = export_file(landing_dir, export_date, table_name)
            if path is not None:
                results.append(load_export(conn, table, export_date, path))
    return results
