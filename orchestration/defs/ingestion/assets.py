"""One ingestion asset per exported entity, all built by the same factory.

Each asset COPYs its entity's export files for the selected export dates into `raw.<entity>`,
replacing what an earlier load of the same dates put there, so re-running a partition (or a
backfill) is safe. Backfills run as a single run over the whole range.

A date whose export is not complete (no `_SUCCESS` marker) fails its partition, naming the
date: a night that never arrived is a red partition in the UI, never a green 0-row load.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
from psycopg import sql

from orchestration.defs.ingestion.partitions import export_date_partitions
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.resources import WarehouseResource
from wedsync.exports import EXPORT_COMPLETE_MARKER, export_marker
from wedsync.warehouse.ingest import load_exports
from wedsync.warehouse.schema import RAW_TABLES, RawTable

PREVIEW_ROWS = 5


def _preview_markdown(columns: list[str], rows: list[tuple[object, ...]]) -> str:
    """A small markdown table of the newest rows, for the Dagster UI."""
    header = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join(
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |\n" for row in rows
    )
    return header + body


def require_complete_exports(landing_dir: Path, dates: list[dt.date]) -> None:
    """Fail, naming the dates, when any of `dates` has no complete export in the landing dir."""
    missing = [day for day in dates if not export_marker(landing_dir, day).exists()]
    if missing:
        shown = ", ".join(day.isoformat() for day in missing[:10])
        raise dg.Failure(
            description=(
                f"{len(missing)} export date(s) not complete in {landing_dir}: {shown}"
                f"{' …' if len(missing) > 10 else ''} (no {EXPORT_COMPLETE_MARKER} marker). "
                "The platform's export of that night has not landed; the landing sensor loads "
                "it when it does."
            ),
            metadata={"missing_export_dates": [day.isoformat() for day in missing]},
        )


def build_export_asset(table: RawTable) -> dg.AssetsDefinition:
    """The ingestion asset `raw/<entity>` for one exported entity."""

    @dg.asset(
        key=dg.AssetKey(["raw", table.name]),
        group_name="ingestion",
        description=f"raw.{table.name}: {table.description} Loaded as text from nightly exports.",
        partitions_def=export_date_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"postgres", "parquet"},
        owners=["team:data-engineering"],
        tags={"wedsync/layer": "raw"},
    )
    def export_asset(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        landing_zone: LandingZoneResource,
    ) -> dg.MaterializeResult:
        dates = [dt.date.fromisoformat(key) for key in context.partition_keys]
        require_complete_exports(landing_zone.path, dates)
        target = sql.Identifier("raw", table.name)
        with warehouse.connection() as conn:
            results = load_exports(conn, table.name, landing_zone.path, dates)
            total = conn.execute(sql.SQL("select count(*) from {}").format(target)).fetchone()
            preview_columns = list(table.columns)
            preview = conn.execute(
                sql.SQL("select {} from {} order by _export_date desc, _line limit %s").format(
                    sql.SQL(", ").join(map(sql.Identifier, preview_columns)), target
                ),
                (PREVIEW_ROWS,),
            ).fetchall()
        loaded = sum(result.rows for result in results)
        context.log.info(
            f"raw.{table.name}: {loaded} rows from {len(results)} export files "
            f"over {len(dates)} export dates"
        )
        return dg.MaterializeResult(
            metadata={
                "rows_loaded": dg.MetadataValue.int(loaded),
                "export_files": dg.MetadataValue.int(len(results)),
                "export_dates": dg.MetadataValue.int(len(dates)),
                "dagster/row_count": dg.MetadataValue.int(total[0] if total else 0),
                "preview": dg.MetadataValue.md(_preview_markdown(preview_columns, preview)),
            }
        )

    return export_asset


export_assets = [build_export_asset(table) for table in RAW_TABLES.values()]
