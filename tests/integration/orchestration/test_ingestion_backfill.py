"""A three-date backfill through Dagster: one run, each date loaded once, re-runs idempotent."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest

from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.jobs import nightly_exports_job
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.resources import WarehouseResource
from tests.support import throwaway_database
from wedsync.exports import mark_exports_complete
from wedsync.warehouse import apply_schema

pytestmark = pytest.mark.integration

EXPORT_DATES = ("2026-05-01", "2026-05-02", "2026-05-03")


def _write_exports(landing: Path) -> None:
    """Two enquiries per export date, as the platform's CSV export would carry them."""
    for day in EXPORT_DATES:
        folder = landing / "exports" / day
        folder.mkdir(parents=True)
        (folder / "enquiries.csv").write_text(
            "enquiry_id,supplier_id,couple_id,created_at,wedding_date,guest_count\n"
            f"enq_{day}_a,sup_000001,cpl_000001,{day}T10:00:00Z,2027-06-12,80\n"
            f"enq_{day}_b,sup_000002,cpl_000002,{day}T11:00:00Z,2027-08-14,120\n"
        )
    mark_exports_complete(landing)


def _backfill(
    definitions: dg.Definitions, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return definitions.resolve_job_def(nightly_exports_job.name).execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": EXPORT_DATES[0],
            "dagster/asset_partition_range_end": EXPORT_DATES[-1],
        },
    )


def test_a_three_date_backfill_loads_each_date_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _write_exports(landing)
    with throwaway_database("backfill") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        definitions = dg.Definitions(
            assets=export_assets,
            jobs=[nightly_exports_job],
            resources={
                "warehouse": WarehouseResource(database_url=database_url),
                "landing_zone": LandingZoneResource(landing_dir=str(landing)),
            },
        )
        with dg.DagsterInstance.ephemeral() as instance:
            first = _backfill(definitions, instance)
            second = _backfill(definitions, instance)
            materialized = instance.get_materialized_partitions(dg.AssetKey(["raw", "enquiries"]))
        with psycopg.connect(database_url) as conn:
            per_date = conn.execute(
                "select _export_date::text, count(*) from raw.enquiries group by 1 order by 1"
            ).fetchall()
    assert first.success and second.success
    assert set(materialized) >= set(EXPORT_DATES)
    assert per_date == [(day, 2) for day in EXPORT_DATES]


def test_a_night_without_a_complete_export_fails_its_partition_naming_the_date(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    _write_exports(landing)
    (landing / "exports" / EXPORT_DATES[1] / "_SUCCESS").unlink()
    with throwaway_database("missing_night") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        definitions = dg.Definitions(
            assets=export_assets,
            jobs=[nightly_exports_job],
            resources={
                "warehouse": WarehouseResource(database_url=database_url),
                "landing_zone": LandingZoneResource(landing_dir=str(landing)),
            },
        )
        with dg.DagsterInstance.ephemeral() as instance:
            result = definitions.resolve_job_def(nightly_exports_job.name).execute_in_process(
                instance=instance, partition_key=EXPORT_DATES[1], raise_on_error=False
            )
            materialized = instance.get_materialized_partitions(dg.AssetKey(["raw", "enquiries"]))
    assert not result.success
    failure = result.failure_data_for_node("raw__enquiries")
    assert failure is not None and EXPORT_DATES[1] in (
        failure.error.message if failure.error else ""
    )
    assert EXPORT_DATES[1] not in materialized
