"""A retention policy for live events and landing files, run by Dagster and audited (issue 15).

Before, nothing ever removed a month of `raw.events`, a dead letter or an export folder: the
personal data in them was kept forever. Now the `retention` job drops what is older than the
configured ages and appends what it removed to the audit log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.retention.assets import landing_exports_retention, raw_events_retention
from orchestration.defs.retention.resources import RetentionPolicyResource
from orchestration.resources import WarehouseResource
from tests.support import throwaway_database
from wedsync.exports import export_dates, export_dir
from wedsync.warehouse import apply_schema, connect
from wedsync.warehouse.event_tables import create_event_partition, month_start

pytestmark = pytest.mark.integration

RAW_EVENT_DAYS = 90
LANDING_DAYS = 30


@dataclass(frozen=True)
class Moments:
    """Today, and an event in a month wholly before the cutoff (dropped), in the cutoff's own
    month (kept whole) and today. Taken when the test runs, not when it is collected: a
    module-level today went stale in a suite run that crossed midnight into a new month."""

    today: dt.date
    expired: dt.datetime
    straddling: dt.datetime
    recent: dt.datetime


@pytest.fixture
def moments() -> Moments:
    today = dt.datetime.now(dt.UTC).date()
    cutoff = today - dt.timedelta(days=RAW_EVENT_DAYS)
    return Moments(
        today=today,
        expired=dt.datetime.combine(
            month_start(cutoff) - dt.timedelta(days=20), dt.time(12), dt.UTC
        ),
        straddling=dt.datetime.combine(cutoff, dt.time(12), dt.UTC),
        recent=dt.datetime.combine(today, dt.time(0), dt.UTC),
    )


@pytest.fixture
def warehouse_url(partitioning: str, moments: Moments) -> Iterator[str]:
    """An event, its id and a dead letter in an expired month, the cutoff's month and today."""
    with throwaway_database("wedsync_retention") as url:
        with connect(url) as conn:
            apply_schema(conn)
            for moment in (moments.expired, moments.straddling):
                create_event_partition(conn, month_start(moment))
            for moment in (moments.expired, moments.straddling, moments.recent):
                event_id = uuid.uuid4()
                conn.execute(
                    "insert into raw.events (event_id, event_type, occurred_at, supplier_id, "
                    "properties, received_at) values (%s, 'profile_view', %s, 'sup_000001', "
                    "'{}', %s)",
                    (event_id, moment, moment),
                )
                conn.execute(
                    "insert into raw.event_ids (supplier_id, event_id, received_at) "
                    "values ('sup_000001', %s, %s)",
                    (event_id, moment),
                )
                conn.execute(
                    "insert into raw.events_rejected (batch_index, reason, payload, received_at) "
                    "values (0, 'event_type: unknown', '{}', %s)",
                    (moment,),
                )
            conn.commit()
        yield url


def test_expired_events_dead_letters_and_export_folders_go_and_are_audited(
    partitioning: str, warehouse_url: str, moments: Moments, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    for days in (400, 31, 29, 0):
        folder = export_dir(landing, moments.today - dt.timedelta(days=days))
        folder.mkdir(parents=True)
        (folder / "couples.csv").write_text("couple_id,email\ncpl_000001,ada@example.com\n")
    with connect(warehouse_url) as conn:
        partitions_before = conn.execute(
            "select count(*) from pg_inherits where inhparent = 'raw.events'::regclass"
        ).fetchone()
        expired_partition = conn.execute(
            "select tableoid::regclass::text from raw.events where occurred_at = %s",
            (moments.expired,),
        ).fetchone()

    result = dg.materialize(
        [raw_events_retention, landing_exports_retention],
        resources={
            "warehouse": WarehouseResource(database_url=warehouse_url),
            "landing_zone": LandingZoneResource(landing_dir=str(landing)),
            "retention": RetentionPolicyResource(
                raw_event_days=RAW_EVENT_DAYS, landing_days=LANDING_DAYS
            ),
        },
    )
    assert result.success

    with connect(warehouse_url) as conn:
        occurred = conn.execute("select occurred_at from raw.events order by 1").fetchall()
        partitions_after = conn.execute(
            "select count(*) from pg_inherits where inhparent = 'raw.events'::regclass"
        ).fetchone()
        kept_ids = conn.execute("select count(*) from raw.event_ids").fetchone()
        kept_letters = conn.execute("select count(*) from raw.events_rejected").fetchone()
        audit = dict(
            conn.execute(
                "select action, details from app.audit_log where actor = 'dagster:retention'"
            ).fetchall()
        )
    # Only the month wholly before the cutoff went; the cutoff's month is kept whole.
    assert [row[0] for row in occurred] == [moments.straddling, moments.recent]
    assert partitions_before is not None and partitions_after is not None
    assert partitions_after[0] == partitions_before[0] - 1
    assert kept_ids == kept_letters == (2,)
    assert export_dates(landing) == [moments.today - dt.timedelta(days=d) for d in (29, 0)]
    suffix = "%Y_%m" if partitioning == "pg_partman" else "%Y%m"
    dropped = f"events_p{moments.expired:{suffix}}"
    assert expired_partition == (f"raw.{dropped}",)
    assert audit["retention.raw_events"]["partitions_dropped"] == [dropped]
    assert audit["retention.raw_events"]["managed_by"] == partitioning
    assert audit["retention.raw_events"]["dead_letters_deleted"] == 1
    assert audit["retention.landing_exports"]["export_dates_deleted"] == 2


def test_the_retention_job_and_schedule_are_in_the_code_location() -> None:
    assert defs.resolve_job_def("retention") is not None
    assert {schedule.name for schedule in defs.schedules or []} >= {"retention_schedule"}
    assert {sensor.name for sensor in defs.sensors or []} >= {"erased_couples_sensor"}
